/* SPDX-License-Identifier: BSD-3-Clause */
/* The slow path: run the stages in order for one key. */

#include <errno.h>
#include <string.h>

#include "pipeline_private.h"

/* The stages, in pipeline order. Routing, firewall, load balancing and
 * tunnels go after L2 as they land. */
static const struct stage stages[] = {
	{.name = "l2", .xlate = stage_l2_xlate},
};

int evs_pipeline_xlate(const struct evs_pipeline_state *st, struct evs_l2_lcore *lc,
		       const struct evs_flow_key *key, struct evs_flow_mask *mask,
		       struct evs_prog *prog, struct evs_trace *trace)
{
	unsigned int i;

	if (st == NULL || lc == NULL || key == NULL || mask == NULL || prog == NULL)
		return -EINVAL;
	evs_flow_mask_zero(mask);
	memset(prog, 0, sizeof(*prog));
	if (trace != NULL)
		trace->n = 0;
	for (i = 0; i < RTE_DIM(stages); i++) {
		struct evs_flow_mask before = *mask;
		char why[sizeof(trace->steps[0].decision)];
		enum stage_verdict v;

		v = stages[i].xlate(st, lc, key, mask, prog, why, sizeof(why));
		if (trace != NULL && trace->n < EVS_TRACE_MAX_STEPS) {
			struct evs_trace_step *s = &trace->steps[trace->n++];
			const evs_flow_word_t *b = (const evs_flow_word_t *)&before.bits;
			const evs_flow_word_t *a = (const evs_flow_word_t *)&mask->bits;
			evs_flow_word_t *c = (evs_flow_word_t *)&s->consulted.bits;
			unsigned int w;

			s->stage = stages[i].name;
			memcpy(s->decision, why, sizeof(s->decision));
			for (w = 0; w < EVS_FLOW_KEY_WORDS; w++)
				c[w] = a[w] & ~b[w];
		}
		if (v == STAGE_DONE)
			break;
	}
	return 0;
}
