/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Durable desired state: the --config file (written through lib/store's
 * evs_persist, last good copy kept beside it) and the state directory that
 * is the only place a client may name a file in (config.save).
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app.h"
#include "evs_ctl.h"
#include "evs_persist.h"

static const struct evs_persist_opts config_opts = {.mode = 0644, .keep_prev = true};

char *app_doc_dump(const json_t *doc, size_t *len)
{
	char *s = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER), *t;
	size_t n;

	if (s == NULL)
		return NULL;
	/* A final newline, as editors write it. */
	n = strlen(s);
	t = realloc(s, n + 2);
	if (t == NULL) {
		free(s);
		return NULL;
	}
	s = t;
	s[n] = '\n';
	s[n + 1] = '\0';
	*len = n + 1;
	return s;
}

char *app_store_dump(struct evs_app *app, size_t *len)
{
	json_t *doc = evs_store_doc(app->store);
	char *s = doc != NULL ? app_doc_dump(doc, len) : NULL;

	json_decref(doc);
	return s;
}

int app_state_open(struct evs_app *app)
{
	struct evs_persist_config pc = {
	    .path = app->config_path,
	    .follow_symlink = true, /* the operator's path: keep the link */
	    .opts = config_opts,
	};

	if (app->config_path[0] == '\0')
		return 0;
	app->cfg_file = evs_persist_create(&pc);
	if (app->cfg_file == NULL) {
		int rc = -errno;

		APP_LOG(ERR, "config %s: %s", app->config_path, strerror(errno));
		return rc;
	}
	return 0;
}

void app_state_close(struct evs_app *app)
{
	/* Queued writes finish and their calls are answered; nothing is
	 * rolled back any more (the file is what the next start reads). */
	app->stopping = true;
	evs_persist_free(app->cfg_file);
	app->cfg_file = NULL;
	json_decref(app->durable_doc);
	app->durable_doc = NULL;
}

json_t *app_state_load(struct evs_app *app)
{
	extern const char evs_default_config[];
	struct evs_persist_load_info info;
	json_error_t jerr;
	json_t *doc = NULL;
	int rc;

	if (app->cfg_file == NULL) {
		doc = json_loads(evs_default_config, 0, &jerr);
		if (doc == NULL)
			APP_LOG(ERR, "built-in config: line %d: %s", jerr.line, jerr.text);
		return doc;
	}
	rc = evs_persist_load(evs_persist_path(app->cfg_file), NULL, NULL, &doc, &info);
	if (rc < 0) {
		if (rc == -EBADMSG)
			APP_LOG(ERR, "config refused: %s", info.error);
		else
			APP_LOG(ERR, "config %s: %s", evs_persist_path(app->cfg_file),
				strerror(-rc));
		return NULL;
	}
	if (info.from_prev) {
		size_t len;
		char *s;

		APP_LOG(ERR,
			"config refused: %s; starting from its last good copy %s%s (the damaged "
			"file is kept as %s%s)",
			info.error, evs_persist_path(app->cfg_file), EVS_PERSIST_PREV_SUFFIX,
			evs_persist_path(app->cfg_file), EVS_PERSIST_CORRUPT_SUFFIX);
		/* Put a good file back in place at once. */
		s = app_doc_dump(doc, &len);
		rc = s != NULL ? evs_persist_write(app->cfg_file, s, len) : -ENOMEM;
		free(s);
		if (rc < 0)
			APP_LOG(WARNING, "rewriting %s: %s", evs_persist_path(app->cfg_file),
				strerror(-rc));
	}
	return doc;
}

/* Subscribers of "config.change" learn of a change once it is durable. */
static void app_changed_event(struct evs_app *app, const char *method, uint64_t gen)
{
	evs_ctl_notify(
	    app->ctl, "config.change",
	    json_pack("{s:I, s:s}", "generation", (json_int_t)gen, "method", method));
}

/* One change waiting for its write: the held reply and the document written. */
struct commit {
	struct evs_app *app;
	struct evs_ctl_pending *pending;
	json_t *doc;
	uint64_t seq;
	uint64_t gen; /* store generation of doc */
};

static void repair_done(int rc, void *arg)
{
	struct evs_app *app = arg;

	if (rc < 0)
		APP_LOG(ERR,
			"rewriting %s after a rollback failed (%s): the file may hold changes "
			"that were refused",
			evs_persist_path(app->cfg_file), strerror(-rc));
}

/* Bring the running state back to the last durable document and the file
 * back to it too; every change submitted so far fails. */
static void roll_back(struct evs_app *app)
{
	struct evs_ctl_err err;
	size_t len;
	char *s;

	app->rolled_back_upto = app->commit_seq;
	if (app->stopping || evs_store_generation(app->store) == app->durable_gen)
		return;
	/* One transaction: the diff back to the durable document. */
	if (app_apply_doc(app, app->durable_doc, "", &err) < 0)
		APP_LOG(ERR, "rolling back to the last durable config failed: %s (at %s)",
			err.message, err.path[0] ? err.path : "/");
	else
		APP_LOG(WARNING, "rolled back to the last durable config");
	app->durable_gen = evs_store_generation(app->store);
	app_access_sync(app);
	s = app_doc_dump(app->durable_doc, &len);
	if (s == NULL || evs_persist_submit(app->cfg_file, s, len, repair_done, app) < 0)
		repair_done(-ENOMEM, app);
}

static void commit_done(int rc, void *arg)
{
	struct commit *c = arg;
	struct evs_app *app = c->app;
	const char *path = evs_persist_path(app->cfg_file);

	if (rc == 0 && c->seq > app->rolled_back_upto) {
		json_decref(app->durable_doc);
		app->durable_doc = json_incref(c->doc);
		app->durable_gen = c->gen;
		app_changed_event(app, evs_ctl_pending_method(c->pending), c->gen);
		evs_ctl_pending_release(c->pending);
	} else if (rc == 0) {
		evs_ctl_pending_error(c->pending, EVS_CTL_E_APPLY_FAILED, "",
				      "rolled back: an earlier change could not be written to %s",
				      path);
	} else {
		APP_LOG(ERR, "cannot write %s: %s", path, strerror(-rc));
		if (c->seq > app->rolled_back_upto)
			roll_back(app);
		evs_ctl_pending_error(c->pending, EVS_CTL_E_APPLY_FAILED, "",
				      "not persisted: cannot write %s: %s; the change was rolled "
				      "back",
				      path, strerror(-rc));
	}
	json_decref(c->doc);
	free(c);
}

void app_access_sync(struct evs_app *app)
{
	/* Checked by the store's "access" section: only ENOMEM can fail here. */
	if (evs_ctl_set_access(app->ctl, evs_store_section_get(app->store, "access")) < 0)
		APP_LOG(ERR, "access policy not updated: out of memory");
}

/* On the writer thread: the document's bytes. The document is immutable
 * (stored objects are never changed in place; jansson counts references
 * atomically), so reading it there while the management lcore goes on is
 * safe. */
static char *doc_render(void *ctx, size_t *len)
{
	return app_doc_dump(ctx, len);
}

static void doc_release(void *ctx)
{
	json_decref(ctx);
}

int app_commit(struct evs_app *app, struct evs_ctl_call *call)
{
	struct commit *c;

	app_access_sync(app); /* the change may be to the access section */
	if (app->cfg_file == NULL) {
		app_changed_event(app, evs_ctl_call_method(call), evs_store_generation(app->store));
		return 0;
	}
	c = calloc(1, sizeof(*c));
	if (c != NULL)
		c->doc = evs_store_doc(app->store);
	if (c != NULL && c->doc != NULL)
		c->pending = evs_ctl_call_defer(call);
	if (c == NULL || c->doc == NULL || c->pending == NULL) {
		if (c != NULL)
			json_decref(c->doc);
		free(c);
		app->commit_seq++;
		roll_back(app);
		evs_ctl_error(call, EVS_CTL_E_INTERNAL, "", "out of memory; nothing changed");
		return -ENOMEM;
	}
	c->app = app;
	c->gen = evs_store_generation(app->store);
	c->seq = ++app->commit_seq;
	/* Serialised by the writer: the management lcore only collects references. */
	if (evs_persist_submit_render(app->cfg_file, doc_render, json_incref(c->doc), doc_release,
				      commit_done, c) < 0) {
		/* The call is deferred: answer through the handle (allowed inside
		 * the handler), after undoing the change. */
		commit_done(-ENOMEM, c);
		return -ENOMEM;
	}
	return 0;
}

void app_state_started(struct evs_app *app)
{
	json_decref(app->durable_doc);
	app->durable_doc = evs_store_doc(app->store);
	app->durable_gen = evs_store_generation(app->store);
}

void app_state_poll(struct evs_app *app)
{
	evs_persist_poll(app->cfg_file);
}

/* The state directory, created (0700) if missing, as an open fd. */
static int state_dir_open(struct evs_app *app)
{
	int fd;

	if (mkdir(app->state_dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	fd = open(app->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int app_state_save_as(struct evs_app *app, const char *name, char *msg, size_t msglen)
{
	static const struct evs_persist_opts opts = {.mode = 0600};
	size_t len;
	char *s;
	int dirfd, rc;

	dirfd = state_dir_open(app);
	if (dirfd < 0) {
		snprintf(msg, msglen, "state directory %s: %s", app->state_dir, strerror(-dirfd));
		return dirfd;
	}
	s = app_store_dump(app, &len);
	rc = s != NULL ? evs_persist_write_at(dirfd, name, s, len, &opts) : -ENOMEM;
	free(s);
	close(dirfd);
	if (rc < 0)
		snprintf(msg, msglen, "cannot write %s/%s: %s", app->state_dir, name,
			 rc == -ELOOP ? "it is a symlink (never followed)" : strerror(-rc));
	return rc;
}
