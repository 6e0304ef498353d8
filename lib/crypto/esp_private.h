/* SPDX-License-Identifier: BSD-3-Clause */
/* ESP wire helpers shared by the outbound and inbound paths. */
#ifndef EVS_ESP_PRIVATE_H
#define EVS_ESP_PRIVATE_H

#include <stdint.h>
#include <string.h>

#include <netinet/in.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "evs_crypto.h"

/* The IP header of a packet at m->l2_len. */
struct esp_ip {
	uint8_t v;	/* 4 or 6 */
	uint8_t proto;	/* IPv4 protocol or IPv6 base header's next header */
	uint8_t frag;	/* IPv4 fragment (MF or offset) */
	uint8_t v6_ext; /* IPv6 next header is an extension header */
	uint16_t hl;	/* header length */
	uint32_t len;	/* total IP length */
};

/* Whether an IPv6 next header is an extension header. */
static inline bool esp_ipv6_ext(uint8_t nh)
{
	return nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING || nh == IPPROTO_FRAGMENT ||
	       nh == IPPROTO_DSTOPTS || nh == 135 /* mobility */ || nh == 139 /* HIP */ ||
	       nh == 140 /* shim6 */ || nh == IPPROTO_AH;
}

/* Parse and bound-check; 0 or 1 + enum evs_esp_drop. */
static __rte_always_inline uint8_t esp_ip_parse(const struct rte_mbuf *m, struct esp_ip *ip)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *) + m->l2_len;
	int32_t avail = (int32_t)m->data_len - (int32_t)m->l2_len;

	if (m->nb_segs != 1)
		return 1 + EVS_ESP_DROP_UNSUPPORTED;
	/* shorter than the smallest IP header (IPv4's): neither version */
	if (avail < (int32_t)sizeof(struct rte_ipv4_hdr))
		return 1 + EVS_ESP_DROP_MALFORMED;
	ip->v = p[0] >> 4;
	ip->frag = 0;
	ip->v6_ext = 0;
	if (ip->v == 4) {
		const struct rte_ipv4_hdr *h = (const struct rte_ipv4_hdr *)p;

		ip->hl = (uint16_t)((h->version_ihl & 0x0f) * 4);
		ip->len = rte_be_to_cpu_16(h->total_length);
		ip->proto = h->next_proto_id;
		ip->frag = (rte_be_to_cpu_16(h->fragment_offset) &
			    (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) != 0;
		if (ip->hl < sizeof(*h) || ip->len < ip->hl || ip->len > (uint32_t)avail)
			return 1 + EVS_ESP_DROP_MALFORMED;
	} else if (ip->v == 6) {
		const struct rte_ipv6_hdr *h = (const struct rte_ipv6_hdr *)p;

		if (avail < (int32_t)sizeof(*h))
			return 1 + EVS_ESP_DROP_MALFORMED;
		ip->hl = sizeof(*h);
		ip->len = sizeof(*h) + rte_be_to_cpu_16(h->payload_len);
		ip->proto = h->proto;
		ip->v6_ext = esp_ipv6_ext(h->proto);
		if (ip->len > (uint32_t)avail)
			return 1 + EVS_ESP_DROP_MALFORMED;
	} else {
		return 1 + EVS_ESP_DROP_MALFORMED;
	}
	return 0;
}

static __rte_always_inline void esp_copy16(uint8_t *dst, const uint8_t *src)
{
	uint64_t w[2];

	memcpy(w, src, 16);
	memcpy(dst, w, 16);
}

/* Move @p len (>= 16) header bytes down to @p dst, at least 16 below @p src,
 * in ascending 16-byte chunks: each store lands below every byte not yet
 * read; the last chunk overlaps the one before rather than going bytewise.
 * Up to 48 bytes (Ethernet + IPv4, a tag, options) without a loop. */
static __rte_always_inline void esp_move_down(uint8_t *dst, const uint8_t *src, unsigned int len)
{
	esp_copy16(dst, src);
	if (unlikely(len > 48)) {
		for (unsigned int i = 16; i + 16 < len; i += 16)
			esp_copy16(dst + i, src + i);
	} else if (len > 32) {
		esp_copy16(dst + 16, src + 16);
	}
	esp_copy16(dst + len - 16, src + len - 16);
}

/* The same upwards (@p dst at least 16 above @p src), in descending chunks. */
static __rte_always_inline void esp_move_up(uint8_t *dst, const uint8_t *src, unsigned int len)
{
	esp_copy16(dst + len - 16, src + len - 16);
	if (unlikely(len > 48)) {
		for (unsigned int i = len - 16; i > 16; i -= 16)
			esp_copy16(dst + i - 16, src + i - 16);
	} else if (len > 32) {
		esp_copy16(dst + len - 32, src + len - 32);
	}
	esp_copy16(dst, src);
}

static inline void esp_hdr_write(uint8_t *esp, uint32_t spi_be, uint64_t seq)
{
	uint32_t w[2] = {spi_be, rte_cpu_to_be_32((uint32_t)seq)};
	uint64_t iv = rte_cpu_to_be_64(seq); /* unique per key: RFC 4106 3.1 */

	memcpy(esp, w, 8);
	memcpy(esp + 8, &iv, 8);
}

/* Nonce = salt || IV (RFC 4106 4). */
static inline void esp_nonce(uint8_t *nonce, const uint8_t *salt, const uint8_t *iv)
{
	memcpy(nonce, salt, 4);
	memcpy(nonce + 4, iv, 8);
}

/* The same from the sequence number, which is the IV (outbound). */
static inline void esp_nonce_seq(uint8_t *nonce, const uint8_t *salt, uint64_t seq)
{
	uint64_t iv = rte_cpu_to_be_64(seq);

	memcpy(nonce, salt, 4);
	memcpy(nonce + 4, &iv, 8);
}

/* AAD from the wire header: SPI + seq (RFC 4106 5), with the ESN high
 * half between them; returns its length. */
static inline uint32_t esp_aad_seq(uint8_t *aad, const uint8_t *esp, bool esn, uint32_t seq_hi)
{
	if (!esn) {
		memcpy(aad, esp, 8);
		return 8;
	}
	seq_hi = rte_cpu_to_be_32(seq_hi);
	memcpy(aad, esp, 4);
	memcpy(aad + 4, &seq_hi, 4);
	memcpy(aad + 8, esp + 4, 4);
	return 12;
}

/* Outbound: the IV is the full sequence number, so the high half is there. */
static inline uint32_t esp_aad(uint8_t *aad, const uint8_t *esp, bool esn)
{
	uint32_t hi;

	memcpy(&hi, esp + 8, 4);
	return esp_aad_seq(aad, esp, esn, rte_be_to_cpu_32(hi));
}

/* The EtherType in front of an IP header of version @p v. */
static inline void esp_set_ethertype(uint8_t *type, unsigned int v)
{
	uint16_t t = rte_cpu_to_be_16(v == 4 ? RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6);

	memcpy(type, &t, 2);
}

#endif /* EVS_ESP_PRIVATE_H */
