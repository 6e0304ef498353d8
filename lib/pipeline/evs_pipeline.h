/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_PIPELINE_H
#define EVS_PIPELINE_H

/**
 * @file
 * The engine: module registry, slow-path translation, action programs and
 * their executor, recirculation, punt path, dependency-based revalidation.
 *
 * What: a PMD lcore hands each parsed burst to evs_pipeline_run(). Modules'
 * ingress hooks run per packet (stateful: learning); keys are classified
 * (EMC, then megaflows); a miss runs the modules' stages in order
 * (translation) and installs a megaflow whose mask holds what the stages
 * consulted and whose program is a list of opcodes with arguments, plus the
 * generations of the tables the decisions read. A run of packets that share a
 * megaflow executes its program together, one vector call per opcode.
 * `recirculate` re-parses a packet (keeping metadata, with recirc_id set) and
 * classifies it again, at most EVS_RECIRC_MAX_DEPTH times.
 *
 * Invalidation: a module bumps the generation of one of its tables (a
 * dependency) on the management lcore. Each PMD notices the registry's epoch
 * change and walks its megaflows in budgeted steps (evs_pipeline_service),
 * re-translating only those whose recorded generations moved; a hit on a
 * stale megaflow before the walk reaches it re-translates it on the spot.
 *
 * Thread-safety: the registry is created and changed (dependency bumps) by
 * the management lcore and read by every lcore. struct evs_pipeline_lcore
 * belongs to one lcore: evs_pipeline_run/service/trace run there; other
 * lcores may read its counters and use its classifier's any-lcore calls.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_ring.h>

#include "evs_classifier.h"
#include "evs_module.h"
#include "evs_packet.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EVS_MODULES_MAX 16     /**< modules in one registry */
#define EVS_RECIRC_MAX_DEPTH 4 /**< recirculations of one packet */
#define EVS_XLATE_MAX_HOPS 8   /**< logical datapath changes in one translation */
#define EVS_PROG_MAX 256       /**< bytes of a program (header, dependencies, opcodes) */
#define EVS_PROG_MAX_DEPS 16   /**< tables one program may depend on (room permitting) */
#define EVS_DROPS_MAX 128      /**< drop reasons over engine and modules */

/* ------------------------------------------------------------------ */
/* Registry                                                            */
/* ------------------------------------------------------------------ */

struct evs_registry;

/**
 * Number the modules' opcodes, drop reasons and dependencies and allocate
 * the dependency generations (management lcore, at start-up).
 * @return the registry, or NULL with errno set: EINVAL (NULL, more than
 *   EVS_MODULES_MAX modules, a module without name, duplicate names, opcode
 *   without executor or arg_size above EVS_OP_ARG_MAX, too many drop
 *   reasons), ENOMEM.
 */
struct evs_registry *evs_registry_create(const struct evs_module *const *mods, unsigned int n);

/** Free a registry (no lcore uses it). NULL is ok. */
void evs_registry_free(struct evs_registry *reg);

/** Modules, in list order. */
unsigned int evs_registry_n_modules(const struct evs_registry *reg);
const struct evs_module *evs_registry_module(const struct evs_registry *reg, unsigned int i);
/** Index of the module named @p name, or -ENOENT. */
int evs_registry_module_index(const struct evs_registry *reg, const char *name);

/** Drop reasons: global ids 0..n-1; 0 is the engine's "none". */
unsigned int evs_registry_n_drops(const struct evs_registry *reg);
const char *evs_registry_drop_name(const struct evs_registry *reg, unsigned int id);
/** Owner (module name, "engine") of a drop reason. */
const char *evs_registry_drop_owner(const struct evs_registry *reg, unsigned int id);

/**
 * A table of module @p mod changed (management lcore): decisions that read
 * it are re-translated. Release order: the table's writes before the call are
 * visible to a translation that sees the new generation.
 * @return 0, -EINVAL (out of range).
 */
int evs_registry_dep_bump(struct evs_registry *reg, unsigned int mod, uint32_t dep);

/** Every table of module @p mod changed (e.g. a snapshot that cannot be diffed). */
int evs_registry_dep_bump_all(struct evs_registry *reg, unsigned int mod);

/** Number of dependency bumps so far (any lcore). */
uint64_t evs_registry_epoch(const struct evs_registry *reg);

/* ------------------------------------------------------------------ */
/* State, traces, text                                                 */
/* ------------------------------------------------------------------ */

/** Published state the stages and executors read, by module index. */
struct evs_pipeline_state {
	const void *mod[EVS_MODULES_MAX];
};

/** One stage's part of a trace. */
struct evs_trace_step {
	uint8_t pass;	    /**< 0, then 1.. after each recirculation */
	const char *module; /**< module name */
	const char *stage;  /**< stage name, or "goto" for a logical datapath change */
	char decision[120];
	struct evs_flow_mask consulted; /**< fields this step consulted */
};

/** One classification pass of a traced packet. */
struct evs_trace_pass {
	struct evs_flow_key key;   /**< as classified */
	struct evs_flow_mask mask; /**< the megaflow's mask */
	char actions[256];	   /**< the program as text */
	char result[160];	   /**< what executing it did: "output port=2", ... */
};

#define EVS_TRACE_MAX_STEPS 32

/** What a trace recorded. */
struct evs_trace {
	unsigned int n;
	struct evs_trace_step steps[EVS_TRACE_MAX_STEPS];
	unsigned int n_passes;
	struct evs_trace_pass passes[EVS_RECIRC_MAX_DEPTH + 1];
};

/** Names ports in formatted programs (optional). */
typedef const char *(*evs_port_name_fn)(uint16_t port, void *arg);

/**
 * Write a program (as stored in a megaflow) as text, e.g.
 * "set_vlan(tci=0x1064), output(port=p2)".
 * @return the length snprintf() would have written.
 */
int evs_prog_format(const struct evs_registry *reg, const void *prog, size_t prog_len, char *buf,
		    size_t len, evs_port_name_fn port_name, void *arg);

/** Write the fields a mask consults, with their values in @p key, as text. */
int evs_flow_format(const struct evs_flow_key *key, const struct evs_flow_mask *mask, char *buf,
		    size_t len);

/* ------------------------------------------------------------------ */
/* Per-lcore context                                                   */
/* ------------------------------------------------------------------ */

/** Sends @p n packets out of @p port; @return how many it took (the rest are dropped). */
typedef uint16_t (*evs_pipeline_tx_fn)(void *arg, uint16_t port, struct rte_mbuf **pkts,
				       uint16_t n);

/** Parameters of evs_pipeline_lcore_create(). */
struct evs_pipeline_lcore_config {
	const char *name;
	const struct evs_registry *reg;
	void *mod_args[EVS_MODULES_MAX]; /**< passed to each module's lcore_create */
	struct rte_mempool *pool;	 /**< copies (flood, replication) */
	struct rte_ring *punt_ring;	 /**< to the management lcore; NULL: punts dropped */
	uint32_t inject_size;  /**< slots of the inject ring (power of 2); 0: EVS_INJECT_RING */
	evs_pipeline_tx_fn tx; /**< output (required) */
	void *tx_arg;
	uint32_t max_flows;   /**< megaflow cap; 0: classifier default */
	uint32_t emc_entries; /**< 0: default; see evs_cls_config */
	bool emc_disable;
	bool no_cache; /**< translate every packet afresh (a reference for tests) */
	int socket_id;
};

struct evs_pipeline_lcore;

/**
 * Create an lcore's context: its classifier and every module's context.
 * @return it, or NULL with errno set (EINVAL, ENOMEM, or a module's error).
 */
struct evs_pipeline_lcore *evs_pipeline_lcore_create(const struct evs_pipeline_lcore_config *cfg);

/** Free it (its lcore stopped). NULL is ok. */
void evs_pipeline_lcore_free(struct evs_pipeline_lcore *pl);

/** The lcore's classifier (dumps, stats and requests from other lcores). */
struct evs_cls *evs_pipeline_lcore_cls(struct evs_pipeline_lcore *pl);

/** The lcore's context for module @p mod (NULL if out of range). */
void *evs_pipeline_lcore_module(const struct evs_pipeline_lcore *pl, unsigned int mod);

/**
 * Forward a parsed burst (the owner lcore). Every mbuf is sent through the
 * tx function, punted, or freed and counted.
 * @return the number of packets handed to tx (copies included).
 */
uint16_t evs_pipeline_run(struct evs_pipeline_lcore *pl, const struct evs_pipeline_state *st,
			  struct rte_mbuf **pkts, struct evs_flow_key *keys, uint16_t n);

/**
 * Periodic work of the owner lcore (once per loop): carries out requests
 * from other lcores, walks a budget of megaflows when dependencies changed,
 * finishes table resizes, and every millisecond (or a tenth of
 * @p idle_cycles if shorter) expires megaflows idle for more than
 * @p idle_cycles.
 */
void evs_pipeline_service(struct evs_pipeline_lcore *pl, const struct evs_pipeline_state *st,
			  uint64_t now, uint64_t idle_cycles);

/**
 * Translate @p key only (no packet; any lcore with its own context).
 * @param mask  out: every field consulted
 * @param prog  out: the program, EVS_PROG_MAX bytes
 * @param trace optional
 * @return the program's length in bytes, or -EINVAL.
 */
int evs_pipeline_xlate(struct evs_pipeline_lcore *pl, const struct evs_pipeline_state *st,
		       const struct evs_flow_key *key, struct evs_flow_mask *mask, void *prog,
		       struct evs_trace *trace);

/**
 * Trace a packet through every pass (flow.trace): translate, execute on
 * @p m with outputs and punts recorded instead of sent, follow
 * recirculations. No ingress hook runs and no megaflow is installed.
 * Consumes @p m. @return 0, -EINVAL.
 */
int evs_pipeline_trace(struct evs_pipeline_lcore *pl, const struct evs_pipeline_state *st,
		       struct rte_mbuf *m, const struct evs_flow_key *key, struct evs_trace *trace);

/** Engine counters of one lcore. */
struct evs_pipeline_stats {
	uint64_t packets;	/**< packets run through the pipeline (each pass) */
	uint64_t upcalls;	/**< slow path runs for misses */
	uint64_t upcall_cycles; /**< TSC cycles spent in them */
	uint64_t revalidated;	/**< stale megaflows re-translated (on hit or walk) */
	uint64_t replaced;	/**< ... whose mask changed (removed) */
	uint64_t uncached;	/**< packets run without a megaflow (install refused) */
	uint64_t expired;	/**< idle megaflows removed */
	uint64_t recirculated;	/**< packets classified again */
	uint64_t punted;	/**< packets queued to the management lcore */
	uint64_t walks;		/**< revalidation walks completed */
	uint64_t injected;	/**< packets taken from the inject ring */
};

/** Read the engine counters (any lcore; relaxed reads). */
void evs_pipeline_stats_get(const struct evs_pipeline_lcore *pl, struct evs_pipeline_stats *st);

/**
 * Add this lcore's drop counters into @p drops[evs_registry_n_drops()]
 * (any lcore; relaxed reads).
 */
void evs_pipeline_drops_add(const struct evs_pipeline_lcore *pl, uint64_t *drops);

/**
 * Drain up to @p budget punted packets from @p ring and give each to its
 * module's punt handler (management lcore); packets of modules without one
 * are freed. @p args are the handlers' arguments by module index.
 * @return the number drained.
 */
unsigned int evs_pipeline_punt_poll(const struct evs_registry *reg, struct rte_ring *ring,
				    void *const *args, unsigned int budget);

/* ------------------------------------------------------------------ */
/* Inject path (management lcore -> datapath)                          */
/* ------------------------------------------------------------------ */

/*
 * The way back from the punt path: another lcore (the management one: ARP
 * and ND answers, ICMP errors, held packets, probes) hands packets to a PMD.
 * Each context has a bounded ring (multi-producer, single consumer) that its
 * owner drains in bursts once per loop. A full ring drops and counts
 * inject_full; nothing blocks.
 */

#define EVS_INJECT_RING 1024	      /**< default slots of an inject ring */
#define EVS_INJECT_NO_PORT UINT16_MAX /**< in_port of packets made by the host itself */

/** Where an injected packet goes. */
enum evs_inject_kind {
	/** out of port @p port as it is (no pipeline) */
	EVS_INJECT_TX,
	/** through the pipeline as if received on @p port (ingress hooks run: learning) */
	EVS_INJECT_PORT,
	/**
	 * through the pipeline with the key's ldp set to @p ldp and in_port to
	 * @p port (EVS_INJECT_NO_PORT for packets the host made): e.g. a
	 * router's frame switched by L2 in that switch. No ingress hook runs.
	 */
	EVS_INJECT_LDP,
};

/** An inject target. */
struct evs_inject {
	enum evs_inject_kind kind;
	uint16_t port;
	uint16_t ldp;
};

/**
 * Queue @p n packets for @p pl's owner to send or run (any lcore, the owner
 * too: it runs them at its next drain, not inside the burst that made them;
 * lock-free, multi-producer). Consumes every packet: those the ring cannot take (or
 * all of them for a bad target) are freed and counted as the engine drop
 * inject_full.
 * @return the number queued.
 */
unsigned int evs_pipeline_inject(struct evs_pipeline_lcore *pl, const struct evs_inject *to,
				 struct rte_mbuf **pkts, unsigned int n);

/**
 * Send or run up to @p budget injected packets (the owner lcore, once per
 * loop, before it flushes its output). Packets that do not parse are
 * dropped as inject_bad_packet.
 * @return the number taken from the ring.
 */
unsigned int evs_pipeline_inject_drain(struct evs_pipeline_lcore *pl,
				       const struct evs_pipeline_state *st, unsigned int budget);

#ifdef __cplusplus
}
#endif
#endif /* EVS_PIPELINE_H */
