/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one-sided rewrites of plain DNAT and SNAT (ct_nat.c: nat_side), the
 * DNAT one from a backend slot's template (evs_ct_nat_tpl), against a
 * reference model: the frame the translated tuple would have had if it had
 * been built so, checksums computed whole. Random addresses, ports,
 * payloads, IPv4 and IPv6, TCP and UDP, ports kept and mapped, UDP without
 * a checksum.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct_test.h"
#include "unit_case.h"

#define SLOTS 64

static struct evs_ct_nat_tpl tpl[SLOTS];

/* A random address of the family, as text. */
static void rand_addr(char *out, size_t len, bool v6)
{
	uint8_t a[16];

	for (unsigned int i = 0; i < 16; i++)
		a[i] = (uint8_t)rand();
	if (v6) {
		a[0] = 0xfd;
		inet_ntop(AF_INET6, a, out, (socklen_t)len);
	} else {
		snprintf(out, len, "10.%u.%u.%u", a[1], a[2], a[3] | 1);
	}
}

/* What the test changes in a built frame: payload bytes (random), and a
 * UDP over IPv4 checksum of 0 (none). Checksums refilled. */
struct tweak {
	uint8_t bytes[32];
	bool no_udp_ck;
};

static struct rte_mbuf *frame(const struct spec *s, const struct tweak *t, struct evs_flow_key *k)
{
	struct rte_mbuf *m = build(s, k);
	uint32_t l4 = m->l2_len + (k->ethertype == RTE_BE16(RTE_ETHER_TYPE_IPV4) ? 20 : 40);
	uint32_t hdr = s->proto == IPPROTO_TCP ? 20 : 8;
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);

	memcpy(p + l4 + hdr, t->bytes, RTE_MIN((uint32_t)s->payload, sizeof(t->bytes)));
	ck_assert_int_eq(evs_l4_cksum_fill(m, k), 0);
	if (t->no_udp_ck)
		memset(p + l4 + 6, 0, 2);
	return m;
}

/* Run @s (tweaked) through ct with @a: the ct_state; the frame must be,
 * byte for byte, the reference @want (tweaked alike) and the key its parse. */
static uint8_t check1(const struct spec *s, const struct spec *want, const struct tweak *t,
		      const struct evs_ct_action *a, unsigned int iter)
{
	struct evs_flow_key k, wk;
	struct rte_mbuf *m = frame(s, t, &k), *w = frame(want, t, &wk);
	uint8_t st;

	ck_assert_uint_eq(evs_ct_execute_burst(lc, a, &m, &k, 1), 1);
	st = k.ct_state;
	ck_assert_uint_eq(rte_pktmbuf_data_len(m), rte_pktmbuf_data_len(w));
	ck_assert_msg(memcmp(rte_pktmbuf_mtod(m, uint8_t *), rte_pktmbuf_mtod(w, uint8_t *),
			     rte_pktmbuf_data_len(m)) == 0,
		      "iteration %u: the frame is not the reference's", iter);
	ck_assert_mem_eq(k.src_ip, wk.src_ip, 16);
	ck_assert_mem_eq(k.dst_ip, wk.dst_ip, 16);
	ck_assert_uint_eq(k.l4_src, wk.l4_src);
	ck_assert_uint_eq(k.l4_dst, wk.l4_dst);
	rte_pktmbuf_free(m);
	rte_pktmbuf_free(w);
	return st;
}

/* Whole checksums right. */
static void assert_cksums_ok(struct rte_mbuf *m, const struct evs_flow_key *k)
{
	const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, m->l2_len);
	uint16_t stored;

	memcpy(&stored, ip + 10, 2);
	ck_assert_uint_eq(stored, evs_ipv4_hdr_cksum(ip));
	ck_assert_int_eq(evs_l4_cksum_verify(m, k), 0);
}

static void rand_tweak(struct tweak *t, bool v6, uint8_t proto)
{
	for (unsigned int i = 0; i < sizeof(t->bytes); i++)
		t->bytes[i] = (uint8_t)rand();
	t->no_udp_ck = !v6 && proto == IPPROTO_UDP && rand() % 3 == 0;
}

/*
 * Random plain-DNAT connections (a load balancer's): the first packet, the
 * reply and later packets of the original direction, each with the
 * backend slot's template and without it (the reply key), all equal to
 * the frames built with the translated tuple.
 */
START_TEST(test_nat_tpl_dnat_vs_reference)
{
	struct evs_ct_action with = act_commit(0), without;
	char cli[48], vip[48], be[48];
	unsigned int i, established = 0;

	with.flags |= EVS_CT_F_NAT;
	with.nat.kind = EVS_CT_NAT_DST;
	with.nat_tpl = tpl;
	with.n_nat_tpl = SLOTS;
	srand(41);
	for (i = 0; i < 1500; i++) {
		bool v6 = rand() % 2;
		uint8_t proto = rand() % 2 ? IPPROTO_TCP : IPPROTO_UDP;
		uint16_t cport = (uint16_t)(1024 + rand() % 60000),
			 vport = (uint16_t)(1 + rand() % 1000);
		uint16_t bport = rand() % 2 ? 0 : (uint16_t)(1 + rand() % 65535);
		uint16_t out = bport != 0 ? bport : vport,
			 slot = (uint16_t)(1 + rand() % (SLOTS - 1));
		uint32_t seq = (uint32_t)rand(), rseq = (uint32_t)rand();
		struct spec s, w, r, rw;
		struct tweak t;
		uint8_t baddr[16];

		if (i % 300 == 0)
			advance(1000u * 3600 * 24); /* room in the 1,024-entry table */
		rand_addr(cli, sizeof(cli), v6);
		rand_addr(vip, sizeof(vip), v6);
		rand_addr(be, sizeof(be), v6);
		addr(be, baddr);
		evs_ct_nat_tpl_init(&tpl[slot], baddr, bport, v6);
		with.nat.v6 = v6;
		memcpy(with.nat.addr_min, baddr, 16);
		memcpy(with.nat.addr_max, baddr, 16);
		with.nat.port_min = with.nat.port_max = bport;
		with.backend = slot;
		without = with;
		without.nat_tpl = NULL;
		without.n_nat_tpl = 0;

		s = (struct spec){.src = cli,
				  .dst = vip,
				  .proto = proto,
				  .sport = cport,
				  .dport = vport,
				  .flags = SYN,
				  .seq = seq,
				  .win = 1000,
				  .payload = 0};
		w = s;
		w.dst = be;
		w.dport = out;
		rand_tweak(&t, v6, proto);
		/* the first packet: committed, then rewritten from the template */
		ck_assert_uint_eq(check1(&s, &w, &t, rand() % 2 ? &with : &without, i),
				  CT_NEW | EVS_CT_DNAT);
		/* the reply: its source back to the VIP (the original key) */
		r = (struct spec){.src = be,
				  .dst = cli,
				  .proto = proto,
				  .sport = out,
				  .dport = cport,
				  .flags = SYN | ACK,
				  .seq = rseq,
				  .ack = seq + 1,
				  .win = 1000,
				  .payload = proto == IPPROTO_UDP ? (uint16_t)(rand() % 32) : 0};
		rw = r;
		rw.src = vip;
		rw.sport = vport;
		rand_tweak(&t, v6, proto);
		ck_assert_uint_eq(check1(&r, &rw, &t, rand() % 2 ? &with : &without, i),
				  CT_RPL | EVS_CT_SNAT);
		/* established: the same segment with the template and without */
		s.flags = ACK;
		s.seq = seq + 1;
		s.ack = rseq + 1 + r.payload;
		s.payload = (uint16_t)(rand() % 32);
		w = s;
		w.dst = be;
		w.dport = out;
		rand_tweak(&t, v6, proto);
		ck_assert_uint_eq(check1(&s, &w, &t, &with, i), CT_EST | EVS_CT_DNAT);
		ck_assert_uint_eq(check1(&s, &w, &t, &without, i), CT_EST | EVS_CT_DNAT);
		established++;
	}
	ck_assert_uint_eq(established, 1500);
	ck_assert_uint_eq(counter(EVS_CT_C_REFUSED_NAT), 0);
}
END_TEST

/* Plain SNAT, both directions (the source going out, the destination
 * coming back), against the reference; a source port kept or mapped. */
START_TEST(test_nat_plain_snat_vs_reference)
{
	struct evs_ct_action a = act_commit(0);
	char cli[48], srv[48], nat[48];
	unsigned int i;

	a.flags |= EVS_CT_F_NAT;
	a.nat.kind = EVS_CT_NAT_SRC;
	srand(43);
	for (i = 0; i < 1000; i++) {
		bool v6 = rand() % 2;
		uint8_t proto = rand() % 2 ? IPPROTO_TCP : IPPROTO_UDP;
		uint16_t cport = (uint16_t)(1024 + rand() % 60000),
			 sport = (uint16_t)(1 + rand() % 1000);
		uint16_t np = rand() % 2 ? 0 : (uint16_t)(1024 + rand() % 60000);
		uint32_t seq = (uint32_t)rand();
		struct evs_flow_key k;
		struct rte_mbuf *m;
		struct spec s, w, r, rw;
		struct tweak t;
		uint16_t mapped;

		if (i % 300 == 0)
			advance(1000u * 3600 * 24);
		rand_addr(cli, sizeof(cli), v6);
		rand_addr(srv, sizeof(srv), v6);
		rand_addr(nat, sizeof(nat), v6);
		a.nat.v6 = v6;
		addr(nat, a.nat.addr_min);
		addr(nat, a.nat.addr_max);
		a.nat.port_min = a.nat.port_max = np;
		s = (struct spec){.src = cli,
				  .dst = srv,
				  .proto = proto,
				  .sport = cport,
				  .dport = sport,
				  .flags = SYN,
				  .seq = seq,
				  .win = 1000};
		/* the first packet tells the port picked (kept when 0/0) */
		ck_assert_uint_eq(send1_keep(&s, &a, &m, &k), CT_NEW | EVS_CT_SNAT);
		mapped = rte_be_to_cpu_16(k.l4_src);
		ck_assert_uint_eq(mapped, np != 0 ? np : cport);
		rte_pktmbuf_free(m);
		r = (struct spec){.src = srv,
				  .dst = nat,
				  .proto = proto,
				  .sport = sport,
				  .dport = mapped,
				  .flags = SYN | ACK,
				  .seq = (uint32_t)rand(),
				  .ack = seq + 1,
				  .win = 1000,
				  .payload = (uint16_t)(rand() % 32)};
		rw = r;
		rw.dst = cli;
		rw.dport = cport;
		rand_tweak(&t, v6, proto);
		ck_assert_uint_eq(check1(&r, &rw, &t, &a, i), CT_RPL | EVS_CT_DNAT);
		s.flags = ACK;
		s.seq = seq + 1;
		s.ack = r.seq + 1 + r.payload;
		s.payload = (uint16_t)(rand() % 32);
		w = s;
		w.src = nat;
		w.sport = mapped;
		rand_tweak(&t, v6, proto);
		ck_assert_uint_eq(check1(&s, &w, &t, &a, i), CT_EST | EVS_CT_SNAT);
	}
}
END_TEST

/*
 * The template is what translates an original-direction packet (a slot
 * naming another backend than the one committed sends it there: why the
 * caller must not give a slot to another backend while a connection names
 * it), and only when it applies: not valid, another family, a slot beyond
 * the array, a reply, or a connection with SNAT too take the reply key.
 */
START_TEST(test_nat_tpl_applies_only_where_it_may)
{
	struct evs_ct_action a = act_commit(0);
	struct spec s = {.src = "10.0.0.1",
			 .dst = "10.0.0.100",
			 .proto = IPPROTO_UDP,
			 .sport = 1000,
			 .dport = 80,
			 .payload = 5};
	struct spec r = {.src = "10.0.0.2",
			 .dst = "10.0.0.1",
			 .proto = IPPROTO_UDP,
			 .sport = 8080,
			 .dport = 1000,
			 .payload = 5};
	struct evs_flow_key k;
	struct rte_mbuf *m;
	uint8_t b1[16], b2[16], b6[16];

	addr("10.0.0.2", b1);
	addr("10.0.0.3", b2);
	addr("fd00::3", b6);
	a.flags |= EVS_CT_F_NAT;
	a.nat.kind = EVS_CT_NAT_DST;
	memcpy(a.nat.addr_min, b1, 16);
	memcpy(a.nat.addr_max, b1, 16);
	a.nat.port_min = a.nat.port_max = 8080;
	a.backend = 5;
	evs_ct_nat_tpl_init(&tpl[5], b1, 8080, false);
	a.nat_tpl = tpl;
	a.n_nat_tpl = SLOTS;
	ck_assert_uint_eq(send1(&s, &a), CT_NEW | EVS_CT_DNAT);
	/* the slot now says another backend: the template decides */
	evs_ct_nat_tpl_init(&tpl[5], b2, 9090, false);
	ck_assert_uint_eq(send1_keep(&s, &a, &m, &k), CT_NEW | EVS_CT_DNAT);
	assert_cksums_ok(m, &k);
	ck_assert_mem_eq(k.dst_ip, b2, 4);
	ck_assert_uint_eq(rte_be_to_cpu_16(k.l4_dst), 9090);
	rte_pktmbuf_free(m);
	/* the reply comes back from the VIP whatever the template says */
	ck_assert_uint_eq(send1_keep(&r, &a, &m, &k), CT_RPL | EVS_CT_SNAT);
	assert_cksums_ok(m, &k);
	ck_assert_uint_eq(rte_be_to_cpu_16(k.l4_src), 80);
	rte_pktmbuf_free(m);
	/* not valid, another family, beyond the array: the reply key (b1) */
	for (int c = 0; c < 3; c++) {
		struct evs_ct_action b = a;

		if (c == 0)
			tpl[5].valid = 0;
		else if (c == 1)
			evs_ct_nat_tpl_init(&tpl[5], b6, 9090, true);
		else
			b.n_nat_tpl = 5;
		if (c == 2)
			evs_ct_nat_tpl_init(&tpl[5], b2, 9090, false);
		ck_assert_uint_eq(send1_keep(&s, &b, &m, &k), CT_EST | EVS_CT_DNAT);
		assert_cksums_ok(m, &k);
		ck_assert_mem_eq(k.dst_ip, b1, 4);
		ck_assert_uint_eq(rte_be_to_cpu_16(k.l4_dst), 8080);
		rte_pktmbuf_free(m);
	}
	/* DNAT with SNAT (one-arm) on the same slot: the reply key */
	a.nat.kind = EVS_CT_NAT_FULL;
	addr("10.0.0.254", a.nat.snat_addr);
	s.sport = 1001;
	ck_assert_uint_eq(send1_keep(&s, &a, &m, &k), CT_NEW | EVS_CT_DNAT | EVS_CT_SNAT);
	assert_cksums_ok(m, &k);
	ck_assert_mem_eq(k.dst_ip, b1, 4);
	ck_assert_uint_eq(rte_be_to_cpu_16(k.l4_dst), 8080);
	rte_pktmbuf_free(m);
}
END_TEST

/* One burst of @n packets (specs and tweaks) through table @k's context
 * @l with @a: frames, keys and metadata left in @m, @key, @meta. */
static void burst_through(struct evs_ct_lcore *l, const struct evs_ct_action *a,
			  const struct spec *sp, const struct tweak *tw, const bool *cut,
			  unsigned int n, struct rte_mbuf **m, struct evs_flow_key *key,
			  struct evs_ct_meta *meta)
{
	for (unsigned int i = 0; i < n; i++) {
		m[i] = frame(&sp[i], &tw[i], &key[i]);
		/* a short frame: its L4 header cut after the ports (parsed whole) */
		if (cut != NULL && cut[i])
			ck_assert_int_eq(
			    rte_pktmbuf_trim(m[i], (uint16_t)(rte_pktmbuf_data_len(m[i]) -
							      m[i]->l2_len - m[i]->l3_len - 4)),
			    0);
	}
	ck_assert_uint_eq(evs_ct_execute_burst(l, a, m, key, (uint16_t)n), n);
	for (unsigned int i = 0; i < n; i++)
		meta[i] = *evs_ct_burst_meta(l, (uint16_t)i);
}

/* One's-complement sum of @n bytes at @p (odd: the last padded), unfolded:
 * RFC 1071 from scratch, not the library's. */
static uint32_t ref_sum(const uint8_t *p, uint32_t n, uint32_t s)
{
	for (uint32_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t ref_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* The frame's checksums are right by an independent computation: the
 * IPv4 header's, and the TCP/UDP one over the pseudo-header (UDP over
 * IPv4 may carry none: 0, kept so when @no_udp_ck). */
static void ref_cksums_ok(const struct rte_mbuf *m, bool no_udp_ck)
{
	const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, m->l2_len);
	bool v6 = (ip[0] >> 4) == 6;
	uint8_t proto = v6 ? ip[6] : ip[9];
	uint32_t l4len = rte_pktmbuf_data_len(m) - m->l2_len - m->l3_len, s;
	const uint8_t *l4 = ip + m->l3_len;
	uint16_t got;

	if (!v6)
		ck_assert_uint_eq(ref_fold(ref_sum(ip, m->l3_len, 0)), 0xffff);
	got =
	    (uint16_t)(l4[proto == IPPROTO_UDP ? 6 : 16] << 8 | l4[proto == IPPROTO_UDP ? 7 : 17]);
	if (proto == IPPROTO_UDP && !v6 && got == 0) {
		ck_assert(no_udp_ck);
		return;
	}
	ck_assert(!no_udp_ck || proto != IPPROTO_UDP || v6);
	s = ref_sum(ip + (v6 ? 8 : 12), v6 ? 32 : 8, 0) + proto + l4len;
	ck_assert_uint_eq(ref_fold(ref_sum(l4, l4len, s)), 0xffff);
}

#define TB_CLIENTS 48
#define TB_BURST 48

/*
 * Bursts of mixed packets through two tables with the same history, one
 * given the backend slots' templates (the burst's template loop takes the
 * load balancer's established IPv4 UDP packets) and one not (the general
 * way, the reply key): the same frames, keys, states, metadata and
 * counters. The mix breaks the loop's runs: replies, TCP, IPv6, new
 * connections, UDP without a checksum, connections replied to but not
 * assured, and (late rounds) unreplied ones timed out but not reaped.
 * With @vip, the templates know the VIP (evs_ct_nat_tpl_set_vip: the
 * deltas whole) in a third of the rounds, a wrong one (address, or port
 * where the template maps it) in another, none in the rest; some frames
 * are cut short after the ports; every frame's checksums are checked from
 * scratch.
 */
static void burst_vs_general(bool vip)
{
	static const char *const be4[] = {"", "10.0.1.1", "10.0.1.2", "10.0.1.3"};
	static const uint16_t bport[] = {0, 8080, 0, 9090, 7070};
	struct evs_ct *t[2] = {new_table("ta", 1024, 1), new_table("tb", 1024, 1)};
	struct evs_ct_lcore *l[2] = {evs_ct_lcore_get(t[0], 0), evs_ct_lcore_get(t[1], 0)};
	struct evs_ct_nat_tpl tp[5];
	char cli[TB_CLIENTS][48], fresh[TB_BURST][48];
	struct evs_ct_action a[2];
	struct evs_ct_stats st;
	uint64_t now = T0;
	unsigned int c, r, i, k, tpl_like = 0;
	uint8_t b[16];

	memset(tp, 0, sizeof(tp));
	for (i = 1; i <= 3; i++) {
		addr(be4[i], b);
		evs_ct_nat_tpl_init(&tp[i], b, bport[i], false);
	}
	addr("fd00::1:4", b);
	evs_ct_nat_tpl_init(&tp[4], b, bport[4], true);
	for (k = 0; k < 2; k++) {
		a[k] = act_commit(0);
		a[k].flags |= EVS_CT_F_NAT;
		a[k].nat.kind = EVS_CT_NAT_DST;
		a[k].nat_tpl = k == 0 ? tp : NULL;
		a[k].n_nat_tpl = k == 0 ? 5 : 0;
	}
	srand(77);
	/* client c: IPv6 every eighth (slot 4), TCP every fifth, else slot 1-3 */
	for (c = 0; c < TB_CLIENTS; c++) {
		bool v6 = c % 8 == 7;
		uint16_t slot = v6 ? 4 : (uint16_t)(1 + c % 3);
		struct spec s = {.src = cli[c],
				 .dst = v6 ? "fd00::100" : "10.0.0.100",
				 .proto = c % 5 == 4 ? IPPROTO_TCP : IPPROTO_UDP,
				 .sport = (uint16_t)(1024 + c),
				 .dport = 80,
				 .flags = SYN,
				 .win = 1000};
		struct spec rp = {.dst = cli[c],
				  .src = v6 ? "fd00::1:4" : be4[slot],
				  .proto = s.proto,
				  .sport = bport[slot] != 0 ? bport[slot] : 80,
				  .dport = s.sport,
				  .flags = SYN | ACK,
				  .win = 1000};

		if (v6)
			snprintf(cli[c], sizeof(cli[c]), "fd00::2:%x", c + 1);
		else
			snprintf(cli[c], sizeof(cli[c]), "10.2.0.%u", c + 1);
		for (k = 0; k < 2; k++) {
			a[k].backend = slot;
			a[k].nat.v6 = v6;
			memcpy(a[k].nat.addr_min, tp[slot].addr, 16);
			memcpy(a[k].nat.addr_max, tp[slot].addr, 16);
			a[k].nat.port_min = a[k].nat.port_max = bport[slot];
			lc = l[k];
			ck_assert_uint_eq(send1(&s, &a[k]) & EVS_CT_NEW, EVS_CT_NEW);
			/* a third replied to (seen-reply), half of them assured after */
			if (c % 3 == 0)
				send1(&rp, &a[k]);
			if (c % 6 == 0) {
				s.flags = ACK;
				send1(&s, &a[k]);
				s.flags = SYN;
			}
		}
	}
	for (r = 0; r < 40; r++) {
		struct spec sp[TB_BURST];
		struct tweak tw[TB_BURST];
		struct rte_mbuf *m[2][TB_BURST];
		struct evs_flow_key key[2][TB_BURST];
		struct evs_ct_meta meta[2][TB_BURST];

		bool cut[TB_BURST];

		if (vip) {
			uint8_t v[16], w[16];

			addr("10.0.0.100", v);
			addr("10.0.0.101", w);
			for (i = 1; i <= 3; i++) {
				addr(be4[i], b);
				evs_ct_nat_tpl_init(&tp[i], b, bport[i], false);
				if (r % 3 == 0)
					evs_ct_nat_tpl_set_vip(&tp[i], v, 80);
				else if (r % 3 == 1) /* 1: the address, 3: the port (2 keeps it) */
					evs_ct_nat_tpl_set_vip(&tp[i], i == 1 ? w : v,
							       i == 3 ? 81 : 80);
			}
		}
		if (r == 30) {
			/* unreplied UDP past its 30 s, not reaped: a miss, created again */
			now += 31 * 1000;
			for (k = 0; k < 2; k++)
				evs_ct_lcore_set_now(l[k], now);
		}
		for (i = 0; i < TB_BURST; i++) {
			unsigned int what = (unsigned int)rand() % 10;
			bool v6;
			uint16_t slot;

			c = (unsigned int)rand() % TB_CLIENTS;
			v6 = c % 8 == 7;
			slot = v6 ? 4 : (uint16_t)(1 + c % 3);
			sp[i] = (struct spec){.src = cli[c],
					      .dst = v6 ? "fd00::100" : "10.0.0.100",
					      .proto = c % 5 == 4 ? IPPROTO_TCP : IPPROTO_UDP,
					      .sport = (uint16_t)(1024 + c),
					      .dport = 80,
					      .flags = ACK,
					      .win = 1000,
					      .payload = (uint16_t)(rand() % 32)};
			if (what == 0 && c % 3 == 0) { /* the reply (the others stay unreplied) */
				sp[i].dst = cli[c];
				sp[i].src = v6 ? "fd00::1:4" : be4[slot];
				sp[i].dport = sp[i].sport;
				sp[i].sport = bport[slot] != 0 ? bport[slot] : 80;
			} else if (what == 1) { /* a new client: committed by both */
				snprintf(fresh[i], sizeof(fresh[i]), "10.3.%u.%u", r, i + 1);
				sp[i].src = fresh[i];
				sp[i].dst = "10.0.0.100";
				sp[i].proto = IPPROTO_UDP;
			}
			rand_tweak(&tw[i], sp[i].src[0] == 'f', sp[i].proto);
			cut[i] = vip && rand() % 12 == 0;
			tpl_like += what > 1 && !v6 && sp[i].proto == IPPROTO_UDP;
		}
		/* a new client's commit takes slot 1's backend on both tables */
		for (k = 0; k < 2; k++) {
			a[k].backend = 1;
			a[k].nat.v6 = false;
			memcpy(a[k].nat.addr_min, tp[1].addr, 16);
			memcpy(a[k].nat.addr_max, tp[1].addr, 16);
			a[k].nat.port_min = a[k].nat.port_max = bport[1];
			burst_through(l[k], &a[k], sp, tw, cut, TB_BURST, m[k], key[k], meta[k]);
		}
		for (i = 0; i < TB_BURST; i++) {
			ct_same_outcome(r, i, &key[0][i], &key[1][i], m[0][i], m[1][i], &meta[0][i],
					&meta[1][i]);
			if (vip && !cut[i])
				ref_cksums_ok(m[0][i], tw[i].no_udp_ck);
			/* past a cut frame's end too (a checksum stored there is a bug) */
			if (cut[i])
				ck_assert_msg(memcmp(rte_pktmbuf_mtod(m[0][i], uint8_t *),
						     rte_pktmbuf_mtod(m[1][i], uint8_t *),
						     rte_pktmbuf_data_len(m[0][i]) + 4) == 0,
					      "round %u packet %u: written past the end", r, i);
			rte_pktmbuf_free(m[0][i]);
			rte_pktmbuf_free(m[1][i]);
		}
		ct_same_tables(t[0], t[1]);
	}
	evs_ct_stats(t[0], &st);
	ck_assert_uint_gt(tpl_like, 800);
	ck_assert_uint_gt(st.counters[EVS_CT_C_NAT_REWRITE], 1000);
	lc = evs_ct_lcore_get(ct, 0);
	evs_ct_free(t[0]);
	evs_ct_free(t[1]);
}

START_TEST(test_nat_tpl_burst_vs_general)
{
	burst_vs_general(false);
}
END_TEST

START_TEST(test_nat_tpl_vip_burst_vs_general)
{
	burst_vs_general(true);
}
END_TEST

void ct_nat_tpl_add_cases(Suite *s)
{
	const struct unit_case cases[] = {
	    {"nat_tpl_dnat_vs_reference", test_nat_tpl_dnat_vs_reference},
	    {"nat_plain_snat_vs_reference", test_nat_plain_snat_vs_reference},
	    {"nat_tpl_applies_only_where_it_may", test_nat_tpl_applies_only_where_it_may},
	    {"nat_tpl_burst_vs_general", test_nat_tpl_burst_vs_general},
	    {"nat_tpl_vip_burst_vs_general", test_nat_tpl_vip_burst_vs_general},
	};

	unit_add_cases(s, cases, RTE_DIM(cases), ct_setup, ct_teardown, 0);
}
