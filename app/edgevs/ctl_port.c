/* SPDX-License-Identifier: BSD-3-Clause */
/* The port object type (schema, runtime status) and port.stats. */

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ctl_util.h"
#include "evs_port.h"

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

/* Runtime state merged into port.get/list: slot, link, queues, device MAC, vhost. */
json_t *app_port_status(struct evs_store *st, struct evs_store_obj *o, void *ctx)
{
	struct evs_app *app = ctx;
	const json_t *v = evs_store_obj_value(o);
	int slot = (int)*evs_store_obj_aux(o) - 1;
	struct evs_port *p = slot >= 0 ? app->ports[slot].port : NULL;
	bool vhost =
	    strcmp(json_string_value(evs_store_field(st, "port", v, "type")), "vhost-user") == 0;
	struct evs_port_info info;
	struct evs_port_link link = {0};
	char mac[RTE_ETHER_ADDR_FMT_SIZE];
	json_t *s;

	s = json_pack("{s:i, s:O}", "index", slot, "type", evs_store_field(st, "port", v, "type"));
	if (p == NULL || evs_port_info_get(p, &info) != 0)
		return s;
	evs_port_link_get(p, &link);
	rte_ether_format_addr(mac, sizeof(mac), &info.mac);
	json_object_set_new(s, "link", json_string(link.up ? "up" : "down"));
	json_object_set_new(s, "speed_mbps", json_integer(link.speed_mbps));
	json_object_set_new(s, "rxq", json_integer(info.nb_rxq));
	json_object_set_new(s, "txq", json_integer(info.nb_txq));
	json_object_set_new(s, "shared_txq", json_integer(info.nb_shared_txq));
	json_object_set_new(s, "mtu", json_integer(info.mtu));
	if (!vhost)
		json_object_set_new(s, "mac", json_string(mac));
	if (vhost) {
		json_t *vh = vhost_json(p);

		if (vh != NULL)
			json_object_set_new(s, "vhost", vh);
	}
	return s;
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

static const char *const port_kinds[] = {"ethdev", "vhost-user", NULL};
static const char *const vhost_modes[] = {"server", "client", NULL};
static const struct evs_ctl_param vlan_fields[] = {
    {.name = "vlan",
     .type = EVS_CTL_T_UINT,
     .required = true,
     .min = 1,
     .max = 4094,
     .help = "802.1Q VLAN id on the wire"},
    {.name = "switch",
     .type = EVS_CTL_T_STRING,
     .required = true,
     .min_len = 1,
     .max_len = CONF_NAME_MAX - 1,
     .help = "switch the VLAN maps to"},
};
static const struct evs_ctl_param vlan_item = {
    .type = EVS_CTL_T_OBJECT, .fields = vlan_fields, .n_fields = RTE_DIM(vlan_fields)};
static const struct evs_ctl_param port_fields[] = {
    {.name = "name",
     .type = EVS_CTL_T_STRING,
     .required = true,
     .min_len = 1,
     .max_len = CONF_NAME_MAX - 1,
     .help = "port name: [A-Za-z0-9_.-]"},
    {.name = "type",
     .type = EVS_CTL_T_STRING,
     .choices = port_kinds,
     .help = "ethdev (any DPDK device by devargs) or vhost-user"},
    {.name = "devargs",
     .type = EVS_CTL_T_STRING,
     .min_len = 1,
     .max_len = CONF_DEVARGS_MAX - 1,
     .help = "ethdev: device and its arguments"},
    {.name = "path",
     .type = EVS_CTL_T_STRING,
     .min_len = 1,
     .max_len = CONF_PATH_MAX - 1,
     .help = "vhost-user: absolute socket path"},
    {.name = "mode",
     .type = EVS_CTL_T_STRING,
     .choices = vhost_modes,
     .help = "vhost-user: server (we create the socket) or client"},
    {.name = "queues",
     .type = EVS_CTL_T_UINT,
     .min = 1,
     .max = CONF_MAX_QUEUES,
     .help = "rx queues (vhost-user: queue pairs)"},
    {.name = "mtu", .type = EVS_CTL_T_UINT, .min = 68, .max = 9600, .help = "MTU"},
    {.name = "switch",
     .type = EVS_CTL_T_STRING,
     .max_len = CONF_NAME_MAX - 1,
     .help = "switch of untagged frames (\"\": none)"},
    {.name = "vlans",
     .type = EVS_CTL_T_ARRAY,
     .max_len = 64,
     .items = &vlan_item,
     .help = "tagged frames: [{vlan, switch}]"},
};
static const char *const port_key[] = {"name", NULL};
static const struct evs_store_ref port_refs[] = {
    {.field = "switch", .type = "switch", .on_delete = EVS_STORE_RESTRICT},
    {.field = "vlans[].switch", .type = "switch", .on_delete = EVS_STORE_RESTRICT},
};

const struct evs_obj_type app_port_type = {
    .name = "port",
    .section = "ports",
    .help = "a port: a DPDK device or a vhost-user socket, on switches",
    .fields = port_fields,
    .n_fields = RTE_DIM(port_fields),
    .defaults = "{\"type\": \"ethdev\", \"mode\": \"server\", \"queues\": 1, "
		"\"mtu\": 1500, \"switch\": \"\"}",
    .keys = port_key,
    .refs = port_refs,
    .n_refs = RTE_DIM(port_refs),
    .max_objects = CONF_MAX_PORTS,
    .ops = &app_port_ops,
};

static const struct evs_ctl_param p_stats[] = {
    {.name = "name",
     .type = EVS_CTL_T_STRING,
     .min_len = 1,
     .max_len = 31,
     .help = "one port, with per-queue counters (default: all ports)"},
};

/* port.add/del/set/get/list come from the schema (lib/store). */
int ctl_register_port(struct evs_app *app)
{
	const struct evs_ctl_method m[] = {
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
