/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The firewall's stage, before switching (order 50). First pass of an IP
 * packet from a filtered port (in_port consulted) or to one (then the
 * destination address is consulted): ct(zone) without commit; established,
 * related and reply packets, and new ones of a committed connection, go on
 * in the same pass with what the later stages emit (the working key made
 * what their second pass would be), the others recirculate. Second pass:
 * ct_state decides; established, related and reply packets (and translated
 * ones of a committed connection) go on to switching, invalid ones are
 * dropped, new ones get the `fw` opcode naming both ports (the destination
 * address consulted), whose rules run per connection at execution (with
 * SNAT rules, traffic to a translated address is tracked too, and ct
 * translates both ways). No rule is read here, so rule changes never
 * re-translate megaflows; which ports are filtered and their addresses are
 * a dependency.
 */

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <rte_ether.h>

#include "fw_module_private.h"

static const char *action_name(uint8_t a)
{
	return a == EVS_FW_ALLOW ? "allow" : a == EVS_FW_REJECT ? "reject" : "deny";
}

static void mask_dst(struct evs_xlate *x, bool v6)
{
	memset(evs_xlate_mask(x)->bits.dst_ip, 0xff, v6 ? 16 : 4);
}

/* flow.trace only: what the rules would say, side by side. */
static void why_new(struct evs_xlate *x, const struct evs_fw_mod_state *s,
		    const struct evs_fw_op_new *op)
{
	const struct evs_flow_key *k = evs_xlate_wkey(x);
	struct evs_fw_verdict eg = {.action = EVS_FW_ALLOW}, in = {.action = EVS_FW_ALLOW};
	char a[48] = "", b[80] = "";
	int dst;

	if (!evs_xlate_tracing(x))
		return;
	if (op->src_port >= 0) {
		evs_fw_decide(s->fw, (uint16_t)op->src_port, EVS_FW_EGRESS, k, &eg);
		snprintf(a, sizeof(a), " egress of port %d: %s by rule %u;", op->src_port,
			 action_name(eg.action), eg.rule_id);
	}
	dst = op->dst_port == EVS_FW_PORT_BY_DST ? evs_fw_vnic_of(s->fw, k) : op->dst_port;
	if (dst >= 0) {
		evs_fw_decide(s->fw, (uint16_t)dst, EVS_FW_INGRESS, k, &in);
		snprintf(b, sizeof(b), " ingress of port %d%s: %s by rule %u;", dst,
			 op->dst_port == EVS_FW_PORT_BY_DST ? " (by dst)" : "",
			 action_name(in.action), in.rule_id);
	}
	evs_xlate_why(x, "fw: ct_state 0x%02x (new):%s%s rule 0 is the default deny", k->ct_state,
		      a, b);
}

/* ICMPv6 router/neighbour solicitations and advertisements, redirects
 * (RFC 4861 types 133-137): without them no filtered guest resolves a
 * neighbour, so they pass like ARP. Consults the protocol, and the type
 * only for ICMPv6. */
static bool is_nd(struct evs_xlate *x, const struct evs_flow_key *k)
{
	struct evs_flow_mask *mask = evs_xlate_mask(x);
	uint16_t type = rte_be_to_cpu_16(k->l4_src);

	mask->bits.ip_proto = UINT8_MAX;
	if (k->ip_proto != IPPROTO_ICMPV6)
		return false;
	mask->bits.l4_src = UINT16_MAX;
	return type >= 133 && type <= 137;
}

/* The DNAT rule a key matches (-1: none), consulting its protocol and
 * destination port only while DNAT rules exist (the address is masked by
 * the caller). */
static int dnat_of(struct evs_xlate *x, const struct evs_fw_mod_state *s,
		   const struct evs_flow_key *k)
{
	if (!evs_fw_has_dnat(s->fw))
		return -1;
	evs_xlate_mask(x)->bits.ip_proto = UINT8_MAX;
	evs_xlate_mask(x)->bits.l4_dst = UINT16_MAX;
	return evs_fw_dnat_of(s->fw, k);
}

/* A later IP fragment to a DNAT address: its port comes from its first
 * fragment in conntrack, so any port of the address and protocol is
 * tracked. Consults the fragment bits only while DNAT rules exist. */
static bool dnat_later_fragment(struct evs_xlate *x, const struct evs_fw_mod_state *s,
				const struct evs_flow_key *k)
{
	if (!evs_fw_has_dnat(s->fw))
		return false;
	evs_xlate_mask(x)->bits.ip_frag |= EVS_FRAG_LATER;
	return (k->ip_frag & EVS_FRAG_LATER) && evs_fw_dnat_addr(s->fw, k);
}

static enum evs_stage_verdict fw_stage(struct evs_xlate *x, const void *state, void *lctx)
{
	const struct evs_fw_mod_state *s = state;
	const struct evs_flow_key *k = evs_xlate_wkey(x);
	struct evs_flow_mask *mask = evs_xlate_mask(x);
	struct evs_fw_op_new op;
	bool v6;
	const struct evs_fw_dnat *dn;
	uint8_t st;
	int d;

	(void)lctx;
	/* the engine masks recirc_id: another module's pass is not ours */
	if (s == NULL || s->fw == NULL || (k->recirc_id != 0 && k->recirc_id != EVS_FW_RECIRC))
		return EVS_STAGE_CONTINUE;
	/* recorded before reading: a port gaining groups re-translates */
	evs_xlate_depend(x, EVS_FW_DEP_PORTS);
	if (!evs_fw_any_filtered(s->fw))
		return EVS_STAGE_CONTINUE; /* consults nothing: megaflows stay L2's */
	mask->bits.ldp = UINT16_MAX;
	if (k->ldp != 0)
		return EVS_STAGE_CONTINUE; /* a router handed it back: decided on its way in */
	mask->bits.ethertype = UINT16_MAX;
	v6 = k->ethertype == RTE_BE16(RTE_ETHER_TYPE_IPV6);
	if (!v6 && k->ethertype != RTE_BE16(RTE_ETHER_TYPE_IPV4))
		return EVS_STAGE_CONTINUE; /* ARP and other non-IP: not filtered */
	if (v6 && is_nd(x, k))
		return EVS_STAGE_CONTINUE; /* neighbour discovery is IPv6's ARP */
	mask->bits.in_port = UINT16_MAX;
	op = (struct evs_fw_op_new){.src_port =
					evs_fw_port_filtered(s->fw, k->in_port) ? k->in_port : -1,
				    .dst_port = -1,
				    .zone = s->zone};
	if (k->recirc_id == 0) {
		/* with NAT rules, connections are translated both ways */
		struct evs_ct_op ct = {
		    .zone = s->zone,
		    .flags = evs_fw_has_snat(s->fw) || evs_fw_has_dnat(s->fw) ? EVS_CT_F_NAT : 0};

		if (op.src_port < 0) {
			/* no filtered port has an address and nothing is translated:
			 * the destination says nothing */
			if (evs_fw_has_vnics(s->fw) || ct.flags != 0)
				mask_dst(x, v6);
			if (evs_fw_vnic_of(s->fw, k) < 0 && !evs_fw_snat_addr(s->fw, k) &&
			    dnat_of(x, s, k) < 0 && !dnat_later_fragment(x, s, k)) {
				evs_xlate_why(x, "fw: neither port %u nor the destination filtered",
					      k->in_port);
				return EVS_STAGE_CONTINUE;
			}
		}
		evs_xlate_why(x,
			      "fw: filtered, ct(zone=%u%s): established, related, reply and "
			      "committed go on (what the next pass does), others recirculate",
			      s->zone, ct.flags != 0 ? ",nat" : "");
		/* the rest of the program is the next pass's for them: one
		 * classification per established packet, and per packet of a
		 * connection the rules allowed at its first (+new until a reply;
		 * kill_on_delete removes it when its rule goes) */
		ct.flags |= EVS_CT_F_CONTINUE_KNOWN;
		if (evs_ct_xlate_emit_continue(x, &ct, EVS_FW_RECIRC) < 0) {
			evs_xlate_drop(x, EVS_FW_DROP_CT_INVALID);
			return EVS_STAGE_DONE;
		}
		return EVS_STAGE_CONTINUE;
	}
	st = evs_ct_xlate_state(x);
	if (st & EVS_CT_INVALID) {
		/* a fragment conntrack could not follow (before its first,
		 * overlapping, ...: its invalid_frag_* counters say why) */
		mask->bits.ip_frag = UINT8_MAX;
		if (k->ip_frag & EVS_FRAG_ANY) {
			evs_xlate_why(
			    x, "fw: ct_state 0x%02x (invalid): an IP fragment not followed: drop",
			    st);
			evs_xlate_drop(x, EVS_FW_DROP_FRAGMENT);
			return EVS_STAGE_DONE;
		}
		evs_xlate_why(x, "fw: ct_state 0x%02x (invalid): drop", st);
		evs_xlate_drop(x, EVS_FW_DROP_CT_INVALID);
		return EVS_STAGE_DONE;
	}
	/* ct translates only connections it found (this pass's ct commits
	 * nothing): +new with a translation is a committed one awaiting its
	 * reply, decided at its first packet */
	if ((st & EVS_CT_TRACKED) && (!(st & EVS_CT_NEW) || (st & (EVS_CT_SNAT | EVS_CT_DNAT)))) {
		/* the mark is shown, not consulted: it does not split megaflows */
		evs_xlate_why(x, "fw: ct_state 0x%02x (%s%s): pass, connection allowed by rule %u",
			      st,
			      st & EVS_CT_NEW	    ? "new, translated"
			      : st & EVS_CT_RELATED ? "related"
						    : "established",
			      st & EVS_CT_REPLY ? ", reply" : "", k->ct_mark);
		return EVS_STAGE_CONTINUE;
	}
	/* DNAT rules match the destination here; the destination's port is
	 * looked up per packet at execution, so that new connections to many
	 * addresses share one megaflow (not one each: an upcall and an entry
	 * per connection) */
	if (evs_fw_has_dnat(s->fw))
		mask_dst(x, v6);
	d = dnat_of(x, s, k);
	/* the table may have been replaced since: then the dependency re-translates */
	dn = d >= 0 ? evs_fw_dnat_at(s->fw, (uint32_t)d) : NULL;
	if (dn == NULL)
		d = -1;
	if (d >= 0) {
		/* decided on the translated destination, classified again translated */
		struct evs_flow_key tk = *k;

		evs_fw_dnat_apply(dn, &tk);
		op.dst_port = evs_fw_vnic_of(s->fw, &tk);
		op.dnat = (uint16_t)(d + 1);
	} else {
		op.dst_port = evs_fw_has_vnics(s->fw) ? EVS_FW_PORT_BY_DST : -1;
	}
	why_new(x, s, &op);
	if (evs_xlate_emit(x, EVS_FW_OP_NEW, &op, sizeof(op)) < 0)
		return EVS_STAGE_DONE; /* program full: the engine drops it */
	if (d >= 0) {
		evs_xlate_recirculate(x, EVS_FW_RECIRC_NAT);
		return EVS_STAGE_DONE;
	}
	return EVS_STAGE_CONTINUE;
}

const struct evs_stage fw_stages[1] = {
    {.name = "firewall", .order = 50, .xlate = fw_stage},
};
