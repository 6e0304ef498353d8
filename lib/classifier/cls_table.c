/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-subtable hash table: 64-byte buckets of seven (hash, entry slot)
 * pairs, linear probing over buckets, load kept between 1/8 and 1/2. Only
 * the owner lcore reads or writes it.
 *
 * Resizing never stops the owner for long: a large new table is mapped (zero
 * pages, nothing to clear) and the old one is drained into it a few buckets
 * per insert, remove or cls_table_migrate() call. Meanwhile an entry is in
 * exactly one of the two tables, inserts go to the new one, and finds and
 * removes look in the new one, then the old one. Draining leaves the old
 * table's spill counts alone, so the chains of the entries still there stay
 * walkable across the emptied buckets.
 */

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "cls_private.h"

#define CLS_TABLE_MIN_BUCKETS 8u
/* Old buckets drained per insert/remove: enough to finish long before the next resize. */
#define CLS_MIGRATE_STEP 8u

static_assert(sizeof(struct cls_bucket) == 64, "one bucket, one cache line");

/* Up to 64 KiB of buckets: malloc'd and cleared; beyond, mapped. */
#define CLS_TABLE_MAP_BUCKETS 1024u

static struct cls_bucket *buckets_alloc(uint32_t n)
{
	size_t sz = (size_t)n * sizeof(struct cls_bucket);
	void *p;

	if (n <= CLS_TABLE_MAP_BUCKETS) {
		/* Small: no syscall, memory reused across the frequent small resizes. */
		p = aligned_alloc(RTE_CACHE_LINE_SIZE, sz);
		if (p != NULL)
			memset(p, 0, sz);
		return p;
	}
	/* Large: fresh pages read as zero, so no clearing pass; faults spread over use. */
	p = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void buckets_free(struct cls_bucket *b, uint32_t bmask)
{
	if (b == NULL)
		return;
	if (bmask + 1 <= CLS_TABLE_MAP_BUCKETS)
		free(b);
	else
		munmap(b, ((size_t)bmask + 1) * sizeof(struct cls_bucket));
}

int cls_table_init(struct cls_table *t, uint32_t n_buckets)
{
	memset(t, 0, sizeof(*t));
	t->b = buckets_alloc(n_buckets);
	if (t->b == NULL)
		return -ENOMEM;
	t->bmask = n_buckets - 1;
	return 0;
}

void cls_table_fini(struct cls_table *t)
{
	buckets_free(t->b, t->bmask);
	buckets_free(t->old, t->old_bmask);
	memset(t, 0, sizeof(*t));
}

static inline uint32_t capacity(uint32_t bmask)
{
	return (bmask + 1) * CLS_BUCKET_SLOTS;
}

/* Put (hash, idx) in the first bucket with room from its home, bumping spill on the way. */
static void place(struct cls_bucket *b, uint32_t bmask, uint32_t hash, uint32_t idx)
{
	uint32_t bi = hash & bmask;

	for (;;) {
		struct cls_bucket *bk = &b[bi];

		for (unsigned int s = 0; s < CLS_BUCKET_SLOTS; s++) {
			if (bk->idx[s] == 0) {
				bk->hash[s] = hash;
				bk->idx[s] = idx + 1;
				return;
			}
		}
		bk->spill++;
		bi = (bi + 1) & bmask;
	}
}

/* Remove slot idx from one bucket array; false if it is not there. */
static bool unplace(struct cls_bucket *b, uint32_t bmask, uint32_t hash, uint32_t idx)
{
	uint32_t home = hash & bmask;
	uint32_t bi = home;

	for (uint32_t n = 0; n <= bmask; n++) {
		struct cls_bucket *bk = &b[bi];

		for (unsigned int s = 0; s < CLS_BUCKET_SLOTS; s++) {
			if (bk->idx[s] != idx + 1)
				continue;
			bk->idx[s] = 0;
			bk->hash[s] = 0;
			/* Undo the spill counts its insertion left on the way here. */
			for (uint32_t p = home; p != bi; p = (p + 1) & bmask)
				b[p].spill--;
			return true;
		}
		if (bk->spill == 0)
			return false;
		bi = (bi + 1) & bmask;
	}
	return false;
}

bool cls_table_migrate(struct cls_table *t, uint32_t n_buckets)
{
	for (uint32_t k = 0; k < n_buckets && t->old != NULL; k++) {
		struct cls_bucket *ob = &t->old[t->mig];

		for (unsigned int s = 0; s < CLS_BUCKET_SLOTS; s++) {
			if (ob->idx[s] != 0) {
				place(t->b, t->bmask, ob->hash[s], ob->idx[s] - 1);
				ob->idx[s] = 0;
				t->count++;
				t->old_count--;
			}
		}
		if (++t->mig > t->old_bmask || t->old_count == 0) {
			buckets_free(t->old, t->old_bmask);
			t->old = NULL;
			t->old_bmask = 0;
			t->mig = 0;
		}
	}
	return t->old != NULL;
}

/* Start moving to a table of n buckets; an unfinished move is completed first. */
static int resize_start(struct cls_table *t, uint32_t n)
{
	struct cls_bucket *nb = buckets_alloc(n);

	if (nb == NULL)
		return -ENOMEM;
	cls_table_migrate(t, UINT32_MAX);
	t->old = t->b;
	t->old_bmask = t->bmask;
	t->old_count = t->count;
	t->mig = 0;
	t->b = nb;
	t->bmask = n - 1;
	t->count = 0;
	return 0;
}

int cls_table_insert(struct cls_table *t, uint32_t hash, uint32_t idx)
{
	uint32_t total = t->count + t->old_count;

	cls_table_migrate(t, CLS_MIGRATE_STEP);
	/* Keep load <= 1/2 so spills stay rare; past 7/8 insist on growing. */
	if ((uint64_t)(total + 1) * 2 > capacity(t->bmask)) {
		int rc = t->bmask < UINT32_MAX / 4 ? resize_start(t, (t->bmask + 1) * 2) : -ENOMEM;

		if (rc < 0 && (uint64_t)(total + 1) * 8 > (uint64_t)capacity(t->bmask) * 7)
			return rc;
	}
	place(t->b, t->bmask, hash, idx);
	t->count++;
	return 0;
}

void cls_table_remove(struct cls_table *t, uint32_t hash, uint32_t idx)
{
	if (unplace(t->b, t->bmask, hash, idx)) {
		t->count--;
	} else if (t->old != NULL && unplace(t->old, t->old_bmask, hash, idx)) {
		t->old_count--;
	} else {
		CLS_LOG(ERR, "table remove: slot %u not found\n", idx);
		return;
	}
	cls_table_migrate(t, CLS_MIGRATE_STEP);
	/* Shrink below 1/8 full; on failure the bigger table just stays. */
	if (t->old == NULL && t->bmask + 1 > CLS_TABLE_MIN_BUCKETS &&
	    (uint64_t)t->count * 8 < capacity(t->bmask))
		(void)resize_start(t, (t->bmask + 1) / 2);
}

static struct evs_megaflow *find_in(const struct evs_cls *cls, const struct cls_subtable *st,
				    const struct cls_bucket *b, uint32_t bmask,
				    const struct evs_flow_key *key, uint32_t hash)
{
	uint32_t bi = hash & bmask;

	for (uint32_t n = 0; n <= bmask; n++) {
		const struct cls_bucket *bk = &b[bi];
		unsigned int m = cls_bucket_match(bk, hash);

		while (m != 0) {
			unsigned int s = (unsigned int)__builtin_ctz(m);

			m &= m - 1;
			if (bk->idx[s] != 0) {
				struct evs_megaflow *f = cls_slot(cls, bk->idx[s] - 1);

				if (cls_masked_equal(st, key, f))
					return f;
			}
		}
		if (bk->spill == 0)
			return NULL;
		bi = (bi + 1) & bmask;
	}
	return NULL;
}

struct evs_megaflow *cls_table_find(const struct evs_cls *cls, const struct cls_subtable *st,
				    const struct evs_flow_key *key, uint32_t hash)
{
	const struct cls_table *t = &st->t;
	struct evs_megaflow *f = find_in(cls, st, t->b, t->bmask, key, hash);

	if (f == NULL && t->old != NULL)
		f = find_in(cls, st, t->old, t->old_bmask, key, hash);
	return f;
}
