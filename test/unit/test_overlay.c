/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/overlay: the underlay/vtep/tunnel/sa types on a store, the SAs they
 * build (inbound SPI table, VTEPs' outbound SA), make-before-break rekey
 * with draining, failed transactions changing nothing, keys never shown,
 * a random walk against a model of which SPIs the table must hold, and ESP
 * between two hosts' overlays across a rekey losing nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <netinet/in.h>
#include <rte_arp.h>
#include <rte_ip.h>

#include "crypto_test.h"
#include "evs_l3.h"
#include "evs_overlay.h"
#include "evs_store.h"
#include "unit_case.h"
#include "unit_eal.h"
#include "unit_store.h"
#include "overlay_test.h"

START_TEST(test_types_refuse_bad_objects)
{
	static const struct {
		const char *op, *path;
	} bad[] = {
	    {"+sa {\"vtep\": \"h2\", \"dir\": \"in\", \"spi\": 300, \"key\": "
	     "\"000102030405060708090a0b0c0d0e0g\", \"salt\": \"0a0b0c0d\"}",
	     "/op/key"},
	    {"+sa {\"vtep\": \"h2\", \"dir\": \"in\", \"spi\": 300, \"key\": \"" KEY_A
	     "00\", \"salt\": \"0a0b0c0d\"}",
	     "/op/key"},
	    {"+sa {\"vtep\": \"h2\", \"dir\": \"in\", \"spi\": 300, \"key\": \"" KEY_A
	     "\", \"salt\": \"0a0b0c0x\"}",
	     "/op/salt"},
	    {"+sa {\"vtep\": \"h2\", \"dir\": \"in\", \"spi\": 255, \"key\": \"" KEY_A
	     "\", \"salt\": \"0a0b0c0d\"}",
	     "/op/spi"},
	    {"+sa {\"vtep\": \"h2\", \"dir\": \"sideways\", \"spi\": 300, \"key\": \"" KEY_A
	     "\", \"salt\": \"0a0b0c0d\"}",
	     "/op/dir"},
	    {"+sa {\"vtep\": \"h9\", \"dir\": \"in\", \"spi\": 300, \"key\": \"" KEY_A
	     "\", \"salt\": \"0a0b0c0d\"}",
	     NULL},
	    {"+vtep {\"name\": \"h6\", \"underlay\": \"u1\", \"address\": \"fd00::6\"}",
	     "/op/address"},
	    {"+vtep {\"name\": \"h7\", \"underlay\": \"u1\", \"address\": \"10.9.0.1\"}",
	     "/op/address"},
	    {"+vtep {\"name\": \"h/8\", \"underlay\": \"u1\", \"address\": \"10.9.0.8\"}",
	     "/op/name"},
	    {"+underlay {\"name\": \"u2\", \"port\": \"p0\", \"address\": \"10.8.0.1\", "
	     "\"next_hop_mac\": \"01:00:5e:00:00:01\"}",
	     "/op/next_hop_mac"},
	    {"+underlay {\"name\": \"u2\", \"port\": \"nope\", \"address\": \"10.8.0.1\", "
	     "\"next_hop_mac\": \"02:00:5e:00:00:01\"}",
	     NULL},
	    {"+tunnel {\"switch\": \"sw2\", \"vni\": 5001}", NULL},
	    {"+tunnel {\"switch\": \"sw\", \"vni\": 16777216}", "/op/vni"},
	};
	struct evs_ctl_err err;
	uint64_t gen = evs_store_generation(ha.st);

	for (size_t i = 0; i < RTE_DIM(bad); i++) {
		ck_assert_msg(txn1(&ha, bad[i].op, &err) < 0, "accepted: %s", bad[i].op);
		if (bad[i].path != NULL)
			ck_assert_msg(strcmp(err.path, bad[i].path) == 0, "%s: path %s, want %s",
				      bad[i].op, err.path, bad[i].path);
		/* a secret's value never shows in the error */
		ck_assert_ptr_null(strstr(err.message, "0e0g"));
	}
	ck_assert_uint_eq(evs_store_generation(ha.st), gen);
	/* a second switch may not take a VNI in use */
	ck_assert_int_eq(txn1(&ha, "+switch {\"name\": \"sw2\"}", &err), 0);
	ck_assert_int_eq(txn1(&ha, "+tunnel {\"switch\": \"sw2\", \"vni\": 5001}", &err), -EEXIST);
	ck_assert_str_eq(err.path, "/op/vni");
	ck_assert_int_eq(txn1(&ha, "+tunnel {\"switch\": \"sw2\", \"vni\": 5002}", &err), 0);
}
END_TEST

START_TEST(test_inbound_spi_unique)
{
	struct evs_ctl_err err;

	sa_add(&ha, "h2", "in", 1000, KEY_A);
	ck_assert_int_eq(txn1(&ha,
			      "+sa {\"vtep\": \"h3\", \"dir\": \"in\", \"spi\": 1000, \"key\": "
			      "\"" KEY_B "\", \"salt\": \"0a0b0c0d\"}",
			      &err),
			 -EEXIST);
	ck_assert_str_eq(err.path, "/op/spi");
	/* outbound SPIs are the peers' to choose: the same number is fine */
	sa_add(&ha, "h3", "out", 1000, KEY_B);
	sa_add(&ha, "h2", "out", 1000, KEY_A);
	ck_assert_uint_eq(out_spi(&ha, "h2"), 1000);
	ck_assert_uint_eq(out_spi(&ha, "h3"), 1000);
}
END_TEST

START_TEST(test_sa_add_publishes)
{
	struct evs_ctl_err err;

	ck_assert_ptr_nonnull(evs_overlay_sa_table(ha.ov));
	ck_assert(!has_in(&ha, 1000));
	sa_add(&ha, "h2", "in", 1000, KEY_A);
	sa_add(&ha, "h2", "out", 2000, KEY_256);
	ck_assert(has_in(&ha, 1000));
	ck_assert(!has_in(&ha, 2000)); /* outbound SAs are not looked up by SPI */
	ck_assert_uint_eq(out_spi(&ha, "h2"), 2000);
	ck_assert_uint_eq(out_spi(&ha, "h3"), 0);
	ck_assert_int_eq(evs_overlay_vtep_id(ha.ov, "nope"), -ENOENT);
	/* a delete takes it out at once: no rekey, nothing drains */
	ck_assert_int_eq(txn1(&ha, "-sa {\"vtep\": \"h2\", \"dir\": \"in\"}", &err), 0);
	ck_assert(!has_in(&ha, 1000));
	ck_assert_uint_eq(evs_overlay_draining(ha.ov), 0);
	ck_assert_int_eq(txn1(&ha, "-sa {\"vtep\": \"h2\", \"dir\": \"out\"}", &err), 0);
	ck_assert_uint_eq(out_spi(&ha, "h2"), 0);
}
END_TEST

START_TEST(test_keys_never_shown)
{
	json_t *doc;
	char *s;

	sa_add(&ha, "h2", "in", 1000, KEY_A);
	doc = evs_store_doc(ha.st);
	ck_assert_ptr_nonnull(doc);
	s = json_dumps(doc, JSON_COMPACT);
	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_null(strstr(s, KEY_A));
	ck_assert_ptr_nonnull(strstr(s, "\"key\":\"<set>\""));
	free(s);
	json_decref(doc);
	doc = evs_overlay_sa_stats(ha.ov, "h2");
	s = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_null(strstr(s, KEY_A));
	ck_assert_ptr_nonnull(strstr(s, "\"spi\":1000"));
	free(s);
	ck_assert_ptr_null(evs_overlay_sa_stats(ha.ov, "nope"));
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

START_TEST(test_rekey_drains_then_retires)
{
	struct evs_ctl_err err;

	sa_add(&ha, "h2", "in", 1000, KEY_A);
	sa_add(&ha, "h2", "out", 2000, KEY_A);
	ck_assert_int_eq(rekey(&ha, "h2", 1001, 2001, KEY_B, &err), 0);
	/* make before break: both inbound SPIs accepted, outbound switched */
	ck_assert(has_in(&ha, 1000));
	ck_assert(has_in(&ha, 1001));
	ck_assert_uint_eq(out_spi(&ha, "h2"), 2001);
	ck_assert_uint_eq(evs_overlay_draining(ha.ov), 1);
	clock_ms += 999;
	ck_assert_uint_eq(evs_overlay_poll(ha.ov), 0);
	ck_assert(has_in(&ha, 1000));
	clock_ms += 1;
	ck_assert_uint_eq(evs_overlay_poll(ha.ov), 1);
	ck_assert(!has_in(&ha, 1000));
	ck_assert(has_in(&ha, 1001));
	ck_assert_uint_eq(evs_overlay_draining(ha.ov), 0);
	/* the store holds the new SA, its key still a secret */
	{
		json_t *k = json_pack("{s:s, s:s}", "vtep", "h2", "dir", "in");
		struct evs_store_obj *o = evs_store_lookup(ha.st, "sa", k);

		json_decref(k);
		ck_assert_ptr_nonnull(o);
		ck_assert_int_eq(json_integer_value(json_object_get(evs_store_obj_value(o), "spi")),
				 1001);
	}
}
END_TEST

START_TEST(test_rekey_refusals_change_nothing)
{
	struct evs_ctl_err err;
	uint64_t gen;

	sa_add(&ha, "h2", "in", 1000, KEY_A);
	sa_add(&ha, "h2", "out", 2000, KEY_A);
	gen = evs_store_generation(ha.st);
	ck_assert_int_eq(rekey(&ha, "h2", 1000, 0, KEY_B, &err), -EINVAL);
	ck_assert_str_eq(err.path, "/params/in/spi");
	ck_assert_int_eq(rekey(&ha, "h3", 1005, 0, KEY_B, &err), -ENOENT);
	ck_assert_int_eq(rekey(&ha, "h2", 0, 0, KEY_B, &err), -EINVAL);
	/* the out half fails: the in half is not applied either */
	ck_assert_int_eq(rekey(&ha, "h2", 1001, 2000, KEY_B, &err), -EINVAL);
	ck_assert_str_eq(err.path, "/params/out/spi");
	ck_assert_uint_eq(evs_store_generation(ha.st), gen);
	ck_assert(!has_in(&ha, 1001));
	/* back to a SPI that is still draining: refused until it retired */
	ck_assert_int_eq(rekey(&ha, "h2", 1001, 0, KEY_B, &err), 0);
	ck_assert_int_eq(rekey(&ha, "h2", 1000, 0, KEY_A, &err), -EEXIST);
	ck_assert(has_in(&ha, 1000));
	ck_assert(has_in(&ha, 1001));
	clock_ms += 1000;
	evs_overlay_poll(ha.ov);
	ck_assert_int_eq(rekey(&ha, "h2", 1000, 0, KEY_A, &err), 0);
	ck_assert(has_in(&ha, 1000));
	ck_assert(has_in(&ha, 1001)); /* now 1001 drains */
}
END_TEST

START_TEST(test_vtep_delete_cascades)
{
	struct evs_ctl_err err;
	static const char *const del[] = {"-tunnel {\"switch\": \"sw\"}",
					  "-vtep {\"name\": \"h2\"}"};

	sa_add(&ha, "h2", "in", 1000, KEY_A);
	sa_add(&ha, "h2", "out", 2000, KEY_A);
	ck_assert_int_eq(rekey(&ha, "h2", 1001, 0, KEY_B, &err), 0);
	/* an underlay in use cannot go */
	ck_assert_int_eq(txn1(&ha, "-underlay {\"name\": \"u1\"}", &err), -EBUSY);
	ck_assert_int_eq(txn_on(&ha, del, RTE_DIM(del), &err), 0);
	ck_assert_uint_eq(evs_store_count(ha.st, "sa"), 0);
	ck_assert(!has_in(&ha, 1001));
	ck_assert_int_eq(evs_overlay_vtep_id(ha.ov, "h2"), -ENOENT);
	clock_ms += 1000;
	evs_overlay_poll(ha.ov);
	ck_assert(!has_in(&ha, 1000));
	/* the slot is reused cleanly */
	ck_assert_int_eq(
	    txn1(&ha, "+vtep {\"name\": \"h4\", \"underlay\": \"u1\", \"address\": \"10.9.0.4\"}",
		 &err),
	    0);
	ck_assert_uint_eq(out_spi(&ha, "h4"), 0);
}
END_TEST

/* The table must hold each VTEP's current inbound SPI and every SPI replaced
 * less than drain_ms ago; the VTEP's outbound SA is its current one. */
struct model_vtep {
	uint32_t in, out;
	uint32_t drain_spi[64];
	uint64_t drain_until[64];
	unsigned int n_drain;
};

START_TEST(test_random_walk_matches_model)
{
	static const char *const names[] = {"h2", "h3"};
	struct model_vtep m[2] = {0};
	uint32_t next_spi = 300;
	struct evs_ctl_err err;

	srand(1313);
	for (int step = 0; step < 600; step++) {
		unsigned int v = (unsigned int)rand() % 2, what = (unsigned int)rand() % 10;
		struct model_vtep *mv = &m[v];

		clock_ms += (uint64_t)(rand() % 300);
		if (mv->in == 0 || what == 0) {
			char op[512];
			uint32_t spi = next_spi++;

			snprintf(op, sizeof(op), "%csa {\"vtep\": \"%s\", \"dir\": \"in\"%s}",
				 mv->in == 0 ? '+' : '-', names[v], "");
			if (mv->in == 0) {
				sa_add(&ha, names[v], "in", spi, KEY_A);
				sa_add(&ha, names[v], "out", spi + 100000, KEY_A);
				mv->in = spi;
				mv->out = spi + 100000;
			} else {
				ck_assert_int_eq(txn1(&ha, op, &err), 0);
				snprintf(op, sizeof(op), "-sa {\"vtep\": \"%s\", \"dir\": \"out\"}",
					 names[v]);
				ck_assert_int_eq(txn1(&ha, op, &err), 0);
				mv->in = mv->out = 0; /* its draining SPIs still drain */
			}
		} else {
			uint32_t spi = next_spi++;
			bool in = what % 2 == 0, out = what % 3 == 0 || !in;

			ck_assert_int_eq(
			    rekey(&ha, names[v], in ? spi : 0, out ? spi + 100000 : 0, KEY_B, &err),
			    0);
			if (in) {
				ck_assert_uint_lt(mv->n_drain, 64);
				mv->drain_spi[mv->n_drain] = mv->in;
				mv->drain_until[mv->n_drain++] = clock_ms + 1000;
				mv->in = spi;
			}
			if (out)
				mv->out = spi + 100000;
		}
		if (rand() % 3 == 0)
			evs_overlay_poll(ha.ov);
		for (unsigned int k = 0; k < 2; k++) {
			unsigned int j = 0;

			ck_assert_uint_eq(out_spi(&ha, names[k]), m[k].out);
			if (m[k].in != 0)
				ck_assert(has_in(&ha, m[k].in));
			for (unsigned int i = 0; i < m[k].n_drain; i++) {
				/* still draining: present; past its time: gone once polled */
				if (clock_ms < m[k].drain_until[i]) {
					ck_assert_msg(has_in(&ha, m[k].drain_spi[i]),
						      "step %d: SPI %u should drain", step,
						      m[k].drain_spi[i]);
					m[k].drain_spi[j] = m[k].drain_spi[i];
					m[k].drain_until[j++] = m[k].drain_until[i];
				} else {
					evs_overlay_poll(ha.ov);
					ck_assert_msg(!has_in(&ha, m[k].drain_spi[i]),
						      "step %d: SPI %u should be retired", step,
						      m[k].drain_spi[i]);
				}
			}
			m[k].n_drain = j;
		}
		ck_assert_uint_eq(evs_sa_table_count(evs_overlay_sa_table(ha.ov)),
				  (m[0].in != 0) + (m[1].in != 0) + m[0].n_drain + m[1].n_drain);
	}
}
END_TEST

/* Host A's outbound SAs are host B's inbound ones: packets A protects are
 * decrypted by B's table lookup, before, during and after a rekey. */
static uint16_t a_to_b(struct evs_crypto_engine *ea, struct evs_crypto_engine *eb, uint16_t n,
		       uint32_t seed)
{
	struct rte_mbuf *pkts[32], *orig[32];
	struct evs_sa *sas[32];
	int id = evs_overlay_vtep_id(ha.ov, "h2");
	uint16_t k, ok;

	for (uint16_t i = 0; i < n; i++) {
		pkts[i] = ct_build_udp(4, 14, 64 + i * 40, seed + i);
		ck_assert_ptr_nonnull(pkts[i]);
		orig[i] = ct_clone(pkts[i]);
	}
	k = evs_esp_encrypt_burst(ea, evs_overlay_vtep_out(ha.ov, (uint16_t)id), pkts, n);
	ck_assert_uint_eq(k, n);
	ck_assert_uint_eq(evs_esp_lookup_burst(evs_overlay_sa_table(hb.ov), pkts, n, 0, sas), n);
	ok = evs_esp_decrypt_burst(eb, sas, pkts, n);
	for (uint16_t i = 0; i < ok; i++)
		ck_assert(ct_same(pkts[i], orig[i]));
	for (uint16_t i = 0; i < n; i++) {
		rte_pktmbuf_free(pkts[i]);
		rte_pktmbuf_free(orig[i]);
	}
	return ok;
}

START_TEST(test_esp_between_hosts_across_rekey)
{
	struct evs_crypto_engine *ea = evs_crypto_engine_create(), *eb = evs_crypto_engine_create();
	struct evs_ctl_err err;
	json_t *st;

	ck_assert_ptr_nonnull(ea);
	ck_assert_ptr_nonnull(eb);
	host_init(&hb);
	base(&hb, "10.9.0.2"); /* hb's VTEP "h1" is ha */
	sa_add(&ha, "h2", "out", 5000, KEY_A);
	sa_add(&hb, "h1", "in", 5000, KEY_A);
	ck_assert_uint_eq(a_to_b(ea, eb, 32, 1), 32);
	/* phase 1 on B: the new inbound installed; A still sends with the old */
	ck_assert_int_eq(rekey(&hb, "h1", 5001, 0, KEY_B, &err), 0);
	ck_assert_uint_eq(a_to_b(ea, eb, 32, 2), 32);
	/* phase 2 on A: switched; B accepts both while the old drains */
	ck_assert_int_eq(rekey(&ha, "h2", 0, 5001, KEY_B, &err), 0);
	ck_assert_uint_eq(a_to_b(ea, eb, 32, 3), 32);
	clock_ms += 1000;
	evs_overlay_poll(hb.ov);
	ck_assert_uint_eq(a_to_b(ea, eb, 32, 4), 32);
	st = evs_overlay_sa_stats(hb.ov, "h1");
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(st, "in"), "packets")),
			 64);
	ck_assert_int_eq(json_integer_value(json_object_get(
			     json_object_get(json_object_get(st, "in"), "drops"), "auth")),
			 0);
	json_decref(st);
	/* a key that does not match is an auth failure, counted on the SA */
	ck_assert_int_eq(rekey(&ha, "h2", 0, 5002, KEY_A, &err), 0);
	ck_assert_int_eq(rekey(&hb, "h1", 5002, 0, KEY_B, &err), 0);
	ck_assert_uint_eq(a_to_b(ea, eb, 8, 5), 0);
	st = evs_overlay_sa_stats(hb.ov, "h1");
	ck_assert_int_eq(json_integer_value(json_object_get(
			     json_object_get(json_object_get(st, "in"), "drops"), "auth")),
			 8);
	json_decref(st);
	evs_crypto_engine_free(ea);
	evs_crypto_engine_free(eb);
}
END_TEST

START_TEST(test_dp_ports_follow_objects)
{
	const struct evs_overlay_dp *dp = evs_overlay_dp_get(ha.ov);
	struct evs_ctl_err err;
	uint16_t sw, up;
	bool enc;

	/* switch sw spans h2 and h3: one tunnel port each */
	ck_assert_uint_eq(evs_overlay_dp_n_ports(dp), 2);
	ck_assert_int_ge(tport_of(&ha, 7, "h2"), 0);
	ck_assert_int_ge(tport_of(&ha, 7, "h3"), 0);
	ck_assert_int_eq(
	    evs_overlay_dp_port(dp, (uint16_t)tport_of(&ha, 7, "h3"), &sw, NULL, &up, &enc), 0);
	ck_assert_uint_eq(up, 3);
	ck_assert(enc); /* the switch is encrypted */
	ck_assert_int_eq(evs_overlay_dp_port(dp, 2, NULL, NULL, NULL, NULL), -ENOENT);
	/* a second switch on h3 only, in the clear */
	ck_assert_int_eq(txn1(&ha, "+switch {\"name\": \"sw2\"}", &err), 0);
	ck_assert_int_eq(txn1(&ha,
			      "+tunnel {\"switch\": \"sw2\", \"vni\": 77, \"vteps\": "
			      "[{\"vtep\": \"h3\"}]}",
			      &err),
			 0);
	dp = evs_overlay_dp_get(ha.ov);
	ck_assert_uint_eq(evs_overlay_dp_n_ports(dp), 3);
	ck_assert_int_eq(tport_of(&ha, 8, "h2"), -1);
	ck_assert_int_eq(
	    evs_overlay_dp_port(dp, (uint16_t)tport_of(&ha, 8, "h3"), NULL, NULL, NULL, &enc), 0);
	ck_assert(!enc);
	/* a VXLAN port different from another VTEP's cannot be decapsulated */
	ck_assert_int_eq(txn1(&ha,
			      "+vtep {\"name\": \"h5\", \"underlay\": \"u1\", \"address\": "
			      "\"10.9.0.5\", \"encap\": \"vxlan\", \"dst_port\": 8472}",
			      &err),
			 -EINVAL);
	ck_assert_ptr_eq(evs_overlay_dp_get(ha.ov), dp); /* the failure published nothing */
	/* numbers stay with their (switch, VTEP): MACs learned on them stay right */
	{
		int a = tport_of(&ha, 7, "h2"), b = tport_of(&ha, 7, "h3"),
		    c = tport_of(&ha, 8, "h3");
		uint16_t freed[8];

		ck_assert_int_eq(txn1(&ha,
				      "+vtep {\"name\": \"h4\", \"underlay\": \"u1\", \"address\": "
				      "\"10.9.0.4\"}",
				      &err),
				 0);
		ck_assert_int_eq(tport_of(&ha, 7, "h2"), a);
		ck_assert_int_eq(tport_of(&ha, 7, "h3"), b);
		ck_assert_int_eq(tport_of(&ha, 8, "h3"), c);
		ck_assert_int_eq(tport_of(&ha, 7, "h4"), 3); /* the lowest free number */
		ck_assert_uint_eq(evs_overlay_dp_freed(evs_overlay_dp_get(ha.ov), freed, 8), 0);
		/* sw leaves the overlay: its three numbers are freed, sw2's kept */
		ck_assert_int_eq(txn1(&ha, "-tunnel {\"switch\": \"sw\"}", &err), 0);
		ck_assert_int_eq(tport_of(&ha, 8, "h3"), c);
		ck_assert_int_eq(tport_of(&ha, 7, "h2"), -1);
		ck_assert_uint_eq(evs_overlay_dp_freed(evs_overlay_dp_get(ha.ov), freed, 8), 3);
		ck_assert_uint_eq(freed[0], (uint16_t)a);
		ck_assert_uint_eq(freed[2], 3);
		/* numbers freed by an earlier change are reused (their MACs were
		 * flushed then); one freed by a change is not reused by it */
		ck_assert_int_eq(txn1(&ha, "+tunnel {\"switch\": \"sw\", \"vni\": 9}", &err), 0);
		ck_assert_int_eq(tport_of(&ha, 7, "h2"), 0);
		ck_assert_int_eq(tport_of(&ha, 7, "h4"), 3);
		ck_assert_int_eq(
		    txn_on(&ha,
			   (const char *const[]){"-vtep {\"name\": \"h4\"}",
						 "+vtep {\"name\": \"h5\", \"underlay\": \"u1\", "
						 "\"address\": \"10.9.0.5\"}"},
			   2, &err),
		    0);
		ck_assert_int_eq(tport_of(&ha, 7, "h5"), 4);
		ck_assert_uint_eq(evs_overlay_dp_freed(evs_overlay_dp_get(ha.ov), freed, 8), 1);
		ck_assert_uint_eq(freed[0], 3);
	}
}
END_TEST

/* Inner frames of a switch: Ethernet + IPv4/UDP of sizes 64..1400. */
int main(int argc, char **argv)
{
	Suite *s = suite_create("overlay");
	const struct unit_case cases[] = {
	    {"types_refuse_bad_objects", test_types_refuse_bad_objects},
	    {"inbound_spi_unique", test_inbound_spi_unique},
	    {"sa_add_publishes", test_sa_add_publishes},
	    {"keys_never_shown", test_keys_never_shown},
	    {"rekey_drains_then_retires", test_rekey_drains_then_retires},
	    {"rekey_refusals_change_nothing", test_rekey_refusals_change_nothing},
	    {"vtep_delete_cascades", test_vtep_delete_cascades},
	    {"random_walk_matches_model", test_random_walk_matches_model},
	    {"esp_between_hosts_across_rekey", test_esp_between_hosts_across_rekey},
	    {"dp_ports_follow_objects", test_dp_ports_follow_objects},
	};

	(void)argc;
	if (unit_eal_init(argv[0], "evs_test_overlay", "128") < 0)
		return 1;
	crypto_test_pool = rte_pktmbuf_pool_create("ov_pool", 1024, 0, 0, 4096, SOCKET_ID_ANY);
	if (crypto_test_pool == NULL)
		return 1;
	unit_add_cases(s, cases, RTE_DIM(cases), setup, teardown, 0);
	overlay_traffic_add_cases(s);
	overlay_underlay_add_cases(s);
	overlay_natt_add_cases(s);
	overlay_opts_add_cases(s);
	return unit_run(s) == 0 ? 0 : 1;
}
