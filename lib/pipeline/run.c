/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The per-burst fast path: learn, classify, translate misses and stale
 * hits, execute. Runs on the PMD lcore that owns the context.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_malloc.h>

#include "pipeline_private.h"

struct evs_pipeline_lcore {
	struct evs_cls *cls;
	struct evs_l2_lcore *l2;
	struct evs_pipeline_stats st;
	uint64_t next_expire;
	/* programs of packets that could not get a megaflow this burst */
	struct evs_prog scratch[EVS_CLS_BURST_MAX];
} __rte_cache_aligned;

/* Single writer (the owner); other lcores read with relaxed loads. */
static inline void ctr_add(uint64_t *c, uint64_t v)
{
	__atomic_store_n(c, *c + v, __ATOMIC_RELAXED);
}

struct evs_pipeline_lcore *evs_pipeline_lcore_create(const struct evs_pipeline_lcore_config *cfg)
{
	struct evs_pipeline_lcore *pl;
	struct evs_cls_config cc;

	if (cfg == NULL || cfg->l2 == NULL) {
		errno = EINVAL;
		return NULL;
	}
	pl = rte_zmalloc_socket("evs_pipeline", sizeof(*pl), RTE_CACHE_LINE_SIZE, cfg->socket_id);
	if (pl == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	memset(&cc, 0, sizeof(cc));
	cc.name = cfg->name;
	cc.max_flows = cfg->max_flows;
	cc.emc_entries = cfg->emc_entries;
	cc.emc_disable = cfg->emc_disable;
	cc.actions_max = sizeof(struct evs_prog);
	pl->cls = evs_cls_create(&cc);
	if (pl->cls == NULL) {
		int e = errno;

		rte_free(pl);
		errno = e;
		return NULL;
	}
	pl->l2 = cfg->l2;
	return pl;
}

void evs_pipeline_lcore_free(struct evs_pipeline_lcore *pl)
{
	if (pl == NULL)
		return;
	evs_cls_free(pl->cls);
	rte_free(pl);
}

struct evs_cls *evs_pipeline_lcore_cls(struct evs_pipeline_lcore *pl)
{
	return pl->cls;
}

/* Translate @key and install its megaflow; NULL (with *prog in scratch)
 * when the classifier refuses it. */
static const struct evs_prog *upcall(struct evs_pipeline_lcore *pl,
				     const struct evs_pipeline_state *st,
				     const struct evs_flow_key *key, struct evs_prog *scratch)
{
	struct evs_flow_mask mask;
	struct evs_megaflow *f;
	uint64_t t0 = rte_rdtsc();
	int ret;

	evs_pipeline_xlate(st, pl->l2, key, &mask, scratch, NULL);
	ret = evs_cls_install(
	    pl->cls, key,
	    &(struct evs_megaflow_spec){
		.mask = &mask, .actions = scratch, .actions_len = sizeof(*scratch), .gen = st->gen},
	    &f);
	ctr_add(&pl->st.upcalls, 1);
	ctr_add(&pl->st.upcall_cycles, rte_rdtsc() - t0);
	if (ret == 0 || ret == -EEXIST) /* EEXIST: installed by an earlier packet of this burst */
		return evs_megaflow_actions(f);
	ctr_add(&pl->st.uncached, 1);
	return scratch;
}

/* A hit made under an older configuration or MAC table: translate again,
 * keep the megaflow when the mask is the same, else replace it. */
static const struct evs_prog *revalidate(struct evs_pipeline_lcore *pl,
					 const struct evs_pipeline_state *st,
					 const struct evs_flow_key *key, struct evs_megaflow *f,
					 struct evs_prog *scratch)
{
	const struct evs_flow_mask *old = evs_cls_flow_mask(pl->cls, f);
	struct evs_flow_mask mask;

	if (old == NULL) /* removed earlier in this burst */
		return upcall(pl, st, key, scratch);
	evs_pipeline_xlate(st, pl->l2, key, &mask, scratch, NULL);
	ctr_add(&pl->st.revalidated, 1);
	if (memcmp(old, &mask, sizeof(mask)) == 0 &&
	    evs_cls_modify(pl->cls, f, scratch, sizeof(*scratch), st->gen) == 0)
		return evs_megaflow_actions(f);
	ctr_add(&pl->st.replaced, 1);
	evs_cls_remove(pl->cls, f);
	return upcall(pl, st, key, scratch);
}

static inline bool stale(const struct evs_megaflow *f, const struct evs_prog *p,
			 const struct evs_pipeline_state *st)
{
	return f->gen != st->gen ||
	       ((p->flags & EVS_PROG_USES_MACS) && p->macs_gen != st->macs_gen);
}

static uint16_t run_chunk(struct evs_pipeline_lcore *pl, const struct evs_pipeline_state *st,
			  struct rte_mbuf **pkts, const struct evs_flow_key *keys, uint16_t n,
			  struct evs_l2_out *out, uint16_t out_cap)
{
	const struct evs_flow_key *kp[EVS_CLS_BURST_MAX];
	struct evs_megaflow *mf[EVS_CLS_BURST_MAX];
	uint32_t ver[EVS_CLS_BURST_MAX];
	struct evs_l2_action acts[EVS_CLS_BURST_MAX];
	uint32_t h[EVS_CLS_BURST_MAX];
	bool clean = false; /* the previous packet hit a megaflow that was current */
	uint16_t i;

	/* Learning is stateful: every packet, never cached. */
	evs_l2_learn_burst(st->l2, st->macs, pl->l2, keys, n);
	for (i = 0; i < n; i++) {
		kp[i] = &keys[i];
		h[i] = evs_flow_key_hash(&keys[i], 0);
	}
	evs_cls_lookup_burst(pl->cls, kp, h, n, mf);
	for (i = 0; i < n; i++)
		ver[i] = mf[i] != NULL ? mf[i]->version : 0;
	for (i = 0; i < n; i++) {
		const struct evs_prog *p;

		/* Revalidating an earlier packet may have removed this packet's
		 * megaflow and reused its slot for another one: an entry whose
		 * version moved since the lookup is looked up again. */
		if (unlikely(mf[i] != NULL && mf[i]->version != ver[i]))
			mf[i] = evs_cls_lookup(pl->cls, kp[i], h[i]);
		if (likely(mf[i] != NULL)) {
			evs_megaflow_add_bytes(mf[i], rte_pktmbuf_pkt_len(pkts[i]));
			/* A run of packets of one megaflow (the common burst shape)
			 * shares the program checked for the first of them. */
			if (i > 0 && mf[i] == mf[i - 1] && clean) {
				acts[i] = acts[i - 1];
				continue;
			}
			p = evs_megaflow_actions(mf[i]);
			clean = !stale(mf[i], p, st);
			if (unlikely(!clean))
				p = revalidate(pl, st, &keys[i], mf[i], &pl->scratch[i]);
		} else {
			clean = false;
			p = upcall(pl, st, &keys[i], &pl->scratch[i]);
		}
		if (likely(p->n_acts > 0 && p->acts[0].type == EVS_ACT_L2))
			acts[i] = p->acts[0].l2;
		else
			acts[i] = (struct evs_l2_action){.type = EVS_L2_ACT_DROP,
							 .reason = EVS_DROP_NO_SWITCH};
	}
	return evs_l2_execute_burst(st->l2, pl->l2, pkts, keys, acts, n, out, out_cap);
}

uint16_t evs_pipeline_run(struct evs_pipeline_lcore *pl, const struct evs_pipeline_state *st,
			  struct rte_mbuf **pkts, const struct evs_flow_key *keys, uint16_t n,
			  struct evs_l2_out *out, uint16_t out_cap)
{
	uint16_t done = 0, n_out = 0;

	ctr_add(&pl->st.packets, n);
	while (done < n) {
		uint16_t k = RTE_MIN(n - done, EVS_CLS_BURST_MAX);

		n_out +=
		    run_chunk(pl, st, pkts + done, keys + done, k, out + n_out, out_cap - n_out);
		done += k;
	}
	return n_out;
}

void evs_pipeline_service(struct evs_pipeline_lcore *pl, uint64_t now, uint64_t idle_cycles)
{
	unsigned int n;

	evs_cls_service(pl->cls, NULL, NULL);
	if (now < pl->next_expire)
		return;
	/* the classifier scans a bounded batch per call: call it about every
	 * millisecond so that a full pass over large tables stays short */
	pl->next_expire = now + RTE_MIN(idle_cycles / 10, rte_get_tsc_hz() / 1000);
	n = evs_cls_expire(pl->cls, now, idle_cycles);
	if (n != 0)
		ctr_add(&pl->st.expired, n);
}

void evs_pipeline_stats_get(const struct evs_pipeline_lcore *pl, struct evs_pipeline_stats *st)
{
	const uint64_t *src = (const uint64_t *)&pl->st;
	uint64_t *dst = (uint64_t *)st;
	size_t i;

	for (i = 0; i < sizeof(*st) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}
