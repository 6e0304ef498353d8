/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Routing on the engine: L2 + L3 modules with a real router set and its
 * management context (punt ring in, inject ring out). Forwarding both ways
 * (MACs, TTL, checksum, egress port), drops by reason, a neighbour change
 * reaching a cached megaflow through evs_l3_deps_sync, mask sufficiency of
 * L2+L3 on random keys; ARP/ND for the gateway, echo, resolution with held
 * packets, ICMP errors and their rate limit (test_l3_punt.c's cases).
 */
#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_random.h>
#include <rte_rcu_qsbr.h>
#include <rte_udp.h>

#include "evs_l2.h"
#include "evs_l3_module.h"
#include "evs_pipeline.h"
#include "l3_test.h"
#include "unit_case.h"
#include "unit_mask.h"

enum { M_L2, M_L3 };

static const struct rte_ether_addr R1 = {{0x02, 0, 0, 0, 1, 1}};
static const struct rte_ether_addr R2 = {{0x02, 0, 0, 0, 1, 2}};
static const struct rte_ether_addr H1 = {{0x02, 0, 0, 0, 0, 0x11}};
static const struct rte_ether_addr H2 = {{0x02, 0, 0, 0, 0, 0x22}};
static const struct rte_ether_addr H3 = {{0x02, 0, 0, 0, 0, 0x33}};
static const uint8_t A1[4] = {10, 0, 1, 5}, A2[4] = {10, 0, 2, 7};
/* the router's IPv6 address on port 1 */
static const uint8_t G6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

struct sent {
	unsigned int n;
	uint16_t port[64];
	uint8_t frame[64][128];
};

struct rworld {
	struct rte_ring *punts;
	struct evs_l3_mgmt *mg;
	struct evs_registry *reg;
	struct evs_l2_conf *conf;
	struct evs_l2_macs *macs;
	struct rte_rcu_qsbr *qsbr;
	struct evs_l3_set *set;
	struct evs_l3_deps_seen *seen;
	struct evs_l2_state l2;
	struct evs_l3_state l3;
	struct evs_pipeline_state st;
	struct evs_pipeline_lcore *pl, *ref;
	struct sent out;
};

static uint16_t rw_tx(void *arg, uint16_t port, struct rte_mbuf **pkts, uint16_t n)
{
	struct sent *s = arg;

	for (uint16_t i = 0; i < n; i++) {
		ck_assert_uint_lt(s->n, RTE_DIM(s->port));
		s->port[s->n] = port;
		rte_memcpy(s->frame[s->n++], rte_pktmbuf_mtod(pkts[i], void *),
			   RTE_MIN(128u, rte_pktmbuf_data_len(pkts[i])));
		rte_pktmbuf_free(pkts[i]);
	}
	return n;
}

static bool rw_gateway(const void *arg, uint16_t sw, const struct rte_ether_addr *mac)
{
	return evs_l3_is_router_mac(arg, evs_l2_ldp(sw), mac);
}

static bool rw_gateway_mcast(const void *arg, uint16_t sw, const struct evs_flow_key *key,
			     struct evs_flow_mask *mask)
{
	return evs_l3_is_router_solicit(arg, evs_l2_ldp(sw), key, mask);
}

/* The management context's way into the datapath: the lcore's inject ring. */
static void rw_inject(void *arg, uint16_t ldp, uint16_t in_port, struct rte_mbuf *m)
{
	struct rworld *w = arg;

	evs_pipeline_inject(w->pl, &(struct evs_inject){EVS_INJECT_LDP, in_port, ldp}, &m, 1);
}

static void rw_bump(void *arg, uint32_t dep)
{
	ck_assert_int_eq(evs_registry_dep_bump(arg, M_L3, dep), 0);
}

static void rw_mac(struct rworld *w, uint16_t sw, const struct rte_ether_addr *m, uint16_t port)
{
	ck_assert_int_eq(evs_l2_macs_add_static(w->macs, sw, m, port, 0), 0);
}

static void rw_neigh(struct rworld *w, const uint8_t a[4], uint16_t port,
		     const struct rte_ether_addr *m)
{
	struct evs_l3_neigh_key k = {.addr = {.family = EVS_L3_IPV4}, .port = port};
	struct evs_l3_neigh_table *t = evs_l3_router_neigh(evs_l3_router_get(w->set, 1));

	memcpy(k.addr.b, a, 4);
	if (m != NULL)
		ck_assert_int_eq(evs_l3_neigh_set_static(t, &k, m), 0);
	else
		ck_assert_int_eq(evs_l3_neigh_del(t, &k), 0);
}

/* Switches 0 (port 0) and 1 (port 1); router 1 between them: port 1 on
 * switch 0 (R1, 10.0.1.1/24), port 2 on switch 1 (R2, 10.0.2.1/24, MTU 1000). */
static void rw_up(struct rworld *w)
{
	static const struct evs_module *const mods[] = {&evs_l2_module, &evs_l3_module};
	static const struct evs_l2_switch_spec sws[] = {{.id = 0, .name = "s0"},
							{.id = 1, .name = "s1"}};
	static const struct evs_l2_port_spec ps[] = {
	    {.port = 0, .has_native = true, .native_switch = 0},
	    {.port = 1, .has_native = true, .native_switch = 1}};
	struct evs_l2_conf_spec spec = {.nb_switches = 2,
					.switches = sws,
					.nb_ports = 2,
					.ports = ps,
					.socket_id = SOCKET_ID_ANY};
	struct evs_l3_router_config rc = {.id = 1,
					  .name = "r1",
					  .socket_id = SOCKET_ID_ANY,
					  .max_routes4 = 64,
					  .max_routes6 = 64,
					  .max_neigh = 64,
					  .icmp_rate = 5,
					  .neigh_ops = evs_l3_mgmt_neigh_ops};
	struct evs_l3_port_spec p1 = {
	    .id = 1, .ldp = evs_l2_ldp(0), .mac = R1, .n_addrs = 1, .ra = true};
	struct evs_l3_port_spec p2 = {
	    .id = 2, .ldp = evs_l2_ldp(1), .mac = R2, .n_addrs = 1, .mtu = 1000};
	struct evs_pipeline_lcore_config lc = {
	    .pool = pool, .tx = rw_tx, .socket_id = SOCKET_ID_ANY};
	struct evs_l2_macs_config mc = {.name = "l3m_macs", .capacity = 64};
	char err[128];

	memset(w, 0, sizeof(*w));
	w->qsbr = rte_zmalloc(NULL, rte_rcu_qsbr_get_memsize(2), RTE_CACHE_LINE_SIZE);
	ck_assert(w->qsbr != NULL && rte_rcu_qsbr_init(w->qsbr, 2) == 0);
	mc.qsbr = w->qsbr;
	w->reg = evs_registry_create(mods, RTE_DIM(mods));
	ck_assert_ptr_nonnull(w->reg);
	w->conf = evs_l2_conf_build(&spec, err, sizeof(err));
	ck_assert_msg(w->conf != NULL, "%s", err);
	w->macs = evs_l2_macs_create(&mc);
	ck_assert_ptr_nonnull(w->macs);
	w->set = evs_l3_set_create(SOCKET_ID_ANY);
	ck_assert_ptr_nonnull(w->set);
	w->mg = evs_l3_mgmt_create(&(struct evs_l3_mgmt_config){.set = w->set,
								.pool = pool,
								.send = rw_inject,
								.arg = w,
								.no_port = EVS_INJECT_NO_PORT});
	ck_assert_ptr_nonnull(w->mg);
	rc.neigh_ctx = w->mg;
	ck_assert_int_eq(evs_l3_router_add(w->set, &rc), 0);
	p1.addrs[0] =
	    (struct evs_l3_prefix){.addr = {.family = EVS_L3_IPV4, .b = {10, 0, 1, 1}}, .len = 24};
	p1.addrs[1] = (struct evs_l3_prefix){.addr = {.family = EVS_L3_IPV6}, .len = 64};
	memcpy(p1.addrs[1].addr.b, G6, 16);
	p1.n_addrs = 2;
	p2.addrs[0] =
	    (struct evs_l3_prefix){.addr = {.family = EVS_L3_IPV4, .b = {10, 0, 2, 1}}, .len = 24};
	ck_assert_int_eq(evs_l3_port_add(w->set, 1, &p1), 0);
	ck_assert_int_eq(evs_l3_port_add(w->set, 1, &p2), 0);
	w->seen = calloc(1, sizeof(*w->seen));
	ck_assert_ptr_nonnull(w->seen);
	evs_l3_deps_sync(w->set, w->seen, rw_bump, w->reg);
	rw_mac(w, 0, &H1, 0);
	rw_mac(w, 1, &H2, 1);
	rw_mac(w, 1, &H3, 1);
	rw_neigh(w, A1, 1, &H1);
	rw_neigh(w, A2, 2, &H2);
	w->l2 = (struct evs_l2_state){.conf = w->conf,
				      .macs = w->macs,
				      .gateway = rw_gateway,
				      .gateway_mcast = rw_gateway_mcast,
				      .gateway_arg = w->set};
	w->l3 = (struct evs_l3_state){.set = w->set};
	w->st.mod[M_L2] = &w->l2;
	w->st.mod[M_L3] = &w->l3;
	w->punts = rte_ring_create("l3m_punts", 256, SOCKET_ID_ANY, RING_F_SC_DEQ);
	ck_assert_ptr_nonnull(w->punts);
	lc.reg = w->reg;
	lc.tx_arg = &w->out;
	lc.punt_ring = w->punts;
	lc.mod_args[M_L2] = w->macs;
	lc.mod_args[M_L3] = w->mg;
	lc.name = "l3m";
	w->pl = evs_pipeline_lcore_create(&lc);
	lc.name = "l3m_ref";
	lc.no_cache = true;
	w->ref = evs_pipeline_lcore_create(&lc);
	ck_assert(w->pl != NULL && w->ref != NULL);
}

static void rw_down(struct rworld *w)
{
	void *args[EVS_MODULES_MAX] = {[M_L3] = NULL};

	/* what is still punted goes without a handler (freed) */
	evs_pipeline_punt_poll(w->reg, w->punts, args, UINT32_MAX);
	rte_ring_free(w->punts);
	evs_pipeline_lcore_free(w->pl);
	evs_pipeline_lcore_free(w->ref);
	evs_l3_set_free(w->set);
	evs_l3_mgmt_free(w->mg);
	evs_l2_macs_free(w->macs);
	evs_l2_conf_free(w->conf);
	evs_registry_free(w->reg);
	rte_free(w->qsbr);
	free(w->seen);
}

/* Parse @m as received on @in_port and run it. */
static void rw_run(struct rworld *w, uint16_t in_port, struct rte_mbuf *m)
{
	struct evs_flow_key k;

	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(evs_packet_parse(m, in_port, &k), EVS_DROP_NONE);
	ck_assert_uint_eq(evs_pipeline_run(w->pl, &w->st, &m, &k, 1), 1);
}

static uint64_t rw_punted(struct rworld *w)
{
	struct evs_pipeline_stats ps;

	evs_pipeline_stats_get(w->pl, &ps);
	return ps.punted;
}

/*
 * The management lcore's turn, as mgmt.c takes it, until nothing moves:
 * punts to their handler, the dependency bump, released packets, and the
 * PMD drains what was injected.
 */
static void rw_pump(struct rworld *w)
{
	void *args[EVS_MODULES_MAX] = {[M_L3] = w->mg};
	unsigned int moved;

	do {
		moved = evs_pipeline_punt_poll(w->reg, w->punts, args, UINT32_MAX);
		evs_l3_deps_sync(w->set, w->seen, rw_bump, w->reg);
		moved += evs_l3_mgmt_flush(w->mg);
		moved += evs_pipeline_inject_drain(w->pl, &w->st, UINT32_MAX);
	} while (moved != 0);
}

/* An IPv4/UDP frame of @len bytes (DF set) from @smac to @dmac, @src -> @dst, TTL @ttl. */
static struct rte_mbuf *udp4(const struct rte_ether_addr *smac, const struct rte_ether_addr *dmac,
			     const uint8_t src[4], const uint8_t dst[4], uint8_t ttl, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct rte_ether_hdr *eh;
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;

	ck_assert_ptr_nonnull(m);
	eh = (struct rte_ether_hdr *)rte_pktmbuf_append(m, len);
	ck_assert_ptr_nonnull(eh);
	memset(eh, 0, len);
	eh->dst_addr = *dmac;
	eh->src_addr = *smac;
	eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ip = (struct rte_ipv4_hdr *)(eh + 1);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(len - 14));
	ip->time_to_live = ttl;
	ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	ip->next_proto_id = IPPROTO_UDP;
	memcpy(&ip->src_addr, src, 4);
	memcpy(&ip->dst_addr, dst, 4);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp = (struct rte_udp_hdr *)(ip + 1);
	udp->src_port = RTE_BE16(4000);
	udp->dst_port = RTE_BE16(53);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(len - 34));
	return m;
}

static void rw_send(struct rworld *w, uint16_t in_port, const struct rte_ether_addr *smac,
		    const struct rte_ether_addr *dmac, const uint8_t src[4], const uint8_t dst[4],
		    uint8_t ttl)
{
	rw_run(w, in_port, udp4(smac, dmac, src, dst, ttl, 64));
}

static uint64_t rw_drops(struct rworld *w, const char *name)
{
	uint64_t d[EVS_DROPS_MAX] = {0};

	evs_pipeline_drops_add(w->pl, d);
	for (unsigned int i = 0; i < evs_registry_n_drops(w->reg); i++)
		if (strcmp(evs_registry_drop_name(w->reg, i), name) == 0 &&
		    strcmp(evs_registry_drop_owner(w->reg, i), "l3") == 0)
			return d[i];
	ck_abort_msg("no l3 drop %s", name);
	return 0;
}

/* The n-th frame sent left by @port, routed: MACs @src -> @dst, TTL @ttl, checksum right. */
static void rw_check(const struct rworld *w, unsigned int n, uint16_t port,
		     const struct rte_ether_addr *src, const struct rte_ether_addr *dst,
		     uint8_t ttl)
{
	const struct rte_ether_hdr *eh = (const void *)w->out.frame[n];
	struct rte_ipv4_hdr ip;
	rte_be16_t ck;

	ck_assert_uint_gt(w->out.n, n);
	ck_assert_uint_eq(w->out.port[n], port);
	ck_assert(rte_is_same_ether_addr(&eh->src_addr, src));
	ck_assert(rte_is_same_ether_addr(&eh->dst_addr, dst));
	memcpy(&ip, eh + 1, sizeof(ip));
	ck_assert_uint_eq(ip.time_to_live, ttl);
	ck = ip.hdr_checksum;
	ip.hdr_checksum = 0;
	ck_assert_uint_eq(ck, rte_ipv4_cksum(&ip)); /* the incremental update is right */
}

START_TEST(routes_both_ways)
{
	struct rworld w;

	rw_up(&w);
	rw_send(&w, 0, &H1, &R1, A1, A2, 64);
	rw_send(&w, 1, &H2, &R2, A2, A1, 7);
	rw_send(&w, 0, &H1, &R1, A1, A2, 2); /* the cached megaflow, per-packet TTL */
	ck_assert_uint_eq(w.out.n, 3);
	rw_check(&w, 0, 1, &R2, &H2, 63);
	rw_check(&w, 1, 0, &R1, &H1, 6);
	rw_check(&w, 2, 1, &R2, &H2, 1);
	rw_down(&w);
}
END_TEST

START_TEST(drops_with_reason)
{
	static const uint8_t far[4] = {192, 0, 2, 1}, unknown[4] = {10, 0, 2, 99};
	struct rworld w;

	rw_up(&w);
	rw_send(&w, 0, &H1, &R1, A1, A2, 1);
	rw_send(&w, 0, &H1, &R1, A1, far, 64);
	rw_send(&w, 0, &H1, &R1, A1, unknown, 64);
	ck_assert_uint_eq(w.out.n, 0);
	ck_assert_uint_eq(rw_drops(&w, "ttl_exceeded"), 1);
	ck_assert_uint_eq(rw_drops(&w, "no_route"), 1);
	/* the errors and the resolution are the management lcore's */
	ck_assert_uint_eq(rw_punted(&w), 3);
	rw_down(&w);
}
END_TEST

START_TEST(neighbour_change_reaches_cached_flow)
{
	struct rworld w;

	rw_up(&w);
	rw_send(&w, 0, &H1, &R1, A1, A2, 64);
	rw_check(&w, 0, 1, &R2, &H2, 63);
	rw_neigh(&w, A2, 2, NULL);
	ck_assert_uint_ge(evs_l3_deps_sync(w.set, w.seen, rw_bump, w.reg), 1);
	ck_assert_uint_eq(evs_l3_deps_sync(w.set, w.seen, rw_bump, w.reg), 0);
	rw_send(&w, 0, &H1, &R1, A1, A2, 64);
	ck_assert_uint_eq(w.out.n, 1);
	ck_assert_uint_eq(rw_punted(&w), 1); /* to be resolved */
	rw_neigh(&w, A2, 2, &H3);
	evs_l3_deps_sync(w.set, w.seen, rw_bump, w.reg);
	rw_send(&w, 0, &H1, &R1, A1, A2, 64);
	rw_check(&w, 1, 1, &R2, &H3, 63);
	rw_down(&w);
}
END_TEST

/* Keys agreeing with a key under its megaflow mask get its program (L2 + L3). */
START_TEST(mask_is_sufficient_l2_l3)
{
	static const struct rte_ether_addr bc = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
	/* sources from [2, 5) */
	const struct rte_ether_addr *macs[] = {&R1, &R2, &H1, &H2, &H3, &bc};
	static const rte_be16_t types[] = {
	    RTE_BE16(RTE_ETHER_TYPE_IPV4), RTE_BE16(RTE_ETHER_TYPE_IPV4),
	    RTE_BE16(RTE_ETHER_TYPE_ARP), RTE_BE16(RTE_ETHER_TYPE_IPV6)};
	static const uint8_t nets[] = {1, 2, 2, 9};
	unsigned int routed = 0;
	struct rworld w;

	rw_up(&w);
	for (unsigned int i = 0; i < 4000; i++) {
		struct evs_flow_key k[2];
		struct evs_flow_mask mask;

		for (unsigned int j = 0; j < 2; j++) {
			unit_mask_random_key(&k[j]);
			k[j].in_port = (uint16_t)(rte_rand() % 2);
			k[j].vlan_tci = 0;
			k[j].recirc_id = 0;
			k[j].ldp = 0;
			k[j].dst_mac = *macs[rte_rand() % RTE_DIM(macs)];
			k[j].src_mac = *macs[2 + rte_rand() % 3];
			k[j].ethertype = types[rte_rand() % RTE_DIM(types)];
			k[j].ttl_class = (uint8_t)(rte_rand() % 3);
			k[j].ip_proto = rte_rand() % 2 ? IPPROTO_UDP : IPPROTO_ICMP;
			k[j].ip_frag = 0;
			k[j].dst_ip[0] = 10;
			k[j].dst_ip[1] = 0;
			k[j].dst_ip[2] = nets[rte_rand() % RTE_DIM(nets)];
			k[j].dst_ip[3] = rte_rand() % 2	  ? 7
					 : rte_rand() % 2 ? 1
							  : (uint8_t)rte_rand();
			k[j].src_ip[0] = 10;
		}
		unit_mask_check(w.ref, &w.st, &k[0], &k[1], &mask, i);
		routed += mask.bits.dst_ip[0] != 0;
	}
	ck_assert_uint_gt(routed, 200); /* the random keys reached routing */
	rw_down(&w);
}
END_TEST

static const struct rte_ether_addr H4 = {{0x02, 0, 0, 0, 0, 0x44}};

static const struct rte_ether_hdr *rw_out(const struct rworld *w, unsigned int n)
{
	ck_assert_uint_gt(w->out.n, n);
	return (const struct rte_ether_hdr *)w->out.frame[n];
}

static enum evs_l3_neigh_state rw_neigh_state(struct rworld *w, const uint8_t a[4], uint16_t port,
					      uint16_t *held)
{
	struct evs_l3_neigh_key k = {.addr = {.family = EVS_L3_IPV4}, .port = port};
	enum evs_l3_neigh_state st;

	memcpy(k.addr.b, a, 4);
	ck_assert_int_eq(
	    evs_l3_neigh_state(evs_l3_router_neigh(evs_l3_router_get(w->set, 1)), &k, &st, held),
	    0);
	return st;
}

START_TEST(gateway_arp_and_nd_answered)
{
	static const uint8_t me[4] = {10, 0, 1, 9}, gw[4] = {10, 0, 1, 1},
			     other[4] = {10, 0, 1, 77};
	struct evs_l3_mgmt_counters mc;
	const struct rte_ether_hdr *eh;
	const struct rte_arp_hdr *ah;
	const uint8_t *ip6;
	struct rworld w;
	uint8_t h6[16];
	uint16_t held;
	uint64_t punted;

	rw_up(&w);
	/* a host with no static entry asks for its gateway, by broadcast */
	rw_run(&w, 0, evs_l3_build_arp(pool, RTE_ARP_OP_REQUEST, &H4, me, NULL, gw, NULL));
	ck_assert_uint_eq(w.out.n, 0);
	rw_pump(&w);
	ck_assert_uint_eq(w.out.n, 1);
	ck_assert_uint_eq(w.out.port[0], 0);
	eh = rw_out(&w, 0);
	ck_assert(rte_is_same_ether_addr(&eh->src_addr, &R1));
	ck_assert(rte_is_same_ether_addr(&eh->dst_addr, &H4));
	ah = (const struct rte_arp_hdr *)(eh + 1);
	ck_assert_uint_eq(ah->arp_opcode, RTE_BE16(RTE_ARP_OP_REPLY));
	ck_assert(rte_is_same_ether_addr(&ah->arp_data.arp_sha, &R1));
	ck_assert_int_eq(memcmp(&ah->arp_data.arp_sip, gw, 4), 0);
	ck_assert(rte_is_same_ether_addr(&ah->arp_data.arp_tha, &H4));
	ck_assert_int_eq(memcmp(&ah->arp_data.arp_tip, me, 4), 0);
	/* the asker became a neighbour (RFC 826), unconfirmed */
	ck_assert_int_eq(rw_neigh_state(&w, me, 1, &held), EVS_L3_NEIGH_STALE);
	/* for another host's address: switched as usual, never punted */
	punted = rw_punted(&w);
	rw_run(&w, 0, evs_l3_build_arp(pool, RTE_ARP_OP_REQUEST, &H4, me, NULL, other, NULL));
	rw_pump(&w);
	ck_assert_uint_eq(rw_punted(&w), punted);
	ck_assert_uint_eq(w.out.n, 1);
	/* IPv6: a solicitation to the gateway's solicited-node group */
	memcpy(h6, G6, 16);
	h6[15] = 9;
	rw_run(&w, 0, evs_l3_build_ns(pool, &H4, h6, G6, NULL));
	rw_pump(&w);
	ck_assert_uint_eq(w.out.n, 2);
	eh = rw_out(&w, 1);
	ck_assert(rte_is_same_ether_addr(&eh->src_addr, &R1));
	ck_assert(rte_is_same_ether_addr(&eh->dst_addr, &H4));
	ip6 = (const uint8_t *)(eh + 1);
	ck_assert_uint_eq(ip6[6], IPPROTO_ICMPV6);
	ck_assert_uint_eq(ip6[40], 136);		       /* neighbour advertisement */
	ck_assert_int_eq(memcmp(ip6 + 24, h6, 16), 0);	       /* to the asker */
	ck_assert_int_eq(memcmp(ip6 + 48, G6, 16), 0);	       /* for the gateway */
	ck_assert_uint_eq(ip6[44] & 0xe0, 0x80 | 0x40 | 0x20); /* router, solicited, override */
	evs_l3_mgmt_counters(w.mg, 1, &mc);
	ck_assert_uint_eq(mc.arp_answered, 1);
	ck_assert_uint_eq(mc.nd_answered, 1);
	ck_assert_uint_eq(mc.learned, 2);
	rw_down(&w);
}
END_TEST

/*
 * An NS from one host for another whose address shares its low 24 bits
 * with the gateway's (same solicited-node group): the router takes it, as
 * the key cannot tell, but floods it back into the switch (to a second
 * port there) instead of dropping it; the same for duplicate address
 * detection of the gateway's own address. The flooded copy is never taken
 * again. An NS for the gateway itself is still answered, not flooded.
 */
START_TEST(ns_for_a_host_sharing_the_group_flooded)
{
	static const struct evs_l2_switch_spec sws[] = {{.id = 0, .name = "s0"},
							{.id = 1, .name = "s1"}};
	static const struct evs_l2_port_spec ps[] = {
	    {.port = 0, .has_native = true, .native_switch = 0},
	    {.port = 1, .has_native = true, .native_switch = 1},
	    {.port = 2, .has_native = true, .native_switch = 0}};
	const struct evs_l2_conf_spec spec = {.nb_switches = 2,
					      .switches = sws,
					      .nb_ports = 3,
					      .ports = ps,
					      .socket_id = SOCKET_ID_ANY};
	static const uint8_t unspec[16];
	uint64_t drops[EVS_L3_MOD_DROP_MAX] = {0};
	struct evs_l3_mgmt_counters mc;
	uint8_t me[16], peer[16];
	struct evs_l2_conf *two;
	const uint8_t *ip6;
	struct rworld w;
	char err[128];

	rw_up(&w);
	two = evs_l2_conf_build(&spec, err, sizeof(err)); /* port 2 joins switch 0 */
	ck_assert_msg(two != NULL, "%s", err);
	evs_l2_conf_free(w.conf);
	w.conf = two;
	w.l2.conf = two;
	rw_mac(&w, 0, &H4, 0); /* the asker is known: answers go to it alone */
	memcpy(me, G6, 16);
	me[15] = 9;
	/* 2001:db8:1:0:ff00::1: another prefix part, the gateway's low 24 bits */
	memcpy(peer, G6, 16);
	peer[8] = 0xff;
	rw_run(&w, 0, evs_l3_build_ns(pool, &H4, me, peer, NULL));
	ck_assert_uint_eq(rw_punted(&w), 1); /* taken: the group is the gateway's */
	rw_pump(&w);
	ck_assert_uint_eq(w.out.n, 1);
	ck_assert_uint_eq(w.out.port[0], 2); /* flooded, not back to the asker */
	ip6 = (const uint8_t *)(rw_out(&w, 0) + 1);
	ck_assert_uint_eq(ip6[40], 135);
	ck_assert_int_eq(memcmp(ip6 + 48, peer, 16), 0);
	ck_assert_uint_eq(rw_punted(&w), 1); /* the flooded copy was not taken again */
	/* duplicate address detection of the gateway's address (from ::) */
	rw_run(&w, 0, evs_l3_build_ns(pool, &H4, unspec, G6, NULL));
	rw_pump(&w);
	ck_assert_uint_eq(w.out.n, 2);
	ck_assert_uint_eq(w.out.port[1], 2);
	/* for the gateway: answered to the asker only */
	rw_run(&w, 0, evs_l3_build_ns(pool, &H4, me, G6, NULL));
	rw_pump(&w);
	ck_assert_uint_eq(w.out.n, 3);
	ck_assert_uint_eq(w.out.port[2], 0);
	ck_assert_uint_eq(((const uint8_t *)(rw_out(&w, 2) + 1))[40], 136);
	evs_l3_mgmt_counters(w.mg, 1, &mc);
	ck_assert_uint_eq(mc.ns_flooded, 2);
	ck_assert_uint_eq(mc.nd_answered, 1);
	evs_l3_mgmt_drops(w.mg, 1, drops);
	ck_assert_uint_eq(drops[EVS_L3_DROP_NOT_FOR_US], 0);
	ck_assert_uint_eq(rte_mempool_in_use_count(pool), 0);
	rw_down(&w);
}
END_TEST

/* An ICMP echo request from H1 (A1) to @dst via R1. */
static struct rte_mbuf *echo4(const uint8_t dst[4])
{
	struct rte_mbuf *m = udp4(&H1, &R1, A1, dst, 64, 64);
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14);
	struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)(ip + 1);

	ip->next_proto_id = IPPROTO_ICMP;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	memset(ic, 0, 30);
	ic->icmp_type = RTE_IP_ICMP_ECHO_REQUEST;
	ic->icmp_ident = RTE_BE16(77);
	ic->icmp_seq_nb = RTE_BE16(1);
	ic->icmp_cksum = (uint16_t)~rte_raw_cksum(ic, 30);
	return m;
}

START_TEST(echo_answered_in_datapath)
{
	static const uint8_t far_gw[4] = {10, 0, 2, 1};
	struct evs_l3_dp_counters dc;
	const struct rte_ether_hdr *eh;
	const struct rte_ipv4_hdr *ip;
	const struct rte_icmp_hdr *ic;
	struct rworld w;

	rw_up(&w);
	/* the router's address on its other port answers too, with that address */
	rw_run(&w, 0, echo4(far_gw));
	rw_run(&w, 0, echo4(far_gw)); /* the cached megaflow */
	ck_assert_uint_eq(w.out.n, 2);
	ck_assert_uint_eq(rw_punted(&w), 0);
	ck_assert_uint_eq(w.out.port[1], 0);
	eh = rw_out(&w, 1);
	ck_assert(rte_is_same_ether_addr(&eh->src_addr, &R1));
	ck_assert(rte_is_same_ether_addr(&eh->dst_addr, &H1));
	ip = (const struct rte_ipv4_hdr *)(eh + 1);
	ck_assert_int_eq(memcmp(&ip->src_addr, far_gw, 4), 0);
	ck_assert_int_eq(memcmp(&ip->dst_addr, A1, 4), 0);
	ic = (const struct rte_icmp_hdr *)(ip + 1);
	ck_assert_uint_eq(ic->icmp_type, RTE_IP_ICMP_ECHO_REPLY);
	ck_assert_uint_eq(rte_raw_cksum(ic, 30), 0xffff); /* the checksum is right */
	memset(&dc, 0, sizeof(dc));
	evs_l3_lcore_counters(evs_pipeline_lcore_module(w.pl, M_L3), 1, &dc);
	ck_assert_uint_eq(dc.echo, 2);
	ck_assert_uint_eq(dc.routed, 0);
	/* the module's totals (stats.get) */
	uint64_t tot[8] = {0};
	ck_assert_uint_eq(evs_l3_module.n_counters, 3);
	ck_assert_str_eq(evs_l3_module.counter_names[1], "echo_answered");
	evs_l3_module.counters_get(evs_pipeline_lcore_module(w.pl, M_L3), tot);
	ck_assert_uint_eq(tot[1], 2);
	rw_down(&w);
}
END_TEST

START_TEST(resolution_holds_and_releases)
{
	static const uint8_t gw2[4] = {10, 0, 2, 1};
	struct evs_l3_mgmt_counters mc;
	struct evs_l3_dp_counters dc;
	const struct rte_ether_hdr *eh;
	const struct rte_arp_hdr *ah;
	struct rworld w;
	uint16_t held;

	rw_up(&w);
	rw_neigh(&w, A2, 2, NULL); /* the next hop is unknown */
	for (unsigned int i = 0; i < 3; i++)
		rw_send(&w, 0, &H1, &R1, A1, A2, 64);
	ck_assert_uint_eq(w.out.n, 0);
	rw_pump(&w);
	/* one broadcast request into switch 1, from the egress port */
	ck_assert_uint_eq(w.out.n, 1);
	ck_assert_uint_eq(w.out.port[0], 1);
	eh = rw_out(&w, 0);
	ck_assert(rte_is_broadcast_ether_addr(&eh->dst_addr));
	ck_assert(rte_is_same_ether_addr(&eh->src_addr, &R2));
	ah = (const struct rte_arp_hdr *)(eh + 1);
	ck_assert_uint_eq(ah->arp_opcode, RTE_BE16(RTE_ARP_OP_REQUEST));
	ck_assert_int_eq(memcmp(&ah->arp_data.arp_sip, gw2, 4), 0);
	ck_assert_int_eq(memcmp(&ah->arp_data.arp_tip, A2, 4), 0);
	ck_assert_int_eq(rw_neigh_state(&w, A2, 2, &held), EVS_L3_NEIGH_INCOMPLETE);
	ck_assert_uint_eq(held, 3);
	/* the answer comes to the router's MAC: learned, the three go on in order */
	rw_run(&w, 1, evs_l3_build_arp(pool, RTE_ARP_OP_REPLY, &H2, A2, &R2, gw2, NULL));
	rw_pump(&w);
	ck_assert_uint_eq(w.out.n, 4);
	for (unsigned int i = 1; i < 4; i++)
		rw_check(&w, i, 1, &R2, &H2, 63);
	ck_assert_int_eq(rw_neigh_state(&w, A2, 2, &held), EVS_L3_NEIGH_REACHABLE);
	/* later packets are routed in the datapath */
	rw_send(&w, 0, &H1, &R1, A1, A2, 64);
	ck_assert_uint_eq(w.out.n, 5);
	ck_assert_uint_eq(rw_punted(&w), 3 + 1);
	evs_l3_mgmt_counters(w.mg, 1, &mc);
	ck_assert_uint_eq(mc.arp_sent, 1);
	ck_assert_uint_eq(mc.learned, 1);
	ck_assert_uint_eq(mc.held, 3);
	ck_assert_uint_eq(mc.released, 3);
	memset(&dc, 0, sizeof(dc));
	evs_l3_lcore_counters(evs_pipeline_lcore_module(w.pl, M_L3), 1, &dc);
	ck_assert_uint_eq(dc.routed, 4);
	ck_assert_uint_eq(rte_mempool_in_use_count(pool), 0);
	rw_down(&w);
}
END_TEST

/* The n-th frame sent is an ICMP error @type/@code from @src to H1 out of port 0. */
static const struct rte_icmp_hdr *rw_check_icmp(const struct rworld *w, unsigned int n,
						const uint8_t src[4], uint8_t type, uint8_t code);

START_TEST(resolution_fails_host_unreachable)
{
	static const uint8_t gw[4] = {10, 0, 1, 1};
	struct evs_l3_neigh_table *t;
	struct evs_l3_neigh_stats ns;
	uint64_t now = rte_get_tsc_cycles() / (rte_get_tsc_hz() / 1000);
	struct rworld w;

	rw_up(&w);
	t = evs_l3_router_neigh(evs_l3_router_get(w.set, 1));
	rw_neigh(&w, A2, 2, NULL); /* nobody will answer for it */
	for (unsigned int i = 0; i < 6; i++)
		rw_send(&w, 0, &H1, &R1, A1, A2, 64);
	rw_pump(&w);
	ck_assert_uint_eq(w.out.n, 1); /* the first request */
	/* three probes a second apart, then the held packets are given up */
	for (unsigned int s = 1; s <= 4; s++) {
		evs_l3_neigh_tick(t, now + s * 1000 + 10);
		rw_pump(&w);
	}
	evs_l3_neigh_stats(t, &ns);
	ck_assert_uint_eq(ns.probes, 3);
	ck_assert_uint_eq(ns.hold_full, 2); /* 4 held, 2 dropped at once */
	ck_assert_uint_eq(ns.unresolved, 4);
	/* 3 requests, then host unreachable from the gateway for each held packet */
	ck_assert_uint_eq(w.out.n, 3 + 4);
	for (unsigned int i = 3; i < 7; i++)
		rw_check_icmp(&w, i, gw, 3, 1);
	ck_assert_uint_eq(rte_mempool_in_use_count(pool), 0);
	rw_down(&w);
}
END_TEST

static const struct rte_icmp_hdr *rw_check_icmp(const struct rworld *w, unsigned int n,
						const uint8_t src[4], uint8_t type, uint8_t code)
{
	const struct rte_ether_hdr *eh = rw_out(w, n);
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(eh + 1);
	const struct rte_icmp_hdr *ic = (const struct rte_icmp_hdr *)(ip + 1);

	ck_assert_uint_eq(w->out.port[n], 0);
	ck_assert(rte_is_same_ether_addr(&eh->src_addr, &R1));
	ck_assert(rte_is_same_ether_addr(&eh->dst_addr, &H1));
	ck_assert_uint_eq(ip->next_proto_id, IPPROTO_ICMP);
	ck_assert_int_eq(memcmp(&ip->src_addr, src, 4), 0);
	ck_assert_int_eq(memcmp(&ip->dst_addr, A1, 4), 0);
	ck_assert_uint_eq(ic->icmp_type, type);
	ck_assert_uint_eq(ic->icmp_code, code);
	return ic;
}

START_TEST(icmp_errors_and_rate_limit)
{
	static const uint8_t gw[4] = {10, 0, 1, 1}, far[4] = {192, 0, 2, 1};
	struct evs_l3_mgmt_counters mc;
	const struct rte_icmp_hdr *ic;
	struct rworld w;

	rw_up(&w);
	rw_send(&w, 0, &H1, &R1, A1, A2, 1); /* traceroute's first probe */
	rw_send(&w, 0, &H1, &R1, A1, far, 64);
	rw_run(&w, 0, udp4(&H1, &R1, A1, A2, 64, 1100)); /* DF, over port 2's MTU of 1000 */
	rw_pump(&w);
	ck_assert_uint_eq(w.out.n, 3);
	rw_check_icmp(&w, 0, gw, 11, 0);
	rw_check_icmp(&w, 1, gw, 3, 0);
	ic = rw_check_icmp(&w, 2, gw, 3, 4);
	ck_assert_uint_eq(rte_be_to_cpu_16(ic->icmp_seq_nb), 1000); /* the next-hop MTU */
	ck_assert_uint_eq(rw_drops(&w, "too_big"), 1);
	/* 5 errors a second, 10 at once: 7 more go, 5 are suppressed */
	for (unsigned int i = 0; i < 12; i++)
		rw_send(&w, 0, &H1, &R1, A1, A2, 1);
	rw_pump(&w);
	ck_assert_uint_eq(w.out.n, 10);
	evs_l3_mgmt_counters(w.mg, 1, &mc);
	ck_assert_uint_eq(mc.icmp_sent, 10);
	ck_assert_uint_eq(mc.icmp_rate_limited, 5);
	ck_assert_uint_eq(rw_drops(&w, "ttl_exceeded"), 13);
	ck_assert_uint_eq(rte_mempool_in_use_count(pool), 0);
	rw_down(&w);
}
END_TEST

/* DF clear over port 2's MTU of 1000: the management lcore splits it, the switch sends it */
START_TEST(fragments_over_mtu_without_df)
{
	struct evs_l3_mgmt_counters mc;
	struct rte_mbuf *m = udp4(&H1, &R1, A1, A2, 64, 14 + 2000);
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14);
	unsigned int want_off = 0;
	struct rworld w;

	rw_up(&w);
	ip->fragment_offset = 0;
	ip->packet_id = RTE_BE16(0x1234);
	/* not UDP: the parser takes a first fragment's UDP length for a bad header */
	ip->next_proto_id = IPPROTO_ICMP;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	rw_run(&w, 0, m);
	ck_assert_uint_eq(w.out.n, 0);
	ck_assert_uint_eq(rw_punted(&w), 1);
	rw_pump(&w);
	/* 1980 bytes of payload in 976 + 976 + 28 */
	ck_assert_uint_eq(w.out.n, 3);
	for (unsigned int i = 0; i < 3; i++) {
		const struct rte_ipv4_hdr *f = (const void *)(w.out.frame[i] + 14);
		uint16_t ff = rte_be_to_cpu_16(f->fragment_offset);

		rw_check(&w, i, 1, &R2, &H2, 63);
		ck_assert_uint_eq(f->packet_id, RTE_BE16(0x1234));
		ck_assert_uint_eq(rte_be_to_cpu_16(f->total_length), i < 2 ? 996 : 48);
		ck_assert_uint_eq((ff & RTE_IPV4_HDR_OFFSET_MASK) * 8u, want_off);
		ck_assert_uint_eq(!!(ff & RTE_IPV4_HDR_MF_FLAG), i < 2);
		want_off += 976;
	}
	evs_l3_mgmt_counters(w.mg, 1, &mc);
	ck_assert_uint_eq(mc.fragmented, 1);
	ck_assert_uint_eq(mc.fragments, 3);
	ck_assert_uint_eq(rw_drops(&w, "too_big"), 0);
	ck_assert_uint_eq(rte_mempool_in_use_count(pool), 0);
	rw_down(&w);
}
END_TEST

/* Link-local addresses of the router's ports: fe80:: + modified EUI-64 of R1 / R2. */
static const uint8_t RLL1[16] = {0xfe, 0x80, [11] = 0xff, 0xfe, 0x00, 0x01, 0x01};
static const uint8_t RLL2[16] = {0xfe, 0x80, [11] = 0xff, 0xfe, 0x00, 0x01, 0x02};
static const uint8_t HLL4[16] = {0xfe, 0x80, [15] = 4};

/* An ICMPv6 message of @len bytes (type @type, rest zero) in an IPv6 frame, checksummed. */
static struct rte_mbuf *icmp6_frame(const struct rte_ether_addr *smac,
				    const struct rte_ether_addr *dmac, const uint8_t src[16],
				    const uint8_t dst[16], uint8_t type, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct rte_ether_hdr *eh;
	struct rte_ipv6_hdr *ip;
	uint8_t *ic;

	ck_assert_ptr_nonnull(m);
	eh = (struct rte_ether_hdr *)rte_pktmbuf_append(m, (uint16_t)(14 + 40 + len));
	ck_assert_ptr_nonnull(eh);
	memset(eh, 0, 14 + 40 + len);
	eh->dst_addr = *dmac;
	eh->src_addr = *smac;
	eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV6);
	ip = (struct rte_ipv6_hdr *)(eh + 1);
	ip->vtc_flow = RTE_BE32(6u << 28);
	ip->payload_len = rte_cpu_to_be_16(len);
	ip->proto = IPPROTO_ICMPV6;
	ip->hop_limits = 255;
	memcpy(ip->src_addr, src, 16);
	memcpy(ip->dst_addr, dst, 16);
	ic = (uint8_t *)(ip + 1);
	ic[0] = type;
	if (type == 133) { /* a router solicitation with its source link-layer option */
		ic[8] = 1;
		ic[9] = 1;
		memcpy(ic + 10, smac->addr_bytes, 6);
	}
	return m;
}

static void icmp6_seal(struct rte_mbuf *m)
{
	struct rte_ipv6_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, 14);
	struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)(ip + 1);

	ic->icmp_cksum = 0;
	ic->icmp_cksum = rte_ipv6_udptcp_cksum(ip, ic);
}

static struct rte_mbuf *echo6(const struct rte_ether_addr *smac, const struct rte_ether_addr *dmac,
			      const uint8_t src[16], const uint8_t dst[16])
{
	struct rte_mbuf *m = icmp6_frame(smac, dmac, src, dst, 128, 16);

	icmp6_seal(m);
	return m;
}

/*
 * Port 1's link-local address: its NS answered (multicast to its group),
 * echo to it answered in the datapath from it; other link-local
 * destinations and link-local sources beyond the router are dropped as
 * link_local, while a link-local source may still ping the router's global
 * address.
 */
START_TEST(link_local_nd_echo_and_scope)
{
	uint8_t on_link[16];
	const struct rte_ether_hdr *eh;
	const uint8_t *ip6;
	struct rworld w;

	rw_up(&w);
	rw_mac(&w, 0, &H4, 0);
	rw_run(&w, 0, evs_l3_build_ns(pool, &H4, HLL4, RLL1, NULL));
	rw_pump(&w);
	ck_assert_uint_eq(w.out.n, 1);
	eh = rw_out(&w, 0);
	ip6 = (const uint8_t *)(eh + 1);
	ck_assert(rte_is_same_ether_addr(&eh->src_addr, &R1));
	ck_assert_uint_eq(ip6[40], 136);
	ck_assert_mem_eq(ip6 + 8, RLL1, 16);  /* from the link-local address */
	ck_assert_mem_eq(ip6 + 48, RLL1, 16); /* for it */
	ck_assert_mem_eq(ip6 + 24, HLL4, 16);
	/* echo to it: answered at once, from it */
	rw_run(&w, 0, echo6(&H4, &R1, HLL4, RLL1));
	ck_assert_uint_eq(w.out.n, 2);
	ip6 = (const uint8_t *)(rw_out(&w, 1) + 1);
	ck_assert_uint_eq(ip6[40], 129);
	ck_assert_mem_eq(ip6 + 8, RLL1, 16);
	ck_assert_uint_eq(rw_punted(&w), 1); /* only the NS */
	/* another link-local destination: not the router's, never routed */
	rw_run(&w, 0, echo6(&H4, &R1, HLL4, (const uint8_t[16]){0xfe, 0x80, [15] = 0x99}));
	/* a link-local source to an on-link global address: not beyond the link */
	memcpy(on_link, G6, 16);
	on_link[15] = 0x77;
	rw_run(&w, 0, echo6(&H4, &R1, HLL4, on_link));
	ck_assert_uint_eq(rw_drops(&w, "link_local"), 2);
	/* ... but to the router's global address it is the router's */
	rw_run(&w, 0, echo6(&H4, &R1, HLL4, G6));
	ck_assert_uint_eq(w.out.n, 3);
	ck_assert_uint_eq(rte_mempool_in_use_count(pool), 0);
	rw_down(&w);
}
END_TEST

/* Check RA @n: from port 1's link-local address to all nodes, with its prefix. */
static void rw_check_ra(const struct rworld *w, unsigned int n)
{
	static const struct rte_ether_addr all = {{0x33, 0x33, 0, 0, 0, 1}};
	const struct rte_ether_hdr *eh = rw_out(w, n);
	const uint8_t *ip6 = (const uint8_t *)(eh + 1), *ra = ip6 + 40;

	ck_assert_uint_eq(w->out.port[n], 0);
	ck_assert(rte_is_same_ether_addr(&eh->src_addr, &R1));
	ck_assert(rte_is_same_ether_addr(&eh->dst_addr, &all));
	ck_assert_uint_eq(ip6[7], 255);
	ck_assert_mem_eq(ip6 + 8, RLL1, 16);
	ck_assert_uint_eq(ip6[24], 0xff);
	ck_assert_uint_eq(ip6[39], 1);
	ck_assert_uint_eq(ra[0], 134);
	ck_assert_uint_eq(ra[6] << 8 | ra[7], EVS_L3_RA_LIFETIME);
	ck_assert_uint_eq(ip6[4] << 8 | ip6[5], 16 + 8 + 8 + 32); /* one prefix */
	ck_assert_uint_eq(ra[16], 1);				  /* source link-layer */
	ck_assert_mem_eq(ra + 18, R1.addr_bytes, 6);
	ck_assert_uint_eq(ra[24], 5); /* MTU */
	ck_assert_uint_eq(ra[30] << 8 | ra[31], 1500);
	ck_assert_uint_eq(ra[32], 3); /* prefix: 2001:db8:1::/64, on-link, autonomous */
	ck_assert_uint_eq(ra[34], 64);
	ck_assert_uint_eq(ra[35], 0xc0);
	ck_assert_mem_eq(ra + 48, G6, 8);
	ck_assert_uint_eq(ra[56] | ra[63], 0);
	/* the whole sum with the pseudo-header is all ones */
	uint32_t sum =
	    rte_ipv6_phdr_cksum((const struct rte_ipv6_hdr *)ip6, 0) + rte_raw_cksum(ra, 64);
	ck_assert_uint_eq((sum & 0xffff) + (sum >> 16), 0xffff);
}

/*
 * Router solicitations on port 1 (ra) are answered at once, at most every
 * 3 s, and their sender learned; the periodic ones go 4 s apart three
 * times, then every EVS_L3_RA_INTERVAL_MS; port 2 (no ra) never advertises.
 */
START_TEST(router_solicitation_and_advertisements)
{
	static const struct rte_ether_addr all_routers = {{0x33, 0x33, 0, 0, 0, 2}};
	static const uint8_t all_routers6[16] = {0xff, 0x02, [15] = 2};
	uint64_t now = rte_get_tsc_cycles() / (rte_get_tsc_hz() / 1000);
	struct evs_l3_neigh_key nk = {.addr = {.family = EVS_L3_IPV6}, .port = 1};
	struct evs_l3_mgmt_counters mc;
	enum evs_l3_neigh_state st;
	struct rte_mbuf *rs;
	struct rworld w;
	uint16_t held;

	rw_up(&w);
	for (int i = 0; i < 2; i++) {
		rs = icmp6_frame(&H4, &all_routers, HLL4, all_routers6, 133, 16);
		icmp6_seal(rs);
		rw_run(&w, 0, rs);
		rw_pump(&w);
	}
	ck_assert_uint_eq(w.out.n, 1); /* the second within 3 s: no RA */
	rw_check_ra(&w, 0);
	memcpy(nk.addr.b, HLL4, 16);
	ck_assert_int_eq(
	    evs_l3_neigh_state(evs_l3_router_neigh(evs_l3_router_get(w.set, 1)), &nk, &st, &held),
	    0);
	ck_assert_int_eq(st, EVS_L3_NEIGH_STALE);
	/* periodic: due at once (the solicited one did not reset it), then 4 s apart */
	ck_assert_uint_eq(evs_l3_mgmt_tick(w.mg, now), 1);
	ck_assert_uint_eq(evs_l3_mgmt_tick(w.mg, now + 1000), 0);
	ck_assert_uint_eq(evs_l3_mgmt_tick(w.mg, now + 4000), 1);
	ck_assert_uint_eq(evs_l3_mgmt_tick(w.mg, now + 8000), 1);
	ck_assert_uint_eq(evs_l3_mgmt_tick(w.mg, now + 12000), 0);
	ck_assert_uint_eq(evs_l3_mgmt_tick(w.mg, now + 8000 + EVS_L3_RA_INTERVAL_MS), 1);
	evs_pipeline_inject_drain(w.pl, &w.st, UINT32_MAX);
	ck_assert_uint_eq(w.out.n, 5);
	for (unsigned int i = 1; i < 5; i++)
		rw_check_ra(&w, i);
	evs_l3_mgmt_counters(w.mg, 1, &mc);
	ck_assert_uint_eq(mc.ra_sent, 5);
	ck_assert_uint_eq(rte_mempool_in_use_count(pool), 0);
	rw_down(&w);
}
END_TEST

/*
 * A route via a link-local next hop on port 2 (no global IPv6 address
 * there): the router solicits it from port 2's link-local address, learns
 * its advertisement and sends the held packet on to it. ICMPv6 errors for
 * that link come from the link-local address too.
 */
START_TEST(link_local_next_hop_resolved)
{
	static const uint8_t nh[16] = {0xfe, 0x80, [15] = 0x22};
	static const uint8_t far[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0x99, [15] = 1};
	struct evs_l3_route_spec rs = {.type = EVS_L3_ROUTE_FORWARD, .n_nh = 1};
	struct evs_l3_prefix pfx = {.addr = {.family = EVS_L3_IPV6}, .len = 64};
	const struct rte_ether_hdr *eh;
	const uint8_t *ip6;
	uint8_t h6[16];
	struct rworld w;

	rw_up(&w);
	rs.nh[0] = (struct evs_l3_nexthop){.port = 2, .weight = 1, .via = true};
	rs.nh[0].gw.family = EVS_L3_IPV6;
	memcpy(rs.nh[0].gw.b, nh, 16);
	memcpy(pfx.addr.b, far, 8);
	ck_assert_int_eq(evs_l3_router_route_add(evs_l3_router_get(w.set, 1), &pfx, &rs), 0);
	memcpy(h6, G6, 16);
	h6[15] = 9;
	rw_run(&w, 0, echo6(&H1, &R1, h6, far));
	rw_pump(&w);
	ck_assert_uint_eq(w.out.n, 1); /* the solicitation */
	eh = rw_out(&w, 0);
	ip6 = (const uint8_t *)(eh + 1);
	ck_assert_uint_eq(w.out.port[0], 1);
	ck_assert(rte_is_same_ether_addr(&eh->src_addr, &R2));
	ck_assert_uint_eq(ip6[40], 135);
	ck_assert_mem_eq(ip6 + 8, RLL2, 16); /* from port 2's link-local address */
	ck_assert_mem_eq(ip6 + 48, nh, 16);
	/* the next hop answers; the held echo goes on to it */
	rw_run(&w, 1, evs_l3_build_na(pool, &H2, nh, RLL2, &R2, true));
	rw_pump(&w);
	ck_assert_uint_eq(w.out.n, 2);
	eh = rw_out(&w, 1);
	ck_assert_uint_eq(w.out.port[1], 1);
	ck_assert(rte_is_same_ether_addr(&eh->src_addr, &R2));
	ck_assert(rte_is_same_ether_addr(&eh->dst_addr, &H2));
	ip6 = (const uint8_t *)(eh + 1);
	ck_assert_uint_eq(ip6[7], 254); /* hop limit 255 - 1 */
	ck_assert_mem_eq(ip6 + 24, far, 16);
	/* UDP to port 2's link-local address: port unreachable, from it (no other there) */
	struct rte_mbuf *u = icmp6_frame(&H2, &R2, nh, RLL2, 0, 16);
	uint8_t *ub = rte_pktmbuf_mtod(u, uint8_t *);

	ub[14 + 6] = IPPROTO_UDP;
	ub[54 + 5] = 16; /* UDP length */
	rw_run(&w, 1, u);
	rw_pump(&w);
	ck_assert_uint_eq(w.out.n, 3);
	ip6 = (const uint8_t *)(rw_out(&w, 2) + 1);
	ck_assert_uint_eq(ip6[40], 1); /* destination unreachable */
	ck_assert_uint_eq(ip6[41], 4); /* port */
	ck_assert_mem_eq(ip6 + 8, RLL2, 16);
	ck_assert_mem_eq(ip6 + 24, nh, 16);
	ck_assert_uint_eq(rte_mempool_in_use_count(pool), 0);
	rw_down(&w);
}
END_TEST

void l3_module_add_cases(Suite *s)
{
	const struct unit_case cases[] = {
	    {"routes_both_ways", routes_both_ways},
	    {"drops_with_reason", drops_with_reason},
	    {"neighbour_change_reaches_cached_flow", neighbour_change_reaches_cached_flow},
	    {"mask_is_sufficient_l2_l3", mask_is_sufficient_l2_l3},
	    {"gateway_arp_and_nd_answered", gateway_arp_and_nd_answered},
	    {"ns_for_a_host_sharing_the_group_flooded", ns_for_a_host_sharing_the_group_flooded},
	    {"echo_answered_in_datapath", echo_answered_in_datapath},
	    {"resolution_holds_and_releases", resolution_holds_and_releases},
	    {"resolution_fails_host_unreachable", resolution_fails_host_unreachable},
	    {"icmp_errors_and_rate_limit", icmp_errors_and_rate_limit},
	    {"fragments_over_mtu_without_df", fragments_over_mtu_without_df},
	    {"link_local_nd_echo_and_scope", link_local_nd_echo_and_scope},
	    {"router_solicitation_and_advertisements", router_solicitation_and_advertisements},
	    {"link_local_next_hop_resolved", link_local_next_hop_resolved},
	};

	unit_add_cases(s, cases, RTE_DIM(cases), NULL, NULL, 0);
}
