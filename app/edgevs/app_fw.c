/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Security groups in the daemon: the firewall, its store types (fw.*) bound
 * to the port slots, the state the module reads, and the dependency bump
 * that re-translates the firewall's megaflows when ports change.
 */
#include <errno.h>

#include "app.h"

#define APP_FW_MAX_RULES 65536
#define APP_FW_MAX_GROUPS 1024
#define APP_FW_MAX_ADDRSETS 256
#define APP_FW_MAX_ADDRS EVS_FW_ADDRSET_PREFIXES_MAX

static int port_index(const char *name, void *arg)
{
	return app_port_index(arg, name);
}

static void changed(void *arg)
{
	struct evs_app *app = arg;

	evs_registry_dep_bump(app->reg, (unsigned int)app->mod_fw, EVS_FW_DEP_PORTS);
}

int app_fw_init(struct evs_app *app)
{
	app->mod_fw = evs_registry_module_index(app->reg, "fw");
	app->fw = evs_fw_create(&(struct evs_fw_config){
	    .name = "evs_fw",
	    .socket_id = (int)rte_socket_id(),
	    .n_lcores = app->ct_lcores != 0 ? app->ct_lcores : 3 * (DP_MAX_PMDS + 1),
	    .max_rules = APP_FW_MAX_RULES,
	    .max_groups = APP_FW_MAX_GROUPS,
	    .max_addrsets = APP_FW_MAX_ADDRSETS,
	    .max_addrs = APP_FW_MAX_ADDRS,
	    .max_ports = CONF_MAX_PORTS,
	    .qsbr = app->qsbr});
	if (app->fw == NULL)
		return -errno;
	app->fw_args = (struct evs_fw_mod_args){.fw = app->fw, .ct = app->ct};
	app->mod_args[app->mod_fw] = &app->fw_args;
	return 0;
}

int app_fw_store_bind(struct evs_app *app)
{
	app->fw_store = evs_fw_store_bind(app->store, &(struct evs_fw_store_config){
							  .fw = app->fw,
							  .ct = app->ct,
							  .zone = EVS_FW_ZONE_DEFAULT,
							  .port_index = port_index,
							  .changed = changed,
							  .arg = app,
						      });
	return app->fw_store != NULL ? 0 : -errno;
}

void app_fw_fill(const struct evs_app *app, struct app_states *st)
{
	st->fw.fw = app->fw;
	st->fw.zone = EVS_FW_ZONE_DEFAULT;
}

/* After the pipeline lcores and the control server. */
void app_fw_free(struct evs_app *app)
{
	evs_fw_ctl_free(app->fw_args.ctl);
	app->fw_args.ctl = NULL;
	evs_fw_store_free(app->fw_store);
	app->fw_store = NULL;
	evs_fw_free(app->fw);
	app->fw = NULL;
}
