/* SPDX-License-Identifier: BSD-3-Clause */
/* The per-child environment and port helpers of the port and vhost unit
 * suites (port_test.h). */

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include <evs_net_drivers.h>

#include "port_test.h"

pid_t runner_pid;
struct rte_mempool *mp;
struct rte_rcu_qsbr *qsbr;
unsigned int qsbr_tid;
char tmpdir[128];

static const struct port_test_config *config; /* set before the runner forks */
static char runtime_dir[256];

void port_test_rm_dir(const char *path)
{
	struct dirent *de;
	char p[512];
	DIR *d;

	if (path[0] == '\0')
		return;
	d = opendir(path);
	if (d != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(p, sizeof(p), "%s/%s", path, de->d_name);
			unlink(p);
		}
		closedir(d);
	}
	rmdir(path);
}

/* Runs when a test child exits normally. A failed assertion leaves with
 * _exit(): the runner sweeps what it left. */
static void child_cleanup(void)
{
	port_test_rm_dir(tmpdir);
	port_test_rm_dir(runtime_dir);
}

void port_test_setup(void)
{
	char prefix[64], argv0[64], pool[64], *argv[16];
	int argc = 0;
	size_t sz;

	snprintf(prefix, sizeof(prefix), "%s_ut%d_%d", config->name, (int)runner_pid,
		 (int)getpid());
	snprintf(argv0, sizeof(argv0), "test_%s", config->name);
	argv[argc++] = argv0;
	argv[argc++] = "-l";
	argv[argc++] = (char *)config->lcores;
	argv[argc++] = "--no-huge";
	argv[argc++] = "-m";
	argv[argc++] = (char *)config->mem_mb;
	argv[argc++] = "--no-shconf";
	argv[argc++] = "--file-prefix";
	argv[argc++] = prefix;
	argv[argc++] = "--no-pci";
	argv[argc++] = "--log-level";
	argv[argc++] = "*:warning";
	argv[argc] = NULL;
	ck_assert_int_ge(rte_eal_init(argc, argv), 0);
	snprintf(runtime_dir, sizeof(runtime_dir), "%s", rte_eal_get_runtime_dir());
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/%s-ut-%d-XXXXXX", config->name, (int)runner_pid);
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	atexit(child_cleanup);

	ck_assert_int_eq(evs_net_drivers_register(), 0);
	snprintf(pool, sizeof(pool), "%s_ut", config->name);
	mp = rte_pktmbuf_pool_create(pool, config->nb_mbuf, config->mbuf_cache, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	ck_assert_ptr_nonnull(mp);
	sz = rte_rcu_qsbr_get_memsize(RTE_MAX_LCORE);
	qsbr = rte_zmalloc("port_test_qsbr", sz, RTE_CACHE_LINE_SIZE);
	ck_assert_ptr_nonnull(qsbr);
	ck_assert_int_eq(rte_rcu_qsbr_init(qsbr, RTE_MAX_LCORE), 0);
	qsbr_tid = rte_lcore_id();
	ck_assert_int_eq(rte_rcu_qsbr_thread_register(qsbr, qsbr_tid), 0);
}

void port_test_teardown(void)
{
	/* Every test frees what it allocates: the pool is full again. */
	ck_assert_uint_eq(rte_mempool_in_use_count(mp), 0);
	rte_mempool_free(mp);
	rte_rcu_qsbr_thread_unregister(qsbr, qsbr_tid);
	rte_free(qsbr);
	rte_eal_cleanup();
}

struct evs_port_config ring_cfg(const char *name, const char *devargs)
{
	struct evs_port_config c;

	memset(&c, 0, sizeof(c));
	c.name = name;
	c.type = EVS_PORT_ETHDEV;
	c.devargs = devargs;
	c.mp = mp;
	c.socket_id = SOCKET_ID_ANY;
	return c;
}

struct evs_port *ring_port(const char *name, const char *devargs, uint16_t nb_rxq, uint16_t nb_txq)
{
	struct evs_port_config c = ring_cfg(name, devargs);
	struct evs_port *p;

	c.nb_rxq = nb_rxq;
	c.nb_txq = nb_txq;
	p = evs_port_create(&c);
	ck_assert_msg(p != NULL, "create %s: %s", devargs, evs_port_last_error());
	return p;
}

struct evs_port_config vhost_cfg(const char *name, const char *sock, enum evs_vhost_mode mode)
{
	struct evs_port_config c;

	memset(&c, 0, sizeof(c));
	c.name = name;
	c.type = EVS_PORT_VHOST;
	c.socket_path = sock;
	c.vhost_mode = mode;
	c.mp = mp;
	c.socket_id = SOCKET_ID_ANY;
	c.qsbr = qsbr;
	return c;
}

uint16_t rx_once(struct evs_port *p, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t nb;

	rte_rcu_qsbr_thread_online(qsbr, qsbr_tid);
	nb = evs_port_rx_burst(p, q, pkts, n);
	rte_rcu_qsbr_quiescent(qsbr, qsbr_tid);
	rte_rcu_qsbr_thread_offline(qsbr, qsbr_tid);
	return nb;
}

uint16_t tx_once(struct evs_port *p, uint16_t txu, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t nb;

	rte_rcu_qsbr_thread_online(qsbr, qsbr_tid);
	nb = evs_port_tx_burst(p, txu, pkts, n);
	rte_rcu_qsbr_quiescent(qsbr, qsbr_tid);
	rte_rcu_qsbr_thread_offline(qsbr, qsbr_tid);
	return nb;
}

/* Remove what children that failed (and so skipped their cleanup) left. */
static void sweep(const char *dir, const char *prefix)
{
	char path[512];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, prefix, strlen(prefix)) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		port_test_rm_dir(path);
	}
	closedir(d);
}

int port_test_main(const struct port_test_config *cfg, Suite *s)
{
	SRunner *sr = srunner_create(s);
	char prefix[64];
	int failed;

	config = cfg;
	runner_pid = getpid();
	/* Each test forks: its own EAL, its own peers, clean exit. */
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	snprintf(prefix, sizeof(prefix), "%s-ut-%d-", cfg->name, (int)runner_pid);
	sweep("/tmp", prefix);
	snprintf(prefix, sizeof(prefix), "%s_ut%d_", cfg->name, (int)runner_pid);
	sweep("/var/run/dpdk", prefix);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
