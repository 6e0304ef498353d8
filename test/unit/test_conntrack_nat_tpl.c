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

void ct_nat_tpl_add_cases(Suite *s)
{
	const struct unit_case cases[] = {
	    {"nat_tpl_dnat_vs_reference", test_nat_tpl_dnat_vs_reference},
	    {"nat_plain_snat_vs_reference", test_nat_plain_snat_vs_reference},
	    {"nat_tpl_applies_only_where_it_may", test_nat_tpl_applies_only_where_it_may},
	};

	unit_add_cases(s, cases, RTE_DIM(cases), ct_setup, ct_teardown, 0);
}
