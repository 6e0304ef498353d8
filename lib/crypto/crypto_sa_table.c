/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Inbound SPI -> SA table: open addressing with linear probing over a
 * power-of-two array of SA pointers. The key is the SA's own SPI, so a slot
 * is one pointer and a reader never sees a torn {key, value} pair. One
 * writer (the management lcore), lock-free readers (PMDs): a slot goes
 * NULL -> SA, SA -> TOMB on delete, TOMB -> SA on reuse; readers stop at
 * NULL only, so a deleted slot never hides what lies beyond it.
 */
#include <errno.h>
#include <string.h>

#include <rte_common.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "crypto_private.h"

/* A deleted slot: not empty (probing goes on), matches nothing. */
#define TOMB ((struct evs_sa *)(uintptr_t)1)

struct evs_sa_table {
	uint32_t mask;	/* slots - 1 */
	uint32_t max;	/* most SAs held (half the slots) */
	uint32_t used;	/* SAs held */
	uint32_t tombs; /* deleted slots not reused yet */
	struct evs_sa *slot[];
};

static inline uint32_t spi_hash(uint32_t spi)
{
	return rte_hash_crc_4byte(spi, 0x13u);
}

struct evs_sa_table *evs_sa_table_create(uint32_t max_sas)
{
	struct evs_sa_table *t;
	uint32_t slots;

	if (max_sas == 0 || max_sas > (1u << 24)) {
		errno = EINVAL;
		return NULL;
	}
	slots = rte_align32pow2(max_sas * 2);
	t = rte_zmalloc("evs_sa_table", sizeof(*t) + sizeof(t->slot[0]) * slots,
			RTE_CACHE_LINE_SIZE);
	if (t == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	t->mask = slots - 1;
	t->max = max_sas;
	return t;
}

void evs_sa_table_free(struct evs_sa_table *t)
{
	rte_free(t);
}

static inline struct evs_sa *slot_load(const struct evs_sa_table *t, uint32_t i)
{
	/* Acquire: an SA seen through its slot is seen fully built. */
	return __atomic_load_n(&t->slot[i], __ATOMIC_ACQUIRE);
}

struct evs_sa *evs_sa_table_lookup(const struct evs_sa_table *t, uint32_t spi)
{
	for (uint32_t i = spi_hash(spi) & t->mask, n = 0; n <= t->mask;
	     i = (i + 1) & t->mask, n++) {
		struct evs_sa *sa = slot_load(t, i);

		if (sa == NULL)
			return NULL;
		if (sa != TOMB && sa->spi == spi)
			return sa;
	}
	return NULL;
}

int evs_sa_table_add(struct evs_sa_table *t, struct evs_sa *sa)
{
	uint32_t free_at = UINT32_MAX;

	if (sa == NULL || sa->dir != EVS_SA_INBOUND)
		return -EINVAL;
	for (uint32_t i = spi_hash(sa->spi) & t->mask, n = 0; n <= t->mask;
	     i = (i + 1) & t->mask, n++) {
		struct evs_sa *cur = t->slot[i];

		if (cur == TOMB && free_at == UINT32_MAX)
			free_at = i;
		if (cur == NULL) {
			if (free_at == UINT32_MAX)
				free_at = i;
			break;
		}
		if (cur != TOMB && cur->spi == sa->spi)
			return -EEXIST;
	}
	if (t->used >= t->max || free_at == UINT32_MAX)
		return -ENOSPC;
	if (t->slot[free_at] == TOMB)
		t->tombs--;
	/* Release: the SA's fields before the pointer that publishes it. */
	__atomic_store_n(&t->slot[free_at], sa, __ATOMIC_RELEASE);
	t->used++;
	return 0;
}

int evs_sa_table_del(struct evs_sa_table *t, uint32_t spi)
{
	for (uint32_t i = spi_hash(spi) & t->mask, n = 0; n <= t->mask;
	     i = (i + 1) & t->mask, n++) {
		struct evs_sa *cur = t->slot[i];

		if (cur == NULL)
			return -ENOENT;
		if (cur != TOMB && cur->spi == spi) {
			/* Relaxed is enough: a reader that still sees the SA may use it
			 * until the grace period the caller waits before freeing it. */
			__atomic_store_n(&t->slot[i], TOMB, __ATOMIC_RELAXED);
			t->used--;
			t->tombs++;
			return 0;
		}
	}
	return -ENOENT;
}

uint32_t evs_sa_table_count(const struct evs_sa_table *t)
{
	return t->used;
}

bool evs_sa_table_needs_rebuild(const struct evs_sa_table *t)
{
	/* Probes end at an empty slot: keep at least a quarter of them empty. */
	return t->used + t->tombs > (t->mask + 1) / 4 * 3;
}

uint16_t evs_esp_lookup_burst(const struct evs_sa_table *t, struct rte_mbuf **pkts, uint16_t n,
			      uint16_t udp_port, struct evs_sa **sas)
{
	uint16_t found = 0;

	for (uint16_t i = 0; i < n; i++) {
		uint32_t spi;

		sas[i] = NULL;
		if (evs_esp_peek_spi(pkts[i], udp_port, &spi) == 0)
			sas[i] = evs_sa_table_lookup(t, spi);
		found += sas[i] != NULL;
	}
	return found;
}

struct evs_sa_table *evs_sa_table_copy(const struct evs_sa_table *t, uint32_t max_sas)
{
	struct evs_sa_table *c;

	if (max_sas < t->used) {
		errno = ENOSPC;
		return NULL;
	}
	c = evs_sa_table_create(max_sas);
	if (c == NULL)
		return NULL;
	for (uint32_t i = 0; i <= t->mask; i++) {
		struct evs_sa *sa = t->slot[i];

		if (sa != NULL && sa != TOMB && evs_sa_table_add(c, sa) != 0) {
			evs_sa_table_free(c);
			errno = ENOSPC;
			return NULL;
		}
	}
	return c;
}
