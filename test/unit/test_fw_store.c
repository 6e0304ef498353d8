/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The firewall's store types (fw.addrset, fw.group, fw.rule, fw.port)
 * bound to a real firewall: field and cross-object errors, objects reaching
 * the datapath, a failed transaction leaving the datapath and the staged
 * objects as they were, and random transactions (some failing) whose
 * incremental result must classify exactly like a firewall built from
 * scratch from the same document.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <rte_ether.h>

#include "evs_fw_module.h"
#include "evs_store.h"
#include "unit_case.h"
#include "unit_store.h"

void fw_store_add_cases(Suite *s);

enum { N_PORTS = 4 };

/* The daemon's port type, reduced to its key: fw.port references it. */
static const struct evs_ctl_param port_fields[] = {
    {.name = "name", .type = EVS_CTL_T_STRING, .required = true, .min_len = 1},
};
static const char *const port_key[] = {"name", NULL};
static const struct evs_obj_type port_type = {
    .name = "port", .section = "ports", .fields = port_fields, .n_fields = 1, .keys = port_key};

/* A type after the firewall's whose prepare fails when an object says so. */
static int boom_prepare(struct evs_store *st, const struct evs_store_delta *d, size_t n,
			struct evs_ctl_err *err, void *ctx)
{
	(void)st, (void)ctx;
	for (size_t i = 0; i < n; i++)
		if (d[i].new != NULL && json_is_true(json_object_get(d[i].new, "fail")))
			return evs_store_err(err, -EIO, d[i].path, "boom");
	return 0;
}
static const struct evs_store_ops boom_ops = {.prepare = boom_prepare};
static const struct evs_ctl_param boom_fields[] = {
    {.name = "name", .type = EVS_CTL_T_STRING, .required = true, .min_len = 1},
    {.name = "fail", .type = EVS_CTL_T_BOOL},
};
static const struct evs_obj_type boom_type = {.name = "boom",
					      .section = "booms",
					      .fields = boom_fields,
					      .n_fields = 2,
					      .keys = port_key,
					      .ops = &boom_ops};

struct env {
	struct evs_store *st;
	struct evs_fw *fw;
	struct evs_fw_store *b;
};

static struct env E;
static unsigned int env_seq;

static int port_index(const char *name, void *arg)
{
	(void)arg;
	return name[0] == 'p' && name[1] >= '0' && name[1] < '0' + N_PORTS ? name[1] - '0' : -1;
}

static void env_open(struct env *e)
{
	char name[16];
	struct evs_fw_config c = {.name = name,
				  .socket_id = SOCKET_ID_ANY,
				  .n_lcores = 1,
				  .max_rules = 256,
				  .max_groups = 16,
				  .max_addrsets = 8,
				  .max_addrs = EVS_FW_ADDRSET_PREFIXES_MAX,
				  .max_ports = N_PORTS};
	struct evs_ctl_err err;

	snprintf(name, sizeof(name), "fs%u", env_seq++);
	e->st = evs_store_create();
	ck_assert_ptr_nonnull(e->st);
	ck_assert_int_eq(evs_store_type_add(e->st, &port_type, NULL), 0);
	e->fw = evs_fw_create(&c);
	ck_assert_ptr_nonnull(e->fw);
	e->b = evs_fw_store_bind(
	    e->st, &(struct evs_fw_store_config){.fw = e->fw, .zone = 1, .port_index = port_index});
	ck_assert_ptr_nonnull(e->b);
	ck_assert_int_eq(evs_store_type_add(e->st, &boom_type, NULL), 0);
	struct evs_store_txn *t = evs_store_txn_begin(e->st);
	for (int i = 0; i < N_PORTS; i++) {
		char n[4] = {'p', (char)('0' + i), 0};

		ck_assert_int_eq(evs_store_txn_op(t, EVS_STORE_ADD, "port",
						  json_pack("{ss}", "name", n), "", &err),
				 0);
	}
	ck_assert_int_eq(evs_store_txn_commit(t, &err), 0);
}

static void env_close(struct env *e)
{
	evs_store_free(e->st);
	evs_fw_store_free(e->b);
	evs_fw_free(e->fw);
	memset(e, 0, sizeof(*e));
}

static void setup(void)
{
	env_open(&E);
}

static void teardown(void)
{
	env_close(&E);
}

/* One operation as a transaction: 0 or -errno, @err filled. */
static int op(struct env *e, enum evs_store_op o, const char *type, const char *json,
	      struct evs_ctl_err *err)
{
	return unit_store_op(e->st, o, type, json, err);
}

static void ok(enum evs_store_op o, const char *type, const char *json)
{
	struct evs_ctl_err err;

	ck_assert_msg(op(&E, o, type, json, &err) == 0, "%s %s: %s", type, json, err.message);
}

static struct evs_flow_key key4(const char *src, const char *dst, uint8_t proto, uint16_t dport)
{
	struct evs_flow_key k;

	memset(&k, 0, sizeof(k));
	k.ethertype = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	k.ip_proto = proto;
	inet_pton(AF_INET, src, k.src_ip);
	inet_pton(AF_INET, dst, k.dst_ip);
	k.l4_src = RTE_BE16(40000);
	k.l4_dst = rte_cpu_to_be_16(dport);
	return k;
}

static struct evs_fw_verdict decide(struct evs_fw *fw, uint16_t port, enum evs_fw_dir dir,
				    const struct evs_flow_key *k)
{
	struct evs_fw_verdict v;

	ck_assert_int_eq(evs_fw_decide(fw, port, dir, k, &v), 0);
	return v;
}

START_TEST(rule_fields_checked)
{
	static const struct {
		const char *json, *msg;
	} bad[] = {
	    {"{\"id\":1,\"group\":\"g\",\"direction\":\"ingress\",\"src\":\"10.0.0.1/24\"}",
	     "host bits"},
	    {"{\"id\":1,\"group\":\"g\",\"direction\":\"ingress\",\"protocol\":\"icmp\","
	     "\"dport_min\":80}",
	     "ICMP has no ports"},
	    {"{\"id\":1,\"group\":\"g\",\"direction\":\"ingress\",\"protocol\":\"tcp\","
	     "\"icmp_type\":8}",
	     "icmp_type"},
	    {"{\"id\":1,\"group\":\"g\",\"direction\":\"ingress\",\"dport_min\":80}",
	     "tcp, udp or sctp"},
	    {"{\"id\":1,\"group\":\"g\",\"direction\":\"ingress\",\"protocol\":\"tcp\","
	     "\"dport_min\":90,\"dport_max\":80}",
	     "above"},
	    {"{\"id\":1,\"group\":\"g\",\"direction\":\"ingress\",\"src\":\"10.0.0.0/8\","
	     "\"src_tag\":\"web\"}",
	     "exclude"},
	    {"{\"id\":1,\"group\":\"g\",\"direction\":\"ingress\",\"src_tag\":\"a b\"}", "src_tag"},
	    {"{\"id\":1,\"group\":\"g\",\"direction\":\"sideways\"}", "direction"},
	    {"{\"id\":1,\"group\":\"nope\",\"direction\":\"ingress\"}", "fw.group"},
	};
	struct evs_ctl_err err;

	ok(EVS_STORE_ADD, "fw.group", "{\"name\":\"g\"}");
	for (size_t i = 0; i < RTE_DIM(bad); i++) {
		ck_assert_int_lt(op(&E, EVS_STORE_ADD, "fw.rule", bad[i].json, &err), 0);
		ck_assert_msg(strstr(err.message, bad[i].msg) != NULL ||
				  strstr(err.path, bad[i].msg),
			      "case %zu: '%s' lacks '%s'", i, err.message, bad[i].msg);
	}
	ck_assert_uint_eq(evs_store_count(E.st, "fw.rule"), 0);
	ck_assert_int_lt(
	    op(&E, EVS_STORE_ADD, "fw.port", "{\"port\":\"p1\",\"groups\":[\"x\"]}", &err), 0);
	ck_assert_ptr_nonnull(strstr(err.message, "no fw.group"));
	ck_assert_int_lt(
	    op(&E, EVS_STORE_ADD, "fw.port", "{\"port\":\"p1\",\"groups\":[\"g\",\"g\"]}", &err),
	    0);
	ck_assert_ptr_nonnull(strstr(err.message, "twice"));
	ck_assert_int_lt(op(&E, EVS_STORE_ADD, "fw.port", "{\"port\":\"p9\"}", &err), 0);
	ck_assert_int_lt(op(&E, EVS_STORE_ADD, "fw.addrset",
			    "{\"name\":\"s\",\"prefixes\":[\"10.1.0.0/16\",\"10.2.0.1/16\"]}",
			    &err),
			 0);
	ck_assert_ptr_nonnull(strstr(err.message, "prefixes[1]"));
}
END_TEST

START_TEST(objects_reach_the_datapath)
{
	struct evs_flow_key web = key4("10.0.0.9", "10.0.0.2", IPPROTO_TCP, 80);
	struct evs_flow_key ssh = key4("10.0.0.9", "10.0.0.2", IPPROTO_TCP, 22);
	struct evs_fw_verdict v;

	ok(EVS_STORE_ADD, "fw.group", "{\"name\":\"web\"}");
	ok(EVS_STORE_ADD, "fw.rule",
	   "{\"id\":5,\"group\":\"web\",\"direction\":\"ingress\",\"protocol\":\"tcp\","
	   "\"dport_min\":80,\"priority\":10}");
	ck_assert(!evs_fw_port_filtered(E.fw, 2));
	ok(EVS_STORE_ADD, "fw.port",
	   "{\"port\":\"p2\",\"addresses\":[\"10.0.0.2\"],\"groups\":[\"web\"]}");
	ck_assert(evs_fw_port_filtered(E.fw, 2));
	ck_assert_int_eq(evs_fw_vnic_of(E.fw, &web), 2);
	v = decide(E.fw, 2, EVS_FW_INGRESS, &web);
	ck_assert_int_eq(v.action, EVS_FW_ALLOW);
	ck_assert_uint_eq(v.rule_id, 5);
	v = decide(E.fw, 2, EVS_FW_INGRESS, &ssh);
	ck_assert_int_eq(v.action, EVS_FW_DENY);
	ck_assert_uint_eq(v.rule_id, 0);
	/* a higher-priority reject of the same port wins */
	ok(EVS_STORE_ADD, "fw.rule",
	   "{\"id\":6,\"group\":\"web\",\"direction\":\"ingress\",\"protocol\":\"tcp\","
	   "\"dport_min\":1,\"dport_max\":1024,\"priority\":20,\"action\":\"reject\"}");
	v = decide(E.fw, 2, EVS_FW_INGRESS, &web);
	ck_assert_int_eq(v.action, EVS_FW_REJECT);
	ck_assert_uint_eq(v.rule_id, 6);
	ok(EVS_STORE_DEL, "fw.rule", "{\"id\":6}");
	ck_assert_uint_eq(decide(E.fw, 2, EVS_FW_INGRESS, &web).rule_id, 5);
	ok(EVS_STORE_DEL, "fw.port", "{\"port\":\"p2\"}");
	ck_assert(!evs_fw_port_filtered(E.fw, 2));
	ck_assert_int_eq(evs_fw_vnic_of(E.fw, &web), -1);
	/* deleting the group cascades to its rule */
	ok(EVS_STORE_DEL, "fw.group", "{\"name\":\"web\"}");
	ck_assert_uint_eq(evs_store_count(E.st, "fw.rule"), 0);
}
END_TEST

START_TEST(group_in_use_refused)
{
	struct evs_ctl_err err;

	ok(EVS_STORE_ADD, "fw.group", "{\"name\":\"g\"}");
	ok(EVS_STORE_ADD, "fw.port", "{\"port\":\"p0\",\"groups\":[\"g\"]}");
	ck_assert_int_eq(op(&E, EVS_STORE_DEL, "fw.group", "{\"name\":\"g\"}", &err), -EBUSY);
	ck_assert_ptr_nonnull(strstr(err.message, "in use"));
	ck_assert(evs_fw_port_filtered(E.fw, 0));
	/* deleting the port (the daemon's) cascades to its fw.port; then the group may go */
	ok(EVS_STORE_DEL, "port", "{\"name\":\"p0\"}");
	ck_assert(!evs_fw_port_filtered(E.fw, 0));
	ok(EVS_STORE_DEL, "fw.group", "{\"name\":\"g\"}");
}
END_TEST

START_TEST(addrset_and_tag_changes_recompile)
{
	struct evs_flow_key from9 = key4("10.9.0.1", "10.0.0.2", IPPROTO_UDP, 53);
	struct evs_flow_key from3 = key4("10.0.0.3", "10.0.0.2", IPPROTO_UDP, 53);

	ok(EVS_STORE_ADD, "fw.addrset", "{\"name\":\"dns\",\"prefixes\":[\"10.8.0.0/16\"]}");
	ok(EVS_STORE_ADD, "fw.group", "{\"name\":\"g\"}");
	ok(EVS_STORE_ADD, "fw.rule",
	   "{\"id\":1,\"group\":\"g\",\"direction\":\"ingress\",\"protocol\":\"udp\","
	   "\"src_addrset\":\"dns\"}");
	ok(EVS_STORE_ADD, "fw.rule",
	   "{\"id\":2,\"group\":\"g\",\"direction\":\"ingress\",\"src_tag\":\"db\"}");
	ok(EVS_STORE_ADD, "fw.port", "{\"port\":\"p2\",\"groups\":[\"g\"]}");
	ok(EVS_STORE_ADD, "fw.port", "{\"port\":\"p3\",\"addresses\":[\"10.0.0.3\"]}");
	ck_assert_int_eq(decide(E.fw, 2, EVS_FW_INGRESS, &from9).action, EVS_FW_DENY);
	ck_assert_int_eq(decide(E.fw, 2, EVS_FW_INGRESS, &from3).action, EVS_FW_DENY);
	ok(EVS_STORE_SET, "fw.addrset", "{\"name\":\"dns\",\"prefixes\":[\"10.9.0.0/16\"]}");
	ck_assert_uint_eq(decide(E.fw, 2, EVS_FW_INGRESS, &from9).rule_id, 1);
	/* p3 tagged db: its address joins rule 2's source */
	ok(EVS_STORE_SET, "fw.port", "{\"port\":\"p3\",\"tags\":[\"db\"]}");
	ck_assert_uint_eq(decide(E.fw, 2, EVS_FW_INGRESS, &from3).rule_id, 2);
	ok(EVS_STORE_SET, "fw.port", "{\"port\":\"p3\",\"tags\":[]}");
	ck_assert_int_eq(decide(E.fw, 2, EVS_FW_INGRESS, &from3).action, EVS_FW_DENY);
}
END_TEST

/* A transaction whose last op fails in a later type's prepare. */
static int txn_then_boom(struct env *e, const char *type, const char *json)
{
	struct evs_store_txn *t = evs_store_txn_begin(e->st);
	struct evs_ctl_err err;

	ck_assert_int_eq(
	    evs_store_txn_op(t, EVS_STORE_ADD, type, json_loads(json, 0, NULL), "", &err), 0);
	ck_assert_int_eq(evs_store_txn_op(t, EVS_STORE_ADD, "boom",
					  json_pack("{ssso}", "name", "x", "fail", json_true()), "",
					  &err),
			 0);
	return evs_store_txn_commit(t, &err);
}

START_TEST(failed_transaction_changes_nothing)
{
	struct evs_flow_key web = key4("10.0.0.9", "10.0.0.2", IPPROTO_TCP, 80);

	ok(EVS_STORE_ADD, "fw.group", "{\"name\":\"g\"}");
	ok(EVS_STORE_ADD, "fw.rule",
	   "{\"id\":5,\"group\":\"g\",\"direction\":\"ingress\",\"protocol\":\"tcp\"}");
	ok(EVS_STORE_ADD, "fw.port", "{\"port\":\"p2\",\"groups\":[\"g\"]}");
	ck_assert_int_eq(
	    txn_then_boom(&E, "fw.rule",
			  "{\"id\":6,\"group\":\"g\",\"direction\":\"ingress\","
			  "\"protocol\":\"tcp\",\"action\":\"deny\",\"priority\":5000}"),
	    -EIO);
	ck_assert_uint_eq(decide(E.fw, 2, EVS_FW_INGRESS, &web).rule_id, 5);
	ck_assert_int_eq(txn_then_boom(&E, "fw.port", "{\"port\":\"p1\",\"groups\":[\"g\"]}"),
			 -EIO);
	ck_assert(!evs_fw_port_filtered(E.fw, 1));
	ck_assert_int_eq(txn_then_boom(&E, "fw.group", "{\"name\":\"h\"}"), -EIO);
	/* a changed address set taken back: the rule naming it keeps its old members */
	ok(EVS_STORE_ADD, "fw.addrset", "{\"name\":\"s\",\"prefixes\":[\"10.0.0.0/24\"]}");
	ok(EVS_STORE_ADD, "fw.rule",
	   "{\"id\":7,\"group\":\"g\",\"direction\":\"ingress\",\"protocol\":\"tcp\","
	   "\"src_addrset\":\"s\",\"priority\":4000,\"action\":\"deny\"}");
	ck_assert_uint_eq(decide(E.fw, 2, EVS_FW_INGRESS, &web).rule_id, 7);
	{
		struct evs_store_txn *t = evs_store_txn_begin(E.st);
		struct evs_ctl_err err;

		ck_assert_int_eq(evs_store_txn_op(t, EVS_STORE_SET, "fw.addrset",
						  json_pack("{ss}", "name", "s"), "", &err),
				 0);
		ck_assert_int_eq(
		    evs_store_txn_op(t, EVS_STORE_SET, "fw.addrset",
				     json_loads("{\"name\":\"s\",\"prefixes\":[]}", 0, NULL), "",
				     &err),
		    0);
		ck_assert_int_eq(
		    evs_store_txn_op(t, EVS_STORE_ADD, "boom",
				     json_pack("{ssso}", "name", "y", "fail", json_true()), "",
				     &err),
		    0);
		ck_assert_int_eq(evs_store_txn_commit(t, &err), -EIO);
	}
	ok(EVS_STORE_DEL, "fw.rule", "{\"id\":7}");
	ok(EVS_STORE_ADD, "fw.rule",
	   "{\"id\":7,\"group\":\"g\",\"direction\":\"ingress\",\"protocol\":\"tcp\","
	   "\"src_addrset\":\"s\",\"priority\":4000,\"action\":\"deny\"}");
	ck_assert_uint_eq(decide(E.fw, 2, EVS_FW_INGRESS, &web).rule_id, 7);
	ok(EVS_STORE_DEL, "fw.rule", "{\"id\":7}");
	/* the staged objects were taken back too: id 6 and group h are free */
	ok(EVS_STORE_ADD, "fw.group", "{\"name\":\"h\"}");
	ok(EVS_STORE_ADD, "fw.rule",
	   "{\"id\":6,\"group\":\"h\",\"direction\":\"egress\",\"protocol\":\"udp\"}");
	ck_assert_uint_eq(decide(E.fw, 2, EVS_FW_INGRESS, &web).rule_id, 5);
	ck_assert(!evs_fw_port_filtered(E.fw, 1));
}
END_TEST

/* ---- random transactions vs a firewall built from scratch ---- */

static const char *const addrs[] = {"10.0.0.1", "10.0.0.2", "10.0.1.5", "10.1.0.1", "192.0.2.7"};
static const char *const prefixes[] = {"10.0.0.0/24", "10.0.0.0/16", "10.0.1.5/32", "0.0.0.0/0",
				       "192.0.2.0/28"};
static const char *const tags[] = {"web", "db", "ops"};
static const char *const groups[] = {"g0", "g1", "g2"};

static json_t *random_rule(uint32_t id)
{
	json_t *r = json_pack("{sIssss}", "id", (json_int_t)id, "group", groups[rand() % 3],
			      "direction", rand() % 2 ? "ingress" : "egress");
	static const char *const acts[] = {"allow", "deny", "reject"};
	static const char *const pr[] = {"any", "tcp", "udp"};
	const char *p = pr[rand() % 3];

	json_object_set_new(r, "action", json_string(acts[rand() % 3]));
	json_object_set_new(r, "priority", json_integer(rand() % 4));
	json_object_set_new(r, "protocol", json_string(p));
	switch (rand() % 4) {
	case 1:
		json_object_set_new(r, "src", json_string(prefixes[rand() % 5]));
		break;
	case 2:
		json_object_set_new(r, "src_tag", json_string(tags[rand() % 3]));
		break;
	case 3:
		json_object_set_new(r, "src_addrset", json_string(rand() % 2 ? "s0" : "s1"));
		break;
	}
	if (rand() % 2)
		json_object_set_new(r, "dst", json_string(prefixes[rand() % 5]));
	if (strcmp(p, "any") != 0 && rand() % 2) {
		int lo = 75 + rand() % 10;

		json_object_set_new(r, "dport_min", json_integer(lo));
		json_object_set_new(r, "dport_max", json_integer(lo + rand() % 10));
	}
	return r;
}

static json_t *random_port(int p)
{
	json_t *o = json_pack("{ss}", "port", (char[]){'p', (char)('0' + p), 0});
	json_t *a = json_array(), *t = json_array(), *g = json_array();

	json_array_append_new(a, json_string(addrs[p]));
	for (int i = 0; i < 3; i++) {
		if (rand() % 2)
			json_array_append_new(t, json_string(tags[i]));
		if (rand() % 3 == 0)
			json_array_append_new(g, json_string(groups[i]));
	}
	json_object_set_new(o, "addresses", a);
	json_object_set_new(o, "tags", t);
	json_object_set_new(o, "groups", g);
	return o;
}

static json_t *random_addrset(int i)
{
	json_t *pf = json_array();

	for (int k = 0; k < 3; k++)
		if (rand() % 2)
			json_array_append_new(pf, json_string(prefixes[rand() % 5]));
	return json_pack("{ssso}", "name", i ? "s1" : "s0", "prefixes", pf);
}

/* One random transaction of 1-4 ops; some fail (errors, or the boom type). */
static void random_txn(struct env *e)
{
	struct evs_store_txn *t = evs_store_txn_begin(e->st);
	struct evs_ctl_err err;
	int n = 1 + rand() % 4;

	for (int i = 0; i < n; i++) {
		uint32_t id = 1 + (uint32_t)(rand() % 12);
		json_t *v;

		switch (rand() % 6) {
		case 0:
		case 1:
			evs_store_txn_op(t, rand() % 2 ? EVS_STORE_ADD : EVS_STORE_SET, "fw.rule",
					 random_rule(id), "", &err);
			break;
		case 2:
			evs_store_txn_op(t, EVS_STORE_DEL, "fw.rule",
					 json_pack("{sI}", "id", (json_int_t)id), "", &err);
			break;
		case 3:
			v = random_port(rand() % N_PORTS);
			if (evs_store_txn_op(t, EVS_STORE_SET, "fw.port", json_incref(v), "",
					     &err) < 0)
				evs_store_txn_op(t, EVS_STORE_ADD, "fw.port", json_incref(v), "",
						 &err);
			json_decref(v);
			break;
		case 4:
			v = random_addrset(rand() % 2);
			if (evs_store_txn_op(t, EVS_STORE_SET, "fw.addrset", json_incref(v), "",
					     &err) < 0)
				evs_store_txn_op(t, EVS_STORE_ADD, "fw.addrset", json_incref(v), "",
						 &err);
			json_decref(v);
			break;
		default:
			evs_store_txn_op(
			    t, EVS_STORE_DEL, "fw.port",
			    json_pack("{ss}", "port",
				      (char[]){'p', (char)('0' + rand() % N_PORTS), 0}),
			    "", &err);
			break;
		}
	}
	/* a quarter fail after the firewall prepared: everything must be taken back */
	if (rand() % 4 == 0)
		evs_store_txn_op(t, EVS_STORE_ADD, "boom",
				 json_pack("{ssso}", "name", "b", "fail", json_true()), "", &err);
	evs_store_txn_commit(t, &err); /* failing is part of the test */
}

/* Every packet of a small space, every port and direction: same verdicts. */
static void compare(struct env *inc, struct env *fresh, int round)
{
	static const uint8_t protos[] = {IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP};

	for (size_t s = 0; s < RTE_DIM(addrs); s++)
		for (size_t d = 0; d < RTE_DIM(addrs); d++)
			for (size_t p = 0; p < RTE_DIM(protos); p++)
				for (uint16_t port = 78; port < 96; port += 5) {
					struct evs_flow_key k =
					    key4(addrs[s], addrs[d], protos[p], port);

					for (uint16_t vn = 0; vn < N_PORTS; vn++)
						for (int dir = 0; dir < 2; dir++) {
							struct evs_fw_verdict a = decide(
							    inc->fw, vn, (enum evs_fw_dir)dir, &k);
							struct evs_fw_verdict b =
							    decide(fresh->fw, vn,
								   (enum evs_fw_dir)dir, &k);

							ck_assert_msg(
							    a.action == b.action &&
								a.rule_id == b.rule_id,
							    "round %d: port %u dir %d %s->%s "
							    "proto %u dport %u: incremental "
							    "%u/%u, from scratch %u/%u",
							    round, vn, dir, addrs[s], addrs[d],
							    protos[p], port, a.action, a.rule_id,
							    b.action, b.rule_id);
						}
					ck_assert_int_eq(evs_fw_vnic_of(inc->fw, &k),
							 evs_fw_vnic_of(fresh->fw, &k));
				}
}

START_TEST(random_transactions_match_fresh_build)
{
	struct evs_ctl_err err;

	srand(1000u + (unsigned int)_i);
	for (int g = 0; g < 3; g++) {
		char j[32];

		snprintf(j, sizeof(j), "{\"name\":\"%s\"}", groups[g]);
		ok(EVS_STORE_ADD, "fw.group", j);
	}
	ok(EVS_STORE_ADD, "fw.addrset", "{\"name\":\"s0\"}");
	ok(EVS_STORE_ADD, "fw.addrset", "{\"name\":\"s1\"}");
	for (int round = 0; round < 60; round++) {
		struct env fresh;
		struct evs_store_txn *t;
		json_t *doc;

		random_txn(&E);
		env_open(&fresh);
		doc = evs_store_doc(E.st);
		json_object_del(doc, "booms");
		t = evs_store_txn_begin(fresh.st);
		ck_assert_int_eq(evs_store_txn_doc(t, doc, "", &err), 0);
		ck_assert_msg(evs_store_txn_commit(t, &err) == 0, "fresh build: %s", err.message);
		json_decref(doc);
		compare(&E, &fresh, round);
		env_close(&fresh);
	}
}
END_TEST

void fw_store_add_cases(Suite *s)
{
	const struct unit_case cases[] = {
	    {"store_rule_fields_checked", rule_fields_checked},
	    {"store_objects_reach_the_datapath", objects_reach_the_datapath},
	    {"store_group_in_use_refused", group_in_use_refused},
	    {"store_addrset_and_tag_changes_recompile", addrset_and_tag_changes_recompile},
	    {"store_failed_transaction_changes_nothing", failed_transaction_changes_nothing},
	};
	TCase *tc;

	unit_add_cases(s, cases, RTE_DIM(cases), setup, teardown, 0);
	tc = tcase_create("store_random_transactions_match_fresh_build");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 240);
	tcase_add_loop_test(tc, random_transactions_match_fresh_build, 0, 3);
	suite_add_tcase(s, tc);
}
