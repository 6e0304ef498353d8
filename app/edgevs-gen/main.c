/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * edgevs-gen: a traffic generator and sink for benchmarking edgevs (or any
 * forwarder reached through DPDK ports). See doc/edgevs-gen.md.
 */

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>

#include "gen_app.h"

RTE_LOG_REGISTER(gen_logtype, edgevs.gen, NOTICE);

uint32_t gen_stop;

static void on_signal(int sig)
{
	(void)sig;
	/* Lock-free atomic store: async-signal-safe; loops poll it. */
	__atomic_store_n(&gen_stop, 1, __ATOMIC_RELAXED);
}

int main(int argc, char **argv)
{
	static struct gen_opts o; /* large (per-port MAC tables): not on the stack */
	struct rte_mempool *pool = NULL;
	struct gen_run *run = NULL;
	struct gen_result res;
	struct sigaction sa;
	int rc, ret = EXIT_FAILURE;
	bool ports_started = false;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	rc = rte_eal_init(argc, argv);
	if (rc < 0) {
		fprintf(stderr, "edgevs-gen: EAL init failed: %s\n", rte_strerror(rte_errno));
		return EXIT_FAILURE;
	}
	argc -= rc;
	argv += rc;
	argv[0] = (char *)"edgevs-gen";
	if (gen_opts_parse(&o, argc, argv) != 0)
		goto out;
	gen_opts_resolve_macs(&o);

	pool = gen_pool_create(&o);
	if (pool == NULL) {
		fprintf(stderr, "edgevs-gen: mbuf pool: %s (more memory with -m?)\n",
			rte_strerror(rte_errno));
		goto out;
	}
	ports_started = true;
	if (gen_ports_start(&o, pool) != 0)
		goto out;
	run = gen_run_create(&o, pool);
	if (run == NULL) {
		fprintf(stderr, "edgevs-gen: set-up failed: %s\n", strerror(errno));
		goto out;
	}
	gen_run_learn(run);

	if (o.rfc2544) {
		rc = gen_rfc2544(run);
	} else {
		rc = gen_run_trial(run, o.rate_pps, o.duration_s, &res);
		if (rc == 0 || rc == -EINTR) {
			if (o.json)
				gen_json_dump(gen_report_json(run, &res));
			else
				gen_report_text(stdout, run, &res);
			rc = 0;
		}
		gen_result_free(&res);
	}
	if (rc != 0) {
		fprintf(stderr, "edgevs-gen: run failed: %s\n", strerror(-rc));
		goto out;
	}
	ret = EXIT_SUCCESS;
out:
	gen_run_free(run);
	if (ports_started)
		gen_ports_stop(&o);
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return ret;
}
