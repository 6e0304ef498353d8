/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port apply hooks. prepare opens the devices of added ports and of ports
 * whose device settings changed (into the port's own slot, staged until the
 * commit's snapshot); a device that must be closed before its successor can
 * open (same ethdev device, same vhost socket) is hidden from the PMDs and
 * closed early, and reopened in the same slot on abort. A port whose
 * switches or VLANs changed keeps its device: only the L2 view changes.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>

#include "app.h"
#include "evs_l2.h"
#include "evs_port.h"

static const char *str_field(const struct evs_app *app, const json_t *v, const char *name)
{
	const char *s = json_string_value(evs_store_field(app->store, "port", v, name));

	return s != NULL ? s : "";
}

static bool is_vhost(const struct evs_app *app, const json_t *v)
{
	return strcmp(str_field(app, v, "type"), "vhost-user") == 0;
}

void app_port_config(const struct evs_app *app, const json_t *v, struct evs_port_config *pc)
{
	bool vhost = is_vhost(app, v);
	uint16_t queues =
	    (uint16_t)json_integer_value(evs_store_field(app->store, "port", v, "queues"));

	*pc = (struct evs_port_config){
	    .name = str_field(app, v, "name"),
	    .type = vhost ? EVS_PORT_VHOST : EVS_PORT_ETHDEV,
	    .devargs = vhost ? NULL : str_field(app, v, "devargs"),
	    .socket_path = vhost ? str_field(app, v, "path") : NULL,
	    .vhost_mode = strcmp(str_field(app, v, "mode"), "client") == 0 ? EVS_VHOST_CLIENT
									   : EVS_VHOST_SERVER,
	    .nb_rxq = queues,
	    .nb_txq = vhost ? queues : (uint16_t)app->n_pmds,
	    .nb_tx_users = (uint16_t)app->n_pmds,
	    .mp = app->pool,
	    .mtu = (uint16_t)json_integer_value(evs_store_field(app->store, "port", v, "mtu")),
	    .socket_id = (int)rte_socket_id(),
	    .qsbr = app->qsbr,
	};
}

/* Length of the device name in ethdev devargs ("net_tap0,iface=x" -> 8). */
static size_t devname_len(const char *devargs)
{
	return strcspn(devargs, ",");
}

/* Do @a and @b need the same device (ethdev name or vhost socket)? */
static bool same_device(const struct evs_app *app, const json_t *a, const json_t *b)
{
	const char *da, *db;

	if (is_vhost(app, a) != is_vhost(app, b))
		return false;
	if (is_vhost(app, a))
		return strcmp(str_field(app, a, "path"), str_field(app, b, "path")) == 0;
	da = str_field(app, a, "devargs");
	db = str_field(app, b, "devargs");
	return devname_len(da) == devname_len(db) && strncmp(da, db, devname_len(da)) == 0;
}

static bool needs_recreate(const struct evs_app *app, const json_t *a, const json_t *b)
{
	static const char *const dev_fields[] = {"type", "devargs", "path",
						 "mode", "queues",  "mtu"};
	size_t i;

	for (i = 0; i < RTE_DIM(dev_fields); i++) {
		const json_t *x = evs_store_field(app->store, "port", a, dev_fields[i]);
		const json_t *y = evs_store_field(app->store, "port", b, dev_fields[i]);

		if (!((x == NULL && y == NULL) || (x != NULL && y != NULL && json_equal(x, y))))
			return true;
	}
	return false;
}

static struct evs_port *open_port(struct evs_app *app, const json_t *v, const char *path,
				  struct evs_ctl_err *err)
{
	struct evs_port_config pc;
	struct evs_port *p;

	app_port_config(app, v, &pc);
	p = evs_port_create(&pc);
	if (p == NULL) {
		evs_store_err(err, -EIO, path, "cannot create port '%s': %s", pc.name,
			      evs_port_last_error()[0] ? evs_port_last_error()
						       : rte_strerror(rte_errno));
		APP_LOG(ERR, "%s", err->message);
		return NULL;
	}
	evs_port_link_cb_set(p, mgmt_on_link, app);
	return p;
}

/* Hide the device of @slot from the PMDs, then close it (a successor needs it). */
static int close_early(struct evs_app *app, int slot)
{
	struct app_port *p = &app->ports[slot];
	int rc;

	p->closed = true;
	rc = app_publish(app, app->snap != NULL ? app->snap->l2 : NULL, NULL);
	if (rc < 0) {
		p->closed = false;
		return rc;
	}
	app->ports_hidden = true;
	evs_port_free(p->port);
	p->port = NULL;
	APP_LOG(INFO, "port %s closed for its successor", p->name);
	return 0;
}

/* Close, early, every going device that @v's device needs, and the device of
 * @v's own slot (port names are unique among open devices). */
static int free_device_for(struct evs_app *app, const json_t *v, int own_slot)
{
	int i, rc;

	for (i = 0; i < CONF_MAX_PORTS; i++) {
		struct app_port *p = &app->ports[i];

		if (p->port == NULL || p->closed ||
		    !(i == own_slot || (p->removing && same_device(app, p->cfg, v))))
			continue;
		rc = close_early(app, i);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int free_slot(const struct evs_app *app)
{
	int i;

	for (i = 0; i < CONF_MAX_PORTS; i++)
		if (app->ports[i].name[0] == '\0' && app->ports[i].port == NULL &&
		    !app->ports[i].adding)
			return i;
	return -1;
}

static int stage_device(struct evs_app *app, const struct evs_store_delta *d, int slot,
			struct evs_ctl_err *err)
{
	struct app_port *p = &app->ports[slot];
	int rc = free_device_for(app, d->new, slot);
	char sub[EVS_CTL_PATH_MAX];

	if (rc < 0)
		return evs_store_err(err, rc, d->path, "cannot hide a port from the datapath");
	/* The device settings are what the driver refused. */
	evs_ctl_path_key(sub, sizeof(sub), d->path, is_vhost(app, d->new) ? "path" : "devargs");
	p->staged = open_port(app, d->new, sub, err);
	if (p->staged == NULL)
		return -EIO;
	p->staged_cfg = json_incref((json_t *)d->new);
	return 0;
}

static int port_prepare(struct evs_store *st, const struct evs_store_delta *d, size_t n,
			struct evs_ctl_err *err, void *ctx)
{
	struct evs_app *app = ctx;
	size_t i;
	int rc, slot;

	(void)st;
	app->structure_changed = true;
	for (i = 0; i < n; i++)
		if (d[i].op == EVS_STORE_DEL)
			app->ports[*evs_store_obj_aux(d[i].obj) - 1].removing = true;
	for (i = 0; i < n; i++) {
		if (d[i].op == EVS_STORE_ADD) {
			slot = free_slot(app);
			if (slot < 0)
				return evs_store_err(err, -ENOSPC, d[i].path, "no free port slot");
			app->ports[slot].adding = true;
			snprintf(app->ports[slot].name, CONF_NAME_MAX, "%s",
				 json_string_value(json_object_get(d[i].new, "name")));
			*evs_store_obj_aux(d[i].obj) = (uintptr_t)slot + 1;
		} else if (d[i].op == EVS_STORE_SET && needs_recreate(app, d[i].old, d[i].new)) {
			slot = (int)*evs_store_obj_aux(d[i].obj) - 1;
		} else {
			continue;
		}
		rc = stage_device(app, &d[i], slot, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Abort: close what this transaction opened, reopen what it closed. */
void app_ports_abort(struct evs_app *app)
{
	struct evs_ctl_err err;
	int i;

	for (i = 0; i < CONF_MAX_PORTS; i++) {
		struct app_port *p = &app->ports[i];

		evs_port_free(p->staged); /* never published */
		p->staged = NULL;
		json_decref(p->staged_cfg);
		p->staged_cfg = NULL;
		if (p->adding)
			p->name[0] = '\0';
		if (p->closed) {
			p->port = open_port(app, p->cfg, "", &err);
			if (p->port == NULL)
				APP_LOG(ERR, "port %s could not be restored: %s", p->name,
					err.message);
			p->closed = false;
		}
		p->adding = false;
		p->removing = false;
	}
	if (app->ports_hidden &&
	    app_publish(app, app->snap != NULL ? app->snap->l2 : NULL, NULL) < 0)
		APP_LOG(ERR, "republishing the restored ports failed: out of memory");
	app->ports_hidden = false;
}

/* Commit, after the snapshot with the staged devices is published. */
void app_ports_commit(struct evs_app *app)
{
	int i;

	for (i = 0; i < CONF_MAX_PORTS; i++) {
		struct app_port *p = &app->ports[i];

		if (p->removing) {
			APP_LOG(INFO, "port %s removed", p->name);
			evs_port_free(p->port);
			evs_l2_macs_flush_port(app->macs, (uint16_t)i, true);
			p->port = NULL;
			p->name[0] = '\0';
			json_decref(p->cfg);
			p->cfg = NULL;
		} else if (p->staged != NULL) {
			/* A new device in the slot: its learned MACs may be stale,
			 * its static ones stay (the same slot). */
			evs_port_free(p->port);
			if (!p->adding)
				evs_l2_macs_flush_port(app->macs, (uint16_t)i, false);
			APP_LOG(INFO, "port %s %s", p->name, p->adding ? "added" : "re-created");
			p->port = p->staged;
			json_decref(p->cfg);
			p->cfg = p->staged_cfg;
			p->created_tsc = rte_rdtsc();
		}
		p->staged = NULL;
		p->staged_cfg = NULL;
		p->adding = p->removing = p->closed = false;
	}
}

static void port_abort(struct evs_store *st, const struct evs_store_delta *d, size_t n, void *ctx)
{
	(void)st;
	(void)d;
	(void)n;
	app_ports_abort(ctx);
}

/* Rules the field spec cannot say: per type fields, VLANs, distinct devices. */
static int port_check(struct evs_store *st, const json_t *v, const char *path,
		      struct evs_ctl_err *err, void *ctx)
{
	struct evs_app *app = ctx;
	const char *name = json_string_value(json_object_get(v, "name"));
	const char *sw = str_field(app, v, "switch");
	char sub[EVS_CTL_PATH_MAX], vp[EVS_CTL_PATH_MAX];
	const json_t *vl, *vl2;
	struct evs_store_obj *o;
	size_t i, j;
	int rc = evs_store_check_name(v, "name", path, err);

	if (rc < 0)
		return rc;
	if (is_vhost(app, v)) {
		if (json_object_get(v, "devargs") != NULL)
			return evs_store_err(err, -EINVAL,
					     evs_ctl_path_key(sub, sizeof(sub), path, "devargs"),
					     "'devargs' applies to ethdev ports only");
		if (str_field(app, v, "path")[0] != '/')
			return evs_store_err(err, -EINVAL,
					     evs_ctl_path_key(sub, sizeof(sub), path, "path"),
					     "a vhost-user port needs an absolute socket 'path'");
	} else {
		if (str_field(app, v, "devargs")[0] == '\0')
			return evs_store_err(err, -EINVAL,
					     evs_ctl_path_key(sub, sizeof(sub), path, "devargs"),
					     "an ethdev port needs 'devargs'");
		if (json_object_get(v, "path") != NULL || json_object_get(v, "mode") != NULL)
			return evs_store_err(
			    err, -EINVAL,
			    evs_ctl_path_key(sub, sizeof(sub), path,
					     json_object_get(v, "path") ? "path" : "mode"),
			    "'path' and 'mode' apply to vhost-user ports only");
	}
	json_array_foreach (json_object_get(v, "vlans"), i, vl) {
		const char *vs = json_string_value(json_object_get(vl, "switch"));

		evs_ctl_path_key(sub, sizeof(sub), path, "vlans");
		evs_ctl_path_index(sub, sizeof(sub), sub, i);
		if (strcmp(vs, sw) == 0)
			return evs_store_err(err, -EINVAL,
					     evs_ctl_path_key(vp, sizeof(vp), sub, "switch"),
					     "switch '%s' is already the port's native switch", sw);
		for (j = 0; j < i; j++) {
			vl2 = json_array_get(json_object_get(v, "vlans"), j);
			if (json_equal(json_object_get(vl, "vlan"), json_object_get(vl2, "vlan")))
				return evs_store_err(
				    err, -EINVAL, evs_ctl_path_key(vp, sizeof(vp), sub, "vlan"),
				    "VLAN %lld is mapped twice on port '%s'",
				    (long long)json_integer_value(json_object_get(vl, "vlan")),
				    name);
			if (json_equal(json_object_get(vl, "switch"),
				       json_object_get(vl2, "switch")))
				return evs_store_err(
				    err, -EINVAL, evs_ctl_path_key(vp, sizeof(vp), sub, "switch"),
				    "switch '%s' is carried twice on port '%s'", vs, name);
		}
	}
	for (o = evs_store_first(st, "port"); o != NULL; o = evs_store_next(o)) {
		const json_t *ov = evs_store_obj_value(o);

		if (ov == v || strcmp(evs_store_obj_key(o), name) == 0 || !same_device(app, ov, v))
			continue;
		return evs_store_err(
		    err, -EEXIST,
		    evs_ctl_path_key(sub, sizeof(sub), path, is_vhost(app, v) ? "path" : "devargs"),
		    "%s already used by port '%s'", is_vhost(app, v) ? "socket path" : "device",
		    evs_store_obj_key(o));
	}
	return 0;
}

const struct evs_store_ops app_port_ops = {
    .check = port_check, .prepare = port_prepare, .abort = port_abort, .status = app_port_status};
