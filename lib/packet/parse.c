/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frame parser: Ethernet, VLAN, IPv4/IPv6/ARP, TCP/UDP/SCTP/ICMP into a flow
 * key. Every read is checked against two limits: the first segment's data
 * (what we can touch) and the length the enclosing header claims (what the
 * sender meant), whichever is shorter.
 */
#include <netinet/in.h>
#include <stddef.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_ip.h>

#include "evs_packet.h"
#include "packet_private.h"

#define IPV4_MIN_HLEN 20
#define IPV6_HLEN 40
#define ARP_ETH_IPV4_LEN 28
#define IPV6_MAX_EXT_HDRS 8
#define L3_LEN_MAX 511	    /* width of m->l3_len */
#define ETH_MAX_LENGTH 1500 /* largest 802.3 length field value */
#define ETH_MIN_TYPE 0x0600 /* smallest EtherType */

static inline uint8_t ttl_class(uint8_t ttl)
{
	return ttl > 1 ? 2 : ttl;
}

/*
 * L4 header at @l4; @seg_end bounds what we may read, @ip_payload is the
 * L4 length the IP header claims (may extend into later segments).
 */
static enum evs_drop_reason parse_l4(struct rte_mbuf *m, const uint8_t *p, uint32_t l4,
				     uint32_t seg_end, uint32_t ip_payload,
				     struct evs_flow_key *key)
{
	uint32_t avail = seg_end - l4;
	const uint8_t *h = p + l4;
	uint32_t hlen;

	switch (key->ip_proto) {
	case IPPROTO_TCP:
		if (avail < 20)
			return EVS_DROP_BAD_L4;
		hlen = (uint32_t)(h[12] >> 4) * 4;
		if (hlen < 20 || hlen > avail)
			return EVS_DROP_BAD_L4;
		key->l4_src = evs_rd_be16(h);
		key->l4_dst = evs_rd_be16(h + 2);
		key->tcp_flags = h[13];
		break;
	case IPPROTO_UDP: {
		uint16_t ulen;

		if (avail < 8)
			return EVS_DROP_BAD_L4;
		ulen = rte_be_to_cpu_16(evs_rd_be16(h + 4));
		/* a first fragment's UDP length is the whole datagram's */
		if (ulen < 8 || (ulen > ip_payload && !(key->ip_frag & EVS_FRAG_ANY)))
			return EVS_DROP_BAD_L4;
		key->l4_src = evs_rd_be16(h);
		key->l4_dst = evs_rd_be16(h + 2);
		hlen = 8;
		break;
	}
	case IPPROTO_SCTP:
		if (avail < 12)
			return EVS_DROP_BAD_L4;
		key->l4_src = evs_rd_be16(h);
		key->l4_dst = evs_rd_be16(h + 2);
		hlen = 12;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (avail < 8)
			return EVS_DROP_BAD_L4;
		key->l4_src = rte_cpu_to_be_16(h[0]);
		key->l4_dst = rte_cpu_to_be_16(h[1]);
		hlen = 8;
		break;
	default:
		return EVS_DROP_NONE;
	}
	m->l4_len = hlen;
	return EVS_DROP_NONE;
}

static enum evs_drop_reason parse_ipv4(struct rte_mbuf *m, const uint8_t *p, uint32_t len,
				       uint32_t off, struct evs_flow_key *key)
{
	const uint8_t *ip = p + off;
	uint32_t hlen, tot, seg_end;
	uint16_t frag;

	if (len < off + IPV4_MIN_HLEN || (ip[0] >> 4) != 4)
		return EVS_DROP_BAD_L3;
	hlen = (uint32_t)(ip[0] & 0xf) * 4;
	tot = rte_be_to_cpu_16(evs_rd_be16(ip + 2));
	if (hlen < IPV4_MIN_HLEN || off + hlen > len || tot < hlen ||
	    off + tot > rte_pktmbuf_pkt_len(m))
		return EVS_DROP_BAD_L3;

	key->ip_tos = ip[1];
	key->ttl_class = ttl_class(ip[8]);
	key->ip_proto = ip[9];
	memcpy(key->src_ip, ip + 12, 4);
	memcpy(key->dst_ip, ip + 16, 4);
	m->l3_len = hlen;

	frag = rte_be_to_cpu_16(evs_rd_be16(ip + 6));
	if (frag & RTE_IPV4_HDR_OFFSET_MASK) {
		key->ip_frag = EVS_FRAG_ANY | EVS_FRAG_LATER;
		return EVS_DROP_NONE;
	}
	if (frag & RTE_IPV4_HDR_MF_FLAG)
		key->ip_frag = EVS_FRAG_ANY;

	seg_end = RTE_MIN(len, off + tot);
	return parse_l4(m, p, off + hlen, seg_end, tot - hlen, key);
}

static enum evs_drop_reason parse_ipv6(struct rte_mbuf *m, const uint8_t *p, uint32_t len,
				       uint32_t off, struct evs_flow_key *key)
{
	const uint8_t *ip = p + off;
	uint32_t ip_end, seg_end, h, hl;
	uint8_t nh;
	int i;

	if (len < off + IPV6_HLEN || (ip[0] >> 4) != 6)
		return EVS_DROP_BAD_L3;
	ip_end = off + IPV6_HLEN + rte_be_to_cpu_16(evs_rd_be16(ip + 4));
	if (ip_end > rte_pktmbuf_pkt_len(m))
		return EVS_DROP_BAD_L3;
	seg_end = RTE_MIN(len, ip_end);

	key->ip_tos = (uint8_t)(((ip[0] & 0x0f) << 4) | (ip[1] >> 4));
	key->ttl_class = ttl_class(ip[7]);
	memcpy(key->src_ip, ip + 8, 16);
	memcpy(key->dst_ip, ip + 24, 16);

	nh = ip[6];
	h = off + IPV6_HLEN;
	for (i = 0;; i++) {
		const uint8_t *x = p + h;
		uint16_t frag;

		if (nh != IPPROTO_HOPOPTS && nh != IPPROTO_ROUTING && nh != IPPROTO_DSTOPTS &&
		    nh != IPPROTO_AH && nh != IPPROTO_FRAGMENT)
			break;
		/* Hop-by-hop is only valid right after the fixed header (RFC 8200). */
		if (i == IPV6_MAX_EXT_HDRS || (nh == IPPROTO_HOPOPTS && i != 0) || h + 8 > seg_end)
			return EVS_DROP_BAD_L3;
		if (nh == IPPROTO_FRAGMENT)
			hl = 8;
		else if (nh == IPPROTO_AH)
			hl = ((uint32_t)x[1] + 2) * 4;
		else
			hl = ((uint32_t)x[1] + 1) * 8;
		if (h + hl > seg_end)
			return EVS_DROP_BAD_L3;
		h += hl;
		if (nh == IPPROTO_FRAGMENT) {
			/* offset in the upper 13 bits of bytes 2-3, M in bit 0 */
			frag = rte_be_to_cpu_16(evs_rd_be16(x + 2));
			if (frag & 0xfff8) {
				key->ip_frag = EVS_FRAG_ANY | EVS_FRAG_LATER;
				nh = x[0];
				break;
			}
			if (frag & 1)
				key->ip_frag = EVS_FRAG_ANY;
		}
		nh = x[0];
	}
	if (h - off > L3_LEN_MAX)
		return EVS_DROP_BAD_L3;
	key->ip_proto = nh;
	m->l3_len = h - off;
	if (key->ip_frag & EVS_FRAG_LATER)
		return EVS_DROP_NONE;
	return parse_l4(m, p, h, seg_end, ip_end - h, key);
}

/* IEEE 802.3 3.2.6: a type/length field below 0x0600 is a length. */
static enum evs_drop_reason check_length(const struct rte_mbuf *m, uint32_t off, rte_be16_t type)
{
	uint16_t v = rte_be_to_cpu_16(type);

	if (v >= ETH_MIN_TYPE)
		return EVS_DROP_NONE;
	if (v > ETH_MAX_LENGTH)
		return EVS_DROP_BAD_ETHERTYPE;
	if (off + v > rte_pktmbuf_pkt_len(m))
		return EVS_DROP_BAD_LENGTH;
	return EVS_DROP_NONE;
}

static enum evs_drop_reason parse_arp(struct rte_mbuf *m, const uint8_t *p, uint32_t len,
				      uint32_t off, struct evs_flow_key *key)
{
	const uint8_t *a = p + off;

	/* Ethernet/IPv4 ARP only: htype 1, ptype 0x0800, hlen 6, plen 4. */
	if (len < off + ARP_ETH_IPV4_LEN || evs_rd_be16(a) != RTE_BE16(1) ||
	    evs_rd_be16(a + 2) != RTE_BE16(RTE_ETHER_TYPE_IPV4) || a[4] != 6 || a[5] != 4)
		return EVS_DROP_BAD_L3;
	key->l4_src = evs_rd_be16(a + 6);
	memcpy(key->src_ip, a + 14, 4);
	memcpy(key->dst_ip, a + 24, 4);
	m->l3_len = ARP_ETH_IPV4_LEN;
	return EVS_DROP_NONE;
}

enum evs_drop_reason evs_packet_parse_full(struct rte_mbuf *m, uint16_t in_port,
					   struct evs_flow_key *key)
{
	const uint8_t *p;
	uint32_t len, off;
	rte_be16_t type;

	memset(key, 0, sizeof(*key));
	key->in_port = in_port;
	m->l2_len = 0;
	m->l3_len = 0;
	m->l4_len = 0;

	if (unlikely(m->ol_flags & (RTE_MBUF_F_RX_VLAN_STRIPPED | RTE_MBUF_F_RX_QINQ_STRIPPED)) &&
	    evs_vlan_unstrip(m) < 0)
		return EVS_DROP_BAD_VLAN;

	p = rte_pktmbuf_mtod(m, const uint8_t *);
	len = rte_pktmbuf_data_len(m);
	if (unlikely(len < EVS_ETH_HLEN))
		return EVS_DROP_RUNT;
	memcpy(&key->dst_mac, p, RTE_ETHER_ADDR_LEN);
	memcpy(&key->src_mac, p + RTE_ETHER_ADDR_LEN, RTE_ETHER_ADDR_LEN);
	type = evs_rd_be16(p + 12);
	off = EVS_ETH_HLEN;

	if (evs_is_vlan_tpid(type)) {
		if (len < off + EVS_VLAN_HLEN)
			return EVS_DROP_BAD_VLAN;
		key->vlan_tci = rte_be_to_cpu_16(evs_rd_be16(p + off)) | EVS_VLAN_PRESENT;
		type = evs_rd_be16(p + off + 2);
		off += EVS_VLAN_HLEN;
		if (evs_is_vlan_tpid(type)) {
			if (len < off + EVS_VLAN_HLEN)
				return EVS_DROP_BAD_VLAN;
			type = evs_rd_be16(p + off + 2);
			off += EVS_VLAN_HLEN;
			if (evs_is_vlan_tpid(type))
				return EVS_DROP_BAD_VLAN;
		}
	}
	key->ethertype = type;
	m->l2_len = off;

	switch (type) {
	case RTE_BE16(RTE_ETHER_TYPE_IPV4):
		return parse_ipv4(m, p, len, off, key);
	case RTE_BE16(RTE_ETHER_TYPE_IPV6):
		return parse_ipv6(m, p, len, off, key);
	case RTE_BE16(RTE_ETHER_TYPE_ARP):
		return parse_arp(m, p, len, off, key);
	default:
		return check_length(m, off, type);
	}
}

/*
 * The frame a switch sees most: untagged IPv4 without options, not a
 * fragment, UDP or TCP, headers in the first segment. Its checks are the
 * full parser's for that case, merged into a few compares; anything else
 * (and every error) goes to the full parser, which gives the reason.
 */
static inline bool parse_fast(struct rte_mbuf *m, uint16_t in_port, struct evs_flow_key *key)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	const uint8_t *ip = p + EVS_ETH_HLEN, *l4 = ip + IPV4_MIN_HLEN;
	uint32_t len = rte_pktmbuf_data_len(m), tot, hlen;
	uint8_t proto;

	if (unlikely(
		len < EVS_ETH_HLEN + IPV4_MIN_HLEN + 20 ||
		(m->ol_flags & (RTE_MBUF_F_RX_VLAN_STRIPPED | RTE_MBUF_F_RX_QINQ_STRIPPED)) ||
		evs_rd_be16(p + 12) != RTE_BE16(RTE_ETHER_TYPE_IPV4) || ip[0] != 0x45 ||
		(evs_rd_be16(ip + 6) & RTE_BE16(RTE_IPV4_HDR_OFFSET_MASK | RTE_IPV4_HDR_MF_FLAG))))
		return false;
	proto = ip[9];
	tot = rte_be_to_cpu_16(evs_rd_be16(ip + 2));
	if (proto == IPPROTO_UDP) {
		uint32_t ulen = rte_be_to_cpu_16(evs_rd_be16(l4 + 4));

		if (unlikely(ulen < 8 || ulen + IPV4_MIN_HLEN > tot))
			return false;
		hlen = 8;
	} else if (proto == IPPROTO_TCP) {
		hlen = (uint32_t)(l4[12] >> 4) * 4;
		/* a TCP header within the first segment and the IP length */
		if (unlikely(hlen < 20 || EVS_ETH_HLEN + IPV4_MIN_HLEN + hlen > len ||
			     IPV4_MIN_HLEN + hlen > tot))
			return false;
		key->tcp_flags = l4[13];
	} else {
		return false;
	}
	if (unlikely(tot < IPV4_MIN_HLEN + 8 || EVS_ETH_HLEN + tot > rte_pktmbuf_pkt_len(m)))
		return false;
	key->in_port = in_port;
	key->ethertype = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	key->ip_proto = proto;
	/* both MACs, and both ports, with one copy each (adjacent in frame and key) */
	RTE_BUILD_BUG_ON(offsetof(struct evs_flow_key, src_mac) !=
			 offsetof(struct evs_flow_key, dst_mac) + RTE_ETHER_ADDR_LEN);
	RTE_BUILD_BUG_ON(offsetof(struct evs_flow_key, l4_dst) !=
			 offsetof(struct evs_flow_key, l4_src) + 2);
	memcpy((uint8_t *)key + offsetof(struct evs_flow_key, dst_mac), p, 2 * RTE_ETHER_ADDR_LEN);
	key->ip_tos = ip[1];
	key->ttl_class = ttl_class(ip[8]);
	memcpy(key->src_ip, ip + 12, 4);
	memcpy(key->dst_ip, ip + 16, 4);
	memcpy((uint8_t *)key + offsetof(struct evs_flow_key, l4_src), l4, 4);
	m->l2_len = EVS_ETH_HLEN;
	m->l3_len = IPV4_MIN_HLEN;
	m->l4_len = hlen;
	return true;
}

enum evs_drop_reason evs_packet_parse(struct rte_mbuf *m, uint16_t in_port,
				      struct evs_flow_key *key)
{
	memset(key, 0, sizeof(*key));
	if (likely(parse_fast(m, in_port, key)))
		return EVS_DROP_NONE;
	return evs_packet_parse_full(m, in_port, key);
}
