/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/overlay between two hosts' datapaths: encrypted and clear traffic,
 * receive-side refusals (unknown VTEP or SPI, not for us, wrong peer), too
 * big for the tunnel (ICMP, rate limit), static remote MACs, encryption per
 * port and per tag (underlay ARP/ND: test_overlay_underlay.c). Part of the overlay suite (main in
 * test_overlay.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <netinet/in.h>
#include <rte_arp.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "crypto_test.h"
#include "evs_l3.h"
#include "evs_overlay.h"
#include "evs_store.h"
#include "unit_case.h"
#include "unit_eal.h"
#include "unit_store.h"
#include "overlay_test.h"

START_TEST(test_encrypted_traffic_between_hosts)
{
	struct wire w;
	bool esp;

	wire_init(&w);
	ck_assert_uint_eq(send_ab(&w, 32, 1, false, &esp), 32);
	ck_assert(esp); /* the switch is encrypted: only ESP on the wire */
	ck_assert_uint_eq(w.sa.encrypted, 32);
	ck_assert_uint_eq(w.sb.decrypted, 32);
	ck_assert_uint_eq(w.sb.rx_packets, 32);
	/* a long burst: the receive side works in chunks */
	ck_assert_uint_eq(send_ab(&w, 150, 9, false, &esp), 150);
	ck_assert(esp);
	/* one flipped bit: that packet is an auth failure, the rest go through */
	ck_assert_uint_eq(send_ab(&w, 32, 2, true, &esp), 31);
	ck_assert_uint_eq(w.sb.drops[EVS_OVL_DROP_DECRYPT], 1);
	ck_assert_uint_eq(w.sb.rx_packets, 32 + 150 + 31);
	{
		json_t *st = evs_overlay_sa_stats(hb.ov, "h1");

		ck_assert_int_eq(json_integer_value(json_object_get(
				     json_object_get(json_object_get(st, "in"), "drops"), "auth")),
				 1);
		json_decref(st);
	}
	wire_fini(&w);
}
END_TEST

/* A's switch and its VTEP h2 no longer ask for encryption: A sends clear. */
static void a_stops_encrypting(void)
{
	struct evs_ctl_err err;

	ck_assert_int_eq(
	    txn1(&ha, "=tunnel {\"switch\": \"sw\", \"vni\": 5001, \"encrypt\": false}", &err), 0);
	ck_assert_int_eq(txn1(&ha,
			      "=vtep {\"name\": \"h2\", \"underlay\": \"u1\", \"address\": "
			      "\"10.9.0.2\", \"encrypt\": false}",
			      &err),
			 0);
}

START_TEST(test_clear_traffic_policy)
{
	struct evs_ctl_err err;
	struct wire w;
	bool esp;

	wire_init(&w);
	/* A stops encrypting (switch and VTEP policy off): B still requires it */
	a_stops_encrypting();
	ck_assert_uint_eq(send_ab(&w, 16, 3, false, &esp), 0);
	ck_assert(!esp);
	ck_assert_uint_eq(w.sb.drops[EVS_OVL_DROP_CLEAR_REFUSED], 16);
	/* B lets the switch go clear: delivered */
	ck_assert_int_eq(
	    txn1(&hb, "=tunnel {\"switch\": \"sw\", \"vni\": 5001, \"encrypt\": false}", &err), 0);
	ck_assert_uint_eq(send_ab(&w, 16, 4, false, &esp), 16);
	/* A's VTEP requires encryption but has no outbound SA: dropped, never clear */
	ck_assert_int_eq(txn1(&ha, "-sa {\"vtep\": \"h2\", \"dir\": \"out\"}", &err), 0);
	ck_assert_int_eq(txn1(&ha,
			      "=vtep {\"name\": \"h2\", \"underlay\": \"u1\", \"address\": "
			      "\"10.9.0.2\", \"encrypt\": true}",
			      &err),
			 0);
	ck_assert_uint_eq(send_ab(&w, 8, 5, false, &esp), 0);
	ck_assert_uint_eq(w.sa.drops[EVS_OVL_DROP_NO_SA], 8);
	ck_assert_uint_eq(w.sa.tx_packets, 32); /* the refused 16 left A */
	wire_fini(&w);
}
END_TEST

START_TEST(test_rx_unknown_vtep_and_spi)
{
	struct evs_ctl_err err;
	struct wire w;
	bool esp;

	wire_init(&w);
	/* B replaced its inbound SA and the old one retired: A's SPI is unknown */
	ck_assert_int_eq(rekey(&hb, "h1", 5009, 0, KEY_B, &err), 0);
	clock_ms += 1000;
	evs_overlay_poll(hb.ov);
	ck_assert_uint_eq(send_ab(&w, 8, 6, false, &esp), 0);
	ck_assert_uint_eq(w.sb.drops[EVS_OVL_DROP_UNKNOWN_SPI], 8);
	/* clear traffic from an address that is no VTEP of B's */
	ck_assert_int_eq(
	    txn1(&hb, "=tunnel {\"switch\": \"sw\", \"vni\": 5001, \"encrypt\": false}", &err), 0);
	a_stops_encrypting();
	ck_assert_int_eq(
	    txn1(&hb,
		 "=underlay {\"name\": \"u1\", \"port\": \"p0\", \"address\": "
		 "\"10.9.0.2\", \"next_hop_mac\": \"02:00:00:00:00:fe\", \"mtu\": 1500}",
		 &err),
	    0);
	ck_assert_int_eq(
	    txn1(&hb,
		 "=tunnel {\"switch\": \"sw\", \"vni\": 5001, \"vteps\": [{\"vtep\": \"h3\"}]}",
		 &err),
	    0);
	ck_assert_uint_eq(send_ab(&w, 8, 7, false, &esp), 0);
	ck_assert_uint_eq(w.sb.drops[EVS_OVL_DROP_NOT_MEMBER], 8);
	ck_assert_int_eq(txn1(&hb, "-sa {\"vtep\": \"h1\", \"dir\": \"in\"}", &err), 0);
	ck_assert_int_eq(
	    txn1(&hb,
		 "=tunnel {\"switch\": \"sw\", \"vni\": 5001, \"vteps\": [{\"vtep\": \"h3\"}]}",
		 &err),
	    0);
	ck_assert_int_eq(txn1(&hb, "-vtep {\"name\": \"h1\"}", &err), 0);
	ck_assert_uint_eq(send_ab(&w, 8, 8, false, &esp), 0);
	ck_assert_uint_eq(w.sb.drops[EVS_OVL_DROP_UNKNOWN_VTEP], 8);
	wire_fini(&w);
}
END_TEST

START_TEST(test_rx_not_for_us_and_peer_mac)
{
	struct evs_ctl_err err;
	struct rte_mbuf *m[1], *copy[1];
	struct wire w;
	bool esp;
	int tp;

	wire_init(&w);
	/* a peer on the underlay's segment is its own next hop */
	ck_assert_int_eq(
	    txn1(&ha, "=vtep {\"name\": \"h2\", \"next_hop_mac\": \"02:00:00:00:22:22\"}", &err),
	    0);
	tp = tport_of(&ha, 7, "h2");
	frames(m, copy, 1, 10);
	ck_assert_uint_eq(evs_overlay_tx_burst(ha.ov, evs_overlay_dp_get(ha.ov), w.ea, (uint16_t)tp,
					       m, 1, NULL, NULL, NULL, &w.sa),
			  1);
	ck_assert_uint_eq(rte_pktmbuf_mtod(m[0], const uint8_t *)[4], 0x22);
	ck_assert_uint_eq(rte_pktmbuf_mtod(m[0], const uint8_t *)[5], 0x22);
	free_all(m, 1);
	free_all(copy, 1);
	/* B moved to another address: what is sent to the old one is not B's */
	ck_assert_int_eq(txn1(&hb, "=underlay {\"name\": \"u1\", \"address\": \"10.9.0.9\"}", &err),
			 0);
	ck_assert_uint_eq(send_ab(&w, 8, 11, false, &esp), 0);
	ck_assert_uint_eq(w.sb.drops[EVS_OVL_DROP_NOT_FOR_US], 8);
	ck_assert_str_eq(evs_overlay_drop_name(EVS_OVL_DROP_NOT_FOR_US), "not_for_us");
	wire_fini(&w);
}
END_TEST

/* ESP under h1's SA arriving from h3's address or from no VTEP's (every
 * other packet of one burst, with a flipped ICV bit): not from the SA's
 * peer, dropped and counted before the cipher runs (never an auth drop);
 * the others delivered in order. */
START_TEST(test_rx_wrong_peer)
{
	struct rte_mbuf *m[8], *copy[8];
	struct evs_tun_meta meta[8];
	uint16_t tp[8], got;
	struct wire w;
	bool esp;
	int tpa;

	wire_init(&w);
	tpa = tport_of(&ha, 7, "h2");
	frames(m, copy, 8, 12);
	ck_assert_uint_eq(evs_overlay_tx_burst(ha.ov, evs_overlay_dp_get(ha.ov), w.ea,
					       (uint16_t)tpa, m, 8, NULL, NULL, NULL, &w.sa),
			  8);
	for (unsigned int i = 1; i < 8; i += 2) {
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m[i], struct rte_ipv4_hdr *, 14);

		ck_assert_uint_eq(ip->next_proto_id, IPPROTO_ESP);
		/* h3, also a VTEP of B's; then an address of nobody's */
		ip->src_addr = i < 4 ? RTE_BE32(0x0a090003) : RTE_BE32(0x0a090063);
		rte_pktmbuf_mtod(m[i], uint8_t *)[m[i]->pkt_len - 1] ^= 1;
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
	got =
	    evs_overlay_rx_burst(hb.ov, evs_overlay_dp_get(hb.ov), w.eb, 0, m, 8, tp, meta, &w.sb);
	ck_assert_uint_eq(got, 4);
	ck_assert_uint_eq(w.sb.decrypted, 4);
	ck_assert_uint_eq(w.sb.drops[EVS_OVL_DROP_DECRYPT], 0);
	ck_assert_uint_eq(w.sb.drops[EVS_OVL_DROP_WRONG_PEER], 2);
	ck_assert_uint_eq(w.sb.drops[EVS_OVL_DROP_UNKNOWN_VTEP], 2);
	ck_assert_uint_eq(w.sb.rx_packets, 4);
	for (unsigned int i = 0; i < got; i++)
		ck_assert(ct_same(m[i], copy[2 * i]));
	ck_assert_str_eq(evs_overlay_drop_name(EVS_OVL_DROP_WRONG_PEER), "wrong_peer");
	free_all(m, got);
	free_all(copy, 8);
	/* from the right address the same SA goes on working */
	ck_assert_uint_eq(send_ab(&w, 8, 13, false, &esp), 8);
	ck_assert(esp);
	wire_fini(&w);
}
END_TEST

/* Frame @p m's IP packet starts 14 bytes in; IPv4: set DF when @p df. */
static void set_df(struct rte_mbuf *m, bool df)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14);

	ip->fragment_offset = df ? RTE_BE16(RTE_IPV4_HDR_DF_FLAG) : 0;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
}

/* The answer to a frame too big for the encrypted tunnel: in the frame's
 * own mbuf, back to its sender from its destination, the tunnel's inner
 * MTU (underlay 1500 less outer IPv4/UDP/GENEVE, inner Ethernet and ESP's
 * most), the original quoted, checksums right. No DF: just dropped. */
START_TEST(test_tx_too_big_icmp)
{
	struct rte_mbuf *m[4], *orig[4], *errs[4];
	const uint32_t mtu = 1500 - 20 - 8 - 8 - 14 - 45;
	struct wire w;
	uint16_t n_errs, k;
	int tpa;

	wire_init(&w);
	tpa = tport_of(&ha, 7, "h2");
	m[0] = ct_build_udp(4, 14, 1300, 1); /* fits */
	m[1] = ct_build_udp(4, 14, 1472, 2); /* 1500-byte IPv4, DF */
	m[2] = ct_build_udp(6, 14, 1452, 3); /* 1500-byte IPv6 */
	m[3] = ct_build_udp(4, 14, 1472, 4); /* 1500-byte IPv4 without DF */
	set_df(m[1], true);
	set_df(m[3], false);
	for (unsigned int i = 0; i < 4; i++)
		orig[i] = ct_clone(m[i]);
	k = evs_overlay_tx_burst(ha.ov, evs_overlay_dp_get(ha.ov), w.ea, (uint16_t)tpa, m, 4, NULL,
				 errs, &n_errs, &w.sa);
	ck_assert_uint_eq(k, 1);
	ck_assert_uint_eq(n_errs, 2);
	ck_assert_uint_eq(w.sa.too_big_icmp, 2);
	ck_assert_uint_eq(w.sa.drops[EVS_OVL_DROP_TUNNEL], 1);
	ck_assert_uint_eq(w.sa.tun.drops[EVS_TUN_DROP_TOO_BIG], 3);
	{ /* IPv4: fragmentation needed, next-hop MTU, 576 bytes in all */
		const uint8_t *e = rte_pktmbuf_mtod(errs[0], const uint8_t *),
			      *o = rte_pktmbuf_mtod(orig[1], const uint8_t *);
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(e + 14);
		const uint8_t *ic = e + 34;

		ck_assert_uint_eq(errs[0]->pkt_len, 14 + 576);
		ck_assert_mem_eq(e, o + 6, 6); /* to the sender's MAC */
		ck_assert_mem_eq(e + 6, o, 6); /* from the destination's */
		ck_assert_mem_eq(&ip->src_addr, o + 14 + 16, 4);
		ck_assert_mem_eq(&ip->dst_addr, o + 14 + 12, 4);
		ck_assert_uint_eq(rte_ipv4_cksum(ip), 0);
		ck_assert_uint_eq(ip->next_proto_id, IPPROTO_ICMP);
		ck_assert_uint_eq(ic[0], 3);
		ck_assert_uint_eq(ic[1], 4);
		ck_assert_uint_eq((ic[6] << 8) | ic[7], mtu);
		ck_assert_uint_eq(rte_raw_cksum(ic, 576 - 20), 0xffff);
		ck_assert_mem_eq(ic + 8, o + 14, 576 - 28); /* the original's start */
	}
	{ /* IPv6: packet too big, 1280 bytes in all */
		const uint8_t *e = rte_pktmbuf_mtod(errs[1], const uint8_t *),
			      *o = rte_pktmbuf_mtod(orig[2], const uint8_t *);
		const struct rte_ipv6_hdr *ip = (const struct rte_ipv6_hdr *)(e + 14);
		const uint8_t *ic = e + 54;

		ck_assert_uint_eq(errs[1]->pkt_len, 14 + 1280);
		ck_assert_mem_eq(e, o + 6, 6);
		ck_assert_mem_eq(ip->src_addr, o + 14 + 24, 16);
		ck_assert_mem_eq(ip->dst_addr, o + 14 + 8, 16);
		ck_assert_uint_eq(ip->proto, IPPROTO_ICMPV6);
		ck_assert_uint_eq(ic[0], 2);
		ck_assert_uint_eq(((uint32_t)ic[6] << 8) | ic[7], mtu);
		{ /* the checksum recomputed over a copy with the field zeroed */
			struct rte_mbuf *c = ct_clone(errs[1]);
			uint8_t *cc = rte_pktmbuf_mtod(c, uint8_t *);

			memset(cc + 54 + 2, 0, 2);
			ck_assert_uint_eq(
			    rte_ipv6_udptcp_cksum((const struct rte_ipv6_hdr *)(cc + 14), cc + 54),
			    ((uint16_t)ic[3] << 8 | ic[2]));
			rte_pktmbuf_free(c);
		}
		ck_assert_mem_eq(ic + 8, o + 14, 1280 - 48);
	}
	free_all(m, k);
	free_all(errs, n_errs);
	free_all(orig, 4);
	wire_fini(&w);
}
END_TEST

/* Static MAC @p i of @p dp (or stale): its switch, tunnel port and last byte. */
static void dp_mac_is(const struct evs_overlay_dp *dp, uint32_t i, bool stale, uint16_t sw, int tp,
		      uint8_t last)
{
	struct rte_ether_addr mac;
	uint16_t s, t;

	ck_assert_int_eq(evs_overlay_dp_mac(dp, i, stale, &s, &t, &mac), 0);
	ck_assert_uint_eq(s, sw);
	ck_assert_int_eq(t, tp);
	ck_assert_uint_eq(mac.addr_bytes[5], last);
}

/* Tunnel members' static remote MACs: listed with their tunnel port, the
 * ones a change drops listed as stale in the next table; multicast and
 * twice-given MACs refused at their path, publishing nothing. */
START_TEST(test_static_remote_macs)
{
	const struct evs_overlay_dp *dp;
	struct rte_ether_addr mac;
	struct evs_ctl_err err;
	uint16_t sw, tp;

	ck_assert_int_eq(evs_overlay_dp_mac(evs_overlay_dp_get(ha.ov), 0, false, &sw, &tp, &mac),
			 -ENOENT);
	ck_assert_int_eq(txn1(&ha, "+switch {\"name\": \"sw2\"}", &err), 0);
	ck_assert_int_eq(txn1(&ha,
			      "+tunnel {\"switch\": \"sw2\", \"vni\": 77, \"vteps\": ["
			      "{\"vtep\": \"h2\", \"macs\": [\"02:00:00:00:77:01\", "
			      "\"02:00:00:00:77:02\"]}, "
			      "{\"vtep\": \"h3\", \"macs\": [\"02:00:00:00:77:03\"]}]}",
			      &err),
			 0);
	dp = evs_overlay_dp_get(ha.ov);
	dp_mac_is(dp, 0, false, 8, tport_of(&ha, 8, "h2"), 1);
	dp_mac_is(dp, 1, false, 8, tport_of(&ha, 8, "h2"), 2);
	dp_mac_is(dp, 2, false, 8, tport_of(&ha, 8, "h3"), 3);
	ck_assert_int_eq(evs_overlay_dp_mac(dp, 3, false, &sw, &tp, &mac), -ENOENT);
	ck_assert_int_eq(evs_overlay_dp_mac(dp, 0, true, &sw, &tp, &mac), -ENOENT);
	/* a multicast MAC, a MAC twice in the switch: refused where they are */
	ck_assert_int_eq(txn1(&ha,
			      "=tunnel {\"switch\": \"sw2\", \"vni\": 77, \"vteps\": ["
			      "{\"vtep\": \"h2\", \"macs\": [\"01:00:5e:00:00:01\"]}]}",
			      &err),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.path, "/vteps/0/macs/0"));
	ck_assert_int_eq(txn1(&ha,
			      "=tunnel {\"switch\": \"sw2\", \"vni\": 77, \"vteps\": ["
			      "{\"vtep\": \"h2\", \"macs\": [\"02:00:00:00:77:01\"]}, "
			      "{\"vtep\": \"h3\", \"macs\": [\"02:00:00:00:77:01\"]}]}",
			      &err),
			 -EEXIST);
	ck_assert_ptr_nonnull(strstr(err.path, "/vteps/1/macs/0"));
	ck_assert_ptr_eq(evs_overlay_dp_get(ha.ov), dp);
	/* h2 keeps one, h3's goes: the next table lists the two dropped */
	ck_assert_int_eq(txn1(&ha,
			      "=tunnel {\"switch\": \"sw2\", \"vni\": 77, \"vteps\": ["
			      "{\"vtep\": \"h2\", \"macs\": [\"02:00:00:00:77:02\"]}, "
			      "{\"vtep\": \"h3\"}]}",
			      &err),
			 0);
	dp = evs_overlay_dp_get(ha.ov);
	dp_mac_is(dp, 0, false, 8, tport_of(&ha, 8, "h2"), 2);
	ck_assert_int_eq(evs_overlay_dp_mac(dp, 1, false, &sw, &tp, &mac), -ENOENT);
	dp_mac_is(dp, 0, true, 8, tport_of(&ha, 8, "h2"), 1);
	dp_mac_is(dp, 1, true, 8, tport_of(&ha, 8, "h3"), 3);
	ck_assert_int_eq(evs_overlay_dp_mac(dp, 2, true, &sw, &tp, &mac), -ENOENT);
}
END_TEST

/* @p n IPv4 DF frames too big for tunnel port @p tp of host A: @return
 * how many ICMP errors came back (freed). */
static uint16_t too_big_burst(struct wire *w, int tp, uint16_t n)
{
	struct rte_mbuf *m[32], *errs[32];
	uint16_t n_errs = 0, k;

	for (uint16_t i = 0; i < n; i++) {
		m[i] = ct_build_udp(4, 14, 1472, i);
		set_df(m[i], true);
	}
	k = evs_overlay_tx_burst(ha.ov, evs_overlay_dp_get(ha.ov), w->ea, (uint16_t)tp, m, n, NULL,
				 errs, &n_errs, &w->sa);
	ck_assert_uint_eq(k, 0);
	free_all(errs, n_errs);
	return n_errs;
}

/* Too-big ICMP errors are metered per tunnel port (default 100 per second,
 * bursts of 10): the rest of a flood is dropped and counted as limited;
 * another port has its own allowance; time refills it. */
START_TEST(test_tx_too_big_rate_limited)
{
	struct wire w;
	int t2, t3;

	wire_init(&w);
	t2 = tport_of(&ha, 7, "h2");
	t3 = tport_of(&ha, 7, "h3");
	ck_assert_int_ge(t3, 0);
	clock_ms += 1000; /* whatever earlier cases spent is back */
	ck_assert_uint_eq(too_big_burst(&w, t2, 16), EVS_OVERLAY_ICMP_BURST);
	ck_assert_uint_eq(w.sa.too_big_limited, 16 - EVS_OVERLAY_ICMP_BURST);
	ck_assert_uint_eq(w.sa.drops[EVS_OVL_DROP_TUNNEL], 16 - EVS_OVERLAY_ICMP_BURST);
	ck_assert_uint_eq(too_big_burst(&w, t2, 4), 0);
	ck_assert_uint_eq(too_big_burst(&w, t3, 4), 4); /* per port */
	clock_ms += 1000 / EVS_OVERLAY_ICMP_RATE;	/* one interval: one more */
	ck_assert_uint_eq(too_big_burst(&w, t2, 4), 1);
	clock_ms += 1000;
	ck_assert_uint_eq(too_big_burst(&w, t2, 16), EVS_OVERLAY_ICMP_BURST);
	ck_assert_uint_eq(w.sa.too_big_icmp, 2 * EVS_OVERLAY_ICMP_BURST + 4 + 1);
	ck_assert_uint_eq(w.sa.too_big_limited, 6 + 4 + 3 + 6);
	wire_fini(&w);
}
END_TEST

static int64_t in_packets(struct host *h, const char *vtep)
{
	json_t *st = evs_overlay_sa_stats(h->ov, vtep);
	int64_t n = json_integer_value(json_object_get(json_object_get(st, "in"), "packets"));

	json_decref(st);
	return n;
}

/* The decision of the last step of a trace. */
static const char *last_step(const json_t *steps)
{
	return json_string_value(
	    json_object_get(json_array_get(steps, json_array_size(steps) - 1), "decision"));
}

/* @p n frames (seed @p seed) sent by A to h2 into @p m: on the wire. */
static void a_sends(struct wire *w, struct rte_mbuf **m, uint16_t n, uint32_t seed)
{
	struct rte_mbuf *copy[4];

	frames(m, copy, n, seed);
	free_all(copy, n);
	ck_assert_uint_eq(evs_overlay_tx_burst(ha.ov, evs_overlay_dp_get(ha.ov), w->ea,
					       (uint16_t)tport_of(&ha, 7, "h2"), m, n, NULL, NULL,
					       NULL, &w->sa),
			  n);
}

/* B's datapath on @p n frames: @return how many it delivered. */
static uint16_t b_receives(struct wire *w, struct rte_mbuf **m, uint16_t n)
{
	struct evs_tun_meta meta[4];
	uint16_t tp[4];

	return evs_overlay_rx_burst(hb.ov, evs_overlay_dp_get(hb.ov), w->eb, 0, m, n, tp, meta,
				    &w->sb);
}

/* B traces @p m (consumed) from its underlay port: @p want, the last step
 * containing @p says. */
static void b_traces(struct rte_mbuf *m, int want, const char *says)
{
	struct evs_tun_meta meta;
	json_t *steps = json_array();
	uint16_t tp;

	ck_assert_int_eq(evs_overlay_trace_rx(hb.ov, 3, m, &tp, &meta, steps), want);
	ck_assert_msg(strstr(last_step(steps), says) != NULL, "last step: %s", last_step(steps));
	json_decref(steps);
	rte_pktmbuf_free(m);
}

/*
 * flow.trace from the underlay (evs_overlay_trace_rx): an ESP frame from A
 * is decrypted and decapsulated step by step to B's tunnel port, with the
 * same inner frame and metadata as the datapath, and nothing counted or
 * accepted: the SA's counters stay, and the same packet is then delivered
 * by the datapath (not a replay). A flipped bit is an auth drop, a replay
 * a replay, an unknown SPI, a clear frame where ESP is required and ARP are
 * said so.
 */
START_TEST(test_trace_rx)
{
	static const struct rte_ether_addr mac = {{0x02, 0, 0, 0, 0, 0x22}};
	static const uint8_t ip1[4] = {10, 9, 0, 1}, ip2[4] = {10, 9, 0, 2};
	struct rte_mbuf *m[2], *copy[2], *t;
	struct evs_tun_meta meta;
	uint16_t ttp = UINT16_MAX;
	struct wire w;
	json_t *steps;

	wire_init(&w);
	frames(m, copy, 2, 21);
	ck_assert_uint_eq(evs_overlay_tx_burst(ha.ov, evs_overlay_dp_get(ha.ov), w.ea,
					       (uint16_t)tport_of(&ha, 7, "h2"), m, 2, NULL, NULL,
					       NULL, &w.sa),
			  2);
	/* the trace runs on a copy; the original goes through the datapath after */
	t = ct_clone(m[0]);
	steps = json_array();
	ck_assert_int_eq(evs_overlay_trace_rx(hb.ov, 3, t, &ttp, &meta, steps), 0);
	ck_assert_int_eq(ttp, tport_of(&hb, 7, "h1"));
	ck_assert_uint_eq(meta.vni, 5001);
	ck_assert(ct_same(t, copy[0])); /* the inner frame as sent */
	ck_assert_uint_eq(json_array_size(steps), 3);
	ck_assert_ptr_nonnull(
	    strstr(json_string_value(json_object_get(json_array_get(steps, 0), "decision")),
		   "esp spi 0x00001388 of vtep h1, seq 1: ICV good"));
	ck_assert_ptr_nonnull(
	    strstr(json_string_value(json_object_get(json_array_get(steps, 1), "decision")),
		   "geneve vni 5001 from 10.9.0.1 to 10.9.0.2"));
	ck_assert_ptr_nonnull(strstr(last_step(steps), "vtep h1 geneve vni 5001"));
	json_decref(steps);
	rte_pktmbuf_free(t);
	ck_assert_int_eq(in_packets(&hb, "h1"), 0); /* nothing counted */
	ck_assert_uint_eq(b_receives(&w, m, 2), 2); /* the window did not move: not a replay */
	ck_assert_int_eq(in_packets(&hb, "h1"), 2);
	free_all(m, 2);
	free_all(copy, 2);
	/* a flipped bit (then the packet itself delivered) */
	a_sends(&w, m, 1, 22);
	t = ct_clone(m[0]);
	rte_pktmbuf_mtod(t, uint8_t *)[t->data_len - 20] ^= 0x10;
	b_traces(t, -EBADMSG, "drop: decrypt (spi 0x00001388 seq 3: auth)");
	ck_assert_uint_eq(b_receives(&w, m, 1), 1);
	rte_pktmbuf_free(m[0]);
	/* A's next packet replayed after delivery; with another SPI: unknown */
	a_sends(&w, m, 1, 23);
	t = ct_clone(m[0]);
	ck_assert_uint_eq(b_receives(&w, m, 1), 1);
	rte_pktmbuf_free(m[0]);
	m[0] = ct_clone(t);
	b_traces(t, -EBADMSG, "seq 4: replay");
	rte_pktmbuf_mtod(m[0], uint8_t *)[14 + 20] ^= 0xff; /* the SPI's first byte */
	b_traces(m[0], -EBADMSG, "drop: unknown_spi");
	/* clear GENEVE where the switch requires ESP */
	a_stops_encrypting();
	a_sends(&w, m, 1, 24);
	b_traces(m[0], -EBADMSG, "drop: clear_refused (clear tunnel frame)");
	/* ARP on the underlay; a port that is no underlay */
	t = evs_l3_build_arp(crypto_test_pool, RTE_ARP_OP_REQUEST, &mac, ip1, NULL, ip2, NULL);
	steps = json_array();
	ck_assert_int_eq(evs_overlay_trace_rx(hb.ov, 5, t, &ttp, &meta, steps), -ENOENT);
	json_decref(steps);
	b_traces(t, 1, "ARP/ND");
	wire_fini(&w);
}
END_TEST

/* The app's transaction-wide hooks: port and tag policies follow ports and
 * fw.port objects. */
static int pol_prepare(struct evs_store *st, struct evs_ctl_err *err, void *ctx)
{
	(void)st;
	return evs_overlay_policy_restage(ctx, err);
}

static void pol_commit(struct evs_store *st, void *ctx)
{
	(void)st;
	evs_overlay_policy_commit(ctx);
}

static void pol_abort(struct evs_store *st, void *ctx)
{
	(void)st;
	evs_overlay_policy_abort(ctx);
}

static const struct evs_store_txn_hooks pol_hooks = {pol_prepare, pol_commit, pol_abort};

/* Both hosts: switch and VTEPs clear, ports vm1 (slot 5) and vm2 (6). */
static void policy_base(struct host *h, const char *peer)
{
	char vt[256];
	const char *ops[] = {"=tunnel {\"switch\": \"sw\", \"vni\": 5001, \"encrypt\": false}", vt,
			     "+port {\"name\": \"vm1\"}", "+port {\"name\": \"vm2\"}"};
	struct evs_ctl_err err;

	snprintf(vt, sizeof(vt),
		 "=vtep {\"name\": \"%s\", \"underlay\": \"u1\", \"address\": \"10.9.0.%c\", "
		 "\"encrypt\": false}",
		 peer, peer[1]);
	ck_assert_msg(txn_on(h, ops, RTE_DIM(ops), &err) == 0, "%s at %s", err.message, err.path);
	evs_store_txn_hooks_set(h->st, &pol_hooks, h->ov);
}

/* @p n frames to B through A's tunnel port, the even ones from vm1 (marked
 * as the PMD marks an encrypted port's burst): @return B's deliveries in
 * @p m, with @p n_esp the ESP packets on the wire. */
static uint16_t send_mixed(struct wire *w, struct rte_mbuf **m, uint16_t n, uint32_t seed,
			   uint16_t *n_esp)
{
	struct rte_mbuf *copy[64];
	struct evs_tun_meta meta[64];
	uint16_t tp[64], k;
	const struct evs_overlay_dp *dp = evs_overlay_dp_get(ha.ov);

	frames(m, copy, n, seed);
	free_all(copy, n);
	for (uint16_t i = 0; i < n; i += 2)
		if (evs_overlay_dp_port_encrypted(dp, 5))
			evs_overlay_mark_encrypted(ha.ov, &m[i], 1);
	k = evs_overlay_tx_burst(ha.ov, dp, w->ea, (uint16_t)tport_of(&ha, 7, "h2"), m, n, NULL,
				 NULL, NULL, &w->sa);
	*n_esp = 0;
	for (uint16_t i = 0; i < k; i++)
		*n_esp += rte_pktmbuf_mtod(m[i], const uint8_t *)[14 + 9] == 50;
	return evs_overlay_rx_burst(hb.ov, evs_overlay_dp_get(hb.ov), w->eb, 0, m, k, tp, meta,
				    &w->sb);
}

START_TEST(test_port_and_tag_policy)
{
	struct rte_mbuf *m[64];
	struct evs_ctl_err err;
	struct wire w;
	uint16_t got, n_esp;

	wire_init(&w);
	policy_base(&ha, "h2");
	policy_base(&hb, "h1");
	/* A encrypts vm1 by name; B encrypts the ports tagged "pci": vm1 */
	ck_assert_int_eq(txn1(&ha,
			      "=tunnel {\"switch\": \"sw\", \"vni\": 5001, \"encrypt_ports\": "
			      "[\"vm1\"]}",
			      &err),
			 0);
	ck_assert(evs_overlay_dp_port_encrypted(evs_overlay_dp_get(ha.ov), 5));
	ck_assert(!evs_overlay_dp_port_encrypted(evs_overlay_dp_get(ha.ov), 6));
	ck_assert(!evs_overlay_dp_port_encrypted(evs_overlay_dp_get(ha.ov), 3));
	ck_assert(evs_overlay_dp_port_policy(evs_overlay_dp_get(ha.ov)));
	ck_assert(!evs_overlay_dp_port_policy(evs_overlay_dp_get(hb.ov)));
	{
		char d[128];

		evs_overlay_port_describe(ha.ov, evs_overlay_dp_get(ha.ov),
					  (uint16_t)tport_of(&ha, 7, "h2"), d, sizeof(d));
		ck_assert_str_eq(d, "vtep h2 geneve vni 5001 clear (esp for the encrypted ports)");
	}
	ck_assert_int_eq(
	    txn1(&hb, "+fw.port {\"port\": \"vm1\", \"tags\": [\"web\", \"pci\"]}", &err), 0);
	ck_assert_int_eq(txn1(&hb, "+fw.port {\"port\": \"vm2\", \"tags\": [\"web\"]}", &err), 0);
	ck_assert(!evs_overlay_dp_port_encrypted(evs_overlay_dp_get(hb.ov), 5)); /* no policy yet */
	ck_assert_int_eq(txn1(&hb,
			      "=tunnel {\"switch\": \"sw\", \"vni\": 5001, \"encrypt_tags\": "
			      "[\"pci\"]}",
			      &err),
			 0);
	ck_assert(evs_overlay_dp_port_encrypted(evs_overlay_dp_get(hb.ov), 5));
	ck_assert(!evs_overlay_dp_port_encrypted(evs_overlay_dp_get(hb.ov), 6));

	/* vm1's frames leave A in ESP, vm2's in clear GENEVE; B takes both in */
	got = send_mixed(&w, m, 40, 11, &n_esp);
	ck_assert_uint_eq(n_esp, 20);
	ck_assert_uint_eq(w.sa.encrypted, 20);
	ck_assert_uint_eq(w.sa.tx_packets, 40);
	ck_assert_uint_eq(got, 40);
	ck_assert_uint_eq(w.sb.decrypted, 20);
	/* output to B's vm1 (encrypted by tag): the 20 clear ones are refused */
	ck_assert_uint_eq(evs_overlay_guard(hb.ov, m, got, &w.sb), 20);
	ck_assert_uint_eq(w.sb.drops[EVS_OVL_DROP_CLEAR_REFUSED], 20);
	free_all(m, 20);

	/* vm1 loses the tag on B: the table follows the fw.port change */
	ck_assert_int_eq(txn1(&hb, "=fw.port {\"port\": \"vm1\", \"tags\": [\"web\"]}", &err), 0);
	ck_assert(!evs_overlay_dp_port_encrypted(evs_overlay_dp_get(hb.ov), 5));
	ck_assert(!evs_overlay_dp_port_policy(evs_overlay_dp_get(hb.ov)));
	/* no policy left on B: clear frames are not even flagged */
	ck_assert_int_eq(
	    txn1(&hb, "=tunnel {\"switch\": \"sw\", \"vni\": 5001, \"encrypt_tags\": []}", &err),
	    0);
	got = send_mixed(&w, m, 8, 12, &n_esp);
	ck_assert_uint_eq(got, 8);
	ck_assert_uint_eq(evs_overlay_guard(hb.ov, m, got, &w.sb), 8);
	free_all(m, 8);

	/* A's vm1 deleted: its slot is no longer encrypted (a later port may take it) */
	ck_assert_int_eq(txn1(&ha, "-port {\"name\": \"vm1\"}", &err), 0);
	ck_assert(!evs_overlay_dp_port_encrypted(evs_overlay_dp_get(ha.ov), 5));
	wire_fini(&w);
}
END_TEST

/* An unknown port, a port twice, the underlay's port, a bad tag: refused
 * at their path, the table unchanged. */
START_TEST(test_port_policy_refuses_bad_config)
{
	static const struct {
		const char *op, *path;
		int rc;
	} bad[] = {
	    {"=tunnel {\"switch\": \"sw\", \"vni\": 5001, \"encrypt_ports\": [\"vm1\", \"nope\"]}",
	     "/encrypt_ports/1", -ENOENT},
	    {"=tunnel {\"switch\": \"sw\", \"vni\": 5001, \"encrypt_ports\": [\"vm1\", \"vm1\"]}",
	     "/encrypt_ports/1", -EEXIST},
	    {"=tunnel {\"switch\": \"sw\", \"vni\": 5001, \"encrypt_ports\": [\"p0\"]}",
	     "/encrypt_ports/0", -EINVAL},
	    {"=tunnel {\"switch\": \"sw\", \"vni\": 5001, \"encrypt_tags\": [\"\"]}",
	     "/encrypt_tags/0", -EINVAL},
	    {"=tunnel {\"switch\": \"sw\", \"vni\": 5001, \"encrypt_ports\": \"vm1\"}",
	     "/encrypt_ports", -EINVAL},
	};
	struct evs_ctl_err err;
	const struct evs_overlay_dp *dp;

	ck_assert_int_eq(txn1(&ha, "+port {\"name\": \"vm1\"}", &err), 0);
	dp = evs_overlay_dp_get(ha.ov);
	for (size_t i = 0; i < RTE_DIM(bad); i++) {
		int rc = txn1(&ha, bad[i].op, &err);

		ck_assert_msg(rc == bad[i].rc, "case %zu: %d (%s)", i, rc, err.message);
		ck_assert_msg(strstr(err.path, bad[i].path) != NULL, "case %zu: path %s", i,
			      err.path);
		ck_assert_ptr_eq(evs_overlay_dp_get(ha.ov), dp);
	}
	ck_assert(!evs_overlay_dp_port_encrypted(dp, 5));
}
END_TEST

/* Give a clear GENEVE/IPv4 frame (as A sends it) another outer source,
 * destination and VNI. */
static void reoriginate(struct rte_mbuf *m, const uint8_t *src, const uint8_t *dst, uint32_t vni)
{
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(p + 14);

	ck_assert_uint_eq(p[23], IPPROTO_UDP);
	ck_assert_uint_eq(p[40] | p[41], 0); /* no UDP checksum to fix */
	memcpy(&ip->src_addr, src, 4);
	memcpy(&ip->dst_addr, dst, 4);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	p[46] = (uint8_t)(vni >> 16), p[47] = (uint8_t)(vni >> 8), p[48] = (uint8_t)vni;
}

/* A frame of another shape than the one-pass decap's: a filled UDP
 * checksum (valid: delivered by the full path) or a broken IPv4 header
 * checksum (bad_csum). */
static void reshape(struct rte_mbuf *m, bool bad_ip)
{
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(p + 14);
	struct rte_udp_hdr *u = (struct rte_udp_hdr *)(p + 34);

	if (bad_ip) {
		ip->hdr_checksum ^= RTE_BE16(0x0100);
		return;
	}
	u->dgram_cksum = 0;
	u->dgram_cksum = rte_ipv4_udptcp_cksum(ip, u);
	if (u->dgram_cksum == 0)
		u->dgram_cksum = 0xffff;
}

/* Clear frames from known and unknown hosts, to this host and another,
 * on a VNI every host is a member of and one only h3 is, in runs mixed in
 * one burst: each gets the verdict and tunnel port it gets alone (the
 * receive side reuses the last frame's classification for a run). With
 * @p shapes, one frame in five leaves the one-pass shape (the rest of the
 * burst then takes the full path). */
static void rx_mixed(unsigned int seed, bool shapes)
{
	enum { N = 64 };
	static const uint8_t srcs[][4] = {{10, 9, 0, 1}, {10, 9, 0, 3}, {10, 9, 0, 77}};
	static const uint8_t dsts[][4] = {{10, 9, 0, 2}, {10, 9, 0, 9}};
	struct rte_mbuf *m[N], *one[N], *orig[N];
	struct evs_tun_meta meta[N], meta1;
	struct evs_overlay_stats sburst = {0}, sone = {0};
	uint16_t tp[N], tp1[N], got, k = 0;
	struct rte_mbuf *want[N];
	struct evs_ctl_err err;
	unsigned int kinds = 0;
	struct wire w;
	int tpa;

	wire_init(&w);
	a_stops_encrypting();
	ck_assert_int_eq(
	    txn1(&hb, "=tunnel {\"switch\": \"sw\", \"vni\": 5001, \"encrypt\": false}", &err), 0);
	ck_assert_int_eq(txn1(&hb, "+switch {\"name\": \"sw2\"}", &err), 0);
	ck_assert_int_eq(txn1(&hb,
			      "+tunnel {\"switch\": \"sw2\", \"vni\": 5002, \"vteps\": "
			      "[{\"vtep\": \"h3\"}]}",
			      &err),
			 0);
	tpa = tport_of(&ha, 7, "h2");
	ck_assert_int_ge(tpa, 0);
	frames(m, orig, N, 31);
	ck_assert_uint_eq(evs_overlay_tx_burst(ha.ov, evs_overlay_dp_get(ha.ov), w.ea,
					       (uint16_t)tpa, m, N, NULL, NULL, NULL, &w.sa),
			  N);
	free_all(orig, N);
	srand(seed);
	/* runs of 1-4 frames, each run changing one of source (3), destination
	 * (2) and VNI (2) from the last: a classification reused for a frame
	 * it does not fit shows */
	for (unsigned int i = 0, f[3] = {0, 0, 0}; i < N;) {
		static const unsigned int span[3] = {3, 2, 2};
		unsigned int run = 1 + (unsigned int)rand() % 4, which = (unsigned int)rand() % 3;

		f[which] = (f[which] + 1 + (unsigned int)rand() % (span[which] - 1)) % span[which];
		for (; run > 0 && i < N; run--, i++) {
			reoriginate(m[i], srcs[f[0]], dsts[f[1]], f[2] ? 5002 : 5001);
			if (shapes && rand() % 5 == 0)
				reshape(m[i], rand() % 2 == 0);
			one[i] = rte_pktmbuf_copy(m[i], m[i]->pool, 0, UINT32_MAX);
			ck_assert_ptr_nonnull(one[i]);
		}
	}
	/* the reference: every frame alone */
	for (unsigned int i = 0; i < N; i++) {
		struct rte_mbuf *x = one[i];

		if (evs_overlay_rx_burst(hb.ov, evs_overlay_dp_get(hb.ov), w.eb, 0, &x, 1, &tp1[k],
					 &meta1, &sone) == 1)
			want[k++] = x;
	}
	got = evs_overlay_rx_burst(hb.ov, evs_overlay_dp_get(hb.ov), w.eb, 0, m, N, tp, meta,
				   &sburst);
	ck_assert_uint_eq(got, k);
	for (unsigned int i = 0; i < got; i++) {
		ck_assert_msg(ct_same(m[i], want[i]), "frame %u", i);
		ck_assert_uint_eq(tp[i], tp1[i]);
	}
	for (unsigned int d = 0; d < EVS_OVL_DROP__MAX; d++) {
		ck_assert_msg(sburst.drops[d] == sone.drops[d], "%s: %lu vs %lu alone",
			      evs_overlay_drop_name((enum evs_overlay_drop)d),
			      (unsigned long)sburst.drops[d], (unsigned long)sone.drops[d]);
		kinds += sone.drops[d] != 0;
	}
	ck_assert_uint_eq(sburst.rx_packets, sone.rx_packets);
	ck_assert_uint_eq(sburst.tun.decap_packets, sone.tun.decap_packets);
	ck_assert_uint_eq(sburst.tun.decap_bytes, sone.tun.decap_bytes);
	for (unsigned int d = 0; d < EVS_TUN_DROP__MAX; d++)
		ck_assert_msg(sburst.tun.drops[d] == sone.tun.drops[d], "tunnel %s: %lu vs %lu",
			      evs_tun_drop_name((enum evs_tun_drop)d),
			      (unsigned long)sburst.tun.drops[d], (unsigned long)sone.tun.drops[d]);
	if (shapes) /* both kinds of frame occurred */
		ck_assert_uint_gt(sone.tun.drops[EVS_TUN_DROP_BAD_CSUM], 0);
	/* delivered to both switches' tunnel ports, and dropped three ways */
	ck_assert_uint_ge(kinds, 3);
	ck_assert_uint_gt(k, 4);
	for (unsigned int i = 1; i < k; i++)
		kinds += tp1[i] != tp1[0];
	ck_assert_uint_ge(kinds, 4);
	free_all(m, got);
	free_all(want, k);
	wire_fini(&w);
}

START_TEST(test_rx_mixed_burst_matches_one_by_one)
{
	rx_mixed(5002, false);
}
END_TEST

/* The one-pass prefix stops at the first frame of another shape: the
 * rest of the burst, plain frames too, takes the full path in order. */
START_TEST(test_rx_shapes_mixed_match_one_by_one)
{
	rx_mixed(5003, true);
}
END_TEST

void overlay_traffic_add_cases(Suite *s)
{
	const struct unit_case cases[] = {
	    {"encrypted_traffic_between_hosts", test_encrypted_traffic_between_hosts},
	    {"clear_traffic_policy", test_clear_traffic_policy},
	    {"rx_unknown_vtep_and_spi", test_rx_unknown_vtep_and_spi},
	    {"rx_not_for_us_and_peer_mac", test_rx_not_for_us_and_peer_mac},
	    {"rx_wrong_peer", test_rx_wrong_peer},
	    {"tx_too_big_icmp", test_tx_too_big_icmp},
	    {"tx_too_big_rate_limited", test_tx_too_big_rate_limited},
	    {"static_remote_macs", test_static_remote_macs},
	    {"trace_rx", test_trace_rx},
	    {"port_and_tag_policy", test_port_and_tag_policy},
	    {"port_policy_refuses_bad_config", test_port_policy_refuses_bad_config},
	    {"rx_mixed_burst_matches_one_by_one", test_rx_mixed_burst_matches_one_by_one},
	    {"rx_shapes_mixed_match_one_by_one", test_rx_shapes_mixed_match_one_by_one},
	};

	unit_add_cases(s, cases, RTE_DIM(cases), setup, teardown, 0);
}
