/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * GENEVE options from the store (tunnel options, option_classes,
 * critical_options) and source tags (source_tags + fw.port tags) between two
 * hosts' overlays, in the clear so the wire bytes can be read.
 */
#include <errno.h>
#include <string.h>

#include <check.h>
#include <rte_mbuf.h>

#include "crypto_test.h"
#include "evs_tunnel.h"
#include "overlay_test.h"
#include "unit_case.h"

/* The app's transaction-wide hooks: the table follows ports and fw.ports. */
static int tag_prepare(struct evs_store *st, struct evs_ctl_err *err, void *ctx)
{
	(void)st;
	return evs_overlay_policy_restage(ctx, err);
}

static void tag_commit(struct evs_store *st, void *ctx)
{
	(void)st;
	evs_overlay_policy_commit(ctx);
}

static void tag_abort(struct evs_store *st, void *ctx)
{
	(void)st;
	evs_overlay_policy_abort(ctx);
}

static const struct evs_store_txn_hooks tag_hooks = {tag_prepare, tag_commit, tag_abort};

/* Both hosts in the clear, with ports vm1 (slot 5) and vm2 (6); @p tunnel
 * is A's tunnel object, @p tunnel_b B's. */
static void clear_hosts(struct wire *w, const char *tunnel, const char *tunnel_b)
{
	const char *a[] = {tunnel,
			   "=vtep {\"name\": \"h2\", \"underlay\": \"u1\", \"address\": "
			   "\"10.9.0.2\", \"encrypt\": false}",
			   "+port {\"name\": \"vm1\"}", "+port {\"name\": \"vm2\"}"};
	const char *b[] = {tunnel_b,
			   "=vtep {\"name\": \"h1\", \"underlay\": \"u1\", \"address\": "
			   "\"10.9.0.1\", \"encrypt\": false}",
			   "+port {\"name\": \"vm1\"}", "+port {\"name\": \"vm2\"}"};
	struct evs_ctl_err err;

	wire_init(w);
	ck_assert_msg(txn_on(&ha, a, RTE_DIM(a), &err) == 0, "A: %s at %s", err.message, err.path);
	ck_assert_msg(txn_on(&hb, b, RTE_DIM(b), &err) == 0, "B: %s at %s", err.message, err.path);
	evs_store_txn_hooks_set(ha.st, &tag_hooks, ha.ov);
	evs_store_txn_hooks_set(hb.st, &tag_hooks, hb.ov);
}

/* @p n frames of @p len payload bytes from A's port @p slot (marked as the
 * PMD marks an rx burst) through A's tunnel port to B. @return B's
 * deliveries in @p m with their metadata; @p wire: copies of what A sent. */
static uint16_t send_from(struct wire *w, uint16_t slot, struct rte_mbuf **m, uint16_t n,
			  uint32_t len, struct evs_tun_meta *meta, struct rte_mbuf **wire)
{
	const struct evs_overlay_dp *dp = evs_overlay_dp_get(ha.ov);
	uint16_t tp[64], k;

	for (uint16_t i = 0; i < n; i++) {
		m[i] = ct_build_udp(4, 14, len, 40 + i);
		ck_assert_ptr_nonnull(m[i]);
	}
	if (evs_overlay_dp_port_policy(dp))
		evs_overlay_mark_rx(ha.ov, dp, slot, m, n);
	k = evs_overlay_tx_burst(ha.ov, dp, w->ea, (uint16_t)tport_of(&ha, 7, "h2"), m, n, NULL,
				 NULL, NULL, &w->sa);
	for (uint16_t i = 0; wire != NULL && i < k; i++)
		wire[i] = ct_clone(m[i]);
	return evs_overlay_rx_burst(hb.ov, evs_overlay_dp_get(hb.ov), w->eb, 0, m, k, tp, meta,
				    &w->sb);
}

static const uint8_t *geneve_of(const struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod(m, const uint8_t *) + 14 + 20 + 8; /* untagged IPv4 */
}

/* Options, classes and critical options from the store: on the wire as
 * given, reported in the key's bits on the far side, a critical option the
 * far host does not list dropped there, the inner MTU less the options. */
START_TEST(test_options_from_store)
{
	static const uint8_t want[] = {0x01, 0x02, 0x85, 0x01, 0xde, 0xad,
				       0xbe, 0xef, 0xff, 0xf1, 0x07, 0x00};
	struct rte_mbuf *m[8], *wire[8];
	struct evs_tun_meta meta[8];
	struct evs_ctl_err err;
	struct wire w;
	uint16_t got;
	int big;

	clear_hosts(&w,
		    "=tunnel {\"switch\": \"sw\", \"vni\": 5001, \"encrypt\": false, "
		    "\"options\": [{\"class\": 258, \"type\": 133, \"data\": \"deadbeef\"}, "
		    "{\"class\": 65521, \"type\": 7}]}",
		    "=tunnel {\"switch\": \"sw\", \"vni\": 5001, \"encrypt\": false, "
		    "\"option_classes\": [4096, 65521, 258], "
		    "\"critical_options\": [{\"class\": 258, \"type\": 133}]}");
	got = send_from(&w, 5, m, 8, 200, meta, wire);
	ck_assert_uint_eq(got, 8);
	for (uint16_t i = 0; i < 8; i++) {
		const uint8_t *g = geneve_of(wire[i]);

		ck_assert_uint_eq(g[0] & 0x3f, sizeof(want) / 4);
		ck_assert_uint_eq(g[1] & 0x40, 0x40); /* C: a critical option */
		ck_assert_int_eq(memcmp(g + 8, want, sizeof(want)), 0);
		/* B's classes: bit 0 4096 (absent), bit 1 0xfff1, bit 2 0x0102 */
		ck_assert_uint_eq(meta[i].opt_flags, EVS_TUN_PRESENT | 0x6);
		ck_assert_uint_eq(meta[i].opt_len, sizeof(want));
	}
	ck_assert_int_eq(evs_overlay_opt_class_of_bit(hb.ov, 2), 258);
	ck_assert_int_eq(evs_overlay_opt_class_of_bit(hb.ov, 3), -1);
	free_all(m, got);
	free_all(wire, 8);

	/* the longest frame without options no longer fits: 12 bytes less */
	big = 1500 - 20 - 8 - 8 - 12;
	got = send_from(&w, 5, m, 1, (uint32_t)(big - 14 - 20 - 8), meta, NULL);
	ck_assert_uint_eq(got, 1);
	free_all(m, got);
	got = send_from(&w, 5, m, 1, (uint32_t)(big - 14 - 20 - 8 + 1), meta, NULL);
	ck_assert_uint_eq(got, 0);
	ck_assert_uint_eq(w.sa.tun.drops[EVS_TUN_DROP_TOO_BIG], 1);

	/* B forgets the critical option: A's frames are dropped there */
	ck_assert_int_eq(txn1(&hb,
			      "=tunnel {\"switch\": \"sw\", \"vni\": 5001, \"encrypt\": false, "
			      "\"critical_options\": []}",
			      &err),
			 0);
	got = send_from(&w, 5, m, 4, 100, meta, NULL);
	ck_assert_uint_eq(got, 0);
	ck_assert_uint_eq(w.sb.tun.drops[EVS_TUN_DROP_CRITICAL_OPTION], 4);
	ck_assert_uint_eq(w.sb.drops[EVS_OVL_DROP_TUNNEL], 4);
	wire_fini(&w);
}
END_TEST

/* Bad options refused at their path, nothing changed. */
START_TEST(test_options_refused)
{
	static const struct {
		const char *op, *path;
		int rc;
	} bad[] = {
	    {"=tunnel {\"switch\": \"sw\", \"vni\": 5001, \"options\": [{\"class\": 1, \"type\": "
	     "1, "
	     "\"data\": \"abcdef\"}]}",
	     "/options/0", -EINVAL},
	    {"=tunnel {\"switch\": \"sw\", \"vni\": 5001, \"options\": [{\"class\": 1, \"type\": "
	     "1, "
	     "\"data\": \"zzzzzzzz\"}]}",
	     "/options/0", -EINVAL},
	    {"=tunnel {\"switch\": \"sw\", \"vni\": 5001, \"options\": [{\"class\": 65520, "
	     "\"type\": 1}]}",
	     "/options/0", -EINVAL},
	    {"=tunnel {\"switch\": \"sw\", \"vni\": 5001, \"options\": [{\"class\": 1}]}",
	     "/options/0/type", -EINVAL},
	    {"=tunnel {\"switch\": \"sw\", \"vni\": 5001, \"options\": [{\"class\": 70000, "
	     "\"type\": 1}]}",
	     "/options/0/class", -EINVAL},
	    {"=tunnel {\"switch\": \"sw\", \"vni\": 5001, \"critical_options\": [{\"class\": 1, "
	     "\"type\": 5}]}",
	     "/critical_options/0/type", -EINVAL},
	    {"=tunnel {\"switch\": \"sw\", \"vni\": 5001, \"option_classes\": [1, 2, 3, 4, 5, 6, "
	     "7, "
	     "8, 9, 10, 11, 12, 13, 14, 15, 16, 17]}",
	     "/option_classes", -EINVAL},
	};
	char big[2048], data[249];
	struct evs_ctl_err err;
	int rc;

	for (size_t i = 0; i < RTE_DIM(bad); i++) {
		memset(&err, 0, sizeof(err));
		rc = txn1(&ha, bad[i].op, &err);
		ck_assert_msg(rc == bad[i].rc, "case %zu: rc %d (%s)", i, rc, err.message);
		ck_assert_msg(strstr(err.path, bad[i].path) != NULL, "case %zu: path %s", i,
			      err.path);
	}
	/* two 124-byte options: 256 > 252 */
	memset(data, 'a', 248);
	data[248] = '\0';
	snprintf(big, sizeof(big),
		 "=tunnel {\"switch\": \"sw\", \"vni\": 5001, \"options\": [{\"class\": 1, "
		 "\"type\": 1, \"data\": \"%s\"}, {\"class\": 2, \"type\": 1, \"data\": \"%s\"}, "
		 "{\"class\": 3, \"type\": 1, \"data\": \"aaaaaaaa\"}]}",
		 data, data);
	ck_assert_int_eq(txn1(&ha, big, &err), -E2BIG);
	ck_assert_ptr_nonnull(strstr(err.path, "/options/1"));
	/* 248 bytes of options leave no room for source tags */
	snprintf(big, sizeof(big),
		 "=tunnel {\"switch\": \"sw\", \"vni\": 5001, \"source_tags\": true, \"options\": "
		 "[{\"class\": 1, \"type\": 1, \"data\": \"%s\"}, {\"class\": 2, \"type\": 1, "
		 "\"data\": \"%.232s\"}]}",
		 data, data);
	ck_assert_int_eq(txn1(&ha, big, &err), -E2BIG);
	/* more than 16 classes over two tunnels: the host's decap has 16 bits */
	ck_assert_int_eq(txn1(&ha, "+switch {\"name\": \"sw2\"}", &err), 0);
	ck_assert_int_eq(txn1(&ha,
			      "=tunnel {\"switch\": \"sw\", \"vni\": 5001, \"option_classes\": [1, "
			      "2, 3, 4, 5, 6, 7, 8, 9, 10]}",
			      &err),
			 0);
	rc = txn1(&ha,
		  "+tunnel {\"switch\": \"sw2\", \"vni\": 5002, \"option_classes\": [1, 2, 11, 12, "
		  "13, 14, 15, 16, 17]}",
		  &err);
	ck_assert_int_eq(rc, -ENOSPC);
	/* the table is the one of the last good transaction */
	ck_assert_int_eq(evs_overlay_opt_class_of_bit(ha.ov, 9), 10);
	ck_assert_int_eq(evs_overlay_opt_class_of_bit(ha.ov, 10), -1);
}
END_TEST

/* Each frame carries its source port's fw tags; a port without tags sends
 * none; a tag change applies to the next frames. */
START_TEST(test_source_tags_between_hosts)
{
	const struct evs_overlay_dp *dp;
	struct rte_mbuf *m[8], *wire[8];
	struct evs_tun_meta meta[8];
	struct evs_ctl_err err;
	uint32_t ids[EVS_TUN_SRC_TAGS_MAX];
	struct wire w;
	uint16_t got;

	clear_hosts(&w,
		    "=tunnel {\"switch\": \"sw\", \"vni\": 5001, \"encrypt\": false, "
		    "\"source_tags\": true}",
		    "=tunnel {\"switch\": \"sw\", \"vni\": 5001, \"encrypt\": false}");
	dp = evs_overlay_dp_get(ha.ov);
	ck_assert(!evs_overlay_dp_port_policy(dp)); /* no port has tags yet */
	ck_assert_int_eq(
	    txn1(&ha, "+fw.port {\"port\": \"vm1\", \"tags\": [\"web\", \"db\"]}", &err), 0);
	ck_assert(evs_overlay_dp_port_policy(evs_overlay_dp_get(ha.ov)));

	got = send_from(&w, 5, m, 8, 300, meta, wire);
	ck_assert_uint_eq(got, 8);
	for (uint16_t i = 0; i < 8; i++) {
		const uint8_t *g = geneve_of(wire[i]);

		ck_assert_uint_eq(g[0] & 0x3f, 3); /* header + two ids */
		ck_assert_uint_eq(g[1] & 0x40, 0); /* not critical */
		ck_assert_uint_eq(g[8] << 8 | g[9], EVS_GENEVE_CLASS_EDGEVS);
		ck_assert_uint_eq(g[10], EVS_GENEVE_TYPE_SRC_TAGS);
		ck_assert_uint_eq(evs_tun_src_tags(meta[i].opts, meta[i].opt_len, ids, 8), 2);
		ck_assert_uint_eq(ids[0], evs_tun_tag_id("web"));
		ck_assert_uint_eq(ids[1], evs_tun_tag_id("db"));
		/* B does not list the class: the key bits come from the firewall */
		ck_assert_uint_eq(meta[i].opt_flags, EVS_TUN_PRESENT);
	}
	free_all(m, got);
	free_all(wire, 8);

	/* vm2 has no tags: no option */
	got = send_from(&w, 6, m, 4, 300, meta, wire);
	ck_assert_uint_eq(got, 4);
	for (uint16_t i = 0; i < 4; i++) {
		ck_assert_uint_eq(geneve_of(wire[i])[0] & 0x3f, 0);
		ck_assert_uint_eq(meta[i].opt_len, 0);
	}
	free_all(m, got);
	free_all(wire, 4);

	/* vm1's tags change: the next frames carry the new ones */
	ck_assert_int_eq(txn1(&ha, "=fw.port {\"port\": \"vm1\", \"tags\": [\"ops\"]}", &err), 0);
	got = send_from(&w, 5, m, 4, 300, meta, NULL);
	ck_assert_uint_eq(got, 4);
	for (uint16_t i = 0; i < 4; i++) {
		ck_assert_uint_eq(evs_tun_src_tags(meta[i].opts, meta[i].opt_len, ids, 8), 1);
		ck_assert_uint_eq(ids[0], evs_tun_tag_id("ops"));
	}
	free_all(m, got);

	/* the room is reserved whatever the sender: the inner MTU is 36 less */
	got = send_from(&w, 6, m, 1, 1500 - 20 - 8 - 8 - 36 - 14 - 20 - 8 + 1, meta, NULL);
	ck_assert_uint_eq(got, 0);
	ck_assert_uint_eq(w.sa.tun.drops[EVS_TUN_DROP_TOO_BIG], 1);

	/* no tunnel sends tags any more: no marking */
	ck_assert_int_eq(txn1(&ha,
			      "=tunnel {\"switch\": \"sw\", \"vni\": 5001, \"encrypt\": false, "
			      "\"source_tags\": false}",
			      &err),
			 0);
	ck_assert(!evs_overlay_dp_port_policy(evs_overlay_dp_get(ha.ov)));
	got = send_from(&w, 5, m, 2, 300, meta, NULL);
	ck_assert_uint_eq(got, 2);
	ck_assert_uint_eq(meta[0].opt_len, 0);
	free_all(m, got);
	wire_fini(&w);
}
END_TEST

void overlay_opts_add_cases(Suite *s)
{
	const struct unit_case cases[] = {
	    {"options_from_store", test_options_from_store},
	    {"options_refused", test_options_refused},
	    {"source_tags_between_hosts", test_source_tags_between_hosts},
	};

	unit_add_cases(s, cases, RTE_DIM(cases), setup, teardown, 0);
}
