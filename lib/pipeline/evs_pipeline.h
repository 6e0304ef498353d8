/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_PIPELINE_H
#define EVS_PIPELINE_H

/**
 * @file
 * The logical pipeline: slow path (translate a flow key into an action
 * program plus the mask of every field consulted) and the per-burst fast
 * path around the megaflow classifier.
 *
 * What: a PMD lcore hands each parsed burst to evs_pipeline_run(). Sources
 * are learned (stateful, per packet), keys are classified (EMC, then
 * megaflows); a miss runs the stages once (evs_pipeline_xlate) and installs
 * a megaflow whose mask holds exactly what the stages consulted; stale hits
 * (older config generation, or a MAC table change under an L2 decision) are
 * re-translated in place. Then the whole burst's actions run in one vector
 * call per action kind.
 *
 * Stages: a fixed, ordered table (stage_*.c), each one function that reads
 * the key, ORs the fields it consulted into the mask, appends actions and
 * says whether the pipeline goes on. L2 switching is the first; routing,
 * firewall, load balancing and tunnels slot in after it.
 *
 * Stateless decisions are cached in megaflows; stateful steps (learning
 * now; conntrack, NAT, LB choice, replay windows later) run per packet.
 *
 * Thread-safety: struct evs_pipeline_lcore belongs to one PMD lcore:
 * evs_pipeline_run() and evs_pipeline_service() run there. The shared
 * state in struct evs_pipeline_state is published by the management lcore
 * (config by RCU snapshot, generations by release stores). evs_pipeline_xlate
 * is pure with respect to its inputs and may run on any lcore (flow.trace
 * runs it on the management lcore with its own L2 context).
 */

#include <stdbool.h>
#include <stdint.h>
#include <rte_mbuf.h>

#include "evs_classifier.h"
#include "evs_l2.h"
#include "evs_packet.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Kinds of action in a program. */
enum evs_act_type {
	EVS_ACT_NONE = 0,
	EVS_ACT_L2, /**< an L2 decision: drop / unicast with VLAN encoding / flood */
};

/** One action. */
struct evs_act {
	uint16_t type; /**< enum evs_act_type */
	uint16_t reserved;
	union {
		struct evs_l2_action l2;
		uint8_t raw[12];
	};
};

#define EVS_PROG_MAX_ACTS 3

/** Flags of a program. */
enum evs_prog_flags {
	EVS_PROG_USES_MACS = 1 << 0, /**< depends on MAC table contents (macs_gen) */
};

/**
 * An action program: what a megaflow does. Small and flat so that it is
 * copied into the megaflow entry (fits the classifier's 64-byte default).
 */
struct evs_prog {
	uint32_t macs_gen; /**< MAC table generation the decisions were made at */
	uint16_t flags;	   /**< enum evs_prog_flags */
	uint16_t n_acts;
	struct evs_act acts[EVS_PROG_MAX_ACTS];
};

/** State the stages read, published by the management lcore. */
struct evs_pipeline_state {
	const struct evs_l2_conf *l2; /**< current L2 snapshot */
	struct evs_l2_macs *macs;
	uint32_t gen;	   /**< configuration generation (snapshot) */
	uint32_t macs_gen; /**< MAC table generation */
};

/** One stage's part of a trace. */
struct evs_trace_step {
	const char *stage;
	char decision[120];
	struct evs_flow_mask consulted; /**< fields this stage consulted */
};

#define EVS_TRACE_MAX_STEPS 8

/** What evs_pipeline_xlate() did, stage by stage (flow.trace). */
struct evs_trace {
	unsigned int n;
	struct evs_trace_step steps[EVS_TRACE_MAX_STEPS];
};

/**
 * Slow path: run the stages for @p key.
 * @param lc     an L2 context of the calling lcore (for lookups and counters)
 * @param mask   out: every field consulted
 * @param prog   out: the action program
 * @param trace  optional: filled with each stage's decision
 * @return 0, or -EINVAL if an argument is NULL.
 */
int evs_pipeline_xlate(const struct evs_pipeline_state *st, struct evs_l2_lcore *lc,
		       const struct evs_flow_key *key, struct evs_flow_mask *mask,
		       struct evs_prog *prog, struct evs_trace *trace);

/**
 * Write a program as text, e.g. "l2(unicast port=2 vlan=100)". @p port_name
 * (optional) names ports.
 * @return the length snprintf() would have written.
 */
int evs_prog_format(const struct evs_prog *prog, char *buf, size_t len,
		    const char *(*port_name)(uint16_t port, void *arg), void *arg);

/** Write the fields a mask consults, with their values in @p key, as text. */
int evs_flow_format(const struct evs_flow_key *key, const struct evs_flow_mask *mask, char *buf,
		    size_t len);

/* ------------------------------------------------------------------ */
/* Per-lcore fast path                                                 */
/* ------------------------------------------------------------------ */

/** Pipeline counters of one PMD lcore. */
struct evs_pipeline_stats {
	uint64_t packets;      /**< packets run through the pipeline */
	uint64_t upcalls;      /**< slow path runs for misses */
	uint64_t upcall_cycles; /**< TSC cycles spent in them */
	uint64_t revalidated;  /**< stale megaflows re-translated on hit */
	uint64_t replaced;     /**< ... whose mask changed (removed, re-installed) */
	uint64_t uncached;     /**< packets run without a megaflow (install refused) */
	uint64_t expired;      /**< idle megaflows removed */
};

struct evs_pipeline_lcore;

/** Parameters of evs_pipeline_lcore_create(). */
struct evs_pipeline_lcore_config {
	const char *name;
	struct evs_l2_lcore *l2; /**< this lcore's L2 context (not owned) */
	uint32_t max_flows;      /**< megaflow cap; 0: classifier default */
	uint32_t emc_entries;    /**< 0: default; see evs_cls_config */
	bool emc_disable;
	int socket_id;
};

/**
 * Create a PMD lcore's pipeline context (with its classifier).
 * @return it, or NULL with errno set (EINVAL, ENOMEM).
 */
struct evs_pipeline_lcore *evs_pipeline_lcore_create(const struct evs_pipeline_lcore_config *cfg);

/** Free it (PMD stopped). NULL is ok. */
void evs_pipeline_lcore_free(struct evs_pipeline_lcore *pl);

/** The lcore's classifier (dumps, stats and requests from other lcores). */
struct evs_cls *evs_pipeline_lcore_cls(struct evs_pipeline_lcore *pl);

/**
 * Forward a parsed burst (PMD lcore). Every mbuf ends up in @p out or freed
 * and counted.
 * @return the number of outputs written to @p out.
 */
uint16_t evs_pipeline_run(struct evs_pipeline_lcore *pl, const struct evs_pipeline_state *st,
			  struct rte_mbuf **pkts, const struct evs_flow_key *keys, uint16_t n,
			  struct evs_l2_out *out, uint16_t out_cap);

/**
 * Periodic work of the owner lcore (call once per loop): carries out flush
 * requests from other lcores, finishes table resizes, and every millisecond
 * (or a tenth of @p idle_cycles if shorter) expires a batch of megaflows idle
 * for more than @p idle_cycles.
 */
void evs_pipeline_service(struct evs_pipeline_lcore *pl, uint64_t now, uint64_t idle_cycles);

/** Read the counters (any lcore; relaxed reads). */
void evs_pipeline_stats_get(const struct evs_pipeline_lcore *pl, struct evs_pipeline_stats *st);

#ifdef __cplusplus
}
#endif
#endif /* EVS_PIPELINE_H */
