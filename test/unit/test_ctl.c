/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control socket tests, server side: protocol, connections, the socket file
 * and the method registry, against a real server on a Unix socket in a temp
 * dir with raw client sockets driven from the test (ctl_test.h). The client
 * side is in test_ctl_cli.c; this file holds the suite's main. No EAL.
 */

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl_test.h"
#include "unit_case.h"

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
	/* The client's own role and uid (root: admin). */
	ck_assert_str_eq(json_string_value(json_object_get(p, "role")), "admin");
	ck_assert_int_eq(json_integer_value(json_object_get(p, "uid")), (json_int_t)geteuid());
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
	json_array_foreach (r, i, m) {
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
	ck_assert_int_eq(json_array_size(r), 6 + 7); /* built-ins + test methods */
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
	ck_assert_int_eq(json_array_size(r), 6 + 7);
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
	check_error(r, EVS_CTL_E_APPLY_FAILED, NULL); /* EIO, through the errno table */
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
	struct evs_ctl_config cfg = {.max_line = 1024, .max_line_admin = 1024};
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

		json_array_foreach (r, idx, e) {
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

static Suite *ctl_suite(void)
{
	Suite *s = suite_create("ctl");
	const struct unit_case cases[] = {
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
	};

	unit_add_cases(s, cases, sizeof(cases) / sizeof(cases[0]), NULL, NULL, 0);
	ctl_cli_add_cases(s);
	ctl_server_add_cases(s);
	ctl_json_add_cases(s);
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
