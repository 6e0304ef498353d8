/* SPDX-License-Identifier: BSD-3-Clause */
/* Results printed for people (edgevsctl without --json): arrays of objects as
 * tables, objects as aligned "key: value" lines. */

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "evs_ctl.h"

/* Columns in code points, not bytes, so UTF-8 names line up. */
static size_t text_width(const char *s)
{
	size_t w = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

static void pad(FILE *out, size_t n)
{
	while (n-- > 0)
		fputc(' ', out);
}

/* Text of a scalar or compact JSON of anything else, malloc'd. Control
 * characters in strings are escaped when one_line, so a cell stays a cell. */
static char *value_text(const json_t *v, bool one_line)
{
	const char *s;
	char *t, *o;

	if (v == NULL)
		return strdup("-");
	if (!json_is_string(v))
		return json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	s = json_string_value(v);
	if (!one_line)
		return strdup(s);
	t = malloc(strlen(s) * 4 + 1);
	if (t == NULL)
		return NULL;
	for (o = t; *s != '\0'; s++) {
		if (*s == '\n')
			o += sprintf(o, "\\n");
		else if (*s == '\t')
			o += sprintf(o, "\\t");
		else if ((unsigned char)*s < 0x20 || *s == 0x7f)
			o += sprintf(o, "\\x%02x", (unsigned char)*s);
		else
			*o++ = *s;
	}
	*o = '\0';
	return t;
}

static bool all_objects(const json_t *a)
{
	size_t i;
	json_t *v;

	if (json_array_size(a) == 0)
		return false;
	json_array_foreach(a, i, v)
	{
		if (!json_is_object(v))
			return false;
	}
	return true;
}

static bool all_scalars(const json_t *a)
{
	size_t i;
	json_t *v;

	json_array_foreach(a, i, v)
	{
		if (json_is_object(v) || json_is_array(v))
			return false;
	}
	return true;
}

static size_t find_col(const char **names, size_t n, const char *key)
{
	size_t c;

	for (c = 0; c < n; c++)
		if (strcmp(names[c], key) == 0)
			return c;
	return n;
}

/* Columns: every key of every row. A key first seen in a later row goes right
 * after the key it follows there, so optional fields stay near their peers. */
static size_t table_columns(const json_t *rows, const char **names)
{
	size_t n = 0, r, c, at;
	const char *key;
	json_t *row, *v;

	json_array_foreach(rows, r, row)
	{
		at = 0;
		json_object_foreach(row, key, v)
		{
			c = find_col(names, n, key);
			if (c == n) {
				memmove(&names[at + 1], &names[at], (n - at) * sizeof(*names));
				names[at] = key;
				c = at;
				n++;
			}
			at = c + 1;
		}
	}
	return n;
}

static int print_table(FILE *out, const json_t *rows, size_t indent)
{
	size_t n_rows = json_array_size(rows), n_cols, max_cols = 0, r, c, *w = NULL;
	const char **names = NULL;
	char **cells = NULL;
	const char *h;
	json_t *row;
	int rc = -ENOMEM;

	json_array_foreach(rows, r, row)
	{
		max_cols += json_object_size(row);
	}
	names = calloc(max_cols + 1, sizeof(*names));
	if (names == NULL)
		return -ENOMEM;
	n_cols = table_columns(rows, names);
	w = calloc(n_cols + 1, sizeof(*w));
	cells = calloc(n_rows * n_cols + 1, sizeof(*cells));
	if (w == NULL || cells == NULL)
		goto out;
	for (c = 0; c < n_cols; c++)
		w[c] = text_width(names[c]);
	for (r = 0; r < n_rows; r++) {
		for (c = 0; c < n_cols; c++) {
			cells[r * n_cols + c] =
			    value_text(json_object_get(json_array_get(rows, r), names[c]), true);
			if (cells[r * n_cols + c] == NULL)
				goto out;
			if (text_width(cells[r * n_cols + c]) > w[c])
				w[c] = text_width(cells[r * n_cols + c]);
		}
	}
	pad(out, indent);
	for (c = 0; c < n_cols; c++) {
		for (h = names[c]; *h != '\0'; h++)
			fputc(toupper((unsigned char)*h), out);
		if (c + 1 < n_cols)
			pad(out, w[c] - text_width(names[c]) + 2);
	}
	fputc('\n', out);
	for (r = 0; r < n_rows; r++) {
		pad(out, indent);
		for (c = 0; c < n_cols; c++) {
			fputs(cells[r * n_cols + c], out);
			if (c + 1 < n_cols)
				pad(out, w[c] - text_width(cells[r * n_cols + c]) + 2);
		}
		fputc('\n', out);
	}
	rc = 0;
out:
	for (r = 0; cells != NULL && r < n_rows * n_cols; r++)
		free(cells[r]);
	free(cells);
	free(w);
	free(names);
	return rc;
}

/* An object flattened: "a.b" keys with text values, or tables. */
struct kv {
	char *key;
	char *text;	     /* NULL for a table */
	const json_t *table; /* array of objects */
};

struct kv_list {
	struct kv *v;
	size_t n, cap;
};

static int kv_add(struct kv_list *l, const char *prefix, const char *key, char *text,
		  const json_t *table)
{
	struct kv *p;
	size_t len;

	if (text == NULL && table == NULL)
		return -ENOMEM;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		p = realloc(l->v, l->cap * sizeof(*p));
		if (p == NULL) {
			free(text);
			return -ENOMEM;
		}
		l->v = p;
	}
	len = strlen(prefix) + strlen(key) + 1;
	l->v[l->n].key = malloc(len);
	if (l->v[l->n].key == NULL) {
		free(text);
		return -ENOMEM;
	}
	snprintf(l->v[l->n].key, len, "%s%s", prefix, key);
	l->v[l->n].text = text;
	l->v[l->n].table = table;
	l->n++;
	return 0;
}

static char *join_scalars(const json_t *a)
{
	char *buf = NULL, *t;
	size_t len = 0, i;
	json_t *v;
	FILE *f;

	if (json_array_size(a) == 0)
		return strdup("[]");
	f = open_memstream(&buf, &len);
	if (f == NULL)
		return NULL;
	json_array_foreach(a, i, v)
	{
		t = value_text(v, true);
		fprintf(f, "%s%s", i ? ", " : "", t ? t : "?");
		free(t);
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int flatten(const json_t *obj, const char *prefix, struct kv_list *l)
{
	const char *key;
	json_t *v;
	char *sub;
	size_t len;
	int rc = 0;

	json_object_foreach((json_t *)obj, key, v)
	{
		if (json_is_object(v) && json_object_size(v) > 0) {
			len = strlen(prefix) + strlen(key) + 2;
			sub = malloc(len);
			if (sub == NULL)
				return -ENOMEM;
			snprintf(sub, len, "%s%s.", prefix, key);
			rc = flatten(v, sub, l);
			free(sub);
		} else if (json_is_array(v) && all_objects(v)) {
			rc = kv_add(l, prefix, key, NULL, v);
		} else if (json_is_array(v) && all_scalars(v)) {
			rc = kv_add(l, prefix, key, join_scalars(v), NULL);
		} else {
			rc = kv_add(l, prefix, key, value_text(v, false), NULL);
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Multi-line values continue under the value column. */
static void print_text(FILE *out, const char *text, size_t col)
{
	const char *nl;

	while ((nl = strchr(text, '\n')) != NULL) {
		fwrite(text, 1, (size_t)(nl - text), out);
		fputc('\n', out);
		pad(out, col);
		text = nl + 1;
	}
	fputs(text, out);
	fputc('\n', out);
}

static int print_object(FILE *out, const json_t *obj)
{
	struct kv_list l = {0};
	size_t i, kw = 0;
	int rc;

	rc = flatten(obj, "", &l);
	for (i = 0; rc == 0 && i < l.n; i++)
		if (l.v[i].text != NULL && text_width(l.v[i].key) > kw)
			kw = text_width(l.v[i].key);
	for (i = 0; rc == 0 && i < l.n; i++) {
		if (l.v[i].text == NULL) {
			fprintf(out, "%s:\n", l.v[i].key);
			rc = print_table(out, l.v[i].table, 2);
			continue;
		}
		fprintf(out, "%s:", l.v[i].key);
		pad(out, kw - text_width(l.v[i].key) + 1);
		print_text(out, l.v[i].text, kw + 2);
	}
	for (i = 0; i < l.n; i++) {
		free(l.v[i].key);
		free(l.v[i].text);
	}
	free(l.v);
	return rc;
}

int evs_ctl_cli_print(FILE *out, const json_t *result)
{
	char *t;
	size_t i;
	json_t *v;
	int rc = 0;

	if (result == NULL || json_is_null(result)) {
		/* nothing: success is the exit status */
	} else if (json_is_object(result)) {
		rc = json_object_size(result) ? print_object(out, result) : 0;
	} else if (json_is_array(result) && json_array_size(result) == 0) {
		fputs("(none)\n", out);
	} else if (json_is_array(result) && all_objects(result)) {
		rc = print_table(out, result, 0);
	} else if (json_is_array(result) && all_scalars(result)) {
		json_array_foreach(result, i, v)
		{
			t = value_text(v, true);
			if (t == NULL)
				return -ENOMEM;
			fprintf(out, "%s\n", t);
			free(t);
		}
	} else if (json_is_array(result)) {
		rc = json_dumpf(result, out, JSON_INDENT(2)) < 0 ? -EIO : 0;
		fputc('\n', out);
	} else {
		t = value_text(result, false);
		if (t == NULL)
			return -ENOMEM;
		fprintf(out, "%s\n", t);
		free(t);
	}
	if (rc == 0 && (fflush(out) != 0 || ferror(out)))
		rc = -EIO;
	return rc;
}
