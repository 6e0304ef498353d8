/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Object store at scale, in process (no socket, no datapath hooks): a bulk
 * config.apply of N static MACs (the document diff, validation, reference
 * resolution and commit), re-applying the same document (nothing changes),
 * changing one object in it, and one single-object transaction against the
 * full store. Prints figures; asserts nothing (doc/performance.md).
 *
 * Usage: bench-store [N ...]   (default: 100000 1000000)
 * Change records are built at every commit, as in the daemon (BENCH_NO_RECORDS
 * set: only for the last 100 transactions, as before 2026-12-06 15:20).
 */

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "evs_l2_schema.h"
#include "evs_store.h"

static const struct evs_ctl_param port_fields[] = {
    {.name = "name", .type = EVS_CTL_T_STRING, .required = true, .min_len = 1, .max_len = 31},
    {.name = "switch", .type = EVS_CTL_T_STRING, .max_len = 31},
};
static const char *const port_key[] = {"name", NULL};
static const struct evs_store_ref port_refs[] = {{.field = "switch", .type = "switch"}};
static const struct evs_obj_type port_type = {.name = "port",
					      .section = "ports",
					      .fields = port_fields,
					      .n_fields = 2,
					      .keys = port_key,
					      .refs = port_refs,
					      .n_refs = 1};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* This thread's CPU time: what a transaction cost, without the time the
 * scheduler gave other processes (the machine is shared). */
static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static json_t *make_doc(long n)
{
	json_t *macs = json_array();
	char mac[24];
	long i;

	for (i = 0; i < n; i++) {
		snprintf(mac, sizeof(mac), "02:00:%02lx:%02lx:%02lx:%02lx", (i >> 24) & 0xff,
			 (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
		json_array_append_new(macs, json_pack("{s:s, s:s, s:s}", "switch", "sw0", "mac",
						      mac, "port", i % 2 ? "p1" : "p0"));
	}
	return json_pack("{s:[{s:s, s:i}], s:[{s:s, s:s}, {s:s, s:s}], s:o}", "switches", "name",
			 "sw0", "max_macs", 1 << 20, "ports", "name", "p0", "switch", "sw0", "name",
			 "p1", "switch", "sw0", "macs", macs);
}

static double apply(struct evs_store *st, const json_t *doc)
{
	struct evs_store_txn *txn = evs_store_txn_begin(st);
	struct evs_ctl_err err;
	double t0 = now_s();

	if (evs_store_txn_doc(txn, doc, "", &err) < 0) {
		fprintf(stderr, "apply: %s at %s\n", err.message, err.path);
		evs_store_txn_abort(txn);
		exit(1);
	}
	if (evs_store_txn_commit(txn, &err) < 0) {
		fprintf(stderr, "commit: %s at %s\n", err.message, err.path);
		exit(1);
	}
	return now_s() - t0;
}

static void run(long n)
{
	struct evs_store *st = evs_store_create();
	struct evs_store_txn *txn;
	struct evs_ctl_err err;
	json_t *doc = make_doc(n);
	double t_bulk, t_same, t_one, t0, t1, c1, t_txn1, c_txn1, t_rec, t_max = 0, c_max = 0;
	int i, i_max = 0, ic_max = 0, n_txn = 100;

	evs_store_type_add(st, &evs_l2_switch_type, NULL);
	evs_store_type_add(st, &port_type, NULL);
	evs_store_type_add(st, &evs_l2_mac_type, NULL);
	/* The daemon's way: each commit builds its journal records. */
	evs_store_record_changes(st, getenv("BENCH_NO_RECORDS") == NULL);
	t_bulk = apply(st, doc);
	t_same = apply(st, doc);
	json_object_set_new(json_array_get(json_object_get(doc, "macs"), (size_t)n / 2), "port",
			    json_string("p0"));
	json_object_set_new(json_array_get(json_object_get(doc, "macs"), (size_t)n / 2 + 1), "port",
			    json_string("p0"));
	t_one = apply(st, doc);
	t0 = now_s();
	c1 = cpu_s();
	txn = evs_store_txn_begin(st);
	evs_store_txn_op(
	    txn, EVS_STORE_ADD, "mac",
	    json_pack("{s:s, s:s, s:s}", "switch", "sw0", "mac", "0a:00:00:00:00:01", "port", "p1"),
	    "/params", &err);
	evs_store_txn_commit(txn, &err);
	t_txn1 = now_s() - t0;
	c_txn1 = cpu_s() - c1;
	evs_store_record_changes(st, true);
	if (getenv("BENCH_TXNS") != NULL) { /* a profiler attaches to this loop */
		n_txn = atoi(getenv("BENCH_TXNS"));
		fprintf(stderr, "loop of %d starts in 1 s\n", n_txn);
		sleep(1);
	}
	t0 = now_s();
	for (i = 0; i < n_txn; i++) {
		char mac[24];

		snprintf(mac, sizeof(mac), "0a:00:00:%02x:%02x:%02x", (i >> 16) & 0xff,
			 (i >> 8) & 0xff, i & 0xff);
		t1 = now_s();
		c1 = cpu_s();
		txn = evs_store_txn_begin(st);
		evs_store_txn_op(
		    txn, EVS_STORE_ADD, "mac",
		    json_pack("{s:s, s:s, s:s}", "switch", "sw0", "mac", mac, "port", "p1"),
		    "/params", &err);
		evs_store_txn_commit(txn, &err);
		if (cpu_s() - c1 > c_max) {
			c_max = cpu_s() - c1;
			ic_max = i;
		}
		if (now_s() - t1 > t_max) {
			t_max = now_s() - t1;
			i_max = i;
		}
	}
	t_rec = (now_s() - t0) / n_txn;
	printf("%8ld objects: bulk apply %.3f s (%.2f us/object); re-apply unchanged %.3f s; "
	       "apply with 1 change %.3f s; one mac.add transaction %.1f us (CPU %.1f us); "
	       "mean of 100 more with change records %.1f us (longest %.1f us, the %dth; "
	       "longest in CPU time %.1f us, the %dth)\n",
	       n, t_bulk, t_bulk * 1e6 / (double)n, t_same, t_one, t_txn1 * 1e6, c_txn1 * 1e6,
	       t_rec * 1e6, t_max * 1e6, i_max + 1, c_max * 1e6, ic_max + 1);
	json_decref(doc);
	evs_store_free(st);
}

int main(int argc, char **argv)
{
	int i;

	if (argc < 2) {
		run(100000);
		run(1000000);
	}
	for (i = 1; i < argc; i++)
		run(atol(argv[i]));
	return 0;
}
