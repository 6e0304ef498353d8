/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_PACKET_PRIVATE_H
#define EVS_PACKET_PRIVATE_H

/* Helpers shared by the packet library's files; not installed. */

#include <stdint.h>
#include <string.h>
#include <rte_byteorder.h>
#include <rte_mbuf.h>

#include "evs_packet.h"

#define EVS_ETH_HLEN 14
#define EVS_VLAN_HLEN 4
#define EVS_ETH_TYPE_VLAN 0x8100
#define EVS_ETH_TYPE_QINQ 0x88a8

/* Unaligned 16-bit load, value left in wire order. */
static inline rte_be16_t evs_rd_be16(const uint8_t *p)
{
	rte_be16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline void evs_wr_be16(uint8_t *p, rte_be16_t v)
{
	memcpy(p, &v, sizeof(v));
}

static inline int evs_is_vlan_tpid(rte_be16_t t)
{
	return t == RTE_BE16(EVS_ETH_TYPE_VLAN) || t == RTE_BE16(EVS_ETH_TYPE_QINQ);
}

/* Push a tag (tpid, tci host order) in front of the ethertype; no l2_len change. */
int evs_vlan_push_raw(struct rte_mbuf *m, uint16_t tpid, uint16_t tci);

/* Re-insert tags a NIC stripped on receive; 0 or -ENOSPC. */
int evs_vlan_unstrip(struct rte_mbuf *m);

/* evs_packet_parse() without its fast path for the common frame: the
 * reference the fast path is tested against. */
enum evs_drop_reason evs_packet_parse_full(struct rte_mbuf *m, uint16_t in_port,
					   struct evs_flow_key *key);

#endif /* EVS_PACKET_PRIVATE_H */
