/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_OVERLAY_H
#define EVS_OVERLAY_H

/**
 * @file
 * The overlay's objects on lib/store and what they become: underlays (the
 * host's tunnel endpoint on a port), VTEPs (remote hosts), tunnels (a
 * logical switch's VNI) and ESP SAs (one inbound and one outbound per VTEP),
 * built into lib/crypto SAs and an inbound SPI table for the datapath.
 *
 * Rekey is make-before-break: replacing an inbound SA (a new SPI) installs
 * the new one at once and keeps the old one in the SPI table, "draining",
 * for the grace period (evs_overlay_config.drain_ms), so packets the peer
 * still sends with it are accepted; replacing the outbound SA switches every
 * PMD to the new one at once (one pointer, RCU). A controller rekeys two
 * hosts with `sa.rekey in` on both, then `sa.rekey out` on both, within the
 * grace period (or both halves at once when the peer is already ready).
 *
 * Thread-safety: the store hooks, evs_overlay_poll() and the control
 * methods run on the management lcore (the store's owner). The datapath
 * reads evs_overlay_sa_table() and evs_overlay_vtep_out() on any lcore
 * between quiescent states of @p qsv; what they return stays valid until
 * the reader's next quiescent state.
 */

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <rte_rcu_qsbr.h>

#include "evs_crypto.h"
#include "evs_store.h"

#ifdef __cplusplus
extern "C" {
#endif

/** VTEPs a host may have (remote hosts). */
#define EVS_OVERLAY_MAX_VTEPS 256u
/** Default grace of a replaced inbound SA (ms). */
#define EVS_OVERLAY_DRAIN_MS 10000u

/** The object types (evs_overlay_store_add() adds them with their hooks). */
extern const struct evs_obj_type evs_overlay_underlay_type;
extern const struct evs_obj_type evs_overlay_vtep_type;
extern const struct evs_obj_type evs_overlay_tunnel_type;
extern const struct evs_obj_type evs_overlay_sa_type;

struct evs_overlay;

/** What an overlay context is made with. */
struct evs_overlay_config {
	/** readers of the published SAs; NULL: nothing to wait for (freed at once) */
	struct rte_rcu_qsbr *qsv;
	uint32_t drain_ms;	  /**< grace of a replaced inbound SA; 0: EVS_OVERLAY_DRAIN_MS */
	uint64_t (*now_ms)(void); /**< clock; NULL: the TSC */
};

/** @return the context, or NULL with errno ENOMEM. Management lcore. */
struct evs_overlay *evs_overlay_create(const struct evs_overlay_config *cfg);

/** Free the context, its SAs and tables (no reader may remain); NULL is accepted. */
void evs_overlay_free(struct evs_overlay *ov);

/**
 * Add the four types to @p st with @p ov's hooks. The store must already
 * have the "port" and "switch" types (underlays and tunnels refer to them).
 * @return 0 or as evs_store_type_add().
 */
int evs_overlay_store_add(struct evs_store *st, struct evs_overlay *ov);

/**
 * Retire what has waited long enough: draining inbound SAs past their
 * grace leave the SPI table; SAs and tables no reader can hold are freed.
 * Management lcore, a few times a second. @return SAs retired from the table.
 */
unsigned int evs_overlay_poll(struct evs_overlay *ov);

/** The inbound SPI table (any lcore; acquire load). Never NULL after create. */
const struct evs_sa_table *evs_overlay_sa_table(const struct evs_overlay *ov);

/** VTEP slot @p id's outbound SA, or NULL (any lcore; acquire load). */
struct evs_sa *evs_overlay_vtep_out(const struct evs_overlay *ov, uint16_t id);

/** The slot of VTEP @p name, or -ENOENT. Management lcore. */
int evs_overlay_vtep_id(const struct evs_overlay *ov, const char *name);

/** Inbound SAs in the table that are draining (replaced, not yet retired). */
unsigned int evs_overlay_draining(const struct evs_overlay *ov);

/**
 * Stage a rekey of VTEP @p vtep into the open transaction @p txn: @p in and
 * @p out ({"spi", "key", "salt"}, either may be NULL) replace the inbound /
 * outbound SA's SPI, key and salt (window, ESN and the rest kept). A new
 * SPI must differ from the SA's current one and from any draining one.
 * @return 0, or -ENOENT (no such SA), -EINVAL (same SPI, bad field), or as
 *   evs_store_txn_op(); @p err says where (@p path/in, @p path/out).
 */
int evs_overlay_rekey_stage(struct evs_overlay *ov, struct evs_store_txn *txn, const char *vtep,
			    const json_t *in, const json_t *out, const char *path,
			    struct evs_ctl_err *err);

/**
 * The SA stats of VTEP @p vtep as JSON: {"vtep", "in": {...}, "out": {...},
 * "draining": [{...}]}, each {spi, packets, bytes, last_seq, drops: {reason:
 * n}, (out) seq_remaining}; never a key. NULL with errno ENOENT (unknown
 * VTEP) or ENOMEM. Management lcore.
 */
json_t *evs_overlay_sa_stats(const struct evs_overlay *ov, const char *vtep);

/** rekey's and stats' parameter specs, for the method registration. */
extern const struct evs_ctl_param evs_overlay_rekey_params[];
extern const size_t evs_overlay_n_rekey_params;
extern const struct evs_ctl_param evs_overlay_stats_params[];
extern const size_t evs_overlay_n_stats_params;

#ifdef __cplusplus
}
#endif
#endif /* EVS_OVERLAY_H */
