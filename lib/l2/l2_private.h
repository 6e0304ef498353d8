/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_L2_PRIVATE_H
#define EVS_L2_PRIVATE_H

/* State behind evs_l2.h shared by the library's files. */

#include <string.h>

#include <rte_hash.h>
#include <rte_log.h>
#include <rte_ring.h>

#include "evs_l2.h"

extern int evs_l2_logtype;
#define L2_LOG(level, ...) rte_log(RTE_LOG_##level, evs_l2_logtype, "l2: " __VA_ARGS__)

/* Frames per bulk lookup: two keys (source, destination) each. */
#define L2_BURST (RTE_HASH_LOOKUP_BULK_MAX / 2)

enum mac_flags {
	MAC_F_USED = 1 << 0,
	MAC_F_STATIC = 1 << 1,
};

/*
 * One MAC entry, indexed by the idx stored in the hash data. The writer owns
 * every field but last_seen, which PMD lcores refresh with relaxed stores.
 */
struct mac_entry {
	uint64_t key;	    /* packed {switch id, MAC}, see mac_key() */
	uint32_t last_seen; /* seconds */
	uint16_t port;
	uint8_t flags; /* enum mac_flags */
	uint8_t pad;
};

/* Learn event, PMD lcores -> management lcore. */
struct learn_ev {
	uint64_t key;
	uint16_t port;
	uint16_t pad[3];
};

/* A deleted key waiting for readers to pass a quiescent state. */
struct deferred {
	uint64_t token;
	uint32_t pos; /* rte_hash key position */
	uint32_t idx; /* entry index */
};

struct evs_l2_macs {
	/* read by PMD lcores */
	struct rte_hash *h;
	struct mac_entry *entries;
	struct rte_ring *ring;
	/* bumped by the writer after deletes; PMD learn filters drop older entries */
	uint32_t del_gen;

	/* management lcore only below */
	struct rte_rcu_qsbr *qsbr;
	uint32_t capacity; /* live entries at most */
	uint32_t nb_slots; /* entries[] and hash size: room for deferred slots */
	uint32_t learn_per_poll;
	uint32_t age_scan_per_poll;
	uint32_t age_cursor;
	uint32_t count;
	uint64_t generation; /* bumped on every insert, move, static change, removal */
	void (*on_change)(void *arg, uint16_t switch_id);
	void *on_change_arg;
	uint32_t *free_idx; /* stack of free entry indexes */
	uint32_t nb_free;
	struct deferred *dq; /* FIFO, nb_slots long */
	uint32_t dq_head, dq_len;
	uint32_t sw_count[EVS_L2_MAX_SWITCHES];
	struct evs_l2_macs_stats st;
	struct evs_l2_lcore *lcores[RTE_MAX_LCORE];
};

/* Hash data: bits 0-15 port, bit 16 static, bits 32-63 entry index. */
#define MAC_DATA_STATIC (1ull << 16)

static inline void *mac_data(uint32_t idx, uint16_t port, bool is_static)
{
	return (void *)(uintptr_t)((uint64_t)idx << 32 | (is_static ? MAC_DATA_STATIC : 0) | port);
}

static inline uint16_t mac_data_port(const void *d)
{
	return (uint16_t)(uintptr_t)d;
}

static inline bool mac_data_static(const void *d)
{
	return ((uintptr_t)d & MAC_DATA_STATIC) != 0;
}

static inline uint32_t mac_data_idx(const void *d)
{
	return (uint32_t)((uint64_t)(uintptr_t)d >> 32);
}

/* Packed key: switch id in bytes 0-1, MAC in bytes 2-7 (memory order). */
static inline uint64_t mac_key(uint16_t sw, const struct rte_ether_addr *mac)
{
	uint64_t k = 0;

	memcpy(&k, &sw, 2);
	memcpy((uint8_t *)&k + 2, mac, RTE_ETHER_ADDR_LEN);
	return k;
}

static inline uint16_t mac_key_switch(uint64_t k)
{
	uint16_t sw;

	memcpy(&sw, &k, 2);
	return sw;
}

static inline void mac_key_mac(uint64_t k, struct rte_ether_addr *mac)
{
	memcpy(mac, (uint8_t *)&k + 2, RTE_ETHER_ADDR_LEN);
}

/* Learn filter: one lcore reports a (key, port) at most once a second. */
#define LEARN_FILTER_SIZE 64

struct learn_filter {
	uint64_t key;
	uint32_t time;
	uint32_t gen;
	uint16_t port;
};

struct evs_l2_lcore {
	struct evs_l2_macs *macs;
	struct rte_mempool *pool;
	uint32_t now;
	uint32_t slot; /* index in macs->lcores */
	/* written by the owning lcore only (relaxed stores), read by management */
	struct evs_l2_lcore_stats st;
	struct learn_filter filter[LEARN_FILTER_SIZE];
	/* sources this lcore found on their port this second: their lookup is
	 * skipped until the second (or the delete generation) changes */
	struct learn_filter fresh[LEARN_FILTER_SIZE];
} __rte_cache_aligned;

/* Owner-only counter update: a relaxed store so management reads are not racy. */
static inline void cnt_add(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, *c + n, __ATOMIC_RELAXED);
}

/* Counts of one burst, added to the lcore's counters once (l2_counts_flush). */
struct l2_counts {
	uint64_t drops[EVS_L2_DROP_MAX];
	uint64_t unicast, flooded, copies;
};

void l2_counts_flush(struct evs_l2_lcore *lc, const struct l2_counts *cnt);

/* Where flood outputs go; false when there is no room (@m not taken). */
typedef bool (*l2_sink_fn)(void *arg, struct rte_mbuf *m, uint16_t port);

/*
 * Send @m to every member of switch index @sw but its input port, each
 * re-encoded for its port: copies from @pool, the last member gets @m.
 * Consumes @m; failures are counted in @cnt.
 */
void l2_flood(const struct evs_l2_conf *conf, struct rte_mempool *pool, struct rte_mbuf *m,
	      const struct evs_flow_key *key, uint16_t sw, l2_sink_fn sink, void *arg,
	      struct l2_counts *cnt);

#endif /* EVS_L2_PRIVATE_H */
