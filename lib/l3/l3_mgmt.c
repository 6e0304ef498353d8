/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The management lcore's part of routing: what the datapath punted (ARP
 * requests and NS for router addresses, ARP replies and NA to learn from,
 * packets waiting for a neighbour, ICMP errors, IPv4 packets to fragment) and what the neighbour
 * tables ask for (probes, releases, host unreachable). It decides again with
 * today's tables (a punted packet carries the switch it came in on) and
 * sends answers into that switch through the app's send callback: L2
 * switches them like any frame. The only writer of the neighbour tables and
 * of the ICMP rate limits, so nothing here locks.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_malloc.h>

#include "l3_router_private.h"

#define ETH_ARP RTE_BE16(RTE_ETHER_TYPE_ARP)
#define ETH_IPV4 RTE_BE16(RTE_ETHER_TYPE_IPV4)
#define PENDING_MAX 256 /* released packets waiting for the dependency bump */
#define ICMP_BURST 10	/* errors a router may send at once */
#define RA_PORTS 256	/* ports with RAs the timers keep (others: solicited only) */
#define RA_INITIAL 3	/* RFC 4861 10: MAX_INITIAL_RTR_ADVERTISEMENTS */
#define RA_INITIAL_MS 4000
#define RA_MIN_GAP_MS 3000 /* RFC 4861 10: MIN_DELAY_BETWEEN_RAS */

/* One advertising port's timer. */
struct ra_timer {
	uint16_t router, port;
	uint16_t sent;
	bool seen; /* by this tick's sweep */
	uint64_t next_ms, last_ms;
};

struct evs_l3_mgmt {
	struct evs_l3_mgmt_config cfg;
	struct evs_l3_mgmt_counters ctr[EVS_L3_MAX_ROUTERS];
	uint64_t drops[EVS_L3_MAX_ROUTERS][EVS_L3_MOD_DROP_MAX];
	struct evs_l3_bucket bucket[EVS_L3_MAX_ROUTERS];
	bool bucket_set[EVS_L3_MAX_ROUTERS];
	unsigned int n_pending;
	struct rte_mbuf *pending[PENDING_MAX];
	unsigned int n_ra;
	struct ra_timer ra[RA_PORTS];
};

struct evs_l3_mgmt *evs_l3_mgmt_create(const struct evs_l3_mgmt_config *cfg)
{
	struct evs_l3_mgmt *mg;

	if (cfg == NULL || cfg->set == NULL || cfg->pool == NULL || cfg->send == NULL) {
		errno = EINVAL;
		return NULL;
	}
	mg = calloc(1, sizeof(*mg));
	if (mg == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	mg->cfg = *cfg;
	return mg;
}

void evs_l3_mgmt_free(struct evs_l3_mgmt *mg)
{
	if (mg == NULL)
		return;
	/* released packets nobody sent: the datapath is gone */
	for (unsigned int i = 0; i < mg->n_pending; i++)
		rte_pktmbuf_free(mg->pending[i]);
	free(mg);
}

void evs_l3_mgmt_counters(const struct evs_l3_mgmt *mg, uint16_t id, struct evs_l3_mgmt_counters *c)
{
	memset(c, 0, sizeof(*c));
	if (mg != NULL && id < EVS_L3_MAX_ROUTERS)
		*c = mg->ctr[id];
}

void evs_l3_mgmt_drops(const struct evs_l3_mgmt *mg, uint16_t id, uint64_t *drops)
{
	if (mg != NULL && id < EVS_L3_MAX_ROUTERS)
		for (unsigned int i = 0; i < EVS_L3_MOD_DROP_MAX; i++)
			drops[i] += mg->drops[id][i];
}

void evs_l3_mgmt_router_reset(struct evs_l3_mgmt *mg, uint16_t id)
{
	if (mg == NULL || id >= EVS_L3_MAX_ROUTERS)
		return;
	memset(&mg->ctr[id], 0, sizeof(mg->ctr[id]));
	memset(mg->drops[id], 0, sizeof(mg->drops[id]));
	mg->bucket_set[id] = false;
}

static uint64_t now_ms(void)
{
	return rte_get_tsc_cycles() / (rte_get_tsc_hz() / 1000);
}

static void drop(struct evs_l3_mgmt *mg, uint16_t router, unsigned int why, struct rte_mbuf *m)
{
	if (router < EVS_L3_MAX_ROUTERS)
		mg->drops[router][why]++;
	rte_pktmbuf_free(m);
}

static void send_own(struct evs_l3_mgmt *mg, uint16_t ldp, struct rte_mbuf *m)
{
	mg->cfg.send(mg->cfg.arg, ldp, mg->cfg.no_port, m);
}

/* The port's first address of @family (IPv6: else its link-local one), or NULL. */
static const struct evs_l3_addr *port_addr(const struct evs_l3_port_spec *p, uint8_t family)
{
	for (uint8_t i = 0; i < p->n_addrs; i++)
		if (p->addrs[i].addr.family == family)
			return &p->addrs[i].addr;
	return family == EVS_L3_IPV6 ? &p->ll6 : NULL;
}

/*
 * The port's address of @family on the subnet of @peer (else its first
 * one), or NULL; its link-local one for a link-local peer.
 */
static const struct evs_l3_addr *port_addr_for(const struct evs_l3_port_spec *p,
					       const struct evs_l3_addr *peer)
{
	if (peer->family == EVS_L3_IPV6 && evs_l3_is_ll6(peer->b))
		return &p->ll6;
	for (uint8_t i = 0; i < p->n_addrs; i++) {
		const struct evs_l3_prefix *a = &p->addrs[i];
		uint8_t x[16], y[16];
		unsigned int n = l3_addr_len(peer->family);

		if (a->addr.family != peer->family)
			continue;
		memcpy(x, a->addr.b, n);
		memcpy(y, peer->b, n);
		l3_mask_bytes(x, a->len, n);
		l3_mask_bytes(y, a->len, n);
		if (memcmp(x, y, n) == 0)
			return &a->addr;
	}
	return port_addr(p, peer->family);
}

/* Whether @a (of the family's length) is one of port @p's addresses. */
static bool port_owns(const struct evs_l3_port_spec *p, uint8_t family, const uint8_t *a)
{
	if (family == EVS_L3_IPV6 && memcmp(p->ll6.b, a, 16) == 0)
		return true;
	for (uint8_t i = 0; i < p->n_addrs; i++)
		if (p->addrs[i].addr.family == family &&
		    memcmp(p->addrs[i].addr.b, a, l3_addr_len(family)) == 0)
			return true;
	return false;
}

static const struct evs_l3_port_spec *port_of(const struct evs_l3_set *set, uint16_t router,
					      uint16_t port, struct evs_l3_router **rp)
{
	struct evs_l3_router *r = evs_l3_router_get(set, router);

	if (rp != NULL)
		*rp = r;
	return r != NULL ? evs_l3_port_get(r, port) : NULL;
}

/* ---- ICMP errors ---- */

/*
 * Answer @m (parsed into @k, from switch @ldp) with an ICMP error from
 * router @router's port @in_port; rate-limited per router. Consumes @m.
 */
static void icmp_error(struct evs_l3_mgmt *mg, struct rte_mbuf *m, const struct evs_flow_key *k,
		       uint16_t ldp, uint16_t router, uint16_t in_port, uint8_t type, uint8_t code,
		       uint32_t info)
{
	struct evs_l3_router *r;
	const struct evs_l3_port_spec *p = port_of(mg->cfg.set, router, in_port, &r);
	uint8_t fam = k->ethertype == ETH_IPV4 ? EVS_L3_IPV4 : EVS_L3_IPV6;
	const struct evs_l3_addr *src = p != NULL ? port_addr(p, fam) : NULL;
	struct evs_l3_icmp_err e;
	struct rte_mbuf *err;
	uint64_t now = rte_get_tsc_cycles();

	if (p == NULL || !evs_l3_icmp_error_allowed(k, type))
		return drop(mg, router, EVS_L3_DROP_MGMT, m);
	if (src == NULL)
		return drop(mg, router, EVS_L3_DROP_NO_SRC_ADDR, m);
	if (!mg->bucket_set[router]) {
		evs_l3_bucket_init(&mg->bucket[router], r->icmp_rate, ICMP_BURST, rte_get_tsc_hz(),
				   now);
		mg->bucket_set[router] = true;
	}
	if (!evs_l3_bucket_take(&mg->bucket[router], now)) {
		mg->ctr[router].icmp_rate_limited++;
		return drop(mg, router, EVS_L3_DROP_ICMP_RATE, m);
	}
	e = (struct evs_l3_icmp_err){.type = type,
				     .code = code,
				     .info = info,
				     .src = *src,
				     .smac = p->mac,
				     .dmac = k->src_mac};
	err = evs_l3_build_icmp_error(mg->cfg.pool, m, &e);
	rte_pktmbuf_free(m);
	if (err == NULL) {
		mg->drops[router][EVS_L3_DROP_MGMT]++;
		return;
	}
	mg->ctr[router].icmp_sent++;
	send_own(mg, ldp, err);
}

/* ---- ARP and ND ---- */

static struct rte_arp_hdr *arp_hdr(struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod_offset(m, struct rte_arp_hdr *, m->l2_len);
}

/* Learn from an ARP message of @k (sender) on router port @d->in_port. */
static void learn_arp(struct evs_l3_mgmt *mg, struct rte_mbuf *m, const struct evs_flow_key *k,
		      const struct evs_l3_decision *d, bool confirm, bool create)
{
	struct evs_l3_router *r = evs_l3_router_get(mg->cfg.set, d->in_router);
	struct evs_l3_neigh_key nk = {.addr = {.family = EVS_L3_IPV4}, .port = d->in_port};
	const struct rte_arp_hdr *a = arp_hdr(m);
	static const uint8_t zero[4];

	/* an ARP probe (RFC 5227: sender 0.0.0.0) tells nothing about the sender */
	if (r == NULL || memcmp(k->src_ip, zero, 4) == 0 ||
	    rte_is_multicast_ether_addr(&a->arp_data.arp_sha))
		return;
	memcpy(nk.addr.b, k->src_ip, 4);
	if (evs_l3_neigh_learn(evs_l3_router_neigh(r), &nk, &a->arp_data.arp_sha, confirm, create,
			       now_ms()) == 0)
		mg->ctr[d->in_router].learned++;
}

static void answer_arp(struct evs_l3_mgmt *mg, struct rte_mbuf *m, const struct evs_flow_key *k,
		       uint16_t ldp, const struct evs_l3_decision *d)
{
	const struct evs_l3_port_spec *p = port_of(mg->cfg.set, d->in_router, d->in_port, NULL);
	const struct rte_arp_hdr *a = arp_hdr(m);
	struct rte_mbuf *reply;

	if (p == NULL)
		return drop(mg, d->in_router, EVS_L3_DROP_MGMT, m);
	if (!port_owns(p, EVS_L3_IPV4, k->dst_ip))
		return drop(mg, d->in_router, EVS_L3_DROP_NOT_FOR_US, m);
	/* RFC 826: the requester's mapping is worth keeping (created STALE) */
	learn_arp(mg, m, k, d, false, true);
	reply = evs_l3_build_arp(mg->cfg.pool, RTE_ARP_OP_REPLY, &p->mac, k->dst_ip,
				 &a->arp_data.arp_sha, k->src_ip, &k->src_mac);
	rte_pktmbuf_free(m);
	if (reply == NULL) {
		mg->drops[d->in_router][EVS_L3_DROP_MGMT]++;
		return;
	}
	mg->ctr[d->in_router].arp_answered++;
	send_own(mg, ldp, reply);
}

/* The ICMPv6 message of @m (at least @len bytes), or NULL. */
static const uint8_t *icmp6(const struct rte_mbuf *m, uint16_t len)
{
	uint32_t off = (uint32_t)m->l2_len + m->l3_len;

	if (rte_pktmbuf_data_len(m) < off + len)
		return NULL;
	return rte_pktmbuf_mtod_offset(m, const uint8_t *, off);
}

/* The link-layer address option @type of an ND message (options after its @hlen bytes), or NULL. */
static const struct rte_ether_addr *nd_lladdr(const struct rte_mbuf *m, uint8_t type, uint32_t hlen)
{
	uint32_t off = (uint32_t)m->l2_len + m->l3_len + hlen;
	uint32_t end = rte_pktmbuf_data_len(m);
	const uint8_t *b = rte_pktmbuf_mtod(m, const uint8_t *);

	/* options are (type, length in 8 bytes); a zero length is invalid (RFC 4861 4.6) */
	while (off + 8 <= end && b[off + 1] != 0 && off + b[off + 1] * 8u <= end) {
		if (b[off] == type && b[off + 1] == 1)
			return (const struct rte_ether_addr *)(b + off + 2);
		off += b[off + 1] * 8u;
	}
	return NULL;
}

static void learn_nd(struct evs_l3_mgmt *mg, uint16_t router, uint16_t port, const uint8_t *addr,
		     const struct rte_ether_addr *mac, bool confirm, bool create)
{
	struct evs_l3_router *r = evs_l3_router_get(mg->cfg.set, router);
	struct evs_l3_neigh_key nk = {.addr = {.family = EVS_L3_IPV6}, .port = port};

	if (r == NULL || mac == NULL || rte_is_multicast_ether_addr(mac))
		return;
	memcpy(nk.addr.b, addr, 16);
	if (evs_l3_neigh_learn(evs_l3_router_neigh(r), &nk, mac, confirm, create, now_ms()) == 0)
		mg->ctr[router].learned++;
}

static void answer_ns(struct evs_l3_mgmt *mg, struct rte_mbuf *m, const struct evs_flow_key *k,
		      uint16_t ldp, const struct evs_l3_decision *d)
{
	static const uint8_t unspec[16];
	const struct evs_l3_port_spec *p = port_of(mg->cfg.set, d->in_router, d->in_port, NULL);
	const uint8_t *ns = icmp6(m, 24);
	const struct rte_ether_addr *sll;
	struct rte_mbuf *na;

	if (p == NULL || ns == NULL)
		return drop(mg, d->in_router, EVS_L3_DROP_MGMT, m);
	/* The group matched 24 bits of a router address: the target decides.
	 * Duplicate address detection (from ::) is not answered by a router
	 * owning it: RFC 4862 5.4.3 would make the host give the address up,
	 * which it must. Either way the hosts sharing the group need it:
	 * multicast goes back into the switch, flooded (L2 gives a frame with
	 * its ldp set to no router). */
	if (!port_owns(p, EVS_L3_IPV6, ns + 8) || memcmp(k->src_ip, unspec, 16) == 0) {
		if (!rte_is_multicast_ether_addr(&k->dst_mac))
			return drop(mg, d->in_router, EVS_L3_DROP_NOT_FOR_US, m);
		mg->ctr[d->in_router].ns_flooded++;
		return mg->cfg.send(mg->cfg.arg, ldp, evs_punt_in_port(m), m);
	}
	sll = nd_lladdr(m, 1, 24);
	learn_nd(mg, d->in_router, d->in_port, k->src_ip, sll, false, true);
	na = evs_l3_build_na(mg->cfg.pool, &p->mac, ns + 8, k->src_ip,
			     sll != NULL ? sll : &k->src_mac, true);
	rte_pktmbuf_free(m);
	if (na == NULL) {
		mg->drops[d->in_router][EVS_L3_DROP_MGMT]++;
		return;
	}
	mg->ctr[d->in_router].nd_answered++;
	send_own(mg, ldp, na);
}

static void learn(struct evs_l3_mgmt *mg, struct rte_mbuf *m, const struct evs_flow_key *k,
		  const struct evs_l3_decision *d)
{
	if (k->ethertype == ETH_ARP) {
		/* a reply confirms (RFC 4861 7.3.3's rule, for ARP too); never creates */
		learn_arp(mg, m, k, d, k->l4_src == RTE_BE16(RTE_ARP_OP_REPLY), false);
	} else {
		const uint8_t *na = icmp6(m, 24);

		/* solicited flag: a confirmation; override is implied for our own probes */
		if (na != NULL)
			learn_nd(mg, d->in_router, d->in_port, na + 8, nd_lladdr(m, 2, 24),
				 (na[4] & 0x40) != 0, false);
	}
	rte_pktmbuf_free(m);
}

/* ---- router advertisements ---- */

/* Router @router's port @port timer, made if new; NULL when the table is full. */
static struct ra_timer *ra_timer(struct evs_l3_mgmt *mg, uint16_t router, uint16_t port)
{
	for (unsigned int i = 0; i < mg->n_ra; i++)
		if (mg->ra[i].router == router && mg->ra[i].port == port)
			return &mg->ra[i];
	if (mg->n_ra == RA_PORTS)
		return NULL;
	mg->ra[mg->n_ra] = (struct ra_timer){.router = router, .port = port};
	return &mg->ra[mg->n_ra++];
}

static bool send_ra(struct evs_l3_mgmt *mg, uint16_t router, const struct evs_l3_port_spec *p)
{
	struct rte_mbuf *m = evs_l3_build_ra(mg->cfg.pool, p);

	if (m == NULL) {
		mg->drops[router][EVS_L3_DROP_MGMT]++;
		return false;
	}
	mg->ctr[router].ra_sent++;
	send_own(mg, p->ldp, m);
	return true;
}

unsigned int evs_l3_mgmt_tick(struct evs_l3_mgmt *mg, uint64_t now)
{
	unsigned int n = 0;

	if (mg == NULL)
		return 0;
	for (unsigned int i = 0; i < mg->n_ra; i++)
		mg->ra[i].seen = false;
	for (uint16_t id = 0; id < EVS_L3_MAX_ROUTERS; id++) {
		struct evs_l3_router *r = evs_l3_router_get(mg->cfg.set, id);

		for (uint16_t i = 0; r != NULL && i < evs_l3_port_count(r); i++) {
			const struct evs_l3_port_spec *p = evs_l3_port_at(r, i);
			struct ra_timer *t = p->ra ? ra_timer(mg, id, p->id) : NULL;

			if (t == NULL)
				continue;
			t->seen = true;
			if (now < t->next_ms)
				continue;
			if (send_ra(mg, id, p))
				n++;
			t->sent++;
			t->last_ms = now;
			t->next_ms =
			    now + (t->sent < RA_INITIAL ? RA_INITIAL_MS : EVS_L3_RA_INTERVAL_MS);
		}
	}
	/* ports gone or no longer advertising: a later one starts afresh */
	for (unsigned int i = 0; i < mg->n_ra;)
		if (!mg->ra[i].seen)
			mg->ra[i] = mg->ra[--mg->n_ra];
		else
			i++;
	return n;
}

/*
 * A router solicitation on a port that advertises: learn the host (RFC
 * 4861 6.2.6: its link-layer option, unless from ::), advertise at once
 * unless one went in the last 3 s, and flood a multicast RS on for any
 * other router of the link.
 */
static void answer_rs(struct evs_l3_mgmt *mg, struct rte_mbuf *m, const struct evs_flow_key *k,
		      uint16_t ldp, const struct evs_l3_decision *d)
{
	static const uint8_t unspec[16];
	const struct evs_l3_port_spec *p = port_of(mg->cfg.set, d->in_router, d->in_port, NULL);
	uint64_t now = now_ms();
	struct ra_timer *t;

	if (p == NULL || !p->ra || icmp6(m, 8) == NULL)
		return drop(mg, d->in_router, EVS_L3_DROP_MGMT, m);
	/* an RS's options follow its 8 bytes */
	if (memcmp(k->src_ip, unspec, 16) != 0)
		learn_nd(mg, d->in_router, d->in_port, k->src_ip, nd_lladdr(m, 1, 8), false, true);
	t = ra_timer(mg, d->in_router, p->id);
	if (t == NULL || t->last_ms == 0 || now >= t->last_ms + RA_MIN_GAP_MS) {
		if (send_ra(mg, d->in_router, p) && t != NULL)
			t->last_ms = now;
	}
	if (!rte_is_multicast_ether_addr(&k->dst_mac)) {
		rte_pktmbuf_free(m);
		return;
	}
	mg->cfg.send(mg->cfg.arg, ldp, evs_punt_in_port(m), m);
}

/* ---- resolution ---- */

static void resolve(struct evs_l3_mgmt *mg, struct rte_mbuf *m, const struct evs_l3_decision *d)
{
	struct evs_l3_router *r = evs_l3_router_get(mg->cfg.set, d->router);

	if (r == NULL)
		return drop(mg, d->router, EVS_L3_DROP_MGMT, m);
	mg->ctr[d->router].held++;
	/* consumed in every case; drops are the table's (hold_full, table_full) */
	if (evs_l3_neigh_resolve(evs_l3_router_neigh(r), &d->neigh, m, now_ms()) < 0)
		mg->ctr[d->router].held--;
}

static void neigh_probe(void *ctx, uint16_t owner, const struct evs_l3_neigh_key *key,
			const struct rte_ether_addr *mac)
{
	struct evs_l3_mgmt *mg = ctx;
	const struct evs_l3_port_spec *p = port_of(mg->cfg.set, owner, key->port, NULL);
	const struct evs_l3_addr *src = p != NULL ? port_addr_for(p, &key->addr) : NULL;
	struct rte_mbuf *m;

	if (src == NULL)
		return;
	if (key->addr.family == EVS_L3_IPV4)
		m = evs_l3_build_arp(mg->cfg.pool, RTE_ARP_OP_REQUEST, &p->mac, src->b, NULL,
				     key->addr.b, mac);
	else
		m = evs_l3_build_ns(mg->cfg.pool, &p->mac, src->b, key->addr.b, mac);
	if (m == NULL)
		return;
	if (key->addr.family == EVS_L3_IPV4)
		mg->ctr[owner].arp_sent++;
	else
		mg->ctr[owner].nd_sent++;
	send_own(mg, p->ldp, m);
}

/* Run @m again from the switch it came in on, after the next dependency bump. */
static void pend(struct evs_l3_mgmt *mg, struct rte_mbuf *m)
{
	if (mg->n_pending == PENDING_MAX)
		evs_l3_mgmt_flush(mg);
	mg->pending[mg->n_pending++] = m;
}

/*
 * A held packet may go: it runs again from the switch it came in on, now
 * that the neighbour is known (after the dependency bump: see flush).
 */
static void neigh_release(void *ctx, uint16_t owner, const struct evs_l3_neigh_key *key,
			  const struct rte_ether_addr *mac, struct rte_mbuf *m)
{
	struct evs_l3_mgmt *mg = ctx;

	(void)key, (void)mac;
	mg->ctr[owner].released++;
	pend(mg, m);
}

unsigned int evs_l3_mgmt_flush(struct evs_l3_mgmt *mg)
{
	unsigned int n = mg->n_pending;

	for (unsigned int i = 0; i < n; i++) {
		struct rte_mbuf *m = mg->pending[i];

		mg->cfg.send(mg->cfg.arg, (uint16_t)evs_punt_aux(m), evs_punt_in_port(m), m);
	}
	mg->n_pending = 0;
	return n;
}

/* Parse a punted packet; its switch is the punt's word. @return 0, -EINVAL. */
static int reparse(struct rte_mbuf *m, struct evs_flow_key *k, uint16_t *ldp)
{
	*ldp = (uint16_t)evs_punt_aux(m);
	if (evs_packet_parse(m, evs_punt_in_port(m), k) != EVS_DROP_NONE)
		return -EINVAL;
	k->ldp = *ldp;
	return 0;
}

static void neigh_unreachable(void *ctx, uint16_t owner, const struct evs_l3_neigh_key *key,
			      struct rte_mbuf *m)
{
	struct evs_l3_mgmt *mg = ctx;
	struct evs_l3_decision d;
	struct evs_flow_key k;
	uint16_t ldp;

	(void)key;
	if (reparse(m, &k, &ldp) < 0)
		return drop(mg, owner, EVS_L3_DROP_MGMT, m);
	evs_l3_decide(mg->cfg.set, ldp, &k, false, &d);
	if (d.verdict == EVS_L3_NOT_MINE)
		return drop(mg, owner, EVS_L3_DROP_MGMT, m);
	/* host unreachable: ICMP 3/1, ICMPv6 1/3 */
	icmp_error(mg, m, &k, ldp, d.in_router, d.in_port, k.ethertype == ETH_IPV4 ? 3 : 1,
		   k.ethertype == ETH_IPV4 ? 1 : 3, 0);
}

const struct evs_l3_neigh_ops evs_l3_mgmt_neigh_ops = {
    .probe = neigh_probe, .release = neigh_release, .unreachable = neigh_unreachable};

/* ---- the punt handler ---- */

/* The route opcode found the packet too big or at its last hop. */
static void forward_error(struct evs_l3_mgmt *mg, struct rte_mbuf *m, const struct evs_flow_key *k,
			  uint16_t ldp, const struct evs_l3_decision *d, uint16_t code)
{
	bool v4 = k->ethertype == ETH_IPV4;

	if (d->verdict != EVS_L3_FORWARD && d->verdict != EVS_L3_RESOLVE)
		return drop(mg, d->in_router, EVS_L3_DROP_MGMT, m);
	if (code == EVS_L3_PUNT_TTL)
		return icmp_error(mg, m, k, ldp, d->in_router, d->in_port, v4 ? 11 : 3, 0, 0);
	/* frag needed (3/4) with the next-hop MTU; packet too big (2/0) with the MTU */
	icmp_error(mg, m, k, ldp, d->in_router, d->in_port, v4 ? 3 : 2, v4 ? 4 : 0, d->mtu);
}

/* The route opcode found an IPv4 packet over the egress MTU with DF clear: split it. */
static void fragment(struct evs_l3_mgmt *mg, struct rte_mbuf *m, const struct evs_l3_decision *d)
{
	const struct rte_ether_addr macs[2] = {d->dst_mac, d->src_mac};
	struct rte_mbuf *frags[EVS_L3_FRAG_MAX];
	int n = evs_l3_fragment4(mg->cfg.pool, m, d->mtu, macs, frags, RTE_DIM(frags));

	if (n < 0)
		return drop(mg, d->in_router, n == -ENOMEM ? EVS_L3_DROP_MGMT : EVS_L3_DROP_NO_FRAG,
			    m);
	rte_pktmbuf_free(m);
	mg->ctr[d->in_router].fragmented++;
	mg->ctr[d->in_router].fragments += (uint64_t)n;
	/* into the egress switch, which sends them to the next hop's MAC */
	for (int i = 0; i < n; i++)
		send_own(mg, d->out_ldp, frags[i]);
}

void l3_mgmt_punt(void *arg, struct rte_mbuf *m, uint16_t code)
{
	struct evs_l3_mgmt *mg = arg;
	struct evs_l3_decision d;
	struct evs_flow_key k;
	uint16_t ldp;

	if (mg == NULL) {
		rte_pktmbuf_free(m);
		return;
	}
	if (reparse(m, &k, &ldp) < 0)
		return drop(mg, 0, EVS_L3_DROP_MGMT, m);
	/* today's tables decide: the datapath's decision may be a change old */
	evs_l3_decide(mg->cfg.set, ldp, &k, false, &d);
	if (code == EVS_L3_PUNT_FRAG && d.verdict == EVS_L3_FORWARD)
		return fragment(mg, m, &d);
	/* a fragment whose route changed meanwhile is decided like any punt */
	if (code == EVS_L3_PUNT_TOO_BIG || code == EVS_L3_PUNT_TTL)
		return forward_error(mg, m, &k, ldp, &d, code);
	switch (d.verdict) {
	case EVS_L3_LOCAL_ARP:
		return answer_arp(mg, m, &k, ldp, &d);
	case EVS_L3_LOCAL_ND:
		return answer_ns(mg, m, &k, ldp, &d);
	case EVS_L3_LEARN:
		return learn(mg, m, &k, &d);
	case EVS_L3_LOCAL_RS:
		return answer_rs(mg, m, &k, ldp, &d);
	case EVS_L3_RESOLVE:
		return resolve(mg, m, &d);
	case EVS_L3_ICMP_ERROR:
		return icmp_error(mg, m, &k, ldp, d.in_router, d.in_port, d.icmp_type, d.icmp_code,
				  d.icmp_info);
	case EVS_L3_LOCAL_ECHO:
		/* normally answered by the echo opcode; a change raced it */
		if (evs_l3_echo_reply(m, &k) == 0)
			return send_own(mg, ldp, m);
		return drop(mg, d.in_router, EVS_L3_DROP_ECHO, m);
	case EVS_L3_FORWARD:
		/* resolved meanwhile: run it again once its megaflow knows */
		return pend(mg, m);
	default:
		return drop(mg, d.in_router, EVS_L3_DROP_MGMT, m);
	}
}
