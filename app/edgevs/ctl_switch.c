/* SPDX-License-Identifier: BSD-3-Clause */
/* Runtime state of a switch for switch.get/list (the methods come from the
 * L2 module's schema, lib/l2/l2_schema.c). */

#include <stdio.h>
#include <string.h>

#include "app.h"
#include "evs_l2.h"

/* {id, ports: ["p1", "p2.100"], macs: entries in the MAC table}. */
json_t *app_switch_status(struct evs_store *st, struct evs_store_obj *o, void *ctx)
{
	struct evs_app *app = ctx;
	const char *name = evs_store_obj_key(o);
	int id = (int)*evs_store_obj_aux(o) - 1;
	json_t *ports = json_array();
	struct evs_store_obj *p;
	const json_t *vl;
	size_t k;

	for (p = evs_store_first(st, "port"); p != NULL; p = evs_store_next(p)) {
		const json_t *pv = evs_store_obj_value(p);
		const char *sw = json_string_value(json_object_get(pv, "switch"));

		if (sw != NULL && strcmp(sw, name) == 0)
			json_array_append_new(ports, json_string(evs_store_obj_key(p)));
		json_array_foreach (json_object_get(pv, "vlans"), k, vl) {
			const char *vs = json_string_value(json_object_get(vl, "switch"));

			if (vs != NULL && strcmp(vs, name) == 0)
				json_array_append_new(
				    ports, json_sprintf("%s.%lld", evs_store_obj_key(p),
							(long long)json_integer_value(
							    json_object_get(vl, "vlan"))));
		}
	}
	return json_pack(
	    "{s:i, s:o, s:I, s:I}", "id", id, "ports", ports, "macs",
	    (json_int_t)(id >= 0 ? evs_l2_macs_count_switch(app->macs, (uint16_t)id) : 0),
	    "static_macs", (json_int_t)evs_store_obj_refcount(o, "mac", "switch"));
}
