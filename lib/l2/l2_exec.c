/* SPDX-License-Identifier: BSD-3-Clause */
/* L2's opcode executors (PMD lcores): flood. */

#include <stdio.h>

#include "l2_private.h"

static bool exec_sink(void *arg, struct rte_mbuf *m, uint16_t port)
{
	evs_exec_tx(arg, port, &m, 1);
	return true;
}

static uint16_t op_flood(struct evs_exec *x, const void *arg, struct rte_mbuf **pkts,
			 struct evs_flow_key *keys, uint16_t n)
{
	const struct evs_l2_flood_arg *a = arg;
	const struct evs_l2_state *s = evs_exec_state(x);
	struct evs_l2_lcore *lc = evs_exec_lcore(x);
	struct l2_counts cnt;
	uint16_t i, sw;
	unsigned int r;

	/* the member list is today's: the switch may have changed since translation */
	sw = s != NULL && s->conf != NULL ? evs_l2_conf_switch_index(s->conf, a->switch_id)
					  : EVS_L2_NONE;
	if (unlikely(sw == EVS_L2_NONE)) {
		evs_exec_drop(x, EVS_L2_DROP_NO_SWITCH, pkts, n);
		return 0;
	}
	memset(&cnt, 0, sizeof(cnt));
	for (i = 0; i < n; i++)
		l2_flood(s->conf, evs_exec_pool(x), pkts[i], &keys[i], sw, exec_sink, x, &cnt);
	/* drops go to the engine's per-reason counters, the rest to L2's */
	for (r = 0; r < EVS_L2_DROP_MAX; r++)
		if (cnt.drops[r] != 0)
			evs_exec_drop_count(x, (uint16_t)r, (uint16_t)cnt.drops[r]);
	memset(cnt.drops, 0, sizeof(cnt.drops));
	l2_counts_flush(lc, &cnt);
	return 0;
}

static int fmt_flood(const void *arg, char *buf, size_t len)
{
	return snprintf(buf, len, "switch=%u", ((const struct evs_l2_flood_arg *)arg)->switch_id);
}

const struct evs_opcode l2_opcodes[EVS_L2_OP_MAX] = {
    [EVS_L2_OP_FLOOD] = {.name = "flood",
			 .arg_size = sizeof(struct evs_l2_flood_arg),
			 .exec = op_flood,
			 .format = fmt_flood},
};
