/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What test_firewall.c shares with test_fw_pipeline.c: the pipeline
 * benchmark and its cases.
 */
#ifndef FW_TEST_H
#define FW_TEST_H

#include <stdint.h>

#include <check.h>
#include <rte_mempool.h>

/** What `test_firewall --bench-pipeline FLOWS PACKETS [flag]` measures. */
enum fw_bench_mode {
	FW_BENCH_ESTABLISHED, /**< no flag: packets of replied connections */
	FW_BENCH_NO_FW,	      /**< --no-fw: nothing filtered (plain L2) */
	FW_BENCH_UNREPLIED,   /**< --unreplied: packets of committed one-way connections */
	FW_BENCH_NEW,	      /**< --new: every packet opens a connection */
	FW_BENCH_NEW_TCP,     /**< --new-tcp: PACKETS TCP handshakes */
	FW_BENCH_FRAG, /**< --frag: replied connections, each packet a piece of a 2-piece datagram
			*/
};

int fw_bench_pipeline(struct rte_mempool *mp, uint32_t flows, uint32_t packets,
		      enum fw_bench_mode mode);
void fw_pipeline_add_cases(Suite *s);

#endif /* FW_TEST_H */
