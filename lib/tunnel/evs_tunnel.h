/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_TUNNEL_H
#define EVS_TUNNEL_H

/**
 * @file
 * GENEVE (RFC 8926) and VXLAN (RFC 7348) encapsulation and decapsulation
 * of Ethernet frames over an IPv4 or IPv6 underlay, in bursts.
 *
 * What: an encapsulation (struct evs_tun_encap) is the whole outer header
 * of one remote tunnel endpoint, built once off the fast path: Ethernet
 * (next-hop MAC), IPv4/IPv6, UDP, the VXLAN or GENEVE header and GENEVE
 * options. Per packet the fast path copies it in front of the frame and
 * fills the lengths, the IPv4 checksum (incrementally from the template's
 * sum), the UDP source port from the inner flow hash (RFC 7348 5, RFC 8926
 * 3.3: entropy for underlay ECMP/RSS) and, over IPv6, the UDP checksum
 * (RFC 8200 forbids zero unless both ends agree, RFC 6935/6936; over IPv4
 * it is zero unless asked for). A frame longer than the inner MTU the
 * underlay leaves is dropped and counted.
 *
 * Decapsulation (struct evs_tun_decap) validates the outer headers (lengths,
 * fragments, UDP checksum if present or required, the tunnel port), the
 * VXLAN I flag or GENEVE version, option TLV lengths, critical options
 * (RFC 8926 3.5: an unknown critical option means drop), the OAM bit and
 * the VNI; it strips the outer headers and reports the tunnel metadata
 * (VNI, outer addresses, a bit per known option class, where the options
 * are) for the flow key. Every drop has a reason.
 *
 * Thread-safety: encap templates and decap configurations are built on the
 * management lcore and then only read (publish them with RCU). Bursts run on
 * any lcore with that lcore's own struct evs_tun_stats.
 */

#include <stdbool.h>
#include <stdint.h>

#include <string.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "evs_crc.h"

#ifdef __cplusplus
extern "C" {
#endif

/** IANA UDP ports. */
#define EVS_VXLAN_PORT 4789u
#define EVS_GENEVE_PORT 6081u
/** GENEVE options: at most 63 4-byte words (6-bit Opt Len). */
#define EVS_GENEVE_OPT_MAX 252u
/** Option classes the decap can report as key bits (bit 31: tunnel present). */
#define EVS_TUN_OPT_CLASSES_MAX 31u
/** tun_opt_flags bit saying the packet came through a tunnel. */
#define EVS_TUN_PRESENT (1u << 31)
/** How edgevs splits the other 31 bits of tun_opt_flags: bits 0-15 for the
 *  option classes the overlay reports, bits 16-30 for the remote source tags
 *  the firewall's rules name (remote_tag). */
#define EVS_TUN_CLASS_BITS 16u
#define EVS_TUN_TAG_BIT0 16u
#define EVS_TUN_TAG_BITS 15u

/** The source security tag option: class from RFC 8926's experimental range
 *  (0xFFF0-0xFFFF), type 0x01 (not critical: a host that does not know it
 *  delivers the frame and ignores it), data: 32-bit tag ids (network order). */
#define EVS_GENEVE_CLASS_EDGEVS 0xFFF0u
#define EVS_GENEVE_TYPE_SRC_TAGS 0x01u
/** Tags one option carries (a port's fw tags are at most 8). */
#define EVS_TUN_SRC_TAGS_MAX 8u
/** The option's longest encoding: its 4-byte header and the ids. */
#define EVS_TUN_SRC_TAGS_OPT_MAX (4u + 4u * EVS_TUN_SRC_TAGS_MAX)

/** Tunnel protocol. */
enum evs_tun_type {
	EVS_TUN_VXLAN = 0,
	EVS_TUN_GENEVE = 1,
};

/** Why a tunnel burst dropped a packet. */
enum evs_tun_drop {
	EVS_TUN_DROP_TOO_BIG = 0,     /**< encap: inner frame over the inner MTU */
	EVS_TUN_DROP_NO_ROOM,	      /**< encap: headroom short of the outer header */
	EVS_TUN_DROP_BAD_OUTER,	      /**< decap: truncated or inconsistent outer header */
	EVS_TUN_DROP_FRAGMENT,	      /**< decap: outer IP fragment (no reassembly) */
	EVS_TUN_DROP_BAD_CSUM,	      /**< decap: UDP checksum wrong */
	EVS_TUN_DROP_NOT_TUNNEL,      /**< decap: not UDP to a tunnel port */
	EVS_TUN_DROP_BAD_FLAGS,	      /**< decap: VXLAN I flag clear, GENEVE version not 0 */
	EVS_TUN_DROP_BAD_VNI,	      /**< decap: VNI not configured */
	EVS_TUN_DROP_BAD_OPTIONS,     /**< decap: option TLVs do not add up */
	EVS_TUN_DROP_CRITICAL_OPTION, /**< decap: unknown critical option */
	EVS_TUN_DROP_OAM,	      /**< decap: GENEVE control (O bit) packet */
	EVS_TUN_DROP_BAD_PROTOCOL,    /**< decap: GENEVE payload not Ethernet */
	EVS_TUN_DROP_BAD_INNER,	      /**< decap: inner frame shorter than Ethernet */
	/** decap: zero UDP checksum over IPv6 without ipv6_zero_csum (RFC 6936 5:
	 *  counted apart from wrong checksums) */
	EVS_TUN_DROP_ZERO_CSUM6,
	EVS_TUN_DROP__MAX,
};

/** Name of a drop reason ("too_big", ...). */
const char *evs_tun_drop_name(enum evs_tun_drop reason);

/** Counters of one lcore (single writer; readers use relaxed loads). */
struct evs_tun_stats {
	uint64_t encap_packets, encap_bytes;
	uint64_t decap_packets, decap_bytes;
	uint64_t drops[EVS_TUN_DROP__MAX];
};

/** An underlay address (wire order; IPv4 in the first 4 bytes). */
struct evs_tun_addr {
	uint8_t family; /**< 4 or 6 */
	uint8_t b[16];
};

/* ------------------------------------------------------------------ */
/* Encapsulation                                                       */
/* ------------------------------------------------------------------ */

/** What to put in front of frames sent to one remote endpoint. */
struct evs_tun_encap_config {
	enum evs_tun_type type;
	uint32_t vni;		       /**< 24 bits */
	struct evs_tun_addr local;     /**< this host's endpoint */
	struct evs_tun_addr remote;    /**< the remote endpoint, same family */
	struct rte_ether_addr src_mac; /**< underlay port's MAC */
	struct rte_ether_addr dst_mac; /**< next hop's MAC */
	uint16_t dst_port;	       /**< 0: the IANA port of the type */
	uint16_t src_port_min;	       /**< source port range; 0/0: 49152-65535 */
	uint16_t src_port_max;
	uint8_t ttl;   /**< 0: 64 */
	uint8_t tos;   /**< outer DSCP/ECN (traffic class) */
	bool df;       /**< IPv4 DF bit */
	bool udp_csum; /**< IPv4: compute the UDP checksum (IPv6: always, unless...) */
	/** IPv6: send a zero UDP checksum (RFC 6935; the peer must accept it,
	 *  RFC 6936: Linux's udp6zerocsumrx) */
	bool ipv6_zero_csum;
	/** leave the UDP checksum to the NIC (RTE_MBUF_F_TX_UDP_CKSUM; the port
	 *  must offer it). Never when ESP protects the UDP afterwards: the
	 *  checksum is inside the ciphertext. */
	bool csum_offload;
	uint16_t underlay_mtu; /**< IP MTU of the underlay (0: 1500) */
	/** 802.1Q tag of a tagged underlay: PCP and VID 1-4094 (0: untagged) */
	uint16_t vlan_tci;
	const uint8_t *options; /**< GENEVE option TLVs, wire format */
	uint16_t options_len;	/**< multiple of 4, at most EVS_GENEVE_OPT_MAX */
	/** room for per-packet options (evs_tun_encap_burst_x): taken from the
	 *  inner MTU whether a frame has them or not, so that a frame's size
	 *  limit does not depend on its sender; options_len + this <= 252 */
	uint16_t xopt_room;
};

/** A built outer header (opaque contents; size fixed for embedding). */
struct evs_tun_encap {
	uint8_t hdr[18 + 40 + 8 + 8 + EVS_GENEVE_OPT_MAX]; /**< the template */
	uint16_t hdr_len;				   /**< bytes of hdr in use */
	uint8_t l2_len;	     /**< outer Ethernet header: 14, or 18 when tagged */
	uint16_t max_frame;  /**< longest inner frame that fits the underlay MTU */
	uint16_t sport_min;  /**< source port range */
	uint16_t sport_span; /**< max - min + 1 (0 means 65536) */
	uint32_t ip_sum;     /**< IPv4: one's-complement sum of the template header */
	uint8_t family;	     /**< outer 4 or 6 */
	bool udp_csum;
	bool csum_offload;
	uint8_t opt_words; /**< the template's options in 4-byte words */
	uint8_t xopt_room; /**< per-packet option bytes the MTU reserves */
};

/**
 * Build @p t from @p c (management lcore).
 * @return 0, or -EINVAL: VNI over 24 bits, families differ or are not 4/6,
 * options on VXLAN, options not a whole number of well-formed TLVs, or an
 * MTU too small for the outer header; -E2BIG: options over 252 bytes.
 */
int evs_tun_encap_init(struct evs_tun_encap *t, const struct evs_tun_encap_config *c);

/**
 * Outer bytes (Ethernet to tunnel header, options included) for @p type over
 * @p family with @p options_len bytes of GENEVE options.
 */
unsigned int evs_tun_overhead(enum evs_tun_type type, unsigned int family,
			      unsigned int options_len);

/**
 * Encapsulate @p n frames with @p t (any lcore). @p hashes[i] is the inner
 * flow hash of frame i (NULL: evs_tun_inner_hash(), never the NIC's RSS
 * hash, which a punt or an inject overwrites). On success the mbuf starts with
 * the outer Ethernet header and l2_len/l3_len/l4_len describe the outer
 * headers (so lib/crypto can protect the tunnel's UDP in transport mode).
 *
 * @return k: pkts[0..k) encapsulated in order, pkts[k..n) rejected (not
 * freed; counted in @p st), in order.
 */
uint16_t evs_tun_encap_burst(const struct evs_tun_encap *t, struct rte_mbuf **pkts, uint16_t n,
			     const uint32_t *hashes, struct evs_tun_stats *st);

/** A per-packet GENEVE option block (wire format, multiple of 4 bytes). */
struct evs_tun_xopt {
	uint8_t len; /**< bytes of b in use: 0 (none) .. EVS_TUN_SRC_TAGS_OPT_MAX */
	bool critical;
	uint8_t b[EVS_TUN_SRC_TAGS_OPT_MAX];
};

/**
 * evs_tun_encap_burst with per-packet options: frame i gets @p x[i]'s bytes
 * (NULL or len 0: none) after the template's (GENEVE templates only). A
 * block longer than t->xopt_room, or not whole words, is refused as
 * bad_options. Lengths, the option length field and the C bit follow each
 * frame's options; the plain burst does not pay for this path.
 */
uint16_t evs_tun_encap_burst_x(const struct evs_tun_encap *t, struct rte_mbuf **pkts, uint16_t n,
			       const uint32_t *hashes, const struct evs_tun_xopt *const *x,
			       struct evs_tun_stats *st);

/**
 * The id of a tag on the wire: CRC32C of its name (bytes up to the NUL, the
 * length mixed in), never 0. Both hosts compute it from the name alone, so
 * they need no shared table (doc/overlay.md argues the choice).
 */
static inline uint32_t evs_tun_tag_id(const char *name)
{
	size_t len = strlen(name), i;
	uint32_t h = (uint32_t)len;

	for (i = 0; i + 8 <= len; i += 8) {
		uint64_t w;

		memcpy(&w, name + i, 8);
		h = evs_crc32c_u64(h, w);
	}
	if (i < len) {
		uint64_t w = 0;

		memcpy(&w, name + i, len - i);
		h = evs_crc32c_u64(h, w);
	}
	return h != 0 ? h : 1;
}

/**
 * Encode the source tag option for @p n ids into @p x (n <= EVS_TUN_SRC_TAGS_MAX;
 * 0 gives an empty block). @return 0 or -E2BIG.
 */
int evs_tun_src_tags_opt(struct evs_tun_xopt *x, const uint32_t *ids, unsigned int n);

/**
 * The source tag ids a frame's options carry (the first edgevs tag option;
 * options as the decap validated them). @return how many were written to
 * @p ids (at most @p max), 0 when there is none.
 */
static inline unsigned int evs_tun_src_tags(const uint8_t *opts, unsigned int len, uint32_t *ids,
					    unsigned int max)
{
	unsigned int off = 0, n = 0;

	while (off + 4 <= len) {
		unsigned int olen = 4u + (opts[off + 3] & 0x1fu) * 4u;

		if (opts[off] == (EVS_GENEVE_CLASS_EDGEVS >> 8) &&
		    opts[off + 1] == (EVS_GENEVE_CLASS_EDGEVS & 0xff) &&
		    (opts[off + 2] & 0x7fu) == EVS_GENEVE_TYPE_SRC_TAGS) {
			for (unsigned int i = off + 4;
			     i + 4 <= off + olen && i + 4 <= len && n < max; i += 4)
				ids[n++] = (uint32_t)opts[i] << 24 | (uint32_t)opts[i + 1] << 16 |
					   (uint32_t)opts[i + 2] << 8 | opts[i + 3];
			return n;
		}
		off += olen;
	}
	return 0;
}

/**
 * Flow hash of an Ethernet frame for the UDP source port (any lcore): CRC32C
 * over the IPv4/IPv6 addresses, the protocol and, for TCP/UDP/SCTP that is
 * not a later fragment, the ports (one 802.1Q tag skipped); the MACs for
 * anything else. The same for every frame of a flow, whatever port it came
 * from (vhost, tap and af_packet give no RSS hash).
 */
uint32_t evs_tun_inner_hash(const struct rte_mbuf *m);

/* ------------------------------------------------------------------ */
/* Decapsulation                                                       */
/* ------------------------------------------------------------------ */

/** What a host accepts from its underlay. */
struct evs_tun_decap {
	uint16_t vxlan_port;  /**< 0: EVS_VXLAN_PORT; UINT16_MAX: VXLAN off */
	uint16_t geneve_port; /**< 0: EVS_GENEVE_PORT; UINT16_MAX: GENEVE off */
	bool verify_csum;     /**< check non-zero UDP checksums (off: NIC did) */
	bool ipv6_zero_csum;  /**< accept a zero UDP checksum over IPv6 (RFC 6936) */
	bool full_checks;     /**< no fast path (tests compare the two) */
	const uint32_t *vnis; /**< sorted VNIs accepted; NULL: any */
	uint32_t n_vnis;
	/** option classes reported as key bits (bit i for opt_classes[i]) */
	uint16_t opt_classes[EVS_TUN_OPT_CLASSES_MAX];
	uint8_t n_opt_classes;
	/** critical options understood: {class, type} (type with its C bit) */
	struct {
		uint16_t cls;
		uint8_t type;
	} known_critical[8];
	uint8_t n_known_critical;
};

/** Tunnel metadata of one decapsulated frame. */
struct evs_tun_meta {
	uint32_t vni;
	uint32_t opt_flags;	  /**< EVS_TUN_PRESENT | bit per configured class seen */
	uint8_t type;		  /**< enum evs_tun_type */
	uint8_t family;		  /**< outer 4 or 6 */
	uint16_t opt_len;	  /**< GENEVE options bytes */
	const uint8_t *opts;	  /**< the options, in the mbuf's headroom: valid
				       until something is prepended */
	uint8_t src[16], dst[16]; /**< outer addresses */
};

/**
 * Validate and strip the outer headers of @p n frames (any lcore); a frame
 * starts at its outer Ethernet header (one 802.1Q tag allowed). A NIC's
 * verdict in m->ol_flags (RTE_MBUF_F_RX_IP/L4_CKSUM_GOOD or _BAD) is taken
 * as it is; only checksums the NIC did not check are verified (verify_csum).
 *
 * @return k: pkts[0..k) decapsulated with @p meta[0..k) filled, pkts[k..n)
 * rejected (not freed; counted in @p st), both in order.
 */
uint16_t evs_tun_decap_burst(const struct evs_tun_decap *d, struct rte_mbuf **pkts, uint16_t n,
			     struct evs_tun_meta *meta, struct evs_tun_stats *st);

/**
 * evs_tun_decap_burst's one-pass shape only (untagged IPv4 without IP
 * options, not a fragment, zero UDP checksum, to the VXLAN or GENEVE port,
 * no GENEVE option, a VNI accepted, nothing after the datagram), for the
 * longest prefix of @p pkts in that shape (any lcore): the caller's own
 * loop handles the usual burst without splitting it, and hands the rest,
 * untouched, to its full path. Never drops; counts what it decapsulates.
 *
 * @return k: pkts[0..k) decapsulated with @p meta[0..k) filled exactly as
 * evs_tun_decap_burst fills them; pkts[k] (if k < n) is not in that shape
 * or not valid, and pkts[k..n) are untouched. 0 with full_checks.
 */
uint16_t evs_tun_decap_plain_burst(const struct evs_tun_decap *d, struct rte_mbuf **pkts,
				   uint16_t n, struct evs_tun_meta *meta, struct evs_tun_stats *st);

/**
 * Walk GENEVE option TLVs. @return the number of options, or -EINVAL if
 * the lengths do not add up to @p len exactly.
 */
int evs_geneve_opts_walk(const uint8_t *opts, unsigned int len,
			 void (*fn)(uint16_t cls, uint8_t type, const uint8_t *data,
				    unsigned int data_len, void *arg),
			 void *arg);

#ifdef __cplusplus
}
#endif

#endif /* EVS_TUNNEL_H */
