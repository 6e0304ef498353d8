/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Maglev table population and RCU publication (evs_lb_maglev.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_jhash.h>
#include <rte_malloc.h>

#include "evs_lb_maglev.h"

/* Two independent hashes of a key: seeds fixed for ever, since every host
 * (and every restart) must derive the same permutations. */
#define SEED_OFFSET 0x6d61676cu
#define SEED_SKIP 0x65763173u

/* Per active backend while populating. */
struct fill {
	uint32_t id;
	uint32_t weight;
	uint32_t next; /* next slot of its permutation to try */
	uint32_t skip;
	uint64_t credit;
};

int evs_maglev_is_prime(uint32_t n)
{
	if (n < 2)
		return 0;
	for (uint32_t d = 2; (uint64_t)d * d <= n; d++)
		if (n % d == 0)
			return 0;
	return 1;
}

void evs_maglev_permutation(const uint8_t *key, uint8_t key_len, uint32_t size, uint32_t *offset,
			    uint32_t *skip)
{
	/* jhash reads 32-bit words: hash an aligned copy, whatever the caller's buffer */
	uint32_t buf[EVS_MAGLEV_KEY_MAX / sizeof(uint32_t)];

	/* populate checks key_len; the clamp keeps another caller's mistake in bounds */
	key_len = RTE_MIN(key_len, (uint8_t)EVS_MAGLEV_KEY_MAX);
	memcpy(buf, key, key_len);
	*offset = rte_jhash(buf, key_len, SEED_OFFSET) % size;
	*skip = rte_jhash(buf, key_len, SEED_SKIP) % (size - 1) + 1;
}

static int key_cmp(const struct evs_maglev_backend *a, const struct evs_maglev_backend *b)
{
	int c = memcmp(a->key, b->key, RTE_MIN(a->key_len, b->key_len));

	return c != 0 ? c : (int)a->key_len - (int)b->key_len;
}

static int by_key(const void *x, const void *y)
{
	return key_cmp(*(const struct evs_maglev_backend *const *)x,
		       *(const struct evs_maglev_backend *const *)y);
}

static int by_id(const void *x, const void *y)
{
	uint32_t a = (*(const struct evs_maglev_backend *const *)x)->id;
	uint32_t b = (*(const struct evs_maglev_backend *const *)y)->id;

	return a < b ? -1 : a > b;
}

/* Check @b and fill @sorted with it in key order. Returns the number of
 * active backends, or -errno. */
static int check_and_sort(const struct evs_maglev_backend **sorted,
			  const struct evs_maglev_backend *b, uint32_t n, uint32_t size)
{
	uint32_t active = 0;

	for (uint32_t i = 0; i < n; i++) {
		if (b[i].key_len == 0 || b[i].key_len > EVS_MAGLEV_KEY_MAX ||
		    b[i].id == EVS_MAGLEV_NONE)
			return -EINVAL;
		sorted[i] = &b[i];
		active += b[i].weight != 0;
	}
	qsort(sorted, n, sizeof(*sorted), by_id);
	for (uint32_t i = 1; i < n; i++)
		if (sorted[i]->id == sorted[i - 1]->id)
			return -EEXIST;
	qsort(sorted, n, sizeof(*sorted), by_key);
	for (uint32_t i = 1; i < n; i++)
		if (key_cmp(sorted[i], sorted[i - 1]) == 0)
			return -EEXIST;
	if (active > size)
		return -E2BIG;
	return (int)active;
}

/* The paper's population loop, with turns granted by weight credit. */
static void fill_table(uint32_t *entry, uint32_t size, struct fill *f, uint32_t nf)
{
	uint32_t max_w = 0, filled = 0;

	for (uint32_t i = 0; i < nf; i++)
		max_w = RTE_MAX(max_w, f[i].weight);
	for (uint32_t s = 0; s < size; s++)
		entry[s] = EVS_MAGLEV_NONE;
	while (filled < size) {
		for (uint32_t i = 0; i < nf && filled < size; i++) {
			uint32_t c;

			f[i].credit += f[i].weight;
			if (f[i].credit < max_w)
				continue;
			f[i].credit -= max_w;
			/* A full permutation covers every slot (size prime,
			 * skip < size), so this ends. */
			for (c = f[i].next; entry[c] != EVS_MAGLEV_NONE;) {
				c += f[i].skip;
				c = c >= size ? c - size : c;
			}
			entry[c] = f[i].id;
			c += f[i].skip;
			f[i].next = c >= size ? c - size : c;
			filled++;
		}
	}
}

int evs_maglev_populate(uint32_t *entry, uint32_t size, const struct evs_maglev_backend *b,
			uint32_t n)
{
	const struct evs_maglev_backend **sorted = NULL;
	struct fill *f = NULL;
	uint32_t nf = 0;
	int rc;

	if (size > EVS_MAGLEV_SIZE_MAX || !evs_maglev_is_prime(size) || (n != 0 && b == NULL))
		return -EINVAL;
	sorted = calloc(RTE_MAX(n, 1u), sizeof(*sorted));
	f = calloc(RTE_MAX(n, 1u), sizeof(*f));
	if (sorted == NULL || f == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	rc = check_and_sort(sorted, b, n, size);
	if (rc < 0)
		goto out;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t offset;

		if (sorted[i]->weight == 0)
			continue;
		evs_maglev_permutation(sorted[i]->key, sorted[i]->key_len, size, &offset,
				       &f[nf].skip);
		f[nf].id = sorted[i]->id;
		f[nf].weight = sorted[i]->weight;
		f[nf].next = offset;
		nf++;
	}
	if (nf == 0) {
		for (uint32_t s = 0; s < size; s++)
			entry[s] = EVS_MAGLEV_NONE;
	} else {
		fill_table(entry, size, f, nf);
	}
	rc = 0;
out:
	free(f);
	free(sorted);
	return rc;
}

static struct evs_maglev_table *table_alloc(const struct evs_maglev *m)
{
	return rte_malloc_socket(
	    "evs_maglev", sizeof(struct evs_maglev_table) + (size_t)m->size * sizeof(uint32_t),
	    RTE_CACHE_LINE_SIZE, m->socket_id);
}

struct evs_maglev *evs_maglev_create(const struct evs_maglev_config *cfg)
{
	struct evs_maglev *m;
	uint32_t size;

	if (cfg == NULL) {
		errno = EINVAL;
		return NULL;
	}
	size = cfg->size != 0 ? cfg->size : EVS_MAGLEV_SIZE_DEFAULT;
	if (size > EVS_MAGLEV_SIZE_MAX || !evs_maglev_is_prime(size)) {
		errno = EINVAL;
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (m == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	m->size = size;
	m->socket_id = cfg->socket_id;
	m->qsbr = cfg->qsbr;
	m->cur = table_alloc(m);
	if (m->cur == NULL) {
		free(m);
		errno = ENOMEM;
		return NULL;
	}
	m->cur->size = size;
	m->cur->n_active = 0;
	m->cur->gen = 0;
	for (uint32_t s = 0; s < size; s++)
		m->cur->entry[s] = EVS_MAGLEV_NONE;
	return m;
}

void evs_maglev_free(struct evs_maglev *m)
{
	if (m == NULL)
		return;
	for (uint32_t i = 0; i < m->n_retired; i++)
		rte_free(m->retired[i].t);
	rte_free(m->cur);
	free(m);
}

uint32_t evs_maglev_reclaim(struct evs_maglev *m)
{
	uint32_t kept = 0;

	for (uint32_t i = 0; i < m->n_retired; i++) {
		if (m->qsbr == NULL || rte_rcu_qsbr_check(m->qsbr, m->retired[i].token, false) == 1)
			rte_free(m->retired[i].t);
		else
			m->retired[kept++] = m->retired[i];
	}
	m->n_retired = kept;
	return kept;
}

int evs_maglev_update(struct evs_maglev *m, const struct evs_maglev_backend *b, uint32_t n)
{
	struct evs_maglev_table *t, *old;
	uint32_t active = 0;
	int rc;

	if (evs_maglev_reclaim(m) == RTE_DIM(m->retired))
		return -EBUSY;
	t = table_alloc(m);
	if (t == NULL)
		return -ENOMEM;
	rc = evs_maglev_populate(t->entry, m->size, b, n);
	if (rc < 0) {
		rte_free(t);
		return rc;
	}
	for (uint32_t i = 0; i < n; i++)
		active += b[i].weight != 0;
	t->size = m->size;
	t->n_active = active;
	t->gen = ++m->gen;
	old = m->cur;
	/* release: the entries above are visible before the pointer */
	__atomic_store_n(&m->cur, t, __ATOMIC_RELEASE);
	/* The token is taken after the store (rte_rcu_qsbr_start is a release
	 * too): a reader that reports a later quiescent state no longer holds old. */
	m->retired[m->n_retired].t = old;
	m->retired[m->n_retired].token = m->qsbr != NULL ? rte_rcu_qsbr_start(m->qsbr) : 0;
	m->n_retired++;
	evs_maglev_reclaim(m);
	return 0;
}
