/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-subtable hash table: 64-byte buckets of seven (hash, entry slot)
 * pairs, linear probing over buckets, kept at most half full. Only the owner
 * lcore reads or writes it, so resizing is a plain rehash: the stored 32-bit
 * hashes make that a sequential pass over the buckets, without touching the
 * entries.
 */

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cls_private.h"

#define CLS_TABLE_MIN_BUCKETS 8u

static_assert(sizeof(struct cls_bucket) == 64, "one bucket, one cache line");

int cls_table_init(struct cls_table *t, uint32_t n_buckets)
{
	size_t sz = (size_t)n_buckets * sizeof(struct cls_bucket);
	struct cls_bucket *b = aligned_alloc(RTE_CACHE_LINE_SIZE, sz);

	if (b == NULL)
		return -ENOMEM;
	memset(b, 0, sz);
	t->b = b;
	t->bmask = n_buckets - 1;
	t->count = 0;
	return 0;
}

void cls_table_fini(struct cls_table *t)
{
	free(t->b);
	t->b = NULL;
	t->bmask = 0;
	t->count = 0;
}

static inline uint32_t capacity(const struct cls_table *t)
{
	return (t->bmask + 1) * CLS_BUCKET_SLOTS;
}

/* Put (hash, idx) in the first bucket with room from its home, bumping spill on the way. */
static void place(struct cls_table *t, uint32_t hash, uint32_t idx)
{
	uint32_t bi = hash & t->bmask;

	for (;;) {
		struct cls_bucket *b = &t->b[bi];

		for (unsigned int s = 0; s < CLS_BUCKET_SLOTS; s++) {
			if (b->idx[s] == 0) {
				b->hash[s] = hash;
				b->idx[s] = idx + 1;
				return;
			}
		}
		b->spill++;
		bi = (bi + 1) & t->bmask;
	}
}

static int resize(struct cls_table *t, uint32_t n_buckets)
{
	struct cls_table nt;
	int rc = cls_table_init(&nt, n_buckets);

	if (rc < 0)
		return rc;
	for (uint32_t bi = 0; bi <= t->bmask; bi++) {
		const struct cls_bucket *b = &t->b[bi];

		for (unsigned int s = 0; s < CLS_BUCKET_SLOTS; s++)
			if (b->idx[s] != 0)
				place(&nt, b->hash[s], b->idx[s] - 1);
	}
	nt.count = t->count;
	free(t->b);
	*t = nt;
	return 0;
}

int cls_table_insert(struct cls_table *t, uint32_t hash, uint32_t idx)
{
	if (t->b == NULL) {
		int rc = cls_table_init(t, CLS_TABLE_MIN_BUCKETS);

		if (rc < 0)
			return rc;
	}
	/* Keep load <= 1/2 so spills stay rare; past 7/8 insist on growing. */
	if ((uint64_t)(t->count + 1) * 2 > capacity(t)) {
		int rc = t->bmask < UINT32_MAX / 2 ? resize(t, (t->bmask + 1) * 2) : -ENOMEM;

		if (rc < 0 && (uint64_t)(t->count + 1) * 8 > (uint64_t)capacity(t) * 7)
			return rc;
	}
	place(t, hash, idx);
	t->count++;
	return 0;
}

void cls_table_remove(struct cls_table *t, uint32_t hash, uint32_t idx)
{
	uint32_t home = hash & t->bmask;
	uint32_t bi = home;

	for (uint32_t n = 0; n <= t->bmask; n++) {
		struct cls_bucket *b = &t->b[bi];

		for (unsigned int s = 0; s < CLS_BUCKET_SLOTS; s++) {
			if (b->idx[s] != idx + 1)
				continue;
			b->idx[s] = 0;
			b->hash[s] = 0;
			/* Undo the spill counts its insertion left on the way here. */
			for (uint32_t p = home; p != bi; p = (p + 1) & t->bmask)
				t->b[p].spill--;
			t->count--;
			/* Shrink below 1/8 full; on failure the bigger table just stays. */
			if (t->bmask + 1 > CLS_TABLE_MIN_BUCKETS &&
			    (uint64_t)t->count * 8 < capacity(t))
				(void)resize(t, (t->bmask + 1) / 2);
			return;
		}
		bi = (bi + 1) & t->bmask;
	}
	CLS_LOG(ERR, "table remove: slot %u not found\n", idx);
}

struct evs_megaflow *cls_table_find(const struct evs_cls *cls, const struct cls_subtable *st,
				    const struct evs_flow_key *key, uint32_t hash)
{
	const struct cls_table *t = &st->t;
	uint32_t bi = hash & t->bmask;

	if (t->b == NULL)
		return NULL;
	for (uint32_t n = 0; n <= t->bmask; n++) {
		const struct cls_bucket *b = &t->b[bi];
		unsigned int m = cls_bucket_match(b, hash);

		while (m != 0) {
			unsigned int s = (unsigned int)__builtin_ctz(m);

			m &= m - 1;
			if (b->idx[s] != 0) {
				struct evs_megaflow *f = cls_slot(cls, b->idx[s] - 1);

				if (cls_masked_equal(st, key, f))
					return f;
			}
		}
		if (b->spill == 0)
			return NULL;
		bi = (bi + 1) & t->bmask;
	}
	return NULL;
}
