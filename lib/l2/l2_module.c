/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The L2 module's descriptor: its stage, opcode, learning hook, per-lcore
 * context, drop reasons and counters.
 */
#include <errno.h>

#include <rte_errno.h>

#include "evs_l2_schema.h"
#include "l2_private.h"

extern const struct evs_stage l2_stages[1];
extern const struct evs_opcode l2_opcodes[EVS_L2_OP_MAX];

static const char *const drop_names[EVS_L2_DROP_MAX] = {
    [EVS_L2_DROP_NO_SWITCH] = "no_switch",
    [EVS_L2_DROP_VLAN_NOT_MEMBER] = "vlan_not_member",
    [EVS_L2_DROP_SRC_MAC_MCAST] = "src_mac_mcast",
    [EVS_L2_DROP_SRC_MAC_ZERO] = "src_mac_zero",
    [EVS_L2_DROP_LINK_LOCAL] = "link_local",
    [EVS_L2_DROP_HAIRPIN] = "hairpin",
    [EVS_L2_DROP_PORT_DOWN] = "port_down",
    [EVS_L2_DROP_TX_FULL] = "tx_full",
    [EVS_L2_DROP_NO_MBUF] = "no_mbuf",
    [EVS_L2_DROP_LEARN_FULL] = "learn_full",
    [EVS_L2_DROP_FLOOD_EMPTY] = "flood_empty",
    [EVS_L2_DROP_CT_INVALID] = "ct_invalid",
};

const char *evs_l2_drop_name(enum evs_l2_drop r)
{
	return (unsigned int)r < EVS_L2_DROP_MAX ? drop_names[r] : "unknown";
}

static const char *const counter_names[EVS_L2_CTR_MAX] = {
    [EVS_L2_CTR_FLOODED] = "flooded",
    [EVS_L2_CTR_FLOOD_COPIES] = "flood_copies",
    [EVS_L2_CTR_LEARN_EVENTS] = "learn_events",
    [EVS_L2_CTR_REFRESHED] = "refreshed",
};

static void counters_get(const void *lctx, uint64_t *vals)
{
	struct evs_l2_lcore_stats st = {0};

	evs_l2_lcore_stats_add(lctx, &st);
	vals[EVS_L2_CTR_FLOODED] += st.flooded;
	vals[EVS_L2_CTR_FLOOD_COPIES] += st.flood_copies;
	vals[EVS_L2_CTR_LEARN_EVENTS] += st.learn_events;
	vals[EVS_L2_CTR_REFRESHED] += st.refreshed;
}

static void *lcore_create(const struct evs_module_lcore_args *args)
{
	struct evs_l2_lcore *lc = evs_l2_lcore_create(&(struct evs_l2_lcore_config){
	    .macs = args->arg, .clone_pool = args->pool, .socket_id = args->socket_id});

	if (lc == NULL)
		errno = rte_errno;
	return lc;
}

static void lcore_free(void *lctx)
{
	evs_l2_lcore_free(lctx);
}

/* Its object types (lib/store); the app binds their apply hooks. */
static const struct evs_obj_type *const obj_types[] = {&evs_l2_switch_type, &evs_l2_mac_type};

/* Learning and aging run on a seconds clock. */
static void tick(void *lctx)
{
	evs_l2_lcore_set_time(lctx, evs_l2_now());
}

/* Learning is stateful: every packet of the first pass, never cached. */
static void ingress(const void *state, void *lctx, const struct evs_flow_key *keys, uint16_t n)
{
	const struct evs_l2_state *s = state;

	if (s != NULL && s->conf != NULL)
		evs_l2_learn_burst(s->conf, s->macs, lctx, keys, n);
}

const struct evs_module evs_l2_module = {
    .name = "l2",
    .stages = l2_stages,
    .n_stages = RTE_DIM(l2_stages),
    .opcodes = l2_opcodes,
    .n_opcodes = EVS_L2_OP_MAX,
    .n_deps = EVS_L2_N_DEPS,
    .drop_names = drop_names,
    .n_drops = EVS_L2_DROP_MAX,
    .counter_names = counter_names,
    .n_counters = EVS_L2_CTR_MAX,
    .counters_get = counters_get,
    .lcore_create = lcore_create,
    .lcore_free = lcore_free,
    .ingress = ingress,
    .tick = tick,
    .obj_types = obj_types,
    .n_obj_types = RTE_DIM(obj_types),
};
