/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The per-packet part of routing: MTU and option checks, TTL / hop-limit
 * decrement and the MAC rewrite, for a burst of one megaflow. The decision
 * (route, next hop, MACs) was made once by evs_l3_decide; nothing here
 * looks anything up. The common case (IPv4 without options, TTL > 1,
 * within the MTU) is inline in l3_private.h (l3_fwd_one); the rest here.
 */
#include <rte_ip.h>

#include "l3_private.h"

#define IPOPT_LSRR 131
#define IPOPT_SSRR 137

/* Does an IPv4 header with options carry a source route? (RFC 7126 4.3, 4.4: drop) */
static bool source_routed(const uint8_t *ip, unsigned int ihl)
{
	unsigned int i = 20;

	while (i < ihl) {
		uint8_t t = ip[i];

		if (t == RTE_IPV4_HDR_OPT_EOL)
			return false;
		if (t == RTE_IPV4_HDR_OPT_NOP) {
			i++;
			continue;
		}
		if (t == IPOPT_LSRR || t == IPOPT_SSRR)
			return true;
		if (i + 1 >= ihl || ip[i + 1] < 2)
			return true; /* malformed: treat like the worst case */
		i += ip[i + 1];
	}
	return false;
}

/* The cases l3_fwd_one leaves: IPv4 options, IPv6, TTL, MTU. */
enum evs_l3_fwd_result l3_fwd_slow(struct rte_mbuf *m, const struct rte_ether_addr *src_mac,
				   const struct rte_ether_addr *dst_mac, uint16_t mtu)
{
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, m->l2_len);
	bool big = rte_pktmbuf_pkt_len(m) > (uint32_t)m->l2_len + mtu;

	if ((ip[0] >> 4) == 4) {
		struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)ip;
		unsigned int ihl = (h->version_ihl & 0xf) * 4u;

		if (ihl > sizeof(*h) && source_routed(ip, ihl))
			return EVS_L3_FWD_SOURCE_ROUTE;
		if (h->time_to_live <= 1)
			return EVS_L3_FWD_TTL;
		if (big)
			return h->fragment_offset & RTE_BE16(RTE_IPV4_HDR_DF_FLAG)
				   ? EVS_L3_FWD_TOO_BIG
				   : EVS_L3_FWD_NO_FRAG;
		l3_ttl_dec4(h);
	} else {
		struct rte_ipv6_hdr *h = (struct rte_ipv6_hdr *)ip;

		if (h->hop_limits <= 1)
			return EVS_L3_FWD_TTL;
		if (big)
			return EVS_L3_FWD_TOO_BIG;
		h->hop_limits--;
	}
	eh->dst_addr = *dst_mac;
	eh->src_addr = *src_mac;
	return EVS_L3_FWD_OK;
}

uint16_t evs_l3_forward_burst(struct rte_mbuf **pkts, uint16_t n,
			      const struct rte_ether_addr *src_mac,
			      const struct rte_ether_addr *dst_mac, uint16_t mtu, uint8_t *res)
{
	uint16_t ok = 0;

	const struct rte_ether_addr macs[2] = {*dst_mac, *src_mac};
	const struct l3_macs v = l3_macs_of(macs);

	for (uint16_t i = 0; i < n; i++) {
		res[i] = (uint8_t)l3_fwd_one(pkts[i], v, macs, mtu);
		ok += res[i] == EVS_L3_FWD_OK;
	}
	return ok;
}
