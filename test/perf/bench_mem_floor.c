/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The memory under a per-connection table: what a core pays per packet just
 * to reach each packet's connection state at N flows, with nothing else done
 * (no parsing, no rewrite, no pipeline), in bursts of 32 prefetched the way
 * lib/conntrack does; and how fast this host hands one core random lines of
 * a table that size at all. The part of a stateful path's cost at N flows
 * that is memory's, against which a target can be checked.
 *
 *   --lines 2: conntrack's layout: a 64-byte bucket of 7 tagged slots (sized
 *     as ct_hash_create() sizes it: half full at the table's max), then the
 *     192-byte entry it points to, key in the entry's first line. The
 *     buckets are prefetched first, read --gap later (classification's
 *     place), and the entries prefetched from them.
 *   --lines 1: the entry alone, addressed by the hash (no bucket): any
 *     layout that reaches a connection in one line.
 *   --lines 3: the bucket and the entry's first line side by side (128-byte
 *     pairs, the entry's place read from the bucket): what putting the two
 *     in one 128-byte block (the adjacent-line prefetcher's) would gain.
 *   --lines 4: the same pairs, both lines asked for at once.
 *
 * Each packet compares the entry's 24-byte key and stores an expiry in it,
 * as an established hit does. Flows are visited in a scattered order (an
 * odd stride, as bench-lb-pipeline), on 2 MiB pages when there are.
 *
 * Columns: ticks (TSC, per packet, the gap included), gap (the gap's own
 * ticks), line rate (ticks per random line of the table's memory when
 * nothing waits on the loads: the bound a packet's lines meet whatever the
 * code around them).
 *
 * Usage: bench-mem-floor [--flows a,b,..] [--lines 1..4] [--max-factor F]
 *          [--gap N] [--reps N] [--bursts N]
 *        bench-mem-floor --probe
 *   --max-factor: table max = flows * F (default 1.5, the perf scenarios'
 *   --ct-max); --gap: dependent adds per packet between the first prefetch
 *   and the lookup (default 40); --probe: random loads over a span of 4 KiB
 *   pages using one line of each (translation) or all (the caches), no table.
 *
 * taskset -c 1 build/test/perf/bench-mem-floor --lines 2 --flows 1024,65536,1000000
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_prefetch.h>

#include "bench_util.h"
#include "evs_crc.h"

#define SLOTS 7
#define VALID (UINT64_C(1) << 31)

struct bucket {
	uint64_t hdr;
	uint64_t slot[SLOTS]; /* tag << 32 | VALID | entry index */
} __rte_aligned(64);

struct entry {
	uint64_t key[3]; /* src, dst, ports|proto: an IPv4 key's three words */
	uint64_t expires;
	uint64_t packets;
	uint8_t rest[192 - 5 * 8]; /* the reply key, TCP windows: not read */
} __rte_aligned(64);

struct table {
	struct bucket *b;
	struct entry *e;
	uint32_t nb, ne;
	size_t bytes;
	bool huge;
};

/* Flow @f's key, direction @dir (1: as the reply's would read). */
static void key_of(uint32_t f, int dir, uint64_t k[3])
{
	uint64_t client = 0xc6120000u + (f >> 8), vip = 0xc6130064u, port = 1024 + (f & 0xff);

	k[0] = dir ? 0x0a000101u + f % 4 : client;
	k[1] = dir ? client : vip;
	k[2] = (dir ? 8080 | port << 16 : port | 80 << 16) | (uint64_t)17 << 48;
}

static uint32_t hash_of(const uint64_t k[3])
{
	return evs_crc32c_u64(evs_crc32c_u64(evs_crc32c_u64(0, k[0]), k[1]), k[2]);
}

/* ct_hash_bucket()'s mapping: CRC32C's halves swapped, scaled to @nb */
static uint32_t bucket_of(uint32_t sig, uint32_t nb)
{
	return (uint32_t)((uint64_t)(sig << 16 | sig >> 16) * nb >> 32);
}

/* --lines 3|4: the 128-byte pair of hash @sig (its bucket, then its entry's line) */
static char *pair_of(const struct table *t, uint32_t sig)
{
	return (char *)t->b + (size_t)bucket_of(sig, t->nb) * 128;
}

static uint32_t entry_of(uint32_t sig, uint32_t ne)
{
	return (uint32_t)((uint64_t)sig * ne >> 32);
}

static void *map(size_t bytes, bool *huge)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);

	*huge = p != MAP_FAILED;
	if (p == MAP_FAILED)
		p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	memset(p, 0, bytes); /* faulted in now, not inside a timed loop */
	return p;
}

/* Both layouts' tables for @nf flows of a table of @max connections. */
static int table_fill(struct table *t, uint32_t nf, uint32_t max, int lines)
{
	size_t bb, eb;

	t->nb = (uint32_t)(((uint64_t)max * 2 * 2 + 6) / 7);
	/* one layout: a key per entry slot, twice the flows (no collisions
	 * kept: a colliding flow would reach another's line just the same) */
	t->ne = lines == 1 ? max * 2 : max;
	if (lines >= 3) { /* pairs: bucket i then entry line i, 128 B */
		t->nb = max;
		t->ne = 0;
		t->e = NULL;
		t->bytes = RTE_ALIGN_CEIL((size_t)t->nb * 128, 2u << 20);
		t->b = map(t->bytes, &t->huge);
		if (t->b == NULL)
			return -1;
		for (uint32_t f = 0; f < nf; f++) {
			uint64_t k[3];
			char *pb;

			key_of(f, 0, k);
			pb = pair_of(t, hash_of(k));
			memcpy(((struct entry *)(pb + 64))->key, k, sizeof(k));
			*(uint64_t *)pb = 64; /* where the entry is, as a slot says */
		}
		return 0;
	}
	bb = RTE_ALIGN_CEIL((size_t)t->nb * sizeof(struct bucket), 2u << 20);
	eb = RTE_ALIGN_CEIL((size_t)t->ne * sizeof(struct entry), 2u << 20);
	t->bytes = (lines == 2 ? bb : 0) + eb;
	t->b = map(t->bytes, &t->huge);
	if (t->b == NULL)
		return -1;
	t->e = (struct entry *)((char *)t->b + (lines == 2 ? bb : 0));
	for (uint32_t f = 0; f < nf; f++)
		for (int dir = 0; dir < 2; dir++) {
			uint64_t k[3];
			uint32_t sig, s;
			struct bucket *b;

			key_of(f, dir, k);
			sig = hash_of(k);
			if (lines == 1) {
				if (dir == 0)
					memcpy(t->e[entry_of(sig, t->ne)].key, k, sizeof(k));
				continue;
			}
			/* a full primary spills to the next bucket (conntrack: its
			 * secondary), read only by the keys that spilled */
			for (uint32_t bi = bucket_of(sig, t->nb);; bi = (bi + 1) % t->nb) {
				b = &t->b[bi];
				for (s = 0; s < SLOTS && b->slot[s] != 0; s++)
					;
				if (s < SLOTS)
					break;
			}
			b->slot[s] = (uint64_t)sig << 32 | VALID | f;
			if (dir == 0)
				memcpy(t->e[f].key, k, sizeof(k));
		}
	return 0;
}

/* @gap dependent adds a packet of the burst: classification's place
 * between the first prefetch and the lookup (about a core cycle each) */
static __rte_noinline uint64_t gap_work(uint64_t acc, unsigned int gap)
{
	for (unsigned int g = 0; g < gap * BENCH_BURST; g++) {
		acc += g;
		__asm__("" : "+r"(acc));
	}
	return acc;
}

/* One burst: reach each packet's entry, compare its key, refresh it. */
static __rte_noinline uint64_t burst(const struct table *t, int lines, unsigned int gap,
				     uint64_t (*k)[3], uint64_t now)
{
	struct entry *e[BENCH_BURST];
	uint32_t sig[BENCH_BURST];
	uint64_t hits = 0, acc = now;
	int i;

	for (i = 0; i < BENCH_BURST; i++) {
		sig[i] = hash_of(k[i]);
		if (lines >= 3) {
			const char *pb = pair_of(t, sig[i]);

			rte_prefetch0(pb);
			if (lines == 4)
				rte_prefetch0(pb + 64);
		} else if (lines == 2)
			rte_prefetch0(&t->b[bucket_of(sig[i], t->nb)]);
		else
			rte_prefetch0(&t->e[entry_of(sig[i], t->ne)]);
	}
	acc = gap_work(acc, gap);
	__asm__ volatile("" : : "r"(acc)); /* the gap is done, not elided */
	for (i = 0; i < BENCH_BURST; i++) {
		const struct bucket *b;
		uint64_t want = (uint64_t)sig[i] << 1 | 1, v = 0;

		if (lines == 1) {
			e[i] = &t->e[entry_of(sig[i], t->ne)];
			continue;
		}
		if (lines >= 3) {
			const char *pb = pair_of(t, sig[i]);

			v = *(const volatile uint64_t *)pb;
			e[i] = (struct entry *)(uintptr_t)(pb + v);
			rte_prefetch0(e[i]);
			continue;
		}
		for (uint32_t bi = bucket_of(sig[i], t->nb), tries = 0; tries < 8;
		     bi = (bi + 1) % t->nb, tries++) {
			int s;

			b = &t->b[bi];
			for (s = 0; s < SLOTS; s++) { /* conntrack's slot-by-slot scan */
				v = b->slot[s];
				if (v >> 31 == want)
					break;
			}
			if (s < SLOTS)
				break;
		}
		e[i] = &t->e[(uint32_t)v & (VALID - 1)];
		rte_prefetch0(e[i]);
	}
	for (i = 0; i < BENCH_BURST; i++) {
		if (memcmp(e[i]->key, k[i], sizeof(k[i])) != 0)
			continue;
		hits++;
		e[i]->packets++;
		if (e[i]->expires != now)
			e[i]->expires = now;
	}
	return hits;
}

/*
 * Ticks a random load over @pages 4 KiB pages at @base takes when nothing
 * waits on it but a sum (independent loads: as many in flight as the core
 * allows), using one line of each page or all 64. With all, the rate a
 * table's packets are bounded by whatever the code around them; --probe
 * prints both over growing spans: one line a page touches few bytes over
 * a wide span (what address translation costs), all of them a footprint
 * as wide (what the caches hold).
 */
static double span_ticks(const char *base, uint64_t pages, uint64_t lines_per_page)
{
	uint64_t x = 88172645463325252ull, acc = 0, t0;
	const uint32_t n = 1u << 22;

	t0 = rte_rdtsc();
	for (uint32_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		acc += *(const uint64_t *)(base + ((x >> 32) * pages >> 32) * 4096 +
					   ((x & 0xffff) * lines_per_page >> 16) * 64);
	}
	t0 = rte_rdtsc() - t0;
	__asm__ volatile("" : : "r"(acc));
	return (double)t0 / n;
}

static int probe(void)
{
	static const uint32_t pages[] = {256, 1024, 2048, 3072, 4096, 8192, 16384, 65536, 131072};
	const size_t bytes = (size_t)pages[RTE_DIM(pages) - 1] * 4096;
	bool huge;
	char *base = map(bytes, &huge);

	if (base == NULL) {
		fprintf(stderr, "no memory for the probe\n");
		return 1;
	}
	printf("# ticks per independent random load, %s pages\n", huge ? "2 MiB" : "4 KiB");
	printf("%-8s %8s %14s %14s\n", "4K pages", "MiB", "1 line each", "64 lines each");
	for (unsigned int i = 0; i < RTE_DIM(pages); i++)
		printf("%-8u %8u %14.1f %14.1f\n", pages[i], pages[i] / 256,
		       span_ticks(base, pages[i], 1), span_ticks(base, pages[i], 64));
	munmap(base, bytes);
	return 0;
}

/* The gap's own ticks a packet (the least of many bursts' worth). */
static uint64_t gap_cost(unsigned int gap)
{
	uint64_t best = UINT64_MAX, acc = 0;

	for (int r = 0; r < 20000; r++) {
		uint64_t t0 = rte_rdtsc();

		acc = gap_work(acc, gap);
		__asm__ volatile("" : : "r"(acc)); /* the gap is done, not elided */
		best = RTE_MIN(best, rte_rdtsc() - t0);
	}
	__asm__ volatile("" : : "r"(acc));
	return best / BENCH_BURST;
}

int main(int argc, char **argv)
{
	static const struct option own[] = {
	    {"lines", required_argument, NULL, 'l'},
	    {"max-factor", required_argument, NULL, 'm'},
	    {"gap", required_argument, NULL, 'g'},
	    {"probe", no_argument, NULL, 'p'},
	    {NULL, 0, NULL, 0},
	};
	struct bench_args a = {
	    .reps = 5, .flows = {1024, 65536, 1000000}, .n_flows = 3, .bursts = 100000};
	int lines = 2, opt;
	double factor = 1.5;
	unsigned int gap = 40;
	uint64_t gap_ticks;

	while ((opt = bench_getopt(argc, argv, BENCH_OPT_REPS | BENCH_OPT_FLOWS | BENCH_OPT_BURSTS,
				   own, &a)) != -1) {
		char *end;

		if (opt == 'p')
			return probe();
		if (opt == 'l' && optarg[0] >= '1' && optarg[0] <= '4' && optarg[1] == '\0')
			lines = optarg[0] - '0';
		else if (opt == 'm' && (factor = strtod(optarg, &end)) >= 1 && factor <= 16 &&
			 *end == '\0')
			;
		else if (opt == 'g' && (gap = (unsigned int)strtoul(optarg, &end, 10)) <= 10000 &&
			 *end == '\0' && *optarg != '-')
			;
		else {
			fprintf(stderr, "usage: bench-mem-floor [--flows a,b,..] [--lines 1..4] "
					"[--max-factor 1..16] [--gap 0..10000] [--reps N] "
					"[--bursts N] | --probe\n");
			return 2;
		}
	}
	printf("# %d line(s) a packet, gap %u, table max %.2fx flows, bursts of %d; TSC ticks "
	       "per packet, median of %u runs of %" PRIu32 " bursts\n",
	       lines, gap, factor, BENCH_BURST, a.reps, a.bursts);
	printf("%-10s %10s %8s %8s %8s %10s\n", "flows", "table MiB", "pages", "ticks", "gap",
	       "line rate");
	for (unsigned int fi = 0; fi < a.n_flows; fi++) {
		uint32_t nf = a.flows[fi], max = (uint32_t)(nf * factor), f = 0;
		uint64_t t[BENCH_MAX_REPS], (*k)[3] = calloc(BENCH_BURST, sizeof(*k)), hits = 0,
					    med;
		struct table tb;

		if (k == NULL || table_fill(&tb, nf, max, lines) != 0) {
			fprintf(stderr, "no memory for %u flows\n", nf);
			return 1;
		}
		for (unsigned int r = 0; r < a.reps; r++) {
			uint64_t ticks = 0;

			for (uint32_t n = 0; n < a.bursts; n++) {
				uint64_t t0;

				for (int i = 0; i < BENCH_BURST; i++) {
					f = (f + 2654435761u) % nf; /* scattered (odd stride) */
					key_of(f, 0, k[i]);
				}
				t0 = rte_rdtsc();
				hits += burst(&tb, lines, gap, k, n >> 10);
				ticks += rte_rdtsc() - t0;
			}
			t[r] = ticks / ((uint64_t)a.bursts * BENCH_BURST);
		}
		med = bench_median(t, a.reps);
		gap_ticks = gap_cost(gap); /* now: the core is as warm as the runs left it */
		printf("%-10u %10zu %8s %8" PRIu64 " %8" PRIu64 " %10.1f\n", nf, tb.bytes >> 20,
		       tb.huge ? "2M" : "4K", med, gap_ticks,
		       span_ticks((const char *)tb.b, tb.bytes / 4096, 64));
		/* two-line: a key that missed its line is not the floor's packet
		 * (one-line: flows sharing a line read it all the same) */
		if (lines == 2 && hits < (uint64_t)a.reps * a.bursts * BENCH_BURST * 99 / 100)
			printf("#   only %" PRIu64 " of the packets found their key\n", hits);
		munmap(tb.b, tb.bytes);
		free(k);
	}
	return 0;
}
