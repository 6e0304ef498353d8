/* SPDX-License-Identifier: BSD-3-Clause */
/* Control methods: config.get/apply/save, version; the shared apply helper. */

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

json_t *ctl_doc_copy(struct evs_app *app, struct evs_ctl_call *call)
{
	json_t *doc = json_deep_copy(app->doc);

	if (doc == NULL)
		evs_ctl_error(call, EVS_CTL_E_INTERNAL, "", "out of memory");
	return doc;
}

int ctl_apply_doc(struct evs_app *app, struct evs_ctl_call *call, json_t *doc, const char *from,
		  const char *to)
{
	struct conf_err err;
	size_t n = strlen(from);

	if (app_apply(app, doc, "", &err) < 0) {
		char path[sizeof(err.path) + 64];

		json_decref(doc);
		if (strncmp(err.path, from, n) == 0 && (err.path[n] == '\0' || err.path[n] == '/'))
			snprintf(path, sizeof(path), "%s%s", to, err.path + n);
		else
			snprintf(path, sizeof(path), "%s%s", to, "");
		evs_ctl_error(call, err.code, path, "%s", err.msg);
		return -EINVAL;
	}
	json_decref(doc);
	return app_commit(app, call) < 0 ? -EIO : 0;
}

static int m_config_get(struct evs_ctl_call *call, json_t *params, void *arg)
{
	struct evs_app *app = arg;

	(void)params;
	return evs_ctl_reply(call, json_deep_copy(app->doc));
}

static int m_config_apply(struct evs_ctl_call *call, json_t *params, void *arg)
{
	struct evs_app *app = arg;
	json_t *doc = json_object_get(params, "config");
	struct conf_err err;

	json_incref(doc);
	if (app_apply(app, doc, "/params/config", &err) < 0) {
		json_decref(doc);
		return evs_ctl_error(call, err.code, err.path, "%s", err.msg);
	}
	json_decref(doc);
	if (app_commit(app, call) < 0)
		return 0; /* answered */
	return evs_ctl_reply(call, json_pack("{s:I}", "generation", (json_int_t)app->gen));
}

static int m_config_save(struct evs_ctl_call *call, json_t *params, void *arg)
{
	struct evs_app *app = arg;
	const char *name = json_string_value(json_object_get(params, "path"));
	char msg[EVS_CTL_MSG_MAX];

	if (name == NULL) {
		if (app->cfg_file == NULL)
			return evs_ctl_error(call, EVS_CTL_E_INVALID_PARAMS, "/params/path",
					     "no path given and the daemon was started without "
					     "--config");
		if (app_commit(app, call) < 0)
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

static const struct evs_ctl_param p_apply[] = {
	{.name = "config", .type = EVS_CTL_T_OBJECT, .required = true,
	 .help = "the whole desired state: {switches: [...], ports: [...]}"},
};
static const struct evs_ctl_param p_save[] = {
	{.name = "path", .type = EVS_CTL_T_STRING, .min_len = 1, .max_len = 128,
	 .help = "file name in the state directory (--state-dir); default: the --config file"},
};

int ctl_register_config(struct evs_app *app)
{
	const struct evs_ctl_method m[] = {
		{.name = "config.get", .help = "The running desired-state document.",
		 .read_only = true, .fn = m_config_get, .arg = app, .params = evs_ctl_no_params},
		{.name = "config.apply",
		 .help = "Validate a whole desired-state document and apply the difference "
			 "atomically; persisted to the --config file.",
		 .fn = m_config_apply, .arg = app, .params = p_apply, .n_params = RTE_DIM(p_apply)},
		{.name = "config.save",
		 .help = "Write the running document durably to the --config file, or to a "
			 "file of the state directory (--state-dir) named by path.", .fn = m_config_save, .arg = app, .params = p_save,
		 .n_params = RTE_DIM(p_save)},
		{.name = "version", .help = "Versions of edgevs, its API and DPDK.",
		 .read_only = true, .fn = m_version, .arg = app, .params = evs_ctl_no_params},
	};

	return ctl_register_methods(app, m, RTE_DIM(m));
}

int ctl_register_all(struct evs_app *app)
{
	int ret;

	ret = ctl_register_config(app);
	if (ret == 0)
		ret = ctl_register_port(app);
	if (ret == 0)
		ret = ctl_register_switch(app);
	if (ret == 0)
		ret = ctl_register_mac(app);
	if (ret == 0)
		ret = ctl_register_stats(app);
	if (ret == 0)
		ret = ctl_register_flow(app);
	if (ret == 0)
		ret = ctl_register_watch(app);
	if (ret < 0)
		APP_LOG(ERR, "registering control methods: %s", strerror(-ret));
	return ret;
}
