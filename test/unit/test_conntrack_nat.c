/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAT cases of the conntrack suite: SNAT/DNAT both ways with checksums,
 * port/identifier allocation, ICMP errors, and allocation against a naive
 * model of who holds which translation.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct_test.h"
#include "unit_case.h"

static struct evs_ct_action snat(const char *lo, const char *hi, uint16_t pmin, uint16_t pmax)
{
	struct evs_ct_action a = act_commit(0);

	a.flags |= EVS_CT_F_NAT;
	a.nat.kind = EVS_CT_NAT_SRC;
	a.nat.v6 = strchr(lo, ':') != NULL;
	addr(lo, a.nat.addr_min);
	addr(hi, a.nat.addr_max);
	a.nat.port_min = pmin;
	a.nat.port_max = pmax;
	return a;
}

/* The key ct left is what a re-parse of the rewritten frame gives (the
 * pipeline classifies it again without re-parsing: evs_exec_recirculate). */
static void assert_key_in_step(struct rte_mbuf *m, const struct evs_flow_key *k)
{
	struct evs_flow_key r;

	ck_assert_int_eq(evs_packet_parse(m, k->in_port, &r), EVS_DROP_NONE);
	/* metadata is the pipeline's, not the frame's */
	r.recirc_id = k->recirc_id;
	r.ldp = k->ldp;
	r.dp_hash = k->dp_hash;
	r.ct_state = k->ct_state;
	r.vrf = k->vrf;
	r.ct_zone = k->ct_zone;
	r.ct_mark = k->ct_mark;
	r.ct_label = k->ct_label;
	ck_assert_mem_eq(&r, k, sizeof(r));
}

/* Checksums of a (translated) packet are right, and its key in step. */
static void assert_cksums(struct rte_mbuf *m, const struct evs_flow_key *k)
{
	assert_key_in_step(m, k);
	if (k->ethertype == RTE_BE16(RTE_ETHER_TYPE_IPV4)) {
		const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, m->l2_len);
		uint16_t stored;

		memcpy(&stored, ip + 10, 2);
		ck_assert_uint_eq(stored, evs_ipv4_hdr_cksum(ip));
	}
	ck_assert_int_eq(evs_l4_cksum_verify(m, k), 0);
}

static void assert_ip(const uint8_t *got, const char *want)
{
	uint8_t a[16];

	addr(want, a);
	ck_assert_mem_eq(got, a, strchr(want, ':') != NULL ? 16 : 4);
}

START_TEST(test_snat_tcp_both_directions)
{
	struct evs_ct_action a = snat("203.0.113.1", "203.0.113.1", 5000, 5010);
	struct spec s = {.src = "10.0.0.1",
			 .dst = "192.0.2.10",
			 .proto = IPPROTO_TCP,
			 .sport = 40000,
			 .dport = 80,
			 .flags = SYN,
			 .seq = 1};
	struct evs_flow_key k;
	struct rte_mbuf *m;
	uint16_t port;

	ck_assert_uint_eq(send1_keep(&s, &a, &m, &k), CT_NEW | EVS_CT_SNAT);
	assert_ip(rte_pktmbuf_mtod_offset(m, uint8_t *, 14 + 12), "203.0.113.1");
	assert_ip(k.src_ip, "203.0.113.1");
	port = rte_be_to_cpu_16(k.l4_src);
	ck_assert_uint_ge(port, 5000);
	ck_assert_uint_le(port, 5010);
	assert_cksums(m, &k);
	rte_pktmbuf_free(m);
	ck_assert_uint_eq(counter(EVS_CT_C_NAT_REWRITE), 1);

	s = (struct spec){.src = "192.0.2.10",
			  .dst = "203.0.113.1",
			  .proto = IPPROTO_TCP,
			  .sport = 80,
			  .dport = port,
			  .flags = SYN | ACK,
			  .seq = 9,
			  .ack = 2};
	ck_assert_uint_eq(send1_keep(&s, &a, &m, &k), CT_RPL | EVS_CT_DNAT);
	assert_ip(k.dst_ip, "10.0.0.1");
	assert_ip(rte_pktmbuf_mtod_offset(m, uint8_t *, 14 + 16), "10.0.0.1");
	ck_assert_uint_eq(rte_be_to_cpu_16(k.l4_dst), 40000);
	assert_cksums(m, &k);
	rte_pktmbuf_free(m);
}
END_TEST

START_TEST(test_snat_ports_unique_then_exhausted)
{
	struct evs_ct_action a = snat("203.0.113.1", "203.0.113.1", 5000, 5003);
	struct spec s = {.src = "10.0.0.1", .dst = "192.0.2.10", .proto = IPPROTO_UDP, .dport = 53};
	bool used[4] = {false};
	struct evs_flow_key k;
	struct rte_mbuf *m;
	uint16_t i, port;

	for (i = 0; i < 4; i++) {
		s.sport = (uint16_t)(1000 + i);
		ck_assert_uint_eq(send1_keep(&s, &a, &m, &k), CT_NEW | EVS_CT_SNAT);
		port = rte_be_to_cpu_16(k.l4_src);
		ck_assert_uint_ge(port, 5000);
		ck_assert_uint_le(port, 5003);
		ck_assert(!used[port - 5000]);
		used[port - 5000] = true;
		rte_pktmbuf_free(m);
	}
	s.sport = 2000;
	ck_assert_uint_eq(send1(&s, &a), CT_INV);
	ck_assert_uint_eq(counter(EVS_CT_C_REFUSED_NAT), 1);
	/* another server has all four ports free */
	s.dst = "192.0.2.11";
	ck_assert_uint_eq(send1(&s, &a), CT_NEW | EVS_CT_SNAT);
	ck_assert_uint_eq(live_conns(), 5);
}
END_TEST

START_TEST(test_snat_keeps_port_when_free)
{
	struct evs_ct_action a = snat("203.0.113.1", "203.0.113.2", 0, 0);
	struct spec s = {.src = "10.0.0.1",
			 .dst = "192.0.2.10",
			 .proto = IPPROTO_UDP,
			 .sport = 1234,
			 .dport = 53};
	struct evs_flow_key k;
	struct rte_mbuf *m;

	ck_assert_uint_eq(send1_keep(&s, &a, &m, &k), CT_NEW | EVS_CT_SNAT);
	ck_assert_uint_eq(rte_be_to_cpu_16(k.l4_src), 1234);
	rte_pktmbuf_free(m);
	/* same port from another client: the second address keeps it too */
	s.src = "10.0.0.2";
	ck_assert_uint_eq(send1_keep(&s, &a, &m, &k), CT_NEW | EVS_CT_SNAT);
	ck_assert_uint_eq(rte_be_to_cpu_16(k.l4_src), 1234);
	assert_ip(k.src_ip, "203.0.113.2");
	rte_pktmbuf_free(m);
	/* and a third gets another port */
	s.src = "10.0.0.3";
	ck_assert_uint_eq(send1_keep(&s, &a, &m, &k), CT_NEW | EVS_CT_SNAT);
	ck_assert_uint_ne(rte_be_to_cpu_16(k.l4_src), 1234);
	ck_assert_uint_ge(rte_be_to_cpu_16(k.l4_src), 1024);
	rte_pktmbuf_free(m);
}
END_TEST

START_TEST(test_dnat_ipv6_udp)
{
	struct evs_ct_action a = act_commit(0);
	struct spec s = {.src = "fd00::1",
			 .dst = "fd00::100",
			 .proto = IPPROTO_UDP,
			 .sport = 7000,
			 .dport = 53,
			 .payload = 11};
	struct evs_flow_key k;
	struct rte_mbuf *m;

	a.flags |= EVS_CT_F_NAT;
	a.nat.kind = EVS_CT_NAT_DST;
	a.nat.v6 = true;
	addr("fd00::2", a.nat.addr_min);
	addr("fd00::2", a.nat.addr_max);
	a.nat.port_min = a.nat.port_max = 5353;
	ck_assert_uint_eq(send1_keep(&s, &a, &m, &k), CT_NEW | EVS_CT_DNAT);
	assert_ip(k.dst_ip, "fd00::2");
	ck_assert_uint_eq(rte_be_to_cpu_16(k.l4_dst), 5353);
	assert_cksums(m, &k);
	rte_pktmbuf_free(m);
	s = (struct spec){.src = "fd00::2",
			  .dst = "fd00::1",
			  .proto = IPPROTO_UDP,
			  .sport = 5353,
			  .dport = 7000,
			  .payload = 3};
	ck_assert_uint_eq(send1_keep(&s, &a, &m, &k), CT_RPL | EVS_CT_SNAT);
	assert_ip(k.src_ip, "fd00::100");
	ck_assert_uint_eq(rte_be_to_cpu_16(k.l4_src), 53);
	assert_cksums(m, &k);
	rte_pktmbuf_free(m);
	/* without a port range DNAT keeps the port */
	a.nat.port_min = a.nat.port_max = 0;
	s = (struct spec){
	    .src = "fd00::7", .dst = "fd00::100", .proto = IPPROTO_UDP, .sport = 7, .dport = 53};
	ck_assert_uint_eq(send1_keep(&s, &a, &m, &k), CT_NEW | EVS_CT_DNAT);
	assert_ip(k.dst_ip, "fd00::2");
	ck_assert_uint_eq(rte_be_to_cpu_16(k.l4_dst), 53);
	rte_pktmbuf_free(m);
	/* an IPv4 range leaves IPv6 alone (and the reverse) */
	a.nat.v6 = false;
	s = (struct spec){
	    .src = "fd00::5", .dst = "fd00::100", .proto = IPPROTO_UDP, .sport = 1, .dport = 53};
	ck_assert_uint_eq(send1(&s, &a), CT_NEW);
}
END_TEST

START_TEST(test_snat_icmp_identifiers)
{
	struct evs_ct_action a = snat("203.0.113.1", "203.0.113.1", 100, 200);
	struct spec q = {.src = "10.0.0.1",
			 .dst = "192.0.2.10",
			 .proto = IPPROTO_ICMP,
			 .icmp_type = 8,
			 .icmp_id = 7};
	struct evs_flow_key k;
	struct rte_mbuf *m;
	uint16_t id1, id2;

	ck_assert_uint_eq(send1_keep(&q, &a, &m, &k), CT_NEW | EVS_CT_SNAT);
	id1 = rte_be_to_cpu_16(*rte_pktmbuf_mtod_offset(m, rte_be16_t *, 14 + 20 + 4));
	assert_cksums(m, &k);
	rte_pktmbuf_free(m);
	q.src = "10.0.0.2";
	ck_assert_uint_eq(send1_keep(&q, &a, &m, &k), CT_NEW | EVS_CT_SNAT);
	id2 = rte_be_to_cpu_16(*rte_pktmbuf_mtod_offset(m, rte_be16_t *, 14 + 20 + 4));
	rte_pktmbuf_free(m);
	ck_assert_uint_ne(id1, id2);
	ck_assert(id1 >= 100 && id1 <= 200 && id2 >= 100 && id2 <= 200);
	/* the reply to the second comes back to 10.0.0.2 with id 7 */
	q = (struct spec){.src = "192.0.2.10",
			  .dst = "203.0.113.1",
			  .proto = IPPROTO_ICMP,
			  .icmp_type = 0,
			  .icmp_id = id2};
	ck_assert_uint_eq(send1_keep(&q, &a, &m, &k), CT_RPL | EVS_CT_DNAT);
	assert_ip(k.dst_ip, "10.0.0.2");
	ck_assert_uint_eq(rte_be_to_cpu_16(*rte_pktmbuf_mtod_offset(m, rte_be16_t *, 14 + 20 + 4)),
			  7);
	assert_cksums(m, &k);
	rte_pktmbuf_free(m);
}
END_TEST

START_TEST(test_nat_icmp_error_translated)
{
	struct evs_ct_action a = snat("203.0.113.1", "203.0.113.1", 6000, 6000);
	struct spec s = {.src = "10.0.0.1",
			 .dst = "192.0.2.10",
			 .proto = IPPROTO_UDP,
			 .sport = 4444,
			 .dport = 53,
			 .payload = 8};
	struct spec err = {
	    .src = "198.51.100.1", .dst = "203.0.113.1", .proto = IPPROTO_ICMP, .icmp_type = 11};
	struct evs_flow_key k;
	struct rte_mbuf *out, *m;
	const uint8_t *inner;

	ck_assert_uint_eq(send1_keep(&s, &a, &out, &k), CT_NEW | EVS_CT_SNAT);
	/* a router past the NAT quotes the translated packet */
	err.quote = out;
	ck_assert_uint_eq(send1_keep(&err, &a, &m, &k),
			  EVS_CT_TRACKED | EVS_CT_RELATED | EVS_CT_REPLY | EVS_CT_DNAT);
	rte_pktmbuf_free(out);
	assert_ip(k.dst_ip, "10.0.0.1");
	assert_ip(k.src_ip, "198.51.100.1"); /* a router's address stays */
	inner = rte_pktmbuf_mtod_offset(m, const uint8_t *, 14 + 20 + 8);
	assert_ip(inner + 12, "10.0.0.1");
	assert_ip(inner + 16, "192.0.2.10");
	ck_assert_uint_eq(rte_be_to_cpu_16(*(const rte_be16_t *)(inner + 20)), 4444);
	ck_assert_uint_eq(*(const uint16_t *)(inner + 10), evs_ipv4_hdr_cksum(inner));
	assert_cksums(m, &k);
	rte_pktmbuf_free(m);
}
END_TEST

START_TEST(test_dnat_error_from_backend_looks_like_vip)
{
	struct evs_ct_action a = act_commit(0);
	struct spec s = {.src = "10.0.0.1",
			 .dst = "192.0.2.100",
			 .proto = IPPROTO_UDP,
			 .sport = 5555,
			 .dport = 53,
			 .payload = 4};
	struct spec err = {.src = "172.16.0.5",
			   .dst = "10.0.0.1",
			   .proto = IPPROTO_ICMP,
			   .icmp_type = 3,
			   .icmp_code = 3};
	struct evs_flow_key k;
	struct rte_mbuf *out, *m;
	const uint8_t *inner;

	a.flags |= EVS_CT_F_NAT;
	a.nat.kind = EVS_CT_NAT_DST;
	addr("172.16.0.5", a.nat.addr_min);
	addr("172.16.0.5", a.nat.addr_max);
	a.nat.port_min = a.nat.port_max = 5353;
	ck_assert_uint_eq(send1_keep(&s, &a, &out, &k), CT_NEW | EVS_CT_DNAT);
	/* the backend itself answers "port unreachable" about what it got */
	err.quote = out;
	ck_assert_uint_eq(send1_keep(&err, &a, &m, &k),
			  EVS_CT_TRACKED | EVS_CT_RELATED | EVS_CT_REPLY | EVS_CT_SNAT);
	rte_pktmbuf_free(out);
	/* the client sees it come from the address it talked to, about its packet */
	assert_ip(k.src_ip, "192.0.2.100");
	assert_ip(k.dst_ip, "10.0.0.1");
	inner = rte_pktmbuf_mtod_offset(m, const uint8_t *, 14 + 20 + 8);
	assert_ip(inner + 12, "10.0.0.1");
	assert_ip(inner + 16, "192.0.2.100");
	ck_assert_uint_eq(rte_be_to_cpu_16(*(const rte_be16_t *)(inner + 22)), 53);
	assert_cksums(m, &k);
	rte_pktmbuf_free(m);
}
END_TEST

START_TEST(test_nat_udp_zero_checksum_stays_zero)
{
	struct evs_ct_action a = snat("203.0.113.1", "203.0.113.1", 7000, 7000);
	struct spec s = {
	    .src = "10.0.0.1", .dst = "192.0.2.10", .proto = IPPROTO_UDP, .sport = 1, .dport = 2};
	struct evs_flow_key k;
	struct rte_mbuf *m = build(&s, &k);
	uint8_t *ck = rte_pktmbuf_mtod_offset(m, uint8_t *, 14 + 20 + 6);

	ck[0] = ck[1] = 0;
	evs_ct_execute_burst(lc, &a, &m, &k, 1);
	ck_assert_uint_eq(k.ct_state, CT_NEW | EVS_CT_SNAT);
	ck_assert_uint_eq(ck[0] | ck[1], 0);
	ck_assert_uint_eq(rte_be_to_cpu_16(k.l4_src), 7000);
	rte_pktmbuf_free(m);
}
END_TEST

/* Model: every live connection's translation (server tuple + chosen
 * address/port) is distinct, and a new connection is refused exactly when
 * all 2 addresses x 4 ports toward its server tuple are held. */
struct mconn {
	uint16_t client, cport, server, sport;
	uint8_t nat_addr;
	uint16_t nat_port;
	bool live;
};

START_TEST(test_nat_allocation_vs_model)
{
	struct evs_ct_action a = snat("203.0.113.1", "203.0.113.2", 9000, 9003);
	static struct mconn mc[512];
	unsigned int n = 0, op, i, j;
	char cs[32], ss[32];

	srand(7);
	for (op = 0; op < 3000; op++) {
		unsigned int r = (unsigned int)rand() % 100;
		uint16_t client = (uint16_t)(rand() % 6), cport = (uint16_t)(rand() % 3);
		uint16_t server = (uint16_t)(rand() % 2), sport = (uint16_t)(rand() % 2);
		struct spec s = {.proto = IPPROTO_UDP};
		unsigned int held = 0;
		bool known = false;
		struct evs_flow_key k;
		struct rte_mbuf *m;
		uint8_t st;

		if (r < 3) {
			ck_assert_uint_eq(evs_ct_flush(ct, -1), n);
			n = 0;
			/* flushed entries return once the owner walked its wheel */
			advance(0);
			continue;
		}
		snprintf(cs, sizeof(cs), "10.0.0.%u", client + 1);
		snprintf(ss, sizeof(ss), "192.0.2.%u", server + 1);
		s.src = cs;
		s.dst = ss;
		s.sport = (uint16_t)(1000 + cport);
		s.dport = (uint16_t)(50 + sport);
		for (i = 0; i < n; i++) {
			if (!mc[i].live || mc[i].server != server || mc[i].sport != sport)
				continue;
			held++;
			if (mc[i].client == client && mc[i].cport == cport)
				known = true;
		}
		st = send1_keep(&s, &a, &m, &k);
		if (known) {
			ck_assert_uint_eq(st, CT_NEW | EVS_CT_SNAT);
		} else if (held >= 8) {
			ck_assert_uint_eq(st, CT_INV);
		} else {
			ck_assert_msg(st == (CT_NEW | EVS_CT_SNAT), "op %u: held %u state %#x", op,
				      held, st);
			ck_assert_uint_lt(n, RTE_DIM(mc));
			mc[n] = (struct mconn){.client = client,
					       .cport = cport,
					       .server = server,
					       .sport = sport,
					       .nat_addr = k.src_ip[3],
					       .nat_port = rte_be_to_cpu_16(k.l4_src),
					       .live = true};
			ck_assert(mc[n].nat_port >= 9000 && mc[n].nat_port <= 9003);
			ck_assert(mc[n].nat_addr == 1 || mc[n].nat_addr == 2);
			/* no other live connection to this server holds it */
			for (j = 0; j < n; j++)
				ck_assert(!(mc[j].live && mc[j].server == server &&
					    mc[j].sport == sport &&
					    mc[j].nat_addr == mc[n].nat_addr &&
					    mc[j].nat_port == mc[n].nat_port));
			n++;
		}
		rte_pktmbuf_free(m);
	}
	ck_assert_uint_gt(counter(EVS_CT_C_REFUSED_NAT), 0);
}
END_TEST

/* Random traffic through SNAT (TCP with random flags and sequence numbers,
 * UDP, ICMP echo, ICMP errors quoting earlier packets): every verdict is
 * well-formed and every translated packet has right checksums. */
START_TEST(test_nat_random_traffic_checksums)
{
	struct evs_ct_action a = snat("203.0.113.1", "203.0.113.2", 2000, 2100);
	static const uint8_t tcp_flags[] = {SYN,       SYN | ACK, ACK,	    ACK | PSH,
					    FIN | ACK, RST,	  RST | ACK};
	struct rte_mbuf *last = NULL;
	char src[32], dst[32];
	unsigned int i, translated = 0;

	srand(23);
	for (i = 0; i < 3000; i++) {
		bool fwd = rand() % 2;
		struct spec s = {.src = src, .dst = dst};
		struct evs_flow_key k;
		struct rte_mbuf *m;
		uint8_t st, kind;
		int r = rand() % 10;

		snprintf(src, sizeof(src), "%s.%d", fwd ? "10.0.0" : "203.0.113", rand() % 2 + 1);
		snprintf(dst, sizeof(dst), "192.0.2.%d", rand() % 2 + 1);
		if (!fwd) { /* replies come from the server side to the NAT address */
			char t[32];

			memcpy(t, src, sizeof(t));
			memcpy(src, dst, sizeof(t));
			memcpy(dst, t, sizeof(t));
		}
		if (r < 5) {
			s.proto = IPPROTO_TCP;
			s.flags = tcp_flags[rand() % RTE_DIM(tcp_flags)];
			s.seq = (uint32_t)rand();
			s.ack = (uint32_t)rand();
			s.payload = (uint16_t)(rand() % 40);
		} else if (r < 8) {
			s.proto = IPPROTO_UDP;
			s.payload = (uint16_t)(rand() % 40);
		} else if (r < 9 || last == NULL) {
			s.proto = IPPROTO_ICMP;
			s.icmp_type = rand() % 2 ? 8 : 0;
			s.icmp_id = (uint16_t)(rand() % 4);
		} else {
			s.proto = IPPROTO_ICMP;
			s.icmp_type = 3;
			s.icmp_code = 3;
			s.quote = last;
		}
		if (s.proto != IPPROTO_ICMP) {
			s.sport = fwd ? (uint16_t)(1000 + rand() % 4) : (uint16_t)(50 + rand() % 2);
			s.dport =
			    fwd ? (uint16_t)(50 + rand() % 2) : (uint16_t)(2000 + rand() % 101);
		}
		st = send1_keep(&s, &a, &m, &k);
		kind = st & (EVS_CT_NEW | EVS_CT_ESTABLISHED | EVS_CT_RELATED | EVS_CT_INVALID);
		ck_assert_msg(st & EVS_CT_TRACKED, "pkt %u: %#x", i, st);
		ck_assert_msg(kind == EVS_CT_NEW || kind == EVS_CT_ESTABLISHED ||
				  kind == EVS_CT_RELATED || kind == EVS_CT_INVALID,
			      "pkt %u: %#x", i, st);
		if (st & (EVS_CT_SNAT | EVS_CT_DNAT)) {
			ck_assert(!(st & EVS_CT_INVALID));
			assert_cksums(m, &k);
			translated++;
		}
		if (last != NULL && s.quote == NULL && rand() % 3 == 0) {
			rte_pktmbuf_free(last);
			last = NULL;
		}
		if (last == NULL && s.proto != IPPROTO_ICMP)
			last = m;
		else
			rte_pktmbuf_free(m);
	}
	rte_pktmbuf_free(last);
	ck_assert_uint_gt(translated, 500);
}
END_TEST

/* IPv6 DNAT of TCP and UDP with random addresses, ports and payloads: both
 * directions come out with the translated tuple and right checksums (the
 * one-delta rewrite of the fast path against a full recomputation). */
START_TEST(test_dnat_ipv6_random_checksums)
{
	struct evs_ct_action a = act_commit(0);
	char cli[48];
	unsigned int i;

	a.flags |= EVS_CT_F_NAT;
	a.nat.kind = EVS_CT_NAT_DST;
	a.nat.v6 = true;
	addr("fd00::2", a.nat.addr_min);
	addr("fd00::2", a.nat.addr_max);
	a.nat.port_min = a.nat.port_max = 8080;
	srand(29);
	for (i = 0; i < 400; i++) {
		uint8_t proto = rand() % 2 ? IPPROTO_TCP : IPPROTO_UDP;
		uint16_t sport = (uint16_t)(1024 + rand() % 60000);
		struct spec s = {.src = cli,
				 .dst = "fd00::100",
				 .proto = proto,
				 .sport = sport,
				 .dport = 80,
				 .flags = SYN,
				 .seq = (uint32_t)rand(),
				 .payload = (uint16_t)(rand() % 64)};
		struct evs_flow_key k;
		struct rte_mbuf *m;

		snprintf(cli, sizeof(cli), "fd00:%x::%x:%x", i, rand() & 0xffff, rand() & 0xffff);
		ck_assert_uint_eq(send1_keep(&s, &a, &m, &k), CT_NEW | EVS_CT_DNAT);
		assert_ip(k.dst_ip, "fd00::2");
		ck_assert_uint_eq(rte_be_to_cpu_16(k.l4_dst), 8080);
		assert_cksums(m, &k);
		rte_pktmbuf_free(m);
		s = (struct spec){.src = "fd00::2",
				  .dst = cli,
				  .proto = proto,
				  .sport = 8080,
				  .dport = sport,
				  .flags = SYN | ACK,
				  .seq = (uint32_t)rand(),
				  .ack = s.seq + 1,
				  .payload = (uint16_t)(rand() % 64)};
		ck_assert_uint_eq(send1_keep(&s, &a, &m, &k), CT_RPL | EVS_CT_SNAT);
		assert_ip(k.src_ip, "fd00::100");
		ck_assert_uint_eq(rte_be_to_cpu_16(k.l4_src), 80);
		assert_cksums(m, &k);
		rte_pktmbuf_free(m);
	}
}
END_TEST

/* A commit's backend slot stays with the connection (both directions see it)
 * and is counted while the connection lives. */
START_TEST(test_backend_slot_counted)
{
	struct evs_ct_action a = act_commit(0);
	struct spec s = {.src = "10.0.0.1",
			 .dst = "10.0.0.100",
			 .proto = IPPROTO_UDP,
			 .sport = 1000,
			 .dport = 80};
	struct spec r = {
	    .src = "10.0.0.2", .dst = "10.0.0.1", .proto = IPPROTO_UDP, .sport = 80, .dport = 1000};
	uint32_t pos = 0;
	struct evs_ct_conn_info ci;

	a.flags |= EVS_CT_F_NAT;
	a.nat.kind = EVS_CT_NAT_DST;
	addr("10.0.0.2", a.nat.addr_min);
	addr("10.0.0.2", a.nat.addr_max);
	a.backend = 7;
	ck_assert_uint_eq(send1(&s, &a), CT_NEW | EVS_CT_DNAT);
	ck_assert_uint_eq(evs_ct_burst_meta(lc, 0)->backend, 7);
	ck_assert_uint_eq(evs_ct_backend_count(ct, 7), 1);
	a.backend = 9; /* a hit keeps the committed slot */
	ck_assert_uint_eq(send1(&r, &a), CT_RPL | EVS_CT_SNAT);
	ck_assert_uint_eq(evs_ct_burst_meta(lc, 0)->backend, 7);
	ck_assert_uint_eq(evs_ct_backend_count(ct, 9), 0);
	s.sport = 1001;
	ck_assert_uint_eq(send1(&s, &a), CT_NEW | EVS_CT_DNAT);
	ck_assert_uint_eq(evs_ct_backend_count(ct, 9), 1);
	ck_assert_int_eq(evs_ct_iterate(ct, &pos, &ci), 0);
	ck_assert(ci.backend == 7 || ci.backend == 9);
	advance(1000u * 3600);
	ck_assert_uint_eq(evs_ct_backend_count(ct, 7), 0);
	ck_assert_uint_eq(evs_ct_backend_count(ct, 9), 0);
	ck_assert_uint_eq(evs_ct_flush(ct, -1), 0);
}
END_TEST

/* DNAT to a backend and SNAT to the balancer's address at once (one-arm):
 * both directions, checksums, and two connections that would share the
 * backend-side tuple (same client port, two VIPs on one backend) get
 * distinct source ports instead of a refusal. */
START_TEST(test_full_nat_one_arm)
{
	struct evs_ct_action a = act_commit(0), plain;
	struct spec s = {.src = "10.0.0.1",
			 .dst = "192.0.2.10",
			 .proto = IPPROTO_TCP,
			 .sport = 40000,
			 .dport = 80,
			 .flags = SYN,
			 .seq = 1};
	struct evs_flow_key k;
	struct rte_mbuf *m;
	uint16_t p1, p2;

	a.flags |= EVS_CT_F_NAT;
	a.nat.kind = EVS_CT_NAT_FULL;
	addr("10.1.0.5", a.nat.addr_min);
	addr("10.1.0.5", a.nat.addr_max);
	a.nat.port_min = a.nat.port_max = 8080;
	addr("10.1.0.1", a.nat.snat_addr);
	ck_assert_uint_eq(send1_keep(&s, &a, &m, &k), CT_NEW | EVS_CT_SNAT | EVS_CT_DNAT);
	assert_ip(k.src_ip, "10.1.0.1");
	assert_ip(k.dst_ip, "10.1.0.5");
	ck_assert_uint_eq(rte_be_to_cpu_16(k.l4_dst), 8080);
	p1 = rte_be_to_cpu_16(k.l4_src);
	ck_assert_uint_eq(p1, 40000); /* the client's port when free */
	assert_cksums(m, &k);
	rte_pktmbuf_free(m);

	/* DNAT alone: the same client port to another VIP on the same
	 * backend would share the backend-side tuple, and is refused */
	plain = a;
	plain.nat.kind = EVS_CT_NAT_DST;
	s.src = "10.0.0.2";
	ck_assert_uint_eq(send1(&s, &plain), CT_NEW | EVS_CT_DNAT);
	s.dst = "192.0.2.11";
	ck_assert_uint_eq(send1(&s, &plain), CT_INV);
	ck_assert_uint_eq(counter(EVS_CT_C_REFUSED_NAT), 1);
	/* with the source translated too it gets another port */
	s.src = "10.0.0.1";
	ck_assert_uint_eq(send1_keep(&s, &a, &m, &k), CT_NEW | EVS_CT_SNAT | EVS_CT_DNAT);
	p2 = rte_be_to_cpu_16(k.l4_src);
	ck_assert_uint_ne(p2, p1);
	ck_assert_uint_ge(p2, 1024);
	assert_cksums(m, &k);
	rte_pktmbuf_free(m);

	/* the backend answers the balancer: back to the client, from the VIP */
	s = (struct spec){.src = "10.1.0.5",
			  .dst = "10.1.0.1",
			  .proto = IPPROTO_TCP,
			  .sport = 8080,
			  .dport = p2,
			  .flags = SYN | ACK,
			  .seq = 9,
			  .ack = 2};
	ck_assert_uint_eq(send1_keep(&s, &a, &m, &k), CT_RPL | EVS_CT_SNAT | EVS_CT_DNAT);
	assert_ip(k.src_ip, "192.0.2.11");
	assert_ip(k.dst_ip, "10.0.0.1");
	ck_assert_uint_eq(rte_be_to_cpu_16(k.l4_src), 80);
	ck_assert_uint_eq(rte_be_to_cpu_16(k.l4_dst), 40000);
	assert_cksums(m, &k);
	rte_pktmbuf_free(m);

	/* a port range or other protocols: refused, nothing half set up */
	a.nat.port_max = 8081;
	s = (struct spec){
	    .src = "10.0.0.9", .dst = "192.0.2.10", .proto = IPPROTO_UDP, .sport = 5, .dport = 80};
	ck_assert_uint_eq(send1(&s, &a), CT_INV);
	ck_assert_uint_eq(counter(EVS_CT_C_REFUSED_NAT), 2);
	ck_assert_uint_eq(live_conns(), 3);
}
END_TEST

/* The same over IPv6 with UDP: both rewrites and the reply's way back. */
START_TEST(test_full_nat_ipv6)
{
	struct evs_ct_action a = act_commit(0);
	struct spec s = {.src = "fd00:2::9",
			 .dst = "fd00::100",
			 .proto = IPPROTO_UDP,
			 .sport = 7000,
			 .dport = 53,
			 .payload = 9};
	struct evs_flow_key k;
	struct rte_mbuf *m;
	uint16_t p;

	a.flags |= EVS_CT_F_NAT;
	a.nat.kind = EVS_CT_NAT_FULL;
	a.nat.v6 = true;
	addr("fd00:1::5", a.nat.addr_min);
	addr("fd00:1::5", a.nat.addr_max);
	a.nat.port_min = a.nat.port_max = 5353;
	addr("fd00:1::1", a.nat.snat_addr);
	ck_assert_uint_eq(send1_keep(&s, &a, &m, &k), CT_NEW | EVS_CT_SNAT | EVS_CT_DNAT);
	assert_ip(k.src_ip, "fd00:1::1");
	assert_ip(k.dst_ip, "fd00:1::5");
	ck_assert_uint_eq(rte_be_to_cpu_16(k.l4_dst), 5353);
	p = rte_be_to_cpu_16(k.l4_src);
	assert_cksums(m, &k);
	rte_pktmbuf_free(m);
	s = (struct spec){.src = "fd00:1::5",
			  .dst = "fd00:1::1",
			  .proto = IPPROTO_UDP,
			  .sport = 5353,
			  .dport = p,
			  .payload = 4};
	ck_assert_uint_eq(send1_keep(&s, &a, &m, &k), CT_RPL | EVS_CT_SNAT | EVS_CT_DNAT);
	assert_ip(k.src_ip, "fd00::100");
	assert_ip(k.dst_ip, "fd00:2::9");
	ck_assert_uint_eq(rte_be_to_cpu_16(k.l4_src), 53);
	ck_assert_uint_eq(rte_be_to_cpu_16(k.l4_dst), 7000);
	assert_cksums(m, &k);
	rte_pktmbuf_free(m);
}
END_TEST

static unsigned int choose_calls;

/* Every third packet refused; the others DNATed by parity, slot 10 + i. */
static bool choose_by_index(void *arg, uint16_t i, const struct evs_flow_key *k,
			    struct evs_ct_nat_range *nat, uint16_t *backend)
{
	RTE_SET_USED(arg);
	RTE_SET_USED(k);
	choose_calls++;
	if (i % 3 == 2)
		return false;
	nat->kind = EVS_CT_NAT_DST;
	addr(i % 2 ? "10.9.0.1" : "10.9.0.2", nat->addr_min);
	addr(i % 2 ? "10.9.0.1" : "10.9.0.2", nat->addr_max);
	*backend = (uint16_t)(10 + i);
	return true;
}

/* evs_ct_action.choose: one pass looks up a burst and commits its new
 * connections each with its own translation and backend slot; a refusal
 * leaves the packet +new and untranslated with nothing committed; known
 * connections never ask again. */
START_TEST(test_commit_choose_per_packet)
{
	enum { N = 6 };
	struct evs_ct_action a = act_commit(0);
	struct rte_mbuf *m[N];
	struct evs_flow_key k[N];
	uint8_t want[16];

	a.flags |= EVS_CT_F_NAT;
	a.choose = choose_by_index;
	choose_calls = 0;
	for (unsigned int round = 0; round < 2; round++) {
		for (unsigned int i = 0; i < N; i++) {
			struct spec s = {.src = "10.0.0.1",
					 .dst = "192.0.2.10",
					 .proto = IPPROTO_UDP,
					 .sport = (uint16_t)(1000 + i),
					 .dport = 53,
					 .payload = 4};

			m[i] = build(&s, &k[i]);
		}
		evs_ct_execute_burst(lc, &a, m, k, N);
		for (uint16_t i = 0; i < N; i++) {
			if (i % 3 == 2) {
				ck_assert_uint_eq(k[i].ct_state, CT_NEW);
				ck_assert_uint_eq(evs_ct_burst_meta(lc, i)->backend, 0);
				addr("192.0.2.10", want);
			} else {
				ck_assert_uint_eq(k[i].ct_state,
						  CT_NEW | EVS_CT_DNAT); /* UDP: unreplied */
				ck_assert_uint_eq(evs_ct_burst_meta(lc, i)->backend, 10 + i);
				addr(i % 2 ? "10.9.0.1" : "10.9.0.2", want);
			}
			ck_assert_mem_eq(k[i].dst_ip, want, 4);
			assert_cksums(m[i], &k[i]);
			rte_pktmbuf_free(m[i]);
		}
		/* asked for every packet the first time, then only the refused */
		ck_assert_uint_eq(choose_calls, round == 0 ? N : N + 2);
	}
	ck_assert_uint_eq(live_conns(), 4);
	ck_assert_uint_eq(evs_ct_backend_count(ct, 11), 1);
}
END_TEST

void ct_nat_add_cases(Suite *s)
{
	const struct unit_case cases[] = {
	    {"snat_tcp_both_directions", test_snat_tcp_both_directions},
	    {"snat_ports_unique_then_exhausted", test_snat_ports_unique_then_exhausted},
	    {"snat_keeps_port_when_free", test_snat_keeps_port_when_free},
	    {"dnat_ipv6_udp", test_dnat_ipv6_udp},
	    {"snat_icmp_identifiers", test_snat_icmp_identifiers},
	    {"nat_icmp_error_translated", test_nat_icmp_error_translated},
	    {"dnat_error_from_backend_looks_like_vip", test_dnat_error_from_backend_looks_like_vip},
	    {"nat_udp_zero_checksum_stays_zero", test_nat_udp_zero_checksum_stays_zero},
	    {"nat_allocation_vs_model", test_nat_allocation_vs_model},
	    {"nat_random_traffic_checksums", test_nat_random_traffic_checksums},
	    {"dnat_ipv6_random_checksums", test_dnat_ipv6_random_checksums},
	    {"backend_slot_counted", test_backend_slot_counted},
	    {"full_nat_one_arm", test_full_nat_one_arm},
	    {"full_nat_ipv6", test_full_nat_ipv6},
	    {"commit_choose_per_packet", test_commit_choose_per_packet},
	};

	unit_add_cases(s, cases, RTE_DIM(cases), ct_setup, ct_teardown, 0);
}
