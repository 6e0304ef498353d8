/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the pipeline benches (bench-pipeline, bench-lb-pipeline) share: a
 * pool and L2 world, a burst of UDP frames rewritten per flow (set-up in
 * bench_pl.c), a warm-up that sends every flow once, and runs of bursts
 * over the flows in a scattered order, timing parse and evs_pipeline_run
 * apart (TSC ticks per packet, medians).
 *
 * The loop is inline on purpose: with the bench's flow writer a constant, the compiler
 * builds the same loop each bench had, so instruction counts of whole runs
 * stay comparable with earlier ones. timed_burst keeps its name: the docs'
 * callgrind commands select it with --toggle-collect=timed_burst.
 */
#ifndef EVS_TEST_PERF_BENCH_PL_H
#define EVS_TEST_PERF_BENCH_PL_H

#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "bench_util.h"
#include "evs_l2.h"
#include "evs_pipeline.h"

/** One bench's pipeline and burst. */
struct bench_pl {
	struct evs_pipeline_lcore *pl;
	const struct evs_pipeline_state *st;
	struct rte_mbuf *pkts[BENCH_BURST];
	struct evs_flow_key keys[BENCH_BURST];
};

/* Writes flow @f into @m (the bench's own header fields). Passed as an
 * argument, not kept in struct bench_pl: a constant argument of an inlined
 * function becomes a direct call. */
typedef void bench_pl_flow_fn(struct rte_mbuf *m, uint32_t f);

/** Medians of a bench_pl_measure, TSC ticks per packet. */
struct bench_pl_times {
	uint64_t parse, pipeline, total;
};

/* Output (tx callback): the frames go nowhere, the same mbufs are reused
 * burst after burst. */
uint16_t bench_pl_sink(void *arg, uint16_t port, struct rte_mbuf **pkts, uint16_t n);

/** A bench's pool and L2 tables. */
struct bench_pl_l2 {
	struct rte_mempool *mp;
	struct evs_l2_conf *conf;
	struct evs_l2_macs *macs;
};

/*
 * Pool @name (4096 mbufs) and L2: port 0 on switch 0 with MAC @a, port 1
 * with MAC @b on switch 1 if @two_switches, else on switch 0.
 * @return 0 or -ENOMEM.
 */
int bench_pl_l2_up(const char *name, bool two_switches, const struct rte_ether_addr *a,
		   const struct rte_ether_addr *b, struct bench_pl_l2 *l2);

/* A 60-byte Ethernet/IPv4/UDP frame @src -> @dst, to 198.19.0.1 port 5001;
 * exits when the pool is empty (a bench cannot go on without its burst). */
struct rte_mbuf *bench_pl_frame(struct rte_mempool *mp, const struct rte_ether_addr *dst,
				const struct rte_ether_addr *src);

/* Flow @f's IPv4 source (198.18.x.y) and UDP source port. */
static inline void bench_pl_flow_src(struct rte_mbuf *m, uint32_t f)
{
	struct rte_ipv4_hdr *ip =
	    rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

	ip->src_addr = rte_cpu_to_be_32(0xc6120000u + (f >> 8));
	udp->src_port = rte_cpu_to_be_16((uint16_t)(1024 + (f & 0xff)));
}

/* The measured part of a burst (a function of its own for callgrind). */
__attribute__((noinline)) static void timed_burst(struct evs_pipeline_lcore *pl,
						  const struct evs_pipeline_state *st,
						  struct rte_mbuf **pkts, struct evs_flow_key *keys,
						  uint64_t *cp, uint64_t *cl)
{
	uint64_t t0, t1, t2;

	t0 = rte_rdtsc();
	for (int i = 0; i < BENCH_BURST; i++)
		evs_packet_parse(pkts[i], 0, &keys[i]);
	t1 = rte_rdtsc();
	evs_pipeline_run(pl, st, pkts, keys, BENCH_BURST);
	t2 = rte_rdtsc();
	*cp += t1 - t0;
	*cl += t2 - t1;
}

/* Every flow of @nf once, in order (the last burst wraps around). */
static inline void bench_pl_warm_up(struct bench_pl *b, bench_pl_flow_fn *set_flow, unsigned int nf)
{
	for (unsigned int w = 0; w < nf + BENCH_BURST; w += BENCH_BURST) {
		for (int i = 0; i < BENCH_BURST; i++)
			set_flow(b->pkts[i], (w + (unsigned int)i) % nf);
		for (int i = 0; i < BENCH_BURST; i++)
			evs_packet_parse(b->pkts[i], 0, &b->keys[i]);
		evs_pipeline_run(b->pl, b->st, b->pkts, b->keys, BENCH_BURST);
	}
}

/*
 * @reps runs of @packets: flows visited in a scattered order (an odd
 * stride over @nf), or, with @fresh non-NULL, flows @nf + *@fresh, + 1, ...
 * each seen once (*@fresh counts on across calls). Medians into @t.
 */
static inline void bench_pl_measure(struct bench_pl *b, bench_pl_flow_fn *set_flow, unsigned int nf,
				    unsigned int reps, unsigned int packets, uint32_t *fresh,
				    struct bench_pl_times *t)
{
	uint64_t tp[BENCH_MAX_REPS], tl[BENCH_MAX_REPS], tt[BENCH_MAX_REPS];
	uint32_t f = 0;

	for (unsigned int r = 0; r < reps; r++) {
		uint64_t cp = 0, cl = 0;

		for (unsigned int n = 0; n < packets; n += BENCH_BURST) {
			for (int i = 0; i < BENCH_BURST; i++) {
				f = (f + 2654435761u) % nf; /* scattered (odd stride) */
				set_flow(b->pkts[i], fresh != NULL ? nf + (*fresh)++ : f);
			}
			timed_burst(b->pl, b->st, b->pkts, b->keys, &cp, &cl);
		}
		tp[r] = cp / packets;
		tl[r] = cl / packets;
		tt[r] = (cp + cl) / packets;
	}
	t->parse = bench_median(tp, reps);
	t->pipeline = bench_median(tl, reps);
	t->total = bench_median(tt, reps);
}

#endif /* EVS_TEST_PERF_BENCH_PL_H */
