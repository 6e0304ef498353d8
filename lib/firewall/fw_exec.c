/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stateful filtering of a burst: track every packet in conntrack without
 * committing, decide only the new connections with the rules, and commit
 * the allowed ones with the deciding rule's id as ct_mark. Later packets
 * of the connection (and its replies and related ICMP errors) pass on
 * conntrack state alone, so the rules are consulted once per connection.
 */

#include <string.h>

#include <rte_byteorder.h>

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

/* Commit @n packets (indexes @idx) allowed by egress rule @eg and ingress
 * rule @in; @missed: the caller's lookup just missed them. */
static void commit_pair(struct evs_ct_lcore *ctl, uint16_t zone, uint32_t eg, uint32_t in,
			const struct evs_ct_nat_range *nat, bool missed, struct rte_mbuf **pkts,
			struct evs_flow_key *keys, const uint16_t idx[], uint16_t n)
{
	struct evs_ct_action act = {.zone = zone,
				    .flags = EVS_CT_F_COMMIT | EVS_CT_F_SET_MARK |
					     EVS_CT_F_SET_LABEL | (missed ? EVS_CT_F_MISSED : 0),
				    .mark = in != 0 ? in : eg,
				    .mark_mask = UINT32_MAX};
	struct evs_flow_key k[EVS_FW_BURST_MAX];
	struct rte_mbuf *m[EVS_FW_BURST_MAX];
	uint16_t i;

	evs_fw_label_pack(act.label, eg, in);
	memset(act.label_mask, 0xff, 8);
	if (nat != NULL) {
		act.flags |= EVS_CT_F_NAT;
		act.nat = *nat;
	}
	if (idx[0] == 0 && idx[n - 1] == n - 1) { /* all of a burst in order (runs ascend) */
		evs_ct_execute_burst(ctl, &act, pkts, keys, n);
		return;
	}
	for (i = 0; i < n; i++) {
		k[i] = keys[idx[i]];
		m[i] = pkts[idx[i]];
	}
	evs_ct_execute_burst(ctl, &act, m, k, n);
	for (i = 0; i < n; i++)
		keys[idx[i]] = k[i];
}

void evs_fw_label_pack(uint8_t label[16], uint32_t egress_rule, uint32_t ingress_rule)
{
	uint32_t w[2] = {rte_cpu_to_be_32(egress_rule), rte_cpu_to_be_32(ingress_rule)};

	memcpy(label, w, sizeof(w));
}

void evs_fw_label_unpack(const uint8_t label[16], uint32_t *egress_rule, uint32_t *ingress_rule)
{
	uint32_t w[2];

	memcpy(w, label, sizeof(w));
	*egress_rule = rte_be_to_cpu_32(w[0]);
	*ingress_rule = rte_be_to_cpu_32(w[1]);
}

/* The DNAT of @a for key @k, with the source NAT a rule gives @k's source
 * (a client reaching a public address of its own network, hairpin): both
 * in one connection (EVS_CT_NAT_FULL), one range per distinct SNAT rule
 * (@of[f] made @full[f]), so a burst still commits in runs. */
static const struct evs_ct_nat_range *
dnat_range(const struct evs_fw_new_args *a, const struct evs_flow_key *k,
	   struct evs_ct_nat_range full[], const struct evs_ct_nat_range *of[], uint16_t *n_full)
{
	const struct evs_ct_nat_range *to = &a->dnat->to, *s = evs_fw_snat_of(a->fw, k);
	struct evs_ct_nat_range *r;
	uint16_t f;

	if (s == NULL)
		return to;
	for (f = 0; f < *n_full; f++)
		if (of[f] == s)
			return &full[f];
	r = &full[f];
	*r = (struct evs_ct_nat_range){.kind = EVS_CT_NAT_FULL,
				       .v6 = to->v6,
				       .port_min = to->port_min,
				       .port_max = to->port_min,
				       .snat_port_min = s->port_min,
				       .snat_port_max = s->port_max};
	memcpy(r->addr_min, to->addr_min, 16);
	memcpy(r->addr_max, to->addr_min, 16);
	memcpy(r->snat_addr, s->addr_min, 16);
	memcpy(r->snat_addr_max, s->addr_max, 16);
	of[f] = s;
	(*n_full)++;
	return r;
}

/* The pair's verdict: the first side that does not allow decides. */
static struct evs_fw_verdict combine(const struct evs_fw_verdict *eg,
				     const struct evs_fw_verdict *in)
{
	struct evs_fw_verdict v = eg->action != EVS_FW_ALLOW ? *eg : *in;

	if (v.action == EVS_FW_ALLOW) {
		v.rule_id = in->rule_id != 0 ? in->rule_id : eg->rule_id;
		v.stateless = eg->stateless || in->stateless;
	}
	return v;
}

/* Ingress rules per destination port: the packets of each port together. */
static void ingress_by_port(const struct evs_fw_new_args *a, struct fw_lcore *lc,
			    const struct evs_flow_key *const kp[], uint16_t n,
			    struct evs_fw_verdict in[])
{
	uint64_t todo = n == 64 ? UINT64_MAX : (UINT64_C(1) << n) - 1;

	while (todo != 0) {
		unsigned int i = (unsigned int)__builtin_ctzll(todo);
		int32_t port = a->dst_ports[i];
		const struct evs_flow_key *sk[EVS_FW_BURST_MAX];
		struct evs_fw_verdict sv[EVS_FW_BURST_MAX];
		uint16_t idx[EVS_FW_BURST_MAX], m = 0, j;

		for (j = (uint16_t)i; j < n; j++)
			if ((todo >> j & 1) && a->dst_ports[j] == port) {
				sk[m] = kp[j];
				idx[m++] = j;
				todo &= ~(UINT64_C(1) << j);
			}
		if (port < 0)
			continue; /* to no filtered port: its verdict stays allow */
		fw_classify(a->fw, lc, (uint16_t)port, EVS_FW_INGRESS, sk, m, sv);
		for (j = 0; j < m; j++)
			in[idx[j]] = sv[j];
	}
}

uint16_t evs_fw_new_burst(const struct evs_fw_new_args *a, struct rte_mbuf **pkts,
			  struct evs_flow_key *keys, uint16_t n, struct evs_fw_verdict out[])
{
	static const struct evs_fw_verdict pass = {.action = EVS_FW_ALLOW};
	struct fw_lcore *lc = a->dry_run ? NULL : &a->fw->lcores[a->lcore];
	const struct evs_flow_key *kp[EVS_FW_BURST_MAX];
	struct evs_fw_verdict eg[EVS_FW_BURST_MAX], in[EVS_FW_BURST_MAX];
	const struct evs_ct_nat_range *nat[EVS_FW_BURST_MAX], *full_of[EVS_FW_BURST_MAX];
	struct evs_ct_nat_range full[EVS_FW_BURST_MAX];
	uint16_t run[EVS_FW_BURST_MAX];
	uint16_t i, j, denied = 0, n_full = 0;
	uint64_t done = 0;   /* bit i: packet i committed or not to be */
	uint64_t missed = 0; /* bit i: the first pass's lookup missed packet i */

	RTE_ASSERT(n <= EVS_FW_BURST_MAX && a->lcore < a->fw->cfg.n_lcores);
	for (i = 0; i < n; i++) {
		kp[i] = &keys[i];
		eg[i] = pass;
		in[i] = pass;
	}
	if (a->src_port >= 0)
		fw_classify(a->fw, lc, (uint16_t)a->src_port, EVS_FW_EGRESS, kp, n, eg);
	if (a->dst_ports != NULL) {
		ingress_by_port(a, lc, kp, n, in);
	} else if (a->dst_port >= 0 && a->dnat != NULL) {
		/* the destination's rules see where the connection really goes */
		struct evs_flow_key tk[EVS_FW_BURST_MAX];
		const struct evs_flow_key *tp[EVS_FW_BURST_MAX];

		for (i = 0; i < n; i++) {
			tk[i] = keys[i];
			evs_fw_dnat_apply(a->dnat, &tk[i]);
			tp[i] = &tk[i];
		}
		fw_classify(a->fw, lc, (uint16_t)a->dst_port, EVS_FW_INGRESS, tp, n, in);
	} else if (a->dst_port >= 0) {
		fw_classify(a->fw, lc, (uint16_t)a->dst_port, EVS_FW_INGRESS, kp, n, in);
	}
	for (i = 0; i < n; i++) {
		out[i] = combine(&eg[i], &in[i]);
		if (out[i].action != EVS_FW_ALLOW) {
			denied++;
			done |= UINT64_C(1) << i;
		} else if (a->dry_run || out[i].stateless || !(keys[i].ct_state & EVS_CT_TRACKED) ||
			   (keys[i].ct_state & EVS_CT_INVALID)) {
			done |= UINT64_C(1) << i;
		}
	}
	for (i = 0; i < n; i++) {
		/* ct translates only connections it found: +new untranslated missed */
		if (a->looked_up &&
		    (keys[i].ct_state & (EVS_CT_NEW | EVS_CT_SNAT | EVS_CT_DNAT)) == EVS_CT_NEW)
			missed |= UINT64_C(1) << i;
		nat[i] = done >> i & 1	   ? NULL
			 : a->dnat != NULL ? dnat_range(a, &keys[i], full, full_of, &n_full)
					   : evs_fw_snat_of(a->fw, &keys[i]);
	}
	/* One commit per distinct rule pair (mark and label), NAT range and
	 * lookup outcome. */
	for (i = 0; i < n; i++) {
		uint16_t n_run = 0;

		if (done >> i & 1)
			continue;
		for (j = i; j < n; j++)
			if (!(done >> j & 1) && eg[j].rule_id == eg[i].rule_id &&
			    in[j].rule_id == in[i].rule_id && nat[j] == nat[i] &&
			    (missed >> j & 1) == (missed >> i & 1)) {
				run[n_run++] = j;
				done |= UINT64_C(1) << j;
			}
		commit_pair(a->ct, a->zone, eg[i].rule_id, in[i].rule_id, nat[i], missed >> i & 1,
			    pkts, keys, run, n_run);
	}
	return denied;
}
