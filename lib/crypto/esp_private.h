/* SPDX-License-Identifier: BSD-3-Clause */
/* ESP wire helpers shared by the outbound and inbound paths. */
#ifndef EVS_ESP_PRIVATE_H
#define EVS_ESP_PRIVATE_H

#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
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

/* Parse and bound-check; 0 or 1 + enum evs_esp_drop. */
uint8_t esp_ip_parse(const struct rte_mbuf *m, struct esp_ip *ip);

static inline void esp_hdr_write(uint8_t *esp, uint32_t spi, uint64_t seq)
{
	uint32_t w[2] = {rte_cpu_to_be_32(spi), rte_cpu_to_be_32((uint32_t)seq)};
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
