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

#include <rte_cycles.h>

#include "app.h"
#include "evs_ctl.h"
#include "evs_persist.h"
#include "evs_recs.h"

static void waiters_poll(struct evs_app *app, bool all);

static const struct evs_persist_opts config_opts = {.mode = 0644, .keep_prev = true};

char *app_doc_dump(const json_t *doc, size_t *len)
{
	return evs_persist_doc_dump(doc, len);
}

char *app_store_dump(struct evs_app *app, size_t *len)
{
	json_t *doc = evs_store_doc(app->store);
	char *s = doc != NULL ? app_doc_dump(doc, len) : NULL;

	json_decref(doc);
	return s;
}

/* Secret fields' values live beside the config, 0600 (doc/store.md). */
static int secrets_open(struct evs_app *app)
{
	char path[PATH_MAX];
	int rc;

	if (snprintf(path, sizeof(path), "%s.secrets", app->cfg_real) >= (int)sizeof(path)) {
		APP_LOG(ERR, "config %s: path too long for its secrets file", app->cfg_real);
		return -ENAMETOOLONG;
	}
	app->secrets = evs_secrets_open(path);
	if (app->secrets == NULL) {
		rc = -errno;
		APP_LOG(ERR, "secrets file %s: %s", path,
			rc == -EBADMSG ? "damaged (refused: secrets are never dropped)"
				       : strerror(-rc));
		return rc;
	}
	evs_store_secrets_attach(app->store, app->secrets);
	return 0;
}

int app_state_open(struct evs_app *app)
{
	app->inflight_tail = &app->inflight;
	if (app->config_path[0] == '\0')
		return 0;
	/* The operator's path: a symlink is kept and its target written. */
	app->cfg_real = realpath(app->config_path, NULL);
	if (app->cfg_real == NULL && errno == ENOENT)
		app->cfg_real = strdup(app->config_path);
	if (app->cfg_real == NULL) {
		int rc = -errno;

		APP_LOG(ERR, "config %s: %s", app->config_path, strerror(errno));
		return rc;
	}
	return secrets_open(app);
}

void app_state_close(struct evs_app *app)
{
	json_t *doc;

	/* Queued writes finish and their calls are answered; nothing is
	 * rolled back any more. Then the file alone is made current, unless a
	 * write failed meanwhile (the file and journal then hold the state). */
	app->stopping = true;
	evs_store_doc_build_free(app->snap_build);
	app->snap_build = NULL;
	evs_journal_drain(app->journal);
	waiters_poll(app, true); /* PMDs have stopped */
	doc = app->journal != NULL && !app->close_dirty ? evs_store_doc(app->store) : NULL;
	evs_journal_close(app->journal, doc);
	json_decref(doc);
	app->journal = NULL;
	json_decref(app->replay);
	app->replay = NULL;
	free(app->cfg_real);
	app->cfg_real = NULL;
	if (app->store != NULL)
		evs_store_secrets_attach(app->store, NULL);
	evs_secrets_free(app->secrets);
	app->secrets = NULL;
}

json_t *app_state_load(struct evs_app *app)
{
	extern const char evs_default_config[];
	struct evs_journal_load_info info;
	json_error_t jerr;
	json_t *doc = NULL;
	int rc;

	if (app->cfg_real == NULL) {
		doc = json_loads(evs_default_config, 0, &jerr);
		if (doc == NULL)
			APP_LOG(ERR, "built-in config: line %d: %s", jerr.line, jerr.text);
		return doc;
	}
	rc = evs_journal_load(app->cfg_real, NULL, NULL, &doc, &app->replay, &info);
	if (rc < 0) {
		if (rc == -EBADMSG)
			APP_LOG(ERR, "config refused: %s", info.doc.error);
		else
			APP_LOG(ERR, "config %s: %s", app->cfg_real, strerror(-rc));
		return NULL;
	}
	if (info.doc.from_prev)
		APP_LOG(ERR,
			"config refused: %s; starting from its last good copy %s%s (the damaged "
			"file is kept as %s%s)%s",
			info.doc.error, app->cfg_real, EVS_PERSIST_PREV_SUFFIX, app->cfg_real,
			EVS_PERSIST_CORRUPT_SUFFIX,
			info.set_aside
			    ? "; its journal, which followed the damaged file, is kept as "
			      "<config>" EVS_JOURNAL_SUFFIX EVS_PERSIST_CORRUPT_SUFFIX
			    : "");
	if (info.finished_next)
		APP_LOG(WARNING, "config %s: completed a compaction interrupted by a stop",
			app->cfg_real);
	if (info.torn)
		APP_LOG(WARNING,
			"config %s: the journal's last line is incomplete (a write cut short, "
			"never acknowledged): ignored",
			app->cfg_real);
	app->doc_on_disk = !info.doc.from_prev && info.lines == 0;
	return doc;
}

/* Subscribers of "config.change" learn of a change once it is durable. */
static void app_changed_event(struct evs_app *app, const char *method, uint64_t gen)
{
	evs_ctl_notify(app->ctl, "config.change",
		       json_pack("{s:I, s:s}", "generation", (json_int_t)gen, "method", method));
}

/* Replay the journal's lines on the running state, one transaction each. */
static int replay(struct evs_app *app)
{
	struct evs_ctl_err err = {0};
	struct evs_store_txn *txn;
	json_t *recs;
	size_t i;
	int rc = 0;

	json_array_foreach (app->replay, i, recs) {
		txn = evs_store_txn_begin(app->store);
		rc = txn != NULL ? evs_store_txn_records(txn, recs, false, "", &err) : -ENOMEM;
		if (rc == 0)
			rc = evs_store_txn_commit(txn, &err);
		else
			evs_store_txn_abort(txn);
		if (rc < 0) {
			APP_LOG(ERR,
				"config %s: journal line %zu cannot be applied: %s (at %s); the "
				"files are left as they are",
				app->cfg_real, i + 2, err.message, err.path[0] ? err.path : "/");
			return rc;
		}
	}
	if (i > 0)
		APP_LOG(INFO, "config %s: replayed %zu journalled changes", app->cfg_real, i);
	return 0;
}

/* The journal's writer finished a batch: end the management loop's wait. */
static void journal_wake(void *arg)
{
	evs_ctl_wake(((struct evs_app *)arg)->ctl);
}

int app_state_started(struct evs_app *app)
{
	struct evs_journal_config jc = {
	    .path = app->cfg_real, .opts = config_opts, .wake = journal_wake, .wake_arg = app};
	json_t *doc;
	int rc;

	if (app->cfg_real == NULL)
		return 0;
	rc = replay(app);
	json_decref(app->replay);
	app->replay = NULL;
	if (rc < 0)
		return rc;
	doc = evs_store_doc(app->store);
	app->journal = doc != NULL ? evs_journal_open(&jc, doc, app->doc_on_disk,
						      evs_store_generation(app->store))
				   : NULL;
	rc = app->journal != NULL ? 0 : (doc != NULL ? -errno : -ENOMEM);
	json_decref(doc);
	if (rc < 0)
		APP_LOG(ERR, "config %s: cannot start its journal: %s", app->cfg_real,
			strerror(-rc));
	else
		evs_store_record_changes(app->store, true);
	return rc;
}

/* A compaction's snapshot: objects per poll (~1-2 ms), restarts at most. */
enum { APP_SNAP_SLICE = 65536, APP_SNAP_RETRIES = 8 };

/* One change waiting for its journal line: the held reply and its records. */
struct app_commit {
	struct evs_app *app;
	struct evs_ctl_pending *pending;
	struct evs_recs *recs; /* NULL: a save (nothing to undo) */
	uint64_t gen;
	bool snapshot;
	bool undone;
	bool wait;	   /* then wait for the PMDs once durable */
	uint64_t token;	   /* QSBR token of the change */
	uint64_t deadline; /* TSC: give up waiting */
	struct app_commit *next;
};

/* Wait for every PMD to pass a quiescent state after @c's change. */
static void wait_add(struct evs_app *app, struct app_commit *c)
{
	c->next = app->waiters;
	app->waiters = c;
}

static void waiters_poll(struct evs_app *app, bool all)
{
	struct app_commit **pp = &app->waiters, *c;
	uint64_t now = rte_rdtsc();

	while ((c = *pp) != NULL) {
		if (!all && rte_rcu_qsbr_check(app->qsbr, c->token, false) != 1 &&
		    now < c->deadline) {
			pp = &c->next;
			continue;
		}
		*pp = c->next;
		if (all || rte_rcu_qsbr_check(app->qsbr, c->token, false) == 1)
			evs_ctl_pending_release(c->pending);
		else
			evs_ctl_pending_error(
			    c->pending, evs_store_rpc_code(-ETIMEDOUT), "/params/wait",
			    "generation %llu is committed, but not every datapath "
			    "thread runs it after %d ms",
			    (unsigned long long)c->gen, APP_WAIT_MS);
		evs_store_recs_drop(app->store, c->recs);
		free(c);
	}
}

int app_state_wait(struct evs_app *app, uint64_t gen, struct evs_ctl_call *call)
{
	struct app_commit *c = app->handler_commit;
	uint64_t token = rte_rcu_qsbr_start(app->qsbr);
	uint64_t deadline = rte_rdtsc() + rte_get_tsc_hz() / 1000 * APP_WAIT_MS;

	app->handler_commit = NULL;
	if (c != NULL && c->gen == gen) {
		/* Held for the journal already: then for the PMDs. */
		c->wait = true;
		c->token = token;
		c->deadline = deadline;
		return 0;
	}
	if (rte_rcu_qsbr_check(app->qsbr, token, false) == 1)
		return 0;
	c = calloc(1, sizeof(*c));
	if (c != NULL)
		c->pending = evs_ctl_call_defer(call);
	if (c == NULL || c->pending == NULL) {
		free(c);
		return app_wait_pmds(app); /* out of memory: block instead */
	}
	c->app = app;
	c->gen = gen;
	c->token = token;
	c->deadline = deadline;
	wait_add(app, c);
	return 0;
}

bool app_state_busy(const struct evs_app *app)
{
	/* Replies held for the journal need no spin: its writer wakes the
	 * loop (journal_wake). PMD quiescence is checked, not signalled; a
	 * large transaction runs in steps between polls. */
	return app->waiters != NULL || evs_store_ctl_busy(app->store) || app->snap_build != NULL;
}

/* Undo @from and every later change not durable yet, newest first, as one
 * transaction: none of them reached the journal. */
static void roll_back(struct evs_app *app, struct app_commit *from)
{
	struct evs_ctl_err err = {0};
	struct evs_store_txn *txn;
	struct app_commit *c, *order[64], **all = order;
	size_t n = 0, cap = 64, k;
	int rc;

	/* A large transaction in steps holds the store's one transaction and
	 * was staged on top of the changes undone here. */
	evs_store_ctl_cancel(app->store, "an earlier change could not be written");
	txn = evs_store_txn_begin(app->store);
	rc = txn != NULL ? 0 : -ENOMEM;

	for (c = from; c != NULL; c = c->next, n++) {
		if (n == cap) {
			struct app_commit **na = malloc(2 * cap * sizeof(*na));

			if (na == NULL) {
				rc = -ENOMEM;
				break;
			}
			memcpy(na, all, n * sizeof(*na));
			if (all != order)
				free(all);
			all = na;
			cap *= 2;
		}
		all[n] = c;
		c->undone = true;
	}
	for (k = n; rc == 0 && k-- > 0;)
		if (all[k]->recs != NULL)
			rc = evs_store_txn_recs(txn, all[k]->recs, true, "", &err);
	if (rc == 0)
		rc = evs_store_txn_commit(txn, &err);
	else
		evs_store_txn_abort(txn);
	if (all != order)
		free(all);
	if (rc < 0)
		APP_LOG(ERR,
			"rolling back changes that were not written failed: %s (at %s); the "
			"running state differs from %s",
			err.message[0] ? err.message : strerror(-rc), err.path[0] ? err.path : "/",
			app->cfg_real);
	else
		APP_LOG(WARNING, "rolled back %zu change(s) that could not be written", n);
	app_access_sync(app);
	evs_journal_recover(app->journal);
}

static void commit_done(int rc, void *arg)
{
	struct app_commit *c = arg;
	struct evs_app *app = c->app;

	struct app_commit **pp = &app->inflight;

	/* Completions come in submission order: @c is nearly always the head. */
	while (*pp != c)
		pp = &(*pp)->next;
	*pp = c->next;
	if (app->inflight_tail == &c->next)
		app->inflight_tail = pp;
	if (app->handler_commit == c)
		app->handler_commit = NULL;
	if (c->snapshot)
		app->snap_inflight = false;
	if (rc < 0 && !c->undone) {
		APP_LOG(ERR, "cannot write %s: %s", app->cfg_real, strerror(-rc));
		if (app->stopping)
			app->close_dirty = true;
		else
			roll_back(app, c);
	}
	if (rc == 0) {
		if (c->recs != NULL)
			app_changed_event(app, evs_ctl_pending_method(c->pending), c->gen);
		if (c->wait) {
			wait_add(app, c); /* answered once the PMDs run it */
			return;
		}
		evs_ctl_pending_release(c->pending);
	} else if (c->recs == NULL) {
		evs_ctl_pending_error(c->pending, EVS_CTL_E_APPLY_FAILED, "", "cannot write %s: %s",
				      app->cfg_real, strerror(-rc));
	} else {
		evs_ctl_pending_error(c->pending, EVS_CTL_E_APPLY_FAILED, "",
				      "not persisted: cannot write %s: %s; the change was rolled "
				      "back",
				      app->cfg_real, strerror(-rc));
	}
	evs_store_recs_drop(app->store, c->recs);
	free(c);
}

void app_access_sync(struct evs_app *app)
{
	/* Checked by the store's "access" section: only ENOMEM can fail here. */
	if (evs_ctl_set_access(app->ctl, evs_store_section_get(app->store, "access")) < 0)
		APP_LOG(ERR, "access policy not updated: out of memory");
}

/* Queue @records (or, for a save, only a snapshot) with @call's reply held. */
static int submit(struct evs_app *app, struct evs_ctl_call *call, const struct evs_recs *records,
		  bool save)
{
	struct app_commit *c = calloc(1, sizeof(*c));
	json_t *snap = NULL;
	struct evs_recs *pub = NULL;
	int rc = -ENOMEM;

	/* A save, or a change whose records could not be built, is its
	 * snapshot (references to the stored, immutable objects). */
	if (c != NULL && (save || records == NULL))
		snap = evs_store_doc(app->store);
	if (c != NULL && (records != NULL || snap != NULL))
		c->pending = evs_ctl_call_defer(call);
	if (c != NULL && c->pending != NULL) {
		c->app = app;
		c->recs = save ? NULL : evs_recs_ref(records);
		c->gen = evs_store_generation(app->store);
		c->snapshot = snap != NULL;
		*app->inflight_tail = c;
		app->inflight_tail = &c->next;
		app->snap_inflight |= c->snapshot;
		app->handler_commit = c;
		/* The journal gets secrets as "<set>"; the undo keeps real values. */
		pub = c->recs != NULL ? evs_store_recs_public(app->store, c->recs) : NULL;
		rc = c->recs != NULL && pub == NULL
			 ? -ENOMEM
			 : evs_journal_submit_recs(app->journal, c->gen, pub, snap, commit_done, c);
		evs_recs_unref(pub);
		json_decref(snap);
		if (rc < 0)
			commit_done(rc, c); /* deferred: answered through the handle */
		return rc;
	}
	json_decref(snap);
	free(c);
	if (!save) {
		/* Not durable and never will be: undo it now. */
		struct app_commit one = {.app = app, .recs = (struct evs_recs *)records};

		if (records != NULL)
			roll_back(app, &one);
	}
	evs_ctl_error(call, EVS_CTL_E_INTERNAL, "", "out of memory; nothing changed");
	return -ENOMEM;
}

int app_commit(struct evs_app *app, struct evs_ctl_call *call)
{
	app_access_sync(app); /* the change may be to the access section */
	if (app->journal == NULL) {
		app_changed_event(app, evs_ctl_call_method(call), evs_store_generation(app->store));
		return 0;
	}
	/* NULL when building them ran out of memory: a snapshot carries it. */
	return submit(app, call, evs_store_last_recs(app->store), false);
}

int app_state_save(struct evs_app *app, struct evs_ctl_call *call)
{
	return submit(app, call, NULL, true);
}

/* The journal took the background snapshot (its compaction may go on). */
static void snapshot_queued(int rc, void *arg)
{
	struct evs_app *app = arg;

	RTE_SET_USED(rc);
	app->snap_inflight = false;
}

/*
 * Past its bound the journal is compacted from a snapshot of the store,
 * built APP_SNAP_SLICE objects per poll (a million took 20-30 ms in one
 * piece). Only while no large transaction runs: between its switch and its
 * answer a change is committed but not yet submitted, and the snapshot must
 * follow every change it holds into the journal's queue. A transaction
 * between two slices makes the build stale: begun again, and after
 * APP_SNAP_RETRIES such restarts taken in one piece.
 */
static void snapshot_poll(struct evs_app *app)
{
	json_t *doc = NULL;
	int rc;

	if (app->journal == NULL || app->stopping || evs_store_ctl_busy(app->store))
		return;
	if (app->snap_build == NULL) {
		if (app->snap_inflight || !evs_journal_wants_snapshot(app->journal))
			return;
		app->snap_build = evs_store_doc_begin(app->store);
		app->snap_gen = evs_store_generation(app->store);
		if (app->snap_build == NULL)
			return; /* out of memory: tried again at the next poll */
	}
	rc = evs_store_doc_step(app->snap_build, APP_SNAP_SLICE, &doc);
	if (rc > 0)
		return;
	evs_store_doc_build_free(app->snap_build);
	app->snap_build = NULL;
	if (rc == -ESTALE && ++app->snap_stale < APP_SNAP_RETRIES)
		return;
	if (rc == -ESTALE) {
		doc = evs_store_doc(app->store);
		app->snap_gen = evs_store_generation(app->store);
	}
	app->snap_stale = 0;
	if (doc != NULL &&
	    evs_journal_compact(app->journal, app->snap_gen, doc, snapshot_queued, app) == 0)
		app->snap_inflight = true;
	json_decref(doc);
}

void app_state_poll(struct evs_app *app)
{
	evs_journal_poll(app->journal);
	if (app->waiters != NULL)
		waiters_poll(app, false);
	evs_store_ctl_poll(app->store);
	snapshot_poll(app);
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
