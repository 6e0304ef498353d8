/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The tunnel table: built whole from the store's underlays, VTEPs and
 * tunnels in prepare (any of them changed; may fail), published with one
 * pointer at commit, the old one freed after an RCU grace. Small (a few
 * entries per switch and remote host), so rebuilding beats patching.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>

#include "overlay_private.h"

static const char *str(const json_t *o, const char *f)
{
	return json_string_value(json_object_get(o, f));
}

/* Two multiplies over the address's two words (an IPv4 one's second is
 * zero): a byte loop was 20-80 instructions per received packet. */
uint32_t ovl_addr_hash(const struct evs_tun_addr *a)
{
	uint64_t x, y, h;

	memcpy(&x, a->b, 8);
	memcpy(&y, a->b + 8, 8);
	h = (x ^ a->family) * 0x9e3779b97f4a7c15ull ^ y * 0xc2b2ae3d27d4eb4full;
	return (uint32_t)(h >> 32) ^ (uint32_t)h;
}

uint16_t ovl_dp_vtep_of(const struct evs_overlay_dp *dp, const struct evs_tun_addr *a)
{
	uint32_t i = ovl_addr_hash(a);

	for (unsigned int k = 0; k < OVL_ADDR_SLOTS; k++, i++) {
		const struct ovl_addr_slot *s = &dp->addr[i % OVL_ADDR_SLOTS];

		if (s->vtep == UINT16_MAX)
			return UINT16_MAX;
		if (s->a.family == a->family && memcmp(s->a.b, a->b, 16) == 0)
			return s->vtep;
	}
	return UINT16_MAX;
}

static void addr_put(struct evs_overlay_dp *dp, const struct evs_tun_addr *a, uint16_t vtep)
{
	uint32_t i = ovl_addr_hash(a);

	/* twice as many slots as VTEPs: there is always a free one */
	while (dp->addr[i % OVL_ADDR_SLOTS].vtep != UINT16_MAX)
		i++;
	dp->addr[i % OVL_ADDR_SLOTS] = (struct ovl_addr_slot){.a = *a, .vtep = vtep};
}

void ovl_dp_free(struct evs_overlay_dp *dp)
{
	if (dp == NULL)
		return;
	free(dp->ports);
	free(dp->vnis);
	free(dp->vni_tunnel);
	free(dp->tun_encrypt);
	free(dp->tport);
	free(dp->macs);
	free(dp->stale);
	free(dp->src_opt);
	free(dp);
}

static int cmp_vni(const void *a, const void *b, void *arg)
{
	const uint32_t *v = arg;
	uint32_t x = v[*(const uint16_t *)a], y = v[*(const uint16_t *)b];

	return x < y ? -1 : x > y;
}

/* Underlay @p u's address, with its port and MAC for ARP/ND's answers. */
static void local_add(struct evs_overlay *ov, struct evs_overlay_dp *dp, const json_t *u)
{
	unsigned int i = dp->n_local++;
	int slot = ov->cfg.port_slot != NULL ? ov->cfg.port_slot(str(u, "port"), ov->cfg.arg) : -1;

	ovl_addr(str(u, "address"), &dp->local[i]);
	dp->local_port[i] = slot < 0 ? UINT16_MAX : (uint16_t)slot;
	dp->local_vlan[i] = (uint16_t)json_integer_value(json_object_get(u, "vlan"));
	if (str(u, "mac") != NULL)
		rte_ether_unformat_addr(str(u, "mac"), &dp->local_mac[i]);
	else if (slot >= 0 && ov->cfg.port_mac != NULL)
		ov->cfg.port_mac((uint16_t)slot, &dp->local_mac[i], ov->cfg.arg);
}

/* Underlay @p u's index among @p dp's locals (added before any VTEP), 0 if
 * it has none (more than 16 underlays: the first's VLAN then). */
static unsigned int local_index(const struct evs_overlay_dp *dp, const json_t *u, uint16_t slot)
{
	uint16_t vlan = (uint16_t)json_integer_value(json_object_get(u, "vlan"));
	struct evs_tun_addr a;

	ovl_addr(str(u, "address"), &a);
	for (unsigned int i = 0; i < dp->n_local; i++)
		if (dp->local_port[i] == slot && dp->local_vlan[i] == vlan &&
		    dp->local[i].family == a.family && memcmp(dp->local[i].b, a.b, 16) == 0)
			return i;
	return 0;
}

/* The encapsulation of VTEP object @p vo for VNI @p vni. */
static int vtep_encap(struct evs_overlay *ov, struct evs_store *st, struct evs_overlay_dp *dp,
		      const json_t *vo, uint32_t vni, const struct ovl_topts *to,
		      struct ovl_dp_port *p, uint16_t *dport, const char *path,
		      struct evs_ctl_err *err)
{
	struct evs_store_obj *uo = evs_store_lookup_str(st, "underlay", str(vo, "underlay"));
	const json_t *u = uo != NULL ? evs_store_obj_value(uo) : NULL;
	const json_t *dport_v = json_object_get(vo, "dst_port");
	const char *encap = json_string_value(evs_store_field(st, "vtep", vo, "encap"));
	struct evs_tun_encap_config c = {
	    .type = strcmp(encap, "vxlan") == 0 ? EVS_TUN_VXLAN : EVS_TUN_GENEVE,
	    .vni = vni,
	    .dst_port = dport_v != NULL ? (uint16_t)json_integer_value(dport_v) : 0,
	    .df = true,
	    .ipv6_zero_csum = json_is_true(json_object_get(vo, "udp_zero_csum6_tx")),
	};
	int slot, rc;

	if (u == NULL)
		return evs_store_err(err, -ENOENT, path, "no underlay '%s'", str(vo, "underlay"));
	if (c.type == EVS_TUN_GENEVE) { /* VXLAN has no room for options */
		c.options = to->len != 0 ? to->b : NULL;
		c.options_len = to->len;
		c.xopt_room = to->src_tags ? EVS_TUN_SRC_TAGS_OPT_MAX : 0;
		p->src_tags = to->src_tags;
	}
	slot = ov->cfg.port_slot != NULL ? ov->cfg.port_slot(str(u, "port"), ov->cfg.arg) : -1;
	if (slot < 0)
		return evs_store_err(err, -ENOENT, path, "underlay '%s': port '%s' has no slot",
				     str(u, "name"), str(u, "port"));
	p->underlay_port = (uint16_t)slot;
	if (slot < (int)EVS_OVERLAY_PORT_SLOTS)
		dp->underlay[slot / 64] |= 1ull << (slot % 64);
	ovl_addr(str(u, "address"), &c.local);
	ovl_vtep_addr(ov, p->vtep, vo, &c.remote);
	c.underlay_mtu = (uint16_t)json_integer_value(evs_store_field(st, "underlay", u, "mtu"));
	c.vlan_tci = (uint16_t)json_integer_value(json_object_get(u, "vlan"));
	if (p->encrypt ||
	    p->enc_some) /* ESP goes around the tunnel's UDP: frames are that much shorter */
		c.underlay_mtu =
		    (uint16_t)((c.underlay_mtu != 0 ? c.underlay_mtu : 1500) - OVL_ESP_OVERHEAD -
			       ovl_sa_outer_len(st, str(vo, "name"), c.local.family));
	/* a peer on the underlay's own segment is its own next hop; without a
	 * configured MAC, ARP/ND finds it (the template's stays zero) */
	if (str(vo, "next_hop_mac") != NULL || str(u, "next_hop_mac") != NULL) {
		rte_ether_unformat_addr(str(vo, "next_hop_mac") != NULL ? str(vo, "next_hop_mac")
									: str(u, "next_hop_mac"),
					&c.dst_mac);
	} else {
		struct ovl_dp_nh *nh = &dp->nh[p->vtep];
		struct evs_tun_addr t;

		if (str(u, "next_hop") != NULL)
			ovl_addr(str(u, "next_hop"), &t);
		else
			ovl_vtep_addr(ov, p->vtep, vo, &t);
		nh->resolve = true;
		nh->key.port =
		    OVL_NEIGH_PORT(p->underlay_port, local_index(dp, u, p->underlay_port));
		nh->key.addr.family = t.family == 4 ? EVS_L3_IPV4 : EVS_L3_IPV6;
		memcpy(nh->key.addr.b, t.b, sizeof(nh->key.addr.b));
		p->resolve = true;
	}
	if (str(u, "mac") != NULL)
		rte_ether_unformat_addr(str(u, "mac"), &c.src_mac);
	else if (ov->cfg.port_mac == NULL ||
		 ov->cfg.port_mac(p->underlay_port, &c.src_mac, ov->cfg.arg) < 0)
		return evs_store_err(err, -ENOENT, path, "underlay '%s': no MAC for port '%s'",
				     str(u, "name"), str(u, "port"));
	rc = evs_tun_encap_init(&p->encap, &c);
	if (rc < 0)
		return evs_store_err(err, rc, path, "VTEP '%s': cannot build its encapsulation: %s",
				     str(vo, "name"), strerror(-rc));
	/* the decap listens on one port per encapsulation */
	if (c.dst_port == 0)
		c.dst_port = c.type == EVS_TUN_VXLAN ? EVS_VXLAN_PORT : EVS_GENEVE_PORT;
	if (*dport != 0 && *dport != c.dst_port)
		return evs_store_err(err, -EINVAL, path,
				     "VTEP '%s': %s port %u differs from another VTEP's %u",
				     str(vo, "name"), encap, c.dst_port, *dport);
	*dport = c.dst_port;
	return 0;
}

/* Whether @p vtep carries tunnel @p t; *entry: its item in "vteps" (NULL
 * when the list is empty: every VTEP). */
static bool member(const json_t *t, const char *vtep, const json_t **entry)
{
	const json_t *list = json_object_get(t, "vteps"), *m;
	size_t i;

	*entry = NULL;
	if (json_array_size(list) == 0)
		return true;
	json_array_foreach (list, i, m)
		if (strcmp(str(m, "vtep"), vtep) == 0) {
			*entry = m;
			return true;
		}
	return false;
}

/* Append member @p entry's static MACs, behind tunnel port @p tp. */
static int macs_add(struct evs_overlay_dp *dp, const json_t *entry, uint16_t sw, uint16_t tp,
		    struct evs_ctl_err *err)
{
	const json_t *list = json_object_get(entry, "macs"), *mac;
	size_t n = json_array_size(list), i;
	struct ovl_dp_mac *g;

	if (n == 0)
		return 0;
	g = realloc(dp->macs, (dp->n_macs + n) * sizeof(*g));
	if (g == NULL)
		return evs_store_err(err, -ENOMEM, "", "no memory for the tunnel table");
	dp->macs = g;
	json_array_foreach (list, i, mac) {
		g = &dp->macs[dp->n_macs++];
		evs_ctl_parse_mac(json_string_value(mac), g->mac.addr_bytes);
		g->sw = sw;
		g->tp = tp;
	}
	return 0;
}

/* The previous table's static MACs that this one lacks (the app removes
 * them from L2 once this table is published). */
static int macs_stale(const struct evs_overlay_dp *old, struct evs_overlay_dp *dp,
		      struct evs_ctl_err *err)
{
	if (old == NULL || old->n_macs == 0)
		return 0;
	dp->stale = calloc(old->n_macs, sizeof(*dp->stale));
	if (dp->stale == NULL)
		return evs_store_err(err, -ENOMEM, "", "no memory for the tunnel table");
	for (uint32_t i = 0; i < old->n_macs; i++) {
		const struct ovl_dp_mac *o = &old->macs[i];
		uint32_t j;

		for (j = 0; j < dp->n_macs; j++)
			if (dp->macs[j].sw == o->sw &&
			    rte_is_same_ether_addr(&dp->macs[j].mac, &o->mac))
				break;
		if (j == dp->n_macs)
			dp->stale[dp->n_stale++] = *o;
	}
	return 0;
}

/*
 * The number of the pair @p owner: the one it had in @p old, else the lowest
 * one free in both tables (a number freed by this very change is not handed
 * to another pair before the app forgot its MACs). -1: none left.
 */
static int tport_alloc(const struct evs_overlay_dp *old, const struct evs_overlay_dp *dp,
		       uint32_t owner)
{
	for (uint16_t i = 0; old != NULL && i < old->n_ports; i++)
		if (old->ports[i].owner == owner)
			return i;
	for (uint16_t i = 0; i < EVS_OVERLAY_MAX_TPORTS; i++)
		if (dp->ports[i].owner == 0 && (old == NULL || old->ports[i].owner == 0))
			return i;
	return -1;
}

static int build(struct evs_overlay *ov, struct evs_store *st, struct evs_overlay_dp *dp,
		 struct evs_ctl_err *err)
{
	size_t nt = evs_store_count(st, "tunnel"), nv = evs_store_count(st, "vtep");
	uint16_t ports[2] = {0, 0}; /* vxlan, geneve */
	bool zero6 = false;
	uint16_t t = 0, *order;
	uint32_t *sorted;
	int rc;

	RTE_SET_USED(nv);
	dp->ports = calloc(EVS_OVERLAY_MAX_TPORTS, sizeof(*dp->ports));
	dp->vnis = calloc(nt + 1, sizeof(*dp->vnis));
	dp->vni_tunnel = calloc(nt + 1, sizeof(*dp->vni_tunnel));
	dp->tun_encrypt = calloc(nt + 1, sizeof(*dp->tun_encrypt));
	dp->tport = malloc((nt + 1) * EVS_OVERLAY_MAX_VTEPS * sizeof(*dp->tport));
	order = calloc(nt + 1, sizeof(*order));
	sorted = calloc(nt + 1, sizeof(*sorted));
	if (dp->ports == NULL || dp->vnis == NULL || dp->vni_tunnel == NULL ||
	    dp->tun_encrypt == NULL || dp->tport == NULL || order == NULL || sorted == NULL) {
		free(order);
		free(sorted);
		return evs_store_err(err, -ENOMEM, "", "no memory for the tunnel table");
	}
	memset(dp->tport, 0xff, (nt + 1) * EVS_OVERLAY_MAX_VTEPS * sizeof(*dp->tport));
	for (unsigned int i = 0; i < OVL_ADDR_SLOTS; i++)
		dp->addr[i].vtep = UINT16_MAX;
	for (struct evs_store_obj *o = evs_store_first(st, "underlay");
	     o != NULL && dp->n_local < RTE_DIM(dp->local); o = evs_store_next(o)) {
		local_add(ov, dp, evs_store_obj_value(o));
		/* the IPv6 underlays agree (ovl_underlay_check) */
		zero6 |= json_is_true(json_object_get(evs_store_obj_value(o), "udp_zero_csum6_rx"));
	}
	for (struct evs_store_obj *o = evs_store_first(st, "vtep"); o != NULL;
	     o = evs_store_next(o)) {
		const json_t *v = evs_store_obj_value(o);
		uint16_t slot = (uint16_t)(*evs_store_obj_aux(o) - 1);
		struct evs_tun_addr a;

		/* a VTEP of this transaction gets its slot in vtep_prepare, which builds again */
		if (slot >= EVS_OVERLAY_MAX_VTEPS)
			continue;
		ovl_vtep_addr(ov, slot, v, &a); /* a NAT'd peer's: where it is now */
		addr_put(dp, &a, slot);
		dp->vtep_encrypt[slot] = json_is_true(evs_store_field(st, "vtep", v, "encrypt"));
	}
	for (struct evs_store_obj *o = evs_store_first(st, "tunnel"); o != NULL;
	     o = evs_store_next(o), t++) {
		const json_t *tv = evs_store_obj_value(o);
		uint32_t vni = (uint32_t)json_integer_value(json_object_get(tv, "vni"));
		struct ovl_topts to;
		bool some;
		int sw = ov->cfg.switch_id != NULL
			     ? ov->cfg.switch_id(str(tv, "switch"), ov->cfg.arg)
			     : -1;

		if (sw < 0) {
			free(order);
			free(sorted);
			return evs_store_err(err, -ENOENT, "",
					     "tunnel of switch '%s': no switch id",
					     str(tv, "switch"));
		}
		dp->vnis[t] = vni;
		order[t] = t;
		dp->tun_encrypt[t] = json_is_true(evs_store_field(st, "tunnel", tv, "encrypt"));
		rc = ovl_opts_of(tv, &to);
		if (rc < 0) { /* the check refused it: not reached */
			free(order);
			free(sorted);
			return evs_store_err(err, rc, "", "tunnel of switch '%s': bad options",
					     str(tv, "switch"));
		}
		dp->tags_on |= to.src_tags;
		ovl_policy_tunnel(ov, st, &dp->pol, tv, &some);
		dp->pol.any |= some;
		for (struct evs_store_obj *vo = evs_store_first(st, "vtep"); vo != NULL;
		     vo = evs_store_next(vo)) {
			const json_t *v = evs_store_obj_value(vo);
			uint16_t slot = (uint16_t)(*evs_store_obj_aux(vo) - 1);
			const json_t *entry;
			struct ovl_dp_port *p;
			int tp;
			bool vx = strcmp(json_string_value(evs_store_field(st, "vtep", v, "encap")),
					 "vxlan") == 0;

			if (slot >= EVS_OVERLAY_MAX_VTEPS || !member(tv, str(v, "name"), &entry))
				continue;
			tp = tport_alloc(ov->dp, dp, ((uint32_t)sw << 16 | slot) + 1);
			if (tp < 0) {
				free(order);
				free(sorted);
				return evs_store_err(err, -ENOSPC, "", "more than %u tunnel ports",
						     EVS_OVERLAY_MAX_TPORTS);
			}
			p = &dp->ports[tp];
			p->owner = ((uint32_t)sw << 16 | slot) + 1;
			p->encrypt = dp->tun_encrypt[t] || dp->vtep_encrypt[slot];
			p->enc_some = some && !p->encrypt;
			p->vtep = slot;
			rc = vtep_encap(ov, st, dp, v, vni, &to, p, &ports[vx ? 0 : 1], "", err);
			if (rc == 0)
				rc = macs_add(dp, entry, (uint16_t)sw, (uint16_t)tp, err);
			if (rc < 0) {
				free(order);
				free(sorted);
				return rc;
			}
			p->sw = (uint16_t)sw;
			p->vni = vni;
			p->type = vx ? EVS_TUN_VXLAN : EVS_TUN_GENEVE;
			dp->tport[(size_t)t * EVS_OVERLAY_MAX_VTEPS + slot] = (uint16_t)tp;
			dp->n_ports = RTE_MAX(dp->n_ports, (uint16_t)(tp + 1));
		}
	}
	dp->n_tunnels = t;
	rc = macs_stale(ov->dp, dp, err);
	if (rc < 0) {
		free(order);
		free(sorted);
		return rc;
	}
	for (uint16_t i = 0; ov->dp != NULL && i < ov->dp->n_ports; i++)
		if (ov->dp->ports[i].owner != 0 && dp->ports[i].owner == 0)
			dp->freed[dp->n_freed++] = i;
	/* the decap's VNI list is sorted; vni_tunnel follows it */
	qsort_r(order, t, sizeof(*order), cmp_vni, dp->vnis);
	for (uint16_t i = 0; i < t; i++) {
		dp->vni_tunnel[i] = order[i];
		sorted[i] = dp->vnis[order[i]];
	}
	free(dp->vnis);
	dp->vnis = sorted;
	free(order);
	dp->decap = (struct evs_tun_decap){.vxlan_port = ports[0],
					   .geneve_port = ports[1],
					   .verify_csum = true,
					   .ipv6_zero_csum = zero6,
					   .vnis = dp->vnis,
					   .n_vnis = t};
	rc = ovl_opts_decap(st, &dp->decap, err);
	if (rc == 0)
		rc = ovl_tags_build(ov, st, dp, err);
	return rc;
}

int ovl_dp_stage(struct evs_overlay *ov, struct evs_store *st, struct evs_ctl_err *err)
{
	struct evs_overlay_dp *dp = calloc(1, sizeof(*dp));
	int rc;

	if (dp == NULL)
		return evs_store_err(err, -ENOMEM, "", "no memory for the tunnel table");
	rc = build(ov, st, dp, err);
	if (rc < 0) {
		ovl_dp_free(dp);
		return rc;
	}
	ovl_dp_free(ov->staged_dp); /* an earlier type's build of the same transaction */
	ov->staged_dp = dp;
	return 0;
}

void ovl_dp_commit(struct evs_overlay *ov)
{
	struct evs_overlay_dp *old = ov->dp;

	if (ov->staged_dp == NULL)
		return; /* another type of the transaction published it */
	/* release: the table is written before a reader can find it */
	__atomic_store_n(&ov->dp, ov->staged_dp, __ATOMIC_RELEASE);
	ov->staged_dp = NULL;
	ovl_retire(ov, old, OVL_DP);
}

void ovl_dp_abort(struct evs_overlay *ov)
{
	ovl_dp_free(ov->staged_dp);
	ov->staged_dp = NULL;
}

const struct evs_overlay_dp *evs_overlay_dp_get(const struct evs_overlay *ov)
{
	return __atomic_load_n(&ov->dp, __ATOMIC_ACQUIRE);
}

uint16_t evs_overlay_dp_n_ports(const struct evs_overlay_dp *dp)
{
	return dp != NULL ? dp->n_ports : 0;
}

int evs_overlay_dp_port(const struct evs_overlay_dp *dp, uint16_t tp, uint16_t *switch_id,
			uint16_t *vtep, uint16_t *underlay_port, bool *encrypt)
{
	const struct ovl_dp_port *p;

	if (dp == NULL || tp >= dp->n_ports || dp->ports[tp].owner == 0)
		return -ENOENT;
	p = &dp->ports[tp];
	if (switch_id != NULL)
		*switch_id = p->sw;
	if (vtep != NULL)
		*vtep = p->vtep;
	if (underlay_port != NULL)
		*underlay_port = p->underlay_port;
	if (encrypt != NULL)
		*encrypt = p->encrypt;
	return 0;
}

const struct evs_overlay_dp *evs_overlay_dp_next(const struct evs_overlay *ov, bool *changed)
{
	if (changed != NULL)
		*changed = ov->staged_dp != NULL;
	return ov->staged_dp != NULL ? ov->staged_dp : ov->dp;
}

bool evs_overlay_dp_is_underlay(const struct evs_overlay_dp *dp, uint16_t slot)
{
	return dp != NULL && slot < EVS_OVERLAY_PORT_SLOTS &&
	       (dp->underlay[slot / 64] >> (slot % 64) & 1) != 0;
}

int evs_overlay_port_describe(const struct evs_overlay *ov, const struct evs_overlay_dp *dp,
			      uint16_t tp, char *buf, size_t len)
{
	const struct ovl_dp_port *p;
	const struct evs_sa *sa;

	if (dp == NULL || tp >= dp->n_ports || dp->ports[tp].owner == 0)
		return snprintf(buf, len, "tunnel %u (gone)", tp);
	p = &dp->ports[tp];
	sa = p->encrypt ? evs_overlay_vtep_out(ov, p->vtep) : NULL;
	if (!p->encrypt)
		return snprintf(buf, len, "vtep %s %s vni %u clear%s", ov->vteps[p->vtep].name,
				p->type == EVS_TUN_VXLAN ? "vxlan" : "geneve", p->vni,
				p->enc_some ? " (esp for the encrypted ports)" : "");
	if (sa == NULL)
		return snprintf(buf, len, "vtep %s %s vni %u esp (no SA: dropped)",
				ov->vteps[p->vtep].name,
				p->type == EVS_TUN_VXLAN ? "vxlan" : "geneve", p->vni);
	return snprintf(buf, len, "vtep %s %s vni %u esp spi 0x%08x", ov->vteps[p->vtep].name,
			p->type == EVS_TUN_VXLAN ? "vxlan" : "geneve", p->vni, evs_sa_spi(sa));
}

uint16_t evs_overlay_dp_freed(const struct evs_overlay_dp *dp, uint16_t *tps, uint16_t max)
{
	uint16_t n = dp != NULL ? RTE_MIN(dp->n_freed, max) : 0;

	for (uint16_t i = 0; i < n; i++)
		tps[i] = dp->freed[i];
	return n;
}

int evs_overlay_dp_mac(const struct evs_overlay_dp *dp, uint32_t i, bool stale, uint16_t *sw,
		       uint16_t *tp, struct rte_ether_addr *mac)
{
	const struct ovl_dp_mac *g;

	if (dp == NULL || i >= (stale ? dp->n_stale : dp->n_macs))
		return -ENOENT;
	g = stale ? &dp->stale[i] : &dp->macs[i];
	*sw = g->sw;
	*tp = g->tp;
	*mac = g->mac;
	return 0;
}
