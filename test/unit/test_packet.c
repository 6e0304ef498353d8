/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/packet: the parser against keys computed independently
 * from the frame's build spec, truncation at every length (on exact-size
 * buffers so AddressSanitizer sees any over-read), checksums against known
 * vectors and DPDK's own routines, VLAN push/pop/rewrite round trips.
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
#include "unit_eal.h"

static struct rte_mempool *pool;

/* ---- frame builder ---- */

struct frame {
	uint8_t b[12000];
	uint32_t n;
};

static void put(struct frame *f, const void *p, size_t n)
{
	ck_assert_uint_le(f->n + n, sizeof(f->b));
	memcpy(f->b + f->n, p, n);
	f->n += n;
}

static void put8(struct frame *f, uint8_t v)
{
	put(f, &v, 1);
}

static void put16(struct frame *f, uint16_t v)
{
	uint8_t b[2] = {v >> 8, v & 0xff};

	put(f, b, 2);
}

static void putn(struct frame *f, uint8_t v, size_t n)
{
	while (n--)
		put8(f, v);
}

static void set16(struct frame *f, size_t off, uint16_t v)
{
	f->b[off] = v >> 8;
	f->b[off + 1] = v & 0xff;
}

static const uint8_t MAC_A[6] = {0x02, 0, 0, 0, 0, 0xa};
static const uint8_t MAC_B[6] = {0x02, 0, 0, 0, 0, 0xb};
static const uint8_t IP4_A[4] = {10, 0, 0, 1};
static const uint8_t IP4_B[4] = {192, 168, 1, 200};
static const uint8_t IP6_A[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t IP6_B[16] = {0xfe, 0x80, [8] = 0xaa, [15] = 2};

enum l3_kind { L3_OTHER, L3_V4, L3_V6, L3_ARP };

/* What to build; the expected key is derived from this, not from parsing. */
struct spec {
	int ntags;
	uint16_t tpid[2];
	uint16_t tci[2];
	enum l3_kind l3;
	uint8_t v4_optlen; /* bytes, multiple of 4 */
	int v6_ext;	   /* number of extension headers: HBH, DSTOPTS, ROUTING... */
	uint8_t l4;	   /* IPPROTO_* or 0 */
	uint16_t payload;
	uint8_t ttl;
	uint8_t tos;
	uint16_t frag; /* IPv4 flags/offset field, or IPv6 frag header offset|M when v6_frag */
	bool v6_frag;
};

struct expect {
	struct evs_flow_key key;
	uint8_t l2_len;
	uint16_t l3_len;
	uint8_t l4_len;
};

static const uint8_t v6_ext_types[] = {IPPROTO_HOPOPTS, IPPROTO_DSTOPTS, IPPROTO_ROUTING,
				       IPPROTO_AH, IPPROTO_DSTOPTS};

static uint8_t ttl_class(uint8_t ttl)
{
	return ttl == 0 ? 0 : ttl == 1 ? 1 : 2;
}

static void build_l4(struct frame *f, const struct spec *s, struct expect *e, uint32_t ip_payload)
{
	size_t l4 = f->n;
	bool later = e->key.ip_frag & EVS_FRAG_LATER;

	if (later) {
		putn(f, 0xab, s->payload);
		return;
	}
	switch (s->l4) {
	case IPPROTO_TCP:
		put16(f, 1234);
		put16(f, 80);
		put16(f, 0), put16(f, 1); /* seq */
		put16(f, 0), put16(f, 0); /* ack */
		put8(f, 6 << 4);	  /* 24-byte header: one option word */
		put8(f, 0x12);		  /* SYN|ACK */
		put16(f, 512);
		put16(f, 0);
		put16(f, 0);
		putn(f, 1, 4);
		e->key.l4_src = rte_cpu_to_be_16(1234);
		e->key.l4_dst = rte_cpu_to_be_16(80);
		e->key.tcp_flags = 0x12;
		e->l4_len = 24;
		break;
	case IPPROTO_UDP:
		put16(f, 5353);
		put16(f, 53);
		put16(f, 8 + s->payload);
		put16(f, 0);
		e->key.l4_src = rte_cpu_to_be_16(5353);
		e->key.l4_dst = rte_cpu_to_be_16(53);
		e->l4_len = 8;
		break;
	case IPPROTO_SCTP:
		put16(f, 3868);
		put16(f, 2905);
		putn(f, 0, 8);
		e->key.l4_src = rte_cpu_to_be_16(3868);
		e->key.l4_dst = rte_cpu_to_be_16(2905);
		e->l4_len = 12;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		put8(f, 8);
		put8(f, 3);
		putn(f, 0, 6);
		e->key.l4_src = rte_cpu_to_be_16(8);
		e->key.l4_dst = rte_cpu_to_be_16(3);
		e->l4_len = 8;
		break;
	default:
		break;
	}
	putn(f, 0x5a, s->payload);
	(void)ip_payload;
	(void)l4;
}

/* Build the frame described by @s and the key the parser must produce. */
static void build(const struct spec *s, struct frame *f, struct expect *e)
{
	int i;

	memset(f, 0, sizeof(*f));
	memset(e, 0, sizeof(*e));
	e->key.in_port = 7;
	put(f, MAC_B, 6);
	put(f, MAC_A, 6);
	memcpy(&e->key.dst_mac, MAC_B, 6);
	memcpy(&e->key.src_mac, MAC_A, 6);
	for (i = 0; i < s->ntags; i++) {
		put16(f, s->tpid[i]);
		put16(f, s->tci[i]);
	}
	if (s->ntags)
		e->key.vlan_tci = s->tci[0] | EVS_VLAN_PRESENT;
	e->l2_len = 14 + 4 * s->ntags;

	switch (s->l3) {
	case L3_OTHER:
		put16(f, 0x88b5);
		e->key.ethertype = rte_cpu_to_be_16(0x88b5);
		putn(f, 0x11, s->payload);
		break;
	case L3_ARP:
		put16(f, RTE_ETHER_TYPE_ARP);
		e->key.ethertype = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
		put16(f, 1);
		put16(f, RTE_ETHER_TYPE_IPV4);
		put8(f, 6);
		put8(f, 4);
		put16(f, 2);
		put(f, MAC_A, 6);
		put(f, IP4_A, 4);
		put(f, MAC_B, 6);
		put(f, IP4_B, 4);
		putn(f, 0, s->payload); /* Ethernet padding */
		e->key.l4_src = rte_cpu_to_be_16(2);
		memcpy(e->key.src_ip, IP4_A, 4);
		memcpy(e->key.dst_ip, IP4_B, 4);
		e->l3_len = 28;
		break;
	case L3_V4: {
		size_t ip = f->n;

		put16(f, RTE_ETHER_TYPE_IPV4);
		ip = f->n;
		e->key.ethertype = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
		put8(f, 0x40 | (5 + s->v4_optlen / 4));
		put8(f, s->tos);
		put16(f, 0); /* total length, set below */
		put16(f, 0x1234);
		put16(f, s->frag);
		put8(f, s->ttl);
		put8(f, s->l4);
		put16(f, 0);
		put(f, IP4_A, 4);
		put(f, IP4_B, 4);
		putn(f, 1, s->v4_optlen); /* NOP options */
		e->key.ip_proto = s->l4;
		e->key.ip_tos = s->tos;
		e->key.ttl_class = ttl_class(s->ttl);
		memcpy(e->key.src_ip, IP4_A, 4);
		memcpy(e->key.dst_ip, IP4_B, 4);
		e->l3_len = 20 + s->v4_optlen;
		if (s->frag & 0x1fff)
			e->key.ip_frag = EVS_FRAG_ANY | EVS_FRAG_LATER;
		else if (s->frag & 0x2000)
			e->key.ip_frag = EVS_FRAG_ANY;
		build_l4(f, s, e, 0);
		set16(f, ip + 2, f->n - ip);
		f->b[ip + 10] = 0;
		break;
	}
	case L3_V6: {
		size_t ip, pl;
		uint8_t first = s->v6_ext ? v6_ext_types[0] : s->v6_frag ? IPPROTO_FRAGMENT : s->l4;

		put16(f, RTE_ETHER_TYPE_IPV6);
		ip = f->n;
		e->key.ethertype = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
		put8(f, 0x60 | (s->tos >> 4));
		put8(f, (s->tos & 0xf) << 4);
		put16(f, 0xbeef); /* flow label */
		pl = f->n;
		put16(f, 0);
		put8(f, first);
		put8(f, s->ttl);
		put(f, IP6_A, 16);
		put(f, IP6_B, 16);
		for (i = 0; i < s->v6_ext; i++) {
			uint8_t nx = i + 1 < s->v6_ext ? v6_ext_types[i + 1]
				     : s->v6_frag      ? IPPROTO_FRAGMENT
						       : s->l4;

			put8(f, nx);
			if (v6_ext_types[i] == IPPROTO_AH) {
				put8(f, 2); /* (2 + 2) * 4 = 16 bytes */
				putn(f, 0, 14);
			} else {
				put8(f, i); /* (i + 1) * 8 bytes */
				putn(f, 1, 6 + 8 * i);
			}
		}
		if (s->v6_frag) {
			put8(f, s->l4);
			put8(f, 0);
			put16(f, s->frag);
			put16(f, 0), put16(f, 77);
			if (s->frag & 0xfff8)
				e->key.ip_frag = EVS_FRAG_ANY | EVS_FRAG_LATER;
			else if (s->frag & 1)
				e->key.ip_frag = EVS_FRAG_ANY;
		}
		e->key.ip_proto = s->l4;
		e->key.ip_tos = s->tos;
		e->key.ttl_class = ttl_class(s->ttl);
		memcpy(e->key.src_ip, IP6_A, 16);
		memcpy(e->key.dst_ip, IP6_B, 16);
		e->l3_len = f->n - ip;
		build_l4(f, s, e, 0);
		set16(f, pl, f->n - ip - 40);
		break;
	}
	}
}

static struct rte_mbuf *mk(const uint8_t *b, uint32_t n)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	char *d;

	ck_assert_ptr_nonnull(m);
	d = rte_pktmbuf_append(m, n);
	ck_assert_ptr_nonnull(d);
	memcpy(d, b, n);
	return m;
}

/* An mbuf over a heap buffer that ends exactly at the data: ASan flags over-reads. */
struct tight {
	struct rte_mbuf m;
	uint8_t *buf;
};

static void tight_init(struct tight *t, const uint8_t *b, uint32_t n, uint16_t headroom)
{
	memset(&t->m, 0, sizeof(t->m));
	t->buf = malloc(headroom + n + 1);
	ck_assert_ptr_nonnull(t->buf);
	memcpy(t->buf + headroom, b, n);
	t->m.buf_addr = t->buf;
	t->m.buf_len = headroom + n;
	t->m.data_off = headroom;
	t->m.data_len = n;
	t->m.pkt_len = n;
	t->m.nb_segs = 1;
	t->m.next = NULL;
	rte_mbuf_refcnt_set(&t->m, 1);
}

static void tight_fini(struct tight *t)
{
	free(t->buf);
}

static void check_key(const struct evs_flow_key *got, const struct expect *e, const char *what)
{
	ck_assert_msg(got->in_port == e->key.in_port, "%s: in_port", what);
	ck_assert_msg(got->vlan_tci == e->key.vlan_tci, "%s: vlan_tci %#x != %#x", what,
		      got->vlan_tci, e->key.vlan_tci);
	ck_assert_msg(got->ethertype == e->key.ethertype, "%s: ethertype", what);
	ck_assert_msg(got->ip_proto == e->key.ip_proto, "%s: ip_proto %u != %u", what,
		      got->ip_proto, e->key.ip_proto);
	ck_assert_msg(got->ip_frag == e->key.ip_frag, "%s: ip_frag %u != %u", what, got->ip_frag,
		      e->key.ip_frag);
	ck_assert_msg(got->ip_tos == e->key.ip_tos, "%s: tos", what);
	ck_assert_msg(got->ttl_class == e->key.ttl_class, "%s: ttl_class", what);
	ck_assert_msg(got->tcp_flags == e->key.tcp_flags, "%s: tcp_flags", what);
	ck_assert_msg(got->l4_src == e->key.l4_src && got->l4_dst == e->key.l4_dst,
		      "%s: ports %u/%u != %u/%u", what, rte_be_to_cpu_16(got->l4_src),
		      rte_be_to_cpu_16(got->l4_dst), rte_be_to_cpu_16(e->key.l4_src),
		      rte_be_to_cpu_16(e->key.l4_dst));
	/* the whole key, metadata and padding included, must match */
	ck_assert_msg(memcmp(got, &e->key, sizeof(*got)) == 0, "%s: key differs", what);
}

static enum evs_drop_reason parse_buf(const uint8_t *b, uint32_t n, struct evs_flow_key *k,
				      struct rte_mbuf *out_lens)
{
	struct tight t;
	enum evs_drop_reason r;

	tight_init(&t, b, n, 0);
	r = evs_packet_parse(&t.m, 7, k);
	if (out_lens) {
		out_lens->l2_len = t.m.l2_len;
		out_lens->l3_len = t.m.l3_len;
		out_lens->l4_len = t.m.l4_len;
	}
	tight_fini(&t);
	return r;
}

static void check_spec(const struct spec *s, const char *what)
{
	struct frame f;
	struct expect e;
	struct evs_flow_key k;
	struct rte_mbuf lens;
	enum evs_drop_reason r;

	build(s, &f, &e);
	r = parse_buf(f.b, f.n, &k, &lens);
	ck_assert_msg(r == EVS_DROP_NONE, "%s: parse failed: %s", what, evs_drop_reason_name(r));
	check_key(&k, &e, what);
	ck_assert_msg(lens.l2_len == e.l2_len, "%s: l2_len %u != %u", what, lens.l2_len, e.l2_len);
	ck_assert_msg(lens.l3_len == e.l3_len, "%s: l3_len %u != %u", what, lens.l3_len, e.l3_len);
	ck_assert_msg(lens.l4_len == e.l4_len, "%s: l4_len %u != %u", what, lens.l4_len, e.l4_len);
}

/* All tag counts x L3 kinds x L4 protocols. */
static const uint8_t l4_protos[] = {
    0, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP, IPPROTO_ICMP, IPPROTO_ICMPV6,
    47 /* GRE: L3-only key */};

static void spec_for(struct spec *s, int ntags, enum l3_kind l3, uint8_t l4, int variant)
{
	memset(s, 0, sizeof(*s));
	s->ntags = ntags;
	s->tpid[0] = ntags == 2 ? 0x88a8 : 0x8100;
	s->tpid[1] = 0x8100;
	s->tci[0] = 0xa000 | 100; /* PCP 5, VID 100 */
	s->tci[1] = 200;
	s->l3 = l3;
	s->l4 = (l3 == L3_V4 || l3 == L3_V6) ? l4 : 0;
	if (l3 == L3_V6 && l4 == 0)
		s->l4 = IPPROTO_NONE; /* 0 is hop-by-hop in IPv6 */
	s->payload = 10 + variant;
	s->ttl = variant % 3 == 0 ? 64 : variant % 3 == 1 ? 1 : 0;
	s->tos = 0xb8;
	s->v4_optlen = (variant & 1) ? 8 : 0;
	s->v6_ext = variant % 4;
}

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
				f.b[at] = rand() % 3 == 0 ? (uint8_t)rand()
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
	    {"parse_ipv6_ext_chain", test_parse_ipv6_ext_chain},
	    {"parse_arp", test_parse_arp},
	    {"parse_truncated_every_length", test_parse_truncated_every_length},
	    {"parse_segment_cut", test_parse_segment_cut},
	    {"parse_random_bytes", test_parse_random_bytes},
	    {"parse_fast_path_equals_full", test_parse_fast_path_equals_full},
	    {"parse_oversize_multiseg", test_parse_oversize_multiseg},
	    {"parse_unstrip", test_parse_unstrip},
	    {"cksum_ipv4_known", test_cksum_ipv4_known},
	    {"cksum_l4_known_vector", test_cksum_l4_known_vector},
	    {"cksum_l4_vs_dpdk", test_cksum_l4_vs_dpdk},
	    {"cksum_l4_cases", test_cksum_l4_cases},
	    {"vlan_push_pop_roundtrip", test_vlan_push_pop_roundtrip},
	    {"vlan_qinq_rewrite_and_pop", test_vlan_qinq_rewrite_and_pop},
	    {"vlan_errors", test_vlan_errors},
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
