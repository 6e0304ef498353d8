/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The load balancer module through the real pipeline, configured through
 * the store like the daemon does. A stand-in for L2/L3 ("fwd") hands every
 * frame to "routing" (ldp 1) and outputs it to the port named by the last
 * byte of its destination address, so the port a packet leaves by is the
 * backend it was sent to. Traffic goes in 32-packet bursts of mixed flows.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <rte_common.h>
#include <rte_random.h>

#include "ct_test.h"
#include "evs_ct_module.h"
#include "evs_lb.h"
#include "evs_lb_conf.h"
#include "evs_pipeline.h"
#include "lb_conf_private.h"
#include "lb_test.h"
#include "unit_case.h"
#include "unit_store.h"

#define BURST 32
#define LDP 1

enum { MOD_CT, MOD_LB, MOD_FWD, MOD_RC };

/* order 100: "L2" hands every fresh frame to routing in switch LDP */
static enum evs_stage_verdict fwd_gw(struct evs_xlate *x, const void *state, void *lctx)
{
	RTE_SET_USED(state);
	RTE_SET_USED(lctx);
	evs_xlate_mask(x)->bits.ldp = UINT16_MAX;
	if (evs_xlate_wkey(x)->ldp == 0)
		evs_xlate_wkey(x)->ldp = LDP;
	return EVS_STAGE_CONTINUE;
}

/*
 * The stand-in's "routes" and "neighbours" by the destination's last byte
 * (0: the defaults, the port of that byte and the MAC untouched), read at
 * translation under fwd's dependency 0: a test that changes them bumps it,
 * as L3 does for a route or neighbour change.
 */
static uint16_t rt_port[256];
static uint8_t rt_mac[256];
/* the stand-in's routed pass consults in_port too, as L2 does */
static bool rt_by_port;
/* != 0: one routed megaflow for every backend (the perf scenario's one
 * next hop): it consults the low bit of the source's third byte (which the
 * first pass does not: its prefix is /15 against backends in 10.0.1/24)
 * and outputs to rt_shared + that bit (+ 2 in_port with rt_by_port) */
static uint16_t rt_shared;

/* order 200: "routing" outputs to the destination's last byte */
static enum evs_stage_verdict fwd_route(struct evs_xlate *x, const void *state, void *lctx)
{
	const struct evs_flow_key *k = evs_xlate_wkey(x);
	bool v6 = k->ethertype == RTE_BE16(RTE_ETHER_TYPE_IPV6);
	uint8_t b = k->dst_ip[v6 ? 15 : 3];

	RTE_SET_USED(state);
	RTE_SET_USED(lctx);
	evs_xlate_depend(x, 0);
	if (rt_by_port)
		evs_xlate_mask(x)->bits.in_port = UINT16_MAX;
	evs_xlate_mask(x)->bits.ethertype = UINT16_MAX;
	if (rt_shared != 0) {
		evs_xlate_mask(x)->bits.src_ip[2] |= 1;
		evs_xlate_output(x, (uint16_t)(rt_shared + (k->src_ip[2] & 1) +
					       (rt_by_port ? 2 * k->in_port : 0)));
		return EVS_STAGE_DONE;
	}
	evs_xlate_mask(x)->bits.dst_ip[v6 ? 15 : 3] = 0xff;
	if (rt_mac[b] != 0) {
		struct rte_ether_addr m = {{0x02, 0, 0, 0, 0, rt_mac[b]}};

		evs_xlate_set_field(x, EVS_FIELD_DST_MAC, &m);
	}
	evs_xlate_output(x, rt_port[b] != 0 ? rt_port[b] : b);
	return EVS_STAGE_DONE;
}

static const struct evs_stage fwd_stages[] = {
    {.name = "gw", .order = 100, .xlate = fwd_gw},
    {.name = "route", .order = 200, .xlate = fwd_route},
};
static const struct evs_module fwd_module = {
    .name = "fwd", .stages = fwd_stages, .n_stages = 2, .n_deps = 1};

/*
 * "rc", for evs_exec_recirculate_hinted: while rc_on, a first-pass frame
 * is recirculated (id 7) with the hint slot rc_slot[i] that the test
 * chooses, often one whose megaflow the packet does not match.
 */
static bool rc_on;
/* the recirculated pass's megaflows consult every word but the ports' (more
 * than a hint holds inline: its bitmap compares them) */
static bool rc_wide;
static uint16_t rc_slot[BURST];
static struct evs_recirc_hint rc_hints[4];
/* >= 0: the recirculated pass consults bit 0 of this byte of the key
 * alone and outputs to port 10 + its value; run() flips it in the packets
 * rc_flip names (keys only: the frames stay valid) */
static int rc_byte = -1;
static bool rc_flip[BURST];
static uint64_t rc_direct; /* packets that went by their hint */

static enum evs_stage_verdict rc_stage(struct evs_xlate *x, const void *state, void *lctx)
{
	RTE_SET_USED(state);
	RTE_SET_USED(lctx);
	if (rc_on && rc_byte >= 0 && evs_xlate_wkey(x)->recirc_id != 0) {
		const uint8_t *kb = (const uint8_t *)evs_xlate_wkey(x);

		((uint8_t *)&evs_xlate_mask(x)->bits)[rc_byte] |= 1;
		evs_xlate_output(x, (uint16_t)(10 + (kb[rc_byte] & 1)));
		return EVS_STAGE_DONE;
	}
	if (rc_on && rc_wide && evs_xlate_wkey(x)->recirc_id != 0) {
		uint64_t *mw = (uint64_t *)(void *)&evs_xlate_mask(x)->bits;

		for (unsigned int i = 0; i < EVS_FLOW_KEY_WORDS; i++)
			if (i != offsetof(struct evs_flow_key, l4_src) / 8)
				mw[i] = UINT64_MAX;
		return EVS_STAGE_CONTINUE;
	}
	if (!rc_on || evs_xlate_wkey(x)->recirc_id != 0)
		return EVS_STAGE_CONTINUE;
	evs_xlate_emit(x, 0, NULL, 0);
	return EVS_STAGE_DONE;
}

static uint16_t rc_exec(struct evs_exec *x, const void *arg, struct rte_mbuf **pkts,
			struct evs_flow_key *keys, uint16_t n)
{
	RTE_SET_USED(arg);
	rc_direct += evs_exec_recirculate_hinted(x, 7, pkts, keys, n, rc_hints, rc_slot);
	return 0;
}

static const struct evs_stage rc_stages[] = {{.name = "rc", .order = 10, .xlate = rc_stage}};
static const struct evs_opcode rc_ops[] = {{"rc", 0, rc_exec, NULL}};
static const struct evs_module rc_module = {
    .name = "rc", .stages = rc_stages, .n_stages = 1, .opcodes = rc_ops, .n_opcodes = 1};

/* The port test frames are received on (run()). */
static uint16_t run_in_port;

/* What tx saw: per packet of the burst, its port and a copy of its key. */
static struct rte_mbuf *cur[BURST];
static uint16_t out_port[BURST];
static uint32_t out_len[BURST]; /* its length as it left */
/* per packet of the burst, its place in the order tx saw them */
static unsigned int out_seq[BURST], tx_seq;
static struct evs_flow_key out_key[BURST];

static uint16_t cap_tx(void *arg, uint16_t port, struct rte_mbuf **pkts, uint16_t n)
{
	RTE_SET_USED(arg);
	for (uint16_t i = 0; i < n; i++) {
		uint16_t j;

		for (j = 0; j < BURST && cur[j] != pkts[i]; j++)
			;
		ck_assert_uint_lt(j, BURST);
		ck_assert_uint_eq(out_port[j], 0);
		out_port[j] = port;
		out_len[j] = rte_pktmbuf_pkt_len(pkts[i]);
		out_seq[j] = tx_seq++;
		/* re-parse: the frame as it leaves */
		ck_assert_int_eq(evs_packet_parse(pkts[i], 0, &out_key[j]), EVS_DROP_NONE);
		ck_assert_int_eq(evs_l4_cksum_verify(pkts[i], &out_key[j]), 0);
		rte_pktmbuf_free(pkts[i]);
	}
	return n;
}

static struct {
	struct evs_registry *reg;
	struct evs_ct *tab;
	struct evs_pipeline_lcore *pl;
	struct evs_pipeline_state st;
	struct evs_ct_mod_state cst;
	struct evs_store *store;
	struct evs_lb_conf *lb;
	unsigned int bumps;
} w;

static uint64_t now_ms(void *arg)
{
	RTE_SET_USED(arg);
	return evs_ct_now_ms();
}

/* "sw" is the switch of ldp 1; "r" a router on switches 1 and 3. */
static unsigned int scope_ldps(const char *scope, uint16_t *ldps, unsigned int max, void *arg)
{
	RTE_SET_USED(arg);
	RTE_SET_USED(max);
	if (strcmp(scope, "sw") == 0) {
		ldps[0] = LDP;
		return 1;
	}
	if (strcmp(scope, "r") == 0) {
		ldps[0] = 3;
		ldps[1] = LDP;
		return 2;
	}
	return 0;
}

static void on_publish(void *arg, bool changed)
{
	RTE_SET_USED(arg);
	if (changed) {
		evs_registry_dep_bump(w.reg, MOD_LB, 0);
		w.bumps++;
	}
}

static void lbm_setup(void)
{
	static const struct evs_module *const mods[] = {&evs_ct_module, &evs_lb_module, &fwd_module,
							&rc_module};
	struct evs_pipeline_lcore_config c = {
	    .name = "lbm", .pool = pool, .tx = cap_tx, .socket_id = SOCKET_ID_ANY};
	struct evs_lb_conf_config lc = {.max_vips = 8,
					.max_backends = 16,
					.socket_id = SOCKET_ID_ANY,
					.now_ms = now_ms,
					.scope_ldps = scope_ldps,
					.on_publish = on_publish};

	memset(&w, 0, sizeof(w));
	memset(rt_port, 0, sizeof(rt_port));
	memset(rt_mac, 0, sizeof(rt_mac));
	rt_by_port = false;
	rt_shared = 0;
	run_in_port = 0;
	rc_byte = -1;
	w.reg = evs_registry_create(mods, RTE_DIM(mods));
	ck_assert_ptr_nonnull(w.reg);
	w.tab = new_table("lbm", 1 << 16, 2); /* a context for ct's module and one for lb's */
	c.reg = w.reg;
	c.mod_args[MOD_CT] = w.tab;
	c.mod_args[MOD_LB] = w.tab;
	w.pl = evs_pipeline_lcore_create(&c);
	ck_assert_ptr_nonnull(w.pl);
	lc.ct = w.tab;
	w.lb = evs_lb_conf_create(&lc);
	ck_assert_ptr_nonnull(w.lb);
	w.store = evs_store_create();
	ck_assert_ptr_nonnull(w.store);
	ck_assert_int_eq(evs_lb_store_add(w.store, w.lb), 0);
	w.st.mod[MOD_CT] = &w.cst;
	w.st.mod[MOD_LB] = evs_lb_conf_state(w.lb);
}

static void lbm_teardown(void)
{
	evs_pipeline_lcore_free(w.pl);
	evs_store_free(w.store);
	evs_lb_conf_free(w.lb);
	evs_ct_free(w.tab);
	evs_registry_free(w.reg);
}

/* One operation in its own transaction; the commit's result. */
static int op(enum evs_store_op o, const char *type, const char *doc)
{
	struct evs_ctl_err err;

	return unit_store_op(w.store, o, type, doc, &err);
}

static void backend(const char *vip, const char *a, const char *extra)
{
	char doc[256];

	snprintf(doc, sizeof(doc), "{\"vip\":\"%s\",\"address\":\"%s\",\"port\":8080%s}", vip, a,
		 extra);
	ck_assert_int_eq(op(EVS_STORE_ADD, "lb.backend", doc), 0);
}

/* Run @n specs (at most BURST) through the pipeline, received on port
 * run_in_port; out_port/out_key per packet. */
static void run(const struct spec *s, uint16_t n)
{
	struct rte_mbuf *m[BURST];
	struct evs_flow_key k[BURST];

	ck_assert_uint_le(n, BURST);
	memset(out_port, 0, sizeof(out_port));
	memset(cur, 0, sizeof(cur));
	for (uint16_t i = 0; i < n; i++) {
		m[i] = cur[i] = build(&s[i], &k[i]);
		m[i]->port = k[i].in_port = run_in_port;
		if (rc_byte >= 0 && rc_flip[i])
			((uint8_t *)&k[i])[rc_byte] ^= 1;
	}
	evs_pipeline_run(w.pl, &w.st, m, k, n);
}

static struct spec syn(uint32_t client, uint16_t sport)
{
	static char src[BURST * 4][24];
	static unsigned int next;
	char *a = src[next++ % RTE_DIM(src)];

	snprintf(a, 24, "10.2.%u.%u", (client >> 8) & 0xff, client & 0xff);
	return (struct spec){.src = a,
			     .dst = "10.0.0.100",
			     .proto = IPPROTO_TCP,
			     .sport = sport,
			     .dport = 80,
			     .flags = SYN,
			     .seq = 1000,
			     .win = 65535};
}

#define VIP "{\"name\":\"web\",\"address\":\"10.0.0.100\",\"port\":80,\"scope\":\"sw\""

/* New connections follow the Maglev table of the 5-tuple hash exactly, and
 * spread as the weights say; the frame leaves DNATed with good checksums. */
START_TEST(test_new_connections_follow_maglev)
{
	const struct evs_lb_state *ls;
	unsigned int per[4] = {0}, total = 0;

	ck_assert_int_eq(op(EVS_STORE_ADD, "lb.vip", VIP "}"), 0);
	backend("web", "10.0.1.1", "");
	backend("web", "10.0.1.2", "");
	backend("web", "10.0.1.3", ",\"weight\":2");
	ls = evs_lb_conf_state(w.lb);
	for (unsigned int b = 0; b < 1000; b++) {
		struct spec s[BURST];

		for (unsigned int i = 0; i < BURST; i++)
			s[i] = syn(b * BURST + i, (uint16_t)(1024 + rte_rand() % 60000));
		run(s, BURST);
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
	ck_assert_uint_eq(evs_ct_backend_count(w.tab, ls->cur->active[0]) +
			      evs_ct_backend_count(w.tab, ls->cur->active[1]) +
			      evs_ct_backend_count(w.tab, ls->cur->active[2]),
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

	ck_assert_int_eq(op(EVS_STORE_ADD, "lb.vip", VIP ",\"protocol\":\"udp\"}"), 0);
	backend("web", "10.0.1.1", "");
	backend("web", "10.0.1.2", "");
	backend("web", "10.0.1.3", "");
	for (unsigned int b = 0; b < N / BURST; b++) {
		for (unsigned int i = 0; i < BURST; i++)
			s[i] = (struct spec){.src = "10.2.0.7",
					     .dst = "10.0.0.100",
					     .proto = IPPROTO_UDP,
					     .sport = (uint16_t)(2000 + b * BURST + i),
					     .dport = 80,
					     .payload = 10};
		run(s, BURST);
		for (unsigned int i = 0; i < BURST; i++)
			first[b * BURST + i] = out_port[i];
	}
	/* drain 1, delete 2, add 4: established connections do not move */
	ck_assert_int_eq(
	    op(EVS_STORE_SET, "lb.backend",
	       "{\"vip\":\"web\",\"address\":\"10.0.1.1\",\"port\":8080,\"weight\":0}"),
	    0);
	ck_assert_int_eq(op(EVS_STORE_DEL, "lb.backend",
			    "{\"vip\":\"web\",\"address\":\"10.0.1.2\",\"port\":8080}"),
			 0);
	backend("web", "10.0.1.4", "");
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
		run(s, BURST);
		for (unsigned int i = 0; i < BURST; i++)
			ck_assert_uint_eq(out_port[i], first[b * BURST + i]);
		/* the replies leave from the VIP's address and port */
		run(r, BURST);
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
	run(s, BURST);
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
	    op(EVS_STORE_ADD, "lb.vip",
	       "{\"name\":\"v6\",\"address\":\"fd00::100\",\"port\":443,\"scope\":\"sw\"}"),
	    0);
	backend("v6", "fd00:1::5", "");
	backend("v6", "fd00:1::6", "");
	run(&s, 1);
	ck_assert(out_port[0] == 5 || out_port[0] == 6);
	ck_assert_uint_eq(rte_be_to_cpu_16(out_key[0].l4_dst), 8080);
	snprintf(src, sizeof(src), "fd00:1::%u", out_port[0]);
	r.src = src;
	run(&r, 1);
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

	ck_assert_int_eq(op(EVS_STORE_ADD, "lb.vip", VIP ",\"algorithm\":\"least_conn\"}"), 0);
	backend("web", "10.0.1.1", "");
	backend("web", "10.0.1.2", "");
	backend("web", "10.0.1.3", ",\"weight\":2");
	for (unsigned int b = 0; b < 10; b++) {
		struct spec s[BURST];

		for (unsigned int i = 0; i < BURST; i++)
			s[i] = syn(b * BURST + i, 3000);
		run(s, BURST);
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
	const struct evs_lb_state *ls = evs_lb_conf_state(w.lb);

	ck_assert_int_eq(op(EVS_STORE_ADD, "lb.vip", VIP ",\"algorithm\":\"source_ip\"}"), 0);
	backend("web", "10.0.1.1", "");
	backend("web", "10.0.1.2", "");
	backend("web", "10.0.1.3", "");
	for (unsigned int round = 0; round < 3; round++) {
		if (round == 2)
			backend("web", "10.0.1.4", "");
		for (unsigned int b = 0; b < CLIENTS / BURST; b++) {
			struct spec s[BURST];

			for (unsigned int i = 0; i < BURST; i++)
				s[i] = syn(b * BURST + i, (uint16_t)(4000 + round * 7 + i));
			run(s, BURST);
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
	struct spec s = syn(1, 1234);
	uint64_t drops[EVS_DROPS_MAX] = {0};
	int id = -1;

	ck_assert_int_eq(op(EVS_STORE_ADD, "lb.vip", VIP "}"), 0);
	backend("web", "10.0.1.1", ",\"weight\":0");
	run(&s, 1);
	ck_assert_uint_eq(out_port[0], 0);
	evs_pipeline_drops_add(w.pl, drops);
	for (unsigned int i = 0; i < evs_registry_n_drops(w.reg); i++)
		if (strcmp(evs_registry_drop_name(w.reg, i), "lb_no_backend") == 0)
			id = (int)i;
	ck_assert_int_ge(id, 0);
	ck_assert_uint_eq(drops[id], 1);
}
END_TEST

/* Other traffic is untouched and its megaflow consults only a prefix of
 * the destination (and nothing of the source when it is no backend's). */
START_TEST(test_other_traffic_untouched_prefix_mask)
{
	struct spec s = syn(1, 1234);
	struct evs_flow_key k;
	struct evs_flow_mask mask;
	uint8_t prog[EVS_PROG_MAX];
	struct rte_mbuf *m;

	ck_assert_int_eq(op(EVS_STORE_ADD, "lb.vip", VIP "}"), 0);
	backend("web", "10.0.1.1", "");
	s.dst = "10.0.0.101";
	run(&s, 1);
	ck_assert_uint_eq(out_port[0], 101);
	ck_assert_uint_eq(rte_be_to_cpu_16(out_key[0].l4_dst), 80);
	s.dst = "10.0.0.96"; /* 0x60 vs 0x64: differs in the 30th bit */
	m = build(&s, &k);
	ck_assert_int_gt(evs_pipeline_xlate(w.pl, &w.st, &k, &mask, prog, NULL), 0);
	rte_pktmbuf_free(m);
	/* 10.0.0.96 vs the VIP 10.0.0.100: a /30 (the route stage takes byte 3) */
	ck_assert_uint_eq(mask.bits.dst_ip[0] & mask.bits.dst_ip[1] & mask.bits.dst_ip[2], 0xff);
	ck_assert_uint_eq(mask.bits.l4_dst, 0);
	s.dst = "10.9.0.100"; /* differs in byte 1: the mask stops there */
	m = build(&s, &k);
	memset(&mask, 0, sizeof(mask));
	ck_assert_int_gt(evs_pipeline_xlate(w.pl, &w.st, &k, &mask, prog, NULL), 0);
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
	struct spec s = syn(1, 1234);
	unsigned int b0;

	s.dst = "10.0.0.100";
	run(&s, 1);
	ck_assert_uint_eq(out_port[0], 100); /* no VIP yet: routed as is */
	b0 = w.bumps;
	ck_assert_int_eq(op(EVS_STORE_ADD, "lb.vip", VIP "}"), 0);
	backend("web", "10.0.1.1", "");
	ck_assert_uint_gt(w.bumps, b0);
	s.sport = 1235;
	run(&s, 1);
	ck_assert_uint_eq(out_port[0], 1);
	b0 = w.bumps;
	ck_assert_int_eq(
	    op(EVS_STORE_SET, "lb.backend",
	       "{\"vip\":\"web\",\"address\":\"10.0.1.1\",\"port\":8080,\"weight\":5}"),
	    0);
	ck_assert_uint_eq(w.bumps, b0);
	ck_assert_int_eq(op(EVS_STORE_DEL, "lb.vip", "{\"name\":\"web\"}"), 0);
	s.sport = 1236;
	run(&s, 1);
	ck_assert_uint_eq(out_port[0], 100);
}
END_TEST

/* flow.trace names the VIP and the backend a new connection would get. */
START_TEST(test_trace_shows_backend_choice)
{
	struct spec s = syn(3, 4321);
	struct evs_trace *tr = calloc(1, sizeof(*tr));
	struct evs_flow_key k;
	struct evs_flow_mask mask;
	uint8_t prog[EVS_PROG_MAX];
	struct rte_mbuf *m;
	bool seen = false;

	ck_assert_ptr_nonnull(tr);
	ck_assert_int_eq(op(EVS_STORE_ADD, "lb.vip", VIP "}"), 0);
	backend("web", "10.0.1.1", "");
	m = build(&s, &k);
	ck_assert_int_gt(evs_pipeline_xlate(w.pl, &w.st, &k, &mask, prog, tr), 0);
	rte_pktmbuf_free(m);
	for (unsigned int i = 0; i < tr->n; i++)
		seen |= strstr(tr->steps[i].decision, "backend 1 10.0.1.1 port 8080") != NULL &&
			strcmp(tr->steps[i].stage, "vip") == 0;
	ck_assert_msg(seen, "no vip step naming the backend");
	/* and the VIP's mode */
	ck_assert_int_eq(op(EVS_STORE_SET, "lb.vip", "{\"name\":\"web\",\"snat\":\"10.0.1.254\"}"),
			 0);
	m = build(&s, &k);
	memset(tr, 0, sizeof(*tr));
	ck_assert_int_gt(evs_pipeline_xlate(w.pl, &w.st, &k, &mask, prog, tr), 0);
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
	struct spec s = syn(5, 5555), r;
	uint32_t *sig = calloc(EVS_LB_IDS, sizeof(*sig));
	void *lctx = evs_pipeline_lcore_module(w.pl, MOD_LB);

	ck_assert_ptr_nonnull(sig);
	ck_assert_int_eq(op(EVS_STORE_ADD, "lb.vip", VIP "}"), 0);
	backend("web", "10.0.1.1", "");
	run(&s, 1);
	ck_assert_uint_eq(out_port[0], 1);
	evs_lb_lcore_passive(lctx, sig);
	ck_assert_uint_eq(sig[1], 0);
	run(&s, 1); /* retransmitted SYN, no SYN-ACK seen */
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
	run(&r, 1);
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
	struct spec s = syn(9, 999);

	ck_assert_int_eq(
	    op(EVS_STORE_ADD, "lb.vip",
	       "{\"name\":\"r\",\"address\":\"10.0.0.100\",\"port\":80,\"scope\":\"r\"}"),
	    0);
	ck_assert_int_eq(
	    op(EVS_STORE_ADD, "lb.vip",
	       "{\"name\":\"x\",\"address\":\"10.0.0.102\",\"port\":80,\"scope\":\"x\"}"),
	    0);
	backend("r", "10.0.1.1", "");
	backend("x", "10.0.1.2", "");
	run(&s, 1);
	ck_assert_uint_eq(out_port[0], 1);
	ck_assert_uint_eq(rte_be_to_cpu_16(out_key[0].l4_dst), 8080);
	s.dst = "10.0.0.102";
	run(&s, 1);
	ck_assert_uint_eq(out_port[0], 102);
	ck_assert_uint_eq(evs_lb_conf_state(w.lb)->cur->vip[0].n_ldps, 2);
	ck_assert_uint_eq(evs_lb_conf_state(w.lb)->cur->vip[1].n_ldps, 0);
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

	ck_assert_int_eq(op(EVS_STORE_ADD, "lb.vip", VIP ",\"protocol\":\"udp\"}"), 0);
	backend("web", "10.0.1.1", ",\"drain_timeout\":600");
	backend("web", "10.0.1.2", ",\"drain_timeout\":600");
	p = evs_lb_conf_pool(w.lb, evs_store_lookup_str(w.store, "lb.vip", "web"));
	run(&s, 1);
	ck_assert_uint_ge(out_port[0], 1);
	id = evs_ct_burst_meta(evs_ct_lcore_get(w.tab, 1), 0)->backend;
	ck_assert_uint_ne(id, 0);
	/* delete the busy backend and the idle one */
	ck_assert_int_eq(op(EVS_STORE_DEL, "lb.backend",
			    "{\"vip\":\"web\",\"address\":\"10.0.1.1\",\"port\":8080}"),
			 0);
	ck_assert_int_eq(op(EVS_STORE_DEL, "lb.backend",
			    "{\"vip\":\"web\",\"address\":\"10.0.1.2\",\"port\":8080}"),
			 0);
	evs_lb_conf_tick(w.lb, NULL, NULL);
	evs_lb_conf_tick(w.lb, NULL, NULL);
	ck_assert_uint_eq(evs_lb_pool_count(p), 1); /* the idle one went at once */
	ck_assert_int_eq(evs_lb_pool_get(p, id, &in), 0);
	ck_assert(in.removing);
	ck_assert_uint_eq(evs_ct_flush(w.tab, EVS_LB_CT_ZONE), 1); /* its last connection ends */
	evs_lb_conf_tick(w.lb, NULL, NULL);
	evs_lb_conf_tick(w.lb, NULL, NULL);
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

	ck_assert_int_eq(op(EVS_STORE_ADD, "lb.vip", VIP ",\"protocol\":\"udp\"}"), 0);
	backend("web", "10.0.1.1", "");
	dp = evs_lb_conf_state(w.lb)->cur;
	id = dp->active[dp->vip[0].active_off];
	addr("10.0.1.1", be);
	ck_assert(dp->tpl[id].valid);
	ck_assert_mem_eq(dp->tpl[id].addr, be, 4);
	ck_assert_uint_eq(rte_be_to_cpu_16(dp->tpl[id].port), 8080);
	ck_assert_uint_eq(dp->tpl[id + 1].valid, 0);
	ck_assert_int_eq(op(EVS_STORE_DEL, "lb.backend",
			    "{\"vip\":\"web\",\"address\":\"10.0.1.1\",\"port\":8080}"),
			 0);
	evs_lb_conf_tick(w.lb, NULL, NULL);
	ck_assert_uint_eq(evs_lb_conf_state(w.lb)->cur->tpl[id].valid, 0);
	/* a connection names a free id x (a removed backend's, past its drain) */
	x = 100;
	a.backend = (uint16_t)x;
	m = build(&s, &k);
	ck_assert_uint_eq(evs_ct_execute_burst(evs_ct_lcore_get(w.tab, 0), &a, &m, &k, 1), 1);
	rte_pktmbuf_free(m);
	ck_assert_uint_eq(evs_ct_backend_count(w.tab, (uint16_t)x), 1);
	free0 = lb_ids_free(w.lb);
	w.lb->last_id = x - 1;
	id = lb_id_alloc(w.lb);
	ck_assert_uint_eq(id, x + 1); /* x skipped */
	lb_id_free(w.lb, id);
	ck_assert_uint_eq(lb_ids_free(w.lb), free0);
	/* its last connection gone, x comes back */
	ck_assert_uint_eq(evs_ct_flush(w.tab, EVS_LB_CT_ZONE), 1);
	ck_assert_uint_eq(lb_ids_free(w.lb), free0 + 1);
	w.lb->last_id = x - 1;
	ck_assert_uint_eq(lb_id_alloc(w.lb), x);
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
	struct spec s[2] = {syn(7, 4000), syn(7, 4000)};
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

	ck_assert_int_ne(op(EVS_STORE_ADD, "lb.vip", VIP ",\"snat\":\"fd00::1\"}"), 0);
	ck_assert_int_eq(op(EVS_STORE_ADD, "lb.vip", VIP ",\"snat\":\"10.0.1.254\"}"), 0);
	ck_assert_int_eq(op(EVS_STORE_ADD, "lb.vip",
			    "{\"name\":\"web2\",\"address\":\"10.0.0.101\",\"port\":80,"
			    "\"scope\":\"sw\",\"snat\":\"10.0.1.254\"}"),
			 0);
	backend("web", "10.0.1.1", "");
	backend("web2", "10.0.1.1", "");
	s[1].dst = "10.0.0.101";
	for (unsigned int i = 0; i < 2; i++) {
		run(&s[i], 1);
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
		run(&r, 1);
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
	run(&r, 1);
	ck_assert_uint_eq(out_port[0], 254);
}
END_TEST

static void dsr_backend(const char *a)
{
	char doc[160];

	snprintf(doc, sizeof(doc), "{\"vip\":\"web\",\"address\":\"%s\",\"port\":80}", a);
	ck_assert_int_eq(op(EVS_STORE_ADD, "lb.backend", doc), 0);
}

/* Direct server return: the frame leaves towards the backend still
 * addressed to the VIP and its port (only routed by the backend's
 * address); the client's side alone is tracked, so its ACKs and data
 * (no SYN-ACK ever seen) follow the entry, across a pool change that
 * moves flows in the table; replies from the VIP are not ours. */
START_TEST(test_dsr)
{
	enum { N = 2 * BURST };
	const struct evs_lb_state *ls = evs_lb_conf_state(w.lb);
	uint16_t first[N];
	uint8_t vip[16], cli[16];
	unsigned int moved = 0;
	struct spec s[BURST];

	ck_assert_int_eq(op(EVS_STORE_ADD, "lb.vip", VIP ",\"dsr\":true,\"snat\":\"10.0.1.9\"}"),
			 -EINVAL);
	ck_assert_int_eq(op(EVS_STORE_ADD, "lb.vip", VIP "}"), 0);
	backend("web", "10.0.1.5", ""); /* port 8080: dsr cannot translate it */
	ck_assert_int_eq(op(EVS_STORE_SET, "lb.vip", "{\"name\":\"web\",\"dsr\":true}"), -EINVAL);
	ck_assert_int_eq(op(EVS_STORE_DEL, "lb.backend",
			    "{\"vip\":\"web\",\"address\":\"10.0.1.5\",\"port\":8080}"),
			 0);
	ck_assert_int_eq(op(EVS_STORE_SET, "lb.vip", "{\"name\":\"web\",\"dsr\":true}"), 0);
	ck_assert_int_eq(op(EVS_STORE_ADD, "lb.backend",
			    "{\"vip\":\"web\",\"address\":\"10.0.1.6\",\"port\":8080}"),
			 -EINVAL);
	dsr_backend("10.0.1.1");
	dsr_backend("10.0.1.2");
	addr("10.0.0.100", vip);
	for (unsigned int b = 0; b < N / BURST; b++) {
		for (unsigned int i = 0; i < BURST; i++)
			s[i] = syn(b * BURST + i, 5000);
		run(s, BURST);
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

			s[i] = syn(b * BURST + i, 5000);
			s[i].flags = ACK | PSH;
			s[i].seq = 1001;
			s[i].ack = 777; /* the backend's ISN, never seen here */
			s[i].payload = 100;
			m = build(&s[i], &k);
			id = evs_maglev_lookup(ls->cur->vip[0].maglev, evs_lb_flow_hash(&k));
			moved += ls->cur->backend[id].addr[3] != first[b * BURST + i];
			rte_pktmbuf_free(m);
		}
		run(s, BURST);
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
	run(s, 1);
	ck_assert_uint_eq(out_port[0], 7);
	ck_assert_mem_eq(out_key[0].src_ip, vip, 4);
}
END_TEST

/* Hinted recirculation against its meaning: every packet leaves where its
 * own key says (the port of its destination's last byte) whatever hint
 * slot it names (a wrong one now and then: a hint for another
 * destination), hints are used when they match (far fewer lookups than
 * two per packet), and a flush of every megaflow invalidates them. With
 * @wide, the megaflows consult more words than a hint holds inline. */
static void recirc_hints(bool wide)
{
	static char dst[BURST][16];
	struct evs_cls_stats cs0, cs1;
	unsigned int sent = 0;

	rc_on = true;
	rc_wide = wide;
	memset(rc_hints, 0, sizeof(rc_hints));
	ck_assert_int_eq(evs_cls_stats_get(evs_pipeline_lcore_cls(w.pl), &cs0), 0);
	for (unsigned int b = 0; b < 200; b++) {
		struct spec s[BURST];

		if (b == 100)
			evs_cls_flush(evs_pipeline_lcore_cls(w.pl));
		for (unsigned int i = 0; i < BURST; i++) {
			unsigned int d = 1 + (unsigned int)(rte_rand() % 4);

			snprintf(dst[i], sizeof(dst[i]), "10.0.9.%u", d);
			s[i] = (struct spec){.src = "10.2.0.1",
					     .dst = dst[i],
					     .proto = IPPROTO_UDP,
					     .sport = (uint16_t)(1 + rte_rand() % 60000),
					     .dport = 53,
					     .payload = 8};
			/* its own (d - 1) but one time in sixteen: any */
			rc_slot[i] = (uint16_t)(rte_rand() % 16 == 0 ? rte_rand() % 4 : d - 1);
		}
		run(s, BURST);
		for (unsigned int i = 0; i < BURST; i++)
			ck_assert_uint_eq(out_port[i], (uint16_t)atoi(dst[i] + 7));
		sent += BURST;
	}
	rc_on = rc_wide = false;
	ck_assert_int_eq(evs_cls_stats_get(evs_pipeline_lcore_cls(w.pl), &cs1), 0);
	printf("hinted recirculation%s: %llu lookups for %u packets (2 passes each)\n",
	       wide ? " (wide masks)" : "", (unsigned long long)(cs1.lookups - cs0.lookups), sent);
	ck_assert_uint_lt(cs1.lookups - cs0.lookups, (uint64_t)sent * 3 / 2);
	ck_assert_uint_gt(cs1.lookups - cs0.lookups, (uint64_t)sent);
	/* the way they were compared: the words past the inline ones by the
	 * bitmap (wide: every word but the ports') */
	for (unsigned int k = 0; k < RTE_DIM(rc_hints); k++)
		if (rc_hints[k].flow != NULL)
			ck_assert_uint_eq(rc_hints[k].hi != 0, wide);
}

START_TEST(test_recirc_hints)
{
	recirc_hints(false);
}
END_TEST

START_TEST(test_recirc_hints_wide_mask)
{
	recirc_hints(true);
}
END_TEST

/*
 * A hint is used only for keys equal to its megaflow's on every word the
 * megaflow consults, whichever word that is (the first eight compared in
 * pairs from the hint's copy, the others one by one): for each word of the
 * key, a recirculated pass that consults one bit of it and sends the
 * packet by that bit, and bursts of packets that differ in that bit alone
 * sharing one hint slot. A compare that skipped the word would send both
 * kinds by the first one's megaflow. Between words every megaflow is
 * flushed: a hint naming a removed megaflow must not be used.
 */
START_TEST(test_recirc_hints_every_word)
{
	rc_on = true;
	memset(rc_hints, 0, sizeof(rc_hints));
	memset(rc_slot, 0, sizeof(rc_slot)); /* one slot for all */
	for (unsigned int wd = 0; wd < EVS_FLOW_KEY_WORDS; wd++) {
		uint64_t direct = rc_direct;

		/* a byte no stage of the first pass consults: in_port in word 0 */
		rc_byte = wd == 0 ? 0 : (int)(wd * 8 + 4);
		evs_cls_flush(evs_pipeline_lcore_cls(w.pl));
		for (unsigned int b = 0; b < 8; b++) {
			struct spec s[BURST];

			for (unsigned int i = 0; i < BURST; i++) {
				s[i] = (struct spec){.src = "10.2.0.1",
						     .dst = "10.0.9.1",
						     .proto = IPPROTO_UDP,
						     .sport = 1000,
						     .dport = 53,
						     .payload = 8};
				/* a run of the kind the hint holds (the last
				 * burst's second half) but one (compared inside
				 * the run), then a run of the other (compared
				 * where a run starts) */
				rc_flip[i] = ((i >= BURST / 2) ^ (b & 1) ^ (i == 5)) != 0;
			}
			run(s, BURST);
			for (unsigned int i = 0; i < BURST; i++)
				ck_assert_msg(out_port[i] == 10 + rc_flip[i],
					      "word %u packet %u: port %u", wd, i, out_port[i]);
		}
		/* the hint was used (its compare is what the test checks):
		 * packets 0-4 of each burst after the first at least (one
		 * slot for both kinds: each miss teaches it the other) */
		ck_assert_uint_ge(rc_direct - direct, 7 * 5);
	}
	rc_on = false;
	rc_byte = -1;
}
END_TEST

START_TEST(test_mask_is_sufficient)
{
	unsigned int vip_hits = 0, reply_hits = 0;

	ck_assert_int_eq(op(EVS_STORE_ADD, "lb.vip", VIP "}"), 0);
	ck_assert_int_eq(op(EVS_STORE_ADD, "lb.vip",
			    "{\"name\":\"all\",\"address\":\"10.0.0.101\",\"protocol\":\"udp\","
			    "\"scope\":\"sw\"}"),
			 0);
	ck_assert_int_eq(
	    op(EVS_STORE_ADD, "lb.vip",
	       "{\"name\":\"v6\",\"address\":\"fd00::100\",\"port\":443,\"scope\":\"sw\"}"),
	    0);
	backend("web", "10.0.1.1", "");
	backend("all", "10.0.1.2", "");
	ck_assert_int_eq(op(EVS_STORE_ADD, "lb.backend",
			    "{\"vip\":\"all\",\"address\":\"10.0.1.1\",\"port\":0}"),
			 0);
	backend("v6", "fd00:1::5", "");
	for (unsigned int n = 0; n < 20000; n++) {
		struct evs_flow_key k, k2;
		struct evs_flow_mask m, m2;
		uint8_t p[EVS_PROG_MAX], p2[EVS_PROG_MAX];
		int len, len2;

		random_key(&k);
		len = evs_pipeline_xlate(w.pl, &w.st, &k, &m, p, NULL);
		ck_assert_int_gt(len, 0);
		/* another key under the same mask: random outside it */
		random_key(&k2);
		for (unsigned int i = 0; i < sizeof(k); i++) {
			uint8_t mb = ((const uint8_t *)&m.bits)[i];

			((uint8_t *)&k2)[i] = (uint8_t)((((const uint8_t *)&k)[i] & mb) |
							(((uint8_t *)&k2)[i] & ~mb));
		}
		len2 = evs_pipeline_xlate(w.pl, &w.st, &k2, &m2, p2, NULL);
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

/* The UDP VIP "web" with backends 10.0.1.1-4 (ports 1-4 of the stand-in). */
static void udp_vip_four_backends(void)
{
	ck_assert_int_eq(op(EVS_STORE_ADD, "lb.vip", VIP ",\"protocol\":\"udp\"}"), 0);
	for (unsigned int b = 1; b <= 4; b++) {
		char a[16];

		snprintf(a, sizeof(a), "10.0.1.%u", b);
		backend("web", a, "");
	}
}

/* lb_next_direct and lb_next_classified of the test's lcore. */
static void next_counts(uint64_t *direct, uint64_t *classified)
{
	uint64_t v[EVS_LB_C_MAX] = {0};

	evs_lb_module.counters_get(evs_pipeline_lcore_module(w.pl, MOD_LB), v);
	*direct = v[EVS_LB_C_NEXT_DIRECT];
	*classified = v[EVS_LB_C_NEXT_CLASSIFIED];
}

/*
 * Counted exactly under mixed bursts (lb's established loop stops at the
 * first packet it does not take, the general one goes on): established UDP
 * packets of random sizes, new UDP and TCP connections, and SYNs of
 * unanswered connections sent again (a passive signal each), in random
 * order, a packet of a connection sometimes after its first in the same
 * burst. Reference: what the test saw leave, per backend port (backends
 * 10.0.1.1-4 of the UDP VIP, 10.0.1.5-8 of the TCP one), against lb's
 * per-backend packets and bytes, lb_hit, lb_new and lb_passive_signal.
 */
START_TEST(test_counts_exact_in_mixed_bursts)
{
	enum { ROUNDS = 60, MAXF = ROUNDS * BURST };
	static char src[MAXF][16];
	static uint16_t tcp_port[MAXF];
	struct evs_lb_counts *be = calloc(EVS_LB_IDS, sizeof(*be));
	void *lctx = evs_pipeline_lcore_module(w.pl, MOD_LB);
	const struct evs_lb_state *ls = w.st.mod[MOD_LB];
	uint64_t pk[9] = {0}, by[9] = {0}, got_pk[9] = {0}, got_by[9] = {0};
	uint64_t c0[EVS_LB_C_MAX] = {0}, c1[EVS_LB_C_MAX] = {0};
	uint64_t hits = 0, news = 0, passive = 0;
	unsigned int n_udp = 0, n_tcp = 0;

	ck_assert_ptr_nonnull(be);
	udp_vip_four_backends();
	ck_assert_int_eq(op(EVS_STORE_ADD, "lb.vip",
			    "{\"name\":\"webt\",\"address\":\"10.0.0.100\",\"port\":80,"
			    "\"scope\":\"sw\",\"protocol\":\"tcp\"}"),
			 0);
	for (unsigned int b = 5; b <= 8; b++) {
		char a[16];

		snprintf(a, sizeof(a), "10.0.1.%u", b);
		backend("webt", a, "");
	}
	for (unsigned int f = 0; f < MAXF; f++)
		snprintf(src[f], sizeof(src[f]), "10.2.%u.%u", 1 + f / 200, 1 + f % 200);
	evs_lb_module.counters_get(lctx, c0);
	for (unsigned int r = 0; r < ROUNDS; r++) {
		struct spec s[BURST];
		bool repeat[BURST];

		for (unsigned int i = 0; i < BURST; i++) {
			unsigned int kind = (unsigned int)(rte_rand() % 8);

			repeat[i] = false;
			if (kind == 7 && n_tcp > 0) { /* an unanswered SYN again */
				unsigned int f = (unsigned int)(rte_rand() % n_tcp);

				s[i] = syn(f, tcp_port[f]);
				repeat[i] = true;
			} else if (kind == 6 && n_tcp < MAXF) { /* a new TCP connection */
				tcp_port[n_tcp] = (uint16_t)(1024 + n_tcp);
				s[i] = syn(n_tcp, tcp_port[n_tcp]);
				n_tcp++;
				news++;
			} else {
				/* UDP: a new flow, or a packet of a known one */
				bool fresh = kind == 5 || n_udp == 0;
				unsigned int f =
				    fresh ? n_udp++ : (unsigned int)(rte_rand() % n_udp);

				news += fresh;
				s[i] = (struct spec){.src = src[f],
						     .dst = "10.0.0.100",
						     .proto = IPPROTO_UDP,
						     .sport = 5353,
						     .dport = 80,
						     .payload = (uint16_t)(8 + rte_rand() % 200)};
			}
		}
		run(s, BURST);
		for (unsigned int i = 0; i < BURST; i++) {
			ck_assert_uint_ge(out_port[i], 1);
			ck_assert_uint_le(out_port[i], 8);
			pk[out_port[i]]++;
			by[out_port[i]] += out_len[i];
			passive += repeat[i];
		}
	}
	hits = (uint64_t)ROUNDS * BURST - news;
	evs_lb_module.counters_get(lctx, c1);
	ck_assert_uint_eq(c1[EVS_LB_C_NEW] - c0[EVS_LB_C_NEW], news);
	ck_assert_uint_eq(c1[EVS_LB_C_HIT] - c0[EVS_LB_C_HIT], hits);
	ck_assert_uint_eq(c1[EVS_LB_C_PASSIVE] - c0[EVS_LB_C_PASSIVE], passive);
	ck_assert_uint_gt(passive, 0);
	evs_lb_lcore_stats(lctx, NULL, be);
	for (unsigned int id = 1; id < EVS_LB_IDS; id++) {
		const struct evs_lb_dp_backend *b = &ls->cur->backend[id];

		if (be[id].packets == 0)
			continue;
		ck_assert_uint_ge(b->addr[3], 1);
		ck_assert_uint_le(b->addr[3], 8);
		got_pk[b->addr[3]] += be[id].packets;
		got_by[b->addr[3]] += be[id].bytes;
	}
	for (unsigned int p = 1; p <= 8; p++) {
		ck_assert_uint_gt(pk[p], 0);
		ck_assert_uint_eq(got_pk[p], pk[p]);
		ck_assert_uint_eq(got_by[p], by[p]);
	}
	free(be);
}
END_TEST

/*
 * The pass after lb() runs a backend's remembered megaflow (its route)
 * without a lookup; it must send every packet where a fresh classification
 * of both passes would, under mixed bursts while a backend's route
 * changes, another's neighbour (MAC) changes, a backend is removed (its
 * connections stay) and new connections arrive, changes made between the
 * bursts of one round. Reference: the stand-in's tables for the backend
 * the packet's connection has.
 */
START_TEST(test_next_pass_follows_route_changes)
{
	enum { FLOWS = 128, ROUNDS = 48, NEW = 4 };
	static char src[FLOWS + ROUNDS * NEW][16];
	uint8_t be[FLOWS + ROUNDS * NEW];
	uint16_t order[FLOWS + ROUNDS * NEW];
	unsigned int nflows = FLOWS, changes = 0;
	uint64_t d0, c0, d1, c1;
	struct rte_ether_addr mac0 = {{0}};

	udp_vip_four_backends();
	memset(be, 0, sizeof(be));
	for (unsigned int f = 0; f < RTE_DIM(src); f++)
		snprintf(src[f], sizeof(src[f]), "10.2.%u.%u", 1 + f / 200, 1 + f % 200);
	next_counts(&d0, &c0);
	for (unsigned int r = 0; r < ROUNDS; r++) {
		unsigned int n = 0;

		/* this round's flows in a random order, NEW new ones among them */
		for (unsigned int f = 0; f < nflows + (r == 0 ? 0 : NEW); f++)
			order[n++] = (uint16_t)f;
		nflows += r == 0 ? 0 : NEW;
		for (unsigned int i = n - 1; i > 0; i--) {
			unsigned int j = (unsigned int)(rte_rand() % (i + 1));
			uint16_t t = order[i];

			order[i] = order[j];
			order[j] = t;
		}
		for (unsigned int at = 0; at < n; at += BURST) {
			uint16_t k = (uint16_t)RTE_MIN((unsigned int)BURST, n - at);
			struct spec s[BURST];

			/* changes between the bursts of a round, with traffic */
			if (at == 2 * BURST && r == 8) {
				rt_port[2] = 20; /* backend 2's route moves */
				changes++;
			} else if (at == BURST && r == 16) {
				rt_mac[3] = 0x33; /* backend 3's neighbour changes MAC */
				changes++;
			} else if (at == 3 * BURST && r == 24) {
				ck_assert_int_eq(op(EVS_STORE_DEL, "lb.backend",
						    "{\"vip\":\"web\",\"address\":\"10.0.1.1\","
						    "\"port\":8080}"),
						 0);
			} else if (at == BURST && r == 32) {
				rt_port[2] = 0; /* back, and 4's route and MAC at once */
				rt_port[4] = 40;
				rt_mac[4] = 0x44;
				changes++;
			}
			if (changes != 0) {
				ck_assert_int_eq(evs_registry_dep_bump(w.reg, MOD_FWD, 0), 0);
				changes = 0;
			}
			for (uint16_t i = 0; i < k; i++)
				s[i] = (struct spec){.src = src[order[at + i]],
						     .dst = "10.0.0.100",
						     .proto = IPPROTO_UDP,
						     .sport = 7000,
						     .dport = 80,
						     .payload = 12};
			run(s, k);
			for (uint16_t i = 0; i < k; i++) {
				unsigned int f = order[at + i];
				uint8_t b = out_key[i].dst_ip[3];

				ck_assert_uint_ge(b, 1);
				ck_assert_uint_le(b, 4);
				if (be[f] == 0) { /* new: a backend in the table */
					be[f] = b;
					if (r > 24)
						ck_assert_uint_ne(b, 1);
				}
				ck_assert_uint_eq(b, be[f]); /* its connection's backend */
				ck_assert_uint_eq(out_port[i], rt_port[b] != 0 ? rt_port[b] : b);
				if (r == 0 && f == order[0])
					mac0 = out_key[i].dst_mac;
				if (rt_mac[b] != 0)
					ck_assert_uint_eq(out_key[i].dst_mac.addr_bytes[5],
							  rt_mac[b]);
				else if (r != 0)
					ck_assert(
					    rte_is_same_ether_addr(&out_key[i].dst_mac, &mac0));
			}
		}
	}
	next_counts(&d1, &c1);
	printf("next pass after lb: %llu direct, %llu classified\n", (unsigned long long)(d1 - d0),
	       (unsigned long long)(c1 - c0));
	/* mostly direct; classified: each backend's first packets and after
	 * each change (the dependency made the remembered megaflows stale) */
	ck_assert_uint_gt(d1 - d0, 8 * (c1 - c0));
	ck_assert_uint_ge(c1 - c0, 4 + 3);
}
END_TEST

/*
 * Clients on two ports, bursts alternating between them (a PMD's bursts
 * come one port at a time), a routed pass that consults in_port: each
 * (backend, port) keeps its own hint, so after the first round every
 * packet runs its route directly; one hint per backend would be learned
 * again at every burst (about one classified packet per backend and burst).
 */
START_TEST(test_next_pass_hint_per_client_port)
{
	enum { FLOWS = 64, ROUNDS = 40 };
	uint64_t d0 = 0, c0 = 0, d1, c1;
	uint8_t be[2][FLOWS] = {{0}};
	char src[FLOWS][16];

	rt_by_port = true;
	udp_vip_four_backends();
	for (unsigned int f = 0; f < FLOWS; f++)
		snprintf(src[f], sizeof(src[f]), "10.2.7.%u", 1 + f);
	for (unsigned int r = 0; r < ROUNDS; r++)
		for (unsigned int p = 0; p < 2; p++)
			for (unsigned int at = 0; at < FLOWS; at += BURST) {
				struct spec s[BURST];

				if (r == 1 && p == 0 && at == 0) /* connections and hints made */
					next_counts(&d0, &c0);
				run_in_port = (uint16_t)(10 + p);
				for (unsigned int i = 0; i < BURST; i++)
					s[i] = (struct spec){.src = src[at + i],
							     .dst = "10.0.0.100",
							     .proto = IPPROTO_UDP,
							     .sport = (uint16_t)(100 + p),
							     .dport = 80,
							     .payload = 12};
				run(s, BURST);
				for (unsigned int i = 0; i < BURST; i++) {
					uint8_t b = out_key[i].dst_ip[3];

					if (be[p][at + i] == 0)
						be[p][at + i] = b;
					ck_assert_uint_eq(b, be[p][at + i]);
					ck_assert_uint_eq(out_port[i], b);
				}
			}
	next_counts(&d1, &c1);
	printf("two client ports: %llu direct, %llu classified\n", (unsigned long long)(d1 - d0),
	       (unsigned long long)(c1 - c0));
	ck_assert_uint_eq(d1 - d0 + c1 - c0, (ROUNDS - 1) * 2 * FLOWS);
	/* none once each (backend, port) has its hint: not one per burst */
	ck_assert_uint_eq(c1 - c0, 0);
}
END_TEST

/*
 * The pass after lb() groups a burst by the megaflow each backend's packets
 * run (one program run per backend, not per run of neighbours): packets of
 * one connection must still leave in the order they came. 8 connections
 * over 4 backends, 4 packets each, interleaved in 32-packet bursts.
 */
START_TEST(test_next_pass_keeps_connection_order)
{
	enum { CONNS = 8, EACH = 4 };
	char src[CONNS][16];

	udp_vip_four_backends();
	for (unsigned int c = 0; c < CONNS; c++)
		snprintf(src[c], sizeof(src[c]), "10.2.9.%u", 1 + c);
	for (unsigned int r = 0; r < 20; r++) {
		struct spec s[BURST];
		unsigned int backends = 0;

		for (unsigned int i = 0; i < BURST; i++)
			s[i] = (struct spec){.src = src[i % CONNS],
					     .dst = "10.0.0.100",
					     .proto = IPPROTO_UDP,
					     .sport = 4000,
					     .dport = 80,
					     .payload = (uint16_t)(10 + i / CONNS)};
		run(s, BURST);
		for (unsigned int i = 0; i < BURST; i++) {
			ck_assert_uint_ne(out_port[i], 0);
			backends |= 1u << out_port[i];
			/* after the connection's previous packet of this burst */
			if (i >= CONNS)
				ck_assert_uint_gt(out_seq[i], out_seq[i - CONNS]);
		}
		/* mixed: several backends in each burst */
		ck_assert_uint_gt(__builtin_popcount(backends), 1);
	}
}
END_TEST

/*
 * The backends share one routed megaflow (one next hop), so lb checks a
 * burst's packets against it in its own loop and runs its program at once
 * (evs_exec_hint_run): what that path must still see. Rounds of two bursts
 * over 64 connections spread on four backends, the client port changing
 * every round (the megaflow and hints are per port); between rounds: the
 * route changes (a dependency bump: the next packet must take the new next
 * hop), every megaflow is removed (a hint naming one must not be used);
 * at the end, clients of 10.2.9/24, whose next hop differs (the megaflow
 * consults that bit, the first pass does not: the same lb run), are mixed
 * into the bursts, sharing the hints of their backends. Every packet must
 * leave where a fresh classification sends it; most go by their hint.
 */
START_TEST(test_next_pass_one_megaflow_follows_changes)
{
	enum { FLOWS = 64, ROUNDS = 24 };
	uint64_t d0 = 0, c0 = 0, d1, c1;
	uint8_t be[2 * FLOWS] = {0};
	char src[2 * FLOWS][16];

	rt_shared = 100;
	rt_by_port = true;
	udp_vip_four_backends();
	for (unsigned int f = 0; f < 2 * FLOWS; f++) /* the second half: 10.2.9/24 */
		snprintf(src[f], sizeof(src[f]), "10.2.%u.%u", f < FLOWS ? 8 : 9, 1 + f % FLOWS);
	for (unsigned int r = 0; r < ROUNDS; r++) {
		bool mixed = r >= ROUNDS - 3;

		if (r == 2)
			next_counts(&d0, &c0);
		if (r == 5 || r == 11) {
			rt_shared = (uint16_t)(rt_shared + 10);
			ck_assert_int_eq(evs_registry_dep_bump(w.reg, MOD_FWD, 0), 0);
		} else if (r == 8 || r == 14) {
			evs_cls_flush(evs_pipeline_lcore_cls(w.pl));
		}
		run_in_port = (uint16_t)(10 + r % 2);
		for (unsigned int at = 0; at < FLOWS; at += BURST) {
			struct spec s[BURST];
			unsigned int f[BURST];

			for (unsigned int i = 0; i < BURST; i++) {
				/* mixed: every fifth from 10.2.9/24, after a run */
				f[i] = at + i + (mixed && i % 5 == 4 ? FLOWS : 0);
				s[i] = (struct spec){.src = src[f[i]],
						     .dst = "10.0.0.100",
						     .proto = IPPROTO_UDP,
						     .sport = 100,
						     .dport = 80,
						     .payload = 12};
			}
			run(s, BURST);
			for (unsigned int i = 0; i < BURST; i++) {
				uint8_t b = out_key[i].dst_ip[3];
				uint16_t want =
				    (uint16_t)(rt_shared + (f[i] >= FLOWS) + 2 * run_in_port);

				if (be[f[i]] == 0)
					be[f[i]] = b;
				ck_assert_uint_eq(b, be[f[i]]); /* its connection's backend */
				ck_assert_msg(out_port[i] == want,
					      "round %u packet %u: port %u not %u", r, i,
					      out_port[i], want);
			}
		}
	}
	next_counts(&d1, &c1);
	printf("one routed megaflow: %llu direct, %llu classified\n", (unsigned long long)(d1 - d0),
	       (unsigned long long)(c1 - c0));
	ck_assert_uint_eq(d1 - d0 + c1 - c0, (ROUNDS - 2) * FLOWS);
	/* (each change costs a round's packets a classification; the mixed
	 * rounds' two megaflows take turns at their backends' hints) */
	ck_assert_uint_gt(d1 - d0, c1 - c0);
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
	    {"recirc_hints", test_recirc_hints},
	    {"recirc_hints_wide_mask", test_recirc_hints_wide_mask},
	    {"recirc_hints_every_word", test_recirc_hints_every_word},
	    {"counts_exact_in_mixed_bursts", test_counts_exact_in_mixed_bursts},
	    {"next_pass_follows_route_changes", test_next_pass_follows_route_changes},
	    {"next_pass_hint_per_client_port", test_next_pass_hint_per_client_port},
	    {"next_pass_keeps_connection_order", test_next_pass_keeps_connection_order},
	    {"next_pass_one_megaflow_follows_changes", test_next_pass_one_megaflow_follows_changes},
	};

	unit_add_cases(s, cases, RTE_DIM(cases), lbm_setup, lbm_teardown, 0);
}
