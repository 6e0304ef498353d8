/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_CT_MODULE_H
#define EVS_CT_MODULE_H

/**
 * @file
 * Conntrack as a pipeline module: the `ct` opcode, its per-lcore context,
 * the expiry tick, counters by name and the ct.* methods.
 *
 * The module has no stage of its own: stages of other modules (the
 * firewall, a stateful switch, later LB) emit its opcode with
 * evs_ct_xlate_emit(), which appends ct(zone, commit, nat, mark, recirc):
 * the opcode tracks and then classifies the packets again itself. On the recirculated pass the key
 * carries ct_state, ct_zone and ct_mark, and a stage that reads them records them in the mask
 * (evs_ct_xlate_state()), so the stateless decision of the second pass is
 * cached per state while the ct step itself runs for every packet.
 *
 * The module's argument (evs_pipeline_lcore_config.mod_args) is the shared
 * table, a struct evs_ct * created with one context per pipeline lcore
 * (PMDs and the management lcore). Its published state is a
 * struct evs_ct_mod_state (NULL: no NAT ranges).
 */

#include <stdint.h>

#include "evs_conntrack.h"
#include "evs_module.h"

#ifdef __cplusplus
extern "C" {
#endif

extern const struct evs_module evs_ct_module;

/** The module's opcodes (local numbers). */
enum evs_ct_mod_op {
	EVS_CT_MOD_OP_CT, /**< argument: struct evs_ct_op */
	EVS_CT_MOD_OP_MAX,
};

/** What the executor reads from the published state. */
struct evs_ct_mod_state {
	const struct evs_ct_nat_range *nat; /**< evs_ct_op.nat is 1 + an index here */
	uint16_t n_nat;
};

/** Expiry entries handled by the once-a-second tick of every lcore (idle too). */
#define EVS_CT_TICK_EXPIRE_BUDGET 16384
/** Expiry entries handled by evs_ct_module_poll(). */
#define EVS_CT_POLL_EXPIRE_BUDGET 64

/**
 * Once per PMD loop iteration, idle or not (the engine's tick is once a
 * second, too coarse to reap millions of connections): set the clock and
 * expire a small budget. @p lctx is the module's context of the lcore
 * (evs_pipeline_lcore_module()); NULL is ignored.
 */
void evs_ct_module_poll(void *lctx);

/**
 * Emit ct(@p op) with recirculation (@p recirc_id != 0): the packet is
 * tracked, then at once (same burst, no re-parse: ct keeps the key in step
 * with its NAT rewrites) classified again with recirc_id set and the ct fields in
 * its key. The calling stage should return EVS_STAGE_DONE afterwards.
 * @return 0, -EINVAL (recirc_id 0, unknown flags), -ENOENT (the ct module
 *   is not registered), -ENOSPC (program full).
 */
int evs_ct_xlate_emit(struct evs_xlate *x, const struct evs_ct_op *op, uint16_t recirc_id);

/**
 * Emit ct(@p op) that lets established packets go on in this pass: the
 * opcode tracks the packets; those tracked as established, related or
 * reply and not translated go on with the opcodes the later stages emit,
 * the others (new, invalid, translated) are classified again with
 * @p recirc_id as with evs_ct_xlate_emit(). The working key becomes what
 * the next pass of an established packet would see (recirc_id, ct_state
 * +trk+est, ct_zone), and the calling stage returns EVS_STAGE_CONTINUE,
 * doing first what its next pass does for such a packet.
 * For a caller whose next pass decides the same for every tracked state
 * but new and invalid, and whose later stages read no ct field on it (the
 * firewall's pass): the program after ct is that pass's, so an established
 * packet is classified once (flow.trace shows one pass for it).
 * EVS_CT_F_CONTINUE_NEW in @p op's flags lets new packets go on as well,
 * for a next pass that passes them like established ones (the stateful
 * switch).
 * @return like evs_ct_xlate_emit().
 */
int evs_ct_xlate_emit_continue(struct evs_xlate *x, const struct evs_ct_op *op, uint16_t recirc_id);

/**
 * The ct_state of the key being translated, recorded as consulted (all its
 * bits: a megaflow of the recirculated pass is per state). Zone and mark
 * are recorded only by stages that read them (evs_xlate_mask()).
 */
uint8_t evs_ct_xlate_state(struct evs_xlate *x);

#ifdef __cplusplus
}
#endif
#endif /* EVS_CT_MODULE_H */
