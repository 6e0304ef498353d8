/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CLS_PRIVATE_H
#define CLS_PRIVATE_H

/*
 * Private state of the megaflow classifier. Layout notes:
 *  - entry pool: max_flows fixed-size slots in one reserved mapping, never
 *    unmapped before evs_cls_free(); slot i at pool + i * slot_size;
 *  - subtables: a fixed array of max_subtables slots (never freed either), with
 *    `order` listing the live ones in lookup order;
 *  - per subtable, a bucketised hash table of slot indices (cls_table.c).
 * Only the owner lcore touches the tables and the EMC; other lcores read
 * entries and subtable slots under their sequence counters (cls_dump.c).
 */

#include <stdint.h>

#include <rte_common.h>
#include <rte_log.h>
#include <rte_prefetch.h>
#ifdef RTE_ARCH_X86
#include <x86intrin.h>
#endif
#include "evs_classifier.h"
#include "evs_crc.h"

extern int evs_cls_logtype;
#define CLS_LOG(level, ...) rte_log(RTE_LOG_##level, evs_cls_logtype, "cls: " __VA_ARGS__)

#define CLS_BUCKET_SLOTS 7
#define CLS_NO_SUBTABLE UINT16_MAX
#define CLS_HASH_SEED 0x9e3779b9u
/*
 * EMC bypass: below 1/CLS_EMC_MIN_SHARE hits over a re-sort period, probing
 * costs more than it saves (misses pay the probe, and at that share the EMC
 * no longer holds the working set in cache), so only one burst in
 * CLS_EMC_SAMPLE probes it until the share recovers. Insertion goes on.
 */
#define CLS_EMC_MIN_SHARE 8u
#define CLS_EMC_SAMPLE 16u
/*
 * A mask counts towards emc_min_subtables while it takes at least
 * 1/CLS_BUSY_SHARE of the subtable hits of a re-sort period: a second mask
 * that matches nothing (a broadcast ARP's) does not make one busy mask's
 * traffic pay a whole-key hash and an EMC probe on every packet.
 */
#define CLS_BUSY_SHARE 8u

/*
 * One 64-byte bucket: seven (hash, slot) pairs. `spill` counts the entries
 * stored in later buckets whose probe sequence passed through this one, so a
 * lookup stops at the first bucket with spill == 0 and removal needs no
 * tombstones. hash[] and spill are adjacent so that one pair of 16-byte
 * compares covers the seven hashes (lane 7, spill, is masked off).
 */
struct cls_bucket {
	uint32_t hash[CLS_BUCKET_SLOTS];
	uint32_t spill;
	uint32_t idx[CLS_BUCKET_SLOTS]; /* entry slot + 1; 0: empty */
	uint32_t pad;
} __rte_aligned(64);

struct cls_table {
	struct cls_bucket *b;
	uint32_t bmask; /* buckets - 1 */
	uint32_t count; /* entries in b */
	/* While resizing: the previous buckets, drained from `mig` on (cls_table.c). */
	struct cls_bucket *old;
	uint32_t old_bmask;
	uint32_t old_count;
	uint32_t mig;
};

struct cls_subtable {
	/* Owner only, read on every probe. */
	uint8_t n_words;		 /* key words the mask touches */
	uint8_t w[EVS_FLOW_KEY_WORDS];	 /* their indices */
	uint16_t index;			 /* slot in cls->subtables */
	uint64_t mw[EVS_FLOW_KEY_WORDS]; /* mask value of each touched word */
	struct cls_table t;
	uint64_t window_hits; /* hits since the last re-sort */
	uint64_t score;	      /* decayed hit count, the sort key */
	/* Read by other lcores: mask and live under seq; counters relaxed. */
	uint32_t seq;
	uint32_t live;
	uint32_t n_flows;
	uint32_t rank;
	uint64_t hits;
	struct evs_flow_mask mask;
} __rte_cache_aligned;

/* One EMC way: hash and flow first so a mismatch stays in line 0; the full
 * key (120 bytes) spills into a third line, which a hit only reads for its
 * last words. */
struct cls_emc_entry {
	uint32_t hash;
	uint32_t version; /* flow->version when inserted */
	struct evs_megaflow *flow;
	struct evs_flow_key key;
} __rte_aligned(64);

struct evs_cls {
	/* Owner, hot. */
	struct cls_emc_entry *emc; /* 2-way sets: ways 2s and 2s+1 */
	uint32_t emc_set_mask;
	uint32_t emc_insert_thresh; /* insert when rng32 <= thresh */
	uint64_t rng;
	bool emc_active;	    /* probe the EMC on every burst (else on samples only) */
	uint32_t emc_min_subtables; /* no EMC below this many busy masks */
	uint32_t n_busy;	    /* masks with a share of the last period's hits */
	uint64_t win_emc_lookups;   /* keys probed in the EMC since the last re-sort */
	uint64_t win_emc_hits;
	struct cls_subtable **order; /* live subtables, lookup order */
	uint32_t n_active;
	uint32_t bursts_since_sort;
	bool migrating; /* some subtable's table is being resized */
	uint32_t resort_interval;
	uint32_t slot_size;
	uint8_t *pool;
	uint16_t actions_max;
	struct evs_cls_stats st; /* owner writes (relaxed), anyone reads */

	/* Owner, cold. */
	struct cls_subtable *subtables;
	uint32_t max_subtables;
	uint32_t max_flows;
	uint32_t hwm;	    /* slots ever used; published with release for dumpers */
	uint32_t free_head; /* free slot list, linked by next_free; UINT32_MAX: empty */
	uint64_t kills;	    /* slots freed so far (evs_cls_kills) */
	uint32_t expire_cursor;
	uint32_t expire_batch;
	uint32_t reval_batch;
	uint64_t next_id;
	size_t pool_bytes;
	size_t emc_bytes;
	char name[32];

	/* Owner's progress on requests. */
	uint32_t req_seen;     /* last req_seq whose bits were taken */
	uint32_t reval_since;  /* first ticket the running revalidation completes */
	uint64_t reval_cursor; /* EVS_CLS_CURSOR_END: no revalidation running */

	/* Requests: other lcores write req_bits/req_seq, the owner req_done. */
	uint32_t req_bits __rte_cache_aligned;
	uint32_t req_seq;
	uint32_t req_done __rte_cache_aligned;
} __rte_cache_aligned;

/* ---- helpers shared by the .c files ---- */

static inline struct evs_megaflow *cls_slot(const struct evs_cls *cls, uint32_t idx)
{
	return (struct evs_megaflow *)(cls->pool + (size_t)idx * cls->slot_size);
}

static inline uint32_t cls_slot_index(const struct evs_cls *cls, const struct evs_megaflow *f)
{
	return (uint32_t)(((const uint8_t *)f - cls->pool) / cls->slot_size);
}

/* Owner-side counter bump: single writer, relaxed store so readers never see a torn value. */
static inline void cls_cnt_add(uint64_t *c, uint64_t v)
{
	__atomic_store_n(c, *c + v, __ATOMIC_RELAXED);
}

/*
 * Sequence counter, writer side (owner only). The odd value must be visible
 * before any data store of the section: the release fence orders it (pairs
 * with the reader's acquire fence before its second read).
 */
static inline void cls_write_begin(uint32_t *seq)
{
	__atomic_store_n(seq, *seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

/* Release: every data store of the section is visible before the even value. */
static inline void cls_write_end(uint32_t *seq)
{
	__atomic_store_n(seq, *seq + 1, __ATOMIC_RELEASE);
}

static inline uint32_t cls_crc_u64(uint32_t h, uint64_t v)
{
	return evs_crc32c_u64(h, v);
}

/* Hash of key & mask over the words the subtable's mask touches. */
static inline uint32_t cls_masked_hash(const struct cls_subtable *st,
				       const struct evs_flow_key *key)
{
	const evs_flow_word_t *k = (const evs_flow_word_t *)key;
	uint32_t h = CLS_HASH_SEED;

	for (unsigned int i = 0; i < st->n_words; i++)
		h = cls_crc_u64(h, k[st->w[i]] & st->mw[i]);
	return h;
}

static inline bool cls_key_equal(const struct evs_flow_key *a, const struct evs_flow_key *b)
{
#if defined(RTE_ARCH_X86) && defined(__SSE4_1__)
	/* 16 bytes at a time: half the instructions of the word loop (EMC hits) */
	const __m128i *x = (const __m128i *)a, *y = (const __m128i *)b;
	__m128i d = _mm_setzero_si128();
	unsigned int i;

	for (i = 0; i < sizeof(*a) / 16; i++)
		d = _mm_or_si128(d, _mm_xor_si128(_mm_loadu_si128(x + i), _mm_loadu_si128(y + i)));
	if (sizeof(*a) % 16 != 0) {
		const evs_flow_word_t *xl = (const evs_flow_word_t *)a + EVS_FLOW_KEY_WORDS - 1;
		const evs_flow_word_t *yl = (const evs_flow_word_t *)b + EVS_FLOW_KEY_WORDS - 1;

		d = _mm_or_si128(d, _mm_cvtsi64_si128((long long)(*xl ^ *yl)));
	}
	return _mm_testz_si128(d, d) != 0;
#else
	const evs_flow_word_t *x = (const evs_flow_word_t *)a;
	const evs_flow_word_t *y = (const evs_flow_word_t *)b;
	uint64_t diff = 0;

	for (unsigned int i = 0; i < EVS_FLOW_KEY_WORDS; i++)
		diff |= x[i] ^ y[i];
	return diff == 0;
#endif
}

/* Owner's PRNG for EMC insertion (xorshift64*): cheap, statistically fine. */
static inline uint32_t cls_rand(struct evs_cls *cls)
{
	uint64_t x = cls->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	cls->rng = x;
	return (uint32_t)((x * 0x2545f4914f6cdd1dull) >> 32);
}

/* True if key & mask equals the entry's masked key on the touched words. */
static inline bool cls_masked_equal(const struct cls_subtable *st, const struct evs_flow_key *key,
				    const struct evs_megaflow *f)
{
	const evs_flow_word_t *k = (const evs_flow_word_t *)key;
	const evs_flow_word_t *fk = (const evs_flow_word_t *)&f->key;
	uint64_t diff = 0;

	for (unsigned int i = 0; i < st->n_words; i++) {
		unsigned int w = st->w[i];

		diff |= (k[w] & st->mw[i]) ^ fk[w];
	}
	return diff == 0;
}

/*
 * Bitmap of the slots of a bucket whose stored hash equals h (empty slots
 * may match too; callers check idx).
 */
static inline unsigned int cls_bucket_match(const struct cls_bucket *b, uint32_t h)
{
#ifdef RTE_ARCH_X86
	__m128i hv = _mm_set1_epi32((int)h);
	__m128i lo = _mm_cmpeq_epi32(_mm_load_si128((const __m128i *)&b->hash[0]), hv);
	__m128i hi = _mm_cmpeq_epi32(_mm_load_si128((const __m128i *)&b->hash[4]), hv);
	unsigned int m = (unsigned int)_mm_movemask_ps(_mm_castsi128_ps(lo)) |
			 ((unsigned int)_mm_movemask_ps(_mm_castsi128_ps(hi)) << 4);

	return m & ((1u << CLS_BUCKET_SLOTS) - 1);
#else
	unsigned int m = 0;

	for (unsigned int i = 0; i < CLS_BUCKET_SLOTS; i++)
		m |= (unsigned int)(b->hash[i] == h) << i;
	return m;
#endif
}

/* cls_table.c: per-subtable hash table (owner only). */
int cls_table_init(struct cls_table *t, uint32_t n_buckets);
void cls_table_fini(struct cls_table *t);
int cls_table_insert(struct cls_table *t, uint32_t hash, uint32_t idx);
void cls_table_remove(struct cls_table *t, uint32_t hash, uint32_t idx);
bool cls_table_migrate(struct cls_table *t, uint32_t n_buckets);
struct evs_megaflow *cls_table_find(const struct evs_cls *cls, const struct cls_subtable *st,
				    const struct evs_flow_key *key, uint32_t hash);

/* cls_classifier.c */
void cls_emc_insert(struct evs_cls *cls, const struct evs_flow_key *key, uint32_t hash,
		    struct evs_megaflow *flow);

#endif /* CLS_PRIVATE_H */
