/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/lb's backend health state machine with a fake clock:
 * rise and fall, timeouts and late answers, the probe schedule, passive
 * signals, reconfiguration, and the detection bound of evs_lb_health.h on
 * a simulated backend that dies and comes back at random times.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>

#include "evs_lb_health.h"
#include "lb_test.h"
#include "unit_case.h"

static const struct evs_lb_health_config base = {
    .interval_ms = 1000, .timeout_ms = 300, .rise = 2, .fall = 3, .start_up = true};

/* Send the due probe at @now and answer it at once with @r; returns the transition. */
static int probe(struct evs_lb_health *h, uint64_t now, enum evs_lb_probe_result r)
{
	int changed;

	ck_assert_msg(evs_lb_health_due(h, now, &changed), "no probe due at %lu",
		      (unsigned long)now);
	ck_assert_int_eq(changed, -1);
	return evs_lb_health_result(h, now + 1, r);
}

START_TEST(test_init_checks_config)
{
	struct evs_lb_health h, before;
	struct evs_lb_health_config c;
	struct evs_lb_health_config bad[7];

	for (unsigned int i = 0; i < RTE_DIM(bad); i++)
		bad[i] = base;
	bad[0].interval_ms = 0;
	bad[1].interval_ms = EVS_LB_HEALTH_INTERVAL_MAX_MS + 1;
	bad[2].timeout_ms = 0;
	bad[3].timeout_ms = base.interval_ms + 1;
	bad[4].rise = 0;
	bad[5].fall = EVS_LB_HEALTH_COUNT_MAX + 1;
	bad[6].fall = 0;
	memset(&h, 0x5a, sizeof(h));
	before = h;
	for (unsigned int i = 0; i < RTE_DIM(bad); i++) {
		ck_assert_int_eq(evs_lb_health_init(&h, &bad[i], 0), -EINVAL);
		ck_assert_mem_eq(&h, &before, sizeof(h));
	}
	ck_assert_int_eq(evs_lb_health_init(&h, NULL, 0), -EINVAL);
	ck_assert_int_eq(evs_lb_health_init(NULL, &base, 0), -EINVAL);
	c = base;
	c.timeout_ms = c.interval_ms; /* the limit is allowed */
	ck_assert_int_eq(evs_lb_health_init(&h, &c, 0), 0);
	ck_assert_int_eq(evs_lb_health_get(&h), EVS_LB_HEALTH_UP);
	c.start_up = false;
	ck_assert_int_eq(evs_lb_health_init(&h, &c, 0), 0);
	ck_assert_int_eq(evs_lb_health_get(&h), EVS_LB_HEALTH_DOWN);
	ck_assert_str_eq(evs_lb_health_state_name(EVS_LB_HEALTH_DOWN), "down");
	ck_assert_str_eq(evs_lb_health_state_name(EVS_LB_HEALTH_UP), "up");
}
END_TEST

START_TEST(test_fall_takes_down)
{
	struct evs_lb_health h;

	ck_assert_int_eq(evs_lb_health_init(&h, &base, 5000), 0);
	ck_assert_int_eq(probe(&h, 5000, EVS_LB_PROBE_FAIL), -1);
	ck_assert_int_eq(probe(&h, 6000, EVS_LB_PROBE_FAIL), -1);
	ck_assert_int_eq(evs_lb_health_get(&h), EVS_LB_HEALTH_UP);
	ck_assert_int_eq(probe(&h, 7000, EVS_LB_PROBE_FAIL), EVS_LB_HEALTH_DOWN);
	ck_assert_int_eq(evs_lb_health_get(&h), EVS_LB_HEALTH_DOWN);
	ck_assert_uint_eq(h.stats.went_down, 1);
	ck_assert_uint_eq(h.stats.probes_failed, 3);
	ck_assert_uint_eq(h.stats.probes_sent, 3);
	ck_assert_uint_eq(h.changed_ms, 7001);
	/* further failures make no more transitions */
	ck_assert_int_eq(probe(&h, 8000, EVS_LB_PROBE_FAIL), -1);
	ck_assert_uint_eq(h.stats.went_down, 1);
}
END_TEST

START_TEST(test_rise_brings_up)
{
	struct evs_lb_health h;
	struct evs_lb_health_config c = base;

	c.start_up = false;
	ck_assert_int_eq(evs_lb_health_init(&h, &c, 0), 0);
	ck_assert_int_eq(probe(&h, 0, EVS_LB_PROBE_OK), -1);
	ck_assert_int_eq(evs_lb_health_get(&h), EVS_LB_HEALTH_DOWN);
	ck_assert_int_eq(probe(&h, 1000, EVS_LB_PROBE_OK), EVS_LB_HEALTH_UP);
	ck_assert_uint_eq(h.stats.went_up, 1);
	ck_assert_uint_eq(h.stats.probes_ok, 2);
}
END_TEST

START_TEST(test_runs_must_be_consecutive)
{
	struct evs_lb_health h;
	uint64_t t = 0;

	ck_assert_int_eq(evs_lb_health_init(&h, &base, 0), 0);
	for (int round = 0; round < 10; round++) {
		ck_assert_int_eq(probe(&h, t, EVS_LB_PROBE_FAIL), -1);
		ck_assert_int_eq(probe(&h, t + 1000, EVS_LB_PROBE_FAIL), -1);
		ck_assert_int_eq(probe(&h, t + 2000, EVS_LB_PROBE_OK), -1);
		t += 3000;
	}
	ck_assert_int_eq(evs_lb_health_get(&h), EVS_LB_HEALTH_UP);
	ck_assert_int_eq(probe(&h, t, EVS_LB_PROBE_FAIL), -1);
	ck_assert_int_eq(probe(&h, t + 1000, EVS_LB_PROBE_FAIL), -1);
	ck_assert_int_eq(probe(&h, t + 2000, EVS_LB_PROBE_FAIL), EVS_LB_HEALTH_DOWN);
	/* down: OK, FAIL, OK does not reach rise 2 until two in a row */
	t += 3000;
	ck_assert_int_eq(probe(&h, t, EVS_LB_PROBE_OK), -1);
	ck_assert_int_eq(probe(&h, t + 1000, EVS_LB_PROBE_FAIL), -1);
	ck_assert_int_eq(probe(&h, t + 2000, EVS_LB_PROBE_OK), -1);
	ck_assert_int_eq(probe(&h, t + 3000, EVS_LB_PROBE_OK), EVS_LB_HEALTH_UP);
}
END_TEST

START_TEST(test_timeout_is_failure_and_late_answer_ignored)
{
	struct evs_lb_health h;
	int changed;

	ck_assert_int_eq(evs_lb_health_init(&h, &base, 0), 0);
	ck_assert(evs_lb_health_due(&h, 0, &changed));
	ck_assert_int_eq(evs_lb_health_expire(&h, 299), -1);
	ck_assert(h.outstanding);
	ck_assert_uint_eq(evs_lb_health_wait_ms(&h, 100), 200);
	ck_assert_int_eq(evs_lb_health_expire(&h, 300), -1); /* the deadline itself times out */
	ck_assert(!h.outstanding);
	ck_assert_uint_eq(h.stats.probes_timeout, 1);
	ck_assert_uint_eq(h.fail_run, 1);
	ck_assert_int_eq(evs_lb_health_result(&h, 350, EVS_LB_PROBE_OK), -1);
	ck_assert_uint_eq(h.stats.probes_late, 1);
	ck_assert_uint_eq(h.stats.probes_ok, 0);
	ck_assert_uint_eq(h.fail_run, 1);
	/* an answer at the deadline, before anyone expired it: still a timeout */
	ck_assert(evs_lb_health_due(&h, 1000, &changed));
	ck_assert_int_eq(evs_lb_health_result(&h, 1300, EVS_LB_PROBE_OK), -1);
	ck_assert_uint_eq(h.stats.probes_timeout, 2);
	/* the third timeout is noticed by the next due() and reported there */
	ck_assert(evs_lb_health_due(&h, 2000, &changed));
	ck_assert(evs_lb_health_due(&h, 3000, &changed));
	ck_assert_int_eq(changed, EVS_LB_HEALTH_DOWN);
	ck_assert_uint_eq(h.stats.probes_timeout, 3);
	ck_assert_uint_eq(h.stats.probes_sent, 4);
}
END_TEST

START_TEST(test_schedule_keeps_interval)
{
	struct evs_lb_health h;
	int changed;

	ck_assert_int_eq(evs_lb_health_init(&h, &base, 100), 0);
	ck_assert(!evs_lb_health_due(&h, 99, &changed));
	ck_assert(evs_lb_health_due(&h, 100, &changed));
	ck_assert(!evs_lb_health_due(&h, 101, &changed)); /* one outstanding at a time */
	ck_assert_int_eq(evs_lb_health_result(&h, 150, EVS_LB_PROBE_OK), -1);
	ck_assert_uint_eq(evs_lb_health_wait_ms(&h, 150), 950);
	ck_assert(!evs_lb_health_due(&h, 1099, &changed));
	/* polled 250 ms late: the next one is still due at 2100 (no drift) */
	ck_assert(evs_lb_health_due(&h, 1350, &changed));
	ck_assert_int_eq(evs_lb_health_result(&h, 1360, EVS_LB_PROBE_OK), -1);
	ck_assert(!evs_lb_health_due(&h, 2099, &changed));
	ck_assert(evs_lb_health_due(&h, 2100, &changed));
	ck_assert_int_eq(evs_lb_health_result(&h, 2110, EVS_LB_PROBE_OK), -1);
	/* polled 5 intervals late: one probe, then a full interval (no burst) */
	ck_assert(evs_lb_health_due(&h, 8000, &changed));
	ck_assert_int_eq(evs_lb_health_result(&h, 8010, EVS_LB_PROBE_OK), -1);
	ck_assert(!evs_lb_health_due(&h, 8999, &changed));
	ck_assert(evs_lb_health_due(&h, 9000, &changed));
	ck_assert_uint_eq(h.stats.probes_sent, 5);
}
END_TEST

START_TEST(test_passive_fail)
{
	struct evs_lb_health h;
	int changed;

	ck_assert_int_eq(evs_lb_health_init(&h, &base, 0), 0);
	ck_assert_int_eq(probe(&h, 0, EVS_LB_PROBE_OK), -1);
	/* counts, and pulls the next probe to now */
	ck_assert_int_eq(evs_lb_health_passive_fail(&h, 200), -1);
	ck_assert_uint_eq(h.fail_run, 1);
	ck_assert_uint_eq(evs_lb_health_wait_ms(&h, 200), 0);
	/* a storm within the interval counts once and sends no more probes */
	ck_assert(evs_lb_health_due(&h, 200, &changed));
	for (int i = 0; i < 50; i++)
		ck_assert_int_eq(evs_lb_health_passive_fail(&h, 201 + (uint64_t)i), -1);
	ck_assert_uint_eq(h.fail_run, 1);
	ck_assert_uint_eq(h.stats.passive_failures, 51);
	/* the probe vindicates a live backend */
	ck_assert_int_eq(evs_lb_health_result(&h, 260, EVS_LB_PROBE_OK), -1);
	ck_assert_uint_eq(h.fail_run, 0);
	/* passive signals an interval apart take a silent backend down */
	ck_assert_int_eq(evs_lb_health_passive_fail(&h, 1200), -1);
	ck_assert_int_eq(evs_lb_health_expire(&h, 1200), -1);
	ck_assert_int_eq(evs_lb_health_passive_fail(&h, 2200), -1);
	ck_assert_int_eq(evs_lb_health_passive_fail(&h, 3200), EVS_LB_HEALTH_DOWN);
	/* DOWN: passive signals change nothing; probes bring it back */
	ck_assert_int_eq(evs_lb_health_passive_fail(&h, 4200), -1);
	ck_assert_int_eq(evs_lb_health_get(&h), EVS_LB_HEALTH_DOWN);
	ck_assert_uint_eq(h.stats.went_down, 1);
}
END_TEST

START_TEST(test_reconfigure)
{
	struct evs_lb_health h, before;
	struct evs_lb_health_config c = base;

	ck_assert_int_eq(evs_lb_health_init(&h, &base, 0), 0);
	ck_assert_int_eq(probe(&h, 0, EVS_LB_PROBE_FAIL), -1);
	ck_assert_int_eq(probe(&h, 1000, EVS_LB_PROBE_FAIL), -1);
	before = h;
	c.rise = 0;
	ck_assert_int_eq(evs_lb_health_reconfigure(&h, &c, 1500), -EINVAL);
	ck_assert_mem_eq(&h, &before, sizeof(h));
	c = base;
	c.interval_ms = 100;
	c.timeout_ms = 50;
	c.fall = 2; /* the run of 2 already reached it: trips at the next failure */
	ck_assert_int_eq(evs_lb_health_reconfigure(&h, &c, 1500), 0);
	ck_assert_uint_eq(evs_lb_health_wait_ms(&h, 1500), 100);
	ck_assert_int_eq(evs_lb_health_get(&h), EVS_LB_HEALTH_UP);
	ck_assert_int_eq(probe(&h, 1600, EVS_LB_PROBE_FAIL), EVS_LB_HEALTH_DOWN);
	ck_assert_uint_eq(evs_lb_health_wait_ms(&h, 1601), 99);
}
END_TEST

/*
 * A simulated backend that dies and recovers at random times, probed by a
 * management loop polling every ms with random reply times: every
 * transition happens after the change that causes it and within the bound
 * of evs_lb_health.h; no transition happens without a cause.
 */
START_TEST(test_detection_bound_random)
{
	srand(11);
	for (int iter = 0; iter < 300; iter++) {
		struct evs_lb_health_config c = {
		    .interval_ms = 10 + (uint32_t)rand() % 200,
		    .rise = (uint16_t)(1 + rand() % 5),
		    .fall = (uint16_t)(1 + rand() % 5),
		    .start_up = true,
		};
		uint64_t die = 1000 + (uint64_t)rand() % 3000, revive, down_at = 0, up_at = 0;
		uint64_t reply_at = 0, end;
		uint32_t rtt;
		struct evs_lb_health h;
		bool pending = false;
		int bad = 0; /* wrong-direction transitions */

		c.timeout_ms = 1 + (uint32_t)rand() % c.interval_ms;
		rtt = (uint32_t)rand() % c.timeout_ms; /* a live backend answers in time */
		revive = die + 1 + (uint64_t)(c.fall + 2) * c.interval_ms + (uint64_t)rand() % 500;
		end = revive + (uint64_t)(c.rise + 2) * c.interval_ms;
		ck_assert_int_eq(evs_lb_health_init(&h, &c, 0), 0);
		for (uint64_t t = 0; t <= end; t++) {
			bool alive = t < die || t >= revive;
			int changed;

			if (pending && t == reply_at) {
				pending = false;
				changed = evs_lb_health_result(&h, t, EVS_LB_PROBE_OK);
				if (changed == EVS_LB_HEALTH_UP)
					up_at = t;
				bad += changed == EVS_LB_HEALTH_DOWN;
			}
			if (evs_lb_health_due(&h, t, &changed)) {
				/* a probe sent while alive is answered, else lost */
				pending = alive;
				reply_at = t + rtt;
				if (alive && rtt == 0 &&
				    evs_lb_health_result(&h, t, EVS_LB_PROBE_OK) ==
					EVS_LB_HEALTH_UP) {
					pending = false;
					up_at = t;
				} else if (alive && rtt == 0)
					pending = false;
			}
			if (changed == EVS_LB_HEALTH_DOWN)
				down_at = t;
			bad += changed == EVS_LB_HEALTH_UP;
		}
		ck_assert_msg(down_at > die &&
				  down_at <= die + (uint64_t)c.fall * c.interval_ms + c.timeout_ms,
			      "iter %d: died %lu, down %lu (interval %u timeout %u fall %u)", iter,
			      (unsigned long)die, (unsigned long)down_at, c.interval_ms,
			      c.timeout_ms, c.fall);
		ck_assert_msg(
		    up_at >= revive && up_at <= revive + (uint64_t)c.rise * c.interval_ms + rtt,
		    "iter %d: revived %lu, up %lu (interval %u rise %u rtt %u)", iter,
		    (unsigned long)revive, (unsigned long)up_at, c.interval_ms, c.rise, rtt);
		ck_assert_int_eq(bad, 0);
		ck_assert_uint_eq(h.stats.went_down, 1);
		ck_assert_uint_eq(h.stats.went_up, 1);
	}
}
END_TEST

void lb_health_add_cases(Suite *s)
{
	const struct unit_case health_cases[] = {
	    {"health_init_checks_config", test_init_checks_config},
	    {"health_fall_takes_down", test_fall_takes_down},
	    {"health_rise_brings_up", test_rise_brings_up},
	    {"health_runs_must_be_consecutive", test_runs_must_be_consecutive},
	    {"health_timeout_is_failure_and_late_answer_ignored",
	     test_timeout_is_failure_and_late_answer_ignored},
	    {"health_schedule_keeps_interval", test_schedule_keeps_interval},
	    {"health_passive_fail", test_passive_fail},
	    {"health_reconfigure", test_reconfigure},
	    {"health_detection_bound_random", test_detection_bound_random},
	};

	unit_add_cases(s, health_cases, RTE_DIM(health_cases), NULL, NULL, 0);
}
