/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fw.log, fw.stats and fw.rule.hits over a real control socket (lib/ctl's
 * test server), on a firewall driven through the datapath API.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <rte_byteorder.h>
#include <rte_ether.h>

#include "ctl_test.h"
#include "evs_firewall.h"
#include "unit_case.h"

void fw_ctl_add_cases(Suite *s);

static struct srv srv;
static struct conn cn;
static struct evs_fw *fw;
static struct evs_fw_ctl *fc;

static void ctl_setup(void)
{
	struct evs_fw_config c = {.name = "c",
				  .socket_id = SOCKET_ID_ANY,
				  .n_lcores = 1,
				  .max_rules = 8,
				  .max_groups = 2,
				  .max_ports = 4,
				  .log_size = 16,
				  .log_rate = 1000};
	struct evs_fw_rule r = {.id = 7,
				.priority = 1,
				.dir = EVS_FW_INGRESS,
				.action = EVS_FW_ALLOW,
				.proto = IPPROTO_TCP,
				.sport_hi = UINT16_MAX,
				.dport_lo = 80,
				.dport_hi = 80};
	struct evs_fw_port_conf pc = {.n_groups = 1, .groups = {"g"}};

	fw = evs_fw_create(&c);
	ck_assert_ptr_nonnull(fw);
	ck_assert_int_eq(evs_fw_group_add(fw, "g"), 0);
	ck_assert_int_eq(evs_fw_rule_add(fw, "g", &r), 0);
	ck_assert_int_eq(evs_fw_port_set(fw, 1, &pc), 0);
	ck_assert_int_eq(evs_fw_commit(fw), 0);
	srv_start(&srv, NULL);
	fc = evs_fw_ctl_register(srv.ctl, fw);
	ck_assert_ptr_nonnull(fc);
	conn_open(&srv, &cn);
}

static void ctl_teardown(void)
{
	conn_close(&cn);
	srv_stop(&srv);
	evs_fw_ctl_free(fc);
	evs_fw_free(fw);
}

/* One ingress TCP packet to port 1: dport 80 is allowed, others denied. */
static void send_tcp(uint16_t dport)
{
	struct evs_flow_key k;
	const struct evs_flow_key *kp = &k;
	struct evs_fw_verdict v;

	memset(&k, 0, sizeof(k));
	k.ethertype = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	k.ip_proto = IPPROTO_TCP;
	memcpy(k.src_ip, (const uint8_t[]){192, 0, 2, 1}, 4);
	memcpy(k.dst_ip, (const uint8_t[]){192, 0, 2, 2}, 4);
	k.l4_src = rte_cpu_to_be_16(33000);
	k.l4_dst = rte_cpu_to_be_16(dport);
	evs_fw_classify_burst(fw, 0, 1, EVS_FW_INGRESS, &kp, 1, &v);
}

START_TEST(test_log_follows_with_cursor)
{
	json_t *r, *e;

	send_tcp(22);
	send_tcp(80);
	send_tcp(23);
	r = rpc_result(&srv, &cn, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"fw.log\"}");
	ck_assert_uint_eq(json_array_size(json_object_get(r, "entries")), 2);
	e = json_array_get(json_object_get(r, "entries"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(e, "src")), "192.0.2.1");
	ck_assert_str_eq(json_string_value(json_object_get(e, "dst")), "192.0.2.2");
	ck_assert_str_eq(json_string_value(json_object_get(e, "direction")), "ingress");
	ck_assert_str_eq(json_string_value(json_object_get(e, "action")), "deny");
	ck_assert_int_eq(json_integer_value(json_object_get(e, "dport")), 22);
	ck_assert_int_eq(json_integer_value(json_object_get(e, "port")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "next")), 2);
	json_decref(r);
	/* Following from 'next' gives only what came after. */
	send_tcp(24);
	r = rpc_result(
	    &srv, &cn,
	    "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"fw.log\",\"params\":{\"since\":2}}");
	ck_assert_uint_eq(json_array_size(json_object_get(r, "entries")), 1);
	e = json_array_get(json_object_get(r, "entries"), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(e, "dport")), 24);
	json_decref(r);
}
END_TEST

START_TEST(test_stats_and_hits)
{
	json_t *r;

	send_tcp(80);
	send_tcp(80);
	send_tcp(1);
	r = rpc_result(&srv, &cn, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"fw.stats\"}");
	ck_assert_int_eq(
	    json_integer_value(json_object_get(json_object_get(r, "counters"), "allow")), 2);
	ck_assert_int_eq(
	    json_integer_value(json_object_get(json_object_get(r, "counters"), "default_deny")), 1);
	json_decref(r);
	r = rpc_result(
	    &srv, &cn,
	    "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"fw.rule.hits\",\"params\":{\"id\":7}}");
	ck_assert_int_eq(json_integer_value(json_object_get(r, "hits")), 2);
	json_decref(r);
	rpc_error(
	    &srv, &cn,
	    "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"fw.rule.hits\",\"params\":{\"id\":9}}",
	    -32001, "/id");
}
END_TEST

void fw_ctl_add_cases(Suite *s)
{
	const struct unit_case cases[] = {
	    {"ctl_log_follows_with_cursor", test_log_follows_with_cursor},
	    {"ctl_stats_and_hits", test_stats_and_hits},
	};

	unit_add_cases(s, cases, RTE_DIM(cases), ctl_setup, ctl_teardown, 0);
}
