/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Neighbour table of one router: ARP (IPv4) and NDP (IPv6) entries keyed by
 * address and router port, the resolution state machine (RFC 4861 7.3.2,
 * simplified: PROBE is folded into REACHABLE's refresh window) and a small
 * queue of packets held per unresolved entry.
 *
 * The management lcore drives it (punted packets, received ARP/ND, its
 * tick); PMDs only read MACs during translation. The owner's callbacks run
 * outside the lock, so they may call back into the table.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_rwlock.h>

#include "l3_private.h"

/* Most packets held per entry: the callbacks get them from a stack array. */
#define HOLD_LIMIT 64

/* The rte_hash key: explicit padding so that equal keys compare equal. */
struct hkey {
	uint8_t family;
	uint8_t b[16];
	uint8_t pad;
	uint16_t port;
};

struct l3_neigh {
	struct evs_l3_neigh_key key;
	struct rte_ether_addr mac;
	uint8_t state; /* enum evs_l3_neigh_state */
	bool in_use;
	uint16_t probes;       /* sent in the current resolution or refresh */
	uint16_t n_held, head; /* ring of held packets */
	uint64_t next_ms;      /* next probe */
	uint64_t confirmed_ms; /* last confirmation (REACHABLE) */
	uint64_t stale_ms;     /* when it became STALE */
};

struct evs_l3_neigh_table {
	rte_rwlock_t lock; /* readers: translation; writer: the management lcore */
	uint64_t generation;
	struct rte_hash *h;
	struct l3_neigh *e;	/* by rte_hash position */
	struct rte_mbuf **held; /* hold_max slots per entry */
	struct evs_l3_neigh_config cfg;
	struct evs_l3_neigh_stats st;
	uint32_t count;
	uint32_t n_slots; /* positions rte_hash may return */
};

/* Packets to hand to a callback once the lock is dropped. */
struct batch {
	struct rte_mbuf *m[HOLD_LIMIT];
	uint16_t n;
};

static int make_hkey(const struct evs_l3_neigh_key *k, struct hkey *hk)
{
	if (k == NULL || (k->addr.family != EVS_L3_IPV4 && k->addr.family != EVS_L3_IPV6))
		return -EINVAL;
	memset(hk, 0, sizeof(*hk));
	hk->family = k->addr.family;
	memcpy(hk->b, k->addr.b, l3_addr_len(k->addr.family));
	hk->port = k->port;
	return 0;
}

struct evs_l3_neigh_table *evs_l3_neigh_create(const struct evs_l3_neigh_config *cfg)
{
	struct evs_l3_neigh_table *t;
	struct rte_hash_parameters hp = {0};
	char name[RTE_HASH_NAMESIZE];

	if (cfg == NULL || cfg->name == NULL || cfg->capacity == 0 || cfg->hold_max == 0 ||
	    cfg->hold_max > HOLD_LIMIT || cfg->max_probes == 0 || cfg->ops.probe == NULL ||
	    cfg->ops.release == NULL || cfg->ops.unreachable == NULL ||
	    cfg->capacity > (1u << 24) || strlen(cfg->name) + 3 >= sizeof(name)) {
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	rte_rwlock_init(&t->lock);
	t->cfg = *cfg;
	t->cfg.name = NULL; /* not kept: the caller's string */
	snprintf(name, sizeof(name), "%s.n", cfg->name);
	hp.name = name;
	hp.entries = cfg->capacity < 8 ? 8 : cfg->capacity;
	hp.key_len = sizeof(struct hkey);
	hp.hash_func = rte_jhash;
	/* extendable buckets: the full capacity, whatever the hashes collide on */
	hp.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
	hp.socket_id = cfg->socket_id;
	t->h = rte_hash_create(&hp);
	if (t->h == NULL) {
		errno = rte_errno == EEXIST ? EEXIST : ENOMEM;
		goto fail;
	}
	t->n_slots = hp.entries + 1; /* positions are below entries; one spare costs nothing */
	t->e = calloc(t->n_slots, sizeof(*t->e));
	t->held = calloc((size_t)t->n_slots * cfg->hold_max, sizeof(*t->held));
	if (t->e == NULL || t->held == NULL) {
		errno = ENOMEM;
		goto fail;
	}
	return t;
fail:
	evs_l3_neigh_free(t);
	return NULL;
}

/* Take every held packet of @p e out into @p b. */
static void detach(struct evs_l3_neigh_table *t, uint32_t pos, struct batch *b)
{
	struct l3_neigh *e = &t->e[pos];
	struct rte_mbuf **q = &t->held[(size_t)pos * t->cfg.hold_max];

	b->n = 0;
	while (e->n_held > 0) {
		b->m[b->n++] = q[e->head];
		q[e->head] = NULL;
		e->head = (uint16_t)((e->head + 1) % t->cfg.hold_max);
		e->n_held--;
	}
	e->head = 0;
}

void evs_l3_neigh_free(struct evs_l3_neigh_table *t)
{
	if (t == NULL)
		return;
	if (t->e != NULL && t->held != NULL) {
		for (uint32_t i = 0; i < t->n_slots; i++) {
			struct batch b;

			detach(t, i, &b);
			rte_pktmbuf_free_bulk(b.m, b.n);
		}
	}
	rte_hash_free(t->h);
	free(t->e);
	free(t->held);
	free(t);
}

static void bump(struct evs_l3_neigh_table *t)
{
	/* release: a reader that sees the new generation sees the change */
	__atomic_fetch_add(&t->generation, 1, __ATOMIC_RELEASE);
}

static int32_t find(const struct evs_l3_neigh_table *t, const struct hkey *hk)
{
	return rte_hash_lookup(t->h, hk);
}

/* Create an entry; @return its position, or -ENOSPC. */
static int32_t create(struct evs_l3_neigh_table *t, const struct hkey *hk,
		      const struct evs_l3_neigh_key *key)
{
	int32_t pos = rte_hash_add_key(t->h, hk);

	if (pos < 0 || (uint32_t)pos >= t->n_slots || t->count >= t->cfg.capacity) {
		if (pos >= 0)
			rte_hash_del_key(t->h, hk);
		return -ENOSPC;
	}
	memset(&t->e[pos], 0, sizeof(t->e[pos]));
	t->e[pos].key = *key;
	memset(t->e[pos].key.addr.b + l3_addr_len(key->addr.family), 0,
	       16 - l3_addr_len(key->addr.family));
	t->e[pos].in_use = true;
	t->count++;
	return pos;
}

static void remove_at(struct evs_l3_neigh_table *t, const struct hkey *hk, int32_t pos)
{
	rte_hash_del_key(t->h, hk);
	t->e[pos].in_use = false;
	t->count--;
}

int evs_l3_neigh_set_static(struct evs_l3_neigh_table *t, const struct evs_l3_neigh_key *key,
			    const struct rte_ether_addr *mac)
{
	struct batch b = {.n = 0};
	struct hkey hk;
	int32_t pos;

	if (t == NULL || mac == NULL || make_hkey(key, &hk) != 0 ||
	    rte_is_multicast_ether_addr(mac) || rte_is_zero_ether_addr(mac))
		return -EINVAL;
	rte_rwlock_write_lock(&t->lock);
	pos = find(t, &hk);
	if (pos < 0)
		pos = create(t, &hk, key);
	if (pos < 0) {
		rte_rwlock_write_unlock(&t->lock);
		return -ENOSPC;
	}
	detach(t, (uint32_t)pos, &b);
	t->e[pos].mac = *mac;
	t->e[pos].state = EVS_L3_NEIGH_STATIC;
	bump(t);
	t->st.released += b.n;
	rte_rwlock_write_unlock(&t->lock);
	for (uint16_t i = 0; i < b.n; i++)
		t->cfg.ops.release(t->cfg.ctx, t->cfg.owner, key, mac, b.m[i]);
	return 0;
}

/* Drop held packets of a failed or deleted entry: the owner answers them. */
static void fail_held(struct evs_l3_neigh_table *t, const struct evs_l3_neigh_key *key,
		      struct batch *b)
{
	for (uint16_t i = 0; i < b->n; i++)
		t->cfg.ops.unreachable(t->cfg.ctx, t->cfg.owner, key, b->m[i]);
}

int evs_l3_neigh_del(struct evs_l3_neigh_table *t, const struct evs_l3_neigh_key *key)
{
	struct evs_l3_neigh_key k;
	struct batch b;
	struct hkey hk;
	int32_t pos;

	if (t == NULL || make_hkey(key, &hk) != 0)
		return -EINVAL;
	rte_rwlock_write_lock(&t->lock);
	pos = find(t, &hk);
	if (pos < 0) {
		rte_rwlock_write_unlock(&t->lock);
		return -ENOENT;
	}
	k = t->e[pos].key;
	detach(t, (uint32_t)pos, &b);
	t->st.unresolved += b.n;
	remove_at(t, &hk, pos);
	bump(t);
	rte_rwlock_write_unlock(&t->lock);
	fail_held(t, &k, &b);
	return 0;
}

int evs_l3_neigh_lookup(const struct evs_l3_neigh_table *t, const struct evs_l3_neigh_key *key,
			struct rte_ether_addr *mac)
{
	struct evs_l3_neigh_table *w = (struct evs_l3_neigh_table *)(uintptr_t)t;
	struct hkey hk;
	int32_t pos;
	int rc;

	if (t == NULL || mac == NULL || make_hkey(key, &hk) != 0)
		return -EINVAL;
	rte_rwlock_read_lock(&w->lock);
	pos = find(t, &hk);
	if (pos < 0) {
		rc = -ENOENT;
	} else if (t->e[pos].state == EVS_L3_NEIGH_INCOMPLETE) {
		rc = -EAGAIN;
	} else {
		*mac = t->e[pos].mac;
		rc = 0;
	}
	rte_rwlock_read_unlock(&w->lock);
	return rc;
}

int evs_l3_neigh_resolve(struct evs_l3_neigh_table *t, const struct evs_l3_neigh_key *key,
			 struct rte_mbuf *m, uint64_t now_ms)
{
	struct rte_mbuf *old = NULL;
	struct rte_ether_addr mac;
	struct l3_neigh *e;
	struct hkey hk;
	bool probe = false;
	int32_t pos;

	if (t == NULL || m == NULL || make_hkey(key, &hk) != 0) {
		rte_pktmbuf_free(m);
		return -EINVAL;
	}
	rte_rwlock_write_lock(&t->lock);
	pos = find(t, &hk);
	if (pos < 0) {
		pos = create(t, &hk, key);
		if (pos < 0) {
			t->st.table_full++;
			rte_rwlock_write_unlock(&t->lock);
			rte_pktmbuf_free(m);
			return -ENOSPC;
		}
		t->e[pos].state = EVS_L3_NEIGH_INCOMPLETE;
		t->e[pos].probes = 1;
		t->e[pos].next_ms = now_ms + t->cfg.retrans_ms;
		t->st.probes++;
		probe = true;
	}
	e = &t->e[pos];
	if (e->state != EVS_L3_NEIGH_INCOMPLETE) {
		/* resolved meanwhile (the punt raced the answer): send it now */
		mac = e->mac;
		t->st.released++;
		rte_rwlock_write_unlock(&t->lock);
		t->cfg.ops.release(t->cfg.ctx, t->cfg.owner, key, &mac, m);
		return 0;
	}
	struct rte_mbuf **q = &t->held[(size_t)pos * t->cfg.hold_max];
	if (e->n_held == t->cfg.hold_max) {
		/* full: the oldest goes (RFC 4861 7.2.2), the newest waits */
		old = q[e->head];
		e->head = (uint16_t)((e->head + 1) % t->cfg.hold_max);
		e->n_held--;
		t->st.hold_full++;
	}
	q[(e->head + e->n_held) % t->cfg.hold_max] = m;
	e->n_held++;
	t->st.held++;
	rte_rwlock_write_unlock(&t->lock);
	rte_pktmbuf_free(old);
	if (probe)
		t->cfg.ops.probe(t->cfg.ctx, t->cfg.owner, key, NULL);
	return old != NULL ? -ENOBUFS : 0;
}

int evs_l3_neigh_learn(struct evs_l3_neigh_table *t, const struct evs_l3_neigh_key *key,
		       const struct rte_ether_addr *mac, bool confirm, bool create_new,
		       uint64_t now_ms)
{
	struct batch b = {.n = 0};
	struct l3_neigh *e;
	struct hkey hk;
	int32_t pos;

	if (t == NULL || mac == NULL || make_hkey(key, &hk) != 0 ||
	    rte_is_multicast_ether_addr(mac) || rte_is_zero_ether_addr(mac))
		return -EINVAL;
	rte_rwlock_write_lock(&t->lock);
	pos = find(t, &hk);
	if (pos < 0) {
		if (!create_new) {
			rte_rwlock_write_unlock(&t->lock);
			return -ENOENT;
		}
		pos = create(t, &hk, key);
		if (pos < 0) {
			rte_rwlock_write_unlock(&t->lock);
			return -ENOSPC;
		}
		t->e[pos].state = EVS_L3_NEIGH_STALE;
		t->e[pos].stale_ms = now_ms;
		t->e[pos].mac = *mac;
		if (confirm) {
			t->e[pos].state = EVS_L3_NEIGH_REACHABLE;
			t->e[pos].confirmed_ms = now_ms;
		}
		bump(t);
		rte_rwlock_write_unlock(&t->lock);
		return 0;
	}
	e = &t->e[pos];
	switch (e->state) {
	case EVS_L3_NEIGH_STATIC:
		break;
	case EVS_L3_NEIGH_INCOMPLETE:
		/* any answer resolves; held packets go */
		e->mac = *mac;
		e->state = EVS_L3_NEIGH_REACHABLE;
		e->confirmed_ms = now_ms;
		e->probes = 0;
		detach(t, (uint32_t)pos, &b);
		t->st.resolved++;
		t->st.released += b.n;
		bump(t);
		break;
	default: {
		bool changed = !rte_is_same_ether_addr(&e->mac, mac);

		if (changed) {
			e->mac = *mac;
			bump(t);
		}
		if (confirm) {
			e->state = EVS_L3_NEIGH_REACHABLE;
			e->confirmed_ms = now_ms;
			e->probes = 0;
		} else if (changed) {
			/* an unconfirmed new address must be verified (RFC 4861 7.2.5) */
			e->state = EVS_L3_NEIGH_STALE;
			e->stale_ms = now_ms;
		}
	}
	}
	rte_rwlock_write_unlock(&t->lock);
	for (uint16_t i = 0; i < b.n; i++)
		t->cfg.ops.release(t->cfg.ctx, t->cfg.owner, key, mac, b.m[i]);
	return 0;
}

/* What one entry's timer asks for, done after the lock is dropped. */
enum tick_action { TICK_NONE, TICK_PROBE, TICK_UNICAST, TICK_FAIL };

static enum tick_action tick_one(struct evs_l3_neigh_table *t, uint32_t pos, uint64_t now,
				 struct batch *b)
{
	struct l3_neigh *e = &t->e[pos];
	const struct evs_l3_neigh_config *c = &t->cfg;
	struct hkey hk;

	switch (e->state) {
	case EVS_L3_NEIGH_INCOMPLETE:
		if (now < e->next_ms)
			return TICK_NONE;
		if (e->probes < c->max_probes) {
			e->probes++;
			e->next_ms = now + c->retrans_ms;
			t->st.probes++;
			return TICK_PROBE;
		}
		detach(t, pos, b);
		t->st.unresolved += b->n;
		make_hkey(&e->key, &hk);
		remove_at(t, &hk, (int32_t)pos);
		return TICK_FAIL;
	case EVS_L3_NEIGH_REACHABLE: {
		uint64_t expiry = e->confirmed_ms + c->reachable_ms;
		uint64_t window = (uint64_t)c->max_probes * c->retrans_ms;

		if (now >= expiry) {
			e->state = EVS_L3_NEIGH_STALE;
			e->stale_ms = now;
			return TICK_NONE;
		}
		/* refresh: probe unicast in the last max_probes periods before expiry */
		if (now + window >= expiry && now >= e->next_ms) {
			e->probes++;
			e->next_ms = now + c->retrans_ms;
			t->st.probes++;
			return TICK_UNICAST;
		}
		return TICK_NONE;
	}
	case EVS_L3_NEIGH_STALE:
		if (now < e->stale_ms + c->stale_ms)
			return TICK_NONE;
		make_hkey(&e->key, &hk);
		remove_at(t, &hk, (int32_t)pos);
		t->st.aged++;
		bump(t);
		return TICK_NONE;
	default:
		return TICK_NONE;
	}
}

void evs_l3_neigh_tick(struct evs_l3_neigh_table *t, uint64_t now_ms)
{
	for (uint32_t pos = 0; pos < t->n_slots; pos++) {
		struct evs_l3_neigh_key key;
		struct rte_ether_addr mac;
		enum tick_action a;
		struct batch b = {.n = 0};

		if (!t->e[pos].in_use) /* only the writer (us) changes in_use */
			continue;
		rte_rwlock_write_lock(&t->lock);
		a = tick_one(t, pos, now_ms, &b);
		key = t->e[pos].key;
		mac = t->e[pos].mac;
		rte_rwlock_write_unlock(&t->lock);
		if (a == TICK_PROBE)
			t->cfg.ops.probe(t->cfg.ctx, t->cfg.owner, &key, NULL);
		else if (a == TICK_UNICAST)
			t->cfg.ops.probe(t->cfg.ctx, t->cfg.owner, &key, &mac);
		else if (a == TICK_FAIL)
			fail_held(t, &key, &b);
	}
}

int evs_l3_neigh_state(const struct evs_l3_neigh_table *t, const struct evs_l3_neigh_key *key,
		       enum evs_l3_neigh_state *state, uint16_t *n_held)
{
	struct hkey hk;
	int32_t pos;

	if (t == NULL || make_hkey(key, &hk) != 0)
		return -EINVAL;
	pos = find(t, &hk);
	if (pos < 0)
		return -ENOENT;
	if (state != NULL)
		*state = (enum evs_l3_neigh_state)t->e[pos].state;
	if (n_held != NULL)
		*n_held = t->e[pos].n_held;
	return 0;
}

void evs_l3_neigh_stats(const struct evs_l3_neigh_table *t, struct evs_l3_neigh_stats *st)
{
	*st = t->st;
}

uint64_t evs_l3_neigh_generation(const struct evs_l3_neigh_table *t)
{
	/* acquire: pairs with bump()'s release */
	return __atomic_load_n(&t->generation, __ATOMIC_ACQUIRE);
}

uint32_t evs_l3_neigh_count(const struct evs_l3_neigh_table *t)
{
	return t->count;
}

int evs_l3_neigh_walk(const struct evs_l3_neigh_table *t,
		      int (*fn)(const struct evs_l3_neigh_key *key, enum evs_l3_neigh_state st,
				const struct rte_ether_addr *mac, uint16_t n_held, void *arg),
		      void *arg)
{
	for (uint32_t pos = 0; pos < t->n_slots; pos++) {
		const struct l3_neigh *e = &t->e[pos];
		int rc;

		if (!e->in_use)
			continue;
		rc = fn(&e->key, (enum evs_l3_neigh_state)e->state, &e->mac, e->n_held, arg);
		if (rc != 0)
			return rc;
	}
	return 0;
}
