/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PMD lcore loop: rx burst -> parse -> pipeline (the modules' programs) ->
 * the tx set; then the packets injected by the management lcore.
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
 * Output of the pipeline's programs, straight into the tx set: a flood to
 * hundreds of ports takes one buffered slot per copy, no burst-times-ports
 * array. Packets for a port not in the snapshot are refused (the engine
 * frees and counts them as no_port).
 */
uint16_t pmd_tx(void *arg, uint16_t port, struct rte_mbuf **pkts, uint16_t n)
{
	struct pmd_ctx *ctx = arg;
	uint16_t sent;

	if (unlikely(port >= EVS_L2_TUNNEL_BASE))
		return app_overlay_tx(ctx, port, pkts, n);
	if (unlikely(ctx->ov_port_policy) && evs_overlay_dp_port_encrypted(ctx->odp, port))
		return app_overlay_tx_guarded(ctx, port, pkts, n);
	sent = evs_port_txset_add_burst(ctx->txs, port, pkts, n);

	ctr_add(&ctx->tx_pkts, sent);
	return sent;
}

int pmd_main(void *arg)
{
	struct pmd_args *pa = arg;
	struct evs_app *app = pa->app;
	struct pmd_ctx *ctx = pa->ctx;
	uint64_t gen = 0;
	struct rte_mbuf *pkts[DP_BURST];
	struct evs_flow_key keys[DP_BURST];
	uint64_t t0, t1, idle_polls = 0;
	unsigned int qsbr_id = ctx->lcore;
	const uint64_t flow_idle = rte_get_tsc_hz() / 1000 * app->flow_idle_ms;
	struct app_states st; /* filled at the first snapshot (gen 0 is never published) */

	rte_rcu_qsbr_thread_online(app->qsbr, qsbr_id);
	app_overlay_pmd_start(app, ctx);
	t0 = rte_rdtsc();
	/* relaxed: a stale read only delays the exit by one iteration */
	while (__atomic_load_n(&app->stop, __ATOMIC_RELAXED) == 0) {
		/* acquire pairs with the release store in apply.c: the snapshot's
		 * contents are visible before its pointer */
		const struct dp_snapshot *s = __atomic_load_n(&app->snap, __ATOMIC_ACQUIRE);
		const struct dp_pmd_conf *pc = &s->pmd[ctx->idx];
		/* acquire: lib/overlay publishes its tunnel table with release */
		const struct evs_overlay_dp *odp = evs_overlay_dp_get(app->ov);
		uint64_t moved = 0;
		uint32_t q;

		ctx->odp = odp;
		ctx->ov_port_policy = evs_overlay_dp_port_policy(odp);

		if (unlikely(s->gen != gen)) {
			/* the module states derive from the snapshot (and pointers
			 * fixed at start-up): refill them only when it changes */
			app_states_fill(app, s, &st);
			/* the set is empty here: each iteration flushes it */
			evs_port_txset_bind(ctx->txs, s->ports, s->n_ports);
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
			if (unlikely(evs_overlay_dp_is_underlay(odp, rq->port_idx))) {
				n = app_overlay_rx(ctx, odp, rq->port_idx, pkts, n, keys);
			} else {
				if (unlikely(ctx->ov_port_policy)) /* encrypted, or tags sent */
					evs_overlay_mark_rx(app->ov, odp, rq->port_idx, pkts, n);
				n = parse_burst(ctx, rq, pkts, n, keys);
			}
			evs_pipeline_run(ctx->pl, &st.pst, pkts, keys, n);
		}
		/* what the management lcore handed us (ARP/ND answers, ICMP
		 * errors, released packets), bounded like one more rx queue */
		moved += evs_pipeline_inject_drain(ctx->pl, &st.pst, DP_BURST);
		if (moved != 0)
			mgmt_wake(app); /* what it punted is handled now, not at its next poll */
		/* Flush everything before reporting quiescence: no mbuf stays
		 * buffered for a port that the management lcore may free next. */
		evs_port_txset_flush(ctx->txs);
		rte_rcu_qsbr_quiescent(app->qsbr, qsbr_id);
		ctx->ov_port_policy = false; /* odp may go now: not read until the next loop */

		t1 = rte_rdtsc();
		evs_pipeline_service(ctx->pl, &st.pst, t1, flow_idle);
		evs_ct_module_poll(evs_pipeline_lcore_module(ctx->pl, (unsigned int)app->mod_ct));
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
	app_overlay_pmd_stop(ctx);
	rte_rcu_qsbr_thread_offline(app->qsbr, qsbr_id);
	return 0;
}
