/* SPDX-License-Identifier: BSD-3-Clause */
/* Parse and validate the desired-state document (see conf.h). */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "evs_ctl.h"

#define ERR_INVALID_PARAMS EVS_CTL_E_INVALID_PARAMS
#define ERR_EXISTS EVS_CTL_E_EXISTS
#define ERR_NOT_FOUND EVS_CTL_E_NOT_FOUND

static bool fail(struct conf_err *err, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static bool fail(struct conf_err *err, const char *path, const char *fmt, ...)
{
	va_list ap;

	err->code = ERR_INVALID_PARAMS;
	snprintf(err->path, sizeof(err->path), "%s", path);
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return false;
}

/* Append "/key" (or "/index") to a JSON pointer; keys need ~ and / escaped. */
static void path_key(char *out, size_t len, const char *base, const char *key)
{
	size_t n = (size_t)snprintf(out, len, "%s/", base);

	for (; *key != '\0' && n + 3 < len; key++) {
		if (*key == '~' || *key == '/') {
			out[n++] = '~';
			out[n++] = *key == '~' ? '0' : '1';
		} else {
			out[n++] = *key;
		}
	}
	out[n < len ? n : len - 1] = '\0';
}

static void path_idx(char *out, size_t len, const char *base, size_t i)
{
	if (snprintf(out, len, "%s/%zu", base, i) >= (int)len)
		out[len - 1] = '\0'; /* cut: the path is still a useful prefix */
}

static bool only_keys(const json_t *obj, const char *path, const char *const *allowed,
		      struct conf_err *err)
{
	const char *key;
	json_t *v;
	char p[256];

	json_object_foreach((json_t *)(uintptr_t)obj, key, v) {
		const char *const *a;

		for (a = allowed; *a != NULL; a++)
			if (strcmp(*a, key) == 0)
				break;
		if (*a == NULL) {
			path_key(p, sizeof(p), path, key);
			return fail(err, p, "unknown field '%s'", key);
		}
	}
	return true;
}

/* fail() with a code other than invalid params (a reference or a clash). */
static bool fail_code(struct conf_err *err, int code, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static bool fail_code(struct conf_err *err, int code, const char *path, const char *fmt, ...)
{
	va_list ap;

	err->code = code;
	snprintf(err->path, sizeof(err->path), "%s", path);
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return false;
}

static bool valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= CONF_NAME_MAX)
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || *s == '.'))
			return false;
	return true;
}

/* Copy string field @key of @obj into @out (size @len); absent -> @def. */
static bool get_str(const json_t *obj, const char *key, const char *path, bool required,
		    const char *def, char *out, size_t len, struct conf_err *err)
{
	const json_t *v = json_object_get(obj, key);
	char p[256];

	path_key(p, sizeof(p), path, key);
	if (v == NULL) {
		if (required)
			return fail(err, p, "missing required field '%s'", key);
		snprintf(out, len, "%s", def);
		return true;
	}
	if (!json_is_string(v))
		return fail(err, p, "'%s' must be a string", key);
	if (json_string_length(v) >= len)
		return fail(err, p, "'%s' is longer than %zu characters", key, len - 1);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return fail(err, p, "'%s' contains a NUL character", key);
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return true;
}

static bool get_name(const json_t *obj, const char *key, const char *path, bool required,
		     char *out, struct conf_err *err)
{
	char p[256];

	if (!get_str(obj, key, path, required, "", out, CONF_NAME_MAX, err))
		return false;
	path_key(p, sizeof(p), path, key);
	if ((required || out[0] != '\0') && !valid_name(out))
		return fail(err, p, "'%s' must be 1-%d characters of [A-Za-z0-9_.-]", key,
			    CONF_NAME_MAX - 1);
	return true;
}

static bool get_uint(const json_t *obj, const char *key, const char *path, uint64_t def,
		     uint64_t min, uint64_t max, uint64_t *out, struct conf_err *err)
{
	const json_t *v = json_object_get(obj, key);
	char p[256];

	path_key(p, sizeof(p), path, key);
	if (v == NULL) {
		*out = def;
		return true;
	}
	if (!json_is_integer(v))
		return fail(err, p, "'%s' must be an integer", key);
	if (json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) < min ||
	    (uint64_t)json_integer_value(v) > max)
		return fail(err, p, "'%s' must be between %" PRIu64 " and %" PRIu64, key, min,
			    max);
	*out = (uint64_t)json_integer_value(v);
	return true;
}

static bool parse_vlans(const json_t *arr, const char *path, struct conf_port *p,
			struct conf_err *err)
{
	static const char *const keys[] = {"vlan", "switch", NULL};
	char ep[256];
	size_t i, j;

	if (!json_is_array(arr))
		return fail(err, path, "'vlans' must be an array");
	p->n_vlans = json_array_size(arr);
	p->vlans = calloc(p->n_vlans ? p->n_vlans : 1, sizeof(*p->vlans));
	if (p->vlans == NULL)
		return fail(err, path, "out of memory");
	for (i = 0; i < p->n_vlans; i++) {
		const json_t *v = json_array_get(arr, i);
		uint64_t vid;

		path_idx(ep, sizeof(ep), path, i);
		if (!json_is_object(v))
			return fail(err, ep, "a VLAN mapping must be an object");
		if (!only_keys(v, ep, keys, err))
			return false;
		if (json_object_get(v, "vlan") == NULL) {
			char vp[256];

			path_key(vp, sizeof(vp), ep, "vlan");
			return fail(err, vp, "missing required field 'vlan'");
		}
		if (!get_uint(v, "vlan", ep, 0, 1, 4094, &vid, err) ||
		    !get_name(v, "switch", ep, true, p->vlans[i].sw, err))
			return false;
		p->vlans[i].vlan = (uint16_t)vid;
		for (j = 0; j < i; j++)
			if (p->vlans[j].vlan == vid) {
				char vp[256];

				path_key(vp, sizeof(vp), ep, "vlan");
				return fail(err, vp, "VLAN %u is mapped twice on port '%s'",
					    (unsigned int)vid, p->name);
			}
	}
	return true;
}

static bool parse_port(const json_t *o, const char *path, struct conf_port *p,
		       struct conf_err *err)
{
	static const char *const keys[] = {"name",  "type", "devargs", "path",  "mode",
					   "queues", "mtu", "switch",  "vlans", NULL};
	char type[16], mode[16], fp[256];
	uint64_t q, mtu;
	const json_t *vlans;

	if (!json_is_object(o))
		return fail(err, path, "a port must be an object");
	if (!only_keys(o, path, keys, err) || !get_name(o, "name", path, true, p->name, err) ||
	    !get_str(o, "type", path, false, "ethdev", type, sizeof(type), err))
		return false;
	path_key(fp, sizeof(fp), path, "type");
	if (strcmp(type, "ethdev") == 0) {
		p->type = CONF_PORT_ETHDEV;
		if (!get_str(o, "devargs", path, true, "", p->devargs, sizeof(p->devargs), err))
			return false;
		if (p->devargs[0] == '\0') {
			path_key(fp, sizeof(fp), path, "devargs");
			return fail(err, fp, "'devargs' must not be empty");
		}
		if (json_object_get(o, "path") || json_object_get(o, "mode")) {
			path_key(fp, sizeof(fp), path, json_object_get(o, "path") ? "path" : "mode");
			return fail(err, fp, "'path' and 'mode' apply to vhost-user ports only");
		}
	} else if (strcmp(type, "vhost-user") == 0) {
		p->type = CONF_PORT_VHOST;
		if (!get_str(o, "path", path, true, "", p->path, sizeof(p->path), err) ||
		    !get_str(o, "mode", path, false, "server", mode, sizeof(mode), err))
			return false;
		if (p->path[0] != '/') {
			path_key(fp, sizeof(fp), path, "path");
			return fail(err, fp, "'path' must be an absolute socket path");
		}
		path_key(fp, sizeof(fp), path, "mode");
		if (strcmp(mode, "server") == 0)
			p->client = false;
		else if (strcmp(mode, "client") == 0)
			p->client = true;
		else
			return fail(err, fp, "'mode' must be \"server\" or \"client\"");
		if (json_object_get(o, "devargs")) {
			path_key(fp, sizeof(fp), path, "devargs");
			return fail(err, fp, "'devargs' applies to ethdev ports only");
		}
	} else {
		return fail(err, fp, "'type' must be \"ethdev\" or \"vhost-user\"");
	}
	if (!get_uint(o, "queues", path, 1, 1, CONF_MAX_QUEUES, &q, err) ||
	    !get_uint(o, "mtu", path, 1500, 68, 9600, &mtu, err) ||
	    !get_name(o, "switch", path, false, p->sw, err))
		return false;
	p->queues = (uint16_t)q;
	p->mtu = (uint16_t)mtu;
	vlans = json_object_get(o, "vlans");
	if (vlans != NULL) {
		path_key(fp, sizeof(fp), path, "vlans");
		if (!parse_vlans(vlans, fp, p, err))
			return false;
	}
	return true;
}

static bool parse_mac(const json_t *o, const char *path, struct conf_mac *m, struct conf_err *err)
{
	static const char *const keys[] = {"mac", "port", NULL};
	char s[32], fp[256];

	if (!json_is_object(o))
		return fail(err, path, "a MAC entry must be an object");
	if (!only_keys(o, path, keys, err) ||
	    !get_str(o, "mac", path, true, "", s, sizeof(s), err) ||
	    !get_name(o, "port", path, true, m->port, err))
		return false;
	path_key(fp, sizeof(fp), path, "mac");
	if (strlen(s) != 17 || rte_ether_unformat_addr(s, &m->mac) != 0)
		return fail(err, fp, "'%s' is not a MAC address (xx:xx:xx:xx:xx:xx)", s);
	if (!rte_is_unicast_ether_addr(&m->mac) || rte_is_zero_ether_addr(&m->mac))
		return fail(err, fp, "static MAC %s must be a non-zero unicast address", s);
	return true;
}

static bool parse_switch(const json_t *o, const char *path, struct conf_switch *s,
			 struct conf_err *err)
{
	static const char *const keys[] = {"name", "mac_aging", "max_macs", "macs", NULL};
	const json_t *macs;
	uint64_t v;
	char fp[256], ep[256];
	size_t i, j;

	if (!json_is_object(o))
		return fail(err, path, "a switch must be an object");
	if (!only_keys(o, path, keys, err) || !get_name(o, "name", path, true, s->name, err) ||
	    !get_uint(o, "mac_aging", path, 300, 1, 86400, &v, err))
		return false;
	s->mac_aging_s = (uint32_t)v;
	if (!get_uint(o, "max_macs", path, 8192, 1, 1 << 20, &v, err))
		return false;
	s->max_macs = (uint32_t)v;
	macs = json_object_get(o, "macs");
	if (macs == NULL)
		return true;
	path_key(fp, sizeof(fp), path, "macs");
	if (!json_is_array(macs))
		return fail(err, fp, "'macs' must be an array");
	s->n_macs = json_array_size(macs);
	if (s->n_macs > s->max_macs)
		return fail(err, fp, "%u static MACs exceed max_macs %u", s->n_macs, s->max_macs);
	s->macs = calloc(s->n_macs ? s->n_macs : 1, sizeof(*s->macs));
	if (s->macs == NULL)
		return fail(err, fp, "out of memory");
	for (i = 0; i < s->n_macs; i++) {
		path_idx(ep, sizeof(ep), fp, i);
		if (!parse_mac(json_array_get(macs, i), ep, &s->macs[i], err))
			return false;
		for (j = 0; j < i; j++)
			if (rte_is_same_ether_addr(&s->macs[j].mac, &s->macs[i].mac)) {
				char mp[256];

				path_key(mp, sizeof(mp), ep, "mac");
				return fail_code(err, ERR_EXISTS, mp,
						 "static MAC already in switch '%s'", s->name);
			}
	}
	return true;
}

/* Cross-object rules: unique names, references resolve, devices distinct. */
static bool check_refs(const struct conf *c, const char *base, struct conf_err *err)
{
	char p[256];
	unsigned int i, j, k;

	for (i = 0; i < c->n_switches; i++)
		for (j = 0; j < i; j++)
			if (strcmp(c->switches[i].name, c->switches[j].name) == 0) {
				snprintf(p, sizeof(p), "%s/switches/%u/name", base, i);
				return fail(err, p, "duplicate switch name '%s'",
					    c->switches[i].name);
			}
	for (i = 0; i < c->n_ports; i++) {
		const struct conf_port *pt = &c->ports[i];

		for (j = 0; j < i; j++) {
			const struct conf_port *o = &c->ports[j];

			if (strcmp(pt->name, o->name) == 0) {
				snprintf(p, sizeof(p), "%s/ports/%u/name", base, i);
				return fail(err, p, "duplicate port name '%s'", pt->name);
			}
			if (pt->type == CONF_PORT_VHOST && o->type == CONF_PORT_VHOST &&
			    strcmp(pt->path, o->path) == 0) {
				snprintf(p, sizeof(p), "%s/ports/%u/path", base, i);
				return fail(err, p, "socket path already used by port '%s'",
					    o->name);
			}
			if (pt->type == CONF_PORT_ETHDEV && o->type == CONF_PORT_ETHDEV &&
			    strcspn(pt->devargs, ",") == strcspn(o->devargs, ",") &&
			    strncmp(pt->devargs, o->devargs, strcspn(pt->devargs, ",")) == 0) {
				snprintf(p, sizeof(p), "%s/ports/%u/devargs", base, i);
				return fail(err, p, "device already used by port '%s'", o->name);
			}
		}
		if (pt->sw[0] != '\0' && conf_switch_find(c, pt->sw) == NULL) {
			snprintf(p, sizeof(p), "%s/ports/%u/switch", base, i);
			return fail_code(err, ERR_NOT_FOUND, p, "no switch named '%s'", pt->sw);
		}
		for (k = 0; k < pt->n_vlans; k++) {
			if (conf_switch_find(c, pt->vlans[k].sw) == NULL) {
				snprintf(p, sizeof(p), "%s/ports/%u/vlans/%u/switch", base, i, k);
				return fail_code(err, ERR_NOT_FOUND, p, "no switch named '%s'",
						 pt->vlans[k].sw);
			}
			if (strcmp(pt->vlans[k].sw, pt->sw) == 0) {
				snprintf(p, sizeof(p), "%s/ports/%u/vlans/%u/switch", base, i, k);
				return fail(err, p, "switch '%s' is already the port's native switch",
					    pt->sw);
			}
			for (j = 0; j < k; j++)
				if (strcmp(pt->vlans[k].sw, pt->vlans[j].sw) == 0) {
					snprintf(p, sizeof(p), "%s/ports/%u/vlans/%u/switch", base,
						 i, k);
					return fail(err, p,
						    "switch '%s' is carried twice on port '%s'",
						    pt->vlans[k].sw, pt->name);
				}
		}
	}
	for (i = 0; i < c->n_switches; i++) {
		const struct conf_switch *s = &c->switches[i];

		for (k = 0; k < s->n_macs; k++) {
			const struct conf_port *pt = conf_port_find(c, s->macs[k].port);
			bool member = false;

			if (pt != NULL) {
				member = strcmp(pt->sw, s->name) == 0;
				for (j = 0; j < pt->n_vlans && !member; j++)
					member = strcmp(pt->vlans[j].sw, s->name) == 0;
			}
			snprintf(p, sizeof(p), "%s/switches/%u/macs/%u/port", base, i, k);
			if (pt == NULL)
				return fail_code(err, ERR_NOT_FOUND, p, "no port named '%s'",
						 s->macs[k].port);
			if (!member)
				return fail(err, p, "port '%s' is not a member of switch '%s'",
					    s->macs[k].port, s->name);
		}
	}
	return true;
}

struct conf *conf_parse(const json_t *doc, const char *base, struct conf_err *err)
{
	static const char *const keys[] = {"ports", "switches", "access", NULL};
	const json_t *ports, *switches;
	struct evs_ctl_err cerr;
	struct conf *c;
	char p[256], ep[256];
	size_t i;

	memset(err, 0, sizeof(*err));
	if (!json_is_object(doc)) {
		fail(err, base, "the config must be a JSON object");
		return NULL;
	}
	if (!only_keys(doc, base, keys, err))
		return NULL;
	/* Who may call what: lib/ctl owns the section's spec. */
	path_key(p, sizeof(p), base, "access");
	if (evs_ctl_access_check(json_object_get(doc, "access"), p, &cerr) < 0) {
		err->code = cerr.code;
		snprintf(err->path, sizeof(err->path), "%.*s", (int)sizeof(err->path) - 1,
			 cerr.path);
		snprintf(err->msg, sizeof(err->msg), "%.*s", (int)sizeof(err->msg) - 1,
			 cerr.message);
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		fail(err, base, "out of memory");
		return NULL;
	}
	ports = json_object_get(doc, "ports");
	switches = json_object_get(doc, "switches");
	if (ports != NULL) {
		path_key(p, sizeof(p), base, "ports");
		if (!json_is_array(ports)) {
			fail(err, p, "'ports' must be an array");
			goto fail;
		}
		if (json_array_size(ports) > CONF_MAX_PORTS) {
			fail(err, p, "at most %d ports", CONF_MAX_PORTS);
			goto fail;
		}
		c->n_ports = json_array_size(ports);
		c->ports = calloc(c->n_ports ? c->n_ports : 1, sizeof(*c->ports));
		if (c->ports == NULL) {
			fail(err, p, "out of memory");
			goto fail;
		}
		for (i = 0; i < c->n_ports; i++) {
			path_idx(ep, sizeof(ep), p, i);
			if (!parse_port(json_array_get(ports, i), ep, &c->ports[i], err))
				goto fail;
		}
	}
	if (switches != NULL) {
		path_key(p, sizeof(p), base, "switches");
		if (!json_is_array(switches)) {
			fail(err, p, "'switches' must be an array");
			goto fail;
		}
		if (json_array_size(switches) > CONF_MAX_SWITCHES) {
			fail(err, p, "at most %d switches", CONF_MAX_SWITCHES);
			goto fail;
		}
		c->n_switches = json_array_size(switches);
		c->switches = calloc(c->n_switches ? c->n_switches : 1, sizeof(*c->switches));
		if (c->switches == NULL) {
			fail(err, p, "out of memory");
			goto fail;
		}
		for (i = 0; i < c->n_switches; i++) {
			path_idx(ep, sizeof(ep), p, i);
			if (!parse_switch(json_array_get(switches, i), ep, &c->switches[i], err))
				goto fail;
		}
	}
	if (!check_refs(c, base, err))
		goto fail;
	return c;
fail:
	conf_free(c);
	return NULL;
}

void conf_free(struct conf *c)
{
	unsigned int i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n_ports && c->ports != NULL; i++)
		free(c->ports[i].vlans);
	for (i = 0; i < c->n_switches && c->switches != NULL; i++)
		free(c->switches[i].macs);
	free(c->ports);
	free(c->switches);
	free(c);
}

const struct conf_port *conf_port_find(const struct conf *c, const char *name)
{
	unsigned int i;

	for (i = 0; i < c->n_ports; i++)
		if (strcmp(c->ports[i].name, name) == 0)
			return &c->ports[i];
	return NULL;
}

const struct conf_switch *conf_switch_find(const struct conf *c, const char *name)
{
	unsigned int i;

	for (i = 0; i < c->n_switches; i++)
		if (strcmp(c->switches[i].name, name) == 0)
			return &c->switches[i];
	return NULL;
}

bool conf_port_needs_recreate(const struct conf_port *a, const struct conf_port *b)
{
	return a->type != b->type || strcmp(a->devargs, b->devargs) != 0 ||
	       strcmp(a->path, b->path) != 0 || a->client != b->client ||
	       a->queues != b->queues || a->mtu != b->mtu;
}

int conf_doc_find(const json_t *doc, const char *key, const char *name)
{
	const json_t *arr = json_object_get(doc, key);
	size_t i;

	for (i = 0; i < json_array_size(arr); i++) {
		const json_t *n = json_object_get(json_array_get(arr, i), "name");

		if (json_is_string(n) && strcmp(json_string_value(n), name) == 0)
			return (int)i;
	}
	return -1;
}

json_t *conf_doc_empty(void)
{
	return json_pack("{s:[], s:[]}", "ports", "switches");
}
