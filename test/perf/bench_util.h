/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the microbenchmarks in test/perf share: their common command-line
 * options, EAL start-up without hugepages, clocks, medians and the load
 * average they print beside timings. Cold code only: nothing here runs
 * inside a timed region (bench_pl.h holds the pipeline benches' loop).
 */
#ifndef EVS_TEST_PERF_BENCH_UTIL_H
#define EVS_TEST_PERF_BENCH_UTIL_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rte_mempool;

#ifndef BENCH_BURST /* -DBENCH_BURST=64: the engine's largest chunk */
#define BENCH_BURST 32
#endif
#define BENCH_MAX_REPS 31
#define BENCH_MAX_FLOWS 8

/** Which of the shared options a bench takes (bench_getopt). */
enum bench_opt {
	BENCH_OPT_REPS = 1 << 0,    /* --reps N */
	BENCH_OPT_FLOWS = 1 << 1,   /* --flows a,b,.. (up to BENCH_MAX_FLOWS) */
	BENCH_OPT_PACKETS = 1 << 2, /* --packets N per run, rounded down to bursts */
	BENCH_OPT_BURSTS = 1 << 3,  /* --bursts N per run */
};

/** The shared options' values; set the defaults before bench_getopt. */
struct bench_args {
	unsigned int reps;
	unsigned int flows[BENCH_MAX_FLOWS];
	unsigned int n_flows;
	unsigned int packets;
	uint32_t bursts;
};

/**
 * getopt_long over the shared options in @shared (enum bench_opt) and the
 * bench's own @own (zero-terminated, may be NULL; its vals must stay below
 * 0x100). Values are checked whole: --reps 1..BENCH_MAX_REPS, --flows and
 * --bursts at least 1, --packets rounded down to whole bursts (one at least);
 * a bad one is reported on stderr.
 * @return the next of @own's vals, -1 at the end, '?' on an unknown option,
 *   a bad value or a stray argument (then print the usage).
 */
int bench_getopt(int argc, char **argv, unsigned int shared, const struct option *own,
		 struct bench_args *a);

/**
 * rte_eal_init on lcore 0 with --no-huge -m @mem_mb, no PCI, telemetry or
 * shared config, logs at error level; @prefix (may be NULL) as --file-prefix.
 * @return 0 or -1 (EAL printed why).
 */
int bench_eal_init(const char *prog, const char *mem_mb, const char *prefix);

/**
 * The start of the benches that time one library's bursts: EAL as
 * bench_eal_init(@prog, "64", NULL) and a pool @pool of 256 mbufs with
 * 2048-byte data rooms. @return the pool, or NULL.
 */
struct rte_mempool *bench_lib_start(const char *prog, const char *pool);

/** Sort @v (@n > 0 values) and return the median. */
uint64_t bench_median(uint64_t *v, unsigned int n);

/** /proc/loadavg's line (with its newline) into @buf, or "?\n". */
void bench_loadavg(char *buf, size_t len);

/** CLOCK_MONOTONIC in seconds. */
double bench_now_s(void);

/** This thread's CPU time in seconds: the work's own cost on a shared machine. */
double bench_cpu_s(void);

#endif /* EVS_TEST_PERF_BENCH_UTIL_H */
