/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/firewall: object validation, verdict semantics, the denied-packet
 * log, and the compiled rte_acl contexts checked against a naive linear
 * reference on random rule sets, packets and tag changes.
 * `test_firewall --bench GROUPS RULES_PER_GROUP` runs lookups only, for
 * callgrind (doc/firewall.md).
 */

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>

#include <check.h>
#include <rte_byteorder.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ether.h>

#include "evs_firewall.h"
#include "evs_tunnel.h"
#include "fw_test.h"
#include "unit_eal.h"

void fw_ctl_add_cases(Suite *s);   /* test_firewall_ctl.c */
void fw_ct_add_cases(Suite *s);	   /* test_firewall_ct.c */
void fw_store_add_cases(Suite *s); /* test_fw_store.c */
void fw_new_add_cases(Suite *s);   /* test_fw_new.c */

struct rte_mempool *pool; /* the conntrack harness's packets */

static enum fw_bench_mode bench_mode(const char *flag)
{
	return strcmp(flag, "--no-fw") == 0	  ? FW_BENCH_NO_FW
	       : strcmp(flag, "--unreplied") == 0 ? FW_BENCH_UNREPLIED
	       : strcmp(flag, "--new") == 0	  ? FW_BENCH_NEW
	       : strcmp(flag, "--new-tcp") == 0	  ? FW_BENCH_NEW_TCP
	       : strcmp(flag, "--frag") == 0	  ? FW_BENCH_FRAG
						  : FW_BENCH_ESTABLISHED;
}

static struct evs_fw_config base_cfg(void)
{
	return (struct evs_fw_config){
	    .name = "t",
	    .socket_id = SOCKET_ID_ANY,
	    .n_lcores = 2,
	    .max_rules = 256,
	    .max_groups = 8,
	    .max_addrsets = 4,
	    .max_addrs = 16,
	    .max_ports = 16,
	    .log_size = 8,
	    .log_rate = 1000,
	};
}

static struct evs_fw *mk(void)
{
	struct evs_fw_config c = base_cfg();
	struct evs_fw *fw = evs_fw_create(&c);

	ck_assert_ptr_nonnull(fw);
	return fw;
}

static struct evs_fw_cidr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint8_t plen)
{
	return (struct evs_fw_cidr){.af = 4, .plen = plen, .addr = {a, b, c, d}};
}

static struct evs_flow_key key4(const uint8_t src[4], const uint8_t dst[4], uint8_t proto,
				uint16_t sport, uint16_t dport)
{
	struct evs_flow_key k;

	memset(&k, 0, sizeof(k));
	k.ethertype = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	k.ip_proto = proto;
	memcpy(k.src_ip, src, 4);
	memcpy(k.dst_ip, dst, 4);
	k.l4_src = rte_cpu_to_be_16(sport);
	k.l4_dst = rte_cpu_to_be_16(dport);
	return k;
}

/* A TCP rule to destination port @port from anywhere. */
static struct evs_fw_rule tcp_rule(uint32_t id, uint32_t prio, enum evs_fw_action a, uint16_t port)
{
	return (struct evs_fw_rule){.id = id,
				    .priority = prio,
				    .dir = EVS_FW_INGRESS,
				    .action = a,
				    .proto = IPPROTO_TCP,
				    .sport_hi = UINT16_MAX,
				    .dport_lo = port,
				    .dport_hi = port};
}

static void port_bind(struct evs_fw *fw, uint16_t port, const char *group)
{
	struct evs_fw_port_conf pc = {.n_groups = group != NULL};

	if (group != NULL)
		snprintf(pc.groups[0], EVS_FW_NAME_MAX, "%s", group);
	ck_assert_int_eq(evs_fw_port_set(fw, port, &pc), 0);
}

static struct evs_fw_verdict one(struct evs_fw *fw, uint16_t port, enum evs_fw_dir dir,
				 const struct evs_flow_key *k)
{
	const struct evs_flow_key *keys[1] = {k};
	struct evs_fw_verdict v;

	evs_fw_classify_burst(fw, 0, port, dir, keys, 1, &v);
	return v;
}

static const uint8_t A1[4] = {10, 0, 0, 1}, A2[4] = {10, 0, 0, 2}, B1[4] = {10, 0, 1, 1};

START_TEST(create_rejects_bad_config)
{
	struct evs_fw_config c = base_cfg();

	c.log_size = 6;
	ck_assert_ptr_null(evs_fw_create(&c));
	ck_assert_int_eq(errno, EINVAL);
	c = base_cfg();
	c.max_rules = 0;
	ck_assert_ptr_null(evs_fw_create(&c));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(evs_fw_create(NULL));
	evs_fw_free(NULL);
}
END_TEST

START_TEST(rule_add_validates)
{
	struct evs_fw *fw = mk();
	struct evs_fw_rule r = tcp_rule(1, 10, EVS_FW_ALLOW, 80);
	struct evs_fw_cidr bad = v4(10, 0, 0, 1, 24); /* host bits set */

	ck_assert_int_eq(evs_fw_group_add(fw, "g"), 0);
	ck_assert_int_eq(evs_fw_group_add(fw, "g"), -EEXIST);
	ck_assert_int_eq(evs_fw_group_add(fw, ""), -EINVAL);
	ck_assert_int_eq(evs_fw_rule_add(fw, "nope", &r), -ENOENT);
	ck_assert_int_eq(evs_fw_rule_add(fw, "g", &r), 0);
	ck_assert_int_eq(evs_fw_rule_add(fw, "g", &r), -EEXIST);
	r.id = 0;
	ck_assert_int_eq(evs_fw_rule_add(fw, "g", &r), -EINVAL);
	r = tcp_rule(2, 10, EVS_FW_ALLOW, 80);
	r.dport_lo = 90;
	ck_assert_int_eq(evs_fw_rule_add(fw, "g", &r), -EINVAL);
	r = tcp_rule(2, 10, EVS_FW_ALLOW, 80);
	r.proto = IPPROTO_GRE; /* ports on a protocol without ports */
	ck_assert_int_eq(evs_fw_rule_add(fw, "g", &r), -EINVAL);
	r = tcp_rule(2, 10, 7, 80);
	ck_assert_int_eq(evs_fw_rule_add(fw, "g", &r), -EINVAL);
	r = tcp_rule(2, EVS_FW_PRIORITY_MAX + 1, EVS_FW_ALLOW, 80);
	ck_assert_int_eq(evs_fw_rule_add(fw, "g", &r), -EINVAL);
	r = tcp_rule(2, 10, EVS_FW_ALLOW, 80);
	r.src.kind = EVS_FW_ADDR_CIDR;
	r.src.cidr = bad;
	ck_assert_int_eq(evs_fw_rule_add(fw, "g", &r), -EINVAL);
	r.src.kind = EVS_FW_ADDR_SET;
	snprintf(r.src.name, sizeof(r.src.name), "missing");
	ck_assert_int_eq(evs_fw_rule_add(fw, "g", &r), -ENOENT);
	ck_assert_int_eq(evs_fw_addrset_set(fw, "s", &bad, 1), -EINVAL);
	ck_assert_int_eq(evs_fw_rule_del(fw, 99), -ENOENT);
	ck_assert_int_eq(evs_fw_rule_del(fw, 1), 0);
	evs_fw_free(fw);
}
END_TEST

START_TEST(unfiltered_port_allows)
{
	struct evs_fw *fw = mk();
	struct evs_flow_key k = key4(A1, A2, IPPROTO_TCP, 1000, 22), arp = k;
	struct evs_fw_verdict v;
	uint64_t st[EVS_FW_C_MAX];

	ck_assert_int_eq(evs_fw_group_add(fw, "g"), 0);
	port_bind(fw, 1, "g");
	ck_assert_int_eq(evs_fw_commit(fw), 0);
	v = one(fw, 0, EVS_FW_INGRESS, &k); /* port 0 has no group */
	ck_assert_int_eq(v.action, EVS_FW_ALLOW);
	ck_assert_uint_eq(v.rule_id, 0);
	arp.ethertype = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	v = one(fw, 1, EVS_FW_INGRESS, &arp);
	ck_assert_int_eq(v.action, EVS_FW_ALLOW);
	evs_fw_stats(fw, st);
	ck_assert_uint_eq(st[EVS_FW_C_UNFILTERED], 2);
	evs_fw_free(fw);
}
END_TEST

START_TEST(default_deny_both_directions)
{
	struct evs_fw *fw = mk();
	struct evs_flow_key k = key4(A1, A2, IPPROTO_TCP, 1000, 22);
	struct evs_fw_rule r = tcp_rule(1, 10, EVS_FW_ALLOW, 22);
	uint64_t st[EVS_FW_C_MAX];

	ck_assert_int_eq(evs_fw_group_add(fw, "g"), 0);
	ck_assert_int_eq(evs_fw_rule_add(fw, "g", &r), 0);
	port_bind(fw, 3, "g");
	ck_assert_int_eq(evs_fw_commit(fw), 0);
	ck_assert_int_eq(one(fw, 3, EVS_FW_INGRESS, &k).action, EVS_FW_ALLOW);
	ck_assert_uint_eq(one(fw, 3, EVS_FW_INGRESS, &k).rule_id, 1);
	/* The rule is ingress: egress has none and denies. */
	ck_assert_int_eq(one(fw, 3, EVS_FW_EGRESS, &k).action, EVS_FW_DENY);
	ck_assert_uint_eq(one(fw, 3, EVS_FW_EGRESS, &k).rule_id, 0);
	evs_fw_stats(fw, st);
	ck_assert_uint_eq(st[EVS_FW_C_DEFAULT_DENY], 2);
	ck_assert_uint_eq(st[EVS_FW_C_ALLOW], 2);
	evs_fw_free(fw);
}
END_TEST

START_TEST(priority_then_lower_id_wins)
{
	struct evs_fw *fw = mk();
	struct evs_flow_key k = key4(A1, A2, IPPROTO_TCP, 1000, 80);
	struct evs_fw_rule lo = tcp_rule(5, 10, EVS_FW_ALLOW, 80);
	struct evs_fw_rule hi = tcp_rule(9, 20, EVS_FW_REJECT, 80);
	struct evs_fw_rule tie = tcp_rule(7, 20, EVS_FW_DENY, 80);
	struct evs_fw_port_conf pc = {.n_groups = 2, .groups = {"a", "b"}};

	ck_assert_int_eq(evs_fw_group_add(fw, "a"), 0);
	ck_assert_int_eq(evs_fw_group_add(fw, "b"), 0);
	ck_assert_int_eq(evs_fw_rule_add(fw, "a", &lo), 0);
	ck_assert_int_eq(evs_fw_port_set(fw, 2, &pc), 0);
	ck_assert_int_eq(evs_fw_commit(fw), 0);
	ck_assert_uint_eq(one(fw, 2, EVS_FW_INGRESS, &k).rule_id, 5);
	/* A higher priority in another group of the port wins. */
	ck_assert_int_eq(evs_fw_rule_add(fw, "b", &hi), 0);
	ck_assert_int_eq(evs_fw_commit(fw), 0);
	ck_assert_uint_eq(one(fw, 2, EVS_FW_INGRESS, &k).rule_id, 9);
	ck_assert_int_eq(one(fw, 2, EVS_FW_INGRESS, &k).action, EVS_FW_REJECT);
	/* Equal priority: the lower id, in the same group or not. */
	ck_assert_int_eq(evs_fw_rule_add(fw, "a", &tie), 0);
	ck_assert_int_eq(evs_fw_commit(fw), 0);
	ck_assert_uint_eq(one(fw, 2, EVS_FW_INGRESS, &k).rule_id, 7);
	evs_fw_free(fw);
}
END_TEST

START_TEST(icmp_type_and_code)
{
	struct evs_fw *fw = mk();
	struct evs_fw_rule r = {.id = 1,
				.priority = 1,
				.dir = EVS_FW_INGRESS,
				.action = EVS_FW_ALLOW,
				.proto = IPPROTO_ICMP,
				.sport_lo = 8,
				.sport_hi = 8,
				.dport_hi = 0};
	struct evs_flow_key echo = key4(A1, A2, IPPROTO_ICMP, 8, 0);
	struct evs_flow_key unreach = key4(A1, A2, IPPROTO_ICMP, 3, 1);

	ck_assert_int_eq(evs_fw_group_add(fw, "g"), 0);
	ck_assert_int_eq(evs_fw_rule_add(fw, "g", &r), 0);
	port_bind(fw, 0, "g");
	ck_assert_int_eq(evs_fw_commit(fw), 0);
	ck_assert_int_eq(one(fw, 0, EVS_FW_INGRESS, &echo).action, EVS_FW_ALLOW);
	ck_assert_int_eq(one(fw, 0, EVS_FW_INGRESS, &unreach).action, EVS_FW_DENY);
	evs_fw_free(fw);
}
END_TEST

START_TEST(tag_membership_follows_ports)
{
	struct evs_fw *fw = mk();
	struct evs_fw_rule r = tcp_rule(1, 1, EVS_FW_ALLOW, 5432);
	struct evs_fw_port_conf db = {.n_groups = 1, .groups = {"db"}};
	struct evs_fw_port_conf web = {.n_addrs = 1, .n_tags = 1, .tags = {"web"}};
	struct evs_flow_key k = key4(B1, A2, IPPROTO_TCP, 40000, 5432);

	r.src.kind = EVS_FW_ADDR_TAG;
	snprintf(r.src.name, sizeof(r.src.name), "web");
	web.addrs[0] = v4(10, 0, 1, 1, 32);
	ck_assert_int_eq(evs_fw_group_add(fw, "db"), 0);
	ck_assert_int_eq(evs_fw_rule_add(fw, "db", &r), 0);
	ck_assert_int_eq(evs_fw_port_set(fw, 0, &db), 0);
	ck_assert_int_eq(evs_fw_commit(fw), 0);
	ck_assert_int_eq(one(fw, 0, EVS_FW_INGRESS, &k).action, EVS_FW_DENY);
	/* Port 5 (10.0.1.1) is tagged web: it joins the rule. */
	ck_assert_int_eq(evs_fw_port_set(fw, 5, &web), 0);
	ck_assert_int_eq(one(fw, 0, EVS_FW_INGRESS, &k).action, EVS_FW_DENY); /* staged */
	ck_assert_int_eq(evs_fw_commit(fw), 0);
	ck_assert_int_eq(one(fw, 0, EVS_FW_INGRESS, &k).action, EVS_FW_ALLOW);
	/* Untagged: it leaves. */
	web.n_tags = 0;
	ck_assert_int_eq(evs_fw_port_set(fw, 5, &web), 0);
	ck_assert_int_eq(evs_fw_commit(fw), 0);
	ck_assert_int_eq(one(fw, 0, EVS_FW_INGRESS, &k).action, EVS_FW_DENY);
	evs_fw_free(fw);
}
END_TEST

/* remote_tag: a rule matches frames carrying the tag's bit (from the
 * ids a GENEVE option carried), whatever their address; 15 tags at most,
 * a slot freed by the publish that removed its last rule is reused. */
START_TEST(remote_tag_slots)
{
	struct evs_fw *fw = mk();
	struct evs_fw_rule r = tcp_rule(1, 1, EVS_FW_ALLOW, 80);
	struct evs_flow_key k = key4(B1, A2, IPPROTO_TCP, 40000, 80);
	uint32_t web = evs_tun_tag_id("web"), other = evs_tun_tag_id("other");
	char name[16];

	snprintf(r.remote_tag, sizeof(r.remote_tag), "web");
	ck_assert_int_eq(evs_fw_group_add(fw, "srv"), 0);
	ck_assert_int_eq(evs_fw_rule_add(fw, "srv", &r), 0);
	port_bind(fw, 0, "srv");
	ck_assert(!evs_fw_remote_tags_used(fw));
	ck_assert_int_eq(evs_fw_commit(fw), 0);
	ck_assert(evs_fw_remote_tags_used(fw));
	ck_assert_uint_eq(evs_fw_remote_tag_bits(fw, &other, 1), 0);
	k.tun_opt_flags = EVS_TUN_PRESENT | evs_fw_remote_tag_bits(fw, (uint32_t[]){other, web}, 2);
	ck_assert_uint_eq(k.tun_opt_flags, EVS_TUN_PRESENT | 1u << EVS_FW_REMOTE_TAG_BIT0);
	ck_assert_str_eq(evs_fw_remote_tag_of_bit(fw, EVS_FW_REMOTE_TAG_BIT0), "web");
	ck_assert_ptr_null(evs_fw_remote_tag_of_bit(fw, EVS_FW_REMOTE_TAG_BIT0 + 1));
	ck_assert_int_eq(one(fw, 0, EVS_FW_INGRESS, &k).rule_id, 1);
	k.tun_opt_flags = EVS_TUN_PRESENT | evs_fw_remote_tag_bits(fw, &other, 1);
	ck_assert_int_eq(one(fw, 0, EVS_FW_INGRESS, &k).action, EVS_FW_DENY);
	k.tun_opt_flags = 0; /* local traffic never matches a remote_tag rule */
	ck_assert_int_eq(one(fw, 0, EVS_FW_INGRESS, &k).action, EVS_FW_DENY);
	/* 14 more tags fit, a 16th does not (nothing published) */
	for (uint32_t i = 2; i <= 16; i++) {
		r.id = i;
		snprintf(r.remote_tag, sizeof(r.remote_tag), "t%u", i);
		ck_assert_int_eq(evs_fw_rule_add(fw, "srv", &r), 0);
		ck_assert_int_eq(evs_fw_commit(fw), i <= 15 ? 0 : -ENOSPC);
	}
	ck_assert_ptr_null(evs_fw_remote_tag_of_bit(fw, EVS_FW_REMOTE_TAG_BIT0 + 15));
	/* web's rule goes: its slot is free after that publish, t16 takes it */
	ck_assert_int_eq(evs_fw_rule_del(fw, 1), 0);
	ck_assert_int_eq(evs_fw_rule_del(fw, 16), 0);
	ck_assert_int_eq(evs_fw_commit(fw), 0);
	ck_assert_uint_eq(evs_fw_remote_tag_bits(fw, &web, 1), 0);
	ck_assert_ptr_null(evs_fw_remote_tag_of_bit(fw, EVS_FW_REMOTE_TAG_BIT0));
	r.id = 16;
	snprintf(r.remote_tag, sizeof(r.remote_tag), "t16");
	ck_assert_int_eq(evs_fw_rule_add(fw, "srv", &r), 0);
	ck_assert_int_eq(evs_fw_commit(fw), 0);
	ck_assert_str_eq(evs_fw_remote_tag_of_bit(fw, EVS_FW_REMOTE_TAG_BIT0), "t16");
	snprintf(name, sizeof(name), "t16");
	k.tun_opt_flags =
	    EVS_TUN_PRESENT | evs_fw_remote_tag_bits(fw, (uint32_t[]){evs_tun_tag_id(name)}, 1);
	ck_assert_int_eq(one(fw, 0, EVS_FW_INGRESS, &k).rule_id, 16);
	/* a bad name is refused */
	r.id = 20;
	memset(r.remote_tag, 'x', sizeof(r.remote_tag));
	ck_assert_int_eq(evs_fw_rule_add(fw, "srv", &r), -EINVAL);
	evs_fw_free(fw);
}
END_TEST

START_TEST(addrset_update_recompiles)
{
	struct evs_fw *fw = mk();
	struct evs_fw_rule r = tcp_rule(1, 1, EVS_FW_ALLOW, 22);
	struct evs_fw_cidr net = v4(10, 0, 0, 0, 24), other = v4(192, 168, 0, 0, 16);
	struct evs_flow_key k = key4(A1, A2, IPPROTO_TCP, 1000, 22);

	ck_assert_int_eq(evs_fw_addrset_set(fw, "admins", &net, 1), 0);
	r.src.kind = EVS_FW_ADDR_SET;
	snprintf(r.src.name, sizeof(r.src.name), "admins");
	ck_assert_int_eq(evs_fw_group_add(fw, "g"), 0);
	ck_assert_int_eq(evs_fw_rule_add(fw, "g", &r), 0);
	port_bind(fw, 0, "g");
	ck_assert_int_eq(evs_fw_commit(fw), 0);
	ck_assert_int_eq(one(fw, 0, EVS_FW_INGRESS, &k).action, EVS_FW_ALLOW);
	ck_assert_int_eq(evs_fw_addrset_set(fw, "admins", &other, 1), 0);
	ck_assert_int_eq(evs_fw_commit(fw), 0);
	ck_assert_int_eq(one(fw, 0, EVS_FW_INGRESS, &k).action, EVS_FW_DENY);
	ck_assert_int_eq(evs_fw_addrset_del(fw, "admins"), -EBUSY);
	evs_fw_free(fw);
}
END_TEST

START_TEST(group_del_busy_while_bound)
{
	struct evs_fw *fw = mk();
	struct evs_fw_rule r = tcp_rule(1, 1, EVS_FW_ALLOW, 22);

	ck_assert_int_eq(evs_fw_group_add(fw, "g"), 0);
	ck_assert_int_eq(evs_fw_rule_add(fw, "g", &r), 0);
	port_bind(fw, 0, "g");
	ck_assert_int_eq(evs_fw_group_del(fw, "g"), -EBUSY);
	port_bind(fw, 0, NULL);
	ck_assert_int_eq(evs_fw_group_del(fw, "g"), 0);
	ck_assert_int_eq(evs_fw_rule_del(fw, 1), -ENOENT); /* went with its group */
	ck_assert_int_eq(evs_fw_commit(fw), 0);
	evs_fw_free(fw);
}
END_TEST

START_TEST(hits_counted_per_rule)
{
	struct evs_fw *fw = mk();
	struct evs_fw_rule r1 = tcp_rule(1, 1, EVS_FW_ALLOW, 22);
	struct evs_fw_rule r2 = tcp_rule(2, 1, EVS_FW_DENY, 23);
	struct evs_flow_key a = key4(A1, A2, IPPROTO_TCP, 1, 22),
			    b = key4(A1, A2, IPPROTO_TCP, 1, 23);
	const struct evs_flow_key *keys[5] = {&a, &b, &a, &a, &b};
	struct evs_fw_verdict v[5];
	uint64_t h;

	ck_assert_int_eq(evs_fw_group_add(fw, "g"), 0);
	ck_assert_int_eq(evs_fw_rule_add(fw, "g", &r1), 0);
	ck_assert_int_eq(evs_fw_rule_add(fw, "g", &r2), 0);
	port_bind(fw, 0, "g");
	ck_assert_int_eq(evs_fw_commit(fw), 0);
	ck_assert_uint_eq(evs_fw_classify_burst(fw, 1, 0, EVS_FW_INGRESS, keys, 5, v), 2);
	ck_assert_int_eq(evs_fw_rule_hits(fw, 1, &h), 0);
	ck_assert_uint_eq(h, 3);
	ck_assert_int_eq(evs_fw_rule_hits(fw, 2, &h), 0);
	ck_assert_uint_eq(h, 2);
	ck_assert_int_eq(evs_fw_rule_hits(fw, 3, &h), -ENOENT);
	evs_fw_free(fw);
}
END_TEST

/* Deny @n packets of port 4 through the fw; returns how many the log holds. */
static uint32_t deny_and_read(struct evs_fw *fw, uint32_t n, struct evs_fw_log_entry *e,
			      uint32_t max)
{
	struct evs_flow_key k = key4(A1, A2, IPPROTO_UDP, 5353, 53);
	uint32_t i;

	ck_assert_int_eq(evs_fw_group_add(fw, "g"), 0);
	port_bind(fw, 4, "g");
	ck_assert_int_eq(evs_fw_commit(fw), 0);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(one(fw, 4, EVS_FW_EGRESS, &k).action, EVS_FW_DENY);
	return evs_fw_log_read(fw, e, max);
}

START_TEST(log_entry_fields)
{
	struct evs_fw *fw = mk();
	struct evs_fw_log_entry e[4];

	ck_assert_uint_eq(deny_and_read(fw, 1, e, 4), 1);
	ck_assert_uint_eq(e[0].port, 4);
	ck_assert_uint_eq(e[0].dir, EVS_FW_EGRESS);
	ck_assert_uint_eq(e[0].af, 4);
	ck_assert_uint_eq(e[0].proto, IPPROTO_UDP);
	ck_assert_uint_eq(e[0].sport, 5353);
	ck_assert_uint_eq(e[0].dport, 53);
	ck_assert_mem_eq(e[0].src, A1, 4);
	ck_assert_mem_eq(e[0].dst, A2, 4);
	ck_assert_uint_eq(e[0].rule_id, 0);
	ck_assert_uint_gt(e[0].time_ns, UINT64_C(1600000000) * 1000000000u);
	ck_assert_uint_eq(evs_fw_log_read(fw, e, 4), 0); /* taken */
	evs_fw_free(fw);
}
END_TEST

START_TEST(log_bounded_ring_overflow_counted)
{
	struct evs_fw *fw = mk(); /* log_size 8, rate 1000/s */
	struct evs_fw_log_entry e[32];
	uint64_t st[EVS_FW_C_MAX];

	ck_assert_uint_eq(deny_and_read(fw, 20, e, 32), 8);
	evs_fw_stats(fw, st);
	ck_assert_uint_eq(st[EVS_FW_C_LOG_OVERFLOW], 12);
	evs_fw_free(fw);
}
END_TEST

START_TEST(log_rate_limited)
{
	struct evs_fw_config c = base_cfg();
	struct evs_fw_log_entry e[32];
	uint64_t st[EVS_FW_C_MAX];
	struct evs_fw *fw;

	c.log_rate = 3;
	c.log_size = 32;
	fw = evs_fw_create(&c);
	ck_assert_ptr_nonnull(fw);
	/* A burst well inside a second: the bucket (3) empties and stays so. */
	ck_assert_uint_eq(deny_and_read(fw, 20, e, 32), 3);
	evs_fw_stats(fw, st);
	ck_assert_uint_eq(st[EVS_FW_C_LOG_SUPPRESSED], 17);
	evs_fw_free(fw);
}
END_TEST

START_TEST(failed_commit_publishes_nothing)
{
	struct evs_fw_config c = base_cfg();
	struct evs_fw_cidr many[5];
	struct evs_fw_rule r = tcp_rule(1, 1, EVS_FW_ALLOW, 22),
			   r2 = tcp_rule(2, 2, EVS_FW_DENY, 22);
	struct evs_flow_key k = key4(A1, A2, IPPROTO_TCP, 1000, 22);
	struct evs_fw *fw;
	uint8_t i;

	c.max_acl_rules = 4;
	fw = evs_fw_create(&c);
	ck_assert_ptr_nonnull(fw);
	for (i = 0; i < 5; i++)
		many[i] = v4(10, 9, i, 0, 24);
	ck_assert_int_eq(evs_fw_addrset_set(fw, "five", many, 5), 0);
	ck_assert_int_eq(evs_fw_group_add(fw, "g"), 0);
	ck_assert_int_eq(evs_fw_rule_add(fw, "g", &r), 0);
	port_bind(fw, 0, "g");
	ck_assert_int_eq(evs_fw_commit(fw), 0);
	r2.src.kind = EVS_FW_ADDR_SET;
	snprintf(r2.src.name, sizeof(r2.src.name), "five");
	ck_assert_int_eq(evs_fw_rule_add(fw, "g", &r2), 0);
	ck_assert_int_eq(evs_fw_commit(fw), -E2BIG);
	ck_assert_uint_eq(one(fw, 0, EVS_FW_INGRESS, &k).rule_id, 1);
	/* Fixing the staged state lets the next commit through. */
	ck_assert_int_eq(evs_fw_rule_del(fw, 2), 0);
	ck_assert_int_eq(evs_fw_commit(fw), 0);
	ck_assert_uint_eq(one(fw, 0, EVS_FW_INGRESS, &k).rule_id, 1);
	evs_fw_free(fw);
}
END_TEST

START_TEST(prepare_publishes_only_on_publish)
{
	struct evs_fw *fw = mk();
	struct evs_fw_rule r = tcp_rule(1, 1, EVS_FW_ALLOW, 22);
	struct evs_flow_key k = key4(A1, A2, IPPROTO_TCP, 1000, 22);

	ck_assert_int_eq(evs_fw_group_add(fw, "g"), 0);
	port_bind(fw, 0, "g");
	ck_assert_int_eq(evs_fw_commit(fw), 0);
	ck_assert_int_eq(evs_fw_rule_add(fw, "g", &r), 0);
	ck_assert_int_eq(evs_fw_prepare(fw), 0);
	ck_assert_int_eq(one(fw, 0, EVS_FW_INGRESS, &k).action, EVS_FW_DENY);
	evs_fw_abort(fw);
	evs_fw_publish(fw); /* nothing prepared: no change */
	ck_assert_int_eq(one(fw, 0, EVS_FW_INGRESS, &k).action, EVS_FW_DENY);
	ck_assert_int_eq(evs_fw_prepare(fw), 0);
	evs_fw_publish(fw);
	ck_assert_int_eq(one(fw, 0, EVS_FW_INGRESS, &k).action, EVS_FW_ALLOW);
	evs_fw_free(fw);
}
END_TEST

struct reader {
	struct evs_fw *fw;
	struct rte_rcu_qsbr *q;
	volatile int stop;
	uint64_t lookups, bad;
};

/* A PMD stand-in: classify, report quiescent, repeat. */
static void *reader_main(void *arg)
{
	struct reader *rd = arg;
	struct evs_flow_key k = key4(A1, A2, IPPROTO_TCP, 1000, 22);
	const struct evs_flow_key *kp[32];
	struct evs_fw_verdict v[32];
	uint32_t i;

	for (i = 0; i < 32; i++)
		kp[i] = &k;
	rte_rcu_qsbr_thread_register(rd->q, 0);
	rte_rcu_qsbr_thread_online(rd->q, 0);
	while (!rd->stop) {
		evs_fw_classify_burst(rd->fw, 0, 0, EVS_FW_INGRESS, kp, 32, v);
		for (i = 0; i < 32; i++)
			rd->bad += v[i].rule_id != 1 && v[i].rule_id != 2;
		rd->lookups += 32;
		rte_rcu_qsbr_quiescent(rd->q, 0);
	}
	rte_rcu_qsbr_thread_offline(rd->q, 0);
	rte_rcu_qsbr_thread_unregister(rd->q, 0);
	return NULL;
}

START_TEST(rcu_swap_is_atomic_under_readers)
{
	struct evs_fw_config c = base_cfg();
	size_t sz = rte_rcu_qsbr_get_memsize(1);
	struct reader rd = {0};
	struct evs_fw_rule allow = tcp_rule(1, 1, EVS_FW_ALLOW, 22);
	struct evs_fw_rule deny = tcp_rule(2, 1, EVS_FW_DENY, 22);
	pthread_t t;
	int i;

	rd.q = rte_zmalloc("fw_qsbr", sz, RTE_CACHE_LINE_SIZE);
	ck_assert_ptr_nonnull(rd.q);
	ck_assert_int_eq(rte_rcu_qsbr_init(rd.q, 1), 0);
	c.qsbr = rd.q;
	rd.fw = evs_fw_create(&c);
	ck_assert_ptr_nonnull(rd.fw);
	ck_assert_int_eq(evs_fw_group_add(rd.fw, "g"), 0);
	ck_assert_int_eq(evs_fw_rule_add(rd.fw, "g", &allow), 0);
	port_bind(rd.fw, 0, "g");
	ck_assert_int_eq(evs_fw_commit(rd.fw), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, reader_main, &rd), 0);
	/* Replace one rule by the other in each commit: readers see either,
	 * never a half-published state (no rule: default deny) or freed tables. */
	for (i = 0; i < 60; i++) {
		const struct evs_fw_rule *add = i % 2 ? &allow : &deny;

		ck_assert_int_eq(evs_fw_rule_del(rd.fw, i % 2 ? 2 : 1), 0);
		ck_assert_int_eq(evs_fw_rule_add(rd.fw, "g", add), 0);
		ck_assert_int_eq(evs_fw_commit(rd.fw), 0);
	}
	rd.stop = 1;
	pthread_join(t, NULL);
	ck_assert_uint_gt(rd.lookups, 0);
	ck_assert_uint_eq(rd.bad, 0);
	evs_fw_free(rd.fw);
	rte_free(rd.q);
}
END_TEST

/* ---- naive reference ---------------------------------------------------- */

#define R_GROUPS 6
#define R_PORTS 8
#define R_SETS 3
#define R_RULES 200

static const char *const r_tags[] = {"web", "db", "app"};
/* remote tags (rules' remote_tag; keys carry a subset, as bits) */
static const char *const r_rtags[] = {"web", "db", "lb", "ops", "pci"};
#define R_RTAGS 5

struct ref {
	struct evs_fw_rule rules[R_RULES];
	int rule_group[R_RULES]; /* -1: free */
	struct evs_fw_cidr sets[R_SETS][4];
	uint32_t set_n[R_SETS];
	struct evs_fw_port_conf ports[R_PORTS];
	uint32_t next_id;
};

static bool in_prefix(const struct evs_fw_cidr *c, uint8_t af, const uint8_t *ip)
{
	uint32_t i;

	if (c->af != af)
		return false;
	for (i = 0; i < c->plen; i++)
		if ((c->addr[i / 8] ^ ip[i / 8]) & (0x80 >> (i % 8)))
			return false;
	return true;
}

static bool ref_addr(const struct ref *m, const struct evs_fw_addr *a, uint8_t af,
		     const uint8_t *ip)
{
	uint32_t i, k, t;

	switch (a->kind) {
	case EVS_FW_ADDR_ANY:
		return true;
	case EVS_FW_ADDR_CIDR:
		return in_prefix(&a->cidr, af, ip);
	case EVS_FW_ADDR_SET:
		i = (uint32_t)(a->name[3] - '0');
		for (k = 0; k < m->set_n[i]; k++)
			if (in_prefix(&m->sets[i][k], af, ip))
				return true;
		return false;
	case EVS_FW_ADDR_TAG:
		for (i = 0; i < R_PORTS; i++)
			for (t = 0; t < m->ports[i].n_tags; t++)
				if (strcmp(m->ports[i].tags[t], a->name) == 0)
					for (k = 0; k < m->ports[i].n_addrs; k++)
						if (in_prefix(&m->ports[i].addrs[k], af, ip))
							return true;
		return false;
	}
	return false;
}

/* @p rtags: bit i set when the key's frame carried remote tag r_rtags[i] */
static bool ref_rtag(const struct evs_fw_rule *r, uint32_t rtags)
{
	if (r->remote_tag[0] == '\0')
		return true;
	for (unsigned int i = 0; i < R_RTAGS; i++)
		if (strcmp(r->remote_tag, r_rtags[i]) == 0)
			return (rtags >> i & 1) != 0;
	return false;
}

static bool ref_match(const struct ref *m, const struct evs_fw_rule *r, enum evs_fw_dir dir,
		      const struct evs_flow_key *k, uint32_t rtags)
{
	uint8_t af = k->ethertype == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ? 4 : 6;
	uint16_t sp = rte_be_to_cpu_16(k->l4_src), dp = rte_be_to_cpu_16(k->l4_dst);

	return r->dir == dir && ref_rtag(r, rtags) && (r->proto == 0 || r->proto == k->ip_proto) &&
	       sp >= r->sport_lo && sp <= r->sport_hi && dp >= r->dport_lo && dp <= r->dport_hi &&
	       ref_addr(m, &r->src, af, k->src_ip) && ref_addr(m, &r->dst, af, k->dst_ip);
}

static struct evs_fw_verdict ref_eval(const struct ref *m, uint16_t port, enum evs_fw_dir dir,
				      const struct evs_flow_key *k, uint32_t rtags)
{
	const struct evs_fw_port_conf *pc = &m->ports[port];
	const struct evs_fw_rule *best = NULL;
	uint32_t i, g;

	if (pc->n_groups == 0)
		return (struct evs_fw_verdict){.action = EVS_FW_ALLOW};
	for (i = 0; i < R_RULES; i++) {
		const struct evs_fw_rule *r = &m->rules[i];

		if (m->rule_group[i] < 0)
			continue;
		for (g = 0; g < pc->n_groups; g++)
			if (pc->groups[g][1] - '0' == m->rule_group[i])
				break;
		if (g == pc->n_groups || !ref_match(m, r, dir, k, rtags))
			continue;
		if (best == NULL || r->priority > best->priority ||
		    (r->priority == best->priority && r->id < best->id))
			best = r;
	}
	if (best == NULL)
		return (struct evs_fw_verdict){.action = EVS_FW_DENY};
	return (struct evs_fw_verdict){.rule_id = best->id, .action = (uint8_t)best->action};
}

/* Addresses from a small pool so that rules and packets overlap. */
static void rand_ip(uint8_t af, uint8_t *ip)
{
	memset(ip, 0, 16);
	if (af == 4) {
		ip[0] = 10;
		ip[2] = (uint8_t)(rand() % 4);
		ip[3] = (uint8_t)(rand() % 8);
	} else {
		ip[0] = 0xfd;
		ip[13] = (uint8_t)(rand() % 4);
		ip[15] = (uint8_t)(rand() % 8);
	}
}

static struct evs_fw_cidr rand_cidr(void)
{
	struct evs_fw_cidr c = {.af = rand() % 2 ? 4 : 6};
	static const uint8_t p4[] = {0, 8, 24, 30, 32}, p6[] = {0, 64, 104, 126, 128};
	uint32_t i;

	rand_ip(c.af, c.addr);
	c.plen = c.af == 4 ? p4[rand() % 5] : p6[rand() % 5];
	for (i = c.plen; i < 128; i++)
		c.addr[i / 8] &= (uint8_t) ~(0x80 >> (i % 8));
	return c;
}

static void rand_addr(struct evs_fw_addr *a)
{
	int x = rand() % 10;

	memset(a, 0, sizeof(*a));
	if (x < 4)
		return;
	if (x < 7) {
		a->kind = EVS_FW_ADDR_CIDR;
		a->cidr = rand_cidr();
	} else if (x < 8) {
		a->kind = EVS_FW_ADDR_SET;
		snprintf(a->name, sizeof(a->name), "set%d", rand() % R_SETS);
	} else {
		a->kind = EVS_FW_ADDR_TAG;
		snprintf(a->name, sizeof(a->name), "%s", r_tags[rand() % 3]);
	}
}

static const uint8_t r_protos[] = {0, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_ICMPV6};
static const uint16_t r_ports[] = {0, 22, 53, 80, 443, 1000, 8080, 65535};

static void rand_range(uint16_t *lo, uint16_t *hi, uint16_t top)
{
	uint16_t a = rand() % 2 ? r_ports[rand() % 8] : (uint16_t)(rand() % (top + 1u));
	uint16_t b = rand() % 3 ? a : (uint16_t)(rand() % (top + 1u));

	if (rand() % 3 == 0) {
		*lo = 0;
		*hi = top == 255 ? UINT16_MAX : top;
		return;
	}
	*lo = RTE_MIN(a, b);
	*hi = RTE_MAX(a, b);
}

static void rand_rule(struct ref *m, struct evs_fw_rule *r)
{
	memset(r, 0, sizeof(*r));
	r->id = m->next_id++;
	r->priority = (uint32_t)(rand() % 8); /* few values: many ties */
	r->dir = rand() % 2 ? EVS_FW_INGRESS : EVS_FW_EGRESS;
	r->action = (enum evs_fw_action)(1 + rand() % 3);
	r->proto = r_protos[rand() % 5];
	rand_addr(&r->src);
	rand_addr(&r->dst);
	if (rand() % 4 == 0)
		snprintf(r->remote_tag, sizeof(r->remote_tag), "%s", r_rtags[rand() % R_RTAGS]);
	r->sport_hi = r->dport_hi = UINT16_MAX;
	if (r->proto == IPPROTO_TCP || r->proto == IPPROTO_UDP) {
		rand_range(&r->sport_lo, &r->sport_hi, UINT16_MAX);
		rand_range(&r->dport_lo, &r->dport_hi, UINT16_MAX);
	} else if (r->proto != 0) {
		rand_range(&r->sport_lo, &r->sport_hi, 255);
		if (rand() % 2)
			r->dport_hi = r->dport_lo = (uint16_t)(rand() % 4);
	}
}

static void rand_port(struct ref *m, struct evs_fw *fw, uint16_t p)
{
	struct evs_fw_port_conf *pc = &m->ports[p];
	uint32_t i;

	memset(pc, 0, sizeof(*pc));
	pc->n_addrs = 1 + rand() % 2;
	for (i = 0; i < pc->n_addrs; i++) {
		pc->addrs[i].af = rand() % 2 ? 4 : 6;
		rand_ip(pc->addrs[i].af, pc->addrs[i].addr);
		pc->addrs[i].plen = pc->addrs[i].af == 4 ? 32 : 128;
	}
	pc->n_tags = (uint32_t)(rand() % 3);
	for (i = 0; i < pc->n_tags; i++)
		snprintf(pc->tags[i], EVS_FW_NAME_MAX, "%s", r_tags[(p + i) % 3]);
	pc->n_groups = (uint32_t)(rand() % 4);
	for (i = 0; i < pc->n_groups; i++)
		snprintf(pc->groups[i], EVS_FW_NAME_MAX, "g%d", (p + i * 2) % R_GROUPS);
	ck_assert_int_eq(evs_fw_port_set(fw, p, pc), 0);
}

/* A key; half of them came through a tunnel carrying a random subset of the
 * remote tags (*rtags, as the decap turns them into bits) and noise in the
 * option class bits, which no rule tests. */
static struct evs_flow_key rand_key(const struct evs_fw *fw, uint32_t *rtags)
{
	struct evs_flow_key k;
	uint8_t af = rand() % 2 ? 4 : 6;

	memset(&k, 0, sizeof(k));
	*rtags = 0;
	if (rand() % 2) {
		uint32_t ids[R_RTAGS + 1];
		unsigned int n = 0;

		*rtags = (uint32_t)rand() % (1u << R_RTAGS);
		for (unsigned int i = 0; i < R_RTAGS; i++)
			if (*rtags >> i & 1)
				ids[n++] = evs_tun_tag_id(r_rtags[i]);
		ids[n++] = evs_tun_tag_id("nobody-names-me");
		k.tun_opt_flags = EVS_TUN_PRESENT | (uint32_t)(rand() & 0xffff) |
				  evs_fw_remote_tag_bits(fw, ids, n);
	}
	k.ethertype = rte_cpu_to_be_16(af == 4 ? RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6);
	rand_ip(af, k.src_ip);
	rand_ip(af, k.dst_ip);
	k.ip_proto = rand() % 6 ? r_protos[1 + rand() % 4] : IPPROTO_GRE;
	if (k.ip_proto == IPPROTO_ICMP || k.ip_proto == IPPROTO_ICMPV6) {
		k.l4_src = rte_cpu_to_be_16((uint16_t)(rand() % 256));
		k.l4_dst = rte_cpu_to_be_16((uint16_t)(rand() % 4));
	} else if (k.ip_proto != IPPROTO_GRE) {
		k.l4_src = rte_cpu_to_be_16(rand() % 2 ? r_ports[rand() % 8] : (uint16_t)rand());
		k.l4_dst = rte_cpu_to_be_16(rand() % 2 ? r_ports[rand() % 8] : (uint16_t)rand());
	}
	return k;
}

static void mutate(struct ref *m, struct evs_fw *fw, uint32_t adds)
{
	uint32_t i, s;

	for (i = 0; i < adds; i++) {
		uint32_t slot = (uint32_t)rand() % R_RULES;
		char g[8];

		if (m->rule_group[slot] >= 0) {
			ck_assert_int_eq(evs_fw_rule_del(fw, m->rules[slot].id), 0);
			m->rule_group[slot] = -1;
			continue;
		}
		rand_rule(m, &m->rules[slot]);
		m->rule_group[slot] = rand() % R_GROUPS;
		snprintf(g, sizeof(g), "g%d", m->rule_group[slot]);
		ck_assert_int_eq(evs_fw_rule_add(fw, g, &m->rules[slot]), 0);
	}
	s = (uint32_t)rand() % R_SETS;
	m->set_n[s] = (uint32_t)(rand() % 5);
	for (i = 0; i < m->set_n[s]; i++)
		m->sets[s][i] = rand_cidr();
	{
		char n[8];

		snprintf(n, sizeof(n), "set%u", s);
		ck_assert_int_eq(evs_fw_addrset_set(fw, n, m->sets[s], m->set_n[s]), 0);
	}
	for (i = 0; i < 2; i++)
		rand_port(m, fw, (uint16_t)(rand() % R_PORTS));
}

START_TEST(random_rules_match_reference)
{
	struct evs_fw_config c = base_cfg();
	static struct ref m;
	struct evs_fw *fw;
	uint32_t round, b, i, checked = 0, allowed = 0, by_rule = 0, by_rtag = 0;

	srand(11 + (unsigned int)_i);
	memset(&m, 0, sizeof(m));
	m.next_id = 1;
	c.max_rules = R_RULES;
	fw = evs_fw_create(&c);
	ck_assert_ptr_nonnull(fw);
	for (i = 0; i < R_RULES; i++)
		m.rule_group[i] = -1;
	for (i = 0; i < R_GROUPS; i++) {
		char g[8];

		snprintf(g, sizeof(g), "g%u", i);
		ck_assert_int_eq(evs_fw_group_add(fw, g), 0);
	}
	for (i = 0; i < R_SETS; i++) {
		char n[8];

		snprintf(n, sizeof(n), "set%u", i);
		ck_assert_int_eq(evs_fw_addrset_set(fw, n, NULL, 0), 0);
	}
	for (i = 0; i < R_PORTS; i++)
		rand_port(&m, fw, (uint16_t)i);
	for (round = 0; round < 12; round++) {
		mutate(&m, fw, round == 0 ? 120 : 30);
		ck_assert_int_eq(evs_fw_commit(fw), 0);
		for (b = 0; b < 60; b++) {
			struct evs_flow_key keys[32];
			const struct evs_flow_key *kp[32];
			struct evs_fw_verdict v[32];
			uint32_t rtags[32];
			uint16_t port = (uint16_t)(rand() % R_PORTS);
			enum evs_fw_dir dir = rand() % 2 ? EVS_FW_INGRESS : EVS_FW_EGRESS;

			for (i = 0; i < 32; i++) {
				keys[i] = rand_key(fw, &rtags[i]);
				kp[i] = &keys[i];
			}
			evs_fw_classify_burst(fw, 0, port, dir, kp, 32, v);
			for (i = 0; i < 32; i++) {
				struct evs_fw_verdict want =
				    ref_eval(&m, port, dir, &keys[i], rtags[i]);

				for (uint32_t r = 0; want.rule_id != 0 && r < R_RULES; r++)
					if (m.rule_group[r] >= 0 && m.rules[r].id == want.rule_id)
						by_rtag += m.rules[r].remote_tag[0] != '\0';

				ck_assert_msg(
				    v[i].rule_id == want.rule_id && v[i].action == want.action,
				    "round %u port %u dir %d pkt %u: got rule %u/%u want %u/%u",
				    round, port, dir, i, v[i].rule_id, v[i].action, want.rule_id,
				    want.action);
				checked++;
				allowed += v[i].action == EVS_FW_ALLOW;
				by_rule += v[i].rule_id != 0;
			}
		}
	}
	/* The random input must exercise both outcomes, and rules must decide often. */
	ck_assert_uint_gt(allowed, checked / 20);
	ck_assert_uint_lt(allowed, checked - checked / 20);
	ck_assert_uint_gt(by_rule, checked / 10);
	/* and remote_tag rules decide some (the tag bits are compiled right) */
	ck_assert_uint_gt(by_rtag, checked / 200);
	evs_fw_free(fw);
}
END_TEST

/* ---- callgrind bench ---------------------------------------------------- */

/* @groups groups of @per rules each (varied ports/prefixes), one port bound
 * to one group; classify 1000 bursts of 32. */
static int bench(uint32_t groups, uint32_t per)
{
	struct evs_fw_config c = base_cfg();
	struct evs_flow_key keys[32];
	const struct evs_flow_key *kp[32];
	struct evs_fw_verdict v[32];
	struct evs_fw *fw;
	uint32_t g, i, id = 1, denied = 0;

	c.max_rules = groups * per;
	c.max_groups = groups;
	c.max_ports = groups;
	c.n_lcores = 1;
	fw = evs_fw_create(&c);
	if (fw == NULL)
		return 1;
	srand(7);
	for (g = 0; g < groups; g++) {
		char name[16];
		struct evs_fw_port_conf pc = {.n_groups = 1};

		snprintf(name, sizeof(name), "g%u", g);
		snprintf(pc.groups[0], EVS_FW_NAME_MAX, "%s", name);
		if (evs_fw_group_add(fw, name) != 0)
			return 1;
		for (i = 0; i < per; i++) {
			struct evs_fw_rule r = tcp_rule(id++, (uint32_t)(rand() % 100),
							EVS_FW_ALLOW, (uint16_t)(1000 + i));

			r.src.kind = EVS_FW_ADDR_CIDR;
			r.src.cidr = v4(10, (uint8_t)(i % 250), (uint8_t)(i / 250), 0, 24);
			if (evs_fw_rule_add(fw, name, &r) != 0)
				return 1;
		}
		if (evs_fw_port_set(fw, (uint16_t)g, &pc) != 0)
			return 1;
	}
	if (evs_fw_commit(fw) != 0)
		return 1;
	for (i = 0; i < 32; i++) {
		uint32_t j = (uint32_t)rand() % per; /* hits rule j of every group */
		uint8_t s[4] = {10, (uint8_t)(j % 250), (uint8_t)(j / 250), 9};

		keys[i] = key4(s, A2, IPPROTO_TCP, 40000, (uint16_t)(1000 + j));
		kp[i] = &keys[i];
	}
	for (i = 0; i < 1000; i++)
		denied +=
		    evs_fw_classify_burst(fw, 0, (uint16_t)(i % groups), EVS_FW_INGRESS, kp, 32, v);
	printf("bench: %u groups x %u rules: 32000 lookups, %u denied\n", groups, per, denied);
	evs_fw_free(fw);
	return 0;
}

static Suite *fw_suite(void)
{
	Suite *s = suite_create("firewall");
	const struct {
		const char *name;
		const TTest *fn;
	} cases[] = {
	    {"create_rejects_bad_config", create_rejects_bad_config},
	    {"rule_add_validates", rule_add_validates},
	    {"unfiltered_port_allows", unfiltered_port_allows},
	    {"default_deny_both_directions", default_deny_both_directions},
	    {"priority_then_lower_id_wins", priority_then_lower_id_wins},
	    {"icmp_type_and_code", icmp_type_and_code},
	    {"tag_membership_follows_ports", tag_membership_follows_ports},
	    {"remote_tag_slots", remote_tag_slots},
	    {"addrset_update_recompiles", addrset_update_recompiles},
	    {"group_del_busy_while_bound", group_del_busy_while_bound},
	    {"hits_counted_per_rule", hits_counted_per_rule},
	    {"log_entry_fields", log_entry_fields},
	    {"log_bounded_ring_overflow_counted", log_bounded_ring_overflow_counted},
	    {"log_rate_limited", log_rate_limited},
	    {"failed_commit_publishes_nothing", failed_commit_publishes_nothing},
	    {"prepare_publishes_only_on_publish", prepare_publishes_only_on_publish},
	    {"rcu_swap_is_atomic_under_readers", rcu_swap_is_atomic_under_readers},
	};
	TCase *tc;
	size_t i;

	for (i = 0; i < RTE_DIM(cases); i++) {
		tc = tcase_create(cases[i].name);
		tcase_add_test(tc, cases[i].fn);
		suite_add_tcase(s, tc);
	}
	tc = tcase_create("random_rules_match_reference");
	tcase_add_loop_test(tc, random_rules_match_reference, 0, 4);
	suite_add_tcase(s, tc);
	fw_ctl_add_cases(s);
	fw_ct_add_cases(s);
	fw_store_add_cases(s);
	fw_new_add_cases(s);
	fw_pipeline_add_cases(s);
	return s;
}

int main(int argc, char **argv)
{
	int failed;

	/* --bench-pipeline with 1M flows: a table of 2M connections */
	bool big = argc >= 4 && strcmp(argv[1], "--bench-pipeline") == 0;

	if (unit_eal_init("test_firewall", "fwut", big ? "2048" : "256") < 0)
		return 1;
	pool = rte_pktmbuf_pool_create("fwut_pool", 1024, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	if (pool == NULL)
		return 1;
	if (argc >= 4 && strcmp(argv[1], "--bench-pipeline") == 0)
		failed = fw_bench_pipeline(pool, (uint32_t)atoi(argv[2]), (uint32_t)atoi(argv[3]),
					   bench_mode(argc > 4 ? argv[4] : "")) != 0;
	else if (argc == 4 && strcmp(argv[1], "--bench") == 0)
		failed = bench((uint32_t)atoi(argv[2]), (uint32_t)atoi(argv[3]));
	else
		failed = unit_run(fw_suite());
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return failed ? 1 : 0;
}
