/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The desired state on the datapath: the store holds ports, switches and
 * static MACs; its transactions call the hooks of apply_port.c and
 * apply_l2.c per type, then the transaction-wide hooks here build one new
 * L2 view and publish one snapshot when switches or ports changed. A change
 * of static MACs only is hash inserts and deletes in the MAC table: no
 * snapshot, no rebuild. A failed transaction restores every device it closed
 * in the same slot, so the slot's static MACs never leave the table.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_errno.h>

#include "app.h"
#include "evs_l2.h"
#include "evs_l2_schema.h"
#include "evs_overlay.h"
#include "evs_port.h"

int app_port_index(const struct evs_app *app, const char *name)
{
	int i;

	for (i = 0; name != NULL && i < CONF_MAX_PORTS; i++)
		if (app->ports[i].name[0] != '\0' && strcmp(app->ports[i].name, name) == 0)
			return i;
	return -1;
}

int app_switch_id(const struct evs_app *app, const char *name)
{
	int i;

	for (i = 0; name != NULL && i < CONF_MAX_SWITCHES; i++)
		if (strcmp(app->switch_names[i], name) == 0)
			return i;
	return -1;
}

/*
 * Spread every rx queue of every port over the PMD lcores, round robin,
 * into @rxq: queue k goes to PMD k % n_pmds, whose entries are contiguous.
 */
static void assign_rxqs(const struct evs_app *app, struct dp_snapshot *s, struct dp_rxq *rxq,
			uint32_t total)
{
	uint32_t k = 0, off = 0, pos[DP_MAX_PMDS];
	unsigned int p;
	int i;

	for (p = 0; p < app->n_pmds; p++) {
		s->pmd[p].n_rxq = total / app->n_pmds + (p < total % app->n_pmds);
		s->pmd[p].rxq = rxq + off;
		pos[p] = off;
		off += s->pmd[p].n_rxq;
	}
	for (i = 0; i < s->n_ports; i++) {
		struct evs_port_info info;
		uint16_t q, nq;

		if (s->ports[i] == NULL)
			continue;
		if (evs_port_info_get(s->ports[i], &info) != 0)
			info.mtu = 1500;
		nq = s->ports[i]->nb_rxq;
		for (q = 0; q < nq; q++, k++) {
			p = k % app->n_pmds;
			rxq[pos[p]++] = (struct dp_rxq){.port = s->ports[i],
							.port_idx = (uint16_t)i,
							.queue = q,
							.mtu = info.mtu};
		}
	}
}

/* The device a PMD should poll in slot @i: a staged one replaces the running one. */
static struct evs_port *slot_port(const struct evs_app *app, int i, const bool *hide)
{
	const struct app_port *p = &app->ports[i];

	if (hide != NULL && hide[i])
		return NULL;
	return p->staged != NULL ? p->staged : p->removing || p->closed ? NULL : p->port;
}

/*
 * Publish a snapshot and wait until no PMD lcore can still see the previous
 * one. The release store pairs with the PMD's acquire load (pmd.c): the whole
 * snapshot is visible before its pointer. One block holds the header,
 * ports[n_ports] and every PMD's rx queues. Ports flagged in @hide (may be
 * NULL) are left out.
 */
int app_publish(struct evs_app *app, const struct evs_l2_conf *l2, const bool *hide)
{
	struct dp_snapshot *s, *old = app->snap;
	size_t ports_off, rxq_off, size;
	uint32_t n_rxq = 0;
	int i, n = 0;

	for (i = 0; i < CONF_MAX_PORTS; i++) {
		struct evs_port *p = slot_port(app, i, hide);

		if (p != NULL) {
			n = i + 1;
			n_rxq += p->nb_rxq;
		}
	}
	ports_off = RTE_ALIGN_CEIL(sizeof(*s), sizeof(void *));
	rxq_off = RTE_ALIGN_CEIL(ports_off + sizeof(struct evs_port *) * n, sizeof(void *));
	size = rxq_off + sizeof(struct dp_rxq) * n_rxq;
	s = calloc(1, size);
	if (s == NULL)
		return -ENOMEM;
	s->size = size;
	s->l2 = l2;
	s->n_ports = (uint16_t)n;
	s->ports = (struct evs_port **)((uint8_t *)s + ports_off);
	for (i = 0; i < n; i++)
		s->ports[i] = slot_port(app, i, hide);
	assign_rxqs(app, s, (struct dp_rxq *)((uint8_t *)s + rxq_off), n_rxq);
	s->gen = ++app->gen;
	__atomic_store_n(&app->snap, s, __ATOMIC_RELEASE);
	rte_rcu_qsbr_synchronize(app->qsbr, RTE_QSBR_THRID_INVALID);
	/* after the grace period: a translation that sees the new dependency
	 * generations reads the new snapshot */
	app_snapshot_published(app, old, s);
	free(old);
	return 0;
}

/* The L2 view of the store's switches and ports (slots and ids in aux). */
static struct evs_l2_conf *l2_build(struct evs_app *app, struct evs_ctl_err *err)
{
	struct evs_store *st = app->store;
	const struct evs_overlay_dp *ovl = evs_overlay_dp_next(app->ov, NULL);
	uint16_t n_tun = evs_overlay_dp_n_ports(ovl);
	size_t n_sw = evs_store_count(st, "switch"), n_p = evs_store_count(st, "port"), n_vl = 0;
	struct evs_l2_switch_spec *sws = calloc(n_sw + 1, sizeof(*sws));
	struct evs_l2_port_spec *ps = calloc(n_p + n_tun + 1, sizeof(*ps));
	struct evs_l2_vlan_map *maps = NULL;
	struct evs_l2_conf_spec spec = {.switches = sws, .ports = ps, .socket_id = SOCKET_ID_ANY};
	struct evs_store_obj *o, *s;
	struct evs_l2_conf *l2 = NULL;
	char msg[200];
	const json_t *vl;
	size_t k;

	for (o = evs_store_first(st, "port"); o != NULL; o = evs_store_next(o))
		n_vl += json_array_size(json_object_get(evs_store_obj_value(o), "vlans"));
	maps = calloc(n_vl + 1, sizeof(*maps));
	if (sws == NULL || ps == NULL || maps == NULL) {
		evs_store_err(err, -ENOMEM, "", "building the L2 view: out of memory");
		goto out;
	}
	for (o = evs_store_first(st, "switch"); o != NULL; o = evs_store_next(o)) {
		const json_t *v = evs_store_obj_value(o);

		sws[spec.nb_switches++] = (struct evs_l2_switch_spec){
		    .id = (uint16_t)(*evs_store_obj_aux(o) - 1),
		    .name = json_string_value(json_object_get(v, "name")),
		    .aging_s =
			(uint32_t)json_integer_value(evs_store_field(st, "switch", v, "mac_aging")),
		    .max_macs =
			(uint32_t)json_integer_value(evs_store_field(st, "switch", v, "max_macs")),
		    .stateful = json_object_get(v, "conntrack") != NULL,
		    .ct_zone = (uint16_t)json_integer_value(
			json_object_get(json_object_get(v, "conntrack"), "zone")),
		};
	}
	n_vl = 0;
	for (o = evs_store_first(st, "port"); o != NULL; o = evs_store_next(o)) {
		const json_t *v = evs_store_obj_value(o);
		struct evs_l2_port_spec *p = &ps[spec.nb_ports++];

		p->port = (uint16_t)(*evs_store_obj_aux(o) - 1);
		s = evs_store_lookup_str(st, "switch",
					 json_string_value(json_object_get(v, "switch")));
		if (s != NULL) {
			p->has_native = true;
			p->native_switch = (uint16_t)(*evs_store_obj_aux(s) - 1);
		}
		p->vlans = maps + n_vl;
		json_array_foreach (json_object_get(v, "vlans"), k, vl) {
			s = evs_store_lookup_str(st, "switch",
						 json_string_value(json_object_get(vl, "switch")));
			maps[n_vl++] = (struct evs_l2_vlan_map){
			    .vid = (uint16_t)json_integer_value(json_object_get(vl, "vlan")),
			    .switch_id = s != NULL ? (uint16_t)(*evs_store_obj_aux(s) - 1) : 0};
		}
		p->nb_vlans = (uint16_t)(maps + n_vl - p->vlans);
	}
	/* the overlay's tunnel ports: one per (switch, remote host) */
	for (uint16_t tp = 0; tp < n_tun && tp < EVS_L2_MAX_PORTS - EVS_L2_TUNNEL_BASE; tp++) {
		struct evs_l2_port_spec *p = &ps[spec.nb_ports];

		if (evs_overlay_dp_port(ovl, tp, &p->native_switch, NULL, NULL, NULL) < 0)
			continue; /* a free number */
		p->port = (uint16_t)(EVS_L2_TUNNEL_BASE + tp);
		p->has_native = true;
		spec.nb_ports++;
	}
	l2 = evs_l2_conf_build(&spec, msg, sizeof(msg));
	if (l2 == NULL)
		evs_store_err(err, -ENOMEM, "", "building the L2 view: %s", msg);
out:
	free(sws);
	free(ps);
	free(maps);
	return l2;
}

static int txn_prepare(struct evs_store *st, struct evs_ctl_err *err, void *ctx)
{
	struct evs_app *app = ctx;
	bool tunnels;
	int rc;

	(void)st;
	/* a port or fw.port change may move a port or tag encryption policy */
	rc = evs_overlay_policy_restage(app->ov, err);
	if (rc < 0)
		return rc;
	evs_overlay_dp_next(app->ov, &tunnels);
	if (!app->structure_changed && !tunnels)
		return 0;
	app->structure_changed = true; /* the commit publishes what this built */
	app->l2_next = l2_build(app, err);
	if (app->l2_next == NULL)
		return -ENOMEM;
	return app_overlay_macs_prepare(app, err);
}

static void txn_commit(struct evs_store *st, void *ctx)
{
	struct evs_app *app = ctx;
	const struct evs_l2_conf *old_l2 = app->snap != NULL ? app->snap->l2 : NULL;
	int i;

	(void)st;
	if (app->structure_changed || app->ports_hidden) {
		if (app_publish(app, app->l2_next != NULL ? app->l2_next : old_l2, NULL) < 0) {
			/* Cannot happen past prepare but for a failed calloc of the
			 * snapshot: keep the old one, say so. */
			APP_LOG(ERR, "publishing the new configuration failed: out of memory");
		} else if (app->l2_next != NULL) {
			evs_l2_conf_free((struct evs_l2_conf *)(uintptr_t)old_l2);
		}
	}
	app->l2_next = NULL;
	evs_overlay_policy_commit(app->ov);
	app_overlay_commit(app);
	app_ports_commit(app);
	for (i = 0; i < CONF_MAX_SWITCHES; i++)
		if (app->sw_removing[i]) {
			evs_l2_macs_flush_switch(app->macs, (uint16_t)i, true);
			app->switch_names[i][0] = '\0';
			app->sw_removing[i] = false;
		}
	app->structure_changed = false;
	app->ports_hidden = false;
}

static void txn_abort(struct evs_store *st, void *ctx)
{
	struct evs_app *app = ctx;

	(void)st;
	evs_l2_conf_free(app->l2_next);
	app->l2_next = NULL;
	app_overlay_macs_abort(app);
	evs_overlay_policy_abort(app->ov);
	app->structure_changed = false;
	memset(app->sw_removing, 0, sizeof(app->sw_removing));
}

/* The socket's access policy is a section of the document (lib/ctl checks it). */
static int access_check(const json_t *v, const char *path, struct evs_ctl_err *err, void *ctx)
{
	(void)ctx;
	return v != NULL && evs_ctl_access_check(v, path, err) < 0 ? -EINVAL : 0;
}

static const struct evs_store_section access_section = {.name = "access", .check = access_check};

static const struct evs_store_txn_hooks txn_hooks = {
    .prepare = txn_prepare, .commit = txn_commit, .abort = txn_abort};

int app_store_init(struct evs_app *app)
{
	static struct evs_obj_type sw, mac;
	int rc;

	app->store = evs_store_create();
	if (app->store == NULL)
		return -ENOMEM;
	/* The L2 module declares its types; the app binds the apply hooks. */
	sw = evs_l2_switch_type;
	sw.ops = &app_switch_ops;
	mac = evs_l2_mac_type;
	mac.ops = &app_mac_ops;
	mac.prepare_sliced = true; /* one insert per MAC: a bulk apply's longest part */
	rc = evs_store_type_add(app->store, &sw, app);
	if (rc == 0)
		rc = evs_store_type_add(app->store, &app_port_type, app);
	if (rc == 0)
		rc = evs_store_type_add(app->store, &mac, app);
	if (rc == 0)
		rc = app_l3_store_bind(app); /* router ports reference switches */
	if (rc == 0)
		rc = evs_store_section_add(app->store, &access_section, app);
	if (rc < 0)
		return rc;
	evs_store_txn_hooks_set(app->store, &txn_hooks, app);
	return 0;
}

int app_apply_doc(struct evs_app *app, const json_t *doc, const char *path, struct evs_ctl_err *err)
{
	struct evs_store_txn *txn = evs_store_txn_begin(app->store);
	int rc;

	if (txn == NULL)
		return evs_store_err(err, -errno, path, "cannot start a transaction");
	rc = evs_store_txn_doc(txn, doc, path, err);
	if (rc < 0) {
		evs_store_txn_abort(txn);
		return rc;
	}
	return evs_store_txn_commit(txn, err);
}

int app_wait_pmds(struct evs_app *app)
{
	/* Every PMD reports a quiescent state once per loop: past this, each
	 * one loads the current snapshot and sees the current MAC table. */
	rte_rcu_qsbr_synchronize(app->qsbr, RTE_QSBR_THRID_INVALID);
	return 0;
}

void app_teardown(struct evs_app *app)
{
	struct dp_snapshot *s = app->snap;
	int i;

	/* PMDs have stopped (or never ran): free directly. */
	for (i = 0; i < CONF_MAX_PORTS; i++) {
		evs_port_free(app->ports[i].port);
		app->ports[i].port = NULL;
		json_decref(app->ports[i].cfg);
		app->ports[i].cfg = NULL;
	}
	if (s != NULL) {
		evs_l2_conf_free((struct evs_l2_conf *)(uintptr_t)s->l2);
		free(s);
		app->snap = NULL;
	}
	evs_store_free(app->store);
	app->store = NULL;
	app_l3_binding_free(app);
}
