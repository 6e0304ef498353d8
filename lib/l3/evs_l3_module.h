/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_L3_MODULE_H
#define EVS_L3_MODULE_H

/**
 * @file
 * Routing as a module of the engine (lib/pipeline): stage "route" (order
 * 200) after L2, which hands it frames to router-port MACs with the working
 * key's ldp set to the switch's datapath; opcode "route" (MTU, options,
 * TTL / hop limit, MAC rewrite per packet).
 *
 * Dependencies: a decision depends on the FIB and the neighbour table of
 * the routers it entered and left by (evs_l3_dep_fib/neigh). The library's
 * tables keep their own generations; the management lcore, the only writer,
 * calls evs_l3_deps_sync() after changes (and after each neighbour tick) to
 * bump the engine's dependencies of every table that changed. A translation
 * records the dependency before it decides, so a change it raced is bumped
 * after it and re-translates the megaflow.
 */

#include <stdbool.h>
#include <stdint.h>

#include "evs_l3.h"
#include "evs_module.h"

#ifdef __cplusplus
extern "C" {
#endif

extern const struct evs_module evs_l3_module;

/** What the stage reads, published by the app with each snapshot. */
struct evs_l3_state {
	const struct evs_l3_set *set; /**< NULL: no router (nothing is handed over) */
	bool symmetric_ecmp;	      /**< ECMP by a symmetric 5-tuple hash */
};

/** The module's drop reasons: the library's (enum evs_l3_drop), then these. */
enum evs_l3_mod_drop {
	/** to a router port the router no longer has (raced a change) */
	EVS_L3_DROP_NOT_ROUTER = EVS_L3_DROP_MAX,
	/** needs the management lcore (ARP/ND/echo answers, resolution): not wired yet */
	EVS_L3_DROP_NEEDS_MGMT,
	EVS_L3_MOD_DROP_MAX,
};

/** The module's opcodes (local numbers). */
enum evs_l3_op {
	EVS_L3_OP_ROUTE,
	EVS_L3_OP_MAX,
};

/** Argument of the route opcode. */
struct evs_l3_route_arg {
	struct rte_ether_addr src_mac, dst_mac;
	uint16_t mtu;
};

static inline uint32_t evs_l3_dep_fib(uint16_t router)
{
	return 2u * router;
}

static inline uint32_t evs_l3_dep_neigh(uint16_t router)
{
	return 2u * router + 1;
}

#define EVS_L3_N_DEPS (2u * EVS_L3_MAX_ROUTERS)

/** Table generations last bumped, per router (management lcore). */
struct evs_l3_deps_seen {
	uint64_t gen[EVS_L3_N_DEPS];
	const void *router[EVS_L3_MAX_ROUTERS]; /**< which router the generations were of */
};

/**
 * Call @p bump for every dependency whose table changed since the last call
 * (a router added or deleted bumps both of its). Management lcore.
 * @return the number of dependencies bumped.
 */
unsigned int evs_l3_deps_sync(struct evs_l3_set *set, struct evs_l3_deps_seen *seen,
			      void (*bump)(void *arg, uint32_t dep), void *arg);

/** Whether @p mac is a router port's on datapath @p ldp (any lcore; L2's gateway hook). */
bool evs_l3_is_router_mac(const struct evs_l3_set *set, uint16_t ldp,
			  const struct rte_ether_addr *mac);

#ifdef __cplusplus
}
#endif
#endif /* EVS_L3_MODULE_H */
