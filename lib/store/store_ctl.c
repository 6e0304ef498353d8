/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control methods generated from the schemas: TYPE.add/del/set/get/list for
 * every type, transact, schema, config.get and config.apply. Every mutation
 * is one transaction; the same code runs a single method and a transact op.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_private.h"

enum verb { V_ADD, V_DEL, V_SET, V_GET, V_LIST, V_MAX };

static const char *const verb_names[V_MAX] = {"add", "del", "set", "get", "list"};
static const char *const verb_help[V_MAX] = {
    "Add a %s: %s",
    "Delete a %s (objects that reference it with cascade go too).",
    "Change fields of a %s (given fields replace, null resets to the default).",
    "One %s by key, with its runtime state.",
    "The %s objects in insertion order; page with limit and after, filter with where.",
};

struct ctl_priv;

struct gen_method {
	char name[64];
	enum verb verb;
	struct store_type *ty;
	struct evs_ctl_param *spec;
	size_t n;
	struct ctl_priv *cp;
};

typedef int (*stage_fn)(struct evs_store_txn *txn, const json_t *params, struct evs_ctl_err *err,
			const void *arg);

/*
 * A large transaction, staged and committed in steps between polls (other
 * clients' reads answer from the committed state meanwhile), or a mutation
 * queued behind one. Its call is deferred; the steps' end answers it.
 */
struct ctl_priv;

struct job {
	struct job *next;
	struct evs_ctl_pending *p;
	json_t *params;
	stage_fn fn;
	const void *arg;
	json_t *reply;	      /* the answer's extra fields (a TYPE.add's keys) */
	uint64_t deadline_ns; /* queued: refused as busy if not started by then */
	struct evs_store_txn *txn;
	struct store_doc_stage *ds; /* config.apply's diff */
	size_t op;		    /* transact: next op to stage */
	bool staged;
	bool ran; /* was the running job (not only queued) */
	struct ctl_priv *cp;
	uint64_t gen0;
	int rc;
	struct evs_ctl_err err;
};

struct ctl_priv {
	struct evs_store_ctl_config cfg;
	struct job *run;	      /* the large transaction being applied in steps */
	struct job *q_head, **q_tail; /* mutations waiting for it, in arrival order */
	unsigned int q_len;
	struct gen_method *m;
	size_t n_m;
	struct evs_ctl_param *own[2]; /* specs of transact and config.apply */
	unsigned int n_own;
	struct evs_store_ctl_stats stats;
};

/* Optional fields of every mutating request. */
static const struct evs_ctl_param p_common[] = {
    {.name = "expect_generation",
     .type = EVS_CTL_T_UINT,
     .help = "refuse (-32005) unless the store is at this generation"},
    {.name = "wait",
     .type = EVS_CTL_T_BOOL,
     .help = "reply once every datapath thread runs the new generation"},
};
#define N_COMMON (sizeof(p_common) / sizeof(p_common[0]))

static const struct evs_ctl_param p_list[] = {
    {.name = "limit",
     .type = EVS_CTL_T_UINT,
     .min = 1,
     .max = 100000,
     .help = "at most this many objects (default 10000)"},
    {.name = "after",
     .type = EVS_CTL_T_OBJECT,
     .help = "continue after this object (the last one of the previous page)"},
    {.name = "where",
     .type = EVS_CTL_T_OBJECT,
     .help = "only objects whose fields equal these (defaults count)"},
};

static void job_free(struct job *j);

static void priv_free(void *p)
{
	struct ctl_priv *cp = p;
	size_t i;

	if (cp == NULL)
		return;
	/* Their calls went with the server; the store aborts its transaction. */
	job_free(cp->run);
	while (cp->q_head != NULL) {
		struct job *j = cp->q_head;

		cp->q_head = j->next;
		job_free(j);
	}
	for (i = 0; i < cp->n_m; i++)
		free(cp->m[i].spec);
	for (i = 0; i < cp->n_own; i++)
		free(cp->own[i]);
	free(cp->m);
	free(cp);
}

static bool is_key(const struct store_type *ty, const char *name)
{
	unsigned int i;

	for (i = 0; i < ty->n_keys; i++)
		if (strcmp(ty->t->keys[i], name) == 0)
			return true;
	return false;
}

/* The params spec of TYPE.verb. */
static int spec_build(struct gen_method *gm)
{
	const struct evs_obj_type *t = gm->ty->t;
	struct evs_ctl_param *s;
	size_t i, n = 0;

	s = calloc(t->n_fields + N_COMMON + 3, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	for (i = 0; i < t->n_fields && gm->verb != V_LIST; i++) {
		bool key = is_key(gm->ty, t->fields[i].name);

		if ((gm->verb == V_DEL || gm->verb == V_GET) && !key)
			continue;
		s[n] = t->fields[i];
		if (gm->verb == V_SET && !key) {
			s[n].required = false;
			s[n].nullable = true;
		}
		n++;
	}
	if (gm->verb == V_LIST) {
		memcpy(s, p_list, sizeof(p_list));
		n = sizeof(p_list) / sizeof(p_list[0]);
	} else if (gm->verb != V_GET) {
		memcpy(s + n, p_common, sizeof(p_common));
		n += N_COMMON;
	}
	gm->spec = s;
	gm->n = n;
	return 0;
}

static struct gen_method *method_find(const struct ctl_priv *cp, const char *name)
{
	size_t i;

	for (i = 0; cp != NULL && i < cp->n_m; i++)
		if (strcmp(cp->m[i].name, name) == 0)
			return &cp->m[i];
	return NULL;
}

/* @params without the request-level fields: the object itself. */
static json_t *object_of(const json_t *params)
{
	json_t *v = json_copy((json_t *)params);
	size_t i;

	for (i = 0; v != NULL && i < N_COMMON; i++)
		json_object_del(v, p_common[i].name);
	return v;
}

static int stage(struct evs_store_txn *txn, const struct gen_method *gm, const json_t *params,
		 const char *path, struct evs_ctl_err *err)
{
	static const enum evs_store_op ops[] = {
	    [V_ADD] = EVS_STORE_ADD, [V_DEL] = EVS_STORE_DEL, [V_SET] = EVS_STORE_SET};
	json_t *v = object_of(params);

	if (v == NULL)
		return evs_store_err(err, -ENOMEM, path, "out of memory");
	return evs_store_txn_op(txn, ops[gm->verb], gm->ty->t->name, v, path, err);
}

int evs_store_txn_method(struct evs_store_txn *txn, const char *method, const json_t *params,
			 const char *path, struct evs_ctl_err *err)
{
	const struct gen_method *gm = method_find(txn->st->ctl_priv, method);

	if (gm == NULL || gm->verb > V_SET)
		return evs_store_err(err, -ENOENT, path, "'%s' is not a store change method",
				     method ? method : "");
	if (evs_ctl_validate(params, path, gm->spec, gm->n, err) < 0)
		return -EINVAL;
	return stage(txn, gm, params, path, err);
}

/* --- One transaction per request ------------------------------------------ */

enum { SLICE_MIN_DEFAULT = 4096, SLICE_US_DEFAULT = 5000, QUEUE_MAX_DEFAULT = 64 };
enum { QUEUE_MS_DEFAULT = 30000 };

static int stage_op(struct evs_store_txn *txn, const json_t *op, size_t i, struct evs_ctl_err *err);
static int stage_doc(struct evs_store_txn *txn, const json_t *params, struct evs_ctl_err *err,
		     const void *arg);
static int stage_ops(struct evs_store_txn *txn, const json_t *params, struct evs_ctl_err *err,
		     const void *arg);

/* Persist, wait, answer: the end of every committed (rc 0) or failed transaction. */
static int txn_done(struct ctl_priv *cp, struct evs_ctl_call *call, const json_t *params,
		    json_t *reply, uint64_t gen0, int rc, struct evs_ctl_err *err)
{
	struct evs_store *st = cp->cfg.store;
	size_t changed = rc == 0 ? evs_store_last_changes(st) : 0;

	if (rc == 0 && st->gen != gen0 && cp->cfg.on_commit != NULL &&
	    cp->cfg.on_commit(st, call, cp->cfg.arg) < 0) {
		json_decref(reply);
		return 0; /* answered */
	}
	if (rc == 0 && json_is_true(json_object_get(params, "wait")) &&
	    cp->cfg.wait_defer != NULL && cp->cfg.wait_defer(st, st->gen, call, cp->cfg.arg) < 0) {
		json_decref(reply);
		return 0; /* answered */
	}
	if (rc == 0 && json_is_true(json_object_get(params, "wait")) &&
	    cp->cfg.wait_defer == NULL && cp->cfg.wait != NULL) {
		rc = cp->cfg.wait(st, st->gen, cp->cfg.arg);
		if (rc < 0)
			evs_store_err(err, rc, "/params/wait",
				      "generation %llu is committed, but not every datapath thread "
				      "runs it yet",
				      (unsigned long long)st->gen);
	}
	if (rc < 0) {
		json_decref(reply);
		return evs_ctl_error_from(call, err);
	}
	if (reply == NULL)
		reply = json_object();
	json_object_set_new(reply, "generation", json_integer((json_int_t)st->gen));
	json_object_set_new(reply, "changed", json_integer((json_int_t)changed));
	return evs_ctl_reply(call, reply);
}

/* Objects a request changes at most: large ones are applied in steps. */
static size_t txn_size(const json_t *params, stage_fn fn)
{
	const json_t *doc, *v;
	const char *k;
	size_t n = 0;

	if (fn == stage_ops)
		return json_array_size(json_object_get(params, "ops"));
	if (fn != stage_doc)
		return 1;
	doc = json_object_get(params, "config");
	json_object_foreach ((json_t *)doc, k, v)
		n += json_array_size(v);
	return n;
}

static uint64_t slice_min(const struct ctl_priv *cp)
{
	return cp->cfg.slice_min ? cp->cfg.slice_min : SLICE_MIN_DEFAULT;
}

static void job_free(struct job *j)
{
	if (j == NULL)
		return;
	store_doc_stage_free(j->ds);
	/* A large request holds up to a million small objects: freed in steps */
	if (j->ran)
		json_array_append(j->cp->cfg.store->trash, j->params);
	json_decref(j->params);
	json_decref(j->reply);
	free(j);
}

static struct job *job_new(struct ctl_priv *call_priv, struct evs_ctl_call *call,
			   const json_t *params, stage_fn fn, const void *arg, json_t *reply)
{
	struct job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		return NULL;
	j->p = evs_ctl_call_defer(call);
	if (j->p == NULL) {
		free(j);
		return NULL;
	}
	j->params = json_incref((json_t *)params);
	j->cp = call_priv;
	j->fn = fn;
	j->arg = arg;
	j->reply = reply;
	return j;
}

/*
 * Check expect_generation and begin; stage and commit at once, or, for a
 * large request, start it as the job that runs in steps (the call deferred).
 */
static int run_txn_now(struct ctl_priv *cp, struct evs_ctl_call *call, const json_t *params,
		       stage_fn fn, const void *arg, json_t *reply)
{
	struct evs_store *st = cp->cfg.store;
	const json_t *eg = json_object_get(params, "expect_generation");
	struct evs_store_txn *txn;
	struct evs_ctl_err err = {0};
	uint64_t gen0 = st->gen;
	struct job *j;
	int rc;

	if (eg != NULL && (uint64_t)json_integer_value(eg) != gen0) {
		json_decref(reply);
		return evs_ctl_error(call, EVS_STORE_E_CONFLICT, "/params/expect_generation",
				     "the store is at generation %llu, not %lld",
				     (unsigned long long)gen0, (long long)json_integer_value(eg));
	}
	txn = evs_store_txn_begin(st);
	if (txn == NULL) {
		json_decref(reply);
		return evs_ctl_error(call, evs_store_rpc_code(-errno), "", "cannot start: %s",
				     strerror(errno));
	}
	if (txn_size(params, fn) >= slice_min(cp) &&
	    (j = job_new(cp, call, params, fn, arg, reply))) {
		j->txn = txn;
		j->gen0 = gen0;
		if (fn == stage_doc && store_doc_stage_new(txn, json_object_get(params, "config"),
							   "/params/config", &j->ds, &j->err) < 0) {
			evs_store_txn_abort(txn);
			evs_ctl_error_from(call, &j->err);
			job_free(j);
			return 0;
		}
		cp->run = j;
		j->ran = true;
		cp->stats.large++;
		cp->stats.last_steps = cp->stats.last_max_ns = cp->stats.last_max_cpu_ns = 0;
		cp->stats.last_cpu_ns = 0;
		cp->stats.last_max_phase = NULL;
		return 0; /* answered by the last step (evs_store_ctl_poll) */
	}
	rc = fn(txn, params, &err, arg);
	if (rc < 0) {
		evs_store_txn_abort(txn);
		json_decref(reply);
		return evs_ctl_error_from(call, &err);
	}
	rc = evs_store_txn_commit(txn, &err);
	return txn_done(cp, call, params, reply, gen0, rc, &err);
}

/* Mutations wait behind a large transaction, in order, or are refused. */
static int run_txn(struct ctl_priv *cp, struct evs_ctl_call *call, const json_t *params,
		   stage_fn fn, const void *arg, json_t *reply)
{
	unsigned int qmax = cp->cfg.queue_max ? cp->cfg.queue_max : QUEUE_MAX_DEFAULT;
	unsigned int qms = cp->cfg.queue_ms ? cp->cfg.queue_ms : QUEUE_MS_DEFAULT;
	struct job *j;

	if (cp->run == NULL && cp->q_head == NULL)
		return run_txn_now(cp, call, params, fn, arg, reply);
	if (cp->q_len >= qmax || (j = job_new(cp, call, params, fn, arg, reply)) == NULL) {
		json_decref(reply);
		return evs_ctl_error(call, EVS_CTL_E_BUSY, "",
				     "busy: a large transaction is being applied and %u "
				     "change(s) wait for it; retry later",
				     cp->q_len);
	}
	j->deadline_ns = store_now_ns() + (uint64_t)qms * 1000000u;
	*cp->q_tail = j;
	cp->q_tail = &j->next;
	cp->q_len++;
	return 0; /* answered when its turn comes */
}

/* --- Large transactions in steps ------------------------------------------ */

/* Stage a job's next ops while @b lasts: 1 (more), 0 (all staged), -errno. */
static int ops_step(struct job *j, struct store_budget *b)
{
	const json_t *ops = json_object_get(j->params, "ops");
	int rc;

	for (; j->op < json_array_size(ops); j->op++) {
		if (store_budget_out(b))
			return 1;
		rc = stage_op(j->txn, json_array_get(ops, j->op), j->op, &j->err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int job_finish(struct evs_ctl_call *call, void *arg)
{
	struct job *j = arg;
	json_t *reply = j->reply;

	j->reply = NULL;
	if (j->rc < 0) {
		json_decref(reply);
		return evs_ctl_error_from(call, &j->err);
	}
	return txn_done(j->cp, call, j->params, reply, j->gen0, 0, &j->err);
}

/* A queued mutation's turn: as if it had just arrived on an idle store. */
static int job_start(struct evs_ctl_call *call, void *arg)
{
	struct job *j = arg;
	json_t *reply = j->reply;

	j->reply = NULL;
	return run_txn_now(j->cp, call, j->params, j->fn, j->arg, reply);
}

/* One bounded step of the running job: 1 (more), 0 (finished and answered). */
static int job_step(struct ctl_priv *cp, struct store_budget *b)
{
	struct job *j = cp->run;
	int rc = 0;

	if (!j->staged) {
		rc = j->ds != NULL ? store_doc_stage_step(j->ds, b, &j->err) : ops_step(j, b);
		if (rc > 0)
			return 1;
		j->staged = rc == 0;
		if (rc < 0)
			evs_store_txn_abort(j->txn);
	}
	if (rc == 0) {
		rc = store_txn_commit_step(j->txn, b, &j->err);
		if (rc > 0)
			return 1;
	}
	j->rc = rc;
	j->txn = NULL; /* closed either way */
	cp->run = NULL;
	evs_ctl_pending_resume(j->p, job_finish, j);
	job_free(j);
	return 0;
}

/* Refuse the queued mutations that waited past their deadline. */
static void queue_expire(struct ctl_priv *cp, uint64_t now)
{
	struct job **pp = &cp->q_head, *j;

	while ((j = *pp) != NULL) {
		if (now < j->deadline_ns) {
			pp = &j->next;
			continue;
		}
		*pp = j->next;
		cp->q_len--;
		evs_ctl_pending_error(j->p, EVS_CTL_E_BUSY, "",
				      "busy: waited too long behind a large transaction; not "
				      "applied, retry later");
		job_free(j);
	}
	cp->q_tail = pp;
}

/* Remove @arr's items from the last while @b lasts: 1 when it stopped early. */
static int array_drain(json_t *arr, struct store_budget *b)
{
	while (json_array_size(arr) > 0) {
		if (store_budget_out(b))
			return 1;
		json_array_remove(arr, json_array_size(arr) - 1);
	}
	return 0;
}

/* Free what finished large transactions left (their requests, their change
 * records) while @b lasts, once nobody else holds them: the journal's writer
 * thread may still be serialising records. @return whether any is freeable. */
static bool trash_step(const struct evs_store *st, struct store_budget *b)
{
	struct evs_store *w = (struct evs_store *)(uintptr_t)st;
	size_t i = json_array_size(st->trash);
	bool ready = false;

	for (size_t r = w->n_trash_recs; r-- > 0;) {
		struct evs_recs *rs = w->trash_recs[r];

		if (!evs_recs_sole(rs))
			continue;
		if (b == NULL)
			return true;
		while (!evs_recs_release_step(rs, 64))
			if (store_budget_out(b))
				return true;
		evs_recs_unref(rs);
		w->trash_recs[r] = w->trash_recs[--w->n_trash_recs];
	}

	while (i-- > 0) {
		json_t *v = json_array_get(st->trash, i), *arr;
		const char *k;

		/* jansson counts references atomically: 1 is ours alone */
		if (__atomic_load_n(&v->refcount, __ATOMIC_ACQUIRE) > 1)
			continue;
		ready = true;
		if (b == NULL)
			return true;
		if (json_is_array(v) && array_drain(v, b))
			return true;
		json_object_foreach (json_object_get(v, "config"), k, arr)
			if (array_drain(arr, b))
				return true;
		if (array_drain(json_object_get(v, "ops"), b))
			return true;
		json_array_remove(st->trash, i);
	}
	return ready && b == NULL;
}

static uint64_t cpu_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Where the running job stands, for the longest step's record. */
static const char *job_phase(const struct job *j)
{
	static const char *const names[] = {
	    [C_UNLINK] = "unlink",   [C_RESOLVE] = "resolve", [C_IN_USE] = "in_use",
	    [C_CHECK] = "check",     [C_DELTAS] = "deltas",   [C_VALIDATE] = "validate",
	    [C_PREPARE] = "prepare", [C_COMMIT] = "commit",   [C_RECORDS] = "records",
	    [C_CLOSE] = "close",     [C_DONE] = "done"};

	if (j == NULL)
		return "trash";
	if (!j->staged)
		return "stage";
	return names[j->txn->c.phase];
}

static void step_account(struct ctl_priv *cp, const char *phase, uint64_t t0, uint64_t c0)
{
	struct evs_store_ctl_stats *s = &cp->stats;
	uint64_t wall = store_now_ns() - t0, cpu = cpu_now_ns() - c0;

	s->steps++;
	s->last_steps++;
	s->last_cpu_ns += cpu;
	if (wall > s->step_max_ns)
		s->step_max_ns = wall;
	if (cpu > s->step_max_cpu_ns)
		s->step_max_cpu_ns = cpu;
	if (wall > s->last_max_ns)
		s->last_max_ns = wall;
	if (cpu > s->last_max_cpu_ns) {
		s->last_max_cpu_ns = cpu;
		s->last_max_phase = phase;
	}
}

int evs_store_ctl_stats_get(const struct evs_store *st, struct evs_store_ctl_stats *out)
{
	const struct ctl_priv *cp = st != NULL ? st->ctl_priv : NULL;

	if (cp == NULL || out == NULL)
		return -EINVAL;
	*out = cp->stats;
	if (out->last_max_phase == NULL)
		out->last_max_phase = "";
	return 0;
}

static int m_store_stats(struct evs_ctl_call *call, json_t *params, void *arg)
{
	struct ctl_priv *cp = arg;
	const struct evs_store_ctl_stats *s = &cp->stats;

	(void)params;
	return evs_ctl_reply(
	    call,
	    json_pack("{s:I, s:I, s:f, s:f, s:{s:I, s:f, s:f, s:s, s:f}}", "large",
		      (json_int_t)s->large, "steps", (json_int_t)s->steps, "step_max_ms",
		      s->step_max_ns / 1e6, "step_max_cpu_ms", s->step_max_cpu_ns / 1e6, "last",
		      "steps", (json_int_t)s->last_steps, "step_max_ms", s->last_max_ns / 1e6,
		      "step_max_cpu_ms", s->last_max_cpu_ns / 1e6, "step_max_phase",
		      s->last_max_phase ? s->last_max_phase : "", "cpu_ms", s->last_cpu_ns / 1e6));
}

int evs_store_ctl_poll(struct evs_store *st)
{
	struct ctl_priv *cp = st->ctl_priv;
	unsigned int us = cp != NULL && cp->cfg.slice_us ? cp->cfg.slice_us : SLICE_US_DEFAULT;
	struct store_budget b = {0};
	uint64_t now, c0;
	const char *phase;
	struct job *j;

	if (cp == NULL || (cp->run == NULL && cp->q_head == NULL && !trash_step(st, NULL)))
		return 0;
	c0 = cpu_now_ns();
	phase = job_phase(cp->run);
	now = store_now_ns();
	b.deadline_ns = now + (uint64_t)us * 1000u;
	if (cp->run != NULL)
		queue_expire(cp, now);
	for (;;) {
		if (cp->run != NULL) {
			if (job_step(cp, &b) > 0)
				break;
			continue;
		}
		j = cp->q_head;
		if (j == NULL)
			break;
		cp->q_head = j->next;
		if (cp->q_head == NULL)
			cp->q_tail = &cp->q_head;
		cp->q_len--;
		evs_ctl_pending_resume(j->p, job_start, j);
		job_free(j);
		b.force = true;
		if (store_budget_out(&b))
			break;
	}
	if (cp->run == NULL && cp->q_head == NULL)
		trash_step(st, &b);
	step_account(cp, phase, now, c0);
	return cp->run != NULL || cp->q_head != NULL || trash_step(st, NULL);
}

bool evs_store_ctl_busy(const struct evs_store *st)
{
	const struct ctl_priv *cp = st->ctl_priv;

	return cp != NULL && (cp->run != NULL || cp->q_head != NULL || trash_step(st, NULL));
}

void evs_store_ctl_cancel(struct evs_store *st, const char *why)
{
	struct ctl_priv *cp = st->ctl_priv;
	struct job *j = cp != NULL ? cp->run : NULL;

	if (j == NULL)
		return;
	if (j->staged && j->txn->c.phase >= C_RECORDS) {
		struct store_budget none = {0};

		job_step(cp, &none); /* committed already: finish it */
		return;
	}
	evs_store_txn_abort(j->txn);
	j->txn = NULL;
	j->rc = evs_store_err(&j->err, -EIO, "", "not applied: %s", why);
	cp->run = NULL;
	evs_ctl_pending_resume(j->p, job_finish, j);
	job_free(j);
}

static int stage_one(struct evs_store_txn *txn, const json_t *params, struct evs_ctl_err *err,
		     const void *arg)
{
	return stage(txn, arg, params, "/params", err);
}

static json_t *keys_json(const struct store_type *ty, const json_t *v)
{
	json_t *o = json_object();
	unsigned int i;

	for (i = 0; o != NULL && i < ty->n_keys; i++)
		json_object_set(o, ty->t->keys[i], json_object_get(v, ty->t->keys[i]));
	return o;
}

/* The object as get/list show it: its committed value @val with the runtime state. */
static json_t *obj_json(struct evs_store *st, struct evs_store_obj *o, const json_t *val)
{
	const struct store_type *ty = o->type;
	json_t *v = ty->n_secret > 0 ? store_public(ty, (json_t *)val) : json_copy((json_t *)val),
	       *s;

	if (v != NULL && ty->t->ops != NULL && ty->t->ops->status != NULL) {
		s = ty->t->ops->status(st, o, ty->ctx);
		if (s != NULL)
			json_object_update(v, s);
		json_decref(s);
	}
	return v;
}

static bool matches(const struct evs_store *st, const struct store_type *ty, const json_t *v,
		    const json_t *where)
{
	const char *k;
	json_t *w;

	json_object_foreach ((json_t *)where, k, w) {
		const json_t *f = evs_store_field(st, ty->t->name, v, k);

		if (f == NULL || !json_equal((json_t *)f, w))
			return false;
	}
	return true;
}

static int m_generated(struct evs_ctl_call *call, json_t *params, void *arg)
{
	struct gen_method *gm = arg;
	struct ctl_priv *cp = gm->cp;
	struct evs_store *st = cp->cfg.store;
	struct evs_store_obj *o;
	const json_t *after, *where;
	json_int_t limit;
	json_t *list;

	switch (gm->verb) {
	case V_ADD:
	case V_DEL:
	case V_SET:
		return run_txn(cp, call, params, stage_one, gm, keys_json(gm->ty, params));
	case V_GET:
		/* Reads see the committed state (a large transaction may be open). */
		o = store_lookup_committed(st, gm->ty, params);
		if (o == NULL)
			return evs_ctl_error(call, EVS_CTL_E_NOT_FOUND, "/params", "no such %s",
					     gm->ty->t->name);
		return evs_ctl_reply(call, obj_json(st, o, store_committed(st, o)));
	default:
		break;
	}
	after = json_object_get(params, "after");
	where = json_object_get(params, "where");
	{
		const char *k;
		json_t *w;
		char p[EVS_CTL_PATH_MAX];

		json_object_foreach ((json_t *)where, k, w)
			if (store_is_secret(gm->ty, k))
				return evs_ctl_error(
				    call, EVS_CTL_E_INVALID_PARAMS,
				    evs_ctl_path_key(p, sizeof(p), "/params/where", k),
				    "cannot filter on secret field '%s'", k);
	}
	limit = json_integer_value(json_object_get(params, "limit"));
	if (limit <= 0)
		limit = 10000;
	if (after != NULL) {
		o = store_lookup_committed(st, gm->ty, after);
		if (o == NULL)
			return evs_ctl_error(call, EVS_CTL_E_NOT_FOUND, "/params/after",
					     "no such %s (deleted since the last page?)",
					     gm->ty->t->name);
		o = o->next;
	} else {
		o = gm->ty->head;
	}
	list = json_array();
	for (; o != NULL && (json_int_t)json_array_size(list) < limit; o = o->next) {
		const json_t *v = store_committed(st, o);

		if (v != NULL && (where == NULL || matches(st, gm->ty, v, where)))
			json_array_append_new(list, obj_json(st, o, v));
	}
	return evs_ctl_reply(call, list);
}

/* --- transact, config, schema ------------------------------------------------- */

/* Stage op @i of a transact. */
static int stage_op(struct evs_store_txn *txn, const json_t *op, size_t i, struct evs_ctl_err *err)
{
	const json_t *p = json_object_get(op, "params");
	const char *method = json_string_value(json_object_get(op, "method"));
	const struct gen_method *gm;
	char path[EVS_CTL_PATH_MAX];
	json_t *empty = NULL;
	int rc;

	if (p == NULL)
		p = empty = json_object();
	evs_ctl_path_index(path, sizeof(path), "/params/ops", i);
	evs_ctl_path_key(path, sizeof(path), path, "params");
	rc = evs_store_txn_method(txn, method, p, path, err);
	json_decref(empty);
	gm = method_find(txn->st->ctl_priv, method);
	if (rc == -ENOENT && (gm == NULL || gm->verb > V_SET)) { /* the method is at fault */
		evs_ctl_path_index(path, sizeof(path), "/params/ops", i);
		evs_ctl_path_key(path, sizeof(path), path, "method");
		snprintf(err->path, sizeof(err->path), "%s", path);
	}
	return rc;
}

static int stage_ops(struct evs_store_txn *txn, const json_t *params, struct evs_ctl_err *err,
		     const void *arg)
{
	const json_t *ops = json_object_get(params, "ops"), *op;
	size_t i;
	int rc;

	(void)arg;
	json_array_foreach (ops, i, op) {
		rc = stage_op(txn, op, i, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int m_transact(struct evs_ctl_call *call, json_t *params, void *arg)
{
	return run_txn(arg, call, params, stage_ops, NULL, NULL);
}

static int stage_doc(struct evs_store_txn *txn, const json_t *params, struct evs_ctl_err *err,
		     const void *arg)
{
	(void)arg;
	return evs_store_txn_doc(txn, json_object_get(params, "config"), "/params/config", err);
}

static int m_config_apply(struct evs_ctl_call *call, json_t *params, void *arg)
{
	return run_txn(arg, call, params, stage_doc, NULL, NULL);
}

static int m_config_get(struct evs_ctl_call *call, json_t *params, void *arg)
{
	struct ctl_priv *cp = arg;

	(void)params;
	return evs_ctl_reply(call, evs_store_doc(cp->cfg.store));
}

static json_t *type_json(const struct store_type *ty)
{
	const struct evs_obj_type *t = ty->t;
	json_t *o, *keys = json_array(), *refs = json_array();
	size_t i;

	for (i = 0; i < ty->n_keys; i++)
		json_array_append_new(keys, json_string(t->keys[i]));
	for (i = 0; i < t->n_refs; i++)
		json_array_append_new(
		    refs,
		    json_pack("{s:s, s:s, s:s}", "field", t->refs[i].field, "type", t->refs[i].type,
			      "on_delete",
			      t->refs[i].on_delete == EVS_STORE_CASCADE ? "cascade" : "restrict"));
	o = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o}", "name", t->name, "section", t->section,
		      "help", t->help ? t->help : "", "key", keys, "refs", refs, "fields",
		      evs_ctl_spec_json(t->fields, t->n_fields));
	if (o != NULL && ty->defaults != NULL)
		json_object_set(o, "defaults", ty->defaults);
	if (o != NULL && t->max_objects)
		json_object_set_new(o, "max_objects", json_integer(t->max_objects));
	return o;
}

static int m_schema(struct evs_ctl_call *call, json_t *params, void *arg)
{
	struct ctl_priv *cp = arg;
	struct evs_store *st = cp->cfg.store;
	const char *name = json_string_value(json_object_get(params, "type"));
	json_t *list;
	unsigned int t;

	if (name != NULL) {
		struct store_type *ty = store_type_get(st, name);

		if (ty == NULL)
			return evs_ctl_error(call, EVS_CTL_E_NOT_FOUND, "/params/type",
					     "no object type '%s'", name);
		return evs_ctl_reply(call, type_json(ty));
	}
	list = json_array();
	for (t = 0; t < st->n_types; t++)
		json_array_append_new(list, type_json(&st->types[t]));
	return evs_ctl_reply(
	    call, json_pack("{s:I, s:o}", "generation", (json_int_t)st->gen, "types", list));
}

static const struct evs_ctl_param p_op_fields[] = {
    {.name = "method",
     .type = EVS_CTL_T_STRING,
     .required = true,
     .help = "TYPE.add, TYPE.del or TYPE.set"},
    {.name = "params", .type = EVS_CTL_T_OBJECT, .help = "that method's params"},
};
static const struct evs_ctl_param p_op = {
    .type = EVS_CTL_T_OBJECT, .fields = p_op_fields, .n_fields = 2};
static const struct evs_ctl_param p_ops = {.name = "ops",
					   .type = EVS_CTL_T_ARRAY,
					   .required = true,
					   .items = &p_op,
					   .help = "operations, applied all or nothing"};
static const struct evs_ctl_param p_config = {
    .name = "config",
    .type = EVS_CTL_T_OBJECT,
    .required = true,
    .help = "the whole desired state: {section: [objects]} (see schema)"};

/* @first followed by the request-level fields, in cp (freed with it). */
static struct evs_ctl_param *with_common(struct ctl_priv *cp, const struct evs_ctl_param *first)
{
	struct evs_ctl_param *s = calloc(1 + N_COMMON, sizeof(*s));

	if (s == NULL)
		return NULL;
	s[0] = *first;
	memcpy(s + 1, p_common, sizeof(p_common));
	cp->own[cp->n_own++] = s;
	return s;
}
static const struct evs_ctl_param p_schema[] = {
    {.name = "type", .type = EVS_CTL_T_STRING, .help = "one type (default: all)"},
};

static bool skipped(const struct evs_store_ctl_config *cfg, const char *name)
{
	const char *const *s;

	for (s = cfg->skip; s != NULL && *s != NULL; s++)
		if (strcmp(*s, name) == 0)
			return true;
	return false;
}

static int register_generated(struct evs_ctl *ctl, struct ctl_priv *cp)
{
	char help[512];
	size_t i;
	int rc;

	for (i = 0; i < cp->n_m; i++) {
		struct gen_method *gm = &cp->m[i];
		struct evs_ctl_method m = {.name = gm->name,
					   .help = help,
					   .fn = m_generated,
					   .arg = gm,
					   .params = gm->spec,
					   .n_params = gm->n,
					   .read_only = gm->verb >= V_GET};

		snprintf(help, sizeof(help), verb_help[gm->verb], gm->ty->t->name,
			 gm->ty->t->help ? gm->ty->t->help : "");
		if (skipped(&cp->cfg, gm->name))
			continue;
		rc = evs_ctl_register(ctl, &m);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int evs_store_ctl_register(struct evs_ctl *ctl, const struct evs_store_ctl_config *cfg)
{
	struct evs_store *st = cfg->store;
	struct ctl_priv *cp;
	unsigned int t, v;
	int rc;

	if (st->ctl_priv != NULL)
		return -EEXIST;
	cp = calloc(1, sizeof(*cp));
	if (cp == NULL)
		return -ENOMEM;
	cp->cfg = *cfg;
	cp->q_tail = &cp->q_head;
	st->trash = json_array();
	cp->m = calloc((size_t)st->n_types * V_MAX + 1, sizeof(*cp->m));
	if (cp->m == NULL) {
		free(cp);
		return -ENOMEM;
	}
	st->ctl_priv = cp;
	st->ctl_priv_free = priv_free;
	for (t = 0; t < st->n_types; t++)
		for (v = 0; v < V_MAX; v++) {
			struct gen_method *gm = &cp->m[cp->n_m++];

			snprintf(gm->name, sizeof(gm->name), "%s.%s", st->types[t].t->name,
				 verb_names[v]);
			gm->verb = (enum verb)v;
			gm->ty = &st->types[t];
			gm->cp = cp;
			if (spec_build(gm) < 0)
				return -ENOMEM;
		}
	rc = register_generated(ctl, cp);
	if (rc == 0 && (with_common(cp, &p_ops) == NULL || with_common(cp, &p_config) == NULL))
		rc = -ENOMEM;
	{
		const struct evs_ctl_method m[] = {
		    {.name = "transact",
		     .help = "Several TYPE.add/del/set operations as one transaction: all or "
			     "nothing.",
		     .fn = m_transact,
		     .arg = cp,
		     .params = cp->own[0],
		     .n_params = 1 + N_COMMON},
		    {.name = "config.apply",
		     .help = "Apply the difference to a whole desired-state document as one "
			     "transaction; unchanged objects are not touched.",
		     .fn = m_config_apply,
		     .arg = cp,
		     .params = cp->own[1],
		     .n_params = 1 + N_COMMON},
		    {.name = "config.get",
		     .help = "The running desired-state document.",
		     .read_only = true,
		     .fn = m_config_get,
		     .arg = cp,
		     .params = evs_ctl_no_params},
		    {.name = "schema",
		     .help = "The object types: fields, keys, references, defaults, limits.",
		     .read_only = true,
		     .fn = m_schema,
		     .arg = cp,
		     .params = p_schema,
		     .n_params = 1},
		    {.name = "store.stats",
		     .help = "Large transactions in steps: how many, the steps, the longest "
			     "step (wall and CPU ms), and the last one's.",
		     .read_only = true,
		     .fn = m_store_stats,
		     .arg = cp,
		     .params = evs_ctl_no_params},
		};

		for (t = 0; rc == 0 && t < sizeof(m) / sizeof(m[0]); t++)
			if (!skipped(cfg, m[t].name))
				rc = evs_ctl_register(ctl, &m[t]);
	}
	return rc;
}
