/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/packet on the way out: checksums against known vectors, a naive
 * RFC 1071 sum and DPDK's own routines; VLAN push/pop/rewrite round trips.
 */
#include <check.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_mbuf.h>

#include "packet_private.h"
#include "packet_test.h"

/* ---- checksums ---- */

/* Naive RFC 1071: byte pairs, big-endian. Independent of the library's. */
static uint16_t ref_sum(const uint8_t *p, size_t n, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

START_TEST(test_cksum_ipv4_known)
{
	/* classic example header, checksum 0xb861 */
	uint8_t h[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
			 0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
	uint8_t opt[28];
	uint16_t c;

	c = rte_be_to_cpu_16(evs_ipv4_hdr_cksum(h));
	ck_assert_uint_eq(c, 0xb861);
	/* the stored field does not matter */
	h[10] = 0xde, h[11] = 0xad;
	ck_assert_uint_eq(rte_be_to_cpu_16(evs_ipv4_hdr_cksum(h)), 0xb861);
	/* with options: compare to the naive sum */
	memcpy(opt, h, 20);
	opt[0] = 0x47;
	memset(opt + 20, 0x94, 8);
	opt[10] = opt[11] = 0;
	c = rte_be_to_cpu_16(evs_ipv4_hdr_cksum(opt));
	ck_assert_uint_eq(c, (uint16_t)~ref_sum(opt, 28, 0));
}
END_TEST

static struct rte_mbuf *build_mbuf(const struct spec *s, struct evs_flow_key *k)
{
	struct frame f;
	struct expect e;
	struct rte_mbuf *m;

	build(s, &f, &e);
	m = mk(f.b, f.n);
	ck_assert_int_eq(evs_packet_parse(m, 7, k), EVS_DROP_NONE);
	return m;
}

START_TEST(test_cksum_l4_known_vector)
{
	/*
	 * IPv4 UDP 10.0.0.1:5353 -> 192.168.1.200:53, 10 bytes of 0x5a:
	 * pseudo-header 0a00+0001+c0a8+01c8+0011+0012 = 0xcc94; UDP header and
	 * payload 14e9+0035+0012+5*5a5a folded = 0xd8f3; total folded 0xa588;
	 * checksum ~0xa588 = 0x5a77.
	 */
	struct spec s;
	struct evs_flow_key k;
	struct rte_mbuf *m;
	uint16_t c;

	spec_for(&s, 0, L3_V4, IPPROTO_UDP, 0);
	m = build_mbuf(&s, &k);
	ck_assert_int_eq(evs_l4_cksum_fill(m, &k), 0);
	memcpy(&c, rte_pktmbuf_mtod_offset(m, uint8_t *, 34 + 6), 2);
	ck_assert_uint_eq(rte_be_to_cpu_16(c), 0x5a77);
	ck_assert_int_eq(evs_l4_cksum_verify(m, &k), 0);
	/* one flipped payload bit is caught */
	*rte_pktmbuf_mtod_offset(m, uint8_t *, 50) ^= 4;
	ck_assert_int_eq(evs_l4_cksum_verify(m, &k), -EBADMSG);
	rte_pktmbuf_free(m);
}
END_TEST

START_TEST(test_cksum_l4_vs_dpdk)
{
	static const uint8_t protos[] = {IPPROTO_TCP, IPPROTO_UDP};
	struct spec s;
	struct evs_flow_key k;
	struct rte_mbuf *m;
	int v6, p, len;

	for (v6 = 0; v6 < 2; v6++)
		for (p = 0; p < 2; p++)
			for (len = 0; len < 40; len++) {
				uint8_t *ip, *l4;
				uint16_t mine, ref;
				uint32_t field = protos[p] == IPPROTO_TCP ? 16 : 6;

				spec_for(&s, len % 3, v6 ? L3_V6 : L3_V4, protos[p], 0);
				s.v6_ext = 0;
				s.v4_optlen = (len & 1) ? 4 : 0;
				s.payload = len * 7; /* odd and even lengths */
				m = build_mbuf(&s, &k);
				ip = rte_pktmbuf_mtod_offset(m, uint8_t *, m->l2_len);
				l4 = ip + m->l3_len;
				ck_assert_int_eq(evs_l4_cksum_fill(m, &k), 0);
				memcpy(&mine, l4 + field, 2);
				memset(l4 + field, 0, 2);
				ref = v6 ? rte_ipv6_udptcp_cksum((void *)ip, l4)
					 : rte_ipv4_udptcp_cksum((void *)ip, l4);
				ck_assert_uint_eq(mine, ref);
				memcpy(l4 + field, &mine, 2);
				ck_assert_int_eq(evs_l4_cksum_verify(m, &k), 0);
				rte_pktmbuf_free(m);
			}
}
END_TEST

START_TEST(test_cksum_l4_cases)
{
	struct spec s;
	struct evs_flow_key k;
	struct rte_mbuf *m, *tail;
	uint8_t *l4;
	uint16_t c, stored, want;
	char *d;

	/* ICMPv4: no pseudo-header */
	spec_for(&s, 0, L3_V4, IPPROTO_ICMP, 0);
	m = build_mbuf(&s, &k);
	ck_assert_int_eq(evs_l4_cksum_fill(m, &k), 0);
	l4 = rte_pktmbuf_mtod_offset(m, uint8_t *, 34);
	memcpy(&c, l4 + 2, 2);
	memset(l4 + 2, 0, 2);
	ck_assert_uint_eq(rte_be_to_cpu_16(c), (uint16_t)~ref_sum(l4, 8 + s.payload, 0));
	memcpy(l4 + 2, &c, 2);
	ck_assert_int_eq(evs_l4_cksum_verify(m, &k), 0);
	rte_pktmbuf_free(m);

	/* ICMPv6 behind extension headers: pseudo-header with the upper-layer length */
	spec_for(&s, 1, L3_V6, IPPROTO_ICMPV6, 0);
	s.v6_ext = 3;
	m = build_mbuf(&s, &k);
	ck_assert_int_eq(evs_l4_cksum_fill(m, &k), 0);
	{
		uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, m->l2_len);
		uint32_t ulen = 8 + s.payload, sum;

		l4 = ip + m->l3_len;
		memcpy(&c, l4 + 2, 2);
		memset(l4 + 2, 0, 2);
		sum = ref_sum(ip + 8, 32, 0) + ulen + IPPROTO_ICMPV6;
		ck_assert_uint_eq(rte_be_to_cpu_16(c), (uint16_t)~ref_sum(l4, ulen, sum));
		memcpy(l4 + 2, &c, 2);
	}
	ck_assert_int_eq(evs_l4_cksum_verify(m, &k), 0);
	rte_pktmbuf_free(m);

	/* UDP whose checksum computes to 0 is sent as 0xffff */
	spec_for(&s, 0, L3_V4, IPPROTO_UDP, 0);
	m = build_mbuf(&s, &k);
	l4 = rte_pktmbuf_mtod_offset(m, uint8_t *, 34);
	memset(l4 + 8, 0, 2);
	ck_assert_int_eq(evs_l4_cksum_fill(m, &k), 0);
	memcpy(&c, l4 + 6, 2);
	memcpy(l4 + 8, &c, 2); /* adding ~sum makes the sum 0xffff */
	ck_assert_int_eq(evs_l4_cksum_fill(m, &k), 0);
	memcpy(&c, l4 + 6, 2);
	ck_assert_uint_eq(c, 0xffff);
	ck_assert_int_eq(evs_l4_cksum_verify(m, &k), 0);
	/* UDP/IPv4 checksum 0 means none */
	memset(l4 + 6, 0, 2);
	ck_assert_int_eq(evs_l4_cksum_verify(m, &k), 0);
	rte_pktmbuf_free(m);

	/* multi-segment payload with odd-length segments (three of them) */
	spec_for(&s, 0, L3_V4, IPPROTO_TCP, 0);
	s.payload = 301;
	m = build_mbuf(&s, &k);
	{
		uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
		int i;

		for (i = 58; i < rte_pktmbuf_data_len(m); i++)
			p[i] = i * 37 + 11; /* varied bytes: swapped sums must differ */
	}
	ck_assert_int_eq(evs_l4_cksum_fill(m, &k), 0);
	memcpy(&want, rte_pktmbuf_mtod_offset(m, uint8_t *, 34 + 16), 2);
	{
		/* re-cut the frame into 101 + 79 + rest bytes (odd, odd, ...) */
		static uint8_t flat[1024];
		uint32_t n = rte_pktmbuf_data_len(m);

		memcpy(flat, rte_pktmbuf_mtod(m, uint8_t *), n);
		rte_pktmbuf_free(m);
		m = mk(flat, 101);
		tail = mk(flat + 101, 79);
		ck_assert_int_eq(rte_pktmbuf_chain(m, tail), 0);
		tail = mk(flat + 180, n - 180);
		ck_assert_int_eq(rte_pktmbuf_chain(m, tail), 0);
		(void)d;
		ck_assert_int_eq(m->nb_segs, 3);
		ck_assert_int_eq(evs_packet_parse(m, 7, &k), EVS_DROP_NONE);
	}
	memset(rte_pktmbuf_mtod_offset(m, uint8_t *, 34 + 16), 0, 2);
	ck_assert_int_eq(evs_l4_cksum_fill(m, &k), 0);
	memcpy(&stored, rte_pktmbuf_mtod_offset(m, uint8_t *, 34 + 16), 2);
	ck_assert_uint_eq(stored, want);
	ck_assert_int_eq(evs_l4_cksum_verify(m, &k), 0);
	rte_pktmbuf_free(m);

	/* refusals */
	spec_for(&s, 0, L3_V4, IPPROTO_UDP, 0);
	s.frag = 0x2000;
	m = build_mbuf(&s, &k);
	ck_assert_int_eq(evs_l4_cksum_fill(m, &k), -EINVAL);
	rte_pktmbuf_free(m);
	spec_for(&s, 0, L3_V4, IPPROTO_SCTP, 0);
	m = build_mbuf(&s, &k);
	ck_assert_int_eq(evs_l4_cksum_fill(m, &k), -ENOTSUP);
	rte_pktmbuf_free(m);
	spec_for(&s, 0, L3_ARP, 0, 0);
	m = build_mbuf(&s, &k);
	ck_assert_int_eq(evs_l4_cksum_fill(m, &k), -ENOTSUP);
	rte_pktmbuf_free(m);
}
END_TEST

/* ---- VLAN rewrite ---- */

START_TEST(test_vlan_push_pop_roundtrip)
{
	struct spec s;
	struct frame f;
	struct expect e;
	struct evs_flow_key k;
	struct rte_mbuf *m;
	uint8_t *p;

	spec_for(&s, 0, L3_V4, IPPROTO_UDP, 0);
	build(&s, &f, &e);
	m = mk(f.b, f.n);
	ck_assert_int_eq(evs_packet_parse(m, 7, &k), EVS_DROP_NONE);
	/* pop on untagged is a no-op */
	ck_assert_int_eq(evs_packet_set_vlan(m, 0), 0);
	ck_assert_uint_eq(rte_pktmbuf_data_len(m), f.n);
	/* push */
	ck_assert_int_eq(evs_packet_set_vlan(m, EVS_VLAN_PRESENT | 0x2000 | 77), 0);
	ck_assert_uint_eq(m->l2_len, 18);
	ck_assert_uint_eq(rte_pktmbuf_pkt_len(m), f.n + 4);
	ck_assert_int_eq(evs_packet_parse(m, 7, &k), EVS_DROP_NONE);
	ck_assert_uint_eq(k.vlan_tci, 0x2000 | 77 | EVS_VLAN_PRESENT);
	p = rte_pktmbuf_mtod(m, uint8_t *);
	ck_assert_uint_eq(p[12], 0x81);
	ck_assert_uint_eq(p[13], 0x00);
	ck_assert_int_eq(memcmp(p + 16, f.b + 12, f.n - 12), 0);
	/* rewrite */
	ck_assert_int_eq(evs_packet_set_vlan(m, 99), 0);
	ck_assert_uint_eq(m->l2_len, 18);
	ck_assert_int_eq(evs_packet_parse(m, 7, &k), EVS_DROP_NONE);
	ck_assert_uint_eq(k.vlan_tci, 99 | EVS_VLAN_PRESENT);
	/* pop restores the original bytes */
	ck_assert_int_eq(evs_packet_set_vlan(m, 0), 0);
	ck_assert_uint_eq(m->l2_len, 14);
	ck_assert_uint_eq(rte_pktmbuf_data_len(m), f.n);
	ck_assert_int_eq(memcmp(rte_pktmbuf_mtod(m, uint8_t *), f.b, f.n), 0);
	/* priority tag with PCP 0 via EVS_VLAN_PRESENT alone */
	ck_assert_int_eq(evs_packet_set_vlan(m, EVS_VLAN_PRESENT), 0);
	ck_assert_int_eq(evs_packet_parse(m, 7, &k), EVS_DROP_NONE);
	ck_assert_uint_eq(k.vlan_tci, EVS_VLAN_PRESENT);
	rte_pktmbuf_free(m);
}
END_TEST

START_TEST(test_vlan_qinq_rewrite_and_pop)
{
	struct spec s;
	struct frame f;
	struct expect e;
	struct evs_flow_key k;
	struct rte_mbuf *m;
	uint8_t *p;

	spec_for(&s, 2, L3_V6, IPPROTO_TCP, 0);
	build(&s, &f, &e);
	m = mk(f.b, f.n);
	ck_assert_int_eq(evs_packet_parse(m, 7, &k), EVS_DROP_NONE);
	/* rewrite keeps the S-tag TPID */
	ck_assert_int_eq(evs_packet_set_vlan(m, 555), 0);
	p = rte_pktmbuf_mtod(m, uint8_t *);
	ck_assert_uint_eq(p[12], 0x88);
	ck_assert_uint_eq(p[13], 0xa8);
	ck_assert_int_eq(evs_packet_parse(m, 7, &k), EVS_DROP_NONE);
	ck_assert_uint_eq(k.vlan_tci, 555 | EVS_VLAN_PRESENT);
	/* pop the outer: the C-tag becomes outer */
	ck_assert_int_eq(evs_packet_set_vlan(m, 0), 0);
	ck_assert_uint_eq(m->l2_len, 18);
	ck_assert_int_eq(evs_packet_parse(m, 7, &k), EVS_DROP_NONE);
	ck_assert_uint_eq(k.vlan_tci, 200 | EVS_VLAN_PRESENT);
	ck_assert_uint_eq(k.ip_proto, IPPROTO_TCP);
	rte_pktmbuf_free(m);
}
END_TEST

START_TEST(test_vlan_errors)
{
	struct frame f;
	struct expect e;
	struct spec s;
	struct rte_mbuf *m;
	struct tight t;

	/* runt */
	spec_for(&s, 1, L3_OTHER, 0, 0);
	build(&s, &f, &e);
	tight_init(&t, f.b, 13, 16);
	ck_assert_int_eq(evs_packet_set_vlan(&t.m, 5), -EINVAL);
	tight_fini(&t);
	/* tag cut short */
	tight_init(&t, f.b, 16, 16);
	ck_assert_int_eq(evs_packet_set_vlan(&t.m, 0), -EINVAL);
	tight_fini(&t);
	/* no headroom to push */
	spec_for(&s, 0, L3_OTHER, 0, 0);
	build(&s, &f, &e);
	tight_init(&t, f.b, f.n, 3);
	ck_assert_int_eq(evs_packet_set_vlan(&t.m, 5), -ENOSPC);
	ck_assert_uint_eq(t.m.data_len, f.n);
	tight_fini(&t);
	/* exactly 4 bytes of headroom is enough, and ASan watches the edges */
	tight_init(&t, f.b, f.n, 4);
	ck_assert_int_eq(evs_packet_set_vlan(&t.m, 5), 0);
	ck_assert_int_eq(evs_packet_set_vlan(&t.m, 0), 0);
	ck_assert_int_eq(memcmp(rte_pktmbuf_mtod(&t.m, uint8_t *), f.b, f.n), 0);
	tight_fini(&t);
	/* shared data */
	m = mk(f.b, f.n);
	rte_mbuf_refcnt_update(m, 1);
	ck_assert_int_eq(evs_packet_set_vlan(m, 5), -EPERM);
	rte_mbuf_refcnt_update(m, -1);
	rte_pktmbuf_free(m);
}
END_TEST

void packet_tx_add_cases(Suite *s)
{
	const struct {
		const char *name;
		const TTest *test;
	} cases[] = {
	    {"cksum_ipv4_known", test_cksum_ipv4_known},
	    {"cksum_l4_known_vector", test_cksum_l4_known_vector},
	    {"cksum_l4_vs_dpdk", test_cksum_l4_vs_dpdk},
	    {"cksum_l4_cases", test_cksum_l4_cases},
	    {"vlan_push_pop_roundtrip", test_vlan_push_pop_roundtrip},
	    {"vlan_qinq_rewrite_and_pop", test_vlan_qinq_rewrite_and_pop},
	    {"vlan_errors", test_vlan_errors},
	};

	for (size_t i = 0; i < RTE_DIM(cases); i++) {
		TCase *tc = tcase_create(cases[i].name);

		tcase_add_test(tc, cases[i].test);
		suite_add_tcase(s, tc);
	}
}
