/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Transactions: changes go into the store at once, each object's first
 * state kept in an undo entry; commit validates the post-transaction state
 * and runs the hooks; any failure restores the entries.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store_private.h"

struct evs_store_txn *evs_store_txn_begin(struct evs_store *st)
{
	struct evs_store_txn *txn;

	if (st->txn != NULL) {
		errno = EBUSY;
		return NULL;
	}
	txn = calloc(1, sizeof(*txn));
	if (txn == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	txn->st = st;
	st->txn = txn;
	st->epoch++;
	return txn;
}

size_t evs_store_txn_size(const struct evs_store_txn *txn)
{
	return txn->n;
}

/* A copy of @s that lives as long as @txn. */
static const char *path_copy(struct evs_store_txn *txn, const char *s)
{
	size_t len = strlen(s) + 1;
	struct path_block *b = txn->paths;
	char *p;

	if (b == NULL || b->size - b->used < len) {
		size_t size = len > 65536 - sizeof(*b) ? len : 65536 - sizeof(*b);

		b = malloc(sizeof(*b) + size);
		if (b == NULL)
			return NULL;
		b->next = txn->paths;
		b->used = 0;
		b->size = size;
		txn->paths = b;
	}
	p = b->buf + b->used;
	memcpy(p, s, len);
	b->used += len;
	return p;
}

/* Give @o an undo entry unless it has one. */
static int record(struct evs_store_txn *txn, struct evs_store_obj *o, bool existed,
		  const char *path)
{
	struct txn_entry *e;

	if (o->txn_idx >= 0)
		return 0;
	if (txn->n == txn->cap) {
		size_t cap = txn->cap ? txn->cap * 2 : 16;

		e = realloc(txn->e, cap * sizeof(*e));
		if (e == NULL)
			return -ENOMEM;
		txn->e = e;
		txn->cap = cap;
	}
	e = &txn->e[txn->n];
	e->path = path_copy(txn, path != NULL ? path : "");
	if (e->path == NULL)
		return -ENOMEM;
	e->obj = o;
	e->existed = existed;
	e->keyed = !txn->doc;
	e->old = existed ? json_incref(o->val) : NULL;
	o->txn_idx = (int32_t)txn->n++;
	return 0;
}

static int check_fields(const struct store_type *ty, const json_t *v, const char *path,
			struct evs_ctl_err *err)
{
	int rc = evs_ctl_validate(v, path, ty->t->fields, ty->t->n_fields, err);

	if (rc < 0 && err->code == 0)
		evs_store_err(err, -EINVAL, path, "invalid %s", ty->t->name);
	return rc < 0 ? -EINVAL : 0;
}

static int key_of(const struct store_type *ty, const json_t *v, const char *path, char **key,
		  struct evs_ctl_err *err)
{
	char sub[EVS_CTL_PATH_MAX];
	unsigned int i;

	*key = store_key(ty, v);
	if (*key != NULL)
		return 0;
	for (i = 0; i < ty->n_keys; i++)
		if (json_object_get(v, ty->t->keys[i]) == NULL)
			return evs_store_err(
			    err, -EINVAL, evs_ctl_path_key(sub, sizeof(sub), path, ty->t->keys[i]),
			    "missing key field '%s'", ty->t->keys[i]);
	return evs_store_err(err, -EINVAL, path, "invalid key of %s", ty->t->name);
}

int store_txn_add(struct evs_store_txn *txn, struct store_type *ty, json_t *value, char *key,
		  bool known, const char *path, struct evs_ctl_err *err)
{
	struct evs_store_obj *o;
	int rc = 0;

	if (key == NULL && ty->n_secret > 0) { /* "<set>": a deleted twin's or the file's */
		char *k0 = store_key(ty, value);
		struct evs_store_obj *twin = k0 != NULL ? store_find(ty, k0) : NULL;

		rc = store_secrets_fill(txn->st, ty, k0, twin != NULL ? twin->val : NULL, &value,
					path, err);
		free(k0);
	}
	if (key == NULL && rc == 0) { /* not from a checked document */
		rc = check_fields(ty, value, path, err);
		if (rc == 0)
			rc = key_of(ty, value, path, &key, err);
	}
	if (rc < 0) {
		json_decref(value);
		return rc;
	}
	o = known ? NULL : store_find(ty, key); /* a bulk apply's items: looked up once */
	if (o != NULL && o->live) {
		char sub[EVS_CTL_PATH_MAX], kd[128];

		free(key);
		store_key_desc(ty, value, kd, sizeof(kd));
		json_decref(value);
		/* the last key field is the most specific: a MAC within its switch */
		return evs_store_err(
		    err, -EEXIST,
		    evs_ctl_path_key(sub, sizeof(sub), path, ty->t->keys[ty->n_keys - 1]),
		    "%s %s already exists", ty->t->name, kd);
	}
	if (o != NULL) { /* deleted earlier in this transaction: bring it back */
		free(key);
		json_decref(o->val);
		o->val = value;
		o->live = true;
		ty->n_live++;
		return 0;
	}
	txn->st->sealed = true;
	o = store_obj_new(ty, key, value);
	if (o == NULL) {
		free(key);
		json_decref(value);
		return evs_store_err(err, -ENOMEM, path, "out of memory");
	}
	if (record(txn, o, false, path) < 0) {
		store_obj_destroy(o);
		return evs_store_err(err, -ENOMEM, path, "out of memory");
	}
	return 0;
}

static int op_del(struct evs_store_txn *txn, struct evs_store_obj *o, const char *path,
		  struct evs_ctl_err *err)
{
	struct store_link *l;

	if (record(txn, o, true, path) < 0)
		return evs_store_err(err, -ENOMEM, path, "out of memory");
	o->live = false;
	o->type->n_live--;
	/* Cascade to committed referrers that still name @o; restricting
	 * ones, and referrers new in this transaction, fail at commit. */
	for (l = o->in_head; l != NULL; l = l->in_next) {
		struct evs_store_obj *from = l->from;

		if (from->live && from->type->t->refs[l->ref].on_delete == EVS_STORE_CASCADE &&
		    store_ref_has(from->type, l->ref, from->val, o->key) &&
		    op_del(txn, from, path, err) < 0)
			return -ENOMEM;
	}
	return 0;
}

int store_txn_replace(struct evs_store_txn *txn, struct evs_store_obj *o, json_t *v,
		      const char *path, bool checked, struct evs_ctl_err *err)
{
	struct store_type *ty = o->type;
	char *key;
	int rc;

	rc = checked || ty->n_secret == 0
		 ? 0
		 : store_secrets_fill(txn->st, ty, o->key, o->val, &v, path, err);
	if (rc == 0 && !checked)
		rc = check_fields(ty, v, path, err);
	if (rc == 0)
		rc = key_of(ty, v, path, &key, err);
	if (rc < 0) {
		json_decref(v);
		return rc;
	}
	rc = strcmp(key, o->key);
	free(key);
	if (rc != 0) {
		json_decref(v);
		return evs_store_err(err, -EINVAL, path, "the key of a %s cannot change",
				     ty->t->name);
	}
	if (record(txn, o, true, path) < 0) {
		json_decref(v);
		return evs_store_err(err, -ENOMEM, path, "out of memory");
	}
	json_decref(o->val);
	o->val = v;
	return 0;
}

/* SET: given fields replace, null removes. */
static int op_set(struct evs_store_txn *txn, struct evs_store_obj *o, const json_t *value,
		  const char *path, struct evs_ctl_err *err)
{
	json_t *merged = json_copy(o->val), *v;
	const char *k;

	if (merged == NULL)
		return evs_store_err(err, -ENOMEM, path, "out of memory");
	json_object_foreach ((json_t *)value, k, v) {
		if (json_is_null(v))
			json_object_del(merged, k);
		else
			json_object_set(merged, k, v);
	}
	return store_txn_replace(txn, o, merged, path, false, err);
}

int store_txn_del(struct evs_store_txn *txn, struct evs_store_obj *o, const char *path,
		  struct evs_ctl_err *err)
{
	return op_del(txn, o, path, err);
}

int evs_store_txn_op(struct evs_store_txn *txn, enum evs_store_op op, const char *type,
		     json_t *value, const char *path, struct evs_ctl_err *err)
{
	struct store_type *ty = store_type_get(txn->st, type);
	struct evs_store_obj *o = NULL;
	char *key, kd[128];
	int rc;

	if (path == NULL)
		path = "";
	if (ty == NULL)
		rc = evs_store_err(err, -ENOENT, path, "no object type '%s'", type ? type : "");
	else if (!json_is_object(value))
		rc = evs_store_err(err, -EINVAL, path, "must be an object");
	else if (op == EVS_STORE_ADD)
		rc = store_txn_add(txn, ty, json_incref(value), NULL, false, path, err);
	else if ((rc = key_of(ty, value, path, &key, err)) == 0) {
		o = store_find(ty, key);
		if (o == NULL || !o->live) {
			char sub[EVS_CTL_PATH_MAX];

			rc = evs_store_err(
			    err, -ENOENT,
			    evs_ctl_path_key(sub, sizeof(sub), path, ty->t->keys[ty->n_keys - 1]),
			    "no %s %s", ty->t->name, store_key_desc(ty, value, kd, sizeof(kd)));
		} else if (op == EVS_STORE_DEL) {
			size_t i = txn->n;

			rc = store_txn_del(txn, o, path, err);
			for (; i < txn->n; i++)
				if (txn->e[i].obj != o)
					txn->e[i].keyed = false; /* cascaded */
		} else
			rc = op_set(txn, o, value, path, err);
		free(key);
	}
	json_decref(value);
	return rc;
}

/* --- Commit -------------------------------------------------------------- */

static void entries_unlink(struct evs_store_txn *txn)
{
	size_t i;

	for (i = 0; i < txn->n; i++)
		store_links_drop(txn->e[i].obj);
}

/* Put every touched object back as it was. */
static void rollback(struct evs_store_txn *txn)
{
	unsigned int bad_ref;
	const char *bad_name;
	size_t i, bad_idx;

	entries_unlink(txn);
	for (i = txn->n; i-- > 0;) {
		struct txn_entry *e = &txn->e[i];
		struct evs_store_obj *o = e->obj;

		o->txn_idx = -1;
		if (!e->existed) {
			store_obj_destroy(o);
			continue;
		}
		json_decref(o->val);
		o->val = e->old;
		e->old = NULL;
		if (!o->live) {
			o->live = true;
			o->type->n_live++;
		}
	}
	/* The old state was valid: its references resolve again. */
	for (i = 0; i < txn->n; i++)
		if (txn->e[i].existed)
			store_links_resolve(txn->e[i].obj, &bad_ref, &bad_name, &bad_idx);
}

static void txn_close(struct evs_store_txn *txn)
{
	size_t i;

	for (i = txn->c.closed ? txn->n : 0; i < txn->n; i++) /* or closed in steps */
		json_decref(txn->e[i].old);
	while (txn->paths != NULL) {
		struct path_block *b = txn->paths;

		txn->paths = b->next;
		free(b);
	}
	txn->st->txn = NULL;
	txn->st->epoch++;
	free(txn->e);
	free(txn);
}

static void hooks_abort(struct evs_store_txn *txn, unsigned int t, size_t given);
static int entry_close(struct txn_entry *e);

void evs_store_txn_abort(struct evs_store_txn *txn)
{
	if (txn == NULL)
		return;
	if (txn->c.phase == C_CLOSE) { /* committed: too late to undo, finish closing */
		for (; txn->c.i < txn->n; txn->c.i++)
			entry_close(&txn->e[txn->c.i]);
		txn->c.closed = true;
		txn_close(txn);
		return;
	}
	if (txn->c.phase == C_PREPARE) /* stopped between steps: undo what prepared */
		hooks_abort(txn, txn->c.t, txn->c.given);
	free(txn->c.ds.d);
	txn->c.ds.d = NULL;
	evs_recs_unref(txn->c.recs);
	txn->c.recs = NULL;
	store_sections_settle(txn, true);
	rollback(txn);
	txn_close(txn);
}

static int ref_error(const struct txn_entry *e, unsigned int r, const char *name, size_t idx,
		     struct evs_ctl_err *err)
{
	const struct store_type *ty = e->obj->type;
	const struct store_ref *ref = &ty->refs[r];
	char sub[EVS_CTL_PATH_MAX];

	if (ref->arr[0] != '\0') {
		evs_ctl_path_key(sub, sizeof(sub), e->path, ref->arr);
		evs_ctl_path_index(sub, sizeof(sub), sub, idx);
		evs_ctl_path_key(sub, sizeof(sub), sub, ref->field);
	} else {
		evs_ctl_path_key(sub, sizeof(sub), e->path, ref->field);
	}
	return evs_store_err(err, -ENOENT, sub, "no %s named '%s'", ref->to->t->name, name);
}

/* One entry of the post-transaction state: its references resolve, a
 * delete is not referenced any more, capacities hold, the type's check. */
static int entry_resolve(struct txn_entry *e, struct evs_ctl_err *err)
{
	unsigned int bad_ref;
	const char *bad_name;
	size_t bad_idx;
	int rc;

	if (!e->obj->live)
		return 0;
	rc = store_links_resolve(e->obj, &bad_ref, &bad_name, &bad_idx);
	if (rc == -ENOENT)
		return ref_error(e, bad_ref, bad_name, bad_idx, err);
	if (rc < 0)
		return evs_store_err(err, rc, e->path, "out of memory");
	return 0;
}

static int entry_in_use(const struct txn_entry *e, struct evs_ctl_err *err)
{
	const struct store_link *l = e->obj->in_head;
	char k1[128], k2[128], sub[EVS_CTL_PATH_MAX];

	if (e->obj->live || l == NULL)
		return 0;
	if (e->keyed)
		evs_ctl_path_key(sub, sizeof(sub), e->path,
				 e->obj->type->t->keys[e->obj->type->n_keys - 1]);
	else
		snprintf(sub, sizeof(sub), "%s", e->path);
	return evs_store_err(err, -EBUSY, sub, "%s %s is in use by %s %s", e->obj->type->t->name,
			     store_key_desc(e->obj->type, e->obj->val, k1, sizeof(k1)),
			     l->from->type->t->name,
			     store_key_desc(l->from->type, l->from->val, k2, sizeof(k2)));
}

/* What entry @e does (its delta op + 1, 0: nothing), counted per type. */
static void entry_delta(struct txn_commit *c, struct txn_entry *e)
{
	const struct evs_store_obj *o = e->obj;

	if (e->existed && o->live)
		e->delta = json_equal(e->old, o->val) ? 0 : EVS_STORE_SET + 1;
	else if (o->live)
		e->delta = EVS_STORE_ADD + 1;
	else
		e->delta = e->existed ? EVS_STORE_DEL + 1 : 0;
	if (e->delta != 0)
		c->cnt[o->type->idx]++;
}

static int entry_check(struct evs_store *st, struct txn_commit *c, struct txn_entry *e,
		       struct evs_ctl_err *err)
{
	const struct store_type *ty = e->obj->type;

	entry_delta(c, e);
	if (e->obj->live && ty->t->max_objects && ty->n_live > ty->t->max_objects)
		return evs_store_err(err, -ENOSPC, e->path, "at most %u %s objects",
				     ty->t->max_objects, ty->t->name);
	if (e->obj->live && ty->t->ops && ty->t->ops->check && e->delta != 0)
		return ty->t->ops->check(st, e->obj->val, e->path, err, ty->ctx);
	return 0;
}

/* Deltas grouped by type (in registration order), each group in entry
 * order: offsets from the counts, then filled entry by entry. */
static int deltas_alloc(struct txn_commit *c)
{
	unsigned int t;

	c->ds.off[0] = 0;
	for (t = 0; t < EVS_STORE_MAX_TYPES; t++) {
		c->ds.off[t + 1] = c->ds.off[t] + c->cnt[t];
		c->cnt[t] = c->ds.off[t]; /* now: where the type's next delta goes */
	}
	c->ds.d = malloc((c->ds.off[EVS_STORE_MAX_TYPES] + 1) * sizeof(*c->ds.d));
	return c->ds.d != NULL ? 0 : -ENOMEM;
}

static int delta_fill(struct txn_commit *c, const struct txn_entry *e)
{
	if (e->delta != 0)
		c->ds.d[c->cnt[e->obj->type->idx]++] =
		    (struct evs_store_delta){.op = (enum evs_store_op)(e->delta - 1),
					     .old = e->old,
					     .new = e->obj->live ? e->obj->val : NULL,
					     .obj = e->obj,
					     .path = e->path};
	return 0;
}

static size_t type_deltas(const struct evs_store_txn *txn, unsigned int t)
{
	return txn->c.ds.off[t + 1] - txn->c.ds.off[t];
}

/* Undo the hooks' prepare: the transaction-wide hook, then types t..0 (type
 * t only the deltas given to its prepare). */
static void hooks_abort(struct evs_store_txn *txn, unsigned int t, size_t given)
{
	struct evs_store *st = txn->st;
	const struct store_delta_set *ds = &txn->c.ds;
	unsigned int k;

	if (st->hooks != NULL && st->hooks->abort != NULL)
		st->hooks->abort(st, st->hooks_ctx);
	for (k = t + 1; k-- > 0;) {
		const struct store_type *ty = &st->types[k];
		size_t n = k == t ? given : type_deltas(txn, k);

		if (n > 0 && ty->t->ops && ty->t->ops->abort)
			ty->t->ops->abort(st, ds->d + ds->off[k], n, ty->ctx);
	}
}

static void hooks_commit(struct evs_store_txn *txn)
{
	struct evs_store *st = txn->st;
	unsigned int t;

	for (t = 0; t < st->n_types; t++) {
		const struct store_type *ty = &st->types[t];
		size_t n = type_deltas(txn, t);

		if (n > 0 && ty->t->ops && ty->t->ops->commit)
			ty->t->ops->commit(st, txn->c.ds.d + txn->c.ds.off[t], n, ty->ctx);
	}
	if (st->hooks != NULL && st->hooks->commit != NULL)
		st->hooks->commit(st, st->hooks_ctx);
}

/* The store after a successful commit: records, generation, deleted
 * objects freed, the transaction closed. */
/* The switch: the transaction's state becomes the committed one (readers
 * see it from here), its records the last ones, the generation moves. */
static void txn_switch(struct evs_store_txn *txn)
{
	struct evs_store *st = txn->st;

	st->last_changes = txn->c.ds.off[EVS_STORE_MAX_TYPES] + store_sections_changed(txn);
	store_records_retire(st);
	if (st->recording && st->last_changes > 0)
		st->last_recs = txn->c.recs != NULL ? txn->c.recs : store_records_build(txn);
	else
		evs_recs_unref(txn->c.recs);
	txn->c.recs = NULL;
	st->last_secret = false;
	for (unsigned int t = 0; t < st->n_types; t++)
		st->last_secret |= st->types[t].n_secret > 0 && type_deltas(txn, t) > 0;
	if (st->last_changes > 0)
		st->gen++;
	store_sections_settle(txn, false);
	free(txn->c.ds.d);
	txn->c.ds.d = NULL;
}

/* Let go of undo entry @e of a committed transaction. */
static int entry_close(struct txn_entry *e)
{
	struct evs_store_obj *o = e->obj;

	o->txn_idx = -1;
	if (!o->live)
		store_obj_destroy(o);
	json_decref(e->old);
	e->old = NULL;
	return 0;
}

/* A transaction that changed nothing: switched and closed at once. */
static void txn_finish(struct evs_store_txn *txn)
{
	size_t i;

	txn_switch(txn);
	for (i = 0; i < txn->n; i++)
		entry_close(&txn->e[i]);
	txn->c.closed = true;
	txn_close(txn);
}

/* Deltas a sliced prepare takes per call; the budget is checked between. */
#define PREPARE_SLICE 512

/* Entry-wise phases: @fn over entries from c.i while the budget lasts. */
#define ENTRY_PHASE(txn, b, fn_call)                                                               \
	do {                                                                                       \
		for (; (txn)->c.i < (txn)->n; (txn)->c.i++) {                                      \
			if (store_budget_out(b))                                                   \
				return 1;                                                          \
			rc = (fn_call);                                                            \
			if (rc < 0)                                                                \
				return rc;                                                         \
		}                                                                                  \
		(txn)->c.i = 0;                                                                    \
	} while (0)

/* Run commit phases until done (0), failure (-errno) or the budget (1). */
static int commit_run(struct evs_store_txn *txn, struct store_budget *b, struct evs_ctl_err *err)
{
	struct evs_store *st = txn->st;
	struct txn_commit *c = &txn->c;
	int rc = 0;

	switch (c->phase) {
	case C_UNLINK:
		for (; c->i < txn->n; c->i++) {
			if (store_budget_out(b))
				return 1;
			store_links_drop(txn->e[c->i].obj);
		}
		c->i = 0;
		c->phase = C_RESOLVE;
		/* fall through */
	case C_RESOLVE:
		ENTRY_PHASE(txn, b, entry_resolve(&txn->e[c->i], err));
		c->phase = C_IN_USE;
		/* fall through */
	case C_IN_USE:
		ENTRY_PHASE(txn, b, entry_in_use(&txn->e[c->i], err));
		c->phase = C_CHECK;
		/* fall through */
	case C_CHECK:
		ENTRY_PHASE(txn, b, entry_check(st, c, &txn->e[c->i], err));
		rc = deltas_alloc(c);
		if (rc < 0)
			return evs_store_err(err, rc, "", "out of memory");
		if (c->ds.off[EVS_STORE_MAX_TYPES] == 0) {
			c->phase = C_DONE;
			return 0;
		}
		c->phase = C_DELTAS;
		/* fall through */
	case C_DELTAS:
		ENTRY_PHASE(txn, b, delta_fill(c, &txn->e[c->i]));
		c->phase = C_VALIDATE;
		c->t = 0;
		/* fall through */
	case C_VALIDATE:
		for (; c->t < st->n_types; c->t++) {
			const struct store_type *ty = &st->types[c->t];
			size_t n = type_deltas(txn, c->t);

			if (store_budget_out(b))
				return 1;
			if (n > 0 && ty->t->ops && ty->t->ops->validate) {
				rc = ty->t->ops->validate(st, c->ds.d + c->ds.off[c->t], n, err,
							  ty->ctx);
				if (rc < 0)
					return rc;
			}
		}
		c->phase = C_PREPARE;
		c->t = 0;
		c->given = 0;
		/* fall through */
	case C_PREPARE:
		for (; c->t < st->n_types; c->t++, c->given = 0) {
			const struct store_type *ty = &st->types[c->t];
			size_t n = type_deltas(txn, c->t), k;
			size_t slice = ty->t->prepare_slice ? ty->t->prepare_slice : PREPARE_SLICE;

			if (n == 0 || ty->t->ops == NULL ||
			    (ty->t->ops->prepare == NULL && ty->t->ops->prepare_end == NULL))
				continue;
			if (ty->t->ops->prepare == NULL)
				c->given = n; /* prepare_end alone: abort gets them all */
			while (c->given < n) {
				if (store_budget_out(b))
					return 1;
				k = n - c->given;
				if (ty->t->prepare_sliced && k > slice)
					k = slice;
				c->given += k; /* abort undoes a failed call too */
				rc = ty->t->ops->prepare(
				    st, c->ds.d + c->ds.off[c->t] + c->given - k, k, err, ty->ctx);
				if (rc < 0) {
					hooks_abort(txn, c->t, c->given);
					return rc;
				}
				b->force = true; /* a slice may be long: look at the clock */
			}
			if (ty->t->ops->prepare_end != NULL) {
				rc = ty->t->ops->prepare_end(st, c->ds.d + c->ds.off[c->t], n, err,
							     ty->ctx);
				if (rc < 0) {
					hooks_abort(txn, c->t, c->given);
					return rc;
				}
				b->force = true;
			}
		}
		c->phase = C_COMMIT;
		/* fall through */
	case C_COMMIT:
		/* One step from here: it is O(changes) of cheap work, no hook that
		 * scales with the datapath but the types' commits. */
		if (st->hooks != NULL && st->hooks->prepare != NULL)
			rc = st->hooks->prepare(st, err, st->hooks_ctx);
		/* Secrets are durable before anything commits; a failed write undoes all. */
		if (rc == 0)
			rc = store_secrets_save(st, c->ds.d, c->ds.off, err);
		if (rc < 0) {
			/* the transaction-wide prepare cleans up after its own failure */
			hooks_abort(txn, st->n_types - 1, type_deltas(txn, st->n_types - 1));
			return rc;
		}
		hooks_commit(txn);
		c->phase = C_RECORDS;
		c->i = 0;
		if (st->recording)
			c->recs = evs_recs_new(); /* NULL: built at the end, or not */
		/* fall through */
	case C_RECORDS:
		/* Readers still see the old state until the transaction closes. */
		if (c->recs != NULL) {
			rc = store_records_step(txn, c->recs, &c->i, b);
			if (rc > 0)
				return 1;
			if (rc < 0) { /* built again at the end */
				evs_recs_unref(c->recs);
				c->recs = NULL;
			}
		}
		txn_switch(txn);
		c->phase = C_CLOSE;
		c->i = 0;
		/* fall through */
	case C_CLOSE:
		/* A million entries take tens of ms: in steps like the rest */
		ENTRY_PHASE(txn, b, entry_close(&txn->e[c->i]));
		c->closed = true;
		c->phase = C_DONE;
		return 0;
	default:
		return 0;
	}
}

int store_txn_commit_step(struct evs_store_txn *txn, struct store_budget *b,
			  struct evs_ctl_err *err)
{
	int rc;

	if (txn->c.phase == C_UNLINK && txn->c.i == 0) {
		err->code = 0;
		err->path[0] = '\0';
		err->message[0] = '\0';
	}
	rc = commit_run(txn, b, err);
	if (rc > 0)
		return 1;
	if (rc < 0) {
		if (err->code == 0)
			evs_store_err(err, rc, "", "applying the change failed");
		txn->c.phase = C_DONE; /* the hooks are undone already */
		evs_store_txn_abort(txn);
		return rc;
	}
	if (txn->c.closed)
		txn_close(txn);
	else
		txn_finish(txn); /* it changed nothing */
	return 0;
}

int evs_store_txn_commit(struct evs_store_txn *txn, struct evs_ctl_err *err)
{
	struct store_budget b = {0}; /* no deadline */

	return store_txn_commit_step(txn, &b, err);
}
