/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hot copies (lib/conntrack/ct_hot.h) on the burst's path, once their
 * connections change under them: a reply, a mark set by a commit, a
 * flush, the timeout passing, the zone's timeouts lowered, and more
 * connections than some lines hold. Every burst runs through two tables
 * with the same history, one given the backend slots' templates (its
 * load-balanced UDP packets served from hot copies) and one not (the
 * general way): the same states, frames, keys, metadata and counters but
 * hot_hit, which must rise where a copy may serve and stay where it must
 * not. The frames are checked against the backend too, and the states
 * against the documented ones.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>

#include "ct_private.h" /* ct_execute(): the keys' ct_mark */
#include "ct_test.h"
#include "unit_case.h"

#define HD_SLOTS 4
#define HD_CLIENTS 64
#define HD_VIP "10.0.0.100"
#define HD_VPORT 80

/* slot 2 keeps the client's port; 1 and 3 know the VIP, 2 does not */
static const char *const hd_be[HD_SLOTS] = {"", "10.0.1.1", "10.0.1.2", "10.0.1.3"};
static const uint16_t hd_bport[HD_SLOTS] = {0, 8080, 0, 9090};

/* A packet of a burst: client @c's, or (@reply) its backend's answer. */
struct hp {
	uint16_t c;
	bool reply;
};

struct hd {
	struct evs_ct *t[2]; /* [0] the templates' (hot copies), [1] the general way */
	struct evs_ct_lcore *l[2];
	struct evs_ct_nat_tpl tpl[HD_SLOTS];
	struct evs_ct_action a[2];
	char ip[HD_CLIENTS][20];
	uint16_t port[HD_CLIENTS]; /* unique: choose() finds the client by it */
	uint16_t slot[HD_CLIENTS]; /* the backend its connection was committed with */
	uint16_t gen;		   /* shifts choose()'s pick: a new connection, another backend */
	uint64_t now;
	bool key_mark; /* bursts by ct_execute(), keys' ct_mark set (the ct() opcode's) */
	/* the last burst on the templates' table */
	uint8_t st[EVS_CT_BURST_MAX];
	struct evs_ct_meta meta[EVS_CT_BURST_MAX];
	uint32_t ct_mark[EVS_CT_BURST_MAX];
	uint64_t d[EVS_CT_C_MAX]; /* its counters' rise */
};

/* The load balancer's pick: a backend by the client's port (and gen). */
static bool hd_choose(void *arg, uint16_t i, const struct evs_flow_key *key,
		      struct evs_ct_nat_range *nat, uint16_t *backend)
{
	struct hd *h = arg;
	uint16_t port = rte_be_to_cpu_16(key->l4_src);
	uint16_t s = (uint16_t)(1 + (port + h->gen) % 3);

	RTE_SET_USED(i);
	for (unsigned int c = 0; c < HD_CLIENTS; c++)
		if (h->port[c] == port)
			h->slot[c] = s;
	nat->kind = EVS_CT_NAT_DST;
	memcpy(nat->addr_min, h->tpl[s].addr, 16);
	memcpy(nat->addr_max, h->tpl[s].addr, 16);
	nat->port_min = nat->port_max = hd_bport[s];
	*backend = s;
	return true;
}

static void hd_init(struct hd *h, const char *name, uint32_t max_conns)
{
	char n[32];
	uint8_t a[16];

	memset(h, 0, sizeof(*h));
	for (unsigned int k = 0; k < 2; k++) {
		snprintf(n, sizeof(n), "%s_%s", name, k == 0 ? "tpl" : "gen");
		h->t[k] = new_table(n, max_conns, 1);
		h->l[k] = evs_ct_lcore_get(h->t[k], 0);
	}
	h->now = T0;
	for (unsigned int s = 1; s < HD_SLOTS; s++) {
		addr(hd_be[s], a);
		evs_ct_nat_tpl_init(&h->tpl[s], a, hd_bport[s], false);
		if (s != 2) {
			addr(HD_VIP, a);
			evs_ct_nat_tpl_set_vip(&h->tpl[s], a, HD_VPORT);
		}
	}
	for (unsigned int c = 0; c < HD_CLIENTS; c++) {
		snprintf(h->ip[c], sizeof(h->ip[c]), "10.2.%u.%u", c / 200, c % 200 + 1);
		h->port[c] = (uint16_t)(1024 + c);
	}
	for (unsigned int k = 0; k < 2; k++) {
		h->a[k] = act_commit(0);
		h->a[k].flags |= EVS_CT_F_NAT;
		h->a[k].nat.kind = EVS_CT_NAT_DST;
		h->a[k].choose = hd_choose;
		h->a[k].choose_arg = h;
	}
	h->a[0].nat_tpl = h->tpl;
	h->a[0].n_nat_tpl = HD_SLOTS;
}

static void hd_fini(struct hd *h)
{
	evs_ct_free(h->t[0]);
	evs_ct_free(h->t[1]);
}

static struct spec hd_spec(const struct hd *h, struct hp p)
{
	uint16_t s = h->slot[p.c];
	struct spec x = {.proto = IPPROTO_UDP, .payload = (uint16_t)(4 + (p.c * 5 + p.reply) % 23)};

	if (!p.reply) {
		x.src = h->ip[p.c];
		x.dst = HD_VIP;
		x.sport = h->port[p.c];
		x.dport = HD_VPORT;
	} else {
		ck_assert_uint_ne(s, 0); /* a reply only to a committed connection */
		x.src = hd_be[s];
		x.dst = h->ip[p.c];
		x.sport = hd_bport[s] != 0 ? hd_bport[s] : HD_VPORT;
		x.dport = h->port[p.c];
	}
	return x;
}

/* The frame's headers as translated: @ip the IPv4 address at @off, the
 * port at @poff of the UDP header; checksums right. */
static void hd_frame_has(struct rte_mbuf *m, const struct evs_flow_key *k, unsigned int off,
			 const char *ip, unsigned int poff, uint16_t port)
{
	const uint8_t *p = rte_pktmbuf_mtod_offset(m, const uint8_t *, RTE_ETHER_HDR_LEN);
	uint8_t a[16];
	uint16_t stored;

	addr(ip, a);
	ck_assert_mem_eq(p + off, a, 4);
	ck_assert_uint_eq((uint16_t)(p[20 + poff] << 8 | p[20 + poff + 1]), port);
	memcpy(&stored, p + 10, 2);
	ck_assert_uint_eq(stored, evs_ipv4_hdr_cksum(p));
	ck_assert_int_eq(evs_l4_cksum_verify(m, k), 0);
}

/*
 * Run @n packets (at most a burst) through both tables at the clock
 * h->now: the same states, keys, frames and metadata; the frames sent to
 * their connection's backend (and replies from the VIP); the same counter
 * rises but hot_hit's (the general way's stays 0). What the templates'
 * table gave is left in @h.
 */
static void hd_burst(struct hd *h, const struct hp *hp, unsigned int n)
{
	struct rte_mbuf *m[2][EVS_CT_BURST_MAX];
	struct evs_flow_key key[2][EVS_CT_BURST_MAX];
	struct evs_ct_meta meta[2][EVS_CT_BURST_MAX];
	struct evs_ct_stats s0[2], s1[2];
	unsigned int i, k, c;

	ck_assert_uint_le(n, EVS_CT_BURST_MAX);
	for (k = 0; k < 2; k++) {
		evs_ct_lcore_set_now(h->l[k], h->now);
		for (i = 0; i < n; i++) {
			struct spec s = hd_spec(h, hp[i]);

			m[k][i] = build(&s, &key[k][i]);
		}
		evs_ct_stats(h->t[k], &s0[k]);
		if (h->key_mark)
			ck_assert_uint_eq(
			    ct_execute(h->l[k], &h->a[k], m[k], key[k], (uint16_t)n, true), n);
		else
			ck_assert_uint_eq(
			    evs_ct_execute_burst(h->l[k], &h->a[k], m[k], key[k], (uint16_t)n), n);
		for (i = 0; i < n; i++)
			meta[k][i] = *evs_ct_burst_meta(h->l[k], (uint16_t)i);
		evs_ct_stats(h->t[k], &s1[k]);
	}
	for (i = 0; i < n; i++) {
		uint8_t st = key[0][i].ct_state;

		ck_assert_msg(st == key[1][i].ct_state,
			      "packet %u (client %u%s): ct_state %#x, the general way's %#x", i,
			      hp[i].c, hp[i].reply ? ", reply" : "", st, key[1][i].ct_state);
		ck_assert_msg(meta[0][i].mark == meta[1][i].mark &&
				  meta[0][i].backend == meta[1][i].backend &&
				  meta[0][i].known == meta[1][i].known,
			      "packet %u (client %u): meta mark %#x backend %u known %u, the "
			      "general way's %#x %u %u",
			      i, hp[i].c, meta[0][i].mark, meta[0][i].backend, meta[0][i].known,
			      meta[1][i].mark, meta[1][i].backend, meta[1][i].known);
		ck_assert_mem_eq(&key[0][i], &key[1][i], sizeof(key[0][i]));
		ck_assert_uint_eq(rte_pktmbuf_data_len(m[0][i]), rte_pktmbuf_data_len(m[1][i]));
		ck_assert_msg(memcmp(rte_pktmbuf_mtod(m[0][i], uint8_t *),
				     rte_pktmbuf_mtod(m[1][i], uint8_t *),
				     rte_pktmbuf_data_len(m[0][i])) == 0,
			      "packet %u (client %u): the frames differ", i, hp[i].c);
		if (!hp[i].reply && (st & EVS_CT_DNAT)) {
			uint16_t s = meta[0][i].backend;

			ck_assert(s > 0 && s < HD_SLOTS);
			hd_frame_has(m[0][i], &key[0][i], 16, hd_be[s], 2,
				     hd_bport[s] != 0 ? hd_bport[s] : HD_VPORT);
		}
		if (hp[i].reply && (st & EVS_CT_SNAT))
			hd_frame_has(m[0][i], &key[0][i], 12, HD_VIP, 0, HD_VPORT);
		h->st[i] = st;
		h->meta[i] = meta[0][i];
		h->ct_mark[i] = key[0][i].ct_mark;
		rte_pktmbuf_free(m[0][i]);
		rte_pktmbuf_free(m[1][i]);
	}
	for (c = 0; c < EVS_CT_C_MAX; c++) {
		uint64_t d0 = s1[0].counters[c] - s0[0].counters[c];
		uint64_t d1 = s1[1].counters[c] - s0[1].counters[c];

		if (c == EVS_CT_C_HOT_HIT)
			ck_assert_uint_eq(d1, 0);
		else
			ck_assert_msg(d0 == d1, "counter %s rose by %lu, the general way's by %lu",
				      evs_ct_counter_name((enum evs_ct_counter)c),
				      (unsigned long)d0, (unsigned long)d1);
		h->d[c] = d0;
	}
	ck_assert_uint_eq(s1[0].conns, s1[1].conns);
}

/* Packet @i of the last burst had state @st and its connection's @mark
 * (in the key too when the burst set it). */
static void hd_expect(const struct hd *h, unsigned int i, uint8_t st, uint32_t mark)
{
	ck_assert_msg(h->st[i] == st, "packet %u: ct_state %#x, want %#x", i, h->st[i], st);
	ck_assert_msg(h->meta[i].mark == mark, "packet %u: mark %#x, want %#x", i, h->meta[i].mark,
		      mark);
	if (h->key_mark)
		ck_assert_uint_eq(h->ct_mark[i], mark);
}

/* @n client packets, clients @c0.. @c0 + @nc - 1 in turn. */
static unsigned int hd_mix(struct hp *b, unsigned int n, uint16_t c0, uint16_t nc)
{
	for (unsigned int i = 0; i < n; i++)
		b[i] = (struct hp){.c = (uint16_t)(c0 + i % nc)};
	return n;
}

/* Both tables' connections alike, in the same order; the templates'
 * expiry may lag the general way's by up to @lag_ms (a hot copy serves
 * packets without writing the entry's, up to its slack). */
static void hd_same_conns(const struct hd *h, uint64_t lag_ms)
{
	struct evs_ct_conn_info x, y;
	uint32_t p0 = 0, p1 = 0;
	int r0, r1;

	for (;;) {
		memset(&x, 0, sizeof(x));
		memset(&y, 0, sizeof(y));
		r0 = evs_ct_iterate(h->t[0], &p0, &x);
		r1 = evs_ct_iterate(h->t[1], &p1, &y);
		ck_assert_int_eq(r0, r1);
		if (r0 != 0)
			return;
		ck_assert_mem_eq(&x.orig, &y.orig, sizeof(x.orig));
		ck_assert_mem_eq(&x.reply, &y.reply, sizeof(x.reply));
		ck_assert_uint_eq(x.zone, y.zone);
		ck_assert_uint_eq(x.seen_reply, y.seen_reply);
		ck_assert_uint_eq(x.assured, y.assured);
		ck_assert_uint_eq(x.mark, y.mark);
		ck_assert_uint_eq(x.backend, y.backend);
		ck_assert_msg(x.expires_ms <= y.expires_ms && y.expires_ms - x.expires_ms <= lag_ms,
			      "sport %u: expires %lu, the general way's %lu (lag up to %lu)",
			      rte_be_to_cpu_16(x.orig.sport), (unsigned long)x.expires_ms,
			      (unsigned long)y.expires_ms, (unsigned long)lag_ms);
	}
}

/* The expiry table @k holds for client @c's connection, 0: none. */
static uint64_t hd_expires(const struct hd *h, unsigned int k, uint16_t c)
{
	struct evs_ct_conn_info ci;
	uint32_t pos = 0;

	while (evs_ct_iterate(h->t[k], &pos, &ci) == 0)
		if (ci.orig.sport == rte_cpu_to_be_16(h->port[c]))
			return ci.expires_ms;
	return 0;
}

/* The clock's wheel step on both tables (expired connections reaped). */
static void hd_expire(struct hd *h)
{
	for (unsigned int k = 0; k < 2; k++) {
		evs_ct_lcore_set_now(h->l[k], h->now);
		while (evs_ct_expire(h->l[k], 1000) > 0)
			;
	}
}

/*
 * Commit clients @c0.. @c0 + @nc - 1 (@nc <= 32), replied to and assured
 * when @replied, then put their hot copies (a burst the usual way) and
 * see the next burst served from them whole.
 */
static void hd_open(struct hd *h, uint16_t c0, uint16_t nc, bool replied)
{
	uint8_t want = replied ? CT_EST | EVS_CT_DNAT : CT_NEW | EVS_CT_DNAT;
	struct hp b[EVS_CT_BURST_MAX];
	unsigned int i, n;

	ck_assert_uint_le(nc, 32);
	n = hd_mix(b, nc, c0, nc);
	hd_burst(h, b, n);
	ck_assert_uint_eq(h->d[EVS_CT_C_CREATED], nc);
	for (i = 0; i < n; i++)
		ck_assert_uint_eq(h->st[i], CT_NEW | EVS_CT_DNAT);
	if (replied) {
		for (i = 0; i < n; i++)
			b[i].reply = true;
		hd_burst(h, b, n);
		for (i = 0; i < n; i++)
			ck_assert_uint_eq(h->st[i], CT_RPL | EVS_CT_SNAT);
		for (i = 0; i < n; i++)
			b[i].reply = false;
		hd_burst(h, b, n); /* assured (the locked way) */
		for (i = 0; i < n; i++)
			ck_assert_uint_eq(h->st[i], CT_EST | EVS_CT_DNAT);
	}
	/* no copy yet: the usual way, which puts them */
	n = hd_mix(b, 2 * nc, c0, nc);
	hd_burst(h, b, n);
	ck_assert_uint_eq(h->d[EVS_CT_C_HOT_HIT], 0);
	hd_burst(h, b, n);
	ck_assert_uint_eq(h->d[EVS_CT_C_HOT_HIT], n);
	ck_assert_uint_eq(h->d[EVS_CT_C_HIT], n);
	for (i = 0; i < n; i++)
		ck_assert_uint_eq(h->st[i], want);
}

/*
 * Unreplied connections with copies (+new), then their backends answer
 * half of them (seen-reply, the locked way), then the clients go on: the
 * first packet of each answered one is assured the usual way, +est from
 * then on, never +new from the copy put before the reply; the others stay
 * +new from their copies.
 */
START_TEST(test_hot_reply_after_copy)
{
	struct hd h;
	struct hp b[EVS_CT_BURST_MAX];
	unsigned int i, n = 0;

	hd_init(&h, "hd1", 1024);
	hd_open(&h, 0, 8, false);
	for (i = 0; i < 4; i++)
		b[n++] = (struct hp){.c = (uint16_t)i, .reply = true};
	for (i = 0; i < 12; i++)
		b[n++] = (struct hp){.c = (uint16_t)(4 + i % 4)};
	hd_burst(&h, b, n);
	for (i = 0; i < n; i++)
		hd_expect(&h, i, b[i].reply ? CT_RPL | EVS_CT_SNAT : CT_NEW | EVS_CT_DNAT, 0);
	ck_assert_uint_eq(h.d[EVS_CT_C_HOT_HIT], 12);
	ck_assert_uint_eq(h.d[EVS_CT_C_CREATED], 0);
	for (unsigned int round = 0; round < 2; round++) {
		n = hd_mix(b, 32, 0, 8);
		hd_burst(&h, b, n);
		for (i = 0; i < n; i++)
			hd_expect(&h, i, b[i].c < 4 ? CT_EST | EVS_CT_DNAT : CT_NEW | EVS_CT_DNAT,
				  0);
		/* the answered ones' copies went with the reply: put again by
		 * this burst, serving the next */
		ck_assert_uint_eq(h.d[EVS_CT_C_HOT_HIT], round == 0 ? 16 : 32);
		ck_assert_uint_eq(h.d[EVS_CT_C_HIT], 32);
		ck_assert_uint_eq(h.d[EVS_CT_C_CREATED], 0);
	}
	hd_same_conns(&h, 0);
	hd_fini(&h);
}
END_TEST

/*
 * A reply and the client's next packets in one burst: in order, as the
 * general way takes them (the reply sets seen-reply, the packet after it
 * assures, +est). The copy put before the reply must not serve them.
 */
START_TEST(test_hot_reply_in_same_burst)
{
	struct hd h;
	struct hp b[EVS_CT_BURST_MAX];
	unsigned int i, n = 0;

	hd_init(&h, "hd1b", 1024);
	hd_open(&h, 0, 8, false);
	/* each of 0-3: a packet, its backend's answer, three more; 4-7 between */
	for (i = 0; i < 4; i++) {
		b[n++] = (struct hp){.c = (uint16_t)i};
		b[n++] = (struct hp){.c = (uint16_t)i, .reply = true};
		b[n++] = (struct hp){.c = (uint16_t)(4 + i)};
		for (unsigned int j = 0; j < 3; j++)
			b[n++] = (struct hp){.c = (uint16_t)i};
	}
	hd_burst(&h, b, n);
	for (i = 0; i < n; i++) {
		bool after = i % 6 >= 3; /* the client's packets after its reply */
		uint8_t want = b[i].reply ? CT_RPL | EVS_CT_SNAT
			       : after	  ? CT_EST | EVS_CT_DNAT
					  : CT_NEW | EVS_CT_DNAT;

		hd_expect(&h, i, want, 0);
	}
	hd_same_conns(&h, 0);
	hd_fini(&h);
}
END_TEST

/*
 * A commit setting the mark (the locked way: no copy serves its burst) on
 * established connections with copies, from the client's side and from
 * the backend's: the next template packets carry the new mark, in the
 * metadata and in the key's ct_mark, never the copy's old one.
 */
START_TEST(test_hot_mark_change)
{
	struct hd h;
	struct hp b[EVS_CT_BURST_MAX];
	struct evs_ct_action plain[2];
	unsigned int i, k, n;

	hd_init(&h, "hd2", 1024);
	h.key_mark = true;
	hd_open(&h, 0, 8, true);
	memcpy(plain, h.a, sizeof(plain));
	for (k = 0; k < 2; k++) {
		h.a[k].flags |= EVS_CT_F_SET_MARK;
		h.a[k].mark = 0x5a5a;
		h.a[k].mark_mask = 0xffff;
	}
	n = hd_mix(b, 8, 0, 4); /* 0-3, twice */
	hd_burst(&h, b, n);
	for (i = 0; i < n; i++)
		hd_expect(&h, i, CT_EST | EVS_CT_DNAT, 0x5a5a);
	ck_assert_uint_eq(h.d[EVS_CT_C_HOT_HIT], 0);
	memcpy(h.a, plain, sizeof(plain));
	for (unsigned int round = 0; round < 2; round++) {
		n = hd_mix(b, 32, 0, 8);
		hd_burst(&h, b, n);
		for (i = 0; i < n; i++)
			hd_expect(&h, i, CT_EST | EVS_CT_DNAT, b[i].c < 4 ? 0x5a5a : 0);
		ck_assert_uint_eq(h.d[EVS_CT_C_HOT_HIT], round == 0 ? 16 : 32);
	}
	/* client 5's backend answers with a commit that sets the low byte */
	for (k = 0; k < 2; k++) {
		h.a[k].flags |= EVS_CT_F_SET_MARK;
		h.a[k].mark = 0x77;
		h.a[k].mark_mask = 0xff;
	}
	b[0] = (struct hp){.c = 5, .reply = true};
	hd_burst(&h, b, 1);
	hd_expect(&h, 0, CT_RPL | EVS_CT_SNAT, 0x77);
	/* and client 1's sets bits over its mark */
	for (k = 0; k < 2; k++) {
		h.a[k].mark = 0x1200;
		h.a[k].mark_mask = 0xff00;
	}
	b[0] = (struct hp){.c = 1};
	hd_burst(&h, b, 1);
	hd_expect(&h, 0, CT_EST | EVS_CT_DNAT, 0x125a);
	memcpy(h.a, plain, sizeof(plain));
	for (unsigned int round = 0; round < 2; round++) {
		n = hd_mix(b, 32, 0, 8);
		hd_burst(&h, b, n);
		for (i = 0; i < n; i++)
			hd_expect(&h, i, CT_EST | EVS_CT_DNAT,
				  b[i].c == 1	? 0x125a
				  : b[i].c == 5 ? 0x77
				  : b[i].c < 4	? 0x5a5a
						: 0);
		ck_assert_uint_eq(h.d[EVS_CT_C_HOT_HIT], round == 0 ? 24 : 32);
	}
	hd_same_conns(&h, 0);
	hd_fini(&h);
}
END_TEST

static bool mark_is_99(uint32_t mark, const uint8_t label[16], void *arg)
{
	RTE_SET_USED(label);
	RTE_SET_USED(arg);
	return mark == 0x99;
}

/* Set zone @zone on both actions. */
static void hd_zone(struct hd *h, uint16_t zone)
{
	h->a[0].zone = h->a[1].zone = zone;
}

/*
 * Flushes of connections with copies: a zone's, by mark, all. Their next
 * packets find no connection and commit a new one (to another backend:
 * a stale copy would send them to the old one), never a hit from a copy;
 * the connections not flushed go on from theirs.
 */
START_TEST(test_hot_flush)
{
	struct hd h;
	struct hp b[EVS_CT_BURST_MAX];
	uint16_t old[HD_CLIENTS];
	unsigned int i, k, n;

	hd_init(&h, "hd3", 1024);
	hd_open(&h, 0, 12, true);
	hd_zone(&h, 7);
	hd_open(&h, 12, 12, true);
	memcpy(old, h.slot, sizeof(old));
	/* zone 7's */
	for (k = 0; k < 2; k++)
		ck_assert_uint_eq(evs_ct_flush(h.t[k], 7), 12);
	h.gen = 1;
	n = hd_mix(b, 36, 12, 12);
	hd_burst(&h, b, n);
	for (i = 0; i < n; i++) {
		hd_expect(&h, i, CT_NEW | EVS_CT_DNAT, 0);
		ck_assert_uint_eq(h.meta[i].known, i >= 12);
		ck_assert_uint_ne(h.meta[i].backend, old[b[i].c]);
	}
	ck_assert_uint_eq(h.d[EVS_CT_C_CREATED], 12);
	ck_assert_uint_eq(h.d[EVS_CT_C_HOT_HIT], 0);
	hd_zone(&h, 0);
	n = hd_mix(b, 36, 0, 12);
	hd_burst(&h, b, n);
	for (i = 0; i < n; i++)
		hd_expect(&h, i, CT_EST | EVS_CT_DNAT, 0);
	ck_assert_uint_eq(h.d[EVS_CT_C_HOT_HIT], 36);
	ck_assert_uint_eq(h.d[EVS_CT_C_CREATED], 0);

	/* by mark: 0-5 marked (copies dropped, then put again with it) */
	for (k = 0; k < 2; k++) {
		h.a[k].flags |= EVS_CT_F_SET_MARK;
		h.a[k].mark = 0x99;
		h.a[k].mark_mask = ~0u;
	}
	n = hd_mix(b, 6, 0, 6);
	hd_burst(&h, b, n);
	for (k = 0; k < 2; k++)
		h.a[k].flags &= (uint16_t)~EVS_CT_F_SET_MARK;
	n = hd_mix(b, 24, 0, 12);
	hd_burst(&h, b, n);
	hd_burst(&h, b, n);
	ck_assert_uint_eq(h.d[EVS_CT_C_HOT_HIT], 24);
	for (i = 0; i < n; i++)
		hd_expect(&h, i, CT_EST | EVS_CT_DNAT, b[i].c < 6 ? 0x99 : 0);
	memcpy(old, h.slot, sizeof(old));
	for (k = 0; k < 2; k++)
		ck_assert_uint_eq(evs_ct_flush_match(h.t[k], 0, mark_is_99, NULL), 6);
	h.gen = 2;
	n = hd_mix(b, 36, 0, 12);
	hd_burst(&h, b, n);
	for (i = 0; i < n; i++) {
		hd_expect(&h, i, b[i].c < 6 ? CT_NEW | EVS_CT_DNAT : CT_EST | EVS_CT_DNAT, 0);
		if (b[i].c < 6)
			ck_assert_uint_ne(h.meta[i].backend, old[b[i].c]);
	}
	ck_assert_uint_eq(h.d[EVS_CT_C_CREATED], 6);
	ck_assert_uint_eq(h.d[EVS_CT_C_HOT_HIT], 18); /* 6-11's alone */

	/* all of them: zone 0's copies (0-5's put by the next burst: their
	 * commit's burst puts none) and zone 7's */
	hd_burst(&h, b, n);
	ck_assert_uint_eq(h.d[EVS_CT_C_HOT_HIT], 18);
	hd_burst(&h, b, n);
	ck_assert_uint_eq(h.d[EVS_CT_C_HOT_HIT], 36);
	hd_zone(&h, 7);
	n = hd_mix(b, 24, 12, 12);
	hd_burst(&h, b, n);
	hd_burst(&h, b, n);
	ck_assert_uint_eq(h.d[EVS_CT_C_HOT_HIT], 24);
	for (k = 0; k < 2; k++)
		ck_assert_uint_eq(evs_ct_flush(h.t[k], -1), 24);
	h.gen = 0;
	for (uint16_t z = 0; z <= 7; z += 7) {
		hd_zone(&h, z);
		memcpy(old, h.slot, sizeof(old));
		n = hd_mix(b, 24, z == 0 ? 0 : 12, 12);
		hd_burst(&h, b, n);
		for (i = 0; i < n; i++) {
			hd_expect(&h, i, CT_NEW | EVS_CT_DNAT, 0);
			ck_assert_uint_eq(h.meta[i].known, i >= 12);
		}
		ck_assert_uint_eq(h.d[EVS_CT_C_CREATED], 12);
		ck_assert_uint_eq(h.d[EVS_CT_C_HOT_HIT], 0);
	}
	hd_same_conns(&h, 0);
	hd_fini(&h);
}
END_TEST

/*
 * Expiry. Within the slack (a 16th of the timeout: 7.5 s of the replied
 * 120 s) a copy serves its connection's packets and the entry's expiry is
 * not written; past it the copy still serves a live connection and writes
 * the entry's expiry and its own, no lookup. Past the timeout a copy never serves: the
 * connection, timed out but not yet reaped, is committed anew as the
 * general way does, to another backend; reaped by the wheel, likewise.
 */
START_TEST(test_hot_expiry)
{
	struct hd h;
	struct hp b[EVS_CT_BURST_MAX];
	uint64_t e0, put;
	unsigned int i, n;
	uint16_t c;

	hd_init(&h, "hd4", 1024);
	hd_open(&h, 0, 8, true);
	put = h.now;
	e0 = grain_up(put + 120 * 1000);
	for (c = 0; c < 8; c++)
		ck_assert_uint_eq(hd_expires(&h, 0, c), e0);
	n = hd_mix(b, 32, 0, 8);
	for (uint64_t dt = 1000; dt <= 6000; dt += 2500) {
		h.now = put + dt;
		hd_burst(&h, b, n);
		ck_assert_uint_eq(h.d[EVS_CT_C_HOT_HIT], 32);
		for (i = 0; i < n; i++)
			hd_expect(&h, i, CT_EST | EVS_CT_DNAT, 0);
		for (c = 0; c < 8; c++) {
			ck_assert_uint_eq(hd_expires(&h, 0, c), e0);
			ck_assert_uint_eq(hd_expires(&h, 1, c), grain_up(h.now + 120 * 1000));
		}
		hd_same_conns(&h, 7500);
	}
	/* past the slack: served, the entries' expiry written, then served again */
	h.now = put + 8000;
	hd_burst(&h, b, n);
	ck_assert_uint_eq(h.d[EVS_CT_C_HOT_HIT], 32);
	ck_assert_uint_eq(h.d[EVS_CT_C_HIT], 32);
	for (c = 0; c < 8; c++)
		ck_assert_uint_eq(hd_expires(&h, 0, c), grain_up(h.now + 120 * 1000));
	hd_same_conns(&h, 0);
	hd_burst(&h, b, n);
	ck_assert_uint_eq(h.d[EVS_CT_C_HOT_HIT], 32);

	/* past the timeout, not reaped (no wheel step): new connections */
	h.now += 120 * 1000 + 1000;
	h.gen = 1;
	hd_burst(&h, b, n);
	for (i = 0; i < n; i++) {
		hd_expect(&h, i, CT_NEW | EVS_CT_DNAT, 0);
		ck_assert_uint_eq(h.meta[i].known, i >= 8);
		ck_assert_uint_eq(h.meta[i].backend, 1 + (h.port[b[i].c] + 1) % 3);
	}
	ck_assert_uint_eq(h.d[EVS_CT_C_CREATED], 8);
	ck_assert_uint_eq(h.d[EVS_CT_C_HOT_HIT], 0);
	ck_assert_uint_eq(h.d[EVS_CT_C_MISS], 8);
	/* unreplied now: their copies (30 s class) put, then serving */
	hd_burst(&h, b, n);
	ck_assert_uint_eq(h.d[EVS_CT_C_HOT_HIT], 0);
	hd_burst(&h, b, n);
	ck_assert_uint_eq(h.d[EVS_CT_C_HOT_HIT], 32);
	for (i = 0; i < n; i++)
		hd_expect(&h, i, CT_NEW | EVS_CT_DNAT, 0);

	/* past the unreplied timeout, reaped by the wheel */
	h.now += 30 * 1000 + 1000;
	hd_expire(&h);
	h.gen = 2;
	hd_burst(&h, b, n);
	for (i = 0; i < n; i++) {
		hd_expect(&h, i, CT_NEW | EVS_CT_DNAT, 0);
		ck_assert_uint_eq(h.meta[i].backend, 1 + (h.port[b[i].c] + 2) % 3);
	}
	ck_assert_uint_eq(h.d[EVS_CT_C_CREATED], 8);
	ck_assert_uint_eq(h.d[EVS_CT_C_HOT_HIT], 0);
	hd_same_conns(&h, 0);
	hd_fini(&h);
}
END_TEST

/*
 * The zone's UDP timeouts lowered (120 s replied to 10, 30 s unreplied to
 * 4) while copies written with the old ones exist: the copies serve the
 * live connections and bring the entries' expiry down to the new timeout
 * (no copy keeps a connection to its old one), and once that passes the
 * connections are new again, as the general way has them.
 */
START_TEST(test_hot_zone_timeouts_lowered)
{
	struct evs_ct_zone_conf zc;
	struct hd h;
	struct hp b[EVS_CT_BURST_MAX];
	unsigned int i, k, n;
	uint16_t c;

	hd_init(&h, "hd5", 1024);
	hd_open(&h, 0, 6, true);
	hd_open(&h, 6, 6, false);
	h.now += 1000;
	n = hd_mix(b, 36, 0, 12);
	hd_burst(&h, b, n); /* all served: within the old slack */
	ck_assert_uint_eq(h.d[EVS_CT_C_HOT_HIT], 36);
	evs_ct_zone_conf_default(&zc);
	zc.timeouts.udp_replied = 10;
	zc.timeouts.udp_unreplied = 4;
	for (k = 0; k < 2; k++)
		ck_assert_int_eq(evs_ct_zone_set(h.t[k], 0, &zc), 0);
	h.now += 1000;
	hd_burst(&h, b, n);
	ck_assert_uint_eq(h.d[EVS_CT_C_HOT_HIT], 36);
	for (i = 0; i < n; i++)
		hd_expect(&h, i, b[i].c < 6 ? CT_EST | EVS_CT_DNAT : CT_NEW | EVS_CT_DNAT, 0);
	for (c = 0; c < 12; c++)
		ck_assert_uint_eq(hd_expires(&h, 0, c), grain_up(h.now + (c < 6 ? 10 : 4) * 1000));
	hd_same_conns(&h, 0);
	hd_burst(&h, b, n); /* the copies with the new expiry serve */
	ck_assert_uint_eq(h.d[EVS_CT_C_HOT_HIT], 36);

	/* 5 s on: the unreplied ones timed out (not reaped), the others not:
	 * served by their copies, past the new slack, their expiry written */
	h.now += 5000;
	hd_burst(&h, b, n);
	for (i = 0, k = 0; i < n; i++) {
		hd_expect(&h, i, b[i].c < 6 ? CT_EST | EVS_CT_DNAT : CT_NEW | EVS_CT_DNAT, 0);
		ck_assert_uint_eq(h.meta[i].known, b[i].c < 6 || i >= 12);
		k += b[i].c < 6;
	}
	ck_assert_uint_gt(k, 0);
	ck_assert_uint_eq(h.d[EVS_CT_C_CREATED], 6);
	ck_assert_uint_eq(h.d[EVS_CT_C_HOT_HIT], k);
	for (c = 0; c < 6; c++)
		ck_assert_uint_eq(hd_expires(&h, 0, c), grain_up(h.now + 10 * 1000));
	hd_same_conns(&h, 0);

	/* 11 s on: all of them */
	h.now += 11000;
	hd_burst(&h, b, n);
	for (i = 0; i < n; i++)
		hd_expect(&h, i, CT_NEW | EVS_CT_DNAT, 0);
	ck_assert_uint_eq(h.d[EVS_CT_C_CREATED], 12);
	ck_assert_uint_eq(h.d[EVS_CT_C_HOT_HIT], 0);
	hd_same_conns(&h, 0);
	hd_fini(&h);
}
END_TEST

#define HD_CROWD 60

static bool mark_is_abc(uint32_t mark, const uint8_t label[16], void *arg)
{
	RTE_SET_USED(label);
	RTE_SET_USED(arg);
	return mark == 0xabc;
}

/*
 * A table of 64 connections (64 lines of two records) holding 60, all of
 * one client address (their copies' first word alike), each with its own
 * mark, on three backends, half replied to: some lines are asked for
 * more than two. Random bursts of originals and (to the replied) replies
 * with the clock moving: every packet as the general way has it, with its
 * own connection's mark and backend; many served from copies, some never
 * (no record for them).
 */
START_TEST(test_hot_crowded_lines)
{
	struct hd h;
	struct hp b[EVS_CT_BURST_MAX];
	uint64_t hot = 0, tpl_like = 0;
	unsigned int i, k, r, n;
	uint16_t c;

	hd_init(&h, "hd6", 64);
	for (c = 0; c < HD_CROWD; c++) {
		snprintf(h.ip[c], sizeof(h.ip[c]), "10.2.0.1");
		h.port[c] = (uint16_t)(2000 + 7 * c);
	}
	/* one commit each, setting its mark */
	for (c = 0; c < HD_CROWD; c++) {
		for (k = 0; k < 2; k++) {
			h.a[k].flags |= EVS_CT_F_SET_MARK;
			h.a[k].mark = 0x100u + c;
			h.a[k].mark_mask = ~0u;
		}
		b[0] = (struct hp){.c = c};
		hd_burst(&h, b, 1);
		hd_expect(&h, 0, CT_NEW | EVS_CT_DNAT, 0x100u + c);
	}
	for (k = 0; k < 2; k++)
		h.a[k].flags &= (uint16_t)~EVS_CT_F_SET_MARK;
	/* the even ones answered, then assured */
	for (i = 0; i < HD_CROWD / 2; i++)
		b[i] = (struct hp){.c = (uint16_t)(2 * i), .reply = true};
	hd_burst(&h, b, HD_CROWD / 2);
	for (i = 0; i < HD_CROWD / 2; i++)
		b[i].reply = false;
	hd_burst(&h, b, HD_CROWD / 2);
	srand(61);
	for (r = 0; r < 40; r++) {
		h.now += 100u * (unsigned int)(rand() % 8);
		n = 48;
		for (i = 0; i < n; i++) {
			c = (uint16_t)(rand() % HD_CROWD);
			b[i] = (struct hp){.c = c, .reply = c % 2 == 0 && rand() % 6 == 0};
			tpl_like += !b[i].reply;
		}
		hd_burst(&h, b, n);
		for (i = 0; i < n; i++) {
			c = b[i].c;
			hd_expect(&h, i,
				  b[i].reply   ? CT_RPL | EVS_CT_SNAT
				  : c % 2 == 0 ? CT_EST | EVS_CT_DNAT
					       : CT_NEW | EVS_CT_DNAT,
				  0x100u + c);
			ck_assert_uint_eq(h.meta[i].backend, h.slot[c]);
		}
		hot += h.d[EVS_CT_C_HOT_HIT];
		hd_same_conns(&h, 7500);
	}
	ck_assert_uint_gt(hot, tpl_like / 4);
	/* all of them at one instant, twice: the second burst served but for
	 * the connections whose line had no record left for them */
	n = hd_mix(b, HD_CROWD, 0, HD_CROWD);
	hd_burst(&h, b, n);
	hd_burst(&h, b, n);
	for (i = 0; i < n; i++)
		hd_expect(&h, i, i % 2 == 0 ? CT_EST | EVS_CT_DNAT : CT_NEW | EVS_CT_DNAT,
			  0x100u + i);
	ck_assert_uint_gt(h.d[EVS_CT_C_HOT_HIT], HD_CROWD / 2);
	ck_assert_uint_lt(h.d[EVS_CT_C_HOT_HIT], HD_CROWD);

	/* changes under copies in crowded lines (either record of a line):
	 * the odd ones answered, then assured */
	for (i = 0; i < HD_CROWD / 2; i++)
		b[i] = (struct hp){.c = (uint16_t)(2 * i + 1), .reply = true};
	hd_burst(&h, b, HD_CROWD / 2);
	n = hd_mix(b, HD_CROWD, 0, HD_CROWD);
	for (r = 0; r < 2; r++) {
		hd_burst(&h, b, n);
		for (i = 0; i < n; i++)
			hd_expect(&h, i, CT_EST | EVS_CT_DNAT, 0x100u + i);
	}
	/* every third one's mark set by a commit */
	for (k = 0; k < 2; k++) {
		h.a[k].flags |= EVS_CT_F_SET_MARK;
		h.a[k].mark = 0xabc;
		h.a[k].mark_mask = ~0u;
	}
	for (i = 0; i < HD_CROWD / 3; i++)
		b[i] = (struct hp){.c = (uint16_t)(3 * i)};
	hd_burst(&h, b, HD_CROWD / 3);
	for (k = 0; k < 2; k++)
		h.a[k].flags &= (uint16_t)~EVS_CT_F_SET_MARK;
	n = hd_mix(b, HD_CROWD, 0, HD_CROWD);
	for (r = 0; r < 2; r++) {
		hd_burst(&h, b, n);
		for (i = 0; i < n; i++)
			hd_expect(&h, i, CT_EST | EVS_CT_DNAT, i % 3 == 0 ? 0xabc : 0x100u + i);
	}
	ck_assert_uint_gt(h.d[EVS_CT_C_HOT_HIT], HD_CROWD / 2);
	/* and flushed by it: committed anew, to other backends */
	for (k = 0; k < 2; k++)
		ck_assert_uint_eq(evs_ct_flush_match(h.t[k], 0, mark_is_abc, NULL), HD_CROWD / 3);
	hd_expire(&h); /* their entries back for the commits */
	h.gen = 1;
	for (r = 0; r < 2; r++) {
		hd_burst(&h, b, n);
		for (i = 0; i < n; i++) {
			hd_expect(&h, i, i % 3 == 0 ? CT_NEW | EVS_CT_DNAT : CT_EST | EVS_CT_DNAT,
				  i % 3 == 0 ? 0 : 0x100u + i);
			ck_assert_uint_eq(h.meta[i].backend, h.slot[i]);
		}
		ck_assert_uint_eq(h.d[EVS_CT_C_CREATED], r == 0 ? HD_CROWD / 3 : 0);
	}
	hd_same_conns(&h, 7500);
	hd_fini(&h);
}
END_TEST

void ct_hot_dp_add_cases(Suite *s)
{
	const struct unit_case cases[] = {
	    {"hot_reply_after_copy", test_hot_reply_after_copy},
	    {"hot_mark_change", test_hot_mark_change},
	    {"hot_flush", test_hot_flush},
	    {"hot_expiry", test_hot_expiry},
	    {"hot_zone_timeouts_lowered", test_hot_zone_timeouts_lowered},
	    {"hot_crowded_lines", test_hot_crowded_lines},
	    {"hot_reply_in_same_burst", test_hot_reply_in_same_burst},
	};

	unit_add_cases(s, cases, RTE_DIM(cases), ct_setup, ct_teardown, 0);
}
