/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Large transactions applied in steps (evs_store_ctl_poll()), through a real
 * lib/ctl server: other clients read the committed state until the commit,
 * a failure in any step undoes every step (the store and a model datapath
 * table), mutations queue behind in order, a full queue and a queue
 * deadline answer "busy", and a cancelled transaction changes nothing.
 */

#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_test.h"
#include "store_test.h"
#include "unit_case.h"

#define N_SLOTS 4096

/* The "datapath": item name -> value, written by prepare (sliced), undone
 * by abort, made final by commit, as a module's table would be. */
struct table {
	int val[N_SLOTS]; /* 0: absent; indexed by the number in "iNNN" */
	int staged_old[N_SLOTS];
	bool touched[N_SLOTS]; /* prepared in this transaction */
	int prepare_calls;
	size_t given; /* deltas given to prepare in this transaction */
	int fail_at;  /* item number whose prepare fails; -1: none */
};

static int slot(const json_t *v)
{
	const char *name = json_string_value(json_object_get(v, "name"));

	return name != NULL ? atoi(name + 1) % N_SLOTS : 0;
}

static int t_prepare(struct evs_store *st, const struct evs_store_delta *d, size_t n,
		     struct evs_ctl_err *err, void *ctx)
{
	struct table *t = ctx;
	size_t i;

	(void)st;
	t->prepare_calls++;
	t->given += n;
	for (i = 0; i < n; i++) {
		const json_t *v = d[i].new != NULL ? d[i].new : d[i].old;
		int s = slot(v);

		if (s == t->fail_at)
			return evs_store_err(err, -EIO, d[i].path, "the table refused item %d", s);
		t->staged_old[s] = t->val[s];
		t->touched[s] = true;
		if (d[i].op != EVS_STORE_DEL)
			t->val[s] = (int)json_integer_value(json_object_get(d[i].new, "v")) + 1;
	}
	return 0;
}

static void t_commit(struct evs_store *st, const struct evs_store_delta *d, size_t n, void *ctx)
{
	struct table *t = ctx;
	size_t i;

	(void)st;
	for (i = 0; i < n; i++)
		if (d[i].op == EVS_STORE_DEL)
			t->val[slot(d[i].old)] = 0;
	t->given = 0;
	memset(t->touched, 0, sizeof(t->touched));
}

static void t_abort(struct evs_store *st, const struct evs_store_delta *d, size_t n, void *ctx)
{
	struct table *t = ctx;
	size_t i;

	(void)st;
	ck_assert_uint_eq(n, t->given); /* every delta given to prepare, the failed one too */
	for (i = n; i-- > 0;) {
		int s = slot(d[i].new != NULL ? d[i].new : d[i].old);

		if (t->touched[s])
			t->val[s] = t->staged_old[s];
	}
	t->given = 0;
	memset(t->touched, 0, sizeof(t->touched));
}

static const struct evs_store_ops item_ops = {
    .prepare = t_prepare, .commit = t_commit, .abort = t_abort};
static const struct evs_ctl_param item_fields[] = {
    {.name = "name", .type = EVS_CTL_T_STRING, .required = true, .max_len = 15},
    {.name = "v", .type = EVS_CTL_T_INT, .min = 0, .max = 1000000},
};
static const char *const item_key[] = {"name", NULL};
static const struct evs_obj_type item_type = {.name = "item",
					      .section = "items",
					      .help = "a test item",
					      .fields = item_fields,
					      .n_fields = 2,
					      .keys = item_key,
					      .ops = &item_ops,
					      .prepare_sliced = true};

struct fixture {
	struct srv srv;
	struct conn a, b, c;
	struct evs_store *st;
	struct table t;
};

static void fx_start(struct fixture *f, uint32_t queue_max, uint32_t queue_ms)
{
	struct evs_store_ctl_config cfg;

	memset(f, 0, sizeof(*f));
	f->t.fail_at = -1;
	srv_start(&f->srv, NULL);
	f->st = evs_store_create();
	ck_assert_ptr_nonnull(f->st);
	ck_assert_int_eq(evs_store_type_add(f->st, &item_type, &f->t), 0);
	/* every request of 8 objects or more in steps of 63 units or so */
	cfg = (struct evs_store_ctl_config){.store = f->st,
					    .slice_min = 8,
					    .slice_us = 1,
					    .queue_max = queue_max,
					    .queue_ms = queue_ms};
	ck_assert_int_eq(evs_store_ctl_register(f->srv.ctl, &cfg), 0);
	conn_open(&f->srv, &f->a);
	conn_open(&f->srv, &f->b);
	conn_open(&f->srv, &f->c);
}

static void fx_stop(struct fixture *f)
{
	conn_close(&f->a);
	conn_close(&f->b);
	conn_close(&f->c);
	srv_stop(&f->srv);
	evs_store_free(f->st);
}

/* A config.apply of items i0..i(n-1) with value @v (item @bad's v out of range: invalid). */
static char *doc_request(int n, int v)
{
	json_t *items = json_array(), *req;
	char name[16], *s;
	int i;

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "i%d", i);
		json_array_append_new(items, json_pack("{s:s, s:i}", "name", name, "v", v));
	}
	req = json_pack("{s:s, s:i, s:s, s:{s:{s:o}}}", "jsonrpc", "2.0", "id", 7, "method",
			"config.apply", "params", "config", "items", items);
	s = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	return s;
}

static void send_line(struct fixture *f, struct conn *c, const char *line)
{
	conn_send_str(&f->srv, c, line);
	conn_send_str(&f->srv, c, "\n");
}

/* Serve sockets and run steps until @c has an answer; count the steps. */
static json_t *run_until(struct fixture *f, struct conn *c, int *steps)
{
	int64_t deadline = now_ms() + 20000;
	json_t *m;

	for (;;) {
		evs_ctl_poll(f->srv.ctl, 0);
		m = conn_recv(NULL, c, 0);
		if (m != NULL)
			return m;
		ck_assert_msg(now_ms() < deadline, "no answer");
		if (evs_store_ctl_poll(f->st) && steps != NULL)
			(*steps)++;
	}
}

/* A one-line call on @c, answered while a large transaction may be open. */
static json_t *call_during(struct fixture *f, struct conn *c, const char *line)
{
	int64_t deadline = now_ms() + 5000;
	json_t *m;

	send_line(f, c, line);
	for (;;) {
		evs_ctl_poll(f->srv.ctl, 1);
		m = conn_recv(NULL, c, 0);
		if (m != NULL)
			return m;
		ck_assert_msg(now_ms() < deadline, "no answer to %s", line);
	}
}

static json_int_t result_int(json_t *m, const char *k)
{
	json_t *r = json_object_get(m, "result");

	ck_assert_msg(r != NULL, "expected a result: %s", json_dumps(m, JSON_COMPACT));
	return json_integer_value(json_object_get(r, k));
}

static void apply_now(struct fixture *f, int n, int v)
{
	char *req = doc_request(n, v);
	json_t *m;

	send_line(f, &f->a, req);
	free(req);
	m = run_until(f, &f->a, NULL);
	ck_assert_int_ge(result_int(m, "generation"), 1);
	json_decref(m);
}

static void check_table(const struct fixture *f, int n, int v)
{
	int i;

	for (i = 0; i < N_SLOTS; i++)
		ck_assert_int_eq(f->t.val[i], i < n ? v + 1 : 0);
}

START_TEST(sliced_apply_reads_committed_state)
{
	struct fixture f;
	char *req;
	json_t *m, *r, *doc0;
	int steps = 0, reads = 0;
	bool switched = false;

	fx_start(&f, 0, 0);
	apply_now(&f, 100, 1); /* i0..i99 = 1 */
	doc0 = evs_store_doc(f.st);
	req = doc_request(2000, 2); /* changes 100, adds 1900 */
	send_line(&f, &f.a, req);
	free(req);
	for (;;) {
		evs_ctl_poll(f.srv.ctl, 0);
		m = conn_recv(NULL, &f.a, 0);
		if (m != NULL)
			break;
		/* between steps: another client sees generation 1 only, until the
		 * commit's switch; from then on generation 2 (the undo log closes
		 * in steps after it), never back */
		if (steps % 4 == 1) {
			bool now_new;

			r = call_during(&f, &f.b,
					"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"item.get\","
					"\"params\":{\"name\":\"i5\"}}");
			now_new = result_int(r, "v") == 2;
			ck_assert_msg(now_new || !switched, "back to the old state");
			ck_assert_int_eq(result_int(r, "v"), now_new ? 2 : 1);
			switched = now_new;
			json_decref(r);
			r = call_during(&f, &f.b,
					"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"item.get\","
					"\"params\":{\"name\":\"i1500\"}}");
			if (switched)
				ck_assert_int_eq(result_int(r, "v"), 2);
			else
				check_error(r, EVS_CTL_E_NOT_FOUND, "/params");
			json_decref(r);
			r = call_during(&f, &f.b,
					"{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"item.list\"}");
			ck_assert_uint_eq(json_array_size(json_object_get(r, "result")),
					  switched ? 2000 : 100);
			json_decref(r);
			r = call_during(&f, &f.b,
					"{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"config.get\"}");
			ck_assert(json_equal(json_object_get(r, "result"), doc0) == !switched);
			json_decref(r);
			reads += !switched;
		}
		if (evs_store_ctl_poll(f.st))
			steps++;
	}
	ck_assert_msg(steps >= 10, "applied in %d steps only", steps);
	ck_assert_int_ge(reads, 3);
	ck_assert_msg(switched, "the undo log was closed in one step"); /* C_CLOSE in steps */
	ck_assert_int_eq(result_int(m, "generation"), 2);
	ck_assert_int_eq(result_int(m, "changed"), 2000);
	ck_assert_int_gt(f.t.prepare_calls, 3); /* the hook ran in slices too */
	json_decref(m);
	check_table(&f, 2000, 2);
	r = call_during(&f, &f.b,
			"{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"item.get\","
			"\"params\":{\"name\":\"i1500\"}}");
	ck_assert_int_eq(result_int(r, "v"), 2);
	json_decref(r);
	for (int i = 0; i < 1000 && evs_store_ctl_poll(f.st); i++) /* the request freed in steps */
		;
	ck_assert_int_eq(evs_store_ctl_busy(f.st), 0);
	/* the steps were counted and timed: both applies, the last one's own */
	{
		struct evs_store_ctl_stats s;
		json_t *last;

		ck_assert_int_eq(evs_store_ctl_stats_get(f.st, &s), 0);
		ck_assert_uint_eq(s.large, 2);
		ck_assert_uint_ge(s.last_steps, (uint64_t)steps);
		ck_assert_uint_gt(s.steps, s.last_steps);
		ck_assert_uint_gt(s.last_cpu_ns, 0);
		ck_assert_uint_ge(s.step_max_ns, s.last_max_ns);
		ck_assert_uint_le(s.last_max_cpu_ns, s.last_cpu_ns);
		ck_assert_msg(strstr(" stage unlink resolve in_use check deltas validate prepare "
				     "commit records close done trash ",
				     s.last_max_phase) != NULL &&
				  strlen(s.last_max_phase) > 3,
			      "phase '%s'", s.last_max_phase);
		r = call_during(&f, &f.b,
				"{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"store.stats\"}");
		ck_assert_int_eq(result_int(r, "large"), 2);
		last = json_object_get(json_object_get(r, "result"), "last");
		ck_assert_int_eq(json_integer_value(json_object_get(last, "steps")),
				 (json_int_t)s.last_steps);
		ck_assert_str_eq(json_string_value(json_object_get(last, "step_max_phase")),
				 s.last_max_phase);
		json_decref(r);
		ck_assert_int_eq(evs_store_ctl_stats_get(NULL, &s), -EINVAL);
	}
	json_decref(doc0);
	fx_stop(&f);
}
END_TEST

START_TEST(sliced_failure_undoes_every_step)
{
	struct fixture f;
	json_t *m, *doc0, *doc1;
	char *req;
	int steps = 0;

	fx_start(&f, 0, 0);
	apply_now(&f, 300, 1);
	doc0 = evs_store_doc(f.st);
	f.t.fail_at = 1700; /* prepare of the 1701st delta fails, many slices in */
	req = doc_request(2000, 3);
	send_line(&f, &f.a, req);
	free(req);
	m = run_until(&f, &f.a, &steps);
	ck_assert_int_ge(steps, 10);
	check_error(m, EVS_CTL_E_APPLY_FAILED, "/params/config/items/1700");
	json_decref(m);
	doc1 = evs_store_doc(f.st);
	ck_assert(json_equal(doc0, doc1));
	ck_assert_int_eq(evs_store_generation(f.st), 1);
	ck_assert_uint_eq(evs_store_count(f.st, "item"), 300);
	check_table(&f, 300, 1);
	json_decref(doc1);

	/* a bad op late in a large transact: nothing staged before it stays */
	{
		json_t *ops = json_array(), *tr;
		char name[16];
		int i;

		for (i = 0; i < 500; i++) {
			snprintf(name, sizeof(name), "n%d", i);
			json_array_append_new(ops, json_pack("{s:s, s:{s:s, s:i}}", "method",
							     "item.add", "params", "name", name,
							     "v", i == 450 ? -1 : 5));
		}
		tr = json_pack("{s:s, s:i, s:s, s:{s:o}}", "jsonrpc", "2.0", "id", 8, "method",
			       "transact", "params", "ops", ops);
		req = json_dumps(tr, JSON_COMPACT);
		json_decref(tr);
		send_line(&f, &f.a, req);
		free(req);
		m = run_until(&f, &f.a, NULL);
		check_error(m, EVS_CTL_E_INVALID_PARAMS, "/params/ops/450/params/v");
		json_decref(m);
	}
	doc1 = evs_store_doc(f.st);
	ck_assert(json_equal(doc0, doc1));
	json_decref(doc1);
	json_decref(doc0);
	fx_stop(&f);
}
END_TEST

START_TEST(queued_writers_apply_after_in_order)
{
	struct fixture f;
	json_t *m, *mb, *mc;
	char *req;

	fx_start(&f, 2, 0);
	req = doc_request(3000, 1);
	send_line(&f, &f.a, req);
	free(req);
	evs_ctl_poll(f.srv.ctl, 0);
	evs_store_ctl_poll(f.st); /* one step: the transaction is open */
	ck_assert(evs_store_ctl_busy(f.st));
	/* b adds x, c changes x: only right in this order */
	send_line(&f, &f.b,
		  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"item.add\",\"params\":{\"name\":"
		  "\"x3500\",\"v\":5}}");
	for (int i = 0; i < 5; i++)
		evs_ctl_poll(f.srv.ctl, 2); /* dispatched and queued, no step runs */
	send_line(&f, &f.c,
		  "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"item.set\",\"params\":{\"name\":"
		  "\"x3500\",\"v\":6}}");
	for (int i = 0; i < 5; i++)
		evs_ctl_poll(f.srv.ctl, 2);
	/* the queue holds 2: a third writer is refused at once */
	{
		struct conn d;

		conn_open(&f.srv, &d);
		m = call_during(&f, &d,
				"{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"item.add\",\"params\":"
				"{\"name\":\"x2\"}}");
		check_error(m, EVS_CTL_E_BUSY, "");
		json_decref(m);
		conn_close(&d);
	}
	ck_assert_int_eq(evs_store_generation(f.st), 0); /* nothing applied meanwhile */
	m = run_until(&f, &f.a, NULL);
	ck_assert_int_eq(result_int(m, "generation"), 1);
	json_decref(m);
	mb = run_until(&f, &f.b, NULL);
	mc = run_until(&f, &f.c, NULL);
	ck_assert_int_eq(result_int(mb, "generation"), 2);
	ck_assert_int_eq(result_int(mc, "generation"), 3);
	json_decref(mb);
	json_decref(mc);
	ck_assert_int_eq(f.t.val[3500], 7); /* the set (6) after the add (5) */
	fx_stop(&f);
}
END_TEST

START_TEST(queued_writer_deadline_and_cancel)
{
	struct fixture f;
	json_t *m, *doc0, *doc1;
	char *req;
	int i;

	fx_start(&f, 0, 20);
	apply_now(&f, 50, 1);
	doc0 = evs_store_doc(f.st);
	req = doc_request(3000, 4);
	send_line(&f, &f.a, req);
	free(req);
	evs_ctl_poll(f.srv.ctl, 0);
	evs_store_ctl_poll(f.st);
	send_line(&f, &f.b,
		  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"item.add\",\"params\":{\"name\":"
		  "\"y1\"}}");
	/* slow steps: the queued writer's 20 ms pass before the apply ends */
	for (i = 0; i < 10; i++) {
		evs_ctl_poll(f.srv.ctl, 0);
		usleep(5000);
		evs_store_ctl_poll(f.st);
	}
	m = conn_recv(NULL, &f.b, 0);
	ck_assert_ptr_nonnull(m);
	check_error(m, EVS_CTL_E_BUSY, "");
	json_decref(m);
	/* a commit path that must undo earlier changes cancels the open one */
	ck_assert(evs_store_ctl_busy(f.st));
	evs_store_ctl_cancel(f.st, "test");
	m = run_until(&f, &f.a, NULL);
	check_error(m, EVS_CTL_E_APPLY_FAILED, "");
	json_decref(m);
	doc1 = evs_store_doc(f.st);
	ck_assert(json_equal(doc0, doc1));
	check_table(&f, 50, 1);
	ck_assert_int_eq(evs_store_generation(f.st), 1);
	json_decref(doc0);
	json_decref(doc1);
	fx_stop(&f);
}
END_TEST

/* A type whose change is one rebuild declares prepare_end alone: it runs
 * once with all the type's deltas, and when it fails abort gets them all. */
struct rebuild {
	int ends, commits, aborts;
	size_t end_n, abort_n;
	bool fail;
};

static int r_end(struct evs_store *st, const struct evs_store_delta *d, size_t n,
		 struct evs_ctl_err *err, void *ctx)
{
	struct rebuild *r = ctx;

	(void)st;
	r->ends++;
	r->end_n = n;
	return r->fail ? evs_store_err(err, -ENOSPC, d[0].path, "rebuild refused") : 0;
}

static void r_commit(struct evs_store *st, const struct evs_store_delta *d, size_t n, void *ctx)
{
	(void)st;
	(void)d;
	(void)n;
	((struct rebuild *)ctx)->commits++;
}

static void r_abort(struct evs_store *st, const struct evs_store_delta *d, size_t n, void *ctx)
{
	struct rebuild *r = ctx;

	(void)st;
	(void)d;
	r->aborts++;
	r->abort_n = n;
}

static const struct evs_store_ops rebuild_ops = {
    .prepare_end = r_end, .commit = r_commit, .abort = r_abort};
static const struct evs_obj_type rebuild_type = {.name = "whole",
						 .section = "wholes",
						 .help = "rebuilt as one",
						 .fields = item_fields,
						 .n_fields = 2,
						 .keys = item_key,
						 .ops = &rebuild_ops,
						 .prepare_sliced = true};

static int rebuild_txn(struct evs_store *st, int from, int n)
{
	struct evs_store_txn *txn = evs_store_txn_begin(st);
	struct evs_ctl_err err;
	char name[16];
	int i;

	ck_assert_ptr_nonnull(txn);
	for (i = from; i < from + n; i++) {
		snprintf(name, sizeof(name), "w%d", i);
		ck_assert_int_eq(evs_store_txn_op(txn, EVS_STORE_ADD, "whole",
						  json_pack("{s:s}", "name", name), "/x", &err),
				 0);
	}
	return evs_store_txn_commit(txn, &err);
}

START_TEST(prepare_end_alone_runs_once)
{
	struct evs_store *st = evs_store_create();
	struct rebuild r = {0};

	ck_assert_int_eq(evs_store_type_add(st, &rebuild_type, &r), 0);
	ck_assert_int_eq(rebuild_txn(st, 0, 1500), 0); /* past a prepare slice (512) */
	ck_assert_int_eq(r.ends, 1);
	ck_assert_uint_eq(r.end_n, 1500);
	ck_assert_int_eq(r.commits, 1);
	ck_assert_int_eq(r.aborts, 0);
	r.fail = true;
	ck_assert_int_eq(rebuild_txn(st, 1500, 700), -ENOSPC);
	ck_assert_int_eq(r.ends, 2);
	ck_assert_int_eq(r.aborts, 1);
	ck_assert_uint_eq(r.abort_n, 700);
	ck_assert_int_eq(r.commits, 1);
	ck_assert_ptr_null(evs_store_lookup_str(st, "whole", "w1500"));
	ck_assert_ptr_nonnull(evs_store_lookup_str(st, "whole", "w1499"));
	evs_store_free(st);
}
END_TEST

/* The document built a few objects at a time is evs_store_doc()'s; a
 * transaction between two steps makes the build stale. */
START_TEST(doc_built_in_steps)
{
	struct evs_store *st = evs_store_create();
	struct evs_store_doc_build *b;
	struct rebuild r = {0};
	json_t *whole, *doc = NULL;
	int rc, steps = 0;

	ck_assert_int_eq(evs_store_type_add(st, &rebuild_type, &r), 0);
	b = evs_store_doc_begin(st);
	ck_assert_int_eq(evs_store_doc_step(b, 5, &doc), 0); /* empty: {} */
	ck_assert_uint_eq(json_object_size(doc), 0);
	json_decref(doc);
	evs_store_doc_build_free(b);
	ck_assert_int_eq(rebuild_txn(st, 0, 1000), 0);
	whole = evs_store_doc(st);
	b = evs_store_doc_begin(st);
	while ((rc = evs_store_doc_step(b, 7, &doc)) == 1)
		steps++;
	ck_assert_int_eq(rc, 0);
	ck_assert_int_ge(steps, 1000 / 7);
	ck_assert(json_equal(doc, whole));
	ck_assert_uint_eq(json_array_size(json_object_get(doc, "wholes")), 1000);
	json_decref(doc);
	evs_store_doc_build_free(b);
	/* stale: a transaction between steps; the unfinished build frees cleanly */
	b = evs_store_doc_begin(st);
	ck_assert_int_eq(evs_store_doc_step(b, 10, &doc), 1);
	ck_assert_int_eq(rebuild_txn(st, 1000, 1), 0);
	ck_assert_int_eq(evs_store_doc_step(b, 10, &doc), -ESTALE);
	evs_store_doc_build_free(b);
	json_decref(whole);
	evs_store_free(st);
}
END_TEST

void store_slice_add_cases(Suite *s)
{
	const struct unit_case cases[] = {
	    {"sliced_apply_reads_committed_state", sliced_apply_reads_committed_state},
	    {"sliced_failure_undoes_every_step", sliced_failure_undoes_every_step},
	    {"queued_writers_apply_after_in_order", queued_writers_apply_after_in_order},
	    {"queued_writer_deadline_and_cancel", queued_writer_deadline_and_cancel},
	    {"prepare_end_alone_runs_once", prepare_end_alone_runs_once},
	    {"doc_built_in_steps", doc_built_in_steps},
	};

	unit_add_cases(s, cases, sizeof(cases) / sizeof(cases[0]), NULL, NULL, 0);
}
