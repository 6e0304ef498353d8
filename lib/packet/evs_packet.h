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
#include <rte_hash_crc.h>
#include <rte_mbuf.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Set in evs_flow_key.vlan_tci when the frame carried an 802.1Q tag. */
#define EVS_VLAN_PRESENT 0x1000
/** VLAN id bits of a TCI (host order). */
#define EVS_VLAN_VID_MASK 0x0fff
/** Priority (PCP) bits of a TCI (host order). */
#define EVS_VLAN_PCP_MASK 0xe000

/** Fragment bits of evs_flow_key.ip_frag. */
enum evs_frag {
	EVS_FRAG_ANY = 1 << 0,	 /**< the packet is a fragment (first or later) */
	EVS_FRAG_LATER = 1 << 1, /**< a non-first fragment: no L4 header */
};

/**
 * Flow key: every field a pipeline stage may consult. Laid out in 64-bit
 * words so that masked compare and hashing run word by word. Fields not
 * present in the packet are zero. Multi-byte fields are in network order
 * except in_port, vlan_tci (host order, EVS_VLAN_PRESENT set when tagged)
 * and the pipeline metadata (host order). 15 words: with an 8-byte entry
 * header a megaflow's hot part is exactly two cache lines. Metadata that
 * every megaflow consults (recirc_id) sits in the first line.
 */
struct evs_flow_key {
	/* word 0: metadata and L2 type */
	uint16_t in_port;     /**< edgevs port index */
	uint16_t vlan_tci;    /**< outer tag TCI | EVS_VLAN_PRESENT, 0 if untagged */
	rte_be16_t ethertype; /**< after VLAN tags (inner), wire order */
	uint8_t ip_proto;     /**< IPPROTO_* or 0 */
	uint8_t ip_frag;      /**< enum evs_frag bits */
	/* word 1: pipeline metadata every megaflow consults (recirc_id) or may */
	uint16_t recirc_id; /**< 0 on the first pass; set by a recirculate opcode */
	uint16_t ldp;	    /**< logical datapath a stage handed the packet to (0: none) */
	uint32_t dp_hash;   /**< datapath hash set by an opcode (ECMP, select groups) */
	/* words 2-3: MACs and small L3/L4 fields */
	struct rte_ether_addr dst_mac;
	struct rte_ether_addr src_mac;
	uint8_t ip_tos;	   /**< IPv4 TOS / IPv6 traffic class (DSCP << 2 | ECN) */
	uint8_t ttl_class; /**< 0: TTL/hop limit 0, 1: exactly 1, 2: more than 1 */
	uint8_t tcp_flags; /**< TCP flags byte (FIN..CWR) */
	uint8_t ct_state;  /**< pipeline metadata: conntrack state bits */
	/* words 4-7: L3 addresses; IPv4 uses the first 4 bytes of each */
	uint8_t src_ip[16];
	uint8_t dst_ip[16];
	/* word 8: L4 ports (ICMP: type in l4_src, code in l4_dst), pipeline metadata */
	rte_be16_t l4_src;
	rte_be16_t l4_dst;
	uint16_t vrf;	  /**< pipeline metadata: VRF id */
	uint16_t ct_zone; /**< pipeline metadata: conntrack zone */
	/* words 9-13: tunnel metadata (set after decapsulation) */
	uint32_t tun_vni;	/**< GENEVE/VXLAN VNI, host order, 0 if none */
	uint32_t tun_opt_flags; /**< bit per GENEVE option class seen; bit 31: tunnel present */
	uint8_t tun_src[16];	/**< outer source (IPv4 in the first 4 bytes) */
	uint8_t tun_dst[16];	/**< outer destination */
	/* word 14: conntrack metadata */
	uint32_t ct_mark;  /**< pipeline metadata: connection mark */
	uint32_t ct_label; /**< pipeline metadata: id of the connection's interned 128-bit label */
} __rte_aligned(8);

#define EVS_FLOW_KEY_WORDS (sizeof(struct evs_flow_key) / sizeof(uint64_t))

/**
 * Why the parser (or the PMD before the pipeline) dropped a packet. Later
 * drops belong to their owner: the engine (lib/pipeline) and each module
 * keep their own list; stats.get reports them all by name.
 */
enum evs_drop_reason {
	EVS_DROP_NONE = 0,
	EVS_DROP_RUNT,		/**< shorter than an Ethernet header */
	EVS_DROP_BAD_VLAN,	/**< truncated tag or more tags than supported */
	EVS_DROP_BAD_L3,	/**< truncated/invalid IPv4/IPv6/ARP header */
	EVS_DROP_BAD_L4,	/**< truncated TCP/UDP/ICMP header */
	EVS_DROP_BAD_ETHERTYPE, /**< type/length in 0x05dd-0x05ff: neither (IEEE 802.3 3.2.6) */
	EVS_DROP_BAD_LENGTH,	/**< 802.3 length field larger than the frame's data */
	EVS_DROP_OVERSIZE,	/**< longer than the port MTU allows */
	EVS_DROP_REASON_MAX,
};

/** Name of a drop reason for reports ("runt", "bad_vlan", ...); never NULL. */
const char *evs_drop_reason_name(enum evs_drop_reason r);

/**
 * Parse one frame into @p key and set m->l2_len/l3_len/l4_len.
 *
 * Accepts Ethernet II with up to two VLAN tags (0x8100/0x88a8; the outer one
 * is reported in vlan_tci), IPv4 (options allowed), IPv6 (extension headers
 * hop-by-hop, routing, destination options, AH and fragment walked), ARP,
 * TCP, UDP, ICMP, ICMPv6, SCTP ports. Unknown ethertypes and L4 protocols are
 * valid (L2-only or L3-only key). Never reads past the first segment's data
 * or past the lengths the headers claim.
 *
 * Details a consumer relies on:
 * - vlan_tci keeps PCP and VID; bit 12 (DEI) is replaced by EVS_VLAN_PRESENT.
 *   A priority tag (VID 0) is reported as present with VID 0.
 * - If the NIC stripped tags (RTE_MBUF_F_RX_VLAN_STRIPPED / _QINQ_STRIPPED),
 *   they are pushed back into the frame first, so the data always matches
 *   the key (needs 4 or 8 bytes of headroom, else EVS_DROP_BAD_VLAN).
 * - ARP (Ethernet/IPv4 only): sender IP in src_ip, target IP in dst_ip,
 *   opcode (wire order) in l4_src; ip_proto stays 0; l3_len = 28.
 * - IPv4: total length must fit the packet (pkt_len, all segments); padding
 *   after it is ignored. ip_frag: EVS_FRAG_ANY when MF or an offset is set,
 *   plus EVS_FRAG_LATER when the offset is non-zero (then no L4 is parsed).
 * - IPv6: ip_proto is the upper-layer protocol after the extension headers
 *   (the fragment header's next header for fragments); an atomic fragment
 *   (offset 0, M clear) is not a fragment (RFC 6946). Hop-by-hop not first,
 *   more than 8 extension headers or an L3 header longer than 511 bytes
 *   (m->l3_len's width) give EVS_DROP_BAD_L3.
 * - L4 headers must lie inside the IP payload and the first segment; UDP
 *   length must be in [8, IP payload]. ICMP/ICMPv6 need 8 bytes; type in
 *   l4_src, code in l4_dst (each a byte widened to a wire-order 16-bit value).
 * - ttl_class: 0, 1 or 2 for TTL/hop limit 0, 1, more.
 * - A type/length value below 0x0600 is an IEEE 802.3 length (LLC frames,
 *   e.g. STP BPDUs): values 1501-1535 (0x05dd-0x05ff) are undefined and give
 *   EVS_DROP_BAD_ETHERTYPE; a length larger than the data after it (pkt_len,
 *   all segments) gives EVS_DROP_BAD_LENGTH. A shorter one is fine: the rest
 *   is padding. ethertype holds the length then.
 * - On a drop the key is partially filled and the mbuf lengths unspecified.
 *
 * @return EVS_DROP_NONE, or the reason to drop (EVS_DROP_RUNT,
 *   EVS_DROP_BAD_VLAN, EVS_DROP_BAD_L3, EVS_DROP_BAD_L4,
 *   EVS_DROP_BAD_ETHERTYPE, EVS_DROP_BAD_LENGTH).
 */
enum evs_drop_reason evs_packet_parse(struct rte_mbuf *m, uint16_t in_port,
				      struct evs_flow_key *key);

/** Hash of a whole key (CRC32C over its words); inline, so that the
 * classifier uses it without linking the parser. */
static inline uint32_t evs_flow_key_hash(const struct evs_flow_key *key, uint32_t seed)
{
	const uint64_t *w = (const uint64_t *)key;
	uint32_t h = seed;
	unsigned int i;

	for (i = 0; i < EVS_FLOW_KEY_WORDS; i++)
		h = rte_hash_crc_8byte(w[i], h);
	return h;
}

/**
 * Rewrite the outer VLAN tag of an Ethernet frame in place.
 *
 * Pop moves the 12 MAC bytes forward over the tag; push uses 4 bytes of
 * headroom (TPID 0x8100); rewrite keeps the existing TPID. m->l2_len is
 * adjusted by 4 when it was set (non-zero). The mbuf data must not be shared
 * (direct mbuf with refcnt 1).
 *
 * @param vlan_tci  0 to remove the outer tag (if any); otherwise the TCI to
 *   set (host order, EVS_VLAN_PRESENT ignored, so EVS_VLAN_PRESENT alone
 *   pushes a priority tag with PCP 0), pushing a tag if untagged.
 * @return 0, -ENOSPC when there is no headroom to push, -EINVAL on a runt
 *   (or a tag cut short), -EPERM when the data is shared.
 */
int evs_packet_set_vlan(struct rte_mbuf *m, uint16_t vlan_tci);

/**
 * Re-encode a frame's outer tag for an output: from @p cur (the key's
 * vlan_tci: what the frame carries now) to @p want (0: untagged, else
 * EVS_VLAN_PRESENT | vid). The priority (PCP) is kept when retagging; a tag
 * already carrying the VID is left alone; a priority tag (VID 0) with a
 * non-zero PCP stays where the port sends untagged (doc/l2.md).
 * @return 0, or the errors of evs_packet_set_vlan().
 */
int evs_packet_vlan_encode(struct rte_mbuf *m, uint16_t cur, uint16_t want);

/**
 * True when the frame's L3 part (pkt_len - l2_len, i.e. without Ethernet
 * header and tags) exceeds @p mtu: the caller drops it as EVS_DROP_OVERSIZE.
 * Call after evs_packet_parse.
 */
static inline bool evs_packet_oversize(const struct rte_mbuf *m, uint16_t mtu)
{
	return rte_pktmbuf_pkt_len(m) > (uint32_t)m->l2_len + mtu;
}

/** Internet checksum helpers (RFC 1071), results in network order. */

/**
 * Checksum of an IPv4 header (IHL * 4 bytes), the value its checksum field
 * must hold. The field's current content is ignored, so a header is valid
 * iff the result equals the stored field. IHL below 5 is treated as 5.
 */
uint16_t evs_ipv4_hdr_cksum(const void *ipv4_hdr);

/**
 * Fill in the L4 checksum of an IPv4 or IPv6 TCP/UDP/ICMP/ICMPv6 packet
 * parsed by evs_packet_parse (uses m->l2_len/l3_len and the IP header's
 * lengths and addresses as they are now in the packet, so call it after NAT
 * rewrites). The payload may span segments. A UDP result of 0 is sent as
 * 0xffff.
 * @return 0; -EINVAL for a fragment, an unparsed L4 or lengths that do not
 *   fit the mbuf; -ENOTSUP for other protocols (SCTP included).
 */
int evs_l4_cksum_fill(struct rte_mbuf *m, const struct evs_flow_key *key);

/**
 * Verify the L4 checksum the same way (a UDP checksum of 0 over IPv4 means
 * "none" and verifies).
 * @return 0 when it matches, -EBADMSG when not, or the errors of
 *   evs_l4_cksum_fill.
 */
int evs_l4_cksum_verify(const struct rte_mbuf *m, const struct evs_flow_key *key);

#ifdef __cplusplus
}
#endif
#endif /* EVS_PACKET_H */
