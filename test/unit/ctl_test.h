/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private harness of the ctl unit suite (test_ctl.c, test_ctl_cli.c,
 * ctl_test_util.c): a real server on a Unix socket in a temp dir with the
 * test.* methods registered, and raw client sockets driven from the test,
 * which calls evs_ctl_poll() while it waits. Single-threaded unless a test
 * polls the server from its own thread.
 */
#ifndef EVS_TEST_CTL_TEST_H
#define EVS_TEST_CTL_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <check.h>

#include "evs_ctl.h"

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

/* Parameters of test.spec (one of each type the validator knows). */
#define N_SPEC 11

/* Last return of the second answer test.twice tried (-EALREADY expected). */
extern int twice_rc;

/* CLOCK_MONOTONIC in ms. */
int64_t now_ms(void);
/* test.echo: replies with its params. */
int m_echo(struct evs_ctl_call *call, json_t *params, void *arg);

/* Server at <tmpdir>/run/ctl.sock (run/ does not exist yet) with the test.*
 * methods; @base (may be NULL) gives the other config fields. */
void srv_start(struct srv *s, const struct evs_ctl_config *base);
/* Free the server and remove its temp dir. */
void srv_stop(struct srv *s);
struct evs_ctl_stats stats_of(struct srv *s);

/* Connected non-blocking fd, or -errno. */
int raw_connect(const char *path);
/* Connect without reading the hello. */
void conn_open_raw(struct conn *c, const char *path);
/* Connect and consume the hello. */
void conn_open(struct srv *s, struct conn *c);
void conn_close(struct conn *c);
/* Send everything, polling the server while the socket is full. */
void conn_send(struct srv *s, struct conn *c, const char *data, size_t len);
void conn_send_str(struct srv *s, struct conn *c, const char *str);
/* Next line from the server as JSON; NULL on EOF/reset or timeout. @s NULL:
 * nobody to poll (the server runs elsewhere). */
json_t *conn_recv(struct srv *s, struct conn *c, int timeout_ms);
/* Next message within 5 s, or the test fails. */
json_t *conn_must_recv(struct srv *s, struct conn *c);
/* No message arrives within a short while. */
void check_silence(struct srv *s, struct conn *c);

/* Send @line and return the next message. */
json_t *rpc(struct srv *s, struct conn *c, const char *line);
/* The reply is an error with this code and data.path (NULL: no data). */
void check_error(json_t *msg, int code, const char *path);
void rpc_error(struct srv *s, struct conn *c, const char *line, int code, const char *path);
/* The result of a request that must succeed (a new reference). */
json_t *rpc_result(struct srv *s, struct conn *c, const char *line);

/* Poll until cond holds or 5 s pass. */
#define POLL_UNTIL(s, cond)                                                                        \
	do {                                                                                       \
		int64_t until_ = now_ms() + 5000;                                                  \
		while (!(cond) && now_ms() < until_)                                               \
			evs_ctl_poll((s)->ctl, 5);                                                 \
		ck_assert_msg((cond), "timed out waiting for " #cond);                             \
	} while (0)

/* Client side cases (test_ctl_cli.c): edgevsctl's words and printing, the
 * client API and the binary. */
void ctl_cli_add_cases(Suite *s);
/* Server features (test_ctl_server.c): deferred calls, access control,
 * idle clients, events, large requests. */
void ctl_server_add_cases(Suite *s);
/* The large-request parser against jansson (test_ctl_json.c). */
void ctl_json_add_cases(Suite *s);

#endif /* EVS_TEST_CTL_TEST_H */
