/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_LB_CONF_H
#define EVS_LB_CONF_H

/**
 * @file
 * The load balancer's object types and how they become backend pools.
 *
 * What: types "lb.vip" (methods lb.vip.add/del/set/get/list) and
 * "lb.backend" (lb.backend.*) in the object store. A VIP is an address,
 * protocol and port (0: all ports) in a scope (a logical switch or router)
 * and owns one evs_lb_pool; a backend is an address and port of a VIP with a
 * weight (0 drains), a drain timeout and optional health checks. Deleting a
 * backend removes it from the table at once and from the pool after its
 * drain timeout (evs_lb_conf_tick). Deleting a VIP deletes its backends.
 *
 * Transactions: every rule is checked before anything changes (check and
 * validate hooks), a VIP's pool is created in prepare (freed on abort),
 * pool changes happen in commit, and each changed pool's table is rebuilt
 * at the end of the commit. A rebuild that fails (-ENOMEM, or -EBUSY while
 * readers lag) leaves the pool dirty; it is counted and retried by the
 * next evs_lb_conf_tick().
 *
 * Thread-safety: the management lcore only (the store's thread).
 */

#include <stdint.h>

#include <rte_rcu_qsbr.h>

#include "evs_lb.h"
#include "evs_lb_pool.h"
#include "evs_store.h"

#ifdef __cplusplus
extern "C" {
#endif

struct evs_lb_conf;

/** Configuration of evs_lb_conf_create(). */
struct evs_lb_conf_config {
	uint32_t max_vips;	       /**< 1..65536 */
	uint32_t max_backends;	       /**< per VIP, draining ones included, 1..65536;
					  a VIP's table_size must exceed it */
	int socket_id;		       /**< of the Maglev tables */
	struct rte_rcu_qsbr *qsbr;     /**< the PMD lcores' RCU variable, or NULL */
	uint64_t (*now_ms)(void *arg); /**< the clock (a fake one in tests) */
	void *clock_arg;
	evs_lb_pool_state_cb on_state; /**< health transitions, may be NULL */
	void *cb_arg;
	/**
	 * The switch datapaths (evs_l2_ldp) a VIP's scope serves: a switch's,
	 * or every switch a router attaches to. Fills at most @p max, returns
	 * how many (0: none yet). NULL: VIPs serve nowhere.
	 */
	unsigned int (*scope_ldps)(const char *scope, uint16_t *ldps, unsigned int max, void *arg);
	void *ldp_arg;
	/**
	 * After each publish of the datapath tables (evs_lb_conf_state), may be
	 * NULL. @p stages_changed: what the stages consult changed (VIPs,
	 * backend addresses): bump the module's dependency (after the store,
	 * so a translation that sees the bump reads the new tables).
	 */
	void (*on_publish)(void *arg, bool stages_changed);
	void *publish_arg;
	struct evs_ct *ct; /**< least-connections counts (evs_lb_state.ct) */
};

/** Counters of the configuration layer. */
struct evs_lb_conf_stats {
	uint64_t rebuilds;	   /**< tables published */
	uint64_t rebuild_failures; /**< rebuilds that failed and wait for a retry */
};

/** @return a context, or NULL with errno EINVAL or ENOMEM. */
struct evs_lb_conf *evs_lb_conf_create(const struct evs_lb_conf_config *cfg);

/** Free the context and every pool; the store must be gone (or hold no lb object). */
void evs_lb_conf_free(struct evs_lb_conf *lb);

/**
 * Register "lb.vip" then "lb.backend" in @st, hooks bound to @lb.
 * @return 0 or an error of evs_store_type_add().
 */
int evs_lb_store_add(struct evs_store *st, struct evs_lb_conf *lb);

/**
 * Advance time on every pool (evs_lb_pool_tick with @send for due probes),
 * then republish changed tables. @return tables that failed to rebuild.
 */
uint32_t evs_lb_conf_tick(struct evs_lb_conf *lb,
			  void (*send)(void *arg, const struct evs_lb_backend_spec *b), void *arg);

/** The pool of a VIP object (from evs_store_lookup_str(st, "lb.vip", name)), or NULL. */
struct evs_lb_pool *evs_lb_conf_pool(const struct evs_lb_conf *lb, struct evs_store_obj *vip);

/** The backend id of a backend object (what Maglev lookups return), or 0. */
uint32_t evs_lb_conf_backend_id(struct evs_store_obj *o);

void evs_lb_conf_stats(const struct evs_lb_conf *lb, struct evs_lb_conf_stats *out);

/**
 * The module's published state (evs_pipeline_state.mod[] of evs_lb_module):
 * lives as long as @p lb; its tables are republished after every change
 * and the old ones freed after an RCU grace (evs_lb_conf_tick reclaims).
 */
const struct evs_lb_state *evs_lb_conf_state(const struct evs_lb_conf *lb);

/** The datapath slot of a VIP object (index of evs_lb_lcore_stats' VIP counts), or -1. */
int evs_lb_conf_vip_slot(struct evs_store_obj *vip);

#ifdef __cplusplus
}
#endif

#endif /* EVS_LB_CONF_H */
