/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The L2 stage. Consults, in the order the decision needs them: the input
 * port and VLAN (ingress switch; depends on the port's attachment), the
 * source's group bit (multicast sources are dropped), enough of the source to
 * tell it from 00:00:00:00:00:00, the destination's group bit, for a multicast
 * destination enough of it to tell it from the link-local group
 * 01:80:c2:00:00:0x (dropped; others flood), and only for a unicast
 * destination the whole destination MAC, looked up in the switch's MAC table
 * (the program depends on the switch). Emits: drop(reason), or
 * [set_vlan] output(port), or flood(switch). A unicast destination that is
 * a router port's MAC (evs_l2_state.gateway), or a broadcast/multicast one
 * a router answers (gateway_mcast: ARP request, NS), goes on to later stages
 * with the working key's ldp set to the switch's; a key with ldp set (a router
 * handed the frame back) is switched in that switch, whatever its in-port,
 * and its multicast is never given back to a router (a router refloods an
 * NS that only looked like its own: same solicited-node group).
 */

#include <rte_ether.h>

#include "evs_ct_module.h"
#include "l2_private.h"

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

static const char *drop_why(uint8_t reason)
{
	return evs_l2_drop_name(reason);
}

/*
 * A stateful switch's IP traffic: the first pass emits ct(commit) and
 * recirculates; the second (ct_state in the mask) drops +inv and goes on
 * switching. @return true when the program is complete.
 */
static bool stateful(struct evs_xlate *x, const struct evs_l2_switch_info *si)
{
	const struct evs_flow_key *key = evs_xlate_wkey(x);
	struct evs_ct_op op = {.zone = si->ct_zone, .flags = EVS_CT_F_COMMIT};

	evs_xlate_mask(x)->bits.ethertype = UINT16_MAX;
	if (key->ethertype != RTE_BE16(RTE_ETHER_TYPE_IPV4) &&
	    key->ethertype != RTE_BE16(RTE_ETHER_TYPE_IPV6))
		return false;
	if (key->recirc_id != EVS_L2_CT_RECIRC) { /* the engine masks recirc_id */
		evs_xlate_why(x, "switch %s: stateful, ct(zone=%u,commit)", si->name, si->ct_zone);
		if (evs_ct_xlate_emit(x, &op, EVS_L2_CT_RECIRC) < 0)
			evs_xlate_drop(x, EVS_L2_DROP_CT_INVALID);
		return true;
	}
	if (evs_ct_xlate_state(x) & EVS_CT_INVALID) {
		evs_xlate_why(x, "drop: switch %s: conntrack invalid", si->name);
		evs_xlate_drop(x, EVS_L2_DROP_CT_INVALID);
		return true;
	}
	return false;
}

static enum evs_stage_verdict l2_switch(struct evs_xlate *x, const void *state, void *lctx)
{
	const struct evs_l2_state *s = state;
	const struct evs_flow_key *key = evs_xlate_wkey(x);
	struct evs_flow_mask *mask = evs_xlate_mask(x);
	struct evs_l2_action a;
	enum evs_l2_drop why;
	uint16_t sw;

	mask->bits.ldp = UINT16_MAX;
	mask->bits.in_port = UINT16_MAX;
	mask->bits.vlan_tci |= EVS_VLAN_PRESENT | EVS_VLAN_VID_MASK;
	evs_xlate_depend(x, evs_l2_dep_port(key->in_port));
	if (s == NULL || s->conf == NULL) {
		sw = EVS_L2_NONE;
		why = EVS_L2_DROP_NO_SWITCH;
	} else if (key->ldp != 0) {
		/* handed back by a router: the datapath names the switch */
		sw = evs_l2_conf_switch_index(s->conf, (uint16_t)(key->ldp - 1));
		why = EVS_L2_DROP_NO_SWITCH;
	} else {
		sw = evs_l2_ingress_switch(s->conf, key->in_port, key->vlan_tci, &why);
	}
	if (sw == EVS_L2_NONE) {
		evs_xlate_why(x, "drop: %s (port %u, vlan %s%u, ldp %u)", drop_why(why),
			      key->in_port, key->vlan_tci & EVS_VLAN_PRESENT ? "" : "untagged ",
			      key->vlan_tci & EVS_VLAN_VID_MASK, key->ldp);
		evs_xlate_drop(x, why);
		return EVS_STAGE_DONE;
	}
	/* the switch's MAC table and membership: recorded before they are read */
	evs_xlate_depend(x, evs_l2_dep_switch(s->conf->switches[sw].id));
	if (s->conf->switches[sw].stateful && stateful(x, &s->conf->switches[sw]))
		return EVS_STAGE_DONE;
	evs_l2_decide_burst(s->conf, s->macs, lctx, key, 1, &a);
	/* a known destination's port state and membership decided too (a
	 * static entry may name a port outside the switch); conf state comes
	 * from the snapshot, whose changes are bumped only after every lcore
	 * left it, so recording this after the read is safe */
	if (a.port != EVS_L2_NONE && a.port != key->in_port)
		evs_xlate_depend(x, evs_l2_dep_port(a.port));
	mask->bits.src_mac.addr_bytes[0] |= 0x01;
	if (a.type == EVS_L2_ACT_DROP && a.reason == EVS_L2_DROP_SRC_MAC_MCAST) {
		evs_xlate_why(x, "drop: multicast source MAC");
		evs_xlate_drop(x, a.reason);
		return EVS_STAGE_DONE;
	}
	if (!mask_differs(key->src_mac.addr_bytes, mac_zero, mac_ones,
			  mask->bits.src_mac.addr_bytes, RTE_ETHER_ADDR_LEN)) {
		evs_xlate_why(x, "drop: all-zero source MAC");
		evs_xlate_drop(x, EVS_L2_DROP_SRC_MAC_ZERO);
		return EVS_STAGE_DONE;
	}
	mask->bits.dst_mac.addr_bytes[0] |= 0x01;
	if (rte_is_multicast_ether_addr(&key->dst_mac) &&
	    !mask_differs(key->dst_mac.addr_bytes, link_local, link_local_care,
			  mask->bits.dst_mac.addr_bytes, RTE_ETHER_ADDR_LEN)) {
		evs_xlate_why(x, "drop: link-local destination (802.1D reserved group)");
		evs_xlate_drop(x, EVS_L2_DROP_LINK_LOCAL);
		return EVS_STAGE_DONE;
	}
	if (!rte_is_multicast_ether_addr(&key->dst_mac)) {
		uint16_t id = s->conf->switches[sw].id;

		memset(&mask->bits.dst_mac, 0xff, sizeof(mask->bits.dst_mac));
		/* a router port's MAC: routing (a later stage) takes it from here;
		 * the answer is covered by the switch's dependency */
		if (s->gateway != NULL && s->gateway(s->gateway_arg, id, &key->dst_mac)) {
			evs_xlate_why(x, "switch %s: to a router port", s->conf->switches[sw].name);
			evs_xlate_wkey(x)->ldp = evs_l2_ldp(id);
			return EVS_STAGE_CONTINUE;
		}
	} else if (s->gateway_mcast != NULL && key->ldp == 0 &&
		   s->gateway_mcast(s->gateway_arg, s->conf->switches[sw].id, key, mask)) {
		/* e.g. a broadcast ARP request for the gateway: the router answers it */
		evs_xlate_why(x, "switch %s: solicits a router port", s->conf->switches[sw].name);
		evs_xlate_wkey(x)->ldp = evs_l2_ldp(s->conf->switches[sw].id);
		return EVS_STAGE_CONTINUE;
	}
	switch (a.type) {
	case EVS_L2_ACT_UNICAST:
		evs_xlate_why(x, "switch %s: unicast to port %u%s%u", s->conf->switches[sw].name,
			      a.port, a.tci ? " vlan " : " untagged",
			      a.tci ? a.tci & EVS_VLAN_VID_MASK : 0);
		/* the frame's tag (present bit and VID are in the mask) decides
		 * whether it needs re-encoding at all */
		if (a.tci != 0
			? !(key->vlan_tci & EVS_VLAN_PRESENT) ||
			      (key->vlan_tci & EVS_VLAN_VID_MASK) != (a.tci & EVS_VLAN_VID_MASK)
			: (key->vlan_tci & EVS_VLAN_PRESENT) != 0)
			evs_xlate_set_vlan(x, a.tci);
		evs_xlate_output(x, a.port);
		break;
	case EVS_L2_ACT_FLOOD: {
		struct evs_l2_flood_arg f = {.switch_id = s->conf->switches[sw].id};

		evs_xlate_why(x, "switch %s: flood (%s destination)", s->conf->switches[sw].name,
			      rte_is_multicast_ether_addr(&key->dst_mac) ? "multicast/broadcast"
									 : "unknown");
		evs_xlate_emit(x, EVS_L2_OP_FLOOD, &f, sizeof(f));
		break;
	}
	default:
		evs_xlate_why(x, "drop: %s", drop_why(a.reason));
		evs_xlate_drop(x, a.reason);
		break;
	}
	return EVS_STAGE_DONE;
}

const struct evs_stage l2_stages[1] = {
    {.name = "switch", .order = 100, .xlate = l2_switch},
};
