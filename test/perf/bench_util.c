/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_mbuf.h>

#include "bench_util.h"

enum { OPT_REPS = 0x100, OPT_FLOWS, OPT_PACKETS, OPT_BURSTS, MAX_OPTS = 24 };

static const struct option shared_opts[] = {
    {"reps", required_argument, NULL, OPT_REPS},
    {"flows", required_argument, NULL, OPT_FLOWS},
    {"packets", required_argument, NULL, OPT_PACKETS},
    {"bursts", required_argument, NULL, OPT_BURSTS},
};

/* A whole decimal (or 0x) number in [min, max]; *end (may be NULL) gets
 * what follows it, else nothing may follow. */
static int parse_uint(const char *name, const char *s, unsigned long min, unsigned long max,
		      unsigned long *v, char **end)
{
	char *e;

	errno = 0;
	*v = strtoul(s, &e, 0);
	if (e == s || errno != 0 || *s == '-' || (end == NULL && *e != '\0') || *v < min ||
	    *v > max) {
		fprintf(stderr, "--%s: '%s' is not a number in %lu..%lu\n", name, s, min, max);
		return -EINVAL;
	}
	if (end != NULL)
		*end = e;
	return 0;
}

static int parse_flows(const char *arg, struct bench_args *a)
{
	const char *s = arg;
	unsigned long v;
	char *e;

	for (a->n_flows = 0; *s != '\0'; a->n_flows++) {
		if (a->n_flows == BENCH_MAX_FLOWS) {
			fprintf(stderr, "--flows: at most %d counts\n", BENCH_MAX_FLOWS);
			return -EINVAL;
		}
		if (parse_uint("flows", s, 1, UINT32_MAX, &v, &e) != 0)
			return -EINVAL;
		if (*e != ',' && *e != '\0') {
			fprintf(stderr, "--flows: '%s' is not a list of counts\n", arg);
			return -EINVAL;
		}
		a->flows[a->n_flows] = (unsigned int)v;
		s = *e == ',' ? e + 1 : e;
	}
	if (a->n_flows == 0) {
		fprintf(stderr, "--flows: no count\n");
		return -EINVAL;
	}
	return 0;
}

static int parse_shared(int opt, const char *arg, struct bench_args *a)
{
	unsigned long v;

	switch (opt) {
	case OPT_REPS:
		if (parse_uint("reps", arg, 1, BENCH_MAX_REPS, &v, NULL) != 0)
			return -EINVAL;
		a->reps = (unsigned int)v;
		return 0;
	case OPT_FLOWS:
		return parse_flows(arg, a);
	case OPT_PACKETS:
		if (parse_uint("packets", arg, 0, UINT32_MAX, &v, NULL) != 0)
			return -EINVAL;
		a->packets = (unsigned int)RTE_MAX(v / BENCH_BURST * BENCH_BURST,
						   (unsigned long)BENCH_BURST);
		return 0;
	default:
		if (parse_uint("bursts", arg, 1, UINT32_MAX, &v, NULL) != 0)
			return -EINVAL;
		a->bursts = (uint32_t)v;
		return 0;
	}
}

int bench_getopt(int argc, char **argv, unsigned int shared, const struct option *own,
		 struct bench_args *a)
{
	struct option lo[MAX_OPTS];
	unsigned int n = 0;
	int opt;

	for (unsigned int i = 0; i < RTE_DIM(shared_opts); i++)
		if (shared & (1u << i))
			lo[n++] = shared_opts[i];
	for (; own != NULL && own->name != NULL && n < MAX_OPTS - 1; own++)
		lo[n++] = *own;
	lo[n] = (struct option){NULL, 0, NULL, 0};
	while ((opt = getopt_long(argc, argv, "", lo, NULL)) >= OPT_REPS && opt <= OPT_BURSTS)
		if (parse_shared(opt, optarg, a) != 0)
			return '?';
	if (opt == -1 && optind < argc) {
		fprintf(stderr, "unexpected argument '%s'\n", argv[optind]);
		return '?';
	}
	return opt;
}

int bench_eal_init(const char *prog, const char *mem_mb, const char *prefix)
{
	char *eal[] = {(char *)prog,
		       "--no-huge",
		       "-m",
		       (char *)mem_mb,
		       "--no-shconf",
		       "--no-pci",
		       "--no-telemetry",
		       "--log-level=error",
		       "-l",
		       "0",
		       "--file-prefix",
		       (char *)prefix};
	int n = prefix != NULL ? (int)RTE_DIM(eal) : (int)RTE_DIM(eal) - 2;

	/* BENCH_HUGE=1: on 2 MiB pages, as the daemon runs (the TLB's share of
	 * a miss to a large table differs) */
	if (getenv("BENCH_HUGE") != NULL)
		eal[1] = "--in-memory";
	return rte_eal_init(n, eal) < 0 ? -1 : 0;
}

struct rte_mempool *bench_lib_start(const char *prog, const char *pool)
{
	if (bench_eal_init(prog, "64", NULL) != 0)
		return NULL;
	return rte_pktmbuf_pool_create(pool, 256, 0, 0, 2048 + RTE_PKTMBUF_HEADROOM, SOCKET_ID_ANY);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

uint64_t bench_median(uint64_t *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return v[n / 2];
}

void bench_loadavg(char *buf, size_t len)
{
	FILE *f = fopen("/proc/loadavg", "r");

	if (f == NULL || fgets(buf, (int)len, f) == NULL)
		snprintf(buf, len, "?\n");
	if (f != NULL)
		fclose(f);
}

double bench_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double bench_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
