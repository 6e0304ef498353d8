/* SPDX-License-Identifier: BSD-3-Clause */
/* Per-PMD-lcore contexts: creation, registration with a MAC table, counters. */
#include <errno.h>

#include <rte_errno.h>
#include <rte_malloc.h>

#include "l2_private.h"

struct evs_l2_lcore *evs_l2_lcore_create(const struct evs_l2_lcore_config *cfg)
{
	struct evs_l2_lcore *lc;
	unsigned int slot;

	if (cfg == NULL || cfg->macs == NULL || cfg->clone_pool == NULL) {
		rte_errno = EINVAL;
		return NULL;
	}
	for (slot = 0; slot < RTE_MAX_LCORE; slot++)
		if (cfg->macs->lcores[slot] == NULL)
			break;
	if (slot == RTE_MAX_LCORE) {
		rte_errno = ENOSPC;
		return NULL;
	}
	lc = rte_zmalloc_socket("evs_l2_lcore", sizeof(*lc), RTE_CACHE_LINE_SIZE, cfg->socket_id);
	if (lc == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	lc->macs = cfg->macs;
	lc->pool = cfg->clone_pool;
	lc->slot = slot;
	lc->now = evs_l2_now();
	cfg->macs->lcores[slot] = lc;
	return lc;
}

void evs_l2_lcore_free(struct evs_l2_lcore *lc)
{
	if (lc == NULL)
		return;
	lc->macs->lcores[lc->slot] = NULL;
	rte_free(lc);
}

void evs_l2_lcore_set_time(struct evs_l2_lcore *lc, uint32_t now)
{
	lc->now = now;
}

void evs_l2_lcore_stats_add(const struct evs_l2_lcore *lc, struct evs_l2_lcore_stats *sum)
{
	const struct evs_l2_lcore_stats *s = &lc->st;
	unsigned int i;

	/* relaxed loads pair with the owner's relaxed stores: each counter is
	 * read whole, counters are not mutually consistent (nor need to be) */
	sum->rx += __atomic_load_n(&s->rx, __ATOMIC_RELAXED);
	sum->unicast += __atomic_load_n(&s->unicast, __ATOMIC_RELAXED);
	sum->flooded += __atomic_load_n(&s->flooded, __ATOMIC_RELAXED);
	sum->flood_copies += __atomic_load_n(&s->flood_copies, __ATOMIC_RELAXED);
	sum->learn_events += __atomic_load_n(&s->learn_events, __ATOMIC_RELAXED);
	sum->refreshed += __atomic_load_n(&s->refreshed, __ATOMIC_RELAXED);
	for (i = 0; i < EVS_L2_DROP_MAX; i++)
		sum->drops[i] += __atomic_load_n(&s->drops[i], __ATOMIC_RELAXED);
}
