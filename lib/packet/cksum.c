/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internet checksum (RFC 1071). Words are summed as loaded in host order;
 * the one's-complement sum is byte-order independent, so the folded result
 * stored back as-is is already in network order.
 */
#include <errno.h>
#include <netinet/in.h>

#include <rte_byteorder.h>
#include <rte_common.h>

#include "evs_packet.h"
#include "packet_private.h"

static uint64_t sum_bytes(const uint8_t *p, size_t len, uint64_t sum)
{
	uint32_t w32;
	uint16_t w16;

	for (; len >= 4; p += 4, len -= 4) {
		memcpy(&w32, p, 4);
		sum += w32;
	}
	if (len >= 2) {
		memcpy(&w16, p, 2);
		sum += w16;
		p += 2;
		len -= 2;
	}
	if (len) {
		/* pad the odd byte with a zero byte after it, as on the wire */
		w16 = 0;
		memcpy(&w16, p, 1);
		sum += w16;
	}
	return sum;
}

static uint16_t fold(uint64_t sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

uint16_t evs_ipv4_hdr_cksum(const void *ipv4_hdr)
{
	const uint8_t *ip = ipv4_hdr;
	size_t hl = (size_t)(ip[0] & 0xf) * 4;
	uint64_t sum;

	if (hl < 20)
		hl = 20;
	/* skip the checksum field itself (bytes 10-11) */
	sum = sum_bytes(ip, 10, 0);
	sum = sum_bytes(ip + 12, hl - 12, sum);
	return (uint16_t)~fold(sum);
}

/* Where the checksum lives and what it covers, from the parsed packet. */
struct l4_ctx {
	uint32_t l4_off;
	uint32_t l4_len;
	uint32_t field_off; /* from l4_off */
	uint64_t pseudo;    /* pseudo-header sum */
	uint8_t proto;
	bool v6;
};

static int l4_locate(const struct rte_mbuf *m, const struct evs_flow_key *key, struct l4_ctx *c)
{
	const uint8_t *ip;
	uint32_t data_len = rte_pktmbuf_data_len(m);
	uint32_t l3_off = m->l2_len;

	if (key->ip_frag & EVS_FRAG_ANY)
		return -EINVAL;
	c->proto = key->ip_proto;
	switch (c->proto) {
	case IPPROTO_TCP:
		c->field_off = 16;
		break;
	case IPPROTO_UDP:
		c->field_off = 6;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		c->field_off = 2;
		break;
	default:
		return -ENOTSUP;
	}
	if (m->l2_len == 0 || m->l3_len == 0 || m->l4_len == 0)
		return -EINVAL;
	c->l4_off = l3_off + m->l3_len;
	if (c->l4_off + m->l4_len > data_len)
		return -EINVAL;
	ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, l3_off);

	if (key->ethertype == RTE_BE16(RTE_ETHER_TYPE_IPV4)) {
		uint32_t tot = rte_be_to_cpu_16(evs_rd_be16(ip + 2));

		if (tot < m->l3_len)
			return -EINVAL;
		c->v6 = false;
		c->l4_len = tot - m->l3_len;
		c->pseudo = 0;
		if (c->proto != IPPROTO_ICMP) {
			c->pseudo = sum_bytes(ip + 12, 8, 0);
			c->pseudo += rte_cpu_to_be_16(c->proto);
			c->pseudo += rte_cpu_to_be_16((uint16_t)c->l4_len);
		}
	} else if (key->ethertype == RTE_BE16(RTE_ETHER_TYPE_IPV6)) {
		uint32_t payload = rte_be_to_cpu_16(evs_rd_be16(ip + 4));

		if (payload + 40 < m->l3_len)
			return -EINVAL;
		c->v6 = true;
		c->l4_len = payload + 40 - m->l3_len;
		c->pseudo = sum_bytes(ip + 8, 32, 0);
		c->pseudo += rte_cpu_to_be_16((uint16_t)(c->l4_len >> 16));
		c->pseudo += rte_cpu_to_be_16((uint16_t)c->l4_len);
		c->pseudo += rte_cpu_to_be_16(c->proto);
	} else {
		return -EINVAL;
	}
	if (c->l4_len < m->l4_len || c->l4_off + c->l4_len > rte_pktmbuf_pkt_len(m))
		return -EINVAL;
	return 0;
}

/*
 * Sum @len bytes from @off across segments. A segment that starts at an odd
 * position of the summed range contributes its folded sum byte-swapped.
 * (rte_raw_cksum_mbuf in DPDK 22.11 truncates before swapping, so not used.)
 */
static int sum_mbuf(const struct rte_mbuf *seg, uint32_t off, uint32_t len, uint64_t *sum)
{
	bool odd = false;

	while (seg != NULL && off >= seg->data_len) {
		off -= seg->data_len;
		seg = seg->next;
	}
	while (len > 0) {
		uint32_t n;
		uint16_t part;

		if (seg == NULL)
			return -EINVAL;
		n = RTE_MIN(len, (uint32_t)seg->data_len - off);
		part = fold(sum_bytes(rte_pktmbuf_mtod_offset(seg, const uint8_t *, off), n, 0));
		*sum += odd ? rte_bswap16(part) : part;
		odd ^= n & 1;
		len -= n;
		off = 0;
		seg = seg->next;
	}
	return 0;
}

static int l4_sum(const struct rte_mbuf *m, const struct l4_ctx *c, uint16_t *folded)
{
	uint64_t sum = c->pseudo;

	if (sum_mbuf(m, c->l4_off, c->l4_len, &sum) != 0)
		return -EINVAL;
	*folded = fold(sum);
	return 0;
}

int evs_l4_cksum_fill(struct rte_mbuf *m, const struct evs_flow_key *key)
{
	struct l4_ctx c;
	uint16_t folded, ck;
	uint8_t *field;
	int rc;

	rc = l4_locate(m, key, &c);
	if (rc < 0)
		return rc;
	field = rte_pktmbuf_mtod_offset(m, uint8_t *, c.l4_off + c.field_off);
	memset(field, 0, 2);
	rc = l4_sum(m, &c, &folded);
	if (rc < 0)
		return rc;
	ck = (uint16_t)~folded;
	if (ck == 0 && c.proto == IPPROTO_UDP)
		ck = 0xffff;
	memcpy(field, &ck, 2);
	return 0;
}

int evs_l4_cksum_verify(const struct rte_mbuf *m, const struct evs_flow_key *key)
{
	struct l4_ctx c;
	uint16_t folded, stored;
	int rc;

	rc = l4_locate(m, key, &c);
	if (rc < 0)
		return rc;
	memcpy(&stored, rte_pktmbuf_mtod_offset(m, const uint8_t *, c.l4_off + c.field_off), 2);
	if (stored == 0 && c.proto == IPPROTO_UDP && !c.v6)
		return 0;
	rc = l4_sum(m, &c, &folded);
	if (rc < 0)
		return rc;
	return folded == 0xffff ? 0 : -EBADMSG;
}
