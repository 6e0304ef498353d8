/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Switch and static MAC apply hooks. A switch gets its datapath id in
 * prepare (kept in the store object's aux word); a static MAC is one insert
 * into the MAC table in prepare (undone on abort) and one delete at commit.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "evs_l2.h"
#include "evs_l2_schema.h"

static int switch_prepare(struct evs_store *st, const struct evs_store_delta *d, size_t n,
			  struct evs_ctl_err *err, void *ctx)
{
	struct evs_app *app = ctx;
	size_t i;
	int id;

	(void)st;
	app->structure_changed = true;
	for (i = 0; i < n; i++) {
		if (d[i].op != EVS_STORE_ADD)
			continue;
		for (id = 0; id < CONF_MAX_SWITCHES; id++)
			if (app->switch_names[id][0] == '\0' && !app->sw_reserved[id])
				break;
		if (id == CONF_MAX_SWITCHES)
			return evs_store_err(err, -ENOSPC, d[i].path, "no free switch id");
		app->sw_reserved[id] = true;
		*evs_store_obj_aux(d[i].obj) = (uintptr_t)id + 1;
	}
	return 0;
}

static void switch_commit(struct evs_store *st, const struct evs_store_delta *d, size_t n,
			  void *ctx)
{
	struct evs_app *app = ctx;
	size_t i;

	(void)st;
	for (i = 0; i < n; i++) {
		int id = (int)*evs_store_obj_aux(d[i].obj) - 1;

		if (d[i].op == EVS_STORE_ADD)
			snprintf(app->switch_names[id], CONF_NAME_MAX, "%s",
				 json_string_value(json_object_get(d[i].new, "name")));
		else if (d[i].op == EVS_STORE_DEL)
			app->sw_removing[id] = true; /* freed after the new snapshot */
	}
	memset(app->sw_reserved, 0, sizeof(app->sw_reserved));
}

static void switch_abort(struct evs_store *st, const struct evs_store_delta *d, size_t n, void *ctx)
{
	struct evs_app *app = ctx;

	(void)st;
	(void)d;
	(void)n;
	memset(app->sw_reserved, 0, sizeof(app->sw_reserved));
}

const struct evs_store_ops app_switch_ops = {.check = evs_l2_switch_check,
					     .status = app_switch_status,
					     .prepare = switch_prepare,
					     .commit = switch_commit,
					     .abort = switch_abort};

/* Switch id and port slot a static MAC names in the post-transaction state. */
static int mac_target(struct evs_store_obj *o, const json_t *v, uint16_t *id, uint16_t *slot,
		      struct rte_ether_addr *mac)
{
	/* The store resolved both references (mac_refs: switch, then port). */
	struct evs_store_obj *s = evs_store_obj_target(o, 0);
	struct evs_store_obj *p = evs_store_obj_target(o, 1);

	if (s == NULL || p == NULL ||
	    evs_ctl_parse_mac(json_string_value(json_object_get(v, "mac")), mac->addr_bytes) < 0)
		return -ENOENT; /* cannot be: resolved and validated */
	*id = (uint16_t)(*evs_store_obj_aux(s) - 1);
	*slot = (uint16_t)(*evs_store_obj_aux(p) - 1);
	return 0;
}

/* The table is the real limit: refuse at validation what it cannot hold. */
static int mac_validate(struct evs_store *st, const struct evs_store_delta *d, size_t n,
			struct evs_ctl_err *err, void *ctx)
{
	struct evs_app *app = ctx;
	size_t total = evs_store_count(st, "mac");

	if (total > app->mac_capacity)
		return evs_store_err(err, -ENOSPC, d[n - 1].path,
				     "%zu static MACs: the MAC table holds %u entries", total,
				     app->mac_capacity);
	return 0;
}

static int mac_prepare(struct evs_store *st, const struct evs_store_delta *d, size_t n,
		       struct evs_ctl_err *err, void *ctx)
{
	struct evs_app *app = ctx;
	struct rte_ether_addr mac;
	uint16_t id, slot;
	int rc;

	(void)st;
	/* Sliced (prepare_sliced): macs_done counts over every call of the
	 * transaction, and abort gets all the deltas given to prepare. */
	for (size_t i = 0; i < n; i++, app->macs_done++) {
		const struct evs_store_delta *x = &d[i];

		if (x->op == EVS_STORE_DEL)
			continue;
		rc = mac_target(x->obj, x->new, &id, &slot, &mac);
		if (rc == 0)
			rc = evs_l2_macs_add_static(app->macs, id, &mac, slot, evs_l2_now());
		if (rc < 0)
			return evs_store_err(err, rc == -ENOSPC ? -ENOSPC : -EIO, x->path,
					     "the MAC table refused the entry: %s", strerror(-rc));
	}
	return 0;
}

static void mac_commit(struct evs_store *st, const struct evs_store_delta *d, size_t n, void *ctx)
{
	struct evs_app *app = ctx;
	struct rte_ether_addr mac;
	size_t i;

	(void)st;
	for (i = 0; i < n; i++) {
		int id = app_switch_id(app, json_string_value(json_object_get(d[i].old, "switch")));

		if (d[i].op != EVS_STORE_DEL || id < 0 ||
		    rte_ether_unformat_addr(json_string_value(json_object_get(d[i].old, "mac")),
					    &mac) != 0)
			continue;
		evs_l2_macs_del(app->macs, (uint16_t)id, &mac);
	}
	app->macs_done = 0;
}

static void mac_abort(struct evs_store *st, const struct evs_store_delta *d, size_t n, void *ctx)
{
	struct evs_app *app = ctx;
	struct rte_ether_addr mac;
	uint16_t id, slot;
	size_t i;

	(void)st;
	(void)n;
	/* The store is not rolled back yet: targets still resolve. */
	for (i = 0; i < app->macs_done && i < n; i++) {
		if (d[i].op == EVS_STORE_DEL ||
		    mac_target(d[i].obj, d[i].new, &id, &slot, &mac) < 0)
			continue;
		if (d[i].op == EVS_STORE_ADD) {
			evs_l2_macs_del(app->macs, id, &mac);
		} else {
			int old = app_port_index(
			    app, json_string_value(json_object_get(d[i].old, "port")));

			if (old >= 0)
				evs_l2_macs_add_static(app->macs, id, &mac, (uint16_t)old,
						       evs_l2_now());
		}
	}
	app->macs_done = 0;
}

const struct evs_store_ops app_mac_ops = {.check = evs_l2_mac_check,
					  .validate = mac_validate,
					  .prepare = mac_prepare,
					  .commit = mac_commit,
					  .abort = mac_abort};
