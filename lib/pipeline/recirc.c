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

_Static_assert(EVS_FLOW_KEY_WORDS <= 32, "a hint's word bitmap is 32 bits");

_Static_assert(EVS_RECIRC_HINT_WORDS % 4 == 0, "hint words go in fours");
_Static_assert(sizeof(evs_flow_word_t) == sizeof(uint64_t), "a hint's inline words");

/* The key matches the hinted megaflow @p h names (live: see hint_ok),
 * compared on the words its mask consults only (a handful of the key's):
 * from the hint's own copy in fours (the constant inner loop unrolls; the
 * padding words have mask 0), or by the bitmap when they do not fit. */
static inline bool hint_match(const struct evs_recirc_hint *h, const struct evs_flow_key *k)
{
	const struct evs_megaflow *f = h->flow;
	const evs_flow_word_t *kw = (const evs_flow_word_t *)k;
	const evs_flow_word_t *mw;
	const evs_flow_word_t *fw;
	uint64_t diff = 0;

	if (likely(h->n_inline != 0)) {
		for (unsigned int b = 0; b < h->n_inline; b += 4)
			for (unsigned int i = b; i < b + 4; i++)
				diff |= (kw[h->w[i]] & h->m[i]) ^ h->v[i];
		return diff == 0;
	}
	mw = (const evs_flow_word_t *)&((const struct evs_flow_mask *)h->mask)->bits;
	fw = (const evs_flow_word_t *)&f->key;
	for (uint32_t b = h->words; b != 0; b &= b - 1) {
		unsigned int i = (unsigned int)__builtin_ctz(b);

		diff |= (kw[i] & mw[i]) ^ fw[i];
	}
	return diff == 0;
}

/* The hint names a megaflow still live and unchanged, and the key matches it. */
static inline bool hint_ok(const struct evs_recirc_hint *h, const struct evs_flow_key *k)
{
	const struct evs_megaflow *f = h->flow;

	return f != NULL && f->version == h->version && hint_match(h, k);
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
		unsigned int n_in = 0;
		uint32_t words = 0;

		if (m == NULL || (mf[i]->version & 1))
			continue;
		mw = (const evs_flow_word_t *)&m->bits;
		fw = (const evs_flow_word_t *)&mf[i]->key;
		*h = (struct evs_recirc_hint){.flow = mf[i], .mask = m, .version = mf[i]->version};
		for (unsigned int w = 0; w < EVS_FLOW_KEY_WORDS; w++) {
			if (mw[w] == 0)
				continue;
			words |= 1u << w;
			if (n_in < EVS_RECIRC_HINT_WORDS) {
				h->w[n_in] = (uint8_t)w;
				h->m[n_in] = mw[w];
				h->v[n_in] = fw[w];
			}
			n_in++;
		}
		h->words = words;
		/* in fours (zeroed padding matches anything); 0: the bitmap, when
		 * they do not all fit */
		h->n_inline = n_in <= EVS_RECIRC_HINT_WORDS ? (uint8_t)RTE_ALIGN_CEIL(n_in, 4) : 0;
	}
}

uint16_t evs_exec_recirculate_hinted(struct evs_exec *x, uint16_t recirc_id, struct rte_mbuf **pkts,
				     struct evs_flow_key *keys, uint16_t n,
				     struct evs_recirc_hint *hints, const uint16_t *slot)
{
	struct evs_pipeline_lcore *pl = x->pl;
	struct evs_exec nx = {.pl = pl, .st = x->st, .mod = ENGINE_MOD, .depth = x->depth + 1};
	uint64_t now = 0;
	uint16_t i, j, hinted = 0;

	if (unlikely(n == 0 || x->tracing || x->depth >= EVS_RECIRC_MAX_DEPTH ||
		     n > EVS_CLS_BURST_MAX)) {
		evs_exec_recirculate(x, recirc_id, pkts, keys, n);
		return 0;
	}
	for (i = 0; i < n; i++)
		keys[i].recirc_id = recirc_id;
	ctr_add(&pl->st.recirculated, n);
	for (i = 0; i < n; i = j) {
		const struct evs_recirc_hint *h = &hints[slot[i]];
		struct evs_megaflow *f = (struct evs_megaflow *)(uintptr_t)h->flow;
		const struct prog_hdr *p;
		uint64_t bytes;

		if (!hint_ok(h, &keys[i])) {
			for (j = (uint16_t)(i + 1); j < n && !hint_ok(&hints[slot[j]], &keys[j]);
			     j++)
				;
			hints_learn(pl, hints, slot + i, keys + i, (uint16_t)(j - i));
			run_chunk(pl, x->st, pkts + i, keys + i, (uint16_t)(j - i), nx.depth,
				  false);
			continue;
		}
		/* the run: following packets whose hint is the same live megaflow */
		bytes = rte_pktmbuf_pkt_len(pkts[i]);
		for (j = (uint16_t)(i + 1);
		     j < n && hints[slot[j]].flow == f && hint_match(h, &keys[j]); j++)
			bytes += rte_pktmbuf_pkt_len(pkts[j]);
		p = evs_megaflow_actions(f);
		if (unlikely(prog_stale(pl->reg, p))) { /* the pass re-translates it */
			run_chunk(pl, x->st, pkts + i, keys + i, (uint16_t)(j - i), nx.depth,
				  false);
			continue;
		}
		/* what a lookup hit would count: the idle expiry reads last_used */
		if (now == 0)
			now = rte_rdtsc();
		__atomic_store_n(&f->hits, f->hits + (j - i), __ATOMIC_RELAXED);
		__atomic_store_n(&f->last_used, now, __ATOMIC_RELAXED);
		evs_megaflow_add_bytes(f, bytes);
		hinted = (uint16_t)(hinted + (j - i));
		exec_prog(&nx, p, pkts + i, keys + i, (uint16_t)(j - i));
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
