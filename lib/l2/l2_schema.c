/* SPDX-License-Identifier: BSD-3-Clause */
/* The L2 object types: switch and static MAC (see evs_l2_schema.h). */

#include <errno.h>
#include <string.h>

#include "evs_l2_schema.h"

static const struct evs_ctl_param conntrack_fields[] = {
    {.name = "zone",
     .type = EVS_CTL_T_UINT,
     .required = true,
     .max = 65519, /* EVS_CT_ZONE_USER_MAX */
     .help = "ct zone (65520-65535 are the switch's own)"},
};

static const struct evs_ctl_param switch_fields[] = {
    {.name = "name",
     .type = EVS_CTL_T_STRING,
     .required = true,
     .min_len = 1,
     .max_len = 31,
     .help = "switch name: [A-Za-z0-9_.-]"},
    {.name = "mac_aging",
     .type = EVS_CTL_T_UINT,
     .min = 1,
     .max = 86400,
     .help = "seconds before an idle learned MAC is forgotten"},
    {.name = "max_macs",
     .type = EVS_CTL_T_UINT,
     .min = 1,
     .max = 1 << 20,
     .help = "MACs (learned and static) this switch may hold"},
    {.name = "conntrack",
     .type = EVS_CTL_T_OBJECT,
     .fields = conntrack_fields,
     .n_fields = sizeof(conntrack_fields) / sizeof(conntrack_fields[0]),
     .help = "stateful switch: IP connections committed in this zone, invalid packets dropped"},
};
static const char *const name_key[] = {"name", NULL};

static const struct evs_store_ops switch_ops = {.check = evs_l2_switch_check};

const struct evs_obj_type evs_l2_switch_type = {
    .name = "switch",
    .section = "switches",
    .help = "a logical switch (a broadcast domain)",
    .fields = switch_fields,
    .n_fields = sizeof(switch_fields) / sizeof(switch_fields[0]),
    .defaults = "{\"mac_aging\": 300, \"max_macs\": 8192}",
    .keys = name_key,
    .max_objects = EVS_L2_SCHEMA_MAX_SWITCHES,
    .ops = &switch_ops,
};

static const struct evs_ctl_param mac_fields[] = {
    {.name = "switch",
     .type = EVS_CTL_T_STRING,
     .required = true,
     .min_len = 1,
     .max_len = 31,
     .help = "switch the entry belongs to"},
    {.name = "mac", .type = EVS_CTL_T_MAC, .required = true, .help = "non-zero unicast MAC"},
    {.name = "port",
     .type = EVS_CTL_T_STRING,
     .required = true,
     .min_len = 1,
     .max_len = 31,
     .help = "port the MAC lives behind (a member of the switch)"},
};
static const char *const mac_key[] = {"switch", "mac", NULL};
static const struct evs_store_ref mac_refs[] = {
    {.field = "switch", .type = "switch", .on_delete = EVS_STORE_CASCADE},
    {.field = "port", .type = "port", .on_delete = EVS_STORE_CASCADE},
};
static const struct evs_store_ops mac_ops = {.check = evs_l2_mac_check};

const struct evs_obj_type evs_l2_mac_type = {
    .name = "mac",
    .section = "macs",
    .help = "a static MAC entry: never aged, never moved",
    .fields = mac_fields,
    .n_fields = sizeof(mac_fields) / sizeof(mac_fields[0]),
    .keys = mac_key,
    .refs = mac_refs,
    .n_refs = sizeof(mac_refs) / sizeof(mac_refs[0]),
    .ops = &mac_ops,
};

int evs_l2_switch_check(struct evs_store *st, const json_t *obj, const char *path,
			struct evs_ctl_err *err, void *ctx)
{
	const char *name = json_string_value(json_object_get(obj, "name"));
	struct evs_store_obj *o = evs_store_lookup_str(st, "switch", name);
	json_int_t max = json_integer_value(evs_store_field(st, "switch", obj, "max_macs"));
	char sub[EVS_CTL_PATH_MAX];
	uint32_t n;
	int rc;

	(void)ctx;
	rc = evs_store_check_name(obj, "name", path, err);
	if (rc < 0 || o == NULL)
		return rc;
	n = evs_store_obj_refcount(o, "mac", "switch");
	if ((json_int_t)n > max)
		return evs_store_err(err, -ENOSPC,
				     evs_ctl_path_key(sub, sizeof(sub), path, "max_macs"),
				     "switch '%s' has %u static MACs, more than max_macs %lld",
				     name, n, (long long)max);
	return 0;
}

int evs_l2_mac_check(struct evs_store *st, const json_t *obj, const char *path,
		     struct evs_ctl_err *err, void *ctx)
{
	const char *sw = json_string_value(json_object_get(obj, "switch"));
	const char *pname = json_string_value(json_object_get(obj, "port"));
	struct evs_store_obj *p = evs_store_lookup_str(st, "port", pname);
	struct evs_store_obj *s = evs_store_lookup_str(st, "switch", sw);
	const json_t *pv, *vl, *native;
	char sub[EVS_CTL_PATH_MAX];
	uint8_t m[6];
	size_t i;

	(void)ctx;
	evs_ctl_parse_mac(json_string_value(json_object_get(obj, "mac")), m);
	if ((m[0] & 1) || (m[0] | m[1] | m[2] | m[3] | m[4] | m[5]) == 0)
		return evs_store_err(err, -EINVAL, evs_ctl_path_key(sub, sizeof(sub), path, "mac"),
				     "a static MAC must be a non-zero unicast address");
	if (p == NULL || s == NULL)
		return 0; /* references are the store's to report */
	pv = evs_store_obj_value(p);
	native = json_object_get(pv, "switch");
	if (json_is_string(native) && strcmp(json_string_value(native), sw) == 0)
		goto member;
	json_array_foreach (json_object_get(pv, "vlans"), i, vl) {
		const char *vs = json_string_value(json_object_get(vl, "switch"));

		if (vs != NULL && strcmp(vs, sw) == 0)
			goto member;
	}
	return evs_store_err(err, -EINVAL, evs_ctl_path_key(sub, sizeof(sub), path, "port"),
			     "port '%s' is not a member of switch '%s'", pname, sw);
member:
	if (evs_store_obj_refcount(s, "mac", "switch") >
	    (uint32_t)json_integer_value(
		evs_store_field(st, "switch", evs_store_obj_value(s), "max_macs")))
		return evs_store_err(err, -ENOSPC, path,
				     "switch '%s' holds max_macs static MACs already", sw);
	return 0;
}
