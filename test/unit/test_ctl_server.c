/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Server features of the ctl suite: deferred calls (answered later, held
 * until released, client gone meanwhile, per-connection order); access
 * control (roles by uid, gid and supplementary groups from the socket
 * credentials of forked clients that drop to other users).
 */

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctl_test.h"
#include "unit_case.h"

static struct evs_ctl_pending *deferred;
static bool hold_answer;

/* test.defer: defers; with hold_answer also answers "held" at once (held). */
static int m_defer(struct evs_ctl_call *call, json_t *params, void *arg)
{
	(void)params;
	(void)arg;
	deferred = evs_ctl_call_defer(call);
	ck_assert_ptr_nonnull(deferred);
	ck_assert_ptr_null(evs_ctl_call_defer(call)); /* only once */
	ck_assert_int_eq(errno, EALREADY);
	if (hold_answer)
		ck_assert_int_eq(evs_ctl_reply(call, json_string("held")), 0);
	return 0;
}

static void register_defer(struct srv *s)
{
	const struct evs_ctl_method m = {.name = "test.defer", .fn = m_defer};

	deferred = NULL;
	hold_answer = false;
	ck_assert_int_eq(evs_ctl_register(s->ctl, &m), 0);
}

#define REQ(id, method) "{\"jsonrpc\":\"2.0\",\"id\":" #id ",\"method\":\"" method "\"}\n"

START_TEST(deferred_call_answered_later_in_order)
{
	struct srv s;
	struct conn c, other;
	json_t *r;

	srv_start(&s, NULL);
	register_defer(&s);
	conn_open(&s, &c);
	conn_open(&s, &other);
	/* Pipelined: the echo waits behind the deferred call. */
	conn_send_str(&s, &c, REQ(1, "test.defer") REQ(2, "test.echo"));
	POLL_UNTIL(&s, deferred != NULL);
	check_silence(&s, &c);
	/* Other connections are served meanwhile. */
	r = rpc_result(&s, &other, "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"test.echo\"}");
	json_decref(r);
	ck_assert(evs_ctl_pending_connected(deferred));
	ck_assert_str_eq(evs_ctl_pending_method(deferred), "test.defer");
	ck_assert_int_eq(stats_of(&s).deferred, 1);
	ck_assert_int_eq(evs_ctl_pending_reply(deferred, json_string("late")), 0);
	r = conn_must_recv(&s, &c);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "id")), 1);
	ck_assert_str_eq(json_string_value(json_object_get(r, "result")), "late");
	json_decref(r);
	r = conn_must_recv(&s, &c);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "id")), 2);
	json_decref(r);
	conn_close(&c);
	conn_close(&other);
	srv_stop(&s);
}
END_TEST

START_TEST(deferred_error_answer)
{
	struct srv s;
	struct conn c;
	json_t *r;

	srv_start(&s, NULL);
	register_defer(&s);
	conn_open(&s, &c);
	conn_send_str(&s, &c, REQ(1, "test.defer"));
	POLL_UNTIL(&s, deferred != NULL);
	ck_assert_int_eq(
	    evs_ctl_pending_error(deferred, EVS_CTL_E_APPLY_FAILED, "/params", "disk full"), 0);
	r = conn_must_recv(&s, &c);
	check_error(r, EVS_CTL_E_APPLY_FAILED, "/params");
	json_decref(r);
	conn_close(&c);
	srv_stop(&s);
}
END_TEST

START_TEST(held_answer_released_or_replaced)
{
	struct srv s;
	struct conn c;
	json_t *r;

	srv_start(&s, NULL);
	register_defer(&s);
	hold_answer = true;
	conn_open(&s, &c);
	conn_send_str(&s, &c, REQ(1, "test.defer"));
	POLL_UNTIL(&s, deferred != NULL);
	check_silence(&s, &c); /* the handler answered, but it is held */
	ck_assert_int_eq(evs_ctl_pending_release(deferred), 0);
	r = conn_must_recv(&s, &c);
	ck_assert_str_eq(json_string_value(json_object_get(r, "result")), "held");
	json_decref(r);
	/* A failure after the handler answered replaces the held answer. */
	deferred = NULL;
	conn_send_str(&s, &c, REQ(2, "test.defer"));
	POLL_UNTIL(&s, deferred != NULL);
	ck_assert_int_eq(
	    evs_ctl_pending_error(deferred, EVS_CTL_E_APPLY_FAILED, NULL, "write failed"), 0);
	r = conn_must_recv(&s, &c);
	check_error(r, EVS_CTL_E_APPLY_FAILED, NULL);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "id")), 2);
	json_decref(r);
	/* Released without any answer: an internal error, not silence. */
	hold_answer = false;
	deferred = NULL;
	conn_send_str(&s, &c, REQ(3, "test.defer"));
	POLL_UNTIL(&s, deferred != NULL);
	ck_assert_int_eq(evs_ctl_pending_release(deferred), 0);
	r = conn_must_recv(&s, &c);
	check_error(r, EVS_CTL_E_INTERNAL, NULL);
	json_decref(r);
	conn_close(&c);
	srv_stop(&s);
}
END_TEST

START_TEST(deferred_client_gone_answer_dropped)
{
	struct srv s;
	struct conn c, c2;
	json_t *r;

	srv_start(&s, NULL);
	register_defer(&s);
	conn_open(&s, &c);
	conn_send_str(&s, &c, REQ(1, "test.defer") REQ(2, "test.echo"));
	POLL_UNTIL(&s, deferred != NULL);
	/* A half-closed client still gets its deferred answer and the rest. */
	shutdown(c.fd, SHUT_WR);
	check_silence(&s, &c);
	ck_assert_int_eq(evs_ctl_pending_reply(deferred, json_true()), 0);
	r = conn_must_recv(&s, &c);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "id")), 1);
	json_decref(r);
	r = conn_must_recv(&s, &c);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "id")), 2);
	json_decref(r);
	POLL_UNTIL(&s, stats_of(&s).clients_connected == 0);
	conn_close(&c);
	/* A client that vanishes: the handle lives on, the answer is dropped. */
	deferred = NULL;
	conn_open(&s, &c2);
	conn_send_str(&s, &c2, REQ(1, "test.defer"));
	POLL_UNTIL(&s, deferred != NULL);
	conn_close(&c2);
	POLL_UNTIL(&s, stats_of(&s).clients_connected == 0);
	ck_assert(!evs_ctl_pending_connected(deferred));
	ck_assert_int_eq(evs_ctl_pending_reply(deferred, json_true()), 0);
	/* Handles left open are freed with the server (checked by ASan). */
	deferred = NULL;
	conn_open(&s, &c);
	conn_send_str(&s, &c, REQ(1, "test.defer"));
	POLL_UNTIL(&s, deferred != NULL);
	conn_close(&c);
	srv_stop(&s);
}
END_TEST

/* --- access control ------------------------------------------------------ */

/* Run @n request lines as another user (a forked child drops to @uid/@gid
 * with @groups) while this process polls the server; returns the replies as
 * a JSON array (the child's connection, one reply per request). */
static json_t *call_as(struct srv *s, uid_t uid, gid_t gid, const gid_t *groups, size_t n_groups,
		       const char *const *lines, size_t n)
{
	int pfd[2], status;
	pid_t pid;
	json_t *out = json_array();
	char buf[65536];
	size_t len = 0;
	ssize_t r;

	ck_assert_int_eq(pipe(pfd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct conn c;
		size_t i;

		close(pfd[0]);
		if (setgroups(n_groups, groups) < 0 || setresgid(gid, gid, gid) < 0 ||
		    setresuid(uid, uid, uid) < 0)
			_exit(3);
		conn_open_raw(&c, s->path);
		json_decref(conn_recv(NULL, &c, 5000)); /* hello */
		for (i = 0; i < n; i++) {
			json_t *m;
			char *d;

			conn_send(NULL, &c, lines[i], strlen(lines[i]));
			m = conn_recv(NULL, &c, 5000);
			d = m != NULL ? json_dumps(m, JSON_COMPACT) : strdup("null");
			if (write(pfd[1], d, strlen(d)) < 0 || write(pfd[1], "\n", 1) < 0)
				_exit(4);
			free(d);
			json_decref(m);
		}
		_exit(0);
	}
	close(pfd[1]);
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	for (;;) {
		evs_ctl_poll(s->ctl, 2);
		r = read(pfd[0], buf + len, sizeof(buf) - 1 - len);
		if (r > 0)
			len += (size_t)r;
		else if (r == 0)
			break;
	}
	close(pfd[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child failed: %d", status);
	buf[len] = '\0';
	for (char *line = strtok(buf, "\n"); line != NULL; line = strtok(NULL, "\n"))
		json_array_append_new(out, json_loads(line, JSON_DECODE_ANY, NULL));
	ck_assert_uint_eq(json_array_size(out), n);
	return out;
}

static void set_policy(struct srv *s, const char *text)
{
	json_t *p = json_loads(text, 0, NULL);

	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(evs_ctl_set_access(s->ctl, p), 0);
	json_decref(p);
}

static const char *const read_then_write[] = {REQ(1, "test.echo"), REQ(2, "test.count")};

START_TEST(access_without_policy_everyone_admin)
{
	struct srv s;
	json_t *r;

	if (geteuid() != 0)
		return; /* needs root to become another user */
	srv_start(&s, &(struct evs_ctl_config){.mode = 0666});
	chmod(s.dir, 0755);
	r = call_as(&s, 65534, 65534, NULL, 0, read_then_write, 2);
	ck_assert_ptr_nonnull(json_object_get(json_array_get(r, 0), "result"));
	ck_assert_ptr_nonnull(json_object_get(json_array_get(r, 1), "result"));
	json_decref(r);
	ck_assert_int_eq(s.notified, 1);
	ck_assert_int_eq(stats_of(&s).mutations, 1);
	ck_assert_int_eq(stats_of(&s).calls_refused, 0);
	srv_stop(&s);
}
END_TEST

START_TEST(access_roles_by_uid_gid_and_groups)
{
	static const char *const read_only[] = {REQ(1, "test.echo")};
	const gid_t ro_group[] = {1234};
	struct srv s;
	struct conn c;
	json_t *r, *e;

	if (geteuid() != 0)
		return;
	srv_start(&s, &(struct evs_ctl_config){.mode = 0666});
	chmod(s.dir, 0755);
	set_policy(
	    &s,
	    "{\"default\":\"none\",\"roles\":[{\"role\":\"read-only\",\"gids\":[1234]},"
	    "{\"role\":\"admin\",\"uids\":[65533]},{\"role\":\"read-only\",\"uids\":[65533]}]}");
	/* A supplementary group gives read-only: reads pass, changes are refused. */
	r = call_as(&s, 65534, 65534, ro_group, 1, read_then_write, 2);
	ck_assert_ptr_nonnull(json_object_get(json_array_get(r, 0), "result"));
	e = json_array_get(r, 1);
	check_error(e, EVS_CTL_E_FORBIDDEN, "/method");
	ck_assert_msg(
	    strstr(json_string_value(json_object_get(json_object_get(e, "error"), "message")),
		   "needs the admin role") != NULL,
	    "message names the role");
	json_decref(r);
	ck_assert_int_eq(s.notified, 0); /* the handler never ran */
	/* The same user without the group: the default (none) refuses reads. */
	r = call_as(&s, 65534, 65534, NULL, 0, read_only, 1);
	check_error(json_array_get(r, 0), EVS_CTL_E_FORBIDDEN, "/method");
	json_decref(r);
	/* The primary gid counts too. */
	r = call_as(&s, 65534, 1234, NULL, 0, read_only, 1);
	ck_assert_ptr_nonnull(json_object_get(json_array_get(r, 0), "result"));
	json_decref(r);
	/* A uid named by an admin rule (and a read-only one): the highest wins. */
	r = call_as(&s, 65533, 65533, NULL, 0, read_then_write, 2);
	ck_assert_ptr_nonnull(json_object_get(json_array_get(r, 1), "result"));
	json_decref(r);
	ck_assert_int_eq(s.notified, 1);
	/* Root is always admin. */
	conn_open(&s, &c);
	r = rpc_result(&s, &c, REQ(3, "test.count"));
	json_decref(r);
	conn_close(&c);
	ck_assert_int_eq(stats_of(&s).calls_refused, 2);
	ck_assert_int_eq(stats_of(&s).mutations, 2);
	srv_stop(&s);
}
END_TEST

START_TEST(access_policy_change_reaches_connected_clients)
{
	static const char *const lines[] = {REQ(1, "test.count"), REQ(2, "test.count")};
	struct srv s;
	json_t *r;

	if (geteuid() != 0)
		return;
	srv_start(&s, &(struct evs_ctl_config){.mode = 0666});
	chmod(s.dir, 0755);
	set_policy(&s, "{\"roles\":[]}"); /* default read-only */
	r = call_as(&s, 65534, 65534, NULL, 0, lines, 1);
	check_error(json_array_get(r, 0), EVS_CTL_E_FORBIDDEN, "/method");
	json_decref(r);
	ck_assert_int_eq(evs_ctl_set_access(s.ctl, NULL), 0); /* policy removed */
	r = call_as(&s, 65534, 65534, NULL, 0, lines, 2);
	ck_assert_ptr_nonnull(json_object_get(json_array_get(r, 1), "result"));
	json_decref(r);
	srv_stop(&s);
}
END_TEST

START_TEST(access_section_validated)
{
	static const struct {
		const char *doc;
		const char *path;
	} bad[] = {
	    {"{\"roles\":[{\"role\":\"root\"}]}", "/access/roles/0/role"},
	    {"{\"roles\":[{\"role\":\"admin\",\"uids\":[-1]}]}", "/access/roles/0/uids/0"},
	    {"{\"roles\":[{\"role\":\"admin\",\"gids\":\"wheel\"}]}", "/access/roles/0/gids"},
	    {"{\"roles\":[{\"uids\":[1]}]}", "/access/roles/0/role"},
	    {"{\"default\":\"everyone\"}", "/access/default"},
	    {"{\"rules\":[]}", "/access/rules"},
	};
	struct evs_ctl_err err;
	struct srv s;
	size_t i;

	srv_start(&s, NULL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *d = json_loads(bad[i].doc, 0, NULL);

		ck_assert_ptr_nonnull(d);
		ck_assert_int_eq(evs_ctl_access_check(d, "/access", &err), -EINVAL);
		ck_assert_str_eq(err.path, bad[i].path);
		ck_assert_int_eq(evs_ctl_set_access(s.ctl, d), -EINVAL);
		json_decref(d);
	}
	ck_assert_int_eq(evs_ctl_access_check(NULL, "/access", &err), 0);
	ck_assert_str_eq(evs_ctl_role_name(EVS_CTL_ROLE_READ_ONLY), "read-only");
	srv_stop(&s);
}
END_TEST

/* --- idle clients and admin slots ------------------------------------------ */

START_TEST(idle_client_closed_active_kept)
{
	struct srv s;
	struct conn idle, active, waiting;
	int64_t until;
	json_t *m;

	srv_start(&s, &(struct evs_ctl_config){.idle_timeout_ms = 150});
	register_defer(&s);
	conn_open(&s, &idle);
	conn_open(&s, &active);
	conn_open(&s, &waiting);
	conn_send_str(&s, &waiting, REQ(1, "test.defer"));
	POLL_UNTIL(&s, deferred != NULL);
	/* 400 ms: the active client sends every 50 ms, the idle one nothing. */
	for (until = now_ms() + 400; now_ms() < until;) {
		json_decref(rpc_result(&s, &active, REQ(2, "test.echo")));
		for (int64_t t = now_ms() + 50; now_ms() < t;)
			evs_ctl_poll(s.ctl, 5);
	}
	m = conn_must_recv(&s, &idle);
	check_error(m, EVS_CTL_E_BUSY, NULL);
	ck_assert_msg(
	    strstr(json_string_value(json_object_get(json_object_get(m, "error"), "message")),
		   "idle") != NULL,
	    "says why");
	json_decref(m);
	ck_assert_ptr_null(conn_recv(&s, &idle, 1000)); /* then closed */
	ck_assert(idle.eof);
	ck_assert_int_eq(stats_of(&s).clients_idle_closed, 1);
	/* The client waiting for a deferred answer is busy, not idle. */
	ck_assert(evs_ctl_pending_connected(deferred));
	ck_assert_int_eq(evs_ctl_pending_reply(deferred, json_true()), 0);
	json_decref(conn_must_recv(&s, &waiting));
	ck_assert_int_eq(stats_of(&s).clients_connected, 2);
	conn_close(&idle);
	conn_close(&active);
	conn_close(&waiting);
	srv_stop(&s);
}
END_TEST

/* A child holding @n connections as uid 65534 until told to go. */
struct holder {
	pid_t pid;
	int go; /* write end: closing it ends the child */
};

static struct holder hold_connections(struct srv *s, int n)
{
	struct holder h;
	int ready[2], go[2];
	char c;

	ck_assert_int_eq(pipe(ready), 0);
	ck_assert_int_eq(pipe(go), 0);
	h.pid = fork();
	ck_assert_int_ge(h.pid, 0);
	if (h.pid == 0) {
		int i, fds[16];

		close(ready[0]);
		close(go[1]);
		if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
		    setresuid(65534, 65534, 65534) < 0)
			_exit(3);
		for (i = 0; i < n && i < 16; i++)
			fds[i] = raw_connect(s->path);
		if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) < 0)
			_exit(4);
		for (i = 0; i < n && i < 16; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	fcntl(ready[0], F_SETFL, O_NONBLOCK);
	while (read(ready[0], &c, 1) != 1)
		evs_ctl_poll(s->ctl, 5);
	close(ready[0]);
	h.go = go[1];
	return h;
}

static void release_connections(struct holder *h)
{
	int status;

	close(h->go);
	ck_assert_int_eq(waitpid(h->pid, &status, 0), h->pid);
}

START_TEST(admin_never_locked_out)
{
	struct srv s;
	struct conn a1, a2, a3;
	struct holder h;
	json_t *r;

	if (geteuid() != 0)
		return;
	srv_start(&s, &(struct evs_ctl_config){.mode = 0666, .max_clients = 4});
	chmod(s.dir, 0755);
	set_policy(&s, "{\"default\":\"read-only\"}");
	/* Non-admins get 3 of the 4 slots (one is reserved): the 4th is refused. */
	h = hold_connections(&s, 4);
	POLL_UNTIL(&s, stats_of(&s).clients_connected == 3 && stats_of(&s).clients_rejected == 1);
	/* The admin takes the reserved slot... */
	conn_open(&s, &a1);
	/* ...and, with every slot taken, the place of the longest idle non-admin. */
	conn_open(&s, &a2);
	ck_assert_int_eq(stats_of(&s).clients_evicted, 1);
	ck_assert_int_eq(stats_of(&s).clients_connected, 4);
	r = rpc_result(&s, &a2, REQ(1, "test.count"));
	json_decref(r);
	conn_open(&s, &a3); /* evicts another */
	ck_assert_int_eq(stats_of(&s).clients_evicted, 2);
	conn_close(&a3);
	POLL_UNTIL(&s, stats_of(&s).clients_connected == 3);
	release_connections(&h);
	POLL_UNTIL(&s, stats_of(&s).clients_connected == 2);
	/* Only admins left, all slots taken: the next admin is refused (no idle
	 * non-admin to evict), never a busy admin. */
	conn_open(&s, &a3);
	{
		struct conn a4, a5;

		conn_open(&s, &a4);
		conn_open_raw(&a5, s.path);
		r = conn_must_recv(&s, &a5);
		check_error(r, EVS_CTL_E_BUSY, NULL);
		json_decref(r);
		conn_close(&a4);
		conn_close(&a5);
	}
	conn_close(&a1);
	conn_close(&a2);
	conn_close(&a3);
	srv_stop(&s);
}
END_TEST

/* --- events ---------------------------------------------------------------- */

#define SUB(id, topics)                                                                            \
	"{\"jsonrpc\":\"2.0\",\"id\":" #id                                                         \
	",\"method\":\"subscribe\",\"params\":{\"topics\":" topics "}}\n"

static json_t *event_params(json_t *m)
{
	ck_assert_str_eq(json_string_value(json_object_get(m, "method")), "event");
	ck_assert_ptr_null(json_object_get(m, "id"));
	return json_object_get(m, "params");
}

START_TEST(events_reach_subscribers_only)
{
	struct srv s;
	struct conn a, b;
	json_t *r, *p;

	srv_start(&s, NULL);
	ck_assert_int_eq(evs_ctl_topic_register(s.ctl, "test.t", "a test topic"), 0);
	ck_assert_int_eq(evs_ctl_topic_register(s.ctl, "test.u", NULL), 0);
	ck_assert_int_eq(evs_ctl_topic_register(s.ctl, "test.t", NULL), -EEXIST);
	ck_assert_int_eq(evs_ctl_topic_register(s.ctl, "Bad Topic", NULL), -EINVAL);
	conn_open(&s, &a);
	conn_open(&s, &b);
	r = rpc_result(&s, &a, SUB(1, "[\"test.t\"]"));
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(r, "topics"), 0)),
			 "test.t");
	json_decref(r);
	rpc_error(&s, &b, SUB(2, "[\"test.t\",\"nope\"]"), EVS_CTL_E_NOT_FOUND, "/params/topics/1");
	ck_assert_int_eq(evs_ctl_notify(s.ctl, "test.t", json_pack("{s:i}", "x", 7)), 1);
	ck_assert_int_eq(evs_ctl_notify(s.ctl, "test.u", json_pack("{s:i}", "x", 8)), 0);
	ck_assert_int_eq(evs_ctl_notify(s.ctl, "nope", json_true()), -ENOENT);
	r = conn_must_recv(&s, &a);
	p = event_params(r);
	ck_assert_str_eq(json_string_value(json_object_get(p, "topic")), "test.t");
	ck_assert_int_eq(json_integer_value(json_object_get(p, "seq")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(p, "data"), "x")), 7);
	ck_assert_ptr_null(json_object_get(p, "missed"));
	json_decref(r);
	check_silence(&s, &a); /* not subscribed to test.u */
	check_silence(&s, &b); /* refused subscription changed nothing */
	/* events.topics lists both with their counts. */
	r = rpc_result(&s, &b, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"events.topics\"}\n");
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(r, 0), "published")), 1);
	json_decref(r);
	/* Unsubscribed: nothing more. */
	r = rpc_result(&s, &a, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"unsubscribe\"}\n");
	ck_assert_int_eq(json_array_size(json_object_get(r, "topics")), 0);
	json_decref(r);
	ck_assert_int_eq(evs_ctl_notify(s.ctl, "test.t", NULL), 0);
	check_silence(&s, &a);
	ck_assert_int_eq(stats_of(&s).events_published, 3);
	ck_assert_int_eq(stats_of(&s).events_sent, 1);
	conn_close(&a);
	conn_close(&b);
	srv_stop(&s);
}
END_TEST

START_TEST(slow_subscriber_loses_events_not_connection)
{
	struct srv s;
	struct conn c;
	json_t *r, *p;
	char big[600];
	int i, dropped, last_seq = 0;

	srv_start(&s, &(struct evs_ctl_config){.max_outbuf = 4096, .idle_timeout_ms = 100});
	ck_assert_int_eq(evs_ctl_topic_register(s.ctl, "test.t", NULL), 0);
	conn_open(&s, &c);
	json_decref(rpc_result(&s, &c, SUB(1, "[\"test.t\"]")));
	memset(big, 'e', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	/* The client reads nothing while 40 events of ~650 bytes are published
	 * (the kernel buffers some; the rest must fit max_outbuf or be lost). */
	for (i = 0; i < 400; i++)
		evs_ctl_notify(s.ctl, "test.t", json_pack("{s:s, s:i}", "pad", big, "i", i));
	dropped = (int)stats_of(&s).events_dropped;
	ck_assert_int_gt(dropped, 0);
	ck_assert_int_eq(stats_of(&s).clients_dropped, 0);
	/* Subscribed: not idle, even 300 ms without a request. */
	for (int64_t t = now_ms() + 300; now_ms() < t;)
		evs_ctl_poll(s.ctl, 5);
	ck_assert_int_eq(stats_of(&s).clients_connected, 1);
	/* Reading catches up: events in order, then one telling what was missed. */
	while ((r = conn_recv(&s, &c, 200)) != NULL) {
		p = event_params(r);
		ck_assert_int_eq(json_integer_value(json_object_get(p, "seq")), last_seq + 1);
		last_seq++;
		json_decref(r);
	}
	ck_assert_int_eq(last_seq + dropped, 400);
	ck_assert_int_eq(evs_ctl_notify(s.ctl, "test.t", json_true()), 1);
	r = conn_must_recv(&s, &c);
	p = event_params(r);
	ck_assert_int_eq(json_integer_value(json_object_get(p, "missed")), dropped);
	ck_assert_int_eq(json_integer_value(json_object_get(p, "seq")), 401);
	json_decref(r);
	conn_close(&c);
	srv_stop(&s);
}
END_TEST

/* --- one error convention ---------------------------------------------------- */

static int m_fail_with(struct evs_ctl_call *call, json_t *params, void *arg)
{
	(void)call;
	(void)arg;
	return (int)json_integer_value(json_object_get(params, "rc"));
}

START_TEST(errno_table_maps_handler_errors)
{
	static const struct {
		int rc;
		int code;
	} cases[] = {
	    {-EINVAL, EVS_CTL_E_INVALID_PARAMS}, {-EEXIST, EVS_CTL_E_EXISTS},
	    {-ENOENT, EVS_CTL_E_NOT_FOUND},	 {-ENODEV, EVS_CTL_E_NOT_FOUND},
	    {-ENOSPC, EVS_CTL_E_BUSY},		 {-EBUSY, EVS_CTL_E_EXISTS},
	    {-EPERM, EVS_CTL_E_APPLY_FAILED},	 {-ESTALE, EVS_CTL_E_CONFLICT},
	    {-EIO, EVS_CTL_E_APPLY_FAILED},	 {-ENOTSUP, EVS_CTL_E_APPLY_FAILED},
	    {-ENOMEM, EVS_CTL_E_INTERNAL},	 {-EXDEV, EVS_CTL_E_INTERNAL},
	};
	const struct evs_ctl_method m = {.name = "test.failwith", .fn = m_fail_with};
	struct srv s;
	struct conn c;
	char line[160];
	size_t i;

	srv_start(&s, NULL);
	ck_assert_int_eq(evs_ctl_register(s.ctl, &m), 0);
	conn_open(&s, &c);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *r;
		const char *msg;

		ck_assert_int_eq(evs_ctl_errno_code(cases[i].rc), cases[i].code);
		ck_assert_int_eq(evs_ctl_errno_code(-cases[i].rc), cases[i].code);
		snprintf(line, sizeof(line),
			 "{\"jsonrpc\":\"2.0\",\"id\":%zu,\"method\":\"test.failwith\","
			 "\"params\":{\"rc\":%d}}",
			 i, cases[i].rc);
		r = rpc(&s, &c, line);
		check_error(r, cases[i].code, NULL);
		msg = json_string_value(json_object_get(json_object_get(r, "error"), "message"));
		ck_assert_msg(strstr(msg, strerror(-cases[i].rc)) != NULL, "message '%s'", msg);
		json_decref(r);
	}
	ck_assert_int_eq(evs_ctl_errno_code(0), 0);
	ck_assert_str_eq(evs_ctl_errcode_name(EVS_CTL_E_FORBIDDEN), "forbidden");
	ck_assert_str_eq(evs_ctl_errcode_name(1), "error");
	conn_close(&c);
	srv_stop(&s);
}
END_TEST

/* --- large requests ---------------------------------------------------------- */

/* An echo request of about @size bytes (a string param of 'x's), no newline. */
static char *big_echo(int id, size_t size)
{
	char *buf = malloc(size + 128);
	int n;

	ck_assert_ptr_nonnull(buf);
	n = sprintf(buf,
		    "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"test.echo\",\"params\":{\"s\":\"",
		    id);
	memset(buf + n, 'x', size);
	strcpy(buf + n + size, "\"}}");
	return buf;
}

START_TEST(large_line_from_admin_parsed_off_thread)
{
	struct srv s;
	struct conn big, other;
	char *req = big_echo(1, 3 << 20);
	size_t len = strlen(req), off;
	json_t *r;

	srv_start(&s, &(struct evs_ctl_config){.max_line = 4096, .max_line_admin = 8 << 20});
	conn_open(&s, &big);
	conn_open(&s, &other);
	/* Sent in slices; the other client is served between them. */
	for (off = 0; off < len; off += 512 * 1024) {
		size_t n = len - off < 512 * 1024 ? len - off : 512 * 1024;

		conn_send(&s, &big, req + off, n);
		json_decref(rpc_result(&s, &other, REQ(9, "test.echo")));
	}
	conn_send_str(&s, &big, "\n");
	r = conn_must_recv(&s, &big);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "id")), 1);
	ck_assert_uint_eq(json_string_length(json_object_get(json_object_get(r, "result"), "s")),
			  3 << 20);
	json_decref(r);
	ck_assert_int_eq(stats_of(&s).lines_large, 1);
	/* The connection goes on with small lines. */
	json_decref(rpc_result(&s, &big, REQ(2, "test.echo")));
	/* Past max_line_admin: refused, the connection survives. */
	free(req);
	req = big_echo(3, 9 << 20);
	conn_send_str(&s, &big, req);
	r = conn_must_recv(&s, &big);
	check_error(r, EVS_CTL_E_INVALID_REQUEST, "");
	json_decref(r);
	conn_send_str(&s, &big, "\n");
	json_decref(rpc_result(&s, &big, REQ(4, "test.echo")));
	free(req);
	conn_close(&big);
	conn_close(&other);
	srv_stop(&s);
}
END_TEST

START_TEST(one_large_line_at_a_time)
{
	struct srv s;
	struct conn a, b;
	char *req = big_echo(1, 200 * 1024);
	size_t len = strlen(req);
	json_t *r;

	srv_start(&s, &(struct evs_ctl_config){.max_line = 4096, .max_line_admin = 1 << 20});
	conn_open(&s, &a);
	conn_open(&s, &b);
	conn_send(&s, &a, req, len / 2); /* a holds the large-line slot */
	POLL_UNTIL(&s, stats_of(&s).lines_large == 1);
	conn_send(&s, &b, req, len / 2);
	r = conn_must_recv(&s, &b);
	check_error(r, EVS_CTL_E_BUSY, "");
	json_decref(r);
	conn_send_str(&s, &b, "\n"); /* end of b's discarded line */
	conn_send(&s, &a, req + len / 2, len - len / 2);
	conn_send_str(&s, &a, "\n");
	r = conn_must_recv(&s, &a);
	ck_assert_ptr_nonnull(json_object_get(r, "result"));
	json_decref(r);
	/* The slot is free again: now b may. */
	conn_send_str(&s, &b, req);
	conn_send_str(&s, &b, "\n");
	r = conn_must_recv(&s, &b);
	ck_assert_ptr_nonnull(json_object_get(r, "result"));
	json_decref(r);
	free(req);
	conn_close(&a);
	conn_close(&b);
	srv_stop(&s);
}
END_TEST

START_TEST(large_line_refused_for_non_admin)
{
	char *req = big_echo(1, 20000), *line;
	const char *lines[1];
	struct srv s;
	json_t *r;

	if (geteuid() != 0) {
		free(req);
		return;
	}
	srv_start(&s, &(struct evs_ctl_config){.mode = 0666, .max_line = 4096});
	chmod(s.dir, 0755);
	set_policy(&s,
		   "{\"default\":\"admin\",\"roles\":[{\"role\":\"read-only\",\"uids\":[65534]}]}");
	line = malloc(strlen(req) + 2);
	sprintf(line, "%s\n", req);
	lines[0] = line;
	r = call_as(&s, 65534, 65534, NULL, 0, lines, 1);
	check_error(json_array_get(r, 0), EVS_CTL_E_INVALID_REQUEST, "");
	json_decref(r);
	ck_assert_int_eq(stats_of(&s).lines_large, 0);
	free(line);
	free(req);
	srv_stop(&s);
}
END_TEST

static void *wake_later(void *arg)
{
	usleep(50 * 1000);
	evs_ctl_wake(arg);
	return NULL;
}

/* Another thread's evs_ctl_wake() ends a long poll at once, also when it
 * comes before the poll; without it the poll waits its timeout. */
START_TEST(wake_ends_poll_wait)
{
	struct srv s;
	pthread_t th;
	int64_t t;

	srv_start(&s, NULL);
	t = now_ms();
	ck_assert_int_eq(pthread_create(&th, NULL, wake_later, s.ctl), 0);
	ck_assert_int_ge(evs_ctl_poll(s.ctl, 5000), 0);
	pthread_join(th, NULL);
	ck_assert_int_lt(now_ms() - t, 2000);
	evs_ctl_wake(s.ctl);
	evs_ctl_wake(s.ctl);
	t = now_ms();
	ck_assert_int_ge(evs_ctl_poll(s.ctl, 5000), 0);
	ck_assert_int_lt(now_ms() - t, 2000);
	/* drained: the next poll sleeps its timeout */
	t = now_ms();
	ck_assert_int_ge(evs_ctl_poll(s.ctl, 200), 0);
	ck_assert_int_ge(now_ms() - t, 150);
	srv_stop(&s);
}
END_TEST

void ctl_server_add_cases(Suite *s)
{
	const struct unit_case cases[] = {
	    {"deferred_call_answered_later_in_order", deferred_call_answered_later_in_order},
	    {"deferred_error_answer", deferred_error_answer},
	    {"held_answer_released_or_replaced", held_answer_released_or_replaced},
	    {"deferred_client_gone_answer_dropped", deferred_client_gone_answer_dropped},
	    {"access_without_policy_everyone_admin", access_without_policy_everyone_admin},
	    {"access_roles_by_uid_gid_and_groups", access_roles_by_uid_gid_and_groups},
	    {"access_policy_change_reaches_connected_clients",
	     access_policy_change_reaches_connected_clients},
	    {"access_section_validated", access_section_validated},
	    {"idle_client_closed_active_kept", idle_client_closed_active_kept},
	    {"admin_never_locked_out", admin_never_locked_out},
	    {"wake_ends_poll_wait", wake_ends_poll_wait},
	    {"events_reach_subscribers_only", events_reach_subscribers_only},
	    {"slow_subscriber_loses_events_not_connection",
	     slow_subscriber_loses_events_not_connection},
	    {"errno_table_maps_handler_errors", errno_table_maps_handler_errors},
	    {"large_line_from_admin_parsed_off_thread", large_line_from_admin_parsed_off_thread},
	    {"one_large_line_at_a_time", one_large_line_at_a_time},
	    {"large_line_refused_for_non_admin", large_line_refused_for_non_admin},
	};

	unit_add_cases(s, cases, sizeof(cases) / sizeof(cases[0]), NULL, NULL, 0);
}
