/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Encrypted overlay frames for test/scripts/overlay_wire.py:
 *
 *   overlay_wire_tool FILE
 *     GENEVE-encapsulates inner frames (lib/tunnel) and protects the
 *     tunnel's UDP with ESP AES-GCM in transport mode (lib/crypto): the
 *     layout of a Linux host with a geneve device and an xfrm transport SA
 *     on the tunnel's UDP. Over IPv4 and IPv6, 128- and 256-bit keys, and
 *     once in ESP-in-UDP. Writes a pcap and prints per SA
 *       S family src dst spi key+salt udp
 *     and per frame
 *       F sa_index vni inner     (hex)
 */
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_mbuf.h>

#include "evs_crypto.h"
#include "evs_tunnel.h"
#include "unit_eal.h"

static struct rte_mempool *pool;

static void hex(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
}

static void addr(const uint8_t *b, unsigned int family)
{
	if (family == 4) {
		printf("%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
		return;
	}
	for (unsigned int i = 0; i < 16; i += 2)
		printf("%x%s", b[i] << 8 | b[i + 1], i < 14 ? ":" : "");
}

static struct rte_mbuf *inner(uint32_t len, uint32_t seed)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t *p;

	if (m == NULL || rte_pktmbuf_append(m, (uint16_t)len) == NULL)
		return NULL;
	p = rte_pktmbuf_mtod(m, uint8_t *);
	for (uint32_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed * 31 + i);
	memcpy(p, (uint8_t[]){0x02, 0, 0, 0, 0, 0xaa, 0x02, 0, 0, 0, 0, 0xbb, 0x88, 0xb5}, 14);
	m->hash.rss = seed;
	return m;
}

int main(int argc, char **argv)
{
	struct evs_crypto_engine *e;
	struct evs_tun_stats st = {0};
	FILE *f;
	uint32_t n = 0;

	if (argc != 2 || unit_eal_init(argv[0], "evs_overlay_wire", "64") < 0)
		return 2;
	pool = rte_pktmbuf_pool_create("ow_pool", 256, 0, 0, 4096, SOCKET_ID_ANY);
	e = evs_crypto_engine_create();
	f = fopen(argv[1], "wb");
	if (pool == NULL || e == NULL || f == NULL)
		return 1;
	{
		const uint32_t gh[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1};

		fwrite(gh, sizeof(gh), 1, f);
	}
	for (unsigned int k = 0; k < 4; k++) {
		struct evs_tun_encap_config tc;
		struct evs_sa_config sc;
		struct evs_tun_encap t;
		struct rte_mbuf *m[4];
		struct evs_sa *sa;

		memset(&tc, 0, sizeof(tc));
		tc.type = EVS_TUN_GENEVE;
		tc.vni = 4000 + k;
		tc.local.family = tc.remote.family = k & 1 ? 6 : 4;
		if (tc.local.family == 4) {
			memcpy(tc.local.b, (uint8_t[]){198, 51, 100, 1}, 4);
			memcpy(tc.remote.b, (uint8_t[]){198, 51, 100, (uint8_t)(2 + k)}, 4);
		} else {
			memcpy(tc.local.b, (uint8_t[]){0x20, 0x01, 0x0d, 0xb8}, 4);
			memcpy(tc.remote.b, tc.local.b, 4);
			tc.local.b[15] = 1;
			tc.remote.b[15] = (uint8_t)(2 + k);
		}
		tc.src_mac.addr_bytes[0] = tc.dst_mac.addr_bytes[0] = 0x02;
		tc.dst_mac.addr_bytes[5] = 9;
		memset(&sc, 0, sizeof(sc));
		sc.spi = 0x1000 + k;
		sc.dir = EVS_SA_OUTBOUND;
		sc.mode = EVS_ESP_TRANSPORT;
		sc.key_len = k & 2 ? 32 : 16;
		for (unsigned int i = 0; i < sc.key_len; i++)
			sc.key[i] = (uint8_t)(0x10 * k + i);
		memcpy(sc.salt, (uint8_t[]){0xca, 0xfe, 0xba, (uint8_t)k}, 4);
		sc.udp_encap = k == 3;
		sa = evs_sa_create(&sc);
		if (evs_tun_encap_init(&t, &tc) != 0 || sa == NULL)
			return 1;
		printf("S %u ", tc.local.family);
		addr(tc.local.b, tc.local.family);
		printf(" ");
		addr(tc.remote.b, tc.local.family);
		printf(" %u ", sc.spi);
		hex(sc.key, sc.key_len);
		hex(sc.salt, 4);
		printf(" %d\n", sc.udp_encap);
		for (unsigned int i = 0; i < 4; i++) {
			m[i] = inner(60 + i * 333, k * 4 + i);
			if (m[i] == NULL)
				return 1;
			printf("F %u %u ", k, tc.vni);
			hex(rte_pktmbuf_mtod(m[i], uint8_t *), m[i]->data_len);
			printf("\n");
		}
		if (evs_tun_encap_burst(&t, m, 4, NULL, &st) != 4 ||
		    evs_esp_encrypt_burst(e, sa, m, 4) != 4)
			return 1;
		for (unsigned int i = 0; i < 4; i++) {
			const uint32_t r[4] = {1700000000 + n++, 0, m[i]->data_len, m[i]->data_len};

			fwrite(r, sizeof(r), 1, f);
			fwrite(rte_pktmbuf_mtod(m[i], uint8_t *), m[i]->data_len, 1, f);
			rte_pktmbuf_free(m[i]);
		}
		evs_sa_free(sa);
	}
	fclose(f);
	evs_crypto_engine_free(e);
	return 0;
}
