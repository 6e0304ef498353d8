/* SPDX-License-Identifier: BSD-3-Clause */
/* Whole documents: the store as a config document, and a document's diff
 * against the store staged into a transaction. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_private.h"

int evs_store_section_add(struct evs_store *st, const struct evs_store_section *s, void *ctx)
{
	unsigned int i;

	if (s == NULL || s->name == NULL || s->check == NULL)
		return -EINVAL;
	for (i = 0; i < st->n_sections; i++)
		if (strcmp(st->sections[i].def->name, s->name) == 0)
			return -EEXIST;
	for (i = 0; i < st->n_types; i++)
		if (strcmp(st->types[i].t->section, s->name) == 0)
			return -EEXIST;
	if (st->n_sections == STORE_MAX_SECTIONS)
		return -ENOSPC;
	st->sections[st->n_sections++] = (struct store_section){.def = s, .ctx = ctx};
	return 0;
}

const json_t *evs_store_section_get(const struct evs_store *st, const char *name)
{
	unsigned int i;

	for (i = 0; i < st->n_sections; i++)
		if (strcmp(st->sections[i].def->name, name) == 0)
			return st->sections[i].val;
	return NULL;
}

size_t store_sections_changed(const struct evs_store_txn *txn)
{
	size_t i, n = 0;

	for (i = 0; i < STORE_MAX_SECTIONS; i++)
		n += txn->sec_changed[i];
	return n;
}

void store_sections_settle(struct evs_store_txn *txn, bool undo)
{
	struct evs_store *st = txn->st;
	unsigned int i;

	for (i = 0; i < st->n_sections; i++) {
		if (!txn->sec_changed[i])
			continue;
		if (undo) {
			json_decref(st->sections[i].val);
			st->sections[i].val = txn->sec_old[i];
		} else {
			json_decref(txn->sec_old[i]);
		}
		txn->sec_old[i] = NULL;
		txn->sec_changed[i] = false;
	}
}

/* Stage section @i's new value @v (NULL: left out of the document). */
int store_section_stage(struct evs_store_txn *txn, unsigned int i, const json_t *v,
			const char *path, struct evs_ctl_err *err)
{
	struct store_section *sec = &txn->st->sections[i];
	char sp[EVS_CTL_PATH_MAX];
	int rc;

	evs_ctl_path_key(sp, sizeof(sp), path, sec->def->name);
	rc = sec->def->check(v, sp, err, sec->ctx);
	if (rc < 0)
		return rc;
	if ((v == NULL && sec->val == NULL) ||
	    (v != NULL && sec->val != NULL && json_equal((json_t *)v, sec->val)))
		return 0;
	if (!txn->sec_changed[i]) {
		txn->sec_old[i] = sec->val; /* the reference moves to the undo slot */
		txn->sec_changed[i] = true;
	} else {
		json_decref(sec->val);
	}
	sec->val = v != NULL ? json_incref((json_t *)v) : NULL;
	return 0;
}

struct evs_store_doc_build {
	const struct evs_store *st;
	uint64_t epoch;
	json_t *doc;
	json_t *arr; /* type t's section, being filled */
	unsigned int t;
	const struct evs_store_obj *o; /* the next object of type t */
};

struct evs_store_doc_build *evs_store_doc_begin(const struct evs_store *st)
{
	struct evs_store_doc_build *b = calloc(1, sizeof(*b));

	if (b == NULL || (b->doc = json_object()) == NULL) {
		free(b);
		errno = ENOMEM;
		return NULL;
	}
	b->st = st;
	b->epoch = st->epoch;
	return b;
}

void evs_store_doc_build_free(struct evs_store_doc_build *b)
{
	if (b == NULL)
		return;
	json_decref(b->arr);
	json_decref(b->doc);
	free(b);
}

/* Type t's objects from b->o on, at most *n of them: 1 when stopped early. */
static int doc_type_step(struct evs_store_doc_build *b, size_t *n)
{
	const struct store_type *ty = &b->st->types[b->t];
	const json_t *v;

	if (b->arr == NULL) {
		if (ty->n_objs == 0)
			return 0; /* an empty section reads as absent: "none" */
		b->o = ty->head;
		if ((b->arr = json_array()) == NULL)
			return -ENOMEM;
	}
	for (; b->o != NULL; b->o = b->o->next) {
		if (*n == 0)
			return 1;
		(*n)--;
		/* The committed state: a transaction applied in steps may be open. */
		if ((v = store_committed(b->st, b->o)) != NULL &&
		    json_array_append_new(b->arr, store_public(ty, (json_t *)v)) < 0)
			return -ENOMEM;
	}
	if (json_array_size(b->arr) > 0 && json_object_set(b->doc, ty->t->section, b->arr) < 0)
		return -ENOMEM;
	json_decref(b->arr);
	b->arr = NULL;
	return 0;
}

int evs_store_doc_step(struct evs_store_doc_build *b, size_t n, json_t **doc)
{
	const struct evs_store *st = b->st;
	const json_t *v;
	unsigned int t;
	int rc;

	/* Objects may have been freed since the last step. */
	if (st->epoch != b->epoch)
		return -ESTALE;
	for (; b->t < st->n_types; b->t++) {
		rc = doc_type_step(b, &n);
		if (rc != 0)
			return rc;
	}
	for (t = 0; t < st->n_sections; t++) {
		v = st->txn != NULL && st->txn->sec_changed[t] ? st->txn->sec_old[t]
							       : st->sections[t].val;
		if (v != NULL &&
		    json_object_set(b->doc, st->sections[t].def->name, (json_t *)v) < 0)
			return -ENOMEM;
	}
	*doc = b->doc;
	b->doc = NULL;
	return 0;
}

json_t *evs_store_doc(const struct evs_store *st)
{
	struct evs_store_doc_build *b = evs_store_doc_begin(st);
	json_t *doc = NULL;

	if (b != NULL && evs_store_doc_step(b, SIZE_MAX, &doc) < 0)
		doc = NULL;
	evs_store_doc_build_free(b);
	return doc;
}

enum { ITEM_SAME = 1, ITEM_DEAD = 2 };

/* The keys a document section wants: an open-addressing set of key strings,
 * and per item its key and its object in the store if that is equal. */
struct keyset {
	char **keys;			 /* borrowed from item_key */
	size_t size;			 /* power of two, at least twice the keys */
	size_t n;			 /* items */
	char **item_key;		 /* owned; moved to the new object when it is added */
	struct evs_store_obj **item_obj; /* live object with the item's key */
	uint8_t *item_same;		 /* ITEM_SAME: ... and the item's value; ITEM_DEAD: no live
					  * object, one deleted in this transaction */
	json_t **item_val;		 /* secret types: the item with "<set>" resolved */
};

static uint64_t key_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s != '\0'; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
	return h ^ (h >> 29);
}

/* Insert @key (taken); -EEXIST if present (key freed). */
static int keyset_add(struct keyset *ks, char *key)
{
	size_t i = key_hash(key) & (ks->size - 1);

	for (; ks->keys[i] != NULL; i = (i + 1) & (ks->size - 1))
		if (strcmp(ks->keys[i], key) == 0) {
			free(key);
			return -EEXIST;
		}
	ks->keys[i] = key;
	return 0;
}

static void keyset_free(struct keyset *ks)
{
	size_t i;

	for (i = 0; ks->item_key != NULL && i < ks->n; i++)
		free(ks->item_key[i]);
	free(ks->keys);
	free(ks->item_key);
	free(ks->item_obj);
	free(ks->item_same);
	for (i = 0; ks->item_val != NULL && i < ks->size; i++)
		json_decref(ks->item_val[i]);
	free(ks->item_val);
}

/* @path + "/" + @i, @base_len being strlen(@path): item paths for every
 * object of a bulk apply, so no printf. */
static const char *item_path(char *path, size_t base_len, size_t i)
{
	path[base_len] = '/';
	store_utoa(path + base_len + 1, i);
	return path;
}

/* Size @ks for section @arr (at @path) of type @ty. */
static int section_init(struct store_type *ty, const json_t *arr, const char *path,
			struct keyset *ks, struct evs_ctl_err *err)
{
	size_t n = json_array_size(arr);

	if (arr != NULL && !json_is_array(arr))
		return evs_store_err(err, -EINVAL, path, "must be an array of %s objects",
				     ty->t->name);
	if (ty->t->max_objects && n > ty->t->max_objects)
		return evs_store_err(err, -ENOSPC, path, "at most %u %s objects",
				     ty->t->max_objects, ty->t->name);
	for (ks->size = 16; ks->size < 2 * n; ks->size *= 2)
		;
	if (store_index_reserve(ty, n) < 0)
		return evs_store_err(err, -ENOMEM, path, "out of memory");
	ks->keys = calloc(ks->size, sizeof(*ks->keys));
	ks->item_key = calloc(n + 1, sizeof(*ks->item_key));
	ks->n = n;
	ks->item_obj = calloc(n + 1, sizeof(*ks->item_obj));
	ks->item_same = calloc(n + 1, sizeof(*ks->item_same));
	/* sized like keys (>= n) so that keyset_free can walk it */
	ks->item_val = ty->n_secret > 0 ? calloc(ks->size, sizeof(*ks->item_val)) : NULL;
	if (ks->keys == NULL || ks->item_key == NULL || ks->item_obj == NULL ||
	    ks->item_same == NULL || (ty->n_secret > 0 && ks->item_val == NULL))
		return evs_store_err(err, -ENOMEM, path, "out of memory");
	if (strlen(path) + 24 > EVS_CTL_PATH_MAX)
		return evs_store_err(err, -EINVAL, "", "path too long");
	return 0;
}

/*
 * Check item @i (@v, at @ip) of a section and key it: an item naming a live
 * object gets that object (marked with this diff's @mark, so a second item
 * with its key is a duplicate, and objects left unmarked are the ones to
 * delete); other items get their key from a set that finds duplicates
 * among them. An item equal to its object was valid when stored: it is not
 * validated again.
 */
static int section_item(const struct evs_store *st, const struct store_type *ty, const json_t *v,
			size_t i, const char *ip, uint32_t mark, struct keyset *ks,
			struct evs_ctl_err *err)
{
	char kp[EVS_CTL_PATH_MAX], kbuf[256];
	struct evs_store_obj *o;
	const char *k;
	char *key = NULL;

	k = store_key_buf(ty, v, kbuf, sizeof(kbuf));
	if (k == NULL)
		k = key = store_key(ty, v);
	o = k != NULL ? store_find(ty, k) : NULL;
	if (o != NULL && !o->live) {
		ks->item_same[i] = ITEM_DEAD; /* the add revives it */
		o = NULL;
	}
	if (o != NULL && o->mark == mark) {
		free(key);
		return evs_store_err(err, -EEXIST,
				     evs_ctl_path_key(kp, sizeof(kp), ip, ty->t->keys[0]),
				     "duplicate %s (also earlier in the document)", ty->t->name);
	}
	if (ks->item_val != NULL && json_is_object(v)) {
		json_t *rv = json_incref((json_t *)v);
		int rc = store_secrets_fill(st, ty, k, o != NULL ? o->val : NULL, &rv, ip, err);

		if (rc < 0) {
			json_decref(rv);
			free(key);
			return rc;
		}
		ks->item_val[i] = rv;
		v = rv;
	}
	if (o != NULL && json_equal(o->val, (json_t *)v))
		ks->item_same[i] = ITEM_SAME;
	else if (evs_ctl_validate(v, ip, ty->t->fields, ty->t->n_fields, err) < 0) {
		free(key);
		return -EINVAL;
	}
	if (k == NULL)
		return evs_store_err(err, -EINVAL, ip, "invalid key");
	if (o != NULL) {
		o->mark = mark;
		ks->item_obj[i] = o;
		free(key);
		return 0;
	}
	if (key == NULL)
		key = strdup(k);
	if (key == NULL)
		return evs_store_err(err, -ENOMEM, ip, "out of memory");
	ks->item_key[i] = key;
	if (keyset_add(ks, key) < 0) {
		ks->item_key[i] = NULL;
		return evs_store_err(err, -EEXIST,
				     evs_ctl_path_key(kp, sizeof(kp), ip, ty->t->keys[0]),
				     "duplicate %s (also earlier in the document)", ty->t->name);
	}
	return 0;
}

/* A json_t holding only @o's key fields (for a DEL). */
static json_t *key_obj(const struct evs_store_obj *o)
{
	json_t *k = json_object();
	unsigned int i;

	for (i = 0; k != NULL && i < o->type->n_keys; i++)
		json_object_set(k, o->type->t->keys[i],
				json_object_get(o->val, o->type->t->keys[i]));
	return k;
}

/* A document's diff, staged in steps: every section checked, then the
 * deletes (referrers first), then adds and changes in document order. */
enum doc_phase { D_CHECK, D_DEL, D_ADD, D_DONE };

struct store_doc_stage {
	struct evs_store_txn *txn;
	const json_t *doc; /* a reference */
	char path[EVS_CTL_PATH_MAX];
	uint32_t mark;
	enum doc_phase phase;
	unsigned int t; /* type of the phase */
	size_t i;	/* item of the phase, in its section */
	struct evs_store_obj *next_del;
	struct keyset ks[EVS_STORE_MAX_TYPES];
	const json_t *arrs[EVS_STORE_MAX_TYPES];
};

void store_doc_stage_free(struct store_doc_stage *ds)
{
	unsigned int t;

	if (ds == NULL)
		return;
	for (t = 0; t < EVS_STORE_MAX_TYPES; t++)
		keyset_free(&ds->ks[t]);
	json_decref((json_t *)ds->doc);
	free(ds);
}

/* Sections of @doc: the objects' arrays in @ds->arrs, the others staged. */
static int doc_sections(struct store_doc_stage *ds, struct evs_ctl_err *err)
{
	struct evs_store *st = ds->txn->st;
	char sp[EVS_CTL_PATH_MAX];
	unsigned int t, i;
	const char *k;
	json_t *v;
	int rc = 0;

	if (!json_is_object(ds->doc))
		return evs_store_err(err, -EINVAL, ds->path, "the config must be a JSON object");
	json_object_foreach ((json_t *)ds->doc, k, v) {
		for (t = 0; t < st->n_types; t++)
			if (strcmp(st->types[t].t->section, k) == 0)
				break;
		if (t < st->n_types) {
			ds->arrs[t] = v;
			continue;
		}
		for (i = 0; i < st->n_sections; i++)
			if (strcmp(st->sections[i].def->name, k) == 0)
				break;
		if (i == st->n_sections)
			return evs_store_err(err, -EINVAL,
					     evs_ctl_path_key(sp, sizeof(sp), ds->path, k),
					     "unknown section '%.64s'", k);
	}
	for (t = 0; t < st->n_sections && rc == 0; t++)
		rc = store_section_stage(
		    ds->txn, t, json_object_get(ds->doc, st->sections[t].def->name), ds->path, err);
	for (t = 0; t < st->n_types && rc == 0; t++) {
		evs_ctl_path_key(sp, sizeof(sp), ds->path, st->types[t].t->section);
		rc = section_init(&st->types[t], ds->arrs[t], sp, &ds->ks[t], err);
	}
	return rc;
}

int store_doc_stage_new(struct evs_store_txn *txn, const json_t *doc, const char *path,
			struct store_doc_stage **out, struct evs_ctl_err *err)
{
	struct store_doc_stage *ds = calloc(1, sizeof(*ds));
	int rc;

	*out = NULL;
	if (ds == NULL)
		return evs_store_err(err, -ENOMEM, "", "out of memory");
	ds->txn = txn;
	ds->doc = json_incref((json_t *)doc);
	snprintf(ds->path, sizeof(ds->path), "%s", path != NULL ? path : "");
	ds->mark = ++txn->st->doc_mark;
	rc = doc_sections(ds, err);
	if (rc < 0) {
		store_doc_stage_free(ds);
		return rc;
	}
	*out = ds;
	return 0;
}

size_t store_doc_stage_items(const struct store_doc_stage *ds)
{
	size_t n = 0;
	unsigned int t;

	for (t = 0; t < EVS_STORE_MAX_TYPES; t++)
		n += ds->ks[t].n;
	return n;
}

/* @ip: the section's path of type @t, ready for item_path(); its length. */
static size_t section_path(const struct store_doc_stage *ds, unsigned int t, char *ip)
{
	evs_ctl_path_key(ip, EVS_CTL_PATH_MAX, ds->path, ds->txn->st->types[t].t->section);
	return strlen(ip);
}

static int doc_check(struct store_doc_stage *ds, struct store_budget *b, struct evs_ctl_err *err)
{
	struct evs_store *st = ds->txn->st;
	char ip[EVS_CTL_PATH_MAX];
	size_t blen;
	int rc;

	/* Every section first: an error then reports the document's own first
	 * problem, not a consequence of a half-staged diff. */
	for (; ds->t < st->n_types; ds->t++, ds->i = 0) {
		blen = section_path(ds, ds->t, ip);
		for (; ds->i < ds->ks[ds->t].n; ds->i++) {
			if (store_budget_out(b))
				return 1;
			rc = section_item(
			    st, &st->types[ds->t], json_array_get(ds->arrs[ds->t], ds->i), ds->i,
			    item_path(ip, blen, ds->i), ds->mark, &ds->ks[ds->t], err);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

static int doc_del(struct store_doc_stage *ds, struct store_budget *b, struct evs_ctl_err *err)
{
	struct evs_store *st = ds->txn->st;
	char sp[EVS_CTL_PATH_MAX];
	struct evs_store_obj *o;
	int rc;

	/* Referrers first, so nothing cascades. */
	for (; ds->t-- > 0; ds->next_del = NULL) {
		evs_ctl_path_key(sp, sizeof(sp), ds->path, st->types[ds->t].t->section);
		o = ds->next_del != NULL ? ds->next_del : st->types[ds->t].head;
		for (; o != NULL; o = ds->next_del) {
			ds->next_del = o->next;
			if (o->live && o->mark != ds->mark) {
				rc =
				    evs_store_txn_op(ds->txn, EVS_STORE_DEL,
						     st->types[ds->t].t->name, key_obj(o), sp, err);
				if (rc < 0)
					return rc;
			}
			if (ds->next_del != NULL && store_budget_out(b)) {
				ds->t++; /* resume this type */
				return 1;
			}
		}
	}
	return 0;
}

static int doc_add(struct store_doc_stage *ds, struct store_budget *b, struct evs_ctl_err *err)
{
	struct evs_store *st = ds->txn->st;
	char ip[EVS_CTL_PATH_MAX];
	size_t blen;
	int rc;

	for (; ds->t < st->n_types; ds->t++, ds->i = 0) {
		struct store_type *ty = &st->types[ds->t];
		struct keyset *ks = &ds->ks[ds->t];

		blen = section_path(ds, ds->t, ip);
		for (; ds->i < ks->n; ds->i++) {
			size_t i = ds->i;
			json_t *v = ks->item_val != NULL ? ks->item_val[i]
							 : json_array_get(ds->arrs[ds->t], i);

			if (store_budget_out(b))
				return 1;
			if (ks->item_same[i] == ITEM_SAME)
				continue;
			item_path(ip, blen, i);
			if (ks->item_obj[i] != NULL)
				/* Replace, not merge: fields left out go back to defaults. */
				rc = store_txn_replace(ds->txn, ks->item_obj[i], json_incref(v), ip,
						       true, err);
			else
				rc = store_txn_add(ds->txn, ty, json_incref(v), ks->item_key[i],
						   ks->item_same[i] != ITEM_DEAD, ip, err);
			ks->item_key[i] = NULL; /* the object's now (or freed) */
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

int store_doc_stage_step(struct store_doc_stage *ds, struct store_budget *b,
			 struct evs_ctl_err *err)
{
	int rc = 0;

	ds->txn->doc = true; /* paths are the document's items */
	switch (ds->phase) {
	case D_CHECK:
		rc = doc_check(ds, b, err);
		if (rc != 0)
			break;
		ds->phase = D_DEL;
		ds->t = ds->txn->st->n_types;
		/* fall through */
	case D_DEL:
		rc = doc_del(ds, b, err);
		if (rc != 0)
			break;
		ds->phase = D_ADD;
		ds->t = 0;
		ds->i = 0;
		/* fall through */
	case D_ADD:
		rc = doc_add(ds, b, err);
		if (rc != 0)
			break;
		ds->phase = D_DONE;
		/* fall through */
	default:
		break;
	}
	ds->txn->doc = false;
	return rc;
}

int evs_store_txn_doc(struct evs_store_txn *txn, const json_t *doc, const char *path,
		      struct evs_ctl_err *err)
{
	struct store_budget b = {0}; /* no deadline: one step */
	struct store_doc_stage *ds;
	int rc = store_doc_stage_new(txn, doc, path, &ds, err);

	if (rc < 0)
		return rc;
	rc = store_doc_stage_step(ds, &b, err);
	store_doc_stage_free(ds);
	return rc;
}
