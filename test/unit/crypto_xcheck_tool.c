/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The C half of the cross-check with Python's cryptography package
 * (test/scripts/esp_xcheck.py drives it):
 *
 *   crypto_xcheck_tool encrypt SEED COUNT
 *     prints one line per random packet, protected by a random SA:
 *     E spi key salt esn mode udp l2 seq plain wire      (hex fields)
 *   crypto_xcheck_tool decrypt
 *     reads lines  D spi key salt esn mode udp l2 top wire expect
 *     (top: the window's top before the packet, so ESN packets far from
 *     epoch 0 can be opened), decrypts each and prints "ok N" or
 *     "FAIL N why".
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_random.h>

#include "crypto_private.h"
#include "crypto_test.h"
#include "unit_eal.h"

static void hex_out(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
}

static int do_encrypt(uint64_t seed, unsigned int count)
{
	struct evs_crypto_engine *e = evs_crypto_engine_create();

	if (e == NULL)
		return 1;
	rte_srand(seed);
	for (unsigned int i = 0; i < count; i++) {
		uint64_t r = rte_rand();
		unsigned int v = r & 1 ? 6 : 4, l2 = r & 2 ? 14 : 0, n = 1 + (r >> 8) % 8;
		struct evs_sa_config c =
		    ct_sa_conf((uint32_t)(256 + (r >> 32) % 100000), EVS_SA_OUTBOUND,
			       r & 4 ? EVS_ESP_TUNNEL : EVS_ESP_TRANSPORT, r & 8 ? 32 : 16,
			       (uint32_t)(r >> 16));
		struct rte_mbuf *m[8], *plain[8];
		struct evs_sa *sa;

		for (unsigned int k = 0; k < sizeof(c.key); k++)
			c.key[k] = (uint8_t)rte_rand();
		c.udp_encap = (r & 16) != 0;
		c.esn = (r & 32) != 0;
		c.first_seq = c.esn ? rte_rand() >> 1 : 1 + rte_rand() % 0xfffffff0u;
		if (r & 64 && c.mode == EVS_ESP_TUNNEL) {
			c.tun_src.family = c.tun_dst.family = 6;
			c.tun_src.b[0] = c.tun_dst.b[0] = 0xfd;
			c.tun_dst.b[15] = 9;
		}
		sa = evs_sa_create(&c);
		if (sa == NULL)
			return 1;
		for (unsigned int k = 0; k < n; k++) {
			m[k] = ct_build_udp(v, l2, (uint32_t)(rte_rand() % 1450),
					    (uint32_t)rte_rand());
			plain[k] = ct_clone(m[k]);
		}
		if (evs_esp_encrypt_burst(e, sa, m, (uint16_t)n) != n) {
			fprintf(stderr, "encrypt refused a packet\n");
			return 1;
		}
		for (unsigned int k = 0; k < n; k++) {
			printf("E %u ", c.spi);
			hex_out(c.key, c.key_len);
			printf(" ");
			hex_out(c.salt, 4);
			printf(" %d %d %d %u %" PRIu64 " ", c.esn, (int)c.mode, c.udp_encap, l2,
			       c.first_seq + k);
			hex_out(rte_pktmbuf_mtod(plain[k], uint8_t *), plain[k]->data_len);
			printf(" ");
			hex_out(rte_pktmbuf_mtod(m[k], uint8_t *), m[k]->data_len);
			printf("\n");
			rte_pktmbuf_free(m[k]);
			rte_pktmbuf_free(plain[k]);
		}
		evs_sa_free(sa);
	}
	evs_crypto_engine_free(e);
	return 0;
}

static const char *decrypt_one(struct evs_crypto_engine *e, char *line)
{
	static uint8_t wire[4096], expect[4096];
	char *f[12], *save = NULL;
	unsigned int nf = 0;
	struct evs_sa_config c;
	struct rte_mbuf *m;
	struct evs_sa *sa;
	size_t wl, el;
	const char *why = NULL;

	for (char *t = strtok_r(line, " \n", &save); t != NULL && nf < 12;
	     t = strtok_r(NULL, " \n", &save))
		f[nf++] = t;
	if (nf != 11 || strcmp(f[0], "D") != 0)
		return "bad line";
	c = ct_sa_conf((uint32_t)strtoul(f[1], NULL, 10), EVS_SA_INBOUND,
		       (enum evs_esp_mode)atoi(f[5]), 16, 0);
	c.key_len = (uint8_t)ct_unhex(f[2], c.key, sizeof(c.key));
	ct_unhex(f[3], c.salt, 4);
	c.esn = atoi(f[4]) != 0;
	c.udp_encap = atoi(f[6]) != 0;
	sa = evs_sa_create(&c);
	if (sa == NULL)
		return "SA refused";
	/* Stand the window where the sender's sequence numbers are. */
	sa->replay.top = strtoull(f[8], NULL, 10);
	wl = ct_unhex(f[9], wire, sizeof(wire));
	el = ct_unhex(f[10], expect, sizeof(expect));
	m = rte_pktmbuf_alloc(crypto_test_pool);
	memcpy(rte_pktmbuf_append(m, (uint16_t)wl), wire, wl);
	m->l2_len = (uint8_t)atoi(f[7]);
	if (evs_esp_decrypt_burst(e, &sa, &m, 1) != 1) {
		struct evs_sa_stats st;

		evs_sa_stats_get(sa, &st);
		why = "refused";
		for (unsigned int d = 0; d < EVS_ESP_DROP__MAX; d++)
			if (st.drops[d] != 0)
				why = evs_esp_drop_name(d);
	} else if (m->data_len != el || memcmp(rte_pktmbuf_mtod(m, void *), expect, el) != 0) {
		why = "plaintext differs";
	}
	rte_pktmbuf_free(m);
	evs_sa_free(sa);
	return why;
}

static int do_decrypt(void)
{
	struct evs_crypto_engine *e = evs_crypto_engine_create();
	static char line[20000];
	unsigned int n = 0, bad = 0;

	if (e == NULL)
		return 1;
	while (fgets(line, sizeof(line), stdin) != NULL) {
		const char *why = decrypt_one(e, line);

		if (why == NULL) {
			printf("ok %u\n", n);
		} else {
			printf("FAIL %u %s\n", n, why);
			bad++;
		}
		n++;
	}
	evs_crypto_engine_free(e);
	return bad != 0;
}

int main(int argc, char **argv)
{
	if (unit_eal_init(argv[0], "evs_crypto_xcheck", "64") < 0)
		return 1;
	crypto_test_pool = rte_pktmbuf_pool_create("xc_pool", 256, 0, 0, 4096, SOCKET_ID_ANY);
	if (crypto_test_pool == NULL)
		return 1;
	if (argc == 4 && strcmp(argv[1], "encrypt") == 0)
		return do_encrypt(strtoull(argv[2], NULL, 10), (unsigned int)atoi(argv[3]));
	if (argc == 2 && strcmp(argv[1], "decrypt") == 0)
		return do_decrypt();
	fprintf(stderr, "usage: %s encrypt SEED COUNT | decrypt\n", argv[0]);
	return 2;
}
