/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A bulk config.apply request of N static MACs (the line ctl-scale.py
 * sends) parsed by jansson (json_loadb, as the parse thread did) and by
 * lib/ctl's parser (evs_ctl_json_load, as it does now); the two trees must
 * be equal. Thread CPU time of each; instruction counts (deterministic on a
 * loaded machine):
 *   for f in parse_jansson parse_ctl; do valgrind --tool=callgrind \
 *     --callgrind-out-file=cg.$f --toggle-collect=$f build/test/perf/bench-parse 100000; done
 * Usage: bench-parse [N]   (default 1000000)
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "evs_ctl.h"

static char *request(long n, size_t *len)
{
	size_t cap = (size_t)n * 64 + 256, l;
	char *s = malloc(cap);

	if (s == NULL)
		return NULL;
	l = (size_t)snprintf(s, cap,
			     "{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"config.apply\", "
			     "\"params\": {\"config\": {\"switches\": [{\"name\": \"sw0\", "
			     "\"max_macs\": 2000000}], \"macs\": [");
	for (long i = 0; i < n; i++)
		l += (size_t)snprintf(
		    s + l, cap - l,
		    "%s{\"switch\": \"sw0\", \"mac\": \"0a:00:%02lx:%02lx:%02lx:%02lx\", "
		    "\"port\": \"%s\"}",
		    i ? ", " : "", (i >> 24) & 255, (i >> 16) & 255, (i >> 8) & 255, i & 255,
		    i % 2 ? "pa" : "pb");
	l += (size_t)snprintf(s + l, cap - l, "]}}}");
	*len = l;
	return s;
}

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Separate functions so callgrind can collect each alone. */
__attribute__((noinline)) static json_t *parse_jansson(const char *s, size_t len)
{
	json_error_t err;

	return json_loadb(s, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &err);
}

__attribute__((noinline)) static json_t *parse_ctl(const char *s, size_t len)
{
	json_error_t err;

	return evs_ctl_json_load(s, len, &err);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000;
	size_t len = 0;
	char *s = n > 0 ? request(n, &len) : NULL;
	json_t *a, *b;
	double t0, t1, t2;

	if (s == NULL) {
		fprintf(stderr, "usage: bench-parse [N > 0]\n");
		return 2;
	}
	t0 = cpu_s();
	a = parse_jansson(s, len);
	t1 = cpu_s();
	b = parse_ctl(s, len);
	t2 = cpu_s();
	if (a == NULL || b == NULL || !json_equal(a, b)) {
		fprintf(stderr, "bench-parse: the two trees differ\n");
		return 1;
	}
	printf("%ld MACs, %.1f MB: json_loadb %.3f s, evs_ctl_json_load %.3f s of CPU\n", n,
	       (double)len / 1e6, t1 - t0, t2 - t1);
	json_decref(a);
	json_decref(b);
	free(s);
	return 0;
}
