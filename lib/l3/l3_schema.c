/* SPDX-License-Identifier: BSD-3-Clause */
/* The routing object types and their JSON forms (see evs_l3_schema.h). */

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "evs_l3_schema.h"
#include "l3_schema_private.h"

static const struct evs_ctl_param name_field = {.name = "name",
						.type = EVS_CTL_T_STRING,
						.required = true,
						.min_len = 1,
						.max_len = EVS_L3_NAME_LEN - 1,
						.help = "name: [A-Za-z0-9_.-]"};

static const struct evs_ctl_param router_fields[] = {
    name_field,
    {.name = "max_routes4",
     .type = EVS_CTL_T_UINT,
     .min = 1,
     .max = 1 << 24,
     .help = "IPv4 routes this router may hold"},
    {.name = "max_routes6",
     .type = EVS_CTL_T_UINT,
     .min = 1,
     .max = 1 << 22,
     .help = "IPv6 routes this router may hold"},
    {.name = "max_neigh",
     .type = EVS_CTL_T_UINT,
     .min = 8,
     .max = 1 << 20,
     .help = "neighbour entries"},
    {.name = "icmp_rate",
     .type = EVS_CTL_T_UINT,
     .min = 1,
     .max = 1000000,
     .help = "ICMP errors per second"},
};
static const char *const name_key[] = {"name", NULL};

const struct evs_obj_type evs_l3_router_type = {
    .name = "router",
    .section = "routers",
    .help = "a logical router: one VRF, present on every host",
    .fields = router_fields,
    .n_fields = sizeof(router_fields) / sizeof(router_fields[0]),
    .defaults = "{\"max_routes4\": 65536, \"max_routes6\": 16384, \"max_neigh\": 4096, "
		"\"icmp_rate\": 100}",
    .keys = name_key,
    .max_objects = EVS_L3_MAX_ROUTERS,
};

static const struct evs_ctl_param addr_item = {.type = EVS_CTL_T_IP_PREFIX,
					       .help = "address with its subnet: 10.0.1.1/24"};
static const struct evs_ctl_param port_fields[] = {
    {.name = "name",
     .type = EVS_CTL_T_STRING,
     .required = true,
     .min_len = 1,
     .max_len = 31,
     .help = "router port name: [A-Za-z0-9_.-]"},
    {.name = "router",
     .type = EVS_CTL_T_STRING,
     .required = true,
     .min_len = 1,
     .max_len = EVS_L3_NAME_LEN - 1,
     .help = "the router"},
    {.name = "switch",
     .type = EVS_CTL_T_STRING,
     .required = true,
     .min_len = 1,
     .max_len = 31,
     .help = "the logical switch it attaches to"},
    {.name = "mac", .type = EVS_CTL_T_MAC, .required = true, .help = "the gateway MAC (unicast)"},
    {.name = "addresses",
     .type = EVS_CTL_T_ARRAY,
     .max_len = EVS_L3_PORT_ADDRS,
     .items = &addr_item,
     .help = "gateway addresses with subnet lengths"},
    {.name = "mtu", .type = EVS_CTL_T_UINT, .min = 68, .max = 9216, .help = "IP MTU"},
    {.name = "ipv6_ra",
     .type = EVS_CTL_T_BOOL,
     .help = "send IPv6 router advertisements (default route, prefixes, MTU) on the switch"},
};
static const struct evs_store_ref port_refs[] = {
    {.field = "router", .type = "router", .on_delete = EVS_STORE_CASCADE},
    {.field = "switch", .type = "switch", .on_delete = EVS_STORE_RESTRICT},
};

const struct evs_obj_type evs_l3_router_port_type = {
    .name = "router_port",
    .section = "router_ports",
    .help = "a router's leg on a logical switch, with the subnets' gateway addresses",
    .fields = port_fields,
    .n_fields = sizeof(port_fields) / sizeof(port_fields[0]),
    .defaults = "{\"mtu\": 1500, \"addresses\": [], \"ipv6_ra\": false}",
    .keys = name_key,
    .refs = port_refs,
    .n_refs = sizeof(port_refs) / sizeof(port_refs[0]),
};

static const char *const route_kinds[] = {"forward", "blackhole", "reject", "vrf", NULL};
static const char *const reject_kinds[] = {"net", "host", "admin", "port", NULL};
static const struct evs_ctl_param nh_fields[] = {
    {.name = "port",
     .type = EVS_CTL_T_STRING,
     .required = true,
     .min_len = 1,
     .max_len = 31,
     .help = "router port"},
    {.name = "via", .type = EVS_CTL_T_IP, .help = "gateway; absent: the destination is on-link"},
    {.name = "weight", .type = EVS_CTL_T_UINT, .min = 1, .max = 65535, .help = "ECMP share"},
};
static const struct evs_ctl_param nh_item = {.type = EVS_CTL_T_OBJECT,
					     .fields = nh_fields,
					     .n_fields = sizeof(nh_fields) / sizeof(nh_fields[0])};
static const struct evs_ctl_param route_fields[] = {
    {.name = "router",
     .type = EVS_CTL_T_STRING,
     .required = true,
     .min_len = 1,
     .max_len = EVS_L3_NAME_LEN - 1,
     .help = "the router (VRF)"},
    /* a string, not an ip-prefix: the store keys only strings and numbers;
     * the prefix is parsed when the route is applied */
    {.name = "prefix",
     .type = EVS_CTL_T_STRING,
     .required = true,
     .min_len = 2,
     .max_len = 43,
     .help = "destination prefix, host bits zero: 10.0.0.0/8, ::/0"},
    {.name = "type", .type = EVS_CTL_T_STRING, .choices = route_kinds, .help = "what it does"},
    {.name = "nexthops",
     .type = EVS_CTL_T_ARRAY,
     .max_len = EVS_L3_ECMP_MAX,
     .items = &nh_item,
     .help = "forward: one or more next hops (ECMP)"},
    {.name = "reject",
     .type = EVS_CTL_T_STRING,
     .choices = reject_kinds,
     .help = "reject: the unreachable code"},
    {.name = "vrf",
     .type = EVS_CTL_T_STRING,
     .max_len = EVS_L3_NAME_LEN - 1,
     .help = "vrf: the router to look up in next"},
};
static const char *const route_key[] = {"router", "prefix", NULL};
static const struct evs_store_ref route_refs[] = {
    {.field = "router", .type = "router", .on_delete = EVS_STORE_CASCADE},
    {.field = "nexthops[].port", .type = "router_port", .on_delete = EVS_STORE_RESTRICT},
    {.field = "vrf", .type = "router", .on_delete = EVS_STORE_RESTRICT},
};

const struct evs_obj_type evs_l3_route_type = {
    .name = "route",
    .section = "routes",
    .help = "a static route of a router",
    .fields = route_fields,
    .n_fields = sizeof(route_fields) / sizeof(route_fields[0]),
    .defaults = "{\"type\": \"forward\", \"reject\": \"net\"}",
    .keys = route_key,
    .refs = route_refs,
    .n_refs = sizeof(route_refs) / sizeof(route_refs[0]),
    .prepare_sliced = true, /* one FIB change per delta (l3_apply.c) */
};

static const struct evs_ctl_param neigh_fields[] = {
    {.name = "port",
     .type = EVS_CTL_T_STRING,
     .required = true,
     .min_len = 1,
     .max_len = 31,
     .help = "router port"},
    {.name = "address",
     .type = EVS_CTL_T_STRING,
     .required = true,
     .min_len = 2,
     .max_len = 39,
     .help = "neighbour address (a string key, parsed when applied)"},
    {.name = "mac", .type = EVS_CTL_T_MAC, .required = true, .help = "its MAC (unicast)"},
};
static const char *const neigh_key[] = {"port", "address", NULL};
static const struct evs_store_ref neigh_refs[] = {
    {.field = "port", .type = "router_port", .on_delete = EVS_STORE_CASCADE},
};

const struct evs_obj_type evs_l3_neigh_type = {
    .name = "neigh",
    .section = "neighbours",
    .help = "a static neighbour of a router port",
    .fields = neigh_fields,
    .n_fields = sizeof(neigh_fields) / sizeof(neigh_fields[0]),
    .keys = neigh_key,
    .refs = neigh_refs,
    .n_refs = sizeof(neigh_refs) / sizeof(neigh_refs[0]),
    .prepare_sliced = true, /* one neighbour entry per delta */
};

int l3_parse_addr(const char *s, struct evs_l3_addr *a, uint8_t *len)
{
	int af;

	memset(a, 0, sizeof(*a));
	if (s == NULL || evs_ctl_parse_ip(s, &af, a->b, len) < 0)
		return -EINVAL;
	a->family = af == AF_INET ? EVS_L3_IPV4 : EVS_L3_IPV6;
	if (af == AF_INET)
		memset(a->b + 4, 0, 12);
	return 0;
}

static const char *str(const json_t *o, const char *f)
{
	return json_string_value(json_object_get(o, f));
}

int evs_l3_route_from_json(struct evs_store *st, const json_t *obj, struct evs_l3_prefix *pfx,
			   struct evs_l3_route_spec *spec, struct evs_ctl_err *err,
			   const char *path)
{
	const char *type = json_string_value(evs_store_field(st, "route", obj, "type"));
	const char *router = str(obj, "router");
	const json_t *nhs = json_object_get(obj, "nexthops"), *nh;
	char sub[EVS_CTL_PATH_MAX];
	size_t i;

	memset(spec, 0, sizeof(*spec));
	if (l3_parse_addr(str(obj, "prefix"), &pfx->addr, &pfx->len) < 0)
		return evs_store_err(err, -EINVAL, path, "bad prefix");
	{
		struct evs_l3_prefix net = *pfx;

		l3_mask_bytes(net.addr.b, net.len, 16);
		if (memcmp(&net, pfx, sizeof(net)) != 0)
			return evs_store_err(err, -EINVAL,
					     evs_ctl_path_key(sub, sizeof(sub), path, "prefix"),
					     "prefix '%s' has host bits set", str(obj, "prefix"));
	}
	if (strcmp(type, "forward") == 0) {
		spec->type = EVS_L3_ROUTE_FORWARD;
		if (json_array_size(nhs) == 0)
			return evs_store_err(err, -EINVAL,
					     evs_ctl_path_key(sub, sizeof(sub), path, "nexthops"),
					     "a forward route needs next hops");
	} else if (json_array_size(nhs) != 0) {
		return evs_store_err(err, -EINVAL,
				     evs_ctl_path_key(sub, sizeof(sub), path, "nexthops"),
				     "a %s route has no next hops", type);
	} else if (strcmp(type, "blackhole") == 0) {
		spec->type = EVS_L3_ROUTE_BLACKHOLE;
	} else if (strcmp(type, "reject") == 0) {
		const char *r = json_string_value(evs_store_field(st, "route", obj, "reject"));

		spec->type = EVS_L3_ROUTE_REJECT;
		for (uint8_t k = 0; reject_kinds[k] != NULL; k++)
			if (strcmp(r, reject_kinds[k]) == 0)
				spec->reject_code = k;
	} else {
		const char *v = str(obj, "vrf");
		struct evs_store_obj *o = v != NULL ? evs_store_lookup_str(st, "router", v) : NULL;

		spec->type = EVS_L3_ROUTE_VRF;
		if (o == NULL || strcmp(v, router) == 0)
			return evs_store_err(err, -EINVAL,
					     evs_ctl_path_key(sub, sizeof(sub), path, "vrf"),
					     "a vrf route names another router");
		spec->next_vrf = (uint16_t)*evs_store_obj_aux(o);
	}
	json_array_foreach (nhs, i, nh) {
		struct evs_l3_nexthop *x = &spec->nh[i];
		const char *pn = str(nh, "port");
		struct evs_store_obj *po = evs_store_lookup_str(st, "router_port", pn);
		const json_t *w = json_object_get(nh, "weight");

		snprintf(sub, sizeof(sub), "%s/nexthops/%zu", path, i);
		if (po == NULL || strcmp(str(evs_store_obj_value(po), "router"), router) != 0)
			return evs_store_err(err, -EINVAL, sub,
					     "port '%s' is not a port of router '%s'", pn, router);
		x->port = (uint16_t)*evs_store_obj_aux(po);
		x->weight = w != NULL ? (uint16_t)json_integer_value(w) : 1;
		if (str(nh, "via") != NULL) {
			x->via = true;
			l3_parse_addr(str(nh, "via"), &x->gw, NULL);
			if (x->gw.family != pfx->addr.family)
				return evs_store_err(
				    err, -EINVAL, sub,
				    "gateway and prefix are of different families");
		}
	}
	spec->n_nh = (uint16_t)json_array_size(nhs);
	return 0;
}
