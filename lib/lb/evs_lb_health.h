/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_LB_HEALTH_H
#define EVS_LB_HEALTH_H

/**
 * @file
 * Backend health: the per-backend state machine of active and passive checks.
 *
 * What: a backend is UP or DOWN. Active probes are sent every interval;
 * a probe that does not succeed within timeout is a failure. fall
 * consecutive failures take an UP backend DOWN, rise consecutive successes
 * bring a DOWN one UP. A passive failure signal (from conntrack: a SYN that
 * never got a SYN-ACK, an RST from the backend) counts as a failed check of
 * an UP backend and asks for a probe at once, so a dead backend under load
 * is confirmed without waiting for the next interval.
 *
 * Detection bound: once a backend dies, the probes it fails are sent at
 * most interval apart, so it goes DOWN within
 * interval + (fall - 1) * interval + timeout (<= (fall + 1) * interval);
 * likewise UP within interval + (rise - 1) * interval + the reply time.
 *
 * The machine owns no clock and no socket: the caller passes the time in
 * milliseconds (a fake clock in tests), sends the probe when
 * evs_lb_health_due() says so and reports its outcome. Transitions are
 * returned so the caller can rebuild the Maglev table and notify.
 *
 * Thread-safety: the management lcore only (one caller per backend).
 */

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum evs_lb_health_state {
	EVS_LB_HEALTH_DOWN = 0,
	EVS_LB_HEALTH_UP = 1,
};

/** Limits of the configuration. */
enum {
	EVS_LB_HEALTH_COUNT_MAX = 100,		 /**< rise, fall */
	EVS_LB_HEALTH_INTERVAL_MAX_MS = 3600000, /**< one hour */
};

struct evs_lb_health_config {
	uint32_t interval_ms; /**< between probe sends, 1..EVS_LB_HEALTH_INTERVAL_MAX_MS */
	uint32_t timeout_ms;  /**< a probe's deadline, 1..interval_ms */
	uint16_t rise;	      /**< successes to come UP, 1..EVS_LB_HEALTH_COUNT_MAX */
	uint16_t fall;	      /**< failures to go DOWN, 1..EVS_LB_HEALTH_COUNT_MAX */
	bool start_up;	      /**< initial state: UP (serve at once) or DOWN (wait for rise) */
};

/** Counters of one backend's checks. */
struct evs_lb_health_stats {
	uint64_t probes_sent;
	uint64_t probes_ok;
	uint64_t probes_failed;	 /**< the probe said no (refused, bad status, unreachable) */
	uint64_t probes_timeout; /**< no answer within timeout */
	uint64_t probes_late;	 /**< answers after their timeout, ignored */
	uint64_t passive_failures;
	uint64_t went_up;
	uint64_t went_down;
};

/** One backend's health; fields are the library's, read them through the functions. */
struct evs_lb_health {
	struct evs_lb_health_config cfg;
	struct evs_lb_health_stats stats;
	uint64_t next_probe_ms;
	uint64_t deadline_ms; /**< of the outstanding probe */
	uint64_t changed_ms;  /**< time of the last transition (or init) */
	uint64_t passive_ms;  /**< when a passive signal last counted as a failure */
	uint16_t ok_run;      /**< consecutive successes while DOWN */
	uint16_t fail_run;    /**< consecutive failures while UP */
	uint8_t state;	      /**< enum evs_lb_health_state */
	bool outstanding;     /**< a probe was sent and has no outcome yet */
	bool passive_seen;    /**< passive_ms is set */
};

/** Outcome of a probe. */
enum evs_lb_probe_result {
	EVS_LB_PROBE_OK,
	EVS_LB_PROBE_FAIL,
};

/**
 * Check @cfg and start @h at time @now_ms; the first probe is due at once.
 * @return 0, or -EINVAL if a field is out of range (then @h is unchanged).
 */
int evs_lb_health_init(struct evs_lb_health *h, const struct evs_lb_health_config *cfg,
		       uint64_t now_ms);

/**
 * Change the timing of a running machine at @now_ms; the state and runs
 * are kept (a run already past a lowered threshold trips at the next
 * check), the next probe comes no later than a new interval from now.
 * @return 0 or -EINVAL (then @h is unchanged).
 */
int evs_lb_health_reconfigure(struct evs_lb_health *h, const struct evs_lb_health_config *cfg,
			      uint64_t now_ms);

/**
 * Is a probe due? If so the caller must send one now: the machine marks it
 * outstanding with its deadline and schedules the next. An outstanding
 * probe past its deadline is first counted as a timeout (see
 * evs_lb_health_expire(), whose transition is then in @changed).
 * @param[out] changed  the new state if a timeout made a transition, else -1
 */
bool evs_lb_health_due(struct evs_lb_health *h, uint64_t now_ms, int *changed);

/**
 * Count the outstanding probe as failed if its deadline has passed.
 * @return the new state on a transition, else -1.
 */
int evs_lb_health_expire(struct evs_lb_health *h, uint64_t now_ms);

/**
 * Report the outcome of the outstanding probe. An outcome with no probe
 * outstanding (a late answer after a timeout) is counted and ignored.
 * @return the new state on a transition, else -1.
 */
int evs_lb_health_result(struct evs_lb_health *h, uint64_t now_ms, enum evs_lb_probe_result r);

/**
 * A passive failure signal. If none counted within the last interval, it
 * counts as a failed check of an UP backend and makes a probe due now;
 * otherwise it is only counted in the stats (no probe storm under load).
 * A DOWN backend comes back only by probes.
 * @return the new state on a transition, else -1.
 */
int evs_lb_health_passive_fail(struct evs_lb_health *h, uint64_t now_ms);

/** Milliseconds until something is due (a probe or a deadline), 0 if now. */
uint64_t evs_lb_health_wait_ms(const struct evs_lb_health *h, uint64_t now_ms);

static inline enum evs_lb_health_state evs_lb_health_get(const struct evs_lb_health *h)
{
	return (enum evs_lb_health_state)h->state;
}

/** "up" or "down". */
const char *evs_lb_health_state_name(enum evs_lb_health_state s);

#ifdef __cplusplus
}
#endif

#endif /* EVS_LB_HEALTH_H */
