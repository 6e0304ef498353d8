/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Routes through the store, in process: N route objects added in one
 * transaction (validation, index, references, the l3 hooks' table adds) —
 * what a route load over the socket costs before JSON-RPC framing.
 *
 *   build/test/perf/bench-l3-store [routes]   (default 100000)
 */
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>
#include <rte_eal.h>

#include "bench_util.h"
#include "evs_l2_schema.h"
#include "evs_l3_schema.h"

static uint16_t ldp_of(const char *name, void *arg)
{
	(void)name;
	(void)arg;
	return 1;
}

static void probe(void *c, uint16_t o, const struct evs_l3_neigh_key *k,
		  const struct rte_ether_addr *m)
{
	(void)c, (void)o, (void)k, (void)m;
}

static void release(void *c, uint16_t o, const struct evs_l3_neigh_key *k,
		    const struct rte_ether_addr *a, struct rte_mbuf *m)
{
	(void)c, (void)o, (void)k, (void)a;
	rte_pktmbuf_free(m);
}

static void unreach(void *c, uint16_t o, const struct evs_l3_neigh_key *k, struct rte_mbuf *m)
{
	(void)c, (void)o, (void)k;
	rte_pktmbuf_free(m);
}

static int op(struct evs_store_txn *t, enum evs_store_op o, const char *type, json_t *v)
{
	struct evs_ctl_err err;
	int rc = evs_store_txn_op(t, o, type, v, "", &err);

	if (rc != 0)
		fprintf(stderr, "%s: %s\n", type, err.message);
	return rc;
}

int main(int argc, char **argv)
{
	char *eal[] = {
	    argv[0],	      "--no-huge",	   "-m", "1024", "--no-shconf", "--no-pci",
	    "--no-telemetry", "--log-level=error", "-l", "0"};
	uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : 100000;
	struct evs_l3_set *set;
	struct evs_store *st;
	struct evs_store_txn *t;
	struct evs_l3_binding *bd;
	struct evs_ctl_err err;
	char buf[64];
	double t0, c0;

	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])), eal) < 0)
		return 1;
	set = evs_l3_set_create(0);
	st = evs_store_create();
	if (set == NULL || st == NULL || evs_store_type_add(st, &evs_l2_switch_type, NULL) != 0)
		return 1;
	struct evs_l3_bind b = {
	    .set = set, .ldp_of = ldp_of, .neigh_ops = {probe, release, unreach}};
	bd = evs_l3_store_bind(st, &b);
	t = evs_store_txn_begin(st);
	if (bd == NULL || t == NULL ||
	    op(t, EVS_STORE_ADD, "switch", json_pack("{s:s}", "name", "sw")) ||
	    op(t, EVS_STORE_ADD, "router",
	       json_pack("{s:s, s:i}", "name", "r", "max_routes4", (int)n + 16)) ||
	    op(t, EVS_STORE_ADD, "router_port",
	       json_pack("{s:s, s:s, s:s, s:s, s:[s]}", "name", "p", "router", "r", "switch", "sw",
			 "mac", "02:00:00:00:00:01", "addresses", "10.255.0.1/24")) ||
	    evs_store_txn_commit(t, &err) != 0)
		return 1;
	t0 = bench_now_s();
	c0 = bench_cpu_s();
	t = evs_store_txn_begin(st);
	for (uint32_t i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "%u.%u.%u.0/24", 1 + (i >> 16), (i >> 8) & 0xff,
			 i & 0xff);
		if (op(t, EVS_STORE_ADD, "route",
		       json_pack("{s:s, s:s, s:[{s:s, s:s}]}", "router", "r", "prefix", buf,
				 "nexthops", "port", "p", "via", "10.255.0.2")) != 0)
			return 1;
	}
	if (evs_store_txn_commit(t, &err) != 0) {
		fprintf(stderr, "commit: %s\n", err.message);
		return 1;
	}
	printf("%u routes in one store transaction: %.3f s wall, %.3f s CPU (%.1f us/route)\n", n,
	       bench_now_s() - t0, bench_cpu_s() - c0, (bench_cpu_s() - c0) * 1e6 / n);
	evs_store_free(st);
	evs_l3_binding_free(bd);
	evs_l3_set_free(set);
	rte_eal_cleanup();
	return 0;
}
