/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The conntrack module's descriptor: the ct opcode over the shared table,
 * per-lcore contexts claimed from it, the expiry tick, counters by name,
 * the ct.* methods, and the helpers stages use to emit ct and read
 * ct_state on the recirculated pass.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_malloc.h>

#include "ct_private.h"
#include "evs_ct_module.h"

struct ct_mod_lcore {
	struct evs_ct_lcore *lc;
};

/* The packets the program's next opcodes were translated for go on
 * (compacted to the front), keyed as the emitter's next pass would see
 * them: tracked, not invalid, not translated, and not new unless the op
 * lets new ones go on (all, or those of a connection already in the
 * table). The others are classified again after this pass. */
static uint16_t split(struct evs_exec *x, const struct evs_ct_lcore *lc, const struct evs_ct_op *op,
		      struct rte_mbuf **pkts, struct evs_flow_key *keys, uint16_t n)
{
	const uint8_t look = EVS_CT_TRACKED | EVS_CT_INVALID | EVS_CT_SNAT | EVS_CT_DNAT |
			     ((op->flags & EVS_CT_F_CONTINUE_NEW) ? 0 : EVS_CT_NEW);
	/* the state of a new packet that goes on if known (0xff: none does;
	 * a masked state never is) */
	const uint8_t known_new =
	    (op->flags & EVS_CT_F_CONTINUE_KNOWN) ? EVS_CT_TRACKED | EVS_CT_NEW : 0xff;
	struct rte_mbuf *rp[EVS_CT_BURST_MAX];
	struct evs_flow_key rk[EVS_CT_BURST_MAX];
	uint16_t i, go = 0, nr = 0;

	for (i = 0; i < n; i++) {
		uint8_t st = keys[i].ct_state & look;

		keys[i].recirc_id = op->recirc;
		/* not new, or new on a connection already in the table (if allowed) */
		if (likely(st == EVS_CT_TRACKED) || (st == known_new && lc->head.meta[i].known)) {
			if (go != i) {
				pkts[go] = pkts[i];
				keys[go] = keys[i];
			}
			go++;
			continue;
		}
		rp[nr] = pkts[i];
		rk[nr++] = keys[i];
	}
	evs_exec_recirculate_queued(x, op->recirc, rp, rk, nr);
	return go;
}

static uint16_t op_ct(struct evs_exec *x, const void *arg, struct rte_mbuf **pkts,
		      struct evs_flow_key *keys, uint16_t n)
{
	const struct evs_ct_mod_state *s = evs_exec_state(x);
	const struct ct_mod_lcore *ml = evs_exec_lcore(x);
	struct evs_ct_op op;
	struct evs_ct_op_ctx ctx = {.lc = ml->lc};
	uint16_t done, c, g, go = 0;

	memcpy(&op, arg, sizeof(op));
	if (s != NULL) {
		ctx.nat = s->nat;
		ctx.n_nat = s->n_nat;
	}
	/* a trace looks the packet up but creates no connection */
	if (unlikely(evs_exec_tracing(x)))
		op.flags &= (uint16_t)~EVS_CT_F_COMMIT;
	if (!(op.flags & EVS_CT_F_CONTINUE)) {
		n = evs_ct_op_run(&ctx, &op, pkts, keys, n);
		if (op.recirc == 0)
			return n;
		/* ct rewrote frame and key alike: the next pass needs no re-parse */
		evs_exec_recirculate(x, op.recirc, pkts, keys, n);
		return 0;
	}
	/* a library burst at a time: split reads its per-packet metadata */
	for (done = 0; done < n; done += c) {
		c = (uint16_t)RTE_MIN(n - done, EVS_CT_BURST_MAX);
		evs_ct_op_run(&ctx, &op, pkts + done, keys + done, c);
		g = split(x, ml->lc, &op, pkts + done, keys + done, c);
		if (go != done) { /* bursts are smaller: rare */
			memmove(pkts + go, pkts + done, g * sizeof(*pkts));
			memmove(keys + go, keys + done, g * sizeof(*keys));
		}
		go += g;
	}
	return go;
}

static const struct evs_opcode opcodes[EVS_CT_MOD_OP_MAX] = {
    [EVS_CT_MOD_OP_CT] = {"ct", sizeof(struct evs_ct_op), op_ct, evs_ct_op_format},
};

static void counters_get(const void *lctx, uint64_t *vals)
{
	const struct ct_mod_lcore *ml = lctx;
	unsigned int c;

	for (c = 0; c < EVS_CT_C_MAX; c++)
		vals[c] += __atomic_load_n(&ml->lc->counters[c], __ATOMIC_RELAXED);
}

static void *lcore_create(const struct evs_module_lcore_args *args)
{
	struct ct_mod_lcore *ml;

	if (args->arg == NULL) {
		errno = EINVAL;
		return NULL;
	}
	ml = rte_zmalloc_socket("ct_mod_lcore", sizeof(*ml), RTE_CACHE_LINE_SIZE, args->socket_id);
	if (ml == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	/* contexts are handed out once: a table serves one set of lcores */
	ml->lc = evs_ct_lcore_claim(args->arg);
	if (ml->lc == NULL) {
		rte_free(ml);
		return NULL;
	}
	return ml;
}

static void lcore_free(void *lctx)
{
	rte_free(lctx);
}

/* Idle lcores expire too; busy ones also expire a step per ct burst. */
static void tick(void *lctx)
{
	struct ct_mod_lcore *ml = lctx;

	evs_ct_lcore_set_now(ml->lc, evs_ct_now_ms());
	evs_ct_expire(ml->lc, EVS_CT_TICK_EXPIRE_BUDGET);
}

void evs_ct_module_poll(void *lctx)
{
	struct ct_mod_lcore *ml = lctx;

	if (ml == NULL)
		return;
	evs_ct_lcore_set_now(ml->lc, evs_ct_now_ms());
	evs_ct_expire(ml->lc, EVS_CT_POLL_EXPIRE_BUDGET);
}

const struct evs_module evs_ct_module = {
    .name = "ct",
    .opcodes = opcodes,
    .n_opcodes = EVS_CT_MOD_OP_MAX,
    .counter_names = ct_counter_names,
    .n_counters = EVS_CT_C_MAX,
    .counters_get = counters_get,
    .lcore_create = lcore_create,
    .lcore_free = lcore_free,
    .tick = tick,
    .ctl_register = evs_ct_ctl_register,
};

int evs_ct_xlate_emit(struct evs_xlate *x, const struct evs_ct_op *op, uint16_t recirc_id)
{
	struct evs_ct_op a;

	if (x == NULL || op == NULL || recirc_id == 0 ||
	    (op->flags & ~(EVS_CT_F_COMMIT | EVS_CT_F_NAT | EVS_CT_F_SET_MARK)) != 0)
		return -EINVAL;
	/* one opcode: it classifies again itself, in the same burst */
	a = *op;
	a.recirc = recirc_id;
	return evs_xlate_emit_module(x, &evs_ct_module, EVS_CT_MOD_OP_CT, &a, sizeof(a));
}

int evs_ct_xlate_emit_continue(struct evs_xlate *x, const struct evs_ct_op *op, uint16_t recirc_id)
{
	struct evs_flow_key *k;
	struct evs_ct_op a;
	int ret;

	if (x == NULL || op == NULL || recirc_id == 0 ||
	    (op->flags & ~(EVS_CT_F_COMMIT | EVS_CT_F_NAT | EVS_CT_F_SET_MARK |
			   EVS_CT_F_CONTINUE_NEW | EVS_CT_F_CONTINUE_KNOWN)) != 0)
		return -EINVAL;
	a = *op;
	a.recirc = recirc_id;
	a.flags |= EVS_CT_F_CONTINUE;
	ret = evs_xlate_emit_module(x, &evs_ct_module, EVS_CT_MOD_OP_CT, &a, sizeof(a));
	if (ret != 0)
		return ret;
	/* the later stages translate the next pass of an established packet */
	k = evs_xlate_wkey(x);
	k->recirc_id = recirc_id;
	k->ct_state = EVS_CT_TRACKED | EVS_CT_ESTABLISHED;
	k->ct_zone = op->zone;
	return 0;
}

uint8_t evs_ct_xlate_state(struct evs_xlate *x)
{
	evs_xlate_mask(x)->bits.ct_state = UINT8_MAX;
	return evs_xlate_key(x)->ct_state;
}
