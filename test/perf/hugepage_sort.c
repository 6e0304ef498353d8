/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hugepage-sort: leave only 2 MiB pages that the hypervisor backs with huge
 * pages of its own in the free pool, and hold the others while a benchmark
 * runs.
 *
 * In a VM a guest hugepage is only as good as its host backing: where the
 * host maps it with 4 KiB pages, every 4 KiB of it needs its own TLB entry
 * and a nested page walk on a miss. Measured here: a dependent load over the
 * 512 4 KiB pieces of one page costs 3.0 ns on host-backed pages and 5.3-6.0
 * ns on the others, about half of the pool, and a device whose mbufs land
 * there runs at 280-350 cycles/packet instead of ~200 (testpmd io as much as
 * edgevs). Each page is timed on its own (best of several passes, so load on
 * the machine only raises times), the slow ones stay mapped here until
 * SIGTERM/SIGINT, and the pool grows (up to --max-mib) until --want-mib of
 * fast pages are free.
 *
 * Prints one "ready ..." line on stdout when the pool is sorted; on exit gives
 * back the pages it added to the pool. Exit 0 on a signal after ready, 1 if
 * it could not find enough fast pages, 2 on bad options.
 */

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define HP_SIZE (2UL << 20)
#define HP_LINES 512 /* one cache line in each 4 KiB piece */
#define PASSES 7
#define NR_PATH "/proc/sys/vm/nr_hugepages"

struct page {
	uint8_t *addr;
	double ns;
};

static struct page *pages;
static size_t n_pages, cap_pages;
static long added;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static long read_long(const char *path, const char *key)
{
	char line[256];
	long v = -1;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (key == NULL) {
			v = strtol(line, NULL, 10);
			break;
		}
		if (strncmp(line, key, strlen(key)) == 0) {
			v = strtol(line + strlen(key), NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

static int write_nr(long nr)
{
	FILE *f = fopen(NR_PATH, "w");
	int r;

	if (f == NULL)
		return -errno;
	r = fprintf(f, "%ld\n", nr) < 0 ? -EIO : 0;
	if (fclose(f) != 0 && r == 0)
		r = -errno;
	return r;
}

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* Best ns per dependent load over a random cycle through the page's pieces. */
static double time_page(uint8_t *base, const uint16_t *order)
{
	void **p;
	double best = 1e9;
	int pass;
	size_t i;

	for (i = 0; i < HP_LINES; i++) {
		uint16_t a = order[i], b = order[(i + 1) % HP_LINES];

		*(void **)(base + a * 4096UL + (a % 64) * 64) = base + b * 4096UL + (b % 64) * 64;
	}
	p = (void **)(base + order[0] * 4096UL + (order[0] % 64) * 64);
	for (pass = 0; pass < PASSES; pass++) {
		double t0;

		for (i = 0; i < HP_LINES * 2; i++)
			p = *p;
		t0 = now_ns();
		for (i = 0; i < HP_LINES * 16; i++)
			p = *p;
		t0 = (now_ns() - t0) / (HP_LINES * 16);
		if (t0 < best)
			best = t0;
	}
	/* keep the chase from being optimised away */
	__asm__ volatile("" : : "r"(p));
	return best;
}

/* Map and time every free page; 0 or -errno. */
static int take_free_pages(const uint16_t *order)
{
	for (;;) {
		uint8_t *a = mmap(NULL, HP_SIZE, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE, -1, 0);

		if (a == MAP_FAILED)
			return 0; /* the pool is empty */
		if (n_pages == cap_pages) {
			size_t c = cap_pages ? cap_pages * 2 : 256;
			struct page *np = realloc(pages, c * sizeof(*np));

			if (np == NULL) {
				munmap(a, HP_SIZE);
				return -ENOMEM;
			}
			pages = np;
			cap_pages = c;
		}
		/* MAP_POPULATE on hugetlb may still leave the page unfaulted on old kernels */
		memset(a, 0, HP_SIZE);
		pages[n_pages].addr = a;
		pages[n_pages].ns = time_page(a, order);
		n_pages++;
	}
}

static size_t count_fast(double limit)
{
	size_t i, n = 0;

	for (i = 0; i < n_pages; i++)
		n += pages[i].ns <= limit;
	return n;
}

static long min_long(long a, long b)
{
	return a < b ? a : b;
}

static void give_back_added(void)
{
	long nr;

	if (added <= 0)
		return;
	nr = read_long(NR_PATH, NULL);
	if (nr >= added && write_nr(nr - added) == 0)
		added = 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hugepage-sort --want-mib MIB [--max-mib MIB] [--ratio R]\n"
		"  leave MIB of host-backed 2 MiB pages free, hold the rest until SIGTERM\n"
		"  --max-mib  the pool may grow to this size (default: want x 4)\n"
		"  --ratio    a page is fast within R x the fastest page's time (default 1.25)\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"want-mib", required_argument, NULL, 'w'},
					     {"max-mib", required_argument, NULL, 'm'},
					     {"ratio", required_argument, NULL, 'r'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	long want = 0, max = 0, nr;
	double ratio = 1.25, best = 1e9, limit;
	uint16_t order[HP_LINES];
	size_t i, fast;
	int c, r;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		char *end = NULL;

		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		if (c == 'r')
			ratio = strtod(optarg, &end);
		else if (c == 'w' || c == 'm')
			*(c == 'w' ? &want : &max) = strtol(optarg, &end, 10);
		if (c == '?' || end == NULL || *end != '\0' || ratio < 1.0) {
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || want <= 0 || (max != 0 && max < want)) {
		usage(stderr);
		return 2;
	}
	if (max == 0)
		max = want * 4;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	srand(1);
	for (i = 0; i < HP_LINES; i++)
		order[i] = (uint16_t)i;
	for (i = HP_LINES - 1; i > 0; i--) {
		size_t j = (size_t)rand() % (i + 1);
		uint16_t t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	if (read_long(NR_PATH, NULL) < 0) {
		fprintf(stderr, "hugepage-sort: cannot read %s\n", NR_PATH);
		return 1;
	}
	for (;;) {
		r = take_free_pages(order);
		if (r != 0) {
			fprintf(stderr, "hugepage-sort: %s\n", strerror(-r));
			give_back_added();
			return 1;
		}
		for (i = 0; i < n_pages; i++)
			best = pages[i].ns < best ? pages[i].ns : best;
		limit = best * ratio;
		fast = count_fast(limit);
		nr = read_long(NR_PATH, NULL);
		if ((long)fast * 2 >= want || stop)
			break;
		/* grow by twice what is missing: about half of new pages are slow */
		if (nr * 2 >= max || write_nr(min_long(nr + (want - (long)fast * 2), max / 2)) != 0)
			break;
		if (read_long(NR_PATH, NULL) == nr)
			break; /* the kernel has no more to give */
		added += read_long(NR_PATH, NULL) - nr;
	}
	for (i = 0; i < n_pages; i++)
		if (pages[i].ns <= limit)
			munmap(pages[i].addr, HP_SIZE);
	if ((long)fast * 2 < want) {
		fprintf(
		    stderr,
		    "hugepage-sort: only %zu MiB of fast pages (want %ld) in a pool of %ld pages\n",
		    fast * 2, want, read_long(NR_PATH, NULL));
		for (i = 0; i < n_pages; i++)
			if (pages[i].ns > limit)
				munmap(pages[i].addr, HP_SIZE);
		give_back_added();
		return 1;
	}
	printf(
	    "ready: %zu fast pages free (%.2f ns/load, limit %.2f), %zu slow held, pool %ld pages "
	    "(+%ld)\n",
	    fast, best, limit, n_pages - fast, read_long(NR_PATH, NULL), added);
	fflush(stdout);
	while (!stop)
		pause();
	for (i = 0; i < n_pages; i++)
		if (pages[i].ns > limit)
			munmap(pages[i].addr, HP_SIZE);
	give_back_added();
	return 0;
}
