/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_CT_HASH_H
#define EVS_CT_HASH_H

/*
 * The connection-key table: (key hash, entry index, direction) in 64-byte
 * buckets; the key itself is the entry's own (entry->key[dir]), so a lookup
 * touches the bucket and the entry, no separate key store.
 *
 * A bucket is one cache line: a header word (a "spilled" bit and the next
 * extension bucket) and 7 slots. A slot is one 64-bit word, tag (the key's
 * 32-bit hash) << 32 | valid | index << 1 | direction, written and read
 * whole, so a reader sees a whole slot or none. A key goes to its primary
 * bucket (the hash scaled to the bucket count, ct_hash_bucket()), else to
 * its secondary (from a mix of the hash),
 * setting the primary's spilled bit, else to a chain of extension buckets
 * hanging off the secondary. Keys never move while present (no cuckoo
 * displacement, no chain compaction): a lock-free reader never misses a key
 * that stays in the table during its lookup.
 *
 * Thread-safety: writers (add, del) serialised by the caller (ct->wlock);
 * readers lock-free on any lcore, each inside an RCU read side of @qsv:
 * an extension bucket taken out of its chain is reused only after a grace,
 * and entries are reused only after theirs (ct_entry_unlink), so a reader
 * racing a delete and a reuse sees the old entry (DEAD) or a key mismatch.
 */

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_prefetch.h>
#include <rte_rcu_qsbr.h>

struct ct_entry;
struct ct_key;
struct ct_hretired;

/* The layout, here for the inline prefetch alone: only ct_hash.c reads or
 * writes the fields. */
#define CT_HB_SLOTS 7
#define CT_HB_SPILLED UINT64_C(1)	/* header: keys of this primary live elsewhere */
#define CT_HB_NEXT_SHIFT 32		/* header: next extension bucket (0: none) */
#define CT_HS_VALID (UINT64_C(1) << 31) /* slot: in use (idx < 2^30) */

struct ct_hbucket {
	_Atomic uint64_t hdr;
	_Atomic uint64_t slot[CT_HB_SLOTS];
} __rte_aligned(64);

_Static_assert(sizeof(struct ct_hbucket) == 64, "a bucket is one cache line");

struct ct_hash {
	struct ct_hbucket *b; /* main buckets, then the extension pool */
	const struct ct_entry *entries;
	struct rte_rcu_qsbr *qsv;
	uint32_t nb; /* main buckets: any count, not a power of two */
	uint32_t n_ext;
	uint32_t keys;
	bool scan_all; /* ct_hash_lookup_cand() tests a bucket's tags at once */
	/* writer only */
	uint32_t *spill;    /* [main]: keys of this primary stored elsewhere */
	uint32_t *ext_free; /* stack of free extension bucket numbers */
	uint32_t n_free;
	struct ct_hretired *retired; /* FIFO of unchained ones waiting for a grace */
	uint32_t ret_head, ret_tail; /* free-running; capacity n_ext */
	size_t bytes;
};

/* Where the primary buckets are, read once per burst (a loop storing
 * keys through bytes would make the compiler read them per packet). */
struct ct_hash_primary {
	const struct ct_hbucket *b;
	uint32_t nb;
};

static inline struct ct_hash_primary ct_hash_primary(const struct ct_hash *h)
{
	return (struct ct_hash_primary){.b = h->b, .nb = h->nb};
}

/* Which of @nb buckets a uniform 32-bit @x falls in: multiply-shift range
 * reduction (its high bits), so that the table is sized to what its load
 * asks, not rounded up to a power of two (at 1M connections 1.4-1.8x the
 * bytes, past the L3). */
static inline uint32_t ct_hash_scale(uint32_t x, uint32_t nb)
{
	return (uint32_t)((uint64_t)x * nb >> 32);
}

/* The primary bucket of hash @sig: CRC32C's low half spreads keys that
 * count up (addresses, ports) more evenly than its high half (3% of them
 * past a 3/4-full primary instead of 10%, bench-lb-pipeline's flows), so
 * it is rotated to the top. */
static inline uint32_t ct_hash_bucket(uint32_t sig, uint32_t nb)
{
	return ct_hash_scale(sig << 16 | sig >> 16, nb);
}

/* Ask for the primary bucket of hash @sig: a burst's first step, as early
 * as its keys are hashed (inline: one per packet). */
static inline void ct_hash_prefetch(struct ct_hash_primary p, uint32_t sig)
{
	rte_prefetch0(&p.b[ct_hash_bucket(sig, p.nb)]);
}

/* A table for @max_conns entries' two keys each, reading keys from
 * @entries (indexed by ct_entry_idx()); NULL with errno (EINVAL, ENOMEM).
 * @qsv: readers' RCU (NULL: no concurrent readers). */
struct ct_hash *ct_hash_create(uint32_t max_conns, const struct ct_entry *entries,
			       struct rte_rcu_qsbr *qsv, int socket_id);
void ct_hash_free(struct ct_hash *h);

/* Add the key of entry @idx in direction @dir, whose hash is @sig (writer);
 * the key must not be present. 0, or -ENOSPC when every extension bucket is
 * in use. Publishes with release: a reader that sees the slot sees the
 * entry as written before. */
int ct_hash_add(struct ct_hash *h, uint32_t sig, uint32_t idx, int dir);
/* Remove it (writer): 0, or -ENOENT. */
int ct_hash_del(struct ct_hash *h, uint32_t sig, uint32_t idx, int dir);

/* Look @k (hash @sig) up: true with @data = entry address | direction. */
bool ct_hash_lookup(const struct ct_hash *h, const struct ct_key *k, uint32_t sig, uintptr_t *data);
/* The same for @n <= 64 keys, prefetching ahead: bit i of the result set
 * when keys[i] is found (data[i] then as above); found entries' lines
 * are prefetched (ct_entry_prefetch; @nat: the caller will rewrite, so
 * the other direction's key too). */
uint64_t ct_hash_lookup_bulk(const struct ct_hash *h, const void *const *keys, const uint32_t *sig,
			     unsigned int n, bool nat, uintptr_t *data);

/* The same in steps, for a caller that compares the keys itself while
 * it handles each packet (ct_exec.c): with the primary buckets asked for
 * first (ct_hash_prefetch()), it prefetches as above and gives per key the
 * first slot whose tag is its hash, as entry address | direction in
 * @cand[i] (0: none). Bit i of the result: keys[i] is absent (no tag in a
 * primary that spilled nothing); else it is there when
 * ct_cand_holds(cand[i]), or when ct_hash_lookup_rest() with cand[i]
 * finds it. */
uint64_t ct_hash_lookup_cand(const struct ct_hash *h, const void *const *keys, const uint32_t *sig,
			     unsigned int n, bool nat, uintptr_t *cand);
bool ct_hash_lookup_rest(const struct ct_hash *h, const struct ct_key *k, uint32_t sig,
			 uintptr_t cand, uintptr_t *data);

/* Main buckets up to this many bytes are read from the caches, where the
 * burst lookup tests all of a bucket's tags at once: near its sizing load a
 * bucket holds 2-4 keys, and a branch per slot mispredicts about once a
 * packet. Past it buckets come from memory, and the slot-by-slot test's
 * shorter steps keep more of them in flight (bench-lb-pipeline, TSC ticks
 * a packet: 64k connections 91 -> 78 at once, 1M 107 -> 131). */
#define CT_HASH_SCAN_ALL_MAX_BYTES (4u << 20)

/* Whether @h's main buckets fit CT_HASH_SCAN_ALL_MAX_BYTES: read from the
 * caches (the lookup's default scan, and evs_ct_buckets_from_memory()). */
static inline bool ct_hash_cached(const struct ct_hash *h)
{
	return (size_t)h->nb * sizeof(struct ct_hbucket) <= CT_HASH_SCAN_ALL_MAX_BYTES;
}

/* The burst lookup's scan, for tests: all tags at once or slot by slot. */
void ct_hash_set_scan_all(struct ct_hash *h, bool all);

/* Sizes, for memory figures and tests. */
struct ct_hash_info {
	uint32_t buckets;     /* main buckets */
	uint32_t ext_buckets; /* extension buckets in the pool */
	uint32_t ext_used;    /* in chains now */
	uint32_t ext_retired; /* out of chains, waiting for a grace */
	uint32_t keys;
	size_t bytes;
};
void ct_hash_info(const struct ct_hash *h, struct ct_hash_info *info);

#endif /* EVS_CT_HASH_H */
