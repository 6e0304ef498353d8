/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PMD lcore loop: rx burst -> parse -> pipeline (modules' programs) -> buffered tx.
 * Run to completion; reads only the published snapshot; reports a
 * quiescent state once per loop so that the management lcore can free old
 * snapshots and removed ports.
 */

#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "app.h"
#include "evs_pipeline.h"
#include "evs_port.h"

/* Counters have one writer (this PMD) and are read by the management lcore
 * with relaxed loads: relaxed atomic stores avoid torn values, and nothing
 * else is published through them. */
static inline void ctr_add(uint64_t *c, uint64_t v)
{
	__atomic_store_n(c, *c + v, __ATOMIC_RELAXED);
}

/* Parse a burst; drops are counted and freed, survivors compacted in place. */
static inline uint16_t parse_burst(struct pmd_ctx *ctx, const struct dp_rxq *rq,
				   struct rte_mbuf **pkts, uint16_t n, struct evs_flow_key *keys)
{
	uint16_t i, k = 0;

	for (i = 0; i < n; i++) {
		enum evs_drop_reason r;

		if (i + 2 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 2], void *));
		r = evs_packet_parse(pkts[i], rq->port_idx, &keys[k]);
		if (unlikely(r == EVS_DROP_NONE && evs_packet_oversize(pkts[i], rq->mtu)))
			r = EVS_DROP_OVERSIZE;
		if (unlikely(r != EVS_DROP_NONE)) {
			ctr_add(&ctx->drops[r], 1);
			rte_pktmbuf_free(pkts[i]);
			continue;
		}
		pkts[k++] = pkts[i];
	}
	return k;
}

/*
 * Per-port tx buffers of one PMD and the list of those holding packets: a
 * flood to hundreds of ports costs one buffer slot per copy and one dirty
 * entry per port, with no burst-times-ports output array.
 */
struct pmd_tx {
	struct evs_port_txbuf txb[CONF_MAX_PORTS];
	uint32_t n_pkts; /* taken since the last flush */
	uint16_t n_dirty;
	uint16_t dirty[CONF_MAX_PORTS];
	bool queued[CONF_MAX_PORTS];
};

struct pmd_tx *pmd_tx_create(int socket_id)
{
	return rte_zmalloc_socket("evs_pmd_tx", sizeof(struct pmd_tx), RTE_CACHE_LINE_SIZE,
				  socket_id);
}

void pmd_tx_free(struct pmd_tx *t)
{
	rte_free(t);
}

uint16_t pmd_tx(void *arg, uint16_t port, struct rte_mbuf **pkts, uint16_t n)
{
	struct pmd_tx *t = arg;
	struct evs_port_txbuf *tb;
	uint16_t i;

	if (unlikely(port >= CONF_MAX_PORTS || t->txb[port].port == NULL))
		return 0; /* the pipeline counts them as no_port */
	tb = &t->txb[port];
	if (!t->queued[port]) {
		t->queued[port] = true;
		t->dirty[t->n_dirty++] = port;
	}
	for (i = 0; i < n; i++)
		evs_port_txbuf_add(tb, pkts[i]);
	t->n_pkts += n;
	return n;
}

/* Send everything buffered. */
static void pmd_tx_flush(struct pmd_tx *t)
{
	uint16_t i;

	for (i = 0; i < t->n_dirty; i++) {
		evs_port_txbuf_flush(&t->txb[t->dirty[i]]);
		t->queued[t->dirty[i]] = false;
	}
	t->n_dirty = 0;
}

int pmd_main(void *arg)
{
	struct pmd_args *pa = arg;
	struct evs_app *app = pa->app;
	struct pmd_ctx *ctx = pa->ctx;
	struct pmd_tx *tx = ctx->tx;
	uint64_t gen = 0;
	struct rte_mbuf *pkts[DP_BURST];
	struct evs_flow_key keys[DP_BURST];
	uint64_t t0, t1, idle_polls = 0;
	unsigned int qsbr_id = ctx->lcore;
	const uint64_t flow_idle = rte_get_tsc_hz() / 1000 * app->flow_idle_ms;

	rte_rcu_qsbr_thread_online(app->qsbr, qsbr_id);
	t0 = rte_rdtsc();
	/* relaxed: a stale read only delays the exit by one iteration */
	while (__atomic_load_n(&app->stop, __ATOMIC_RELAXED) == 0) {
		/* acquire pairs with the release store in apply.c: the snapshot's
		 * contents are visible before its pointer */
		const struct dp_snapshot *s = __atomic_load_n(&app->snap, __ATOMIC_ACQUIRE);
		const struct dp_pmd_conf *pc = &s->pmd[ctx->idx];
		struct app_states st;
		uint64_t moved = 0;
		uint16_t q, i;

		app_states_fill(app, s, &st);
		if (unlikely(s->gen != gen)) {
			/* buffers are empty here: each iteration flushes them all */
			for (i = 0; i < CONF_MAX_PORTS; i++)
				evs_port_txbuf_init(&tx->txb[i], s->ports[i], (uint16_t)ctx->idx);
			gen = s->gen;
			__atomic_store_n(&ctx->gen_seen, gen, __ATOMIC_RELAXED);
		}
		for (q = 0; q < pc->n_rxq; q++) {
			const struct dp_rxq *rq = &pc->rxq[q];
			uint16_t n;

			n = evs_port_rx_burst(rq->port, rq->queue, pkts, DP_BURST);
			if (n == 0)
				continue;
			ctr_add(&ctx->rx_pkts, n);
			moved += n;
			n = parse_burst(ctx, rq, pkts, n, keys);
			evs_pipeline_run(ctx->pl, &st.pst, pkts, keys, n);
		}
		/* Flush everything before reporting quiescence: no mbuf stays
		 * buffered for a port that the management lcore may free next. */
		if (tx->n_pkts != 0) {
			ctr_add(&ctx->tx_pkts, tx->n_pkts);
			tx->n_pkts = 0;
		}
		pmd_tx_flush(tx);
		rte_rcu_qsbr_quiescent(app->qsbr, qsbr_id);

		t1 = rte_rdtsc();
		evs_pipeline_service(ctx->pl, &st.pst, t1, flow_idle);
		if (moved != 0) {
			ctr_add(&ctx->busy_cycles, t1 - t0);
			idle_polls = 0;
		} else {
			ctr_add(&ctx->idle_cycles, t1 - t0);
			if (app->pmd_sleep_us != 0 && ++idle_polls > 1024) {
				rte_delay_us_sleep(app->pmd_sleep_us);
				t1 = rte_rdtsc();
			}
		}
		t0 = t1;
	}
	rte_rcu_qsbr_thread_offline(app->qsbr, qsbr_id);
	return 0;
}
