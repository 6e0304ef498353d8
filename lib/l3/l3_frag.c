/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv4 fragmentation of a routed packet over a smaller egress MTU (RFC 791
 * 3.2, RFC 1812 4.2.2.7 and 5.2.7): DF clear, so the router splits it rather
 * than answer "fragmentation needed". Management lcore only: it allocates
 * and copies, and a packet this big is rare on a tenant network whose
 * hosts do path MTU discovery (DF set), so the datapath punts it here.
 */
#include <errno.h>

#include <rte_ip.h>

#include "l3_private.h"

/*
 * The options of a non-first fragment: those with the copied flag, padded
 * with end-of-options to a 4-byte multiple. @return their length (0..40).
 */
static unsigned int copied_options(const uint8_t *opt, unsigned int len, uint8_t *out)
{
	unsigned int i = 0, n = 0;

	while (i < len) {
		uint8_t t = opt[i], olen;

		if (t == RTE_IPV4_HDR_OPT_EOL)
			break;
		if (t == RTE_IPV4_HDR_OPT_NOP) {
			i++;
			continue;
		}
		olen = i + 1 < len ? opt[i + 1] : 0;
		if (olen < 2 || i + olen > len)
			break;	       /* malformed: the first fragment keeps it all anyway */
		if (IPOPT_COPIED(t)) { /* RFC 791: copied into every fragment */
			memcpy(out + n, opt + i, olen);
			n += olen;
		}
		i += olen;
	}
	while (n % 4 != 0)
		out[n++] = RTE_IPV4_HDR_OPT_EOL;
	return n;
}

/* One fragment: L2 header, IP header @hdr of @hl bytes, @dlen bytes of @m from @from. */
static struct rte_mbuf *fragment(struct rte_mempool *mp, const struct rte_mbuf *m,
				 const uint8_t *hdr, unsigned int hl, uint32_t from, uint32_t dlen,
				 uint16_t frag_field, const struct rte_ether_addr macs[2])
{
	struct rte_mbuf *f = rte_pktmbuf_alloc(mp);
	uint32_t l2 = m->l2_len;
	struct rte_ipv4_hdr *h;
	const void *src;
	uint8_t *p;

	if (f == NULL)
		return NULL;
	p = (uint8_t *)rte_pktmbuf_append(f, (uint16_t)(l2 + hl + dlen));
	if (p == NULL) {
		rte_pktmbuf_free(f);
		return NULL;
	}
	/* the L2 header as it came (VLAN tags too), with the router's MACs */
	memcpy(p, rte_pktmbuf_mtod(m, const uint8_t *), l2);
	memcpy(p, macs, 2 * RTE_ETHER_ADDR_LEN);
	memcpy(p + l2, hdr, hl);
	h = (struct rte_ipv4_hdr *)(p + l2);
	h->version_ihl = (uint8_t)(0x40 | hl / 4);
	h->total_length = rte_cpu_to_be_16((uint16_t)(hl + dlen));
	h->fragment_offset = rte_cpu_to_be_16(frag_field);
	h->time_to_live--;
	h->hdr_checksum = 0;
	h->hdr_checksum = rte_ipv4_cksum(h);
	/* the payload may span segments: read copies it into place, or points at it */
	src = rte_pktmbuf_read(m, from, dlen, p + l2 + hl);
	if (src != p + l2 + hl)
		memcpy(p + l2 + hl, src, dlen);
	f->l2_len = (uint16_t)l2;
	f->l3_len = (uint16_t)hl;
	return f;
}

int evs_l3_fragment4(struct rte_mempool *mp, const struct rte_mbuf *m, uint16_t mtu,
		     const struct rte_ether_addr macs[2], struct rte_mbuf **out, unsigned int max)
{
	const struct rte_ipv4_hdr *h;
	uint8_t first[60], later[60];
	unsigned int ihl, hl2, n = 0;
	uint32_t total, payload, pos = 0, off0, step1, step2;
	uint16_t ff;

	if (mp == NULL || m == NULL || out == NULL || max == 0 || mtu < 68)
		return -EINVAL;
	if (rte_pktmbuf_data_len(m) < (uint32_t)m->l2_len + sizeof(*h))
		return -EINVAL;
	h = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, m->l2_len);
	ihl = (h->version_ihl & 0xf) * 4u;
	total = rte_be_to_cpu_16(h->total_length);
	ff = rte_be_to_cpu_16(h->fragment_offset);
	if ((h->version_ihl >> 4) != 4 || ihl < sizeof(*h) || total < ihl ||
	    rte_pktmbuf_data_len(m) < m->l2_len + ihl || rte_pktmbuf_pkt_len(m) < m->l2_len + total)
		return -EINVAL;
	if (ff & RTE_IPV4_HDR_DF_FLAG || h->time_to_live <= 1)
		return -EINVAL;
	memcpy(first, h, ihl);
	memcpy(later, h, sizeof(*h));
	hl2 = sizeof(*h) + copied_options(first + sizeof(*h), ihl - sizeof(*h), later + sizeof(*h));
	/* every fragment but the last carries a multiple of 8 bytes */
	step1 = (mtu - ihl) & ~7u;
	step2 = (mtu - hl2) & ~7u;
	payload = total - ihl;
	off0 = (ff & RTE_IPV4_HDR_OFFSET_MASK) * 8u;
	if (step1 == 0 || step2 == 0)
		return -EINVAL;
	while (pos < payload || n == 0) {
		bool is_first = n == 0;
		uint32_t room = is_first ? (ihl + payload <= mtu ? payload : step1) : step2;
		uint32_t dlen = RTE_MIN(room, payload - pos);
		bool more = pos + dlen < payload || (ff & RTE_IPV4_HDR_MF_FLAG);
		uint16_t field = (uint16_t)((off0 + pos) / 8 | (more ? RTE_IPV4_HDR_MF_FLAG : 0));

		if (n == max || off0 + pos + dlen > 0xffff) {
			rte_pktmbuf_free_bulk(out, n);
			return n == max ? -E2BIG : -EINVAL;
		}
		out[n] = fragment(mp, m, is_first ? first : later, is_first ? ihl : hl2,
				  m->l2_len + ihl + pos, dlen, field, macs);
		if (out[n] == NULL) {
			rte_pktmbuf_free_bulk(out, n);
			return -ENOMEM;
		}
		n++;
		pos += dlen;
	}
	return (int)n;
}
