/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/store: types, index, references, transactions, documents, hooks; and
 * random transactions checked against a naive model (linear scans, whole
 * copies for rollback): the same results, the same errors. No EAL.
 */

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evs_recs.h"
#include "evs_store.h"
#include "store_test.h"
#include "unit_case.h"
#include "unit_store.h"

enum { T_SW, T_PORT, T_MAC, T_N };

static const struct evs_ctl_param sw_fields[] = {
    {.name = "name", .type = EVS_CTL_T_STRING, .required = true, .min_len = 1, .max_len = 8},
    {.name = "size", .type = EVS_CTL_T_UINT, .min = 1, .max = 100},
};
static const struct evs_ctl_param vlan_fields[] = {
    {.name = "vid", .type = EVS_CTL_T_UINT, .required = true, .min = 1, .max = 4094},
    {.name = "sw", .type = EVS_CTL_T_STRING, .required = true, .min_len = 1, .max_len = 8},
};
static const struct evs_ctl_param vlan_item = {
    .type = EVS_CTL_T_OBJECT, .fields = vlan_fields, .n_fields = 2};
static const struct evs_ctl_param port_fields[] = {
    {.name = "name", .type = EVS_CTL_T_STRING, .required = true, .min_len = 1, .max_len = 8},
    {.name = "sw", .type = EVS_CTL_T_STRING, .max_len = 8},
    {.name = "vlans", .type = EVS_CTL_T_ARRAY, .items = &vlan_item},
};
static const struct evs_ctl_param mac_fields[] = {
    {.name = "sw", .type = EVS_CTL_T_STRING, .required = true, .min_len = 1, .max_len = 8},
    {.name = "mac", .type = EVS_CTL_T_MAC, .required = true},
    {.name = "port", .type = EVS_CTL_T_STRING, .required = true, .min_len = 1, .max_len = 8},
};
static const char *const name_key[] = {"name", NULL};
static const char *const mac_key[] = {"sw", "mac", NULL};
static const struct evs_store_ref port_refs[] = {
    {.field = "sw", .type = "sw", .on_delete = EVS_STORE_RESTRICT},
    {.field = "vlans[].sw", .type = "sw", .on_delete = EVS_STORE_RESTRICT},
};
static const struct evs_store_ref mac_refs[] = {
    {.field = "sw", .type = "sw", .on_delete = EVS_STORE_CASCADE},
    {.field = "port", .type = "port", .on_delete = EVS_STORE_CASCADE},
};

/* Hook recorder: which hooks ran, on how many deltas of which kind. */
struct hooks {
	unsigned int prepared, committed, aborted;
	size_t deltas[3];      /* by op, over commits */
	const char *fail_name; /* prepare fails on an ADD of this name */
	size_t mac_capacity;   /* validate refuses more MACs (0: no limit) */
};

static int h_validate(struct evs_store *st, const struct evs_store_delta *d, size_t n,
		      struct evs_ctl_err *err, void *ctx)
{
	struct hooks *h = ctx;

	if (h != NULL && h->mac_capacity && evs_store_count(st, "mac") > h->mac_capacity)
		return evs_store_err(err, -ENOSPC, d[n - 1].path, "the MAC table holds %zu",
				     h->mac_capacity);
	return 0;
}

static int h_prepare(struct evs_store *st, const struct evs_store_delta *d, size_t n,
		     struct evs_ctl_err *err, void *ctx)
{
	struct hooks *h = ctx;
	size_t i;

	(void)st;
	if (h == NULL)
		return 0;
	h->prepared++;
	for (i = 0; i < n && h->fail_name != NULL; i++) {
		const char *nm = json_string_value(json_object_get(d[i].new, "name"));

		if (d[i].op == EVS_STORE_ADD && nm != NULL && strcmp(nm, h->fail_name) == 0)
			return evs_store_err(err, -EIO, d[i].path, "device refused");
	}
	return 0;
}

static void h_commit(struct evs_store *st, const struct evs_store_delta *d, size_t n, void *ctx)
{
	struct hooks *h = ctx;
	size_t i;

	(void)st;
	if (h == NULL)
		return;
	h->committed++;
	for (i = 0; i < n; i++)
		h->deltas[d[i].op]++;
}

static void h_abort(struct evs_store *st, const struct evs_store_delta *d, size_t n, void *ctx)
{
	(void)st;
	(void)d;
	(void)n;
	if (ctx != NULL)
		((struct hooks *)ctx)->aborted++;
}

static const struct evs_store_ops hook_ops = {
    .validate = h_validate, .prepare = h_prepare, .commit = h_commit, .abort = h_abort};

static const struct evs_obj_type sw_type = {.name = "sw",
					    .section = "sws",
					    .help = "a switch",
					    .fields = sw_fields,
					    .n_fields = 2,
					    .defaults = "{\"size\": 10}",
					    .keys = name_key,
					    .max_objects = 3,
					    .ops = &hook_ops};
static const struct evs_obj_type port_type = {.name = "port",
					      .section = "ports",
					      .fields = port_fields,
					      .n_fields = 3,
					      .keys = name_key,
					      .refs = port_refs,
					      .n_refs = 2,
					      .ops = &hook_ops};
static const struct evs_obj_type mac_type = {.name = "mac",
					     .section = "macs",
					     .fields = mac_fields,
					     .n_fields = 3,
					     .keys = mac_key,
					     .refs = mac_refs,
					     .n_refs = 2,
					     .ops = &hook_ops};
static const struct evs_obj_type *const types[T_N] = {&sw_type, &port_type, &mac_type};

static struct hooks hk[T_N];

struct evs_store *store_new(void)
{
	struct evs_store *st = evs_store_create();
	int t;

	ck_assert_ptr_nonnull(st);
	memset(hk, 0, sizeof(hk));
	for (t = 0; t < T_N; t++)
		ck_assert_int_eq(evs_store_type_add(st, types[t], &hk[t]), 0);
	return st;
}

/* One operation in its own transaction; returns the op's or the commit's rc. */
static int txn1(struct evs_store *st, enum evs_store_op op, const char *type, const char *json,
		struct evs_ctl_err *err)
{
	return unit_store_op(st, op, type, json, err);
}

static void ok1(struct evs_store *st, enum evs_store_op op, const char *type, const char *json)
{
	struct evs_ctl_err err = {0};
	int rc = txn1(st, op, type, json, &err);

	ck_assert_msg(rc == 0, "%s %s: %d %s at %s", type, json, rc, err.message, err.path);
}

START_TEST(type_declarations_checked)
{
	struct evs_store *st = evs_store_create();
	static const struct evs_store_ref bad_ref[] = {{.field = "sw", .type = "nope"}};
	static const struct evs_store_ref not_string[] = {{.field = "size", .type = "sw"}};
	struct evs_obj_type t;

	t = port_type;
	ck_assert_int_eq(evs_store_type_add(st, &t, NULL), -EINVAL); /* sw not added yet */
	ck_assert_int_eq(evs_store_type_add(st, &sw_type, NULL), 0);
	ck_assert_int_eq(evs_store_type_add(st, &sw_type, NULL), -EEXIST);
	t = sw_type;
	t.name = "sw2";
	t.section = "sws2";
	t.defaults = "{\"size\": 1000}"; /* out of the field's range */
	ck_assert_int_eq(evs_store_type_add(st, &t, NULL), -EINVAL);
	t.defaults = "{\"name\": \"x\"}"; /* a required field has no default */
	ck_assert_int_eq(evs_store_type_add(st, &t, NULL), -EINVAL);
	t.defaults = NULL;
	t.keys = (const char *const[]){"size", NULL}; /* optional: not a key */
	ck_assert_int_eq(evs_store_type_add(st, &t, NULL), -EINVAL);
	t = port_type;
	t.refs = bad_ref;
	t.n_refs = 1;
	ck_assert_int_eq(evs_store_type_add(st, &t, NULL), -EINVAL);
	t.name = "sw3";
	t.section = "sws3";
	t.fields = sw_fields;
	t.n_fields = 2;
	t.refs = not_string;
	ck_assert_int_eq(evs_store_type_add(st, &t, NULL), -EINVAL);
	ck_assert_int_eq(evs_store_type_add(st, &port_type, NULL), 0);
	ck_assert_uint_eq(evs_store_type_count(st), 2);
	ok1(st, EVS_STORE_ADD, "sw", "{\"name\":\"s0\"}");
	ck_assert_int_eq(evs_store_type_add(st, &mac_type, NULL), -EBUSY);
	evs_store_free(st);
}
END_TEST

START_TEST(add_get_set_del)
{
	struct evs_store *st = store_new();
	struct evs_ctl_err err;
	struct evs_store_obj *o;

	ck_assert_uint_eq(evs_store_generation(st), 0);
	ok1(st, EVS_STORE_ADD, "sw", "{\"name\":\"s0\"}");
	ck_assert_uint_eq(evs_store_generation(st), 1);
	o = evs_store_lookup_str(st, "sw", "s0");
	ck_assert_ptr_nonnull(o);
	/* stored as given; the default is read through evs_store_field */
	ck_assert_ptr_null(json_object_get(evs_store_obj_value(o), "size"));
	ck_assert_int_eq(
	    json_integer_value(evs_store_field(st, "sw", evs_store_obj_value(o), "size")), 10);
	ck_assert_int_eq(txn1(st, EVS_STORE_ADD, "sw", "{\"name\":\"s0\"}", &err), -EEXIST);
	ck_assert_int_eq(err.code, EVS_CTL_E_EXISTS);
	ck_assert_str_eq(err.path, "/params/name");
	ck_assert_int_eq(txn1(st, EVS_STORE_ADD, "sw", "{\"name\":\"s1\",\"size\":0}", &err),
			 -EINVAL);
	ck_assert_str_eq(err.path, "/params/size");
	ck_assert_int_eq(err.code, EVS_CTL_E_INVALID_PARAMS);
	ck_assert_int_eq(txn1(st, EVS_STORE_SET, "sw", "{\"name\":\"nope\",\"size\":5}", &err),
			 -ENOENT);
	ck_assert_int_eq(err.code, EVS_CTL_E_NOT_FOUND);
	ok1(st, EVS_STORE_SET, "sw", "{\"name\":\"s0\",\"size\":5}");
	ck_assert_int_eq(json_integer_value(json_object_get(
			     evs_store_obj_value(evs_store_lookup_str(st, "sw", "s0")), "size")),
			 5);
	ok1(st, EVS_STORE_SET, "sw", "{\"name\":\"s0\",\"size\":null}");
	ck_assert_ptr_null(
	    json_object_get(evs_store_obj_value(evs_store_lookup_str(st, "sw", "s0")), "size"));
	ck_assert_uint_eq(evs_store_generation(st), 3);
	ok1(st, EVS_STORE_SET, "sw", "{\"name\":\"s0\"}"); /* no change: no new generation */
	ck_assert_uint_eq(evs_store_generation(st), 3);
	ck_assert_uint_eq(evs_store_last_changes(st), 0);
	/* MAC keys are canonical: upper case finds the lower case entry */
	ok1(st, EVS_STORE_ADD, "port", "{\"name\":\"p0\",\"sw\":\"s0\"}");
	ok1(st, EVS_STORE_ADD, "mac",
	    "{\"sw\":\"s0\",\"mac\":\"02:00:00:00:00:aa\",\"port\":\"p0\"}");
	ck_assert_int_eq(txn1(st, EVS_STORE_ADD, "mac",
			      "{\"sw\":\"s0\",\"mac\":\"02-00-00-00-00-AA\",\"port\":\"p0\"}",
			      &err),
			 -EEXIST);
	ok1(st, EVS_STORE_DEL, "mac", "{\"sw\":\"s0\",\"mac\":\"02:00:00:00:00:AA\"}");
	ck_assert_uint_eq(evs_store_count(st, "mac"), 0);
	ck_assert_int_eq(txn1(st, EVS_STORE_ADD, "nope", "{}", &err), -ENOENT);
	evs_store_free(st);
}
END_TEST

START_TEST(references_restrict_and_cascade)
{
	struct evs_store *st = store_new();
	struct evs_ctl_err err;

	ck_assert_int_eq(txn1(st, EVS_STORE_ADD, "port", "{\"name\":\"p0\",\"sw\":\"s0\"}", &err),
			 -ENOENT);
	ck_assert_str_eq(err.path, "/params/sw");
	ck_assert_str_eq(err.message, "no sw named 's0'");
	ok1(st, EVS_STORE_ADD, "sw", "{\"name\":\"s0\"}");
	ok1(st, EVS_STORE_ADD, "sw", "{\"name\":\"s1\"}");
	ck_assert_int_eq(txn1(st, EVS_STORE_ADD, "port",
			      "{\"name\":\"p0\",\"sw\":\"s0\",\"vlans\":[{\"vid\":5,\"sw\":\"s1\"},"
			      "{\"vid\":6,\"sw\":\"s9\"}]}",
			      &err),
			 -ENOENT);
	ck_assert_str_eq(err.path, "/params/vlans/1/sw");
	ok1(st, EVS_STORE_ADD, "port",
	    "{\"name\":\"p0\",\"sw\":\"s0\",\"vlans\":[{\"vid\":5,\"sw\":\"s1\"}]}");
	ok1(st, EVS_STORE_ADD, "mac",
	    "{\"sw\":\"s1\",\"mac\":\"02:00:00:00:00:01\",\"port\":\"p0\"}");
	ok1(st, EVS_STORE_ADD, "mac",
	    "{\"sw\":\"s1\",\"mac\":\"02:00:00:00:00:02\",\"port\":\"p0\"}");
	ck_assert_uint_eq(evs_store_obj_refcount(evs_store_lookup_str(st, "sw", "s1"), "mac", "sw"),
			  2);
	ck_assert_uint_eq(
	    evs_store_obj_refcount(evs_store_lookup_str(st, "sw", "s1"), "port", "vlans[].sw"), 1);
	/* restrict: s1 is on p0's trunk */
	ck_assert_int_eq(txn1(st, EVS_STORE_DEL, "sw", "{\"name\":\"s1\"}", &err), -EBUSY);
	ck_assert_int_eq(err.code, EVS_CTL_E_EXISTS);
	ck_assert_str_eq(err.message, "sw 's1' is in use by port 'p0'");
	ck_assert_uint_eq(evs_store_count(st, "mac"), 2); /* the cascade was undone too */
	ck_assert_uint_eq(evs_store_obj_refcount(evs_store_lookup_str(st, "sw", "s1"), "mac", "sw"),
			  2);
	/* cascade: the port's MACs go with it */
	ok1(st, EVS_STORE_DEL, "port", "{\"name\":\"p0\"}");
	ck_assert_uint_eq(evs_store_last_changes(st), 3);
	ck_assert_uint_eq(evs_store_count(st, "mac"), 0);
	ck_assert_uint_eq(evs_store_obj_refcount(evs_store_lookup_str(st, "sw", "s1"), "mac", "sw"),
			  0);
	ck_assert_uint_eq(hk[T_MAC].deltas[EVS_STORE_DEL], 2);
	ok1(st, EVS_STORE_DEL, "sw", "{\"name\":\"s1\"}");
	evs_store_free(st);
}
END_TEST

START_TEST(failed_prepare_restores_everything)
{
	struct evs_store *st = store_new();
	struct evs_store_txn *txn;
	struct evs_ctl_err err;
	json_t *before;
	uint64_t gen;

	ok1(st, EVS_STORE_ADD, "sw", "{\"name\":\"s0\"}");
	ok1(st, EVS_STORE_ADD, "port", "{\"name\":\"p0\",\"sw\":\"s0\"}");
	ok1(st, EVS_STORE_ADD, "port", "{\"name\":\"p1\",\"sw\":\"s0\"}");
	ok1(st, EVS_STORE_ADD, "mac",
	    "{\"sw\":\"s0\",\"mac\":\"02:00:00:00:00:01\",\"port\":\"p0\"}");
	before = evs_store_doc(st);
	gen = evs_store_generation(st);
	memset(hk, 0, sizeof(hk));
	hk[T_PORT].fail_name = "px";
	/* delete p0 (cascading its MAC), change s0, add a port the "driver" refuses */
	txn = evs_store_txn_begin(st);
	ck_assert_int_eq(evs_store_txn_op(txn, EVS_STORE_DEL, "port",
					  json_pack("{s:s}", "name", "p0"), "/ops/0", &err),
			 0);
	ck_assert_int_eq(evs_store_txn_op(txn, EVS_STORE_SET, "sw",
					  json_pack("{s:s, s:i}", "name", "s0", "size", 50),
					  "/ops/1", &err),
			 0);
	ck_assert_int_eq(evs_store_txn_op(txn, EVS_STORE_ADD, "port",
					  json_pack("{s:s, s:s}", "name", "px", "sw", "s0"),
					  "/ops/2", &err),
			 0);
	ck_assert_ptr_null(evs_store_txn_begin(st)); /* one at a time */
	ck_assert_int_eq(evs_store_txn_commit(txn, &err), -EIO);
	ck_assert_int_eq(err.code, EVS_CTL_E_APPLY_FAILED);
	ck_assert_str_eq(err.path, "/ops/2");
	/* prepare ran for sw then port (failed); both were aborted, mac never prepared */
	ck_assert_uint_eq(hk[T_SW].prepared, 1);
	ck_assert_uint_eq(hk[T_PORT].prepared, 1);
	ck_assert_uint_eq(hk[T_SW].aborted, 1);
	ck_assert_uint_eq(hk[T_PORT].aborted, 1);
	ck_assert_uint_eq(hk[T_MAC].prepared, 0);
	ck_assert_uint_eq(hk[T_SW].committed + hk[T_PORT].committed + hk[T_MAC].committed, 0);
	ck_assert_uint_eq(evs_store_generation(st), gen);
	{
		json_t *after = evs_store_doc(st);

		ck_assert_msg(json_equal(before, after), "store changed by a failed transaction");
		json_decref(after);
	}
	ck_assert_uint_eq(
	    evs_store_obj_refcount(evs_store_lookup_str(st, "port", "p0"), "mac", "port"), 1);
	ck_assert_uint_eq(
	    evs_store_obj_refcount(evs_store_lookup_str(st, "sw", "s0"), "port", "sw"), 2);
	json_decref(before);
	evs_store_free(st);
}
END_TEST

START_TEST(capacity_checked_at_validation)
{
	struct evs_store *st = store_new();
	struct evs_ctl_err err;
	char js[128];
	int i;

	for (i = 0; i < 3; i++) {
		snprintf(js, sizeof(js), "{\"name\":\"s%d\"}", i);
		ok1(st, EVS_STORE_ADD, "sw", js);
	}
	ck_assert_int_eq(txn1(st, EVS_STORE_ADD, "sw", "{\"name\":\"s3\"}", &err), -ENOSPC);
	ck_assert_int_eq(err.code, EVS_CTL_E_BUSY);
	ok1(st, EVS_STORE_ADD, "port", "{\"name\":\"p0\",\"sw\":\"s0\"}");
	hk[T_MAC].mac_capacity = 2;
	ok1(st, EVS_STORE_ADD, "mac",
	    "{\"sw\":\"s0\",\"mac\":\"02:00:00:00:00:01\",\"port\":\"p0\"}");
	ok1(st, EVS_STORE_ADD, "mac",
	    "{\"sw\":\"s0\",\"mac\":\"02:00:00:00:00:02\",\"port\":\"p0\"}");
	hk[T_MAC].prepared = 0;
	ck_assert_int_eq(txn1(st, EVS_STORE_ADD, "mac",
			      "{\"sw\":\"s0\",\"mac\":\"02:00:00:00:00:03\",\"port\":\"p0\"}",
			      &err),
			 -ENOSPC);
	ck_assert_uint_eq(hk[T_MAC].prepared, 0); /* refused before any table was touched */
	ck_assert_uint_eq(evs_store_count(st, "mac"), 2);
	evs_store_free(st);
}
END_TEST

static int apply_doc(struct evs_store *st, const char *js, struct evs_ctl_err *err)
{
	struct evs_store_txn *txn = evs_store_txn_begin(st);
	json_error_t je;
	json_t *doc = json_loads(js, 0, &je);
	int rc;

	ck_assert_msg(doc != NULL, "bad test JSON: %s", je.text);
	rc = evs_store_txn_doc(txn, doc, "/params/config", err);
	json_decref(doc);
	if (rc < 0) {
		evs_store_txn_abort(txn);
		return rc;
	}
	return evs_store_txn_commit(txn, err);
}

START_TEST(document_diff_touches_only_changes)
{
	struct evs_store *st = store_new();
	struct evs_ctl_err err;
	const char *d1 =
	    "{\"sws\":[{\"name\":\"s0\"},{\"name\":\"s1\"}],"
	    "\"ports\":[{\"name\":\"p0\",\"sw\":\"s0\"},{\"name\":\"p1\",\"sw\":\"s1\"}],"
	    "\"macs\":[{\"sw\":\"s0\",\"mac\":\"02:00:00:00:00:01\",\"port\":\"p0\"}]}";
	const char *d2 =
	    "{\"sws\":[{\"name\":\"s0\"},{\"name\":\"s1\"}],"
	    "\"ports\":[{\"name\":\"p0\",\"sw\":\"s0\"},{\"name\":\"p1\",\"sw\":\"s0\"}]}";
	json_t *got, *want;
	json_error_t je;

	ck_assert_int_eq(apply_doc(st, d1, &err), 0);
	ck_assert_uint_eq(hk[T_SW].deltas[EVS_STORE_ADD] + hk[T_PORT].deltas[EVS_STORE_ADD] +
			      hk[T_MAC].deltas[EVS_STORE_ADD],
			  5);
	got = evs_store_doc(st);
	want = json_loads(d1, 0, &je);
	ck_assert(json_equal(got, want));
	json_decref(got);
	json_decref(want);
	memset(hk, 0, sizeof(hk));
	ck_assert_int_eq(apply_doc(st, d1, &err), 0); /* the same: nothing touched */
	ck_assert_uint_eq(hk[T_SW].prepared + hk[T_PORT].prepared + hk[T_MAC].prepared, 0);
	ck_assert_uint_eq(evs_store_generation(st), 1);
	ck_assert_int_eq(apply_doc(st, d2, &err), 0); /* p1 moves, the MAC goes */
	ck_assert_uint_eq(hk[T_SW].prepared, 0);
	ck_assert_uint_eq(hk[T_PORT].deltas[EVS_STORE_SET], 1);
	ck_assert_uint_eq(hk[T_PORT].deltas[EVS_STORE_ADD] + hk[T_PORT].deltas[EVS_STORE_DEL], 0);
	ck_assert_uint_eq(hk[T_MAC].deltas[EVS_STORE_DEL], 1);
	ck_assert_uint_eq(evs_store_generation(st), 2);
	evs_store_free(st);
}
END_TEST

/* A document staged after a delete of one of its objects in the same
 * transaction brings it back (the diff's single lookup per item must still
 * find the deleted object), with the document's value. */
START_TEST(document_revives_object_deleted_in_transaction)
{
	struct evs_store *st = store_new();
	struct evs_store_txn *txn;
	struct evs_ctl_err err;
	json_t *doc;

	ck_assert_int_eq(apply_doc(st, "{\"sws\":[{\"name\":\"a\"},{\"name\":\"b\"}]}", &err), 0);
	txn = evs_store_txn_begin(st);
	ck_assert_int_eq(
	    evs_store_txn_op(txn, EVS_STORE_DEL, "sw", json_pack("{s:s}", "name", "a"), "/x", &err),
	    0);
	doc = json_loads("{\"sws\":[{\"name\":\"b\"},{\"name\":\"a\",\"size\":7}]}", 0, NULL);
	ck_assert_int_eq(evs_store_txn_doc(txn, doc, "", &err), 0);
	json_decref(doc);
	ck_assert_int_eq(evs_store_txn_commit(txn, &err), 0);
	ck_assert_uint_eq(evs_store_count(st, "sw"), 2);
	ck_assert_uint_eq(evs_store_last_changes(st), 1); /* one set, not a del and an add */
	ck_assert_int_eq(json_integer_value(json_object_get(
			     evs_store_obj_value(evs_store_lookup_str(st, "sw", "a")), "size")),
			 7);
	evs_store_free(st);
}
END_TEST

/* evs_store_obj_target(): what each reference resolved to, the first item
 * of a ref into an array, NULL for a ref left empty. */
START_TEST(obj_target_follows_references)
{
	struct evs_store *st = store_new();
	struct evs_store_obj *m, *p;
	struct evs_ctl_err err;
	json_t *k;

	ck_assert_int_eq(
	    apply_doc(st,
		      "{\"sws\":[{\"name\":\"a\"},{\"name\":\"b\"}],"
		      "\"ports\":[{\"name\":\"p0\",\"sw\":\"a\"},{\"name\":\"p1\","
		      "\"vlans\":[{\"vid\":5,\"sw\":\"b\"},{\"vid\":6,\"sw\":\"a\"}]}],"
		      "\"macs\":[{\"sw\":\"b\",\"mac\":\"02:00:00:00:00:01\",\"port\":\"p1\"}]}",
		      &err),
	    0);
	k = json_pack("{s:s, s:s}", "sw", "b", "mac", "02:00:00:00:00:01");
	m = evs_store_lookup(st, "mac", k);
	json_decref(k);
	ck_assert_ptr_nonnull(m);
	ck_assert_ptr_eq(evs_store_obj_target(m, 0), evs_store_lookup_str(st, "sw", "b"));
	ck_assert_ptr_eq(evs_store_obj_target(m, 1), evs_store_lookup_str(st, "port", "p1"));
	ck_assert_ptr_null(evs_store_obj_target(m, 2));
	p = evs_store_lookup_str(st, "port", "p1");
	ck_assert_ptr_null(evs_store_obj_target(p, 0)); /* no native switch */
	ck_assert_ptr_eq(evs_store_obj_target(p, 1), evs_store_lookup_str(st, "sw", "b"));
	ck_assert_ptr_eq(evs_store_obj_target(evs_store_lookup_str(st, "port", "p0"), 0),
			 evs_store_lookup_str(st, "sw", "a"));
	evs_store_free(st);
}
END_TEST

START_TEST(document_errors_have_paths)
{
	struct evs_store *st = store_new();
	struct evs_ctl_err err;

	ck_assert_int_eq(apply_doc(st, "[]", &err), -EINVAL);
	ck_assert_str_eq(err.path, "/params/config");
	ck_assert_int_eq(apply_doc(st, "{\"nope\":[]}", &err), -EINVAL);
	ck_assert_str_eq(err.path, "/params/config/nope");
	ck_assert_int_eq(apply_doc(st, "{\"sws\":{}}", &err), -EINVAL);
	ck_assert_str_eq(err.path, "/params/config/sws");
	ck_assert_int_eq(apply_doc(st, "{\"sws\":[{\"name\":\"a\"},{\"name\":\"a\"}]}", &err),
			 -EEXIST);
	ck_assert_str_eq(err.path, "/params/config/sws/1/name");
	ck_assert_int_eq(apply_doc(st, "{\"sws\":[{\"name\":\"a\",\"size\":\"x\"}]}", &err),
			 -EINVAL);
	ck_assert_str_eq(err.path, "/params/config/sws/0/size");
	ck_assert_int_eq(apply_doc(st,
				   "{\"sws\":[{\"name\":\"a\"}],\"ports\":[{\"name\":\"p\","
				   "\"sw\":\"a\"},{\"name\":\"q\",\"sw\":\"b\"}]}",
				   &err),
			 -ENOENT);
	ck_assert_str_eq(err.path, "/params/config/ports/1/sw");
	ck_assert_uint_eq(evs_store_count(st, "sw") + evs_store_count(st, "port"), 0);
	ck_assert_uint_eq(evs_store_generation(st), 0);
	evs_store_free(st);
}
END_TEST

/* --- Naive model ------------------------------------------------------------ */

struct mref {
	int from, to;
	const char *arr, *field;
	bool cascade;
};
static const struct mref mrefs[] = {
    {T_PORT, T_SW, NULL, "sw", false},
    {T_PORT, T_SW, "vlans", "sw", false},
    {T_MAC, T_SW, NULL, "sw", true},
    {T_MAC, T_PORT, NULL, "port", true},
};
#define N_MREFS (sizeof(mrefs) / sizeof(mrefs[0]))
static const char *const tnames[T_N] = {"sw", "port", "mac"};

struct mobj {
	int t;
	json_t *v, *begin; /* begin: committed value, NULL if new in the transaction */
	bool live, touched;
	bool keyed; /* first touched by an op on it, not by a cascade */
	int torder;
	char path[32];
};

struct model {
	struct mobj o[256];
	int n, ntouch;
	uint64_t gen;
};

static bool same_key(int t, const json_t *a, const json_t *b)
{
	if (t == T_MAC)
		return json_equal(json_object_get(a, "sw"), json_object_get(b, "sw")) &&
		       json_equal(json_object_get(a, "mac"), json_object_get(b, "mac"));
	return json_equal(json_object_get(a, "name"), json_object_get(b, "name"));
}

static const char *key_name(int t, const json_t *v)
{
	return t == T_MAC ? NULL : json_string_value(json_object_get(v, "name"));
}

static int m_find(struct model *m, int t, const json_t *k)
{
	int i;

	for (i = 0; i < m->n; i++)
		if (m->o[i].t == t && same_key(t, m->o[i].v, k))
			return i;
	return -1;
}

static bool refs_name(const struct mref *r, const json_t *v, const char *name)
{
	const json_t *a, *it;
	size_t i;

	if (v == NULL || name == NULL)
		return false;
	if (r->arr == NULL) {
		const char *s = json_string_value(json_object_get(v, r->field));

		return s != NULL && strcmp(s, name) == 0;
	}
	a = json_object_get(v, r->arr);
	json_array_foreach (a, i, it) {
		const char *s = json_string_value(json_object_get(it, r->field));

		if (s != NULL && strcmp(s, name) == 0)
			return true;
	}
	return false;
}

static void m_touch(struct model *m, struct mobj *o, const char *path, bool keyed)
{
	if (o->touched)
		return;
	o->touched = true;
	o->keyed = keyed;
	o->torder = m->ntouch++;
	snprintf(o->path, sizeof(o->path), "%s", path);
}

static const struct evs_ctl_param *const tfields[T_N] = {sw_fields, port_fields, mac_fields};
static const size_t tnfields[T_N] = {2, 3, 3};

static void m_del(struct model *m, int i, const char *path, bool keyed)
{
	struct mobj *o = &m->o[i];
	const char *name = key_name(o->t, o->v);
	size_t r;
	int j;

	m_touch(m, o, path, keyed);
	o->live = false;
	if (o->begin == NULL)
		return; /* new in this transaction: nothing links to it */
	for (r = 0; r < N_MREFS; r++) {
		if (mrefs[r].to != o->t || !mrefs[r].cascade)
			continue;
		for (j = 0; j < m->n; j++) {
			struct mobj *x = &m->o[j];

			if (x->t == mrefs[r].from && x->live &&
			    refs_name(&mrefs[r], x->begin, name) &&
			    refs_name(&mrefs[r], x->v, name))
				m_del(m, j, path, false);
		}
	}
}

static int m_op(struct model *m, enum evs_store_op op, int t, const json_t *v, const char *path)
{
	struct evs_ctl_err err;
	int i = m_find(m, t, v);
	json_t *merged;
	const char *k;
	json_t *x;

	if (op == EVS_STORE_ADD) {
		if (evs_ctl_validate(v, path, tfields[t], tnfields[t], &err) < 0)
			return -EINVAL;
		if (i >= 0 && m->o[i].live)
			return -EEXIST;
		if (i >= 0) {
			json_decref(m->o[i].v);
			m->o[i].v = json_deep_copy(v);
			m->o[i].live = true;
			return 0;
		}
		ck_assert_int_lt(m->n, 256);
		m->o[m->n] = (struct mobj){.t = t, .v = json_deep_copy(v), .live = true};
		m_touch(m, &m->o[m->n], path, true);
		m->n++;
		return 0;
	}
	if (i < 0 || !m->o[i].live)
		return -ENOENT;
	if (op == EVS_STORE_DEL) {
		m_del(m, i, path, true);
		return 0;
	}
	merged = json_deep_copy(m->o[i].v);
	json_object_foreach ((json_t *)v, k, x) {
		if (json_is_null(x))
			json_object_del(merged, k);
		else
			json_object_set_new(merged, k, json_deep_copy(x));
	}
	if (evs_ctl_validate(merged, path, tfields[t], tnfields[t], &err) < 0) {
		json_decref(merged);
		return -EINVAL;
	}
	m_touch(m, &m->o[i], path, true);
	json_decref(m->o[i].v);
	m->o[i].v = merged;
	return 0;
}

static int m_live_count(const struct model *m, int t)
{
	int i, n = 0;

	for (i = 0; i < m->n; i++)
		n += m->o[i].t == t && m->o[i].live;
	return n;
}

static bool m_live_named(const struct model *m, int t, const char *name)
{
	int i;

	for (i = 0; i < m->n; i++)
		if (m->o[i].t == t && m->o[i].live && strcmp(key_name(t, m->o[i].v), name) == 0)
			return true;
	return false;
}

/* Touched objects in the order they were first touched. */
static int m_touched(const struct model *m, int *idx)
{
	int i, n = 0, k;

	for (k = 0; k < m->ntouch; k++)
		for (i = 0; i < m->n; i++)
			if (m->o[i].touched && m->o[i].torder == k)
				idx[n++] = i;
	return n;
}

/* The store's commit rules, the slow way; @path gets the error's path. */
static int m_validate(const struct model *m, char *path, size_t len)
{
	int idx[256], n = m_touched(m, idx), a, j;
	size_t r, i;

	for (a = 0; a < n; a++) {
		const struct mobj *o = &m->o[idx[a]];

		if (!o->live)
			continue;
		for (r = 0; r < N_MREFS; r++) {
			const struct mref *mr = &mrefs[r];
			const json_t *arr = mr->arr ? json_object_get(o->v, mr->arr) : NULL;
			size_t cnt = mr->arr ? json_array_size(arr) : 1;

			if (mr->from != o->t)
				continue;
			for (i = 0; i < cnt; i++) {
				const json_t *holder = mr->arr ? json_array_get(arr, i) : o->v;
				const char *nm =
				    json_string_value(json_object_get(holder, mr->field));

				if (nm == NULL || nm[0] == '\0' || m_live_named(m, mr->to, nm))
					continue;
				if (mr->arr)
					snprintf(path, len, "%s/%s/%zu/%s", o->path, mr->arr, i,
						 mr->field);
				else
					snprintf(path, len, "%s/%s", o->path, mr->field);
				return -ENOENT;
			}
		}
	}
	for (a = 0; a < n; a++) {
		const struct mobj *o = &m->o[idx[a]];

		if (o->live || o->begin == NULL)
			continue;
		for (j = 0; j < m->n; j++) {
			const struct mobj *x = &m->o[j];

			for (r = 0; r < N_MREFS; r++)
				if (!x->touched && x->live && mrefs[r].from == x->t &&
				    mrefs[r].to == o->t &&
				    refs_name(&mrefs[r], x->v, key_name(o->t, o->v))) {
					/* an op's object: its key field; a cascade: the op */
					snprintf(path, len, "%s%s", o->path,
						 o->keyed ? "/name" : "");
					return -EBUSY;
				}
		}
	}
	for (a = 0; a < n; a++) {
		const struct mobj *o = &m->o[idx[a]];

		if (o->live && o->t == T_SW && m_live_count(m, T_SW) > 3) {
			snprintf(path, len, "%s", o->path);
			return -ENOSPC;
		}
	}
	/* the port hook refuses to add "p3" */
	for (a = 0; a < n; a++) {
		const struct mobj *o = &m->o[idx[a]];

		if (o->t == T_PORT && o->live && o->begin == NULL &&
		    strcmp(key_name(T_PORT, o->v), "p3") == 0) {
			snprintf(path, len, "%s", o->path);
			return -EIO;
		}
	}
	return 0;
}

static void m_copy(struct model *dst, const struct model *src)
{
	int i;

	*dst = *src;
	for (i = 0; i < src->n; i++) {
		dst->o[i].v = json_deep_copy(src->o[i].v);
		dst->o[i].begin = src->o[i].begin ? json_deep_copy(src->o[i].begin) : NULL;
	}
}

static void m_clear(struct model *m)
{
	int i;

	for (i = 0; i < m->n; i++) {
		json_decref(m->o[i].v);
		json_decref(m->o[i].begin);
	}
	m->n = 0;
}

/* Commit succeeded: drop the dead, the current values become committed. */
static void m_settle(struct model *m)
{
	bool changed = false;
	int i, k = 0;

	for (i = 0; i < m->n; i++) {
		struct mobj *o = &m->o[i];

		if (o->touched && ((o->begin == NULL) != !o->live ||
				   (o->begin != NULL && o->live && !json_equal(o->begin, o->v))))
			changed = true;
		if (!o->live) {
			json_decref(o->v);
			json_decref(o->begin);
			continue;
		}
		json_decref(o->begin);
		o->begin = json_deep_copy(o->v);
		o->touched = false;
		m->o[k++] = *o;
	}
	m->n = k;
	m->ntouch = 0;
	m->gen += changed;
}

static void compare(struct evs_store *st, const struct model *m, unsigned int step)
{
	int t, i;

	ck_assert_msg(evs_store_generation(st) == m->gen, "step %u: generation %lu, model %lu",
		      step, (unsigned long)evs_store_generation(st), (unsigned long)m->gen);
	for (t = 0; t < T_N; t++) {
		struct evs_store_obj *o = evs_store_first(st, tnames[t]);

		for (i = 0; i < m->n; i++) {
			if (m->o[i].t != t)
				continue;
			ck_assert_msg(o != NULL, "step %u: store lacks a %s", step, tnames[t]);
			ck_assert_msg(json_equal((json_t *)evs_store_obj_value(o), m->o[i].v),
				      "step %u: %s differs", step, tnames[t]);
			o = evs_store_next(o);
		}
		ck_assert_msg(o == NULL, "step %u: store has an extra %s", step, tnames[t]);
		ck_assert_uint_eq(evs_store_count(st, tnames[t]), (size_t)m_live_count(m, t));
	}
	/* reference counts: MACs per switch */
	for (i = 0; i < m->n; i++) {
		const char *nm = key_name(m->o[i].t, m->o[i].v);
		uint32_t want = 0;
		int j;

		if (m->o[i].t != T_SW)
			continue;
		for (j = 0; j < m->n; j++)
			want += m->o[j].t == T_MAC && refs_name(&mrefs[2], m->o[j].v, nm);
		ck_assert_uint_eq(
		    evs_store_obj_refcount(evs_store_lookup_str(st, "sw", nm), "mac", "sw"), want);
	}
}

/* A random value for @op on type @t from small name pools (so keys collide). */
static json_t *random_value(int t, enum evs_store_op op)
{
	char mac[24], nm[12];
	json_t *v;

	snprintf(mac, sizeof(mac), "02:00:00:00:00:0%d", rand() % 4);
	if (t == T_SW) {
		snprintf(nm, sizeof(nm), "s%d", rand() % (rand() % 8 ? 3 : 5));
		v = json_pack("{s:s}", "name", nm);
		if (op != EVS_STORE_DEL && rand() % 2)
			json_object_set_new(v, "size",
					    json_integer(rand() % (rand() % 8 ? 100 : 110)));
		return v;
	}
	if (t == T_PORT) {
		snprintf(nm, sizeof(nm), "p%d", rand() % (rand() % 8 ? 3 : 4));
		v = json_pack("{s:s}", "name", nm);
		if (op == EVS_STORE_DEL)
			return v;
		snprintf(nm, sizeof(nm), "s%d", rand() % (rand() % 8 ? 3 : 5));
		if (rand() % 3)
			json_object_set_new(
			    v, "sw",
			    op == EVS_STORE_SET && rand() % 4 == 0 ? json_null() : json_string(nm));
		if (rand() % 4 == 0) {
			snprintf(nm, sizeof(nm), "s%d", rand() % 5);
			json_object_set_new(
			    v, "vlans", json_pack("[{s:i, s:s}]", "vid", 1 + rand() % 9, "sw", nm));
		}
		return v;
	}
	snprintf(nm, sizeof(nm), "s%d", rand() % 3);
	v = json_pack("{s:s, s:s}", "sw", nm, "mac", mac);
	if (op != EVS_STORE_DEL) {
		snprintf(nm, sizeof(nm), "p%d", rand() % (rand() % 8 ? 3 : 4));
		json_object_set_new(v, "port", json_string(nm));
	}
	return v;
}

START_TEST(random_transactions_match_model)
{
	struct evs_store *st = store_new();
	struct model *m = calloc(1, sizeof(*m)), *saved = calloc(1, sizeof(*saved));
	unsigned int step, ok = 0, failed = 0, macs_seen = 0;

	hk[T_PORT].fail_name = "p3";
	srand(9);
	for (step = 0; step < 6000; step++) {
		struct evs_store_txn *txn = evs_store_txn_begin(st);
		int nops = 1 + rand() % 10, k, rc = 0, mrc;
		char mpath[EVS_CTL_PATH_MAX];
		struct evs_ctl_err err;
		bool abandon = false;

		json_t *doc0 = evs_store_doc(st), *doc1;

		m_copy(saved, m);
		for (k = 0; k < nops && !abandon; k++) {
			int t = rand() % T_N;
			int r = rand() % 8; /* adds first: the state should fill up */
			enum evs_store_op op = r < 4   ? EVS_STORE_ADD
					       : r < 6 ? EVS_STORE_SET
						       : EVS_STORE_DEL;
			json_t *v = random_value(t, op);
			char path[16];

			snprintf(path, sizeof(path), "/ops/%d", k);
			mrc = m_op(m, op, t, v, path);
			rc = evs_store_txn_op(txn, op, tnames[t], v, path, &err);
			ck_assert_msg(rc == mrc, "step %u op %d (%s %d): store %d, model %d", step,
				      k, tnames[t], op, rc, mrc);
			abandon = rc < 0 && rand() % 8 == 0;
		}
		/* the open transaction is invisible to readers (a large one stays
		 * open across polls): the document is the committed one */
		doc1 = evs_store_doc(st);
		ck_assert_msg(json_equal(doc0, doc1), "step %u: the document shows staged changes",
			      step);
		json_decref(doc0);
		json_decref(doc1);
		if (abandon || rand() % 20 == 0) {
			evs_store_txn_abort(txn);
			m_clear(m);
			m_copy(m, saved);
		} else {
			mrc = m_validate(m, mpath, sizeof(mpath));
			rc = evs_store_txn_commit(txn, &err);
			ck_assert_msg(rc == mrc, "step %u: commit %d (%s at %s), model %d at %s",
				      step, rc, err.message, err.path, mrc, mpath);
			if (rc < 0) {
				ck_assert_str_eq(err.path, mpath);
				m_clear(m);
				m_copy(m, saved);
				failed++;
			} else {
				m_settle(m);
				ok++;
			}
		}
		m_clear(saved);
		compare(st, m, step);
		macs_seen += (unsigned int)m_live_count(m, T_MAC);
	}
	/* the state must be rich enough to find bugs: commits, failures, MACs */
	ck_assert_uint_gt(ok, 1000);
	ck_assert_uint_gt(failed, 500);
	ck_assert_uint_ge(macs_seen, step); /* at least one MAC on average */
	m_clear(m);
	free(m);
	free(saved);
	evs_store_free(st);
}
END_TEST

/* Same sections holding the same objects, in any order (an undone delete
 * re-adds at the end). */
static bool same_objects(const json_t *a, const json_t *b)
{
	const char *k;
	json_t *arr, *x, *y;
	size_t i, j;

	if (json_object_size(a) != json_object_size(b))
		return false;
	json_object_foreach ((json_t *)a, k, arr) {
		json_t *brr = json_object_get(b, k);
		bool found;

		if (json_array_size(arr) != json_array_size(brr))
			return false;
		json_array_foreach (arr, i, x) {
			found = false;
			json_array_foreach (brr, j, y)
				found = found || json_equal(x, y);
			if (!found)
				return false;
		}
	}
	return true;
}

/* The change records of random transactions replayed on a replica give the
 * same document; undoing them gives the document before (restart replay and
 * rollback of unwritten changes). */
START_TEST(records_replay_and_undo_match)
{
	struct evs_store *st = store_new(), *rep = store_new();
	unsigned int step, replayed = 0, undone = 0;
	struct evs_ctl_err err;

	evs_store_record_changes(st, true);
	srand(11);
	for (step = 0; step < 3000; step++) {
		struct evs_store_txn *txn = evs_store_txn_begin(st), *rt;
		int nops = 1 + rand() % 10, k;
		json_t *before = evs_store_doc(st), *after, *rd;
		uint64_t gen = evs_store_generation(st);

		for (k = 0; k < nops; k++) {
			int t = rand() % T_N, r = rand() % 8;
			enum evs_store_op op = r < 4   ? EVS_STORE_ADD
					       : r < 6 ? EVS_STORE_SET
						       : EVS_STORE_DEL;

			evs_store_txn_op(txn, op, tnames[t], random_value(t, op), "", &err);
		}
		if (evs_store_txn_commit(txn, &err) < 0 || evs_store_generation(st) == gen) {
			json_decref(before);
			continue;
		}
		ck_assert_ptr_nonnull(evs_store_last_records(st));
		after = evs_store_doc(st);
		rt = evs_store_txn_begin(rep);
		/* the JSON records and their compact form, in turns */
		k = step % 2
			? evs_store_txn_recs(rt, evs_store_last_recs(st), false, "", &err)
			: evs_store_txn_records(rt, evs_store_last_records(st), false, "", &err);
		ck_assert_msg(k == 0, "step %u: %s at %s in %s", step, err.message, err.path,
			      json_dumps(evs_store_last_records(st), JSON_COMPACT));
		ck_assert_msg(evs_store_txn_commit(rt, &err) == 0, "step %u: %s at %s", step,
			      err.message, err.path);
		rd = evs_store_doc(rep);
		ck_assert_msg(json_equal(rd, after), "step %u: replica differs", step);
		json_decref(rd);
		replayed++;
		if (step % 3 == 0) {
			json_t *recs =
			    json_deep_copy(evs_store_last_records(st)); /* as read back */

			rt = evs_store_txn_begin(rep);
			ck_assert_int_eq(evs_store_txn_records(rt, recs, true, "", &err), 0);
			ck_assert_msg(evs_store_txn_commit(rt, &err) == 0, "step %u undo: %s at %s",
				      step, err.message, err.path);
			rd = evs_store_doc(rep);
			ck_assert_msg(same_objects(rd, before), "step %u: undo differs", step);
			json_decref(rd);
			rt = evs_store_txn_begin(rep);
			ck_assert_int_eq(evs_store_txn_records(rt, recs, false, "", &err), 0);
			ck_assert_int_eq(evs_store_txn_commit(rt, &err), 0);
			json_decref(recs);
			undone++;
		} else if (step % 3 == 1) {
			struct evs_recs *rs = evs_recs_ref(evs_store_last_recs(st));

			rt = evs_store_txn_begin(rep);
			ck_assert_int_eq(evs_store_txn_recs(rt, rs, true, "", &err), 0);
			ck_assert_msg(evs_store_txn_commit(rt, &err) == 0,
				      "step %u compact undo: %s at %s", step, err.message,
				      err.path);
			rd = evs_store_doc(rep);
			ck_assert_msg(same_objects(rd, before), "step %u: compact undo differs",
				      step);
			json_decref(rd);
			rt = evs_store_txn_begin(rep);
			ck_assert_int_eq(evs_store_txn_recs(rt, rs, false, "", &err), 0);
			ck_assert_int_eq(evs_store_txn_commit(rt, &err), 0);
			evs_store_recs_drop(st, rs);
			undone++;
		}
		json_decref(before);
		json_decref(after);
	}
	ck_assert_uint_gt(replayed, 500);
	ck_assert_uint_gt(undone, 200);
	/* A record naming a missing object is refused with its index. */
	{
		struct evs_store_txn *rt = evs_store_txn_begin(rep);
		json_t *bad = json_loads(
		    "[{\"op\":\"del\",\"type\":\"sw\",\"old\":{\"name\":\"nope\"}}]", 0, NULL);

		ck_assert_int_eq(evs_store_txn_records(rt, bad, false, "/l", &err), -ENOENT);
		ck_assert_str_eq(err.path, "/l/0");
		evs_store_txn_abort(rt);
		json_decref(bad);
	}
	evs_store_free(rep);
	evs_store_free(st);
}
END_TEST

/* Many objects: the index and the diff stay correct past several regrowths. */
START_TEST(many_objects_index_and_diff)
{
	struct evs_store *st = store_new();
	json_t *doc = json_pack("{s:[{s:s}], s:[{s:s, s:s}], s:[]}", "sws", "name", "s0", "ports",
				"name", "p0", "sw", "s0", "macs");
	json_t *macs = json_object_get(doc, "macs");
	struct evs_store_txn *txn;
	struct evs_ctl_err err;
	char mac[24];
	int i, n = 20000;

	for (i = 0; i < n; i++) {
		snprintf(mac, sizeof(mac), "02:00:00:%02x:%02x:%02x", (i >> 16) & 0xff,
			 (i >> 8) & 0xff, i & 0xff);
		json_array_append_new(
		    macs, json_pack("{s:s, s:s, s:s}", "sw", "s0", "mac", mac, "port", "p0"));
	}
	txn = evs_store_txn_begin(st);
	ck_assert_int_eq(evs_store_txn_doc(txn, doc, "", &err), 0);
	ck_assert_int_eq(evs_store_txn_commit(txn, &err), 0);
	ck_assert_uint_eq(evs_store_count(st, "mac"), (size_t)n);
	ck_assert_uint_eq(
	    evs_store_obj_refcount(evs_store_lookup_str(st, "port", "p0"), "mac", "port"),
	    (uint32_t)n);
	/* drop every other MAC: exactly those deltas */
	for (i = n - 2; i >= 0; i -= 2)
		json_array_remove(macs, (size_t)i);
	memset(hk, 0, sizeof(hk));
	txn = evs_store_txn_begin(st);
	ck_assert_int_eq(evs_store_txn_doc(txn, doc, "", &err), 0);
	ck_assert_int_eq(evs_store_txn_commit(txn, &err), 0);
	ck_assert_uint_eq(hk[T_MAC].deltas[EVS_STORE_DEL], (size_t)n / 2);
	ck_assert_uint_eq(hk[T_MAC].deltas[EVS_STORE_ADD] + hk[T_PORT].prepared, 0);
	for (i = 0; i < n; i++) {
		json_t *k;

		snprintf(mac, sizeof(mac), "02:00:00:%02x:%02x:%02x", (i >> 16) & 0xff,
			 (i >> 8) & 0xff, i & 0xff);
		k = json_pack("{s:s, s:s}", "sw", "s0", "mac", mac);
		ck_assert((evs_store_lookup(st, "mac", k) != NULL) == (i % 2 == 1));
		json_decref(k);
	}
	json_decref(doc);
	evs_store_free(st);
}
END_TEST

int main(void)
{
	const struct unit_case cases[] = {
	    {"type_declarations_checked", type_declarations_checked},
	    {"add_get_set_del", add_get_set_del},
	    {"references_restrict_and_cascade", references_restrict_and_cascade},
	    {"failed_prepare_restores_everything", failed_prepare_restores_everything},
	    {"capacity_checked_at_validation", capacity_checked_at_validation},
	    {"document_diff_touches_only_changes", document_diff_touches_only_changes},
	    {"document_errors_have_paths", document_errors_have_paths},
	    {"obj_target_follows_references", obj_target_follows_references},
	    {"document_revives_object_deleted_in_transaction",
	     document_revives_object_deleted_in_transaction},
	    {"random_transactions_match_model", random_transactions_match_model},
	    {"many_objects_index_and_diff", many_objects_index_and_diff},
	    {"records_replay_and_undo_match", records_replay_and_undo_match},
	};
	Suite *s = suite_create("store");
	SRunner *sr;
	int failed;

	unit_add_cases(s, cases, sizeof(cases) / sizeof(cases[0]), NULL, NULL, 0);
	store_ctl_add_cases(s);
	store_secrets_add_cases(s);
	store_slice_add_cases(s);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
