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
 * bucket (hash & mask), else to its secondary (from a mix of the hash),
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

#include <stdbool.h>
#include <stdint.h>

#include <rte_rcu_qsbr.h>

struct ct_entry;
struct ct_key;
struct ct_hash;

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
 * it handles each packet (ct_exec.c): prefetches as above and gives per
 * key the first slot whose tag is its hash, as entry address | direction
 * in @cand[i] (0: none); bit i of the result set when keys[i]'s primary
 * bucket had no tag of it. A candidate holds when ct_cand_holds(); if not,
 * ct_hash_lookup_rest() with that bit finds the key or its absence. */
uint64_t ct_hash_lookup_cand(const struct ct_hash *h, const void *const *keys, const uint32_t *sig,
			     unsigned int n, bool nat, uintptr_t *cand);
bool ct_hash_lookup_rest(const struct ct_hash *h, const struct ct_key *k, uint32_t sig, bool notag,
			 uintptr_t *data);

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
