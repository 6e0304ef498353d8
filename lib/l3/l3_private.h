/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_L3_PRIVATE_H
#define EVS_L3_PRIVATE_H

/* Helpers shared by lib/l3's files; not part of the public API. */

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "evs_l3.h"
#include "evs_l3_module.h"

/* Drop reason names, the library's then the module's. */
extern const char *const l3_drop_names[EVS_L3_MOD_DROP_MAX];

/** Address bytes of a family. */
static inline unsigned int l3_addr_len(uint8_t family)
{
	return family == EVS_L3_IPV4 ? 4 : 16;
}

/** Most prefix length of a family, 0 for an unknown family. */
static inline unsigned int l3_max_len(uint8_t family)
{
	return family == EVS_L3_IPV4 ? 32 : family == EVS_L3_IPV6 ? 128 : 0;
}

/** Bit @p i (0 = most significant) of a wire-order address. */
static inline bool l3_bit(const uint8_t *a, unsigned int i)
{
	return (a[i / 8] >> (7 - i % 8)) & 1;
}

/** Clear the bits of @p a from @p len on (of @p nbytes). */
static inline void l3_mask_bytes(uint8_t *a, unsigned int len, unsigned int nbytes)
{
	for (unsigned int i = 0; i < nbytes; i++) {
		unsigned int lo = i * 8;

		if (len <= lo)
			a[i] = 0;
		else if (len < lo + 8)
			a[i] &= (uint8_t)(0xff << (8 - (len - lo)));
	}
}

/* l3_mgmt.c: the module's punt handler (arg: struct evs_l3_mgmt). */
void l3_mgmt_punt(void *arg, struct rte_mbuf *m, uint16_t code);

/* Per-lcore context: counters of every router, written by its lcore only. */
struct l3_router_ctr {
	uint64_t routed, echo, punted;
	uint64_t drops[EVS_L3_MOD_DROP_MAX];
};

struct l3_lcore {
	struct l3_router_ctr r[EVS_L3_MAX_ROUTERS];
};

void *l3_lcore_create(const struct evs_module_lcore_args *args);
void l3_lcore_free(void *lctx);

/* The module's counters (totals over its routers). */
#define L3_CTR_MAX 3
extern const char *const l3_counter_names[L3_CTR_MAX];
void l3_counters_get(const void *lctx, uint64_t *vals);

/* Single writer (the owner lcore); readers use relaxed loads. */
static inline void l3_ctr_add(uint64_t *c, uint64_t v)
{
	__atomic_store_n(c, *c + v, __ATOMIC_RELAXED);
}

/*
 * TTL - 1 with the checksum: the word TTL shares with the protocol drops by
 * 0x0100, so the checksum (its complement sum) rises by 0x0100, with the
 * end-around carry. Byte order does not matter to a ones' complement sum:
 * added in the stored order, 0x0100 in network order. 0xffff (-0) becomes
 * 0 (+0), which verifies the same (RFC 1624 section 3 is about the other
 * direction: it cannot come out -0 from a valid header here).
 */
static inline void l3_ttl_dec4(struct rte_ipv4_hdr *h)
{
	uint32_t ck = (uint32_t)h->hdr_checksum + RTE_BE16(0x0100);

	h->hdr_checksum = (rte_be16_t)(ck + (ck >= 0xffff));
	h->time_to_live--;
}

enum evs_l3_fwd_result l3_fwd_slow(struct rte_mbuf *m, const struct rte_ether_addr *src_mac,
				   const struct rte_ether_addr *dst_mac, uint16_t mtu);

/*
 * The rewrite's 12 MAC bytes (destination then source, as in the header)
 * as two integers: passed by value they stay in registers across the
 * stores into packets, which a pointer to them could alias.
 */
struct l3_macs {
	uint64_t lo;
	uint32_t hi;
};

static inline struct l3_macs l3_macs_of(const struct rte_ether_addr macs[2])
{
	struct l3_macs v;

	memcpy(&v.lo, macs, sizeof(v.lo));
	memcpy(&v.hi, (const uint8_t *)macs + sizeof(v.lo), sizeof(v.hi));
	return v;
}

static inline void l3_macs_put(uint8_t *to, struct l3_macs v)
{
	memcpy(to, &v.lo, sizeof(v.lo));
	memcpy(to + sizeof(v.lo), &v.hi, sizeof(v.hi));
}

/*
 * One packet of evs_l3_forward_burst: the common case inline, the rest out
 * of line. @p macs: destination then source, as in the header (the slow
 * path's copy of @p v).
 */
static inline enum evs_l3_fwd_result l3_fwd_one(struct rte_mbuf *m, struct l3_macs v,
						const struct rte_ether_addr macs[2], uint16_t mtu)
{
	uint8_t *eh = rte_pktmbuf_mtod(m, uint8_t *);
	uint32_t l2_len = m->l2_len;
	struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)(eh + l2_len);

	if (unlikely(h->version_ihl != RTE_IPV4_VHL_DEF || h->time_to_live <= 1 ||
		     rte_pktmbuf_pkt_len(m) > l2_len + mtu))
		return l3_fwd_slow(m, &macs[1], &macs[0], mtu);
	l3_ttl_dec4(h);
	l3_macs_put(eh, v);
	return EVS_L3_FWD_OK;
}

/* RFC 1624 eqn. 3: checksum @p ck after a 16-bit word went from @p old to @p new. */
static inline rte_be16_t l3_cksum_adjust(rte_be16_t ck, uint16_t old, uint16_t new)
{
	uint32_t s = (uint16_t)~rte_be_to_cpu_16(ck) + (uint16_t)~old + new;

	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return rte_cpu_to_be_16((uint16_t)~s);
}

#endif /* EVS_L3_PRIVATE_H */
