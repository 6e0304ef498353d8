/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Recirculation from inside an opcode: the packets are classified again at
 * once, in the same burst, from the keys the opcode leaves (no re-parse, no
 * queue). For opcodes that keep each key in step with its frame (conntrack
 * rewrites both on NAT), so the key equals what a re-parse would give.
 * And the queued form, for opcodes that let other packets go on: their keys
 * are kept exact too, so the queued pass skips the re-parse.
 */

#include <rte_cycles.h>

#include "pipeline_private.h"

void evs_exec_recirculate(struct evs_exec *x, uint16_t recirc_id, struct rte_mbuf **pkts,
			  struct evs_flow_key *keys, uint16_t n)
{
	struct evs_pipeline_lcore *pl = x->pl;
	const struct op_recirc a = {.recirc_id = recirc_id};
	uint16_t i;

	if (n == 0)
		return;
	/* a trace follows the packet pass by pass through the queue (it
	 * re-parses, which checks the keys we would have kept) */
	if (unlikely(x->tracing || x->depth >= EVS_RECIRC_MAX_DEPTH)) {
		engine_ops[ENGINE_OP_RECIRC].exec(x, &a, pkts, keys, n);
		return;
	}
	for (i = 0; i < n; i++)
		keys[i].recirc_id = recirc_id;
	ctr_add(&pl->st.recirculated, n);
	/* The caller's program is done with these packets (it consumes them):
	 * the nested pass may reuse scratch programs and megaflow slots. The
	 * queue of the engine's recirculate opcode is drained by whichever
	 * pass ends first; depth stays bounded either way. */
	run_chunk(pl, x->st, pkts, keys, n, (uint16_t)(x->depth + 1), false);
}

_Static_assert(EVS_FLOW_KEY_WORDS <= 16, "a hint's word bitmap is 16 bits");
_Static_assert(EVS_RECIRC_HINT_WORDS % 2 == 0 && EVS_RECIRC_HINT_WORDS <= EVS_FLOW_KEY_WORDS,
	       "hint words go in pairs, within the key");
_Static_assert(sizeof(evs_flow_word_t) == sizeof(uint64_t), "a hint's inline words");

/* The words from EVS_RECIRC_HINT_WORDS on that the hint's megaflow
 * consults (h->hi; rare: ports, tunnel, mark): one by one. */
static bool __rte_noinline hint_match_hi(const struct evs_recirc_hint *h,
					 const struct evs_flow_key *k)
{
	const evs_flow_word_t *kw = (const evs_flow_word_t *)k;
	const evs_flow_word_t *mw =
	    (const evs_flow_word_t *)&((const struct evs_flow_mask *)h->mask)->bits;
	const evs_flow_word_t *fw =
	    (const evs_flow_word_t *)&((const struct evs_megaflow *)h->flow)->key;
	uint64_t diff = 0;

	for (uint32_t b = h->hi; b != 0; b &= b - 1) {
		unsigned int i = (unsigned int)__builtin_ctz(b);

		diff |= (kw[i] & mw[i]) ^ fw[i]; /* the megaflow's key is masked */
	}
	return diff == 0;
}

/* The key matches run @r's megaflow: the pairs, then any later words. */
static inline bool hint_match(const struct evs_hint_run *r, const struct evs_flow_key *k)
{
	return evs_exec_hint_match(r, k) && likely(r->h->hi == 0 || hint_match_hi(r->h, k));
}

/* The hint names a megaflow still live and unchanged, and the key matches it. */
static inline bool hint_ok(const struct evs_recirc_hint *h, uint16_t recirc_id,
			   const struct evs_flow_key *k, struct evs_hint_run *r)
{
	return evs_recirc_hint_load(h, recirc_id, r) && hint_match(r, k);
}

/* Classify @n missed packets for their hints (the pass itself classifies
 * them again: misses are rare, the first packets of a group or after a
 * change). */
static void hints_learn(struct evs_pipeline_lcore *pl, struct evs_recirc_hint *hints,
			const uint16_t *slot, const struct evs_flow_key *keys, uint16_t n)
{
	const struct evs_flow_key *kp[EVS_CLS_BURST_MAX] = {
	    NULL}; /* (gcc cannot tell n <= the size) */
	struct evs_megaflow *mf[EVS_CLS_BURST_MAX];
	uint16_t i;

	for (i = 0; i < n; i++)
		kp[i] = &keys[i];
	evs_cls_lookup_burst(pl->cls, kp, NULL, n, mf);
	for (i = 0; i < n; i++) {
		const struct evs_flow_mask *m =
		    mf[i] != NULL ? evs_cls_flow_mask(pl->cls, mf[i]) : NULL;

		const evs_flow_word_t *mw, *fw;
		struct evs_recirc_hint *h = &hints[slot[i]];

		if (m == NULL || (mf[i]->version & 1))
			continue;
		mw = (const evs_flow_word_t *)&m->bits;
		fw = (const evs_flow_word_t *)&mf[i]->key;
		*h = (struct evs_recirc_hint){.flow = mf[i], .mask = m, .version = mf[i]->version};
		for (unsigned int w = 0; w < EVS_FLOW_KEY_WORDS; w++) {
			if (w < EVS_RECIRC_HINT_WORDS) {
				h->m[w] = mw[w];
				h->v[w] = fw[w]; /* the megaflow's key is masked */
				h->pairs |= (uint16_t)((mw[w] != 0) << w / 2);
			} else if (mw[w] != 0) {
				h->hi |= (uint16_t)(1u << w);
			}
		}
	}
}

/* Distinct megaflows a burst is grouped by; the rest keep their order in
 * one more group (bounded work per packet however many there are). */
#define HINT_GROUPS 8

/*
 * Stable grouping of @n packets by the megaflow their hints name, into
 * @gp/@gk/@gs, once a run ended at another live megaflow: each megaflow's
 * program (a load balancer's backend route, its output) then runs once
 * per burst instead of once per run of neighbours (a burst of mixed flows
 * over k backends with distinct next hops has about n (k-1)/k runs; 112
 * more instructions per packet than one run in bench-lb-pipeline
 * --per-backend). Reads only the hints' megaflow identity: a wrong guess
 * costs runs, never a wrong decision (each key is checked). Packets of one
 * connection share a hint, so their order is kept. @return false if they
 * were grouped already (no copy).
 */
static bool group_by_flow(const struct evs_recirc_hint *hints, struct rte_mbuf **pkts,
			  const struct evs_flow_key *keys, const uint16_t *slot, uint16_t n,
			  struct rte_mbuf **gp, struct evs_flow_key *gk, uint16_t *gs)
{
	const void *id[HINT_GROUPS], *prev = NULL;
	uint16_t at[HINT_GROUPS + 1] = {0};
	uint8_t g[EVS_CLS_BURST_MAX];
	unsigned int ng = 0, runs = 0, i, k, sum = 0;

	for (i = 0; i < n; i++) {
		const void *f = hints[slot[i]].flow;

		for (k = 0; k < ng && id[k] != f; k++)
			;
		if (k == ng && ng < HINT_GROUPS)
			id[ng++] = f;
		g[i] = (uint8_t)k; /* HINT_GROUPS: the overflow group */
		at[k]++;
		runs += i == 0 || f != prev;
		prev = f;
	}
	if (at[HINT_GROUPS] == 0 && runs == ng)
		return false;
	for (k = 0; k <= HINT_GROUPS; k++) { /* counts -> first positions */
		unsigned int c = at[k];

		at[k] = (uint16_t)sum;
		sum += c;
	}
	for (i = 0; i < n; i++) {
		uint16_t o = at[g[i]]++;

		gp[o] = pkts[i];
		gk[o] = keys[i];
		gs[o] = slot[i];
	}
	return true;
}

/* @n packets that matched live megaflow @f (hinted): its program at once,
 * counted as a lookup hit would be (the idle expiry reads last_used), or
 * the pass classifies them if the program went stale. @return n if they
 * ran by the hint, else 0. */
static __rte_always_inline uint16_t run_hinted(struct evs_exec *nx, struct evs_megaflow *f,
					       struct rte_mbuf **pkts, struct evs_flow_key *keys,
					       uint16_t n, uint64_t bytes, uint64_t *now)
{
	const struct prog_hdr *p = evs_megaflow_actions(f);

	if (unlikely(prog_stale(nx->pl->reg, p))) { /* the pass re-translates it */
		run_chunk(nx->pl, nx->st, pkts, keys, n, nx->depth, false);
		return 0;
	}
	if (*now == 0)
		*now = rte_rdtsc();
	__atomic_store_n(&f->hits, f->hits + n, __ATOMIC_RELAXED);
	__atomic_store_n(&f->last_used, *now, __ATOMIC_RELAXED);
	evs_megaflow_add_bytes(f, bytes);
	exec_prog(nx, p, pkts, keys, n);
	return n;
}

uint16_t evs_exec_hint_run(struct evs_exec *x, uint16_t recirc_id, const struct evs_hint_run *r,
			   struct rte_mbuf **pkts, struct evs_flow_key *keys, uint16_t n,
			   uint64_t bytes)
{
	struct evs_exec nx = {.pl = x->pl, .st = x->st, .mod = ENGINE_MOD, .depth = x->depth + 1};
	struct evs_megaflow *f = (struct evs_megaflow *)(uintptr_t)r->flow;
	uint64_t now = 0;

	if (unlikely(n == 0 || x->tracing || x->depth >= EVS_RECIRC_MAX_DEPTH ||
		     n > EVS_CLS_BURST_MAX)) {
		evs_exec_recirculate(x, recirc_id, pkts, keys, n);
		return 0;
	}
	ctr_add(&x->pl->st.recirculated, n);
	/* the megaflow the keys were compared with, still unchanged (nothing
	 * the caller did since should have changed it: checked all the same) */
	if (unlikely(f->version != r->version)) {
		run_chunk(x->pl, x->st, pkts, keys, n, nx.depth, false);
		return 0;
	}
	return run_hinted(&nx, f, pkts, keys, n, bytes, &now);
}

uint16_t evs_exec_recirculate_hinted(struct evs_exec *x, uint16_t recirc_id, struct rte_mbuf **pkts,
				     struct evs_flow_key *keys, uint16_t n,
				     struct evs_recirc_hint *hints, const uint16_t *slot)
{
	struct evs_pipeline_lcore *pl = x->pl;
	struct evs_exec nx = {.pl = pl, .st = x->st, .mod = ENGINE_MOD, .depth = x->depth + 1};
	struct rte_mbuf *gp[EVS_CLS_BURST_MAX];
	struct evs_flow_key gk[EVS_CLS_BURST_MAX];
	uint16_t gs[EVS_CLS_BURST_MAX];
	bool grouped = false;
	uint64_t now = 0;
	uint16_t i, j, hinted = 0;

	if (unlikely(n == 0 || x->tracing || x->depth >= EVS_RECIRC_MAX_DEPTH ||
		     n > EVS_CLS_BURST_MAX)) {
		evs_exec_recirculate(x, recirc_id, pkts, keys, n);
		return 0;
	}
	ctr_add(&pl->st.recirculated, n);
	/* (each key's recirc_id is set once its hint is checked, which takes
	 * it as the pass's) */
	for (i = 0; i < n; i = j) {
		const struct evs_recirc_hint *h = &hints[slot[i]];
		struct evs_megaflow *f = (struct evs_megaflow *)(uintptr_t)h->flow;
		struct evs_hint_run c;
		uint64_t bytes;

		if (!hint_ok(h, recirc_id, &keys[i], &c)) {
			keys[i].recirc_id = recirc_id;
			for (j = (uint16_t)(i + 1); j < n; j++) {
				if (hint_ok(&hints[slot[j]], recirc_id, &keys[j], &c))
					break;
				keys[j].recirc_id = recirc_id;
			}
			hints_learn(pl, hints, slot + i, keys + i, (uint16_t)(j - i));
			run_chunk(pl, x->st, pkts + i, keys + i, (uint16_t)(j - i), nx.depth,
				  false);
			continue;
		}
		/* the run: following packets whose hint is the same live megaflow
		 * (compared against @h's copy: the same megaflow, the same words) */
		keys[i].recirc_id = recirc_id;
		bytes = rte_pktmbuf_pkt_len(pkts[i]);
		for (j = (uint16_t)(i + 1); j < n; j++) {
			if (hints[slot[j]].flow != f || !hint_match(&c, &keys[j]))
				break;
			keys[j].recirc_id = recirc_id;
			bytes += rte_pktmbuf_pkt_len(pkts[j]);
		}
		if (unlikely(j < n && !grouped && hints[slot[j]].flow != f)) {
			/* another megaflow next: the rest grouped by megaflow, once
			 * (copies: the caller's arrays stay as they were) */
			grouped = true;
			if (group_by_flow(hints, pkts + i, keys + i, slot + i, (uint16_t)(n - i),
					  gp + i, gk + i, gs + i)) {
				pkts = gp; /* from i on */
				keys = gk;
				slot = gs;
			}
			j = i; /* this run again, from the grouped arrays */
			continue;
		}
		hinted = (uint16_t)(hinted + run_hinted(&nx, f, pkts + i, keys + i,
							(uint16_t)(j - i), bytes, &now));
	}
	return hinted;
}

void evs_exec_recirculate_queued(struct evs_exec *x, uint16_t recirc_id, struct rte_mbuf **pkts,
				 struct evs_flow_key *keys, uint16_t n)
{
	const struct op_recirc a = {.recirc_id = recirc_id};
	struct evs_pipeline_lcore *pl = x->pl;
	uint16_t from = pl->n_recirc;

	RTE_BUILD_BUG_ON(EVS_CLS_BURST_MAX > 64); /* the queue's positions fit the mask */
	if (n == 0)
		return;
	engine_ops[ENGINE_OP_RECIRC].exec(x, &a, pkts, keys, n);
	/* queued (not dropped): the next pass takes the keys as they are; a
	 * trace re-parses, which checks them */
	if (likely(!x->tracing) && pl->n_recirc == from + n)
		pl->recirc_exact |= (n == 64 ? UINT64_MAX : (UINT64_C(1) << n) - 1) << from;
}
