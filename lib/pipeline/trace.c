/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * flow.trace: a packet through every pass, translated and executed with
 * outputs and punts described instead of done.
 */

#include <errno.h>
#include <string.h>

#include "pipeline_private.h"

int evs_pipeline_trace(struct evs_pipeline_lcore *pl, const struct evs_pipeline_state *st,
		       struct rte_mbuf *m, const struct evs_flow_key *key, struct evs_trace *trace)
{
	uint8_t prog[EVS_PROG_MAX] __rte_aligned(8);
	struct evs_flow_key k;
	uint8_t pass;

	if (pl == NULL || st == NULL || m == NULL || key == NULL || trace == NULL) {
		rte_pktmbuf_free(m);
		return -EINVAL;
	}
	trace->n = 0;
	trace->n_passes = 0;
	k = *key;
	pl->n_recirc = 0;
	for (pass = 0; pass <= EVS_RECIRC_MAX_DEPTH; pass++) {
		struct evs_trace_pass *tp = &trace->passes[trace->n_passes++];
		struct evs_exec x = {.pl = pl, .st = st, .mod = ENGINE_MOD, .depth = pass};
		int len = xlate_run(pl, st, &k, &tp->mask, prog, trace, pass);

		tp->key = k;
		evs_prog_format(pl->reg, prog, (size_t)(len < 0 ? -len : len), tp->actions,
				sizeof(tp->actions), NULL, NULL);
		tp->result[0] = '\0';
		x.tracing = true;
		x.result = tp->result;
		x.result_len = sizeof(tp->result);
		exec_prog(&x, (const struct prog_hdr *)prog, &m, &k, 1);
		if (pl->n_recirc == 0)
			break;
		/* follow the packet into its next pass, as the datapath would */
		pl->n_recirc = 0;
		m = pl->recirc_pkts[0];
		if (evs_packet_parse(m, k.in_port, &k) != EVS_DROP_NONE) {
			rte_pktmbuf_free(m);
			strcpy(tp->result + strnlen(tp->result, sizeof(tp->result) - 24),
			       ", re-parse failed");
			break;
		}
		key_keep_meta(&k, &pl->recirc_keys[0]);
	}
	return 0;
}
