/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The load balancer module's descriptor: stages, opcodes, drops, counters
 * and per-lcore contexts (each claims its own conntrack context from the
 * shared table, the module's argument, so the connections it commits are
 * expired by its own tick).
 */
#include <errno.h>

#include <rte_common.h>
#include <rte_malloc.h>

#include "evs_ct_module.h"

#include "lb_private.h"

const char *const lb_drop_names[EVS_LB_DROP_MAX] = {
    [EVS_LB_DROP_NO_BACKEND] = "lb_no_backend",
    [EVS_LB_DROP_INVALID] = "lb_invalid",
    [EVS_LB_DROP_REFUSED] = "lb_refused",
    [EVS_LB_DROP_VIP_GONE] = "lb_vip_gone",
};

const char *const lb_counter_names[EVS_LB_C_MAX] = {
    [EVS_LB_C_NEW] = "lb_new",
    [EVS_LB_C_HIT] = "lb_hit",
    [EVS_LB_C_REPLY] = "lb_reply",
    [EVS_LB_C_AFFINITY] = "lb_affinity",
    [EVS_LB_C_PASSIVE] = "lb_passive_signal",
    [EVS_LB_C_NEXT_DIRECT] = "lb_next_direct",
    [EVS_LB_C_NEXT_CLASSIFIED] = "lb_next_classified",
    [EVS_LB_C_CT_PREFETCH] = "lb_ct_prefetch",
};

static const char *const algo_names[EVS_LB_ALGO_MAX] = {
    [EVS_LB_ALGO_MAGLEV] = "maglev",
    [EVS_LB_ALGO_LEAST_CONN] = "least_conn",
    [EVS_LB_ALGO_SOURCE_IP] = "source_ip",
};

const char *evs_lb_backend_state_name(enum evs_lb_dp_backend_state s)
{
	static const char *const names[] = {
	    [EVS_LB_BE_ACTIVE] = "active",
	    [EVS_LB_BE_DOWN] = "down",
	    [EVS_LB_BE_DRAINING] = "draining",
	    [EVS_LB_BE_REMOVING] = "removing",
	};

	return (unsigned int)s < RTE_DIM(names) ? names[s] : "?";
}

const char *evs_lb_algo_name(enum evs_lb_algo a)
{
	return (unsigned int)a < EVS_LB_ALGO_MAX ? algo_names[a] : NULL;
}

static void counters_get(const void *lctx, uint64_t *vals)
{
	const struct lb_lcore *ll = lctx;
	unsigned int c;

	for (c = 0; c < EVS_LB_C_MAX; c++)
		vals[c] += __atomic_load_n(&ll->counters[c], __ATOMIC_RELAXED);
}

static void add(struct evs_lb_counts *dst, const struct evs_lb_counts *src)
{
	/* relaxed: single-writer counters, a snapshot is enough */
	dst->conns += __atomic_load_n(&src->conns, __ATOMIC_RELAXED);
	dst->packets += __atomic_load_n(&src->packets, __ATOMIC_RELAXED);
	dst->bytes += __atomic_load_n(&src->bytes, __ATOMIC_RELAXED);
}

void evs_lb_lcore_stats(const void *lctx, struct evs_lb_counts *vip, struct evs_lb_counts *be)
{
	const struct lb_lcore *ll = lctx;
	unsigned int i;

	if (ll == NULL)
		return;
	for (i = 0; vip != NULL && i < EVS_LB_VIPS; i++)
		add(&vip[i], &ll->vip[i]);
	for (i = 0; be != NULL && i < EVS_LB_IDS; i++)
		add(&be[i], &ll->be[i]);
}

void evs_lb_lcore_passive(const void *lctx, uint32_t *sig)
{
	const struct lb_lcore *ll = lctx;

	for (unsigned int i = 0; ll != NULL && i < EVS_LB_IDS; i++)
		sig[i] += __atomic_load_n(&ll->passive[i], __ATOMIC_RELAXED);
}

static void *lcore_create(const struct evs_module_lcore_args *args)
{
	struct lb_lcore *ll;

	if (args->arg == NULL) {
		errno = EINVAL;
		return NULL;
	}
	ll = rte_zmalloc_socket("lb_lcore", sizeof(*ll), RTE_CACHE_LINE_SIZE, args->socket_id);
	if (ll == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	ll->lc = evs_ct_lcore_claim(args->arg);
	if (ll->lc == NULL) {
		rte_free(ll);
		return NULL; /* errno ENOSPC: the table needs a context per module */
	}
	ll->pre_wanted = evs_ct_buckets_from_memory(args->arg);
	return ll;
}

static void lcore_free(void *lctx)
{
	rte_free(lctx);
}

/* Ask for the conntrack buckets of a chunk that may hold VIP traffic
 * before it is classified (the miss overlaps the classifier). */
static void ingress(const void *state, void *lctx, const struct evs_flow_key *keys, uint16_t n)
{
	struct lb_lcore *ll = lctx;

	(void)state;
	if (likely(ll->pre_left == 0))
		return;
	if (--ll->pre_left != 0 && !ll->pre_off) {
		evs_ct_prefetch_burst(ll->lc, keys, n, ll->pre_zone);
		ll->counters[EVS_LB_C_CT_PREFETCH] += n;
	}
	ll->pre_seen += n;
	if (++ll->pre_chunks == LB_PREFETCH_WINDOW || ll->pre_left == 0) {
		ll->pre_off = ll->pre_left != 0 && (uint64_t)ll->pre_taken * 2 < ll->pre_seen;
		ll->pre_chunks = 0;
		ll->pre_seen = ll->pre_taken = 0;
	}
}

/* Idle lcores expire the connections they committed too. */
static void tick(void *lctx)
{
	struct lb_lcore *ll = lctx;

	evs_ct_lcore_set_now(ll->lc, evs_ct_now_ms());
	evs_ct_expire(ll->lc, EVS_CT_TICK_EXPIRE_BUDGET);
}

const struct evs_module evs_lb_module = {
    .name = "lb",
    .stages = lb_stages,
    .n_stages = LB_N_STAGES,
    .opcodes = lb_opcodes,
    .n_opcodes = EVS_LB_OP_MAX,
    .n_deps = 1,
    .drop_names = lb_drop_names,
    .n_drops = EVS_LB_DROP_MAX,
    .counter_names = lb_counter_names,
    .n_counters = EVS_LB_C_MAX,
    .counters_get = counters_get,
    .lcore_create = lcore_create,
    .lcore_free = lcore_free,
    .tick = tick,
    .ingress = ingress,
};
