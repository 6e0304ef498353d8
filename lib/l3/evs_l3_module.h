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

#include "evs_classifier.h"
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
	/** an echo request that could not be turned around (shared or short mbuf) */
	EVS_L3_DROP_ECHO,
	/** punted, but the management lcore decided otherwise (a table changed) or had no mbuf */
	EVS_L3_DROP_MGMT,
	/** an ARP request / NS for an address that is not the router's */
	EVS_L3_DROP_NOT_FOR_US,
	EVS_L3_MOD_DROP_MAX,
};

/** The module's opcodes (local numbers). */
enum evs_l3_op {
	EVS_L3_OP_ROUTE, /**< MTU, options, TTL, MACs; counts routed */
	EVS_L3_OP_ECHO,	 /**< turn an echo request into the reply, in place */
	EVS_L3_OP_PUNT,	 /**< count (and drop reason), hand to the management lcore */
	EVS_L3_OP_DROP,	 /**< drop, counted per router */
	EVS_L3_OP_MAX,
};

/** Argument of the route opcode. */
struct evs_l3_route_arg {
	/** destination, source: the header's (and the key's) order, one 12-byte copy */
	struct rte_ether_addr macs[2];
	uint16_t mtu;
	uint16_t router; /**< the ingress router (counters) */
	uint16_t in_ldp; /**< the ingress switch: too big / TTL packets are punted with it */
};

/** Why the module punts (the punt code). */
enum evs_l3_punt_code {
	/** decide again on the management lcore and act: ARP/ND, learning, resolution, errors */
	EVS_L3_PUNT_DECIDE,
	EVS_L3_PUNT_TOO_BIG, /**< the route opcode found it over the MTU: frag needed / too big */
	EVS_L3_PUNT_TTL,     /**< the route opcode found TTL 1 (a megaflow shared with TTL > 1) */
	EVS_L3_PUNT_FRAG,    /**< IPv4 over the MTU without DF: fragmented there */
};

/** Argument of the punt and drop opcodes. */
struct evs_l3_punt_arg {
	uint16_t router;
	uint16_t reason; /**< counted as a drop with the punt; EVS_L3_NO_REASON: none */
	uint16_t code;	 /**< enum evs_l3_punt_code */
	uint16_t ldp;	 /**< the switch the frame came in on (the answer goes back there) */
};

#define EVS_L3_NO_REASON UINT16_MAX

/** Datapath counters of one router (summed over lcores). */
struct evs_l3_dp_counters {
	uint64_t routed; /**< packets forwarded */
	uint64_t echo;	 /**< echo requests answered in the datapath */
	uint64_t punted; /**< packets handed to the management lcore */
	uint64_t drops[EVS_L3_MOD_DROP_MAX];
};

/** Add lcore context @p lctx's counters of router @p router into @p c (any lcore; relaxed). */
void evs_l3_lcore_counters(const void *lctx, uint16_t router, struct evs_l3_dp_counters *c);

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

/**
 * Whether a broadcast / multicast frame of datapath @p ldp is an ARP request
 * or neighbour solicitation for a router address there (any lcore; L2's
 * multicast gateway hook). ORs what it read into @p mask.
 */
bool evs_l3_is_router_solicit(const struct evs_l3_set *set, uint16_t ldp,
			      const struct evs_flow_key *key, struct evs_flow_mask *mask);

/* ------------------------------------------------------------------ */
/* The management lcore's part (l3_mgmt.c)                             */
/* ------------------------------------------------------------------ */

/**
 * What the module's punt handler and the routers' neighbour callbacks need.
 * Its arg for the module is the struct evs_l3_mgmt (the app's mod_args).
 */
struct evs_l3_mgmt_config {
	struct evs_l3_set *set;
	struct rte_mempool *pool; /**< answers, probes, errors */
	/**
	 * Send @p m into switch @p ldp as if from @p in_port (EVS_INJECT_NO_PORT
	 * style value for the router's own frames): L2 switches it. Consumes @p m.
	 */
	void (*send)(void *arg, uint16_t ldp, uint16_t in_port, struct rte_mbuf *m);
	void *arg;
	uint16_t no_port; /**< the in_port of the router's own frames */
};

/** Counters of one router kept by the management lcore. */
struct evs_l3_mgmt_counters {
	uint64_t arp_answered, nd_answered; /**< requests / solicitations for its addresses */
	uint64_t arp_sent, nd_sent;	    /**< requests / solicitations it sent (probes) */
	uint64_t learned;		    /**< ARP / ND messages it learned a neighbour from */
	uint64_t icmp_sent;		    /**< ICMP / ICMPv6 errors sent */
	uint64_t icmp_rate_limited;	    /**< errors suppressed by the router's rate limit */
	uint64_t held;			    /**< packets handed to neighbour resolution */
	uint64_t released;		    /**< held packets sent on after resolution */
	uint64_t ns_flooded; /**< multicast NS for another target (or DAD) flooded back */
	uint64_t fragmented; /**< IPv4 packets over the egress MTU (DF clear) it fragmented */
	uint64_t fragments;  /**< the fragments it sent for them */
	uint64_t ra_sent;    /**< router advertisements, periodic and solicited */
};

struct evs_l3_mgmt;

/** @return the context, or NULL with errno (EINVAL, ENOMEM). */
struct evs_l3_mgmt *evs_l3_mgmt_create(const struct evs_l3_mgmt_config *cfg);
void evs_l3_mgmt_free(struct evs_l3_mgmt *mg);

/** The neighbour callbacks to give every router (ctx: the struct evs_l3_mgmt). */
extern const struct evs_l3_neigh_ops evs_l3_mgmt_neigh_ops;

/**
 * Send the packets released by neighbour resolution (management lcore,
 * after evs_l3_deps_sync(): their megaflows must see the new neighbour
 * first, or they would be punted again). @return how many.
 */
unsigned int evs_l3_mgmt_flush(struct evs_l3_mgmt *mg);

/** Periodic RAs that come due before this one are sent (RFC 4861 6.2.4): the first three
 * 4 s apart, then every EVS_L3_RA_INTERVAL_MS; solicited ones at most every 3 s. */
#define EVS_L3_RA_INTERVAL_MS 200000

/**
 * Send the Router Advertisements due at @p now_ms on every port with
 * `ra` (management lcore, about once a second). @return how many.
 */
unsigned int evs_l3_mgmt_tick(struct evs_l3_mgmt *mg, uint64_t now_ms);

/** Router @p id's counters (management lcore). */
void evs_l3_mgmt_counters(const struct evs_l3_mgmt *mg, uint16_t id,
			  struct evs_l3_mgmt_counters *c);

/** Add router @p id's drops on the management lcore into @p drops[EVS_L3_MOD_DROP_MAX]. */
void evs_l3_mgmt_drops(const struct evs_l3_mgmt *mg, uint16_t id, uint64_t *drops);

/** Forget router @p id's counters and rate limit (a router of that id was deleted). */
void evs_l3_mgmt_router_reset(struct evs_l3_mgmt *mg, uint16_t id);

#ifdef __cplusplus
}
#endif
#endif /* EVS_L3_MODULE_H */
