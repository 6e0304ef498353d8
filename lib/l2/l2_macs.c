/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MAC table, writer side (management lcore). The table is an rte_hash in
 * lock-free read/write mode keyed {switch id, MAC}; its data word carries
 * the port, the static flag and the index of an entry in entries[] (last
 * seen time, the writer's copy of the key). Deleted keys keep their hash
 * position and entry index until every PMD lcore has passed a quiescent
 * state (QSBR token per delete), so a reader that found them never sees
 * them reused under its feet.
 */
#include <errno.h>
#include <stdio.h>

#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "l2_private.h"

#define DEFAULT_RING 4096
#define DEFAULT_PER_POLL 4096
#define MAX_CAPACITY (1u << 24)
#define NAME_MAX_LEN 20
#define DRAIN_CHUNK 64

struct evs_l2_macs *evs_l2_macs_create(const struct evs_l2_macs_config *cfg)
{
	char name[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters hp = {0};
	struct evs_l2_macs *macs;
	uint32_t i;

	if (cfg == NULL || cfg->name == NULL || strlen(cfg->name) > NAME_MAX_LEN ||
	    cfg->qsbr == NULL || cfg->capacity == 0 || cfg->capacity > MAX_CAPACITY) {
		rte_errno = EINVAL;
		return NULL;
	}
	macs =
	    rte_zmalloc_socket("evs_l2_macs", sizeof(*macs), RTE_CACHE_LINE_SIZE, cfg->socket_id);
	if (macs == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	macs->qsbr = cfg->qsbr;
	macs->on_change = cfg->on_change;
	macs->on_change_arg = cfg->on_change_arg;
	macs->capacity = cfg->capacity;
	/* room for as many deleted-but-not-yet-reclaimed slots as live ones */
	macs->nb_slots = RTE_MAX(2 * cfg->capacity, 16u);
	macs->learn_per_poll = cfg->learn_per_poll ? cfg->learn_per_poll : DEFAULT_PER_POLL;
	macs->age_scan_per_poll =
	    cfg->age_scan_per_poll ? cfg->age_scan_per_poll : DEFAULT_PER_POLL;

	macs->entries =
	    rte_zmalloc_socket("evs_l2_mac_entries", sizeof(*macs->entries) * macs->nb_slots,
			       RTE_CACHE_LINE_SIZE, cfg->socket_id);
	macs->free_idx = rte_malloc_socket(
	    "evs_l2_mac_free", sizeof(*macs->free_idx) * macs->nb_slots, 0, cfg->socket_id);
	macs->dq = rte_malloc_socket("evs_l2_mac_dq", sizeof(*macs->dq) * macs->nb_slots, 0,
				     cfg->socket_id);
	if (macs->entries == NULL || macs->free_idx == NULL || macs->dq == NULL) {
		rte_errno = ENOMEM;
		goto fail;
	}
	/* pop order 0, 1, 2...: keeps the live entries dense at first */
	for (i = 0; i < macs->nb_slots; i++)
		macs->free_idx[i] = macs->nb_slots - 1 - i;
	macs->nb_free = macs->nb_slots;

	snprintf(name, sizeof(name), "l2h_%s", cfg->name);
	hp.name = name;
	hp.entries = macs->nb_slots;
	hp.key_len = sizeof(uint64_t);
	hp.hash_func = rte_hash_crc;
	hp.socket_id = cfg->socket_id;
	/* lock-free readers, one writer; the extendable table makes inserts
	 * fail only when the slots are gone, never on a bucket collision */
	hp.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF | RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
	macs->h = rte_hash_create(&hp);
	if (macs->h == NULL)
		goto fail; /* rte_errno set: EEXIST, ENOMEM, EINVAL */

	snprintf(name, sizeof(name), "l2r_%s", cfg->name);
	macs->ring = rte_ring_create_elem(name, sizeof(struct learn_ev),
					  cfg->ring_size ? cfg->ring_size : DEFAULT_RING,
					  cfg->socket_id, RING_F_SC_DEQ | RING_F_EXACT_SZ);
	if (macs->ring == NULL)
		goto fail;
	return macs;
fail:
	i = rte_errno;
	evs_l2_macs_free(macs);
	rte_errno = i;
	return NULL;
}

void evs_l2_macs_free(struct evs_l2_macs *macs)
{
	unsigned int i;

	if (macs == NULL)
		return;
	for (i = 0; i < RTE_MAX_LCORE; i++)
		if (macs->lcores[i] != NULL)
			L2_LOG(WARNING, "MAC table freed with lcore context %u still attached\n",
			       i);
	rte_ring_free(macs->ring);
	rte_hash_free(macs->h);
	rte_free(macs->dq);
	rte_free(macs->free_idx);
	rte_free(macs->entries);
	rte_free(macs);
}

/* Give back slots whose grace period is over, oldest first. */
static void reclaim(struct evs_l2_macs *macs)
{
	while (macs->dq_len > 0) {
		struct deferred *d = &macs->dq[macs->dq_head];

		if (rte_rcu_qsbr_check(macs->qsbr, d->token, false) != 1)
			break;
		rte_hash_free_key_with_position(macs->h, d->pos);
		macs->free_idx[macs->nb_free++] = d->idx;
		macs->dq_head = (macs->dq_head + 1) % macs->nb_slots;
		macs->dq_len--;
	}
}

/* The entries of switch @sw changed (after the hash update is visible). */
static void changed(struct evs_l2_macs *macs, uint16_t sw)
{
	macs->generation++;
	if (macs->on_change != NULL)
		macs->on_change(macs->on_change_arg, sw);
}

static void entry_remove(struct evs_l2_macs *macs, uint32_t idx)
{
	struct mac_entry *e = &macs->entries[idx];
	struct deferred *d;
	int32_t pos;

	pos = rte_hash_del_key(macs->h, &e->key);
	RTE_VERIFY(pos >= 0); /* entries[] and the hash agree, or we are corrupt */
	macs->sw_count[mac_key_switch(e->key)]--;
	macs->count--;
	changed(macs, mac_key_switch(e->key));
	e->flags = 0;
	/*
	 * The token is taken after the delete: rte_rcu_qsbr_start orders the
	 * hash update before it (release), so a reader that reports a later
	 * quiescent state can no longer hold pos/idx.
	 */
	d = &macs->dq[(macs->dq_head + macs->dq_len) % macs->nb_slots];
	d->token = rte_rcu_qsbr_start(macs->qsbr);
	d->pos = (uint32_t)pos;
	d->idx = idx;
	macs->dq_len++;
}

/* After removals: PMD learn filters must not suppress re-learning. */
static void removed_some(struct evs_l2_macs *macs)
{
	/* relaxed: the filter is a hint; a stale view costs one second of floods at most */
	__atomic_store_n(&macs->del_gen, macs->del_gen + 1, __ATOMIC_RELAXED);
}

static int entry_insert(struct evs_l2_macs *macs, uint64_t key, uint16_t port, bool is_static,
			uint32_t now)
{
	struct mac_entry *e;
	uint32_t idx;
	int rc;

	if (macs->count >= macs->capacity)
		return -ENOSPC;
	if (macs->nb_free == 0)
		reclaim(macs);
	if (macs->nb_free == 0)
		return -ENOSPC;
	idx = macs->free_idx[--macs->nb_free];
	e = &macs->entries[idx];
	e->key = key;
	e->port = port;
	e->flags = MAC_F_USED | (is_static ? MAC_F_STATIC : 0);
	/* no reader can hold idx (grace period passed); the hash's release
	 * store of the new key publishes these writes to lookups */
	__atomic_store_n(&e->last_seen, now, __ATOMIC_RELAXED);
	rc = rte_hash_add_key_data(macs->h, &key, mac_data(idx, port, is_static));
	if (rc < 0) {
		e->flags = 0;
		macs->free_idx[macs->nb_free++] = idx;
		return rc == -ENOSPC ? -ENOSPC : rc;
	}
	macs->count++;
	macs->sw_count[mac_key_switch(key)]++;
	changed(macs, mac_key_switch(key));
	return 0;
}

/* Change port/static of a live entry: one atomic data update in the hash. */
static void entry_update(struct evs_l2_macs *macs, uint32_t idx, uint16_t port, bool is_static,
			 uint32_t now)
{
	struct mac_entry *e = &macs->entries[idx];
	int rc;

	e->port = port;
	e->flags = MAC_F_USED | (is_static ? MAC_F_STATIC : 0);
	__atomic_store_n(&e->last_seen, now, __ATOMIC_RELAXED);
	/* existing key: rte_hash stores the new data word with release order */
	rc = rte_hash_add_key_data(macs->h, &e->key, mac_data(idx, port, is_static));
	RTE_VERIFY(rc >= 0);
	changed(macs, mac_key_switch(e->key));
}

static int find(const struct evs_l2_macs *macs, uint64_t key, uint32_t *idx)
{
	void *data;

	if (rte_hash_lookup_data(macs->h, &key, &data) < 0)
		return -ENOENT;
	*idx = mac_data_idx(data);
	return 0;
}

static void handle_event(struct evs_l2_macs *macs, const struct evs_l2_conf *conf,
			 const struct learn_ev *ev, uint32_t now)
{
	uint16_t sw_id = mac_key_switch(ev->key);
	uint16_t sw = evs_l2_conf_switch_index(conf, sw_id);
	struct mac_entry *e;
	uint32_t idx;

	/* the conf may have changed since the PMD saw the frame */
	if (sw == EVS_L2_NONE || evs_l2_egress_tci(conf, ev->port, sw) == EVS_L2_NONE) {
		macs->st.ignored++;
		return;
	}
	if (find(macs, ev->key, &idx) == 0) {
		e = &macs->entries[idx];
		if (e->flags & MAC_F_STATIC) {
			macs->st.ignored++;
		} else if (e->port == ev->port) {
			/* learned meanwhile from another lcore's event */
			__atomic_store_n(&e->last_seen, now, __ATOMIC_RELAXED);
		} else {
			entry_update(macs, idx, ev->port, false, now);
			macs->st.moved++;
		}
		return;
	}
	if ((conf->switches[sw].max_macs != 0 &&
	     macs->sw_count[sw_id] >= conf->switches[sw].max_macs) ||
	    entry_insert(macs, ev->key, ev->port, false, now) < 0) {
		macs->st.refused_full++;
		return;
	}
	macs->st.learned++;
}

static void age_some(struct evs_l2_macs *macs, const struct evs_l2_conf *conf, uint32_t now)
{
	uint32_t n = RTE_MIN(macs->age_scan_per_poll, macs->nb_slots), removed = 0;

	while (n-- > 0) {
		uint32_t idx = macs->age_cursor;
		struct mac_entry *e = &macs->entries[idx];
		uint16_t sw;
		int32_t idle;

		macs->age_cursor = idx + 1 == macs->nb_slots ? 0 : idx + 1;
		if (!(e->flags & MAC_F_USED) || (e->flags & MAC_F_STATIC))
			continue;
		sw = evs_l2_conf_switch_index(conf, mac_key_switch(e->key));
		if (sw == EVS_L2_NONE || evs_l2_egress_tci(conf, e->port, sw) == EVS_L2_NONE) {
			entry_remove(macs, idx);
			macs->st.stale++;
			removed++;
			continue;
		}
		/* relaxed: any recent value will do; a PMD may refresh right after
		 * and then re-learn, which costs floods, not correctness.
		 * Signed difference: a PMD's clock may be a second ahead. */
		idle = (int32_t)(now - __atomic_load_n(&e->last_seen, __ATOMIC_RELAXED));
		if (idle > (int32_t)conf->switches[sw].aging_s) {
			entry_remove(macs, idx);
			macs->st.aged++;
			removed++;
		}
	}
	if (removed)
		removed_some(macs);
}

/* What poll uses when the app has no conf yet: nothing is attached. */
static const uint16_t no_ids[EVS_L2_MAX_SWITCHES] = {[0 ... EVS_L2_MAX_SWITCHES - 1] = EVS_L2_NONE};
static const struct evs_l2_conf empty_conf = {.id_to_index = no_ids};

int evs_l2_macs_poll(struct evs_l2_macs *macs, const struct evs_l2_conf *conf, uint32_t now)
{
	struct learn_ev ev[DRAIN_CHUNK];
	uint32_t done = 0;

	if (macs == NULL)
		return -EINVAL;
	if (conf == NULL)
		conf = &empty_conf;
	reclaim(macs);
	while (done < macs->learn_per_poll) {
		unsigned int want = RTE_MIN((uint32_t)DRAIN_CHUNK, macs->learn_per_poll - done),
			     got, i;

		got = rte_ring_sc_dequeue_burst_elem(macs->ring, ev, sizeof(ev[0]), want, NULL);
		for (i = 0; i < got; i++)
			handle_event(macs, conf, &ev[i], now);
		done += got;
		if (got < want)
			break;
	}
	age_some(macs, conf, now);
	return (int)done;
}

static bool valid_mac(const struct rte_ether_addr *mac)
{
	return mac != NULL && !rte_is_multicast_ether_addr(mac) && !rte_is_zero_ether_addr(mac);
}

int evs_l2_macs_add_static(struct evs_l2_macs *macs, uint16_t switch_id,
			   const struct rte_ether_addr *mac, uint16_t port, uint32_t now)
{
	uint64_t key;
	uint32_t idx;

	if (macs == NULL || switch_id >= EVS_L2_MAX_SWITCHES || !valid_mac(mac) ||
	    port >= EVS_L2_MAX_PORTS)
		return -EINVAL;
	key = mac_key(switch_id, mac);
	if (find(macs, key, &idx) == 0) {
		entry_update(macs, idx, port, true, now);
		return 0;
	}
	return entry_insert(macs, key, port, true, now);
}

int evs_l2_macs_del(struct evs_l2_macs *macs, uint16_t switch_id, const struct rte_ether_addr *mac)
{
	uint32_t idx;

	if (macs == NULL || mac == NULL || switch_id >= EVS_L2_MAX_SWITCHES)
		return -EINVAL;
	if (find(macs, mac_key(switch_id, mac), &idx) < 0)
		return -ENOENT;
	entry_remove(macs, idx);
	removed_some(macs);
	return 0;
}

enum flush_by { FLUSH_ALL, FLUSH_SWITCH, FLUSH_PORT };

static uint32_t flush(struct evs_l2_macs *macs, enum flush_by by, uint16_t what, bool with_static)
{
	uint32_t idx, n = 0;

	if (macs == NULL)
		return 0;
	for (idx = 0; idx < macs->nb_slots; idx++) {
		const struct mac_entry *e = &macs->entries[idx];

		if (!(e->flags & MAC_F_USED) || ((e->flags & MAC_F_STATIC) && !with_static))
			continue;
		if ((by == FLUSH_SWITCH && mac_key_switch(e->key) != what) ||
		    (by == FLUSH_PORT && e->port != what))
			continue;
		entry_remove(macs, idx);
		n++;
	}
	if (n)
		removed_some(macs);
	return n;
}

uint32_t evs_l2_macs_flush_switch(struct evs_l2_macs *macs, uint16_t switch_id, bool with_static)
{
	return flush(macs, FLUSH_SWITCH, switch_id, with_static);
}

uint32_t evs_l2_macs_flush_port(struct evs_l2_macs *macs, uint16_t port, bool with_static)
{
	return flush(macs, FLUSH_PORT, port, with_static);
}

uint32_t evs_l2_macs_flush_all(struct evs_l2_macs *macs, bool with_static)
{
	return flush(macs, FLUSH_ALL, 0, with_static);
}

static void fill_info(const struct mac_entry *e, uint32_t now, struct evs_l2_mac_info *info)
{
	info->switch_id = mac_key_switch(e->key);
	mac_key_mac(e->key, &info->mac);
	info->port = e->port;
	info->is_static = (e->flags & MAC_F_STATIC) != 0;
	if (info->is_static) {
		info->age_s = 0;
	} else {
		int32_t idle = (int32_t)(now - __atomic_load_n(&e->last_seen, __ATOMIC_RELAXED));

		info->age_s = idle > 0 ? (uint32_t)idle : 0;
	}
}

int evs_l2_macs_lookup(const struct evs_l2_macs *macs, uint16_t switch_id,
		       const struct rte_ether_addr *mac, uint32_t now, struct evs_l2_mac_info *info)
{
	uint32_t idx;

	if (macs == NULL || mac == NULL || info == NULL || switch_id >= EVS_L2_MAX_SWITCHES)
		return -EINVAL;
	if (find(macs, mac_key(switch_id, mac), &idx) < 0)
		return -ENOENT;
	fill_info(&macs->entries[idx], now, info);
	return 0;
}

int evs_l2_macs_next(const struct evs_l2_macs *macs, uint32_t *cursor, uint32_t now,
		     struct evs_l2_mac_info *info)
{
	uint32_t idx;

	if (macs == NULL || cursor == NULL || info == NULL)
		return -EINVAL;
	for (idx = *cursor; idx < macs->nb_slots; idx++) {
		if (macs->entries[idx].flags & MAC_F_USED) {
			fill_info(&macs->entries[idx], now, info);
			*cursor = idx + 1;
			return 0;
		}
	}
	*cursor = macs->nb_slots;
	return -ENOENT;
}

uint64_t evs_l2_macs_generation(const struct evs_l2_macs *macs)
{
	return macs != NULL ? macs->generation : 0;
}

uint32_t evs_l2_macs_count(const struct evs_l2_macs *macs)
{
	return macs != NULL ? macs->count : 0;
}

uint32_t evs_l2_macs_count_switch(const struct evs_l2_macs *macs, uint16_t switch_id)
{
	return macs != NULL && switch_id < EVS_L2_MAX_SWITCHES ? macs->sw_count[switch_id] : 0;
}

void evs_l2_macs_stats_get(const struct evs_l2_macs *macs, struct evs_l2_macs_stats *st)
{
	unsigned int i;

	memset(st, 0, sizeof(*st));
	if (macs == NULL)
		return;
	*st = macs->st;
	for (i = 0; i < RTE_MAX_LCORE; i++) {
		const struct evs_l2_lcore *lc = macs->lcores[i];

		if (lc != NULL)
			st->ring_full += __atomic_load_n(&lc->st.drops[EVS_L2_DROP_LEARN_FULL],
							 __ATOMIC_RELAXED);
	}
	st->deferred = macs->dq_len;
}
