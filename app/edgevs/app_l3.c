/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Routing in the daemon: the router set, its store types and control
 * methods, L2's gateway hooks, and the management lcore's part: turning
 * table changes into megaflow invalidation, the neighbour clock, and the
 * module's management context (lib/l3/l3_mgmt.c: punted ARP/ND, resolution,
 * ICMP errors), whose answers go to the first PMD's inject ring.
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

/* What a router id's datapath counters held when its current router came. */
struct app_l3_base {
	const struct evs_l3_router *router;
	struct evs_l3_dp_counters c;
};

/* The router's frames go into a switch through the first PMD (every PMD
 * has a tx queue on every port); none running: dropped. */
static void l3_send(void *arg, uint16_t ldp, uint16_t in_port, struct rte_mbuf *m)
{
	struct evs_app *app = arg;
	const struct evs_inject to = {.kind = EVS_INJECT_LDP, .port = in_port, .ldp = ldp};

	if (app->n_pmds == 0 || app->pmds[0] == NULL) {
		rte_pktmbuf_free(m);
		return;
	}
	evs_pipeline_inject(app->pmds[0]->pl, &to, &m, 1);
}

/* Sum the PMDs' counters of @router, less what a former router of its id left. */
static void l3_dp_counters(void *arg, uint16_t router, struct evs_l3_dp_counters *out)
{
	struct evs_app *app = arg;
	const struct evs_l3_dp_counters *b = &app->l3_base[router].c;

	for (unsigned int i = 0; i < app->n_pmds; i++)
		evs_l3_lcore_counters(
		    evs_pipeline_lcore_module(app->pmds[i]->pl, (unsigned int)app->mod_l3), router,
		    out);
	out->routed -= b->routed;
	out->echo -= b->echo;
	out->punted -= b->punted;
	for (unsigned int i = 0; i < EVS_L3_MOD_DROP_MAX; i++)
		out->drops[i] -= b->drops[i];
}

/*
 * A router (re)made under an id: per-lcore counters have one writer each
 * and cannot be cleared from here, so the new router's start from their sum.
 */
static void l3_counters_rebase(struct evs_app *app)
{
	for (uint16_t id = 0; id < EVS_L3_MAX_ROUTERS; id++) {
		const struct evs_l3_router *r = evs_l3_router_get(app->l3, id);
		struct app_l3_base *b = &app->l3_base[id];

		if (b->router == r)
			continue;
		memset(&b->c, 0, sizeof(b->c));
		l3_dp_counters(app, id, &b->c);
		evs_l3_mgmt_router_reset(app->l3_mgmt, id);
		b->router = r;
	}
}

static bool gateway(const void *arg, uint16_t sw, const struct rte_ether_addr *mac)
{
	return evs_l3_is_router_mac(arg, evs_l2_ldp(sw), mac);
}

static bool gateway_mcast(const void *arg, uint16_t sw, const struct evs_flow_key *key,
			  struct evs_flow_mask *mask)
{
	return evs_l3_is_router_solicit(arg, evs_l2_ldp(sw), key, mask);
}

int app_l3_init(struct evs_app *app)
{
	app->l3 = evs_l3_set_create((int)rte_socket_id());
	app->l3_seen = calloc(1, sizeof(*app->l3_seen));
	app->l3_base = calloc(EVS_L3_MAX_ROUTERS, sizeof(*app->l3_base));
	if (app->l3 == NULL || app->l3_seen == NULL || app->l3_base == NULL)
		return -ENOMEM;
	app->l3_mgmt =
	    evs_l3_mgmt_create(&(struct evs_l3_mgmt_config){.set = app->l3,
							    .pool = app->pool,
							    .send = l3_send,
							    .arg = app,
							    .no_port = EVS_INJECT_NO_PORT});
	if (app->l3_mgmt == NULL)
		return -errno;
	app->mod_args[app->mod_l3] = app->l3_mgmt; /* the punt handler's argument */
	return 0;
}

int app_l3_store_bind(struct evs_app *app)
{
	const struct evs_l3_bind b = {.set = app->l3,
				      .ldp_of = ldp_of,
				      .arg = app,
				      .neigh_ops = evs_l3_mgmt_neigh_ops,
				      .neigh_ctx = app->l3_mgmt,
				      .socket_id = (int)rte_socket_id()};

	app->l3_bind = evs_l3_store_bind(app->store, &b);
	return app->l3_bind != NULL ? 0 : -errno;
}

int app_l3_ctl_register(struct evs_app *app)
{
	app->l3_ctl = evs_l3_ctl_register(app->ctl, app->l3, app->store);
	if (app->l3_ctl == NULL)
		return -errno;
	return evs_l3_ctl_stats_register(app->l3_ctl, app->ctl, app->l3_mgmt, l3_dp_counters, app);
}

void app_l3_fill(const struct evs_app *app, struct app_states *st)
{
	st->l3.set = app->l3;
	st->l3.symmetric_ecmp =
	    false; /* (the states live on the PMD's stack: every field is set) */
	st->l2.gateway = gateway;
	st->l2.gateway_mcast = gateway_mcast;
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
		evs_l3_mgmt_tick(app->l3_mgmt, now / (hz / 1000));
		app->l3_next_tick = now + hz;
	}
	evs_l3_deps_sync(app->l3, app->l3_seen, bump, app);
	if (app->l3_l2_stale) {
		evs_registry_dep_bump_all(app->reg, (unsigned int)app->mod_l2);
		app->l3_l2_stale = false;
		l3_counters_rebase(app); /* routers come and go with FIB changes */
	}
	/* packets released by resolution, now that their megaflows are stale */
	evs_l3_mgmt_flush(app->l3_mgmt);
}

void app_l3_free(struct evs_app *app)
{
	evs_l3_ctl_free(app->l3_ctl);
	app->l3_ctl = NULL;
	evs_l3_set_free(app->l3);
	app->l3 = NULL;
	evs_l3_mgmt_free(app->l3_mgmt);
	app->l3_mgmt = NULL;
	free(app->l3_seen);
	app->l3_seen = NULL;
	free(app->l3_base);
	app->l3_base = NULL;
}

void app_l3_binding_free(struct evs_app *app)
{
	evs_l3_binding_free(app->l3_bind);
	app->l3_bind = NULL;
}
