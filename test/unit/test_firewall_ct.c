/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * evs_fw_ct_burst against a real connection table (the conntrack suite's
 * fixture and packet builder): rules decide new connections once, the
 * verdict lives in ct_mark, replies pass on state, denied packets create
 * nothing, and removing a rule cuts new connections only.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "ct_test.h"
#include "evs_firewall.h"
#include "unit_case.h"

void fw_ct_add_cases(Suite *s);

static struct evs_fw *fw;

enum { VM_PORT = 1 };

static void fx_setup(void)
{
	struct evs_fw_config c = {.name = "x",
				  .socket_id = SOCKET_ID_ANY,
				  .n_lcores = 1,
				  .max_rules = 16,
				  .max_groups = 2,
				  .max_ports = 4};
	struct evs_fw_port_conf pc = {.n_groups = 1, .groups = {"g"}};

	ct_setup();
	fw = evs_fw_create(&c);
	ck_assert_ptr_nonnull(fw);
	ck_assert_int_eq(evs_fw_group_add(fw, "g"), 0);
	ck_assert_int_eq(evs_fw_port_set(fw, VM_PORT, &pc), 0);
}

static void fx_teardown(void)
{
	evs_fw_free(fw);
	ct_teardown();
}

static void add_rule(uint32_t id, enum evs_fw_dir dir, uint8_t proto, uint16_t dport)
{
	struct evs_fw_rule r = {.id = id,
				.priority = 1,
				.dir = dir,
				.action = EVS_FW_ALLOW,
				.proto = proto,
				.sport_hi = UINT16_MAX,
				.dport_lo = dport,
				.dport_hi = dport};

	ck_assert_int_eq(evs_fw_rule_add(fw, "g", &r), 0);
	ck_assert_int_eq(evs_fw_commit(fw), 0);
}

/* Run specs s[0..n) as one burst through the VM port in @dir. */
static uint16_t run(const struct spec *s, uint16_t n, enum evs_fw_dir dir, struct evs_fw_verdict *v)
{
	struct evs_fw_ct_args a = {.fw = fw, .ct = lc, .port = VM_PORT, .dir = dir};
	struct evs_flow_key keys[EVS_FW_BURST_MAX];
	struct rte_mbuf *m[EVS_FW_BURST_MAX];
	uint16_t i, denied;

	for (i = 0; i < n; i++)
		m[i] = build(&s[i], &keys[i]);
	denied = evs_fw_ct_burst(&a, m, keys, n, v);
	rte_pktmbuf_free_bulk(m, n);
	return denied;
}

static struct evs_fw_verdict one(const struct spec *s, enum evs_fw_dir dir)
{
	struct evs_fw_verdict v;

	run(s, 1, dir, &v);
	return v;
}

static struct spec tcp(const char *src, const char *dst, uint16_t sport, uint16_t dport,
		       uint8_t flags, uint32_t seq, uint32_t ack)
{
	return (struct spec){.src = src,
			     .dst = dst,
			     .proto = IPPROTO_TCP,
			     .sport = sport,
			     .dport = dport,
			     .flags = flags,
			     .seq = seq,
			     .ack = ack,
			     .win = 65535};
}

START_TEST(ct_inbound_allowed_replies_pass)
{
	struct spec syn = tcp("10.0.0.9", "10.0.0.1", 40000, 80, SYN, 100, 0);
	struct spec synack = tcp("10.0.0.1", "10.0.0.9", 80, 40000, SYN | ACK, 500, 101);
	struct spec ackp = tcp("10.0.0.9", "10.0.0.1", 40000, 80, ACK, 101, 501);
	struct evs_fw_verdict v;
	struct evs_ct_conn_info ci;
	uint32_t pos = 0;

	add_rule(7, EVS_FW_INGRESS, IPPROTO_TCP, 80);
	v = one(&syn, EVS_FW_INGRESS);
	ck_assert_int_eq(v.action, EVS_FW_ALLOW);
	ck_assert_uint_eq(v.rule_id, 7);
	ck_assert_uint_eq(live_conns(), 1);
	ck_assert_int_eq(evs_ct_iterate(ct, &pos, &ci), 0);
	ck_assert_uint_eq(ci.mark, 7); /* the verdict lives in the connection */
	/* The reply leaves the VM (egress has no rule) and passes on state. */
	v = one(&synack, EVS_FW_EGRESS);
	ck_assert_int_eq(v.action, EVS_FW_ALLOW);
	ck_assert_uint_eq(v.rule_id, 7);
	v = one(&ackp, EVS_FW_INGRESS);
	ck_assert_int_eq(v.action, EVS_FW_ALLOW);
	ck_assert_uint_eq(v.rule_id, 7);
}
END_TEST

START_TEST(ct_unsolicited_inbound_dropped)
{
	struct spec out = tcp("10.0.0.1", "192.0.2.5", 33000, 443, SYN, 1, 0);
	struct spec reply = tcp("192.0.2.5", "10.0.0.1", 443, 33000, SYN | ACK, 900, 2);
	struct spec unsolicited = tcp("192.0.2.5", "10.0.0.1", 443, 33001, SYN, 900, 0);
	uint64_t hits;

	add_rule(3, EVS_FW_EGRESS, IPPROTO_TCP, 443);
	ck_assert_int_eq(one(&unsolicited, EVS_FW_INGRESS).action, EVS_FW_DENY);
	ck_assert_uint_eq(live_conns(), 0); /* a denied packet creates nothing */
	ck_assert_int_eq(one(&out, EVS_FW_EGRESS).action, EVS_FW_ALLOW);
	ck_assert_int_eq(one(&reply, EVS_FW_INGRESS).action, EVS_FW_ALLOW);
	/* Only the first packet consulted the rules. */
	ck_assert_int_eq(evs_fw_rule_hits(fw, 3, &hits), 0);
	ck_assert_uint_eq(hits, 1);
}
END_TEST

START_TEST(ct_rule_removed_cuts_new_only)
{
	struct spec syn1 = tcp("10.0.0.9", "10.0.0.1", 40000, 22, SYN, 100, 0);
	struct spec synack1 = tcp("10.0.0.1", "10.0.0.9", 22, 40000, SYN | ACK, 500, 101);
	struct spec data1 = tcp("10.0.0.9", "10.0.0.1", 40000, 22, ACK, 101, 501);
	struct spec syn2 = tcp("10.0.0.9", "10.0.0.1", 40001, 22, SYN, 100, 0);

	add_rule(5, EVS_FW_INGRESS, IPPROTO_TCP, 22);
	ck_assert_int_eq(one(&syn1, EVS_FW_INGRESS).action, EVS_FW_ALLOW);
	ck_assert_int_eq(one(&synack1, EVS_FW_EGRESS).action, EVS_FW_ALLOW);
	ck_assert_int_eq(evs_fw_rule_del(fw, 5), 0);
	ck_assert_int_eq(evs_fw_commit(fw), 0);
	ck_assert_int_eq(one(&syn2, EVS_FW_INGRESS).action, EVS_FW_DENY);
	ck_assert_int_eq(one(&data1, EVS_FW_INGRESS).action, EVS_FW_ALLOW);
}
END_TEST

/* A 32-packet burst of new connections: two rules allow, the rest are
 * denied; each allowed connection carries its own rule's id. */
START_TEST(ct_mixed_burst_marks_per_rule)
{
	struct spec s[32];
	struct evs_fw_verdict v[32];
	struct evs_ct_conn_info ci;
	uint32_t pos = 0, by_mark[3] = {0, 0, 0};
	uint16_t i;

	add_rule(1, EVS_FW_INGRESS, IPPROTO_TCP, 80);
	add_rule(2, EVS_FW_INGRESS, IPPROTO_UDP, 53);
	for (i = 0; i < 32; i++) {
		s[i] = tcp("10.0.0.9", "10.0.0.1", (uint16_t)(20000 + i),
			   i % 3 == 0 ? 80 : (i % 3 == 1 ? 53 : 25), SYN, 1, 0);
		if (i % 3 == 1)
			s[i] = (struct spec){.src = "10.0.0.9",
					     .dst = "10.0.0.1",
					     .proto = IPPROTO_UDP,
					     .sport = (uint16_t)(20000 + i),
					     .dport = 53,
					     .payload = 8};
	}
	ck_assert_uint_eq(run(s, 32, EVS_FW_INGRESS, v), 10);
	for (i = 0; i < 32; i++)
		ck_assert_uint_eq(v[i].rule_id, i % 3 == 2 ? 0 : (i % 3 == 0 ? 1 : 2));
	while (evs_ct_iterate(ct, &pos, &ci) == 0)
		by_mark[ci.mark < 3 ? ci.mark : 0]++;
	ck_assert_uint_eq(by_mark[1], 11);
	ck_assert_uint_eq(by_mark[2], 11);
	ck_assert_uint_eq(by_mark[0], 0);
}
END_TEST

/* Build the reset answering @s and parse it into @k (with its TCP header). */
static struct rte_mbuf *rst_of(const struct spec *s, struct evs_flow_key *k,
			       const struct rte_tcp_hdr **th)
{
	struct evs_flow_key ok;
	struct rte_mbuf *o = build(s, &ok), *r;

	r = evs_fw_build_tcp_rst(pool, o, &ok);
	rte_pktmbuf_free(o);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(evs_packet_parse(r, 0, k), EVS_DROP_NONE);
	ck_assert_int_eq(evs_l4_cksum_verify(r, k), 0);
	*th = rte_pktmbuf_mtod_offset(r, const struct rte_tcp_hdr *, r->l2_len + r->l3_len);
	return r;
}

START_TEST(reject_rst_answers_syn)
{
	struct spec syn = tcp("10.0.0.9", "10.0.0.1", 40000, 25, SYN, 1000, 0);
	struct spec syn6 = tcp("fd00::9", "fd00::1", 40000, 25, SYN, 7, 0);
	const struct rte_tcp_hdr *th;
	struct evs_flow_key k;
	struct rte_mbuf *r;
	uint8_t a[16];

	r = rst_of(&syn, &k, &th);
	addr("10.0.0.1", a);
	ck_assert_mem_eq(k.src_ip, a, 4);
	ck_assert_uint_eq(rte_be_to_cpu_16(k.l4_src), 25);
	ck_assert_uint_eq(rte_be_to_cpu_16(k.l4_dst), 40000);
	ck_assert_uint_eq(k.tcp_flags, RST | ACK);
	ck_assert_uint_eq(rte_be_to_cpu_32(th->recv_ack), 1001); /* the SYN counts one */
	rte_pktmbuf_free(r);
	r = rst_of(&syn6, &k, &th);
	addr("fd00::1", a);
	ck_assert_mem_eq(k.src_ip, a, 16);
	ck_assert_uint_eq(rte_be_to_cpu_32(th->recv_ack), 8);
	rte_pktmbuf_free(r);
}
END_TEST

START_TEST(reject_rst_takes_seq_from_ack)
{
	struct spec data = tcp("10.0.0.9", "10.0.0.1", 40000, 25, ACK | PSH, 1000, 5555);
	struct spec rst = tcp("10.0.0.9", "10.0.0.1", 40000, 25, RST, 1000, 0);
	const struct rte_tcp_hdr *th;
	struct evs_flow_key k, ok;
	struct rte_mbuf *r, *o;

	data.payload = 100;
	r = rst_of(&data, &k, &th);
	ck_assert_uint_eq(k.tcp_flags, RST);
	ck_assert_uint_eq(rte_be_to_cpu_32(th->sent_seq), 5555);
	rte_pktmbuf_free(r);
	/* Never a reset for a reset. */
	o = build(&rst, &ok);
	ck_assert_ptr_null(evs_fw_build_tcp_rst(pool, o, &ok));
	ck_assert_int_eq(errno, EINVAL);
	rte_pktmbuf_free(o);
}
END_TEST

void fw_ct_add_cases(Suite *s)
{
	const struct unit_case cases[] = {
	    {"ct_inbound_allowed_replies_pass", ct_inbound_allowed_replies_pass},
	    {"ct_unsolicited_inbound_dropped", ct_unsolicited_inbound_dropped},
	    {"ct_rule_removed_cuts_new_only", ct_rule_removed_cuts_new_only},
	    {"ct_mixed_burst_marks_per_rule", ct_mixed_burst_marks_per_rule},
	    {"reject_rst_answers_syn", reject_rst_answers_syn},
	    {"reject_rst_takes_seq_from_ack", reject_rst_takes_seq_from_ack},
	};

	unit_add_cases(s, cases, RTE_DIM(cases), fx_setup, fx_teardown, 0);
}
