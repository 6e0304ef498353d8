/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Decapsulation: validate the outer Ethernet/IP/UDP and the VXLAN or
 * GENEVE header, report the metadata, strip the outer headers. The outer
 * headers (options included) must be in the first segment.
 */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_udp.h>

#include "tun_private.h"

int evs_geneve_opts_walk(const uint8_t *opts, unsigned int len,
			 void (*fn)(uint16_t cls, uint8_t type, const uint8_t *data,
				    unsigned int data_len, void *arg),
			 void *arg)
{
	unsigned int off = 0;
	int n = 0;

	while (off < len) {
		unsigned int olen;
		uint16_t cls;

		if (len - off < 4)
			return -EINVAL;
		olen = 4 + (opts[off + 3] & 0x1f) * 4u;
		if (olen > len - off)
			return -EINVAL;
		cls = (uint16_t)(opts[off] << 8 | opts[off + 1]);
		if (fn != NULL)
			fn(cls, opts[off + 2], opts + off + 4, olen - 4, arg);
		off += olen;
		n++;
	}
	return n;
}

struct opt_scan {
	const struct evs_tun_decap *d;
	uint32_t flags;
	bool unknown_critical;
};

static void opt_seen(uint16_t cls, uint8_t type, const uint8_t *data, unsigned int data_len,
		     void *arg)
{
	struct opt_scan *s = arg;
	const struct evs_tun_decap *d = s->d;

	RTE_SET_USED(data);
	RTE_SET_USED(data_len);
	for (unsigned int i = 0; i < d->n_opt_classes; i++)
		if (d->opt_classes[i] == cls)
			s->flags |= 1u << i;
	if (type & GENEVE_OPT_CRITICAL) {
		bool known = false;

		for (unsigned int i = 0; i < d->n_known_critical && !known; i++)
			known =
			    d->known_critical[i].cls == cls && d->known_critical[i].type == type;
		if (!known)
			s->unknown_critical = true;
	}
}

static bool vni_ok(const struct evs_tun_decap *d, uint32_t vni)
{
	uint32_t lo = 0, hi = d->n_vnis;

	if (d->vnis == NULL)
		return true;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (d->vnis[mid] == vni)
			return true;
		if (d->vnis[mid] < vni)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static inline uint16_t port_or(uint16_t p, uint16_t dflt)
{
	return p == 0 ? dflt : p;
}

/* Outer IP: fills @p meta's addresses; returns 0 or 1 + reason, with the
 * IP header length and the UDP datagram length. */
static uint8_t outer_ip(const struct evs_tun_decap *d, const struct rte_mbuf *m, const uint8_t *ip,
			uint32_t avail, unsigned int *iphl, uint32_t *udp_len,
			struct evs_tun_meta *meta)
{
	unsigned int v = ip[0] >> 4;

	if (v == 4) {
		const struct rte_ipv4_hdr *h = (const struct rte_ipv4_hdr *)ip;
		uint32_t tot;

		if (avail < sizeof(*h))
			return 1 + EVS_TUN_DROP_BAD_OUTER;
		*iphl = (h->version_ihl & 0x0f) * 4u;
		tot = rte_be_to_cpu_16(h->total_length);
		if (*iphl < sizeof(*h) || avail < *iphl || tot < *iphl || tot > m->pkt_len)
			return 1 + EVS_TUN_DROP_BAD_OUTER;
		uint64_t ipf = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;

		if (ipf == RTE_MBUF_F_RX_IP_CKSUM_BAD ||
		    (ipf != RTE_MBUF_F_RX_IP_CKSUM_GOOD && d->verify_csum &&
		     tun_ip4_hdr_sum(h, *iphl) != 0xffff))
			return 1 + EVS_TUN_DROP_BAD_CSUM;
		if (rte_be_to_cpu_16(h->fragment_offset) &
		    (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))
			return 1 + EVS_TUN_DROP_FRAGMENT;
		if (h->next_proto_id != IPPROTO_UDP)
			return 1 + EVS_TUN_DROP_NOT_TUNNEL;
		*udp_len = tot - *iphl;
		memset(meta->src, 0, sizeof(meta->src));
		memset(meta->dst, 0, sizeof(meta->dst));
		memcpy(meta->src, &h->src_addr, 4);
		memcpy(meta->dst, &h->dst_addr, 4);
	} else if (v == 6) {
		const struct rte_ipv6_hdr *h = (const struct rte_ipv6_hdr *)ip;

		if (avail < sizeof(*h))
			return 1 + EVS_TUN_DROP_BAD_OUTER;
		*iphl = sizeof(*h);
		*udp_len = rte_be_to_cpu_16(h->payload_len);
		if (*udp_len + sizeof(*h) > m->pkt_len)
			return 1 + EVS_TUN_DROP_BAD_OUTER;
		if (h->proto != IPPROTO_UDP)
			return 1 + EVS_TUN_DROP_NOT_TUNNEL; /* extension headers included */
		memcpy(meta->src, h->src_addr, 16);
		memcpy(meta->dst, h->dst_addr, 16);
	} else {
		return 1 + EVS_TUN_DROP_BAD_OUTER;
	}
	meta->family = (uint8_t)v;
	return 0;
}

/* The tunnel header at @p h (@p len bytes of UDP payload); returns 0 or
 * 1 + reason with the header length. */
static uint8_t tunnel_hdr(const struct evs_tun_decap *d, const uint8_t *h, uint32_t len,
			  unsigned int *hlen, struct evs_tun_meta *meta)
{
	uint32_t vni_be;

	if (len < 8)
		return 1 + EVS_TUN_DROP_BAD_OUTER;
	memcpy(&vni_be, h + 4, 4);
	meta->vni = rte_be_to_cpu_32(vni_be) >> 8;
	meta->opt_flags = EVS_TUN_PRESENT;
	meta->opt_len = 0;
	meta->opts = NULL;
	if (meta->type == EVS_TUN_VXLAN) {
		if (!(h[0] & VXLAN_FLAG_I))
			return 1 + EVS_TUN_DROP_BAD_FLAGS;
		*hlen = VXLAN_HDR_LEN;
	} else {
		struct opt_scan s = {.d = d};
		unsigned int opt_len = (h[0] & 0x3f) * 4u;

		if ((h[0] >> 6) != 0)
			return 1 + EVS_TUN_DROP_BAD_FLAGS;
		if (h[1] & GENEVE_O_BIT)
			return 1 + EVS_TUN_DROP_OAM;
		if ((uint16_t)(h[2] << 8 | h[3]) != ETH_P_TEB)
			return 1 + EVS_TUN_DROP_BAD_PROTOCOL;
		if (GENEVE_HDR_LEN + opt_len > len)
			return 1 + EVS_TUN_DROP_BAD_OPTIONS;
		/* most tunnels carry no option: no walk, no call */
		if (opt_len != 0 &&
		    evs_geneve_opts_walk(h + GENEVE_HDR_LEN, opt_len, opt_seen, &s) < 0)
			return 1 + EVS_TUN_DROP_BAD_OPTIONS;
		if (s.unknown_critical)
			return 1 + EVS_TUN_DROP_CRITICAL_OPTION;
		meta->opt_flags |= s.flags;
		meta->opt_len = (uint16_t)opt_len;
		meta->opts = opt_len != 0 ? h + GENEVE_HDR_LEN : NULL;
		*hlen = GENEVE_HDR_LEN + opt_len;
	}
	if (!vni_ok(d, meta->vni))
		return 1 + EVS_TUN_DROP_BAD_VNI;
	return 0;
}

static uint8_t decap_one(const struct evs_tun_decap *d, struct rte_mbuf *m,
			 struct evs_tun_meta *meta)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t avail = m->data_len, udp_len, inner;
	unsigned int l2 = RTE_ETHER_HDR_LEN, iphl, hlen;
	const struct rte_udp_hdr *u;
	uint16_t type, dport;
	uint8_t rc;

	if (avail < RTE_ETHER_HDR_LEN)
		return 1 + EVS_TUN_DROP_BAD_OUTER;
	type = rte_be_to_cpu_16(((const struct rte_ether_hdr *)p)->ether_type);
	if (type == RTE_ETHER_TYPE_VLAN) {
		if (avail < l2 + 4)
			return 1 + EVS_TUN_DROP_BAD_OUTER;
		type = (uint16_t)(p[16] << 8 | p[17]);
		l2 += 4;
	}
	if (type != RTE_ETHER_TYPE_IPV4 && type != RTE_ETHER_TYPE_IPV6)
		return 1 + EVS_TUN_DROP_NOT_TUNNEL;
	rc = outer_ip(d, m, p + l2, avail - l2, &iphl, &udp_len, meta);
	if (rc != 0)
		return rc;
	if (udp_len + l2 + iphl > m->pkt_len || avail < l2 + iphl + sizeof(*u))
		return 1 + EVS_TUN_DROP_BAD_OUTER;
	u = (const struct rte_udp_hdr *)(p + l2 + iphl);
	dport = rte_be_to_cpu_16(u->dst_port);
	if (dport == port_or(d->vxlan_port, EVS_VXLAN_PORT) && d->vxlan_port != UINT16_MAX)
		meta->type = EVS_TUN_VXLAN;
	else if (dport == port_or(d->geneve_port, EVS_GENEVE_PORT) && d->geneve_port != UINT16_MAX)
		meta->type = EVS_TUN_GENEVE;
	else
		return 1 + EVS_TUN_DROP_NOT_TUNNEL;
	if (rte_be_to_cpu_16(u->dgram_len) != udp_len || udp_len < sizeof(*u))
		return 1 + EVS_TUN_DROP_BAD_OUTER;
	if (u->dgram_cksum == 0) {
		if (meta->family == 6 && !d->ipv6_zero_csum)
			return 1 + EVS_TUN_DROP_ZERO_CSUM6;
	} else {
		uint64_t l4f = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;

		if (l4f == RTE_MBUF_F_RX_L4_CKSUM_BAD ||
		    (l4f != RTE_MBUF_F_RX_L4_CKSUM_GOOD && d->verify_csum &&
		     tun_udp_sum(m, p + l2, meta->family, l2 + iphl, udp_len) != 0xffff))
			return 1 + EVS_TUN_DROP_BAD_CSUM;
	}
	if (avail < l2 + iphl + sizeof(*u) + 8)
		return 1 + EVS_TUN_DROP_BAD_OUTER;
	rc = tunnel_hdr(d, (const uint8_t *)(u + 1), udp_len - (uint32_t)sizeof(*u), &hlen, meta);
	if (rc != 0)
		return rc;
	if (avail < l2 + iphl + sizeof(*u) + hlen)
		return 1 + EVS_TUN_DROP_BAD_OUTER; /* options past the first segment */
	inner = udp_len - (uint32_t)sizeof(*u) - hlen;
	if (inner < RTE_ETHER_HDR_LEN)
		return 1 + EVS_TUN_DROP_BAD_INNER;
	/* Link padding after the outer IP packet is not part of the frame. */
	if (unlikely(m->pkt_len != l2 + iphl + udp_len))
		rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - (l2 + iphl + udp_len)));
	/* the outer headers are in the first segment (checked above): what
	 * rte_pktmbuf_adj does, without its checks */
	hlen += l2 + iphl + (unsigned int)sizeof(*u);
	m->data_off = (uint16_t)(m->data_off + hlen);
	m->data_len = (uint16_t)(m->data_len - hlen);
	m->pkt_len -= hlen;
	m->l2_len = 0;
	m->l3_len = 0;
	m->l4_len = 0;
	return 0;
}

/* What decap_fast needs of the decap, once per burst: the UDP ports as
 * the datagram's destination-port word holds them (network order in the
 * low half; UINT32_MAX, which no masked word equals, when off). */
struct fast_k {
	const struct evs_tun_decap *d;
	uint32_t vxlan_w, geneve_w;
	uint32_t last_vni; /* the last accepted: UINT32_MAX for none (24-bit VNIs) */
	bool verify;
};

static inline uint32_t port_word(uint16_t p, uint16_t dflt)
{
	return p == UINT16_MAX ? UINT32_MAX : rte_cpu_to_be_32(port_or(p, dflt));
}

static inline void fast_k_init(struct fast_k *k, const struct evs_tun_decap *d)
{
	k->d = d;
	k->vxlan_w = port_word(d->vxlan_port, EVS_VXLAN_PORT);
	k->geneve_w = port_word(d->geneve_port, EVS_GENEVE_PORT);
	k->last_vni = UINT32_MAX;
	k->verify = d->verify_csum;
}

static inline uint32_t load32(const uint8_t *p)
{
	uint32_t w;

	memcpy(&w, p, 4);
	return w;
}

/* The usual frame in one pass: untagged IPv4 without options, not a
 * fragment, UDP without checksum (RFC 7348 / 8926 over IPv4) to the VXLAN
 * or GENEVE port, no GENEVE option, nothing after the datagram, a VNI
 * accepted. The same result as decap_one; false means "another shape or
 * an error": decap_one decides and counts (it may find meta written).
 * Header fields are tested as masked 32-bit words in wire order. */
static inline bool decap_fast(struct fast_k *k, struct rte_mbuf *m, struct evs_tun_meta *meta)
{
	enum { IP4 = 20, HDRS = RTE_ETHER_HDR_LEN + IP4 + 8 + 8 };
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint64_t ipf = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
	uint32_t tot, w, ports, g;

	/* the inner Ethernet header within the first segment too */
	if (m->data_len < HDRS + RTE_ETHER_HDR_LEN)
		return false;
	/* EtherType IPv4, version 4 with a 20-byte header */
	if ((load32(p + 12) & RTE_BE32(0xffffff00)) != RTE_BE32(0x08004500))
		return false;
	/* neither MF nor an offset, protocol UDP */
	if ((load32(p + 20) & RTE_BE32(0x3fff00ff)) != RTE_BE32(IPPROTO_UDP))
		return false;
	w = rte_be_to_cpu_32(load32(p + 38)); /* UDP length, checksum */
	tot = rte_be_to_cpu_32(load32(p + 16)) >> 16;
	if ((w & 0xffff) != 0 || tot + RTE_ETHER_HDR_LEN != m->pkt_len || (w >> 16) != tot - IP4)
		return false;
	if (ipf == RTE_MBUF_F_RX_IP_CKSUM_BAD ||
	    (ipf != RTE_MBUF_F_RX_IP_CKSUM_GOOD && k->verify &&
	     tun_ip4_hdr_sum(p + RTE_ETHER_HDR_LEN, IP4) != 0xffff))
		return false;
	ports = load32(p + 34) & RTE_BE32(0xffff); /* the destination port */
	g = load32(p + HDRS - 8);
	if (ports == k->vxlan_w) {
		if (!(g & RTE_BE32((uint32_t)VXLAN_FLAG_I << 24)))
			return false;
		meta->type = EVS_TUN_VXLAN;
	} else if (ports == k->geneve_w) {
		/* version 0 and no option (byte 0), not OAM, Ethernet */
		if ((g & RTE_BE32(0xff00ffff | (uint32_t)GENEVE_O_BIT << 16)) !=
		    RTE_BE32(ETH_P_TEB))
			return false;
		meta->type = EVS_TUN_GENEVE;
	} else {
		return false;
	}
	meta->vni = rte_be_to_cpu_32(load32(p + HDRS - 4)) >> 8;
	/* a burst is mostly one VNI's: the search once per change */
	if (meta->vni != k->last_vni) {
		if (!vni_ok(k->d, meta->vni))
			return false;
		k->last_vni = meta->vni;
	}
	meta->opt_flags = EVS_TUN_PRESENT;
	meta->opt_len = 0;
	meta->opts = NULL;
	meta->family = 4;
	memset(meta->src, 0, sizeof(meta->src));
	memset(meta->dst, 0, sizeof(meta->dst));
	memcpy(meta->src, p + 26, 4);
	memcpy(meta->dst, p + 30, 4);
	m->data_off = (uint16_t)(m->data_off + HDRS);
	m->data_len = (uint16_t)(m->data_len - HDRS);
	m->pkt_len -= HDRS;
	m->l2_len = 0;
	m->l3_len = 0;
	m->l4_len = 0;
	return true;
}

uint16_t evs_tun_decap_burst(const struct evs_tun_decap *d, struct rte_mbuf **pkts, uint16_t n,
			     struct evs_tun_meta *meta, struct evs_tun_stats *st)
{
	uint8_t status[TUN_CHUNK];
	struct fast_k fk;
	uint64_t bytes = 0;
	uint16_t k = 0;

	fast_k_init(&fk, d);

	for (uint16_t off = 0; off < n; off += TUN_CHUNK) {
		uint16_t len = RTE_MIN((uint16_t)(n - off), (uint16_t)TUN_CHUNK), a = 0;

		for (uint16_t i = 0; i < len; i++) {
			struct rte_mbuf *m = pkts[off + i];

			/* Accepted packets land at k + a after the partition: their
			 * metadata is written there at once (a refused one's slot is
			 * the next one's; k + a < n) */
			status[i] = likely(!d->full_checks && decap_fast(&fk, m, &meta[k + a]))
					? 0
					: decap_one(d, m, &meta[k + a]);
			if (unlikely(status[i] != 0)) {
				tun_count(&st->drops[status[i] - 1], 1);
				continue;
			}
			a++;
			bytes += m->pkt_len;
		}
		/* all taken, none refused before: already in place */
		k = likely(a == len && k == off) ? (uint16_t)(k + len)
						 : tun_partition(pkts, status, k, off, len);
	}
	tun_count(&st->decap_packets, k);
	tun_count(&st->decap_bytes, bytes);
	return k;
}

uint16_t evs_tun_decap_plain_burst(const struct evs_tun_decap *d, struct rte_mbuf **pkts,
				   uint16_t n, struct evs_tun_meta *meta, struct evs_tun_stats *st)
{
	struct fast_k fk;
	uint64_t bytes = 0;
	uint16_t i;

	if (unlikely(d->full_checks))
		return 0;
	fast_k_init(&fk, d);
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		if (!decap_fast(&fk, m, &meta[i]))
			break; /* untouched: the caller's full path decides */
		bytes += m->pkt_len;
	}
	/* once per burst: the counters' lines stay out of the loop */
	tun_count(&st->decap_packets, i);
	tun_count(&st->decap_bytes, bytes);
	return i;
}
