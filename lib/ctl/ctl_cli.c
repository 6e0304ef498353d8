/* SPDX-License-Identifier: BSD-3-Clause */
/* edgevsctl's command line: words + key=value -> request. Here rather than in
 * app/ so the unit tests cover it (printing is in ctl_format.c). */

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "evs_ctl.h"

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* "@file" -> file's JSON; JSON text -> that value; anything else -> string. */
static json_t *parse_value(const char *key, const char *text, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *v;

	if (text[0] == '@') {
		v = json_load_file(text + 1, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
		if (v == NULL)
			fail(err, errlen, "%s: cannot read JSON from '%s': %s (line %d)", key,
			     text + 1, jerr.text, jerr.line);
		return v;
	}
	v = json_loads(text, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
	if (v == NULL)
		v = json_string(text);
	if (v == NULL)
		fail(err, errlen, "%s: value is not valid UTF-8", key);
	return v;
}

/* Set params[a][b][c] for key "a.b.c", creating the objects on the way. */
static int set_dotted(json_t *params, const char *key, json_t *value, char *err, size_t errlen)
{
	char *copy = strdup(key), *part, *dot;
	json_t *obj = params, *next;
	int rc = 0;

	if (copy == NULL) {
		json_decref(value);
		return -ENOMEM;
	}
	for (part = copy;; part = dot + 1) {
		dot = strchr(part, '.');
		if (dot != NULL)
			*dot = '\0';
		if (*part == '\0') {
			rc = fail(err, errlen, "'%s': empty key", key);
			break;
		}
		if (dot == NULL) {
			if (json_object_set(obj, part, value) < 0)
				rc = -ENOMEM;
			break;
		}
		next = json_object_get(obj, part);
		if (next == NULL) {
			next = json_object();
			if (next == NULL || json_object_set_new(obj, part, next) < 0) {
				rc = -ENOMEM;
				break;
			}
		} else if (!json_is_object(next)) {
			rc = fail(err, errlen, "'%s': '%s' is already set to a non-object", key,
				  part);
			break;
		}
		obj = next;
	}
	json_decref(value);
	free(copy);
	return rc;
}

static int add_pairs(int argc, char *const argv[], json_t *params, char *err, size_t errlen)
{
	json_t *seen = json_object(), *v;
	const char *eq;
	char *key;
	int i, rc = 0;

	if (seen == NULL)
		return -ENOMEM;
	for (i = 0; i < argc && rc == 0; i++) {
		eq = strchr(argv[i], '=');
		if (eq == NULL) {
			rc =
			    fail(err, errlen, "'%s': expected key=value after the method", argv[i]);
			break;
		}
		key = strndup(argv[i], (size_t)(eq - argv[i]));
		if (key == NULL) {
			rc = -ENOMEM;
			break;
		}
		if (key[0] == '\0') {
			rc = fail(err, errlen, "'%s': empty key", argv[i]);
		} else if (json_object_get(seen, key) != NULL) {
			rc = fail(err, errlen, "'%s' given twice", key);
		} else {
			json_object_set_new(seen, key, json_true());
			v = parse_value(key, eq + 1, err, errlen);
			rc = v ? set_dotted(params, key, v, err, errlen) : -EINVAL;
		}
		free(key);
	}
	json_decref(seen);
	return rc;
}

/* Method words up to the first key=value, joined with '.'. */
static int join_words(int argc, char *const argv[], int *used, char **method, char *err,
		      size_t errlen)
{
	size_t len = 0;
	int i, n;
	char *m;

	for (n = 0; n < argc && strchr(argv[n], '=') == NULL; n++) {
		if (argv[n][0] == '\0' || argv[n][0] == '-')
			return fail(err, errlen, "'%s': not a method word", argv[n]);
		len += strlen(argv[n]) + 1;
	}
	if (n == 0)
		return fail(err, errlen, "no method given");
	m = malloc(len);
	if (m == NULL)
		return -ENOMEM;
	m[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i > 0)
			strcat(m, ".");
		strcat(m, argv[i]);
	}
	*method = m;
	*used = n;
	return 0;
}

int evs_ctl_cli_request(int argc, char *const argv[], const json_t *base, char **method,
			json_t **params, char *err, size_t errlen)
{
	json_t *p, *v;
	char *m = NULL, *target = NULL;
	json_error_t jerr;
	int used = 0, rc;

	*method = NULL;
	*params = NULL;
	if (base != NULL && !json_is_object(base))
		return fail(err, errlen, "params must be a JSON object");
	p = base ? json_deep_copy(base) : json_object();
	if (p == NULL)
		return -ENOMEM;
	if (argc > 0 && strcmp(argv[0], "call") == 0) {
		/* call METHOD ['{json}'] [key=value ...] */
		if (argc < 2 || strchr(argv[1], '=') != NULL) {
			rc = fail(err, errlen, "call: method name expected");
			goto err;
		}
		m = strdup(argv[1]);
		used = 2;
		/* a JSON object may hold '=' in its strings: '{' decides, not '=' */
		if (m != NULL && argc > 2 && (argv[2][0] == '{' || strchr(argv[2], '=') == NULL)) {
			v = json_loads(argv[2], JSON_REJECT_DUPLICATES, &jerr);
			if (!json_is_object(v)) {
				json_decref(v);
				rc = fail(err, errlen, "call: params must be a JSON object: %s",
					  v ? "not an object" : jerr.text);
				goto err;
			}
			json_object_update(p, v);
			json_decref(v);
			used = 3;
		}
	} else if (argc > 0 && strcmp(argv[0], "help") == 0) {
		/* help [method words]: the words name the method to describe */
		m = strdup("help");
		used = 1;
		if (m != NULL && argc > 1) {
			rc = join_words(argc - 1, argv + 1, &used, &target, err, errlen);
			if (rc < 0)
				goto err;
			used++;
			rc = json_object_set_new(p, "method", json_string(target));
			free(target);
			if (rc < 0)
				goto err_nomem;
		}
	} else {
		rc = join_words(argc, argv, &used, &m, err, errlen);
		if (rc < 0)
			goto err;
	}
	if (m == NULL)
		goto err_nomem;
	rc = add_pairs(argc - used, argv + used, p, err, errlen);
	if (rc < 0)
		goto err;
	*method = m;
	*params = p;
	return 0;

err_nomem:
	fail(err, errlen, "out of memory");
	rc = -ENOMEM;
err:
	free(m);
	json_decref(p);
	return rc;
}
