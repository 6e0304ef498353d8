/* SPDX-License-Identifier: BSD-3-Clause */
/* Declarative params validation, JSON pointers and the address parsers it
 * uses. Pure functions: no server state, no logging. */

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ctl_private.h"

static const char *const type_names[] = {
    [EVS_CTL_T_ANY] = "any",
    [EVS_CTL_T_STRING] = "string",
    [EVS_CTL_T_INT] = "int",
    [EVS_CTL_T_UINT] = "uint",
    [EVS_CTL_T_BOOL] = "bool",
    [EVS_CTL_T_OBJECT] = "object",
    [EVS_CTL_T_ARRAY] = "array",
    [EVS_CTL_T_MAC] = "mac",
    [EVS_CTL_T_IPV4] = "ipv4",
    [EVS_CTL_T_IPV6] = "ipv6",
    [EVS_CTL_T_IP] = "ip",
    [EVS_CTL_T_IPV4_PREFIX] = "ipv4-prefix",
    [EVS_CTL_T_IPV6_PREFIX] = "ipv6-prefix",
    [EVS_CTL_T_IP_PREFIX] = "ip-prefix",
};

/* How an error message names what was expected. */
static const char *const type_wants[] = {
    [EVS_CTL_T_ANY] = "a value",
    [EVS_CTL_T_STRING] = "a string",
    [EVS_CTL_T_INT] = "an integer",
    [EVS_CTL_T_UINT] = "an integer >= 0",
    [EVS_CTL_T_BOOL] = "true or false",
    [EVS_CTL_T_OBJECT] = "an object",
    [EVS_CTL_T_ARRAY] = "an array",
    [EVS_CTL_T_MAC] = "a MAC address like \"02:00:00:00:00:01\"",
    [EVS_CTL_T_IPV4] = "an IPv4 address like \"192.0.2.1\"",
    [EVS_CTL_T_IPV6] = "an IPv6 address like \"2001:db8::1\"",
    [EVS_CTL_T_IP] = "an IP address like \"192.0.2.1\" or \"2001:db8::1\"",
    [EVS_CTL_T_IPV4_PREFIX] = "an IPv4 prefix like \"192.0.2.0/24\"",
    [EVS_CTL_T_IPV6_PREFIX] = "an IPv6 prefix like \"2001:db8::/32\"",
    [EVS_CTL_T_IP_PREFIX] = "an IP prefix like \"192.0.2.0/24\" or \"2001:db8::/32\"",
};

const char *ctl_type_name(enum evs_ctl_type t)
{
	return (unsigned)t < sizeof(type_names) / sizeof(type_names[0]) ? type_names[t] : "?";
}

static const char *type_want(enum evs_ctl_type t)
{
	return (unsigned)t < sizeof(type_wants) / sizeof(type_wants[0]) ? type_wants[t] : "a value";
}

/* Append at most size-1 bytes in total; always terminates. */
static size_t append(char *buf, size_t size, size_t len, const char *s, size_t n)
{
	if (len + 1 >= size)
		return len;
	if (n > size - 1 - len)
		n = size - 1 - len;
	memcpy(buf + len, s, n);
	buf[len + n] = '\0';
	return len + n;
}

/* Start the output with base; base may be buf itself. */
static size_t path_start(char *buf, size_t size, const char *base)
{
	if (size == 0)
		return 0;
	if (base == buf)
		return strlen(buf);
	buf[0] = '\0';
	return base != NULL ? append(buf, size, 0, base, strlen(base)) : 0;
}

char *evs_ctl_path_key(char *buf, size_t size, const char *base, const char *key)
{
	size_t len = path_start(buf, size, base);

	if (size == 0)
		return buf;
	len = append(buf, size, len, "/", 1);
	for (; *key != '\0'; key++) {
		if (*key == '~')
			len = append(buf, size, len, "~0", 2);
		else if (*key == '/')
			len = append(buf, size, len, "~1", 2);
		else
			len = append(buf, size, len, key, 1);
	}
	return buf;
}

char *evs_ctl_path_index(char *buf, size_t size, const char *base, size_t index)
{
	char num[24];
	size_t len = path_start(buf, size, base);
	int n = snprintf(num, sizeof(num), "/%zu", index);

	if (size > 0)
		append(buf, size, len, num, (size_t)n);
	return buf;
}

static int err_vset(struct evs_ctl_err *err, int code, const char *path, const char *fmt,
		    va_list ap)
{
	err->code = code;
	err->path[0] = '\0';
	if (path != NULL)
		append(err->path, sizeof(err->path), 0, path, strlen(path));
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	return -EINVAL;
}

int evs_ctl_err_set(struct evs_ctl_err *err, int code, const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(err, code, path, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int invalid(struct evs_ctl_err *err, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int invalid(struct evs_ctl_err *err, const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(err, EVS_CTL_E_INVALID_PARAMS, path, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* A hex digit's value + 1 (0: not one): a MAC is parsed three times per
 * object of a bulk apply (validation, key, the L2 check). */
static const uint8_t hex1[256] = {
    ['0'] = 1,	['1'] = 2,  ['2'] = 3,	['3'] = 4,  ['4'] = 5,	['5'] = 6,  ['6'] = 7,	['7'] = 8,
    ['8'] = 9,	['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
    ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

int evs_ctl_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int i, hi, lo;
	char sep;

	if (s == NULL)
		return -EINVAL;
	sep = s[0] != '\0' && s[1] != '\0' ? s[2] : '\0';
	if (sep != ':' && sep != '-')
		return -EINVAL;
	/* Each byte is looked at only once the ones before it are not NUL. */
	for (i = 0; i < 6; i++) {
		hi = hex1[(unsigned char)s[i * 3]];
		if (hi == 0)
			return -EINVAL;
		lo = hex1[(unsigned char)s[i * 3 + 1]];
		if (lo == 0 || s[i * 3 + 2] != (i < 5 ? sep : '\0'))
			return -EINVAL;
		mac[i] = (uint8_t)((hi - 1) << 4 | (lo - 1));
	}
	return 0;
}

int evs_ctl_parse_ip(const char *s, int *af, uint8_t addr[16], uint8_t *prefix_len)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash;
	size_t alen;
	unsigned long len = 0;
	char *end;
	int fam;

	if (s == NULL)
		return -EINVAL;
	slash = strchr(s, '/');
	if ((slash != NULL) != (prefix_len != NULL))
		return -EINVAL;
	alen = slash ? (size_t)(slash - s) : strlen(s);
	if (alen == 0 || alen >= INET6_ADDRSTRLEN)
		return -EINVAL;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	memset(addr, 0, 16);
	fam = strchr(buf, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(fam, buf, addr) != 1)
		return -EINVAL;
	if (slash != NULL) {
		/* Digits only: strtoul would take "+8", " 8" or "-0". */
		if (slash[1] < '0' || slash[1] > '9' || strlen(slash + 1) > 3)
			return -EINVAL;
		len = strtoul(slash + 1, &end, 10);
		if (*end != '\0' || len > (fam == AF_INET ? 32u : 128u))
			return -EINVAL;
		*prefix_len = (uint8_t)len;
	}
	*af = fam;
	return 0;
}

/* Addresses and prefixes: strings that must parse. */
static bool addr_ok(const char *s, enum evs_ctl_type t)
{
	uint8_t a[16], plen, mac[6];
	int af;
	bool prefix =
	    t == EVS_CTL_T_IPV4_PREFIX || t == EVS_CTL_T_IPV6_PREFIX || t == EVS_CTL_T_IP_PREFIX;

	if (t == EVS_CTL_T_MAC)
		return evs_ctl_parse_mac(s, mac) == 0;
	if (evs_ctl_parse_ip(s, &af, a, prefix ? &plen : NULL) < 0)
		return false;
	if (t == EVS_CTL_T_IPV4 || t == EVS_CTL_T_IPV4_PREFIX)
		return af == AF_INET;
	if (t == EVS_CTL_T_IPV6 || t == EVS_CTL_T_IPV6_PREFIX)
		return af == AF_INET6;
	return true;
}

static int check_object(const json_t *obj, const char *path, const struct evs_ctl_param *spec,
			size_t n, struct evs_ctl_err *err);

static int check_string(const json_t *v, const char *path, const struct evs_ctl_param *p,
			struct evs_ctl_err *err)
{
	size_t len = json_string_length(v);
	const char *s = json_string_value(v);
	char list[256];
	size_t i, l = 0;

	if (len < p->min_len)
		return invalid(err, path, "must be at least %zu bytes long", p->min_len);
	if (p->max_len && len > p->max_len)
		return invalid(err, path, "must be at most %zu bytes long", p->max_len);
	if (p->choices == NULL)
		return 0;
	list[0] = '\0';
	for (i = 0; p->choices[i] != NULL; i++) {
		if (strcmp(s, p->choices[i]) == 0)
			return 0;
		if (i > 0)
			l = append(list, sizeof(list), l, ", ", 2);
		l = append(list, sizeof(list), l, p->choices[i], strlen(p->choices[i]));
	}
	return invalid(err, path, "must be one of: %s", list);
}

static int check_int(const json_t *v, const char *path, const struct evs_ctl_param *p,
		     struct evs_ctl_err *err)
{
	json_int_t x = json_integer_value(v);

	if (p->type == EVS_CTL_T_UINT && x < 0)
		return invalid(err, path, "must be an integer >= 0");
	if ((p->min != 0 || p->max != 0) && (x < p->min || x > p->max))
		return invalid(err, path, "must be between %" PRId64 " and %" PRId64, p->min,
			       p->max);
	return 0;
}

static int check_array(const json_t *v, const char *path, const struct evs_ctl_param *p,
		       struct evs_ctl_err *err);

static int check_value(const json_t *v, const char *path, const struct evs_ctl_param *p,
		       struct evs_ctl_err *err)
{
	if (json_is_null(v)) {
		if (p->nullable || p->type == EVS_CTL_T_ANY)
			return 0;
		return invalid(err, path, "must be %s, not null", type_want(p->type));
	}
	switch (p->type) {
	case EVS_CTL_T_ANY:
		return 0;
	case EVS_CTL_T_STRING:
		if (!json_is_string(v))
			break;
		return check_string(v, path, p, err);
	case EVS_CTL_T_INT:
	case EVS_CTL_T_UINT:
		if (!json_is_integer(v))
			break;
		return check_int(v, path, p, err);
	case EVS_CTL_T_BOOL:
		if (!json_is_boolean(v))
			break;
		return 0;
	case EVS_CTL_T_OBJECT:
		if (!json_is_object(v))
			break;
		return p->fields ? check_object(v, path, p->fields, p->n_fields, err) : 0;
	case EVS_CTL_T_ARRAY:
		if (!json_is_array(v))
			break;
		return check_array(v, path, p, err);
	case EVS_CTL_T_MAC:
	case EVS_CTL_T_IPV4:
	case EVS_CTL_T_IPV6:
	case EVS_CTL_T_IP:
	case EVS_CTL_T_IPV4_PREFIX:
	case EVS_CTL_T_IPV6_PREFIX:
	case EVS_CTL_T_IP_PREFIX:
		if (!json_is_string(v) || !addr_ok(json_string_value(v), p->type))
			break;
		return 0;
	}
	return invalid(err, path, "must be %s", type_want(p->type));
}

static int check_array(const json_t *v, const char *path, const struct evs_ctl_param *p,
		       struct evs_ctl_err *err)
{
	char sub[EVS_CTL_PATH_MAX];
	size_t i, n = json_array_size(v);

	if (n < p->min_len)
		return invalid(err, path, "must have at least %zu items", p->min_len);
	if (p->max_len && n > p->max_len)
		return invalid(err, path, "must have at most %zu items", p->max_len);
	if (p->items == NULL)
		return 0;
	for (i = 0; i < n; i++) {
		evs_ctl_path_index(sub, sizeof(sub), path, i);
		if (check_value(json_array_get(v, i), sub, p->items, err) < 0)
			return -EINVAL;
	}
	return 0;
}

const struct evs_ctl_param *evs_ctl_spec_find(const struct evs_ctl_param *spec, size_t n,
					      const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(spec[i].name, name) == 0)
			return &spec[i];
	return NULL;
}

static int unknown_field(const char *path, const char *key, const struct evs_ctl_param *spec,
			 size_t n, struct evs_ctl_err *err)
{
	char sub[EVS_CTL_PATH_MAX], names[256];
	size_t i, l = 0;

	evs_ctl_path_key(sub, sizeof(sub), path, key);
	if (n == 0)
		return invalid(err, sub, "unknown field '%.64s' (no params accepted)", key);
	names[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i > 0)
			l = append(names, sizeof(names), l, ", ", 2);
		l = append(names, sizeof(names), l, spec[i].name, strlen(spec[i].name));
	}
	return invalid(err, sub, "unknown field '%.64s' (expected: %s)", key, names);
}

static int check_object(const json_t *obj, const char *path, const struct evs_ctl_param *spec,
			size_t n, struct evs_ctl_err *err)
{
	char sub[EVS_CTL_PATH_MAX];
	const char *key;
	json_t *v;
	size_t i;

	if (!json_is_object(obj))
		return invalid(err, path, "must be an object");
	/* Unknown fields first: a typo then says so, not "missing field". */
	json_object_foreach ((json_t *)obj, key, v) {
		if (evs_ctl_spec_find(spec, n, key) == NULL)
			return unknown_field(path, key, spec, n, err);
	}
	for (i = 0; i < n; i++) {
		evs_ctl_path_key(sub, sizeof(sub), path, spec[i].name);
		v = json_object_get(obj, spec[i].name);
		if (v == NULL) {
			if (spec[i].required)
				return invalid(err, sub, "missing required field '%s'",
					       spec[i].name);
			continue;
		}
		if (check_value(v, sub, &spec[i], err) < 0)
			return -EINVAL;
	}
	return 0;
}

int evs_ctl_validate(const json_t *obj, const char *path, const struct evs_ctl_param *spec,
		     size_t n, struct evs_ctl_err *err)
{
	if (err == NULL || (spec == NULL && n > 0))
		return -EINVAL;
	err->code = 0;
	err->path[0] = '\0';
	err->message[0] = '\0';
	return check_object(obj, path ? path : "", spec, n, err);
}

int evs_ctl_params_check(struct evs_ctl_call *call, const json_t *params,
			 const struct evs_ctl_param *spec, size_t n)
{
	struct evs_ctl_err err;
	json_t *empty = NULL;
	int rc;

	if (params == NULL)
		params = empty = json_object();
	rc = evs_ctl_validate(params, "/params", spec, n, &err);
	json_decref(empty);
	if (rc < 0) {
		if (err.code == 0)
			evs_ctl_err_set(&err, EVS_CTL_E_INTERNAL, NULL, "invalid params spec");
		evs_ctl_error_from(call, &err);
		return -EINVAL;
	}
	return 0;
}

char *ctl_usage_from_spec(const struct evs_ctl_param *spec, size_t n)
{
	const struct evs_ctl_param *p;
	char *buf = NULL;
	size_t len = 0, i, j;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		p = &spec[i];
		fprintf(f, "%s%s%s=", i ? " " : "", p->required ? "" : "[", p->name);
		if (p->choices != NULL) {
			for (j = 0; p->choices[j] != NULL; j++)
				fprintf(f, "%s%s", j ? "|" : "", p->choices[j]);
		} else if ((p->type == EVS_CTL_T_INT || p->type == EVS_CTL_T_UINT) &&
			   (p->min != 0 || p->max != 0)) {
			fprintf(f, "%" PRId64 "..%" PRId64, p->min, p->max);
		} else {
			fputs(ctl_type_name(p->type), f);
		}
		fputs(p->required ? "" : "]", f);
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static json_t *param_to_json(const struct evs_ctl_param *p)
{
	json_t *j = json_pack("{s:s, s:s, s:b}", "name", p->name ? p->name : "", "type",
			      ctl_type_name(p->type), "required", p->required);
	json_t *choices;
	size_t i;

	if (j == NULL)
		return NULL;
	if (p->nullable)
		json_object_set_new(j, "nullable", json_true());
	if (p->secret)
		json_object_set_new(j, "secret", json_true());
	if (p->min != 0 || p->max != 0) {
		json_object_set_new(j, "min", json_integer(p->min));
		json_object_set_new(j, "max", json_integer(p->max));
	}
	if (p->min_len)
		json_object_set_new(j, "min_len", json_integer((json_int_t)p->min_len));
	if (p->max_len)
		json_object_set_new(j, "max_len", json_integer((json_int_t)p->max_len));
	if (p->choices != NULL) {
		choices = json_array();
		for (i = 0; p->choices[i] != NULL; i++)
			json_array_append_new(choices, json_string(p->choices[i]));
		json_object_set_new(j, "choices", choices);
	}
	if (p->type == EVS_CTL_T_OBJECT && p->fields != NULL)
		json_object_set_new(j, "fields", ctl_spec_to_json(p->fields, p->n_fields));
	if (p->type == EVS_CTL_T_ARRAY && p->items != NULL)
		json_object_set_new(j, "items", param_to_json(p->items));
	if (p->help != NULL)
		json_object_set_new(j, "help", json_string(p->help));
	return j;
}

json_t *ctl_spec_to_json(const struct evs_ctl_param *spec, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < n; i++)
		json_array_append_new(a, param_to_json(&spec[i]));
	return a;
}

json_t *evs_ctl_spec_json(const struct evs_ctl_param *spec, size_t n)
{
	return ctl_spec_to_json(spec, n);
}
