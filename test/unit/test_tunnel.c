/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/tunnel: template errors, the outer header on the wire
 * (checked field by field and against independent checksums), UDP source
 * ports from the flow hash or the inner flow, a tagged underlay, inner MTU accounting, random round
 * trips over every type and family in long bursts, and every decap drop reason. The wire format is
 * also checked by tshark and scapy: test/scripts/tunnel_wire.py.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "evs_tunnel.h"
#include "unit_case.h"
#include "unit_eal.h"

static struct rte_mempool *pool;

/* A random inner Ethernet frame of @p len bytes. */
static struct rte_mbuf *frame(uint32_t len, uint32_t seed)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t *p;

	ck_assert_ptr_nonnull(m);
	ck_assert_ptr_nonnull(rte_pktmbuf_append(m, (uint16_t)len));
	p = rte_pktmbuf_mtod(m, uint8_t *);
	for (uint32_t i = 0; i < len; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(seed >> 16);
	}
	p[0] = 0x02; /* unicast, locally administered */
	m->hash.rss = seed;
	return m;
}

static struct rte_mbuf *copy(const struct rte_mbuf *m)
{
	struct rte_mbuf *c = rte_pktmbuf_alloc(pool);

	memcpy(rte_pktmbuf_append(c, (uint16_t)m->data_len), rte_pktmbuf_mtod(m, void *),
	       m->data_len);
	return c;
}

static bool same(const struct rte_mbuf *a, const struct rte_mbuf *b)
{
	return a->pkt_len == b->pkt_len &&
	       memcmp(rte_pktmbuf_mtod(a, void *), rte_pktmbuf_mtod(b, void *), a->data_len) == 0;
}

static void free_all(struct rte_mbuf **m, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		rte_pktmbuf_free(m[i]);
}

/* Two GENEVE options: class 0x0102 type 0x85 (critical), 4 data bytes;
 * class 0xffff type 1, 8 data bytes. */
static const uint8_t opts[] = {0x01, 0x02, 0x85, 0x01, 0xde, 0xad, 0xbe, 0xef, 0xff, 0xff,
			       0x01, 0x02, 1,	 2,    3,    4,	   5,	 6,    7,    8};

static struct evs_tun_encap_config conf(enum evs_tun_type type, unsigned int family)
{
	struct evs_tun_encap_config c;

	memset(&c, 0, sizeof(c));
	c.type = type;
	c.vni = 0xabcdef;
	c.local.family = c.remote.family = (uint8_t)family;
	if (family == 4) {
		memcpy(c.local.b, (uint8_t[]){192, 0, 2, 1}, 4);
		memcpy(c.remote.b, (uint8_t[]){192, 0, 2, 2}, 4);
	} else {
		c.local.b[0] = c.remote.b[0] = 0x20;
		c.local.b[1] = c.remote.b[1] = 0x01;
		c.local.b[2] = c.remote.b[2] = 0x0d;
		c.local.b[3] = c.remote.b[3] = 0xb8;
		c.local.b[15] = 1;
		c.remote.b[15] = 2;
	}
	c.src_mac.addr_bytes[0] = 0x02;
	c.src_mac.addr_bytes[5] = 0x11;
	c.dst_mac.addr_bytes[0] = 0x02;
	c.dst_mac.addr_bytes[5] = 0x22;
	c.df = true;
	return c;
}

static struct evs_tun_decap decap_conf(void)
{
	struct evs_tun_decap d;

	memset(&d, 0, sizeof(d));
	d.verify_csum = true;
	d.opt_classes[0] = 0xffff;
	d.opt_classes[1] = 0x0102;
	d.n_opt_classes = 2;
	d.known_critical[0].cls = 0x0102;
	d.known_critical[0].type = 0x85;
	d.n_known_critical = 1;
	return d;
}

START_TEST(test_encap_init_errors)
{
	struct evs_tun_encap t;
	struct evs_tun_encap_config c = conf(EVS_TUN_GENEVE, 4), b;
	uint8_t big[256] = {0};

	ck_assert_int_eq(evs_tun_encap_init(&t, &c), 0);
	b = c;
	b.vni = 1u << 24;
	ck_assert_int_eq(evs_tun_encap_init(&t, &b), -EINVAL);
	b = c;
	b.remote.family = 6;
	ck_assert_int_eq(evs_tun_encap_init(&t, &b), -EINVAL);
	b = c;
	b.type = EVS_TUN_VXLAN; /* VXLAN has no options */
	b.options = opts;
	b.options_len = sizeof(opts);
	ck_assert_int_eq(evs_tun_encap_init(&t, &b), -EINVAL);
	b = c;
	b.options = opts;
	b.options_len = 8; /* the first option alone is well formed */
	ck_assert_int_eq(evs_tun_encap_init(&t, &b), 0);
	b.options_len = 12; /* second option claims 8 data bytes, has 0 */
	ck_assert_int_eq(evs_tun_encap_init(&t, &b), -EINVAL);
	b.options_len = 6; /* not whole words */
	ck_assert_int_eq(evs_tun_encap_init(&t, &b), -EINVAL);
	b.options = big;
	b.options_len = 256;
	ck_assert_int_eq(evs_tun_encap_init(&t, &b), -E2BIG);
	b = c;
	b.src_port_min = 2000;
	b.src_port_max = 1000;
	ck_assert_int_eq(evs_tun_encap_init(&t, &b), -EINVAL);
	b = c;
	b.underlay_mtu = 40; /* smaller than the outer header */
	ck_assert_int_eq(evs_tun_encap_init(&t, &b), -EINVAL);
}
END_TEST

START_TEST(test_overhead_and_inner_mtu)
{
	struct evs_tun_encap t;
	struct evs_tun_encap_config c;

	ck_assert_uint_eq(evs_tun_overhead(EVS_TUN_VXLAN, 4, 0), 50);
	ck_assert_uint_eq(evs_tun_overhead(EVS_TUN_VXLAN, 6, 0), 70);
	ck_assert_uint_eq(evs_tun_overhead(EVS_TUN_GENEVE, 4, 20), 70);
	/* Linux's defaults: a 1500-byte underlay leaves 1450 (IPv4) / 1430
	 * (IPv6) bytes of inner IP MTU, i.e. frames of 1464 / 1444 bytes. */
	c = conf(EVS_TUN_VXLAN, 4);
	ck_assert_int_eq(evs_tun_encap_init(&t, &c), 0);
	ck_assert_uint_eq(t.max_frame, 1464);
	c = conf(EVS_TUN_GENEVE, 6);
	ck_assert_int_eq(evs_tun_encap_init(&t, &c), 0);
	ck_assert_uint_eq(t.max_frame, 1444);
	c.options = opts;
	c.options_len = sizeof(opts);
	c.underlay_mtu = 9000;
	ck_assert_int_eq(evs_tun_encap_init(&t, &c), 0);
	ck_assert_uint_eq(t.max_frame, 9000 - 40 - 8 - 8 - 20);
}
END_TEST

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

START_TEST(test_vxlan_ipv4_layout)
{
	struct evs_tun_encap_config c = conf(EVS_TUN_VXLAN, 4);
	struct evs_tun_stats st = {0};
	struct evs_tun_encap t;
	struct rte_mbuf *m = frame(100, 1);
	const uint8_t *p;

	c.tos = 0xb8;
	ck_assert_int_eq(evs_tun_encap_init(&t, &c), 0);
	ck_assert_uint_eq(evs_tun_encap_burst(&t, &m, 1, NULL, &st), 1);
	p = rte_pktmbuf_mtod(m, const uint8_t *);
	ck_assert_uint_eq(m->pkt_len, 150);
	ck_assert_uint_eq(m->l2_len, 14);
	ck_assert_uint_eq(m->l3_len, 20);
	ck_assert_uint_eq(p[5], 0x22); /* next hop MAC */
	ck_assert_uint_eq(p[11], 0x11);
	ck_assert_uint_eq(be16(p + 12), RTE_ETHER_TYPE_IPV4);
	ck_assert_uint_eq(p[14], 0x45);
	ck_assert_uint_eq(p[15], 0xb8);
	ck_assert_uint_eq(be16(p + 16), 136);
	ck_assert_uint_eq(be16(p + 20), RTE_IPV4_HDR_DF_FLAG);
	ck_assert_uint_eq(p[22], 64);
	ck_assert_uint_eq(p[23], IPPROTO_UDP);
	ck_assert_uint_eq(rte_raw_cksum(p + 14, 20), 0xffff);
	ck_assert_uint_ge(be16(p + 34), 49152); /* source port in the dynamic range */
	ck_assert_uint_eq(be16(p + 36), 4789);
	ck_assert_uint_eq(be16(p + 38), 116);
	ck_assert_uint_eq(be16(p + 40), 0); /* no UDP checksum over IPv4 */
	ck_assert_uint_eq(p[42], 0x08);	    /* I flag */
	ck_assert_uint_eq(p[43] | p[44] | p[45] | p[49], 0);
	ck_assert_uint_eq((uint32_t)(p[46] << 16 | p[47] << 8 | p[48]), 0xabcdef);
	ck_assert_uint_eq(st.encap_packets, 1);
	ck_assert_uint_eq(st.encap_bytes, 100);
	rte_pktmbuf_free(m);
}
END_TEST

START_TEST(test_geneve_ipv6_layout)
{
	struct evs_tun_encap_config c = conf(EVS_TUN_GENEVE, 6);
	struct evs_tun_stats st = {0};
	struct evs_tun_encap t;
	struct rte_mbuf *m = frame(64, 2);
	struct rte_udp_hdr *u;
	uint16_t sent;
	uint8_t *p;

	c.options = opts;
	c.options_len = sizeof(opts);
	ck_assert_int_eq(evs_tun_encap_init(&t, &c), 0);
	ck_assert_uint_eq(evs_tun_encap_burst(&t, &m, 1, NULL, &st), 1);
	p = rte_pktmbuf_mtod(m, uint8_t *);
	ck_assert_uint_eq(m->pkt_len, 14 + 40 + 8 + 8 + 20 + 64);
	ck_assert_uint_eq(be16(p + 12), RTE_ETHER_TYPE_IPV6);
	ck_assert_uint_eq(p[14] >> 4, 6);
	ck_assert_uint_eq(be16(p + 18), 8 + 8 + 20 + 64);
	ck_assert_uint_eq(p[20], IPPROTO_UDP);
	ck_assert_uint_eq(be16(p + 56), 6081);
	ck_assert_uint_eq(p[62], 5);	/* version 0, 5 words of options */
	ck_assert_uint_eq(p[63], 0x40); /* C: a critical option is present */
	ck_assert_uint_eq(be16(p + 64), 0x6558);
	ck_assert_uint_eq((uint32_t)(p[66] << 16 | p[67] << 8 | p[68]), 0xabcdef);
	ck_assert_int_eq(memcmp(p + 70, opts, sizeof(opts)), 0);
	/* The UDP checksum is DPDK's over the same bytes. */
	u = (struct rte_udp_hdr *)(p + 54);
	sent = u->dgram_cksum;
	u->dgram_cksum = 0;
	ck_assert_uint_ne(sent, 0);
	ck_assert_uint_eq(sent, rte_ipv6_udptcp_cksum((const struct rte_ipv6_hdr *)(p + 14), u));
	rte_pktmbuf_free(m);
}
END_TEST

START_TEST(test_source_port_from_hash)
{
	struct evs_tun_encap_config c = conf(EVS_TUN_VXLAN, 4);
	struct evs_tun_stats st = {0};
	struct evs_tun_encap t;
	uint8_t seen[65536 / 8] = {0};
	unsigned int distinct = 0;

	c.src_port_min = 10000;
	c.src_port_max = 10999;
	ck_assert_int_eq(evs_tun_encap_init(&t, &c), 0);
	srand(7);
	for (unsigned int i = 0; i < 2000; i++) {
		struct rte_mbuf *m[2] = {frame(60, i), frame(60, i + 1)};
		uint32_t h[2];
		uint16_t sp[2];

		h[0] = h[1] = (uint32_t)rand() * 2654435761u;
		ck_assert_uint_eq(evs_tun_encap_burst(&t, m, 2, h, &st), 2);
		for (unsigned int j = 0; j < 2; j++)
			sp[j] = be16(rte_pktmbuf_mtod(m[j], uint8_t *) + 34);
		ck_assert_uint_eq(sp[0], sp[1]); /* one flow, one port */
		ck_assert(sp[0] >= 10000 && sp[0] <= 10999);
		if (!(seen[sp[0] / 8] & (1u << (sp[0] % 8))))
			distinct++;
		seen[sp[0] / 8] |= (uint8_t)(1u << (sp[0] % 8));
		free_all(m, 2);
	}
	/* 2000 random hashes over 1000 ports: about 865 distinct expected. */
	ck_assert_uint_gt(distinct, 750);
}
END_TEST

/* An inner frame of one flow: @p tag (0: none), IPv4 or IPv6 TCP/UDP with
 * addresses and ports from @p flow; @p pay: payload length and filler, @p ttl. */
static struct rte_mbuf *flow_frame(unsigned int family, uint8_t proto, uint32_t flow, uint16_t tag,
				   uint16_t pay, uint8_t ttl)
{
	uint32_t l3 = family == 4 ? 20 : 40, l2 = tag != 0 ? 18 : 14;
	uint32_t len = l2 + l3 + 8 + pay;
	struct rte_mbuf *m = frame(len, flow ^ pay ^ ttl); /* random bytes, then the headers */
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *), *ip = p + l2, *l4 = ip + l3;

	memset(p, 0, l2 + l3 + 8);
	p[0] = 0x02;
	p[5] = (uint8_t)flow;
	p[6] = 0x02;
	if (tag != 0) {
		p[12] = 0x81;
		p[14] = (uint8_t)(tag >> 8);
		p[15] = (uint8_t)tag;
	}
	p[l2 - 2] = family == 4 ? 0x08 : 0x86;
	p[l2 - 1] = family == 4 ? 0x00 : 0xdd;
	if (family == 4) {
		ip[0] = 0x45;
		ip[2] = (uint8_t)((l3 + 8 + pay) >> 8);
		ip[3] = (uint8_t)(l3 + 8 + pay);
		ip[8] = ttl;
		ip[9] = proto;
		memcpy(ip + 12, (uint8_t[]){10, 0, (uint8_t)(flow >> 24), 1}, 4);
		memcpy(ip + 16, (uint8_t[]){10, 1, (uint8_t)(flow >> 16), 2}, 4);
	} else {
		ip[0] = 0x60;
		ip[5] = (uint8_t)(8 + pay);
		ip[4] = (uint8_t)((8 + pay) >> 8);
		ip[6] = proto;
		ip[7] = ttl;
		ip[8] = ip[24] = 0xfd;
		ip[23] = (uint8_t)(flow >> 24);
		ip[39] = (uint8_t)(flow >> 16);
	}
	l4[0] = (uint8_t)(flow >> 8);
	l4[1] = 7;
	l4[2] = (uint8_t)flow;
	l4[3] = 80;
	m->hash.rss = flow * pay + ttl; /* stale: vhost, tap and af_packet set none */
	return m;
}

static uint16_t sport_of(struct evs_tun_encap *t, struct rte_mbuf *m)
{
	struct evs_tun_stats st = {0};
	uint16_t sp;

	ck_assert_uint_eq(evs_tun_encap_burst(t, &m, 1, NULL, &st), 1);
	sp = be16(rte_pktmbuf_mtod(m, const uint8_t *) + t->l2_len + (t->family == 4 ? 20 : 40));
	rte_pktmbuf_free(m);
	return sp;
}

/*
 * Without a caller's hash the source port comes from the inner flow: the
 * same for every frame of a flow (whatever its payload, length, TTL, VLAN
 * tag or stale mbuf hash), different across flows (addresses, ports,
 * protocol), the same for all fragments of a datagram; over IPv4 and IPv6,
 * and by MACs for frames that are not IP.
 */
START_TEST(test_source_port_from_inner_flow)
{
	struct evs_tun_encap_config c = conf(EVS_TUN_GENEVE, 4);
	struct evs_tun_encap t;
	static uint8_t seen[65536 / 8];
	unsigned int distinct = 0;

	ck_assert_int_eq(evs_tun_encap_init(&t, &c), 0);
	memset(seen, 0, sizeof(seen));
	srand(11);
	for (unsigned int i = 0; i < 400; i++) {
		uint32_t flow = (uint32_t)rand();
		unsigned int fam = i % 2 ? 6 : 4;
		uint8_t proto = i % 3 ? IPPROTO_UDP : IPPROTO_TCP;
		uint16_t sp = sport_of(&t, flow_frame(fam, proto, flow, 0, 20, 64));

		ck_assert_uint_eq(sport_of(&t, flow_frame(fam, proto, flow, 0, 700, 63)), sp);
		ck_assert_uint_eq(sport_of(&t, flow_frame(fam, proto, flow, 100, 33, 9)), sp);
		if (!(seen[sp / 8] & (1u << (sp % 8))))
			distinct++;
		seen[sp / 8] |= (uint8_t)(1u << (sp % 8));
	}
	/* 400 flows over 16384 ports: about 395 distinct expected */
	ck_assert_uint_gt(distinct, 380);
	/* each part of the tuple counts: a flow differing in one field moves
	 * (the chance that 4 x 50 such pairs all collide is nil; allow 4) */
	{
		unsigned int same = 0;

		for (uint32_t f = 1; f <= 50; f++) {
			uint32_t flow = f * 0x01010101u;
			uint16_t sp = sport_of(&t, flow_frame(4, IPPROTO_UDP, flow, 0, 20, 64));

			same += sport_of(&t, flow_frame(4, IPPROTO_UDP, flow ^ 0x01000000u, 0, 20,
							64)) == sp; /* source address */
			same += sport_of(&t, flow_frame(4, IPPROTO_UDP, flow ^ 0x00010000u, 0, 20,
							64)) == sp; /* destination address */
			same += sport_of(&t, flow_frame(4, IPPROTO_UDP, flow ^ 0x100u, 0, 20,
							64)) == sp; /* source port */
			same += sport_of(&t, flow_frame(4, IPPROTO_TCP, flow, 0, 20, 64)) == sp;
		}
		ck_assert_uint_le(same, 4);
	}
	/* fragments: the first (MF, ports) and a later one hash alike */
	{
		struct rte_mbuf *a = flow_frame(4, IPPROTO_UDP, 77, 0, 40, 64);
		struct rte_mbuf *b = flow_frame(4, IPPROTO_UDP, 77, 0, 40, 64);

		rte_pktmbuf_mtod(a, uint8_t *)[14 + 6] = 0x20; /* MF */
		rte_pktmbuf_mtod(b, uint8_t *)[14 + 7] = 0x05; /* offset 40 */
		memset(rte_pktmbuf_mtod(b, uint8_t *) + 34, 0xee, 4);
		ck_assert_uint_eq(sport_of(&t, a), sport_of(&t, b));
	}
	/* not IP: by MACs; a runt does not crash */
	{
		struct rte_mbuf *a = frame(60, 1), *b = frame(60, 2), *r = frame(10, 3);

		memcpy(rte_pktmbuf_mtod(b, uint8_t *), rte_pktmbuf_mtod(a, uint8_t *), 14);
		rte_pktmbuf_mtod(a, uint8_t *)[12] = rte_pktmbuf_mtod(b, uint8_t *)[12] = 0x88;
		ck_assert_uint_eq(sport_of(&t, a), sport_of(&t, b));
		ck_assert_uint_eq(evs_tun_inner_hash(r), 0);
		rte_pktmbuf_free(r);
	}
}
END_TEST

/*
 * A tagged underlay: the template carries the 802.1Q tag (PCP and VID)
 * before the outer EtherType, l2_len is 18, the inner MTU is the untagged
 * one (the tag is not in the IP MTU), the frames decapsulate whole; a tag
 * without a VID, VID 4095 or with DEI is refused.
 */
START_TEST(test_vlan_template)
{
	const uint16_t tci = (uint16_t)(5u << 13 | 100);
	struct evs_tun_decap d = decap_conf();
	struct evs_tun_stats st = {0};
	struct evs_tun_meta meta[2];
	struct evs_tun_encap t;
	struct rte_mbuf *m[2], *cp[2];
	const uint8_t *p;

	for (unsigned int fam = 4; fam <= 6; fam += 2) {
		struct evs_tun_encap_config c = conf(EVS_TUN_GENEVE, fam);
		uint16_t iphl = fam == 4 ? 20 : 40;

		c.vlan_tci = tci;
		ck_assert_int_eq(evs_tun_encap_init(&t, &c), 0);
		ck_assert_uint_eq(t.max_frame, fam == 4 ? 1464 : 1444);
		ck_assert_uint_eq(t.l2_len, 18);
		m[0] = frame(t.max_frame, 1);
		m[1] = frame(200, 2);
		cp[0] = copy(m[0]);
		cp[1] = copy(m[1]);
		ck_assert_uint_eq(evs_tun_encap_burst(&t, m, 2, NULL, &st), 2);
		p = rte_pktmbuf_mtod(m[1], const uint8_t *);
		ck_assert_uint_eq(m[1]->pkt_len, 200u + 18 + iphl + 16);
		ck_assert_uint_eq(m[1]->l2_len, 18);
		ck_assert_uint_eq(be16(p + 12), RTE_ETHER_TYPE_VLAN);
		ck_assert_uint_eq(be16(p + 14), tci);
		ck_assert_uint_eq(be16(p + 16),
				  fam == 4 ? RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6);
		ck_assert_uint_eq(p[18] >> 4, fam);
		if (fam == 4)
			ck_assert_uint_eq(rte_raw_cksum(p + 18, 20), 0xffff);
		ck_assert_uint_eq(be16(p + 18 + iphl + 2), EVS_GENEVE_PORT);
		/* the whole 1.5 kB IP packet of the longest frame: the IP MTU */
		ck_assert_uint_eq(m[0]->pkt_len - 18, 1500);
		ck_assert_uint_eq(evs_tun_decap_burst(&d, m, 2, meta, &st), 2);
		ck_assert(same(m[0], cp[0]));
		ck_assert(same(m[1], cp[1]));
		ck_assert_uint_eq(meta[1].vni, 0xabcdef);
		free_all(m, 2);
		free_all(cp, 2);
	}
	{
		struct evs_tun_encap_config c = conf(EVS_TUN_VXLAN, 4);

		c.vlan_tci = 3u << 13; /* a priority tag: no VID */
		ck_assert_int_eq(evs_tun_encap_init(&t, &c), -EINVAL);
		c.vlan_tci = 4095;
		ck_assert_int_eq(evs_tun_encap_init(&t, &c), -EINVAL);
		c.vlan_tci = 0x1000 | 7; /* DEI */
		ck_assert_int_eq(evs_tun_encap_init(&t, &c), -EINVAL);
	}
}
END_TEST

START_TEST(test_too_big_and_no_room_counted)
{
	struct evs_tun_encap_config c = conf(EVS_TUN_GENEVE, 4);
	struct evs_tun_stats st = {0};
	struct evs_tun_encap t;
	struct rte_mbuf *m[4];

	ck_assert_int_eq(evs_tun_encap_init(&t, &c), 0);
	m[0] = frame(1464, 1); /* exactly fits */
	m[1] = frame(1465, 2);
	m[2] = rte_pktmbuf_alloc(pool);
	m[2]->data_off = 10; /* headroom 10 < 50 */
	ck_assert_ptr_nonnull(rte_pktmbuf_append(m[2], 100));
	m[3] = frame(200, 4);
	ck_assert_uint_eq(evs_tun_encap_burst(&t, m, 4, NULL, &st), 2);
	ck_assert_uint_eq(m[0]->pkt_len, 1464 + 50);
	ck_assert_uint_eq(m[1]->pkt_len, 200 + 50);
	ck_assert_uint_eq(m[2]->pkt_len, 1465); /* rejects, in order, untouched */
	ck_assert_uint_eq(st.drops[EVS_TUN_DROP_TOO_BIG], 1);
	ck_assert_uint_eq(st.drops[EVS_TUN_DROP_NO_ROOM], 1);
	free_all(m, 4);
}
END_TEST

/* IPv4 encap against a model, in random bursts of frames that fit (IP or
 * not), are too big or lack headroom, over templates of 50 bytes, 54
 * (tagged) and 70 (options): the taken ones first, in order, each the
 * template with its lengths, header checksum and source port (from the
 * inner flow's hash) in front of the frame unchanged; then the refused
 * ones untouched, in order, counted by reason. */
START_TEST(test_encap_burst_matches_model)
{
	enum { N = 40 };

	srand(7348);
	for (unsigned int round = 0; round < 60; round++) {
		struct evs_tun_encap_config c = conf(round & 1 ? EVS_TUN_GENEVE : EVS_TUN_VXLAN, 4);
		struct rte_mbuf *m[N], *orig[N], *ptr[N], *want[N];
		uint32_t hash[N], len[N], hl, bytes = 0;
		unsigned int reason[N], nw = 0, big = 0, room = 0;
		struct evs_tun_stats st = {0};
		struct evs_tun_encap t;
		uint16_t k;

		c.vlan_tci = round % 3 == 1 ? 100 : 0;
		if (round % 3 == 2 && c.type == EVS_TUN_GENEVE) {
			c.options = opts;
			c.options_len = sizeof(opts);
		}
		ck_assert_int_eq(evs_tun_encap_init(&t, &c), 0);
		hl = t.hdr_len;
		for (unsigned int i = 0; i < N; i++) {
			unsigned int r = (unsigned int)rand() % 8;

			if (r == 0) {
				m[i] = frame(t.max_frame + 1 + (uint32_t)rand() % 20,
					     (uint32_t)rand());
			} else if (r == 1) {
				m[i] = rte_pktmbuf_alloc(pool);
				m[i]->data_off = (uint16_t)((unsigned int)rand() % hl);
				ck_assert_ptr_nonnull(rte_pktmbuf_append(m[i], 64));
			} else if (r < 5) {
				m[i] = frame(14 + (uint32_t)rand() % (t.max_frame - 13),
					     (uint32_t)rand());
			} else {
				m[i] =
				    flow_frame(4, r == 5 ? IPPROTO_TCP : IPPROTO_UDP,
					       (uint32_t)rand(), 0, (uint16_t)(rand() % 200), 64);
			}
			reason[i] = m[i]->pkt_len > t.max_frame ? 1u + EVS_TUN_DROP_TOO_BIG
				    : m[i]->data_off < hl	? 1u + EVS_TUN_DROP_NO_ROOM
								: 0u;
			big += reason[i] == 1u + EVS_TUN_DROP_TOO_BIG;
			room += reason[i] == 1u + EVS_TUN_DROP_NO_ROOM;
			len[i] = m[i]->pkt_len;
			hash[i] = evs_tun_inner_hash(m[i]);
			orig[i] = copy(m[i]);
			ptr[i] = m[i];
			if (reason[i] == 0)
				want[nw++] = m[i];
		}
		for (unsigned int i = 0, j = nw; i < N; i++)
			if (reason[i] != 0)
				want[j++] = m[i];
		k = evs_tun_encap_burst(&t, m, N, NULL, &st);
		ck_assert_uint_eq(k, nw);
		ck_assert_uint_eq(st.drops[EVS_TUN_DROP_TOO_BIG], big);
		ck_assert_uint_eq(st.drops[EVS_TUN_DROP_NO_ROOM], room);
		ck_assert_uint_eq(st.encap_packets, nw);
		for (unsigned int i = 0, j; i < N; i++) {
			const uint8_t *p;
			uint8_t exp[128];
			struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(exp + t.l2_len);
			struct rte_udp_hdr *u = (struct rte_udp_hdr *)(ip + 1);
			uint64_t span = t.sport_span != 0 ? t.sport_span : 65536u;

			for (j = 0; j < N && m[j] != ptr[i]; j++)
				;
			ck_assert_msg(j < N && want[j] == ptr[i], "round %u: frame %u out of order",
				      round, i);
			if (reason[i] != 0) {
				ck_assert(same(m[j], orig[i]));
				continue;
			}
			bytes += len[i];
			ck_assert_uint_eq(m[j]->pkt_len, len[i] + hl);
			memcpy(exp, t.hdr, hl);
			ip->total_length = rte_cpu_to_be_16((uint16_t)(hl - t.l2_len + len[i]));
			ip->hdr_checksum = 0;
			ip->hdr_checksum = rte_ipv4_cksum(ip);
			u->src_port = rte_cpu_to_be_16(
			    (uint16_t)(t.sport_min + (((uint64_t)hash[i] * span) >> 32)));
			u->dgram_len = rte_cpu_to_be_16((uint16_t)(hl - t.l2_len - 20 + len[i]));
			p = rte_pktmbuf_mtod(m[j], const uint8_t *);
			ck_assert_msg(memcmp(p, exp, hl) == 0, "round %u frame %u: header", round,
				      i);
			ck_assert(memcmp(p + hl, rte_pktmbuf_mtod(orig[i], void *), len[i]) == 0);
			ck_assert_uint_eq(m[j]->l2_len, t.l2_len);
			ck_assert_uint_eq(m[j]->l3_len, 20);
			ck_assert_uint_eq(m[j]->l4_len, 8);
		}
		ck_assert_uint_eq(st.encap_bytes, bytes);
		ck_assert_uint_gt(nw, 0);
		free_all(m, N);
		free_all(orig, N);
	}
}
END_TEST

/* Random frames over random configurations, 150 per burst (three chunks):
 * decap gives back every frame and its metadata. */
START_TEST(test_roundtrip_random)
{
	enum { N = 150 };
	struct evs_tun_decap d = decap_conf();

	srand(8926);
	for (unsigned int round = 0; round < 24; round++) {
		struct evs_tun_encap_config c =
		    conf(round & 1 ? EVS_TUN_GENEVE : EVS_TUN_VXLAN, round & 2 ? 6 : 4);
		struct evs_tun_meta meta[N];
		struct rte_mbuf *m[N], *orig[N];
		struct evs_tun_stats st = {0};
		struct evs_tun_encap t;

		c.vni = (uint32_t)rand() & 0xffffff;
		c.udp_csum = (round & 4) != 0;
		if (c.type == EVS_TUN_GENEVE && (round & 8)) {
			c.options = opts;
			c.options_len = sizeof(opts);
		}
		ck_assert_int_eq(evs_tun_encap_init(&t, &c), 0);
		for (unsigned int i = 0; i < N; i++) {
			m[i] = frame(14 + (uint32_t)rand() % (t.max_frame - 13), (uint32_t)rand());
			orig[i] = copy(m[i]);
		}
		ck_assert_uint_eq(evs_tun_encap_burst(&t, m, N, NULL, &st), N);
		ck_assert_uint_eq(evs_tun_decap_burst(&d, m, N, meta, &st), N);
		for (unsigned int i = 0; i < N; i++) {
			ck_assert_msg(same(m[i], orig[i]), "round %u frame %u", round, i);
			ck_assert_uint_eq(meta[i].vni, c.vni);
			ck_assert_uint_eq(meta[i].type, c.type);
			ck_assert_uint_eq(meta[i].family, c.local.family);
			ck_assert_int_eq(
			    memcmp(meta[i].src, c.local.b, c.local.family == 4 ? 4 : 16), 0);
			ck_assert_int_eq(
			    memcmp(meta[i].dst, c.remote.b, c.local.family == 4 ? 4 : 16), 0);
			ck_assert_uint_eq(meta[i].opt_flags,
					  EVS_TUN_PRESENT | (c.options_len ? 3u : 0u));
			ck_assert_uint_eq(meta[i].opt_len, c.options_len);
			if (c.options_len)
				ck_assert_int_eq(memcmp(meta[i].opts, opts, sizeof(opts)), 0);
		}
		ck_assert_uint_eq(st.decap_packets, N);
		ck_assert_uint_eq(st.encap_bytes, st.decap_bytes);
		free_all(m, N);
		free_all(orig, N);
	}
}
END_TEST

/* An encapsulated frame to damage: GENEVE or VXLAN over @p family. */
static struct rte_mbuf *encapped(enum evs_tun_type type, unsigned int family, bool csum,
				 bool with_opts)
{
	struct evs_tun_encap_config c = conf(type, family);
	struct evs_tun_stats st = {0};
	struct evs_tun_encap t;
	struct rte_mbuf *m = frame(80, 9);

	c.udp_csum = csum;
	if (with_opts) {
		c.options = opts;
		c.options_len = sizeof(opts);
	}
	ck_assert_int_eq(evs_tun_encap_init(&t, &c), 0);
	ck_assert_uint_eq(evs_tun_encap_burst(&t, &m, 1, NULL, &st), 1);
	return m;
}

static uint8_t *at(struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod(m, uint8_t *);
}

/* Fix the IPv4 header checksum after a test edit (so only the edit counts). */
static void ip4_fix(struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *h = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14);

	h->hdr_checksum = 0;
	h->hdr_checksum = rte_ipv4_cksum(h);
}

START_TEST(test_decap_drops_counted)
{
	struct evs_tun_decap d = decap_conf();
	struct evs_tun_stats st = {0};
	struct evs_tun_meta meta[20];
	struct rte_mbuf *m[20];
	static const uint32_t vnis[] = {5, 0xabcdef};
	static const enum evs_tun_drop want[] = {
	    EVS_TUN_DROP_BAD_FLAGS,	  EVS_TUN_DROP_BAD_FLAGS,   EVS_TUN_DROP_OAM,
	    EVS_TUN_DROP_BAD_PROTOCOL,	  EVS_TUN_DROP_BAD_OPTIONS, EVS_TUN_DROP_BAD_OPTIONS,
	    EVS_TUN_DROP_CRITICAL_OPTION, EVS_TUN_DROP_BAD_VNI,	    EVS_TUN_DROP_BAD_CSUM,
	    EVS_TUN_DROP_ZERO_CSUM6,	  EVS_TUN_DROP_FRAGMENT,    EVS_TUN_DROP_NOT_TUNNEL,
	    EVS_TUN_DROP_BAD_OUTER,	  EVS_TUN_DROP_BAD_INNER,   EVS_TUN_DROP_NOT_TUNNEL,
	    EVS_TUN_DROP_BAD_OUTER,
	};
	unsigned int n = 0, good;
	uint8_t *p;

	d.vnis = vnis;
	d.n_vnis = RTE_DIM(vnis);
	/* 0: VXLAN without the I flag. */
	m[n] = encapped(EVS_TUN_VXLAN, 4, false, false);
	at(m[n++])[42] = 0;
	/* 1: GENEVE version 1. */
	m[n] = encapped(EVS_TUN_GENEVE, 4, false, false);
	at(m[n++])[42] |= 0x40;
	/* 2: GENEVE OAM. */
	m[n] = encapped(EVS_TUN_GENEVE, 4, false, false);
	at(m[n++])[43] |= 0x80;
	/* 3: GENEVE carrying IPv4 instead of Ethernet. */
	m[n] = encapped(EVS_TUN_GENEVE, 4, false, false);
	p = at(m[n++]);
	p[44] = 0x08, p[45] = 0x00;
	/* 4: options longer than the datagram. */
	m[n] = encapped(EVS_TUN_GENEVE, 4, false, false);
	at(m[n++])[42] = 63;
	/* 5: an option whose length overruns the options area. */
	m[n] = encapped(EVS_TUN_GENEVE, 4, false, true);
	at(m[n++])[50 + 3] = 5;
	/* 6: an unknown critical option (type 0x85 -> 0x86). */
	m[n] = encapped(EVS_TUN_GENEVE, 4, false, true);
	at(m[n++])[50 + 2] = 0x86;
	/* 7: a VNI not configured. */
	m[n] = encapped(EVS_TUN_VXLAN, 4, false, false);
	at(m[n++])[48] ^= 1;
	/* 8: IPv4 with a UDP checksum and one payload bit flipped. */
	m[n] = encapped(EVS_TUN_VXLAN, 4, true, false);
	at(m[n++])[70] ^= 4;
	/* 9: IPv6 with a zero UDP checksum (not accepted unless configured). */
	m[n] = encapped(EVS_TUN_GENEVE, 6, false, false);
	memset(at(m[n++]) + 60, 0, 2);
	/* 10: an outer fragment. */
	m[n] = encapped(EVS_TUN_VXLAN, 4, false, false);
	rte_pktmbuf_mtod(m[n], uint8_t *)[20] |= 0x20; /* MF */
	ip4_fix(m[n++]);
	/* 11: UDP to another port. */
	m[n] = encapped(EVS_TUN_VXLAN, 4, false, false);
	at(m[n++])[37] ^= 1;
	/* 12: IP length past the frame. */
	m[n] = encapped(EVS_TUN_VXLAN, 4, false, false);
	rte_pktmbuf_trim(m[n], 30);
	n++;
	/* 13: an inner frame shorter than Ethernet (lengths made consistent). */
	m[n] = encapped(EVS_TUN_VXLAN, 4, false, false);
	rte_pktmbuf_trim(m[n], 80 - 10);
	p = rte_pktmbuf_mtod(m[n], uint8_t *);
	p[16] = 0, p[17] = 20 + 8 + 8 + 10;
	p[38] = 0, p[39] = 8 + 8 + 10;
	ip4_fix(m[n++]);
	/* 14: not IP at all. */
	m[n] = frame(80, 10);
	p = at(m[n++]);
	p[12] = 0x88, p[13] = 0xb5; /* IEEE local experimental EtherType */
	/* 15: UDP length disagreeing with the IP length. */
	m[n] = encapped(EVS_TUN_VXLAN, 4, false, false);
	at(m[n++])[39] ^= 2;
	ck_assert_uint_eq(n, RTE_DIM(want));
	/* Good ones around them: VLAN-tagged outer, link padding, a known
	 * critical option, IPv6 with a checksum. */
	good = n;
	m[n] = encapped(EVS_TUN_VXLAN, 4, false, false);
	ck_assert_ptr_nonnull(rte_pktmbuf_prepend(m[n], 4));
	p = at(m[n]);
	memmove(p, p + 4, 12);
	p[12] = 0x81, p[13] = 0x00, p[14] = 0x00, p[15] = 0x07;
	n++;
	m[n] = encapped(EVS_TUN_VXLAN, 4, true, false);
	memset(rte_pktmbuf_append(m[n++], 6), 0, 6);
	m[n++] = encapped(EVS_TUN_GENEVE, 4, true, true);
	m[n++] = encapped(EVS_TUN_GENEVE, 6, false, true);

	ck_assert_uint_eq(evs_tun_decap_burst(&d, m, (uint16_t)n, meta, &st), n - good);
	for (unsigned int i = 0; i < n - good; i++)
		ck_assert_msg(m[i]->pkt_len == 80, "good frame %u: %u bytes", i, m[i]->pkt_len);
	ck_assert_uint_eq(meta[2].opt_flags, EVS_TUN_PRESENT | 3);
	for (unsigned int r = 0; r < EVS_TUN_DROP__MAX; r++) {
		uint64_t expect = 0;

		for (unsigned int i = 0; i < RTE_DIM(want); i++)
			expect += want[i] == r;
		ck_assert_msg(st.drops[r] == expect, "%s: %lu, want %lu",
			      evs_tun_drop_name((enum evs_tun_drop)r), (unsigned long)st.drops[r],
			      (unsigned long)expect);
	}
	/* The zero IPv6 checksum passes once allowed. */
	d.ipv6_zero_csum = true;
	{
		struct rte_mbuf *z = encapped(EVS_TUN_GENEVE, 6, false, false);

		memset(rte_pktmbuf_mtod(z, uint8_t *) + 60, 0, 2);
		ck_assert_uint_eq(evs_tun_decap_burst(&d, &z, 1, meta, &st), 1);
		rte_pktmbuf_free(z);
	}
	free_all(m, n);
}
END_TEST

static uint64_t drops_sum(const struct evs_tun_stats *st)
{
	uint64_t sum = 0;

	for (unsigned int d = 0; d < EVS_TUN_DROP__MAX; d++)
		sum += st->drops[d];
	return sum;
}

/* Damaged frames: nothing crashes or reads out of bounds (run it under
 * ASan), and every frame is decapsulated or counted. */
START_TEST(test_garbage_accounted)
{
	struct evs_tun_decap d = decap_conf();
	uint64_t accepted = 0, dropped = 0;

	srand(7348);
	d.ipv6_zero_csum = true;
	for (unsigned int round = 0; round < 300; round++) {
		struct rte_mbuf *m[32];
		struct evs_tun_meta meta[32];
		struct evs_tun_stats st = {0};
		uint16_t k;

		for (unsigned int i = 0; i < 32; i++) {
			unsigned int r = (unsigned int)rand();
			uint8_t *p;

			m[i] = encapped(r & 1 ? EVS_TUN_GENEVE : EVS_TUN_VXLAN, r & 2 ? 6 : 4,
					(r & 4) != 0, (r & 1) && (r & 8));
			p = at(m[i]);
			/* Up to three bytes of the outer headers, and maybe a cut. */
			for (unsigned int j = 0; j < (r >> 4) % 4; j++)
				p[(unsigned int)rand() % 90] = (uint8_t)rand();
			if ((r >> 6) % 4 == 0)
				rte_pktmbuf_trim(m[i],
						 (uint16_t)((unsigned int)rand() % m[i]->data_len));
		}
		k = evs_tun_decap_burst(&d, m, 32, meta, &st);
		ck_assert_uint_eq(k + drops_sum(&st), 32);
		ck_assert_uint_eq(st.decap_packets, k);
		for (unsigned int i = 0; i < k; i++)
			ck_assert_uint_ge(m[i]->pkt_len, 14);
		accepted += k;
		dropped += 32 - k;
		free_all(m, 32);
	}
	ck_assert_uint_gt(accepted, 1000);
	ck_assert_uint_gt(dropped, 1000);
}
END_TEST

/* TX: with offload, the pseudo-header sum and the flags a NIC needs; the
 * NIC's completion equals the software checksum. RX: a NIC's verdict in
 * ol_flags is taken as it is. */
START_TEST(test_checksum_offload_flags)
{
	struct evs_tun_encap_config c = conf(EVS_TUN_GENEVE, 6);
	struct evs_tun_decap d = decap_conf();
	struct evs_tun_stats st = {0};
	struct evs_tun_meta meta[3];
	struct evs_tun_encap sw, hw;
	struct rte_mbuf *a = frame(300, 5), *b = copy(a), *m[3];
	struct rte_udp_hdr *ua, *ub;
	uint16_t raw = 0;

	ck_assert_int_eq(evs_tun_encap_init(&sw, &c), 0);
	c.csum_offload = true;
	ck_assert_int_eq(evs_tun_encap_init(&hw, &c), 0);
	b->hash.rss = a->hash.rss;
	ck_assert_uint_eq(evs_tun_encap_burst(&sw, &a, 1, NULL, &st), 1);
	ck_assert_uint_eq(evs_tun_encap_burst(&hw, &b, 1, NULL, &st), 1);
	ck_assert(b->ol_flags & RTE_MBUF_F_TX_UDP_CKSUM);
	ck_assert(b->ol_flags & RTE_MBUF_F_TX_IPV6);
	ck_assert(!(a->ol_flags & RTE_MBUF_F_TX_UDP_CKSUM));
	ub = rte_pktmbuf_mtod_offset(b, struct rte_udp_hdr *, 54);
	ua = rte_pktmbuf_mtod_offset(a, struct rte_udp_hdr *, 54);
	ck_assert_uint_eq(ub->dgram_cksum,
			  rte_ipv6_phdr_cksum(rte_pktmbuf_mtod_offset(b, struct rte_ipv6_hdr *, 14),
					      b->ol_flags));
	/* What the NIC does: sum the datagram over the pseudo-header sum. */
	ck_assert_int_eq(rte_raw_cksum_mbuf(b, 54, b->pkt_len - 54, &raw), 0);
	ck_assert_uint_eq((uint16_t)~raw, ua->dgram_cksum);
	rte_pktmbuf_free(b);

	/* RX verdicts: a damaged frame the NIC calls good passes; a sound one
	 * it calls bad (L4, or IP) is dropped. */
	at(a)[100] ^= 1;
	a->ol_flags = RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	m[0] = a;
	m[1] = encapped(EVS_TUN_VXLAN, 4, true, false);
	m[1]->ol_flags = RTE_MBUF_F_RX_L4_CKSUM_BAD;
	m[2] = encapped(EVS_TUN_VXLAN, 4, true, false);
	m[2]->ol_flags = RTE_MBUF_F_RX_IP_CKSUM_BAD;
	ck_assert_uint_eq(evs_tun_decap_burst(&d, m, 3, meta, &st), 1);
	ck_assert_ptr_eq(m[0], a);
	ck_assert_uint_eq(st.drops[EVS_TUN_DROP_BAD_CSUM], 2);
	free_all(m, 3);
}
END_TEST

/* RFC 6935/6936 over IPv6: a template with ipv6_zero_csum sends a zero
 * UDP checksum (over IPv4 the flag changes nothing); a decap without the
 * flag counts such frames as zero_csum6, apart from wrong checksums, and
 * one with it takes them; a non-zero checksum is still verified. */
START_TEST(test_ipv6_zero_checksum)
{
	struct evs_tun_encap_config c = conf(EVS_TUN_GENEVE, 6);
	struct evs_tun_decap d = decap_conf();
	struct evs_tun_stats st = {0};
	struct evs_tun_meta meta[4];
	struct evs_tun_encap zero, sum, v4;
	struct rte_mbuf *m[4], *orig = frame(200, 9);

	c.ipv6_zero_csum = true;
	ck_assert_int_eq(evs_tun_encap_init(&zero, &c), 0);
	c.ipv6_zero_csum = false;
	ck_assert_int_eq(evs_tun_encap_init(&sum, &c), 0);
	c = conf(EVS_TUN_GENEVE, 4);
	c.udp_csum = true;
	c.ipv6_zero_csum = true;
	ck_assert_int_eq(evs_tun_encap_init(&v4, &c), 0);
	for (unsigned int i = 0; i < 4; i++)
		m[i] = copy(orig);
	ck_assert_uint_eq(evs_tun_encap_burst(&zero, m, 2, NULL, &st), 2);
	ck_assert_uint_eq(evs_tun_encap_burst(&sum, m + 2, 1, NULL, &st), 1);
	ck_assert_uint_eq(evs_tun_encap_burst(&v4, m + 3, 1, NULL, &st), 1);
	ck_assert_uint_eq(rte_pktmbuf_mtod_offset(m[0], struct rte_udp_hdr *, 54)->dgram_cksum, 0);
	ck_assert_uint_ne(rte_pktmbuf_mtod_offset(m[2], struct rte_udp_hdr *, 54)->dgram_cksum, 0);
	ck_assert_uint_ne(rte_pktmbuf_mtod_offset(m[3], struct rte_udp_hdr *, 34)->dgram_cksum, 0);
	/* off: the zero ones are zero_csum6, the summed one (damaged) bad_csum */
	rte_pktmbuf_mtod(m[2], uint8_t *)[120] ^= 1;
	ck_assert_uint_eq(evs_tun_decap_burst(&d, m, 4, meta, &st), 1);
	ck_assert_uint_eq(st.drops[EVS_TUN_DROP_ZERO_CSUM6], 2);
	ck_assert_uint_eq(st.drops[EVS_TUN_DROP_BAD_CSUM], 1);
	ck_assert_str_eq(evs_tun_drop_name(EVS_TUN_DROP_ZERO_CSUM6), "zero_csum6");
	ck_assert(same(m[0], orig));
	free_all(m, 4);
	/* on: taken, and the frame is the one sent */
	d.ipv6_zero_csum = true;
	m[0] = copy(orig);
	ck_assert_uint_eq(evs_tun_encap_burst(&zero, m, 1, NULL, &st), 1);
	ck_assert_uint_eq(evs_tun_decap_burst(&d, m, 1, meta, &st), 1);
	ck_assert(same(m[0], orig));
	ck_assert_uint_eq(meta[0].family, 6);
	free_all(m, 1);
	rte_pktmbuf_free(orig);
}
END_TEST

/* The decap's fast path (the usual IPv4 shape) against its full checks:
 * frames of every shape, damaged in the bytes the fast path reads or not,
 * padded or not, get the same verdict, reason, metadata and bytes. */
START_TEST(test_fast_path_matches_full_checks)
{
	struct evs_tun_decap fast = decap_conf(), full = decap_conf();
	static const uint32_t vnis[] = {1, 100, 0xabcdef};
	unsigned int fast_shape = 0, accepted = 0;

	full.full_checks = true;
	fast.vnis = full.vnis = vnis;
	fast.n_vnis = full.n_vnis = RTE_DIM(vnis);
	srand(4789);
	for (unsigned int round = 0; round < 200; round++) {
		struct rte_mbuf *a[32], *b[32];
		struct evs_tun_meta ma[32], mb[32];
		struct evs_tun_stats sa = {0}, sb = {0};
		uint16_t ka, kb;

		for (unsigned int i = 0; i < 32; i++) {
			unsigned int r = (unsigned int)rand();
			struct evs_tun_encap_config c =
			    conf(r & 1 ? EVS_TUN_GENEVE : EVS_TUN_VXLAN, r & 2 ? 6 : 4);
			struct evs_tun_stats st = {0};
			struct evs_tun_encap t;
			uint8_t *p;

			c.vni = vnis[(r >> 3) % 3] ^ ((r >> 5) % 8 == 0); /* some unknown */
			c.udp_csum = (r >> 8) % 4 == 0;
			if ((r & 1) && (r >> 10) % 4 == 0) {
				c.options = opts;
				c.options_len = sizeof(opts);
			}
			ck_assert_int_eq(evs_tun_encap_init(&t, &c), 0);
			a[i] = frame(14 + (uint32_t)rand() % 200, r);
			ck_assert_uint_eq(evs_tun_encap_burst(&t, &a[i], 1, NULL, &st), 1);
			p = at(a[i]);
			/* one byte of the outer headers, a frame in three */
			if ((r >> 12) % 3 == 0)
				p[(unsigned int)rand() % 60] ^= (uint8_t)(1u << (rand() % 8));
			/* and half the time an IPv4 header checksum that still
			 * verifies, so that a flipped flag or field is what decides */
			if (c.local.family == 4 && (r >> 20) % 2 == 0) {
				uint16_t ck;

				memset(p + 24, 0, 2);
				ck = (uint16_t)~rte_raw_cksum(p + 14, 20);
				memcpy(p + 24, &ck, 2);
			}
			if ((r >> 14) % 8 == 0) /* link padding */
				memset(rte_pktmbuf_append(a[i], 6), 0, 6);
			if ((r >> 17) % 8 == 0) /* a cut */
				rte_pktmbuf_trim(a[i], (uint16_t)((unsigned int)rand() % 40));
			fast_shape += c.local.family == 4 && !c.udp_csum && c.options_len == 0;
			b[i] = copy(a[i]);
		}
		ka = evs_tun_decap_burst(&fast, a, 32, ma, &sa);
		kb = evs_tun_decap_burst(&full, b, 32, mb, &sb);
		ck_assert_uint_eq(ka, kb);
		for (unsigned int r = 0; r < EVS_TUN_DROP__MAX; r++)
			ck_assert_msg(sa.drops[r] == sb.drops[r], "round %u %s: %lu vs %lu", round,
				      evs_tun_drop_name((enum evs_tun_drop)r),
				      (unsigned long)sa.drops[r], (unsigned long)sb.drops[r]);
		ck_assert_uint_eq(sa.decap_bytes, sb.decap_bytes);
		for (unsigned int i = 0; i < ka; i++) {
			ck_assert_msg(same(a[i], b[i]) && a[i]->data_len == b[i]->data_len,
				      "round %u frame %u", round, i);
			ck_assert_uint_eq(ma[i].vni, mb[i].vni);
			ck_assert_uint_eq(ma[i].type, mb[i].type);
			ck_assert_uint_eq(ma[i].family, mb[i].family);
			ck_assert_uint_eq(ma[i].opt_flags, mb[i].opt_flags);
			ck_assert_uint_eq(ma[i].opt_len, mb[i].opt_len);
			ck_assert_int_eq(memcmp(ma[i].src, mb[i].src, 16), 0);
			ck_assert_int_eq(memcmp(ma[i].dst, mb[i].dst, 16), 0);
		}
		accepted += ka;
		free_all(a, 32);
		free_all(b, 32);
	}
	/* both kinds of frame were there in numbers */
	ck_assert_uint_gt(fast_shape, 1000);
	ck_assert_uint_gt(accepted, 2000);
	ck_assert_uint_lt(accepted, 6000);
}
END_TEST

START_TEST(test_geneve_opts_walk)
{
	ck_assert_int_eq(evs_geneve_opts_walk(opts, sizeof(opts), NULL, NULL), 2);
	ck_assert_int_eq(evs_geneve_opts_walk(opts, 0, NULL, NULL), 0);
	ck_assert_int_eq(evs_geneve_opts_walk(opts, 8, NULL, NULL), 1);
	ck_assert_int_eq(evs_geneve_opts_walk(opts, 12, NULL, NULL), -EINVAL);
	ck_assert_int_eq(evs_geneve_opts_walk(opts, 6, NULL, NULL), -EINVAL);
}
END_TEST

/* Per-packet source tag options (evs_tun_encap_burst_x) round-trip through
 * the decap: each frame carries its own block after the template's options,
 * the lengths and option length follow it, the inner MTU reserves the room
 * whatever a frame carries, over IPv4 and IPv6 with checksums. */
START_TEST(test_source_tags_round_trip)
{
	enum { N = 100 };
	static const char *const names[] = {"web", "db", "app", "pci", "ops", "lb", "dmz", "x"};
	struct evs_tun_decap d = decap_conf();
	struct evs_tun_xopt blk[EVS_TUN_SRC_TAGS_MAX + 1];
	uint32_t ids[EVS_TUN_SRC_TAGS_MAX + 1];

	for (unsigned int i = 0; i < RTE_DIM(names); i++)
		ids[i] = evs_tun_tag_id(names[i]);
	/* stable, name-derived, distinct, never 0 */
	ck_assert_uint_eq(evs_tun_tag_id("web"), ids[0]);
	for (unsigned int i = 0; i < RTE_DIM(names); i++)
		for (unsigned int j = 0; j < i; j++)
			ck_assert_uint_ne(ids[i], ids[j]);
	ck_assert_uint_ne(evs_tun_tag_id(""), 0);
	ck_assert_uint_ne(evs_tun_tag_id("webx"), evs_tun_tag_id("web"));
	ck_assert_int_eq(evs_tun_src_tags_opt(&blk[0], ids, EVS_TUN_SRC_TAGS_MAX + 1), -E2BIG);
	for (unsigned int k = 0; k <= EVS_TUN_SRC_TAGS_MAX; k++) {
		ck_assert_int_eq(evs_tun_src_tags_opt(&blk[k], ids, k), 0);
		ck_assert_uint_eq(blk[k].len, k != 0 ? 4 + 4 * k : 0);
	}
	srand(13);
	for (unsigned int round = 0; round < 8; round++) {
		struct evs_tun_encap_config c = conf(EVS_TUN_GENEVE, round & 1 ? 6 : 4);
		const struct evs_tun_xopt *x[N];
		struct rte_mbuf *m[N], *orig[N];
		struct evs_tun_meta meta[N];
		struct evs_tun_stats st = {0};
		struct evs_tun_encap t, plain;

		c.udp_csum = (round & 2) != 0;
		if (round & 4) {
			c.options = opts;
			c.options_len = sizeof(opts);
		}
		ck_assert_int_eq(evs_tun_encap_init(&plain, &c), 0);
		c.xopt_room = EVS_TUN_SRC_TAGS_OPT_MAX;
		ck_assert_int_eq(evs_tun_encap_init(&t, &c), 0);
		ck_assert_uint_eq(t.max_frame, plain.max_frame - EVS_TUN_SRC_TAGS_OPT_MAX);
		ck_assert_uint_eq(t.hdr_len, plain.hdr_len);
		for (unsigned int i = 0; i < N; i++) {
			unsigned int k = (unsigned int)rand() % (EVS_TUN_SRC_TAGS_MAX + 2);

			/* the longest frames too: the room is reserved */
			m[i] = frame(i % 10 == 0 ? t.max_frame : 14 + (uint32_t)rand() % 400,
				     (uint32_t)rand());
			orig[i] = copy(m[i]);
			x[i] = k <= EVS_TUN_SRC_TAGS_MAX ? &blk[k] : NULL;
		}
		ck_assert_uint_eq(evs_tun_encap_burst_x(&t, m, N, NULL, x, &st), N);
		for (unsigned int i = 0; i < N; i++) {
			unsigned int xl = x[i] != NULL ? x[i]->len : 0;

			ck_assert_uint_eq(m[i]->pkt_len, orig[i]->pkt_len + t.hdr_len + xl);
		}
		ck_assert_uint_eq(evs_tun_decap_burst(&d, m, N, meta, &st), N);
		for (unsigned int i = 0; i < N; i++) {
			unsigned int xl = x[i] != NULL ? x[i]->len : 0, n;
			uint32_t got[EVS_TUN_SRC_TAGS_MAX + 1];

			ck_assert_msg(same(m[i], orig[i]), "round %u frame %u", round, i);
			ck_assert_uint_eq(meta[i].opt_len, c.options_len + xl);
			if (c.options_len != 0)
				ck_assert_int_eq(memcmp(meta[i].opts, opts, sizeof(opts)), 0);
			n = evs_tun_src_tags(meta[i].opts, meta[i].opt_len, got, RTE_DIM(got));
			ck_assert_uint_eq(n, xl != 0 ? (xl - 4) / 4 : 0);
			ck_assert_int_eq(memcmp(got, ids, n * sizeof(got[0])), 0);
			/* the tag option's class is not configured: no class bit */
			ck_assert_uint_eq(meta[i].opt_flags,
					  EVS_TUN_PRESENT | (c.options_len ? 3u : 0u));
		}
		free_all(m, N);
		free_all(orig, N);
	}
}
END_TEST

/* Bad per-packet blocks and templates. */
START_TEST(test_source_tags_refused)
{
	struct evs_tun_encap_config c = conf(EVS_TUN_GENEVE, 4);
	struct evs_tun_xopt big = {.len = 40}, odd = {.len = 6}, crit;
	const struct evs_tun_xopt *x[3] = {&big, &odd, &crit};
	struct rte_mbuf *m[3];
	struct evs_tun_stats st = {0};
	struct evs_tun_encap t;
	uint32_t id = evs_tun_tag_id("web");

	c.xopt_room = 6;
	ck_assert_int_eq(evs_tun_encap_init(&t, &c), -EINVAL); /* not whole words */
	c.xopt_room = EVS_TUN_SRC_TAGS_OPT_MAX;
	c.options = opts;
	c.options_len = 220; /* + 36 > 252 */
	ck_assert_int_eq(evs_tun_encap_init(&t, &c), -E2BIG);
	c.options_len = 0;
	c.options = NULL;
	c.type = EVS_TUN_VXLAN;
	ck_assert_int_eq(evs_tun_encap_init(&t, &c), -EINVAL); /* VXLAN has no options */
	c.type = EVS_TUN_GENEVE;
	ck_assert_int_eq(evs_tun_encap_init(&t, &c), 0);
	evs_tun_src_tags_opt(&crit, &id, 1);
	crit.critical = true;
	for (unsigned int i = 0; i < 3; i++)
		m[i] = frame(60, i);
	ck_assert_uint_eq(evs_tun_encap_burst_x(&t, m, 3, NULL, x, &st), 1);
	ck_assert_uint_eq(st.drops[EVS_TUN_DROP_BAD_OPTIONS], 2);
	/* the accepted one is the critical block: C set in the GENEVE header */
	{
		const uint8_t *g = rte_pktmbuf_mtod(m[0], const uint8_t *) + 14 + 20 + 8;

		ck_assert_uint_eq(g[0] & 0x3f, 2); /* two words of options */
		ck_assert_uint_eq(g[1] & 0x40, 0x40);
	}
	free_all(m, 3);
}
END_TEST

int main(int argc, char **argv)
{
	Suite *s = suite_create("tunnel");
	const struct unit_case cases[] = {
	    {"encap_init_errors", test_encap_init_errors},
	    {"overhead_and_inner_mtu", test_overhead_and_inner_mtu},
	    {"vxlan_ipv4_layout", test_vxlan_ipv4_layout},
	    {"geneve_ipv6_layout", test_geneve_ipv6_layout},
	    {"source_port_from_hash", test_source_port_from_hash},
	    {"source_port_from_inner_flow", test_source_port_from_inner_flow},
	    {"vlan_template", test_vlan_template},
	    {"too_big_and_no_room_counted", test_too_big_and_no_room_counted},
	    {"roundtrip_random", test_roundtrip_random},
	    {"decap_drops_counted", test_decap_drops_counted},
	    {"garbage_accounted", test_garbage_accounted},
	    {"checksum_offload_flags", test_checksum_offload_flags},
	    {"ipv6_zero_checksum", test_ipv6_zero_checksum},
	    {"geneve_opts_walk", test_geneve_opts_walk},
	    {"source_tags_round_trip", test_source_tags_round_trip},
	    {"source_tags_refused", test_source_tags_refused},
	    {"fast_path_matches_full_checks", test_fast_path_matches_full_checks},
	    {"encap_burst_matches_model", test_encap_burst_matches_model},
	};

	(void)argc;
	if (unit_eal_init(argv[0], "evs_test_tunnel", "128") < 0)
		return 1;
	pool = rte_pktmbuf_pool_create("tun_pool", 2048, 0, 0, 4096, SOCKET_ID_ANY);
	if (pool == NULL)
		return 1;
	unit_add_cases(s, cases, RTE_DIM(cases), NULL, NULL, 0);
	return unit_run(s) == 0 ? 0 : 1;
}
