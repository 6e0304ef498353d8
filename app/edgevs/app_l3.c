/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Routing in the daemon: the router set, its store types and control
 * methods, L2's gateway hook, and the management lcore's part: turning
 * table changes into megaflow invalidation, and the neighbour clock.
 * Until the punt path exists, neighbours are static (neigh objects) and
 * nothing is probed: the table's callbacks only free what they are given.
 */
#include <errno.h>

#include <rte_cycles.h>
#include <rte_malloc.h>

#include "app.h"
#include "evs_l3_module.h"
#include "evs_l3_schema.h"

/* The switch's id is its object's aux word (id + 1), set when it is
 * prepared: a switch of the same transaction has one already. */
static uint16_t ldp_of(const char *name, void *arg)
{
	const struct evs_app *app = arg;
	struct evs_store_obj *o = evs_store_lookup_str(app->store, "switch", name);
	uintptr_t aux = o != NULL ? *evs_store_obj_aux(o) : 0;

	return aux == 0 ? 0 : evs_l2_ldp((uint16_t)(aux - 1));
}

static void no_probe(void *ctx, const struct evs_l3_neigh_key *k, const struct rte_ether_addr *m)
{
	(void)ctx, (void)k, (void)m;
}

static void no_release(void *ctx, const struct evs_l3_neigh_key *k, const struct rte_ether_addr *a,
		       struct rte_mbuf *m)
{
	(void)ctx, (void)k, (void)a;
	rte_pktmbuf_free(m);
}

static void no_unreach(void *ctx, const struct evs_l3_neigh_key *k, struct rte_mbuf *m)
{
	(void)ctx, (void)k;
	rte_pktmbuf_free(m);
}

static bool gateway(const void *arg, uint16_t sw, const struct rte_ether_addr *mac)
{
	return evs_l3_is_router_mac(arg, evs_l2_ldp(sw), mac);
}

int app_l3_init(struct evs_app *app)
{
	app->l3 = evs_l3_set_create((int)rte_socket_id());
	app->l3_seen = calloc(1, sizeof(*app->l3_seen));
	if (app->l3 == NULL || app->l3_seen == NULL)
		return -ENOMEM;
	return 0;
}

int app_l3_store_bind(struct evs_app *app)
{
	const struct evs_l3_bind b = {.set = app->l3,
				      .ldp_of = ldp_of,
				      .arg = app,
				      .neigh_ops = {no_probe, no_release, no_unreach},
				      .socket_id = (int)rte_socket_id()};

	app->l3_bind = evs_l3_store_bind(app->store, &b);
	return app->l3_bind != NULL ? 0 : -errno;
}

int app_l3_ctl_register(struct evs_app *app)
{
	app->l3_ctl = evs_l3_ctl_register(app->ctl, app->l3, app->store);
	return app->l3_ctl != NULL ? 0 : -errno;
}

void app_l3_fill(const struct evs_app *app, struct app_states *st)
{
	st->l3.set = app->l3;
	st->l2.gateway = gateway;
	st->l2.gateway_arg = app->l3;
}

/*
 * A FIB change may come with router ports coming or going, which L2's
 * gateway answers depend on: L2's decisions are re-made too (rare: route
 * and port changes, not neighbour changes).
 */
static void bump(void *arg, uint32_t dep)
{
	struct evs_app *app = arg;

	evs_registry_dep_bump(app->reg, (unsigned int)app->mod_l3, dep);
	if (dep == evs_l3_dep_fib((uint16_t)(dep / 2))) /* not a neighbour table */
		app->l3_l2_stale = true;
}

void app_l3_poll(struct evs_app *app)
{
	uint64_t now = rte_get_tsc_cycles(), hz = rte_get_tsc_hz();

	if (app->l3 == NULL)
		return;
	if (now >= app->l3_next_tick) {
		for (uint16_t id = 0; id < EVS_L3_MAX_ROUTERS; id++) {
			struct evs_l3_router *r = evs_l3_router_get(app->l3, id);

			if (r != NULL)
				evs_l3_neigh_tick(evs_l3_router_neigh(r), now / (hz / 1000));
		}
		app->l3_next_tick = now + hz;
	}
	evs_l3_deps_sync(app->l3, app->l3_seen, bump, app);
	if (app->l3_l2_stale) {
		evs_registry_dep_bump_all(app->reg, (unsigned int)app->mod_l2);
		app->l3_l2_stale = false;
	}
}

void app_l3_free(struct evs_app *app)
{
	evs_l3_ctl_free(app->l3_ctl);
	app->l3_ctl = NULL;
	evs_l3_set_free(app->l3);
	app->l3 = NULL;
	free(app->l3_seen);
	app->l3_seen = NULL;
}

void app_l3_binding_free(struct evs_app *app)
{
	evs_l3_binding_free(app->l3_bind);
	app->l3_bind = NULL;
}
