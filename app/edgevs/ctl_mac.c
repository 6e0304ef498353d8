/* SPDX-License-Identifier: BSD-3-Clause */
/* Control methods: mac.add/del/list/flush; MAC table counters. */

#include <stdio.h>
#include <string.h>

#include "ctl_util.h"
#include "evs_l2.h"

static int find_static(const json_t *doc, const char *sw, const struct rte_ether_addr *mac,
		       size_t *sw_idx, size_t *mac_idx)
{
	const json_t *swo = json_array_get(json_object_get(doc, "switches"),
					   (size_t)conf_doc_find(doc, "switches", sw));
	const json_t *e;
	size_t i;

	json_array_foreach(json_object_get(swo, "macs"), i, e) {
		struct rte_ether_addr a;
		const char *s = json_string_value(json_object_get(e, "mac"));

		if (s != NULL && rte_ether_unformat_addr(s, &a) == 0 &&
		    rte_is_same_ether_addr(&a, mac)) {
			*sw_idx = (size_t)conf_doc_find(doc, "switches", sw);
			*mac_idx = i;
			return 0;
		}
	}
	return -ENOENT;
}

static int m_mac_add(struct evs_ctl_call *call, json_t *params, void *arg)
{
	struct evs_app *app = arg;
	const char *sw = json_string_value(json_object_get(params, "switch"));
	const char *mac = json_string_value(json_object_get(params, "mac"));
	json_t *doc, *swo, *macs;
	char from[80];
	int idx;

	if (conf_switch_find(app->conf, sw) == NULL)
		return evs_ctl_error(call, EVS_CTL_E_NOT_FOUND, "/params/switch",
				     "no switch named '%s'", sw);
	doc = ctl_doc_copy(app, call);
	if (doc == NULL)
		return -ENOMEM;
	idx = conf_doc_find(doc, "switches", sw);
	swo = json_array_get(json_object_get(doc, "switches"), (size_t)idx);
	macs = json_object_get(swo, "macs");
	if (macs == NULL) {
		macs = json_array();
		json_object_set_new(swo, "macs", macs);
	}
	snprintf(from, sizeof(from), "/switches/%d/macs/%zu", idx, json_array_size(macs));
	json_array_append_new(macs, json_pack("{s:s, s:O}", "mac", mac, "port",
					      json_object_get(params, "port")));
	if (ctl_apply_doc(app, call, doc, from, "/params") != 0)
		return 0;
	return evs_ctl_reply(call, json_pack("{s:s, s:s}", "switch", sw, "mac", mac));
}

static int m_mac_del(struct evs_ctl_call *call, json_t *params, void *arg)
{
	struct evs_app *app = arg;
	const char *sw = json_string_value(json_object_get(params, "switch"));
	const char *mac_s = json_string_value(json_object_get(params, "mac"));
	struct rte_ether_addr mac;
	size_t si, mi;
	json_t *doc;
	int id = app_switch_id(app, sw);

	if (conf_switch_find(app->conf, sw) == NULL || id < 0)
		return evs_ctl_error(call, EVS_CTL_E_NOT_FOUND, "/params/switch",
				     "no switch named '%s'", sw);
	rte_ether_unformat_addr(mac_s, &mac); /* format checked by the params spec */
	if (find_static(app->doc, sw, &mac, &si, &mi) == 0) {
		/* a static entry is desired state: remove it from the document */
		doc = ctl_doc_copy(app, call);
		if (doc == NULL)
			return -ENOMEM;
		json_array_remove(
			json_object_get(json_array_get(json_object_get(doc, "switches"), si), "macs"),
			mi);
		if (ctl_apply_doc(app, call, doc, "", "/params") != 0)
			return 0;
	} else if (evs_l2_macs_del(app->macs, (uint16_t)id, &mac) != 0) {
		return evs_ctl_error(call, EVS_CTL_E_NOT_FOUND, "/params/mac",
				     "no MAC %s in switch '%s'", mac_s, sw);
	}
	return evs_ctl_reply(call, json_pack("{s:s, s:s}", "switch", sw, "mac", mac_s));
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
		const char *port = mi.port < CONF_MAX_PORTS ? app->ports[mi.port].name : "?";

		if (only >= 0 && mi.switch_id != only)
			continue;
		if (mi.switch_id >= CONF_MAX_SWITCHES)
			continue;
		rte_ether_format_addr(mac, sizeof(mac), &mi.mac);
		json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s, s:i}", "switch",
						      app->switch_names[mi.switch_id], "mac", mac,
						      "port", port, "type",
						      mi.is_static ? "static" : "dynamic", "age",
						      (int)mi.age_s));
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
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "entries",
			 (json_int_t)evs_l2_macs_count(app->macs), "learned",
			 (json_int_t)st.learned, "moved", (json_int_t)st.moved, "aged",
			 (json_int_t)st.aged, "stale", (json_int_t)st.stale, "refused_full",
			 (json_int_t)st.refused_full, "ignored", (json_int_t)st.ignored,
			 "ring_full", (json_int_t)st.ring_full, "deferred",
			 (json_int_t)st.deferred);
}

static const struct evs_ctl_param p_add[] = {
	{.name = "switch", .type = EVS_CTL_T_STRING, .required = true, .min_len = 1,
	 .max_len = 31, .help = "switch name"},
	{.name = "mac", .type = EVS_CTL_T_MAC, .required = true, .help = "unicast MAC"},
	{.name = "port", .type = EVS_CTL_T_STRING, .required = true, .min_len = 1, .max_len = 31,
	 .help = "port the MAC lives behind (a member of the switch)"},
};
static const struct evs_ctl_param p_del[] = {
	{.name = "switch", .type = EVS_CTL_T_STRING, .required = true, .min_len = 1,
	 .max_len = 31, .help = "switch name"},
	{.name = "mac", .type = EVS_CTL_T_MAC, .required = true, .help = "MAC to forget"},
};
static const struct evs_ctl_param p_sw[] = {
	{.name = "switch", .type = EVS_CTL_T_STRING, .min_len = 1, .max_len = 31,
	 .help = "only this switch (default: all)"},
};

int ctl_register_mac(struct evs_app *app)
{
	const struct evs_ctl_method m[] = {
		{.name = "mac.add", .help = "Add a static MAC entry (never aged or moved).",
		 .fn = m_mac_add, .arg = app, .params = p_add, .n_params = RTE_DIM(p_add)},
		{.name = "mac.del", .help = "Remove a MAC entry, static or learned.",
		 .fn = m_mac_del, .arg = app, .params = p_del, .n_params = RTE_DIM(p_del)},
		{.name = "mac.list", .help = "MAC table entries: switch, MAC, port, type, age.",
		 .read_only = true, .fn = m_mac_list, .arg = app, .params = p_sw,
		 .n_params = RTE_DIM(p_sw)},
		{.name = "mac.flush", .help = "Forget learned MACs (static entries stay).",
		 .fn = m_mac_flush, .arg = app, .params = p_sw, .n_params = RTE_DIM(p_sw)},
	};

	return ctl_register_methods(app, m, RTE_DIM(m));
}
