/* SPDX-License-Identifier: BSD-3-Clause */
/* The store: types, the per-type hash index, insertion order, references. */

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_private.h"

struct evs_store *evs_store_create(void)
{
	struct evs_store *st = calloc(1, sizeof(*st));

	if (st == NULL)
		errno = ENOMEM;
	return st;
}

void evs_store_free(struct evs_store *st)
{
	unsigned int i;

	if (st == NULL)
		return;
	evs_store_txn_abort(st->txn);
	store_records_retire(st);
	while (st->n_trash_recs > 0)
		evs_recs_unref(st->trash_recs[--st->n_trash_recs]);
	free(st->trash_recs);
	if (st->ctl_priv_free != NULL)
		st->ctl_priv_free(st->ctl_priv);
	json_decref(st->trash);
	for (i = 0; i < st->n_sections; i++)
		json_decref(st->sections[i].val);
	for (i = st->n_types; i-- > 0;) {
		struct store_type *ty = &st->types[i];

		/* Referrers (later types) are gone: links can go with objects. */
		while (ty->head != NULL)
			store_obj_destroy(ty->head);
		free(ty->buckets);
		free(ty->refs);
		json_decref(ty->defaults);
	}
	free(st);
}

struct store_type *store_type_get(const struct evs_store *st, const char *name)
{
	unsigned int i;

	for (i = 0; name != NULL && i < st->n_types; i++)
		if (strcmp(st->types[i].t->name, name) == 0)
			return (struct store_type *)&st->types[i];
	return NULL;
}

static const struct evs_ctl_param *field_spec(const struct evs_obj_type *t, const char *name)
{
	return evs_ctl_spec_find(t->fields, t->n_fields, name);
}

/* A secret flag below the top level (not supported: doc/store.md). */
static bool nested_secret(const struct evs_ctl_param *p)
{
	size_t i;

	for (i = 0; p->type == EVS_CTL_T_OBJECT && p->fields != NULL && i < p->n_fields; i++)
		if (p->fields[i].secret || nested_secret(&p->fields[i]))
			return true;
	return p->type == EVS_CTL_T_ARRAY && p->items != NULL &&
	       (p->items->secret || nested_secret(p->items));
}

static bool is_key_field(const struct evs_obj_type *t, const char *name)
{
	size_t i;

	for (i = 0; t->keys[i] != NULL; i++)
		if (strcmp(t->keys[i], name) == 0)
			return true;
	return false;
}

/* Is @name a reference field, or the array a reference reaches into? */
static bool is_ref_field(const struct evs_obj_type *t, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < t->n_refs; i++)
		if (strncmp(t->refs[i].field, name, n) == 0 &&
		    (t->refs[i].field[n] == '\0' || t->refs[i].field[n] == '['))
			return true;
	return false;
}

/* Split "a[].b" or "b"; check the spec has it as a string field. */
static int ref_parse(const struct evs_obj_type *t, const struct evs_store_ref *r,
		     struct store_ref *out)
{
	const char *br = strstr(r->field, "[].");
	const struct evs_ctl_param *p;

	if (br != NULL) {
		if ((size_t)(br - r->field) >= sizeof(out->arr) ||
		    strlen(br + 3) >= sizeof(out->field))
			return -EINVAL;
		memcpy(out->arr, r->field, (size_t)(br - r->field));
		out->arr[br - r->field] = '\0';
		strcpy(out->field, br + 3);
		p = evs_ctl_spec_find(t->fields, t->n_fields, out->arr);
		if (p == NULL || p->type != EVS_CTL_T_ARRAY || p->items == NULL ||
		    p->items->fields == NULL)
			return -EINVAL;
		p = evs_ctl_spec_find(p->items->fields, p->items->n_fields, out->field);
	} else {
		if (strlen(r->field) >= sizeof(out->field))
			return -EINVAL;
		out->arr[0] = '\0';
		strcpy(out->field, r->field);
		p = field_spec(t, out->field);
	}
	return p != NULL && p->type == EVS_CTL_T_STRING ? 0 : -EINVAL;
}

int evs_store_type_add(struct evs_store *st, const struct evs_obj_type *t, void *ctx)
{
	struct store_type *ty;
	struct evs_ctl_err err;
	json_error_t jerr;
	size_t i;

	if (st == NULL || t == NULL || t->name == NULL || t->section == NULL || t->keys == NULL ||
	    t->keys[0] == NULL || (t->n_fields > 0 && t->fields == NULL) ||
	    (t->n_refs > 0 && t->refs == NULL))
		return -EINVAL;
	if (st->sealed)
		return -EBUSY;
	for (i = 0; i < st->n_types; i++)
		if (strcmp(st->types[i].t->name, t->name) == 0 ||
		    strcmp(st->types[i].t->section, t->section) == 0)
			return -EEXIST;
	if (st->n_types == EVS_STORE_MAX_TYPES)
		return -ENOSPC;
	ty = &st->types[st->n_types];
	memset(ty, 0, sizeof(*ty));
	ty->t = t;
	ty->ctx = ctx;
	ty->idx = st->n_types;
	for (i = 0; t->keys[i] != NULL; i++) {
		const struct evs_ctl_param *p = field_spec(t, t->keys[i]);

		if (i == EVS_STORE_MAX_KEYS || p == NULL || !p->required ||
		    (p->type != EVS_CTL_T_STRING && p->type != EVS_CTL_T_MAC &&
		     p->type != EVS_CTL_T_INT && p->type != EVS_CTL_T_UINT))
			return -EINVAL;
		ty->key_type[i] = p->type;
	}
	ty->n_keys = (unsigned int)i;
	ty->refs = calloc(t->n_refs ? t->n_refs : 1, sizeof(*ty->refs));
	if (ty->refs == NULL)
		return -ENOMEM;
	for (i = 0; i < t->n_refs; i++) {
		struct store_type *to = store_type_get(st, t->refs[i].type);

		if (ref_parse(t, &t->refs[i], &ty->refs[i]) < 0 || to == NULL || to->n_keys != 1 ||
		    to->key_type[0] != EVS_CTL_T_STRING)
			goto inval;
		ty->refs[i].to = to;
	}
	if (t->defaults != NULL) {
		ty->defaults = json_loads(t->defaults, 0, &jerr);
		/* every default must itself pass the field's checks */
		if (ty->defaults == NULL || !json_is_object(ty->defaults))
			goto inval;
		{
			const char *k;
			json_t *v;

			json_object_foreach (ty->defaults, k, v) {
				const struct evs_ctl_param *p = field_spec(t, k);
				json_t *one;
				int rc;

				if (p == NULL || p->required)
					goto inval;
				one = json_pack("{s:O}", k, v);
				rc = evs_ctl_validate(one, "", p, 1, &err);
				json_decref(one);
				if (rc < 0)
					goto inval;
			}
		}
	}
	for (i = 0; i < t->n_fields; i++) {
		const struct evs_ctl_param *p = &t->fields[i];

		if (nested_secret(p))
			goto inval;
		if (!p->secret)
			continue;
		/* a top-level string, not a key, not a reference, no default */
		if (p->type != EVS_CTL_T_STRING || ty->n_secret == EVS_STORE_MAX_SECRETS ||
		    is_key_field(t, p->name) || is_ref_field(t, p->name) ||
		    json_object_get(ty->defaults, p->name) != NULL)
			goto inval;
		ty->secret[ty->n_secret++] = p->name;
	}
	for (i = 0; i < t->n_refs; i++) {
		struct store_type *to = ty->refs[i].to;

		ty->refs[i].in_idx = to->n_in;
		to->in[to->n_in].from = ty;
		to->in[to->n_in].ref = (unsigned int)i;
		to->n_in++;
	}
	st->n_types++;
	return 0;
inval:
	free(ty->refs);
	json_decref(ty->defaults);
	memset(ty, 0, sizeof(*ty));
	return -EINVAL;
}

void evs_store_txn_hooks_set(struct evs_store *st, const struct evs_store_txn_hooks *h, void *ctx)
{
	st->hooks = h;
	st->hooks_ctx = ctx;
}

unsigned int evs_store_type_count(const struct evs_store *st)
{
	return st->n_types;
}

const struct evs_obj_type *evs_store_type_at(const struct evs_store *st, unsigned int i)
{
	return i < st->n_types ? st->types[i].t : NULL;
}

const struct evs_obj_type *evs_store_type_find(const struct evs_store *st, const char *name)
{
	struct store_type *ty = store_type_get(st, name);

	return ty != NULL ? ty->t : NULL;
}

uint64_t evs_store_generation(const struct evs_store *st)
{
	return st->gen;
}

size_t evs_store_last_changes(const struct evs_store *st)
{
	return st->last_changes;
}

size_t evs_store_count(const struct evs_store *st, const char *type)
{
	struct store_type *ty = store_type_get(st, type);

	return ty != NULL ? ty->n_live : 0;
}

/* --- Keys and the index ------------------------------------------------ */

static uint64_t hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */

	for (; *s != '\0'; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
	return h ^ (h >> 29);
}

char *store_utoa(char *p, size_t v)
{
	char tmp[24];
	int n = 0;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (n > 0)
		*p++ = tmp[--n];
	*p = '\0';
	return p;
}

/* One key field as text: strings as is, MACs lower case with ':', integers
 * in decimal. Hand-written: this runs for every object of a bulk apply. */
static int key_part(enum evs_ctl_type kt, const json_t *f, char *buf, size_t len, const char **out)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t m[6];
	int i;

	if (kt == EVS_CTL_T_STRING) {
		*out = json_string_value(f);
		return *out != NULL ? 0 : -EINVAL;
	}
	if (kt == EVS_CTL_T_MAC) {
		if (len < 18 || evs_ctl_parse_mac(json_string_value(f), m) < 0)
			return -EINVAL;
		for (i = 0; i < 6; i++) {
			buf[i * 3] = hex[m[i] >> 4];
			buf[i * 3 + 1] = hex[m[i] & 15];
			buf[i * 3 + 2] = i < 5 ? ':' : '\0';
		}
	} else {
		if (!json_is_integer(f))
			return -EINVAL;
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(f));
	}
	*out = buf;
	return 0;
}

const char *store_key_buf(const struct store_type *ty, const json_t *v, char *buf, size_t size)
{
	char parts[EVS_STORE_MAX_KEYS][32], *p = buf;
	const char *s[EVS_STORE_MAX_KEYS];
	size_t len[EVS_STORE_MAX_KEYS], total = 0;
	unsigned int i;

	for (i = 0; i < ty->n_keys; i++) {
		if (key_part(ty->key_type[i], json_object_get(v, ty->t->keys[i]), parts[i],
			     sizeof(parts[i]), &s[i]) < 0)
			return NULL;
		len[i] = strlen(s[i]);
		total += len[i] + 24;
	}
	if (ty->n_keys == 1 && ty->key_type[0] == EVS_CTL_T_STRING)
		return s[0]; /* the string itself: no copy */
	if (total > size)
		return NULL;
	if (ty->n_keys == 1) {
		memcpy(buf, s[0], len[0] + 1);
		return buf;
	}
	/* Several fields: length-prefixed, so no separator can be ambiguous. */
	for (i = 0; i < ty->n_keys; i++) {
		if (i > 0)
			*p++ = '|';
		p = store_utoa(p, len[i]);
		*p++ = ':';
		memcpy(p, s[i], len[i] + 1);
		p += len[i];
	}
	return buf;
}

char *store_key(const struct store_type *ty, const json_t *v)
{
	char small[256], *big;
	const char *k = store_key_buf(ty, v, small, sizeof(small));
	size_t size = 0;
	unsigned int i;

	if (k != NULL)
		return strdup(k);
	/* Longer than small: size it (or a key field is bad: NULL below). */
	for (i = 0; i < ty->n_keys; i++)
		size += json_string_length(json_object_get(v, ty->t->keys[i])) + 64;
	big = malloc(size);
	if (big == NULL)
		return NULL;
	k = store_key_buf(ty, v, big, size);
	if (k == NULL) {
		free(big);
		return NULL;
	}
	if (k != big) {
		free(big);
		return strdup(k);
	}
	return big;
}

const char *store_key_desc(const struct store_type *ty, const json_t *v, char *buf, size_t len)
{
	char part[32];
	const char *s;
	size_t n = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < ty->n_keys && n < len; i++) {
		if (key_part(ty->key_type[i], json_object_get(v, ty->t->keys[i]), part,
			     sizeof(part), &s) < 0)
			s = "?";
		if (ty->n_keys == 1)
			n += (size_t)snprintf(buf + n, len - n, "'%s'", s);
		else
			n += (size_t)snprintf(buf + n, len - n, "%s%s %s", i ? ", " : "",
					      ty->t->keys[i], s);
	}
	return buf;
}

struct evs_store_obj *store_find(const struct store_type *ty, const char *key)
{
	uint64_t h = hash_str(key);
	struct evs_store_obj *o;

	if (ty->n_buckets == 0)
		return NULL;
	for (o = ty->buckets[h & (ty->n_buckets - 1)]; o != NULL; o = o->hnext)
		if (o->hash == h && strcmp(o->key, key) == 0)
			return o;
	return NULL;
}

/* Rehash into at least @want buckets (a power of two, at least twice as many). */
static int index_resize(struct store_type *ty, size_t want)
{
	size_t n = ty->n_buckets ? ty->n_buckets * 2 : 64, i;
	struct evs_store_obj **b, *o, *next;

	while (n < want)
		n *= 2;
	b = calloc(n, sizeof(*b));

	if (b == NULL)
		return -ENOMEM;
	for (i = 0; i < ty->n_buckets; i++)
		for (o = ty->buckets[i]; o != NULL; o = next) {
			next = o->hnext;
			o->hnext = b[o->hash & (n - 1)];
			b[o->hash & (n - 1)] = o;
		}
	free(ty->buckets);
	ty->buckets = b;
	ty->n_buckets = n;
	return 0;
}

static int index_grow(struct store_type *ty)
{
	return index_resize(ty, 0);
}

int store_index_reserve(struct store_type *ty, size_t n)
{
	return n <= ty->n_buckets ? 0 : index_resize(ty, n);
}

struct evs_store_obj *store_obj_new(struct store_type *ty, char *key, json_t *val)
{
	struct evs_store_obj *o;
	size_t b;

	if (ty->n_objs >= ty->n_buckets && index_grow(ty) < 0)
		return NULL;
	o = calloc(1, sizeof(*o) + ty->n_in * sizeof(o->in_count[0]));
	if (o == NULL)
		return NULL;
	o->type = ty;
	o->key = key;
	o->val = val;
	o->hash = hash_str(key);
	o->txn_idx = -1;
	o->live = true;
	b = o->hash & (ty->n_buckets - 1);
	o->hnext = ty->buckets[b];
	ty->buckets[b] = o;
	o->prev = ty->tail;
	if (ty->tail != NULL)
		ty->tail->next = o;
	else
		ty->head = o;
	ty->tail = o;
	ty->n_objs++;
	ty->n_live++;
	return o;
}

void store_obj_destroy(struct evs_store_obj *o)
{
	struct store_type *ty = o->type;
	struct evs_store_obj **pp = &ty->buckets[o->hash & (ty->n_buckets - 1)];

	while (*pp != o)
		pp = &(*pp)->hnext;
	*pp = o->hnext;
	if (o->prev != NULL)
		o->prev->next = o->next;
	else
		ty->head = o->next;
	if (o->next != NULL)
		o->next->prev = o->prev;
	else
		ty->tail = o->prev;
	ty->n_objs--;
	if (o->live)
		ty->n_live--;
	store_links_drop(o);
	/* Incoming links of a destroyed object: only at store teardown. */
	while (o->in_head != NULL) {
		struct store_link *l = o->in_head;

		o->in_head = l->in_next;
		l->to = NULL;
	}
	json_decref(o->val);
	free(o->key);
	free(o);
}

/* --- References -------------------------------------------------------- */

void store_links_drop(struct evs_store_obj *o)
{
	uint32_t i;

	for (i = 0; i < o->n_links; i++) {
		struct store_link *l = &o->links[i];
		struct evs_store_obj *to = l->to;

		if (to == NULL)
			continue;
		if (l->in_prev != NULL)
			l->in_prev->in_next = l->in_next;
		else
			to->in_head = l->in_next;
		if (l->in_next != NULL)
			l->in_next->in_prev = l->in_prev;
		to->in_count[o->type->refs[l->ref].in_idx]--;
	}
	free(o->links);
	o->links = NULL;
	o->n_links = 0;
}

/* Names @o's ref @r holds: one for a plain field, one per array item. */
static size_t ref_names(const struct store_ref *r, const json_t *v, size_t i, const char **name)
{
	const json_t *a;

	if (r->arr[0] == '\0') {
		*name = i == 0 ? json_string_value(json_object_get(v, r->field)) : NULL;
		return 1;
	}
	a = json_object_get(v, r->arr);
	*name = i < json_array_size(a)
		    ? json_string_value(json_object_get(json_array_get(a, i), r->field))
		    : NULL;
	return json_is_array(a) ? json_array_size(a) : 0;
}

bool store_ref_has(const struct store_type *ty, unsigned int r, const json_t *v, const char *name)
{
	const char *n;
	size_t i, cnt = ref_names(&ty->refs[r], v, 0, &n);

	for (i = 0; i < cnt; i++) {
		ref_names(&ty->refs[r], v, i, &n);
		if (n != NULL && strcmp(n, name) == 0)
			return true;
	}
	return false;
}

struct evs_store_obj *evs_store_obj_target(const struct evs_store_obj *o, unsigned int ref)
{
	uint32_t i;

	for (i = 0; o != NULL && i < o->n_links; i++)
		if (o->links[i].ref == ref)
			return o->links[i].to;
	return NULL;
}

int store_links_resolve(struct evs_store_obj *o, unsigned int *bad_ref, const char **bad_name,
			size_t *bad_index)
{
	const struct store_type *ty = o->type;
	size_t r, i, n, total = 0;
	const char *name;
	struct store_link *links;

	store_links_drop(o);
	for (r = 0; r < ty->t->n_refs; r++)
		total += ref_names(&ty->refs[r], o->val, 0, &name);
	if (total == 0)
		return 0;
	links = calloc(total, sizeof(*links));
	if (links == NULL)
		return -ENOMEM;
	o->links = links;
	for (r = 0; r < ty->t->n_refs; r++) {
		n = ref_names(&ty->refs[r], o->val, 0, &name);
		for (i = 0; i < n; i++) {
			struct evs_store_obj *to;
			struct store_link *l;

			ref_names(&ty->refs[r], o->val, i, &name);
			if (name == NULL || name[0] == '\0')
				continue;
			to = store_find(ty->refs[r].to, name);
			if (to == NULL || !to->live) {
				*bad_ref = (unsigned int)r;
				*bad_name = name;
				*bad_index = i;
				return -ENOENT;
			}
			l = &links[o->n_links++];
			l->from = o;
			l->to = to;
			l->ref = (uint16_t)r;
			l->in_next = to->in_head;
			if (to->in_head != NULL)
				to->in_head->in_prev = l;
			to->in_head = l;
			to->in_count[ty->refs[r].in_idx]++;
		}
	}
	return 0;
}

/* --- Lookups and iteration ---------------------------------------------- */

struct evs_store_obj *evs_store_lookup(const struct evs_store *st, const char *type,
				       const json_t *key_obj)
{
	struct store_type *ty = store_type_get(st, type);
	struct evs_store_obj *o;
	char *key;

	if (ty == NULL)
		return NULL;
	key = store_key(ty, key_obj);
	if (key == NULL)
		return NULL;
	o = store_find(ty, key);
	free(key);
	return o != NULL && o->live ? o : NULL;
}

struct evs_store_obj *evs_store_lookup_str(const struct evs_store *st, const char *type,
					   const char *key)
{
	struct store_type *ty = store_type_get(st, type);
	struct evs_store_obj *o;

	if (ty == NULL || key == NULL || ty->n_keys != 1 || ty->key_type[0] != EVS_CTL_T_STRING)
		return NULL;
	o = store_find(ty, key);
	return o != NULL && o->live ? o : NULL;
}

const json_t *store_committed(const struct evs_store *st, const struct evs_store_obj *o)
{
	const struct txn_entry *e;

	if (o == NULL)
		return NULL;
	/* From C_CLOSE the transaction is committed: its state is the one */
	if (o->txn_idx < 0 || st->txn == NULL || st->txn->c.phase >= C_CLOSE)
		return o->live ? o->val : NULL;
	e = &st->txn->e[o->txn_idx];
	return e->existed ? e->old : NULL;
}

struct evs_store_obj *store_lookup_committed(const struct evs_store *st,
					     const struct store_type *ty, const json_t *key_obj)
{
	char buf[256], *key = NULL;
	const char *k = store_key_buf(ty, key_obj, buf, sizeof(buf));
	struct evs_store_obj *o;

	if (k == NULL)
		k = key = store_key(ty, key_obj);
	o = k != NULL ? store_find(ty, k) : NULL;
	free(key);
	return store_committed(st, o) != NULL ? o : NULL;
}

static struct evs_store_obj *skip_dead(struct evs_store_obj *o)
{
	while (o != NULL && !o->live)
		o = o->next;
	return o;
}

struct evs_store_obj *evs_store_first(const struct evs_store *st, const char *type)
{
	struct store_type *ty = store_type_get(st, type);

	return ty != NULL ? skip_dead(ty->head) : NULL;
}

struct evs_store_obj *evs_store_next(const struct evs_store_obj *o)
{
	return skip_dead(o->next);
}

const json_t *evs_store_obj_value(const struct evs_store_obj *o)
{
	return o->val;
}

const char *evs_store_obj_key(const struct evs_store_obj *o)
{
	return o->key;
}

uintptr_t *evs_store_obj_aux(struct evs_store_obj *o)
{
	return &o->aux;
}

uint32_t evs_store_obj_refcount(const struct evs_store_obj *o, const char *from_type,
				const char *field)
{
	const struct store_type *ty = o->type;
	unsigned int i;

	for (i = 0; i < ty->n_in; i++)
		if (strcmp(ty->in[i].from->t->name, from_type) == 0 &&
		    strcmp(ty->in[i].from->t->refs[ty->in[i].ref].field, field) == 0)
			return o->in_count[i];
	return 0;
}

const json_t *evs_store_field(const struct evs_store *st, const char *type, const json_t *v,
			      const char *name)
{
	struct store_type *ty = store_type_get(st, type);
	const json_t *f = json_object_get(v, name);

	if (f != NULL && !json_is_null(f))
		return f;
	return ty != NULL ? json_object_get(ty->defaults, name) : NULL;
}

int evs_store_check_name(const json_t *obj, const char *field, const char *path,
			 struct evs_ctl_err *err)
{
	const char *s = json_string_value(json_object_get(obj, field));
	char sub[EVS_CTL_PATH_MAX];

	for (; s != NULL && *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' && *s != '.')
			return evs_store_err(err, -EINVAL,
					     evs_ctl_path_key(sub, sizeof(sub), path, field),
					     "'%s' must be made of [A-Za-z0-9_.-]", field);
	return 0;
}

/* --- Errors -------------------------------------------------------------- */

int evs_store_rpc_code(int neg_errno)
{
	return evs_ctl_errno_code(neg_errno); /* lib/ctl holds the one table */
}

int evs_store_err(struct evs_ctl_err *err, int neg_errno, const char *path, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return neg_errno;
	err->code = evs_store_rpc_code(neg_errno);
	snprintf(err->path, sizeof(err->path), "%s", path != NULL ? path : "");
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return neg_errno;
}
