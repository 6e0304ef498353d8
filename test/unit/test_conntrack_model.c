/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Random operation sequences against a naive reference model (a list of
 * connections with their expiry), and two threads tracking the same
 * connections at once.
 */
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "ct_test.h"
#include "unit_case.h"

/* A tuple of the model: ICMP keeps (id, type) in (sport, dport). */
struct mtuple {
	uint8_t src, dst, proto;
	uint16_t sport, dport;
};

struct mconn {
	struct mtuple orig, reply;
	bool seen_reply;
	uint64_t expires;
};

static bool tuple_eq(const struct mtuple *a, const struct mtuple *b)
{
	return a->src == b->src && a->dst == b->dst && a->proto == b->proto &&
	       a->sport == b->sport && a->dport == b->dport;
}

static struct mtuple invert(const struct mtuple *t)
{
	struct mtuple r = {.src = t->dst, .dst = t->src, .proto = t->proto};

	if (t->proto == IPPROTO_ICMP) {
		r.sport = t->sport;
		r.dport = t->dport == 8 ? 0 : 8;
	} else {
		r.sport = t->dport;
		r.dport = t->sport;
	}
	return r;
}

static uint64_t timeout_ms(const struct mconn *c)
{
	switch (c->orig.proto) {
	case IPPROTO_UDP:
		return c->seen_reply ? 120000 : 30000;
	case IPPROTO_ICMP:
		return 30000;
	default:
		return 600000;
	}
}

static struct mtuple random_tuple(void)
{
	struct mtuple t;
	int r = rand() % 10;

	t.src = (uint8_t)(1 + rand() % 3);
	t.dst = (uint8_t)(1 + rand() % 3);
	if (t.dst == t.src)
		t.dst = (uint8_t)(t.src % 3 + 1);
	if (r < 6) {
		t.proto = IPPROTO_UDP;
		t.sport = (uint16_t)(1 + rand() % 3);
		t.dport = (uint16_t)(1 + rand() % 3);
	} else if (r < 9) {
		t.proto = IPPROTO_ICMP;
		t.sport = (uint16_t)(1 + rand() % 2); /* identifier */
		t.dport = rand() % 2 ? 8 : 0;	      /* request or reply */
	} else {
		t.proto = 47;
		t.sport = t.dport = 0;
	}
	return t;
}

static uint8_t send_tuple(const struct mtuple *t, bool commit)
{
	char src[32], dst[32];
	struct spec s = {.src = src, .dst = dst, .proto = t->proto};
	struct evs_ct_action a = act_commit(0);

	snprintf(src, sizeof(src), "10.0.0.%u", t->src);
	snprintf(dst, sizeof(dst), "10.0.0.%u", t->dst);
	if (t->proto == IPPROTO_ICMP) {
		s.icmp_id = t->sport;
		s.icmp_type = (uint8_t)t->dport;
	} else {
		s.sport = t->sport;
		s.dport = t->dport;
	}
	if (!commit)
		a.flags = 0;
	return send1(&s, &a);
}

START_TEST(test_random_ops_vs_model)
{
	static struct mconn mc[4096];
	unsigned int n = 0, op, i;
	uint64_t now = T0;

	srand(11);
	for (op = 0; op < 20000; op++) {
		struct mtuple t = random_tuple();
		bool commit = rand() % 5 != 0;
		struct mconn *c = NULL;
		uint8_t want, got;
		int dir = -1;

		if (rand() % 8 == 0) {
			uint64_t step = (uint64_t)(rand() % 40) * 1000;

			advance(step);
			now += step;
		}
		for (i = 0; i < n && c == NULL; i++) {
			if (mc[i].expires <= now)
				continue;
			if (tuple_eq(&mc[i].orig, &t))
				dir = 0, c = &mc[i];
			else if (tuple_eq(&mc[i].reply, &t))
				dir = 1, c = &mc[i];
		}
		if (c != NULL) {
			if (dir == 1)
				c->seen_reply = true;
			want = dir ? CT_RPL : c->seen_reply ? CT_EST : CT_NEW;
			c->expires = grain_up(now + timeout_ms(c));
		} else if (t.proto == IPPROTO_ICMP && t.dport == 0) {
			want = CT_INV;
		} else {
			want = CT_NEW;
			if (commit) {
				/* forget the reaped ones, and the dead one this replaces
				 * (one that died this millisecond is still in the table) */
				for (i = 0; i < n; i++)
					if (mc[i].expires < now ||
					    (mc[i].expires <= now && (tuple_eq(&mc[i].orig, &t) ||
								      tuple_eq(&mc[i].reply, &t))))
						mc[i] = mc[--n], i--;
				ck_assert_uint_lt(n, RTE_DIM(mc));
				mc[n] = (struct mconn){.orig = t, .reply = invert(&t)};
				mc[n].expires = grain_up(now + timeout_ms(&mc[n]));
				n++;
			}
		}
		got = send_tuple(&t, commit);
		ck_assert_msg(got == want, "op %u: proto %u %u->%u %u/%u: got %#x want %#x", op,
			      t.proto, t.src, t.dst, t.sport, t.dport, got, want);
		if (op % 500 == 0) {
			/* the table holds what the model says is alive, plus
			 * what died this very millisecond (its slot not passed) */
			unsigned int alive = 0;

			for (i = 0; i < n; i++)
				alive += mc[i].expires >= now;
			ck_assert_uint_eq(live_conns(), alive);
		}
	}
}
END_TEST

/* Two threads, two lcore contexts, one table: thread 0 sends the original
 * direction of F flows, thread 1 the replies, in 32-packet bursts; the main
 * thread flushes once under way. Each connection must exist once. */
#define F 256
#define ROUNDS 200

struct worker {
	struct evs_ct_lcore *lc;
	struct rte_rcu_qsbr *qsv;
	unsigned int id;
	struct rte_mbuf *pkts[F];
	struct evs_flow_key keys[F];
	_Atomic unsigned int *progress;
	bool bad_state;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	struct evs_ct_action a = act_commit(0);
	unsigned int r, i;

	rte_rcu_qsbr_thread_online(w->qsv, w->id);
	for (r = 0; r < ROUNDS; r++) {
		for (i = 0; i < F; i += 32) {
			uint16_t j;

			evs_ct_execute_burst(w->lc, &a, &w->pkts[i], &w->keys[i], 32);
			for (j = 0; j < 32; j++)
				if (!(w->keys[i + j].ct_state & (EVS_CT_NEW | EVS_CT_ESTABLISHED)))
					w->bad_state = true;
			rte_rcu_qsbr_quiescent(w->qsv, w->id);
			evs_ct_expire(w->lc, 64);
		}
		atomic_fetch_add(w->progress, 1);
	}
	rte_rcu_qsbr_thread_offline(w->qsv, w->id);
	return NULL;
}

START_TEST(test_two_lcores_same_connections)
{
	size_t sz = rte_rcu_qsbr_get_memsize(2);
	struct rte_rcu_qsbr *qsv = rte_zmalloc("ct_qsv", sz, RTE_CACHE_LINE_SIZE);
	struct evs_ct_config cfg = {.name = "mt",
				    .max_conns = 4 * F,
				    .n_lcores = 2,
				    .socket_id = SOCKET_ID_ANY,
				    .qsv = qsv};
	static struct worker w[2];
	_Atomic unsigned int progress = 0;
	struct evs_ct_conn_info ci;
	struct evs_ct_stats st;
	pthread_t th[2];
	uint32_t pos = 0, found = 0;
	unsigned int t, i;
	char a[32], b[32];

	ck_assert_ptr_nonnull(qsv);
	ck_assert_int_eq(rte_rcu_qsbr_init(qsv, 2), 0);
	evs_ct_free(ct);
	ct = evs_ct_create(&cfg);
	ck_assert_ptr_nonnull(ct);
	for (t = 0; t < 2; t++) {
		w[t].lc = evs_ct_lcore_get(ct, t);
		evs_ct_lcore_set_now(w[t].lc, T0);
		w[t].qsv = qsv;
		w[t].id = t;
		w[t].progress = &progress;
		ck_assert_int_eq(rte_rcu_qsbr_thread_register(qsv, t), 0);
		for (i = 0; i < F; i++) {
			struct spec s = {.proto = IPPROTO_UDP};

			snprintf(a, sizeof(a), "10.1.%u.%u", i / 200, i % 200 + 1);
			snprintf(b, sizeof(b), "10.2.0.%u", i % 7 + 1);
			s.src = t == 0 ? a : b;
			s.dst = t == 0 ? b : a;
			s.sport = t == 0 ? (uint16_t)(1000 + i) : 53;
			s.dport = t == 0 ? 53 : (uint16_t)(1000 + i);
			w[t].pkts[i] = build(&s, &w[t].keys[i]);
		}
	}
	for (t = 0; t < 2; t++)
		ck_assert_int_eq(pthread_create(&th[t], NULL, worker_run, &w[t]), 0);
	while (atomic_load(&progress) < ROUNDS / 2)
		;
	evs_ct_flush(ct, -1);
	for (t = 0; t < 2; t++)
		pthread_join(th[t], NULL);

	ck_assert(!w[0].bad_state && !w[1].bad_state);
	/* one more round in order, so that every connection saw both ways */
	for (t = 0; t < 2; t++)
		for (i = 0; i < F; i += 32)
			evs_ct_execute_burst(w[t].lc,
					     &(struct evs_ct_action){.flags = EVS_CT_F_COMMIT},
					     &w[t].pkts[i], &w[t].keys[i], 32);
	evs_ct_stats(ct, &st);
	ck_assert_uint_eq(st.conns, F);
	ck_assert_uint_eq(st.counters[EVS_CT_C_HIT] + st.counters[EVS_CT_C_MISS],
			  2 * F * (ROUNDS + 1));
	ck_assert_uint_ge(st.counters[EVS_CT_C_CREATED], F);
	ck_assert_uint_le(st.counters[EVS_CT_C_CREATED], 2 * F);
	while (evs_ct_iterate(ct, &pos, &ci) == 0) {
		ck_assert(ci.seen_reply);
		found++;
	}
	ck_assert_uint_eq(found, F);
	for (t = 0; t < 2; t++)
		for (i = 0; i < F; i++)
			rte_pktmbuf_free(w[t].pkts[i]);
	evs_ct_free(ct);
	ct = NULL;
	rte_free(qsv);
}
END_TEST

/* Two lcores commit SNAT connections toward one server at once, 128 flows
 * for 64 free ports: exactly 64 get one, each a different one. */
struct nat_worker {
	struct evs_ct_lcore *lc;
	struct evs_ct_action act;
	struct rte_mbuf *pkts[64];
	struct evs_flow_key keys[64];
};

static void *nat_worker_run(void *arg)
{
	struct nat_worker *w = arg;

	evs_ct_execute_burst(w->lc, &w->act, &w->pkts[0], &w->keys[0], 32);
	evs_ct_execute_burst(w->lc, &w->act, &w->pkts[32], &w->keys[32], 32);
	return NULL;
}

START_TEST(test_two_lcores_nat_no_collision)
{
	struct evs_ct_config cfg = {
	    .name = "nt", .max_conns = 1024, .n_lcores = 2, .socket_id = SOCKET_ID_ANY};
	static struct nat_worker w[2];
	bool used[64] = {false};
	struct evs_ct_conn_info ci;
	struct evs_ct_stats st;
	uint32_t pos = 0, found = 0;
	pthread_t th[2];
	unsigned int t, i;
	char a[32];

	evs_ct_free(ct);
	ct = evs_ct_create(&cfg);
	ck_assert_ptr_nonnull(ct);
	for (t = 0; t < 2; t++) {
		w[t].lc = evs_ct_lcore_get(ct, t);
		evs_ct_lcore_set_now(w[t].lc, T0);
		w[t].act = act_commit(0);
		w[t].act.flags |= EVS_CT_F_NAT;
		w[t].act.nat.kind = EVS_CT_NAT_SRC;
		addr("203.0.113.9", w[t].act.nat.addr_min);
		addr("203.0.113.9", w[t].act.nat.addr_max);
		w[t].act.nat.port_min = 1000;
		w[t].act.nat.port_max = 1063;
		for (i = 0; i < 64; i++) {
			struct spec s = {.src = a,
					 .dst = "192.0.2.1",
					 .proto = IPPROTO_UDP,
					 .sport = (uint16_t)(2000 + i),
					 .dport = 53};

			snprintf(a, sizeof(a), "10.%u.0.1", t + 1);
			w[t].pkts[i] = build(&s, &w[t].keys[i]);
		}
	}
	for (t = 0; t < 2; t++)
		ck_assert_int_eq(pthread_create(&th[t], NULL, nat_worker_run, &w[t]), 0);
	for (t = 0; t < 2; t++)
		pthread_join(th[t], NULL);
	evs_ct_stats(ct, &st);
	ck_assert_uint_eq(st.conns, 64);
	ck_assert_uint_eq(st.counters[EVS_CT_C_CREATED], 64);
	ck_assert_uint_eq(st.counters[EVS_CT_C_REFUSED_NAT], 64);
	while (evs_ct_iterate(ct, &pos, &ci) == 0) {
		uint16_t port = rte_be_to_cpu_16(ci.reply.dport);

		ck_assert(port >= 1000 && port <= 1063);
		ck_assert_msg(!used[port - 1000], "port %u given twice", port);
		used[port - 1000] = true;
		found++;
	}
	ck_assert_uint_eq(found, 64);
	for (t = 0; t < 2; t++)
		for (i = 0; i < 64; i++)
			rte_pktmbuf_free(w[t].pkts[i]);
}
END_TEST

void ct_model_add_cases(Suite *s)
{
	const struct unit_case cases[] = {
	    {"random_ops_vs_model", test_random_ops_vs_model},
	    {"two_lcores_same_connections", test_two_lcores_same_connections},
	    {"two_lcores_nat_no_collision", test_two_lcores_nat_no_collision},
	};

	unit_add_cases(s, cases, RTE_DIM(cases), ct_setup, ct_teardown, 0);
}
