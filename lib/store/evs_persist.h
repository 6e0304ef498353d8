/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_PERSIST_H
#define EVS_PERSIST_H

/**
 * @file
 * Durable state files: the persisted desired-state document and the secrets
 * file.
 *
 * What: a file is replaced atomically and durably: the new bytes go to a
 * temporary file in the same directory, which is fsync'd, then renamed over
 * the target, then the directory is fsync'd. A power loss leaves either the
 * old or the new file, never an empty or partial one. An existing file keeps
 * its mode and owner; a symlink named by the operator (--config) is kept and
 * its target written, while a name chosen by a client (config.save) is opened
 * under the directory's fd without following any symlink. The previous good
 * copy stays beside the file as "<name>.prev"; a load that finds the file
 * damaged (not JSON, not an object, or refused by the caller's validator)
 * says why and falls back to it.
 *
 * Writes may be synchronous (evs_persist_write()) or handed to the file's
 * writer thread (evs_persist_submit()) so a slow disk never stalls the
 * management lcore; completions run on the management lcore inside
 * evs_persist_poll(). Several submissions queued while the disk is busy are
 * written once, with the newest bytes (group commit), and all of them are
 * completed with that write's result.
 *
 * Commit rule for callers (the daemon's config path): apply in memory, submit
 * the new document, hold the reply; on success reply, on failure roll back to
 * the last document that was durably written and fail every request whose
 * change was in the failed write. A reply therefore always means "on disk".
 *
 * Thread-safety: a struct evs_persist is used from one thread (the management
 * lcore); its writer thread is internal. evs_persist_write_at() and the load
 * functions are plain functions usable from any thread. struct evs_secrets is
 * single-threaded too.
 *
 * Errors: int functions return 0 or -errno; constructors return NULL and set
 * errno.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Suffix of the last good copy kept beside a persisted file. */
#define EVS_PERSIST_PREV_SUFFIX ".prev"
/** Suffix a damaged file is moved to when its last good copy is used. */
#define EVS_PERSIST_CORRUPT_SUFFIX ".corrupt"
/** Longest error message of a load. */
#define EVS_PERSIST_ERR_MAX 512

/** How a new file is created (an existing file keeps its own mode/owner). */
struct evs_persist_opts {
	mode_t mode;	 /**< mode of a new file; 0: 0644 */
	bool force_mode; /**< always set @p mode, also over an existing file's (secrets) */
	bool keep_prev;	 /**< keep the replaced file as <name>.prev */
};

/**
 * Replace @p name in directory @p dirfd with @p len bytes, durably (temp file,
 * fsync, rename, fsync of the directory). @p name must be a plain file name
 * (no '/'); it is never followed if it is a symlink: a symlink there is
 * refused with -ELOOP, so a client cannot redirect the write.
 * @return 0, or -EINVAL (bad name), -ELOOP (name is a symlink), -EISDIR,
 *   -ENOSPC, -EIO, -EACCES or another -errno of the file system calls. On
 *   failure the old file is untouched and the temporary file removed.
 */
int evs_persist_write_at(int dirfd, const char *name, const void *data, size_t len,
			 const struct evs_persist_opts *opts);

/* ---------------------------------------------------------------------- */
/* A persisted file with an asynchronous writer (management lcore)        */
/* ---------------------------------------------------------------------- */

struct evs_persist;

/** Settings of a persisted file. */
struct evs_persist_config {
	const char *path;    /**< the file (required); its directory must exist */
	bool follow_symlink; /**< path is the operator's: write a symlink's target, keep the link */
	struct evs_persist_opts opts;
};

/** Counters since evs_persist_create(). */
struct evs_persist_stats {
	uint64_t submitted; /**< evs_persist_submit() calls accepted */
	uint64_t writes;    /**< file replacements attempted (sync and async) */
	uint64_t failures;  /**< of them, failed */
	uint64_t coalesced; /**< submissions folded into a later write */
	uint64_t pending;   /**< submissions not completed yet */
};

/**
 * Completion of a submission, run inside evs_persist_poll() (or
 * evs_persist_free()) on the caller's thread. @p rc is 0 when the bytes of
 * this submission, or of a later one that superseded them, are on disk.
 */
typedef void (*evs_persist_done_t)(int rc, void *arg);

/**
 * Open a persisted file and start its writer thread. Nothing is written.
 * With follow_symlink, a symlink at @p path is resolved once, here.
 * @return the file, or NULL with errno: EINVAL, ENAMETOOLONG, ENOENT (the
 *   directory does not exist), ENOMEM, or the errno of open/pthread_create.
 */
struct evs_persist *evs_persist_create(const struct evs_persist_config *cfg);

/**
 * Wait for queued writes, run their completions, stop the writer and close.
 * NULL is accepted.
 */
void evs_persist_free(struct evs_persist *p);

/** The file actually written (the symlink's target with follow_symlink). */
const char *evs_persist_path(const struct evs_persist *p);

/**
 * Write @p data now, on this thread, after every queued write.
 * @return as evs_persist_write_at().
 */
int evs_persist_write(struct evs_persist *p, const void *data, size_t len);

/**
 * Queue @p data (malloc'd; ownership taken, freed by the library in every
 * case) for the writer thread. @p done (may be NULL) is called later from
 * evs_persist_poll() with the result.
 * @return 0, or -EINVAL, -ENOMEM (data freed, done not called).
 */
int evs_persist_submit(struct evs_persist *p, char *data, size_t len, evs_persist_done_t done,
		       void *arg);

/** Makes the bytes of a submission, on the writer thread (see below). */
typedef char *(*evs_persist_render_t)(void *ctx, size_t *len);

/**
 * evs_persist_submit() of bytes the writer thread makes itself: @p render
 * (@p ctx) runs there, so serialising a large document does not stall the
 * caller; @p ctx_free (may be NULL) releases @p ctx afterwards, or when a
 * later submission supersedes this one before it is written. @p ctx must be
 * safe to read from the writer thread (an immutable document). A NULL
 * render result fails the write with -ENOMEM.
 * @return 0, or -EINVAL, -ENOMEM (ctx released, done not called).
 */
int evs_persist_submit_render(struct evs_persist *p, evs_persist_render_t render, void *ctx,
			      void (*ctx_free)(void *), evs_persist_done_t done, void *arg);

/**
 * Run the completions of finished writes (management lcore, from its loop).
 * @return the number run.
 */
int evs_persist_poll(struct evs_persist *p);

/** Block until every queued write has finished, then run completions. */
void evs_persist_drain(struct evs_persist *p);

/** True while a submission is not completed. */
bool evs_persist_busy(const struct evs_persist *p);

/** Copy the counters. @return 0 or -EINVAL. */
int evs_persist_stats_get(const struct evs_persist *p, struct evs_persist_stats *st);

/* --- Loading (any thread) --------------------------------------------- */

/**
 * Optional check of a loaded document (e.g. the config schema). Return 0 to
 * accept it, or -EINVAL with a message in @p err.
 */
typedef int (*evs_persist_check_t)(const json_t *doc, void *arg, char *err, size_t errlen);

/** What a load found. */
struct evs_persist_load_info {
	bool from_prev;			 /**< the file was damaged; the last good copy was used */
	char error[EVS_PERSIST_ERR_MAX]; /**< why the file (and the copy) was refused */
};

/**
 * Load a JSON object from @p path; if it is damaged (not JSON, truncated, not
 * an object, refused by @p check) and "<path>.prev" is good, use that copy
 * instead: @p info says so and why, and the damaged file is renamed to
 * "<path>.corrupt" so that no later write rotates it into the good copy.
 * @return 0 with *doc set (new reference), or -ENOENT (no file), -EBADMSG
 *   (file and copy damaged; info->error says why; nothing renamed), or
 *   another -errno of reading.
 */
int evs_persist_load(const char *path, evs_persist_check_t check, void *arg, json_t **doc,
		     struct evs_persist_load_info *info);

/* ---------------------------------------------------------------------- */
/* Journal: durability at O(change) (management lcore)                    */
/* ---------------------------------------------------------------------- */

/*
 * Beside a persisted document "<path>" lives "<path>.journal": a header line
 * {"journal":1,"base":G,"doc":"<hash of the document's bytes>"} then one line
 * per committed transaction, {"gen":G,"sum":"<hash>","records":[...]}, the
 * hash (64-bit FNV-1a, hex) taken over the records' bytes. A transaction is
 * acknowledged once its line is fsync'd; the writer thread appends every
 * queued line with one write and one fdatasync (group commit). Once the
 * journal outgrows a bound, the caller attaches a snapshot of the whole
 * document (references only) to a submission and the writer compacts: it
 * writes "<path>.journal.next" (header for the new document plus the lines
 * after the snapshot), replaces the document (temp, fsync, rename, .prev),
 * then renames the new journal over the old one. A crash between the two
 * renames leaves a ".next" whose hash matches the document: the load finishes
 * the rename. A load is the document plus the journal's lines in order; a
 * damaged last line (a torn append) is ignored and said so, a damaged line
 * before the last refuses the load with the files left as they are.
 */
struct evs_journal;

#define EVS_JOURNAL_SUFFIX ".journal"
#define EVS_JOURNAL_NEXT_SUFFIX ".journal.next"

/** Settings of a journalled document. */
struct evs_journal_config {
	const char *path;	      /**< the document (required); its directory must exist */
	bool follow_symlink;	      /**< as evs_persist_config */
	struct evs_persist_opts opts; /**< of the document (the journal gets its mode) */
	size_t compact_bytes; /**< compaction wanted past max(this, document size); 0: 1 MiB */
	/** Called on the writer thread when completions are ready for
	 * evs_journal_poll() (e.g. evs_ctl_wake()), so the management loop can
	 * sleep instead of spinning while a reply waits. May be NULL. */
	void (*wake)(void *arg);
	void *wake_arg;
};

/** Counters since evs_journal_open(). */
struct evs_journal_stats {
	uint64_t submitted;   /**< submissions accepted */
	uint64_t appends;     /**< appends (one fdatasync each) */
	uint64_t lines;	      /**< transaction lines appended */
	uint64_t failures;    /**< failed appends and compactions */
	uint64_t compactions; /**< documents rewritten */
	uint64_t bytes;	      /**< journal size now */
};

/**
 * Start journalling @p doc (the running state, store generation @p gen):
 * unless @p doc_on_disk (the file holds exactly it), the document is
 * rewritten first; then a fresh journal (header only) replaces any old one,
 * durably, and the writer thread starts.
 * @return the journal, or NULL with errno (EINVAL, ENOMEM, or a file system
 *   errno).
 */
struct evs_journal *evs_journal_open(const struct evs_journal_config *cfg, const json_t *doc,
				     bool doc_on_disk, uint64_t gen);

/**
 * Finish queued work, run completions, stop the writer. With @p doc (the
 * final state) and lines in the journal, the document is rewritten and the
 * journal removed, so that the file alone is current (an operator may edit
 * it while the daemon is stopped). NULL @p j is accepted.
 */
void evs_journal_close(struct evs_journal *j, const json_t *doc);

/** The document's path (the symlink's target with follow_symlink). */
const char *evs_journal_path(const struct evs_journal *j);

/**
 * Queue one committed transaction: its records (as evs_store_last_records();
 * a reference is taken; NULL: none, only a snapshot) at generation @p gen,
 * and optionally @p snapshot (reference taken), the whole document after it,
 * to compact with. @p done runs from evs_journal_poll() with 0 once the line
 * is durable (compaction failures do not fail a submission with records), or
 * the -errno of the append. After a failure every submission made before
 * evs_journal_recover() fails too: the caller undoes them all.
 * @return 0, or -EINVAL, -ENOMEM (references released, done not called).
 */
int evs_journal_submit(struct evs_journal *j, uint64_t gen, const json_t *records,
		       const json_t *snapshot, evs_persist_done_t done, void *arg);

struct evs_recs;
/** The same with the records in compact form (evs_store_last_recs()). */
int evs_journal_submit_recs(struct evs_journal *j, uint64_t gen, struct evs_recs *recs,
			    const json_t *snapshot, evs_persist_done_t done, void *arg);

/**
 * Queue @p snapshot (reference taken), the whole document at generation @p
 * gen, to compact with in the background; no answer waits for it. Every
 * change up to @p gen must have been submitted already (the lines after it
 * in the queue become the new journal). Dropped when a compaction is under
 * way. @p queued (may be NULL) runs from evs_journal_poll() once the writer
 * took it (the compaction may still run; evs_journal_wants_snapshot() stays
 * false until it ends).
 * @return 0, or -EINVAL, -ENOMEM.
 */
int evs_journal_compact(struct evs_journal *j, uint64_t gen, const json_t *snapshot,
			evs_persist_done_t queued, void *arg);

/** True when a snapshot should ride on the next submission (or be given to
 * evs_journal_compact()). */
bool evs_journal_wants_snapshot(const struct evs_journal *j);

/** Called after a failed submission was handled: later ones may be written. */
void evs_journal_recover(struct evs_journal *j);

/** Run completions (management lcore). @return the number run. */
int evs_journal_poll(struct evs_journal *j);

/** Block until the queue is empty, then run completions. */
void evs_journal_drain(struct evs_journal *j);

/** Copy the counters. @return 0 or -EINVAL. */
int evs_journal_stats_get(const struct evs_journal *j, struct evs_journal_stats *st);

/** What a journalled load found, beyond evs_persist_load()'s. */
struct evs_journal_load_info {
	struct evs_persist_load_info doc;
	size_t lines;	    /**< transaction lines returned */
	bool torn;	    /**< a damaged last line was ignored */
	bool set_aside;	    /**< the document came from .prev: the journal, which
			     *   followed the damaged file, was renamed to .corrupt */
	bool finished_next; /**< an interrupted compaction was completed */
};

/**
 * evs_persist_load() of @p path, then its journal: *lines gets an array of
 * the transactions' record arrays in order (empty without a journal).
 * @return 0, or as evs_persist_load(), or -EBADMSG when the journal is
 *   damaged before its last line or belongs to another version of the
 *   document (info->doc.error says which; nothing is renamed).
 */
int evs_journal_load(const char *path, evs_persist_check_t check, void *arg, json_t **doc,
		     json_t **lines, struct evs_journal_load_info *info);

/** The bytes persisted for @p doc: indented JSON and a final newline (malloc'd). */
char *evs_persist_doc_dump(const json_t *doc, size_t *len);

/* ---------------------------------------------------------------------- */
/* Secrets (management lcore)                                              */
/* ---------------------------------------------------------------------- */

/*
 * Named binary secrets (crypto keys) in their own 0600 file, separate from
 * the desired-state document, so config.get, config.save and logs never
 * carry them. Stored as {"version":1,"secrets":{"name":"hex"}}. Every change
 * rewrites the file durably before it returns; memory holding values is
 * wiped before it is freed.
 */
struct evs_secrets;

/** Longest secret name and value. */
#define EVS_SECRET_NAME_MAX 256
#define EVS_SECRET_VALUE_MAX 4096

/**
 * Open (or start empty when missing) the secrets file @p path. A damaged file
 * is refused: secrets are never silently dropped.
 * @return the store, or NULL with errno: EINVAL, EBADMSG (damaged file),
 *   ENOMEM, or the errno of reading.
 */
struct evs_secrets *evs_secrets_open(const char *path);

/** Wipe and free. NULL is accepted. */
void evs_secrets_free(struct evs_secrets *s);

/**
 * Add or replace a secret and write the file.
 * @return 0, or -EINVAL (bad name: [A-Za-z0-9_.:|-]{1,256}; bad length), -ENOMEM,
 *   or the -errno of the write (then the store is unchanged).
 */
int evs_secret_put(struct evs_secrets *s, const char *name, const void *value, size_t len);

/**
 * Copy a secret's value into @p buf (@p size bytes); *len gets its length.
 * @return 0, or -ENOENT, -ENOBUFS (buf too small; *len set).
 */
int evs_secret_get(const struct evs_secrets *s, const char *name, void *buf, size_t size,
		   size_t *len);

/**
 * Remove a secret and write the file.
 * @return 0, or -ENOENT, or the -errno of the write (then the store is unchanged).
 */
int evs_secret_del(struct evs_secrets *s, const char *name);

/** One change of evs_secrets_update(): @p value NULL removes @p name. */
struct evs_secret_change {
	const char *name;
	const void *value;
	size_t len;
};

/**
 * Apply @p n changes (later ones win; removing a missing name is no error)
 * and write the file once. All or nothing: on failure nothing changed.
 * @return 0, or -EINVAL (a bad name or length), -ENOMEM, or the -errno of
 *   the write.
 */
int evs_secrets_update(struct evs_secrets *s, const struct evs_secret_change *c, size_t n);

/** Number of secrets. */
size_t evs_secrets_count(const struct evs_secrets *s);

/* ---------------------------------------------------------------------- */
/* Tests only                                                              */
/* ---------------------------------------------------------------------- */

/** File system steps a test can make fail. */
enum evs_persist_step {
	EVS_PERSIST_STEP_OPEN,
	EVS_PERSIST_STEP_WRITE,
	EVS_PERSIST_STEP_FSYNC,
	EVS_PERSIST_STEP_RENAME,
	EVS_PERSIST_STEP_DIRSYNC,
	EVS_PERSIST_STEP_SERIALISE, /**< a compaction's snapshot, on its own thread */
};

/**
 * Hook called before each step: return 0 to go on, or -errno to fail the step
 * with that error (as ENOSPC or EIO from the disk would). For a WRITE step,
 * returning a positive n writes only n bytes and then fails with -ENOSPC.
 * NULL removes it. Global; set it only while no write runs.
 */
typedef int (*evs_persist_hook_t)(enum evs_persist_step step, const char *name, void *arg);
void evs_persist_set_test_hook(evs_persist_hook_t hook, void *arg);

#ifdef __cplusplus
}
#endif

#endif /* EVS_PERSIST_H */
