/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Conntrack unit suite: protocol state machines, zones, limits, expiry,
 * mark/label. NAT cases live in test_conntrack_nat.c, the random and
 * concurrency cases in test_conntrack_model.c; this file holds main.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <rte_malloc.h>

#include "ct_test.h"
#include "unit_case.h"
#include "unit_eal.h"

struct rte_mempool *pool;

#define C "10.0.0.1"
#define S "10.0.0.2"

static struct spec tcp(bool from_client, uint8_t flags, uint32_t seq, uint32_t ack)
{
	struct spec s = {.src = from_client ? C : S,
			 .dst = from_client ? S : C,
			 .proto = IPPROTO_TCP,
			 .sport = from_client ? 40000 : 80,
			 .dport = from_client ? 80 : 40000,
			 .flags = flags,
			 .seq = seq,
			 .ack = ack};
	return s;
}

/* SYN, SYN-ACK, ACK; client ISN 1000, server ISN 5000. */
static void handshake(void)
{
	struct spec s;

	s = tcp(true, SYN, 1000, 0);
	ck_assert_uint_eq(send1(&s, NULL), CT_NEW);
	s = tcp(false, SYN | ACK, 5000, 1001);
	ck_assert_uint_eq(send1(&s, NULL), CT_RPL);
	s = tcp(true, ACK, 1001, 5001);
	ck_assert_uint_eq(send1(&s, NULL), CT_EST);
}

START_TEST(test_tcp_handshake_and_data)
{
	struct spec s;

	handshake();
	ck_assert_int_eq(conn_state(0, IPPROTO_TCP), EVS_CT_TCP_ESTABLISHED);
	s = tcp(true, ACK | PSH, 1001, 5001);
	s.payload = 100;
	ck_assert_uint_eq(send1(&s, NULL), CT_EST);
	s = tcp(false, ACK | PSH, 5001, 1101);
	s.payload = 50;
	ck_assert_uint_eq(send1(&s, NULL), CT_RPL);
	ck_assert_uint_eq(live_conns(), 1);
	ck_assert_uint_eq(counter(EVS_CT_C_CREATED), 1);
	ck_assert_uint_eq(counter(EVS_CT_C_HIT), 4);
}
END_TEST

START_TEST(test_tcp_syn_retransmit_stays_new)
{
	struct spec s = tcp(true, SYN, 1000, 0);

	ck_assert_uint_eq(send1(&s, NULL), CT_NEW);
	ck_assert_uint_eq(send1(&s, NULL), CT_NEW);
	ck_assert_int_eq(conn_state(0, IPPROTO_TCP), EVS_CT_TCP_SYN_SENT);
	ck_assert_uint_eq(live_conns(), 1);
}
END_TEST

START_TEST(test_tcp_out_of_window_invalid)
{
	struct spec s;

	handshake();
	s = tcp(true, ACK, 1001 + 10000000, 5001);
	s.payload = 10;
	ck_assert_uint_eq(send1(&s, NULL), CT_INV);
	ck_assert_uint_eq(counter(EVS_CT_C_INV_TCP_WINDOW), 1);
	/* acknowledging data the server never sent */
	s = tcp(true, ACK, 1001, 5001 + 100000);
	ck_assert_uint_eq(send1(&s, NULL), CT_INV);
	ck_assert_uint_eq(counter(EVS_CT_C_INV_TCP_WINDOW), 2);
	/* the connection is untouched: in-window data still passes */
	s = tcp(true, ACK, 1001, 5001);
	s.payload = 10;
	ck_assert_uint_eq(send1(&s, NULL), CT_EST);
}
END_TEST

START_TEST(test_tcp_liberal_zone_skips_window)
{
	struct evs_ct_zone_conf zc;
	struct evs_ct_action a = act_commit(7);
	struct spec s;

	evs_ct_zone_conf_default(&zc);
	zc.tcp_liberal = true;
	ck_assert_int_eq(evs_ct_zone_set(ct, 7, &zc), 0);
	s = tcp(true, SYN, 1000, 0);
	ck_assert_uint_eq(send1(&s, &a), CT_NEW);
	s = tcp(false, SYN | ACK, 5000, 1001);
	ck_assert_uint_eq(send1(&s, &a), CT_RPL);
	s = tcp(true, ACK, 1001 + 10000000, 5001);
	s.payload = 10;
	ck_assert_uint_eq(send1(&s, &a), CT_EST);
	ck_assert_uint_eq(counter(EVS_CT_C_INV_TCP_WINDOW), 0);
}
END_TEST

START_TEST(test_tcp_retransmitted_data_passes)
{
	struct spec s;

	handshake();
	s = tcp(true, ACK | PSH, 1001, 5001);
	s.payload = 100;
	ck_assert_uint_eq(send1(&s, NULL), CT_EST);
	ck_assert_uint_eq(send1(&s, NULL), CT_EST);
	ck_assert_uint_eq(counter(EVS_CT_C_INV_TCP_WINDOW), 0);
}
END_TEST

START_TEST(test_tcp_fin_close_states)
{
	struct spec s;

	handshake();
	s = tcp(true, FIN | ACK, 1001, 5001);
	ck_assert_uint_eq(send1(&s, NULL), CT_EST);
	ck_assert_int_eq(conn_state(0, IPPROTO_TCP), EVS_CT_TCP_FIN_WAIT);
	s = tcp(false, ACK, 5001, 1002);
	ck_assert_uint_eq(send1(&s, NULL), CT_RPL);
	ck_assert_int_eq(conn_state(0, IPPROTO_TCP), EVS_CT_TCP_CLOSE_WAIT);
	/* half-closed: the server still sends data */
	s = tcp(false, ACK | PSH, 5001, 1002);
	s.payload = 20;
	ck_assert_uint_eq(send1(&s, NULL), CT_RPL);
	s = tcp(false, FIN | ACK, 5021, 1002);
	ck_assert_uint_eq(send1(&s, NULL), CT_RPL);
	ck_assert_int_eq(conn_state(0, IPPROTO_TCP), EVS_CT_TCP_LAST_ACK);
	s = tcp(true, ACK, 1002, 5022);
	ck_assert_uint_eq(send1(&s, NULL), CT_EST);
	ck_assert_int_eq(conn_state(0, IPPROTO_TCP), EVS_CT_TCP_TIME_WAIT);
	/* TIME_WAIT lasts 120 s */
	advance(119 * 1000);
	ck_assert_uint_eq(live_conns(), 1);
	advance(2 * 1000);
	ck_assert_uint_eq(live_conns(), 0);
}
END_TEST

START_TEST(test_tcp_rst_closes_then_syn_reopens)
{
	struct spec s;

	handshake();
	/* the client resets and reconnects: a new connection */
	s = tcp(true, RST, 1001, 0);
	ck_assert_uint_eq(send1(&s, NULL), CT_EST);
	ck_assert_int_eq(conn_state(0, IPPROTO_TCP), EVS_CT_TCP_CLOSE);
	s = tcp(true, SYN, 90000, 0);
	ck_assert_uint_eq(send1(&s, NULL), CT_NEW);
	ck_assert_int_eq(conn_state(0, IPPROTO_TCP), EVS_CT_TCP_SYN_SENT);
	ck_assert_uint_eq(counter(EVS_CT_C_CREATED), 2);
	ck_assert_uint_eq(live_conns(), 1);
}
END_TEST

/* EVS_CT_F_ONEWAY (direct server return): only the client's side passes.
 * Its ACK after a SYN whose SYN-ACK never passed is fine (it is invalid
 * for a two-way entry), data far beyond any window too; FIN closes, a SYN
 * after it is a new connection, RST ends it at once. */
START_TEST(test_tcp_oneway)
{
	struct evs_ct_action a = act_commit(0);
	struct spec s = tcp(true, SYN, 1000, 0);

	/* two-way (zone 1): the ACK without the handshake is invalid */
	a.zone = 1;
	ck_assert_uint_eq(send1(&s, &a), CT_NEW);
	s = tcp(true, ACK, 1001, 5001);
	ck_assert_uint_eq(send1(&s, &a), CT_INV);
	a.zone = 0;

	a.flags |= EVS_CT_F_ONEWAY;
	s = tcp(true, SYN, 1000, 0);
	ck_assert_uint_eq(send1(&s, &a), CT_NEW);
	ck_assert_uint_eq(send1(&s, &a), CT_NEW); /* retransmitted */
	ck_assert_int_eq(conn_state(0, IPPROTO_TCP), EVS_CT_TCP_SYN_SENT);
	s = tcp(true, ACK, 1001, 5001);
	ck_assert_uint_eq(send1(&s, &a), CT_NEW); /* never +est: no reply seen */
	ck_assert_int_eq(conn_state(0, IPPROTO_TCP), EVS_CT_TCP_ESTABLISHED);
	s = tcp(true, ACK | PSH, 900000000, 77);
	s.payload = 1000;
	ck_assert_uint_eq(send1(&s, &a), CT_NEW);
	s = tcp(true, FIN | ACK, 900001000, 77);
	ck_assert_uint_eq(send1(&s, &a), CT_NEW);
	ck_assert_int_eq(conn_state(0, IPPROTO_TCP), EVS_CT_TCP_FIN_WAIT);
	s = tcp(true, SYN, 7000, 0);
	ck_assert_uint_eq(send1(&s, &a), CT_NEW);
	ck_assert_int_eq(conn_state(0, IPPROTO_TCP), EVS_CT_TCP_SYN_SENT);
	ck_assert_uint_eq(counter(EVS_CT_C_CREATED), 3);
	s = tcp(true, RST, 7001, 0);
	ck_assert_uint_eq(send1(&s, &a), CT_NEW);
	ck_assert_uint_eq(live_conns(), 1);		       /* zone 1's */
	ck_assert_uint_eq(counter(EVS_CT_C_INV_TCP_STATE), 1); /* the two-way ACK only */
}
END_TEST

START_TEST(test_tcp_stray_syn_ignored_then_resync)
{
	struct spec s;

	handshake();
	/* the server resets; a client SYN may be stray: it passes unchanged */
	s = tcp(false, RST, 5001, 0);
	ck_assert_uint_eq(send1(&s, NULL), CT_RPL);
	s = tcp(true, SYN, 90000, 0);
	ck_assert_uint_eq(send1(&s, NULL), CT_EST);
	ck_assert_int_eq(conn_state(0, IPPROTO_TCP), EVS_CT_TCP_CLOSE);
	/* the server answers it: both hosts agree, we follow */
	s = tcp(false, SYN | ACK, 70000, 90001);
	ck_assert_uint_eq(send1(&s, NULL), CT_RPL);
	ck_assert_int_eq(conn_state(0, IPPROTO_TCP), EVS_CT_TCP_SYN_RECV);
	s = tcp(true, ACK, 90001, 70001);
	ck_assert_uint_eq(send1(&s, NULL), CT_EST);
	ck_assert_int_eq(conn_state(0, IPPROTO_TCP), EVS_CT_TCP_ESTABLISHED);
	/* and track the new sequence space */
	s = tcp(true, ACK, 90001 + 10000000, 70001);
	s.payload = 1;
	ck_assert_uint_eq(send1(&s, NULL), CT_INV);
	ck_assert_uint_eq(counter(EVS_CT_C_CREATED), 1);
}
END_TEST

/* Only the segment right after a stray SYN may resync on its answer: an
 * ACK in between (the usual established one) ends that chance, as Linux
 * keeps only the last segment. */
START_TEST(test_tcp_syn_answer_after_ack_no_resync)
{
	struct spec s;

	handshake();
	s = tcp(true, SYN, 90000, 0);
	ck_assert_uint_eq(send1(&s, NULL), CT_EST); /* stray: passes, changes nothing */
	s = tcp(true, ACK, 1001, 5001);
	ck_assert_uint_eq(send1(&s, NULL), CT_EST);
	/* an answer to that SYN now is one more stray segment */
	s = tcp(false, SYN | ACK, 70000, 90001);
	ck_assert_uint_eq(send1(&s, NULL), CT_RPL);
	ck_assert_int_eq(conn_state(0, IPPROTO_TCP), EVS_CT_TCP_ESTABLISHED);
	/* the old sequence space still holds */
	s = tcp(true, ACK | PSH, 1001, 5001);
	s.payload = 10;
	ck_assert_uint_eq(send1(&s, NULL), CT_EST);
	s = tcp(true, ACK, 90001, 70001);
	ck_assert_uint_eq(send1(&s, NULL), CT_INV);
}
END_TEST

START_TEST(test_tcp_refused_rst_must_ack_syn)
{
	struct spec s = tcp(true, SYN, 1000, 0);

	ck_assert_uint_eq(send1(&s, NULL), CT_NEW);
	s = tcp(false, RST | ACK, 0, 999);
	ck_assert_uint_eq(send1(&s, NULL), CT_INV);
	ck_assert_int_eq(conn_state(0, IPPROTO_TCP), EVS_CT_TCP_SYN_SENT);
	s = tcp(false, RST | ACK, 0, 1001);
	ck_assert_uint_eq(send1(&s, NULL), CT_RPL);
	/* refused before any reply: forgotten at once, a new SYN is new */
	ck_assert_uint_eq(live_conns(), 0);
	s = tcp(true, SYN, 3000, 0);
	ck_assert_uint_eq(send1(&s, NULL), CT_NEW);
}
END_TEST

START_TEST(test_tcp_cannot_start_without_syn_or_ack)
{
	struct spec s;

	s = tcp(false, SYN | ACK, 5000, 1001);
	ck_assert_uint_eq(send1(&s, NULL), CT_INV);
	s = tcp(true, FIN | ACK, 1, 1);
	ck_assert_uint_eq(send1(&s, NULL), CT_INV);
	s = tcp(true, RST, 1, 0);
	ck_assert_uint_eq(send1(&s, NULL), CT_INV);
	s = tcp(true, SYN | FIN, 1, 0);
	ck_assert_uint_eq(send1(&s, NULL), CT_INV);
	ck_assert_uint_eq(counter(EVS_CT_C_INV_NEW), 4);
	ck_assert_uint_eq(live_conns(), 0);
	/* a bare ACK is picked up mid-stream (Linux's loose mode) */
	s = tcp(true, ACK, 777, 888);
	ck_assert_uint_eq(send1(&s, NULL), CT_NEW);
	ck_assert_int_eq(conn_state(0, IPPROTO_TCP), EVS_CT_TCP_ESTABLISHED);
}
END_TEST

START_TEST(test_tcp_bad_flags_on_connection)
{
	struct spec s;

	handshake();
	s = tcp(true, SYN | FIN | ACK, 1001, 5001);
	ck_assert_uint_eq(send1(&s, NULL), CT_INV);
	ck_assert_uint_eq(counter(EVS_CT_C_INV_TCP_FLAGS), 1);
}
END_TEST

START_TEST(test_tcp_window_scale)
{
	struct spec s = tcp(true, SYN, 1000, 0);

	/* both offer scale 7: a 1000-byte window means 128000 bytes */
	s.wscale = 7;
	ck_assert_uint_eq(send1(&s, NULL), CT_NEW);
	s = tcp(false, SYN | ACK, 5000, 1001);
	s.wscale = 7;
	ck_assert_uint_eq(send1(&s, NULL), CT_RPL);
	s = tcp(true, ACK, 1001, 5001);
	s.win = 1000;
	ck_assert_uint_eq(send1(&s, NULL), CT_EST);
	/* the server may send 100000 bytes ahead */
	s = tcp(false, ACK, 5001 + 100000, 1001);
	s.win = 1000;
	s.payload = 10;
	ck_assert_uint_eq(send1(&s, NULL), CT_RPL);
	/* overshooting the window by less than a window is tolerated */
	s = tcp(false, ACK, 5001 + 200000, 1001);
	s.win = 1000;
	s.payload = 10;
	ck_assert_uint_eq(send1(&s, NULL), CT_RPL);
	/* by more, not */
	s = tcp(false, ACK, 5001 + 400000, 1001);
	s.win = 1000;
	s.payload = 10;
	ck_assert_uint_eq(send1(&s, NULL), CT_INV);
}
END_TEST

START_TEST(test_udp_unreplied_then_replied)
{
	struct spec q = {.src = C, .dst = S, .proto = IPPROTO_UDP, .sport = 5000, .dport = 53};
	struct spec r = {.src = S, .dst = C, .proto = IPPROTO_UDP, .sport = 53, .dport = 5000};

	ck_assert_uint_eq(send1(&q, NULL), CT_NEW);
	ck_assert_uint_eq(send1(&q, NULL), CT_NEW);
	/* unreplied: gone after 30 s */
	advance(31 * 1000);
	ck_assert_uint_eq(live_conns(), 0);
	ck_assert_uint_eq(counter(EVS_CT_C_EXPIRED), 1);
	ck_assert_uint_eq(send1(&q, NULL), CT_NEW);
	ck_assert_uint_eq(send1(&r, NULL), CT_RPL);
	ck_assert_uint_eq(send1(&q, NULL), CT_EST);
	/* replied: 120 s */
	advance(100 * 1000);
	ck_assert_uint_eq(live_conns(), 1);
	ck_assert_uint_eq(send1(&q, NULL), CT_EST);
	advance(110 * 1000);
	ck_assert_uint_eq(live_conns(), 1);
	advance(11 * 1000);
	ck_assert_uint_eq(live_conns(), 0);
}
END_TEST

START_TEST(test_udp_not_committed_leaves_nothing)
{
	struct spec q = {.src = C, .dst = S, .proto = IPPROTO_UDP, .sport = 5000, .dport = 53};
	struct evs_ct_action a = act_commit(0);

	a.flags = 0;
	ck_assert_uint_eq(send1(&q, &a), CT_NEW);
	ck_assert_uint_eq(live_conns(), 0);
	ck_assert_uint_eq(counter(EVS_CT_C_CREATED), 0);
}
END_TEST

START_TEST(test_icmp_echo_by_identifier)
{
	struct spec req = {.src = C, .dst = S, .proto = IPPROTO_ICMP, .icmp_type = 8, .icmp_id = 7};
	struct spec rep = {.src = S, .dst = C, .proto = IPPROTO_ICMP, .icmp_type = 0, .icmp_id = 7};
	struct spec other = rep;

	other.icmp_id = 8;
	ck_assert_uint_eq(send1(&rep, NULL), CT_INV); /* a reply starts nothing */
	ck_assert_uint_eq(send1(&req, NULL), CT_NEW);
	ck_assert_uint_eq(send1(&rep, NULL), CT_RPL);
	ck_assert_uint_eq(send1(&req, NULL), CT_EST);
	ck_assert_uint_eq(send1(&other, NULL), CT_INV);
	ck_assert_uint_eq(live_conns(), 1);
}
END_TEST

START_TEST(test_icmp_error_related)
{
	struct spec s = tcp(true, SYN, 1000, 0);
	struct spec err = {
	    .src = "10.9.9.9", .dst = C, .proto = IPPROTO_ICMP, .icmp_type = 3, .icmp_code = 1};
	struct evs_flow_key k;
	struct rte_mbuf *syn = build(&s, &k);

	ck_assert_uint_eq(send1(&s, NULL), CT_NEW);
	/* a router on the way says the server is unreachable */
	err.quote = syn;
	ck_assert_uint_eq(send1(&err, NULL), EVS_CT_TRACKED | EVS_CT_RELATED | EVS_CT_REPLY);
	rte_pktmbuf_free(syn);
	/* quoting a connection we never saw */
	s = tcp(true, SYN, 1000, 0);
	s.dport = 81;
	syn = build(&s, &k);
	err.quote = syn;
	ck_assert_uint_eq(send1(&err, NULL), CT_INV);
	ck_assert_uint_eq(counter(EVS_CT_C_INV_ICMP_ERROR), 1);
	rte_pktmbuf_free(syn);
}
END_TEST

START_TEST(test_ipv6_tcp_udp_icmpv6)
{
	struct spec s = {.src = "fd00::1",
			 .dst = "fd00::2",
			 .proto = IPPROTO_TCP,
			 .sport = 1,
			 .dport = 2,
			 .flags = SYN,
			 .seq = 10};
	struct spec e = {.src = "fd00::1",
			 .dst = "fd00::2",
			 .proto = IPPROTO_ICMPV6,
			 .icmp_type = 128,
			 .icmp_id = 3};
	struct spec err = {
	    .src = "fd00::99", .dst = "fd00::1", .proto = IPPROTO_ICMPV6, .icmp_type = 1};
	struct evs_flow_key k;
	struct rte_mbuf *q;

	ck_assert_uint_eq(send1(&s, NULL), CT_NEW);
	s = (struct spec){.src = "fd00::2",
			  .dst = "fd00::1",
			  .proto = IPPROTO_TCP,
			  .sport = 2,
			  .dport = 1,
			  .flags = SYN | ACK,
			  .seq = 99,
			  .ack = 11};
	ck_assert_uint_eq(send1(&s, NULL), CT_RPL);
	ck_assert_uint_eq(send1(&e, NULL), CT_NEW);
	e = (struct spec){.src = "fd00::2",
			  .dst = "fd00::1",
			  .proto = IPPROTO_ICMPV6,
			  .icmp_type = 129,
			  .icmp_id = 3};
	ck_assert_uint_eq(send1(&e, NULL), CT_RPL);
	s = (struct spec){
	    .src = "fd00::1", .dst = "fd00::2", .proto = IPPROTO_UDP, .sport = 9, .dport = 10};
	q = build(&s, &k);
	ck_assert_uint_eq(send1(&s, NULL), CT_NEW);
	err.quote = q;
	ck_assert_uint_eq(send1(&err, NULL), EVS_CT_TRACKED | EVS_CT_RELATED | EVS_CT_REPLY);
	rte_pktmbuf_free(q);
	ck_assert_uint_eq(live_conns(), 3);
}
END_TEST

START_TEST(test_other_protocol_by_address_pair)
{
	struct spec g = {.src = C, .dst = S, .proto = 47};
	struct spec r = {.src = S, .dst = C, .proto = 47};

	ck_assert_uint_eq(send1(&g, NULL), CT_NEW);
	ck_assert_uint_eq(send1(&r, NULL), CT_RPL);
	ck_assert_uint_eq(send1(&g, NULL), CT_EST);
	advance(599 * 1000);
	ck_assert_uint_eq(live_conns(), 1);
	advance(2 * 1000);
	ck_assert_uint_eq(live_conns(), 0);
}
END_TEST

START_TEST(test_zones_are_separate)
{
	struct spec q = {.src = C, .dst = S, .proto = IPPROTO_UDP, .sport = 1, .dport = 2};
	struct spec r = {.src = S, .dst = C, .proto = IPPROTO_UDP, .sport = 2, .dport = 1};
	struct evs_ct_action z1 = act_commit(1), z2 = act_commit(2);

	ck_assert_uint_eq(send1(&q, &z1), CT_NEW);
	ck_assert_uint_eq(send1(&q, &z2), CT_NEW);
	ck_assert_uint_eq(send1(&r, &z1), CT_RPL);
	ck_assert_uint_eq(send1(&q, &z2), CT_NEW); /* zone 2 saw no reply */
	ck_assert_uint_eq(evs_ct_zone_count(ct, 1), 1);
	ck_assert_uint_eq(evs_ct_zone_count(ct, 2), 1);
	ck_assert_uint_eq(evs_ct_flush(ct, 1), 1);
	ck_assert_uint_eq(live_conns(), 1);
	ck_assert_uint_eq(send1(&r, &z1), CT_NEW); /* the reply now starts a connection */
}
END_TEST

START_TEST(test_zone_timeouts)
{
	struct evs_ct_zone_conf zc;
	struct evs_ct_action a = act_commit(3);
	struct spec q = {.src = C, .dst = S, .proto = IPPROTO_UDP, .sport = 1, .dport = 2};

	evs_ct_zone_conf_default(&zc);
	zc.timeouts.udp_unreplied = 5;
	ck_assert_int_eq(evs_ct_zone_set(ct, 3, &zc), 0);
	zc.timeouts.icmp = 0;
	ck_assert_int_eq(evs_ct_zone_set(ct, 3, &zc), -EINVAL);
	ck_assert_uint_eq(send1(&q, &a), CT_NEW);
	ck_assert_uint_eq(send1(&q, NULL), CT_NEW); /* zone 0: default 30 s */
	advance(6 * 1000);
	ck_assert_uint_eq(evs_ct_zone_count(ct, 3), 0);
	ck_assert_uint_eq(evs_ct_zone_count(ct, 0), 1);
}
END_TEST

START_TEST(test_global_limit_refuses_keeps_established)
{
	struct evs_ct *t = new_table("small", 4, 1);
	struct evs_ct_lcore *saved = lc;
	struct evs_ct *saved_ct = ct;
	struct spec q = {.src = C, .dst = S, .proto = IPPROTO_UDP, .sport = 1, .dport = 2};
	struct spec r = {.src = S, .dst = C, .proto = IPPROTO_UDP, .sport = 2, .dport = 1};
	uint16_t p;

	ct = t;
	lc = evs_ct_lcore_get(t, 0);
	for (p = 1; p <= 4; p++) {
		q.sport = p;
		ck_assert_uint_eq(send1(&q, NULL), CT_NEW);
	}
	q.sport = 5;
	ck_assert_uint_eq(send1(&q, NULL), CT_INV);
	ck_assert_uint_eq(counter(EVS_CT_C_REFUSED_GLOBAL), 1);
	/* the ones we have still work */
	r.dport = 3;
	ck_assert_uint_eq(send1(&r, NULL), CT_RPL);
	ck_assert_uint_eq(live_conns(), 4);
	evs_ct_free(t);
	ct = saved_ct;
	lc = saved;
}
END_TEST

START_TEST(test_flush_of_full_table_frees_at_once)
{
	struct evs_ct *t = new_table("full", 4, 1);
	struct evs_ct_lcore *saved = lc;
	struct evs_ct *saved_ct = ct;
	struct spec q = {.src = C, .dst = S, .proto = IPPROTO_UDP, .sport = 1, .dport = 2};
	uint16_t p;
	int calls = 0;

	ct = t;
	lc = evs_ct_lcore_get(t, 0);
	for (p = 1; p <= 4; p++) {
		q.sport = p;
		ck_assert_uint_eq(send1(&q, NULL), CT_NEW);
	}
	ck_assert_uint_eq(evs_ct_flush(ct, -1), 4);
	ck_assert_uint_eq(live_conns(), 0);
	/* the memory is still in the wheel: the first commit waits for it */
	q.sport = 10;
	ck_assert_uint_eq(send1(&q, NULL), CT_INV);
	ck_assert_uint_eq(counter(EVS_CT_C_REFUSED_GLOBAL), 1);
	/* a few budgeted calls later (no time passes) the table is usable */
	while (evs_ct_expire(lc, 2) > 0)
		calls++;
	ck_assert_int_gt(calls, 1);
	for (p = 10; p < 14; p++) {
		q.sport = p;
		ck_assert_uint_eq(send1(&q, NULL), CT_NEW);
	}
	ck_assert_uint_eq(live_conns(), 4);
	evs_ct_free(t);
	ct = saved_ct;
	lc = saved;
}
END_TEST

START_TEST(test_zone_limit_refuses)
{
	struct evs_ct_zone_conf zc;
	struct evs_ct_action a = act_commit(9);
	struct spec q = {.src = C, .dst = S, .proto = IPPROTO_UDP, .sport = 1, .dport = 2};

	evs_ct_zone_conf_default(&zc);
	zc.limit = 2;
	ck_assert_int_eq(evs_ct_zone_set(ct, 9, &zc), 0);
	ck_assert_uint_eq(send1(&q, &a), CT_NEW);
	q.sport = 2;
	ck_assert_uint_eq(send1(&q, &a), CT_NEW);
	q.sport = 3;
	ck_assert_uint_eq(send1(&q, &a), CT_INV);
	ck_assert_uint_eq(counter(EVS_CT_C_REFUSED_ZONE), 1);
	ck_assert_uint_eq(send1(&q, NULL), CT_NEW); /* zone 0 has room */
	advance(31 * 1000);
	q.sport = 3;
	ck_assert_uint_eq(send1(&q, &a), CT_NEW); /* room again after expiry */
}
END_TEST

START_TEST(test_expiry_is_budgeted)
{
	struct spec q = {.src = C, .dst = S, .proto = IPPROTO_UDP, .sport = 1, .dport = 2};
	uint32_t i, n;

	for (i = 0; i < 500; i++) {
		q.sport = (uint16_t)(1000 + i);
		ck_assert_uint_eq(send1(&q, NULL), CT_NEW);
	}
	evs_ct_lcore_set_now(lc, T0 + 31 * 1000);
	/* every call does at most its budget; the backlog drains over calls */
	for (i = 0; i < 100; i++) {
		n = evs_ct_expire(lc, 16);
		ck_assert_uint_le(n, 16);
		if (n == 0)
			break;
	}
	ck_assert_uint_eq(live_conns(), 0);
	ck_assert_uint_eq(counter(EVS_CT_C_EXPIRED), 500);
	/* and the entries are reusable */
	for (i = 0; i < 1024; i++) {
		q.sport = (uint16_t)(3000 + i);
		ck_assert_msg(send1(&q, NULL) == CT_NEW, "conn %u: refused %lu %lu %lu", i,
			      counter(EVS_CT_C_REFUSED_GLOBAL), counter(EVS_CT_C_REFUSED_TABLE),
			      counter(EVS_CT_C_INV_NEW));
	}
	ck_assert_uint_eq(live_conns(), 1024);
}
END_TEST

START_TEST(test_traffic_keeps_connection_alive)
{
	struct spec q = {.src = C, .dst = S, .proto = IPPROTO_UDP, .sport = 1, .dport = 2};
	int i;

	ck_assert_uint_eq(send1(&q, NULL), CT_NEW);
	for (i = 0; i < 10; i++) {
		advance(20 * 1000);
		ck_assert_uint_eq(send1(&q, NULL), CT_NEW);
	}
	ck_assert_uint_eq(counter(EVS_CT_C_CREATED), 1);
	ck_assert_uint_eq(live_conns(), 1);
}
END_TEST

START_TEST(test_mark_and_label)
{
	struct spec q = {.src = C, .dst = S, .proto = IPPROTO_UDP, .sport = 1, .dport = 2};
	struct spec r = {.src = S, .dst = C, .proto = IPPROTO_UDP, .sport = 2, .dport = 1};
	struct evs_ct_action a = act_commit(0), plain = act_commit(0);
	struct evs_ct_conn_info ci;
	uint32_t pos = 0;

	plain.flags = 0;
	a.flags |= EVS_CT_F_SET_MARK | EVS_CT_F_SET_LABEL;
	a.mark = 0x1234;
	a.mark_mask = 0xffff;
	a.label[15] = 0x5;
	a.label_mask[15] = 0xff;
	ck_assert_uint_eq(send1(&q, &a), CT_NEW);
	ck_assert_uint_eq(evs_ct_burst_meta(lc, 0)->mark, 0x1234);
	ck_assert_uint_eq(send1(&r, &plain), CT_RPL);
	ck_assert_uint_eq(evs_ct_burst_meta(lc, 0)->mark, 0x1234);
	/* a masked update keeps the other bits */
	a.mark = 0xff0000;
	a.mark_mask = 0xff0000;
	ck_assert_uint_eq(send1(&q, &a), CT_EST);
	ck_assert_int_eq(evs_ct_iterate(ct, &pos, &ci), 0);
	ck_assert_uint_eq(ci.mark, 0xff1234);
	ck_assert_uint_eq(ci.label[15], 0x5);
	ck_assert_int_eq(evs_ct_iterate(ct, &pos, &ci), -ENOENT);
}
END_TEST

START_TEST(test_untrackable_packets_counted)
{
	struct spec q = {.src = C, .dst = S, .proto = IPPROTO_UDP, .sport = 1, .dport = 2};
	struct evs_ct_action a = act_commit(0);
	struct evs_flow_key k;
	struct rte_mbuf *m = build(&q, &k);

	k.ip_frag = EVS_FRAG_ANY;
	evs_ct_execute_burst(lc, &a, &m, &k, 1);
	ck_assert_uint_eq(k.ct_state, CT_INV);
	ck_assert_uint_eq(counter(EVS_CT_C_INV_FRAGMENT), 1);
	k.ip_frag = 0;
	k.ethertype = RTE_BE16(RTE_ETHER_TYPE_ARP);
	evs_ct_execute_burst(lc, &a, &m, &k, 1);
	ck_assert_uint_eq(k.ct_state, CT_INV);
	ck_assert_uint_eq(counter(EVS_CT_C_INV_L3), 1);
	ck_assert_uint_eq(live_conns(), 0);
	rte_pktmbuf_free(m);
}
END_TEST

/* 32-packet bursts of mixed flows: both directions of 16 UDP flows, the
 * second half of a burst replying to the first; duplicates inside a burst. */
START_TEST(test_mixed_bursts)
{
	struct rte_mbuf *m[32];
	struct evs_flow_key k[32];
	struct evs_ct_action a = act_commit(0);
	char src[32], dst[32];
	int i, round;

	for (round = 0; round < 3; round++) {
		for (i = 0; i < 32; i++) {
			bool reply = i >= 16;
			int f = i % 16;
			struct spec s = {.proto = IPPROTO_UDP};

			snprintf(src, sizeof(src), "10.1.0.%d", f + 1);
			snprintf(dst, sizeof(dst), "10.2.0.%d", f % 4 + 1);
			s.src = reply ? dst : src;
			s.dst = reply ? src : dst;
			s.sport = reply ? 53 : (uint16_t)(1000 + f);
			s.dport = reply ? (uint16_t)(1000 + f) : 53;
			m[i] = build(&s, &k[i]);
		}
		ck_assert_uint_eq(evs_ct_execute_burst(lc, &a, m, k, 32), 32);
		for (i = 0; i < 32; i++) {
			uint8_t want = i >= 16 ? CT_RPL : (round == 0 ? CT_NEW : CT_EST);

			ck_assert_msg(k[i].ct_state == want, "round %d pkt %d: %#x != %#x", round,
				      i, k[i].ct_state, want);
			ck_assert_uint_eq(k[i].ct_zone, 0);
			rte_pktmbuf_free(m[i]);
		}
	}
	ck_assert_uint_eq(live_conns(), 16);
	ck_assert_uint_eq(counter(EVS_CT_C_CREATED), 16);
}
END_TEST

/* The lb's commit: after one look over its burst it commits the packets
 * that missed one call at a time with EVS_CT_F_MISSED, skipping a second
 * look. Each packet must still get the state a plain look-and-commit gives:
 * a SYN-ACK whose SYN an earlier call committed, which could start nothing,
 * is that connection's reply; a retransmitted SYN joins it. */
START_TEST(test_missed_commit_same_states)
{
	static const uint8_t want[4] = {CT_NEW, CT_RPL, CT_EST, CT_NEW};
	struct evs_ct_action a = act_commit(0);
	int i;

	a.flags |= EVS_CT_F_MISSED;
	for (i = 0; i < 4; i++) {
		bool rpl = i == 1;
		struct spec s = {.src = rpl ? "10.2.0.1" : "10.1.0.1",
				 .dst = rpl ? "10.1.0.1" : "10.2.0.1",
				 .proto = IPPROTO_TCP,
				 .sport = rpl ? 80 : (uint16_t)(i == 3 ? 4001 : 4000),
				 .dport = rpl ? 4000 : 80,
				 .flags = rpl ? SYN | ACK : SYN,
				 .seq = rpl ? 5000 : 1000,
				 .ack = rpl ? 1001 : 0,
				 .win = 1000};
		uint8_t st = send1(&s, &a);

		ck_assert_msg(st == want[i], "pkt %d: %#x != %#x", i, st, want[i]);
	}
	ck_assert_uint_eq(live_conns(), 2);
	ck_assert_uint_eq(counter(EVS_CT_C_CREATED), 2);
	ck_assert_uint_eq(counter(EVS_CT_C_MISS), 2);
}
END_TEST

START_TEST(test_create_bad_config)
{
	struct evs_ct_config cfg = {.name = "x", .max_conns = 0, .n_lcores = 1};

	ck_assert_ptr_null(evs_ct_create(&cfg));
	ck_assert_int_eq(errno, EINVAL);
	cfg.max_conns = 10;
	cfg.n_lcores = 0;
	ck_assert_ptr_null(evs_ct_create(&cfg));
	ck_assert_ptr_null(evs_ct_create(NULL));
	evs_ct_free(NULL);
	ck_assert_ptr_null(evs_ct_lcore_get(ct, 1));
	ck_assert_str_eq(evs_ct_counter_name(EVS_CT_C_REFUSED_ZONE), "refused_zone_limit");
	ck_assert_str_eq(evs_ct_tcp_state_name(EVS_CT_TCP_TIME_WAIT), "TIME_WAIT");
}
END_TEST

/* The ingress prefetch's advice follows the key table's size: the default
 * 65536 connections keep their buckets within 4 MiB, 131072 do not. */
START_TEST(test_buckets_from_memory_by_size)
{
	struct evs_ct_config cfg = {
	    .name = "small", .max_conns = 65536, .n_lcores = 1, .socket_id = SOCKET_ID_ANY};
	struct evs_ct *t = evs_ct_create(&cfg);

	ck_assert_ptr_nonnull(t);
	ck_assert(!evs_ct_buckets_from_memory(t));
	evs_ct_free(t);
	cfg.name = "large";
	cfg.max_conns = 131072;
	t = evs_ct_create(&cfg);
	ck_assert_ptr_nonnull(t);
	ck_assert(evs_ct_buckets_from_memory(t));
	evs_ct_free(t);
}
END_TEST

static Suite *ct_suite(void)
{
	Suite *s = suite_create("conntrack");
	const struct unit_case cases[] = {
	    {"tcp_handshake_and_data", test_tcp_handshake_and_data},
	    {"buckets_from_memory_by_size", test_buckets_from_memory_by_size},
	    {"tcp_syn_retransmit_stays_new", test_tcp_syn_retransmit_stays_new},
	    {"tcp_out_of_window_invalid", test_tcp_out_of_window_invalid},
	    {"tcp_liberal_zone_skips_window", test_tcp_liberal_zone_skips_window},
	    {"tcp_retransmitted_data_passes", test_tcp_retransmitted_data_passes},
	    {"tcp_fin_close_states", test_tcp_fin_close_states},
	    {"tcp_rst_closes_then_syn_reopens", test_tcp_rst_closes_then_syn_reopens},
	    {"tcp_oneway", test_tcp_oneway},
	    {"tcp_stray_syn_ignored_then_resync", test_tcp_stray_syn_ignored_then_resync},
	    {"tcp_syn_answer_after_ack_no_resync", test_tcp_syn_answer_after_ack_no_resync},
	    {"tcp_refused_rst_must_ack_syn", test_tcp_refused_rst_must_ack_syn},
	    {"tcp_cannot_start_without_syn_or_ack", test_tcp_cannot_start_without_syn_or_ack},
	    {"tcp_bad_flags_on_connection", test_tcp_bad_flags_on_connection},
	    {"tcp_window_scale", test_tcp_window_scale},
	    {"udp_unreplied_then_replied", test_udp_unreplied_then_replied},
	    {"udp_not_committed_leaves_nothing", test_udp_not_committed_leaves_nothing},
	    {"icmp_echo_by_identifier", test_icmp_echo_by_identifier},
	    {"icmp_error_related", test_icmp_error_related},
	    {"ipv6_tcp_udp_icmpv6", test_ipv6_tcp_udp_icmpv6},
	    {"other_protocol_by_address_pair", test_other_protocol_by_address_pair},
	    {"zones_are_separate", test_zones_are_separate},
	    {"zone_timeouts", test_zone_timeouts},
	    {"global_limit_refuses_keeps_established", test_global_limit_refuses_keeps_established},
	    {"flush_of_full_table_frees_at_once", test_flush_of_full_table_frees_at_once},
	    {"zone_limit_refuses", test_zone_limit_refuses},
	    {"expiry_is_budgeted", test_expiry_is_budgeted},
	    {"traffic_keeps_connection_alive", test_traffic_keeps_connection_alive},
	    {"mark_and_label", test_mark_and_label},
	    {"untrackable_packets_counted", test_untrackable_packets_counted},
	    {"mixed_bursts", test_mixed_bursts},
	    {"missed_commit_same_states", test_missed_commit_same_states},
	    {"create_bad_config", test_create_bad_config},
	};

	unit_add_cases(s, cases, RTE_DIM(cases), ct_setup, ct_teardown, 0);
	ct_nat_add_cases(s);
	ct_nat_tpl_add_cases(s);
	ct_model_add_cases(s);
	ct_ctl_add_cases(s);
	ct_conf_add_cases(s);
	ct_op_add_cases(s);
	ct_pipeline_add_cases(s);
	ct_commit_add_cases(s);
	ct_frag_add_cases(s);
	ct_prefetch_add_cases(s);
	ct_tcp_est_add_cases(s);
	return s;
}

int main(void)
{
	int failed;

	if (unit_eal_init("test_conntrack", "ctct", "256") < 0)
		return 1;
	pool = rte_pktmbuf_pool_create("ctct_pool", 4096, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	if (pool == NULL) {
		fprintf(stderr, "setup failed\n");
		return 1;
	}
	failed = unit_run(ct_suite());
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return failed ? 1 : 0;
}
