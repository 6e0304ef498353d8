/* SPDX-License-Identifier: BSD-3-Clause */
/* Control methods: the store's generated ones (made durable before they are
 * acknowledged, see state.c), config.save, version. */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_version.h>

#include "ctl_util.h"
#include "evs_build_config.h"

int ctl_register_methods(struct evs_app *app, const struct evs_ctl_method *m, size_t n)
{
	size_t i;
	int ret;

	for (i = 0; i < n; i++) {
		ret = evs_ctl_register(app->ctl, &m[i]);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* After every committed change: the answer waits for the --config write. */
static int on_commit(struct evs_store *st, struct evs_ctl_call *call, void *arg)
{
	(void)st;
	return app_commit(arg, call);
}

static int wait_defer(struct evs_store *st, uint64_t gen, struct evs_ctl_call *call, void *arg)
{
	(void)st;
	return app_state_wait(arg, gen, call);
}

static int wait_pmds(struct evs_store *st, uint64_t gen, void *arg)
{
	(void)st;
	(void)gen;
	return app_wait_pmds(arg);
}

int ctl_store_txn(struct evs_app *app, struct evs_ctl_call *call, ctl_stage_fn stage, void *arg)
{
	struct evs_store_txn *txn = evs_store_txn_begin(app->store);
	uint64_t gen = evs_store_generation(app->store);
	struct evs_ctl_err err;
	int rc;

	if (txn == NULL)
		return evs_ctl_error(call, EVS_CTL_E_BUSY, "",
				     "busy: a large transaction is being applied; retry later");
	rc = stage(txn, arg, &err);
	if (rc < 0) {
		evs_store_txn_abort(txn);
		evs_ctl_error_from(call, &err);
		return rc;
	}
	rc = evs_store_txn_commit(txn, &err);
	if (rc < 0) {
		evs_ctl_error_from(call, &err);
		return rc;
	}
	if (evs_store_generation(app->store) != gen && app_commit(app, call) < 0)
		return -EIO; /* answered */
	return 0;
}

struct one_op {
	enum evs_store_op op;
	const char *type;
	const json_t *value;
};

static int stage_one(struct evs_store_txn *txn, void *arg, struct evs_ctl_err *err)
{
	const struct one_op *o = arg;

	return evs_store_txn_op(txn, o->op, o->type, json_incref((json_t *)o->value), "/params",
				err);
}

int ctl_store_op(struct evs_app *app, struct evs_ctl_call *call, enum evs_store_op op,
		 const char *type, const json_t *value)
{
	struct one_op o = {.op = op, .type = type, .value = value};

	return ctl_store_txn(app, call, stage_one, &o);
}

static int m_config_save(struct evs_ctl_call *call, json_t *params, void *arg)
{
	struct evs_app *app = arg;
	const char *name = json_string_value(json_object_get(params, "path"));
	char msg[EVS_CTL_MSG_MAX];

	if (name == NULL) {
		if (app->journal == NULL)
			return evs_ctl_error(call, EVS_CTL_E_INVALID_PARAMS, "/params/path",
					     "no path given and the daemon was started without "
					     "--config");
		if (app_state_save(app, call) < 0)
			return 0; /* answered */
		return evs_ctl_reply(call, json_pack("{s:s}", "path", app->config_path));
	}
	/* A client never chooses where root writes: only a plain name, in the
	 * state directory, and a symlink there is never followed. */
	if (strchr(name, '/') != NULL || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
	    name[0] == '.')
		return evs_ctl_error(call, EVS_CTL_E_INVALID_PARAMS, "/params/path",
				     "must be a file name (no '/', not hidden): the file is "
				     "written in the state directory %s",
				     app->state_dir);
	if (app_state_save_as(app, name, msg, sizeof(msg)) < 0)
		return evs_ctl_error(call, EVS_CTL_E_APPLY_FAILED, "/params/path", "%s", msg);
	return evs_ctl_reply(call, json_pack("{s:s++}", "path", app->state_dir, "/", name));
}

static int m_version(struct evs_ctl_call *call, json_t *params, void *arg)
{
	(void)params;
	(void)arg;
	return evs_ctl_reply(call, json_pack("{s:s, s:s, s:s, s:b}", "version", EVS_VERSION,
					     "api_version", "1.0", "dpdk", rte_version(),
					     "ipsec_mb", EVS_HAVE_IPSEC_MB));
}

static const struct evs_ctl_param p_save[] = {
    {.name = "path",
     .type = EVS_CTL_T_STRING,
     .min_len = 1,
     .max_len = 128,
     .help = "file name in the state directory (--state-dir); default: the --config file"},
};

int ctl_register_config(struct evs_app *app)
{
	/* route.get is routing's own (a lookup, not the stored object) */
	static const char *const own[] = {"mac.list", "mac.del", "route.get", NULL};
	const struct evs_store_ctl_config sc = {.store = app->store,
						.on_commit = on_commit,
						.wait = wait_pmds,
						.wait_defer = wait_defer,
						.arg = app,
						.skip = own};
	const struct evs_ctl_method m[] = {
	    {.name = "config.save",
	     .help = "Write the running document durably to the --config file, or to a "
		     "file of the state directory (--state-dir) named by path.",
	     .fn = m_config_save,
	     .arg = app,
	     .params = p_save,
	     .n_params = RTE_DIM(p_save)},
	    {.name = "version",
	     .help = "Versions of edgevs, its API and DPDK.",
	     .read_only = true,
	     .fn = m_version,
	     .arg = app,
	     .params = evs_ctl_no_params},
	};
	int ret = evs_store_ctl_register(app->ctl, &sc);

	return ret < 0 ? ret : ctl_register_methods(app, m, RTE_DIM(m));
}

int ctl_register_all(struct evs_app *app)
{
	int ret;

	ret = ctl_register_config(app);
	if (ret == 0)
		ret = ctl_register_port(app);
	if (ret == 0)
		ret = ctl_register_mac(app);
	if (ret == 0)
		ret = ctl_register_stats(app);
	if (ret == 0)
		ret = ctl_register_flow(app);
	if (ret == 0)
		ret = ctl_register_watch(app);
	if (ret == 0)
		ret = app_l3_ctl_register(app);
	if (ret < 0)
		APP_LOG(ERR, "registering control methods: %s", strerror(-ret));
	return ret;
}
