/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Encapsulation: the outer header is a template built once per remote
 * endpoint; per packet it is copied in front of the frame and only the
 * lengths, the IPv4 checksum, the UDP source port and (IPv6, or when asked)
 * the UDP checksum are written.
 */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_memcpy.h>
#include <rte_udp.h>

#include "evs_crc.h"
#include "tun_private.h"

unsigned int evs_tun_overhead(enum evs_tun_type type, unsigned int family, unsigned int options_len)
{
	return RTE_ETHER_HDR_LEN +
	       (family == 6 ? sizeof(struct rte_ipv6_hdr) : sizeof(struct rte_ipv4_hdr)) +
	       sizeof(struct rte_udp_hdr) +
	       (type == EVS_TUN_GENEVE ? GENEVE_HDR_LEN + options_len : VXLAN_HDR_LEN);
}

static int opts_check(const uint8_t *opts, unsigned int len, bool *critical)
{
	unsigned int off = 0;

	*critical = false;
	while (off < len) {
		unsigned int olen;

		if (len - off < 4)
			return -EINVAL;
		olen = 4 + (opts[off + 3] & 0x1f) * 4u;
		if (olen > len - off)
			return -EINVAL;
		if (opts[off + 2] & GENEVE_OPT_CRITICAL)
			*critical = true;
		off += olen;
	}
	return 0;
}

static void write_tunnel_hdr(uint8_t *h, const struct evs_tun_encap_config *c, bool critical)
{
	uint32_t vni = rte_cpu_to_be_32(c->vni << 8);

	memset(h, 0, 8);
	if (c->type == EVS_TUN_VXLAN) {
		h[0] = VXLAN_FLAG_I;
	} else {
		uint16_t proto = rte_cpu_to_be_16(ETH_P_TEB);

		h[0] = (uint8_t)(c->options_len / 4); /* version 0 */
		h[1] = critical ? GENEVE_C_BIT : 0;
		memcpy(h + 2, &proto, 2);
		if (c->options_len != 0)
			memcpy(h + 8, c->options, c->options_len);
	}
	memcpy(h + 4, &vni, 4); /* VNI in the top 24 bits, reserved byte 0 */
}

int evs_tun_encap_init(struct evs_tun_encap *t, const struct evs_tun_encap_config *c)
{
	unsigned int v = c->local.family, iphl, mtu = c->underlay_mtu ? c->underlay_mtu : 1500;
	unsigned int smin = c->src_port_min, smax = c->src_port_max;
	struct rte_ether_hdr *eh;
	struct rte_udp_hdr *u;
	bool critical = false;
	uint8_t *ip;

	if (c->vni > 0xffffff || (v != 4 && v != 6) || c->remote.family != v)
		return -EINVAL;
	if (c->type != EVS_TUN_VXLAN && c->type != EVS_TUN_GENEVE)
		return -EINVAL;
	if (c->options_len > EVS_GENEVE_OPT_MAX ||
	    c->options_len + c->xopt_room > EVS_GENEVE_OPT_MAX)
		return -E2BIG;
	if (c->xopt_room != 0 && (c->type != EVS_TUN_GENEVE || (c->xopt_room & 3) != 0))
		return -EINVAL;
	/* a tag names a VLAN (1-4094); DEI is not ours to set */
	if (c->vlan_tci != 0 && ((c->vlan_tci & 0xfff) == 0 || (c->vlan_tci & 0xfff) == 0xfff ||
				 (c->vlan_tci & 0x1000) != 0))
		return -EINVAL;
	if (c->options_len != 0 &&
	    (c->type != EVS_TUN_GENEVE || c->options == NULL || (c->options_len & 3) != 0 ||
	     opts_check(c->options, c->options_len, &critical) != 0))
		return -EINVAL;
	if (smin == 0 && smax == 0) {
		smin = 49152; /* the dynamic range, RFC 7348 5 */
		smax = 65535;
	}
	if (smin > smax)
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	t->l2_len =
	    (uint8_t)(RTE_ETHER_HDR_LEN + (c->vlan_tci != 0 ? sizeof(struct rte_vlan_hdr) : 0));
	t->hdr_len = (uint16_t)(evs_tun_overhead(c->type, v, c->options_len) + t->l2_len -
				RTE_ETHER_HDR_LEN);
	if (mtu < (unsigned int)t->hdr_len + c->xopt_room) /* not even an empty frame */
		return -EINVAL;
	/* The inner frame may use what the underlay's IP MTU leaves. */
	t->max_frame = (uint16_t)(mtu - (t->hdr_len - t->l2_len) - c->xopt_room);
	t->opt_words = (uint8_t)(c->options_len / 4);
	t->xopt_room = (uint8_t)c->xopt_room;
	t->family = (uint8_t)v;
	t->udp_csum = v == 6 ? !c->ipv6_zero_csum : c->udp_csum;
	t->csum_offload = c->csum_offload;
	t->sport_min = (uint16_t)smin;
	t->sport_span = (uint16_t)(smax - smin + 1); /* 65536 wraps to 0 */

	eh = (struct rte_ether_hdr *)t->hdr;
	eh->dst_addr = c->dst_mac;
	eh->src_addr = c->src_mac;
	eh->ether_type = rte_cpu_to_be_16(v == 4 ? RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6);
	if (c->vlan_tci != 0) {
		struct rte_vlan_hdr *vh = (struct rte_vlan_hdr *)(eh + 1);

		vh->vlan_tci = rte_cpu_to_be_16(c->vlan_tci);
		vh->eth_proto = eh->ether_type;
		eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
	}
	ip = t->hdr + t->l2_len;
	if (v == 4) {
		struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)ip;

		iphl = sizeof(*h);
		h->version_ihl = 0x45;
		h->type_of_service = c->tos;
		h->fragment_offset = c->df ? rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG) : 0;
		h->time_to_live = c->ttl ? c->ttl : 64;
		h->next_proto_id = IPPROTO_UDP;
		memcpy(&h->src_addr, c->local.b, 4);
		memcpy(&h->dst_addr, c->remote.b, 4);
		/* Length and checksum zero: the per-packet checksum adds the length. */
		t->ip_sum = rte_raw_cksum(h, sizeof(*h));
	} else {
		struct rte_ipv6_hdr *h = (struct rte_ipv6_hdr *)ip;

		iphl = sizeof(*h);
		h->vtc_flow = rte_cpu_to_be_32((6u << 28) | ((uint32_t)c->tos << 20));
		h->proto = IPPROTO_UDP;
		h->hop_limits = c->ttl ? c->ttl : 64;
		memcpy(h->src_addr, c->local.b, 16);
		memcpy(h->dst_addr, c->remote.b, 16);
	}
	u = (struct rte_udp_hdr *)(ip + iphl);
	u->dst_port = rte_cpu_to_be_16(c->dst_port != 0		  ? c->dst_port
				       : c->type == EVS_TUN_VXLAN ? EVS_VXLAN_PORT
								  : EVS_GENEVE_PORT);
	write_tunnel_hdr((uint8_t *)(u + 1), c, critical);
	return 0;
}

static inline uint16_t be16_at(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* IP protocols whose first 4 L4 bytes are the ports: TCP, UDP, SCTP. */
static const uint8_t has_ports[256] = {[IPPROTO_TCP] = 1, [IPPROTO_UDP] = 1, [IPPROTO_SCTP] = 1};

/* IPv4 at @p ip, its header @p ihl bytes long (as its first byte says),
 * with @p avail bytes from it (at least 20). */
static inline uint32_t ipv4_hash(const uint8_t *ip, uint32_t ihl, uint32_t avail)
{
	uint32_t ports;
	uint64_t a;
	uint32_t h;

	memcpy(&a, ip + 12, 8); /* source and destination */
	h = evs_crc32c_u64(ip[9], a);
	/* fragments: the addresses alone (a later one has no ports) */
	if ((be16_at(ip + 6) & 0x3fff) != 0 || !has_ports[ip[9]] || ihl < 20 || avail < ihl + 4)
		return h;
	memcpy(&ports, ip + ihl, 4);
	return evs_crc32c_u32(h, ports);
}

static inline uint32_t ipv6_hash(const uint8_t *ip, uint32_t avail)
{
	uint32_t h = ip[6], ports;
	uint64_t a;

	for (unsigned int i = 8; i < 40; i += 8) {
		memcpy(&a, ip + i, 8);
		h = evs_crc32c_u64(h, a);
	}
	/* extension headers: the addresses alone */
	if (!has_ports[ip[6]] || avail < 44)
		return h;
	memcpy(&ports, ip + 40, 4);
	return evs_crc32c_u32(h, ports);
}

/* inner_hash's other shapes: tagged, IPv6, IP options, not IP, runts. */
static __rte_noinline uint32_t inner_hash_other(const struct rte_mbuf *m)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = m->data_len, off = RTE_ETHER_HDR_LEN;
	uint64_t a, b;
	uint16_t type;

	if (unlikely(len < RTE_ETHER_HDR_LEN))
		return 0;
	type = be16_at(p + 12);
	if (unlikely(type == RTE_ETHER_TYPE_VLAN) && len >= off + 4) {
		type = be16_at(p + 16);
		off += 4;
	}
	if (likely(type == RTE_ETHER_TYPE_IPV4) && len >= off + 20)
		return ipv4_hash(p + off, (p[off] & 0xfu) * 4u, len - off);
	if (type == RTE_ETHER_TYPE_IPV6 && len >= off + 40)
		return ipv6_hash(p + off, len - off);
	memcpy(&a, p, 8);
	memcpy(&b, p + 4, 8); /* the MACs (bytes 4-7 twice) */
	return evs_crc32c_u64(evs_crc32c_u64(type, a), b);
}

/* The usual frame, untagged IPv4 without options, inline (ipv4_hash with
 * the header's length known, so its bounds tests fold away); the rest out
 * of line, so that the encap loop keeps its registers. */
static inline uint32_t inner_hash(const struct rte_mbuf *m)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t w;

	memcpy(&w, p + 12, 4);
	if (unlikely(m->data_len < RTE_ETHER_HDR_LEN + 24 ||
		     (w & RTE_BE32(0xffffff00)) != RTE_BE32(0x08004500)))
		return inner_hash_other(m);
	return ipv4_hash(p + RTE_ETHER_HDR_LEN, 20, 24);
}

uint32_t evs_tun_inner_hash(const struct rte_mbuf *m)
{
	return inner_hash(m);
}

/* What encap_one needs of the template, copied into locals once per burst:
 * the stores into packets could alias the template, so the compiler would
 * reload it per packet. */
struct encap_k {
	const uint8_t *hdr;
	uint32_t hdr_len, l2_len, max_frame, ip_sum, sport_min, sport_span;
	uint32_t opt_words, xopt_room;
	bool udp_csum, csum_offload;
};

static inline struct encap_k encap_k_of(const struct evs_tun_encap *tpl)
{
	return (struct encap_k){.hdr = tpl->hdr,
				.hdr_len = tpl->hdr_len,
				.l2_len = tpl->l2_len,
				.max_frame = tpl->max_frame,
				.ip_sum = tpl->ip_sum,
				.sport_min = tpl->sport_min,
				.sport_span = tpl->sport_span != 0 ? tpl->sport_span : 65536u,
				.opt_words = tpl->opt_words,
				.xopt_room = tpl->xopt_room,
				.udp_csum = tpl->udp_csum,
				.csum_offload = tpl->csum_offload};
}

/* What a burst loop knows of its tunnel, as encap_one's constant @p shape:
 * each combination compiles to its own loop with the rest folded away. */
enum encap_shape {
	ENC_V6 = 1,    /* IPv6 outer header (else IPv4) */
	ENC_X = 2,     /* per-packet GENEVE options */
	ENC_CSUM = 4,  /* the UDP checksum may be asked for (else never) */
	ENC_SHORT = 8, /* the template has at most 96 bytes (no size dispatch) */
};

/* 0 or 1 + enum evs_tun_drop, @p m untouched then. @p shape is a constant
 * after inlining: the plain path keeps no trace of per-packet options, and
 * IPv4 without a UDP checksum none of the checksum code (whose registers
 * would otherwise spill the loop's to the stack). */
static __rte_always_inline uint8_t encap_one(const struct encap_k *t, struct rte_mbuf *m,
					     uint32_t hash, const struct evs_tun_xopt *x,
					     const unsigned int shape)
{
	const bool with_x = (shape & ENC_X) != 0;
	const unsigned int v = shape & ENC_V6 ? 6 : 4;
	const unsigned int iphl =
	    v == 4 ? sizeof(struct rte_ipv4_hdr) : sizeof(struct rte_ipv6_hdr);
	uint32_t xlen = with_x && x != NULL ? x->len : 0;
	uint32_t frame = m->pkt_len, ip_len = t->hdr_len + xlen - t->l2_len + frame;
	struct rte_udp_hdr *u;
	uint8_t *p, *ip;

	if (frame > t->max_frame)
		return 1 + EVS_TUN_DROP_TOO_BIG;
	if (with_x && unlikely(xlen > t->xopt_room || (xlen & 3) != 0))
		return 1 + EVS_TUN_DROP_BAD_OPTIONS;
	p = (uint8_t *)rte_pktmbuf_prepend(m, (uint16_t)(t->hdr_len + xlen));
	if (p == NULL)
		return 1 + EVS_TUN_DROP_NO_ROOM;
	if (with_x) {
		uint8_t *g = p + t->l2_len + iphl + sizeof(struct rte_udp_hdr);

		rte_memcpy(p, t->hdr, t->hdr_len);
		if (xlen != 0) {
			memcpy(p + t->hdr_len, x->b, xlen);
			g[0] = (uint8_t)(t->opt_words + xlen / 4); /* version 0 */
			if (x->critical)
				g[1] |= GENEVE_C_BIT;
		}
	} else if (shape & ENC_SHORT || likely(t->hdr_len <= 96)) {
		/* without options (50-74 bytes, hdr_len >= 50): fixed 32-byte
		 * copies, the last one overlapping, no size dispatch */
		memcpy(p, t->hdr, 32);
		if (t->hdr_len > 64)
			memcpy(p + 32, t->hdr + 32, 32);
		memcpy(p + t->hdr_len - 32, t->hdr + t->hdr_len - 32, 32);
	} else {
		rte_memcpy(p, t->hdr, t->hdr_len);
	}
	ip = p + t->l2_len;
	u = (struct rte_udp_hdr *)(ip + iphl);
	if (v == 4) {
		struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)ip;
		uint16_t len_be = rte_cpu_to_be_16((uint16_t)ip_len);

		h->total_length = len_be;
		h->hdr_checksum = (uint16_t)~tun_fold(t->ip_sum + len_be);
	} else {
		((struct rte_ipv6_hdr *)ip)->payload_len =
		    rte_cpu_to_be_16((uint16_t)(ip_len - iphl));
	}
	/* source port in [min, min + span) from the flow hash (multiply-shift) */
	u->src_port =
	    rte_cpu_to_be_16((uint16_t)(t->sport_min + (((uint64_t)hash * t->sport_span) >> 32)));
	u->dgram_len = rte_cpu_to_be_16((uint16_t)(ip_len - iphl));
	/* one store for l2/l3/l4_len (the outer headers; no TSO, no outer_*) */
	m->tx_offload = rte_mbuf_tx_offload(t->l2_len, iphl, sizeof(*u), 0, 0, 0, 0);
	if (!(shape & ENC_CSUM))
		return 0;
	if (t->udp_csum && t->csum_offload) {
		/* The NIC adds the datagram to the pseudo-header sum put here. */
		m->ol_flags |=
		    RTE_MBUF_F_TX_UDP_CKSUM | (v == 4 ? RTE_MBUF_F_TX_IPV4 : RTE_MBUF_F_TX_IPV6);
		u->dgram_cksum = v == 4 ? rte_ipv4_phdr_cksum((void *)ip, m->ol_flags)
					: rte_ipv6_phdr_cksum((void *)ip, m->ol_flags);
	} else if (t->udp_csum) {
		uint16_t c = (uint16_t)~tun_udp_sum(m, ip, v, t->l2_len + iphl, ip_len - iphl);

		u->dgram_cksum = c == 0 ? 0xffff : c; /* zero means "none" in UDP */
	}
	return 0;
}

static __rte_always_inline uint16_t encap_run(const struct evs_tun_encap *tpl,
					      struct rte_mbuf **pkts, uint16_t n,
					      const uint32_t *hashes,
					      const struct evs_tun_xopt *const *x,
					      struct evs_tun_stats *st, const unsigned int shape)
{
	const struct encap_k t = encap_k_of(tpl);
	uint8_t status[TUN_CHUNK];
	uint64_t bytes = 0;
	uint16_t k = 0;

	for (uint16_t off = 0; off < n; off += TUN_CHUNK) {
		uint16_t len = RTE_MIN((uint16_t)(n - off), (uint16_t)TUN_CHUNK);
		bool refused = false;

		for (uint16_t i = 0; i < len; i++) {
			struct rte_mbuf *m = pkts[off + i];
			uint32_t frame = m->pkt_len;

			/* not the NIC's RSS hash: frames of one flow that were
			 * punted or injected (hash.usr) must keep their port */
			status[i] =
			    encap_one(&t, m, hashes != NULL ? hashes[off + i] : inner_hash(m),
				      shape & ENC_X ? x[off + i] : NULL, shape);
			if (unlikely(status[i] != 0)) {
				tun_count(&st->drops[status[i] - 1], 1);
				refused = true;
			} else {
				bytes += frame;
			}
		}
		/* all taken, none refused before: already in place */
		k = likely(!refused && k == off) ? (uint16_t)(k + len)
						 : tun_partition(pkts, status, k, off, len);
	}
	tun_count(&st->encap_packets, k);
	tun_count(&st->encap_bytes, bytes);
	return k;
}

/* The usual tunnel (IPv4, no UDP checksum, no per-packet option, an
 * outer header of at most 96 bytes) over the longest prefix of @p pkts
 * that it takes: encap_one's plainest shape with no status array and no
 * partition, out of line so that the template's fields stay in registers.
 * One pass per frame (a first pass for the hashes cost a D1 miss per frame
 * more than it saved). Stops, the frame untouched, at the first refusal
 * (too big, no headroom): encap_run decides and counts the rest. */
static __rte_noinline uint16_t encap_plain4(const struct evs_tun_encap *tpl, struct rte_mbuf **pkts,
					    uint16_t n, const uint32_t *hashes, uint64_t *bytes_out)
{
	const struct encap_k t = encap_k_of(tpl);
	uint64_t bytes = 0;
	uint16_t i;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint32_t frame = m->pkt_len;

		/* not the NIC's RSS hash: see encap_run */
		if (unlikely(encap_one(&t, m, hashes != NULL ? hashes[i] : inner_hash(m), NULL,
				       ENC_SHORT) != 0))
			break;
		bytes += frame;
	}
	*bytes_out = bytes;
	return i;
}

uint16_t evs_tun_encap_burst(const struct evs_tun_encap *t, struct rte_mbuf **pkts, uint16_t n,
			     const uint32_t *hashes, struct evs_tun_stats *st)
{
	/* the usual tunnel (IPv4, no UDP checksum: RFC 7348 / 8926) on its own */
	if (t->family == 4 && !t->udp_csum && t->hdr_len <= 96) {
		uint64_t bytes;
		uint16_t k = encap_plain4(t, pkts, n, hashes, &bytes), r = 0;

		if (unlikely(k != n)) /* taken ones land after the prefix, in order */
			r = encap_run(t, pkts + k, (uint16_t)(n - k),
				      hashes != NULL ? hashes + k : NULL, NULL, st, 0);
		tun_count(&st->encap_packets, k);
		tun_count(&st->encap_bytes, bytes);
		return (uint16_t)(k + r);
	}
	if (t->family == 4 && !t->udp_csum)
		return encap_run(t, pkts, n, hashes, NULL, st, 0);
	return t->family == 4 ? encap_run(t, pkts, n, hashes, NULL, st, ENC_CSUM)
			      : encap_run(t, pkts, n, hashes, NULL, st, ENC_V6 | ENC_CSUM);
}

uint16_t evs_tun_encap_burst_x(const struct evs_tun_encap *t, struct rte_mbuf **pkts, uint16_t n,
			       const uint32_t *hashes, const struct evs_tun_xopt *const *x,
			       struct evs_tun_stats *st)
{
	if (x == NULL || t->xopt_room == 0)
		return evs_tun_encap_burst(t, pkts, n, hashes, st);
	return t->family == 4 ? encap_run(t, pkts, n, hashes, x, st, ENC_X | ENC_CSUM)
			      : encap_run(t, pkts, n, hashes, x, st, ENC_V6 | ENC_X | ENC_CSUM);
}

int evs_tun_src_tags_opt(struct evs_tun_xopt *x, const uint32_t *ids, unsigned int n)
{
	if (n > EVS_TUN_SRC_TAGS_MAX)
		return -E2BIG;
	memset(x, 0, sizeof(*x));
	if (n == 0)
		return 0;
	x->b[0] = EVS_GENEVE_CLASS_EDGEVS >> 8;
	x->b[1] = EVS_GENEVE_CLASS_EDGEVS & 0xff;
	x->b[2] = EVS_GENEVE_TYPE_SRC_TAGS; /* not critical */
	x->b[3] = (uint8_t)n;		    /* length in 4-byte words */
	for (unsigned int i = 0; i < n; i++) {
		uint32_t be = rte_cpu_to_be_32(ids[i]);

		memcpy(x->b + 4 + 4 * i, &be, 4);
	}
	x->len = (uint8_t)(4 + 4 * n);
	return 0;
}
