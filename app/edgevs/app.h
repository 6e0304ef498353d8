/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_APP_H
#define EVS_APP_H

/*
 * The edgevs daemon's state. The management lcore (the EAL main lcore) owns
 * everything here; PMD lcores only read the published snapshot (struct
 * dp_snapshot) and write their own struct pmd_ctx counters.
 */

#include <stdbool.h>
#include <stdint.h>
#include <limits.h>
#include <jansson.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>

#include "conf.h"
#include "evs_packet.h"

extern int evs_app_logtype;
#define APP_LOG(level, fmt, ...)                                                            \
	rte_log(RTE_LOG_##level, evs_app_logtype, "edgevs: " fmt "\n", ##__VA_ARGS__)

#define DP_MAX_PMDS 32
#define DP_BURST 32

struct evs_port;
struct evs_l2_conf;
struct evs_l2_macs;
struct evs_l2_lcore;
struct evs_pipeline_lcore;
struct evs_port_txset;
struct evs_ctl;

/* One rx queue polled by a PMD lcore. */
struct dp_rxq {
	struct evs_port *port;
	uint16_t port_idx;
	uint16_t queue;
	uint16_t mtu; /* longer frames (L3 part) are dropped as oversize */
};

struct dp_pmd_conf {
	uint32_t n_rxq;
	const struct dp_rxq *rxq; /* n_rxq entries, inside the snapshot's block */
};

/*
 * Immutable datapath configuration, published by one atomic pointer store
 * and freed after an RCU grace period: a PMD sees either all of a change or
 * none of it. One allocation sized by what is open (ports up to the highest
 * index, rx queues), so a change with 1024 ports copies tens of KB, not MB.
 */
struct dp_snapshot {
	uint64_t gen;
	const struct evs_l2_conf *l2;
	uint16_t n_ports;	 /* ports[] length: highest open index + 1 */
	struct evs_port **ports; /* by port index; NULL: absent */
	struct dp_pmd_conf pmd[DP_MAX_PMDS];
	size_t size; /* bytes of the block (stats) */
};

/* Per-PMD state: written by its PMD lcore only, read by the management lcore. */
struct pmd_ctx {
	unsigned int lcore;
	unsigned int idx;
	struct evs_l2_lcore *l2;
	struct evs_pipeline_lcore *pl;
	struct evs_port_txset *txs; /* tx buffers for any port, used by pmd.c */
	uint64_t rx_pkts;
	uint64_t tx_pkts;
	uint64_t busy_cycles; /* cycles of iterations that moved packets */
	uint64_t idle_cycles;
	uint64_t drops[EVS_DROP_REASON_MAX];
	uint64_t gen_seen; /* last snapshot generation this PMD ran with */
} __rte_cache_aligned;

/* Management view of a live port. */
struct app_port {
	struct evs_port *port;
	char name[CONF_NAME_MAX];
	uint64_t created_tsc;
};

struct evs_app {
	/* desired state */
	json_t *doc;
	struct conf *conf;
	char config_path[PATH_MAX]; /* persisted on apply when set */

	/* runtime */
	struct rte_mempool *pool;
	struct rte_rcu_qsbr *qsbr;
	struct evs_l2_macs *macs;
	struct dp_snapshot *snap; /* published; PMDs load it with acquire */
	struct app_port ports[CONF_MAX_PORTS];
	char switch_names[CONF_MAX_SWITCHES][CONF_NAME_MAX]; /* id -> name, "" = free */
	unsigned int n_pmds;
	struct pmd_ctx *pmds[DP_MAX_PMDS];
	unsigned int pmd_sleep_us;
	uint64_t gen;
	uint32_t macs_gen; /* bumped (release) whenever the MAC table changes */
	uint64_t macs_sig; /* MAC table counters at the last check (mgmt.c) */
	uint32_t flow_max; /* megaflows per PMD */
	uint32_t flow_idle_ms;
	bool emc_disable;
	struct evs_l2_lcore *mgmt_l2; /* the management lcore's own, for flow.trace */
	uint64_t start_tsc;

	struct evs_ctl *ctl;
	char socket_path[CONF_PATH_MAX];
	volatile int stop; /* set by signals, read with __atomic loads */
};

/* apply.c: make @doc the running state; on failure nothing changes. */
int app_apply(struct evs_app *app, json_t *doc, const char *base, struct conf_err *err);
/* Stop all ports and free runtime state (shutdown). */
void app_teardown(struct evs_app *app);
int app_port_index(const struct evs_app *app, const char *name);
int app_switch_id(const struct evs_app *app, const char *name);
int app_persist(struct evs_app *app, const char *path, struct conf_err *err);

/* pmd.c */
int pmd_main(void *arg);
struct pmd_args {
	struct evs_app *app;
	struct pmd_ctx *ctx;
};

/* The MAC table changed (entries added, moved or removed): L2 megaflows
 * must be re-translated before they are trusted again. */
static inline void app_macs_changed(struct evs_app *app)
{
	/* release: the table writes before this are visible to a PMD that
	 * loads the new generation with acquire (pmd.c) */
	__atomic_store_n(&app->macs_gen, app->macs_gen + 1, __ATOMIC_RELEASE);
}

/* mgmt.c */
void mgmt_loop(struct evs_app *app);
struct evs_port_link;
/* Link change callback of every port: logs it. */
void mgmt_on_link(struct evs_port *port, const struct evs_port_link *link, void *arg);

/* ctl_*.c: register the control methods. */
int ctl_register_all(struct evs_app *app);

#endif
