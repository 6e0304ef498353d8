/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The connection-key table (lib/conntrack/ct_hash.c) against a naive
 * reference model on random insert/delete/lookup sequences crowded into a
 * few buckets (full buckets, spills, extension chains, deletes from the
 * middle of chains), and a lock-free reader that must never miss a key
 * that stays present while a writer churns keys in the same chain.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_malloc.h>
#include <rte_random.h>
#include <rte_rcu_qsbr.h>

#include "ct_nat_side.h"
#include "ct_private.h"
#include "unit_case.h"
#include "unit_eal.h"

#define M 64   /* the model's entries: 128 keys */
#define NE 256 /* entries made: 512 keys */

static struct ct_entry *entries;

static void entries_setup(void)
{
	entries = rte_zmalloc("cth_entries", NE * sizeof(*entries), RTE_CACHE_LINE_SIZE);
	ck_assert_ptr_nonnull(entries);
	for (uint32_t i = 0; i < NE; i++) {
		for (int d = 0; d < 2; d++) {
			uint8_t *k = (uint8_t *)&entries[i].key[d];

			for (size_t b = 0; b < sizeof(struct ct_key); b++)
				k[b] = (uint8_t)rte_rand();
		}
	}
}

static void entries_teardown(void)
{
	rte_free(entries);
	entries = NULL;
}

static uintptr_t want(uint32_t idx, int dir)
{
	return (uintptr_t)&entries[idx] | (uintptr_t)dir;
}

/* Reference: which keys are in, and under which hash. */
struct model {
	bool in[M][2];
	uint32_t sig[M][2];
};

/* A hash crowding keys into few buckets of a 37-bucket table (its high
 * bits choose the primary); the same key never changes hash while in, and
 * absent keys share tags with present ones (mismatched keys behind a
 * matching tag). */
static uint32_t crowded_sig(void)
{
	/* 0: the tag of an empty slot, which the all-at-once scan must pass over */
	static const uint32_t few[] = {0x11110003, 0x22220003, 0x33330007,
				       0x44440003, 0x11110003, 0};

	return rte_rand() % 4 != 0 ? few[rte_rand() % RTE_DIM(few)] : (uint32_t)rte_rand();
}

static void check_all(const struct ct_hash *h, const struct model *m)
{
	const void *kp[64];
	uint32_t sig[64], who[64];
	uintptr_t data[64];
	uint64_t hits;
	unsigned int n = 0;

	for (uint32_t i = 0; i < M; i++)
		for (int d = 0; d < 2; d++) {
			uintptr_t got = 0;
			/* absent keys are looked up under a hash a present one has */
			uint32_t s = m->in[i][d] ? m->sig[i][d] : m->sig[rte_rand() % M][0];

			ck_assert_msg(ct_hash_lookup(h, &entries[i].key[d], s, &got) == m->in[i][d],
				      "key %u/%d: lookup says %s", i, d,
				      m->in[i][d] ? "absent" : "present");
			if (m->in[i][d])
				ck_assert_uint_eq(got, want(i, d));
			if (n < 64 && rte_rand() % 2 == 0) {
				kp[n] = &entries[i].key[d];
				sig[n] = s;
				who[n++] = i << 1 | (uint32_t)d;
			}
		}
	hits = ct_hash_lookup_bulk(h, kp, sig, n, false, data);
	for (unsigned int j = 0; j < n; j++) {
		uint32_t i = who[j] >> 1;
		int d = who[j] & 1;

		ck_assert_msg(((hits >> j) & 1) == m->in[i][d], "bulk: key %u/%d", i, d);
		if (m->in[i][d])
			ck_assert_uint_eq(data[j], want(i, d));
	}
}

/* @scan_all: the burst lookup's scan (ct_hash_set_scan_all), checked by
 * check_all()'s bulk lookups */
static void random_vs_model(struct rte_rcu_qsbr *qsv, bool scan_all)
{
	struct ct_hash *h = ct_hash_create(M, entries, qsv, SOCKET_ID_ANY);
	struct model m = {0};
	struct ct_hash_info info;
	uint32_t max_ext = 0, shrank_in_use = 0, n_in = 0;

	ck_assert_ptr_nonnull(h);
	ct_hash_set_scan_all(h, scan_all);
	ct_hash_info(h, &info);
	ck_assert_uint_eq(info.buckets, 37); /* 64 * 2 keys half fill 37 buckets */
	for (int op = 0; op < 20000; op++) {
		uint32_t i = (uint32_t)(rte_rand() % M), before;
		int d = (int)(rte_rand() % 2);

		ct_hash_info(h, &info);
		before = info.ext_used;
		/* inserts win while under half full: the chains grow and shrink */
		if (!m.in[i][d] && (n_in < M || rte_rand() % 3 == 0)) {
			m.sig[i][d] = crowded_sig();
			/* the pool holds every key: an add never fails here */
			ck_assert_int_eq(ct_hash_add(h, m.sig[i][d], i, d), 0);
			m.in[i][d] = true;
			n_in++;
		} else if (m.in[i][d]) {
			ck_assert_int_eq(ct_hash_del(h, m.sig[i][d], i, d), 0);
			ck_assert_int_eq(ct_hash_del(h, m.sig[i][d], i, d), -ENOENT);
			m.in[i][d] = false;
			n_in--;
		}
		ct_hash_info(h, &info);
		ck_assert_uint_eq(info.keys, n_in);
		max_ext = RTE_MAX(max_ext, info.ext_used);
		/* a chain lost a bucket while others stayed in use */
		shrank_in_use += info.ext_used < before && info.ext_used > 0;
		if (op % 97 == 0)
			check_all(h, &m);
	}
	check_all(h, &m);
	/* the sequence did reach what it is meant to test */
	ck_assert_uint_ge(max_ext, 3);
	ck_assert_uint_ge(shrank_in_use, 10);
	ct_hash_free(h);
}

START_TEST(random_ops_match_model)
{
	random_vs_model(NULL, true);
}
END_TEST

START_TEST(random_ops_match_model_slot_scan)
{
	random_vs_model(NULL, false);
}
END_TEST

/* A table whose main buckets fit CT_HASH_SCAN_ALL_MAX_BYTES scans all tags
 * at once, a larger one slot by slot. */
START_TEST(scan_follows_table_size)
{
	uint32_t small = CT_HASH_SCAN_ALL_MAX_BYTES / 64 * 7 / 4 - 7, big = small + 1000;
	struct ct_hash *hs = ct_hash_create(small, entries, NULL, SOCKET_ID_ANY);
	struct ct_hash *hb = ct_hash_create(big, entries, NULL, SOCKET_ID_ANY);
	struct ct_hash_info is, ib;

	ck_assert_ptr_nonnull(hs);
	ck_assert_ptr_nonnull(hb);
	ct_hash_info(hs, &is);
	ct_hash_info(hb, &ib);
	ck_assert_uint_le((uint64_t)is.buckets * 64, CT_HASH_SCAN_ALL_MAX_BYTES);
	ck_assert_uint_gt((uint64_t)ib.buckets * 64, CT_HASH_SCAN_ALL_MAX_BYTES);
	ck_assert(hs->scan_all);
	ck_assert(!hb->scan_all);
	ct_hash_free(hs);
	ct_hash_free(hb);
}
END_TEST

START_TEST(random_ops_match_model_rcu)
{
	/* retired extension buckets come back after a grace (no reader here) */
	size_t sz = rte_rcu_qsbr_get_memsize(1);
	struct rte_rcu_qsbr *qsv = rte_zmalloc("cth_qsv", sz, RTE_CACHE_LINE_SIZE);

	ck_assert_ptr_nonnull(qsv);
	ck_assert_int_eq(rte_rcu_qsbr_init(qsv, 1), 0);
	random_vs_model(qsv, false);
	rte_free(qsv);
}
END_TEST

START_TEST(full_pool_refuses_then_recovers)
{
	struct ct_hash *h = ct_hash_create(M, entries, NULL, SOCKET_ID_ANY);
	struct ct_hash_info info;
	uint32_t n = 0, cap;
	uintptr_t got;
	int rc = 0;

	ck_assert_ptr_nonnull(h);
	ct_hash_info(h, &info);
	/* one hash for all: the primary, the secondary, then every extension */
	cap = 14 + 7 * info.ext_buckets;
	for (uint32_t i = 0; i < NE && rc == 0; i++)
		for (int d = 0; d < 2 && rc == 0; d++) {
			rc = ct_hash_add(h, 0xabcd0001, i, d);
			n += rc == 0;
		}
	ck_assert_uint_lt(cap, 2u * NE); /* so that the pool runs out */
	ck_assert_uint_eq(n, cap);
	ck_assert_int_eq(rc, -ENOSPC);
	/* nothing half-done: the refused key is not found, then fits once one leaves */
	ck_assert(!ct_hash_lookup(h, &entries[n / 2].key[n % 2], 0xabcd0001, &got));
	ck_assert_int_eq(ct_hash_del(h, 0xabcd0001, 0, 0), 0);
	ck_assert_int_eq(ct_hash_add(h, 0xabcd0001, n / 2, (int)(n % 2)), 0);
	for (uint32_t k = 1; k <= n; k++) {
		ck_assert(ct_hash_lookup(h, &entries[k / 2].key[k % 2], 0xabcd0001, &got));
		ck_assert_uint_eq(got, want(k / 2, (int)(k % 2)));
	}
	ct_hash_free(h);
}
END_TEST

/* An extension bucket that left its chain is not reused while a reader
 * that may be inside it has not passed a quiescent state: the pool runs
 * dry first (-ENOSPC); the reader's report gives it back. (The two-thread
 * case below cannot reliably catch an early reuse: its window is a few
 * nanoseconds on a loaded machine.) */
START_TEST(left_bucket_waits_for_grace)
{
	size_t sz = rte_rcu_qsbr_get_memsize(1);
	struct rte_rcu_qsbr *qsv = rte_zmalloc("cth_qsv3", sz, RTE_CACHE_LINE_SIZE);
	struct ct_hash_info info;
	struct ct_hash *h;
	uint32_t k, next;
	uintptr_t got;

	ck_assert_ptr_nonnull(qsv);
	ck_assert_int_eq(rte_rcu_qsbr_init(qsv, 1), 0);
	ck_assert_int_eq(rte_rcu_qsbr_thread_register(qsv, 0), 0);
	rte_rcu_qsbr_thread_online(qsv, 0); /* a reader that reports nothing yet */
	h = ct_hash_create(M, entries, qsv, SOCKET_ID_ANY);
	ck_assert_ptr_nonnull(h);
	ct_hash_info(h, &info);
	/* primary, secondary, then bucket A (keys 14-20) and B (21-27) */
	for (k = 0; k < 28; k++)
		ck_assert_int_eq(ct_hash_add(h, 0x77770001, k, 0), 0);
	for (k = 14; k < 21; k++)
		ck_assert_int_eq(ct_hash_del(h, 0x77770001, k, 0), 0);
	ct_hash_info(h, &info);
	ck_assert_uint_eq(info.ext_retired, 1);
	ck_assert_uint_eq(info.ext_used, 1);
	/* fill every other extension bucket: A is not among them */
	for (k = 0, next = 56; k < 7 * (info.ext_buckets - 2); k++, next++)
		ck_assert_int_eq(ct_hash_add(h, 0x77770001, next / 2, (int)(next % 2)), 0);
	ck_assert_int_eq(ct_hash_add(h, 0x77770001, next / 2, (int)(next % 2)), -ENOSPC);
	for (k = 21; k < 28; k++) /* B's keys, behind the bucket that left */
		ck_assert(ct_hash_lookup(h, &entries[k].key[0], 0x77770001, &got));
	rte_rcu_qsbr_quiescent(qsv, 0);
	ck_assert_int_eq(ct_hash_add(h, 0x77770001, next / 2, (int)(next % 2)), 0);
	ct_hash_info(h, &info);
	ck_assert_uint_eq(info.ext_retired, 0);
	ck_assert_uint_eq(info.ext_used, info.ext_buckets);
	rte_rcu_qsbr_thread_offline(qsv, 0);
	ct_hash_free(h);
	rte_free(qsv);
}
END_TEST

/* At the fullest its sizing allows (half of the slots), a table takes all
 * max_conns connections' keys under the real hash, with room to spare in
 * the extension pool: a power of two and bucket counts that are not. */
static void fill_fullest(uint32_t n, uint32_t buckets)
{
	struct ct_entry *many = rte_zmalloc("cth_many", n * sizeof(*many), RTE_CACHE_LINE_SIZE);
	struct ct_hash_info info;
	struct ct_hash *h;
	uintptr_t got;

	ck_assert_ptr_nonnull(many);
	h = ct_hash_create(n, many, NULL, SOCKET_ID_ANY);
	ck_assert_ptr_nonnull(h);
	ct_hash_info(h, &info);
	ck_assert_uint_eq(info.buckets, buckets);
	for (uint32_t i = 0; i < n; i++)
		for (int d = 0; d < 2; d++) {
			struct ct_key *k = &many[i].key[d];

			/* connections as a client network would open them */
			k->src[0] = 10, k->src[2] = (uint8_t)(i >> 8), k->src[3] = (uint8_t)i;
			k->dst[0] = 192, k->dst[3] = (uint8_t)(i % 7);
			k->sport = rte_cpu_to_be_16((uint16_t)(1024 + i * 7));
			k->dport = rte_cpu_to_be_16(443);
			k->proto = IPPROTO_TCP;
			if (d == 1)
				ct_key_invert(k, &many[i].key[0]);
			ck_assert_int_eq(ct_hash_add(h, ct_key_hash(k), i, d), 0);
		}
	ct_hash_info(h, &info);
	ck_assert_uint_eq(info.keys, 2 * n);
	ck_assert_msg(info.ext_used < info.ext_buckets / 3, "%u: %u of %u extension buckets used",
		      n, info.ext_used, info.ext_buckets);
	for (uint32_t i = 0; i < n; i++)
		for (int d = 0; d < 2; d++) {
			ck_assert(
			    ct_hash_lookup(h, &many[i].key[d], ct_key_hash(&many[i].key[d]), &got));
			ck_assert_uint_eq(got, (uintptr_t)&many[i] | (uintptr_t)d);
		}
	ct_hash_free(h);
	rte_free(many);
}

START_TEST(fullest_sizing_fits)
{
	fill_fullest(7168, 4096); /* 2 * n keys / 3.5 = 4096 buckets, half full */
	fill_fullest(5000, 2858);
	fill_fullest(7001, 4001); /* odd */
}
END_TEST

/* The slot of key @idx/@dir: its bucket number, or -1 if in none of the
 * main buckets. */
static int64_t bucket_of(const struct ct_hash *h, uint32_t idx, int dir)
{
	for (uint32_t bk = 0; bk < h->nb; bk++)
		for (unsigned int s = 0; s < CT_HB_SLOTS; s++) {
			uint64_t v = atomic_load_explicit(&h->b[bk].slot[s], memory_order_relaxed);

			if (v != 0 && (((uint32_t)v & ~(uint32_t)CT_HS_VALID) >> 1) == idx &&
			    (int)(v & 1) == dir)
				return bk;
		}
	return -1;
}

/* The primary bucket as ct_hash.h says, computed here on its own: the
 * hash, its halves swapped, times the bucket count / 2^32. */
static uint32_t primary_of(uint32_t sig, uint32_t nb)
{
	uint32_t x = (sig & 0xffff) << 16 | sig >> 16;

	return (uint32_t)(((uint64_t)x * nb) >> 32);
}

/* Keys go to the bucket the hash scales to (primary_of()), in a table of
 * 572 buckets: the first and the last bucket, random hashes; the eighth
 * key of a full primary to another main bucket, found through the
 * spilled bit. */
START_TEST(keys_land_in_their_bucket)
{
	struct ct_hash *h = ct_hash_create(1000, entries, NULL, SOCKET_ID_ANY);
	static const uint32_t edge[] = {0,	 0x10000u,    0xffffffffu,
					0x8000u, 0x80000000u, 0xabcdef12u};
	uint32_t sig[NE], nb;
	uintptr_t got;

	ck_assert_ptr_nonnull(h);
	nb = h->nb;
	ck_assert_uint_eq(nb, 572); /* (1000 * 4 + 6) / 7 */
	for (uint32_t i = 0; i < NE / 2; i++) {
		/* random ones below the last buckets, which the spills below use */
		uint32_t r = (uint32_t)(rte_rand() % 0xf0000000u);

		sig[i] = i < RTE_DIM(edge) ? edge[i] : r << 16 | r >> 16;
		ck_assert_int_eq(ct_hash_add(h, sig[i], i, 0), 0);
	}
	for (uint32_t i = 0; i < NE / 2; i++) {
		int64_t want = primary_of(sig[i], nb);

		/* random hashes may fill a primary: those go elsewhere */
		if (h->spill[want] != 0)
			continue;
		ck_assert_msg(bucket_of(h, i, 0) == want,
			      "hash %#x: bucket %" PRId64 ", not %" PRId64, sig[i],
			      bucket_of(h, i, 0), want);
	}
	ck_assert_int_eq(bucket_of(h, 2, 0), nb - 1); /* 0xffffffff: the last */
	ck_assert_int_eq(bucket_of(h, 0, 0), 0);
	/* eight keys of one hash in the last bucket: seven there, one spilled */
	ck_assert_uint_eq(primary_of(0xfff0ffffu, nb), nb - 1);
	for (uint32_t i = NE / 2; i < NE / 2 + 8; i++)
		ck_assert_int_eq(ct_hash_add(h, 0xfff0ffffu, i, 1), 0);
	for (uint32_t i = NE / 2; i < NE / 2 + 8; i++) {
		int64_t bk = bucket_of(h, i, 1);

		ck_assert(bk >= 0 && bk < nb);
		ck_assert(ct_hash_lookup(h, &entries[i].key[1], 0xfff0ffffu, &got));
		ck_assert_uint_eq(got, want(i, 1));
	}
	/* the last bucket held 0xffffffff's key: six more there, two elsewhere */
	ck_assert_uint_eq(h->spill[nb - 1], 2);
	ct_hash_free(h);
}
END_TEST

/* Whatever the hash, a spilled key goes to another main bucket, never
 * past them (into the extension pool): hashes of the last bucket, whose
 * secondary may be the last too (then the next one, bucket 0). */
START_TEST(spills_stay_in_main_buckets)
{
	struct ct_hash *h = ct_hash_create(1002, entries, NULL, SOCKET_ID_ANY);
	unsigned int wrapped = 0;

	ck_assert_ptr_nonnull(h);
	ck_assert_uint_eq(h->nb, 573); /* odd: bucket nb - 1 has no pair */
	for (uint32_t k = 0; k < 20000; k++) {
		uint32_t r = 0xffffffffu - (uint32_t)(rte_rand() % 7400000u),
			 sig = r << 16 | r >> 16;
		int64_t bk;

		ck_assert_uint_eq(primary_of(sig, h->nb), h->nb - 1);
		for (uint32_t i = 0; i < 8; i++)
			ck_assert_int_eq(ct_hash_add(h, sig, i, 0), 0);
		bk = bucket_of(h, 7, 0);
		ck_assert_msg(bk >= 0 && bk < h->nb - 1, "hash %#x: spilled to %" PRId64, sig, bk);
		wrapped += bk == 0;
		for (uint32_t i = 0; i < 8; i++)
			ck_assert_int_eq(ct_hash_del(h, sig, i, 0), 0);
	}
	ck_assert_uint_gt(wrapped, 0); /* the case did come */
	ct_hash_free(h);
}
END_TEST

/* The burst's inline keying (ct_pkt_init_fast) gives what the general
 * ct_pkt_init() and ct_key_hash() give, on random whole IPv4 and IPv6
 * packets of TCP, UDP, SCTP and GRE, with and without an L4 header, and
 * junk in the flow key's address bytes an IPv4 key must not take. */
START_TEST(fast_key_matches_general)
{
	static const uint8_t protos[] = {IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP, IPPROTO_GRE};
	unsigned int fast = 0;

	for (unsigned int it = 0; it < 20000; it++) {
		bool v6 = rte_rand() % 4 == 0;
		uint16_t zone = (uint16_t)rte_rand();
		struct evs_flow_key key;
		struct rte_mbuf m;
		struct ct_pkt a, b;
		bool ra, rb, is_fast;

		memset(&key, 0, sizeof(key));
		for (unsigned int j = 0; j < 16; j++) {
			key.src_ip[j] = (uint8_t)rte_rand();
			key.dst_ip[j] = (uint8_t)rte_rand();
		}
		key.ethertype = v6 ? RTE_BE16(RTE_ETHER_TYPE_IPV6) : RTE_BE16(RTE_ETHER_TYPE_IPV4);
		key.ip_proto = protos[rte_rand() % RTE_DIM(protos)];
		key.l4_src = (rte_be16_t)rte_rand();
		key.l4_dst = (rte_be16_t)rte_rand();
		memset(&m, 0, sizeof(m));
		m.l2_len = 14 + 4 * (rte_rand() % 2);
		m.l3_len = v6 ? 40 : 20 + 4 * (rte_rand() % 3);
		m.l4_len = rte_rand() % 8 != 0 ? 8 : 0;
		memset(&a, 0xa5, sizeof(a));
		memset(&b, 0x5a, sizeof(b));
		ra = ct_pkt_init_fast(NULL, &a, &m, &key, zone);
		rb = ct_pkt_init(NULL, &b, &m, &key, zone);
		ck_assert(ra == rb);
		if (!ra) {
			ck_assert_uint_eq(a.counter, b.counter);
			continue;
		}
		is_fast = !v6 && m.l4_len != 0 &&
			  (key.ip_proto == IPPROTO_TCP || key.ip_proto == IPPROTO_UDP);
		fast += is_fast;
		ck_assert_mem_eq(&a.ck, &b.ck, sizeof(a.ck));
		ck_assert_uint_eq(a.sig, ct_key_hash(&b.ck));
		/* the ingress prefetch's bucket is the lookup's */
		if (is_fast)
			ck_assert_uint_eq(ct_key4_sig(&key, zone), a.sig);
		ck_assert_uint_eq(a.l4_off, b.l4_off);
		ck_assert_uint_eq(a.kind, b.kind);
		/* counter: only a refusal's (the fast way leaves it) */
		ck_assert_ptr_eq(a.m, b.m);
		ck_assert_ptr_eq(a.key, b.key);
	}
	ck_assert_uint_gt(fast, 5000);
}
END_TEST

/* ct_key4_eq() (three words) says what ct_key_eq() says whenever its
 * second key is an IPv4 one: random IPv4 keys, each byte of the first
 * flipped in turn (in the words it skips only an IPv6 key's bytes can
 * differ), and IPv6 keys sharing the IPv4 key's compared words. */
START_TEST(key4_eq_matches_key_eq)
{
	for (unsigned int it = 0; it < 2000; it++) {
		struct ct_key k, a;

		memset(&k, 0, sizeof(k));
		for (unsigned int j = 0; j < 4; j++) {
			k.src[j] = (uint8_t)rte_rand();
			k.dst[j] = (uint8_t)rte_rand();
		}
		k.sport = (rte_be16_t)rte_rand();
		k.dport = (rte_be16_t)rte_rand();
		k.zone = (uint16_t)rte_rand();
		k.proto = (uint8_t)rte_rand();
		a = k;
		ck_assert(ct_key4_eq(&a, &k) && ct_key_eq(&a, &k));
		for (unsigned int b = 0; b < sizeof(k); b++) {
			a = k;
			((uint8_t *)&a)[b] ^= (uint8_t)(1u << (rte_rand() % 8));
			if ((b >= 4 && b < 16) || (b >= 20 && b < 32)) {
				/* an IPv4 key has zeroes there: only an IPv6 one differs */
				a.v6 = 1;
				ck_assert(!ct_key4_eq(&a, &k));
			} else {
				ck_assert(!ct_key4_eq(&a, &k));
			}
			ck_assert(!ct_key_eq(&a, &k));
		}
	}
}
END_TEST

/* ck_apply_folded() with the delta folded first is ck_apply16() with it
 * whole: random checksums and deltas, and the edges (0, 0xffff, deltas
 * that fold to 0xffff or are 0). */
START_TEST(ck_folded_matches_apply16)
{
	static const uint16_t cks[] = {0, 1, 0xfffe, 0xffff};
	static const uint32_t ds[] = {0, 1, 0xfffe, 0xffff, 0x10000, 0x1fffe, 0x2fffd, 0xfffff};

	for (unsigned int i = 0; i < RTE_DIM(cks); i++)
		for (unsigned int j = 0; j < RTE_DIM(ds); j++) {
			uint32_t d = ds[j], f = d;

			while (f >> 16)
				f = (f & 0xffff) + (f >> 16);
			ck_assert_uint_eq(ck_apply_folded(cks[i], (uint16_t)f),
					  ck_apply16(cks[i], d));
		}
	for (unsigned int it = 0; it < 200000; it++) {
		uint16_t c = (uint16_t)rte_rand();
		uint32_t d = (uint32_t)(rte_rand() % (1u << 20)), f = d;

		while (f >> 16)
			f = (f & 0xffff) + (f >> 16);
		ck_assert_uint_eq(ck_apply_folded(c, (uint16_t)f), ck_apply16(c, d));
	}
}
END_TEST

/* A template's deltas are nat_side()'s sums for a packet to its VIP
 * (notsum16, the new address's sum, ~old port + new port), folded. */
START_TEST(tpl_deltas_are_nat_sides)
{
	for (unsigned int it = 0; it < 20000; it++) {
		uint8_t a[16] = {0}, v[4];
		uint16_t port = rte_rand() % 2 ? 0 : (uint16_t)rte_rand(),
			 vport = (uint16_t)rte_rand();
		struct evs_ct_nat_tpl t;
		uint16_t w0, w1;
		uint32_t d;

		for (unsigned int j = 0; j < 4; j++) {
			a[j] = (uint8_t)rte_rand();
			v[j] = (uint8_t)rte_rand();
		}
		if (it < 16) /* the edges: all-ones and all-zero addresses */
			memset(it % 2 ? a : v, it % 4 < 2 ? 0xff : 0, it < 8 ? 4 : 0);
		evs_ct_nat_tpl_init(&t, a, port, false);
		if (it % 3 != 0)
			evs_ct_nat_tpl_set_vip(&t, v, vport);
		else
			memset(v, 0, 4), vport = 0; /* init's: 0.0.0.0 port 0 */
		/* the words as the frame holds them (wire order, read as is) */
		memcpy(&w0, a, 2);
		memcpy(&w1, a + 2, 2);
		d = (uint32_t)w0 + w1;
		d = (d & 0xffff) + (d >> 16);
		ck_assert_uint_eq(t.addr_sum, d);
		d += notsum16(v, 2);
		ck_assert_uint_eq(ck_apply_folded(0x1234, t.ip_delta), ck_apply16(0x1234, d));
		ck_assert_uint_le(t.ip_delta, 0xffff);
		if (port != 0)
			d += (uint16_t)~rte_cpu_to_be_16(vport) + (uint32_t)rte_cpu_to_be_16(port);
		for (unsigned int c = 0; c < 4; c++) {
			uint16_t ck = (uint16_t)(c == 0 ? 0 : c == 1 ? 0xffff : rte_rand());

			ck_assert_uint_eq(ck_apply_folded(ck, t.l4_delta), ck_apply16(ck, d));
		}
	}
}
END_TEST

START_TEST(bad_create_args)
{
	ck_assert_ptr_null(ct_hash_create(0, entries, NULL, SOCKET_ID_ANY));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(ct_hash_create((1u << 30) + 1, entries, NULL, SOCKET_ID_ANY));
	ck_assert_ptr_null(ct_hash_create(16, NULL, NULL, SOCKET_ID_ANY));
	ct_hash_free(NULL);
}
END_TEST

/*
 * Two threads. Every key has one hash, so all live in one chain: the
 * primary, the secondary, then extension buckets. Each round the writer
 * puts 7 churn keys (one extension bucket) and then 7 round keys (the
 * next bucket) in, says the round is stable, then empties the churn
 * bucket (it leaves the chain) and fills and empties new buckets at the
 * tail, which an early reuse of the bucket that left would be. The reader
 * looks up the 14 base keys and the round's keys; seen stable before and
 * after, every one must be found.
 */
#define SIG 0x5eed0005u
struct race {
	struct ct_hash *h;
	struct rte_rcu_qsbr *qsv;
	_Atomic uint32_t seq; /* odd: round (seq - 1) / 2's keys are in */
	_Atomic bool stop;
	uint32_t round_first[2]; /* by round parity: its first entry */
	_Atomic uint64_t misses, checked;
};

static void *race_reader(void *arg)
{
	struct race *r = arg;
	const void *kp[21];
	uint32_t sig[21];
	uintptr_t data[21];

	rte_rcu_qsbr_thread_register(r->qsv, 0);
	rte_rcu_qsbr_thread_online(r->qsv, 0);
	while (!atomic_load_explicit(&r->stop, memory_order_acquire)) {
		/* acquire: the round's keys were added before seq said so */
		uint32_t s1 = atomic_load_explicit(&r->seq, memory_order_acquire), s2;
		uint32_t first = r->round_first[(s1 >> 1) & 1];
		uint64_t miss = 0, hits;

		for (uint32_t k = 0; k < 21; k++) {
			uint32_t idx = k < 14 ? k : first + k - 14;
			uintptr_t got = 0;

			kp[k] = &entries[idx].key[0];
			sig[k] = SIG;
			if (k < 14 || (s1 & 1))
				miss +=
				    !ct_hash_lookup(r->h, kp[k], SIG, &got) || got != want(idx, 0);
		}
		hits = ct_hash_lookup_bulk(r->h, kp, sig, (s1 & 1) ? 21 : 14, (s1 & 2) != 0, data);
		miss += (unsigned int)__builtin_popcountll(
		    ~hits & (((s1 & 1) ? UINT64_C(1) << 21 : UINT64_C(1) << 14) - 1));
		/* acquire fence: the lookups above happened before this read */
		atomic_thread_fence(memory_order_acquire);
		s2 = atomic_load_explicit(&r->seq, memory_order_relaxed);
		if (s1 == s2 || !(s1 & 1)) {
			/* base keys are always in; the round's were while seq held */
			atomic_fetch_add_explicit(&r->misses, miss, memory_order_relaxed);
			atomic_fetch_add_explicit(&r->checked, 1, memory_order_relaxed);
		}
		rte_rcu_qsbr_quiescent(r->qsv, 0);
	}
	rte_rcu_qsbr_thread_offline(r->qsv, 0);
	rte_rcu_qsbr_thread_unregister(r->qsv, 0);
	return NULL;
}

static void add_retry(struct ct_hash *h, uint32_t idx)
{
	/* -ENOSPC while retired buckets wait for the reader's grace */
	while (ct_hash_add(h, SIG, idx, 0) != 0)
		rte_pause();
}

START_TEST(reader_never_misses_stable_keys)
{
	size_t sz = rte_rcu_qsbr_get_memsize(1);
	struct race r = {0};
	pthread_t th;
	uint32_t k, round;

	r.qsv = rte_zmalloc("cth_qsv2", sz, RTE_CACHE_LINE_SIZE);
	ck_assert_ptr_nonnull(r.qsv);
	ck_assert_int_eq(rte_rcu_qsbr_init(r.qsv, 1), 0);
	r.h = ct_hash_create(M, entries, r.qsv, SOCKET_ID_ANY);
	ck_assert_ptr_nonnull(r.h);
	for (k = 0; k < 14; k++) /* base: the primary and the secondary, full */
		ck_assert_int_eq(ct_hash_add(r.h, SIG, k, 0), 0);
	r.round_first[0] = 14;
	r.round_first[1] = 21;
	ck_assert_int_eq(pthread_create(&th, NULL, race_reader, &r), 0);
	for (round = 0; round < 3000; round++) {
		uint32_t first = r.round_first[round & 1], churn = 28;

		for (k = 0; k < 7; k++) /* the bucket that will leave */
			add_retry(r.h, churn + k);
		for (k = 0; k < 7; k++) /* the round's keys behind it */
			add_retry(r.h, first + k);
		/* release: the reader that sees the odd seq finds the keys */
		atomic_store_explicit(&r.seq, 2 * round + 1, memory_order_release);
		for (k = 0; k < 7; k++)
			ct_hash_del(r.h, SIG, churn + k, 0);
		for (int rep = 0; rep < 4; rep++) {
			for (k = 0; k < 14; k++) /* new tail buckets */
				add_retry(r.h, 35 + k);
			for (k = 0; k < 14; k++)
				ct_hash_del(r.h, SIG, 35 + k, 0);
		}
		atomic_store_explicit(&r.seq, 2 * round + 2, memory_order_relaxed);
		/* release fence: the reader that sees the deletes sees the seq */
		atomic_thread_fence(memory_order_release);
		for (k = 0; k < 7; k++)
			ct_hash_del(r.h, SIG, first + k, 0);
	}
	atomic_store_explicit(&r.stop, true, memory_order_release);
	pthread_join(th, NULL);
	ck_assert_msg(atomic_load(&r.misses) == 0,
		      "%" PRIu64 " stable keys missed in %" PRIu64 " passes",
		      atomic_load(&r.misses), atomic_load(&r.checked));
	ck_assert_uint_gt(atomic_load(&r.checked), 0);
	ct_hash_free(r.h);
	rte_free(r.qsv);
}
END_TEST

static Suite *ct_hash_suite(void)
{
	const struct unit_case cases[] = {
	    {"random_ops_match_model", random_ops_match_model},
	    {"random_ops_match_model_slot_scan", random_ops_match_model_slot_scan},
	    {"scan_follows_table_size", scan_follows_table_size},
	    {"random_ops_match_model_rcu", random_ops_match_model_rcu},
	    {"full_pool_refuses_then_recovers", full_pool_refuses_then_recovers},
	    {"left_bucket_waits_for_grace", left_bucket_waits_for_grace},
	    {"fullest_sizing_fits", fullest_sizing_fits},
	    {"keys_land_in_their_bucket", keys_land_in_their_bucket},
	    {"spills_stay_in_main_buckets", spills_stay_in_main_buckets},
	    {"bad_create_args", bad_create_args},
	    {"fast_key_matches_general", fast_key_matches_general},
	    {"key4_eq_matches_key_eq", key4_eq_matches_key_eq},
	    {"ck_folded_matches_apply16", ck_folded_matches_apply16},
	    {"tpl_deltas_are_nat_sides", tpl_deltas_are_nat_sides},
	    {"reader_never_misses_stable_keys", reader_never_misses_stable_keys},
	};
	Suite *s = suite_create("conntrack_hash");

	unit_add_cases(s, cases, RTE_DIM(cases), entries_setup, entries_teardown, 0);
	return s;
}

int main(void)
{
	int failed;

	if (unit_eal_init("test_conntrack_hash", "cthash", "128") < 0)
		return 1;
	failed = unit_run(ct_hash_suite());
	rte_eal_cleanup();
	return failed ? 1 : 0;
}
