/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The connection-key table (design in ct_hash.h and doc/conntrack.md).
 */
#include <errno.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>
#include <rte_vect.h>

#include "ct_hash.h"
#include "ct_private.h"

struct ct_hretired {
	uint32_t b;
	uint64_t token;
};

static inline uint64_t slot_of(uint32_t sig, uint32_t idx, int dir)
{
	return (uint64_t)sig << 32 | CT_HS_VALID | (uint64_t)idx << 1 | (uint64_t)dir;
}

static inline uint32_t prim_bucket(const struct ct_hash *h, uint32_t sig)
{
	return ct_hash_bucket(sig, h->nb);
}

static inline uint32_t sec_bucket(const struct ct_hash *h, uint32_t sig)
{
	/* a mix of the whole hash (the primary takes its low half): keys
	 * sharing a primary spread over secondaries */
	uint32_t x = sig * 0x9e3779b1u;
	uint32_t s = ct_hash_scale(x ^ x >> 15 ^ x << 17, h->nb);

	if (s != prim_bucket(h, sig))
		return s;
	return s + 1 < h->nb ? s + 1 : 0;
}

static inline uint32_t hdr_next(uint64_t hdr)
{
	return (uint32_t)(hdr >> CT_HB_NEXT_SHIFT);
}

static inline const struct ct_entry *entry_of(const struct ct_hash *h, uint64_t v)
{
	return &h->entries[((uint32_t)v & ~(uint32_t)CT_HS_VALID) >> 1];
}

static inline const struct ct_key *key_of(const struct ct_hash *h, uint64_t v)
{
	return &entry_of(h, v)->key[v & 1];
}

/* What a lookup hands back: the entry's address | direction (CT_DIR_BIT). */
static inline uintptr_t data_of(const struct ct_hash *h, uint64_t v)
{
	return (uintptr_t)entry_of(h, v) | (uintptr_t)(v & 1);
}

/* The slots of @b whose tag is @sig, as bit 2s for slot s: a filter, each
 * candidate is read again whole (a 16-byte load is not one atomic read). */
static inline uint32_t tag_hits(const struct ct_hbucket *b, uint32_t sig)
{
#ifdef RTE_ARCH_X86
	const __m128i *p = (const __m128i *)(const void *)b;
	__m128i t = _mm_set1_epi32((int)sig);
	__m128i lo = _mm_packs_epi32(_mm_cmpeq_epi32(_mm_load_si128(p), t),
				     _mm_cmpeq_epi32(_mm_load_si128(p + 1), t));
	__m128i hi = _mm_packs_epi32(_mm_cmpeq_epi32(_mm_load_si128(p + 2), t),
				     _mm_cmpeq_epi32(_mm_load_si128(p + 3), t));
	uint32_t m = (uint32_t)_mm_movemask_epi8(_mm_packs_epi16(lo, hi));

	/* dwords: the header's two, then each slot's low word and its tag */
	return (m >> 3) & 0x1555;
#else
	uint32_t m = 0;

	for (unsigned int s = 0; s < CT_HB_SLOTS; s++)
		m |=
		    (uint32_t)(atomic_load_explicit(&b->slot[s], memory_order_relaxed) >> 32 == sig)
		    << (2 * s);
	return m;
#endif
}

/* The next candidate of @m (taken out of it): its slot's value if the
 * tag and the valid bit hold, else 0. */
static inline uint64_t next_cand(const struct ct_hbucket *b, uint32_t *m, uint32_t sig)
{
	unsigned int s = (unsigned int)__builtin_ctz(*m) >> 1;
	/* acquire: pairs with the add's release, the entry's key is whole */
	uint64_t v = atomic_load_explicit(&b->slot[s], memory_order_acquire);

	*m &= *m - 1;
	return v >> 32 == sig && (v & CT_HS_VALID) ? v : 0;
}

/* The slot of @k in bucket @b, 0 if none. */
static inline uint64_t scan(const struct ct_hash *h, const struct ct_hbucket *b,
			    const struct ct_key *k, uint32_t sig)
{
	uint32_t m = tag_hits(b, sig);

	while (m != 0) {
		uint64_t v = next_cand(b, &m, sig);

		if (v != 0 && ct_key_eq(key_of(h, v), k))
			return v;
	}
	return 0;
}

/* Past the primary: the secondary and its chain, when the primary spilled. */
static uint64_t lookup_rest(const struct ct_hash *h, const struct ct_hbucket *pb,
			    const struct ct_key *k, uint32_t sig)
{
	const struct ct_hbucket *b;
	uint64_t v, hdr;

	/* acquire: the add set the bit before it wrote the spilled slot */
	if (!(atomic_load_explicit(&pb->hdr, memory_order_acquire) & CT_HB_SPILLED))
		return 0;
	b = &h->b[sec_bucket(h, sig)];
	for (;;) {
		v = scan(h, b, k, sig);
		if (v != 0)
			return v;
		/* acquire: a linked bucket's slots were written before the link */
		hdr = atomic_load_explicit(&b->hdr, memory_order_acquire);
		if (hdr_next(hdr) == 0)
			return 0;
		b = &h->b[hdr_next(hdr)];
	}
}

uint64_t ct_hash_lookup_cand(const struct ct_hash *h, const void *const *keys, const uint32_t *sig,
			     unsigned int n, bool nat, uintptr_t *cand)
{
	const struct ct_hbucket *tb = h->b;
	const struct ct_entry *te = h->entries;
	uint32_t nb = h->nb;
	const bool all = h->scan_all;
	uint64_t absent = 0;
	unsigned int i;

	/* the primary buckets were asked for (ct_hash_prefetch): the entries
	 * their tags point to now, the caller compares the keys after */
	for (i = 0; i < n; i++) {
		const struct ct_hbucket *b = &tb[ct_hash_bucket(sig[i], nb)];
		uint64_t v = 0;

		if (all) {
			uint32_t m = tag_hits(b, sig[i]);

			while (m != 0 && v == 0) /* a second turn: sig 0 met an empty slot */
				v = next_cand(b, &m, sig[i]);
		} else {
			/* tag and valid bit at once: an empty slot (0) never
			 * matches (unrolled: no count to keep) */
			uint64_t want = (uint64_t)sig[i] << 1 | 1;

#pragma GCC unroll 7
			for (unsigned int s = 0; s < CT_HB_SLOTS; s++) {
				/* acquire: as in next_cand(); the key is the caller's to check */
				uint64_t x =
				    atomic_load_explicit(&b->slot[s], memory_order_acquire);

				if (x >> 31 == want) {
					v = x;
					break;
				}
			}
		}
		if (v == 0) {
			/* acquire: as in lookup_rest(); nothing spilled, nothing elsewhere */
			if (!(atomic_load_explicit(&b->hdr, memory_order_acquire) & CT_HB_SPILLED))
				absent |= UINT64_C(1) << i;
			cand[i] = 0;
			continue;
		}
		/* the index doubled is the slot's low bits without valid and
		 * direction: index * size in one multiply */
		cand[i] = ((uintptr_t)te + ((uint32_t)v & (CT_HS_VALID - 2)) * (sizeof(*te) / 2)) |
			  (uintptr_t)(v & 1);
		ct_entry_prefetch((const struct ct_entry *)(cand[i] & ~CT_DIR_BIT), (int)(v & 1),
				  ((const struct ct_key *)keys[i])->proto, nat);
	}
	return absent;
}

void ct_hash_set_scan_all(struct ct_hash *h, bool all)
{
	h->scan_all = all;
}

bool ct_hash_lookup_rest(const struct ct_hash *h, const struct ct_key *k, uint32_t sig,
			 uintptr_t cand, uintptr_t *data)
{
	const struct ct_hbucket *pb = &h->b[prim_bucket(h, sig)];
	/* no candidate: no tag in the primary, only the spilled rest may have it */
	uint64_t v = cand == 0 ? 0 : scan(h, pb, k, sig);

	if (v == 0)
		v = lookup_rest(h, pb, k, sig);
	if (v == 0)
		return false;
	*data = data_of(h, v);
	return true;
}

bool ct_hash_lookup(const struct ct_hash *h, const struct ct_key *k, uint32_t sig, uintptr_t *data)
{
	/* as after a candidate that did not hold: the primary scanned, then the rest */
	return ct_hash_lookup_rest(h, k, sig, CT_DIR_BIT, data);
}

uint64_t ct_hash_lookup_bulk(const struct ct_hash *h, const void *const *keys, const uint32_t *sig,
			     unsigned int n, bool nat, uintptr_t *data)
{
	uint64_t absent, hits = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		ct_hash_prefetch(ct_hash_primary(h), sig[i]);
	absent = ct_hash_lookup_cand(h, keys, sig, n, nat, data);
	for (i = 0; i < n; i++)
		if (!((absent >> i) & 1) &&
		    (ct_cand_holds(data[i], keys[i]) ||
		     ct_hash_lookup_rest(h, keys[i], sig[i], data[i], &data[i])))
			hits |= UINT64_C(1) << i;
	return hits;
}

/* Put @v into a free slot of @b; false if full. */
static bool put(struct ct_hbucket *b, uint64_t v)
{
	for (unsigned int s = 0; s < CT_HB_SLOTS; s++)
		if (atomic_load_explicit(&b->slot[s], memory_order_relaxed) == 0) {
			/* release: readers that see the slot see the entry's key */
			atomic_store_explicit(&b->slot[s], v, memory_order_release);
			return true;
		}
	return false;
}

/* Take back retired extension buckets whose grace has passed. */
static void reclaim(struct ct_hash *h)
{
	while (h->ret_head != h->ret_tail) {
		struct ct_hretired *r = &h->retired[h->ret_head % h->n_ext];

		/* non-blocking: the writer may itself be a reader lcore */
		if (h->qsv != NULL && rte_rcu_qsbr_check(h->qsv, r->token, false) != 1)
			return;
		h->ext_free[h->n_free++] = r->b;
		h->ret_head++;
	}
}

static uint32_t ext_alloc(struct ct_hash *h)
{
	uint32_t b;

	if (h->n_free == 0)
		reclaim(h);
	if (h->n_free == 0)
		return 0;
	b = h->ext_free[--h->n_free];
	/* slots are all 0 (emptied before retiring); the header's next too */
	atomic_store_explicit(&h->b[b].hdr, 0, memory_order_relaxed);
	return b;
}

int ct_hash_add(struct ct_hash *h, uint32_t sig, uint32_t idx, int dir)
{
	uint32_t p = prim_bucket(h, sig);
	struct ct_hbucket *pb = &h->b[p], *b;
	uint64_t v = slot_of(sig, idx, dir), hdr;
	uint32_t nb;

	if (put(pb, v))
		goto added;
	/* release: a reader that finds the bit looks on (set before the slot,
	 * which is written with release too) */
	hdr = atomic_load_explicit(&pb->hdr, memory_order_relaxed);
	if (!(hdr & CT_HB_SPILLED))
		atomic_store_explicit(&pb->hdr, hdr | CT_HB_SPILLED, memory_order_release);
	b = &h->b[sec_bucket(h, sig)];
	for (;;) {
		if (put(b, v))
			goto spilled;
		hdr = atomic_load_explicit(&b->hdr, memory_order_relaxed);
		if (hdr_next(hdr) == 0)
			break;
		b = &h->b[hdr_next(hdr)];
	}
	nb = ext_alloc(h);
	if (nb == 0) {
		if (h->spill[p] == 0) /* nothing spilled after all */
			atomic_store_explicit(&pb->hdr,
					      atomic_load_explicit(&pb->hdr, memory_order_relaxed) &
						  ~CT_HB_SPILLED,
					      memory_order_relaxed);
		return -ENOSPC;
	}
	atomic_store_explicit(&h->b[nb].slot[0], v, memory_order_relaxed);
	/* release: the new bucket's slot and header before its link */
	atomic_store_explicit(&b->hdr, hdr | (uint64_t)nb << CT_HB_NEXT_SHIFT,
			      memory_order_release);
spilled:
	h->spill[p]++;
added:
	h->keys++;
	return 0;
}

static bool bucket_empty(const struct ct_hbucket *b)
{
	for (unsigned int s = 0; s < CT_HB_SLOTS; s++)
		if (atomic_load_explicit(&b->slot[s], memory_order_relaxed) != 0)
			return false;
	return true;
}

/* Clear @v's slot in @b; false if not there. */
static bool clear(struct ct_hbucket *b, uint64_t v)
{
	for (unsigned int s = 0; s < CT_HB_SLOTS; s++)
		if (atomic_load_explicit(&b->slot[s], memory_order_relaxed) == v) {
			/* relaxed: the entry stays readable until its grace */
			atomic_store_explicit(&b->slot[s], 0, memory_order_relaxed);
			return true;
		}
	return false;
}

/* Take the empty extension bucket @b out of the chain after @prev; reused
 * after a grace (a reader inside it still follows its next). */
static void unchain(struct ct_hash *h, struct ct_hbucket *prev, uint32_t b)
{
	uint64_t ph = atomic_load_explicit(&prev->hdr, memory_order_relaxed);
	uint64_t next =
	    atomic_load_explicit(&h->b[b].hdr, memory_order_relaxed) & ~(uint64_t)UINT32_MAX;

	/* relaxed: the bucket unlinked is empty, the rest of the chain unchanged */
	atomic_store_explicit(&prev->hdr, (ph & UINT32_MAX) | next, memory_order_relaxed);
	if (h->qsv == NULL) {
		h->ext_free[h->n_free++] = b;
		return;
	}
	h->retired[h->ret_tail % h->n_ext] = (struct ct_hretired){
	    .b = b,
	    .token = rte_rcu_qsbr_start(h->qsv),
	};
	h->ret_tail++;
}

int ct_hash_del(struct ct_hash *h, uint32_t sig, uint32_t idx, int dir)
{
	uint32_t p = prim_bucket(h, sig);
	struct ct_hbucket *pb = &h->b[p], *b, *prev;
	uint64_t v = slot_of(sig, idx, dir);
	uint32_t cur;

	if (clear(pb, v))
		goto deleted;
	b = &h->b[sec_bucket(h, sig)];
	prev = NULL;
	cur = 0;
	for (;;) {
		if (clear(b, v))
			break;
		cur = hdr_next(atomic_load_explicit(&b->hdr, memory_order_relaxed));
		if (cur == 0)
			return -ENOENT;
		prev = b;
		b = &h->b[cur];
	}
	if (prev != NULL && bucket_empty(b))
		unchain(h, prev, cur);
	if (--h->spill[p] == 0) {
		/* relaxed: no key of this primary is elsewhere for a reader to miss */
		uint64_t hdr = atomic_load_explicit(&pb->hdr, memory_order_relaxed);

		atomic_store_explicit(&pb->hdr, hdr & ~CT_HB_SPILLED, memory_order_relaxed);
	}
deleted:
	h->keys--;
	return 0;
}

struct ct_hash *ct_hash_create(uint32_t max_conns, const struct ct_entry *entries,
			       struct rte_rcu_qsbr *qsv, int socket_id)
{
	/* buckets at most half full at max_conns (7 slots, two keys each):
	 * at 3/4, 6% of the keys a lookup wants are past their primary, a
	 * second miss (bench-lb-pipeline 1M: +30 cycles a packet) */
	uint64_t want = ((uint64_t)max_conns * 2 * 2 + 6) / 7;
	struct ct_hash *h;
	uint64_t nb;
	uint32_t i;

	if (max_conns == 0 || max_conns > (1u << 30) || entries == NULL) {
		errno = EINVAL;
		return NULL;
	}
	/* exactly: ct_hash_bucket() takes any count */
	nb = RTE_MAX(want, (uint64_t)2);
	h = rte_zmalloc_socket("ct_hash", sizeof(*h), RTE_CACHE_LINE_SIZE, socket_id);
	if (h == NULL)
		goto nomem;
	h->entries = entries;
	h->qsv = qsv;
	h->nb = (uint32_t)nb;
	h->scan_all = ct_hash_cached(h);
	/* a quarter more for chains: at half load few keys reach one (at 3/4
	 * ~2% of the keys filled a sixteenth of the main buckets' count; test
	 * fullest_sizing_fits) */
	h->n_ext = (uint32_t)RTE_MAX(nb / 4, (uint64_t)64);
	h->b = rte_zmalloc_socket("ct_hash_b", (nb + h->n_ext) * sizeof(*h->b), RTE_CACHE_LINE_SIZE,
				  socket_id);
	h->spill = rte_zmalloc_socket("ct_hash_spill", nb * sizeof(*h->spill), 0, socket_id);
	h->ext_free =
	    rte_malloc_socket("ct_hash_ext", h->n_ext * sizeof(*h->ext_free), 0, socket_id);
	h->retired = rte_malloc_socket("ct_hash_ret", h->n_ext * sizeof(*h->retired), 0, socket_id);
	if (h->b == NULL || h->spill == NULL || h->ext_free == NULL || h->retired == NULL)
		goto nomem;
	/* popped from the top: the lowest numbers first */
	for (i = 0; i < h->n_ext; i++)
		h->ext_free[i] = (uint32_t)nb + h->n_ext - 1 - i;
	h->n_free = h->n_ext;
	h->bytes = sizeof(*h) + (nb + h->n_ext) * sizeof(*h->b) + nb * sizeof(*h->spill) +
		   h->n_ext * (sizeof(*h->ext_free) + sizeof(*h->retired));
	return h;
nomem:
	ct_hash_free(h);
	errno = ENOMEM;
	return NULL;
}

void ct_hash_free(struct ct_hash *h)
{
	if (h == NULL)
		return;
	rte_free(h->b);
	rte_free(h->spill);
	rte_free(h->ext_free);
	rte_free(h->retired);
	rte_free(h);
}

void ct_hash_info(const struct ct_hash *h, struct ct_hash_info *info)
{
	*info = (struct ct_hash_info){
	    .buckets = h->nb,
	    .ext_buckets = h->n_ext,
	    .ext_used = h->n_ext - h->n_free - (h->ret_tail - h->ret_head),
	    .ext_retired = h->ret_tail - h->ret_head,
	    .keys = h->keys,
	    .bytes = h->bytes,
	};
}
