/* SPDX-License-Identifier: BSD-3-Clause */
/* Compact change records (evs_recs.h). */

#include <errno.h>
#include <stdlib.h>

#include "evs_recs.h"

struct evs_recs *evs_recs_new(void)
{
	struct evs_recs *rs = calloc(1, sizeof(*rs));

	if (rs != NULL)
		rs->refcnt = 1;
	return rs;
}

int evs_recs_push(struct evs_recs *rs, enum evs_rec_op op, const char *name, json_t *old,
		  json_t *new)
{
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 16;
		struct evs_rec *r = realloc(rs->r, cap * sizeof(*r)); /* large: mremap */

		if (r == NULL)
			return -ENOMEM;
		rs->r = r;
		rs->cap = cap;
	}
	rs->r[rs->n++] = (struct evs_rec){
	    .op = (uint8_t)op, .name = name, .old = json_incref(old), .new = json_incref(new)};
	return 0;
}

struct evs_recs *evs_recs_ref(const struct evs_recs *rs)
{
	struct evs_recs *w = (struct evs_recs *)(uintptr_t)rs;

	if (w != NULL)
		__atomic_fetch_add(&w->refcnt, 1, __ATOMIC_RELAXED);
	return w;
}

bool evs_recs_sole(const struct evs_recs *rs)
{
	return __atomic_load_n(&rs->refcnt, __ATOMIC_ACQUIRE) == 1;
}

bool evs_recs_release_step(struct evs_recs *rs, size_t max)
{
	size_t end = rs->n - rs->released > max ? rs->released + max : rs->n;

	for (; rs->released < end; rs->released++) {
		json_decref(rs->r[rs->released].old);
		json_decref(rs->r[rs->released].new);
	}
	return rs->released == rs->n;
}

void evs_recs_unref(struct evs_recs *rs)
{
	if (rs == NULL || __atomic_sub_fetch(&rs->refcnt, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	evs_recs_release_step(rs, rs->n);
	free(rs->r);
	free(rs);
}

const char *evs_rec_op_name(enum evs_rec_op op)
{
	static const char *const names[] = {"add", "set", "del", "section"};

	return (unsigned int)op < 4 ? names[op] : "?";
}

/* One record's object, keys in the order the journal writes them. */
static json_t *rec_json(const struct evs_rec *r)
{
	json_t *o = json_object();
	int rc = o != NULL ? 0 : -1;

	if (rc == 0)
		rc = json_object_set_new_nocheck(o, "op", json_string(evs_rec_op_name(r->op)));
	if (rc == 0)
		rc = json_object_set_new_nocheck(o, r->op == EVS_REC_SECTION ? "name" : "type",
						 json_string(r->name));
	if (rc == 0 && (r->old != NULL || r->op == EVS_REC_SET || r->op == EVS_REC_SECTION))
		rc = json_object_set_nocheck(o, "old", r->old ? r->old : json_null());
	if (rc == 0 && (r->new != NULL || r->op == EVS_REC_SET || r->op == EVS_REC_SECTION))
		rc = json_object_set_nocheck(o, "new", r->new ? r->new : json_null());
	if (rc < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *evs_recs_json(const struct evs_recs *rs)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; arr != NULL && i < rs->n; i++)
		if (json_array_append_new(arr, rec_json(&rs->r[i])) < 0) {
			json_decref(arr);
			return NULL;
		}
	return arr;
}
