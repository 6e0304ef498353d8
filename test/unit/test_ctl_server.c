/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Server features of the ctl suite: deferred calls (answered later, held
 * until released, client gone meanwhile, per-connection order).
 */

#include <errno.h>
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

void ctl_server_add_cases(Suite *s)
{
	const struct unit_case cases[] = {
	    {"deferred_call_answered_later_in_order", deferred_call_answered_later_in_order},
	    {"deferred_error_answer", deferred_error_answer},
	    {"held_answer_released_or_replaced", held_answer_released_or_replaced},
	    {"deferred_client_gone_answer_dropped", deferred_client_gone_answer_dropped},
	};

	unit_add_cases(s, cases, sizeof(cases) / sizeof(cases[0]), NULL, NULL, 0);
}
