/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The commit path's shortcuts: a burst looks its keys up once and looks
 * again only where a connection may have appeared since (one of its own
 * commits, or any other context's). Checked against a naive model on
 * random bursts, and with another lcore's commit slipped in between a
 * burst's lookup and its commit.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct_test.h"
#include "unit_case.h"

#define FLOWS 24
#define BURST 64

static struct rte_mbuf *flow_pkt(int f, bool reply, struct evs_flow_key *k)
{
	char a[32], b[32];
	struct spec s = {.proto = IPPROTO_UDP};

	snprintf(a, sizeof(a), "10.1.%d.%d", f / 200, f % 200 + 1);
	snprintf(b, sizeof(b), "10.2.0.%d", f % 3 + 1);
	s.src = reply ? b : a;
	s.dst = reply ? a : b;
	s.sport = reply ? 53 : (uint16_t)(2000 + f);
	s.dport = reply ? (uint16_t)(2000 + f) : 53;
	return build(&s, k);
}

/* Bursts of 1-64 from 24 UDP flows, both directions, repeats in one
 * burst: every packet gets what one packet at a time would give it (the
 * first packet of a flow, either way, is new and makes its sender the
 * originator; the originator's packets stay new until a reply; the other
 * side's are +rpl; then est), and each flow is created once. */
START_TEST(test_random_bursts_match_model)
{
	struct rte_mbuf *m[BURST];
	struct evs_flow_key k[BURST];
	struct evs_ct_action a = act_commit(0);
	int first[FLOWS], fl[BURST], round, i, created = 0;
	bool replied[FLOWS] = {false}, rp[BURST];

	memset(first, 0xff, sizeof(first)); /* -1: not seen */
	srand(7);
	for (round = 0; round < 60; round++) {
		int n = 1 + rand() % BURST;

		for (i = 0; i < n; i++) {
			fl[i] = rand() % FLOWS;
			rp[i] = rand() % 3 == 0;
			m[i] = flow_pkt(fl[i], rp[i], &k[i]);
		}
		ck_assert_uint_eq(evs_ct_execute_burst(lc, &a, m, k, (uint16_t)n), n);
		for (i = 0; i < n; i++) {
			int f = fl[i], d = rp[i];
			uint8_t want;

			if (first[f] < 0) {
				want = CT_NEW;
				first[f] = d;
				created++;
			} else if (d == first[f]) {
				want = replied[f] ? CT_EST : CT_NEW;
			} else {
				want = CT_RPL;
				replied[f] = true;
			}
			ck_assert_msg(k[i].ct_state == want,
				      "round %d pkt %d flow %d%s: %#x != %#x", round, i, f,
				      d ? " reply" : "", k[i].ct_state, want);
			rte_pktmbuf_free(m[i]);
		}
	}
	ck_assert_uint_eq(live_conns(), created);
	ck_assert_uint_eq(counter(EVS_CT_C_CREATED), created);
	ck_assert_uint_eq(counter(EVS_CT_C_MISS), created);
}
END_TEST

/* Another lcore's commit of the same connection, between this burst's
 * lookup (a miss) and its commit: choose() runs in that window. */
struct race {
	struct evs_ct_lcore *other;
	int raced;
};

static bool race_choose(void *arg, uint16_t i, const struct evs_flow_key *key,
			struct evs_ct_nat_range *nat, uint16_t *backend)
{
	struct race *r = arg;
	struct evs_ct_action a = act_commit(0);
	struct evs_flow_key k;
	struct rte_mbuf *m;

	(void)i;
	(void)key;
	(void)nat;
	*backend = 1;
	if (r->raced++ != 0)
		return true;
	/* the same packet, committed first by the other context (backend 2) */
	a.backend = 2;
	m = flow_pkt(5, false, &k);
	ck_assert_uint_eq(evs_ct_execute_burst(r->other, &a, &m, &k, 1), 1);
	ck_assert_uint_eq(k.ct_state, CT_NEW);
	rte_pktmbuf_free(m);
	return true;
}

START_TEST(test_commit_sees_other_lcores_commit)
{
	struct evs_ct *t = new_table("race", 64, 2);
	struct evs_ct_lcore *l0 = evs_ct_lcore_get(t, 0);
	struct race r = {.other = evs_ct_lcore_get(t, 1)};
	struct evs_ct_action a = act_commit(0);
	struct evs_ct_stats st;
	struct evs_flow_key k;
	struct rte_mbuf *m;

	a.choose = race_choose;
	a.choose_arg = &r;
	m = flow_pkt(5, false, &k);
	ck_assert_uint_eq(evs_ct_execute_burst(l0, &a, &m, &k, 1), 1);
	rte_pktmbuf_free(m);
	/* joined the other's connection: one entry, its backend */
	ck_assert_int_eq(r.raced, 1);
	ck_assert_uint_eq(k.ct_state, CT_NEW);
	ck_assert_uint_eq(evs_ct_burst_meta(l0, 0)->backend, 2);
	evs_ct_stats(t, &st);
	ck_assert_uint_eq(st.conns, 1);
	ck_assert_uint_eq(st.counters[EVS_CT_C_CREATED], 1);
	ck_assert_uint_eq(evs_ct_backend_count(t, 2), 1);
	ck_assert_uint_eq(evs_ct_backend_count(t, 1), 0);
	/* and its reply finds that one connection from either context */
	m = flow_pkt(5, true, &k);
	ck_assert_uint_eq(evs_ct_execute_burst(l0, &a, &m, &k, 1), 1);
	rte_pktmbuf_free(m);
	ck_assert_uint_eq(k.ct_state, CT_RPL);
	ck_assert_uint_eq(evs_ct_burst_meta(l0, 0)->backend, 2);
	evs_ct_free(t);
}
END_TEST

/* The only connection's snapshot. */
static struct evs_ct_conn_info only_conn(void)
{
	struct evs_ct_conn_info ci;
	uint32_t pos = 0;

	ck_assert_int_eq(evs_ct_iterate(ct, &pos, &ci), 0);
	return ci;
}

/* UDP packets that change nothing skip the entry's lock; those that do
 * (the first reply, the originator's first packet after it, a commit
 * setting the mark) still change it, and every one refreshes the expiry. */
START_TEST(test_generic_hits_keep_flags_and_timeouts)
{
	static const struct {
		bool reply;
		uint8_t want;
		bool seen, assured;
		uint32_t timeout_s;
	} seq[] = {
	    {false, CT_NEW, false, false, 30}, {false, CT_NEW, false, false, 30},
	    {true, CT_RPL, true, false, 120},  {true, CT_RPL, true, false, 120},
	    {false, CT_EST, true, true, 120},  {false, CT_EST, true, true, 120},
	};
	struct evs_ct_action a = act_commit(0);
	struct evs_ct_conn_info ci;
	struct evs_flow_key k;
	struct rte_mbuf *m;

	for (unsigned int i = 0; i < RTE_DIM(seq); i++) {
		advance(1000);
		m = flow_pkt(3, seq[i].reply, &k);
		ck_assert_uint_eq(evs_ct_execute_burst(lc, &a, &m, &k, 1), 1);
		rte_pktmbuf_free(m);
		ci = only_conn();
		ck_assert_msg(k.ct_state == seq[i].want, "pkt %u: %#x", i, k.ct_state);
		ck_assert_int_eq(ci.seen_reply, seq[i].seen);
		ck_assert_int_eq(ci.assured, seq[i].assured);
		ck_assert_uint_eq(ci.expires_ms,
				  grain_up(T0 + 1000 * (i + 1) + 1000 * seq[i].timeout_s));
	}
	/* a commit that sets the mark on a quiet connection sets it */
	a.flags |= EVS_CT_F_SET_MARK;
	a.mark = 0x77;
	a.mark_mask = 0xff;
	m = flow_pkt(3, false, &k);
	ck_assert_uint_eq(evs_ct_execute_burst(lc, &a, &m, &k, 1), 1);
	rte_pktmbuf_free(m);
	ck_assert_uint_eq(only_conn().mark, 0x77);
	ck_assert_uint_eq(evs_ct_burst_meta(lc, 0)->mark, 0x77);
	ck_assert_uint_eq(counter(EVS_CT_C_HIT), RTE_DIM(seq));
}
END_TEST

/* An expiry is rounded up to a grain and moves only when a packet takes it
 * to another: the connection lives its timeout after its last packet, and
 * less than a grain more. */
START_TEST(test_expiry_moves_in_grains)
{
	const uint64_t g = EVS_CT_EXPIRY_GRAIN_MS, udp = 30 * 1000; /* unreplied UDP */
	struct evs_ct_action a = act_commit(0);
	uint64_t now = T0, e0, last;
	struct evs_flow_key k;
	struct rte_mbuf *m;

	m = flow_pkt(5, false, &k);
	ck_assert_uint_eq(evs_ct_execute_burst(lc, &a, &m, &k, 1), 1);
	rte_pktmbuf_free(m);
	e0 = only_conn().expires_ms;
	ck_assert_uint_eq(e0 % g, 0);
	ck_assert(e0 >= now + udp && e0 < now + udp + g);
	/* up to the grain's last millisecond, a packet leaves it as it is */
	advance(e0 - (now + udp));
	now = e0 - udp;
	m = flow_pkt(5, false, &k);
	ck_assert_uint_eq(evs_ct_execute_burst(lc, &a, &m, &k, 1), 1);
	rte_pktmbuf_free(m);
	ck_assert_uint_eq(only_conn().expires_ms, e0);
	/* one millisecond later it moves a whole grain */
	advance(1);
	last = ++now;
	m = flow_pkt(5, false, &k);
	ck_assert_uint_eq(evs_ct_execute_burst(lc, &a, &m, &k, 1), 1);
	rte_pktmbuf_free(m);
	ck_assert_uint_eq(k.ct_state, CT_NEW);
	ck_assert_uint_eq(only_conn().expires_ms, e0 + g);
	/* alive for its whole timeout after the last packet, gone at the grain */
	advance(last + udp - now);
	ck_assert_uint_eq(live_conns(), 1);
	advance(e0 + g - (last + udp) - 1);
	ck_assert_uint_eq(live_conns(), 1);
	advance(1);
	ck_assert_uint_eq(live_conns(), 0);
	ck_assert_uint_eq(counter(EVS_CT_C_EXPIRED), 1);
}
END_TEST

void ct_commit_add_cases(Suite *s)
{
	const struct unit_case cases[] = {
	    {"random_bursts_match_model", test_random_bursts_match_model},
	    {"commit_sees_other_lcores_commit", test_commit_sees_other_lcores_commit},
	    {"generic_hits_keep_flags_and_timeouts", test_generic_hits_keep_flags_and_timeouts},
	    {"expiry_moves_in_grains", test_expiry_moves_in_grains},
	};

	unit_add_cases(s, cases, RTE_DIM(cases), ct_setup, ct_teardown, 0);
}
