/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_PIPELINE_PRIVATE_H
#define EVS_PIPELINE_PRIVATE_H

/* State behind evs_pipeline.h / evs_module.h shared by the engine's files. */

#include <string.h>

#include <rte_common.h>

#include "evs_pipeline.h"

#define ENGINE_MOD UINT8_MAX /* module index of the engine's own opcodes and drops */
#define OPS_MAX 256	     /* opcodes over engine and modules */
#define STAGES_MAX 64

/* The engine's drop reasons (global ids 0..ENGINE_DROP_MAX-1). */
enum engine_drop {
	ENGINE_DROP_NONE = 0,
	ENGINE_DROP_NO_PROGRAM,	  /* the program ended without sending the packet */
	ENGINE_DROP_PROG_FULL,	  /* the translation did not fit a program */
	ENGINE_DROP_RECIRC_DEPTH, /* recirculated too often */
	ENGINE_DROP_PUNT_FULL,	  /* punt ring full (or none) */
	ENGINE_DROP_NO_PORT,	  /* output to a port the lcore has no queue for */
	ENGINE_DROP_NO_MBUF,	  /* rewrite needed a copy or headroom it could not get */
	ENGINE_DROP_LDP_LOOP,	  /* too many logical datapath hops */
	ENGINE_DROP_REPARSE,	  /* a recirculated packet no longer parses */
	ENGINE_DROP_INJECT_FULL,  /* inject ring full (counted by the producer) */
	ENGINE_DROP_INJECT_BAD,	  /* an injected packet that does not parse, or a bad target */
	ENGINE_DROP_MAX,
};

/* The engine's opcodes (global ids 0..ENGINE_OP_MAX-1). */
enum engine_op {
	ENGINE_OP_OUTPUT,
	ENGINE_OP_OUTPUT_IN_PORT,
	ENGINE_OP_DROP,
	ENGINE_OP_SET_VLAN,
	ENGINE_OP_SET_FIELD,
	ENGINE_OP_PUNT,
	ENGINE_OP_RECIRC,
	ENGINE_OP_MAX,
};

struct op_output {
	uint16_t port;
};
struct op_drop {
	uint16_t reason; /* global drop id */
};
struct op_set_vlan {
	uint16_t tci;
};
struct op_set_field {
	uint8_t field; /* enum evs_flow_field */
	uint8_t size;
	uint8_t val[16];
};
struct op_punt {
	uint16_t code; /* module-local */
	uint8_t mod;   /* module index */
	uint32_t aux;  /* the module's word for its handler (evs_punt_aux) */
};
struct op_recirc {
	uint16_t recirc_id;
};

/* One opcode as numbered by a registry. */
struct reg_op {
	const struct evs_opcode *op;
	uint8_t mod; /* module index, or ENGINE_MOD */
};

struct reg_stage {
	const struct evs_stage *stage;
	uint8_t mod;
};

struct evs_registry {
	unsigned int n_mods;
	const struct evs_module *mods[EVS_MODULES_MAX];
	uint16_t op_base[EVS_MODULES_MAX];   /* global id of a module's opcode 0 */
	uint16_t drop_base[EVS_MODULES_MAX]; /* global id of a module's drop 0 */
	uint32_t dep_base[EVS_MODULES_MAX];  /* global id of a module's dependency 0 */
	unsigned int n_ops, n_drops, n_stages;
	uint32_t n_deps;
	struct reg_op ops[OPS_MAX];
	struct reg_stage stages[STAGES_MAX]; /* by order */
	const char *drop_names[EVS_DROPS_MAX];
	uint8_t drop_mod[EVS_DROPS_MAX];
	uint64_t epoch;	    /* bumps so far: release by the writer, acquire by readers */
	uint32_t *dep_gens; /* [n_deps] */
};

/*
 * A program as stored in a megaflow entry: a header, the dependencies
 * (global id and generation at translation), then the opcodes, each a
 * 4-byte header and its argument padded to 4 bytes.
 */
struct prog_hdr {
	uint16_t len; /* bytes, header included */
	uint8_t n_ops;
	uint8_t n_deps;
	uint32_t reserved;
};

struct prog_dep {
	uint32_t id;
	uint32_t gen;
};

struct prog_op {
	uint16_t id;   /* global opcode */
	uint16_t size; /* bytes, this header included, multiple of 4 */
	uint8_t arg[] __rte_aligned(4);
};

static inline const struct prog_dep *prog_deps(const struct prog_hdr *p)
{
	return (const struct prog_dep *)(p + 1);
}

static inline const struct prog_op *prog_first_op(const struct prog_hdr *p)
{
	return (const struct prog_op *)(prog_deps(p) + p->n_deps);
}

static inline const struct prog_op *prog_next_op(const struct prog_op *o)
{
	return (const struct prog_op *)((const uint8_t *)o + o->size);
}

/* True when a table the program read changed since. */
static inline bool prog_stale(const struct evs_registry *reg, const struct prog_hdr *p)
{
	const struct prog_dep *d = prog_deps(p);
	unsigned int i;

	for (i = 0; i < p->n_deps; i++)
		/* acquire pairs with the release in evs_registry_dep_bump(): a
		 * re-translation after this sees the table as new as the gen */
		if (__atomic_load_n(&reg->dep_gens[d[i].id], __ATOMIC_ACQUIRE) != d[i].gen)
			return true;
	return false;
}

/* A re-parsed (recirculated) packet keeps the pipeline metadata of @o. */
static inline void key_keep_meta(struct evs_flow_key *k, const struct evs_flow_key *o)
{
	k->recirc_id = o->recirc_id;
	k->ldp = o->ldp;
	k->dp_hash = o->dp_hash;
	k->ct_state = o->ct_state;
	k->vrf = o->vrf;
	k->ct_zone = o->ct_zone;
	k->ct_mark = o->ct_mark;
	k->ct_label = o->ct_label;
	k->tun_vni = o->tun_vni;
	k->tun_opt_flags = o->tun_opt_flags;
	memcpy(k->tun_src, o->tun_src, sizeof(k->tun_src));
	memcpy(k->tun_dst, o->tun_dst, sizeof(k->tun_dst));
}

/* The translation context of one key. */
struct evs_xlate {
	const struct evs_registry *reg;
	struct evs_pipeline_lcore *pl;
	const struct evs_flow_key *key;
	struct evs_flow_key wkey;
	struct evs_flow_mask mask;
	uint8_t *prog; /* EVS_PROG_MAX bytes: header, deps, ops */
	struct prog_dep deps[EVS_PROG_MAX_DEPS];
	uint8_t ops[EVS_PROG_MAX];
	uint16_t ops_len;
	uint8_t n_ops, n_deps;
	uint8_t mod; /* module of the stage running */
	uint8_t hops;
	bool full;	      /* a limit was hit: the program is replaced by a drop */
	uint16_t full_reason; /* global drop id */
	bool uncacheable;     /* too many dependencies */
	struct evs_trace *trace;
	uint8_t pass;
	char why[120];
};

/* The execution context of one burst. */
struct evs_exec {
	struct evs_pipeline_lcore *pl;
	const struct evs_pipeline_state *st;
	uint8_t mod; /* module of the opcode running */
	uint16_t depth;
	/* tracing: outputs and punts are described here instead of done */
	bool tracing;
	char *result;
	size_t result_len;
};

/* Per-lcore context. */
struct evs_pipeline_lcore {
	const struct evs_registry *reg;
	struct evs_cls *cls;
	void *mctx[EVS_MODULES_MAX];
	struct rte_mempool *pool;
	struct rte_ring *punt_ring;
	struct rte_ring *inject_ring; /* other lcores -> this one (MP/SC) */
	uint64_t inject_full;	      /* many writers: atomic adds */
	evs_pipeline_tx_fn tx;
	void *tx_arg;
	bool no_cache;
	uint64_t next_expire;
	uint64_t next_tick;
	uint64_t epoch_seen;  /* registry epoch the last walk started at */
	uint64_t walk_cursor; /* EVS_CLS_CURSOR_END: no walk running */
	const struct evs_pipeline_state *walk_st;
	/* recirculation queue of the pass being run */
	uint16_t n_recirc;
	uint64_t recirc_exact; /* bit i: entry i's key is its frame's (no re-parse) */
	struct rte_mbuf *recirc_pkts[EVS_CLS_BURST_MAX];
	struct evs_flow_key recirc_keys[EVS_CLS_BURST_MAX];
	/* programs of packets without a megaflow (refused installs) */
	uint8_t scratch[EVS_CLS_BURST_MAX][EVS_PROG_MAX] __rte_aligned(8);
	struct evs_pipeline_stats st;
	uint64_t drops[EVS_DROPS_MAX];
} __rte_cache_aligned;

/* Single writer (the owner); other lcores read with relaxed loads. */
static inline void ctr_add(uint64_t *c, uint64_t v)
{
	__atomic_store_n(c, *c + v, __ATOMIC_RELAXED);
}

/* xlate.c: translate @key into @prog (EVS_PROG_MAX bytes); returns its length. */
int xlate_run(struct evs_pipeline_lcore *pl, const struct evs_pipeline_state *st,
	      const struct evs_flow_key *key, struct evs_flow_mask *mask, void *prog,
	      struct evs_trace *trace, uint8_t pass);

/* run.c: classify and run a chunk (<= EVS_CLS_BURST_MAX); @hooks: run the ingress hooks. */
void run_chunk(struct evs_pipeline_lcore *pl, const struct evs_pipeline_state *st,
	       struct rte_mbuf **pkts, struct evs_flow_key *keys, uint16_t n, uint16_t depth,
	       bool hooks);

/* inject.c: the inject ring of a new context / freeing it. */
int inject_ring_create(struct evs_pipeline_lcore *pl, uint32_t size, int socket_id);
void inject_ring_free(struct evs_pipeline_lcore *pl);

/* exec.c: run @prog over @n packets of one megaflow. */
void exec_prog(struct evs_exec *x, const struct prog_hdr *prog, struct rte_mbuf **pkts,
	       struct evs_flow_key *keys, uint16_t n);
extern const struct evs_opcode engine_ops[ENGINE_OP_MAX];
extern const char *const engine_drop_names[ENGINE_DROP_MAX];

/* Count @n drops of global reason @reason. */
static inline void drop_count(struct evs_pipeline_lcore *pl, uint16_t reason, uint64_t n)
{
	ctr_add(&pl->drops[reason < EVS_DROPS_MAX ? reason : 0], n);
}

#endif
