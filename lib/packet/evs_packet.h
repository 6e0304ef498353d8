/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_PACKET_H
#define EVS_PACKET_H

/**
 * @file
 * Packet parsing into a flow key, drop reasons, checksums and VLAN helpers.
 *
 * What: the lowest datapath library. A received frame is parsed once into a
 * compact struct evs_flow_key (fields in wire byte order, so no swapping on
 * the fast path) plus header offsets in the mbuf (l2_len, l3_len, l4_len).
 * Every later stage (L2 switching, the megaflow classifier, routing,
 * firewall) reads the key, never the raw headers again.
 *
 * Thread-safety: all functions are pure or touch only the mbufs/keys they are
 * given; any lcore may call them.
 */

#include <stdint.h>
#include <stdbool.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Set in evs_flow_key.vlan_tci when the frame carried an 802.1Q tag. */
#define EVS_VLAN_PRESENT 0x1000
/** VLAN id bits of a TCI (host order). */
#define EVS_VLAN_VID_MASK 0x0fff

/** Fragment bits of evs_flow_key.ip_frag. */
enum evs_frag {
	EVS_FRAG_ANY = 1 << 0,   /**< the packet is a fragment (first or later) */
	EVS_FRAG_LATER = 1 << 1, /**< a non-first fragment: no L4 header */
};

/**
 * Flow key: every field a pipeline stage may consult. Laid out in 64-bit
 * words so that masked compare and hashing run word by word. Fields not
 * present in the packet are zero. Multi-byte fields are in network order
 * except in_port, vlan_tci (host order, EVS_VLAN_PRESENT set when tagged),
 * vrf, ct_zone and tun_vni (host order).
 */
struct evs_flow_key {
	/* word 0: metadata and L2 type */
	uint16_t in_port;     /**< edgevs port index */
	uint16_t vlan_tci;    /**< outer tag TCI | EVS_VLAN_PRESENT, 0 if untagged */
	rte_be16_t ethertype; /**< after VLAN tags (inner), wire order */
	uint8_t ip_proto;     /**< IPPROTO_* or 0 */
	uint8_t ip_frag;      /**< enum evs_frag bits */
	/* words 1-2: MACs and small L3/L4 fields */
	struct rte_ether_addr dst_mac;
	struct rte_ether_addr src_mac;
	uint8_t ip_tos;    /**< IPv4 TOS / IPv6 traffic class (DSCP << 2 | ECN) */
	uint8_t ttl_class; /**< 0: TTL/hop limit 0, 1: exactly 1, 2: more than 1 */
	uint8_t tcp_flags; /**< TCP flags byte (FIN..CWR) */
	uint8_t ct_state;  /**< pipeline metadata: conntrack state bits */
	/* words 3-6: L3 addresses; IPv4 uses the first 4 bytes of each */
	uint8_t src_ip[16];
	uint8_t dst_ip[16];
	/* word 7: L4 ports (ICMP: type in l4_src, code in l4_dst), pipeline metadata */
	rte_be16_t l4_src;
	rte_be16_t l4_dst;
	uint16_t vrf;     /**< pipeline metadata: VRF id */
	uint16_t ct_zone; /**< pipeline metadata: conntrack zone */
	/* words 8-12: tunnel metadata (set after decapsulation) */
	uint32_t tun_vni;       /**< GENEVE/VXLAN VNI, host order, 0 if none */
	uint32_t tun_opt_flags; /**< bit per GENEVE option class seen; bit 31: tunnel present */
	uint8_t tun_src[16];    /**< outer source (IPv4 in the first 4 bytes) */
	uint8_t tun_dst[16];    /**< outer destination */
} __rte_aligned(8);

#define EVS_FLOW_KEY_WORDS (sizeof(struct evs_flow_key) / sizeof(uint64_t))

/**
 * Why a packet was dropped. Every drop on the datapath is counted under one
 * of these; the control socket reports them by name.
 */
enum evs_drop_reason {
	EVS_DROP_NONE = 0,
	EVS_DROP_RUNT,            /**< shorter than an Ethernet header */
	EVS_DROP_BAD_VLAN,        /**< truncated tag or more tags than supported */
	EVS_DROP_BAD_L3,          /**< truncated/invalid IPv4/IPv6/ARP header */
	EVS_DROP_BAD_L4,          /**< truncated TCP/UDP/ICMP header */
	EVS_DROP_OVERSIZE,        /**< longer than the port MTU allows */
	EVS_DROP_NO_SWITCH,       /**< input port not attached to any switch */
	EVS_DROP_VLAN_NOT_MEMBER, /**< VLAN not carried by the input port */
	EVS_DROP_SRC_MAC_MCAST,   /**< source MAC is multicast/broadcast */
	EVS_DROP_HAIRPIN,         /**< destination is the input port */
	EVS_DROP_PORT_DOWN,       /**< output port gone or link down */
	EVS_DROP_TX_FULL,         /**< output queue full */
	EVS_DROP_NO_MBUF,         /**< no mbuf for a flood copy or tag push */
	EVS_DROP_LEARN_FULL,      /**< learning queue or MAC table full (packet still forwarded) */
	EVS_DROP_REASON_MAX,
};

/** Name of a drop reason for reports ("runt", "bad_vlan", ...); never NULL. */
const char *evs_drop_reason_name(enum evs_drop_reason r);

/**
 * Parse one frame into @p key and set m->l2_len/l3_len/l4_len.
 *
 * Accepts Ethernet II with up to two VLAN tags (0x8100/0x88a8; the outer one
 * is reported in vlan_tci), IPv4 (options allowed), IPv6 (extension headers
 * hop-by-hop, routing, destination options and fragment walked), ARP, TCP,
 * UDP, ICMP, ICMPv6, SCTP ports. Unknown ethertypes and L4 protocols are
 * valid (L2-only or L3-only key). Never reads past the first segment's data
 * or past the lengths the headers claim.
 *
 * @return EVS_DROP_NONE, or the reason to drop (EVS_DROP_RUNT,
 *   EVS_DROP_BAD_VLAN, EVS_DROP_BAD_L3, EVS_DROP_BAD_L4).
 */
enum evs_drop_reason evs_packet_parse(struct rte_mbuf *m, uint16_t in_port,
				      struct evs_flow_key *key);

/** Hash of a whole key (CRC32C over its words). */
uint32_t evs_flow_key_hash(const struct evs_flow_key *key, uint32_t seed);

/**
 * Rewrite the outer VLAN tag of an Ethernet frame in place.
 * @param vlan_tci  0 to remove the outer tag (if any); otherwise the TCI to
 *   set (host order, EVS_VLAN_PRESENT ignored), pushing a tag if untagged.
 * @return 0, -ENOSPC when there is no headroom to push, -EINVAL on a runt.
 */
int evs_packet_set_vlan(struct rte_mbuf *m, uint16_t vlan_tci);

/** Internet checksum helpers (RFC 1071), results in network order. */
uint16_t evs_ipv4_hdr_cksum(const void *ipv4_hdr);
/** Fill in the L4 checksum of an IPv4 or IPv6 TCP/UDP/ICMP packet parsed by evs_packet_parse. */
int evs_l4_cksum_fill(struct rte_mbuf *m, const struct evs_flow_key *key);

#ifdef __cplusplus
}
#endif
#endif /* EVS_PACKET_H */
