/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Datapath microbenchmark: TSC cycles per packet of what a PMD does to a
 * received burst, without the ports: parse (evs_packet_parse) and the
 * pipeline (learning, EMC/megaflow lookup, L2 action execution), for known
 * unicast L2 forwarding between two access ports at 1, 1k, 100k and 1M
 * flows (flows differ in IPv4 source and UDP source port; MACs are fixed,
 * as when one VM talks to many clients). Bursts of 32; flows are visited in
 * a scattered order so that caches see no locality. Median of repetitions.
 *
 * With --ct every packet first goes through conntrack: a stage emits
 * ct(zone=1,commit) + recirculate, and on the second pass (ct_state in the
 * mask) L2 forwards it; the table holds one connection per flow.
 *
 * With --routed the two ports are on two switches joined by a router (the
 * l3 module): frames go to the router's MAC on sw0 and reach a static
 * neighbour on sw1's connected subnet: L2, route (MACs, TTL, checksum),
 * L2 again in sw1. The same flows as the L2 mode, so the two compare.
 *
 * Usage: bench-pipeline [--reps N] [--flows a,b,..] [--packets N] [--no-emc] [--ct]
 *                       [--routed]
 * (Under valgrind --tool=callgrind, small --packets give repeatable
 * instruction counts per function on a noisy machine; every measured
 * burst goes through timed_burst: --toggle-collect=timed_burst counts
 * only those, divide by flows x reps x packets.)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_mbuf.h>

#include "bench_pl.h"
#include "evs_ct_module.h"
#include "evs_l2.h"
#include "evs_l3_module.h"
#include "evs_pipeline.h"

/* --ct: track every packet, then let L2 forward it on the second pass. */
static enum evs_stage_verdict bct_xlate(struct evs_xlate *x, const void *state, void *lctx)
{
	const struct evs_ct_op op = {.zone = 1, .flags = EVS_CT_F_COMMIT};

	(void)state;
	(void)lctx;
	if (evs_xlate_key(x)->recirc_id == 0) {
		evs_ct_xlate_emit(x, &op, 1);
		return EVS_STAGE_DONE;
	}
	evs_ct_xlate_state(x);
	return EVS_STAGE_CONTINUE;
}

static const struct evs_stage bct_stages[] = {{.name = "ct", .order = 50, .xlate = bct_xlate}};
static const struct evs_module bct_module = {.name = "bct", .stages = bct_stages, .n_stages = 1};

static const struct rte_ether_addr mac_a = {{0x02, 0, 0, 0, 0, 1}}, mac_b = {{0x02, 0, 0, 0, 0, 2}};
static const struct rte_ether_addr mac_r0 = {{0x02, 0, 0, 0, 1, 0}},
				   mac_r1 = {{0x02, 0, 0, 0, 1, 1}};
static bool routed;

/* Write flow @f into frame @m (IPv4 source and UDP source port). Routed:
 * undo what the router wrote (MACs, TTL, checksum) as a new frame would. */
static void set_flow(struct rte_mbuf *m, uint32_t f)
{
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eh + 1);

	bench_pl_flow_src(m, f);
	if (routed) {
		eh->dst_addr = mac_r0;
		eh->src_addr = mac_a;
		ip->time_to_live = 64;
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
}

static bool r_gateway(const void *arg, uint16_t sw, const struct rte_ether_addr *mac)
{
	return evs_l3_is_router_mac(arg, evs_l2_ldp(sw), mac);
}

static bool r_gateway_mcast(const void *arg, uint16_t sw, const struct evs_flow_key *key,
			    struct evs_flow_mask *mask)
{
	return evs_l3_is_router_solicit(arg, evs_l2_ldp(sw), key, mask);
}

/* The neighbour is static: nothing is probed or held. */
static void r_probe(void *ctx, uint16_t owner, const struct evs_l3_neigh_key *key,
		    const struct rte_ether_addr *mac)
{
	(void)ctx, (void)owner, (void)key, (void)mac;
}

static void r_release(void *ctx, uint16_t owner, const struct evs_l3_neigh_key *key,
		      const struct rte_ether_addr *mac, struct rte_mbuf *m)
{
	(void)ctx, (void)owner, (void)key, (void)mac;
	rte_pktmbuf_free(m);
}

static void r_unreachable(void *ctx, uint16_t owner, const struct evs_l3_neigh_key *key,
			  struct rte_mbuf *m)
{
	(void)ctx, (void)owner, (void)key;
	rte_pktmbuf_free(m);
}

/* --routed: router 1, port 1 on sw0 (198.18.0.1/16), port 2 on sw1
 * (198.19.0.1/24) with neighbour 198.19.0.2 = b. */
static struct evs_l3_set *router_up(void)
{
	struct evs_l3_set *set = evs_l3_set_create(SOCKET_ID_ANY);
	struct evs_l3_port_spec p1 = {.id = 1, .ldp = evs_l2_ldp(0), .mac = mac_r0, .n_addrs = 1};
	struct evs_l3_port_spec p2 = {.id = 2, .ldp = evs_l2_ldp(1), .mac = mac_r1, .n_addrs = 1};
	struct evs_l3_neigh_key nk = {.addr = {.family = EVS_L3_IPV4, .b = {198, 19, 0, 2}},
				      .port = 2};

	p1.addrs[0] = (struct evs_l3_prefix){.addr = {.family = EVS_L3_IPV4, .b = {198, 18, 0, 1}},
					     .len = 16};
	p2.addrs[0] = (struct evs_l3_prefix){.addr = {.family = EVS_L3_IPV4, .b = {198, 19, 0, 1}},
					     .len = 24};
	int rc = set == NULL ? -ENOMEM : 0;

	if (rc == 0)
		rc = evs_l3_router_add(set, &(struct evs_l3_router_config){
						.id = 1,
						.name = "r1",
						.socket_id = SOCKET_ID_ANY,
						.neigh_ops = {r_probe, r_release, r_unreachable}});
	if (rc == 0)
		rc = evs_l3_port_add(set, 1, &p1);
	if (rc == 0)
		rc = evs_l3_port_add(set, 1, &p2);
	if (rc == 0)
		rc = evs_l3_neigh_set_static(evs_l3_router_neigh(evs_l3_router_get(set, 1)), &nk,
					     &mac_b);
	if (rc != 0) {
		fprintf(stderr, "bench-pipeline: router: %s\n", strerror(-rc));
		evs_l3_set_free(set);
		return NULL;
	}
	return set;
}

static void usage(void)
{
	fprintf(stderr, "usage: bench-pipeline [--reps N] [--flows a,b,..] "
			"[--packets N] [--no-emc] [--ct] [--routed]\n");
}

int main(int argc, char **argv)
{
	const struct rte_ether_addr a = mac_a, b = mac_b;
	static const struct evs_module *const rmods[] = {&evs_l2_module, &evs_l3_module};
	struct evs_l3_state l3st = {0};
	struct bench_args args = {
	    .reps = 5, .flows = {1, 1000, 100000, 1000000}, .n_flows = 4, .packets = 1u << 21};
	bool no_emc = false;
	struct bench_pl_l2 l2;
	static const struct evs_module *const mods[] = {&evs_l2_module, &evs_ct_module,
							&bct_module};
	struct evs_ct_mod_state cst = {0};
	bool with_ct = false;
	struct evs_registry *reg;
	struct evs_l2_state l2st;
	struct evs_pipeline_state st = {0};
	struct bench_pl bp = {.st = &st};
	int opt;

	static const struct option lo[] = {{"no-emc", no_argument, NULL, 'e'},
					   {"ct", no_argument, NULL, 'c'},
					   {"routed", no_argument, NULL, 'R'},
					   {NULL, 0, NULL, 0}};
	while ((opt = bench_getopt(argc, argv, BENCH_OPT_REPS | BENCH_OPT_FLOWS | BENCH_OPT_PACKETS,
				   lo, &args)) != -1) {
		if (opt == 'e') {
			no_emc = true;
		} else if (opt == 'c') {
			with_ct = true;
		} else if (opt == 'R') {
			routed = true;
		} else {
			usage();
			return 2;
		}
	}
	if (with_ct && routed) {
		fprintf(stderr, "bench-pipeline: --ct and --routed do not combine\n");
		return 2;
	}
	if (bench_eal_init("bench-pipeline", "1024", "benchpl") != 0)
		return 1;
	if (bench_pl_l2_up("bpl", routed, &a, &b, &l2) != 0)
		return 1;
	reg = routed ? evs_registry_create(rmods, 2) : evs_registry_create(mods, with_ct ? 3 : 1);
	if (reg == NULL)
		return 1;
	l2st = (struct evs_l2_state){.conf = l2.conf, .macs = l2.macs};
	st.mod[0] = &l2st;
	st.mod[1] = &cst;
	if (routed) {
		l3st.set = router_up();
		if (l3st.set == NULL)
			return 1;
		l2st.gateway = r_gateway;
		l2st.gateway_mcast = r_gateway_mcast;
		l2st.gateway_arg = l3st.set;
		st.mod[1] = &l3st;
	}
	for (int i = 0; i < BENCH_BURST; i++) {
		bp.pkts[i] = bench_pl_frame(l2.mp, &b, &a);
		if (routed) /* to the neighbour behind the router */
			rte_pktmbuf_mtod_offset(bp.pkts[i], struct rte_ipv4_hdr *,
						sizeof(struct rte_ether_hdr))
			    ->dst_addr = rte_cpu_to_be_32(0xc6130002u);
	}

	printf("# TSC %.2f GHz; cycles are TSC ticks per packet, median of %u runs of %u packets\n",
	       rte_get_tsc_hz() / 1e9, args.reps, args.packets);
	printf("%-10s %10s %10s %10s %10s %8s %s\n", "flows", "parse", "pipeline", "total",
	       "Mpps(1c)", "emc%", "megaflows");
	for (unsigned int fi = 0; fi < args.n_flows; fi++) {
		unsigned int nf = args.flows[fi];
		struct evs_pipeline_lcore_config pc = {.name = "b",
						       .reg = reg,
						       .pool = l2.mp,
						       .tx = bench_pl_sink,
						       .max_flows = 1 << 20,
						       .emc_disable = no_emc,
						       .socket_id = SOCKET_ID_ANY};
		struct evs_ct *ct = NULL;
		struct evs_cls_stats cs0, cs1;
		struct bench_pl_times t;

		pc.mod_args[0] = l2.macs;
		if (with_ct) {
			ct = evs_ct_create(&(struct evs_ct_config){.name = "bct",
								   .max_conns = nf + 1024,
								   .n_lcores = 1,
								   .socket_id = SOCKET_ID_ANY});
			if (ct == NULL)
				return 1;
			pc.mod_args[1] = ct;
		}
		bp.pl = evs_pipeline_lcore_create(&pc);
		if (bp.pl == NULL)
			return 1;
		bench_pl_warm_up(&bp, set_flow, nf);
		evs_cls_stats_get(evs_pipeline_lcore_cls(bp.pl), &cs0);
		bench_pl_measure(&bp, set_flow, nf, args.reps, args.packets, NULL, &t);
		evs_cls_stats_get(evs_pipeline_lcore_cls(bp.pl), &cs1);
		printf("%-10u %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %10.2f %7.1f%% %u\n", nf,
		       t.parse, t.pipeline, t.total, rte_get_tsc_hz() / 1e6 / (double)t.total,
		       100.0 * (double)(cs1.emc_hits - cs0.emc_hits) /
			   (double)(cs1.lookups - cs0.lookups),
		       cs1.n_flows);
		evs_pipeline_lcore_free(bp.pl);
		evs_ct_free(ct);
	}
	return 0;
}
