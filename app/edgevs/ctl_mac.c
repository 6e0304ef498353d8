/* SPDX-License-Identifier: BSD-3-Clause */
/* Control methods on the MAC table: mac.list/del/flush (mac.add/set/get come
 * from the schema); MAC table counters. */

#include <stdio.h>
#include <string.h>

#include "ctl_util.h"
#include "evs_l2.h"

/* A static entry is desired state: it goes through the store; a learned one
 * is forgotten in the table. */
static int m_mac_del(struct evs_ctl_call *call, json_t *params, void *arg)
{
	struct evs_app *app = arg;
	const char *sw = json_string_value(json_object_get(params, "switch"));
	const char *mac_s = json_string_value(json_object_get(params, "mac"));
	struct rte_ether_addr mac;
	int id = app_switch_id(app, sw);

	if (id < 0)
		return evs_ctl_error(call, EVS_CTL_E_NOT_FOUND, "/params/switch",
				     "no switch named '%s'", sw);
	if (evs_store_lookup(app->store, "mac", params) != NULL) {
		if (ctl_store_op(app, call, EVS_STORE_DEL, "mac", params) < 0)
			return 0; /* answered */
		return evs_ctl_reply(call, json_pack("{s:s, s:s, s:I}", "switch", sw, "mac", mac_s,
						     "generation",
						     (json_int_t)evs_store_generation(app->store)));
	}
	rte_ether_unformat_addr(mac_s, &mac); /* format checked by the params spec */
	if (evs_l2_macs_del(app->macs, (uint16_t)id, &mac) != 0)
		return evs_ctl_error(call, EVS_CTL_E_NOT_FOUND, "/params/mac",
				     "no MAC %s in switch '%s'", mac_s, sw);
	return evs_ctl_reply(call,
			     json_pack("{s:s, s:s, s:I}", "switch", sw, "mac", mac_s, "generation",
				       (json_int_t)evs_store_generation(app->store)));
}

static int m_mac_list(struct evs_ctl_call *call, json_t *params, void *arg)
{
	struct evs_app *app = arg;
	const char *sw = json_string_value(json_object_get(params, "switch"));
	int only = -1;
	uint32_t cursor = 0, now = evs_l2_now();
	struct evs_l2_mac_info mi;
	json_t *list;

	if (sw != NULL) {
		only = app_switch_id(app, sw);
		if (only < 0)
			return evs_ctl_error(call, EVS_CTL_E_NOT_FOUND, "/params/switch",
					     "no switch named '%s'", sw);
	}
	list = json_array();
	while (evs_l2_macs_next(app->macs, &cursor, now, &mi) == 0) {
		char mac[RTE_ETHER_ADDR_FMT_SIZE];
		/* a remote MAC: the tunnel port says which host and VNI */
		const char *port = mi.port < CONF_MAX_PORTS ? app->ports[mi.port].name
				   : mi.port >= EVS_L2_TUNNEL_BASE
				       ? app_overlay_port_name(app, mi.port)
				       : "?";

		if (only >= 0 && mi.switch_id != only)
			continue;
		if (mi.switch_id >= CONF_MAX_SWITCHES)
			continue;
		rte_ether_format_addr(mac, sizeof(mac), &mi.mac);
		json_array_append_new(list,
				      json_pack("{s:s, s:s, s:s, s:s, s:i}", "switch",
						app->switch_names[mi.switch_id], "mac", mac, "port",
						port, "type", mi.is_static ? "static" : "dynamic",
						"age", (int)mi.age_s));
	}
	return evs_ctl_reply(call, list);
}

static int m_mac_flush(struct evs_ctl_call *call, json_t *params, void *arg)
{
	struct evs_app *app = arg;
	const char *sw = json_string_value(json_object_get(params, "switch"));
	uint32_t n;

	if (sw != NULL) {
		int id = app_switch_id(app, sw);

		if (id < 0)
			return evs_ctl_error(call, EVS_CTL_E_NOT_FOUND, "/params/switch",
					     "no switch named '%s'", sw);
		n = evs_l2_macs_flush_switch(app->macs, (uint16_t)id, false);
	} else {
		n = evs_l2_macs_flush_all(app->macs, false);
	}
	return evs_ctl_reply(call, json_pack("{s:i}", "flushed", (int)n));
}

json_t *ctl_macs_stats_json(struct evs_app *app)
{
	struct evs_l2_macs_stats st;

	evs_l2_macs_stats_get(app->macs, &st);
	return json_pack(
	    "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "entries",
	    (json_int_t)evs_l2_macs_count(app->macs), "learned", (json_int_t)st.learned, "moved",
	    (json_int_t)st.moved, "aged", (json_int_t)st.aged, "stale", (json_int_t)st.stale,
	    "refused_full", (json_int_t)st.refused_full, "ignored", (json_int_t)st.ignored,
	    "ring_full", (json_int_t)st.ring_full, "deferred", (json_int_t)st.deferred);
}

static const struct evs_ctl_param p_del[] = {
    {.name = "switch",
     .type = EVS_CTL_T_STRING,
     .required = true,
     .min_len = 1,
     .max_len = 31,
     .help = "switch name"},
    {.name = "mac", .type = EVS_CTL_T_MAC, .required = true, .help = "MAC to forget"},
};
static const struct evs_ctl_param p_sw[] = {
    {.name = "switch",
     .type = EVS_CTL_T_STRING,
     .min_len = 1,
     .max_len = 31,
     .help = "only this switch (default: all)"},
};

int ctl_register_mac(struct evs_app *app)
{
	const struct evs_ctl_method m[] = {
	    {.name = "mac.del",
	     .help = "Remove a MAC entry, static or learned.",
	     .fn = m_mac_del,
	     .arg = app,
	     .params = p_del,
	     .n_params = RTE_DIM(p_del)},
	    {.name = "mac.list",
	     .help = "MAC table entries: switch, MAC, port, type, age.",
	     .read_only = true,
	     .fn = m_mac_list,
	     .arg = app,
	     .params = p_sw,
	     .n_params = RTE_DIM(p_sw)},
	    {.name = "mac.flush",
	     .help = "Forget learned MACs (static entries stay).",
	     .fn = m_mac_flush,
	     .arg = app,
	     .params = p_sw,
	     .n_params = RTE_DIM(p_sw)},
	};

	return ctl_register_methods(app, m, RTE_DIM(m));
}
