/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ct module through the real pipeline: a test stage emits
 * ct(zone, commit) + recirculate on the first pass and, on the second,
 * outputs +new to port 1 and +est to port 2 and drops +inv. 32-packet
 * bursts of mixed TCP/UDP flows in both directions (with invalid segments
 * mixed in) go through the pipeline and, in the same order, straight
 * through the library on a second table; the verdicts must agree packet by
 * packet. Also: the opcode's trace text, ct_state in the mask, a trace
 * that commits nothing, counters by name.
 */
#include <netinet/in.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>
#include <rte_random.h>

#include "ct_test.h"
#include "evs_ct_module.h"
#include "evs_l2.h"
#include "evs_pipeline.h"
#include "unit_case.h"

#define ZONE 7
#define RECIRC 9
#define PORT_NEW 1
#define PORT_EST 2
#define BURST 32
#define N_FLOWS 40

enum { MOD_CT, MOD_CTT };
enum { CTT_DROP_INVALID, CTT_DROP_OTHER, CTT_DROP_MAX };

/* 0: ctt_xlate recirculates every packet; 1: it emits ct that lets
 * established packets go on (what its second pass does for them:
 * PORT_EST); 2: new ones too (EVS_CT_F_CONTINUE_NEW: then to PORT_EST);
 * 3: new ones of a connection already in the table too
 * (EVS_CT_F_CONTINUE_KNOWN: then to PORT_EST). */
static int ctt_mode;

/* The stateful test stage: every IP TCP/UDP packet goes through ct. */
static enum evs_stage_verdict ctt_xlate(struct evs_xlate *x, const void *state, void *lctx)
{
	const struct evs_flow_key *k = evs_xlate_key(x);
	struct evs_ct_op op = {.zone = ZONE, .flags = EVS_CT_F_COMMIT};
	uint8_t cs;

	RTE_SET_USED(state);
	RTE_SET_USED(lctx);
	if (k->recirc_id == 0 && ctt_mode != 0) {
		if (ctt_mode == 2)
			op.flags |= EVS_CT_F_CONTINUE_NEW;
		if (ctt_mode == 3)
			op.flags |= EVS_CT_F_CONTINUE_KNOWN;
		ck_assert_int_eq(evs_ct_xlate_emit_continue(x, &op, RECIRC), 0);
		ck_assert_uint_eq(evs_xlate_wkey(x)->recirc_id, RECIRC);
		evs_xlate_output(x, PORT_EST);
		return EVS_STAGE_DONE;
	}
	if (k->recirc_id == 0) {
		ck_assert_int_eq(evs_ct_xlate_emit(x, &op, RECIRC), 0);
		return EVS_STAGE_DONE;
	}
	cs = evs_ct_xlate_state(x);
	if (cs & EVS_CT_INVALID)
		evs_xlate_drop(x, CTT_DROP_INVALID);
	else if (cs & EVS_CT_ESTABLISHED)
		evs_xlate_output(x, PORT_EST);
	else if (cs & EVS_CT_NEW)
		evs_xlate_output(x, PORT_NEW);
	else
		evs_xlate_drop(x, CTT_DROP_OTHER);
	return EVS_STAGE_DONE;
}

static const struct evs_stage ctt_stages[] = {{.name = "ctt", .order = 300, .xlate = ctt_xlate}};
static const char *const ctt_drops[CTT_DROP_MAX] = {"ct_invalid", "ct_other"};
static const struct evs_module ctt_module = {.name = "ctt",
					     .stages = ctt_stages,
					     .n_stages = 1,
					     .drop_names = ctt_drops,
					     .n_drops = CTT_DROP_MAX};

/* What tx saw for the current burst: the port of each packet (0: none). */
static struct rte_mbuf *cur[BURST];
static uint16_t seen_port[BURST];

static uint16_t cap_tx(void *arg, uint16_t port, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t i, j;

	RTE_SET_USED(arg);
	for (i = 0; i < n; i++) {
		for (j = 0; j < BURST && cur[j] != pkts[i]; j++)
			;
		ck_assert_uint_lt(j, BURST);
		ck_assert_uint_eq(seen_port[j], 0);
		seen_port[j] = port;
		rte_pktmbuf_free(pkts[i]);
	}
	return n;
}

struct pworld {
	struct evs_registry *reg;
	struct evs_ct *tab;
	struct evs_pipeline_lcore *pl;
	struct evs_pipeline_state st;
	struct evs_ct_mod_state cst;
};

static void pworld_up(struct pworld *w)
{
	static const struct evs_module *const mods[] = {&evs_ct_module, &ctt_module};
	struct evs_pipeline_lcore_config c = {
	    .name = "ctp", .pool = pool, .tx = cap_tx, .socket_id = SOCKET_ID_ANY};

	memset(w, 0, sizeof(*w));
	w->reg = evs_registry_create(mods, RTE_DIM(mods));
	ck_assert_ptr_nonnull(w->reg);
	w->tab = new_table("ctp", 4096, 1);
	c.reg = w->reg;
	c.mod_args[MOD_CT] = w->tab;
	w->pl = evs_pipeline_lcore_create(&c);
	ck_assert_ptr_nonnull(w->pl);
	w->st.mod[MOD_CT] = &w->cst;
}

static void pworld_down(struct pworld *w)
{
	evs_pipeline_lcore_free(w->pl);
	evs_ct_free(w->tab);
	evs_registry_free(w->reg);
}

/* A flow's script: TCP handshake, data both ways, FINs; UDP request/replies. */
struct flow {
	char c[40], s[40];
	uint8_t proto;
	uint16_t cport, sport;
	uint32_t cseq, sseq;
	unsigned int step;
};

static void flow_init(struct flow *f, unsigned int i)
{
	bool v6 = (i % 3) == 2;

	snprintf(f->c, sizeof(f->c), v6 ? "fd00::%u" : "10.0.%u.1", i + 1);
	snprintf(f->s, sizeof(f->s), v6 ? "fd00::1:%u" : "10.1.%u.2", i + 1);
	f->proto = (i % 2) ? IPPROTO_UDP : IPPROTO_TCP;
	f->cport = (uint16_t)(20000 + i);
	f->sport = (uint16_t)(80 + i % 5);
	f->cseq = (uint32_t)rte_rand();
	f->sseq = (uint32_t)rte_rand();
	f->step = 0;
}

/* The next packet of @f; sometimes a broken one (invalid flags, out of window). */
static void flow_next(struct flow *f, struct spec *sp)
{
	bool reply = false;
	uint64_t r = rte_rand_max(100);

	memset(sp, 0, sizeof(*sp));
	sp->proto = f->proto;
	sp->win = 65535;
	if (f->proto == IPPROTO_UDP) {
		reply = f->step > 0 && (r & 1);
		sp->payload = 20;
	} else if (r < 4) {
		sp->flags = SYN | FIN; /* never valid */
	} else if (r < 8 && f->step > 3) {
		sp->flags = ACK, sp->payload = 10;
		sp->seq = f->cseq + 0x40000000u, sp->ack = f->sseq; /* far outside the window */
	} else {
		switch (f->step < 8 ? f->step : 3 + (f->step & 1)) {
		case 0:
			sp->flags = SYN, sp->seq = f->cseq++;
			break;
		case 1:
			reply = true;
			sp->flags = SYN | ACK, sp->seq = f->sseq++, sp->ack = f->cseq;
			break;
		case 3:
			reply = true;
			sp->flags = ACK, sp->seq = f->sseq, sp->ack = f->cseq, sp->payload = 100;
			f->sseq += 100;
			break;
		default: /* 2, 4: the client's ack and data */
			sp->flags = ACK, sp->seq = f->cseq, sp->ack = f->sseq, sp->payload = 50;
			f->cseq += 50;
			break;
		}
		f->step++;
	}
	if (f->proto == IPPROTO_UDP)
		f->step++;
	sp->src = reply ? f->s : f->c;
	sp->dst = reply ? f->c : f->s;
	sp->sport = reply ? f->sport : f->cport;
	sp->dport = reply ? f->cport : f->sport;
}

static uint16_t verdict_of(uint8_t cs)
{
	if (cs & EVS_CT_INVALID)
		return 0;
	if (cs & EVS_CT_ESTABLISHED)
		return PORT_EST;
	return (cs & EVS_CT_NEW) ? PORT_NEW : 0;
}

/* Random TCP bursts through the pipeline and through the library: the
 * same verdict per packet; with @cont, established packets are not
 * recirculated and all others are, once. */
static void verdicts_match(int mode)
{
	static struct flow flows[N_FLOWS];
	struct evs_pipeline_stats ps;
	struct evs_ct *ref = new_table("ctref", 4096, 1);
	struct evs_ct_lcore *rlc = evs_ct_lcore_get(ref, 0);
	struct evs_ct_action act = {.zone = ZONE, .flags = EVS_CT_F_COMMIT};
	unsigned int round, i, count[3] = {0}, known_new = 0;
	uint64_t *drops, ctr[EVS_CT_C_MAX] = {0};
	struct evs_ct_stats rs;
	struct pworld w;

	ctt_mode = mode;
	pworld_up(&w);
	for (i = 0; i < N_FLOWS; i++)
		flow_init(&flows[i], i);
	for (round = 0; round < 150; round++) {
		struct rte_mbuf *rm[BURST], *run[BURST];
		struct evs_flow_key k[BURST], rk[BURST];

		for (i = 0; i < BURST; i++) {
			struct spec sp;

			/* runs: a flow often sends several packets in a row */
			flow_next(&flows[(round * 7 + i / 3) % N_FLOWS], &sp);
			cur[i] = build(&sp, &k[i]);
			rm[i] = build(&sp, &rk[i]);
			seen_port[i] = 0;
		}
		evs_ct_lcore_set_now(rlc, evs_ct_now_ms());
		evs_ct_execute_burst(rlc, &act, rm, rk, BURST);
		/* the pipeline may reorder its array (opcodes compact the packets
		 * that go on): cap_tx finds packets in cur */
		memcpy(run, cur, sizeof(run));
		evs_pipeline_run(w.pl, &w.st, run, k, BURST);
		for (i = 0; i < BURST; i++) {
			uint16_t lib = verdict_of(rk[i].ct_state);
			bool known = lib == PORT_NEW && evs_ct_burst_meta(rlc, i)->known;
			uint16_t want =
			    (mode == 2 && lib == PORT_NEW) || (mode == 3 && known) ? PORT_EST : lib;

			ck_assert_msg(seen_port[i] == want, "round %u pkt %u: port %u, library %u",
				      round, i, seen_port[i], lib);
			count[lib]++;
			known_new += known;
			rte_pktmbuf_free(rm[i]);
		}
	}
	/* every verdict occurred, so the comparison could have failed */
	ck_assert_uint_gt(count[0], 0);
	ck_assert_uint_gt(count[PORT_NEW], 0);
	ck_assert_uint_gt(count[PORT_EST], 0);
	ck_assert_uint_gt(known_new, 0); /* a retransmitted SYN: new on a known connection */
	ck_assert_uint_eq(evs_ct_zone_count(w.tab, ZONE), evs_ct_zone_count(ref, ZONE));
	/* counters by name: the module's sum equals the reference table's */
	evs_ct_module.counters_get(evs_pipeline_lcore_module(w.pl, MOD_CT), ctr);
	evs_ct_stats(ref, &rs);
	for (i = 0; i < EVS_CT_C_MAX; i++)
		ck_assert_msg(ctr[i] == rs.counters[i], "%s: %lu vs %lu",
			      evs_ct_module.counter_names[i], (unsigned long)ctr[i],
			      (unsigned long)rs.counters[i]);
	drops = calloc(evs_registry_n_drops(w.reg), sizeof(*drops));
	evs_pipeline_drops_add(w.pl, drops);
	for (i = 0; i < evs_registry_n_drops(w.reg); i++)
		if (strcmp(evs_registry_drop_name(w.reg, i), "ct_invalid") == 0)
			ck_assert_uint_eq(drops[i], count[0]);
	free(drops);
	evs_pipeline_stats_get(w.pl, &ps);
	ck_assert_uint_eq(ps.recirculated, mode == 0   ? 150 * BURST
					   : mode == 1 ? count[0] + count[PORT_NEW]
					   : mode == 3 ? count[0] + count[PORT_NEW] - known_new
						       : count[0]);
	ctt_mode = 0;
	evs_ct_free(ref);
	pworld_down(&w);
}

START_TEST(test_pipeline_verdicts_match_library)
{
	verdicts_match(0);
}
END_TEST

START_TEST(test_pipeline_continue_matches_library)
{
	verdicts_match(1);
}
END_TEST

START_TEST(test_pipeline_continue_new_matches_library)
{
	verdicts_match(2);
}
END_TEST

START_TEST(test_pipeline_continue_known_matches_library)
{
	verdicts_match(3);
}
END_TEST

START_TEST(test_pipeline_trace_shows_ct_and_commits_nothing)
{
	struct spec sp = {.src = "10.0.0.1",
			  .dst = "10.0.0.2",
			  .proto = IPPROTO_TCP,
			  .sport = 1234,
			  .dport = 80,
			  .flags = SYN,
			  .win = 1000};
	static struct evs_trace tr;
	struct evs_flow_key k;
	char mask[512];
	struct pworld w;

	pworld_up(&w);
	cur[0] = build(&sp, &k);
	ck_assert_int_eq(evs_pipeline_trace(w.pl, &w.st, cur[0], &k, &tr), 0);
	ck_assert_uint_eq(tr.n_passes, 2);
	/* one opcode: ct classifies the packet again itself */
	ck_assert_msg(strstr(tr.passes[0].actions, "ct(zone=7,commit,recirc=0x9)") != NULL, "%s",
		      tr.passes[0].actions);
	evs_flow_format(&tr.passes[1].key, &tr.passes[1].mask, mask, sizeof(mask));
	ck_assert_msg(strstr(mask, "ct_state=+new-est-rel-rpl-inv+trk-snat-dnat") != NULL, "%s",
		      mask);
	ck_assert_uint_eq(evs_ct_zone_count(w.tab, ZONE), 0);
	/* the same packet for real commits */
	cur[0] = build(&sp, &k);
	seen_port[0] = 0;
	evs_pipeline_run(w.pl, &w.st, cur, &k, 1);
	ck_assert_uint_eq(seen_port[0], PORT_NEW);
	ck_assert_uint_eq(evs_ct_zone_count(w.tab, ZONE), 1);
	pworld_down(&w);
}
END_TEST

START_TEST(test_pipeline_emit_checks)
{
	static const struct evs_module *const mods[] = {&ctt_module};
	struct evs_registry *reg = evs_registry_create(mods, RTE_DIM(mods));
	struct pworld w;

	/* without the ct module the lcore cannot be created without a table */
	ck_assert_ptr_nonnull(reg);
	evs_registry_free(reg);
	pworld_up(&w);
	ck_assert_int_eq(evs_ct_xlate_emit(NULL, &(struct evs_ct_op){0}, 1), -EINVAL);
	ck_assert_int_eq(evs_ct_xlate_emit_continue(NULL, &(struct evs_ct_op){0}, 1), -EINVAL);
	ck_assert_ptr_null(evs_ct_module.lcore_create(&(struct evs_module_lcore_args){0}));
	ck_assert_int_eq(errno, EINVAL);
	/* the table's only context is taken by the pipeline lcore */
	ck_assert_ptr_null(
	    evs_ct_module.lcore_create(&(struct evs_module_lcore_args){.arg = w.tab}));
	ck_assert_int_eq(errno, ENOSPC);
	pworld_down(&w);
}
END_TEST

/* The module's clock is the TSC's, so this one case waits (1.3 s) for a
 * 1 s UDP timeout; then the per-loop poll alone reaps the connection. */
START_TEST(test_pipeline_poll_expires_idle)
{
	struct spec sp = {
	    .src = "10.0.0.1", .dst = "10.0.0.2", .proto = IPPROTO_UDP, .sport = 1234, .dport = 53};
	struct evs_ct_zone_conf zc;
	struct evs_flow_key k;
	struct pworld w;
	unsigned int i;

	pworld_up(&w);
	evs_ct_zone_conf_default(&zc);
	zc.timeouts.udp_unreplied = 1;
	ck_assert_int_eq(evs_ct_zone_set(w.tab, ZONE, &zc), 0);
	cur[0] = build(&sp, &k);
	seen_port[0] = 0;
	evs_pipeline_run(w.pl, &w.st, cur, &k, 1);
	ck_assert_uint_eq(seen_port[0], PORT_NEW);
	ck_assert_uint_eq(evs_ct_zone_count(w.tab, ZONE), 1);
	evs_ct_module_poll(evs_pipeline_lcore_module(w.pl, MOD_CT));
	ck_assert_uint_eq(evs_ct_zone_count(w.tab, ZONE), 1);
	rte_delay_us_sleep(1300 * 1000);
	for (i = 0; i < 100; i++)
		evs_ct_module_poll(evs_pipeline_lcore_module(w.pl, MOD_CT));
	ck_assert_uint_eq(evs_ct_zone_count(w.tab, ZONE), 0);
	evs_ct_module_poll(NULL);
	pworld_down(&w);
}
END_TEST

/* Drops of @owner's reason @name so far on @pl. */
static uint64_t drops_of(const struct evs_registry *reg, const struct evs_pipeline_lcore *pl,
			 const char *owner, const char *name)
{
	uint64_t d[512] = {0};
	unsigned int i;

	ck_assert_uint_le(evs_registry_n_drops(reg), RTE_DIM(d));
	evs_pipeline_drops_add(pl, d);
	for (i = 0; i < evs_registry_n_drops(reg); i++)
		if (!strcmp(evs_registry_drop_owner(reg, i), owner) &&
		    !strcmp(evs_registry_drop_name(reg, i), name))
			return d[i];
	ck_abort_msg("no drop %s.%s", owner, name);
	return 0;
}

static struct evs_l2_conf *sw_conf(bool stateful)
{
	const struct evs_l2_switch_spec sw = {
	    .id = 0, .name = "s", .stateful = stateful, .ct_zone = 3};
	static const struct evs_l2_port_spec ps[] = {
	    {.port = 0, .has_native = true, .native_switch = 0},
	    {.port = 1, .has_native = true, .native_switch = 0}};
	const struct evs_l2_conf_spec spec = {.nb_switches = 1,
					      .switches = &sw,
					      .nb_ports = 2,
					      .ports = ps,
					      .socket_id = SOCKET_ID_ANY};
	struct evs_l2_conf *c = evs_l2_conf_build(&spec, NULL, 0);

	ck_assert_ptr_nonnull(c);
	return c;
}

/* The output port of @sp's packet (in on port 0); 0: dropped (port 0 is its input). */
static unsigned int send_l2(struct evs_pipeline_lcore *pl, const struct evs_pipeline_state *st,
			    const struct spec *sp)
{
	struct evs_flow_key k;

	cur[0] = build(sp, &k);
	seen_port[0] = 0;
	evs_pipeline_run(pl, st, cur, &k, 1);
	return seen_port[0];
}

/* An RCU variable for the MAC table (one reader, never waited for here). */
static struct rte_rcu_qsbr *test_qsbr(void)
{
	struct rte_rcu_qsbr *q =
	    rte_zmalloc(NULL, rte_rcu_qsbr_get_memsize(1), RTE_CACHE_LINE_SIZE);

	ck_assert_ptr_nonnull(q);
	ck_assert_int_eq(rte_rcu_qsbr_init(q, 1), 0);
	return q;
}

/* A stateful L2 switch (zone 3): IP through ct, +inv dropped by L2, ARP
 * stateless, and turning the setting on re-translates cached flows. */
START_TEST(test_stateful_switch)
{
	static const struct evs_module *const mods[] = {&evs_l2_module, &evs_ct_module};
	struct rte_ether_addr dst = {{0x02, 0, 0, 0, 0, 1}}, src = {{0x02, 0, 0, 0, 0, 2}};
	struct rte_rcu_qsbr *qsv = test_qsbr();
	struct evs_l2_macs *macs = evs_l2_macs_create(
	    &(struct evs_l2_macs_config){.name = "ctsw", .capacity = 64, .qsbr = qsv});
	struct evs_registry *reg = evs_registry_create(mods, RTE_DIM(mods));
	struct evs_ct *tab = new_table("ctsw", 256, 1);
	struct evs_l2_conf *plain = sw_conf(false), *sf = sw_conf(true);
	struct evs_l2_state l2 = {.conf = plain, .macs = macs};
	struct evs_ct_mod_state cst = {0};
	struct evs_pipeline_state st = {.mod = {&l2, &cst}};
	struct evs_pipeline_lcore_config c = {.name = "ctsw",
					      .reg = reg,
					      .pool = pool,
					      .tx = cap_tx,
					      .socket_id = SOCKET_ID_ANY,
					      .mod_args = {macs, tab}};
	struct spec syn = {.src = "10.0.0.1",
			   .dst = "10.0.0.2",
			   .proto = IPPROTO_TCP,
			   .sport = 1000,
			   .dport = 80,
			   .flags = SYN,
			   .seq = 1,
			   .win = 1000};
	struct spec bad = syn;
	struct evs_pipeline_lcore *pl;

	ck_assert(macs != NULL && reg != NULL);
	ck_assert_int_eq(evs_l2_macs_add_static(macs, 0, &dst, 1, 0), 0);
	ck_assert_int_eq(evs_l2_macs_add_static(macs, 0, &src, 0, 0), 0);
	pl = evs_pipeline_lcore_create(&c);
	ck_assert_ptr_nonnull(pl);
	bad.flags = SYN | FIN;
	/* stateless: forwarded, nothing tracked, even the invalid segment */
	ck_assert_uint_eq(send_l2(pl, &st, &syn), 1);
	ck_assert_uint_eq(send_l2(pl, &st, &bad), 1);
	ck_assert_uint_eq(evs_ct_zone_count(tab, 3), 0);
	/* stateful from now: the cached megaflow must be re-translated */
	l2.conf = sf;
	ck_assert_int_gt(evs_l2_conf_changed(reg, 0, plain, sf), 0);
	ck_assert_uint_eq(send_l2(pl, &st, &syn), 1);
	ck_assert_uint_eq(evs_ct_zone_count(tab, 3), 1);
	ck_assert_uint_eq(send_l2(pl, &st, &bad), 0);
	ck_assert_uint_eq(drops_of(reg, pl, "l2", "ct_invalid"), 1);
	evs_pipeline_lcore_free(pl);
	evs_ct_free(tab);
	evs_registry_free(reg);
	evs_l2_conf_free(plain);
	evs_l2_conf_free(sf);
	evs_l2_macs_free(macs);
	rte_free(qsv);
}
END_TEST

/* The differential test's first find: a SYN-ACK in the burst of its SYN. */
START_TEST(test_burst_reply_after_create_hits)
{
	struct evs_ct *t = new_table("ctb", 64, 1);
	struct evs_ct_lcore *l = evs_ct_lcore_get(t, 0);
	struct evs_ct_action act = {.zone = 1, .flags = EVS_CT_F_COMMIT};
	struct spec a = {.src = "10.0.0.1",
			 .dst = "10.0.0.2",
			 .proto = IPPROTO_TCP,
			 .sport = 1000,
			 .dport = 80,
			 .flags = SYN,
			 .seq = 100,
			 .win = 1000};
	struct spec b = {.src = "10.0.0.2",
			 .dst = "10.0.0.1",
			 .proto = IPPROTO_TCP,
			 .sport = 80,
			 .dport = 1000,
			 .flags = SYN | ACK,
			 .seq = 500,
			 .ack = 101,
			 .win = 1000};
	struct rte_mbuf *m[2];
	struct evs_flow_key k[2];

	m[0] = build(&a, &k[0]);
	m[1] = build(&b, &k[1]);
	evs_ct_execute_burst(l, &act, m, k, 2);
	ck_assert_uint_eq(k[0].ct_state, CT_NEW);
	ck_assert_uint_eq(k[1].ct_state, CT_RPL);
	ck_assert_uint_eq(evs_ct_zone_count(t, 1), 1);
	rte_pktmbuf_free(m[0]);
	rte_pktmbuf_free(m[1]);
	evs_ct_free(t);
}
END_TEST

void ct_pipeline_add_cases(Suite *s)
{
	const struct unit_case cases[] = {
	    {"pipeline_verdicts_match_library", test_pipeline_verdicts_match_library},
	    {"pipeline_continue_matches_library", test_pipeline_continue_matches_library},
	    {"pipeline_continue_new_matches_library", test_pipeline_continue_new_matches_library},
	    {"pipeline_continue_known_matches_library",
	     test_pipeline_continue_known_matches_library},
	    {"pipeline_trace_shows_ct_and_commits_nothing",
	     test_pipeline_trace_shows_ct_and_commits_nothing},
	    {"pipeline_emit_checks", test_pipeline_emit_checks},
	    {"pipeline_poll_expires_idle", test_pipeline_poll_expires_idle},
	    {"stateful_switch", test_stateful_switch},
	    {"burst_reply_after_create_hits", test_burst_reply_after_create_hits},
	};

	unit_add_cases(s, cases, RTE_DIM(cases), NULL, NULL, 0);
}
