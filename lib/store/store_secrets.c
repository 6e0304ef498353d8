/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Secret fields (doc/store.md, "Secret fields"): the store holds the real
 * value for its hooks; everything that leaves it shows "<set>", which on
 * input means "keep the current value". Values persist in the attached
 * secrets file (0600), one durable write per transaction.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evs_persist.h"
#include "store_private.h"

void evs_store_secrets_attach(struct evs_store *st, struct evs_secrets *sec)
{
	st->secrets = sec;
}

bool store_is_secret(const struct store_type *ty, const char *field)
{
	unsigned int i;

	for (i = 0; i < ty->n_secret; i++)
		if (strcmp(ty->secret[i], field) == 0)
			return true;
	return false;
}

static bool is_placeholder(const json_t *v)
{
	return json_is_string(v) && strcmp(json_string_value(v), EVS_STORE_SECRET_SET) == 0;
}

/* "TYPE:KEY:FIELD" in @buf; false when it does not fit. */
static bool secret_name(const struct store_type *ty, const char *key, const char *field, char *buf,
			size_t size)
{
	int n = snprintf(buf, size, "%s:%s:%s", ty->t->name, key, field);

	return n > 0 && (size_t)n < size;
}

/* The value of @field kept in the secrets file for @key, or NULL. */
static json_t *from_file(const struct evs_store *st, const struct store_type *ty, const char *key,
			 const char *field)
{
	char name[EVS_SECRET_NAME_MAX + 1], buf[EVS_SECRET_VALUE_MAX];
	size_t len;
	json_t *v;

	if (st->secrets == NULL || key == NULL ||
	    !secret_name(ty, key, field, name, sizeof(name)) ||
	    evs_secret_get(st->secrets, name, buf, sizeof(buf), &len) < 0)
		return NULL;
	v = json_stringn(buf, len);
	explicit_bzero(buf, len);
	return v;
}

int store_secrets_fill(const struct evs_store *st, const struct store_type *ty, const char *key,
		       const json_t *cur, json_t **v, const char *path, struct evs_ctl_err *err)
{
	char sub[EVS_CTL_PATH_MAX];
	unsigned int i;

	for (i = 0; i < ty->n_secret; i++) {
		const char *f = ty->secret[i];
		json_t *keep, *nv;

		if (!is_placeholder(json_object_get(*v, f)))
			continue;
		keep = cur != NULL ? json_incref(json_object_get(cur, f)) : NULL;
		if (keep == NULL)
			keep = from_file(st, ty, key, f);
		if (keep == NULL)
			return evs_store_err(err, -EINVAL,
					     evs_ctl_path_key(sub, sizeof(sub), path, f),
					     "'%s' keeps the value of secret field '%s', but this "
					     "%s has none",
					     EVS_STORE_SECRET_SET, f, ty->t->name);
		nv = json_copy(*v); /* the caller's value may be shared: change a copy */
		if (nv == NULL || json_object_set_new(nv, f, keep) < 0) {
			json_decref(nv);
			return evs_store_err(err, -ENOMEM, path, "out of memory");
		}
		json_decref(*v);
		*v = nv;
	}
	return 0;
}

json_t *store_public(const struct store_type *ty, json_t *v)
{
	json_t *c;
	unsigned int i;

	if (ty->n_secret == 0 || v == NULL)
		return json_incref(v);
	c = json_copy(v);
	for (i = 0; c != NULL && i < ty->n_secret; i++)
		if (json_object_get(c, ty->secret[i]) != NULL &&
		    json_object_set_new(c, ty->secret[i], json_string(EVS_STORE_SECRET_SET)) < 0) {
			json_decref(c);
			return NULL;
		}
	return c;
}

json_t *evs_store_records_public(const struct evs_store *st, const json_t *records)
{
	json_t *out, *r, *c;
	unsigned int t;
	size_t i;

	/* No type with secrets: a bulk apply's million records are not walked */
	for (t = 0; t < st->n_types && st->types[t].n_secret == 0; t++)
		;
	if (t == st->n_types || (records == st->last_records && !st->last_secret))
		return json_incref((json_t *)records); /* O(1): the daemon's case */
	json_array_foreach ((json_t *)records, i, r) {
		const struct store_type *ty =
		    store_type_get(st, json_string_value(json_object_get(r, "type")) ?: "");

		if (ty != NULL && ty->n_secret > 0)
			break;
	}
	if (i == json_array_size(records))
		return json_incref((json_t *)records);
	out = json_array();
	json_array_foreach ((json_t *)records, i, r) {
		const struct store_type *ty =
		    store_type_get(st, json_string_value(json_object_get(r, "type")) ?: "");
		static const char *const sides[] = {"old", "new"};
		unsigned int s;

		if (ty == NULL || ty->n_secret == 0) {
			if (json_array_append(out, r) < 0)
				goto fail;
			continue;
		}
		c = json_copy(r);
		for (s = 0; c != NULL && s < 2; s++) {
			json_t *side = json_object_get(c, sides[s]);

			if (side != NULL &&
			    json_object_set_new(c, sides[s], store_public(ty, side)) < 0)
				break;
		}
		if (c == NULL || s < 2 || json_array_append_new(out, c) < 0)
			goto fail;
	}
	return out;
fail:
	json_decref(out);
	return NULL;
}

/* The secret changes of one delta appended to @c (names in @names). */
static size_t delta_changes(const struct store_type *ty, const struct evs_store_delta *d,
			    struct evs_secret_change *c, char (*names)[EVS_SECRET_NAME_MAX + 1],
			    int *rc)
{
	size_t n = 0;
	unsigned int i;

	for (i = 0; i < ty->n_secret; i++) {
		const char *f = ty->secret[i];
		const json_t *o = d->old != NULL ? json_object_get(d->old, f) : NULL;
		const json_t *nw = d->new != NULL ? json_object_get(d->new, f) : NULL;

		if ((o == NULL && nw == NULL) ||
		    (o != NULL && nw != NULL && json_equal((json_t *)o, (json_t *)nw)))
			continue;
		if (!secret_name(ty, evs_store_obj_key(d->obj), f, names[n], sizeof(names[n]))) {
			*rc = -ENAMETOOLONG;
			return n;
		}
		c[n].name = names[n];
		c[n].value = nw != NULL ? json_string_value(nw) : NULL;
		c[n].len = nw != NULL ? json_string_length(nw) : 0;
		n++;
	}
	return n;
}

int store_secrets_save(struct evs_store *st, const struct evs_store_delta *d, const size_t *off,
		       struct evs_ctl_err *err)
{
	char(*names)[EVS_SECRET_NAME_MAX + 1] = NULL;
	struct evs_secret_change *c = NULL;
	size_t total = 0, n = 0, k;
	unsigned int t;
	int rc = 0;

	if (st->secrets == NULL)
		return 0;
	for (t = 0; t < st->n_types; t++)
		if (st->types[t].n_secret > 0)
			total += (off[t + 1] - off[t]) * st->types[t].n_secret;
	if (total == 0)
		return 0;
	c = calloc(total, sizeof(*c));
	names = calloc(total, sizeof(*names));
	if (c == NULL || names == NULL) {
		rc = evs_store_err(err, -ENOMEM, "", "out of memory");
		goto out;
	}
	for (t = 0; t < st->n_types && rc == 0; t++) {
		const struct store_type *ty = &st->types[t];

		for (k = off[t]; ty->n_secret > 0 && k < off[t + 1] && rc == 0; k++)
			n += delta_changes(ty, &d[k], c + n, names + n, &rc);
		if (rc < 0)
			evs_store_err(err, -EINVAL, d[k - 1].path,
				      "the %s's key is too long to name its secret", ty->t->name);
	}
	if (rc == 0 && n > 0) {
		rc = evs_secrets_update(st->secrets, c, n);
		if (rc < 0)
			rc = rc == -EINVAL
				 ? evs_store_err(err, rc, "",
						 "a secret's name (TYPE:KEY:FIELD) may "
						 "hold only [A-Za-z0-9_.:|-]")
				 : evs_store_err(
				       err, rc == -ENOMEM ? rc : -EIO, "",
				       "cannot write the secrets file: %s; nothing changed",
				       strerror(-rc));
	}
out:
	free(c);
	free(names);
	return rc;
}

struct evs_recs *evs_store_recs_public(const struct evs_store *st, const struct evs_recs *rs)
{
	struct evs_recs *out;
	size_t i;

	if (rs == st->last_recs && !st->last_secret)
		return evs_recs_ref(rs); /* O(1): a bulk apply's million are not walked */
	for (i = 0; i < rs->n; i++) {
		const struct store_type *ty =
		    rs->r[i].op == EVS_REC_SECTION ? NULL : store_type_get(st, rs->r[i].name);

		if (ty != NULL && ty->n_secret > 0)
			break;
	}
	if (i == rs->n)
		return evs_recs_ref(rs);
	out = evs_recs_new();
	for (i = 0; out != NULL && i < rs->n; i++) {
		const struct evs_rec *r = &rs->r[i];
		const struct store_type *ty =
		    r->op == EVS_REC_SECTION ? NULL : store_type_get(st, r->name);
		json_t *o = ty != NULL ? store_public(ty, r->old) : json_incref(r->old);
		json_t *n = ty != NULL ? store_public(ty, r->new) : json_incref(r->new);
		int rc = (r->old != NULL && o == NULL) || (r->new != NULL &&n == NULL)
			     ? -ENOMEM
			     : evs_recs_push(out, (enum evs_rec_op)r->op, r->name, o, n);

		json_decref(o);
		json_decref(n);
		if (rc < 0) {
			evs_recs_unref(out);
			out = NULL;
		}
	}
	return out;
}
