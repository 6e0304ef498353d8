/* SPDX-License-Identifier: BSD-3-Clause */
/* The control socket test harness shared by test_ctl.c and test_ctl_cli.c:
 * a server with test methods in a temp dir, raw client connections. */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl_test.h"

int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int m_echo(struct evs_ctl_call *call, json_t *params, void *arg)
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

int twice_rc = 1;

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
_Static_assert(sizeof(spec) / sizeof(spec[0]) == N_SPEC, "N_SPEC in ctl_test.h");

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
void srv_start(struct srv *s, const struct evs_ctl_config *base)
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

void srv_stop(struct srv *s)
{
	char run[192];

	evs_ctl_free(s->ctl);
	s->ctl = NULL;
	snprintf(run, sizeof(run), "%s/run", s->dir);
	rmdir(run);
	ck_assert_int_eq(rmdir(s->dir), 0);
}

int raw_connect(const char *path)
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

void conn_open_raw(struct conn *c, const char *path)
{
	memset(c, 0, sizeof(*c));
	c->fd = raw_connect(path);
	ck_assert_msg(c->fd >= 0, "connect: %s", strerror(-c->fd));
}

void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->buf);
	c->buf = NULL;
}

/* Send everything, polling the server while the socket is full. */
void conn_send(struct srv *s, struct conn *c, const char *data, size_t len)
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

void conn_send_str(struct srv *s, struct conn *c, const char *str)
{
	conn_send(s, c, str, strlen(str));
}

/* Next line from the server as JSON; NULL on EOF/reset or timeout. */
json_t *conn_recv(struct srv *s, struct conn *c, int timeout_ms)
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

json_t *conn_must_recv(struct srv *s, struct conn *c)
{
	json_t *m = conn_recv(s, c, 5000);

	ck_assert_msg(m != NULL, "no message from the server (eof=%d)", c->eof);
	return m;
}

/* Connect and consume the hello. */
void conn_open(struct srv *s, struct conn *c)
{
	json_t *hello;

	conn_open_raw(c, s->path);
	hello = conn_must_recv(s, c);
	ck_assert_str_eq(json_string_value(json_object_get(hello, "method")), "hello");
	json_decref(hello);
}

json_t *rpc(struct srv *s, struct conn *c, const char *line)
{
	conn_send_str(s, c, line);
	conn_send_str(s, c, "\n");
	return conn_must_recv(s, c);
}

/* The reply is an error with this code and data.path (NULL: no data). */
void check_error(json_t *msg, int code, const char *path)
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

void rpc_error(struct srv *s, struct conn *c, const char *line, int code, const char *path)
{
	json_t *r = rpc(s, c, line);

	check_error(r, code, path);
	json_decref(r);
}

json_t *rpc_result(struct srv *s, struct conn *c, const char *line)
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
void check_silence(struct srv *s, struct conn *c)
{
	json_t *m = conn_recv(s, c, 100);

	ck_assert_msg(m == NULL, "unexpected message %s", json_dumps(m, JSON_COMPACT));
	ck_assert(!c->eof);
}

struct evs_ctl_stats stats_of(struct srv *s)
{
	struct evs_ctl_stats st;

	ck_assert_int_eq(evs_ctl_stats_get(s->ctl, &st), 0);
	return st;
}
