/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Route load through lib/l3's bulk method: 1M IPv4 and 100k IPv6 routes
 * into one VRF (RIB-only tables, the default; and with DIR24_8/TRIE lookup
 * tables), then one lookup with its megaflow mask. Wall-clock seconds per
 * load. Run by hand (a figure, not a test):
 *
 *   build/test/perf/bench-l3-routes [routes4 [routes6]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>

#include "bench_util.h"
#include "evs_l3.h"

/* Distinct prefixes: IPv4 /24s counting up from 1.0.0.0 (a full table's shape
 * is mostly /24), IPv6 /48s under 2001:db8::/32 and beyond. */
static void fill(struct evs_l3_prefix *p, struct evs_l3_route_spec *s, uint32_t n, bool v6)
{
	for (uint32_t i = 0; i < n; i++) {
		uint32_t x = i + (v6 ? 0 : 1u << 16);

		memset(&p[i], 0, sizeof(p[i]));
		p[i].addr.family = v6 ? EVS_L3_IPV6 : EVS_L3_IPV4;
		if (v6) {
			p[i].addr.b[0] = 0x20;
			p[i].addr.b[1] = 0x01;
			p[i].addr.b[2] = (uint8_t)(x >> 24);
			p[i].addr.b[3] = (uint8_t)(x >> 16);
			p[i].addr.b[4] = (uint8_t)(x >> 8);
			p[i].addr.b[5] = (uint8_t)x;
			p[i].len = 48;
		} else {
			p[i].addr.b[0] = (uint8_t)(x >> 16);
			p[i].addr.b[1] = (uint8_t)(x >> 8);
			p[i].addr.b[2] = (uint8_t)x;
			p[i].len = 24;
		}
		memset(&s[i], 0, sizeof(s[i]));
		s[i].type = EVS_L3_ROUTE_FORWARD;
		s[i].n_nh = 1;
		s[i].nh[0].port = (uint16_t)(i % 4);
		s[i].nh[0].weight = 1;
	}
}

static int load(const char *name, bool fast, uint32_t n4, uint32_t n6)
{
	struct evs_l3_fib_config c = {.name = name,
				      .socket_id = 0,
				      .max_routes4 = n4 + 1,
				      .max_routes6 = n6 + 1,
				      .fast_lookup = fast};
	struct evs_l3_prefix *p = calloc(n4 > n6 ? n4 : n6, sizeof(*p));
	struct evs_l3_route_spec *s = calloc(n4 > n6 ? n4 : n6, sizeof(*s));
	struct evs_l3_fib *fib = evs_l3_fib_create(&c);
	struct evs_l3_result res;
	struct evs_l3_addr a = {.family = EVS_L3_IPV4, .b = {1, 2, 3, 4}};
	uint32_t failed;
	double t, cpu;

	if (p == NULL || s == NULL || fib == NULL)
		return -1;
	fill(p, s, n4, false);
	t = bench_now_s();
	cpu = bench_cpu_s();
	if (evs_l3_route_add_bulk(fib, p, s, n4, &failed) != 0)
		return -1;
	printf("%s: %u IPv4 routes in %.3f s (CPU %.3f s)", fast ? "rib+dir24_8" : "rib-only", n4,
	       bench_now_s() - t, bench_cpu_s() - cpu);
	fill(p, s, n6, true);
	t = bench_now_s();
	cpu = bench_cpu_s();
	if (evs_l3_route_add_bulk(fib, p, s, n6, &failed) != 0)
		return -1;
	printf(", %u IPv6 routes in %.3f s (CPU %.3f s)", n6, bench_now_s() - t,
	       bench_cpu_s() - cpu);
	evs_l3_fib_resolve(fib, &a, 0, &res);
	printf(" (1.2.3.4 -> /%u, mask /%u)\n", res.match_len, res.mask_len);
	fill(p, s, n4, false);
	t = bench_now_s();
	evs_l3_route_del_bulk(fib, p, n4, &failed);
	printf("  delete %u IPv4 routes in %.3f s\n", n4, bench_now_s() - t);
	evs_l3_fib_free(fib);
	free(p);
	free(s);
	return 0;
}

int main(int argc, char **argv)
{
	uint32_t n4 = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : 1000000;
	uint32_t n6 = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 0) : 100000;

	if (bench_eal_init(argv[0], "3072", NULL) != 0)
		return 1;
	if (load("rl", false, n4, n6) != 0 || load("rlf", true, n4, n6) != 0) {
		fprintf(stderr, "route load failed\n");
		return 1;
	}
	rte_eal_cleanup();
	return 0;
}
