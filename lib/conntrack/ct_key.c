/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * From a parsed packet to its lookup key. ICMP errors are keyed by the
 * packet they quote, inverted: that is the key of the direction the error
 * travels in.
 */
#include <netinet/in.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>

#include "ct_private.h"

static bool icmp_is_error(bool v6, uint8_t type)
{
	if (v6)
		return type >= 1 && type <= 4;
	return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

/* Reply type of an ICMP query, or -1 when @type starts no exchange. */
static int icmp_reply_type(bool v6, uint8_t type)
{
	if (v6)
		return type == 128 ? 129 : type == 129 ? 128 : -1;
	switch (type) {
	case 8:
		return 0;
	case 0:
		return 8;
	case 13:
		return 14;
	case 14:
		return 13;
	case 15:
		return 16;
	case 16:
		return 15;
	case 17:
		return 18;
	case 18:
		return 17;
	default:
		return -1;
	}
}

bool ct_icmp_is_request(bool v6, uint8_t type)
{
	return v6 ? type == 128 : (type == 8 || type == 13 || type == 15 || type == 17);
}

void ct_key_invert(struct ct_key *dst, const struct ct_key *src)
{
	struct ct_key k = *src;

	memcpy(k.src, src->dst, 16);
	memcpy(k.dst, src->src, 16);
	if (src->proto == IPPROTO_ICMP || src->proto == IPPROTO_ICMPV6) {
		/* the identifier stays; the type becomes its counterpart */
		int t = icmp_reply_type(src->v6, (uint8_t)rte_be_to_cpu_16(src->dport));

		k.dport = rte_cpu_to_be_16((uint16_t)(t < 0 ? 0 : t));
	} else {
		k.sport = src->dport;
		k.dport = src->sport;
	}
	*dst = k;
}

static const uint8_t *pkt_at(const struct rte_mbuf *m, uint32_t off, uint32_t len)
{
	if (off + len > rte_pktmbuf_data_len(m))
		return NULL;
	return rte_pktmbuf_mtod_offset(m, const uint8_t *, off);
}

/* Key of the packet an ICMP error quotes, from its IP header on. */
static bool quoted_key(struct ct_pkt *p, uint32_t off, bool v6)
{
	const struct rte_mbuf *m = p->m;
	const uint8_t *ip, *l4;
	struct ct_key q;
	uint32_t hl;
	uint8_t proto;

	memset(&q, 0, sizeof(q));
	if (v6) {
		ip = pkt_at(m, off, 40);
		if (ip == NULL || (ip[0] >> 4) != 6)
			return false;
		/* extension headers in a quote are not walked: Linux does, rarely needed */
		proto = ip[6];
		memcpy(q.src, ip + 8, 16);
		memcpy(q.dst, ip + 24, 16);
		hl = 40;
	} else {
		ip = pkt_at(m, off, 20);
		if (ip == NULL || (ip[0] >> 4) != 4)
			return false;
		hl = (uint32_t)(ip[0] & 0xf) * 4;
		if (hl < 20 || (rte_be_to_cpu_16(*(const rte_be16_t *)(ip + 6)) & 0x1fff) != 0)
			return false; /* bad header or a later fragment: nothing to key */
		proto = ip[9];
		memcpy(q.src, ip + 12, 4);
		memcpy(q.dst, ip + 16, 4);
	}
	q.proto = proto;
	q.v6 = v6;
	q.zone = p->ck.zone;
	switch (proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_SCTP:
		l4 = pkt_at(m, off + hl, 4);
		if (l4 == NULL)
			return false;
		memcpy(&q.sport, l4, 2);
		memcpy(&q.dport, l4 + 2, 2);
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if ((proto == IPPROTO_ICMPV6) != v6)
			return false;
		l4 = pkt_at(m, off + hl, 8);
		if (l4 == NULL || !ct_icmp_is_request(v6, l4[0]))
			return false; /* only errors about queries have a connection */
		memcpy(&q.sport, l4 + 4, 2);
		q.dport = rte_cpu_to_be_16(l4[0]);
		break;
	default:
		break;
	}
	p->quote_off = off;
	p->quote_l4_off = off + hl;
	ct_key_invert(&p->ck, &q);
	return true;
}

/* The key of an unfragmented packet or a first fragment, its family known. */
static inline bool pkt_key(struct ct_pkt *p, struct rte_mbuf *m, struct evs_flow_key *key,
			   uint16_t zone, bool v6)
{
	struct ct_key *k = &p->ck;

	k->v6 = v6;
	k->zone = zone;
	k->proto = key->ip_proto;
	if (v6) {
		memcpy(k->src, key->src_ip, 16);
		memcpy(k->dst, key->dst_ip, 16);
	} else {
		memcpy(k->src, key->src_ip, 4);
		memcpy(k->dst, key->dst_ip, 4);
	}
	p->l4_off = (uint32_t)m->l2_len + m->l3_len;
	switch (key->ip_proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_SCTP:
		if (m->l4_len == 0)
			goto bad_l4;
		k->sport = key->l4_src;
		k->dport = key->l4_dst;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6: {
		uint8_t type = (uint8_t)rte_be_to_cpu_16(key->l4_src);
		const uint8_t *h;

		if (m->l4_len == 0 || (key->ip_proto == IPPROTO_ICMPV6) != v6)
			goto bad_l4;
		if (icmp_is_error(v6, type)) {
			p->kind = CT_PKT_ICMP_ERROR;
			if (!quoted_key(p, p->l4_off + 8, v6)) {
				p->counter = EVS_CT_C_INV_ICMP_ERROR;
				return false;
			}
			return true;
		}
		h = pkt_at(m, p->l4_off, 8);
		if (h == NULL)
			goto bad_l4;
		memcpy(&k->sport, h + 4, 2); /* identifier */
		k->dport = key->l4_src;	     /* type */
		break;
	}
	default:
		break;
	}
	return true;
bad_l4:
	p->counter = EVS_CT_C_INV_L4;
	return false;
}

bool ct_pkt_key(struct ct_pkt *p, struct rte_mbuf *m, struct evs_flow_key *key, uint16_t zone,
		bool v6)
{
	return pkt_key(p, m, key, zone, v6);
}

bool ct_pkt_init(const struct evs_ct_lcore *lc, struct ct_pkt *p, struct rte_mbuf *m,
		 struct evs_flow_key *key, uint16_t zone)
{
	bool v6;

	/* only the key needs zeroes (it is hashed and compared whole); the
	 * rest is set below: this runs for every packet */
	memset(&p->ck, 0, sizeof(p->ck));
	p->m = m;
	p->key = key;
	p->counter = 0;
	p->kind = CT_PKT_PLAIN;
	if (key->ethertype == RTE_BE16(RTE_ETHER_TYPE_IPV4))
		v6 = false;
	else if (key->ethertype == RTE_BE16(RTE_ETHER_TYPE_IPV6))
		v6 = true;
	else {
		p->counter = EVS_CT_C_INV_L3;
		return false;
	}
	if (unlikely(key->ip_frag & EVS_FRAG_ANY))
		return ct_frag_pkt_init(lc, p, m, key, zone, v6);
	return pkt_key(p, m, key, zone, v6);
}
