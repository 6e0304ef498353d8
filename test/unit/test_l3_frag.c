/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * evs_l3_fragment4 against a naive reassembly on random packets: payload
 * sizes, MTUs, options (copied and not), VLAN tags, originals that are
 * fragments themselves and originals in several segments. Every fragment
 * must fit the MTU, carry a valid header (this file's own RFC 1071 sum),
 * TTL - 1 and the router's MACs, be as large as allowed, and the fragments
 * must reassemble into the original payload. Part of the l3 suite.
 */
#include <netinet/in.h>

#include <rte_ip.h>
#include <rte_mbuf.h>

#include "l3_test.h"
#include "unit_case.h"

#define SEG_MAX 1800 /* bytes per segment of an original (the pool's buffers are 2 KB) */

static const struct rte_ether_addr MACS[2] = {{{0x02, 0, 0, 0, 0, 0x22}},
					      {{0x02, 0, 0, 0, 1, 0x02}}};

static uint16_t hdr_sum(const uint8_t *p, unsigned int n)
{
	uint32_t s = 0;

	for (unsigned int i = 0; i < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

struct orig {
	uint8_t b[9100];
	unsigned int len, l2, ihl;
	uint8_t later_opts[40]; /* what a non-first fragment must carry */
	unsigned int later_len;
};

/* Options: router alert (copied, 4 bytes), a timestamp-like one (not copied, 8), NOPs. */
static void random_options(struct orig *o, uint8_t *opt, unsigned int *len, uint64_t *rs)
{
	unsigned int n = 0;

	o->later_len = 0;
	while (n < 32 && l3t_rand(rs) % 3 != 0) {
		switch (l3t_rand(rs) % 3) {
		case 0:
			memcpy(opt + n, (uint8_t[]){0x94, 4, 0, 0}, 4);
			memcpy(o->later_opts + o->later_len, opt + n, 4);
			o->later_len += 4;
			n += 4;
			break;
		case 1:
			memcpy(opt + n, (uint8_t[]){0x44, 8, 5, 0, 1, 2, 3, 4}, 8);
			n += 8;
			break;
		default:
			opt[n++] = 1;
		}
	}
	while (n % 4 != 0)
		opt[n++] = 0;
	while (o->later_len % 4 != 0)
		o->later_opts[o->later_len++] = 0;
	*len = n;
}

static void random_orig(struct orig *o, uint16_t ff, uint64_t *rs)
{
	unsigned int optlen, payload = 1 + (unsigned int)(l3t_rand(rs) % 8000);
	uint8_t *ip;

	o->l2 = l3t_rand(rs) % 4 == 0 ? 18 : 14;
	memset(o->b, 0, o->l2);
	o->b[0] = 0x02;
	o->b[11] = 0x11;
	if (o->l2 == 18)
		memcpy(o->b + 12, (uint8_t[]){0x81, 0x00, 0x00, 0x07}, 4);
	memcpy(o->b + o->l2 - 2, (uint8_t[]){0x08, 0x00}, 2);
	ip = o->b + o->l2;
	random_options(o, ip + 20, &optlen, rs);
	o->ihl = 20 + optlen;
	ip[0] = (uint8_t)(0x40 | o->ihl / 4);
	ip[1] = 0x2e;
	ip[2] = (uint8_t)((o->ihl + payload) >> 8);
	ip[3] = (uint8_t)(o->ihl + payload);
	ip[4] = 0xbe;
	ip[5] = 0xef;
	ip[6] = (uint8_t)(ff >> 8);
	ip[7] = (uint8_t)ff;
	ip[8] = (uint8_t)(2 + l3t_rand(rs) % 250);
	ip[9] = IPPROTO_UDP;
	ip[10] = ip[11] = 0;
	memcpy(ip + 12, (uint8_t[]){10, 0, 1, 5, 10, 0, 2, 7}, 8);
	{
		uint16_t ck = (uint16_t)~hdr_sum(ip, o->ihl);

		ip[10] = (uint8_t)(ck >> 8);
		ip[11] = (uint8_t)ck;
	}
	for (unsigned int i = 0; i < payload; i++)
		ip[o->ihl + i] = (uint8_t)l3t_rand(rs);
	o->len = o->l2 + o->ihl + payload;
}

/* The original as an mbuf chain: the headers in the first segment, random cuts after. */
static struct rte_mbuf *to_mbuf(const struct orig *o, uint64_t *rs)
{
	struct rte_mbuf *head = NULL;
	unsigned int pos = 0;

	while (pos < o->len) {
		unsigned int min = pos == 0 ? o->l2 + o->ihl : 1;
		unsigned int n = min + (unsigned int)(l3t_rand(rs) % SEG_MAX);
		struct rte_mbuf *s = rte_pktmbuf_alloc(pool);

		ck_assert_ptr_nonnull(s);
		n = RTE_MIN(RTE_MIN(n, (unsigned int)SEG_MAX), o->len - pos);
		memcpy(rte_pktmbuf_append(s, (uint16_t)n), o->b + pos, n);
		if (head == NULL)
			head = s;
		else
			ck_assert_int_eq(rte_pktmbuf_chain(head, s), 0);
		pos += n;
	}
	head->l2_len = (uint16_t)o->l2;
	return head;
}

/* Check the fragments of @o against each other and reassemble them. */
static void check_fragments(const struct orig *o, struct rte_mbuf **f, int n, uint16_t mtu)
{
	const uint8_t *oip = o->b + o->l2;
	uint16_t off0 = (uint16_t)((oip[6] << 8 | oip[7]) & RTE_IPV4_HDR_OFFSET_MASK);
	bool omf = oip[6] & 0x20;
	unsigned int payload = o->len - o->l2 - o->ihl, got = 0;
	static uint8_t re[9100];

	for (int i = 0; i < n; i++) {
		const uint8_t *p = rte_pktmbuf_mtod(f[i], const uint8_t *);
		const uint8_t *ip = p + o->l2;
		unsigned int hl = (ip[0] & 0xf) * 4u, tot = (unsigned int)(ip[2] << 8 | ip[3]);
		unsigned int off =
		    (unsigned int)((ip[6] << 8 | ip[7]) & RTE_IPV4_HDR_OFFSET_MASK) * 8;
		unsigned int dlen = tot - hl, room = (mtu - hl) & ~7u;
		bool last = i == n - 1;

		ck_assert_uint_eq(f[i]->nb_segs, 1);
		ck_assert_uint_eq(rte_pktmbuf_pkt_len(f[i]), o->l2 + tot);
		ck_assert_uint_le(tot, mtu);
		ck_assert_mem_eq(p, MACS, 12);
		ck_assert_mem_eq(p + 12, o->b + 12, o->l2 - 12);
		ck_assert_uint_eq(hdr_sum(ip, hl), 0xffff);
		ck_assert_uint_eq(ip[8], oip[8] - 1);
		ck_assert_mem_eq(ip + 1, oip + 1, 1);	/* TOS */
		ck_assert_mem_eq(ip + 4, oip + 4, 2);	/* id */
		ck_assert_mem_eq(ip + 9, oip + 9, 1);	/* protocol */
		ck_assert_mem_eq(ip + 12, oip + 12, 8); /* addresses */
		ck_assert(!(ip[6] & 0x40));		/* DF stays clear */
		if (i == 0) {
			ck_assert_uint_eq(hl, o->ihl);
			ck_assert_mem_eq(ip + 20, oip + 20, hl - 20);
		} else {
			ck_assert_uint_eq(hl, 20 + o->later_len);
			ck_assert_mem_eq(ip + 20, o->later_opts, o->later_len);
		}
		ck_assert_uint_eq(off, off0 * 8u + got);
		ck_assert_uint_eq(!!(ip[6] & 0x20), !last || omf);
		/* as large as allowed: only the last may be short */
		if (!last)
			ck_assert_uint_eq(dlen, room);
		memcpy(re + got, ip + hl, dlen);
		got += dlen;
	}
	ck_assert_uint_eq(got, payload);
	ck_assert_mem_eq(re, oip + o->ihl, payload);
}

START_TEST(fragment4_vs_reassembly)
{
	static struct orig o;
	uint64_t rs = 0x5eed0f4a9ULL;
	unsigned int avail = rte_mempool_avail_count(pool);

	for (unsigned int it = 0; it < 400; it++) {
		/* a quarter are fragments already: an offset, maybe more to come */
		uint16_t ff =
		    l3t_rand(&rs) % 4 == 0
			? (uint16_t)((l3t_rand(&rs) % 512) | (l3t_rand(&rs) % 2 ? 0x2000 : 0))
			: 0;
		uint16_t mtu = (uint16_t)(68 + l3t_rand(&rs) % 1500);
		struct rte_mbuf *out[EVS_L3_FRAG_MAX], *m;
		int n;

		unsigned int payload, step1, step2;
		int want;

		random_orig(&o, ff, &rs);
		m = to_mbuf(&o, &rs);
		/* the fewest fragments: the first holds the options, the rest the copied ones */
		payload = o.len - o.l2 - o.ihl;
		step1 = (mtu - o.ihl) & ~7u;
		step2 = (mtu - 20u - o.later_len) & ~7u;
		want = o.len - o.l2 <= mtu ? 1 : 1 + (int)((payload - step1 + step2 - 1) / step2);
		n = evs_l3_fragment4(pool, m, mtu, MACS, out, RTE_DIM(out));
		if (want > EVS_L3_FRAG_MAX) { /* a small MTU and a large packet */
			ck_assert_int_eq(n, -E2BIG);
		} else {
			ck_assert_int_eq(n, want);
			check_fragments(&o, out, n, mtu);
			rte_pktmbuf_free_bulk(out, (unsigned int)n);
		}
		rte_pktmbuf_free(m);
		ck_assert_uint_eq(rte_mempool_avail_count(pool), avail);
	}
}
END_TEST

START_TEST(fragment4_refuses)
{
	static struct orig o;
	uint64_t rs = 7;
	struct rte_mbuf *out[EVS_L3_FRAG_MAX], *m;
	uint8_t *ip;
	unsigned int avail = rte_mempool_avail_count(pool);

	random_orig(&o, RTE_IPV4_HDR_DF_FLAG, &rs);
	m = to_mbuf(&o, &rs);
	ck_assert_int_eq(evs_l3_fragment4(pool, m, 576, MACS, out, RTE_DIM(out)), -EINVAL);
	ck_assert_int_eq(evs_l3_fragment4(pool, m, 60, MACS, out, RTE_DIM(out)), -EINVAL);
	rte_pktmbuf_free(m);
	/* TTL 1: the router answers time exceeded instead */
	random_orig(&o, 0, &rs);
	ip = o.b + o.l2;
	ip[8] = 1;
	m = to_mbuf(&o, &rs);
	ck_assert_int_eq(evs_l3_fragment4(pool, m, 576, MACS, out, RTE_DIM(out)), -EINVAL);
	rte_pktmbuf_free(m);
	/* a total length past the frame's end */
	random_orig(&o, 0, &rs);
	m = to_mbuf(&o, &rs);
	rte_pktmbuf_trim(m, 1);
	ck_assert_int_eq(evs_l3_fragment4(pool, m, 576, MACS, out, RTE_DIM(out)), -EINVAL);
	rte_pktmbuf_free(m);
	/* too many fragments for @max: none left behind */
	do
		random_orig(&o, 0, &rs);
	while (o.len - o.l2 < 2000);
	m = to_mbuf(&o, &rs);
	ck_assert_int_eq(evs_l3_fragment4(pool, m, 576, MACS, out, 2), -E2BIG);
	rte_pktmbuf_free(m);
	ck_assert_uint_eq(rte_mempool_avail_count(pool), avail);
}
END_TEST

void l3_frag_add_cases(Suite *s)
{
	const struct unit_case cases[] = {
	    {"fragment4_vs_reassembly", fragment4_vs_reassembly},
	    {"fragment4_refuses", fragment4_refuses},
	};

	unit_add_cases(s, cases, RTE_DIM(cases), NULL, NULL, 0);
}
