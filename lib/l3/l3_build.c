/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packets the router sends itself: ARP requests and replies, neighbour
 * solicitations and advertisements, echo replies (in place) and ICMP/ICMPv6
 * errors quoting the packet that caused them. Management lcore or a PMD's
 * reply opcode; nothing here keeps state.
 */
#include <errno.h>
#include <netinet/in.h>

#include <rte_arp.h>
#include <rte_icmp.h>
#include <rte_ip.h>

#include "l3_private.h"

#define ETH_MIN_FRAME 60 /* without FCS: shorter frames are padded */
#define TTL_OWN 64	 /* TTL / hop limit of packets we originate */
#define ND_HOP_LIMIT 255 /* RFC 4861: ND messages must carry 255 */
#define ICMP6_NS 135
#define ICMP6_NA 136
#define ICMP6_RA 134
#define ND_OPT_PREFIX 3
#define ND_OPT_MTU 5
#define PREFIX_ON_LINK 0x80
#define PREFIX_AUTONOMOUS 0x40
#define PREFIX_VALID_S 2592000	  /* RFC 4861 6.2.1: AdvValidLifetime, 30 days */
#define PREFIX_PREFERRED_S 604800 /* AdvPreferredLifetime, 7 days */
#define ICMP6_ECHO_REQUEST 128
#define ICMP6_ECHO_REPLY 129
#define ICMP6_PACKET_TOO_BIG 2
#define ND_OPT_SRC_LLADDR 1
#define ND_OPT_TGT_LLADDR 2
#define NA_FLAG_ROUTER 0x80
#define NA_FLAG_SOLICITED 0x40
#define NA_FLAG_OVERRIDE 0x20
#define IPV4_ERR_MAX 576  /* RFC 1812 4.3.2.3 */
#define IPV6_ERR_MAX 1280 /* RFC 4443 2.4 (c): the IPv6 minimum MTU */

static const struct rte_ether_addr bcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};

/* An mbuf with @p len bytes of data (zeroed), padded to the minimum frame. */
static struct rte_mbuf *frame(struct rte_mempool *mp, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	uint16_t n = len < ETH_MIN_FRAME ? ETH_MIN_FRAME : len;
	char *p;

	if (m == NULL)
		return NULL;
	p = rte_pktmbuf_append(m, n);
	if (p == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memset(p, 0, n);
	return m;
}

static void eth_fill(struct rte_ether_hdr *eh, const struct rte_ether_addr *src,
		     const struct rte_ether_addr *dst, uint16_t type)
{
	eh->src_addr = *src;
	eh->dst_addr = *dst;
	eh->ether_type = rte_cpu_to_be_16(type);
}

struct rte_mbuf *evs_l3_build_arp(struct rte_mempool *mp, uint16_t op,
				  const struct rte_ether_addr *sha, const uint8_t spa[4],
				  const struct rte_ether_addr *tha, const uint8_t tpa[4],
				  const struct rte_ether_addr *dst)
{
	static const struct rte_ether_addr zero;
	struct rte_mbuf *m = frame(mp, sizeof(struct rte_ether_hdr) + sizeof(struct rte_arp_hdr));
	struct rte_ether_hdr *eh;
	struct rte_arp_hdr *ah;

	if (m == NULL)
		return NULL;
	if (tha == NULL)
		tha = &zero;
	if (dst == NULL)
		dst = op == RTE_ARP_OP_REQUEST ? &bcast : tha;
	eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	eth_fill(eh, sha, dst, RTE_ETHER_TYPE_ARP);
	ah = (struct rte_arp_hdr *)(eh + 1);
	ah->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	ah->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ah->arp_hlen = RTE_ETHER_ADDR_LEN;
	ah->arp_plen = 4;
	ah->arp_opcode = rte_cpu_to_be_16(op);
	ah->arp_data.arp_sha = *sha;
	memcpy(&ah->arp_data.arp_sip, spa, 4);
	/* a request's target hardware address is unknown: zero (RFC 826) */
	ah->arp_data.arp_tha = op == RTE_ARP_OP_REQUEST ? zero : *tha;
	memcpy(&ah->arp_data.arp_tip, tpa, 4);
	m->l2_len = sizeof(*eh);
	m->l3_len = sizeof(*ah);
	return m;
}

void evs_l3_solicited_node(const uint8_t addr[16], uint8_t group[16], struct rte_ether_addr *mac)
{
	static const uint8_t prefix[13] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff};

	memcpy(group, prefix, sizeof(prefix));
	memcpy(group + 13, addr + 13, 3);
	/* RFC 2464 7: 33:33 and the group's last four bytes */
	mac->addr_bytes[0] = 0x33;
	mac->addr_bytes[1] = 0x33;
	memcpy(mac->addr_bytes + 2, group + 12, 4);
}

/* IPv6 header + ICMPv6 message of @p icmp_len bytes; returns the ICMPv6 part. */
static uint8_t *ip6_frame(struct rte_mempool *mp, struct rte_mbuf **out,
			  const struct rte_ether_addr *smac, const struct rte_ether_addr *dmac,
			  const uint8_t src[16], const uint8_t dst[16], uint16_t icmp_len,
			  uint8_t hop_limit)
{
	struct rte_mbuf *m = frame(
	    mp, (uint16_t)(sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv6_hdr) + icmp_len));
	struct rte_ether_hdr *eh;
	struct rte_ipv6_hdr *ip;

	*out = m;
	if (m == NULL)
		return NULL;
	eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	eth_fill(eh, smac, dmac, RTE_ETHER_TYPE_IPV6);
	ip = (struct rte_ipv6_hdr *)(eh + 1);
	ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip->payload_len = rte_cpu_to_be_16(icmp_len);
	ip->proto = IPPROTO_ICMPV6;
	ip->hop_limits = hop_limit;
	memcpy(ip->src_addr, src, 16);
	memcpy(ip->dst_addr, dst, 16);
	m->l2_len = sizeof(*eh);
	m->l3_len = sizeof(*ip);
	return (uint8_t *)(ip + 1);
}

/* ICMPv6 checksum over the pseudo-header and the message (RFC 4443 2.3). */
static void icmp6_cksum(struct rte_mbuf *m)
{
	struct rte_ipv6_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, m->l2_len);
	struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)(ip + 1);

	ic->icmp_cksum = 0;
	/* rte_ipv6_udptcp_cksum: pseudo-header from ip (proto 58) + payload; never 0 */
	ic->icmp_cksum = rte_ipv6_udptcp_cksum(ip, ic);
}

struct rte_mbuf *evs_l3_build_ns(struct rte_mempool *mp, const struct rte_ether_addr *smac,
				 const uint8_t src[16], const uint8_t target[16],
				 const struct rte_ether_addr *dst_mac)
{
	uint8_t group[16];
	struct rte_ether_addr gmac;
	struct rte_mbuf *m;
	uint8_t *p;

	evs_l3_solicited_node(target, group, &gmac);
	p = ip6_frame(mp, &m, smac, dst_mac != NULL ? dst_mac : &gmac, src,
		      dst_mac != NULL ? target : group, 32, ND_HOP_LIMIT);
	if (p == NULL)
		return NULL;
	p[0] = ICMP6_NS;
	memcpy(p + 8, target, 16);
	p[24] = ND_OPT_SRC_LLADDR;
	p[25] = 1; /* option length in units of 8 bytes */
	memcpy(p + 26, smac->addr_bytes, 6);
	icmp6_cksum(m);
	return m;
}

struct rte_mbuf *evs_l3_build_na(struct rte_mempool *mp, const struct rte_ether_addr *smac,
				 const uint8_t target[16], const uint8_t dst[16],
				 const struct rte_ether_addr *dst_mac, bool solicited)
{
	struct rte_mbuf *m;
	uint8_t *p = ip6_frame(mp, &m, smac, dst_mac, target, dst, 32, ND_HOP_LIMIT);

	if (p == NULL)
		return NULL;
	p[0] = ICMP6_NA;
	p[4] = NA_FLAG_ROUTER | NA_FLAG_OVERRIDE | (solicited ? NA_FLAG_SOLICITED : 0);
	memcpy(p + 8, target, 16);
	p[24] = ND_OPT_TGT_LLADDR;
	p[25] = 1;
	memcpy(p + 26, smac->addr_bytes, 6);
	icmp6_cksum(m);
	return m;
}

static void put32(uint8_t *p, uint32_t v)
{
	v = rte_cpu_to_be_32(v);
	memcpy(p, &v, sizeof(v));
}

struct rte_mbuf *evs_l3_build_ra(struct rte_mempool *mp, const struct evs_l3_port_spec *p)
{
	static const uint8_t all_nodes[16] = {0xff, 0x02, [15] = 1};
	static const struct rte_ether_addr all_nodes_mac = {{0x33, 0x33, 0, 0, 0, 1}};
	unsigned int n6 = 0, off = 16;
	struct rte_mbuf *m;
	uint8_t *q;

	for (uint8_t i = 0; i < p->n_addrs; i++)
		n6 += p->addrs[i].addr.family == EVS_L3_IPV6 && !evs_l3_is_ll6(p->addrs[i].addr.b);
	/* header 16, source link-layer 8, MTU 8, 32 per prefix */
	q = ip6_frame(mp, &m, &p->mac, &all_nodes_mac, p->ll6.b, all_nodes,
		      (uint16_t)(32 + 32 * n6), ND_HOP_LIMIT);
	if (q == NULL)
		return NULL;
	q[0] = ICMP6_RA;
	q[4] = TTL_OWN; /* hosts' hop limit; M and O flags clear: no DHCPv6 */
	q[6] = EVS_L3_RA_LIFETIME >> 8;
	q[7] = EVS_L3_RA_LIFETIME & 0xff;
	q[off] = ND_OPT_SRC_LLADDR;
	q[off + 1] = 1;
	memcpy(q + off + 2, p->mac.addr_bytes, 6);
	off += 8;
	q[off] = ND_OPT_MTU;
	q[off + 1] = 1;
	put32(q + off + 4, p->mtu);
	off += 8;
	for (uint8_t i = 0; i < p->n_addrs; i++) {
		const struct evs_l3_prefix *a = &p->addrs[i];

		if (a->addr.family != EVS_L3_IPV6 || evs_l3_is_ll6(a->addr.b))
			continue;
		q[off] = ND_OPT_PREFIX;
		q[off + 1] = 4;
		q[off + 2] = a->len;
		/* SLAAC needs a 64-bit interface identifier (RFC 4862 5.5.3) */
		q[off + 3] = PREFIX_ON_LINK | (a->len == 64 ? PREFIX_AUTONOMOUS : 0);
		put32(q + off + 4, PREFIX_VALID_S);
		put32(q + off + 8, PREFIX_PREFERRED_S);
		memcpy(q + off + 16, a->addr.b, 16);
		l3_mask_bytes(q + off + 16, a->len, 16);
		off += 32;
	}
	icmp6_cksum(m);
	return m;
}

int evs_l3_echo_reply(struct rte_mbuf *m, const struct evs_flow_key *key)
{
	struct rte_ether_hdr *eh;
	struct rte_ether_addr mac;
	uint8_t tmp[16];
	uint8_t type = (uint8_t)rte_be_to_cpu_16(key->l4_src);

	if (m == NULL || key == NULL || (key->ip_frag & EVS_FRAG_ANY) ||
	    rte_pktmbuf_data_len(m) < m->l2_len + m->l3_len + 8)
		return -EINVAL;
	eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	if (key->ethertype == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) &&
	    key->ip_proto == IPPROTO_ICMP && type == RTE_IP_ICMP_ECHO_REQUEST) {
		struct rte_ipv4_hdr *ip =
		    rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, m->l2_len);
		struct rte_icmp_hdr *ic =
		    rte_pktmbuf_mtod_offset(m, struct rte_icmp_hdr *, m->l2_len + m->l3_len);
		uint32_t a = ip->src_addr;

		ip->src_addr = ip->dst_addr;
		ip->dst_addr = a;
		ip->time_to_live = TTL_OWN;
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		ic->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
		ic->icmp_cksum = l3_cksum_adjust(ic->icmp_cksum, RTE_IP_ICMP_ECHO_REQUEST << 8,
						 RTE_IP_ICMP_ECHO_REPLY << 8);
	} else if (key->ethertype == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6) &&
		   key->ip_proto == IPPROTO_ICMPV6 && type == ICMP6_ECHO_REQUEST) {
		struct rte_ipv6_hdr *ip =
		    rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, m->l2_len);
		struct rte_icmp_hdr *ic =
		    rte_pktmbuf_mtod_offset(m, struct rte_icmp_hdr *, m->l2_len + m->l3_len);

		/* the pseudo-header sum does not change when src and dst swap */
		memcpy(tmp, ip->src_addr, 16);
		memcpy(ip->src_addr, ip->dst_addr, 16);
		memcpy(ip->dst_addr, tmp, 16);
		ip->hop_limits = TTL_OWN;
		ic->icmp_type = ICMP6_ECHO_REPLY;
		ic->icmp_cksum =
		    l3_cksum_adjust(ic->icmp_cksum, ICMP6_ECHO_REQUEST << 8, ICMP6_ECHO_REPLY << 8);
	} else {
		return -EINVAL;
	}
	mac = eh->src_addr;
	eh->src_addr = eh->dst_addr;
	eh->dst_addr = mac;
	return 0;
}

static bool v4_bad_src(const uint8_t *a)
{
	/* 0/8 (this network), 127/8, 224/4 multicast, 240/4 (incl. broadcast) */
	return a[0] == 0 || a[0] == 127 || a[0] >= 224;
}

bool evs_l3_icmp_error_allowed(const struct evs_flow_key *key, uint8_t type)
{
	uint8_t t = (uint8_t)rte_be_to_cpu_16(key->l4_src);

	if (key->ip_frag & EVS_FRAG_LATER)
		return false;
	if (key->ethertype == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4)) {
		/* queries only: echo, timestamp, info, address mask and their replies */
		if (key->ip_proto == IPPROTO_ICMP && !(key->ip_frag & EVS_FRAG_ANY) &&
		    !(t == 0 || t == 8 || (t >= 13 && t <= 18)))
			return false;
		if (v4_bad_src(key->src_ip) || key->dst_ip[0] >= 224)
			return false;
		return !rte_is_multicast_ether_addr(&key->dst_mac);
	}
	if (key->ethertype == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6)) {
		static const uint8_t unspec[16];

		if (key->ip_proto == IPPROTO_ICMPV6 && t < 128)
			return false;
		if (key->src_ip[0] == 0xff || memcmp(key->src_ip, unspec, 16) == 0)
			return false;
		/* RFC 4443 2.4 (e.3): packet too big may answer a multicast packet */
		if (key->dst_ip[0] == 0xff || rte_is_multicast_ether_addr(&key->dst_mac))
			return type == ICMP6_PACKET_TOO_BIG;
		return true;
	}
	return false;
}

struct rte_mbuf *evs_l3_build_icmp_error(struct rte_mempool *mp, const struct rte_mbuf *orig,
					 const struct evs_l3_icmp_err *e)
{
	bool v4 = e->src.family == EVS_L3_IPV4;
	uint32_t have = orig->pkt_len > orig->l2_len ? orig->pkt_len - orig->l2_len : 0;
	uint16_t hdrs = v4 ? sizeof(struct rte_ipv4_hdr) : sizeof(struct rte_ipv6_hdr);
	uint16_t quote =
	    (uint16_t)RTE_MIN(have, (uint32_t)(v4 ? IPV4_ERR_MAX : IPV6_ERR_MAX) - hdrs - 8);
	uint8_t orig_src[16];
	struct rte_mbuf *m;
	uint8_t *icmp;
	const void *q;

	if (have < hdrs || (e->src.family != EVS_L3_IPV4 && e->src.family != EVS_L3_IPV6))
		return NULL; /* nothing to quote or no source: no error */
	/* the offender's source is where the error goes */
	q = rte_pktmbuf_read(orig, orig->l2_len + (v4 ? 12 : 8), v4 ? 4 : 16, orig_src);
	if (q == NULL)
		return NULL;
	if (q != orig_src)
		memcpy(orig_src, q, v4 ? 4 : 16);
	if (v4) {
		struct rte_ether_hdr *eh;
		struct rte_ipv4_hdr *ip;

		m = frame(mp, (uint16_t)(sizeof(*eh) + hdrs + 8 + quote));
		if (m == NULL)
			return NULL;
		eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
		eth_fill(eh, &e->smac, &e->dmac, RTE_ETHER_TYPE_IPV4);
		ip = (struct rte_ipv4_hdr *)(eh + 1);
		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->type_of_service = 0xc0; /* internetwork control, RFC 1812 4.3.2.5 */
		ip->total_length = rte_cpu_to_be_16((uint16_t)(hdrs + 8 + quote));
		ip->time_to_live = TTL_OWN;
		ip->next_proto_id = IPPROTO_ICMP;
		memcpy(&ip->src_addr, e->src.b, 4);
		memcpy(&ip->dst_addr, orig_src, 4);
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		icmp = (uint8_t *)(ip + 1);
		m->l2_len = sizeof(*eh);
		m->l3_len = hdrs;
	} else {
		icmp = ip6_frame(mp, &m, &e->smac, &e->dmac, e->src.b, orig_src,
				 (uint16_t)(8 + quote), TTL_OWN);
		if (icmp == NULL)
			return NULL;
	}
	icmp[0] = e->type;
	icmp[1] = e->code;
	/* frag needed: next-hop MTU in the low 16 bits (RFC 1191); packet too big: 32 bits */
	icmp[4] = (uint8_t)(e->info >> 24);
	icmp[5] = (uint8_t)(e->info >> 16);
	icmp[6] = (uint8_t)(e->info >> 8);
	icmp[7] = (uint8_t)e->info;
	q = rte_pktmbuf_read(orig, orig->l2_len, quote, icmp + 8);
	if (q == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	if (q != icmp + 8)
		memcpy(icmp + 8, q, quote);
	if (v4) {
		/* rte_raw_cksum sums native-order words: store it as it comes */
		uint16_t ck = (uint16_t)~rte_raw_cksum(icmp, 8u + quote);

		memcpy(icmp + 2, &ck, 2);
	} else {
		icmp6_cksum(m);
	}
	return m;
}
