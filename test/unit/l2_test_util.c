/* SPDX-License-Identifier: BSD-3-Clause */
/* The lib/l2 test harness shared by test_l2.c and test_l2_fwd.c: the
 * standard topology, table and lcore constructors, crafted frames. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "l2_test.h"

struct rte_mempool *pool;
struct rte_rcu_qsbr *qsbr;
static unsigned int name_seq;

/*
 * Standard topology.
 *   switch 10 "blue", 20 "red" (aging 60 s), 30 "small" (max 2 MACs), 40 "lonely"
 *   port 0: access 10          port 1: access 10
 *   port 2: trunk 100->10, 200->20
 *   port 3: native 20, trunk 100->10
 *   port 4: access 20          port 5: access 10, link down
 *   port 6: trunk 300->30      port 7: access 30
 *   port 8: access 40 (alone)
 */
const struct evs_l2_switch_spec std_switches[STD_NB_SWITCHES] = {
    {.id = 10, .name = "blue"},
    {.id = 20, .name = "red", .aging_s = 60},
    {.id = 30, .name = "small", .max_macs = 2},
    {.id = 40, .name = "lonely"},
};
static const struct evs_l2_vlan_map vl2[] = {{100, 10}, {200, 20}};
static const struct evs_l2_vlan_map vl3[] = {{100, 10}};
static const struct evs_l2_vlan_map vl6[] = {{300, 30}};
const struct evs_l2_port_spec std_ports[STD_NB_PORTS] = {
    {.port = 0, .has_native = true, .native_switch = 10},
    {.port = 1, .has_native = true, .native_switch = 10},
    {.port = 2, .nb_vlans = 2, .vlans = vl2},
    {.port = 3, .has_native = true, .native_switch = 20, .nb_vlans = 1, .vlans = vl3},
    {.port = 4, .has_native = true, .native_switch = 20},
    {.port = 5, .has_native = true, .native_switch = 10, .down = true},
    {.port = 6, .nb_vlans = 1, .vlans = vl6},
    {.port = 7, .has_native = true, .native_switch = 30},
    {.port = 8, .has_native = true, .native_switch = 40},
};

struct evs_l2_conf *std_conf(void)
{
	struct evs_l2_conf_spec spec = {
	    .nb_switches = RTE_DIM(std_switches),
	    .switches = std_switches,
	    .nb_ports = RTE_DIM(std_ports),
	    .ports = std_ports,
	    .socket_id = SOCKET_ID_ANY,
	};
	char err[128] = "";
	struct evs_l2_conf *c = evs_l2_conf_build(&spec, err, sizeof(err));

	ck_assert_msg(c != NULL, "conf: %s", err);
	return c;
}

struct evs_l2_macs *new_macs(uint32_t capacity, uint32_t ring_size)
{
	char name[24];
	struct evs_l2_macs_config cfg = {
	    .name = name,
	    .capacity = capacity,
	    .ring_size = ring_size,
	    .qsbr = qsbr,
	    .socket_id = SOCKET_ID_ANY,
	    .age_scan_per_poll = 1 << 20, /* full sweep per poll: deterministic tests */
	};
	struct evs_l2_macs *m;

	snprintf(name, sizeof(name), "t%u", name_seq++);
	m = evs_l2_macs_create(&cfg);
	ck_assert_msg(m != NULL, "macs: %s", rte_strerror(rte_errno));
	return m;
}

struct evs_l2_lcore *new_lcore(struct evs_l2_macs *macs, struct rte_mempool *clones, uint32_t now)
{
	struct evs_l2_lcore_config cfg = {
	    .macs = macs, .clone_pool = clones ? clones : pool, .socket_id = SOCKET_ID_ANY};
	struct evs_l2_lcore *lc = evs_l2_lcore_create(&cfg);

	ck_assert_ptr_nonnull(lc);
	evs_l2_lcore_set_time(lc, now);
	return lc;
}

struct rte_ether_addr mac_n(unsigned int n)
{
	struct rte_ether_addr a = {{0x02, 0x00, 0x5e, 0x10, (uint8_t)(n >> 8), (uint8_t)n}};

	return a;
}

const struct rte_ether_addr BCAST = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
const struct rte_ether_addr MCAST = {{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}};

/* tci < 0: untagged; otherwise an 802.1Q tag with that TCI */
struct rte_mbuf *frame(const struct rte_ether_addr *dst, const struct rte_ether_addr *src, int tci)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t *p;
	uint32_t n = 0, i;

	ck_assert_ptr_nonnull(m);
	p = (uint8_t *)rte_pktmbuf_append(m, 14 + 4 + 46);
	ck_assert_ptr_nonnull(p);
	memcpy(p, dst, 6);
	memcpy(p + 6, src, 6);
	n = 12;
	if (tci >= 0) {
		p[n++] = 0x81, p[n++] = 0x00;
		p[n++] = (uint8_t)(tci >> 8), p[n++] = (uint8_t)tci;
	}
	p[n++] = 0x88, p[n++] = 0xb5; /* local experimental ethertype */
	for (i = 0; i < 46; i++)
		p[n++] = (uint8_t)(0xa0 + i);
	rte_pktmbuf_trim(m, rte_pktmbuf_data_len(m) - n);
	return m;
}

void mk_key(struct rte_mbuf *m, uint16_t port, struct evs_flow_key *k)
{
	ck_assert_int_eq(evs_packet_parse(m, port, k), EVS_DROP_NONE);
}

/* Run one frame through forward_burst; returns the number of outputs. */
uint16_t fwd1(const struct evs_l2_conf *conf, struct evs_l2_macs *macs, struct evs_l2_lcore *lc,
	      struct rte_mbuf *m, uint16_t port, struct evs_l2_out *out, uint16_t cap)
{
	struct evs_flow_key k;

	mk_key(m, port, &k);
	return evs_l2_forward_burst(conf, macs, lc, &m, &k, 1, out, cap);
}

void free_outs(struct evs_l2_out *out, uint16_t n)
{
	uint16_t i;

	for (i = 0; i < n; i++)
		rte_pktmbuf_free(out[i].m);
}

/* Outer tag of an output frame: -1 untagged, else the TCI (PCP kept). */
int out_tci(struct rte_mbuf *m)
{
	struct evs_flow_key k;

	ck_assert_int_eq(evs_packet_parse(m, 0, &k), EVS_DROP_NONE);
	ck_assert_uint_eq(k.ethertype, RTE_BE16(0x88b5));
	return (k.vlan_tci & EVS_VLAN_PRESENT) ? (k.vlan_tci & ~EVS_VLAN_PRESENT) : -1;
}

/* Learn @mac on (@port, @tci) by forwarding a broadcast, then polling. */
void learn_via(const struct evs_l2_conf *conf, struct evs_l2_macs *macs, struct evs_l2_lcore *lc,
	       unsigned int mac, uint16_t port, int tci, uint32_t now)
{
	struct rte_ether_addr src = mac_n(mac);
	struct evs_l2_out out[16];
	uint16_t n;

	evs_l2_lcore_set_time(lc, now);
	n = fwd1(conf, macs, lc, frame(&BCAST, &src, tci), port, out, RTE_DIM(out));
	free_outs(out, n);
	ck_assert_int_ge(evs_l2_macs_poll(macs, conf, now), 0);
}

struct evs_l2_lcore_stats lstats(const struct evs_l2_lcore *lc)
{
	struct evs_l2_lcore_stats s;

	memset(&s, 0, sizeof(s));
	evs_l2_lcore_stats_add(lc, &s);
	return s;
}

struct evs_l2_macs_stats mstats(const struct evs_l2_macs *macs)
{
	struct evs_l2_macs_stats s;

	evs_l2_macs_stats_get(macs, &s);
	return s;
}

int mac_port(const struct evs_l2_macs *macs, uint16_t sw, unsigned int mac, uint32_t now)
{
	struct rte_ether_addr a = mac_n(mac);
	struct evs_l2_mac_info info;

	if (evs_l2_macs_lookup(macs, sw, &a, now, &info) < 0)
		return -1;
	return info.port;
}

void fx_init(struct fixture *fx, uint32_t capacity, uint32_t ring)
{
	fx->in_use = rte_mempool_in_use_count(pool);
	fx->conf = std_conf();
	fx->macs = new_macs(capacity, ring);
	fx->lc = new_lcore(fx->macs, NULL, 1000);
}

void fx_fini(struct fixture *fx)
{
	evs_l2_lcore_free(fx->lc);
	evs_l2_macs_free(fx->macs);
	evs_l2_conf_free(fx->conf);
	/* every mbuf the stage took is freed or was handed back */
	ck_assert_uint_eq(rte_mempool_in_use_count(pool), fx->in_use);
}
