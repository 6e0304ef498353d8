/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ct() opcode as a thin layer for pipeline modules: a module's opcode
 * executor hands its burst and argument here; this turns the argument into
 * an action, runs the library 64 packets at a time, copies the mark into
 * the keys and keeps the expiry wheel turning while traffic flows (the
 * module's once-a-second tick covers idle lcores).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ct_private.h"

#define OP_EXPIRE_STEP 32

struct evs_ct_lcore *evs_ct_lcore_claim(struct evs_ct *ct)
{
	/* relaxed: only the count matters; contexts were set up at create */
	uint32_t i = atomic_fetch_add_explicit(&ct->lcores_claimed, 1, memory_order_relaxed);

	if (i >= ct->n_lcores) {
		atomic_fetch_sub_explicit(&ct->lcores_claimed, 1, memory_order_relaxed);
		errno = ENOSPC;
		return NULL;
	}
	return &ct->lcores[i];
}

uint16_t evs_ct_op_run(const struct evs_ct_op_ctx *ctx, const struct evs_ct_op *op,
		       struct rte_mbuf **pkts, struct evs_flow_key *keys, uint16_t n)
{
	struct evs_ct_lcore *lc = ctx->lc;
	struct evs_ct_action act;
	uint16_t done, chunk;

	memset(&act, 0, sizeof(act));
	act.zone = op->zone;
	act.flags = op->flags & (EVS_CT_F_COMMIT | EVS_CT_F_NAT | EVS_CT_F_SET_MARK);
	act.mark = op->mark;
	act.mark_mask = op->mark_mask;
	if (op->nat != 0 && op->nat <= ctx->n_nat)
		act.nat = ctx->nat[op->nat - 1];
	evs_ct_lcore_set_now(lc, ctx->clock != NULL ? ctx->clock() : evs_ct_now_ms());
	for (done = 0; done < n; done += chunk) {
		chunk = (uint16_t)RTE_MIN(n - done, EVS_CT_BURST_MAX);
		/* the mark goes into the keys as each packet is done */
		ct_execute(lc, &act, &pkts[done], &keys[done], chunk, true);
	}
	evs_ct_expire(lc, OP_EXPIRE_STEP);
	return n;
}

/* snprintf at offset @w of @buf (a length so far, or < 0 for an error). */
static int __attribute__((format(printf, 4, 5)))
append(char *buf, size_t len, int w, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (w < 0)
		return w;
	va_start(ap, fmt);
	k = vsnprintf(buf + RTE_MIN((size_t)w, len), len > (size_t)w ? len - (size_t)w : 0, fmt,
		      ap);
	va_end(ap);
	return k < 0 ? k : w + k;
}

int evs_ct_op_format(const void *arg, char *buf, size_t len)
{
	const struct evs_ct_op *op = arg;
	int w;

	w = append(buf, len, 0, "zone=%u%s", op->zone,
		   (op->flags & EVS_CT_F_COMMIT) ? ",commit" : "");
	if (op->flags & EVS_CT_F_NAT)
		w = append(buf, len, w, ",nat=%u", op->nat);
	if (op->flags & EVS_CT_F_SET_MARK)
		w = append(buf, len, w, ",mark=%#x/%#x", op->mark, op->mark_mask);
	if (op->recirc != 0)
		w = append(buf, len, w, ",recirc=%#x%s%s%s", op->recirc,
			   (op->flags & EVS_CT_F_CONTINUE) ? ",continue" : "",
			   (op->flags & EVS_CT_F_CONTINUE_NEW) ? "+new" : "",
			   (op->flags & EVS_CT_F_CONTINUE_KNOWN) ? "+known" : "");
	return w;
}
