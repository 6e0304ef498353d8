/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/l3's route tables and ECMP: longest-prefix match and
 * megaflow mask lengths against a naive reference on random tables with
 * updates (IPv4, IPv6, both lookup kinds), megaflow aggregation, errors,
 * bulk all-or-nothing, route kinds, walks, ECMP weights and consistency.
 * Neighbours are in test_l3_neigh.c, packet builders in test_l3_build.c;
 * this file holds the suite's main.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_mbuf.h>

#include "l3_test.h"
#include "unit_case.h"
#include "unit_eal.h"

struct rte_mempool *pool;

/* ---- a naive reference: a list of prefixes, scanned in full ---- */

struct ref_route {
	struct evs_l3_prefix p;
	uint32_t tag; /* the spec's next_vrf, to tell routes apart */
};

struct ref {
	struct ref_route *r;
	uint32_t n, cap;
};

static unsigned int cpl(const uint8_t *a, const uint8_t *b, unsigned int max)
{
	unsigned int i = 0;

	while (i < max && ((a[i / 8] ^ b[i / 8]) & (0x80 >> (i % 8))) == 0)
		i++;
	return i;
}

static int ref_find(const struct ref *m, const struct evs_l3_prefix *p)
{
	for (uint32_t i = 0; i < m->n; i++)
		if (m->r[i].p.len == p->len &&
		    memcmp(&m->r[i].p.addr, &p->addr, sizeof(p->addr)) == 0)
			return (int)i;
	return -1;
}

/* Longest match of @p a: index, or -1. */
static int ref_lpm(const struct ref *m, const struct evs_l3_addr *a)
{
	unsigned int max = a->family == EVS_L3_IPV4 ? 32 : 128;
	int best = -1;

	for (uint32_t i = 0; i < m->n; i++) {
		const struct evs_l3_prefix *p = &m->r[i].p;

		if (p->addr.family == a->family && cpl(p->addr.b, a->b, max) >= p->len &&
		    (best < 0 || p->len > m->r[best].p.len))
			best = (int)i;
	}
	return best;
}

/* Does every address sharing @p len leading bits with @p a match the same
 * route (or none)? True iff no prefix longer than len lies inside a/len. */
static bool ref_mask_ok(const struct ref *m, const struct evs_l3_addr *a, unsigned int len)
{
	unsigned int max = a->family == EVS_L3_IPV4 ? 32 : 128;

	for (uint32_t i = 0; i < m->n; i++) {
		const struct evs_l3_prefix *p = &m->r[i].p;

		if (p->addr.family == a->family && p->len > len && cpl(p->addr.b, a->b, max) >= len)
			return false;
	}
	return true;
}

static struct evs_l3_route_spec spec_tag(uint32_t tag)
{
	/* VRF routes carry a number: enough to tell which route matched */
	struct evs_l3_route_spec s = {.type = EVS_L3_ROUTE_VRF, .next_vrf = (uint16_t)tag};

	return s;
}

/* A random prefix clustered in a small space, so prefixes nest and overlap. */
static struct evs_l3_prefix rand_prefix(uint64_t *seed, uint8_t family)
{
	struct evs_l3_prefix p = {.addr.family = family};
	unsigned int n = family == EVS_L3_IPV4 ? 4 : 16;
	uint64_t r = l3t_rand(seed);

	if (family == EVS_L3_IPV4) {
		p.addr.b[0] = 10;
		p.addr.b[1] = (uint8_t)(r & 0x3);
		p.addr.b[2] = (uint8_t)(r >> 8);
		p.addr.b[3] = (uint8_t)(r >> 16);
		p.len = (uint8_t)(r >> 24) % 33;
		if (p.len < 8 && (r >> 40) % 8 != 0)
			p.len += 12; /* few short prefixes */
	} else {
		uint64_t r2 = l3t_rand(seed);

		p.addr.b[0] = 0x20;
		p.addr.b[1] = 0x01;
		p.addr.b[2] = 0x0d;
		p.addr.b[3] = 0xb8;
		p.addr.b[4] = (uint8_t)(r & 0x3);
		memcpy(p.addr.b + 5, &r2, 8);
		p.addr.b[13] = (uint8_t)(r >> 8);
		p.len = (uint8_t)((r >> 24) % 129);
		if (p.len < 32 && (r >> 40) % 8 != 0)
			p.len += 32;
	}
	l3_test_mask(p.addr.b, p.len, n);
	return p;
}

/* An address near the table's prefixes. */
static struct evs_l3_addr rand_addr(uint64_t *seed, const struct ref *m, uint8_t family)
{
	struct evs_l3_prefix p = rand_prefix(seed, family);
	uint64_t r = l3t_rand(seed);

	if (m->n > 0 && r % 2) {
		/* inside a random route of the family, if one is picked */
		const struct ref_route *x = &m->r[(r >> 8) % m->n];

		if (x->p.addr.family == family)
			p.addr = x->p.addr;
	}
	/* random host bits below a random point */
	for (unsigned int i = (unsigned int)(r >> 20) % (family == EVS_L3_IPV4 ? 33 : 129);
	     i < (family == EVS_L3_IPV4 ? 32u : 128u); i++)
		if (l3t_rand(seed) & 1)
			p.addr.b[i / 8] ^= (uint8_t)(0x80 >> (i % 8));
	return p.addr;
}

static void check_against_ref(struct evs_l3_fib *fib, const struct ref *m, uint64_t *seed,
			      uint8_t family, unsigned int probes)
{
	for (unsigned int k = 0; k < probes; k++) {
		struct evs_l3_addr a = rand_addr(seed, m, family);
		struct evs_l3_result res;
		int want = ref_lpm(m, &a);
		int rc = evs_l3_fib_resolve(fib, &a, 0, &res);

		if (want < 0) {
			ck_assert_int_eq(rc, -ENOENT);
			ck_assert_uint_eq(res.route_id, EVS_L3_NO_ROUTE);
		} else {
			ck_assert_int_eq(rc, 0);
			ck_assert_uint_eq(res.next_vrf, m->r[want].tag);
			ck_assert_uint_eq(res.match_len, m->r[want].p.len);
			ck_assert_uint_eq(res.prefix.len, m->r[want].p.len);
		}
		/* sufficient: the block decides; minimal: one bit fewer would not */
		ck_assert_msg(ref_mask_ok(m, &a, res.mask_len), "mask /%u too short", res.mask_len);
		ck_assert_uint_ge(res.mask_len, want < 0 ? 0 : m->r[want].p.len);
		if (res.mask_len > (want < 0 ? 0 : m->r[want].p.len))
			ck_assert_msg(!ref_mask_ok(m, &a, res.mask_len - 1u),
				      "mask /%u not minimal", res.mask_len);
	}
}

static struct evs_l3_fib *make_fib(const char *name, uint32_t max, bool fast)
{
	struct evs_l3_fib_config c = {.name = name,
				      .socket_id = SOCKET_ID_ANY,
				      .max_routes4 = max,
				      .max_routes6 = max,
				      .fast_lookup = fast};
	struct evs_l3_fib *fib = evs_l3_fib_create(&c);

	ck_assert_ptr_nonnull(fib);
	return fib;
}

/* Random adds and deletes; after each round the table must answer like the model. */
static void random_table(uint8_t family, bool fast)
{
	struct evs_l3_fib *fib = make_fib("rnd", 4096, fast);
	struct ref m = {.cap = 4096};
	uint64_t seed = 0x9e3779b97f4a7c15ull ^ family ^ (fast ? 0x100 : 0);
	uint32_t tag = 1;

	m.r = calloc(m.cap, sizeof(*m.r));
	for (int round = 0; round < 12; round++) {
		for (int op = 0; op < 300; op++) {
			struct evs_l3_prefix p = rand_prefix(&seed, family);
			struct evs_l3_route_spec s = spec_tag(tag);
			int at = ref_find(&m, &p);

			if (round >= 6 && m.n > 0 && l3t_rand(&seed) % 2) {
				/* delete an existing route */
				uint32_t i = (uint32_t)(l3t_rand(&seed) % m.n);

				ck_assert_int_eq(evs_l3_route_del(fib, &m.r[i].p), 0);
				m.r[i] = m.r[--m.n];
			} else if (at >= 0) {
				ck_assert_int_eq(evs_l3_route_add(fib, &p, &s), -EEXIST);
			} else if (m.n < m.cap) {
				ck_assert_int_eq(evs_l3_route_add(fib, &p, &s), 0);
				m.r[m.n].p = p;
				m.r[m.n++].tag = tag;
				tag = tag % 60000 + 1;
			}
		}
		ck_assert_uint_eq(evs_l3_fib_count(fib, family), m.n);
		check_against_ref(fib, &m, &seed, family, 2000);
	}
	free(m.r);
	evs_l3_fib_free(fib);
}

START_TEST(test_fib_vs_reference_v4)
{
	random_table(EVS_L3_IPV4, false);
}
END_TEST

START_TEST(test_fib_vs_reference_v6)
{
	random_table(EVS_L3_IPV6, false);
}
END_TEST

START_TEST(test_fib_vs_reference_fast_lookup)
{
	random_table(EVS_L3_IPV4, true);
	random_table(EVS_L3_IPV6, true);
}
END_TEST

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Distinct (masked destination, mask length) pairs: the megaflows routing makes. */
static uint32_t count_megaflows(struct evs_l3_fib *fib, uint64_t *seed, uint32_t flows,
				const uint32_t *targets, uint32_t n_targets)
{
	uint64_t *mf = malloc(flows * sizeof(*mf));
	uint32_t distinct = 0;

	ck_assert_ptr_nonnull(mf);
	for (uint32_t i = 0; i < flows; i++) {
		uint64_t r = l3t_rand(seed);
		uint32_t ip = targets[r % n_targets] | (uint32_t)(r >> 32 & 0xff);
		struct evs_l3_addr a = {.family = EVS_L3_IPV4};
		struct evs_l3_result res;
		uint32_t masked;

		a.b[0] = (uint8_t)(ip >> 24);
		a.b[1] = (uint8_t)(ip >> 16);
		a.b[2] = (uint8_t)(ip >> 8);
		a.b[3] = (uint8_t)ip;
		evs_l3_fib_resolve(fib, &a, 0, &res);
		masked = res.mask_len ? ip & (uint32_t)(UINT64_MAX << (32 - res.mask_len)) : 0;
		mf[i] = (uint64_t)masked << 8 | res.mask_len;
	}
	qsort(mf, flows, sizeof(*mf), cmp_u64);
	for (uint32_t i = 0; i < flows; i++)
		distinct += i == 0 || mf[i] != mf[i - 1];
	free(mf);
	return distinct;
}

/* 1M flows to 1k prefixes make about 1k megaflows, not 1M. */
START_TEST(test_megaflow_aggregation)
{
	struct evs_l3_fib *fib = make_fib("agg", 4096, false);
	uint32_t targets[1000], n = 0, mf;
	uint64_t seed = 42;
	struct evs_l3_route_spec s = spec_tag(1);

	/* 1000 distinct /24s in 10.0.0.0/8, plus a default route and a /8 */
	while (n < 1000) {
		struct evs_l3_prefix p = {.addr.family = EVS_L3_IPV4, .len = 24};
		uint32_t ip = 0x0a000000u | ((uint32_t)l3t_rand(&seed) & 0xffff00u);

		p.addr.b[0] = 10;
		p.addr.b[1] = (uint8_t)(ip >> 16);
		p.addr.b[2] = (uint8_t)(ip >> 8);
		if (evs_l3_route_add(fib, &p, &s) == 0)
			targets[n++] = ip;
	}
	struct evs_l3_prefix def = {.addr.family = EVS_L3_IPV4, .len = 0};
	struct evs_l3_prefix ten = {.addr = {.family = EVS_L3_IPV4, .b = {10}}, .len = 8};
	ck_assert_int_eq(evs_l3_route_add(fib, &def, &s), 0);
	ck_assert_int_eq(evs_l3_route_add(fib, &ten, &s), 0);

	mf = count_megaflows(fib, &seed, 1000000, targets, n);
	printf("megaflow_aggregation: 1000000 flows to 1000 /24s -> %u megaflows\n", mf);
	ck_assert_uint_eq(mf, 1000);
	evs_l3_fib_free(fib);
}
END_TEST

START_TEST(test_route_errors)
{
	struct evs_l3_fib *fib = make_fib("err", 2, false);
	struct evs_l3_route_spec s = spec_tag(1), bad;
	struct evs_l3_prefix p = {.addr = {.family = EVS_L3_IPV4, .b = {192, 168, 1, 0}},
				  .len = 24};
	struct evs_l3_prefix q = p;

	/* host bits, lengths, family */
	q.addr.b[3] = 1;
	ck_assert_int_eq(evs_l3_route_add(fib, &q, &s), -EINVAL);
	q = p;
	q.len = 33;
	ck_assert_int_eq(evs_l3_route_add(fib, &q, &s), -EINVAL);
	q = p;
	q.addr.family = 5;
	ck_assert_int_eq(evs_l3_route_add(fib, &q, &s), -EINVAL);
	q = p;
	q.addr.b[7] = 1; /* beyond an IPv4 address */
	ck_assert_int_eq(evs_l3_route_add(fib, &q, &s), -EINVAL);
	/* specs: no next hop, weight 0, a gateway of the other family, one twice, a reject code */
	bad = (struct evs_l3_route_spec){.type = EVS_L3_ROUTE_FORWARD};
	ck_assert_int_eq(evs_l3_route_add(fib, &p, &bad), -EINVAL);
	bad.n_nh = 1;
	ck_assert_int_eq(evs_l3_route_add(fib, &p, &bad), -EINVAL);
	bad.nh[0] = (struct evs_l3_nexthop){.port = 1, .weight = 1, .via = true};
	bad.nh[0].gw.family = EVS_L3_IPV6;
	ck_assert_int_eq(evs_l3_route_add(fib, &p, &bad), -EINVAL);
	bad.nh[0].gw.family = EVS_L3_IPV4;
	bad.nh[1] = bad.nh[0];
	bad.n_nh = 2;
	ck_assert_int_eq(evs_l3_route_add(fib, &p, &bad), -EINVAL);
	bad = (struct evs_l3_route_spec){.type = EVS_L3_ROUTE_REJECT, .reject_code = 9};
	ck_assert_int_eq(evs_l3_route_add(fib, &p, &bad), -EINVAL);
	ck_assert_uint_eq(evs_l3_fib_count(fib, EVS_L3_IPV4), 0);

	ck_assert_int_eq(evs_l3_route_add(fib, &p, &s), 0);
	ck_assert_int_eq(evs_l3_route_add(fib, &p, &s), -EEXIST);
	ck_assert_int_eq(evs_l3_route_del(fib, &q), -EINVAL);
	q = p;
	q.len = 23;
	q.addr.b[2] = 0;
	ck_assert_int_eq(evs_l3_route_del(fib, &q), -ENOENT);
	ck_assert_int_eq(evs_l3_route_add(fib, &q, &s), 0);
	q.len = 22;
	ck_assert_int_eq(evs_l3_route_add(fib, &q, &s), -ENOSPC);
	ck_assert_int_eq(evs_l3_route_set(fib, &q, &s), -ENOENT);
	ck_assert_uint_eq(evs_l3_fib_count(fib, EVS_L3_IPV4), 2);
	ck_assert_int_eq(evs_l3_route_del(fib, &p), 0);
	ck_assert_int_eq(evs_l3_route_del(fib, &p), -ENOENT);
	ck_assert_int_eq(evs_l3_route_add(fib, &q, &s), 0); /* the freed slot is reused */
	evs_l3_fib_free(fib);
	evs_l3_fib_free(NULL);

	struct evs_l3_fib_config c = {.name = "err2", .max_routes4 = 0, .max_routes6 = 1};
	errno = 0;
	ck_assert_ptr_null(evs_l3_fib_create(&c));
	ck_assert_int_eq(errno, EINVAL);
	c.max_routes4 = 1;
	fib = evs_l3_fib_create(&c);
	ck_assert_ptr_nonnull(fib);
	errno = 0;
	ck_assert_ptr_null(evs_l3_fib_create(&c));
	ck_assert_int_eq(errno, EEXIST);
	evs_l3_fib_free(fib);
}
END_TEST

START_TEST(test_bulk_all_or_nothing)
{
	enum { N = 3000 };
	struct evs_l3_fib *fib = make_fib("bulk", N + 10, false);
	struct evs_l3_prefix *p = calloc(N, sizeof(*p));
	struct evs_l3_route_spec *s = calloc(N, sizeof(*s));
	uint64_t gen;
	uint32_t failed = 0;

	for (uint32_t i = 0; i < N; i++) {
		p[i].addr.family = EVS_L3_IPV4;
		p[i].addr.b[0] = 20;
		p[i].addr.b[1] = (uint8_t)(i >> 8);
		p[i].addr.b[2] = (uint8_t)i;
		p[i].len = 24;
		s[i] = spec_tag(i + 1);
	}
	/* one already present near the end: nothing of the call stays (crosses chunks) */
	ck_assert_int_eq(evs_l3_route_add(fib, &p[2500], &s[2500]), 0);
	gen = evs_l3_fib_generation(fib);
	ck_assert_int_eq(evs_l3_route_add_bulk(fib, p, s, N, &failed), -EEXIST);
	ck_assert_uint_eq(failed, 2500);
	ck_assert_uint_eq(evs_l3_fib_count(fib, EVS_L3_IPV4), 1);
	ck_assert_uint_gt(evs_l3_fib_generation(fib), gen);
	/* an invalid one: refused before any change */
	p[10].len = 7;
	gen = evs_l3_fib_generation(fib);
	ck_assert_int_eq(evs_l3_route_add_bulk(fib, p, s, N, &failed), -EINVAL);
	ck_assert_uint_eq(failed, 10);
	ck_assert_uint_eq(evs_l3_fib_generation(fib), gen);
	p[10].len = 24;
	ck_assert_int_eq(evs_l3_route_del(fib, &p[2500]), 0);
	ck_assert_int_eq(evs_l3_route_add_bulk(fib, p, s, N, &failed), 0);
	ck_assert_uint_eq(evs_l3_fib_count(fib, EVS_L3_IPV4), N);

	struct evs_l3_addr a = {.family = EVS_L3_IPV4,
				.b = {20, 11, 183, 7}}; /* the last one, #2999 */
	struct evs_l3_result res;
	ck_assert_int_eq(evs_l3_fib_resolve(fib, &a, 0, &res), 0);
	ck_assert_uint_eq(res.next_vrf, (11u << 8 | 183u) + 1);

	/* del_bulk: one missing -> nothing deleted */
	struct evs_l3_prefix miss = p[5];
	miss.addr.b[0] = 30;
	struct evs_l3_prefix two[2] = {p[0], miss};
	ck_assert_int_eq(evs_l3_route_del_bulk(fib, two, 2, &failed), -ENOENT);
	ck_assert_uint_eq(failed, 1);
	ck_assert_uint_eq(evs_l3_fib_count(fib, EVS_L3_IPV4), N);
	ck_assert_int_eq(evs_l3_route_del_bulk(fib, p, N, &failed), 0);
	ck_assert_uint_eq(evs_l3_fib_count(fib, EVS_L3_IPV4), 0);
	free(p);
	free(s);
	evs_l3_fib_free(fib);
}
END_TEST

/* One spec for every prefix (route.bulk): same all-or-nothing, each route its own. */
START_TEST(test_bulk_same_spec)
{
	enum { N = 2100 };
	struct evs_l3_fib *fib = make_fib("bulk1", N + 10, false);
	struct evs_l3_prefix *p = calloc(N, sizeof(*p));
	const struct evs_l3_route_spec s = spec_tag(77);
	struct evs_l3_route_spec got;
	uint32_t failed = 0;

	for (uint32_t i = 0; i < N; i++) {
		p[i].addr.family = EVS_L3_IPV4;
		p[i].addr.b[0] = 21;
		p[i].addr.b[1] = (uint8_t)(i >> 8);
		p[i].addr.b[2] = (uint8_t)i;
		p[i].len = 24;
	}
	ck_assert_int_eq(evs_l3_route_add(fib, &p[N - 1], &s), 0);
	ck_assert_int_eq(evs_l3_route_add_bulk_same(fib, p, &s, N, &failed), -EEXIST);
	ck_assert_uint_eq(failed, N - 1);
	ck_assert_uint_eq(evs_l3_fib_count(fib, EVS_L3_IPV4), 1);
	ck_assert_int_eq(evs_l3_route_add_bulk_same(fib, p, &s, N - 1, &failed), 0);
	ck_assert_uint_eq(evs_l3_fib_count(fib, EVS_L3_IPV4), N);
	for (uint32_t i = 0; i < N; i += 97) {
		ck_assert_int_eq(evs_l3_route_get(fib, &p[i], &got), 0);
		ck_assert_uint_eq(got.next_vrf, 77);
	}
	/* every route is its own: deleting one leaves the others */
	ck_assert_int_eq(evs_l3_route_del(fib, &p[5]), 0);
	ck_assert_int_eq(evs_l3_route_get(fib, &p[6], &got), 0);
	ck_assert_int_eq(evs_l3_route_del_bulk(fib, p + 6, N - 6, &failed), 0);
	ck_assert_uint_eq(evs_l3_fib_count(fib, EVS_L3_IPV4), 5);
	free(p);
	evs_l3_fib_free(fib);
}
END_TEST

START_TEST(test_route_kinds_and_set)
{
	struct evs_l3_fib *fib = make_fib("kinds", 16, false);
	struct evs_l3_prefix def = {.addr.family = EVS_L3_IPV6, .len = 0};
	struct evs_l3_prefix net = {.addr = {.family = EVS_L3_IPV6, .b = {0x20, 0x01, 0x0d, 0xb8}},
				    .len = 32};
	struct evs_l3_route_spec rej = {.type = EVS_L3_ROUTE_REJECT,
					.reject_code = EVS_L3_UNREACH_ADMIN};
	struct evs_l3_route_spec fwd = {.type = EVS_L3_ROUTE_FORWARD, .n_nh = 1};
	struct evs_l3_route_spec got;
	struct evs_l3_addr a = net.addr;
	struct evs_l3_result res;
	uint32_t id;

	fwd.nh[0] = (struct evs_l3_nexthop){.port = 3, .weight = 1, .via = true};
	fwd.nh[0].gw.family = EVS_L3_IPV6;
	fwd.nh[0].gw.b[0] = 0xfe;
	fwd.nh[0].gw.b[1] = 0x80;
	fwd.nh[0].gw.b[15] = 1;
	ck_assert_int_eq(evs_l3_route_add(fib, &def, &rej), 0);
	ck_assert_int_eq(evs_l3_route_add(fib, &net, &fwd), 0);
	a.b[15] = 9;
	ck_assert_int_eq(evs_l3_fib_resolve(fib, &a, 0, &res), 0);
	ck_assert_int_eq(res.type, EVS_L3_ROUTE_FORWARD);
	ck_assert_uint_eq(res.nh.port, 3);
	ck_assert(res.nh.via);
	ck_assert_uint_eq(res.nh.gw.b[15], 1);
	ck_assert_uint_eq(res.mask_len, 32);
	id = res.route_id;
	a.b[0] = 0x30;
	ck_assert_int_eq(evs_l3_fib_resolve(fib, &a, 0, &res), 0);
	ck_assert_int_eq(res.type, EVS_L3_ROUTE_REJECT);
	ck_assert_uint_eq(res.reject_code, EVS_L3_UNREACH_ADMIN);
	ck_assert_uint_eq(res.match_len, 0);
	ck_assert_uint_eq(res.mask_len, 4); /* 0x30 vs 0x20: bit 3 tells them apart, so 4 bits */

	/* set: a blackhole now, same route id */
	struct evs_l3_route_spec bh = {.type = EVS_L3_ROUTE_BLACKHOLE};
	ck_assert_int_eq(evs_l3_route_set(fib, &net, &bh), 0);
	a.b[0] = 0x20;
	ck_assert_int_eq(evs_l3_fib_resolve(fib, &a, 0, &res), 0);
	ck_assert_int_eq(res.type, EVS_L3_ROUTE_BLACKHOLE);
	ck_assert_uint_eq(res.route_id, id);
	ck_assert_int_eq(evs_l3_route_get(fib, &net, &got), 0);
	ck_assert_int_eq(got.type, EVS_L3_ROUTE_BLACKHOLE);
	ck_assert_int_eq(evs_l3_route_get(fib, &def, &got), 0);
	ck_assert_int_eq(got.type, EVS_L3_ROUTE_REJECT);

	/* an empty IPv4 side: nothing matches, no bit decides */
	struct evs_l3_addr v4 = {.family = EVS_L3_IPV4, .b = {1, 2, 3, 4}};
	ck_assert_int_eq(evs_l3_fib_resolve(fib, &v4, 0, &res), -ENOENT);
	ck_assert_uint_eq(res.mask_len, 0);
	v4.family = 0;
	ck_assert_int_eq(evs_l3_fib_resolve(fib, &v4, 0, &res), -EINVAL);
	evs_l3_fib_free(fib);
}
END_TEST

struct walk_state {
	const struct evs_l3_fib *fib;
	uint32_t n;
	bool all_present;
};

static int walk_cb(const struct evs_l3_prefix *p, const struct evs_l3_route_spec *s, void *arg)
{
	struct walk_state *w = arg;
	struct evs_l3_route_spec got;

	if (evs_l3_route_get(w->fib, p, &got) != 0 || got.next_vrf != s->next_vrf)
		w->all_present = false;
	w->n++;
	return 0;
}

static int walk_stop(const struct evs_l3_prefix *p, const struct evs_l3_route_spec *s, void *arg)
{
	(void)p;
	(void)s;
	return ++*(uint32_t *)arg == 10 ? 7 : 0;
}

START_TEST(test_walk)
{
	struct evs_l3_fib *fib = make_fib("walk", 2048, false);
	uint64_t seed = 5;
	uint32_t added = 0;
	struct evs_l3_route_spec s = spec_tag(1);
	struct evs_l3_prefix def = {.addr.family = EVS_L3_IPV4, .len = 0};

	ck_assert_int_eq(evs_l3_route_add(fib, &def, &s), 0);
	added++;
	for (int i = 0; i < 600; i++) {
		struct evs_l3_prefix p = rand_prefix(&seed, EVS_L3_IPV4);

		s.next_vrf = (uint16_t)i;
		added += p.len > 0 && evs_l3_route_add(fib, &p, &s) == 0;
	}
	struct walk_state w = {.fib = fib, .all_present = true};
	uint32_t calls = 0;
	ck_assert_int_eq(evs_l3_fib_walk(fib, EVS_L3_IPV4, walk_cb, &w), 0);
	ck_assert_uint_eq(w.n, added);
	ck_assert(w.all_present);
	ck_assert_int_eq(evs_l3_fib_walk(fib, EVS_L3_IPV4, walk_stop, &calls), 7);
	ck_assert_uint_eq(calls, 10);
	w = (struct walk_state){.fib = fib, .all_present = true};
	ck_assert_int_eq(evs_l3_fib_walk(fib, EVS_L3_IPV6, walk_cb, &w), 0);
	ck_assert_uint_eq(w.n, 0);
	evs_l3_fib_free(fib);
}
END_TEST

START_TEST(test_lookup4_bulk_matches_resolve)
{
	struct evs_l3_fib *fib = make_fib("bulk4", 1024, true);
	uint64_t seed = 77;
	struct ref m = {.cap = 1};
	uint32_t ips[100], ids[100];

	for (int i = 0; i < 500; i++) {
		struct evs_l3_prefix p = rand_prefix(&seed, EVS_L3_IPV4);
		struct evs_l3_route_spec s = spec_tag((uint32_t)i);

		evs_l3_route_add(fib, &p, &s);
	}
	for (int i = 0; i < 100; i++) {
		struct evs_l3_addr a = rand_addr(&seed, &m, EVS_L3_IPV4);

		ips[i] = (uint32_t)a.b[0] << 24 | (uint32_t)a.b[1] << 16 | (uint32_t)a.b[2] << 8 |
			 a.b[3];
	}
	evs_l3_fib_lookup4_bulk(fib, ips, ids, 100);
	for (int i = 0; i < 100; i++) {
		struct evs_l3_addr a = {.family = EVS_L3_IPV4,
					.b = {(uint8_t)(ips[i] >> 24), (uint8_t)(ips[i] >> 16),
					      (uint8_t)(ips[i] >> 8), (uint8_t)ips[i]}};
		struct evs_l3_result res;

		evs_l3_fib_resolve(fib, &a, 0, &res);
		ck_assert_uint_eq(ids[i], res.route_id);
	}
	evs_l3_fib_free(fib);
}
END_TEST

/* ---- ECMP ---- */

static struct evs_l3_nexthop nh_at(uint16_t port, uint8_t last, uint16_t weight)
{
	struct evs_l3_nexthop nh = {.port = port, .weight = weight, .via = true};

	nh.gw.family = EVS_L3_IPV4;
	nh.gw.b[0] = 10;
	nh.gw.b[3] = last;
	return nh;
}

START_TEST(test_ecmp_weights)
{
	struct evs_l3_nexthop nh[3] = {nh_at(1, 1, 1), nh_at(1, 2, 2), nh_at(2, 3, 5)};
	uint8_t b[EVS_L3_ECMP_BUCKETS];
	unsigned int cnt[3] = {0};

	ck_assert_int_eq(evs_l3_ecmp_fill(nh, 3, b), 0);
	for (unsigned int i = 0; i < EVS_L3_ECMP_BUCKETS; i++)
		cnt[b[i]]++;
	/* shares 1/8, 2/8, 5/8 of 256 = 32, 64, 160, within sampling noise */
	ck_assert_msg(cnt[0] >= 16 && cnt[0] <= 48, "weight 1: %u buckets", cnt[0]);
	ck_assert_msg(cnt[1] >= 44 && cnt[1] <= 84, "weight 2: %u buckets", cnt[1]);
	ck_assert_msg(cnt[2] >= 135 && cnt[2] <= 185, "weight 5: %u buckets", cnt[2]);
	nh[0].weight = 0;
	ck_assert_int_eq(evs_l3_ecmp_fill(nh, 3, b), -EINVAL);
	ck_assert_int_eq(evs_l3_ecmp_fill(nh, 0, b), -EINVAL);
	ck_assert_int_eq(evs_l3_ecmp_fill(nh, EVS_L3_ECMP_MAX + 1, b), -EINVAL);
}
END_TEST

/* Removing a next hop moves only its buckets; adding one takes only buckets it wins. */
START_TEST(test_ecmp_consistent)
{
	struct evs_l3_nexthop nh[8], fewer[7];
	uint8_t before[EVS_L3_ECMP_BUCKETS], after[EVS_L3_ECMP_BUCKETS];

	for (uint16_t i = 0; i < 8; i++)
		nh[i] = nh_at(i % 3, (uint8_t)(i + 1), (uint16_t)(1 + i % 2));
	ck_assert_int_eq(evs_l3_ecmp_fill(nh, 8, before), 0);
	for (unsigned int gone = 0; gone < 8; gone++) {
		unsigned int k = 0, moved = 0;

		for (unsigned int i = 0; i < 8; i++)
			if (i != gone)
				fewer[k++] = nh[i];
		ck_assert_int_eq(evs_l3_ecmp_fill(fewer, 7, after), 0);
		for (unsigned int b = 0; b < EVS_L3_ECMP_BUCKETS; b++) {
			/* same next hop identity unless it was the removed one */
			if (before[b] == gone) {
				moved++;
				continue;
			}
			unsigned int was = before[b], now = after[b];
			ck_assert_msg(l3_test_nh_eq(&nh[was], &fewer[now]), "bucket %u moved", b);
		}
		ck_assert_uint_gt(moved, 0);
	}
	/* the same set in another order: same owners */
	struct evs_l3_nexthop rev[8];
	for (unsigned int i = 0; i < 8; i++)
		rev[i] = nh[7 - i];
	ck_assert_int_eq(evs_l3_ecmp_fill(rev, 8, after), 0);
	for (unsigned int b = 0; b < EVS_L3_ECMP_BUCKETS; b++)
		ck_assert(l3_test_nh_eq(&nh[before[b]], &rev[after[b]]));
}
END_TEST

/* Flows spread over next hops through resolve; symmetric hashes match both ways. */
START_TEST(test_ecmp_resolve_spread_and_symmetry)
{
	struct evs_l3_fib *fib = make_fib("ecmp", 16, false);
	struct evs_l3_prefix def = {.addr.family = EVS_L3_IPV4, .len = 0};
	struct evs_l3_route_spec s = {.type = EVS_L3_ROUTE_FORWARD, .n_nh = 4};
	unsigned int cnt[4] = {0};
	uint64_t seed = 99;

	for (uint16_t i = 0; i < 4; i++)
		s.nh[i] = nh_at(i, (uint8_t)(i + 1), 1);
	ck_assert_int_eq(evs_l3_route_add(fib, &def, &s), 0);
	for (int i = 0; i < 20000; i++) {
		struct evs_flow_key k = {.ip_proto = IPPROTO_TCP};
		struct evs_l3_result res;
		uint64_t r = l3t_rand(&seed);

		memcpy(k.src_ip, &r, 4);
		memcpy(k.dst_ip, (uint8_t *)&r + 4, 4);
		k.l4_src = (uint16_t)l3t_rand(&seed);
		k.l4_dst = rte_cpu_to_be_16(80);
		ck_assert_int_eq(evs_l3_fib_resolve(fib,
						    &(struct evs_l3_addr){.family = EVS_L3_IPV4},
						    evs_l3_flow_hash(&k, false), &res),
				 0);
		ck_assert_uint_eq(res.n_nh, 4);
		cnt[res.nh.port]++;

		/* symmetric: the reverse direction hashes alike; asymmetric mostly not */
		struct evs_flow_key rk = k;
		memcpy(rk.src_ip, k.dst_ip, 16);
		memcpy(rk.dst_ip, k.src_ip, 16);
		rk.l4_src = k.l4_dst;
		rk.l4_dst = k.l4_src;
		ck_assert_uint_eq(evs_l3_flow_hash(&k, true), evs_l3_flow_hash(&rk, true));
		if (i < 100)
			ck_assert_uint_ne(evs_l3_flow_hash(&k, false),
					  evs_l3_flow_hash(&rk, false));
	}
	for (int i = 0; i < 4; i++)
		ck_assert_msg(cnt[i] > 3500 && cnt[i] < 6500, "next hop %d: %u of 20000", i,
			      cnt[i]);

	/* ports of fragments are not hashed (later fragments have none) */
	struct evs_flow_key f1 = {.ip_proto = IPPROTO_UDP, .ip_frag = EVS_FRAG_ANY, .l4_src = 1};
	struct evs_flow_key f2 = f1;
	f2.l4_src = 2;
	ck_assert_uint_eq(evs_l3_flow_hash(&f1, false), evs_l3_flow_hash(&f2, false));
	evs_l3_fib_free(fib);
}
END_TEST

START_TEST(test_bucket_rate)
{
	struct evs_l3_bucket b;
	uint64_t hz = 1000000, t = 5;
	unsigned int ok = 0;

	evs_l3_bucket_init(&b, 10, 3, hz, t);
	for (int i = 0; i < 10; i++)
		ok += evs_l3_bucket_take(&b, t);
	ck_assert_uint_eq(ok, 3); /* the burst */
	ok = 0;
	for (int i = 0; i < 1000; i++) { /* one second in ms steps: 10 more */
		t += hz / 1000;
		ok += evs_l3_bucket_take(&b, t);
	}
	ck_assert_uint_eq(ok, 10);
	t += hz * 1000000; /* a long idle: full again, no overflow */
	ok = 0;
	for (int i = 0; i < 10; i++)
		ok += evs_l3_bucket_take(&b, t);
	ck_assert_uint_eq(ok, 3);
}
END_TEST

static Suite *l3_suite(void)
{
	Suite *s = suite_create("l3");
	const struct unit_case cases[] = {
	    {"fib_vs_reference_v4", test_fib_vs_reference_v4},
	    {"fib_vs_reference_v6", test_fib_vs_reference_v6},
	    {"fib_vs_reference_fast_lookup", test_fib_vs_reference_fast_lookup},
	    {"megaflow_aggregation", test_megaflow_aggregation},
	    {"route_errors", test_route_errors},
	    {"bulk_all_or_nothing", test_bulk_all_or_nothing},
	    {"bulk_same_spec", test_bulk_same_spec},
	    {"route_kinds_and_set", test_route_kinds_and_set},
	    {"walk", test_walk},
	    {"lookup4_bulk_matches_resolve", test_lookup4_bulk_matches_resolve},
	    {"ecmp_weights", test_ecmp_weights},
	    {"ecmp_consistent", test_ecmp_consistent},
	    {"ecmp_resolve_spread_and_symmetry", test_ecmp_resolve_spread_and_symmetry},
	    {"bucket_rate", test_bucket_rate},
	};

	unit_add_cases(s, cases, RTE_DIM(cases), NULL, NULL, 0);
	l3_neigh_add_cases(s);
	l3_build_add_cases(s);
	l3_frag_add_cases(s);
	l3_router_add_cases(s);
	l3_store_add_cases(s);
	l3_module_add_cases(s);
	return s;
}

int main(void)
{
	int failed;

	if (unit_eal_init("test_l3", "l3l3", "1024") < 0)
		return 1;
	pool = rte_pktmbuf_pool_create("l3l3_pool", 1024, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	if (pool == NULL) {
		fprintf(stderr, "setup failed\n");
		return 1;
	}
	failed = unit_run(l3_suite());
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return failed ? 1 : 0;
}
