/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The connection table: preallocated entries, the hash of both directions'
 * keys, zone settings and limits, and the management lcore's views.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "ct_private.h"

#define CT_ZONES 65536
#define CT_MAX_LCORES 255  /* entry->owner is a byte */
#define CT_FLUSH_CHUNK 256 /* entries walked per hold of the writer lock */

const char *const ct_counter_names[EVS_CT_C_MAX] = {
    [EVS_CT_C_HIT] = "hit",
    [EVS_CT_C_MISS] = "miss",
    [EVS_CT_C_CREATED] = "created",
    [EVS_CT_C_EXPIRED] = "expired",
    [EVS_CT_C_INV_L3] = "invalid_l3",
    [EVS_CT_C_INV_FRAGMENT] = "invalid_fragment",
    [EVS_CT_C_INV_L4] = "invalid_l4",
    [EVS_CT_C_INV_TCP_FLAGS] = "invalid_tcp_flags",
    [EVS_CT_C_INV_TCP_STATE] = "invalid_tcp_state",
    [EVS_CT_C_INV_TCP_WINDOW] = "invalid_tcp_window",
    [EVS_CT_C_INV_NEW] = "invalid_new",
    [EVS_CT_C_INV_ICMP_ERROR] = "invalid_icmp_error",
    [EVS_CT_C_REFUSED_GLOBAL] = "refused_global_limit",
    [EVS_CT_C_REFUSED_ZONE] = "refused_zone_limit",
    [EVS_CT_C_REFUSED_NAT] = "refused_nat_exhausted",
    [EVS_CT_C_REFUSED_TABLE] = "refused_table",
    [EVS_CT_C_NAT_REWRITE] = "nat_rewrite",
    [EVS_CT_C_FRAG_NO_FIRST] = "invalid_frag_no_first",
    [EVS_CT_C_FRAG_NO_CONN] = "invalid_frag_no_conn",
    [EVS_CT_C_FRAG_TIMEOUT] = "invalid_frag_timeout",
    [EVS_CT_C_FRAG_FULL] = "invalid_frag_table_full",
    [EVS_CT_C_FRAG_TOO_MANY] = "invalid_frag_too_many",
    [EVS_CT_C_FRAG_OVERLAP] = "invalid_frag_overlap",
    [EVS_CT_C_FRAG_BAD_OFF] = "invalid_frag_bad_offset",
    [EVS_CT_C_FRAG_TINY] = "invalid_frag_tiny",
};

const char *evs_ct_counter_name(enum evs_ct_counter c)
{
	if ((unsigned int)c >= EVS_CT_C_MAX || ct_counter_names[c] == NULL)
		return "unknown";
	return ct_counter_names[c];
}

void evs_ct_zone_conf_default(struct evs_ct_zone_conf *zc)
{
	/* Linux's defaults (nf_conntrack_proto_*.c), so the differential test agrees */
	*zc = (struct evs_ct_zone_conf){
	    .limit = 0,
	    .tcp_liberal = false,
	    .timeouts =
		{
		    .tcp_syn_sent = 120,
		    .tcp_syn_recv = 60,
		    .tcp_established = 432000,
		    .tcp_fin_wait = 120,
		    .tcp_close_wait = 60,
		    .tcp_last_ack = 30,
		    .tcp_time_wait = 120,
		    .tcp_close = 10,
		    .udp_unreplied = 30,
		    .udp_replied = 120,
		    .icmp = 30,
		    .other = 600,
		},
	};
}

uint64_t evs_ct_now_ms(void)
{
	/* cycles per ms, computed once (any thread may race to store the same value) */
	static _Atomic uint64_t per_ms;
	uint64_t d = atomic_load_explicit(&per_ms, memory_order_relaxed);

	if (d == 0) {
		d = RTE_MAX(rte_get_tsc_hz() / 1000, (uint64_t)1);
		atomic_store_explicit(&per_ms, d, memory_order_relaxed);
	}
	return rte_get_tsc_cycles() / d;
}

void evs_ct_free(struct evs_ct *ct)
{
	uint32_t z;

	if (ct == NULL)
		return;
	ct_hash_free(ct->hash);
	rte_ring_free(ct->free_ring);
	if (ct->zone_conf != NULL)
		for (z = 0; z < CT_ZONES; z++)
			rte_free(ct->zone_conf[z]);
	rte_free(ct->zone_conf);
	rte_free(ct->zone_count);
	rte_free(ct->backend_count);
	rte_free(ct->lcores);
	rte_free(ct->entries);
	rte_free(ct);
}

static int ct_pool_create(struct evs_ct *ct, const struct evs_ct_config *cfg)
{
	char name[RTE_RING_NAMESIZE];
	uint32_t i;

	ct->entries =
	    rte_zmalloc_socket("ct_entries", (size_t)cfg->max_conns * sizeof(struct ct_entry),
			       RTE_CACHE_LINE_SIZE, cfg->socket_id);
	if (ct->entries == NULL)
		return -ENOMEM;
	snprintf(name, sizeof(name), "ctf_%s", cfg->name);
	ct->free_ring = rte_ring_create_elem(
	    name, sizeof(uint32_t), rte_align32pow2(cfg->max_conns + 1), cfg->socket_id, 0);
	if (ct->free_ring == NULL)
		return rte_errno == EEXIST ? -EEXIST : -ENOMEM;
	for (i = 0; i < cfg->max_conns; i++) {
		rte_spinlock_init(&ct->entries[i].lock);
		if (rte_ring_enqueue_elem(ct->free_ring, &i, sizeof(i)) != 0)
			return -ENOMEM;
	}
	return 0;
}

struct evs_ct *evs_ct_create(const struct evs_ct_config *cfg)
{
	struct evs_ct *ct;
	uint32_t i;
	int rc;

	if (cfg == NULL || cfg->name == NULL || cfg->name[0] == '\0' || strlen(cfg->name) > 20 ||
	    cfg->max_conns == 0 || cfg->max_conns > (1u << 30) || cfg->n_lcores == 0 ||
	    cfg->n_lcores > CT_MAX_LCORES) {
		errno = EINVAL;
		return NULL;
	}
	ct = rte_zmalloc_socket("evs_ct", sizeof(*ct), RTE_CACHE_LINE_SIZE, cfg->socket_id);
	if (ct == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	snprintf(ct->name, sizeof(ct->name), "%s", cfg->name);
	ct->frag_tag = ct_frag_tag_new();
	ct->max_conns = cfg->max_conns;
	ct->n_lcores = cfg->n_lcores;
	ct->qsv = cfg->qsv;
	rte_spinlock_init(&ct->wlock);
	evs_ct_zone_conf_default(&ct->defaults);
	rc = -ENOMEM;
	ct->zone_count = rte_zmalloc_socket("ct_zone_count", CT_ZONES * sizeof(*ct->zone_count), 0,
					    cfg->socket_id);
	ct->zone_conf = rte_zmalloc_socket("ct_zone_conf", CT_ZONES * sizeof(*ct->zone_conf), 0,
					   cfg->socket_id);
	ct->backend_count = rte_zmalloc_socket(
	    "ct_backend_count", EVS_CT_BACKENDS * sizeof(*ct->backend_count), 0, cfg->socket_id);
	ct->lcores = rte_zmalloc_socket("ct_lcores", cfg->n_lcores * sizeof(*ct->lcores),
					RTE_CACHE_LINE_SIZE, cfg->socket_id);
	if (ct->zone_count == NULL || ct->zone_conf == NULL || ct->lcores == NULL ||
	    ct->backend_count == NULL)
		goto fail;
	rc = ct_pool_create(ct, cfg);
	if (rc != 0)
		goto fail;
	ct->hash = ct_hash_create(cfg->max_conns, ct->entries, cfg->qsv, cfg->socket_id);
	if (ct->hash == NULL) {
		rc = -errno;
		goto fail;
	}
	for (i = 0; i < cfg->n_lcores; i++) {
		ct->lcores[i].ct = ct;
		ct->lcores[i].idx = i;
	}
	return ct;
fail:
	evs_ct_free(ct);
	errno = -rc;
	return NULL;
}

struct evs_ct_lcore *evs_ct_lcore_get(struct evs_ct *ct, uint32_t idx)
{
	if (ct == NULL || idx >= ct->n_lcores)
		return NULL;
	return &ct->lcores[idx];
}

void evs_ct_lcore_set_now(struct evs_ct_lcore *lc, uint64_t now_ms)
{
	if (lc->now == 0 && lc->wheel_tick == 0)
		lc->wheel_tick = now_ms >> CT_WHEEL_SHIFT;
	lc->now = now_ms;
}

struct ct_entry *ct_entry_alloc(struct evs_ct *ct)
{
	uint32_t idx;

	if (rte_ring_dequeue_elem(ct->free_ring, &idx, sizeof(idx)) != 0)
		return NULL;
	return &ct->entries[idx];
}

void ct_entry_put(struct evs_ct *ct, struct ct_entry *e)
{
	uint32_t idx = ct_entry_idx(ct, e);

	atomic_store_explicit(&e->life, CT_LIFE_FREE, memory_order_relaxed);
	/* cannot fail: the ring holds every index */
	rte_ring_enqueue_elem(ct->free_ring, &idx, sizeof(idx));
}

void ct_entry_unlink(struct evs_ct *ct, struct ct_entry *e)
{
	if (atomic_load_explicit(&e->life, memory_order_relaxed) != CT_LIFE_LIVE)
		return;
	ct_hash_del(ct->hash, ct_key_hash(&e->key[0]), ct_entry_idx(ct, e), 0);
	ct_hash_del(ct->hash, ct_key_hash(&e->key[1]), ct_entry_idx(ct, e), 1);
	/* the grace starts after the keys are gone: a reader that still finds
	 * the entry reported no quiescent state since */
	e->rcu_token = ct->qsv != NULL ? rte_rcu_qsbr_start(ct->qsv) : 0;
	/* release: the owner that sees DEAD (acquire) sees the token too */
	atomic_store_explicit(&e->life, CT_LIFE_DEAD, memory_order_release);
	atomic_fetch_sub_explicit(&ct->conns, 1, memory_order_relaxed);
	atomic_fetch_sub_explicit(&ct->zone_count[e->key[0].zone], 1, memory_order_relaxed);
	/* release: a load balancer that reads 0 (then fences acquire) and
	 * reuses the slot's id comes after this connection's last use of it */
	if (e->backend != 0)
		atomic_fetch_sub_explicit(&ct->backend_count[e->backend], 1, memory_order_release);
}

struct evs_ct_zone_conf *ct_zone_conf_new(const struct evs_ct_zone_conf *zc)
{
	const struct evs_ct_timeouts *t = &zc->timeouts;
	struct evs_ct_zone_conf *nc;

	if (t->tcp_syn_sent == 0 || t->tcp_syn_recv == 0 || t->tcp_established == 0 ||
	    t->tcp_fin_wait == 0 || t->tcp_close_wait == 0 || t->tcp_last_ack == 0 ||
	    t->tcp_time_wait == 0 || t->tcp_close == 0 || t->udp_unreplied == 0 ||
	    t->udp_replied == 0 || t->icmp == 0 || t->other == 0) {
		errno = EINVAL;
		return NULL;
	}
	nc = rte_malloc("ct_zone", sizeof(*nc), 0);
	if (nc == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	*nc = *zc;
	return nc;
}

struct evs_ct_zone_conf *ct_zone_conf_swap(struct evs_ct *ct, uint16_t zone,
					   struct evs_ct_zone_conf *nc)
{
	/* release: readers (acquire in ct_zone_conf) see the fields of nc */
	return atomic_exchange_explicit(&ct->zone_conf[zone], nc, memory_order_release);
}

void ct_zone_conf_retire(struct evs_ct *ct, struct evs_ct_zone_conf *const *old, size_t n)
{
	size_t i;
	bool any = false;

	for (i = 0; i < n; i++)
		any |= old[i] != NULL;
	/* one grace for all: no reader still holds any of them */
	if (any && ct->qsv != NULL)
		rte_rcu_qsbr_synchronize(ct->qsv, RTE_QSBR_THRID_INVALID);
	for (i = 0; i < n; i++)
		rte_free(old[i]);
}

int evs_ct_zone_set(struct evs_ct *ct, uint16_t zone, const struct evs_ct_zone_conf *zc)
{
	struct evs_ct_zone_conf *nc, *old;

	if (ct == NULL || zc == NULL)
		return -EINVAL;
	nc = ct_zone_conf_new(zc);
	if (nc == NULL)
		return -errno;
	old = ct_zone_conf_swap(ct, zone, nc);
	ct_zone_conf_retire(ct, &old, 1);
	return 0;
}

void evs_ct_zone_get(const struct evs_ct *ct, uint16_t zone, struct evs_ct_zone_conf *zc)
{
	*zc = *ct_zone_conf(ct, zone);
}

uint32_t evs_ct_zone_count(const struct evs_ct *ct, uint16_t zone)
{
	return atomic_load_explicit(&ct->zone_count[zone], memory_order_relaxed);
}

uint32_t evs_ct_backend_count(const struct evs_ct *ct, uint16_t backend)
{
	/* relaxed: a count for balancing and stats, guarding no other memory */
	return atomic_load_explicit(&ct->backend_count[backend], memory_order_relaxed);
}

void evs_ct_stats(const struct evs_ct *ct, struct evs_ct_stats *st)
{
	uint32_t i, c;

	memset(st, 0, sizeof(*st));
	st->conns =
	    atomic_load_explicit(&((struct evs_ct *)(uintptr_t)ct)->conns, memory_order_relaxed);
	st->max_conns = ct->max_conns;
	/* each counter has one writer; a torn read cannot happen on 64-bit */
	for (i = 0; i < ct->n_lcores; i++)
		for (c = 0; c < EVS_CT_C_MAX; c++)
			st->counters[c] += ct->lcores[i].counters[c];
}

static void tuple_of(struct evs_ct_tuple *t, const struct ct_key *k)
{
	memset(t, 0, sizeof(*t));
	memcpy(t->src, k->src, 16);
	memcpy(t->dst, k->dst, 16);
	t->sport = k->sport;
	t->dport = k->dport;
	t->proto = k->proto;
	t->v6 = k->v6 != 0;
}

int evs_ct_iterate(const struct evs_ct *ct, uint32_t *pos, struct evs_ct_conn_info *out)
{
	uint32_t i;

	for (i = *pos; i < ct->max_conns; i++) {
		struct ct_entry *e = &ct->entries[i];

		if (atomic_load_explicit(&e->life, memory_order_acquire) != CT_LIFE_LIVE)
			continue;
		rte_spinlock_lock(&e->lock);
		memset(out, 0, sizeof(*out));
		out->zone = e->key[0].zone;
		tuple_of(&out->orig, &e->key[0]);
		tuple_of(&out->reply, &e->key[1]);
		out->proto_state = e->proto_state;
		out->seen_reply = (e->flags & CT_FL_SEEN_REPLY) != 0;
		out->assured = (e->flags & CT_FL_ASSURED) != 0;
		out->mark = e->mark;
		out->backend = e->backend;
		memcpy(out->label, e->label, 16);
		out->expires_ms = atomic_load_explicit(&e->expires, memory_order_relaxed);
		rte_spinlock_unlock(&e->lock);
		*pos = i + 1;
		return 0;
	}
	*pos = ct->max_conns;
	return -ENOENT;
}

uint32_t evs_ct_flush(struct evs_ct *ct, int32_t zone)
{
	return evs_ct_flush_match(ct, zone, NULL, NULL);
}

uint32_t evs_ct_flush_match(struct evs_ct *ct, int32_t zone,
			    bool (*match)(uint32_t mark, const uint8_t label[16], void *arg),
			    void *arg)
{
	uint32_t i, n = 0;

	for (i = 0; i < ct->max_conns; i++) {
		struct ct_entry *e = &ct->entries[i];

		/* hold the writer lock a chunk at a time: PMDs creating
		 * connections wait at most one chunk */
		if (i % CT_FLUSH_CHUNK == 0) {
			if (i != 0)
				rte_spinlock_unlock(&ct->wlock);
			rte_spinlock_lock(&ct->wlock);
		}
		if (atomic_load_explicit(&e->life, memory_order_relaxed) != CT_LIFE_LIVE ||
		    (zone >= 0 && e->key[0].zone != (uint16_t)zone))
			continue;
		if (match != NULL) {
			uint8_t label[16];
			uint32_t mark;

			/* mark and label change under the entry's lock */
			rte_spinlock_lock(&e->lock);
			mark = e->mark;
			memcpy(label, e->label, 16);
			rte_spinlock_unlock(&e->lock);
			if (!match(mark, label, arg))
				continue;
		}
		ct_entry_unlink(ct, e);
		n++;
	}
	if (ct->max_conns != 0)
		rte_spinlock_unlock(&ct->wlock);
	/* relaxed: the walk only looks at entries' life, read under its own rules */
	if (n != 0)
		atomic_fetch_add_explicit(&ct->flush_gen, 1, memory_order_relaxed);
	return n;
}
