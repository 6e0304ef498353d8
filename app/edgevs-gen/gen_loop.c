/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Run set-up and the datapath loop. Each datapath lcore owns a set of
 * transmit and receive units (port, queue) and polls them in one loop:
 * transmit (paced by the TSC when a rate is set), receive and account.
 * No syscalls, locks or allocation from the heap inside the loop.
 */

#include <errno.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "gen_app.h"

enum {
	RX_PREFETCH = 4,
	/* Flows of a scattered walk the per-flow headers serve (64 B each:
	 * 4 MiB, within a last-level cache). */
	GEN_HDR_CACHE_SCATTER_MAX = 65536,
};

/* ------------------------------------------------------------ datapath -- */

static void tx_account(struct gen_tx *t, uint16_t n)
{
	uint64_t bytes = 0;
	uint16_t i;

	/* Lengths and flow ids were saved: the mbufs belong to the PMD now. */
	if (t->fixed_len != 0)
		bytes = (uint64_t)n * t->fixed_len;
	else
		for (i = 0; i < n; i++)
			bytes += t->pend_len[i];
	for (i = 0; i < n; i++)
		evs_gen_sample_mark(&t->sample, t->pend_flow[i]);
	gen_ctr_add(&t->pkts, n);
	gen_ctr_add(&t->bytes, bytes);
}

static uint16_t tx_flush(struct gen_tx *t)
{
	uint16_t n, left;

	n = rte_eth_tx_burst(t->port, t->queue, t->pend, t->npend);
	tx_account(t, n);
	left = (uint16_t)(t->npend - n);
	if (left != 0) {
		gen_ctr_add(&t->refused, 1);
		/* The refused frames go first next time, with new ones after
		 * them up to a whole burst: the port gets full bursts, not
		 * the remainders of refused ones. */
		memmove(t->pend, t->pend + n, left * sizeof(t->pend[0]));
		memmove(t->pend_flow, t->pend_flow + n, left * sizeof(t->pend_flow[0]));
		if (t->fixed_len == 0)
			memmove(t->pend_len, t->pend_len + n, left * sizeof(t->pend_len[0]));
	}
	t->npend = left;
	return n;
}

/* Build @p want frames of the walk into pend[npend..]; the mbufs are there. */
static void tx_build(struct gen_tx *t, uint64_t now, uint16_t want)
{
	struct rte_mbuf **pkts = t->pend + t->npend;
	struct evs_gen_pkt_meta meta;
	uint16_t i, len;

	meta.stamp.stream = t->stream;
	meta.stamp.tsc = (uint32_t)(now >> EVS_GEN_TSC_SHIFT);
	if (t->hc != NULL) {
		/* One size, UDP: the flow's prebuilt headers and the stamp.
		 * The walk and the sequence in locals: the frame stores
		 * (bytes) would make the compiler reload them every frame. */
		const struct evs_gen_hdr_cache *hc = t->hc;
		struct evs_gen_flow_iter it = t->it;
		uint32_t *flow = t->pend_flow + t->npend;
		struct evs_gen_cached_burst cb;

		evs_gen_cached_burst_init(&cb, t->stream, meta.stamp.tsc);
		len = hc->len;
		for (i = 0; i < want; i++) {
			struct rte_mbuf *m = pkts[i];
			uint32_t id = evs_gen_flow_next(t->flows, &it, &meta.round);

			evs_gen_build_cached_one(hc, &cb, id, t->seq + i,
						 rte_pktmbuf_mtod(m, uint8_t *));
			m->data_len = len;
			m->pkt_len = len;
			flow[i] = id;
		}
		t->it = it;
		t->seq += want;
		return;
	}
	for (i = 0; i < want; i++) {
		struct rte_mbuf *m = pkts[i];
		uint32_t id;

		meta.size_idx = t->mix->pattern[t->mix_pos];
		if (++t->mix_pos == t->mix->period)
			t->mix_pos = 0;
		id = evs_gen_flow_next_tuple(t->flows, &t->it, &meta.round, &meta.tuple);
		if (t->reverse)
			meta.tuple = evs_gen_tuple_reverse(meta.tuple);
		meta.stamp.flow_id = id;
		meta.stamp.seq = t->seq++;
		len = evs_gen_build_hdr(t->b, &meta, rte_pktmbuf_mtod(m, uint8_t *));
		m->data_len = len;
		m->pkt_len = len;
		t->pend_flow[t->npend + i] = id;
		t->pend_len[t->npend + i] = len;
	}
}

/* Returns the frames the port took. */
static uint16_t tx_poll(struct gen_tx *t, uint64_t now)
{
	uint64_t want = t->burst - t->npend;

	if (t->pps != 0) {
		uint64_t due = evs_gen_pace_due(now - t->t0, t->pps, t->hz);

		want = due > t->built ? RTE_MIN(due - t->built, want) : 0;
	}
	/* Raw: buffers of this pool only ever go out unmodified and come back
	 * through rte_pktmbuf_free*, which leaves them single-segment with
	 * refcnt 1 and our data_off; data_len and pkt_len are set when built. */
	if (want != 0) {
		if (unlikely(rte_mempool_get_bulk(t->pool, (void **)t->pend + t->npend,
						  (unsigned int)want) != 0)) {
			gen_ctr_add(&t->alloc_fail, 1);
			want = 0;
		} else {
			tx_build(t, now, (uint16_t)want);
			t->built += want;
			t->npend = (uint16_t)(t->npend + want);
		}
	}
	return t->npend != 0 ? tx_flush(t) : 0;
}

/*
 * Zero when a received mbuf is one that rte_pktmbuf_free would only put
 * back in @p mp: one segment, direct, referenced once, of that pool. Its
 * first cache line only: with one segment, next is NULL (an mbuf
 * invariant), and the second line, which a vector receive path never
 * touches, stays cold. Branch-free, to be OR-ed over a burst; the
 * reference count and segment count are read in one load, as vector
 * drivers write them (the mbuf is ours alone).
 */
static inline uint64_t rx_unplain(const struct rte_mbuf *m, const struct rte_mempool *mp)
{
	const uint64_t refcnt_segs = UINT64_C(0xffffffff) << 16, one_one = UINT64_C(0x100010000);
	uint64_t rearm;

	RTE_BUILD_BUG_ON(offsetof(struct rte_mbuf, refcnt) !=
			 offsetof(struct rte_mbuf, data_off) + 2);
	RTE_BUILD_BUG_ON(offsetof(struct rte_mbuf, nb_segs) !=
			 offsetof(struct rte_mbuf, data_off) + 4);
	memcpy(&rearm, &m->rearm_data, sizeof(rearm));
	return ((uintptr_t)m->pool ^ (uintptr_t)mp) | ((rearm & refcnt_segs) ^ one_one) |
	       (m->ol_flags & (RTE_MBUF_F_INDIRECT | RTE_MBUF_F_EXTERNAL));
}

/* Received mbufs back: one mempool put when every one was plain (rx_unplain
 * 0 against pkts[0]'s pool), else rte_pktmbuf_free_bulk. */
static inline void rx_free(struct rte_mbuf **pkts, uint16_t n, bool plain)
{
	if (likely(plain))
		rte_mempool_put_bulk(pkts[0]->pool, (void **)pkts, n);
	else
		rte_pktmbuf_free_bulk(pkts, n);
}

/* Decode and account one frame; 1 if it carried our stamp. */
static inline int rx_check_one(struct gen_rx *r, const struct rte_mbuf *m, uint32_t now)
{
	struct evs_gen_stamp st;
	enum evs_gen_stamp_level lvl;

	lvl = evs_gen_stamp_parse(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, &st);
	if (lvl == EVS_GEN_STAMP_NONE)
		return 0;
	r->stream_pkts[st.stream]++;
	evs_gen_sample_mark(&r->sample, st.flow_id);
	if (lvl >= EVS_GEN_STAMP_SEQ)
		evs_gen_reorder_add(&r->ro[st.stream], st.seq);
	if (lvl == EVS_GEN_STAMP_FULL) {
		int32_t d = (int32_t)(now - st.tsc);

		/* A stamp from the future (TSC skew between cores) counts as
		 * zero, not as a 20-second wrap. */
		evs_gen_hist_add(&r->hist, (uint64_t)(d > 0 ? d : 0) << EVS_GEN_TSC_SHIFT);
	}
	return 1;
}

/*
 * --connect: answer handshake segments where they arrive and send the
 * answers back out of the same port. The responder (the rx port) decodes
 * the SYNs like any received frame, answers them with SYN-ACKs and counts
 * the ACKs that complete them; the initiator (the tx port) answers SYN-ACKs.
 * Only one lcore runs in this mode, so the initiator may share the
 * transmit unit's queue.
 */
static void answers_flush(struct gen_rx *r)
{
	uint16_t sent = rte_eth_tx_burst(r->port, r->queue, r->apend, r->napend);

	gen_ctr_add(&r->answered, sent);
	if (sent != 0 && sent < r->napend)
		memmove(r->apend, r->apend + sent, (r->napend - sent) * sizeof(r->apend[0]));
	r->napend = (uint16_t)(r->napend - sent);
}

static uint16_t rx_poll_connect(struct gen_rx *r)
{
	struct rte_mbuf *pkts[GEN_BURST_MAX];
	uint64_t ours = 0, bytes = 0, acks = 0;
	uint32_t now;
	uint16_t n, i;

	/* Answers the port refused go first; while some wait, nothing is
	 * received (back-pressure), so none is ever dropped here. */
	if (r->napend != 0) {
		answers_flush(r);
		if (r->napend > GEN_BURST_MAX)
			return 0;
	}
	n = rte_eth_rx_burst(r->port, r->queue, pkts, r->burst);
	if (n == 0)
		return 0;
	now = (uint32_t)(rte_rdtsc() >> EVS_GEN_TSC_SHIFT);
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		enum evs_gen_tcp_seen seen;

		seen = evs_gen_tcp_answer(rte_pktmbuf_mtod(m, uint8_t *), m->data_len);
		if (seen == EVS_GEN_TCP_SYN_IN && r->role == GEN_RX_RESPONDER) {
			/* The SYN-ACK keeps the SYN's stamp: account the SYN. */
			if (rx_check_one(r, m, now)) {
				ours++;
				bytes += m->pkt_len;
			}
			r->apend[r->napend++] = m;
		} else if (seen == EVS_GEN_TCP_SYNACK_IN && r->role == GEN_RX_INITIATOR) {
			ours++;
			r->apend[r->napend++] = m;
		} else {
			if (seen == EVS_GEN_TCP_ACK_IN && r->role == GEN_RX_RESPONDER)
				ours++, acks++;
			rte_pktmbuf_free(m);
		}
	}
	answers_flush(r);
	gen_ctr_add(&r->acks, acks);
	gen_ctr_add(&r->pkts, n);
	gen_ctr_add(&r->ours, ours);
	gen_ctr_add(&r->ours_bytes, bytes);
	return n;
}

/* Returns the frames received. */
static uint16_t rx_poll(struct gen_rx *r)
{
	struct rte_mbuf *pkts[GEN_BURST_MAX];
	const struct rte_mempool *mp;
	uint64_t ours = 0, bytes = 0, unplain = 0;
	uint32_t now;
	uint16_t n, i;

	n = rte_eth_rx_burst(r->port, r->queue, pkts, r->burst);
	if (n == 0)
		return 0;
	now = (uint32_t)(rte_rdtsc() >> EVS_GEN_TSC_SHIFT);
	mp = pkts[0]->pool;
	if (r->opaque || r->check_mask != 0) {
		/* Counted by their mbufs: this port receives one direction
		 * only, so the count is the direction's. */
		for (i = 0; i < n; i++) {
			bytes += pkts[i]->pkt_len;
			unplain |= rx_unplain(pkts[i], mp);
		}
	}
	if (r->opaque) {
		/* Encrypted or otherwise unreadable. */
		gen_ctr_add(&r->unchecked, n);
	} else if (r->check_mask == 0) {
		for (i = 0; i < n && i < RX_PREFETCH; i++)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
		for (i = 0; i < n; i++) {
			if (i + RX_PREFETCH < n)
				rte_prefetch0(rte_pktmbuf_mtod(pkts[i + RX_PREFETCH], void *));
			unplain |= rx_unplain(pkts[i], mp);
			if (rx_check_one(r, pkts[i], now)) {
				ours++;
				bytes += pkts[i]->pkt_len;
			}
		}
	} else {
		/* Only every rx_check-th frame's data is read: the others
		 * are counted without touching their (remote) cache lines. */
		uint16_t checked = 0, stamped = 0;

		for (i = (uint16_t)(-r->check_pos & r->check_mask); i < n;
		     i = (uint16_t)(i + r->check_mask + 1)) {
			checked++;
			stamped += rx_check_one(r, pkts[i], now);
		}
		r->check_pos += n;
		ours = stamped;
		gen_ctr_add(&r->unchecked, (uint64_t)(n - checked));
	}
	rx_free(pkts, n, unplain == 0);
	gen_ctr_add(&r->pkts, n);
	gen_ctr_add(&r->ours, ours);
	gen_ctr_add(&r->ours_bytes, bytes);
	return n;
}

int gen_lcore_loop(void *arg)
{
	struct gen_lcore *lc = arg;
	struct gen_run *run = lc->run;
	uint64_t tx_end = run->tx_end, rx_end = run->rx_end, now, prev, busy = 0;
	unsigned int i, moved = 0, backlog;

	/* Busy: cycles of iterations that moved frames while transmitting.
	 * An iteration in which the ports took and gave nothing is the
	 * generator waiting on the device, so busy < window means the
	 * generator had cycles to spare and was not the bottleneck. */
	prev = rte_rdtsc();
	for (;;) {
		now = rte_rdtsc();
		if (moved != 0 && prev < tx_end)
			busy += now - prev;
		prev = now;
		moved = 0;
		/* Relaxed: the flag only needs to be seen eventually and
		 * publishes nothing else. */
		if (unlikely(__atomic_load_n(&gen_stop, __ATOMIC_RELAXED)) && now < tx_end) {
			tx_end = now;
			rx_end = RTE_MIN(rx_end, now + run->drain_cycles);
		}
		if (now >= rx_end)
			break;
		/* --connect: answers waiting for the port go before new SYNs. */
		backlog = 0;
		for (i = 0; i < lc->nrx; i++)
			backlog |= lc->rx[i]->napend;
		if (now < tx_end && backlog == 0)
			for (i = 0; i < lc->ntx; i++)
				moved += tx_poll(lc->tx[i], now);
		for (i = 0; i < lc->nrx; i++)
			moved += lc->rx[i]->role == GEN_RX_SINK ? rx_poll(lc->rx[i])
								: rx_poll_connect(lc->rx[i]);
		if (lc->is_main && run->progress && now >= run->next_tick)
			gen_progress_tick(run, now);
	}
	for (i = 0; i < lc->ntx; i++) {
		struct gen_tx *t = lc->tx[i];

		/* Refused frames never left: they are not counted as sent. */
		rte_pktmbuf_free_bulk(t->pend, t->npend);
		t->npend = 0;
	}
	for (i = 0; i < lc->nrx; i++) {
		struct gen_rx *r = lc->rx[i];

		rte_pktmbuf_free_bulk(r->apend, r->napend);
		gen_ctr_add(&r->answer_refused, r->napend);
		r->napend = 0;
	}
	lc->tx_stopped = RTE_MIN(tx_end, now);
	lc->busy_cycles = busy;
	/* Release: the main lcore reads our counters after seeing the count drop. */
	__atomic_sub_fetch(&run->running, 1, __ATOMIC_RELEASE);
	return 0;
}

/* ------------------------------------------------------------- set-up -- */

static struct evs_gen_builder *builder_for(const struct gen_opts *o, uint16_t port, bool reverse)
{
	struct evs_gen_pkt_config c = o->pkt;

	c.src_mac = o->mac[port];
	c.dst_mac = o->dst_mac[port];
	if (reverse) {
		c.outer_src_ip = o->pkt.outer_dst_ip;
		c.outer_dst_ip = o->pkt.outer_src_ip;
		c.inner_src_mac = o->pkt.inner_dst_mac;
		c.inner_dst_mac = o->pkt.inner_src_mac;
	}
	return evs_gen_builder_create(&c, &o->mix);
}

static void prefill_one(struct rte_mempool *mp __rte_unused, void *arg, void *obj,
			unsigned int idx __rte_unused)
{
	evs_gen_prefill(arg, rte_pktmbuf_mtod((struct rte_mbuf *)obj, uint8_t *));
}

/*
 * Transmit mbufs come from a pool of their own whose every buffer already
 * holds the longest frame: a frame is then built by writing its headers and
 * stamp only. Nothing writes into a transmitted buffer (ports copy out of
 * it), so the payload survives every round trip through the pool; receive
 * queues use the other pool, whose buffers the ports overwrite.
 */
static int tx_pool_create(struct gen_run *run)
{
	const struct gen_opts *o = run->o;
	unsigned int n, room, i;

	n = run->ntx * (o->txd + 2u * GEN_BURST_MAX) + rte_lcore_count() * 512 + 2048;
	room = RTE_MAX((unsigned int)evs_gen_prefill_len(run->b[0]) + EVS_GEN_BUILD_SLACK,
		       (unsigned int)RTE_MBUF_DEFAULT_DATAROOM) +
	       RTE_PKTMBUF_HEADROOM;
	run->tx_pool =
	    rte_pktmbuf_pool_create("gen_tx_pool", n, 256, 0, (uint16_t)room, (int)rte_socket_id());
	if (run->tx_pool == NULL)
		return -rte_errno;
	rte_mempool_obj_iter(run->tx_pool, prefill_one, run->b[0]);
	for (i = 0; i < run->ntx; i++)
		run->tx[i].pool = run->tx_pool;
	return 0;
}

void gen_run_free(struct gen_run *run)
{
	unsigned int i;

	if (run == NULL)
		return;
	for (i = 0; run->tx != NULL && i < run->ntx; i++)
		evs_gen_sample_fini(&run->tx[i].sample);
	for (i = 0; run->rx != NULL && i < run->nrx; i++)
		evs_gen_sample_fini(&run->rx[i].sample);
	rte_free(run->tx);
	rte_free(run->rx);
	rte_free(run->snap);
	rte_mempool_free(run->tx_pool);
	evs_gen_hdr_cache_free(run->hc[0]);
	evs_gen_hdr_cache_free(run->hc[1]);
	evs_gen_builder_free(run->b[0]);
	evs_gen_builder_free(run->b[1]);
	rte_free(run);
}

struct gen_run *gen_run_create(const struct gen_opts *o, struct rte_mempool *pool)
{
	struct gen_run *run;
	unsigned int ndir = o->bidir ? 2 : 1, d, q, i, lcore, nunits;
	int rc = -ENOMEM;

	run = rte_zmalloc("gen_run", sizeof(*run), RTE_CACHE_LINE_SIZE);
	if (run == NULL)
		goto fail;
	run->o = o;
	run->pool = pool;
	run->hz = rte_get_tsc_hz();
	run->drain_cycles = (uint64_t)o->drain_ms * run->hz / 1000;
	run->progress = o->progress > 0;
	run->snap = rte_zmalloc("gen_snap", sizeof(*run->snap), RTE_CACHE_LINE_SIZE);
	if (run->snap == NULL)
		goto fail;
	rc = evs_gen_flows_init(&run->flows, &o->flow);
	if (rc != 0)
		goto fail;
	rc = -ENOMEM;

	if (o->tx_port >= 0) {
		run->ntx = ndir * o->queues;
		run->tx = rte_zmalloc("gen_tx", run->ntx * sizeof(*run->tx), RTE_CACHE_LINE_SIZE);
		if (run->tx == NULL)
			goto fail;
		for (d = 0; d < ndir; d++) {
			uint16_t port = (uint16_t)(d == 0 ? o->tx_port : o->rx_port);

			run->b[d] = builder_for(o, port, d == 1);
			if (run->b[d] == NULL) {
				rc = -errno;
				goto fail;
			}
			/* Optional: without it, headers are built per frame. A
			 * scattered walk over more entries than a cache holds
			 * would miss on every frame: computing is cheaper. */
			errno = 0;
			if (o->flow.order == EVS_GEN_ORDER_SEQ ||
			    o->flow.flows <= GEN_HDR_CACHE_SCATTER_MAX)
				run->hc[d] =
				    evs_gen_hdr_cache_create(run->b[d], &run->flows, d == 1);
			if (run->hc[d] == NULL)
				GEN_LOG(DEBUG, "headers built per frame (%s)\n",
					errno != 0 ? strerror(errno) : "scattered walk");
			for (q = 0; q < o->queues; q++) {
				struct gen_tx *t = &run->tx[d * o->queues + q];

				t->port = port;
				t->queue = (uint16_t)q;
				t->stream = (uint8_t)(d * o->queues + q);
				t->reverse = d == 1;
				t->b = run->b[d];
				t->hc = run->hc[d];
				/* Every frame of a cached direction has one length. */
				t->fixed_len = t->hc != NULL ? t->hc->len : 0;
				t->flows = &run->flows;
				t->mix = &o->mix;
				t->burst = o->burst;
				/* Queues start at evenly spaced flows. */
				t->first_flow = (uint32_t)((uint64_t)o->flow.flows * q / o->queues);
				rc = evs_gen_sample_init(&t->sample, o->flow.flows, o->sample_max);
				if (rc != 0)
					goto fail;
			}
		}
	}
	if (run->ntx != 0) {
		rc = tx_pool_create(run);
		if (rc != 0)
			goto fail;
	}
	if (o->rx_port >= 0) {
		unsigned int nrxdir = o->bidir || o->connect ? 2 : 1;

		run->nrx = nrxdir * o->queues;
		run->rx = rte_zmalloc("gen_rx", run->nrx * sizeof(*run->rx), RTE_CACHE_LINE_SIZE);
		if (run->rx == NULL)
			goto fail;
		for (d = 0; d < nrxdir; d++)
			for (q = 0; q < o->queues; q++) {
				struct gen_rx *r = &run->rx[d * o->queues + q];

				r->port = (uint16_t)(d == 0 ? o->rx_port : o->tx_port);
				r->queue = (uint16_t)q;
				r->burst = o->burst;
				r->check_mask = o->connect ? 0 : o->rx_check - 1;
				r->opaque = o->rx_opaque;
				r->role = !o->connect ? GEN_RX_SINK
					  : d == 0    ? GEN_RX_RESPONDER
						      : GEN_RX_INITIATOR;
				rc = evs_gen_sample_init(&r->sample, o->flow.flows, o->sample_max);
				if (rc != 0)
					goto fail;
			}
	}

	/* Datapath lcores: the workers, or the main lcore alone. Units are
	 * dealt round-robin, transmit first, so two lcores split tx and rx. */
	RTE_LCORE_FOREACH_WORKER (lcore) {
		run->lc[run->nlc].lcore_id = lcore;
		run->lc[run->nlc].run = run;
		run->nlc++;
	}
	if (run->nlc == 0) {
		run->lc[0].lcore_id = rte_get_main_lcore();
		run->lc[0].is_main = true;
		run->lc[0].run = run;
		run->nlc = 1;
		run->main_datapath = true;
	}
	nunits = run->ntx + run->nrx;
	run->nlc = RTE_MIN(run->nlc, nunits);
	if (o->connect && run->nlc != 1) {
		/* The initiator answers on the transmit unit's queue. */
		GEN_LOG(ERR, "--connect runs on one datapath lcore (-l N, one core)\n");
		rc = -EINVAL;
		goto fail;
	}
	for (i = 0; i < nunits; i++) {
		struct gen_lcore *lc = &run->lc[i % run->nlc];

		if (i < run->ntx)
			lc->tx[lc->ntx++] = &run->tx[i];
		else
			lc->rx[lc->nrx++] = &run->rx[i - run->ntx];
	}
	return run;
fail:
	gen_run_free(run);
	errno = -rc;
	return NULL;
}

/* Gratuitous ARP from @p port for @p ip, tagged like the traffic. */
static struct rte_mbuf *garp(const struct gen_opts *o, struct rte_mempool *pool, uint16_t port,
			     uint32_t ip)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t *p;
	unsigned int off = 0, i;

	if (m == NULL)
		return NULL;
	p = rte_pktmbuf_mtod(m, uint8_t *);
	memset(p, 0, 64);
	memset(p, 0xff, 6);
	memcpy(p + 6, o->mac[port].addr_bytes, 6);
	off = 12;
	if (o->pkt.vlan) {
		p[off++] = 0x81;
		p[off++] = 0x00;
		p[off++] = (uint8_t)(o->pkt.vlan_tci >> 8);
		p[off++] = (uint8_t)o->pkt.vlan_tci;
	}
	p[off++] = 0x08;
	p[off++] = 0x06;
	/* htype 1, ptype IPv4, hlen 6, plen 4, op 1 (request) */
	static const uint8_t arp_hdr[8] = {0, 1, 8, 0, 6, 4, 0, 1};
	memcpy(p + off, arp_hdr, 8);
	off += 8;
	memcpy(p + off, o->mac[port].addr_bytes, 6);
	for (i = 0; i < 4; i++) {
		p[off + 6 + i] = (uint8_t)(ip >> (24 - 8 * i));	 /* sender IP */
		p[off + 16 + i] = (uint8_t)(ip >> (24 - 8 * i)); /* target IP: the same */
	}
	off += 20;
	m->data_len = (uint16_t)RTE_MAX(off, 60u);
	m->pkt_len = m->data_len;
	return m;
}

/* Empty every receive queue of both ports (learning replies, stale frames).
 * Bounded: some ports (net_null) never run dry. */
static void drain_all(struct gen_run *run)
{
	const struct gen_opts *o = run->o;
	struct rte_mbuf *pkts[GEN_BURST_MAX];
	int ports[2] = {o->tx_port, o->rx_port};
	unsigned int i, q, k;
	uint16_t n;

	for (i = 0; i < 2; i++)
		for (q = 0; ports[i] >= 0 && q < o->queues; q++)
			for (k = 0; k < 256; k++) {
				n = rte_eth_rx_burst((uint16_t)ports[i], (uint16_t)q, pkts,
						     GEN_BURST_MAX);
				rte_pktmbuf_free_bulk(pkts, n);
				if (n == 0)
					break;
			}
}

void gen_run_learn(struct gen_run *run)
{
	const struct gen_opts *o = run->o;
	uint64_t end;
	int k;

	if (!o->learn || o->tx_port < 0)
		goto out;
	/* Each receiving port says hello three times so that a learning
	 * switch knows where our destination MACs live before traffic. */
	for (k = 0; k < 3; k++) {
		unsigned int d;

		for (d = 0; d < 2; d++) {
			int port = d == 0 ? o->rx_port : (o->bidir ? o->tx_port : -1);
			uint32_t ip = d == 0 ? o->flow.dst_ip_base : o->flow.src_ip_base;
			struct rte_mbuf *m;

			if (port < 0)
				continue;
			m = garp(o, run->pool, (uint16_t)port, ip);
			if (m != NULL && rte_eth_tx_burst((uint16_t)port, 0, &m, 1) == 0)
				rte_pktmbuf_free(m);
		}
	}
out:
	end = rte_get_timer_cycles() + (uint64_t)o->learn_wait_ms * rte_get_timer_hz() / 1000;
	do {
		drain_all(run);
		rte_delay_us_sleep(1000);
		/* Relaxed: a flag seen eventually, publishing nothing else. */
	} while (rte_get_timer_cycles() < end && !__atomic_load_n(&gen_stop, __ATOMIC_RELAXED));
	drain_all(run);
}

/* ------------------------------------------------------------- trials -- */

static void reset_units(struct gen_run *run, uint64_t pps)
{
	unsigned int i;

	for (i = 0; i < run->ntx; i++) {
		struct gen_tx *t = &run->tx[i];

		t->pps = pps;
		t->built = 0;
		t->seq = 0;
		t->mix_pos = 0;
		t->pkts = t->bytes = t->alloc_fail = t->refused = 0;
		evs_gen_flow_iter_init(&run->flows, &t->it, t->first_flow);
		memset(t->sample.bits, 0, (t->sample.nbits + 63) / 64 * sizeof(uint64_t));
	}
	for (i = 0; i < run->nrx; i++) {
		struct gen_rx *r = &run->rx[i];

		r->pkts = r->ours = r->ours_bytes = r->unchecked = 0;
		r->answered = r->acks = r->answer_refused = 0;
		r->check_pos = 0;
		evs_gen_hist_reset(&r->hist);
		memset(r->stream_pkts, 0, sizeof(r->stream_pkts));
		memset(r->ro, 0, sizeof(r->ro));
		memset(r->sample.bits, 0, (r->sample.nbits + 63) / 64 * sizeof(uint64_t));
	}
}

static int dir_fill(struct gen_run *run, struct gen_result *res, unsigned int d, uint64_t cycles)
{
	const struct gen_opts *o = run->o;
	struct gen_dir *g = &res->dir[d];
	struct evs_gen_sample sent = {0}, seen = {0};
	bool streams[GEN_STREAMS_MAX] = {false};
	unsigned int i, s;
	int rc;

	g->tx_port = d == 0 ? o->tx_port : o->rx_port;
	g->rx_port = d == 0 ? o->rx_port : o->tx_port;
	g->lat = rte_zmalloc("gen_lat", sizeof(*g->lat), 0);
	if (g->lat == NULL)
		return -ENOMEM;
	evs_gen_hist_reset(g->lat);
	rc = evs_gen_sample_init(&sent, o->flow.flows, o->sample_max);
	if (rc == 0)
		rc = evs_gen_sample_init(&seen, o->flow.flows, o->sample_max);
	if (rc != 0)
		goto out;
	for (i = 0; i < run->ntx; i++) {
		struct gen_tx *t = &run->tx[i];

		if (t->reverse != (d == 1))
			continue;
		streams[t->stream] = true;
		g->tx_pkts += t->pkts;
		g->tx_bytes += t->bytes;
		g->alloc_fail += t->alloc_fail;
		evs_gen_sample_merge(&sent, &t->sample);
	}
	for (i = 0; i < run->nrx; i++) {
		struct gen_rx *r = &run->rx[i];

		if (g->rx_port < 0 || r->port != g->rx_port)
			continue;
		for (s = 0; s < GEN_STREAMS_MAX; s++)
			if (streams[s]) {
				g->rx_pkts += r->stream_pkts[s];
				g->reordered += r->ro[s].reordered;
			}
		/* Frames not decoded arrived on this direction's receive
		 * port: they are its own (learning frames aside). */
		g->rx_pkts += r->unchecked;
		g->rx_bytes += r->ours_bytes;
		evs_gen_hist_merge(g->lat, &r->hist);
		evs_gen_sample_merge(&seen, &r->sample);
	}
	g->lost = g->tx_pkts > g->rx_pkts ? g->tx_pkts - g->rx_pkts : 0;
	g->loss_ratio = evs_gen_loss_ratio(g->tx_pkts, g->rx_pkts);
	g->tx_mpps = evs_gen_mpps(g->tx_pkts, cycles, run->hz);
	g->rx_mpps = evs_gen_mpps(g->rx_pkts, cycles, run->hz);
	g->tx_gbps = evs_gen_gbps(g->tx_pkts, g->tx_bytes, cycles, run->hz, false);
	g->rx_gbps = evs_gen_gbps(g->rx_pkts, g->rx_bytes, cycles, run->hz, false);
	g->tx_gbps_l1 = evs_gen_gbps(g->tx_pkts, g->tx_bytes, cycles, run->hz, true);
	g->rx_gbps_l1 = evs_gen_gbps(g->rx_pkts, g->rx_bytes, cycles, run->hz, true);
	g->flows_sampled = sent.nbits;
	g->flows_sample_sent = evs_gen_sample_count(&sent);
	g->flows_checked = o->rx_check == 1 && !o->rx_opaque;
	g->flows_sample_missing =
	    g->rx_port >= 0 && g->flows_checked ? evs_gen_sample_missing(&sent, &seen) : 0;
out:
	evs_gen_sample_fini(&sent);
	evs_gen_sample_fini(&seen);
	return rc;
}

static int result_fill(struct gen_run *run, struct gen_result *res, uint64_t tx_stop)
{
	uint64_t cycles = tx_stop > run->t_start ? tx_stop - run->t_start : 0;
	struct gen_dir *a = &res->all;
	unsigned int d, i;
	int rc;

	memset(res, 0, sizeof(*res));
	res->duration_s = (double)cycles / (double)run->hz;
	res->ndir = run->ntx == 0 ? 1 : (run->o->bidir ? 2 : 1);
	for (i = 0; i < run->nrx; i++)
		res->rx_foreign += run->rx[i].pkts - run->rx[i].ours - run->rx[i].unchecked;
	for (i = 0; i < run->ntx; i++)
		res->tx_refused += run->tx[i].refused;
	for (i = 0; i < run->nrx; i++) {
		const struct gen_rx *r = &run->rx[i];

		if (r->role == GEN_RX_RESPONDER) {
			res->synack_sent += r->answered;
			res->conns += r->acks;
		} else if (r->role == GEN_RX_INITIATOR) {
			res->ack_sent += r->answered;
		}
		res->answer_refused += r->answer_refused;
	}
	for (i = 0; i < run->nlc && cycles != 0; i++)
		res->gen_busy_pct = RTE_MAX(
		    res->gen_busy_pct, 100.0 * (double)run->lc[i].busy_cycles / (double)cycles);
	a->lat = rte_zmalloc("gen_lat", sizeof(*a->lat), 0);
	if (a->lat == NULL)
		return -ENOMEM;
	evs_gen_hist_reset(a->lat);
	a->tx_port = a->rx_port = -1;
	a->flows_checked = run->o->rx_check == 1 && !run->o->rx_opaque;
	for (d = 0; d < res->ndir; d++) {
		struct gen_dir *g = &res->dir[d];

		rc = dir_fill(run, res, d, cycles);
		if (rc != 0)
			return rc;
		a->tx_pkts += g->tx_pkts;
		a->tx_bytes += g->tx_bytes;
		a->rx_pkts += g->rx_pkts;
		a->rx_bytes += g->rx_bytes;
		a->lost += g->lost;
		a->reordered += g->reordered;
		a->alloc_fail += g->alloc_fail;
		a->flows_sampled += g->flows_sampled;
		a->flows_sample_sent += g->flows_sample_sent;
		a->flows_sample_missing += g->flows_sample_missing;
		evs_gen_hist_merge(a->lat, g->lat);
	}
	if (run->ntx == 0) {
		/* Sink only: everything with a stamp counts as received. */
		for (i = 0; i < run->nrx; i++) {
			a->rx_pkts += run->rx[i].ours;
			a->rx_bytes += run->rx[i].ours_bytes;
			for (d = 0; d < GEN_STREAMS_MAX; d++)
				a->reordered += run->rx[i].ro[d].reordered;
			evs_gen_hist_merge(a->lat, &run->rx[i].hist);
		}
		res->dir[0].rx_pkts = a->rx_pkts;
		res->dir[0].rx_bytes = a->rx_bytes;
		res->dir[0].reordered = a->reordered;
		evs_gen_hist_merge(res->dir[0].lat, a->lat);
		res->dir[0].rx_mpps = evs_gen_mpps(a->rx_pkts, cycles, run->hz);
		res->dir[0].rx_gbps = evs_gen_gbps(a->rx_pkts, a->rx_bytes, cycles, run->hz, false);
		res->dir[0].rx_gbps_l1 =
		    evs_gen_gbps(a->rx_pkts, a->rx_bytes, cycles, run->hz, true);
	}
	a->loss_ratio = evs_gen_loss_ratio(a->tx_pkts, a->rx_pkts);
	a->tx_mpps = evs_gen_mpps(a->tx_pkts, cycles, run->hz);
	a->rx_mpps = evs_gen_mpps(a->rx_pkts, cycles, run->hz);
	a->tx_gbps = evs_gen_gbps(a->tx_pkts, a->tx_bytes, cycles, run->hz, false);
	a->rx_gbps = evs_gen_gbps(a->rx_pkts, a->rx_bytes, cycles, run->hz, false);
	a->tx_gbps_l1 = evs_gen_gbps(a->tx_pkts, a->tx_bytes, cycles, run->hz, true);
	a->rx_gbps_l1 = evs_gen_gbps(a->rx_pkts, a->rx_bytes, cycles, run->hz, true);
	return 0;
}

void gen_result_free(struct gen_result *res)
{
	unsigned int d;

	for (d = 0; d < 2; d++) {
		rte_free(res->dir[d].lat);
		res->dir[d].lat = NULL;
	}
	rte_free(res->all.lat);
	res->all.lat = NULL;
}

int gen_run_trial(struct gen_run *run, uint64_t pps, double duration_s, struct gen_result *res)
{
	uint64_t now, tx_stop = 0;
	unsigned int i;
	int rc;

	reset_units(run, pps);
	/* Port counters then describe this trial (drain included); a driver
	 * without reset keeps counting from the start, which is fine too. */
	if (run->o->tx_port >= 0)
		rte_eth_stats_reset((uint16_t)run->o->tx_port);
	if (run->o->rx_port >= 0 && run->o->rx_port != run->o->tx_port)
		rte_eth_stats_reset((uint16_t)run->o->rx_port);
	now = rte_rdtsc();
	run->t_start = now;
	run->tx_end = duration_s > 0 ? now + (uint64_t)(duration_s * (double)run->hz) : UINT64_MAX;
	run->rx_end = run->tx_end == UINT64_MAX ? UINT64_MAX : run->tx_end + run->drain_cycles;
	run->next_tick = now + run->hz;
	run->last_tick = now;
	run->last_tx = run->last_rx = run->last_txb = run->last_rxb = 0;
	for (i = 0; i < run->ntx; i++) {
		run->tx[i].t0 = now;
		run->tx[i].hz = run->hz;
	}
	/* Relaxed is enough here: rte_eal_remote_launch orders it before the
	 * workers start. */
	__atomic_store_n(&run->running, run->nlc, __ATOMIC_RELAXED);
	for (i = 0; i < run->nlc; i++) {
		if (run->lc[i].is_main)
			continue;
		rc = rte_eal_remote_launch(gen_lcore_loop, &run->lc[i], run->lc[i].lcore_id);
		if (rc != 0) {
			GEN_LOG(ERR, "cannot launch lcore %u: %s\n", run->lc[i].lcore_id,
				rte_strerror(-rc));
			__atomic_store_n(&gen_stop, 1, __ATOMIC_RELAXED);
			__atomic_sub_fetch(&run->running, 1, __ATOMIC_RELEASE);
		}
	}
	if (run->main_datapath) {
		gen_lcore_loop(&run->lc[0]);
	} else {
		/* Acquire pairs with each loop's release on exit. */
		while (__atomic_load_n(&run->running, __ATOMIC_ACQUIRE) != 0) {
			now = rte_rdtsc();
			if (run->progress && now >= run->next_tick)
				gen_progress_tick(run, now);
			rte_delay_us_sleep(5000);
		}
	}
	rte_eal_mp_wait_lcore();
	for (i = 0; i < run->nlc; i++)
		tx_stop = RTE_MAX(tx_stop, run->lc[i].tx_stopped);
	if (run->ntx == 0) {
		/* Sink only: the window is the whole run. */
		tx_stop = rte_rdtsc();
	}
	rc = result_fill(run, res, tx_stop);
	if (rc != 0)
		return rc;
	res->offered_pps = (double)pps;
	return __atomic_load_n(&gen_stop, __ATOMIC_RELAXED) ? -EINTR : 0;
}
