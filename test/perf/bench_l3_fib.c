/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Route table candidates for lib/l3, side by side: rte_lpm vs rte_fib
 * (DIR24_8 and RIB-only) for IPv4, rte_lpm6 vs rte_fib6 (TRIE and RIB-only)
 * for IPv6. Reports TSC cycles per route add and per looked-up address (bursts
 * of 32). A microbenchmark: run by hand, never by `meson test`.
 *
 *   build/test/perf/bench-l3-fib [routes4 [routes6]]   (defaults 1000000 100000)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_fib.h>
#include <rte_fib6.h>
#include <rte_lpm.h>
#include <rte_lpm6.h>
#include <rte_rib.h>

#include "bench_util.h"

#define BURST 32
#define N_LOOKUP (1u << 20)

struct pfx4 {
	uint32_t ip;
	uint8_t depth;
};

struct pfx6 {
	uint8_t ip[16];
	uint8_t depth;
};

static uint64_t rng = 88172645463325252ull;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* An Internet-like length mix: mostly /24, some /16../23, a few longer. */
static uint8_t rand_depth4(void)
{
	uint64_t r = next_rand() % 100;

	if (r < 60)
		return 24;
	if (r < 95)
		return (uint8_t)(16 + next_rand() % 8);
	return (uint8_t)(25 + next_rand() % 8);
}

static void gen4(struct pfx4 *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		p[i].depth = rand_depth4();
		p[i].ip = (uint32_t)next_rand() & rte_rib_depth_to_mask(p[i].depth);
	}
}

static void gen6(struct pfx6 *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		uint64_t hi = next_rand(), lo = next_rand();

		p[i].depth = (uint8_t)(32 + next_rand() % 33); /* /32../64 */
		memcpy(p[i].ip, &hi, 8);
		memcpy(p[i].ip + 8, &lo, 8);
		for (unsigned int b = p[i].depth; b < 128; b++)
			p[i].ip[b / 8] &= (uint8_t) ~(0x80u >> (b % 8));
	}
}

static double per(uint64_t cycles, uint64_t n)
{
	return n ? (double)cycles / (double)n : 0;
}

static void bench4(const struct pfx4 *p, uint32_t n, const uint32_t *addrs)
{
	struct rte_lpm_config lc = {.max_rules = n + 16, .number_tbl8s = 1 << 16};
	struct rte_fib_conf fc = {.type = RTE_FIB_DIR24_8,
				  .default_nh = 0,
				  .max_routes = (int)n + 16,
				  .dir24_8 = {.nh_sz = RTE_FIB_DIR24_8_4B, .num_tbl8 = 1 << 16}};
	struct rte_fib_conf dc = {.type = RTE_FIB_DUMMY, .max_routes = (int)n + 16};
	uint32_t lres[BURST];
	uint64_t fres[BURST];
	uint64_t t, sink = 0;
	struct rte_lpm *lpm = rte_lpm_create("b4lpm", 0, &lc);
	struct rte_fib *fib = rte_fib_create("b4fib", 0, &fc);
	struct rte_fib *dum = rte_fib_create("b4dum", 0, &dc);

	if (lpm == NULL || fib == NULL || dum == NULL) {
		fprintf(stderr, "create: %s\n", rte_strerror(rte_errno));
		exit(1);
	}
	t = rte_rdtsc();
	for (uint32_t i = 0; i < n; i++)
		rte_lpm_add(lpm, p[i].ip, p[i].depth, i + 1);
	printf("ipv4 %u routes: rte_lpm add %.0f cycles/route", n, per(rte_rdtsc() - t, n));
	t = rte_rdtsc();
	for (uint32_t i = 0; i < n; i++)
		rte_fib_add(fib, p[i].ip, p[i].depth, i + 1);
	printf(", rte_fib dir24_8 %.0f", per(rte_rdtsc() - t, n));
	t = rte_rdtsc();
	for (uint32_t i = 0; i < n; i++)
		rte_fib_add(dum, p[i].ip, p[i].depth, i + 1);
	printf(", rte_fib rib-only %.0f\n", per(rte_rdtsc() - t, n));

	t = rte_rdtsc();
	for (uint32_t i = 0; i < N_LOOKUP; i += BURST) {
		rte_lpm_lookup_bulk(lpm, addrs + i, lres, BURST);
		sink += lres[0];
	}
	printf("ipv4 lookup, bursts of %d: rte_lpm %.1f cycles/address", BURST,
	       per(rte_rdtsc() - t, N_LOOKUP));
	t = rte_rdtsc();
	for (uint32_t i = 0; i < N_LOOKUP; i += BURST) {
		rte_fib_lookup_bulk(fib, (uint32_t *)(uintptr_t)(addrs + i), fres, BURST);
		sink += fres[0];
	}
	printf(", rte_fib dir24_8 %.1f", per(rte_rdtsc() - t, N_LOOKUP));
	t = rte_rdtsc();
	for (uint32_t i = 0; i < N_LOOKUP; i += BURST) {
		rte_fib_lookup_bulk(dum, (uint32_t *)(uintptr_t)(addrs + i), fres, BURST);
		sink += fres[0];
	}
	printf(", rte_fib rib-only %.1f (%" PRIu64 ")\n", per(rte_rdtsc() - t, N_LOOKUP), sink & 1);
	t = rte_rdtsc();
	for (uint32_t i = 0; i < n; i++)
		rte_lpm_delete(lpm, p[i].ip, p[i].depth);
	printf("ipv4 delete: rte_lpm %.0f cycles/route", per(rte_rdtsc() - t, n));
	t = rte_rdtsc();
	for (uint32_t i = 0; i < n; i++)
		rte_fib_delete(fib, p[i].ip, p[i].depth);
	printf(", rte_fib dir24_8 %.0f", per(rte_rdtsc() - t, n));
	t = rte_rdtsc();
	for (uint32_t i = 0; i < n; i++)
		rte_fib_delete(dum, p[i].ip, p[i].depth);
	printf(", rte_fib rib-only %.0f\n", per(rte_rdtsc() - t, n));
	rte_lpm_free(lpm);
	rte_fib_free(fib);
	rte_fib_free(dum);
}

static void bench6(const struct pfx6 *p, uint32_t n, uint8_t (*addrs)[16])
{
	struct rte_lpm6_config lc = {.max_rules = n + 16, .number_tbl8s = 1 << 18};
	struct rte_fib6_conf fc = {.type = RTE_FIB6_TRIE,
				   .max_routes = (int)n + 16,
				   .trie = {.nh_sz = RTE_FIB6_TRIE_4B, .num_tbl8 = 1 << 18}};
	struct rte_fib6_conf dc = {.type = RTE_FIB6_DUMMY, .max_routes = (int)n + 16};
	int32_t lres[BURST];
	uint64_t fres[BURST];
	uint64_t t, sink = 0;
	struct rte_lpm6 *lpm = rte_lpm6_create("b6lpm", 0, &lc);
	struct rte_fib6 *fib = rte_fib6_create("b6fib", 0, &fc);
	struct rte_fib6 *dum = rte_fib6_create("b6dum", 0, &dc);

	if (lpm == NULL || fib == NULL || dum == NULL) {
		fprintf(stderr, "create6: %s\n", rte_strerror(rte_errno));
		exit(1);
	}
	t = rte_rdtsc();
	for (uint32_t i = 0; i < n; i++)
		rte_lpm6_add(lpm, p[i].ip, p[i].depth, i + 1);
	printf("ipv6 %u routes: rte_lpm6 add %.0f cycles/route", n, per(rte_rdtsc() - t, n));
	t = rte_rdtsc();
	for (uint32_t i = 0; i < n; i++)
		rte_fib6_add(fib, p[i].ip, p[i].depth, i + 1);
	printf(", rte_fib6 trie %.0f", per(rte_rdtsc() - t, n));
	t = rte_rdtsc();
	for (uint32_t i = 0; i < n; i++)
		rte_fib6_add(dum, p[i].ip, p[i].depth, i + 1);
	printf(", rte_fib6 rib-only %.0f\n", per(rte_rdtsc() - t, n));
	t = rte_rdtsc();
	for (uint32_t i = 0; i < N_LOOKUP / 4; i += BURST) {
		rte_lpm6_lookup_bulk_func(lpm, addrs + i, lres, BURST);
		sink += (uint64_t)lres[0];
	}
	printf("ipv6 lookup, bursts of %d: rte_lpm6 %.1f cycles/address", BURST,
	       per(rte_rdtsc() - t, N_LOOKUP / 4));
	t = rte_rdtsc();
	for (uint32_t i = 0; i < N_LOOKUP / 4; i += BURST) {
		rte_fib6_lookup_bulk(fib, addrs + i, fres, BURST);
		sink += fres[0];
	}
	printf(", rte_fib6 trie %.1f", per(rte_rdtsc() - t, N_LOOKUP / 4));
	t = rte_rdtsc();
	for (uint32_t i = 0; i < N_LOOKUP / 4; i += BURST) {
		rte_fib6_lookup_bulk(dum, addrs + i, fres, BURST);
		sink += fres[0];
	}
	printf(", rte_fib6 rib-only %.1f (%" PRIu64 ")\n", per(rte_rdtsc() - t, N_LOOKUP / 4),
	       sink & 1);
	rte_lpm6_free(lpm);
	rte_fib6_free(fib);
	rte_fib6_free(dum);
}

int main(int argc, char **argv)
{
	uint32_t n4 = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : 1000000;
	uint32_t n6 = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 0) : 100000;
	struct pfx4 *p4 = calloc(n4, sizeof(*p4));
	struct pfx6 *p6 = calloc(n6, sizeof(*p6));
	uint32_t *a4 = calloc(N_LOOKUP, sizeof(*a4));
	uint8_t(*a6)[16] = calloc(N_LOOKUP / 4, 16);

	if (p4 == NULL || p6 == NULL || a4 == NULL || a6 == NULL ||
	    bench_eal_init(argv[0], "4096", NULL) != 0)
		return 1;
	gen4(p4, n4);
	gen6(p6, n6);
	/* addresses inside the routes, so lookups walk real entries */
	for (uint32_t i = 0; i < N_LOOKUP; i++)
		a4[i] = p4[next_rand() % n4].ip | ((uint32_t)next_rand() & 0xff);
	for (uint32_t i = 0; i < N_LOOKUP / 4; i++) {
		memcpy(a6[i], p6[next_rand() % n6].ip, 16);
		a6[i][15] = (uint8_t)next_rand();
	}
	bench4(p4, n4, a4);
	bench6(p6, n6, a6);
	printf("tsc %" PRIu64 " Hz\n", rte_get_tsc_hz());
	rte_eal_cleanup();
	return 0;
}
