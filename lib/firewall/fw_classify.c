/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The per-packet decision: split the burst by address family, run it
 * through each of the port's group contexts (one rte_acl_classify call per
 * group), keep the best match per packet, count and log.
 */

#include <errno.h>

#include <rte_acl.h>
#include <rte_ether.h>

#include "fw_private.h"

/* Higher priority first, then lower id: the order the contexts were ranked in. */
static inline bool better(const struct fw_rule_rt *r, const struct fw_rule_rt *best)
{
	return best == NULL || r->priority > best->priority ||
	       (r->priority == best->priority && r->id < best->id);
}

static void classify_af(const struct fw_bind *b, enum evs_fw_dir dir, enum fw_af af,
			const uint8_t *data[], const uint16_t idx[], uint32_t cnt,
			const struct fw_rule_rt *best[])
{
	uint32_t res[EVS_FW_BURST_MAX];
	uint32_t g, j;

	for (g = 0; g < b->n; g++) {
		const struct fw_tables *t = b->t[g];
		const struct rte_acl_ctx *ctx = t->ctx[dir][af];

		if (ctx == NULL)
			continue;
		rte_acl_classify(ctx, data, res, cnt, 1);
		for (j = 0; j < cnt; j++) {
			const struct fw_rule_rt *r;

			if (res[j] == 0)
				continue;
			r = &t->rules[res[j] - 1];
			if (better(r, best[idx[j]]))
				best[idx[j]] = r;
		}
	}
}

static const uint8_t action_counter[] = {
    [EVS_FW_ALLOW] = EVS_FW_C_ALLOW,
    [EVS_FW_DENY] = EVS_FW_C_DENY,
    [EVS_FW_REJECT] = EVS_FW_C_REJECT,
};

uint16_t evs_fw_classify_burst(struct evs_fw *fw, uint32_t lcore, uint16_t port,
			       enum evs_fw_dir dir, const struct evs_flow_key *const keys[],
			       uint16_t n, struct evs_fw_verdict out[])
{
	RTE_ASSERT(lcore < fw->cfg.n_lcores);
	return fw_classify(fw, &fw->lcores[lcore], port, dir, keys, n, out);
}

int evs_fw_decide(struct evs_fw *fw, uint16_t port, enum evs_fw_dir dir,
		  const struct evs_flow_key *key, struct evs_fw_verdict *out)
{
	if (fw == NULL || key == NULL || out == NULL || (unsigned int)dir >= EVS_FW_DIR_MAX)
		return -EINVAL;
	fw_classify(fw, NULL, port, dir, &key, 1, out);
	return 0;
}

uint16_t fw_classify(struct evs_fw *fw, struct fw_lcore *lc, uint16_t port, enum evs_fw_dir dir,
		     const struct evs_flow_key *const keys[], uint16_t n,
		     struct evs_fw_verdict out[])
{
	const struct fw_rule_rt *best[EVS_FW_BURST_MAX];
	const uint8_t *data[FW_AF_MAX][EVS_FW_BURST_MAX];
	uint16_t idx[FW_AF_MAX][EVS_FW_BURST_MAX];
	uint32_t cnt[FW_AF_MAX] = {0, 0};
	const struct fw_bind *b = NULL;
	uint64_t is_ip = 0; /* bit i: keys[i] went through the contexts */
	uint16_t i, denied = 0;

	RTE_ASSERT(n <= EVS_FW_BURST_MAX);
	/* Acquire pairs with the commit's release: the tables are complete. */
	if (port < fw->cfg.max_ports)
		b = __atomic_load_n(&fw->binds[port], __ATOMIC_ACQUIRE);
	for (i = 0; i < n; i++) {
		rte_be16_t et = keys[i]->ethertype;
		enum fw_af af;

		best[i] = NULL;
		if (b != NULL && et == RTE_BE16(RTE_ETHER_TYPE_IPV4))
			af = FW_V4;
		else if (b != NULL && et == RTE_BE16(RTE_ETHER_TYPE_IPV6))
			af = FW_V6;
		else {
			out[i] = (struct evs_fw_verdict){.action = EVS_FW_ALLOW};
			if (lc != NULL)
				lc->counters[EVS_FW_C_UNFILTERED]++;
			continue;
		}
		data[af][cnt[af]] = (const uint8_t *)keys[i];
		idx[af][cnt[af]++] = i;
		is_ip |= UINT64_C(1) << i;
	}
	if (b == NULL)
		return 0;
	if (cnt[FW_V4] != 0)
		classify_af(b, dir, FW_V4, data[FW_V4], idx[FW_V4], cnt[FW_V4], best);
	if (cnt[FW_V6] != 0)
		classify_af(b, dir, FW_V6, data[FW_V6], idx[FW_V6], cnt[FW_V6], best);
	for (i = 0; i < n; i++) {
		const struct fw_rule_rt *r = best[i];

		if (!(is_ip >> i & 1))
			continue;
		if (r != NULL)
			out[i] = (struct evs_fw_verdict){
			    .rule_id = r->id, .action = r->action, .stateless = r->stateless};
		else
			out[i] = (struct evs_fw_verdict){.action = EVS_FW_DENY};
		denied += out[i].action != EVS_FW_ALLOW;
		if (lc == NULL)
			continue; /* a trace's look: no counter, no log */
		/* Single writer per lcore: the control plane reads relaxed. */
		if (r != NULL) {
			lc->hits[r->slot]++;
			lc->counters[action_counter[r->action]]++;
		} else {
			lc->counters[EVS_FW_C_DEFAULT_DENY]++;
		}
		if (out[i].action != EVS_FW_ALLOW)
			fw_log_denied(fw, lc, port, dir, keys[i], &out[i]);
	}
	return denied;
}
