/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configuration snapshot: validate a spec, then lay the whole snapshot out in
 * one allocation so that the fast path's port -> switch and switch -> tag
 * lookups are array indexes, and freeing it is one call.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_errno.h>
#include <rte_malloc.h>

#include "l2_private.h"

#define VID_MAX 4094
#define VID_SPACE 4096

RTE_LOG_REGISTER_DEFAULT(evs_l2_logtype, INFO);

static void set_err(char *err, size_t len, const char *fmt, ...) __rte_format_printf(3, 4);

static void set_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

static size_t align8(size_t n)
{
	return RTE_ALIGN_CEIL(n, 8);
}

/* Check everything that can be wrong; fills id_to_index. */
static int validate(const struct evs_l2_conf_spec *spec, uint16_t *id_to_index, char *err,
		    size_t err_len)
{
	uint16_t *vid_seen = NULL, *sw_seen = NULL;
	uint8_t *port_seen = NULL;
	uint16_t i, j;
	int rc = -EINVAL;

	for (i = 0; i < EVS_L2_MAX_SWITCHES; i++)
		id_to_index[i] = EVS_L2_NONE;
	if (spec->nb_switches > 0 && spec->switches == NULL) {
		set_err(err, err_len, "switches: missing");
		return -EINVAL;
	}
	if (spec->nb_ports > 0 && spec->ports == NULL) {
		set_err(err, err_len, "ports: missing");
		return -EINVAL;
	}
	if (spec->nb_switches > EVS_L2_MAX_SWITCHES) {
		set_err(err, err_len, "switches: more than %u", EVS_L2_MAX_SWITCHES);
		return -EINVAL;
	}
	for (i = 0; i < spec->nb_switches; i++) {
		uint16_t id = spec->switches[i].id;

		if (id >= EVS_L2_MAX_SWITCHES) {
			set_err(err, err_len, "switches[%u].id: %u out of range", i, id);
			return -EINVAL;
		}
		if (id_to_index[id] != EVS_L2_NONE) {
			set_err(err, err_len, "switches[%u].id: duplicate %u", i, id);
			return -EINVAL;
		}
		id_to_index[id] = i;
	}

	/* per-port scratch: which VIDs and switches a port already uses */
	vid_seen = calloc(VID_SPACE, sizeof(*vid_seen));
	sw_seen = calloc(RTE_MAX(spec->nb_switches, 1), sizeof(*sw_seen));
	port_seen = calloc(EVS_L2_MAX_PORTS, sizeof(*port_seen));
	if (vid_seen == NULL || sw_seen == NULL || port_seen == NULL) {
		set_err(err, err_len, "out of memory");
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < spec->nb_ports; i++) {
		const struct evs_l2_port_spec *p = &spec->ports[i];
		uint16_t stamp = i + 1;

		if (p->port >= EVS_L2_MAX_PORTS) {
			set_err(err, err_len, "ports[%u].port: %u out of range", i, p->port);
			goto out;
		}
		if (port_seen[p->port]) {
			set_err(err, err_len, "ports[%u].port: duplicate %u", i, p->port);
			goto out;
		}
		port_seen[p->port] = 1;
		if (p->has_native) {
			if (p->native_switch >= EVS_L2_MAX_SWITCHES ||
			    id_to_index[p->native_switch] == EVS_L2_NONE) {
				set_err(err, err_len, "ports[%u].native_switch: unknown switch %u",
					i, p->native_switch);
				goto out;
			}
			sw_seen[id_to_index[p->native_switch]] = stamp;
		}
		if (p->nb_vlans > 0 && p->vlans == NULL) {
			set_err(err, err_len, "ports[%u].vlans: missing", i);
			goto out;
		}
		for (j = 0; j < p->nb_vlans; j++) {
			const struct evs_l2_vlan_map *v = &p->vlans[j];
			uint16_t sw;

			if (v->vid < 1 || v->vid > VID_MAX) {
				set_err(err, err_len, "ports[%u].vlans[%u].vid: %u not in 1..%u", i,
					j, v->vid, VID_MAX);
				goto out;
			}
			if (vid_seen[v->vid] == stamp) {
				set_err(err, err_len, "ports[%u].vlans[%u].vid: duplicate %u", i, j,
					v->vid);
				goto out;
			}
			vid_seen[v->vid] = stamp;
			sw = v->switch_id < EVS_L2_MAX_SWITCHES ? id_to_index[v->switch_id]
								: EVS_L2_NONE;
			if (sw == EVS_L2_NONE) {
				set_err(err, err_len, "ports[%u].vlans[%u].switch_id: unknown %u",
					i, j, v->switch_id);
				goto out;
			}
			/* one encoding per (port, switch): output must be unambiguous */
			if (sw_seen[sw] == stamp) {
				set_err(
				    err, err_len,
				    "ports[%u].vlans[%u]: switch %u already carried by the port", i,
				    j, v->switch_id);
				goto out;
			}
			sw_seen[sw] = stamp;
		}
	}
	rc = 0;
out:
	free(vid_seen);
	free(sw_seen);
	free(port_seen);
	return rc;
}

struct evs_l2_conf *evs_l2_conf_build(const struct evs_l2_conf_spec *spec, char *err,
				      size_t err_len)
{
	uint16_t *id_to_index;
	struct evs_l2_conf *c;
	struct evs_l2_port_map *ports;
	struct evs_l2_switch_info *sws;
	struct evs_l2_member *members;
	uint16_t *ids, *tables;
	uint32_t nb_members = 0, nb_trunks = 0, *fill = NULL;
	uint16_t nb_map = 0, i, j, nsw;
	size_t sz_ports, sz_sws, sz_members, sz_ids, sz_tables, off;
	uint8_t *base;
	int rc;

	if (spec == NULL) {
		set_err(err, err_len, "no spec");
		rte_errno = EINVAL;
		return NULL;
	}
	id_to_index = malloc(sizeof(*id_to_index) * EVS_L2_MAX_SWITCHES);
	if (id_to_index == NULL) {
		set_err(err, err_len, "out of memory");
		rte_errno = ENOMEM;
		return NULL;
	}
	rc = validate(spec, id_to_index, err, err_len);
	if (rc < 0) {
		free(id_to_index);
		rte_errno = -rc;
		return NULL;
	}
	nsw = spec->nb_switches;
	for (i = 0; i < spec->nb_ports; i++) {
		const struct evs_l2_port_spec *p = &spec->ports[i];

		nb_map = RTE_MAX(nb_map, (uint16_t)(p->port + 1));
		if (p->nb_vlans > 0)
			nb_trunks++;
		if (!p->down)
			nb_members += p->nb_vlans + (p->has_native ? 1 : 0);
	}

	sz_ports = align8(sizeof(*ports) * nb_map);
	sz_sws = align8(sizeof(*sws) * nsw);
	sz_members = align8(sizeof(*members) * nb_members);
	sz_ids = align8(sizeof(*ids) * EVS_L2_MAX_SWITCHES);
	sz_tables = (size_t)nb_trunks * (align8(VID_SPACE * 2) + align8((size_t)nsw * 2));
	base = rte_zmalloc_socket(
	    "evs_l2_conf", align8(sizeof(*c)) + sz_ports + sz_sws + sz_members + sz_ids + sz_tables,
	    RTE_CACHE_LINE_SIZE, spec->socket_id);
	fill = calloc(RTE_MAX(nsw, 1), sizeof(*fill));
	if (base == NULL || fill == NULL) {
		set_err(err, err_len, "out of memory");
		rte_free(base);
		free(fill);
		free(id_to_index);
		rte_errno = ENOMEM;
		return NULL;
	}
	c = (struct evs_l2_conf *)base;
	off = align8(sizeof(*c));
	ports = (struct evs_l2_port_map *)(base + off);
	off += sz_ports;
	sws = (struct evs_l2_switch_info *)(base + off);
	off += sz_sws;
	members = (struct evs_l2_member *)(base + off);
	off += sz_members;
	ids = (uint16_t *)(base + off);
	off += sz_ids;
	tables = (uint16_t *)(base + off);

	memcpy(ids, id_to_index, sizeof(*ids) * EVS_L2_MAX_SWITCHES);
	for (i = 0; i < nb_map; i++)
		ports[i].native = EVS_L2_NONE;
	for (i = 0; i < nsw; i++) {
		const struct evs_l2_switch_spec *s = &spec->switches[i];

		sws[i].id = s->id;
		sws[i].aging_s = s->aging_s ? s->aging_s : EVS_L2_DEFAULT_AGING;
		sws[i].max_macs = s->max_macs;
		sws[i].stateful = s->stateful;
		sws[i].ct_zone = s->ct_zone;
		if (s->name != NULL)
			snprintf(sws[i].name, sizeof(sws[i].name), "%s", s->name);
	}

	/* port maps; count members per switch */
	for (i = 0; i < spec->nb_ports; i++) {
		const struct evs_l2_port_spec *p = &spec->ports[i];
		struct evs_l2_port_map *pm = &ports[p->port];

		pm->present = 1;
		pm->up = !p->down;
		pm->nb_vlans = p->nb_vlans;
		if (p->has_native) {
			pm->native = id_to_index[p->native_switch];
			if (pm->up)
				sws[pm->native].nb_members++;
		}
		if (p->nb_vlans == 0)
			continue;
		{
			uint16_t *vin = tables, *eg = tables + align8(VID_SPACE * 2) / 2;

			tables = eg + align8((size_t)nsw * 2) / 2;
			for (j = 0; j < VID_SPACE; j++)
				vin[j] = EVS_L2_NONE;
			for (j = 0; j < nsw; j++)
				eg[j] = EVS_L2_NONE;
			for (j = 0; j < p->nb_vlans; j++) {
				uint16_t sw = id_to_index[p->vlans[j].switch_id];

				vin[p->vlans[j].vid] = sw;
				eg[sw] = EVS_VLAN_PRESENT | p->vlans[j].vid;
				if (pm->up)
					sws[sw].nb_members++;
			}
			if (pm->native != EVS_L2_NONE)
				eg[pm->native] = 0;
			pm->vlan_in = vin;
			pm->egress = eg;
		}
	}

	/* flood lists, in port order */
	off = 0;
	for (i = 0; i < nsw; i++) {
		sws[i].members_off = off;
		fill[i] = off;
		off += sws[i].nb_members;
		c->max_flood = RTE_MAX(c->max_flood, sws[i].nb_members);
	}
	for (i = 0; i < nb_map; i++) {
		const struct evs_l2_port_map *pm = &ports[i];

		if (!pm->present || !pm->up)
			continue;
		if (pm->native != EVS_L2_NONE)
			members[fill[pm->native]++] = (struct evs_l2_member){i, 0};
		if (pm->vlan_in == NULL)
			continue;
		for (j = 1; j <= VID_MAX; j++) {
			uint16_t sw = pm->vlan_in[j];

			if (sw != EVS_L2_NONE)
				members[fill[sw]++] =
				    (struct evs_l2_member){i, (uint16_t)(EVS_VLAN_PRESENT | j)};
		}
	}
	free(fill);
	free(id_to_index);

	c->nb_ports = nb_map;
	c->nb_switches = nsw;
	c->ports = ports;
	c->switches = sws;
	c->members = members;
	c->id_to_index = ids;
	return c;
}

void evs_l2_conf_free(struct evs_l2_conf *conf)
{
	rte_free(conf);
}
