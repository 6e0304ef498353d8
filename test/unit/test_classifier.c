/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/classifier: the classifier against a naive linear
 * reference (list of mask, masked key, id) on random keys and masks with
 * installs, removals, expiry and flushes; explicit overlap behaviour (the
 * EMC's cases are in test_classifier_emc.c); capacity refusals; hash
 * collisions and bucket spills (white box); requests, walks, paged dumps,
 * and dumps from a second thread while the owner churns.
 * No EAL is needed: the classifier uses only plain memory and the TSC.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_hash_crc.h>

#include "evs_classifier.h"
#include "cls_private.h"
#include "cls_test.h"

#define NW EVS_FLOW_KEY_WORDS

/* ---- helpers ---- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* splitmix64: reproducible from the seed printed on failure */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t rndn(uint32_t n)
{
	return (uint32_t)(rnd() % n);
}

static evs_flow_word_t *words(struct evs_flow_key *k)
{
	return (evs_flow_word_t *)k;
}

/*
 * Key whose every byte is 0-3, so random masks and keys collide often, except
 * in_port (0-63): it is the field every randomized mask shares, and its wider
 * range lets many megaflows coexist without overlapping.
 */
static void random_key(struct evs_flow_key *k)
{
	uint8_t *b = (uint8_t *)k;
	uint64_t r = 0;

	for (size_t i = 0; i < sizeof(*k); i++) {
		if (i % 32 == 0)
			r = rnd();
		b[i] = (uint8_t)(r & 3);
		r >>= 2;
	}
	k->in_port = (uint16_t)rndn(64);
}

/* A mask of 1-4 random fields, each whole or as a prefix. */
static void random_mask(struct evs_flow_mask *m)
{
	unsigned int nf = 1 + rndn(4);

	evs_flow_mask_zero(m);
	for (unsigned int i = 0; i < nf; i++) {
		enum evs_flow_field f = (enum evs_flow_field)rndn(EVS_FIELD_MAX);
		const struct evs_flow_field_info *fi = evs_flow_field_info(f);

		if (rndn(3) == 0)
			ck_assert_int_eq(evs_flow_mask_set_prefix(m, f, rndn(8 * fi->size + 1)), 0);
		else
			ck_assert_int_eq(evs_flow_mask_set_field(m, f), 0);
	}
}

/* ---- the naive reference ---- */

#define REF_MAX 4096

struct ref_entry {
	struct evs_flow_mask mask;
	struct evs_flow_key mkey;
	uint64_t id; /* evs_megaflow.id */
	struct evs_megaflow *flow;
	uint64_t tag; /* actions payload */
	bool live;
};

struct ref {
	struct ref_entry e[REF_MAX];
	unsigned int n; /* slots used (live or not) */
	unsigned int live;
};

static bool ref_overlaps(const struct ref_entry *a, const struct evs_flow_mask *m,
			 const struct evs_flow_key *mk)
{
	const evs_flow_word_t *am = (const evs_flow_word_t *)&a->mask.bits;
	const evs_flow_word_t *ak = (const evs_flow_word_t *)&a->mkey;
	const evs_flow_word_t *bm = (const evs_flow_word_t *)&m->bits;
	const evs_flow_word_t *bk = (const evs_flow_word_t *)mk;

	/* Some key matches both iff they agree on every bit both consult. */
	for (unsigned int i = 0; i < NW; i++)
		if ((ak[i] ^ bk[i]) & am[i] & bm[i])
			return false;
	return true;
}

static struct ref_entry *ref_lookup(struct ref *r, const struct evs_flow_key *k, unsigned int *n)
{
	struct ref_entry *hit = NULL;

	*n = 0;
	for (unsigned int i = 0; i < r->n; i++) {
		if (r->e[i].live && evs_flow_key_matches(k, &r->e[i].mask, &r->e[i].mkey)) {
			hit = &r->e[i];
			(*n)++;
		}
	}
	return hit;
}

/* ---- tcase: masks ---- */

START_TEST(mask_helpers)
{
	struct evs_flow_mask m;
	const struct evs_flow_field_info *fi;

	evs_flow_mask_zero(&m);
	ck_assert_int_eq(evs_flow_mask_set_field(&m, EVS_FIELD_DST_MAC), 0);
	for (unsigned int i = 0; i < 6; i++)
		ck_assert_uint_eq(m.bits.dst_mac.addr_bytes[i], 0xff);
	ck_assert_uint_eq(m.bits.src_mac.addr_bytes[0], 0);
	ck_assert_uint_eq(m.bits.ip_frag, 0);

	evs_flow_mask_zero(&m);
	ck_assert_int_eq(evs_flow_mask_set_prefix(&m, EVS_FIELD_SRC_IP, 20), 0);
	ck_assert_uint_eq(m.bits.src_ip[0], 0xff);
	ck_assert_uint_eq(m.bits.src_ip[1], 0xff);
	ck_assert_uint_eq(m.bits.src_ip[2], 0xf0);
	ck_assert_uint_eq(m.bits.src_ip[3], 0);
	ck_assert_int_eq(evs_flow_mask_set_prefix(&m, EVS_FIELD_SRC_IP, 129), -EINVAL);
	ck_assert_int_eq(evs_flow_mask_set_prefix(&m, EVS_FIELD_L4_SRC, 17), -EINVAL);
	ck_assert_int_eq(evs_flow_mask_set_field(&m, EVS_FIELD_MAX), -EINVAL);
	ck_assert_int_eq(evs_flow_mask_set_field(NULL, EVS_FIELD_VRF), -EINVAL);

	/* The field table tiles the key exactly, in order, without gaps. */
	size_t off = 0;
	for (unsigned int f = 0; f < EVS_FIELD_MAX; f++) {
		fi = evs_flow_field_info((enum evs_flow_field)f);
		ck_assert_ptr_nonnull(fi);
		ck_assert_uint_eq(fi->offset, off);
		off += fi->size;
		ck_assert_int_eq(evs_flow_field_by_name(fi->name), (int)f);
	}
	ck_assert_uint_eq(off, sizeof(struct evs_flow_key));
	ck_assert_ptr_null(evs_flow_field_info(EVS_FIELD_MAX));
	ck_assert_int_eq(evs_flow_field_by_name("nope"), EVS_FIELD_MAX);
	fi = evs_flow_field_info(EVS_FIELD_TUN_VNI);
	ck_assert_str_eq(fi->name, "tun_vni");

	struct evs_flow_mask a, b;
	evs_flow_mask_zero(&a);
	evs_flow_mask_zero(&b);
	evs_flow_mask_set_field(&a, EVS_FIELD_VRF);
	evs_flow_mask_set_field(&b, EVS_FIELD_CT_ZONE);
	evs_flow_mask_or(&a, &b);
	ck_assert_uint_eq(a.bits.vrf, 0xffff);
	ck_assert_uint_eq(a.bits.ct_zone, 0xffff);
	ck_assert_uint_eq(a.bits.in_port, 0);
}
END_TEST

/* ---- tcase: basics ---- */

START_TEST(install_lookup_basic)
{
	struct evs_cls *cls = evs_cls_create(NULL);
	struct evs_flow_mask m;
	struct evs_flow_key k, k2;
	struct evs_megaflow_spec s;
	struct evs_megaflow *f, *g;
	uint8_t act[300];

	ck_assert_ptr_nonnull(cls);
	for (unsigned int i = 0; i < sizeof(act); i++)
		act[i] = (uint8_t)i;
	memset(&k, 0, sizeof(k));
	k.in_port = 3;
	k.dst_ip[0] = 10;
	k.dst_ip[3] = 7;
	k.l4_dst = 80;
	evs_flow_mask_zero(&m);
	evs_flow_mask_set_field(&m, EVS_FIELD_IN_PORT);
	evs_flow_mask_set_prefix(&m, EVS_FIELD_DST_IP, 32);

	make_spec(&s, &m, act, 40, 5);
	ck_assert_int_eq(evs_cls_install(cls, &k, &s, &f), 0);
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(f->actions_len, 40);
	ck_assert_mem_eq(evs_megaflow_actions(f), act, 40);
	ck_assert_uint_eq(f->gen, 5);
	ck_assert_uint_eq(f->key.l4_dst, 0); /* stored masked */
	ck_assert_uint_eq(f->key.in_port, 3);
	ck_assert_ptr_nonnull(evs_cls_flow_mask(cls, f));
	ck_assert_mem_eq(evs_cls_flow_mask(cls, f), &m, sizeof(m));

	/* Unconsulted fields do not matter; consulted ones do. */
	k2 = k;
	k2.l4_dst = 443;
	k2.src_mac.addr_bytes[2] = 9;
	ck_assert_ptr_eq(evs_cls_lookup(cls, &k2, key_hash(&k2)), f);
	ck_assert_uint_eq(f->hits, 1);
	k2.dst_ip[3] = 8;
	ck_assert_ptr_null(evs_cls_lookup(cls, &k2, key_hash(&k2)));

	/* Duplicate: refused, existing returned. */
	k2 = k;
	k2.l4_src = 1234;
	ck_assert_int_eq(evs_cls_install(cls, &k2, &s, &g), -EEXIST);
	ck_assert_ptr_eq(g, f);
	ck_assert_uint_eq(stats(cls).install_dups, 1);

	/* Bad input. */
	make_spec(&s, &m, act, (uint16_t)(evs_cls_actions_max(cls) + 1), 0);
	ck_assert_int_eq(evs_cls_install(cls, &k, &s, &g), -E2BIG);
	make_spec(&s, &m, NULL, 4, 0);
	ck_assert_int_eq(evs_cls_install(cls, &k, &s, &g), -EINVAL);
	make_spec(&s, NULL, act, 4, 0);
	ck_assert_int_eq(evs_cls_install(cls, &k, &s, &g), -EINVAL);
	ck_assert_int_eq(evs_cls_install(cls, NULL, &s, &g), -EINVAL);
	ck_assert_int_eq(evs_cls_remove(cls, NULL), -EINVAL);
	ck_assert_int_eq(evs_cls_remove(cls, (struct evs_megaflow *)((uint8_t *)f + 8)), -EINVAL);
	ck_assert_int_eq(evs_cls_modify(cls, f, act, (uint16_t)(evs_cls_actions_max(cls) + 1), 0),
			 -E2BIG);

	/* Modify keeps counters and the lookup result, changes actions. */
	ck_assert_int_eq(evs_cls_modify(cls, f, act + 100, 12, 6), 0);
	ck_assert_uint_eq(f->actions_len, 12);
	ck_assert_mem_eq(f->actions, act + 100, 12);
	ck_assert_uint_eq(f->gen, 6);
	ck_assert_uint_eq(f->hits, 1);
	ck_assert_ptr_eq(evs_cls_lookup(cls, &k, key_hash(&k)), f);

	ck_assert_int_eq(evs_cls_remove(cls, f), 0);
	ck_assert_int_eq(evs_cls_remove(cls, f), -EINVAL);
	ck_assert_ptr_null(evs_cls_flow_mask(cls, f));
	ck_assert_ptr_null(evs_cls_lookup(cls, &k, key_hash(&k)));
	struct evs_cls_stats st = stats(cls);
	ck_assert_uint_eq(st.n_flows, 0);
	ck_assert_uint_eq(st.n_subtables, 0);
	ck_assert_uint_eq(st.installs, 1);
	ck_assert_uint_eq(st.removals, 1);
	ck_assert_uint_eq(st.misses, 2);
	evs_cls_free(cls);
	evs_cls_free(NULL);
}
END_TEST

START_TEST(create_rejects_bad_config)
{
	struct evs_cls_config c = {0};

	c.actions_max = EVS_CLS_ACTIONS_MAX + 1;
	errno = 0;
	ck_assert_ptr_null(evs_cls_create(&c));
	ck_assert_int_eq(errno, EINVAL);
	memset(&c, 0, sizeof(c));
	c.max_subtables = 70000;
	ck_assert_ptr_null(evs_cls_create(&c));
	ck_assert_int_eq(errno, EINVAL);
	memset(&c, 0, sizeof(c));
	c.actions_max = 100;
	struct evs_cls *cls = evs_cls_create(&c);
	ck_assert_ptr_nonnull(cls);
	ck_assert_uint_ge(evs_cls_actions_max(cls), 100);
	evs_cls_free(cls);
}
END_TEST

/* ---- tcase: randomized against the reference ---- */

#define N_MASKS 10

struct rand_run {
	struct evs_cls *cls;
	struct ref *ref;
	struct evs_flow_mask masks[N_MASKS];
	unsigned int n_masks;
	struct evs_flow_key recent[256]; /* keys seen before: EMC hits need repeats */
	unsigned int n_recent;
	unsigned int max_live;
};

static void check_lookups(struct rand_run *r, unsigned int n)
{
	const struct evs_flow_key *kp[EVS_CLS_BURST_MAX + 7];
	struct evs_flow_key keys[EVS_CLS_BURST_MAX + 7];
	struct evs_megaflow *res[EVS_CLS_BURST_MAX + 7];
	uint32_t h[EVS_CLS_BURST_MAX + 7];
	unsigned int found, expect = 0;

	for (unsigned int i = 0; i < n; i++) {
		random_key(&keys[i]);
		/* Half the keys repeat earlier ones, so the EMC gets hits (and stale entries). */
		if (i > 0 && r->ref->n > 0 && rndn(4) == 0) {
			/* a run: equal to the previous key under one entry's mask,
			 * random elsewhere (the subtable stage's shortcut) */
			struct ref_entry *e = &r->ref->e[rndn(r->ref->n)];
			evs_flow_word_t *kw = words(&keys[i]);
			const evs_flow_word_t *pw = words(&keys[i - 1]);
			const evs_flow_word_t *mw = (const evs_flow_word_t *)&e->mask.bits;

			for (unsigned int w = 0; w < NW; w++)
				kw[w] = (kw[w] & ~mw[w]) | (pw[w] & mw[w]);
		} else if (r->n_recent > 0 && rndn(2) == 0) {
			keys[i] = r->recent[rndn(r->n_recent)];
		} else if (r->ref->n > 0 && rndn(4) != 0) {
			/* Most new keys are built to hit an entry: its consulted bits, random
			 * others. */
			struct ref_entry *e = &r->ref->e[rndn(r->ref->n)];
			evs_flow_word_t *kw = words(&keys[i]);
			const evs_flow_word_t *mw = (const evs_flow_word_t *)&e->mask.bits;
			const evs_flow_word_t *ew = (const evs_flow_word_t *)&e->mkey;

			for (unsigned int w = 0; w < NW; w++)
				kw[w] = (kw[w] & ~mw[w]) | ew[w];
		}
		if (r->n_recent < RTE_DIM(r->recent))
			r->recent[r->n_recent++] = keys[i];
		else
			r->recent[rndn(RTE_DIM(r->recent))] = keys[i];
		kp[i] = &keys[i];
		h[i] = key_hash(&keys[i]);
	}
	/* Repeat some keys inside the burst: EMC and subtable stages must agree. */
	if (n > 4)
		kp[n - 1] = kp[0];
	h[n - 1] = key_hash(kp[n - 1]);
	found = evs_cls_lookup_burst(r->cls, kp, h, n, res);
	for (unsigned int i = 0; i < n; i++) {
		unsigned int nm;
		struct ref_entry *e = ref_lookup(r->ref, kp[i], &nm);

		/* Plain ifs: a passing ck_assert costs a write to Check's pipe. */
		if (nm > 1)
			ck_abort_msg("key %u matches %u reference entries", i, nm);
		if (e == NULL) {
			if (res[i] != NULL)
				ck_abort_msg("key %u: expected miss, got id %lu", i,
					     (unsigned long)res[i]->id);
			continue;
		}
		expect++;
		if (res[i] == NULL)
			ck_abort_msg("key %u: expected id %lu, got miss", i, (unsigned long)e->id);
		if (res[i]->id != e->id || res[i]->actions_len != 8 ||
		    memcmp(res[i]->actions, &e->tag, 8) != 0)
			ck_abort_msg("key %u: expected id %lu, got id %lu", i, (unsigned long)e->id,
				     (unsigned long)res[i]->id);
	}
	if (found != expect)
		ck_abort_msg("lookup_burst returned %u, expected %u", found, expect);
}

static void rand_install(struct rand_run *r)
{
	struct ref *ref = r->ref;
	const struct evs_flow_mask *m = &r->masks[rndn(r->n_masks)];
	struct evs_flow_key k, mk;
	struct evs_megaflow_spec s;
	struct evs_megaflow *f;
	uint64_t tag = rnd();
	unsigned int live_before = stats(r->cls).n_flows;
	int rc;

	if (ref->n == REF_MAX)
		return;
	random_key(&k);
	evs_flow_key_apply_mask(&mk, &k, m);
	/* Keep the set non-overlapping (a correct slow path never overlaps). */
	for (unsigned int i = 0; i < ref->n; i++) {
		if (!ref->e[i].live || !ref_overlaps(&ref->e[i], m, &mk))
			continue;
		if (memcmp(&ref->e[i].mask, m, sizeof(*m)) == 0 &&
		    memcmp(&ref->e[i].mkey, &mk, sizeof(mk)) == 0) {
			make_spec(&s, m, &tag, 8, 0);
			ck_assert_int_eq(evs_cls_install(r->cls, &k, &s, &f), -EEXIST);
			ck_assert_uint_eq(f->id, ref->e[i].id);
		}
		return;
	}
	make_spec(&s, m, &tag, 8, 0);
	rc = evs_cls_install(r->cls, &k, &s, &f);
	if (rc == -ENOSPC) {
		ck_assert_uint_eq(live_before, ref->live);
		return;
	}
	ck_assert_int_eq(rc, 0);
	ref->e[ref->n] = (struct ref_entry){
	    .mask = *m, .mkey = mk, .id = f->id, .flow = f, .tag = tag, .live = true};
	ref->n++;
	ref->live++;
}

static void rand_remove(struct rand_run *r)
{
	struct ref_entry *e;

	if (r->ref->live == 0)
		return;
	do
		e = &r->ref->e[rndn(r->ref->n)];
	while (!e->live);
	ck_assert_int_eq(evs_cls_remove(r->cls, e->flow), 0);
	e->live = false;
	r->ref->live--;
}

/* Expire exactly the entries last used before `cut`, checked against the reference. */
static void rand_expire(struct rand_run *r)
{
	uint64_t now = rte_rdtsc();
	uint64_t idle = 1000000;
	unsigned int expect = 0, got;

	/* Half the time, a cut through the middle of the live entries' ages. */
	if (r->ref->live > 0 && rndn(2)) {
		struct ref_entry *e;

		do
			e = &r->ref->e[rndn(r->ref->n)];
		while (!e->live);
		if (now > e->flow->last_used)
			idle = now - e->flow->last_used;
	}
	for (unsigned int i = 0; i < r->ref->n; i++) {
		struct ref_entry *e = &r->ref->e[i];

		if (e->live && now > e->flow->last_used && now - e->flow->last_used > idle) {
			e->live = false;
			r->ref->live--;
			expect++;
		}
	}
	got = evs_cls_expire(r->cls, now, idle);
	ck_assert_uint_eq(got, expect);
}

static void compact_ref(struct ref *ref)
{
	unsigned int j = 0;

	for (unsigned int i = 0; i < ref->n; i++)
		if (ref->e[i].live)
			ref->e[j++] = ref->e[i];
	ref->n = j;
}

static void run_random(const struct evs_cls_config *cfg, uint64_t seed, unsigned int ops)
{
	struct rand_run r = {0};

	rng_state = seed;
	r.cls = evs_cls_create(cfg);
	ck_assert_ptr_nonnull(r.cls);
	r.ref = calloc(1, sizeof(*r.ref));
	ck_assert_ptr_nonnull(r.ref);
	/* Masks share in_port (whole or a prefix) plus random fields: partial overlaps. */
	r.n_masks = 2 + rndn(N_MASKS - 1);
	for (unsigned int i = 0; i < r.n_masks; i++) {
		random_mask(&r.masks[i]);
		evs_flow_mask_set_prefix(&r.masks[i], EVS_FIELD_IN_PORT, 12 + rndn(5));
	}

	for (unsigned int op = 0; op < ops; op++) {
		unsigned int what = rndn(1000);

		if (what < 450)
			rand_install(&r);
		else if (what < 600)
			rand_remove(&r);
		else if (what < 602)
			rand_expire(&r);
		else if (what < 603) {
			ck_assert_uint_eq(evs_cls_flush(r.cls), r.ref->live);
			r.ref->n = r.ref->live = 0;
		} else {
			check_lookups(&r, 1 + rndn(EVS_CLS_BURST_MAX + 6));
		}
		if (r.ref->n > REF_MAX / 2)
			compact_ref(r.ref);
		if (stats(r.cls).n_flows != r.ref->live)
			ck_abort_msg("op %u: %u flows, reference has %u", op, stats(r.cls).n_flows,
				     r.ref->live);
		r.max_live = RTE_MAX(r.max_live, r.ref->live);
	}
	struct evs_cls_stats st = stats(r.cls);
	ck_assert_uint_eq(st.lookups, st.emc_hits + st.megaflow_hits + st.misses);
	ck_assert_uint_gt(st.megaflow_hits, 0);
	ck_assert_uint_gt(r.max_live, 30); /* the run was not trivially small */
	if (cfg != NULL && !cfg->emc_disable)
		ck_assert_uint_gt(st.emc_hits, 0);
	free(r.ref);
	evs_cls_free(r.cls);
}

START_TEST(random_vs_reference_default)
{
	run_random(NULL, 0x1234 + (uint64_t)_i, 20000);
}
END_TEST

START_TEST(random_vs_reference_emc_always)
{
	/* Every megaflow hit goes to a tiny EMC: stale entries would show at once. */
	struct evs_cls_config c = {.emc_entries = 64,
				   .emc_insert_one_in = 1,
				   .resort_interval = 3,
				   .emc_min_subtables = 1};

	run_random(&c, 0xabcd + (uint64_t)_i, 20000);
}
END_TEST

START_TEST(random_vs_reference_small_caps)
{
	struct evs_cls_config c = {
	    .emc_disable = true, .max_flows = 40, .max_subtables = 4, .resort_interval = 1};

	run_random(&c, 0x77 + (uint64_t)_i, 20000);
}
END_TEST

/* ---- tcase: overlap ---- */

START_TEST(overlap_first_subtable_wins)
{
	struct evs_cls_config c = {.emc_disable = true, .resort_interval = 1000000};
	struct evs_cls *cls = evs_cls_create(&c);
	struct evs_flow_mask ma, mb;
	struct evs_flow_key k1, k2;
	struct evs_megaflow_spec s;
	struct evs_megaflow *a, *b;
	struct evs_cls_subtable_info info[4];

	memset(&k1, 0, sizeof(k1));
	k1.in_port = 1;
	k1.dst_ip[0] = 10;
	k2 = k1;
	k2.in_port = 2;
	evs_flow_mask_zero(&ma);
	evs_flow_mask_set_field(&ma, EVS_FIELD_IN_PORT);
	evs_flow_mask_zero(&mb);
	evs_flow_mask_set_field(&mb, EVS_FIELD_DST_IP);
	make_spec(&s, &ma, NULL, 0, 0);
	ck_assert_int_eq(evs_cls_install(cls, &k1, &s, &a), 0);
	make_spec(&s, &mb, NULL, 0, 0);
	ck_assert_int_eq(evs_cls_install(cls, &k1, &s, &b), 0);

	/* k1 matches both: the subtable created first is tried first. */
	ck_assert_ptr_eq(evs_cls_lookup(cls, &k1, key_hash(&k1)), a);
	/* Traffic that only b's subtable matches moves it to the front at the re-sort. */
	for (int i = 0; i < 100; i++)
		ck_assert_ptr_eq(evs_cls_lookup(cls, &k2, key_hash(&k2)), b);
	ck_assert_ptr_eq(evs_cls_lookup(cls, &k1, key_hash(&k1)), a);
	evs_cls_resort(cls);
	ck_assert_ptr_eq(evs_cls_lookup(cls, &k1, key_hash(&k1)), b);
	ck_assert_int_eq(evs_cls_subtables_get(cls, info, 4), 2);
	for (int i = 0; i < 2; i++) {
		if (memcmp(&info[i].mask, &mb, sizeof(mb)) == 0) {
			ck_assert_uint_eq(info[i].rank, 0);
			ck_assert_uint_eq(info[i].hits, 101);
		} else {
			ck_assert_uint_eq(info[i].rank, 1);
			ck_assert_uint_eq(info[i].hits, 2);
		}
		ck_assert_uint_eq(info[i].n_flows, 1);
	}
	/* Removing the winner uncovers the other. */
	ck_assert_int_eq(evs_cls_remove(cls, b), 0);
	ck_assert_ptr_eq(evs_cls_lookup(cls, &k1, key_hash(&k1)), a);
	evs_cls_free(cls);
}
END_TEST

/* ---- tcase: capacity ---- */

START_TEST(capacity_refusals_counted)
{
	struct evs_cls_config c = {.max_flows = 16, .max_subtables = 2};
	struct evs_cls *cls = evs_cls_create(&c);
	struct evs_flow_mask m1, m2, m3;
	struct evs_flow_key k;
	struct evs_megaflow_spec s;
	struct evs_megaflow *f[17];

	memset(&k, 0, sizeof(k));
	evs_flow_mask_zero(&m1);
	evs_flow_mask_set_field(&m1, EVS_FIELD_L4_DST);
	evs_flow_mask_zero(&m2);
	evs_flow_mask_set_field(&m2, EVS_FIELD_L4_SRC);
	evs_flow_mask_zero(&m3);
	evs_flow_mask_set_field(&m3, EVS_FIELD_VRF);
	make_spec(&s, &m1, NULL, 0, 0);
	for (int i = 0; i < 16; i++) {
		k.l4_dst = (uint16_t)i;
		ck_assert_int_eq(evs_cls_install(cls, &k, &s, &f[i]), 0);
	}
	k.l4_dst = 100;
	ck_assert_int_eq(evs_cls_install(cls, &k, &s, &f[16]), -ENOSPC);
	ck_assert_ptr_null(f[16]);
	ck_assert_uint_eq(stats(cls).refused_flows, 1);
	ck_assert_ptr_null(evs_cls_lookup(cls, &k, key_hash(&k)));
	/* A duplicate at capacity is still -EEXIST, not a refusal. */
	k.l4_dst = 3;
	ck_assert_int_eq(evs_cls_install(cls, &k, &s, &f[16]), -EEXIST);
	ck_assert_uint_eq(stats(cls).refused_flows, 1);

	ck_assert_int_eq(evs_cls_remove(cls, f[5]), 0);
	make_spec(&s, &m2, NULL, 0, 0);
	ck_assert_int_eq(evs_cls_install(cls, &k, &s, &f[5]), 0);
	ck_assert_int_eq(evs_cls_remove(cls, f[6]), 0);
	make_spec(&s, &m3, NULL, 0, 0);
	ck_assert_int_eq(evs_cls_install(cls, &k, &s, NULL), -ENOSPC);
	ck_assert_uint_eq(stats(cls).refused_subtables, 1);
	ck_assert_uint_eq(stats(cls).n_subtables, 2);
	ck_assert_uint_eq(stats(cls).n_flows, 15);
	evs_cls_free(cls);
}
END_TEST

/* ---- tcase: table internals (white box) ---- */

/* Masked hash as the classifier computes it, for a one-word mask. */
static uint32_t hash_word0(uint64_t w0)
{
	struct cls_subtable st = {.n_words = 1, .w = {0}, .mw = {UINT64_MAX}};
	struct evs_flow_key k;

	memset(&k, 0, sizeof(k));
	memcpy(&k, &w0, 8);
	return cls_masked_hash(&st, &k);
}

static int cmp_pair(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;

	return x[0] < y[0] ? -1 : x[0] > y[0];
}

START_TEST(hash_collisions_and_spills)
{
	struct evs_cls_config c = {.emc_disable = true};
	struct evs_cls *cls = evs_cls_create(&c);
	struct evs_flow_mask m;
	struct evs_megaflow_spec s;
	struct evs_flow_key k;
	struct evs_megaflow *f[64];
	uint64_t wv[64];
	unsigned int n = 0;

	evs_flow_mask_zero(&m);
	memset(&m.bits, 0xff, 8); /* word 0 */
	make_spec(&s, &m, NULL, 0, 0);

	/* 1. Two keys with the same full 32-bit hash (birthday search). */
	enum { N = 1 << 18 };
	uint64_t(*pairs)[2] = malloc(sizeof(uint64_t[2]) * N);
	ck_assert_ptr_nonnull(pairs);
	for (uint64_t i = 0; i < N; i++) {
		pairs[i][0] = hash_word0(i * 0x100000001b3ull);
		pairs[i][1] = i * 0x100000001b3ull;
	}
	qsort(pairs, N, sizeof(pairs[0]), cmp_pair);
	uint64_t x = 0, y = 0;
	for (unsigned int i = 1; i < N && x == y; i++)
		if (pairs[i][0] == pairs[i - 1][0]) {
			x = pairs[i - 1][1];
			y = pairs[i][1];
		}
	free(pairs);
	ck_assert_uint_ne(x, y);
	ck_assert_uint_eq(hash_word0(x), hash_word0(y));
	memset(&k, 0, sizeof(k));
	memcpy(&k, &x, 8);
	ck_assert_int_eq(evs_cls_install(cls, &k, &s, &f[0]), 0);
	ck_assert_ptr_eq(evs_cls_lookup(cls, &k, 0), f[0]);
	memcpy(&k, &y, 8);
	ck_assert_ptr_null(evs_cls_lookup(cls, &k, 0));
	ck_assert_int_eq(evs_cls_install(cls, &k, &s, &f[1]), 0);
	ck_assert_ptr_eq(evs_cls_lookup(cls, &k, 0), f[1]);
	memcpy(&k, &x, 8);
	ck_assert_ptr_eq(evs_cls_lookup(cls, &k, 0), f[0]);
	ck_assert_int_eq(evs_cls_remove(cls, f[0]), 0);
	ck_assert_ptr_null(evs_cls_lookup(cls, &k, 0));
	memcpy(&k, &y, 8);
	ck_assert_ptr_eq(evs_cls_lookup(cls, &k, 0), f[1]);
	ck_assert_int_eq(evs_cls_remove(cls, f[1]), 0);

	/* 2. Twenty keys with one home bucket in the smallest table: three buckets' worth. */
	for (uint64_t v = 1; n < 20; v++)
		if ((hash_word0(v) & 7) == 0)
			wv[n++] = v;
	for (unsigned int i = 0; i < n; i++) {
		memcpy(&k, &wv[i], 8);
		ck_assert_int_eq(evs_cls_install(cls, &k, &s, &f[i]), 0);
	}
	const struct cls_subtable *st = cls->order[0];
	ck_assert_uint_eq(st->t.bmask, 7); /* still the smallest table */
	ck_assert_uint_eq(st->t.b[0].spill, 13);
	ck_assert_uint_eq(st->t.b[1].spill, 6);
	for (int rep = 0; rep < 2; rep++) {
		const struct evs_flow_key *kp[20];
		struct evs_flow_key ks[20];
		struct evs_megaflow *res[20];
		uint32_t hz[20] = {0};

		for (unsigned int i = 0; i < n; i++) {
			memset(&ks[i], 0, sizeof(ks[i]));
			memcpy(&ks[i], &wv[i], 8);
			kp[i] = &ks[i];
		}
		ck_assert_uint_eq(evs_cls_lookup_burst(cls, kp, hz, n, res), n - rep * 10);
		for (unsigned int i = 0; i < n; i++)
			ck_assert_ptr_eq(res[i], (rep && i % 2) ? NULL : f[i]);
		if (rep == 1)
			break;
		/* Remove every other one, from the middle of the chain too. */
		for (unsigned int i = 1; i < n; i += 2)
			ck_assert_int_eq(evs_cls_remove(cls, f[i]), 0);
		/* Slots 0-6 in bucket 0, 7-13 in 1, 14-19 in 2; spill counts what lies beyond. */
		ck_assert_uint_eq(st->t.b[0].spill, 6);
		ck_assert_uint_eq(st->t.b[1].spill, 3);
		ck_assert_uint_eq(st->t.b[2].spill, 0);
	}
	for (unsigned int i = 0; i < n; i += 2)
		ck_assert_int_eq(evs_cls_remove(cls, f[i]), 0);
	ck_assert_uint_eq(stats(cls).n_subtables, 0);
	evs_cls_free(cls);
}
END_TEST

START_TEST(table_grows_and_shrinks)
{
	struct evs_cls_config c = {.emc_disable = true, .max_flows = 100000};
	struct evs_cls *cls = evs_cls_create(&c);
	struct evs_flow_mask m;
	struct evs_megaflow_spec s;
	struct evs_flow_key k;
	static struct evs_megaflow *f[50000];
	bool saw_resize = false;

	rng_state = 5;
	evs_flow_mask_zero(&m);
	evs_flow_mask_set_field(&m, EVS_FIELD_DST_IP);
	make_spec(&s, &m, NULL, 0, 0);
	memset(&k, 0, sizeof(k));
	/* Resizes drain in the background: look up old and new keys all along. */
	for (uint32_t i = 0; i < 50000; i++) {
		uint32_t j = rndn(i + 1);

		memcpy(k.dst_ip, &i, 4);
		ck_assert_int_eq(evs_cls_install(cls, &k, &s, &f[i]), 0);
		saw_resize |= cls->order[0]->t.old != NULL;
		memcpy(k.dst_ip, &j, 4);
		if (evs_cls_lookup(cls, &k, j) != f[j])
			ck_abort_msg("growing: key %u lost after %u installs", j, i + 1);
		if (i % 1000 == 0)
			evs_cls_service(cls, NULL, NULL);
	}
	ck_assert(saw_resize);
	uint32_t big = cls->order[0]->t.bmask + 1;
	ck_assert_uint_ge(big * 7, 100000); /* at most half full */
	for (uint32_t i = 0; i < 50000; i++) {
		memcpy(k.dst_ip, &i, 4);
		ck_assert_ptr_eq(evs_cls_lookup(cls, &k, i), f[i]);
	}
	for (uint32_t i = 0; i < 49990; i++) {
		uint32_t j = i + 1 + rndn(50000 - i - 1);

		ck_assert_int_eq(evs_cls_remove(cls, f[i]), 0);
		memcpy(k.dst_ip, &j, 4);
		if (evs_cls_lookup(cls, &k, j) != f[j])
			ck_abort_msg("shrinking: key %u lost after %u removals", j, i + 1);
		memcpy(k.dst_ip, &i, 4);
		if (evs_cls_lookup(cls, &k, i) != NULL)
			ck_abort_msg("shrinking: removed key %u still found", i);
	}
	for (int i = 0; i < 100; i++)
		evs_cls_service(cls, NULL, NULL);
	ck_assert_ptr_null(cls->order[0]->t.old);
	ck_assert_uint_lt(cls->order[0]->t.bmask + 1, big / 64);
	for (uint32_t i = 0; i < 50000; i++) {
		memcpy(k.dst_ip, &i, 4);
		ck_assert_ptr_eq(evs_cls_lookup(cls, &k, i), i < 49990 ? NULL : f[i]);
	}
	evs_cls_free(cls);
}
END_TEST

/* ---- tcase: expiry ---- */

static void spin_tsc(uint64_t cycles)
{
	uint64_t t = rte_rdtsc();

	while (rte_rdtsc() - t < cycles)
		;
}

START_TEST(expire_idle_only)
{
	struct evs_cls_config c = {.emc_disable = true};
	struct evs_cls *cls = evs_cls_create(&c);
	struct evs_flow_mask m;
	struct evs_megaflow_spec s;
	struct evs_flow_key k;
	struct evs_megaflow *a, *b;

	evs_flow_mask_zero(&m);
	evs_flow_mask_set_field(&m, EVS_FIELD_L4_DST);
	make_spec(&s, &m, NULL, 0, 0);
	memset(&k, 0, sizeof(k));
	k.l4_dst = 1;
	ck_assert_int_eq(evs_cls_install(cls, &k, &s, &a), 0);
	k.l4_dst = 2;
	ck_assert_int_eq(evs_cls_install(cls, &k, &s, &b), 0);
	spin_tsc(100000);
	k.l4_dst = 1;
	ck_assert_ptr_eq(evs_cls_lookup(cls, &k, 0), a); /* a used, b idle since install */
	ck_assert_uint_gt(a->last_used, b->last_used + 100000);

	uint64_t now = a->last_used + 10;
	uint64_t idle = (a->last_used - b->last_used) / 2;
	ck_assert_uint_eq(evs_cls_expire(cls, now, idle), 1);
	ck_assert_uint_eq(b->live, 0);
	ck_assert_ptr_eq(evs_cls_lookup(cls, &k, 0), a);
	/* `now` older than last_used is not idle. */
	ck_assert_uint_eq(evs_cls_expire(cls, a->last_used - 1000000, 0), 0);
	ck_assert_uint_eq(stats(cls).expirations, 1);
	evs_cls_free(cls);
}
END_TEST

START_TEST(expire_batches_resume)
{
	struct evs_cls_config c = {.emc_disable = true, .expire_batch = 3};
	struct evs_cls *cls = evs_cls_create(&c);
	struct evs_flow_mask m;
	struct evs_megaflow_spec s;
	struct evs_flow_key k;
	unsigned int total = 0, calls = 0, got;

	evs_flow_mask_zero(&m);
	evs_flow_mask_set_field(&m, EVS_FIELD_L4_DST);
	make_spec(&s, &m, NULL, 0, 0);
	memset(&k, 0, sizeof(k));
	for (int i = 0; i < 10; i++) {
		k.l4_dst = (uint16_t)i;
		ck_assert_int_eq(evs_cls_install(cls, &k, &s, NULL), 0);
		/* the calls a full pass takes: the slots in use over the batch */
		ck_assert_uint_eq(evs_cls_expire_calls(cls), (unsigned int)(i + 1 + 2) / 3);
	}
	do {
		got = evs_cls_expire(cls, rte_rdtsc() + 1000, 0);
		ck_assert_uint_le(got, 3);
		total += got;
		calls++;
	} while (total < 10 && calls < 10);
	ck_assert_uint_eq(total, 10);
	ck_assert_uint_eq(calls, 4);
	ck_assert_uint_eq(stats(cls).n_subtables, 0);
	evs_cls_free(cls);
}
END_TEST

/* ---- tcase: requests and walks ---- */

static enum evs_cls_verdict reval_cb(struct evs_cls *cls, struct evs_megaflow *f, void *arg)
{
	uint32_t *gen = arg;

	if (f->key.l4_dst % 2)
		return EVS_CLS_REMOVE;
	ck_assert_int_eq(evs_cls_modify(cls, f, gen, 4, *gen), 0);
	return EVS_CLS_KEEP;
}

START_TEST(requests_flush_and_revalidate)
{
	struct evs_cls *cls = evs_cls_create(NULL);
	struct evs_flow_mask m;
	struct evs_megaflow_spec s;
	struct evs_flow_key k;
	uint32_t t1, t2, gen = 9;

	evs_flow_mask_zero(&m);
	evs_flow_mask_set_field(&m, EVS_FIELD_L4_DST);
	make_spec(&s, &m, NULL, 0, 1);
	memset(&k, 0, sizeof(k));
	for (int i = 0; i < 100; i++) {
		k.l4_dst = (uint16_t)i;
		ck_assert_int_eq(evs_cls_install(cls, &k, &s, NULL), 0);
	}
	ck_assert_uint_eq(evs_cls_service(cls, reval_cb, &gen), 0); /* nothing pending */

	t1 = evs_cls_request(cls, EVS_CLS_REQ_REVALIDATE);
	ck_assert(!evs_cls_request_done(cls, t1));
	ck_assert_uint_eq(evs_cls_service(cls, reval_cb, &gen), 50);
	ck_assert(evs_cls_request_done(cls, t1));
	ck_assert_uint_eq(stats(cls).n_flows, 50);
	for (int i = 0; i < 100; i++) {
		struct evs_megaflow *f;

		k.l4_dst = (uint16_t)i;
		f = evs_cls_lookup(cls, &k, 0);
		if (i % 2) {
			ck_assert_ptr_null(f);
		} else {
			ck_assert_ptr_nonnull(f);
			ck_assert_uint_eq(f->gen, 9);
			ck_assert_uint_eq(f->actions_len, 4);
		}
	}

	t1 = evs_cls_request(cls, EVS_CLS_REQ_FLUSH);
	t2 = evs_cls_request(cls, EVS_CLS_REQ_REVALIDATE);
	ck_assert(!evs_cls_request_done(cls, t1));
	ck_assert_uint_eq(evs_cls_service(cls, reval_cb, &gen), 50);
	ck_assert(evs_cls_request_done(cls, t1));
	ck_assert(evs_cls_request_done(cls, t2));
	ck_assert_uint_eq(stats(cls).n_flows, 0);
	ck_assert_uint_eq(stats(cls).flushed, 50);

	/* Revalidation without a callback flushes. */
	ck_assert_int_eq(evs_cls_install(cls, &k, &s, NULL), 0);
	t1 = evs_cls_request(cls, EVS_CLS_REQ_REVALIDATE);
	ck_assert_uint_eq(evs_cls_service(cls, NULL, NULL), 1);
	ck_assert(evs_cls_request_done(cls, t1));
	evs_cls_free(cls);
}
END_TEST

static enum evs_cls_verdict keep_cb(struct evs_cls *cls, struct evs_megaflow *f, void *arg)
{
	(void)cls;
	(void)f;
	(*(unsigned int *)arg)++;
	return EVS_CLS_KEEP;
}

START_TEST(revalidation_in_steps)
{
	struct evs_cls_config c = {.reval_batch = 10};
	struct evs_cls *cls = evs_cls_create(&c);
	struct evs_flow_mask m;
	struct evs_megaflow_spec s;
	struct evs_flow_key k;
	unsigned int visits = 0, calls;
	uint32_t t1, t2, t3;

	evs_flow_mask_zero(&m);
	evs_flow_mask_set_field(&m, EVS_FIELD_L4_DST);
	make_spec(&s, &m, NULL, 0, 0);
	memset(&k, 0, sizeof(k));
	for (int i = 0; i < 100; i++) {
		k.l4_dst = (uint16_t)i;
		ck_assert_int_eq(evs_cls_install(cls, &k, &s, NULL), 0);
	}
	/* 100 flows, 10 per call: done after the 10th call, not before. */
	t1 = evs_cls_request(cls, EVS_CLS_REQ_REVALIDATE);
	for (calls = 0; calls < 50 && !evs_cls_request_done(cls, t1); calls++) {
		ck_assert_uint_eq(visits, 10 * calls);
		evs_cls_service(cls, keep_cb, &visits);
	}
	ck_assert_uint_eq(calls, 10);
	ck_assert_uint_eq(visits, 100);

	/* A second request mid-walk restarts it; neither ticket is done early. */
	visits = 0;
	t1 = evs_cls_request(cls, EVS_CLS_REQ_REVALIDATE);
	for (int i = 0; i < 5; i++)
		evs_cls_service(cls, keep_cb, &visits);
	t2 = evs_cls_request(cls, EVS_CLS_REQ_REVALIDATE);
	evs_cls_service(cls, keep_cb, &visits);
	ck_assert_uint_eq(visits, 60);
	for (calls = 1; calls < 50 && !evs_cls_request_done(cls, t1); calls++) {
		ck_assert(!evs_cls_request_done(cls, t2));
		evs_cls_service(cls, keep_cb, &visits);
	}
	ck_assert_uint_eq(visits, 150); /* 50 before the restart, 100 after */
	ck_assert(evs_cls_request_done(cls, t2));

	/* A flush mid-walk ends it and completes both tickets. */
	t1 = evs_cls_request(cls, EVS_CLS_REQ_REVALIDATE);
	evs_cls_service(cls, keep_cb, &visits);
	ck_assert(!evs_cls_request_done(cls, t1));
	t3 = evs_cls_request(cls, EVS_CLS_REQ_FLUSH);
	ck_assert_uint_eq(evs_cls_service(cls, keep_cb, &visits), 100);
	ck_assert(evs_cls_request_done(cls, t1));
	ck_assert(evs_cls_request_done(cls, t3));
	ck_assert_uint_eq(evs_cls_service(cls, keep_cb, &visits), 0);
	evs_cls_free(cls);
}
END_TEST

static enum evs_cls_verdict count_cb(struct evs_cls *cls, struct evs_megaflow *f, void *arg)
{
	(void)cls;
	((unsigned int *)arg)[f->key.l4_dst]++;
	return f->key.l4_dst < 10 ? EVS_CLS_REMOVE : EVS_CLS_KEEP;
}

START_TEST(walk_in_budgeted_steps)
{
	struct evs_cls *cls = evs_cls_create(NULL);
	struct evs_flow_mask m;
	struct evs_megaflow_spec s;
	struct evs_flow_key k;
	struct evs_megaflow *f[40];
	unsigned int seen[40] = {0}, total = 0, steps = 0;
	uint64_t cur = 0;
	int n;

	evs_flow_mask_zero(&m);
	evs_flow_mask_set_field(&m, EVS_FIELD_L4_DST);
	make_spec(&s, &m, NULL, 0, 0);
	memset(&k, 0, sizeof(k));
	for (int i = 0; i < 40; i++) {
		k.l4_dst = (uint16_t)i;
		ck_assert_int_eq(evs_cls_install(cls, &k, &s, &f[i]), 0);
	}
	for (int i = 30; i < 40; i++) /* holes in the slot range */
		ck_assert_int_eq(evs_cls_remove(cls, f[i]), 0);
	ck_assert_int_eq(evs_cls_walk(cls, NULL, 0, count_cb, seen), -EINVAL);
	do {
		n = evs_cls_walk(cls, &cur, 7, count_cb, seen);
		ck_assert_int_ge(n, 0);
		ck_assert_int_le(n, 7);
		total += (unsigned int)n;
		steps++;
	} while (cur != EVS_CLS_CURSOR_END && steps < 100);
	ck_assert_uint_eq(total, 30);
	for (int i = 0; i < 40; i++)
		ck_assert_uint_eq(seen[i], i < 30 ? 1 : 0);
	ck_assert_uint_eq(stats(cls).n_flows, 20);
	ck_assert_int_eq(evs_cls_walk(cls, &cur, 0, count_cb, seen), 0);
	evs_cls_free(cls);
}
END_TEST

/* ---- tcase: dumps ---- */

START_TEST(dump_paged_exactly_once)
{
	struct evs_cls_config c = {.actions_max = 200};
	struct evs_cls *cls = evs_cls_create(&c);
	struct evs_flow_mask m[3];
	struct evs_megaflow_spec s;
	struct evs_flow_key k;
	struct evs_megaflow *f[100];
	static struct evs_megaflow_info info[7];
	unsigned int seen[101] = {0}, pages = 0;
	uint64_t cur = 0;
	uint8_t act[200];

	for (int j = 0; j < 3; j++) {
		evs_flow_mask_zero(&m[j]);
		evs_flow_mask_set_field(&m[j], EVS_FIELD_L4_DST);
		evs_flow_mask_set_prefix(&m[j], EVS_FIELD_SRC_IP, (unsigned int)(8 * j));
	}
	memset(&k, 0, sizeof(k));
	k.src_ip[0] = 0xab;
	for (int i = 0; i < 100; i++) {
		k.l4_dst = (uint16_t)i;
		memset(act, i, sizeof(act));
		make_spec(&s, &m[i % 3], act, (uint16_t)(i * 2), (uint32_t)i);
		ck_assert_int_eq(evs_cls_install(cls, &k, &s, &f[i]), 0);
	}
	for (int i = 0; i < 100; i += 10)
		ck_assert_int_eq(evs_cls_remove(cls, f[i]), 0);
	for (;;) {
		int n = evs_cls_dump(cls, &cur, info, 7);

		ck_assert_int_ge(n, 0);
		ck_assert_int_le(n, 7);
		for (int j = 0; j < n; j++) {
			unsigned int i = info[j].gen;

			ck_assert_uint_lt(i, 100);
			ck_assert_uint_ne(i % 10, 0);
			seen[i]++;
			ck_assert_uint_eq(info[j].id, f[i]->id);
			ck_assert_uint_eq(info[j].key.l4_dst, i);
			ck_assert_uint_eq(info[j].key.src_ip[0], i % 3 ? 0xab : 0);
			ck_assert_mem_eq(&info[j].mask, &m[i % 3], sizeof(m[0]));
			ck_assert_uint_eq(info[j].actions_len, i * 2);
			for (unsigned int b = 0; b < i * 2; b++)
				ck_assert_uint_eq(info[j].actions[b], i);
		}
		pages++;
		if (cur == EVS_CLS_CURSOR_END)
			break;
		ck_assert_uint_lt(pages, 100);
	}
	for (int i = 0; i < 100; i++)
		ck_assert_uint_eq(seen[i], i % 10 ? 1 : 0);
	ck_assert_int_eq(evs_cls_dump(cls, &cur, info, 7), 0);
	cur = 1ull << 40;
	ck_assert_int_eq(evs_cls_dump(cls, &cur, info, 7), -EINVAL);
	ck_assert_int_eq(evs_cls_dump(cls, NULL, info, 7), -EINVAL);
	evs_cls_free(cls);
}
END_TEST

/* ---- tcase: concurrent dump ---- */

/* Actions derived from everything a dump reports: a torn copy cannot pass. */
static void seal(uint8_t *out, const struct evs_flow_key *mk, const struct evs_flow_mask *m,
		 uint32_t gen, uint16_t len)
{
	uint32_t h = rte_hash_crc(mk, sizeof(*mk), gen);

	h = rte_hash_crc(m, sizeof(*m), h);
	for (uint16_t i = 0; i < len; i++)
		out[i] = (uint8_t)(h >> (8 * (i % 4))) ^ (uint8_t)i;
}

struct dumper {
	struct evs_cls *cls;
	bool stop;
	uint64_t entries, passes, bad;
};

static void *dumper_main(void *arg)
{
	struct dumper *d = arg;
	struct evs_megaflow_info *info = malloc(sizeof(*info) * 16);
	struct evs_cls_subtable_info sub[8];
	uint8_t expect[EVS_CLS_ACTIONS_MAX];

	/* Relaxed: only a flag to end the loop; results are read after the join. */
	while (!__atomic_load_n(&d->stop, __ATOMIC_RELAXED)) {
		uint64_t cur = 0;
		struct evs_cls_stats st;

		while (cur != EVS_CLS_CURSOR_END) {
			int n = evs_cls_dump(d->cls, &cur, info, 16);

			for (int j = 0; j < n; j++) {
				struct evs_flow_key mk;

				evs_flow_key_apply_mask(&mk, &info[j].key, &info[j].mask);
				seal(expect, &info[j].key, &info[j].mask, info[j].gen,
				     info[j].actions_len);
				if (memcmp(&mk, &info[j].key, sizeof(mk)) != 0 ||
				    info[j].actions_len < 8 ||
				    memcmp(expect, info[j].actions, info[j].actions_len) != 0)
					d->bad++;
				d->entries++;
			}
		}
		if (evs_cls_subtables_get(d->cls, sub, 8) < 0 ||
		    evs_cls_stats_get(d->cls, &st) != 0 || st.n_subtables > 4)
			d->bad++;
		/* Relaxed: the owner only polls it to know the dumper has run. */
		__atomic_store_n(&d->passes, d->passes + 1, __ATOMIC_RELAXED);
	}
	free(info);
	return NULL;
}

START_TEST(concurrent_dump_while_owner_churns)
{
	struct evs_cls_config c = {.max_flows = 2000, .actions_max = 120};
	struct dumper d = {0};
	struct evs_flow_mask m[4];
	struct evs_megaflow *live[1500];
	unsigned int n_live = 0;
	pthread_t th;
	uint8_t act[EVS_CLS_ACTIONS_MAX];
	uint64_t t_end;

	rng_state = 99;
	d.cls = evs_cls_create(&c);
	ck_assert_ptr_nonnull(d.cls);
	for (int j = 0; j < 4; j++)
		random_mask(&m[j]);
	ck_assert_int_eq(pthread_create(&th, NULL, dumper_main, &d), 0);
	t_end = rte_rdtsc() + 2000ull * 1000 * 1000; /* ~1 s at 2 GHz; bounded below too */
	/* Churn for ~1 s and until the dumper has done a few passes (bounded on a busy machine). */
	for (unsigned int op = 0;
	     op < 4000000 && (op < 20000 || rte_rdtsc() < t_end ||
			      __atomic_load_n(&d.passes, __ATOMIC_RELAXED) < 3);
	     op++) {
		unsigned int what = rndn(10);

		if (what < 5 && n_live < 1500) {
			struct evs_flow_key k, mk;
			struct evs_megaflow_spec s;
			const struct evs_flow_mask *mm = &m[rndn(4)];
			uint16_t len = (uint16_t)(8 + rndn(100));
			uint32_t gen = (uint32_t)rnd();
			struct evs_megaflow *f;

			for (size_t i = 0; i < sizeof(k); i++)
				((uint8_t *)&k)[i] = (uint8_t)rnd();
			evs_flow_key_apply_mask(&mk, &k, mm);
			seal(act, &mk, mm, gen, len);
			make_spec(&s, mm, act, len, gen);
			if (evs_cls_install(d.cls, &k, &s, &f) == 0)
				live[n_live++] = f;
		} else if (what < 8 && n_live > 0) {
			unsigned int i = rndn(n_live);

			ck_assert_int_eq(evs_cls_remove(d.cls, live[i]), 0);
			live[i] = live[--n_live];
		} else if (n_live > 0) {
			struct evs_megaflow *f = live[rndn(n_live)];
			uint16_t len = (uint16_t)(8 + rndn(100));
			uint32_t gen = (uint32_t)rnd();

			seal(act, &f->key, evs_cls_flow_mask(d.cls, f), gen, len);
			ck_assert_int_eq(evs_cls_modify(d.cls, f, act, len, gen), 0);
			/* Random masks may overlap: some megaflow matches, maybe not f. */
			ck_assert_ptr_nonnull(evs_cls_lookup(d.cls, &f->key, op));
		}
	}
	__atomic_store_n(&d.stop, true, __ATOMIC_RELAXED);
	pthread_join(th, NULL);
	ck_assert_uint_eq(d.bad, 0);
	ck_assert_uint_gt(d.passes, 0);
	ck_assert_uint_gt(d.entries, 0);
	evs_cls_free(d.cls);
}
END_TEST

static Suite *classifier_suite(void)
{
	Suite *s = suite_create("classifier");
	struct {
		const char *name;
		const TTest *fn;
		int loops;
	} cases[] = {
	    {"mask_helpers", mask_helpers, 1},
	    {"install_lookup_basic", install_lookup_basic, 1},
	    {"create_rejects_bad_config", create_rejects_bad_config, 1},
	    {"random_vs_reference_default", random_vs_reference_default, 3},
	    {"random_vs_reference_emc_always", random_vs_reference_emc_always, 3},
	    {"random_vs_reference_small_caps", random_vs_reference_small_caps, 3},
	    {"overlap_first_subtable_wins", overlap_first_subtable_wins, 1},
	    {"capacity_refusals_counted", capacity_refusals_counted, 1},
	    {"hash_collisions_and_spills", hash_collisions_and_spills, 1},
	    {"table_grows_and_shrinks", table_grows_and_shrinks, 1},
	    {"expire_idle_only", expire_idle_only, 1},
	    {"expire_batches_resume", expire_batches_resume, 1},
	    {"requests_flush_and_revalidate", requests_flush_and_revalidate, 1},
	    {"revalidation_in_steps", revalidation_in_steps, 1},
	    {"walk_in_budgeted_steps", walk_in_budgeted_steps, 1},
	    {"dump_paged_exactly_once", dump_paged_exactly_once, 1},
	    {"concurrent_dump_while_owner_churns", concurrent_dump_while_owner_churns, 1},
	};

	for (size_t i = 0; i < RTE_DIM(cases); i++) {
		TCase *tc = tcase_create(cases[i].name);

		tcase_set_timeout(tc, 120);
		tcase_add_loop_test(tc, cases[i].fn, 0, cases[i].loops);
		suite_add_tcase(s, tc);
	}
	return s;
}

int main(void)
{
	Suite *s = classifier_suite();
	SRunner *sr;
	int failed;

	cls_emc_add_cases(s);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
