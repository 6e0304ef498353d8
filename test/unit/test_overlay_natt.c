/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/overlay, ESP-in-UDP (RFC 3948) and tunnel mode from the store: the
 * sa fields (mode, udp_sport, udp_dport) and their refusals, the wire
 * layout between two hosts, the receive port set, NAT-keepalives and IKE's
 * non-ESP marker counted as drops, the outbound port following the peer's
 * (NAT) and kept across a rekey, and tunnel mode's shorter inner MTU.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <netinet/in.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "crypto_test.h"
#include "evs_overlay.h"
#include "evs_store.h"
#include "unit_case.h"
#include "overlay_test.h"

/* An SA with extra fields @p extra (a JSON members list, or ""). */
static int sa_put(struct host *h, const char *vtep, const char *dir, uint32_t spi,
		  const char *extra, struct evs_ctl_err *err)
{
	char op[512];

	snprintf(op, sizeof(op),
		 "+sa {\"vtep\": \"%s\", \"dir\": \"%s\", \"spi\": %u, \"key\": \"" KEY_A
		 "\", \"salt\": \"0a0b0c0d\"%s%s}",
		 vtep, dir, spi, extra[0] != '\0' ? ", " : "", extra);
	return txn1(h, op, err);
}

static void sa_ok(struct host *h, const char *vtep, const char *dir, uint32_t spi,
		  const char *extra)
{
	struct evs_ctl_err err;

	ck_assert_msg(sa_put(h, vtep, dir, spi, extra, &err) == 0, "sa %s %s: %s at %s", vtep, dir,
		      err.message, err.path);
}

/* A (10.9.0.1) -> B (10.9.0.2): A's outbound and B's inbound SA alike. */
static void pair(struct wire *w, const char *extra)
{
	memset(w, 0, sizeof(*w));
	w->ea = evs_crypto_engine_create();
	w->eb = evs_crypto_engine_create();
	ck_assert_ptr_nonnull(w->ea);
	ck_assert_ptr_nonnull(w->eb);
	host_init(&hb);
	base(&hb, "10.9.0.2");
	sa_ok(&ha, "h2", "out", 5000, extra);
	sa_ok(&hb, "h1", "in", 5000, extra);
}

/* @p n frames of @p len bytes (0: varied, <= 1300) from A's (sw, h2) port,
 * encapsulated and encrypted; @return how many A sent. */
static uint16_t a_send(struct wire *w, struct rte_mbuf **m, struct rte_mbuf **copy, uint16_t n,
		       uint32_t len, uint32_t seed)
{
	int tpa = tport_of(&ha, 7, "h2");

	ck_assert_int_ge(tpa, 0);
	for (uint16_t i = 0; i < n; i++) {
		uint32_t l = len != 0 ? len : 60 + (seed * 13 + i * 97) % 1240;

		m[i] = ct_build_udp(4, 14, l - 42, seed + i);
		ck_assert_ptr_nonnull(m[i]);
		copy[i] = ct_clone(m[i]);
	}
	return evs_overlay_tx_burst(ha.ov, evs_overlay_dp_get(ha.ov), w->ea, (uint16_t)tpa, m, n,
				    NULL, NULL, NULL, &w->sa);
}

/* B receives @p k frames; each delivered one equals its original. */
static uint16_t b_receive(struct wire *w, struct rte_mbuf **m, struct rte_mbuf **copy, uint16_t k,
			  uint16_t n)
{
	struct evs_tun_meta meta[64];
	uint16_t tp[64], got;

	got = evs_overlay_rx_burst(hb.ov, evs_overlay_dp_get(hb.ov), w->eb, 0, m, k, tp, meta,
				   &w->sb);
	for (uint16_t i = 0, j = 0; i < got; i++, j++) {
		while (j < n && !ct_same(m[i], copy[j]))
			j++;
		ck_assert_msg(j < n, "frame %u delivered changed", i);
		ck_assert_int_eq(tp[i], tport_of(&hb, 7, "h1"));
	}
	free_all(m, got);
	free_all(copy, n);
	return got;
}

static const uint8_t *l3_of(const struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod(m, const uint8_t *) + 14;
}

START_TEST(test_natt_config_refusals)
{
	struct evs_ctl_err err;
	uint64_t gen;

	sa_ok(&ha, "h2", "in", 1000, "\"mode\": \"tunnel\"");
	gen = evs_store_generation(ha.st);
	/* both SAs of a VTEP in one mode */
	ck_assert_int_eq(sa_put(&ha, "h2", "out", 2000, "", &err), -EINVAL);
	ck_assert_str_eq(err.path, "/op/mode");
	ck_assert_ptr_nonnull(strstr(err.message, "tunnel"));
	ck_assert_int_eq(sa_put(&ha, "h2", "out", 2000, "\"mode\": \"sideways\"", &err), -EINVAL);
	ck_assert_str_eq(err.path, "/op/mode");
	/* an ESP-in-UDP receive port may not be a tunnel's (h2 geneve, h3 vxlan) */
	ck_assert_int_eq(
	    sa_put(&ha, "h3", "in", 1003, "\"udp_encap\": true, \"udp_dport\": 4789", &err),
	    -EINVAL);
	ck_assert_str_eq(err.path, "/op/udp_dport");
	ck_assert_int_eq(
	    sa_put(&ha, "h3", "in", 1003, "\"udp_encap\": true, \"udp_dport\": 6081", &err),
	    -EINVAL);
	ck_assert_int_eq(
	    sa_put(&ha, "h3", "in", 1003, "\"udp_encap\": true, \"udp_dport\": 0", &err), -EINVAL);
	ck_assert_int_eq(
	    sa_put(&ha, "h3", "in", 1003, "\"udp_encap\": true, \"udp_sport\": 65536", &err),
	    -EINVAL);
	ck_assert_uint_eq(evs_store_generation(ha.st), gen);
	/* the same port twice is one port; a second and third are fine */
	sa_ok(&ha, "h3", "in", 1003, "\"udp_encap\": true");
	/* and a tunnel may then not take 4500 */
	ck_assert_int_eq(txn1(&ha,
			      "+vtep {\"name\": \"h5\", \"underlay\": \"u1\", \"address\": "
			      "\"10.9.0.5\", \"dst_port\": 4500}",
			      &err),
			 -EINVAL);
	ck_assert_str_eq(err.path, "/op/dst_port");
	ck_assert_int_eq(txn1(&ha, "-sa {\"vtep\": \"h2\", \"dir\": \"in\"}", &err), 0);
	sa_ok(&ha, "h2", "in", 1002, "\"udp_encap\": true, \"udp_dport\": 4501");
	/* both SAs change mode in one transaction: accepted */
	{
		const char *ops[] = {
		    "+sa {\"vtep\": \"h2\", \"dir\": \"in\", \"spi\": 1004, \"key\": \"" KEY_A
		    "\", \"salt\": \"0a0b0c0d\", \"mode\": \"tunnel\"}",
		    "+sa {\"vtep\": \"h2\", \"dir\": \"out\", \"spi\": 2004, \"key\": \"" KEY_A
		    "\", \"salt\": \"0a0b0c0d\", \"mode\": \"tunnel\"}",
		};

		ck_assert_int_eq(txn1(&ha, "-sa {\"vtep\": \"h2\", \"dir\": \"in\"}", &err), 0);
		ck_assert_msg(txn_on(&ha, ops, 2, &err) == 0, "%s", err.message);
	}
}
END_TEST

START_TEST(test_natt_receive_ports_limited)
{
	struct evs_ctl_err err;
	char name[32], op[256];

	/* five VTEPs, each receiving on its own port: the fifth is refused */
	for (unsigned int i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "n%u", i);
		snprintf(op, sizeof(op),
			 "+vtep {\"name\": \"%s\", \"underlay\": \"u1\", \"address\": "
			 "\"10.9.1.%u\"}",
			 name, i + 1);
		ck_assert_int_eq(txn1(&ha, op, &err), 0);
		snprintf(op, sizeof(op), "\"udp_encap\": true, \"udp_dport\": %u", 4600 + i);
		if (i < EVS_ESP_UDP_PORTS_MAX) {
			sa_ok(&ha, name, "in", 1100 + i, op);
			continue;
		}
		ck_assert_int_eq(sa_put(&ha, name, "in", 1100 + i, op, &err), -ENOSPC);
		ck_assert_str_eq(err.path, "/op/udp_dport");
		/* one of the ports in use is fine */
		sa_ok(&ha, name, "in", 1100 + i, "\"udp_encap\": true, \"udp_dport\": 4601");
	}
}
END_TEST

/* ESP-in-UDP both ways of the wire format, default and configured ports. */
static void udp_pair_traffic(const char *extra, uint16_t sport, uint16_t dport)
{
	struct rte_mbuf *m[40], *copy[40];
	struct wire w;
	uint16_t k;

	pair(&w, extra);
	k = a_send(&w, m, copy, 40, 0, 3);
	ck_assert_uint_eq(k, 40);
	for (uint16_t i = 0; i < k; i++) {
		const uint8_t *ip = l3_of(m[i]);
		const struct rte_udp_hdr *u = (const struct rte_udp_hdr *)(ip + 20);

		ck_assert_uint_eq(ip[9], IPPROTO_UDP);
		ck_assert_uint_eq(rte_be_to_cpu_16(u->src_port), sport);
		ck_assert_uint_eq(rte_be_to_cpu_16(u->dst_port), dport);
		ck_assert_uint_eq(u->dgram_cksum, 0); /* RFC 3948 2.1 over IPv4 */
		/* the SPI follows the UDP header: no marker */
		ck_assert_uint_eq(ip[28], 0);
		ck_assert_uint_eq(ip[30], 5000 >> 8);
	}
	ck_assert_uint_eq(b_receive(&w, m, copy, k, 40), 40);
	ck_assert_uint_eq(w.sb.decrypted, 40);
	wire_fini(&w);
}

START_TEST(test_esp_in_udp_between_hosts)
{
	udp_pair_traffic("\"udp_encap\": true", 4500, 4500);
}
END_TEST

START_TEST(test_esp_in_udp_configured_ports)
{
	udp_pair_traffic("\"udp_encap\": true, \"udp_sport\": 4600, \"udp_dport\": 4700", 4600,
			 4700);
}
END_TEST

/* ESP-in-UDP frames to a receive port that is not configured are no ESP
 * (the decap refuses them); transport ESP with no UDP SA still works. */
START_TEST(test_esp_in_udp_needs_the_port)
{
	struct rte_mbuf *m[8], *copy[8];
	struct wire w;
	uint16_t k;

	pair(&w, "\"udp_encap\": true, \"udp_dport\": 4700");
	/* B receives on 4700; A now sends to 4800 */
	{
		struct evs_ctl_err err;

		ck_assert_int_eq(txn1(&ha, "-sa {\"vtep\": \"h2\", \"dir\": \"out\"}", &err), 0);
	}
	sa_ok(&ha, "h2", "out", 5000, "\"udp_encap\": true, \"udp_dport\": 4800");
	k = a_send(&w, m, copy, 8, 200, 4);
	ck_assert_uint_eq(k, 8);
	ck_assert_uint_eq(b_receive(&w, m, copy, k, 8), 0);
	ck_assert_uint_eq(w.sb.drops[EVS_OVL_DROP_TUNNEL], 8);
	ck_assert_uint_eq(w.sb.drops[EVS_OVL_DROP_UNKNOWN_SPI], 0);
	wire_fini(&w);
}
END_TEST

/* An UDP datagram from B's peer to port @p dport with @p len payload bytes
 * @p fill; as A's underlay would deliver it to B. */
static struct rte_mbuf *udp_to(uint16_t dport, uint16_t len, uint8_t fill)
{
	struct rte_mbuf *m = ct_build_udp(4, 14, len, 1);
	uint8_t *ip;
	struct rte_udp_hdr *u;

	ck_assert_ptr_nonnull(m);
	ip = rte_pktmbuf_mtod(m, uint8_t *) + 14;
	memcpy(ip + 12, (const uint8_t[]){10, 9, 0, 1}, 4);
	memcpy(ip + 16, (const uint8_t[]){10, 9, 0, 2}, 4);
	((struct rte_ipv4_hdr *)ip)->hdr_checksum = 0;
	((struct rte_ipv4_hdr *)ip)->hdr_checksum = rte_ipv4_cksum((struct rte_ipv4_hdr *)ip);
	u = (struct rte_udp_hdr *)(ip + 20);
	u->src_port = rte_cpu_to_be_16(4500);
	u->dst_port = rte_cpu_to_be_16(dport);
	u->dgram_cksum = 0;
	memset(ip + 28, fill, len);
	return m;
}

/* B traces @p m (consumed) from its underlay port (slot 3): @p want, and
 * the last step says @p says. */
static void b_traces(struct rte_mbuf *m, int want, const char *says)
{
	struct evs_tun_meta meta;
	json_t *steps = json_array();
	const char *last;
	uint16_t tp;

	ck_assert_int_eq(evs_overlay_trace_rx(hb.ov, 3, m, &tp, &meta, steps), want);
	last = json_string_value(
	    json_object_get(json_array_get(steps, json_array_size(steps) - 1), "decision"));
	ck_assert_msg(last != NULL && strstr(last, says) != NULL, "last step: %s", last);
	json_decref(steps);
	rte_pktmbuf_free(m);
}

START_TEST(test_keepalive_and_marker_counted)
{
	struct rte_mbuf *m[6], *copy[4];
	struct evs_tun_meta meta[6];
	uint16_t tp[6];
	struct wire w;
	json_t *st;

	pair(&w, "\"udp_encap\": true");
	m[0] = udp_to(4500, 1, 0xff); /* NAT-keepalive */
	m[1] = udp_to(4500, 40, 0);   /* non-ESP marker: IKE */
	m[2] = udp_to(4500, 2, 0xff); /* too short for an SPI */
	m[3] = udp_to(4500, 1, 0xfe); /* one byte, not a keepalive */
	ck_assert_uint_eq(
	    evs_overlay_rx_burst(hb.ov, evs_overlay_dp_get(hb.ov), w.eb, 0, m, 4, tp, meta, &w.sb),
	    0);
	ck_assert_uint_eq(w.sb.drops[EVS_OVL_DROP_KEEPALIVE], 1);
	ck_assert_uint_eq(w.sb.drops[EVS_OVL_DROP_NON_ESP], 3);
	ck_assert_uint_eq(w.sb.drops[EVS_OVL_DROP_DECRYPT], 0);
	ck_assert_uint_eq(w.sb.drops[EVS_OVL_DROP_UNKNOWN_SPI], 0);
	ck_assert_str_eq(evs_overlay_drop_name(EVS_OVL_DROP_KEEPALIVE), "keepalive");
	ck_assert_str_eq(evs_overlay_drop_name(EVS_OVL_DROP_NON_ESP), "non_esp");
	/* the SA saw none of them; ESP traffic in between is untouched */
	st = evs_overlay_sa_stats(hb.ov, "h1");
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(st, "in"), "packets")),
			 0);
	json_decref(st);
	ck_assert_uint_eq(a_send(&w, m, copy, 4, 300, 5), 4);
	m[4] = m[3];
	m[3] = udp_to(4500, 1, 0xff);
	m[5] = udp_to(4500, 8, 0);
	ck_assert_uint_eq(
	    evs_overlay_rx_burst(hb.ov, evs_overlay_dp_get(hb.ov), w.eb, 0, m, 6, tp, meta, &w.sb),
	    4);
	for (uint16_t i = 0; i < 4; i++)
		ck_assert(ct_same(m[i], copy[i]));
	free_all(m, 4);
	free_all(copy, 4);
	ck_assert_uint_eq(w.sb.drops[EVS_OVL_DROP_KEEPALIVE], 2);
	ck_assert_uint_eq(w.sb.drops[EVS_OVL_DROP_NON_ESP], 4);
	/* flow.trace from the underlay port says so too, and counts nothing */
	b_traces(udp_to(4500, 1, 0xff), -EBADMSG, "drop: keepalive");
	b_traces(udp_to(4500, 8, 0), -EBADMSG, "drop: non_esp");
	ck_assert_uint_eq(a_send(&w, m, copy, 1, 300, 6), 1);
	b_traces(m[0], 0, "vtep h1 geneve vni 5001");
	free_all(copy, 1);
	ck_assert_uint_eq(w.sb.drops[EVS_OVL_DROP_KEEPALIVE], 2);
	wire_fini(&w);
}
END_TEST

/* B's peer A sits behind a NAT that maps its 4500 to 31000: B's outbound
 * SA to A sends there once a verified packet came from it, keeps it across
 * a rekey, and shows both ports; a forged packet moves nothing. */
START_TEST(test_nat_port_followed)
{
	struct rte_mbuf *m[8], *copy[8];
	struct evs_ctl_err err;
	struct wire w;
	json_t *doc;
	int id;

	pair(&w, "\"udp_encap\": true");
	sa_ok(&hb, "h1", "out", 6000, "\"udp_encap\": true");
	id = evs_overlay_vtep_id(hb.ov, "h1");
	ck_assert_int_ge(id, 0);
	ck_assert_uint_eq(evs_sa_udp_dport(evs_overlay_vtep_out(hb.ov, (uint16_t)id)), 4500);
	/* from another port, forged: refused, no port learned */
	ck_assert_uint_eq(a_send(&w, m, copy, 1, 200, 6), 1);
	rte_pktmbuf_mtod(m[0], uint8_t *)[14 + 20] = 0x79; /* 4500 = 0x1194 -> 0x7994 */
	rte_pktmbuf_mtod(m[0], uint8_t *)[m[0]->data_len - 3] ^= 1;
	ck_assert_uint_eq(b_receive(&w, m, copy, 1, 1), 0);
	ck_assert_uint_eq(evs_sa_udp_dport(evs_overlay_vtep_out(hb.ov, (uint16_t)id)), 4500);
	/* verified ones from 31124 */
	ck_assert_uint_eq(a_send(&w, m, copy, 8, 200, 7), 8);
	for (uint16_t i = 0; i < 8; i++)
		rte_pktmbuf_mtod(m[i], uint8_t *)[14 + 20] = 0x79;
	ck_assert_uint_eq(b_receive(&w, m, copy, 8, 8), 8);
	ck_assert_uint_eq(evs_sa_udp_dport(evs_overlay_vtep_out(hb.ov, (uint16_t)id)), 31124);
	ck_assert_uint_eq(evs_sa_udp_dport_configured(evs_overlay_vtep_out(hb.ov, (uint16_t)id)),
			  4500);
	doc = evs_overlay_sa_stats(hb.ov, "h1");
	ck_assert_int_eq(
	    json_integer_value(json_object_get(json_object_get(doc, "in"), "udp_peer_port")),
	    31124);
	ck_assert_int_eq(
	    json_integer_value(json_object_get(json_object_get(doc, "out"), "udp_dport_now")),
	    31124);
	json_decref(doc);
	/* a rekey of B's outbound keeps the NAT's port */
	ck_assert_int_eq(rekey(&hb, "h1", 0, 6001, KEY_B, &err), 0);
	ck_assert_uint_eq(out_spi(&hb, "h1"), 6001);
	ck_assert_uint_eq(evs_sa_udp_dport(evs_overlay_vtep_out(hb.ov, (uint16_t)id)), 31124);
	wire_fini(&w);
}
END_TEST

/* The decap listens on GENEVE's and VXLAN's IANA ports even where no VTEP
 * uses that encapsulation: neither may receive ESP-in-UDP. A tunnel port
 * of 4500 and ESP on 4700 stay apart in one burst: ESP decrypted, a 0xFF
 * byte to the ESP port a keepalive, to the tunnel port a tunnel drop. */
START_TEST(test_esp_port_never_a_decap_port)
{
	struct rte_mbuf *m[12], *copy[12];
	struct evs_tun_meta meta[12];
	struct evs_ctl_err err;
	uint16_t tp[12], k;
	struct wire w;
	uint64_t gen;

	ck_assert_int_eq(txn1(&ha, "-vtep {\"name\": \"h3\"}", &err), 0); /* no VXLAN VTEP */
	gen = evs_store_generation(ha.st);
	ck_assert_int_eq(
	    sa_put(&ha, "h2", "in", 1003, "\"udp_encap\": true, \"udp_dport\": 4789", &err),
	    -EINVAL);
	ck_assert_str_eq(err.path, "/op/udp_dport");
	ck_assert_ptr_nonnull(strstr(err.message, "VXLAN"));
	ck_assert_ptr_nonnull(strstr(err.message, "decap"));
	ck_assert_int_eq(
	    sa_put(&ha, "h2", "in", 1003, "\"udp_encap\": true, \"udp_dport\": 6081", &err),
	    -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.message, "GENEVE"));
	ck_assert_uint_eq(evs_store_generation(ha.st), gen);

	pair(&w, "\"udp_encap\": true, \"udp_dport\": 4700");
	ck_assert_int_eq(txn1(&ha,
			      "=vtep {\"name\": \"h2\", \"underlay\": \"u1\", \"address\": "
			      "\"10.9.0.2\", \"encrypt\": true, \"dst_port\": 4500}",
			      &err),
			 0);
	ck_assert_int_eq(txn1(&hb,
			      "=vtep {\"name\": \"h1\", \"underlay\": \"u1\", \"address\": "
			      "\"10.9.0.1\", \"dst_port\": 4500}",
			      &err),
			 0);
	k = a_send(&w, m, copy, 10, 0, 11);
	ck_assert_uint_eq(k, 10);
	for (uint16_t i = 0; i < k; i++)
		ck_assert_uint_eq(
		    rte_be_to_cpu_16(((const struct rte_udp_hdr *)(l3_of(m[i]) + 20))->dst_port),
		    4700);
	m[10] = udp_to(4700, 1, 0xff);
	m[11] = udp_to(4500, 1, 0xff);
	{
		struct rte_mbuf *t = m[3];

		m[3] = m[10]; /* amid the ESP */
		m[10] = t;
	}
	k = evs_overlay_rx_burst(hb.ov, evs_overlay_dp_get(hb.ov), w.eb, 0, m, 12, tp, meta, &w.sb);
	ck_assert_uint_eq(k, 10);
	ck_assert_uint_eq(w.sb.decrypted, 10);
	ck_assert_uint_eq(w.sb.drops[EVS_OVL_DROP_KEEPALIVE], 1);
	ck_assert_uint_eq(w.sb.drops[EVS_OVL_DROP_TUNNEL], 1);
	ck_assert_uint_eq(w.sb.tun.drops[EVS_TUN_DROP_BAD_OUTER], 1); /* 1 byte: no header */
	for (uint16_t i = 0; i < k; i++)
		ck_assert_uint_eq(meta[i].vni, 5001);
	free_all(m, k);
	free_all(copy, 10);
	wire_fini(&w);
}
END_TEST

/* An integer of sa.stats' "nat" part of host @p h's VTEP @p vtep. */
static json_int_t nat_stat(struct host *h, const char *vtep, const char *f)
{
	json_t *doc = evs_overlay_sa_stats(h->ov, vtep);
	json_int_t v;

	ck_assert_ptr_nonnull(doc);
	v = json_integer_value(json_object_get(json_object_get(doc, "nat"), f));
	json_decref(doc);
	return v;
}

/* The keepalive host A sent last (out_port), checked byte by byte: from
 * u1 (10.9.0.1, port slot 3, our MAC) to h2 (10.9.0.2) by the next hop's
 * MAC, UDP @p sport -> @p dport, zero checksum, one 0xFF byte; @p vid: its
 * 802.1Q tag (0: none). */
static bool is_keepalive(const struct rte_mbuf *m)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	unsigned int l2 = p[12] == 0x81 ? 18 : 14;

	return m->pkt_len == l2 + 29 && p[l2 + 9] == IPPROTO_UDP && p[l2 + 28] == 0xff;
}

/* Keepalives among what host A sent (announcements and probes go there too). */
static unsigned int keepalives(void)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < out_port.n; i++)
		n += is_keepalive(out_port.m[i]);
	return n;
}

static void keepalive_is(uint16_t sport, uint16_t dport, uint16_t vid)
{
	unsigned int i = out_port.n;
	const struct rte_mbuf *m;
	const uint8_t *p;

	while (i > 0 && !is_keepalive(out_port.m[i - 1]))
		i--;
	ck_assert_uint_gt(i, 0);
	m = out_port.m[i - 1];
	p = rte_pktmbuf_mtod(m, const uint8_t *);
	ck_assert_uint_eq(out_port.to[i - 1], 3);
	unsigned int l2 = vid != 0 ? 18 : 14;
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(p + l2);
	const struct rte_udp_hdr *u = (const struct rte_udp_hdr *)(p + l2 + 20);

	ck_assert_uint_eq(m->pkt_len, l2 + 20 + 8 + 1);
	ck_assert_mem_eq(p, ((const uint8_t[]){2, 0, 0, 0, 0, 0xfe, 2, 0, 0, 0, 0, 0x10}), 12);
	if (vid != 0) {
		ck_assert_uint_eq(p[12] << 8 | p[13], RTE_ETHER_TYPE_VLAN);
		ck_assert_uint_eq((p[14] << 8 | p[15]) & 0xfff, vid);
	}
	ck_assert_uint_eq(p[l2 - 2] << 8 | p[l2 - 1], RTE_ETHER_TYPE_IPV4);
	ck_assert_uint_eq(ip->version_ihl, 0x45);
	ck_assert_uint_eq(rte_be_to_cpu_16(ip->total_length), 29);
	ck_assert_uint_eq(ip->next_proto_id, IPPROTO_UDP);
	ck_assert_uint_eq(ip->time_to_live, 64);
	ck_assert_uint_eq(rte_ipv4_cksum(ip), 0); /* the header sums to all ones */
	ck_assert_mem_eq(&ip->src_addr, ((const uint8_t[]){10, 9, 0, 1, 10, 9, 0, 2}), 8);
	ck_assert_uint_eq(rte_be_to_cpu_16(u->src_port), sport);
	ck_assert_uint_eq(rte_be_to_cpu_16(u->dst_port), dport);
	ck_assert_uint_eq(rte_be_to_cpu_16(u->dgram_len), 9);
	ck_assert_uint_eq(u->dgram_cksum, 0);
	ck_assert_uint_eq(p[l2 + 28], 0xff);
}

/* RFC 3948 2.3 from the management lcore: one keepalive per interval to
 * the port the peer's NAT shows, none without the field, refused where it
 * means nothing; the far host counts it as a keepalive. */
START_TEST(test_keepalive_sent)
{
	struct rte_mbuf *m[1];
	struct evs_tun_meta meta[1];
	struct evs_ctl_err err;
	struct wire w;
	uint16_t tp[1];
	int id;

	pair(&w, "\"udp_encap\": true");
	/* refused: inbound, without udp_encap, zero seconds */
	ck_assert_int_eq(
	    sa_put(&ha, "h3", "in", 1003, "\"udp_encap\": true, \"keepalive\": 20", &err), -EINVAL);
	ck_assert_str_eq(err.path, "/op/keepalive");
	ck_assert_int_eq(sa_put(&ha, "h3", "out", 1003, "\"keepalive\": 20", &err), -EINVAL);
	ck_assert_str_eq(err.path, "/op/keepalive");
	ck_assert_int_eq(
	    sa_put(&ha, "h3", "out", 1003, "\"udp_encap\": true, \"keepalive\": 0", &err), -EINVAL);
	/* without the field: none, however long */
	clock_ms += 100000;
	evs_overlay_poll(ha.ov);
	ck_assert_uint_eq(keepalives(), 0);
	ck_assert_int_eq(txn1(&ha, "-sa {\"vtep\": \"h2\", \"dir\": \"out\"}", &err), 0);
	sa_ok(&ha, "h2", "out", 5001,
	      "\"udp_encap\": true, \"udp_sport\": 4600, \"keepalive\": 20");
	clock_ms += 19999;
	evs_overlay_poll(ha.ov);
	ck_assert_uint_eq(keepalives(), 0);
	clock_ms += 1;
	evs_overlay_poll(ha.ov);
	evs_overlay_poll(ha.ov); /* once per interval */
	ck_assert_uint_eq(keepalives(), 1);
	keepalive_is(4600, 4500, 0);
	ck_assert_int_eq(nat_stat(&ha, "h2", "keepalives_sent"), 1);
	ck_assert_int_eq(nat_stat(&ha, "h2", "keepalive_interval"), 20);
	/* B: a keepalive, counted, no SA touched */
	for (unsigned int i = 0; i < out_port.n; i++)
		if (is_keepalive(out_port.m[i])) {
			m[0] = out_port.m[i];
			out_port.m[i] = out_port.m[--out_port.n];
			break;
		}
	sent_clear(&out_port);
	ck_assert_uint_eq(
	    evs_overlay_rx_burst(hb.ov, evs_overlay_dp_get(hb.ov), w.eb, 3, m, 1, tp, meta, &w.sb),
	    0);
	ck_assert_uint_eq(w.sb.drops[EVS_OVL_DROP_KEEPALIVE], 1);
	/* the NAT in front of h2 showed another port: the next one goes there,
	 * over the tagged underlay */
	id = evs_overlay_vtep_id(ha.ov, "h2");
	evs_sa_set_udp_dport(evs_overlay_vtep_out(ha.ov, (uint16_t)id), 31000);
	ck_assert_int_eq(txn1(&ha, "=underlay {\"name\": \"u1\", \"vlan\": 100}", &err), 0);
	clock_ms += 20000;
	evs_overlay_poll(ha.ov);
	ck_assert_uint_eq(keepalives(), 1);
	keepalive_is(4600, 31000, 100);
	/* a shorter interval applies from its commit; removed: none */
	ck_assert_int_eq(
	    txn1(&ha, "=sa {\"vtep\": \"h2\", \"dir\": \"out\", \"keepalive\": 5}", &err), 0);
	clock_ms += 5000;
	evs_overlay_poll(ha.ov);
	ck_assert_uint_eq(keepalives(), 2);
	ck_assert_int_eq(nat_stat(&ha, "h2", "keepalives_sent"), 3);
	ck_assert_int_eq(txn1(&ha, "-sa {\"vtep\": \"h2\", \"dir\": \"out\"}", &err), 0);
	clock_ms += 100000;
	evs_overlay_poll(ha.ov);
	ck_assert_uint_eq(keepalives(), 2);
	ck_assert_int_eq(nat_stat(&ha, "h2", "keepalive_interval"), 0);
	wire_fini(&w);
}
END_TEST

/* A sends @p n frames to h2 now (ESP in UDP), the management lcore
 * polling before and after. */
static void a_sends_now(struct wire *w, uint16_t n, uint32_t seed)
{
	struct rte_mbuf *m[4], *copy[4];

	evs_overlay_poll(ha.ov);
	ck_assert_uint_eq(a_send(w, m, copy, n, 200, seed), n);
	free_all(m, n);
	free_all(copy, n);
	evs_overlay_poll(ha.ov);
}

/* 20 s pass from now with nothing sent: the keepalive comes at the last
 * millisecond, not before (keepalives so far: @p had). */
static void idle_interval(unsigned int had)
{
	clock_ms += 19999;
	evs_overlay_poll(ha.ov);
	ck_assert_uint_eq(keepalives(), had);
	clock_ms += 1;
	evs_overlay_poll(ha.ov);
	ck_assert_uint_eq(keepalives(), had + 1);
}

/* RFC 3948 2.3: a keepalive only once no ESP went to the peer for an
 * interval (ESP keeps the NAT's mapping as well): none while A sends more
 * often than that, one an interval after its last ESP and then one per
 * idle interval; a replaced SA's traffic counts from its first packet. */
START_TEST(test_keepalive_only_when_idle)
{
	struct evs_ctl_err err;
	struct wire w;

	pair(&w, "\"udp_encap\": true");
	ck_assert_int_eq(
	    txn1(&ha, "=sa {\"vtep\": \"h2\", \"dir\": \"out\", \"keepalive\": 20}", &err), 0);
	for (uint32_t i = 0; i < 8; i++) { /* every 15 s for 2 minutes */
		clock_ms += 15000;
		a_sends_now(&w, 2, i);
	}
	ck_assert_uint_eq(keepalives(), 0);
	ck_assert_int_eq(nat_stat(&ha, "h2", "keepalives_sent"), 0);
	/* idle from here: one an interval after the last ESP, one per interval */
	idle_interval(0);
	keepalive_is(4500, 4500, 0);
	idle_interval(1);
	/* ESP once, 10 s after a keepalive: the next one 20 s after it */
	clock_ms += 10000;
	a_sends_now(&w, 1, 50);
	idle_interval(2);
	/* a new outbound SA: its own sequence numbers */
	ck_assert_int_eq(txn1(&ha, "-sa {\"vtep\": \"h2\", \"dir\": \"out\"}", &err), 0);
	sa_ok(&ha, "h2", "out", 5001, "\"udp_encap\": true, \"keepalive\": 20");
	for (uint32_t i = 0; i < 4; i++) {
		clock_ms += 15000;
		a_sends_now(&w, 1, 60 + i);
	}
	ck_assert_uint_eq(keepalives(), 3);
	ck_assert_int_eq(nat_stat(&ha, "h2", "keepalives_sent"), 3);
	wire_fini(&w);
}
END_TEST

/* Rewrite frame @p m's outer IPv4 source to 10.9.0.@p last (checksum fixed). */
static void resource(struct rte_mbuf *m, uint8_t last)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14);

	((uint8_t *)&ip->src_addr)[3] = last;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
}

/* The last octet of the outer destination of a frame B sends to h1. */
static uint8_t b_sends_to(struct wire *w)
{
	struct rte_mbuf *m = ct_build_udp(4, 14, 100, 77);
	int tp = tport_of(&hb, 7, "h1");
	uint8_t last;

	ck_assert_int_ge(tp, 0);
	ck_assert_uint_eq(evs_overlay_tx_burst(hb.ov, evs_overlay_dp_get(hb.ov), w->eb,
					       (uint16_t)tp, &m, 1, NULL, NULL, NULL, &w->sb),
			  1);
	last = rte_pktmbuf_mtod(m, const uint8_t *)[14 + 19];
	rte_pktmbuf_free(m);
	return last;
}

/* B receives @p n frames as they are; @return how many it delivered. */
static uint16_t b_takes(struct wire *w, struct rte_mbuf **m, uint16_t n)
{
	struct evs_tun_meta meta[8];
	uint16_t tp[8], got;

	got = evs_overlay_rx_burst(hb.ov, evs_overlay_dp_get(hb.ov), w->eb, 3, m, n, tp, meta,
				   &w->sb);
	free_all(m, got);
	return got;
}

/* B's peer A moves behind a NAT (10.9.0.77): B follows once A's packets
 * from there pass their ICV (its frames and keepalives go there, sa.stats
 * shows it), never for a forged or replayed one, nor for a late packet
 * from the old address; the controller's own address wins again. */
START_TEST(test_nat_address_followed)
{
	struct rte_mbuf *m[8], *copy[8], *replay;
	struct evs_ctl_err err;
	struct wire w;

	pair(&w, "\"udp_encap\": true");
	sa_ok(&hb, "h1", "out", 6000, "\"udp_encap\": true");
	ck_assert_uint_eq(b_sends_to(&w), 1);
	/* forged from .66: an auth drop, nothing learnt */
	ck_assert_uint_eq(a_send(&w, m, copy, 1, 200, 21), 1);
	resource(m[0], 66);
	rte_pktmbuf_mtod(m[0], uint8_t *)[m[0]->data_len - 3] ^= 1;
	ck_assert_uint_eq(b_takes(&w, m, 1), 0);
	ck_assert_uint_eq(w.sb.drops[EVS_OVL_DROP_DECRYPT], 1);
	ck_assert_uint_eq(w.sb.drops[EVS_OVL_DROP_UNKNOWN_VTEP], 0);
	evs_overlay_poll(hb.ov);
	ck_assert_uint_eq(b_sends_to(&w), 1);
	ck_assert_int_eq(nat_stat(&hb, "h1", "peer_moves"), 0);
	free_all(copy, 1);
	/* four more; the last three arrive from .77 (one kept to replay) */
	ck_assert_uint_eq(a_send(&w, m, copy, 4, 200, 22), 4);
	free_all(copy, 4);
	for (uint16_t i = 1; i < 4; i++)
		resource(m[i], 77);
	replay = ct_clone(m[2]);
	ck_assert_uint_eq(b_takes(&w, m + 1, 3), 3);
	evs_overlay_poll(hb.ov);
	ck_assert_uint_eq(b_sends_to(&w), 77);
	ck_assert_int_eq(nat_stat(&hb, "h1", "peer_moves"), 1);
	{
		json_t *doc = evs_overlay_sa_stats(hb.ov, "h1");

		ck_assert_str_eq(
		    json_string_value(json_object_get(json_object_get(doc, "nat"), "address_now")),
		    "10.9.0.77");
		json_decref(doc);
	}
	/* the first, late, from the old address: delivered, and nothing moves */
	ck_assert_uint_eq(b_takes(&w, m, 1), 1);
	/* a replay from .99: a replay drop, nothing moves */
	resource(replay, 99);
	ck_assert_uint_eq(b_takes(&w, &replay, 1), 0);
	ck_assert_uint_eq(w.sb.drops[EVS_OVL_DROP_DECRYPT], 2);
	evs_overlay_poll(hb.ov);
	ck_assert_uint_eq(b_sends_to(&w), 77);
	ck_assert_int_eq(nat_stat(&hb, "h1", "peer_moves"), 1);
	/* the controller moves it: its address wins over what was seen before */
	ck_assert_int_eq(txn1(&hb, "=vtep {\"name\": \"h1\", \"address\": \"10.9.0.5\"}", &err), 0);
	ck_assert_uint_eq(b_sends_to(&w), 5);
	evs_overlay_poll(hb.ov);
	ck_assert_uint_eq(b_sends_to(&w), 5);
	/* until newer verified packets come from .77 again */
	ck_assert_uint_eq(a_send(&w, m, copy, 2, 200, 23), 2);
	free_all(copy, 2);
	resource(m[0], 77);
	resource(m[1], 77);
	ck_assert_uint_eq(b_takes(&w, m, 2), 2);
	evs_overlay_poll(hb.ov);
	ck_assert_uint_eq(b_sends_to(&w), 77);
	ck_assert_int_eq(nat_stat(&hb, "h1", "peer_moves"), 2);
	wire_fini(&w);
}
END_TEST

/* Tunnel mode: the outer header from the underlay's and the VTEP's
 * addresses, ESP then the whole tunnel packet; in UDP too. */
static void tunnel_pair(const char *extra, bool udp)
{
	struct rte_mbuf *m[32], *copy[32];
	struct wire w;
	uint16_t k;

	pair(&w, extra);
	k = a_send(&w, m, copy, 32, 0, 7);
	ck_assert_uint_eq(k, 32);
	for (uint16_t i = 0; i < k; i++) {
		const uint8_t *ip = l3_of(m[i]);
		unsigned int esp = 20 + (udp ? 8 : 0);

		ck_assert_uint_eq(ip[9], udp ? IPPROTO_UDP : IPPROTO_ESP);
		ck_assert_mem_eq(ip + 12, ((const uint8_t[]){10, 9, 0, 1, 10, 9, 0, 2}), 8);
		/* outer 20 + (UDP) + ESP 16 + inner IPv4 20 + UDP 8 + GENEVE 8 + frame
		 * + pad + 2 + ICV 16 */
		ck_assert_uint_ge(rte_be_to_cpu_16(((const struct rte_ipv4_hdr *)ip)->total_length),
				  esp + 16 + 20 + 8 + 8 + copy[i]->pkt_len + 2 + 16);
		ck_assert_uint_eq(ip[esp + 2], 5000 >> 8);
	}
	ck_assert_uint_eq(b_receive(&w, m, copy, k, 32), 32);
	/* the inner MTU is an outer IPv4 header shorter than transport mode's:
	 * 1500 - 36 (GENEVE) - 45 (ESP, UDP) - 20 */
	k = a_send(&w, m, copy, 1, 1399, 8);
	ck_assert_uint_eq(k, 1);
	ck_assert_uint_eq(b_receive(&w, m, copy, k, 1), 1);
	ck_assert_uint_eq(a_send(&w, m, copy, 1, 1400, 9), 0);
	free_all(copy, 1);
	ck_assert_uint_eq(w.sa.drops[EVS_OVL_DROP_TUNNEL], 1);
	wire_fini(&w);
}

START_TEST(test_tunnel_mode_between_hosts)
{
	tunnel_pair("\"mode\": \"tunnel\"", false);
}
END_TEST

START_TEST(test_tunnel_mode_in_udp)
{
	tunnel_pair("\"mode\": \"tunnel\", \"udp_encap\": true", true);
}
END_TEST

/* Transport mode keeps the frame limit of before (1419); switching the SAs
 * to tunnel mode shortens it at once (the tunnels are restaged). */
START_TEST(test_mode_change_restages_mtu)
{
	struct rte_mbuf *m[1], *copy[1];
	struct evs_ctl_err err;
	struct wire w;
	const char *ops[] = {
	    "+sa {\"vtep\": \"h2\", \"dir\": \"out\", \"spi\": 5001, \"key\": \"" KEY_A
	    "\", \"salt\": \"0a0b0c0d\", \"mode\": \"tunnel\"}",
	};

	pair(&w, "");
	ck_assert_uint_eq(a_send(&w, m, copy, 1, 1419, 1), 1);
	ck_assert_uint_eq(b_receive(&w, m, copy, 1, 1), 1);
	ck_assert_uint_eq(a_send(&w, m, copy, 1, 1420, 1), 0);
	free_all(copy, 1);
	ck_assert_int_eq(txn1(&ha, "-sa {\"vtep\": \"h2\", \"dir\": \"out\"}", &err), 0);
	ck_assert_msg(txn_on(&ha, ops, 1, &err) == 0, "%s", err.message);
	ck_assert_uint_eq(a_send(&w, m, copy, 1, 1400, 2), 0);
	free_all(copy, 1);
	ck_assert_uint_eq(w.sa.drops[EVS_OVL_DROP_TUNNEL], 2);
	wire_fini(&w);
}
END_TEST

void overlay_natt_add_cases(Suite *s)
{
	const struct unit_case cases[] = {
	    {"natt_config_refusals", test_natt_config_refusals},
	    {"natt_receive_ports_limited", test_natt_receive_ports_limited},
	    {"esp_in_udp_between_hosts", test_esp_in_udp_between_hosts},
	    {"esp_in_udp_configured_ports", test_esp_in_udp_configured_ports},
	    {"esp_in_udp_needs_the_port", test_esp_in_udp_needs_the_port},
	    {"keepalive_and_marker_counted", test_keepalive_and_marker_counted},
	    {"nat_port_followed", test_nat_port_followed},
	    {"esp_port_never_a_decap_port", test_esp_port_never_a_decap_port},
	    {"keepalive_sent", test_keepalive_sent},
	    {"keepalive_only_when_idle", test_keepalive_only_when_idle},
	    {"nat_address_followed", test_nat_address_followed},
	    {"tunnel_mode_between_hosts", test_tunnel_mode_between_hosts},
	    {"tunnel_mode_in_udp", test_tunnel_mode_in_udp},
	    {"mode_change_restages_mtu", test_mode_change_restages_mtu},
	};

	unit_add_cases(s, cases, RTE_DIM(cases), setup, teardown, 0);
}
