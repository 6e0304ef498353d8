/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A frame too big for its tunnel becomes, in its own mbuf (no allocation),
 * the ICMP "fragmentation needed" (RFC 792, RFC 1191) or ICMPv6 "packet too
 * big" (RFC 4443 3.2) its sender's stack needs to lower its path MTU. The
 * answer comes from the frame's destination (MACs and addresses swapped),
 * as Linux's bridged tunnels answer, so it reaches the sender through its
 * own switch like any frame from that host.
 */
#include <errno.h>
#include <string.h>

#include <netinet/in.h>
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>

#include "overlay_private.h"

#define ICMP_HDR_LEN 8u
#define V4_QUOTE_MAX (576u - sizeof(struct rte_ipv4_hdr) - ICMP_HDR_LEN)
#define V6_QUOTE_MAX (1280u - sizeof(struct rte_ipv6_hdr) - ICMP_HDR_LEN)

/* Whether an ICMP(v6) message of @p type is an error (never answered with
 * one: RFC 1122 3.2.2, RFC 4443 2.4 e.1). */
static bool icmp_is_error(bool v6, uint8_t type)
{
	if (v6)
		return type < 128;
	return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

/* The first @p quote bytes of the frame's IP packet stay where they are;
 * its Ethernet header makes way for @p hdrs bytes of Ethernet + IP + ICMP. */
static uint8_t *reframe(struct rte_mbuf *m, uint32_t quote, unsigned int hdrs)
{
	m->data_off = (uint16_t)(m->data_off + RTE_ETHER_HDR_LEN - hdrs);
	m->data_len = (uint16_t)(hdrs + quote);
	m->pkt_len = m->data_len;
	m->ol_flags &= ~RTE_MBUF_F_TX_OFFLOAD_MASK;
	m->l2_len = RTE_ETHER_HDR_LEN;
	return rte_pktmbuf_mtod(m, uint8_t *);
}

static int too_big_v4(struct rte_mbuf *m, const struct rte_ether_hdr *eh, uint32_t mtu)
{
	const struct rte_ipv4_hdr *ip =
	    rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, RTE_ETHER_HDR_LEN);
	uint32_t avail = m->data_len - RTE_ETHER_HDR_LEN, hl = (ip->version_ihl & 0x0f) * 4u;
	uint16_t frag = rte_be_to_cpu_16(ip->fragment_offset);
	uint32_t src = ip->src_addr, dst = ip->dst_addr, quote;
	struct rte_ipv4_hdr *h;
	struct rte_icmp_hdr *ic;
	uint8_t *p;

	if (avail < sizeof(*ip) || (ip->version_ihl >> 4) != 4 || hl < sizeof(*ip) || avail < hl)
		return -EINVAL;
	/* only DF packets, first fragments, unicast, never about an ICMP error */
	if (!(frag & RTE_IPV4_HDR_DF_FLAG) || (frag & RTE_IPV4_HDR_OFFSET_MASK) != 0)
		return -EINVAL;
	if (rte_is_multicast_ether_addr(&eh->dst_addr) || (rte_be_to_cpu_32(dst) >> 28) >= 14)
		return -EINVAL;
	if (ip->next_proto_id == IPPROTO_ICMP &&
	    (avail <= hl || icmp_is_error(false, ((const uint8_t *)ip)[hl])))
		return -EINVAL;
	quote = RTE_MIN(RTE_MIN(avail, (uint32_t)rte_be_to_cpu_16(ip->total_length)),
			(uint32_t)V4_QUOTE_MAX);
	p = reframe(m, quote, RTE_ETHER_HDR_LEN + sizeof(*h) + ICMP_HDR_LEN);
	h = (struct rte_ipv4_hdr *)(p + RTE_ETHER_HDR_LEN);
	ic = (struct rte_icmp_hdr *)(h + 1);
	*h = (struct rte_ipv4_hdr){
	    .version_ihl = 0x45,
	    .total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*h) + ICMP_HDR_LEN + quote)),
	    .time_to_live = 64,
	    .next_proto_id = IPPROTO_ICMP,
	    .src_addr = dst,
	    .dst_addr = src,
	};
	h->hdr_checksum = rte_ipv4_cksum(h);
	ic->icmp_type = 3; /* destination unreachable */
	ic->icmp_code = 4; /* fragmentation needed and DF set */
	ic->icmp_cksum = 0;
	ic->icmp_ident = 0;
	ic->icmp_seq_nb = rte_cpu_to_be_16((uint16_t)mtu); /* next-hop MTU (RFC 1191) */
	ic->icmp_cksum = (uint16_t)~rte_raw_cksum(ic, ICMP_HDR_LEN + quote);
	return 0;
}

static int too_big_v6(struct rte_mbuf *m, const struct rte_ether_hdr *eh, uint32_t mtu)
{
	const struct rte_ipv6_hdr *ip =
	    rte_pktmbuf_mtod_offset(m, const struct rte_ipv6_hdr *, RTE_ETHER_HDR_LEN);
	uint32_t avail = m->data_len - RTE_ETHER_HDR_LEN, quote, mtu_be;
	uint8_t src[16], dst[16], *p;
	struct rte_ipv6_hdr *h;
	uint8_t *ic;

	if (avail < sizeof(*ip) || (rte_be_to_cpu_32(ip->vtc_flow) >> 28) != 6)
		return -EINVAL;
	/* the answer's source is the packet's destination: not a multicast one */
	if (ip->dst_addr[0] == 0xff || (ip->proto == IPPROTO_ICMPV6 && avail > sizeof(*ip) &&
					icmp_is_error(true, ((const uint8_t *)(ip + 1))[0])))
		return -EINVAL;
	RTE_SET_USED(eh);
	memcpy(src, ip->src_addr, 16);
	memcpy(dst, ip->dst_addr, 16);
	quote = RTE_MIN(RTE_MIN(avail, (uint32_t)sizeof(*ip) + rte_be_to_cpu_16(ip->payload_len)),
			(uint32_t)V6_QUOTE_MAX);
	p = reframe(m, quote, RTE_ETHER_HDR_LEN + sizeof(*h) + ICMP_HDR_LEN);
	h = (struct rte_ipv6_hdr *)(p + RTE_ETHER_HDR_LEN);
	ic = (uint8_t *)(h + 1);
	h->vtc_flow = rte_cpu_to_be_32(6u << 28);
	h->payload_len = rte_cpu_to_be_16((uint16_t)(ICMP_HDR_LEN + quote));
	h->proto = IPPROTO_ICMPV6;
	h->hop_limits = 64;
	memcpy(h->src_addr, dst, 16);
	memcpy(h->dst_addr, src, 16);
	ic[0] = 2; /* packet too big */
	ic[1] = 0;
	memset(ic + 2, 0, 2);
	mtu_be = rte_cpu_to_be_32(mtu);
	memcpy(ic + 4, &mtu_be, 4);
	{
		uint16_t ck = rte_ipv6_udptcp_cksum(h, ic);

		memcpy(ic + 2, &ck, 2);
	}
	return 0;
}

int ovl_too_big(struct rte_mbuf *m, uint32_t max_frame)
{
	struct rte_ether_hdr eh;
	uint32_t mtu = max_frame - RTE_ETHER_HDR_LEN; /* the inner network's IP MTU */
	int rc;

	if (m->nb_segs != 1 || m->data_len < RTE_ETHER_HDR_LEN ||
	    rte_pktmbuf_headroom(m) < sizeof(struct rte_ipv6_hdr) + ICMP_HDR_LEN)
		return -EINVAL;
	memcpy(&eh, rte_pktmbuf_mtod(m, const void *), sizeof(eh));
	if (rte_is_multicast_ether_addr(&eh.src_addr))
		return -EINVAL;
	if (eh.ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV4))
		rc = too_big_v4(m, &eh, mtu);
	else if (eh.ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV6))
		rc = too_big_v6(m, &eh, mtu);
	else
		rc = -EINVAL; /* tagged frames and other protocols are not answered */
	if (rc < 0)
		return rc;
	{
		struct rte_ether_hdr *out = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

		out->dst_addr = eh.src_addr;
		out->src_addr = eh.dst_addr;
		out->ether_type = eh.ether_type;
	}
	return 0;
}

/* Generic cell rate (RFC 2475's token bucket as one word): an error
 * conforms when it is at most the burst's tolerance ahead of schedule. */
bool ovl_icmp_allow(const struct evs_overlay *ov, uint16_t tp)
{
	uint64_t now = ov->cfg.now_ms != NULL
			   ? ov->cfg.now_ms() * 1000u
			   : rte_get_tsc_cycles() / (rte_get_tsc_hz() / 1000000u);
	uint64_t *t, tat, next;

	if (tp >= EVS_OVERLAY_MAX_TPORTS)
		return false;
	t = &ov->icmp_tat[tp];
	/* relaxed: the word meters only itself and publishes nothing; the CAS
	 * keeps two lcores from spending the same slot */
	tat = __atomic_load_n(t, __ATOMIC_RELAXED);
	do {
		uint64_t base = tat > now ? tat : now;

		if (base - now > ov->icmp_tol_us)
			return false;
		next = base + ov->icmp_iv_us;
	} while (
	    !__atomic_compare_exchange_n(t, &tat, next, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	return true;
}
