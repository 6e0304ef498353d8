/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PMD lcore loop: rx burst -> parse -> L2 decide/execute -> buffered tx.
 * Run to completion; reads only the published snapshot; reports a
 * quiescent state once per loop so that the management lcore can free old
 * snapshots and removed ports.
 */

#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "app.h"
#include "evs_l2.h"
#include "evs_port.h"

struct pmd_txbuf {
	uint16_t n;
	struct rte_mbuf *m[DP_BURST * 2];
};

static inline void txbuf_flush(struct pmd_ctx *ctx, struct evs_port *port, uint16_t txq,
			       struct pmd_txbuf *tb)
{
	uint16_t sent;

	if (tb->n == 0)
		return;
	sent = evs_port_tx_burst(port, txq, tb->m, tb->n);
	ctx->tx_pkts += sent;
	if (unlikely(sent < tb->n)) {
		ctx->drops[EVS_DROP_TX_FULL] += tb->n - sent;
		rte_pktmbuf_free_bulk(&tb->m[sent], tb->n - sent);
	}
	tb->n = 0;
}

/* Parse a burst; drops are counted and freed, survivors compacted in place. */
static inline uint16_t parse_burst(struct pmd_ctx *ctx, uint16_t in_port, struct rte_mbuf **pkts,
				   uint16_t n, struct evs_flow_key *keys)
{
	uint16_t i, k = 0;

	for (i = 0; i < n; i++) {
		enum evs_drop_reason r;

		if (i + 2 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 2], void *));
		r = evs_packet_parse(pkts[i], in_port, &keys[k]);
		if (unlikely(r != EVS_DROP_NONE)) {
			ctx->drops[r]++;
			rte_pktmbuf_free(pkts[i]);
			continue;
		}
		pkts[k++] = pkts[i];
	}
	return k;
}

int pmd_main(void *arg)
{
	struct pmd_args *pa = arg;
	struct evs_app *app = pa->app;
	struct pmd_ctx *ctx = pa->ctx;
	static __thread struct pmd_txbuf txb[CONF_MAX_PORTS];
	struct rte_mbuf *pkts[DP_BURST];
	struct evs_flow_key keys[DP_BURST];
	struct evs_l2_out out[DP_BURST * 4];
	uint64_t t0, t1, idle_polls = 0;
	unsigned int qsbr_id = ctx->lcore;

	rte_rcu_qsbr_thread_online(app->qsbr, qsbr_id);
	t0 = rte_rdtsc();
	/* relaxed: a stale read only delays the exit by one iteration */
	while (__atomic_load_n(&app->stop, __ATOMIC_RELAXED) == 0) {
		/* acquire pairs with the release store in apply.c: the snapshot's
		 * contents are visible before its pointer */
		const struct dp_snapshot *s = __atomic_load_n(&app->snap, __ATOMIC_ACQUIRE);
		const struct dp_pmd_conf *pc = &s->pmd[ctx->idx];
		uint64_t moved = 0;
		uint16_t q, i;

		ctx->gen_seen = s->gen;
		for (q = 0; q < pc->n_rxq; q++) {
			const struct dp_rxq *rq = &pc->rxq[q];
			uint16_t n, n_out;

			n = evs_port_rx_burst(rq->port, rq->queue, pkts, DP_BURST);
			if (n == 0)
				continue;
			ctx->rx_pkts += n;
			moved += n;
			n = parse_burst(ctx, rq->port_idx, pkts, n, keys);
			n_out = evs_l2_forward_burst(s->l2, app->macs, ctx->l2, pkts, keys, n, out,
						     RTE_DIM(out));
			for (i = 0; i < n_out; i++) {
				uint16_t p = out[i].port;
				struct pmd_txbuf *tb = &txb[p];

				tb->m[tb->n++] = out[i].m;
				if (tb->n == RTE_DIM(tb->m))
					txbuf_flush(ctx, s->ports[p], (uint16_t)ctx->idx, tb);
			}
		}
		/* Flush everything before reporting quiescence: no mbuf stays
		 * buffered for a port that the management lcore may free next. */
		for (i = 0; i < CONF_MAX_PORTS; i++)
			if (txb[i].n != 0)
				txbuf_flush(ctx, s->ports[i], (uint16_t)ctx->idx, &txb[i]);
		rte_rcu_qsbr_quiescent(app->qsbr, qsbr_id);

		t1 = rte_rdtsc();
		if (moved != 0) {
			ctx->busy_cycles += t1 - t0;
			idle_polls = 0;
		} else {
			ctx->idle_cycles += t1 - t0;
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
