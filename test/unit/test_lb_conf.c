/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The lb.vip and lb.backend store types: VIPs and backends reach their pools
 * and Maglev tables through transactions; weight 0 drains, deletion keeps a
 * backend until its drain timeout, a VIP's deletion takes its backends;
 * bad values and conflicts are refused and a refused transaction changes
 * nothing; health checks are scheduled from the backend's fields.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <rte_common.h>

#include "evs_lb_conf.h"
#include "lb_test.h"
#include "unit_case.h"

static struct evs_store *st;
static struct evs_lb_conf *lb;
static uint64_t clock_ms;

static uint64_t fake_now(void *arg)
{
	(void)arg;
	return clock_ms;
}

static void conf_setup(void)
{
	struct evs_lb_conf_config cfg = {
	    .max_vips = 4,
	    .max_backends = 8,
	    .socket_id = SOCKET_ID_ANY,
	    .now_ms = fake_now,
	};

	clock_ms = 1000;
	st = evs_store_create();
	ck_assert_ptr_nonnull(st);
	lb = evs_lb_conf_create(&cfg);
	ck_assert_ptr_nonnull(lb);
	ck_assert_int_eq(evs_lb_store_add(st, lb), 0);
}

static void conf_teardown(void)
{
	evs_store_free(st);
	evs_lb_conf_free(lb);
}

/* Operations "type json" in one transaction; the commit's result. */
static int txn(int n, const enum evs_store_op *ops, const char *const *types,
	       const char *const *docs)
{
	struct evs_store_txn *t = evs_store_txn_begin(st);
	struct evs_ctl_err err;

	ck_assert_ptr_nonnull(t);
	for (int i = 0; i < n; i++) {
		json_t *v = json_loads(docs[i], 0, NULL);
		int rc;

		ck_assert_msg(v != NULL, "bad test JSON %s", docs[i]);
		rc = evs_store_txn_op(t, ops[i], types[i], v, "/params", &err);
		if (rc != 0) {
			evs_store_txn_abort(t);
			return rc;
		}
	}
	return evs_store_txn_commit(t, &err);
}

static int txn1(enum evs_store_op op, const char *type, const char *doc)
{
	return txn(1, &op, &type, &doc);
}

static struct evs_lb_pool *pool(const char *vip)
{
	return evs_lb_conf_pool(lb, evs_store_lookup_str(st, "lb.vip", vip));
}

static uint32_t backend_id(const char *vip, const char *addr, int port)
{
	json_t *k = json_pack("{s:s,s:s,s:i}", "vip", vip, "address", addr, "port", port);
	uint32_t id = evs_lb_conf_backend_id(evs_store_lookup(st, "lb.backend", k));

	json_decref(k);
	return id;
}

static uint32_t active(const char *vip)
{
	return evs_lb_pool_maglev(pool(vip))->cur->n_active;
}

#define WEB "{\"name\":\"web\",\"address\":\"10.0.0.100\",\"port\":80,\"scope\":\"ls1\"}"
#define B(a, extra) "{\"vip\":\"web\",\"address\":\"" a "\",\"port\":8080" extra "}"

START_TEST(test_conf_vip_and_backends)
{
	const enum evs_store_op ops[] = {EVS_STORE_ADD, EVS_STORE_ADD, EVS_STORE_ADD,
					 EVS_STORE_ADD};
	const char *const types[] = {"lb.vip", "lb.backend", "lb.backend", "lb.backend"};
	const char *const docs[] = {WEB, B("10.0.1.1", ""), B("10.0.1.2", ",\"weight\":3"),
				    B("10.0.1.3", ",\"weight\":0")};
	struct evs_maglev_backend in[2] = {{0}};
	uint32_t *want = malloc(sizeof(uint32_t) * EVS_MAGLEV_SIZE_DEFAULT);
	const struct evs_maglev *m;

	ck_assert_int_eq(txn(4, ops, types, docs), 0);
	ck_assert_ptr_nonnull(pool("web"));
	m = evs_lb_pool_maglev(pool("web"));
	ck_assert_uint_eq(m->size, EVS_MAGLEV_SIZE_DEFAULT);
	ck_assert_uint_eq(m->cur->n_active, 2); /* weight 0 drains */
	ck_assert_uint_eq(m->cur->gen, 1);	/* one rebuild for the transaction */
	/* the table is the population of (family, address, port) keys */
	in[0].id = backend_id("web", "10.0.1.1", 8080);
	in[0].weight = 1;
	in[1].id = backend_id("web", "10.0.1.2", 8080);
	in[1].weight = 3;
	for (int i = 0; i < 2; i++) {
		in[i].key_len = 19;
		in[i].key[0] = 4;
		in[i].key[1] = 10;
		in[i].key[3] = 1;
		in[i].key[4] = (uint8_t)(i + 1);
		in[i].key[17] = 8080 >> 8;
		in[i].key[18] = 8080 & 0xff;
	}
	ck_assert_uint_ne(in[0].id, 0);
	ck_assert_uint_ne(in[0].id, in[1].id);
	ck_assert_int_eq(evs_maglev_populate(want, m->size, in, 2), 0);
	ck_assert_mem_eq(m->cur->entry, want, sizeof(uint32_t) * m->size);
	/* weight changes rebuild; back to 1 and up to 0 */
	ck_assert_int_eq(txn1(EVS_STORE_SET, "lb.backend", B("10.0.1.3", ",\"weight\":2")), 0);
	ck_assert_uint_eq(active("web"), 3);
	ck_assert_int_eq(txn1(EVS_STORE_SET, "lb.backend", B("10.0.1.1", ",\"weight\":0")), 0);
	ck_assert_uint_eq(active("web"), 2);
	free(want);
}
END_TEST

START_TEST(test_conf_delete_drains)
{
	struct evs_lb_backend_info info;
	uint32_t id;

	ck_assert_int_eq(txn1(EVS_STORE_ADD, "lb.vip", WEB), 0);
	ck_assert_int_eq(txn1(EVS_STORE_ADD, "lb.backend", B("10.0.1.1", ",\"drain_timeout\":5")),
			 0);
	ck_assert_int_eq(txn1(EVS_STORE_ADD, "lb.backend", B("10.0.1.2", "")), 0);
	id = backend_id("web", "10.0.1.1", 8080);
	ck_assert_int_eq(txn1(EVS_STORE_DEL, "lb.backend", B("10.0.1.1", "")), 0);
	ck_assert_uint_eq(active("web"), 1);
	ck_assert_int_eq(evs_lb_pool_get(pool("web"), id, &info), 0);
	ck_assert(info.removing);
	/* adding it back while it drains is refused, and changes nothing */
	ck_assert_int_eq(txn1(EVS_STORE_ADD, "lb.backend", B("10.0.1.1", "")), -EBUSY);
	ck_assert_uint_eq(evs_store_count(st, "lb.backend"), 1);
	clock_ms += 4999;
	ck_assert_uint_eq(evs_lb_conf_tick(lb, NULL, NULL), 0);
	ck_assert_int_eq(evs_lb_pool_get(pool("web"), id, &info), 0);
	clock_ms += 1;
	evs_lb_conf_tick(lb, NULL, NULL);
	ck_assert_int_eq(evs_lb_pool_get(pool("web"), id, &info), -ENOENT);
	ck_assert_int_eq(txn1(EVS_STORE_ADD, "lb.backend", B("10.0.1.1", "")), 0);
	ck_assert_uint_eq(active("web"), 2);
	ck_assert_uint_ne(backend_id("web", "10.0.1.1", 8080), id); /* a fresh id */
}
END_TEST

START_TEST(test_conf_vip_delete_cascades)
{
	ck_assert_int_eq(txn1(EVS_STORE_ADD, "lb.vip", WEB), 0);
	ck_assert_int_eq(txn1(EVS_STORE_ADD, "lb.backend", B("10.0.1.1", "")), 0);
	ck_assert_int_eq(txn1(EVS_STORE_DEL, "lb.vip", "{\"name\":\"web\"}"), 0);
	ck_assert_uint_eq(evs_store_count(st, "lb.backend"), 0);
	ck_assert_ptr_null(pool("web"));
	/* the slot is free again: four more VIPs fit */
	for (int i = 0; i < 4; i++) {
		char doc[128];

		snprintf(doc, sizeof(doc),
			 "{\"name\":\"v%d\",\"address\":\"10.0.0.%d\",\"scope\":\"ls1\"}", i, i);
		ck_assert_int_eq(txn1(EVS_STORE_ADD, "lb.vip", doc), 0);
	}
	ck_assert_int_eq(txn1(EVS_STORE_ADD, "lb.vip", WEB), -ENOSPC);
	ck_assert_uint_eq(evs_store_count(st, "lb.vip"), 4);
}
END_TEST

START_TEST(test_conf_refusals)
{
	const uint64_t gen0 = evs_store_generation(st);

	ck_assert_int_eq(txn1(EVS_STORE_ADD, "lb.vip",
			      "{\"name\":\"a\",\"address\":\"10.0.0.1\",\"scope\":\"ls1\","
			      "\"table_size\":65536}"),
			 -EINVAL); /* not prime */
	ck_assert_int_eq(txn1(EVS_STORE_ADD, "lb.vip",
			      "{\"name\":\"a\",\"address\":\"10.0.0.1\",\"scope\":\"ls1\","
			      "\"table_size\":7}"),
			 -EINVAL); /* prime, but not above max_backends 8 */
	ck_assert_int_eq(txn1(EVS_STORE_ADD, "lb.vip",
			      "{\"name\":\"a\",\"address\":\"10.0.0.1\",\"scope\":\"l s\"}"),
			 -EINVAL);
	ck_assert_int_eq(txn1(EVS_STORE_ADD, "lb.vip",
			      "{\"name\":\"a\",\"address\":\"10.0.0.1\",\"protocol\":\"sctp\","
			      "\"scope\":\"ls1\"}"),
			 -EINVAL);
	ck_assert_uint_eq(evs_store_generation(st), gen0);
	ck_assert_int_eq(txn1(EVS_STORE_ADD, "lb.vip", WEB), 0);
	/* the same address/protocol/scope with port 80 or all ports overlaps */
	ck_assert_int_eq(txn1(EVS_STORE_ADD, "lb.vip",
			      "{\"name\":\"b\",\"address\":\"10.0.0.100\",\"scope\":\"ls1\"}"),
			 -EEXIST);
	ck_assert_int_eq(txn1(EVS_STORE_ADD, "lb.vip",
			      "{\"name\":\"b\",\"address\":\"10.0.0.100\",\"port\":80,"
			      "\"scope\":\"ls1\"}"),
			 -EEXIST);
	/* another port, protocol or scope does not */
	ck_assert_int_eq(txn1(EVS_STORE_ADD, "lb.vip",
			      "{\"name\":\"b\",\"address\":\"10.0.0.100\",\"port\":443,"
			      "\"scope\":\"ls1\"}"),
			 0);
	ck_assert_int_eq(txn1(EVS_STORE_ADD, "lb.vip",
			      "{\"name\":\"c\",\"address\":\"10.0.0.100\",\"protocol\":\"udp\","
			      "\"scope\":\"ls1\"}"),
			 0);
	ck_assert_int_eq(txn1(EVS_STORE_SET, "lb.vip", "{\"name\":\"web\",\"table_size\":251}"),
			 -EINVAL);
	/* backends: family, timeout, dangling VIP */
	ck_assert_int_eq(txn1(EVS_STORE_ADD, "lb.backend",
			      "{\"vip\":\"web\",\"address\":\"2001:db8::1\",\"port\":80}"),
			 -EINVAL);
	ck_assert_int_eq(txn1(EVS_STORE_ADD, "lb.backend",
			      B("10.0.1.1", ",\"interval_ms\":100,\"timeout_ms\":200")),
			 -EINVAL);
	ck_assert_int_eq(txn1(EVS_STORE_ADD, "lb.backend",
			      "{\"vip\":\"nope\",\"address\":\"10.0.1.1\",\"port\":80}"),
			 -ENOENT);
	ck_assert_uint_eq(evs_store_count(st, "lb.backend"), 0);
	/* an IPv6 VIP; a key address has one spelling */
	ck_assert_int_eq(txn1(EVS_STORE_ADD, "lb.vip",
			      "{\"name\":\"v6\",\"address\":\"2001:db8::100\",\"port\":80,"
			      "\"scope\":\"ls1\"}"),
			 0);
	ck_assert_int_eq(txn1(EVS_STORE_ADD, "lb.backend",
			      "{\"vip\":\"v6\",\"address\":\"2001:0DB8::1\",\"port\":80}"),
			 -EINVAL);
	ck_assert_int_eq(txn1(EVS_STORE_ADD, "lb.backend",
			      "{\"vip\":\"v6\",\"address\":\"not-an-ip\",\"port\":80}"),
			 -EINVAL);
	ck_assert_int_eq(txn1(EVS_STORE_ADD, "lb.backend",
			      "{\"vip\":\"v6\",\"address\":\"2001:db8::1\",\"port\":80}"),
			 0);
	ck_assert_uint_eq(active("v6"), 1);
}
END_TEST

/* A failed transaction leaves the pools as they were (a VIP's pool created
 * in prepare is freed on abort). */
START_TEST(test_conf_failed_txn_changes_nothing)
{
	const enum evs_store_op ops[] = {EVS_STORE_ADD, EVS_STORE_ADD, EVS_STORE_ADD};
	const char *const types[] = {"lb.vip", "lb.backend", "lb.backend"};
	const char *const docs[] = {WEB, B("10.0.1.1", ""),
				    "{\"vip\":\"web\",\"address\":\"::1\",\"port\":1}"};

	ck_assert_int_eq(txn(3, ops, types, docs), -EINVAL);
	ck_assert_uint_eq(evs_store_count(st, "lb.vip"), 0);
	ck_assert_ptr_null(pool("web"));
	ck_assert_int_eq(txn(2, ops, types, docs), 0);
	ck_assert_uint_eq(active("web"), 1);
}
END_TEST

static uint32_t probes;

static void count_probe(void *arg, const struct evs_lb_backend_spec *b)
{
	(void)arg;
	(void)b;
	probes++;
}

START_TEST(test_conf_health)
{
	uint32_t id;

	ck_assert_int_eq(txn1(EVS_STORE_ADD, "lb.vip", WEB), 0);
	ck_assert_int_eq(txn1(EVS_STORE_ADD, "lb.backend",
			      B("10.0.1.1", ",\"check\":\"tcp\",\"interval_ms\":100,"
					    "\"timeout_ms\":50,\"fall\":1")),
			 0);
	ck_assert_int_eq(txn1(EVS_STORE_ADD, "lb.backend", B("10.0.1.2", "")), 0);
	id = backend_id("web", "10.0.1.1", 8080);
	probes = 0;
	evs_lb_conf_tick(lb, count_probe, NULL);
	ck_assert_uint_eq(probes, 1); /* only the checked one */
	clock_ms += 50;		      /* no answer: the timeout takes it down */
	evs_lb_conf_tick(lb, count_probe, NULL);
	ck_assert_uint_eq(active("web"), 1);
	/* back up by a probe; then checks turned off keep it up */
	clock_ms += 50;
	evs_lb_conf_tick(lb, count_probe, NULL);
	ck_assert_int_eq(evs_lb_pool_probe_result(pool("web"), id, clock_ms, EVS_LB_PROBE_OK), 0);
	ck_assert_int_eq(evs_lb_pool_probe_result(pool("web"), id, clock_ms, EVS_LB_PROBE_OK), 0);
	evs_lb_conf_tick(lb, count_probe, NULL);
	ck_assert_uint_eq(active("web"), 1); /* rise 2: one success so far */
	ck_assert_int_eq(txn1(EVS_STORE_SET, "lb.backend", B("10.0.1.1", ",\"check\":\"none\"")),
			 0);
	ck_assert_uint_eq(active("web"), 2);
}
END_TEST

/* config.apply's path: a whole document, then a second one that drops a
 * backend and reweights another, applied as one diff. */
START_TEST(test_conf_document)
{
	const char *d1 = "{\"lb_vips\":[" WEB "],\"lb_backends\":[" B("10.0.1.1", "") "," B(
	    "10.0.1.2", "") "," B("10.0.1.3", "") "]}";
	const char *d2 =
	    "{\"lb_vips\":[" WEB
	    "],\"lb_backends\":[" B("10.0.1.1", ",\"weight\":5") "," B("10.0.1.3", "") "]}";
	const char *docs[] = {d1, d2};
	uint64_t gen;

	for (int i = 0; i < 2; i++) {
		struct evs_store_txn *t = evs_store_txn_begin(st);
		json_t *doc = json_loads(docs[i], 0, NULL);
		struct evs_ctl_err err;

		ck_assert_ptr_nonnull(doc);
		ck_assert_int_eq(evs_store_txn_doc(t, doc, "/params", &err), 0);
		ck_assert_int_eq(evs_store_txn_commit(t, &err), 0);
		json_decref(doc);
		if (i == 0) {
			ck_assert_uint_eq(active("web"), 3);
			gen = evs_lb_pool_maglev(pool("web"))->cur->gen;
		}
	}
	ck_assert_uint_eq(active("web"), 2);
	ck_assert_uint_eq(evs_lb_pool_maglev(pool("web"))->cur->gen, gen + 1); /* one rebuild */
	ck_assert_uint_eq(evs_lb_pool_count(pool("web")), 3);		       /* one draining */
}
END_TEST

/* The HTTP check's path goes into the request line: only a printable
 * path from '/' without spaces is taken; the status is a real one. */
START_TEST(test_conf_http_check_fields)
{
	ck_assert_int_eq(txn1(EVS_STORE_ADD, "lb.vip", WEB), 0);
	ck_assert_int_eq(txn1(EVS_STORE_ADD, "lb.backend",
			      B("10.0.1.1", ",\"check\":\"http\",\"http_path\":\"/a b\"")),
			 -EINVAL);
	ck_assert_int_eq(
	    txn1(EVS_STORE_ADD, "lb.backend",
		 B("10.0.1.1", ",\"check\":\"http\",\"http_path\":\"/x\\r\\nHost: evil\"")),
	    -EINVAL);
	ck_assert_int_eq(txn1(EVS_STORE_ADD, "lb.backend",
			      B("10.0.1.1", ",\"check\":\"http\",\"http_path\":\"health\"")),
			 -EINVAL);
	ck_assert_int_eq(txn1(EVS_STORE_ADD, "lb.backend",
			      B("10.0.1.1", ",\"check\":\"http\",\"http_status\":99")),
			 -EINVAL);
	ck_assert_uint_eq(evs_store_count(st, "lb.backend"), 0);
	ck_assert_int_eq(txn1(EVS_STORE_ADD, "lb.backend",
			      B("10.0.1.1", ",\"check\":\"http\",\"http_path\":\"/healthz?x=1\","
					    "\"http_status\":204")),
			 0);
	ck_assert_uint_eq(evs_store_count(st, "lb.backend"), 1);
}
END_TEST

/* VIPs prepare in slices (a Maglev table each): a transaction of more VIPs
 * than a slice commits whole, and one that runs out of slots in a later
 * slice frees the pools of every earlier one. */
static int vips_txn(struct evs_store *s, int from, int n)
{
	struct evs_store_txn *t = evs_store_txn_begin(s);
	struct evs_ctl_err err;

	ck_assert_ptr_nonnull(t);
	for (int i = from; i < from + n; i++) {
		char name[16];

		snprintf(name, sizeof(name), "v%d", i);
		ck_assert_int_eq(
		    evs_store_txn_op(t, EVS_STORE_ADD, "lb.vip",
				     json_pack("{s:s,s:s,s:i,s:s,s:i}", "name", name, "address",
					       "10.0.0.100", "port", 1000 + i, "scope", "ls1",
					       "table_size", 251),
				     "/params", &err),
		    0);
	}
	return evs_store_txn_commit(t, &err);
}

START_TEST(test_conf_vips_sliced)
{
	struct evs_lb_conf_config cfg = {
	    .max_vips = 40, .max_backends = 8, .socket_id = SOCKET_ID_ANY, .now_ms = fake_now};
	struct evs_store *s2 = evs_store_create();
	struct evs_lb_conf *lb2 = evs_lb_conf_create(&cfg);
	char name[16];

	ck_assert_ptr_nonnull(s2);
	ck_assert_ptr_nonnull(lb2);
	ck_assert_int_eq(evs_lb_store_add(s2, lb2), 0);
	ck_assert_int_eq(vips_txn(s2, 0, 10), 0);
	/* 30 slots left: the 31st VIP, in the second slice, finds none */
	ck_assert_int_eq(vips_txn(s2, 10, 35), -ENOSPC);
	ck_assert_uint_eq(evs_store_count(s2, "lb.vip"), 10);
	ck_assert_int_eq(vips_txn(s2, 10, 30), 0); /* every slot was given back */
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "v%d", i);
		ck_assert_ptr_nonnull(
		    evs_lb_conf_pool(lb2, evs_store_lookup_str(s2, "lb.vip", name)));
	}
	evs_store_free(s2);
	evs_lb_conf_free(lb2);
}
END_TEST

void lb_conf_add_cases(Suite *s)
{
	const struct unit_case cases[] = {
	    {"conf_vip_and_backends", test_conf_vip_and_backends},
	    {"conf_delete_drains", test_conf_delete_drains},
	    {"conf_vip_delete_cascades", test_conf_vip_delete_cascades},
	    {"conf_refusals", test_conf_refusals},
	    {"conf_failed_txn_changes_nothing", test_conf_failed_txn_changes_nothing},
	    {"conf_health", test_conf_health},
	    {"conf_document", test_conf_document},
	    {"conf_http_check_fields", test_conf_http_check_fields},
	    {"conf_vips_sliced", test_conf_vips_sliced},
	};

	unit_add_cases(s, cases, RTE_DIM(cases), conf_setup, conf_teardown, 0);
}
