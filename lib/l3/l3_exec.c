/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The route opcode: evs_l3_forward_burst on the packets of one megaflow;
 * the ones it forwarded go on (their keys get the new MACs), the others are
 * dropped with their reason.
 */
#include "l3_private.h"

static const uint16_t fwd_drop[] = {
    [EVS_L3_FWD_TOO_BIG] = EVS_L3_DROP_TOO_BIG,
    [EVS_L3_FWD_NO_FRAG] = EVS_L3_DROP_NO_FRAG,
    [EVS_L3_FWD_TTL] = EVS_L3_DROP_TTL,
    [EVS_L3_FWD_SOURCE_ROUTE] = EVS_L3_DROP_SOURCE_ROUTE,
};

static uint16_t route_exec(struct evs_exec *x, const void *arg, struct rte_mbuf **pkts,
			   struct evs_flow_key *keys, uint16_t n)
{
	const struct evs_l3_route_arg *a = arg;
	uint8_t res[EVS_CLS_BURST_MAX];
	uint16_t done, i, k, out = 0;

	for (done = 0; done < n; done += k) {
		k = RTE_MIN(n - done, EVS_CLS_BURST_MAX);
		evs_l3_forward_burst(pkts + done, k, &a->src_mac, &a->dst_mac, a->mtu, res);
		for (i = 0; i < k; i++) {
			uint16_t j = done + i;

			if (res[i] != EVS_L3_FWD_OK) {
				evs_exec_drop(x, fwd_drop[res[i]], &pkts[j], 1);
				continue;
			}
			if (out != j) {
				pkts[out] = pkts[j];
				keys[out] = keys[j];
			}
			keys[out].src_mac = a->src_mac;
			keys[out].dst_mac = a->dst_mac;
			out++;
		}
	}
	return out;
}

static int route_format(const void *arg, char *buf, size_t len)
{
	const struct evs_l3_route_arg *a = arg;
	char s[RTE_ETHER_ADDR_FMT_SIZE], d[RTE_ETHER_ADDR_FMT_SIZE];

	rte_ether_format_addr(s, sizeof(s), &a->src_mac);
	rte_ether_format_addr(d, sizeof(d), &a->dst_mac);
	return snprintf(buf, len, "src=%s,dst=%s,mtu=%u", s, d, a->mtu);
}

const struct evs_opcode l3_opcodes[EVS_L3_OP_MAX] = {
    [EVS_L3_OP_ROUTE] = {.name = "route",
			 .arg_size = sizeof(struct evs_l3_route_arg),
			 .exec = route_exec,
			 .format = route_format},
};
