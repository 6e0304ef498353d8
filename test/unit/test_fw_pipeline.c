/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The firewall in the real pipeline (modules l2, ct, fw): the
 * mask-sufficiency property of its stage, and a benchmark.
 *
 * `test_firewall --bench-pipeline FLOWS PACKETS [--no-fw|--unreplied|--new]`: established UDP
 * connections from port 0 to a filtered port 1 through the real pipeline
 * (modules l2, ct, fw): pass 1 ct lookup and recirculate, pass 2 switching
 * on +est. Warm-up: each flow's first packet (the rules decide, committed)
 * and a reply (established). Then PACKETS forward packets in 32-packet
 * bursts over the flows. With --no-fw nothing is filtered (plain L2). With
 * --unreplied no reply is sent: the connections stay new (one-way UDP, as
 * the perf suite's generator sends it) and every packet takes the
 * firewall's new path at its first packet only (later ones go on in the
 * first pass). With --new there is no warm-up and every packet opens a new
 * connection (FLOWS >= PACKETS): ct miss, second pass, rules, commit.
 * With --new-tcp PACKETS TCP handshakes (SYN, SYN-ACK, ACK; a 32-flow burst
 * of each in turn), each a new connection. With --frag, as with no flag but
 * each packet is a piece of a 608-byte UDP datagram cut in two (208 + 400
 * bytes, frames built per piece: their cost is in the figure).
 * For callgrind: run with two PACKETS values and divide the difference of
 * the "Collected" instruction counts by the difference of packets.
 */
#include <arpa/inet.h>
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
#include <rte_tcp.h>
#include <rte_udp.h>

#include "evs_ct_module.h"
#include "evs_fw_module.h"
#include "evs_l2.h"
#include "evs_pipeline.h"
#include "fw_test.h"
#include "unit_case.h"
#include "unit_mask.h"

extern struct rte_mempool *pool;

enum { BURST = 32 };
static const struct rte_ether_addr mac_a = {{0x02, 0, 0, 0, 0, 1}}, mac_b = {{0x02, 0, 0, 0, 0, 2}};
#define IP_A 0xc6130001u /* 198.19.0.1 (+ flow / 65536) */
#define IP_B 0xc6130202u /* 198.19.2.2 */

static uint64_t sent[2]; /* by port */

static struct rte_mbuf *frame_piece(uint32_t f, uint16_t id, uint16_t off, uint16_t len, bool more);

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

/* TCP segment @flags of flow @f (as frame(), TCP instead of UDP): the
 * client's sequence starts at 1000, the server's at 5000. */
static struct rte_mbuf *frame_tcp(struct rte_mempool *mp, uint32_t f, bool reply, uint8_t flags)
{
	struct rte_mbuf *m = frame(mp, f, reply);
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *th;
	uint16_t sport, dport;
	bool syn = flags & RTE_TCP_SYN_FLAG;

	if (m == NULL)
		return NULL;
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));
	th = (struct rte_tcp_hdr *)(ip + 1);
	sport = ((struct rte_udp_hdr *)th)->src_port;
	dport = ((struct rte_udp_hdr *)th)->dst_port;
	memset(th, 0, sizeof(*th));
	th->src_port = sport;
	th->dst_port = dport;
	th->sent_seq = rte_cpu_to_be_32(reply ? 5000 : syn ? 1000 : 1001);
	th->recv_ack = rte_cpu_to_be_32(reply ? 1001 : syn ? 0 : 5001);
	th->data_off = 5 << 4;
	th->tcp_flags = flags;
	th->rx_win = RTE_BE16(65535);
	ip->next_proto_id = IPPROTO_TCP;
	ip->total_length = RTE_BE16(40);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = evs_ipv4_hdr_cksum(ip);
	return m;
}

/* The three segments of a handshake for flows @f.. @f+BURST-1, a burst each. */
static int handshakes(struct evs_pipeline_lcore *pl, const struct evs_pipeline_state *st,
		      struct rte_mempool *mp, uint32_t f)
{
	static const uint8_t seg[3] = {RTE_TCP_SYN_FLAG, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG,
				       RTE_TCP_ACK_FLAG};
	struct rte_mbuf *pkts[BURST];
	struct evs_flow_key keys[BURST];

	for (int s = 0; s < 3; s++) {
		for (int i = 0; i < BURST; i++) {
			pkts[i] = frame_tcp(mp, f + (uint32_t)i, s == 1, seg[s]);
			if (pkts[i] == NULL)
				return -1;
			evs_packet_parse(pkts[i], s == 1 ? 1 : 0, &keys[i]);
		}
		evs_pipeline_run(pl, st, pkts, keys, BURST);
	}
	return 0;
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

/* Switch sw0 with ports 0-2; the firewall filters port 1 (10.0.0.1,
 * fd00::1, IP_B) and, with SNAT, port 2 (10.0.0.2) and translates
 * 10.0.0.0/24 to 192.0.2.9. */
struct fw_world {
	struct rte_rcu_qsbr *qsbr;
	struct evs_l2_conf *conf;
	struct evs_l2_macs *macs;
	struct evs_ct *ct;
	struct evs_fw *fw;
	struct evs_registry *reg;
	struct evs_pipeline_lcore *pl;
	struct evs_ct_mod_state cst;
	struct evs_l2_state l2st;
	struct evs_fw_mod_state fst;
	struct evs_fw_mod_args fa;
	struct evs_pipeline_state st;
};

/* Rule @id: allow protocol @proto in direction @dir, any address and port. */
static struct evs_fw_rule allow_rule(uint32_t id, enum evs_fw_dir dir, uint8_t proto)
{
	return (struct evs_fw_rule){.id = id,
				    .priority = 1,
				    .dir = dir,
				    .action = EVS_FW_ALLOW,
				    .proto = proto,
				    .sport_hi = UINT16_MAX,
				    .dport_hi = UINT16_MAX};
}

static void cidr(struct evs_fw_cidr *c, const char *txt)
{
	c->af = strchr(txt, ':') != NULL ? 6 : 4;
	c->plen = c->af == 4 ? 32 : 128;
	inet_pton(c->af == 4 ? AF_INET : AF_INET6, txt, c->addr);
}

static int world_up(struct fw_world *w, struct rte_mempool *mp, uint32_t conns, bool with_fw,
		    bool with_snat)
{
	static const struct evs_l2_switch_spec sw = {.id = 0, .name = "sw0"};
	static const struct evs_l2_port_spec ps[] = {
	    {.port = 0, .has_native = true, .native_switch = 0},
	    {.port = 1, .has_native = true, .native_switch = 0},
	    {.port = 2, .has_native = true, .native_switch = 0}};
	const struct evs_l2_conf_spec spec = {.nb_switches = 1,
					      .switches = &sw,
					      .nb_ports = 3,
					      .ports = ps,
					      .socket_id = SOCKET_ID_ANY};
	static const struct evs_module *const mods[] = {&evs_l2_module, &evs_ct_module,
							&evs_fw_module};
	struct evs_fw_port_conf p1 = {.n_addrs = 3, .n_groups = 1, .groups = {"g"}};
	struct evs_fw_port_conf p2 = {.n_addrs = 1, .n_groups = 1, .groups = {"g"}};
	struct evs_fw_rule r = allow_rule(1, EVS_FW_INGRESS, IPPROTO_UDP);
	struct evs_fw_snat sn = {.src = {.af = 4, .plen = 24}, .to = {.kind = EVS_CT_NAT_SRC}};
	char err[128];

	memset(w, 0, sizeof(*w));
	cidr(&p1.addrs[0], "10.0.0.1");
	cidr(&p1.addrs[1], "fd00::1");
	cidr(&p1.addrs[2], "198.19.2.2"); /* IP_B, the benchmark's destination */
	cidr(&p2.addrs[0], "10.0.0.2");
	inet_pton(AF_INET, "10.0.0.0", sn.src.addr);
	inet_pton(AF_INET, "192.0.2.9", sn.to.addr_min);
	inet_pton(AF_INET, "192.0.2.9", sn.to.addr_max);
	w->qsbr = rte_zmalloc(NULL, rte_rcu_qsbr_get_memsize(1), RTE_CACHE_LINE_SIZE);
	if (w->qsbr == NULL || rte_rcu_qsbr_init(w->qsbr, 1) != 0)
		return -1;
	w->conf = evs_l2_conf_build(&spec, err, sizeof(err));
	w->macs = evs_l2_macs_create(
	    &(struct evs_l2_macs_config){.name = "fwpm", .capacity = 64, .qsbr = w->qsbr});
	w->ct = evs_ct_create(&(struct evs_ct_config){
	    .name = "fwpct", .max_conns = conns, .n_lcores = 2, .socket_id = SOCKET_ID_ANY});
	w->fw = evs_fw_create(&(struct evs_fw_config){.name = "fwp",
						      .socket_id = SOCKET_ID_ANY,
						      .n_lcores = 1,
						      .max_rules = 16,
						      .max_groups = 2,
						      .max_ports = 3});
	w->reg = evs_registry_create(mods, RTE_DIM(mods));
	if (w->conf == NULL || w->macs == NULL || w->ct == NULL || w->fw == NULL || w->reg == NULL)
		return -1;
	evs_l2_macs_add_static(w->macs, 0, &mac_a, 0, 0);
	evs_l2_macs_add_static(w->macs, 0, &mac_b, 1, 0);
	if (with_fw &&
	    (evs_fw_group_add(w->fw, "g") != 0 || evs_fw_rule_add(w->fw, "g", &r) != 0 ||
	     evs_fw_port_set(w->fw, 1, &p1) != 0 ||
	     (with_snat && evs_fw_port_set(w->fw, 2, &p2) != 0) || evs_fw_commit(w->fw) != 0))
		return -1;
	if (with_snat) {
		struct evs_fw_dnat dn = {
		    .af = 4,
		    .proto = IPPROTO_TCP,
		    .port = 80,
		    .to = {.kind = EVS_CT_NAT_DST, .port_min = 8080, .port_max = 8080}};

		inet_pton(AF_INET, "10.0.0.9", dn.addr);
		inet_pton(AF_INET, "10.0.0.2", dn.to.addr_min);
		inet_pton(AF_INET, "10.0.0.2", dn.to.addr_max);
		if (evs_fw_snat_stage(w->fw, &sn, 1) != 0 || evs_fw_dnat_stage(w->fw, &dn, 1) != 0)
			return -1;
		evs_fw_snat_publish(w->fw);
		evs_fw_dnat_publish(w->fw);
	}
	w->l2st = (struct evs_l2_state){.conf = w->conf, .macs = w->macs};
	w->fst = (struct evs_fw_mod_state){.fw = w->fw, .zone = EVS_FW_ZONE_DEFAULT};
	w->fa = (struct evs_fw_mod_args){.fw = w->fw, .ct = w->ct};
	w->st.mod[0] = &w->l2st;
	w->st.mod[1] = &w->cst;
	w->st.mod[2] = &w->fst;
	w->pl = evs_pipeline_lcore_create(
	    &(struct evs_pipeline_lcore_config){.name = "fwp",
						.reg = w->reg,
						.pool = mp,
						.tx = sink,
						.max_flows = 4096,
						.socket_id = SOCKET_ID_ANY,
						.mod_args = {w->macs, w->ct, &w->fa}});
	return w->pl != NULL ? 0 : -1;
}

static void world_down(struct fw_world *w)
{
	evs_pipeline_lcore_free(w->pl);
	evs_registry_free(w->reg);
	evs_fw_free(w->fw);
	evs_ct_free(w->ct);
	evs_l2_macs_free(w->macs);
	evs_l2_conf_free(w->conf);
	rte_free(w->qsbr);
}

int fw_bench_pipeline(struct rte_mempool *mp, uint32_t flows, uint32_t packets,
		      enum fw_bench_mode mode)
{
	struct fw_world w;
	uint32_t f = 0;
	int rc = -1;

	if (world_up(&w, mp, 2 * flows + 1024, mode != FW_BENCH_NO_FW, false) < 0) {
		fprintf(stderr, "set-up failed\n");
		goto out;
	}
	/* warm-up: each flow decided and committed, then answered (unless unreplied) */
	for (uint32_t wu = 0; (mode < FW_BENCH_NEW || mode == FW_BENCH_FRAG) && wu < flows;
	     wu += BURST) {
		uint32_t g = wu;

		run(w.pl, &w.st, mp, flows, &f, 1, BURST, false);
		if (mode != FW_BENCH_UNREPLIED)
			run(w.pl, &w.st, mp, flows, &g, 1, BURST, true);
	}
	printf("conns %u\n", evs_ct_zone_count(w.ct, EVS_FW_ZONE_DEFAULT));
	/* the measured part: forward packets of established (or unreplied) connections */
	sent[0] = sent[1] = 0;
	if (mode == FW_BENCH_NEW_TCP) {
		struct evs_fw_rule r = allow_rule(3, EVS_FW_INGRESS, IPPROTO_TCP);

		if (evs_fw_rule_add(w.fw, "g", &r) != 0 || evs_fw_commit(w.fw) != 0)
			goto out;
		for (rc = 0; rc == 0 && f < packets; f += BURST)
			rc = handshakes(w.pl, &w.st, mp, f);
		printf("handshakes %u: forwarded %" PRIu64 ", replies %" PRIu64 ", conns %u\n",
		       packets, sent[1], sent[0], evs_ct_zone_count(w.ct, EVS_FW_ZONE_DEFAULT));
		if (sent[1] != 2 * (uint64_t)packets || sent[0] != packets)
			rc = -1;
		goto out;
	}
	if (mode == FW_BENCH_FRAG) {
		struct rte_mbuf *pkts[BURST];
		struct evs_flow_key keys[BURST];
		uint16_t id = 0;

		for (uint32_t done = 0; done < packets; done += BURST) {
			for (int i = 0; i < BURST; i += 2, id++, f = (f + 7919) % flows) {
				pkts[i] = frame_piece(f, id, 0, 208, true);
				pkts[i + 1] = frame_piece(f, id, 208, 400, false);
				if (pkts[i] == NULL || pkts[i + 1] == NULL) {
					for (int j = 0; j <= i + 1; j++)
						rte_pktmbuf_free(pkts[j]);
					goto out;
				}
				evs_packet_parse(pkts[i], 0, &keys[i]);
				evs_packet_parse(pkts[i + 1], 0, &keys[i + 1]);
			}
			evs_pipeline_run(w.pl, &w.st, pkts, keys, BURST);
		}
		printf("forwarded %" PRIu64 " pieces of %u\n", sent[1], packets);
		rc = sent[1] == packets ? 0 : -1;
		goto out;
	}
	rc = run(w.pl, &w.st, mp, flows, &f, mode == FW_BENCH_NEW ? 1 : 7919, packets, false);
	printf("forwarded %" PRIu64 " of %u\n", sent[1], packets);
	if (sent[1] != packets)
		rc = -1;
out:
	world_down(&w);
	return rc;
}

/*
 * Keys agreeing with a key under its megaflow mask get the same program
 * (firewall, conntrack and L2 stages together), over random keys: both
 * passes, every ct_state, filtered and unfiltered ports, destinations that
 * are a filtered vNIC, a translated address or neither, routed (ldp) ones,
 * ICMPv6 around the neighbour-discovery types, TCP/UDP around a DNAT rule.
 */
START_TEST(mask_is_sufficient_fw)
{
	static const char *const dsts4[] = {"10.0.0.1", "10.0.0.2", "192.0.2.9", "10.0.0.7",
					    "10.0.0.9"};
	static const uint8_t states[] = {0,
					 EVS_CT_TRACKED | EVS_CT_NEW,
					 EVS_CT_TRACKED | EVS_CT_ESTABLISHED,
					 EVS_CT_TRACKED | EVS_CT_ESTABLISHED | EVS_CT_REPLY,
					 EVS_CT_TRACKED | EVS_CT_RELATED,
					 EVS_CT_TRACKED | EVS_CT_INVALID};
	static const rte_be16_t types[] = {
	    RTE_BE16(RTE_ETHER_TYPE_IPV4), RTE_BE16(RTE_ETHER_TYPE_IPV4),
	    RTE_BE16(RTE_ETHER_TYPE_IPV6), RTE_BE16(RTE_ETHER_TYPE_ARP)};
	unsigned int tracked = 0, opcoded = 0, dnat = 0;
	struct fw_world w;

	ck_assert_int_eq(world_up(&w, pool, 1024, true, true), 0);
	for (unsigned int i = 0; i < 6000; i++) {
		struct evs_flow_key k[2];
		struct evs_flow_mask mask;

		for (unsigned int j = 0; j < 2; j++) {
			unit_mask_random_key(&k[j]);
			k[j].in_port = (uint16_t)(rte_rand() % 3);
			k[j].vlan_tci = 0;
			k[j].recirc_id = rte_rand() % 2 ? 0 : EVS_FW_RECIRC;
			k[j].ldp = rte_rand() % 8 == 0 ? 1 : 0;
			k[j].dst_mac = rte_rand() % 2 ? mac_a : mac_b;
			k[j].src_mac = rte_rand() % 2 ? mac_b : mac_a;
			k[j].ethertype = types[rte_rand() % RTE_DIM(types)];
			k[j].ct_state = states[rte_rand() % RTE_DIM(states)];
			k[j].ip_frag = 0;
			if (k[j].ethertype == RTE_BE16(RTE_ETHER_TYPE_IPV6)) {
				inet_pton(AF_INET6, rte_rand() % 2 ? "fd00::1" : "fd00::2",
					  k[j].dst_ip);
				/* neighbour discovery passes unfiltered: types 133-137 */
				if (rte_rand() % 2) {
					k[j].ip_proto = IPPROTO_ICMPV6;
					k[j].l4_src = rte_cpu_to_be_16(130 + rte_rand() % 10);
				}
			} else {
				memset(k[j].dst_ip + 4, 0, 12);
				inet_pton(AF_INET, dsts4[rte_rand() % RTE_DIM(dsts4)], k[j].dst_ip);
				/* around the DNAT rule: 10.0.0.9 TCP 80 */
				k[j].ip_proto = rte_rand() % 2 ? IPPROTO_TCP : IPPROTO_UDP;
				k[j].l4_dst = rte_cpu_to_be_16(rte_rand() % 2 ? 80 : 81);
				dnat += k[j].dst_ip[3] == 9;
			}
		}
		unit_mask_check(w.pl, &w.st, &k[0], &k[1], &mask, i);
		tracked += mask.bits.ct_state != 0;
		opcoded += mask.bits.dst_ip[0] != 0 && mask.bits.ct_state != 0;
	}
	/* the random keys reached both passes' decisions */
	ck_assert_uint_gt(tracked, 500);
	ck_assert_uint_gt(opcoded, 200);
	ck_assert_uint_gt(dnat, 500);
	world_down(&w);
}
END_TEST

/* One burst of flows @f[] (replies where @reply[i]); what was recirculated. */
static uint64_t mixed_burst(struct fw_world *w, const uint32_t *f, const bool *reply, uint16_t n)
{
	struct rte_mbuf *pkts[BURST];
	struct evs_flow_key keys[BURST];
	struct evs_pipeline_stats a, b;

	evs_pipeline_stats_get(w->pl, &a);
	for (uint16_t i = 0; i < n; i++) {
		pkts[i] = frame(pool, f[i], reply[i]);
		ck_assert_ptr_nonnull(pkts[i]);
		evs_packet_parse(pkts[i], reply[i] ? 1 : 0, &keys[i]);
	}
	evs_pipeline_run(w->pl, &w->st, pkts, keys, n);
	evs_pipeline_stats_get(w->pl, &b);
	return b.recirculated - a.recirculated;
}

/*
 * Established, reply and new packets mixed in bursts: the established and
 * reply ones are switched in the first pass (ct lets them go on), only
 * new ones are classified again; all are delivered where they would be
 * with a second pass, and unsolicited traffic from the filtered port is
 * still dropped.
 */
START_TEST(established_in_one_pass)
{
	struct fw_world w;
	uint32_t f[BURST];
	bool rep[BURST];
	uint64_t recirc = 0;

	ck_assert_int_eq(world_up(&w, pool, 4096, true, false), 0);
	sent[0] = sent[1] = 0;
	/* 32 new connections to the filtered port: each recirculated once */
	for (int i = 0; i < BURST; i++) {
		f[i] = (uint32_t)i;
		rep[i] = false;
	}
	ck_assert_uint_eq(mixed_burst(&w, f, rep, BURST), BURST);
	ck_assert_uint_eq(sent[1], BURST);
	ck_assert_uint_eq(evs_ct_zone_count(w.ct, EVS_FW_ZONE_DEFAULT), BURST);
	/* the first replies establish them, in one pass */
	for (int i = 0; i < BURST; i++)
		rep[i] = true;
	ck_assert_uint_eq(mixed_burst(&w, f, rep, BURST), 0);
	ck_assert_uint_eq(sent[0], BURST);
	/* more replies and forward packets, interleaved, plus 8 new
	 * connections and 8 unsolicited packets from the filtered port */
	for (int r = 0; r < 20; r++) {
		for (int i = 0; i < BURST; i++) {
			int kind = (i + r) % 4;

			rep[i] = kind == 1 || kind == 3;
			f[i] = kind == 2   ? 1000 + (uint32_t)(r * 8 + i / 4) /* new */
			       : kind == 3 ? 2000 + (uint32_t)(r * 8 + i / 4) /* unsolicited */
					   : (uint32_t)((i * 7 + r) % BURST); /* established */
		}
		recirc += mixed_burst(&w, f, rep, BURST);
	}
	/* established forward and replies went on; new and unsolicited did not */
	ck_assert_uint_eq(recirc, 20 * 16);
	ck_assert_uint_eq(sent[1], BURST + 20 * 16); /* forward: established + new */
	ck_assert_uint_eq(sent[0], BURST + 20 * 8);  /* replies only, none unsolicited */
	ck_assert_uint_eq(evs_ct_zone_count(w.ct, EVS_FW_ZONE_DEFAULT), BURST + 20 * 8);
	world_down(&w);
}
END_TEST

/* The drops of reason @name so far. */
static uint64_t drops_of(struct fw_world *w, const char *name)
{
	uint64_t *drops = calloc(evs_registry_n_drops(w->reg), sizeof(*drops)), v = 0;

	ck_assert_ptr_nonnull(drops);
	evs_pipeline_drops_add(w->pl, drops);
	for (unsigned int d = 0; d < evs_registry_n_drops(w->reg); d++)
		if (strcmp(evs_registry_drop_name(w->reg, d), name) == 0)
			v = drops[d];
	free(drops);
	return v;
}

static bool marked_1(uint32_t mark, const uint8_t label[16], void *arg)
{
	(void)label;
	(void)arg;
	return mark == 1;
}

/*
 * One-way UDP: a committed connection without a reply is +new (as in Linux)
 * but its rules were decided at its first packet, so its later packets go
 * on in the first pass: the rules run once per connection. Removing the
 * rule keeps them flowing; flushing the connections the rule allowed (what
 * kill_on_delete does) sends them back to the rules, which now deny.
 */
START_TEST(unreplied_in_one_pass)
{
	struct fw_world w;
	uint32_t f[BURST], g[BURST];
	bool rep[BURST] = {false};
	uint64_t hits = 0;

	ck_assert_int_eq(world_up(&w, pool, 4096, true, false), 0);
	sent[0] = sent[1] = 0;
	for (int i = 0; i < BURST; i++) {
		f[i] = (uint32_t)i;
		g[i] = (uint32_t)(100 + i);
	}
	ck_assert_uint_eq(mixed_burst(&w, f, rep, BURST), BURST);
	for (int r = 0; r < 3; r++)
		ck_assert_uint_eq(mixed_burst(&w, f, rep, BURST), 0);
	ck_assert_uint_eq(sent[1], 4 * BURST);
	ck_assert_int_eq(evs_fw_rule_hits(w.fw, 1, &hits), 0);
	ck_assert_uint_eq(hits, BURST); /* once per connection, not per packet */
	ck_assert_uint_eq(evs_ct_zone_count(w.ct, EVS_FW_ZONE_DEFAULT), BURST);
	/* the rule goes: new connections are denied, committed ones flow */
	ck_assert_int_eq(evs_fw_rule_del(w.fw, 1), 0);
	ck_assert_int_eq(evs_fw_commit(w.fw), 0);
	ck_assert_uint_eq(mixed_burst(&w, g, rep, BURST), BURST);
	ck_assert_uint_eq(mixed_burst(&w, f, rep, BURST), 0);
	ck_assert_uint_eq(sent[1], 5 * BURST);
	/* their connections flushed: back to the rules, denied */
	ck_assert_uint_eq(evs_ct_flush_match(w.ct, EVS_FW_ZONE_DEFAULT, marked_1, NULL), BURST);
	ck_assert_uint_eq(mixed_burst(&w, f, rep, BURST), BURST);
	ck_assert_uint_eq(sent[1], 5 * BURST);
	ck_assert_uint_eq(drops_of(&w, "fw_deny"), 2 * BURST);
	world_down(&w);
}
END_TEST

/* Packets of UDP flow @f from 10.0.0.2 (port 2, translated by SNAT) to b. */
static uint64_t snat_burst(struct fw_world *w, uint32_t f, uint16_t n)
{
	struct rte_mbuf *pkts[BURST];
	struct evs_flow_key keys[BURST];
	struct evs_pipeline_stats a, b;

	evs_pipeline_stats_get(w->pl, &a);
	for (uint16_t i = 0; i < n; i++) {
		struct rte_ipv4_hdr *ip;

		pkts[i] = frame(pool, f, false);
		ck_assert_ptr_nonnull(pkts[i]);
		ip = rte_pktmbuf_mtod_offset(pkts[i], struct rte_ipv4_hdr *,
					     sizeof(struct rte_ether_hdr));
		ip->src_addr = RTE_BE32(0x0a000002);
		ip->hdr_checksum = 0;
		ip->hdr_checksum = evs_ipv4_hdr_cksum(ip);
		evs_packet_parse(pkts[i], 2, &keys[i]);
	}
	evs_pipeline_run(w->pl, &w->st, pkts, keys, n);
	evs_pipeline_stats_get(w->pl, &b);
	return b.recirculated - a.recirculated;
}

/*
 * One-way UDP through SNAT: a committed connection's later packets are
 * translated by the first pass's ct (so classified again) and, +new until a
 * reply, pass on their connection as established ones do: one connection,
 * every packet delivered, the rules consulted once.
 */
START_TEST(unreplied_snat_passes)
{
	struct evs_fw_rule eg = allow_rule(2, EVS_FW_EGRESS, IPPROTO_UDP);
	struct fw_world w;
	uint64_t hits = 0;

	ck_assert_int_eq(world_up(&w, pool, 4096, true, true), 0);
	ck_assert_int_eq(evs_fw_rule_add(w.fw, "g", &eg), 0);
	ck_assert_int_eq(evs_fw_commit(w.fw), 0);
	sent[0] = sent[1] = 0;
	ck_assert_uint_eq(snat_burst(&w, 7, 1), 1);
	ck_assert_uint_eq(sent[1], 1);
	ck_assert_uint_eq(snat_burst(&w, 7, 4), 4); /* translated: classified again */
	ck_assert_uint_eq(sent[1], 5);
	ck_assert_uint_eq(evs_ct_zone_count(w.ct, EVS_FW_ZONE_DEFAULT), 1);
	ck_assert_int_eq(evs_fw_rule_hits(w.fw, 2, &hits), 0);
	ck_assert_uint_eq(hits, 1);
	world_down(&w);
}
END_TEST

/* Piece [off, off + len) of a 608-byte UDP datagram (header included,
 * no checksum) of flow @f with IP id @id. */
static struct rte_mbuf *frame_piece(uint32_t f, uint16_t id, uint16_t off, uint16_t len, bool more)
{
	struct rte_mbuf *h = frame(pool, f, false), *m = rte_pktmbuf_alloc(pool);
	uint8_t *p = m != NULL ? (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(34 + len)) : NULL;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(p + 14);
	uint8_t dg[608];

	if (h == NULL || p == NULL) { /* no ck_assert: the benchmark runs outside Check */
		rte_pktmbuf_free(h);
		rte_pktmbuf_free(m);
		return NULL;
	}
	memcpy(dg, rte_pktmbuf_mtod_offset(h, uint8_t *, 34), 8);
	dg[4] = 608 >> 8;
	dg[5] = 608 & 0xff;
	dg[6] = dg[7] = 0;
	for (int i = 8; i < 608; i++)
		dg[i] = (uint8_t)(i * 7 + id);
	memcpy(p, rte_pktmbuf_mtod(h, uint8_t *), 34);
	rte_pktmbuf_free(h);
	ip->total_length = rte_cpu_to_be_16((uint16_t)(20 + len));
	ip->packet_id = rte_cpu_to_be_16(id);
	ip->fragment_offset =
	    rte_cpu_to_be_16((uint16_t)(off / 8 | (more ? RTE_IPV4_HDR_MF_FLAG : 0)));
	ip->hdr_checksum = 0;
	ip->hdr_checksum = evs_ipv4_hdr_cksum(ip);
	memcpy(p + 34, dg + off, len);
	return m;
}

/*
 * IP fragments to a filtered port: each datagram's pieces get its first
 * fragment's verdict (shallow virtual reassembly in conntrack), in one
 * 32-packet burst: 8 new datagrams of 3 pieces each are delivered whole
 * (one connection each, the rules run once per connection), while 8
 * later pieces whose first never came are dropped as fw_fragment and
 * create nothing; the next datagrams of the same flows pass in the first
 * pass on their connections.
 */
START_TEST(fragments_followed)
{
	static const uint16_t off[3] = {0, 208, 416}, len[3] = {208, 208, 192};
	struct rte_mbuf *pkts[BURST];
	struct evs_flow_key keys[BURST];
	struct evs_pipeline_stats a, b;
	struct fw_world w;

	struct evs_fw_rule deny0 = allow_rule(2, EVS_FW_INGRESS, IPPROTO_UDP);

	ck_assert_int_eq(world_up(&w, pool, 4096, true, false), 0);
	/* a piece seen without its datagram's ports would meet this rule */
	deny0.action = EVS_FW_DENY;
	deny0.priority = 2;
	deny0.dport_hi = 0;
	ck_assert_int_eq(evs_fw_rule_add(w.fw, "g", &deny0), 0);
	ck_assert_int_eq(evs_fw_commit(w.fw), 0);
	sent[0] = sent[1] = 0;
	for (int round = 0; round < 2; round++) {
		evs_pipeline_stats_get(w.pl, &a);
		for (int i = 0; i < BURST; i++) {
			int d = i / 3, pc = i % 3;

			pkts[i] = i < 24 ? frame_piece((uint32_t)d, (uint16_t)(100 * round + d),
						       off[pc], len[pc], pc < 2)
					 : frame_piece((uint32_t)(i - 24), (uint16_t)(50 + i), 208,
						       208, true);
			ck_assert_ptr_nonnull(pkts[i]);
			ck_assert_int_eq(evs_packet_parse(pkts[i], 0, &keys[i]), EVS_DROP_NONE);
		}
		evs_pipeline_run(w.pl, &w.st, pkts, keys, BURST);
		evs_pipeline_stats_get(w.pl, &b);
		ck_assert_uint_eq(sent[1], 24 * (uint64_t)(round + 1));
		ck_assert_uint_eq(drops_of(&w, "fw_fragment"), 8 * (uint64_t)(round + 1));
		ck_assert_uint_eq(drops_of(&w, "fw_deny"), 0);
		ck_assert_uint_eq(evs_ct_zone_count(w.ct, EVS_FW_ZONE_DEFAULT), 8);
		/* first round: every piece of a new connection and the orphans
		 * meet the next pass; then only the orphans */
		ck_assert_uint_eq(b.recirculated - a.recirculated, round == 0 ? 32 : 8);
	}
	world_down(&w);
}
END_TEST

/*
 * New connections from a filtered port to many addresses, in mixed bursts:
 * the destination's port (whose ingress rules apply) is looked up per
 * packet at execution, so they share the second pass's megaflow instead of
 * one per address (an upcall and an entry per connection), and each packet
 * still gets its own destination's rules: port 1 allows UDP, port 2's group
 * has no rules (default deny), an address of no filtered port is decided by
 * the source's egress rules alone.
 */
START_TEST(new_connections_by_destination)
{
	struct evs_fw_rule eg = allow_rule(2, EVS_FW_EGRESS, IPPROTO_UDP);
	struct evs_fw_port_conf p0 = {.n_addrs = 1, .n_groups = 1, .groups = {"g"}};
	struct evs_fw_port_conf p2 = {.n_addrs = 1, .n_groups = 1, .groups = {"h"}};
	struct evs_cls_stats cs;
	struct fw_world w;
	uint64_t want_sent = 0, want_deny = 0;

	ck_assert_int_eq(world_up(&w, pool, 4096, true, false), 0);
	cidr(&p0.addrs[0], "10.0.0.50");
	cidr(&p2.addrs[0], "10.0.0.2");
	ck_assert_int_eq(evs_fw_rule_add(w.fw, "g", &eg), 0);
	ck_assert_int_eq(evs_fw_group_add(w.fw, "h"), 0);
	ck_assert_int_eq(evs_fw_port_set(w.fw, 0, &p0), 0);
	ck_assert_int_eq(evs_fw_port_set(w.fw, 2, &p2), 0);
	ck_assert_int_eq(evs_fw_commit(w.fw), 0);
	sent[0] = sent[1] = 0;
	for (uint32_t b = 0; b < 8; b++) {
		struct rte_mbuf *pkts[BURST];
		struct evs_flow_key keys[BURST];

		for (uint32_t i = 0; i < BURST; i++) {
			uint32_t f = b * BURST + i, kind = (f * 7 + b) % 3;
			struct rte_ipv4_hdr *ip;

			pkts[i] = frame(pool, f, false);
			ck_assert_ptr_nonnull(pkts[i]);
			ip = rte_pktmbuf_mtod_offset(pkts[i], struct rte_ipv4_hdr *,
						     sizeof(struct rte_ether_hdr));
			/* port 1's address, port 2's, or one of many others */
			ip->dst_addr = kind == 0   ? RTE_BE32(IP_B)
				       : kind == 1 ? RTE_BE32(0x0a000002)
						   : rte_cpu_to_be_32(0xc6140000u + f);
			ip->hdr_checksum = 0;
			ip->hdr_checksum = evs_ipv4_hdr_cksum(ip);
			evs_packet_parse(pkts[i], 0, &keys[i]);
			want_sent += kind != 1;
			want_deny += kind == 1;
		}
		evs_pipeline_run(w.pl, &w.st, pkts, keys, BURST);
	}
	ck_assert_uint_eq(sent[1], want_sent);
	ck_assert_uint_eq(drops_of(&w, "fw_deny"), want_deny);
	ck_assert_uint_eq(evs_ct_zone_count(w.ct, EVS_FW_ZONE_DEFAULT), want_sent);
	ck_assert_int_eq(evs_cls_stats_get(evs_pipeline_lcore_cls(w.pl), &cs), 0);
	/* ~100 addresses: a megaflow per pass, not per address */
	ck_assert_msg(cs.n_flows <= 4, "%u megaflows for new connections", cs.n_flows);
	world_down(&w);
}
END_TEST

void fw_pipeline_add_cases(Suite *s)
{
	const struct unit_case cases[] = {
	    {"pipeline_mask_is_sufficient_fw", mask_is_sufficient_fw},
	    {"pipeline_established_in_one_pass", established_in_one_pass},
	    {"pipeline_unreplied_in_one_pass", unreplied_in_one_pass},
	    {"pipeline_unreplied_snat_passes", unreplied_snat_passes},
	    {"pipeline_fragments_followed", fragments_followed},
	    {"pipeline_new_connections_by_destination", new_connections_by_destination},
	};

	unit_add_cases(s, cases, RTE_DIM(cases), NULL, NULL, 0);
}
