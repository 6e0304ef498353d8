/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of edgevs-gen's building blocks: every header field and
 * checksum of generated frames (checked with a byte-wise reference checksum,
 * not the builder's own), stamp round trips and truncation, IMIX shares,
 * flow pattern coverage and determinism, latency percentiles and reorder
 * counts against naive reference computations on random input.
 */

#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evs_gen.h"

/* ---------------------------------------------------------- references -- */

static uint32_t rng_state;

static uint32_t rnd(void)
{
	/* xorshift32: deterministic per seed, so a failure reproduces. */
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Byte-wise RFC 1071 sum of big-endian words (odd byte padded with zero). */
static uint32_t ref_sum(const uint8_t *p, size_t n, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t ref_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* A header with a correct checksum sums to 0xffff. */
static int ref_ip_ok(const uint8_t *ip)
{
	return ref_fold(ref_sum(ip, 20, 0)) == 0xffff;
}

/* L4 (UDP/TCP) checksum over pseudo header + segment must verify. */
static int ref_l4_ok(const uint8_t *ip)
{
	uint8_t pseudo[12];
	uint16_t tot = be16(ip + 2);
	uint16_t l4len = (uint16_t)(tot - 20);

	memcpy(pseudo, ip + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = ip[9];
	pseudo[10] = (uint8_t)(l4len >> 8);
	pseudo[11] = (uint8_t)l4len;
	return ref_fold(ref_sum(ip + 20, l4len, ref_sum(pseudo, 12, 0))) == 0xffff;
}

static const struct rte_ether_addr mac_a = {{0x02, 0x45, 0x56, 0x47, 0x00, 0x01}};
static const struct rte_ether_addr mac_b = {{0x02, 0x45, 0x56, 0x47, 0x00, 0x02}};
static const struct rte_ether_addr mac_c = {{0x02, 0x45, 0x56, 0x47, 0x01, 0x01}};
static const struct rte_ether_addr mac_d = {{0x02, 0x45, 0x56, 0x47, 0x01, 0x02}};

static struct evs_gen_pkt_config base_cfg(enum evs_gen_l4 l4, enum evs_gen_encap encap)
{
	struct evs_gen_pkt_config c;

	memset(&c, 0, sizeof(c));
	c.l4 = l4;
	c.encap = encap;
	c.src_mac = mac_a;
	c.dst_mac = mac_b;
	c.inner_src_mac = mac_c;
	c.inner_dst_mac = mac_d;
	c.ttl = 64;
	c.tos = 0x28;
	c.vni = 0xabcde;
	c.outer_src_ip = 0xc612ff01;
	c.outer_dst_ip = 0xc613ff01;
	return c;
}

static struct evs_gen_builder *make_builder(const struct evs_gen_pkt_config *c, const char *mix)
{
	struct evs_gen_mix m;
	struct evs_gen_builder *b;

	ck_assert_int_eq(evs_gen_mix_parse(&m, mix), 0);
	b = evs_gen_builder_create(c, &m);
	ck_assert_msg(b != NULL, "builder for mix %s: errno %d", mix, errno);
	return b;
}

static struct evs_gen_pkt_meta sample_meta(void)
{
	struct evs_gen_pkt_meta m;

	memset(&m, 0, sizeof(m));
	m.tuple.src_ip = 0xc6120001;
	m.tuple.dst_ip = 0xc6130001;
	m.tuple.sport = 1025;
	m.tuple.dport = 5001;
	m.round = 3;
	m.stamp.stream = 7;
	m.stamp.flow_id = 0x123456;
	m.stamp.seq = 0xdeadbeef;
	m.stamp.tsc = 0x01020304;
	return m;
}

/* Check an IPv4 header at ip for a frame of total length len from ip on. */
static void check_ip(const uint8_t *ip, uint16_t tot, uint8_t proto, uint32_t src, uint32_t dst,
		     uint8_t tos)
{
	ck_assert_uint_eq(ip[0], 0x45);
	ck_assert_uint_eq(ip[1], tos);
	ck_assert_uint_eq(be16(ip + 2), tot);
	ck_assert_uint_eq(be16(ip + 4), 0);
	ck_assert_uint_eq(be16(ip + 6), 0x4000);
	ck_assert_uint_eq(ip[8], 64);
	ck_assert_uint_eq(ip[9], proto);
	ck_assert_uint_eq(be32(ip + 12), src);
	ck_assert_uint_eq(be32(ip + 16), dst);
	ck_assert_msg(ref_ip_ok(ip), "IPv4 header checksum wrong");
}

static void check_stamp(const uint8_t *s, const struct evs_gen_stamp *st, unsigned int level)
{
	ck_assert_uint_eq(s[0], 0x45);
	ck_assert_uint_eq(s[1], 0x47);
	ck_assert_uint_eq(s[2], st->stream);
	ck_assert_uint_eq((uint32_t)s[3] << 16 | (uint32_t)s[4] << 8 | s[5], st->flow_id);
	if (level >= EVS_GEN_STAMP_SEQ)
		ck_assert_uint_eq(be32(s + 6), st->seq);
	if (level >= EVS_GEN_STAMP_FULL)
		ck_assert_uint_eq(be32(s + 10), st->tsc);
}

static void check_fill(const uint8_t *s, unsigned int from, unsigned int to)
{
	unsigned int i;

	for (i = from; i < to; i++)
		ck_assert_uint_eq(s[i], (uint8_t)i);
}

/* ------------------------------------------------------------- frames -- */

START_TEST(udp_frame_every_field)
{
	struct evs_gen_pkt_config c = base_cfg(EVS_GEN_UDP, EVS_GEN_ENCAP_NONE);
	struct evs_gen_builder *b = make_builder(&c, "64:1,1518:1");
	struct evs_gen_pkt_meta m = sample_meta();
	uint8_t f[EVS_GEN_SIZE_MAX];
	unsigned int si;

	for (si = 0; si < 2; si++) {
		uint16_t len;
		const uint8_t *ip = f + 14, *udp = f + 34;

		m.size_idx = (uint8_t)si;
		len = evs_gen_build(b, &m, f);
		ck_assert_uint_eq(len, si == 0 ? 60 : 1514);
		ck_assert_uint_eq(len, evs_gen_frame_len(b, si));
		ck_assert_mem_eq(f, mac_b.addr_bytes, 6);
		ck_assert_mem_eq(f + 6, mac_a.addr_bytes, 6);
		ck_assert_uint_eq(be16(f + 12), 0x0800);
		check_ip(ip, (uint16_t)(len - 14), 17, m.tuple.src_ip, m.tuple.dst_ip, 0x28);
		ck_assert_uint_eq(be16(udp), 1025);
		ck_assert_uint_eq(be16(udp + 2), 5001);
		ck_assert_uint_eq(be16(udp + 4), len - 34);
		ck_assert_uint_ne(be16(udp + 6), 0);
		ck_assert_msg(ref_l4_ok(ip), "UDP checksum wrong (size idx %u)", si);
		check_stamp(udp + 8, &m.stamp, EVS_GEN_STAMP_FULL);
		check_fill(udp + 8, 14, len - 42u);
		ck_assert_uint_eq(evs_gen_frame_stamp(b, si), EVS_GEN_STAMP_FULL);
	}
	evs_gen_builder_free(b);
}
END_TEST

START_TEST(vlan_frame_every_field)
{
	struct evs_gen_pkt_config c = base_cfg(EVS_GEN_UDP, EVS_GEN_ENCAP_NONE);
	struct evs_gen_builder *b;
	struct evs_gen_pkt_meta m = sample_meta();
	uint8_t f[128];
	uint16_t len;

	c.vlan = true;
	c.vlan_tci = (5 << 13) | 100;
	b = make_builder(&c, "64");
	len = evs_gen_build(b, &m, f);
	ck_assert_uint_eq(len, 60);
	ck_assert_uint_eq(be16(f + 12), 0x8100);
	ck_assert_uint_eq(be16(f + 14), (5 << 13) | 100);
	ck_assert_uint_eq(be16(f + 16), 0x0800);
	check_ip(f + 18, 42, 17, m.tuple.src_ip, m.tuple.dst_ip, 0x28);
	ck_assert_uint_eq(be16(f + 38 + 4), 22);
	ck_assert(ref_l4_ok(f + 18));
	/* 64 B with a tag leaves exactly the 14-byte stamp. */
	ck_assert_uint_eq(evs_gen_frame_stamp(b, 0), EVS_GEN_STAMP_FULL);
	check_stamp(f + 46, &m.stamp, EVS_GEN_STAMP_FULL);
	evs_gen_builder_free(b);
}
END_TEST

static void check_tcp(enum evs_gen_l4 l4)
{
	struct evs_gen_pkt_config c = base_cfg(l4, EVS_GEN_ENCAP_NONE);
	struct evs_gen_builder *b = make_builder(&c, "64:1,128:1");
	struct evs_gen_pkt_meta m = sample_meta();
	uint8_t f[256];
	const uint8_t *tcp = f + 34;
	uint32_t isn = evs_gen_tcp_isn(m.stamp.flow_id);
	uint16_t len;

	/* 64 B: 6 bytes of payload, the stamp's identity part only. */
	len = evs_gen_build(b, &m, f);
	ck_assert_uint_eq(len, 60);
	ck_assert_uint_eq(evs_gen_frame_stamp(b, 0), EVS_GEN_STAMP_ID);
	check_ip(f + 14, 46, 6, m.tuple.src_ip, m.tuple.dst_ip, 0x28);
	ck_assert_uint_eq(be16(tcp), 1025);
	ck_assert_uint_eq(be16(tcp + 2), 5001);
	ck_assert_uint_eq(tcp[12], 5 << 4);
	ck_assert_uint_eq(be16(tcp + 14), 65535);
	ck_assert_uint_eq(be16(tcp + 18), 0);
	if (l4 == EVS_GEN_TCP_SYN) {
		ck_assert_uint_eq(tcp[13], 0x02);
		ck_assert_uint_eq(be32(tcp + 4), isn);
		ck_assert_uint_eq(be32(tcp + 8), 0);
	} else {
		ck_assert_uint_eq(tcp[13], 0x18);
		ck_assert_uint_eq(be32(tcp + 4), isn + 1 + 3 * 6);
		/* the responder's SYN-ACK to the flow's SYN acknowledged */
		ck_assert_uint_eq(be32(tcp + 8), evs_gen_tcp_isn(isn) + 1);
	}
	ck_assert_msg(ref_l4_ok(f + 14), "TCP checksum wrong");
	check_stamp(tcp + 20, &m.stamp, EVS_GEN_STAMP_ID);

	m.size_idx = 1;
	len = evs_gen_build(b, &m, f);
	ck_assert_uint_eq(len, 124);
	ck_assert(ref_l4_ok(f + 14));
	if (l4 == EVS_GEN_TCP_ACK)
		ck_assert_uint_eq(be32(tcp + 4), isn + 1 + 3 * (124 - 54));
	check_stamp(tcp + 20, &m.stamp, EVS_GEN_STAMP_FULL);
	check_fill(tcp + 20, 14, 124 - 54);
	evs_gen_builder_free(b);
}

START_TEST(tcp_syn_frame_every_field)
{
	check_tcp(EVS_GEN_TCP_SYN);
}
END_TEST

START_TEST(tcp_ack_frame_every_field)
{
	check_tcp(EVS_GEN_TCP_ACK);
}
END_TEST

static void check_tunnel(enum evs_gen_encap encap)
{
	struct evs_gen_pkt_config c = base_cfg(EVS_GEN_UDP, encap);
	struct evs_gen_builder *b;
	struct evs_gen_pkt_meta m = sample_meta();
	struct evs_gen_stamp st;
	uint8_t f[256];
	const uint8_t *oip = f + 18, *oudp = f + 38, *tun = f + 46, *in = f + 54;
	uint16_t len, sport;

	c.vlan = true;
	c.vlan_tci = 42;
	b = make_builder(&c, "200");
	len = evs_gen_build(b, &m, f);
	ck_assert_uint_eq(len, 196);
	ck_assert_mem_eq(f, mac_b.addr_bytes, 6);
	ck_assert_mem_eq(f + 6, mac_a.addr_bytes, 6);
	ck_assert_uint_eq(be16(f + 12), 0x8100);
	ck_assert_uint_eq(be16(f + 14), 42);
	ck_assert_uint_eq(be16(f + 16), 0x0800);
	check_ip(oip, 196 - 18, 17, c.outer_src_ip, c.outer_dst_ip, 0x28);
	sport = be16(oudp);
	ck_assert_uint_ge(sport, 49152);
	ck_assert_uint_eq(be16(oudp + 2), encap == EVS_GEN_ENCAP_VXLAN ? 4789 : 6081);
	ck_assert_uint_eq(be16(oudp + 4), 196 - 38);
	ck_assert_uint_eq(be16(oudp + 6), 0);
	if (encap == EVS_GEN_ENCAP_VXLAN) {
		ck_assert_uint_eq(be32(tun), 0x08000000);
	} else {
		ck_assert_uint_eq(tun[0], 0); /* version 0, no options */
		ck_assert_uint_eq(tun[1], 0); /* O and C clear */
		ck_assert_uint_eq(be16(tun + 2), 0x6558);
	}
	ck_assert_uint_eq(be32(tun + 4), 0xabcde << 8);
	ck_assert_mem_eq(in, mac_d.addr_bytes, 6);
	ck_assert_mem_eq(in + 6, mac_c.addr_bytes, 6);
	ck_assert_uint_eq(be16(in + 12), 0x0800);
	check_ip(in + 14, 196 - 68, 17, m.tuple.src_ip, m.tuple.dst_ip, 0x28);
	ck_assert_uint_eq(be16(in + 34), 1025);
	ck_assert_uint_eq(be16(in + 36), 5001);
	ck_assert_uint_eq(be16(in + 38), 196 - 88);
	ck_assert(ref_l4_ok(in + 14));
	check_stamp(in + 42, &m.stamp, EVS_GEN_STAMP_FULL);
	ck_assert_int_eq(evs_gen_stamp_parse(f, len, &st), EVS_GEN_STAMP_FULL);
	ck_assert_uint_eq(st.flow_id, m.stamp.flow_id);
	/* Outer source port is a function of the flow only. */
	m.stamp.seq++;
	evs_gen_build(b, &m, f);
	ck_assert_uint_eq(be16(oudp), sport);
	evs_gen_builder_free(b);
}

START_TEST(vxlan_frame_every_field)
{
	check_tunnel(EVS_GEN_ENCAP_VXLAN);
}
END_TEST

START_TEST(geneve_frame_every_field)
{
	check_tunnel(EVS_GEN_ENCAP_GENEVE);
}
END_TEST

/* Random flow and stamp for a frame of one of @p nsizes sizes; the
 * destination port stays clear of the tunnel ports. */
static struct evs_gen_pkt_meta random_meta(unsigned int nsizes)
{
	struct evs_gen_pkt_meta m;

	m.size_idx = (uint8_t)(rnd() % nsizes);
	m.tuple.src_ip = rnd();
	m.tuple.dst_ip = rnd();
	m.tuple.sport = (uint16_t)rnd();
	m.tuple.dport = (uint16_t)(rnd() % 4000);
	m.round = rnd();
	m.stamp.stream = (uint8_t)rnd();
	m.stamp.flow_id = rnd() & 0xffffff;
	m.stamp.seq = rnd();
	m.stamp.tsc = rnd();
	return m;
}

START_TEST(checksums_random_frames)
{
	static const char *mixes[] = {"64", "65", "67", "imix", "9018", "129:3,777:2"};
	uint8_t *f = malloc(EVS_GEN_SIZE_MAX);
	unsigned int i, k;

	rng_state = 0x2545f491;
	for (i = 0; i < 300; i++) {
		struct evs_gen_pkt_config c = base_cfg(rnd() % 3, rnd() % 3);
		struct evs_gen_mix mix;
		struct evs_gen_builder *b;

		c.vlan = rnd() & 1;
		c.vlan_tci = (uint16_t)rnd();
		c.tos = (uint8_t)rnd();
		ck_assert_int_eq(evs_gen_mix_parse(&mix, mixes[rnd() % 6]), 0);
		b = evs_gen_builder_create(&c, &mix);
		if (b == NULL) {
			/* Only allowed when a size is below the minimum. */
			unsigned int smallest = EVS_GEN_SIZE_MAX;

			for (k = 0; k < mix.n; k++)
				smallest = RTE_MIN(smallest, mix.size[k]);
			ck_assert_int_eq(errno, EINVAL);
			ck_assert_int_lt(smallest, evs_gen_min_size(&c));
			continue;
		}
		for (k = 0; k < 50; k++) {
			struct evs_gen_pkt_meta m;
			struct evs_gen_stamp st;
			uint32_t l3 = 14 + (c.vlan ? 4 : 0);
			uint16_t len;
			int lvl;

			m = random_meta(mix.n);
			len = evs_gen_build(b, &m, f);
			ck_assert_uint_eq(len, mix.size[m.size_idx] - 4);
			if (c.encap != EVS_GEN_ENCAP_NONE) {
				ck_assert(ref_ip_ok(f + l3));
				l3 += 20 + 8 + 8 + 14;
			}
			ck_assert_msg(ref_ip_ok(f + l3), "IP csum, iter %u/%u", i, k);
			ck_assert_msg(ref_l4_ok(f + l3), "L4 csum, iter %u/%u l4 %d", i, k, c.l4);
			lvl = evs_gen_stamp_parse(f, len, &st);
			ck_assert_int_eq(lvl, evs_gen_frame_stamp(b, m.size_idx));
			ck_assert_uint_eq(st.stream, m.stamp.stream);
			ck_assert_uint_eq(st.flow_id, m.stamp.flow_id);
			if (lvl >= EVS_GEN_STAMP_SEQ)
				ck_assert_uint_eq(st.seq, m.stamp.seq);
			if (lvl >= EVS_GEN_STAMP_FULL)
				ck_assert_uint_eq(st.tsc, m.stamp.tsc);
		}
		evs_gen_builder_free(b);
	}
	free(f);
}
END_TEST

/* The transmit path writes headers only over a buffer prefilled once and
 * reused for frames of every size (and both directions): it must give the
 * same bytes as a full build into a fresh buffer. */
START_TEST(build_hdr_over_prefill_equals_full_build)
{
	static const char *mixes[] = {"64", "imix", "129:3,777:2", "72:1,1518:1"};
	uint8_t *full = malloc(EVS_GEN_SIZE_MAX);
	uint8_t *reused = malloc(EVS_GEN_SIZE_MAX);
	unsigned int i, k;

	rng_state = 0x51f7a3c9;
	for (i = 0; i < 120; i++) {
		struct evs_gen_pkt_config c = base_cfg(rnd() % 3, rnd() % 3);
		struct evs_gen_pkt_config rc;
		struct evs_gen_builder *b[2];
		struct evs_gen_mix mix;

		c.vlan = rnd() & 1;
		ck_assert_int_eq(evs_gen_mix_parse(&mix, mixes[rnd() % 4]), 0);
		rc = c;
		rc.outer_src_ip = c.outer_dst_ip;
		rc.outer_dst_ip = c.outer_src_ip;
		b[0] = evs_gen_builder_create(&c, &mix);
		b[1] = evs_gen_builder_create(&rc, &mix);
		if (b[0] == NULL) {
			ck_assert_int_eq(errno, EINVAL);
			ck_assert_ptr_null(b[1]);
			continue;
		}
		ck_assert_ptr_nonnull(b[1]);
		memset(reused, 0xa5, EVS_GEN_SIZE_MAX);
		evs_gen_prefill(b[0], reused);
		ck_assert_uint_eq(evs_gen_prefill_len(b[0]), evs_gen_prefill_len(b[1]));
		for (k = 0; k < 60; k++) {
			const struct evs_gen_builder *bb = b[rnd() & 1];
			struct evs_gen_pkt_meta m;
			uint16_t l1, l2;

			m = random_meta(mix.n);
			memset(full, 0x5a, EVS_GEN_SIZE_MAX);
			l1 = evs_gen_build(bb, &m, full);
			l2 = evs_gen_build_hdr(bb, &m, reused);
			ck_assert_uint_eq(l1, l2);
			ck_assert_msg(memcmp(full, reused, l1) == 0, "frame differs, iter %u/%u", i,
				      k);
		}
		evs_gen_builder_free(b[0]);
		evs_gen_builder_free(b[1]);
	}
	free(full);
	free(reused);
}
END_TEST

/* Per-flow cached headers give the bytes evs_gen_build_hdr() gives for
 * the same flow's tuple (swapped for the return direction) and stamp, over
 * the same prefilled buffer: random UDP configurations, sizes and flows. */
START_TEST(hdr_cache_equals_build_hdr)
{
	static const unsigned int sizes[] = {64, 65, 110, 128, 777, 1518};
	uint8_t *full = malloc(EVS_GEN_SIZE_MAX);
	uint8_t *cached = malloc(EVS_GEN_SIZE_MAX);
	unsigned int i, k, built = 0;

	rng_state = 0x7c0ffee1;
	for (i = 0; i < 80; i++) {
		struct evs_gen_pkt_config c = base_cfg(EVS_GEN_UDP, rnd() % 3);
		struct evs_gen_flow_config fc;
		struct evs_gen_flows f;
		struct evs_gen_hdr_cache *hc;
		struct evs_gen_builder *b;
		struct evs_gen_mix mix;
		char spec[16];
		bool reverse = rnd() & 1;

		c.vlan = rnd() & 1;
		c.vlan_tci = (uint16_t)rnd();
		snprintf(spec, sizeof(spec), "%u", sizes[rnd() % 6]);
		ck_assert_int_eq(evs_gen_mix_parse(&mix, spec), 0);
		b = evs_gen_builder_create(&c, &mix);
		if (b == NULL)
			continue; /* too small for a tunnel's headers */
		memset(&fc, 0, sizeof(fc));
		fc.flows = 1 + rnd() % 3000;
		fc.src_ip_base = 0xc6120001;
		fc.dst_ip_base = 0xc6130000 + (rnd() & 0xff);
		fc.sport_base = (uint16_t)(1 + rnd() % 1000);
		fc.dport_base = 5001;
		fc.order = rnd() & 1;
		if (rnd() & 1) {
			fc.sport_range = 1;
			fc.dip_range = fc.flows;
		}
		ck_assert_int_eq(evs_gen_flows_init(&f, &fc), 0);
		hc = evs_gen_hdr_cache_create(b, &f, reverse);
		if (evs_gen_frame_stamp(b, 0) != EVS_GEN_STAMP_FULL) {
			ck_assert_ptr_null(hc);
			ck_assert_int_eq(errno, EINVAL);
			evs_gen_builder_free(b);
			continue;
		}
		ck_assert_ptr_nonnull(hc);
		built++;
		memset(full, 0xa5, EVS_GEN_SIZE_MAX);
		memset(cached, 0x3c, EVS_GEN_SIZE_MAX);
		evs_gen_prefill(b, full);
		evs_gen_prefill(b, cached);
		for (k = 0; k < 200; k++) {
			struct evs_gen_pkt_meta m = random_meta(1);
			uint16_t l1, l2;

			m.stamp.flow_id = rnd() % fc.flows;
			evs_gen_flow_tuple(&f, m.stamp.flow_id, &m.tuple);
			if (reverse)
				m.tuple = evs_gen_tuple_reverse(m.tuple);
			if (k < 4) /* the sums' edges: all ones and all zeros */
				m.stamp.seq = m.stamp.tsc = k & 1 ? 0xffffffffu : 0;
			l1 = evs_gen_build_hdr(b, &m, full);
			l2 = evs_gen_build_cached(hc, &m.stamp, cached);
			ck_assert_uint_eq(l1, l2);
			ck_assert_msg(memcmp(full, cached, l1) == 0, "frame differs, iter %u/%u", i,
				      k);
		}
		evs_gen_hdr_cache_free(hc);
		evs_gen_builder_free(b);
	}
	ck_assert_uint_gt(built, 30);
	free(full);
	free(cached);
}
END_TEST

/* What the cache cannot hold is refused, not built wrong. */
START_TEST(hdr_cache_refuses)
{
	struct evs_gen_pkt_config c = base_cfg(EVS_GEN_UDP, EVS_GEN_ENCAP_NONE);
	struct evs_gen_flow_config fc;
	struct evs_gen_flows f;
	struct evs_gen_builder *b;

	memset(&fc, 0, sizeof(fc));
	fc.flows = 1000;
	fc.src_ip_base = 0xc6120001;
	fc.dst_ip_base = 0xc6130001;
	fc.sport_base = 1024;
	fc.dport_base = 5001;
	ck_assert_int_eq(evs_gen_flows_init(&f, &fc), 0);
	b = make_builder(&c, "imix"); /* several sizes */
	ck_assert_ptr_null(evs_gen_hdr_cache_create(b, &f, false));
	ck_assert_int_eq(errno, EINVAL);
	evs_gen_builder_free(b);
	c = base_cfg(EVS_GEN_TCP_SYN, EVS_GEN_ENCAP_NONE);
	b = make_builder(&c, "64");
	ck_assert_ptr_null(evs_gen_hdr_cache_create(b, &f, false));
	ck_assert_int_eq(errno, EINVAL);
	evs_gen_builder_free(b);
	c = base_cfg(EVS_GEN_UDP, EVS_GEN_ENCAP_NONE);
	b = make_builder(&c, "64");
	fc.flows = 16777216; /* 64 bytes each: 1 GiB */
	ck_assert_int_eq(evs_gen_flows_init(&f, &fc), 0);
	ck_assert_ptr_null(evs_gen_hdr_cache_create(b, &f, false));
	ck_assert_int_eq(errno, E2BIG);
	evs_gen_builder_free(b);
	evs_gen_hdr_cache_free(NULL);
}
END_TEST

/* A SYN answered by the responder, its SYN-ACK answered by the initiator:
 * every field of each segment, checksums by the byte-wise reference, at
 * random flows and sizes; a bare ACK and anything else stay untouched. */
START_TEST(tcp_handshake_answers)
{
	struct evs_gen_pkt_config c = base_cfg(EVS_GEN_TCP_SYN, EVS_GEN_ENCAP_NONE);
	struct evs_gen_builder *b = make_builder(&c, "64:1,72:1,1400:1");
	struct evs_gen_pkt_config ca = base_cfg(EVS_GEN_TCP_ACK, EVS_GEN_ENCAP_NONE);
	struct evs_gen_builder *ba = make_builder(&ca, "64:1,72:1,1400:1");
	uint8_t f[1400], orig[1400], before[1400], stream[1400];
	unsigned int k;

	rng_state = 0x1d872b41;
	for (k = 0; k < 300; k++) {
		struct evs_gen_pkt_meta m = sample_meta();
		const uint8_t *ip = f + 14, *tcp = f + 34;
		uint32_t isn, isn2;
		uint16_t len;

		m.size_idx = (uint8_t)(rnd() % 3);
		m.tuple.src_ip = rnd();
		m.tuple.dst_ip = rnd();
		m.tuple.sport = (uint16_t)rnd();
		m.tuple.dport = (uint16_t)rnd();
		m.stamp.flow_id = rnd() & 0xffffff;
		len = evs_gen_build(b, &m, f);
		memcpy(orig, f, len);
		isn = be32(orig + 38);
		/* SYN -> SYN-ACK */
		ck_assert_int_eq(evs_gen_tcp_answer(f, len), EVS_GEN_TCP_SYN_IN);
		ck_assert_mem_eq(f, orig + 6, 6);
		ck_assert_mem_eq(f + 6, orig, 6);
		ck_assert_mem_eq(ip + 12, orig + 14 + 16, 4);
		ck_assert_mem_eq(ip + 16, orig + 14 + 12, 4);
		ck_assert_mem_eq(tcp, orig + 36, 2);
		ck_assert_mem_eq(tcp + 2, orig + 34, 2);
		ck_assert_uint_eq(tcp[13], 0x12);
		ck_assert_uint_eq(be32(tcp + 8), isn + 1);
		isn2 = be32(tcp + 4);
		ck_assert_uint_eq(isn2, evs_gen_tcp_isn(isn));
		ck_assert_mem_eq(tcp + 20, orig + 54, len - 54u); /* payload, stamp included */
		ck_assert(ref_ip_ok(ip));
		ck_assert_msg(ref_l4_ok(ip), "SYN-ACK checksum, iter %u", k);
		/* SYN-ACK -> ACK, back in the first direction */
		ck_assert_int_eq(evs_gen_tcp_answer(f, len), EVS_GEN_TCP_SYNACK_IN);
		ck_assert_mem_eq(f, orig, 12);
		ck_assert_mem_eq(ip + 12, orig + 26, 8);
		ck_assert_mem_eq(tcp, orig + 34, 4);
		ck_assert_uint_eq(tcp[13], 0x10);
		ck_assert_uint_eq(be32(tcp + 4), isn + 1);
		ck_assert_uint_eq(be32(tcp + 8), isn2 + 1);
		ck_assert_msg(ref_l4_ok(ip), "ACK checksum, iter %u", k);
		/* The ACK ends it: reported, not rewritten. */
		memcpy(before, f, len);
		ck_assert_int_eq(evs_gen_tcp_answer(f, len), EVS_GEN_TCP_ACK_IN);
		ck_assert_mem_eq(f, before, len);
		/* --proto tcp-ack's stream of the flow goes on from this ACK:
		 * same tuple, the next sequence numbers, the same acknowledgment */
		ck_assert_uint_eq(evs_gen_build(ba, &m, stream), len);
		ck_assert_mem_eq(stream + 26, orig + 26, 12);
		ck_assert_uint_eq(be32(stream + 38), isn + 1 + m.round * (len - 54u));
		ck_assert_uint_eq(be32(stream + 42), isn2 + 1);
	}
	evs_gen_builder_free(b);
	evs_gen_builder_free(ba);
}
END_TEST

START_TEST(tcp_answer_leaves_others_alone)
{
	struct evs_gen_pkt_config c = base_cfg(EVS_GEN_UDP, EVS_GEN_ENCAP_NONE);
	struct evs_gen_builder *b = make_builder(&c, "64");
	struct evs_gen_pkt_meta m = sample_meta();
	uint8_t f[64], before[64];
	uint16_t len = evs_gen_build(b, &m, f);

	memcpy(before, f, len);
	ck_assert_int_eq(evs_gen_tcp_answer(f, len), EVS_GEN_TCP_OTHER); /* UDP */
	evs_gen_builder_free(b);
	c = base_cfg(EVS_GEN_TCP_ACK, EVS_GEN_ENCAP_NONE);
	b = make_builder(&c, "64");
	len = evs_gen_build(b, &m, f);
	f[34 + 13] = 0x18; /* ACK|PSH: data, not the handshake */
	memcpy(before, f, len);
	ck_assert_int_eq(evs_gen_tcp_answer(f, len), EVS_GEN_TCP_OTHER);
	ck_assert_mem_eq(f, before, len);
	f[34 + 13] = 0x02;
	ck_assert_int_eq(evs_gen_tcp_answer(f, 53), EVS_GEN_TCP_OTHER); /* truncated */
	f[14 + 6] = 0x20;						/* MF: a fragment */
	ck_assert_int_eq(evs_gen_tcp_answer(f, len), EVS_GEN_TCP_OTHER);
	ck_assert_mem_eq(f + 34, before + 34, 13);
	evs_gen_builder_free(b);
	c = base_cfg(EVS_GEN_TCP_SYN, EVS_GEN_ENCAP_NONE);
	c.vlan = true;
	b = make_builder(&c, "68");
	len = evs_gen_build(b, &m, f);
	ck_assert_int_eq(evs_gen_tcp_answer(f, len), EVS_GEN_TCP_OTHER); /* tagged */
	evs_gen_builder_free(b);
}
END_TEST

START_TEST(min_size_and_rejects)
{
	struct evs_gen_pkt_config c = base_cfg(EVS_GEN_UDP, EVS_GEN_ENCAP_NONE);
	struct evs_gen_mix mix;

	ck_assert_int_eq(evs_gen_min_size(&c), 64);
	c.l4 = EVS_GEN_TCP_SYN;
	ck_assert_int_eq(evs_gen_min_size(&c), 64);
	c.vlan = true;
	ck_assert_int_eq(evs_gen_min_size(&c), 68);
	c.encap = EVS_GEN_ENCAP_VXLAN;
	c.l4 = EVS_GEN_UDP;
	ck_assert_int_eq(evs_gen_min_size(&c), 14 + 4 + 50 + 20 + 8 + 6 + 4);
	ck_assert_int_eq(evs_gen_mix_parse(&mix, "imix"), 0);
	errno = 0;
	ck_assert_ptr_null(evs_gen_builder_create(&c, &mix));
	ck_assert_int_eq(errno, EINVAL);
	c.encap = 7;
	ck_assert_int_eq(evs_gen_min_size(&c), -EINVAL);
	c.encap = EVS_GEN_ENCAP_NONE;
	c.vni = 1u << 24;
	ck_assert_ptr_null(evs_gen_builder_create(&c, &mix));
}
END_TEST

START_TEST(stamp_parse_truncated_and_padded)
{
	struct evs_gen_pkt_config c = base_cfg(EVS_GEN_UDP, EVS_GEN_ENCAP_GENEVE);
	struct evs_gen_builder *b = make_builder(&c, "150");
	struct evs_gen_pkt_meta m = sample_meta();
	struct evs_gen_stamp st;
	uint8_t f[200];
	uint16_t len = evs_gen_build(b, &m, f);
	uint32_t cut;

	/* Every truncation is rejected (no over-read: each copy is exact-sized
	 * on the heap, so ASan sees any). */
	for (cut = 0; cut < len; cut++) {
		uint8_t *t = malloc(cut ? cut : 1);

		memcpy(t, f, cut);
		ck_assert_int_eq(evs_gen_stamp_parse(t, cut, &st), EVS_GEN_STAMP_NONE);
		free(t);
	}
	/* Trailing padding is ignored: the IPv4 length rules. */
	memset(f + len, 0xee, sizeof(f) - len);
	ck_assert_int_eq(evs_gen_stamp_parse(f, sizeof(f), &st), EVS_GEN_STAMP_FULL);
	ck_assert_uint_eq(st.seq, m.stamp.seq);
	/* A foreign payload is not ours. */
	f[len - (150 - 4 - 92)] ^= 0xff;
	ck_assert_int_eq(evs_gen_stamp_parse(f, len, &st), EVS_GEN_STAMP_NONE);
	evs_gen_builder_free(b);

	/* Random bytes never parse as ours and never crash. */
	rng_state = 99;
	for (cut = 0; cut < 2000; cut++) {
		uint32_t i, n = rnd() % 200;
		uint8_t *t = malloc(n ? n : 1);

		for (i = 0; i < n; i++)
			t[i] = (uint8_t)rnd();
		if (n > 14) {
			t[12] = 0x08; /* make it look like IPv4 now and then */
			t[13] = 0;
		}
		ck_assert_int_eq(evs_gen_stamp_parse(t, n, &st), EVS_GEN_STAMP_NONE);
		free(t);
	}
}
END_TEST

START_TEST(stamp_levels_by_room)
{
	struct evs_gen_pkt_config c = base_cfg(EVS_GEN_UDP, EVS_GEN_ENCAP_NONE);
	struct evs_gen_builder *b;
	struct evs_gen_stamp st;
	struct evs_gen_pkt_meta m = sample_meta();
	uint8_t f[128];
	uint16_t len;

	/* TCP + VLAN: 68 B leaves 6 bytes, 72 B 10, 76 B 14. */
	c.l4 = EVS_GEN_TCP_ACK;
	c.vlan = true;
	b = make_builder(&c, "68:1,72:1,76:1,75:1");
	m.size_idx = 0;
	len = evs_gen_build(b, &m, f);
	ck_assert_int_eq(evs_gen_stamp_parse(f, len, &st), EVS_GEN_STAMP_ID);
	m.size_idx = 1;
	len = evs_gen_build(b, &m, f);
	ck_assert_int_eq(evs_gen_stamp_parse(f, len, &st), EVS_GEN_STAMP_SEQ);
	ck_assert_uint_eq(st.seq, m.stamp.seq);
	m.size_idx = 2;
	len = evs_gen_build(b, &m, f);
	ck_assert_int_eq(evs_gen_stamp_parse(f, len, &st), EVS_GEN_STAMP_FULL);
	ck_assert_uint_eq(st.tsc, m.stamp.tsc);
	m.size_idx = 3; /* odd length: 13 bytes of room */
	len = evs_gen_build(b, &m, f);
	ck_assert_int_eq(evs_gen_stamp_parse(f, len, &st), EVS_GEN_STAMP_SEQ);
	ck_assert(ref_l4_ok(f + 18));
	evs_gen_builder_free(b);
}
END_TEST

/* ---------------------------------------------------------------- mix -- */

START_TEST(imix_proportions)
{
	struct evs_gen_mix m;
	unsigned int cnt[EVS_GEN_MIX_SIZES_MAX] = {0}, k, i, big_last = 0;

	ck_assert_int_eq(evs_gen_mix_parse(&m, "imix"), 0);
	ck_assert_uint_eq(m.n, 3);
	ck_assert_uint_eq(m.period, 12);
	ck_assert_uint_eq(m.size[0], 64);
	ck_assert_uint_eq(m.size[1], 570);
	ck_assert_uint_eq(m.size[2], 1518);
	for (k = 0; k < 12000; k++)
		cnt[m.pattern[k % m.period]]++;
	ck_assert_uint_eq(cnt[0], 7000);
	ck_assert_uint_eq(cnt[1], 4000);
	ck_assert_uint_eq(cnt[2], 1000);
	ck_assert_double_eq_tol(evs_gen_mix_avg_size(&m), (7 * 64 + 4 * 570 + 1518) / 12.0, 1e-9);
	/* Spread: no two 570s adjacent within a period. */
	for (k = 1; k < m.period; k++)
		ck_assert(!(m.pattern[k] == 1 && m.pattern[k - 1] == 1));
	(void)big_last;

	/* Random mixes: every period holds each size exactly weight times. */
	rng_state = 7;
	for (k = 0; k < 200; k++) {
		char spec[128];
		unsigned int n = 1 + rnd() % 8, w[8], sum = 0;
		int off = 0;

		for (i = 0; i < n; i++) {
			w[i] = 1 + rnd() % 31;
			sum += w[i];
			off += snprintf(spec + off, sizeof(spec) - (size_t)off, "%s%u:%u",
					i ? "," : "", 64 + rnd() % 8000, w[i]);
		}
		ck_assert_int_eq(evs_gen_mix_parse(&m, spec), 0);
		ck_assert_uint_eq(m.period, sum);
		memset(cnt, 0, sizeof(cnt));
		for (i = 0; i < m.period; i++)
			cnt[m.pattern[i]]++;
		for (i = 0; i < n; i++)
			ck_assert_uint_eq(cnt[i], w[i]);
	}
}
END_TEST

START_TEST(mix_parse_errors)
{
	struct evs_gen_mix m;

	ck_assert_int_eq(evs_gen_mix_parse(&m, "64"), 0);
	ck_assert_uint_eq(m.period, 1);
	ck_assert_int_eq(evs_gen_mix_parse(&m, ""), -EINVAL);
	ck_assert_int_eq(evs_gen_mix_parse(&m, "abc"), -EINVAL);
	ck_assert_int_eq(evs_gen_mix_parse(&m, "64,"), -EINVAL);
	ck_assert_int_eq(evs_gen_mix_parse(&m, "64:0"), -EINVAL);
	ck_assert_int_eq(evs_gen_mix_parse(&m, "64:x"), -EINVAL);
	ck_assert_int_eq(evs_gen_mix_parse(&m, "63"), -ERANGE);
	ck_assert_int_eq(evs_gen_mix_parse(&m, "9019"), -ERANGE);
	ck_assert_int_eq(evs_gen_mix_parse(&m, "64:256"), -ERANGE);
	ck_assert_int_eq(evs_gen_mix_parse(&m, "64:200,128:100"), -ERANGE);
	ck_assert_int_eq(evs_gen_mix_parse(&m, "64,65,66,67,68,69,70,71,72"), -EINVAL);
	ck_assert_int_eq(evs_gen_mix_parse(&m, "99999999999"), -ERANGE);
}
END_TEST

/* -------------------------------------------------------------- flows -- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void check_pattern(const struct evs_gen_flow_config *c)
{
	struct evs_gen_flows f;
	struct evs_gen_flow_iter it, it2;
	const struct evs_gen_flow_config *r = &f.cfg;
	uint32_t n = c->flows, k;
	uint8_t *seen = calloc(n, 1);
	uint64_t *keys = malloc(n * sizeof(*keys));
	uint64_t round;

	ck_assert_int_eq(evs_gen_flows_init(&f, c), 0);
	evs_gen_flow_iter_init(&f, &it, 0);
	evs_gen_flow_iter_init(&f, &it2, 0);
	/* Plain comparisons in the loop (a Check assertion per flow is slow);
	 * the first mismatch is reported after it. */
	for (k = 0; k < n; k++) {
		uint32_t id = evs_gen_flow_next(&f, &it, &round);
		uint64_t r2;
		struct evs_gen_tuple t;
		const char *bad = NULL;

		if (evs_gen_flow_next(&f, &it2, &r2) != id)
			bad = "not deterministic";
		else if (id >= n || round != 0)
			bad = "id or round out of range";
		else if (seen[id])
			bad = "flow twice in one round";
		if (bad == NULL) {
			seen[id] = 1;
			/* Reference: plain division. */
			evs_gen_flow_tuple(&f, id, &t);
			if (t.sport != r->sport_base + id % r->sport_range ||
			    t.src_ip != r->src_ip_base + (id / r->sport_range) % r->sip_range ||
			    t.dport != r->dport_base +
					   (id / r->sport_range / r->sip_range) % r->dport_range ||
			    t.dst_ip != r->dst_ip_base +
					    id / r->sport_range / r->sip_range / r->dport_range ||
			    t.dst_ip - r->dst_ip_base >= r->dip_range)
				bad = "tuple differs from the reference";
		}
		if (bad != NULL)
			ck_abort_msg("flows %u order %d step %u id %u: %s", n, c->order, k, id,
				     bad);
		keys[k] = (uint64_t)t.sport | (uint64_t)(t.src_ip - r->src_ip_base) << 16 |
			  (uint64_t)(t.dport - r->dport_base) << 40 |
			  (uint64_t)(t.dst_ip - r->dst_ip_base) << 56;
	}
	/* Distinct ids give distinct tuples. */
	qsort(keys, n, sizeof(*keys), cmp_u64);
	for (k = 1; k < n && keys[k] != keys[k - 1]; k++)
		;
	ck_assert_msg(k >= n, "two flows share a tuple");
	/* The next round starts over with the same first id. */
	evs_gen_flow_iter_init(&f, &it2, 0);
	k = evs_gen_flow_next(&f, &it2, &round);
	ck_assert_uint_eq(evs_gen_flow_next(&f, &it, &round), k);
	ck_assert_uint_eq(round, 1);
	free(seen);
	free(keys);
}

START_TEST(flow_pattern_coverage)
{
	struct evs_gen_flow_config c;
	unsigned int i;

	memset(&c, 0, sizeof(c));
	c.src_ip_base = 0xc6120001;
	c.dst_ip_base = 0xc6130001;
	c.sport_base = 1024;
	c.dport_base = 5001;
	rng_state = 31337;
	for (i = 0; i < 60; i++) {
		c.flows = i < 5 ? i + 1 : 1 + rnd() % (i < 50 ? 5000 : 200000);
		c.order = rnd() & 1;
		c.sport_range = c.dport_range = c.sip_range = c.dip_range = 0;
		if (rnd() & 1) {
			c.sport_range = 1 + rnd() % 64;
			c.dport_range = 1 + rnd() % 8;
			c.dip_range = 1 + rnd() % 4;
		}
		check_pattern(&c);
	}
	/* Default pattern: 1024 source ports, then source addresses. */
	{
		struct evs_gen_flows f;
		struct evs_gen_tuple t;

		c.flows = 10000000;
		c.sport_range = c.dport_range = c.sip_range = c.dip_range = 0;
		ck_assert_int_eq(evs_gen_flows_init(&f, &c), 0);
		ck_assert_uint_eq(f.cfg.sport_range, 1024);
		ck_assert_uint_eq(f.cfg.sip_range, 9766);
		evs_gen_flow_tuple(&f, 9999999, &t);
		ck_assert_uint_eq(t.sport, 1024 + 9999999 % 1024);
		ck_assert_uint_eq(t.src_ip, 0xc6120001 + 9999999 / 1024);
		ck_assert_uint_eq(t.dst_ip, 0xc6130001);
	}
}
END_TEST

START_TEST(flow_scatter_order_is_permutation)
{
	struct evs_gen_flow_config c;
	struct evs_gen_flows f;
	struct evs_gen_flow_iter it;
	uint64_t round;
	uint32_t a, b;

	memset(&c, 0, sizeof(c));
	c.flows = 1000;
	c.order = EVS_GEN_ORDER_SCATTER;
	ck_assert_int_eq(evs_gen_flows_init(&f, &c), 0);
	ck_assert_uint_gt(f.stride, 1);
	evs_gen_flow_iter_init(&f, &it, 0);
	a = evs_gen_flow_next(&f, &it, &round);
	b = evs_gen_flow_next(&f, &it, &round);
	ck_assert_uint_eq(a, 0);
	ck_assert_uint_eq(b, f.stride); /* not the neighbour */
	/* A start offset is taken modulo flows. */
	evs_gen_flow_iter_init(&f, &it, 1500);
	ck_assert_uint_eq(evs_gen_flow_next(&f, &it, &round), 500);
}
END_TEST

/* The odometer walk gives what the division gives, at every start and
 * across rounds, for random ranges and both orders. */
START_TEST(flow_next_tuple_equals_division)
{
	unsigned int i, k;

	rng_state = 0x7f4a7c15;
	for (i = 0; i < 150; i++) {
		struct evs_gen_flow_config c;
		struct evs_gen_flows f;
		struct evs_gen_flow_iter a, b;
		uint32_t start;

		memset(&c, 0, sizeof(c));
		c.flows = 1 + rnd() % 1500;
		c.src_ip_base = 0x0a000000;
		c.dst_ip_base = 0x0b000000;
		c.sport_base = (uint16_t)(rnd() % 1000);
		c.dport_base = (uint16_t)(rnd() % 1000);
		if (rnd() & 1) {
			c.sport_range = 1 + rnd() % 7;
			c.sip_range = 1 + rnd() % 5;
			c.dport_range = 1 + rnd() % 3;
			c.dip_range = c.flows / (c.sport_range * c.sip_range * c.dport_range) + 1;
		}
		c.order = (rnd() & 1) ? EVS_GEN_ORDER_SCATTER : EVS_GEN_ORDER_SEQ;
		ck_assert_int_eq(evs_gen_flows_init(&f, &c), 0);
		start = rnd();
		evs_gen_flow_iter_init(&f, &a, start);
		evs_gen_flow_iter_init(&f, &b, start);
		for (k = 0; k < 3 * c.flows + 7; k++) {
			struct evs_gen_tuple ta, tb;
			uint64_t ra, rb;
			uint32_t ia = evs_gen_flow_next_tuple(&f, &a, &ra, &ta);
			uint32_t ib = evs_gen_flow_next(&f, &b, &rb);

			evs_gen_flow_tuple(&f, ib, &tb);
			if (ia != ib || ra != rb || ta.sport != tb.sport || ta.dport != tb.dport ||
			    ta.src_ip != tb.src_ip || ta.dst_ip != tb.dst_ip)
				ck_abort_msg("flow %u/%u differs (config %u, step %u)", ia, ib, i,
					     k);
		}
	}
}
END_TEST

START_TEST(flow_pattern_errors)
{
	struct evs_gen_flow_config c;
	struct evs_gen_flows f;

	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(evs_gen_flows_init(&f, &c), -EINVAL);
	c.flows = EVS_GEN_FLOWS_MAX + 1;
	ck_assert_int_eq(evs_gen_flows_init(&f, &c), -EINVAL);
	c.flows = 100;
	c.sport_range = 10;
	c.sip_range = 9;
	ck_assert_int_eq(evs_gen_flows_init(&f, &c), -EINVAL);
	c.sip_range = 10;
	ck_assert_int_eq(evs_gen_flows_init(&f, &c), 0);
	c.sport_base = 65530;
	ck_assert_int_eq(evs_gen_flows_init(&f, &c), -ERANGE);
	c.sport_base = 0;
	c.src_ip_base = 0xfffffffa;
	ck_assert_int_eq(evs_gen_flows_init(&f, &c), -ERANGE);
}
END_TEST

/* ----------------------------------------------------------- counters -- */

static uint64_t ref_percentile(uint64_t *sorted, uint64_t n, double p)
{
	uint64_t rank = (uint64_t)ceil(p * (double)n);

	if (rank == 0)
		rank = 1;
	return sorted[rank - 1];
}

START_TEST(hist_percentiles_vs_naive)
{
	static const double ps[] = {0, 0.5, 0.9, 0.99, 0.999, 1};
	struct evs_gen_hist *h = malloc(sizeof(*h)), *h2 = malloc(sizeof(*h2));
	uint64_t *v = malloc(20000 * sizeof(*v));
	unsigned int trial, i, j;

	rng_state = 4242;
	for (trial = 0; trial < 40; trial++) {
		uint64_t n = 1 + rnd() % 20000, sum = 0;

		evs_gen_hist_reset(h);
		evs_gen_hist_reset(h2);
		for (i = 0; i < n; i++) {
			switch (trial % 4) {
			case 0: /* small, exact region */
				v[i] = rnd() % 100;
				break;
			case 1: /* uniform wide */
				v[i] = rnd() % 1000000;
				break;
			case 2: /* heavy tail */
				v[i] = (uint64_t)1000 << (rnd() % 24);
				v[i] += rnd() % 1000;
				break;
			default: /* up to 2^39 */
				v[i] = (uint64_t)rnd() << (rnd() % 8);
				break;
			}
			sum += v[i];
			evs_gen_hist_add(i & 1 ? h : h2, v[i]);
		}
		evs_gen_hist_merge(h, h2);
		qsort(v, n, sizeof(*v), cmp_u64);
		ck_assert_uint_eq(h->count, n);
		ck_assert_uint_eq(h->sum, sum);
		ck_assert_uint_eq(h->min, v[0]);
		ck_assert_uint_eq(h->max, v[n - 1]);
		for (j = 0; j < sizeof(ps) / sizeof(ps[0]); j++) {
			uint64_t exact = ref_percentile(v, n, ps[j]);
			uint64_t got = evs_gen_hist_percentile(h, ps[j]);

			ck_assert_msg(got >= exact && got - exact <= exact / 64,
				      "trial %u p%g: exact %lu got %lu", trial, ps[j] * 100,
				      (unsigned long)exact, (unsigned long)got);
		}
		evs_gen_hist_snapshot(h2, h);
		ck_assert_uint_eq(evs_gen_hist_percentile(h2, 0.99),
				  evs_gen_hist_percentile(h, 0.99));
	}
	evs_gen_hist_reset(h);
	ck_assert_uint_eq(evs_gen_hist_percentile(h, 0.5), 0);
	/* Beyond 2^40 everything shares the last bucket; max stays exact. */
	evs_gen_hist_add(h, 1ull << 41);
	evs_gen_hist_add(h, 3ull << 42);
	ck_assert_uint_eq(evs_gen_hist_percentile(h, 1), 3ull << 42);
	ck_assert_uint_eq(evs_gen_hist_percentile(h, 0.5), 3ull << 42);
	free(v);
	free(h);
	free(h2);
}
END_TEST

START_TEST(hist_bucket_geometry)
{
	unsigned int i;

	for (i = 0; i + 1 < EVS_GEN_HIST_BUCKETS; i++) {
		uint64_t lo = evs_gen_hist_bucket_low(i), hi = evs_gen_hist_bucket_high(i);

		ck_assert_uint_le(lo, hi);
		ck_assert_uint_eq(evs_gen_hist_index(lo), i);
		ck_assert_uint_eq(evs_gen_hist_index(hi), i);
		ck_assert_uint_eq(evs_gen_hist_bucket_low(i + 1), hi + 1);
		/* Relative width bounded by 1/64. */
		ck_assert_uint_le((hi - lo) * 64, lo);
	}
	ck_assert_uint_eq(evs_gen_hist_index(UINT64_MAX), EVS_GEN_HIST_BUCKETS - 1);
}
END_TEST

START_TEST(reorder_vs_rfc4737_reference)
{
	unsigned int trial, i;

	rng_state = 777;
	for (trial = 0; trial < 200; trial++) {
		unsigned int n = 1 + rnd() % 3000;
		uint64_t *seq = malloc(n * sizeof(*seq));
		uint64_t base = trial & 1 ? UINT32_MAX - rnd() % 1500 : rnd(); /* wraps */
		uint64_t next_ref = 0, ref = 0;
		int started = 0;
		struct evs_gen_reorder r = {0};

		for (i = 0; i < n; i++)
			seq[i] = base + i;
		/* Local displacement and some loss: swap near neighbours, drop some. */
		for (i = 0; i + 1 < n; i++)
			if (rnd() % 10 == 0) {
				unsigned int j = i + 1 + rnd() % RTE_MIN(8u, n - i - 1);
				uint64_t t = seq[i];

				seq[i] = seq[j];
				seq[j] = t;
			}
		for (i = 0; i < n; i++) {
			unsigned int copies = 1 + (rnd() % 25 == 0), c; /* duplicates */

			if (rnd() % 20 == 0)
				continue; /* lost */
			for (c = 0; c < copies; c++) {
				/* RFC 4737 section 3.3: reordered if s < NextExp. */
				if (started && seq[i] < next_ref) {
					ref++;
				} else {
					next_ref = seq[i] + 1;
					started = 1;
				}
				evs_gen_reorder_add(&r, (uint32_t)seq[i]);
			}
		}
		ck_assert_uint_eq(r.reordered, ref);
		free(seq);
	}
}
END_TEST

START_TEST(sample_bitmap_vs_naive)
{
	struct evs_gen_sample tx, rx;
	uint32_t flows = 100000, i, exp_sent = 0, exp_missing = 0;
	uint8_t *sent = calloc(flows, 1), *seen = calloc(flows, 1);

	ck_assert_int_eq(evs_gen_sample_init(&tx, flows, 1000), 0);
	ck_assert_int_eq(evs_gen_sample_init(&rx, flows, 1000), 0);
	ck_assert_uint_eq(tx.shift, 7); /* 100000 / 128 -> 782 samples */
	ck_assert_uint_eq(tx.nbits, 782);
	rng_state = 5;
	for (i = 0; i < 300000; i++) {
		uint32_t id = rnd() % flows;

		evs_gen_sample_mark(&tx, id);
		sent[id] = 1;
		if (rnd() % 3) {
			evs_gen_sample_mark(&rx, id);
			seen[id] = 1;
		}
	}
	for (i = 0; i < flows; i += 128) {
		exp_sent += sent[i];
		exp_missing += sent[i] && !seen[i];
	}
	ck_assert_uint_eq(evs_gen_sample_count(&tx), exp_sent);
	ck_assert_uint_eq(evs_gen_sample_missing(&tx, &rx), exp_missing);
	ck_assert_uint_gt(exp_missing, 0);
	ck_assert_int_eq(evs_gen_sample_merge(&rx, &tx), 0);
	ck_assert_uint_eq(evs_gen_sample_missing(&tx, &rx), 0);
	evs_gen_sample_fini(&tx);
	evs_gen_sample_fini(&rx);
	ck_assert_int_eq(evs_gen_sample_init(&tx, 1, 1), 0);
	ck_assert_uint_eq(tx.nbits, 1);
	evs_gen_sample_fini(&tx);
	ck_assert_int_eq(evs_gen_sample_init(&tx, 0, 1), -EINVAL);
	free(sent);
	free(seen);
}
END_TEST

START_TEST(rates_and_pacing)
{
	uint64_t hz = 2100000000ull;

	ck_assert_double_eq_tol(evs_gen_mpps(14880952, hz, hz), 14.880952, 1e-9);
	ck_assert_double_eq_tol(evs_gen_mpps(1000, hz / 2, hz), 0.002, 1e-12);
	ck_assert_double_eq(evs_gen_mpps(5, 0, hz), 0);
	/* 64 B line rate of 10G: 14.88 Mpps * 84 B * 8 = 10 Gb/s on L1. */
	ck_assert_double_eq_tol(evs_gen_gbps(14880952, 14880952ull * 60, hz, hz, true), 10.0, 1e-5);
	ck_assert_double_eq_tol(evs_gen_gbps(1000000, 1000000ull * 60, hz, hz, false), 0.512, 1e-9);
	ck_assert_double_eq_tol(evs_gen_loss_ratio(1000, 990), 0.01, 1e-12);
	ck_assert_double_eq(evs_gen_loss_ratio(0, 0), 0);
	ck_assert_double_eq(evs_gen_loss_ratio(10, 12), 0);
	ck_assert_uint_eq(evs_gen_pace_due(hz, 1000000, hz), 1000000);
	ck_assert_uint_eq(evs_gen_pace_due(hz / 1000, 1000000, hz), 1000);
	/* No overflow for a day at 100 Mpps. */
	ck_assert_uint_eq(evs_gen_pace_due(hz * 86400, 100000000, hz), 8640000000000ull);
}
END_TEST

static Suite *gen_suite(void)
{
	Suite *s = suite_create("gen");
	struct {
		const char *name;
		const TTest *fn;
	} cases[] = {
	    {"udp_frame_every_field", udp_frame_every_field},
	    {"vlan_frame_every_field", vlan_frame_every_field},
	    {"tcp_syn_frame_every_field", tcp_syn_frame_every_field},
	    {"tcp_ack_frame_every_field", tcp_ack_frame_every_field},
	    {"vxlan_frame_every_field", vxlan_frame_every_field},
	    {"geneve_frame_every_field", geneve_frame_every_field},
	    {"checksums_random_frames", checksums_random_frames},
	    {"build_hdr_over_prefill_equals_full_build", build_hdr_over_prefill_equals_full_build},
	    {"hdr_cache_equals_build_hdr", hdr_cache_equals_build_hdr},
	    {"hdr_cache_refuses", hdr_cache_refuses},
	    {"tcp_handshake_answers", tcp_handshake_answers},
	    {"tcp_answer_leaves_others_alone", tcp_answer_leaves_others_alone},
	    {"min_size_and_rejects", min_size_and_rejects},
	    {"stamp_parse_truncated_and_padded", stamp_parse_truncated_and_padded},
	    {"stamp_levels_by_room", stamp_levels_by_room},
	    {"imix_proportions", imix_proportions},
	    {"mix_parse_errors", mix_parse_errors},
	    {"flow_pattern_coverage", flow_pattern_coverage},
	    {"flow_scatter_order_is_permutation", flow_scatter_order_is_permutation},
	    {"flow_next_tuple_equals_division", flow_next_tuple_equals_division},
	    {"flow_pattern_errors", flow_pattern_errors},
	    {"hist_percentiles_vs_naive", hist_percentiles_vs_naive},
	    {"hist_bucket_geometry", hist_bucket_geometry},
	    {"reorder_vs_rfc4737_reference", reorder_vs_rfc4737_reference},
	    {"sample_bitmap_vs_naive", sample_bitmap_vs_naive},
	    {"rates_and_pacing", rates_and_pacing},
	};
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		TCase *tc = tcase_create(cases[i].name);

		tcase_add_test(tc, cases[i].fn);
		suite_add_tcase(s, tc);
	}
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(gen_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
