/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Between the library's table generations and the engine's dependencies:
 * the management lcore turns every change it made into a bump of the
 * megaflows that read the changed table, and L2 asks which MACs are router
 * ports.
 */
#include <rte_rwlock.h>

#include "evs_l3_mask.h"
#include "evs_l3_module.h"
#include "l3_router_private.h"

unsigned int evs_l3_deps_sync(struct evs_l3_set *set, struct evs_l3_deps_seen *seen,
			      void (*bump)(void *arg, uint32_t dep), void *arg)
{
	unsigned int n = 0;

	for (uint16_t id = 0; id < EVS_L3_MAX_ROUTERS; id++) {
		struct evs_l3_router *r = set->routers[id];
		uint64_t fg = 0, ng = 0;
		/* a router replaced under the same id: its generations start afresh */
		bool moved = seen->router[id] != (const void *)r;

		if (r == NULL && !moved)
			continue;
		if (r != NULL) {
			fg = evs_l3_fib_generation(evs_l3_router_fib(r));
			ng = evs_l3_neigh_generation(evs_l3_router_neigh(r));
		}
		if (moved || fg != seen->gen[evs_l3_dep_fib(id)]) {
			bump(arg, evs_l3_dep_fib(id));
			n++;
		}
		if (moved || ng != seen->gen[evs_l3_dep_neigh(id)]) {
			bump(arg, evs_l3_dep_neigh(id));
			n++;
		}
		seen->router[id] = r;
		seen->gen[evs_l3_dep_fib(id)] = fg;
		seen->gen[evs_l3_dep_neigh(id)] = ng;
	}
	return n;
}

bool evs_l3_is_router_mac(const struct evs_l3_set *set, uint16_t ldp,
			  const struct rte_ether_addr *mac)
{
	struct evs_l3_set *s = (struct evs_l3_set *)(uintptr_t)set;
	const struct evs_l3_port_spec *p;
	struct evs_l3_router *r;
	bool mine;

	rte_rwlock_read_lock(&s->lock);
	mine = l3_set_find_port(set, ldp, mac, &r, &p) == 0;
	rte_rwlock_read_unlock(&s->lock);
	return mine;
}

bool evs_l3_is_router_solicit(const struct evs_l3_set *set, uint16_t ldp,
			      const struct evs_flow_key *key, struct evs_flow_mask *mask)
{
	struct evs_l3_decision d;

	evs_l3_decide(set, ldp, key, false, &d);
	evs_l3_decision_mask(&d, mask);
	return d.verdict == EVS_L3_LOCAL_ARP || d.verdict == EVS_L3_LOCAL_ND ||
	       d.verdict == EVS_L3_LOCAL_RS;
}
