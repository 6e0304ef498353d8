/* SPDX-License-Identifier: BSD-3-Clause */
/* Blocking-with-deadline client of the control socket (edgevsctl, tests,
 * tools written in C). No server state, no logging, no DPDK. */

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "evs_ctl.h"

#define CLIENT_MAX_LINE ((size_t)256 << 20)

struct evs_ctl_client {
	int fd;
	char *buf; /* received, not yet consumed: buf[0, len) */
	size_t len;
	size_t cap;
	size_t scanned; /* buf[0, scanned) holds no newline */
	json_t *hello;
	json_int_t next_id;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t deadline_of(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
}

/* poll() timeout left until deadline; -1 means none. */
static int time_left(int64_t deadline)
{
	int64_t left;

	if (deadline < 0)
		return -1;
	left = deadline - now_ms();
	if (left <= 0)
		return 0;
	return left > 60000 ? 60000 : (int)left;
}

static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = {.fd = fd, .events = events};
	int rc;

	for (;;) {
		if (deadline >= 0 && now_ms() >= deadline)
			return -ETIMEDOUT;
		rc = poll(&p, 1, time_left(deadline));
		if (rc > 0)
			return 0;
		if (rc < 0 && errno != EINTR)
			return -errno;
	}
}

/* Next JSON message from the server into *msg. */
static int read_message(struct evs_ctl_client *c, int64_t deadline, json_t **msg)
{
	json_error_t jerr;
	char *nl, *p;
	size_t line_len;
	ssize_t n;
	int rc;

	for (;;) {
		nl = c->len > c->scanned ? memchr(c->buf + c->scanned, '\n', c->len - c->scanned)
					 : NULL;
		if (nl != NULL) {
			line_len = (size_t)(nl - c->buf);
			*msg = json_loadb(c->buf, line_len, 0, &jerr);
			memmove(c->buf, nl + 1, c->len - line_len - 1);
			c->len -= line_len + 1;
			c->scanned = 0;
			return *msg != NULL ? 0 : -EPROTO;
		}
		c->scanned = c->len;
		if (c->len == c->cap) {
			if (c->cap >= CLIENT_MAX_LINE)
				return -EMSGSIZE;
			p = realloc(c->buf, c->cap ? c->cap * 2 : 65536);
			if (p == NULL)
				return -ENOMEM;
			c->buf = p;
			c->cap = c->cap ? c->cap * 2 : 65536;
		}
		rc = wait_fd(c->fd, POLLIN, deadline);
		if (rc < 0)
			return rc;
		n = recv(c->fd, c->buf + c->len, c->cap - c->len, MSG_DONTWAIT);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return -errno;
		}
		c->len += (size_t)n;
	}
}

static int send_all(int fd, const char *p, size_t len, int64_t deadline)
{
	ssize_t n;
	int rc;

	while (len > 0) {
		n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return errno == EPIPE ? -ECONNRESET : -errno;
			rc = wait_fd(fd, POLLOUT, deadline);
			if (rc < 0)
				return rc;
			continue;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int do_connect(int fd, const char *path, int64_t deadline)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	/* A Unix connect() only waits when the backlog is full: retry then. */
	while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		if (deadline >= 0 && now_ms() >= deadline)
			return -ETIMEDOUT;
		poll(NULL, 0, 10);
	}
	return 0;
}

/* A refusal ("too many clients") arrives as an error line instead of hello. */
static int take_hello(struct evs_ctl_client *c, json_t *msg)
{
	const char *method = json_string_value(json_object_get(msg, "method"));
	json_t *params = json_object_get(msg, "params");

	if (json_object_get(msg, "error") != NULL)
		return -EBUSY;
	if (method == NULL || strcmp(method, "hello") != 0 || !json_is_object(params))
		return -EPROTO;
	c->hello = json_incref(params);
	return 0;
}

struct evs_ctl_client *evs_ctl_client_connect(const char *path, int timeout_ms)
{
	int64_t deadline = deadline_of(timeout_ms);
	struct evs_ctl_client *c;
	json_t *msg;
	int rc;

	if (path == NULL) {
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->next_id = 1;
	c->fd = -1;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0) {
		rc = -errno;
		goto err;
	}
	rc = do_connect(c->fd, path, deadline);
	if (rc < 0)
		goto err;
	rc = read_message(c, deadline, &msg);
	if (rc < 0)
		goto err;
	rc = take_hello(c, msg);
	json_decref(msg);
	if (rc < 0)
		goto err;
	return c;
err:
	evs_ctl_client_close(c);
	errno = -rc;
	return NULL;
}

const json_t *evs_ctl_client_hello(const struct evs_ctl_client *c)
{
	return c->hello;
}

static int send_request(struct evs_ctl_client *c, json_int_t id, const char *method, json_t *params,
			int64_t deadline)
{
	json_t *req;
	char *text;
	size_t len;
	int rc;

	req = json_pack("{s:s, s:I, s:s, s:o*}", "jsonrpc", "2.0", "id", id, "method", method,
			"params", params);
	if (req == NULL)
		return -ENOMEM;
	text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (text == NULL)
		return -ENOMEM;
	len = strlen(text);
	rc = send_all(c->fd, text, len, deadline);
	if (rc == 0)
		rc = send_all(c->fd, "\n", 1, deadline);
	free(text);
	return rc;
}

int evs_ctl_client_call(struct evs_ctl_client *c, const char *method, json_t *params,
			int timeout_ms, json_t **result, json_t **error)
{
	int64_t deadline = deadline_of(timeout_ms);
	json_int_t id;
	json_t *msg, *mid, *v;
	int rc;

	*result = NULL;
	*error = NULL;
	if (c == NULL || method == NULL) {
		json_decref(params);
		return -EINVAL;
	}
	id = c->next_id++;
	rc = send_request(c, id, method, params, deadline);
	if (rc < 0)
		return rc;
	for (;;) {
		rc = read_message(c, deadline, &msg);
		if (rc < 0)
			return rc;
		mid = json_object_get(msg, "id");
		/* Skip notifications and answers to other ids. An error with a
		 * null id is about our request: it was the only one in flight. */
		if (mid == NULL ||
		    (json_is_null(mid) ? json_object_get(msg, "error") == NULL
				       : !json_is_integer(mid) || json_integer_value(mid) != id)) {
			json_decref(msg);
			continue;
		}
		if ((v = json_object_get(msg, "error")) != NULL && json_is_object(v))
			*error = json_incref(v);
		else if ((v = json_object_get(msg, "result")) != NULL)
			*result = json_incref(v);
		json_decref(msg);
		return *error != NULL || *result != NULL ? 0 : -EPROTO;
	}
}

void evs_ctl_client_close(struct evs_ctl_client *c)
{
	if (c == NULL)
		return;
	if (c->fd >= 0)
		close(c->fd);
	json_decref(c->hello);
	free(c->buf);
	free(c);
}
