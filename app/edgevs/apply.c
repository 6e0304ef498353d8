/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Apply a desired-state document: diff against the running state, create
 * and remove ports, rebuild the L2 configuration, publish one snapshot,
 * update static MACs. A request that fails validation or port
 * creation changes nothing (ports being re-created are the one exception:
 * their old device is closed first and restored on failure).
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_errno.h>

#include "app.h"
#include "evs_ctl.h"
#include "evs_l2.h"
#include "evs_port.h"

int app_port_index(const struct evs_app *app, const char *name)
{
	int i;

	for (i = 0; i < CONF_MAX_PORTS; i++)
		if (app->ports[i].port != NULL && strcmp(app->ports[i].name, name) == 0)
			return i;
	return -1;
}

int app_switch_id(const struct evs_app *app, const char *name)
{
	int i;

	for (i = 0; i < CONF_MAX_SWITCHES; i++)
		if (strcmp(app->switch_names[i], name) == 0)
			return i;
	return -1;
}

static int free_port_slot(const struct evs_app *app, const bool *reserved)
{
	int i;

	for (i = 0; i < CONF_MAX_PORTS; i++)
		if (app->ports[i].port == NULL && !reserved[i])
			return i;
	return -1;
}

static void set_err(struct conf_err *err, int code, const char *path, const char *msg)
{
	err->code = code;
	if (snprintf(err->path, sizeof(err->path), "%s", path) >= (int)sizeof(err->path))
		err->path[sizeof(err->path) - 1] = '\0';
	snprintf(err->msg, sizeof(err->msg), "%s", msg);
}

static struct evs_port *port_open(struct evs_app *app, const struct conf_port *cp,
				  struct conf_err *err, const char *path)
{
	struct evs_port_config pc = {
		.name = cp->name,
		.type = cp->type == CONF_PORT_VHOST ? EVS_PORT_VHOST : EVS_PORT_ETHDEV,
		.devargs = cp->devargs,
		.socket_path = cp->path,
		.vhost_mode = cp->client ? EVS_VHOST_CLIENT : EVS_VHOST_SERVER,
		.nb_rxq = cp->queues,
		.nb_txq = cp->type == CONF_PORT_VHOST ? cp->queues : (uint16_t)app->n_pmds,
		.nb_tx_users = (uint16_t)app->n_pmds,
		.mp = app->pool,
		.mtu = cp->mtu,
		.socket_id = (int)rte_socket_id(),
		.qsbr = app->qsbr,
	};
	struct evs_port *p = evs_port_create(&pc);
	char msg[256];

	if (p != NULL)
		evs_port_link_cb_set(p, mgmt_on_link, app);
	if (p == NULL) {
		snprintf(msg, sizeof(msg), "cannot create port '%s': %s", cp->name,
			 evs_port_last_error()[0] ? evs_port_last_error() : rte_strerror(rte_errno));
		set_err(err, EVS_CTL_E_APPLY_FAILED, path, msg);
		APP_LOG(ERR, "%s", msg);
	}
	return p;
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

/*
 * Publish @s and wait until no PMD lcore can still see the previous one.
 * The release store pairs with the PMD's acquire load (pmd.c): the whole
 * snapshot is visible before its pointer.
 */
static void publish(struct evs_app *app, struct dp_snapshot *s)
{
	struct dp_snapshot *old = app->snap;

	s->gen = ++app->gen;
	__atomic_store_n(&app->snap, s, __ATOMIC_RELEASE);
	rte_rcu_qsbr_synchronize(app->qsbr, RTE_QSBR_THRID_INVALID);
	free(old);
}

/*
 * A snapshot of the open ports, but those flagged in @hide (may be NULL):
 * one block holding the header, ports[n_ports] and every PMD's rx queues.
 */
static struct dp_snapshot *snapshot_new(const struct evs_app *app, const struct evs_l2_conf *l2,
					const bool *hide)
{
	struct dp_snapshot *s;
	uint32_t n_rxq = 0;
	size_t ports_off, rxq_off, size;
	int i, n = 0;

	for (i = 0; i < CONF_MAX_PORTS; i++)
		if (app->ports[i].port != NULL && !(hide != NULL && hide[i])) {
			n = i + 1;
			n_rxq += app->ports[i].port->nb_rxq;
		}
	ports_off = RTE_ALIGN_CEIL(sizeof(*s), sizeof(void *));
	rxq_off = RTE_ALIGN_CEIL(ports_off + sizeof(struct evs_port *) * n, sizeof(void *));
	size = rxq_off + sizeof(struct dp_rxq) * n_rxq;
	s = calloc(1, size);
	if (s == NULL)
		return NULL;
	s->size = size;
	s->l2 = l2;
	s->n_ports = (uint16_t)n;
	s->ports = (struct evs_port **)((uint8_t *)s + ports_off);
	for (i = 0; i < n; i++)
		s->ports[i] = hide != NULL && hide[i] ? NULL : app->ports[i].port;
	assign_rxqs(app, s, (struct dp_rxq *)((uint8_t *)s + rxq_off), n_rxq);
	return s;
}

/* Build the L2 view of @c given port slots @slot_of (conf index -> slot). */
static struct evs_l2_conf *l2_build(const struct conf *c, const int *slot_of, const int *sw_id_of,
				    struct conf_err *err)
{
	struct evs_l2_switch_spec sws[CONF_MAX_SWITCHES];
	struct evs_l2_port_spec ps[CONF_MAX_PORTS];
	struct evs_l2_vlan_map *maps[CONF_MAX_PORTS] = {NULL};
	struct evs_l2_conf_spec spec = {
		.nb_switches = (uint16_t)c->n_switches,
		.switches = sws,
		.nb_ports = 0,
		.ports = ps,
		.socket_id = SOCKET_ID_ANY,
	};
	struct evs_l2_conf *l2 = NULL;
	char msg[200];
	unsigned int i, k, s;

	memset(ps, 0, sizeof(ps));
	for (i = 0; i < c->n_switches; i++)
		sws[i] = (struct evs_l2_switch_spec){
			.id = (uint16_t)sw_id_of[i],
			.name = c->switches[i].name,
			.aging_s = c->switches[i].mac_aging_s,
			.max_macs = c->switches[i].max_macs,
		};
	for (i = 0; i < c->n_ports; i++) {
		const struct conf_port *cp = &c->ports[i];
		struct evs_l2_port_spec *p;

		if (slot_of[i] < 0)
			continue; /* not open (rollback of a failed request) */
		p = &ps[spec.nb_ports++];
		p->port = (uint16_t)slot_of[i];
		for (s = 0; s < c->n_switches; s++)
			if (strcmp(cp->sw, c->switches[s].name) == 0) {
				p->has_native = true;
				p->native_switch = (uint16_t)sw_id_of[s];
			}
		if (cp->n_vlans == 0)
			continue;
		maps[i] = calloc(cp->n_vlans, sizeof(*maps[i]));
		if (maps[i] == NULL)
			goto out;
		for (k = 0; k < cp->n_vlans; k++) {
			maps[i][k].vid = cp->vlans[k].vlan;
			for (s = 0; s < c->n_switches; s++)
				if (strcmp(cp->vlans[k].sw, c->switches[s].name) == 0)
					maps[i][k].switch_id = (uint16_t)sw_id_of[s];
		}
		p->nb_vlans = (uint16_t)cp->n_vlans;
		p->vlans = maps[i];
	}
	l2 = evs_l2_conf_build(&spec, msg, sizeof(msg));
	if (l2 == NULL && err != NULL)
		set_err(err, EVS_CTL_E_INTERNAL, "", msg);
out:
	for (i = 0; i < c->n_ports; i++)
		free(maps[i]);
	return l2;
}

/* Static MACs: drop those no longer wanted, add (or pin) the new ones. */
static void statics_sync(struct evs_app *app, const struct conf *old, const struct conf *nc,
			 const int *sw_id_of)
{
	unsigned int i, k, j;

	for (i = 0; i < old->n_switches; i++) {
		const struct conf_switch *os = &old->switches[i];
		const struct conf_switch *ns = conf_switch_find(nc, os->name);
		int id = app_switch_id(app, os->name);

		for (k = 0; k < os->n_macs && id >= 0; k++) {
			bool keep = false;

			for (j = 0; ns != NULL && j < ns->n_macs && !keep; j++)
				keep = rte_is_same_ether_addr(&ns->macs[j].mac, &os->macs[k].mac) &&
				       strcmp(ns->macs[j].port, os->macs[k].port) == 0;
			if (!keep)
				evs_l2_macs_del(app->macs, (uint16_t)id, &os->macs[k].mac);
		}
	}
	for (i = 0; i < nc->n_switches; i++) {
		const struct conf_switch *ns = &nc->switches[i];

		for (k = 0; k < ns->n_macs; k++) {
			int slot = app_port_index(app, ns->macs[k].port);
			int ret;

			if (slot < 0)
				continue;
			ret = evs_l2_macs_add_static(app->macs, (uint16_t)sw_id_of[i],
						     &ns->macs[k].mac, (uint16_t)slot, evs_l2_now());
			if (ret < 0)
				APP_LOG(WARNING, "static MAC in switch %s: %s", ns->name,
					strerror(-ret));
		}
	}
}

/* Length of the device name in ethdev devargs ("net_tap0,iface=x" -> 8). */
static size_t devname_len(const char *devargs)
{
	return strcspn(devargs, ",");
}

/* True if opening @np needs a running port of @old, flagged in @removed,
 * closed first: same name, same ethdev device or same vhost socket. */
static bool conflicts_with_removed(const struct evs_app *app, const struct conf *old,
				   const bool *removed, const struct conf_port *np)
{
	int j;

	for (j = 0; j < CONF_MAX_PORTS; j++) {
		const struct conf_port *op;

		if (!removed[j])
			continue;
		if (strcmp(app->ports[j].name, np->name) == 0)
			return true;
		op = old != NULL ? conf_port_find(old, app->ports[j].name) : NULL;
		if (op == NULL || op->type != np->type)
			continue;
		if (np->type == CONF_PORT_VHOST ? strcmp(op->path, np->path) == 0
						: devname_len(op->devargs) == devname_len(np->devargs) &&
							  strncmp(op->devargs, np->devargs,
								  devname_len(np->devargs)) == 0)
			return true;
	}
	return false;
}

/* Open the ports of @nc not open yet whose @late flag is @which (late:
 * they replace a removed port, see conflicts_with_removed()). */
static int open_ports(struct evs_app *app, const struct conf *nc, const char *base,
		      const bool *late, bool which, int *slot_of, bool *reserved, bool *opened,
		      struct conf_err *err)
{
	char path[300];
	unsigned int i;

	for (i = 0; i < nc->n_ports; i++) {
		int slot;

		if (slot_of[i] >= 0 || late[i] != which)
			continue;
		slot = free_port_slot(app, reserved);
		snprintf(path, sizeof(path), "%s/ports/%u", base, i);
		if (slot < 0) {
			set_err(err, EVS_CTL_E_BUSY, path, "no free port slot");
			return -ENOSPC;
		}
		app->ports[slot].port = port_open(app, &nc->ports[i], err, path);
		if (app->ports[slot].port == NULL)
			return -EIO;
		snprintf(app->ports[slot].name, CONF_NAME_MAX, "%s", nc->ports[i].name);
		app->ports[slot].created_tsc = rte_rdtsc();
		slot_of[i] = slot;
		reserved[slot] = opened[slot] = true;
		APP_LOG(INFO, "port %s added", nc->ports[i].name);
	}
	return 0;
}

int app_apply(struct evs_app *app, json_t *doc, const char *base, struct conf_err *err)
{
	struct conf *nc, *old = app->conf;
	int slot_of[CONF_MAX_PORTS], sw_id_of[CONF_MAX_SWITCHES];
	bool reserved[CONF_MAX_PORTS] = {false}, removed[CONF_MAX_PORTS] = {false};
	bool any_removed = false, retired = false, opened[CONF_MAX_PORTS] = {false};
	bool late[CONF_MAX_PORTS] = {false};
	struct evs_l2_conf *l2 = NULL;
	struct dp_snapshot *s;
	const struct evs_l2_conf *old_l2;
	unsigned int i;
	int j;

	nc = conf_parse(doc, base, err);
	if (nc == NULL)
		return -EINVAL;

	/* Which running ports survive unchanged, which go. */
	for (i = 0; i < nc->n_ports; i++) {
		const struct conf_port *op = old ? conf_port_find(old, nc->ports[i].name) : NULL;
		int slot = app_port_index(app, nc->ports[i].name);

		slot_of[i] = -1;
		if (op != NULL && slot >= 0 && !conf_port_needs_recreate(op, &nc->ports[i])) {
			slot_of[i] = slot;
			reserved[slot] = true;
		}
	}
	for (j = 0; j < CONF_MAX_PORTS; j++)
		if (app->ports[j].port != NULL && !reserved[j]) {
			removed[j] = any_removed = true;
		}

	/* Switch ids: keep the id of a switch that stays, so its MACs stay. */
	for (i = 0; i < nc->n_switches; i++) {
		sw_id_of[i] = app_switch_id(app, nc->switches[i].name);
		if (sw_id_of[i] < 0) {
			for (j = 0; j < CONF_MAX_SWITCHES; j++) {
				unsigned int k;
				bool taken = app->switch_names[j][0] != '\0';

				for (k = 0; k < i && !taken; k++)
					taken = sw_id_of[k] == j;
				if (!taken)
					break;
			}
			if (j == CONF_MAX_SWITCHES) {
				set_err(err, EVS_CTL_E_BUSY, base,
					"no free switch id: too many switches");
				conf_free(nc);
				return -ENOSPC;
			}
			sw_id_of[i] = j;
		}
	}

	/* Phase 1: open the new ports that need nothing closed first; if one
	 * fails, nothing has changed yet. */
	for (i = 0; i < nc->n_ports; i++)
		late[i] = slot_of[i] < 0 && conflicts_with_removed(app, old, removed, &nc->ports[i]);
	if (open_ports(app, nc, base, late, false, slot_of, reserved, opened, err) < 0)
		goto rollback;

	/* Phase 2: stop polling the ports that go (new ones stay hidden), close
	 * them, then open the ports that replace them. */
	if (any_removed) {
		struct app_port saved[CONF_MAX_PORTS];

		memcpy(saved, app->ports, sizeof(saved));
		for (j = 0; j < CONF_MAX_PORTS; j++)
			if (removed[j])
				app->ports[j].port = NULL;
		s = snapshot_new(app, app->snap ? app->snap->l2 : NULL, opened);
		if (s == NULL) {
			memcpy(app->ports, saved, sizeof(saved));
			set_err(err, EVS_CTL_E_INTERNAL, base, "out of memory");
			goto rollback;
		}
		publish(app, s);
		retired = true;
		for (j = 0; j < CONF_MAX_PORTS; j++)
			if (removed[j]) {
				APP_LOG(INFO, "port %s removed", saved[j].name);
				evs_port_free(saved[j].port);
				evs_l2_macs_flush_port(app->macs, (uint16_t)j, true);
				app->ports[j].name[0] = '\0';
			}
		if (open_ports(app, nc, base, late, true, slot_of, reserved, opened, err) < 0)
			goto rollback;
	}

	/* Phase 3: the new L2 view, then one snapshot with everything. */
	l2 = l2_build(nc, slot_of, sw_id_of, err);
	if (l2 == NULL)
		goto rollback;
	s = snapshot_new(app, l2, NULL);
	if (s == NULL) {
		set_err(err, EVS_CTL_E_INTERNAL, base, "out of memory");
		goto rollback;
	}
	old_l2 = app->snap ? app->snap->l2 : NULL;
	publish(app, s);
	evs_l2_conf_free((struct evs_l2_conf *)(uintptr_t)old_l2);

	/* Phase 4: forget switches that went, then the static MACs. */
	for (j = 0; j < CONF_MAX_SWITCHES; j++) {
		bool keep = false;

		if (app->switch_names[j][0] == '\0')
			continue;
		for (i = 0; i < nc->n_switches && !keep; i++)
			keep = sw_id_of[i] == j;
		if (!keep) {
			evs_l2_macs_flush_switch(app->macs, (uint16_t)j, true);
			app->switch_names[j][0] = '\0';
		}
	}
	for (i = 0; i < nc->n_switches; i++)
		snprintf(app->switch_names[sw_id_of[i]], CONF_NAME_MAX, "%s", nc->switches[i].name);
	if (old != NULL)
		statics_sync(app, old, nc, sw_id_of);
	else
		statics_sync(app, nc, nc, sw_id_of);
	app_macs_changed(app);

	json_decref(app->doc);
	app->doc = doc;
	json_incref(doc);
	app->conf = nc;
	conf_free(old);
	return 0; /* the caller makes it durable (app_commit()) */

rollback:
	/* Close what this request opened (never published: free at once)
	 * and bring back what it closed. */
	for (j = 0; j < CONF_MAX_PORTS; j++)
		if (opened[j]) {
			evs_port_free(app->ports[j].port);
			app->ports[j].port = NULL;
			app->ports[j].name[0] = '\0';
		}
	if (retired && old != NULL) {
		for (i = 0; i < old->n_ports; i++) {
			struct conf_err e2;
			int slot;

			if (app_port_index(app, old->ports[i].name) >= 0)
				continue;
			slot = free_port_slot(app, (bool[CONF_MAX_PORTS]){false});
			if (slot < 0)
				break;
			app->ports[slot].port = port_open(app, &old->ports[i], &e2, "");
			if (app->ports[slot].port != NULL)
				snprintf(app->ports[slot].name, CONF_NAME_MAX, "%s",
					 old->ports[i].name);
		}
		/* the old L2 view refers to old slots: rebuild it */
		{
			int oslot[CONF_MAX_PORTS], osw[CONF_MAX_SWITCHES];
			struct evs_l2_conf *ol2;

			for (i = 0; i < old->n_ports; i++)
				oslot[i] = app_port_index(app, old->ports[i].name);
			for (i = 0; i < old->n_switches; i++)
				osw[i] = app_switch_id(app, old->switches[i].name);
			ol2 = l2_build(old, oslot, osw, NULL);
			s = ol2 ? snapshot_new(app, ol2, NULL) : NULL;
			if (s != NULL) {
				old_l2 = app->snap ? app->snap->l2 : NULL;
				publish(app, s);
				evs_l2_conf_free((struct evs_l2_conf *)(uintptr_t)old_l2);
			} else {
				evs_l2_conf_free(ol2);
			}
		}
	}
	evs_l2_conf_free(l2);
	conf_free(nc);
	return -EINVAL;
}

void app_teardown(struct evs_app *app)
{
	struct dp_snapshot *s = app->snap;
	int i;

	/* PMDs have stopped (or never ran): free directly. */
	for (i = 0; i < CONF_MAX_PORTS; i++)
		if (app->ports[i].port != NULL) {
			evs_port_free(app->ports[i].port);
			app->ports[i].port = NULL;
		}
	if (s != NULL) {
		evs_l2_conf_free((struct evs_l2_conf *)(uintptr_t)s->l2);
		free(s);
		app->snap = NULL;
	}
}
