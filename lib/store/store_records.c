/* SPDX-License-Identifier: BSD-3-Clause */
/* A committed transaction's changes as JSON records (the journal's unit) and
 * their replay, forwards (restart) or backwards (undo of changes that never
 * reached the disk). Records share the stored values (never changed in
 * place), so building them costs O(changes). */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store_private.h"

int store_records_step(const struct evs_store_txn *txn, struct evs_recs *rs, size_t *k,
		       struct store_budget *b)
{
	const struct evs_store *st = txn->st;
	unsigned int i;
	int rc = 0;

	/* In the order the transaction touched them: a replay then meets
	 * cascades as the original did. */
	for (; *k < txn->n && rc == 0; (*k)++) {
		const struct txn_entry *e = &txn->e[*k];
		const struct evs_store_obj *o = e->obj;
		const char *name = o->type->t->name;

		if (e->delta == 0)
			continue; /* added and deleted, or unchanged (entry_delta) */
		if (store_budget_out(b))
			return 1;
		if (!e->existed)
			rc = evs_recs_push(rs, EVS_REC_ADD, name, NULL, o->val);
		else if (!o->live)
			rc = evs_recs_push(rs, EVS_REC_DEL, name, e->old, NULL);
		else
			rc = evs_recs_push(rs, EVS_REC_SET, name, e->old, o->val);
	}
	for (i = 0; i < st->n_sections && rc == 0; i++)
		if (txn->sec_changed[i])
			rc = evs_recs_push(rs, EVS_REC_SECTION, st->sections[i].def->name,
					   txn->sec_old[i], st->sections[i].val);
	return rc;
}

struct evs_recs *store_records_build(const struct evs_store_txn *txn)
{
	struct store_budget b = {0};
	struct evs_recs *rs = evs_recs_new();
	size_t k = 0;

	if (rs != NULL && store_records_step(txn, rs, &k, &b) < 0) {
		evs_recs_unref(rs);
		return NULL;
	}
	return rs;
}

/* Into the trash, freed in steps (store_ctl.c): a list of a bulk apply's
 * million records. @return false: small, or out of memory (free it now). */
static bool trash_recs_put(struct evs_store *st, struct evs_recs *rs)
{
	if (st->trash == NULL || rs->n < 4096)
		return false;
	if (st->n_trash_recs == st->cap_trash_recs) {
		size_t cap = st->cap_trash_recs ? 2 * st->cap_trash_recs : 4;
		struct evs_recs **t = realloc(st->trash_recs, cap * sizeof(*t));

		if (t == NULL)
			return false;
		st->trash_recs = t;
		st->cap_trash_recs = cap;
	}
	st->trash_recs[st->n_trash_recs++] = rs;
	return true;
}

void store_records_retire(struct evs_store *st)
{
	json_decref(st->last_records);
	st->last_records = NULL;
	if (st->last_recs != NULL && !trash_recs_put(st, st->last_recs))
		evs_recs_unref(st->last_recs);
	st->last_recs = NULL;
}

void evs_store_recs_drop(struct evs_store *st, struct evs_recs *rs)
{
	/* The journal's writer may hold the list still: it frees there then */
	if (rs != NULL && !(evs_recs_sole(rs) && trash_recs_put(st, rs)))
		evs_recs_unref(rs);
}

void evs_store_record_changes(struct evs_store *st, bool on)
{
	st->recording = on;
	if (!on)
		store_records_retire(st);
}

const struct evs_recs *evs_store_last_recs(const struct evs_store *st)
{
	return st->last_recs;
}

const json_t *evs_store_last_records(const struct evs_store *st)
{
	struct evs_store *w = (struct evs_store *)(uintptr_t)st; /* a cache */

	if (w->last_records == NULL && w->last_recs != NULL)
		w->last_records = evs_recs_json(w->last_recs);
	return w->last_records;
}

/* The live object with @v's key, or NULL (err filled unless @quiet). */
static struct evs_store_obj *find(struct store_type *ty, const json_t *v, const char *path,
				  struct evs_ctl_err *err)
{
	struct evs_store_obj *o;
	char *key = json_is_object(v) ? store_key(ty, v) : NULL;

	if (key == NULL) {
		evs_store_err(err, -EINVAL, path, "record without a valid %s key", ty->t->name);
		return NULL;
	}
	o = store_find(ty, key);
	free(key);
	return o;
}

/* Apply @op on @v of @ty: add, del (already deleted in this transaction,
 * by a cascade: nothing to do) or replace. */
static int apply_one(struct evs_store_txn *txn, struct store_type *ty, const char *op,
		     const json_t *v, const char *path, struct evs_ctl_err *err)
{
	struct evs_store_obj *o;

	if (!json_is_object(v))
		return evs_store_err(err, -EINVAL, path, "record value must be an object");
	if (strcmp(op, "add") == 0)
		return store_txn_add(txn, ty, json_incref((json_t *)v), NULL, false, path, err);
	o = find(ty, v, path, err);
	/* Deleted here already (a cascade): as in the original transaction, a
	 * del is done and a set is the object added again. */
	if (o != NULL && !o->live && o->txn_idx >= 0)
		return strcmp(op, "del") == 0 ? 0
					      : store_txn_add(txn, ty, json_incref((json_t *)v),
							      NULL, false, path, err);
	if (o == NULL || !o->live)
		return err->code != 0 ? -EINVAL
				      : evs_store_err(err, -ENOENT, path,
						      "record names a missing %s", ty->t->name);
	if (strcmp(op, "del") == 0)
		return store_txn_del(txn, o, path, err);
	return store_txn_replace(txn, o, json_incref((json_t *)v), path, false, err);
}

static int section_index(const struct evs_store *st, const char *name)
{
	unsigned int i;

	for (i = 0; name != NULL && i < st->n_sections; i++)
		if (strcmp(st->sections[i].def->name, name) == 0)
			return (int)i;
	return -1;
}

/* Stage one record, forwards or (@undo) backwards. */
static int apply_rec(struct evs_store_txn *txn, const char *op, const char *name, json_t *oldv,
		     json_t *newv, bool undo, const char *sub, struct evs_ctl_err *err)
{
	struct store_type *ty;

	if (strcmp(op, "section") == 0) {
		int s = section_index(txn->st, name);
		json_t *v = undo ? oldv : newv;

		if (s < 0)
			return evs_store_err(err, -EINVAL, sub, "no section '%s'",
					     name ? name : "");
		return store_section_stage(txn, (unsigned int)s, json_is_null(v) ? NULL : v, sub,
					   err);
	}
	ty = store_type_get(txn->st, name ? name : "");
	if (ty == NULL)
		return evs_store_err(err, -EINVAL, sub, "no object type '%s'", name ? name : "");
	if (strcmp(op, "add") == 0)
		return undo ? apply_one(txn, ty, "del", newv, sub, err)
			    : apply_one(txn, ty, "add", newv, sub, err);
	if (strcmp(op, "del") == 0)
		return undo ? apply_one(txn, ty, "add", oldv, sub, err)
			    : apply_one(txn, ty, "del", oldv, sub, err);
	if (strcmp(op, "set") == 0)
		return apply_one(txn, ty, "set", undo ? oldv : newv, sub, err);
	return evs_store_err(err, -EINVAL, sub, "unknown op '%s'", op);
}

int evs_store_txn_records(struct evs_store_txn *txn, const json_t *records, bool undo,
			  const char *path, struct evs_ctl_err *err)
{
	size_t n, k, i;
	int rc = 0;

	err->code = 0;
	if (!json_is_array(records))
		return evs_store_err(err, -EINVAL, path, "records must be an array");
	n = json_array_size(records);
	for (k = 0; k < n && rc == 0; k++) {
		const json_t *r;
		const char *op = NULL, *type = NULL, *name = NULL;
		json_t *oldv = NULL, *newv = NULL;
		char sub[EVS_CTL_PATH_MAX];

		i = undo ? n - 1 - k : k;
		r = json_array_get(records, i);
		evs_ctl_path_index(sub, sizeof(sub), path, i);
		if (json_unpack((json_t *)r, "{s:s, s?s, s?s, s?o, s?o}", "op", &op, "type", &type,
				"name", &name, "old", &oldv, "new", &newv) < 0)
			return evs_store_err(err, -EINVAL, sub, "not a change record");
		rc = apply_rec(txn, op, strcmp(op, "section") == 0 ? name : type, oldv, newv, undo,
			       sub, err);
	}
	return rc;
}

int evs_store_txn_recs(struct evs_store_txn *txn, const struct evs_recs *rs, bool undo,
		       const char *path, struct evs_ctl_err *err)
{
	size_t k, i;
	int rc = 0;

	err->code = 0;
	for (k = 0; k < rs->n && rc == 0; k++) {
		const struct evs_rec *r;
		char sub[EVS_CTL_PATH_MAX];

		i = undo ? rs->n - 1 - k : k;
		r = &rs->r[i];
		evs_ctl_path_index(sub, sizeof(sub), path, i);
		rc = apply_rec(txn, evs_rec_op_name(r->op), r->name, r->old ? r->old : json_null(),
			       r->new ? r->new : json_null(), undo, sub, err);
	}
	return rc;
}
