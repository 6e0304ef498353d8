/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/packet: the parser against keys computed independently
 * from the frame's build spec, truncation at every length (on exact-size
 * buffers so AddressSanitizer sees any over-read), the fast path against the
 * full parser, key hashing; the frame builder is packet_test_util.c,
 * checksums and VLAN rewrites test_packet_tx.c.
 */
#include <check.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "evs_packet.h"
#include "packet_private.h"
#include "packet_test.h"
#include "unit_eal.h"

START_TEST(test_parse_combinations)
{
	char what[96];
	struct spec s;
	int ntags, l3, p, v;

	for (ntags = 0; ntags <= 2; ntags++)
		for (l3 = L3_OTHER; l3 <= L3_ARP; l3++)
			for (p = 0; p < (int)RTE_DIM(l4_protos); p++)
				for (v = 0; v < 4; v++) {
					spec_for(&s, ntags, l3, l4_protos[p], v);
					snprintf(what, sizeof(what), "tags=%d l3=%d l4=%u v=%d",
						 ntags, l3, l4_protos[p], v);
					check_spec(&s, what);
				}
}
END_TEST

START_TEST(test_parse_runt)
{
	struct frame f;
	struct expect e;
	struct spec s;
	struct evs_flow_key k;
	uint32_t n;

	spec_for(&s, 0, L3_OTHER, 0, 0);
	build(&s, &f, &e);
	for (n = 0; n < 14; n++)
		ck_assert_int_eq(parse_buf(f.b, n, &k, NULL), EVS_DROP_RUNT);
	ck_assert_int_eq(parse_buf(f.b, 14, &k, NULL), EVS_DROP_NONE);
}
END_TEST

START_TEST(test_parse_vlan)
{
	struct frame f;
	struct expect e;
	struct spec s;
	struct evs_flow_key k;
	struct rte_mbuf lens;

	/* priority tag: present with VID 0 */
	spec_for(&s, 1, L3_V4, IPPROTO_UDP, 0);
	s.tci[0] = 0x6000;
	build(&s, &f, &e);
	ck_assert_int_eq(parse_buf(f.b, f.n, &k, &lens), EVS_DROP_NONE);
	ck_assert_uint_eq(k.vlan_tci, 0x6000 | EVS_VLAN_PRESENT);
	/* DEI is folded into the present bit */
	s.tci[0] = 0x1000 | 42;
	build(&s, &f, &e);
	ck_assert_int_eq(parse_buf(f.b, f.n, &k, &lens), EVS_DROP_NONE);
	ck_assert_uint_eq(k.vlan_tci, 42 | EVS_VLAN_PRESENT);
	/* QinQ with two C-tags (0x8100 outer) is accepted too */
	spec_for(&s, 2, L3_V6, IPPROTO_TCP, 0);
	s.tpid[0] = 0x8100;
	check_spec(&s, "8100/8100");
	/* S-tag alone */
	spec_for(&s, 1, L3_OTHER, 0, 0);
	s.tpid[0] = 0x88a8;
	check_spec(&s, "88a8 alone");
}
END_TEST

/* Ethernet header, @ntags 802.1Q tags, type/length @v, @payload bytes. */
static uint32_t length_frame(uint8_t *b, int ntags, uint16_t v, uint32_t payload)
{
	uint32_t n = 12;
	int t;

	memset(b, 0, 12);
	b[0] = 0x02, b[6] = 0x02, b[11] = 1;
	for (t = 0; t < ntags; t++) {
		b[n++] = 0x81, b[n++] = 0x00;
		b[n++] = 0x00, b[n++] = (uint8_t)(10 + t);
	}
	b[n++] = (uint8_t)(v >> 8), b[n++] = (uint8_t)v;
	memset(b + n, 0x42, payload);
	return n + payload;
}

START_TEST(test_parse_length_field)
{
	static uint8_t b[14 + 8 + 1600];
	struct evs_flow_key k;
	struct rte_mbuf *m, *m2;
	uint32_t v;
	int tags;

	for (tags = 0; tags <= 2; tags++) {
		/* 802.3 lengths: up to the data after the field, padding allowed */
		ck_assert_int_eq(parse_buf(b, length_frame(b, tags, 0, 46), &k, NULL),
				 EVS_DROP_NONE);
		ck_assert_int_eq(parse_buf(b, length_frame(b, tags, 38, 46), &k, NULL),
				 EVS_DROP_NONE);
		ck_assert_uint_eq(k.ethertype, RTE_BE16(38));
		ck_assert_int_eq(parse_buf(b, length_frame(b, tags, 46, 46), &k, NULL),
				 EVS_DROP_NONE);
		ck_assert_int_eq(parse_buf(b, length_frame(b, tags, 47, 46), &k, NULL),
				 EVS_DROP_BAD_LENGTH);
		ck_assert_int_eq(parse_buf(b, length_frame(b, tags, 1500, 1500), &k, NULL),
				 EVS_DROP_NONE);
		ck_assert_int_eq(parse_buf(b, length_frame(b, tags, 1500, 1499), &k, NULL),
				 EVS_DROP_BAD_LENGTH);
		/* no data at all after the field */
		ck_assert_int_eq(parse_buf(b, length_frame(b, tags, 1, 0), &k, NULL),
				 EVS_DROP_BAD_LENGTH);
		/* 1501..1535: neither a length nor a type, whatever the size */
		for (v = 0x05dd; v <= 0x05ff; v++)
			ck_assert_msg(parse_buf(b, length_frame(b, tags, (uint16_t)v, 1600), &k,
						NULL) == EVS_DROP_BAD_ETHERTYPE,
				      "tags %d type 0x%04x", tags, v);
		/* the first EtherType, and one nobody parses */
		ck_assert_int_eq(parse_buf(b, length_frame(b, tags, 0x0600, 0), &k, NULL),
				 EVS_DROP_NONE);
		ck_assert_int_eq(parse_buf(b, length_frame(b, tags, 0x88b5, 0), &k, NULL),
				 EVS_DROP_NONE);
	}

	/* the length counts the data of every segment */
	m = rte_pktmbuf_alloc(pool);
	m2 = rte_pktmbuf_alloc(pool);
	ck_assert_ptr_nonnull(m);
	ck_assert_ptr_nonnull(m2);
	v = length_frame(b, 0, 100, 100);
	memcpy(rte_pktmbuf_append(m, 40), b, 40);
	memcpy(rte_pktmbuf_append(m2, v - 40), b + 40, v - 40);
	ck_assert_int_eq(rte_pktmbuf_chain(m, m2), 0);
	ck_assert_int_eq(evs_packet_parse(m, 1, &k), EVS_DROP_NONE);
	b[12] = 0, b[13] = 101;
	memcpy(rte_pktmbuf_mtod(m, uint8_t *), b, 14);
	ck_assert_int_eq(evs_packet_parse(m, 1, &k), EVS_DROP_BAD_LENGTH);
	rte_pktmbuf_free(m);
}
END_TEST

START_TEST(test_parse_bad_vlan)
{
	struct frame f;
	struct expect e;
	struct spec s;
	struct evs_flow_key k;
	uint32_t n;

	/* truncated single tag: 15..17 bytes */
	spec_for(&s, 1, L3_OTHER, 0, 0);
	build(&s, &f, &e);
	for (n = 15; n < 18; n++)
		ck_assert_int_eq(parse_buf(f.b, n, &k, NULL), EVS_DROP_BAD_VLAN);
	/* truncated second tag */
	spec_for(&s, 2, L3_OTHER, 0, 0);
	build(&s, &f, &e);
	for (n = 19; n < 22; n++)
		ck_assert_int_eq(parse_buf(f.b, n, &k, NULL), EVS_DROP_BAD_VLAN);
	/* triple tag */
	memset(&f, 0, sizeof(f));
	put(&f, MAC_B, 6);
	put(&f, MAC_A, 6);
	put16(&f, 0x88a8), put16(&f, 1);
	put16(&f, 0x8100), put16(&f, 2);
	put16(&f, 0x8100), put16(&f, 3);
	put16(&f, 0x0800);
	putn(&f, 0, 40);
	ck_assert_int_eq(parse_buf(f.b, f.n, &k, NULL), EVS_DROP_BAD_VLAN);
}
END_TEST

/* A plain IPv4/UDP frame, untagged: IP header at 14. */
static void v4_udp(struct frame *f, struct expect *e)
{
	struct spec s;

	spec_for(&s, 0, L3_V4, IPPROTO_UDP, 0);
	build(&s, f, e);
}

START_TEST(test_parse_bad_ipv4)
{
	struct frame f;
	struct expect e;
	struct evs_flow_key k;
	struct rte_mbuf lens;
	uint8_t ihl;

	/* IHL below 5 */
	for (ihl = 0; ihl < 5; ihl++) {
		v4_udp(&f, &e);
		f.b[14] = 0x40 | ihl;
		ck_assert_int_eq(parse_buf(f.b, f.n, &k, NULL), EVS_DROP_BAD_L3);
	}
	/* IHL beyond the frame */
	v4_udp(&f, &e);
	f.b[14] = 0x4f;
	ck_assert_int_eq(parse_buf(f.b, 14 + 59, &k, NULL), EVS_DROP_BAD_L3);
	/* wrong version */
	v4_udp(&f, &e);
	f.b[14] = 0x65;
	ck_assert_int_eq(parse_buf(f.b, f.n, &k, NULL), EVS_DROP_BAD_L3);
	/* total length below IHL and beyond the frame */
	v4_udp(&f, &e);
	set16(&f, 16, 19);
	ck_assert_int_eq(parse_buf(f.b, f.n, &k, NULL), EVS_DROP_BAD_L3);
	set16(&f, 16, f.n - 14 + 1);
	ck_assert_int_eq(parse_buf(f.b, f.n, &k, NULL), EVS_DROP_BAD_L3);
	/* Ethernet padding after the total length is fine */
	v4_udp(&f, &e);
	putn(&f, 0, 12);
	ck_assert_int_eq(parse_buf(f.b, f.n, &k, &lens), EVS_DROP_NONE);
	check_key(&k, &e, "padded");
	/* total length that cuts the UDP header */
	v4_udp(&f, &e);
	set16(&f, 16, 20 + 7);
	ck_assert_int_eq(parse_buf(f.b, f.n, &k, NULL), EVS_DROP_BAD_L4);
}
END_TEST

START_TEST(test_parse_bad_l4)
{
	struct frame f;
	struct expect e;
	struct spec s;
	struct evs_flow_key k;
	uint8_t doff;

	spec_for(&s, 0, L3_V4, IPPROTO_TCP, 0);
	for (doff = 0; doff < 5; doff++) {
		build(&s, &f, &e);
		f.b[34 + 12] = doff << 4;
		ck_assert_int_eq(parse_buf(f.b, f.n, &k, NULL), EVS_DROP_BAD_L4);
	}
	s.payload = 0;
	build(&s, &f, &e);
	f.b[34 + 12] = 7 << 4; /* 28 bytes claimed, 24 present */
	ck_assert_int_eq(parse_buf(f.b, f.n, &k, NULL), EVS_DROP_BAD_L4);

	spec_for(&s, 0, L3_V6, IPPROTO_UDP, 0);
	build(&s, &f, &e);
	set16(&f, 54 + 4, 7);
	ck_assert_int_eq(parse_buf(f.b, f.n, &k, NULL), EVS_DROP_BAD_L4);
	set16(&f, 54 + 4, 8 + s.payload + 1);
	ck_assert_int_eq(parse_buf(f.b, f.n, &k, NULL), EVS_DROP_BAD_L4);
	set16(&f, 54 + 4, 8);
	ck_assert_int_eq(parse_buf(f.b, f.n, &k, NULL), EVS_DROP_NONE);

	spec_for(&s, 0, L3_V4, IPPROTO_ICMP, 0);
	s.payload = 0;
	build(&s, &f, &e);
	set16(&f, 16, 20 + 7);
	ck_assert_int_eq(parse_buf(f.b, f.n - 1, &k, NULL), EVS_DROP_BAD_L4);
}
END_TEST

START_TEST(test_parse_ipv4_fragments)
{
	struct spec s;
	struct frame f;
	struct expect e;
	struct evs_flow_key k;
	struct rte_mbuf lens;

	spec_for(&s, 1, L3_V4, IPPROTO_UDP, 1);
	s.frag = 0x2000; /* first: MF, offset 0 */
	check_spec(&s, "v4 first fragment");
	s.frag = 0x2000 | 185; /* middle */
	check_spec(&s, "v4 middle fragment");
	s.frag = 185; /* last */
	build(&s, &f, &e);
	ck_assert_int_eq(parse_buf(f.b, f.n, &k, &lens), EVS_DROP_NONE);
	ck_assert_uint_eq(k.ip_frag, EVS_FRAG_ANY | EVS_FRAG_LATER);
	ck_assert_uint_eq(k.l4_src, 0);
	ck_assert_uint_eq(lens.l4_len, 0);
	s.frag = 0x4000; /* DF only: not a fragment */
	check_spec(&s, "v4 DF");
	/* a later fragment too short to hold any L4 header is still fine */
	s.frag = 185;
	s.payload = 1;
	check_spec(&s, "v4 tiny later fragment");
}
END_TEST

/* A first fragment's UDP length covers the whole datagram, more than the
 * fragment holds: its ports are parsed, not dropped as bad_l4. Unfragmented,
 * the same length is still refused. */
START_TEST(test_parse_udp_first_fragment)
{
	struct spec s;
	struct frame f;
	struct expect e;
	struct evs_flow_key k;
	int v6, tags;

	for (v6 = 0; v6 <= 1; v6++) {
		for (tags = 0; tags <= 1; tags++) {
			spec_for(&s, tags, v6 ? L3_V6 : L3_V4, IPPROTO_UDP, 0);
			if (v6) {
				s.v6_ext = 1;
				s.v6_frag = true;
				s.frag = 1; /* M set, offset 0 */
			} else {
				s.frag = 0x2000;
			}
			build(&s, &f, &e);
			set16(&f, (size_t)e.l2_len + e.l3_len + 4, 4008);
			ck_assert_int_eq(parse_buf(f.b, f.n, &k, NULL), EVS_DROP_NONE);
			ck_assert_uint_eq(k.ip_frag, EVS_FRAG_ANY);
			ck_assert(memcmp(&k, &e.key, sizeof(k)) == 0);
			ck_assert_uint_ne(k.l4_dst, 0);

			/* not a fragment: the datagram claims more than the packet holds */
			s.frag = 0;
			s.v6_frag = false;
			build(&s, &f, &e);
			set16(&f, (size_t)e.l2_len + e.l3_len + 4, 4008);
			ck_assert_int_eq(parse_buf(f.b, f.n, &k, NULL), EVS_DROP_BAD_L4);
		}
	}
}
END_TEST

START_TEST(test_parse_ipv6_ext_chain)
{
	struct spec s;
	struct frame f;
	struct expect e;
	struct evs_flow_key k;
	int n;

	for (n = 0; n <= 5; n++) {
		spec_for(&s, 0, L3_V6, IPPROTO_TCP, 0);
		s.v6_ext = n;
		check_spec(&s, "v6 ext chain");
	}
	/* fragments: first (M set), later, atomic */
	spec_for(&s, 2, L3_V6, IPPROTO_UDP, 0);
	s.v6_ext = 2;
	s.v6_frag = true;
	s.frag = 1;
	check_spec(&s, "v6 first fragment");
	s.frag = 100 << 3;
	check_spec(&s, "v6 later fragment");
	s.frag = 0;
	check_spec(&s, "v6 atomic fragment");

	/* hop-by-hop after another extension header */
	spec_for(&s, 0, L3_V6, IPPROTO_TCP, 0);
	s.v6_ext = 2;
	build(&s, &f, &e);
	f.b[14 + 40] = IPPROTO_HOPOPTS; /* the HBH header's next header: HBH again */
	ck_assert_int_eq(parse_buf(f.b, f.n, &k, NULL), EVS_DROP_BAD_L3);

	/* nine destination-options headers: too many */
	memset(&f, 0, sizeof(f));
	put(&f, MAC_B, 6), put(&f, MAC_A, 6), put16(&f, RTE_ETHER_TYPE_IPV6);
	put8(&f, 0x60), putn(&f, 0, 3), put16(&f, 9 * 8), put8(&f, IPPROTO_DSTOPTS), put8(&f, 9);
	putn(&f, 0, 32);
	for (n = 0; n < 9; n++) {
		put8(&f, n == 8 ? IPPROTO_NONE : IPPROTO_DSTOPTS);
		putn(&f, 0, 7);
	}
	ck_assert_int_eq(parse_buf(f.b, f.n, &k, NULL), EVS_DROP_BAD_L3);
	/* eight are accepted */
	f.b[14 + 40 + 7 * 8] = IPPROTO_NONE;
	ck_assert_int_eq(parse_buf(f.b, f.n, &k, NULL), EVS_DROP_NONE);
	ck_assert_uint_eq(k.ip_proto, IPPROTO_NONE);

	/* extension header longer than the payload length claims */
	spec_for(&s, 0, L3_V6, IPPROTO_TCP, 0);
	s.v6_ext = 1;
	build(&s, &f, &e);
	f.b[14 + 41] = 200;
	ck_assert_int_eq(parse_buf(f.b, f.n, &k, NULL), EVS_DROP_BAD_L3);

	/* an L3 header over 511 bytes (m->l3_len's width) */
	memset(&f, 0, sizeof(f));
	put(&f, MAC_B, 6), put(&f, MAC_A, 6), put16(&f, RTE_ETHER_TYPE_IPV6);
	put8(&f, 0x60), putn(&f, 0, 3), put16(&f, 520), put8(&f, IPPROTO_HOPOPTS), put8(&f, 9);
	putn(&f, 0, 32);
	put8(&f, IPPROTO_NONE), put8(&f, 64), putn(&f, 1, 518);
	ck_assert_int_eq(parse_buf(f.b, f.n, &k, NULL), EVS_DROP_BAD_L3);
	/* payload length beyond the frame */
	spec_for(&s, 0, L3_V6, IPPROTO_UDP, 0);
	build(&s, &f, &e);
	ck_assert_int_eq(parse_buf(f.b, f.n - 1, &k, NULL), EVS_DROP_BAD_L3);
	/* wrong version */
	f.b[14] = 0x40;
	ck_assert_int_eq(parse_buf(f.b, f.n, &k, NULL), EVS_DROP_BAD_L3);
}
END_TEST

START_TEST(test_parse_arp)
{
	struct spec s;
	struct frame f;
	struct expect e;
	struct evs_flow_key k;

	spec_for(&s, 1, L3_ARP, 0, 0);
	check_spec(&s, "arp");
	build(&s, &f, &e);
	f.b[18 + 1] = 6; /* htype 6 */
	ck_assert_int_eq(parse_buf(f.b, f.n, &k, NULL), EVS_DROP_BAD_L3);
	build(&s, &f, &e);
	f.b[18 + 5] = 16; /* plen 16 */
	ck_assert_int_eq(parse_buf(f.b, f.n, &k, NULL), EVS_DROP_BAD_L3);
	build(&s, &f, &e);
	ck_assert_int_eq(parse_buf(f.b, 18 + 27, &k, NULL), EVS_DROP_BAD_L3);
	ck_assert_int_eq(parse_buf(f.b, 18 + 28, &k, NULL), EVS_DROP_NONE);
}
END_TEST

/* Expected reason for a frame of spec @s cut to @n bytes. */
static enum evs_drop_reason truncated_reason(const struct spec *s, uint32_t n, uint32_t full)
{
	uint32_t l2 = 14 + 4 * s->ntags;

	if (n < 14)
		return EVS_DROP_RUNT;
	if (n < l2)
		return EVS_DROP_BAD_VLAN;
	switch (s->l3) {
	case L3_OTHER:
		return EVS_DROP_NONE;
	case L3_ARP:
		return n < l2 + 28 ? EVS_DROP_BAD_L3 : EVS_DROP_NONE;
	default:
		/* IP lengths cover the whole frame: any cut is a bad L3 */
		return n < full ? EVS_DROP_BAD_L3 : EVS_DROP_NONE;
	}
}

START_TEST(test_parse_truncated_every_length)
{
	struct spec s;
	struct frame f;
	struct expect e;
	struct evs_flow_key k;
	int ntags, l3, p, v;
	uint32_t n;

	for (ntags = 0; ntags <= 2; ntags++)
		for (l3 = L3_OTHER; l3 <= L3_ARP; l3++)
			for (p = 0; p < (int)RTE_DIM(l4_protos); p++)
				for (v = 0; v < 4; v += 3) {
					spec_for(&s, ntags, l3, l4_protos[p], v);
					build(&s, &f, &e);
					for (n = 0; n <= f.n; n++) {
						enum evs_drop_reason want =
						    truncated_reason(&s, n, f.n);
						enum evs_drop_reason got =
						    parse_buf(f.b, n, &k, NULL);

						ck_assert_msg(got == want,
							      "tags=%d l3=%d l4=%u len=%u/%u: %s, "
							      "want %s",
							      ntags, l3, l4_protos[p], n, f.n,
							      evs_drop_reason_name(got),
							      evs_drop_reason_name(want));
					}
				}
}
END_TEST

/* Cut the data but keep pkt_len: headers cut by the segment end, not by lengths. */
START_TEST(test_parse_segment_cut)
{
	struct spec s;
	struct frame f;
	struct expect e;
	struct evs_flow_key k;
	struct tight t;
	uint32_t n, l4off;

	spec_for(&s, 0, L3_V4, IPPROTO_TCP, 0);
	build(&s, &f, &e);
	l4off = 14 + 20;
	for (n = 14; n < f.n; n++) {
		enum evs_drop_reason r;

		tight_init(&t, f.b, n, 0);
		t.m.pkt_len = f.n; /* the rest would sit in a next segment */
		r = evs_packet_parse(&t.m, 7, &k);
		tight_fini(&t);
		if (n < l4off)
			ck_assert_int_eq(r, EVS_DROP_BAD_L3);
		else if (n < l4off + 24)
			ck_assert_int_eq(r, EVS_DROP_BAD_L4);
		else
			ck_assert_int_eq(r, EVS_DROP_NONE);
	}
	/* IPv4 options running past the segment while the total length fits */
	spec_for(&s, 0, L3_V4, IPPROTO_UDP, 0);
	s.v4_optlen = 40;
	build(&s, &f, &e);
	for (n = 14 + 20; n < 14 + 60 + 8; n++) {
		enum evs_drop_reason r;

		tight_init(&t, f.b, n, 0);
		t.m.pkt_len = f.n;
		r = evs_packet_parse(&t.m, 7, &k);
		tight_fini(&t);
		ck_assert_int_eq(r, n < 14 + 60 ? EVS_DROP_BAD_L3 : EVS_DROP_BAD_L4);
	}
	/* IPv6 extension header running past the segment */
	spec_for(&s, 0, L3_V6, IPPROTO_TCP, 0);
	s.v6_ext = 3;
	build(&s, &f, &e);
	for (n = 14 + 40; n < 14 + 40 + 8 + 16 + 24; n++) {
		tight_init(&t, f.b, n, 0);
		t.m.pkt_len = f.n;
		ck_assert_int_eq(evs_packet_parse(&t.m, 7, &k), EVS_DROP_BAD_L3);
		tight_fini(&t);
	}
}
END_TEST

START_TEST(test_parse_random_bytes)
{
	static const uint16_t types[] = {0x0800, 0x86dd, 0x0806, 0x8100, 0x88a8, 0x1234};
	uint8_t b[256];
	struct evs_flow_key k;
	struct frame f;
	struct expect e;
	struct spec s;
	int i, j;

	srand(1);
	for (i = 0; i < 20000; i++) {
		uint32_t n = rand() % sizeof(b);

		for (j = 0; j < (int)n; j++)
			b[j] = rand();
		if (n >= 14) {
			b[12] = types[rand() % RTE_DIM(types)] >> 8;
			b[13] = types[rand() % RTE_DIM(types)] & 0xff;
		}
		(void)parse_buf(b, n, &k, NULL);
	}
	/* mutate valid frames byte by byte */
	for (i = 0; i < 2000; i++) {
		spec_for(&s, rand() % 3, rand() % 4, l4_protos[rand() % RTE_DIM(l4_protos)],
			 rand() % 4);
		build(&s, &f, &e);
		for (j = 0; j < 3; j++)
			f.b[rand() % f.n] = rand();
		(void)parse_buf(f.b, f.n, &k, NULL);
	}
}
END_TEST

/* Both parsers on one mbuf state (the parser writes only the key and the lengths). */
static void parse_both(struct rte_mbuf *m, const char *what)
{
	struct evs_flow_key kf, kr;
	enum evs_drop_reason rf, rr;
	uint64_t lf, lr;

	memset(&kf, 0x5a, sizeof(kf)); /* a stale key must not leak through */
	rf = evs_packet_parse(m, 3, &kf);
	lf = (uint64_t)m->l2_len << 32 | (uint64_t)m->l3_len << 16 | m->l4_len;
	rr = evs_packet_parse_full(m, 3, &kr);
	lr = (uint64_t)m->l2_len << 32 | (uint64_t)m->l3_len << 16 | m->l4_len;
	ck_assert_msg(rf == rr, "%s: reason %d, full parser %d", what, rf, rr);
	if (rr == EVS_DROP_NONE) {
		ck_assert_msg(memcmp(&kf, &kr, sizeof(kf)) == 0, "%s: key differs", what);
		ck_assert_msg(lf == lr, "%s: lengths %#" PRIx64 " != %#" PRIx64, what, lf, lr);
	}
}

/* The fast path for untagged IPv4 TCP/UDP against the full parser, on valid
 * frames mutated where the fast path decides (type, version/IHL, lengths,
 * fragment bits, protocol, UDP length, TCP offset) and cut short. */
START_TEST(test_parse_fast_path_equals_full)
{
	static const uint8_t hot[] = {12, 13, 14, 16, 17, 20, 21, 23, 38, 39, 46};
	static const uint8_t protos[] = {IPPROTO_UDP, IPPROTO_TCP};
	char what[64];
	struct frame f;
	struct expect e;
	struct spec s;
	int i, j;

	srand(8);
	for (i = 0; i < 4000; i++) {
		struct rte_mbuf *m;
		uint32_t n;

		spec_for(&s, 0, L3_V4, protos[i & 1], (rand() % 2) * 2); /* no options */
		s.payload = rand() % 40;
		build(&s, &f, &e);
		for (j = rand() % 3; j > 0; j--) {
			uint8_t at = hot[rand() % RTE_DIM(hot)];

			if (at < f.n)
				f.b[at] = rand() % 3 == 0
					      ? (uint8_t)rand()
					      : (uint8_t)(f.b[at] ^ (1u << (rand() % 8)));
		}
		n = rand() % 4 == 0 ? (uint32_t)(rand() % (f.n + 1)) : f.n;
		m = mk(f.b, n);
		snprintf(what, sizeof(what), "frame %d (%u bytes)", i, n);
		parse_both(m, what);
		/* claimed longer than the segment (a chained mbuf's first segment) */
		if (n > 0 && rand() % 4 == 0) {
			m->pkt_len = n + (uint32_t)(rand() % 64);
			parse_both(m, what);
			m->pkt_len = n;
		}
		rte_pktmbuf_free(m);
	}
}
END_TEST

START_TEST(test_parse_oversize_multiseg)
{
	struct spec s;
	struct frame f;
	struct expect e;
	struct evs_flow_key k;
	struct rte_mbuf *m, *tail;
	char *d;

	/* 9000-byte payload jumbo frame: headers in the first segment, rest chained */
	spec_for(&s, 1, L3_V4, IPPROTO_UDP, 0);
	s.payload = 9000;
	build(&s, &f, &e);
	m = mk(f.b, 200);
	tail = rte_pktmbuf_alloc(pool);
	ck_assert_ptr_nonnull(tail);
	d = rte_pktmbuf_append(tail, f.n - 200);
	ck_assert_ptr_nonnull(d);
	memcpy(d, f.b + 200, f.n - 200);
	ck_assert_int_eq(rte_pktmbuf_chain(m, tail), 0);
	ck_assert_int_eq(evs_packet_parse(m, 7, &k), EVS_DROP_NONE);
	check_key(&k, &e, "jumbo");
	ck_assert(evs_packet_oversize(m, 1500));
	ck_assert(!evs_packet_oversize(m, 9100));
	/* exactly MTU-sized L3 is not oversize; one byte more is */
	ck_assert(!evs_packet_oversize(m, rte_pktmbuf_pkt_len(m) - m->l2_len));
	ck_assert(evs_packet_oversize(m, rte_pktmbuf_pkt_len(m) - m->l2_len - 1));
	/* IP total length beyond the whole chain */
	rte_pktmbuf_trim(m, 1);
	ck_assert_int_eq(evs_packet_parse(m, 7, &k), EVS_DROP_BAD_L3);
	rte_pktmbuf_free(m);
}
END_TEST

START_TEST(test_parse_unstrip)
{
	struct spec s;
	struct frame f;
	struct expect e;
	struct evs_flow_key k;
	struct rte_mbuf *m;
	uint8_t *p;

	spec_for(&s, 0, L3_V4, IPPROTO_TCP, 0);
	build(&s, &f, &e);
	m = mk(f.b, f.n);
	m->ol_flags |= RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED;
	m->vlan_tci = 300;
	ck_assert_int_eq(evs_packet_parse(m, 7, &k), EVS_DROP_NONE);
	ck_assert_uint_eq(k.vlan_tci, 300 | EVS_VLAN_PRESENT);
	ck_assert_uint_eq(m->l2_len, 18);
	ck_assert_uint_eq(rte_pktmbuf_data_len(m), f.n + 4);
	ck_assert(!(m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED));
	p = rte_pktmbuf_mtod(m, uint8_t *);
	ck_assert_int_eq(memcmp(p, f.b, 12), 0);
	ck_assert_int_eq(memcmp(p + 16, f.b + 12, f.n - 12), 0);
	rte_pktmbuf_free(m);

	/* both tags stripped: outer S-tag comes back first */
	m = mk(f.b, f.n);
	m->ol_flags |= RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED | RTE_MBUF_F_RX_QINQ |
		       RTE_MBUF_F_RX_QINQ_STRIPPED;
	m->vlan_tci = 20;
	m->vlan_tci_outer = 10;
	ck_assert_int_eq(evs_packet_parse(m, 7, &k), EVS_DROP_NONE);
	ck_assert_uint_eq(k.vlan_tci, 10 | EVS_VLAN_PRESENT);
	ck_assert_uint_eq(m->l2_len, 22);
	p = rte_pktmbuf_mtod(m, uint8_t *);
	ck_assert_uint_eq(p[12], 0x88);
	ck_assert_uint_eq(p[16], 0x81);
	ck_assert_uint_eq(p[19], 20);
	rte_pktmbuf_free(m);
}
END_TEST

/* ---- key hashing, names, layout ---- */

START_TEST(test_key_hash)
{
	struct evs_flow_key a, b;
	uint8_t *pb = (uint8_t *)&b;
	size_t i;
	int bit;

	memset(&a, 0, sizeof(a));
	a.in_port = 3;
	a.vlan_tci = 10 | EVS_VLAN_PRESENT;
	a.ip_proto = IPPROTO_TCP;
	memcpy(a.src_ip, IP6_A, 16);
	memcpy(&b, &a, sizeof(b));
	ck_assert_uint_eq(evs_flow_key_hash(&a, 0), evs_flow_key_hash(&b, 0));
	ck_assert_uint_ne(evs_flow_key_hash(&a, 0), evs_flow_key_hash(&a, 1));
	/* CRC detects every burst of up to 32 bits: any single-bit change alters the hash */
	for (i = 0; i < sizeof(b); i++)
		for (bit = 0; bit < 8; bit++) {
			memcpy(&b, &a, sizeof(b));
			pb[i] ^= 1u << bit;
			ck_assert_msg(evs_flow_key_hash(&a, 7) != evs_flow_key_hash(&b, 7),
				      "byte %zu bit %d", i, bit);
		}
}
END_TEST

START_TEST(test_drop_reason_names)
{
	int i, j;

	for (i = 0; i < EVS_DROP_REASON_MAX; i++) {
		const char *n = evs_drop_reason_name(i);

		ck_assert_ptr_nonnull(n);
		ck_assert_str_ne(n, "unknown");
		for (j = 0; j < i; j++)
			ck_assert_str_ne(n, evs_drop_reason_name(j));
	}
	ck_assert_str_eq(evs_drop_reason_name(EVS_DROP_REASON_MAX), "unknown");
	ck_assert_str_eq(evs_drop_reason_name((enum evs_drop_reason) - 1), "unknown");
	ck_assert_str_eq(evs_drop_reason_name(EVS_DROP_BAD_VLAN), "bad_vlan");
}
END_TEST

START_TEST(test_key_layout)
{
	/* the classifier hashes and masks word by word */
	ck_assert_uint_eq(sizeof(struct evs_flow_key), 15 * 8);
	ck_assert_uint_eq(EVS_FLOW_KEY_WORDS, 15);
	ck_assert_uint_eq(offsetof(struct evs_flow_key, recirc_id), 8);
	ck_assert_uint_eq(offsetof(struct evs_flow_key, dst_mac), 16);
	ck_assert_uint_eq(offsetof(struct evs_flow_key, src_ip), 32);
	ck_assert_uint_eq(offsetof(struct evs_flow_key, l4_src), 64);
	ck_assert_uint_eq(offsetof(struct evs_flow_key, tun_vni), 72);
	ck_assert_uint_eq(offsetof(struct evs_flow_key, ct_mark), 112);
}
END_TEST

static Suite *packet_suite(void)
{
	Suite *s = suite_create("packet");
	struct {
		const char *name;
		const TTest *test;
	} cases[] = {
	    {"parse_combinations", test_parse_combinations},
	    {"parse_runt", test_parse_runt},
	    {"parse_vlan", test_parse_vlan},
	    {"parse_length_field", test_parse_length_field},
	    {"parse_bad_vlan", test_parse_bad_vlan},
	    {"parse_bad_ipv4", test_parse_bad_ipv4},
	    {"parse_bad_l4", test_parse_bad_l4},
	    {"parse_ipv4_fragments", test_parse_ipv4_fragments},
	    {"parse_udp_first_fragment", test_parse_udp_first_fragment},
	    {"parse_ipv6_ext_chain", test_parse_ipv6_ext_chain},
	    {"parse_arp", test_parse_arp},
	    {"parse_truncated_every_length", test_parse_truncated_every_length},
	    {"parse_segment_cut", test_parse_segment_cut},
	    {"parse_random_bytes", test_parse_random_bytes},
	    {"parse_fast_path_equals_full", test_parse_fast_path_equals_full},
	    {"parse_oversize_multiseg", test_parse_oversize_multiseg},
	    {"parse_unstrip", test_parse_unstrip},
	    {"key_hash", test_key_hash},
	    {"drop_reason_names", test_drop_reason_names},
	    {"key_layout", test_key_layout},
	};
	size_t i;

	for (i = 0; i < RTE_DIM(cases); i++) {
		TCase *tc = tcase_create(cases[i].name);

		tcase_add_test(tc, cases[i].test);
		suite_add_tcase(s, tc);
	}
	packet_tx_add_cases(s);
	return s;
}

int main(void)
{
	int failed;

	if (unit_eal_init("test_packet", "l2pkt", "128") < 0)
		return 1;
	pool = rte_pktmbuf_pool_create("l2pkt_pool", 256, 0, 0, 12288 + RTE_PKTMBUF_HEADROOM,
				       SOCKET_ID_ANY);
	if (pool == NULL) {
		fprintf(stderr, "mbuf pool: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	failed = unit_run(packet_suite());
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return failed ? 1 : 0;
}
