/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The daemon's feature modules, in one explicit list (no constructors: the
 * start-up order is readable here). Adding a feature is one line in
 * `modules[]` plus its state in app_states_fill().
 */

#include <errno.h>
#include <string.h>

#include <rte_ring.h>

#include "app.h"
#include "evs_l2.h"
#include "evs_lb.h"
#include "evs_pipeline.h"

static const struct evs_module *const modules[] = {
    &evs_l2_module, &evs_ct_module, &evs_fw_module, &evs_l3_module, &evs_lb_module,
};

/* MAC table entries of a switch changed: only that switch's megaflows are stale. */
static void macs_changed(void *arg, uint16_t switch_id)
{
	struct evs_app *app = arg;

	evs_registry_dep_bump(app->reg, (unsigned int)app->mod_l2, evs_l2_dep_switch(switch_id));
}

/* On failure the caller's app_modules_free() frees whatever was made. */
int app_modules_init(struct evs_app *app)
{
	app->reg = evs_registry_create(modules, RTE_DIM(modules));
	if (app->reg == NULL)
		return -errno;
	app->mod_l2 = evs_registry_module_index(app->reg, "l2");
	app->mod_args[app->mod_l2] = app->macs;
	app->mod_ct = evs_registry_module_index(app->reg, "ct");
	app->ct = evs_ct_create(&(struct evs_ct_config){
	    .name = "evs_ct",
	    .max_conns = app->ct_max != 0 ? app->ct_max : APP_CT_MAX,
	    /* contexts for ct's, fw's and lb's modules on each pipeline lcore */
	    .n_lcores = app->ct_lcores != 0 ? app->ct_lcores : 3 * (DP_MAX_PMDS + 1),
	    .socket_id = (int)rte_socket_id(),
	    .qsv = app->qsbr});
	if (app->ct == NULL)
		return -errno;
	app->mod_args[app->mod_ct] = app->ct;
	app->mod_l3 = evs_registry_module_index(app->reg, "l3");
	app->mod_lb = evs_registry_module_index(app->reg, "lb");
	app->mod_args[app->mod_lb] = app->ct;
	if (app_l3_init(app) < 0 || app_fw_init(app) < 0 || app_lb_init(app) < 0)
		return -ENOMEM;
	app->punt_ring =
	    rte_ring_create("evs_punt", APP_PUNT_RING, (int)rte_socket_id(), RING_F_SC_DEQ);
	if (app->punt_ring == NULL)
		return -ENOMEM;
	return app_overlay_init(app);
}

void app_modules_free(struct evs_app *app)
{
	if (app->punt_ring != NULL) {
		evs_pipeline_punt_poll(app->reg, app->punt_ring, NULL, UINT32_MAX);
		rte_ring_free(app->punt_ring);
	}
	app->punt_ring = NULL;
	app_overlay_free(app);
	app_fw_free(app);
	app_lb_free(app);
	app_l3_free(app);
	evs_ct_free(app->ct); /* after the pipeline lcores that used it */
	app->ct = NULL;
	evs_registry_free(app->reg);
	app->reg = NULL;
}

void app_macs_config(struct evs_app *app, struct evs_l2_macs_config *mc)
{
	mc->on_change = macs_changed;
	mc->on_change_arg = app;
}

void app_states_fill(const struct evs_app *app, const struct dp_snapshot *s, struct app_states *st)
{
	st->l2.conf = s != NULL ? s->l2 : NULL;
	st->l2.macs = app->macs;
	memset(&st->pst, 0, sizeof(st->pst));
	st->pst.mod[app->mod_l2] = &st->l2;
	st->ct.nat = NULL; /* no NAT ranges are configured yet */
	st->ct.n_nat = 0;
	st->pst.mod[app->mod_ct] = &st->ct;
	app_l3_fill(app, st);
	st->pst.mod[app->mod_l3] = &st->l3;
	app_fw_fill(app, st);
	st->pst.mod[app->mod_fw] = &st->fw;
	st->pst.mod[app->mod_lb] = app_lb_state(app);
}

void app_snapshot_published(struct evs_app *app, const struct dp_snapshot *old,
			    const struct dp_snapshot *cur)
{
	evs_l2_conf_changed(app->reg, (unsigned int)app->mod_l2, old != NULL ? old->l2 : NULL,
			    cur != NULL ? cur->l2 : NULL);
}

int app_modules_store_add(struct evs_app *app)
{
	int rc = evs_ct_store_add(app->store, app->ct);

	if (rc == 0)
		rc = app_fw_store_bind(app);
	if (rc == 0)
		rc = app_lb_store_add(app);
	return rc < 0 ? rc : app_overlay_store_add(app);
}

/* Every module's methods, with its app argument (ct: the table). */
int app_modules_ctl_register(struct evs_app *app)
{
	unsigned int i;
	int ret = app_lb_ctl_register(app);

	if (ret < 0)
		return ret;
	for (i = 0; i < evs_registry_n_modules(app->reg); i++) {
		const struct evs_module *m = evs_registry_module(app->reg, i);

		if (m->ctl_register == NULL)
			continue;
		ret = m->ctl_register(app->ctl, app->mod_args[i]);
		if (ret < 0) {
			APP_LOG(ERR, "%s methods: %s", m->name, strerror(-ret));
			return ret;
		}
	}
	return app_overlay_ctl_register(app);
}
