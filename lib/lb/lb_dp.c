/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The datapath's tables (struct evs_lb_dp) built from the pools on the
 * management lcore, published with one release store, and freed with
 * everything a reader may still hold (a deleted VIP's pool and Maglev
 * table, its affinity table) after an RCU grace.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_log.h>

#include "lb_conf_private.h"

/* Free to hand out: in no pool, and named by no connection (conntrack's
 * count: a removed backend's connections may outlive its drain timeout). */
static bool id_free(const struct evs_lb_conf *lb, uint32_t id)
{
	return !lb->id_used[id] &&
	       (lb->state.ct == NULL || evs_ct_backend_count(lb->state.ct, (uint16_t)id) == 0);
}

/* Round from the last id handed out: an id comes back only after all the
 * others, and never while a connection names it. That is what makes an
 * id's DNAT template (dp->tpl) right for every connection that names it:
 * a reader with an older table holds that table's meaning of the id. */
uint32_t lb_id_alloc(struct evs_lb_conf *lb)
{
	for (uint32_t i = 0; i < EVS_LB_IDS - 1; i++) {
		uint32_t id = (lb->last_id + i) % (EVS_LB_IDS - 1) + 1;

		if (id_free(lb, id)) {
			/* acquire: the unlinks that took the count to 0 come before
			 * the table that names the id again */
			atomic_thread_fence(memory_order_acquire);
			lb->id_used[id] = 1;
			lb->last_id = id;
			return id;
		}
	}
	return 0;
}

void lb_id_free(struct evs_lb_conf *lb, uint32_t id)
{
	if (id < EVS_LB_IDS)
		lb->id_used[id] = 0;
}

uint32_t lb_ids_free(const struct evs_lb_conf *lb)
{
	uint32_t n = 0;

	for (uint32_t id = 1; id < EVS_LB_IDS; id++)
		n += id_free(lb, id);
	return n;
}

static void grave_add(struct evs_lb_conf *lb, struct evs_lb_pool *pool, uint64_t *aff,
		      struct evs_lb_dp *dp)
{
	struct lb_grave *g = calloc(1, sizeof(*g));

	if (g == NULL) {
		/* cannot defer: leak rather than free under a reader */
		RTE_LOG(ERR, USER1, "lb: no memory to defer a free; leaking it\n");
		return;
	}
	g->pool = pool;
	g->affinity = aff;
	g->dp = dp;
	g->next = lb->graves;
	lb->graves = g;
}

static void dp_free(struct evs_lb_dp *dp)
{
	if (dp == NULL)
		return;
	free(dp->vip);
	free(dp->backend);
	free(dp->active);
	free(dp->tpl);
	free(dp);
}

static void grave_free(struct lb_grave *g)
{
	evs_lb_pool_free(g->pool);
	free(g->affinity);
	dp_free(g->dp);
	free(g);
}

void lb_vip_bury(struct evs_lb_conf *lb, struct lb_vip *v)
{
	grave_add(lb, v->pool, v->affinity, NULL);
	memset(v, 0, sizeof(*v));
}

/* The VIP's switches, sorted (so that a set compares with memcmp). */
static uint8_t scope_ldps(const struct evs_lb_conf *lb, const struct lb_vip *v,
			  uint16_t ldps[EVS_LB_VIP_LDPS])
{
	unsigned int n = 0;

	memset(ldps, 0, sizeof(uint16_t) * EVS_LB_VIP_LDPS);
	if (lb->cfg.scope_ldps != NULL)
		n = RTE_MIN(lb->cfg.scope_ldps(v->scope, ldps, EVS_LB_VIP_LDPS, lb->cfg.ldp_arg),
			    EVS_LB_VIP_LDPS);
	for (unsigned int i = 1; i < n; i++) /* insertion sort: a handful */
		for (unsigned int j = i; j > 0 && ldps[j - 1] > ldps[j]; j--) {
			uint16_t t = ldps[j];

			ldps[j] = ldps[j - 1];
			ldps[j - 1] = t;
		}
	return (uint8_t)n;
}

bool lb_dp_ldps_moved(const struct evs_lb_conf *lb)
{
	const struct evs_lb_dp *dp = lb->state.cur;
	uint16_t ldps[EVS_LB_VIP_LDPS];

	if (lb->dp_dirty)
		return true;
	for (uint32_t s = 0; dp != NULL && s < lb->cfg.max_vips; s++) {
		uint8_t n;

		if (lb->vips[s].pool == NULL)
			continue;
		n = scope_ldps(lb, &lb->vips[s], ldps);
		if (n != dp->vip[s].n_ldps || memcmp(ldps, dp->vip[s].ldps, sizeof(ldps)) != 0)
			return true;
	}
	return false;
}

/* A backend's address and port from its Maglev key (lb_conf.c's backend_key). */
static void backend_fill(struct evs_lb_dp_backend *b, const struct evs_lb_backend_info *in,
			 uint16_t slot)
{
	const uint8_t *k = in->spec.key;

	b->v6 = k[0] == 6;
	memcpy(b->addr, k + 1, 16);
	b->port = (uint16_t)(k[17] << 8 | k[18]);
	b->vip = slot;
	b->weight = in->spec.weight;
	if (in->in_table)
		b->state = EVS_LB_BE_ACTIVE;
	else if (in->removing)
		b->state = EVS_LB_BE_REMOVING;
	else if (in->health == EVS_LB_HEALTH_DOWN)
		b->state = EVS_LB_BE_DOWN;
	else
		b->state = EVS_LB_BE_DRAINING;
}

/* Fill @dp from the pools; recount the ids in use. */
static void build(struct evs_lb_conf *lb, struct evs_lb_dp *dp)
{
	uint32_t n_act = 0;

	memset(lb->id_used, 0, sizeof(lb->id_used));
	for (uint32_t id = 0; id < EVS_LB_IDS; id++)
		dp->backend[id].vip = UINT16_MAX;
	for (uint32_t s = 0; s < lb->cfg.max_vips; s++) {
		struct lb_vip *v = &lb->vips[s];
		struct evs_lb_dp_vip *dv = &dp->vip[s];
		struct evs_lb_backend_info in;

		if (v->pool == NULL)
			continue;
		*dv = v->dp;
		dv->used = true;
		dv->n_ldps = scope_ldps(lb, v, dv->ldps);
		dv->maglev = evs_lb_pool_maglev(v->pool);
		dv->affinity = v->affinity;
		dv->active_off = n_act;
		for (uint32_t i = 0; evs_lb_pool_get_at(v->pool, i, &in) == 0; i++) {
			uint32_t id = in.spec.id;

			if (id == 0 || id >= EVS_LB_IDS)
				continue; /* not ours to hand out: never happens */
			lb->id_used[id] = 1;
			backend_fill(&dp->backend[id], &in, (uint16_t)s);
			/* what choose() commits for this id: DNAT to address, port */
			evs_ct_nat_tpl_init(&dp->tpl[id], dp->backend[id].addr,
					    dp->backend[id].port, dp->backend[id].v6);
			/* sent to the VIP: the checksum deltas whole */
			if (!dv->v6)
				evs_ct_nat_tpl_set_vip(&dp->tpl[id], dv->addr, dv->port);
			dp->max_id = RTE_MAX(dp->max_id, id);
			if (in.in_table)
				dp->active[n_act++] = (uint16_t)id;
		}
		dv->n_active = n_act - dv->active_off;
	}
}

/* Did anything the stages consult change (so cached decisions are stale)? */
static bool stages_differ(const struct evs_lb_dp *a, const struct evs_lb_dp *b)
{
	uint32_t max_id;

	if (a == NULL || a->n_vips != b->n_vips)
		return true;
	for (uint32_t s = 0; s < b->n_vips; s++) {
		const struct evs_lb_dp_vip *x = &a->vip[s], *y = &b->vip[s];

		if (x->used != y->used || x->n_ldps != y->n_ldps ||
		    memcmp(x->ldps, y->ldps, sizeof(x->ldps)) != 0 || x->v6 != y->v6 ||
		    x->port != y->port || x->proto != y->proto ||
		    memcmp(x->addr, y->addr, 16) != 0 || x->snat != y->snat || x->dsr != y->dsr ||
		    memcmp(x->snat_addr, y->snat_addr, 16) != 0)
			return true;
	}
	max_id = RTE_MAX(a->max_id, b->max_id);
	for (uint32_t id = 1; id <= max_id; id++) {
		const struct evs_lb_dp_backend *x = &a->backend[id], *y = &b->backend[id];

		if (x->vip != y->vip || x->v6 != y->v6 || x->port != y->port ||
		    memcmp(x->addr, y->addr, 16) != 0)
			return true;
	}
	return false;
}

void lb_dp_publish(struct evs_lb_conf *lb)
{
	struct evs_lb_dp *dp = calloc(1, sizeof(*dp)), *old = lb->state.cur;
	bool changed;

	if (dp != NULL) {
		dp->n_vips = lb->cfg.max_vips;
		dp->vip = calloc(dp->n_vips, sizeof(*dp->vip));
		dp->backend = calloc(EVS_LB_IDS, sizeof(*dp->backend));
		dp->active = calloc(EVS_LB_IDS, sizeof(*dp->active));
		dp->tpl = calloc(EVS_LB_IDS, sizeof(*dp->tpl));
	}
	if (dp == NULL || dp->vip == NULL || dp->backend == NULL || dp->active == NULL ||
	    dp->tpl == NULL) {
		dp_free(dp);
		lb->dp_dirty = true; /* the tick tries again */
		lb->stats.rebuild_failures++;
		return;
	}
	build(lb, dp);
	dp->gen = ++lb->dp_gen;
	changed = stages_differ(old, dp);
	/* release: the tables are written before readers can see them */
	__atomic_store_n(&lb->state.cur, dp, __ATOMIC_RELEASE);
	lb->dp_dirty = false;
	lb->published_rebuilds = lb->stats.rebuilds;
	if (old != NULL)
		grave_add(lb, NULL, NULL, old);
	/* readers that could see what the graves hold started before now */
	for (struct lb_grave *g = lb->graves; g != NULL; g = g->next)
		if (!g->token_set) {
			g->token = lb->cfg.qsbr != NULL ? rte_rcu_qsbr_start(lb->cfg.qsbr) : 0;
			g->token_set = true;
		}
	if (lb->cfg.on_publish != NULL)
		lb->cfg.on_publish(lb->cfg.publish_arg, changed);
	lb_dp_reclaim(lb);
}

void lb_dp_reclaim(struct evs_lb_conf *lb)
{
	struct lb_grave **pp = &lb->graves;

	while (*pp != NULL) {
		struct lb_grave *g = *pp;

		if (g->token_set && (lb->cfg.qsbr == NULL ||
				     rte_rcu_qsbr_check(lb->cfg.qsbr, g->token, false) == 1)) {
			*pp = g->next;
			grave_free(g);
		} else {
			pp = &g->next;
		}
	}
}

void lb_dp_free_all(struct evs_lb_conf *lb)
{
	while (lb->graves != NULL) {
		struct lb_grave *g = lb->graves;

		lb->graves = g->next;
		grave_free(g);
	}
	dp_free(lb->state.cur);
	lb->state.cur = NULL;
}
