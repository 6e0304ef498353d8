/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hot copies of load-balanced connections (design in ct_hot.h).
 */
#include <errno.h>

#include <rte_malloc.h>

#include "ct_hot.h"

#define VER_ODD (UINT64_C(1) << 32)

struct ct_hot *ct_hot_create(uint32_t max_conns, int socket_id)
{
	struct ct_hot *h;

	if (max_conns == 0 || max_conns > CT_HOT_IDX_MAX) {
		errno = EINVAL;
		return NULL;
	}
	h = rte_zmalloc_socket("ct_hot", sizeof(*h), 0, socket_id);
	if (h == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	h->nl = max_conns;
	h->bytes = (size_t)h->nl * sizeof(struct ct_hot_line);
	h->l = rte_zmalloc_socket("ct_hot_lines", h->bytes, RTE_CACHE_LINE_SIZE, socket_id);
	if (h->l == NULL) {
		rte_free(h);
		errno = ENOMEM;
		return NULL;
	}
	return h;
}

void ct_hot_free(struct ct_hot *h)
{
	if (h == NULL)
		return;
	rte_free(h->l);
	rte_free(h);
}

static bool holds(const struct ct_hot_rec *c, uint64_t k0, uint64_t k1)
{
	return atomic_load_explicit(&c->ix, memory_order_relaxed) != 0 &&
	       atomic_load_explicit(&c->k0, memory_order_relaxed) == k0 &&
	       ((atomic_load_explicit(&c->k1, memory_order_relaxed) ^ k1) & CT_HOT_KEY_MASK) == 0;
}

/* Take @c for writing (its version odd): the version it had, or false. */
static bool take(struct ct_hot_rec *c, uint64_t *w)
{
	*w = atomic_load_explicit(&c->word, memory_order_relaxed);
	if (*w & VER_ODD)
		return false; /* another writer's */
	if (!atomic_compare_exchange_strong_explicit(&c->word, w,
						     (*w | VER_ODD) & ~UINT64_C(0xffffffff),
						     memory_order_acquire, memory_order_relaxed))
		return false;
	/* the odd version before the field stores that follow (a reader that
	 * sees one of them sees it): as rte_seqlock's writer */
	atomic_thread_fence(memory_order_release);
	return true;
}

/* Hand @c back with the next even version and expiry @exp. */
static void give(struct ct_hot_rec *c, uint64_t w, uint32_t exp)
{
	/* release: readers that see it see the fields written before */
	atomic_store_explicit(&c->word, ((w >> 32) + 2) << 32 | exp, memory_order_release);
}

void ct_hot_put(struct ct_hot *h, uint32_t sig, uint64_t k0, uint64_t k1,
		const struct ct_hot_val *v, uint32_t keep)
{
	struct ct_hot_line *l = ct_hot_line_of(h, sig);
	struct ct_hot_rec *c = NULL;
	unsigned int r;
	uint64_t w;

	if (v->flags == 0)
		return; /* an empty record's mark: no copy */
	for (r = 0; r < 2 && c == NULL; r++)
		if (holds(&l->rec[r], k0, k1))
			c = &l->rec[r];
	for (r = 0; r < 2 && c == NULL; r++)
		if (atomic_load_explicit(&l->rec[r].ix, memory_order_relaxed) == 0)
			c = &l->rec[r];
	if (c == NULL) {
		/* both taken: one of them, the same for a key, by a bit of the
		 * hash the line formula leaves out (the rotated hash's lowest) */
		c = &l->rec[(sig >> 16) & 1];
		/* wrap-safe: grains of a 32-bit count */
		if ((int32_t)(v->exp - (uint32_t)atomic_load_explicit(&c->word,
								       memory_order_relaxed)) <=
		    (int32_t)RTE_MIN(keep, (uint32_t)INT32_MAX))
			return;
	}
	if (!take(c, &w))
		return;
	atomic_store_explicit(&c->k0, k0, memory_order_relaxed);
	atomic_store_explicit(&c->k1, (k1 & CT_HOT_KEY_MASK) | (uint64_t)v->backend << 48,
			      memory_order_relaxed);
	atomic_store_explicit(&c->mark, v->mark, memory_order_relaxed);
	atomic_store_explicit(&c->ix, (v->idx & (CT_HOT_IDX_MAX - 1)) | (uint32_t)v->flags << 28,
			      memory_order_relaxed);
	give(c, w, v->exp);
}

void ct_hot_drop(struct ct_hot *h, uint32_t sig, uint64_t k0, uint64_t k1)
{
	struct ct_hot_line *l = ct_hot_line_of(h, sig);

	for (unsigned int r = 0; r < 2; r++) {
		struct ct_hot_rec *c = &l->rec[r];
		uint64_t w;

		/* one a writer holds is skipped: that writer reads the entry
		 * again after its fence and drops what it put (ct_hot.h) */
		if (!holds(c, k0, k1) || !take(c, &w))
			continue;
		atomic_store_explicit(&c->ix, 0, memory_order_relaxed);
		atomic_store_explicit(&c->k0, 0, memory_order_relaxed);
		atomic_store_explicit(&c->k1, 0, memory_order_relaxed);
		give(c, w, 0);
	}
}

uint32_t ct_hot_count(const struct ct_hot *h)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < h->nl; i++)
		for (unsigned int r = 0; r < 2; r++)
			n += atomic_load_explicit(&h->l[i].rec[r].ix, memory_order_relaxed) != 0;
	return n;
}
