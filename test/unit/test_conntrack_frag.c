/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IP fragments through conntrack (ct_frag.c): every piece of a datagram gets
 * its first fragment's connection, verdict and NAT. Random piece sequences
 * (in order, reversed, shuffled, duplicated, overlapping, from two different
 * splits) against a naive model that keeps every accepted piece; the pieces
 * that pass reassemble to exactly the datagram ct translates whole. Then
 * the refusals one by one, each with its counter.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_ip.h>

#include "ct_test.h"
#include "unit_case.h"

#define ETH RTE_ETHER_HDR_LEN
#define MAXP 96

/* A datagram cut out of a whole packet @w: [off, off + len) of its IP
 * payload (IPv6: after a fragment header), id @id; parsed into @key. */
static struct rte_mbuf *piece(const struct rte_mbuf *w, uint32_t id, uint32_t off, uint32_t len,
			      bool more, struct evs_flow_key *key)
{
	const uint8_t *src = rte_pktmbuf_mtod(w, const uint8_t *);
	bool v6 = (src[ETH] >> 4) == 6;
	uint32_t hl = v6 ? 40 : 20;
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t *p, *ip;

	ck_assert_ptr_nonnull(m);
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(ETH + hl + (v6 ? 8 : 0) + len));
	ck_assert_ptr_nonnull(p);
	memcpy(p, src, ETH + hl);
	ip = p + ETH;
	if (v6) {
		uint8_t *fh = ip + 40;

		ip[6] = IPPROTO_FRAGMENT;
		ip[4] = (uint8_t)((8 + len) >> 8);
		ip[5] = (uint8_t)(8 + len);
		fh[0] = src[ETH + 6];
		fh[1] = 0;
		fh[2] = (uint8_t)(off >> 8);
		fh[3] = (uint8_t)((off & 0xf8) | (more ? 1 : 0));
		fh[4] = (uint8_t)(id >> 24);
		fh[5] = (uint8_t)(id >> 16);
		fh[6] = (uint8_t)(id >> 8);
		fh[7] = (uint8_t)id;
		memcpy(fh + 8, src + ETH + hl + off, len);
	} else {
		struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)ip;

		h->total_length = rte_cpu_to_be_16((uint16_t)(20 + len));
		h->packet_id = rte_cpu_to_be_16((uint16_t)id);
		h->fragment_offset =
		    rte_cpu_to_be_16((uint16_t)((off / 8) | (more ? RTE_IPV4_HDR_MF_FLAG : 0)));
		h->hdr_checksum = 0;
		h->hdr_checksum = evs_ipv4_hdr_cksum(h);
		memcpy(ip + 20, src + ETH + hl + off, len);
	}
	memset(key, 0, sizeof(*key));
	ck_assert_int_eq(evs_packet_parse(m, 0, key), EVS_DROP_NONE);
	ck_assert(key->ip_frag & EVS_FRAG_ANY);
	return m;
}

static uint32_t payload_len(const struct rte_mbuf *w)
{
	const uint8_t *ip = rte_pktmbuf_mtod_offset(w, const uint8_t *, ETH);

	if ((ip[0] >> 4) == 6)
		return (uint32_t)ip[4] << 8 | ip[5];
	return ((uint32_t)ip[2] << 8 | ip[3]) - 20;
}

/* A whole datagram of @n payload bytes (random), checksummed. */
static struct rte_mbuf *datagram(struct spec *s, uint16_t n, struct evs_flow_key *key)
{
	struct rte_mbuf *m;
	uint8_t *l4;

	s->payload = n;
	m = build(s, key);
	l4 = rte_pktmbuf_mtod_offset(m, uint8_t *, m->l2_len + m->l3_len);
	for (uint32_t i = 8; i < payload_len(m); i++)
		l4[i] = (uint8_t)rand();
	ck_assert_int_eq(evs_l4_cksum_fill(m, key), 0);
	return m;
}

static struct evs_ct_action track_nat(void)
{
	struct evs_ct_action a;

	memset(&a, 0, sizeof(a));
	a.flags = EVS_CT_F_NAT;
	return a;
}

static struct evs_ct_action commit_snat(void)
{
	struct evs_ct_action a = act_commit(0);

	a.flags |= EVS_CT_F_NAT;
	a.nat.kind = EVS_CT_NAT_SRC;
	addr("192.0.2.9", a.nat.addr_min);
	addr("192.0.2.9", a.nat.addr_max);
	return a;
}

/* One piece through ct; its state (the mbuf and key kept). */
static uint8_t run1(const struct evs_ct_action *a, struct rte_mbuf *m, struct evs_flow_key *k)
{
	ck_assert_uint_eq(evs_ct_execute_burst(lc, a, &m, k, 1), 1);
	return k->ct_state;
}

/* ---- the naive model: every accepted piece of a datagram, in a list ---- */
struct ref_piece {
	uint32_t off, len;
	bool more;
};

struct ref_dgram {
	struct ref_piece acc[MAXP]; /* acc[0]: the first, once seen */
	unsigned int n_acc;
	bool bad;
};

/* Would ct let this piece through (after the ones before)? */
static bool ref_accept(struct ref_dgram *d, const struct ref_piece *p)
{
	uint32_t end = 0;
	unsigned int i;

	if (d->bad)
		return false;
	if (p->off == 0) {
		if (d->n_acc == 0) {
			d->acc[d->n_acc++] = *p;
			return true;
		}
		if (d->acc[0].len == p->len)
			return true; /* a copy of the first */
		d->bad = true;
		return false;
	}
	if (d->n_acc == 0)
		return false; /* before its first: refused, nothing remembered */
	for (i = 0; i < d->n_acc; i++)
		if (!d->acc[i].more)
			end = d->acc[i].off + d->acc[i].len;
	if (p->off < d->acc[0].len || (end != 0 && p->off + p->len > end) ||
	    (end != 0 && !p->more && p->off + p->len != end) || d->n_acc >= 64) {
		d->bad = true;
		return false;
	}
	d->acc[d->n_acc++] = *p;
	return true;
}

/* Pieces of a datagram of @plen bytes: a random split into 8-byte units,
 * the first at least @min_first bytes. */
static unsigned int split(uint32_t plen, uint32_t min_first, struct ref_piece *out,
			  unsigned int max)
{
	unsigned int n = 0;
	uint32_t off = 0;

	while (off < plen && n < max) {
		uint32_t len = 8 * (1 + (uint32_t)rand() % 40);

		if (off == 0 && len < min_first)
			len = (min_first + 7) & ~7u;
		if (off == 0 && len >= plen)
			len = (plen - 1) & ~7u; /* at least two pieces */
		else if (off + len >= plen || n + 1 == max)
			len = plen - off;
		out[n++] = (struct ref_piece){off, len, off + len < plen};
		off += len;
	}
	return n;
}

/*
 * Established connections (UDP over IPv4 with SNAT, ICMP echo over IPv4
 * with SNAT, UDP over IPv6 untranslated), then each round one datagram per
 * connection cut into pieces sent in a random order in random bursts:
 * in order, reversed, shuffled, with copies, or mixing two splits. Each
 * piece's state is the model's (established when accepted, invalid
 * otherwise), and when the accepted pieces cover the datagram they
 * reassemble to the bytes of the same datagram translated whole.
 */
START_TEST(test_frag_random_vs_model)
{
	struct spec fl[3] = {
	    {.src = "10.0.0.1",
	     .dst = "10.0.0.2",
	     .proto = IPPROTO_UDP,
	     .sport = 1000,
	     .dport = 53},
	    {.src = "10.0.0.1",
	     .dst = "10.0.0.2",
	     .proto = IPPROTO_ICMP,
	     .icmp_type = 8,
	     .icmp_id = 77},
	    {.src = "fd00::1", .dst = "fd00::2", .proto = IPPROTO_UDP, .sport = 1001, .dport = 53},
	};
	struct evs_ct_action c = commit_snat(), t = track_nat();
	uint32_t id = 1;

	srand(7919);
	for (int f = 0; f < 3; f++) {
		struct spec r = fl[f];
		struct rte_mbuf *m;
		struct evs_flow_key k;

		ck_assert_uint_eq(send1_keep(&fl[f], &c, &m, &k) & ~(EVS_CT_SNAT | EVS_CT_DNAT),
				  CT_NEW);
		/* the reply to the translated source */
		r.src = fl[f].dst;
		r.dst = f == 2 ? fl[f].src : "192.0.2.9";
		r.sport = rte_be_to_cpu_16(k.l4_dst);
		r.dport = rte_be_to_cpu_16(k.l4_src);
		r.icmp_type = 0;
		r.icmp_id = f == 1 ? rte_be_to_cpu_16(*rte_pktmbuf_mtod_offset(
					 m, rte_be16_t *, m->l2_len + m->l3_len + 4))
				   : 0;
		rte_pktmbuf_free(m);
		ck_assert_uint_eq(send1(&r, &t) & ~(EVS_CT_SNAT | EVS_CT_DNAT), CT_RPL);
	}
	for (int round = 0; round < 60; round++) {
		for (int f = 0; f < 3; f++) {
			struct ref_piece pc[2 * MAXP];
			struct rte_mbuf *pk[2 * MAXP], *w, *wt;
			struct evs_flow_key kk[2 * MAXP], wk, wtk;
			struct ref_dgram d = {.n_acc = 0};
			uint8_t got[2048], covered[2048];
			unsigned int n, mode = (unsigned int)rand() % 5, i;
			uint32_t plen, hl;
			bool st_ok;

			w = datagram(&fl[f], (uint16_t)(200 + rand() % 1200), &wk);
			plen = payload_len(w);
			n = split(plen, 8, pc, 40);
			if (mode == 3) { /* copies of some pieces */
				for (i = 0; i < n / 2; i++)
					pc[n + i] = pc[(unsigned int)rand() % n];
				n += n / 2;
			} else if (mode == 4) { /* a second split mixed in */
				n += split(plen, 8, pc + n, 40);
			}
			if (mode == 1) { /* reversed */
				for (i = 0; i < n / 2; i++) {
					struct ref_piece x = pc[i];

					pc[i] = pc[n - 1 - i];
					pc[n - 1 - i] = x;
				}
			} else if (mode >= 2) { /* shuffled */
				for (i = n - 1; i > 0; i--) {
					unsigned int j = (unsigned int)rand() % (i + 1);
					struct ref_piece x = pc[i];

					pc[i] = pc[j];
					pc[j] = x;
				}
			}
			for (i = 0; i < n; i++)
				pk[i] = piece(w, id, pc[i].off, pc[i].len, pc[i].more, &kk[i]);
			for (i = 0; i < n;) { /* random bursts */
				uint16_t b =
				    (uint16_t)RTE_MIN(n - i, 1u + (unsigned int)rand() % 32);

				ck_assert_uint_eq(evs_ct_execute_burst(lc, &t, pk + i, kk + i, b),
						  b);
				i += b;
			}
			/* the same datagram whole, translated the same way */
			wt = rte_pktmbuf_copy(w, pool, 0, UINT32_MAX);
			ck_assert_ptr_nonnull(wt);
			wtk = wk;
			ck_assert_uint_eq(run1(&t, wt, &wtk) & ~(EVS_CT_SNAT | EVS_CT_DNAT),
					  CT_EST);
			hl = wt->l2_len + wt->l3_len;
			memset(covered, 0, sizeof(covered));
			for (i = 0; i < n; i++) {
				const uint8_t *ip =
				    rte_pktmbuf_mtod_offset(pk[i], const uint8_t *, ETH);
				bool v6 = f == 2, acc = ref_accept(&d, &pc[i]);
				uint32_t pl = v6 ? 48 : 20;

				st_ok =
				    acc ? (kk[i].ct_state & ~(EVS_CT_SNAT | EVS_CT_DNAT)) == CT_EST
					: kk[i].ct_state == CT_INV;
				ck_assert_msg(st_ok,
					      "round %d flow %d mode %u piece %u (%u+%u%s): 0x%x",
					      round, f, mode, i, pc[i].off, pc[i].len,
					      pc[i].more ? ",more" : "", kk[i].ct_state);
				if (!acc)
					continue;
				/* addresses as the whole one's, the IPv4 header still valid */
				ck_assert_mem_eq(
				    ip + (v6 ? 8 : 12),
				    rte_pktmbuf_mtod_offset(wt, uint8_t *, ETH + (v6 ? 8 : 12)),
				    v6 ? 32 : 8);
				if (!v6) {
					uint16_t ck;

					memcpy(&ck, ip + 10, 2);
					ck_assert_uint_eq(evs_ipv4_hdr_cksum(ip), ck);
				}
				/* a later piece's key has the datagram's (translated) ports */
				ck_assert_uint_eq(kk[i].l4_src, wtk.l4_src);
				ck_assert_uint_eq(kk[i].l4_dst, wtk.l4_dst);
				memcpy(got + pc[i].off, ip + pl, pc[i].len);
				memset(covered + pc[i].off, 1, pc[i].len);
			}
			for (i = 0; i < plen && covered[i]; i++)
				;
			if (i == plen) /* whole: the bytes ct would have made of it */
				ck_assert_mem_eq(got, rte_pktmbuf_mtod_offset(wt, uint8_t *, hl),
						 plen);
			for (i = 0; i < n; i++)
				rte_pktmbuf_free(pk[i]);
			rte_pktmbuf_free(w);
			rte_pktmbuf_free(wt);
			id++;
			advance(20); /* records of unfinished datagrams time out */
		}
	}
	ck_assert_uint_eq(live_conns(), 3);
}
END_TEST

/* A new connection's pieces in one burst, with commit: the first creates
 * it (SNAT), the later ones find it; before the first, refused and counted. */
START_TEST(test_frag_commit_new_connection)
{
	struct spec s = {
	    .src = "10.0.0.1", .dst = "10.0.0.2", .proto = IPPROTO_UDP, .sport = 7, .dport = 9};
	struct evs_ct_action c = commit_snat();
	struct rte_mbuf *w, *pk[4];
	struct evs_flow_key wk, k[4];

	w = datagram(&s, 600, &wk);
	/* a later piece first: nothing to follow yet */
	pk[0] = piece(w, 5, 304, 304, false, &k[0]);
	pk[1] = piece(w, 5, 0, 152, true, &k[1]);
	pk[2] = piece(w, 5, 152, 152, true, &k[2]);
	pk[3] = piece(w, 5, 304, 304, false, &k[3]);
	ck_assert_uint_eq(evs_ct_execute_burst(lc, &c, pk, k, 4), 4);
	ck_assert_uint_eq(k[0].ct_state, CT_INV);
	ck_assert_uint_eq(counter(EVS_CT_C_FRAG_NO_FIRST), 1);
	ck_assert_uint_eq(k[1].ct_state, CT_NEW | EVS_CT_SNAT);
	ck_assert_uint_eq(k[2].ct_state, CT_NEW | EVS_CT_SNAT);
	ck_assert_uint_eq(k[3].ct_state, CT_NEW | EVS_CT_SNAT);
	ck_assert_uint_eq(live_conns(), 1);
	ck_assert_uint_eq(counter(EVS_CT_C_CREATED), 1);
	for (int i = 1; i < 4; i++)
		ck_assert_mem_eq(rte_pktmbuf_mtod_offset(pk[i], uint8_t *, ETH + 12),
				 "\xc0\x00\x02\x09", 4);
	ck_assert_uint_eq(k[2].l4_src, k[1].l4_src);
	for (int i = 0; i < 4; i++)
		rte_pktmbuf_free(pk[i]);
	rte_pktmbuf_free(w);
}
END_TEST

/* A later piece to commit whose first's commit was refused (zone limit):
 * it starts no connection itself. */
START_TEST(test_frag_later_never_creates)
{
	struct spec s = {
	    .src = "10.0.0.1", .dst = "10.0.0.2", .proto = IPPROTO_UDP, .sport = 7, .dport = 9};
	struct evs_ct_zone_conf zc;
	struct evs_ct_action c = act_commit(3);
	struct rte_mbuf *w, *pk[2];
	struct evs_flow_key wk, k[2];

	evs_ct_zone_conf_default(&zc);
	zc.limit = 1;
	ck_assert_int_eq(evs_ct_zone_set(ct, 3, &zc), 0);
	ck_assert_uint_eq(send1(&(struct spec){.src = "10.0.0.5",
					       .dst = "10.0.0.6",
					       .proto = IPPROTO_UDP,
					       .sport = 1,
					       .dport = 2},
				&c),
			  CT_NEW);
	w = datagram(&s, 300, &wk);
	pk[0] = piece(w, 9, 0, 160, true, &k[0]);
	pk[1] = piece(w, 9, 160, 148, false, &k[1]);
	ck_assert_uint_eq(evs_ct_execute_burst(lc, &c, pk, k, 2), 2);
	ck_assert_uint_eq(k[0].ct_state, CT_INV);
	ck_assert_uint_eq(counter(EVS_CT_C_REFUSED_ZONE), 1);
	ck_assert_uint_eq(k[1].ct_state, CT_INV);
	ck_assert_uint_eq(counter(EVS_CT_C_FRAG_NO_CONN), 1);
	ck_assert_uint_eq(live_conns(), 1);
	rte_pktmbuf_free(pk[0]);
	rte_pktmbuf_free(pk[1]);
	rte_pktmbuf_free(w);
}
END_TEST

/* Overlap of the first's bytes, offsets beyond 64 KB or not in 8-byte
 * units, too many pieces: each refused with its counter, and a refused
 * datagram's later pieces too. */
START_TEST(test_frag_refusals_counted)
{
	struct spec s = {
	    .src = "10.0.0.1", .dst = "10.0.0.2", .proto = IPPROTO_UDP, .sport = 7, .dport = 9};
	struct evs_ct_action t = track_nat();
	struct rte_mbuf *w, *m;
	struct evs_flow_key wk, k;
	uint32_t off;

	w = datagram(&s, 1200, &wk);
	/* overlap: a piece over the first's 16 bytes (its L4 header); the rest then too */
	m = piece(w, 1, 0, 16, true, &k);
	ck_assert_uint_eq(run1(&t, m, &k), CT_NEW);
	rte_pktmbuf_free(m);
	m = piece(w, 1, 8, 16, true, &k);
	ck_assert_uint_eq(run1(&t, m, &k), CT_INV);
	ck_assert_uint_eq(counter(EVS_CT_C_FRAG_OVERLAP), 1);
	rte_pktmbuf_free(m);
	m = piece(w, 1, 16, 16, true, &k);
	ck_assert_uint_eq(run1(&t, m, &k), CT_INV);
	ck_assert_uint_eq(counter(EVS_CT_C_FRAG_OVERLAP), 2);
	rte_pktmbuf_free(m);
	/* a non-last piece not in 8-byte units */
	m = piece(w, 2, 0, 20, true, &k);
	ck_assert_uint_eq(run1(&t, m, &k), CT_INV);
	ck_assert_uint_eq(counter(EVS_CT_C_FRAG_BAD_OFF), 1);
	rte_pktmbuf_free(m);
	/* beyond the last piece's end */
	m = piece(w, 3, 0, 16, true, &k);
	ck_assert_uint_eq(run1(&t, m, &k), CT_NEW);
	rte_pktmbuf_free(m);
	m = piece(w, 3, 16, 16, false, &k);
	ck_assert_uint_eq(run1(&t, m, &k), CT_NEW);
	rte_pktmbuf_free(m);
	m = piece(w, 3, 32, 16, true, &k);
	ck_assert_uint_eq(run1(&t, m, &k), CT_INV);
	ck_assert_uint_eq(counter(EVS_CT_C_FRAG_BAD_OFF), 2);
	rte_pktmbuf_free(m);
	/* more pieces than allowed: 1 first + 63 later pass, the 65th not */
	m = piece(w, 4, 0, 16, true, &k);
	ck_assert_uint_eq(run1(&t, m, &k), CT_NEW);
	rte_pktmbuf_free(m);
	for (off = 16; off < 16 + 64 * 8; off += 8) {
		m = piece(w, 4, off, 8, true, &k);
		ck_assert_uint_eq(run1(&t, m, &k), off < 16 + 63 * 8 ? CT_NEW : CT_INV);
		rte_pktmbuf_free(m);
	}
	ck_assert_uint_eq(counter(EVS_CT_C_FRAG_TOO_MANY), 1);
	/* a first piece without its L4 header (the parser refuses it; ct too) */
	m = piece(w, 5, 0, 8, true, &k);
	m->l4_len = 0;
	k.ip_proto = IPPROTO_TCP;
	ck_assert_uint_eq(run1(&t, m, &k), CT_INV);
	ck_assert_uint_eq(counter(EVS_CT_C_FRAG_TINY), 1);
	rte_pktmbuf_free(m);
	ck_assert_uint_eq(live_conns(), 0);
	rte_pktmbuf_free(w);
}
END_TEST

/* The table holds 1024 datagrams per lcore: more open ones are refused
 * (table full) until their time is up; a later piece after it is counted
 * as a timeout. */
START_TEST(test_frag_table_full_and_timeout)
{
	struct spec s = {
	    .src = "10.0.0.1", .dst = "10.0.0.2", .proto = IPPROTO_UDP, .sport = 7, .dport = 9};
	struct evs_ct_action t = track_nat();
	struct rte_mbuf *w, *m;
	struct evs_flow_key wk, k;
	uint32_t ok = 0;

	w = datagram(&s, 100, &wk);
	for (uint32_t id = 0; id < 2000; id++) {
		m = piece(w, id, 0, 16, true, &k);
		ok += run1(&t, m, &k) == CT_NEW;
		rte_pktmbuf_free(m);
	}
	ck_assert_uint_le(ok, 1024);
	ck_assert_uint_ge(ok, 900);
	ck_assert_uint_eq(counter(EVS_CT_C_FRAG_FULL), 2000 - ok);
	advance(1001);
	m = piece(w, 0, 16, 92, false, &k);
	ck_assert_uint_eq(run1(&t, m, &k), CT_INV);
	ck_assert_uint_eq(counter(EVS_CT_C_FRAG_TIMEOUT), 1);
	rte_pktmbuf_free(m);
	/* room again */
	m = piece(w, 5000, 0, 16, true, &k);
	ck_assert_uint_eq(run1(&t, m, &k), CT_NEW);
	rte_pktmbuf_free(m);
	rte_pktmbuf_free(w);
}
END_TEST

/* Finished datagrams free their records for the next ones at once when
 * room is short (no clock tick in between): 3000 datagrams of two pieces,
 * more than the table holds, all followed, none refused. */
START_TEST(test_frag_finished_records_reused)
{
	struct spec s = {
	    .src = "10.0.0.1", .dst = "10.0.0.2", .proto = IPPROTO_UDP, .sport = 7, .dport = 9};
	struct evs_ct_action t = track_nat();
	struct rte_mbuf *w, *pk[2];
	struct evs_flow_key wk, k[2];

	w = datagram(&s, 100, &wk);
	for (uint32_t id = 0; id < 3000; id++) {
		pk[0] = piece(w, id, 0, 16, true, &k[0]);
		pk[1] = piece(w, id, 16, 92, false, &k[1]);
		ck_assert_uint_eq(evs_ct_execute_burst(lc, &t, pk, k, 2), 2);
		ck_assert_uint_eq(k[0].ct_state, CT_NEW);
		ck_assert_uint_eq(k[1].ct_state, CT_NEW);
		rte_pktmbuf_free(pk[0]);
		rte_pktmbuf_free(pk[1]);
	}
	ck_assert_uint_eq(counter(EVS_CT_C_FRAG_FULL), 0);
	rte_pktmbuf_free(w);
}
END_TEST

/* Records belong to the lcore, not the context: a piece whose first went
 * through another context of the same table (the firewall's commit
 * context) follows it; another table's records are not its. */
START_TEST(test_frag_shared_by_contexts_not_tables)
{
	struct spec s = {
	    .src = "10.0.0.1", .dst = "10.0.0.2", .proto = IPPROTO_UDP, .sport = 7, .dport = 9};
	struct evs_ct *t2 = new_table("t2", 64, 2);
	struct evs_ct_action t = track_nat();
	struct evs_ct_lcore *a = evs_ct_lcore_get(t2, 0), *b = evs_ct_lcore_get(t2, 1);
	struct rte_mbuf *w, *m;
	struct evs_flow_key wk, k;

	w = datagram(&s, 300, &wk);
	m = piece(w, 1, 0, 160, true, &k);
	evs_ct_execute_burst(a, &t, &m, &k, 1);
	ck_assert_uint_eq(k.ct_state, CT_NEW);
	rte_pktmbuf_free(m);
	m = piece(w, 1, 160, 148, false, &k);
	evs_ct_execute_burst(b, &t, &m, &k, 1);
	ck_assert_uint_eq(k.ct_state, CT_NEW);
	rte_pktmbuf_free(m);
	/* the fixture's table never saw the first */
	m = piece(w, 1, 160, 148, false, &k);
	ck_assert_uint_eq(run1(&t, m, &k), CT_INV);
	ck_assert_uint_eq(counter(EVS_CT_C_FRAG_NO_FIRST), 1);
	rte_pktmbuf_free(m);
	rte_pktmbuf_free(w);
	evs_ct_free(t2);
}
END_TEST

void ct_frag_add_cases(Suite *s)
{
	const struct unit_case cases[] = {
	    {"frag_random_vs_model", test_frag_random_vs_model},
	    {"frag_commit_new_connection", test_frag_commit_new_connection},
	    {"frag_later_never_creates", test_frag_later_never_creates},
	    {"frag_refusals_counted", test_frag_refusals_counted},
	    {"frag_table_full_and_timeout", test_frag_table_full_and_timeout},
	    {"frag_finished_records_reused", test_frag_finished_records_reused},
	    {"frag_shared_by_contexts_not_tables", test_frag_shared_by_contexts_not_tables},
	};

	unit_add_cases(s, cases, RTE_DIM(cases), ct_setup, ct_teardown, 0);
}
