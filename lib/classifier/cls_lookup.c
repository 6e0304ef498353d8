/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fast path: EMC, then the subtables for the EMC misses only. Each stage
 * runs over the whole batch in passes (address, prefetch, then use) so that
 * the cache misses of a batch overlap instead of adding up.
 */

#include <rte_cycles.h>

#include "cls_private.h"

static inline void count_hit(struct evs_megaflow *f, uint64_t now)
{
	/* Owner is the only writer; relaxed stores keep dumpers' reads untorn. */
	__atomic_store_n(&f->hits, f->hits + 1, __ATOMIC_RELAXED);
	__atomic_store_n(&f->last_used, now, __ATOMIC_RELAXED);
}

/*
 * EMC stage, three passes: prefetch line 0 of both ways; pick the way whose
 * hash matches and prefetch its second line and its megaflow (the pointer is
 * in line 0); then compare the whole key and check the megaflow's version.
 * Returns the bitmap of keys still missing.
 */
static uint64_t emc_stage(struct evs_cls *cls, const struct evs_flow_key *const keys[],
			  const uint32_t hashes[], unsigned int n, struct evs_megaflow *results[],
			  uint64_t now)
{
	struct cls_emc_entry *cand[EVS_CLS_BURST_MAX];
	uint64_t miss = 0;

	for (unsigned int i = 0; i < n; i++) {
		const struct cls_emc_entry *set =
		    &cls->emc[(size_t)(hashes[i] & cls->emc_set_mask) * 2];

		rte_prefetch0(&set[0]);
		rte_prefetch0(&set[1]);
	}
	for (unsigned int i = 0; i < n; i++) {
		struct cls_emc_entry *set = &cls->emc[(size_t)(hashes[i] & cls->emc_set_mask) * 2];
		struct cls_emc_entry *e = NULL;

		if (set[0].hash == hashes[i] && set[0].flow != NULL)
			e = &set[0];
		else if (set[1].hash == hashes[i] && set[1].flow != NULL)
			e = &set[1];
		cand[i] = e;
		if (e != NULL) {
			rte_prefetch0((const uint8_t *)e + RTE_CACHE_LINE_SIZE);
			rte_prefetch0(e->flow);
		}
	}
	for (unsigned int i = 0; i < n; i++) {
		struct cls_emc_entry *e = cand[i];

		/* Way 0 had the hash but another key: way 1 may have it (rare, not prefetched). */
		if (e != NULL && !cls_key_equal(&e->key, keys[i])) {
			struct cls_emc_entry *o = e + 1;
			bool way0 = ((size_t)(e - cls->emc) & 1) == 0;

			e = way0 && o->hash == hashes[i] && o->flow != NULL &&
				    cls_key_equal(&o->key, keys[i])
				? o
				: NULL;
		}
		/* A version change means the megaflow died (or changed): a miss. */
		if (e != NULL && e->flow->version == e->version) {
			results[i] = e->flow;
			count_hit(e->flow, now);
		} else {
			results[i] = NULL;
			miss |= 1ull << i;
		}
	}
	return miss;
}

/* Masked hash and compare over `nw` words; inlined with a constant nw they unroll. */
static __rte_always_inline uint32_t hash_n(const struct cls_subtable *st,
					   const struct evs_flow_key *key, unsigned int nw)
{
	const evs_flow_word_t *k = (const evs_flow_word_t *)key;
	uint32_t h = CLS_HASH_SEED;

	for (unsigned int i = 0; i < nw; i++)
		h = cls_crc_u64(h, k[st->w[i]] & st->mw[i]);
	return h;
}

static __rte_always_inline bool equal_n(const struct cls_subtable *st,
					const struct evs_flow_key *key,
					const struct evs_megaflow *f, unsigned int nw)
{
	const evs_flow_word_t *k = (const evs_flow_word_t *)key;
	const evs_flow_word_t *fk = (const evs_flow_word_t *)&f->key;
	uint64_t diff = 0;

	for (unsigned int i = 0; i < nw; i++)
		diff |= (k[st->w[i]] & st->mw[i]) ^ fk[st->w[i]];
	return diff == 0;
}

/* Keys equal under the subtable's mask: they get the same answer from it. */
static __rte_always_inline bool same_masked_n(const struct cls_subtable *st,
					      const struct evs_flow_key *a,
					      const struct evs_flow_key *b, unsigned int nw)
{
	const evs_flow_word_t *x = (const evs_flow_word_t *)a, *y = (const evs_flow_word_t *)b;
	uint64_t diff = 0;

	for (unsigned int i = 0; i < nw; i++)
		diff |= (x[st->w[i]] ^ y[st->w[i]]) & st->mw[i];
	return diff == 0;
}

/*
 * One subtable for the keys in `miss`, in three passes: hash and prefetch the
 * home bucket; match the stored hashes and prefetch the candidate entry;
 * compare. A key equal under the mask to the key probed before it (a burst
 * of one flow, or of flows one wide megaflow covers) skips all three and
 * takes that key's answer. Returns the bitmap of keys it matched.
 */
static __rte_always_inline uint64_t subtable_stage_n(struct evs_cls *cls,
						     const struct cls_subtable *st,
						     const struct evs_flow_key *const keys[],
						     const uint32_t hashes[], uint64_t miss,
						     struct evs_megaflow *results[], uint64_t now,
						     unsigned int nw)
{
	const struct cls_bucket *buckets = st->t.b;
	const uint32_t bmask = st->t.bmask;
	struct evs_megaflow *cand[EVS_CLS_BURST_MAX];
	uint32_t mh[EVS_CLS_BURST_MAX];
	/* While the table is being resized, any key not found at once may be in the old half. */
	uint64_t slow = st->t.old != NULL ? miss : 0, found = 0, dup = 0, probe, m;
	uint8_t rep[EVS_CLS_BURST_MAX];
	unsigned int last = EVS_CLS_BURST_MAX;

	for (m = miss; m != 0; m &= m - 1) {
		unsigned int i = (unsigned int)__builtin_ctzll(m);

		if (last != EVS_CLS_BURST_MAX && same_masked_n(st, keys[i], keys[last], nw)) {
			dup |= 1ull << i;
			rep[i] = (uint8_t)last;
			continue;
		}
		last = i;
		mh[i] = hash_n(st, keys[i], nw);
		rte_prefetch0(&buckets[mh[i] & bmask]);
	}
	probe = miss & ~dup;
	for (m = probe; m != 0; m &= m - 1) {
		unsigned int i = (unsigned int)__builtin_ctzll(m);
		const struct cls_bucket *b = &buckets[mh[i] & bmask];
		unsigned int match = cls_bucket_match(b, mh[i]);
		struct evs_megaflow *f = NULL;

		if (match != 0) {
			uint32_t idx = b->idx[__builtin_ctz(match)];

			if (idx != 0) {
				f = cls_slot(cls, idx - 1);
				rte_prefetch0(f);
				rte_prefetch0((const uint8_t *)f + RTE_CACHE_LINE_SIZE);
			}
		}
		cand[i] = f;
		/* Other candidates (same hash, or spilled into the next buckets): rare. */
		if ((match & (match - 1)) != 0 || b->spill != 0)
			slow |= 1ull << i;
	}
	for (m = probe; m != 0; m &= m - 1) {
		unsigned int i = (unsigned int)__builtin_ctzll(m);
		struct evs_megaflow *f = cand[i];

		if (f == NULL || !equal_n(st, keys[i], f, nw)) {
			if (!(slow & (1ull << i)))
				continue;
			f = cls_table_find(cls, st, keys[i], mh[i]);
			if (f == NULL)
				continue;
		}
		results[i] = f;
		count_hit(f, now);
		found |= 1ull << i;
		if (hashes != NULL && cls_rand(cls) <= cls->emc_insert_thresh)
			cls_emc_insert(cls, keys[i], hashes[i], f);
	}
	for (m = dup; m != 0; m &= m - 1) {
		unsigned int i = (unsigned int)__builtin_ctzll(m);

		if (!(found & (1ull << rep[i])))
			continue;
		results[i] = results[rep[i]];
		count_hit(results[i], now);
		found |= 1ull << i;
	}
	return found;
}

/* Masks of one to six words cover most pipelines; they get unrolled copies. */
static uint64_t subtable_stage(struct evs_cls *cls, const struct cls_subtable *st,
			       const struct evs_flow_key *const keys[], const uint32_t hashes[],
			       uint64_t miss, struct evs_megaflow *results[], uint64_t now)
{
	switch (st->n_words) {
	case 1:
		return subtable_stage_n(cls, st, keys, hashes, miss, results, now, 1);
	case 2:
		return subtable_stage_n(cls, st, keys, hashes, miss, results, now, 2);
	case 3:
		return subtable_stage_n(cls, st, keys, hashes, miss, results, now, 3);
	case 4:
		return subtable_stage_n(cls, st, keys, hashes, miss, results, now, 4);
	case 5:
		return subtable_stage_n(cls, st, keys, hashes, miss, results, now, 5);
	case 6:
		return subtable_stage_n(cls, st, keys, hashes, miss, results, now, 6);
	default:
		return subtable_stage_n(cls, st, keys, hashes, miss, results, now, st->n_words);
	}
}

static unsigned int lookup_batch(struct evs_cls *cls, const struct evs_flow_key *const keys[],
				 const uint32_t hashes[], unsigned int n,
				 struct evs_megaflow *results[], uint64_t now)
{
	uint64_t miss, probes = 0, mf_hits = 0;
	unsigned int emc_hits = 0;
	uint32_t own[EVS_CLS_BURST_MAX];

	/* With fewer busy masks than emc_min_subtables, the subtables alone are
	 * as cheap and need no whole-key hash: no EMC probe, no insertion. A
	 * bypassed EMC is probed (and filled) on one burst in CLS_EMC_SAMPLE
	 * only, to notice recovery; the other bursts hash nothing either. */
	if (cls->emc == NULL || cls->n_busy < cls->emc_min_subtables ||
	    (!cls->emc_active && cls->bursts_since_sort % CLS_EMC_SAMPLE != 0)) {
		hashes = NULL;
	} else if (hashes == NULL) {
		for (unsigned int i = 0; i < n; i++)
			own[i] = evs_flow_key_hash(keys[i], 0);
		hashes = own;
	}
	if (hashes != NULL) {
		miss = emc_stage(cls, keys, hashes, n, results, now);
		emc_hits = n - (unsigned int)__builtin_popcountll(miss);
		cls->win_emc_lookups += n;
		cls->win_emc_hits += emc_hits;
	} else {
		if (cls->emc != NULL)
			cls_cnt_add(&cls->st.emc_skipped, n);
		for (unsigned int i = 0; i < n; i++)
			results[i] = NULL;
		miss = n == 64 ? UINT64_MAX : (1ull << n) - 1;
	}
	for (uint32_t s = 0; miss != 0 && s < cls->n_active; s++) {
		struct cls_subtable *st = cls->order[s];
		uint64_t found = subtable_stage(cls, st, keys, hashes, miss, results, now);
		unsigned int k = (unsigned int)__builtin_popcountll(found);

		probes += (uint64_t)__builtin_popcountll(miss);
		miss &= ~found;
		mf_hits += k;
		st->window_hits += k;
		cls_cnt_add(&st->hits, k);
	}
	cls_cnt_add(&cls->st.lookups, n);
	cls_cnt_add(&cls->st.emc_hits, emc_hits);
	cls_cnt_add(&cls->st.megaflow_hits, mf_hits);
	cls_cnt_add(&cls->st.misses, (uint64_t)__builtin_popcountll(miss));
	cls_cnt_add(&cls->st.subtable_probes, probes);
	return emc_hits + (unsigned int)mf_hits;
}

unsigned int evs_cls_lookup_burst(struct evs_cls *cls, const struct evs_flow_key *const keys[],
				  const uint32_t hashes[], unsigned int n,
				  struct evs_megaflow *results[])
{
	unsigned int done = 0, found = 0;
	uint64_t now;

	RTE_ASSERT(cls != NULL && (n == 0 || (keys != NULL && results != NULL)));
	if (n == 0)
		return 0;
	now = rte_rdtsc();
	while (done < n) {
		unsigned int k = RTE_MIN(n - done, (unsigned int)EVS_CLS_BURST_MAX);

		found += lookup_batch(cls, keys + done, hashes != NULL ? hashes + done : NULL, k,
				      results + done, now);
		done += k;
	}
	if (++cls->bursts_since_sort >= cls->resort_interval)
		evs_cls_resort(cls);
	return found;
}
