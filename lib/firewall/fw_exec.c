/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stateful filtering of a burst: track every packet in conntrack without
 * committing, decide only the new connections with the rules, and commit
 * the allowed ones with the deciding rule's id as ct_mark. Later packets
 * of the connection (and its replies and related ICMP errors) pass on
 * conntrack state alone, so the rules are consulted once per connection.
 */

#include <string.h>

#include "fw_private.h"

/* Commit @n packets (indexes @idx) allowed by rule @rule in @zone. */
static void commit_run(struct evs_ct_lcore *ctl, uint16_t zone, uint32_t rule,
		       struct rte_mbuf **pkts, struct evs_flow_key *keys, const uint16_t idx[],
		       uint16_t n)
{
	struct evs_ct_action act = {.zone = zone,
				    .flags = EVS_CT_F_COMMIT | EVS_CT_F_SET_MARK,
				    .mark = rule,
				    .mark_mask = UINT32_MAX};
	struct evs_flow_key k[EVS_FW_BURST_MAX];
	struct rte_mbuf *m[EVS_FW_BURST_MAX];
	uint16_t i;

	for (i = 0; i < n; i++) {
		k[i] = keys[idx[i]];
		m[i] = pkts[idx[i]];
	}
	evs_ct_execute_burst(ctl, &act, m, k, n);
	for (i = 0; i < n; i++)
		keys[idx[i]] = k[i];
}

uint16_t evs_fw_ct_burst(const struct evs_fw_ct_args *a, struct rte_mbuf **pkts,
			 struct evs_flow_key *keys, uint16_t n, struct evs_fw_verdict out[])
{
	struct evs_ct_action track = {.zone = a->zone};
	const struct evs_flow_key *newk[EVS_FW_BURST_MAX];
	struct evs_fw_verdict nv[EVS_FW_BURST_MAX];
	uint16_t newi[EVS_FW_BURST_MAX], run[EVS_FW_BURST_MAX];
	uint16_t i, j, n_new = 0, denied = 0;
	uint64_t done = 0; /* bit j: new packet j committed */

	RTE_ASSERT(n <= EVS_FW_BURST_MAX);
	evs_ct_execute_burst(a->ct, &track, pkts, keys, n);
	for (i = 0; i < n; i++) {
		uint8_t st = keys[i].ct_state;

		if (st & EVS_CT_INVALID) {
			out[i] = (struct evs_fw_verdict){.action = EVS_FW_DENY};
			a->fw->lcores[a->lcore].counters[EVS_FW_C_CT_INVALID]++;
			denied++;
		} else if (!(st & EVS_CT_TRACKED) || (st & EVS_CT_NEW)) {
			/* new connection, or not trackable (then the rules decide alone) */
			newk[n_new] = &keys[i];
			newi[n_new++] = i;
		} else {
			out[i] = (struct evs_fw_verdict){
			    .rule_id = evs_ct_burst_meta(a->ct, i)->mark, .action = EVS_FW_ALLOW};
		}
	}
	if (n_new == 0)
		return denied;
	denied += evs_fw_classify_burst(a->fw, a->lcore, a->port, a->dir, newk, n_new, nv);
	for (j = 0; j < n_new; j++) {
		uint16_t n_run = 0, k;

		out[newi[j]] = nv[j];
		if (nv[j].action != EVS_FW_ALLOW || nv[j].stateless ||
		    !(keys[newi[j]].ct_state & EVS_CT_TRACKED) || (done >> j & 1))
			continue;
		/* One commit per deciding rule: its id becomes the mark. */
		for (k = j; k < n_new; k++)
			if (!(done >> k & 1) && nv[k].action == EVS_FW_ALLOW && !nv[k].stateless &&
			    nv[k].rule_id == nv[j].rule_id &&
			    (keys[newi[k]].ct_state & EVS_CT_TRACKED)) {
				run[n_run++] = newi[k];
				done |= UINT64_C(1) << k;
			}
		commit_run(a->ct, a->zone, nv[j].rule_id, pkts, keys, run, n_run);
	}
	return denied;
}
