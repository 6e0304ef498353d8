/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The classifier's exact-match cache: stale entries after removal and slot
 * reuse, use only with several masks, probabilistic insertion, bypass when
 * it stops paying.
 */
#include <check.h>
#include <string.h>

#include "cls_private.h"
#include "cls_test.h"

START_TEST(emc_invalidated_on_remove_and_reuse)
{
	struct evs_cls_config c = {.emc_insert_one_in = 1, .emc_min_subtables = 1};
	struct evs_cls *cls = evs_cls_create(&c);
	struct evs_flow_mask m1, m2;
	struct evs_flow_key k;
	struct evs_megaflow_spec s;
	struct evs_megaflow *f, *g;
	uint32_t h;
	uint8_t a1 = 1, a2 = 2;

	memset(&k, 0, sizeof(k));
	k.in_port = 4;
	k.l4_dst = 53;
	h = key_hash(&k);
	evs_flow_mask_zero(&m1);
	evs_flow_mask_set_field(&m1, EVS_FIELD_IN_PORT);
	evs_flow_mask_zero(&m2);
	evs_flow_mask_set_field(&m2, EVS_FIELD_L4_DST);

	make_spec(&s, &m1, &a1, 1, 0);
	ck_assert_int_eq(evs_cls_install(cls, &k, &s, &f), 0);
	ck_assert_ptr_eq(evs_cls_lookup(cls, &k, h), f); /* megaflow hit, into the EMC */
	ck_assert_uint_eq(stats(cls).emc_inserts, 1);
	ck_assert_ptr_eq(evs_cls_lookup(cls, &k, h), f);
	ck_assert_uint_eq(stats(cls).emc_hits, 1);

	/* Removal: the EMC entry must not resurrect it. */
	ck_assert_int_eq(evs_cls_remove(cls, f), 0);
	ck_assert_ptr_null(evs_cls_lookup(cls, &k, h));
	ck_assert_uint_eq(stats(cls).emc_hits, 1);

	/* A new megaflow reuses the slot: the stale EMC entry must not give it away blindly. */
	make_spec(&s, &m2, &a2, 1, 0);
	ck_assert_int_eq(evs_cls_install(cls, &k, &s, &g), 0);
	ck_assert_ptr_eq(g, f); /* same slot, LIFO free list */
	ck_assert_ptr_eq(evs_cls_lookup(cls, &k, h), g);
	ck_assert_uint_eq(stats(cls).emc_hits, 1);
	ck_assert_uint_eq(stats(cls).megaflow_hits, 2);
	ck_assert_ptr_eq(evs_cls_lookup(cls, &k, h), g);
	ck_assert_uint_eq(stats(cls).emc_hits, 2);

	/* A key differing in an unconsulted field is a different EMC key, same megaflow. */
	struct evs_flow_key k2 = k;
	k2.in_port = 9;
	ck_assert_ptr_eq(evs_cls_lookup(cls, &k2, key_hash(&k2)), g);
	/* Same hash, different key (a colliding RSS hash): full compare rejects it. */
	ck_assert_ptr_eq(evs_cls_lookup(cls, &k2, h), g);
	ck_assert_uint_eq(stats(cls).emc_hits, 2);

	/* Flush invalidates everything too. */
	ck_assert_uint_eq(evs_cls_flush(cls), 1);
	ck_assert_ptr_null(evs_cls_lookup(cls, &k, h));
	ck_assert_ptr_null(evs_cls_lookup(cls, &k2, key_hash(&k2)));
	evs_cls_free(cls);
}
END_TEST

/* Keys for two masks: in_port (k) and l4_dst (k2). */
static void two_masks(struct evs_flow_key *k, struct evs_flow_key *k2, struct evs_flow_mask *m1,
		      struct evs_flow_mask *m2)
{
	memset(k, 0, sizeof(*k));
	k->in_port = 4;
	*k2 = *k;
	k2->in_port = 5;
	k2->l4_dst = 53;
	evs_flow_mask_zero(m1);
	evs_flow_mask_set_field(m1, EVS_FIELD_IN_PORT);
	evs_flow_mask_zero(m2);
	evs_flow_mask_set_field(m2, EVS_FIELD_L4_DST);
}

/* One mask: a subtable probe is as cheap as an EMC probe, so the EMC is left
 * alone (no probe, no insertion, no key hash needed); a second mask turns it on. */
START_TEST(emc_unused_below_min_subtables)
{
	struct evs_cls_config c = {.emc_insert_one_in = 1};
	struct evs_cls *cls = evs_cls_create(&c);
	const struct evs_flow_key *kp[2];
	struct evs_megaflow *res[2];
	struct evs_flow_mask m1, m2;
	struct evs_flow_key k, k2;
	struct evs_megaflow_spec s;
	struct evs_megaflow *f, *g;
	struct evs_cls_stats st;

	two_masks(&k, &k2, &m1, &m2);
	make_spec(&s, &m1, NULL, 0, 0);
	ck_assert_int_eq(evs_cls_install(cls, &k, &s, &f), 0);
	for (int i = 0; i < 4; i++) {
		kp[0] = &k;
		ck_assert_uint_eq(evs_cls_lookup_burst(cls, kp, NULL, 1, res), 1);
		ck_assert_ptr_eq(res[0], f);
	}
	st = stats(cls);
	ck_assert_uint_eq(st.emc_inserts, 0);
	ck_assert_uint_eq(st.emc_hits, 0);
	ck_assert_uint_eq(st.emc_skipped, 4);
	ck_assert_uint_eq(st.megaflow_hits, 4);

	/* two masks: the classifier hashes the keys itself (hashes NULL) and uses the EMC */
	make_spec(&s, &m2, NULL, 0, 0);
	ck_assert_int_eq(evs_cls_install(cls, &k2, &s, &g), 0);
	kp[0] = &k;
	kp[1] = &k2;
	ck_assert_uint_eq(evs_cls_lookup_burst(cls, kp, NULL, 2, res), 2);
	ck_assert_ptr_eq(res[0], f);
	ck_assert_ptr_eq(res[1], g);
	ck_assert_uint_eq(stats(cls).emc_inserts, 2);
	ck_assert_uint_eq(evs_cls_lookup_burst(cls, kp, NULL, 2, res), 2);
	ck_assert_ptr_eq(res[0], f);
	ck_assert_ptr_eq(res[1], g);
	ck_assert_uint_eq(stats(cls).emc_hits, 2);

	/* back to one mask: the EMC is left again, its entries are not trusted blindly */
	ck_assert_int_eq(evs_cls_remove(cls, g), 0);
	ck_assert_uint_eq(evs_cls_lookup_burst(cls, kp, NULL, 2, res), 1);
	ck_assert_ptr_eq(res[0], f);
	ck_assert_ptr_null(res[1]);
	ck_assert_uint_eq(stats(cls).emc_hits, 2);
	evs_cls_free(cls);
}
END_TEST

/* Two masks, one of them idle (a broadcast ARP's): after a re-sort only one
 * mask is busy, so the EMC is left as with one mask; traffic on both masks
 * brings it back at the next re-sort. */
START_TEST(emc_unused_while_one_mask_takes_the_hits)
{
	struct evs_cls_config c = {.emc_insert_one_in = 1, .resort_interval = 8};
	struct evs_cls *cls = evs_cls_create(&c);
	const struct evs_flow_key *kp[2];
	struct evs_megaflow *res[2];
	struct evs_flow_mask m1, m2;
	struct evs_flow_key k, k2;
	struct evs_megaflow_spec s;
	struct evs_megaflow *f, *g;
	struct evs_cls_stats st;
	uint64_t hits, skipped;
	int i;

	two_masks(&k, &k2, &m1, &m2);
	make_spec(&s, &m1, NULL, 0, 0);
	ck_assert_int_eq(evs_cls_install(cls, &k, &s, &f), 0);
	make_spec(&s, &m2, NULL, 0, 0);
	ck_assert_int_eq(evs_cls_install(cls, &k2, &s, &g), 0);
	kp[0] = &k;
	/* both masks count until a period has shown where the hits go */
	ck_assert_uint_eq(evs_cls_lookup_burst(cls, kp, NULL, 1, res), 1);
	ck_assert_uint_eq(stats(cls).emc_inserts, 1);
	ck_assert_uint_eq(evs_cls_lookup_burst(cls, kp, NULL, 1, res), 1);
	ck_assert_uint_eq(stats(cls).emc_hits, 1);
	ck_assert_uint_eq(stats(cls).emc_skipped, 0);

	/* periods of subtable hits on one mask only: one busy mask, EMC left */
	for (i = 0; i < 64; i++) {
		k.l4_src = (uint16_t)i; /* new keys: EMC misses, subtable hits on m1 */
		ck_assert_uint_eq(evs_cls_lookup_burst(cls, kp, NULL, 1, res), 1);
		ck_assert_ptr_eq(res[0], f);
	}
	st = stats(cls);
	hits = st.emc_hits;
	skipped = st.emc_skipped;
	k.l4_src = 1;
	for (i = 0; i < 32; i++)
		ck_assert_uint_eq(evs_cls_lookup_burst(cls, kp, NULL, 1, res), 1);
	st = stats(cls);
	ck_assert_uint_eq(st.emc_hits, hits);
	ck_assert_uint_eq(st.emc_skipped, skipped + 32);

	/* both masks busy again: the EMC is back after the next re-sort */
	kp[1] = &k2;
	for (i = 0; i < 16; i++)
		ck_assert_uint_eq(evs_cls_lookup_burst(cls, kp, NULL, 2, res), 2);
	ck_assert_ptr_eq(res[0], f);
	ck_assert_ptr_eq(res[1], g);
	st = stats(cls);
	ck_assert_uint_gt(st.emc_hits, hits);
	ck_assert_uint_eq(st.lookups, st.emc_hits + st.megaflow_hits + st.misses);
	evs_cls_free(cls);
}
END_TEST

START_TEST(emc_insertion_is_probabilistic)
{
	/* no re-sort in the run: distinct keys would get the EMC bypassed, and a
	 * bypassed EMC is filled on sampled bursts only */
	struct evs_cls_config c = {.emc_insert_one_in = 10,
				   .emc_min_subtables = 1,
				   .seed = 42,
				   .resort_interval = 1u << 20};
	struct evs_cls *cls = evs_cls_create(&c);
	struct evs_flow_mask m;
	struct evs_flow_key k;
	struct evs_megaflow_spec s;
	uint64_t ins;

	memset(&k, 0, sizeof(k));
	evs_flow_mask_zero(&m);
	evs_flow_mask_set_field(&m, EVS_FIELD_IN_PORT);
	make_spec(&s, &m, NULL, 0, 0);
	ck_assert_int_eq(evs_cls_install(cls, &k, &s, NULL), 0);
	/* 20000 distinct keys, one megaflow: about 1 in 10 megaflow hits inserts. */
	for (uint32_t i = 0; i < 20000; i++) {
		k.l4_src = (uint16_t)i;
		k.l4_dst = (uint16_t)(i >> 16);
		ck_assert_ptr_nonnull(evs_cls_lookup(cls, &k, key_hash(&k)));
	}
	ins = stats(cls).emc_inserts;
	ck_assert_uint_gt(ins, 1500);
	ck_assert_uint_lt(ins, 2500);
	evs_cls_free(cls);
}
END_TEST

START_TEST(emc_bypassed_when_useless)
{
	struct evs_cls_config c = {
	    .emc_insert_one_in = 1, .resort_interval = 32, .emc_min_subtables = 1};
	struct evs_cls *cls = evs_cls_create(&c);
	struct evs_flow_mask m;
	struct evs_flow_key k;
	struct evs_megaflow_spec s;
	struct evs_cls_stats st;
	uint32_t i;

	memset(&k, 0, sizeof(k));
	evs_flow_mask_zero(&m);
	evs_flow_mask_set_field(&m, EVS_FIELD_IN_PORT);
	make_spec(&s, &m, NULL, 0, 0);
	ck_assert_int_eq(evs_cls_install(cls, &k, &s, NULL), 0);
	ck_assert_uint_eq(stats(cls).emc_active, 1);

	/* Never the same key twice: no EMC hit, so after a re-sort it is bypassed. */
	for (i = 0; i < 64; i++) {
		k.l4_src = (uint16_t)i;
		ck_assert_ptr_nonnull(evs_cls_lookup(cls, &k, key_hash(&k)));
	}
	st = stats(cls);
	ck_assert_uint_eq(st.emc_active, 0);
	ck_assert_uint_eq(st.emc_hits, 0);
	ck_assert_uint_gt(st.emc_skipped, 16);
	ck_assert_uint_eq(st.emc_skipped, 32 - 32 / CLS_EMC_SAMPLE); /* active 32, then sampled */

	/* One key over and over: the sampled bursts hit, the next re-sort turns it back on. */
	k.l4_src = 9999;
	for (i = 0; i < 64; i++)
		ck_assert_ptr_nonnull(evs_cls_lookup(cls, &k, key_hash(&k)));
	st = stats(cls);
	ck_assert_uint_eq(st.emc_active, 1);
	ck_assert_uint_gt(st.emc_hits, 0);
	uint64_t before = st.emc_hits;
	for (i = 0; i < 10; i++)
		ck_assert_ptr_nonnull(evs_cls_lookup(cls, &k, key_hash(&k)));
	ck_assert_uint_eq(stats(cls).emc_hits, before + 10);
	st = stats(cls);
	ck_assert_uint_eq(st.lookups, st.emc_hits + st.megaflow_hits + st.misses);
	evs_cls_free(cls);
}
END_TEST

void cls_emc_add_cases(Suite *s)
{
	const struct {
		const char *name;
		const TTest *fn;
	} cases[] = {
	    {"emc_invalidated_on_remove_and_reuse", emc_invalidated_on_remove_and_reuse},
	    {"emc_unused_below_min_subtables", emc_unused_below_min_subtables},
	    {"emc_insertion_is_probabilistic", emc_insertion_is_probabilistic},
	    {"emc_unused_while_one_mask_takes_the_hits", emc_unused_while_one_mask_takes_the_hits},
	    {"emc_bypassed_when_useless", emc_bypassed_when_useless},
	};

	for (size_t i = 0; i < RTE_DIM(cases); i++) {
		TCase *tc = tcase_create(cases[i].name);

		tcase_set_timeout(tc, 120);
		tcase_add_test(tc, cases[i].fn);
		suite_add_tcase(s, tc);
	}
}
