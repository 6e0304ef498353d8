/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "ct_zone" store type: zone settings set, merged and removed by
 * transactions, bad values refused, a failed transaction changing nothing,
 * and the datapath following (a zone limit refusing commits).
 */
#include <netinet/in.h>

#include <jansson.h>

#include "ct_test.h"
#include "evs_store.h"
#include "unit_case.h"
#include "unit_store.h"

static struct evs_store *st;

static void conf_setup(void)
{
	ct_setup();
	st = evs_store_create();
	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(evs_ct_store_add(st, ct), 0);
}

static void conf_teardown(void)
{
	evs_store_free(st);
	ct_teardown();
}

/* One operation in its own transaction; the commit's result. */
static int txn1(enum evs_store_op op, const char *json)
{
	struct evs_ctl_err err;

	return unit_store_op(st, op, "ct_zone", json, &err);
}

START_TEST(test_zone_add_set_del)
{
	struct evs_ct_zone_conf zc;
	struct evs_ct_action a = act_commit(5);
	struct spec q = {.src = "10.0.0.1", .dst = "10.0.0.2", .proto = IPPROTO_UDP, .dport = 53};

	ck_assert_int_eq(
	    txn1(EVS_STORE_ADD, "{\"zone\":5,\"limit\":2,\"timeouts\":{\"udp_unreplied\":5}}"), 0);
	evs_ct_zone_get(ct, 5, &zc);
	ck_assert_uint_eq(zc.limit, 2);
	ck_assert_uint_eq(zc.timeouts.udp_unreplied, 5);
	ck_assert_uint_eq(zc.timeouts.icmp, 30); /* not given: the default */
	ck_assert(!zc.tcp_liberal);
	/* the datapath follows */
	q.sport = 1;
	ck_assert_uint_eq(send1(&q, &a), CT_NEW);
	q.sport = 2;
	ck_assert_uint_eq(send1(&q, &a), CT_NEW);
	q.sport = 3;
	ck_assert_uint_eq(send1(&q, &a), CT_INV);
	ck_assert_uint_eq(counter(EVS_CT_C_REFUSED_ZONE), 1);
	/* a set merges */
	ck_assert_int_eq(txn1(EVS_STORE_SET, "{\"zone\":5,\"tcp_liberal\":true}"), 0);
	evs_ct_zone_get(ct, 5, &zc);
	ck_assert_uint_eq(zc.limit, 2);
	ck_assert(zc.tcp_liberal);
	ck_assert_uint_eq(zc.timeouts.udp_unreplied, 5);
	/* a delete brings the defaults back */
	ck_assert_int_eq(txn1(EVS_STORE_DEL, "{\"zone\":5}"), 0);
	evs_ct_zone_get(ct, 5, &zc);
	ck_assert_uint_eq(zc.limit, 0);
	ck_assert_uint_eq(zc.timeouts.udp_unreplied, 30);
	ck_assert_uint_eq(send1(&q, &a), CT_NEW);
}
END_TEST

START_TEST(test_zone_bad_values_refused)
{
	struct evs_ct_zone_conf zc;

	ck_assert_int_eq(txn1(EVS_STORE_ADD, "{\"zone\":5,\"timeouts\":{\"icmp\":0}}"), -EINVAL);
	ck_assert_int_eq(txn1(EVS_STORE_ADD, "{\"zone\":70000}"), -EINVAL);
	ck_assert_int_eq(txn1(EVS_STORE_ADD, "{\"zone\":1,\"colour\":\"red\"}"), -EINVAL);
	ck_assert_int_eq(txn1(EVS_STORE_ADD, "{\"limit\":3}"), -EINVAL);
	ck_assert_int_eq(txn1(EVS_STORE_DEL, "{\"zone\":9}"), -ENOENT);
	evs_ct_zone_get(ct, 5, &zc);
	ck_assert_uint_eq(zc.timeouts.icmp, 30);
	ck_assert_uint_eq(evs_store_count(st, "ct_zone"), 0);
}
END_TEST

START_TEST(test_zone_failed_transaction_changes_nothing)
{
	struct evs_store_txn *txn = evs_store_txn_begin(st);
	struct evs_ctl_err err;
	struct evs_ct_zone_conf zc;

	ck_assert_int_eq(evs_store_txn_op(txn, EVS_STORE_ADD, "ct_zone",
					  json_pack("{s:i, s:i}", "zone", 1, "limit", 7), "/ops/0",
					  &err),
			 0);
	ck_assert_int_eq(evs_store_txn_op(txn, EVS_STORE_ADD, "ct_zone",
					  json_pack("{s:i, s:s}", "zone", 2, "limit", "many"),
					  "/ops/1", &err),
			 -EINVAL);
	evs_store_txn_abort(txn);
	evs_ct_zone_get(ct, 1, &zc);
	ck_assert_uint_eq(zc.limit, 0);
	ck_assert_uint_eq(evs_store_count(st, "ct_zone"), 0);
	/* two zones in one transaction both land */
	txn = evs_store_txn_begin(st);
	ck_assert_int_eq(evs_store_txn_op(txn, EVS_STORE_ADD, "ct_zone",
					  json_pack("{s:i, s:i}", "zone", 1, "limit", 7), "/ops/0",
					  &err),
			 0);
	ck_assert_int_eq(evs_store_txn_op(txn, EVS_STORE_ADD, "ct_zone",
					  json_pack("{s:i, s:b}", "zone", 2, "tcp_liberal", 1),
					  "/ops/1", &err),
			 0);
	ck_assert_int_eq(evs_store_txn_commit(txn, &err), 0);
	evs_ct_zone_get(ct, 1, &zc);
	ck_assert_uint_eq(zc.limit, 7);
	evs_ct_zone_get(ct, 2, &zc);
	ck_assert(zc.tcp_liberal);
}
END_TEST

void ct_conf_add_cases(Suite *s)
{
	const struct unit_case cases[] = {
	    {"zone_add_set_del", test_zone_add_set_del},
	    {"zone_bad_values_refused", test_zone_bad_values_refused},
	    {"zone_failed_transaction_changes_nothing",
	     test_zone_failed_transaction_changes_nothing},
	};

	unit_add_cases(s, cases, RTE_DIM(cases), conf_setup, conf_teardown, 0);
}
