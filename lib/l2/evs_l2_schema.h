/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_L2_SCHEMA_H
#define EVS_L2_SCHEMA_H

/**
 * @file
 * The L2 module's object types, declared once (lib/store): what a switch and
 * a static MAC are, their fields, keys, references and limits. Everything
 * else (TYPE.add/... methods, config.apply's validation, `schema`, the
 * reference tables in doc/) is generated from these.
 *
 *   switch  key name; mac_aging, max_macs
 *   mac     key (switch, mac); port -> port.name, switch -> switch.name,
 *           both cascade (a static MAC goes with its port or switch)
 *
 * The apply hooks (ops) are bound by whoever owns the tables (the app today):
 * it copies a type and sets .ops. Thread-safety: constant data.
 */

#include "evs_store.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Logical switches at most (switch ids the daemon hands out). */
#define EVS_L2_SCHEMA_MAX_SWITCHES 256

extern const struct evs_obj_type evs_l2_switch_type;
extern const struct evs_obj_type evs_l2_mac_type;

/**
 * Rules of a static MAC the field spec cannot say: a non-zero unicast
 * address on a port that is a member of the switch (natively or on a VLAN).
 * Suits struct evs_store_ops.check.
 */
int evs_l2_mac_check(struct evs_store *st, const json_t *obj, const char *path,
		     struct evs_ctl_err *err, void *ctx);

/** Switch rules: a valid name, no more static MACs than max_macs. */
int evs_l2_switch_check(struct evs_store *st, const json_t *obj, const char *path,
			struct evs_ctl_err *err, void *ctx);

#ifdef __cplusplus
}
#endif

#endif /* EVS_L2_SCHEMA_H */
