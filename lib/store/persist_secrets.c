/* SPDX-License-Identifier: BSD-3-Clause */
/* Named secrets in their own 0600 file, rewritten durably on every change;
 * values are wiped from memory before it is freed. */

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "persist_private.h"

struct secret {
	char name[EVS_SECRET_NAME_MAX + 1];
	uint8_t *val;
	size_t len;
};

struct evs_secrets {
	char *dir;
	char *name;
	struct secret *v;
	size_t n;
	size_t cap;
};

static const struct evs_persist_opts secret_opts = {.mode = 0600, .force_mode = true};

static void wipe_free(void *p, size_t len)
{
	if (p == NULL)
		return;
	explicit_bzero(p, len);
	free(p);
}

static bool secret_name_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= EVS_SECRET_NAME_MAX &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:|-") ==
		   n;
}

static struct secret *find(const struct evs_secrets *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i].name, name) == 0)
			return &s->v[i];
	return NULL;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Serialise with @skip left out and @repl's value for its name (both may be
 * NULL), write durably. */
static int save(struct evs_secrets *s, const struct secret *skip, const struct secret *extra)
{
	static const char hex[] = "0123456789abcdef";
	size_t cap = 64, len = 0, i, k;
	char *buf;
	int dirfd, rc;

	for (i = 0; i < s->n; i++)
		cap += strlen(s->v[i].name) + 2 * s->v[i].len + 8;
	if (extra != NULL)
		cap += strlen(extra->name) + 2 * extra->len + 8;
	buf = malloc(cap);
	if (buf == NULL)
		return -ENOMEM;
	len += (size_t)sprintf(buf, "{\"version\":1,\"secrets\":{");
	for (i = 0; i <= s->n; i++) {
		const struct secret *e = i < s->n ? &s->v[i] : extra;

		if (e == NULL || e == skip || (i < s->n && extra && !strcmp(e->name, extra->name)))
			continue;
		/* Names are checked to need no JSON escaping. */
		len += (size_t)sprintf(buf + len, "%s\"%s\":\"", len > 24 ? "," : "", e->name);
		for (k = 0; k < e->len; k++) {
			buf[len++] = hex[e->val[k] >> 4];
			buf[len++] = hex[e->val[k] & 15];
		}
		buf[len++] = '"';
	}
	len += (size_t)sprintf(buf + len, "}}\n");
	dirfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	rc = dirfd < 0 ? -errno : evs_persist_write_at(dirfd, s->name, buf, len, &secret_opts);
	if (dirfd >= 0)
		close(dirfd);
	wipe_free(buf, cap);
	return rc;
}

static int add_entry(struct evs_secrets *s, const char *name, const char *hexs)
{
	size_t n = strlen(hexs), i;
	struct secret *e;

	if (!secret_name_ok(name) || n % 2 != 0 || n / 2 > EVS_SECRET_VALUE_MAX ||
	    find(s, name) != NULL)
		return -EINVAL;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		struct secret *v = realloc(s->v, cap * sizeof(*v));

		if (v == NULL)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	e = &s->v[s->n];
	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->len = n / 2;
	e->val = malloc(e->len ? e->len : 1);
	if (e->val == NULL)
		return -ENOMEM;
	for (i = 0; i < e->len; i++) {
		int hi = hexval(hexs[2 * i]), lo = hexval(hexs[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			wipe_free(e->val, e->len);
			return -EINVAL;
		}
		e->val[i] = (uint8_t)(hi << 4 | lo);
	}
	s->n++;
	return 0;
}

/* jansson keeps its own copies of the hex strings: wipe them too. */
static void wipe_json(json_t *doc)
{
	json_t *sec = json_object_get(doc, "secrets"), *v;
	const char *k;

	json_object_foreach (sec, k, v) {
		if (json_is_string(v))
			explicit_bzero((char *)(uintptr_t)json_string_value(v),
				       json_string_length(v));
	}
	json_decref(doc);
}

static int load(struct evs_secrets *s, const char *path)
{
	json_error_t jerr;
	json_t *doc, *sec, *v;
	const char *k;
	char *buf;
	size_t len;
	int rc = persist_read_file(path, &buf, &len);

	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	wipe_free(buf, len);
	sec = json_object_get(doc, "secrets");
	if (doc == NULL || !json_is_object(sec) ||
	    json_integer_value(json_object_get(doc, "version")) != 1) {
		rc = -EBADMSG;
		goto out;
	}
	json_object_foreach (sec, k, v) {
		rc = json_is_string(v) ? add_entry(s, k, json_string_value(v)) : -EINVAL;
		if (rc < 0) {
			rc = rc == -EINVAL ? -EBADMSG : rc;
			goto out;
		}
	}
	/* Someone loosened its mode: secrets are for root (or our user) only. */
	chmod(path, 0600);
out:
	if (doc != NULL)
		wipe_json(doc);
	return rc;
}

struct evs_secrets *evs_secrets_open(const char *path)
{
	struct evs_secrets *s;
	char *d1 = NULL, *d2 = NULL;
	int rc = -ENOMEM;

	if (path == NULL || path[0] == '\0') {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	d1 = strdup(path);
	d2 = strdup(path);
	if (s == NULL || d1 == NULL || d2 == NULL)
		goto err;
	s->dir = strdup(dirname(d1));
	s->name = strdup(basename(d2));
	if (s->dir == NULL || s->name == NULL)
		goto err;
	rc = persist_name_ok(s->name) ? load(s, path) : -EINVAL;
	if (rc < 0)
		goto err;
	free(d1);
	free(d2);
	return s;
err:
	free(d1);
	free(d2);
	evs_secrets_free(s);
	errno = -rc;
	return NULL;
}

void evs_secrets_free(struct evs_secrets *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++)
		wipe_free(s->v[i].val, s->v[i].len);
	free(s->v);
	free(s->dir);
	free(s->name);
	free(s);
}

int evs_secret_put(struct evs_secrets *s, const char *name, const void *value, size_t len)
{
	struct secret nw = {0}, *old;
	int rc;

	if (s == NULL || name == NULL || !secret_name_ok(name) || (value == NULL && len > 0) ||
	    len > EVS_SECRET_VALUE_MAX)
		return -EINVAL;
	snprintf(nw.name, sizeof(nw.name), "%s", name);
	nw.len = len;
	nw.val = malloc(len ? len : 1);
	if (nw.val == NULL)
		return -ENOMEM;
	memcpy(nw.val, value, len);
	old = find(s, name);
	if (old == NULL && s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		struct secret *v = realloc(s->v, cap * sizeof(*v));

		if (v == NULL) {
			wipe_free(nw.val, nw.len);
			return -ENOMEM;
		}
		s->v = v;
		s->cap = cap;
	}
	rc = save(s, NULL, &nw);
	if (rc < 0) {
		wipe_free(nw.val, nw.len);
		return rc;
	}
	if (old != NULL) {
		wipe_free(old->val, old->len);
		*old = nw;
	} else {
		s->v[s->n++] = nw;
	}
	return 0;
}

int evs_secret_get(const struct evs_secrets *s, const char *name, void *buf, size_t size,
		   size_t *len)
{
	const struct secret *e;

	if (s == NULL || name == NULL || len == NULL || (buf == NULL && size > 0))
		return -EINVAL;
	e = find(s, name);
	if (e == NULL)
		return -ENOENT;
	*len = e->len;
	if (size < e->len)
		return -ENOBUFS;
	memcpy(buf, e->val, e->len);
	return 0;
}

int evs_secret_del(struct evs_secrets *s, const char *name)
{
	struct secret *e;
	int rc;

	if (s == NULL || name == NULL)
		return -EINVAL;
	e = find(s, name);
	if (e == NULL)
		return -ENOENT;
	rc = save(s, e, NULL);
	if (rc < 0)
		return rc;
	wipe_free(e->val, e->len);
	*e = s->v[--s->n];
	return 0;
}

/* Entry @name of @v (@n entries), or NULL. */
static struct secret *find_in(struct secret *v, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

int evs_secrets_update(struct evs_secrets *s, const struct evs_secret_change *c, size_t n)
{
	/* Work on a copy of the entries; @own marks values allocated here,
	 * @drop collects the old values replaced or removed (freed on success). */
	struct evs_secrets tmp;
	struct secret *v, *e;
	uint8_t **drop = NULL;
	size_t *dlen = NULL, nd = 0, i, cap;
	bool *own = NULL;
	int rc = -ENOMEM;

	if (s == NULL || (c == NULL && n > 0))
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (c[i].name == NULL || !secret_name_ok(c[i].name) ||
		    (c[i].value == NULL && c[i].len > 0) || c[i].len > EVS_SECRET_VALUE_MAX)
			return -EINVAL;
	if (n == 0)
		return 0;
	cap = s->n + n;
	v = calloc(cap, sizeof(*v));
	own = calloc(cap, sizeof(*own));
	drop = calloc(cap, sizeof(*drop));
	dlen = calloc(cap, sizeof(*dlen));
	if (v == NULL || own == NULL || drop == NULL || dlen == NULL)
		goto out;
	if (s->n > 0)
		memcpy(v, s->v, s->n * sizeof(*v));
	tmp = *s;
	tmp.v = v;
	for (i = 0; i < n; i++) {
		uint8_t *val = NULL;

		e = find_in(v, tmp.n, c[i].name);
		if (c[i].value != NULL) {
			val = malloc(c[i].len ? c[i].len : 1);
			if (val == NULL)
				goto out;
			memcpy(val, c[i].value, c[i].len);
		}
		if (e != NULL) { /* its old value goes */
			size_t k = (size_t)(e - v);

			if (own[k]) {
				wipe_free(e->val, e->len);
			} else {
				drop[nd] = e->val;
				dlen[nd++] = e->len;
			}
			if (val == NULL) { /* removed: the last entry fills its slot */
				*e = v[--tmp.n];
				own[k] = own[tmp.n];
				own[tmp.n] = false;
				continue;
			}
		} else if (val == NULL) {
			continue;
		} else {
			e = &v[tmp.n++];
			snprintf(e->name, sizeof(e->name), "%s", c[i].name);
		}
		e->val = val;
		e->len = c[i].len;
		own[e - v] = true;
	}
	rc = save(&tmp, NULL, NULL);
	if (rc == 0) {
		for (i = 0; i < nd; i++)
			wipe_free(drop[i], dlen[i]);
		free(s->v);
		s->v = v;
		s->n = tmp.n;
		s->cap = cap;
		v = NULL;
	}
out:
	for (i = 0; v != NULL && i < cap; i++)
		if (own[i])
			wipe_free(v[i].val, v[i].len);
	free(v);
	free(own);
	free(drop);
	free(dlen);
	return rc;
}

size_t evs_secrets_count(const struct evs_secrets *s)
{
	return s != NULL ? s->n : 0;
}
