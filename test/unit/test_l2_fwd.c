/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/l2's forwarding stage end to end on crafted mbufs:
 * unicast, flooding per VLAN member, tag push/pop, drops, full outputs and
 * the decide/execute split. Part of the l2 suite (main in test_l2.c).
 */
#include <check.h>
#include <string.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "l2_test.h"
#include "unit_case.h"

START_TEST(test_fwd_unicast_known)
{
	struct fixture fx;
	struct rte_ether_addr a = mac_n(1), b = mac_n(2);
	struct evs_l2_out out[8];
	struct rte_mbuf *m, *copy;
	uint16_t n;

	fx_init(&fx, 64, 0);
	learn_via(fx.conf, fx.macs, fx.lc, 2, 1, -1, 1000);
	m = frame(&b, &a, -1);
	copy = rte_pktmbuf_copy(m, pool, 0, UINT32_MAX);
	n = fwd1(fx.conf, fx.macs, fx.lc, m, 0, out, 8);
	ck_assert_uint_eq(n, 1);
	ck_assert_ptr_eq(out[0].m, m);
	ck_assert_uint_eq(out[0].port, 1);
	ck_assert_uint_eq(rte_pktmbuf_data_len(m), rte_pktmbuf_data_len(copy));
	ck_assert_int_eq(memcmp(rte_pktmbuf_mtod(m, void *), rte_pktmbuf_mtod(copy, void *),
				rte_pktmbuf_data_len(m)),
			 0);
	ck_assert_uint_eq(lstats(fx.lc).unicast, 1);
	ck_assert_uint_eq(lstats(fx.lc).rx, 2);
	rte_pktmbuf_free(copy);
	free_outs(out, n);
	fx_fini(&fx);
}
END_TEST

START_TEST(test_fwd_flood_vlan_per_member)
{
	struct fixture fx;
	struct rte_ether_addr a = mac_n(1), unknown = mac_n(77);
	const struct rte_ether_addr *dsts[] = {&BCAST, &MCAST, &unknown};
	struct evs_l2_out out[8];
	struct rte_mbuf *m;
	unsigned int d;
	uint16_t n;

	fx_init(&fx, 64, 0);
	for (d = 0; d < RTE_DIM(dsts); d++) {
		/* from access port 1: to 0 untagged, 2 and 3 tagged 100; not 1, not 5 (down) */
		m = frame(dsts[d], &a, -1);
		n = fwd1(fx.conf, fx.macs, fx.lc, m, 1, out, 8);
		ck_assert_uint_eq(n, 3);
		ck_assert_uint_eq(out[0].port, 0);
		ck_assert_int_eq(out_tci(out[0].m), -1);
		ck_assert_uint_eq(out[1].port, 2);
		ck_assert_int_eq(out_tci(out[1].m), 100);
		ck_assert_uint_eq(out[2].port, 3);
		ck_assert_int_eq(out_tci(out[2].m), 100);
		/* the last member gets the original, the others copies */
		ck_assert_ptr_eq(out[2].m, m);
		ck_assert_ptr_ne(out[0].m, m);
		free_outs(out, n);
	}
	ck_assert_uint_eq(lstats(fx.lc).flooded, 3);
	ck_assert_uint_eq(lstats(fx.lc).flood_copies, 6);

	/* from trunk port 2 VLAN 100 with PCP 5: access ports untagged, port 3 keeps PCP */
	m = frame(&BCAST, &a, 0xa000 | 100);
	n = fwd1(fx.conf, fx.macs, fx.lc, m, 2, out, 8);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(out[0].port, 0);
	ck_assert_int_eq(out_tci(out[0].m), -1);
	ck_assert_uint_eq(out[1].port, 1);
	ck_assert_int_eq(out_tci(out[1].m), -1);
	ck_assert_uint_eq(out[2].port, 3);
	ck_assert_int_eq(out_tci(out[2].m), 0xa000 | 100);
	free_outs(out, n);

	/* red from trunk 2 VLAN 200: port 3 native (untagged), port 4 untagged */
	m = frame(&BCAST, &a, 200);
	n = fwd1(fx.conf, fx.macs, fx.lc, m, 2, out, 8);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(out[0].port, 3);
	ck_assert_int_eq(out_tci(out[0].m), -1);
	ck_assert_uint_eq(out[1].port, 4);
	ck_assert_int_eq(out_tci(out[1].m), -1);
	free_outs(out, n);

	/* red from port 4: trunk 2 gets VLAN 200 pushed */
	m = frame(&BCAST, &a, -1);
	n = fwd1(fx.conf, fx.macs, fx.lc, m, 4, out, 8);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(out[0].port, 2);
	ck_assert_int_eq(out_tci(out[0].m), 200);
	ck_assert_uint_eq(out[1].port, 3);
	ck_assert_int_eq(out_tci(out[1].m), -1);
	free_outs(out, n);
	fx_fini(&fx);
}
END_TEST

/* Tunnel ports (lib/overlay's remote hosts): a frame from one is flooded to
 * the local ports only, never to another tunnel port (split horizon); a
 * local frame is flooded to every tunnel port (head-end replication). */
START_TEST(test_fwd_flood_split_horizon)
{
	const struct evs_l2_switch_spec sw = {.id = 1};
	const struct evs_l2_port_spec ps[] = {
	    {.port = 0, .has_native = true, .native_switch = 1},
	    {.port = 1, .has_native = true, .native_switch = 1},
	    {.port = EVS_L2_TUNNEL_BASE, .has_native = true, .native_switch = 1},
	    {.port = EVS_L2_TUNNEL_BASE + 1, .has_native = true, .native_switch = 1},
	    {.port = EVS_L2_TUNNEL_BASE + 7, .has_native = true, .native_switch = 1},
	};
	const struct evs_l2_conf_spec spec = {
	    .nb_switches = 1, .switches = &sw, .nb_ports = RTE_DIM(ps), .ports = ps};
	struct fixture fx;
	struct rte_ether_addr a = mac_n(1);
	struct evs_l2_out out[8];
	uint16_t n;

	fx_init(&fx, 64, 0);
	evs_l2_conf_free(fx.conf);
	fx.conf = evs_l2_conf_build(&spec, NULL, 0);
	ck_assert_ptr_nonnull(fx.conf);
	n = fwd1(fx.conf, fx.macs, fx.lc, frame(&BCAST, &a, -1), EVS_L2_TUNNEL_BASE + 1, out, 8);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(out[0].port, 0);
	ck_assert_uint_eq(out[1].port, 1);
	free_outs(out, n);
	n = fwd1(fx.conf, fx.macs, fx.lc, frame(&BCAST, &a, -1), 1, out, 8);
	ck_assert_uint_eq(n, 4);
	ck_assert_uint_eq(out[0].port, 0);
	ck_assert_uint_eq(out[1].port, EVS_L2_TUNNEL_BASE);
	ck_assert_uint_eq(out[2].port, EVS_L2_TUNNEL_BASE + 1);
	ck_assert_uint_eq(out[3].port, EVS_L2_TUNNEL_BASE + 7);
	free_outs(out, n);
	/* a remote MAC learned on a tunnel port (on decap) is sent there alone */
	learn_via(fx.conf, fx.macs, fx.lc, 5, EVS_L2_TUNNEL_BASE + 7, -1, 1000);
	{
		struct rte_ether_addr r = mac_n(5);

		n = fwd1(fx.conf, fx.macs, fx.lc, frame(&r, &a, -1), 0, out, 8);
	}
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(out[0].port, EVS_L2_TUNNEL_BASE + 7);
	free_outs(out, n);
	fx_fini(&fx);
}
END_TEST

START_TEST(test_fwd_access_trunk_push_pop)
{
	struct fixture fx;
	struct rte_ether_addr h0 = mac_n(10), h2 = mac_n(12), h3 = mac_n(13), r2 = mac_n(22),
			      r4 = mac_n(24);
	struct evs_l2_out out[8];
	struct rte_mbuf *m;
	uint16_t n;

	fx_init(&fx, 64, 0);
	learn_via(fx.conf, fx.macs, fx.lc, 10, 0, -1, 1000);
	learn_via(fx.conf, fx.macs, fx.lc, 12, 2, 100, 1000);
	learn_via(fx.conf, fx.macs, fx.lc, 13, 3, 100, 1000);
	learn_via(fx.conf, fx.macs, fx.lc, 22, 2, 200, 1000);
	learn_via(fx.conf, fx.macs, fx.lc, 24, 4, -1, 1000);

	/* access -> trunk: push 100 */
	m = frame(&h2, &h0, -1);
	n = fwd1(fx.conf, fx.macs, fx.lc, m, 0, out, 8);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(out[0].port, 2);
	ck_assert_int_eq(out_tci(out[0].m), 100);
	ck_assert_uint_eq(out[0].m->l2_len, 18);
	free_outs(out, n);
	/* trunk -> access: pop */
	m = frame(&h0, &h2, 0x4000 | 100);
	n = fwd1(fx.conf, fx.macs, fx.lc, m, 2, out, 8);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(out[0].port, 0);
	ck_assert_int_eq(out_tci(out[0].m), -1);
	ck_assert_uint_eq(out[0].m->l2_len, 14);
	free_outs(out, n);
	/* trunk -> trunk, same VLAN: untouched, PCP too */
	m = frame(&h3, &h2, 0x4000 | 100);
	n = fwd1(fx.conf, fx.macs, fx.lc, m, 2, out, 8);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(out[0].port, 3);
	ck_assert_int_eq(out_tci(out[0].m), 0x4000 | 100);
	free_outs(out, n);
	/* trunk VLAN 200 -> access red */
	m = frame(&r4, &r2, 200);
	n = fwd1(fx.conf, fx.macs, fx.lc, m, 2, out, 8);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(out[0].port, 4);
	ck_assert_int_eq(out_tci(out[0].m), -1);
	free_outs(out, n);
	fx_fini(&fx);
}
END_TEST

/* Burst of @n frames from port @in (parsed there); returns the outputs. */
static uint16_t fwd_burst(struct fixture *fx, struct rte_mbuf **pkts, uint16_t n, uint16_t in,
			  struct evs_l2_out *out, uint16_t cap)
{
	struct evs_flow_key k[64];
	uint16_t i;

	ck_assert_uint_le(n, RTE_DIM(k));
	for (i = 0; i < n; i++)
		mk_key(pkts[i], in, &k[i]);
	return evs_l2_forward_burst(fx->conf, fx->macs, fx->lc, pkts, k, n, out, cap);
}

START_TEST(test_fwd_priority_tag_kept)
{
	/* One burst from access port 1 (switch blue); h0 on access port 0, h2
	 * on trunk port 2 (VLAN 100). A priority tag leaves an untagged port
	 * as it came when it carries a priority; a tag sent keeps the PCP. */
	static const struct {
		unsigned int dst; /* 0: h0, 2: h2, 9: broadcast */
		int tci_in;
		int tci_out[3]; /* per output, in order */
		uint16_t port[3];
		uint16_t n_out;
	} c[] = {
	    {0, 0x6000, {0x6000}, {0}, 1},	    /* priority-tagged -> access: kept */
	    {0, 0x0000, {-1}, {0}, 1},		    /* PCP 0: nothing to keep */
	    {0, -1, {-1}, {0}, 1},		    /* untagged stays untagged */
	    {0, 0x1000 | 0xa000, {0xa000}, {0}, 1}, /* with DEI (the parser folds it) */
	    {2, 0xa000, {0xa000 | 100}, {2}, 1},    /* -> trunk: VID set, PCP kept */
	    {2, -1, {100}, {2}, 1},		    /* untagged -> trunk: PCP 0 */
	    {9, 0xe000, {0xe000, 0xe000 | 100, 0xe000 | 100}, {0, 2, 3}, 3}, /* flood */
	};
	struct fixture fx;
	struct rte_ether_addr h0 = mac_n(10), h2 = mac_n(12), src = mac_n(30);
	struct rte_mbuf *pkts[RTE_DIM(c)];
	struct evs_l2_out out[3 * RTE_DIM(c)];
	uint16_t i, j, n, o = 0;

	fx_init(&fx, 64, 0);
	learn_via(fx.conf, fx.macs, fx.lc, 10, 0, -1, 1000);
	learn_via(fx.conf, fx.macs, fx.lc, 12, 2, 100, 1000);
	for (i = 0; i < RTE_DIM(c); i++)
		pkts[i] = frame(c[i].dst == 0	? &h0
				: c[i].dst == 2 ? &h2
						: &BCAST,
				&src, c[i].tci_in);
	n = fwd_burst(&fx, pkts, RTE_DIM(c), 1, out, RTE_DIM(out));
	for (i = 0; i < RTE_DIM(c); i++)
		for (j = 0; j < c[i].n_out; j++, o++) {
			ck_assert_uint_lt(o, n);
			ck_assert_msg(out[o].port == c[i].port[j], "frame %u output %u: port %u", i,
				      j, out[o].port);
			ck_assert_msg(out_tci(out[o].m) == c[i].tci_out[j],
				      "frame %u output %u: tci %d, want %d", i, j,
				      out_tci(out[o].m), c[i].tci_out[j]);
		}
	ck_assert_uint_eq(n, o);
	free_outs(out, n);
	fx_fini(&fx);
}
END_TEST

START_TEST(test_fwd_reserved_and_zero_src_drops)
{
	/* 32 frames from access port 0 in one burst, in fours: unicast to b,
	 * to the link-local group (dropped), from 00:00:00:00:00:00 (dropped),
	 * to a multicast group outside it (flooded). Neighbours go through. */
	static const struct rte_ether_addr zero;
	static const struct rte_ether_addr not_ll[] = {
	    {{0x01, 0x80, 0xc2, 0x00, 0x00, 0x10}}, /* 802.1D: all bridges, not reserved */
	    {{0x01, 0x80, 0xc2, 0x00, 0x00, 0x21}}, /* GARP (GVRP) */
	    {{0x01, 0x80, 0xc2, 0x00, 0x01, 0x00}},
	    {{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}},
	};
	struct fixture fx;
	struct rte_ether_addr b = mac_n(2);
	struct rte_mbuf *pkts[32];
	struct evs_l2_out out[32 * 4];
	struct evs_l2_lcore_stats ls;
	uint16_t i, n, o = 0;

	fx_init(&fx, 64, 0);
	learn_via(fx.conf, fx.macs, fx.lc, 2, 1, -1, 1000);
	for (i = 0; i < 32; i++) {
		struct rte_ether_addr s = mac_n(100 + i), ll = {{0x01, 0x80, 0xc2, 0, 0, 0}};

		ll.addr_bytes[5] = (uint8_t)((i / 4) * 2 + (i / 16)); /* 0x00..0x0f */
		switch (i % 4) {
		case 0:
			pkts[i] = frame(&b, &s, -1);
			break;
		case 1:
			pkts[i] = frame(&ll, &s, i & 8 ? 0x2000 : -1);
			break;
		case 2:
			pkts[i] = frame(&b, &zero, -1);
			break;
		default:
			pkts[i] = frame(&not_ll[(i / 4) % RTE_DIM(not_ll)], &s, -1);
		}
	}
	n = fwd_burst(&fx, pkts, 32, 0, out, RTE_DIM(out));
	ck_assert_uint_eq(n, 8 * 1 + 8 * 3);
	for (i = 0; i < 32; i += 4) {
		/* unicast: the original mbuf to port 1; flood: 1, 2, 3 */
		ck_assert_ptr_eq(out[o].m, pkts[i]);
		ck_assert_uint_eq(out[o++].port, 1);
		ck_assert_uint_eq(out[o++].port, 1);
		ck_assert_uint_eq(out[o++].port, 2);
		ck_assert_ptr_eq(out[o].m, pkts[i + 3]);
		ck_assert_uint_eq(out[o++].port, 3);
	}
	ls = lstats(fx.lc);
	ck_assert_uint_eq(ls.drops[EVS_L2_DROP_LINK_LOCAL], 8);
	ck_assert_uint_eq(ls.drops[EVS_L2_DROP_SRC_MAC_ZERO], 8);
	ck_assert_uint_eq(ls.unicast, 8);
	ck_assert_uint_eq(ls.flooded, 8 + 1); /* and learn_via's broadcast */
	free_outs(out, n);
	/* sources of link-local frames were not learned, nor the zero MAC */
	evs_l2_macs_poll(fx.macs, fx.conf, 1000);
	for (i = 0; i < 32; i++)
		ck_assert_int_eq(mac_port(fx.macs, 10, 100 + i, 1000),
				 i % 4 == 0 || i % 4 == 3 ? 0 : -1);
	ck_assert_uint_eq(evs_l2_macs_count(fx.macs), 1 + 16);
	fx_fini(&fx);
}
END_TEST

START_TEST(test_fwd_drops)
{
	struct fixture fx;
	struct rte_ether_addr a = mac_n(1), b = mac_n(2), c = mac_n(3), d = mac_n(4);
	struct evs_l2_out out[8];
	struct evs_l2_lcore_stats ls;
	uint16_t n;

	fx_init(&fx, 64, 0);
	learn_via(fx.conf, fx.macs, fx.lc, 1, 0, -1, 1000);
	learn_via(fx.conf, fx.macs, fx.lc, 2, 0, -1, 1000);
	/* hairpin: B lives on the input port */
	n = fwd1(fx.conf, fx.macs, fx.lc, frame(&b, &a, -1), 0, out, 8);
	ck_assert_uint_eq(n, 0);
	/* VLAN not carried by the port */
	n = fwd1(fx.conf, fx.macs, fx.lc, frame(&b, &a, 999), 2, out, 8);
	ck_assert_uint_eq(n, 0);
	n = fwd1(fx.conf, fx.macs, fx.lc, frame(&b, &a, 100), 0, out, 8);
	ck_assert_uint_eq(n, 0);
	/* untagged on a port with no native switch; port not in the conf */
	n = fwd1(fx.conf, fx.macs, fx.lc, frame(&b, &a, -1), 2, out, 8);
	ck_assert_uint_eq(n, 0);
	n = fwd1(fx.conf, fx.macs, fx.lc, frame(&b, &a, -1), 9, out, 8);
	ck_assert_uint_eq(n, 0);
	/* multicast source */
	n = fwd1(fx.conf, fx.macs, fx.lc, frame(&b, &MCAST, -1), 1, out, 8);
	ck_assert_uint_eq(n, 0);
	/* destination on a down port, and on a port not in the conf */
	ck_assert_int_eq(evs_l2_macs_add_static(fx.macs, 10, &c, 5, 1000), 0);
	ck_assert_int_eq(evs_l2_macs_add_static(fx.macs, 10, &d, 9, 1000), 0);
	n = fwd1(fx.conf, fx.macs, fx.lc, frame(&c, &a, -1), 0, out, 8);
	ck_assert_uint_eq(n, 0);
	n = fwd1(fx.conf, fx.macs, fx.lc, frame(&d, &a, -1), 0, out, 8);
	ck_assert_uint_eq(n, 0);
	/* flooding in a switch whose only member is the input port */
	n = fwd1(fx.conf, fx.macs, fx.lc, frame(&BCAST, &a, -1), 8, out, 8);
	ck_assert_uint_eq(n, 0);

	ls = lstats(fx.lc);
	ck_assert_uint_eq(ls.drops[EVS_L2_DROP_HAIRPIN], 1);
	ck_assert_uint_eq(ls.drops[EVS_L2_DROP_VLAN_NOT_MEMBER], 2);
	ck_assert_uint_eq(ls.drops[EVS_L2_DROP_NO_SWITCH], 2);
	ck_assert_uint_eq(ls.drops[EVS_L2_DROP_SRC_MAC_MCAST], 1);
	ck_assert_uint_eq(ls.drops[EVS_L2_DROP_PORT_DOWN], 2);
	ck_assert_uint_eq(ls.drops[EVS_L2_DROP_FLOOD_EMPTY], 1);
	ck_assert_uint_eq(ls.unicast, 0);
	fx_fini(&fx); /* checks every dropped mbuf was freed */
}
END_TEST

START_TEST(test_fwd_tx_full_and_no_mbuf)
{
	struct fixture fx;
	struct rte_mempool *tiny;
	struct evs_l2_lcore *lc2;
	struct rte_ether_addr a = mac_n(1), b = mac_n(2);
	struct evs_l2_out out[8];
	struct evs_flow_key k[2];
	struct rte_mbuf *pkts[2], *hold;
	uint16_t n;

	fx_init(&fx, 64, 0);
	/* flood to 3 members with room for 1 */
	n = fwd1(fx.conf, fx.macs, fx.lc, frame(&BCAST, &a, -1), 1, out, 1);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(lstats(fx.lc).drops[EVS_L2_DROP_TX_FULL], 2);
	free_outs(out, n);
	/* unicast with no room at all */
	learn_via(fx.conf, fx.macs, fx.lc, 2, 0, -1, 1000);
	pkts[0] = frame(&b, &a, -1);
	pkts[1] = frame(&b, &a, -1);
	mk_key(pkts[0], 1, &k[0]);
	mk_key(pkts[1], 1, &k[1]);
	n = evs_l2_forward_burst(fx.conf, fx.macs, fx.lc, pkts, k, 2, out, 1);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(lstats(fx.lc).drops[EVS_L2_DROP_TX_FULL], 3);
	free_outs(out, n);

	/* clone pool with one mbuf, held: copies fail, the original still goes out */
	tiny = rte_pktmbuf_pool_create("l2tiny", 1, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	ck_assert_ptr_nonnull(tiny);
	hold = rte_pktmbuf_alloc(tiny);
	ck_assert_ptr_nonnull(hold);
	lc2 = new_lcore(fx.macs, tiny, 1000);
	n = fwd1(fx.conf, fx.macs, lc2, frame(&BCAST, &a, -1), 1, out, 8);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(out[0].port, 3);
	ck_assert_uint_eq(lstats(lc2).drops[EVS_L2_DROP_NO_MBUF], 2);
	free_outs(out, n);
	/* tag push without headroom */
	{
		struct rte_ether_addr h2 = mac_n(12);
		struct rte_mbuf *m = frame(&h2, &a, -1);

		uint16_t hr = rte_pktmbuf_headroom(m), len = rte_pktmbuf_data_len(m);
		uint8_t *p;

		learn_via(fx.conf, fx.macs, fx.lc, 12, 2, 100, 1000);
		/* move the frame to the start of the buffer: no headroom left */
		p = (uint8_t *)rte_pktmbuf_prepend(m, hr);
		memmove(p, p + hr, len);
		rte_pktmbuf_trim(m, hr);
		ck_assert_uint_eq(rte_pktmbuf_headroom(m), 0);
		n = fwd1(fx.conf, fx.macs, lc2, m, 0, out, 8);
		ck_assert_uint_eq(n, 0);
		ck_assert_uint_eq(lstats(lc2).drops[EVS_L2_DROP_NO_MBUF], 3);
	}
	evs_l2_lcore_free(lc2);
	rte_pktmbuf_free(hold);
	rte_mempool_free(tiny);
	fx_fini(&fx);
}
END_TEST

START_TEST(test_fwd_decide_execute_split)
{
	struct fixture fx;
	struct rte_ether_addr a = mac_n(1), b = mac_n(2), h2 = mac_n(12);
	struct evs_flow_key k[4];
	struct evs_l2_action acts[4];
	struct rte_mbuf *pkts[4];
	struct evs_l2_out out[16];
	uint16_t n;

	fx_init(&fx, 64, 0);
	learn_via(fx.conf, fx.macs, fx.lc, 2, 1, -1, 1000);
	learn_via(fx.conf, fx.macs, fx.lc, 12, 2, 100, 1000);
	pkts[0] = frame(&b, &a, -1);	 /* unicast to 1 */
	pkts[1] = frame(&h2, &a, -1);	 /* unicast to 2, tag 100 */
	pkts[2] = frame(&BCAST, &a, -1); /* flood */
	pkts[3] = frame(&b, &a, 999);	 /* drop */
	mk_key(pkts[0], 0, &k[0]);
	mk_key(pkts[1], 0, &k[1]);
	mk_key(pkts[2], 0, &k[2]);
	mk_key(pkts[3], 2, &k[3]);
	evs_l2_decide_burst(fx.conf, fx.macs, fx.lc, k, 4, acts);
	ck_assert_uint_eq(acts[0].type, EVS_L2_ACT_UNICAST);
	ck_assert_uint_eq(acts[0].port, 1);
	ck_assert_uint_eq(acts[0].tci, 0);
	ck_assert_uint_eq(acts[1].type, EVS_L2_ACT_UNICAST);
	ck_assert_uint_eq(acts[1].port, 2);
	ck_assert_uint_eq(acts[1].tci, EVS_VLAN_PRESENT | 100);
	ck_assert_uint_eq(acts[2].type, EVS_L2_ACT_FLOOD);
	ck_assert_uint_eq(acts[2].sw, evs_l2_conf_switch_index(fx.conf, 10));
	ck_assert_uint_eq(acts[3].type, EVS_L2_ACT_DROP);
	ck_assert_uint_eq(acts[3].reason, EVS_L2_DROP_VLAN_NOT_MEMBER);
	/* decide does not learn: A is unknown and no event was queued */
	ck_assert_uint_eq(lstats(fx.lc).learn_events, 2);
	n = evs_l2_execute_burst(fx.conf, fx.lc, pkts, k, acts, 4, out, 16);
	ck_assert_uint_eq(n, 1 + 1 + 3);
	ck_assert_uint_eq(out[1].port, 2);
	ck_assert_int_eq(out_tci(out[1].m), 100);
	free_outs(out, n);
	/* learn alone */
	evs_l2_learn_burst(fx.conf, fx.macs, fx.lc, k, 4);
	ck_assert_uint_eq(lstats(fx.lc).learn_events, 3);
	evs_l2_macs_poll(fx.macs, fx.conf, 1000);
	ck_assert_int_eq(mac_port(fx.macs, 10, 1, 1000), 0);
	fx_fini(&fx);
}
END_TEST

START_TEST(test_fwd_big_burst)
{
	/* more than one lookup chunk; mixed outcomes in one call */
	struct fixture fx;
	struct rte_mbuf *pkts[80];
	struct evs_flow_key k[80];
	struct evs_l2_out out[80 * 4];
	struct rte_ether_addr b = mac_n(2);
	uint16_t i, n, to1 = 0;

	fx_init(&fx, 256, 0);
	learn_via(fx.conf, fx.macs, fx.lc, 2, 1, -1, 1000);
	for (i = 0; i < 80; i++) {
		struct rte_ether_addr s = mac_n(100 + i);

		pkts[i] = frame(i % 4 == 3 ? &BCAST : &b, &s, -1);
		mk_key(pkts[i], 0, &k[i]);
	}
	n = evs_l2_forward_burst(fx.conf, fx.macs, fx.lc, pkts, k, 80, out, RTE_DIM(out));
	ck_assert_uint_eq(n, 60 + 20 * 3);
	for (i = 0; i < n; i++)
		to1 += out[i].port == 1;
	ck_assert_uint_eq(to1, 60 + 20);
	free_outs(out, n);
	evs_l2_macs_poll(fx.macs, fx.conf, 1000);
	ck_assert_uint_eq(evs_l2_macs_count(fx.macs), 81);
	fx_fini(&fx);
}
END_TEST

void l2_fwd_add_cases(Suite *s)
{
	const struct unit_case cases[] = {
	    {"fwd_unicast_known", test_fwd_unicast_known},
	    {"fwd_flood_vlan_per_member", test_fwd_flood_vlan_per_member},
	    {"fwd_flood_split_horizon", test_fwd_flood_split_horizon},
	    {"fwd_access_trunk_push_pop", test_fwd_access_trunk_push_pop},
	    {"fwd_drops", test_fwd_drops},
	    {"fwd_priority_tag_kept", test_fwd_priority_tag_kept},
	    {"fwd_reserved_and_zero_src_drops", test_fwd_reserved_and_zero_src_drops},
	    {"fwd_tx_full_and_no_mbuf", test_fwd_tx_full_and_no_mbuf},
	    {"fwd_decide_execute_split", test_fwd_decide_execute_split},
	    {"fwd_big_burst", test_fwd_big_burst},
	};

	unit_add_cases(s, cases, RTE_DIM(cases), NULL, NULL, 0);
}
