/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared helpers of the crypto unit suite (test_crypto.c holds main). */
#ifndef EVS_TEST_CRYPTO_H
#define EVS_TEST_CRYPTO_H

#include <stdint.h>

#include <check.h>
#include <rte_mbuf.h>

#include "evs_crypto.h"

extern struct rte_mempool *crypto_test_pool;

/* A packet to protect: Ethernet (unless @p l2 is 0), IPv4 or IPv6, UDP
 * with @p payload_len bytes of a pattern seeded by @p seed. */
struct rte_mbuf *ct_build_udp(unsigned int v, unsigned int l2, uint32_t payload_len, uint32_t seed);

/* A fresh copy of @p m (single segment). */
struct rte_mbuf *ct_clone(const struct rte_mbuf *m);

/* Whether two packets carry the same bytes. */
int ct_same(const struct rte_mbuf *a, const struct rte_mbuf *b);

/* An SA config: key and salt from @p seed, SPI @p spi. */
struct evs_sa_config ct_sa_conf(uint32_t spi, enum evs_sa_dir dir, enum evs_esp_mode mode,
				uint8_t key_len, uint32_t seed);

/* Hex helpers: parse @p hex into @p out (at most @p max); returns bytes. */
size_t ct_unhex(const char *hex, uint8_t *out, size_t max);

void crypto_esp_add_cases(Suite *s);
void crypto_table_add_cases(Suite *s);

#endif /* EVS_TEST_CRYPTO_H */
