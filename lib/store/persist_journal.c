/* SPDX-License-Identifier: BSD-3-Clause */
/* The journal of a persisted document: lines appended and fdatasync'd by a
 * writer thread in groups, compaction into the document in the background.
 * The format and the crash rules are in evs_persist.h. */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "journal_private.h"
#include "persist_private.h"

enum { LINES_KEEP_MAX = 256u << 20 };

struct sub {
	uint64_t gen;
	uint64_t epoch;
	json_t *records;       /* NULL: snapshot only (or recs) */
	struct evs_recs *recs; /* the same in compact form */
	json_t *snapshot;
	bool background; /* a snapshot alone that nobody waits for */
	evs_persist_done_t fn;
	void *arg;
	int rc;
	struct sub *next;
};

struct evs_journal {
	char *path; /* the document (symlink resolved) */
	char *name; /* its last component */
	char jname[NAME_MAX + 1];
	char nname[NAME_MAX + 1];
	int dirfd;
	struct evs_persist_opts opts;
	void (*wake)(void *arg); /* completions ready (writer thread) */
	void *wake_arg;
	size_t compact_bytes;
	pthread_t thread;

	/* Writer thread only (and open/close while it does not run). */
	int jfd;
	struct persist_buf lines; /* a batch's lines */
	size_t jsize;
	size_t doc_size;
	uint64_t base_lines; /* lines since the document was written */

	atomic_bool want_snapshot;

	/* The compaction: a snapshot riding on a change is serialised on its
	 * own thread (~1 s of text at 1M objects) while the writer goes on
	 * appending, keeping the lines since the snapshot as the new journal's
	 * tail; the writer then replaces the files between two batches. */
	pthread_t sthread;
	bool sthread_on;
	pthread_cond_t swork;
	struct persist_buf tail; /* writer: lines appended since the snapshot */
	uint64_t tail_lines;
	bool tail_lost; /* out of memory for the tail: the compaction is dropped */
	uint64_t c_gen;
	/* under mu */
	bool compacting; /* a snapshot is with the serialiser, or its files pending */
	bool s_stop;
	json_t *s_doc; /* the serialiser's job */
	char *s_bytes; /* its result, s_done: ready for the writer */
	size_t s_len;
	bool s_done;

	pthread_mutex_t mu;
	pthread_cond_t work, idle;
	struct sub *queue, **qtail;
	struct sub *done, **dtail;
	bool busy, stop;
	uint64_t dead_upto; /* submissions of epochs up to this one fail */
	int dead_rc;
	int broken; /* the journal no longer matches the document: every append fails */
	struct evs_journal_stats st;

	/* Caller only. */
	uint64_t epoch;
};

char *evs_persist_doc_dump(const json_t *doc, size_t *len)
{
	struct persist_buf b = {0};

	/* A final newline, as editors write it; a terminated string. */
	if (persist_dump(&b, doc, 2) < 0 || persist_buf_put(&b, "\n", 2) < 0) {
		persist_buf_free(&b);
		return NULL;
	}
	*len = b.len - 1;
	return b.p;
}

uint64_t journal_hash(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = 0xcbf29ce484222325ull;

	while (len-- > 0)
		h = (h ^ *p++) * 0x100000001b3ull;
	return h;
}

int journal_header(char *buf, size_t size, uint64_t base, uint64_t doc_hash)
{
	int n =
	    snprintf(buf, size, "{\"journal\":1,\"base\":%" PRIu64 ",\"doc\":\"%016" PRIx64 "\"}\n",
		     base, doc_hash);

	return n > 0 && (size_t)n < size ? n : -ENOBUFS;
}

/* Append one transaction's line to @b, written once in place: the
 * checksum of its records is filled in after them. 0 or -errno. */
static int line_put(struct persist_buf *b, uint64_t gen, const json_t *records,
		    const struct evs_recs *recs)
{
	size_t start = b->len, sum_at, body;
	char head[96], sum[17];
	int n = snprintf(head, sizeof(head),
			 "{\"gen\":%" PRIu64 ",\"sum\":\"0000000000000000\",\"records\":", gen);
	int rc = persist_buf_put(b, head, (size_t)n);

	sum_at = start + (size_t)n - strlen("0000000000000000\",\"records\":");
	body = b->len;
	if (rc == 0)
		rc = recs != NULL ? persist_dump_recs(b, recs) : persist_dump_compact(b, records);
	if (rc == 0)
		rc = persist_buf_put(b, "}\n", 2);
	if (rc < 0) {
		b->len = start;
		return rc;
	}
	snprintf(sum, sizeof(sum), "%016" PRIx64, journal_hash(b->p + body, b->len - 2 - body));
	memcpy(b->p + sum_at, sum, 16);
	return 0;
}

/* Append @buf and make it durable; on failure cut the file back. */
static int append(struct evs_journal *j, const char *buf, size_t len)
{
	int rc = persist_write_all(j->jfd, j->jname, buf, len);

	if (rc == 0)
		rc = persist_hook(EVS_PERSIST_STEP_FSYNC, j->jname);
	if (rc == 0 && fdatasync(j->jfd) < 0)
		rc = -errno;
	if (rc < 0 && ftruncate(j->jfd, (off_t)j->jsize) < 0)
		j->broken = rc; /* a partial line would sit before the next ones */
	if (rc == 0)
		j->jsize += len;
	return rc;
}

static int journal_reopen(struct evs_journal *j)
{
	if (j->jfd >= 0)
		close(j->jfd);
	j->jfd = openat(j->dirfd, j->jname, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
	return j->jfd < 0 ? -errno : 0;
}

/* Write @doc as the document and a journal of @tail (lines after it) with
 * its header. */
static int compact_files(struct evs_journal *j, const char *bytes, size_t len, uint64_t gen,
			 const char *tail, size_t tail_len, uint64_t tail_lines)
{
	struct evs_persist_opts jopts = {.mode = j->opts.mode ? j->opts.mode : 0644};
	char hdr[128], *jbuf = NULL;
	int hl, rc;

	if (j->broken < 0)
		return j->broken; /* an append failed half-way: nothing to build on */
	hl = journal_header(hdr, sizeof(hdr), gen, journal_hash(bytes, len));
	jbuf = malloc((size_t)hl + tail_len + 1);
	if (jbuf == NULL)
		return -ENOMEM;
	memcpy(jbuf, hdr, (size_t)hl);
	if (tail_len > 0)
		memcpy(jbuf + hl, tail, tail_len);
	rc = evs_persist_write_at(j->dirfd, j->nname, jbuf, (size_t)hl + tail_len, &jopts);
	if (rc == 0) {
		rc = evs_persist_write_at(j->dirfd, j->name, bytes, len, &j->opts);
		if (rc < 0)
			unlinkat(j->dirfd, j->nname, 0); /* the old pair stays consistent */
	}
	if (rc == 0) {
		rc = persist_hook(EVS_PERSIST_STEP_RENAME, j->nname);
		if (rc == 0 && renameat(j->dirfd, j->nname, j->dirfd, j->jname) < 0)
			rc = -errno;
		if (rc == 0 && fsync(j->dirfd) < 0)
			rc = -errno;
		if (rc == 0)
			rc = journal_reopen(j);
		if (rc < 0)
			j->broken = rc; /* the document moved on: a load uses .next */
	}
	if (rc == 0) {
		j->jsize = (size_t)hl + tail_len;
		j->doc_size = len;
		j->base_lines = tail_lines;
	}
	free(jbuf);
	return rc;
}

static int compact(struct evs_journal *j, const json_t *doc, uint64_t gen, const char *tail,
		   size_t tail_len, uint64_t tail_lines)
{
	size_t len;
	char *bytes = evs_persist_doc_dump(doc, &len);
	int rc =
	    bytes != NULL ? compact_files(j, bytes, len, gen, tail, tail_len, tail_lines) : -ENOMEM;

	free(bytes);
	return rc;
}

static void serialiser_stop(struct evs_journal *j)
{
	if (!j->sthread_on)
		return;
	pthread_mutex_lock(&j->mu);
	j->s_stop = true;
	pthread_cond_signal(&j->swork);
	pthread_mutex_unlock(&j->mu);
	pthread_join(j->sthread, NULL);
	j->sthread_on = false;
	json_decref(j->s_doc); /* none after a drain */
	free(j->s_bytes);
	j->s_doc = NULL;
	j->s_bytes = NULL;
}

static void *serialiser_main(void *arg)
{
	struct evs_journal *j = arg;
	json_t *doc;
	char *bytes;
	size_t len = 0;

	/* Background work: it shares the management lcore's core (threads
	 * inherit its affinity), and the replies meanwhile must not wait for
	 * it. Best effort: at worst it runs at the default priority. */
	(void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19);
	pthread_mutex_lock(&j->mu);
	for (;;) {
		while (j->s_doc == NULL && !j->s_stop)
			pthread_cond_wait(&j->swork, &j->mu);
		if (j->s_doc == NULL)
			break;
		doc = j->s_doc;
		pthread_mutex_unlock(&j->mu);
		bytes = persist_hook(EVS_PERSIST_STEP_SERIALISE, j->name) == 0
			    ? evs_persist_doc_dump(doc, &len)
			    : NULL;
		json_decref(doc);
		pthread_mutex_lock(&j->mu);
		j->s_doc = NULL;
		j->s_bytes = bytes; /* NULL: out of memory */
		j->s_len = len;
		j->s_done = true;
		pthread_cond_signal(&j->work);
	}
	pthread_mutex_unlock(&j->mu);
	return NULL;
}

static void sub_free(struct sub *s)
{
	json_decref(s->records);
	evs_recs_unref(s->recs);
	json_decref(s->snapshot);
	s->records = s->snapshot = NULL;
	s->recs = NULL;
}

static void compaction_count(struct evs_journal *j, int rc)
{
	pthread_mutex_lock(&j->mu);
	if (rc < 0)
		j->st.failures++;
	else
		j->st.compactions++;
	j->st.bytes = j->jsize;
	pthread_mutex_unlock(&j->mu);
}

/* Hand @doc (reference taken over), the state at @gen, to the serialiser;
 * @tail: the lines of this batch after it. Dropped when one is on its way
 * already (compaction is an optimisation, the lines are durable). */
static void compaction_start(struct evs_journal *j, json_t *doc, uint64_t gen, const char *tail,
			     size_t tail_len, uint64_t tail_lines)
{
	if (j->compacting) { /* the writer alone sets it */
		json_decref(doc);
		return;
	}
	j->tail.len = 0;
	j->tail_lost = false;
	if (persist_buf_put(&j->tail, tail, tail_len) < 0) {
		json_decref(doc);
		compaction_count(j, -ENOMEM);
		return;
	}
	j->tail_lines = tail_lines;
	j->c_gen = gen;
	pthread_mutex_lock(&j->mu);
	j->compacting = true;
	j->s_doc = doc;
	pthread_cond_signal(&j->swork);
	pthread_mutex_unlock(&j->mu);
}

/* The serialised snapshot is ready: replace the files (writer thread, no
 * lock held, between batches). */
static void compaction_finish(struct evs_journal *j, char *bytes, size_t len)
{
	int rc = bytes != NULL && !j->tail_lost
		     ? compact_files(j, bytes, len, j->c_gen, j->tail.p, j->tail.len, j->tail_lines)
		     : -ENOMEM;

	free(bytes);
	j->tail.len = 0;
	if (j->tail.cap > LINES_KEEP_MAX)
		persist_buf_free(&j->tail);
	compaction_count(j, rc);
}

/* Write one batch (the thread holds no lock) and settle every submission's
 * rc. A snapshot riding on a change goes to the serialiser: the change is
 * durable once its line is, and its answer waits for no document; a
 * snapshot alone (a save) is its submission's result and is written here. */
static void batch_write(struct evs_journal *j, struct sub *batch, uint64_t dead_upto, int dead_rc)
{
	struct persist_buf *b = &j->lines;
	struct sub *s, *snap = NULL;
	size_t len, snap_off = 0, n_lines = 0, snap_lines = 0;
	int rc = j->broken;

	for (s = batch; s != NULL; s = s->next) {
		if (s->epoch <= dead_upto) {
			s->rc = dead_rc;
			continue;
		}
		if ((s->records != NULL || s->recs != NULL) && rc == 0) {
			rc = line_put(b, s->gen, s->records, s->recs);
			if (rc < 0)
				break;
			n_lines++;
		}
		if (s->snapshot != NULL) {
			snap = s;
			snap_off = b->len;
			snap_lines = n_lines;
		}
	}
	len = b->len;
	if (rc == 0 && len > 0)
		rc = append(j, b->p, len);
	if (rc == 0)
		j->base_lines += n_lines;
	if (rc == 0 && j->compacting && len > 0) {
		/* every line after the pending snapshot: the new journal's too */
		if (persist_buf_put(&j->tail, b->p, len) < 0)
			j->tail_lost = true;
		j->tail_lines += n_lines;
	}
	if (rc == 0 && snap != NULL && snap->records == NULL && snap->recs == NULL &&
	    !snap->background) {
		rc = compact(j, snap->snapshot, snap->gen, b->p + snap_off, len - snap_off,
			     n_lines - snap_lines);
		snap->rc = rc; /* its change is only in the snapshot */
		compaction_count(j, rc);
		rc = 0; /* the lines are durable all the same */
	} else if (rc == 0 && snap != NULL) {
		compaction_start(j, snap->snapshot, snap->gen, b->p + snap_off, len - snap_off,
				 n_lines - snap_lines);
		snap->snapshot = NULL;
	}
	/* Kept for the next batch (no page faults for a big line again),
	 * unless it holds more than a bulk apply of ~2M objects needs. */
	b->len = 0;
	if (b->cap > LINES_KEEP_MAX)
		persist_buf_free(b);
	pthread_mutex_lock(&j->mu);
	atomic_store(&j->want_snapshot,
		     !j->compacting && j->jsize > j->compact_bytes && j->jsize > j->doc_size);
	if (len > 0) {
		j->st.appends++;
		if (rc < 0)
			j->st.failures++;
		else
			j->st.lines += n_lines;
	}
	j->st.bytes = j->jsize;
	for (s = batch; s != NULL; s = s->next) {
		if (s->epoch > dead_upto && (s->rc == 0 || rc < 0))
			s->rc = rc;
		if (s->rc < 0 && s->epoch > j->dead_upto) {
			j->dead_upto = s->epoch; /* later submissions of the epoch fail too */
			j->dead_rc = s->rc;
		}
		sub_free(s);
	}
	pthread_mutex_unlock(&j->mu);
}

static void *writer_main(void *arg)
{
	struct evs_journal *j = arg;
	struct sub *batch, *last;
	uint64_t dead_upto;
	int dead_rc;

	pthread_mutex_lock(&j->mu);
	for (;;) {
		while (j->queue == NULL && !j->stop && !j->s_done)
			pthread_cond_wait(&j->work, &j->mu);
		if (j->s_done) {
			char *bytes = j->s_bytes;
			size_t len = j->s_len;

			j->s_bytes = NULL;
			j->s_done = false;
			j->busy = true;
			pthread_mutex_unlock(&j->mu);
			compaction_finish(j, bytes, len);
			pthread_mutex_lock(&j->mu);
			j->compacting = false;
			atomic_store(&j->want_snapshot,
				     j->jsize > j->compact_bytes && j->jsize > j->doc_size);
			j->busy = false;
			pthread_cond_broadcast(&j->idle);
			continue;
		}
		if (j->queue == NULL)
			break;
		batch = j->queue;
		last = (struct sub *)((char *)j->qtail - offsetof(struct sub, next));
		j->queue = NULL;
		j->qtail = &j->queue;
		dead_upto = j->dead_upto;
		dead_rc = j->dead_rc;
		j->busy = true;
		pthread_mutex_unlock(&j->mu);

		batch_write(j, batch, dead_upto, dead_rc);

		pthread_mutex_lock(&j->mu);
		*j->dtail = batch;
		j->dtail = &last->next;
		j->busy = false;
		pthread_cond_broadcast(&j->idle);
		if (j->wake != NULL)
			j->wake(j->wake_arg);
	}
	pthread_mutex_unlock(&j->mu);
	return NULL;
}

/* The document's directory and names, the journal's names beside it. */
static int open_target(struct evs_journal *j, const char *path, bool follow)
{
	int rc = persist_target(path, follow, &j->path, &j->name, &j->dirfd);

	if (rc == 0 && (snprintf(j->jname, sizeof(j->jname), "%s" EVS_JOURNAL_SUFFIX, j->name) >=
			    (int)sizeof(j->jname) ||
			snprintf(j->nname, sizeof(j->nname), "%s" EVS_JOURNAL_NEXT_SUFFIX,
				 j->name) >= (int)sizeof(j->nname)))
		rc = -EINVAL;
	return rc;
}

/* The document's hash: of its file, or of @doc written now. */
static int doc_settle(struct evs_journal *j, const json_t *doc, bool on_disk, uint64_t *hash)
{
	char *bytes;
	size_t len;
	int rc;

	if (on_disk) {
		rc = persist_read_file(j->path, &bytes, &len);
		if (rc < 0)
			return rc;
	} else {
		bytes = evs_persist_doc_dump(doc, &len);
		if (bytes == NULL)
			return -ENOMEM;
		rc = evs_persist_write_at(j->dirfd, j->name, bytes, len, &j->opts);
	}
	*hash = journal_hash(bytes, len);
	j->doc_size = len;
	free(bytes);
	return rc;
}

static void journal_destroy(struct evs_journal *j)
{
	if (j->jfd >= 0)
		close(j->jfd);
	if (j->dirfd >= 0)
		close(j->dirfd);
	persist_buf_free(&j->lines);
	persist_buf_free(&j->tail);
	free(j->name);
	free(j->path);
	free(j);
}

struct evs_journal *evs_journal_open(const struct evs_journal_config *cfg, const json_t *doc,
				     bool doc_on_disk, uint64_t gen)
{
	struct evs_persist_opts jopts;
	struct evs_journal *j;
	uint64_t hash;
	char hdr[128];
	int rc, hl;

	if (cfg == NULL || cfg->path == NULL || cfg->path[0] == '\0' ||
	    (!doc_on_disk && doc == NULL)) {
		errno = EINVAL;
		return NULL;
	}
	j = calloc(1, sizeof(*j));
	if (j == NULL)
		return NULL;
	j->dirfd = j->jfd = -1;
	j->opts = cfg->opts;
	j->compact_bytes = cfg->compact_bytes ? cfg->compact_bytes : 1u << 20;
	j->wake = cfg->wake;
	j->wake_arg = cfg->wake_arg;
	j->qtail = &j->queue;
	j->dtail = &j->done;
	j->epoch = 1;
	rc = open_target(j, cfg->path, cfg->follow_symlink);
	if (rc == 0)
		rc = doc_settle(j, doc, doc_on_disk, &hash);
	if (rc == 0) {
		jopts = (struct evs_persist_opts){.mode = j->opts.mode ? j->opts.mode : 0644};
		hl = journal_header(hdr, sizeof(hdr), gen, hash);
		rc = evs_persist_write_at(j->dirfd, j->jname, hdr, (size_t)hl, &jopts);
		unlinkat(j->dirfd, j->nname, 0);
	}
	if (rc == 0)
		rc = journal_reopen(j);
	if (rc == 0) {
		j->jsize = (size_t)hl;
		j->st.bytes = j->jsize;
		pthread_mutex_init(&j->mu, NULL);
		pthread_cond_init(&j->work, NULL);
		pthread_cond_init(&j->idle, NULL);
		pthread_cond_init(&j->swork, NULL);
		rc = -pthread_create(&j->sthread, NULL, serialiser_main, j);
		j->sthread_on = rc == 0;
		if (rc == 0)
			rc = -pthread_create(&j->thread, NULL, writer_main, j);
		if (rc < 0) {
			serialiser_stop(j);
			pthread_cond_destroy(&j->swork);
			pthread_cond_destroy(&j->idle);
			pthread_cond_destroy(&j->work);
			pthread_mutex_destroy(&j->mu);
		}
	}
	if (rc < 0) {
		journal_destroy(j);
		errno = -rc;
		return NULL;
	}
	pthread_setname_np(j->thread, "evs-journal");
	pthread_setname_np(j->sthread, "evs-journal-doc");
	return j;
}

const char *evs_journal_path(const struct evs_journal *j)
{
	return j->path;
}

static int queue_sub(struct evs_journal *j, uint64_t gen, const json_t *records,
		     struct evs_recs *recs, const json_t *snapshot, bool background,
		     evs_persist_done_t done, void *arg)
{
	struct sub *s;

	if (j == NULL || (records == NULL && recs == NULL && snapshot == NULL))
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	s->gen = gen;
	s->epoch = j->epoch;
	s->records = json_incref((json_t *)records);
	s->recs = evs_recs_ref(recs);
	s->snapshot = json_incref((json_t *)snapshot);
	s->background = background;
	s->fn = done;
	s->arg = arg;
	if (snapshot != NULL)
		atomic_store(&j->want_snapshot, false); /* one on its way */
	pthread_mutex_lock(&j->mu);
	*j->qtail = s;
	j->qtail = &s->next;
	j->st.submitted++;
	pthread_cond_signal(&j->work);
	pthread_mutex_unlock(&j->mu);
	return 0;
}

int evs_journal_submit(struct evs_journal *j, uint64_t gen, const json_t *records,
		       const json_t *snapshot, evs_persist_done_t done, void *arg)
{
	return queue_sub(j, gen, records, NULL, snapshot, false, done, arg);
}

int evs_journal_submit_recs(struct evs_journal *j, uint64_t gen, struct evs_recs *recs,
			    const json_t *snapshot, evs_persist_done_t done, void *arg)
{
	return queue_sub(j, gen, NULL, recs, snapshot, false, done, arg);
}

int evs_journal_compact(struct evs_journal *j, uint64_t gen, const json_t *snapshot,
			evs_persist_done_t queued, void *arg)
{
	return snapshot == NULL ? -EINVAL
				: queue_sub(j, gen, NULL, NULL, snapshot, true, queued, arg);
}

bool evs_journal_wants_snapshot(const struct evs_journal *j)
{
	return j != NULL && atomic_load(&((struct evs_journal *)(uintptr_t)j)->want_snapshot);
}

void evs_journal_recover(struct evs_journal *j)
{
	if (j != NULL)
		j->epoch++;
}

int evs_journal_poll(struct evs_journal *j)
{
	struct sub *s, *next;
	int n = 0;

	if (j == NULL)
		return 0;
	pthread_mutex_lock(&j->mu);
	s = j->done;
	j->done = NULL;
	j->dtail = &j->done;
	pthread_mutex_unlock(&j->mu);
	for (; s != NULL; s = next) {
		next = s->next;
		if (s->fn != NULL)
			s->fn(s->rc, s->arg);
		free(s);
		n++;
	}
	return n;
}

void evs_journal_drain(struct evs_journal *j)
{
	if (j == NULL)
		return;
	do {
		pthread_mutex_lock(&j->mu);
		while (j->queue != NULL || j->busy || j->compacting)
			pthread_cond_wait(&j->idle, &j->mu);
		pthread_mutex_unlock(&j->mu);
	} while (evs_journal_poll(j) > 0); /* a completion may submit again */
}

int evs_journal_stats_get(const struct evs_journal *j, struct evs_journal_stats *st)
{
	struct evs_journal *mj = (struct evs_journal *)(uintptr_t)j;

	if (j == NULL || st == NULL)
		return -EINVAL;
	pthread_mutex_lock(&mj->mu);
	*st = j->st;
	pthread_mutex_unlock(&mj->mu);
	return 0;
}

void evs_journal_close(struct evs_journal *j, const json_t *doc)
{
	char *bytes;
	size_t len;
	int rc = 0;

	if (j == NULL)
		return;
	evs_journal_drain(j);
	pthread_mutex_lock(&j->mu);
	j->stop = true;
	pthread_cond_signal(&j->work);
	pthread_mutex_unlock(&j->mu);
	pthread_join(j->thread, NULL);
	serialiser_stop(j);
	if (doc != NULL && j->broken == 0) {
		if (j->base_lines > 0) {
			bytes = evs_persist_doc_dump(doc, &len);
			rc = bytes != NULL
				 ? evs_persist_write_at(j->dirfd, j->name, bytes, len, &j->opts)
				 : -ENOMEM;
			free(bytes);
		}
		/* Only once the document holds every line: else keep both. */
		if (rc == 0 && unlinkat(j->dirfd, j->jname, 0) == 0)
			fsync(j->dirfd);
	}
	pthread_cond_destroy(&j->swork);
	pthread_cond_destroy(&j->idle);
	pthread_cond_destroy(&j->work);
	pthread_mutex_destroy(&j->mu);
	journal_destroy(j);
}
