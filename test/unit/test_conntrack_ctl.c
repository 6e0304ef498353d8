/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ct.list, ct.stats and ct.flush over a real control socket (lib/ctl's test
 * server), on a table filled through the datapath API.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "ct_test.h"
#include "ctl_test.h"
#include "unit_case.h"

static struct srv srv;
static struct conn cn;

static void ctl_setup(void)
{
	ct_setup();
	srv_start(&srv, NULL);
	ck_assert_int_eq(evs_ct_ctl_register(srv.ctl, ct), 0);
	conn_open(&srv, &cn);
}

static void ctl_teardown(void)
{
	conn_close(&cn);
	srv_stop(&srv);
	ct_teardown();
}

static json_t *result(const char *line)
{
	json_t *msg = rpc(&srv, &cn, line), *r = json_object_get(msg, "result");

	ck_assert_msg(r != NULL, "%s -> %s", line, json_dumps(msg, JSON_COMPACT));
	json_incref(r);
	json_decref(msg);
	return r;
}

/* 3 TCP connections in zone 1 (one established), 5 UDP ones in zone 2. */
static void fill(void)
{
	struct evs_ct_action z1 = act_commit(1), z2 = act_commit(2);
	struct spec s;
	uint16_t i;

	for (i = 0; i < 3; i++) {
		s = (struct spec){.src = "10.0.0.1",
				  .dst = "10.0.0.2",
				  .proto = IPPROTO_TCP,
				  .sport = (uint16_t)(1000 + i),
				  .dport = 80,
				  .flags = SYN,
				  .seq = 1};
		ck_assert_uint_eq(send1(&s, &z1), CT_NEW);
	}
	s = (struct spec){.src = "10.0.0.2",
			  .dst = "10.0.0.1",
			  .proto = IPPROTO_TCP,
			  .sport = 80,
			  .dport = 1000,
			  .flags = SYN | ACK,
			  .seq = 9,
			  .ack = 2};
	ck_assert_uint_eq(send1(&s, &z1), CT_RPL);
	s = (struct spec){.src = "10.0.0.1",
			  .dst = "10.0.0.2",
			  .proto = IPPROTO_TCP,
			  .sport = 1000,
			  .dport = 80,
			  .flags = ACK,
			  .seq = 2,
			  .ack = 10};
	ck_assert_uint_eq(send1(&s, &z1), CT_EST);
	for (i = 0; i < 5; i++) {
		s = (struct spec){.src = "fd00::1",
				  .dst = "fd00::9",
				  .proto = IPPROTO_UDP,
				  .sport = (uint16_t)(2000 + i),
				  .dport = 53};
		ck_assert_uint_eq(send1(&s, &z2), CT_NEW);
	}
}

START_TEST(test_ctl_stats)
{
	json_t *r;

	fill();
	r = result("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ct.stats\"}");
	ck_assert_int_eq(json_integer_value(json_object_get(r, "conns")), 8);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "max_conns")), 1024);
	ck_assert_int_eq(
	    json_integer_value(json_object_get(json_object_get(r, "counters"), "created")), 8);
	json_decref(r);
}
END_TEST

START_TEST(test_ctl_list_filters)
{
	json_t *r, *c, *conns;

	fill();
	r = result("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ct.list\",\"params\":{\"zone\":1}}");
	ck_assert_uint_eq(json_array_size(json_object_get(r, "conns")), 3);
	json_decref(r);
	r = result("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ct.list\","
		   "\"params\":{\"state\":\"ESTABLISHED\"}}");
	conns = json_object_get(r, "conns");
	ck_assert_uint_eq(json_array_size(conns), 1);
	c = json_array_get(conns, 0);
	ck_assert_str_eq(json_string_value(json_object_get(c, "proto")), "tcp");
	ck_assert_str_eq(json_string_value(json_object_get(c, "state")), "ESTABLISHED");
	ck_assert(json_is_true(json_object_get(c, "seen_reply")));
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(c, "orig"), "src")),
			 "10.0.0.1");
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(c, "orig"), "sport")),
			 1000);
	/* the fixture's clock is at T0 */
	ck_assert_int_eq(json_integer_value(json_object_get(c, "expires_in_ms")),
			 grain_up(T0 + 432000 * 1000) - T0);
	json_decref(r);
	r = result("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ct.list\","
		   "\"params\":{\"address\":\"fd00::9\",\"port\":2003}}");
	conns = json_object_get(r, "conns");
	ck_assert_uint_eq(json_array_size(conns), 1);
	ck_assert_str_eq(json_string_value(json_object_get(
			     json_object_get(json_array_get(conns, 0), "reply"), "src")),
			 "fd00::9");
	json_decref(r);
	r = result("{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"ct.list\",\"params\":{\"proto\":6,"
		   "\"address\":\"10.9.9.9\"}}");
	ck_assert_uint_eq(json_array_size(json_object_get(r, "conns")), 0);
	json_decref(r);
	rpc_error(&srv, &cn,
		  "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"ct.list\","
		  "\"params\":{\"state\":\"NAPPING\"}}",
		  -32602, "/params/state");
}
END_TEST

START_TEST(test_ctl_list_pages)
{
	char line[160];
	json_t *r;
	json_int_t cursor = 0;
	size_t total = 0;
	int pages = 0;

	fill();
	do {
		snprintf(line, sizeof(line),
			 "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ct.list\","
			 "\"params\":{\"limit\":3,\"cursor\":%lld}}",
			 (long long)cursor);
		r = result(line);
		ck_assert_uint_le(json_array_size(json_object_get(r, "conns")), 3);
		total += json_array_size(json_object_get(r, "conns"));
		cursor = json_integer_value(json_object_get(r, "next"));
		pages++;
		if (json_object_get(r, "next") == NULL)
			cursor = -1;
		json_decref(r);
	} while (cursor >= 0 && pages < 10);
	ck_assert_uint_eq(total, 8);
	ck_assert_int_ge(pages, 3);
}
END_TEST

START_TEST(test_ctl_flush_zone)
{
	json_t *r;

	fill();
	r = result(
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ct.flush\",\"params\":{\"zone\":2}}");
	ck_assert_int_eq(json_integer_value(json_object_get(r, "flushed")), 5);
	json_decref(r);
	ck_assert_uint_eq(live_conns(), 3);
	r = result("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ct.flush\"}");
	ck_assert_int_eq(json_integer_value(json_object_get(r, "flushed")), 3);
	json_decref(r);
	ck_assert_uint_eq(live_conns(), 0);
	rpc_error(
	    &srv, &cn,
	    "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ct.flush\",\"params\":{\"zone\":70000}}",
	    -32602, "/params/zone");
}
END_TEST

START_TEST(test_ctl_register_all_or_nothing)
{
	/* a second registration fails on the first name and leaves the first set */
	ck_assert_int_ne(evs_ct_ctl_register(srv.ctl, ct), 0);
	ck_assert_int_eq(evs_ct_ctl_register(NULL, ct), -EINVAL);
	json_decref(result("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ct.stats\"}"));
}
END_TEST

void ct_ctl_add_cases(Suite *s)
{
	const struct unit_case cases[] = {
	    {"ctl_stats", test_ctl_stats},
	    {"ctl_list_filters", test_ctl_list_filters},
	    {"ctl_list_pages", test_ctl_list_pages},
	    {"ctl_flush_zone", test_ctl_flush_zone},
	    {"ctl_register_all_or_nothing", test_ctl_register_all_or_nothing},
	};

	unit_add_cases(s, cases, RTE_DIM(cases), ctl_setup, ctl_teardown, 0);
}
