/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_FW_MODULE_PRIVATE_H
#define EVS_FW_MODULE_PRIVATE_H

/* The module's files share this; not installed. */

#include "evs_ct_module.h"
#include "evs_fw_module.h"

/* Per lcore; written by its lcore only, counters read relaxed by the control plane. */
struct fw_mod_lcore {
	struct evs_ct_lcore *ct; /* its own conntrack context (commits, expiry) */
	uint32_t fw_lcore;	 /* index for the library's per-lcore counters */
	struct rte_mempool *pool;
	uint64_t hz;
	uint64_t bucket_tsc; /* reject answers: when the bucket was refilled */
	uint32_t tokens;
	uint64_t counters[EVS_FW_MC_MAX];
} __rte_cache_aligned;

extern const struct evs_opcode fw_opcodes[EVS_FW_OP_MAX];

#endif /* EVS_FW_MODULE_PRIVATE_H */
