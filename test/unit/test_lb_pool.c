/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/lb's backend pools: random operations (add, weight,
 * remove with drain, probe results, passive signals, time, commits) against
 * a naive model of which backends take new connections, whose published
 * table must equal a fresh population of the model's set; and the drain,
 * health and error cases one by one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>

#include "evs_lb_pool.h"
#include "lb_test.h"
#include "unit_case.h"

static const struct evs_lb_health_config fast = {
    .interval_ms = 1, .timeout_ms = 1, .rise = 1, .fall = 1, .start_up = true};

static struct evs_lb_pool *mk_pool(uint32_t max, evs_lb_pool_state_cb cb, void *arg)
{
	struct evs_lb_pool_config cfg = {
	    .maglev = {.size = 251, .socket_id = SOCKET_ID_ANY},
	    .max_backends = max,
	    .on_state = cb,
	    .cb_arg = arg,
	};
	struct evs_lb_pool *p = evs_lb_pool_create(&cfg);

	ck_assert_ptr_nonnull(p);
	return p;
}

static struct evs_lb_backend_spec mk_spec(uint32_t id, uint32_t weight, bool check)
{
	struct evs_lb_backend_spec s = {.id = id, .weight = weight, .key_len = 6, .check = check};

	s.key[0] = 10;
	s.key[2] = (uint8_t)(id >> 8);
	s.key[3] = (uint8_t)id;
	s.key[5] = 80;
	s.health = fast;
	return s;
}

/* ---- the model ---- */

struct mb {
	struct evs_lb_backend_spec spec;
	bool up, removing, out;
	uint64_t remove_at;
};

struct model {
	struct mb b[64];
	uint32_t n;
	uint64_t transitions;
};

static struct mb *m_find(struct model *m, uint32_t id)
{
	for (uint32_t i = 0; i < m->n; i++)
		if (m->b[i].spec.id == id)
			return &m->b[i];
	return NULL;
}

static bool m_in(const struct mb *b)
{
	return !b->removing && b->spec.weight != 0 && (!b->spec.check || b->up);
}

static uint32_t sent[64], n_sent;

static void collect(void *arg, const struct evs_lb_backend_spec *b)
{
	(void)arg;
	sent[n_sent++] = b->id;
}

static void count_cb(void *arg, uint32_t id, enum evs_lb_health_state s, uint64_t now)
{
	(void)id;
	(void)s;
	(void)now;
	(*(uint64_t *)arg)++;
}

static void check_table(struct evs_lb_pool *p, struct model *m)
{
	struct evs_maglev_backend in[64];
	uint32_t want[251], n = 0;
	const struct evs_maglev *mg = evs_lb_pool_maglev(p);

	for (uint32_t i = 0; i < m->n; i++) {
		struct evs_lb_backend_info info;

		ck_assert_int_eq(evs_lb_pool_get(p, m->b[i].spec.id, &info), 0);
		ck_assert_msg(info.in_table == m_in(&m->b[i]), "backend %u in_table %d, model %d",
			      m->b[i].spec.id, info.in_table, m_in(&m->b[i]));
		if (!m_in(&m->b[i]))
			continue;
		memset(&in[n], 0, sizeof(in[n]));
		in[n].id = m->b[i].spec.id;
		in[n].weight = m->b[i].spec.weight;
		in[n].key_len = m->b[i].spec.key_len;
		memcpy(in[n].key, m->b[i].spec.key, sizeof(in[n].key));
		n++;
	}
	ck_assert_uint_eq(evs_lb_pool_count(p), m->n);
	ck_assert_int_eq(evs_maglev_populate(want, 251, in, n), 0);
	ck_assert_mem_eq(mg->cur->entry, want, sizeof(want));
	ck_assert_uint_eq(mg->cur->n_active, n);
}

START_TEST(test_pool_vs_model)
{
	uint64_t cb_count = 0;
	struct evs_lb_pool *p = mk_pool(40, count_cb, &cb_count);
	struct model m = {.n = 0};
	uint64_t now = 0;
	uint32_t next_id = 1, commits = 0;

	srand(21);
	for (int step = 0; step < 3000; step++) {
		uint32_t op = (uint32_t)rand() % 6;
		struct mb *b;
		int rc;

		now++;
		n_sent = 0;
		evs_lb_pool_tick(p, now, collect, NULL);
		for (uint32_t i = 0; i < m.n;) /* the model's deletions */
			if (m.b[i].out && now >= m.b[i].remove_at)
				m.b[i] = m.b[--m.n];
			else
				i++;
		for (uint32_t i = 0; i < n_sent; i++) {
			struct mb *s = m_find(&m, sent[i]);
			bool ok = rand() % 4 != 0;

			ck_assert_ptr_nonnull(s);
			ck_assert(s->spec.check && !s->removing);
			ck_assert_int_eq(
			    evs_lb_pool_probe_result(p, sent[i], now,
						     ok ? EVS_LB_PROBE_OK : EVS_LB_PROBE_FAIL),
			    0);
			m.transitions += s->up != ok;
			s->up = ok;
		}
		b = m.n != 0 ? &m.b[(uint32_t)rand() % m.n] : NULL; /* after the deletions */
		if (op == 0 || b == NULL) {
			bool dup = b != NULL && rand() % 8 == 0;
			struct evs_lb_backend_spec s =
			    mk_spec(dup ? b->spec.id : next_id, (uint32_t)rand() % 4, rand() % 2);

			s.health.start_up = rand() % 2;
			rc = evs_lb_pool_add(p, &s, now);
			if (dup) {
				ck_assert_int_eq(rc, -EEXIST);
			} else if (m.n == 40) {
				ck_assert_int_eq(rc, -ENOSPC);
			} else {
				ck_assert_int_eq(rc, 0);
				m.b[m.n++] = (struct mb){.spec = s, .up = s.health.start_up};
				next_id++;
			}
		} else if (op == 1) {
			uint32_t w = (uint32_t)rand() % 4;

			rc = evs_lb_pool_set_weight(p, b->spec.id, w);
			ck_assert_int_eq(rc, b->removing ? -EALREADY : 0);
			if (rc == 0)
				b->spec.weight = w;
		} else if (op == 2) {
			uint32_t drain = (uint32_t)rand() % 5;

			rc = evs_lb_pool_remove(p, b->spec.id, drain, now);
			ck_assert_int_eq(rc, b->removing ? -EALREADY : 0);
			if (rc == 0) {
				b->removing = true;
				b->remove_at = now + drain;
			}
		} else if (op == 3) {
			ck_assert_int_eq(evs_lb_pool_passive_fail(p, b->spec.id, now), 0);
			/* fall 1 and at most one signal per ms: an UP checked backend goes down */
			if (b->spec.check && !b->removing && b->up) {
				b->up = false;
				m.transitions++;
			}
		} else if (op == 4) {
			ck_assert_int_eq(evs_lb_pool_commit(p), 0);
			ck_assert(!evs_lb_pool_dirty(p));
			for (uint32_t i = 0; i < m.n; i++)
				m.b[i].out = m.b[i].removing;
			check_table(p, &m);
			commits++;
		}
		ck_assert_uint_eq(cb_count, m.transitions);
		ck_assert_int_eq(evs_lb_pool_get(p, 0xdead, &(struct evs_lb_backend_info){0}),
				 -ENOENT);
	}
	printf("lb pool model: %u commits, %lu transitions, %u backends at the end\n", commits,
	       (unsigned long)m.transitions, m.n);
	ck_assert_uint_gt(commits, 100);
	ck_assert_uint_gt(m.transitions, 100);
	evs_lb_pool_free(p);
}
END_TEST

START_TEST(test_pool_remove_drains)
{
	struct evs_lb_pool *p = mk_pool(4, NULL, NULL);
	struct evs_lb_backend_spec a = mk_spec(1, 1, false), b = mk_spec(2, 1, false);
	struct evs_lb_backend_info info;

	ck_assert_int_eq(evs_lb_pool_add(p, &a, 0), 0);
	ck_assert_int_eq(evs_lb_pool_add(p, &b, 0), 0);
	ck_assert_int_eq(evs_lb_pool_commit(p), 0);
	ck_assert_int_eq(evs_lb_pool_remove(p, 2, 1000, 10), 0);
	ck_assert_int_eq(evs_lb_pool_remove(p, 2, 1000, 10), -EALREADY);
	ck_assert_int_eq(evs_lb_pool_set_weight(p, 2, 5), -EALREADY);
	ck_assert(evs_lb_pool_dirty(p));
	/* past the deadline but not committed: still in the pool (the table names it) */
	ck_assert_uint_eq(evs_lb_pool_tick(p, 2000, NULL, NULL), 0);
	ck_assert_int_eq(evs_lb_pool_commit(p), 0);
	ck_assert_uint_eq(evs_lb_pool_maglev(p)->cur->n_active, 1);
	ck_assert_int_eq(evs_lb_pool_get(p, 2, &info), 0);
	ck_assert(info.removing && !info.in_table);
	ck_assert_uint_eq(info.remove_at_ms, 1010);
	/* a re-add of a draining backend is refused until it is gone */
	ck_assert_int_eq(evs_lb_pool_add(p, &b, 2000), -EEXIST);
	ck_assert_uint_eq(evs_lb_pool_tick(p, 2001, NULL, NULL), 1);
	ck_assert_int_eq(evs_lb_pool_get(p, 2, &info), -ENOENT);
	ck_assert_int_eq(evs_lb_pool_add(p, &b, 2002), 0);
	ck_assert_int_eq(evs_lb_pool_remove(p, 99, 0, 0), -ENOENT);
	evs_lb_pool_free(p);
}
END_TEST

START_TEST(test_pool_health_and_weight)
{
	uint64_t cb_count = 0;
	struct evs_lb_pool *p = mk_pool(4, count_cb, &cb_count);
	struct evs_lb_backend_spec a = mk_spec(1, 1, true), b = mk_spec(2, 1, false);
	struct evs_lb_backend_info info;

	ck_assert_int_eq(evs_lb_pool_add(p, &a, 0), 0);
	ck_assert_int_eq(evs_lb_pool_add(p, &b, 0), 0);
	ck_assert_int_eq(evs_lb_pool_commit(p), 0);
	ck_assert(!evs_lb_pool_dirty(p));
	ck_assert_int_eq(evs_lb_pool_commit(p), 0); /* clean: no rebuild */
	ck_assert_uint_eq(evs_lb_pool_maglev(p)->cur->gen, 1);
	n_sent = 0;
	evs_lb_pool_tick(p, 1, collect, NULL);
	ck_assert_uint_eq(n_sent, 1); /* only the checked backend is probed */
	ck_assert_int_eq(evs_lb_pool_probe_result(p, 1, 1, EVS_LB_PROBE_FAIL), 0);
	ck_assert_uint_eq(cb_count, 1);
	ck_assert(evs_lb_pool_dirty(p));
	ck_assert_int_eq(evs_lb_pool_commit(p), 0);
	ck_assert_uint_eq(evs_lb_pool_maglev(p)->cur->n_active, 1);
	ck_assert_int_eq(evs_lb_pool_get(p, 1, &info), 0);
	ck_assert_int_eq(info.health, EVS_LB_HEALTH_DOWN);
	ck_assert_uint_eq(info.health_stats.went_down, 1);
	/* a weight change of a DOWN backend needs no rebuild */
	ck_assert_int_eq(evs_lb_pool_set_weight(p, 1, 7), 0);
	ck_assert(!evs_lb_pool_dirty(p));
	ck_assert_int_eq(evs_lb_pool_set_weight(p, 2, 0), 0);
	ck_assert(evs_lb_pool_dirty(p));
	ck_assert_int_eq(evs_lb_pool_commit(p), 0);
	ck_assert_uint_eq(evs_maglev_lookup(evs_lb_pool_maglev(p), 12345), EVS_MAGLEV_NONE);
	ck_assert_int_eq(evs_lb_pool_probe_result(p, 2, 2, EVS_LB_PROBE_OK), -ENOENT);
	evs_lb_pool_free(p);
}
END_TEST

START_TEST(test_pool_errors)
{
	struct evs_lb_pool_config cfg = {.maglev = {.size = 251, .socket_id = SOCKET_ID_ANY}};
	struct evs_lb_pool *p;
	struct evs_lb_backend_spec s = mk_spec(1, 1, true);

	errno = 0;
	ck_assert_ptr_null(evs_lb_pool_create(&cfg)); /* max_backends 0 */
	ck_assert_int_eq(errno, EINVAL);
	cfg.max_backends = 2;
	cfg.maglev.size = 250;
	errno = 0;
	ck_assert_ptr_null(evs_lb_pool_create(&cfg));
	ck_assert_int_eq(errno, EINVAL);
	evs_lb_pool_free(NULL);
	p = mk_pool(2, NULL, NULL);
	s.health.rise = 0;
	ck_assert_int_eq(evs_lb_pool_add(p, &s, 0), -EINVAL);
	s = mk_spec(EVS_MAGLEV_NONE, 1, false);
	ck_assert_int_eq(evs_lb_pool_add(p, &s, 0), -EINVAL);
	s = mk_spec(1, 1, false);
	s.key_len = 0;
	ck_assert_int_eq(evs_lb_pool_add(p, &s, 0), -EINVAL);
	s = mk_spec(1, 1, false);
	ck_assert_int_eq(evs_lb_pool_add(p, &s, 0), 0);
	s.id = 2; /* same key */
	ck_assert_int_eq(evs_lb_pool_add(p, &s, 0), -EEXIST);
	s = mk_spec(2, 1, false);
	ck_assert_int_eq(evs_lb_pool_add(p, &s, 0), 0);
	s = mk_spec(3, 1, false);
	ck_assert_int_eq(evs_lb_pool_add(p, &s, 0), -ENOSPC);
	ck_assert_uint_eq(evs_lb_pool_count(p), 2);
	ck_assert_int_eq(evs_lb_pool_set_weight(p, 3, 1), -ENOENT);
	ck_assert_int_eq(evs_lb_pool_passive_fail(p, 3, 0), -ENOENT);
	ck_assert_int_eq(evs_lb_pool_passive_fail(p, 1, 0), 0); /* unchecked: ignored */
	evs_lb_pool_free(p);
}
END_TEST

void lb_pool_add_cases(Suite *s)
{
	const struct unit_case cases[] = {
	    {"pool_vs_model", test_pool_vs_model},
	    {"pool_remove_drains", test_pool_remove_drains},
	    {"pool_health_and_weight", test_pool_health_and_weight},
	    {"pool_errors", test_pool_errors},
	};

	unit_add_cases(s, cases, RTE_DIM(cases), NULL, NULL, 0);
}
