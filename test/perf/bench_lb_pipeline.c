/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Load-balanced established traffic through the pipeline, next to plain L2
 * forwarding in the same binary: what a PMD does to a received burst
 * (parse + evs_pipeline_run), TSC cycles per packet, median of repetitions.
 *
 * --mode l2: UDP frames to a MAC known on port 1 (bench-pipeline's case).
 * --mode lb: the same frames to the router's MAC and a VIP (UDP port 80,
 *   three backends): L2 hands them to routing, the lb stage matches the VIP,
 *   lb() finds the flow's connection (created in the warm-up) and DNATs,
 *   the packet is classified again and a stand-in for routing outputs it
 *   (no MAC rewrite or TTL: the route opcode's cost is not in the figure).
 * Flows differ in IPv4 source and UDP source port, visited in a scattered
 * order. --new (lb): every measured packet is a new connection instead
 * (backend choice, conntrack commit with DNAT, then the second pass).
 * --per-backend (lb): the routed pass's megaflow is per backend (its mask
 * holds the destination, as distinct next-hop MACs make L3's), so a burst
 * of mixed flows runs it in short runs instead of once.
 *
 * Usage: bench-lb-pipeline [--mode l2|lb] [--new] [--per-backend] [--udp-timeout S] [--flows a,b,..]
 *        [--packets N] [--reps N]
 * Instructions per packet (deterministic on a busy machine):
 *   valgrind --tool=callgrind --toggle-collect=evs_pipeline_run
 *     --toggle-collect=evs_packet_parse build/test/perf/bench-lb-pipeline
 *     --mode lb --flows 1000 --reps 1 --packets N
 * with N = 131072 and 65536; the difference divided by 65536.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "bench_pl.h"
#include "evs_ct_module.h"
#include "evs_l2.h"
#include "evs_lb_conf.h"
#include "evs_pipeline.h"

#define VIP_IP 0xc6130064u /* 198.19.0.100 */

enum { MOD_L2, MOD_CT, MOD_LB, MOD_RT };

static const struct rte_ether_addr router = {{0x02, 0x52, 0, 0, 0, 1}};

static bool gateway(const void *arg, uint16_t sw, const struct rte_ether_addr *mac)
{
	(void)arg;
	(void)sw;
	return rte_is_same_ether_addr(mac, &router);
}

/* --per-backend: the routed pass consults the destination (as distinct
 * next-hop MACs make L3's megaflows per backend) */
static bool per_backend;

/* Stand-in for routing: every routed frame leaves by port 1. */
static enum evs_stage_verdict rt_xlate(struct evs_xlate *x, const void *state, void *lctx)
{
	(void)state;
	(void)lctx;
	if (per_backend)
		memset(evs_xlate_mask(x)->bits.dst_ip, 0xff, 4);
	evs_xlate_output(x, 1);
	return EVS_STAGE_DONE;
}

static const struct evs_stage rt_stages[] = {{.name = "route", .order = 200, .xlate = rt_xlate}};
static const struct evs_module rt_module = {.name = "rt", .stages = rt_stages, .n_stages = 1};

static bool lb = true;

/* Flow @f into frame @m; the destination is set again (lb rewrote it). */
static void set_flow(struct rte_mbuf *m, uint32_t f)
{
	struct rte_ipv4_hdr *ip =
	    rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

	bench_pl_flow_src(m, f);
	if (lb) {
		ip->dst_addr = rte_cpu_to_be_32(VIP_IP);
		udp->dst_port = rte_cpu_to_be_16(80);
	}
}

static uint64_t clock_ms(void *arg)
{
	(void)arg;
	return evs_ct_now_ms();
}

static unsigned int scope_ldps(const char *scope, uint16_t *ldps, unsigned int max, void *arg)
{
	(void)scope;
	(void)max;
	(void)arg;
	ldps[0] = evs_l2_ldp(0);
	return 1;
}

static int add(struct evs_store *st, const char *type, const char *doc)
{
	struct evs_store_txn *t = evs_store_txn_begin(st);
	json_t *v = json_loads(doc, 0, NULL);
	struct evs_ctl_err err;
	int rc;

	if (t == NULL || v == NULL)
		return -1;
	rc = evs_store_txn_op(t, EVS_STORE_ADD, type, v, "/", &err);
	if (rc != 0) {
		evs_store_txn_abort(t);
		return rc;
	}
	return evs_store_txn_commit(t, &err);
}

static void usage(void)
{
	fprintf(stderr, "usage: bench-lb-pipeline [--mode l2|lb] [--flows a,b,..] "
			"[--new] [--per-backend] [--udp-timeout S] [--packets N] [--reps N]\n");
}

int main(int argc, char **argv)
{
	static const struct evs_module *const mods[] = {&evs_l2_module, &evs_ct_module,
							&evs_lb_module, &rt_module};
	struct rte_ether_addr a = {{0x02, 0, 0, 0, 0, 1}}, b = {{0x02, 0, 0, 0, 0, 2}};
	struct bench_args args = {
	    .reps = 5, .flows = {1000, 1000000}, .n_flows = 2, .packets = 1u << 21};
	bool fresh = false;
	uint32_t next_new = 0, udp_timeout = 86400;
	struct bench_pl_l2 l2;
	struct evs_ct_mod_state cst = {0};
	struct evs_registry *reg;
	struct evs_l2_state l2st;
	struct evs_pipeline_state st = {0};
	struct bench_pl bp = {.st = &st};
	char *end;
	int opt;

	static const struct option lo[] = {{"mode", required_argument, NULL, 'm'},
					   {"new", no_argument, NULL, 'n'},
					   {"per-backend", no_argument, NULL, 'b'},
					   {"udp-timeout", required_argument, NULL, 't'},
					   {NULL, 0, NULL, 0}};
	while ((opt = bench_getopt(argc, argv, BENCH_OPT_REPS | BENCH_OPT_FLOWS | BENCH_OPT_PACKETS,
				   lo, &args)) != -1) {
		if (opt == 'n') {
			fresh = true;
		} else if (opt == 'b') {
			per_backend = true;
		} else if (opt == 't' && *optarg != '-' &&
			   (udp_timeout = (uint32_t)strtoul(optarg, &end, 10)) >= 1 &&
			   udp_timeout <= 31536000 && *end == '\0') {
			/* a zone's timeout range (ct_conf.c) */
		} else if (opt == 'm' && (strcmp(optarg, "l2") == 0 || strcmp(optarg, "lb") == 0)) {
			lb = strcmp(optarg, "lb") == 0;
		} else {
			usage();
			return 2;
		}
	}
	if (bench_eal_init("bench-lb-pipeline", "3072", "benchlb") != 0)
		return 1;
	reg = evs_registry_create(mods, RTE_DIM(mods));
	if (reg == NULL || bench_pl_l2_up("blb", false, &a, &b, &l2) != 0)
		return 1;
	l2st = (struct evs_l2_state){.conf = l2.conf, .macs = l2.macs, .gateway = gateway};
	st.mod[MOD_L2] = &l2st;
	st.mod[MOD_CT] = &cst;
	for (int i = 0; i < BENCH_BURST; i++)
		bp.pkts[i] = bench_pl_frame(l2.mp, lb ? &router : &b, &a);

	printf("# %s; TSC %.2f GHz; TSC ticks per packet, median of %u runs of %u packets\n",
	       lb ? "lb (established, VIP -> 3 backends)" : "l2", rte_get_tsc_hz() / 1e9, args.reps,
	       args.packets);
	printf("%-10s %10s %10s %10s %10s\n", "flows", "parse", "pipeline", "total", "Mpps(1c)");
	for (unsigned int fi = 0; fi < args.n_flows; fi++) {
		unsigned int nf = args.flows[fi];
		struct evs_pipeline_lcore_config pc = {.name = "b",
						       .reg = reg,
						       .pool = l2.mp,
						       .tx = bench_pl_sink,
						       .max_flows = 1 << 20,
						       .socket_id = SOCKET_ID_ANY};
		struct evs_ct *ct = evs_ct_create(&(struct evs_ct_config){
		    .name = "blbct",
		    .max_conns = nf + 1024 + (fresh ? args.reps * args.packets : 0),
		    .n_lcores = 2,
		    .socket_id = SOCKET_ID_ANY});
		struct evs_lb_conf *lc =
		    evs_lb_conf_create(&(struct evs_lb_conf_config){.max_vips = 4,
								    .max_backends = 16,
								    .socket_id = SOCKET_ID_ANY,
								    .now_ms = clock_ms,
								    .scope_ldps = scope_ldps,
								    .ct = ct});
		struct evs_store *store = evs_store_create();
		struct evs_ct_zone_conf zc;
		struct bench_pl_times t;

		/* UDP's timeouts out of reach: under callgrind a 1M-flow warm-up
		 * outlasts 30 s and the measure would re-create expired flows
		 * (--udp-timeout: the daemon's 30 s, say) */
		evs_ct_zone_conf_default(&zc);
		zc.timeouts.udp_unreplied = zc.timeouts.udp_replied = udp_timeout;
		if (ct == NULL || lc == NULL || store == NULL ||
		    evs_ct_zone_set(ct, EVS_LB_CT_ZONE, &zc) != 0 ||
		    evs_lb_store_add(store, lc) != 0 ||
		    add(store, "lb.vip",
			"{\"name\":\"v\",\"address\":\"198.19.0.100\",\"protocol\":\"udp\","
			"\"port\":80,\"scope\":\"sw0\"}") != 0 ||
		    add(store, "lb.backend",
			"{\"vip\":\"v\",\"address\":\"10.0.1.1\",\"port\":8080}") != 0 ||
		    add(store, "lb.backend",
			"{\"vip\":\"v\",\"address\":\"10.0.1.2\",\"port\":8080}") != 0 ||
		    add(store, "lb.backend",
			"{\"vip\":\"v\",\"address\":\"10.0.1.3\",\"port\":8080}"))
			return 1;
		st.mod[MOD_LB] = evs_lb_conf_state(lc);
		pc.mod_args[MOD_L2] = l2.macs;
		pc.mod_args[MOD_CT] = ct;
		pc.mod_args[MOD_LB] = ct;
		bp.pl = evs_pipeline_lcore_create(&pc);
		if (bp.pl == NULL)
			return 1;
		/* warm up: every flow seen once (lb: its connection committed) */
		bench_pl_warm_up(&bp, set_flow, nf);
		/* --new: flows past the warm-up's, each seen once */
		bench_pl_measure(&bp, set_flow, nf, args.reps, args.packets,
				 fresh ? &next_new : NULL, &t);
		printf("%-10u %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %10.2f\n", nf, t.parse,
		       t.pipeline, t.total, rte_get_tsc_hz() / 1e6 / (double)t.total);
		if (lb) {
			struct evs_ct_stats cs;

			evs_ct_stats(ct, &cs);
			printf("#   live connections %u (hits %" PRIu64 ", created %" PRIu64 ")\n",
			       cs.conns, cs.counters[EVS_CT_C_HIT], cs.counters[EVS_CT_C_CREATED]);
		}
		evs_pipeline_lcore_free(bp.pl);
		evs_store_free(store);
		evs_lb_conf_free(lc);
		evs_ct_free(ct);
	}
	return 0;
}
