/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Encryption per port and per port tag (a tunnel's "encrypt_ports" and
 * "encrypt_tags"; the tags are the firewall's, on fw.port objects). Such a
 * port's frames carry a flag from its rx burst to the tunnel port, which
 * encrypts the flagged ones; clear tunnel frames carry another, and an
 * encrypted port refuses them on output.
 */

#include <errno.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#include "overlay_private.h"

int ovl_policy_init(struct evs_overlay *ov)
{
	static const struct rte_mbuf_dynflag enc = {.name = "edgevs_ovl_encrypt"};
	static const struct rte_mbuf_dynflag clr = {.name = "edgevs_ovl_clear"};
	int a = rte_mbuf_dynflag_register(&enc), b = rte_mbuf_dynflag_register(&clr);

	if (a < 0 || b < 0)
		return -rte_errno;
	ov->f_encrypt = 1ull << a;
	ov->f_clear = 1ull << b;
	return ovl_tags_init(ov); /* the source tags' slot field and flag */
}

static bool tag_listed(const json_t *tags, const char *tag)
{
	const json_t *t;
	size_t i;

	json_array_foreach (tags, i, t)
		if (strcmp(json_string_value(t), tag) == 0)
			return true;
	return false;
}

static void port_set(struct ovl_dp_pol *pol, int slot, bool *any)
{
	if (slot < 0 || slot >= (int)OVL_POL_SLOTS)
		return; /* a listed port deleted since: it names nothing */
	pol->enc[slot / 64] |= 1ull << (slot % 64);
	*any = true;
}

int ovl_policy_tunnel(struct evs_overlay *ov, struct evs_store *st, struct ovl_dp_pol *pol,
		      const json_t *tv, bool *any)
{
	const json_t *ports = json_object_get(tv, "encrypt_ports");
	const json_t *tags = json_object_get(tv, "encrypt_tags");
	const json_t *v;
	size_t i;

	*any = false;
	if (json_array_size(ports) + json_array_size(tags) != 0)
		pol->configured = true;
	if (ov->cfg.port_slot == NULL)
		return 0;
	json_array_foreach (ports, i, v)
		if (evs_store_lookup_str(st, "port", json_string_value(v)) != NULL)
			port_set(pol, ov->cfg.port_slot(json_string_value(v), ov->cfg.arg), any);
	if (json_array_size(tags) == 0)
		return 0;
	for (struct evs_store_obj *o = evs_store_first(st, "fw.port"); o != NULL;
	     o = evs_store_next(o)) {
		const json_t *fp = evs_store_obj_value(o), *t;
		size_t j;

		json_array_foreach (json_object_get(fp, "tags"), j, t)
			if (tag_listed(tags, json_string_value(t))) {
				port_set(pol,
					 ov->cfg.port_slot(
					     json_string_value(json_object_get(fp, "port")),
					     ov->cfg.arg),
					 any);
				break;
			}
	}
	return 0;
}

/* An encrypted port is a vNIC: not an underlay, listed once, existing. */
int ovl_policy_check(struct evs_store *st, const json_t *obj, const char *path,
		     struct evs_ctl_err *err)
{
	const json_t *ports = json_object_get(obj, "encrypt_ports"), *v;
	char sub[EVS_CTL_PATH_MAX];
	size_t i, j;

	json_array_foreach (ports, i, v) {
		const char *name = json_string_value(v);

		snprintf(sub, sizeof(sub), "%s/encrypt_ports/%zu", path, i);
		if (evs_store_lookup_str(st, "port", name) == NULL)
			return evs_store_err(err, -ENOENT, sub, "no port '%s'", name);
		for (j = 0; j < i; j++)
			if (strcmp(json_string_value(json_array_get(ports, j)), name) == 0)
				return evs_store_err(err, -EEXIST, sub, "port '%s' is listed twice",
						     name);
		for (struct evs_store_obj *o = evs_store_first(st, "underlay"); o != NULL;
		     o = evs_store_next(o)) {
			const json_t *u = evs_store_obj_value(o);

			if (strcmp(json_string_value(json_object_get(u, "port")), name) == 0)
				return evs_store_err(err, -EINVAL, sub,
						     "port '%s' is underlay '%s': tunnels "
						     "leave by it, encrypt its switch or VTEPs",
						     name,
						     json_string_value(json_object_get(u, "name")));
		}
	}
	return 0;
}

bool evs_overlay_dp_port_encrypted(const struct evs_overlay_dp *dp, uint16_t slot)
{
	return dp != NULL && dp->pol.any && slot < OVL_POL_SLOTS &&
	       (dp->pol.enc[slot / 64] >> (slot % 64) & 1) != 0;
}

bool evs_overlay_dp_port_policy(const struct evs_overlay_dp *dp)
{
	return dp != NULL && (dp->pol.any || dp->tags_any);
}

void evs_overlay_mark_encrypted(const struct evs_overlay *ov, struct rte_mbuf **pkts, uint16_t n)
{
	for (uint16_t i = 0; i < n; i++)
		pkts[i]->ol_flags |= ov->f_encrypt;
}

uint16_t evs_overlay_guard(const struct evs_overlay *ov, struct rte_mbuf **pkts, uint16_t n,
			   struct evs_overlay_stats *st)
{
	uint16_t k = 0;

	for (uint16_t i = 0; i < n; i++) {
		if (likely((pkts[i]->ol_flags & ov->f_clear) == 0)) {
			pkts[k++] = pkts[i];
			continue;
		}
		rte_pktmbuf_free(pkts[i]);
		/* single writer: this lcore */
		__atomic_store_n(&st->drops[EVS_OVL_DROP_CLEAR_REFUSED],
				 st->drops[EVS_OVL_DROP_CLEAR_REFUSED] + 1, __ATOMIC_RELAXED);
	}
	return k;
}

/* A port or fw.port change moves who is encrypted: rebuild the table when
 * the transaction did not, and any tunnel has a port or tag policy. */
int evs_overlay_policy_restage(struct evs_overlay *ov, struct evs_ctl_err *err)
{
	if (ov == NULL || ov->staged_dp != NULL || ov->dp == NULL || !ov->dp->pol.configured)
		return 0;
	return ovl_dp_stage(ov, ov->store, err);
}

void evs_overlay_policy_commit(struct evs_overlay *ov)
{
	if (ov != NULL)
		ovl_dp_commit(ov);
}

void evs_overlay_policy_abort(struct evs_overlay *ov)
{
	if (ov != NULL)
		ovl_dp_abort(ov);
}
