/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tunnel header cost: bench-tunnel [--bursts N] [--reps N].
 *
 * Per packet, in bursts of 32 on one core, TSC ticks (median of --reps
 * runs): evs_tun_encap_burst and evs_tun_decap_burst of 64- and 1400-byte
 * frames, VXLAN and GENEVE over IPv4 (UDP checksum off, as Linux sends) and
 * GENEVE over IPv6 (checksum on, as RFC 8200 wants). Each round encaps then
 * decaps the same mbufs, which brings them back. The load average is printed:
 * timings on a shared machine are only indicative.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_mbuf.h>

#include "bench_util.h"
#include "evs_tunnel.h"

#define BURST BENCH_BURST
#define MAX_REPS BENCH_MAX_REPS

static struct rte_mempool *pool;

static int bench(enum evs_tun_type type, unsigned int family, uint32_t len, uint32_t bursts,
		 unsigned int reps)
{
	uint64_t enc[MAX_REPS], dec[MAX_REPS];
	struct evs_tun_encap_config c;
	struct evs_tun_meta meta[BURST];
	struct evs_tun_stats st = {0};
	struct evs_tun_decap d;
	struct evs_tun_encap t;
	struct rte_mbuf *m[BURST];

	memset(&c, 0, sizeof(c));
	c.type = type;
	c.vni = 42;
	c.local.family = c.remote.family = (uint8_t)family;
	c.local.b[0] = c.remote.b[0] = 10;
	c.remote.b[3] = 2;
	memset(&d, 0, sizeof(d));
	d.verify_csum = true;
	if (evs_tun_encap_init(&t, &c) != 0)
		return 1;
	for (unsigned int i = 0; i < BURST; i++) {
		m[i] = rte_pktmbuf_alloc(pool);
		if (m[i] == NULL || rte_pktmbuf_append(m[i], (uint16_t)len) == NULL)
			return 1;
		memset(rte_pktmbuf_mtod(m[i], void *), (int)i, len);
		m[i]->hash.rss = i * 2654435761u;
	}
	for (unsigned int r = 0; r <= reps; r++) {
		uint64_t te = 0, td = 0;

		for (uint32_t b = 0; b < bursts; b++) {
			uint64_t t0 = rte_rdtsc_precise(), t1, t2;

			if (evs_tun_encap_burst(&t, m, BURST, NULL, &st) != BURST)
				return 1;
			t1 = rte_rdtsc_precise();
			if (evs_tun_decap_burst(&d, m, BURST, meta, &st) != BURST)
				return 1;
			t2 = rte_rdtsc_precise();
			te += t1 - t0;
			td += t2 - t1;
		}
		enc[r % reps] = te; /* round 0 warms up and is overwritten */
		dec[r % reps] = td;
	}
	printf("%-6s IPv%u %5u B  encap %6.1f  decap %6.1f  ticks/packet\n",
	       type == EVS_TUN_GENEVE ? "GENEVE" : "VXLAN", family, len,
	       (double)bench_median(enc, reps) / ((double)bursts * BURST),
	       (double)bench_median(dec, reps) / ((double)bursts * BURST));
	for (unsigned int i = 0; i < BURST; i++)
		rte_pktmbuf_free(m[i]);
	return 0;
}

int main(int argc, char **argv)
{
	struct bench_args a = {.reps = 7, .bursts = 20000};
	unsigned int reps;
	uint32_t bursts;
	char load[64];
	int rc = 0;

	if (bench_getopt(argc, argv, BENCH_OPT_REPS | BENCH_OPT_BURSTS, NULL, &a) != -1) {
		fprintf(stderr, "usage: %s [--bursts N] [--reps N]\n", argv[0]);
		return 2;
	}
	reps = a.reps;
	bursts = a.bursts;
	pool = bench_lib_start(argv[0], "bt");
	if (pool == NULL)
		return 1;
	bench_loadavg(load, sizeof(load));
	printf("bench-tunnel: bursts of %d, %u bursts x %u reps (median), TSC %" PRIu64
	       " Hz, load average %s",
	       BURST, bursts, reps, rte_get_tsc_hz(), load);
	for (uint32_t len = 64; len <= 1400 && rc == 0; len = len == 64 ? 1400 : 9999) {
		rc |= bench(EVS_TUN_VXLAN, 4, len, bursts, reps);
		rc |= bench(EVS_TUN_GENEVE, 4, len, bursts, reps);
		rc |= bench(EVS_TUN_GENEVE, 6, len, bursts, reps);
	}
	if (rc != 0)
		fprintf(stderr, "bench-tunnel: failed\n");
	return rc;
}
