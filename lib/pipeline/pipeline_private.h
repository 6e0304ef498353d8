/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_PIPELINE_PRIVATE_H
#define EVS_PIPELINE_PRIVATE_H

#include "evs_pipeline.h"

/** What a stage tells the pipeline. */
enum stage_verdict {
	STAGE_CONTINUE, /**< later stages run */
	STAGE_DONE,     /**< the program is complete */
};

/**
 * One pipeline stage: reads @p key, ORs what it consulted into @p mask,
 * appends to @p prog, writes its decision in @p why (for traces).
 */
struct stage {
	const char *name;
	enum stage_verdict (*xlate)(const struct evs_pipeline_state *st, struct evs_l2_lcore *lc,
				    const struct evs_flow_key *key, struct evs_flow_mask *mask,
				    struct evs_prog *prog, char *why, size_t why_len);
};

enum stage_verdict stage_l2_xlate(const struct evs_pipeline_state *st, struct evs_l2_lcore *lc,
				  const struct evs_flow_key *key, struct evs_flow_mask *mask,
				  struct evs_prog *prog, char *why, size_t why_len);

/** Append an action; false when the program is full. */
static inline bool prog_append(struct evs_prog *prog, const struct evs_act *a)
{
	if (prog->n_acts == EVS_PROG_MAX_ACTS)
		return false;
	prog->acts[prog->n_acts++] = *a;
	return true;
}

#endif
