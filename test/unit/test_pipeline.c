/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/pipeline with two modules, tmod (pl_test_module.c: every opcode kind)
 * and L2: masks are sufficient for every module (randomized), 32-packet
 * mixed-flow bursts with configuration changes give per packet what a
 * pipeline translating every packet afresh gives, dependency invalidation
 * re-translates only dependents, recirculation, punt, drops by reason,
 * traces, registry checks.
 */

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_random.h>
#include <rte_rcu_qsbr.h>
#include <rte_udp.h>

#include "evs_l2.h"
#include "evs_pipeline.h"
#include "pl_test.h"
#include "unit_eal.h"

static struct rte_mempool *pool;
static struct rte_rcu_qsbr *qsbr;

#define NO_QUEUE_PORT 999 /* a port the test's tx function refuses */
#define N_MACS 12

enum { MOD_TMOD, MOD_L2, MOD_RT };

/*
 * "rt", a router stand-in after L2 (order 200): MAC RT_GW0 on switch 0 and
 * RT_GW1 on switch 1 are its ports (L2's gateway hook). A frame L2 hands it
 * from switch 0 leaves on switch 1 to MAC RT_NEXT1 from RT_GW1, and back to
 * RT_NEXT0 from RT_GW0: set_field src/dst MAC, goto_ldp, L2 again.
 */
#define RT_GW0 10
#define RT_GW1 11
#define RT_NEXT0 4
#define RT_NEXT1 5

/* ---- the world: switches 0..2, ports 0..5, both modules ---- */

static const struct evs_l2_vlan_map p3_vlans[] = {{.vid = 100, .switch_id = 1},
						  {.vid = 200, .switch_id = 2}};
static const struct evs_l2_vlan_map p3_vlans_alt[] = {{.vid = 100, .switch_id = 2}};
static const struct evs_l2_vlan_map p4_vlans[] = {{.vid = 100, .switch_id = 0}};

/* Variant bits: 1 port 2 present, 2 port 3's alternative VLAN map, 4 port 1 down. */
static struct evs_l2_conf *world_conf(unsigned int variant)
{
	static const struct evs_l2_switch_spec sws[] = {
	    {.id = 0, .name = "a"}, {.id = 1, .name = "b"}, {.id = 2, .name = "c"}};
	struct evs_l2_port_spec ps[] = {
	    {.port = 0, .has_native = true, .native_switch = 0},
	    {.port = 1, .has_native = true, .native_switch = 0, .down = (variant & 4) != 0},
	    {.port = 3, .has_native = true, .native_switch = 0, .nb_vlans = 2, .vlans = p3_vlans},
	    {.port = 4, .nb_vlans = 1, .vlans = p4_vlans},
	    {.port = 5, .has_native = true, .native_switch = 1},
	    {.port = 2, .has_native = true, .native_switch = 0},
	};
	struct evs_l2_conf_spec spec = {.nb_switches = 3,
					.switches = sws,
					.nb_ports = (variant & 1) ? 6 : 5,
					.ports = ps,
					.socket_id = SOCKET_ID_ANY};
	char err[128];
	struct evs_l2_conf *c;

	if (variant & 2) {
		ps[2].nb_vlans = 1;
		ps[2].vlans = p3_vlans_alt;
	}
	c = evs_l2_conf_build(&spec, err, sizeof(err));
	ck_assert_msg(c != NULL, "conf: %s", err);
	return c;
}

static struct rte_ether_addr mac_n(unsigned int n)
{
	struct rte_ether_addr a = {{0x02, 0, 0, 0, (uint8_t)(n >> 8), (uint8_t)n}};

	return a;
}

static bool rt_gateway(const void *arg, uint16_t sw, const struct rte_ether_addr *mac)
{
	struct rte_ether_addr g = mac_n(sw == 0 ? RT_GW0 : RT_GW1);

	(void)arg;
	return sw <= 1 && rte_is_same_ether_addr(mac, &g);
}

static enum evs_stage_verdict rt_stage(struct evs_xlate *x, const void *state, void *lctx)
{
	const struct evs_flow_key *k = evs_xlate_wkey(x);
	bool to1 = k->ldp == evs_l2_ldp(0);
	struct rte_ether_addr src = mac_n(to1 ? RT_GW1 : RT_GW0);
	struct rte_ether_addr dst = mac_n(to1 ? RT_NEXT1 : RT_NEXT0);

	(void)state;
	(void)lctx;
	evs_xlate_mask(x)->bits.ldp = UINT16_MAX;
	evs_xlate_why(x, "route to switch %u", to1 ? 1 : 0);
	evs_xlate_set_field(x, EVS_FIELD_SRC_MAC, &src);
	evs_xlate_set_field(x, EVS_FIELD_DST_MAC, &dst);
	evs_xlate_goto_ldp(x, evs_l2_ldp(to1 ? 1 : 0));
	return EVS_STAGE_CONTINUE;
}

static const struct evs_stage rt_stages[] = {{.name = "route", .order = 200, .xlate = rt_stage}};
static const struct evs_module rt_module = {.name = "rt", .stages = rt_stages, .n_stages = 1};

/* What the test's tx function saw: output port, sequence number, tag, MAC. */
struct out {
	uint16_t port;
	uint32_t seq;
	uint16_t tci; /* key vlan_tci of the frame as sent */
	uint8_t dst_last;
};

struct capture {
	unsigned int n;
	struct out o[32768];
};

static uint32_t frame_seq(struct rte_mbuf *m, uint16_t *tci)
{
	struct evs_flow_key k;
	uint32_t seq;

	ck_assert_int_eq(evs_packet_parse(m, 0, &k), EVS_DROP_NONE);
	*tci = k.vlan_tci;
	memcpy(&seq, rte_pktmbuf_mtod_offset(m, uint8_t *, m->l2_len + m->l3_len + m->l4_len),
	       sizeof(seq));
	return seq;
}

static uint16_t cap_tx(void *arg, uint16_t port, struct rte_mbuf **pkts, uint16_t n)
{
	struct capture *c = arg;
	uint16_t i;

	if (port == NO_QUEUE_PORT)
		return 0;
	for (i = 0; i < n; i++) {
		struct out *o = &c->o[c->n++];

		ck_assert_uint_lt(c->n, RTE_DIM(c->o));
		o->port = port;
		o->seq = frame_seq(pkts[i], &o->tci);
		o->dst_last = rte_pktmbuf_mtod(pkts[i], uint8_t *)[5];
		rte_pktmbuf_free(pkts[i]);
	}
	return n;
}

struct world {
	struct evs_registry *reg;
	struct evs_l2_conf *conf;
	struct evs_l2_macs *macs;
	struct tmod_state tmod;
	struct evs_l2_state l2;
	struct evs_pipeline_state st;
	struct rte_ring *punts;
	struct evs_pipeline_lcore *pl, *ref;
	struct capture *cap, *refcap;
	unsigned int variant;
};

static void macs_changed(void *arg, uint16_t sw)
{
	struct world *w = arg;

	ck_assert_int_eq(evs_registry_dep_bump(w->reg, MOD_L2, evs_l2_dep_switch(sw)), 0);
}

static struct evs_pipeline_lcore *world_lcore(struct world *w, struct capture *cap,
					      uint32_t max_flows, bool no_cache)
{
	struct evs_pipeline_lcore_config c = {.name = no_cache ? "ref" : "t",
					      .reg = w->reg,
					      .pool = pool,
					      .punt_ring = w->punts,
					      .tx = cap_tx,
					      .tx_arg = cap,
					      .max_flows = max_flows,
					      .no_cache = no_cache,
					      .socket_id = SOCKET_ID_ANY};
	struct evs_pipeline_lcore *pl;

	c.mod_args[MOD_L2] = w->macs;
	pl = evs_pipeline_lcore_create(&c);
	ck_assert_ptr_nonnull(pl);
	return pl;
}

static void world_up(struct world *w, uint32_t max_flows)
{
	static const struct evs_module *const mods[] = {&tmod_module, &evs_l2_module, &rt_module};
	struct evs_l2_macs_config mc = {.name = "pl_macs",
					.capacity = 256,
					.qsbr = qsbr,
					.on_change = macs_changed,
					.on_change_arg = w};
	unsigned int i;

	memset(w, 0, sizeof(*w));
	w->reg = evs_registry_create(mods, RTE_DIM(mods));
	ck_assert_ptr_nonnull(w->reg);
	w->variant = 1;
	w->conf = world_conf(w->variant);
	w->macs = evs_l2_macs_create(&mc);
	ck_assert_ptr_nonnull(w->macs);
	for (i = 0; i < TMOD_TABLE; i++)
		w->tmod.port_of[i] = (uint16_t)(i % 4);
	w->l2 = (struct evs_l2_state){.conf = w->conf, .macs = w->macs, .gateway = rt_gateway};
	w->st.mod[MOD_TMOD] = &w->tmod;
	w->st.mod[MOD_L2] = &w->l2;
	w->punts = rte_ring_create("pl_punts", 64, SOCKET_ID_ANY, RING_F_SC_DEQ);
	ck_assert_ptr_nonnull(w->punts);
	w->cap = calloc(1, sizeof(*w->cap));
	w->refcap = calloc(1, sizeof(*w->refcap));
	ck_assert(w->cap != NULL && w->refcap != NULL);
	w->pl = world_lcore(w, w->cap, max_flows, false);
	w->ref = world_lcore(w, w->refcap, 0, true);
}

static void world_down(struct world *w)
{
	evs_pipeline_lcore_free(w->pl);
	evs_pipeline_lcore_free(w->ref);
	evs_pipeline_punt_poll(w->reg, w->punts, NULL, UINT32_MAX);
	rte_ring_free(w->punts);
	evs_l2_macs_free(w->macs);
	evs_l2_conf_free(w->conf);
	evs_registry_free(w->reg);
	free(w->cap);
	free(w->refcap);
}

/* Publish L2 variant @v: only the changed ports and switches are bumped. */
static void world_set_conf(struct world *w, unsigned int v)
{
	struct evs_l2_conf *old = w->conf;

	w->conf = world_conf(v);
	w->variant = v;
	w->l2.conf = w->conf;
	ck_assert_int_ge(evs_l2_conf_changed(w->reg, MOD_L2, old, w->conf), 0);
	evs_l2_conf_free(old);
}

static uint64_t drops_named(struct evs_pipeline_lcore *pl, const struct evs_registry *reg,
			    const char *owner, const char *name)
{
	uint64_t d[EVS_DROPS_MAX] = {0};
	unsigned int i;

	evs_pipeline_drops_add(pl, d);
	for (i = 0; i < evs_registry_n_drops(reg); i++)
		if (strcmp(evs_registry_drop_name(reg, i), name) == 0 &&
		    strcmp(evs_registry_drop_owner(reg, i), owner) == 0)
			return d[i];
	ck_abort_msg("no drop reason %s/%s", owner, name);
	return 0;
}

/* ---- frames ---- */

struct pkt {
	uint16_t in_port;
	uint16_t src, dst; /* MAC numbers; dst 0xffff: broadcast */
	uint16_t vid;	   /* 0: untagged */
	uint16_t udp_dst;
	uint8_t ip_src, ip_dst; /* last bytes */
	uint32_t seq;
};

static struct rte_mbuf *frame(const struct pkt *p, struct evs_flow_key *key)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t *b;
	struct rte_ether_hdr *eh;
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;
	size_t l2 = p->vid ? 18 : 14;

	ck_assert_ptr_nonnull(m);
	b = (uint8_t *)rte_pktmbuf_append(m, 64);
	ck_assert_ptr_nonnull(b);
	memset(b, 0, 64);
	eh = (struct rte_ether_hdr *)b;
	if (p->dst == 0xffff)
		memset(&eh->dst_addr, 0xff, 6);
	else
		eh->dst_addr = mac_n(p->dst);
	eh->src_addr = mac_n(p->src);
	if (p->vid) {
		eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_VLAN);
		b[14] = (uint8_t)(p->vid >> 8);
		b[15] = (uint8_t)p->vid;
		b[16] = 0x08;
		b[17] = 0x00;
	} else {
		eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	}
	ip = (struct rte_ipv4_hdr *)(b + l2);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16(20 + 8 + 4);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(0xc6120000u | p->ip_src);
	ip->dst_addr = rte_cpu_to_be_32(0xc6130000u | p->ip_dst);
	udp = (struct rte_udp_hdr *)(ip + 1);
	udp->src_port = RTE_BE16(1234);
	udp->dst_port = rte_cpu_to_be_16(p->udp_dst);
	udp->dgram_len = rte_cpu_to_be_16(12);
	memcpy(udp + 1, &p->seq, sizeof(p->seq));
	ck_assert_int_eq(evs_packet_parse(m, p->in_port, key), EVS_DROP_NONE);
	return m;
}

static void random_pkt(struct pkt *p, uint32_t seq)
{
	static const uint16_t vids[] = {0, 0, 100, 200, 300};

	p->in_port = (uint16_t)(rte_rand() % 7);
	p->src = (uint16_t)(rte_rand() % N_MACS);
	p->dst = rte_rand() % 6 == 0 ? 0xffff : (uint16_t)(rte_rand() % N_MACS);
	p->vid = vids[rte_rand() % RTE_DIM(vids)];
	p->udp_dst = rte_rand() % 2 ? (uint16_t)(TMOD_PORT_BASE + rte_rand() % 8) : 53;
	p->ip_src = (uint8_t)(rte_rand() % 4);
	p->ip_dst = (uint8_t)(rte_rand() % TMOD_TABLE);
	p->seq = seq;
}

/* Run @n packets through @pl; returns what was sent, in order. */
static void run(struct world *w, struct evs_pipeline_lcore *pl, const struct pkt *p, uint16_t n)
{
	struct rte_mbuf *m[64];
	struct evs_flow_key k[64];
	uint16_t i;

	for (i = 0; i < n; i++)
		m[i] = frame(&p[i], &k[i]);
	ck_assert_uint_eq(evs_pipeline_run(pl, &w->st, m, k, n), n);
}

static int out_cmp(const void *a, const void *b)
{
	const struct out *x = a, *y = b;

	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	if (x->tci != y->tci)
		return x->tci < y->tci ? -1 : 1;
	return (int)x->dst_last - (int)y->dst_last;
}

/* ---- the mask-sufficiency property, over every registered module ---- */

static void random_key(struct evs_flow_key *k)
{
	static const uint16_t vids[] = {0, 100, 200, 300};
	static const rte_be16_t types[] = {RTE_BE16(RTE_ETHER_TYPE_IPV4),
					   RTE_BE16(RTE_ETHER_TYPE_IPV4), RTE_BE16(0x88b5)};
	uint8_t *raw = (uint8_t *)k;
	unsigned int i;

	for (i = 0; i < sizeof(*k); i++)
		raw[i] = (uint8_t)rte_rand();
	k->in_port = (uint16_t)(rte_rand() % 7);
	k->vlan_tci =
	    rte_rand() % 3 == 0
		? 0
		: (uint16_t)(EVS_VLAN_PRESENT | vids[rte_rand() % 4] | ((rte_rand() % 8) << 13));
	switch (rte_rand() % 6) {
	case 0:
		memset(&k->dst_mac, 0xff, 6);
		break;
	case 1:
		k->dst_mac.addr_bytes[0] |= 0x01; /* multicast */
		break;
	case 2: {
		/* the 802.1D link-local group 01:80:c2:00:00:0x and its neighbours */
		static const struct rte_ether_addr ll[] = {
		    {{0x01, 0x80, 0xc2, 0x00, 0x00, 0x00}}, {{0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e}},
		    {{0x01, 0x80, 0xc2, 0x00, 0x00, 0x0f}}, {{0x01, 0x80, 0xc2, 0x00, 0x00, 0x10}},
		    {{0x01, 0x80, 0xc2, 0x00, 0x01, 0x00}}, {{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}},
		    {{0x01, 0x80, 0xc3, 0x00, 0x00, 0x02}}, {{0x03, 0x80, 0xc2, 0x00, 0x00, 0x02}},
		};

		k->dst_mac = ll[rte_rand() % RTE_DIM(ll)];
		break;
	}
	default:
		k->dst_mac = mac_n((unsigned int)(rte_rand() % N_MACS));
	}
	switch (rte_rand() % 8) {
	case 0:
		k->src_mac.addr_bytes[0] |= 0x01;
		break;
	case 1:
		memset(&k->src_mac, 0, 6);
		break;
	case 2:
		/* zero but for one random bit: the zero test must see that bit */
		memset(&k->src_mac, 0, 6);
		k->src_mac.addr_bytes[rte_rand() % 6] = (uint8_t)(2u << (rte_rand() % 7));
		break;
	default:
		k->src_mac = mac_n((unsigned int)(rte_rand() % N_MACS));
	}
	k->ethertype = types[rte_rand() % RTE_DIM(types)];
	k->ip_proto = rte_rand() % 4 ? IPPROTO_UDP : IPPROTO_TCP;
	k->l4_dst = rte_cpu_to_be_16((uint16_t)(TMOD_PORT_BASE + rte_rand() % 10));
	k->recirc_id = (uint16_t)(rte_rand() % 4 == 0 ? rte_rand() % 3 : 0);
	k->ct_mark = rte_rand() % 2 ? 5 : (uint32_t)rte_rand();
	k->ldp = (uint16_t)(rte_rand() % 4 == 0 ? 2 : 0);
}

static char first_arg[64];

/* The program's first opcode name; its argument text in first_arg. */
static const char *first_op(const struct evs_registry *reg, const uint8_t *prog, size_t len)
{
	static char buf[256];
	char *paren, *end;

	evs_prog_format(reg, prog, len, buf, sizeof(buf), NULL, NULL);
	first_arg[0] = '\0';
	paren = strchr(buf, '(');
	if (paren != NULL) {
		*paren = '\0';
		end = strchr(paren + 1, ')');
		if (end != NULL)
			*end = '\0';
		snprintf(first_arg, sizeof(first_arg), "%s", paren + 1);
	}
	return buf;
}

START_TEST(mask_is_sufficient)
{
	static const char *const kinds[] = {"output",	 "flood",	"drop",
					    "punt",	 "recirculate", "select",
					    "set_field", "set_vlan",	"output_in_port"};
	static const char *const reasons[] = {"src_mac_zero", "link_local",	 "src_mac_mcast",
					      "no_switch",    "vlan_not_member", "hairpin"};
	unsigned int seen[RTE_DIM(kinds)] = {0}, seen_reason[RTE_DIM(reasons)] = {0};
	struct world w;
	unsigned int i, v, j;

	/* A fixed seed: the coverage checks at the end count rare outcomes
	 * (hairpins come out near 50 of 20000), which an unseeded run may miss. */
	rte_srand(0x6d61736b);
	world_up(&w, 0);
	/* MACs 0..7 known somewhere (some on ports that do not carry the switch) */
	for (i = 0; i < 8; i++) {
		struct rte_ether_addr m = mac_n(i);

		ck_assert_int_eq(
		    evs_l2_macs_add_static(w.macs, (uint16_t)(i % 3), &m, (uint16_t)(i % 6), 0), 0);
	}
	for (i = 0; i < 20000; i++) {
		uint8_t prog[EVS_PROG_MAX], prog2[EVS_PROG_MAX];
		struct evs_flow_key k, k2, mk;
		struct evs_flow_mask mask, mask2;
		const uint64_t *km = (const uint64_t *)&mask.bits;
		int len, len2;
		const char *op;

		random_key(&k);
		len = evs_pipeline_xlate(w.ref, &w.st, &k, &mask, prog, NULL);
		ck_assert_int_gt(len, 0);
		ck_assert_uint_eq(mask.bits.recirc_id, UINT16_MAX);
		op = first_op(w.reg, prog, (size_t)len);
		for (j = 0; j < RTE_DIM(kinds); j++)
			seen[j] += strcmp(op, kinds[j]) == 0;
		for (j = 0; j < RTE_DIM(reasons); j++)
			seen_reason[j] +=
			    strcmp(op, "drop") == 0 && strcmp(first_arg, reasons[j]) == 0;
		evs_flow_key_apply_mask(&mk, &k, &mask);
		for (v = 0; v < 8; v++) {
			uint64_t *w2 = (uint64_t *)&k2;
			const uint64_t *wk = (const uint64_t *)&k;
			struct evs_flow_key r;
			const uint64_t *wr = (const uint64_t *)&r;

			random_key(&r);
			for (j = 0; j < EVS_FLOW_KEY_WORDS; j++)
				w2[j] = (wk[j] & km[j]) | (wr[j] & ~km[j]);
			ck_assert(evs_flow_key_matches(&k2, &mask, &mk));
			len2 = evs_pipeline_xlate(w.ref, &w.st, &k2, &mask2, prog2, NULL);
			ck_assert_msg(
			    len == len2 && memcmp(prog, prog2, (size_t)len) == 0,
			    "key %u variant %u: a key matching the megaflow was translated "
			    "differently",
			    i, v);
			ck_assert_msg(memcmp(&mask, &mask2, sizeof(mask)) == 0,
				      "key %u variant %u: same megaflow, different mask", i, v);
		}
	}
	/* the random world must exercise every module's outcomes */
	for (j = 0; j < RTE_DIM(kinds); j++)
		ck_assert_msg(seen[j] > 50, "programs starting with %s: %u", kinds[j], seen[j]);
	for (j = 0; j < RTE_DIM(reasons); j++)
		ck_assert_msg(seen_reason[j] > 50, "drops for %s: %u", reasons[j], seen_reason[j]);
	world_down(&w);
}
END_TEST

/* ---- bursts against the reference ---- */

static void world_random_change(struct world *w)
{
	struct rte_ether_addr a = mac_n((unsigned int)(rte_rand() % N_MACS));

	switch (rte_rand() % 4) {
	case 0:
		world_set_conf(w, (unsigned int)(rte_rand() % 8));
		break;
	case 1: {
		unsigned int e = (unsigned int)(rte_rand() % TMOD_TABLE);

		w->tmod.port_of[e] = (uint16_t)(rte_rand() % 6);
		ck_assert_int_eq(evs_registry_dep_bump(w->reg, MOD_TMOD, e), 0);
		break;
	}
	case 2:
		evs_l2_macs_add_static(w->macs, (uint16_t)(rte_rand() % 3), &a,
				       (uint16_t)(rte_rand() % 6), 0);
		break;
	default:
		evs_l2_macs_del(w->macs, (uint16_t)(rte_rand() % 3), &a);
		break;
	}
}

/* Compare what @w.pl and @w.ref sent, packet by packet. */
static void compare_outputs(struct world *w, unsigned int round)
{
	unsigned int i;

	ck_assert_msg(w->cap->n == w->refcap->n, "round %u: %u outputs cached, %u afresh", round,
		      w->cap->n, w->refcap->n);
	qsort(w->cap->o, w->cap->n, sizeof(w->cap->o[0]), out_cmp);
	qsort(w->refcap->o, w->refcap->n, sizeof(w->refcap->o[0]), out_cmp);
	for (i = 0; i < w->cap->n; i++)
		ck_assert_msg(out_cmp(&w->cap->o[i], &w->refcap->o[i]) == 0,
			      "round %u: packet %u left on port %u tci %#x, afresh on port %u tci "
			      "%#x",
			      round, w->cap->o[i].seq, w->cap->o[i].port, w->cap->o[i].tci,
			      w->refcap->o[i].port, w->refcap->o[i].tci);
	w->cap->n = 0;
	w->refcap->n = 0;
}

START_TEST(bursts_match_fresh_translation)
{
	static const char *const engine_drops[] = {"no_action", "recirc_depth", "punt_full",
						   "no_port"};
	struct world w;
	struct pkt p[32];
	struct evs_pipeline_stats ps;
	uint32_t seq = 0;
	unsigned int round, i;

	world_up(&w, 0);
	for (round = 0; round < 600; round++) {
		if (rte_rand() % 2)
			world_random_change(&w);
		/* learning between bursts, as the management lcore does */
		evs_l2_macs_poll(w.macs, w.conf, 0);
		/* mixed flows, with runs of one flow as real bursts have */
		for (i = 0; i < 32; i++) {
			if (i > 0 && rte_rand() % 3 == 0) {
				p[i] = p[i - 1];
				p[i].seq = seq++;
			} else {
				random_pkt(&p[i], seq++);
			}
		}
		run(&w, w.pl, p, 32);
		run(&w, w.ref, p, 32);
		compare_outputs(&w, round);
		evs_pipeline_punt_poll(w.reg, w.punts, NULL, UINT32_MAX);
		if (rte_rand() % 4 == 0)
			evs_pipeline_service(w.pl, &w.st, rte_rdtsc(), UINT64_MAX / 2);
	}
	for (i = 0; i < RTE_DIM(engine_drops); i++)
		ck_assert_uint_eq(drops_named(w.pl, w.reg, "engine", engine_drops[i]),
				  drops_named(w.ref, w.reg, "engine", engine_drops[i]));
	ck_assert_uint_eq(drops_named(w.pl, w.reg, "l2", "no_switch"),
			  drops_named(w.ref, w.reg, "l2", "no_switch"));
	ck_assert_uint_gt(drops_named(w.pl, w.reg, "l2", "no_switch"), 0);
	evs_pipeline_stats_get(w.pl, &ps);
	/* the cache did its job and was invalidated along the way */
	ck_assert_uint_lt(ps.upcalls, 600 * 32 / 4);
	ck_assert_uint_gt(ps.revalidated, 0);
	ck_assert_uint_gt(ps.replaced, 0);
	ck_assert_uint_gt(ps.recirculated, 0);
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
	struct rte_ether_addr a = mac_n(20), b = mac_n(21);
	struct pkt p[32];
	unsigned int i;

	world_up(&w, 0);
	world_set_conf(&w, 0); /* port 2 is in no switch: one wide drop megaflow */
	ck_assert_int_eq(evs_l2_macs_add_static(w.macs, 0, &a, 0, 0), 0);
	ck_assert_int_eq(evs_l2_macs_add_static(w.macs, 0, &b, 1, 0), 0);
	p[0] = (struct pkt){.in_port = 2, .src = 7, .dst = 20, .udp_dst = 53};
	run(&w, w.pl, p, 1);
	ck_assert_uint_eq(w.cap->n, 0);
	ck_assert_uint_eq(drops_named(w.pl, w.reg, "l2", "no_switch"), 1);
	world_set_conf(&w, 1); /* port 2 joins switch 0 */
	for (i = 0; i < 32; i++)
		p[i] = (struct pkt){
		    .in_port = 2, .src = 7, .dst = i % 2 ? 21 : 20, .udp_dst = 53, .seq = i};
	run(&w, w.pl, p, 32);
	ck_assert_uint_eq(w.cap->n, 32);
	for (i = 0; i < 32; i++)
		ck_assert_msg(w.cap->o[i].port == (w.cap->o[i].dst_last == 21 ? 1 : 0),
			      "packet %u to MAC %u left on port %u", w.cap->o[i].seq,
			      w.cap->o[i].dst_last, w.cap->o[i].port);
	world_down(&w);
}
END_TEST

/* A frame @src -> @dst, tagged @tci (< 0: untagged), received on port 0, parsed. */
static struct rte_mbuf *frame_tci(const struct rte_ether_addr *dst,
				  const struct rte_ether_addr *src, int tci,
				  struct evs_flow_key *key)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t *p;
	uint32_t n = 12;

	ck_assert_ptr_nonnull(m);
	p = (uint8_t *)rte_pktmbuf_append(m, 64);
	ck_assert_ptr_nonnull(p);
	memset(p, 0, 64);
	memcpy(p, dst, 6);
	memcpy(p + 6, src, 6);
	if (tci >= 0) {
		p[n++] = 0x81, p[n++] = 0x00;
		p[n++] = (uint8_t)(tci >> 8), p[n++] = (uint8_t)tci;
	}
	p[n++] = 0x88, p[n++] = 0xb5;
	ck_assert_int_eq(evs_packet_parse(m, 0, key), EVS_DROP_NONE);
	return m;
}

START_TEST(reserved_frames_in_bursts)
{
	/* Bursts of 32 from access port 0 (switch 0: ports 1-3 untagged, port
	 * 4 VLAN 100), eight kinds in turn, run twice so the second burst runs
	 * from megaflows. The flood to 01:80:c2:00:00:10 comes right before
	 * the link-local frame that must not share its megaflow. */
	static const struct rte_ether_addr zero;
	static const struct rte_ether_addr bcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
	static const struct rte_ether_addr grp = {{0x01, 0x80, 0xc2, 0x00, 0x00, 0x10}};
	static const struct rte_ether_addr ll = {{0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e}};
	static const struct rte_ether_addr msrc = {{0x03, 0x00, 0x00, 0x00, 0x00, 0x01}};
	struct rte_ether_addr known = mac_n(1), src = mac_n(20);
	const struct {
		const struct rte_ether_addr *dst, *src;
		int tci;
		uint16_t n_out; /* 1: to port 1; 4: flooded to 1, 2, 3, 4 */
		int tag_access; /* tag on ports 1-3 */
	} kind[8] = {
	    {&known, &src, -1, 1, -1},
	    {&grp, &src, -1, 4, -1},
	    {&ll, &src, -1, 0, 0},
	    {&known, &zero, -1, 0, 0},
	    {&known, &src, 0x6000, 1, 0x6000},
	    {&bcast, &src, 0xa000, 4, 0xa000},
	    {&known, &msrc, -1, 0, 0},
	    {&ll, &src, 0xe000, 0, 0},
	};
	struct world w;
	unsigned int round, i, j;

	world_up(&w, 0);
	ck_assert_int_eq(evs_l2_macs_add_static(w.macs, 0, &known, 1, 0), 0);
	for (round = 0; round < 2; round++) {
		struct rte_mbuf *pkts[32];
		struct evs_flow_key keys[32];
		unsigned int o = 0;

		w.cap->n = 0;
		for (i = 0; i < 32; i++)
			pkts[i] =
			    frame_tci(kind[i % 8].dst, kind[i % 8].src, kind[i % 8].tci, &keys[i]);
		evs_pipeline_run(w.pl, &w.st, pkts, keys, 32);
		for (i = 0; i < 32; i++)
			for (j = 0; j < kind[i % 8].n_out; j++, o++) {
				const struct out *out = &w.cap->o[o];
				int want = kind[i % 8].tag_access;
				int tag = (out->tci & EVS_VLAN_PRESENT)
					      ? out->tci & ~EVS_VLAN_PRESENT
					      : -1;

				if (j == 3) /* trunk port 4: VLAN 100, the PCP kept */
					want = (want < 0 ? 0 : want) | 100;
				ck_assert_uint_lt(o, w.cap->n);
				ck_assert_msg(out->port == j + 1, "round %u frame %u: port %u",
					      round, i, out->port);
				ck_assert_msg(tag == want,
					      "round %u frame %u output %u: tag %d, want %d", round,
					      i, j, tag, want);
			}
		ck_assert_uint_eq(w.cap->n, o);
	}
	ck_assert_uint_eq(drops_named(w.pl, w.reg, "l2", "link_local"), 2 * 8);
	ck_assert_uint_eq(drops_named(w.pl, w.reg, "l2", "src_mac_zero"), 2 * 4);
	ck_assert_uint_eq(drops_named(w.pl, w.reg, "l2", "src_mac_mcast"), 2 * 4);
	world_down(&w);
}
END_TEST

/* ---- invalidation by dependency ---- */

START_TEST(mac_move_reaches_cached_flow)
{
	struct world w;
	struct rte_ether_addr x = mac_n(9);
	struct evs_pipeline_stats ps;
	struct evs_cls_stats cs;
	struct pkt p = {.in_port = 0, .src = 5, .dst = 9, .udp_dst = 53};

	world_up(&w, 0);
	ck_assert_int_eq(evs_l2_macs_add_static(w.macs, 0, &x, 1, 0), 0);
	run(&w, w.pl, &p, 1);
	run(&w, w.pl, &p, 1); /* now from the cache */
	ck_assert_uint_eq(w.cap->o[0].port, 1);
	ck_assert_uint_eq(w.cap->o[1].port, 1);
	evs_cls_stats_get(evs_pipeline_lcore_cls(w.pl), &cs);
	ck_assert_uint_eq(cs.installs, 1);
	/* the MAC moves to port 2: switch 0's dependency is bumped by the table */
	ck_assert_int_eq(evs_l2_macs_add_static(w.macs, 0, &x, 2, 0), 0);
	run(&w, w.pl, &p, 1);
	ck_assert_uint_eq(w.cap->o[2].port, 2);
	evs_pipeline_stats_get(w.pl, &ps);
	ck_assert_uint_eq(ps.revalidated, 1);
	ck_assert_uint_eq(ps.replaced, 0); /* same mask: modified in place */
	world_down(&w);
}
END_TEST

START_TEST(walk_retranslates_only_dependents)
{
	struct world w;
	struct evs_pipeline_stats ps0, ps1;
	struct pkt p[TMOD_TABLE + 1];
	unsigned int i;

	world_up(&w, 0);
	for (i = 0; i < TMOD_TABLE; i++)
		p[i] = (struct pkt){
		    .in_port = 0, .udp_dst = TMOD_PORT_BASE, .ip_dst = (uint8_t)i, .seq = i};
	p[TMOD_TABLE] = (struct pkt){.in_port = 0, .src = 1, .dst = 0xffff, .udp_dst = 53};
	run(&w, w.pl, p, TMOD_TABLE + 1); /* 16 tmod megaflows and an L2 flood */
	evs_pipeline_stats_get(w.pl, &ps0);
	w.tmod.port_of[3] = 5;
	evs_registry_dep_bump(w.reg, MOD_TMOD, 3);
	evs_pipeline_service(w.pl, &w.st, rte_rdtsc(), UINT64_MAX / 2);
	evs_pipeline_stats_get(w.pl, &ps1);
	ck_assert_uint_eq(ps1.walks - ps0.walks, 1);
	ck_assert_uint_eq(ps1.revalidated - ps0.revalidated, 1);
	/* the hit after the walk runs the new program without re-translating */
	w.cap->n = 0;
	run(&w, w.pl, &p[3], 1);
	ck_assert_uint_eq(w.cap->n, 1);
	ck_assert_uint_eq(w.cap->o[0].port, 5);
	evs_pipeline_stats_get(w.pl, &ps0);
	ck_assert_uint_eq(ps0.revalidated, ps1.revalidated);
	ck_assert_uint_eq(ps0.upcalls, ps1.upcalls);

	/* a decision whose mask changes: the walk removes the megaflow */
	{
		struct pkt q = {.in_port = 2, .src = 7, .dst = 9, .udp_dst = 53};
		struct evs_cls_stats cs0, cs1;

		world_set_conf(&w, 0); /* port 2 leaves: its frames drop as no_switch */
		run(&w, w.pl, &q, 1);
		evs_cls_stats_get(evs_pipeline_lcore_cls(w.pl), &cs0);
		world_set_conf(&w, 1); /* and joins again: the wide drop is stale */
		evs_pipeline_service(w.pl, &w.st, rte_rdtsc(), UINT64_MAX / 2);
		evs_pipeline_stats_get(w.pl, &ps1);
		evs_cls_stats_get(evs_pipeline_lcore_cls(w.pl), &cs1);
		ck_assert_uint_gt(ps1.replaced, ps0.replaced);
		ck_assert_uint_lt(cs1.n_flows, cs0.n_flows);
		ck_assert_uint_eq(cs1.removals - cs0.removals, ps1.replaced - ps0.replaced);
	}
	world_down(&w);
}
END_TEST

/* A program may depend on 16 tables (routed fw+lb flows reach 8): cached
 * with all of them, and a change to any one re-translates it. */
START_TEST(sixteen_dependencies_cached_and_revalidated)
{
	struct world w;
	struct evs_pipeline_stats ps0, ps1;
	struct evs_cls_stats cs;
	struct pkt p = {.in_port = 0, .udp_dst = TMOD_PORT_BASE + 8, .ip_dst = 3};

	ck_assert_uint_ge(EVS_PROG_MAX_DEPS, TMOD_TABLE);
	world_up(&w, 0);
	run(&w, w.pl, &p, 1);
	run(&w, w.pl, &p, 1);
	evs_pipeline_stats_get(w.pl, &ps0);
	evs_cls_stats_get(evs_pipeline_lcore_cls(w.pl), &cs);
	ck_assert_uint_eq(cs.installs, 1);
	ck_assert_uint_eq(ps0.upcalls, 1); /* the second packet hit the cache */
	ck_assert_uint_eq(w.cap->o[1].port, w.tmod.port_of[3]);
	/* the last entry, past the old limit of 8, still invalidates it */
	evs_registry_dep_bump(w.reg, MOD_TMOD, TMOD_TABLE - 1);
	w.tmod.port_of[3] = 6;
	evs_pipeline_service(w.pl, &w.st, rte_rdtsc(), UINT64_MAX / 2);
	evs_pipeline_stats_get(w.pl, &ps1);
	ck_assert_uint_eq(ps1.revalidated - ps0.revalidated, 1);
	w.cap->n = 0;
	run(&w, w.pl, &p, 1);
	ck_assert_uint_eq(w.cap->n, 1);
	ck_assert_uint_eq(w.cap->o[0].port, 6);
	world_down(&w);
}
END_TEST

START_TEST(conf_change_bumps_changed_ports_only)
{
	struct world w;
	struct evs_l2_conf *other;
	uint64_t e0;

	world_up(&w, 0);
	e0 = evs_registry_epoch(w.reg);
	other = world_conf(w.variant);
	ck_assert_int_eq(evs_l2_conf_changed(w.reg, MOD_L2, w.conf, other), 0);
	ck_assert_uint_eq(evs_registry_epoch(w.reg), e0);
	evs_l2_conf_free(other);
	/* port 1 goes down: its dependency and its switch's */
	ck_assert_int_eq(evs_l2_conf_changed(w.reg, MOD_L2, w.conf, (other = world_conf(5))), 2);
	evs_l2_conf_free(other);
	ck_assert_int_eq(evs_l2_conf_changed(w.reg, MOD_TMOD, w.conf, w.conf), -EINVAL);
	world_down(&w);
}
END_TEST

START_TEST(refused_install_still_forwards)
{
	struct world w;
	struct evs_pipeline_stats ps;
	struct pkt p;
	unsigned int i;

	world_up(&w, 16);
	for (i = 0; i < 40; i++) {
		struct rte_ether_addr d = mac_n(100 + i);

		ck_assert_int_eq(evs_l2_macs_add_static(w.macs, 0, &d, 1, 0), 0);
	}
	for (i = 0; i < 40; i++) {
		p = (struct pkt){
		    .in_port = 0, .src = 5, .dst = (uint16_t)(100 + i), .udp_dst = 53, .seq = i};
		run(&w, w.pl, &p, 1);
	}
	ck_assert_uint_eq(w.cap->n, 40);
	for (i = 0; i < 40; i++)
		ck_assert_uint_eq(w.cap->o[i].port, 1);
	evs_pipeline_stats_get(w.pl, &ps);
	ck_assert_uint_ge(ps.uncached, 24);
	world_down(&w);
}
END_TEST

/* ---- every opcode kind ---- */

START_TEST(opcodes_rewrite_and_output)
{
	struct world w;
	struct pkt p[6] = {
	    {.in_port = 4, .udp_dst = TMOD_PORT_BASE + 1, .seq = 0},
	    {.in_port = 0, .dst = 3, .udp_dst = TMOD_PORT_BASE + 2, .seq = 1},
	    {.in_port = 0, .udp_dst = TMOD_PORT_BASE + 3, .seq = 2},
	    {.in_port = 0, .udp_dst = TMOD_PORT_BASE + 3, .vid = 0x6000 | 200, .seq = 3},
	    {.in_port = 0, .udp_dst = TMOD_PORT_BASE, .ip_dst = 2, .seq = 4},
	    {.in_port = 0, .udp_dst = TMOD_PORT_BASE, .ip_dst = 3, .seq = 5},
	};

	world_up(&w, 0);
	w.tmod.port_of[2] = NO_QUEUE_PORT;
	run(&w, w.pl, p, 6);
	ck_assert_uint_eq(w.cap->n, 5);
	ck_assert_uint_eq(w.cap->o[0].port, 4); /* back to the in-port */
	ck_assert_uint_eq(w.cap->o[1].port, 1);
	ck_assert_uint_eq(w.cap->o[1].dst_last, 0xee); /* set_field rewrote the frame */
	ck_assert_uint_eq(w.cap->o[2].port, 2);
	ck_assert_uint_eq(w.cap->o[2].tci, EVS_VLAN_PRESENT | 100);
	/* retagging keeps the priority */
	ck_assert_uint_eq(w.cap->o[3].tci, 0x6000 | EVS_VLAN_PRESENT | 100);
	ck_assert_uint_eq(w.cap->o[4].seq, 5);
	ck_assert_uint_eq(drops_named(w.pl, w.reg, "engine", "no_port"), 1);
	world_down(&w);
}
END_TEST

/* L2 hands a router port's frames on, and switches them again in the egress switch. */
START_TEST(router_port_hands_off_and_reenters_l2)
{
	struct world w;
	struct rte_ether_addr n0 = mac_n(RT_NEXT0), n1 = mac_n(RT_NEXT1);
	struct pkt p[4] = {
	    {.in_port = 1, .src = 2, .dst = RT_GW0, .udp_dst = 53, .seq = 0},
	    {.in_port = 5, .src = 3, .dst = RT_GW1, .udp_dst = 53, .seq = 1},
	    /* a router MAC on a switch it is not attached to: plain switching */
	    {.in_port = 1, .src = 2, .dst = RT_GW1, .udp_dst = 53, .seq = 2},
	    {.in_port = 1, .src = 2, .dst = RT_NEXT0, .udp_dst = 53, .seq = 3},
	};
	struct evs_flow_key k;
	struct evs_flow_mask mask;
	uint8_t prog[EVS_PROG_MAX];
	struct rte_mbuf *m;
	unsigned int i;
	int len;

	world_up(&w, 0);
	ck_assert_int_eq(evs_l2_macs_add_static(w.macs, 0, &n0, 0, 0), 0);
	ck_assert_int_eq(evs_l2_macs_add_static(w.macs, 1, &n1, 5, 0), 0);
	run(&w, w.pl, p, 4);
	ck_assert_uint_eq(w.cap->n, 3 + 4); /* seq 2 floods switch 0 (ports 0, 2, 3, 4) */
	qsort(w.cap->o, w.cap->n, sizeof(w.cap->o[0]), out_cmp);
	ck_assert_uint_eq(w.cap->o[0].seq, 0);
	ck_assert_uint_eq(w.cap->o[0].port, 5);
	ck_assert_uint_eq(w.cap->o[0].dst_last, RT_NEXT1);
	ck_assert_uint_eq(w.cap->o[1].seq, 1);
	ck_assert_uint_eq(w.cap->o[1].port, 0);
	ck_assert_uint_eq(w.cap->o[1].dst_last, RT_NEXT0);
	ck_assert_uint_eq(w.cap->o[2].seq, 2);
	ck_assert_uint_eq(w.cap->o[6].seq, 3);
	ck_assert_uint_eq(w.cap->o[6].port, 0);
	/* the routed flow's program: rewrite, then switch 1's output */
	m = frame(&p[0], &k);
	len = evs_pipeline_xlate(w.ref, &w.st, &k, &mask, prog, NULL);
	ck_assert_int_gt(len, 0);
	ck_assert_str_eq(first_op(w.reg, prog, (size_t)len), "set_field");
	ck_assert_uint_eq(mask.bits.ldp, UINT16_MAX);
	rte_pktmbuf_free(m);
	/* the next hop unknown in switch 1: flooded there, not in switch 0 */
	ck_assert_int_eq(evs_l2_macs_del(w.macs, 1, &n1), 0);
	w.cap->n = 0;
	run(&w, w.pl, p, 1);
	ck_assert_uint_ge(w.cap->n, 1);
	for (i = 0; i < w.cap->n; i++)
		ck_assert(w.cap->o[i].port == 5 || w.cap->o[i].port == 3);
	world_down(&w);
}
END_TEST

START_TEST(select_is_per_packet)
{
	struct world w;
	struct pkt p[4];
	struct evs_cls_stats cs;
	unsigned int i;

	world_up(&w, 0);
	for (i = 0; i < 4; i++)
		p[i] = (struct pkt){
		    .in_port = 0, .udp_dst = TMOD_PORT_BASE + 7, .ip_src = (uint8_t)i, .seq = i};
	run(&w, w.pl, p, 4);
	ck_assert_uint_eq(w.cap->n, 4);
	for (i = 0; i < 4; i++)
		ck_assert_uint_eq(w.cap->o[i].port, 4 + (i & 1));
	evs_cls_stats_get(evs_pipeline_lcore_cls(w.pl), &cs);
	ck_assert_uint_eq(cs.installs, 1); /* one megaflow, four decisions */
	world_down(&w);
}
END_TEST

START_TEST(recirculation_and_depth)
{
	struct world w;
	struct pkt p[3] = {
	    {.in_port = 0, .udp_dst = TMOD_PORT_BASE + 5, .seq = 0},
	    {.in_port = 0, .udp_dst = TMOD_PORT_BASE + 5, .seq = 1},
	    {.in_port = 0, .udp_dst = TMOD_PORT_BASE + 6, .seq = 2},
	};
	struct evs_pipeline_stats ps;
	struct evs_cls_stats cs;

	world_up(&w, 0);
	run(&w, w.pl, p, 3);
	ck_assert_uint_eq(w.cap->n, 2);
	ck_assert_uint_eq(w.cap->o[0].port, 3);
	ck_assert_uint_eq(w.cap->o[1].port, 3);
	ck_assert_uint_eq(drops_named(w.pl, w.reg, "engine", "recirc_depth"), 1);
	evs_pipeline_stats_get(w.pl, &ps);
	ck_assert_uint_eq(ps.recirculated, 2 + EVS_RECIRC_MAX_DEPTH);
	evs_cls_stats_get(evs_pipeline_lcore_cls(w.pl), &cs);
	/* a megaflow per pass: +5 first and second, +6 first and recirc_id 2 */
	ck_assert_uint_eq(cs.installs, 4);
	world_down(&w);
}
END_TEST

START_TEST(punt_reaches_module_and_is_bounded)
{
	struct world w;
	struct pkt p[32];
	struct evs_pipeline_stats ps;
	unsigned int i, got, round;

	world_up(&w, 0);
	tmod_punted = 0;
	for (i = 0; i < 32; i++)
		p[i] = (struct pkt){.in_port = 0, .udp_dst = TMOD_PORT_BASE + 4, .seq = i};
	run(&w, w.pl, p, 8);
	got = evs_pipeline_punt_poll(w.reg, w.punts, NULL, UINT32_MAX);
	ck_assert_uint_eq(got, 8);
	ck_assert_uint_eq(tmod_punted, 8);
	ck_assert_uint_eq(tmod_last_code, 7);
	/* nobody drains: the ring (63 usable) fills and the rest is counted */
	for (round = 0; round < 3; round++)
		run(&w, w.pl, p, 32);
	ck_assert_uint_eq(drops_named(w.pl, w.reg, "engine", "punt_full"), 96 - 63);
	evs_pipeline_stats_get(w.pl, &ps);
	ck_assert_uint_eq(ps.punted, 8 + 63);
	world_down(&w);
}
END_TEST

/* Queue frames @p on @pl's inject ring for @to. */
static unsigned int inject(struct evs_pipeline_lcore *pl, const struct evs_inject *to,
			   const struct pkt *p, unsigned int n)
{
	struct rte_mbuf *m[64];
	struct evs_flow_key k;
	unsigned int i;

	for (i = 0; i < n; i++)
		m[i] = frame(&p[i], &k);
	return evs_pipeline_inject(pl, to, m, n);
}

/* Outputs of @c on @port. */
static unsigned int outputs_on(const struct capture *c, uint16_t port)
{
	unsigned int i, n = 0;

	for (i = 0; i < c->n; i++)
		n += c->o[i].port == port;
	return n;
}

START_TEST(inject_tx_port_and_ldp)
{
	struct world w;
	struct pkt p[3];
	struct evs_pipeline_stats ps;
	unsigned int i;

	world_up(&w, 0);
	/* tx: out of port 2 as they are, no pipeline (port 2 is not even in a switch path) */
	for (i = 0; i < 3; i++)
		p[i] = (struct pkt){.in_port = 0, .src = 1, .dst = 3, .udp_dst = 53, .seq = i};
	ck_assert_uint_eq(
	    inject(w.pl, &(struct evs_inject){.kind = EVS_INJECT_TX, .port = 2}, p, 3), 3);
	ck_assert_uint_eq(w.cap->n, 0); /* nothing happens before the owner drains */
	ck_assert_uint_eq(evs_pipeline_inject_drain(w.pl, &w.st, 64), 3);
	ck_assert_uint_eq(w.cap->n, 3);
	ck_assert_uint_eq(outputs_on(w.cap, 2), 3);
	evs_pipeline_stats_get(w.pl, &ps);
	ck_assert_uint_eq(ps.packets, 0);
	ck_assert_uint_eq(ps.injected, 3);
	/* as if received on port 1: switched (flooded in switch 0 but back to 1), and learned */
	w.cap->n = 0;
	p[0] = (struct pkt){.in_port = 1, .src = 7, .dst = 0xffff, .udp_dst = 53, .seq = 10};
	inject(w.pl, &(struct evs_inject){.kind = EVS_INJECT_PORT, .port = 1}, p, 1);
	evs_pipeline_inject_drain(w.pl, &w.st, 64);
	ck_assert_uint_eq(w.cap->n, 4);
	ck_assert_uint_eq(outputs_on(w.cap, 1), 0);
	evs_l2_macs_poll(w.macs, w.conf, 0);
	w.cap->n = 0;
	p[0] = (struct pkt){.in_port = 0, .src = 2, .dst = 7, .udp_dst = 53, .seq = 11};
	run(&w, w.pl, p, 1);
	ck_assert_uint_eq(w.cap->n, 1);
	ck_assert_uint_eq(w.cap->o[0].port, 1);
	/* in switch 0 from the host itself: flooded to every member, and not learned */
	w.cap->n = 0;
	p[0] = (struct pkt){.in_port = 0, .src = 8, .dst = 0xffff, .udp_dst = 53, .seq = 12};
	inject(w.pl,
	       &(struct evs_inject){
		   .kind = EVS_INJECT_LDP, .port = EVS_INJECT_NO_PORT, .ldp = evs_l2_ldp(0)},
	       p, 1);
	evs_pipeline_inject_drain(w.pl, &w.st, 64);
	ck_assert_uint_eq(w.cap->n, 5); /* ports 0, 1, 2, 3, 4 */
	evs_l2_macs_poll(w.macs, w.conf, 0);
	w.cap->n = 0;
	p[0] = (struct pkt){.in_port = 1, .src = 2, .dst = 8, .udp_dst = 53, .seq = 13};
	run(&w, w.pl, p, 1);
	ck_assert_uint_eq(w.cap->n, 4); /* still unknown: flooded */
	/* ... and to a known MAC in switch 1, whatever port it came from */
	w.cap->n = 0;
	p[0] = (struct pkt){.in_port = 0, .src = 9, .dst = 7, .udp_dst = 53, .seq = 14};
	inject(w.pl, &(struct evs_inject){.kind = EVS_INJECT_LDP, .port = 0, .ldp = evs_l2_ldp(1)},
	       p, 1);
	evs_pipeline_inject_drain(w.pl, &w.st, 64);
	ck_assert_uint_eq(w.cap->n, 2); /* MAC 7 is in switch 0 only: flooded in 1 (ports 3, 5) */
	ck_assert_uint_eq(outputs_on(w.cap, 5) + outputs_on(w.cap, 3), 2);
	world_down(&w);
}
END_TEST

START_TEST(inject_ring_bounded_and_counted)
{
	struct world w;
	struct pkt p[64];
	struct evs_pipeline_stats ps;
	const struct evs_inject to = {.kind = EVS_INJECT_TX, .port = 2};
	struct rte_mbuf *m;
	unsigned int i, queued = 0;

	world_up(&w, 0);
	for (i = 0; i < 64; i++)
		p[i] = (struct pkt){.in_port = 0, .src = 1, .dst = 3, .udp_dst = 53, .seq = i};
	/* 1024 slots hold 1023 packets: 17 * 64 = 1088 offered, 65 counted */
	for (i = 0; i < 17; i++)
		queued += inject(w.pl, &to, p, 64);
	ck_assert_uint_eq(queued, EVS_INJECT_RING - 1);
	ck_assert_uint_eq(drops_named(w.pl, w.reg, "engine", "inject_full"), 17 * 64 - 1023);
	/* drained in budgets */
	ck_assert_uint_eq(evs_pipeline_inject_drain(w.pl, &w.st, 100), 100);
	ck_assert_uint_eq(w.cap->n, 100);
	ck_assert_uint_eq(evs_pipeline_inject_drain(w.pl, &w.st, UINT32_MAX), 923);
	ck_assert_uint_eq(evs_pipeline_inject_drain(w.pl, &w.st, UINT32_MAX), 0);
	/* a bad target takes nothing; a port with no queue and a runt are counted */
	ck_assert_uint_eq(inject(w.pl, &(struct evs_inject){.kind = 9}, p, 2), 0);
	ck_assert_uint_eq(drops_named(w.pl, w.reg, "engine", "inject_full"), 65 + 2);
	inject(w.pl, &(struct evs_inject){.kind = EVS_INJECT_TX, .port = NO_QUEUE_PORT}, p, 3);
	m = rte_pktmbuf_alloc(pool);
	ck_assert_ptr_nonnull(rte_pktmbuf_append(m, 6));
	evs_pipeline_inject(w.pl, &(struct evs_inject){.kind = EVS_INJECT_PORT, .port = 0}, &m, 1);
	evs_pipeline_inject_drain(w.pl, &w.st, UINT32_MAX);
	ck_assert_uint_eq(drops_named(w.pl, w.reg, "engine", "no_port"), 3);
	ck_assert_uint_eq(drops_named(w.pl, w.reg, "engine", "inject_bad_packet"), 1);
	evs_pipeline_stats_get(w.pl, &ps);
	ck_assert_uint_eq(ps.injected, 1023 + 3 + 1);
	/* what nobody drained goes with the context (no leak: the pool is checked below) */
	inject(w.pl, &to, p, 64);
	world_down(&w);
	ck_assert_uint_eq(rte_mempool_in_use_count(pool), 0);
}
END_TEST

/* A flood to hundreds of ports goes straight to the tx function: no
 * burst-times-ports output array anywhere. */
START_TEST(flood_to_hundreds_of_ports)
{
	enum { N_PORTS = 600 };
	static const struct evs_module *const mods[] = {&evs_l2_module};
	static const struct evs_l2_switch_spec sw = {.id = 7, .name = "big"};
	struct evs_l2_port_spec *ps = calloc(N_PORTS, sizeof(*ps));
	struct evs_l2_macs_config mc = {.name = "pl_big", .capacity = 64, .qsbr = qsbr};
	struct capture *cap = calloc(1, sizeof(*cap));
	struct evs_registry *reg = evs_registry_create(mods, 1);
	struct evs_l2_conf *conf;
	struct evs_l2_macs *macs;
	struct evs_pipeline_lcore *pl;
	struct evs_l2_state l2;
	struct evs_pipeline_state st = {0};
	struct pkt p[32];
	char err[128];
	unsigned int i, j;
	static unsigned int per_port[N_PORTS];

	ck_assert(ps != NULL && cap != NULL && reg != NULL);
	for (i = 0; i < N_PORTS; i++)
		ps[i] = (struct evs_l2_port_spec){
		    .port = (uint16_t)(i + 1), .has_native = true, .native_switch = 7};
	conf = evs_l2_conf_build(&(struct evs_l2_conf_spec){.nb_switches = 1,
							    .switches = &sw,
							    .nb_ports = N_PORTS,
							    .ports = ps,
							    .socket_id = SOCKET_ID_ANY},
				 err, sizeof(err));
	ck_assert_msg(conf != NULL, "%s", err);
	macs = evs_l2_macs_create(&mc);
	ck_assert_ptr_nonnull(macs);
	l2 = (struct evs_l2_state){.conf = conf, .macs = macs};
	st.mod[0] = &l2;
	{
		struct evs_pipeline_lcore_config c = {.name = "big",
						      .reg = reg,
						      .pool = pool,
						      .tx = cap_tx,
						      .tx_arg = cap,
						      .socket_id = SOCKET_ID_ANY};

		c.mod_args[0] = macs;
		pl = evs_pipeline_lcore_create(&c);
		ck_assert_ptr_nonnull(pl);
	}
	for (i = 0; i < 32; i++)
		p[i] = (struct pkt){.in_port = 1, .src = 1, .dst = 0xffff, .udp_dst = 53, .seq = i};
	{
		struct rte_mbuf *m[32];
		struct evs_flow_key k[32];

		for (i = 0; i < 32; i++)
			m[i] = frame(&p[i], &k[i]);
		evs_pipeline_run(pl, &st, m, k, 32);
	}
	ck_assert_uint_eq(cap->n, 32 * (N_PORTS - 1));
	memset(per_port, 0, sizeof(per_port));
	for (j = 0; j < cap->n; j++) {
		ck_assert_uint_ge(cap->o[j].port, 2);
		ck_assert_uint_le(cap->o[j].port, N_PORTS);
		per_port[cap->o[j].port - 1]++;
	}
	for (i = 1; i < N_PORTS; i++)
		ck_assert_uint_eq(per_port[i], 32);
	evs_pipeline_lcore_free(pl);
	evs_l2_macs_free(macs);
	evs_l2_conf_free(conf);
	evs_registry_free(reg);
	free(ps);
	free(cap);
}
END_TEST

/* ---- limits ---- */

static enum evs_stage_verdict greedy_stage(struct evs_xlate *x, const void *state, void *lctx)
{
	unsigned int i;

	(void)state;
	(void)lctx;
	for (i = 0; i < 64; i++)
		if (evs_xlate_output(x, (uint16_t)i) < 0)
			break;
	return EVS_STAGE_DONE;
}

static enum evs_stage_verdict loop_stage(struct evs_xlate *x, const void *state, void *lctx)
{
	(void)state;
	(void)lctx;
	while (evs_xlate_goto_ldp(x, 1) == 0)
		;
	evs_xlate_output(x, 0);
	return EVS_STAGE_DONE;
}

START_TEST(limits_drop_with_reason)
{
	static const struct evs_stage gs[] = {{.name = "greedy", .xlate = greedy_stage}};
	static const struct evs_stage ls[] = {{.name = "loop", .xlate = loop_stage}};
	static const struct evs_module greedy = {.name = "greedy", .stages = gs, .n_stages = 1};
	static const struct evs_module looper = {.name = "loop", .stages = ls, .n_stages = 1};
	const struct evs_module *m1[] = {&greedy}, *m2[] = {&looper};
	struct evs_registry *r1 = evs_registry_create(m1, 1), *r2 = evs_registry_create(m2, 1);
	struct capture *cap = calloc(1, sizeof(*cap));
	struct evs_pipeline_lcore_config c = {
	    .name = "lim", .pool = pool, .tx = cap_tx, .tx_arg = cap, .socket_id = SOCKET_ID_ANY};
	struct evs_pipeline_lcore *p1, *p2;
	struct evs_pipeline_state st = {0};
	struct pkt p = {.in_port = 0, .udp_dst = 53};
	struct rte_mbuf *m;
	struct evs_flow_key k;

	ck_assert(r1 != NULL && r2 != NULL && cap != NULL);
	c.reg = r1;
	p1 = evs_pipeline_lcore_create(&c);
	c.reg = r2;
	p2 = evs_pipeline_lcore_create(&c);
	ck_assert(p1 != NULL && p2 != NULL);
	m = frame(&p, &k);
	evs_pipeline_run(p1, &st, &m, &k, 1);
	m = frame(&p, &k);
	evs_pipeline_run(p2, &st, &m, &k, 1);
	ck_assert_uint_eq(cap->n, 0); /* never a partial program */
	ck_assert_uint_eq(drops_named(p1, r1, "engine", "program_full"), 1);
	ck_assert_uint_eq(drops_named(p2, r2, "engine", "ldp_loop"), 1);
	evs_pipeline_lcore_free(p1);
	evs_pipeline_lcore_free(p2);
	evs_registry_free(r1);
	evs_registry_free(r2);
	free(cap);
}
END_TEST

START_TEST(registry_checks_modules)
{
	static const struct evs_opcode bad_op[] = {{.name = "x", .arg_size = 4}};
	static const struct evs_opcode big_op[] = {
	    {.name = "x", .arg_size = EVS_OP_ARG_MAX + 1, .exec = NULL}};
	static const struct evs_module no_exec = {.name = "a", .opcodes = bad_op, .n_opcodes = 1};
	static const struct evs_module big = {.name = "b", .opcodes = big_op, .n_opcodes = 1};
	static const struct evs_module unnamed = {.name = NULL};
	static const char *const holes[2] = {"a"};
	static const struct evs_module gap = {.name = "g", .drop_names = holes, .n_drops = 2};
	const struct evs_module *dup[] = {&tmod_module, &tmod_module}, *one[] = {&no_exec},
				*two[] = {&big}, *three[] = {&unnamed}, *four[] = {&gap};
	const struct evs_module *many[EVS_MODULES_MAX + 1];
	const struct evs_module *ok[] = {&tmod_module, &evs_l2_module};
	struct evs_registry *r;
	unsigned int i;

	ck_assert_ptr_null(evs_registry_create(dup, 2));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(evs_registry_create(one, 1));
	ck_assert_ptr_null(evs_registry_create(two, 1));
	ck_assert_ptr_null(evs_registry_create(three, 1));
	ck_assert_ptr_null(evs_registry_create(four, 1));
	for (i = 0; i < RTE_DIM(many); i++)
		many[i] = &evs_l2_module;
	ck_assert_ptr_null(evs_registry_create(many, RTE_DIM(many)));
	r = evs_registry_create(ok, 2);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(evs_registry_module_index(r, "l2"), 1);
	ck_assert_int_eq(evs_registry_module_index(r, "nope"), -ENOENT);
	ck_assert_str_eq(evs_registry_drop_name(r, 0), "none");
	ck_assert_str_eq(evs_registry_drop_owner(r, 0), "engine");
	ck_assert_str_eq(evs_registry_drop_name(r, 9999), "unknown");
	ck_assert_int_eq(evs_registry_dep_bump(r, 0, TMOD_TABLE), -EINVAL);
	ck_assert_int_eq(evs_registry_dep_bump(r, 2, 0), -EINVAL);
	ck_assert_int_eq(evs_registry_dep_bump(r, 1, EVS_L2_N_DEPS - 1), 0);
	ck_assert_uint_eq(evs_registry_epoch(r), 1);
	/* every drop name appears once per owner */
	for (i = 1; i < evs_registry_n_drops(r); i++)
		for (unsigned int j = 1; j < i; j++)
			ck_assert(
			    strcmp(evs_registry_drop_name(r, i), evs_registry_drop_name(r, j)) ||
			    strcmp(evs_registry_drop_owner(r, i), evs_registry_drop_owner(r, j)));
	evs_registry_free(r);
}
END_TEST

/* ---- traces ---- */

START_TEST(trace_shows_every_pass)
{
	struct world w;
	struct evs_trace *tr = calloc(1, sizeof(*tr));
	struct pkt p = {.in_port = 0, .udp_dst = TMOD_PORT_BASE + 5};
	struct evs_flow_key k;
	struct rte_mbuf *m;
	char buf[512];

	ck_assert_ptr_nonnull(tr);
	world_up(&w, 0);
	m = frame(&p, &k);
	ck_assert_int_eq(evs_pipeline_trace(w.ref, &w.st, m, &k, tr), 0);
	ck_assert_uint_eq(tr->n_passes, 2);
	ck_assert_str_eq(tr->passes[0].result, "recirculate id=1");
	ck_assert_str_eq(tr->passes[1].result, "output port=3");
	ck_assert_str_eq(tr->passes[0].actions, "set_field(ct_mark=5), recirculate(id=1)");
	ck_assert_uint_eq(tr->passes[1].key.recirc_id, 1);
	ck_assert_uint_eq(tr->passes[1].key.ct_mark, 5);
	ck_assert_uint_eq(tr->n, 2);
	ck_assert_str_eq(tr->steps[1].module, "tmod");
	ck_assert_uint_eq(tr->steps[1].pass, 1);
	ck_assert_str_eq(tr->steps[1].decision, "second pass");
	ck_assert_uint_eq(w.cap->n, 0); /* nothing was sent */

	/* a hop to another logical datapath is a step of its own */
	p.udp_dst = TMOD_PORT_BASE + 7;
	m = frame(&p, &k);
	ck_assert_int_eq(evs_pipeline_trace(w.ref, &w.st, m, &k, tr), 0);
	ck_assert_uint_eq(tr->n, 2);
	ck_assert_str_eq(tr->steps[0].stage, "goto");
	ck_assert_str_eq(tr->steps[0].decision, "to logical datapath 2");
	ck_assert_str_eq(tr->steps[1].decision, "ldp 2: select from port 4");
	ck_assert_str_eq(tr->passes[0].actions, "select(base=4)");

	/* L2 (tmod continues): the stage names and what it consulted */
	p.udp_dst = 53;
	p.dst = 9;
	p.src = 5;
	m = frame(&p, &k);
	ck_assert_int_eq(evs_pipeline_trace(w.ref, &w.st, m, &k, tr), 0);
	ck_assert_uint_eq(tr->n, 2);
	ck_assert_str_eq(tr->steps[1].module, "l2");
	ck_assert_str_eq(tr->steps[1].stage, "switch");
	ck_assert_ptr_nonnull(strstr(tr->steps[1].decision, "flood"));
	evs_flow_format(&k, &tr->steps[1].consulted, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "in_port=0"));
	ck_assert_ptr_nonnull(strstr(buf, "dst_mac=02:00:00:00:00:09"));
	ck_assert_ptr_null(strstr(buf, "ethertype"));
	ck_assert_str_eq(tr->passes[0].actions, "flood(switch=0)");
	ck_assert_ptr_nonnull(strstr(tr->passes[0].result, "output port=1"));
	ck_assert_ptr_nonnull(strstr(tr->passes[0].result, "output port=3"));
	world_down(&w);
	free(tr);
}
END_TEST

static Suite *pipeline_suite(void)
{
	Suite *s = suite_create("pipeline");
	struct {
		const char *name;
		const TTest *test;
	} cases[] = {
	    {"mask_is_sufficient", mask_is_sufficient},
	    {"bursts_match_fresh_translation", bursts_match_fresh_translation},
	    {"stale_megaflow_replaced_mid_burst", stale_megaflow_replaced_mid_burst},
	    {"reserved_frames_in_bursts", reserved_frames_in_bursts},
	    {"mac_move_reaches_cached_flow", mac_move_reaches_cached_flow},
	    {"walk_retranslates_only_dependents", walk_retranslates_only_dependents},
	    {"sixteen_dependencies_cached_and_revalidated",
	     sixteen_dependencies_cached_and_revalidated},
	    {"conf_change_bumps_changed_ports_only", conf_change_bumps_changed_ports_only},
	    {"refused_install_still_forwards", refused_install_still_forwards},
	    {"opcodes_rewrite_and_output", opcodes_rewrite_and_output},
	    {"router_port_hands_off_and_reenters_l2", router_port_hands_off_and_reenters_l2},
	    {"select_is_per_packet", select_is_per_packet},
	    {"recirculation_and_depth", recirculation_and_depth},
	    {"punt_reaches_module_and_is_bounded", punt_reaches_module_and_is_bounded},
	    {"inject_tx_port_and_ldp", inject_tx_port_and_ldp},
	    {"inject_ring_bounded_and_counted", inject_ring_bounded_and_counted},
	    {"flood_to_hundreds_of_ports", flood_to_hundreds_of_ports},
	    {"limits_drop_with_reason", limits_drop_with_reason},
	    {"registry_checks_modules", registry_checks_modules},
	    {"trace_shows_every_pass", trace_shows_every_pass},
	};
	unsigned int i;

	for (i = 0; i < RTE_DIM(cases); i++) {
		TCase *tc = tcase_create(cases[i].name);

		tcase_set_timeout(tc, 120);
		tcase_add_test(tc, cases[i].test);
		suite_add_tcase(s, tc);
	}
	return s;
}

int main(void)
{
	int failed;

	if (unit_eal_init("test_pipeline", "tpipeline", "256") < 0)
		return 1;
	pool = rte_pktmbuf_pool_create("tpl_pool", 8192, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
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
