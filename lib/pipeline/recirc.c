/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Recirculation from inside an opcode: the packets are classified again at
 * once, in the same burst, from the keys the opcode leaves (no re-parse, no
 * queue). For opcodes that keep each key in step with its frame (conntrack
 * rewrites both on NAT), so the key equals what a re-parse would give.
 * And the queued form, for opcodes that let other packets go on: their keys
 * are kept exact too, so the queued pass skips the re-parse.
 */

#include "pipeline_private.h"

void evs_exec_recirculate(struct evs_exec *x, uint16_t recirc_id, struct rte_mbuf **pkts,
			  struct evs_flow_key *keys, uint16_t n)
{
	struct evs_pipeline_lcore *pl = x->pl;
	const struct op_recirc a = {.recirc_id = recirc_id};
	uint16_t i;

	if (n == 0)
		return;
	/* a trace follows the packet pass by pass through the queue (it
	 * re-parses, which checks the keys we would have kept) */
	if (unlikely(x->tracing || x->depth >= EVS_RECIRC_MAX_DEPTH)) {
		engine_ops[ENGINE_OP_RECIRC].exec(x, &a, pkts, keys, n);
		return;
	}
	for (i = 0; i < n; i++)
		keys[i].recirc_id = recirc_id;
	ctr_add(&pl->st.recirculated, n);
	/* The caller's program is done with these packets (it consumes them):
	 * the nested pass may reuse scratch programs and megaflow slots. The
	 * queue of the engine's recirculate opcode is drained by whichever
	 * pass ends first; depth stays bounded either way. */
	run_chunk(pl, x->st, pkts, keys, n, (uint16_t)(x->depth + 1), false);
}

void evs_exec_recirculate_queued(struct evs_exec *x, uint16_t recirc_id, struct rte_mbuf **pkts,
				 struct evs_flow_key *keys, uint16_t n)
{
	const struct op_recirc a = {.recirc_id = recirc_id};
	struct evs_pipeline_lcore *pl = x->pl;
	uint16_t from = pl->n_recirc;

	RTE_BUILD_BUG_ON(EVS_CLS_BURST_MAX > 64); /* the queue's positions fit the mask */
	if (n == 0)
		return;
	engine_ops[ENGINE_OP_RECIRC].exec(x, &a, pkts, keys, n);
	/* queued (not dropped): the next pass takes the keys as they are; a
	 * trace re-parses, which checks them */
	if (likely(!x->tracing) && pl->n_recirc == from + n)
		pl->recirc_exact |= (n == 64 ? UINT64_MAX : (UINT64_C(1) << n) - 1) << from;
}
