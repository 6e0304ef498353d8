/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flooding: one frame to every member of its switch but the input port,
 * re-encoded per port. Shared by the L2 flood opcode and evs_l2_execute_burst.
 */
#include <rte_branch_prediction.h>

#include "l2_private.h"

/* Not back out of its input port, nor from one tunnel port to another. */
static inline bool skip(uint16_t port, uint16_t in)
{
	return port == in || (in >= EVS_L2_TUNNEL_BASE && port >= EVS_L2_TUNNEL_BASE);
}

void l2_flood(const struct evs_l2_conf *conf, struct rte_mempool *pool, struct rte_mbuf *m,
	      const struct evs_flow_key *key, uint16_t sw, l2_sink_fn sink, void *arg,
	      struct l2_counts *cnt)
{
	const struct evs_l2_switch_info *s = &conf->switches[sw];
	const struct evs_l2_member *mem = &conf->members[s->members_off];
	uint16_t in = key->in_port;
	int j, last = -1;

	for (j = 0; j < s->nb_members; j++)
		if (!skip(mem[j].port, in))
			last = j;
	if (last < 0) {
		rte_pktmbuf_free(m);
		cnt->drops[EVS_L2_DROP_FLOOD_EMPTY]++;
		return;
	}
	cnt->flooded++;
	for (j = 0; j <= last; j++) {
		struct rte_mbuf *c;

		if (skip(mem[j].port, in))
			continue;
		if (j == last) {
			c = m;
		} else {
			/* copy before the original's tag is touched */
			c = rte_pktmbuf_copy(m, pool, 0, UINT32_MAX);
			if (unlikely(c == NULL)) {
				cnt->drops[EVS_L2_DROP_NO_MBUF]++;
				continue;
			}
			cnt->copies++;
		}
		if (unlikely(evs_packet_vlan_encode(c, key->vlan_tci, mem[j].tci) < 0)) {
			rte_pktmbuf_free(c);
			cnt->drops[EVS_L2_DROP_NO_MBUF]++;
			continue;
		}
		if (unlikely(!sink(arg, c, mem[j].port))) {
			/* count every output lost, free the original once */
			for (; j <= last; j++)
				if (!skip(mem[j].port, in))
					cnt->drops[EVS_L2_DROP_TX_FULL]++;
			rte_pktmbuf_free(c);
			if (c != m)
				rte_pktmbuf_free(m);
			return;
		}
	}
}

void l2_counts_flush(struct evs_l2_lcore *lc, const struct l2_counts *cnt)
{
	unsigned int r;

	if (cnt->unicast)
		cnt_add(&lc->st.unicast, cnt->unicast);
	if (cnt->flooded)
		cnt_add(&lc->st.flooded, cnt->flooded);
	if (cnt->copies)
		cnt_add(&lc->st.flood_copies, cnt->copies);
	for (r = 0; r < EVS_L2_DROP_MAX; r++)
		if (cnt->drops[r])
			cnt_add(&lc->st.drops[r], cnt->drops[r]);
}
