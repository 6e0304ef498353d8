/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_L3_SCHEMA_H
#define EVS_L3_SCHEMA_H

/**
 * @file
 * The routing module's object types (lib/store) and the hooks that apply
 * them to a struct evs_l3_set, incrementally: a route.add is one table add.
 *
 *   router       key name; max_routes4, max_routes6, max_neigh, icmp_rate
 *   router_port  key name; router -> router (cascade), switch -> switch
 *                (restrict), mac, addresses ["10.0.1.1/24", ...], mtu
 *   route        key (router, prefix); type forward|blackhole|reject|vrf,
 *                nexthops [{port -> router_port (restrict), via, weight}],
 *                reject net|host|admin|port, vrf -> router (restrict)
 *   neigh        key (port, address); port -> router_port (cascade), mac
 *
 * Thread-safety: the management lcore, which owns the store and the set.
 */

#include "evs_l3.h"
#include "evs_store.h"

#ifdef __cplusplus
extern "C" {
#endif

extern const struct evs_obj_type evs_l3_router_type;
extern const struct evs_obj_type evs_l3_router_port_type;
extern const struct evs_obj_type evs_l3_route_type;
extern const struct evs_obj_type evs_l3_neigh_type;

/** What binding the types to a set needs. */
struct evs_l3_bind {
	struct evs_l3_set *set;
	/** The logical datapath id of switch @p name (it exists: a reference). */
	uint16_t (*ldp_of)(const char *name, void *arg);
	void *arg;
	/** Neighbour callbacks of every router made (see struct evs_l3_neigh_ops). */
	struct evs_l3_neigh_ops neigh_ops;
	void *neigh_ctx;
	int socket_id;
};

struct evs_l3_binding;

/**
 * Add the four types to @p st with hooks applying them to @p b->set (after
 * the switch type, which router_port references). @p b is copied.
 * @return the binding (free it after the store), or NULL with errno
 *   (ENOMEM, or the store's refusal).
 */
struct evs_l3_binding *evs_l3_store_bind(struct evs_store *st, const struct evs_l3_bind *b);

/** Free a binding; NULL is fine. After evs_store_free(). */
void evs_l3_binding_free(struct evs_l3_binding *bd);

/** Parse a route object into its prefix and spec (names resolved through @p st). */
int evs_l3_route_from_json(struct evs_store *st, const json_t *obj, struct evs_l3_prefix *pfx,
			   struct evs_l3_route_spec *spec, struct evs_ctl_err *err,
			   const char *path);

/**
 * What route.get answers for @p dst in router @p rid: the route (after
 * next-VRF hops), its next hop with the neighbour's state and MAC, and the
 * megaflow mask length. A new reference, or NULL (no router).
 */
json_t *evs_l3_route_lookup_json(struct evs_store *st, const struct evs_l3_set *set, uint16_t rid,
				 const struct evs_l3_addr *dst);

struct l3_ctl;

/**
 * Register route.get ({router, address} or {router, prefix}) and neigh.show
 * ({router}). The store's generated route.get must be skipped
 * (evs_store_ctl_config.skip). @return a handle for evs_l3_ctl_free, or
 * NULL with errno.
 */
struct l3_ctl *evs_l3_ctl_register(struct evs_ctl *ctl, struct evs_l3_set *set,
				   struct evs_store *st);
void evs_l3_ctl_free(struct l3_ctl *c);

struct evs_l3_mgmt;
struct evs_l3_dp_counters;

/**
 * Add router.stats ({router}): the datapath counters (@p dp sums them over
 * the lcores) and @p mg's management ones, with drops by reason.
 * @return 0, or -errno from the registration.
 */
int evs_l3_ctl_stats_register(struct l3_ctl *c, struct evs_ctl *ctl, const struct evs_l3_mgmt *mg,
			      void (*dp)(void *arg, uint16_t router,
					 struct evs_l3_dp_counters *out),
			      void *arg);

#ifdef __cplusplus
}
#endif
#endif /* EVS_L3_SCHEMA_H */
