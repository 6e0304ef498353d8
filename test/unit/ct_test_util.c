/* SPDX-License-Identifier: BSD-3-Clause */
/* Packet builder and table fixture of the conntrack unit suite. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>

#include "ct_test.h"

struct evs_ct *ct;
struct evs_ct_lcore *lc;
static uint64_t now_ms;

void addr(const char *txt, uint8_t out[16])
{
	memset(out, 0, 16);
	if (strchr(txt, ':') != NULL)
		ck_assert_int_eq(inet_pton(AF_INET6, txt, out), 1);
	else
		ck_assert_int_eq(inet_pton(AF_INET, txt, out), 1);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* L4 header + payload; returns its length. */
static uint32_t build_l4(const struct spec *s, uint8_t *l4, bool v6)
{
	uint32_t len = 0, qlen;

	switch (s->proto) {
	case IPPROTO_TCP:
		len = s->wscale > 0 ? 24 : 20;
		put16(l4, s->sport);
		put16(l4 + 2, s->dport);
		put32(l4 + 4, s->seq);
		put32(l4 + 8, s->ack);
		l4[12] = (uint8_t)((len / 4) << 4);
		l4[13] = s->flags;
		put16(l4 + 14, s->win != 0 ? s->win : 65535);
		if (s->wscale > 0) {
			l4[20] = 1; /* NOP, then window scale */
			l4[21] = 3;
			l4[22] = 3;
			l4[23] = (uint8_t)s->wscale;
		}
		break;
	case IPPROTO_UDP:
		len = 8;
		put16(l4, s->sport);
		put16(l4 + 2, s->dport);
		put16(l4 + 4, (uint16_t)(8 + s->payload));
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		len = 8;
		l4[0] = s->icmp_type;
		l4[1] = s->icmp_code;
		put16(l4 + 4, s->icmp_id);
		put16(l4 + 6, 1);
		if (s->quote != NULL) {
			const uint8_t *q =
			    rte_pktmbuf_mtod_offset(s->quote, const uint8_t *, RTE_ETHER_HDR_LEN);

			memset(l4 + 4, 0, 4);
			qlen = RTE_MIN((uint32_t)rte_pktmbuf_data_len(s->quote) - RTE_ETHER_HDR_LEN,
				       (v6 ? 40u : 20u) + 28u);
			memcpy(l4 + 8, q, qlen);
			len += qlen;
		}
		break;
	default:
		len = 4;
		memset(l4, 0xab, 4);
		break;
	}
	memset(l4 + len, 0x5a, s->payload);
	return len + s->payload;
}

struct rte_mbuf *build(const struct spec *s, struct evs_flow_key *key)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	bool v6 = strchr(s->src, ':') != NULL;
	uint8_t *p, *ip, *l4, a[16];
	uint32_t l4len, iplen = v6 ? 40 : 20;

	ck_assert_ptr_nonnull(m);
	p = (uint8_t *)rte_pktmbuf_append(m, 1500);
	ck_assert_ptr_nonnull(p);
	memset(p, 0, 1500);
	p[0] = 0x02, p[5] = 1, p[6] = 0x02, p[11] = 2;
	put16(p + 12, v6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4);
	ip = p + RTE_ETHER_HDR_LEN;
	l4 = ip + iplen;
	l4len = build_l4(s, l4, v6);
	if (v6) {
		ip[0] = 0x60;
		put16(ip + 4, (uint16_t)l4len);
		ip[6] = s->proto;
		ip[7] = 64;
		addr(s->src, a);
		memcpy(ip + 8, a, 16);
		addr(s->dst, a);
		memcpy(ip + 24, a, 16);
	} else {
		uint16_t ck;

		ip[0] = 0x45;
		put16(ip + 2, (uint16_t)(20 + l4len));
		ip[8] = 64;
		ip[9] = s->proto;
		addr(s->src, a);
		memcpy(ip + 12, a, 4);
		addr(s->dst, a);
		memcpy(ip + 16, a, 4);
		ck = evs_ipv4_hdr_cksum(ip);
		memcpy(ip + 10, &ck, 2);
	}
	rte_pktmbuf_trim(m, (uint16_t)(1500 - RTE_ETHER_HDR_LEN - iplen - l4len));
	memset(key, 0, sizeof(*key));
	ck_assert_int_eq(evs_packet_parse(m, 0, key), EVS_DROP_NONE);
	if (s->proto == IPPROTO_TCP || s->proto == IPPROTO_UDP || s->proto == IPPROTO_ICMP ||
	    s->proto == IPPROTO_ICMPV6)
		ck_assert_int_eq(evs_l4_cksum_fill(m, key), 0);
	return m;
}

struct evs_ct *new_table(const char *name, uint32_t max, uint32_t n_lcores)
{
	struct evs_ct_config cfg = {
	    .name = name, .max_conns = max, .n_lcores = n_lcores, .socket_id = SOCKET_ID_ANY};
	struct evs_ct *t = evs_ct_create(&cfg);
	uint32_t i;

	ck_assert_ptr_nonnull(t);
	for (i = 0; i < n_lcores; i++)
		evs_ct_lcore_set_now(evs_ct_lcore_get(t, i), T0);
	return t;
}

void ct_setup(void)
{
	now_ms = T0;
	ct = new_table("t", 1024, 1);
	lc = evs_ct_lcore_get(ct, 0);
}

void ct_teardown(void)
{
	evs_ct_free(ct);
	ct = NULL;
	lc = NULL;
}

struct evs_ct_action act_commit(uint16_t zone)
{
	struct evs_ct_action a;

	memset(&a, 0, sizeof(a));
	a.zone = zone;
	a.flags = EVS_CT_F_COMMIT;
	return a;
}

uint8_t send1_keep(const struct spec *s, const struct evs_ct_action *act, struct rte_mbuf **m,
		   struct evs_flow_key *key)
{
	struct evs_ct_action def = act_commit(0);

	*m = build(s, key);
	ck_assert_uint_eq(evs_ct_execute_burst(lc, act != NULL ? act : &def, m, key, 1), 1);
	return key->ct_state;
}

uint8_t send1(const struct spec *s, const struct evs_ct_action *act)
{
	struct evs_flow_key key;
	struct rte_mbuf *m;
	uint8_t st = send1_keep(s, act, &m, &key);

	rte_pktmbuf_free(m);
	return st;
}

void advance(uint64_t ms)
{
	now_ms += ms;
	evs_ct_lcore_set_now(lc, now_ms);
	while (evs_ct_expire(lc, 1000) > 0)
		;
}

uint64_t counter(enum evs_ct_counter c)
{
	struct evs_ct_stats st;

	evs_ct_stats(ct, &st);
	return st.counters[c];
}

uint32_t live_conns(void)
{
	struct evs_ct_stats st;

	evs_ct_stats(ct, &st);
	return st.conns;
}

int conn_state(uint16_t zone, uint8_t proto)
{
	struct evs_ct_conn_info ci;
	uint32_t pos = 0;

	while (evs_ct_iterate(ct, &pos, &ci) == 0)
		if (ci.zone == zone && ci.orig.proto == proto)
			return ci.proto_state;
	return -1;
}

/* Both tables hold the same connections, in the same states. */
void ct_same_conns(const struct evs_ct *t0, const struct evs_ct *t1)
{
	struct evs_ct_conn_info x, y;
	uint32_t p0 = 0, p1 = 0;
	int r0, r1;

	for (;;) {
		memset(&x, 0, sizeof(x));
		memset(&y, 0, sizeof(y));
		r0 = evs_ct_iterate(t0, &p0, &x);
		r1 = evs_ct_iterate(t1, &p1, &y);
		ck_assert_int_eq(r0, r1);
		if (r0 != 0)
			return;
		ck_assert_mem_eq(&x.orig, &y.orig, sizeof(x.orig));
		ck_assert_mem_eq(&x.reply, &y.reply, sizeof(x.reply));
		ck_assert_uint_eq(x.proto_state, y.proto_state);
		ck_assert_uint_eq(x.seen_reply, y.seen_reply);
		ck_assert_uint_eq(x.assured, y.assured);
		ck_assert_uint_eq(x.mark, y.mark);
		ck_assert_uint_eq(x.backend, y.backend);
		ck_assert_uint_eq(x.expires_ms, y.expires_ms);
	}
}

void ct_same_tables(const struct evs_ct *t0, const struct evs_ct *t1)
{
	struct evs_ct_stats st[2];

	evs_ct_stats(t0, &st[0]);
	evs_ct_stats(t1, &st[1]);
	ck_assert_mem_eq(st[0].counters, st[1].counters, sizeof(st[0].counters));
	ck_assert_uint_eq(st[0].conns, st[1].conns);
	ct_same_conns(t0, t1);
}

void ct_same_outcome(unsigned int r, unsigned int i, const struct evs_flow_key *k0,
		     const struct evs_flow_key *k1, const struct rte_mbuf *m0,
		     const struct rte_mbuf *m1, const struct evs_ct_meta *x0,
		     const struct evs_ct_meta *x1)
{
	ck_assert_msg(k0->ct_state == k1->ct_state, "round %u packet %u: ct_state %#x, general %#x",
		      r, i, k0->ct_state, k1->ct_state);
	ck_assert_mem_eq(k0, k1, sizeof(*k0));
	ck_assert_uint_eq(rte_pktmbuf_data_len(m0), rte_pktmbuf_data_len(m1));
	ck_assert_msg(memcmp(rte_pktmbuf_mtod(m0, const uint8_t *),
			     rte_pktmbuf_mtod(m1, const uint8_t *), rte_pktmbuf_data_len(m0)) == 0,
		      "round %u packet %u: the frames differ", r, i);
	ck_assert_uint_eq(x0->mark, x1->mark);
	ck_assert_uint_eq(x0->backend, x1->backend);
	ck_assert_uint_eq(x0->known, x1->known);
}
