/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private harness of the l2 unit suite (test_l2.c, test_l2_fwd.c,
 * l2_test_util.c). Time is injected; nothing sleeps. The pool and the QSBR
 * variable are made by the suite's main before the Check children fork.
 */
#ifndef EVS_TEST_L2_TEST_H
#define EVS_TEST_L2_TEST_H

#include <stdint.h>

#include <check.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>

#include "evs_l2.h"
#include "evs_packet.h"

extern struct rte_mempool *pool;
extern struct rte_rcu_qsbr *qsbr;

/* The standard topology (switches 10..40, ports 0..8; see l2_test_util.c). */
enum { STD_NB_SWITCHES = 4, STD_NB_PORTS = 9 };
extern const struct evs_l2_switch_spec std_switches[STD_NB_SWITCHES];
extern const struct evs_l2_port_spec std_ports[STD_NB_PORTS];

extern const struct rte_ether_addr BCAST;
extern const struct rte_ether_addr MCAST;

/* The standard topology as a conf snapshot. */
struct evs_l2_conf *std_conf(void);
/* A MAC table sweeping all of itself on each poll (deterministic aging). */
struct evs_l2_macs *new_macs(uint32_t capacity, uint32_t ring_size);
/* Lcore state at time @now; @clones NULL: clone from pool. */
struct evs_l2_lcore *new_lcore(struct evs_l2_macs *macs, struct rte_mempool *clones, uint32_t now);
/* Locally administered MAC number @n. */
struct rte_ether_addr mac_n(unsigned int n);
/* tci < 0: untagged; otherwise an 802.1Q tag with that TCI */
struct rte_mbuf *frame(const struct rte_ether_addr *dst, const struct rte_ether_addr *src, int tci);
void mk_key(struct rte_mbuf *m, uint16_t port, struct evs_flow_key *k);
/* Run one frame through forward_burst; returns the number of outputs. */
uint16_t fwd1(const struct evs_l2_conf *conf, struct evs_l2_macs *macs, struct evs_l2_lcore *lc,
	      struct rte_mbuf *m, uint16_t port, struct evs_l2_out *out, uint16_t cap);
void free_outs(struct evs_l2_out *out, uint16_t n);
/* Outer tag of an output frame: -1 untagged, else the TCI (PCP kept). */
int out_tci(struct rte_mbuf *m);
/* Learn @mac on (@port, @tci) by forwarding a broadcast, then polling. */
void learn_via(const struct evs_l2_conf *conf, struct evs_l2_macs *macs, struct evs_l2_lcore *lc,
	       unsigned int mac, uint16_t port, int tci, uint32_t now);
struct evs_l2_lcore_stats lstats(const struct evs_l2_lcore *lc);
struct evs_l2_macs_stats mstats(const struct evs_l2_macs *macs);
/* Port @mac is known on in switch @sw, or -1. */
int mac_port(const struct evs_l2_macs *macs, uint16_t sw, unsigned int mac, uint32_t now);

/* Standard conf, a table and an lcore at time 1000. */
struct fixture {
	struct evs_l2_conf *conf;
	struct evs_l2_macs *macs;
	struct evs_l2_lcore *lc;
	unsigned int in_use;
};

void fx_init(struct fixture *fx, uint32_t capacity, uint32_t ring);
/* Free all and check every mbuf the stage took is freed or handed back. */
void fx_fini(struct fixture *fx);

/* Forwarding stage cases (test_l2_fwd.c). */
void l2_fwd_add_cases(Suite *s);

#endif /* EVS_TEST_L2_TEST_H */
