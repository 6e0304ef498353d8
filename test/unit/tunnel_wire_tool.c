/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The C half of the tunnel wire-format check (test/scripts/tunnel_wire.py):
 *
 *   tunnel_wire_tool write FILE
 *     encapsulates inner frames over VXLAN/GENEVE x IPv4/IPv6 (GENEVE with
 *     options, some with UDP checksums) into a pcap for tshark and scapy;
 *     prints per frame: F type family vni csum options inner   (hex)
 *   tunnel_wire_tool decap FILE
 *     decapsulates every frame of a pcap (VNIs 100, 200 and 0xabcdef;
 *     critical option 0x0102/0x85 understood; option classes 0xffff and
 *     0x0102 reported) and prints per frame
 *     "ok VNI OPT_FLAGS OPT_LEN SRC INNER" or "drop REASON".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "evs_tunnel.h"
#include "unit_eal.h"

static struct rte_mempool *pool;

static const uint8_t opts[] = {0x01, 0x02, 0x85, 0x01, 0xde, 0xad, 0xbe, 0xef, 0xff, 0xff,
			       0x01, 0x02, 1,	 2,    3,    4,	   5,	 6,    7,    8};

static void hex(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
}

static void pcap_header(FILE *f)
{
	const uint32_t h[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1 /* Ethernet */};

	fwrite(h, sizeof(h), 1, f);
}

static void pcap_record(FILE *f, const uint8_t *p, uint32_t len, uint32_t i)
{
	const uint32_t r[4] = {1700000000 + i, 0, len, len};

	fwrite(r, sizeof(r), 1, f);
	fwrite(p, len, 1, f);
}

/* An inner Ethernet/IPv4/UDP frame with @p data bytes of payload. */
static struct rte_mbuf *inner(uint32_t data, uint32_t seed)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint32_t len = 14 + 20 + 8 + data;
	struct rte_ipv4_hdr *ip;
	uint8_t *p;

	if (m == NULL || rte_pktmbuf_append(m, (uint16_t)len) == NULL)
		return NULL;
	p = rte_pktmbuf_mtod(m, uint8_t *);
	memset(p, 0, len);
	memcpy(p, (uint8_t[]){0x02, 0, 0, 0, 0, 0xaa, 0x02, 0, 0, 0, 0, 0xbb, 0x08, 0x00}, 14);
	ip = (struct rte_ipv4_hdr *)(p + 14);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(20 + 8 + data));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(0x0a000001);
	ip->dst_addr = rte_cpu_to_be_32(0x0a000002);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	p[34] = 0x30, p[35] = 0x39; /* 12345 */
	p[36] = 0x00, p[37] = 0x35; /* 53 */
	p[38] = (uint8_t)((8 + data) >> 8), p[39] = (uint8_t)(8 + data);
	for (uint32_t i = 0; i < data; i++)
		p[42 + i] = (uint8_t)(seed + i * 7);
	m->hash.rss = seed * 2654435761u;
	return m;
}

static int do_write(const char *path)
{
	FILE *f = fopen(path, "wb");
	struct evs_tun_stats st = {0};
	uint32_t n = 0;

	if (f == NULL)
		return 1;
	pcap_header(f);
	for (unsigned int k = 0; k < 8; k++) {
		struct evs_tun_encap_config c;
		struct evs_tun_encap t;
		struct rte_mbuf *m[3];

		memset(&c, 0, sizeof(c));
		c.type = k & 1 ? EVS_TUN_GENEVE : EVS_TUN_VXLAN;
		c.local.family = c.remote.family = k & 2 ? 6 : 4;
		c.vni = k == 0 ? 100 : 0xabcdef - k;
		c.udp_csum = (k & 4) != 0;
		/* IPv6 without options: a zero checksum (RFC 6935), as asked */
		c.ipv6_zero_csum = (k & 4) == 0 && (k & 2) != 0;
		if (c.local.family == 4) {
			memcpy(c.local.b, (uint8_t[]){192, 0, 2, 1}, 4);
			memcpy(c.remote.b, (uint8_t[]){192, 0, 2, (uint8_t)(2 + k)}, 4);
		} else {
			memcpy(c.local.b, (uint8_t[]){0x20, 0x01, 0x0d, 0xb8}, 4);
			memcpy(c.remote.b, c.local.b, 4);
			c.local.b[15] = 1;
			c.remote.b[15] = (uint8_t)(2 + k);
		}
		c.src_mac.addr_bytes[0] = c.dst_mac.addr_bytes[0] = 0x02;
		c.dst_mac.addr_bytes[5] = (uint8_t)k;
		c.df = true;
		if (c.type == EVS_TUN_GENEVE && (k & 4)) {
			c.options = opts;
			c.options_len = sizeof(opts);
		}
		if (evs_tun_encap_init(&t, &c) != 0)
			return 1;
		for (unsigned int i = 0; i < 3; i++) {
			m[i] = inner(i * 200 + k, k * 10 + i);
			if (m[i] == NULL)
				return 1;
			printf("F %d %u %u %d ", (int)c.type, c.local.family, c.vni,
			       c.local.family == 6 ? !c.ipv6_zero_csum : c.udp_csum);
			if (c.options_len)
				hex(c.options, c.options_len);
			else
				printf("-");
			printf(" ");
			hex(rte_pktmbuf_mtod(m[i], uint8_t *), m[i]->data_len);
			printf("\n");
		}
		if (evs_tun_encap_burst(&t, m, 3, NULL, &st) != 3)
			return 1;
		for (unsigned int i = 0; i < 3; i++) {
			pcap_record(f, rte_pktmbuf_mtod(m[i], uint8_t *), m[i]->data_len, n++);
			rte_pktmbuf_free(m[i]);
		}
	}
	fclose(f);
	return 0;
}

static int do_decap(const char *path)
{
	static const uint32_t vnis[] = {100, 200, 0xabcdef};
	static uint8_t buf[65536];
	struct evs_tun_stats st = {0};
	struct evs_tun_decap d;
	uint32_t gh[6], rh[4];
	FILE *f = fopen(path, "rb");

	if (f == NULL || fread(gh, sizeof(gh), 1, f) != 1 || gh[0] != 0xa1b2c3d4)
		return 1;
	memset(&d, 0, sizeof(d));
	d.verify_csum = true;
	d.vnis = vnis;
	d.n_vnis = RTE_DIM(vnis);
	d.opt_classes[0] = 0xffff;
	d.opt_classes[1] = 0x0102;
	d.n_opt_classes = 2;
	d.known_critical[0].cls = 0x0102;
	d.known_critical[0].type = 0x85;
	d.n_known_critical = 1;
	while (fread(rh, sizeof(rh), 1, f) == 1) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
		struct evs_tun_meta meta;
		uint64_t before[EVS_TUN_DROP__MAX];

		if (rh[2] > sizeof(buf) || fread(buf, rh[2], 1, f) != 1 || m == NULL ||
		    rte_pktmbuf_append(m, (uint16_t)rh[2]) == NULL)
			return 1;
		memcpy(rte_pktmbuf_mtod(m, uint8_t *), buf, rh[2]);
		memcpy(before, st.drops, sizeof(before));
		if (evs_tun_decap_burst(&d, &m, 1, &meta, &st) == 1) {
			printf("ok %u %u %u ", meta.vni, meta.opt_flags, meta.opt_len);
			hex(meta.src, meta.family == 4 ? 4 : 16);
			printf(" ");
			hex(rte_pktmbuf_mtod(m, uint8_t *), m->data_len);
			printf("\n");
		} else {
			for (unsigned int r = 0; r < EVS_TUN_DROP__MAX; r++)
				if (st.drops[r] != before[r])
					printf("drop %s\n",
					       evs_tun_drop_name((enum evs_tun_drop)r));
		}
		rte_pktmbuf_free(m);
	}
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	if (unit_eal_init(argv[0], "evs_tunnel_wire", "64") < 0)
		return 1;
	pool = rte_pktmbuf_pool_create("tw_pool", 256, 0, 0, 4096, SOCKET_ID_ANY);
	if (pool == NULL)
		return 1;
	if (argc == 3 && strcmp(argv[1], "write") == 0)
		return do_write(argv[2]);
	if (argc == 3 && strcmp(argv[1], "decap") == 0)
		return do_decap(argv[2]);
	fprintf(stderr, "usage: %s write FILE | decap FILE\n", argv[0]);
	return 2;
}
