/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The methods lib/store generates (TYPE.add/del/set/get/list, transact,
 * config.get/apply, schema), driven through a real lib/ctl server: replies,
 * generations, error codes and paths, expect_generation, the commit and
 * wait hooks.
 */

#include <check.h>
#include <errno.h>
#include <string.h>

#include "ctl_test.h"
#include "store_test.h"
#include "unit_case.h"

struct fixture {
	struct srv srv;
	struct conn c;
	struct evs_store *st;
	int commits, waits, fail_commit;
	json_t *last; /* the last result, released by the next call */
};

/* A call's result, borrowed until the next call. */
static json_t *res(struct fixture *f, const char *line)
{
	json_decref(f->last);
	f->last = rpc_result(&f->srv, &f->c, line);
	return f->last;
}

static int on_commit(struct evs_store *st, struct evs_ctl_call *call, void *arg)
{
	struct fixture *f = arg;

	(void)st;
	f->commits++;
	if (!f->fail_commit)
		return 0;
	evs_ctl_error(call, EVS_CTL_E_APPLY_FAILED, "", "disk full");
	return -EIO;
}

static int on_wait(struct evs_store *st, uint64_t gen, void *arg)
{
	struct fixture *f = arg;

	(void)st;
	ck_assert_uint_eq(gen, evs_store_generation(st));
	f->waits++;
	return 0;
}

static void fx_start(struct fixture *f)
{
	static const char *const skip[] = {"mac.list", NULL};
	struct evs_store_ctl_config cfg;

	memset(f, 0, sizeof(*f));
	srv_start(&f->srv, NULL);
	f->st = store_new();
	cfg = (struct evs_store_ctl_config){
	    .store = f->st, .on_commit = on_commit, .wait = on_wait, .arg = f, .skip = skip};
	ck_assert_int_eq(evs_store_ctl_register(f->srv.ctl, &cfg), 0);
	conn_open(&f->srv, &f->c);
}

static void fx_stop(struct fixture *f)
{
	json_decref(f->last);
	conn_close(&f->c);
	srv_stop(&f->srv);
	evs_store_free(f->st);
}

static json_int_t jint(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

START_TEST(generated_verbs)
{
	struct fixture f;
	json_t *r;

	fx_start(&f);
	r = res(
	    &f,
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sw.add\",\"params\":{\"name\":\"s0\"}}");
	ck_assert_int_eq(jint(r, "generation"), 1);
	ck_assert_int_eq(jint(r, "changed"), 1);
	ck_assert_str_eq(json_string_value(json_object_get(r, "name")), "s0");
	rpc_error(
	    &f.srv, &f.c,
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sw.add\",\"params\":{\"name\":\"s0\"}}",
	    EVS_CTL_E_EXISTS, "/params/name");
	rpc_error(&f.srv, &f.c,
		  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sw.add\",\"params\":{\"name\":\"s1\","
		  "\"size\":0}}",
		  EVS_CTL_E_INVALID_PARAMS, "/params/size");
	r = res(&f,
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sw.set\",\"params\":{\"name\":\"s0\","
		"\"size\":7,\"wait\":true}}");
	ck_assert_int_eq(jint(r, "generation"), 2);
	ck_assert_int_eq(f.waits, 1);
	r = res(
	    &f,
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sw.get\",\"params\":{\"name\":\"s0\"}}");
	ck_assert_int_eq(jint(r, "size"), 7);
	rpc_error(
	    &f.srv, &f.c,
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sw.get\",\"params\":{\"name\":\"no\"}}",
	    EVS_CTL_E_NOT_FOUND, "/params");
	rpc_error(
	    &f.srv, &f.c,
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sw.del\",\"params\":{\"name\":\"no\"}}",
	    EVS_CTL_E_NOT_FOUND, "/params/name");
	res(&f,
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sw.add\",\"params\":{\"name\":\"s1\"}}");
	res(&f,
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sw.add\",\"params\":{\"name\":\"s2\"}}");
	/* pages: two, then one after the second */
	r = res(&f,
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sw.list\",\"params\":{\"limit\":2}}");
	ck_assert_uint_eq(json_array_size(r), 2);
	r = res(&f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sw.list\",\"params\":{\"limit\":2,"
		    "\"after\":{\"name\":\"s1\"}}}");
	ck_assert_uint_eq(json_array_size(r), 1);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(r, 0), "name")), "s2");
	r = res(&f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sw.list\",\"params\":{\"where\":"
		    "{\"size\":10}}}");
	ck_assert_uint_eq(json_array_size(r), 2); /* the default counts */
	r = res(
	    &f,
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sw.del\",\"params\":{\"name\":\"s2\"}}");
	ck_assert_int_eq(jint(r, "generation"), 5);
	ck_assert_int_eq(f.commits, 5);
	/* a skipped method is not registered */
	rpc_error(&f.srv, &f.c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"mac.list\"}",
		  EVS_CTL_E_METHOD_NOT_FOUND, "/method");
	fx_stop(&f);
}
END_TEST

START_TEST(transact_and_expect_generation)
{
	struct fixture f;
	json_t *r, *doc0;

	fx_start(&f);
	r = res(&f,
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"transact\",\"params\":{\"ops\":["
		"{\"method\":\"sw.add\",\"params\":{\"name\":\"s0\"}},"
		"{\"method\":\"port.add\",\"params\":{\"name\":\"p0\",\"sw\":\"s0\"}},"
		"{\"method\":\"mac.add\",\"params\":{\"sw\":\"s0\",\"mac\":\"02:00:00:00:00:01\","
		"\"port\":\"p0\"}}]}}");
	ck_assert_int_eq(jint(r, "generation"), 1);
	ck_assert_int_eq(jint(r, "changed"), 3);
	doc0 = json_incref(res(&f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"config.get\"}"));
	rpc_error(&f.srv, &f.c,
		  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"transact\",\"params\":{\"ops\":["
		  "{\"method\":\"sw.add\",\"params\":{\"name\":\"s1\"}},"
		  "{\"method\":\"port.set\",\"params\":{\"name\":\"p0\",\"sw\":\"s9\"}}]}}",
		  EVS_CTL_E_NOT_FOUND, "/params/ops/1/params/sw");
	rpc_error(&f.srv, &f.c,
		  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"transact\",\"params\":{\"ops\":["
		  "{\"method\":\"sw.get\",\"params\":{\"name\":\"s0\"}}]}}",
		  EVS_CTL_E_NOT_FOUND, "/params/ops/0/method");
	rpc_error(&f.srv, &f.c,
		  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sw.add\",\"params\":{\"name\":\"s1\","
		  "\"expect_generation\":0}}",
		  EVS_STORE_E_CONFLICT, "/params/expect_generation");
	r = res(&f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"config.get\"}");
	ck_assert_msg(json_equal(r, doc0), "a refused request changed the document");
	r = res(&f,
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sw.add\",\"params\":{\"name\":\"s1\","
		"\"expect_generation\":1}}");
	ck_assert_int_eq(jint(r, "generation"), 2);
	/* deleting the port takes its MAC (cascade): two changes */
	r = res(
	    &f,
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"port.del\",\"params\":{\"name\":\"p0\"}}");
	ck_assert_int_eq(jint(r, "changed"), 2);
	json_decref(doc0);
	fx_stop(&f);
}
END_TEST

START_TEST(config_apply_get_and_schema)
{
	struct fixture f;
	json_t *r, *t;

	fx_start(&f);
	r = res(&f,
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"config.apply\",\"params\":{\"config\":"
		"{\"sws\":[{\"name\":\"s0\"}],\"ports\":[{\"name\":\"p0\",\"sw\":\"s0\"}]}}}");
	ck_assert_int_eq(jint(r, "changed"), 2);
	r = res(&f,
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"config.apply\",\"params\":{\"config\":"
		"{\"sws\":[{\"name\":\"s0\"}],\"ports\":[{\"name\":\"p0\",\"sw\":\"s0\"}]}}}");
	ck_assert_int_eq(jint(r, "changed"), 0);
	ck_assert_int_eq(jint(r, "generation"), 1);
	ck_assert_int_eq(f.commits, 1); /* nothing changed: nothing to make durable */
	rpc_error(
	    &f.srv, &f.c,
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"config.apply\",\"params\":{\"config\":"
	    "{\"ports\":[{\"name\":\"p0\",\"sw\":\"s0\"}]}}}",
	    EVS_CTL_E_EXISTS, "/params/config/sws");
	r = res(&f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"schema\"}");
	ck_assert_int_eq(jint(r, "generation"), 1);
	t = json_array_get(json_object_get(r, "types"), 2);
	ck_assert_str_eq(json_string_value(json_object_get(t, "name")), "mac");
	ck_assert_uint_eq(json_array_size(json_object_get(t, "key")), 2);
	ck_assert_str_eq(json_string_value(json_object_get(
			     json_array_get(json_object_get(t, "refs"), 1), "on_delete")),
			 "cascade");
	r = res(
	    &f,
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"schema\",\"params\":{\"type\":\"sw\"}}");
	ck_assert_int_eq(jint(json_object_get(r, "defaults"), "size"), 10);
	/* a commit hook that fails answers for itself; the change stays */
	f.fail_commit = 1;
	rpc_error(
	    &f.srv, &f.c,
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sw.add\",\"params\":{\"name\":\"s1\"}}",
	    EVS_CTL_E_APPLY_FAILED, "");
	fx_stop(&f);
}
END_TEST

void store_ctl_add_cases(Suite *s)
{
	const struct unit_case cases[] = {
	    {"generated_verbs", generated_verbs},
	    {"transact_and_expect_generation", transact_and_expect_generation},
	    {"config_apply_get_and_schema", config_apply_get_and_schema},
	};

	unit_add_cases(s, cases, sizeof(cases) / sizeof(cases[0]), NULL, NULL, 0);
}
