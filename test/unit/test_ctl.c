/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control socket tests: a real server on a Unix socket in a temp dir, raw
 * client sockets driven from the test (the test calls evs_ctl_poll() while it
 * waits), plus the client API and the edgevsctl binary against a server
 * polled by a thread. No EAL.
 */

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "evs_ctl.h"

/* ------------------------------------------------------------------ */
/* Harness                                                             */
/* ------------------------------------------------------------------ */

struct srv {
	char dir[64];
	char path[160];
	struct evs_ctl *ctl;
	int notified; /* test.count calls */
};

struct conn {
	int fd;
	char *buf;
	size_t len;
	size_t cap;
	bool eof;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int m_echo(struct evs_ctl_call *call, json_t *params, void *arg)
{
	(void)arg;
	return evs_ctl_reply(call, json_incref(params));
}

static int m_count(struct evs_ctl_call *call, json_t *params, void *arg)
{
	(void)params;
	(*(int *)arg)++;
	return evs_ctl_reply(call, json_integer(*(int *)arg));
}

static int m_big(struct evs_ctl_call *call, json_t *params, void *arg)
{
	size_t n = (size_t)json_integer_value(json_object_get(params, "size"));
	char *s = malloc(n + 1);
	json_t *r;

	(void)arg;
	ck_assert_ptr_nonnull(s);
	memset(s, 'x', n);
	s[n] = '\0';
	r = json_pack("{s:s}", "data", s);
	free(s);
	return evs_ctl_reply(call, r);
}

static int m_fail(struct evs_ctl_call *call, json_t *params, void *arg)
{
	(void)call;
	(void)params;
	(void)arg;
	return -EIO;
}

static int m_noreply(struct evs_ctl_call *call, json_t *params, void *arg)
{
	(void)call;
	(void)params;
	(void)arg;
	return 0;
}

static int twice_rc = 1;

static int m_twice(struct evs_ctl_call *call, json_t *params, void *arg)
{
	(void)params;
	(void)arg;
	ck_assert_int_eq(evs_ctl_reply(call, json_string("first")), 0);
	twice_rc = evs_ctl_error(call, EVS_CTL_E_INTERNAL, "", "second");
	return 0;
}

static const char *const modes[] = {"access", "trunk", NULL};

static const struct evs_ctl_param port_item[] = {
    {.name = "name", .type = EVS_CTL_T_STRING, .required = true, .min_len = 1, .max_len = 8},
    {.name = "devargs", .type = EVS_CTL_T_STRING},
};
static const struct evs_ctl_param port_obj = {
    .type = EVS_CTL_T_OBJECT, .fields = port_item, .n_fields = 2};
static const struct evs_ctl_param opts_fields[] = {
    {.name = "promisc", .type = EVS_CTL_T_BOOL},
    {.name = "queues", .type = EVS_CTL_T_UINT, .min = 1, .max = 16},
};
static const struct evs_ctl_param spec[] = {
    {.name = "name",
     .type = EVS_CTL_T_STRING,
     .required = true,
     .min_len = 1,
     .max_len = 8,
     .help = "port name"},
    {.name = "mtu", .type = EVS_CTL_T_UINT, .min = 68, .max = 9216},
    {.name = "delta", .type = EVS_CTL_T_INT, .min = -5, .max = 5},
    {.name = "enabled", .type = EVS_CTL_T_BOOL},
    {.name = "mac", .type = EVS_CTL_T_MAC},
    {.name = "prefix", .type = EVS_CTL_T_IP_PREFIX},
    {.name = "v4", .type = EVS_CTL_T_IPV4},
    {.name = "mode", .type = EVS_CTL_T_STRING, .choices = modes},
    {.name = "opts", .type = EVS_CTL_T_OBJECT, .fields = opts_fields, .n_fields = 2},
    {.name = "ports", .type = EVS_CTL_T_ARRAY, .max_len = 4, .items = &port_obj},
    {.name = "note", .type = EVS_CTL_T_STRING, .nullable = true},
};
#define N_SPEC (sizeof(spec) / sizeof(spec[0]))

static void srv_register_tests(struct srv *s)
{
	const struct evs_ctl_method m[] = {
	    {.name = "test.echo", .help = "echo params", .read_only = true, .fn = m_echo},
	    {.name = "test.count", .fn = m_count, .arg = &s->notified, .params = evs_ctl_no_params},
	    {.name = "test.big", .fn = m_big, .read_only = true},
	    {.name = "test.fail", .fn = m_fail},
	    {.name = "test.noreply", .fn = m_noreply},
	    {.name = "test.twice", .fn = m_twice},
	    {.name = "test.spec",
	     .help = "spec'd\nsecond line",
	     .fn = m_echo,
	     .params = spec,
	     .n_params = N_SPEC},
	};
	size_t i;

	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		ck_assert_int_eq(evs_ctl_register(s->ctl, &m[i]), 0);
}

/* Server at <tmpdir>/run/ctl.sock: the run/ dir does not exist yet. */
static void srv_start(struct srv *s, const struct evs_ctl_config *base)
{
	struct evs_ctl_config cfg = {0};

	memset(s, 0, sizeof(*s));
	strcpy(s->dir, "/tmp/evsctl-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(s->dir));
	snprintf(s->path, sizeof(s->path), "%s/run/ctl.sock", s->dir);
	if (base != NULL)
		cfg = *base;
	cfg.path = s->path;
	s->ctl = evs_ctl_create(&cfg);
	ck_assert_msg(s->ctl != NULL, "evs_ctl_create: %s", strerror(errno));
	srv_register_tests(s);
}

static void srv_stop(struct srv *s)
{
	char run[192];

	evs_ctl_free(s->ctl);
	s->ctl = NULL;
	snprintf(run, sizeof(run), "%s/run", s->dir);
	rmdir(run);
	ck_assert_int_eq(rmdir(s->dir), 0);
}

static int raw_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	strcpy(sa.sun_path, path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -errno;
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

static void conn_open_raw(struct conn *c, const char *path)
{
	memset(c, 0, sizeof(*c));
	c->fd = raw_connect(path);
	ck_assert_msg(c->fd >= 0, "connect: %s", strerror(-c->fd));
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->buf);
	c->buf = NULL;
}

/* Send everything, polling the server while the socket is full. */
static void conn_send(struct srv *s, struct conn *c, const char *data, size_t len)
{
	int64_t deadline = now_ms() + 10000;
	ssize_t n;

	while (len > 0) {
		n = send(c->fd, data, len, MSG_NOSIGNAL);
		if (n < 0) {
			ck_assert_msg(errno == EAGAIN, "send: %s", strerror(errno));
			ck_assert_msg(now_ms() < deadline, "send timed out");
			evs_ctl_poll(s->ctl, 5);
			continue;
		}
		data += n;
		len -= (size_t)n;
	}
}

static void conn_send_str(struct srv *s, struct conn *c, const char *str)
{
	conn_send(s, c, str, strlen(str));
}

/* Next line from the server as JSON; NULL on EOF/reset or timeout. */
static json_t *conn_recv(struct srv *s, struct conn *c, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	json_error_t jerr;
	json_t *msg;
	char *nl;
	ssize_t n;

	for (;;) {
		nl = c->len ? memchr(c->buf, '\n', c->len) : NULL;
		if (nl != NULL) {
			msg = json_loadb(c->buf, (size_t)(nl - c->buf), 0, &jerr);
			ck_assert_msg(msg != NULL, "server sent bad JSON: %s", jerr.text);
			c->len -= (size_t)(nl - c->buf) + 1;
			memmove(c->buf, nl + 1, c->len);
			return msg;
		}
		if (c->len == c->cap) {
			c->cap = c->cap ? c->cap * 2 : 65536;
			c->buf = realloc(c->buf, c->cap);
			ck_assert_ptr_nonnull(c->buf);
		}
		n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
		if (n > 0) {
			c->len += (size_t)n;
			continue;
		}
		if (n == 0 || errno != EAGAIN) {
			c->eof = true;
			return NULL;
		}
		if (now_ms() >= deadline)
			return NULL;
		if (s != NULL)
			evs_ctl_poll(s->ctl, 2);
		else
			poll(NULL, 0, 2);
	}
}

static json_t *conn_must_recv(struct srv *s, struct conn *c)
{
	json_t *m = conn_recv(s, c, 5000);

	ck_assert_msg(m != NULL, "no message from the server (eof=%d)", c->eof);
	return m;
}

/* Connect and consume the hello. */
static void conn_open(struct srv *s, struct conn *c)
{
	json_t *hello;

	conn_open_raw(c, s->path);
	hello = conn_must_recv(s, c);
	ck_assert_str_eq(json_string_value(json_object_get(hello, "method")), "hello");
	json_decref(hello);
}

static json_t *rpc(struct srv *s, struct conn *c, const char *line)
{
	conn_send_str(s, c, line);
	conn_send_str(s, c, "\n");
	return conn_must_recv(s, c);
}

/* The reply is an error with this code and data.path (NULL: no data). */
static void check_error(json_t *msg, int code, const char *path)
{
	json_t *e = json_object_get(msg, "error");
	json_t *data;

	ck_assert_msg(json_is_object(e), "expected an error, got %s",
		      json_dumps(msg, JSON_COMPACT));
	ck_assert_int_eq(json_integer_value(json_object_get(e, "code")), code);
	ck_assert(json_is_string(json_object_get(e, "message")));
	ck_assert_str_eq(json_string_value(json_object_get(msg, "jsonrpc")), "2.0");
	data = json_object_get(e, "data");
	if (path == NULL) {
		ck_assert_ptr_null(data);
	} else {
		ck_assert_msg(json_is_string(json_object_get(data, "path")), "no data.path");
		ck_assert_str_eq(json_string_value(json_object_get(data, "path")), path);
	}
	ck_assert_ptr_null(json_object_get(msg, "result"));
}

static void rpc_error(struct srv *s, struct conn *c, const char *line, int code, const char *path)
{
	json_t *r = rpc(s, c, line);

	check_error(r, code, path);
	json_decref(r);
}

static json_t *rpc_result(struct srv *s, struct conn *c, const char *line)
{
	json_t *r = rpc(s, c, line), *res;

	ck_assert_msg(json_object_get(r, "error") == NULL, "unexpected error: %s",
		      json_dumps(r, JSON_COMPACT));
	res = json_incref(json_object_get(r, "result"));
	ck_assert_ptr_nonnull(res);
	json_decref(r);
	return res;
}

/* No message arrives within a short while. */
static void check_silence(struct srv *s, struct conn *c)
{
	json_t *m = conn_recv(s, c, 100);

	ck_assert_msg(m == NULL, "unexpected message %s", json_dumps(m, JSON_COMPACT));
	ck_assert(!c->eof);
}

static struct evs_ctl_stats stats_of(struct srv *s)
{
	struct evs_ctl_stats st;

	ck_assert_int_eq(evs_ctl_stats_get(s->ctl, &st), 0);
	return st;
}

/* Poll until cond holds or 5 s pass. */
#define POLL_UNTIL(s, cond)                                                                        \
	do {                                                                                       \
		int64_t until_ = now_ms() + 5000;                                                  \
		while (!(cond) && now_ms() < until_)                                               \
			evs_ctl_poll((s)->ctl, 5);                                                 \
		ck_assert_msg((cond), "timed out waiting for " #cond);                             \
	} while (0)

/* ------------------------------------------------------------------ */
/* Protocol                                                            */
/* ------------------------------------------------------------------ */

START_TEST(hello_on_connect)
{
	struct evs_ctl_config cfg = {.api_version = "7.1"};
	struct srv s;
	struct conn c;
	json_t *h, *p;

	srv_start(&s, &cfg);
	conn_open_raw(&c, s.path);
	h = conn_must_recv(&s, &c);
	ck_assert_str_eq(json_string_value(json_object_get(h, "jsonrpc")), "2.0");
	ck_assert_str_eq(json_string_value(json_object_get(h, "method")), "hello");
	ck_assert_ptr_null(json_object_get(h, "id")); /* a notification */
	p = json_object_get(h, "params");
	ck_assert_str_eq(json_string_value(json_object_get(p, "api_version")), "7.1");
	ck_assert_int_eq(json_integer_value(json_object_get(p, "pid")), getpid());
	ck_assert_str_eq(json_string_value(json_object_get(p, "server")), "edgevs");
	ck_assert(json_string_length(json_object_get(p, "version")) > 0);
	json_decref(h);
	ck_assert_int_eq(stats_of(&s).clients_connected, 1);
	conn_close(&c);
	srv_stop(&s);
}
END_TEST

START_TEST(list_and_help)
{
	struct srv s;
	struct conn c;
	json_t *r, *m, *prev = NULL;
	size_t i;
	bool saw_echo = false, saw_count = false;

	srv_start(&s, NULL);
	conn_open(&s, &c);
	r = rpc_result(&s, &c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"list\"}");
	ck_assert(json_is_array(r));
	json_array_foreach(r, i, m)
	{
		const char *name = json_string_value(json_object_get(m, "name"));

		ck_assert_ptr_nonnull(name);
		ck_assert(json_is_string(json_object_get(m, "usage")));
		if (prev != NULL) /* sorted */
			ck_assert_int_lt(
			    strcmp(json_string_value(json_object_get(prev, "name")), name), 0);
		if (strcmp(name, "test.echo") == 0) {
			saw_echo = true;
			ck_assert(json_is_true(json_object_get(m, "read_only")));
		}
		if (strcmp(name, "test.count") == 0) {
			saw_count = true;
			ck_assert(json_is_false(json_object_get(m, "read_only")));
		}
		prev = m;
	}
	ck_assert(saw_echo && saw_count);
	ck_assert_int_eq(json_array_size(r), 3 + 7); /* built-ins + test methods */
	json_decref(r);

	r = rpc_result(&s, &c,
		       "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"help\","
		       "\"params\":{\"method\":\"test.spec\"}}");
	ck_assert_str_eq(json_string_value(json_object_get(r, "name")), "test.spec");
	ck_assert_str_eq(json_string_value(json_object_get(r, "help")), "spec'd\nsecond line");
	ck_assert_ptr_nonnull(
	    strstr(json_string_value(json_object_get(r, "usage")), "name=string [mtu=68..9216]"));
	ck_assert_ptr_nonnull(
	    strstr(json_string_value(json_object_get(r, "usage")), "[mode=access|trunk]"));
	m = json_array_get(json_object_get(r, "params"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(m, "name")), "name");
	ck_assert_str_eq(json_string_value(json_object_get(m, "type")), "string");
	ck_assert(json_is_true(json_object_get(m, "required")));
	ck_assert_int_eq(json_array_size(json_object_get(r, "params")), N_SPEC);
	json_decref(r);

	rpc_error(
	    &s, &c,
	    "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"help\",\"params\":{\"method\":\"nope\"}}",
	    EVS_CTL_E_NOT_FOUND, "/params/method");
	r = rpc_result(&s, &c, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"help\"}");
	ck_assert_int_eq(json_array_size(r), 10);
	json_decref(r);
	/* list takes no params */
	rpc_error(&s, &c, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"list\",\"params\":{\"x\":1}}",
		  EVS_CTL_E_INVALID_PARAMS, "/params/x");
	conn_close(&c);
	srv_stop(&s);
}
END_TEST

START_TEST(good_request)
{
	struct srv s;
	struct conn c;
	json_t *r;

	srv_start(&s, NULL);
	conn_open(&s, &c);
	r = rpc(&s, &c,
		"{\"jsonrpc\":\"2.0\",\"id\":42,\"method\":\"test.echo\",\"params\":{\"a\":[1,"
		"\"x\"]}}");
	ck_assert_int_eq(json_integer_value(json_object_get(r, "id")), 42);
	ck_assert_str_eq(json_string_value(json_object_get(r, "jsonrpc")), "2.0");
	ck_assert_int_eq(json_integer_value(
			     json_array_get(json_object_get(json_object_get(r, "result"), "a"), 0)),
			 1);
	ck_assert_ptr_null(json_object_get(r, "error"));
	json_decref(r);
	/* string, null and real ids come back as sent */
	r = rpc(&s, &c, "{\"method\":\"test.echo\",\"id\":\"abc\",\"jsonrpc\":\"2.0\"}");
	ck_assert_str_eq(json_string_value(json_object_get(r, "id")), "abc");
	ck_assert(json_is_object(json_object_get(r, "result"))); /* params absent -> {} */
	json_decref(r);
	r = rpc(&s, &c,
		"{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"test.echo\",\"params\":null}");
	ck_assert(json_is_null(json_object_get(r, "id")));
	ck_assert(json_is_object(json_object_get(r, "result")));
	json_decref(r);
	r = rpc(&s, &c, "{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"test.echo\"}\r");
	ck_assert(json_real_value(json_object_get(r, "id")) == 1.5);
	json_decref(r);
	ck_assert_int_eq(stats_of(&s).requests, 4);
	ck_assert_int_eq(stats_of(&s).errors, 0);
	/* the same counters over the socket (this request counted first) */
	r = rpc_result(&s, &c, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"ctl.stats\"}");
	ck_assert_int_eq(json_integer_value(json_object_get(r, "requests")), 5);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "clients_connected")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "clients_accepted")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "errors")), 0);
	json_decref(r);
	conn_close(&c);
	srv_stop(&s);
}
END_TEST

START_TEST(notification_gets_no_reply)
{
	struct srv s;
	struct conn c;
	json_t *r;

	srv_start(&s, NULL);
	conn_open(&s, &c);
	conn_send_str(&s, &c, "{\"jsonrpc\":\"2.0\",\"method\":\"test.count\"}\n");
	/* unknown method and bad params: still silent for notifications */
	conn_send_str(&s, &c, "{\"jsonrpc\":\"2.0\",\"method\":\"nope\"}\n");
	conn_send_str(&s, &c,
		      "{\"jsonrpc\":\"2.0\",\"method\":\"test.count\",\"params\":{\"x\":1}}\n");
	check_silence(&s, &c);
	ck_assert_int_eq(s.notified, 1);
	r = rpc(&s, &c, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"test.count\"}");
	ck_assert_int_eq(json_integer_value(json_object_get(r, "id")), 7);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "result")), 2);
	json_decref(r);
	ck_assert_int_eq(stats_of(&s).notifications, 2);
	ck_assert_int_eq(stats_of(&s).errors, 2);
	/* blank lines are ignored, not errors */
	conn_send_str(&s, &c, "\n  \r\n\n");
	check_silence(&s, &c);
	conn_close(&c);
	srv_stop(&s);
}
END_TEST

START_TEST(parse_error)
{
	struct srv s;
	struct conn c;
	json_t *r;

	srv_start(&s, NULL);
	conn_open(&s, &c);
	r = rpc(&s, &c, "{\"jsonrpc\":\"2.0\",\"id\":1,");
	check_error(r, EVS_CTL_E_PARSE, "");
	ck_assert(json_is_null(json_object_get(r, "id")));
	json_decref(r);
	rpc_error(&s, &c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test.echo\"} {}",
		  EVS_CTL_E_PARSE, "");
	/* invalid UTF-8, a raw NUL, binary junk */
	rpc_error(&s, &c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"te\xff\xfest\"}",
		  EVS_CTL_E_PARSE, "");
	conn_send(&s, &c, "{\"a\":\0}\n", 8);
	r = conn_must_recv(&s, &c);
	check_error(r, EVS_CTL_E_PARSE, "");
	json_decref(r);
	rpc_error(&s, &c, "\x01\x02\x03garbage", EVS_CTL_E_PARSE, "");
	rpc_error(&s, &c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\",\"id\":2}",
		  EVS_CTL_E_PARSE, "");
	/* the connection survives all of that */
	r = rpc_result(&s, &c, "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"test.echo\"}");
	json_decref(r);
	ck_assert_int_eq(stats_of(&s).errors, 6);
	conn_close(&c);
	srv_stop(&s);
}
END_TEST

START_TEST(invalid_request)
{
	struct srv s;
	struct conn c;
	json_t *r;

	srv_start(&s, NULL);
	conn_open(&s, &c);
	r = rpc(&s, &c, "{\"jsonrpc\":\"2.0\",\"id\":3}");
	check_error(r, EVS_CTL_E_INVALID_REQUEST, "/method");
	ck_assert_int_eq(json_integer_value(json_object_get(r, "id")), 3); /* id kept */
	json_decref(r);
	rpc_error(&s, &c, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":5}", EVS_CTL_E_INVALID_REQUEST,
		  "/method");
	rpc_error(&s, &c, "{\"jsonrpc\":\"1.0\",\"id\":3,\"method\":\"list\"}",
		  EVS_CTL_E_INVALID_REQUEST, "/jsonrpc");
	rpc_error(&s, &c, "{\"id\":3,\"method\":\"list\"}", EVS_CTL_E_INVALID_REQUEST, "/jsonrpc");
	rpc_error(&s, &c, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"list\",\"params\":[1]}",
		  EVS_CTL_E_INVALID_REQUEST, "/params");
	rpc_error(&s, &c, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"list\",\"params\":\"x\"}",
		  EVS_CTL_E_INVALID_REQUEST, "/params");
	rpc_error(&s, &c, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"list\",\"param\":{}}",
		  EVS_CTL_E_INVALID_REQUEST, "/param");
	r = rpc(&s, &c, "{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"list\"}");
	check_error(r, EVS_CTL_E_INVALID_REQUEST, "/id");
	ck_assert(json_is_null(json_object_get(r, "id")));
	json_decref(r);
	/* batches are rejected as a whole, with a null id */
	rpc_error(&s, &c, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"list\"}]",
		  EVS_CTL_E_INVALID_REQUEST, "");
	rpc_error(&s, &c, "[]", EVS_CTL_E_INVALID_REQUEST, "");
	rpc_error(&s, &c, "5", EVS_CTL_E_INVALID_REQUEST, "");
	rpc_error(&s, &c, "\"x\"", EVS_CTL_E_INVALID_REQUEST, "");
	/* an invalid request without id still gets an answer */
	rpc_error(&s, &c, "{\"method\":\"list\"}", EVS_CTL_E_INVALID_REQUEST, "/jsonrpc");
	ck_assert_int_eq(stats_of(&s).requests, 0);
	conn_close(&c);
	srv_stop(&s);
}
END_TEST

START_TEST(unknown_method)
{
	struct srv s;
	struct conn c;
	json_t *r;

	srv_start(&s, NULL);
	conn_open(&s, &c);
	r = rpc(&s, &c, "{\"jsonrpc\":\"2.0\",\"id\":\"q\",\"method\":\"port.frobnicate\"}");
	check_error(r, EVS_CTL_E_METHOD_NOT_FOUND, "/method");
	ck_assert_str_eq(json_string_value(json_object_get(r, "id")), "q");
	ck_assert_ptr_nonnull(
	    strstr(json_string_value(json_object_get(json_object_get(r, "error"), "message")),
		   "port.frobnicate"));
	json_decref(r);
	conn_close(&c);
	srv_stop(&s);
}
END_TEST

/* Each bad params object, the error path it must produce. */
static const struct {
	const char *params;
	const char *path;
} bad_params[] = {
    {"{}", "/params/name"},					    /* missing required */
    {"{\"name\":\"p\",\"bogus\":1}", "/params/bogus"},		    /* unknown field */
    {"{\"nmae\":\"p\"}", "/params/nmae"},			    /* typo: unknown first */
    {"{\"name\":5}", "/params/name"},				    /* wrong type */
    {"{\"name\":\"\"}", "/params/name"},			    /* too short */
    {"{\"name\":\"123456789\"}", "/params/name"},		    /* too long */
    {"{\"name\":null}", "/params/name"},			    /* null not allowed */
    {"{\"name\":\"p\",\"mtu\":67}", "/params/mtu"},		    /* below range */
    {"{\"name\":\"p\",\"mtu\":9217}", "/params/mtu"},		    /* above range */
    {"{\"name\":\"p\",\"mtu\":1500.0}", "/params/mtu"},		    /* real, not integer */
    {"{\"name\":\"p\",\"mtu\":\"1500\"}", "/params/mtu"},	    /* string */
    {"{\"name\":\"p\",\"delta\":-6}", "/params/delta"},		    /* int range */
    {"{\"name\":\"p\",\"enabled\":1}", "/params/enabled"},	    /* bool */
    {"{\"name\":\"p\",\"mac\":\"02:00:00:00:00\"}", "/params/mac"}, /* short MAC */
    {"{\"name\":\"p\",\"mac\":\"02:00:00:00:00:0g\"}", "/params/mac"},
    {"{\"name\":\"p\",\"prefix\":\"10.0.0.0/33\"}", "/params/prefix"},
    {"{\"name\":\"p\",\"prefix\":\"10.0.0.0\"}", "/params/prefix"},
    {"{\"name\":\"p\",\"prefix\":\"2001:db8::/129\"}", "/params/prefix"},
    {"{\"name\":\"p\",\"v4\":\"2001:db8::1\"}", "/params/v4"},
    {"{\"name\":\"p\",\"v4\":\"10.0.0.256\"}", "/params/v4"},
    {"{\"name\":\"p\",\"mode\":\"hybrid\"}", "/params/mode"},
    {"{\"name\":\"p\",\"opts\":[]}", "/params/opts"},
    {"{\"name\":\"p\",\"opts\":{\"queues\":0}}", "/params/opts/queues"},
    {"{\"name\":\"p\",\"opts\":{\"x\":0}}", "/params/opts/x"},
    {"{\"name\":\"p\",\"ports\":{}}", "/params/ports"},
    {"{\"name\":\"p\",\"ports\":[{\"name\":\"a\"},{\"name\":\"b\",\"devargs\":7}]}",
     "/params/ports/1/devargs"},
    {"{\"name\":\"p\",\"ports\":[{\"name\":\"a\"},{}]}", "/params/ports/1/name"},
    {"{\"name\":\"p\",\"ports\":[1]}", "/params/ports/0"},
    {"{\"name\":\"p\",\"ports\":[{\"name\":\"a\"},{\"name\":\"a\"},{\"name\":\"a\"},"
     "{\"name\":\"a\"},{\"name\":\"a\"}]}",
     "/params/ports"},
    {"{\"name\":\"p\",\"a/b~c\":1}", "/params/a~1b~0c"}, /* RFC 6901 escaping */
};

START_TEST(params_validator)
{
	struct srv s;
	struct conn c;
	char line[512];
	json_t *r;
	size_t i;

	srv_start(&s, NULL);
	conn_open(&s, &c);
	for (i = 0; i < sizeof(bad_params) / sizeof(bad_params[0]); i++) {
		snprintf(line, sizeof(line),
			 "{\"jsonrpc\":\"2.0\",\"id\":%zu,\"method\":\"test.spec\",\"params\":%s}",
			 i, bad_params[i].params);
		r = rpc(&s, &c, line);
		ck_assert_msg(json_object_get(r, "error") != NULL, "case %zu (%s) accepted", i,
			      bad_params[i].params);
		check_error(r, EVS_CTL_E_INVALID_PARAMS, bad_params[i].path);
		json_decref(r);
	}
	/* everything valid at once: the handler sees it */
	r = rpc_result(&s, &c,
		       "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test.spec\",\"params\":{"
		       "\"name\":\"p1\",\"mtu\":9216,\"delta\":-5,\"enabled\":false,"
		       "\"mac\":\"02:AB:cd:00:00:01\",\"prefix\":\"2001:db8::/32\","
		       "\"v4\":\"192.0.2.1\",\"mode\":\"trunk\",\"opts\":{\"queues\":16},"
		       "\"ports\":[{\"name\":\"a\",\"devargs\":\"net_tap0,iface=x\"}],"
		       "\"note\":null}}");
	ck_assert_str_eq(json_string_value(json_object_get(r, "name")), "p1");
	json_decref(r);
	conn_close(&c);
	srv_stop(&s);
}
END_TEST

/* The validator on its own, as the daemon's config loader uses it. */
START_TEST(validator_outside_a_call)
{
	static const struct evs_ctl_param cfg_port[] = {
	    {.name = "name", .type = EVS_CTL_T_STRING, .required = true},
	    {.name = "devargs", .type = EVS_CTL_T_STRING, .max_len = 4},
	};
	static const struct evs_ctl_param port_item = {
	    .type = EVS_CTL_T_OBJECT, .fields = cfg_port, .n_fields = 2};
	static const struct evs_ctl_param cfg[] = {
	    {.name = "ports", .type = EVS_CTL_T_ARRAY, .items = &port_item},
	};
	struct evs_ctl_err err;
	char path[EVS_CTL_PATH_MAX];
	json_t *doc;
	uint8_t a[16], mac[6], plen;
	int af;

	doc = json_loads("{\"ports\":[{\"name\":\"a\"},{\"name\":\"b\"},"
			 "{\"name\":\"c\",\"devargs\":\"too long\"}]}",
			 0, NULL);
	ck_assert_int_eq(evs_ctl_validate(doc, "/params/config", cfg, 1, &err), -EINVAL);
	ck_assert_int_eq(err.code, EVS_CTL_E_INVALID_PARAMS);
	ck_assert_str_eq(err.path, "/params/config/ports/2/devargs");
	ck_assert_ptr_nonnull(strstr(err.message, "at most 4 bytes"));
	ck_assert_int_eq(evs_ctl_validate(doc, "", cfg, 1, &err), -EINVAL);
	ck_assert_str_eq(err.path, "/ports/2/devargs");
	json_object_del(json_array_get(json_object_get(doc, "ports"), 2), "devargs");
	ck_assert_int_eq(evs_ctl_validate(doc, "", cfg, 1, &err), 0);
	ck_assert_int_eq(err.code, 0);
	json_decref(doc);

	/* pointers: escaping, appending in place, truncation */
	ck_assert_str_eq(evs_ctl_path_key(path, sizeof(path), "/a", "b/c~d"), "/a/b~1c~0d");
	evs_ctl_path_index(path, sizeof(path), path, 12);
	ck_assert_str_eq(path, "/a/b~1c~0d/12");
	ck_assert_str_eq(evs_ctl_path_key(path, 6, "/abc", "defgh"), "/abc/");
	ck_assert_int_eq(evs_ctl_err_set(&err, EVS_CTL_E_EXISTS, "/x", "dup %d", 3), -EINVAL);
	ck_assert_int_eq(err.code, EVS_CTL_E_EXISTS);
	ck_assert_str_eq(err.message, "dup 3");

	/* address parsers */
	ck_assert_int_eq(evs_ctl_parse_mac("02-00-5E-10-00-01", mac), 0);
	ck_assert_int_eq(mac[2], 0x5e);
	ck_assert_int_eq(evs_ctl_parse_mac("02:00-5e:10:00:01", mac), -EINVAL);
	ck_assert_int_eq(evs_ctl_parse_mac("02:00:5e:10:00:01 ", mac), -EINVAL);
	ck_assert_int_eq(evs_ctl_parse_ip("192.0.2.0/24", &af, a, &plen), 0);
	ck_assert_int_eq(af, AF_INET);
	ck_assert_int_eq(plen, 24);
	ck_assert_int_eq(a[0], 192);
	ck_assert_int_eq(evs_ctl_parse_ip("::/0", &af, a, &plen), 0);
	ck_assert_int_eq(af, AF_INET6);
	ck_assert_int_eq(plen, 0);
	ck_assert_int_eq(evs_ctl_parse_ip("10.0.0.0/+8", &af, a, &plen), -EINVAL);
	ck_assert_int_eq(evs_ctl_parse_ip("10.0.0.0/", &af, a, &plen), -EINVAL);
	ck_assert_int_eq(evs_ctl_parse_ip("10.0.0.0/8", &af, a, NULL), -EINVAL);
	ck_assert_int_eq(evs_ctl_parse_ip("10.0.0.1", &af, a, NULL), 0);
	ck_assert_int_eq(evs_ctl_parse_ip("fe80::1%eth0", &af, a, NULL), -EINVAL);
}
END_TEST

START_TEST(handler_contract)
{
	struct evs_ctl_config cfg = {.max_outbuf = 64 * 1024};
	struct srv s;
	struct conn c;
	json_t *r;

	srv_start(&s, &cfg);
	conn_open(&s, &c);
	r = rpc(&s, &c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test.fail\"}");
	check_error(r, EVS_CTL_E_INTERNAL, NULL);
	ck_assert_ptr_nonnull(
	    strstr(json_string_value(json_object_get(json_object_get(r, "error"), "message")),
		   strerror(EIO)));
	json_decref(r);
	rpc_error(&s, &c, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"test.noreply\"}",
		  EVS_CTL_E_INTERNAL, NULL);
	r = rpc_result(&s, &c, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"test.twice\"}");
	ck_assert_str_eq(json_string_value(r), "first");
	json_decref(r);
	ck_assert_int_eq(twice_rc, -EALREADY);
	check_silence(&s, &c); /* the second answer never went out */
	/* a reply larger than max_outbuf becomes an error; the client stays */
	rpc_error(
	    &s, &c,
	    "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"test.big\",\"params\":{\"size\":70000}}",
	    EVS_CTL_E_BUSY, NULL);
	r = rpc_result(
	    &s, &c,
	    "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"test.big\",\"params\":{\"size\":60000}}");
	ck_assert_int_eq(json_string_length(json_object_get(r, "data")), 60000);
	json_decref(r);
	ck_assert_int_eq(evs_ctl_poll(s.ctl, 0), 0);
	ck_assert_int_eq(stats_of(&s).clients_dropped, 0);
	conn_close(&c);
	srv_stop(&s);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Framing and connections                                             */
/* ------------------------------------------------------------------ */

START_TEST(oversized_line_then_good_request)
{
	struct evs_ctl_config cfg = {.max_line = 1024};
	struct srv s;
	struct conn c;
	char big[5000];
	json_t *r;

	srv_start(&s, &cfg);
	conn_open(&s, &c);
	memset(big, 'a', sizeof(big));
	/* No newline yet: the error comes as soon as the limit is passed. */
	conn_send(&s, &c, big, sizeof(big));
	r = conn_must_recv(&s, &c);
	check_error(r, EVS_CTL_E_INVALID_REQUEST, "");
	ck_assert(json_is_null(json_object_get(r, "id")));
	json_decref(r);
	conn_send(&s, &c, big, sizeof(big)); /* more of the same line: discarded */
	r = rpc_result(&s, &c, "\n{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"test.echo\"}");
	json_decref(r);
	/* A whole oversized line and a good one in a single write. */
	big[2000] = '\n';
	conn_send(&s, &c, big, 2001);
	r = rpc(&s, &c, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"test.echo\"}");
	check_error(r, EVS_CTL_E_INVALID_REQUEST, "");
	json_decref(r);
	r = conn_must_recv(&s, &c);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "id")), 3);
	json_decref(r);
	/* exactly max_line bytes is fine */
	memset(big, ' ', 1024);
	memcpy(big, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"test.echo\"}", 45);
	big[1024] = '\n';
	conn_send(&s, &c, big, 1025);
	r = conn_must_recv(&s, &c);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "id")), 4);
	json_decref(r);
	ck_assert_int_eq(stats_of(&s).lines_oversized, 2);
	ck_assert_int_eq(stats_of(&s).clients_dropped, 0);
	conn_close(&c);
	srv_stop(&s);
}
END_TEST

START_TEST(many_clients_at_once)
{
	enum { N = 24 };
	struct srv s;
	struct conn c[N];
	char line[128];
	json_t *r;
	int i, round;

	srv_start(&s, NULL);
	for (i = 0; i < N; i++)
		conn_open(&s, &c[i]);
	ck_assert_int_eq(stats_of(&s).clients_connected, N);
	for (round = 0; round < 3; round++) {
		/* everybody sends before anybody reads */
		for (i = 0; i < N; i++) {
			snprintf(line, sizeof(line),
				 "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"test.echo\","
				 "\"params\":{\"who\":%d}}\n",
				 round * 100 + i, i);
			conn_send_str(&s, &c[i], line);
		}
		for (i = N - 1; i >= 0; i--) {
			r = conn_must_recv(&s, &c[i]);
			ck_assert_int_eq(json_integer_value(json_object_get(r, "id")),
					 round * 100 + i);
			ck_assert_int_eq(json_integer_value(
					     json_object_get(json_object_get(r, "result"), "who")),
					 i);
			json_decref(r);
		}
	}
	for (i = 0; i < N; i++)
		conn_close(&c[i]);
	POLL_UNTIL(&s, stats_of(&s).clients_connected == 0);
	ck_assert_int_eq(stats_of(&s).clients_accepted, N);
	ck_assert_int_eq(stats_of(&s).clients_dropped, 0);
	srv_stop(&s);
}
END_TEST

START_TEST(max_clients_refused)
{
	struct evs_ctl_config cfg = {.max_clients = 2};
	struct srv s;
	struct conn a, b, x;
	json_t *r;

	srv_start(&s, &cfg);
	conn_open(&s, &a);
	conn_open(&s, &b);
	conn_open_raw(&x, s.path);
	r = conn_must_recv(&s, &x);
	check_error(r, EVS_CTL_E_BUSY, NULL);
	json_decref(r);
	ck_assert_ptr_null(conn_recv(&s, &x, 2000));
	ck_assert(x.eof);
	ck_assert_int_eq(stats_of(&s).clients_rejected, 1);
	conn_close(&x);
	/* a slot frees up when a client leaves */
	conn_close(&a);
	POLL_UNTIL(&s, stats_of(&s).clients_connected == 1);
	conn_open(&s, &a);
	json_decref(rpc_result(&s, &a, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"list\"}"));
	conn_close(&a);
	conn_close(&b);
	srv_stop(&s);
}
END_TEST

START_TEST(slow_client_dropped)
{
	struct evs_ctl_config cfg = {.max_outbuf = 64 * 1024};
	struct srv s;
	struct conn slow, fast;
	const char *req = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test.big\","
			  "\"params\":{\"size\":32768}}\n";
	size_t total = 0;
	json_t *r;
	int i;

	srv_start(&s, &cfg);
	conn_open(&s, &slow);
	conn_open(&s, &fast);
	/* 200 x 32 KiB of replies it never reads: past the kernel buffer and
	 * then past max_outbuf. */
	for (i = 0; i < 200 && stats_of(&s).clients_dropped == 0; i++) {
		if (send(slow.fd, req, strlen(req), MSG_NOSIGNAL) < 0)
			break; /* already dropped */
		evs_ctl_poll(s.ctl, 0);
		if (i % 10 == 0) {
			r = rpc_result(&s, &fast,
				       "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"test.echo\"}");
			json_decref(r);
		}
	}
	POLL_UNTIL(&s, stats_of(&s).clients_dropped == 1);
	ck_assert_int_eq(stats_of(&s).clients_connected, 1);
	/* the other client is unaffected */
	r = rpc_result(&s, &fast, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"test.echo\"}");
	json_decref(r);
	/* the slow one finds its connection closed after what was in flight */
	while ((r = conn_recv(&s, &slow, 2000)) != NULL) {
		total++;
		json_decref(r);
	}
	ck_assert(slow.eof);
	ck_assert_int_lt(total, 200);
	conn_close(&slow);
	conn_close(&fast);
	srv_stop(&s);
}
END_TEST

START_TEST(vanishing_client)
{
	struct srv s;
	struct conn a, b, c;

	srv_start(&s, NULL);
	conn_open(&s, &b);
	/* a: request then gone before the reply (hello unread: the close resets) */
	conn_open_raw(&a, s.path);
	conn_send_str(&s, &a,
		      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test.big\","
		      "\"params\":{\"size\":100000}}\n");
	conn_close(&a);
	/* c: gone in the middle of a request line */
	conn_open(&s, &c);
	conn_send_str(&s, &c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"meth");
	conn_close(&c);
	POLL_UNTIL(&s, stats_of(&s).clients_connected == 1);
	json_decref(rpc_result(&s, &b, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"test.echo\"}"));
	ck_assert_int_eq(stats_of(&s).clients_accepted, 3);
	conn_close(&b);
	srv_stop(&s);
}
END_TEST

/* socat-style: send, shut down the write side, still read the answers. */
START_TEST(half_closed_client_gets_replies)
{
	struct srv s;
	struct conn c;
	json_t *r;

	srv_start(&s, NULL);
	conn_open(&s, &c);
	conn_send_str(&s, &c,
		      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test.echo\"}\n"
		      "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"test.echo\"}");
	shutdown(c.fd, SHUT_WR);
	r = conn_must_recv(&s, &c);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "id")), 1);
	json_decref(r);
	r = conn_must_recv(&s, &c); /* the last line needed no newline */
	ck_assert_int_eq(json_integer_value(json_object_get(r, "id")), 2);
	json_decref(r);
	ck_assert_ptr_null(conn_recv(&s, &c, 2000));
	ck_assert(c.eof);
	POLL_UNTIL(&s, stats_of(&s).clients_connected == 0);
	ck_assert_int_eq(stats_of(&s).clients_dropped, 0);
	conn_close(&c);
	srv_stop(&s);
}
END_TEST

/* Reference model: random requests cut into random pieces and interleaved
 * over several clients; each client must get exactly its replies, in order. */
START_TEST(random_framing_matches_model)
{
	enum { NC = 4, NREQ = 400 };
	struct srv s;
	struct conn c[NC];
	char *pending[NC] = {0};
	size_t plen[NC] = {0}, sent[NC] = {0};
	int expect_id[NC][NREQ], n_expect[NC] = {0}, got[NC] = {0};
	char line[256];
	json_t *r;
	int i, k;
	unsigned seed = (unsigned)time(NULL);

	srand(seed);
	srv_start(&s, NULL);
	for (k = 0; k < NC; k++) {
		conn_open(&s, &c[k]);
		pending[k] = malloc(NREQ * 256);
		ck_assert_ptr_nonnull(pending[k]);
	}
	for (i = 0; i < NREQ; i++) {
		k = rand() % NC;
		switch (rand() % 5) {
		case 0: /* notification: no reply expected */
			snprintf(line, sizeof(line),
				 "{\"jsonrpc\":\"2.0\",\"method\":\"test.echo\"}\n");
			break;
		case 1: /* blank line and CRLF */
			snprintf(line, sizeof(line),
				 "\r\n{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"test.echo\","
				 "\"params\":{\"v\":%d}}\r\n",
				 i, i);
			expect_id[k][n_expect[k]++] = i;
			break;
		case 2: /* an error still answers with the id */
			snprintf(line, sizeof(line),
				 "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"nope.%d\"}\n", i, i);
			expect_id[k][n_expect[k]++] = i;
			break;
		default:
			snprintf(line, sizeof(line),
				 "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"test.echo\","
				 "\"params\":{\"v\":%d,\"s\":\"%*s\"}}\n",
				 i, i, rand() % 100, "");
			expect_id[k][n_expect[k]++] = i;
		}
		memcpy(pending[k] + plen[k], line, strlen(line));
		plen[k] += strlen(line);
	}
	/* Feed random-sized pieces from random clients, polling in between. */
	for (;;) {
		bool left = false;

		for (k = 0; k < NC; k++)
			left |= sent[k] < plen[k];
		if (!left)
			break;
		k = rand() % NC;
		if (sent[k] < plen[k]) {
			size_t n = 1 + (size_t)rand() % 300;

			if (n > plen[k] - sent[k])
				n = plen[k] - sent[k];
			conn_send(&s, &c[k], pending[k] + sent[k], n);
			sent[k] += n;
		}
		if (rand() % 3 == 0)
			evs_ctl_poll(s.ctl, 0);
	}
	for (k = 0; k < NC; k++) {
		while (got[k] < n_expect[k]) {
			r = conn_must_recv(&s, &c[k]);
			ck_assert_msg(
			    json_integer_value(json_object_get(r, "id")) == expect_id[k][got[k]],
			    "seed %u client %d reply %d: id %lld, want %d", seed, k, got[k],
			    json_integer_value(json_object_get(r, "id")), expect_id[k][got[k]]);
			if (json_object_get(r, "result") != NULL)
				ck_assert_int_eq(json_integer_value(json_object_get(
						     json_object_get(r, "result"), "v")),
						 expect_id[k][got[k]]);
			json_decref(r);
			got[k]++;
		}
		check_silence(&s, &c[k]);
		conn_close(&c[k]);
		free(pending[k]);
	}
	srv_stop(&s);
}
END_TEST

/* Random junk lines: each non-blank one gets exactly one error answer and the
 * connection stays usable. */
START_TEST(random_junk_lines_answered)
{
	static const char alphabet[] = "{}[]\":,0123456789-.eE truefalsnul\\\xff\xc3\x01\r\t";
	enum { LINES = 300 };
	struct evs_ctl_config cfg = {.max_line = 256};
	char line[600];
	struct srv s;
	struct conn c;
	size_t len, i;
	int n, expect = 0, got = 0;
	unsigned seed = (unsigned)time(NULL);
	json_t *r;

	srand(seed);
	srv_start(&s, &cfg);
	conn_open(&s, &c);
	for (n = 0; n < LINES; n++) {
		bool blank = true;

		len = (size_t)rand() % 400;
		for (i = 0; i < len; i++) {
			line[i] = alphabet[rand() % (int)(sizeof(alphabet) - 1)];
			blank &= line[i] == ' ' || line[i] == '\r' || line[i] == '\t';
		}
		line[len] = '\n';
		conn_send(&s, &c, line, len + 1);
		expect += !blank;
		while ((r = conn_recv(&s, &c, 0)) != NULL) {
			ck_assert_msg(json_object_get(r, "error") != NULL, "seed %u: not an error",
				      seed);
			json_decref(r);
			got++;
		}
	}
	while (got < expect) {
		r = conn_must_recv(&s, &c);
		ck_assert_msg(json_object_get(r, "error") != NULL, "seed %u", seed);
		json_decref(r);
		got++;
	}
	check_silence(&s, &c);
	json_decref(rpc_result(&s, &c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"list\"}"));
	ck_assert_int_eq(stats_of(&s).clients_dropped, 0);
	conn_close(&c);
	srv_stop(&s);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Socket file life cycle                                              */
/* ------------------------------------------------------------------ */

START_TEST(stale_socket_replaced)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct evs_ctl_config cfg = {0};
	struct evs_ctl *ctl;
	char dir[] = "/tmp/evsctl-test-XXXXXX";
	struct stat st;
	struct conn c;
	json_t *h;
	int fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/s.sock", dir);
	/* A socket file left by a crashed server: bound, never listening. */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	ck_assert_int_eq(stat(sa.sun_path, &st), 0);
	cfg.path = sa.sun_path;
	cfg.mode = 0600;
	ctl = evs_ctl_create(&cfg);
	ck_assert_msg(ctl != NULL, "create: %s", strerror(errno));
	ck_assert_int_eq(stat(sa.sun_path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	conn_open_raw(&c, sa.sun_path);
	{
		struct srv s = {.ctl = ctl};

		h = conn_must_recv(&s, &c);
	}
	ck_assert_str_eq(json_string_value(json_object_get(h, "method")), "hello");
	json_decref(h);
	conn_close(&c);
	evs_ctl_free(ctl);
	ck_assert_int_eq(stat(sa.sun_path, &st), -1); /* free unlinks it */
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(live_socket_not_stolen)
{
	struct evs_ctl_config cfg = {0};
	struct srv s;
	struct conn c;
	struct stat st;
	char file[192];
	int fd;

	srv_start(&s, NULL);
	ck_assert_int_eq(stat(s.path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0660); /* the default mode */
	cfg.path = s.path;
	errno = 0;
	ck_assert_ptr_null(evs_ctl_create(&cfg));
	ck_assert_int_eq(errno, EADDRINUSE);
	/* the first server still owns the path and answers */
	conn_open(&s, &c);
	json_decref(rpc_result(&s, &c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"list\"}"));
	conn_close(&c);

	/* A regular file is never deleted. */
	snprintf(file, sizeof(file), "%s/plain", s.dir);
	fd = open(file, O_CREAT | O_WRONLY, 0644);
	ck_assert_int_ge(fd, 0);
	close(fd);
	cfg.path = file;
	errno = 0;
	ck_assert_ptr_null(evs_ctl_create(&cfg));
	ck_assert_int_eq(errno, EEXIST);
	ck_assert_int_eq(stat(file, &st), 0);
	unlink(file);

	/* Bad settings */
	cfg.path = s.path;
	cfg.max_outbuf = 100;
	ck_assert_ptr_null(evs_ctl_create(&cfg));
	ck_assert_int_eq(errno, EINVAL);
	cfg.max_outbuf = 0;
	cfg.max_line = 10;
	ck_assert_ptr_null(evs_ctl_create(&cfg));
	ck_assert_int_eq(errno, EINVAL);
	cfg.max_line = 0;
	cfg.mode = 04777;
	ck_assert_ptr_null(evs_ctl_create(&cfg));
	ck_assert_int_eq(errno, EINVAL);
	cfg.mode = 0;
	cfg.path = NULL;
	errno = 0;
	ck_assert_ptr_null(evs_ctl_create(&cfg));
	ck_assert_int_eq(errno, EINVAL);
	memset(file, 'x', sizeof(file) - 1);
	file[0] = '/';
	file[sizeof(file) - 1] = '\0';
	cfg.path = file;
	ck_assert_ptr_null(evs_ctl_create(&cfg));
	ck_assert_int_eq(errno, ENAMETOOLONG);
	srv_stop(&s);
}
END_TEST

START_TEST(free_leaves_successor_socket)
{
	struct evs_ctl_config cfg = {0};
	struct evs_ctl *next;
	struct srv s;
	struct stat st;

	srv_start(&s, NULL);
	/* An operator removes the file and a new server takes the path. */
	ck_assert_int_eq(unlink(s.path), 0);
	cfg.path = s.path;
	next = evs_ctl_create(&cfg);
	ck_assert_ptr_nonnull(next);
	evs_ctl_free(s.ctl); /* must not unlink the successor's socket */
	s.ctl = NULL;
	ck_assert_int_eq(stat(s.path, &st), 0);
	s.ctl = next;
	srv_stop(&s);
	ck_assert_int_eq(stat(s.path, &st), -1);
	evs_ctl_free(NULL);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Registry                                                            */
/* ------------------------------------------------------------------ */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

START_TEST(registry_matches_model)
{
	enum { N = 300 };
	struct evs_ctl_method m = {.fn = m_echo};
	static char names[N][32];
	char *model[N + 3];
	size_t n_model = 0, i;
	struct srv s;
	struct conn c;
	json_t *r;
	int k;

	srv_start(&s, NULL);
	ck_assert_int_eq(evs_ctl_unregister(s.ctl, "test.echo"), 0);
	ck_assert_int_eq(evs_ctl_unregister(s.ctl, "test.echo"), -ENOENT);
	/* bad names and duplicates */
	{
		static const char *const bad[] = {"",	"Port.add", "a..b",	".a",
						  "a.", "a b",	    "port/add", NULL};

		for (k = 0; bad[k] != NULL; k++) {
			m.name = bad[k];
			ck_assert_int_eq(evs_ctl_register(s.ctl, &m), -EINVAL);
		}
		m.name = "list";
		ck_assert_int_eq(evs_ctl_register(s.ctl, &m), -EEXIST);
		m.name = "x.y";
		m.fn = NULL;
		ck_assert_int_eq(evs_ctl_register(s.ctl, &m), -EINVAL);
		m.fn = m_echo;
	}
	/* Random register/unregister against a plain list of names. */
	for (k = 0; k < 4 * N; k++) {
		i = (size_t)rand() % N;
		snprintf(names[i], sizeof(names[i]), "r%zu.m-%u", i, (unsigned)(i * 7919) % 1000);
		m.name = names[i];
		if (rand() % 3) {
			size_t j;
			bool have = false;

			for (j = 0; j < n_model; j++)
				have |= strcmp(model[j], names[i]) == 0;
			ck_assert_int_eq(evs_ctl_register(s.ctl, &m), have ? -EEXIST : 0);
			if (!have)
				model[n_model++] = names[i];
		} else {
			size_t j;
			int rc = evs_ctl_unregister(s.ctl, names[i]);

			for (j = 0; j < n_model && strcmp(model[j], names[i]) != 0; j++)
				;
			ck_assert_int_eq(rc, j < n_model ? 0 : -ENOENT);
			if (j < n_model)
				model[j] = model[--n_model];
		}
	}
	qsort(model, n_model, sizeof(model[0]), cmp_str);
	conn_open(&s, &c);
	r = rpc_result(&s, &c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"list\"}");
	{
		size_t j = 0, idx;
		json_t *e;

		json_array_foreach(r, idx, e)
		{
			const char *name = json_string_value(json_object_get(e, "name"));

			if (name[0] != 'r')
				continue; /* built-ins and test methods */
			ck_assert_uint_lt(j, n_model);
			ck_assert_str_eq(name, model[j]);
			j++;
		}
		ck_assert_uint_eq(j, n_model);
	}
	json_decref(r);
	conn_close(&c);
	srv_stop(&s);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Client side: edgevsctl's request building and printing              */
/* ------------------------------------------------------------------ */

static json_t *cli(const char *expect_method, const json_t *base, int argc, ...)
{
	char *argv[16], *method, err[256];
	json_t *params;
	va_list ap;
	int i;

	va_start(ap, argc);
	for (i = 0; i < argc; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	ck_assert_msg(evs_ctl_cli_request(argc, argv, base, &method, &params, err, sizeof(err)) ==
			  0,
		      "cli_request: %s", err);
	ck_assert_str_eq(method, expect_method);
	free(method);
	return params;
}

static void cli_fails(const char *needle, int argc, ...)
{
	char *argv[16], *method = NULL, err[256] = "";
	json_t *params = NULL;
	va_list ap;
	int i;

	va_start(ap, argc);
	for (i = 0; i < argc; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	ck_assert_int_eq(evs_ctl_cli_request(argc, argv, NULL, &method, &params, err, sizeof(err)),
			 -EINVAL);
	ck_assert_ptr_null(method);
	ck_assert_ptr_null(params);
	ck_assert_msg(strstr(err, needle) != NULL, "error '%s' lacks '%s'", err, needle);
}

static void check_json(json_t *got, const char *want)
{
	json_t *w = json_loads(want, 0, NULL);

	ck_assert_ptr_nonnull(w);
	ck_assert_msg(json_equal(got, w), "got %s, want %s", json_dumps(got, JSON_COMPACT), want);
	json_decref(w);
	json_decref(got);
}

START_TEST(cli_words_to_request)
{
	char file[] = "/tmp/evsctl-test-XXXXXX";
	char at[64];
	json_t *base;
	int fd;

	check_json(cli("port.add", NULL, 5, "port", "add", "name=p1", "type=ethdev",
		       "devargs=net_tap0,iface=x"),
		   "{\"name\":\"p1\",\"type\":\"ethdev\",\"devargs\":\"net_tap0,iface=x\"}");
	check_json(cli("port.set", NULL, 9, "port", "set", "mtu=1500", "up=true", "x=null",
		       "l=[1,2]", "o={\"a\":1}", "zero=01", "q=\"7\""),
		   "{\"mtu\":1500,\"up\":true,\"x\":null,\"l\":[1,2],\"o\":{\"a\":1},"
		   "\"zero\":\"01\",\"q\":\"7\"}");
	check_json(
	    cli("route.add", NULL, 5, "route", "add", "prefix=10.0.0.0/8", "via=10.0.0.1", "e="),
	    "{\"prefix\":\"10.0.0.0/8\",\"via\":\"10.0.0.1\",\"e\":\"\"}");
	check_json(cli("a.b", NULL, 4, "a.b", "x.y=1", "x.z=s", "w.v.u=true"),
		   "{\"x\":{\"y\":1,\"z\":\"s\"},\"w\":{\"v\":{\"u\":true}}}");
	check_json(cli("list", NULL, 1, "list"), "{}");
	check_json(cli("help", NULL, 1, "help"), "{}");
	check_json(cli("help", NULL, 3, "help", "port", "add"), "{\"method\":\"port.add\"}");
	check_json(cli("config.apply", NULL, 3, "call", "config.apply", "{\"config\":{}}"),
		   "{\"config\":{}}");
	check_json(cli("x.y", NULL, 4, "call", "x.y", "{\"a\":1}", "b=2"), "{\"a\":1,\"b\":2}");
	/* a JSON object whose strings hold '=' is still the params object */
	check_json(cli("x.y", NULL, 3, "call", "x.y", "{\"d\":\"a=b\"}"), "{\"d\":\"a=b\"}");
	base = json_loads("{\"a\":1,\"b\":{\"c\":2}}", 0, NULL);
	check_json(cli("x", base, 3, "x", "a=5", "b.d=3"), "{\"a\":5,\"b\":{\"c\":2,\"d\":3}}");
	ck_assert_int_eq(json_integer_value(json_object_get(base, "a")), 1); /* not modified */
	json_decref(base);

	fd = mkstemp(file);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "{\"ports\":[1]}", 13), 13);
	close(fd);
	snprintf(at, sizeof(at), "config=@%s", file);
	check_json(cli("config.apply", NULL, 3, "config", "apply", at),
		   "{\"config\":{\"ports\":[1]}}");
	unlink(file);
	cli_fails("cannot read JSON", 3, "config", "apply", at);

	cli_fails("no method", 0);
	cli_fails("no method", 1, "a=1");
	cli_fails("given twice", 4, "port", "add", "a=1", "a=2");
	cli_fails("empty key", 3, "port", "add", "=1");
	cli_fails("empty key", 3, "port", "add", "a..b=1");
	cli_fails("expected key=value", 4, "port", "add", "a=1", "oops");
	cli_fails("non-object", 4, "x", "a=1", "a.b=2", "");
	cli_fails("JSON object", 3, "call", "x", "[1]");
	cli_fails("method name", 1, "call");
}
END_TEST

static char *printed(const char *json)
{
	json_t *v = json_loads(json, JSON_DECODE_ANY, NULL);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(evs_ctl_cli_print(f, v), 0);
	fclose(f);
	json_decref(v);
	return buf;
}

static void check_printed(const char *json, const char *want)
{
	char *got = printed(json);

	ck_assert_msg(strcmp(got, want) == 0, "printing %s:\n--- got\n%s--- want\n%s", json, got,
		      want);
	free(got);
}

START_TEST(cli_prints_tables)
{
	check_printed("[{\"name\":\"p1\",\"mtu\":1500},{\"name\":\"port-22\",\"up\":true}]",
		      "NAME     UP    MTU\n"
		      "p1       -     1500\n"
		      "port-22  true  -\n");
	/* a key first seen late goes after the key it follows in its row */
	check_printed("[{\"a\":1,\"z\":2},{\"a\":1,\"b\":2,\"z\":3},{\"c\":0,\"z\":1}]",
		      "C  A  B  Z\n"
		      "-  1  -  2\n"
		      "-  1  2  3\n"
		      "0  -  -  1\n");
	check_printed("{\"name\":\"p1\",\"stats\":{\"rx\":5,\"tx_bytes\":7},\"tags\":[1,2],"
		      "\"q\":[{\"id\":0}],\"help\":\"a\\nb\",\"e\":[],\"n\":null}",
		      "name:           p1\n"
		      "stats.rx:       5\n"
		      "stats.tx_bytes: 7\n"
		      "tags:           1, 2\n"
		      "q:\n"
		      "  ID\n"
		      "  0\n"
		      "help:           a\n"
		      "                b\n"
		      "e:              []\n"
		      "n:              null\n");
	check_printed("[]", "(none)\n");
	check_printed("null", "");
	check_printed("\"hi\"", "hi\n");
	check_printed("[\"a\",3]", "a\n3\n");
	check_printed("[{\"k\":\"tab\\there\\n\"}]", "K\ntab\\there\\n\n");
	check_printed("[{\"naïve\":\"é\"},{\"naïve\":\"ab\"}]", "NAïVE\né\nab\n");
}
END_TEST

/* ------------------------------------------------------------------ */
/* Client API and the edgevsctl binary, server polled by a thread      */
/* ------------------------------------------------------------------ */

struct bg {
	struct srv s;
	pthread_t thread;
	volatile bool stop;
};

static void *bg_loop(void *arg)
{
	struct bg *b = arg;

	while (!b->stop)
		evs_ctl_poll(b->s.ctl, 10);
	return NULL;
}

static void bg_start(struct bg *b)
{
	srv_start(&b->s, NULL);
	b->stop = false;
	ck_assert_int_eq(pthread_create(&b->thread, NULL, bg_loop, b), 0);
}

static void bg_stop(struct bg *b)
{
	b->stop = true;
	pthread_join(b->thread, NULL);
	srv_stop(&b->s);
}

START_TEST(client_api)
{
	struct evs_ctl_client *c;
	json_t *result, *error;
	struct bg b;

	bg_start(&b);
	c = evs_ctl_client_connect(b.s.path, 5000);
	ck_assert_msg(c != NULL, "connect: %s", strerror(errno));
	ck_assert_str_eq(json_string_value(json_object_get(evs_ctl_client_hello(c), "server")),
			 "edgevs");
	ck_assert_int_eq(
	    evs_ctl_client_call(c, "test.echo", json_pack("{s:i}", "a", 1), 5000, &result, &error),
	    0);
	ck_assert_ptr_null(error);
	ck_assert_int_eq(json_integer_value(json_object_get(result, "a")), 1);
	json_decref(result);
	ck_assert_int_eq(evs_ctl_client_call(c, "nope", NULL, 5000, &result, &error), 0);
	ck_assert_ptr_null(result);
	ck_assert_int_eq(json_integer_value(json_object_get(error, "code")),
			 EVS_CTL_E_METHOD_NOT_FOUND);
	json_decref(error);
	ck_assert_int_eq(evs_ctl_client_call(c, "test.big", json_pack("{s:i}", "size", 3000000),
					     5000, &result, &error),
			 0);
	ck_assert_int_eq(json_string_length(json_object_get(result, "data")), 3000000);
	json_decref(result);
	evs_ctl_client_close(c);
	bg_stop(&b);

	errno = 0;
	ck_assert_ptr_null(evs_ctl_client_connect(b.s.path, 1000));
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

/* The edgevsctl built next to this test: build/app/edgevsctl/edgevsctl. */
static void edgevsctl_path(char *buf, size_t size)
{
	char self[PATH_MAX - 64];
	ssize_t n;
	char *slash;
	const char *env = getenv("EDGEVSCTL");

	if (env != NULL) {
		snprintf(buf, size, "%s", env);
		return;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	ck_assert_int_gt(n, 0);
	self[n] = '\0';
	slash = strrchr(self, '/'); /* .../test/unit/test_ctl */
	ck_assert_ptr_nonnull(slash);
	*slash = '\0';
	snprintf(buf, size, "%s/../../app/edgevsctl/edgevsctl", self);
}

/* Run edgevsctl with args; returns its exit status, output in out/err. */
static int run_ctl(char *out, size_t outsz, char *err, size_t errsz, char *const args[])
{
	int po[2], pe[2], status;
	ssize_t n;
	size_t lo = 0, le = 0;
	pid_t pid;

	ck_assert_int_eq(pipe(po), 0);
	ck_assert_int_eq(pipe(pe), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(po[1], 1);
		dup2(pe[1], 2);
		close(po[0]);
		close(pe[0]);
		unsetenv("EDGEVS_SOCKET");
		execv(args[0], args);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	while ((n = read(po[0], out + lo, outsz - 1 - lo)) > 0)
		lo += (size_t)n;
	while ((n = read(pe[0], err + le, errsz - 1 - le)) > 0)
		le += (size_t)n;
	out[lo] = '\0';
	err[le] = '\0';
	close(po[0]);
	close(pe[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_msg(WEXITSTATUS(status) != 127, "cannot run %s", args[0]);
	return WEXITSTATUS(status);
}

START_TEST(edgevsctl_binary)
{
	char bin[PATH_MAX], out[8192], err[4096], sock[200];
	struct bg b;

	edgevsctl_path(bin, sizeof(bin));
	ck_assert_msg(access(bin, X_OK) == 0, "%s not built (meson test builds it)", bin);
	bg_start(&b);
	snprintf(sock, sizeof(sock), "%s", b.s.path);
	{
		char *args[] = {bin, "-s", sock, "test", "echo", "name=p1", "mtu=1500", NULL};

		ck_assert_int_eq(run_ctl(out, sizeof(out), err, sizeof(err), args), 0);
		ck_assert_str_eq(out, "name: p1\nmtu:  1500\n");
	}
	{
		char *args[] = {bin, "--socket", sock, "--json", "test", "echo", "a.b=[1]", NULL};

		ck_assert_int_eq(run_ctl(out, sizeof(out), err, sizeof(err), args), 0);
		ck_assert_str_eq(out, "{\n  \"a\": {\n    \"b\": [\n      1\n    ]\n  }\n}\n");
	}
	{
		char *args[] = {bin, "-s", sock, "test", "spec", "name=p1", "mtu=1", NULL};

		ck_assert_int_eq(run_ctl(out, sizeof(out), err, sizeof(err), args), 1);
		ck_assert_msg(strncmp(err, "error -32602: ", 14) == 0, "stderr: %s", err);
		ck_assert_ptr_nonnull(strstr(err, "(at /params/mtu)\n"));
	}
	{
		char *args[] = {bin, "-s", sock, "list", NULL};

		ck_assert_int_eq(run_ctl(out, sizeof(out), err, sizeof(err), args), 0);
		ck_assert_ptr_nonnull(strstr(out, "NAME"));
		ck_assert_ptr_nonnull(strstr(out, "test.spec"));
	}
	{
		char *args[] = {bin, "-s", sock, "help", NULL};

		ck_assert_int_eq(run_ctl(out, sizeof(out), err, sizeof(err), args), 0);
		ck_assert_ptr_nonnull(strstr(out, "test.spec name=string"));
		ck_assert_ptr_nonnull(strstr(out, "\n    second line\n"));
	}
	{
		char *args[] = {bin,	       "-s",   sock,	    "--params",
				"{\"a\":[1]}", "call", "test.echo", NULL};

		ck_assert_int_eq(run_ctl(out, sizeof(out), err, sizeof(err), args), 0);
		ck_assert_str_eq(out, "a: 1\n");
	}
	bg_stop(&b);
	{
		char *args[] = {bin, "-s", sock, "list", NULL};

		ck_assert_int_eq(run_ctl(out, sizeof(out), err, sizeof(err), args), 2);
		ck_assert_ptr_nonnull(strstr(err, "cannot connect"));
	}
	{
		char *args[] = {bin, NULL};

		ck_assert_int_eq(run_ctl(out, sizeof(out), err, sizeof(err), args), 2);
		ck_assert_ptr_nonnull(strstr(err, "Usage:"));
	}
	{
		char *args[] = {bin, "-s", sock, "port", "add", "a=1", "junk", NULL};

		ck_assert_int_eq(run_ctl(out, sizeof(out), err, sizeof(err), args), 2);
		ck_assert_ptr_nonnull(strstr(err, "expected key=value"));
	}
}
END_TEST

static Suite *ctl_suite(void)
{
	Suite *s = suite_create("ctl");
	struct {
		const char *name;
		const TTest *fn;
	} cases[] = {
	    {"hello_on_connect", hello_on_connect},
	    {"list_and_help", list_and_help},
	    {"good_request", good_request},
	    {"notification_gets_no_reply", notification_gets_no_reply},
	    {"parse_error", parse_error},
	    {"invalid_request", invalid_request},
	    {"unknown_method", unknown_method},
	    {"params_validator", params_validator},
	    {"validator_outside_a_call", validator_outside_a_call},
	    {"handler_contract", handler_contract},
	    {"oversized_line_then_good_request", oversized_line_then_good_request},
	    {"many_clients_at_once", many_clients_at_once},
	    {"max_clients_refused", max_clients_refused},
	    {"slow_client_dropped", slow_client_dropped},
	    {"vanishing_client", vanishing_client},
	    {"half_closed_client_gets_replies", half_closed_client_gets_replies},
	    {"random_framing_matches_model", random_framing_matches_model},
	    {"random_junk_lines_answered", random_junk_lines_answered},
	    {"stale_socket_replaced", stale_socket_replaced},
	    {"live_socket_not_stolen", live_socket_not_stolen},
	    {"free_leaves_successor_socket", free_leaves_successor_socket},
	    {"registry_matches_model", registry_matches_model},
	    {"cli_words_to_request", cli_words_to_request},
	    {"cli_prints_tables", cli_prints_tables},
	    {"client_api", client_api},
	    {"edgevsctl_binary", edgevsctl_binary},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		TCase *tc = tcase_create(cases[i].name);

		tcase_add_test(tc, cases[i].fn);
		suite_add_tcase(s, tc);
	}
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ctl_suite());
	int failed;

	signal(SIGPIPE, SIG_DFL); /* a server write to a gone client must not kill us */
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
