/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * core-bounce: the round trip of a cache line between two CPUs, in ns.
 *
 * A vhost-user device and its guest (here the generator) hand every frame
 * over through shared rings and buffers, so the cost of moving a line from
 * one core to the other is part of both processes' cost per packet. In a
 * VM that cost is not fixed: the host may run the two vCPUs on cores that
 * share an L3 or on cores that do not, and move them. The perf matrix
 * records it before each run so that a slowed run can be told apart.
 *
 * Two threads pinned to the CPUs pass a token through one line; the figure
 * is the lowest mean round trip over several batches, so a thread that the
 * scheduler preempted (load on the machine) only raises the others.
 *
 * Usage: core-bounce CPU_A CPU_B [BATCHES]   prints "<ns> ns"
 * Exit 0, 1 when a thread cannot be pinned, 2 on bad arguments.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pthread_setaffinity_np */
#endif
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TRIPS 2000 /* round trips per batch */

static _Alignas(64) _Atomic uint64_t token;

struct side {
	int cpu;
	int batches;
	int err;
};

static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* The other side: turns each odd token even. */
static void *echo(void *arg)
{
	struct side *s = arg;
	uint64_t want = 1, last = 2 * (uint64_t)s->batches * TRIPS;

	s->err = pin(s->cpu);
	if (s->err != 0) {
		atomic_store(&token, UINT64_MAX);
		return NULL;
	}
	while (want < last) {
		uint64_t t = atomic_load_explicit(&token, memory_order_acquire);

		if (t == UINT64_MAX)
			return NULL;
		if (t == want) {
			atomic_store_explicit(&token, t + 1, memory_order_release);
			want += 2;
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct side other = {0};
	double best = -1;
	pthread_t th;
	uint64_t t = 0;
	int cpu, batches = 20, b, rc;
	char *end;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: core-bounce CPU_A CPU_B [BATCHES]\n");
		return 2;
	}
	cpu = (int)strtol(argv[1], &end, 10);
	if (*end || cpu < 0)
		return fprintf(stderr, "core-bounce: bad CPU %s\n", argv[1]), 2;
	other.cpu = (int)strtol(argv[2], &end, 10);
	if (*end || other.cpu < 0)
		return fprintf(stderr, "core-bounce: bad CPU %s\n", argv[2]), 2;
	if (argc == 4) {
		batches = (int)strtol(argv[3], &end, 10);
		if (*end || batches < 1 || batches > 100000)
			return fprintf(stderr, "core-bounce: bad BATCHES %s\n", argv[3]), 2;
	}
	other.batches = batches;
	rc = pin(cpu);
	if (rc != 0) {
		fprintf(stderr, "core-bounce: CPU %d: %s\n", cpu, strerror(rc));
		return 1;
	}
	rc = pthread_create(&th, NULL, echo, &other);
	if (rc != 0) {
		fprintf(stderr, "core-bounce: thread: %s\n", strerror(rc));
		return 1;
	}
	for (b = 0; b < batches; b++) {
		double t0 = now_ns(), ns;
		int i;

		for (i = 0; i < TRIPS; i++) {
			atomic_store_explicit(&token, ++t, memory_order_release);
			while (atomic_load_explicit(&token, memory_order_acquire) == t)
				;
			t = atomic_load_explicit(&token, memory_order_relaxed);
			if (t == UINT64_MAX)
				break;
		}
		if (t == UINT64_MAX)
			break;
		ns = (now_ns() - t0) / TRIPS;
		if (best < 0 || ns < best)
			best = ns;
	}
	pthread_join(th, NULL);
	if (other.err != 0) {
		fprintf(stderr, "core-bounce: CPU %d: %s\n", other.cpu, strerror(other.err));
		return 1;
	}
	printf("%.0f ns\n", best);
	return 0;
}
