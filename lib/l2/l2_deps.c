/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a new snapshot changed, as L2 dependencies: only the megaflows of
 * changed ports and their switches are re-translated.
 */
#include <errno.h>

#include "l2_private.h"

/* Switch id of the VID @vid (0: native) of @port in @c, or EVS_L2_NONE. */
static uint16_t port_switch(const struct evs_l2_conf *c, uint16_t port, uint16_t vid)
{
	const struct evs_l2_port_map *pm;
	uint16_t idx;

	if (c == NULL || port >= c->nb_ports || !c->ports[port].present)
		return EVS_L2_NONE;
	pm = &c->ports[port];
	idx = vid == 0 ? pm->native : pm->vlan_in != NULL ? pm->vlan_in[vid] : EVS_L2_NONE;
	return idx == EVS_L2_NONE ? EVS_L2_NONE : c->switches[idx].id;
}

static bool port_up(const struct evs_l2_conf *c, uint16_t port)
{
	return c != NULL && port < c->nb_ports && c->ports[port].present && c->ports[port].up;
}

static bool has_vlans(const struct evs_l2_conf *c, uint16_t port)
{
	return c != NULL && port < c->nb_ports && c->ports[port].vlan_in != NULL;
}

int evs_l2_conf_changed(struct evs_registry *reg, unsigned int mod, const struct evs_l2_conf *old,
			const struct evs_l2_conf *cur)
{
	uint16_t nb = RTE_MAX(old != NULL ? old->nb_ports : 0, cur != NULL ? cur->nb_ports : 0);
	uint16_t port, vid, vmax;
	int n = 0;

	if (reg == NULL || evs_registry_module(reg, mod) != &evs_l2_module)
		return -EINVAL;
	for (port = 0; port < nb; port++) {
		bool changed = port_up(old, port) != port_up(cur, port);

		vmax = has_vlans(old, port) || has_vlans(cur, port) ? 4095 : 1;
		for (vid = 0; vid < vmax && !changed; vid++)
			changed = port_switch(old, port, vid) != port_switch(cur, port, vid);
		if (!changed)
			continue;
		evs_registry_dep_bump(reg, mod, evs_l2_dep_port(port));
		n++;
		/* every switch the port was or is in: its members (floods,
		 * unicast outputs and their tags) changed */
		for (vid = 0; vid < vmax; vid++) {
			uint16_t a = port_switch(old, port, vid), b = port_switch(cur, port, vid);

			if (a != EVS_L2_NONE) {
				evs_registry_dep_bump(reg, mod, evs_l2_dep_switch(a));
				n++;
			}
			if (b != EVS_L2_NONE && b != a) {
				evs_registry_dep_bump(reg, mod, evs_l2_dep_switch(b));
				n++;
			}
		}
	}
	/* a switch that became stateful or changed zone: its programs differ */
	for (port = 0; cur != NULL && port < cur->nb_switches; port++) {
		const struct evs_l2_switch_info *a = &cur->switches[port], *b = NULL;
		uint16_t oi = old != NULL ? evs_l2_conf_switch_index(old, a->id) : EVS_L2_NONE;

		if (oi != EVS_L2_NONE)
			b = &old->switches[oi];
		if (b == NULL || a->stateful != b->stateful || a->ct_zone != b->ct_zone) {
			evs_registry_dep_bump(reg, mod, evs_l2_dep_switch(a->id));
			n++;
		}
	}
	return n;
}
