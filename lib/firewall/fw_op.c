/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The `fw` opcode: new connections of one megaflow through both ports'
 * rules (evs_fw_new_burst), allowed ones committed and passed on, denied
 * ones dropped, rejected ones answered (TCP RST, ICMP port unreachable)
 * out of the port they came in by, at most EVS_FW_REJECT_RATE answers a
 * second per lcore.
 */

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>

#include "fw_module_private.h"

/* A token per answer, refilled once a second. */
static bool answer_allowed(struct fw_mod_lcore *ml)
{
	uint64_t now = rte_get_tsc_cycles();

	if (now - ml->bucket_tsc >= ml->hz) {
		ml->bucket_tsc = now;
		ml->tokens = EVS_FW_REJECT_RATE;
	}
	if (ml->tokens == 0)
		return false;
	ml->tokens--;
	return true;
}

static void answer(struct evs_exec *x, struct fw_mod_lcore *ml, struct rte_mbuf *m,
		   const struct evs_flow_key *k)
{
	struct rte_mbuf *a;

	if (!answer_allowed(ml)) {
		ml->counters[EVS_FW_MC_REJECT_LIMITED]++;
		return;
	}
	a = k->ip_proto == IPPROTO_TCP ? evs_fw_build_tcp_rst(evs_exec_pool(x), m, k)
				       : evs_fw_build_icmp_unreach(evs_exec_pool(x), m, k);
	if (a == NULL) {
		ml->counters[EVS_FW_MC_REJECT_FAILED]++;
		return;
	}
	ml->counters[EVS_FW_MC_REJECT_SENT]++;
	evs_exec_tx(x, k->in_port, &a, 1);
}

/* The program's DNAT rule, if the published table still has it at that
 * index (a table replaced since translation is caught up by the dependency
 * bump; until then such a connection is not translated). */
static const struct evs_fw_dnat *
dnat_checked(const struct evs_fw *fw, const struct evs_fw_op_new *op, const struct evs_flow_key *k)
{
	if (op->dnat == 0 || evs_fw_dnat_of(fw, k) != op->dnat - 1)
		return NULL;
	return evs_fw_dnat_at(fw, op->dnat - 1u);
}

static uint16_t chunk(struct evs_exec *x, const struct evs_fw_mod_state *s, struct fw_mod_lcore *ml,
		      const struct evs_fw_op_new *op, struct rte_mbuf **pkts,
		      struct evs_flow_key *keys, uint16_t n, struct rte_mbuf **out_pkts,
		      struct evs_flow_key *out_keys)
{
	struct evs_fw_new_args a = {.fw = s->fw,
				    .lcore = ml->fw_lcore,
				    .ct = ml->ct,
				    .zone = op->zone,
				    .src_port = op->src_port,
				    .dst_port = op->dst_port,
				    .dry_run = evs_exec_tracing(x),
				    .looked_up = true, /* by the first pass's ct */
				    .dnat = dnat_checked(s->fw, op, &keys[0])};
	struct evs_fw_verdict v[EVS_FW_BURST_MAX];
	struct rte_mbuf *drop[EVS_FW_DROP_MAX][EVS_FW_BURST_MAX];
	uint16_t n_drop[EVS_FW_DROP_MAX] = {0};
	int32_t dst_ports[EVS_FW_BURST_MAX];
	uint16_t i, kept = 0;

	if (op->dst_port == EVS_FW_PORT_BY_DST) {
		for (i = 0; i < n; i++)
			dst_ports[i] = evs_fw_vnic_of(s->fw, &keys[i]);
		a.dst_ports = dst_ports;
	}
	evs_fw_new_burst(&a, pkts, keys, n, v);
	for (i = 0; i < n; i++) {
		enum evs_fw_drop why;

		if (v[i].action == EVS_FW_ALLOW) {
			if (!(keys[i].ct_state & EVS_CT_INVALID)) {
				ml->counters[EVS_FW_MC_NEW] += !a.dry_run;
				/* out_* is at or before the packet: never ahead of the reading */
				out_pkts[kept] = pkts[i];
				if (&out_keys[kept] != &keys[i])
					out_keys[kept] = keys[i];
				kept++;
				continue;
			}
			why = EVS_FW_DROP_CT_REFUSED; /* the commit was refused (limits) */
		} else if (v[i].action == EVS_FW_REJECT) {
			if (!a.dry_run)
				answer(x, ml, pkts[i], &keys[i]);
			why = EVS_FW_DROP_REJECT;
		} else {
			why = EVS_FW_DROP_DENY;
		}
		drop[why][n_drop[why]++] = pkts[i];
	}
	for (i = 0; i < EVS_FW_DROP_MAX; i++)
		if (n_drop[i] != 0)
			evs_exec_drop(x, i, drop[i], n_drop[i]);
	return kept;
}

static uint16_t op_new(struct evs_exec *x, const void *arg, struct rte_mbuf **pkts,
		       struct evs_flow_key *keys, uint16_t n)
{
	const struct evs_fw_mod_state *s = evs_exec_state(x);
	struct fw_mod_lcore *ml = evs_exec_lcore(x);
	struct evs_fw_op_new op;
	uint16_t done, kept = 0;

	if (s == NULL || s->fw == NULL)
		return n; /* the firewall went away since translation: nothing filters */
	memcpy(&op, arg, sizeof(op));
	evs_ct_lcore_set_now(ml->ct, evs_ct_now_ms());
	for (done = 0; done < n; done += EVS_FW_BURST_MAX) {
		uint16_t c = (uint16_t)RTE_MIN(n - done, EVS_FW_BURST_MAX);

		/* kept <= done: compacting to the front never overwrites unread packets */
		kept += chunk(x, s, ml, &op, pkts + done, keys + done, c, pkts + kept, keys + kept);
	}
	evs_ct_expire(ml->ct, 32);
	return kept;
}

static int op_format(const void *arg, char *buf, size_t len)
{
	struct evs_fw_op_new op;

	memcpy(&op, arg, sizeof(op));
	if (op.dst_port == EVS_FW_PORT_BY_DST)
		return snprintf(buf, len, "src_port=%d,dst_port=by_dst,zone=%u%s", op.src_port,
				op.zone, op.dnat != 0 ? ",dnat" : "");
	return snprintf(buf, len, "src_port=%d,dst_port=%d,zone=%u%s", op.src_port, op.dst_port,
			op.zone, op.dnat != 0 ? ",dnat" : "");
}

const struct evs_opcode fw_opcodes[EVS_FW_OP_MAX] = {
    [EVS_FW_OP_NEW] = {"fw", sizeof(struct evs_fw_op_new), op_new, op_format},
};
