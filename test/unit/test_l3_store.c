/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The routing object types on lib/store: transactions build routers, ports,
 * routes and static neighbours in a router set, and the decision sees them;
 * failed transactions change nothing in the set (abort hooks), references
 * keep routes and ports consistent, deletes cascade. Part of the l3 suite.
 */
#include <errno.h>
#include <netinet/in.h>

#include <jansson.h>

#include "evs_l2_schema.h"
#include "evs_l3_schema.h"
#include "l3_test.h"
#include "unit_case.h"
#include "unit_store.h"

static uint16_t ldp_of(const char *name, void *arg)
{
	(void)arg;
	return strcmp(name, "sw-a") == 0 ? 10 : strcmp(name, "sw-b") == 0 ? 20 : 30;
}

struct fixture {
	struct evs_store *st;
	struct evs_l3_set *set;
	struct evs_l3_binding *bd;
};

static struct fixture fx;

/* One transaction on the fixture's store (unit_store.h's "+|-|=type {json}" lines). */
static int txn(const char *const *ops, size_t n, struct evs_ctl_err *err)
{
	return unit_store_txn(fx.st, ops, n, err);
}

static void setup(void)
{
	struct evs_l3_bind b = {.ldp_of = ldp_of,
				.neigh_ops = {l3t_nop_probe, l3t_nop_release, l3t_nop_unreach},
				.socket_id = SOCKET_ID_ANY};

	fx.st = evs_store_create();
	fx.set = evs_l3_set_create(SOCKET_ID_ANY);
	ck_assert_ptr_nonnull(fx.st);
	ck_assert_ptr_nonnull(fx.set);
	ck_assert_int_eq(evs_store_type_add(fx.st, &evs_l2_switch_type, NULL), 0);
	b.set = fx.set;
	fx.bd = evs_l3_store_bind(fx.st, &b);
	ck_assert_ptr_nonnull(fx.bd);

	static const char *const base[] = {
	    "+switch {\"name\": \"sw-a\"}",
	    "+switch {\"name\": \"sw-b\"}",
	    "+router {\"name\": \"r1\", \"max_routes4\": 1000, \"max_routes6\": 1000}",
	    "+router_port {\"name\": \"r1-a\", \"router\": \"r1\", \"switch\": \"sw-a\", "
	    "\"mac\": \"02:00:00:00:01:01\", \"addresses\": [\"10.0.1.1/24\", "
	    "\"2001:db8:1::1/64\"]}",
	    "+router_port {\"name\": \"r1-b\", \"router\": \"r1\", \"switch\": \"sw-b\", "
	    "\"mac\": \"02:00:00:00:01:02\", \"addresses\": [\"10.0.2.1/24\"], \"mtu\": 1400}",
	    "+route {\"router\": \"r1\", \"prefix\": \"0.0.0.0/0\", "
	    "\"nexthops\": [{\"port\": \"r1-b\", \"via\": \"10.0.2.254\"}]}",
	    "+neigh {\"port\": \"r1-b\", \"address\": \"10.0.2.254\", \"mac\": "
	    "\"02:00:00:00:00:fe\"}",
	};
	struct evs_ctl_err err = {0};

	ck_assert_msg(txn(base, RTE_DIM(base), &err) == 0, "%s at %s", err.message, err.path);
}

static void teardown(void)
{
	evs_store_free(fx.st);
	evs_l3_binding_free(fx.bd);
	evs_l3_set_free(fx.set);
}

static struct evs_l3_decision decide_to(const uint8_t dst[4])
{
	struct evs_flow_key k = {.ethertype = RTE_BE16(RTE_ETHER_TYPE_IPV4),
				 .ip_proto = IPPROTO_TCP,
				 .dst_mac = {{0x02, 0, 0, 0, 1, 1}},
				 .src_ip = {10, 0, 1, 5},
				 .ttl_class = 2};
	struct evs_l3_decision d;

	memcpy(k.dst_ip, dst, 4);
	evs_l3_decide(fx.set, 10, &k, false, &d);
	return d;
}

static const uint8_t FAR[4] = {198, 51, 100, 7};

START_TEST(test_store_builds_the_router)
{
	struct evs_l3_decision d = decide_to(FAR);
	struct evs_l3_router *r1 = evs_l3_router_get(fx.set, 0);

	ck_assert_ptr_nonnull(r1);
	ck_assert_int_eq(d.verdict, EVS_L3_FORWARD);
	ck_assert_uint_eq(d.out_ldp, 20);
	ck_assert_uint_eq(d.mtu, 1400);
	ck_assert_uint_eq(d.dst_mac.addr_bytes[5], 0xfe);
	/* 2 local + 2 connected (one per IPv4 subnet) + the default */
	ck_assert_uint_eq(evs_l3_fib_count(evs_l3_router_fib(r1), EVS_L3_IPV4), 5);
	ck_assert_uint_eq(evs_l3_fib_count(evs_l3_router_fib(r1), EVS_L3_IPV6), 2);

	/* route.set: now a reject route */
	static const char *const set[] = {
	    "=route {\"router\": \"r1\", \"prefix\": \"0.0.0.0/0\", \"type\": \"reject\", "
	    "\"reject\": \"admin\", \"nexthops\": null}"};
	struct evs_ctl_err err = {0};
	ck_assert_msg(txn(set, 1, &err) == 0, "%s", err.message);
	d = decide_to(FAR);
	ck_assert_int_eq(d.verdict, EVS_L3_ICMP_ERROR);
	ck_assert_uint_eq(d.icmp_code, 13);
}
END_TEST

START_TEST(test_store_failed_txn_changes_nothing)
{
	struct evs_l3_router *r1 = evs_l3_router_get(fx.set, 0);
	struct evs_l3_fib *fib = evs_l3_router_fib(r1);
	struct evs_ctl_err err = {0};
	uint32_t n4 = evs_l3_fib_count(fib, EVS_L3_IPV4);

	/* good changes then a bad route (host bits): all undone */
	static const char *const bad[] = {
	    "=route {\"router\": \"r1\", \"prefix\": \"0.0.0.0/0\", \"type\": \"blackhole\", "
	    "\"nexthops\": null}",
	    "+route {\"router\": \"r1\", \"prefix\": \"192.0.2.0/24\", \"type\": \"blackhole\"}",
	    "+router {\"name\": \"r2\"}",
	    "+route {\"router\": \"r1\", \"prefix\": \"203.0.113.1/24\", \"type\": \"blackhole\"}",
	};
	ck_assert_int_eq(txn(bad, RTE_DIM(bad), &err), -EINVAL);
	ck_assert_msg(strstr(err.message, "host bits") != NULL, "%s", err.message);
	ck_assert_uint_eq(evs_l3_fib_count(fib, EVS_L3_IPV4), n4);
	ck_assert_ptr_null(evs_l3_router_get(fx.set, 1));
	ck_assert_int_eq(decide_to(FAR).verdict, EVS_L3_FORWARD);

	/* a subnet the router has already: the port is refused, routes unchanged */
	static const char *const dup[] = {
	    "+router_port {\"name\": \"r1-c\", \"router\": \"r1\", \"switch\": \"sw-a\", "
	    "\"mac\": \"02:00:00:00:01:03\", \"addresses\": [\"10.0.1.9/24\"]}"};
	ck_assert_int_eq(txn(dup, 1, &err), -EEXIST);
	ck_assert_uint_eq(evs_l3_fib_count(fib, EVS_L3_IPV4), n4);
	ck_assert_uint_eq(evs_l3_port_count(r1), 2);

	/* a next hop on another router's port; a gateway of the other family; no next hop */
	static const char *const other[] = {
	    "+router {\"name\": \"r2\"}",
	    "+router_port {\"name\": \"r2-a\", \"router\": \"r2\", \"switch\": \"sw-a\", "
	    "\"mac\": \"02:00:00:00:02:01\", \"addresses\": [\"10.0.1.1/24\"]}",
	    "+route {\"router\": \"r1\", \"prefix\": \"192.0.2.0/24\", "
	    "\"nexthops\": [{\"port\": \"r2-a\"}]}"};
	ck_assert_int_eq(txn(other, RTE_DIM(other), &err), -EINVAL);
	ck_assert_ptr_null(evs_l3_router_get(fx.set, 1));
	static const char *const fam[] = {
	    "+route {\"router\": \"r1\", \"prefix\": \"192.0.2.0/24\", "
	    "\"nexthops\": [{\"port\": \"r1-b\", \"via\": \"2001:db8::1\"}]}"};
	ck_assert_int_eq(txn(fam, 1, &err), -EINVAL);
	static const char *const none[] = {
	    "+route {\"router\": \"r1\", \"prefix\": \"192.0.2.0/24\"}"};
	ck_assert_int_eq(txn(none, 1, &err), -EINVAL);
	ck_assert_uint_eq(evs_l3_fib_count(fib, EVS_L3_IPV4), n4);
}
END_TEST

/* A route for a prefix the router has as a connected route is refused; the
 * undo must not take the connected route with it. */
START_TEST(test_store_route_on_connected_prefix_keeps_it)
{
	struct evs_l3_router *r1 = evs_l3_router_get(fx.set, 0);
	struct evs_l3_fib *fib = evs_l3_router_fib(r1);
	static const uint8_t host_a[4] = {10, 0, 1, 5}, host_b[4] = {10, 0, 2, 9};
	struct evs_l3_prefix pfx = {.len = 24};
	struct evs_l3_route_spec spec;
	struct evs_ctl_err err = {0};
	uint32_t n4 = evs_l3_fib_count(fib, EVS_L3_IPV4);

	static const char *const bad[] = {
	    "+route {\"router\": \"r1\", \"prefix\": \"192.0.2.0/24\", \"type\": \"blackhole\"}",
	    "+route {\"router\": \"r1\", \"prefix\": \"10.0.2.0/24\", \"type\": \"blackhole\"}",
	    "+route {\"router\": \"r1\", \"prefix\": \"10.0.1.0/24\", \"type\": \"blackhole\"}"};
	ck_assert_int_eq(txn(bad, RTE_DIM(bad), &err), -EEXIST);
	ck_assert_msg(strstr(err.message, "connected") != NULL, "%s", err.message);
	ck_assert_uint_eq(evs_l3_fib_count(fib, EVS_L3_IPV4), n4);
	pfx.addr.family = EVS_L3_IPV4;
	memcpy(pfx.addr.b, host_b, 3);
	ck_assert_int_eq(evs_l3_route_get(fib, &pfx, &spec), 0);
	ck_assert_int_ne(spec.type, EVS_L3_ROUTE_BLACKHOLE);
	memcpy(pfx.addr.b, host_a, 3);
	ck_assert_int_eq(evs_l3_route_get(fib, &pfx, &spec), 0);
	/* still connected: the hosts are resolved on their switch, not dropped */
	ck_assert_int_eq(spec.type, EVS_L3_ROUTE_FORWARD);
	ck_assert_int_eq(decide_to(host_a).verdict, EVS_L3_RESOLVE);
	ck_assert_int_eq(decide_to(host_b).verdict, EVS_L3_RESOLVE);
}
END_TEST

START_TEST(test_store_references_and_cascade)
{
	struct evs_ctl_err err = {0};

	/* the port a route uses cannot go; the router can, with everything */
	static const char *const delport[] = {"-router_port {\"name\": \"r1-b\"}"};
	ck_assert_int_eq(txn(delport, 1, &err), -EBUSY);
	ck_assert_int_eq(decide_to(FAR).verdict, EVS_L3_FORWARD);
	static const char *const delroute[] = {
	    "-route {\"router\": \"r1\", \"prefix\": \"0.0.0.0/0\"}",
	    "-router_port {\"name\": \"r1-b\"}"};
	ck_assert_msg(txn(delroute, 2, &err) == 0, "%s", err.message);
	ck_assert_uint_eq(evs_l3_port_count(evs_l3_router_get(fx.set, 0)), 1);
	ck_assert_int_eq(decide_to(FAR).verdict, EVS_L3_ICMP_ERROR); /* no route */

	/* a leaked route to r2 keeps r2; deleting r1 takes its ports, routes, neighbours */
	static const char *const leak[] = {
	    "+router {\"name\": \"r2\"}",
	    "+route {\"router\": \"r1\", \"prefix\": \"172.16.0.0/12\", \"type\": \"vrf\", "
	    "\"vrf\": \"r2\"}"};
	ck_assert_msg(txn(leak, 2, &err) == 0, "%s", err.message);
	static const char *const del2[] = {"-router {\"name\": \"r2\"}"};
	ck_assert_int_eq(txn(del2, 1, &err), -EBUSY);
	static const char *const del1[] = {"-router {\"name\": \"r1\"}"};
	ck_assert_msg(txn(del1, 1, &err) == 0, "%s", err.message);
	ck_assert_ptr_null(evs_l3_router_get(fx.set, 0));
	ck_assert_uint_eq(evs_store_count(fx.st, "router_port"), 0);
	ck_assert_uint_eq(evs_store_count(fx.st, "route"), 0);
	ck_assert_uint_eq(evs_store_count(fx.st, "neigh"), 0);
	ck_assert_int_eq(decide_to(FAR).verdict, EVS_L3_NOT_MINE);

	/* sizes are fixed once made */
	static const char *const grow[] = {"=router {\"name\": \"r2\", \"max_routes4\": 9}"};
	ck_assert_int_eq(txn(grow, 1, &err), -ENOTSUP);
}
END_TEST

static const char *jstr(const json_t *o, const char *path1, const char *f)
{
	return json_string_value(json_object_get(path1 ? json_object_get(o, path1) : o, f));
}

/* route.get's answer, like `ip route get` */
START_TEST(test_store_route_lookup_json)
{
	struct evs_l3_addr a = {.family = EVS_L3_IPV4, .b = {198, 51, 100, 7}};
	json_t *j = evs_l3_route_lookup_json(fx.st, fx.set, 0, &a);

	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(jstr(j, NULL, "address"), "198.51.100.7");
	ck_assert_str_eq(jstr(j, NULL, "router"), "r1");
	ck_assert_str_eq(jstr(j, "route", "prefix"), "0.0.0.0/0");
	ck_assert_str_eq(jstr(j, "route", "type"), "forward");
	ck_assert_str_eq(jstr(j, "nexthop", "port"), "r1-b");
	ck_assert_str_eq(jstr(j, "nexthop", "via"), "10.0.2.254");
	ck_assert_str_eq(jstr(j, "nexthop", "state"), "static");
	ck_assert_str_eq(jstr(j, "nexthop", "mac"), "02:00:00:00:00:fe");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "mask_len")), 1);
	json_decref(j);

	/* a gateway address is local; an on-link host has no neighbour yet */
	struct evs_l3_addr gw = {.family = EVS_L3_IPV4, .b = {10, 0, 1, 1}};
	j = evs_l3_route_lookup_json(fx.st, fx.set, 0, &gw);
	ck_assert_str_eq(jstr(j, "route", "type"), "local");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "mask_len")), 32);
	json_decref(j);
	gw.b[3] = 9;
	j = evs_l3_route_lookup_json(fx.st, fx.set, 0, &gw);
	ck_assert_str_eq(jstr(j, "route", "prefix"), "10.0.1.0/24");
	ck_assert_str_eq(jstr(j, "nexthop", "on_link"), "10.0.1.9");
	ck_assert_str_eq(jstr(j, "nexthop", "state"), "none");
	json_decref(j);

	/* IPv6 without a default route: none */
	struct evs_l3_addr v6 = {.family = EVS_L3_IPV6, .b = {0x20, 0x01, 0x0d, 0xb9}};
	j = evs_l3_route_lookup_json(fx.st, fx.set, 0, &v6);
	ck_assert(json_is_null(json_object_get(j, "route")));
	json_decref(j);
	ck_assert_ptr_null(evs_l3_route_lookup_json(fx.st, fx.set, 7, &v6));
}
END_TEST

/* Routes and neighbours are prepared in runs of 512 (prepare_sliced): a
 * transaction of 1,500 routes that fills the table in its second run undoes
 * the first run's routes too; one of 990 routes and 600 neighbours lands. */
START_TEST(test_store_sliced_prepare_routes)
{
	struct evs_l3_fib *fib = evs_l3_router_fib(evs_l3_router_get(fx.set, 0));
	uint32_t n4 = evs_l3_fib_count(fib, EVS_L3_IPV4);
	struct evs_store_txn *t;
	struct evs_ctl_err err = {0};
	char js[160];
	json_error_t je;
	int rc = 0;

	ck_assert(evs_l3_route_type.prepare_sliced && evs_l3_neigh_type.prepare_sliced);
	for (int round = 0; round < 2; round++) {
		unsigned int n = round == 0 ? 1500 : 990;

		t = evs_store_txn_begin(fx.st);
		ck_assert_ptr_nonnull(t);
		for (unsigned int i = 0; i < n && rc == 0; i++) {
			snprintf(js, sizeof(js),
				 "{\"router\": \"r1\", \"prefix\": \"100.%u.%u.0/24\", "
				 "\"type\": \"blackhole\"}",
				 i >> 8, i & 255);
			rc = evs_store_txn_op(t, EVS_STORE_ADD, "route", json_loads(js, 0, &je),
					      "/op", &err);
		}
		for (unsigned int i = 0; round == 1 && i < 600 && rc == 0; i++) {
			snprintf(js, sizeof(js),
				 "{\"port\": \"r1-a\", \"address\": \"2001:db8:1::%x\", "
				 "\"mac\": \"02:00:00:00:%02x:%02x\"}",
				 i + 2, 0x10 + (i >> 8), i & 255);
			rc = evs_store_txn_op(t, EVS_STORE_ADD, "neigh", json_loads(js, 0, &je),
					      "/op", &err);
		}
		ck_assert_msg(rc == 0, "%s at %s", err.message, err.path);
		rc = evs_store_txn_commit(t, &err);
		if (round == 0) {
			ck_assert_int_eq(rc, -ENOSPC);
			ck_assert_msg(strstr(err.path, "/op") != NULL, "%s", err.path);
			ck_assert_uint_eq(evs_l3_fib_count(fib, EVS_L3_IPV4), n4);
			ck_assert_uint_eq(evs_store_count(fx.st, "route"), 1);
			rc = 0;
		} else {
			ck_assert_msg(rc == 0, "%s at %s", err.message, err.path);
			ck_assert_uint_eq(evs_l3_fib_count(fib, EVS_L3_IPV4), n4 + 990);
			ck_assert_uint_eq(evs_store_count(fx.st, "neigh"), 601);
		}
	}
}
END_TEST

void l3_store_add_cases(Suite *s)
{
	const struct unit_case cases[] = {
	    {"store_builds_the_router", test_store_builds_the_router},
	    {"store_failed_txn_changes_nothing", test_store_failed_txn_changes_nothing},
	    {"store_route_on_connected_prefix_keeps_it", test_store_route_on_connected_prefix_keeps_it},
	    {"store_references_and_cascade", test_store_references_and_cascade},
	    {"store_route_lookup_json", test_store_route_lookup_json},
	    {"store_sliced_prepare_routes", test_store_sliced_prepare_routes},
	};

	unit_add_cases(s, cases, RTE_DIM(cases), setup, teardown, 0);
}
