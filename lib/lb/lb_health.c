/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The backend health state machine (evs_lb_health.h).
 */
#include <errno.h>
#include <string.h>

#include "evs_lb_health.h"

static int config_ok(const struct evs_lb_health_config *cfg)
{
	return cfg != NULL && cfg->interval_ms >= 1 &&
	       cfg->interval_ms <= EVS_LB_HEALTH_INTERVAL_MAX_MS && cfg->timeout_ms >= 1 &&
	       cfg->timeout_ms <= cfg->interval_ms && cfg->rise >= 1 &&
	       cfg->rise <= EVS_LB_HEALTH_COUNT_MAX && cfg->fall >= 1 &&
	       cfg->fall <= EVS_LB_HEALTH_COUNT_MAX;
}

int evs_lb_health_init(struct evs_lb_health *h, const struct evs_lb_health_config *cfg,
		       uint64_t now_ms)
{
	if (h == NULL || !config_ok(cfg))
		return -EINVAL;
	memset(h, 0, sizeof(*h));
	h->cfg = *cfg;
	h->state = cfg->start_up ? EVS_LB_HEALTH_UP : EVS_LB_HEALTH_DOWN;
	h->next_probe_ms = now_ms;
	h->changed_ms = now_ms;
	return 0;
}

int evs_lb_health_reconfigure(struct evs_lb_health *h, const struct evs_lb_health_config *cfg,
			      uint64_t now_ms)
{
	if (h == NULL || !config_ok(cfg))
		return -EINVAL;
	if (h->next_probe_ms > now_ms + cfg->interval_ms)
		h->next_probe_ms = now_ms + cfg->interval_ms;
	h->cfg.interval_ms = cfg->interval_ms;
	h->cfg.timeout_ms = cfg->timeout_ms;
	h->cfg.rise = cfg->rise;
	h->cfg.fall = cfg->fall;
	return 0;
}

static int set_state(struct evs_lb_health *h, uint64_t now_ms, enum evs_lb_health_state s)
{
	h->state = (uint8_t)s;
	h->changed_ms = now_ms;
	h->ok_run = 0;
	h->fail_run = 0;
	if (s == EVS_LB_HEALTH_UP)
		h->stats.went_up++;
	else
		h->stats.went_down++;
	return (int)s;
}

/* One failed check (a probe or a passive signal). */
static int failed(struct evs_lb_health *h, uint64_t now_ms)
{
	h->ok_run = 0;
	if (h->state == EVS_LB_HEALTH_DOWN)
		return -1;
	if (++h->fail_run >= h->cfg.fall)
		return set_state(h, now_ms, EVS_LB_HEALTH_DOWN);
	return -1;
}

static int succeeded(struct evs_lb_health *h, uint64_t now_ms)
{
	h->fail_run = 0;
	if (h->state == EVS_LB_HEALTH_UP)
		return -1;
	if (++h->ok_run >= h->cfg.rise)
		return set_state(h, now_ms, EVS_LB_HEALTH_UP);
	return -1;
}

int evs_lb_health_expire(struct evs_lb_health *h, uint64_t now_ms)
{
	if (!h->outstanding || now_ms < h->deadline_ms)
		return -1;
	h->outstanding = false;
	h->stats.probes_timeout++;
	return failed(h, now_ms);
}

bool evs_lb_health_due(struct evs_lb_health *h, uint64_t now_ms, int *changed)
{
	*changed = evs_lb_health_expire(h, now_ms);
	if (h->outstanding || now_ms < h->next_probe_ms)
		return false;
	h->outstanding = true;
	h->deadline_ms = now_ms + h->cfg.timeout_ms;
	/* from the due time, not from now: a late poll does not drift the schedule,
	 * but a poll more than an interval late does not send a burst either */
	h->next_probe_ms += h->cfg.interval_ms;
	if (h->next_probe_ms <= now_ms)
		h->next_probe_ms = now_ms + h->cfg.interval_ms;
	h->stats.probes_sent++;
	return true;
}

int evs_lb_health_result(struct evs_lb_health *h, uint64_t now_ms, enum evs_lb_probe_result r)
{
	if (!h->outstanding || now_ms >= h->deadline_ms) {
		/* past the deadline: the timeout decides, not a late answer */
		if (h->outstanding)
			return evs_lb_health_expire(h, now_ms);
		h->stats.probes_late++;
		return -1;
	}
	h->outstanding = false;
	if (r == EVS_LB_PROBE_OK) {
		h->stats.probes_ok++;
		return succeeded(h, now_ms);
	}
	h->stats.probes_failed++;
	return failed(h, now_ms);
}

int evs_lb_health_passive_fail(struct evs_lb_health *h, uint64_t now_ms)
{
	h->stats.passive_failures++;
	if (h->state == EVS_LB_HEALTH_DOWN)
		return -1;
	if (h->passive_seen && now_ms < h->passive_ms + h->cfg.interval_ms)
		return -1;
	h->passive_seen = true;
	h->passive_ms = now_ms;
	if (!h->outstanding)
		h->next_probe_ms = now_ms;
	return failed(h, now_ms);
}

uint64_t evs_lb_health_wait_ms(const struct evs_lb_health *h, uint64_t now_ms)
{
	uint64_t at = h->outstanding ? h->deadline_ms : h->next_probe_ms;

	return at > now_ms ? at - now_ms : 0;
}

const char *evs_lb_health_state_name(enum evs_lb_health_state s)
{
	return s == EVS_LB_HEALTH_UP ? "up" : "down";
}
