/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Expiry: each lcore files the connections it created in a timer wheel of
 * 128 ms slots. Packets on any lcore only move entry->expires forward; when
 * a slot comes due its entries are checked and either expired or re-filed
 * at their current expiry (lazy, so a packet never touches the wheel).
 * Work per call is bounded by a budget, so no call stalls the core; a
 * backlog is worked off over the next calls.
 *
 * A flush leaves its entries in the wheels (only the owner may touch a
 * wheel); each owner then walks its whole wheel once, in budgeted steps,
 * taking the dead ones out, so their memory comes back within a few
 * thousand calls instead of at their slot's time.
 */
#include <rte_malloc.h>

#include "ct_private.h"

static uint64_t tick_of(uint64_t ms)
{
	return ms >> CT_WHEEL_SHIFT;
}

void ct_wheel_file(struct evs_ct_lcore *lc, struct ct_entry *e)
{
	uint64_t t = tick_of(atomic_load_explicit(&e->expires, memory_order_relaxed));
	uint32_t slot;

	/* the slot being walked is never filed into: it would never drain */
	if (t <= lc->wheel_tick)
		t = lc->wheel_tick + 1;
	if (t >= lc->wheel_tick + CT_WHEEL_SLOTS)
		t = lc->wheel_tick + CT_WHEEL_SLOTS - 1; /* beyond the horizon: look again then */
	slot = (uint32_t)(t & (CT_WHEEL_SLOTS - 1));
	e->wheel_next = lc->wheel[slot];
	lc->wheel[slot] = e;
}

static bool grace_over(const struct evs_ct *ct, const struct ct_entry *e)
{
	return ct->qsv == NULL || rte_rcu_qsbr_check(ct->qsv, e->rcu_token, false) == 1;
}

static void limbo_push(struct evs_ct_lcore *lc, struct ct_entry *e)
{
	e->wheel_next = NULL;
	if (lc->limbo_tail != NULL)
		lc->limbo_tail->wheel_next = e;
	else
		lc->limbo_head = e;
	lc->limbo_tail = e;
}

/* Free limbo entries whose grace is over; they are in token order. */
static uint32_t limbo_drain(struct evs_ct_lcore *lc, uint32_t budget)
{
	uint32_t n = 0;

	while (n < budget && lc->limbo_head != NULL && grace_over(lc->ct, lc->limbo_head)) {
		struct ct_entry *e = lc->limbo_head;

		lc->limbo_head = e->wheel_next;
		if (lc->limbo_head == NULL)
			lc->limbo_tail = NULL;
		ct_entry_put(lc->ct, e);
		n++;
	}
	return n;
}

/* A due entry: re-file, or expire and retire. */
static void entry_due(struct evs_ct_lcore *lc, struct ct_entry *e)
{
	struct evs_ct *ct = lc->ct;

	/* acquire: pairs with ct_entry_unlink, so a DEAD entry's token is read whole */
	if (atomic_load_explicit(&e->life, memory_order_acquire) == CT_LIFE_LIVE) {
		if (atomic_load_explicit(&e->expires, memory_order_relaxed) > lc->now) {
			ct_wheel_file(lc, e);
			return;
		}
		rte_spinlock_lock(&ct->wlock);
		if (atomic_load_explicit(&e->life, memory_order_relaxed) == CT_LIFE_LIVE) {
			ct_entry_unlink(ct, e);
			ct_count(lc, EVS_CT_C_EXPIRED);
		}
		rte_spinlock_unlock(&ct->wlock);
	}
	limbo_push(lc, e);
}

/* One budgeted step of the post-flush walk; returns entries looked at. */
static uint32_t flush_walk(struct evs_ct_lcore *lc, uint32_t budget)
{
	uint32_t gen = atomic_load_explicit(&lc->ct->flush_gen, memory_order_relaxed);
	uint32_t n = 0;

	if (lc->scan_link == NULL) {
		if (lc->scan_gen == gen)
			return 0;
		lc->scan_gen = gen; /* a flush during the walk starts another */
		lc->scan_slot = 0;
		lc->scan_link = &lc->wheel[0];
	}
	while (n < budget) {
		struct ct_entry *e = *lc->scan_link;

		if (e == NULL) {
			if (++lc->scan_slot == CT_WHEEL_SLOTS) {
				lc->scan_link = NULL;
				break;
			}
			lc->scan_link = &lc->wheel[lc->scan_slot];
			continue;
		}
		if (atomic_load_explicit(&e->life, memory_order_acquire) == CT_LIFE_DEAD) {
			*lc->scan_link = e->wheel_next;
			limbo_push(lc, e);
		} else {
			lc->scan_link = &e->wheel_next;
		}
		n++;
	}
	return n;
}

uint32_t evs_ct_expire(struct evs_ct_lcore *lc, uint32_t budget)
{
	uint64_t now_tick = tick_of(lc->now);
	uint32_t n = limbo_drain(lc, budget);

	/* a slot is walked once its whole interval has passed */
	while (n < budget && lc->wheel_tick < now_tick) {
		uint32_t slot = (uint32_t)(lc->wheel_tick & (CT_WHEEL_SLOTS - 1));
		struct ct_entry *e = lc->wheel[slot];

		if (e == NULL) {
			lc->wheel_tick++;
			continue;
		}
		/* the walk's place may go with the entry popped: redo the slot */
		if (lc->scan_link != NULL && slot == lc->scan_slot)
			lc->scan_link = &lc->wheel[slot];
		lc->wheel[slot] = e->wheel_next;
		entry_due(lc, e);
		n++;
	}
	if (n < budget)
		n += flush_walk(lc, budget - n);
	return n;
}
