/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private harness of the l3 unit suite: test_l3.c (main, route tables,
 * ECMP), test_l3_neigh.c, test_l3_build.c. The pool is made by main before
 * Check forks its children. Time is injected; nothing sleeps.
 */
#ifndef EVS_TEST_L3_TEST_H
#define EVS_TEST_L3_TEST_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <check.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "evs_l3.h"

extern struct rte_mempool *pool;

/* xorshift64: reproducible random input (seed printed on failure by callers) */
static inline uint64_t l3t_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Clear the host bits of @p a beyond @p len (of @p n bytes); written apart from lib/l3's. */
static inline void l3_test_mask(uint8_t *a, unsigned int len, unsigned int n)
{
	for (unsigned int i = len; i < n * 8; i++)
		a[i / 8] &= (uint8_t) ~(0x80u >> (i % 8));
}

/* Same next hop: port, kind and gateway address. */
static inline bool l3_test_nh_eq(const struct evs_l3_nexthop *a, const struct evs_l3_nexthop *b)
{
	return a->port == b->port && a->via == b->via && a->gw.family == b->gw.family &&
	       memcmp(a->gw.b, b->gw.b, 16) == 0;
}

/* Neighbour callbacks for tables whose probes nobody watches: held packets are freed. */
static inline void l3t_nop_probe(void *c, uint16_t o, const struct evs_l3_neigh_key *k,
				 const struct rte_ether_addr *m)
{
	(void)c, (void)o, (void)k, (void)m;
}

static inline void l3t_nop_release(void *c, uint16_t o, const struct evs_l3_neigh_key *k,
				   const struct rte_ether_addr *a, struct rte_mbuf *m)
{
	(void)c, (void)o, (void)k, (void)a;
	rte_pktmbuf_free(m);
}

static inline void l3t_nop_unreach(void *c, uint16_t o, const struct evs_l3_neigh_key *k,
				   struct rte_mbuf *m)
{
	(void)c, (void)o, (void)k;
	rte_pktmbuf_free(m);
}

void l3_neigh_add_cases(Suite *s);
void l3_build_add_cases(Suite *s);
void l3_frag_add_cases(Suite *s);
void l3_router_add_cases(Suite *s);
void l3_store_add_cases(Suite *s);
void l3_module_add_cases(Suite *s);

#endif /* EVS_TEST_L3_TEST_H */
