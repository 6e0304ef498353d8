/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet builders against known answers computed apart (l3_build_vectors.py,
 * from the RFCs with its own checksum), plus properties a vector cannot
 * show: quote limits (576 / 1280 bytes), multi-segment originals, echo
 * replies with checksums verified by this file's own RFC 1071 sum, and
 * when an ICMP error may be sent. Part of the l3 suite (main in test_l3.c).
 */
#include <netinet/in.h>

#include <rte_arp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "evs_packet.h"
#include "l3_build_vectors.h"
#include "l3_test.h"
#include "unit_case.h"

static const struct rte_ether_addr R_MAC = {{0x02, 0, 0, 0, 0, 0x01}};
static const struct rte_ether_addr H_MAC = {{0x02, 0, 0, 0, 0, 0x05}};

/* RFC 1071, big-endian words: independent of lib/l3 and DPDK. */
static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i < n; i += 2)
		s += (uint32_t)p[i] << 8 | (i + 1 < n ? p[i + 1] : 0);
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* A checksummed ICMPv6 message is valid when the whole sum is 0xffff. */
static bool icmp6_ok(const uint8_t *ip6)
{
	uint16_t plen = (uint16_t)(ip6[4] << 8 | ip6[5]);
	uint8_t ph[8] = {0, 0, (uint8_t)(plen >> 8), (uint8_t)plen, 0, 0, 0, 58};
	uint32_t s = sum16(ip6 + 8, 32, 0);

	s = sum16(ph, 8, s);
	return fold(sum16(ip6 + 40, plen, s)) == 0xffff;
}

static bool ipv4_ok(const uint8_t *ip)
{
	return fold(sum16(ip, (size_t)(ip[0] & 0xf) * 4, 0)) == 0xffff;
}

static bool icmp4_ok(const uint8_t *ip)
{
	size_t ihl = (size_t)(ip[0] & 0xf) * 4;
	size_t tot = (size_t)(ip[2] << 8 | ip[3]);

	return fold(sum16(ip + ihl, tot - ihl, 0)) == 0xffff;
}

static struct rte_mbuf *from_bytes(const uint8_t *b, uint16_t n)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);

	ck_assert_ptr_nonnull(m);
	memcpy(rte_pktmbuf_append(m, n), b, n);
	m->l2_len = sizeof(struct rte_ether_hdr);
	return m;
}

static void assert_bytes(const struct rte_mbuf *m, const uint8_t *want, uint32_t n)
{
	const uint8_t *got = rte_pktmbuf_mtod(m, const uint8_t *);

	ck_assert_uint_eq(rte_pktmbuf_pkt_len(m), n);
	for (uint32_t i = 0; i < n; i++)
		ck_assert_msg(got[i] == want[i], "byte %u: 0x%02x, want 0x%02x", i, got[i],
			      want[i]);
}

START_TEST(test_build_arp_kat)
{
	const uint8_t r_ip[4] = {10, 0, 0, 1}, h_ip[4] = {10, 0, 0, 5};
	struct rte_mbuf *m =
	    evs_l3_build_arp(pool, RTE_ARP_OP_REQUEST, &R_MAC, r_ip, NULL, h_ip, NULL);
	struct evs_flow_key k;

	ck_assert_ptr_nonnull(m);
	assert_bytes(m, kat_arp_request, sizeof(kat_arp_request));
	/* our own parser reads it as the request it is */
	ck_assert_int_eq(evs_packet_parse(m, 0, &k), EVS_DROP_NONE);
	ck_assert_uint_eq(rte_be_to_cpu_16(k.l4_src), RTE_ARP_OP_REQUEST);
	ck_assert_mem_eq(k.dst_ip, h_ip, 4);
	rte_pktmbuf_free(m);
	m = evs_l3_build_arp(pool, RTE_ARP_OP_REPLY, &R_MAC, r_ip, &H_MAC, h_ip, NULL);
	ck_assert_ptr_nonnull(m);
	assert_bytes(m, kat_arp_reply, sizeof(kat_arp_reply));
	rte_pktmbuf_free(m);
}
END_TEST

START_TEST(test_build_ns_na_kat)
{
	const uint8_t ll[16] = {0xfe, 0x80, [15] = 1};
	const uint8_t host[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 5};
	const uint8_t gw[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	struct rte_mbuf *m = evs_l3_build_ns(pool, &R_MAC, ll, host, NULL);
	struct evs_flow_key k;

	ck_assert_ptr_nonnull(m);
	assert_bytes(m, kat_ns, sizeof(kat_ns));
	ck_assert(icmp6_ok(rte_pktmbuf_mtod_offset(m, uint8_t *, 14)));
	ck_assert_int_eq(evs_packet_parse(m, 0, &k), EVS_DROP_NONE);
	ck_assert_uint_eq(k.ip_proto, IPPROTO_ICMPV6);
	ck_assert_uint_eq(rte_be_to_cpu_16(k.l4_src), 135);
	rte_pktmbuf_free(m);
	m = evs_l3_build_na(pool, &R_MAC, gw, host, &H_MAC, true);
	ck_assert_ptr_nonnull(m);
	assert_bytes(m, kat_na, sizeof(kat_na));
	rte_pktmbuf_free(m);

	/* a unicast NS (refresh) goes to the target itself */
	m = evs_l3_build_ns(pool, &R_MAC, ll, host, &H_MAC);
	ck_assert_ptr_nonnull(m);
	ck_assert_mem_eq(rte_pktmbuf_mtod_offset(m, uint8_t *, 14 + 24), host, 16);
	ck_assert_mem_eq(rte_pktmbuf_mtod(m, uint8_t *), H_MAC.addr_bytes, 6);
	ck_assert(icmp6_ok(rte_pktmbuf_mtod_offset(m, uint8_t *, 14)));
	rte_pktmbuf_free(m);
}
END_TEST

START_TEST(test_build_icmp_errors_kat)
{
	struct evs_l3_icmp_err e = {.type = 11, .code = 0, .smac = R_MAC, .dmac = H_MAC};
	struct rte_mbuf *orig = from_bytes(kat_udp4_ttl1, sizeof(kat_udp4_ttl1));
	struct rte_mbuf *m;

	e.src.family = EVS_L3_IPV4;
	memcpy(e.src.b, (uint8_t[]){10, 0, 0, 1}, 4);
	m = evs_l3_build_icmp_error(pool, orig, &e);
	ck_assert_ptr_nonnull(m);
	assert_bytes(m, kat_time_exceeded, sizeof(kat_time_exceeded));
	rte_pktmbuf_free(m);
	rte_pktmbuf_free(orig);

	orig = from_bytes(kat_udp6, sizeof(kat_udp6));
	e = (struct evs_l3_icmp_err){.type = 2, .info = 1400, .smac = R_MAC, .dmac = H_MAC};
	e.src.family = EVS_L3_IPV6;
	memcpy(e.src.b, (uint8_t[]){0x20, 0x01, 0x0d, 0xb8, [15] = 1}, 16);
	m = evs_l3_build_icmp_error(pool, orig, &e);
	ck_assert_ptr_nonnull(m);
	assert_bytes(m, kat_too_big, sizeof(kat_too_big));
	rte_pktmbuf_free(m);
	rte_pktmbuf_free(orig);
}
END_TEST

/* A big original, in one segment or two: the quote stops at 576 / 1280 bytes. */
static struct rte_mbuf *big_orig(bool v6, bool two_segs)
{
	uint8_t buf[1514];
	struct rte_mbuf *m, *tail;
	uint16_t first = two_segs ? 100 : sizeof(buf);

	for (unsigned int i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7);
	memcpy(buf, v6 ? kat_udp6 : kat_udp4_ttl1, 14 + (v6 ? 40 : 20));
	if (v6) {
		buf[18] = (1500 - 40) >> 8;
		buf[19] = (1500 - 40) & 0xff;
	} else {
		buf[16] = 1500 >> 8;
		buf[17] = 1500 & 0xff;
	}
	m = from_bytes(buf, first);
	if (two_segs) {
		tail = rte_pktmbuf_alloc(pool);
		memcpy(rte_pktmbuf_append(tail, sizeof(buf) - first), buf + first,
		       sizeof(buf) - first);
		ck_assert_int_eq(rte_pktmbuf_chain(m, tail), 0);
	}
	return m;
}

START_TEST(test_build_icmp_error_quote_limits)
{
	for (int v6 = 0; v6 < 2; v6++) {
		struct evs_l3_icmp_err e = {
		    .type = v6 ? 3 : 3, .code = v6 ? 0 : 1, .smac = R_MAC, .dmac = H_MAC};
		struct rte_mbuf *one = big_orig(v6, false), *two = big_orig(v6, true);
		struct rte_mbuf *a, *b;
		const uint8_t *ip;

		e.src.family = v6 ? EVS_L3_IPV6 : EVS_L3_IPV4;
		e.src.b[0] = v6 ? 0x20 : 10;
		e.src.b[15] = v6 ? 1 : 0;
		a = evs_l3_build_icmp_error(pool, one, &e);
		b = evs_l3_build_icmp_error(pool, two, &e);
		ck_assert_ptr_nonnull(a);
		ck_assert_ptr_nonnull(b);
		ck_assert_uint_eq(rte_pktmbuf_pkt_len(a), 14u + (v6 ? 1280u : 576u));
		ck_assert_uint_eq(rte_pktmbuf_pkt_len(b), rte_pktmbuf_pkt_len(a));
		ck_assert_mem_eq(rte_pktmbuf_mtod(a, uint8_t *), rte_pktmbuf_mtod(b, uint8_t *),
				 rte_pktmbuf_pkt_len(a));
		ip = rte_pktmbuf_mtod_offset(a, const uint8_t *, 14);
		if (v6) {
			ck_assert(icmp6_ok(ip));
		} else {
			ck_assert(ipv4_ok(ip));
			ck_assert(icmp4_ok(ip));
			ck_assert_uint_eq(ip[2] << 8 | ip[3], 576);
		}
		/* the quote is the original from its IP header on */
		ck_assert_mem_eq(ip + (v6 ? 48 : 28), rte_pktmbuf_mtod_offset(one, uint8_t *, 14),
				 v6 ? 1232 : 548);
		rte_pktmbuf_free(a);
		rte_pktmbuf_free(b);
		rte_pktmbuf_free(one);
		rte_pktmbuf_free(two);
	}
	/* nothing to quote: no error */
	struct rte_mbuf *runt = from_bytes(kat_udp4_ttl1, 20);
	struct evs_l3_icmp_err e = {.type = 11, .src.family = EVS_L3_IPV4};
	ck_assert_ptr_null(evs_l3_build_icmp_error(pool, runt, &e));
	rte_pktmbuf_free(runt);
}
END_TEST

/* Echo request bytes: ICMP(v6) with id 0x1234, seq 7, 24 payload bytes. */
static struct rte_mbuf *echo_request(bool v6)
{
	uint8_t b[14 + 40 + 32] = {0};
	uint8_t *ip = b + 14, *ic;
	uint16_t ck, n;

	memcpy(b, R_MAC.addr_bytes, 6);
	memcpy(b + 6, H_MAC.addr_bytes, 6);
	if (v6) {
		b[12] = 0x86;
		b[13] = 0xdd;
		ip[0] = 0x60;
		ip[5] = 32;
		ip[6] = 58;
		ip[7] = 63;
		ip[8] = 0x20, ip[9] = 0x01, ip[23] = 5;	  /* src 2001::5 */
		ip[24] = 0x20, ip[25] = 0x01, ip[39] = 1; /* dst 2001::1 */
		ic = ip + 40;
		ic[0] = 128;
	} else {
		b[12] = 0x08;
		ip[0] = 0x45;
		ip[3] = 20 + 32;
		ip[8] = 61;
		ip[9] = 1;
		memcpy(ip + 12, (uint8_t[]){10, 0, 0, 5, 10, 0, 0, 1}, 8);
		ck = (uint16_t)~fold(sum16(ip, 20, 0));
		ip[10] = (uint8_t)(ck >> 8);
		ip[11] = (uint8_t)ck;
		ic = ip + 20;
		ic[0] = 8;
	}
	ic[4] = 0x12, ic[5] = 0x34, ic[7] = 7;
	for (int i = 8; i < 32; i++)
		ic[i] = (uint8_t)i;
	if (v6) {
		uint8_t ph[8] = {0, 0, 0, 32, 0, 0, 0, 58};
		ck = (uint16_t)~fold(sum16(ic, 32, sum16(ph, 8, sum16(ip + 8, 32, 0))));
	} else {
		ck = (uint16_t)~fold(sum16(ic, 32, 0));
	}
	ic[2] = (uint8_t)(ck >> 8);
	ic[3] = (uint8_t)ck;
	n = (uint16_t)(14 + (v6 ? 40 : 20) + 32);
	return from_bytes(b, n);
}

START_TEST(test_build_echo_reply)
{
	for (int v6 = 0; v6 < 2; v6++) {
		struct rte_mbuf *m = echo_request(v6);
		struct evs_flow_key k;
		const uint8_t *p;

		ck_assert_int_eq(evs_packet_parse(m, 0, &k), EVS_DROP_NONE);
		ck_assert_int_eq(evs_l3_echo_reply(m, &k), 0);
		p = rte_pktmbuf_mtod(m, const uint8_t *);
		ck_assert_mem_eq(p, H_MAC.addr_bytes, 6);
		ck_assert_mem_eq(p + 6, R_MAC.addr_bytes, 6);
		if (v6) {
			ck_assert_uint_eq(p[14 + 7], 64);
			ck_assert_uint_eq(p[14 + 8 + 15], 1); /* from 2001::1 */
			ck_assert_uint_eq(p[14 + 24 + 15], 5);
			ck_assert_uint_eq(p[54], 129);
			ck_assert(icmp6_ok(p + 14));
		} else {
			ck_assert_uint_eq(p[14 + 8], 64);
			ck_assert_uint_eq(p[14 + 15], 1);
			ck_assert_uint_eq(p[14 + 19], 5);
			ck_assert_uint_eq(p[34], 0);
			ck_assert(ipv4_ok(p + 14));
			ck_assert(icmp4_ok(p + 14));
		}
		/* a reply is not a request */
		ck_assert_int_eq(evs_packet_parse(m, 0, &k), EVS_DROP_NONE);
		ck_assert_int_eq(evs_l3_echo_reply(m, &k), -EINVAL);
		rte_pktmbuf_free(m);
	}
}
END_TEST

START_TEST(test_icmp_error_allowed)
{
	struct evs_flow_key k = {.ethertype = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4),
				 .ip_proto = IPPROTO_UDP,
				 .src_ip = {10, 0, 0, 5},
				 .dst_ip = {192, 0, 2, 9},
				 .dst_mac = R_MAC};
	struct evs_flow_key x;

	ck_assert(evs_l3_icmp_error_allowed(&k, 11));
	x = k;
	x.ip_frag = EVS_FRAG_ANY | EVS_FRAG_LATER;
	ck_assert(!evs_l3_icmp_error_allowed(&x, 11));
	x = k;
	x.ip_proto = IPPROTO_ICMP;
	x.l4_src = rte_cpu_to_be_16(3); /* about an unreachable: never */
	ck_assert(!evs_l3_icmp_error_allowed(&x, 11));
	x.l4_src = rte_cpu_to_be_16(8); /* about an echo request: yes */
	ck_assert(evs_l3_icmp_error_allowed(&x, 11));
	x = k;
	x.dst_ip[0] = 239;
	ck_assert(!evs_l3_icmp_error_allowed(&x, 11));
	x = k;
	x.src_ip[0] = 127;
	ck_assert(!evs_l3_icmp_error_allowed(&x, 11));
	x = k;
	x.src_ip[0] = 0;
	ck_assert(!evs_l3_icmp_error_allowed(&x, 11));
	x = k;
	x.dst_mac.addr_bytes[0] = 0xff; /* link broadcast */
	ck_assert(!evs_l3_icmp_error_allowed(&x, 11));

	struct evs_flow_key k6 = {.ethertype = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6),
				  .ip_proto = IPPROTO_TCP,
				  .src_ip = {0x20, 0x01, [15] = 5},
				  .dst_ip = {0x20, 0x01, [15] = 9},
				  .dst_mac = R_MAC};
	ck_assert(evs_l3_icmp_error_allowed(&k6, 3));
	x = k6;
	x.ip_proto = IPPROTO_ICMPV6;
	x.l4_src = rte_cpu_to_be_16(1);
	ck_assert(!evs_l3_icmp_error_allowed(&x, 3));
	x.l4_src = rte_cpu_to_be_16(128);
	ck_assert(evs_l3_icmp_error_allowed(&x, 3));
	x = k6;
	x.dst_ip[0] = 0xff; /* multicast: only packet too big */
	ck_assert(!evs_l3_icmp_error_allowed(&x, 3));
	ck_assert(evs_l3_icmp_error_allowed(&x, 2));
	x = k6;
	memset(x.src_ip, 0, 16);
	ck_assert(!evs_l3_icmp_error_allowed(&x, 2));
	x = k6;
	x.ethertype = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	ck_assert(!evs_l3_icmp_error_allowed(&x, 3));
}
END_TEST

START_TEST(test_solicited_node)
{
	const uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8, [13] = 0xab, 0xcd, 0xef};
	const uint8_t want[16] = {0xff, 0x02, [11] = 0x01, 0xff, 0xab, 0xcd, 0xef};
	const struct rte_ether_addr wmac = {{0x33, 0x33, 0xff, 0xab, 0xcd, 0xef}};
	uint8_t g[16];
	struct rte_ether_addr mac;

	evs_l3_solicited_node(a, g, &mac);
	ck_assert_mem_eq(g, want, 16);
	ck_assert(rte_is_same_ether_addr(&mac, &wmac));
}
END_TEST

void l3_build_add_cases(Suite *s)
{
	const struct unit_case cases[] = {
	    {"build_arp_kat", test_build_arp_kat},
	    {"build_ns_na_kat", test_build_ns_na_kat},
	    {"build_icmp_errors_kat", test_build_icmp_errors_kat},
	    {"build_icmp_error_quote_limits", test_build_icmp_error_quote_limits},
	    {"build_echo_reply", test_build_echo_reply},
	    {"icmp_error_allowed", test_icmp_error_allowed},
	    {"solicited_node", test_solicited_node},
	};

	unit_add_cases(s, cases, RTE_DIM(cases), NULL, NULL, 0);
}
