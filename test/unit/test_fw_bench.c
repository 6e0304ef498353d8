/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `test_firewall --bench-pipeline FLOWS PACKETS [--no-fw]`: established UDP
 * connections from port 0 to a filtered port 1 through the real pipeline
 * (modules l2, ct, fw): pass 1 ct lookup and recirculate, pass 2 switching
 * on +est. Warm-up: each flow's first packet (the rules decide, committed)
 * and a reply (established). Then PACKETS forward packets in 32-packet
 * bursts over the flows. With --no-fw nothing is filtered (plain L2).
 * For callgrind: run with two PACKETS values and divide the difference of
 * the "Collected" instruction counts by the difference of packets.
 */
#include <errno.h>
#include <netinet/in.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>
#include <rte_udp.h>

#include "evs_ct_module.h"
#include "evs_fw_module.h"
#include "evs_l2.h"
#include "evs_pipeline.h"

int fw_bench_pipeline(struct rte_mempool *mp, uint32_t flows, uint32_t packets, bool with_fw);

enum { BURST = 32 };
static const struct rte_ether_addr mac_a = {{0x02, 0, 0, 0, 0, 1}}, mac_b = {{0x02, 0, 0, 0, 0, 2}};
#define IP_A 0xc6130001u /* 198.19.0.1 (+ flow / 65536) */
#define IP_B 0xc6130202u /* 198.19.2.2 */

static uint64_t sent[2]; /* by port */

static uint16_t sink(void *arg, uint16_t port, struct rte_mbuf **pkts, uint16_t n)
{
	(void)arg;
	sent[port & 1] += n;
	rte_pktmbuf_free_bulk(pkts, n);
	return n;
}

/* UDP flow @f from a to b, or its reply. */
static struct rte_mbuf *frame(struct rte_mempool *mp, uint32_t f, bool reply)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	uint8_t *p = m != NULL ? (uint8_t *)rte_pktmbuf_append(m, 60) : NULL;
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)p;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eh + 1);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	uint32_t a = IP_A + f / 50000, b = IP_B;
	uint16_t pa = (uint16_t)(10000 + f % 50000), pb = 5001;

	if (p == NULL)
		return NULL;
	memset(p, 0, 60);
	eh->dst_addr = reply ? mac_a : mac_b;
	eh->src_addr = reply ? mac_b : mac_a;
	eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = 0x45;
	ip->total_length = RTE_BE16(46);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(reply ? b : a);
	ip->dst_addr = rte_cpu_to_be_32(reply ? a : b);
	ip->hdr_checksum = evs_ipv4_hdr_cksum(ip);
	udp->src_port = rte_cpu_to_be_16(reply ? pb : pa);
	udp->dst_port = rte_cpu_to_be_16(reply ? pa : pb);
	udp->dgram_len = RTE_BE16(26);
	return m;
}

/* @n frames of flows from @f (stride @stride), in bursts. */
static int run(struct evs_pipeline_lcore *pl, const struct evs_pipeline_state *st,
	       struct rte_mempool *mp, uint32_t flows, uint32_t *f, uint32_t stride, uint32_t n,
	       bool reply)
{
	struct rte_mbuf *pkts[BURST];
	struct evs_flow_key keys[BURST];

	for (uint32_t done = 0; done < n; done += BURST) {
		for (int i = 0; i < BURST; i++) {
			pkts[i] = frame(mp, *f, reply);
			if (pkts[i] == NULL)
				return -1;
			evs_packet_parse(pkts[i], reply ? 1 : 0, &keys[i]);
			*f = (*f + stride) % flows;
		}
		evs_pipeline_run(pl, st, pkts, keys, BURST);
	}
	return 0;
}

int fw_bench_pipeline(struct rte_mempool *mp, uint32_t flows, uint32_t packets, bool with_fw)
{
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
							&evs_fw_module};
	struct evs_fw_port_conf pc = {.n_addrs = 1, .n_groups = 1, .groups = {"g"}};
	struct evs_fw_rule r = {.id = 1,
				.priority = 1,
				.dir = EVS_FW_INGRESS,
				.action = EVS_FW_ALLOW,
				.proto = IPPROTO_UDP,
				.sport_hi = UINT16_MAX,
				.dport_hi = UINT16_MAX};
	struct evs_ct_mod_state cst = {0};
	struct evs_pipeline_state st = {0};
	struct evs_l2_state l2st;
	struct evs_fw_mod_state fst;
	struct evs_fw_mod_args fa;
	struct evs_pipeline_lcore *pl;
	struct rte_rcu_qsbr *qsbr = NULL;
	struct evs_l2_macs *macs = NULL;
	struct evs_l2_conf *conf;
	struct evs_ct *ct = NULL;
	struct evs_fw *fw = NULL;
	struct evs_registry *reg = NULL;
	uint32_t f = 0;
	char err[128];
	int rc = -1;

	conf = evs_l2_conf_build(&spec, err, sizeof(err));
	qsbr = rte_zmalloc(NULL, rte_rcu_qsbr_get_memsize(1), RTE_CACHE_LINE_SIZE);
	if (qsbr == NULL || rte_rcu_qsbr_init(qsbr, 1) != 0)
		goto out;
	macs = evs_l2_macs_create(
	    &(struct evs_l2_macs_config){.name = "fwbm", .capacity = 64, .qsbr = qsbr});
	ct = evs_ct_create(&(struct evs_ct_config){.name = "fwbct",
						   .max_conns = 2 * flows + 1024,
						   .n_lcores = 2,
						   .socket_id = SOCKET_ID_ANY});
	fw = evs_fw_create(&(struct evs_fw_config){.name = "fwb",
						   .socket_id = SOCKET_ID_ANY,
						   .n_lcores = 1,
						   .max_rules = 16,
						   .max_groups = 2,
						   .max_ports = 2});
	reg = evs_registry_create(mods, RTE_DIM(mods));
	if (conf == NULL || macs == NULL || ct == NULL || fw == NULL || reg == NULL) {
		fprintf(stderr, "set-up failed: conf %p macs %p ct %p fw %p reg %p (%s)\n",
			(void *)conf, (void *)macs, (void *)ct, (void *)fw, (void *)reg, err);
		goto out;
	}
	evs_l2_macs_add_static(macs, 0, &mac_a, 0, 0);
	evs_l2_macs_add_static(macs, 0, &mac_b, 1, 0);
	pc.addrs[0] = (struct evs_fw_cidr){.af = 4, .plen = 32};
	*(uint32_t *)pc.addrs[0].addr = rte_cpu_to_be_32(IP_B);
	if (with_fw && (evs_fw_group_add(fw, "g") != 0 || evs_fw_rule_add(fw, "g", &r) != 0 ||
			evs_fw_port_set(fw, 1, &pc) != 0 || evs_fw_commit(fw) != 0))
		goto out;
	l2st = (struct evs_l2_state){.conf = conf, .macs = macs};
	fst = (struct evs_fw_mod_state){.fw = fw, .zone = EVS_FW_ZONE_DEFAULT};
	fa = (struct evs_fw_mod_args){.fw = fw, .ct = ct};
	st.mod[0] = &l2st;
	st.mod[1] = &cst;
	st.mod[2] = &fst;
	pl = evs_pipeline_lcore_create(
	    &(struct evs_pipeline_lcore_config){.name = "fwb",
						.reg = reg,
						.pool = mp,
						.tx = sink,
						.max_flows = 4096,
						.socket_id = SOCKET_ID_ANY,
						.mod_args = {macs, ct, &fa}});
	if (pl == NULL) {
		fprintf(stderr, "pipeline lcore: %s\n", strerror(errno));
		goto out;
	}
	/* warm-up: each flow decided and committed, then answered */
	for (uint32_t w = 0; w < flows; w += BURST) {
		uint32_t g = w;

		run(pl, &st, mp, flows, &f, 1, BURST, false);
		run(pl, &st, mp, flows, &g, 1, BURST, true);
	}
	printf("conns %u\n", evs_ct_zone_count(ct, EVS_FW_ZONE_DEFAULT));
	/* the measured part: forward packets of established connections */
	sent[1] = 0;
	rc = run(pl, &st, mp, flows, &f, 7919, packets, false);
	printf("forwarded %" PRIu64 " of %u\n", sent[1], packets);
	if (sent[1] != packets)
		rc = -1;
	evs_pipeline_lcore_free(pl);
out:
	evs_registry_free(reg);
	evs_fw_free(fw);
	evs_ct_free(ct);
	evs_l2_macs_free(macs);
	evs_l2_conf_free(conf);
	rte_free(qsbr);
	return rc;
}
