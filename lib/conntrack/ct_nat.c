/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAT. A NATed connection is one whose reply key is not the inverse of its
 * original key: the entry alone says how to rewrite both directions (a
 * packet of direction d becomes the inverse of the other direction's key).
 * Setting one up picks a reply key that no live connection uses, under the
 * table's writer lock, so two connections never share a translation.
 * Checksums are adjusted incrementally (RFC 1624); ICMP errors have the
 * connection they quote translated inside them too.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_hash_crc.h>

#include "ct_nat_side.h"
#include "ct_private.h"

/* Probes of a NAT search; beyond it the range counts as exhausted so that
 * a commit never holds the writer lock for long. */
#define NAT_MAX_PROBES 4096
#define NAT_EPHEMERAL_MIN 1024

static uint32_t addr_low32(const uint8_t *a, bool v6)
{
	uint32_t v;

	memcpy(&v, a + (v6 ? 12 : 0), 4);
	return rte_be_to_cpu_32(v);
}

static void addr_set_low32(uint8_t *a, bool v6, uint32_t v)
{
	v = rte_cpu_to_be_32(v);
	memcpy(a + (v6 ? 12 : 0), &v, 4);
}

/* Addresses in a range: only the low 32 bits may differ (IPv6 too). */
static int range_size(const struct evs_ct_nat_range *r, uint64_t *n)
{
	uint32_t lo = addr_low32(r->addr_min, r->v6), hi = addr_low32(r->addr_max, r->v6);

	if (r->v6 && memcmp(r->addr_min, r->addr_max, 12) != 0)
		return -EINVAL;
	if (hi < lo || r->port_max < r->port_min)
		return -EINVAL;
	*n = (uint64_t)(hi - lo) + 1;
	return 0;
}

/* Is @k unused? Its hash is left in @sig for the insert that follows. */
static bool key_free(const struct evs_ct *ct, const struct ct_key *k, hash_sig_t *sig)
{
	uintptr_t d;

	*sig = ct_key_hash(k);
	return !ct_hash_lookup(ct->hash, k, *sig, &d);
}

static int nat_search(struct evs_ct *ct, struct ct_entry *e, const struct evs_ct_nat_range *r,
		      hash_sig_t *sig)
{
	const struct ct_key *o = &e->key[0];
	bool icmp = o->proto == IPPROTO_ICMP || o->proto == IPPROTO_ICMPV6;
	/* SCTP's CRC32c (no pseudo-header) cannot be adjusted: its ports stay */
	bool ports = icmp || o->proto == IPPROTO_TCP || o->proto == IPPROTO_UDP;
	bool snat = r->kind == EVS_CT_NAT_SRC;
	struct ct_key k = e->key[1];
	uint8_t *addr = snat ? k.dst : k.src;
	/* SNAT picks the port the responder answers to; ICMP keeps it in sport */
	rte_be16_t *port = (snat && !icmp) ? &k.dport : &k.sport;
	uint32_t a_lo = addr_low32(r->addr_min, r->v6), h, probes = 0;
	uint64_t n_addr, a, pa;
	uint32_t p_lo, p_n, pp, orig_port;

	if (r->v6 != (o->v6 != 0) || range_size(r, &n_addr) != 0)
		return -EINVAL;
	if (r->v6) /* constant sizes: a variable one is a byte loop */
		memcpy(addr, r->addr_min, 16);
	else
		memcpy(addr, r->addr_min, 4);
	orig_port = rte_be_to_cpu_16(*port);
	if (!ports || (!snat && icmp) || (!snat && r->port_min == 0 && r->port_max == 0)) {
		p_lo = orig_port; /* address-only translation: DNAT keeps the service port */
		p_n = 1;
	} else if (r->port_min == 0 && r->port_max == 0) {
		p_lo = NAT_EPHEMERAL_MIN;
		p_n = 65536 - NAT_EPHEMERAL_MIN;
		/* keeping the port is the first choice */
		addr_set_low32(addr, r->v6, a_lo);
		for (a = 0; a < n_addr && probes < NAT_MAX_PROBES; a++, probes++) {
			addr_set_low32(addr, r->v6, (uint32_t)(a_lo + a));
			if (key_free(ct, &k, sig))
				goto found;
		}
	} else {
		p_lo = r->port_min;
		p_n = (uint32_t)r->port_max - r->port_min + 1;
	}
	if (n_addr == 1 && p_n == 1) { /* one choice (a backend): nothing to search */
		*port = rte_cpu_to_be_16((uint16_t)p_lo);
		if (!key_free(ct, &k, sig))
			return -ENOSPC;
		goto found;
	}
	/* start where the original key hashes, so allocations spread */
	h = rte_hash_crc(o, sizeof(*o), 0);
	for (a = 0; a < n_addr; a++) {
		addr_set_low32(addr, r->v6, (uint32_t)(a_lo + (a + h) % n_addr));
		for (pa = 0; pa < p_n; pa++) {
			if (probes++ >= NAT_MAX_PROBES)
				return -ENOSPC;
			pp = p_lo + (uint32_t)((pa + h / 7) % p_n);
			*port = rte_cpu_to_be_16((uint16_t)pp);
			if (key_free(ct, &k, sig))
				goto found;
		}
	}
	return -ENOSPC;
found:
	e->key[1] = k;
	e->flags |= snat ? CT_FL_SNAT : CT_FL_DNAT;
	return 0;
}

/* Both: the destination is fixed, so only the source search can collide;
 * a reply key taken by another connection moves the source port. */
static int nat_full(struct evs_ct *ct, struct ct_entry *e, const struct evs_ct_nat_range *r,
		    hash_sig_t *sig)
{
	static const uint8_t none[16];
	struct evs_ct_nat_range s = {.kind = EVS_CT_NAT_SRC, .v6 = r->v6};
	const struct ct_key *o = &e->key[0];
	struct ct_key save = e->key[1];
	int rc;

	if (r->v6 != (o->v6 != 0) || memcmp(r->addr_min, r->addr_max, 16) != 0 ||
	    r->port_min != r->port_max || (o->proto != IPPROTO_TCP && o->proto != IPPROTO_UDP))
		return -EINVAL;
	memcpy(e->key[1].src, r->addr_min, r->v6 ? 16 : 4);
	if (r->port_min != 0)
		e->key[1].sport = rte_cpu_to_be_16(r->port_min);
	memcpy(s.addr_min, r->snat_addr, 16);
	memcpy(s.addr_max,
	       memcmp(r->snat_addr_max, none, 16) != 0 ? r->snat_addr_max : r->snat_addr, 16);
	s.port_min = r->snat_port_min;
	s.port_max = r->snat_port_max;
	rc = nat_search(ct, e, &s, sig);
	if (rc != 0) {
		e->key[1] = save;
		return rc;
	}
	e->flags |= CT_FL_DNAT;
	return 0;
}

int ct_nat_setup(struct evs_ct *ct, struct ct_entry *e, const struct evs_ct_nat_range *r,
		 hash_sig_t *sig)
{
	if (r->kind == EVS_CT_NAT_FULL)
		return nat_full(ct, e, r, sig);
	return nat_search(ct, e, r, sig);
}

/* One's-complement adjust of checksum @ck (wire order) for @old -> @new. */
static uint16_t cksum_adjust(uint16_t ck, const uint8_t *old, const uint8_t *new, size_t len)
{
	uint32_t sum = (uint16_t)~ck;
	uint16_t w;
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		memcpy(&w, old + i, 2);
		sum += (uint16_t)~w;
		memcpy(&w, new + i, 2);
		sum += w;
	}
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void ck_adjust_at(uint8_t *ck, const uint8_t *old, const uint8_t *new, size_t len, bool udp)
{
	uint16_t c;

	if (ck == NULL)
		return;
	memcpy(&c, ck, 2);
	if (udp && c == 0)
		return; /* UDP over IPv4 without a checksum stays so */
	c = cksum_adjust(c, old, new, len);
	if (udp && c == 0)
		c = 0xffff;
	memcpy(ck, &c, 2);
}

/* Rewrite @len bytes at @field to @val, adjusting the IP and L4 checksums
 * that cover it (either may be NULL). */
static void rewrite(uint8_t *field, const void *val, size_t len, uint8_t *ip_ck, uint8_t *l4_ck,
		    bool udp)
{
	if (memcmp(field, val, len) == 0)
		return;
	ck_adjust_at(ip_ck, field, val, len, false);
	ck_adjust_at(l4_ck, field, val, len, udp);
	memcpy(field, val, len);
}

/* Where the headers of an IP packet keep what NAT touches. */
struct nat_hdrs {
	uint8_t *src, *dst;	/* addresses */
	uint8_t *ip_ck;		/* IPv4 header checksum or NULL */
	uint8_t *l4_ck;		/* L4 checksum or NULL */
	uint8_t *sport, *dport; /* ports, or the ICMP identifier in sport; NULL if none */
	bool pseudo;		/* the L4 checksum covers the addresses */
	bool udp;		/* UDP over IPv4: checksum 0 means none */
	uint8_t alen;
};

/* @avail: bytes of L4 header present (a quote may be cut short). */
static void hdrs_locate(struct nat_hdrs *h, uint8_t *l3, uint8_t *l4, uint32_t avail, uint8_t proto,
			bool v6)
{
	memset(h, 0, sizeof(*h));
	h->alen = v6 ? 16 : 4;
	h->src = l3 + (v6 ? 8 : 12);
	h->dst = l3 + (v6 ? 24 : 16);
	h->ip_ck = v6 ? NULL : l3 + 10;
	switch (proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_SCTP:
		if (avail >= 4) {
			h->sport = l4;
			h->dport = l4 + 2;
		}
		/* SCTP's CRC32c is not incremental; ports of SCTP are never changed */
		if (proto == IPPROTO_TCP && avail >= 18)
			h->l4_ck = l4 + 16;
		if (proto == IPPROTO_UDP && avail >= 8)
			h->l4_ck = l4 + 6;
		h->pseudo = true;
		h->udp = proto == IPPROTO_UDP && !v6;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		h->sport = avail >= 6 ? l4 + 4 : NULL;
		h->l4_ck = avail >= 4 ? l4 + 2 : NULL;
		h->pseudo = v6;
		break;
	default:
		break;
	}
}

static void hdrs_set_src(struct nat_hdrs *h, const uint8_t *a)
{
	rewrite(h->src, a, h->alen, h->ip_ck, h->pseudo ? h->l4_ck : NULL, h->udp);
}

static void hdrs_set_dst(struct nat_hdrs *h, const uint8_t *a)
{
	rewrite(h->dst, a, h->alen, h->ip_ck, h->pseudo ? h->l4_ck : NULL, h->udp);
}

/* Make the headers say tuple @t. */
static void hdrs_apply(struct nat_hdrs *h, const struct ct_key *t)
{
	hdrs_set_src(h, t->src);
	hdrs_set_dst(h, t->dst);
	if (h->sport == NULL)
		return;
	rewrite(h->sport, &t->sport, 2, NULL, h->l4_ck, h->udp);
	if (h->dport != NULL)
		rewrite(h->dport, &t->dport, 2, NULL, h->l4_ck, h->udp);
}

static void key_update(struct evs_flow_key *key, const struct ct_key *t, bool icmp)
{
	memcpy(key->src_ip, t->src, t->v6 ? 16 : 4);
	memcpy(key->dst_ip, t->dst, t->v6 ? 16 : 4);
	if (!icmp && t->proto != IPPROTO_SCTP &&
	    (t->proto == IPPROTO_TCP || t->proto == IPPROTO_UDP)) {
		key->l4_src = t->sport;
		key->l4_dst = t->dport;
	}
}

/* An ICMP error travelling in direction @dir: the quoted packet went the
 * other way and its sender must see it as it sent it (key[!dir]). */
static void nat_icmp_error(const struct ct_entry *e, struct ct_pkt *p, int dir)
{
	struct rte_mbuf *m = p->m;
	const struct ct_key *sent = &e->key[!dir];
	uint32_t len = rte_pktmbuf_data_len(m);
	uint8_t *base = rte_pktmbuf_mtod(m, uint8_t *);
	bool v6 = sent->v6 != 0;
	struct nat_hdrs outer, inner;
	uint8_t a[16];

	hdrs_locate(&inner, base + p->quote_off, base + p->quote_l4_off, len - p->quote_l4_off,
		    sent->proto, v6);
	/* the quote's own checksums follow; the ICMP checksum is redone below */
	hdrs_apply(&inner, sent);
	hdrs_locate(&outer, base + m->l2_len, base + p->l4_off, 0, p->key->ip_proto, v6);
	/* the error goes to the quoted packet's sender */
	hdrs_set_dst(&outer, sent->src);
	/* and, when an endpoint (not a router) sent it, comes from its peer */
	memcpy(a, e->key[dir].src, 16);
	if (memcmp(outer.src, a, outer.alen) == 0)
		hdrs_set_src(&outer, sent->dst);
	memcpy(p->key->src_ip, outer.src, outer.alen);
	memcpy(p->key->dst_ip, outer.dst, outer.alen);
	evs_l4_cksum_fill(m, p->key);
}

/* Sum of @n 16-bit words at @a (wire order), folded to 16 bits. */
static inline uint16_t sum16(const uint8_t *a, unsigned int n)
{
	uint32_t s = 0;
	uint16_t w;

	for (unsigned int i = 0; i < n; i++) {
		memcpy(&w, a + 2 * i, 2);
		s += w;
	}
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)((s & 0xffff) + (s >> 16));
}

/* @s folded to 16 bits, 0 only when @s is: what ck_apply16() makes of it. */
static uint16_t fold16(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* The deltas nat_side() would compute for a packet sent to @t->vip,
 * @t->vport: the same sums, folded once here. */
static void tpl_deltas(struct evs_ct_nat_tpl *t)
{
	uint32_t d = t->addr_sum + notsum16(t->vip, 2);

	t->ip_delta = fold16(d);
	if (t->port != 0)
		d += (uint16_t)~t->vport + (uint32_t)t->port;
	t->l4_delta = fold16(d);
}

void evs_ct_nat_tpl_init(struct evs_ct_nat_tpl *t, const uint8_t addr[16], uint16_t port, bool v6)
{
	memset(t, 0, sizeof(*t));
	memcpy(t->addr, addr, v6 ? 16 : 4);
	t->port = rte_cpu_to_be_16(port);
	t->addr_sum = sum16(t->addr, v6 ? 8 : 2);
	t->v6 = v6;
	t->valid = 1;
	tpl_deltas(t);
}

void evs_ct_nat_tpl_set_vip(struct evs_ct_nat_tpl *t, const uint8_t vip[4], uint16_t vport)
{
	memcpy(t->vip, vip, 4);
	t->vport = rte_cpu_to_be_16(vport);
	tpl_deltas(t);
}

/* A later fragment: its addresses; the ports and the L4 checksum (the
 * whole datagram's) changed in its first. */
static __rte_noinline void nat_frag_later(const struct ct_entry *e, struct ct_pkt *p, int dir)
{
	uint8_t *base = rte_pktmbuf_mtod(p->m, uint8_t *);
	struct nat_hdrs h;
	struct ct_key t;

	ct_key_invert(&t, &e->key[!dir]);
	hdrs_locate(&h, base + p->m->l2_len, NULL, 0, 0, e->key[0].v6 != 0);
	hdrs_apply(&h, &t);
	key_update(p->key, &t, t.proto == IPPROTO_ICMP || t.proto == IPPROTO_ICMPV6);
}

/* Everything else, field by field; out of line to keep the fast path lean. */
static __rte_noinline void nat_generic(const struct ct_entry *e, struct ct_pkt *p, int dir)
{
	struct rte_mbuf *m = p->m;
	uint8_t *base = rte_pktmbuf_mtod(m, uint8_t *);
	uint8_t proto = e->key[0].proto;
	struct nat_hdrs h;
	struct ct_key t;

	if (p->kind == CT_PKT_ICMP_ERROR) {
		nat_icmp_error(e, p, dir);
		return;
	}
	if (p->kind == CT_PKT_FRAG_LATER) {
		nat_frag_later(e, p, dir);
		return;
	}
	ct_key_invert(&t, &e->key[!dir]);
	hdrs_locate(&h, base + m->l2_len, base + p->l4_off, rte_pktmbuf_data_len(m) - p->l4_off,
		    proto, e->key[0].v6 != 0);
	if (proto == IPPROTO_SCTP)
		h.sport = h.dport = NULL; /* see hdrs_locate */
	hdrs_apply(&h, &t);
	key_update(p->key, &t, proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6);
}

/* nat_plain's rewrite, @v6 and @udp constants: the sides the NAT changes
 * become the other direction's key inverted. A DNAT changes the
 * destination going out and the source coming back, an SNAT the reverse,
 * both NATs both sides (each side checks the same length: both or none). */
static __rte_always_inline bool nat_plain_as(const struct ct_entry *e, struct ct_pkt *p, int dir,
					     uint8_t f, bool v6, bool udp)
{
	const struct ct_key *k = &e->key[dir == 0];
	bool dst = (f & (dir == 0 ? CT_FL_DNAT : CT_FL_SNAT)) != 0;
	bool src = (f & (dir == 0 ? CT_FL_SNAT : CT_FL_DNAT)) != 0;

	if (dst && !nat_side(p, true, v6, udp, k->src, sum16(k->src, v6 ? 8 : 2), &k->sport))
		return false;
	return !src || nat_side(p, false, v6, udp, k->dst, sum16(k->dst, v6 ? 8 : 2), &k->dport);
}

/*
 * A DNAT, an SNAT or both of a whole TCP/UDP packet, from the entry's keys
 * with one delta per side (the generic path walks field by field). False:
 * the generic path (other protocols, ICMP errors, later fragments, short).
 */
static bool nat_plain(const struct ct_entry *e, struct ct_pkt *p, int dir)
{
	uint8_t f = e->flags & (CT_FL_SNAT | CT_FL_DNAT), proto = p->ck.proto;

	if (p->kind != CT_PKT_PLAIN)
		return false;
	if (proto == IPPROTO_UDP)
		return p->ck.v6 ? nat_plain_as(e, p, dir, f, true, true)
				: nat_plain_as(e, p, dir, f, false, true);
	if (proto == IPPROTO_TCP)
		return p->ck.v6 ? nat_plain_as(e, p, dir, f, true, false)
				: nat_plain_as(e, p, dir, f, false, false);
	return false;
}

/* Everything but a template's rewrite; out of line so that the template's
 * path keeps a small frame. */
static __rte_noinline void nat_other(const struct ct_entry *e, struct ct_pkt *p, int dir)
{
	if (!nat_plain(e, p, dir))
		nat_generic(e, p, dir);
}

/* A template's rewrite, specialised by family and protocol. */
static __rte_always_inline bool nat_tpl(struct ct_pkt *p, const struct evs_ct_nat_tpl *t, bool v6,
					bool udp)
{
	return nat_side(p, true, v6, udp, t->addr, t->addr_sum, t->port != 0 ? &t->port : NULL);
}

void ct_nat_packet(const struct ct_entry *e, struct ct_pkt *p, int dir,
		   const struct evs_ct_nat_tpl *t)
{
	uint8_t proto = p->ck.proto;
	bool v6 = p->ck.v6 != 0;

	/* a plain DNAT's original direction, TCP or UDP, from its slot's template */
	if (t != NULL && dir == 0 && t->valid && t->v6 == v6 &&
	    (e->flags & (CT_FL_SNAT | CT_FL_DNAT)) == CT_FL_DNAT && p->kind == CT_PKT_PLAIN) {
		if (proto == IPPROTO_UDP &&
		    (v6 ? nat_tpl(p, t, true, true) : nat_tpl(p, t, false, true)))
			return;
		if (proto == IPPROTO_TCP &&
		    (v6 ? nat_tpl(p, t, true, false) : nat_tpl(p, t, false, false)))
			return;
	}
	nat_other(e, p, dir);
}
