/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * edgevs daemon: EAL set-up, config load, PMD lcores, management loop.
 *
 * Usage: edgevs [EAL options] -- [--config FILE] [--socket PATH]
 *               [--state-dir DIR] [--pmd-cores LIST] [--mbufs N] [--pmd-sleep-us US]
 */

#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "app.h"
#include "evs_build_config.h"
#include "evs_ctl.h"
#include "evs_l2.h"
#include "evs_net_drivers.h"
#include "evs_pipeline.h"

RTE_LOG_REGISTER(evs_app_logtype, edgevs, INFO);

static struct evs_app g_app;

static void on_signal(int sig)
{
	/* relaxed is enough: the management loop polls this flag and exits; no
	 * other data is published through it. */
	__atomic_store_n(&g_app.stop, sig, __ATOMIC_RELAXED);
}

static void usage(const char *prog)
{
	printf("Usage: %s [EAL options] -- [options]\n"
	       "  --config FILE      desired-state JSON (default: built-in config/default.json);\n"
	       "                     config.apply persists changes back to FILE\n"
	       "  --socket PATH      control socket (default /run/edgevs/edgevs.sock)\n"
	       "  --socket-mode MODE file mode of the socket, octal (default 0660)\n"
	       "  --socket-group GRP group of the socket (name or number; default: ours);\n"
	       "                     who may call what is the config's \"access\" section\n"
	       "  --ctl-idle-ms MS   close control clients silent this long (default 300000;\n"
	       "                     -1: never); admins are never locked out by idle clients\n"
	       "  --ctl-max-line B   longest request line of a client (default 1 MiB)\n"
	       "  --ctl-max-line-admin B  longest line of an admin, one at a time (256 MiB)\n"
	       "  --state-dir DIR    the only directory config.save may write to\n"
	       "                     (default /var/lib/edgevs; created 0700 when first used)\n"
	       "  --pmd-cores LIST   lcores that poll packets, e.g. 1,2 (default: all workers)\n"
	       "  --mbufs N          mbufs in the packet pool (default 16383)\n"
	       "  --pmd-sleep-us US  sleep this long when a PMD finds no packets (default 0)\n"
	       "  --flow-max N       megaflows per PMD lcore; installs past it are refused and\n"
	       "                     counted (default 262144)\n"
	       "  --flow-idle-ms MS  megaflows idle this long expire (default 10000)\n"
	       "  --no-emc           no exact-match cache in front of the megaflows\n"
	       "  --mac-table N      MAC table entries, learned and static (default 65536)\n"
	       "  --ct-max N         conntrack connections, all preallocated (default 65536)\n"
	       "  --version          print the version\n",
	       prog);
}

/* A whole number in @base within [min, max]: 0 or -EINVAL. */
static int parse_whole(const char *s, int base, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, base);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_cores(const char *s, unsigned int *cores, unsigned int *n)
{
	char *end;

	*n = 0;
	while (*s != '\0') {
		unsigned long c = strtoul(s, &end, 10);

		if (end == s || c >= RTE_MAX_LCORE || *n >= DP_MAX_PMDS)
			return -EINVAL;
		if (!rte_lcore_is_enabled((unsigned int)c) || c == rte_get_main_lcore())
			return -ENODEV;
		cores[(*n)++] = (unsigned int)c;
		s = end;
		if (*s == ',')
			s++;
		else if (*s != '\0')
			return -EINVAL;
	}
	return *n > 0 ? 0 : -EINVAL;
}

static int qsbr_create(struct evs_app *app)
{
	size_t qsz = rte_rcu_qsbr_get_memsize(RTE_MAX_LCORE);

	app->qsbr = rte_zmalloc("evs_qsbr", qsz, RTE_CACHE_LINE_SIZE);
	if (app->qsbr == NULL || rte_rcu_qsbr_init(app->qsbr, RTE_MAX_LCORE) != 0)
		return -ENOMEM;
	return 0;
}

static uint16_t mgmt_no_tx(void *arg, uint16_t port, struct rte_mbuf **pkts, uint16_t n)
{
	(void)arg;
	(void)port;
	(void)pkts;
	(void)n;
	return 0;
}

static int pmds_create(struct evs_app *app, const unsigned int *cores, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct pmd_ctx *p = rte_zmalloc_socket("evs_pmd", sizeof(*p), RTE_CACHE_LINE_SIZE,
						       (int)rte_lcore_to_socket_id(cores[i]));

		if (p == NULL)
			return -ENOMEM;
		p->lcore = cores[i];
		p->idx = i;
		{
			struct evs_pipeline_lcore_config pc = {
				.reg = app->reg,
				.pool = app->pool,
				.punt_ring = app->punt_ring,
				.tx = pmd_tx,
				.tx_arg = p,
				.max_flows = app->flow_max,
				.emc_disable = app->emc_disable,
				.socket_id = (int)rte_lcore_to_socket_id(cores[i]),
			};
			char name[32];

			snprintf(name, sizeof(name), "pmd%u", cores[i]);
			pc.name = name;
			memcpy(pc.mod_args, app->mod_args, sizeof(pc.mod_args));
			p->pl = evs_pipeline_lcore_create(&pc);
			if (p->pl == NULL) {
				rte_free(p);
				return -ENOMEM;
			}
		}
		p->txs = evs_port_txset_create(&(struct evs_port_txset_config){
		    .txu = (uint16_t)i,
		    .nb_ports = CONF_MAX_PORTS,
		    .socket_id = (int)rte_lcore_to_socket_id(cores[i]),
		});
		if (p->txs == NULL)
			return -ENOMEM;
		app->pmds[i] = p;
		if (rte_rcu_qsbr_thread_register(app->qsbr, cores[i]) != 0)
			return -EINVAL;
	}
	app->n_pmds = n;
	{
		/* flow.trace's context: outputs are described, never sent */
		struct evs_pipeline_lcore_config pc = {
			.name = "mgmt",
			.reg = app->reg,
			.pool = app->pool,
			.tx = mgmt_no_tx,
			.max_flows = 1,
			.emc_disable = true,
			.socket_id = (int)rte_socket_id(),
		};

		memcpy(pc.mod_args, app->mod_args, sizeof(pc.mod_args));
		app->mgmt_pl = evs_pipeline_lcore_create(&pc);
	}
	return app->mgmt_pl != NULL ? 0 : -ENOMEM;
}

static void pmds_free(struct evs_app *app)
{
	unsigned int i;

	evs_pipeline_lcore_free(app->mgmt_pl);
	app->mgmt_pl = NULL;
	for (i = 0; i < app->n_pmds; i++) {
		evs_port_txset_free(app->pmds[i]->txs);
		evs_pipeline_lcore_free(app->pmds[i]->pl);
		rte_free(app->pmds[i]);
		app->pmds[i] = NULL;
	}
	app->n_pmds = 0;
}

/*
 * The heap of a control plane that holds a million objects: a bulk apply
 * allocates ~1 GB in small pieces on the ctl parse thread and the
 * management lcore. glibc's defaults grow each heap by 128 KiB (one
 * mprotect or brk each: a fifth of the 1M parse's time) and hand freed
 * tops back to the kernel, so the next apply faults every page in again.
 * Grow in 64 MiB steps (address space only: pages are touched when used)
 * and keep up to 256 MiB of free top.
 */
static void heap_tune(void)
{
	mallopt(M_TOP_PAD, 64 << 20);
	mallopt(M_TRIM_THRESHOLD, 256 << 20);
	mallopt(M_MMAP_THRESHOLD, 32 << 20); /* glibc's dynamic maximum, fixed */
	/* No fastbins: freeing a big block merged every small free chunk at
	 * once (malloc_consolidate), 200 ms inside one step after a request
	 * of a million objects was freed in steps. */
	mallopt(M_MXFAST, 0);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"socket", required_argument, NULL, 's'},
	    {"state-dir", required_argument, NULL, 'S'},
	    {"socket-mode", required_argument, NULL, 'M'},
	    {"socket-group", required_argument, NULL, 'G'},
	    {"ctl-idle-ms", required_argument, NULL, 'T'},
	    {"ct-max", required_argument, NULL, 'X'},
	    {"ctl-max-line", required_argument, NULL, 'L'},
	    {"ctl-max-line-admin", required_argument, NULL, 'A'},
	    {"pmd-cores", required_argument, NULL, 'p'},
	    {"mbufs", required_argument, NULL, 'm'},
	    {"pmd-sleep-us", required_argument, NULL, 'z'},
	    {"flow-max", required_argument, NULL, 'F'},
	    {"flow-idle-ms", required_argument, NULL, 'I'},
	    {"no-emc", no_argument, NULL, 'E'},
	    {"mac-table", required_argument, NULL, 'K'},
	    {"version", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct evs_app *app = &g_app;
	unsigned int cores[DP_MAX_PMDS], n_cores = 0, lc, i;
	unsigned long mbufs = 16383;
	const char *cores_arg = NULL, *sock_group = NULL;
	mode_t sock_mode = 0660;
	int idle_ms = 0;
	size_t max_line = 0, max_line_admin = 0;
	long v;
	struct evs_ctl_err err;
	int ret, opt, rc = 1;
	json_t *doc;

	heap_tune();
	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "edgevs: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	argc -= ret;
	argv += ret;
	argv[0] = (char *)(uintptr_t)"edgevs";
	snprintf(app->socket_path, sizeof(app->socket_path), "/run/edgevs/edgevs.sock");
	snprintf(app->state_dir, sizeof(app->state_dir), "/var/lib/edgevs");
	app->flow_idle_ms = 10000;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			snprintf(app->config_path, sizeof(app->config_path), "%s", optarg);
			break;
		case 's':
			if (strlen(optarg) >= sizeof(app->socket_path)) {
				fprintf(stderr, "edgevs: --socket path too long\n");
				goto out_eal;
			}
			snprintf(app->socket_path, sizeof(app->socket_path), "%s", optarg);
			break;
		case 'S':
			if (optarg[0] == '\0' || strlen(optarg) >= sizeof(app->state_dir)) {
				fprintf(stderr, "edgevs: --state-dir: empty or too long\n");
				goto out_eal;
			}
			snprintf(app->state_dir, sizeof(app->state_dir), "%s", optarg);
			break;
		case 'M':
			if (parse_whole(optarg, 8, 1, 0777, &v) < 0) {
				fprintf(stderr, "edgevs: --socket-mode: octal 1..0777\n");
				goto out_eal;
			}
			sock_mode = (mode_t)v;
			break;
		case 'G':
			sock_group = optarg;
			break;
		case 'T':
			if (parse_whole(optarg, 10, -1, INT32_MAX, &v) < 0 || v == 0) {
				fprintf(stderr, "edgevs: --ctl-idle-ms: -1 or 1..2^31-1\n");
				goto out_eal;
			}
			idle_ms = (int)v;
			break;
		case 'X':
			if (parse_whole(optarg, 10, 64, 1L << 26, &v) < 0) {
				fprintf(stderr, "edgevs: --ct-max: 64..64M connections\n");
				goto out_eal;
			}
			app->ct_max = (uint32_t)v;
			break;
		case 'K':
			if (parse_whole(optarg, 10, 1024, 1L << 24, &v) < 0) {
				fprintf(stderr, "edgevs: --mac-table: 1024..16M entries\n");
				goto out_eal;
			}
			app->mac_capacity = (uint32_t)v;
			break;
		case 'L':
		case 'A':
			if (parse_whole(optarg, 10, 64, 1L << 32, &v) < 0) {
				fprintf(stderr, "edgevs: --ctl-max-line*: 64..4G bytes\n");
				goto out_eal;
			}
			*(opt == 'L' ? &max_line : &max_line_admin) = (size_t)v;
			break;
		case 'p':
			cores_arg = optarg;
			break;
		case 'm':
			mbufs = strtoul(optarg, NULL, 0);
			if (mbufs < 1024 || mbufs > (1UL << 24)) {
				fprintf(stderr, "edgevs: --mbufs must be 1024..16M\n");
				goto out_eal;
			}
			break;
		case 'z':
			app->pmd_sleep_us = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'F':
			app->flow_max = (uint32_t)strtoul(optarg, NULL, 0);
			if (app->flow_max < 16 || app->flow_max > (1u << 24)) {
				fprintf(stderr, "edgevs: --flow-max must be 16..16M\n");
				goto out_eal;
			}
			break;
		case 'I':
			app->flow_idle_ms = (uint32_t)strtoul(optarg, NULL, 0);
			if (app->flow_idle_ms < 10) {
				fprintf(stderr, "edgevs: --flow-idle-ms must be at least 10\n");
				goto out_eal;
			}
			break;
		case 'E':
			app->emc_disable = true;
			break;
		case 'v':
			printf("edgevs %s\n", EVS_VERSION);
			rc = 0;
			goto out_eal;
		case 'h':
			usage(argv[0]);
			rc = 0;
			goto out_eal;
		default:
			usage(argv[0]);
			goto out_eal;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "edgevs: unexpected argument '%s'\n", argv[optind]);
		goto out_eal;
	}

	if (cores_arg != NULL) {
		ret = parse_cores(cores_arg, cores, &n_cores);
		if (ret < 0) {
			fprintf(stderr,
				"edgevs: --pmd-cores '%s': need enabled worker lcores (see EAL -l)\n",
				cores_arg);
			goto out_eal;
		}
	} else {
		RTE_LCORE_FOREACH_WORKER(lc)
		if (n_cores < DP_MAX_PMDS)
			cores[n_cores++] = lc;
	}
	if (n_cores == 0) {
		fprintf(stderr, "edgevs: no PMD lcore: give EAL at least two lcores (-l 0,1)\n");
		goto out_eal;
	}

	app->start_tsc = rte_rdtsc();
	if (evs_net_drivers_register() != 0) {
		APP_LOG(ERR, "registering port backends failed");
		goto out_eal;
	}
	app->pool = rte_pktmbuf_pool_create("evs_mbufs", (unsigned int)mbufs, 256, 0,
					    RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (app->pool == NULL) {
		APP_LOG(ERR, "mbuf pool of %lu: %s", mbufs, rte_strerror(rte_errno));
		goto out_eal;
	}
	if (qsbr_create(app) < 0) {
		APP_LOG(ERR, "RCU set-up failed");
		goto out;
	}
	{
		struct evs_l2_macs_config mc = {
			.name = "evs_macs",
			.capacity = app->mac_capacity ? app->mac_capacity : APP_MAC_CAPACITY,
			.qsbr = app->qsbr,
			.socket_id = (int)rte_socket_id(),
		};
		app_macs_config(app, &mc);
		app->mac_capacity = mc.capacity;
		app->macs = evs_l2_macs_create(&mc);
		if (app->macs == NULL) {
			APP_LOG(ERR, "MAC table: %s", rte_strerror(rte_errno));
			goto out;
		}
	}
	/* each PMD and the management lcore (flow.trace), for ct, fw and lb each */
	app->ct_lcores = 3 * (n_cores + 1);
	if (app_modules_init(app) < 0) {
		APP_LOG(ERR, "module registry set-up failed");
		goto out;
	}
	if (pmds_create(app, cores, n_cores) < 0) {
		APP_LOG(ERR, "PMD set-up failed");
		goto out;
	}
	if (app_store_init(app) < 0 || app_modules_store_add(app) < 0)
		goto out;
	if (app_state_open(app) < 0)
		goto out;
	doc = app_state_load(app);
	if (doc == NULL)
		goto out;
	ret = app_apply_doc(app, doc, "", &err);
	json_decref(doc);
	if (ret < 0) {
		APP_LOG(ERR, "config %s: %s (at %s)",
			app->config_path[0] ? app->config_path : "(built-in)", err.message,
			err.path[0] ? err.path : "/");
		goto out;
	}
	if (app_state_started(app) < 0)
		goto out;
	/* A config without ports or switches commits nothing that publishes:
	 * PMDs always start with a snapshot, an empty one if need be. */
	if (app->snap == NULL && app_publish(app, NULL, NULL) < 0) {
		APP_LOG(ERR, "cannot publish the initial datapath snapshot");
		goto out;
	}
	APP_LOG(INFO, "config %s: %zu ports, %zu switches, %zu static MACs",
		app->config_path[0] ? app->config_path : "(built-in default)",
		evs_store_count(app->store, "port"), evs_store_count(app->store, "switch"),
		evs_store_count(app->store, "mac"));

	{
		struct evs_ctl_config cc = {
		    .path = app->socket_path,
		    .mode = sock_mode,
		    .group = sock_group,
		    .idle_timeout_ms = idle_ms,
		    .max_line = max_line,
		    .max_line_admin = max_line_admin,
		    .api_version = "1.0",
		};
		app->ctl = evs_ctl_create(&cc);
		if (app->ctl == NULL) {
			APP_LOG(ERR, "control socket %s: %s", app->socket_path, strerror(errno));
			goto out;
		}
		if (ctl_register_all(app) < 0 || app_modules_ctl_register(app) < 0 ||
		    mgmt_events_init(app) < 0 ||
		    evs_ctl_set_access(app->ctl, evs_store_section_get(app->store, "access")) < 0)
			goto out;
	}

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);

	for (i = 0; i < app->n_pmds; i++) {
		static struct pmd_args args[DP_MAX_PMDS];

		args[i].app = app;
		args[i].ctx = app->pmds[i];
		ret = rte_eal_remote_launch(pmd_main, &args[i], app->pmds[i]->lcore);
		if (ret != 0) {
			APP_LOG(ERR, "cannot launch PMD on lcore %u", app->pmds[i]->lcore);
			__atomic_store_n(&app->stop, 1, __ATOMIC_RELAXED);
			break;
		}
	}
	if (__atomic_load_n(&app->stop, __ATOMIC_RELAXED) == 0) {
		APP_LOG(INFO, "edgevs %s running: %u PMD lcore(s), control socket %s",
			EVS_VERSION, app->n_pmds, app->socket_path);
		printf("edgevs: ready, control socket %s\n", app->socket_path);
		fflush(stdout);
		mgmt_loop(app);
	}
	APP_LOG(INFO, "stopping");
	rte_eal_mp_wait_lcore();
	rc = 0;
out:
	app_state_close(app); /* answers the calls waiting for a write */
	evs_ctl_free(app->ctl);
	app_teardown(app);
	pmds_free(app);
	evs_l2_macs_free(app->macs);
	app_modules_free(app);
	rte_free(app->qsbr);
	rte_mempool_free(app->pool);
out_eal:
	rte_eal_cleanup();
	return rc;
}
