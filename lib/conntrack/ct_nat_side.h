/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_CT_NAT_SIDE_H
#define EVS_CT_NAT_SIDE_H

/* The one-side rewrite of a plain TCP/UDP packet, inline: ct_nat.c's
 * rewrites and the burst's template loop (ct_exec.c) share it. */

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_mbuf.h>

#include "ct_private.h"

/* Sum of the complements of the @n 16-bit halves of @n / 2 32-bit words at
 * @a (at most 8 halves: under 2^19, room for a few more 16-bit terms). */
static inline uint32_t notsum16(const uint8_t *a, unsigned int n)
{
	uint32_t s = 0, w;

	for (unsigned int i = 0; i < n / 2; i++) {
		memcpy(&w, a + 4 * i, 4);
		w = ~w;
		s += (w & 0xffff) + (w >> 16);
	}
	return s;
}

/* Checksum @ck (wire order) after a change whose sum of ~old + new 16-bit
 * words is @d (< 2^20): two folds, 32-bit. */
static inline uint16_t ck_apply16(uint16_t ck, uint32_t d)
{
	uint32_t s = (uint16_t)~ck + d;

	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* Checksum @ck (wire order) after a change whose delta @d is folded
 * already (<= 0xffff, 0 only for none): then one end-around carry is the
 * whole fold, and the result is ck_apply16()'s. */
static inline uint16_t ck_apply_folded(uint16_t ck, uint16_t d)
{
	uint16_t s = (uint16_t)~ck;

	if (__builtin_add_overflow(s, d, &s))
		s++;
	return (uint16_t)~s;
}

/* Does @p's frame hold the L4 header nat_side() rewrites? */
static __rte_always_inline bool nat_side_fits(const struct ct_pkt *p, bool udp)
{
	return rte_pktmbuf_data_len(p->m) >= p->l4_off + (udp ? 8 : 18);
}

/* nat_side() once nat_side_fits() said yes. */
static __rte_always_inline void nat_side_fit(struct ct_pkt *p, bool dst, bool v6, bool udp,
					     const uint8_t *a, uint16_t a_sum,
					     const rte_be16_t *port)
{
	struct rte_mbuf *m = p->m;
	struct evs_flow_key *key = p->key;
	uint8_t *l3, *l4, *field, *l4ck, *pf;
	/* copies: the stores below could alias the template for the compiler */
	rte_be16_t np = port != NULL ? *port : 0;
	uint8_t na[16];
	uint16_t c, w;
	uint32_t da;

	if (v6)
		memcpy(na, a, 16);
	else
		memcpy(na, a, 4);
	l3 = rte_pktmbuf_mtod_offset(m, uint8_t *, m->l2_len);
	l4 = rte_pktmbuf_mtod_offset(m, uint8_t *, p->l4_off);
	field = l3 + (v6 ? 8 : 12) + (dst ? (v6 ? 16 : 4) : 0);
	/* ~old + new over the address: two or eight words */
	da = a_sum + notsum16(field, v6 ? 8 : 2);
	if (!v6) {
		memcpy(&c, l3 + 10, 2);
		c = ck_apply16(c, da);
		memcpy(l3 + 10, &c, 2);
	}
	pf = l4 + (dst ? 2 : 0);
	if (port != NULL) {
		memcpy(&w, pf, 2);
		da += (uint16_t)~w + (uint32_t)np;
	}
	l4ck = l4 + (udp ? 6 : 16);
	memcpy(&c, l4ck, 2);
	if (!(udp && !v6 && c == 0)) { /* UDP over IPv4 without a checksum stays so */
		c = ck_apply16(c, da);
		if (udp && c == 0)
			c = 0xffff;
		memcpy(l4ck, &c, 2);
	}
	/* constant sizes: a variable one is a loop under our memcpy strategy */
	if (v6) {
		memcpy(field, na, 16);
		memcpy(dst ? key->dst_ip : key->src_ip, na, 16);
	} else {
		memcpy(field, na, 4);
		memcpy(dst ? key->dst_ip : key->src_ip, na, 4);
	}
	if (port != NULL) {
		memcpy(pf, &np, 2);
		if (dst)
			key->l4_dst = np;
		else
			key->l4_src = np;
	}
}

/*
 * One side of a plain TCP/UDP packet (the destination if @dst, else the
 * source) becomes address @a and, unless @port is NULL, that port: what a
 * DNAT or an SNAT does in either direction. @a_sum: the sum of @a's 16-bit
 * words (a template's, precomputed); @v6, @udp: the packet's (constants
 * where it is inlined). The old values are the packet's own,
 * so the deltas need no other direction's key. False when the packet
 * needs the general path (short).
 */
static __rte_always_inline bool nat_side(struct ct_pkt *p, bool dst, bool v6, bool udp,
					 const uint8_t *a, uint16_t a_sum, const rte_be16_t *port)
{
	if (unlikely(!nat_side_fits(p, udp)))
		return false;
	nat_side_fit(p, dst, v6, udp, a, a_sum, port);
	return true;
}

/*
 * A template's rewrite of a plain IPv4 packet (nat_side_fits() said yes)
 * sent to its VIP (t->vip, and t->vport when it maps the port): the
 * deltas whole, nothing read from the frame but the checksums and what
 * tells it was sent there. False: sent elsewhere, the frame untouched.
 */
static __rte_always_inline bool nat_tpl_vip4(struct ct_pkt *p, const struct evs_ct_nat_tpl *t,
					     bool udp)
{
	struct rte_mbuf *m = p->m;
	struct evs_flow_key *key = p->key;
	uint8_t *l3 = rte_pktmbuf_mtod_offset(m, uint8_t *, m->l2_len);
	uint8_t *l4 = rte_pktmbuf_mtod_offset(m, uint8_t *, p->l4_off);
	uint8_t *l4ck = l4 + (udp ? 6 : 16);
	rte_be16_t np = t->port, op;
	uint32_t old, vip, na;
	uint16_t c, dl4 = t->l4_delta;

	memcpy(&old, l3 + 16, 4);
	memcpy(&vip, t->vip, 4);
	memcpy(&na, t->addr, 4);
	if (old != vip)
		return false;
	if (np != 0) {
		memcpy(&op, l4 + 2, 2);
		if (op != t->vport)
			return false;
	}
	memcpy(&c, l3 + 10, 2);
	c = ck_apply_folded(c, t->ip_delta);
	memcpy(l3 + 10, &c, 2);
	memcpy(&c, l4ck, 2);
	if (!(udp && c == 0)) { /* UDP over IPv4 without a checksum stays so */
		c = ck_apply_folded(c, dl4);
		if (udp && c == 0)
			c = 0xffff;
		memcpy(l4ck, &c, 2);
	}
	memcpy(l3 + 16, &na, 4);
	memcpy(key->dst_ip, &na, 4);
	if (np != 0) {
		memcpy(l4 + 2, &np, 2);
		key->l4_dst = np;
	}
	return true;
}

/* A template's rewrite of a plain IPv4 packet (nat_side_fits() said yes):
 * the VIP's deltas when it was sent to the template's VIP, else the
 * deltas from its own old values. */
static __rte_always_inline void nat_tpl4_fit(struct ct_pkt *p, const struct evs_ct_nat_tpl *t,
					     bool udp)
{
	if (unlikely(!nat_tpl_vip4(p, t, udp)))
		nat_side_fit(p, true, false, udp, t->addr, t->addr_sum,
			     t->port != 0 ? &t->port : NULL);
}

#endif /* EVS_CT_NAT_SIDE_H */
