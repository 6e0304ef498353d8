/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Maglev table rebuild cost: bench-lb [backends] [size] [rounds].
 * Populates a table of @size slots from @backends equal-weight backends
 * @rounds times and prints the mean time; under
 * `valgrind --tool=callgrind` the instruction count of one rebuild is the
 * load-independent figure (doc/lb.md). Needs no EAL: population is pure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "evs_lb_maglev.h"

int main(int argc, char **argv)
{
	uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : 100;
	uint32_t size = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 0) : EVS_MAGLEV_SIZE_DEFAULT;
	uint32_t rounds = argc > 3 ? (uint32_t)strtoul(argv[3], NULL, 0) : 10;
	struct evs_maglev_backend *b = calloc(n + 1, sizeof(*b));
	uint32_t *entry = malloc(sizeof(uint32_t) * size);
	struct timespec t0, t1;
	int rc = 0;

	if (b == NULL || entry == NULL || rounds == 0) {
		fprintf(stderr, "bench-lb: bad arguments or out of memory\n");
		return 1;
	}
	for (uint32_t i = 0; i < n; i++) {
		/* 10.x.y.z:80 */
		b[i].id = i;
		b[i].weight = 1;
		b[i].key_len = 6;
		b[i].key[0] = 10;
		b[i].key[1] = (uint8_t)(i >> 16);
		b[i].key[2] = (uint8_t)(i >> 8);
		b[i].key[3] = (uint8_t)i;
		b[i].key[5] = 80;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (uint32_t r = 0; r < rounds && rc == 0; r++)
		rc = evs_maglev_populate(entry, size, b, n);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (rc != 0) {
		fprintf(stderr, "bench-lb: populate: %s\n", strerror(-rc));
		return 1;
	}
	printf("maglev rebuild: %u backends, %u slots: %.3f ms per rebuild (%u rounds)\n", n, size,
	       ((double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6) /
		   rounds,
	       rounds);
	free(entry);
	free(b);
	return 0;
}
