/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The load balancer module through the real pipeline (lb_module_fixture.h):
 * VIP matching, backend choice, established connections, pool changes,
 * NAT variants (one-arm SNAT, DSR), traces and counters.
 */
#include "lb_module_fixture.h"
#include "lb_test.h"

/* New connections follow the Maglev table of the 5-tuple hash exactly, and
 * spread as the weights say; the frame leaves DNATed with good checksums. */
START_TEST(test_new_connections_follow_maglev)
{
	const struct evs_lb_state *ls;
	unsigned int per[4] = {0}, total = 0;

	ck_assert_int_eq(lbm_op(EVS_STORE_ADD, "lb.vip", VIP "}"), 0);
	lbm_backend("web", "10.0.1.1", "");
	lbm_backend("web", "10.0.1.2", "");
	lbm_backend("web", "10.0.1.3", ",\"weight\":2");
	ls = evs_lb_conf_state(lbm.lb);
	for (unsigned int b = 0; b < 1000; b++) {
		struct spec s[BURST];

		for (unsigned int i = 0; i < BURST; i++)
			s[i] = lbm_syn(b * BURST + i, (uint16_t)(1024 + rte_rand() % 60000));
		lbm_run(s, BURST);
		for (unsigned int i = 0; i < BURST; i++) {
			struct evs_flow_key k;
			struct rte_mbuf *m = build(&s[i], &k);
			uint32_t id =
			    evs_maglev_lookup(ls->cur->vip[0].maglev, evs_lb_flow_hash(&k));

			rte_pktmbuf_free(m);
			ck_assert_uint_ge(out_port[i], 1);
			ck_assert_uint_le(out_port[i], 3);
			ck_assert_uint_eq(ls->cur->backend[id].addr[3], out_port[i]);
			ck_assert_uint_eq(rte_be_to_cpu_16(out_key[i].l4_dst), 8080);
			ck_assert_uint_eq(out_key[i].dst_ip[2], 1);
			per[out_port[i]]++;
			total++;
		}
	}
	/* 32000 connections at 1:1:2; 5% of a share is over 5 sigma */
	ck_assert_uint_eq(total, 32000);
	ck_assert_uint_lt(abs((int)per[1] - 8000), 400);
	ck_assert_uint_lt(abs((int)per[2] - 8000), 400);
	ck_assert_uint_lt(abs((int)per[3] - 16000), 800);
	printf("lb spread of 32000 connections at 1:1:2: %u %u %u\n", per[1], per[2], per[3]);
	ck_assert_uint_eq(evs_ct_backend_count(lbm.tab, ls->cur->active[0]) +
			      evs_ct_backend_count(lbm.tab, ls->cur->active[1]) +
			      evs_ct_backend_count(lbm.tab, ls->cur->active[2]),
			  32000);
}
END_TEST

/* Established connections keep their backend whatever the pool does
 * (drain, removal, a new backend); replies come back from the VIP. */
START_TEST(test_established_follow_entry)
{
	enum { N = 96 };
	uint16_t first[N];
	struct spec s[BURST];

	ck_assert_int_eq(lbm_op(EVS_STORE_ADD, "lb.vip", VIP ",\"protocol\":\"udp\"}"), 0);
	lbm_backend("web", "10.0.1.1", "");
	lbm_backend("web", "10.0.1.2", "");
	lbm_backend("web", "10.0.1.3", "");
	for (unsigned int b = 0; b < N / BURST; b++) {
		for (unsigned int i = 0; i < BURST; i++)
			s[i] = (struct spec){.src = "10.2.0.7",
					     .dst = "10.0.0.100",
					     .proto = IPPROTO_UDP,
					     .sport = (uint16_t)(2000 + b * BURST + i),
					     .dport = 80,
					     .payload = 10};
		lbm_run(s, BURST);
		for (unsigned int i = 0; i < BURST; i++)
			first[b * BURST + i] = out_port[i];
	}
	/* drain 1, delete 2, add 4: established connections do not move */
	ck_assert_int_eq(
	    lbm_op(EVS_STORE_SET, "lb.backend",
		   "{\"vip\":\"web\",\"address\":\"10.0.1.1\",\"port\":8080,\"weight\":0}"),
	    0);
	ck_assert_int_eq(lbm_op(EVS_STORE_DEL, "lb.backend",
				"{\"vip\":\"web\",\"address\":\"10.0.1.2\",\"port\":8080}"),
			 0);
	lbm_backend("web", "10.0.1.4", "");
	for (unsigned int b = 0; b < N / BURST; b++) {
		struct spec r[BURST];
		char(*srcs)[16] = calloc(BURST, 16);

		for (unsigned int i = 0; i < BURST; i++) {
			unsigned int c = b * BURST + i;

			s[i].sport = (uint16_t)(2000 + c);
			snprintf(srcs[i], 16, "10.0.1.%u", first[c]);
			r[i] = (struct spec){.src = srcs[i],
					     .dst = "10.2.0.7",
					     .proto = IPPROTO_UDP,
					     .sport = 8080,
					     .dport = (uint16_t)(2000 + c),
					     .payload = 20};
		}
		lbm_run(s, BURST);
		for (unsigned int i = 0; i < BURST; i++)
			ck_assert_uint_eq(out_port[i], first[b * BURST + i]);
		/* the replies leave from the VIP's address and port */
		lbm_run(r, BURST);
		for (unsigned int i = 0; i < BURST; i++) {
			uint8_t vip[16];

			addr("10.0.0.100", vip);
			ck_assert_uint_eq(out_port[i], 7);
			ck_assert_mem_eq(out_key[i].src_ip, vip, 4);
			ck_assert_uint_eq(rte_be_to_cpu_16(out_key[i].l4_src), 80);
		}
		free(srcs);
	}
	/* a new connection goes to 3 or 4 only */
	s[0].sport = 9;
	for (unsigned int i = 0; i < BURST; i++)
		s[i].sport = (uint16_t)(40000 + i);
	lbm_run(s, BURST);
	for (unsigned int i = 0; i < BURST; i++)
		ck_assert(out_port[i] == 3 || out_port[i] == 4);
}
END_TEST

/* An IPv6 VIP: DNAT to IPv6 backends, replies un-NATed. */
START_TEST(test_ipv6_vip)
{
	struct spec s = {.src = "fd00:2::9",
			 .dst = "fd00::100",
			 .proto = IPPROTO_TCP,
			 .sport = 5555,
			 .dport = 443,
			 .flags = SYN,
			 .seq = 1,
			 .win = 1000};
	struct spec r = {.proto = IPPROTO_TCP,
			 .dst = "fd00:2::9",
			 .sport = 8080,
			 .dport = 5555,
			 .flags = SYN | ACK,
			 .seq = 77,
			 .ack = 2,
			 .win = 1000};
	char src[64];
	uint8_t vip[16];

	ck_assert_int_eq(
	    lbm_op(EVS_STORE_ADD, "lb.vip",
		   "{\"name\":\"v6\",\"address\":\"fd00::100\",\"port\":443,\"scope\":\"sw\"}"),
	    0);
	lbm_backend("v6", "fd00:1::5", "");
	lbm_backend("v6", "fd00:1::6", "");
	lbm_run(&s, 1);
	ck_assert(out_port[0] == 5 || out_port[0] == 6);
	ck_assert_uint_eq(rte_be_to_cpu_16(out_key[0].l4_dst), 8080);
	snprintf(src, sizeof(src), "fd00:1::%u", out_port[0]);
	r.src = src;
	lbm_run(&r, 1);
	ck_assert_uint_eq(out_port[0], 9);
	addr("fd00::100", vip);
	ck_assert_mem_eq(out_key[0].src_ip, vip, 16);
	ck_assert_uint_eq(rte_be_to_cpu_16(out_key[0].l4_src), 443);
}
END_TEST

/* least_conn: live connections end up even (per weight), counted by conntrack. */
START_TEST(test_least_conn_evens_live_connections)
{
	unsigned int per[4] = {0};

	ck_assert_int_eq(lbm_op(EVS_STORE_ADD, "lb.vip", VIP ",\"algorithm\":\"least_conn\"}"), 0);
	lbm_backend("web", "10.0.1.1", "");
	lbm_backend("web", "10.0.1.2", "");
	lbm_backend("web", "10.0.1.3", ",\"weight\":2");
	for (unsigned int b = 0; b < 10; b++) {
		struct spec s[BURST];

		for (unsigned int i = 0; i < BURST; i++)
			s[i] = lbm_syn(b * BURST + i, 3000);
		lbm_run(s, BURST);
		for (unsigned int i = 0; i < BURST; i++)
			per[out_port[i]]++;
	}
	/* 320 at 1:1:2, each choice the least loaded: exact up to one */
	ck_assert_uint_le(abs((int)per[1] - 80), 1);
	ck_assert_uint_le(abs((int)per[2] - 80), 1);
	ck_assert_uint_le(abs((int)per[3] - 160), 2);
}
END_TEST

/* source_ip: a client keeps its backend for every new connection, even
 * after a new backend changes what the Maglev table would say. */
START_TEST(test_source_affinity_survives_pool_change)
{
	enum { CLIENTS = 4 * BURST };
	uint16_t first[CLIENTS];
	unsigned int moved_by_table = 0;
	const struct evs_lb_state *ls = evs_lb_conf_state(lbm.lb);

	ck_assert_int_eq(lbm_op(EVS_STORE_ADD, "lb.vip", VIP ",\"algorithm\":\"source_ip\"}"), 0);
	lbm_backend("web", "10.0.1.1", "");
	lbm_backend("web", "10.0.1.2", "");
	lbm_backend("web", "10.0.1.3", "");
	for (unsigned int round = 0; round < 3; round++) {
		if (round == 2)
			lbm_backend("web", "10.0.1.4", "");
		for (unsigned int b = 0; b < CLIENTS / BURST; b++) {
			struct spec s[BURST];

			for (unsigned int i = 0; i < BURST; i++)
				s[i] = lbm_syn(b * BURST + i, (uint16_t)(4000 + round * 7 + i));
			lbm_run(s, BURST);
			for (unsigned int i = 0; i < BURST; i++) {
				unsigned int c = b * BURST + i;

				if (round == 0)
					first[c] = out_port[i];
				ck_assert_uint_eq(out_port[i], first[c]);
				if (round == 2) {
					struct evs_flow_key k;
					struct rte_mbuf *m = build(&s[i], &k);
					uint32_t id = evs_maglev_lookup(ls->cur->vip[0].maglev,
									evs_lb_src_hash(&k));

					moved_by_table += ls->cur->backend[id].addr[3] != first[c];
					rte_pktmbuf_free(m);
				}
			}
		}
	}
	/* the table alone would have moved about a quarter: the test can fail */
	ck_assert_uint_gt(moved_by_table, CLIENTS / 8);
}
END_TEST

/* No backend in the table: new connections are dropped (nothing leaves). */
START_TEST(test_no_backend_drops)
{
	struct spec s = lbm_syn(1, 1234);
	uint64_t drops[EVS_DROPS_MAX] = {0};
	int id = -1;

	ck_assert_int_eq(lbm_op(EVS_STORE_ADD, "lb.vip", VIP "}"), 0);
	lbm_backend("web", "10.0.1.1", ",\"weight\":0");
	lbm_run(&s, 1);
	ck_assert_uint_eq(out_port[0], 0);
	evs_pipeline_drops_add(lbm.pl, drops);
	for (unsigned int i = 0; i < evs_registry_n_drops(lbm.reg); i++)
		if (strcmp(evs_registry_drop_name(lbm.reg, i), "lb_no_backend") == 0)
			id = (int)i;
	ck_assert_int_ge(id, 0);
	ck_assert_uint_eq(drops[id], 1);
}
END_TEST

/* Other traffic is untouched and its megaflow consults only a prefix of
 * the destination (and nothing of the source when it is no backend's). */
START_TEST(test_other_traffic_untouched_prefix_mask)
{
	struct spec s = lbm_syn(1, 1234);
	struct evs_flow_key k;
	struct evs_flow_mask mask;
	uint8_t prog[EVS_PROG_MAX];
	struct rte_mbuf *m;

	ck_assert_int_eq(lbm_op(EVS_STORE_ADD, "lb.vip", VIP "}"), 0);
	lbm_backend("web", "10.0.1.1", "");
	s.dst = "10.0.0.101";
	lbm_run(&s, 1);
	ck_assert_uint_eq(out_port[0], 101);
	ck_assert_uint_eq(rte_be_to_cpu_16(out_key[0].l4_dst), 80);
	s.dst = "10.0.0.96"; /* 0x60 vs 0x64: differs in the 30th bit */
	m = build(&s, &k);
	ck_assert_int_gt(evs_pipeline_xlate(lbm.pl, &lbm.st, &k, &mask, prog, NULL), 0);
	rte_pktmbuf_free(m);
	/* 10.0.0.96 vs the VIP 10.0.0.100: a /30 (the route stage takes byte 3) */
	ck_assert_uint_eq(mask.bits.dst_ip[0] & mask.bits.dst_ip[1] & mask.bits.dst_ip[2], 0xff);
	ck_assert_uint_eq(mask.bits.l4_dst, 0);
	s.dst = "10.9.0.100"; /* differs in byte 1: the mask stops there */
	m = build(&s, &k);
	memset(&mask, 0, sizeof(mask));
	ck_assert_int_gt(evs_pipeline_xlate(lbm.pl, &lbm.st, &k, &mask, prog, NULL), 0);
	rte_pktmbuf_free(m);
	ck_assert_uint_eq(mask.bits.dst_ip[1], 0xf8);
	ck_assert_uint_eq(mask.bits.dst_ip[2], 0);
	/* the source 10.2.0.1 vs backend 10.0.1.1 differs in bit 15 */
	ck_assert_uint_eq(mask.bits.src_ip[0], 0xff);
	ck_assert_uint_eq(mask.bits.src_ip[1], 0xfe);
	ck_assert_uint_eq(mask.bits.src_ip[2], 0);
	ck_assert_uint_eq(mask.bits.l4_src, 0);
}
END_TEST

/* A VIP change re-translates cached decisions; a health-only change does not. */
START_TEST(test_vip_change_revalidates)
{
	struct spec s = lbm_syn(1, 1234);
	unsigned int b0;

	s.dst = "10.0.0.100";
	lbm_run(&s, 1);
	ck_assert_uint_eq(out_port[0], 100); /* no VIP yet: routed as is */
	b0 = lbm.bumps;
	ck_assert_int_eq(lbm_op(EVS_STORE_ADD, "lb.vip", VIP "}"), 0);
	lbm_backend("web", "10.0.1.1", "");
	ck_assert_uint_gt(lbm.bumps, b0);
	s.sport = 1235;
	lbm_run(&s, 1);
	ck_assert_uint_eq(out_port[0], 1);
	b0 = lbm.bumps;
	ck_assert_int_eq(
	    lbm_op(EVS_STORE_SET, "lb.backend",
		   "{\"vip\":\"web\",\"address\":\"10.0.1.1\",\"port\":8080,\"weight\":5}"),
	    0);
	ck_assert_uint_eq(lbm.bumps, b0);
	ck_assert_int_eq(lbm_op(EVS_STORE_DEL, "lb.vip", "{\"name\":\"web\"}"), 0);
	s.sport = 1236;
	lbm_run(&s, 1);
	ck_assert_uint_eq(out_port[0], 100);
}
END_TEST

/* flow.trace names the VIP and the backend a new connection would get. */
START_TEST(test_trace_shows_backend_choice)
{
	struct spec s = lbm_syn(3, 4321);
	struct evs_trace *tr = calloc(1, sizeof(*tr));
	struct evs_flow_key k;
	struct evs_flow_mask mask;
	uint8_t prog[EVS_PROG_MAX];
	struct rte_mbuf *m;
	bool seen = false;

	ck_assert_ptr_nonnull(tr);
	ck_assert_int_eq(lbm_op(EVS_STORE_ADD, "lb.vip", VIP "}"), 0);
	lbm_backend("web", "10.0.1.1", "");
	m = build(&s, &k);
	ck_assert_int_gt(evs_pipeline_xlate(lbm.pl, &lbm.st, &k, &mask, prog, tr), 0);
	rte_pktmbuf_free(m);
	for (unsigned int i = 0; i < tr->n; i++)
		seen |= strstr(tr->steps[i].decision, "backend 1 10.0.1.1 port 8080") != NULL &&
			strcmp(tr->steps[i].stage, "vip") == 0;
	ck_assert_msg(seen, "no vip step naming the backend");
	/* and the VIP's mode */
	ck_assert_int_eq(
	    lbm_op(EVS_STORE_SET, "lb.vip", "{\"name\":\"web\",\"snat\":\"10.0.1.254\"}"), 0);
	m = build(&s, &k);
	memset(tr, 0, sizeof(*tr));
	ck_assert_int_gt(evs_pipeline_xlate(lbm.pl, &lbm.st, &k, &mask, prog, tr), 0);
	rte_pktmbuf_free(m);
	seen = false;
	for (unsigned int i = 0; i < tr->n; i++)
		seen |= strstr(tr->steps[i].decision, "in table, snat 10.0.1.254)") != NULL;
	ck_assert_msg(seen, "no vip step naming the SNAT address");
	free(tr);
}
END_TEST

/* A SYN sent again without an answer and an RST from the backend are
 * passive failure signals of that backend. */
START_TEST(test_passive_signals)
{
	struct spec s = lbm_syn(5, 5555), r;
	uint32_t *sig = calloc(EVS_LB_IDS, sizeof(*sig));
	void *lctx = evs_pipeline_lcore_module(lbm.pl, MOD_LB);

	ck_assert_ptr_nonnull(sig);
	ck_assert_int_eq(lbm_op(EVS_STORE_ADD, "lb.vip", VIP "}"), 0);
	lbm_backend("web", "10.0.1.1", "");
	lbm_run(&s, 1);
	ck_assert_uint_eq(out_port[0], 1);
	evs_lb_lcore_passive(lctx, sig);
	ck_assert_uint_eq(sig[1], 0);
	lbm_run(&s, 1); /* retransmitted SYN, no SYN-ACK seen */
	evs_lb_lcore_passive(lctx, sig);
	ck_assert_uint_eq(sig[1], 1);
	r = (struct spec){.src = "10.0.1.1",
			  .dst = s.src,
			  .proto = IPPROTO_TCP,
			  .sport = 8080,
			  .dport = 5555,
			  .flags = RST | ACK,
			  .seq = 9,
			  .ack = 1001,
			  .win = 0};
	lbm_run(&r, 1);
	ck_assert_uint_eq(out_port[0], 5); /* to the client 10.2.0.5 */
	memset(sig, 0, EVS_LB_IDS * sizeof(*sig));
	evs_lb_lcore_passive(lctx, sig);
	ck_assert_uint_eq(sig[1], 2);
	free(sig);
}
END_TEST

/* A router scope serves the VIP in every switch of the router; a scope
 * that names nothing (yet) serves it nowhere. */
START_TEST(test_router_scope)
{
	struct spec s = lbm_syn(9, 999);

	ck_assert_int_eq(
	    lbm_op(EVS_STORE_ADD, "lb.vip",
		   "{\"name\":\"r\",\"address\":\"10.0.0.100\",\"port\":80,\"scope\":\"r\"}"),
	    0);
	ck_assert_int_eq(
	    lbm_op(EVS_STORE_ADD, "lb.vip",
		   "{\"name\":\"x\",\"address\":\"10.0.0.102\",\"port\":80,\"scope\":\"x\"}"),
	    0);
	lbm_backend("r", "10.0.1.1", "");
	lbm_backend("x", "10.0.1.2", "");
	lbm_run(&s, 1);
	ck_assert_uint_eq(out_port[0], 1);
	ck_assert_uint_eq(rte_be_to_cpu_16(out_key[0].l4_dst), 8080);
	s.dst = "10.0.0.102";
	lbm_run(&s, 1);
	ck_assert_uint_eq(out_port[0], 102);
	ck_assert_uint_eq(evs_lb_conf_state(lbm.lb)->cur->vip[0].n_ldps, 2);
	ck_assert_uint_eq(evs_lb_conf_state(lbm.lb)->cur->vip[1].n_ldps, 0);
}
END_TEST

/* A deleted backend stays (draining) while it has connections and goes at
 * the first tick after its last one, long before its drain timeout. */
START_TEST(test_drain_ends_with_last_connection)
{
	struct spec s = {.src = "10.2.0.8",
			 .dst = "10.0.0.100",
			 .proto = IPPROTO_UDP,
			 .sport = 777,
			 .dport = 80,
			 .payload = 4};
	struct evs_lb_pool *p;
	struct evs_lb_backend_info in;
	uint32_t id;

	ck_assert_int_eq(lbm_op(EVS_STORE_ADD, "lb.vip", VIP ",\"protocol\":\"udp\"}"), 0);
	lbm_backend("web", "10.0.1.1", ",\"drain_timeout\":600");
	lbm_backend("web", "10.0.1.2", ",\"drain_timeout\":600");
	p = evs_lb_conf_pool(lbm.lb, evs_store_lookup_str(lbm.store, "lb.vip", "web"));
	lbm_run(&s, 1);
	ck_assert_uint_ge(out_port[0], 1);
	id = evs_ct_burst_meta(evs_ct_lcore_get(lbm.tab, 1), 0)->backend;
	ck_assert_uint_ne(id, 0);
	/* delete the busy backend and the idle one */
	ck_assert_int_eq(lbm_op(EVS_STORE_DEL, "lb.backend",
				"{\"vip\":\"web\",\"address\":\"10.0.1.1\",\"port\":8080}"),
			 0);
	ck_assert_int_eq(lbm_op(EVS_STORE_DEL, "lb.backend",
				"{\"vip\":\"web\",\"address\":\"10.0.1.2\",\"port\":8080}"),
			 0);
	evs_lb_conf_tick(lbm.lb, NULL, NULL);
	evs_lb_conf_tick(lbm.lb, NULL, NULL);
	ck_assert_uint_eq(evs_lb_pool_count(p), 1); /* the idle one went at once */
	ck_assert_int_eq(evs_lb_pool_get(p, id, &in), 0);
	ck_assert(in.removing);
	ck_assert_uint_eq(evs_ct_flush(lbm.tab, EVS_LB_CT_ZONE), 1); /* its last connection ends */
	evs_lb_conf_tick(lbm.lb, NULL, NULL);
	evs_lb_conf_tick(lbm.lb, NULL, NULL);
	ck_assert_uint_eq(evs_lb_pool_count(p), 0);
}
END_TEST

/*
 * A backend's id carries its precomputed DNAT (dp->tpl) for conntrack, so
 * an id is never handed to another backend while a connection names it:
 * the allocator skips it (and does not count it free) until conntrack's
 * count of its connections is 0. The template is in the table while the
 * backend is in its pool, and gone with it.
 */
START_TEST(test_backend_id_not_reused_while_named)
{
	struct spec s = {.src = "10.2.0.9",
			 .dst = "10.0.0.100",
			 .proto = IPPROTO_UDP,
			 .sport = 778,
			 .dport = 80,
			 .payload = 4};
	struct evs_ct_action a = {.zone = EVS_LB_CT_ZONE, .flags = EVS_CT_F_COMMIT};
	const struct evs_lb_dp *dp;
	struct evs_flow_key k;
	struct rte_mbuf *m;
	uint32_t id, x, free0;
	uint8_t be[16];

	ck_assert_int_eq(lbm_op(EVS_STORE_ADD, "lb.vip", VIP ",\"protocol\":\"udp\"}"), 0);
	lbm_backend("web", "10.0.1.1", "");
	dp = evs_lb_conf_state(lbm.lb)->cur;
	id = dp->active[dp->vip[0].active_off];
	addr("10.0.1.1", be);
	ck_assert(dp->tpl[id].valid);
	ck_assert_mem_eq(dp->tpl[id].addr, be, 4);
	ck_assert_uint_eq(rte_be_to_cpu_16(dp->tpl[id].port), 8080);
	ck_assert_uint_eq(dp->tpl[id + 1].valid, 0);
	ck_assert_int_eq(lbm_op(EVS_STORE_DEL, "lb.backend",
				"{\"vip\":\"web\",\"address\":\"10.0.1.1\",\"port\":8080}"),
			 0);
	evs_lb_conf_tick(lbm.lb, NULL, NULL);
	ck_assert_uint_eq(evs_lb_conf_state(lbm.lb)->cur->tpl[id].valid, 0);
	/* a connection names a free id x (a removed backend's, past its drain) */
	x = 100;
	a.backend = (uint16_t)x;
	m = build(&s, &k);
	ck_assert_uint_eq(evs_ct_execute_burst(evs_ct_lcore_get(lbm.tab, 0), &a, &m, &k, 1), 1);
	rte_pktmbuf_free(m);
	ck_assert_uint_eq(evs_ct_backend_count(lbm.tab, (uint16_t)x), 1);
	free0 = lb_ids_free(lbm.lb);
	lbm.lb->last_id = x - 1;
	id = lb_id_alloc(lbm.lb);
	ck_assert_uint_eq(id, x + 1); /* x skipped */
	lb_id_free(lbm.lb, id);
	ck_assert_uint_eq(lb_ids_free(lbm.lb), free0);
	/* its last connection gone, x comes back */
	ck_assert_uint_eq(evs_ct_flush(lbm.tab, EVS_LB_CT_ZONE), 1);
	ck_assert_uint_eq(lb_ids_free(lbm.lb), free0 + 1);
	lbm.lb->last_id = x - 1;
	ck_assert_uint_eq(lb_id_alloc(lbm.lb), x);
}
END_TEST

/* A random key near the VIPs and backends: addresses that share long
 * prefixes with them or equal them, their ports or others. */
static void random_key(struct evs_flow_key *k)
{
	static const char *const near[] = {"10.0.0.100", "10.0.0.101", "10.0.1.1",  "10.0.1.2",
					   "fd00::100",	 "fd00:1::5",  "fd00:1::6", "10.0.0.100"};
	static const uint16_t ports[] = {80, 443, 8080, 53, 1234};
	uint8_t a[16];
	bool v6 = rte_rand() & 1;

	memset(k, 0, sizeof(*k));
	for (unsigned int i = 0; i < sizeof(*k); i++) /* metadata and L2 noise */
		((uint8_t *)k)[i] = (uint8_t)rte_rand();
	k->recirc_id = 0;
	k->ldp = 0;
	k->ethertype = rte_rand() % 8 == 0 ? RTE_BE16(RTE_ETHER_TYPE_ARP)
		       : v6		   ? RTE_BE16(RTE_ETHER_TYPE_IPV6)
					   : RTE_BE16(RTE_ETHER_TYPE_IPV4);
	k->ip_proto = rte_rand() & 1 ? IPPROTO_TCP : IPPROTO_UDP;
	for (int side = 0; side < 2; side++) {
		uint8_t *ip = side ? k->dst_ip : k->src_ip;

		addr(near[(v6 ? 4 : 0) + rte_rand() % 4], a);
		memcpy(ip, a, 16);
		if (!v6)
			memset(ip + 4, 0, 12);
		if (rte_rand() & 1) /* flip one bit somewhere in the address */
			ip[rte_rand() % (v6 ? 16 : 4)] ^= (uint8_t)(1u << (rte_rand() % 8));
	}
	k->l4_src = rte_cpu_to_be_16(ports[rte_rand() % RTE_DIM(ports)]);
	k->l4_dst = rte_cpu_to_be_16(ports[rte_rand() % RTE_DIM(ports)]);
}

/* Mask sufficiency: any key that agrees with a translated key on the bits
 * its mask holds translates to the same program and mask. Against VIPs
 * with and without ports, IPv4 and IPv6, backends with ports. */
/* One-arm SNAT: the backend sees the switch's address as the client, on a
 * port that keeps the tuple unique (two VIPs, one backend, one client
 * port); its replies to that address are un-NATed and routed again to the
 * client (without the second pass they would leave towards .254). */
START_TEST(test_snat_one_arm)
{
	struct spec s[2] = {lbm_syn(7, 4000), lbm_syn(7, 4000)};
	struct spec r = {.src = "10.0.1.1",
			 .dst = "10.0.1.254",
			 .proto = IPPROTO_TCP,
			 .sport = 8080,
			 .flags = SYN | ACK,
			 .seq = 77,
			 .ack = 1001,
			 .win = 1000};
	uint8_t a[16];
	uint16_t ports[2];

	ck_assert_int_ne(lbm_op(EVS_STORE_ADD, "lb.vip", VIP ",\"snat\":\"fd00::1\"}"), 0);
	ck_assert_int_eq(lbm_op(EVS_STORE_ADD, "lb.vip", VIP ",\"snat\":\"10.0.1.254\"}"), 0);
	ck_assert_int_eq(lbm_op(EVS_STORE_ADD, "lb.vip",
				"{\"name\":\"web2\",\"address\":\"10.0.0.101\",\"port\":80,"
				"\"scope\":\"sw\",\"snat\":\"10.0.1.254\"}"),
			 0);
	lbm_backend("web", "10.0.1.1", "");
	lbm_backend("web2", "10.0.1.1", "");
	s[1].dst = "10.0.0.101";
	for (unsigned int i = 0; i < 2; i++) {
		lbm_run(&s[i], 1);
		ck_assert_uint_eq(out_port[0], 1);
		addr("10.0.1.254", a);
		ck_assert_mem_eq(out_key[0].src_ip, a, 4);
		ck_assert_uint_eq(rte_be_to_cpu_16(out_key[0].l4_dst), 8080);
		ports[i] = rte_be_to_cpu_16(out_key[0].l4_src);
	}
	ck_assert_uint_eq(ports[0], 4000); /* the client's port while free */
	ck_assert_uint_ne(ports[1], ports[0]);
	for (unsigned int i = 0; i < 2; i++) {
		r.dport = ports[i];
		lbm_run(&r, 1);
		ck_assert_uint_eq(out_port[0], 7); /* the client 10.2.0.7 */
		addr(i == 0 ? "10.0.0.100" : "10.0.0.101", a);
		ck_assert_mem_eq(out_key[0].src_ip, a, 4);
		addr("10.2.0.7", a);
		ck_assert_mem_eq(out_key[0].dst_ip, a, 4);
		ck_assert_uint_eq(rte_be_to_cpu_16(out_key[0].l4_src), 80);
		ck_assert_uint_eq(rte_be_to_cpu_16(out_key[0].l4_dst), 4000);
	}
	/* the backend's other traffic to that address is no reply: untouched */
	r.sport = 22;
	r.dport = 5000;
	r.flags = SYN;
	r.ack = 0;
	lbm_run(&r, 1);
	ck_assert_uint_eq(out_port[0], 254);
}
END_TEST

static void dsr_backend(const char *a)
{
	char doc[160];

	snprintf(doc, sizeof(doc), "{\"vip\":\"web\",\"address\":\"%s\",\"port\":80}", a);
	ck_assert_int_eq(lbm_op(EVS_STORE_ADD, "lb.backend", doc), 0);
}

/* Direct server return: the frame leaves towards the backend still
 * addressed to the VIP and its port (only routed by the backend's
 * address); the client's side alone is tracked, so its ACKs and data
 * (no SYN-ACK ever seen) follow the entry, across a pool change that
 * moves flows in the table; replies from the VIP are not ours. */
START_TEST(test_dsr)
{
	enum { N = 2 * BURST };
	const struct evs_lb_state *ls = evs_lb_conf_state(lbm.lb);
	uint16_t first[N];
	uint8_t vip[16], cli[16];
	unsigned int moved = 0;
	struct spec s[BURST];

	ck_assert_int_eq(
	    lbm_op(EVS_STORE_ADD, "lb.vip", VIP ",\"dsr\":true,\"snat\":\"10.0.1.9\"}"), -EINVAL);
	ck_assert_int_eq(lbm_op(EVS_STORE_ADD, "lb.vip", VIP "}"), 0);
	lbm_backend("web", "10.0.1.5", ""); /* port 8080: dsr cannot translate it */
	ck_assert_int_eq(lbm_op(EVS_STORE_SET, "lb.vip", "{\"name\":\"web\",\"dsr\":true}"),
			 -EINVAL);
	ck_assert_int_eq(lbm_op(EVS_STORE_DEL, "lb.backend",
				"{\"vip\":\"web\",\"address\":\"10.0.1.5\",\"port\":8080}"),
			 0);
	ck_assert_int_eq(lbm_op(EVS_STORE_SET, "lb.vip", "{\"name\":\"web\",\"dsr\":true}"), 0);
	ck_assert_int_eq(lbm_op(EVS_STORE_ADD, "lb.backend",
				"{\"vip\":\"web\",\"address\":\"10.0.1.6\",\"port\":8080}"),
			 -EINVAL);
	dsr_backend("10.0.1.1");
	dsr_backend("10.0.1.2");
	addr("10.0.0.100", vip);
	for (unsigned int b = 0; b < N / BURST; b++) {
		for (unsigned int i = 0; i < BURST; i++)
			s[i] = lbm_syn(b * BURST + i, 5000);
		lbm_run(s, BURST);
		for (unsigned int i = 0; i < BURST; i++) {
			ck_assert(out_port[i] == 1 || out_port[i] == 2);
			ck_assert_mem_eq(out_key[i].dst_ip, vip, 4); /* the frame keeps the VIP */
			ck_assert_uint_eq(rte_be_to_cpu_16(out_key[i].l4_dst), 80);
			addr(s[i].src, cli);
			ck_assert_mem_eq(out_key[i].src_ip, cli, 4);
			first[b * BURST + i] = out_port[i];
		}
	}
	/* a third backend: the table moves about a third of these flows */
	dsr_backend("10.0.1.3");
	for (unsigned int b = 0; b < N / BURST; b++) {
		for (unsigned int i = 0; i < BURST; i++) {
			struct evs_flow_key k;
			struct rte_mbuf *m;
			uint32_t id;

			s[i] = lbm_syn(b * BURST + i, 5000);
			s[i].flags = ACK | PSH;
			s[i].seq = 1001;
			s[i].ack = 777; /* the backend's ISN, never seen here */
			s[i].payload = 100;
			m = build(&s[i], &k);
			id = evs_maglev_lookup(ls->cur->vip[0].maglev, evs_lb_flow_hash(&k));
			moved += ls->cur->backend[id].addr[3] != first[b * BURST + i];
			rte_pktmbuf_free(m);
		}
		lbm_run(s, BURST);
		for (unsigned int i = 0; i < BURST; i++)
			ck_assert_uint_eq(out_port[i], first[b * BURST + i]);
	}
	ck_assert_uint_gt(moved, 0); /* so following the entries mattered */
	/* the backend answers the client from the VIP: plain traffic */
	s[0] = (struct spec){.src = "10.0.0.100",
			     .dst = "10.2.0.7",
			     .proto = IPPROTO_TCP,
			     .sport = 80,
			     .dport = 5000,
			     .flags = SYN | ACK,
			     .seq = 777,
			     .ack = 1001,
			     .win = 1000};
	lbm_run(s, 1);
	ck_assert_uint_eq(out_port[0], 7);
	ck_assert_mem_eq(out_key[0].src_ip, vip, 4);
}
END_TEST

START_TEST(test_mask_is_sufficient)
{
	unsigned int vip_hits = 0, reply_hits = 0;

	ck_assert_int_eq(lbm_op(EVS_STORE_ADD, "lb.vip", VIP "}"), 0);
	ck_assert_int_eq(lbm_op(EVS_STORE_ADD, "lb.vip",
				"{\"name\":\"all\",\"address\":\"10.0.0.101\",\"protocol\":\"udp\","
				"\"scope\":\"sw\"}"),
			 0);
	ck_assert_int_eq(
	    lbm_op(EVS_STORE_ADD, "lb.vip",
		   "{\"name\":\"v6\",\"address\":\"fd00::100\",\"port\":443,\"scope\":\"sw\"}"),
	    0);
	lbm_backend("web", "10.0.1.1", "");
	lbm_backend("all", "10.0.1.2", "");
	ck_assert_int_eq(lbm_op(EVS_STORE_ADD, "lb.backend",
				"{\"vip\":\"all\",\"address\":\"10.0.1.1\",\"port\":0}"),
			 0);
	lbm_backend("v6", "fd00:1::5", "");
	for (unsigned int n = 0; n < 20000; n++) {
		struct evs_flow_key k, k2;
		struct evs_flow_mask m, m2;
		uint8_t p[EVS_PROG_MAX], p2[EVS_PROG_MAX];
		int len, len2;

		random_key(&k);
		len = evs_pipeline_xlate(lbm.pl, &lbm.st, &k, &m, p, NULL);
		ck_assert_int_gt(len, 0);
		/* another key under the same mask: random outside it */
		random_key(&k2);
		for (unsigned int i = 0; i < sizeof(k); i++) {
			uint8_t mb = ((const uint8_t *)&m.bits)[i];

			((uint8_t *)&k2)[i] = (uint8_t)((((const uint8_t *)&k)[i] & mb) |
							(((uint8_t *)&k2)[i] & ~mb));
		}
		len2 = evs_pipeline_xlate(lbm.pl, &lbm.st, &k2, &m2, p2, NULL);
		ck_assert_int_eq(len2, len);
		ck_assert_mem_eq(p2, p, (size_t)len);
		ck_assert_mem_eq(&m2, &m, sizeof(m));
		vip_hits += m.bits.l4_dst != 0 || m.bits.ip_proto != 0;
		reply_hits += m.bits.l4_src != 0;
	}
	/* the random keys reached both stages' exact matches */
	ck_assert_uint_gt(vip_hits, 1000);
	ck_assert_uint_gt(reply_hits, 500);
}
END_TEST

void lb_module_add_cases(Suite *s)
{
	const struct unit_case cases[] = {
	    {"new_connections_follow_maglev", test_new_connections_follow_maglev},
	    {"established_follow_entry", test_established_follow_entry},
	    {"ipv6_vip", test_ipv6_vip},
	    {"least_conn_evens_live_connections", test_least_conn_evens_live_connections},
	    {"source_affinity_survives_pool_change", test_source_affinity_survives_pool_change},
	    {"no_backend_drops", test_no_backend_drops},
	    {"other_traffic_untouched_prefix_mask", test_other_traffic_untouched_prefix_mask},
	    {"vip_change_revalidates", test_vip_change_revalidates},
	    {"trace_shows_backend_choice", test_trace_shows_backend_choice},
	    {"passive_signals", test_passive_signals},
	    {"mask_is_sufficient", test_mask_is_sufficient},
	    {"router_scope", test_router_scope},
	    {"drain_ends_with_last_connection", test_drain_ends_with_last_connection},
	    {"backend_id_not_reused_while_named", test_backend_id_not_reused_while_named},
	    {"snat_one_arm", test_snat_one_arm},
	    {"dsr", test_dsr},
	};

	unit_add_cases(s, cases, RTE_DIM(cases), lbm_setup, lbm_teardown, 0);
}
