/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Pipeline stage: L2 switching. Consults, in the order lib/l2 decides:
 * the input port and VLAN (ingress switch), the source's group bit
 * (multicast sources are dropped), enough of the source to tell it from
 * 00:00:00:00:00:00, the destination's group bit, for a multicast
 * destination enough of it to tell it from the link-local group
 * 01:80:c2:00:00:0x (dropped; others flood), and only for a unicast
 * destination the whole destination MAC (looked up in the MAC table, so the
 * program depends on the table's generation).
 */

#include <stdio.h>

#include "pipeline_private.h"

/*
 * Record in @mask what proves @v differs from @ref in the bits of @care:
 * the bits up to the first differing one (bytes in order, each from its
 * lowest bit), not the whole value, so that most values share a megaflow
 * and only a few masks exist. Any key under that mask has the same first
 * difference, hence the same mask. When @v matches, all of @care is needed.
 * Returns whether they differ.
 */
static bool mask_differs(const uint8_t *v, const uint8_t *ref, const uint8_t *care, uint8_t *mask,
			 unsigned int len)
{
	unsigned int i;

	for (i = 0; i < len; i++) {
		unsigned int d = (v[i] ^ ref[i]) & care[i];

		if (d != 0) {
			d &= -d; /* lowest differing bit */
			mask[i] |= (uint8_t)(care[i] & (d | (d - 1)));
			return true;
		}
		mask[i] |= care[i];
	}
	return false;
}

static const uint8_t mac_zero[RTE_ETHER_ADDR_LEN];
static const uint8_t mac_ones[RTE_ETHER_ADDR_LEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t link_local[RTE_ETHER_ADDR_LEN] = {0x01, 0x80, 0xc2, 0x00, 0x00, 0x00};
static const uint8_t link_local_care[RTE_ETHER_ADDR_LEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xf0};

enum stage_verdict stage_l2_xlate(const struct evs_pipeline_state *st, struct evs_l2_lcore *lc,
				  const struct evs_flow_key *key, struct evs_flow_mask *mask,
				  struct evs_prog *prog, char *why, size_t why_len)
{
	struct evs_act act = {.type = EVS_ACT_L2};
	struct evs_l2_action *a = &act.l2;

	mask->bits.in_port = UINT16_MAX;
	mask->bits.vlan_tci |= EVS_VLAN_PRESENT | EVS_VLAN_VID_MASK;
	evs_l2_decide_burst(st->l2, st->macs, lc, key, 1, a);
	prog_append(prog, &act);

	if (a->type == EVS_L2_ACT_DROP &&
	    (a->reason == EVS_DROP_NO_SWITCH || a->reason == EVS_DROP_VLAN_NOT_MEMBER)) {
		snprintf(why, why_len, "drop: %s (port %u, vlan %s%u)",
			 evs_drop_reason_name(a->reason), key->in_port,
			 key->vlan_tci & EVS_VLAN_PRESENT ? "" : "untagged ",
			 key->vlan_tci & EVS_VLAN_VID_MASK);
		return STAGE_DONE;
	}
	mask->bits.src_mac.addr_bytes[0] |= 0x01;
	if (a->type == EVS_L2_ACT_DROP && a->reason == EVS_DROP_SRC_MAC_MCAST) {
		snprintf(why, why_len, "drop: multicast source MAC");
		return STAGE_DONE;
	}
	if (!mask_differs(key->src_mac.addr_bytes, mac_zero, mac_ones,
			  mask->bits.src_mac.addr_bytes, RTE_ETHER_ADDR_LEN)) {
		snprintf(why, why_len, "drop: all-zero source MAC");
		return STAGE_DONE;
	}
	mask->bits.dst_mac.addr_bytes[0] |= 0x01;
	if (rte_is_multicast_ether_addr(&key->dst_mac) &&
	    !mask_differs(key->dst_mac.addr_bytes, link_local, link_local_care,
			  mask->bits.dst_mac.addr_bytes, RTE_ETHER_ADDR_LEN)) {
		snprintf(why, why_len, "drop: link-local destination (802.1D reserved group)");
		return STAGE_DONE;
	}
	if (!rte_is_multicast_ether_addr(&key->dst_mac)) {
		/* a unicast destination was looked up: the decision holds only
		 * while the MAC table does not change */
		memset(&mask->bits.dst_mac, 0xff, sizeof(mask->bits.dst_mac));
		prog->flags |= EVS_PROG_USES_MACS;
		prog->macs_gen = st->macs_gen;
	}
	switch (a->type) {
	case EVS_L2_ACT_UNICAST:
		snprintf(why, why_len, "switch %s: unicast to port %u%s%u",
			 st->l2->switches[a->sw].name, a->port, a->tci ? " vlan " : " untagged",
			 a->tci ? a->tci & EVS_VLAN_VID_MASK : 0);
		break;
	case EVS_L2_ACT_FLOOD:
		snprintf(
		    why, why_len, "switch %s: flood (%s destination)", st->l2->switches[a->sw].name,
		    rte_is_multicast_ether_addr(&key->dst_mac) ? "multicast/broadcast" : "unknown");
		break;
	default:
		snprintf(why, why_len, "drop: %s", evs_drop_reason_name(a->reason));
		break;
	}
	return STAGE_DONE;
}
