/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The routing module's descriptor: its stage, opcodes, dependencies, drop
 * reasons and punt handler. The decision is cached in the megaflow and the
 * per-packet work is in the opcodes; an lcore's context holds only its
 * per-router counters.
 */
#include "evs_l3_schema.h"
#include "l3_private.h"

extern const struct evs_stage l3_stages[1];
extern const struct evs_opcode l3_opcodes[EVS_L3_OP_MAX];

static const struct evs_obj_type *const obj_types[] = {
    &evs_l3_router_type, &evs_l3_router_port_type, &evs_l3_route_type, &evs_l3_neigh_type};

const struct evs_module evs_l3_module = {
    .name = "l3",
    .stages = l3_stages,
    .n_stages = RTE_DIM(l3_stages),
    .opcodes = l3_opcodes,
    .n_opcodes = EVS_L3_OP_MAX,
    .n_deps = EVS_L3_N_DEPS,
    .drop_names = l3_drop_names,
    .n_drops = EVS_L3_MOD_DROP_MAX,
    .counter_names = l3_counter_names,
    .n_counters = L3_CTR_MAX,
    .counters_get = l3_counters_get,
    .lcore_create = l3_lcore_create,
    .lcore_free = l3_lcore_free,
    .punt = l3_mgmt_punt,
    .obj_types = obj_types,
    .n_obj_types = RTE_DIM(obj_types),
};
