/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/lb's ingress hook, which asks for conntrack's buckets ahead of
 * classification (evs_ct_prefetch_burst), through the real pipeline: on a
 * large table it runs while VIP traffic flows, only while that is at least
 * half of what the ingress sees, stops when it stops, and every packet still
 * goes where its connection says; on a small one it never runs.
 */
#include "lb_module_fixture.h"
#include "lb_private.h"
#include "lb_test.h"

static struct lb_lcore *lb_lc(void)
{
	return evs_pipeline_lcore_module(lbm.pl, MOD_LB);
}

/* Packets the test lcore's ingress hashed for conntrack. */
static uint64_t prefetched(void)
{
	return lb_lc()->counters[EVS_LB_C_CT_PREFETCH];
}

/* A burst of @vip packets of clients 0.. to the VIP (UDP, source ports from
 * @sport0), the rest to a plain address; checks where each one went. */
static void burst(unsigned int vip, uint16_t sport0, const uint16_t *be)
{
	struct spec s[BURST];

	for (unsigned int i = 0; i < BURST; i++)
		s[i] = (struct spec){.src = "10.2.0.7",
				     .dst = i < vip ? "10.0.0.100" : "10.0.0.101",
				     .proto = IPPROTO_UDP,
				     .sport = (uint16_t)(sport0 + i),
				     .dport = 80,
				     .payload = 10};
	lbm_run(s, BURST);
	for (unsigned int i = 0; i < BURST; i++) {
		if (i >= vip)
			ck_assert_uint_eq(out_port[i], 101);
		else if (be != NULL)
			ck_assert_uint_eq(out_port[i], be[i]);
		else
			ck_assert(out_port[i] >= 1 && out_port[i] <= 3);
	}
}

START_TEST(test_prefetch_follows_the_vip_share)
{
	uint16_t be[BURST];
	uint64_t p;
	unsigned int b;

	/* the fixture's table is small: as if it were not */
	lb_lc()->pre_wanted = true;
	ck_assert_int_eq(lbm_op(EVS_STORE_ADD, "lb.vip", VIP ",\"protocol\":\"udp\"}"), 0);
	lbm_backend("web", "10.0.1.1", "");
	lbm_backend("web", "10.0.1.2", "");
	lbm_backend("web", "10.0.1.3", "");
	/* no VIP traffic yet: nothing hashed */
	burst(0, 3000, NULL);
	ck_assert_uint_eq(lb_lc()->pre_left, 0);
	/* the first VIP burst arms it: the next chunks are hashed */
	burst(BURST, 2000, NULL);
	for (unsigned int i = 0; i < BURST; i++)
		be[i] = out_port[i];
	ck_assert_uint_eq(prefetched(), 0);
	for (b = 1; b <= 5; b++) {
		burst(BURST, 2000, be);
		ck_assert_uint_eq(prefetched(), b * BURST);
	}
	/* a quarter VIP traffic: hashed while the window runs, then not */
	p = prefetched();
	for (b = 0; b < 2 * LB_PREFETCH_WINDOW; b++) {
		burst(BURST / 4, 2000, be);
		if (lb_lc()->pre_off)
			break;
		ck_assert_uint_eq(prefetched(), p + BURST); /* the whole chunk */
		p = prefetched();
	}
	ck_assert_msg(lb_lc()->pre_off, "still hashing after %u bursts", b);
	ck_assert_uint_le(b, LB_PREFETCH_WINDOW);
	p = prefetched();
	for (b = 0; b < 10; b++)
		burst(BURST / 4, 2000, be);
	ck_assert_uint_eq(prefetched(), p);
	/* all VIP traffic again: back on after a window */
	for (b = 0; b < 2 * LB_PREFETCH_WINDOW && lb_lc()->pre_off; b++)
		burst(BURST, 2000, be);
	ck_assert(!lb_lc()->pre_off);
	p = prefetched();
	burst(BURST, 2000, be);
	ck_assert_uint_eq(prefetched(), p + BURST);
	/* VIP traffic stops: the hook keys LB_PREFETCH_CHUNKS more chunks */
	for (b = 0; b < LB_PREFETCH_CHUNKS; b++)
		burst(0, 3000, NULL);
	ck_assert_uint_ne(lb_lc()->pre_left, 0);
	burst(0, 3000, NULL);
	ck_assert_uint_eq(lb_lc()->pre_left, 0);
	p = prefetched();
	burst(BURST, 2000, be); /* re-arms it, not hashed itself */
	ck_assert_uint_eq(prefetched(), p);
	ck_assert_uint_ne(lb_lc()->pre_left, 0);
	burst(BURST, 2000, be);
	ck_assert_uint_eq(prefetched(), p + BURST);
}
END_TEST

/* The fixture's table keeps its buckets in the caches: never hashed. */
START_TEST(test_small_table_not_prefetched)
{
	uint16_t be[BURST];

	ck_assert(!lb_lc()->pre_wanted);
	ck_assert_int_eq(lbm_op(EVS_STORE_ADD, "lb.vip", VIP ",\"protocol\":\"udp\"}"), 0);
	lbm_backend("web", "10.0.1.1", "");
	lbm_backend("web", "10.0.1.2", "");
	lbm_backend("web", "10.0.1.3", "");
	burst(BURST, 2000, NULL);
	for (unsigned int i = 0; i < BURST; i++)
		be[i] = out_port[i];
	for (unsigned int b = 0; b < 2 * LB_PREFETCH_WINDOW; b++)
		burst(b % 2 ? BURST : BURST / 4, 2000, be);
	ck_assert_uint_eq(prefetched(), 0);
	ck_assert_uint_eq(lb_lc()->pre_left, 0);
}
END_TEST

void lb_prefetch_add_cases(Suite *s)
{
	const struct unit_case cases[] = {
	    {"prefetch_follows_the_vip_share", test_prefetch_follows_the_vip_share},
	    {"small_table_not_prefetched", test_small_table_not_prefetched},
	};

	unit_add_cases(s, cases, RTE_DIM(cases), lbm_setup, lbm_teardown, 0);
}
