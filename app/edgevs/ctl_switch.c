/* SPDX-License-Identifier: BSD-3-Clause */
/* Control methods: switch.add/del/list. */

#include <stdio.h>
#include <string.h>

#include "ctl_util.h"
#include "evs_l2.h"

static int m_switch_add(struct evs_ctl_call *call, json_t *params, void *arg)
{
	struct evs_app *app = arg;
	const char *name = json_string_value(json_object_get(params, "name"));
	json_t *doc;
	char from[64];

	if (name != NULL && conf_switch_find(app->conf, name) != NULL)
		return evs_ctl_error(call, EVS_CTL_E_EXISTS, "/params/name",
				     "switch '%s' already exists", name);
	doc = ctl_doc_copy(app, call);
	if (doc == NULL)
		return -ENOMEM;
	snprintf(from, sizeof(from), "/switches/%zu", json_array_size(json_object_get(doc, "switches")));
	json_array_append(json_object_get(doc, "switches"), params);
	if (ctl_apply_doc(app, call, doc, from, "/params") != 0)
		return 0;
	return evs_ctl_reply(call, json_pack("{s:s, s:i}", "name", name, "id",
					     app_switch_id(app, name)));
}

static int m_switch_del(struct evs_ctl_call *call, json_t *params, void *arg)
{
	struct evs_app *app = arg;
	const char *name = json_string_value(json_object_get(params, "name"));
	json_t *doc;
	unsigned int i, k;
	int idx;

	if (conf_switch_find(app->conf, name) == NULL)
		return evs_ctl_error(call, EVS_CTL_E_NOT_FOUND, "/params/name",
				     "no switch named '%s'", name);
	for (i = 0; i < app->conf->n_ports; i++) {
		const struct conf_port *p = &app->conf->ports[i];
		bool uses = strcmp(p->sw, name) == 0;

		for (k = 0; k < p->n_vlans && !uses; k++)
			uses = strcmp(p->vlans[k].sw, name) == 0;
		if (uses)
			return evs_ctl_error(call, EVS_CTL_E_EXISTS, "/params/name",
					     "switch '%s' is in use by port '%s'", name, p->name);
	}
	doc = ctl_doc_copy(app, call);
	if (doc == NULL)
		return -ENOMEM;
	idx = conf_doc_find(doc, "switches", name);
	json_array_remove(json_object_get(doc, "switches"), (size_t)idx);
	if (ctl_apply_doc(app, call, doc, "", "/params") != 0)
		return 0;
	return evs_ctl_reply(call, json_pack("{s:s}", "name", name));
}

static int m_switch_list(struct evs_ctl_call *call, json_t *params, void *arg)
{
	struct evs_app *app = arg;
	json_t *list = json_array();
	unsigned int i, k, j;

	(void)params;
	for (i = 0; i < app->conf->n_switches; i++) {
		const struct conf_switch *s = &app->conf->switches[i];
		int id = app_switch_id(app, s->name);
		json_t *ports = json_array();

		for (k = 0; k < app->conf->n_ports; k++) {
			const struct conf_port *p = &app->conf->ports[k];

			if (strcmp(p->sw, s->name) == 0)
				json_array_append_new(ports, json_string(p->name));
			for (j = 0; j < p->n_vlans; j++)
				if (strcmp(p->vlans[j].sw, s->name) == 0)
					json_array_append_new(
						ports, json_sprintf("%s.%u", p->name, p->vlans[j].vlan));
		}
		json_array_append_new(
			list, json_pack("{s:s, s:i, s:o, s:I, s:i, s:i}", "name", s->name, "id", id,
					"ports", ports, "macs",
					(json_int_t)evs_l2_macs_count_switch(app->macs, (uint16_t)id),
					"max_macs", (int)s->max_macs, "mac_aging", (int)s->mac_aging_s));
	}
	return evs_ctl_reply(call, list);
}

static const struct evs_ctl_param p_add[] = {
	{.name = "name", .type = EVS_CTL_T_STRING, .required = true, .min_len = 1, .max_len = 31,
	 .help = "switch name"},
	{.name = "mac_aging", .type = EVS_CTL_T_UINT, .min = 1, .max = 86400,
	 .help = "seconds before an idle learned MAC is forgotten (default 300)"},
	{.name = "max_macs", .type = EVS_CTL_T_UINT, .min = 1, .max = 1 << 20,
	 .help = "MAC table capacity of this switch (default 8192)"},
	{.name = "macs", .type = EVS_CTL_T_ARRAY, .help = "static MACs [{mac, port}]"},
};
static const struct evs_ctl_param p_name[] = {
	{.name = "name", .type = EVS_CTL_T_STRING, .required = true, .min_len = 1, .max_len = 31,
	 .help = "switch name"},
};

int ctl_register_switch(struct evs_app *app)
{
	const struct evs_ctl_method m[] = {
		{.name = "switch.add", .help = "Add a logical switch (a broadcast domain).",
		 .fn = m_switch_add, .arg = app, .params = p_add, .n_params = RTE_DIM(p_add)},
		{.name = "switch.del", .help = "Remove a logical switch no port uses.",
		 .fn = m_switch_del, .arg = app, .params = p_name, .n_params = RTE_DIM(p_name)},
		{.name = "switch.list", .help = "Logical switches, their ports and MAC counts.",
		 .read_only = true, .fn = m_switch_list, .arg = app, .params = evs_ctl_no_params},
	};

	return ctl_register_methods(app, m, RTE_DIM(m));
}
