/* SPDX-License-Identifier: BSD-3-Clause */
/* Control methods: port.add/del/list/stats. */

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ctl_util.h"
#include "evs_port.h"

static int m_port_add(struct evs_ctl_call *call, json_t *params, void *arg)
{
	struct evs_app *app = arg;
	const char *name = json_string_value(json_object_get(params, "name"));
	json_t *doc, *ports;
	char from[64];
	int slot;

	if (name != NULL && conf_port_find(app->conf, name) != NULL)
		return evs_ctl_error(call, EVS_CTL_E_EXISTS, "/params/name",
				     "port '%s' already exists", name);
	doc = ctl_doc_copy(app, call);
	if (doc == NULL)
		return -ENOMEM;
	ports = json_object_get(doc, "ports");
	snprintf(from, sizeof(from), "/ports/%zu", json_array_size(ports));
	json_array_append(ports, params);
	if (ctl_apply_doc(app, call, doc, from, "/params") != 0)
		return 0;
	slot = app_port_index(app, name);
	return evs_ctl_reply(call, json_pack("{s:s, s:i}", "name", name, "index", slot));
}

/* Remove port @name from @doc, with the static MACs that point at it. */
static void doc_del_port(json_t *doc, const char *name)
{
	json_t *sws = json_object_get(doc, "switches"), *sw;
	size_t i, k;

	json_array_remove(json_object_get(doc, "ports"), (size_t)conf_doc_find(doc, "ports", name));
	json_array_foreach (sws, i, sw) {
		json_t *macs = json_object_get(sw, "macs");

		for (k = json_array_size(macs); k-- > 0;) {
			const char *p =
			    json_string_value(json_object_get(json_array_get(macs, k), "port"));

			if (p != NULL && strcmp(p, name) == 0)
				json_array_remove(macs, k);
		}
	}
}

static int m_port_del(struct evs_ctl_call *call, json_t *params, void *arg)
{
	struct evs_app *app = arg;
	const char *name = json_string_value(json_object_get(params, "name"));
	json_t *doc;

	if (conf_port_find(app->conf, name) == NULL)
		return evs_ctl_error(call, EVS_CTL_E_NOT_FOUND, "/params/name",
				     "no port named '%s'", name);
	doc = ctl_doc_copy(app, call);
	if (doc == NULL)
		return -ENOMEM;
	doc_del_port(doc, name);
	if (ctl_apply_doc(app, call, doc, "", "/params") != 0)
		return 0;
	return evs_ctl_reply(call, json_pack("{s:s}", "name", name));
}

/* Virtio-net features worth naming in a report (bit, name). */
static const struct {
	unsigned int bit;
	const char *name;
} virtio_features[] = {
    {0, "csum"},       {1, "guest_csum"},      {5, "mac"},	    {11, "host_tso4"},
    {12, "host_tso6"}, {7, "guest_tso4"},      {8, "guest_tso6"},   {15, "mrg_rxbuf"},
    {16, "status"},    {17, "ctrl_vq"},	       {18, "ctrl_rx"},	    {21, "guest_announce"},
    {22, "mq"},	       {28, "indirect_desc"},  {29, "event_idx"},   {30, "protocol_features"},
    {32, "version_1"}, {33, "iommu_platform"}, {34, "ring_packed"}, {35, "in_order"},
};

/* Guest connection state and lifecycle counters of a vhost port. */
static json_t *vhost_json(const struct evs_port *p)
{
	struct evs_port_vhost_info vi;
	char hex[24];
	json_t *o, *names;
	unsigned int i;

	if (evs_port_vhost_get(p, &vi) != 0)
		return NULL;
	names = json_array();
	for (i = 0; i < RTE_DIM(virtio_features); i++)
		if (vi.features & (UINT64_C(1) << virtio_features[i].bit))
			json_array_append_new(names, json_string(virtio_features[i].name));
	snprintf(hex, sizeof(hex), "0x%" PRIx64, vi.features);
	o = json_pack("{s:b, s:b, s:s, s:o, s:i, s:i, s:b}", "connected", vi.connected, "running",
		      vi.running, "features", hex, "feature_names", names, "vrings", vi.nb_vrings,
		      "vrings_enabled", vi.nb_vrings_enabled, "guest_csum", vi.guest_csum);
	json_object_set_new(
	    o, "events",
	    json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "connects", (json_int_t)vi.connects,
		      "disconnects", (json_int_t)vi.disconnects, "refused", (json_int_t)vi.refused,
		      "guest_starts", (json_int_t)vi.guest_starts, "guest_stops",
		      (json_int_t)vi.guest_stops, "vring_enables", (json_int_t)vi.vring_enables,
		      "vring_disables", (json_int_t)vi.vring_disables));
	json_object_set_new(o, "tx_redirected", json_integer((json_int_t)vi.tx_redirected));
	return o;
}

static json_t *port_json(struct evs_app *app, const struct conf_port *cp)
{
	int slot = app_port_index(app, cp->name);
	struct evs_port *p = slot >= 0 ? app->ports[slot].port : NULL;
	struct evs_port_info info;
	struct evs_port_link link = {0};
	char mac[RTE_ETHER_ADDR_FMT_SIZE];
	json_t *o, *vlans = json_array();
	unsigned int k;

	for (k = 0; k < cp->n_vlans; k++)
		json_array_append_new(vlans, json_pack("{s:i, s:s}", "vlan", cp->vlans[k].vlan,
						       "switch", cp->vlans[k].sw));
	o = json_pack("{s:s, s:i, s:s, s:s, s:o}", "name", cp->name, "index", slot, "type",
		      cp->type == CONF_PORT_VHOST ? "vhost-user" : "ethdev", "switch", cp->sw,
		      "vlans", vlans);
	if (cp->type == CONF_PORT_VHOST) {
		json_object_set_new(o, "path", json_string(cp->path));
		json_object_set_new(o, "mode", json_string(cp->client ? "client" : "server"));
	} else {
		json_object_set_new(o, "devargs", json_string(cp->devargs));
	}
	if (p == NULL || evs_port_info_get(p, &info) != 0)
		return o;
	evs_port_link_get(p, &link);
	rte_ether_format_addr(mac, sizeof(mac), &info.mac);
	json_object_set_new(o, "link", json_string(link.up ? "up" : "down"));
	json_object_set_new(o, "speed_mbps", json_integer(link.speed_mbps));
	json_object_set_new(o, "rxq", json_integer(info.nb_rxq));
	json_object_set_new(o, "txq", json_integer(info.nb_txq));
	json_object_set_new(o, "shared_txq", json_integer(info.nb_shared_txq));
	json_object_set_new(o, "mtu", json_integer(info.mtu));
	if (cp->type == CONF_PORT_ETHDEV)
		json_object_set_new(o, "mac", json_string(mac));
	if (cp->type == CONF_PORT_VHOST) {
		json_t *v = vhost_json(p);

		if (v != NULL)
			json_object_set_new(o, "vhost", v);
	}
	return o;
}

static int m_port_list(struct evs_ctl_call *call, json_t *params, void *arg)
{
	struct evs_app *app = arg;
	json_t *list = json_array();
	unsigned int i;

	(void)params;
	for (i = 0; i < app->conf->n_ports; i++)
		json_array_append_new(list, port_json(app, &app->conf->ports[i]));
	return evs_ctl_reply(call, list);
}

static json_t *drops_json(const uint64_t *drops)
{
	json_t *o = json_object();
	int r;

	for (r = 0; r < EVS_PORT_DROP_MAX; r++)
		json_object_set_new(o, evs_port_drop_name(r), json_integer((json_int_t)drops[r]));
	return o;
}

static json_t *queues_json(const struct evs_port *p, bool tx, uint16_t n)
{
	json_t *arr = json_array();
	uint16_t q;

	for (q = 0; q < n; q++) {
		struct evs_port_qstats st;
		json_t *o;

		if (evs_port_queue_stats_get(p, tx, q, &st) != 0)
			continue;
		o = json_pack("{s:i, s:I, s:I}", "queue", q, "packets", (json_int_t)st.packets,
			      "bytes", (json_int_t)st.bytes);
		json_object_set_new(o, "drops", drops_json(st.drops));
		if (tx) {
			json_object_set_new(o, "lock_waits",
					    json_integer((json_int_t)st.lock_waits));
			json_object_set_new(o, "csum_sw", json_integer((json_int_t)st.csum_sw));
			json_object_set_new(o, "csum_passed",
					    json_integer((json_int_t)st.csum_passed));
		}
		json_array_append_new(arr, o);
	}
	return arr;
}

static json_t *port_stats_json(const struct evs_port *p, const char *name, bool queues)
{
	struct evs_port_stats st;
	uint64_t total = 0;
	json_t *o;
	int r;

	if (evs_port_stats_get(p, &st) != 0)
		return json_pack("{s:s}", "name", name);
	o = json_pack("{s:s, s:I, s:I, s:I, s:I}", "name", name, "rx_packets",
		      (json_int_t)st.rx_packets, "rx_bytes", (json_int_t)st.rx_bytes, "tx_packets",
		      (json_int_t)st.tx_packets, "tx_bytes", (json_int_t)st.tx_bytes);
	for (r = 0; r < EVS_PORT_DROP_MAX; r++)
		total += st.drops[r];
	json_object_set_new(o, "drops_total", json_integer((json_int_t)total));
	json_object_set_new(o, "tx_csum_sw", json_integer((json_int_t)st.tx_csum_sw));
	json_object_set_new(o, "tx_csum_passed", json_integer((json_int_t)st.tx_csum_passed));
	if (queues) {
		json_t *v = vhost_json(p);

		if (v != NULL)
			json_object_set_new(o, "vhost", v);
		json_object_set_new(o, "drops", drops_json(st.drops));
		json_object_set_new(o, "rx_queues", queues_json(p, false, p->nb_rxq));
		json_object_set_new(o, "tx_queues", queues_json(p, true, p->nb_txq));
	}
	return o;
}

static int m_port_stats(struct evs_ctl_call *call, json_t *params, void *arg)
{
	struct evs_app *app = arg;
	const char *name = json_string_value(json_object_get(params, "name"));
	json_t *list;
	int i;

	if (name != NULL) {
		i = app_port_index(app, name);
		if (i < 0)
			return evs_ctl_error(call, EVS_CTL_E_NOT_FOUND, "/params/name",
					     "no port named '%s'", name);
		return evs_ctl_reply(call, port_stats_json(app->ports[i].port, name, true));
	}
	list = json_array();
	for (i = 0; i < CONF_MAX_PORTS; i++)
		if (app->ports[i].port != NULL)
			json_array_append_new(
			    list, port_stats_json(app->ports[i].port, app->ports[i].name, false));
	return evs_ctl_reply(call, list);
}

static const struct evs_ctl_param p_name[] = {
    {.name = "name",
     .type = EVS_CTL_T_STRING,
     .required = true,
     .min_len = 1,
     .max_len = 31,
     .help = "port name"},
};
static const struct evs_ctl_param p_stats[] = {
    {.name = "name",
     .type = EVS_CTL_T_STRING,
     .min_len = 1,
     .max_len = 31,
     .help = "one port, with per-queue counters (default: all ports)"},
};

int ctl_register_port(struct evs_app *app)
{
	const struct evs_ctl_method m[] = {
	    {.name = "port.add",
	     .usage =
		 "name=STR [type=ethdev|vhost-user] devargs=STR | path=SOCK [mode=server|client] "
		 "[queues=N] [mtu=N] [switch=SW] [vlans=[{vlan,switch}]]",
	     .help = "Add a port live; the other ports keep forwarding.",
	     .fn = m_port_add,
	     .arg = app},
	    {.name = "port.del",
	     .help = "Remove a port live (and its static MACs).",
	     .fn = m_port_del,
	     .arg = app,
	     .params = p_name,
	     .n_params = RTE_DIM(p_name)},
	    {.name = "port.list",
	     .help = "Ports with their type, membership and link; vhost ports with the "
		     "guest's state, features and lifecycle counters.",
	     .read_only = true,
	     .fn = m_port_list,
	     .arg = app,
	     .params = evs_ctl_no_params},
	    {.name = "port.stats",
	     .help = "Packets, bytes and drops by reason, per port (per queue with name).",
	     .read_only = true,
	     .fn = m_port_stats,
	     .arg = app,
	     .params = p_stats,
	     .n_params = RTE_DIM(p_stats)},
	};

	return ctl_register_methods(app, m, RTE_DIM(m));
}
