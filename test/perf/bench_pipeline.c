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
 * Usage: bench-pipeline [--reps N] [--flows a,b,..] [--packets N] [--no-emc] [--ct]
 * (Under valgrind --tool=callgrind, small --packets give repeatable
 * instruction counts per function on a noisy machine.)
 */
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

/* Write flow @f into frame @m (IPv4 source and UDP source port). */
static void set_flow(struct rte_mbuf *m, uint32_t f)
{
	struct rte_ipv4_hdr *ip =
	    rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

	ip->src_addr = rte_cpu_to_be_32(0xc6120000u + (f >> 8)); /* 198.18.x.y */
	udp->src_port = rte_cpu_to_be_16((uint16_t)(1024 + (f & 0xff)));
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

int main(int argc, char **argv)
{
	char *eal[] = {"bench-pipeline", "--no-huge",	      "-m",	 "1024",
		       "--no-shconf",	 "--file-prefix",     "benchpl", "--no-pci",
		       "--no-telemetry", "--log-level=error", "-l",	 "0"};
	static const struct evs_l2_switch_spec sw = {.id = 0, .name = "sw0"};
	static const struct evs_l2_port_spec ps[] = {
	    {.port = 0, .has_native = true, .native_switch = 0},
	    {.port = 1, .has_native = true, .native_switch = 0}};
	const struct evs_l2_conf_spec spec = {.nb_switches = 1,
					      .switches = &sw,
					      .nb_ports = 2,
					      .ports = ps,
					      .socket_id = SOCKET_ID_ANY};
	struct rte_ether_addr a = {{0x02, 0, 0, 0, 0, 1}}, b = {{0x02, 0, 0, 0, 0, 2}};
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

	static const struct option lo[] = {
	    {"reps", required_argument, NULL, 'r'}, {"flows", required_argument, NULL, 'f'},
	    {"no-emc", no_argument, NULL, 'e'},	    {"packets", required_argument, NULL, 'p'},
	    {"ct", no_argument, NULL, 'c'},	    {NULL, 0, NULL, 0}};
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
		} else {
			fprintf(stderr, "usage: bench-pipeline [--reps N] [--flows a,b,..] "
					"[--packets N] [--no-emc] [--ct]\n");
			return 2;
		}
	}
	if (rte_eal_init((int)RTE_DIM(eal), eal) < 0)
		return 1;
	mp = rte_pktmbuf_pool_create("bpl", 4096, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	qsbr = rte_zmalloc(NULL, rte_rcu_qsbr_get_memsize(2), RTE_CACHE_LINE_SIZE);
	if (mp == NULL || qsbr == NULL || rte_rcu_qsbr_init(qsbr, 2) != 0)
		return 1;
	conf = evs_l2_conf_build(&spec, err, sizeof(err));
	macs = evs_l2_macs_create(
	    &(struct evs_l2_macs_config){.name = "bplm", .capacity = 1024, .qsbr = qsbr});
	if (conf == NULL || macs == NULL)
		return 1;
	evs_l2_macs_add_static(macs, 0, &a, 0, 0);
	evs_l2_macs_add_static(macs, 0, &b, 1, 0);
	reg = evs_registry_create(mods, with_ct ? 3 : 1);
	if (reg == NULL)
		return 1;
	l2st = (struct evs_l2_state){.conf = conf, .macs = macs};
	st.mod[0] = &l2st;
	st.mod[1] = &cst;
	for (int i = 0; i < BURST; i++)
		pkts[i] = make_frame(mp, &b, &a);

	printf("# TSC %.2f GHz; cycles are TSC ticks per packet, median of %u runs of %u packets\n",
	       rte_get_tsc_hz() / 1e9, reps, PKTS_PER_REP);
	printf("%-10s %10s %10s %10s %10s %8s\n", "flows", "parse", "pipeline", "total", "Mpps(1c)",
	       "emc%");
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
				uint64_t t0, t1, t2;

				for (int i = 0; i < BURST; i++) {
					/* scattered walk over the flows (odd stride) */
					f = (f + 2654435761u) % nf;
					set_flow(pkts[i], f);
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
			tp[r] = cp / PKTS_PER_REP;
			tl[r] = cl / PKTS_PER_REP;
			tt[r] = (cp + cl) / PKTS_PER_REP;
		}
		evs_cls_stats_get(evs_pipeline_lcore_cls(pl), &cs1);
		qsort(tp, reps, sizeof(tp[0]), cmp_u64);
		qsort(tl, reps, sizeof(tl[0]), cmp_u64);
		qsort(tt, reps, sizeof(tt[0]), cmp_u64);
		printf("%-10u %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %10.2f %7.1f%%\n", nf,
		       tp[reps / 2], tl[reps / 2], tt[reps / 2],
		       rte_get_tsc_hz() / 1e6 / (double)tt[reps / 2],
		       100.0 * (double)(cs1.emc_hits - cs0.emc_hits) /
			   (double)(cs1.lookups - cs0.lookups));
		evs_pipeline_lcore_free(pl);
		evs_ct_free(ct);
	}
	return 0;
}
