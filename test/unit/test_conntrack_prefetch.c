/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ingress's bucket prefetch (evs_ct_prefetch_burst) changes nothing:
 * two tables with the same history get the same bursts, one prefetched
 * ahead and one not; every packet must come out the same (state, key,
 * frame, meta), and so must the counters and connections, whatever was
 * asked for: the whole burst, parts of it, another zone, keys rewritten
 * after it, packets of other kinds, nothing.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct_test.h"
#include "unit_case.h"

#define PH_CLIENTS 40
#define PH_BURST 48

/* How round r gives (or spoils) the hint before its burst. */
enum hint_kind {
	HINT_WHOLE,	/* the burst's, then executed whole */
	HINT_PARTS,	/* the burst's, executed in three parts */
	HINT_ZONE,	/* for another zone */
	HINT_REWRITTEN, /* then some packets' ports or addresses change */
	HINT_NONE,	/* none */
	HINT_OFFSET,	/* a chunk that starts before the executed keys */
	HINT_KINDS,
};

struct ph_side {
	struct evs_ct *t;
	struct evs_ct_lcore *l;
	struct evs_flow_key key[PH_BURST + 4];
	struct rte_mbuf *m[PH_BURST];
	struct evs_ct_meta meta[PH_BURST];
};

static void ph_exec(struct ph_side *s, const struct evs_ct_action *a, struct evs_flow_key *keys,
		    unsigned int first, unsigned int n)
{
	ck_assert_uint_eq(evs_ct_execute_burst(s->l, a, &s->m[first], keys, (uint16_t)n), n);
	for (unsigned int i = 0; i < n; i++)
		s->meta[first + i] = *evs_ct_burst_meta(s->l, (uint16_t)i);
}

/* Packet i of round r: established or replying UDP/TCP to the VIP's
 * backend, new clients, IPv6, ICMP echo, now and then a port rewritten. */
static void ph_spec(struct spec *sp, char (*cli)[48], char *fresh, unsigned int r, unsigned int i)
{
	unsigned int what = (unsigned int)rand() % 12, c = (unsigned int)rand() % PH_CLIENTS;
	bool v6 = c % 9 == 8;

	*sp = (struct spec){.src = cli[c],
			    .dst = v6 ? "fd00::100" : "10.0.0.100",
			    .proto = c % 4 == 3 ? IPPROTO_TCP : IPPROTO_UDP,
			    .sport = (uint16_t)(1024 + c),
			    .dport = 80,
			    .flags = ACK,
			    .win = 1000,
			    .payload = (uint16_t)(rand() % 24)};
	if (what == 0) { /* the reply, from the backend */
		sp->dst = cli[c];
		sp->src = v6 ? "fd00::1:1" : "10.0.1.1";
		sp->dport = sp->sport;
		sp->sport = 8080;
	} else if (what == 1) { /* a new client */
		snprintf(fresh, 48, "10.3.%u.%u", r, i + 1);
		sp->src = fresh;
		sp->proto = IPPROTO_UDP;
		sp->dst = "10.0.0.100";
	} else if (what == 2) {
		sp->proto = v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
		sp->icmp_type = v6 ? 128 : 8;
		sp->icmp_id = (uint16_t)(7 + c);
	}
}

START_TEST(test_prefetch_never_changes_a_result)
{
	struct ph_side s[2];
	char cli[PH_CLIENTS][48], fresh[PH_BURST][48];
	struct evs_ct_action a = act_commit(3);
	struct evs_ct_stats st[2];
	unsigned int c, r, i, k;

	for (k = 0; k < 2; k++) {
		s[k].t = new_table(k == 0 ? "pa" : "pb", 1024, 1);
		s[k].l = evs_ct_lcore_get(s[k].t, 0);
		evs_ct_lcore_set_now(s[k].l, T0);
	}
	a.flags |= EVS_CT_F_NAT;
	a.nat.kind = EVS_CT_NAT_DST;
	addr("10.0.1.1", a.nat.addr_min);
	addr("10.0.1.1", a.nat.addr_max);
	a.nat.port_min = a.nat.port_max = 8080;
	for (c = 0; c < PH_CLIENTS; c++)
		snprintf(cli[c], sizeof(cli[c]), c % 9 == 8 ? "fd00::2:%x" : "10.2.0.%u", c + 1);
	srand(31);
	for (r = 0; r < 7 * HINT_KINDS; r++) {
		enum hint_kind kind = (enum hint_kind)(r % HINT_KINDS);
		struct spec sp[PH_BURST];

		for (i = 0; i < PH_BURST; i++)
			ph_spec(&sp[i], cli, fresh[i], r, i);
		for (k = 0; k < 2; k++) {
			struct ph_side *x = &s[k];
			/* HINT_OFFSET: the hint's chunk holds 4 keys before the burst */
			struct evs_flow_key *keys = kind == HINT_OFFSET ? &x->key[4] : x->key;

			for (i = 0; i < PH_BURST; i++)
				x->m[i] = build(&sp[i], &keys[i]);
			if (k == 0) {
				if (kind == HINT_OFFSET) {
					for (i = 0; i < 4; i++)
						x->key[i] = keys[PH_BURST - 1 - i];
					evs_ct_prefetch_burst(x->l, x->key, PH_BURST + 4, 3);
				} else if (kind == HINT_ZONE)
					evs_ct_prefetch_burst(x->l, keys, PH_BURST, 4);
				else if (kind != HINT_NONE)
					evs_ct_prefetch_burst(x->l, keys, PH_BURST, 3);
			}
			if (kind == HINT_REWRITTEN) {
				/* after the hint, as an earlier opcode's rewrite would
				 * (both sides alike: the frames are not looked at) */
				for (i = 0; i < PH_BURST; i += 5)
					keys[i].l4_src = (uint16_t)(keys[i].l4_src ^ 0x100);
				for (i = 2; i < PH_BURST; i += 7)
					keys[i].src_ip[3] ^= 1;
			}
			if (kind == HINT_PARTS) {
				ph_exec(x, &a, keys, 0, 5);
				ph_exec(x, &a, keys + 5, 5, 30);
				ph_exec(x, &a, keys + 35, 35, PH_BURST - 35);
			} else
				ph_exec(x, &a, keys, 0, PH_BURST);
		}
		for (i = 0; i < PH_BURST; i++) {
			struct evs_flow_key *k0 =
			    kind == HINT_OFFSET ? &s[0].key[4 + i] : &s[0].key[i];
			struct evs_flow_key *k1 =
			    kind == HINT_OFFSET ? &s[1].key[4 + i] : &s[1].key[i];

			ck_assert_msg(k0->ct_state == k1->ct_state,
				      "round %u (hint %d) packet %u: ct_state %#x, unhinted %#x", r,
				      kind, i, k0->ct_state, k1->ct_state);
			ck_assert_mem_eq(k0, k1, sizeof(*k0));
			ck_assert_uint_eq(rte_pktmbuf_data_len(s[0].m[i]),
					  rte_pktmbuf_data_len(s[1].m[i]));
			ck_assert_msg(memcmp(rte_pktmbuf_mtod(s[0].m[i], uint8_t *),
					     rte_pktmbuf_mtod(s[1].m[i], uint8_t *),
					     rte_pktmbuf_data_len(s[0].m[i])) == 0,
				      "round %u packet %u: the frames differ", r, i);
			ck_assert_uint_eq(s[0].meta[i].backend, s[1].meta[i].backend);
			ck_assert_uint_eq(s[0].meta[i].known, s[1].meta[i].known);
			rte_pktmbuf_free(s[0].m[i]);
			rte_pktmbuf_free(s[1].m[i]);
		}
		evs_ct_stats(s[0].t, &st[0]);
		evs_ct_stats(s[1].t, &st[1]);
		ck_assert_mem_eq(st[0].counters, st[1].counters, sizeof(st[0].counters));
		ck_assert_uint_eq(st[0].conns, st[1].conns);
		ct_same_conns(s[0].t, s[1].t);
		if (r % HINT_KINDS == HINT_KINDS - 1) {
			/* half a minute on: unreplied UDP expires, is created anew */
			for (k = 0; k < 2; k++) {
				evs_ct_lcore_set_now(s[k].l, T0 + (r + 1) * 6000);
				evs_ct_expire(s[k].l, 1u << 20);
			}
		}
	}
	ck_assert_uint_gt(st[1].counters[EVS_CT_C_HIT], 1000);
	ck_assert_uint_gt(st[1].counters[EVS_CT_C_CREATED], 100);
	ck_assert_uint_gt(st[1].counters[EVS_CT_C_NAT_REWRITE], 1000);
	evs_ct_free(s[0].t);
	evs_ct_free(s[1].t);
}
END_TEST

void ct_prefetch_add_cases(Suite *s)
{
	const struct unit_case cases[] = {
	    {"prefetch_never_changes_a_result", test_prefetch_never_changes_a_result},
	};

	unit_add_cases(s, cases, RTE_DIM(cases), ct_setup, ct_teardown, 0);
}
