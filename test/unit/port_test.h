/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private harness shared by the port and vhost unit suites (test_port.c,
 * test_vhost.c, port_test_util.c): each case runs in its own Check child
 * with its own EAL (--no-huge --no-shconf: DPDK 22.11 refuses --in-memory
 * with --no-huge), mbuf pool, QSBR variable and temp directory; the runner
 * sweeps what failed children left behind.
 *
 * Everything here runs on the test child's main lcore, registered with the
 * QSBR variable as thread qsbr_tid.
 */
#ifndef EVS_TEST_PORT_TEST_H
#define EVS_TEST_PORT_TEST_H

#include <stdint.h>
#include <sys/types.h>

#include <check.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>

#include <evs_port.h>

struct port_test_config {
	/* "port": EAL file prefix port_ut<runner>_<child>, temp dir
	 * /tmp/port-ut-<runner>-XXXXXX, pool port_ut */
	const char *name;
	const char *lcores; /* EAL -l */
	const char *mem_mb; /* EAL -m */
	unsigned int nb_mbuf;
	unsigned int mbuf_cache;
};

/* The Check runner (names made from it are swept when it ends). */
extern pid_t runner_pid;
/* Per test child, valid between port_test_setup() and port_test_teardown(). */
extern struct rte_mempool *mp;
extern struct rte_rcu_qsbr *qsbr;
extern unsigned int qsbr_tid;
extern char tmpdir[128];

/* Fixture: EAL, net drivers, pool, QSBR and temp dir of one test child; the
 * temp and EAL runtime dirs go when the child exits normally. */
void port_test_setup(void);
/* Fixture: checks the pool is full again (nothing leaked), frees all. */
void port_test_teardown(void);
/* Run @s with each case in its own child (CK_FORK), then sweep the dirs of
 * children that failed before cleaning up. Returns main()'s exit status. */
int port_test_main(const struct port_test_config *cfg, Suite *s);

/* Remove @path and the files in it (not recursive); "" is ignored. */
void port_test_rm_dir(const char *path);

/* An ethdev port config on @devargs with the test pool. */
struct evs_port_config ring_cfg(const char *name, const char *devargs);
/* Create it with these queues (0: 1), or fail the test. */
struct evs_port *ring_port(const char *name, const char *devargs, uint16_t nb_rxq, uint16_t nb_txq);
/* A vhost-user port config on @sock with the test pool and QSBR variable. */
struct evs_port_config vhost_cfg(const char *name, const char *sock, enum evs_vhost_mode mode);

/* One PMD-style iteration: online, burst, quiescent, offline (so that a
 * vhost destroy_device never waits on this thread while it sleeps). */
uint16_t rx_once(struct evs_port *p, uint16_t q, struct rte_mbuf **pkts, uint16_t n);
uint16_t tx_once(struct evs_port *p, uint16_t txu, struct rte_mbuf **pkts, uint16_t n);

/* Tx set cases (test_port_txset.c). */
void port_txset_add_cases(Suite *s);

#endif /* EVS_TEST_PORT_TEST_H */
