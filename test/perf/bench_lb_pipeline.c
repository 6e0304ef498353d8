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
 *
 * Usage: bench-lb-pipeline [--mode l2|lb] [--new] [--flows a,b,..] [--packets N] [--reps N]
 * Instructions per packet (deterministic on a busy machine):
 *   valgrind --tool=callgrind --toggle-collect=evs_pipeline_run
 *     --toggle-collect=evs_packet_parse build/test/perf/bench-lb-pipeline
 *     --mode lb --flows 1000 --reps 1 --packets N
 * with N = 131072 and 65536; the difference divided by 65536.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_udp.h>

#include "evs_ct_module.h"
#include "evs_l2.h"
#include "evs_lb_conf.h"
#include "evs_pipeline.h"

#define BURST 32
#define VIP_IP 0xc6130064u /* 198.19.0.100 */

enum { MOD_L2, MOD_CT, MOD_LB, MOD_RT };

static const struct rte_ether_addr router = {{0x02, 0x52, 0, 0, 0, 1}};

static uint16_t sink(void *arg, uint16_t port, struct rte_mbuf **pkts, uint16_t n)
{
	(void)arg;
	(void)port;
	(void)pkts;
	return n;
}

static bool gateway(const void *arg, uint16_t sw, const struct rte_ether_addr *mac)
{
	(void)arg;
	(void)sw;
	return rte_is_same_ether_addr(mac, &router);
}

/* Stand-in for routing: every routed frame leaves by port 1. */
static enum evs_stage_verdict rt_xlate(struct evs_xlate *x, const void *state, void *lctx)
{
	(void)state;
	(void)lctx;
	evs_xlate_output(x, 1);
	return EVS_STAGE_DONE;
}

static const struct evs_stage rt_stages[] = {{.name = "route", .order = 200, .xlate = rt_xlate}};
static const struct evs_module rt_module = {.name = "rt", .stages = rt_stages, .n_stages = 1};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Flow @f into frame @m; the destination is set again (lb rewrote it). */
static void set_flow(struct rte_mbuf *m, uint32_t f, bool lb)
{
	struct rte_ipv4_hdr *ip =
	    rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

	ip->src_addr = rte_cpu_to_be_32(0xc6120000u + (f >> 8)); /* 198.18.x.y */
	udp->src_port = rte_cpu_to_be_16((uint16_t)(1024 + (f & 0xff)));
	if (lb) {
		ip->dst_addr = rte_cpu_to_be_32(VIP_IP);
		udp->dst_port = rte_cpu_to_be_16(80);
	}
}

static struct rte_mbuf *make_frame(struct rte_mempool *mp, const struct rte_ether_addr *dst,
				   const struct rte_ether_addr *src)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, 60);
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)p;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eh + 1);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

	memset(p, 0, 60);
	eh->dst_addr = *dst;
	eh->src_addr = *src;
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16(46);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->dst_addr = rte_cpu_to_be_32(0xc6130001u);
	udp->dst_port = rte_cpu_to_be_16(5001);
	udp->dgram_len = rte_cpu_to_be_16(26);
	return m;
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

int main(int argc, char **argv)
{
	char *eal[] = {"bench-lb-pipeline", "--no-huge",	 "-m",	    "3072",
		       "--no-shconf",	    "--file-prefix",	 "benchlb", "--no-pci",
		       "--no-telemetry",    "--log-level=error", "-l",	    "0"};
	static const struct evs_l2_switch_spec sw = {.id = 0, .name = "sw0"};
	static const struct evs_l2_port_spec ps[] = {
	    {.port = 0, .has_native = true, .native_switch = 0},
	    {.port = 1, .has_native = true, .native_switch = 0}};
	const struct evs_l2_conf_spec spec = {.nb_switches = 1,
					      .switches = &sw,
					      .nb_ports = 2,
					      .ports = ps,
					      .socket_id = SOCKET_ID_ANY};
	static const struct evs_module *const mods[] = {&evs_l2_module, &evs_ct_module,
							&evs_lb_module, &rt_module};
	struct rte_ether_addr a = {{0x02, 0, 0, 0, 0, 1}}, b = {{0x02, 0, 0, 0, 0, 2}};
	unsigned int flows_list[8] = {1000, 1000000}, n_flows = 2, reps = 5;
	unsigned int pkts_per_rep = 1u << 21;
	bool lb = true, fresh = false;
	uint32_t next_new = 0;
	struct rte_mempool *mp;
	struct rte_rcu_qsbr *qsbr;
	struct evs_l2_conf *conf;
	struct evs_l2_macs *macs;
	struct evs_ct_mod_state cst = {0};
	struct evs_registry *reg;
	struct evs_l2_state l2st;
	struct evs_pipeline_state st = {0};
	struct rte_mbuf *pkts[BURST];
	struct evs_flow_key keys[BURST];
	char err[128];
	int opt;

	static const struct option lo[] = {
	    {"reps", required_argument, NULL, 'r'},    {"flows", required_argument, NULL, 'f'},
	    {"packets", required_argument, NULL, 'p'}, {"mode", required_argument, NULL, 'm'},
	    {"new", no_argument, NULL, 'n'},	       {NULL, 0, NULL, 0}};
	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (opt == 'r') {
			reps = (unsigned int)atoi(optarg);
			reps = reps < 1 ? 1 : reps > 31 ? 31 : reps;
		} else if (opt == 'f') {
			char *s = optarg;

			for (n_flows = 0; n_flows < 8 && *s; n_flows++) {
				flows_list[n_flows] = (unsigned int)strtoul(s, &s, 10);
				if (*s == ',')
					s++;
			}
		} else if (opt == 'p') {
			pkts_per_rep = (unsigned int)strtoul(optarg, NULL, 0) / BURST * BURST;
			if (pkts_per_rep < BURST)
				pkts_per_rep = BURST;
		} else if (opt == 'n') {
			fresh = true;
		} else if (opt == 'm' && (strcmp(optarg, "l2") == 0 || strcmp(optarg, "lb") == 0)) {
			lb = strcmp(optarg, "lb") == 0;
		} else {
			fprintf(stderr, "usage: bench-lb-pipeline [--mode l2|lb] [--flows a,b,..] "
					"[--new] [--packets N] [--reps N]\n");
			return 2;
		}
	}
	if (rte_eal_init((int)RTE_DIM(eal), eal) < 0)
		return 1;
	mp = rte_pktmbuf_pool_create("blb", 4096, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	qsbr = rte_zmalloc(NULL, rte_rcu_qsbr_get_memsize(2), RTE_CACHE_LINE_SIZE);
	if (mp == NULL || qsbr == NULL || rte_rcu_qsbr_init(qsbr, 2) != 0)
		return 1;
	conf = evs_l2_conf_build(&spec, err, sizeof(err));
	macs = evs_l2_macs_create(
	    &(struct evs_l2_macs_config){.name = "blbm", .capacity = 1024, .qsbr = qsbr});
	reg = evs_registry_create(mods, RTE_DIM(mods));
	if (conf == NULL || macs == NULL || reg == NULL)
		return 1;
	evs_l2_macs_add_static(macs, 0, &a, 0, 0);
	evs_l2_macs_add_static(macs, 0, &b, 1, 0);
	l2st = (struct evs_l2_state){.conf = conf, .macs = macs, .gateway = gateway};
	st.mod[MOD_L2] = &l2st;
	st.mod[MOD_CT] = &cst;
	for (int i = 0; i < BURST; i++)
		pkts[i] = make_frame(mp, lb ? &router : &b, &a);

	printf("# %s; TSC %.2f GHz; TSC ticks per packet, median of %u runs of %u packets\n",
	       lb ? "lb (established, VIP -> 3 backends)" : "l2", rte_get_tsc_hz() / 1e9, reps,
	       pkts_per_rep);
	printf("%-10s %10s %10s %10s %10s\n", "flows", "parse", "pipeline", "total", "Mpps(1c)");
	for (unsigned int fi = 0; fi < n_flows; fi++) {
		unsigned int nf = flows_list[fi];
		uint64_t tp[31], tl[31], tt[31];
		struct evs_pipeline_lcore_config pc = {.name = "b",
						       .reg = reg,
						       .pool = mp,
						       .tx = sink,
						       .max_flows = 1 << 20,
						       .socket_id = SOCKET_ID_ANY};
		struct evs_ct *ct = evs_ct_create(&(struct evs_ct_config){
		    .name = "blbct",
		    .max_conns = nf + 1024 + (fresh ? reps * pkts_per_rep : 0),
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
		struct evs_pipeline_lcore *pl;
		uint32_t f = 0;

		if (ct == NULL || lc == NULL || store == NULL || evs_lb_store_add(store, lc) != 0 ||
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
		pc.mod_args[MOD_L2] = macs;
		pc.mod_args[MOD_CT] = ct;
		pc.mod_args[MOD_LB] = ct;
		pl = evs_pipeline_lcore_create(&pc);
		if (pl == NULL)
			return 1;
		/* warm up: every flow seen once (lb: its connection committed) */
		for (unsigned int w = 0; w < nf + BURST; w += BURST) {
			for (int i = 0; i < BURST; i++)
				set_flow(pkts[i], (w + (unsigned int)i) % nf, lb);
			for (int i = 0; i < BURST; i++)
				evs_packet_parse(pkts[i], 0, &keys[i]);
			evs_pipeline_run(pl, &st, pkts, keys, BURST);
		}
		for (unsigned int r = 0; r < reps; r++) {
			uint64_t cp = 0, cl = 0;

			for (unsigned int n = 0; n < pkts_per_rep; n += BURST) {
				uint64_t t0, t1, t2;

				for (int i = 0; i < BURST; i++) {
					f = (f + 2654435761u) % nf; /* scattered (odd stride) */
					/* --new: flows past the warm-up's, each seen once */
					set_flow(pkts[i], fresh ? nf + next_new++ : f, lb);
				}
				t0 = rte_rdtsc();
				for (int i = 0; i < BURST; i++)
					evs_packet_parse(pkts[i], 0, &keys[i]);
				t1 = rte_rdtsc();
				evs_pipeline_run(pl, &st, pkts, keys, BURST);
				t2 = rte_rdtsc();
				cp += t1 - t0;
				cl += t2 - t1;
			}
			tp[r] = cp / pkts_per_rep;
			tl[r] = cl / pkts_per_rep;
			tt[r] = (cp + cl) / pkts_per_rep;
		}
		qsort(tp, reps, sizeof(tp[0]), cmp_u64);
		qsort(tl, reps, sizeof(tl[0]), cmp_u64);
		qsort(tt, reps, sizeof(tt[0]), cmp_u64);
		printf("%-10u %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %10.2f\n", nf, tp[reps / 2],
		       tl[reps / 2], tt[reps / 2], rte_get_tsc_hz() / 1e6 / (double)tt[reps / 2]);
		if (lb) {
			struct evs_ct_stats cs;

			evs_ct_stats(ct, &cs);
			printf("#   live connections %u (hits %" PRIu64 ", created %" PRIu64 ")\n",
			       cs.conns, cs.counters[EVS_CT_C_HIT], cs.counters[EVS_CT_C_CREATED]);
		}
		evs_pipeline_lcore_free(pl);
		evs_store_free(store);
		evs_lb_conf_free(lc);
		evs_ct_free(ct);
	}
	return 0;
}
