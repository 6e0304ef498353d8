/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The module's opcodes (PMD lcores), each counted per router in the lcore's
 * context:
 * - route: evs_l3_forward_burst's per-packet step (l3_fwd_one, inline) on the
 *   packets of one megaflow; the ones it forwarded go on (their keys get the
 *   new MACs); too big and last-hop ones are punted for their ICMP error,
 *   IPv4 ones over the MTU without DF to be fragmented, the others dropped
 *   with a reason;
 * - echo: an echo request to a router address turned into the reply in
 *   place (the program then sends it back out of its in-port);
 * - punt: hand to the management lcore with the ingress switch (and count
 *   the drop reason the decision gave, e.g. no_route for an ICMP error);
 * - drop: free, counted per router and by reason.
 */
#include <errno.h>
#include <stddef.h>

#include <rte_malloc.h>

#include "l3_private.h"

_Static_assert(offsetof(struct evs_flow_key, src_mac) ==
		   offsetof(struct evs_flow_key, dst_mac) + RTE_ETHER_ADDR_LEN,
	       "route_exec copies both MACs into the key at once");

/* what a result other than OK becomes: a punt code, or a drop (code 0: DECIDE is never one) */
static const uint16_t fwd_punt[] = {
    [EVS_L3_FWD_TOO_BIG] = EVS_L3_PUNT_TOO_BIG,
    [EVS_L3_FWD_NO_FRAG] = EVS_L3_PUNT_FRAG,
    [EVS_L3_FWD_TTL] = EVS_L3_PUNT_TTL,
};
static const uint16_t fwd_drop[] = {
    [EVS_L3_FWD_TOO_BIG] = EVS_L3_DROP_TOO_BIG,
    [EVS_L3_FWD_NO_FRAG] = EVS_L3_NO_REASON,
    [EVS_L3_FWD_TTL] = EVS_L3_DROP_TTL,
    [EVS_L3_FWD_SOURCE_ROUTE] = EVS_L3_DROP_SOURCE_ROUTE,
};

static struct l3_router_ctr *router_ctr(struct evs_exec *x, uint16_t router)
{
	struct l3_lcore *lc = evs_exec_lcore(x);

	return lc != NULL && router < EVS_L3_MAX_ROUTERS ? &lc->r[router] : NULL;
}

/* Drop @n packets with @reason, counted for @router too. */
static void drop_n(struct evs_exec *x, struct l3_router_ctr *c, uint16_t reason,
		   struct rte_mbuf **pkts, uint16_t n)
{
	if (c != NULL && !evs_exec_tracing(x))
		l3_ctr_add(&c->drops[reason], n);
	evs_exec_drop(x, reason, pkts, n);
}

/* A packet the route opcode did not forward: punted for its error or fragments, or dropped. */
static void route_exception(struct evs_exec *x, const struct evs_l3_route_arg *a,
			    struct l3_router_ctr *c, enum evs_l3_fwd_result r,
			    struct rte_mbuf **pkt, struct evs_flow_key *key)
{
	uint16_t why = fwd_drop[r];

	if (fwd_punt[r] == EVS_L3_PUNT_DECIDE) {
		drop_n(x, c, why, pkt, 1);
		return;
	}
	/* errors and fragments need the management lcore (rate limit, mbufs) */
	if (c != NULL && !evs_exec_tracing(x)) {
		if (why != EVS_L3_NO_REASON)
			l3_ctr_add(&c->drops[why], 1);
		l3_ctr_add(&c->punted, 1);
	}
	if (why != EVS_L3_NO_REASON)
		evs_exec_drop_count(x, why, 1);
	evs_exec_punt(x, fwd_punt[r], a->in_ldp, pkt, key, 1);
}

static uint16_t route_exec(struct evs_exec *x, const void *arg, struct rte_mbuf **pkts,
			   struct evs_flow_key *keys, uint16_t n)
{
	const struct evs_l3_route_arg *a = arg;
	struct l3_router_ctr *c = router_ctr(x, a->router);
	const struct l3_macs v = l3_macs_of(a->macs);
	const uint16_t mtu = a->mtu;
	uint16_t j = 0, out;

	/* the common run: every packet forwarded in place, nothing to compact */
	for (; j < n; j++) {
		enum evs_l3_fwd_result r = l3_fwd_one(pkts[j], v, a->macs, mtu);

		if (unlikely(r != EVS_L3_FWD_OK)) {
			route_exception(x, a, c, r, &pkts[j], &keys[j]);
			break;
		}
		/* the key's MACs are adjacent too (dst, src) */
		l3_macs_put(keys[j].dst_mac.addr_bytes, v);
	}
	out = j;
	/* after an exception: the ones forwarded move down over the gaps */
	for (j = j + 1; j < n; j++) {
		enum evs_l3_fwd_result r = l3_fwd_one(pkts[j], v, a->macs, mtu);

		if (unlikely(r != EVS_L3_FWD_OK)) {
			route_exception(x, a, c, r, &pkts[j], &keys[j]);
			continue;
		}
		pkts[out] = pkts[j];
		keys[out] = keys[j];
		l3_macs_put(keys[out].dst_mac.addr_bytes, v);
		out++;
	}
	if (c != NULL && out != 0 && !evs_exec_tracing(x))
		l3_ctr_add(&c->routed, out);
	return out;
}

static int route_format(const void *arg, char *buf, size_t len)
{
	const struct evs_l3_route_arg *a = arg;
	char s[RTE_ETHER_ADDR_FMT_SIZE], d[RTE_ETHER_ADDR_FMT_SIZE];

	rte_ether_format_addr(s, sizeof(s), &a->macs[1]);
	rte_ether_format_addr(d, sizeof(d), &a->macs[0]);
	return snprintf(buf, len, "src=%s,dst=%s,mtu=%u", s, d, a->mtu);
}

static uint16_t echo_exec(struct evs_exec *x, const void *arg, struct rte_mbuf **pkts,
			  struct evs_flow_key *keys, uint16_t n)
{
	const struct evs_l3_punt_arg *a = arg;
	struct l3_router_ctr *c = router_ctr(x, a->router);
	uint16_t i, out = 0;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		/* rewritten in place: the data must be ours alone */
		if (unlikely(!RTE_MBUF_DIRECT(m) || rte_mbuf_refcnt_read(m) != 1 ||
			     evs_l3_echo_reply(m, &keys[i]) != 0)) {
			drop_n(x, c, EVS_L3_DROP_ECHO, &pkts[i], 1);
			continue;
		}
		pkts[out] = m;
		keys[out++] = keys[i];
	}
	if (c != NULL && out != 0 && !evs_exec_tracing(x))
		l3_ctr_add(&c->echo, out);
	return out;
}

static uint16_t punt_exec(struct evs_exec *x, const void *arg, struct rte_mbuf **pkts,
			  struct evs_flow_key *keys, uint16_t n)
{
	const struct evs_l3_punt_arg *a = arg;
	struct l3_router_ctr *c = router_ctr(x, a->router);

	if (a->reason != EVS_L3_NO_REASON) {
		if (c != NULL && !evs_exec_tracing(x))
			l3_ctr_add(&c->drops[a->reason], n);
		evs_exec_drop_count(x, a->reason, n);
	}
	if (c != NULL && !evs_exec_tracing(x))
		l3_ctr_add(&c->punted, n);
	evs_exec_punt(x, a->code, a->ldp, pkts, keys, n);
	return 0;
}

static uint16_t drop_exec(struct evs_exec *x, const void *arg, struct rte_mbuf **pkts,
			  struct evs_flow_key *keys, uint16_t n)
{
	const struct evs_l3_punt_arg *a = arg;

	(void)keys;
	drop_n(x, router_ctr(x, a->router), a->reason, pkts, n);
	return 0;
}

static int punt_format(const void *arg, char *buf, size_t len)
{
	const struct evs_l3_punt_arg *a = arg;

	if (a->reason == EVS_L3_NO_REASON)
		return snprintf(buf, len, "router=%u,code=%u,ldp=%u", a->router, a->code, a->ldp);
	return snprintf(buf, len, "router=%u,code=%u,ldp=%u,counted=%s", a->router, a->code, a->ldp,
			evs_l3_drop_name(a->reason));
}

static int router_format(const void *arg, char *buf, size_t len)
{
	const struct evs_l3_punt_arg *a = arg;

	return snprintf(buf, len, "router=%u", a->router);
}

static int drop_format(const void *arg, char *buf, size_t len)
{
	const struct evs_l3_punt_arg *a = arg;

	return snprintf(buf, len, "router=%u,reason=%s", a->router, evs_l3_drop_name(a->reason));
}

const struct evs_opcode l3_opcodes[EVS_L3_OP_MAX] = {
    [EVS_L3_OP_ROUTE] = {.name = "route",
			 .arg_size = sizeof(struct evs_l3_route_arg),
			 .exec = route_exec,
			 .format = route_format},
    [EVS_L3_OP_ECHO] = {.name = "echo_reply",
			.arg_size = sizeof(struct evs_l3_punt_arg),
			.exec = echo_exec,
			.format = router_format},
    [EVS_L3_OP_PUNT] = {.name = "l3_punt",
			.arg_size = sizeof(struct evs_l3_punt_arg),
			.exec = punt_exec,
			.format = punt_format},
    [EVS_L3_OP_DROP] = {.name = "l3_drop",
			.arg_size = sizeof(struct evs_l3_punt_arg),
			.exec = drop_exec,
			.format = drop_format},
};

void *l3_lcore_create(const struct evs_module_lcore_args *args)
{
	struct l3_lcore *lc =
	    rte_zmalloc_socket("evs_l3_lcore", sizeof(*lc), RTE_CACHE_LINE_SIZE, args->socket_id);

	if (lc == NULL)
		errno = ENOMEM;
	return lc;
}

void l3_lcore_free(void *lctx)
{
	rte_free(lctx);
}

void evs_l3_lcore_counters(const void *lctx, uint16_t router, struct evs_l3_dp_counters *c)
{
	const struct l3_lcore *lc = lctx;
	const struct l3_router_ctr *r;

	if (lc == NULL || router >= EVS_L3_MAX_ROUTERS)
		return;
	r = &lc->r[router];
	c->routed += __atomic_load_n(&r->routed, __ATOMIC_RELAXED);
	c->echo += __atomic_load_n(&r->echo, __ATOMIC_RELAXED);
	c->punted += __atomic_load_n(&r->punted, __ATOMIC_RELAXED);
	for (unsigned int i = 0; i < EVS_L3_MOD_DROP_MAX; i++)
		c->drops[i] += __atomic_load_n(&r->drops[i], __ATOMIC_RELAXED);
}

const char *const l3_counter_names[L3_CTR_MAX] = {"routed", "echo_answered", "punted"};

/* Totals over the routers (stats.get's modules.l3). */
void l3_counters_get(const void *lctx, uint64_t *vals)
{
	const struct l3_lcore *lc = lctx;

	for (unsigned int r = 0; lc != NULL && r < EVS_L3_MAX_ROUTERS; r++) {
		vals[0] += __atomic_load_n(&lc->r[r].routed, __ATOMIC_RELAXED);
		vals[1] += __atomic_load_n(&lc->r[r].echo, __ATOMIC_RELAXED);
		vals[2] += __atomic_load_n(&lc->r[r].punted, __ATOMIC_RELAXED);
	}
}
