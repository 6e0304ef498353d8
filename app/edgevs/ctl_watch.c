/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Counter thresholds: counter.watch names a counter of stats.get (a dotted
 * path such as "drops.no_route" or "ports.drops") and a threshold; the
 * management loop checks the watches once a second and publishes a
 * "counter.threshold" event when a counter rises above its threshold (again
 * after it fell back to or below it). Watches are runtime state, not config.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>

#include "ctl_util.h"

#define WATCH_MAX 64
#define WATCH_PERIOD_MS 1000

struct watch {
	uint32_t id; /* 0: free */
	char counter[128];
	uint64_t above;
	bool fired; /* above the threshold at the last check */
};

static struct watch watches[WATCH_MAX];
static uint32_t next_id;
static uint64_t next_check_tsc;

/* The integer at dotted @path ("pmds.0.rx_packets") of @stats, or -ENOENT. */
static int counter_get(const json_t *stats, const char *path, uint64_t *v)
{
	char buf[128], *save = NULL, *tok;
	const json_t *cur = stats;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok != NULL && cur != NULL;
	     tok = strtok_r(NULL, ".", &save)) {
		char *end;
		unsigned long idx = strtoul(tok, &end, 10);

		cur = json_is_array(cur) && *end == '\0' ? json_array_get(cur, idx)
							 : json_object_get(cur, tok);
	}
	if (!json_is_integer(cur) || json_integer_value(cur) < 0)
		return -ENOENT;
	*v = (uint64_t)json_integer_value(cur);
	return 0;
}

static json_t *watch_json(const struct watch *w)
{
	return json_pack("{s:I, s:s, s:I, s:b}", "id", (json_int_t)w->id, "counter", w->counter,
			 "above", (json_int_t)w->above, "fired", w->fired);
}

static int m_watch(struct evs_ctl_call *call, json_t *params, void *arg)
{
	struct evs_app *app = arg;
	const char *name = json_string_value(json_object_get(params, "counter"));
	json_t *stats = app_stats_json(app);
	struct watch *w = NULL;
	uint64_t v;
	size_t i;
	int rc;

	rc = stats != NULL ? counter_get(stats, name, &v) : -ENOMEM;
	json_decref(stats);
	if (rc < 0)
		return evs_ctl_error(call, EVS_CTL_E_NOT_FOUND, "/params/counter",
				     "no counter '%s' in stats.get (a dotted path to an integer)",
				     name);
	for (i = 0; i < WATCH_MAX && w == NULL; i++)
		if (watches[i].id == 0)
			w = &watches[i];
	if (w == NULL)
		return evs_ctl_error(call, EVS_CTL_E_BUSY, "", "at most %d watches", WATCH_MAX);
	w->id = ++next_id;
	snprintf(w->counter, sizeof(w->counter), "%s", name);
	w->above = (uint64_t)json_integer_value(json_object_get(params, "above"));
	w->fired = v > w->above; /* only a later crossing is an event */
	return evs_ctl_reply(call, watch_json(w));
}

static int m_unwatch(struct evs_ctl_call *call, json_t *params, void *arg)
{
	json_int_t id = json_integer_value(json_object_get(params, "id"));
	size_t i;

	(void)arg;
	for (i = 0; i < WATCH_MAX; i++)
		if (watches[i].id != 0 && watches[i].id == id) {
			watches[i].id = 0;
			return evs_ctl_reply(call, json_object());
		}
	return evs_ctl_error(call, EVS_CTL_E_NOT_FOUND, "/params/id", "no watch %lld",
			     (long long)id);
}

static int m_watches(struct evs_ctl_call *call, json_t *params, void *arg)
{
	json_t *a = json_array();
	size_t i;

	(void)params;
	(void)arg;
	for (i = 0; a != NULL && i < WATCH_MAX; i++)
		if (watches[i].id != 0)
			json_array_append_new(a, watch_json(&watches[i]));
	return evs_ctl_reply(call, a);
}

void watch_poll(struct evs_app *app)
{
	uint64_t now = rte_rdtsc(), v;
	json_t *stats = NULL;
	size_t i;

	if (now < next_check_tsc)
		return;
	next_check_tsc = now + rte_get_tsc_hz() / 1000 * WATCH_PERIOD_MS;
	for (i = 0; i < WATCH_MAX; i++) {
		struct watch *w = &watches[i];
		bool over;

		if (w->id == 0)
			continue;
		if (stats == NULL)
			stats = app_stats_json(app);
		if (stats == NULL || counter_get(stats, w->counter, &v) < 0)
			continue;
		over = v > w->above;
		if (over && !w->fired)
			evs_ctl_notify(app->ctl, "counter.threshold",
				       json_pack("{s:I, s:s, s:I, s:I}", "id", (json_int_t)w->id,
						 "counter", w->counter, "above",
						 (json_int_t)w->above, "value", (json_int_t)v));
		w->fired = over;
	}
	json_decref(stats);
}

static const struct evs_ctl_param p_watch[] = {
    {.name = "counter",
     .type = EVS_CTL_T_STRING,
     .required = true,
     .min_len = 1,
     .max_len = 127,
     .help = "dotted path of an integer in stats.get, e.g. drops.no_route"},
    {.name = "above",
     .type = EVS_CTL_T_UINT,
     .required = true,
     .help = "publish counter.threshold when the counter rises above this"},
};
static const struct evs_ctl_param p_unwatch[] = {
    {.name = "id", .type = EVS_CTL_T_UINT, .required = true, .help = "id from counter.watch"},
};

int ctl_register_watch(struct evs_app *app)
{
	const struct evs_ctl_method m[] = {
	    {.name = "counter.watch",
	     .help = "Publish a counter.threshold event (subscribe to it) when a stats.get "
		     "counter rises above a threshold; checked every second.",
	     .fn = m_watch,
	     .arg = app,
	     .params = p_watch,
	     .n_params = RTE_DIM(p_watch)},
	    {.name = "counter.unwatch",
	     .help = "Remove a counter watch.",
	     .fn = m_unwatch,
	     .arg = app,
	     .params = p_unwatch,
	     .n_params = RTE_DIM(p_unwatch)},
	    {.name = "counter.watches",
	     .help = "The counter watches.",
	     .read_only = true,
	     .fn = m_watches,
	     .arg = app,
	     .params = evs_ctl_no_params},
	};

	return ctl_register_methods(app, m, RTE_DIM(m));
}
