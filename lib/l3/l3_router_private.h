/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_L3_ROUTER_PRIVATE_H
#define EVS_L3_ROUTER_PRIVATE_H

/* Routers and the set (l3_router.c, l3_decide.c). */

#include <rte_rwlock.h>

#include "l3_private.h"

struct rte_hash;

struct evs_l3_router {
	uint16_t id;
	char name[EVS_L3_NAME_LEN];
	struct evs_l3_fib *fib;
	struct evs_l3_neigh_table *neigh;
	uint32_t icmp_rate;
	uint16_t n_ports;
	struct evs_l3_port_spec ports[EVS_L3_ROUTER_PORTS];
};

struct evs_l3_set {
	/* readers: a translation, for its whole length; writer: the management
	 * lcore for router and port changes (routes have the fib's own lock) */
	rte_rwlock_t lock;
	int socket_id;
	struct rte_hash *ports; /* (ldp, MAC) -> router id << 16 | port id */
	struct evs_l3_router *routers[EVS_L3_MAX_ROUTERS];
};

/** The router port that owns @p mac on switch @p ldp. @return 0, -ENOENT. */
int l3_set_find_port(const struct evs_l3_set *set, uint16_t ldp, const struct rte_ether_addr *mac,
		     struct evs_l3_router **r, const struct evs_l3_port_spec **p);

#endif /* EVS_L3_ROUTER_PRIVATE_H */
