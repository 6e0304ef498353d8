/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_STORE_PRIVATE_H
#define EVS_STORE_PRIVATE_H

/* Private state of lib/store: types, the per-type index, objects, links. */

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "evs_recs.h"
#include "evs_store.h"

/* One resolved reference: @from's ref @ref names @to. The link sits in
 * @to's list of incoming links so that deletes find their referrers. */
struct store_link {
	struct evs_store_obj *from, *to;
	struct store_link *in_prev, *in_next;
	uint16_t ref;
};

struct evs_store_obj {
	struct store_type *type;
	json_t *val;
	char *key;
	uint64_t hash;
	struct evs_store_obj *hnext;	   /* hash chain */
	struct evs_store_obj *prev, *next; /* insertion order */
	struct store_link *links;	   /* outgoing, n_links of them */
	uint32_t n_links;
	bool live;	 /* false: deleted by the open transaction */
	uint32_t mark;	 /* the document diff that last named it (store_doc.c) */
	int32_t txn_idx; /* entry in the open transaction, -1: untouched */
	struct store_link *in_head;
	uintptr_t aux;
	uint32_t in_count[]; /* per incoming ref of the type (store_type.in) */
};

/* A ref split at "[]": "vlans[].switch" -> arr "vlans", field "switch". */
struct store_ref {
	char arr[32];
	char field[32];
	struct store_type *to;
	unsigned int in_idx; /* index in to->in */
};

struct store_type {
	const struct evs_obj_type *t;
	void *ctx;
	unsigned int idx;
	json_t *defaults;
	unsigned int n_keys;
	enum evs_ctl_type key_type[EVS_STORE_MAX_KEYS];
	struct store_ref *refs; /* t->n_refs */
	/* Incoming refs: (type, ref index) pairs pointing here. */
	struct {
		struct store_type *from;
		unsigned int ref;
	} in[EVS_STORE_MAX_TYPES];
	unsigned int n_in;
	const char *secret[EVS_STORE_MAX_SECRETS]; /* secret field names */
	unsigned int n_secret;
	struct evs_store_obj **buckets;
	size_t n_buckets;
	size_t n_objs; /* in the index, deleted-in-transaction included */
	size_t n_live;
	struct evs_store_obj *head, *tail;
};

#define STORE_MAX_SECTIONS 8

struct store_section {
	const struct evs_store_section *def;
	void *ctx;
	json_t *val; /* NULL: not in the document */
};

struct evs_store {
	struct store_type types[EVS_STORE_MAX_TYPES];
	unsigned int n_types;
	uint64_t gen;
	uint32_t doc_mark;   /* one per document diff */
	size_t last_changes; /* deltas of the last committed transaction */
	bool recording;	     /* keep last_recs (evs_store_record_changes) */
	struct evs_recs *last_recs;
	json_t *last_records; /* last_recs as JSON, built when asked for */
	bool last_secret;     /* last_recs hold a type with secret fields */
	json_t *trash;	      /* large values to free in steps (store_ctl.c polls): NULL: none */
	struct evs_recs **trash_recs; /* large records to free in steps, as trash */
	size_t n_trash_recs, cap_trash_recs;
	struct evs_store_txn *txn;
	uint64_t epoch; /* transactions begun and ended: a stepped document's check */
	bool sealed;	/* objects exist: no more types */
	struct store_section sections[STORE_MAX_SECTIONS];
	unsigned int n_sections;
	struct evs_secrets *secrets; /* NULL: secret values in memory only */
	const struct evs_store_txn_hooks *hooks;
	void *hooks_ctx;
	void *ctl_priv; /* store_ctl.c's generated specs, freed with the store */
	void (*ctl_priv_free)(void *);
};

/* Undo entry: an object's state before the open transaction touched it. */
struct txn_entry {
	struct evs_store_obj *obj;
	json_t *old;	  /* value before the transaction (reference), NULL if new */
	bool existed;	  /* the object was in the store before */
	bool keyed;	  /* path is the request's object: errors point at its key */
	int8_t delta;	  /* at commit: its enum evs_store_op + 1, 0 for no change */
	const char *path; /* in the transaction's path blocks */
};

/* Storage of the entries' paths, freed with the transaction: a bulk apply
 * would otherwise malloc and free one small string per object. */
struct path_block {
	struct path_block *next;
	size_t used, size;
	char buf[];
};

/* Deltas grouped by type (in registration order), each group in entry order. */
struct store_delta_set {
	struct evs_store_delta *d;
	size_t off[EVS_STORE_MAX_TYPES + 1];
};

/* Where a commit stands: it runs in steps when given a budget. */
enum commit_phase {
	C_UNLINK,
	C_RESOLVE,
	C_IN_USE,
	C_CHECK,
	C_DELTAS,
	C_VALIDATE,
	C_PREPARE,
	C_COMMIT,
	C_RECORDS, /* the hooks committed: no way back */
	C_CLOSE,   /* committed and visible: the undo entries let go in steps */
	C_DONE
};

struct txn_commit {
	enum commit_phase phase;
	size_t i;	/* entry within an entry-wise phase */
	unsigned int t; /* type within validate and prepare */
	size_t given;	/* deltas of type t given to its prepare */
	bool closed;	/* C_CLOSE let go of every undo entry */
	struct store_delta_set ds;
	struct evs_recs *recs;		 /* built in C_RECORDS */
	size_t cnt[EVS_STORE_MAX_TYPES]; /* deltas per type, then where the next goes */
};

/* A step's time budget: the clock is read every 64 units of work (or after
 * a long one), so a step runs at least 63 of them. */
struct store_budget {
	uint64_t deadline_ns; /* CLOCK_MONOTONIC; 0: none */
	unsigned int n;
	bool force; /* read the clock at the next check */
};

static inline uint64_t store_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline bool store_budget_out(struct store_budget *b)
{
	if (b->deadline_ns == 0 || (!b->force && (++b->n & 63) != 0))
		return false;
	b->force = false;
	return store_now_ns() >= b->deadline_ns;
}

struct evs_store_txn {
	struct evs_store *st;
	struct txn_entry *e;
	size_t n, cap;
	struct path_block *paths;
	bool doc; /* staging a document's diff: paths are its items or sections */
	json_t *sec_old[STORE_MAX_SECTIONS]; /* sections' values before, if changed */
	bool sec_changed[STORE_MAX_SECTIONS];
	struct txn_commit c;
};

/* store_doc.c: a document's diff staged in steps (evs_store_txn_doc() is
 * one unbounded step). new: 0, or -errno with @err (the document's shape,
 * its sections, memory); step: 1 (more), 0 (staged), -errno (the
 * transaction stays open). */
struct store_doc_stage;
int store_doc_stage_new(struct evs_store_txn *txn, const json_t *doc, const char *path,
			struct store_doc_stage **out, struct evs_ctl_err *err);
int store_doc_stage_step(struct store_doc_stage *ds, struct store_budget *b,
			 struct evs_ctl_err *err);
size_t store_doc_stage_items(const struct store_doc_stage *ds);
void store_doc_stage_free(struct store_doc_stage *ds);

/* store_txn.c: run the commit while @b lasts. @return 1 (more to do), 0
 * (committed, closed) or -errno (undone, closed; @err says why). */
int store_txn_commit_step(struct evs_store_txn *txn, struct store_budget *b,
			  struct evs_ctl_err *err);

/* store_doc.c: stage section @i's new value (NULL: absent). */
int store_section_stage(struct evs_store_txn *txn, unsigned int i, const json_t *v,
			const char *path, struct evs_ctl_err *err);
/* store_records.c: the committed transaction's changes as records. */
struct evs_recs *store_records_build(const struct evs_store_txn *txn);
/* ... in steps: entries from *@k into @rs while @b lasts, then the
 * sections. @return 1 (more), 0 (done), -ENOMEM. */
int store_records_step(const struct evs_store_txn *txn, struct evs_recs *rs, size_t *k,
		       struct store_budget *b);
/* store_records.c: drop the last records, freed in steps when large. */
void store_records_retire(struct evs_store *st);
/* store_txn.c: delete @o (cascading) within @txn. */
int store_txn_del(struct evs_store_txn *txn, struct evs_store_obj *o, const char *path,
		  struct evs_ctl_err *err);

/* store_doc.c: the transaction's section changes; undo them. */
size_t store_sections_changed(const struct evs_store_txn *txn);
void store_sections_settle(struct evs_store_txn *txn, bool undo);

struct store_type *store_type_get(const struct evs_store *st, const char *name);

/* store_secrets.c. Is @field one of @ty's secret fields? */
bool store_is_secret(const struct store_type *ty, const char *field);
/* Replace "<set>" in @ty's secret fields of *@v (a reference the caller
 * owns; replaced by a copy when changed) with @cur's value, else the
 * secrets file's for @key; -EINVAL when neither has one. */
int store_secrets_fill(const struct evs_store *st, const struct store_type *ty, const char *key,
		       const json_t *cur, json_t **v, const char *path, struct evs_ctl_err *err);
/* @v as it may leave the store: a new reference, secrets shown as "<set>". */
json_t *store_public(const struct store_type *ty, json_t *v);
/* Write the secret changes among the deltas @d (grouped by type at @off). */
int store_secrets_save(struct evs_store *st, const struct evs_store_delta *d, const size_t *off,
		       struct evs_ctl_err *err);

/* Write @v in decimal at @p (NUL-terminated); return the end (at the NUL). */
char *store_utoa(char *p, size_t v);

/* Canonical key of @v in @buf (or, for a single string key, the string
 * itself); NULL: a key field is missing or bad, or @size is too small. */
const char *store_key_buf(const struct store_type *ty, const json_t *v, char *buf, size_t size);
/* Canonical key of @v into a malloc'd string (NULL: key field missing/bad). */
char *store_key(const struct store_type *ty, const json_t *v);
/* @v's key for messages: "'p1'", or "switch sw0, mac 02:00:00:00:00:01". */
const char *store_key_desc(const struct store_type *ty, const json_t *v, char *buf, size_t len);
struct evs_store_obj *store_find(const struct store_type *ty, const char *key);
/* What @o was before the open transaction (its value when none is open):
 * NULL when it did not exist. Reads from clients use this: a transaction
 * applied in steps stays invisible until it commits. */
const json_t *store_committed(const struct evs_store *st, const struct evs_store_obj *o);
/* The object with @key_obj's key that exists in the committed state, or NULL. */
struct evs_store_obj *store_lookup_committed(const struct evs_store *st,
					     const struct store_type *ty, const json_t *key_obj);
/* New object holding @val (reference taken) under @key (taken), indexed, appended. */
struct evs_store_obj *store_obj_new(struct store_type *ty, char *key, json_t *val);
/* Room in @ty's index for @n objects without a rehash (a bulk apply's
 * index would otherwise double, rehashing everything, inside one step). */
int store_index_reserve(struct store_type *ty, size_t n);
/* Remove from index and order, free. */
void store_obj_destroy(struct evs_store_obj *o);

/* Does ref @r of @v (an object of @ty) name @name? */
bool store_ref_has(const struct store_type *ty, unsigned int r, const json_t *v, const char *name);

/* Links: drop @o's outgoing links; resolve them again (-ENOENT: a target is
 * missing or deleted, *bad_ref and *bad_name say which). */
void store_links_drop(struct evs_store_obj *o);
int store_links_resolve(struct evs_store_obj *o, unsigned int *bad_ref, const char **bad_name,
			size_t *bad_index);

/* Transaction steps for store_doc.c; both take the reference to @value.
 * add: a @key (taken) means the fields were validated and @key is theirs;
 * @known (may be NULL) means the caller looked @key up already and found
 * no object at all, live or deleted in this transaction;
 * replace: @checked means the fields were validated. */
int store_txn_add(struct evs_store_txn *txn, struct store_type *ty, json_t *value, char *key,
		  bool known, const char *path, struct evs_ctl_err *err);
int store_txn_replace(struct evs_store_txn *txn, struct evs_store_obj *o, json_t *value,
		      const char *path, bool checked, struct evs_ctl_err *err);

#endif
