/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * evs_fw_new_burst (a new connection between two vNICs: the source's
 * egress and the destination's ingress rules) on a real connection table,
 * the connections a rule allowed removed by evs_ct_flush_match, and the
 * ICMP port-unreachable builder.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "ct_test.h"
#include "evs_firewall.h"
#include "unit_case.h"

void fw_new_add_cases(Suite *s);

static struct evs_fw *fw;
enum { SRC = 1, DST = 2, ZONE = 9 };

static void fx_setup(void)
{
	struct evs_fw_config c = {.name = "nb",
				  .socket_id = SOCKET_ID_ANY,
				  .n_lcores = 1,
				  .max_rules = 64,
				  .max_groups = 4,
				  .max_ports = 4};
	struct evs_fw_port_conf out = {.n_groups = 1, .groups = {"out"}};
	struct evs_fw_port_conf in = {.n_groups = 1, .groups = {"in"}};

	ct_setup();
	fw = evs_fw_create(&c);
	ck_assert_ptr_nonnull(fw);
	ck_assert_int_eq(evs_fw_group_add(fw, "out"), 0);
	ck_assert_int_eq(evs_fw_group_add(fw, "in"), 0);
	ck_assert_int_eq(evs_fw_port_set(fw, SRC, &out), 0);
	ck_assert_int_eq(evs_fw_port_set(fw, DST, &in), 0);
	ck_assert_int_eq(evs_fw_commit(fw), 0);
}

static void fx_teardown(void)
{
	evs_fw_free(fw);
	ct_teardown();
}

static void rule(const char *g, uint32_t id, enum evs_fw_dir dir, enum evs_fw_action act,
		 uint16_t dlo, uint16_t dhi, bool stateless)
{
	struct evs_fw_rule r = {.id = id,
				.priority = 1,
				.dir = dir,
				.action = act,
				.stateless = stateless,
				.proto = IPPROTO_TCP,
				.sport_hi = UINT16_MAX,
				.dport_lo = dlo,
				.dport_hi = dhi};

	ck_assert_int_eq(evs_fw_rule_add(fw, g, &r), 0);
	ck_assert_int_eq(evs_fw_commit(fw), 0);
}

static struct spec syn(uint16_t sport, uint16_t dport)
{
	return (struct spec){.src = "10.0.0.1",
			     .dst = "10.0.0.2",
			     .proto = IPPROTO_TCP,
			     .sport = sport,
			     .dport = dport,
			     .flags = SYN,
			     .seq = 100,
			     .win = 65535};
}

/* @n specs as one burst from SRC to DST (as the opcode gets them: looked up
 * without commit just before, so the commits skip their own lookup). */
static uint16_t run(const struct spec *s, uint16_t n, bool dry, struct evs_fw_verdict *v)
{
	struct evs_fw_new_args a = {.fw = fw,
				    .ct = lc,
				    .zone = ZONE,
				    .src_port = SRC,
				    .dst_port = DST,
				    .dry_run = dry,
				    .looked_up = true};
	struct evs_flow_key keys[EVS_FW_BURST_MAX];
	struct rte_mbuf *m[EVS_FW_BURST_MAX];
	struct evs_ct_action look = {.zone = ZONE};
	uint16_t i, denied;

	for (i = 0; i < n; i++)
		m[i] = build(&s[i], &keys[i]);
	evs_ct_execute_burst(lc, &look, m, keys, n);
	denied = evs_fw_new_burst(&a, m, keys, n, v);
	rte_pktmbuf_free_bulk(m, n);
	return denied;
}

/* The connection of TCP source port @sport: mark and both rule ids; false: none. */
static bool conn_of(uint16_t sport, uint32_t *mark, uint32_t *eg, uint32_t *in)
{
	struct evs_ct_conn_info ci;
	uint32_t pos = 0;

	while (evs_ct_iterate(ct, &pos, &ci) == 0)
		if (ci.orig.sport == rte_cpu_to_be_16(sport) && ci.zone == ZONE) {
			*mark = ci.mark;
			evs_fw_label_unpack(ci.label, eg, in);
			return true;
		}
	return false;
}

START_TEST(both_sides_must_allow)
{
	struct spec s80 = syn(40000, 80), s81 = syn(40001, 81);
	struct evs_fw_verdict v;
	uint32_t mark, eg, in;

	rule("out", 5, EVS_FW_EGRESS, EVS_FW_ALLOW, 1, 1000, false);
	rule("in", 9, EVS_FW_INGRESS, EVS_FW_ALLOW, 80, 80, false);
	ck_assert_uint_eq(run(&s80, 1, false, &v), 0);
	ck_assert_int_eq(v.action, EVS_FW_ALLOW);
	ck_assert_uint_eq(v.rule_id, 9);
	ck_assert(conn_of(40000, &mark, &eg, &in));
	ck_assert_uint_eq(mark, 9); /* the ingress rule */
	ck_assert_uint_eq(eg, 5);
	ck_assert_uint_eq(in, 9);
	/* egress allows 81, the destination's ingress does not: default deny */
	ck_assert_uint_eq(run(&s81, 1, false, &v), 1);
	ck_assert_int_eq(v.action, EVS_FW_DENY);
	ck_assert_uint_eq(v.rule_id, 0);
	ck_assert(!conn_of(40001, &mark, &eg, &in));
	ck_assert_uint_eq(live_conns(), 1);
}
END_TEST

START_TEST(egress_decides_first)
{
	struct spec s22 = syn(40002, 22);
	struct evs_fw_verdict v;

	rule("out", 4, EVS_FW_EGRESS, EVS_FW_REJECT, 22, 22, false);
	rule("in", 9, EVS_FW_INGRESS, EVS_FW_ALLOW, 1, 65535, false);
	ck_assert_uint_eq(run(&s22, 1, false, &v), 1);
	ck_assert_int_eq(v.action, EVS_FW_REJECT);
	ck_assert_uint_eq(v.rule_id, 4);
	ck_assert_uint_eq(live_conns(), 0);
}
END_TEST

START_TEST(dry_run_leaves_nothing)
{
	struct spec s80 = syn(40003, 80);
	struct evs_fw_verdict v;
	uint64_t hits = 1, st[EVS_FW_C_MAX];

	rule("out", 5, EVS_FW_EGRESS, EVS_FW_ALLOW, 1, 1000, false);
	rule("in", 9, EVS_FW_INGRESS, EVS_FW_ALLOW, 80, 80, false);
	ck_assert_uint_eq(run(&s80, 1, true, &v), 0);
	ck_assert_uint_eq(v.rule_id, 9);
	ck_assert_uint_eq(live_conns(), 0);
	ck_assert_int_eq(evs_fw_rule_hits(fw, 9, &hits), 0);
	ck_assert_uint_eq(hits, 0);
	evs_fw_stats(fw, st);
	ck_assert_uint_eq(st[EVS_FW_C_ALLOW], 0);
}
END_TEST

START_TEST(stateless_commits_nothing)
{
	struct spec s80 = syn(40004, 80);
	struct evs_fw_verdict v;

	rule("out", 5, EVS_FW_EGRESS, EVS_FW_ALLOW, 1, 1000, true);
	rule("in", 9, EVS_FW_INGRESS, EVS_FW_ALLOW, 80, 80, false);
	ck_assert_uint_eq(run(&s80, 1, false, &v), 0);
	ck_assert(v.stateless);
	ck_assert_uint_eq(live_conns(), 0);
}
END_TEST

/*
 * A 32-packet burst of mixed destination ports under several rules on both
 * sides: each packet's verdict is the pair of single-side verdicts
 * (reference: evs_fw_decide per side), and each allowed connection carries
 * its own pair, although commits are grouped by pair.
 */
START_TEST(mixed_burst_commits_each_pair)
{
	struct spec s[32];
	struct evs_fw_verdict v[32];
	uint16_t i;

	rule("out", 1, EVS_FW_EGRESS, EVS_FW_ALLOW, 1, 99, false);
	rule("out", 2, EVS_FW_EGRESS, EVS_FW_ALLOW, 100, 199, false);
	rule("out", 3, EVS_FW_EGRESS, EVS_FW_DENY, 150, 159, false);
	rule("in", 11, EVS_FW_INGRESS, EVS_FW_ALLOW, 50, 149, false);
	rule("in", 12, EVS_FW_INGRESS, EVS_FW_REJECT, 180, 250, false);
	for (i = 0; i < 32; i++)
		s[i] = syn((uint16_t)(41000 + i), (uint16_t)(10 + i * 7));
	run(s, 32, false, v);
	for (i = 0; i < 32; i++) {
		struct evs_flow_key k;
		struct rte_mbuf *m = build(&s[i], &k);
		struct evs_fw_verdict e, n;
		uint32_t mark, eg, in;

		rte_pktmbuf_free(m);
		ck_assert_int_eq(evs_fw_decide(fw, SRC, EVS_FW_EGRESS, &k, &e), 0);
		ck_assert_int_eq(evs_fw_decide(fw, DST, EVS_FW_INGRESS, &k, &n), 0);
		if (e.action != EVS_FW_ALLOW) {
			ck_assert_int_eq(v[i].action, e.action);
			ck_assert_uint_eq(v[i].rule_id, e.rule_id);
		} else {
			ck_assert_int_eq(v[i].action, n.action);
			ck_assert_uint_eq(v[i].rule_id, n.rule_id);
		}
		ck_assert_int_eq(conn_of(s[i].sport, &mark, &eg, &in), v[i].action == EVS_FW_ALLOW);
		if (v[i].action == EVS_FW_ALLOW) {
			ck_assert_uint_eq(eg, e.rule_id);
			ck_assert_uint_eq(in, n.rule_id);
			ck_assert_uint_eq(mark, n.rule_id);
		}
	}
}
END_TEST

/*
 * Commits that skip their lookup (the first pass missed) still find a
 * connection an earlier packet of the same burst created, and one that
 * existed before (a retransmitted SYN, new until a reply): one connection
 * per flow, nothing refused.
 */
START_TEST(looked_up_commit_finds_existing)
{
	struct spec s[32];
	struct evs_fw_verdict v[32];
	struct evs_ct_stats st;
	uint32_t mark, eg, in;
	uint16_t i;

	rule("out", 1, EVS_FW_EGRESS, EVS_FW_ALLOW, 1, 1000, false);
	rule("in", 11, EVS_FW_INGRESS, EVS_FW_ALLOW, 80, 80, false);
	for (i = 0; i < 32; i++)
		s[i] = syn((uint16_t)(42000 + i % 12), 80);
	ck_assert_uint_eq(run(s, 4, false, v), 0); /* flows 0-3 exist before */
	ck_assert_uint_eq(run(s, 32, false, v), 0);
	for (i = 0; i < 32; i++) {
		ck_assert_int_eq(v[i].action, EVS_FW_ALLOW);
		ck_assert(conn_of(s[i].sport, &mark, &eg, &in));
		ck_assert_uint_eq(mark, 11);
	}
	ck_assert_uint_eq(live_conns(), 12);
	evs_ct_stats(ct, &st);
	ck_assert_uint_eq(st.counters[EVS_CT_C_CREATED], 12);
	ck_assert_uint_eq(st.counters[EVS_CT_C_REFUSED_TABLE], 0);
	ck_assert_uint_eq(st.counters[EVS_CT_C_REFUSED_GLOBAL], 0);
}
END_TEST

static bool by_rule(uint32_t mark, const uint8_t label[16], void *arg)
{
	uint32_t eg, in, id = *(uint32_t *)arg;

	evs_fw_label_unpack(label, &eg, &in);
	return mark == id || eg == id || in == id;
}

START_TEST(flush_match_removes_a_rules_connections)
{
	struct spec a = syn(40010, 80), b = syn(40011, 81);
	struct evs_fw_verdict v;
	uint32_t id = 21, mark, eg, in;

	rule("out", 5, EVS_FW_EGRESS, EVS_FW_ALLOW, 1, 1000, false);
	rule("in", 21, EVS_FW_INGRESS, EVS_FW_ALLOW, 80, 80, false);
	rule("in", 22, EVS_FW_INGRESS, EVS_FW_ALLOW, 81, 81, false);
	run(&a, 1, false, &v);
	run(&b, 1, false, &v);
	ck_assert_uint_eq(live_conns(), 2);
	ck_assert_uint_eq(evs_ct_flush_match(ct, ZONE + 1, by_rule, &id), 0); /* other zone */
	ck_assert_uint_eq(evs_ct_flush_match(ct, ZONE, by_rule, &id), 1);
	ck_assert(!conn_of(40010, &mark, &eg, &in));
	ck_assert(conn_of(40011, &mark, &eg, &in));
	id = 5; /* the egress rule both share */
	ck_assert_uint_eq(evs_ct_flush_match(ct, -1, by_rule, &id), 1);
	ck_assert_uint_eq(live_conns(), 0);
}
END_TEST

static void check_unreach(const char *src, const char *dst, bool v6)
{
	struct spec u = {
	    .src = src, .dst = dst, .proto = IPPROTO_UDP, .sport = 5353, .dport = 9, .payload = 40};
	struct evs_flow_key k, ak;
	struct rte_mbuf *m = build(&u, &k), *a;
	const uint8_t *quote;
	struct rte_icmp_hdr *ic;

	a = evs_fw_build_icmp_unreach(pool, m, &k);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(evs_packet_parse(a, 0, &ak), EVS_DROP_NONE);
	ck_assert_uint_eq(ak.ip_proto, v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
	ck_assert_mem_eq(ak.src_ip, k.dst_ip, v6 ? 16 : 4);
	ck_assert_mem_eq(ak.dst_ip, k.src_ip, v6 ? 16 : 4);
	ck_assert(rte_is_same_ether_addr(&ak.dst_mac, &k.src_mac));
	ic = rte_pktmbuf_mtod_offset(a, struct rte_icmp_hdr *, a->l2_len + a->l3_len);
	ck_assert_uint_eq(ic->icmp_type, v6 ? 1 : 3);
	ck_assert_uint_eq(ic->icmp_code, v6 ? 4 : 3);
	/* the quote is the original IP packet from its first byte */
	quote = (const uint8_t *)(ic + 1);
	ck_assert_mem_eq(quote, rte_pktmbuf_mtod_offset(m, const uint8_t *, m->l2_len),
			 m->l3_len + 8);
	ck_assert_int_eq(evs_l4_cksum_verify(a, &ak), 0);
	if (!v6)
		ck_assert_uint_eq(
		    evs_ipv4_hdr_cksum(rte_pktmbuf_mtod_offset(a, void *, a->l2_len)),
		    rte_pktmbuf_mtod_offset(a, struct rte_ipv4_hdr *, a->l2_len)->hdr_checksum);
	rte_pktmbuf_free(a);
	rte_pktmbuf_free(m);
}

START_TEST(icmp_unreach_answers_udp)
{
	check_unreach("10.0.0.1", "10.0.0.2", false);
	check_unreach("fd00::1", "fd00::2", true);
}
END_TEST

START_TEST(icmp_unreach_refuses_icmp)
{
	struct spec e = {.src = "10.0.0.1",
			 .dst = "10.0.0.2",
			 .proto = IPPROTO_ICMP,
			 .icmp_type = 8,
			 .icmp_id = 7};
	struct evs_flow_key k;
	struct rte_mbuf *m = build(&e, &k);

	errno = 0;
	ck_assert_ptr_null(evs_fw_build_icmp_unreach(pool, m, &k));
	ck_assert_int_eq(errno, EINVAL);
	rte_pktmbuf_free(m);
}
END_TEST

START_TEST(vnic_of_finds_filtered_ports)
{
	struct evs_fw_port_conf pc = {.n_addrs = 2, .n_groups = 1, .groups = {"in"}};
	struct evs_flow_key k4, k6;
	struct spec s4 = syn(1, 80), s6 = {.src = "fd00::1",
					   .dst = "fd00::2",
					   .proto = IPPROTO_UDP,
					   .sport = 1,
					   .dport = 2};
	struct rte_mbuf *m;

	m = build(&s4, &k4);
	rte_pktmbuf_free(m);
	m = build(&s6, &k6);
	rte_pktmbuf_free(m);
	pc.addrs[0] = (struct evs_fw_cidr){.af = 4, .plen = 32};
	addr("10.0.0.2", pc.addrs[0].addr);
	pc.addrs[1] = (struct evs_fw_cidr){.af = 6, .plen = 128};
	addr("fd00::2", pc.addrs[1].addr);
	ck_assert_int_eq(evs_fw_vnic_of(fw, &k4), -1);
	ck_assert_int_eq(evs_fw_port_set(fw, 3, &pc), 0);
	ck_assert_int_eq(evs_fw_vnic_of(fw, &k4), -1); /* staged, not published */
	ck_assert_int_eq(evs_fw_commit(fw), 0);
	ck_assert_int_eq(evs_fw_vnic_of(fw, &k4), 3);
	ck_assert_int_eq(evs_fw_vnic_of(fw, &k6), 3);
	pc.n_groups = 0; /* an unfiltered port's addresses are not a destination */
	ck_assert_int_eq(evs_fw_port_set(fw, 3, &pc), 0);
	ck_assert_int_eq(evs_fw_commit(fw), 0);
	ck_assert_int_eq(evs_fw_vnic_of(fw, &k4), -1);
}
END_TEST

static struct evs_fw_snat snat(const char *src, uint8_t plen, const char *to)
{
	struct evs_fw_snat r = {
	    .src = {.af = 4, .plen = plen},
	    .to = {.kind = EVS_CT_NAT_SRC, .port_min = 20000, .port_max = 20009}};

	addr(src, r.src.addr);
	addr(to, r.to.addr_min);
	addr(to, r.to.addr_max);
	return r;
}

START_TEST(snat_most_specific_wins)
{
	struct evs_fw_snat t[2] = {snat("10.0.0.0", 8, "192.0.2.1"),
				   snat("10.0.0.0", 24, "192.0.2.2")};
	struct spec sp = syn(40020, 80), other = {.src = "172.16.0.1",
						  .dst = "10.0.0.2",
						  .proto = IPPROTO_UDP,
						  .sport = 1,
						  .dport = 2};
	struct evs_flow_key k, ko;
	struct rte_mbuf *m = build(&sp, &k), *mo = build(&other, &ko);
	uint8_t want[16];

	rte_pktmbuf_free(m);
	rte_pktmbuf_free(mo);
	ck_assert(!evs_fw_has_snat(fw));
	ck_assert_int_eq(evs_fw_snat_stage(fw, t, 2), 0);
	ck_assert_ptr_null(evs_fw_snat_of(fw, &k)); /* staged only */
	evs_fw_snat_publish(fw);
	ck_assert(evs_fw_has_snat(fw));
	addr("192.0.2.2", want);
	ck_assert_mem_eq(evs_fw_snat_of(fw, &k)->addr_min, want, 4);
	ck_assert_ptr_null(evs_fw_snat_of(fw, &ko));
	/* a reply to a translated address is recognised */
	memcpy(ko.dst_ip, want, 4);
	ck_assert(evs_fw_snat_addr(fw, &ko));
	ko.dst_ip[3]++;
	ck_assert(!evs_fw_snat_addr(fw, &ko));
	t[0].to.port_min = 30000; /* upside down */
	t[0].to.port_max = 20000;
	ck_assert_int_eq(evs_fw_snat_stage(fw, t, 2), -EINVAL);
	ck_assert_int_eq(evs_fw_snat_stage(fw, NULL, 0), 0);
	evs_fw_snat_publish(fw);
	ck_assert(!evs_fw_has_snat(fw));
}
END_TEST

START_TEST(snat_commit_translates)
{
	struct evs_fw_snat t = snat("10.0.0.0", 24, "192.0.2.9");
	struct spec sp[2] = {syn(40030, 80), syn(40031, 80)};
	struct evs_fw_verdict v[2];
	struct evs_ct_conn_info ci;
	uint16_t ports[2];
	uint32_t pos = 0;
	int n = 0;

	rule("out", 5, EVS_FW_EGRESS, EVS_FW_ALLOW, 1, 1000, false);
	rule("in", 9, EVS_FW_INGRESS, EVS_FW_ALLOW, 80, 80, false);
	ck_assert_int_eq(evs_fw_snat_stage(fw, &t, 1), 0);
	evs_fw_snat_publish(fw);
	ck_assert_uint_eq(run(sp, 2, false, v), 0);
	while (evs_ct_iterate(ct, &pos, &ci) == 0) {
		uint8_t want[16];

		addr("192.0.2.9", want);
		ck_assert_mem_eq(ci.reply.dst, want, 4);
		ports[n++] = rte_be_to_cpu_16(ci.reply.dport);
		ck_assert_uint_eq(ci.mark, 9);
	}
	ck_assert_int_eq(n, 2);
	ck_assert_uint_ge(ports[0], 20000);
	ck_assert_uint_le(ports[0], 20009);
	ck_assert_uint_ne(ports[0], ports[1]); /* two connections, two translations */
}
END_TEST

START_TEST(dnat_decides_on_the_translated_destination)
{
	struct evs_fw_dnat d = {.af = 4,
				.proto = IPPROTO_TCP,
				.port = 80,
				.to = {.kind = EVS_CT_NAT_DST, .port_min = 8080, .port_max = 8080}};
	struct evs_fw_new_args a = {
	    .fw = fw, .ct = lc, .zone = ZONE, .src_port = -1, .dst_port = DST};
	struct spec sp = syn(40040, 80);
	struct evs_flow_key k;
	struct evs_fw_verdict v;
	struct evs_ct_action look = {.zone = ZONE};
	struct evs_ct_conn_info ci;
	struct rte_mbuf *m;
	uint32_t pos = 0;

	addr("10.0.0.2", d.addr); /* syn() goes to 10.0.0.2:80 */
	addr("10.0.0.5", d.to.addr_min);
	addr("10.0.0.5", d.to.addr_max);
	ck_assert_int_eq(evs_fw_dnat_stage(fw, &d, 1), 0);
	evs_fw_dnat_publish(fw);
	ck_assert(evs_fw_has_dnat(fw));
	m = build(&sp, &k);
	ck_assert_int_eq(evs_fw_dnat_of(fw, &k), 0);
	a.dnat = evs_fw_dnat_at(fw, 0);
	/* a rule for port 80 does not allow it: the destination is 8080 now */
	rule("in", 9, EVS_FW_INGRESS, EVS_FW_ALLOW, 80, 80, false);
	evs_ct_execute_burst(lc, &look, &m, &k, 1);
	ck_assert_uint_eq(evs_fw_new_burst(&a, &m, &k, 1, &v), 1);
	rte_pktmbuf_free(m);
	rule("in", 10, EVS_FW_INGRESS, EVS_FW_ALLOW, 8080, 8080, false);
	m = build(&sp, &k);
	evs_ct_execute_burst(lc, &look, &m, &k, 1);
	ck_assert_uint_eq(evs_fw_new_burst(&a, &m, &k, 1, &v), 0);
	ck_assert_uint_eq(v.rule_id, 10);
	/* committed translated: the packet and the connection go to 10.0.0.5:8080 */
	ck_assert_uint_eq(rte_be_to_cpu_16(k.l4_dst), 8080);
	ck_assert_int_eq(evs_ct_iterate(ct, &pos, &ci), 0);
	ck_assert_uint_eq(rte_be_to_cpu_16(ci.reply.sport), 8080);
	ck_assert_mem_eq(ci.reply.src, d.to.addr_min, 4);
	rte_pktmbuf_free(m);
}
END_TEST

/*
 * Hairpin: a client inside an SNAT source range reaching a DNAT address
 * gets both translations in one connection (a burst of three: each its
 * own source port in the SNAT range); the server's reply is translated
 * back to what the client sent to; a client outside the range gets DNAT
 * alone.
 */
START_TEST(dnat_and_snat_in_one_connection)
{
	struct evs_fw_dnat d = {.af = 4,
				.proto = IPPROTO_TCP,
				.port = 80,
				.to = {.kind = EVS_CT_NAT_DST, .port_min = 8080, .port_max = 8080}};
	struct evs_fw_snat t = snat("10.0.0.0", 24, "192.0.2.9");
	struct evs_fw_new_args a = {
	    .fw = fw, .ct = lc, .zone = ZONE, .src_port = -1, .dst_port = DST, .looked_up = true};
	struct evs_ct_action look = {.zone = ZONE}, nat = {.zone = ZONE, .flags = EVS_CT_F_NAT};
	struct spec sp[4] = {syn(40050, 80), syn(40051, 80), syn(40052, 80), syn(40053, 80)};
	struct evs_flow_key k[4], rk;
	struct evs_fw_verdict v[4];
	struct rte_mbuf *m[4], *r;
	uint8_t pub[16], srv[16], cli[16], out[16];

	sp[3].src = "172.16.0.1"; /* outside the SNAT rule */
	addr("10.0.0.2", d.addr);
	addr("10.0.0.5", d.to.addr_min);
	addr("10.0.0.5", d.to.addr_max);
	addr("10.0.0.2", pub);
	addr("10.0.0.5", srv);
	addr("10.0.0.1", cli);
	addr("192.0.2.9", out);
	ck_assert_int_eq(evs_fw_dnat_stage(fw, &d, 1), 0);
	evs_fw_dnat_publish(fw);
	ck_assert_int_eq(evs_fw_snat_stage(fw, &t, 1), 0);
	evs_fw_snat_publish(fw);
	a.dnat = evs_fw_dnat_at(fw, 0);
	rule("in", 10, EVS_FW_INGRESS, EVS_FW_ALLOW, 8080, 8080, false);
	for (int i = 0; i < 4; i++)
		m[i] = build(&sp[i], &k[i]);
	evs_ct_execute_burst(lc, &look, m, k, 4);
	ck_assert_uint_eq(evs_fw_new_burst(&a, m, k, 4, v), 0);
	for (int i = 0; i < 4; i++) {
		const uint8_t *ip = rte_pktmbuf_mtod_offset(m[i], uint8_t *, 14);
		uint16_t sport = rte_be_to_cpu_16(k[i].l4_src);

		ck_assert_mem_eq(ip + 16, srv, 4);
		ck_assert_uint_eq(rte_be_to_cpu_16(k[i].l4_dst), 8080);
		if (i == 3) {
			ck_assert_uint_eq(k[i].ct_state, CT_NEW | EVS_CT_DNAT);
			ck_assert_uint_eq(sport, 40053);
			continue;
		}
		ck_assert_uint_eq(k[i].ct_state, CT_NEW | EVS_CT_SNAT | EVS_CT_DNAT);
		ck_assert_mem_eq(ip + 12, out, 4);
		ck_assert_uint_ge(sport, 20000);
		ck_assert_uint_le(sport, 20009);
		for (int j = 0; j < i; j++)
			ck_assert_uint_ne(k[j].l4_src, k[i].l4_src);
		ck_assert_int_eq(evs_l4_cksum_verify(m[i], &k[i]), 0);
	}
	ck_assert_uint_eq(live_conns(), 4);
	/* the server answers the translated source; the client sees its peer */
	r = build(&(struct spec){.src = "10.0.0.5",
				 .dst = "192.0.2.9",
				 .proto = IPPROTO_TCP,
				 .sport = 8080,
				 .dport = rte_be_to_cpu_16(k[1].l4_src),
				 .flags = SYN | ACK,
				 .seq = 900,
				 .ack = 101,
				 .win = 65535},
		  &rk);
	evs_ct_execute_burst(lc, &nat, &r, &rk, 1);
	ck_assert_uint_eq(rk.ct_state, CT_RPL | EVS_CT_SNAT | EVS_CT_DNAT);
	ck_assert_mem_eq(rte_pktmbuf_mtod_offset(r, uint8_t *, 14 + 12), pub, 4);
	ck_assert_mem_eq(rte_pktmbuf_mtod_offset(r, uint8_t *, 14 + 16), cli, 4);
	ck_assert_uint_eq(rte_be_to_cpu_16(rk.l4_src), 80);
	ck_assert_uint_eq(rte_be_to_cpu_16(rk.l4_dst), 40051);
	ck_assert_int_eq(evs_l4_cksum_verify(r, &rk), 0);
	rte_pktmbuf_free(r);
	rte_pktmbuf_free_bulk(m, 4);
}
END_TEST

void fw_new_add_cases(Suite *s)
{
	const struct unit_case cases[] = {
	    {"new_both_sides_must_allow", both_sides_must_allow},
	    {"new_egress_decides_first", egress_decides_first},
	    {"new_dry_run_leaves_nothing", dry_run_leaves_nothing},
	    {"new_stateless_commits_nothing", stateless_commits_nothing},
	    {"new_mixed_burst_commits_each_pair", mixed_burst_commits_each_pair},
	    {"new_looked_up_commit_finds_existing", looked_up_commit_finds_existing},
	    {"new_flush_match_removes_a_rules_connections",
	     flush_match_removes_a_rules_connections},
	    {"new_icmp_unreach_answers_udp", icmp_unreach_answers_udp},
	    {"new_icmp_unreach_refuses_icmp", icmp_unreach_refuses_icmp},
	    {"new_vnic_of_finds_filtered_ports", vnic_of_finds_filtered_ports},
	    {"new_snat_most_specific_wins", snat_most_specific_wins},
	    {"new_snat_commit_translates", snat_commit_translates},
	    {"new_dnat_decides_on_the_translated_destination",
	     dnat_decides_on_the_translated_destination},
	    {"new_dnat_and_snat_in_one_connection", dnat_and_snat_in_one_connection},
	};

	unit_add_cases(s, cases, RTE_DIM(cases), fx_setup, fx_teardown, 0);
}
