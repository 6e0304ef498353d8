/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_GEN_H
#define EVS_GEN_H

/**
 * @file
 * Building blocks of edgevs-gen, the traffic generator and sink.
 *
 * What: the parts of the generator that are pure computation and so can be
 * unit-tested without ports: the flow pattern (flow id -> 5-tuple, and the
 * order flows are sent in), the size mix (fixed or IMIX), the frame builder
 * (Ethernet / 802.1Q / IPv4 / UDP or TCP, optionally inside VXLAN or GENEVE)
 * with the stamp that every generated frame carries, the stamp parser used on
 * receive, the latency histogram, the reorder detector, the per-flow sample
 * bitmap and the rate arithmetic.
 *
 * The generator deliberately does not use lib/packet: it is the instrument
 * that checks the switch, so it builds and parses frames on its own.
 *
 * Thread-safety: flows, mixes and builders are immutable after init; any
 * lcore may use them concurrently. A histogram, reorder detector or sample
 * bitmap has a single writer (the lcore that owns it). Histogram updates use
 * relaxed atomic stores so that the management lcore may read a live,
 * slightly stale snapshot with evs_gen_hist_snapshot(); the others are read
 * only after their writer has stopped.
 */

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_ether.h>
#include <rte_reciprocal.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- flows -- */

/** Largest flow count: flow ids travel in 24 bits of the stamp. */
#define EVS_GEN_FLOWS_MAX (1u << 24)

/** Order in which a transmit queue walks the flow ids. */
enum evs_gen_flow_order {
	EVS_GEN_ORDER_SEQ,     /**< 0, 1, 2, ..., N-1, 0, ... */
	EVS_GEN_ORDER_SCATTER, /**< id(k) = k * S mod N, S coprime to N, S ~ 0.618 N */
};

/**
 * Flow pattern. Flow id f in [0, flows) is written in mixed radix with the
 * digits (fastest first) source port, source IP, destination port,
 * destination IP, the radices being the four ranges:
 *   sport = sport_base + f % Rsp
 *   sip   = src_ip_base + (f / Rsp) % Rsip
 *   dport = dport_base + (f / (Rsp*Rsip)) % Rdp
 *   dip   = dst_ip_base + f / (Rsp*Rsip*Rdp)        (must stay < Rdip)
 * A range of 0 asks for the default: Rsp = min(flows, 1024), Rdp = Rdip = 1,
 * Rsip = ceil(flows / (Rsp*Rdp*Rdip)).
 */
struct evs_gen_flow_config {
	uint32_t flows;	      /**< 1 .. EVS_GEN_FLOWS_MAX */
	uint32_t src_ip_base; /**< host order */
	uint32_t dst_ip_base; /**< host order */
	uint16_t sport_base;
	uint16_t dport_base;
	uint32_t sport_range; /**< 0: default */
	uint32_t sip_range;   /**< 0: default */
	uint32_t dport_range; /**< 0: default */
	uint32_t dip_range;   /**< 0: default */
	enum evs_gen_flow_order order;
};

/** Resolved flow pattern (ranges filled in, divisions precomputed). */
struct evs_gen_flows {
	struct evs_gen_flow_config cfg; /**< with every range resolved */
	uint32_t stride;		/**< step of the walk (1 for SEQ) */
	struct rte_reciprocal div_sport, div_sip, div_dport;
};

/** One flow's 5-tuple (protocol is global), host order. */
struct evs_gen_tuple {
	uint32_t src_ip;
	uint32_t dst_ip;
	uint16_t sport;
	uint16_t dport;
};

/**
 * Resolve a flow pattern.
 * @return 0; -EINVAL if flows is 0 or above EVS_GEN_FLOWS_MAX, or the ranges
 *   cover fewer tuples than flows; -ERANGE if a field would overflow (port
 *   above 65535, address above 255.255.255.255).
 */
int evs_gen_flows_init(struct evs_gen_flows *f, const struct evs_gen_flow_config *c);

/** 5-tuple of flow @p id (id < flows). Any lcore; no division instruction. */
static inline void evs_gen_flow_tuple(const struct evs_gen_flows *f, uint32_t id,
				      struct evs_gen_tuple *t)
{
	uint32_t q0 = rte_reciprocal_divide(id, f->div_sport);
	uint32_t q1 = rte_reciprocal_divide(q0, f->div_sip);
	uint32_t q2 = rte_reciprocal_divide(q1, f->div_dport);

	t->sport = (uint16_t)(f->cfg.sport_base + (id - q0 * f->cfg.sport_range));
	t->src_ip = f->cfg.src_ip_base + (q0 - q1 * f->cfg.sip_range);
	t->dport = (uint16_t)(f->cfg.dport_base + (q1 - q2 * f->cfg.dport_range));
	t->dst_ip = f->cfg.dst_ip_base + q2;
}

/** The reply direction's tuple: addresses and ports swapped. */
static inline struct evs_gen_tuple evs_gen_tuple_reverse(struct evs_gen_tuple t)
{
	return (struct evs_gen_tuple){
	    .src_ip = t.dst_ip, .dst_ip = t.src_ip, .sport = t.dport, .dport = t.sport};
}

/** Position in a walk over the flow ids; one per transmit queue. */
struct evs_gen_flow_iter {
	uint32_t cur;	/**< next flow id */
	uint32_t pos;	/**< packets sent in the current round, < flows */
	uint64_t round; /**< completed walks over all flows */
	/** Digits of cur (sport, sip, dport, dip): a walk with stride 1
	 * steps them like an odometer instead of dividing. */
	uint32_t digit[4];
};

/** Start a walk at flow id @p start (taken modulo flows). */
void evs_gen_flow_iter_init(const struct evs_gen_flows *f, struct evs_gen_flow_iter *it,
			    uint32_t start);

/** Next flow id of the walk; *round gets the walk number it belongs to. */
static inline uint32_t evs_gen_flow_next(const struct evs_gen_flows *f,
					 struct evs_gen_flow_iter *it, uint64_t *round)
{
	uint32_t id = it->cur;
	uint32_t n = f->cfg.flows;

	*round = it->round;
	it->cur += f->stride;
	if (it->cur >= n)
		it->cur -= n;
	if (++it->pos == n) {
		it->pos = 0;
		it->round++;
	}
	return id;
}

/**
 * evs_gen_flow_next() and evs_gen_flow_tuple() in one step. With stride 1
 * (the seq order) the tuple comes from the walk's digits, without division.
 */
static inline uint32_t evs_gen_flow_next_tuple(const struct evs_gen_flows *f,
					       struct evs_gen_flow_iter *it, uint64_t *round,
					       struct evs_gen_tuple *t)
{
	const struct evs_gen_flow_config *c = &f->cfg;
	uint32_t id;

	if (f->stride != 1) {
		id = evs_gen_flow_next(f, it, round);
		evs_gen_flow_tuple(f, id, t);
		return id;
	}
	id = it->cur;
	*round = it->round;
	t->sport = (uint16_t)(c->sport_base + it->digit[0]);
	t->src_ip = c->src_ip_base + it->digit[1];
	t->dport = (uint16_t)(c->dport_base + it->digit[2]);
	t->dst_ip = c->dst_ip_base + it->digit[3];
	if (++it->cur == c->flows) {
		it->cur = 0;
		it->digit[0] = it->digit[1] = it->digit[2] = it->digit[3] = 0;
	} else if (++it->digit[0] == c->sport_range) {
		it->digit[0] = 0;
		if (++it->digit[1] == c->sip_range) {
			it->digit[1] = 0;
			if (++it->digit[2] == c->dport_range) {
				it->digit[2] = 0;
				it->digit[3]++;
			}
		}
	}
	if (++it->pos == c->flows) {
		it->pos = 0;
		it->round++;
	}
	return id;
}

/* ------------------------------------------------------------------ mix -- */

/** Most distinct sizes in a mix. */
#define EVS_GEN_MIX_SIZES_MAX 8
/** Longest mix period (sum of weights). */
#define EVS_GEN_MIX_PERIOD_MAX 256
/** Frame sizes (including the 4-byte FCS) the generator accepts. */
#define EVS_GEN_SIZE_MIN 64
#define EVS_GEN_SIZE_MAX 9018

/**
 * Size mix: a repeating pattern of size indexes whose period is the sum of
 * the weights, interleaved by smooth weighted round-robin (so the default
 * IMIX 64:7,570:4,1518:1 repeats every 12 frames with the 1518 spread out).
 */
struct evs_gen_mix {
	uint16_t n;				 /**< distinct sizes */
	uint16_t period;			 /**< sum of weights */
	uint16_t size[EVS_GEN_MIX_SIZES_MAX];	 /**< frame size with FCS */
	uint16_t weight[EVS_GEN_MIX_SIZES_MAX];	 /**< relative share */
	uint8_t pattern[EVS_GEN_MIX_PERIOD_MAX]; /**< size index per slot */
};

/**
 * Parse a size mix: "64" (fixed), "imix" (64:7,570:4,1518:1) or a list
 * "SIZE:WEIGHT,..." (weights 1..255, at most 8 sizes, sum at most 256).
 * @return 0; -EINVAL on a malformed spec; -ERANGE on a size outside
 *   EVS_GEN_SIZE_MIN..EVS_GEN_SIZE_MAX or a weight sum above 256.
 */
int evs_gen_mix_parse(struct evs_gen_mix *m, const char *spec);

/** Average frame size of a mix (with FCS). */
double evs_gen_mix_avg_size(const struct evs_gen_mix *m);

/* --------------------------------------------------------------- frames -- */

/** L4 of generated frames. */
enum evs_gen_l4 {
	EVS_GEN_UDP,	 /**< UDP datagrams */
	EVS_GEN_TCP_SYN, /**< TCP SYN only: a new-connection storm */
	EVS_GEN_TCP_ACK, /**< TCP ACK|PSH segments of established-looking flows */
};

/** Outer encapsulation of generated frames. */
enum evs_gen_encap {
	EVS_GEN_ENCAP_NONE,
	EVS_GEN_ENCAP_VXLAN,  /**< RFC 7348, UDP port 4789 */
	EVS_GEN_ENCAP_GENEVE, /**< RFC 8926, UDP port 6081, no options */
};

/** UDP ports of the tunnels. */
enum evs_gen_tunnel_port {
	EVS_GEN_VXLAN_PORT = 4789,
	EVS_GEN_GENEVE_PORT = 6081,
};

/** What every frame of a run looks like, apart from flow and stamp. */
struct evs_gen_pkt_config {
	enum evs_gen_l4 l4;
	enum evs_gen_encap encap;
	bool vlan;		       /**< push one 802.1Q tag on the (outer) frame */
	uint16_t vlan_tci;	       /**< PCP << 13 | VID, host order */
	struct rte_ether_addr src_mac; /**< (outer) source */
	struct rte_ether_addr dst_mac; /**< (outer) destination */
	uint8_t ttl;		       /**< 0: 64 */
	uint8_t tos;
	/* tunnel only */
	uint32_t vni;	       /**< 24 bits */
	uint32_t outer_src_ip; /**< host order */
	uint32_t outer_dst_ip; /**< host order */
	struct rte_ether_addr inner_src_mac;
	struct rte_ether_addr inner_dst_mac;
};

/**
 * The stamp: 14 bytes at the start of the innermost L4 payload.
 *   0-1   magic 0x45 0x47 ("EG")
 *   2     stream (transmit queue) id
 *   3-5   flow id, big endian
 *   6-9   sequence number in the stream, big endian
 *   10-13 bits 4..35 of the TSC at transmit, big endian
 * Frames too short for all of it carry a prefix: 6 bytes (identity and
 * flow), 10 (plus sequence) or all 14 (plus timestamp).
 */
enum evs_gen_stamp_level {
	EVS_GEN_STAMP_NONE = 0, /**< not a generated frame */
	EVS_GEN_STAMP_ID = 6,	/**< stream and flow id */
	EVS_GEN_STAMP_SEQ = 10, /**< plus sequence number */
	EVS_GEN_STAMP_FULL = 14 /**< plus transmit timestamp */
};
#define EVS_GEN_STAMP_MAGIC0 0x45
#define EVS_GEN_STAMP_MAGIC1 0x47
/** TSC bits dropped in the stamp: 16-cycle resolution, wraps after 2^36 cycles. */
#define EVS_GEN_TSC_SHIFT 4

/** Decoded stamp (host order). */
struct evs_gen_stamp {
	uint8_t stream;
	uint32_t flow_id;
	uint32_t seq;
	uint32_t tsc; /**< TSC >> EVS_GEN_TSC_SHIFT, low 32 bits */
};

/** Everything that varies from one frame to the next. */
struct evs_gen_pkt_meta {
	uint8_t size_idx; /**< index into the builder's sizes */
	struct evs_gen_tuple tuple;
	uint64_t round; /**< flow walk number (TCP sequence numbers) */
	struct evs_gen_stamp stamp;
};

struct evs_gen_builder;

/**
 * Smallest frame (with FCS) that holds the headers of @p c and a 6-byte stamp.
 * @return the size, or -EINVAL for an unknown l4/encap.
 */
int evs_gen_min_size(const struct evs_gen_pkt_config *c);

/** Bytes the tunnel's outer headers add (outer Ethernet to the tunnel
 * header, VLAN tag included); 0 without encapsulation. */
int evs_gen_outer_len(const struct evs_gen_pkt_config *c);

/**
 * Build the templates for every size of @p mix.
 * @return the builder, or NULL with errno EINVAL (bad config, or a size
 *   below evs_gen_min_size()) or ENOMEM.
 */
struct evs_gen_builder *evs_gen_builder_create(const struct evs_gen_pkt_config *c,
					       const struct evs_gen_mix *mix);

/** Free a builder; NULL is fine. */
void evs_gen_builder_free(struct evs_gen_builder *b);

/** Length in bytes (without FCS) of frames of size index @p size_idx. */
uint16_t evs_gen_frame_len(const struct evs_gen_builder *b, unsigned int size_idx);

/** Stamp level that frames of size index @p size_idx carry. */
enum evs_gen_stamp_level evs_gen_frame_stamp(const struct evs_gen_builder *b,
					     unsigned int size_idx);

/**
 * Write one frame into @p buf (evs_gen_frame_len() bytes): the template of
 * the size, then the flow's addresses and ports, TCP sequence numbers, the
 * stamp, and the IPv4 and L4 checksums (incrementally). Any lcore.
 * @return the frame length.
 */
uint16_t evs_gen_build(const struct evs_gen_builder *b, const struct evs_gen_pkt_meta *m,
		       uint8_t *buf);

/** Bytes past the frame that evs_gen_build_hdr() may overwrite. */
#define EVS_GEN_BUILD_SLACK 64

/**
 * evs_gen_build() for a buffer that already holds a frame of this builder
 * past its headers (evs_gen_prefill() did it once): writes only the headers
 * and the stamp, so the cost does not grow with the frame size. The buffer
 * needs EVS_GEN_BUILD_SLACK bytes of room past the frame. Any lcore.
 * @return the frame length.
 */
uint16_t evs_gen_build_hdr(const struct evs_gen_builder *b, const struct evs_gen_pkt_meta *m,
			   uint8_t *buf);

/** Bytes evs_gen_prefill() writes: the longest frame of the mix, without FCS. */
uint16_t evs_gen_prefill_len(const struct evs_gen_builder *b);

/**
 * Write the longest template into @p buf (evs_gen_prefill_len() bytes). The
 * payload fill depends only on the offset from the stamp, so the buffer then
 * suits evs_gen_build_hdr() at every size of the mix, and for every builder
 * with the same headers (both directions of a run).
 */
void evs_gen_prefill(const struct evs_gen_builder *b, uint8_t *buf);

/**
 * Find and decode the stamp of a received frame: walks up to two VLAN
 * tags, IPv4, and VXLAN/GENEVE (by UDP destination port) to the innermost
 * UDP or TCP payload; the payload length comes from the IPv4 total length,
 * so Ethernet padding is ignored. Never reads past @p len.
 * @return the stamp level found (EVS_GEN_STAMP_NONE if none).
 */
enum evs_gen_stamp_level evs_gen_stamp_parse(const uint8_t *frame, uint32_t len,
					     struct evs_gen_stamp *st);

/** What evs_gen_tcp_answer() found. */
enum evs_gen_tcp_seen {
	EVS_GEN_TCP_OTHER,     /**< not an untagged IPv4 TCP handshake segment: untouched */
	EVS_GEN_TCP_SYN_IN,    /**< a SYN: rewritten into the SYN-ACK that answers it */
	EVS_GEN_TCP_SYNACK_IN, /**< a SYN-ACK: rewritten into the ACK that completes it */
	EVS_GEN_TCP_ACK_IN,    /**< a bare ACK (the handshake's last segment): untouched */
};

/**
 * The two ends of a TCP handshake, in place: a SYN becomes its SYN-ACK and
 * a SYN-ACK its ACK, each sent back where it came from (Ethernet and IP
 * addresses and ports swapped, so whatever a device rewrote is answered
 * as rewritten), sequence numbers as RFC 9293 wants them (the answerer's
 * ISN is evs_gen_tcp_isn() of the segment's sequence number) and the TCP
 * checksum updated incrementally (the swaps leave both checksums as they
 * are). The payload, with the stamp, is kept. Never reads past @p len.
 * Any lcore.
 */
enum evs_gen_tcp_seen evs_gen_tcp_answer(uint8_t *frame, uint32_t len);

/** Initial TCP sequence number of a flow (a fixed hash of its id). */
static inline uint32_t evs_gen_tcp_isn(uint32_t flow_id)
{
	uint32_t x = flow_id * 0x9e3779b1u;

	return x ^ (x >> 15) ^ 0x5eed0000u;
}

/** Internet checksum helpers: 32-bit partial sum of native 16-bit words. */
uint32_t evs_gen_sum16(const void *p, uint32_t len);
/** Fold a partial sum and complement it: the checksum field value (native). */
static inline uint16_t evs_gen_csum_fold(uint64_t sum)
{
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffu) + (sum >> 16);
	sum = (sum & 0xffffu) + (sum >> 16);
	sum = (sum & 0xffffu) + (sum >> 16);
	return (uint16_t)~sum;
}

/**
 * Per-flow headers: every flow's header block (up to the end of the stamp,
 * rounded up to 16 bytes) built once, with its checksums, for a builder of
 * one UDP frame size carrying the whole stamp. A frame is then one block
 * copy, the stamp's three words and the UDP checksum updated by their sum:
 * no tuple, address or IPv4 checksum work per frame. Read-only once built,
 * so one cache serves every lcore and queue of a direction.
 */
struct evs_gen_hdr_cache {
	uint32_t flows;
	uint16_t stride;    /**< bytes per flow: hdr block rounded up to 16, >= 64 */
	uint16_t len;	    /**< frame length without FCS */
	uint16_t stamp_off; /**< stamp, from the frame start */
	uint16_t csum_off;  /**< UDP checksum, from the frame start */
	uint8_t *hdr;	    /**< flows * stride bytes */
	uint32_t *sum;	    /**< UDP sum of each flow's frame, stamp words zero but the flow id */
};

/** Most header bytes a cache holds per flow times flows (64 MiB). */
#define EVS_GEN_HDR_CACHE_BYTES_MAX (64u << 20)

/**
 * Build the per-flow headers of builder @p b for the flows of @p f, the
 * tuples swapped (the return direction) when @p reverse. Management only.
 * @return the cache, or NULL with errno EINVAL (more than one size, not
 *   UDP, or a frame without the whole stamp), E2BIG (above
 *   EVS_GEN_HDR_CACHE_BYTES_MAX) or ENOMEM.
 */
struct evs_gen_hdr_cache *evs_gen_hdr_cache_create(const struct evs_gen_builder *b,
						   const struct evs_gen_flows *f, bool reverse);

/** Free a cache; NULL is fine. */
void evs_gen_hdr_cache_free(struct evs_gen_hdr_cache *c);

/**
 * What evs_gen_build_cached_one() needs besides the flow and the sequence,
 * the same for a whole burst of one transmit unit: the stream byte, the TSC
 * word and their part of the UDP sum.
 */
struct evs_gen_cached_burst {
	uint64_t sum;	/**< stream and TSC words, 32-bit native words summed */
	rte_be32_t tsc; /**< bits 4..35 of the TSC, big endian */
	uint8_t stream;
};

/** Fill @p cb for stream @p stream at TSC stamp @p tsc (bits 4..35). */
static inline void evs_gen_cached_burst_init(struct evs_gen_cached_burst *cb, uint8_t stream,
					     uint32_t tsc)
{
	cb->stream = stream;
	cb->tsc = rte_cpu_to_be_32(tsc);
	/* 32-bit words of the frame summed in 64 bits fold to the sum of
	 * their 16-bit halves (2^16 = 1 in one's complement arithmetic). */
	cb->sum = (uint64_t)rte_cpu_to_be_32((uint32_t)stream << 24) + cb->tsc;
}

/**
 * evs_gen_build_hdr() for flow @p flow_id, sequence @p seq and the burst's
 * stream and TSC from the cache, over a buffer prefilled like
 * evs_gen_build_hdr()'s (the same bytes result). Any lcore.
 * @return the frame length.
 */
static inline uint16_t evs_gen_build_cached_one(const struct evs_gen_hdr_cache *c,
						const struct evs_gen_cached_burst *cb,
						uint32_t flow_id, uint32_t seq, uint8_t *buf)
{
	const uint8_t *h = c->hdr + (size_t)flow_id * c->stride;
	uint8_t *s = buf + c->stamp_off;
	rte_be32_t seq_be = rte_cpu_to_be_32(seq);
	uint64_t sum = (uint64_t)c->sum[flow_id] + cb->sum + seq_be;
	unsigned int i;
	uint16_t ck;

	/* Every block is at least 64 bytes (Ethernet, IPv4, UDP and the
	 * stamp): one fixed-size copy, then what a tag or tunnel adds. */
	memcpy(buf, h, 64);
	for (i = 64; i < c->stride; i += 16)
		memcpy(buf + i, h + i, 16);
	/* The block holds the flow id (stream 0): the stream byte, the
	 * sequence and the TSC complete the stamp, and add to the flow's sum. */
	s[2] = cb->stream;
	memcpy(s + 6, &seq_be, 4);
	memcpy(s + 10, &cb->tsc, 4);
	ck = evs_gen_csum_fold(sum);
	if (ck == 0)
		ck = 0xffff; /* 0 means "no checksum" in UDP */
	memcpy(buf + c->csum_off, &ck, 2);
	return c->len;
}

/**
 * evs_gen_build_hdr() for flow @p st->flow_id from the cache, over a buffer
 * prefilled like evs_gen_build_hdr()'s (the same bytes result). Any lcore.
 * @return the frame length.
 */
static inline uint16_t evs_gen_build_cached(const struct evs_gen_hdr_cache *c,
					    const struct evs_gen_stamp *st, uint8_t *buf)
{
	struct evs_gen_cached_burst cb;

	evs_gen_cached_burst_init(&cb, st->stream, st->tsc);
	return evs_gen_build_cached_one(c, &cb, st->flow_id, st->seq, buf);
}

/* ------------------------------------------------------------ histogram -- */

/** Sub-buckets per power of two: relative bucket width 1/64. */
#define EVS_GEN_HIST_SUB_BITS 6
/** Values at or above 2^EVS_GEN_HIST_EXP_MAX land in the last bucket. */
#define EVS_GEN_HIST_EXP_MAX 40
#define EVS_GEN_HIST_BUCKETS                                                                       \
	((EVS_GEN_HIST_EXP_MAX - EVS_GEN_HIST_SUB_BITS + 1) << EVS_GEN_HIST_SUB_BITS)

/**
 * Log-linear histogram of latencies in TSC cycles: exact below 64, then 64
 * buckets per power of two, so a percentile is reported at most 1/64 above
 * the true value. Exact count, sum, min and max ride along.
 */
struct evs_gen_hist {
	uint64_t count;
	uint64_t sum;
	uint64_t min; /**< UINT64_MAX when empty */
	uint64_t max;
	uint64_t bucket[EVS_GEN_HIST_BUCKETS];
};

/** Empty a histogram. */
void evs_gen_hist_reset(struct evs_gen_hist *h);

/** Bucket of value @p v. */
static inline unsigned int evs_gen_hist_index(uint64_t v)
{
	unsigned int e;

	if (v < (1u << EVS_GEN_HIST_SUB_BITS))
		return (unsigned int)v;
	e = 63 - (unsigned int)__builtin_clzll(v);
	if (e >= EVS_GEN_HIST_EXP_MAX)
		return EVS_GEN_HIST_BUCKETS - 1;
	return ((e - EVS_GEN_HIST_SUB_BITS + 1) << EVS_GEN_HIST_SUB_BITS) +
	       (unsigned int)((v >> (e - EVS_GEN_HIST_SUB_BITS)) - (1u << EVS_GEN_HIST_SUB_BITS));
}

/** Smallest value of bucket @p i. */
uint64_t evs_gen_hist_bucket_low(unsigned int i);
/** Largest value of bucket @p i (UINT64_MAX for the last). */
uint64_t evs_gen_hist_bucket_high(unsigned int i);

/**
 * Record one value. Owner lcore only. Stores are relaxed atomics: a single
 * writer needs no read-modify-write, and a reader only wants values that
 * are not torn, in any order.
 */
static inline void evs_gen_hist_add(struct evs_gen_hist *h, uint64_t v)
{
	unsigned int i = evs_gen_hist_index(v);

	__atomic_store_n(&h->bucket[i], h->bucket[i] + 1, __ATOMIC_RELAXED);
	__atomic_store_n(&h->count, h->count + 1, __ATOMIC_RELAXED);
	__atomic_store_n(&h->sum, h->sum + v, __ATOMIC_RELAXED);
	if (v < h->min)
		__atomic_store_n(&h->min, v, __ATOMIC_RELAXED);
	if (v > h->max)
		__atomic_store_n(&h->max, v, __ATOMIC_RELAXED);
}

/** Copy a histogram another lcore may be writing (relaxed loads). */
void evs_gen_hist_snapshot(struct evs_gen_hist *dst, const struct evs_gen_hist *src);

/** Add @p src into @p dst. */
void evs_gen_hist_merge(struct evs_gen_hist *dst, const struct evs_gen_hist *src);

/**
 * Nearest-rank percentile: the smallest recorded value v such that at least
 * ceil(p * count) values are <= v, rounded up to its bucket's upper bound
 * and clamped to max; so true <= result <= true * (1 + 1/64).
 * @param p in [0, 1]
 * @return the value, 0 when empty.
 */
uint64_t evs_gen_hist_percentile(const struct evs_gen_hist *h, double p);

/* -------------------------------------------------------------- reorder -- */

/**
 * Reorder detector after RFC 4737: a packet whose sequence number is below
 * the next expected one (highest seen + 1) is counted as reordered. Serial
 * arithmetic, so the 32-bit sequence may wrap. Duplicates count as reordered.
 */
struct evs_gen_reorder {
	uint32_t next;	  /**< next expected sequence number */
	uint32_t started; /**< a first packet was seen */
	uint64_t reordered;
};

/** Account one received sequence number. Owner lcore only. */
static inline void evs_gen_reorder_add(struct evs_gen_reorder *r, uint32_t seq)
{
	if (unlikely(!r->started)) {
		r->started = 1;
		r->next = seq + 1;
		return;
	}
	if ((int32_t)(seq - r->next) >= 0)
		r->next = seq + 1;
	else
		r->reordered++;
}

/* -------------------------------------------------------- flow sampling -- */

/**
 * Per-flow reception check on a sample: flow ids that are multiples of
 * 2^shift, one bit each. The transmit side marks what it sent, the receive
 * side what it saw; a sampled flow sent but never seen is missing.
 */
struct evs_gen_sample {
	uint32_t shift;
	uint32_t nbits;
	uint64_t *bits;
};

/**
 * Size a sample for @p flows flows with at most @p max_samples bits (the
 * smallest power-of-two step that fits) and allocate it zeroed.
 * @return 0, -EINVAL (flows or max_samples 0), -ENOMEM.
 */
int evs_gen_sample_init(struct evs_gen_sample *s, uint32_t flows, uint32_t max_samples);

/** Free the bitmap; a zeroed or freed sample is fine. */
void evs_gen_sample_fini(struct evs_gen_sample *s);

/** Mark flow @p id if it is sampled. Owner lcore only. */
static inline void evs_gen_sample_mark(struct evs_gen_sample *s, uint32_t id)
{
	uint32_t i;

	if (id & ((1u << s->shift) - 1))
		return;
	i = id >> s->shift;
	if (likely(i < s->nbits))
		s->bits[i >> 6] |= UINT64_C(1) << (i & 63);
}

/** OR @p src into @p dst (same geometry). @return 0 or -EINVAL. */
int evs_gen_sample_merge(struct evs_gen_sample *dst, const struct evs_gen_sample *src);

/** Number of marked flows. */
uint32_t evs_gen_sample_count(const struct evs_gen_sample *s);

/** Flows marked in @p sent but not in @p seen (same geometry, else 0). */
uint32_t evs_gen_sample_missing(const struct evs_gen_sample *sent,
				const struct evs_gen_sample *seen);

/* ---------------------------------------------------------------- rates -- */

/** Packets that a pacer at @p pps owes after @p cycles at @p hz TSC cycles/s. */
static inline uint64_t evs_gen_pace_due(uint64_t cycles, uint64_t pps, uint64_t hz)
{
	return (uint64_t)(((unsigned __int128)cycles * pps) / hz);
}

/** Millions of packets per second. 0 when @p cycles is 0. */
double evs_gen_mpps(uint64_t pkts, uint64_t cycles, uint64_t hz);

/**
 * Gigabits per second for @p pkts frames totalling @p bytes without FCS:
 * counts the 4-byte FCS of each frame, plus 20 bytes of preamble and
 * inter-frame gap when @p l1 is true.
 */
double evs_gen_gbps(uint64_t pkts, uint64_t bytes, uint64_t cycles, uint64_t hz, bool l1);

/** Loss ratio (tx - rx) / tx, 0 when tx is 0 or rx >= tx. */
double evs_gen_loss_ratio(uint64_t tx, uint64_t rx);

#ifdef __cplusplus
}
#endif
#endif /* EVS_GEN_H */
