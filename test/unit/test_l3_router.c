/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Routers, ports and the routing decision: ARP/ND/echo answered for router
 * addresses, forwarding with neighbour resolution, ICMP errors, blackhole
 * and reject, next-VRF leaking and its loops, overlapping VRFs, port
 * removal rules; mask sufficiency (keys that agree on what a decision
 * consulted get the same decision) on random keys; and the per-packet
 * forwarding burst on a mixed 32-packet burst. Part of the l3 suite.
 */
#include <errno.h>
#include <netinet/in.h>

#include <rte_arp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "evs_l3_mask.h"
#include "l3_test.h"
#include "unit_case.h"

static const struct rte_ether_addr R1 = {{0x02, 0, 0, 0, 1, 1}};
static const struct rte_ether_addr R2 = {{0x02, 0, 0, 0, 1, 2}};
static const struct rte_ether_addr R3 = {{0x02, 0, 0, 0, 3, 1}};
static const struct rte_ether_addr H = {{0x02, 0, 0, 0, 0, 0x77}};
static const struct rte_ether_addr BC = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};

static struct evs_l3_prefix pfx4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint8_t len)
{
	struct evs_l3_prefix p = {.addr = {.family = EVS_L3_IPV4, .b = {a, b, c, d}}, .len = len};

	return p;
}

static struct evs_l3_prefix pfx6(uint16_t net, uint8_t host, uint8_t len)
{
	struct evs_l3_prefix p = {
	    .addr = {.family = EVS_L3_IPV6,
		     .b = {0x20, 0x01, 0x0d, 0xb8, (uint8_t)(net >> 8), (uint8_t)net, [15] = host}},
	    .len = len};

	return p;
}

static void add_router(struct evs_l3_set *set, uint16_t id, const char *name)
{
	struct evs_l3_router_config c = {
	    .id = id,
	    .name = name,
	    .socket_id = SOCKET_ID_ANY,
	    .max_routes4 = 1024,
	    .max_routes6 = 1024,
	    .max_neigh = 64,
	    .neigh_ops = {l3t_nop_probe, l3t_nop_release, l3t_nop_unreach}};

	ck_assert_int_eq(evs_l3_router_add(set, &c), 0);
}

/* r1: port 1 on switch 10 (10.0.1.1/24, 2001:db8:1::1/64), port 2 on switch 20
 * (10.0.2.1/24, 2001:db8:2::1/64); r2 (VRF 2): port 1 on switch 30 (10.0.3.1/24);
 * r3: port 1 on switch 40 with r1's first subnet again (10.0.1.1/24). */
static struct evs_l3_set *topo(void)
{
	struct evs_l3_set *set = evs_l3_set_create(SOCKET_ID_ANY);
	struct evs_l3_port_spec p1 = {.id = 1, .ldp = 10, .mac = R1, .n_addrs = 2};
	struct evs_l3_port_spec p2 = {.id = 2, .ldp = 20, .mac = R2, .n_addrs = 2, .mtu = 1400};
	struct evs_l3_port_spec p3 = {.id = 1, .ldp = 30, .mac = R3, .n_addrs = 1};
	struct evs_l3_port_spec p4 = {.id = 1, .ldp = 40, .mac = R3, .n_addrs = 1};

	ck_assert_ptr_nonnull(set);
	add_router(set, 1, "r1");
	add_router(set, 2, "r2");
	add_router(set, 3, "r3");
	p1.addrs[0] = pfx4(10, 0, 1, 1, 24);
	p1.addrs[1] = pfx6(1, 1, 64);
	p2.addrs[0] = pfx4(10, 0, 2, 1, 24);
	p2.addrs[1] = pfx6(2, 1, 64);
	p3.addrs[0] = pfx4(10, 0, 3, 1, 24);
	p4.addrs[0] = pfx4(10, 0, 1, 1, 24);
	ck_assert_int_eq(evs_l3_port_add(set, 1, &p1), 0);
	ck_assert_int_eq(evs_l3_port_add(set, 1, &p2), 0);
	ck_assert_int_eq(evs_l3_port_add(set, 2, &p3), 0);
	ck_assert_int_eq(evs_l3_port_add(set, 3, &p4), 0);
	return set;
}

static struct evs_flow_key ip4key(const struct rte_ether_addr *dmac, const uint8_t src[4],
				  const uint8_t dst[4], uint8_t proto)
{
	struct evs_flow_key k = {.ethertype = RTE_BE16(RTE_ETHER_TYPE_IPV4),
				 .ip_proto = proto,
				 .dst_mac = *dmac,
				 .src_mac = H,
				 .ttl_class = 2,
				 .l4_src = RTE_BE16(40000),
				 .l4_dst = RTE_BE16(80)};

	memcpy(k.src_ip, src, 4);
	memcpy(k.dst_ip, dst, 4);
	return k;
}

static const uint8_t HOST1[4] = {10, 0, 1, 5}, HOST2[4] = {10, 0, 2, 7};

START_TEST(test_decide_local_answers)
{
	struct evs_l3_set *set = topo();
	struct evs_l3_decision d;
	struct evs_flow_key k = {.ethertype = RTE_BE16(RTE_ETHER_TYPE_ARP),
				 .dst_mac = BC,
				 .l4_src = RTE_BE16(RTE_ARP_OP_REQUEST),
				 .src_ip = {10, 0, 1, 5},
				 .dst_ip = {10, 0, 1, 1}};

	/* broadcast ARP for the gateway on its switch; not on another; not another host */
	evs_l3_decide(set, 10, &k, false, &d);
	ck_assert_int_eq(d.verdict, EVS_L3_LOCAL_ARP);
	ck_assert_uint_eq(d.in_port, 1);
	ck_assert_uint_eq(d.router, 1);
	evs_l3_decide(set, 20, &k, false, &d);
	ck_assert_int_eq(d.verdict, EVS_L3_NOT_MINE);
	k.dst_ip[3] = 9;
	evs_l3_decide(set, 10, &k, false, &d);
	ck_assert_int_eq(d.verdict, EVS_L3_NOT_MINE);
	/* the overlapping VRF answers on its own switch */
	k.dst_ip[3] = 1;
	evs_l3_decide(set, 40, &k, false, &d);
	ck_assert_int_eq(d.verdict, EVS_L3_LOCAL_ARP);
	ck_assert_uint_eq(d.router, 3);
	/* an ARP reply to the router MAC is learnt */
	k.dst_mac = R1;
	k.l4_src = RTE_BE16(RTE_ARP_OP_REPLY);
	evs_l3_decide(set, 10, &k, false, &d);
	ck_assert_int_eq(d.verdict, EVS_L3_LEARN);

	/* echo to either router address; UDP gets port unreachable; TCP is dropped */
	const uint8_t gw1[4] = {10, 0, 1, 1}, gw2[4] = {10, 0, 2, 1};
	k = ip4key(&R1, HOST1, gw2, IPPROTO_ICMP);
	k.l4_src = RTE_BE16(8);
	k.ttl_class = 1; /* TTL does not matter for the router's own addresses */
	evs_l3_decide(set, 10, &k, false, &d);
	ck_assert_int_eq(d.verdict, EVS_L3_LOCAL_ECHO);
	ck_assert_uint_eq(d.dst_bits, 32);
	k = ip4key(&R1, HOST1, gw1, IPPROTO_UDP);
	evs_l3_decide(set, 10, &k, false, &d);
	ck_assert_int_eq(d.verdict, EVS_L3_ICMP_ERROR);
	ck_assert_uint_eq(d.icmp_type, 3);
	ck_assert_uint_eq(d.icmp_code, 3);
	ck_assert_mem_eq(d.icmp_src.b, gw1, 4);
	k.ip_proto = IPPROTO_TCP;
	evs_l3_decide(set, 10, &k, false, &d);
	ck_assert_int_eq(d.verdict, EVS_L3_DROP);
	ck_assert_str_eq(evs_l3_drop_name(d.reason), "local");

	/* IPv6: NS to the solicited-node group of 2001:db8:1::1; echo to it */
	struct evs_flow_key k6 = {.ethertype = RTE_BE16(RTE_ETHER_TYPE_IPV6),
				  .ip_proto = IPPROTO_ICMPV6,
				  .dst_mac = {{0x33, 0x33, 0xff, 0, 0, 1}},
				  .l4_src = RTE_BE16(135),
				  .src_ip = {0xfe, 0x80, [15] = 5},
				  .dst_ip = {0xff, 0x02, [11] = 1, 0xff, 0, 0, 1},
				  .ttl_class = 2};
	evs_l3_decide(set, 10, &k6, false, &d);
	ck_assert_int_eq(d.verdict, EVS_L3_LOCAL_ND);
	struct evs_l3_prefix g = pfx6(1, 1, 128);
	memcpy(k6.dst_ip, g.addr.b, 16);
	k6.dst_mac = R1;
	k6.l4_src = RTE_BE16(128);
	memcpy(k6.src_ip, pfx6(1, 5, 128).addr.b, 16);
	evs_l3_decide(set, 10, &k6, false, &d);
	ck_assert_int_eq(d.verdict, EVS_L3_LOCAL_ECHO);
	k6.l4_src = RTE_BE16(136);
	evs_l3_decide(set, 10, &k6, false, &d);
	ck_assert_int_eq(d.verdict, EVS_L3_LEARN);
	evs_l3_set_free(set);
}
END_TEST

START_TEST(test_decide_forward_and_resolve)
{
	struct evs_l3_set *set = topo();
	struct evs_l3_router *r1 = evs_l3_router_get(set, 1);
	struct evs_l3_decision d;
	struct evs_flow_key k = ip4key(&R1, HOST1, HOST2, IPPROTO_TCP);
	struct evs_l3_neigh_key nk = {.addr = {.family = EVS_L3_IPV4, .b = {10, 0, 2, 7}},
				      .port = 2};

	evs_l3_decide(set, 10, &k, false, &d);
	ck_assert_int_eq(d.verdict, EVS_L3_RESOLVE);
	ck_assert_mem_eq(d.neigh.addr.b, HOST2, 4);
	ck_assert_uint_eq(d.neigh.port, 2);
	ck_assert_uint_eq(d.dst_bits, 32); /* on-link: each host its own neighbour */
	ck_assert_int_eq(evs_l3_neigh_set_static(evs_l3_router_neigh(r1), &nk, &H), 0);
	evs_l3_decide(set, 10, &k, false, &d);
	ck_assert_int_eq(d.verdict, EVS_L3_FORWARD);
	ck_assert(rte_is_same_ether_addr(&d.src_mac, &R2));
	ck_assert(rte_is_same_ether_addr(&d.dst_mac, &H));
	ck_assert_uint_eq(d.out_ldp, 20);
	ck_assert_uint_eq(d.out_port, 2);
	ck_assert_uint_eq(d.mtu, 1400);
	ck_assert(!(d.fields & EVS_L3_F_L4_DST)); /* one next hop: ports not read */

	/* TTL 1: forwarded all the same; the route opcode finds the last hop per packet */
	k.ttl_class = 1;
	evs_l3_decide(set, 10, &k, false, &d);
	ck_assert_int_eq(d.verdict, EVS_L3_FORWARD);

	/* no route: net unreachable; a default route via a gateway: resolve the gateway */
	const uint8_t far[4] = {192, 0, 2, 1};
	k = ip4key(&R1, HOST1, far, IPPROTO_UDP);
	evs_l3_decide(set, 10, &k, false, &d);
	ck_assert_int_eq(d.verdict, EVS_L3_ICMP_ERROR);
	ck_assert_uint_eq(d.icmp_type, 3);
	ck_assert_uint_eq(d.icmp_code, 0);
	struct evs_l3_route_spec via = {.type = EVS_L3_ROUTE_FORWARD, .n_nh = 1};
	via.nh[0] = (struct evs_l3_nexthop){.port = 2, .weight = 1, .via = true};
	via.nh[0].gw = pfx4(10, 0, 2, 254, 32).addr;
	struct evs_l3_prefix def = pfx4(0, 0, 0, 0, 0);
	ck_assert_int_eq(evs_l3_router_route_add(r1, &def, &via), 0);
	evs_l3_decide(set, 10, &k, false, &d);
	ck_assert_int_eq(d.verdict, EVS_L3_RESOLVE);
	ck_assert_uint_eq(d.neigh.addr.b[3], 254);
	ck_assert_uint_eq(d.dst_bits, 1); /* 192.x vs 10.x: the first bit decides */
	via.nh[0].port = 9;
	struct evs_l3_prefix other = pfx4(172, 16, 0, 0, 12);
	ck_assert_int_eq(evs_l3_router_route_add(r1, &other, &via), -ENODEV);

	/* blackhole and reject (admin prohibited) */
	struct evs_l3_route_spec bh = {.type = EVS_L3_ROUTE_BLACKHOLE};
	struct evs_l3_route_spec rj = {.type = EVS_L3_ROUTE_REJECT,
				       .reject_code = EVS_L3_UNREACH_ADMIN};
	struct evs_l3_prefix p1 = pfx4(192, 0, 2, 0, 25), p2 = pfx4(192, 0, 2, 128, 25);
	ck_assert_int_eq(evs_l3_router_route_add(r1, &p1, &bh), 0);
	ck_assert_int_eq(evs_l3_router_route_add(r1, &p2, &rj), 0);
	evs_l3_decide(set, 10, &k, false, &d);
	ck_assert_int_eq(d.verdict, EVS_L3_DROP);
	ck_assert_str_eq(evs_l3_drop_name(d.reason), "blackhole");
	k.dst_ip[3] = 200;
	evs_l3_decide(set, 10, &k, false, &d);
	ck_assert_int_eq(d.verdict, EVS_L3_ICMP_ERROR);
	ck_assert_uint_eq(d.icmp_code, 13);

	/* martian source */
	k.src_ip[0] = 127;
	evs_l3_decide(set, 10, &k, false, &d);
	ck_assert_int_eq(d.verdict, EVS_L3_DROP);
	ck_assert_str_eq(evs_l3_drop_name(d.reason), "bad_src");
	/* not IP */
	k.ethertype = RTE_BE16(0x88b5);
	evs_l3_decide(set, 10, &k, false, &d);
	ck_assert_str_eq(evs_l3_drop_name(d.reason), "not_ip");
	evs_l3_set_free(set);
}
END_TEST

START_TEST(test_decide_vrf_leak_and_loop)
{
	struct evs_l3_set *set = topo();
	struct evs_l3_router *r1 = evs_l3_router_get(set, 1), *r2 = evs_l3_router_get(set, 2);
	struct evs_l3_route_spec to2 = {.type = EVS_L3_ROUTE_VRF, .next_vrf = 2};
	struct evs_l3_route_spec to1 = {.type = EVS_L3_ROUTE_VRF, .next_vrf = 1};
	struct evs_l3_prefix net3 = pfx4(10, 0, 3, 0, 24), loop = pfx4(172, 16, 0, 0, 16);
	struct evs_l3_decision d;
	const uint8_t h3[4] = {10, 0, 3, 9}, hl[4] = {172, 16, 1, 1};
	struct evs_flow_key k = ip4key(&R1, HOST1, h3, IPPROTO_TCP);

	ck_assert_int_eq(evs_l3_router_route_add(r1, &net3, &to2), 0);
	evs_l3_decide(set, 10, &k, false, &d);
	ck_assert_int_eq(d.verdict, EVS_L3_RESOLVE);
	ck_assert_uint_eq(d.router, 2); /* resolved and sent by the leaked-to router */
	ck_assert_uint_eq(d.in_router, 1);
	ck_assert_uint_eq(d.vrf_hops, 1);
	ck_assert_uint_eq(d.vrf_path[0], 1);
	ck_assert_uint_eq(d.out_ldp, 30);
	/* through r3 on the way: its table decided too (the stage depends on it) */
	struct evs_l3_route_spec to3 = {.type = EVS_L3_ROUTE_VRF, .next_vrf = 3};
	struct evs_l3_prefix hi = pfx4(10, 0, 3, 128, 25);

	ck_assert_int_eq(evs_l3_router_route_add(r1, &hi, &to3), 0);
	ck_assert_int_eq(evs_l3_router_route_add(evs_l3_router_get(set, 3), &hi, &to2), 0);
	k = ip4key(&R1, HOST1, (uint8_t[]){10, 0, 3, 200}, IPPROTO_TCP);
	evs_l3_decide(set, 10, &k, false, &d);
	ck_assert_int_eq(d.verdict, EVS_L3_RESOLVE);
	ck_assert_uint_eq(d.router, 2);
	ck_assert_uint_eq(d.vrf_hops, 2);
	ck_assert_uint_eq(d.vrf_path[0], 1);
	ck_assert_uint_eq(d.vrf_path[1], 3);

	ck_assert_int_eq(evs_l3_router_route_add(r1, &loop, &to2), 0);
	ck_assert_int_eq(evs_l3_router_route_add(r2, &loop, &to1), 0);
	k = ip4key(&R1, HOST1, hl, IPPROTO_TCP);
	evs_l3_decide(set, 10, &k, false, &d);
	ck_assert_int_eq(d.verdict, EVS_L3_DROP);
	ck_assert_str_eq(evs_l3_drop_name(d.reason), "no_vrf");
	/* to a router that is gone */
	ck_assert_int_eq(evs_l3_router_del(set, 2), 0);
	k = ip4key(&R1, HOST1, h3, IPPROTO_TCP);
	evs_l3_decide(set, 10, &k, false, &d);
	ck_assert_str_eq(evs_l3_drop_name(d.reason), "no_vrf");
	/* the overlapping subnet of r3 stays its own */
	k = ip4key(&R3, HOST1, (uint8_t[]){10, 0, 1, 9}, IPPROTO_TCP);
	evs_l3_decide(set, 40, &k, false, &d);
	ck_assert_int_eq(d.verdict, EVS_L3_RESOLVE);
	ck_assert_uint_eq(d.router, 3);
	ck_assert_uint_eq(d.out_ldp, 40);
	evs_l3_set_free(set);
}
END_TEST

START_TEST(test_ports_rules)
{
	struct evs_l3_set *set = topo();
	struct evs_l3_router *r1 = evs_l3_router_get(set, 1);
	struct evs_l3_port_spec p = {.id = 7, .ldp = 50, .mac = R1, .n_addrs = 1};
	struct evs_l3_route_spec via = {.type = EVS_L3_ROUTE_FORWARD, .n_nh = 1};
	struct evs_l3_prefix net = pfx4(10, 9, 0, 0, 16);
	uint32_t routes = evs_l3_fib_count(evs_l3_router_fib(r1), EVS_L3_IPV4);

	/* the same subnet twice in one router; the network address as host; (switch, MAC) reuse */
	p.addrs[0] = pfx4(10, 0, 1, 2, 24);
	ck_assert_int_eq(evs_l3_port_add(set, 1, &p), -EEXIST);
	p.addrs[0] = pfx4(10, 0, 5, 0, 24);
	ck_assert_int_eq(evs_l3_port_add(set, 1, &p), -EINVAL);
	p.addrs[0] = pfx4(10, 0, 5, 1, 24);
	p.ldp = 10;
	ck_assert_int_eq(evs_l3_port_add(set, 1, &p), -EEXIST);
	p.ldp = 50;
	p.id = 1;
	ck_assert_int_eq(evs_l3_port_add(set, 1, &p), -EEXIST);
	p.id = 7;
	ck_assert_int_eq(evs_l3_port_add(set, 9, &p), -ENOENT);
	ck_assert_uint_eq(evs_l3_fib_count(evs_l3_router_fib(r1), EVS_L3_IPV4), routes);
	ck_assert_int_eq(evs_l3_port_add(set, 1, &p), 0);
	ck_assert_uint_eq(evs_l3_fib_count(evs_l3_router_fib(r1), EVS_L3_IPV4), routes + 2);
	ck_assert_uint_eq(evs_l3_port_count(r1), 3);

	/* a static route through it keeps it */
	via.nh[0] = (struct evs_l3_nexthop){.port = 7, .weight = 1, .via = true};
	via.nh[0].gw = pfx4(10, 0, 5, 9, 32).addr;
	ck_assert_int_eq(evs_l3_router_route_add(r1, &net, &via), 0);
	ck_assert_int_eq(evs_l3_port_del(set, 1, 7), -EBUSY);
	ck_assert_int_eq(evs_l3_route_del(evs_l3_router_fib(r1), &net), 0);
	ck_assert_int_eq(evs_l3_port_del(set, 1, 7), 0);
	ck_assert_int_eq(evs_l3_port_del(set, 1, 7), -ENOENT);
	ck_assert_uint_eq(evs_l3_fib_count(evs_l3_router_fib(r1), EVS_L3_IPV4), routes);
	ck_assert_ptr_null(evs_l3_port_get(r1, 7));

	/* routers: duplicate id or name, bad names */
	struct evs_l3_router_config c = {.id = 1, .name = "x"};
	ck_assert_int_eq(evs_l3_router_add(set, &c), -EEXIST);
	c.id = 5;
	c.name = "r1";
	ck_assert_int_eq(evs_l3_router_add(set, &c), -EEXIST);
	c.name = "";
	ck_assert_int_eq(evs_l3_router_add(set, &c), -EINVAL);
	c.id = EVS_L3_MAX_ROUTERS;
	c.name = "big";
	ck_assert_int_eq(evs_l3_router_add(set, &c), -EINVAL);
	ck_assert_int_eq(evs_l3_router_del(set, 9), -ENOENT);
	evs_l3_set_free(set);
}
END_TEST

static bool same_decision(const struct evs_l3_decision *a, const struct evs_l3_decision *b)
{
	return a->verdict == b->verdict && a->reason == b->reason && a->router == b->router &&
	       a->out_port == b->out_port && a->out_ldp == b->out_ldp &&
	       rte_is_same_ether_addr(&a->dst_mac, &b->dst_mac) &&
	       !memcmp(&a->neigh, &b->neigh, sizeof(a->neigh)) && a->icmp_type == b->icmp_type &&
	       a->icmp_code == b->icmp_code && a->route.route_id == b->route.route_id;
}

/* Change what @p d did not consult, at random. */
static void perturb(struct evs_flow_key *k, const struct evs_l3_decision *d, uint64_t *seed)
{
	uint64_t r = l3t_rand(seed);
	unsigned int alen = k->ethertype == RTE_BE16(RTE_ETHER_TYPE_IPV6) ? 16 : 4;

	for (unsigned int i = d->dst_bits; i < alen * 8; i++)
		if (l3t_rand(seed) & 1)
			k->dst_ip[i / 8] ^= (uint8_t)(0x80 >> (i % 8));
	if (!(d->fields & (EVS_L3_F_SRC_IP | EVS_L3_F_SRC_PFX)))
		k->src_ip[0] = (uint8_t)r;
	if (!(d->fields & EVS_L3_F_SRC_IP))
		for (unsigned int i = 1; i < alen; i++)
			k->src_ip[i] = (uint8_t)(r >> (i * 3));
	if (!(d->fields & EVS_L3_F_L4_SRC))
		k->l4_src = (uint16_t)(r >> 16);
	if (!(d->fields & EVS_L3_F_L4_DST))
		k->l4_dst = (uint16_t)(r >> 32);
	k->ttl_class = (uint8_t)(r >> 48) % 3; /* no decision reads it */
	if (!(d->fields & EVS_L3_F_PROTO))
		k->ip_proto = (uint8_t)(r >> 50);
	if (!(d->fields & EVS_L3_F_FRAG))
		k->ip_frag = (uint8_t)(r >> 58) & 3;
	k->src_mac.addr_bytes[5] = (uint8_t)(r >> 60); /* never consulted */
	k->tcp_flags = (uint8_t)(r >> 40);
}

/* Mask sufficiency: keys that agree on what a decision consulted decide alike. */
START_TEST(test_decide_mask_sufficiency)
{
	struct evs_l3_set *set = topo();
	struct evs_l3_router *r1 = evs_l3_router_get(set, 1);
	struct evs_l3_route_spec ecmp = {.type = EVS_L3_ROUTE_FORWARD, .n_nh = 3};
	struct evs_l3_route_spec bh = {.type = EVS_L3_ROUTE_BLACKHOLE};
	struct evs_l3_prefix def = pfx4(0, 0, 0, 0, 0), b = pfx4(10, 128, 0, 0, 9);
	struct evs_l3_prefix d6 = {.addr.family = EVS_L3_IPV6, .len = 0};
	uint64_t seed = 1234;
	const uint8_t protos[] = {IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_ICMPV6};

	for (uint16_t i = 0; i < 3; i++) {
		ecmp.nh[i] = (struct evs_l3_nexthop){.port = 2, .weight = 1, .via = true};
		ecmp.nh[i].gw = pfx4(10, 0, 2, (uint8_t)(250 + i), 32).addr;
		struct evs_l3_neigh_key nk = {.addr = ecmp.nh[i].gw, .port = 2};
		struct rte_ether_addr m = H;
		m.addr_bytes[5] = (uint8_t)i;
		evs_l3_neigh_set_static(evs_l3_router_neigh(r1), &nk, &m);
	}
	ck_assert_int_eq(evs_l3_router_route_add(r1, &def, &ecmp), 0);
	ck_assert_int_eq(evs_l3_router_route_add(r1, &b, &bh), 0);
	struct evs_l3_route_spec rej = {.type = EVS_L3_ROUTE_REJECT};
	ck_assert_int_eq(evs_l3_router_route_add(r1, &d6, &rej), 0);
	for (int n = 0; n < 3000; n++) {
		uint64_t r = l3t_rand(&seed);
		bool v6 = r % 4 == 0;
		struct evs_flow_key k = {.ethertype = v6 ? RTE_BE16(RTE_ETHER_TYPE_IPV6)
							 : RTE_BE16(RTE_ETHER_TYPE_IPV4),
					 .dst_mac = r % 7 == 0 ? R2 : R1,
					 .ip_proto = protos[(r >> 4) % 4],
					 .ttl_class = (uint8_t)((r >> 8) % 3),
					 .l4_src = (uint16_t)(r >> 12),
					 .l4_dst = (uint16_t)(r >> 28)};
		struct evs_l3_decision d, d2;
		struct evs_l3_prefix dp =
		    v6 ? pfx6((uint16_t)((r >> 20) % 3), (uint8_t)(r >> 24), 128)
		       : pfx4(10, (uint8_t)((r >> 20) % 2 ? 0 : r >> 36), (uint8_t)((r >> 22) % 4),
			      (uint8_t)(r >> 24), 32);

		if (v6)
			memcpy(k.src_ip, pfx6(1, 5, 128).addr.b, 16);
		else
			memcpy(k.src_ip, HOST1, 4);
		memcpy(k.dst_ip, dp.addr.b, 16);
		if (r % 5 == 0)
			k.ip_frag = EVS_FRAG_ANY;
		evs_l3_decide(set, 10, &k, false, &d);
		for (int v = 0; v < 4; v++) {
			struct evs_flow_key k2 = k;

			perturb(&k2, &d, &seed);
			evs_l3_decide(set, 10, &k2, false, &d2);
			ck_assert_msg(same_decision(&d, &d2), "key %d variant %d: verdict %d vs %d",
				      n, v, d.verdict, d2.verdict);
		}
	}
	evs_l3_set_free(set);
}
END_TEST

/* The same through the classifier's mask: flip any key bit outside it. */
START_TEST(test_decide_mask_whole_key)
{
	struct evs_l3_set *set = topo();
	struct evs_l3_router *r1 = evs_l3_router_get(set, 1);
	struct evs_l3_route_spec ecmp = {.type = EVS_L3_ROUTE_FORWARD, .n_nh = 2};
	struct evs_l3_prefix def = pfx4(0, 0, 0, 0, 0), bh = pfx4(10, 64, 0, 0, 10);
	struct evs_l3_route_spec black = {.type = EVS_L3_ROUTE_BLACKHOLE};
	uint64_t seed = 77;

	for (uint16_t i = 0; i < 2; i++) {
		ecmp.nh[i] =
		    (struct evs_l3_nexthop){.port = (uint16_t)(1 + i), .weight = 1, .via = true};
		ecmp.nh[i].gw = pfx4(10, 0, (uint8_t)(1 + i), 254, 32).addr;
		struct evs_l3_neigh_key nk = {.addr = ecmp.nh[i].gw, .port = (uint16_t)(1 + i)};
		evs_l3_neigh_set_static(evs_l3_router_neigh(r1), &nk, &H);
	}
	ck_assert_int_eq(evs_l3_router_route_add(r1, &def, &ecmp), 0);
	ck_assert_int_eq(evs_l3_router_route_add(r1, &bh, &black), 0);
	for (int n = 0; n < 3000; n++) {
		uint64_t r = l3t_rand(&seed);
		const uint8_t dst[4] = {10, (uint8_t)((r >> 8) % 2 ? 0 : r >> 16), (uint8_t)(r % 4),
					(uint8_t)(r >> 24)};
		struct evs_flow_key k =
		    ip4key(r % 5 ? &R1 : &BC, HOST1, dst,
			   (uint8_t[]){IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP}[(r >> 32) % 3]);
		struct evs_flow_mask m;
		struct evs_l3_decision d, d2;

		k.ldp = 10;
		k.ttl_class = (uint8_t)((r >> 40) % 3);
		k.l4_src = (uint16_t)(r >> 44);
		evs_l3_decide(set, k.ldp, &k, false, &d);
		evs_flow_mask_zero(&m);
		evs_l3_decision_mask(&d, &m);
		for (int v = 0; v < 4; v++) {
			struct evs_flow_key k2 = k;
			uint8_t *kb = (uint8_t *)&k2;
			const uint8_t *mb = (const uint8_t *)&m.bits;

			for (size_t i = 0; i < sizeof(k2); i++)
				kb[i] ^= (uint8_t)l3t_rand(&seed) & (uint8_t)~mb[i];
			evs_l3_decide(set, k2.ldp, &k2, false, &d2);
			ck_assert_msg(same_decision(&d, &d2), "key %d variant %d: verdict %d vs %d",
				      n, v, d.verdict, d2.verdict);
		}
	}
	evs_l3_set_free(set);
}
END_TEST

/*
 * The same for IPv6 with link-local addresses, router solicitations on a
 * port with RAs, NS to solicited-node groups and a route via a link-local
 * next hop: every verdict of the IPv6 side, each key's unmasked bits flipped.
 */
START_TEST(test_decide_mask_whole_key_v6)
{
	static const struct rte_ether_addr R5 = {{0x02, 0, 0, 0, 5, 1}};
	struct evs_l3_set *set = topo();
	struct evs_l3_router *r1 = evs_l3_router_get(set, 1);
	struct evs_l3_port_spec p5 = {.id = 5, .ldp = 50, .mac = R5, .n_addrs = 1, .ra = true};
	struct evs_l3_route_spec via = {.type = EVS_L3_ROUTE_FORWARD, .n_nh = 1};
	struct evs_l3_prefix def = {.addr.family = EVS_L3_IPV6, .len = 0};
	struct evs_l3_neigh_key nk = {.port = 2};
	unsigned int seen[EVS_L3_DROP + 1] = {0}, ll_drops = 0;
	uint64_t seed = 99;

	p5.addrs[0] = pfx6(5, 1, 64);
	ck_assert_int_eq(evs_l3_port_add(set, 1, &p5), 0);
	via.nh[0] = (struct evs_l3_nexthop){.port = 2, .weight = 1, .via = true};
	via.nh[0].gw = (struct evs_l3_addr){.family = EVS_L3_IPV6, .b = {0xfe, 0x80, [15] = 0x54}};
	nk.addr = via.nh[0].gw;
	ck_assert_int_eq(evs_l3_router_route_add(r1, &def, &via), 0);
	ck_assert_int_eq(evs_l3_neigh_set_static(evs_l3_router_neigh(r1), &nk, &H), 0);
	for (int n = 0; n < 4000; n++) {
		uint64_t r = l3t_rand(&seed);
		bool on5 = r & 1;
		const struct evs_l3_port_spec *p = evs_l3_port_get(r1, on5 ? 5 : 1);
		const uint8_t srcs[][16] = {{0xfe, 0x80, [15] = 9},
					    {0x20, 0x01, 0x0d, 0xb8, 0, on5 ? 5 : 1, [15] = 9},
					    {0},
					    {0xff, 0x02, [15] = 1}};
		/* fec0::7: routed by the default alone, one bit off link-local */
		uint8_t dsts[8][16] = {{0xfe, 0x80, [15] = 0x99},
				       {0x20, 0x01, 0x0d, 0xb8, 0, on5 ? 5 : 1, [15] = 1},
				       {0x20, 0x01, 0x0d, 0xb8, 0, 2, [15] = 7},
				       {0x20, 0x01, 0x0d, 0xb8, 0x77, [15] = 7},
				       {0xff, 0x02, [11] = 1, 0xff},
				       {0xff, 0x02, [15] = 2},
				       {0xfe, 0xc0, [15] = 7}};
		static const uint8_t types[] = {128, 133, 135, 136, 1};
		struct evs_flow_key k = {.ethertype = RTE_BE16(RTE_ETHER_TYPE_IPV6),
					 .ldp = on5 ? 50 : 10,
					 .src_mac = H,
					 .ttl_class = (uint8_t)((r >> 40) % 3),
					 .l4_dst = (uint16_t)(r >> 48)};
		unsigned int di = (unsigned int)((r >> 8) % 8);
		struct evs_flow_mask m;
		struct evs_l3_decision d, d2;

		memcpy(dsts[7], p->ll6.b, 16);
		memcpy(dsts[4] + 13, ((r >> 12) & 1 ? p->ll6.b : p->addrs[0].addr.b) + 13, 3);
		memcpy(k.src_ip, srcs[(r >> 4) % 4], 16);
		memcpy(k.dst_ip, dsts[di], 16);
		k.ip_proto = (uint8_t[]){IPPROTO_ICMPV6, IPPROTO_UDP, IPPROTO_TCP}[(r >> 16) % 3];
		k.l4_src = k.ip_proto == IPPROTO_ICMPV6 ? rte_cpu_to_be_16(types[(r >> 20) % 5])
							: (uint16_t)(r >> 24);
		k.ip_frag = (r >> 32) % 5 == 0 ? EVS_FRAG_ANY : 0;
		/* multicast destinations go to their group's MAC, the rest to the router */
		if (k.dst_ip[0] == 0xff) {
			k.dst_mac = (struct rte_ether_addr){{0x33, 0x33}};
			memcpy(k.dst_mac.addr_bytes + 2, k.dst_ip + 12, 4);
		} else {
			k.dst_mac = on5 ? R5 : R1;
		}
		evs_l3_decide(set, k.ldp, &k, false, &d);
		seen[d.verdict]++;
		ll_drops += d.verdict == EVS_L3_DROP && d.reason == EVS_L3_DROP_LINK_LOCAL;
		evs_flow_mask_zero(&m);
		evs_l3_decision_mask(&d, &m);
		for (int v = 0; v < 4; v++) {
			struct evs_flow_key k2 = k;
			uint8_t *kb = (uint8_t *)&k2;
			const uint8_t *mb = (const uint8_t *)&m.bits;

			for (size_t i = 0; i < sizeof(k2); i++)
				kb[i] ^= (uint8_t)l3t_rand(&seed) & (uint8_t)~mb[i];
			evs_l3_decide(set, k2.ldp, &k2, false, &d2);
			ck_assert_msg(same_decision(&d, &d2), "key %d variant %d: verdict %d vs %d",
				      n, v, d.verdict, d2.verdict);
		}
	}
	/* not vacuous: every kind of answer came up */
	for (unsigned int v = EVS_L3_FORWARD; v <= EVS_L3_DROP; v++)
		if (v != EVS_L3_LOCAL_ARP && v != EVS_L3_ICMP_ERROR)
			ck_assert_msg(seen[v] > 0, "verdict %u never decided", v);
	ck_assert_uint_gt(ll_drops, 0);
	evs_l3_set_free(set);
}
END_TEST

/* ---- the per-packet burst ---- */

static uint16_t sum_fold(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* An IPv4 (or IPv6) packet of @p len IP bytes, TTL @p ttl, DF, with @p opts option bytes. */
static struct rte_mbuf *ip_pkt(bool v6, uint16_t len, uint8_t ttl, bool df, const uint8_t *opts,
			       uint8_t n_opts)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(14 + len));

	memset(p, 0, 14u + len);
	memcpy(p, R1.addr_bytes, 6);
	memcpy(p + 6, H.addr_bytes, 6);
	m->l2_len = 14;
	if (v6) {
		p[12] = 0x86, p[13] = 0xdd;
		p[14] = 0x60;
		p[18] = (uint8_t)((len - 40) >> 8), p[19] = (uint8_t)(len - 40);
		p[20] = IPPROTO_UDP;
		p[21] = ttl;
		return m;
	}
	uint8_t *ip = p + 14;
	uint16_t ck;
	p[12] = 0x08;
	ip[0] = (uint8_t)(0x45 + n_opts / 4);
	ip[2] = (uint8_t)(len >> 8), ip[3] = (uint8_t)len;
	ip[6] = df ? 0x40 : 0;
	ip[8] = ttl;
	ip[9] = IPPROTO_UDP;
	memcpy(ip + 12, HOST1, 4);
	memcpy(ip + 16, HOST2, 4);
	if (n_opts > 0)
		memcpy(ip + 20, opts, n_opts);
	ck = (uint16_t)~sum_fold(ip, 20u + n_opts);
	ip[10] = (uint8_t)(ck >> 8), ip[11] = (uint8_t)ck;
	return m;
}

START_TEST(test_forward_burst)
{
	static const uint8_t rr[8] = {7, 7, 4, 0, 0, 0, 0, 1};	   /* record route: forwarded */
	static const uint8_t lsrr[8] = {131, 7, 4, 0, 0, 0, 0, 1}; /* loose source route: no */
	struct rte_mbuf *b[32];
	uint8_t res[32], want[32];
	uint16_t ok = 0;

	for (int i = 0; i < 32; i++) {
		switch (i % 8) {
		case 0:
			b[i] = ip_pkt(false, 100, (uint8_t)(64 + i), true, NULL, 0),
			want[i] = EVS_L3_FWD_OK;
			break;
		case 1:
			b[i] = ip_pkt(false, 100, 1, true, NULL, 0), want[i] = EVS_L3_FWD_TTL;
			break;
		case 2:
			b[i] = ip_pkt(false, 1401, 64, true, NULL, 0), want[i] = EVS_L3_FWD_TOO_BIG;
			break;
		case 3:
			b[i] = ip_pkt(false, 1401, 64, false, NULL, 0),
			want[i] = EVS_L3_FWD_NO_FRAG;
			break;
		case 4:
			b[i] = ip_pkt(false, 100, 255, true, rr, 8), want[i] = EVS_L3_FWD_OK;
			break;
		case 5:
			b[i] = ip_pkt(false, 100, 64, true, lsrr, 8),
			want[i] = EVS_L3_FWD_SOURCE_ROUTE;
			break;
		case 6:
			b[i] = ip_pkt(true, 1400, 2, false, NULL, 0), want[i] = EVS_L3_FWD_OK;
			break;
		default:
			b[i] = ip_pkt(true, 1401, 64, false, NULL, 0), want[i] = EVS_L3_FWD_TOO_BIG;
			break;
		}
		ok += want[i] == EVS_L3_FWD_OK;
	}
	ck_assert_uint_eq(evs_l3_forward_burst(b, 32, &R2, &H, 1400, res), ok);
	for (int i = 0; i < 32; i++) {
		const uint8_t *p = rte_pktmbuf_mtod(b[i], const uint8_t *);
		bool v6 = p[12] == 0x86;

		ck_assert_msg(res[i] == want[i], "packet %d: %u, want %u", i, res[i], want[i]);
		if (res[i] == EVS_L3_FWD_OK) {
			ck_assert_mem_eq(p, H.addr_bytes, 6);
			ck_assert_mem_eq(p + 6, R2.addr_bytes, 6);
			if (v6) {
				ck_assert_uint_eq(p[21], 1);
			} else {
				ck_assert_uint_eq(p[22], i % 8 == 4 ? 254 : 63 + i);
				/* the incremental update leaves a valid header */
				ck_assert_uint_eq(sum_fold(p + 14, (p[14] & 0xfu) * 4u), 0xffff);
			}
		} else {
			ck_assert_mem_eq(p, R1.addr_bytes, 6); /* untouched */
		}
		rte_pktmbuf_free(b[i]);
	}
}
END_TEST

void l3_router_add_cases(Suite *s)
{
	const struct unit_case cases[] = {
	    {"decide_local_answers", test_decide_local_answers},
	    {"decide_forward_and_resolve", test_decide_forward_and_resolve},
	    {"decide_vrf_leak_and_loop", test_decide_vrf_leak_and_loop},
	    {"ports_rules", test_ports_rules},
	    {"decide_mask_sufficiency", test_decide_mask_sufficiency},
	    {"decide_mask_whole_key", test_decide_mask_whole_key},
	    {"decide_mask_whole_key_v6", test_decide_mask_whole_key_v6},
	    {"forward_burst", test_forward_burst},
	};

	unit_add_cases(s, cases, RTE_DIM(cases), NULL, NULL, 0);
}
