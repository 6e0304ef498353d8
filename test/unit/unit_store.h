/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Store fixtures shared by the suites: transactions written as text (one
 * operation's JSON, or lines "+type {json}" (add), "-type {json}" (delete),
 * "=type {json}" (set)), so that a test reads like the configuration it
 * applies.
 */
#ifndef EVS_TEST_UNIT_STORE_H
#define EVS_TEST_UNIT_STORE_H

#include <stdio.h>
#include <string.h>

#include <check.h>
#include <jansson.h>

#include "evs_store.h"

/* One operation (@json, a JSON text) in its own transaction on @st, at
 * "/params" as a method's params would be.
 * @return 0, the op's -errno (transaction aborted) or the commit's; @err says why. */
static inline int unit_store_op(struct evs_store *st, enum evs_store_op op, const char *type,
				const char *json, struct evs_ctl_err *err)
{
	struct evs_store_txn *t = evs_store_txn_begin(st);
	json_error_t je;
	json_t *v = json_loads(json, 0, &je);
	int rc;

	ck_assert_ptr_nonnull(t);
	ck_assert_msg(v != NULL, "bad test JSON %s: %s", json, je.text);
	rc = evs_store_txn_op(t, op, type, v, "/params", err);
	if (rc != 0) {
		evs_store_txn_abort(t);
		return rc;
	}
	return evs_store_txn_commit(t, err);
}

/* One transaction of @n operations on @st; an op's failure aborts it.
 * @return 0, the first failing op's -errno or the commit's; @err says why. */
static inline int unit_store_txn(struct evs_store *st, const char *const *ops, size_t n,
				 struct evs_ctl_err *err)
{
	struct evs_store_txn *t = evs_store_txn_begin(st);
	int rc = 0;

	ck_assert_ptr_nonnull(t);
	for (size_t i = 0; i < n && rc == 0; i++) {
		char type[32];
		enum evs_store_op op = ops[i][0] == '+'	  ? EVS_STORE_ADD
				       : ops[i][0] == '-' ? EVS_STORE_DEL
							  : EVS_STORE_SET;
		const char *sp = strchr(ops[i], ' ');
		json_error_t je;
		json_t *v;

		ck_assert_msg(strchr("+-=", ops[i][0]) != NULL && sp != NULL,
			      "bad test op '%s': want '+|-|=type {json}'", ops[i]);
		snprintf(type, sizeof(type), "%.*s", (int)(sp - ops[i] - 1), ops[i] + 1);
		v = json_loads(sp + 1, 0, &je);
		ck_assert_msg(v != NULL, "bad test JSON: %s", je.text);
		rc = evs_store_txn_op(t, op, type, v, "/op", err);
	}
	if (rc != 0) {
		evs_store_txn_abort(t);
		return rc;
	}
	return evs_store_txn_commit(t, err);
}

#endif /* EVS_TEST_UNIT_STORE_H */
