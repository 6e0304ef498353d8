/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The frame builder of lib/packet's tests: frames from a spec, with the key
 * the parser must give derived from the spec (not from parsing), exact-size
 * mbufs for AddressSanitizer, and the key check.
 */
#include <check.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_mbuf.h>

#include "packet_test.h"

struct rte_mempool *pool;

/* ---- frame builder ---- */

void put(struct frame *f, const void *p, size_t n)
{
	ck_assert_uint_le(f->n + n, sizeof(f->b));
	memcpy(f->b + f->n, p, n);
	f->n += n;
}

void put8(struct frame *f, uint8_t v)
{
	put(f, &v, 1);
}

void put16(struct frame *f, uint16_t v)
{
	uint8_t b[2] = {v >> 8, v & 0xff};

	put(f, b, 2);
}

void putn(struct frame *f, uint8_t v, size_t n)
{
	while (n--)
		put8(f, v);
}

void set16(struct frame *f, size_t off, uint16_t v)
{
	f->b[off] = v >> 8;
	f->b[off + 1] = v & 0xff;
}

const uint8_t MAC_A[6] = {0x02, 0, 0, 0, 0, 0xa};
const uint8_t MAC_B[6] = {0x02, 0, 0, 0, 0, 0xb};
const uint8_t IP4_A[4] = {10, 0, 0, 1};
const uint8_t IP4_B[4] = {192, 168, 1, 200};
const uint8_t IP6_A[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
const uint8_t IP6_B[16] = {0xfe, 0x80, [8] = 0xaa, [15] = 2};

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
void build(const struct spec *s, struct frame *f, struct expect *e)
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

struct rte_mbuf *mk(const uint8_t *b, uint32_t n)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	char *d;

	ck_assert_ptr_nonnull(m);
	d = rte_pktmbuf_append(m, n);
	ck_assert_ptr_nonnull(d);
	memcpy(d, b, n);
	return m;
}

void tight_init(struct tight *t, const uint8_t *b, uint32_t n, uint16_t headroom)
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

void tight_fini(struct tight *t)
{
	free(t->buf);
}

void check_key(const struct evs_flow_key *got, const struct expect *e, const char *what)
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

enum evs_drop_reason parse_buf(const uint8_t *b, uint32_t n, struct evs_flow_key *k,
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

void check_spec(const struct spec *s, const char *what)
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
const uint8_t l4_protos[PKT_TEST_L4_PROTOS] = {
    0, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP, IPPROTO_ICMP, IPPROTO_ICMPV6,
    47 /* GRE: L3-only key */};

void spec_for(struct spec *s, int ntags, enum l3_kind l3, uint8_t l4, int variant)
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
