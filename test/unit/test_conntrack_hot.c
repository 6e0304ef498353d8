/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hot copies (lib/conntrack/ct_hot.c): random put/drop/get crowded into a
 * few lines against a model of what each line holds, a record held by a
 * writer, a reader racing a writer on one line (never a torn or stale
 * copy), and the table's sizing and line formula. Part of the
 * conntrack_hash suite (test_conntrack_hash.c's main).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_memory.h>

#include "ct_hot.h"
#include "unit_case.h"

Suite *ct_hot_suite(void);

#define HOT_ODD (UINT64_C(1) << 32) /* a record's version word: a writer holds it */

/* ck_assert_msg() without its mark point per pass (a write to Check's
 * pipe): the model checks a few million times. */
#define expect(cond, ...)                                                                          \
	do {                                                                                       \
		if (!(cond))                                                                       \
			ck_abort_msg(__VA_ARGS__);                                                 \
	} while (0)

struct tkey {
	uint64_t k0, k1;
	uint32_t sig;
};

/* splitmix64's finaliser: hashes and values from plain numbers */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= UINT64_C(0xbf58476d1ce4e5b9);
	x ^= x >> 27;
	x *= UINT64_C(0x94d049bb133111eb);
	return x ^ x >> 31;
}

/* Key @id, UDP: groups of three share a hash (so a line), the second
 * differing from the first in its destination alone (k0), the third in
 * its zone alone (k1), so a get must compare both words. */
static struct tkey key_of(uint32_t id)
{
	uint32_t g = id / 3, v = id % 3;
	uint64_t src = 0x0a000000 | g, dst = 0xc0a80001 + (v == 1);
	uint64_t sport = 1024 + g % 50000, dport = 80, zone = v == 2, proto = 17;

	return (struct tkey){.k0 = src | dst << 32,
			     .k1 = sport | dport << 16 | zone << 32 | proto << 48,
			     .sig = (uint32_t)mix64(g)};
}

/* The line of @sig, as ct_hash_bucket() places a key: the hash rotated by
 * 16 bits, scaled to @nl by multiply-shift. */
static uint32_t line_formula(uint32_t sig, uint32_t nl)
{
	uint32_t x = sig << 16 | sig >> 16;

	return (uint32_t)((uint64_t)x * nl >> 32);
}

/* Record @c holds a copy of key (@k0, @k1) (the key's bits it keeps). */
static bool rec_holds(const struct ct_hot_rec *c, uint64_t k0, uint64_t k1)
{
	return atomic_load(&c->ix) != 0 && atomic_load(&c->k0) == k0 &&
	       ((atomic_load(&c->k1) ^ k1) & CT_HOT_KEY_MASK) == 0;
}

static bool rec_used(const struct ct_hot_rec *c)
{
	return atomic_load(&c->ix) != 0;
}

static uint32_t ver(const struct ct_hot_rec *c)
{
	return (uint32_t)(atomic_load(&c->word) >> 32);
}

/* The record of @l holding @k, or -1 (never both). */
static int rec_of(const struct ct_hot_line *l, const struct tkey *k)
{
	int found = -1;

	for (int r = 0; r < 2; r++) {
		if (!rec_holds(&l->rec[r], k->k0, k->k1))
			continue;
		expect(found < 0, "a key in both records of its line");
		found = r;
	}
	return found;
}

static void assert_val(const struct ct_hot_val *got, const struct ct_hot_val *want, uint32_t id)
{
	expect(got->exp == want->exp && got->mark == want->mark && got->backend == want->backend &&
		   got->flags == want->flags && got->idx == want->idx,
	       "key %u: exp %u mark %#x backend %u flags %u idx %u, last put %u %#x %u %u %u", id,
	       got->exp, got->mark, got->backend, got->flags, got->idx, want->exp, want->mark,
	       want->backend, want->flags, want->idx);
}

/* Record @c as a reader would take it: even version and what it holds. */
static void assert_rec(const struct ct_hot_rec *c, const struct ct_hot_val *want, uint32_t id)
{
	uint64_t w = atomic_load(&c->word);
	uint32_t ix = atomic_load(&c->ix);
	struct ct_hot_val got = {.exp = (uint32_t)w,
				 .mark = atomic_load(&c->mark),
				 .idx = ix & (CT_HOT_IDX_MAX - 1),
				 .backend = (uint16_t)(atomic_load(&c->k1) >> 48),
				 .flags = (uint8_t)(ix >> 28)};

	expect((w & HOT_ODD) == 0, "key %u: record left odd", id);
	assert_val(&got, want, id);
}

static uint64_t rng;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

#define MK 3000 /* keys */
#define ML 8	/* lines: 16 records */
#define MOPS 100000
#define HOT_WIN 24 /* keys most operations pick from, so that puts find them */

/* What each line holds (at most two keys) and what each key's last put
 * wrote. */
struct model {
	uint32_t id[ML][2];
	uint8_t n[ML];
	bool in[MK];
	struct ct_hot_val val[MK];
	int8_t victim[MK / 3]; /* by hash: the record a put into a full line takes, or -1 */
};

/* A put into a full line may take a copy only if it expires more than
 * @keep grains before the put's (wrap-safe, @keep < 2^31). */
static bool evictable(uint32_t exp, const struct ct_hot_rec *old, uint32_t keep)
{
	return (int32_t)(exp - (uint32_t)atomic_load(&old->word)) > (int64_t)keep;
}

static void model_add(struct model *m, uint32_t li, uint32_t id)
{
	expect(m->n[li] < 2, "line %u: a third key", li);
	m->id[li][m->n[li]++] = id;
	m->in[id] = true;
}

static void model_del(struct model *m, uint32_t li, uint32_t id)
{
	for (unsigned int j = 0; j < m->n[li]; j++) {
		if (m->id[li][j] != id)
			continue;
		m->id[li][j] = m->id[li][--m->n[li]];
		m->in[id] = false;
		return;
	}
	ck_abort_msg("key %u not in the model's line %u", id, li);
}

/* Line @li holds the model's keys with their last values, nothing else,
 * and get finds them. */
static void check_line(const struct ct_hot *h, const struct model *m, uint32_t li)
{
	struct ct_hot_line *l = &h->l[li];
	unsigned int used = 0;

	for (int r = 0; r < 2; r++)
		used += rec_used(&l->rec[r]);
	expect(used == m->n[li], "line %u: %u records in use, the model %u", li, used, m->n[li]);
	for (unsigned int j = 0; j < m->n[li]; j++) {
		uint32_t id = m->id[li][j];
		struct tkey k = key_of(id);
		struct ct_hot_val v;
		int r = rec_of(l, &k);

		expect(r >= 0, "key %u missing from line %u", id, li);
		assert_rec(&l->rec[r], &m->val[id], id);
		expect(ct_hot_get(l, k.k0, k.k1, &v), "key %u: get missed", id);
		assert_val(&v, &m->val[id], id);
	}
}

static void check_all(const struct ct_hot *h, const struct model *m)
{
	uint32_t used = 0;

	for (uint32_t li = 0; li < ML; li++) {
		check_line(h, m, li);
		used += m->n[li];
	}
	expect(ct_hot_count(h) == used, "count %u, the model %u", ct_hot_count(h), used);
	for (uint32_t id = 0; id < MK; id++) {
		struct tkey k = key_of(id);
		struct ct_hot_val v;
		bool hit = ct_hot_get(ct_hot_line_of(h, k.sig), k.k0, k.k1, &v);

		expect(hit == m->in[id], "key %u: get %s, the model %s", id, hit ? "hit" : "missed",
		       m->in[id] ? "in" : "out");
		if (hit)
			assert_val(&v, &m->val[id], id);
	}
}

/* A put into line @li, full, that took no record: the record the hash
 * names (or, not known yet, one of the two) keeps a copy expiring late. */
static void check_kept(const struct ct_hot_line *before, const struct model *m, uint32_t id,
		       uint32_t exp, uint32_t keep)
{
	int8_t vr = m->victim[id / 3];

	if (vr >= 0)
		expect(!evictable(exp, &before->rec[vr], keep),
		       "key %u (exp %u keep %u) refused record %d expiring at %u", id, exp, keep,
		       vr, (uint32_t)atomic_load(&before->rec[vr].word));
	else
		expect(!evictable(exp, &before->rec[0], keep) ||
			   !evictable(exp, &before->rec[1], keep),
		       "key %u (exp %u keep %u) refused both records", id, exp, keep);
}

static void model_put(struct ct_hot *h, struct model *m, uint32_t id, const struct ct_hot_val *v,
		      uint32_t keep)
{
	static struct ct_hot_line before[ML];
	struct tkey k = key_of(id);
	uint32_t li = line_formula(k.sig, ML);
	struct ct_hot_line *l = &h->l[li];
	int was = rec_of(l, &k), r;

	memcpy(before, h->l, sizeof(before));
	ct_hot_put(h, k.sig, k.k0, k.k1, v, keep);
	r = rec_of(l, &k);
	if (r < 0) {
		expect(!m->in[id] && m->n[li] == 2, "put of key %u left no copy", id);
		expect(memcmp(before, h->l, sizeof(before)) == 0, "put of key %u gave up but wrote",
		       id);
		check_kept(&before[li], m, id, v->exp, keep);
		check_line(h, m, li);
		return;
	}
	expect(ver(&l->rec[r]) == ver(&before[li].rec[r]) + 2, "put of key %u: version %u after %u",
	       id, ver(&l->rec[r]), ver(&before[li].rec[r]));
	if (m->in[id]) {
		expect(r == was, "key %u moved from record %d to %d", id, was, r);
	} else if (m->n[li] < 2) {
		expect(!rec_used(&before[li].rec[r]),
		       "key %u took a used record while one was free", id);
		model_add(m, li, id);
	} else {
		const struct ct_hot_rec *o = &before[li].rec[r];
		unsigned int j;

		for (j = 0; j < 2; j++) {
			struct tkey g = key_of(m->id[li][j]);

			if (rec_holds(o, g.k0, g.k1))
				break;
		}
		expect(j < 2, "key %u replaced a record the model has no key of", id);
		expect(evictable(v->exp, o, keep),
		       "key %u (exp %u keep %u) took a copy expiring at %u", id, v->exp, keep,
		       (uint32_t)atomic_load(&o->word));
		model_del(m, li, m->id[li][j]);
		model_add(m, li, id);
		if (m->victim[id / 3] < 0)
			m->victim[id / 3] = (int8_t)r;
		expect(m->victim[id / 3] == r, "key %u evicted record %d, its hash's %d", id, r,
		       m->victim[id / 3]);
	}
	m->val[id] = *v;
	/* nothing else changed: the other record, the other lines */
	memcpy(&before[li].rec[r], &l->rec[r], sizeof(l->rec[r]));
	expect(memcmp(before, h->l, sizeof(before)) == 0, "put of key %u wrote elsewhere", id);
	check_line(h, m, li);
}

static void model_drop(struct ct_hot *h, struct model *m, uint32_t id)
{
	static struct ct_hot_line before[ML];
	struct tkey k = key_of(id);
	uint32_t li = line_formula(k.sig, ML);
	struct ct_hot_line *l = &h->l[li];
	int was = rec_of(l, &k);
	struct ct_hot_val v;

	memcpy(before, h->l, sizeof(before));
	ct_hot_drop(h, k.sig, k.k0, k.k1);
	expect(!ct_hot_get(l, k.k0, k.k1, &v), "key %u found after its drop", id);
	expect(rec_of(l, &k) < 0, "key %u held after its drop", id);
	if (m->in[id]) {
		expect(was >= 0, "key %u missing before its drop", id);
		expect(!rec_used(&l->rec[was]), "dropped record not free");
		expect((atomic_load(&l->rec[was].word) & HOT_ODD) == 0, "dropped record left held");
		expect(ver(&l->rec[was]) == ver(&before[li].rec[was]) + 2,
		       "drop of key %u: version %u after %u", id, ver(&l->rec[was]),
		       ver(&before[li].rec[was]));
		memcpy(&before[li].rec[was], &l->rec[was], sizeof(l->rec[was]));
		model_del(m, li, id);
	}
	expect(memcmp(before, h->l, sizeof(before)) == 0, "drop of key %u wrote elsewhere", id);
	check_line(h, m, li);
}

START_TEST(random_ops_match_model)
{
	struct model *m = calloc(1, sizeof(*m));
	struct ct_hot *h = ct_hot_create(ML, SOCKET_ID_ANY);
	const char *env = getenv("CT_HOT_SEED");
	uint64_t seed =
	    env != NULL ? strtoull(env, NULL, 0) : (uint64_t)time(NULL) << 20 ^ (uint64_t)getpid();
	uint32_t win = 0, now = UINT32_MAX - MOPS / 2; /* grains: wraps halfway */
	uint64_t puts = 0, inplace = 0, evicts = 0, kept = 0, drops = 0, hits = 0;

	ck_assert_ptr_nonnull(m);
	ck_assert_ptr_nonnull(h);
	printf("ct_hot model: CT_HOT_SEED=%#" PRIx64 "\n", seed);
	fflush(stdout);
	rng = seed | 1;
	memset(m->victim, -1, sizeof(m->victim));
	for (uint32_t op = 0; op < MOPS; op++) {
		uint64_t x = rnd();
		uint32_t id =
		    x & 3 ? (win + (uint32_t)(x >> 8) % HOT_WIN) % MK : (uint32_t)(x >> 8) % MK;
		unsigned int what = (unsigned int)(x >> 40) % 10;

		if (op % 2000 == 1999)
			win += 7;
		now += (uint32_t)(x >> 2) % 2;
		if (what < 5) {
			uint64_t y = rnd();
			/* expiring soon after now, at times anywhere */
			struct ct_hot_val v = {.exp = now + (uint32_t)y % 256,
					       .mark = (uint32_t)(y >> 32),
					       .idx = (uint32_t)(y >> 8) & (CT_HOT_IDX_MAX - 1),
					       .backend = (uint16_t)(x >> 48),
					       .flags = (uint8_t)(1 + (x >> 4) % 15)};
			const uint32_t keeps[] = {0, 1, 16, 64, 200, INT32_MAX};
			uint32_t keep = keeps[(y >> 29) % RTE_DIM(keeps)], n = ct_hot_count(h);
			bool had = m->in[id];

			if (y % 32 == 0)
				v.exp = (uint32_t)(y >> 8);
			model_put(h, m, id, &v, keep);
			puts++;
			inplace += had;
			evicts += !had && m->in[id] && ct_hot_count(h) == n;
			kept += !m->in[id];
		} else if (what < 7) {
			model_drop(h, m, id);
			drops++;
		} else {
			struct tkey k = key_of(id);
			struct ct_hot_val v;
			bool hit = ct_hot_get(ct_hot_line_of(h, k.sig), k.k0, k.k1, &v);

			expect(hit == m->in[id], "key %u: get %s, the model %s", id,
			       hit ? "hit" : "missed", m->in[id] ? "in" : "out");
			if (hit)
				assert_val(&v, &m->val[id], id);
			hits += hit;
		}
		if (op % 512 == 0)
			check_all(h, m);
	}
	check_all(h, m);
	printf("ct_hot model: %" PRIu64 " puts (%" PRIu64 " in place, %" PRIu64
	       " evicting, %" PRIu64 " refused), %" PRIu64 " drops, %" PRIu64 " get hits\n",
	       puts, inplace, evicts, kept, drops, hits);
	/* each path taken */
	ck_assert_uint_gt(hits, MOPS / 100);
	ck_assert_uint_gt(inplace, MOPS / 100);
	ck_assert_uint_gt(evicts, MOPS / 100);
	ck_assert_uint_gt(kept, MOPS / 100);
	ct_hot_free(h);
	free(m);
}
END_TEST

START_TEST(bad_create_args)
{
	errno = 0;
	ck_assert_ptr_null(ct_hot_create(0, SOCKET_ID_ANY));
	ck_assert_int_eq(errno, EINVAL);
	/* 256 GiB of lines: no memory for it here */
	errno = 0;
	ck_assert_ptr_null(ct_hot_create(CT_HOT_IDX_MAX + 1, SOCKET_ID_ANY));
	ck_assert_int_eq(errno, EINVAL); /* past the copies' index bits */
	ck_assert_ptr_null(ct_hot_create(CT_HOT_IDX_MAX, SOCKET_ID_ANY)); /* 16 GiB */
	ck_assert_int_eq(errno, ENOMEM);
	ct_hot_free(NULL);
}
END_TEST

/* Make record @r of @l held (odd) or free it, as a writer's take and give
 * would, leaving the rest of the word. */
static void hold(struct ct_hot_line *l, int r, bool on)
{
	if (on)
		atomic_fetch_or(&l->rec[r].word, HOT_ODD);
	else
		atomic_fetch_and(&l->rec[r].word, ~HOT_ODD);
}

START_TEST(held_record_left_alone)
{
	struct ct_hot *h = ct_hot_create(4, SOCKET_ID_ANY);
	/* one group: one hash, one line */
	struct tkey a = key_of(0), b = key_of(1), c = key_of(2);
	const struct ct_hot_val va = {.exp = 1000, .mark = 0xa1a2a3a4, .backend = 11, .flags = 3};
	const struct ct_hot_val va2 = {.exp = 2000, .mark = 0xb1, .backend = 12, .flags = 5};
	const struct ct_hot_val vb = {.exp = 3000, .mark = 0xc1, .backend = 13, .flags = 9};
	/* late enough to take either copy, but for its writer */
	const struct ct_hot_val vc = {.exp = 100000, .mark = 0xd1, .backend = 14, .flags = 1};
	struct ct_hot_line *l, saved;
	struct ct_hot_val v;
	int ra, rb;

	ck_assert_ptr_nonnull(h);
	l = ct_hot_line_of(h, a.sig);
	ct_hot_put(h, a.sig, a.k0, a.k1, &va, 0);
	ra = rec_of(l, &a);
	ck_assert_int_ge(ra, 0);
	memcpy(&saved, l, sizeof(saved));

	hold(l, ra, true);
	ck_assert_msg(!ct_hot_get(l, a.k0, a.k1, &v), "get read a held record");
	ct_hot_put(h, a.sig, a.k0, a.k1, &va2, 0);
	ct_hot_drop(h, a.sig, a.k0, a.k1);
	ck_assert_msg(atomic_load(&l->rec[ra].word) == (atomic_load(&saved.rec[ra].word) | HOT_ODD),
		      "a put or drop took a held record");
	/* the line's other record still takes a key */
	ct_hot_put(h, b.sig, b.k0, b.k1, &vb, 0);
	rb = rec_of(l, &b);
	ck_assert_int_eq(rb, 1 - ra);
	ck_assert(ct_hot_get(l, b.k0, b.k1, &v));
	assert_val(&v, &vb, 1);
	hold(l, ra, false);
	ck_assert_msg(memcmp(&l->rec[ra], &saved.rec[ra], sizeof(saved.rec[ra])) == 0,
		      "a put or drop wrote a held record");
	ck_assert(ct_hot_get(l, a.k0, a.k1, &v));
	assert_val(&v, &va, 0);

	/* both held: a third key of the line finds no record, drops skip */
	memcpy(&saved, l, sizeof(saved));
	hold(l, 0, true);
	hold(l, 1, true);
	ck_assert(!ct_hot_get(l, b.k0, b.k1, &v));
	ct_hot_put(h, c.sig, c.k0, c.k1, &vc, 0);
	ct_hot_drop(h, a.sig, a.k0, a.k1);
	ct_hot_drop(h, b.sig, b.k0, b.k1);
	hold(l, 0, false);
	hold(l, 1, false);
	ck_assert_msg(memcmp(l, &saved, sizeof(saved)) == 0, "a put or drop wrote a held record");
	ck_assert(!ct_hot_get(l, c.k0, c.k1, &v));
	ck_assert(ct_hot_get(l, a.k0, a.k1, &v));
	assert_val(&v, &va, 0);
	ck_assert(ct_hot_get(l, b.k0, b.k1, &v));
	assert_val(&v, &vb, 1);
	ck_assert_uint_eq(ct_hot_count(h), 2);
	ct_hot_free(h);
}
END_TEST

#define RACE_KEYS 5
#define RACE_READS 10000000
#define RACE_MAX_NS 1000000000ll

struct race {
	struct ct_hot *h;
	struct tkey k[RACE_KEYS];
	atomic_bool started, stop;
	uint32_t rounds;
};

/* Key @kid's values in the writer's put @seq: every field from both, @seq
 * in the expiry, so a reader can tell a copy made of two puts. */
static struct ct_hot_val race_val(uint32_t kid, uint32_t seq)
{
	uint64_t x = mix64((uint64_t)kid << 32 | seq);

	return (struct ct_hot_val){.exp = seq,
				   .mark = (uint32_t)x,
				   .idx = (uint32_t)(x >> 36) & (CT_HOT_IDX_MAX - 1),
				   .backend = (uint16_t)(x >> 32),
				   .flags = (uint8_t)(1 + (x >> 48) % 15)};
}

static void *race_writer(void *arg)
{
	struct race *rc = arg;
	uint32_t round = 0, seq = 0;

	atomic_store(&rc->started, true);
	while (!atomic_load_explicit(&rc->stop, memory_order_relaxed)) {
		round++;
		for (uint32_t kid = 0; kid < RACE_KEYS; kid++) {
			/* each put expires later than all before: it may take any copy */
			struct ct_hot_val v = race_val(kid, ++seq);

			ct_hot_put(rc->h, rc->k[kid].sig, rc->k[kid].k0, rc->k[kid].k1, &v, 0);
		}
		if (round % 3 == 0) {
			uint32_t kid = round / 3 % RACE_KEYS;

			ct_hot_drop(rc->h, rc->k[kid].sig, rc->k[kid].k0, rc->k[kid].k1);
		}
	}
	rc->rounds = round;
	return NULL;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* One writer puts and drops keys of one line (two of them sharing a hash,
 * the others evicting) while this thread reads them: a copy is whole, of
 * one put, and never older than one read before. */
START_TEST(reader_never_sees_torn_copy)
{
	static struct race rc;
	const uint32_t ids[RACE_KEYS] = {0, 1, 3, 6, 9};
	uint32_t last[RACE_KEYS] = {0};
	uint64_t it, hits = 0, torn = 0, back = 0;
	struct ct_hot_line *l;
	pthread_t wr;
	int64_t t0;

	memset(&rc, 0, sizeof(rc));
	rc.h = ct_hot_create(1, SOCKET_ID_ANY);
	ck_assert_ptr_nonnull(rc.h);
	for (int i = 0; i < RACE_KEYS; i++)
		rc.k[i] = key_of(ids[i]);
	l = ct_hot_line_of(rc.h, 0);
	ck_assert_int_eq(pthread_create(&wr, NULL, race_writer, &rc), 0);
	while (!atomic_load(&rc.started))
		;
	t0 = now_ns();
	for (it = 0; it < RACE_READS; it++) {
		uint32_t kid = (uint32_t)(it % RACE_KEYS);
		struct ct_hot_val v, want;

		if (it % 4096 == 0 && now_ns() - t0 > RACE_MAX_NS)
			break;
		if (!ct_hot_get(l, rc.k[kid].k0, rc.k[kid].k1, &v))
			continue;
		hits++;
		want = race_val(kid, v.exp);
		if (v.mark != want.mark || v.backend != want.backend || v.flags != want.flags) {
			if (torn++ == 0)
				fprintf(stderr,
					"torn: key %u put %u mark %#x backend %u flags %u\n", kid,
					v.exp, v.mark, v.backend, v.flags);
		}
		if (v.exp < last[kid])
			back++;
		last[kid] = v.exp;
	}
	atomic_store(&rc.stop, true);
	ck_assert_int_eq(pthread_join(wr, NULL), 0);
	printf("ct_hot race: %" PRIu64 " reads, %" PRIu64 " hits, %u writer rounds, %.2f s\n", it,
	       hits, rc.rounds, (double)(now_ns() - t0) / 1e9);
	ck_assert_msg(torn == 0, "%" PRIu64 " torn copies of %" PRIu64, torn, hits);
	ck_assert_msg(back == 0, "%" PRIu64 " copies older than one read before", back);
	ck_assert_uint_gt(hits, 0);
	ck_assert_uint_gt(rc.rounds, 0);
	ct_hot_free(rc.h);
}
END_TEST

START_TEST(sizing_and_line_formula)
{
	const uint32_t ns[] = {1, 2, 3, 8, 37, 1000, 65537};
	const uint32_t edge[] = {0, 1, 0xffff, 0x10000, 0x7fffffff, 0x80000000, UINT32_MAX};

	for (unsigned int i = 0; i < RTE_DIM(ns); i++) {
		uint32_t n = ns[i];
		struct ct_hot *h = ct_hot_create(n, SOCKET_ID_ANY);

		ck_assert_ptr_nonnull(h);
		ck_assert_uint_eq(h->nl, n);
		ck_assert_uint_eq(h->bytes, (size_t)64 * n);
		ck_assert_uint_eq((uintptr_t)h->l % 64, 0);
		ck_assert_uint_eq(ct_hot_count(h), 0);
		for (uint32_t s = 0; s < 10000 + RTE_DIM(edge); s++) {
			uint32_t sig = s < RTE_DIM(edge) ? edge[s] : (uint32_t)mix64(s);

			ck_assert_uint_lt(line_formula(sig, n), n);
			ck_assert_ptr_eq(ct_hot_line_of(h, sig), &h->l[line_formula(sig, n)]);
			ck_assert_uint_eq(ct_hash_bucket(sig, n), line_formula(sig, n));
		}
		/* a put lands in that line, the last one too */
		for (uint32_t id = 0; id < 300; id += 3) {
			struct tkey k = key_of(id);
			uint32_t want;

			if (id == 0)
				k.sig = UINT32_MAX;
			want = line_formula(k.sig, n);
			ct_hot_put(h, k.sig, k.k0, k.k1, &(struct ct_hot_val){.exp = id, .flags = 8}, 0);
			ck_assert_int_ge(rec_of(&h->l[want], &k), 0);
			ct_hot_drop(h, k.sig, k.k0, k.k1);
			ck_assert_int_lt(rec_of(&h->l[want], &k), 0);
		}
		ck_assert_uint_eq(line_formula(UINT32_MAX, n), n - 1);
		ck_assert_uint_eq(ct_hot_count(h), 0);
		ct_hot_free(h);
	}
}
END_TEST

Suite *ct_hot_suite(void)
{
	const struct unit_case cases[] = {
	    {"hot_random_ops_match_model", random_ops_match_model},
	    {"hot_bad_create_args", bad_create_args},
	    {"hot_held_record_left_alone", held_record_left_alone},
	    {"hot_reader_never_sees_torn_copy", reader_never_sees_torn_copy},
	    {"hot_sizing_and_line_formula", sizing_and_line_formula},
	};
	Suite *s = suite_create("conntrack_hot");

	unit_add_cases(s, cases, RTE_DIM(cases), NULL, NULL, 0);
	return s;
}
