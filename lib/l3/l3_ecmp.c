/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ECMP: a flow hash, and buckets given to next hops by weighted rendezvous
 * (highest random weight) hashing. Each (bucket, next hop) pair has a fixed
 * pseudo-random score scaled by the weight; a bucket belongs to the best
 * scorer among the next hops present. Removing a next hop therefore moves
 * only the buckets it owned, which is the property consistent hashing asks
 * for, and every host computes the same table from the same route.
 */
#include <errno.h>
#include <math.h>
#include <netinet/in.h>

#include <rte_hash_crc.h>

#include "l3_fib_private.h"

static uint64_t mix64(uint64_t x)
{
	/* splitmix64's finaliser: every input bit moves every output bit */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

/* A next hop's identity: its port and gateway, not its place in the list. */
static uint64_t nh_id(const struct evs_l3_nexthop *nh)
{
	uint64_t h = mix64(nh->port + 1);

	if (nh->via) {
		uint64_t gw[2]; /* aligned: rte_hash_crc loads 8 bytes at a time */

		memcpy(gw, nh->gw.b, sizeof(gw));
		h = rte_hash_crc(gw, sizeof(gw), (uint32_t)h) ^ (h << 1);
	}
	return h;
}

int evs_l3_ecmp_fill(const struct evs_l3_nexthop *nh, uint16_t n, uint8_t *buckets)
{
	uint64_t ids[EVS_L3_ECMP_MAX];

	if (nh == NULL || buckets == NULL || n == 0 || n > EVS_L3_ECMP_MAX)
		return -EINVAL;
	for (uint16_t i = 0; i < n; i++) {
		if (nh[i].weight == 0)
			return -EINVAL;
		ids[i] = nh_id(&nh[i]);
	}
	for (unsigned int b = 0; b < EVS_L3_ECMP_BUCKETS; b++) {
		double best = -1;

		for (uint16_t i = 0; i < n; i++) {
			/* u uniform in (0, 1): -w / ln(u) is the weighted HRW score
			 * (Schindelhauer and Schomaker's logarithmic method) */
			double u =
			    ((double)(mix64(ids[i] ^ mix64(b)) >> 11) + 0.5) / 9007199254740992.0;
			double score = -(double)nh[i].weight / log(u);

			if (score > best) {
				best = score;
				buckets[b] = (uint8_t)i;
			}
		}
	}
	return 0;
}

uint32_t evs_l3_flow_hash(const struct evs_flow_key *key, bool symmetric)
{
	const uint8_t *a = key->src_ip, *b = key->dst_ip;
	/* only the family's bytes: what a megaflow on the address matches */
	unsigned int alen = key->ethertype == RTE_BE16(RTE_ETHER_TYPE_IPV4) ? 4 : 16;
	uint16_t pa = 0, pb = 0;
	uint32_t h;

	if ((key->ip_proto == IPPROTO_TCP || key->ip_proto == IPPROTO_UDP ||
	     key->ip_proto == IPPROTO_SCTP) &&
	    !(key->ip_frag & EVS_FRAG_ANY)) {
		pa = key->l4_src;
		pb = key->l4_dst;
	}
	/* symmetric: order the two endpoints so both directions hash alike */
	if (symmetric) {
		int c = memcmp(a, b, alen);

		if (c > 0 || (c == 0 && pa > pb)) {
			const uint8_t *t = a;
			uint16_t tp = pa;

			a = b;
			b = t;
			pa = pb;
			pb = tp;
		}
	}
	h = rte_hash_crc(a, alen, key->ip_proto);
	h = rte_hash_crc(b, alen, h);
	h = rte_hash_crc_4byte((uint32_t)pa << 16 | pb, h);
	return (uint32_t)mix64(h);
}
