/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The firewall module's descriptor: its stage, the `fw` opcode, per-lcore
 * contexts (a conntrack context and a firewall lcore index claimed once per
 * lcore), drop reasons, counters and the expiry of the connections its
 * contexts created.
 */
#include <errno.h>

#include <rte_cycles.h>
#include <rte_malloc.h>

#include "fw_module_private.h"

static const char *const drop_names[EVS_FW_DROP_MAX] = {
    [EVS_FW_DROP_DENY] = "fw_deny",
    [EVS_FW_DROP_REJECT] = "fw_reject",
    [EVS_FW_DROP_CT_INVALID] = "fw_ct_invalid",
    [EVS_FW_DROP_CT_REFUSED] = "fw_ct_refused",
    [EVS_FW_DROP_FRAGMENT] = "fw_fragment",
};

static const char *const counter_names[EVS_FW_MC_MAX] = {
    [EVS_FW_MC_NEW] = "new_connections",
    [EVS_FW_MC_REJECT_SENT] = "reject_sent",
    [EVS_FW_MC_REJECT_LIMITED] = "reject_limited",
    [EVS_FW_MC_REJECT_FAILED] = "reject_failed",
};

static void counters_get(const void *lctx, uint64_t *vals)
{
	const struct fw_mod_lcore *ml = lctx;

	for (unsigned int c = 0; c < EVS_FW_MC_MAX; c++)
		vals[c] += __atomic_load_n(&ml->counters[c], __ATOMIC_RELAXED);
}

static void *lcore_create(const struct evs_module_lcore_args *args)
{
	const struct evs_fw_mod_args *a = args->arg;
	struct fw_mod_lcore *ml;
	int idx;

	if (a == NULL || a->fw == NULL || a->ct == NULL) {
		errno = EINVAL;
		return NULL;
	}
	idx = evs_fw_lcore_claim(a->fw);
	if (idx < 0) {
		errno = -idx;
		return NULL;
	}
	ml = rte_zmalloc_socket("fw_mod_lcore", sizeof(*ml), RTE_CACHE_LINE_SIZE, args->socket_id);
	if (ml == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	/* contexts are handed out once (an unused fw index is not given back) */
	ml->ct = evs_ct_lcore_claim(a->ct);
	if (ml->ct == NULL) {
		rte_free(ml);
		return NULL;
	}
	ml->fw_lcore = (uint32_t)idx;
	ml->pool = args->pool;
	ml->hz = rte_get_tsc_hz();
	return ml;
}

static void lcore_free(void *lctx)
{
	rte_free(lctx);
}

/* Connections this context committed are filed on its expiry wheel. */
static void tick(void *lctx)
{
	struct fw_mod_lcore *ml = lctx;

	evs_ct_lcore_set_now(ml->ct, evs_ct_now_ms());
	evs_ct_expire(ml->ct, EVS_CT_TICK_EXPIRE_BUDGET);
}

/* The read-only methods; the object methods come from the store types. */
static int ctl_register(struct evs_ctl *ctl, void *arg)
{
	struct evs_fw_mod_args *a = arg;

	if (a == NULL || a->fw == NULL)
		return 0; /* no firewall: no methods */
	a->ctl = evs_fw_ctl_register(ctl, a->fw);
	return a->ctl != NULL ? 0 : -errno;
}

extern const struct evs_stage fw_stages[1];

const struct evs_module evs_fw_module = {
    .name = "fw",
    .stages = fw_stages,
    .n_stages = 1,
    .opcodes = fw_opcodes,
    .n_opcodes = EVS_FW_OP_MAX,
    .n_deps = 1,
    .drop_names = drop_names,
    .n_drops = EVS_FW_DROP_MAX,
    .counter_names = counter_names,
    .n_counters = EVS_FW_MC_MAX,
    .counters_get = counters_get,
    .lcore_create = lcore_create,
    .lcore_free = lcore_free,
    .tick = tick,
    .ctl_register = ctl_register,
};
