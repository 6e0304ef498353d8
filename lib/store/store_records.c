/* SPDX-License-Identifier: BSD-3-Clause */
/* A committed transaction's changes as JSON records (the journal's unit) and
 * their replay, forwards (restart) or backwards (undo of changes that never
 * reached the disk). Records share the stored values (never changed in
 * place), so building them costs O(changes). */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store_private.h"

static int push(json_t *arr, json_t *rec, const char *k1, const json_t *v1, const char *k2,
		const json_t *v2)
{
	if (rec == NULL)
		return -ENOMEM;
	if ((k1 != NULL && json_object_set_nocheck(rec, k1, v1 ? (json_t *)v1 : json_null()) < 0) ||
	    (k2 != NULL && json_object_set_nocheck(rec, k2, v2 ? (json_t *)v2 : json_null()) < 0) ||
	    json_array_append_new(arr, rec) < 0)
		return -ENOMEM;
	return 0;
}

/* {"op": @op, "type": @type}: both strings shared by every record of the
 * transaction (a bulk apply builds a million of these). */
static json_t *rec_new(json_t *op, json_t *type)
{
	json_t *r = json_object();

	if (r != NULL && (json_object_set_nocheck(r, "op", op) < 0 ||
			  json_object_set_nocheck(r, "type", type) < 0)) {
		json_decref(r);
		return NULL;
	}
	return r;
}

int store_records_step(const struct evs_store_txn *txn, json_t *arr, size_t *k,
		       struct store_budget *b)
{
	const struct evs_store *st = txn->st;
	json_t *ops[3], *types[EVS_STORE_MAX_TYPES] = {0};
	unsigned int i;
	int rc = arr != NULL ? 0 : -ENOMEM;

	/* op and type strings shared by this step's records */
	ops[0] = json_string("add");
	ops[1] = json_string("set");
	ops[2] = json_string("del");
	for (i = 0; i < st->n_types; i++)
		types[i] = json_string(st->types[i].t->name);
	for (i = 0; i < 3; i++)
		if (ops[i] == NULL)
			rc = -ENOMEM;
	for (i = 0; i < st->n_types; i++)
		if (types[i] == NULL)
			rc = -ENOMEM;

	/* In the order the transaction touched them: a replay then meets
	 * cascades as the original did. */
	for (; *k < txn->n && rc == 0; (*k)++) {
		const struct txn_entry *e = &txn->e[*k];
		const struct evs_store_obj *o = e->obj;
		json_t *rec;

		if (e->delta == 0)
			continue; /* added and deleted, or unchanged (entry_delta) */
		if (store_budget_out(b)) {
			rc = 1;
			break;
		}
		rec = rec_new(ops[!e->existed ? 0 : o->live ? 1 : 2], types[o->type->idx]);
		if (!e->existed)
			rc = push(arr, rec, "new", o->val, NULL, NULL);
		else if (!o->live)
			rc = push(arr, rec, "old", e->old, NULL, NULL);
		else
			rc = push(arr, rec, "old", e->old, "new", o->val);
	}
	for (i = 0; i < st->n_sections && rc == 0; i++)
		if (txn->sec_changed[i])
			rc = push(arr,
				  json_pack("{s:s, s:s}", "op", "section", "name",
					    st->sections[i].def->name),
				  "old", txn->sec_old[i], "new", st->sections[i].val);
	for (i = 0; i < 3; i++)
		json_decref(ops[i]);
	for (i = 0; i < st->n_types; i++)
		json_decref(types[i]);
	return rc;
}

json_t *store_records_build(const struct evs_store_txn *txn)
{
	struct store_budget b = {0};
	json_t *arr = json_array();
	size_t k = 0;

	if (store_records_step(txn, arr, &k, &b) < 0) {
		json_decref(arr);
		return NULL;
	}
	return arr;
}

void evs_store_record_changes(struct evs_store *st, bool on)
{
	st->recording = on;
	if (!on) {
		json_decref(st->last_records);
		st->last_records = NULL;
	}
}

const json_t *evs_store_last_records(const struct evs_store *st)
{
	return st->last_records;
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
		if (strcmp(op, "section") == 0) {
			int s = section_index(txn->st, name);
			json_t *v = undo ? oldv : newv;

			if (s < 0)
				return evs_store_err(err, -EINVAL, sub, "no section '%s'",
						     name ? name : "");
			rc = store_section_stage(txn, (unsigned int)s, json_is_null(v) ? NULL : v,
						 sub, err);
			continue;
		}
		{
			struct store_type *ty = store_type_get(txn->st, type ? type : "");

			if (ty == NULL)
				return evs_store_err(err, -EINVAL, sub, "no object type '%s'",
						     type ? type : "");
			if (strcmp(op, "add") == 0)
				rc = undo ? apply_one(txn, ty, "del", newv, sub, err)
					  : apply_one(txn, ty, "add", newv, sub, err);
			else if (strcmp(op, "del") == 0)
				rc = undo ? apply_one(txn, ty, "add", oldv, sub, err)
					  : apply_one(txn, ty, "del", oldv, sub, err);
			else if (strcmp(op, "set") == 0)
				rc = apply_one(txn, ty, "set", undo ? oldv : newv, sub, err);
			else
				rc = evs_store_err(err, -EINVAL, sub, "unknown op '%s'", op);
		}
	}
	return rc;
}
