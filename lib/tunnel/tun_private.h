/* SPDX-License-Identifier: BSD-3-Clause */
/* Internals shared by lib/tunnel's encap and decap paths. */
#ifndef EVS_TUN_PRIVATE_H
#define EVS_TUN_PRIVATE_H

#include <stdint.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_mbuf.h>

#include "evs_tunnel.h"

/* Packets per internal chunk (the status array). */
#define TUN_CHUNK 64u

#define VXLAN_HDR_LEN 8u
#define GENEVE_HDR_LEN 8u
#define VXLAN_FLAG_I 0x08u
#define GENEVE_O_BIT 0x80u
#define GENEVE_C_BIT 0x40u
#define GENEVE_OPT_CRITICAL 0x80u
#define ETH_P_TEB 0x6558u /* transparent Ethernet bridging: GENEVE's Ethernet payload */

/* Single-writer counter readable from other lcores: relaxed is enough,
 * readers only need an untorn value. */
static inline void tun_count(uint64_t *c, uint64_t v)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + v, __ATOMIC_RELAXED);
}

static inline uint16_t tun_fold(uint32_t s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* One's-complement sum of an IPv4 header of @p hl bytes: 0xffff when its
 * checksum verifies. The usual 20 bytes as two 64-bit and one 32-bit word
 * (their halves added in 64 bits: no carry lost; a third of rte_raw_cksum's
 * instructions); options the generic way. */
static inline uint16_t tun_ip4_hdr_sum(const void *h, unsigned int hl)
{
	uint64_t a, b, s;
	uint32_t c;

	if (unlikely(hl != 20))
		return rte_raw_cksum(h, hl);
	memcpy(&a, h, 8);
	memcpy(&b, (const uint8_t *)h + 8, 8);
	memcpy(&c, (const uint8_t *)h + 16, 4);
	s = (a & 0xffffffff) + (a >> 32) + (b & 0xffffffff) + (b >> 32) + c;
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffffffff) + (s >> 32);
	return tun_fold((uint32_t)s);
}

/* One's-complement sum of a UDP datagram at @p l4_off of @p m (the
 * pseudo-header of @p ip included); 0xffff when a filled checksum verifies. */
static inline uint16_t tun_udp_sum(const struct rte_mbuf *m, const void *ip, unsigned int v,
				   uint32_t l4_off, uint32_t l4_len)
{
	uint16_t raw = 0;

	if (rte_raw_cksum_mbuf(m, l4_off, l4_len, &raw) != 0)
		return 0;
	return tun_fold((uint32_t)raw +
			(v == 4 ? rte_ipv4_phdr_cksum(ip, 0) : rte_ipv6_phdr_cksum(ip, 0)));
}

/* Move packets with status[i] != 0 behind the others, both keeping their
 * order, over chunk [off, off + len) of a burst whose first @p k packets
 * are already accepted and [k, off) rejected. Returns the new accepted count. */
uint16_t tun_partition(struct rte_mbuf **pkts, const uint8_t *status, uint16_t k, uint16_t off,
		       uint16_t len);

#endif /* EVS_TUN_PRIVATE_H */
