/* SPDX-License-Identifier: BSD-3-Clause */
/* The lb module cases' fixture: see lb_module_fixture.h. */
#include "lb_module_fixture.h"

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
uint16_t rt_port[256];
uint8_t rt_mac[256];
/* the stand-in's routed pass consults in_port too, as L2 does */
bool rt_by_port;
/* != 0: one routed megaflow for every backend (the perf scenario's one
 * next hop): it consults the low bit of the source's third byte (which the
 * first pass does not: its prefix is /15 against backends in 10.0.1/24)
 * and outputs to rt_shared + that bit (+ 2 in_port with rt_by_port) */
uint16_t rt_shared;

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
bool rc_on;
/* the recirculated pass's megaflows consult every word but the ports' (more
 * than a hint holds inline: its bitmap compares them) */
bool rc_wide;
uint16_t rc_slot[BURST];
struct evs_recirc_hint rc_hints[4];
/* >= 0: the recirculated pass consults bit 0 of this byte of the key
 * alone and outputs to port 10 + its value; lbm_run() flips it in the packets
 * rc_flip names (keys only: the frames stay valid) */
int rc_byte = -1;
bool rc_flip[BURST];
uint64_t rc_direct; /* packets that went by their hint */

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

/* The port test frames are received on (lbm_run()). */
uint16_t run_in_port;

/* What tx saw: per packet of the burst, its port and a copy of its key. */
struct rte_mbuf *cur[BURST];
uint16_t out_port[BURST];
uint32_t out_len[BURST]; /* its length as it left */
/* per packet of the burst, its place in the order tx saw them */
unsigned int out_seq[BURST], tx_seq;
struct evs_flow_key out_key[BURST];

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

struct lbm_world lbm;

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
		evs_registry_dep_bump(lbm.reg, MOD_LB, 0);
		lbm.bumps++;
	}
}

void lbm_setup(void)
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

	memset(&lbm, 0, sizeof(lbm));
	memset(rt_port, 0, sizeof(rt_port));
	memset(rt_mac, 0, sizeof(rt_mac));
	rt_by_port = false;
	rt_shared = 0;
	run_in_port = 0;
	rc_byte = -1;
	lbm.reg = evs_registry_create(mods, RTE_DIM(mods));
	ck_assert_ptr_nonnull(lbm.reg);
	lbm.tab = new_table("lbm", 1 << 16, 2); /* a context for ct's module and one for lb's */
	c.reg = lbm.reg;
	c.mod_args[MOD_CT] = lbm.tab;
	c.mod_args[MOD_LB] = lbm.tab;
	lbm.pl = evs_pipeline_lcore_create(&c);
	ck_assert_ptr_nonnull(lbm.pl);
	lc.ct = lbm.tab;
	lbm.lb = evs_lb_conf_create(&lc);
	ck_assert_ptr_nonnull(lbm.lb);
	lbm.store = evs_store_create();
	ck_assert_ptr_nonnull(lbm.store);
	ck_assert_int_eq(evs_lb_store_add(lbm.store, lbm.lb), 0);
	lbm.st.mod[MOD_CT] = &lbm.cst;
	lbm.st.mod[MOD_LB] = evs_lb_conf_state(lbm.lb);
}

void lbm_teardown(void)
{
	evs_pipeline_lcore_free(lbm.pl);
	evs_store_free(lbm.store);
	evs_lb_conf_free(lbm.lb);
	evs_ct_free(lbm.tab);
	evs_registry_free(lbm.reg);
}

/* One operation in its own transaction; the commit's result. */
int lbm_op(enum evs_store_op o, const char *type, const char *doc)
{
	struct evs_ctl_err err;

	return unit_store_op(lbm.store, o, type, doc, &err);
}

void lbm_backend(const char *vip, const char *a, const char *extra)
{
	char doc[256];

	snprintf(doc, sizeof(doc), "{\"vip\":\"%s\",\"address\":\"%s\",\"port\":8080%s}", vip, a,
		 extra);
	ck_assert_int_eq(lbm_op(EVS_STORE_ADD, "lb.backend", doc), 0);
}

/* Run @n specs (at most BURST) through the pipeline, received on port
 * run_in_port; out_port/out_key per packet. */
void lbm_run(const struct spec *s, uint16_t n)
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
	evs_pipeline_run(lbm.pl, &lbm.st, m, k, n);
}

struct spec lbm_syn(uint32_t client, uint16_t sport)
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
