/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A bulk apply's journal line: N static-MAC "add" records serialised as
 * the journal writer did before (json_dumps, then the line built around
 * it and copied into the batch buffer) and as it does now (persist_dump.c:
 * written once into the batch buffer, the checksum filled in after). The
 * two lines must be identical. Instruction counts (deterministic on a
 * loaded machine):
 *   for f in line_jansson line_in_place; do valgrind --tool=callgrind \
 *     --callgrind-out-file=cg.$f --toggle-collect=$f build/test/perf/bench-journal 100000; done
 * Usage: bench-journal [N]   (default 100000)
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "journal_private.h"
#include "persist_private.h"

static json_t *records(int n)
{
	json_t *a = json_array(), *op = json_string("add"), *ty = json_string("mac");
	char m[32];

	for (int i = 0; i < n; i++) {
		json_t *r = json_object(), *v = json_object();

		snprintf(m, sizeof(m), "0a:00:%02x:%02x:%02x:%02x", (i >> 24) & 255,
			 (i >> 16) & 255, (i >> 8) & 255, i & 255);
		json_object_set_new(v, "switch", json_string("sw0"));
		json_object_set_new(v, "mac", json_string(m));
		json_object_set_new(v, "port", json_string(i % 2 ? "pa" : "pb"));
		json_object_set(r, "op", op); /* shared, as the store's records do */
		json_object_set(r, "type", ty);
		json_object_set_new(r, "new", v);
		json_array_append_new(a, r);
	}
	json_decref(op);
	json_decref(ty);
	return a;
}

/* The journal before: a malloc'd body, a malloc'd line, a copy into the batch. */
__attribute__((noinline)) static char *line_jansson(const json_t *recs, size_t *len)
{
	char *body = json_dumps(recs, JSON_COMPACT | JSON_PRESERVE_ORDER), *line, *batch;
	size_t bl = strlen(body);
	int n;

	line = malloc(bl + 96);
	n = snprintf(line, bl + 96,
		     "{\"gen\":%" PRIu64 ",\"sum\":\"%016" PRIx64 "\",\"records\":%s}\n",
		     (uint64_t)7, journal_hash(body, bl), body);
	batch = malloc((size_t)n * 2);
	memcpy(batch, line, (size_t)n);
	free(line);
	free(body);
	*len = (size_t)n;
	return batch;
}

/* The journal now: line_put() in persist_journal.c. */
__attribute__((noinline)) static int line_in_place(const json_t *recs, struct persist_buf *b)
{
	static const char zeros[] = "0000000000000000\",\"records\":";
	char head[96], sum[17];
	int n =
	    snprintf(head, sizeof(head),
		     "{\"gen\":%" PRIu64 ",\"sum\":\"0000000000000000\",\"records\":", (uint64_t)7);
	size_t body;
	int rc = persist_buf_put(b, head, (size_t)n);

	body = b->len;
	if (rc == 0)
		rc = persist_dump_compact(b, recs);
	if (rc == 0)
		rc = persist_buf_put(b, "}\n", 2);
	if (rc == 0) {
		snprintf(sum, sizeof(sum), "%016" PRIx64,
			 journal_hash(b->p + body, b->len - 2 - body));
		memcpy(b->p + body - (sizeof(zeros) - 1), sum, 16);
	}
	return rc;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 100000;
	json_t *r = records(n > 0 ? n : 1);
	struct persist_buf b = {0};
	double t0, t1, t2;
	size_t len;
	char *old;
	int rc;

	t0 = now_s();
	old = line_jansson(r, &len);
	t1 = now_s();
	rc = line_in_place(r, &b);
	t2 = now_s();
	printf("%d records, a %zu-byte line: json_dumps and copies %.3f s CPU, in place %.3f s "
	       "CPU\n",
	       n, len, t1 - t0, t2 - t1);
	rc = rc == 0 && b.len == len && memcmp(b.p, old, len) == 0 ? 0 : 1;
	if (rc != 0)
		fprintf(stderr, "bench-journal: the two lines differ\n");
	free(old);
	persist_buf_free(&b);
	json_decref(r);
	return rc;
}
