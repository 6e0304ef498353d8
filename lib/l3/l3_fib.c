/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Route table of one VRF: rte_fib (IPv4) and rte_fib6 (IPv6) map a prefix to
 * a route id; the route (type, next hops, ECMP buckets) lives in a plain
 * array indexed by id. The RIB inside each fib gives the matched prefix and
 * the megaflow mask length (l3_mask.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_fib.h>
#include <rte_fib6.h>
#include <rte_rib.h>
#include <rte_rib6.h>
#include <rte_rwlock.h>

#include "l3_fib_private.h"

/* Routes changed per writer section of a bulk call: bounds how long a
 * translating PMD waits for the reader lock (about a millisecond). */
#define BULK_CHUNK 1024

static int prefix_check(const struct evs_l3_prefix *p)
{
	uint8_t tmp[16];
	unsigned int n;

	if (p == NULL || (p->addr.family != EVS_L3_IPV4 && p->addr.family != EVS_L3_IPV6))
		return -EINVAL;
	n = l3_addr_len(p->addr.family);
	if (p->len > l3_max_len(p->addr.family))
		return -EINVAL;
	memcpy(tmp, p->addr.b, n);
	l3_mask_bytes(tmp, p->len, n);
	if (memcmp(tmp, p->addr.b, n) != 0)
		return -EINVAL; /* host bits set: ambiguous, as `ip route` refuses it */
	for (unsigned int i = n; i < 16; i++)
		if (p->addr.b[i] != 0)
			return -EINVAL;
	return 0;
}

static int spec_check(const struct evs_l3_route_spec *s, uint8_t family)
{
	if (s == NULL)
		return -EINVAL;
	switch (s->type) {
	case EVS_L3_ROUTE_FORWARD:
		if (s->n_nh == 0 || s->n_nh > EVS_L3_ECMP_MAX)
			return -EINVAL;
		for (unsigned int i = 0; i < s->n_nh; i++) {
			if (s->nh[i].weight == 0)
				return -EINVAL;
			if (s->nh[i].via && s->nh[i].gw.family != family)
				return -EINVAL;
			for (unsigned int j = 0; j < i; j++)
				if (l3_nh_same(&s->nh[i], &s->nh[j]))
					return -EINVAL; /* the same next hop twice */
		}
		return 0;
	case EVS_L3_ROUTE_REJECT:
		return s->n_nh == 0 && s->reject_code <= EVS_L3_UNREACH_PORT ? 0 : -EINVAL;
	case EVS_L3_ROUTE_BLACKHOLE:
	case EVS_L3_ROUTE_VRF:
	case EVS_L3_ROUTE_LOCAL:
		return s->n_nh == 0 ? 0 : -EINVAL;
	}
	return -EINVAL;
}

static struct l3_route *route_new(const struct evs_l3_prefix *pfx,
				  const struct evs_l3_route_spec *s)
{
	struct l3_route *r = calloc(1, sizeof(*r) + s->n_nh * sizeof(r->nh[0]));

	if (r == NULL)
		return NULL;
	r->pfx = *pfx;
	r->type = s->type;
	r->reject_code = s->reject_code;
	r->next_vrf = s->next_vrf;
	r->n_nh = s->n_nh;
	memcpy(r->nh, s->nh, s->n_nh * sizeof(r->nh[0]));
	if (s->n_nh > 1) {
		r->buckets = malloc(EVS_L3_ECMP_BUCKETS);
		if (r->buckets == NULL || evs_l3_ecmp_fill(r->nh, r->n_nh, r->buckets) != 0) {
			free(r->buckets);
			free(r);
			return NULL;
		}
	}
	return r;
}

static void route_free(struct l3_route *r)
{
	if (r == NULL)
		return;
	free(r->buckets);
	free(r);
}

static void route_spec(const struct l3_route *r, struct evs_l3_route_spec *s)
{
	memset(s, 0, sizeof(*s));
	s->type = r->type;
	s->reject_code = r->reject_code;
	s->next_vrf = r->next_vrf;
	s->n_nh = r->n_nh;
	memcpy(s->nh, r->nh, r->n_nh * sizeof(r->nh[0]));
}

struct evs_l3_fib *evs_l3_fib_create(const struct evs_l3_fib_config *cfg)
{
	struct evs_l3_fib *fib;
	char name[24]; /* rte_fib prefixes it for its memzones (32 bytes) */
	uint32_t n;

	if (cfg == NULL || cfg->name == NULL || cfg->max_routes4 == 0 || cfg->max_routes6 == 0 ||
	    cfg->max_routes4 >= INT32_MAX / 2 || cfg->max_routes6 >= INT32_MAX / 2 ||
	    strlen(cfg->name) + 3 >= sizeof(name)) {
		errno = EINVAL;
		return NULL;
	}
	fib = calloc(1, sizeof(*fib));
	if (fib == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	rte_rwlock_init(&fib->lock);
	fib->max_routes = cfg->max_routes4 + cfg->max_routes6;
	fib->routes = calloc(fib->max_routes, sizeof(fib->routes[0]));
	fib->free_ids = malloc(fib->max_routes * sizeof(fib->free_ids[0]));
	if (fib->routes == NULL || fib->free_ids == NULL) {
		errno = ENOMEM;
		goto fail;
	}
	for (n = 0; n < fib->max_routes; n++)
		fib->free_ids[n] = fib->max_routes - 1 - n;
	fib->n_free = fib->max_routes;
	fib->max4 = cfg->max_routes4;
	fib->max6 = cfg->max_routes6;
	fib->dir24_8 = cfg->fast_lookup;

	struct rte_fib_conf c4 = {
	    .type = cfg->fast_lookup ? RTE_FIB_DIR24_8 : RTE_FIB_DUMMY,
	    .default_nh = L3_FIB_MISS,
	    .max_routes = (int)cfg->max_routes4,
	};
	if (cfg->fast_lookup) {
		c4.dir24_8.nh_sz = RTE_FIB_DIR24_8_4B;
		c4.dir24_8.num_tbl8 =
		    cfg->num_tbl8 ? cfg->num_tbl8 : RTE_MAX(cfg->max_routes4 / 4, 256u);
	}
	snprintf(name, sizeof(name), "%s.4", cfg->name);
	fib->fib4 = rte_fib_create(name, cfg->socket_id, &c4);
	if (fib->fib4 == NULL) {
		errno = rte_errno == EEXIST ? EEXIST : ENOMEM;
		goto fail;
	}
	struct rte_fib6_conf c6 = {
	    .type = cfg->fast_lookup ? RTE_FIB6_TRIE : RTE_FIB6_DUMMY,
	    .default_nh = L3_FIB_MISS,
	    .max_routes = (int)cfg->max_routes6,
	};
	if (cfg->fast_lookup) {
		c6.trie.nh_sz = RTE_FIB6_TRIE_4B;
		c6.trie.num_tbl8 =
		    cfg->num_tbl8 ? cfg->num_tbl8 : RTE_MAX(cfg->max_routes6 * 4, 256u);
	}
	snprintf(name, sizeof(name), "%s.6", cfg->name);
	fib->fib6 = rte_fib6_create(name, cfg->socket_id, &c6);
	if (fib->fib6 == NULL) {
		errno = rte_errno == EEXIST ? EEXIST : ENOMEM;
		goto fail;
	}
	fib->rib4 = rte_fib_get_rib(fib->fib4);
	fib->rib6 = rte_fib6_get_rib(fib->fib6);
	return fib;
fail:
	evs_l3_fib_free(fib);
	return NULL;
}

void evs_l3_fib_free(struct evs_l3_fib *fib)
{
	if (fib == NULL)
		return;
	if (fib->routes != NULL)
		for (uint32_t i = 0; i < fib->max_routes; i++)
			route_free(fib->routes[i]);
	rte_fib_free(fib->fib4);
	rte_fib6_free(fib->fib6);
	free(fib->routes);
	free(fib->free_ids);
	free(fib);
}

/* The route id stored for @p pfx, or EVS_L3_NO_ROUTE. */
static uint32_t exact_id(const struct evs_l3_fib *fib, const struct evs_l3_prefix *pfx)
{
	uint64_t nh;

	if (pfx->addr.family == EVS_L3_IPV4) {
		struct rte_rib_node *n =
		    rte_rib_lookup_exact(fib->rib4, l3_v4(pfx->addr.b), pfx->len);

		if (n == NULL || rte_rib_get_nh(n, &nh) != 0)
			return EVS_L3_NO_ROUTE;
	} else {
		struct rte_rib6_node *n = rte_rib6_lookup_exact(fib->rib6, pfx->addr.b, pfx->len);

		if (n == NULL || rte_rib6_get_nh(n, &nh) != 0)
			return EVS_L3_NO_ROUTE;
	}
	return (uint32_t)nh;
}

static int fib_op(struct evs_l3_fib *fib, const struct evs_l3_prefix *pfx, uint32_t id, bool add)
{
	int rc;

	if (pfx->addr.family == EVS_L3_IPV4) {
		uint32_t ip = l3_v4(pfx->addr.b);

		rc = add ? rte_fib_add(fib->fib4, ip, pfx->len, id)
			 : rte_fib_delete(fib->fib4, ip, pfx->len);
	} else {
		rc = add ? rte_fib6_add(fib->fib6, pfx->addr.b, pfx->len, id)
			 : rte_fib6_delete(fib->fib6, pfx->addr.b, pfx->len);
	}
	/* rte_fib reports -ENOSPC when out of tbl8 groups or rib nodes */
	return rc == 0 ? 0 : rc == -ENOSPC || rc == -ENOMEM ? -ENOSPC : rc;
}

static uint32_t *family_count(struct evs_l3_fib *fib, uint8_t family)
{
	return family == EVS_L3_IPV4 ? &fib->n4 : &fib->n6;
}

/* Add under the write lock held by the caller. */
static int add_locked(struct evs_l3_fib *fib, const struct evs_l3_prefix *pfx,
		      const struct evs_l3_route_spec *spec)
{
	struct l3_route *r;
	uint32_t *count = family_count(fib, pfx->addr.family);
	uint32_t id;
	int rc;

	if (exact_id(fib, pfx) != EVS_L3_NO_ROUTE)
		return -EEXIST;
	if (fib->n_free == 0 || *count >= (pfx->addr.family == EVS_L3_IPV4 ? fib->max4 : fib->max6))
		return -ENOSPC;
	r = route_new(pfx, spec);
	if (r == NULL)
		return -ENOMEM;
	id = fib->free_ids[--fib->n_free];
	rc = fib_op(fib, pfx, id, true);
	if (rc != 0) {
		fib->free_ids[fib->n_free++] = id;
		route_free(r);
		return rc;
	}
	fib->routes[id] = r;
	(*count)++;
	return 0;
}

static int del_locked(struct evs_l3_fib *fib, const struct evs_l3_prefix *pfx)
{
	uint32_t id = exact_id(fib, pfx);
	int rc;

	if (id == EVS_L3_NO_ROUTE)
		return -ENOENT;
	rc = fib_op(fib, pfx, id, false);
	if (rc != 0)
		return rc;
	route_free(fib->routes[id]);
	fib->routes[id] = NULL;
	fib->free_ids[fib->n_free++] = id;
	(*family_count(fib, pfx->addr.family))--;
	return 0;
}

/* Writers bump the generation after the change, before unlocking: a
 * translation that read the old table recorded the old generation first. */
static void write_end(struct evs_l3_fib *fib)
{
	/* release: the new generation is seen only with the table it describes */
	__atomic_fetch_add(&fib->generation, 1, __ATOMIC_RELEASE);
	rte_rwlock_write_unlock(&fib->lock);
}

int evs_l3_route_add(struct evs_l3_fib *fib, const struct evs_l3_prefix *pfx,
		     const struct evs_l3_route_spec *spec)
{
	int rc;

	if (fib == NULL || prefix_check(pfx) != 0 || spec_check(spec, pfx->addr.family) != 0)
		return -EINVAL;
	rte_rwlock_write_lock(&fib->lock);
	rc = add_locked(fib, pfx, spec);
	write_end(fib);
	return rc;
}

int evs_l3_route_set(struct evs_l3_fib *fib, const struct evs_l3_prefix *pfx,
		     const struct evs_l3_route_spec *spec)
{
	struct l3_route *r;
	uint32_t id;

	if (fib == NULL || prefix_check(pfx) != 0 || spec_check(spec, pfx->addr.family) != 0)
		return -EINVAL;
	r = route_new(pfx, spec);
	if (r == NULL)
		return -ENOMEM;
	rte_rwlock_write_lock(&fib->lock);
	id = exact_id(fib, pfx);
	if (id == EVS_L3_NO_ROUTE) {
		write_end(fib);
		route_free(r);
		return -ENOENT;
	}
	/* same id: the fib entry stays; only the route behind it changes */
	route_free(fib->routes[id]);
	fib->routes[id] = r;
	write_end(fib);
	return 0;
}

int evs_l3_route_del(struct evs_l3_fib *fib, const struct evs_l3_prefix *pfx)
{
	int rc;

	if (fib == NULL || prefix_check(pfx) != 0)
		return -EINVAL;
	rte_rwlock_write_lock(&fib->lock);
	rc = del_locked(fib, pfx);
	write_end(fib);
	return rc;
}

/* Add @n routes, the i-th with spec[i * step] (step 0: one spec for all). */
static int add_bulk(struct evs_l3_fib *fib, const struct evs_l3_prefix *pfx,
		    const struct evs_l3_route_spec *spec, size_t step, uint32_t n, uint32_t *failed)
{
	uint32_t i, done = 0;
	int rc = 0;

	if (fib == NULL || (n > 0 && (pfx == NULL || spec == NULL)))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (prefix_check(&pfx[i]) != 0 ||
		    spec_check(&spec[i * step], pfx[i].addr.family) != 0) {
			if (failed != NULL)
				*failed = i;
			return -EINVAL;
		}
	}
	while (done < n && rc == 0) {
		uint32_t end = RTE_MIN(n, done + BULK_CHUNK);

		rte_rwlock_write_lock(&fib->lock);
		for (; done < end; done++) {
			rc = add_locked(fib, &pfx[done], &spec[done * step]);
			if (rc != 0)
				break;
		}
		write_end(fib);
	}
	if (rc == 0)
		return 0;
	if (failed != NULL)
		*failed = done;
	/* all or nothing: take back what this call added */
	while (done > 0) {
		uint32_t start = done > BULK_CHUNK ? done - BULK_CHUNK : 0;

		rte_rwlock_write_lock(&fib->lock);
		while (done > start)
			del_locked(fib, &pfx[--done]);
		write_end(fib);
	}
	return rc;
}

int evs_l3_route_add_bulk(struct evs_l3_fib *fib, const struct evs_l3_prefix *pfx,
			  const struct evs_l3_route_spec *spec, uint32_t n, uint32_t *failed)
{
	return add_bulk(fib, pfx, spec, 1, n, failed);
}

int evs_l3_route_add_bulk_same(struct evs_l3_fib *fib, const struct evs_l3_prefix *pfx,
			       const struct evs_l3_route_spec *spec, uint32_t n, uint32_t *failed)
{
	return add_bulk(fib, pfx, spec, 0, n, failed);
}

int evs_l3_route_del_bulk(struct evs_l3_fib *fib, const struct evs_l3_prefix *pfx, uint32_t n,
			  uint32_t *failed)
{
	uint32_t i, done = 0;

	if (fib == NULL || (n > 0 && pfx == NULL))
		return -EINVAL;
	/* check first: deletions cannot be taken back without the specs */
	for (i = 0; i < n; i++) {
		int rc = prefix_check(&pfx[i]) != 0		     ? -EINVAL
			 : exact_id(fib, &pfx[i]) == EVS_L3_NO_ROUTE ? -ENOENT
								     : 0;

		if (rc != 0) {
			if (failed != NULL)
				*failed = i;
			return rc;
		}
	}
	while (done < n) {
		uint32_t end = RTE_MIN(n, done + BULK_CHUNK);

		rte_rwlock_write_lock(&fib->lock);
		for (; done < end; done++)
			del_locked(fib, &pfx[done]); /* a prefix listed twice goes once */
		write_end(fib);
	}
	return 0;
}

int evs_l3_route_get(const struct evs_l3_fib *fib, const struct evs_l3_prefix *pfx,
		     struct evs_l3_route_spec *spec)
{
	uint32_t id;

	if (fib == NULL || spec == NULL || prefix_check(pfx) != 0)
		return -EINVAL;
	id = exact_id(fib, pfx);
	if (id == EVS_L3_NO_ROUTE)
		return -ENOENT;
	route_spec(fib->routes[id], spec);
	return 0;
}

uint32_t evs_l3_fib_count(const struct evs_l3_fib *fib, enum evs_l3_family family)
{
	return family == EVS_L3_IPV4 ? fib->n4 : family == EVS_L3_IPV6 ? fib->n6 : 0;
}

uint64_t evs_l3_fib_generation(const struct evs_l3_fib *fib)
{
	/* acquire: pairs with write_end's release */
	return __atomic_load_n(&fib->generation, __ATOMIC_ACQUIRE);
}

static int walk_one(const struct evs_l3_fib *fib, uint64_t nh,
		    int (*fn)(const struct evs_l3_prefix *, const struct evs_l3_route_spec *,
			      void *),
		    void *arg)
{
	const struct l3_route *r = fib->routes[(uint32_t)nh];
	struct evs_l3_route_spec s;

	route_spec(r, &s);
	return fn(&r->pfx, &s, arg);
}

int evs_l3_fib_walk(const struct evs_l3_fib *fib, enum evs_l3_family family,
		    int (*fn)(const struct evs_l3_prefix *pfx, const struct evs_l3_route_spec *spec,
			      void *arg),
		    void *arg)
{
	uint64_t nh;
	int rc;

	if (fib == NULL || fn == NULL)
		return -EINVAL;
	if (family == EVS_L3_IPV4) {
		struct rte_rib_node *n = rte_rib_lookup_exact(fib->rib4, 0, 0);

		/* get_nxt lists prefixes under 0/0 but not 0/0 itself */
		if (n != NULL && rte_rib_get_nh(n, &nh) == 0 && (rc = walk_one(fib, nh, fn, arg)))
			return rc;
		for (n = rte_rib_get_nxt(fib->rib4, 0, 0, NULL, RTE_RIB_GET_NXT_ALL); n != NULL;
		     n = rte_rib_get_nxt(fib->rib4, 0, 0, n, RTE_RIB_GET_NXT_ALL)) {
			uint8_t d;

			if (rte_rib_get_depth(n, &d) == 0 && d == 0)
				continue;
			if (rte_rib_get_nh(n, &nh) == 0 && (rc = walk_one(fib, nh, fn, arg)))
				return rc;
		}
		return 0;
	}
	if (family == EVS_L3_IPV6) {
		static const uint8_t zero[16];
		struct rte_rib6_node *n = rte_rib6_lookup_exact(fib->rib6, zero, 0);

		if (n != NULL && rte_rib6_get_nh(n, &nh) == 0 && (rc = walk_one(fib, nh, fn, arg)))
			return rc;
		for (n = rte_rib6_get_nxt(fib->rib6, zero, 0, NULL, RTE_RIB6_GET_NXT_ALL);
		     n != NULL; n = rte_rib6_get_nxt(fib->rib6, zero, 0, n, RTE_RIB6_GET_NXT_ALL)) {
			uint8_t d;

			if (rte_rib6_get_depth(n, &d) == 0 && d == 0)
				continue;
			if (rte_rib6_get_nh(n, &nh) == 0 && (rc = walk_one(fib, nh, fn, arg)))
				return rc;
		}
		return 0;
	}
	return -EINVAL;
}

void evs_l3_fib_lookup4_bulk(const struct evs_l3_fib *fib, const uint32_t *ips, uint32_t *ids,
			     unsigned int n)
{
	uint64_t nh[32];
	struct evs_l3_fib *f = (struct evs_l3_fib *)(uintptr_t)fib;

	rte_rwlock_read_lock(&f->lock);
	for (unsigned int i = 0; i < n; i += 32) {
		unsigned int k = RTE_MIN(32u, n - i);

		rte_fib_lookup_bulk(f->fib4, (uint32_t *)(uintptr_t)(ips + i), nh, k);
		for (unsigned int j = 0; j < k; j++)
			ids[i + j] = nh[j] == L3_FIB_MISS ? EVS_L3_NO_ROUTE : (uint32_t)nh[j];
	}
	rte_rwlock_read_unlock(&f->lock);
}
