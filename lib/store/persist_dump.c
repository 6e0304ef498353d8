/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * JSON text straight into a growing buffer: the journal's lines (compact)
 * and the persisted document (indented by 2). A bulk apply's line holds a
 * million records (~100 MB), the document of a million objects ~90 MB;
 * json_dumps() builds them through a callback per token into its own
 * buffer, which the caller then copies. This writes each once, in place,
 * byte for byte what json_dumps(JSON_COMPACT | JSON_PRESERVE_ORDER) and
 * json_dumps(JSON_INDENT(2) | JSON_PRESERVE_ORDER) write (the unit test
 * compares them on random trees); reals, rare in a config, are left to it.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "persist_private.h"

enum { DUMP_MAX_DEPTH = 2048 }; /* jansson's parser allows no deeper */

int persist_buf_reserve(struct persist_buf *b, size_t n)
{
	size_t cap;
	char *p;

	if (b->cap - b->len >= n)
		return 0;
	if (n > SIZE_MAX / 2 - b->len)
		return -ENOMEM;
	cap = b->cap ? b->cap : 4096;
	while (cap - b->len < n)
		cap *= 2;
	p = realloc(b->p, cap); /* large: mremap, no copy */
	if (p == NULL)
		return -ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

int persist_buf_put(struct persist_buf *b, const void *data, size_t n)
{
	int rc = persist_buf_reserve(b, n);

	if (rc == 0 && n > 0) { /* an empty tail: b->p may be NULL */
		memcpy(b->p + b->len, data, n);
		b->len += n;
	}
	return rc;
}

void persist_buf_free(struct persist_buf *b)
{
	free(b->p);
	*b = (struct persist_buf){0};
}

/* jansson's escapes: the two mandatory ones, the short forms of \b \f \n
 * \r \t, \u00XX (upper-case hex) for other control characters; UTF-8 and
 * '/' as they are. */
static int put_string(struct persist_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	char *o;
	size_t i;

	if (n > (SIZE_MAX - 2) / 6 || persist_buf_reserve(b, n * 6 + 2) < 0)
		return -ENOMEM;
	o = b->p + b->len;
	*o++ = '"';
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c != '"' && c != '\\') {
			*o++ = (char)c;
			continue;
		}
		*o++ = '\\';
		switch (c) {
		case '"':
		case '\\':
			*o++ = (char)c;
			break;
		case '\b':
			*o++ = 'b';
			break;
		case '\f':
			*o++ = 'f';
			break;
		case '\n':
			*o++ = 'n';
			break;
		case '\r':
			*o++ = 'r';
			break;
		case '\t':
			*o++ = 't';
			break;
		default:
			memcpy(o, "u00", 3);
			o[3] = hex[c >> 4];
			o[4] = hex[c & 15];
			o += 5;
			break;
		}
	}
	*o++ = '"';
	b->len = (size_t)(o - b->p);
	return 0;
}

static int put_integer(struct persist_buf *b, json_int_t v)
{
	char tmp[24], *e = tmp + sizeof(tmp), *s = e;
	unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;

	do {
		*--s = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--s = '-';
	return persist_buf_put(b, s, (size_t)(e - s));
}

static int put_real(struct persist_buf *b, const json_t *v)
{
	char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	int rc = s != NULL ? persist_buf_put(b, s, strlen(s)) : -ENOMEM;

	free(s);
	return rc;
}

/* jansson's layout: compact (@indent 0), or each member on its own line
 * indented by @indent per level (a newline and depth x indent spaces). */
static int put_break(struct persist_buf *b, unsigned int indent, unsigned int depth)
{
	size_t n = (size_t)indent * depth;
	int rc;

	if (indent == 0)
		return 0;
	rc = persist_buf_reserve(b, n + 1);
	if (rc == 0) {
		b->p[b->len] = '\n';
		memset(b->p + b->len + 1, ' ', n);
		b->len += n + 1;
	}
	return rc;
}

static int dump(struct persist_buf *b, const json_t *v, unsigned int indent, unsigned int depth)
{
	const char *k;
	size_t i, kl;
	json_t *x;
	int rc = 0;

	if (depth > DUMP_MAX_DEPTH)
		return -ELOOP;
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		if (json_object_size(v) == 0)
			return persist_buf_put(b, "{}", 2);
		rc = persist_buf_put(b, "{", 1);
		i = 0;
		json_object_keylen_foreach((json_t *)v, k, kl, x)
		{
			if (rc == 0 && i++ > 0)
				rc = persist_buf_put(b, ",", 1);
			if (rc == 0)
				rc = put_break(b, indent, depth + 1);
			if (rc == 0)
				rc = put_string(b, k, kl);
			if (rc == 0)
				rc = persist_buf_put(b, ": ", indent ? 2 : 1);
			if (rc == 0)
				rc = dump(b, x, indent, depth + 1);
			if (rc < 0)
				return rc;
		}
		rc = put_break(b, indent, depth);
		return rc < 0 ? rc : persist_buf_put(b, "}", 1);
	case JSON_ARRAY:
		if (json_array_size(v) == 0)
			return persist_buf_put(b, "[]", 2);
		rc = persist_buf_put(b, "[", 1);
		json_array_foreach (v, i, x) {
			if (rc == 0 && i > 0)
				rc = persist_buf_put(b, ",", 1);
			if (rc == 0)
				rc = put_break(b, indent, depth + 1);
			if (rc == 0)
				rc = dump(b, x, indent, depth + 1);
			if (rc < 0)
				return rc;
		}
		rc = rc < 0 ? rc : put_break(b, indent, depth);
		return rc < 0 ? rc : persist_buf_put(b, "]", 1);
	case JSON_STRING:
		return put_string(b, json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		return put_integer(b, json_integer_value(v));
	case JSON_REAL:
		return put_real(b, v);
	case JSON_TRUE:
		return persist_buf_put(b, "true", 4);
	case JSON_FALSE:
		return persist_buf_put(b, "false", 5);
	case JSON_NULL:
		return persist_buf_put(b, "null", 4);
	default:
		return -EINVAL;
	}
}

int persist_dump(struct persist_buf *b, const json_t *v, unsigned int indent)
{
	size_t len = b->len;
	int rc = v != NULL ? dump(b, v, indent, 0) : -EINVAL;

	if (rc < 0)
		b->len = len; /* nothing half-written stays */
	return rc;
}

int persist_dump_compact(struct persist_buf *b, const json_t *v)
{
	return persist_dump(b, v, 0);
}

/* "," KEY ":" then @v (NULL: null), at @depth. */
static int put_member(struct persist_buf *b, const char *key, const json_t *v, unsigned int depth)
{
	int rc = persist_buf_put(b, key, strlen(key));

	if (rc == 0)
		rc = v != NULL ? dump(b, v, 0, depth) : persist_buf_put(b, "null", 4);
	return rc;
}

int persist_dump_recs(struct persist_buf *b, const struct evs_recs *rs)
{
	size_t len = b->len, i;
	int rc = persist_buf_put(b, "[", 1);

	/* What persist_dump_compact(evs_recs_json(rs)) writes, without the
	 * million objects in between. */
	for (i = 0; rc == 0 && i < rs->n; i++) {
		const struct evs_rec *r = &rs->r[i];
		const char *op = evs_rec_op_name(r->op);
		bool both = r->op == EVS_REC_SET || r->op == EVS_REC_SECTION;

		rc = persist_buf_put(b, i > 0 ? ",{\"op\":" : "{\"op\":", i > 0 ? 7 : 6);
		if (rc == 0)
			rc = put_string(b, op, strlen(op));
		if (rc == 0)
			rc = persist_buf_put(
			    b, r->op == EVS_REC_SECTION ? ",\"name\":" : ",\"type\":", 8);
		if (rc == 0)
			rc = put_string(b, r->name, strlen(r->name));
		if (rc == 0 && (r->old != NULL || both))
			rc = put_member(b, ",\"old\":", r->old, 2);
		if (rc == 0 && (r->new != NULL || both))
			rc = put_member(b, ",\"new\":", r->new, 2);
		if (rc == 0)
			rc = persist_buf_put(b, "}", 1);
	}
	if (rc == 0)
		rc = persist_buf_put(b, "]", 1);
	if (rc < 0)
		b->len = len;
	return rc;
}
