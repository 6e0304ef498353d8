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
	if (c->options_len > EVS_GENEVE_OPT_MAX)
		return -E2BIG;
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
	t->hdr_len = (uint16_t)evs_tun_overhead(c->type, v, c->options_len);
	if (mtu < (unsigned int)t->hdr_len) /* not even an empty frame would fit */
		return -EINVAL;
	/* The inner frame may use what the underlay's IP MTU leaves. */
	t->max_frame = (uint16_t)(mtu - (t->hdr_len - RTE_ETHER_HDR_LEN));
	t->family = (uint8_t)v;
	t->udp_csum = v == 6 || c->udp_csum;
	t->csum_offload = c->csum_offload;
	t->sport_min = (uint16_t)smin;
	t->sport_span = (uint16_t)(smax - smin + 1); /* 65536 wraps to 0 */

	eh = (struct rte_ether_hdr *)t->hdr;
	eh->dst_addr = c->dst_mac;
	eh->src_addr = c->src_mac;
	eh->ether_type = rte_cpu_to_be_16(v == 4 ? RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6);
	ip = t->hdr + RTE_ETHER_HDR_LEN;
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

/* Source port in [min, min + span) from the flow hash (multiply-shift). */
static inline uint16_t sport(const struct evs_tun_encap *t, uint32_t hash)
{
	uint32_t span = t->sport_span != 0 ? t->sport_span : 65536u;

	return (uint16_t)(t->sport_min + (uint16_t)(((uint64_t)hash * span) >> 32));
}

/* 0 or 1 + enum evs_tun_drop. */
static uint8_t encap_one(const struct evs_tun_encap *t, struct rte_mbuf *m, uint32_t hash)
{
	unsigned int iphl =
	    t->family == 4 ? sizeof(struct rte_ipv4_hdr) : sizeof(struct rte_ipv6_hdr);
	uint32_t frame = m->pkt_len, ip_len = t->hdr_len - RTE_ETHER_HDR_LEN + frame;
	struct rte_udp_hdr *u;
	uint8_t *p, *ip;

	if (frame > t->max_frame)
		return 1 + EVS_TUN_DROP_TOO_BIG;
	p = (uint8_t *)rte_pktmbuf_prepend(m, t->hdr_len);
	if (p == NULL)
		return 1 + EVS_TUN_DROP_NO_ROOM;
	rte_memcpy(p, t->hdr, t->hdr_len);
	ip = p + RTE_ETHER_HDR_LEN;
	u = (struct rte_udp_hdr *)(ip + iphl);
	if (t->family == 4) {
		struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)ip;
		uint16_t len_be = rte_cpu_to_be_16((uint16_t)ip_len);

		h->total_length = len_be;
		h->hdr_checksum = (uint16_t)~tun_fold(t->ip_sum + len_be);
	} else {
		((struct rte_ipv6_hdr *)ip)->payload_len =
		    rte_cpu_to_be_16((uint16_t)(ip_len - iphl));
	}
	u->src_port = rte_cpu_to_be_16(sport(t, hash));
	u->dgram_len = rte_cpu_to_be_16((uint16_t)(ip_len - iphl));
	m->l2_len = RTE_ETHER_HDR_LEN;
	m->l3_len = iphl;
	m->l4_len = sizeof(*u);
	if (t->udp_csum && t->csum_offload) {
		/* The NIC adds the datagram to the pseudo-header sum put here. */
		m->ol_flags |= RTE_MBUF_F_TX_UDP_CKSUM |
			       (t->family == 4 ? RTE_MBUF_F_TX_IPV4 : RTE_MBUF_F_TX_IPV6);
		u->dgram_cksum = t->family == 4 ? rte_ipv4_phdr_cksum((void *)ip, m->ol_flags)
						: rte_ipv6_phdr_cksum((void *)ip, m->ol_flags);
	} else if (t->udp_csum) {
		uint16_t c = (uint16_t)~tun_udp_sum(m, ip, t->family, RTE_ETHER_HDR_LEN + iphl,
						    ip_len - iphl);

		u->dgram_cksum = c == 0 ? 0xffff : c; /* zero means "none" in UDP */
	}
	return 0;
}

uint16_t evs_tun_encap_burst(const struct evs_tun_encap *t, struct rte_mbuf **pkts, uint16_t n,
			     const uint32_t *hashes, struct evs_tun_stats *st)
{
	uint8_t status[TUN_CHUNK];
	uint64_t bytes = 0;
	uint16_t k = 0;

	for (uint16_t off = 0; off < n; off += TUN_CHUNK) {
		uint16_t len = RTE_MIN((uint16_t)(n - off), (uint16_t)TUN_CHUNK);

		for (uint16_t i = 0; i < len; i++) {
			struct rte_mbuf *m = pkts[off + i];
			uint32_t frame = m->pkt_len;

			status[i] = encap_one(t, m, hashes ? hashes[off + i] : m->hash.rss);
			if (status[i] != 0)
				tun_count(&st->drops[status[i] - 1], 1);
			else
				bytes += frame;
		}
		k = tun_partition(pkts, status, k, off, len);
	}
	tun_count(&st->encap_packets, k);
	tun_count(&st->encap_bytes, bytes);
	return k;
}
