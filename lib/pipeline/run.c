/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The per-burst fast path: ingress hooks, classify, translate misses and
 * stale hits, execute runs of packets sharing a megaflow, recirculate.
 * Runs on the lcore that owns the context.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_malloc.h>

#include "pipeline_private.h"

struct evs_pipeline_lcore *evs_pipeline_lcore_create(const struct evs_pipeline_lcore_config *cfg)
{
	struct evs_pipeline_lcore *pl;
	struct evs_cls_config cc;
	unsigned int i;
	int e = EINVAL;

	if (cfg == NULL || cfg->reg == NULL || cfg->tx == NULL || cfg->pool == NULL)
		goto err;
	e = ENOMEM;
	pl = rte_zmalloc_socket("evs_pipeline", sizeof(*pl), RTE_CACHE_LINE_SIZE, cfg->socket_id);
	if (pl == NULL)
		goto err;
	pl->reg = cfg->reg;
	pl->pool = cfg->pool;
	pl->punt_ring = cfg->punt_ring;
	pl->tx = cfg->tx;
	pl->tx_arg = cfg->tx_arg;
	pl->no_cache = cfg->no_cache;
	pl->epoch_seen = evs_registry_epoch(cfg->reg);
	memset(&cc, 0, sizeof(cc));
	cc.name = cfg->name;
	cc.max_flows = cfg->max_flows;
	cc.emc_entries = cfg->emc_entries;
	cc.emc_disable = cfg->emc_disable;
	cc.actions_max = EVS_PROG_MAX;
	pl->cls = evs_cls_create(&cc);
	if (pl->cls == NULL) {
		e = errno;
		goto err_free;
	}
	e = -inject_ring_create(pl, cfg->inject_size, cfg->socket_id);
	if (e != 0)
		goto err_free;
	for (i = 0; i < cfg->reg->n_mods; i++) {
		const struct evs_module *m = cfg->reg->mods[i];

		if (m->lcore_create == NULL)
			continue;
		pl->mctx[i] = m->lcore_create(&(struct evs_module_lcore_args){
		    .socket_id = cfg->socket_id, .pool = cfg->pool, .arg = cfg->mod_args[i]});
		if (pl->mctx[i] == NULL) {
			e = errno != 0 ? errno : ENOMEM;
			goto err_free;
		}
	}
	return pl;
err_free:
	evs_pipeline_lcore_free(pl);
err:
	errno = e;
	return NULL;
}

void evs_pipeline_lcore_free(struct evs_pipeline_lcore *pl)
{
	unsigned int i;

	if (pl == NULL)
		return;
	for (i = 0; i < pl->reg->n_mods; i++)
		if (pl->mctx[i] != NULL && pl->reg->mods[i]->lcore_free != NULL)
			pl->reg->mods[i]->lcore_free(pl->mctx[i]);
	evs_cls_free(pl->cls);
	inject_ring_free(pl);
	rte_free(pl);
}

struct evs_cls *evs_pipeline_lcore_cls(struct evs_pipeline_lcore *pl)
{
	return pl->cls;
}

void *evs_pipeline_lcore_module(const struct evs_pipeline_lcore *pl, unsigned int mod)
{
	return mod < pl->reg->n_mods ? pl->mctx[mod] : NULL;
}

/* Install the translation of @key (@mask, @prog of @len bytes); NULL when refused. */
static struct evs_megaflow *install(struct evs_pipeline_lcore *pl, const struct evs_flow_key *key,
				    const struct evs_flow_mask *mask, const void *prog, int len)
{
	struct evs_megaflow *f;
	int ret;

	if (len <= 0 || pl->no_cache) /* could not record every dependency: never cached */
		return NULL;
	ret = evs_cls_install(pl->cls, key,
			      &(struct evs_megaflow_spec){.mask = mask,
							  .actions = prog,
							  .actions_len = (uint16_t)len,
							  .gen = (uint32_t)pl->epoch_seen},
			      &f);
	if (ret == -EEXIST && prog_stale(pl->reg, evs_megaflow_actions(f)) &&
	    evs_cls_modify(pl->cls, f, prog, (uint16_t)len, (uint32_t)pl->epoch_seen) < 0)
		return NULL;
	/* EEXIST: the same megaflow is installed (by an earlier packet of this
	 * burst, or an older one that another, overlapping megaflow hid from
	 * the lookup): it now holds this fresh translation */
	return ret == 0 || ret == -EEXIST ? f : NULL;
}

/* A miss: translate and install. Returns the program to run. */
static const struct prog_hdr *upcall(struct evs_pipeline_lcore *pl,
				     const struct evs_pipeline_state *st,
				     const struct evs_flow_key *key, uint8_t *scratch)
{
	struct evs_flow_mask mask;
	struct evs_megaflow *f;
	uint64_t t0 = rte_rdtsc();
	int len;

	len = xlate_run(pl, st, key, &mask, scratch, NULL, 0);
	f = install(pl, key, &mask, scratch, len);
	ctr_add(&pl->st.upcalls, 1);
	ctr_add(&pl->st.upcall_cycles, rte_rdtsc() - t0);
	if (f != NULL)
		return evs_megaflow_actions(f);
	ctr_add(&pl->st.uncached, 1);
	return (const struct prog_hdr *)scratch;
}

/*
 * Re-translate stale megaflow @f for @key: keep it with the new program when
 * the mask is the same, else remove it (and install the new one when @key is
 * a packet's). Returns true when @f was kept.
 */
static bool retranslate(struct evs_pipeline_lcore *pl, const struct evs_pipeline_state *st,
			const struct evs_flow_key *key, struct evs_megaflow *f, uint8_t *scratch,
			struct evs_flow_mask *mask, int *len)
{
	const struct evs_flow_mask *old = evs_cls_flow_mask(pl->cls, f);

	*len = xlate_run(pl, st, key, mask, scratch, NULL, 0);
	ctr_add(&pl->st.revalidated, 1);
	if (old != NULL && *len > 0 && memcmp(old, mask, sizeof(*mask)) == 0 &&
	    evs_cls_modify(pl->cls, f, scratch, (uint16_t)*len, (uint32_t)pl->epoch_seen) == 0)
		return true;
	ctr_add(&pl->st.replaced, 1);
	if (old != NULL)
		evs_cls_remove(pl->cls, f);
	return false;
}

struct chunk {
	const struct evs_flow_key *kp[EVS_CLS_BURST_MAX];
	struct evs_megaflow *mf[EVS_CLS_BURST_MAX];
	uint64_t kills; /* evs_cls_kills() when mf[] was looked up */
};

/* The program for packet @i, after checking its megaflow; *@f set to the
 * megaflow that later packets with the same lookup result may share, or NULL. */
static const struct prog_hdr *resolve(struct evs_pipeline_lcore *pl,
				      const struct evs_pipeline_state *st, struct chunk *c,
				      const struct evs_flow_key *keys, uint16_t i,
				      struct evs_megaflow **share)
{
	struct evs_megaflow *f = c->mf[i];
	const struct prog_hdr *p;
	struct evs_flow_mask mask;
	int len;

	bool current = f != NULL && evs_cls_kills(pl->cls) == c->kills;

	*share = NULL;
	/* Handling an earlier packet may have removed this packet's megaflow and
	 * reused its slot for another one: once any slot was freed since the
	 * lookup, a result is looked up again, and shared with no later packet
	 * (their lookup results are as old as this one's). */
	if (unlikely(f != NULL && !current))
		evs_cls_lookup_burst(pl->cls, &c->kp[i], NULL, 1, &f);
	if (unlikely(f == NULL))
		return upcall(pl, st, &keys[i], pl->scratch[i]);
	p = evs_megaflow_actions(f);
	if (likely(!prog_stale(pl->reg, p))) {
		*share = current ? f : NULL;
		return p;
	}
	/* a table it read changed and the walk has not reached it yet; kept in
	 * place (same mask), it still matches what the later packets matched */
	if (retranslate(pl, st, &keys[i], f, pl->scratch[i], &mask, &len)) {
		*share = current ? f : NULL;
		return evs_megaflow_actions(f);
	}
	f = install(pl, &keys[i], &mask, pl->scratch[i], len);
	if (f == NULL)
		ctr_add(&pl->st.uncached, 1);
	return f != NULL ? evs_megaflow_actions(f) : (const struct prog_hdr *)pl->scratch[i];
}

/* Re-parse recirculated packets keeping their metadata (unless their key
 * was queued exact), and run them again. */
static void recirculate(struct evs_pipeline_lcore *pl, const struct evs_pipeline_state *st,
			uint16_t depth)
{
	struct rte_mbuf *pkts[EVS_CLS_BURST_MAX];
	struct evs_flow_key keys[EVS_CLS_BURST_MAX];
	uint16_t i, n = 0, m = pl->n_recirc;
	uint64_t exact = pl->recirc_exact;

	pl->n_recirc = 0;
	pl->recirc_exact = 0;
	for (i = 0; i < m; i++) {
		const struct evs_flow_key *o = &pl->recirc_keys[i];
		struct evs_flow_key *k = &keys[n];

		if (exact >> i & 1) {
			*k = *o;
			pkts[n++] = pl->recirc_pkts[i];
			continue;
		}
		if (unlikely(evs_packet_parse(pl->recirc_pkts[i], o->in_port, k) !=
			     EVS_DROP_NONE)) {
			rte_pktmbuf_free(pl->recirc_pkts[i]);
			drop_count(pl, ENGINE_DROP_REPARSE, 1);
			continue;
		}
		key_keep_meta(k, o);
		pkts[n++] = pl->recirc_pkts[i];
	}
	ctr_add(&pl->st.recirculated, n);
	if (n != 0)
		run_chunk(pl, st, pkts, keys, n, (uint16_t)(depth + 1), false);
}

void run_chunk(struct evs_pipeline_lcore *pl, const struct evs_pipeline_state *st,
	       struct rte_mbuf **pkts, struct evs_flow_key *keys, uint16_t n, uint16_t depth,
	       bool hooks)
{
	struct evs_exec x = {.pl = pl, .st = st, .mod = ENGINE_MOD, .depth = depth};
	struct chunk c;
	uint16_t i, j;

	if (hooks) {
		/* stateful, per packet, never cached (learning) */
		for (i = 0; i < pl->reg->n_mods; i++)
			if (pl->reg->mods[i]->ingress != NULL)
				pl->reg->mods[i]->ingress(st->mod[i], pl->mctx[i], keys, n);
	}
	for (i = 0; i < n; i++)
		c.kp[i] = &keys[i];
	/* the classifier hashes whole keys itself, only when its EMC is in use */
	evs_cls_lookup_burst(pl->cls, c.kp, NULL, n, c.mf);
	c.kills = evs_cls_kills(pl->cls);
	for (i = 0; i < n; i = j) {
		struct evs_megaflow *share;
		const struct prog_hdr *p = resolve(pl, st, &c, keys, i, &share);
		uint64_t bytes = rte_pktmbuf_pkt_len(pkts[i]);

		/* the run: following packets that matched the same live entry */
		for (j = i + 1; share != NULL && j < n && c.mf[j] == share; j++)
			bytes += rte_pktmbuf_pkt_len(pkts[j]);
		if (share != NULL)
			evs_megaflow_add_bytes(share, bytes);
		exec_prog(&x, p, pkts + i, keys + i, (uint16_t)(j - i));
	}
	if (unlikely(pl->n_recirc != 0))
		recirculate(pl, st, depth);
}

uint16_t evs_pipeline_run(struct evs_pipeline_lcore *pl, const struct evs_pipeline_state *st,
			  struct rte_mbuf **pkts, struct evs_flow_key *keys, uint16_t n)
{
	uint16_t done = 0;

	ctr_add(&pl->st.packets, n);
	while (done < n) {
		uint16_t k = RTE_MIN(n - done, EVS_CLS_BURST_MAX);

		run_chunk(pl, st, pkts + done, keys + done, k, 0, true);
		done += k;
	}
	return n;
}

struct walk_arg {
	struct evs_pipeline_lcore *pl;
	const struct evs_pipeline_state *st;
};

/* Budgeted revalidation walk: only megaflows whose tables changed are re-translated. */
static enum evs_cls_verdict walk_fn(struct evs_cls *cls, struct evs_megaflow *f, void *arg)
{
	struct walk_arg *w = arg;
	struct evs_flow_mask mask;
	int len;

	(void)cls;
	if (!prog_stale(w->pl->reg, evs_megaflow_actions(f)))
		return EVS_CLS_KEEP;
	/* the masked key translates like every key it matches (mask sufficiency) */
	return retranslate(w->pl, w->st, &f->key, f, w->pl->scratch[0], &mask, &len)
		   ? EVS_CLS_KEEP
		   : EVS_CLS_REMOVE;
}

void evs_pipeline_service(struct evs_pipeline_lcore *pl, const struct evs_pipeline_state *st,
			  uint64_t now, uint64_t idle_cycles)
{
	struct walk_arg w = {.pl = pl, .st = st};
	uint64_t epoch = evs_registry_epoch(pl->reg);
	unsigned int n;

	if (unlikely(epoch != pl->epoch_seen)) {
		/* a walk under way restarts: entries it passed may be stale again */
		pl->epoch_seen = epoch;
		evs_cls_request(pl->cls, EVS_CLS_REQ_REVALIDATE);
		ctr_add(&pl->st.walks, 1);
	}
	evs_cls_service(pl->cls, walk_fn, &w);
	if (unlikely(now >= pl->next_tick)) {
		unsigned int i;

		for (i = 0; i < pl->reg->n_mods; i++)
			if (pl->reg->mods[i]->tick != NULL)
				pl->reg->mods[i]->tick(pl->mctx[i]);
		pl->next_tick = now + rte_get_tsc_hz();
	}
	if (now < pl->next_expire)
		return;
	/* the classifier scans a bounded batch per call: a full pass every
	 * idle/10, in as many calls as it takes, at most one a millisecond.
	 * (A call every millisecond whatever the size scanned a table that
	 * once held 64k megaflows four times a millisecond: a cache miss a
	 * slot, ~16k a call.) */
	pl->next_expire = now + RTE_MAX(idle_cycles / 10 / evs_cls_expire_calls(pl->cls),
					rte_get_tsc_hz() / 1000);
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

void evs_pipeline_drops_add(const struct evs_pipeline_lcore *pl, uint64_t *drops)
{
	unsigned int i;

	for (i = 0; i < pl->reg->n_drops; i++)
		drops[i] += __atomic_load_n(&pl->drops[i], __ATOMIC_RELAXED);
	/* counted apart: its writers are the producers, not the owner */
	drops[ENGINE_DROP_INJECT_FULL] += __atomic_load_n(&pl->inject_full, __ATOMIC_RELAXED);
}
