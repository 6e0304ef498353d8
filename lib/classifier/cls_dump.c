/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Readers for other lcores: dumps and statistics. Nothing here writes to the
 * instance. Entry slots and subtable slots are never freed while the instance
 * lives, so reading one is always memory-safe; its sequence counter tells
 * whether the copy is consistent.
 */

#include <assert.h>
#include <errno.h>
#include <string.h>

#include <rte_pause.h>

#include "cls_private.h"

/* Retries before giving up on a slot the owner keeps rewriting (or was preempted in). */
#define CLS_READ_TRIES 64

/* Copy one entry if live and consistent. */
static bool read_flow(const struct evs_cls *cls, const struct evs_megaflow *f,
		      struct evs_megaflow_info *out)
{
	for (unsigned int t = 0; t < CLS_READ_TRIES; t++) {
		/* Acquire: the copy below reads data at least as new as this version. */
		uint32_t v1 = __atomic_load_n(&f->version, __ATOMIC_ACQUIRE);
		uint16_t live, sub, alen;

		if (v1 & 1) {
			rte_pause();
			continue;
		}
		live = __atomic_load_n(&f->live, __ATOMIC_RELAXED);
		sub = __atomic_load_n(&f->subtable, __ATOMIC_RELAXED);
		alen = __atomic_load_n(&f->actions_len, __ATOMIC_RELAXED);
		/* Bounds hold even on a torn read, so the copy never strays. */
		if (live && sub < cls->max_subtables && alen <= cls->actions_max) {
			out->id = f->id;
			out->key = f->key;
			/* The entry pins its subtable: unchanged version => unchanged mask. */
			out->mask = cls->subtables[sub].mask;
			out->created = f->created;
			out->gen = f->gen;
			out->actions_len = alen;
			memcpy(out->actions, f->actions, alen);
			out->hits = __atomic_load_n(&f->hits, __ATOMIC_RELAXED);
			out->bytes = __atomic_load_n(&f->bytes, __ATOMIC_RELAXED);
			out->last_used = __atomic_load_n(&f->last_used, __ATOMIC_RELAXED);
		}
		/* Acquire fence: the copy is done before re-reading the version. */
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&f->version, __ATOMIC_RELAXED) == v1)
			return live && sub < cls->max_subtables && alen <= cls->actions_max;
	}
	return false;
}

int evs_cls_dump(const struct evs_cls *cls, uint64_t *cursor, struct evs_megaflow_info *out,
		 unsigned int n)
{
	uint32_t hwm;
	uint64_t i;
	unsigned int filled = 0;

	if (cls == NULL || cursor == NULL || (out == NULL && n != 0))
		return -EINVAL;
	if (*cursor == EVS_CLS_CURSOR_END)
		return 0;
	if (*cursor > UINT32_MAX)
		return -EINVAL;
	/* Acquire: pairs with the owner's release when it first uses a slot. */
	hwm = __atomic_load_n(&cls->hwm, __ATOMIC_ACQUIRE);
	for (i = *cursor; i < hwm && filled < n; i++)
		if (read_flow(cls, cls_slot(cls, (uint32_t)i), &out[filled]))
			filled++;
	*cursor = i >= hwm ? EVS_CLS_CURSOR_END : i;
	return (int)filled;
}

int evs_cls_stats_get(const struct evs_cls *cls, struct evs_cls_stats *st)
{
	const uint64_t *src;
	uint64_t *dst;

	if (cls == NULL || st == NULL)
		return -EINVAL;
	static_assert(offsetof(struct evs_cls_stats, n_flows) % 8 == 0, "u64 counters first");
	src = (const uint64_t *)&cls->st;
	dst = (uint64_t *)st;
	/* Relaxed: each counter on its own; no cross-counter consistency promised. */
	for (size_t i = 0; i < offsetof(struct evs_cls_stats, n_flows) / 8; i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
	st->n_flows = __atomic_load_n(&cls->st.n_flows, __ATOMIC_RELAXED);
	st->n_subtables = __atomic_load_n(&cls->st.n_subtables, __ATOMIC_RELAXED);
	st->emc_active = __atomic_load_n(&cls->st.emc_active, __ATOMIC_RELAXED);
	return 0;
}

int evs_cls_subtables_get(const struct evs_cls *cls, struct evs_cls_subtable_info *out,
			  unsigned int n)
{
	unsigned int filled = 0;

	if (cls == NULL || (out == NULL && n != 0))
		return -EINVAL;
	for (uint32_t i = 0; i < cls->max_subtables && filled < n; i++) {
		const struct cls_subtable *st = &cls->subtables[i];

		for (unsigned int t = 0; t < CLS_READ_TRIES; t++) {
			uint32_t s1 = __atomic_load_n(&st->seq, __ATOMIC_ACQUIRE);
			uint32_t live;

			if (s1 & 1) {
				rte_pause();
				continue;
			}
			live = __atomic_load_n(&st->live, __ATOMIC_RELAXED);
			if (live)
				out[filled].mask = st->mask;
			__atomic_thread_fence(__ATOMIC_ACQUIRE);
			if (__atomic_load_n(&st->seq, __ATOMIC_RELAXED) != s1)
				continue;
			if (live) {
				out[filled].n_flows =
				    __atomic_load_n(&st->n_flows, __ATOMIC_RELAXED);
				out[filled].rank = __atomic_load_n(&st->rank, __ATOMIC_RELAXED);
				out[filled].hits = __atomic_load_n(&st->hits, __ATOMIC_RELAXED);
				filled++;
			}
			break;
		}
	}
	return (int)filled;
}
