/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_CT_HOT_H
#define EVS_CT_HOT_H

/*
 * Hot copies: what a load balancer's established packet needs of its
 * connection (the original IPv4 UDP key, flags, mark, backend, expiry, and
 * the entry's index to refresh its expiry by), in
 * a line of its own addressed by the key's hash, so that such a packet
 * reads one line instead of the bucket and then the entry (doc/conntrack.md,
 * "Hot copies"). A cache: the entry stays the truth, a copy that is missing
 * or stale only sends its packet the usual way.
 *
 * A line holds two 32-byte records. A record's first word is its version
 * (odd while a writer owns it) and the expiry it last wrote to the entry,
 * in grains; readers check it before and after reading the rest (a
 * seqlock), writers take a record by a compare-and-swap of it. Any lcore
 * writes: a packet that went the usual way puts its connection's copy,
 * ct_entry_unlink() and a change of flags or mark drop it. Against a put
 * racing such a change, both sides fence: the changer stores, fences and
 * drops; the putter publishes, fences and reads the entry again, dropping
 * what it put when the entry changed (one of the two sees the other).
 */

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_prefetch.h>

#include "ct_hash.h"

struct ct_hot_rec {
	_Atomic uint64_t word; /* version << 32 | expiry in grains */
	_Atomic uint64_t k0;   /* source | destination << 32 */
	_Atomic uint64_t k1;   /* ports, zone (CT_HOT_KEY_MASK of ct_key's word 4) | backend << 48 */
	_Atomic uint32_t mark;
	_Atomic uint32_t ix; /* entry index | the entry's flags' low four bits << 28 (0: empty) */
};

/* The key's bits of ct_key's word 4 a copy keeps: its protocol and family
 * are UDP and IPv4 for every copy, their place holds the backend. */
#define CT_HOT_KEY_MASK UINT64_C(0xffffffffffff)
#define CT_HOT_IDX_MAX (1u << 28) /* a larger table has no copies */

struct ct_hot_line {
	struct ct_hot_rec rec[2];
} __rte_aligned(64);

_Static_assert(sizeof(struct ct_hot_line) == 64, "two records a line");

struct ct_hot {
	struct ct_hot_line *l;
	uint32_t nl;
	size_t bytes;
};

/* What a reader gets of a copy. */
struct ct_hot_val {
	uint32_t exp; /* grains */
	uint32_t mark;
	uint32_t idx; /* the entry's */
	uint16_t backend;
	uint8_t flags;
	uint64_t word; /* as read: ct_hot_refresh() takes it */
};

/* A table for @max_conns (1..CT_HOT_IDX_MAX) connections: as many lines
 * (two records each), so that at the table's sizing ~9 in 10 connections
 * find a record. NULL with errno. */
struct ct_hot *ct_hot_create(uint32_t max_conns, int socket_id);
void ct_hot_free(struct ct_hot *h);

static inline struct ct_hot_line *ct_hot_line_of(const struct ct_hot *h, uint32_t sig)
{
	return &h->l[ct_hash_bucket(sig, h->nl)];
}

static inline void ct_hot_prefetch(const struct ct_hot *h, uint32_t sig)
{
	rte_prefetch0(ct_hot_line_of(h, sig));
}

/* The copy of key (@k0, @k1: ct_key's word 4, UDP over IPv4) in its line
 * (@l), whole: its record (for ct_hot_refresh()) with @v, or NULL. */
static inline struct ct_hot_rec *ct_hot_get(struct ct_hot_line *l, uint64_t k0, uint64_t k1,
					    struct ct_hot_val *v)
{
	for (unsigned int r = 0; r < 2; r++) {
		struct ct_hot_rec *c = &l->rec[r];
		/* acquire: the fields read below were written before it */
		uint64_t w = atomic_load_explicit(&c->word, memory_order_acquire);
		uint64_t c1 = atomic_load_explicit(&c->k1, memory_order_relaxed);
		uint32_t ix;

		if (atomic_load_explicit(&c->k0, memory_order_relaxed) != k0 ||
		    ((c1 ^ k1) & CT_HOT_KEY_MASK) != 0)
			continue;
		v->mark = atomic_load_explicit(&c->mark, memory_order_relaxed);
		ix = atomic_load_explicit(&c->ix, memory_order_relaxed);
		/* the reads above before the version's second read */
		atomic_thread_fence(memory_order_acquire);
		if (((w >> 32) & 1) != 0 ||
		    atomic_load_explicit(&c->word, memory_order_relaxed) != w || ix == 0)
			return NULL; /* a writer in the middle, or empty: the usual way */
		v->backend = (uint16_t)(c1 >> 48);
		v->idx = ix & (CT_HOT_IDX_MAX - 1);
		v->flags = (uint8_t)(ix >> 28);
		v->exp = (uint32_t)w;
		v->word = w;
		return c;
	}
	return NULL;
}

/* Move the expiry of copy @c, read whole as @w, to @exp grains (its
 * entry's expiry written first): false when it changed since. */
static inline bool ct_hot_refresh(struct ct_hot_rec *c, uint64_t w, uint32_t exp)
{
	return atomic_compare_exchange_strong_explicit(
	    &c->word, &w, (w & ~UINT64_C(0xffffffff)) | exp, memory_order_release,
	    memory_order_relaxed);
}

/* Put the copy of a connection (its key @k0, @k1 of hash @sig, flags (not
 * 0), mark, backend, entry index, and the expiry @v->exp in grains it just
 * wrote to the entry):
 * the record that holds the key, else an empty one, else the one of the
 * line's two the hash names, only if that copy's expiry is more than
 * @keep grains before @v->exp (an idle connection's: two busy ones sharing
 * a record would take it from each other at every packet). Gives
 * up (no copy) when a writer holds the record. */
void ct_hot_put(struct ct_hot *h, uint32_t sig, uint64_t k0, uint64_t k1,
		const struct ct_hot_val *v, uint32_t keep);
/* Drop the copy of key (@k0, @k1) of hash @sig, if there is one. */
void ct_hot_drop(struct ct_hot *h, uint32_t sig, uint64_t k0, uint64_t k1);

/* Records in use, for tests and figures (not consistent under writers). */
uint32_t ct_hot_count(const struct ct_hot *h);

#endif /* EVS_CT_HOT_H */
