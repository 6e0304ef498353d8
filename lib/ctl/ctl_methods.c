/* SPDX-License-Identifier: BSD-3-Clause */
/* Method registry (sorted array, binary search) and the built-in methods
 * list, help and ctl.stats. */

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <rte_log.h>

#include "ctl_private.h"

enum { CTL_METHOD_NAME_MAX = 64 };

const struct evs_ctl_param evs_ctl_no_params[1] = {{0}};

/* "word(.word)*", words of [a-z0-9_-]. */
static bool valid_name(const char *name)
{
	size_t i, n = strlen(name);
	bool word_start = true;

	if (n == 0 || n > CTL_METHOD_NAME_MAX)
		return false;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (c == '.') {
			if (word_start)
				return false;
			word_start = true;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
		word_start = false;
	}
	return !word_start;
}

/* Index of name, or of where it would go (then *found is false). */
static size_t method_search(const struct evs_ctl *ctl, const char *name, bool *found)
{
	size_t lo = 0, hi = ctl->n_methods, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(name, ctl->methods[mid].m.name);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	*found = false;
	return lo;
}

const struct ctl_method_entry *ctl_method_find(const struct evs_ctl *ctl, const char *name)
{
	bool found;
	size_t i = method_search(ctl, name, &found);

	return found ? &ctl->methods[i] : NULL;
}

static void entry_free(struct ctl_method_entry *e)
{
	free((char *)e->m.name);
	free((char *)e->m.usage);
	free((char *)e->m.help);
}

int evs_ctl_register(struct evs_ctl *ctl, const struct evs_ctl_method *m)
{
	struct ctl_method_entry e = {0}, *p;
	bool found;
	size_t i, cap;

	if (ctl == NULL || m == NULL || m->name == NULL || m->fn == NULL || !valid_name(m->name))
		return -EINVAL;
	i = method_search(ctl, m->name, &found);
	if (found)
		return -EEXIST;
	if (ctl->n_methods == ctl->cap_methods) {
		cap = ctl->cap_methods ? ctl->cap_methods * 2 : 32;
		p = realloc(ctl->methods, cap * sizeof(*p));
		if (p == NULL)
			return -ENOMEM;
		ctl->methods = p;
		ctl->cap_methods = cap;
	}
	e.m = *m;
	e.m.name = strdup(m->name);
	e.m.help = strdup(m->help ? m->help : "");
	if (m->usage != NULL)
		e.m.usage = strdup(m->usage);
	else if (m->params != NULL)
		e.m.usage = ctl_usage_from_spec(m->params, m->n_params);
	else
		e.m.usage = strdup("");
	if (e.m.name == NULL || e.m.help == NULL || e.m.usage == NULL) {
		entry_free(&e);
		return -ENOMEM;
	}
	memmove(&ctl->methods[i + 1], &ctl->methods[i], (ctl->n_methods - i) * sizeof(e));
	ctl->methods[i] = e;
	ctl->n_methods++;
	return 0;
}

int evs_ctl_unregister(struct evs_ctl *ctl, const char *name)
{
	bool found;
	size_t i;

	if (ctl == NULL || name == NULL)
		return -EINVAL;
	i = method_search(ctl, name, &found);
	if (!found)
		return -ENOENT;
	entry_free(&ctl->methods[i]);
	memmove(&ctl->methods[i], &ctl->methods[i + 1],
		(ctl->n_methods - i - 1) * sizeof(ctl->methods[0]));
	ctl->n_methods--;
	return 0;
}

void ctl_methods_free(struct evs_ctl *ctl)
{
	size_t i;

	for (i = 0; i < ctl->n_methods; i++)
		entry_free(&ctl->methods[i]);
	free(ctl->methods);
	ctl->methods = NULL;
	ctl->n_methods = 0;
	ctl->cap_methods = 0;
}

static int m_list(struct evs_ctl_call *call, json_t *params, void *arg)
{
	struct evs_ctl *ctl = evs_ctl_call_ctl(call);
	json_t *list = json_array();
	size_t i;

	(void)params;
	(void)arg;
	if (list == NULL)
		return -ENOMEM;
	for (i = 0; i < ctl->n_methods; i++) {
		const struct evs_ctl_method *m = &ctl->methods[i].m;

		if (json_array_append_new(list,
					  json_pack("{s:s, s:b, s:s}", "name", m->name, "read_only",
						    m->read_only, "usage", m->usage)) < 0) {
			json_decref(list);
			return -ENOMEM;
		}
	}
	return evs_ctl_reply(call, list);
}

static json_t *method_help(const struct evs_ctl_method *m)
{
	json_t *h = json_pack("{s:s, s:b, s:s, s:s}", "name", m->name, "read_only", m->read_only,
			      "usage", m->usage, "help", m->help);

	if (h != NULL && m->params != NULL &&
	    json_object_set_new(h, "params", ctl_spec_to_json(m->params, m->n_params)) < 0) {
		json_decref(h);
		return NULL;
	}
	return h;
}

static int m_help(struct evs_ctl_call *call, json_t *params, void *arg)
{
	struct evs_ctl *ctl = evs_ctl_call_ctl(call);
	const struct ctl_method_entry *e;
	const char *name = json_string_value(json_object_get(params, "method"));
	json_t *all;
	size_t i;

	(void)arg;
	if (name != NULL) {
		e = ctl_method_find(ctl, name);
		if (e == NULL)
			return evs_ctl_error(call, EVS_CTL_E_NOT_FOUND, "/params/method",
					     "method '%.128s' not found", name);
		all = method_help(&e->m);
		return all != NULL ? evs_ctl_reply(call, all) : -ENOMEM;
	}
	all = json_array();
	if (all == NULL)
		return -ENOMEM;
	for (i = 0; i < ctl->n_methods; i++) {
		const struct evs_ctl_method *m = &ctl->methods[i].m;

		if (json_array_append_new(all, json_pack("{s:s, s:s, s:s}", "name", m->name,
							 "usage", m->usage, "help", m->help)) < 0) {
			json_decref(all);
			return -ENOMEM;
		}
	}
	return evs_ctl_reply(call, all);
}

#define CTL_STAT(f)                                                                                \
	{                                                                                          \
#f, offsetof(struct evs_ctl_stats, f)                                              \
	}

static int m_stats(struct evs_ctl_call *call, json_t *params, void *arg)
{
	static const struct {
		const char *name;
		size_t off;
	} fields[] = {
	    CTL_STAT(requests),	       CTL_STAT(notifications),	    CTL_STAT(errors),
	    CTL_STAT(lines_oversized), CTL_STAT(clients_accepted),  CTL_STAT(clients_rejected),
	    CTL_STAT(clients_dropped), CTL_STAT(clients_connected), CTL_STAT(deferred),
	    CTL_STAT(mutations),       CTL_STAT(calls_refused),	    CTL_STAT(clients_idle_closed),
	    CTL_STAT(clients_evicted), CTL_STAT(events_published),  CTL_STAT(events_sent),
	    CTL_STAT(events_dropped),
	};
	struct evs_ctl *ctl = evs_ctl_call_ctl(call);
	json_t *r = json_object();
	size_t i;

	(void)params;
	(void)arg;
	for (i = 0; r != NULL && i < sizeof(fields) / sizeof(fields[0]); i++) {
		uint64_t v;

		memcpy(&v, (const char *)&ctl->stats + fields[i].off, sizeof(v));
		if (json_object_set_new(r, fields[i].name, json_integer((json_int_t)v)) < 0)
			goto nomem;
	}
	if (r == NULL ||
	    json_object_set_new(r, "methods", json_integer((json_int_t)ctl->n_methods)) < 0)
		goto nomem;
	return evs_ctl_reply(call, r);
nomem:
	json_decref(r);
	return -ENOMEM;
}

static const struct evs_ctl_param help_params[] = {
    {.name = "method",
     .type = EVS_CTL_T_STRING,
     .min_len = 1,
     .max_len = 128,
     .help = "method to describe; all methods when absent"},
};

int ctl_register_builtins(struct evs_ctl *ctl)
{
	static const struct evs_ctl_method builtins[] = {
	    {.name = "list",
	     .help = "List the methods: name, whether read-only, params usage.",
	     .read_only = true,
	     .fn = m_list,
	     .params = evs_ctl_no_params},
	    {.name = "help",
	     .help = "Describe one method (usage, help text, params spec) or all of them.",
	     .read_only = true,
	     .fn = m_help,
	     .params = help_params,
	     .n_params = 1},
	    {.name = "ctl.stats",
	     .help = "Control socket counters: requests, errors, clients.",
	     .read_only = true,
	     .fn = m_stats,
	     .params = evs_ctl_no_params},
	};
	int rc = ctl_register_array(ctl, builtins, sizeof(builtins) / sizeof(builtins[0]));

	return rc < 0 ? rc : ctl_register_events(ctl);
}

int ctl_register_array(struct evs_ctl *ctl, const struct evs_ctl_method *m, size_t n)
{
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		rc = evs_ctl_register(ctl, &m[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}
