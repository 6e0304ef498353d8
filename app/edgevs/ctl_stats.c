/* SPDX-License-Identifier: BSD-3-Clause */
/* Control method stats.get: PMD load and module counters, drops by reason and owner, ports,
 * MAC table. */

#include <rte_cycles.h>

#include "ctl_util.h"
#include "evs_pipeline.h"
#include "evs_port.h"

static uint64_t rd(const uint64_t *c)
{
	/* relaxed: pairs with the PMD's relaxed stores (pmd.c ctr_add) */
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

/* Each module's counters on one PMD, by module name. */
static json_t *modules_json(const struct evs_app *app, const struct pmd_ctx *p)
{
	json_t *o = json_object();
	unsigned int m, c;

	for (m = 0; m < evs_registry_n_modules(app->reg); m++) {
		const struct evs_module *mod = evs_registry_module(app->reg, m);
		uint64_t vals[64] = {0};
		json_t *mo;

		if (mod->n_counters == 0 || mod->n_counters > RTE_DIM(vals))
			continue;
		mod->counters_get(evs_pipeline_lcore_module(p->pl, m), vals);
		mo = json_object();
		for (c = 0; c < mod->n_counters; c++)
			json_object_set_new(mo, mod->counter_names[c],
					    json_integer((json_int_t)vals[c]));
		json_object_set_new(o, mod->name, mo);
	}
	return o;
}

static json_t *pmd_json(const struct evs_app *app, const struct pmd_ctx *p, uint64_t *parse_drops,
			uint64_t *drops)
{
	uint64_t rx = rd(&p->rx_pkts), busy = rd(&p->busy_cycles), idle = rd(&p->idle_cycles);
	unsigned int r;
	json_t *o;

	/* parse drops are the PMD's; the pipeline's are the engine's and the modules' */
	for (r = 0; r < EVS_DROP_REASON_MAX; r++)
		parse_drops[r] += rd(&p->drops[r]);
	evs_pipeline_drops_add(p->pl, drops);
	o = json_pack("{s:i, s:I, s:I, s:I, s:I, s:I}", "lcore", (int)p->lcore, "rx_packets",
		      (json_int_t)rx, "tx_packets", (json_int_t)rd(&p->tx_pkts), "busy_cycles",
		      (json_int_t)busy, "idle_cycles", (json_int_t)idle, "generation",
		      (json_int_t)rd(&p->gen_seen));
	/* PMD busy cycles per packet: the datapath's cost, idle polling excluded */
	json_object_set_new(o, "cycles_per_packet", json_integer(rx ? (json_int_t)(busy / rx) : 0));
	json_object_set_new(
	    o, "busy_pct",
	    json_integer(busy + idle ? (json_int_t)(100 * busy / (busy + idle)) : 0));
	json_object_set_new(o, "modules", modules_json(app, p));
	return o;
}

/* Drops by name (equal names of two owners add up in "drops") and by owner. */
static void drops_json(const struct evs_app *app, const uint64_t *parse_drops,
		       const uint64_t *drops, json_t *flat, json_t *by_owner)
{
	json_t *pk = json_object();
	unsigned int r;

	for (r = 1; r < EVS_DROP_REASON_MAX; r++) {
		json_object_set_new(flat, evs_drop_reason_name(r),
				    json_integer((json_int_t)parse_drops[r]));
		json_object_set_new(pk, evs_drop_reason_name(r),
				    json_integer((json_int_t)parse_drops[r]));
	}
	json_object_set_new(by_owner, "packet", pk);
	for (r = 1; r < evs_registry_n_drops(app->reg); r++) {
		const char *name = evs_registry_drop_name(app->reg, r);
		const char *owner = evs_registry_drop_owner(app->reg, r);
		json_t *prev = json_object_get(flat, name), *ow = json_object_get(by_owner, owner);

		json_object_set_new(flat, name,
				    json_integer(json_integer_value(prev) + (json_int_t)drops[r]));
		if (ow == NULL) {
			ow = json_object();
			json_object_set_new(by_owner, owner, ow);
		}
		json_object_set_new(ow, name, json_integer((json_int_t)drops[r]));
	}
}

json_t *app_stats_json(struct evs_app *app)
{
	uint64_t parse_drops[EVS_DROP_REASON_MAX] = {0}, drops[EVS_DROPS_MAX] = {0};
	struct evs_port_stats ps;
	uint64_t rx = 0, tx = 0, port_drops = 0;
	json_t *res, *pmds = json_array(), *dr = json_object(), *dro = json_object();
	unsigned int i, r;

	for (i = 0; i < app->n_pmds; i++)
		json_array_append_new(pmds, pmd_json(app, app->pmds[i], parse_drops, drops));
	drops_json(app, parse_drops, drops, dr, dro);
	for (i = 0; i < CONF_MAX_PORTS; i++) {
		if (app->ports[i].port == NULL || evs_port_stats_get(app->ports[i].port, &ps) != 0)
			continue;
		rx += ps.rx_packets;
		tx += ps.tx_packets;
		for (r = 0; r < EVS_PORT_DROP_MAX; r++)
			port_drops += ps.drops[r];
	}
	res =
	    json_pack("{s:I, s:I, s:o, s:o, s:o}", "uptime_s",
		      (json_int_t)((rte_rdtsc() - app->start_tsc) / rte_get_tsc_hz()), "generation",
		      (json_int_t)app->gen, "pmds", pmds, "drops", dr, "drops_by_owner", dro);
	json_object_set_new(res, "ports",
			    json_pack("{s:i, s:I, s:I, s:I}", "count",
				      (int)evs_store_count(app->store, "port"), "rx_packets",
				      (json_int_t)rx, "tx_packets", (json_int_t)tx, "drops",
				      (json_int_t)port_drops));
	json_object_set_new(res, "macs", ctl_macs_stats_json(app));
	/* the packet pool: back to its idle figure when nothing leaks */
	json_object_set_new(res, "mbufs",
			    json_pack("{s:I, s:I}", "size", (json_int_t)app->pool->size, "in_use",
				      (json_int_t)rte_mempool_in_use_count(app->pool)));
	/* what every configuration change allocates and publishes */
	json_object_set_new(res, "snapshot_bytes",
			    json_integer(app->snap ? (json_int_t)app->snap->size : 0));
	return res;
}

static int m_stats_get(struct evs_ctl_call *call, json_t *params, void *arg)
{
	(void)params;
	return evs_ctl_reply(call, app_stats_json(arg));
}

int ctl_register_stats(struct evs_app *app)
{
	const struct evs_ctl_method m = {
	    .name = "stats.get",
	    .help = "Switch-wide counters: PMD busy cycles per packet, drops by reason, "
		    "port totals, MAC table.",
	    .read_only = true,
	    .fn = m_stats_get,
	    .arg = app,
	    .params = evs_ctl_no_params,
	};

	return evs_ctl_register(app->ctl, &m);
}
