/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_LB_MAGLEV_H
#define EVS_LB_MAGLEV_H

/**
 * @file
 * Maglev consistent hashing (Eisenbud et al., NSDI 2016) with weights.
 *
 * What: a lookup table of prime size M whose every entry names a backend.
 * Each backend walks its own permutation of the slots, (offset + j * skip)
 * mod M with offset and skip from two hashes of the backend's key; backends
 * take turns claiming their next free slot until the table is full. With
 * weights, a turn is granted by credit: each round a backend earns its
 * weight and spends the largest weight per slot, so it holds about
 * M * weight / sum(weights) slots. A weight of 0 keeps the backend out of
 * the table (draining). The table depends only on the set of (key, weight,
 * id), never on the order given, so every host builds the same table.
 *
 * Thread-safety:
 * - evs_maglev_lookup: any lcore that reports quiescent states on the qsbr
 *   variable of the config (PMD lcores, between bursts). Lock-free.
 * - evs_maglev_create/free/update/reclaim: the management lcore only.
 * - evs_maglev_populate: any thread (pure function).
 */

#include <stdint.h>

#include <rte_rcu_qsbr.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Lookup result when the table has no backend (empty or all drained). */
#define EVS_MAGLEV_NONE UINT32_MAX
/** Default table size: the paper's prime. */
#define EVS_MAGLEV_SIZE_DEFAULT 65537u
/** Largest table size accepted. */
#define EVS_MAGLEV_SIZE_MAX (1u << 24)
/** Longest backend key (an IPv6 address, a port and a scope id fit). */
#define EVS_MAGLEV_KEY_MAX 32

/** One backend of a build. */
struct evs_maglev_backend {
	uint32_t id;			 /**< what lookups return; < EVS_MAGLEV_NONE, unique */
	uint32_t weight;		 /**< 0: not in the table */
	uint8_t key[EVS_MAGLEV_KEY_MAX]; /**< identity hashed for the permutation */
	uint8_t key_len;		 /**< 1..EVS_MAGLEV_KEY_MAX bytes of key, unique */
};

/** A built table; immutable once published. */
struct evs_maglev_table {
	uint32_t size;	   /**< M, prime */
	uint32_t n_active; /**< backends with weight > 0 */
	uint64_t gen;	   /**< build number, for tests and stats */
	uint32_t entry[];  /**< backend id per slot, or EVS_MAGLEV_NONE if n_active == 0 */
};

/** Configuration of evs_maglev_create(). */
struct evs_maglev_config {
	uint32_t size;		   /**< prime, 0 for EVS_MAGLEV_SIZE_DEFAULT */
	int socket_id;		   /**< NUMA socket of the tables */
	struct rte_rcu_qsbr *qsbr; /**< readers' RCU variable; NULL: single-threaded use */
};

/**
 * A published table. Only evs_maglev_lookup() may read @cur from another
 * lcore; the rest is the management lcore's.
 */
struct evs_maglev {
	struct evs_maglev_table *cur; /**< RCU-published; never NULL after create */
	struct rte_rcu_qsbr *qsbr;
	uint32_t size;
	int socket_id;
	uint64_t gen;
	uint32_t n_retired;
	struct {
		struct evs_maglev_table *t;
		uint64_t token;
	} retired[8]; /**< replaced tables awaiting a grace period */
};

/**
 * Permutation parameters of a key for table size @size (exposed so tests
 * can check them against the paper's definition). @key_len is
 * 1..EVS_MAGLEV_KEY_MAX.
 * @param[out] offset  in [0, size)
 * @param[out] skip    in [1, size)
 */
void evs_maglev_permutation(const uint8_t *key, uint8_t key_len, uint32_t size, uint32_t *offset,
			    uint32_t *skip);

/**
 * Fill @entry[0..size) from @n backends (order irrelevant).
 * @return 0; -EINVAL if @size is not a prime in [2, EVS_MAGLEV_SIZE_MAX], a
 *   key length is out of range or an id is EVS_MAGLEV_NONE; -EEXIST for a
 *   duplicate key or id; -E2BIG if more active backends than slots;
 *   -ENOMEM. With no active backend every entry is EVS_MAGLEV_NONE.
 */
int evs_maglev_populate(uint32_t *entry, uint32_t size, const struct evs_maglev_backend *b,
			uint32_t n);

/** True if @n is prime (trial division; sizes are at most 2^24). */
int evs_maglev_is_prime(uint32_t n);

/**
 * Create an empty table (every lookup returns EVS_MAGLEV_NONE).
 * @return the table, or NULL with errno EINVAL (size not prime or too
 *   large) or ENOMEM.
 */
struct evs_maglev *evs_maglev_create(const struct evs_maglev_config *cfg);

/** Free @m and every table it holds; readers must be gone. NULL is a no-op. */
void evs_maglev_free(struct evs_maglev *m);

/**
 * Build a table from @n backends off the datapath and publish it; the
 * previous table is freed once readers have passed a quiescent state.
 * On error the published table is unchanged.
 * @return 0, or an error of evs_maglev_populate(), or -ENOMEM, or -EBUSY
 *   if too many replaced tables still wait for readers.
 */
int evs_maglev_update(struct evs_maglev *m, const struct evs_maglev_backend *b, uint32_t n);

/** Free replaced tables whose grace period is over. @return how many remain. */
uint32_t evs_maglev_reclaim(struct evs_maglev *m);

/**
 * Backend id for a packet hash, or EVS_MAGLEV_NONE. Slot = hash * M >> 32
 * (a multiply instead of a division; uniform for a uniform 32-bit hash).
 */
static inline uint32_t evs_maglev_lookup(const struct evs_maglev *m, uint32_t hash)
{
	/* acquire: pairs with the release in evs_maglev_update, so the entries
	 * written before publication are visible */
	const struct evs_maglev_table *t = __atomic_load_n(&m->cur, __ATOMIC_ACQUIRE);

	return t->entry[(uint32_t)(((uint64_t)hash * t->size) >> 32)];
}

#ifdef __cplusplus
}
#endif

#endif /* EVS_LB_MAGLEV_H */
