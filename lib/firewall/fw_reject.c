/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The TCP reset a reject rule answers a TCP segment with (RFC 9293 3.10.7.1:
 * the reset takes its sequence number from the segment's ACK, or
 * acknowledges the segment when it had none). Other protocols get an ICMP
 * port/administratively-prohibited error from lib/l3's builder.
 */

#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_icmp.h>
#include <rte_tcp.h>

#include "fw_private.h"

struct rte_mbuf *evs_fw_build_tcp_rst(struct rte_mempool *mp, const struct rte_mbuf *orig,
				      const struct evs_flow_key *key)
{
	const struct rte_tcp_hdr *ot;
	struct rte_ether_hdr *eh;
	struct rte_tcp_hdr *th;
	struct evs_flow_key nk;
	struct rte_mbuf *m;
	bool v6 = key->ethertype == RTE_BE16(RTE_ETHER_TYPE_IPV6);
	uint32_t l3 = v6 ? sizeof(struct rte_ipv6_hdr) : sizeof(struct rte_ipv4_hdr);
	uint32_t seg_len, ip_len;
	char *p;

	if (key->ip_proto != IPPROTO_TCP || (key->ip_frag & EVS_FRAG_ANY) ||
	    (!v6 && key->ethertype != RTE_BE16(RTE_ETHER_TYPE_IPV4)) ||
	    (key->tcp_flags & RTE_TCP_RST_FLAG) ||
	    rte_pktmbuf_data_len(orig) < orig->l2_len + orig->l3_len + sizeof(*ot)) {
		errno = EINVAL; /* never answer a reset with a reset */
		return NULL;
	}
	ot = rte_pktmbuf_mtod_offset(orig, const struct rte_tcp_hdr *, orig->l2_len + orig->l3_len);
	if (v6)
		ip_len = rte_be_to_cpu_16(rte_pktmbuf_mtod_offset(orig, const struct rte_ipv6_hdr *,
								  orig->l2_len)
					      ->payload_len) +
			 (uint32_t)sizeof(struct rte_ipv6_hdr);
	else
		ip_len = rte_be_to_cpu_16(
		    rte_pktmbuf_mtod_offset(orig, const struct rte_ipv4_hdr *, orig->l2_len)
			->total_length);
	seg_len = ip_len - orig->l3_len - (uint32_t)((ot->data_off >> 4) * 4u);
	seg_len += !!(ot->tcp_flags & RTE_TCP_SYN_FLAG) + !!(ot->tcp_flags & RTE_TCP_FIN_FLAG);

	m = rte_pktmbuf_alloc(mp);
	if (m == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	p = rte_pktmbuf_append(m, (uint16_t)(sizeof(*eh) + l3 + sizeof(*th)));
	if (p == NULL) {
		rte_pktmbuf_free(m);
		errno = ENOMEM;
		return NULL;
	}
	memset(p, 0, sizeof(*eh) + l3 + sizeof(*th));
	eh = (struct rte_ether_hdr *)p;
	eh->dst_addr = key->src_mac;
	eh->src_addr = key->dst_mac;
	eh->ether_type = key->ethertype;
	if (v6) {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(eh + 1);

		ip->vtc_flow = RTE_BE32(6u << 28);
		ip->payload_len = RTE_BE16(sizeof(*th));
		ip->proto = IPPROTO_TCP;
		ip->hop_limits = 64;
		memcpy(ip->src_addr, key->dst_ip, 16);
		memcpy(ip->dst_addr, key->src_ip, 16);
	} else {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eh + 1);

		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(l3 + sizeof(*th)));
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_TCP;
		memcpy(&ip->src_addr, key->dst_ip, 4);
		memcpy(&ip->dst_addr, key->src_ip, 4);
		ip->hdr_checksum = evs_ipv4_hdr_cksum(ip);
	}
	th = (struct rte_tcp_hdr *)(p + sizeof(*eh) + l3);
	th->src_port = key->l4_dst;
	th->dst_port = key->l4_src;
	th->data_off = (uint8_t)((sizeof(*th) / 4) << 4);
	if (ot->tcp_flags & RTE_TCP_ACK_FLAG) {
		th->sent_seq = ot->recv_ack;
		th->tcp_flags = RTE_TCP_RST_FLAG;
	} else {
		th->recv_ack = rte_cpu_to_be_32(rte_be_to_cpu_32(ot->sent_seq) + seg_len);
		th->tcp_flags = RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG;
	}
	m->l2_len = sizeof(*eh);
	m->l3_len = (uint16_t)l3;
	m->l4_len = sizeof(*th);
	nk = *key;
	nk.ip_frag = 0;
	if (evs_l4_cksum_fill(m, &nk) != 0) {
		rte_pktmbuf_free(m);
		errno = EINVAL;
		return NULL;
	}
	return m;
}

/* Quoted bytes at most: the error stays within 576 (IPv4, RFC 1812 4.3.2.3)
 * or 1280 bytes (IPv6, RFC 4443 2.4 (c)). */
#define QUOTE4_MAX (576 - sizeof(struct rte_ipv4_hdr) - sizeof(struct rte_icmp_hdr))
#define QUOTE6_MAX (1280 - sizeof(struct rte_ipv6_hdr) - sizeof(struct rte_icmp_hdr))

struct rte_mbuf *evs_fw_build_icmp_unreach(struct rte_mempool *mp, const struct rte_mbuf *orig,
					   const struct evs_flow_key *key)
{
	bool v6 = key->ethertype == RTE_BE16(RTE_ETHER_TYPE_IPV6);
	uint32_t l3 = v6 ? sizeof(struct rte_ipv6_hdr) : sizeof(struct rte_ipv4_hdr);
	uint32_t quote, avail;
	struct rte_ether_hdr *eh;
	struct rte_icmp_hdr *ic;
	struct evs_flow_key nk;
	struct rte_mbuf *m;
	char *p;

	/* never answer an ICMP error or a later fragment (RFC 1812 4.3.2.7) */
	if ((!v6 && key->ethertype != RTE_BE16(RTE_ETHER_TYPE_IPV4)) ||
	    (key->ip_frag & EVS_FRAG_LATER) || key->ip_proto == IPPROTO_ICMP ||
	    key->ip_proto == IPPROTO_ICMPV6 || rte_is_multicast_ether_addr(&key->dst_mac) ||
	    rte_pktmbuf_data_len(orig) < orig->l2_len + l3) {
		errno = EINVAL;
		return NULL;
	}
	avail = rte_pktmbuf_data_len(orig) - orig->l2_len;
	quote = RTE_MIN(avail, (uint32_t)(v6 ? QUOTE6_MAX : QUOTE4_MAX));
	m = rte_pktmbuf_alloc(mp);
	if (m == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	p = rte_pktmbuf_append(m, (uint16_t)(sizeof(*eh) + l3 + sizeof(*ic) + quote));
	if (p == NULL) {
		rte_pktmbuf_free(m);
		errno = ENOMEM;
		return NULL;
	}
	memset(p, 0, sizeof(*eh) + l3 + sizeof(*ic));
	eh = (struct rte_ether_hdr *)p;
	eh->dst_addr = key->src_mac;
	eh->src_addr = key->dst_mac;
	eh->ether_type = key->ethertype;
	ic = (struct rte_icmp_hdr *)(p + sizeof(*eh) + l3);
	if (v6) {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(eh + 1);

		ip->vtc_flow = RTE_BE32(6u << 28);
		ip->payload_len = rte_cpu_to_be_16((uint16_t)(sizeof(*ic) + quote));
		ip->proto = IPPROTO_ICMPV6;
		ip->hop_limits = 64;
		memcpy(ip->src_addr, key->dst_ip, 16);
		memcpy(ip->dst_addr, key->src_ip, 16);
		ic->icmp_type = 1; /* destination unreachable, */
		ic->icmp_code = 4; /* port unreachable (RFC 4443 3.1) */
	} else {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eh + 1);

		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(l3 + sizeof(*ic) + quote));
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_ICMP;
		memcpy(&ip->src_addr, key->dst_ip, 4);
		memcpy(&ip->dst_addr, key->src_ip, 4);
		ip->hdr_checksum = evs_ipv4_hdr_cksum(ip);
		ic->icmp_type = 3; /* destination unreachable, */
		ic->icmp_code = 3; /* port unreachable (RFC 792) */
	}
	memcpy(ic + 1, rte_pktmbuf_mtod_offset(orig, const char *, orig->l2_len), quote);
	m->l2_len = sizeof(*eh);
	m->l3_len = (uint16_t)l3;
	m->l4_len = sizeof(*ic);
	memset(&nk, 0, sizeof(nk));
	nk.ethertype = key->ethertype;
	nk.ip_proto = v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
	if (evs_l4_cksum_fill(m, &nk) != 0) {
		rte_pktmbuf_free(m);
		errno = EINVAL;
		return NULL;
	}
	return m;
}
