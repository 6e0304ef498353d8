/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fixture of the lb module cases (test_lb_module.c, test_lb_next_pass.c):
 * the load balancer through the real pipeline, configured through the store
 * like the daemon does. A stand-in for L2/L3 ("fwd") hands every frame to
 * "routing" (ldp 1) and outputs it to the port named by the last byte of
 * its destination address, so the port a packet leaves by is the backend it
 * was sent to; "rc" recirculates with hint slots the test chooses. Traffic
 * goes in 32-packet bursts of mixed flows.
 */
#ifndef EVS_LB_MODULE_FIXTURE_H
#define EVS_LB_MODULE_FIXTURE_H

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <rte_common.h>
#include <rte_random.h>

#include "ct_test.h"
#include "evs_ct_module.h"
#include "evs_lb.h"
#include "evs_lb_conf.h"
#include "evs_pipeline.h"
#include "lb_conf_private.h"
#include "unit_case.h"
#include "unit_store.h"

#define BURST 32
#define LDP 1

enum { MOD_CT, MOD_LB, MOD_FWD, MOD_RC };

#define VIP "{\"name\":\"web\",\"address\":\"10.0.0.100\",\"port\":80,\"scope\":\"sw\""

/* "fwd": per destination's last byte, the port (0: that byte) and MAC byte */
extern uint16_t rt_port[256];
extern uint8_t rt_mac[256];
extern bool rt_by_port;
extern uint16_t rt_shared;
/* "rc": see lb_module_fixture.c */
extern bool rc_on, rc_wide;
extern uint16_t rc_slot[BURST];
extern struct evs_recirc_hint rc_hints[4];
extern int rc_byte;
extern bool rc_flip[BURST];
extern uint64_t rc_direct;
/* lbm_run()'s port and what left, per packet of the last burst */
extern uint16_t run_in_port;
extern struct rte_mbuf *cur[BURST];
extern uint16_t out_port[BURST];
extern uint32_t out_len[BURST];
extern unsigned int out_seq[BURST], tx_seq;
extern struct evs_flow_key out_key[BURST];

struct lbm_world {
	struct evs_registry *reg;
	struct evs_ct *tab;
	struct evs_pipeline_lcore *pl;
	struct evs_pipeline_state st;
	struct evs_ct_mod_state cst;
	struct evs_store *store;
	struct evs_lb_conf *lb;
	unsigned int bumps;
};
extern struct lbm_world lbm;

void lbm_setup(void);
void lbm_teardown(void);
/* One operation in its own transaction; the commit's result. */
int lbm_op(enum evs_store_op o, const char *type, const char *doc);
void lbm_backend(const char *vip, const char *a, const char *extra);
/* Run @n specs (at most BURST) received on run_in_port. */
void lbm_run(const struct spec *s, uint16_t n);
/* A SYN from client @client, source port @sport, to the VIP. */
struct spec lbm_syn(uint32_t client, uint16_t sport);

#endif /* EVS_LB_MODULE_FIXTURE_H */
