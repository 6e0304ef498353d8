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
 * Outputs of one pipeline call. A packet has at most max(1, max_flood)
 * outputs, so a burst is run in sub-bursts that cannot overflow this: the
 * whole burst while no switch has more than DP_OUT_MAX / DP_BURST (64)
 * members, a few packets at a time in larger flood domains. (The engine's
 * output opcode can put copies straight into the tx set instead.)
 */
#define DP_OUT_MAX (2 * CONF_MAX_PORTS)

static inline uint16_t sub_burst(const struct dp_snapshot *s)
{
	uint16_t f = s->l2 != NULL ? RTE_MAX(s->l2->max_flood, 1) : 1;

	return (uint16_t)RTE_MIN(DP_BURST, DP_OUT_MAX / f);
}

/* Hand a pipeline call's outputs to the tx set; ports gone are counted. */
static inline void to_txset(struct pmd_ctx *ctx, struct evs_l2_out *out, uint16_t n)
{
	uint16_t i;

	for (i = 0; i < n; i++)
		if (unlikely(evs_port_txset_add(ctx->txs, out[i].port, out[i].m) < 0)) {
			ctr_add(&ctx->drops[EVS_DROP_PORT_DOWN], 1);
			rte_pktmbuf_free(out[i].m);
		}
}

int pmd_main(void *arg)
{
	struct pmd_args *pa = arg;
	struct evs_app *app = pa->app;
	struct pmd_ctx *ctx = pa->ctx;
	uint64_t gen = 0;
	struct rte_mbuf *pkts[DP_BURST];
	struct evs_flow_key keys[DP_BURST];
	struct evs_l2_out out[DP_OUT_MAX];
	uint64_t t0, t1, idle_polls = 0, next_sec = 0;
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
		const struct evs_pipeline_state pst = {
			.l2 = s->l2,
			.macs = app->macs,
			.gen = (uint32_t)s->gen,
			/* acquire pairs with app_macs_changed() */
			.macs_gen = __atomic_load_n(&app->macs_gen, __ATOMIC_ACQUIRE),
		};
		uint64_t moved = 0;
		uint32_t q;
		uint16_t step;

		if (unlikely(s->gen != gen)) {
			/* the set is empty here: each iteration flushes it */
			evs_port_txset_bind(ctx->txs, s->ports, s->n_ports);
			gen = s->gen;
			__atomic_store_n(&ctx->gen_seen, gen, __ATOMIC_RELAXED);
		}
		step = sub_burst(s);
		for (q = 0; q < pc->n_rxq; q++) {
			const struct dp_rxq *rq = &pc->rxq[q];
			uint16_t n, n_out, done, k;

			n = evs_port_rx_burst(rq->port, rq->queue, pkts, DP_BURST);
			if (n == 0)
				continue;
			ctr_add(&ctx->rx_pkts, n);
			moved += n;
			n = parse_burst(ctx, rq, pkts, n, keys);
			for (done = 0; done < n; done += k) {
				k = RTE_MIN(step, n - done);
				n_out = evs_pipeline_run(ctx->pl, &pst, pkts + done, keys + done, k,
							 out, RTE_DIM(out));
				to_txset(ctx, out, n_out);
				ctr_add(&ctx->tx_pkts, n_out);
			}
		}
		/* Flush everything before reporting quiescence: no mbuf stays
		 * buffered for a port that the management lcore may free next. */
		evs_port_txset_flush(ctx->txs);
		rte_rcu_qsbr_quiescent(app->qsbr, qsbr_id);

		t1 = rte_rdtsc();
		evs_pipeline_service(ctx->pl, t1, flow_idle);
		if (unlikely(t1 >= next_sec)) {
			/* learning/aging run on a seconds clock: refresh it once a second */
			evs_l2_lcore_set_time(ctx->l2, evs_l2_now());
			next_sec = t1 + rte_get_tsc_hz();
		}
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
