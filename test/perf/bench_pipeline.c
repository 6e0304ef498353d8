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
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_udp.h>

#include "evs_ct_module.h"
#include "evs_l2.h"
#include "evs_l3_module.h"
#include "evs_pipeline.h"

#define BURST 32
#define PKTS_PER_REP_DEFAULT (1u << 21)

/* Output: the frames go nowhere (the same mbufs are reused burst after burst). */
static uint16_t sink(void *arg, uint16_t port, struct rte_mbuf **pkts, uint16_t n)
{
	(void)arg;
	(void)port;
	(void)pkts;
	return n;
}

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

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

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
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

	ip->src_addr = rte_cpu_to_be_32(0xc6120000u + (f >> 8)); /* 198.18.x.y */
	udp->src_port = rte_cpu_to_be_16((uint16_t)(1024 + (f & 0xff)));
	if (routed) {
		eh->dst_addr = mac_r0;
		eh->src_addr = mac_a;
		ip->time_to_live = 64;
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
}

/* The measured part of a burst (a function of its own for callgrind). */
__attribute__((noinline)) static void timed_burst(struct evs_pipeline_lcore *pl,
						  const struct evs_pipeline_state *st,
						  struct rte_mbuf **pkts, struct evs_flow_key *keys,
						  uint64_t *cp, uint64_t *cl)
{
	uint64_t t0, t1, t2;

	t0 = rte_rdtsc();
	for (int i = 0; i < BURST; i++)
		evs_packet_parse(pkts[i], 0, &keys[i]);
	t1 = rte_rdtsc();
	evs_pipeline_run(pl, st, pkts, keys, BURST);
	t2 = rte_rdtsc();
	*cp += t1 - t0;
	*cl += t2 - t1;
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

static struct rte_mbuf *make_frame(struct rte_mempool *mp, const struct rte_ether_addr *dst,
				   const struct rte_ether_addr *src)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	uint8_t *p = m != NULL ? (uint8_t *)rte_pktmbuf_append(m, 60) : NULL;
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)p;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eh + 1);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

	if (p == NULL) {
		fprintf(stderr, "bench-pipeline: no mbuf\n");
		exit(1);
	}
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

int main(int argc, char **argv)
{
	char *eal[] = {"bench-pipeline", "--no-huge",	      "-m",	 "1024",
		       "--no-shconf",	 "--file-prefix",     "benchpl", "--no-pci",
		       "--no-telemetry", "--log-level=error", "-l",	 "0"};
	static const struct evs_l2_switch_spec sw = {.id = 0, .name = "sw0"};
	static const struct evs_l2_switch_spec sws[] = {{.id = 0, .name = "sw0"},
							{.id = 1, .name = "sw1"}};
	static const struct evs_l2_port_spec ps[] = {
	    {.port = 0, .has_native = true, .native_switch = 0},
	    {.port = 1, .has_native = true, .native_switch = 0}};
	static const struct evs_l2_port_spec rps[] = {
	    {.port = 0, .has_native = true, .native_switch = 0},
	    {.port = 1, .has_native = true, .native_switch = 1}};
	struct evs_l2_conf_spec spec = {.nb_switches = 1,
					.switches = &sw,
					.nb_ports = 2,
					.ports = ps,
					.socket_id = SOCKET_ID_ANY};
	const struct rte_ether_addr a = mac_a, b = mac_b;
	static const struct evs_module *const rmods[] = {&evs_l2_module, &evs_l3_module};
	struct evs_l3_state l3st = {0};
	unsigned int flows_list[8] = {1, 1000, 100000, 1000000}, n_flows = 4, reps = 5;
	unsigned int PKTS_PER_REP = PKTS_PER_REP_DEFAULT;
	bool no_emc = false;
	struct rte_mempool *mp;
	struct rte_rcu_qsbr *qsbr;
	struct evs_l2_conf *conf;
	struct evs_l2_macs *macs;
	static const struct evs_module *const mods[] = {&evs_l2_module, &evs_ct_module,
							&bct_module};
	struct evs_ct_mod_state cst = {0};
	bool with_ct = false;
	struct evs_registry *reg;
	struct evs_l2_state l2st;
	struct evs_pipeline_state st = {0};
	struct rte_mbuf *pkts[BURST];
	struct evs_flow_key keys[BURST];
	char err[128];
	int opt;

	static const struct option lo[] = {{"reps", required_argument, NULL, 'r'},
					   {"flows", required_argument, NULL, 'f'},
					   {"no-emc", no_argument, NULL, 'e'},
					   {"packets", required_argument, NULL, 'p'},
					   {"ct", no_argument, NULL, 'c'},
					   {"routed", no_argument, NULL, 'R'},
					   {NULL, 0, NULL, 0}};
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
			PKTS_PER_REP = (unsigned int)strtoul(optarg, NULL, 0) / BURST * BURST;
			if (PKTS_PER_REP < BURST)
				PKTS_PER_REP = BURST;
		} else if (opt == 'e') {
			no_emc = true;
		} else if (opt == 'c') {
			with_ct = true;
		} else if (opt == 'R') {
			routed = true;
		} else {
			fprintf(stderr, "usage: bench-pipeline [--reps N] [--flows a,b,..] "
					"[--packets N] [--no-emc] [--ct] [--routed]\n");
			return 2;
		}
	}
	if (rte_eal_init((int)RTE_DIM(eal), eal) < 0)
		return 1;
	mp = rte_pktmbuf_pool_create("bpl", 4096, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	qsbr = rte_zmalloc(NULL, rte_rcu_qsbr_get_memsize(2), RTE_CACHE_LINE_SIZE);
	if (mp == NULL || qsbr == NULL || rte_rcu_qsbr_init(qsbr, 2) != 0)
		return 1;
	if (with_ct && routed) {
		fprintf(stderr, "bench-pipeline: --ct and --routed do not combine\n");
		return 2;
	}
	if (routed) {
		spec.nb_switches = 2;
		spec.switches = sws;
		spec.ports = rps;
	}
	conf = evs_l2_conf_build(&spec, err, sizeof(err));
	macs = evs_l2_macs_create(
	    &(struct evs_l2_macs_config){.name = "bplm", .capacity = 1024, .qsbr = qsbr});
	if (conf == NULL || macs == NULL)
		return 1;
	evs_l2_macs_add_static(macs, 0, &a, 0, 0);
	evs_l2_macs_add_static(macs, routed ? 1 : 0, &b, 1, 0);
	reg = routed ? evs_registry_create(rmods, 2) : evs_registry_create(mods, with_ct ? 3 : 1);
	if (reg == NULL)
		return 1;
	l2st = (struct evs_l2_state){.conf = conf, .macs = macs};
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
	for (int i = 0; i < BURST; i++) {
		pkts[i] = make_frame(mp, &b, &a);
		if (routed) /* to the neighbour behind the router */
			rte_pktmbuf_mtod_offset(pkts[i], struct rte_ipv4_hdr *,
						sizeof(struct rte_ether_hdr))
			    ->dst_addr = rte_cpu_to_be_32(0xc6130002u);
	}

	printf("# TSC %.2f GHz; cycles are TSC ticks per packet, median of %u runs of %u packets\n",
	       rte_get_tsc_hz() / 1e9, reps, PKTS_PER_REP);
	printf("%-10s %10s %10s %10s %10s %8s %s\n", "flows", "parse", "pipeline", "total",
	       "Mpps(1c)", "emc%", "megaflows");
	for (unsigned int fi = 0; fi < n_flows; fi++) {
		unsigned int nf = flows_list[fi];
		uint64_t tp[31], tl[31], tt[31];
		struct evs_pipeline_lcore_config pc = {.name = "b",
						       .reg = reg,
						       .pool = mp,
						       .tx = sink,
						       .max_flows = 1 << 20,
						       .emc_disable = no_emc,
						       .socket_id = SOCKET_ID_ANY};
		struct evs_pipeline_lcore *pl;
		struct evs_ct *ct = NULL;
		struct evs_cls_stats cs0, cs1;
		uint32_t f = 0;

		pc.mod_args[0] = macs;
		if (with_ct) {
			ct = evs_ct_create(&(struct evs_ct_config){.name = "bct",
								   .max_conns = nf + 1024,
								   .n_lcores = 1,
								   .socket_id = SOCKET_ID_ANY});
			if (ct == NULL)
				return 1;
			pc.mod_args[1] = ct;
		}
		pl = evs_pipeline_lcore_create(&pc);
		if (pl == NULL)
			return 1;
		/* warm up: every flow seen once */
		for (unsigned int w = 0; w < nf + BURST; w += BURST) {
			for (int i = 0; i < BURST; i++)
				set_flow(pkts[i], (w + (unsigned int)i) % nf);
			for (int i = 0; i < BURST; i++)
				evs_packet_parse(pkts[i], 0, &keys[i]);
			evs_pipeline_run(pl, &st, pkts, keys, BURST);
		}
		evs_cls_stats_get(evs_pipeline_lcore_cls(pl), &cs0);
		for (unsigned int r = 0; r < reps; r++) {
			uint64_t cp = 0, cl = 0;

			for (unsigned int n = 0; n < PKTS_PER_REP; n += BURST) {
				for (int i = 0; i < BURST; i++) {
					/* scattered walk over the flows (odd stride) */
					f = (f + 2654435761u) % nf;
					set_flow(pkts[i], f);
				}
				timed_burst(pl, &st, pkts, keys, &cp, &cl);
			}
			tp[r] = cp / PKTS_PER_REP;
			tl[r] = cl / PKTS_PER_REP;
			tt[r] = (cp + cl) / PKTS_PER_REP;
		}
		evs_cls_stats_get(evs_pipeline_lcore_cls(pl), &cs1);
		qsort(tp, reps, sizeof(tp[0]), cmp_u64);
		qsort(tl, reps, sizeof(tl[0]), cmp_u64);
		qsort(tt, reps, sizeof(tt[0]), cmp_u64);
		printf("%-10u %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %10.2f %7.1f%% %u\n", nf,
		       tp[reps / 2], tl[reps / 2], tt[reps / 2],
		       rte_get_tsc_hz() / 1e6 / (double)tt[reps / 2],
		       100.0 * (double)(cs1.emc_hits - cs0.emc_hits) /
			   (double)(cs1.lookups - cs0.lookups),
		       cs1.n_flows);
		evs_pipeline_lcore_free(pl);
		evs_ct_free(ct);
	}
	return 0;
}
