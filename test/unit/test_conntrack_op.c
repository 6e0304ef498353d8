/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ct() opcode layer a pipeline module's executor calls: bursts longer
 * than the library's, the mark copied into the keys, NAT by table index,
 * lcore contexts handed out once each, the argument as text.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "ct_test.h"
#include "unit_case.h"

#define N 100

static uint64_t fixed_clock(void)
{
	return T0;
}

START_TEST(test_op_long_burst_sets_mark)
{
	struct evs_ct_op op = {.zone = 4,
			       .flags = EVS_CT_F_COMMIT | EVS_CT_F_SET_MARK,
			       .mark = 0x42,
			       .mark_mask = 0xff};
	struct evs_ct_op_ctx ctx = {.lc = lc, .clock = fixed_clock};
	static struct rte_mbuf *m[N];
	static struct evs_flow_key k[N];
	uint16_t i;

	for (i = 0; i < N; i++) {
		struct spec s = {.src = "10.0.0.1",
				 .dst = "10.0.0.2",
				 .proto = IPPROTO_UDP,
				 .sport = (uint16_t)(1000 + i),
				 .dport = 53};

		m[i] = build(&s, &k[i]);
	}
	ck_assert_uint_eq(evs_ct_op_run(&ctx, &op, m, k, N), N);
	for (i = 0; i < N; i++) {
		ck_assert_uint_eq(k[i].ct_state, CT_NEW);
		ck_assert_uint_eq(k[i].ct_zone, 4);
		ck_assert_uint_eq(k[i].ct_mark, 0x42);
		rte_pktmbuf_free(m[i]);
	}
	ck_assert_uint_eq(evs_ct_zone_count(ct, 4), N);
}
END_TEST

START_TEST(test_op_nat_by_index)
{
	struct evs_ct_nat_range r = {.kind = EVS_CT_NAT_SRC, .port_min = 9000, .port_max = 9000};
	struct evs_ct_op op = {.flags = EVS_CT_F_COMMIT | EVS_CT_F_NAT, .nat = 1};
	struct evs_ct_op_ctx ctx = {.lc = lc, .nat = &r, .n_nat = 1, .clock = fixed_clock};
	struct spec s = {
	    .src = "10.0.0.1", .dst = "192.0.2.1", .proto = IPPROTO_UDP, .sport = 5, .dport = 53};
	struct evs_flow_key k;
	struct rte_mbuf *m;

	addr("203.0.113.1", r.addr_min);
	addr("203.0.113.1", r.addr_max);
	m = build(&s, &k);
	evs_ct_op_run(&ctx, &op, &m, &k, 1);
	ck_assert_uint_eq(k.ct_state, CT_NEW | EVS_CT_SNAT);
	ck_assert_uint_eq(rte_be_to_cpu_16(k.l4_src), 9000);
	rte_pktmbuf_free(m);
	/* an index past the table: committed, not translated */
	op.nat = 2;
	s.sport = 6;
	m = build(&s, &k);
	evs_ct_op_run(&ctx, &op, &m, &k, 1);
	ck_assert_uint_eq(k.ct_state, CT_NEW);
	ck_assert_uint_eq(rte_be_to_cpu_16(k.l4_src), 6);
	rte_pktmbuf_free(m);
	ck_assert_uint_eq(live_conns(), 2);
}
END_TEST

START_TEST(test_op_lcore_claim)
{
	struct evs_ct *t = new_table("claim", 16, 2);
	struct evs_ct_lcore *a = evs_ct_lcore_claim(t), *b = evs_ct_lcore_claim(t);

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_ne(a, b);
	errno = 0;
	ck_assert_ptr_null(evs_ct_lcore_claim(t));
	ck_assert_int_eq(errno, ENOSPC);
	evs_ct_free(t);
}
END_TEST

START_TEST(test_op_format)
{
	struct evs_ct_op op = {.zone = 3,
			       .flags = EVS_CT_F_COMMIT | EVS_CT_F_NAT | EVS_CT_F_SET_MARK,
			       .mark = 1,
			       .mark_mask = 0xff,
			       .nat = 1};
	char buf[64], small[8];

	ck_assert_int_eq(evs_ct_op_format(&op, buf, sizeof(buf)), (int)strlen(buf));
	ck_assert_str_eq(buf, "zone=3,commit,nat=1,mark=0x1/0xff");
	/* cut short like snprintf: the full length, a terminated prefix */
	ck_assert_int_eq(evs_ct_op_format(&op, small, sizeof(small)), (int)strlen(buf));
	ck_assert_str_eq(small, "zone=3,");
	op.flags = 0;
	evs_ct_op_format(&op, buf, sizeof(buf));
	ck_assert_str_eq(buf, "zone=3");
}
END_TEST

void ct_op_add_cases(Suite *s)
{
	const struct unit_case cases[] = {
	    {"op_long_burst_sets_mark", test_op_long_burst_sets_mark},
	    {"op_nat_by_index", test_op_nat_by_index},
	    {"op_lcore_claim", test_op_lcore_claim},
	    {"op_format", test_op_format},
	};

	unit_add_cases(s, cases, RTE_DIM(cases), ct_setup, ct_teardown, 0);
}
