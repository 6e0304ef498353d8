/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PACKET_TEST_H
#define PACKET_TEST_H

/* Shared by lib/packet's test files: the frame builder (packet_test_util.c). */

#include <check.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "evs_packet.h"

extern struct rte_mempool *pool;

struct frame {
	uint8_t b[12000];
	uint32_t n;
};

enum l3_kind { L3_OTHER, L3_V4, L3_V6, L3_ARP };

/* What to build; the expected key is derived from this, not from parsing. */
struct spec {
	int ntags;
	uint16_t tpid[2];
	uint16_t tci[2];
	enum l3_kind l3;
	uint8_t v4_optlen; /* bytes, multiple of 4 */
	int v6_ext;	   /* number of extension headers: HBH, DSTOPTS, ROUTING... */
	uint8_t l4;	   /* IPPROTO_* or 0 */
	uint16_t payload;
	uint8_t ttl;
	uint8_t tos;
	uint16_t frag; /* IPv4 flags/offset field, or IPv6 frag header offset|M when v6_frag */
	bool v6_frag;
};

struct expect {
	struct evs_flow_key key;
	uint8_t l2_len;
	uint16_t l3_len;
	uint8_t l4_len;
};

/* An mbuf over a heap buffer that ends exactly at the data: ASan flags over-reads. */
struct tight {
	struct rte_mbuf m;
	uint8_t *buf;
};

extern const uint8_t MAC_A[6], MAC_B[6], IP4_A[4], IP4_B[4], IP6_A[16], IP6_B[16];
/* All tag counts x L3 kinds x L4 protocols. */
#define PKT_TEST_L4_PROTOS 7
extern const uint8_t l4_protos[PKT_TEST_L4_PROTOS];

void put(struct frame *f, const void *p, size_t n);
void put8(struct frame *f, uint8_t v);
void put16(struct frame *f, uint16_t v);
void putn(struct frame *f, uint8_t v, size_t n);
void set16(struct frame *f, size_t off, uint16_t v);
/* The frame of @s into @f, and in @e what parsing it must give. */
void build(const struct spec *s, struct frame *f, struct expect *e);
/* A pool mbuf holding @n bytes of @b. */
struct rte_mbuf *mk(const uint8_t *b, uint32_t n);
void tight_init(struct tight *t, const uint8_t *b, uint32_t n, uint16_t headroom);
void tight_fini(struct tight *t);
void check_key(const struct evs_flow_key *got, const struct expect *e, const char *what);
/* Parse @n bytes of @b (in port 7) from an exact-size buffer; lengths into @out_lens. */
enum evs_drop_reason parse_buf(const uint8_t *b, uint32_t n, struct evs_flow_key *k,
			       struct rte_mbuf *out_lens);
void check_spec(const struct spec *s, const char *what);
void spec_for(struct spec *s, int ntags, enum l3_kind l3, uint8_t l4, int variant);

/* test_packet_tx.c: checksums and VLAN tag rewrites. */
void packet_tx_add_cases(Suite *s);

#endif /* PACKET_TEST_H */
