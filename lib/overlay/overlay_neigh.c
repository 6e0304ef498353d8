/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The underlay's own ARP and neighbour discovery: a VTEP without a
 * configured next-hop MAC sends to the MAC lib/l3's neighbour table holds
 * for its next hop (the VTEP itself, or the underlay's gateway). The PMDs
 * hand the management lcore, through one ring, the frames of a VTEP whose
 * next hop is not known yet (held by the table, sent again to their tunnel
 * port once it is) and the ARP/ND they receive on an underlay; the
 * management lcore answers requests for the underlays' addresses, learns,
 * probes (the table's clock) and publishes each VTEP's next-hop MAC as one
 * word the PMDs read once per burst.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_ring.h>

#include "evs_packet.h"
#include "overlay_private.h"

#define PUNT_RING 1024u
#define POLL_BURST 64u
#define TICK_MS 100u
/* RFC 5227 2.3: two announcements, two seconds apart */
#define ANNOUNCE_NUM 2u
#define ANNOUNCE_INTERVAL_MS 2000u

/* Neighbour timers: RFC 4861's defaults, as lib/l3's routers use them. */
static const struct evs_l3_neigh_config neigh_defaults = {
    .capacity = 2 * EVS_OVERLAY_MAX_VTEPS,
    .hold_max = 4,
    .retrans_ms = 1000,
    .max_probes = 3,
    .reachable_ms = 30000,
    .stale_ms = 600000,
};

/* Out of underlay port @p port, in its VLAN @p vlan (0: untagged). */
static void send_port(const struct evs_overlay *ov, uint16_t port, uint16_t vlan,
		      struct rte_mbuf *m)
{
	if (ov->cfg.tx == NULL || (vlan != 0 && evs_packet_set_vlan(m, vlan) != 0)) {
		rte_pktmbuf_free(m);
		return;
	}
	ov->cfg.tx(ov->cfg.arg, port, m);
}

/* The underlay address of family @p family on port slot @p port (in VLAN
 * @p vlan; -1: any), or -1. A port carries one underlay per family and VLAN. */
static int local_of(const struct evs_overlay_dp *dp, uint16_t port, uint8_t family, int vlan)
{
	for (unsigned int i = 0; dp != NULL && i < dp->n_local; i++)
		if (dp->local_port[i] == port && dp->local[i].family == family &&
		    (vlan < 0 || dp->local_vlan[i] == vlan))
			return (int)i;
	return -1;
}

/* lib/l3 builds a router's NA (R set): a VTEP is a host (RFC 4861 4.4),
 * so clear R and fix the checksum (RFC 1624). */
static struct rte_mbuf *host_na(struct rte_mbuf *m)
{
	uint8_t *icmp;
	uint16_t old, new, sum;
	uint32_t x;

	if (m == NULL)
		return NULL;
	icmp = rte_pktmbuf_mtod_offset(m, uint8_t *, RTE_ETHER_HDR_LEN + 40);
	old = (uint16_t)(icmp[4] << 8 | icmp[5]);
	icmp[4] &= 0x7f;
	new = (uint16_t)(icmp[4] << 8 | icmp[5]);
	sum = (uint16_t)(icmp[2] << 8 | icmp[3]);
	x = (uint32_t)(uint16_t)~sum + (uint16_t)~old + new;
	x = (x & 0xffff) + (x >> 16);
	x = (x & 0xffff) + (x >> 16);
	sum = (uint16_t)~x;
	icmp[2] = (uint8_t)(sum >> 8);
	icmp[3] = (uint8_t)sum;
	return m;
}

static bool same_key(const struct evs_l3_neigh_key *a, const struct evs_l3_neigh_key *b)
{
	return a->port == b->port && a->addr.family == b->addr.family &&
	       memcmp(a->addr.b, b->addr.b, a->addr.family == EVS_L3_IPV4 ? 4 : 16) == 0;
}

/* Publish @p mac (NULL: unknown) as the next hop of every VTEP resolving @p key. */
static void nh_set(struct evs_overlay *ov, const struct evs_overlay_dp *dp,
		   const struct evs_l3_neigh_key *key, const struct rte_ether_addr *mac)
{
	uint64_t w = mac != NULL ? ovl_nh_pack(mac) : 0;

	for (unsigned int v = 0; dp != NULL && v < EVS_OVERLAY_MAX_VTEPS; v++)
		if (dp->nh[v].resolve && same_key(&dp->nh[v].key, key))
			/* relaxed: a PMD reading the old word sends one burst to the
			 * old MAC or holds it once more; nothing else hangs on it */
			__atomic_store_n(&ov->nh_mac[v], w, __ATOMIC_RELAXED);
}

/* Every VTEP's word again from the table (a new dp, or the table changed). */
static void nh_sync(struct evs_overlay *ov)
{
	const struct evs_overlay_dp *dp = ov->dp;

	for (unsigned int v = 0; v < EVS_OVERLAY_MAX_VTEPS; v++) {
		struct rte_ether_addr mac;
		uint64_t w = 0;

		if (dp != NULL && dp->nh[v].resolve &&
		    evs_l3_neigh_lookup(ov->neigh, &dp->nh[v].key, &mac) == 0)
			w = ovl_nh_pack(&mac);
		__atomic_store_n(&ov->nh_mac[v], w, __ATOMIC_RELAXED);
	}
	ov->nh_dp = dp;
	ov->nh_gen = evs_l3_neigh_generation(ov->neigh);
}

/* ---- the neighbour table's callbacks (management lcore) ---- */

static void neigh_probe(void *ctx, uint16_t owner, const struct evs_l3_neigh_key *key,
			const struct rte_ether_addr *mac)
{
	struct evs_overlay *ov = ctx;
	const struct evs_overlay_dp *dp = ov->dp;
	unsigned int l = OVL_NEIGH_LOCAL(key->port);
	uint16_t port = OVL_NEIGH_SLOT(key->port);
	struct rte_mbuf *m;

	(void)owner;
	if (dp == NULL || l >= dp->n_local || dp->local_port[l] != port ||
	    dp->local[l].family != key->addr.family || ov->cfg.pool == NULL)
		return; /* the table changed since: the next probe is right */
	if (key->addr.family == EVS_L3_IPV4)
		m = evs_l3_build_arp(ov->cfg.pool, RTE_ARP_OP_REQUEST, &dp->local_mac[l],
				     dp->local[l].b, NULL, key->addr.b, mac);
	else
		m = evs_l3_build_ns(ov->cfg.pool, &dp->local_mac[l], dp->local[l].b, key->addr.b,
				    mac);
	if (m != NULL)
		send_port(ov, port, dp->local_vlan[l], m);
}

/* A held frame may go: the word first, so that its tunnel port sends it. */
static void neigh_release(void *ctx, uint16_t owner, const struct evs_l3_neigh_key *key,
			  const struct rte_ether_addr *mac, struct rte_mbuf *m)
{
	struct evs_overlay *ov = ctx;

	(void)owner;
	nh_set(ov, ov->dp, key, mac);
	if (ov->cfg.tx_tunnel == NULL) {
		rte_pktmbuf_free(m);
		return;
	}
	ov->cfg.tx_tunnel(ov->cfg.arg, (uint16_t)(m->hash.fdir.hi & 0xffff), m);
}

/* Resolution failed: the table counts it (unresolved); a tunnel has no
 * sender to tell (its frames are a switch's, not routed). */
static void neigh_unreachable(void *ctx, uint16_t owner, const struct evs_l3_neigh_key *key,
			      struct rte_mbuf *m)
{
	(void)ctx, (void)owner, (void)key;
	rte_pktmbuf_free(m);
}

int ovl_neigh_init(struct evs_overlay *ov)
{
	static unsigned int seq; /* ring and hash names are per process */
	struct evs_l3_neigh_config c = neigh_defaults;
	char name[RTE_RING_NAMESIZE];

	snprintf(name, sizeof(name), "evs_ovl%u", __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED));
	c.name = name;
	c.socket_id = SOCKET_ID_ANY;
	c.ops = (struct evs_l3_neigh_ops){
	    .probe = neigh_probe, .release = neigh_release, .unreachable = neigh_unreachable};
	c.ctx = ov;
	ov->nh_mac = calloc(EVS_OVERLAY_MAX_VTEPS, sizeof(*ov->nh_mac));
	ov->neigh = evs_l3_neigh_create(&c);
	/* many PMDs put, the management lcore takes */
	ov->punt = rte_ring_create(name, PUNT_RING, SOCKET_ID_ANY, RING_F_SC_DEQ);
	if (ov->nh_mac == NULL || ov->neigh == NULL || ov->punt == NULL) {
		ovl_neigh_fini(ov);
		return -ENOMEM;
	}
	return 0;
}

void ovl_neigh_fini(struct evs_overlay *ov)
{
	void *m;

	while (ov->punt != NULL && rte_ring_dequeue(ov->punt, &m) == 0)
		rte_pktmbuf_free(m);
	rte_ring_free(ov->punt);
	evs_l3_neigh_free(ov->neigh);
	free(ov->nh_mac);
	ov->punt = NULL;
	ov->neigh = NULL;
	ov->nh_mac = NULL;
}

/* ---- PMD side ---- */

/* single writer (this lcore) */
static inline void ctr_add(uint64_t *c, uint64_t v)
{
	__atomic_store_n(c, *c + v, __ATOMIC_RELAXED);
}

static void punt(const struct evs_overlay *ov, enum ovl_punt kind, uint16_t word,
		 struct rte_mbuf **pkts, uint16_t n, uint64_t *ok, struct evs_overlay_stats *st)
{
	unsigned int sent;

	for (uint16_t i = 0; i < n; i++)
		pkts[i]->hash.fdir.hi = (uint32_t)kind << 16 | word;
	sent = rte_ring_mp_enqueue_burst(ov->punt, (void **)pkts, n, NULL);
	ctr_add(ok, sent);
	if (unlikely(sent < n)) {
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
		ctr_add(&st->drops[EVS_OVL_DROP_UNRESOLVED], n - sent);
	}
}

void ovl_neigh_hold(const struct evs_overlay *ov, uint16_t tp, struct rte_mbuf **pkts, uint16_t n,
		    struct evs_overlay_stats *st)
{
	punt(ov, OVL_PUNT_HOLD, tp, pkts, n, &st->held, st);
}

void ovl_neigh_punt(const struct evs_overlay *ov, uint16_t port, struct rte_mbuf **pkts, uint16_t n,
		    struct evs_overlay_stats *st)
{
	punt(ov, OVL_PUNT_NEIGH, port, pkts, n, &st->neigh_in, st);
}

/* ---- management side ---- */

static uint64_t now_ms(const struct evs_overlay *ov)
{
	return ovl_now_ms(ov);
}

/* @p l: the underlay (local) of the frame's port, VLAN and family. */
static void learn(struct evs_overlay *ov, uint16_t port, int l, uint8_t family, const uint8_t *addr,
		  const struct rte_ether_addr *mac, bool confirm, bool create)
{
	struct evs_l3_neigh_key k = {.addr = {.family = family}, .port = OVL_NEIGH_PORT(port, l)};

	if (l < 0 || mac == NULL || rte_is_multicast_ether_addr(mac) || rte_is_zero_ether_addr(mac))
		return;
	memcpy(k.addr.b, addr, family == EVS_L3_IPV4 ? 4 : 16);
	evs_l3_neigh_learn(ov->neigh, &k, mac, confirm, create, now_ms(ov));
}

static void on_arp(struct evs_overlay *ov, const struct evs_overlay_dp *dp, uint16_t port,
		   struct rte_mbuf *m, const struct evs_flow_key *k, int vlan)
{
	const struct rte_arp_hdr *a =
	    rte_pktmbuf_mtod_offset(m, const struct rte_arp_hdr *, m->l2_len);
	int l = local_of(dp, port, EVS_L3_IPV4, vlan);
	bool for_us = l >= 0 && memcmp(k->dst_ip, dp->local[l].b, 4) == 0;
	static const uint8_t zero[4];
	struct rte_mbuf *r;

	/* an ARP probe (RFC 5227: sender 0.0.0.0) tells nothing about its sender */
	if (memcmp(k->src_ip, zero, 4) != 0)
		/* RFC 826: a request for us creates the requester's entry; a reply
		 * confirms; anything else refreshes what we have */
		learn(ov, port, l, EVS_L3_IPV4, k->src_ip, &a->arp_data.arp_sha,
		      for_us && k->l4_src == RTE_BE16(RTE_ARP_OP_REPLY),
		      for_us && k->l4_src == RTE_BE16(RTE_ARP_OP_REQUEST));
	if (!for_us || k->l4_src != RTE_BE16(RTE_ARP_OP_REQUEST) || ov->cfg.pool == NULL)
		return;
	r = evs_l3_build_arp(ov->cfg.pool, RTE_ARP_OP_REPLY, &dp->local_mac[l], dp->local[l].b,
			     &a->arp_data.arp_sha, k->src_ip, &k->src_mac);
	if (r != NULL) {
		ov->answered++;
		send_port(ov, port, dp->local_vlan[l], r);
	}
}

/* The link-layer address option @p type of an NS/NA at @p nd (@p len bytes), or NULL. */
static const struct rte_ether_addr *nd_lladdr(const uint8_t *nd, uint32_t len, uint8_t type)
{
	/* options (type, length in 8 bytes) after 24 bytes; a zero length is invalid */
	for (uint32_t off = 24; off + 8 <= len && nd[off + 1] != 0 && off + nd[off + 1] * 8u <= len;
	     off += nd[off + 1] * 8u)
		if (nd[off] == type && nd[off + 1] == 1)
			return (const struct rte_ether_addr *)(nd + off + 2);
	return NULL;
}

static void on_nd(struct evs_overlay *ov, const struct evs_overlay_dp *dp, uint16_t port,
		  struct rte_mbuf *m, const struct evs_flow_key *k, int vlan)
{
	static const uint8_t unspec[16];
	uint32_t off = (uint32_t)m->l2_len + m->l3_len, len;
	const uint8_t *nd = rte_pktmbuf_mtod_offset(m, const uint8_t *, off);
	const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, m->l2_len);
	int l = local_of(dp, port, EVS_L3_IPV6, vlan);
	struct rte_mbuf *r;

	len = rte_pktmbuf_data_len(m) - off;
	/* RFC 4861 7.1: hop limit 255 (not forwarded), ICMP code 0, 24 bytes */
	if (len < 24 || ip[7] != 255 || nd[1] != 0)
		return;
	if (nd[0] == 136) { /* NA: the target's MAC; solicited confirms */
		learn(ov, port, l, EVS_L3_IPV6, nd + 8, nd_lladdr(nd, len, 2), (nd[4] & 0x40) != 0,
		      false);
		return;
	}
	if (l < 0 || memcmp(nd + 8, dp->local[l].b, 16) != 0 || memcmp(k->src_ip, unspec, 16) == 0)
		return; /* not ours, or duplicate address detection */
	learn(ov, port, l, EVS_L3_IPV6, k->src_ip, nd_lladdr(nd, len, 1), false, true);
	if (ov->cfg.pool == NULL)
		return;
	r = host_na(evs_l3_build_na(
	    ov->cfg.pool, &dp->local_mac[l], nd + 8, k->src_ip,
	    nd_lladdr(nd, len, 1) != NULL ? nd_lladdr(nd, len, 1) : &k->src_mac, true));
	if (r != NULL) {
		ov->answered++;
		send_port(ov, port, dp->local_vlan[l], r);
	}
}

static void on_neigh(struct evs_overlay *ov, struct rte_mbuf *m, uint16_t port)
{
	struct evs_flow_key k;

	/* only an underlay's own VLAN (untagged: 0) of this port counts */
	if (evs_packet_parse(m, port, &k) == EVS_DROP_NONE &&
	    (local_of(ov->dp, port, EVS_L3_IPV4, k.vlan_tci & 0xfff) >= 0 ||
	     local_of(ov->dp, port, EVS_L3_IPV6, k.vlan_tci & 0xfff) >= 0)) {
		int vlan = k.vlan_tci & 0xfff;

		if (k.ethertype == RTE_BE16(RTE_ETHER_TYPE_ARP))
			on_arp(ov, ov->dp, port, m, &k, vlan);
		else if (k.ip_proto == IPPROTO_ICMPV6)
			on_nd(ov, ov->dp, port, m, &k, vlan);
	}
	rte_pktmbuf_free(m);
}

/* A frame of tunnel port @p tp waits for its VTEP's next hop. */
static void on_hold(struct evs_overlay *ov, struct rte_mbuf *m, uint16_t tp)
{
	const struct evs_overlay_dp *dp = ov->dp;
	const struct ovl_dp_port *p =
	    dp != NULL && tp < dp->n_ports && dp->ports[tp].owner != 0 ? &dp->ports[tp] : NULL;

	if (p == NULL || !p->resolve) { /* the port went, or got a configured MAC */
		if (p != NULL && ov->cfg.tx_tunnel != NULL)
			ov->cfg.tx_tunnel(ov->cfg.arg, tp, m);
		else
			rte_pktmbuf_free(m);
		return;
	}
	/* consumed in every case: held, released at once, or counted by the table */
	evs_l3_neigh_resolve(ov->neigh, &dp->nh[p->vtep].key, m, now_ms(ov));
}

/* The underlays' addresses as @p dp has them: an address, MAC, port or
 * VLAN not announced before is announced again (a restart, a move). */
static void announce_sync(struct evs_overlay *ov, const struct evs_overlay_dp *dp, uint64_t now)
{
	struct ovl_announce next[RTE_DIM(ov->ann)];
	uint8_t n = 0;

	for (unsigned int i = 0; dp != NULL && i < dp->n_local && n < RTE_DIM(next); i++) {
		struct ovl_announce a = {.a = dp->local[i],
					 .mac = dp->local_mac[i],
					 .port = dp->local_port[i],
					 .vlan = dp->local_vlan[i],
					 .left = ANNOUNCE_NUM,
					 .next_ms = now};

		if (a.port == UINT16_MAX)
			continue;
		for (unsigned int j = 0; j < ov->n_ann; j++) {
			const struct ovl_announce *o = &ov->ann[j];

			if (o->port == a.port && o->vlan == a.vlan && o->a.family == a.a.family &&
			    memcmp(o->a.b, a.a.b, sizeof(a.a.b)) == 0 &&
			    rte_is_same_ether_addr(&o->mac, &a.mac)) {
				a.left = o->left;
				a.next_ms = o->next_ms;
				break;
			}
		}
		next[n++] = a;
	}
	memcpy(ov->ann, next, n * sizeof(next[0]));
	ov->n_ann = n;
}

/* Gratuitous ARP (RFC 5227 2.3: a request, sender and target our address,
 * broadcast) or unsolicited NA (RFC 4861 7.2.6: to all nodes, override). */
static void announce_tick(struct evs_overlay *ov, uint64_t now)
{
	static const uint8_t all_nodes[16] = {0xff, 0x02, [15] = 1};
	static const struct rte_ether_addr all_nodes_mac = {{0x33, 0x33, 0, 0, 0, 1}};

	for (unsigned int i = 0; i < ov->n_ann && ov->cfg.pool != NULL; i++) {
		struct ovl_announce *a = &ov->ann[i];
		struct rte_mbuf *m;

		if (a->left == 0 || now < a->next_ms)
			continue;
		if (a->a.family == 4)
			m = evs_l3_build_arp(ov->cfg.pool, RTE_ARP_OP_REQUEST, &a->mac, a->a.b,
					     NULL, a->a.b, NULL);
		else
			m = host_na(evs_l3_build_na(ov->cfg.pool, &a->mac, a->a.b, all_nodes,
						    &all_nodes_mac, false));
		a->left--;
		a->next_ms = now + ANNOUNCE_INTERVAL_MS;
		if (m == NULL)
			continue;
		ov->announced++;
		send_port(ov, a->port, a->vlan, m);
	}
}

void evs_overlay_link_up(struct evs_overlay *ov, uint16_t slot)
{
	uint64_t now = now_ms(ov);

	/* the configuration's announcements may have left while the link was
	 * down: the next poll sends them again, twice */
	for (unsigned int i = 0; i < ov->n_ann; i++)
		if (ov->ann[i].port == slot) {
			ov->ann[i].left = ANNOUNCE_NUM;
			ov->ann[i].next_ms = now;
		}
}

void ovl_neigh_poll(struct evs_overlay *ov)
{
	struct rte_mbuf *m[POLL_BURST];
	unsigned int n;
	uint64_t now = now_ms(ov);

	if (ov->nh_dp != ov->dp) {
		announce_sync(ov, ov->dp, now);
		nh_sync(ov); /* a new table: other VTEPs, other next hops */
	}
	announce_tick(ov, now);
	do {
		n = rte_ring_sc_dequeue_burst(ov->punt, (void **)m, POLL_BURST, NULL);
		for (unsigned int i = 0; i < n; i++) {
			uint16_t w = (uint16_t)(m[i]->hash.fdir.hi & 0xffff);

			if (m[i]->hash.fdir.hi >> 16 == OVL_PUNT_HOLD)
				on_hold(ov, m[i], w);
			else
				on_neigh(ov, m[i], w);
		}
	} while (n == POLL_BURST);
	if (now >= ov->next_tick_ms) {
		evs_l3_neigh_tick(ov->neigh, now);
		ov->next_tick_ms = now + TICK_MS;
	}
	if (evs_l3_neigh_generation(ov->neigh) != ov->nh_gen)
		nh_sync(ov);
}

static const char *const state_names[] = {
    [EVS_L3_NEIGH_INCOMPLETE] = "incomplete",
    [EVS_L3_NEIGH_REACHABLE] = "reachable",
    [EVS_L3_NEIGH_STALE] = "stale",
    [EVS_L3_NEIGH_STATIC] = "static",
};

static int neigh_item(const struct evs_l3_neigh_key *key, enum evs_l3_neigh_state st,
		      const struct rte_ether_addr *mac, uint16_t n_held, void *arg)
{
	char a[64] = "", e[RTE_ETHER_ADDR_FMT_SIZE] = "";

	inet_ntop(key->addr.family == EVS_L3_IPV4 ? AF_INET : AF_INET6, key->addr.b, a, sizeof(a));
	if (st != EVS_L3_NEIGH_INCOMPLETE)
		rte_ether_format_addr(e, sizeof(e), mac);
	return json_array_append_new(
	    arg, json_pack("{s:i, s:s, s:s, s:s, s:i}", "port", (int)OVL_NEIGH_SLOT(key->port),
			   "address", a, "state", state_names[st], "mac", e, "held", (int)n_held));
}

json_t *evs_overlay_neigh_json(const struct evs_overlay *ov)
{
	struct evs_l3_neigh_stats s;
	json_t *list = json_array();

	if (list == NULL || evs_l3_neigh_walk(ov->neigh, neigh_item, list) != 0) {
		json_decref(list);
		errno = ENOMEM;
		return NULL;
	}
	evs_l3_neigh_stats(ov->neigh, &s);
	return json_pack("{s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "neighbours", list,
			 "announced", (json_int_t)ov->announced, "probes", (json_int_t)s.probes,
			 "resolved", (json_int_t)s.resolved, "held", (json_int_t)s.held, "released",
			 (json_int_t)s.released, "hold_full", (json_int_t)s.hold_full, "unresolved",
			 (json_int_t)s.unresolved, "answered", (json_int_t)ov->answered);
}
