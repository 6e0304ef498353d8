/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EAL start-up and suite run shared by the unit suites that need DPDK
 * memory: no hugepages, no shared config, no PCI, one lcore.
 */
#ifndef EVS_TEST_UNIT_EAL_H
#define EVS_TEST_UNIT_EAL_H

#include <stdio.h>

#include <check.h>
#include <rte_common.h>
#include <rte_eal.h>

/* Start EAL for test @prog with @mem_mb MB and file prefix @prefix.
 * (--in-memory conflicts with --no-huge on DPDK 22.11; --no-shconf gives
 * the same isolation.) Returns 0, or -1 after saying why. */
static inline int unit_eal_init(const char *prog, const char *prefix, const char *mem_mb)
{
	char *args[] = {(char *)(uintptr_t)prog,   "--no-huge",	  "-m",
			(char *)(uintptr_t)mem_mb, "--no-shconf", "--file-prefix",
			(char *)(uintptr_t)prefix, "--no-pci",	  "--no-telemetry",
			"--log-level=error",	   "-l",	  "0"};

	if (rte_eal_init((int)RTE_DIM(args), args) < 0) {
		fprintf(stderr, "%s: EAL init failed\n", prog);
		return -1;
	}
	return 0;
}

/* Run @s and free the runner. Returns the number of failed checks. */
static inline int unit_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed;
}

#endif /* EVS_TEST_UNIT_EAL_H */
