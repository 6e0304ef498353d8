/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/overlay's underlay: ARP/ND resolution of next hops (held frames,
 * answers, probes), tagged (802.1Q) underlays, and the announcements of
 * the underlays' addresses (gratuitous ARP, unsolicited NA). Part of the
 * overlay suite (main in test_overlay.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <netinet/in.h>
#include <rte_arp.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "crypto_test.h"
#include "evs_l3.h"
#include "evs_overlay.h"
#include "evs_packet.h"
#include "evs_store.h"
#include "unit_case.h"
#include "overlay_test.h"

static const struct rte_ether_addr our_mac = {{0x02, 0, 0, 0, 0, 0x10}}; /* port_mac's */
static const struct rte_ether_addr h2_mac = {{0x02, 0, 0, 0, 0, 0x22}};
static const struct rte_ether_addr h3_mac = {{0x02, 0, 0, 0, 0, 0x33}};
static const uint8_t ip_us[4] = {10, 9, 0, 1}, ip_h2[4] = {10, 9, 0, 2}, ip_h3[4] = {10, 9, 0, 3};

/* Frames from the underlay (port slot 3) into host A: none is tunnel traffic. */
static void underlay_in(struct rte_mbuf *m, struct evs_overlay_stats *st)
{
	struct evs_tun_meta meta[1];
	uint16_t tp[1];

	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(
	    evs_overlay_rx_burst(ha.ov, evs_overlay_dp_get(ha.ov), NULL, 3, &m, 1, tp, meta, st),
	    0);
}

/* The VID of frame @p m's 802.1Q tag, 0 when untagged. */
static uint16_t vid_of(const struct rte_mbuf *m)
{
	const uint8_t *b = rte_pktmbuf_mtod(m, const uint8_t *);

	return b[12] == 0x81 && b[13] == 0 ? (uint16_t)((b[14] << 8 | b[15]) & 0xfff) : 0;
}

/* ARP frame @p m's opcode, sender and target; its Ethernet destination. */
static void arp_is(const struct rte_mbuf *m, uint16_t op, const struct rte_ether_addr *sha,
		   const uint8_t *spa, const uint8_t *tpa, const struct rte_ether_addr *dst)
{
	const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	const uint8_t *b = rte_pktmbuf_mtod_offset(m, const uint8_t *, vid_of(m) != 0 ? 4 : 0);
	const struct rte_arp_hdr *a = (const struct rte_arp_hdr *)(b + 14);

	ck_assert_uint_eq(b[12] << 8 | b[13], RTE_ETHER_TYPE_ARP);
	ck_assert_uint_eq(rte_be_to_cpu_16(a->arp_opcode), op);
	ck_assert(rte_is_same_ether_addr(&a->arp_data.arp_sha, sha));
	ck_assert_mem_eq(&a->arp_data.arp_sip, spa, 4);
	ck_assert_mem_eq(&a->arp_data.arp_tip, tpa, 4);
	ck_assert(rte_is_same_ether_addr(&eh->dst_addr, dst));
}

/* Whether @p m is a gratuitous ARP (sender = target) or an NA to all nodes. */
static bool is_announce(const struct rte_mbuf *m)
{
	const uint8_t *b = rte_pktmbuf_mtod_offset(m, const uint8_t *, vid_of(m) != 0 ? 4 : 0);

	if ((b[12] << 8 | b[13]) == RTE_ETHER_TYPE_ARP)
		return memcmp(b + 14 + 14, b + 14 + 24, 4) == 0;
	return (b[12] << 8 | b[13]) == RTE_ETHER_TYPE_IPV6 && b[54] == 136 && b[38] == 0xff &&
	       b[53] == 1;
}

static struct evs_crypto_engine *nd_engine; /* the switch is encrypted */

/* Host A's switch in the clear and resolving its next hops (no MAC configured). */
static void nd_setup(const char *underlay_op)
{
	struct evs_ctl_err err;

	nd_engine = evs_crypto_engine_create();
	ck_assert_ptr_nonnull(nd_engine);
	sa_add(&ha, "h2", "out", 5000, KEY_A);
	ck_assert_int_eq(txn1(&ha, underlay_op, &err), 0);
	evs_overlay_poll(ha.ov);
	/* each underlay announced its address first (test_underlay_announce) */
	for (unsigned int i = 0; i < out_port.n; i++)
		ck_assert(is_announce(out_port.m[i]));
	sent_clear(&out_port);
}

/* @p n frames to tunnel port (sw, @p vtep) of host A. @return how many left encapsulated. */
static uint16_t send_to(const char *vtep, uint16_t n, struct rte_mbuf **m,
			struct evs_overlay_stats *st)
{
	struct rte_mbuf *copy[8];

	frames(m, copy, n, 5);
	free_all(copy, n);
	for (uint16_t i = 0; i < n; i++)
		m[i]->hash.rss = 0x5eed0000u | i; /* a NIC's hash: kept, unused by the encap */
	return evs_overlay_tx_burst(ha.ov, evs_overlay_dp_get(ha.ov), nd_engine,
				    (uint16_t)tport_of(&ha, 7, vtep), m, n, NULL, NULL, NULL, st);
}

/*
 * Without a configured next-hop MAC a VTEP's frames wait for ARP: held (at
 * most 4), a broadcast request from the underlay's address and MAC, the
 * reply releases them to their tunnel port, which then sends to the
 * learned MAC. A request for our address is answered (and its sender
 * learned: no wait for that host); one for another address is not; the
 * unanswered are probed again and given up after three tries.
 */
START_TEST(test_underlay_arp)
{
	static const struct rte_ether_addr bcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
	struct evs_overlay_stats st = {0};
	struct rte_mbuf *m[8];
	struct evs_ctl_err err;
	json_t *j;

	nd_setup("=underlay {\"name\": \"u1\", \"next_hop_mac\": null}");
	ck_assert_uint_eq(send_to("h2", 3, m, &st), 0);
	ck_assert_uint_eq(st.held, 3);
	evs_overlay_poll(ha.ov);
	ck_assert_uint_eq(out_port.n, 1); /* one request for the three */
	ck_assert_uint_eq(out_port.to[0], 3);
	arp_is(out_port.m[0], RTE_ARP_OP_REQUEST, &our_mac, ip_us, ip_h2, &bcast);
	sent_clear(&out_port);
	ck_assert_uint_eq(send_to("h2", 3, m, &st), 0);
	evs_overlay_poll(ha.ov); /* the fourth held, two over the table's queue */
	j = evs_overlay_neigh_json(ha.ov);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "hold_full")), 2);
	{
		json_t *e = json_array_get(json_object_get(j, "neighbours"), 0);

		ck_assert_int_eq(json_integer_value(json_object_get(e, "held")), 4);
		ck_assert_str_eq(json_string_value(json_object_get(e, "state")), "incomplete");
		ck_assert_str_eq(json_string_value(json_object_get(e, "address")), "10.9.0.2");
	}
	json_decref(j);
	/* the reply: the four go back to h2's tunnel port, which now sends them */
	underlay_in(evs_l3_build_arp(crypto_test_pool, RTE_ARP_OP_REPLY, &h2_mac, ip_h2, &our_mac,
				     ip_us, &our_mac),
		    &st);
	ck_assert_uint_eq(st.neigh_in, 1);
	ck_assert_uint_eq(out_tunnel.n, 0); /* the management lcore's work */
	evs_overlay_poll(ha.ov);
	ck_assert_uint_eq(out_tunnel.n, 4);
	ck_assert_int_eq(out_tunnel.to[0], tport_of(&ha, 7, "h2"));
	for (unsigned int i = 0; i < 4; i++) /* the hold keeps the mbuf hash */
		ck_assert_uint_eq(out_tunnel.m[i]->hash.rss >> 16, 0x5eed);
	ck_assert_uint_eq(evs_overlay_tx_burst(ha.ov, evs_overlay_dp_get(ha.ov), nd_engine,
					       out_tunnel.to[0], out_tunnel.m, 4, NULL, NULL, NULL,
					       &st),
			  4);
	for (unsigned int i = 0; i < 4; i++)
		ck_assert_mem_eq(rte_pktmbuf_mtod(out_tunnel.m[i], const uint8_t *), &h2_mac, 6);
	sent_clear(&out_tunnel);
	/* h3 asks for us: answered, and learned (its frames go at once) */
	underlay_in(evs_l3_build_arp(crypto_test_pool, RTE_ARP_OP_REQUEST, &h3_mac, ip_h3, NULL,
				     ip_us, NULL),
		    &st);
	evs_overlay_poll(ha.ov);
	ck_assert_uint_eq(out_port.n, 1);
	arp_is(out_port.m[0], RTE_ARP_OP_REPLY, &our_mac, ip_us, ip_h3, &h3_mac);
	sent_clear(&out_port);
	sa_add(&ha, "h3", "out", 5001, KEY_A);
	ck_assert_uint_eq(send_to("h3", 2, m, &st), 2);
	ck_assert_mem_eq(rte_pktmbuf_mtod(m[0], const uint8_t *), &h3_mac, 6);
	free_all(m, 2);
	/* a request for someone else's address: no answer */
	underlay_in(evs_l3_build_arp(crypto_test_pool, RTE_ARP_OP_REQUEST, &h3_mac, ip_h3, NULL,
				     ip_h2, NULL),
		    &st);
	evs_overlay_poll(ha.ov);
	ck_assert_uint_eq(out_port.n, 0);
	j = evs_overlay_neigh_json(ha.ov);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "answered")), 1);
	json_decref(j);
	/* a configured MAC again: no resolution, that MAC */
	ck_assert_int_eq(txn1(&ha,
			      "=underlay {\"name\": \"u1\", \"port\": \"p0\", \"address\": "
			      "\"10.9.0.1\", \"next_hop_mac\": \"02:00:00:00:00:fe\"}",
			      &err),
			 0);
	evs_overlay_poll(ha.ov);
	ck_assert_uint_eq(send_to("h3", 1, m, &st), 1);
	ck_assert_uint_eq(rte_pktmbuf_mtod(m[0], const uint8_t *)[5], 0xfe);
	free_all(m, 1);
	evs_crypto_engine_free(nd_engine);
}
END_TEST

/* An unanswered next hop: probed every second, given up after three; its
 * held frames are dropped (counted by the table), not sent anywhere. */
START_TEST(test_underlay_arp_unanswered)
{
	struct evs_overlay_stats st = {0};
	struct rte_mbuf *m[8];
	struct evs_ctl_err err;
	json_t *j;

	nd_setup("=underlay {\"name\": \"u1\", \"next_hop_mac\": null, "
		 "\"next_hop\": \"10.9.0.254\"}");
	ck_assert_uint_eq(send_to("h2", 2, m, &st), 0);
	ck_assert_uint_eq(send_to("h3", 1, m, &st), 0); /* the same gateway */
	evs_overlay_poll(ha.ov);
	ck_assert_uint_eq(out_port.n, 1);
	{
		static const uint8_t gw[4] = {10, 9, 0, 254};
		static const struct rte_ether_addr bcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};

		arp_is(out_port.m[0], RTE_ARP_OP_REQUEST, &our_mac, ip_us, gw, &bcast);
	}
	for (unsigned int s = 0; s < 4; s++) {
		clock_ms += 1000;
		evs_overlay_poll(ha.ov);
	}
	/* max_probes, and the address's second announcement (2 s after the first) */
	ck_assert_uint_eq(out_port.n, 4);
	ck_assert_uint_eq(is_announce(out_port.m[0]) + is_announce(out_port.m[1]) +
			      is_announce(out_port.m[2]) + is_announce(out_port.m[3]),
			  1);
	ck_assert_uint_eq(out_tunnel.n, 0);
	j = evs_overlay_neigh_json(ha.ov);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "unresolved")), 3);
	ck_assert_uint_eq(json_array_size(json_object_get(j, "neighbours")), 0);
	json_decref(j);
	/* a bad next hop: another family, or our own address */
	ck_assert_int_eq(txn1(&ha,
			      "=underlay {\"name\": \"u1\", \"port\": \"p0\", \"address\": "
			      "\"10.9.0.1\", \"next_hop\": \"fd00::1\"}",
			      &err),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.path, "next_hop"));
	evs_crypto_engine_free(nd_engine);
}
END_TEST

/* ICMPv6 message type of frame @p m (untagged IPv6), its ND target and Ethernet destination. */
static void nd_is(const struct rte_mbuf *m, uint8_t type, const uint8_t *target,
		  const uint8_t *dst_mac)
{
	const uint8_t *b = rte_pktmbuf_mtod(m, const uint8_t *);

	ck_assert_uint_eq(b[12] << 8 | b[13], RTE_ETHER_TYPE_IPV6);
	ck_assert_uint_eq(b[14 + 6], IPPROTO_ICMPV6);
	ck_assert_uint_eq(b[14 + 7], 255);
	ck_assert_uint_eq(b[54], type);
	ck_assert_mem_eq(b + 54 + 8, target, 16);
	ck_assert_mem_eq(b, dst_mac, 6);
}

/* The same over an IPv6 underlay with neighbour discovery: a solicitation
 * to the target's solicited-node group, the advertisement releases the
 * held frame, a solicitation for our address is advertised back. */
START_TEST(test_underlay_nd)
{
	static const uint8_t us6[16] = {0xfd, 0x09, [15] = 1}, h6[16] = {0xfd, 0x09, [15] = 6};
	static const uint8_t snm[6] = {0x33, 0x33, 0xff, 0, 0, 6};
	static const struct rte_ether_addr h6_mac = {{0x02, 0, 0, 0, 0, 0x66}};
	const char *ops[] = {
	    "+underlay {\"name\": \"u6\", \"port\": \"p0\", \"address\": \"fd09::1\"}",
	    "+vtep {\"name\": \"h6\", \"underlay\": \"u6\", \"address\": \"fd09::6\"}",
	};
	struct evs_overlay_stats st = {0};
	struct rte_mbuf *m[8];
	struct evs_ctl_err err;

	ck_assert_msg(txn_on(&ha, ops, 2, &err) == 0, "%s at %s", err.message, err.path);
	nd_setup("=underlay {\"name\": \"u1\"}");
	sa_add(&ha, "h6", "out", 5002, KEY_A);
	ck_assert_uint_eq(send_to("h6", 1, m, &st), 0);
	evs_overlay_poll(ha.ov);
	ck_assert_uint_eq(out_port.n, 1);
	nd_is(out_port.m[0], 135, h6, snm);
	sent_clear(&out_port);
	underlay_in(evs_l3_build_na(crypto_test_pool, &h6_mac, h6, us6, &our_mac, true), &st);
	evs_overlay_poll(ha.ov);
	ck_assert_uint_eq(out_tunnel.n, 1);
	ck_assert_uint_eq(evs_overlay_tx_burst(ha.ov, evs_overlay_dp_get(ha.ov), nd_engine,
					       out_tunnel.to[0], out_tunnel.m, 1, NULL, NULL, NULL,
					       &st),
			  1);
	ck_assert_mem_eq(rte_pktmbuf_mtod(out_tunnel.m[0], const uint8_t *), &h6_mac, 6);
	sent_clear(&out_tunnel);
	underlay_in(evs_l3_build_ns(crypto_test_pool, &h6_mac, h6, us6, NULL), &st);
	evs_overlay_poll(ha.ov);
	ck_assert_uint_eq(out_port.n, 1);
	nd_is(out_port.m[0], 136, us6, h6_mac.addr_bytes);
	evs_crypto_engine_free(nd_engine);
}
END_TEST

/* A frame built by lib/l3 for the underlay, tagged with VID @p vid (0: as it is). */
static struct rte_mbuf *tagged(struct rte_mbuf *m, uint16_t vid)
{
	ck_assert_ptr_nonnull(m);
	if (vid != 0)
		ck_assert_int_eq(evs_packet_set_vlan(m, vid), 0);
	return m;
}

static uint64_t announced(void)
{
	json_t *j = evs_overlay_neigh_json(ha.ov);
	uint64_t n = (uint64_t)json_integer_value(json_object_get(j, "announced"));

	json_decref(j);
	return n;
}

/*
 * An underlay announces its address when it appears and when its address,
 * MAC, port or VLAN changes (a restart, a move): a gratuitous ARP (RFC 5227
 * 2.3: a request from and for our address, broadcast), or an unsolicited NA
 * to all nodes (RFC 4861 7.2.6: override, not solicited, not a router),
 * twice, two seconds apart, and again when the port's link comes up
 * (evs_overlay_link_up); other changes announce nothing.
 */
START_TEST(test_underlay_announce)
{
	static const struct rte_ether_addr bcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
	static const struct rte_ether_addr mac9 = {{0x02, 0, 0, 0, 0, 0x99}};
	static const uint8_t ip9[4] = {10, 9, 0, 9}, us6[16] = {0xfd, 0x09, [15] = 1};
	static const uint8_t all_nodes_mac[6] = {0x33, 0x33, 0, 0, 0, 1};
	struct evs_ctl_err err;
	const uint8_t *b;

	evs_overlay_poll(ha.ov);
	ck_assert_uint_eq(out_port.n, 1);
	ck_assert_uint_eq(out_port.to[0], 3);
	ck_assert_uint_eq(vid_of(out_port.m[0]), 0);
	arp_is(out_port.m[0], RTE_ARP_OP_REQUEST, &our_mac, ip_us, ip_us, &bcast);
	sent_clear(&out_port);
	evs_overlay_poll(ha.ov);
	clock_ms += 1999;
	evs_overlay_poll(ha.ov);
	ck_assert_uint_eq(out_port.n, 0);
	clock_ms += 1;
	evs_overlay_poll(ha.ov);
	ck_assert_uint_eq(out_port.n, 1); /* the second */
	arp_is(out_port.m[0], RTE_ARP_OP_REQUEST, &our_mac, ip_us, ip_us, &bcast);
	sent_clear(&out_port);
	clock_ms += 5000;
	evs_overlay_poll(ha.ov);
	ck_assert_uint_eq(out_port.n, 0); /* and no more */
	ck_assert_uint_eq(announced(), 2);
	/* the port's link comes up (another port's: nothing): twice again */
	evs_overlay_link_up(ha.ov, 4);
	evs_overlay_poll(ha.ov);
	ck_assert_uint_eq(out_port.n, 0);
	evs_overlay_link_up(ha.ov, 3);
	evs_overlay_poll(ha.ov);
	clock_ms += 2000;
	evs_overlay_poll(ha.ov);
	clock_ms += 5000;
	evs_overlay_poll(ha.ov);
	ck_assert_uint_eq(out_port.n, 2);
	arp_is(out_port.m[1], RTE_ARP_OP_REQUEST, &our_mac, ip_us, ip_us, &bcast);
	sent_clear(&out_port);
	ck_assert_uint_eq(announced(), 4);
	/* no change of address or MAC: nothing */
	ck_assert_int_eq(txn1(&ha, "=underlay {\"name\": \"u1\", \"mtu\": 1400}", &err), 0);
	evs_overlay_poll(ha.ov);
	ck_assert_uint_eq(out_port.n, 0);
	/* a new address; then a new MAC */
	ck_assert_int_eq(txn1(&ha, "=underlay {\"name\": \"u1\", \"address\": \"10.9.0.9\"}", &err),
			 0);
	evs_overlay_poll(ha.ov);
	ck_assert_uint_eq(out_port.n, 1);
	arp_is(out_port.m[0], RTE_ARP_OP_REQUEST, &our_mac, ip9, ip9, &bcast);
	sent_clear(&out_port);
	ck_assert_int_eq(
	    txn1(&ha, "=underlay {\"name\": \"u1\", \"mac\": \"02:00:00:00:00:99\"}", &err), 0);
	evs_overlay_poll(ha.ov);
	ck_assert_uint_eq(out_port.n, 1);
	arp_is(out_port.m[0], RTE_ARP_OP_REQUEST, &mac9, ip9, ip9, &bcast);
	ck_assert_mem_eq(rte_pktmbuf_mtod(out_port.m[0], const uint8_t *) + 6, &mac9, 6);
	sent_clear(&out_port);
	/* IPv6: an unsolicited NA for our address, our MAC as its target's */
	ck_assert_int_eq(
	    txn1(&ha, "+underlay {\"name\": \"u6\", \"port\": \"p0\", \"address\": \"fd09::1\"}",
		 &err),
	    0);
	evs_overlay_poll(ha.ov);
	ck_assert_uint_eq(out_port.n, 1);
	b = rte_pktmbuf_mtod(out_port.m[0], const uint8_t *);
	ck_assert_mem_eq(b, all_nodes_mac, 6);
	ck_assert_uint_eq(b[12] << 8 | b[13], RTE_ETHER_TYPE_IPV6);
	ck_assert_mem_eq(b + 22, us6, 16); /* from our address */
	ck_assert_uint_eq(b[38], 0xff);	   /* to ff02::1 */
	ck_assert_uint_eq(b[53], 1);
	ck_assert_uint_eq(b[21], 255);
	ck_assert_uint_eq(b[54], 136);
	ck_assert_uint_eq(b[58], 0x20); /* override; not router, not solicited */
	ck_assert_mem_eq(b + 62, us6, 16);
	ck_assert_uint_eq(b[78], 2); /* target link-layer address: ours */
	ck_assert_mem_eq(b + 80, &our_mac, 6);
	{ /* the checksum over the pseudo-header and the message */
		uint32_t sum = rte_ipv6_phdr_cksum((const struct rte_ipv6_hdr *)(b + 14), 0) +
			       rte_raw_cksum(b + 54, (size_t)(b[18] << 8 | b[19]));

		sum = (sum & 0xffff) + (sum >> 16);
		sum = (sum & 0xffff) + (sum >> 16);
		ck_assert_uint_eq(sum, 0xffff);
	}
	sent_clear(&out_port);
	ck_assert_uint_eq(announced(), 7);
}
END_TEST

/*
 * A tagged underlay (vlan 100): its announcement, ARP requests and answers
 * carry the tag; only ARP in its VLAN is learned or answered (untagged or
 * VID 200 is not); the tunnel frames released to the learned MAC are tagged,
 * ESP behind the tag. A VID out of 1-4094 is refused.
 */
START_TEST(test_underlay_vlan)
{
	static const struct rte_ether_addr bcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
	struct evs_overlay_stats st = {0};
	struct rte_mbuf *m[8];
	struct evs_ctl_err err;

	ck_assert_int_eq(txn1(&ha, "=underlay {\"name\": \"u1\", \"vlan\": 0}", &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.path, "vlan"));
	ck_assert_int_eq(txn1(&ha, "=underlay {\"name\": \"u1\", \"vlan\": 4095}", &err), -EINVAL);
	evs_overlay_poll(ha.ov);
	ck_assert_uint_eq(vid_of(out_port.m[0]), 0); /* untagged so far */
	sent_clear(&out_port);
	nd_engine = evs_crypto_engine_create();
	ck_assert_ptr_nonnull(nd_engine);
	sa_add(&ha, "h2", "out", 5000, KEY_A);
	ck_assert_int_eq(
	    txn1(&ha, "=underlay {\"name\": \"u1\", \"vlan\": 100, \"next_hop_mac\": null}", &err),
	    0);
	evs_overlay_poll(ha.ov);
	ck_assert_uint_eq(out_port.n, 1); /* a VLAN of its own: announced there */
	ck_assert_uint_eq(vid_of(out_port.m[0]), 100);
	arp_is(out_port.m[0], RTE_ARP_OP_REQUEST, &our_mac, ip_us, ip_us, &bcast);
	sent_clear(&out_port);
	ck_assert_uint_eq(send_to("h2", 2, m, &st), 0);
	evs_overlay_poll(ha.ov);
	ck_assert_uint_eq(out_port.n, 1);
	ck_assert_uint_eq(vid_of(out_port.m[0]), 100);
	arp_is(out_port.m[0], RTE_ARP_OP_REQUEST, &our_mac, ip_us, ip_h2, &bcast);
	sent_clear(&out_port);
	/* h2's reply untagged, then in VLAN 200: not ours */
	underlay_in(evs_l3_build_arp(crypto_test_pool, RTE_ARP_OP_REPLY, &h2_mac, ip_h2, &our_mac,
				     ip_us, &our_mac),
		    &st);
	underlay_in(tagged(evs_l3_build_arp(crypto_test_pool, RTE_ARP_OP_REPLY, &h2_mac, ip_h2,
					    &our_mac, ip_us, &our_mac),
			   200),
		    &st);
	ck_assert_uint_eq(st.neigh_in, 2);
	evs_overlay_poll(ha.ov);
	ck_assert_uint_eq(out_tunnel.n, 0);
	/* in VLAN 100: learned, the held frames go, tagged, ESP behind the tag */
	underlay_in(tagged(evs_l3_build_arp(crypto_test_pool, RTE_ARP_OP_REPLY, &h2_mac, ip_h2,
					    &our_mac, ip_us, &our_mac),
			   100),
		    &st);
	evs_overlay_poll(ha.ov);
	ck_assert_uint_eq(out_tunnel.n, 2);
	ck_assert_uint_eq(evs_overlay_tx_burst(ha.ov, evs_overlay_dp_get(ha.ov), nd_engine,
					       out_tunnel.to[0], out_tunnel.m, 2, NULL, NULL, NULL,
					       &st),
			  2);
	for (unsigned int i = 0; i < 2; i++) {
		const uint8_t *b = rte_pktmbuf_mtod(out_tunnel.m[i], const uint8_t *);

		ck_assert_mem_eq(b, &h2_mac, 6);
		ck_assert_uint_eq(vid_of(out_tunnel.m[i]), 100);
		ck_assert_uint_eq(b[16] << 8 | b[17], RTE_ETHER_TYPE_IPV4);
		ck_assert_uint_eq(b[18 + 9], IPPROTO_ESP);
		ck_assert_uint_eq(rte_raw_cksum(b + 18, 20), 0xffff);
	}
	sent_clear(&out_tunnel);
	/* h3 asks for us in VLAN 100: answered there; untagged: not */
	underlay_in(evs_l3_build_arp(crypto_test_pool, RTE_ARP_OP_REQUEST, &h3_mac, ip_h3, NULL,
				     ip_us, NULL),
		    &st);
	evs_overlay_poll(ha.ov);
	ck_assert_uint_eq(out_port.n, 0);
	underlay_in(tagged(evs_l3_build_arp(crypto_test_pool, RTE_ARP_OP_REQUEST, &h3_mac, ip_h3,
					    NULL, ip_us, NULL),
			   100),
		    &st);
	evs_overlay_poll(ha.ov);
	ck_assert_uint_eq(out_port.n, 1);
	ck_assert_uint_eq(vid_of(out_port.m[0]), 100);
	arp_is(out_port.m[0], RTE_ARP_OP_REPLY, &our_mac, ip_us, ip_h3, &h3_mac);
	evs_crypto_engine_free(nd_engine);
}
END_TEST

/*
 * Two underlays on one trunk port, VLAN 100 (u1, 10.9.0.1) and VLAN 200
 * (u7, 10.9.0.7): each resolves its VTEPs in its own VLAN from its own
 * address, and an answer in the other VLAN does not resolve them. A second
 * IPv4 underlay in the same VLAN of the port is refused.
 */
START_TEST(test_underlay_vlans_share_a_port)
{
	static const struct rte_ether_addr bcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
	static const uint8_t ip_u7[4] = {10, 9, 0, 7};
	const char *ops[] = {
	    "=underlay {\"name\": \"u1\", \"vlan\": 100, \"next_hop_mac\": null}",
	    "+underlay {\"name\": \"u7\", \"port\": \"p0\", \"address\": \"10.9.0.7\", \"vlan\": "
	    "200}",
	    "=vtep {\"name\": \"h3\", \"underlay\": \"u7\", \"address\": \"10.9.0.3\", \"encap\": "
	    "\"vxlan\"}",
	};
	struct evs_overlay_stats st = {0};
	struct rte_mbuf *m[8];
	struct evs_ctl_err err;

	ck_assert_int_eq(txn1(&ha,
			      "+underlay {\"name\": \"u9\", \"port\": \"p0\", \"address\": "
			      "\"10.9.0.9\"}",
			      &err),
			 -EEXIST);
	ck_assert_ptr_nonnull(strstr(err.path, "vlan"));
	ck_assert_msg(txn_on(&ha, ops, RTE_DIM(ops), &err) == 0, "%s at %s", err.message, err.path);
	nd_engine = evs_crypto_engine_create();
	ck_assert_ptr_nonnull(nd_engine);
	sa_add(&ha, "h2", "out", 5000, KEY_A);
	sa_add(&ha, "h3", "out", 5001, KEY_A);
	evs_overlay_poll(ha.ov);
	sent_clear(&out_port); /* the announcements */
	ck_assert_uint_eq(send_to("h2", 1, m, &st), 0);
	ck_assert_uint_eq(send_to("h3", 1, m, &st), 0);
	evs_overlay_poll(ha.ov);
	ck_assert_uint_eq(out_port.n, 2);
	for (unsigned int i = 0; i < 2; i++) {
		bool h3 = vid_of(out_port.m[i]) == 200;

		ck_assert_uint_eq(vid_of(out_port.m[i]), h3 ? 200 : 100);
		arp_is(out_port.m[i], RTE_ARP_OP_REQUEST, &our_mac, h3 ? ip_u7 : ip_us,
		       h3 ? ip_h3 : ip_h2, &bcast);
	}
	sent_clear(&out_port);
	/* h3 answers u1 (VLAN 100): not u7's neighbour */
	underlay_in(tagged(evs_l3_build_arp(crypto_test_pool, RTE_ARP_OP_REPLY, &h3_mac, ip_h3,
					    &our_mac, ip_us, &our_mac),
			   100),
		    &st);
	evs_overlay_poll(ha.ov);
	ck_assert_uint_eq(out_tunnel.n, 0);
	underlay_in(tagged(evs_l3_build_arp(crypto_test_pool, RTE_ARP_OP_REPLY, &h3_mac, ip_h3,
					    &our_mac, ip_u7, &our_mac),
			   200),
		    &st);
	evs_overlay_poll(ha.ov);
	ck_assert_uint_eq(out_tunnel.n, 1);
	ck_assert_int_eq(out_tunnel.to[0], tport_of(&ha, 7, "h3"));
	evs_crypto_engine_free(nd_engine);
}
END_TEST

/* Two hosts on a tagged underlay: encrypted frames from A decrypted and
 * delivered by B (the decap takes the tag). */
START_TEST(test_vlan_underlay_traffic)
{
	struct evs_ctl_err err;
	struct wire w;
	bool esp;

	wire_init(&w);
	ck_assert_int_eq(txn1(&ha, "=underlay {\"name\": \"u1\", \"vlan\": 100}", &err), 0);
	ck_assert_int_eq(txn1(&hb, "=underlay {\"name\": \"u1\", \"vlan\": 100}", &err), 0);
	ck_assert_uint_eq(send_ab(&w, 40, 3, false, &esp), 40);
	ck_assert(esp);
	ck_assert_uint_eq(w.sb.decrypted, 40);
	wire_fini(&w);
}
END_TEST

/* A host with only an IPv6 underlay (port p0) and a clear switch sw2 (VNI
 * 5002) to VTEP @p peer at @p peer_addr. */
static void v6_host(struct host *h, const char *local, const char *peer, const char *peer_addr)
{
	char ul[256], vt[256];
	const char *ops[] = {
	    "+port {\"name\": \"p0\"}",
	    "+switch {\"name\": \"sw2\"}",
	    ul,
	    vt,
	    "+tunnel {\"switch\": \"sw2\", \"vni\": 5002}",
	};
	struct evs_ctl_err err;

	snprintf(ul, sizeof(ul),
		 "+underlay {\"name\": \"u6\", \"port\": \"p0\", \"address\": \"%s\", "
		 "\"next_hop_mac\": \"02:00:00:00:00:fe\"}",
		 local);
	snprintf(vt, sizeof(vt),
		 "+vtep {\"name\": \"%s\", \"underlay\": \"u6\", \"address\": \"%s\"}", peer,
		 peer_addr);
	host_fini(h);
	host_init(h);
	ck_assert_msg(txn_on(h, ops, RTE_DIM(ops), &err) == 0, "%s at %s", err.message, err.path);
}

/* @p n frames from A to B over IPv6; @return how many B delivered (each
 * the frame A sent); *zero: every outer UDP checksum was zero. */
static uint16_t v6_send(uint16_t n, uint32_t seed, bool *zero, struct evs_overlay_stats *sa,
			struct evs_overlay_stats *sb)
{
	struct rte_mbuf *m[16], *copy[16];
	struct evs_tun_meta meta[16];
	uint16_t tp[16], k, got;
	int tpa = tport_of(&ha, 8, "h2");

	ck_assert_int_ge(tpa, 0);
	frames(m, copy, n, seed);
	k = evs_overlay_tx_burst(ha.ov, evs_overlay_dp_get(ha.ov), NULL, (uint16_t)tpa, m, n, NULL,
				 NULL, NULL, sa);
	ck_assert_uint_eq(k, n);
	*zero = true;
	for (uint16_t i = 0; i < k; i++) {
		const uint8_t *p = rte_pktmbuf_mtod(m[i], const uint8_t *);

		ck_assert_uint_eq(p[12] << 8 | p[13], RTE_ETHER_TYPE_IPV6);
		*zero &= (p[60] | p[61]) == 0; /* 14 + 40 + 6 */
	}
	got = evs_overlay_rx_burst(hb.ov, evs_overlay_dp_get(hb.ov), NULL, 3, m, k, tp, meta, sb);
	for (uint16_t i = 0; i < got; i++) {
		ck_assert(ct_same(m[i], copy[i]));
		ck_assert_uint_eq(meta[i].vni, 5002);
	}
	free_all(m, got);
	free_all(copy, n);
	return got;
}

/* RFC 6935/6936 on IPv6 underlays: checksums computed unless the VTEP
 * says udp_zero_csum6_tx; zero ones dropped as zero_csum6 unless the
 * underlay says udp_zero_csum6_rx; both refused where they mean nothing,
 * and IPv6 underlays that disagree (one decap) refused. */
START_TEST(test_underlay_zero_csum6)
{
	struct evs_overlay_stats sa = {0}, sb = {0};
	struct evs_ctl_err err;
	uint64_t gen;
	bool zero;

	/* refusals on host A's IPv4 objects, nothing changed */
	gen = evs_store_generation(ha.st);
	ck_assert_int_eq(
	    txn1(&ha, "=underlay {\"name\": \"u1\", \"udp_zero_csum6_rx\": true}", &err), -EINVAL);
	ck_assert_str_eq(err.path, "/op/udp_zero_csum6_rx");
	ck_assert_int_eq(txn1(&ha, "=vtep {\"name\": \"h2\", \"udp_zero_csum6_tx\": true}", &err),
			 -EINVAL);
	ck_assert_str_eq(err.path, "/op/udp_zero_csum6_tx");
	ck_assert_uint_eq(evs_store_generation(ha.st), gen);

	v6_host(&ha, "fd00:9::1", "h2", "fd00:9::2");
	v6_host(&hb, "fd00:9::2", "h1", "fd00:9::1");
	/* the default: computed, and verified */
	ck_assert_uint_eq(v6_send(8, 1, &zero, &sa, &sb), 8);
	ck_assert(!zero);
	/* A sends zero; B does not take it: counted apart from bad checksums */
	ck_assert_int_eq(txn1(&ha, "=vtep {\"name\": \"h2\", \"udp_zero_csum6_tx\": true}", &err),
			 0);
	ck_assert_uint_eq(v6_send(8, 2, &zero, &sa, &sb), 0);
	ck_assert(zero);
	ck_assert_uint_eq(sb.tun.drops[EVS_TUN_DROP_ZERO_CSUM6], 8);
	ck_assert_uint_eq(sb.tun.drops[EVS_TUN_DROP_BAD_CSUM], 0);
	ck_assert_uint_eq(sb.drops[EVS_OVL_DROP_TUNNEL], 8);
	/* B takes it */
	ck_assert_int_eq(
	    txn1(&hb, "=underlay {\"name\": \"u6\", \"udp_zero_csum6_rx\": true}", &err), 0);
	ck_assert_uint_eq(v6_send(8, 3, &zero, &sa, &sb), 8);
	ck_assert(zero);
	/* a second IPv6 underlay of B (VLAN 10) must agree */
	gen = evs_store_generation(hb.st);
	ck_assert_int_eq(txn1(&hb,
			      "+underlay {\"name\": \"u7\", \"port\": \"p0\", \"vlan\": 10, "
			      "\"address\": \"fd00:7::2\"}",
			      &err),
			 -EINVAL);
	ck_assert_str_eq(err.path, "/op/udp_zero_csum6_rx");
	ck_assert_ptr_nonnull(strstr(err.message, "u6"));
	ck_assert_uint_eq(evs_store_generation(hb.st), gen);
	ck_assert_int_eq(txn1(&hb,
			      "+underlay {\"name\": \"u7\", \"port\": \"p0\", \"vlan\": 10, "
			      "\"address\": \"fd00:7::2\", \"udp_zero_csum6_rx\": true}",
			      &err),
			 0);
	/* A computes them again: still taken */
	ck_assert_int_eq(txn1(&ha, "=vtep {\"name\": \"h2\", \"udp_zero_csum6_tx\": false}", &err),
			 0);
	ck_assert_uint_eq(v6_send(4, 4, &zero, &sa, &sb), 4);
	ck_assert(!zero);
}
END_TEST

/* @p n frames from A to B over IPv6 in ESP in UDP; @return how many B
 * delivered (each the frame A sent); *zero: every outer UDP checksum was
 * zero, else each one verified. */
static uint16_t esp6_send(struct wire *w, uint16_t n, uint32_t seed, bool *zero)
{
	struct rte_mbuf *m[16], *copy[16];
	struct evs_tun_meta meta[16];
	uint16_t tp[16], k, got;
	int tpa = tport_of(&ha, 8, "h2");
	unsigned int nz = 0;

	ck_assert_int_ge(tpa, 0);
	frames(m, copy, n, seed);
	k = evs_overlay_tx_burst(ha.ov, evs_overlay_dp_get(ha.ov), w->ea, (uint16_t)tpa, m, n, NULL,
				 NULL, NULL, &w->sa);
	ck_assert_uint_eq(k, n);
	for (uint16_t i = 0; i < k; i++) {
		uint8_t *p = rte_pktmbuf_mtod(m[i], uint8_t *);
		struct rte_udp_hdr *u = (struct rte_udp_hdr *)(p + 14 + 40);
		uint16_t sent = u->dgram_cksum;

		ck_assert_uint_eq(p[12] << 8 | p[13], RTE_ETHER_TYPE_IPV6);
		ck_assert_uint_eq(p[14 + 6], IPPROTO_UDP);
		ck_assert_uint_eq(rte_be_to_cpu_16(u->dst_port), 4500);
		if (sent != 0) {
			u->dgram_cksum = 0;
			ck_assert_uint_eq(
			    sent, rte_ipv6_udptcp_cksum((const struct rte_ipv6_hdr *)(p + 14), u));
			u->dgram_cksum = sent;
			nz++;
		}
	}
	ck_assert_msg(nz == 0 || nz == k, "%u of %u checksums zero", k - nz, k);
	*zero = nz == 0;
	got = evs_overlay_rx_burst(hb.ov, evs_overlay_dp_get(hb.ov), w->eb, 3, m, k, tp, meta,
				   &w->sb);
	for (uint16_t i = 0; i < got; i++)
		ck_assert(ct_same(m[i], copy[i]));
	free_all(m, got);
	free_all(copy, n);
	return got;
}

/* ESP in UDP over IPv6 honours the VTEP's udp_zero_csum6_tx as the
 * tunnel's own UDP does (RFC 6935/6936): computed by default, zero once
 * the VTEP says so, kept by a new outbound SA, computed again as soon as
 * the VTEP says no more; the peer decrypts all of them. */
START_TEST(test_esp_in_udp_zero_csum6)
{
	const char *sa = "\"key\": \"" KEY_A "\", \"salt\": \"0a0b0c0d\", \"udp_encap\": true";
	struct evs_ctl_err err;
	struct wire w = {0};
	char op[256];
	bool zero;

	w.ea = evs_crypto_engine_create();
	w.eb = evs_crypto_engine_create();
	ck_assert_ptr_nonnull(w.ea);
	ck_assert_ptr_nonnull(w.eb);
	v6_host(&ha, "fd00:9::1", "h2", "fd00:9::2");
	v6_host(&hb, "fd00:9::2", "h1", "fd00:9::1");
	ck_assert_int_eq(txn1(&ha, "=vtep {\"name\": \"h2\", \"encrypt\": true}", &err), 0);
	/* the GENEVE inside goes zero too: B takes that */
	ck_assert_int_eq(
	    txn1(&hb, "=underlay {\"name\": \"u6\", \"udp_zero_csum6_rx\": true}", &err), 0);
	snprintf(op, sizeof(op), "+sa {\"vtep\": \"h2\", \"dir\": \"out\", \"spi\": 5000, %s}", sa);
	ck_assert_int_eq(txn1(&ha, op, &err), 0);
	snprintf(op, sizeof(op), "+sa {\"vtep\": \"h1\", \"dir\": \"in\", \"spi\": 5000, %s}", sa);
	ck_assert_int_eq(txn1(&hb, op, &err), 0);
	ck_assert_uint_eq(esp6_send(&w, 8, 1, &zero), 8);
	ck_assert(!zero);
	ck_assert_int_eq(txn1(&ha, "=vtep {\"name\": \"h2\", \"udp_zero_csum6_tx\": true}", &err),
			 0);
	ck_assert_uint_eq(esp6_send(&w, 8, 2, &zero), 8);
	ck_assert(zero);
	/* a new outbound SA takes the VTEP's word */
	snprintf(op, sizeof(op), "=sa {\"vtep\": \"h2\", \"dir\": \"out\", \"spi\": 5001, %s}", sa);
	ck_assert_int_eq(txn1(&ha, op, &err), 0);
	snprintf(op, sizeof(op), "=sa {\"vtep\": \"h1\", \"dir\": \"in\", \"spi\": 5001, %s}", sa);
	ck_assert_int_eq(txn1(&hb, op, &err), 0);
	ck_assert_uint_eq(esp6_send(&w, 8, 3, &zero), 8);
	ck_assert(zero);
	ck_assert_int_eq(txn1(&ha, "=vtep {\"name\": \"h2\", \"udp_zero_csum6_tx\": false}", &err),
			 0);
	ck_assert_uint_eq(esp6_send(&w, 8, 4, &zero), 8);
	ck_assert(!zero);
	ck_assert_uint_eq(w.sb.decrypted, 32);
	wire_fini(&w);
}
END_TEST

void overlay_underlay_add_cases(Suite *s)
{
	const struct unit_case cases[] = {
	    {"underlay_arp", test_underlay_arp},
	    {"underlay_arp_unanswered", test_underlay_arp_unanswered},
	    {"underlay_nd", test_underlay_nd},
	    {"underlay_announce", test_underlay_announce},
	    {"underlay_vlan", test_underlay_vlan},
	    {"underlay_vlans_share_a_port", test_underlay_vlans_share_a_port},
	    {"vlan_underlay_traffic", test_vlan_underlay_traffic},
	    {"underlay_zero_csum6", test_underlay_zero_csum6},
	    {"esp_in_udp_zero_csum6", test_esp_in_udp_zero_csum6},
	};

	unit_add_cases(s, cases, RTE_DIM(cases), setup, teardown, 0);
}
