/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The routing stage (order 200). L2 hands it a frame to a router port's MAC
 * with the working key's ldp set to that switch's datapath. It decides with
 * evs_l3_decide, records the decision's key bits and the tables of the
 * routers involved, and for a forwarded flow emits route(src, dst, mtu) and
 * continues in the egress switch (goto_ldp: L2 runs again there). Echo
 * requests to the router are answered here (echo_reply, back out of the
 * in-port); what needs the neighbour tables or a new packet (ARP/ND
 * answers and learning, resolution, ICMP errors) is punted with the switch
 * it came in on (l3_mgmt.c).
 */
#include "evs_l3_mask.h"
#include "l3_private.h"

/* Record the tables @d read: the ingress router's, those next-VRF routes passed, the egress one's.
 */
static void depend_on(struct evs_xlate *x, const struct evs_l3_decision *d)
{
	evs_xlate_depend(x, evs_l3_dep_fib(d->in_router));
	evs_xlate_depend(x, evs_l3_dep_neigh(d->in_router));
	for (uint8_t i = 0; i < d->vrf_hops; i++)
		if (d->vrf_path[i] != d->in_router)
			evs_xlate_depend(x, evs_l3_dep_fib(d->vrf_path[i]));
	if (d->router != d->in_router) {
		evs_xlate_depend(x, evs_l3_dep_fib(d->router));
		evs_xlate_depend(x, evs_l3_dep_neigh(d->router));
	}
}

static enum evs_stage_verdict forward(struct evs_xlate *x, const struct evs_l3_decision *d,
				      uint16_t in_ldp)
{
	struct evs_l3_route_arg a = {.macs = {d->dst_mac, d->src_mac},
				     .mtu = d->mtu,
				     .router = d->in_router,
				     .in_ldp = in_ldp};
	struct evs_flow_key *k = evs_xlate_wkey(x);

	if (evs_xlate_emit(x, EVS_L3_OP_ROUTE, &a, sizeof(a)) != 0)
		return EVS_STAGE_DONE;
	/* the opcode rewrites the frame's MACs; the switch to come looks up the new ones */
	k->src_mac = d->src_mac;
	k->dst_mac = d->dst_mac;
	return evs_xlate_goto_ldp(x, d->out_ldp) == 0 ? EVS_STAGE_CONTINUE : EVS_STAGE_DONE;
}

/* Hand to the management lcore with the switch the frame is in; count @reason too. */
static void punt(struct evs_xlate *x, const struct evs_l3_decision *d, uint16_t ldp,
		 uint16_t reason)
{
	struct evs_l3_punt_arg a = {
	    .router = d->in_router, .reason = reason, .code = EVS_L3_PUNT_DECIDE, .ldp = ldp};

	evs_xlate_emit(x, EVS_L3_OP_PUNT, &a, sizeof(a));
}

static const char *const verdict_names[] = {
    [EVS_L3_RESOLVE] = "resolve the next hop",
    [EVS_L3_LOCAL_ARP] = "ARP request for a router address",
    [EVS_L3_LOCAL_ND] = "neighbour solicitation",
    [EVS_L3_LEARN] = "learn a neighbour",
    [EVS_L3_LOCAL_RS] = "router solicitation",
};

static enum evs_stage_verdict l3_route(struct evs_xlate *x, const void *state, void *lctx)
{
	const struct evs_l3_state *s = state;
	const struct evs_flow_key *k = evs_xlate_wkey(x);
	struct evs_l3_decision d, first;
	uint16_t ldp = k->ldp;

	(void)lctx;
	evs_xlate_mask(x)->bits.ldp = UINT16_MAX;
	if (s == NULL || s->set == NULL || k->ldp == 0) {
		evs_xlate_why(x, "drop: not_router (no router set)");
		evs_xlate_drop(x, EVS_L3_DROP_NOT_ROUTER);
		return EVS_STAGE_DONE;
	}
	/*
	 * Which routers are read is known only once decided: decide, record
	 * them, decide again. A change between the two is bumped after the
	 * record, so the megaflow is re-translated.
	 */
	evs_l3_decide(s->set, k->ldp, k, s->symmetric_ecmp, &first);
	if (first.verdict != EVS_L3_NOT_MINE)
		depend_on(x, &first);
	evs_l3_decide(s->set, k->ldp, k, s->symmetric_ecmp, &d);
	if (d.verdict != EVS_L3_NOT_MINE &&
	    (d.router != first.router || d.in_router != first.in_router ||
	     d.vrf_hops != first.vrf_hops ||
	     memcmp(d.vrf_path, first.vrf_path, sizeof(d.vrf_path)) != 0))
		depend_on(x, &d);
	evs_l3_decision_mask(&d, evs_xlate_mask(x));
	switch (d.verdict) {
	case EVS_L3_FORWARD:
		evs_xlate_why(x, "router %u: forward to port %u (switch ldp %u), mtu %u", d.router,
			      d.out_port, d.out_ldp, d.mtu);
		return forward(x, &d, ldp);
	case EVS_L3_LOCAL_ECHO: {
		struct evs_l3_punt_arg a = {.router = d.in_router, .reason = EVS_L3_NO_REASON};

		/* answered here: no management hop for the commonest question */
		evs_xlate_why(x, "router %u: echo request to its address: reply", d.router);
		if (evs_xlate_emit(x, EVS_L3_OP_ECHO, &a, sizeof(a)) == 0)
			evs_xlate_output_in_port(x);
		break;
	}
	case EVS_L3_RESOLVE:
	case EVS_L3_LOCAL_ARP:
	case EVS_L3_LOCAL_ND:
	case EVS_L3_LEARN:
	case EVS_L3_LOCAL_RS:
		evs_xlate_why(x, "router %u: %s: to the management lcore", d.router,
			      verdict_names[d.verdict]);
		punt(x, &d, ldp, EVS_L3_NO_REASON);
		break;
	case EVS_L3_ICMP_ERROR:
		evs_xlate_why(x, "router %u: drop: %s, ICMP error %u/%u from the management lcore",
			      d.router, evs_l3_drop_name(d.reason), d.icmp_type, d.icmp_code);
		punt(x, &d, ldp, d.reason);
		break;
	case EVS_L3_DROP: {
		struct evs_l3_punt_arg a = {.router = d.in_router, .reason = d.reason};

		evs_xlate_why(x, "router %u: drop: %s", d.router, evs_l3_drop_name(d.reason));
		evs_xlate_emit(x, EVS_L3_OP_DROP, &a, sizeof(a));
		break;
	}
	default:
		/* L2 saw a router port that the set no longer has (raced a change) */
		evs_xlate_why(x, "drop: not_router");
		evs_xlate_drop(x, EVS_L3_DROP_NOT_ROUTER);
		break;
	}
	return EVS_STAGE_DONE;
}

const struct evs_stage l3_stages[1] = {
    {.name = "route", .order = 200, .xlate = l3_route},
};
