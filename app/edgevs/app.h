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
#include <rte_ring.h>

#include "conf.h"
#include "evs_overlay.h"
#include "evs_ct_module.h"
#include "evs_ctl.h"
#include "evs_fw_module.h"
#include "evs_l2.h"
#include "evs_l3_module.h"
#include "evs_packet.h"
#include "evs_pipeline.h"
#include "evs_store.h"

extern int evs_app_logtype;
#define APP_LOG(level, fmt, ...)                                                                   \
	rte_log(RTE_LOG_##level, evs_app_logtype, "edgevs: " fmt "\n", ##__VA_ARGS__)

#define DP_MAX_PMDS 32
#define DP_BURST 32
#define APP_MAC_CAPACITY (1u << 16) /* MAC table entries, static and learned */
#define APP_CT_MAX (1u << 16)	   /* conntrack connections (--ct-max) */

#define APP_PUNT_RING 1024 /* packets punted to the management lcore at most */

struct evs_port;
struct evs_port_txset;
struct evs_ctl;
struct evs_ctl_call;

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
	struct evs_pipeline_lcore *pl;
	struct evs_port_txset *txs; /* tx buffers for any port, used by pmd.c */
	uint64_t rx_pkts;
	uint64_t tx_pkts;
	uint64_t busy_cycles; /* cycles of iterations that moved packets */
	uint64_t idle_cycles;
	uint64_t drops[EVS_DROP_REASON_MAX]; /* parse and MTU drops, before the pipeline */
	uint64_t gen_seen;		     /* last snapshot generation this PMD ran with */
	/* the overlay (app_overlay.c): this lcore's crypto engine and counters */
	const struct evs_overlay *ov;
	const struct evs_fw *fw; /* remote tags: GENEVE source tag ids -> key bits */
	struct evs_crypto_engine *ce;
	struct evs_overlay_stats ovs;
	/* this loop's tunnel table, and whether it encrypts some ports (pmd_tx) */
	const struct evs_overlay_dp *odp;
	bool ov_port_policy;
} __rte_cache_aligned;

/* Management view of a port slot (the slot is the datapath's port index). */
struct app_port {
	struct evs_port *port;	  /* the published device; NULL: none */
	char name[CONF_NAME_MAX]; /* "": slot free */
	uint64_t created_tsc;
	json_t *cfg; /* the object the device was opened with */
	/* The open transaction's staging (apply_port.c) */
	struct evs_port *staged; /* new device, published at commit */
	json_t *staged_cfg;
	bool adding;   /* slot taken by a port this transaction adds */
	bool removing; /* the port goes at commit */
	bool closed;   /* device closed early (its successor needs it); reopened on abort */
};

struct evs_store;

struct evs_app {
	/* desired state: ports, switches, static MACs (apply.c binds the hooks) */
	struct evs_store *store;
	char config_path[PATH_MAX]; /* persisted on apply when set */
	uint32_t mac_capacity;	    /* entries of the MAC table */
	/* The open transaction's staging (apply*.c) */
	struct evs_l2_conf *l2_next;
	bool structure_changed; /* switches or ports changed: a new L2 view and snapshot */
	bool ports_hidden;	/* a snapshot without some closed ports is published */
	bool sw_reserved[CONF_MAX_SWITCHES];
	bool sw_removing[CONF_MAX_SWITCHES];
	size_t macs_done;	     /* static MAC deltas prepared so far */
	char state_dir[PATH_MAX];    /* the only directory clients may name files in */
	struct evs_journal *journal; /* config_path and its journal; NULL without --config */
	char *cfg_real;		     /* config_path with its symlink resolved */
	struct evs_secrets *secrets; /* <cfg_real>.secrets: secret fields' values */
	json_t *replay;		     /* journal lines to replay at start (state.c) */
	bool doc_on_disk;	     /* the loaded file is the whole starting state */
	struct app_commit *inflight, **inflight_tail; /* changes not durable yet, in order */
	bool snap_inflight;			      /* a compaction snapshot is queued */
	struct evs_store_doc_build *snap_build;	      /* the next one, built in steps (state.c) */
	uint64_t snap_gen;			      /* ... the generation it holds */
	unsigned int snap_stale;		      /* ... builds a transaction made stale */
	struct app_commit *handler_commit; /* the running handler's change (for "wait") */
	struct app_commit *waiters;	   /* durable, waiting for every PMD to run it */
	bool stopping;			   /* shutting down: no more rollbacks */
	bool close_dirty;		   /* a write failed while stopping */

	/* runtime */
	struct rte_mempool *pool;
	struct rte_rcu_qsbr *qsbr;
	struct evs_l2_macs *macs;
	struct evs_registry *reg; /* the modules (modules.c) */
	struct evs_ct *ct; /* the conntrack table shared by every pipeline lcore */
	uint32_t ct_max;   /* its connection limit (--ct-max) */
	unsigned int ct_lcores; /* its lcore contexts: PMDs + management */
	int mod_ct;
	/* security groups (app_fw.c) */
	int mod_fw;
	struct evs_fw *fw;
	struct evs_fw_store *fw_store;
	struct evs_fw_mod_args fw_args;
	int mod_l2;		  /* index of the L2 module in reg */
	/* routing (app_l3.c) */
	int mod_l3;
	struct evs_l3_set *l3;
	struct evs_l3_binding *l3_bind;
	struct l3_ctl *l3_ctl;
	struct evs_l3_deps_seen *l3_seen;
	struct evs_l3_mgmt *l3_mgmt; /* punted ARP/ND, resolution, ICMP errors */
	struct app_l3_base *l3_base; /* [EVS_L3_MAX_ROUTERS]: counters before each router */
	uint64_t l3_next_tick; /* TSC of the next neighbour tick */
	bool l3_l2_stale;      /* router ports may have changed: L2 decisions too */
	struct evs_overlay *ov; /* overlay objects and SAs (app_overlay.c) */
	const struct evs_overlay_dp *ov_flushed; /* the table whose removed ports were flushed */
	/* load balancing (app_lb.c) */
	int mod_lb;
	struct app_lb *lbx;
	void *mod_args[EVS_MODULES_MAX];
	struct rte_ring *punt_ring; /* PMDs -> management lcore */
	uint32_t mgmt_asleep;	    /* 1 while the management lcore may sleep (mgmt_wake) */
	struct dp_snapshot *snap;   /* published; PMDs load it with acquire */
	struct app_port ports[CONF_MAX_PORTS];
	char switch_names[CONF_MAX_SWITCHES][CONF_NAME_MAX]; /* id -> name, "" = free */
	unsigned int n_pmds;
	struct pmd_ctx *pmds[DP_MAX_PMDS];
	unsigned int pmd_sleep_us;
	uint64_t gen;
	uint32_t flow_max; /* megaflows per PMD */
	uint32_t flow_idle_ms;
	bool emc_disable;
	struct evs_pipeline_lcore *mgmt_pl; /* the management lcore's own, for flow.trace */
	uint64_t start_tsc;

	struct evs_ctl *ctl;
	char socket_path[CONF_PATH_MAX];
	volatile int stop; /* set by signals, read with __atomic loads */
};

/* apply.c: the store with the port, switch and MAC types bound to the
 * datapath (apply hooks); NULL errno set. */
int app_store_init(struct evs_app *app);
/* Make @doc the running state in one transaction; on failure nothing changes. */
int app_apply_doc(struct evs_app *app, const json_t *doc, const char *path,
		  struct evs_ctl_err *err);
/* Stop all ports and free runtime state (shutdown). */
void app_teardown(struct evs_app *app);
/* Slot of the port named @name (published or staged), or -1. */
int app_port_index(const struct evs_app *app, const char *name);
int app_switch_id(const struct evs_app *app, const char *name);
/* Return once every PMD went through a quiescent state (runs the latest state). */
int app_wait_pmds(struct evs_app *app);
/* Publish a snapshot of the current ports with @l2; the old one is freed after the grace period. */
int app_publish(struct evs_app *app, const struct evs_l2_conf *l2, const bool *hide);

/* apply_port.c, apply_l2.c: the apply hooks. */
extern const struct evs_store_ops app_port_ops, app_switch_ops, app_mac_ops;
/* The port type (schema in ctl_port.c). */
extern const struct evs_obj_type app_port_type;
void app_ports_commit(struct evs_app *app);
/* Runtime state for port.get/list (ctl_port.c) and switch.get/list (ctl_switch.c). */
json_t *app_port_status(struct evs_store *st, struct evs_store_obj *o, void *ctx);
json_t *app_switch_status(struct evs_store *st, struct evs_store_obj *o, void *ctx);
void app_ports_abort(struct evs_app *app);
struct evs_port_config;
/* Device settings of port object @v (defaults filled). */
void app_port_config(const struct evs_app *app, const json_t *v, struct evs_port_config *pc);

/* state.c: the --config file and the state directory. */
struct evs_journal;
struct app_commit;
/* Open the --config file's writer (nothing when there is no --config). */
int app_state_open(struct evs_app *app);
void app_state_close(struct evs_app *app);
/* The document to start with: the --config file (or its last good copy when
 * it is damaged, said loudly), or the built-in default. NULL after logging. */
json_t *app_state_load(struct evs_app *app);
/* The initial document is running: replay the journal on it and start a
 * fresh journal. 0, or -errno after logging (refuse to start). */
int app_state_started(struct evs_app *app);
/*
 * Make the change just applied by @call's handler durable before it is
 * acknowledged: the call is deferred and the running document handed to the
 * --config file's writer; the handler still answers as usual (the answer is
 * held). Written: the answer goes out. Not written: the running state is
 * rolled back to the last durable document and the call (and every change
 * queued behind it) fails with -32003. Returns 0 (also without --config:
 * nothing to do), or -errno after rolling back and answering @call.
 */
int app_commit(struct evs_app *app, struct evs_ctl_call *call);
/* "wait": answer @call once every PMD runs generation @gen (or with an
 * error after APP_WAIT_MS), without blocking the management lcore. */
int app_state_wait(struct evs_app *app, uint64_t gen, struct evs_ctl_call *call);
#define APP_WAIT_MS 2000
/* Replies are held for PMDs: poll without sleeping (the journal wakes the loop). */
bool app_state_busy(const struct evs_app *app);
/* config.save without a path: rewrite the --config file from the running
 * state (a compaction), answering @call once it is on disk. As app_commit(). */
int app_state_save(struct evs_app *app, struct evs_ctl_call *call);
/* The running document's "access" section becomes the socket's policy. */
void app_access_sync(struct evs_app *app);
/* Management loop: completions of finished writes. */
void app_state_poll(struct evs_app *app);
/* Write the running document to @name (a plain file name) in the state
 * directory; never follows a symlink. 0 or -errno with @msg filled. */
int app_state_save_as(struct evs_app *app, const char *name, char *msg, size_t msglen);
/* The store's document as the file holds it (indented, final newline), malloc'd. */
char *app_store_dump(struct evs_app *app, size_t *len);
/* @doc as the file holds it (indented, final newline), malloc'd. */
char *app_doc_dump(const json_t *doc, size_t *len);

/* pmd.c */
int pmd_main(void *arg);
struct pmd_args {
	struct evs_app *app;
	struct pmd_ctx *ctx;
};
/* The pipeline's output function: into the PMD's tx set (@arg: its pmd_ctx). */
uint16_t pmd_tx(void *arg, uint16_t port, struct rte_mbuf **pkts, uint16_t n);

/* modules.c: the module list and what the app publishes to it */
struct app_states {
	struct evs_l2_state l2;
	struct evs_ct_mod_state ct;
	struct evs_fw_mod_state fw;
	struct evs_l3_state l3;
	struct evs_pipeline_state pst;
};
int app_modules_init(struct evs_app *app);
/* Modules' ct.*-like methods and object types (after the store and the socket exist). */
int app_modules_store_add(struct evs_app *app);
int app_modules_ctl_register(struct evs_app *app);
void app_modules_free(struct evs_app *app);
/* Hooks the MAC table's changes to L2's dependencies. */
void app_macs_config(struct evs_app *app, struct evs_l2_macs_config *mc);
/* The state each module reads, from snapshot @s. */
void app_states_fill(const struct evs_app *app, const struct dp_snapshot *s, struct app_states *st);
/* @cur replaced @old and no PMD sees @old any more: dependencies of what changed. */
void app_snapshot_published(struct evs_app *app, const struct dp_snapshot *old,
			    const struct dp_snapshot *cur);

/* app_l3.c: routing's set, store types, control methods and management work */
int app_l3_init(struct evs_app *app);
int app_l3_store_bind(struct evs_app *app);
int app_l3_ctl_register(struct evs_app *app);
void app_l3_fill(const struct evs_app *app, struct app_states *st);
void app_l3_poll(struct evs_app *app);
void app_l3_free(struct evs_app *app);
void app_l3_binding_free(struct evs_app *app);

/* app_overlay.c: the overlay's types, sa.rekey/sa.stats, SA retirement */
/* PMD side: tunnel ports' output (encap + encrypt, out the underlay) and
 * an underlay's input (decrypt + decap) parsed with the tunnel ports as
 * in_port. */
uint16_t app_overlay_tx(struct pmd_ctx *ctx, uint16_t port, struct rte_mbuf **pkts, uint16_t n);
/** Output to a port encrypted by policy: clear tunnel frames refused (counted). */
uint16_t app_overlay_tx_guarded(struct pmd_ctx *ctx, uint16_t port, struct rte_mbuf **pkts,
				uint16_t n);
uint16_t app_overlay_rx(struct pmd_ctx *ctx, const struct evs_overlay_dp *dp, uint16_t port,
			struct rte_mbuf **pkts, uint16_t n, struct evs_flow_key *keys);
void app_overlay_pmd_start(struct evs_app *app, struct pmd_ctx *ctx);
/* A tunnel port (>= EVS_L2_TUNNEL_BASE) for flow.dump/trace: its VTEP, VNI, SA. */
const char *app_overlay_port_name(const struct evs_app *app, uint16_t port);
/* flow.trace from an underlay port: decrypt/decap steps into @p steps, then
 * @p m is the inner frame and @p key its key (0); 1: ARP/ND; -errno: dropped */
int app_overlay_trace(struct evs_app *app, uint16_t port, struct rte_mbuf *m,
		      struct evs_flow_key *key, json_t *steps);
/* After a transaction's snapshot is published: forget MACs of removed tunnel
 * ports and static remote MACs no longer configured. */
void app_overlay_commit(struct evs_app *app);
/* In the transaction-wide prepare / abort: the staged tunnel table's static
 * remote MACs into L2's table (0 or -errno with @p err), and back out. */
int app_overlay_macs_prepare(struct evs_app *app, struct evs_ctl_err *err);
void app_overlay_macs_abort(struct evs_app *app);
void app_overlay_pmd_stop(struct pmd_ctx *ctx);
int app_overlay_init(struct evs_app *app);
int app_overlay_store_add(struct evs_app *app);
int app_overlay_ctl_register(struct evs_app *app);
void app_overlay_poll(struct evs_app *app);
/* A port's link changed (mgmt_on_link): an underlay's link up re-announces
 * its addresses. */
void app_overlay_link(struct evs_app *app, const struct evs_port *port, bool up);
void app_overlay_free(struct evs_app *app);
/* app_fw.c: the firewall, its store types and what it publishes */
int app_fw_init(struct evs_app *app);
int app_fw_store_bind(struct evs_app *app);
void app_fw_fill(const struct evs_app *app, struct app_states *st);
void app_fw_free(struct evs_app *app);
/* app_lb.c: load balancing's types, published tables, prober, events and methods */
int app_lb_init(struct evs_app *app);
int app_lb_store_add(struct evs_app *app);
int app_lb_ctl_register(struct evs_app *app);
const void *app_lb_state(const struct evs_app *app);
void app_lb_poll(struct evs_app *app);
void app_lb_free(struct evs_app *app);

/* mgmt.c */
void mgmt_loop(struct evs_app *app);

/*
 * PMD, after a burst that may have punted: wake the management lcore if it
 * sleeps with punts waiting (evs_ctl_wake: one write() per sleep, never per
 * packet), so the first packet to a new neighbour does not wait out its
 * poll timeout. The fence orders the punt's enqueue before the asleep load,
 * as mgmt_sleep_ms orders its asleep store before its ring check: one of
 * the two sees the other (store-load on both sides).
 */
static inline void mgmt_wake(struct evs_app *app)
{
	if (rte_ring_empty(app->punt_ring))
		return;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	/* relaxed: the flag only decides who writes the eventfd, no data rides on it */
	if (__atomic_load_n(&app->mgmt_asleep, __ATOMIC_RELAXED) != 0 &&
	    __atomic_exchange_n(&app->mgmt_asleep, 0, __ATOMIC_RELAXED) != 0)
		evs_ctl_wake(app->ctl);
}
struct evs_port_link;
/* Declare the event topics the daemon publishes (port.link, config.change,
 * counter.threshold). */
int mgmt_events_init(struct evs_app *app);
/* Link change callback of every port: logs it and publishes "port.link". */
void mgmt_on_link(struct evs_port *port, const struct evs_port_link *link, void *arg);

/* ctl_watch.c: check counter watches (once a second; management loop). */
void watch_poll(struct evs_app *app);

/* ctl_*.c: register the control methods. */
int ctl_register_all(struct evs_app *app);

#endif
