/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_LB_POOL_H
#define EVS_LB_POOL_H

/**
 * @file
 * A VIP's backend pool: weights, draining, removal with a drain timeout and
 * health, turned into the VIP's published Maglev table.
 *
 * What: a backend takes new connections (is in the Maglev table) iff it is
 * not being removed, its weight is above 0, and its health is UP or not
 * checked. Changes mark the pool dirty; evs_lb_pool_commit() rebuilds and
 * publishes the table once for any number of changes. A removed backend
 * leaves the table at once but stays in the pool (its id stays valid for
 * the connections that still use it, and for their stats) until its drain
 * timeout, then evs_lb_pool_tick() deletes it; its health is frozen
 * meanwhile (no probes, results and passive signals ignored).
 *
 * Thread-safety: the management lcore only; PMD lcores read the table
 * through evs_lb_pool_maglev() and evs_maglev_lookup().
 */

#include <stdbool.h>
#include <stdint.h>

#include "evs_lb_health.h"
#include "evs_lb_maglev.h"

#ifdef __cplusplus
extern "C" {
#endif

struct evs_lb_pool;

/** Called on every health transition (for counters and evs_ctl_notify). */
typedef void (*evs_lb_pool_state_cb)(void *arg, uint32_t id, enum evs_lb_health_state s,
				     uint64_t now_ms);

struct evs_lb_pool_config {
	struct evs_maglev_config maglev;
	uint32_t max_backends;	       /**< 1..65536 */
	evs_lb_pool_state_cb on_state; /**< may be NULL */
	void *cb_arg;
};

/** A backend as configured. */
struct evs_lb_backend_spec {
	uint32_t id;			 /**< < EVS_MAGLEV_NONE, unique in the pool */
	uint32_t weight;		 /**< 0 drains: no new connections */
	uint8_t key[EVS_MAGLEV_KEY_MAX]; /**< identity (address, port), unique */
	uint8_t key_len;
	bool check;			    /**< health-checked */
	struct evs_lb_health_config health; /**< if @check */
};

/** A backend's state as reported by evs_lb_pool_get(). */
struct evs_lb_backend_info {
	struct evs_lb_backend_spec spec;
	bool removing; /**< removed, draining until @remove_at_ms */
	uint64_t remove_at_ms;
	bool in_table;			 /**< takes new connections */
	enum evs_lb_health_state health; /**< UP when not checked */
	struct evs_lb_health_stats health_stats;
};

/** @return the pool, or NULL with errno EINVAL or ENOMEM. */
struct evs_lb_pool *evs_lb_pool_create(const struct evs_lb_pool_config *cfg);

/** NULL is a no-op; readers of the table must be gone. */
void evs_lb_pool_free(struct evs_lb_pool *p);

/**
 * Add a backend at @now_ms (health starts as its config says).
 * @return 0; -EINVAL (bad id, key or health config); -EEXIST (id or key in
 *   the pool, including a backend still draining); -ENOSPC.
 */
int evs_lb_pool_add(struct evs_lb_pool *p, const struct evs_lb_backend_spec *spec, uint64_t now_ms);

/** @return 0, -ENOENT, or -EALREADY if the backend is being removed. */
int evs_lb_pool_set_weight(struct evs_lb_pool *p, uint32_t id, uint32_t weight);

/**
 * Turn health checks on (with @cfg, starting from its initial state at
 * @now_ms), off (@check false), or retune them (evs_lb_health_reconfigure).
 * @return 0, -ENOENT, -EALREADY (being removed), or -EINVAL (bad @cfg;
 *   nothing changed).
 */
int evs_lb_pool_set_check(struct evs_lb_pool *p, uint32_t id, bool check,
			  const struct evs_lb_health_config *cfg, uint64_t now_ms);

/** Is a backend with this key still draining (so it cannot be added again yet)? */
bool evs_lb_pool_key_draining(const struct evs_lb_pool *p, const uint8_t *key, uint8_t key_len);

/**
 * Remove a backend: out of the table at the next commit, deleted by
 * evs_lb_pool_tick() once @now_ms + @drain_ms has passed and a table
 * without it is published (so a lookup never returns an unknown id).
 * @return 0, -ENOENT, or -EALREADY.
 */
int evs_lb_pool_remove(struct evs_lb_pool *p, uint32_t id, uint32_t drain_ms, uint64_t now_ms);

/**
 * A removed backend has no connection left: its drain is over now (it is
 * deleted by the next evs_lb_pool_tick() once a table without it is out).
 * @return 0, -ENOENT, or -EINVAL if it is not being removed.
 */
int evs_lb_pool_drain_done(struct evs_lb_pool *p, uint32_t id, uint64_t now_ms);

/**
 * Advance time: probe timeouts, finished drains. Calls @send for every
 * checked backend whose probe is due (the prober sends it and later reports
 * with evs_lb_pool_probe_result()).
 * @return the number of backends deleted.
 */
uint32_t evs_lb_pool_tick(struct evs_lb_pool *p, uint64_t now_ms,
			  void (*send)(void *arg, const struct evs_lb_backend_spec *b), void *arg);

/** Outcome of a backend's probe. @return 0 or -ENOENT (also if not checked). */
int evs_lb_pool_probe_result(struct evs_lb_pool *p, uint32_t id, uint64_t now_ms,
			     enum evs_lb_probe_result r);

/** A passive failure signal (evs_lb_health_passive_fail()). @return 0 or -ENOENT. */
int evs_lb_pool_passive_fail(struct evs_lb_pool *p, uint32_t id, uint64_t now_ms);

/** Does the published table lag the pool? */
bool evs_lb_pool_dirty(const struct evs_lb_pool *p);

/**
 * Rebuild and publish the table if the pool changed.
 * @return 0, or an error of evs_maglev_update() (the pool stays dirty and
 *   the old table stays published).
 */
int evs_lb_pool_commit(struct evs_lb_pool *p);

/** The published table, for evs_maglev_lookup(). */
const struct evs_maglev *evs_lb_pool_maglev(const struct evs_lb_pool *p);

/** @return 0 or -ENOENT. */
int evs_lb_pool_get(const struct evs_lb_pool *p, uint32_t id, struct evs_lb_backend_info *info);

/** The @p i th backend (0..evs_lb_pool_count()-1, any order). @return 0 or -ENOENT. */
int evs_lb_pool_get_at(const struct evs_lb_pool *p, uint32_t i, struct evs_lb_backend_info *info);

/** Number of backends, draining ones included. */
uint32_t evs_lb_pool_count(const struct evs_lb_pool *p);

#ifdef __cplusplus
}
#endif

#endif /* EVS_LB_POOL_H */
