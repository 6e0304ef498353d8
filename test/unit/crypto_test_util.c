/* SPDX-License-Identifier: BSD-3-Clause */
/* Packet and SA builders of the crypto unit suite. */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "crypto_test.h"

struct rte_mempool *crypto_test_pool;

struct rte_mbuf *ct_build_udp(unsigned int v, unsigned int l2, uint32_t payload_len, uint32_t seed)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(crypto_test_pool);
	unsigned int hl = v == 4 ? 20 : 40;
	uint8_t *p;

	if (m == NULL)
		return NULL;
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(l2 + hl + 8 + payload_len));
	if (p == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	m->l2_len = (uint8_t)l2;
	if (l2 != 0) {
		struct rte_ether_hdr *eh = (struct rte_ether_hdr *)p;

		memset(eh, 0, sizeof(*eh));
		eh->dst_addr.addr_bytes[0] = 0x02;
		eh->src_addr.addr_bytes[0] = 0x02;
		eh->src_addr.addr_bytes[5] = 0x01;
		eh->ether_type =
		    rte_cpu_to_be_16(v == 4 ? RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6);
	}
	if (v == 4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(p + l2);

		memset(ip, 0, sizeof(*ip));
		ip->version_ihl = 0x45;
		ip->type_of_service = 0x28;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(hl + 8 + payload_len));
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_UDP;
		ip->src_addr = rte_cpu_to_be_32(0x0a000001);
		ip->dst_addr = rte_cpu_to_be_32(0x0a000002 + (seed & 0xff));
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	} else {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(p + l2);

		memset(ip, 0, sizeof(*ip));
		ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip->payload_len = rte_cpu_to_be_16((uint16_t)(8 + payload_len));
		ip->proto = IPPROTO_UDP;
		ip->hop_limits = 64;
		ip->src_addr[0] = 0xfd;
		ip->src_addr[15] = 1;
		ip->dst_addr[0] = 0xfd;
		ip->dst_addr[15] = (uint8_t)(2 + (seed & 0x7f));
	}
	{
		struct rte_udp_hdr *u = (struct rte_udp_hdr *)(p + l2 + hl);
		uint32_t x = seed * 2654435761u + 1;

		u->src_port = rte_cpu_to_be_16((uint16_t)(1024 + (seed & 0x3fff)));
		u->dst_port = rte_cpu_to_be_16(6081);
		u->dgram_len = rte_cpu_to_be_16((uint16_t)(8 + payload_len));
		u->dgram_cksum = 0;
		for (uint32_t i = 0; i < payload_len; i++) {
			x = x * 1103515245u + 12345u;
			p[l2 + hl + 8 + i] = (uint8_t)(x >> 16);
		}
	}
	return m;
}

struct rte_mbuf *ct_clone(const struct rte_mbuf *m)
{
	struct rte_mbuf *c = rte_pktmbuf_alloc(crypto_test_pool);
	uint8_t *p;

	if (c == NULL)
		return NULL;
	p = (uint8_t *)rte_pktmbuf_append(c, m->data_len);
	if (p == NULL) {
		rte_pktmbuf_free(c);
		return NULL;
	}
	memcpy(p, rte_pktmbuf_mtod(m, const uint8_t *), m->data_len);
	c->l2_len = m->l2_len;
	return c;
}

int ct_same(const struct rte_mbuf *a, const struct rte_mbuf *b)
{
	return a->data_len == b->data_len && a->pkt_len == b->pkt_len &&
	       memcmp(rte_pktmbuf_mtod(a, const uint8_t *), rte_pktmbuf_mtod(b, const uint8_t *),
		      a->data_len) == 0;
}

struct evs_sa_config ct_sa_conf(uint32_t spi, enum evs_sa_dir dir, enum evs_esp_mode mode,
				uint8_t key_len, uint32_t seed)
{
	struct evs_sa_config c;

	memset(&c, 0, sizeof(c));
	c.spi = spi;
	c.dir = dir;
	c.mode = mode;
	c.key_len = key_len;
	for (unsigned int i = 0; i < sizeof(c.key); i++)
		c.key[i] = (uint8_t)(seed * 31 + i * 7);
	for (unsigned int i = 0; i < 4; i++)
		c.salt[i] = (uint8_t)(seed + 0x40 + i);
	c.tun_src.family = 4;
	c.tun_src.b[0] = 192;
	c.tun_src.b[1] = 0;
	c.tun_src.b[2] = 2;
	c.tun_src.b[3] = 1;
	c.tun_dst = c.tun_src;
	c.tun_dst.b[3] = 2;
	return c;
}

static int nib(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t ct_unhex(const char *hex, uint8_t *out, size_t max)
{
	size_t n = 0;

	while (hex[0] != '\0' && hex[1] != '\0' && n < max) {
		int hi = nib(hex[0]), lo = nib(hex[1]);

		if (hi < 0 || lo < 0)
			break;
		out[n++] = (uint8_t)(hi << 4 | lo);
		hex += 2;
	}
	return n;
}
