/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_LB_PRIVATE_H
#define EVS_LB_PRIVATE_H

/* Shared by the load balancer module's files; not installed. */

#include "evs_lb.h"

#define LB_N_STAGES 2

/* Hint slots per lcore (hint_slot): a power of two; a collision of two
 * (backend, client port) pairs costs lookups, never a wrong decision. */
#define LB_HINTS 1024u

/* Bursts established() does not try a single run after one failed. */
#define LB_RUN_BACKOFF 15

/* A pipeline lcore's context: its own conntrack context (entries it
 * creates are filed on its wheel) and its counts. */
struct lb_lcore {
	struct evs_ct_lcore *lc;
	uint64_t counters[EVS_LB_C_MAX];
	struct evs_lb_counts vip[EVS_LB_VIPS];
	struct evs_lb_counts be[EVS_LB_IDS];
	uint32_t passive[EVS_LB_IDS]; /* passive failure signals per backend */
	/* the next pass's megaflow per backend and client port (hint_slot):
	 * established packets skip its lookup */
	struct evs_recirc_hint hint[LB_HINTS];
	/* bursts left before established() tries a run again */
	uint32_t run_skip;
	/* On a large table the ingress asks for each chunk's conntrack buckets
	 * ahead of classification (evs_ct_prefetch_burst), in the zone of the last VIP
	 * or reply lookup, while one ran within the last LB_PREFETCH_CHUNKS
	 * chunks and over the last window lb's lookups took at least half the
	 * packets the ingress saw (else the hashing is mostly wasted). */
	bool pre_wanted; /* the table is large (evs_ct_buckets_from_memory) */
	uint16_t pre_zone;
	uint16_t pre_left;   /* chunks it goes on without a lookup, + 1 */
	uint16_t pre_chunks; /* chunks in this window */
	bool pre_off;	     /* the last window said: not worth it */
	uint32_t pre_seen;   /* packets the ingress saw this window */
	uint32_t pre_taken;  /* packets lb's lookups took this window */
};

#define LB_PREFETCH_CHUNKS 8  /* chunks without an lb lookup before it stops */
#define LB_PREFETCH_WINDOW 64 /* chunks between two looks at the share */

/* lb's ct lookup of @n packets in @zone (the ingress's share and zone). */
static inline void lb_prefetch_note(struct lb_lcore *ll, uint16_t zone, uint16_t n)
{
	if (!ll->pre_wanted)
		return;
	ll->pre_zone = zone;
	ll->pre_left = LB_PREFETCH_CHUNKS + 1;
	ll->pre_taken += n;
}

extern const struct evs_stage lb_stages[LB_N_STAGES];
extern const struct evs_opcode lb_opcodes[EVS_LB_OP_MAX];
extern const char *const lb_drop_names[EVS_LB_DROP_MAX];
extern const char *const lb_counter_names[EVS_LB_C_MAX];

/* The published tables, the dependency recorded first (stages). */
const struct evs_lb_dp *lb_dp_read(struct evs_xlate *x, const struct evs_lb_state *s);

/*
 * The backend a new connection of VIP @v gets, or EVS_MAGLEV_NONE. With
 * @remember the source-affinity table learns the choice. *@affine tells
 * whether the affinity table decided.
 */
uint32_t lb_pick(const struct evs_lb_dp *dp, const struct evs_lb_dp_vip *v, const struct evs_ct *ct,
		 const struct evs_flow_key *k, uint64_t now_ms, bool remember, bool *affine);

#endif /* EVS_LB_PRIVATE_H */
