/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Longest-prefix match with the megaflow mask it needs.
 *
 * The matched prefix length d is not always enough bits for a megaflow: with
 * 10.0.0.0/8 and 10.2.0.0/16 in the table, 10.1.2.3 matches the /8, but a
 * megaflow on 10/8 would also catch 10.2.x.x. The mask must be long enough
 * that its block holds no more-specific prefix: the fewest bits L >= d such
 * that no route lies strictly inside dst/L. "Some route lies strictly inside
 * dst/L" only gets false as L grows (the blocks nest), so L is found by a
 * binary search with the RIB's "next more specific" query.
 */
#include <errno.h>

#include <rte_rib.h>
#include <rte_rib6.h>

#include "l3_fib_private.h"

/* Is there a route of length > @p len inside ip/len? */
static bool inside4(struct rte_rib *rib, uint32_t dst, uint8_t len)
{
	uint32_t ip = dst & rte_rib_depth_to_mask(len);
	struct rte_rib_node *n = NULL;
	uint8_t d;

	/* the walk may return ip/len itself first (ascending order) */
	while ((n = rte_rib_get_nxt(rib, ip, len, n, RTE_RIB_GET_NXT_ALL)) != NULL)
		if (rte_rib_get_depth(n, &d) == 0 && d > len)
			return true;
	return false;
}

static bool inside6(struct rte_rib6 *rib, const uint8_t dst[16], uint8_t len)
{
	struct rte_rib6_node *n = NULL;
	uint8_t ip[16];
	uint8_t d;

	memcpy(ip, dst, 16);
	l3_mask_bytes(ip, len, 16);
	while ((n = rte_rib6_get_nxt(rib, ip, len, n, RTE_RIB6_GET_NXT_ALL)) != NULL)
		if (rte_rib6_get_depth(n, &d) == 0 && d > len)
			return true;
	return false;
}

/* Smallest L in [lo, max] with nothing inside dst/L (true at max). */
static uint8_t mask_search(const struct evs_l3_fib *fib, const struct evs_l3_addr *dst,
			   unsigned int lo, unsigned int max)
{
	unsigned int hi = max;
	uint32_t v4 = dst->family == EVS_L3_IPV4 ? l3_v4(dst->b) : 0;

	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;
		bool in = dst->family == EVS_L3_IPV4 ? inside4(fib->rib4, v4, (uint8_t)mid)
						     : inside6(fib->rib6, dst->b, (uint8_t)mid);

		if (in)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (uint8_t)lo;
}

static void pick(const struct l3_route *r, uint32_t hash, struct evs_l3_result *res)
{
	res->type = r->type;
	res->reject_code = r->reject_code;
	res->next_vrf = r->next_vrf;
	res->n_nh = r->n_nh;
	res->prefix = r->pfx;
	memset(&res->nh, 0, sizeof(res->nh));
	if (r->n_nh == 1)
		res->nh = r->nh[0];
	else if (r->n_nh > 1) /* multiply-shift: the hash's top bits pick the bucket */
		res->nh = r->nh[r->buckets[((uint64_t)hash * EVS_L3_ECMP_BUCKETS) >> 32]];
}

int evs_l3_fib_resolve(const struct evs_l3_fib *fib, const struct evs_l3_addr *dst, uint32_t hash,
		       struct evs_l3_result *res)
{
	struct evs_l3_fib *f = (struct evs_l3_fib *)(uintptr_t)fib;
	uint64_t nh = EVS_L3_NO_ROUTE;
	uint8_t depth = 0;
	bool found = false;

	if (fib == NULL || dst == NULL || res == NULL ||
	    (dst->family != EVS_L3_IPV4 && dst->family != EVS_L3_IPV6))
		return -EINVAL;
	memset(res, 0, sizeof(*res));
	rte_rwlock_read_lock(&f->lock);
	if (dst->family == EVS_L3_IPV4) {
		struct rte_rib_node *n = rte_rib_lookup(f->rib4, l3_v4(dst->b));

		found =
		    n != NULL && rte_rib_get_nh(n, &nh) == 0 && rte_rib_get_depth(n, &depth) == 0;
	} else {
		struct rte_rib6_node *n = rte_rib6_lookup(f->rib6, dst->b);

		found =
		    n != NULL && rte_rib6_get_nh(n, &nh) == 0 && rte_rib6_get_depth(n, &depth) == 0;
	}
	/* no match: every bit up to the first that separates dst from all
	 * routes decides that; the same search from 0 finds it */
	res->mask_len = mask_search(f, dst, found ? depth : 0, l3_max_len(dst->family));
	res->match_len = depth;
	if (found) {
		res->route_id = (uint32_t)nh;
		pick(f->routes[(uint32_t)nh], hash, res);
	} else {
		res->route_id = EVS_L3_NO_ROUTE;
	}
	rte_rwlock_read_unlock(&f->lock);
	return found ? 0 : -ENOENT;
}
