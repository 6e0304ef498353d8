/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/l2: conf snapshots and the MAC table (learning, aging,
 * moves, statics, capacity, flush, grace periods, and a naive reference
 * model on random operations). The forwarding stage is in test_l2_fwd.c;
 * this file holds the suite's main. Time is injected; nothing sleeps.
 */
#include <check.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>

#include "l2_test.h"
#include "unit_case.h"
#include "unit_eal.h"

#define READER_ID 1

/* ---- conf ---- */

START_TEST(test_conf_maps)
{
	struct evs_l2_conf *c = std_conf();
	enum evs_l2_drop why;
	uint16_t blue, red, small, i;
	const struct evs_l2_member *m;
	const struct evs_l2_switch_info *s;

	blue = evs_l2_conf_switch_index(c, 10);
	red = evs_l2_conf_switch_index(c, 20);
	small = evs_l2_conf_switch_index(c, 30);
	ck_assert_uint_ne(blue, EVS_L2_NONE);
	ck_assert_uint_eq(evs_l2_conf_switch_index(c, 11), EVS_L2_NONE);
	ck_assert_uint_eq(evs_l2_conf_switch_index(c, 60000), EVS_L2_NONE);
	ck_assert_str_eq(c->switches[blue].name, "blue");
	ck_assert_uint_eq(c->switches[blue].aging_s, EVS_L2_DEFAULT_AGING);
	ck_assert_uint_eq(c->switches[red].aging_s, 60);

	/* ingress: access, trunk, priority tag, unknown VLAN, no native, absent port */
	ck_assert_uint_eq(evs_l2_ingress_switch(c, 0, 0, &why), blue);
	ck_assert_uint_eq(evs_l2_ingress_switch(c, 0, EVS_VLAN_PRESENT | 0xe000, &why), blue);
	ck_assert_uint_eq(evs_l2_ingress_switch(c, 0, EVS_VLAN_PRESENT | 100, &why), EVS_L2_NONE);
	ck_assert_int_eq(why, EVS_L2_DROP_VLAN_NOT_MEMBER);
	ck_assert_uint_eq(evs_l2_ingress_switch(c, 2, EVS_VLAN_PRESENT | 100, &why), blue);
	ck_assert_uint_eq(evs_l2_ingress_switch(c, 2, EVS_VLAN_PRESENT | 200, &why), red);
	ck_assert_uint_eq(evs_l2_ingress_switch(c, 2, EVS_VLAN_PRESENT | 201, &why), EVS_L2_NONE);
	ck_assert_int_eq(why, EVS_L2_DROP_VLAN_NOT_MEMBER);
	ck_assert_uint_eq(evs_l2_ingress_switch(c, 2, 0, &why), EVS_L2_NONE);
	ck_assert_int_eq(why, EVS_L2_DROP_NO_SWITCH);
	ck_assert_uint_eq(evs_l2_ingress_switch(c, 3, 0, &why), red);
	ck_assert_uint_eq(evs_l2_ingress_switch(c, 3, EVS_VLAN_PRESENT | 100, &why), blue);
	ck_assert_uint_eq(evs_l2_ingress_switch(c, 9, 0, &why), EVS_L2_NONE);
	ck_assert_int_eq(why, EVS_L2_DROP_NO_SWITCH);
	ck_assert_uint_eq(evs_l2_ingress_switch(c, 1000, 0, &why), EVS_L2_NONE);

	/* egress */
	ck_assert_uint_eq(evs_l2_egress_tci(c, 0, blue), 0);
	ck_assert_uint_eq(evs_l2_egress_tci(c, 0, red), EVS_L2_NONE);
	ck_assert_uint_eq(evs_l2_egress_tci(c, 2, blue), EVS_VLAN_PRESENT | 100);
	ck_assert_uint_eq(evs_l2_egress_tci(c, 2, red), EVS_VLAN_PRESENT | 200);
	ck_assert_uint_eq(evs_l2_egress_tci(c, 2, small), EVS_L2_NONE);
	ck_assert_uint_eq(evs_l2_egress_tci(c, 3, red), 0);
	ck_assert_uint_eq(evs_l2_egress_tci(c, 3, blue), EVS_VLAN_PRESENT | 100);
	ck_assert_uint_eq(evs_l2_egress_tci(c, 9, blue), EVS_L2_NONE);
	ck_assert(evs_l2_port_usable(c, 0));
	ck_assert(!evs_l2_port_usable(c, 5));
	ck_assert(!evs_l2_port_usable(c, 9));

	/* flood list of blue: ports 0, 1, 2 (tag 100), 3 (tag 100); 5 is down */
	s = &c->switches[blue];
	ck_assert_uint_eq(s->nb_members, 4);
	m = &c->members[s->members_off];
	ck_assert_uint_eq(m[0].port, 0);
	ck_assert_uint_eq(m[0].tci, 0);
	ck_assert_uint_eq(m[1].port, 1);
	ck_assert_uint_eq(m[2].port, 2);
	ck_assert_uint_eq(m[2].tci, EVS_VLAN_PRESENT | 100);
	ck_assert_uint_eq(m[3].port, 3);
	ck_assert_uint_eq(m[3].tci, EVS_VLAN_PRESENT | 100);
	for (i = 0; i < c->nb_switches; i++)
		ck_assert_uint_le(c->switches[i].nb_members, c->max_flood);
	ck_assert_uint_eq(c->max_flood, 4);
	evs_l2_conf_free(c);
	evs_l2_conf_free(NULL);
}
END_TEST

static void expect_bad(const struct evs_l2_conf_spec *spec, const char *field)
{
	char err[160] = "";
	struct evs_l2_conf *c = evs_l2_conf_build(spec, err, sizeof(err));

	ck_assert_msg(c == NULL, "accepted a bad spec (%s)", field);
	ck_assert_int_eq(rte_errno, EINVAL);
	ck_assert_msg(strstr(err, field) != NULL, "error '%s' does not name '%s'", err, field);
}

START_TEST(test_conf_errors)
{
	struct evs_l2_switch_spec sw[2] = {{.id = 1}, {.id = 2}};
	struct evs_l2_vlan_map vl[2] = {{10, 1}, {11, 2}};
	struct evs_l2_port_spec p[2] = {{.port = 0, .nb_vlans = 2, .vlans = vl},
					{.port = 1, .has_native = true, .native_switch = 2}};
	struct evs_l2_conf_spec spec = {2, sw, 2, p, SOCKET_ID_ANY};
	struct evs_l2_conf *c;

	c = evs_l2_conf_build(&spec, NULL, 0);
	ck_assert_ptr_nonnull(c);
	evs_l2_conf_free(c);

	sw[1].id = 1;
	expect_bad(&spec, "switches[1].id");
	sw[1].id = EVS_L2_MAX_SWITCHES;
	expect_bad(&spec, "switches[1].id");
	sw[1].id = 2;
	p[1].port = 0;
	expect_bad(&spec, "ports[1].port");
	p[1].port = EVS_L2_MAX_PORTS;
	expect_bad(&spec, "ports[1].port");
	p[1].port = 1;
	p[1].native_switch = 3;
	expect_bad(&spec, "ports[1].native_switch");
	p[1].native_switch = 2;
	vl[1].vid = 10;
	expect_bad(&spec, "ports[0].vlans[1].vid");
	vl[1].vid = 0;
	expect_bad(&spec, "ports[0].vlans[1].vid");
	vl[1].vid = 4095;
	expect_bad(&spec, "ports[0].vlans[1].vid");
	vl[1].vid = 11;
	vl[1].switch_id = 7;
	expect_bad(&spec, "ports[0].vlans[1].switch_id");
	/* one switch twice on a port: as VLAN and VLAN, or as native and VLAN */
	vl[1].switch_id = 1;
	expect_bad(&spec, "ports[0].vlans[1]");
	vl[1].switch_id = 2;
	p[0].has_native = true;
	p[0].native_switch = 2;
	expect_bad(&spec, "ports[0].vlans[1]");
	p[0].has_native = false;
	p[0].vlans = NULL;
	expect_bad(&spec, "ports[0].vlans");
	p[0].vlans = vl;
	spec.ports = NULL;
	expect_bad(&spec, "ports");
	ck_assert_ptr_null(evs_l2_conf_build(NULL, NULL, 0));
	ck_assert_int_eq(rte_errno, EINVAL);

	/* empty is fine */
	memset(&spec, 0, sizeof(spec));
	c = evs_l2_conf_build(&spec, NULL, 0);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(c->max_flood, 0);
	evs_l2_conf_free(c);
}
END_TEST

/* ---- MAC table ---- */

START_TEST(test_macs_create_errors)
{
	struct evs_l2_macs_config cfg = {.name = "x", .capacity = 8, .qsbr = qsbr};
	struct evs_l2_macs *a, *b;
	struct evs_l2_lcore_config lcfg = {0};

	cfg.qsbr = NULL;
	ck_assert_ptr_null(evs_l2_macs_create(&cfg));
	ck_assert_int_eq(rte_errno, EINVAL);
	cfg.qsbr = qsbr;
	cfg.capacity = 0;
	ck_assert_ptr_null(evs_l2_macs_create(&cfg));
	cfg.capacity = 8;
	cfg.name = "a-name-much-too-long-for-dpdk";
	ck_assert_ptr_null(evs_l2_macs_create(&cfg));
	cfg.name = "dup";
	a = evs_l2_macs_create(&cfg);
	ck_assert_ptr_nonnull(a);
	rte_log_set_global_level(RTE_LOG_CRIT); /* the hash library logs the clash */
	b = evs_l2_macs_create(&cfg);
	rte_log_set_global_level(RTE_LOG_ERR);
	ck_assert_ptr_null(b);
	ck_assert_int_eq(rte_errno, EEXIST);
	ck_assert_ptr_null(evs_l2_lcore_create(&lcfg));
	ck_assert_int_eq(rte_errno, EINVAL);
	evs_l2_macs_free(a);
	evs_l2_macs_free(NULL);
	evs_l2_lcore_free(NULL);
}
END_TEST

START_TEST(test_macs_learning)
{
	struct fixture fx;
	struct evs_l2_mac_info info;
	struct rte_ether_addr a = mac_n(1);
	struct evs_l2_out out[8];
	uint16_t n;

	fx_init(&fx, 64, 0);
	/* first frame: an event, learned at poll */
	evs_l2_lcore_set_time(fx.lc, 1000);
	n = fwd1(fx.conf, fx.macs, fx.lc, frame(&BCAST, &a, -1), 0, out, 8);
	free_outs(out, n);
	ck_assert_uint_eq(lstats(fx.lc).learn_events, 1);
	ck_assert_int_eq(mac_port(fx.macs, 10, 1, 1000), -1);
	/* a second frame in the same second is filtered: one event only */
	n = fwd1(fx.conf, fx.macs, fx.lc, frame(&BCAST, &a, -1), 0, out, 8);
	free_outs(out, n);
	ck_assert_uint_eq(lstats(fx.lc).learn_events, 1);
	ck_assert_int_eq(evs_l2_macs_poll(fx.macs, fx.conf, 1000), 1);
	ck_assert_int_eq(mac_port(fx.macs, 10, 1, 1000), 0);
	ck_assert_uint_eq(mstats(fx.macs).learned, 1);
	ck_assert_uint_eq(evs_l2_macs_count(fx.macs), 1);
	ck_assert_uint_eq(evs_l2_macs_count_switch(fx.macs, 10), 1);
	ck_assert_uint_eq(evs_l2_macs_count_switch(fx.macs, 20), 0);
	/* same MAC in another switch is another entry */
	learn_via(fx.conf, fx.macs, fx.lc, 1, 4, -1, 1000);
	ck_assert_int_eq(mac_port(fx.macs, 20, 1, 1000), 4);
	ck_assert_uint_eq(evs_l2_macs_count(fx.macs), 2);
	/* known source on the same port: a refresh, no event */
	evs_l2_lcore_set_time(fx.lc, 1010);
	n = fwd1(fx.conf, fx.macs, fx.lc, frame(&BCAST, &a, -1), 0, out, 8);
	free_outs(out, n);
	ck_assert_uint_eq(lstats(fx.lc).learn_events, 2);
	ck_assert_uint_eq(lstats(fx.lc).refreshed, 1);
	ck_assert_int_eq(evs_l2_macs_lookup(fx.macs, 10, &a, 1015, &info), 0);
	ck_assert_uint_eq(info.age_s, 5);
	ck_assert(!info.is_static);
	ck_assert_uint_eq(info.switch_id, 10);
	ck_assert(rte_is_same_ether_addr(&info.mac, &a));
	/* again in the same second: no store */
	n = fwd1(fx.conf, fx.macs, fx.lc, frame(&BCAST, &a, -1), 0, out, 8);
	free_outs(out, n);
	ck_assert_uint_eq(lstats(fx.lc).refreshed, 1);
	/* multicast and zero sources are never learned */
	{
		struct rte_ether_addr zero = {{0}};

		n = fwd1(fx.conf, fx.macs, fx.lc, frame(&BCAST, &zero, -1), 0, out, 8);
		free_outs(out, n);
		ck_assert_uint_eq(lstats(fx.lc).learn_events, 2);
	}
	fx_fini(&fx);
}
END_TEST

START_TEST(test_macs_aging)
{
	struct fixture fx;
	struct rte_ether_addr a = mac_n(1);
	struct evs_l2_out out[8];
	uint16_t n;

	fx_init(&fx, 64, 0);
	learn_via(fx.conf, fx.macs, fx.lc, 1, 0, -1, 1000); /* blue: 300 s */
	learn_via(fx.conf, fx.macs, fx.lc, 2, 4, -1, 1000); /* red: 60 s */
	learn_via(fx.conf, fx.macs, fx.lc, 3, 1, -1, 1000); /* blue, refreshed below */
	ck_assert_uint_eq(evs_l2_macs_count(fx.macs), 3);
	evs_l2_macs_poll(fx.macs, fx.conf, 1060);
	ck_assert_int_eq(mac_port(fx.macs, 20, 2, 1060), 4); /* idle 60: not more than 60 */
	evs_l2_macs_poll(fx.macs, fx.conf, 1061);
	ck_assert_int_eq(mac_port(fx.macs, 20, 2, 1061), -1);
	ck_assert_uint_eq(mstats(fx.macs).aged, 1);
	/* traffic keeps MAC 3 alive */
	{
		struct rte_ether_addr m3 = mac_n(3);

		evs_l2_lcore_set_time(fx.lc, 1200);
		n = fwd1(fx.conf, fx.macs, fx.lc, frame(&BCAST, &m3, -1), 1, out, 8);
		free_outs(out, n);
	}
	evs_l2_macs_poll(fx.macs, fx.conf, 1300);
	ck_assert_int_eq(mac_port(fx.macs, 10, 1, 1300), 0);
	evs_l2_macs_poll(fx.macs, fx.conf, 1301);
	ck_assert_int_eq(mac_port(fx.macs, 10, 1, 1301), -1);
	ck_assert_int_eq(mac_port(fx.macs, 10, 3, 1301), 1);
	evs_l2_macs_poll(fx.macs, fx.conf, 1501);
	ck_assert_int_eq(mac_port(fx.macs, 10, 3, 1501), -1);
	ck_assert_uint_eq(mstats(fx.macs).aged, 3);
	ck_assert_uint_eq(evs_l2_macs_count(fx.macs), 0);
	/* an aged MAC is flooded to again and re-learned */
	{
		struct rte_ether_addr m5 = mac_n(5);

		evs_l2_lcore_set_time(fx.lc, 1501);
		n = fwd1(fx.conf, fx.macs, fx.lc, frame(&a, &m5, -1), 1, out, 8);
		ck_assert_uint_eq(n, 3);
		free_outs(out, n);
	}
	learn_via(fx.conf, fx.macs, fx.lc, 1, 0, -1, 1501);
	ck_assert_int_eq(mac_port(fx.macs, 10, 1, 1501), 0);
	fx_fini(&fx);
}
END_TEST

START_TEST(test_macs_aging_incremental)
{
	/* a small per-poll budget still ages everything within a few polls */
	struct evs_l2_macs_config cfg = {
	    .name = "inc", .capacity = 100, .qsbr = qsbr, .age_scan_per_poll = 50};
	struct evs_l2_conf *conf = std_conf();
	struct evs_l2_macs *macs = evs_l2_macs_create(&cfg);
	struct evs_l2_lcore *lc;
	struct evs_flow_key keys[32];
	unsigned int i, polls = 0;

	ck_assert_ptr_nonnull(macs);
	lc = new_lcore(macs, NULL, 10);
	memset(keys, 0, sizeof(keys));
	for (i = 0; i < 32; i++) {
		keys[i].in_port = 0;
		keys[i].src_mac = mac_n(i);
	}
	evs_l2_learn_burst(conf, macs, lc, keys, 32);
	evs_l2_macs_poll(macs, conf, 10);
	ck_assert_uint_eq(evs_l2_macs_count(macs), 32);
	while (evs_l2_macs_count(macs) > 0 && polls < 10) {
		evs_l2_macs_poll(macs, conf, 10 + EVS_L2_DEFAULT_AGING + 1);
		polls++;
	}
	ck_assert_uint_eq(evs_l2_macs_count(macs), 0);
	ck_assert_uint_le(polls, 200 / 50); /* nb_slots = 2 * capacity */
	ck_assert_uint_ge(polls, 2);
	evs_l2_lcore_free(lc);
	evs_l2_macs_free(macs);
	evs_l2_conf_free(conf);
}
END_TEST

START_TEST(test_macs_move)
{
	struct fixture fx;
	struct rte_ether_addr a = mac_n(1), b = mac_n(2);
	struct evs_l2_out out[8];
	uint16_t n;

	fx_init(&fx, 64, 0);
	learn_via(fx.conf, fx.macs, fx.lc, 1, 0, -1, 1000);
	learn_via(fx.conf, fx.macs, fx.lc, 2, 1, -1, 1000);
	/* A appears on trunk port 2, VLAN 100 (same switch) */
	learn_via(fx.conf, fx.macs, fx.lc, 1, 2, 100, 1001);
	ck_assert_int_eq(mac_port(fx.macs, 10, 1, 1001), 2);
	ck_assert_uint_eq(mstats(fx.macs).moved, 1);
	ck_assert_uint_eq(evs_l2_macs_count(fx.macs), 2);
	/* and traffic to A follows, tagged for the trunk */
	n = fwd1(fx.conf, fx.macs, fx.lc, frame(&a, &b, -1), 1, out, 8);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(out[0].port, 2);
	ck_assert_int_eq(out_tci(out[0].m), 100);
	free_outs(out, n);
	/* and back, within the same second on the same lcore: not filtered */
	learn_via(fx.conf, fx.macs, fx.lc, 1, 0, -1, 1001);
	ck_assert_int_eq(mac_port(fx.macs, 10, 1, 1001), 0);
	ck_assert_uint_eq(mstats(fx.macs).moved, 2);
	fx_fini(&fx);
}
END_TEST

START_TEST(test_macs_static)
{
	struct fixture fx;
	struct rte_ether_addr a = mac_n(1), b = mac_n(2), zero = {{0}};
	struct evs_l2_mac_info info;
	struct evs_l2_out out[8];
	uint16_t n;

	fx_init(&fx, 64, 0);
	ck_assert_int_eq(evs_l2_macs_add_static(fx.macs, 10, &a, 0, 1000), 0);
	ck_assert_int_eq(evs_l2_macs_lookup(fx.macs, 10, &a, 5000, &info), 0);
	ck_assert(info.is_static);
	ck_assert_uint_eq(info.age_s, 0);
	/* seen on another port: not moved, no event even */
	evs_l2_lcore_set_time(fx.lc, 1001);
	n = fwd1(fx.conf, fx.macs, fx.lc, frame(&BCAST, &a, -1), 1, out, 8);
	free_outs(out, n);
	ck_assert_uint_eq(lstats(fx.lc).learn_events, 0);
	evs_l2_macs_poll(fx.macs, fx.conf, 1001);
	ck_assert_int_eq(mac_port(fx.macs, 10, 1, 1001), 0);
	/* never aged */
	evs_l2_macs_poll(fx.macs, fx.conf, 1000000);
	ck_assert_int_eq(mac_port(fx.macs, 10, 1, 1000000), 0);
	ck_assert_uint_eq(mstats(fx.macs).aged, 0);
	/* a dynamic entry becomes static, and may point anywhere */
	learn_via(fx.conf, fx.macs, fx.lc, 2, 1, -1, 2000);
	ck_assert_int_eq(evs_l2_macs_add_static(fx.macs, 10, &b, 2, 2000), 0);
	ck_assert_int_eq(evs_l2_macs_lookup(fx.macs, 10, &b, 2000, &info), 0);
	ck_assert(info.is_static);
	ck_assert_uint_eq(info.port, 2);
	ck_assert_uint_eq(evs_l2_macs_count(fx.macs), 2);
	/* invalid */
	ck_assert_int_eq(evs_l2_macs_add_static(fx.macs, 10, &MCAST, 0, 0), -EINVAL);
	ck_assert_int_eq(evs_l2_macs_add_static(fx.macs, 10, &zero, 0, 0), -EINVAL);
	ck_assert_int_eq(evs_l2_macs_add_static(fx.macs, EVS_L2_MAX_SWITCHES, &a, 0, 0), -EINVAL);
	ck_assert_int_eq(evs_l2_macs_add_static(fx.macs, 10, &a, EVS_L2_MAX_PORTS, 0), -EINVAL);
	/* delete */
	ck_assert_int_eq(evs_l2_macs_del(fx.macs, 10, &a), 0);
	ck_assert_int_eq(evs_l2_macs_del(fx.macs, 10, &a), -ENOENT);
	ck_assert_int_eq(mac_port(fx.macs, 10, 1, 2000), -1);
	/* re-learned as dynamic after deletion (the learn filter does not hide it) */
	learn_via(fx.conf, fx.macs, fx.lc, 1, 1, -1, 2000);
	ck_assert_int_eq(mac_port(fx.macs, 10, 1, 2000), 1);
	fx_fini(&fx);
}
END_TEST

START_TEST(test_macs_capacity)
{
	struct fixture fx;
	struct evs_flow_key keys[8];
	struct rte_ether_addr a = mac_n(100);
	unsigned int i;

	fx_init(&fx, 5, 0);
	/* switch 30 holds 2 MACs at most */
	memset(keys, 0, sizeof(keys));
	for (i = 0; i < 3; i++) {
		keys[i].in_port = 7;
		keys[i].src_mac = mac_n(i);
	}
	evs_l2_learn_burst(fx.conf, fx.macs, fx.lc, keys, 3);
	evs_l2_macs_poll(fx.macs, fx.conf, 1000);
	ck_assert_uint_eq(evs_l2_macs_count_switch(fx.macs, 30), 2);
	ck_assert_uint_eq(mstats(fx.macs).refused_full, 1);
	/* table capacity 5 */
	for (i = 0; i < 5; i++) {
		keys[i].in_port = 0;
		keys[i].src_mac = mac_n(10 + i);
	}
	evs_l2_learn_burst(fx.conf, fx.macs, fx.lc, keys, 5);
	evs_l2_macs_poll(fx.macs, fx.conf, 1000);
	ck_assert_uint_eq(evs_l2_macs_count(fx.macs), 5);
	ck_assert_uint_eq(mstats(fx.macs).refused_full, 3);
	ck_assert_uint_eq(mstats(fx.macs).learned, 5);
	/* statics need room too */
	ck_assert_int_eq(evs_l2_macs_add_static(fx.macs, 10, &a, 0, 1000), -ENOSPC);
	/* deleting makes room (no reader holds the slot: immediate reuse) */
	ck_assert_uint_eq(evs_l2_macs_flush_switch(fx.macs, 30, false), 2);
	ck_assert_int_eq(evs_l2_macs_add_static(fx.macs, 10, &a, 0, 1000), 0);
	fx_fini(&fx);
}
END_TEST

START_TEST(test_macs_ring_full)
{
	struct fixture fx;
	struct rte_mbuf *pkts[32];
	struct evs_flow_key keys[32];
	struct evs_l2_out out[32 * 4];
	struct evs_l2_lcore_stats ls;
	struct rte_ether_addr b = mac_n(999);
	uint16_t i, n;

	fx_init(&fx, 64, 4);
	learn_via(fx.conf, fx.macs, fx.lc, 999, 1, -1, 1000);
	for (i = 0; i < 32; i++) {
		struct rte_ether_addr s = mac_n(i);

		pkts[i] = frame(&b, &s, -1);
		mk_key(pkts[i], 0, &keys[i]);
	}
	n = evs_l2_forward_burst(fx.conf, fx.macs, fx.lc, pkts, keys, 32, out, RTE_DIM(out));
	/* frames are forwarded even though their learn events were lost */
	ck_assert_uint_eq(n, 32);
	for (i = 0; i < n; i++)
		ck_assert_uint_eq(out[i].port, 1);
	free_outs(out, n);
	ls = lstats(fx.lc);
	ck_assert_uint_eq(ls.learn_events, 1 + 4);
	ck_assert_uint_eq(ls.drops[EVS_L2_DROP_LEARN_FULL], 28);
	ck_assert_uint_eq(mstats(fx.macs).ring_full, 28);
	evs_l2_macs_poll(fx.macs, fx.conf, 1000);
	ck_assert_uint_eq(evs_l2_macs_count(fx.macs), 1 + 4);
	/* the lost ones are reported again by the next frames, same second */
	for (i = 0; i < 32; i++) {
		struct rte_ether_addr s = mac_n(i);

		pkts[i] = frame(&b, &s, -1);
		mk_key(pkts[i], 0, &keys[i]);
	}
	n = evs_l2_forward_burst(fx.conf, fx.macs, fx.lc, pkts, keys, 32, out, RTE_DIM(out));
	free_outs(out, n);
	ck_assert_uint_eq(lstats(fx.lc).learn_events, 1 + 4 + 4);
	fx_fini(&fx);
}
END_TEST

START_TEST(test_macs_flush)
{
	struct fixture fx;
	struct rte_ether_addr s = mac_n(50);

	fx_init(&fx, 64, 0);
	learn_via(fx.conf, fx.macs, fx.lc, 1, 0, -1, 1000);
	learn_via(fx.conf, fx.macs, fx.lc, 2, 1, -1, 1000);
	learn_via(fx.conf, fx.macs, fx.lc, 3, 2, 200, 1000); /* red via trunk */
	learn_via(fx.conf, fx.macs, fx.lc, 4, 2, 100, 1000); /* blue via trunk */
	learn_via(fx.conf, fx.macs, fx.lc, 5, 4, -1, 1000);
	ck_assert_int_eq(evs_l2_macs_add_static(fx.macs, 10, &s, 0, 1000), 0);
	ck_assert_uint_eq(evs_l2_macs_count(fx.macs), 6);
	/* per port: both switches on the trunk */
	ck_assert_uint_eq(evs_l2_macs_flush_port(fx.macs, 2, false), 2);
	ck_assert_int_eq(mac_port(fx.macs, 20, 3, 1000), -1);
	ck_assert_int_eq(mac_port(fx.macs, 10, 4, 1000), -1);
	/* per switch, statics kept unless asked */
	ck_assert_uint_eq(evs_l2_macs_flush_switch(fx.macs, 10, false), 2);
	ck_assert_uint_eq(evs_l2_macs_count_switch(fx.macs, 10), 1);
	ck_assert_uint_eq(evs_l2_macs_flush_switch(fx.macs, 10, true), 1);
	ck_assert_uint_eq(evs_l2_macs_count(fx.macs), 1);
	ck_assert_uint_eq(evs_l2_macs_flush_all(fx.macs, true), 1);
	ck_assert_uint_eq(evs_l2_macs_count(fx.macs), 0);
	ck_assert_uint_eq(evs_l2_macs_count_switch(fx.macs, 20), 0);
	/* immediately re-learned by the same lcore in the same second */
	learn_via(fx.conf, fx.macs, fx.lc, 1, 0, -1, 1000);
	ck_assert_int_eq(mac_port(fx.macs, 10, 1, 1000), 0);
	fx_fini(&fx);
}
END_TEST

START_TEST(test_macs_iterate)
{
	struct fixture fx;
	struct evs_l2_mac_info info;
	struct rte_ether_addr s = mac_n(7);
	uint32_t cursor = 0;
	unsigned int seen = 0, statics = 0;

	fx_init(&fx, 64, 0);
	learn_via(fx.conf, fx.macs, fx.lc, 1, 0, -1, 1000);
	learn_via(fx.conf, fx.macs, fx.lc, 2, 3, -1, 1000);
	ck_assert_int_eq(evs_l2_macs_add_static(fx.macs, 30, &s, 7, 1000), 0);
	while (evs_l2_macs_next(fx.macs, &cursor, 1010, &info) == 0) {
		seen++;
		if (info.is_static) {
			statics++;
			ck_assert_uint_eq(info.switch_id, 30);
			ck_assert_uint_eq(info.port, 7);
		} else {
			ck_assert_uint_eq(info.age_s, 10);
		}
	}
	ck_assert_uint_eq(seen, 3);
	ck_assert_uint_eq(statics, 1);
	ck_assert_int_eq(evs_l2_macs_next(fx.macs, &cursor, 1010, &info), -ENOENT);
	fx_fini(&fx);
}
END_TEST

START_TEST(test_macs_grace_period)
{
	/* capacity 8 -> 16 slots: deleted slots wait for the reader */
	struct fixture fx;
	struct rte_ether_addr a;
	unsigned int i, round;
	int rc = 0;

	fx_init(&fx, 8, 0);
	ck_assert_int_eq(rte_rcu_qsbr_thread_register(qsbr, READER_ID), 0);
	rte_rcu_qsbr_thread_online(qsbr, READER_ID);
	for (round = 0; round < 2; round++) {
		for (i = 0; i < 8; i++) {
			a = mac_n(round * 8 + i);
			ck_assert_int_eq(evs_l2_macs_add_static(fx.macs, 10, &a, 0, 1), 0);
		}
		ck_assert_uint_eq(evs_l2_macs_flush_all(fx.macs, true), 8);
	}
	ck_assert_uint_eq(mstats(fx.macs).deferred, 16);
	/* all 16 slots wait for the reader: even an empty table refuses */
	a = mac_n(100);
	rc = evs_l2_macs_add_static(fx.macs, 10, &a, 0, 1);
	ck_assert_int_eq(rc, -ENOSPC);
	evs_l2_macs_poll(fx.macs, fx.conf, 1);
	ck_assert_uint_eq(mstats(fx.macs).deferred, 16);
	/* the reader passes a quiescent state: slots come back */
	rte_rcu_qsbr_quiescent(qsbr, READER_ID);
	ck_assert_int_eq(evs_l2_macs_add_static(fx.macs, 10, &a, 0, 1), 0);
	ck_assert_uint_eq(mstats(fx.macs).deferred, 0);
	rte_rcu_qsbr_thread_offline(qsbr, READER_ID);
	rte_rcu_qsbr_thread_unregister(qsbr, READER_ID);
	fx_fini(&fx);
}
END_TEST

START_TEST(test_macs_stale_after_conf_change)
{
	struct fixture fx;
	struct evs_l2_conf *conf2;
	struct evs_l2_port_spec ports[RTE_DIM(std_ports)];
	struct evs_l2_conf_spec spec = {RTE_DIM(std_switches), std_switches, RTE_DIM(std_ports),
					ports, SOCKET_ID_ANY};
	struct rte_ether_addr a = mac_n(1), b = mac_n(2);
	struct evs_l2_out out[8];
	uint16_t n;

	fx_init(&fx, 64, 0);
	learn_via(fx.conf, fx.macs, fx.lc, 1, 1, -1, 1000);
	learn_via(fx.conf, fx.macs, fx.lc, 2, 0, -1, 1000);
	/* port 1 moves to switch 20 */
	memcpy(ports, std_ports, sizeof(ports));
	ports[1].native_switch = 20;
	conf2 = evs_l2_conf_build(&spec, NULL, 0);
	ck_assert_ptr_nonnull(conf2);
	/* before aging notices: stale entry -> flood, never to a wrong switch */
	n = fwd1(conf2, fx.macs, fx.lc, frame(&a, &b, -1), 0, out, 8);
	ck_assert_uint_eq(n, 2); /* ports 2 and 3 of blue; not 1 */
	ck_assert_uint_ne(out[0].port, 1);
	ck_assert_uint_ne(out[1].port, 1);
	free_outs(out, n);
	evs_l2_macs_poll(fx.macs, conf2, 1001);
	ck_assert_int_eq(mac_port(fx.macs, 10, 1, 1001), -1);
	ck_assert_uint_eq(mstats(fx.macs).stale, 1);
	ck_assert_int_eq(mac_port(fx.macs, 10, 2, 1001), 0);
	/* a queued event for an attachment that is gone is ignored */
	evs_l2_lcore_set_time(fx.lc, 1002);
	n = fwd1(fx.conf, fx.macs, fx.lc, frame(&BCAST, &a, -1), 1, out, 8);
	free_outs(out, n);
	evs_l2_macs_poll(fx.macs, conf2, 1002);
	ck_assert_int_eq(mac_port(fx.macs, 10, 1, 1002), -1);
	ck_assert_uint_eq(mstats(fx.macs).ignored, 1);
	evs_l2_conf_free(conf2);
	fx_fini(&fx);
}
END_TEST

START_TEST(test_macs_generation_and_null_conf)
{
	struct fixture fx;
	struct rte_ether_addr a = mac_n(1), s = mac_n(9);
	struct evs_l2_out out[8];
	uint64_t g;
	uint16_t n;

	fx_init(&fx, 64, 0);
	g = evs_l2_macs_generation(fx.macs);
	learn_via(fx.conf, fx.macs, fx.lc, 1, 0, -1, 1000);
	ck_assert_uint_gt(evs_l2_macs_generation(fx.macs), g);
	/* a refresh is not a change */
	g = evs_l2_macs_generation(fx.macs);
	learn_via(fx.conf, fx.macs, fx.lc, 1, 0, -1, 1005);
	ck_assert_uint_eq(evs_l2_macs_generation(fx.macs), g);
	/* a move is */
	learn_via(fx.conf, fx.macs, fx.lc, 1, 1, -1, 1006);
	ck_assert_uint_gt(evs_l2_macs_generation(fx.macs), g);
	/* so is turning it static on the same port */
	g = evs_l2_macs_generation(fx.macs);
	ck_assert_int_eq(evs_l2_macs_add_static(fx.macs, 10, &a, 1, 1006), 0);
	ck_assert_uint_gt(evs_l2_macs_generation(fx.macs), g);
	g = evs_l2_macs_generation(fx.macs);
	ck_assert_int_eq(evs_l2_macs_del(fx.macs, 10, &a), 0);
	ck_assert_uint_gt(evs_l2_macs_generation(fx.macs), g);

	/* no conf: events are drained and ignored, dynamic entries go, statics stay */
	learn_via(fx.conf, fx.macs, fx.lc, 2, 0, -1, 1010);
	ck_assert_int_eq(evs_l2_macs_add_static(fx.macs, 10, &s, 0, 1010), 0);
	evs_l2_lcore_set_time(fx.lc, 1011);
	n = fwd1(fx.conf, fx.macs, fx.lc, frame(&BCAST, &a, -1), 0, out, 8);
	free_outs(out, n);
	ck_assert_int_eq(evs_l2_macs_poll(fx.macs, NULL, 1011), 1);
	ck_assert_uint_eq(mstats(fx.macs).ignored, 1);
	ck_assert_uint_eq(mstats(fx.macs).stale, 1);
	ck_assert_uint_eq(evs_l2_macs_count(fx.macs), 1);
	ck_assert_int_eq(mac_port(fx.macs, 10, 9, 1011), 0);
	ck_assert_int_eq(evs_l2_macs_poll(NULL, fx.conf, 1011), -EINVAL);
	fx_fini(&fx);
}
END_TEST

/* ---- reference model ---- */

#define MODEL_MACS 24
#define MODEL_CAP 40

struct model_entry {
	bool used;
	uint16_t port;
	bool is_static;
	uint32_t last_seen;
};

/* indexed [switch slot][mac] with switch slots for ids 10, 20, 30 */
static const uint16_t model_sw[] = {10, 20, 30};

struct model {
	struct model_entry e[3][MODEL_MACS];
	uint32_t count, sw_count[3];
	uint64_t learned, moved, refused, aged;
	/* queued events */
	struct {
		int sw, mac;
		uint16_t port;
	} q[256];
	unsigned int nq;
};

/* valid (port, tci, switch slot) attachments of the standard topology */
static const struct {
	uint16_t port;
	int tci;
	int sw;
} attach[] = {{0, -1, 0},  {1, -1, 0}, {2, 100, 0}, {2, 200, 1}, {3, -1, 1},
	      {3, 100, 0}, {4, -1, 1}, {5, -1, 0},  {6, 300, 2}, {7, -1, 2}};

static uint32_t model_aging(int sw)
{
	return sw == 1 ? 60 : EVS_L2_DEFAULT_AGING;
}

static uint32_t model_max(int sw)
{
	return sw == 2 ? 2 : 0;
}

static void model_remove(struct model *md, int sw, int mac)
{
	md->e[sw][mac].used = false;
	md->count--;
	md->sw_count[sw]--;
}

static bool model_insert(struct model *md, int sw, int mac, uint16_t port, bool st, uint32_t now)
{
	if (md->count >= MODEL_CAP)
		return false;
	md->e[sw][mac] = (struct model_entry){true, port, st, now};
	md->count++;
	md->sw_count[sw]++;
	return true;
}

static void model_poll(struct model *md, uint32_t now)
{
	unsigned int i;
	int sw, mac;

	for (i = 0; i < md->nq; i++) {
		struct model_entry *e;

		sw = md->q[i].sw;
		mac = md->q[i].mac;
		e = &md->e[sw][mac];
		if (e->used) {
			if (e->is_static)
				continue;
			if (e->port != md->q[i].port) {
				e->port = md->q[i].port;
				md->moved++;
			}
			e->last_seen = now;
			continue;
		}
		if ((model_max(sw) && md->sw_count[sw] >= model_max(sw)) ||
		    !model_insert(md, sw, mac, md->q[i].port, false, now)) {
			md->refused++;
			continue;
		}
		md->learned++;
	}
	md->nq = 0;
	for (sw = 0; sw < 3; sw++)
		for (mac = 0; mac < MODEL_MACS; mac++) {
			struct model_entry *e = &md->e[sw][mac];

			if (e->used && !e->is_static &&
			    (int32_t)(now - e->last_seen) > (int32_t)model_aging(sw)) {
				model_remove(md, sw, mac);
				md->aged++;
			}
		}
}

static void model_check(const struct model *md, const struct evs_l2_macs *macs, uint32_t now,
			unsigned int step)
{
	struct evs_l2_macs_stats st = mstats(macs);
	int sw, mac;

	ck_assert_msg(evs_l2_macs_count(macs) == md->count, "step %u: count %u != %u", step,
		      evs_l2_macs_count(macs), md->count);
	for (sw = 0; sw < 3; sw++) {
		ck_assert_uint_eq(evs_l2_macs_count_switch(macs, model_sw[sw]), md->sw_count[sw]);
		for (mac = 0; mac < MODEL_MACS; mac++) {
			const struct model_entry *e = &md->e[sw][mac];
			struct rte_ether_addr a = mac_n(mac);
			struct evs_l2_mac_info info;
			int rc = evs_l2_macs_lookup(macs, model_sw[sw], &a, now, &info);

			ck_assert_msg((rc == 0) == e->used, "step %u: sw %u mac %d: present %d/%d",
				      step, model_sw[sw], mac, rc == 0, e->used);
			if (!e->used)
				continue;
			ck_assert_msg(info.port == e->port && info.is_static == e->is_static,
				      "step %u: sw %u mac %d: port %u/%u static %d/%d", step,
				      model_sw[sw], mac, info.port, e->port, info.is_static,
				      e->is_static);
			if (!e->is_static)
				ck_assert_msg(info.age_s == now - e->last_seen,
					      "step %u: age %u != %u", step, info.age_s,
					      now - e->last_seen);
		}
	}
	ck_assert_uint_eq(st.learned, md->learned);
	ck_assert_uint_eq(st.moved, md->moved);
	ck_assert_uint_eq(st.refused_full, md->refused);
	ck_assert_uint_eq(st.aged, md->aged);
}

START_TEST(test_macs_vs_model)
{
	static struct model md;
	struct evs_l2_conf *conf = std_conf();
	struct evs_l2_macs *macs = new_macs(MODEL_CAP, 1024);
	struct evs_l2_lcore *lc = new_lcore(macs, NULL, 100);
	uint32_t now = 100;
	unsigned int step;

	memset(&md, 0, sizeof(md));
	srand(42);
	for (step = 0; step < 4000; step++) {
		int op = rand() % 100;

		/* one second per step: the learn filter never hides an event */
		now += 1;
		evs_l2_lcore_set_time(lc, now);
		if (op < 55) {
			/* a burst of sources seen by the PMD */
			struct evs_flow_key keys[8];
			int i, n = 1 + rand() % 8;

			memset(keys, 0, sizeof(keys));
			/* distinct MACs per burst: the lcore's learn filter would merge
			 * repeats of one second, which the model does not mimic */
			int base = rand() % MODEL_MACS;

			for (i = 0; i < n; i++) {
				int a = rand() % RTE_DIM(attach), mac = (base + i) % MODEL_MACS;
				struct model_entry *e = &md.e[attach[a].sw][mac];

				keys[i].in_port = attach[a].port;
				keys[i].vlan_tci =
				    attach[a].tci < 0 ? 0 : EVS_VLAN_PRESENT | attach[a].tci;
				keys[i].src_mac = mac_n(mac);
				/* what the PMD does, given the table as of the last poll */
				if (e->used && e->is_static)
					continue;
				if (e->used && e->port == attach[a].port) {
					e->last_seen = now;
					continue;
				}
				md.q[md.nq].sw = attach[a].sw;
				md.q[md.nq].mac = mac;
				md.q[md.nq].port = attach[a].port;
				md.nq++;
			}
			evs_l2_learn_burst(conf, macs, lc, keys, n);
			if (md.nq < 200)
				continue;
		}
		if (op < 80) {
			now += rand() % 3 == 0 ? rand() % 70 : 0;
			ck_assert_int_ge(evs_l2_macs_poll(macs, conf, now), 0);
			model_poll(&md, now);
		} else if (op < 88) {
			int sw = rand() % 3, mac = rand() % MODEL_MACS;
			uint16_t port = rand() % 8;
			struct rte_ether_addr a = mac_n(mac);
			struct model_entry *e = &md.e[sw][mac];
			int rc = evs_l2_macs_add_static(macs, model_sw[sw], &a, port, now);

			if (e->used) {
				ck_assert_int_eq(rc, 0);
				*e = (struct model_entry){true, port, true, now};
			} else if (model_insert(&md, sw, mac, port, true, now)) {
				ck_assert_int_eq(rc, 0);
			} else {
				ck_assert_int_eq(rc, -ENOSPC);
			}
		} else if (op < 94) {
			int sw = rand() % 3, mac = rand() % MODEL_MACS;
			struct rte_ether_addr a = mac_n(mac);
			int rc = evs_l2_macs_del(macs, model_sw[sw], &a);

			ck_assert_int_eq(rc, md.e[sw][mac].used ? 0 : -ENOENT);
			if (md.e[sw][mac].used)
				model_remove(&md, sw, mac);
		} else {
			bool with_static = rand() & 1;
			bool by_port = rand() & 1;
			uint16_t port = rand() % 8;
			int sw = rand() % 3, s, mac;
			uint32_t expect = 0, got;

			for (s = 0; s < 3; s++)
				for (mac = 0; mac < MODEL_MACS; mac++) {
					struct model_entry *e = &md.e[s][mac];

					if (!e->used || (e->is_static && !with_static))
						continue;
					if (by_port ? e->port != port : s != sw)
						continue;
					model_remove(&md, s, mac);
					expect++;
				}
			got = by_port ? evs_l2_macs_flush_port(macs, port, with_static)
				      : evs_l2_macs_flush_switch(macs, model_sw[sw], with_static);
			ck_assert_uint_eq(got, expect);
		}
		model_check(&md, macs, now, step);
	}
	/* the model must have exercised every path */
	ck_assert_uint_gt(md.learned, 100);
	ck_assert_uint_gt(md.moved, 10);
	ck_assert_uint_gt(md.refused, 10);
	ck_assert_uint_gt(md.aged, 10);
	evs_l2_lcore_free(lc);
	evs_l2_macs_free(macs);
	evs_l2_conf_free(conf);
}
END_TEST
static Suite *l2_suite(void)
{
	Suite *s = suite_create("l2");
	const struct unit_case cases[] = {
	    {"conf_maps", test_conf_maps},
	    {"conf_errors", test_conf_errors},
	    {"macs_create_errors", test_macs_create_errors},
	    {"macs_learning", test_macs_learning},
	    {"macs_aging", test_macs_aging},
	    {"macs_aging_incremental", test_macs_aging_incremental},
	    {"macs_move", test_macs_move},
	    {"macs_static", test_macs_static},
	    {"macs_capacity", test_macs_capacity},
	    {"macs_ring_full", test_macs_ring_full},
	    {"macs_flush", test_macs_flush},
	    {"macs_iterate", test_macs_iterate},
	    {"macs_grace_period", test_macs_grace_period},
	    {"macs_stale_after_conf_change", test_macs_stale_after_conf_change},
	    {"macs_generation_and_null_conf", test_macs_generation_and_null_conf},
	    {"macs_vs_model", test_macs_vs_model},
	};

	unit_add_cases(s, cases, RTE_DIM(cases), NULL, NULL, 0);
	l2_fwd_add_cases(s);
	return s;
}

int main(void)
{
	size_t sz;
	int failed;

	if (unit_eal_init("test_l2", "l2l2", "128") < 0)
		return 1;
	pool = rte_pktmbuf_pool_create("l2l2_pool", 2048, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	sz = rte_rcu_qsbr_get_memsize(4);
	qsbr = rte_zmalloc("l2l2_qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (pool == NULL || qsbr == NULL || rte_rcu_qsbr_init(qsbr, 4) != 0) {
		fprintf(stderr, "setup failed\n");
		return 1;
	}
	failed = unit_run(l2_suite());
	rte_free(qsbr);
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return failed ? 1 : 0;
}
