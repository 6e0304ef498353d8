/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_L3_FIB_PRIVATE_H
#define EVS_L3_FIB_PRIVATE_H

/* The route table behind struct evs_l3_fib (l3_fib.c, l3_resolve.c). */

#include <rte_rwlock.h>

#include "l3_private.h"

struct rte_fib;
struct rte_fib6;
struct rte_rib;
struct rte_rib6;

/** A route as stored: the spec without its unused next-hop slots. */
struct l3_route {
	struct evs_l3_prefix pfx;
	enum evs_l3_route_type type;
	uint8_t reject_code;
	uint16_t next_vrf;
	uint16_t n_nh;
	uint8_t *buckets; /**< EVS_L3_ECMP_BUCKETS next-hop indexes when n_nh > 1 */
	struct evs_l3_nexthop nh[];
};

struct evs_l3_fib {
	/* readers: translation on any lcore; writer: the management lcore */
	rte_rwlock_t lock;
	uint64_t generation;
	struct rte_fib *fib4;
	struct rte_fib6 *fib6;
	struct rte_rib *rib4; /* the fibs' own RIBs: prefixes and depths */
	struct rte_rib6 *rib6;
	struct l3_route **routes; /* by route id (the fib's next-hop value) */
	uint32_t *free_ids;	  /* a stack of unused ids */
	uint32_t n_free, max_routes;
	uint32_t n4, n6, max4, max6;
	bool dir24_8;
};

/* What the fibs return for no route: DIR24_8 keeps a flag in its top bit. */
#define L3_FIB_MISS 0x7fffffffu

/** Host-order IPv4 from wire-order bytes, as rte_fib wants it. */
static inline uint32_t l3_v4(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/** Same next hop (port and gateway); weights may differ. */
static inline bool l3_nh_same(const struct evs_l3_nexthop *a, const struct evs_l3_nexthop *b)
{
	return a->port == b->port && a->via == b->via &&
	       (!a->via || memcmp(&a->gw, &b->gw, sizeof(a->gw)) == 0);
}

#endif /* EVS_L3_FIB_PRIVATE_H */
