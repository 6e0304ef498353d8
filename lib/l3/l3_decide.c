/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The routing decision for one flow, as the slow path makes it: which router
 * port the frame was sent to, whether the router answers it itself (ARP, ND,
 * echo), or the route, next hop and rewrite, or the ICMP error. It records
 * every key field it read, and how many destination bits, so the result can
 * be cached in a megaflow that matches exactly those.
 */
#include <netinet/in.h>

#include <rte_arp.h>

#include "l3_router_private.h"

#define ETH_IPV4 RTE_BE16(RTE_ETHER_TYPE_IPV4)
#define ETH_IPV6 RTE_BE16(RTE_ETHER_TYPE_IPV6)
#define ETH_ARP RTE_BE16(RTE_ETHER_TYPE_ARP)

/* the module's reasons (evs_l3_module.drop_names) extend the library's */
const char *const l3_drop_names[EVS_L3_MOD_DROP_MAX] = {
    [EVS_L3_DROP_TTL] = "ttl_exceeded",
    [EVS_L3_DROP_NO_ROUTE] = "no_route",
    [EVS_L3_DROP_BLACKHOLE] = "blackhole",
    [EVS_L3_DROP_REJECT] = "reject",
    [EVS_L3_DROP_NO_VRF] = "no_vrf",
    [EVS_L3_DROP_TOO_BIG] = "too_big",
    [EVS_L3_DROP_NO_FRAG] = "no_frag",
    [EVS_L3_DROP_SOURCE_ROUTE] = "source_route",
    [EVS_L3_DROP_LOCAL] = "local",
    [EVS_L3_DROP_BAD_SRC] = "bad_src",
    [EVS_L3_DROP_NOT_IP] = "not_ip",
    [EVS_L3_DROP_NO_SRC_ADDR] = "no_src_addr",
    [EVS_L3_DROP_ICMP_RATE] = "icmp_rate",
    [EVS_L3_DROP_HOLD_FULL] = "neigh_hold_full",
    [EVS_L3_DROP_UNRESOLVED] = "neigh_unresolved",
    [EVS_L3_DROP_NEIGH_FULL] = "neigh_table_full",
    [EVS_L3_DROP_LINK_LOCAL] = "link_local",
    [EVS_L3_DROP_NOT_ROUTER] = "not_router",
    [EVS_L3_DROP_ECHO] = "echo_failed",
    [EVS_L3_DROP_MGMT] = "mgmt",
    [EVS_L3_DROP_NOT_FOR_US] = "not_for_us",
};

const char *evs_l3_drop_name(unsigned int reason)
{
	return reason < EVS_L3_MOD_DROP_MAX ? l3_drop_names[reason] : "?";
}

static uint8_t icmp_type_of(const struct evs_flow_key *k)
{
	return (uint8_t)rte_be_to_cpu_16(k->l4_src);
}

static void drop(struct evs_l3_decision *d, enum evs_l3_drop why)
{
	d->verdict = EVS_L3_DROP;
	d->reason = (uint16_t)why;
}

/* An ICMP error from the ingress port's address, or a plain drop when none may go. */
static void icmp_error(struct evs_l3_decision *d, const struct evs_flow_key *k,
		       const struct evs_l3_port_spec *in, uint8_t type, uint8_t code,
		       enum evs_l3_drop why)
{
	uint8_t fam = k->ethertype == ETH_IPV4 ? EVS_L3_IPV4 : EVS_L3_IPV6;

	drop(d, why);
	/* the checks read the source, the protocol and the ICMP type */
	d->fields |= EVS_L3_F_SRC_IP | EVS_L3_F_PROTO | EVS_L3_F_L4_SRC | EVS_L3_F_FRAG;
	d->dst_bits = fam == EVS_L3_IPV4 ? 32 : 128;
	if (!evs_l3_icmp_error_allowed(k, type))
		return;
	for (uint8_t i = 0; i < in->n_addrs; i++) {
		if (in->addrs[i].addr.family == fam) {
			d->verdict = EVS_L3_ICMP_ERROR;
			d->icmp_type = type;
			d->icmp_code = code;
			d->icmp_src = in->addrs[i].addr;
			return;
		}
	}
	if (fam == EVS_L3_IPV6) { /* a link-local-only link: its address serves (RFC 4443 2.2) */
		d->verdict = EVS_L3_ICMP_ERROR;
		d->icmp_type = type;
		d->icmp_code = code;
		d->icmp_src = in->ll6;
		return;
	}
	d->reason = EVS_L3_DROP_NO_SRC_ADDR;
}

/* Is @k (an ARP request or NS) for an address of port @p? NS: the solicited-node group's 24 bits.
 */
static bool solicits(const struct evs_l3_port_spec *p, bool arp, const struct evs_flow_key *k)
{
	if (!arp && k->dst_ip[0] == 0xff && !memcmp(p->ll6.b + 13, k->dst_ip + 13, 3))
		return true;
	for (uint8_t a = 0; a < p->n_addrs; a++) {
		const struct evs_l3_addr *x = &p->addrs[a].addr;

		if (arp ? x->family == EVS_L3_IPV4 && !memcmp(x->b, k->dst_ip, 4)
			: x->family == EVS_L3_IPV6 && k->dst_ip[0] == 0xff &&
			      !memcmp(x->b + 13, k->dst_ip + 13, 3))
			return true;
	}
	return false;
}

/*
 * Frames not sent to a router MAC: broadcast ARP and multicast NS for a
 * router address, router solicitations where a port sends RAs.
 */
static void decide_multicast(const struct evs_l3_set *set, uint16_t ldp,
			     const struct evs_flow_key *k, struct evs_l3_decision *d)
{
	bool arp = k->ethertype == ETH_ARP, rs;

	d->fields |= EVS_L3_F_ETHERTYPE;
	if (!arp && k->ethertype != ETH_IPV6)
		return;
	d->fields |= arp ? EVS_L3_F_L4_SRC : EVS_L3_F_PROTO | EVS_L3_F_L4_SRC;
	rs = !arp && k->ip_proto == IPPROTO_ICMPV6 && icmp_type_of(k) == 133;
	if (!rs && (arp ? k->l4_src != RTE_BE16(RTE_ARP_OP_REQUEST)
			: k->ip_proto != IPPROTO_ICMPV6 || icmp_type_of(k) != 135))
		return;
	/* the ARP target, or the solicited-node group (its last 24 bits); RS: any */
	if (!rs)
		d->dst_bits = arp ? 32 : 128;
	for (unsigned int id = 0; id < EVS_L3_MAX_ROUTERS; id++) {
		const struct evs_l3_router *r = set->routers[id];

		for (uint16_t i = 0; r != NULL && i < r->n_ports; i++) {
			const struct evs_l3_port_spec *p = &r->ports[i];

			if (p->ldp != ldp || !(rs ? p->ra : solicits(p, arp, k)))
				continue;
			d->verdict = rs	   ? EVS_L3_LOCAL_RS
				     : arp ? EVS_L3_LOCAL_ARP
					   : EVS_L3_LOCAL_ND;
			d->router = d->in_router = r->id;
			d->in_port = p->id;
			return;
		}
	}
}

/* To an address of the router itself: echo is answered, UDP gets port unreachable. */
static void decide_local(struct evs_l3_decision *d, const struct evs_flow_key *k,
			 const struct evs_l3_port_spec *in, bool v4)
{
	d->fields |= EVS_L3_F_L4_SRC | EVS_L3_F_FRAG;
	if (!(k->ip_frag & EVS_FRAG_ANY) && k->ip_proto == (v4 ? IPPROTO_ICMP : IPPROTO_ICMPV6) &&
	    icmp_type_of(k) == (v4 ? 8 : 128)) {
		d->verdict = EVS_L3_LOCAL_ECHO;
		return;
	}
	if (k->ip_proto == IPPROTO_UDP) /* e.g. traceroute's last hop */
		return icmp_error(d, k, in, v4 ? 3 : 1, v4 ? 3 : 4, EVS_L3_DROP_LOCAL);
	drop(d, EVS_L3_DROP_LOCAL);
}

/* Look @p dst up from router @p r on, following next-VRF routes. */
static int lookup(const struct evs_l3_set *set, const struct evs_l3_router **r,
		  const struct evs_l3_addr *dst, uint32_t hash, struct evs_l3_decision *d)
{
	uint8_t bits = 0;
	int rc;

	for (;;) {
		rc = evs_l3_fib_resolve((*r)->fib, dst, hash, &d->route);
		bits = RTE_MAX(bits, d->route.mask_len);
		if (rc != 0 || d->route.type != EVS_L3_ROUTE_VRF)
			break;
		const struct evs_l3_router *next = evs_l3_router_get(set, d->route.next_vrf);

		if (d->vrf_hops == EVS_L3_MAX_VRF_HOPS || next == NULL) {
			rc = -ELOOP;
			break;
		}
		d->vrf_path[d->vrf_hops++] = (*r)->id;
		*r = next;
	}
	d->dst_bits = RTE_MAX(d->dst_bits, bits);
	return rc;
}

static void decide_ip(const struct evs_l3_set *set, const struct evs_l3_router *r,
		      const struct evs_l3_port_spec *in, const struct evs_flow_key *k,
		      bool symmetric, struct evs_l3_decision *d)
{
	bool v4 = k->ethertype == ETH_IPV4;
	unsigned int alen = v4 ? 4 : 16;
	struct evs_l3_addr dst = {.family = v4 ? EVS_L3_IPV4 : EVS_L3_IPV6};
	const struct evs_l3_port_spec *out;
	uint32_t hash;
	int rc;

	memcpy(dst.b, k->dst_ip, alen);
	d->fields |= EVS_L3_F_PROTO | EVS_L3_F_SRC_PFX;
	/* martian sources: multicast, loopback, 0/8 (IPv4); multicast (IPv6) */
	if (v4 ? k->src_ip[0] >= 224 || k->src_ip[0] == 127 || k->src_ip[0] == 0
	       : k->src_ip[0] == 0xff)
		return drop(d, EVS_L3_DROP_BAD_SRC);
	if (!v4 && k->ip_proto == IPPROTO_ICMPV6) {
		uint8_t t = icmp_type_of(k);

		d->fields |= EVS_L3_F_L4_SRC;
		if (t == 135 || t == 136) {
			d->verdict = t == 135 ? EVS_L3_LOCAL_ND : EVS_L3_LEARN;
			return;
		}
		if (t == 133 && in->ra) {
			d->verdict = EVS_L3_LOCAL_RS;
			return;
		}
	}
	if (!v4) {
		/* link-local: the port's own address, or nowhere (RFC 4291 2.5.6) */
		d->dst_bits = 10;
		if (evs_l3_is_ll6(k->dst_ip)) {
			d->dst_bits = 128;
			if (memcmp(k->dst_ip, in->ll6.b, 16) == 0)
				return decide_local(d, k, in, v4);
			return drop(d, EVS_L3_DROP_LINK_LOCAL);
		}
	}
	/* local addresses are routes too, so the mask keeps them apart */
	hash = evs_l3_flow_hash(k, symmetric);
	rc = lookup(set, &r, &dst, hash, d);
	d->router = r->id;
	if (rc == -ELOOP)
		return drop(d, EVS_L3_DROP_NO_VRF);
	if (rc == 0 && d->route.type == EVS_L3_ROUTE_LOCAL) /* answered whatever its TTL */
		return decide_local(d, k, in, v4);
	if (!v4) { /* a link-local source may reach the router, not beyond it */
		d->fields |= EVS_L3_F_SRC_SCOPE;
		if (evs_l3_is_ll6(k->src_ip))
			return drop(d, EVS_L3_DROP_LINK_LOCAL);
	}
	/*
	 * TTL / hop limit is not read here: the route opcode checks it per
	 * packet anyway and punts the last hop for its time exceeded, so
	 * megaflows need not split on it (one word less in the mask).
	 */
	if (rc != 0)
		return icmp_error(d, k, in, v4 ? 3 : 1, 0, EVS_L3_DROP_NO_ROUTE);
	if (d->route.n_nh > 1) { /* ECMP read the flow's hash inputs, all of them */
		d->fields |= EVS_L3_F_SRC_IP | EVS_L3_F_L4_SRC | EVS_L3_F_L4_DST | EVS_L3_F_FRAG;
		d->dst_bits = (uint8_t)(alen * 8);
	}
	switch (d->route.type) {
	case EVS_L3_ROUTE_BLACKHOLE:
		return drop(d, EVS_L3_DROP_BLACKHOLE);
	case EVS_L3_ROUTE_REJECT: {
		static const uint8_t v4c[] = {0, 1, 13, 3}, v6c[] = {0, 3, 1, 4};

		return icmp_error(d, k, in, v4 ? 3 : 1,
				  v4 ? v4c[d->route.reject_code] : v6c[d->route.reject_code],
				  EVS_L3_DROP_REJECT);
	}
	case EVS_L3_ROUTE_FORWARD:
		break;
	default: /* LOCAL and VRF were handled by lookup() above */
		return drop(d, EVS_L3_DROP_NO_ROUTE);
	}
	out = evs_l3_port_get(r, d->route.nh.port);
	if (out == NULL) /* a route kept past its port: cannot happen via evs_l3_port_del */
		return drop(d, EVS_L3_DROP_NO_ROUTE);
	d->out_port = out->id;
	d->out_ldp = out->ldp;
	d->mtu = out->mtu;
	d->src_mac = out->mac;
	d->neigh.port = out->id;
	if (d->route.nh.via) {
		d->neigh.addr = d->route.nh.gw;
	} else {
		/* on-link: the destination is the neighbour, every bit of it matters */
		d->neigh.addr = dst;
		d->dst_bits = (uint8_t)(alen * 8);
	}
	if (evs_l3_neigh_lookup(r->neigh, &d->neigh, &d->dst_mac) == 0)
		d->verdict = EVS_L3_FORWARD;
	else
		d->verdict = EVS_L3_RESOLVE;
}

void evs_l3_decide(const struct evs_l3_set *set, uint16_t ldp, const struct evs_flow_key *key,
		   bool symmetric_ecmp, struct evs_l3_decision *d)
{
	struct evs_l3_set *s = (struct evs_l3_set *)(uintptr_t)set;
	const struct evs_l3_port_spec *in;
	struct evs_l3_router *r;

	memset(d, 0, sizeof(*d));
	d->verdict = EVS_L3_NOT_MINE;
	d->fields = EVS_L3_F_LDP | EVS_L3_F_DST_MAC;
	rte_rwlock_read_lock(&s->lock);
	if (l3_set_find_port(set, ldp, &key->dst_mac, &r, &in) != 0) {
		if (rte_is_multicast_ether_addr(&key->dst_mac))
			decide_multicast(set, ldp, key, d);
		rte_rwlock_read_unlock(&s->lock);
		return;
	}
	d->router = d->in_router = r->id;
	d->in_port = in->id;
	d->fields |= EVS_L3_F_ETHERTYPE;
	if (key->ethertype == ETH_ARP) {
		d->fields |= EVS_L3_F_L4_SRC;
		d->verdict =
		    key->l4_src == RTE_BE16(RTE_ARP_OP_REQUEST) ? EVS_L3_LOCAL_ARP : EVS_L3_LEARN;
	} else if (key->ethertype == ETH_IPV4 || key->ethertype == ETH_IPV6) {
		decide_ip(set, r, in, key, symmetric_ecmp, d);
	} else {
		drop(d, EVS_L3_DROP_NOT_IP);
	}
	rte_rwlock_read_unlock(&s->lock);
}
