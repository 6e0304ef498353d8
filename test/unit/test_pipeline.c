/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/pipeline: the slow path's megaflow masks are sufficient (randomized:
 * any key matching a megaflow gets the same translation), cached flows
 * follow MAC moves and port removals, refusals still forward, traces.
 */

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_random.h>
#include <rte_rcu_qsbr.h>

#include "evs_pipeline.h"
#include "unit_eal.h"

static struct rte_mempool *pool;
static struct rte_rcu_qsbr *qsbr;

/* A small world: switches 0..2; ports 0..5 with native and VLAN members. */
static const struct evs_l2_vlan_map p3_vlans[] = {{.vid = 100, .switch_id = 1},
						  {.vid = 200, .switch_id = 2}};
static const struct evs_l2_vlan_map p4_vlans[] = {{.vid = 100, .switch_id = 0}};

static struct evs_l2_conf *world_conf(bool with_port2)
{
	static const struct evs_l2_switch_spec sws[] = {
	    {.id = 0, .name = "a"}, {.id = 1, .name = "b"}, {.id = 2, .name = "c"}};
	struct evs_l2_port_spec ps[] = {
	    {.port = 0, .has_native = true, .native_switch = 0},
	    {.port = 1, .has_native = true, .native_switch = 0},
	    {.port = 3, .has_native = true, .native_switch = 0, .nb_vlans = 2, .vlans = p3_vlans},
	    {.port = 4, .nb_vlans = 1, .vlans = p4_vlans},
	    {.port = 5, .has_native = true, .native_switch = 1},
	    {.port = 2, .has_native = true, .native_switch = 0},
	};
	struct evs_l2_conf_spec spec = {.nb_switches = 3,
					.switches = sws,
					.nb_ports = with_port2 ? 6 : 5,
					.ports = ps,
					.socket_id = SOCKET_ID_ANY};
	char err[128];
	struct evs_l2_conf *c = evs_l2_conf_build(&spec, err, sizeof(err));

	ck_assert_msg(c != NULL, "conf: %s", err);
	return c;
}

static struct evs_l2_macs *world_macs(void)
{
	struct evs_l2_macs_config cfg = {.name = "pl_macs", .capacity = 256, .qsbr = qsbr};
	struct evs_l2_macs *m = evs_l2_macs_create(&cfg);

	ck_assert_ptr_nonnull(m);
	return m;
}

static struct rte_ether_addr mac_n(unsigned int n)
{
	struct rte_ether_addr a = {{0x02, 0, 0, 0, (uint8_t)(n >> 8), (uint8_t)n}};

	return a;
}

/* A key from a small alphabet, so that random keys hit the interesting cases. */
static void random_key(struct evs_flow_key *k)
{
	static const uint16_t vids[] = {0, 100, 200, 300};
	uint8_t *raw = (uint8_t *)k;
	unsigned int i;

	for (i = 0; i < sizeof(*k); i++)
		raw[i] = (uint8_t)rte_rand();
	k->in_port = (uint16_t)(rte_rand() % 7);
	k->vlan_tci =
	    rte_rand() % 3 == 0
		? 0
		: (uint16_t)(EVS_VLAN_PRESENT | vids[rte_rand() % 4] | ((rte_rand() % 8) << 13));
	switch (rte_rand() % 4) {
	case 0:
		memset(&k->dst_mac, 0xff, 6);
		break;
	case 1:
		k->dst_mac.addr_bytes[0] |= 0x01; /* multicast */
		break;
	default:
		k->dst_mac = mac_n((unsigned int)(rte_rand() % 12));
	}
	if (rte_rand() % 8 == 0)
		k->src_mac.addr_bytes[0] |= 0x01;
	else
		k->src_mac = mac_n((unsigned int)(rte_rand() % 12));
}

static bool same_prog(const struct evs_prog *a, const struct evs_prog *b)
{
	return a->n_acts == b->n_acts && a->flags == b->flags &&
	       memcmp(a->acts, b->acts, sizeof(a->acts[0]) * a->n_acts) == 0;
}

START_TEST(mask_is_sufficient)
{
	struct evs_l2_conf *conf = world_conf(true);
	struct evs_l2_macs *macs = world_macs();
	struct evs_l2_lcore *lc =
	    evs_l2_lcore_create(&(struct evs_l2_lcore_config){.macs = macs, .clone_pool = pool});
	struct evs_pipeline_state st = {.l2 = conf, .macs = macs, .gen = 1, .macs_gen = 1};
	unsigned int i, v, n_unicast = 0, n_flood = 0, n_drop = 0;

	ck_assert_ptr_nonnull(lc);
	/* MACs 0..7 known somewhere (some on ports that do not carry the switch) */
	for (i = 0; i < 8; i++) {
		struct rte_ether_addr m = mac_n(i);

		ck_assert_int_eq(
		    evs_l2_macs_add_static(macs, (uint16_t)(i % 3), &m, (uint16_t)(i % 6), 0), 0);
	}
	for (i = 0; i < 20000; i++) {
		struct evs_flow_key k, k2;
		struct evs_flow_mask mask, mask2;
		struct evs_prog prog, prog2;
		const uint64_t *km = (const uint64_t *)&mask.bits;

		random_key(&k);
		ck_assert_int_eq(evs_pipeline_xlate(&st, lc, &k, &mask, &prog, NULL), 0);
		ck_assert_int_eq(prog.n_acts, 1);
		n_unicast += prog.acts[0].l2.type == EVS_L2_ACT_UNICAST;
		n_flood += prog.acts[0].l2.type == EVS_L2_ACT_FLOOD;
		n_drop += prog.acts[0].l2.type == EVS_L2_ACT_DROP;
		for (v = 0; v < 8; v++) {
			uint64_t *w2 = (uint64_t *)&k2;
			const uint64_t *w = (const uint64_t *)&k;
			struct evs_flow_key r;
			const uint64_t *wr = (const uint64_t *)&r;
			unsigned int j;

			random_key(&r);
			for (j = 0; j < EVS_FLOW_KEY_WORDS; j++)
				w2[j] = (w[j] & km[j]) | (wr[j] & ~km[j]);
			{
				struct evs_flow_key mk;

				evs_flow_key_apply_mask(&mk, &k, &mask);
				ck_assert(evs_flow_key_matches(&k2, &mask, &mk));
			}
			evs_pipeline_xlate(&st, lc, &k2, &mask2, &prog2, NULL);
			ck_assert_msg(
			    same_prog(&prog, &prog2),
			    "key %u variant %u: a key matching the megaflow was translated "
			    "differently",
			    i, v);
			ck_assert_msg(memcmp(&mask, &mask2, sizeof(mask)) == 0,
				      "key %u variant %u: same megaflow, different mask", i, v);
		}
	}
	/* the random world must exercise every outcome */
	ck_assert_uint_gt(n_unicast, 100);
	ck_assert_uint_gt(n_flood, 100);
	ck_assert_uint_gt(n_drop, 100);
	evs_l2_lcore_free(lc);
	evs_l2_macs_free(macs);
	evs_l2_conf_free(conf);
}
END_TEST

/* One frame from @src to @dst on port @in_port, parsed. */
static struct rte_mbuf *frame(uint16_t in_port, unsigned int src, unsigned int dst,
			      struct evs_flow_key *key)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct rte_ether_hdr *eh;
	uint8_t *p;

	ck_assert_ptr_nonnull(m);
	p = (uint8_t *)rte_pktmbuf_append(m, 64);
	ck_assert_ptr_nonnull(p);
	memset(p, 0, 64);
	eh = (struct rte_ether_hdr *)p;
	eh->dst_addr = mac_n(dst);
	eh->src_addr = mac_n(src);
	eh->ether_type = rte_cpu_to_be_16(0x88b5); /* local experimental: L2 only */
	ck_assert_int_eq(evs_packet_parse(m, in_port, key), EVS_DROP_NONE);
	return m;
}

/* Send one frame through the fast path; returns the output port or -1. */
static int send1(struct evs_pipeline_lcore *pl, const struct evs_pipeline_state *st,
		 uint16_t in_port, unsigned int src, unsigned int dst)
{
	struct evs_flow_key key;
	struct rte_mbuf *m = frame(in_port, src, dst, &key);
	struct evs_l2_out out[8];
	uint16_t n = evs_pipeline_run(pl, st, &m, &key, 1, out, 8);
	int port = n == 1 ? out[0].port : -1;
	uint16_t i;

	for (i = 0; i < n; i++)
		rte_pktmbuf_free(out[i].m);
	return port;
}

struct world {
	struct evs_l2_conf *conf;
	struct evs_l2_macs *macs;
	struct evs_l2_lcore *lc;
	struct evs_pipeline_lcore *pl;
	struct evs_pipeline_state st;
};

static void world_up(struct world *w, uint32_t max_flows)
{
	w->conf = world_conf(true);
	w->macs = world_macs();
	w->lc =
	    evs_l2_lcore_create(&(struct evs_l2_lcore_config){.macs = w->macs, .clone_pool = pool});
	ck_assert_ptr_nonnull(w->lc);
	w->pl = evs_pipeline_lcore_create(&(struct evs_pipeline_lcore_config){
	    .name = "t", .l2 = w->lc, .max_flows = max_flows, .socket_id = SOCKET_ID_ANY});
	ck_assert_ptr_nonnull(w->pl);
	w->st =
	    (struct evs_pipeline_state){.l2 = w->conf, .macs = w->macs, .gen = 1, .macs_gen = 1};
}

static void world_down(struct world *w)
{
	evs_pipeline_lcore_free(w->pl);
	evs_l2_lcore_free(w->lc);
	evs_l2_macs_free(w->macs);
	evs_l2_conf_free(w->conf);
}

START_TEST(mac_move_reaches_cached_flow)
{
	struct world w;
	struct rte_ether_addr x = mac_n(9);
	struct evs_pipeline_stats ps;
	struct evs_cls_stats cs;

	world_up(&w, 0);
	ck_assert_int_eq(evs_l2_macs_add_static(w.macs, 0, &x, 1, 0), 0);
	ck_assert_int_eq(send1(w.pl, &w.st, 0, 5, 9), 1);
	ck_assert_int_eq(send1(w.pl, &w.st, 0, 5, 9), 1); /* now from the cache */
	evs_cls_stats_get(evs_pipeline_lcore_cls(w.pl), &cs);
	ck_assert_uint_eq(cs.installs, 1);
	ck_assert_uint_eq(cs.emc_hits + cs.megaflow_hits, 1);

	/* the MAC moves to port 2: the management lcore bumps the generation */
	ck_assert_int_eq(evs_l2_macs_add_static(w.macs, 0, &x, 2, 0), 0);
	w.st.macs_gen++;
	ck_assert_int_eq(send1(w.pl, &w.st, 0, 5, 9), 2);
	evs_pipeline_stats_get(w.pl, &ps);
	ck_assert_uint_eq(ps.revalidated, 1);
	ck_assert_uint_eq(ps.replaced, 0); /* same mask: modified in place */
	ck_assert_int_eq(send1(w.pl, &w.st, 0, 5, 9), 2);
	world_down(&w);
}
END_TEST

START_TEST(port_removal_reaches_cached_flow)
{
	struct world w;
	struct rte_ether_addr x = mac_n(9);
	struct evs_l2_conf *smaller;

	world_up(&w, 0);
	ck_assert_int_eq(evs_l2_macs_add_static(w.macs, 0, &x, 2, 0), 0);
	ck_assert_int_eq(send1(w.pl, &w.st, 0, 5, 9), 2);
	/* port 2 leaves the configuration: new snapshot, new generation */
	smaller = world_conf(false);
	w.st.l2 = smaller;
	w.st.gen++;
	ck_assert_int_ne(send1(w.pl, &w.st, 0, 5, 9), 2);
	/* once its MACs are flushed the destination is unknown: flooded */
	evs_l2_macs_flush_port(w.macs, 2, true);
	w.st.macs_gen++;
	ck_assert_int_eq(send1(w.pl, &w.st, 0, 5, 9), -1); /* flood: several outputs */
	evs_l2_conf_free(w.conf);
	w.conf = smaller;
	world_down(&w);
}
END_TEST

/*
 * Regression (issue 8): a stale wide megaflow is replaced while handling one
 * packet of a burst; the slot it freed is reused for the new megaflow, and a
 * later packet of the same burst that was looked up against the old entry
 * must not run the new entry's program.
 */
START_TEST(stale_megaflow_replaced_mid_burst)
{
	struct world w;
	struct evs_l2_conf *small = world_conf(false), *full;
	struct rte_ether_addr a = mac_n(20), b = mac_n(21);
	struct evs_flow_key keys[32];
	struct rte_mbuf *pkts[32];
	struct evs_l2_out out[32 * 8];
	uint16_t i, n;

	world_up(&w, 0);
	full = w.conf;
	w.conf = small;
	w.st.l2 = small; /* port 2 is in no switch: its frames hit one wide drop megaflow */
	ck_assert_int_eq(evs_l2_macs_add_static(w.macs, 0, &a, 0, 0), 0);
	ck_assert_int_eq(evs_l2_macs_add_static(w.macs, 0, &b, 1, 0), 0);
	ck_assert_int_eq(send1(w.pl, &w.st, 2, 7, 20), -1);
	/* port 2 joins switch 0 */
	w.st.l2 = full;
	w.st.gen++;
	for (i = 0; i < 32; i++)
		pkts[i] = frame(2, 7, i % 2 ? 21 : 20, &keys[i]);
	n = evs_pipeline_run(w.pl, &w.st, pkts, keys, 32, out, RTE_DIM(out));
	ck_assert_uint_eq(n, 32);
	for (i = 0; i < n; i++) {
		struct rte_ether_hdr *eh = rte_pktmbuf_mtod(out[i].m, struct rte_ether_hdr *);
		uint16_t want = eh->dst_addr.addr_bytes[5] == 21 ? 1 : 0;

		ck_assert_msg(out[i].port == want, "output %u: frame to MAC %u left on port %u", i,
			      eh->dst_addr.addr_bytes[5], out[i].port);
		rte_pktmbuf_free(out[i].m);
	}
	w.conf = full;
	evs_l2_conf_free(small);
	world_down(&w);
}
END_TEST

START_TEST(refused_install_still_forwards)
{
	struct world w;
	struct evs_pipeline_stats ps;
	unsigned int i;

	world_up(&w, 16);
	for (i = 0; i < 40; i++) {
		struct rte_ether_addr d = mac_n(100 + i);

		ck_assert_int_eq(evs_l2_macs_add_static(w.macs, 0, &d, 1, 0), 0);
	}
	for (i = 0; i < 40; i++)
		ck_assert_int_eq(send1(w.pl, &w.st, 0, 5, 100 + i), 1);
	evs_pipeline_stats_get(w.pl, &ps);
	ck_assert_uint_ge(ps.uncached, 24);
	world_down(&w);
}
END_TEST

START_TEST(trace_names_each_stage)
{
	struct world w;
	struct evs_flow_key k;
	struct evs_flow_mask mask;
	struct evs_prog prog;
	struct evs_trace tr;
	struct rte_mbuf *m;
	char buf[512];

	world_up(&w, 0);
	m = frame(0, 5, 9, &k);
	rte_pktmbuf_free(m);
	ck_assert_int_eq(evs_pipeline_xlate(&w.st, w.lc, &k, &mask, &prog, &tr), 0);
	ck_assert_uint_eq(tr.n, 1);
	ck_assert_str_eq(tr.steps[0].stage, "l2");
	ck_assert_ptr_nonnull(strstr(tr.steps[0].decision, "flood"));
	evs_flow_format(&k, &tr.steps[0].consulted, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "in_port=0"));
	ck_assert_ptr_nonnull(strstr(buf, "dst_mac=02:00:00:00:00:09"));
	ck_assert_ptr_null(strstr(buf, "ethertype"));
	evs_prog_format(&prog, buf, sizeof(buf), NULL, NULL);
	ck_assert_str_eq(buf, "flood(switch=0) [macs_gen=1]");
	world_down(&w);
}
END_TEST

static Suite *pipeline_suite(void)
{
	Suite *s = suite_create("pipeline");
	TCase *tc;

	tc = tcase_create("mask_is_sufficient");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, mask_is_sufficient);
	suite_add_tcase(s, tc);
	tc = tcase_create("invalidation");
	tcase_add_test(tc, mac_move_reaches_cached_flow);
	tcase_add_test(tc, port_removal_reaches_cached_flow);
	tcase_add_test(tc, stale_megaflow_replaced_mid_burst);
	suite_add_tcase(s, tc);
	tc = tcase_create("refusal");
	tcase_add_test(tc, refused_install_still_forwards);
	suite_add_tcase(s, tc);
	tc = tcase_create("trace");
	tcase_add_test(tc, trace_names_each_stage);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	int failed;

	if (unit_eal_init("test_pipeline", "tpipeline", "256") < 0)
		return 1;
	pool = rte_pktmbuf_pool_create("tpl_pool", 4096, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	qsbr = rte_zmalloc("tpl_qsbr", rte_rcu_qsbr_get_memsize(4), RTE_CACHE_LINE_SIZE);
	if (pool == NULL || qsbr == NULL || rte_rcu_qsbr_init(qsbr, 4) != 0) {
		fprintf(stderr, "setup failed\n");
		return 1;
	}
	failed = unit_run(pipeline_suite());
	rte_free(qsbr);
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return failed ? 1 : 0;
}
