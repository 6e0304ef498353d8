/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The request parser for large lines: builds the same jansson tree as
 * json_loadb(JSON_DECODE_ANY | JSON_REJECT_DUPLICATES) in about half the
 * time (jansson's lexer reads a byte at a time through a stream, copies
 * every token into a buffer and every key once more). It only ever
 * accepts: anything it does not handle itself (an error, \u0000, a number
 * out of range, deep nesting, a non-C locale's strtod) makes it give up,
 * and jansson parses the line instead, so errors and their text are
 * jansson's own. Being stricter than jansson is safe; accepting what
 * jansson refuses, or building another tree, is a bug (test_ctl_json.c
 * compares both on random and mangled documents).
 */

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "evs_ctl.h"

/* Below jansson's JSON_PARSER_MAX_DEPTH (2048): deeper goes to jansson. */
#define JP_MAX_DEPTH 512
/* Short string values repeat (a switch's or port's name in a million MACs)
 * and nothing in the tree changes a value in place (values are shared by
 * reference throughout the daemon), so equal ones share one json_t: two
 * allocations fewer each. Direct-mapped, last one wins. */
#define JP_INTERN_LEN 16
#define JP_INTERN_SLOTS 256

struct jp {
	const unsigned char *p;
	const unsigned char *end;
	char *tmp; /* decoded strings with escapes, number text */
	size_t tmp_cap;
	unsigned int depth;
	json_t *intern[JP_INTERN_SLOTS];
};

static json_t *jp_value(struct jp *j);

static inline void jp_ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t'))
		j->p++;
}

static int jp_tmp_reserve(struct jp *j, size_t n)
{
	char *t;
	size_t cap = j->tmp_cap ? j->tmp_cap : 256;

	if (n <= j->tmp_cap)
		return 0;
	while (cap < n)
		cap *= 2;
	t = realloc(j->tmp, cap);
	if (t == NULL)
		return -ENOMEM;
	j->tmp = t;
	j->tmp_cap = cap;
	return 0;
}

/* One UTF-8 sequence at p (RFC 3629: no overlongs, no surrogates, at most
 * U+10FFFF), as jansson's utf8_check_full; its length or 0. */
static size_t jp_utf8(const unsigned char *p, const unsigned char *end)
{
	unsigned int c = p[0], v, n, i;

	if (c >= 0xC2 && c <= 0xDF) {
		n = 2;
		v = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		v = c & 0x0F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		v = c & 0x07;
	} else {
		return 0;
	}
	if ((size_t)(end - p) < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		v = (v << 6) | (p[i] & 0x3F);
	}
	if ((n == 3 && v < 0x800) || (n == 4 && v < 0x10000) || v > 0x10FFFF ||
	    (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	return n;
}

static int jp_hex4(const unsigned char *p, unsigned int *out)
{
	unsigned int v = 0, i, c;

	for (i = 0; i < 4; i++) {
		c = p[i];
		if (c >= '0' && c <= '9')
			c -= '0';
		else if (c >= 'a' && c <= 'f')
			c = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			c = c - 'A' + 10;
		else
			return -EINVAL;
		v = (v << 4) | c;
	}
	*out = v;
	return 0;
}

static size_t jp_put_utf8(char *o, unsigned int cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* The rest of a string with an escape, from s (after the quote): decoded
 * into tmp. */
static int jp_string_slow(struct jp *j, const unsigned char *s, const char **out, size_t *len)
{
	const unsigned char *p = s;
	unsigned int cp, lo;
	size_t n = 0, k;
	char *o;

	/* Decoded is never longer than the source (\uXXXX: 6 bytes -> <= 3,
	 * a pair: 12 -> 4). */
	while (p < j->end && *p != '"') {
		if (*p == '\\' && p + 1 < j->end)
			p++;
		p++;
	}
	if (p >= j->end || jp_tmp_reserve(j, (size_t)(p - s) + 1) < 0)
		return -EINVAL;
	o = j->tmp;
	p = s;
	for (;;) {
		if (p >= j->end)
			return -EINVAL;
		if (*p == '"')
			break;
		if (*p < 0x20)
			return -EINVAL;
		if (*p >= 0x80) {
			k = jp_utf8(p, j->end);
			if (k == 0)
				return -EINVAL;
			memcpy(o + n, p, k);
			n += k;
			p += k;
			continue;
		}
		if (*p != '\\') {
			o[n++] = (char)*p++;
			continue;
		}
		if (++p >= j->end)
			return -EINVAL;
		switch (*p++) {
		case '"':
			o[n++] = '"';
			continue;
		case '\\':
			o[n++] = '\\';
			continue;
		case '/':
			o[n++] = '/';
			continue;
		case 'b':
			o[n++] = '\b';
			continue;
		case 'f':
			o[n++] = '\f';
			continue;
		case 'n':
			o[n++] = '\n';
			continue;
		case 'r':
			o[n++] = '\r';
			continue;
		case 't':
			o[n++] = '\t';
			continue;
		case 'u':
			break;
		default:
			return -EINVAL;
		}
		if (j->end - p < 4 || jp_hex4(p, &cp) < 0)
			return -EINVAL;
		p += 4;
		if (cp == 0 || (cp >= 0xDC00 && cp <= 0xDFFF))
			return -EINVAL; /* NUL needs JSON_ALLOW_NUL; a lone low surrogate */
		if (cp >= 0xD800 && cp <= 0xDBFF) {
			if (j->end - p < 6 || p[0] != '\\' || p[1] != 'u' ||
			    jp_hex4(p + 2, &lo) < 0 || lo < 0xDC00 || lo > 0xDFFF)
				return -EINVAL;
			p += 6;
			cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
		}
		n += jp_put_utf8(o + n, cp);
	}
	j->p = p + 1;
	*out = o;
	*len = n;
	return 0;
}

/* A string at j->p (its opening quote): its bytes, in the input when it has
 * no escape (the common case: one pass, no copy), else in tmp. */
static int jp_string(struct jp *j, const char **out, size_t *len)
{
	const unsigned char *s = j->p + 1, *p = s;
	size_t k;

	for (;;) {
		while (p < j->end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
			p++;
		if (p >= j->end || *p < 0x20)
			return -EINVAL;
		if (*p == '"')
			break;
		if (*p == '\\')
			return jp_string_slow(j, s, out, len);
		k = jp_utf8(p, j->end);
		if (k == 0)
			return -EINVAL;
		p += k;
	}
	*out = (const char *)s;
	*len = (size_t)(p - s);
	j->p = p + 1;
	return 0;
}

static json_t *jp_string_value(struct jp *j, const char *s, size_t len)
{
	unsigned int h = (unsigned int)len, i;
	json_t **slot, *v;

	if (len > JP_INTERN_LEN)
		return json_stringn_nocheck(s, len);
	for (i = 0; i < len; i++)
		h = h * 31 + (unsigned char)s[i];
	slot = &j->intern[(h ^ (h >> 8)) % JP_INTERN_SLOTS];
	v = *slot;
	if (v != NULL && json_string_length(v) == len && memcmp(json_string_value(v), s, len) == 0)
		return json_incref(v);
	v = json_stringn_nocheck(s, len);
	if (v != NULL) {
		json_decref(*slot);
		*slot = json_incref(v);
	}
	return v;
}

static inline bool jp_digit(const unsigned char *p, const unsigned char *end)
{
	return p < end && *p >= '0' && *p <= '9';
}

static json_t *jp_number(struct jp *j)
{
	const unsigned char *s = j->p, *p = s;
	unsigned long long u = 0;
	bool neg = false;
	char *e;
	double d;

	if (*p == '-') {
		neg = true;
		p++;
	}
	if (!jp_digit(p, j->end))
		return NULL;
	if (*p == '0') {
		p++;
		if (jp_digit(p, j->end))
			return NULL; /* a leading zero */
	} else {
		while (jp_digit(p, j->end)) {
			if (u > (ULLONG_MAX - 9) / 10)
				return NULL; /* far out of range: jansson's error */
			u = u * 10 + (unsigned)(*p++ - '0');
		}
	}
	if (p >= j->end || (*p != '.' && *p != 'e' && *p != 'E')) {
		if ((!neg && u > (unsigned long long)LLONG_MAX) ||
		    (neg && u > (unsigned long long)LLONG_MAX + 1))
			return NULL;
		j->p = p;
		return json_integer(neg ? (json_int_t)(0 - u) : (json_int_t)u);
	}
	if (*p == '.') {
		p++;
		if (!jp_digit(p, j->end))
			return NULL;
		while (jp_digit(p, j->end))
			p++;
	}
	if (p < j->end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < j->end && (*p == '+' || *p == '-'))
			p++;
		if (!jp_digit(p, j->end))
			return NULL;
		while (jp_digit(p, j->end))
			p++;
	}
	/* strtod needs a terminated copy: the input is not. */
	if (jp_tmp_reserve(j, (size_t)(p - s) + 1) < 0)
		return NULL;
	memcpy(j->tmp, s, (size_t)(p - s));
	j->tmp[p - s] = '\0';
	errno = 0;
	d = strtod(j->tmp, &e);
	if (e != j->tmp + (p - s) || (errno == ERANGE && isinf(d)))
		return NULL; /* a locale's decimal point; overflow (jansson refuses it) */
	j->p = p;
	return json_real(d);
}

static json_t *jp_object(struct jp *j)
{
	json_t *o = json_object(), *v;
	const char *k;
	size_t kl, n = 0;

	if (o == NULL)
		return NULL;
	j->p++;
	jp_ws(j);
	if (j->p < j->end && *j->p == '}') {
		j->p++;
		return o;
	}
	for (;;) {
		if (j->p >= j->end || *j->p != '"' || jp_string(j, &k, &kl) < 0)
			goto fail;
		jp_ws(j);
		if (j->p >= j->end || *j->p != ':')
			goto fail;
		/* The key may live in tmp, which the value reuses. */
		if (k == j->tmp) {
			char *kc = malloc(kl ? kl : 1);

			if (kc == NULL)
				goto fail;
			memcpy(kc, k, kl);
			j->p++;
			jp_ws(j);
			v = jp_value(j);
			if (v == NULL || json_object_setn_new_nocheck(o, kc, kl, v) < 0) {
				free(kc);
				goto fail;
			}
			free(kc);
		} else {
			j->p++;
			jp_ws(j);
			v = jp_value(j);
			if (v == NULL || json_object_setn_new_nocheck(o, k, kl, v) < 0)
				goto fail;
		}
		if (json_object_size(o) != ++n)
			goto fail; /* a duplicate key replaced the first: refused */
		jp_ws(j);
		if (j->p >= j->end)
			goto fail;
		if (*j->p == '}') {
			j->p++;
			return o;
		}
		if (*j->p != ',')
			goto fail;
		j->p++;
		jp_ws(j);
	}
fail:
	json_decref(o);
	return NULL;
}

static json_t *jp_array(struct jp *j)
{
	json_t *a = json_array(), *v;

	if (a == NULL)
		return NULL;
	j->p++;
	jp_ws(j);
	if (j->p < j->end && *j->p == ']') {
		j->p++;
		return a;
	}
	for (;;) {
		v = jp_value(j);
		if (v == NULL || json_array_append_new(a, v) < 0)
			goto fail;
		jp_ws(j);
		if (j->p >= j->end)
			goto fail;
		if (*j->p == ']') {
			j->p++;
			return a;
		}
		if (*j->p != ',')
			goto fail;
		j->p++;
		jp_ws(j);
	}
fail:
	json_decref(a);
	return NULL;
}

static bool jp_word(struct jp *j, const char *w, size_t n)
{
	if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n) != 0)
		return false;
	j->p += n;
	return true;
}

static json_t *jp_value(struct jp *j)
{
	const char *s;
	size_t len;
	json_t *v;

	if (j->p >= j->end)
		return NULL;
	switch (*j->p) {
	case '{':
	case '[':
		if (++j->depth > JP_MAX_DEPTH)
			return NULL;
		v = *j->p == '{' ? jp_object(j) : jp_array(j);
		j->depth--;
		return v;
	case '"':
		if (jp_string(j, &s, &len) < 0)
			return NULL;
		return jp_string_value(j, s, len);
	case 't':
		return jp_word(j, "true", 4) ? json_true() : NULL;
	case 'f':
		return jp_word(j, "false", 5) ? json_false() : NULL;
	case 'n':
		return jp_word(j, "null", 4) ? json_null() : NULL;
	default:
		return jp_number(j);
	}
}

json_t *evs_ctl_json_parse_fast(const char *buf, size_t len)
{
	struct jp j = {
	    .p = (const unsigned char *)buf,
	    .end = (const unsigned char *)buf + len,
	};
	json_t *v;
	size_t i;

	jp_ws(&j);
	v = jp_value(&j);
	if (v != NULL) {
		jp_ws(&j);
		if (j.p != j.end) {
			json_decref(v); /* trailing bytes: jansson's error */
			v = NULL;
		}
	}
	for (i = 0; i < JP_INTERN_SLOTS; i++)
		json_decref(j.intern[i]);
	free(j.tmp);
	return v;
}

json_t *evs_ctl_json_load(const char *buf, size_t len, json_error_t *err)
{
	json_t *v = evs_ctl_json_parse_fast(buf, len);

	if (v != NULL)
		return v;
	return json_loadb(buf, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, err);
}
