/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Neighbour table: resolution with held packets, the bounded hold queue,
 * failure after max probes, refresh before expiry, STALE and aging, static
 * entries, capacity, and no mbuf leaked on any path. Part of the l3 suite
 * (main in test_l3.c). Time is injected; nothing sleeps.
 */
#include <errno.h>

#include <rte_mbuf.h>

#include "l3_test.h"
#include "unit_case.h"

/* What the table asked its owner to do. */
struct rec {
	unsigned int probes, unicast, released, unreachable;
	struct rte_ether_addr last_mac;
	struct evs_l3_neigh_key last_key;
	uint16_t owner; /* the last callback's */
};

static void rec_probe(void *ctx, uint16_t owner, const struct evs_l3_neigh_key *key,
		      const struct rte_ether_addr *mac)
{
	struct rec *r = ctx;

	r->probes++;
	r->owner = owner;
	r->last_key = *key;
	if (mac != NULL) {
		r->unicast++;
		r->last_mac = *mac;
	}
}

static void rec_release(void *ctx, uint16_t owner, const struct evs_l3_neigh_key *key,
			const struct rte_ether_addr *mac, struct rte_mbuf *m)
{
	struct rec *r = ctx;

	r->released++;
	r->owner = owner;
	r->last_key = *key;
	r->last_mac = *mac;
	rte_pktmbuf_free(m);
}

static void rec_unreach(void *ctx, uint16_t owner, const struct evs_l3_neigh_key *key,
			struct rte_mbuf *m)
{
	struct rec *r = ctx;

	r->unreachable++;
	r->owner = owner;
	r->last_key = *key;
	rte_pktmbuf_free(m);
}

static struct evs_l3_neigh_table *make(struct rec *r, uint32_t capacity, uint16_t hold)
{
	struct evs_l3_neigh_config c = {
	    .name = "nt",
	    .socket_id = SOCKET_ID_ANY,
	    .capacity = capacity,
	    .hold_max = hold,
	    .retrans_ms = 1000,
	    .max_probes = 3,
	    .reachable_ms = 30000,
	    .stale_ms = 60000,
	    .ops = {rec_probe, rec_release, rec_unreach},
	    .ctx = r,
	    .owner = 7,
	};
	struct evs_l3_neigh_table *t = evs_l3_neigh_create(&c);

	ck_assert_ptr_nonnull(t);
	return t;
}

static struct evs_l3_neigh_key key4(uint8_t last, uint16_t port)
{
	struct evs_l3_neigh_key k = {.addr = {.family = EVS_L3_IPV4, .b = {10, 0, 0, last}},
				     .port = port};

	return k;
}

static struct rte_mbuf *pkt(void)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);

	ck_assert_ptr_nonnull(m);
	return m;
}

static const struct rte_ether_addr MAC_A = {{0x02, 0, 0, 0, 0, 0xa}};
static const struct rte_ether_addr MAC_B = {{0x02, 0, 0, 0, 0, 0xb}};

START_TEST(test_neigh_resolve_releases_held)
{
	struct rec r = {0};
	struct evs_l3_neigh_table *t = make(&r, 16, 4);
	struct evs_l3_neigh_key k = key4(5, 1);
	struct rte_ether_addr mac;
	enum evs_l3_neigh_state st;
	uint16_t held;
	uint64_t gen;
	unsigned int in_use = rte_mempool_in_use_count(pool);

	ck_assert_int_eq(evs_l3_neigh_lookup(t, &k, &mac), -ENOENT);
	ck_assert_int_eq(evs_l3_neigh_resolve(t, &k, pkt(), 0), 0);
	ck_assert_uint_eq(r.probes, 1);
	ck_assert_uint_eq(r.unicast, 0);
	ck_assert_uint_eq(r.owner, 7); /* the table's owner comes back with every call */
	ck_assert_int_eq(evs_l3_neigh_resolve(t, &k, pkt(), 10), 0);
	ck_assert_int_eq(evs_l3_neigh_resolve(t, &k, pkt(), 20), 0);
	ck_assert_uint_eq(r.probes, 1); /* one probe per retransmit period, not per packet */
	ck_assert_int_eq(evs_l3_neigh_lookup(t, &k, &mac), -EAGAIN);
	ck_assert_int_eq(evs_l3_neigh_state(t, &k, &st, &held), 0);
	ck_assert_int_eq(st, EVS_L3_NEIGH_INCOMPLETE);
	ck_assert_uint_eq(held, 3);

	gen = evs_l3_neigh_generation(t);
	ck_assert_int_eq(evs_l3_neigh_learn(t, &k, &MAC_A, true, false, 500), 0);
	ck_assert_uint_eq(r.released, 3);
	ck_assert(rte_is_same_ether_addr(&r.last_mac, &MAC_A));
	ck_assert_uint_gt(evs_l3_neigh_generation(t), gen);
	ck_assert_int_eq(evs_l3_neigh_lookup(t, &k, &mac), 0);
	ck_assert(rte_is_same_ether_addr(&mac, &MAC_A));
	ck_assert_int_eq(evs_l3_neigh_state(t, &k, &st, &held), 0);
	ck_assert_int_eq(st, EVS_L3_NEIGH_REACHABLE);
	ck_assert_uint_eq(held, 0);

	/* a late punt for a resolved neighbour goes straight out */
	ck_assert_int_eq(evs_l3_neigh_resolve(t, &k, pkt(), 600), 0);
	ck_assert_uint_eq(r.released, 4);

	struct evs_l3_neigh_stats s;
	evs_l3_neigh_stats(t, &s);
	ck_assert_uint_eq(s.held, 3);
	ck_assert_uint_eq(s.released, 4);
	ck_assert_uint_eq(s.resolved, 1);
	ck_assert_uint_eq(s.probes, 1);
	ck_assert_uint_eq(rte_mempool_in_use_count(pool), in_use);
	evs_l3_neigh_free(t);
}
END_TEST

START_TEST(test_neigh_hold_queue_bounded)
{
	struct rec r = {0};
	struct evs_l3_neigh_table *t = make(&r, 16, 3);
	struct evs_l3_neigh_key k = key4(6, 1);
	struct evs_l3_neigh_stats s;
	unsigned int in_use = rte_mempool_in_use_count(pool);
	struct rte_mbuf *m[5];
	uint16_t held;

	for (int i = 0; i < 5; i++) {
		m[i] = pkt();
		ck_assert_int_eq(evs_l3_neigh_resolve(t, &k, m[i], 0), i < 3 ? 0 : -ENOBUFS);
	}
	ck_assert_int_eq(evs_l3_neigh_state(t, &k, NULL, &held), 0);
	ck_assert_uint_eq(held, 3);
	evs_l3_neigh_stats(t, &s);
	ck_assert_uint_eq(s.hold_full, 2);
	ck_assert_uint_eq(s.held, 5);
	/* the two oldest went; three wait */
	ck_assert_uint_eq(rte_mempool_in_use_count(pool), in_use + 3);
	ck_assert_int_eq(evs_l3_neigh_learn(t, &k, &MAC_B, true, false, 1), 0);
	ck_assert_uint_eq(r.released, 3);
	ck_assert_uint_eq(rte_mempool_in_use_count(pool), in_use);
	evs_l3_neigh_free(t);
}
END_TEST

START_TEST(test_neigh_unresolved_fails_and_counts)
{
	struct rec r = {0};
	struct evs_l3_neigh_table *t = make(&r, 16, 4);
	struct evs_l3_neigh_key k = key4(7, 2);
	struct evs_l3_neigh_stats s;
	unsigned int in_use = rte_mempool_in_use_count(pool);
	struct rte_ether_addr mac;

	for (int i = 0; i < 4; i++)
		evs_l3_neigh_resolve(t, &k, pkt(), 100);
	evs_l3_neigh_tick(t, 1099);
	ck_assert_uint_eq(r.probes, 1);
	evs_l3_neigh_tick(t, 1100);
	ck_assert_uint_eq(r.probes, 2);
	evs_l3_neigh_tick(t, 2100);
	ck_assert_uint_eq(r.probes, 3);
	ck_assert_uint_eq(r.unreachable, 0);
	evs_l3_neigh_tick(t, 3100); /* max_probes sent and a period without answer */
	ck_assert_uint_eq(r.probes, 3);
	ck_assert_uint_eq(r.unreachable, 4);
	ck_assert_uint_eq(r.last_key.port, 2);
	ck_assert_int_eq(evs_l3_neigh_lookup(t, &k, &mac), -ENOENT);
	ck_assert_uint_eq(evs_l3_neigh_count(t), 0);
	evs_l3_neigh_stats(t, &s);
	ck_assert_uint_eq(s.unresolved, 4);
	ck_assert_uint_eq(rte_mempool_in_use_count(pool), in_use);
	evs_l3_neigh_free(t);
}
END_TEST

START_TEST(test_neigh_refresh_stale_age)
{
	struct rec r = {0};
	struct evs_l3_neigh_table *t = make(&r, 16, 4);
	struct evs_l3_neigh_key k = key4(8, 1);
	enum evs_l3_neigh_state st;
	struct rte_ether_addr mac;
	struct evs_l3_neigh_stats s;
	uint64_t gen;

	ck_assert_int_eq(evs_l3_neigh_learn(t, &k, &MAC_A, true, true, 0), 0);
	evs_l3_neigh_tick(t, 26999);
	ck_assert_uint_eq(r.probes, 0);
	/* refresh window: the last 3 s before expiry at 30 s, unicast to the known MAC */
	evs_l3_neigh_tick(t, 27000);
	ck_assert_uint_eq(r.unicast, 1);
	ck_assert(rte_is_same_ether_addr(&r.last_mac, &MAC_A));
	evs_l3_neigh_tick(t, 27500);
	ck_assert_uint_eq(r.unicast, 1);
	ck_assert_int_eq(evs_l3_neigh_learn(t, &k, &MAC_A, true, false, 27600), 0);
	evs_l3_neigh_tick(t, 30000); /* confirmed: no expiry, no probe yet */
	ck_assert_int_eq(evs_l3_neigh_state(t, &k, &st, NULL), 0);
	ck_assert_int_eq(st, EVS_L3_NEIGH_REACHABLE);
	ck_assert_uint_eq(r.unicast, 1);
	/* no more answers: probes in the window, then STALE, still usable */
	for (uint64_t now = 54600; now <= 57600; now += 1000)
		evs_l3_neigh_tick(t, now);
	ck_assert_uint_eq(r.unicast, 4);
	ck_assert_int_eq(evs_l3_neigh_state(t, &k, &st, NULL), 0);
	ck_assert_int_eq(st, EVS_L3_NEIGH_STALE);
	ck_assert_int_eq(evs_l3_neigh_lookup(t, &k, &mac), 0);
	gen = evs_l3_neigh_generation(t);
	evs_l3_neigh_tick(t, 57600 + 59999);
	ck_assert_uint_eq(evs_l3_neigh_count(t), 1);
	evs_l3_neigh_tick(t, 57600 + 60000);
	ck_assert_uint_eq(evs_l3_neigh_count(t), 0);
	ck_assert_uint_gt(evs_l3_neigh_generation(t), gen);
	evs_l3_neigh_stats(t, &s);
	ck_assert_uint_eq(s.aged, 1);
	evs_l3_neigh_free(t);
}
END_TEST

START_TEST(test_neigh_static)
{
	struct rec r = {0};
	struct evs_l3_neigh_table *t = make(&r, 16, 4);
	struct evs_l3_neigh_key k = key4(9, 1), k6 = {.addr.family = EVS_L3_IPV6, .port = 1};
	enum evs_l3_neigh_state st;
	struct rte_ether_addr mac;

	k6.addr.b[0] = 0xfe;
	k6.addr.b[15] = 9;
	evs_l3_neigh_resolve(t, &k, pkt(), 0);
	evs_l3_neigh_resolve(t, &k, pkt(), 0);
	ck_assert_int_eq(evs_l3_neigh_set_static(t, &k, &MAC_B), 0);
	ck_assert_uint_eq(r.released, 2); /* pending packets go to the static MAC */
	ck_assert(rte_is_same_ether_addr(&r.last_mac, &MAC_B));
	/* answers and time do not touch it */
	ck_assert_int_eq(evs_l3_neigh_learn(t, &k, &MAC_A, true, true, 5), 0);
	evs_l3_neigh_tick(t, 10000000);
	ck_assert_int_eq(evs_l3_neigh_state(t, &k, &st, NULL), 0);
	ck_assert_int_eq(st, EVS_L3_NEIGH_STATIC);
	ck_assert_int_eq(evs_l3_neigh_lookup(t, &k, &mac), 0);
	ck_assert(rte_is_same_ether_addr(&mac, &MAC_B));
	/* IPv6 keys, and a static entry replaced */
	ck_assert_int_eq(evs_l3_neigh_set_static(t, &k6, &MAC_A), 0);
	ck_assert_int_eq(evs_l3_neigh_set_static(t, &k6, &MAC_B), 0);
	ck_assert_int_eq(evs_l3_neigh_lookup(t, &k6, &mac), 0);
	ck_assert(rte_is_same_ether_addr(&mac, &MAC_B));
	ck_assert_uint_eq(evs_l3_neigh_count(t), 2);
	/* a port is part of the key */
	k6.port = 2;
	ck_assert_int_eq(evs_l3_neigh_lookup(t, &k6, &mac), -ENOENT);
	/* bad MACs and families */
	struct rte_ether_addr bc = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}, zero = {{0}};
	ck_assert_int_eq(evs_l3_neigh_set_static(t, &k, &bc), -EINVAL);
	ck_assert_int_eq(evs_l3_neigh_set_static(t, &k, &zero), -EINVAL);
	k.addr.family = 0;
	ck_assert_int_eq(evs_l3_neigh_set_static(t, &k, &MAC_A), -EINVAL);
	ck_assert_int_eq(evs_l3_neigh_lookup(t, &k, &mac), -EINVAL);
	evs_l3_neigh_free(t);
}
END_TEST

START_TEST(test_neigh_learn_rules)
{
	struct rec r = {0};
	struct evs_l3_neigh_table *t = make(&r, 16, 4);
	struct evs_l3_neigh_key k = key4(10, 1);
	enum evs_l3_neigh_state st;
	uint64_t gen;

	ck_assert_int_eq(evs_l3_neigh_learn(t, &k, &MAC_A, false, false, 0), -ENOENT);
	ck_assert_int_eq(evs_l3_neigh_learn(t, &k, &MAC_A, false, true, 0), 0);
	ck_assert_int_eq(evs_l3_neigh_state(t, &k, &st, NULL), 0);
	ck_assert_int_eq(st, EVS_L3_NEIGH_STALE);
	ck_assert_int_eq(evs_l3_neigh_learn(t, &k, &MAC_A, true, false, 1), 0);
	ck_assert_int_eq(evs_l3_neigh_state(t, &k, &st, NULL), 0);
	ck_assert_int_eq(st, EVS_L3_NEIGH_REACHABLE);
	/* the same MAC again: no generation change; a new unconfirmed MAC: STALE, changed */
	gen = evs_l3_neigh_generation(t);
	ck_assert_int_eq(evs_l3_neigh_learn(t, &k, &MAC_A, false, false, 2), 0);
	ck_assert_uint_eq(evs_l3_neigh_generation(t), gen);
	ck_assert_int_eq(evs_l3_neigh_learn(t, &k, &MAC_B, false, false, 3), 0);
	ck_assert_uint_gt(evs_l3_neigh_generation(t), gen);
	ck_assert_int_eq(evs_l3_neigh_state(t, &k, &st, NULL), 0);
	ck_assert_int_eq(st, EVS_L3_NEIGH_STALE);
	evs_l3_neigh_free(t);
}
END_TEST

START_TEST(test_neigh_capacity_and_del)
{
	struct rec r = {0};
	struct evs_l3_neigh_table *t = make(&r, 4, 2);
	struct evs_l3_neigh_stats s;
	unsigned int in_use = rte_mempool_in_use_count(pool);

	for (uint8_t i = 0; i < 4; i++) {
		struct evs_l3_neigh_key k = key4(i, 1);

		ck_assert_int_eq(evs_l3_neigh_resolve(t, &k, pkt(), 0), 0);
	}
	struct evs_l3_neigh_key k5 = key4(50, 1), k0 = key4(0, 1);
	ck_assert_int_eq(evs_l3_neigh_resolve(t, &k5, pkt(), 0), -ENOSPC);
	ck_assert_int_eq(evs_l3_neigh_set_static(t, &k5, &MAC_A), -ENOSPC);
	evs_l3_neigh_stats(t, &s);
	ck_assert_uint_eq(s.table_full, 1);
	/* deleting a pending entry answers its packets as unreachable and frees a slot */
	ck_assert_int_eq(evs_l3_neigh_del(t, &k0), 0);
	ck_assert_int_eq(evs_l3_neigh_del(t, &k0), -ENOENT);
	ck_assert_uint_eq(r.unreachable, 1);
	ck_assert_int_eq(evs_l3_neigh_set_static(t, &k5, &MAC_A), 0);
	/* free with packets still held: no leak */
	evs_l3_neigh_free(t);
	ck_assert_uint_eq(rte_mempool_in_use_count(pool), in_use);
}
END_TEST

START_TEST(test_neigh_create_errors)
{
	struct rec r = {0};
	struct evs_l3_neigh_config c = {.name = "bad",
					.capacity = 4,
					.hold_max = 0,
					.max_probes = 3,
					.ops = {rec_probe, rec_release, rec_unreach},
					.ctx = &r};

	errno = 0;
	ck_assert_ptr_null(evs_l3_neigh_create(&c));
	ck_assert_int_eq(errno, EINVAL);
	c.hold_max = 65;
	ck_assert_ptr_null(evs_l3_neigh_create(&c));
	c.hold_max = 4;
	c.ops.probe = NULL;
	ck_assert_ptr_null(evs_l3_neigh_create(&c));
	ck_assert_ptr_null(evs_l3_neigh_create(NULL));
	evs_l3_neigh_free(NULL);
}
END_TEST

void l3_neigh_add_cases(Suite *s)
{
	const struct unit_case cases[] = {
	    {"neigh_resolve_releases_held", test_neigh_resolve_releases_held},
	    {"neigh_hold_queue_bounded", test_neigh_hold_queue_bounded},
	    {"neigh_unresolved_fails_and_counts", test_neigh_unresolved_fails_and_counts},
	    {"neigh_refresh_stale_age", test_neigh_refresh_stale_age},
	    {"neigh_static", test_neigh_static},
	    {"neigh_learn_rules", test_neigh_learn_rules},
	    {"neigh_capacity_and_del", test_neigh_capacity_and_del},
	    {"neigh_create_errors", test_neigh_create_errors},
	};

	unit_add_cases(s, cases, RTE_DIM(cases), NULL, NULL, 0);
}
