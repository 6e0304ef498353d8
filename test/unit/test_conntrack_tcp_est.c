/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Established TCP without hit()'s general steps (ct_exec.c: hit_tcp, the
 * windows by ct_tcp_established_ack): two tables with the same history,
 * one under an action that leaves the entry's mark alone (the shortcut)
 * and one whose commit asks to set it with an empty mask (the general,
 * locked way; the mark stays as it is) and without the backend slots'
 * templates (the rewrite from the reply key). Random bursts of segments of
 * DNATed IPv4 and IPv6 connections both ways, in window and not, old
 * ones, ACKs of unsent data, FINs, RSTs, stray SYNs, URG, ECE/CWR, zero
 * windows, with the clock moving: the same states, frames, keys,
 * metadata, counters and connections.
 */
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct_test.h"
#include "unit_case.h"

#define CONNS 40
#define BURST 32
#define ROUNDS 120

struct tconn {
	char cli[48];
	bool v6;
	bool midstream;	     /* picked up by an ACK: established, liberal, new until a reply */
	uint16_t port;	     /* the client's: a new one each time it starts over */
	uint32_t cseq, sseq; /* next sequence number of each side */
	uint16_t cwin, swin;
};

static const char *vip_of(const struct tconn *c)
{
	return c->v6 ? "fd00::100" : "10.0.0.100";
}

static const char *backend_of(const struct tconn *c)
{
	return c->v6 ? "fd00::1:1" : "10.0.1.1";
}

/* A segment of connection @c from the client or the backend. */
static struct spec seg(const struct tconn *c, bool from_client, uint8_t flags, uint32_t seq,
		       uint32_t ack, uint16_t payload)
{
	struct spec s = {.proto = IPPROTO_TCP,
			 .flags = flags,
			 .seq = seq,
			 .ack = ack,
			 .win = from_client ? c->cwin : c->swin,
			 .payload = payload};
	uint16_t cport = c->port;

	s.src = from_client ? c->cli : backend_of(c);
	s.dst = from_client ? vip_of(c) : c->cli;
	s.sport = from_client ? cport : 8080;
	s.dport = from_client ? 80 : cport;
	return s;
}

/* A random connection's next segment: mostly the usual in-window data or
 * ACKs, each direction; the rest what the windows and the state machine
 * judge. */
static struct spec pick(struct tconn *conns)
{
	unsigned int what = (unsigned int)rand() % 100;
	struct tconn *c;
	uint16_t len = (uint16_t)(rand() % 3 == 0 ? 0 : rand() % 200);
	bool cl = rand() % 2 == 0;
	uint8_t extra[] = {0, PSH, 0x20 /* URG */, 0x40 /* ECE */, 0x80 /* CWR */};
	struct spec s;

	c = &conns[rand() % CONNS];
	uint32_t *mine = cl ? &c->cseq : &c->sseq, theirs = cl ? c->sseq : c->cseq;

	if (what < 60) { /* in window, perhaps with PSH or another bit */
		s = seg(c, cl, (uint8_t)(ACK | extra[rand() % 5]), *mine, theirs, len);
		*mine += len;
	} else if (what < 66) { /* old data sent again */
		s = seg(c, cl, ACK, *mine - 300, theirs, 100);
	} else if (what < 72) { /* far past the window */
		s = seg(c, cl, ACK, *mine + 10000000, theirs, 10);
	} else if (what < 77) { /* acknowledging data never sent */
		s = seg(c, cl, ACK, *mine, theirs + 200000, 0);
	} else if (what < 82) { /* a window closes, then opens */
		if (cl)
			c->cwin = c->cwin == 0 ? 29200 : 0;
		else
			c->swin = c->swin == 0 ? 29200 : 0;
		s = seg(c, cl, ACK, *mine, theirs, 0);
	} else if (what < 86) { /* a FIN: the connection leaves ESTABLISHED */
		s = seg(c, cl, FIN | ACK, *mine, theirs, 0);
		*mine += 1;
	} else if (what < 88) { /* a reset */
		s = seg(c, cl, RST | ACK, *mine, theirs, 0);
	} else if (what < 91) { /* a stray SYN inside the connection */
		s = seg(c, cl, SYN, *mine + 5, 0, 0);
	} else if (what < 94) { /* flags no state machine takes */
		s = seg(c, cl, SYN | FIN | ACK, *mine, theirs, 0);
	} else { /* a segment overshooting the window a little */
		s = seg(c, cl, ACK, *mine, theirs, 1400);
		*mine += 1400;
	}
	return s;
}

/* The TCP state of the connection from client port @port, -1 none. */
static int state_of(const struct evs_ct *t, uint16_t port)
{
	struct evs_ct_conn_info ci;
	uint32_t p = 0;

	while (evs_ct_iterate(t, &p, &ci) == 0)
		if (ci.orig.sport == rte_cpu_to_be_16(port))
			return ci.proto_state;
	return -1;
}

/* The handshake through @l under @a, DNATed to the connection's backend. */
static void open_conn(const struct tconn *c, struct evs_ct_lcore *l, struct evs_ct_action *a)
{
	struct spec s = seg(c, true, SYN, c->cseq - 1, 0, 0);

	a->nat.v6 = c->v6;
	a->backend = c->v6 ? 2 : 1; /* the template slot of its backend */
	addr(backend_of(c), a->nat.addr_min);
	addr(backend_of(c), a->nat.addr_max);
	lc = l;
	if (c->midstream) {
		s = seg(c, true, ACK, c->cseq, c->sseq, 0);
		ck_assert_uint_eq(send1(&s, a), CT_NEW | EVS_CT_DNAT);
		return;
	}
	ck_assert_uint_eq(send1(&s, a), CT_NEW | EVS_CT_DNAT);
	s = seg(c, false, SYN | ACK, c->sseq - 1, c->cseq, 0);
	ck_assert_uint_eq(send1(&s, a), CT_RPL | EVS_CT_SNAT);
	s = seg(c, true, ACK, c->cseq, c->sseq, 0);
	ck_assert_uint_eq(send1(&s, a), CT_EST | EVS_CT_DNAT);
}

START_TEST(test_tcp_established_vs_general)
{
	struct evs_ct *t[2] = {new_table("ta", 1024, 1), new_table("tb", 1024, 1)};
	struct evs_ct_lcore *l[2] = {evs_ct_lcore_get(t[0], 0), evs_ct_lcore_get(t[1], 0)};
	struct tconn conns[CONNS], start[CONNS];
	struct evs_ct_action a[2];
	struct evs_ct_nat_tpl tp[3];
	uint8_t b[16], vip[16], other[16];
	unsigned int c, r, i, k, est = 0, inv = 0, restarts = 0;
	uint64_t now = T0;

	for (k = 0; k < 2; k++) {
		a[k] = act_commit(0);
		a[k].flags |= EVS_CT_F_NAT;
		a[k].nat.kind = EVS_CT_NAT_DST;
		a[k].nat.port_min = a[k].nat.port_max = 8080;
	}
	/* the shortcut's table has the templates: slot 1 IPv4, 2 IPv6 */
	memset(tp, 0, sizeof(tp));
	addr("10.0.1.1", b);
	evs_ct_nat_tpl_init(&tp[1], b, 8080, false);
	addr("fd00::1:1", b);
	evs_ct_nat_tpl_init(&tp[2], b, 8080, true);
	addr("10.0.0.100", vip);
	addr("10.0.0.101", other);
	a[0].nat_tpl = tp;
	a[0].n_nat_tpl = 3;
	/* the general way: a commit that would set the mark, with no bit of it */
	a[1].flags |= EVS_CT_F_SET_MARK;
	a[1].mark = 0x5a;
	a[1].mark_mask = 0;
	srand(4242);
	for (c = 0; c < CONNS; c++) {
		struct tconn *x = &conns[c];

		x->v6 = c % 4 == 3;
		x->midstream = c % 5 == 1;
		if (x->v6)
			snprintf(x->cli, sizeof(x->cli), "fd00::2:%x", c + 1);
		else
			snprintf(x->cli, sizeof(x->cli), "10.2.0.%u", c + 1);
		x->cseq = (uint32_t)rand() | 1;
		x->sseq = (uint32_t)rand() | 1;
		x->cwin = x->swin = 29200;
		x->port = (uint16_t)(20000 + c);
		start[c] = *x;
		for (k = 0; k < 2; k++) {
			conns[c] = start[c];
			open_conn(&conns[c], l[k], &a[k]);
		}
	}
	for (r = 0; r < ROUNDS; r++) {
		struct spec sp[BURST];
		struct rte_mbuf *m[2][BURST];
		struct evs_flow_key key[2][BURST];
		struct evs_ct_meta meta[2][BURST];

		/* the template knows the VIP (its deltas whole), a wrong one, or none */
		addr("10.0.1.1", b);
		evs_ct_nat_tpl_init(&tp[1], b, 8080, false);
		if (r % 3 == 0)
			evs_ct_nat_tpl_set_vip(&tp[1], vip, 80);
		else if (r % 3 == 1)
			evs_ct_nat_tpl_set_vip(&tp[1], r % 2 ? other : vip, r % 2 ? 80 : 81);
		if (r % 10 == 9) { /* the expiry moves a grain now and then */
			now += (uint64_t)(rand() % 20000);
			for (k = 0; k < 2; k++)
				evs_ct_lcore_set_now(l[k], now);
		}
		for (i = 0; i < BURST; i++)
			sp[i] = pick(conns);
		for (k = 0; k < 2; k++) {
			for (i = 0; i < BURST; i++)
				m[k][i] = build(&sp[i], &key[k][i]);
			ck_assert_uint_eq(evs_ct_execute_burst(l[k], &a[k], m[k], key[k], BURST),
					  BURST);
			for (i = 0; i < BURST; i++)
				meta[k][i] = *evs_ct_burst_meta(l[k], (uint16_t)i);
		}
		for (i = 0; i < BURST; i++) {
			ct_same_outcome(r, i, &key[0][i], &key[1][i], m[0][i], m[1][i], &meta[0][i],
					&meta[1][i]);
			est += (key[0][i].ct_state & (EVS_CT_ESTABLISHED | EVS_CT_INVALID)) ==
			       EVS_CT_ESTABLISHED;
			inv += (key[0][i].ct_state & EVS_CT_INVALID) != 0;
			rte_pktmbuf_free(m[0][i]);
			rte_pktmbuf_free(m[1][i]);
		}
		ct_same_tables(t[0], t[1]);
		/* one no longer established starts over on another port (the old
		 * one stays until its timeout), so that most traffic stays usual */
		for (c = 0; c < CONNS; c++) {
			if (state_of(t[0], conns[c].port) == EVS_CT_TCP_ESTABLISHED)
				continue;
			conns[c].port = (uint16_t)(conns[c].port + CONNS);
			conns[c].cseq += 100000;
			conns[c].sseq += 100000;
			conns[c].cwin = conns[c].swin = 29200;
			start[c] = conns[c];
			restarts++;
			for (k = 0; k < 2; k++) {
				conns[c] = start[c];
				open_conn(&conns[c], l[k], &a[k]);
			}
		}
	}
	/* the shortcut's packets were most of them, and the windows refused some */
	ck_assert_uint_gt(est, ROUNDS * BURST / 2);
	ck_assert_uint_gt(inv, ROUNDS * BURST / 20);
	ck_assert_uint_gt(restarts, 20);
	lc = evs_ct_lcore_get(ct, 0);
	evs_ct_free(t[0]);
	evs_ct_free(t[1]);
}
END_TEST

/*
 * Two lcores, each one direction of the same established connections at
 * once (a client's data on one, its server's on the other, as vhost-user
 * without RSS delivers them), both through hit_tcp(). Every segment
 * passes; afterwards each side's sent data is known to the byte (an ACK
 * of all of it passes, one byte more does not): nothing was lost, and an
 * entry lock left held would hang here (a timeout). Not a proof of the
 * lock itself: these two directions write different fields of the
 * windows.
 */
#define MT_CONNS 64
#define MT_ROUNDS 300
#define MT_LEN 10

struct mt_side {
	struct evs_ct_lcore *lc;
	struct rte_mbuf *m[MT_CONNS];
	struct evs_flow_key k[MT_CONNS];
	uint32_t seq[MT_CONNS];
	uint8_t want;
	unsigned int bad;
};

static void *mt_run(void *arg)
{
	struct mt_side *w = arg;

	for (unsigned int r = 0; r < MT_ROUNDS; r++) {
		for (unsigned int c = 0; c < MT_CONNS; c++) {
			struct rte_mbuf *m = w->m[c];
			uint8_t *tcp = rte_pktmbuf_mtod_offset(m, uint8_t *, m->l2_len + m->l3_len);
			rte_be32_t v = rte_cpu_to_be_32(w->seq[c]);

			memcpy(tcp + 4, &v, 4);
			w->seq[c] += MT_LEN;
			evs_l4_cksum_fill(m, &w->k[c]);
		}
		for (unsigned int i = 0; i < MT_CONNS; i += 32) {
			evs_ct_execute_burst(w->lc,
					     &(struct evs_ct_action){.flags = EVS_CT_F_COMMIT},
					     &w->m[i], &w->k[i], 32);
			for (unsigned int j = i; j < i + 32; j++)
				w->bad += w->k[j].ct_state != w->want;
		}
	}
	return NULL;
}

static struct spec mt_seg(unsigned int c, bool client, uint8_t flags, uint32_t seq, uint32_t ack,
			  char *a)
{
	struct spec s = {.proto = IPPROTO_TCP,
			 .flags = flags,
			 .seq = seq,
			 .ack = ack,
			 .win = 65535,
			 .payload = flags == (ACK | PSH) ? MT_LEN : 0};

	snprintf(a, 32, "10.5.%u.%u", c / 200, c % 200 + 1);
	s.src = client ? a : "10.6.0.1";
	s.dst = client ? "10.6.0.1" : a;
	s.sport = client ? (uint16_t)(30000 + c) : 443;
	s.dport = client ? 443 : (uint16_t)(30000 + c);
	return s;
}

START_TEST(test_tcp_two_lcores_both_directions)
{
	struct evs_ct_config cfg = {
	    .name = "tmt", .max_conns = 1024, .n_lcores = 2, .socket_id = SOCKET_ID_ANY};
	struct evs_ct *t = evs_ct_create(&cfg);
	static struct mt_side w[2];
	uint32_t isn[2][MT_CONNS];
	struct evs_ct_stats st;
	pthread_t th[2];
	char a[32];
	struct spec s;
	unsigned int c, k;

	ck_assert_ptr_nonnull(t);
	for (k = 0; k < 2; k++) {
		w[k].lc = evs_ct_lcore_get(t, k);
		evs_ct_lcore_set_now(w[k].lc, T0);
		w[k].want = k == 0 ? CT_EST : CT_RPL;
		w[k].bad = 0;
	}
	lc = w[0].lc;
	for (c = 0; c < MT_CONNS; c++) {
		isn[0][c] = 1000u + c * 7919u;
		isn[1][c] = 0xfffff000u + c * 104729u; /* some wrap past 2^32 */
		s = mt_seg(c, true, SYN, isn[0][c], 0, a);
		ck_assert_uint_eq(send1(&s, NULL), CT_NEW);
		s = mt_seg(c, false, SYN | ACK, isn[1][c], isn[0][c] + 1, a);
		ck_assert_uint_eq(send1(&s, NULL), CT_RPL);
		s = mt_seg(c, true, ACK, isn[0][c] + 1, isn[1][c] + 1, a);
		ck_assert_uint_eq(send1(&s, NULL), CT_EST);
		for (k = 0; k < 2; k++) {
			/* data; each acknowledging the other side's SYN only */
			s = mt_seg(c, k == 0, ACK | PSH, 0, isn[!k][c] + 1, a);
			w[k].m[c] = build(&s, &w[k].k[c]);
			w[k].seq[c] = isn[k][c] + 1;
		}
	}
	for (k = 0; k < 2; k++)
		ck_assert_int_eq(pthread_create(&th[k], NULL, mt_run, &w[k]), 0);
	for (k = 0; k < 2; k++)
		pthread_join(th[k], NULL);
	ck_assert_uint_eq(w[0].bad, 0);
	ck_assert_uint_eq(w[1].bad, 0);
	/* each side's data known to the byte: all of it acknowledged passes,
	 * a byte more is data never sent */
	for (c = 0; c < MT_CONNS; c++) {
		uint32_t sent0 = isn[0][c] + 1 + MT_ROUNDS * MT_LEN;
		uint32_t sent1 = isn[1][c] + 1 + MT_ROUNDS * MT_LEN;

		s = mt_seg(c, true, ACK, sent0, sent1 + 1, a);
		ck_assert_msg(send1(&s, NULL) == CT_INV, "conn %u: acked past the server's data",
			      c);
		s = mt_seg(c, true, ACK, sent0, sent1, a);
		ck_assert_msg(send1(&s, NULL) == CT_EST, "conn %u: the server's data lost", c);
		s = mt_seg(c, false, ACK, sent1, sent0 + 1, a);
		ck_assert_msg(send1(&s, NULL) == CT_INV, "conn %u: acked past the client's data",
			      c);
		s = mt_seg(c, false, ACK, sent1, sent0, a);
		ck_assert_msg(send1(&s, NULL) == CT_RPL, "conn %u: the client's data lost", c);
		for (k = 0; k < 2; k++)
			rte_pktmbuf_free(w[k].m[c]);
	}
	evs_ct_stats(t, &st);
	ck_assert_uint_eq(st.conns, MT_CONNS);
	ck_assert_uint_eq(st.counters[EVS_CT_C_INV_TCP_WINDOW], 2 * MT_CONNS);
	ck_assert_uint_eq(st.counters[EVS_CT_C_HIT], MT_CONNS * (2 + 2 * MT_ROUNDS + 4));
	lc = evs_ct_lcore_get(ct, 0);
	evs_ct_free(t);
}
END_TEST

void ct_tcp_est_add_cases(Suite *s)
{
	const struct unit_case cases[] = {
	    {"tcp_established_vs_general", test_tcp_established_vs_general},
	    {"tcp_two_lcores_both_directions", test_tcp_two_lcores_both_directions},
	};

	unit_add_cases(s, cases, RTE_DIM(cases), ct_setup, ct_teardown, 0);
}
