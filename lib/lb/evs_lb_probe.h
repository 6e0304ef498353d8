/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_LB_PROBE_H
#define EVS_LB_PROBE_H

/**
 * @file
 * Active health probes: TCP connect, HTTP GET with an expected status, ICMP
 * echo, each one non-blocking kernel socket.
 *
 * The management lcore runs them; the sockets are meant to live in a
 * network namespace whose only interface is a tap port of the switch, so
 * probes cross the same datapath as clients (doc/lb.md). A probe is started,
 * then stepped whenever its fd is ready (or on a timer) until it reports
 * OK or FAIL; the health state machine owns the deadline.
 *
 * Thread-safety: one thread per probe.
 */

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum evs_lb_probe_kind {
	EVS_LB_PROBE_TCP,
	EVS_LB_PROBE_HTTP,
	EVS_LB_PROBE_ICMP,
};

/** What evs_lb_probe_step() found. */
enum evs_lb_probe_status {
	EVS_LB_PROBE_PENDING,
	EVS_LB_PROBE_UP,   /**< connected / expected status / echo reply */
	EVS_LB_PROBE_DOWN, /**< refused, reset, other status, unreachable */
};

struct evs_lb_probe_target {
	uint8_t kind; /**< enum evs_lb_probe_kind */
	int af;	      /**< AF_INET or AF_INET6 */
	uint8_t addr[16];
	uint16_t port;	  /**< TCP and HTTP */
	const char *path; /**< HTTP: request path, "/" if NULL */
	uint16_t status;  /**< HTTP: expected status, 200 if 0 */
};

/** One probe in flight; treat as opaque. */
struct evs_lb_probe {
	struct evs_lb_probe_target t;
	int fd;
	uint8_t phase;
	uint16_t echo_seq; /* ICMP: of the request sent */
	uint16_t got;	   /* response bytes buffered */
	char buf[64];
};

/**
 * Open the socket and start the probe.
 * @return 0, or -errno of socket()/connect()/sendto() (-EINVAL for a bad
 *   target); nothing stays open on error.
 */
int evs_lb_probe_start(struct evs_lb_probe *p, const struct evs_lb_probe_target *t);

/** The fd to wait on: POLLOUT while connecting, POLLIN afterwards. */
int evs_lb_probe_fd(const struct evs_lb_probe *p);

/** Wait for POLLOUT (connecting) or POLLIN? */
short evs_lb_probe_events(const struct evs_lb_probe *p);

/** Advance without blocking. UP and DOWN close the socket. */
enum evs_lb_probe_status evs_lb_probe_step(struct evs_lb_probe *p);

/** Abandon a probe (its deadline passed). Safe on a finished probe. */
void evs_lb_probe_cancel(struct evs_lb_probe *p);

#ifdef __cplusplus
}
#endif

#endif /* EVS_LB_PROBE_H */
