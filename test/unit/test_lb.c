/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/lb's Maglev tables: the table against a naive
 * reference of the paper's population algorithm (explicit permutation
 * matrix), minimal disruption and weight proportionality on random backend
 * sets, draining, errors, and RCU publication. Health checks are in
 * test_lb_health.c; this file holds the suite's main.
 */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_ether.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>

#include "evs_lb.h"
#include "evs_lb_maglev.h"
#include "lb_test.h"
#include "unit_case.h"
#include "unit_eal.h"

struct rte_mempool *pool; /* mbufs of the module cases (test_lb_module.c) */

/* ---- a naive reference: the paper's Populate() over a full permutation matrix ---- */

/* Backends in key order, as the real build orders them (insertion sort). */
static void ref_sort(struct evs_maglev_backend *b, uint32_t n)
{
	for (uint32_t i = 1; i < n; i++) {
		for (uint32_t j = i; j > 0; j--) {
			struct evs_maglev_backend *x = &b[j - 1], *y = &b[j];
			uint8_t l = x->key_len < y->key_len ? x->key_len : y->key_len;
			int c = memcmp(x->key, y->key, l);
			struct evs_maglev_backend t;

			if (c < 0 || (c == 0 && x->key_len <= y->key_len))
				break;
			t = *x;
			*x = *y;
			*y = t;
		}
	}
}

static void ref_populate(uint32_t *entry, uint32_t M, const struct evs_maglev_backend *in,
			 uint32_t n_in)
{
	struct evs_maglev_backend *b = calloc(n_in + 1, sizeof(*b));
	uint32_t n = 0, max_w = 0, filled = 0;
	uint32_t **perm, *next;
	uint64_t *credit;

	for (uint32_t i = 0; i < n_in; i++)
		if (in[i].weight != 0)
			b[n++] = in[i];
	ref_sort(b, n);
	perm = calloc(n + 1, sizeof(*perm));
	next = calloc(n + 1, sizeof(*next));
	credit = calloc(n + 1, sizeof(*credit));
	for (uint32_t i = 0; i < n; i++) {
		uint32_t offset, skip;

		evs_maglev_permutation(b[i].key, b[i].key_len, M, &offset, &skip);
		perm[i] = malloc(sizeof(uint32_t) * M);
		for (uint64_t j = 0; j < M; j++)
			perm[i][j] = (uint32_t)((offset + j * skip) % M);
		if (b[i].weight > max_w)
			max_w = b[i].weight;
	}
	for (uint32_t s = 0; s < M; s++)
		entry[s] = EVS_MAGLEV_NONE;
	while (n > 0 && filled < M) {
		for (uint32_t i = 0; i < n && filled < M; i++) {
			uint32_t c;

			credit[i] += b[i].weight;
			if (credit[i] < max_w)
				continue;
			credit[i] -= max_w;
			c = perm[i][next[i]];
			while (entry[c] != EVS_MAGLEV_NONE) {
				next[i]++;
				c = perm[i][next[i]];
			}
			entry[c] = b[i].id;
			next[i]++;
			filled++;
		}
	}
	for (uint32_t i = 0; i < n; i++)
		free(perm[i]);
	free(perm);
	free(next);
	free(credit);
	free(b);
}

/* ---- random backend sets ---- */

static void rand_backend(struct evs_maglev_backend *b, uint32_t id, uint32_t max_w)
{
	memset(b, 0, sizeof(*b));
	b->id = id;
	b->weight = max_w == 0 ? 1 : 1 + (uint32_t)rand() % max_w;
	/* an IPv4 or IPv6 address and a port, as lb_conf keys them */
	b->key_len = rand() % 2 ? 6 : 18;
	for (uint8_t i = 0; i < b->key_len; i++)
		b->key[i] = (uint8_t)rand();
	b->key[0] = (uint8_t)id; /* unique keys */
	b->key[1] = (uint8_t)(id >> 8);
}

static struct evs_maglev_backend *rand_set(uint32_t n, uint32_t max_w)
{
	struct evs_maglev_backend *b = calloc(n + 1, sizeof(*b));

	for (uint32_t i = 0; i < n; i++)
		rand_backend(&b[i], 1000 + i, max_w);
	return b;
}

static uint32_t count_id(const uint32_t *e, uint32_t M, uint32_t id)
{
	uint32_t c = 0;

	for (uint32_t s = 0; s < M; s++)
		c += e[s] == id;
	return c;
}

static uint32_t count_diff(const uint32_t *a, const uint32_t *b, uint32_t M)
{
	uint32_t c = 0;

	for (uint32_t s = 0; s < M; s++)
		c += a[s] != b[s];
	return c;
}

static const uint32_t primes[] = {2, 13, 251, 4099, 65537};

/* ---- cases ---- */

START_TEST(test_permutation_covers_every_slot)
{
	srand(1);
	for (int iter = 0; iter < 200; iter++) {
		uint32_t M = primes[1 + iter % (RTE_DIM(primes) - 1)];
		struct evs_maglev_backend b;
		uint32_t offset, skip, c, dup = 0;
		uint8_t *seen = calloc(M, 1);

		rand_backend(&b, (uint32_t)iter, 1);
		evs_maglev_permutation(b.key, b.key_len, M, &offset, &skip);
		ck_assert_uint_lt(offset, M);
		ck_assert_uint_ge(skip, 1);
		ck_assert_uint_lt(skip, M);
		c = offset;
		/* (no ck_assert per slot: each one costs a pipe write in fork mode) */
		for (uint32_t j = 0; j < M; j++) {
			dup += seen[c];
			seen[c] = 1;
			c = (uint32_t)((c + (uint64_t)skip) % M);
		}
		ck_assert_msg(dup == 0, "%u slots visited twice (M %u)", dup, M);
		free(seen);
	}
}
END_TEST

static void check_against_ref(uint32_t max_w, int iters)
{
	for (int iter = 0; iter < iters; iter++) {
		uint32_t M = primes[1 + iter % (RTE_DIM(primes) - 1)];
		uint32_t n = 1 + (uint32_t)rand() % (M < 64 ? M : 64);
		struct evs_maglev_backend *b = rand_set(n, max_w);
		uint32_t *got = malloc(sizeof(uint32_t) * M), *want = malloc(sizeof(uint32_t) * M);

		ck_assert_int_eq(evs_maglev_populate(got, M, b, n), 0);
		ref_populate(want, M, b, n);
		ck_assert_msg(memcmp(got, want, sizeof(uint32_t) * M) == 0,
			      "iter %d M %u n %u: %u slots differ from the reference", iter, M, n,
			      count_diff(got, want, M));
		free(got);
		free(want);
		free(b);
	}
}

START_TEST(test_table_matches_reference)
{
	srand(2);
	check_against_ref(0, 40); /* equal weights: the paper's algorithm as printed */
}
END_TEST

START_TEST(test_weighted_table_matches_reference)
{
	srand(3);
	check_against_ref(100, 40);
}
END_TEST

START_TEST(test_order_independent)
{
	const uint32_t M = 4099;
	uint32_t *a = malloc(sizeof(uint32_t) * M), *c = malloc(sizeof(uint32_t) * M);

	srand(4);
	for (int iter = 0; iter < 20; iter++) {
		uint32_t n = 2 + (uint32_t)rand() % 30;
		struct evs_maglev_backend *b = rand_set(n, 10);

		ck_assert_int_eq(evs_maglev_populate(a, M, b, n), 0);
		for (uint32_t i = n - 1; i > 0; i--) {
			uint32_t j = (uint32_t)rand() % (i + 1);
			struct evs_maglev_backend t = b[i];

			b[i] = b[j];
			b[j] = t;
		}
		ck_assert_int_eq(evs_maglev_populate(c, M, b, n), 0);
		ck_assert_mem_eq(a, c, sizeof(uint32_t) * M);
		free(b);
	}
	free(a);
	free(c);
}
END_TEST

/*
 * Removing (or adding) one of N backends: the entries that must move are
 * the removed backend's, M/N; the paper's Figure 11 shows Maglev moves a
 * little more. Measured here over random sets (printed), bounded at 2x the
 * ideal on average and 3x in the worst case; plain modulo hashing moves
 * about (N-1)/N, which these bounds reject.
 */
START_TEST(test_minimal_disruption)
{
	const uint32_t M = EVS_MAGLEV_SIZE_DEFAULT;
	uint32_t *before = malloc(sizeof(uint32_t) * M), *after = malloc(sizeof(uint32_t) * M);
	double sum_ratio = 0, worst = 0;
	const int iters = 30;

	srand(5);
	for (int iter = 0; iter < iters; iter++) {
		uint32_t n = 5 + (uint32_t)rand() % 96;
		struct evs_maglev_backend *b = rand_set(n, 0);
		uint32_t victim = (uint32_t)rand() % n, own, moved;
		double ratio;

		ck_assert_int_eq(evs_maglev_populate(before, M, b, n), 0);
		own = count_id(before, M, b[victim].id);
		b[victim] = b[n - 1]; /* remove */
		ck_assert_int_eq(evs_maglev_populate(after, M, b, n - 1), 0);
		moved = count_diff(before, after, M);
		ck_assert_uint_ge(moved, own); /* the victim's entries all moved */
		ratio = (double)moved / ((double)M / n);
		sum_ratio += ratio;
		worst = ratio > worst ? ratio : worst;
		ck_assert_msg(ratio < 3.0, "n %u: moved %u entries, %.2fx of M/N", n, moved, ratio);
		free(b);
	}
	printf("maglev disruption (remove 1 of N, M=%u, %d sets): mean %.3fx M/N, worst %.3fx\n", M,
	       iters, sum_ratio / iters, worst);
	ck_assert_msg(sum_ratio / iters < 2.0, "mean disruption %.2fx", sum_ratio / iters);
	free(before);
	free(after);
}
END_TEST

START_TEST(test_weights_proportional)
{
	const uint32_t M = EVS_MAGLEV_SIZE_DEFAULT;
	uint32_t *e = malloc(sizeof(uint32_t) * M);
	double worst = 0;

	srand(6);
	for (int iter = 0; iter < 20; iter++) {
		uint32_t n = 2 + (uint32_t)rand() % 50;
		struct evs_maglev_backend *b = rand_set(n, 100);
		uint64_t sum = 0;

		for (uint32_t i = 0; i < n; i++)
			sum += b[i].weight;
		ck_assert_int_eq(evs_maglev_populate(e, M, b, n), 0);
		for (uint32_t i = 0; i < n; i++) {
			double want = (double)M * b[i].weight / (double)sum;
			double got = count_id(e, M, b[i].id);
			double err = (got - want) / want;

			err = err < 0 ? -err : err;
			worst = err > worst ? err : worst;
			/* within 1% (or 2 entries for tiny shares) */
			ck_assert_msg(err < 0.01 || (got - want < 2 && want - got < 2),
				      "n %u backend %u weight %u: %g entries, want %g", n, i,
				      b[i].weight, got, want);
		}
		free(b);
	}
	printf("maglev weights: worst relative error %.4f\n", worst);
	free(e);
}
END_TEST

START_TEST(test_weight_zero_drains)
{
	const uint32_t M = 4099;
	uint32_t *a = malloc(sizeof(uint32_t) * M), *c = malloc(sizeof(uint32_t) * M);
	struct evs_maglev_backend *b;

	srand(7);
	b = rand_set(10, 5);
	ck_assert_int_eq(evs_maglev_populate(a, M, b, 9), 0); /* without the last */
	b[9].weight = 0;
	ck_assert_int_eq(evs_maglev_populate(c, M, b, 10), 0); /* with it drained */
	ck_assert_mem_eq(a, c, sizeof(uint32_t) * M);
	ck_assert_uint_eq(count_id(c, M, b[9].id), 0);
	for (uint32_t i = 0; i < 10; i++)
		b[i].weight = 0;
	ck_assert_int_eq(evs_maglev_populate(c, M, b, 10), 0);
	ck_assert_uint_eq(count_id(c, M, EVS_MAGLEV_NONE), M);
	free(b);
	free(a);
	free(c);
}
END_TEST

/*
 * A client's successive source ports (what a host's connections to one VIP
 * differ in; Linux connects from odd ones) split evenly between equal
 * backends: the flow hash must spread them, not just tell them apart.
 */
START_TEST(test_flow_hash_spreads_successive_ports)
{
	const uint32_t M = EVS_MAGLEV_SIZE_DEFAULT, N = 4000;
	uint32_t *e = malloc(sizeof(uint32_t) * M);

	srand(8);
	for (uint32_t nb = 2; nb <= 4; nb += 2) {
		struct evs_maglev_backend *b = rand_set(nb, 1);
		uint32_t got[4] = {0};
		struct evs_flow_key k;

		ck_assert_int_eq(evs_maglev_populate(e, M, b, nb), 0);
		memset(&k, 0, sizeof(k));
		k.ethertype = RTE_BE16(RTE_ETHER_TYPE_IPV4);
		k.ip_proto = IPPROTO_TCP;
		memcpy(k.src_ip, (const uint8_t[]){10, 0, 1, 7}, 4);
		memcpy(k.dst_ip, (const uint8_t[]){10, 0, 9, 1}, 4);
		k.l4_dst = RTE_BE16(80);
		for (uint32_t p = 0; p < N; p++) {
			k.l4_src = rte_cpu_to_be_16(
			    (uint16_t)(32769 + 2 * p)); /* Linux connects from odd ports */
			got[e[evs_lb_flow_hash(&k) % M] - 1000]++;
		}
		/* a random split is within ~4 standard deviations of even */
		for (uint32_t i = 0; i < nb; i++)
			ck_assert_msg(got[i] > N / nb * 88 / 100 && got[i] < N / nb * 112 / 100,
				      "%u backends: backend %u got %u of %u", nb, i, got[i], N);
		free(b);
	}
	free(e);
}
END_TEST

START_TEST(test_populate_errors)
{
	uint32_t e[251];
	struct evs_maglev_backend *b = rand_set(20, 3);

	ck_assert_int_eq(evs_maglev_populate(e, 250, b, 3), -EINVAL); /* not prime */
	ck_assert_int_eq(evs_maglev_populate(e, 1, b, 0), -EINVAL);
	ck_assert_int_eq(evs_maglev_populate(e, 16777259, b, 3), -EINVAL); /* prime, too big */
	ck_assert_int_eq(evs_maglev_populate(e, 251, NULL, 3), -EINVAL);
	b[1].key_len = 0;
	ck_assert_int_eq(evs_maglev_populate(e, 251, b, 3), -EINVAL);
	b[1].key_len = EVS_MAGLEV_KEY_MAX + 1;
	ck_assert_int_eq(evs_maglev_populate(e, 251, b, 3), -EINVAL);
	b[1].key_len = 6;
	b[1].id = EVS_MAGLEV_NONE;
	ck_assert_int_eq(evs_maglev_populate(e, 251, b, 3), -EINVAL);
	b[1].id = b[0].id;
	ck_assert_int_eq(evs_maglev_populate(e, 251, b, 3), -EEXIST);
	b[1].id = 7;
	b[1].key_len = b[0].key_len;
	memcpy(b[1].key, b[0].key, b[0].key_len);
	ck_assert_int_eq(evs_maglev_populate(e, 251, b, 3), -EEXIST);
	free(b);
	b = rand_set(20, 3);
	ck_assert_int_eq(evs_maglev_populate(e, 13, b, 14), -E2BIG);
	b[13].weight = 0; /* a drained backend takes no slot */
	ck_assert_int_eq(evs_maglev_populate(e, 13, b, 14), 0);
	ck_assert_int_eq(evs_maglev_populate(e, 251, b, 0), 0);
	ck_assert_uint_eq(count_id(e, 251, EVS_MAGLEV_NONE), 251);
	ck_assert(evs_maglev_is_prime(65537) && evs_maglev_is_prime(2) && !evs_maglev_is_prime(1) &&
		  !evs_maglev_is_prime(65535) && !evs_maglev_is_prime(49));
	free(b);
}
END_TEST

START_TEST(test_create_errors)
{
	struct evs_maglev_config cfg = {.size = 100, .socket_id = SOCKET_ID_ANY};

	errno = 0;
	ck_assert_ptr_null(evs_maglev_create(&cfg));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(evs_maglev_create(NULL));
	ck_assert_int_eq(errno, EINVAL);
	evs_maglev_free(NULL);
}
END_TEST

START_TEST(test_publish_and_lookup)
{
	struct evs_maglev_config cfg = {.size = 0, .socket_id = SOCKET_ID_ANY};
	struct evs_maglev *m = evs_maglev_create(&cfg);
	struct evs_maglev_backend *b;
	uint32_t *want;
	int wrong = 0;

	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->size, EVS_MAGLEV_SIZE_DEFAULT);
	ck_assert_uint_eq(evs_maglev_lookup(m, 12345), EVS_MAGLEV_NONE);
	srand(8);
	b = rand_set(7, 4);
	want = malloc(sizeof(uint32_t) * m->size);
	ck_assert_int_eq(evs_maglev_populate(want, m->size, b, 7), 0);
	ck_assert_int_eq(evs_maglev_update(m, b, 7), 0);
	ck_assert_uint_eq(m->cur->n_active, 7);
	ck_assert_uint_eq(m->cur->gen, 1);
	for (int i = 0; i < 100000; i++) {
		uint32_t h = (uint32_t)rand() ^ ((uint32_t)rand() << 16);
		uint32_t slot = (uint32_t)(((uint64_t)h * m->size) >> 32);

		wrong += evs_maglev_lookup(m, h) != want[slot];
	}
	ck_assert_int_eq(wrong, 0);
	/* a failed update leaves the published table */
	b[1].id = b[0].id;
	ck_assert_int_eq(evs_maglev_update(m, b, 7), -EEXIST);
	ck_assert_uint_eq(m->cur->gen, 1);
	ck_assert_mem_eq(m->cur->entry, want, sizeof(uint32_t) * m->size);
	free(want);
	free(b);
	evs_maglev_free(m);
}
END_TEST

/* Replaced tables wait for every reader's quiescent state. */
START_TEST(test_rcu_grace)
{
	size_t sz = rte_rcu_qsbr_get_memsize(RTE_MAX_LCORE);
	struct rte_rcu_qsbr *q = rte_zmalloc("qsbr", sz, RTE_CACHE_LINE_SIZE);
	struct evs_maglev_config cfg = {.size = 251, .socket_id = SOCKET_ID_ANY, .qsbr = q};
	struct evs_maglev *m;
	struct evs_maglev_backend *b = rand_set(4, 1);

	ck_assert_int_eq(rte_rcu_qsbr_init(q, RTE_MAX_LCORE), 0);
	ck_assert_int_eq(rte_rcu_qsbr_thread_register(q, 3), 0);
	rte_rcu_qsbr_thread_online(q, 3);
	m = evs_maglev_create(&cfg);
	ck_assert_ptr_nonnull(m);
	for (uint32_t i = 0; i < RTE_DIM(m->retired); i++) {
		ck_assert_int_eq(evs_maglev_update(m, b, 4), 0);
		ck_assert_uint_eq(m->n_retired, i + 1); /* reader 3 has not moved on */
	}
	ck_assert_int_eq(evs_maglev_update(m, b, 4), -EBUSY);
	ck_assert_uint_eq(m->cur->gen, RTE_DIM(m->retired));
	rte_rcu_qsbr_quiescent(q, 3);
	ck_assert_uint_eq(evs_maglev_reclaim(m), 0);
	ck_assert_int_eq(evs_maglev_update(m, b, 4), 0);
	ck_assert_uint_eq(m->n_retired, 1);
	rte_rcu_qsbr_thread_offline(q, 3);
	ck_assert_uint_eq(evs_maglev_reclaim(m), 0); /* offline readers hold nothing */
	evs_maglev_free(m);
	rte_rcu_qsbr_thread_unregister(q, 3);
	rte_free(q);
	free(b);
}
END_TEST

/* ---- a reader on another thread while the management side republishes ---- */

struct reader_ctx {
	struct evs_maglev *m;
	struct rte_rcu_qsbr *q;
	volatile bool stop;
	uint64_t reads, torn;
};

/* Table g holds ids g * 1000 + i: a reader that saw an entry of another
 * generation than its table's would be reading freed or half-built memory. */
static void *reader(void *arg)
{
	struct reader_ctx *c = arg;
	uint32_t h = 1;

	rte_rcu_qsbr_thread_register(c->q, 1);
	rte_rcu_qsbr_thread_online(c->q, 1);
	while (!c->stop) {
		const struct evs_maglev_table *t = __atomic_load_n(&c->m->cur, __ATOMIC_ACQUIRE);
		uint64_t gen = t->gen;

		for (int i = 0; i < 64; i++) {
			uint32_t e;

			h = h * 1103515245u + 12345u;
			e = t->entry[(uint32_t)(((uint64_t)h * t->size) >> 32)];
			c->torn += e == EVS_MAGLEV_NONE ? gen != 0 : e / 1000 != gen;
			c->reads++;
		}
		rte_rcu_qsbr_quiescent(c->q, 1);
	}
	rte_rcu_qsbr_thread_offline(c->q, 1);
	rte_rcu_qsbr_thread_unregister(c->q, 1);
	return NULL;
}

START_TEST(test_rcu_concurrent_reader)
{
	size_t sz = rte_rcu_qsbr_get_memsize(RTE_MAX_LCORE);
	struct rte_rcu_qsbr *q = rte_zmalloc("qsbr", sz, RTE_CACHE_LINE_SIZE);
	struct evs_maglev_config cfg = {.size = 4099, .socket_id = SOCKET_ID_ANY, .qsbr = q};
	struct reader_ctx c = {.q = q};
	struct evs_maglev_backend *b = rand_set(16, 3);
	uint32_t busy = 0;
	pthread_t th;

	ck_assert_int_eq(rte_rcu_qsbr_init(q, RTE_MAX_LCORE), 0);
	c.m = evs_maglev_create(&cfg);
	ck_assert_ptr_nonnull(c.m);
	ck_assert_int_eq(pthread_create(&th, NULL, reader, &c), 0);
	for (uint32_t g = 1; g <= 500;) {
		int rc;

		for (uint32_t i = 0; i < 16; i++)
			b[i].id = g * 1000 + i;
		rc = evs_maglev_update(c.m, b, 16);
		if (rc == -EBUSY) { /* the reader has not caught up: let it run */
			busy++;
			sched_yield();
			continue;
		}
		ck_assert_int_eq(rc, 0);
		ck_assert_uint_eq(c.m->cur->gen, g);
		g++;
	}
	c.stop = true;
	pthread_join(th, NULL);
	printf("maglev rcu: %lu reads during 500 republications (%u waits for a grace)\n",
	       (unsigned long)c.reads, busy);
	ck_assert_uint_eq(c.torn, 0);
	ck_assert_uint_gt(c.reads, 0);
	ck_assert_uint_eq(evs_maglev_reclaim(c.m), 0);
	evs_maglev_free(c.m);
	rte_free(q);
	free(b);
}
END_TEST

int main(int argc, char **argv)
{
	Suite *s = suite_create("lb");
	const struct unit_case maglev_cases[] = {
	    {"permutation_covers_every_slot", test_permutation_covers_every_slot},
	    {"table_matches_reference", test_table_matches_reference},
	    {"weighted_table_matches_reference", test_weighted_table_matches_reference},
	    {"order_independent", test_order_independent},
	    {"minimal_disruption", test_minimal_disruption},
	    {"weights_proportional", test_weights_proportional},
	    {"flow_hash_spreads_successive_ports", test_flow_hash_spreads_successive_ports},
	    {"weight_zero_drains", test_weight_zero_drains},
	    {"populate_errors", test_populate_errors},
	    {"create_errors", test_create_errors},
	    {"publish_and_lookup", test_publish_and_lookup},
	    {"rcu_grace", test_rcu_grace},
	    {"rcu_concurrent_reader", test_rcu_concurrent_reader},
	};

	(void)argc;
	if (unit_eal_init(argv[0], "evs_test_lb", "512") < 0)
		return 1;
	pool = rte_pktmbuf_pool_create("lb_pool", 4096, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	if (pool == NULL)
		return 1;
	unit_add_cases(s, maglev_cases, RTE_DIM(maglev_cases), NULL, NULL, 0);
	lb_health_add_cases(s);
	lb_pool_add_cases(s);
	lb_conf_add_cases(s);
	lb_probe_add_cases(s);
	lb_module_add_cases(s);
	lb_next_pass_add_cases(s);
	lb_prefetch_add_cases(s);
	return unit_run(s) == 0 ? 0 : 1;
}
