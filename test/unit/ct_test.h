/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private harness of the conntrack unit suite (test_conntrack*.c,
 * ct_test_util.c): a packet builder, a table fixture with an injected
 * clock, and one-packet helpers. Nothing sleeps.
 */
#ifndef EVS_TEST_CT_TEST_H
#define EVS_TEST_CT_TEST_H

#include <stdbool.h>
#include <stdint.h>

#include <check.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "evs_conntrack.h"
#include "evs_packet.h"

extern struct rte_mempool *pool;

/* TCP flags */
enum { FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10 };

/* What to build: addresses as text ("10.0.0.1", "fd00::1"). */
struct spec {
	const char *src, *dst;
	uint8_t proto; /* IPPROTO_TCP/UDP/ICMP/ICMPV6/other */
	uint16_t sport, dport;
	uint8_t flags;
	uint32_t seq, ack;
	uint16_t win;
	int wscale; /* <= 0: no option */
	uint16_t payload;
	uint8_t icmp_type, icmp_code;
	uint16_t icmp_id;
	const struct rte_mbuf *quote; /* ICMP error: quote this packet's IP header + 8 bytes */
};

/* Build and parse (key filled, checksums right); the test fails on error. */
struct rte_mbuf *build(const struct spec *s, struct evs_flow_key *key);

/* Table fixture: one table "t", NL lcore contexts, clock at T0 ms. */
#define T0 1000000ull
extern struct evs_ct *ct;
extern struct evs_ct_lcore *lc;
void ct_setup(void);
void ct_teardown(void);
struct evs_ct *new_table(const char *name, uint32_t max, uint32_t n_lcores);

/* Run one packet through ct with @act (NULL: commit in zone 0); ct_state. */
uint8_t send1(const struct spec *s, const struct evs_ct_action *act);
/* Same, keeping the (maybe translated) packet and key for inspection. */
uint8_t send1_keep(const struct spec *s, const struct evs_ct_action *act, struct rte_mbuf **m,
		   struct evs_flow_key *key);
/* An expiry as the library keeps it: rounded up to a grain (doc/conntrack.md). */
static inline uint64_t grain_up(uint64_t ms)
{
	return (ms + EVS_CT_EXPIRY_GRAIN_MS - 1) / EVS_CT_EXPIRY_GRAIN_MS * EVS_CT_EXPIRY_GRAIN_MS;
}

/* Advance the fixture clock by @ms and expire everything due. */
void advance(uint64_t ms);
uint64_t counter(enum evs_ct_counter c);
uint32_t live_conns(void);
/* State of the only connection matching @proto in zone @zone (first found), -1 none. */
int conn_state(uint16_t zone, uint8_t proto);

/* Both tables hold the same connections, in the same states (test fails if not). */
void ct_same_conns(const struct evs_ct *t0, const struct evs_ct *t1);
/* ... and the same counters too. */
void ct_same_tables(const struct evs_ct *t0, const struct evs_ct *t1);
/* Packet @i of round @r came out of two tables' bursts alike: ct_state,
 * key, frame bytes, burst meta (differential tests). */
void ct_same_outcome(unsigned int r, unsigned int i, const struct evs_flow_key *k0,
		     const struct evs_flow_key *k1, const struct rte_mbuf *m0,
		     const struct rte_mbuf *m1, const struct evs_ct_meta *x0,
		     const struct evs_ct_meta *x1);

/* Action: commit (and @flags) in @zone. */
struct evs_ct_action act_commit(uint16_t zone);

/* Addresses as text into 16 bytes. */
void addr(const char *txt, uint8_t out[16]);

#define CT_EST (EVS_CT_TRACKED | EVS_CT_ESTABLISHED)
#define CT_NEW (EVS_CT_TRACKED | EVS_CT_NEW)
#define CT_RPL (EVS_CT_TRACKED | EVS_CT_ESTABLISHED | EVS_CT_REPLY)
#define CT_INV (EVS_CT_TRACKED | EVS_CT_INVALID)

/* Case tables of the other files */
void ct_nat_add_cases(Suite *s);
void ct_nat_tpl_add_cases(Suite *s);
void ct_model_add_cases(Suite *s);
void ct_ctl_add_cases(Suite *s);
void ct_conf_add_cases(Suite *s);
void ct_op_add_cases(Suite *s);
void ct_pipeline_add_cases(Suite *s);
void ct_commit_add_cases(Suite *s);
void ct_frag_add_cases(Suite *s);
void ct_prefetch_add_cases(Suite *s);
void ct_tcp_est_add_cases(Suite *s);

#endif /* EVS_TEST_CT_TEST_H */
