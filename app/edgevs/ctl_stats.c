/* SPDX-License-Identifier: BSD-3-Clause */
/* Control method stats.get: PMD load, drops by reason, ports, MAC table. */

#include <rte_cycles.h>

#include "ctl_util.h"
#include "evs_l2.h"
#include "evs_port.h"

static uint64_t rd(const uint64_t *c)
{
	/* relaxed: pairs with the PMD's relaxed stores (pmd.c ctr_add) */
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

static json_t *pmd_json(const struct pmd_ctx *p, uint64_t *drops)
{
	uint64_t rx = rd(&p->rx_pkts), busy = rd(&p->busy_cycles), idle = rd(&p->idle_cycles);
	struct evs_l2_lcore_stats l2 = {0};
	unsigned int r;
	json_t *o;

	/* parse and output drops are the PMD's; switching drops are L2's */
	evs_l2_lcore_stats_add(p->l2, &l2);
	for (r = 0; r < EVS_DROP_REASON_MAX; r++)
		drops[r] += rd(&p->drops[r]) + l2.drops[r];
	o = json_pack("{s:i, s:I, s:I, s:I, s:I, s:I}", "lcore", (int)p->lcore, "rx_packets",
		      (json_int_t)rx, "tx_packets", (json_int_t)rd(&p->tx_pkts), "busy_cycles",
		      (json_int_t)busy, "idle_cycles", (json_int_t)idle, "generation",
		      (json_int_t)rd(&p->gen_seen));
	/* PMD busy cycles per packet: the datapath's cost, idle polling excluded */
	json_object_set_new(o, "cycles_per_packet", json_integer(rx ? (json_int_t)(busy / rx) : 0));
	json_object_set_new(o, "busy_pct",
			    json_integer(busy + idle ? (json_int_t)(100 * busy / (busy + idle)) : 0));
	json_object_set_new(o, "unicast", json_integer((json_int_t)l2.unicast));
	json_object_set_new(o, "flooded", json_integer((json_int_t)l2.flooded));
	return o;
}

json_t *app_stats_json(struct evs_app *app)
{
	uint64_t drops[EVS_DROP_REASON_MAX] = {0};
	struct evs_port_stats ps;
	uint64_t rx = 0, tx = 0, port_drops = 0;
	json_t *res, *pmds = json_array(), *dr = json_object();
	unsigned int i, r;

	for (i = 0; i < app->n_pmds; i++)
		json_array_append_new(pmds, pmd_json(app->pmds[i], drops));
	for (r = 1; r < EVS_DROP_REASON_MAX; r++)
		json_object_set_new(dr, evs_drop_reason_name(r), json_integer((json_int_t)drops[r]));
	for (i = 0; i < CONF_MAX_PORTS; i++) {
		if (app->ports[i].port == NULL || evs_port_stats_get(app->ports[i].port, &ps) != 0)
			continue;
		rx += ps.rx_packets;
		tx += ps.tx_packets;
		for (r = 0; r < EVS_PORT_DROP_MAX; r++)
			port_drops += ps.drops[r];
	}
	res = json_pack("{s:I, s:I, s:o, s:o}", "uptime_s",
			(json_int_t)((rte_rdtsc() - app->start_tsc) / rte_get_tsc_hz()),
			"generation", (json_int_t)app->gen, "pmds", pmds, "drops", dr);
	json_object_set_new(res, "ports", json_pack("{s:i, s:I, s:I, s:I}", "count",
						    (int)evs_store_count(app->store, "port"), "rx_packets",
						    (json_int_t)rx, "tx_packets", (json_int_t)tx,
						    "drops", (json_int_t)port_drops));
	json_object_set_new(res, "macs", ctl_macs_stats_json(app));
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
