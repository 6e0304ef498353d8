/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_MODULE_H
#define EVS_MODULE_H

/**
 * @file
 * What a feature module gives the engine, and what the engine gives it.
 *
 * A module (L2 switching, routing, firewall, ...) is one
 * `const struct evs_module` listed by the app (app/edgevs/modules.c); the
 * engine (lib/pipeline) knows modules only through it:
 * - slow-path stages: functions that read the translation context's working
 *   key, record what they consulted (mask) and which tables they read
 *   (dependencies), and append opcodes to the program;
 * - opcodes: burst executors, the only per-packet code of a module;
 * - a per-lcore context, drop reasons and counters (reported by name);
 * - object types and control methods, opaque here (lib/store, lib/ctl).
 *
 * Identifiers are local to a module (its opcode, drop reason and dependency
 * numbers count from 0); the registry maps them to global ones.
 *
 * Thread-safety: stages run on the lcore that translates (a PMD on a miss or
 * in its revalidation walk, the management lcore for flow.trace) and may only
 * read published state. Executors run on PMD lcores with that lcore's module
 * context. Nothing here may lock, allocate (but mbuf copies) or log per packet.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_mbuf.h>
#include <rte_vect.h>

#include "evs_classifier.h"
#include "evs_packet.h"

#ifdef __cplusplus
extern "C" {
#endif

struct evs_obj_type; /* lib/store: opaque here */
struct evs_ctl;	     /* lib/ctl: opaque here */
struct evs_xlate;    /* translation context of one key */
struct evs_exec;     /* execution context of one burst */
struct evs_module;   /* below */

/* ------------------------------------------------------------------ */
/* Translation (slow path)                                             */
/* ------------------------------------------------------------------ */

/** What a stage tells the engine. */
enum evs_stage_verdict {
	EVS_STAGE_CONTINUE, /**< later stages run */
	EVS_STAGE_DONE,	    /**< the program is complete */
};

/**
 * One slow-path stage. @p state is the module's published state (see
 * struct evs_pipeline_state), @p lctx the calling lcore's module context.
 */
struct evs_stage {
	const char *name;
	uint16_t order; /**< position: lower runs first (l2 100, l3 200, fw 300, ...) */
	enum evs_stage_verdict (*xlate)(struct evs_xlate *x, const void *state, void *lctx);
};

/** The key as it was classified: consulting a field of it must be recorded. */
const struct evs_flow_key *evs_xlate_key(const struct evs_xlate *x);

/**
 * The working key: starts as the classified key; a stage may change
 * metadata (vrf, ct_zone, ldp, ...) for later stages. Changing a header field
 * here does not change the packet: emit a set-field opcode for that.
 */
struct evs_flow_key *evs_xlate_wkey(struct evs_xlate *x);

/** The mask of what this translation consulted so far: OR bits into it. */
struct evs_flow_mask *evs_xlate_mask(struct evs_xlate *x);

/**
 * The decision depends on the module's table @p dep (a local dependency
 * number, < the module's n_deps): the program records the table's current
 * generation and is re-translated when it changes. Record the dependency
 * before reading the table.
 * @return 0, -EINVAL (out of range), -ENOSPC (too many; the megaflow is not
 *   cached).
 */
int evs_xlate_depend(struct evs_xlate *x, uint32_t dep);

/**
 * Append opcode @p op (local to the calling stage's module) with its
 * argument (exactly the opcode's arg_size bytes).
 * @return 0, -EINVAL (unknown opcode, wrong size), -ENOSPC (program full:
 *   the translation ends with a drop counted as prog_full).
 */
int evs_xlate_emit(struct evs_xlate *x, uint16_t op, const void *arg, uint16_t len);

/**
 * Append opcode @p op of another registered module @p m (a library's
 * shared opcode, e.g. conntrack's ct() emitted by the firewall's stage).
 * @return like evs_xlate_emit(), or -ENOENT when @p m is not registered.
 */
int evs_xlate_emit_module(struct evs_xlate *x, const struct evs_module *m, uint16_t op,
			  const void *arg, uint16_t len);

/** Engine opcodes every stage may emit. */
int evs_xlate_output(struct evs_xlate *x, uint16_t port);
int evs_xlate_output_in_port(struct evs_xlate *x);
/** Drop with the calling module's local drop reason @p reason. */
int evs_xlate_drop(struct evs_xlate *x, uint16_t reason);
/** Re-encode the outer VLAN: 0 untagged, else EVS_VLAN_PRESENT | vid (PCP kept from the frame). */
int evs_xlate_set_vlan(struct evs_xlate *x, uint16_t tci);
/**
 * Set a field: dst_mac/src_mac (frame and key), or metadata (vrf, ct_state,
 * ct_zone, ct_mark, ct_label, ldp, dp_hash: key only). @p val holds the
 * field's bytes as in the key. @return 0, -ENOTSUP for other fields.
 */
int evs_xlate_set_field(struct evs_xlate *x, enum evs_flow_field f, const void *val);
/** Hand the packet to the management lcore with a module-local @p code. */
int evs_xlate_punt(struct evs_xlate *x, uint16_t code);
/** The same with a word @p aux for the handler (evs_punt_aux()), e.g. a datapath. */
int evs_xlate_punt_aux(struct evs_xlate *x, uint16_t code, uint32_t aux);
/** Re-parse the (rewritten) frame keeping metadata, set recirc_id, classify again. */
int evs_xlate_recirculate(struct evs_xlate *x, uint16_t recirc_id);

/**
 * Continue in another logical datapath: sets the working key's ldp and
 * records a step in the trace. Bounded (EVS_XLATE_MAX_HOPS).
 * @return 0, -ELOOP when the bound is reached (the translation drops).
 */
int evs_xlate_goto_ldp(struct evs_xlate *x, uint16_t ldp);

/** Write this stage's decision for flow.trace (printf-like; cheap when not tracing). */
void evs_xlate_why(struct evs_xlate *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** True when a trace is being recorded (skip expensive explanations otherwise). */
bool evs_xlate_tracing(const struct evs_xlate *x);

/* ------------------------------------------------------------------ */
/* Execution (fast path)                                               */
/* ------------------------------------------------------------------ */

/**
 * An opcode's burst executor: apply it to @p n packets of one megaflow
 * (@p keys are their working keys, writable). Packets that go on to the next
 * opcode are compacted to the front of @p pkts / @p keys; the others must be
 * consumed (output, dropped and counted, punted, recirculated).
 * @return the number of packets that go on.
 */
typedef uint16_t (*evs_op_exec_fn)(struct evs_exec *x, const void *arg, struct rte_mbuf **pkts,
				   struct evs_flow_key *keys, uint16_t n);

/** Write an opcode's argument as text ("port=3"). @return like snprintf. */
typedef int (*evs_op_format_fn)(const void *arg, char *buf, size_t len);

/** One opcode of a module. */
struct evs_opcode {
	const char *name;  /**< "output", "flood", ... */
	uint16_t arg_size; /**< bytes of argument, at most EVS_OP_ARG_MAX */
	evs_op_exec_fn exec;
	evs_op_format_fn format; /**< optional */
};

#define EVS_OP_ARG_MAX 32

/** The executing module's published state and this lcore's context for it. */
const void *evs_exec_state(const struct evs_exec *x);
void *evs_exec_lcore(const struct evs_exec *x);

/** Send @p n packets out of @p port (consumes them; counted drops when absent). */
void evs_exec_tx(struct evs_exec *x, uint16_t port, struct rte_mbuf **pkts, uint16_t n);

/** Free @p n packets and count them under the executing module's local @p reason. */
void evs_exec_drop(struct evs_exec *x, uint16_t reason, struct rte_mbuf **pkts, uint16_t n);

/** Count @p n drops (packets already freed) under the executing module's local @p reason. */
void evs_exec_drop_count(struct evs_exec *x, uint16_t reason, uint16_t n);

/**
 * Hand @p n packets (@p keys: their keys) to the executing module's punt
 * handler on the management lcore with a local @p code and a word @p aux
 * (consumes them; a full ring counts punt_full).
 */
void evs_exec_punt(struct evs_exec *x, uint16_t code, uint32_t aux, struct rte_mbuf **pkts,
		   const struct evs_flow_key *keys, uint16_t n);

/** A punted packet's word from evs_xlate_punt_aux / evs_exec_punt (its punt handler). */
static inline uint32_t evs_punt_aux(const struct rte_mbuf *m)
{
	return m->hash.fdir.hi;
}

/** The in_port of a punted packet's key (its punt handler). */
static inline uint16_t evs_punt_in_port(const struct rte_mbuf *m)
{
	return m->port;
}

/** True under flow.trace: a stateful opcode should not change lasting state. */
bool evs_exec_tracing(const struct evs_exec *x);

/** The mempool for copies (flood, replication). */
struct rte_mempool *evs_exec_pool(const struct evs_exec *x);

/**
 * Classify @p n packets again now, with recirc_id @p recirc_id and the
 * keys as they are (no re-parse): the executing opcode must have kept every
 * key in step with its frame (what a re-parse would give, metadata kept).
 * Consumes the packets; beyond EVS_RECIRC_MAX_DEPTH they are dropped as
 * recirc_depth. Under flow.trace the packets follow the engine's
 * recirculate (queued, re-parsed) instead.
 */
void evs_exec_recirculate(struct evs_exec *x, uint16_t recirc_id, struct rte_mbuf **pkts,
			  struct evs_flow_key *keys, uint16_t n);

/** Key words a hint compares as 16-byte vectors (metadata, MACs, ct_state,
 * addresses: all a routed megaflow consults); later ones one by one. */
#define EVS_RECIRC_HINT_WORDS 8

/**
 * A module's memory of the megaflow its recirculated packets matched on
 * the next pass, one per group of packets that classify alike (a load
 * balancer's backend): a one-entry classifier cache, used only while that
 * megaflow is live and unchanged and the key matches it. Per pipeline
 * lcore; zeroed is empty.
 */
struct evs_recirc_hint {
	const void *flow; /**< struct evs_megaflow (private) */
	const void *mask; /**< its mask (private) */
	uint32_t version;
	/** bitmap of the key words from EVS_RECIRC_HINT_WORDS on that the mask
	 * consults (private): compared one by one, from the megaflow */
	uint16_t hi;
	/* (private) bit i: m[2i] or m[2i + 1] is not zero */
	uint16_t pairs;
	/* (private) the first EVS_RECIRC_HINT_WORDS words' mask and masked
	 * value (mask 0 where it does not consult), compared in pairs */
	uint64_t m[EVS_RECIRC_HINT_WORDS] __attribute__((aligned(16)));
	uint64_t v[EVS_RECIRC_HINT_WORDS] __attribute__((aligned(16)));
};

/** Two key words as one 16-byte vector (SSE2 on x86, NEON on Arm). */
typedef uint64_t evs_hint_pair __attribute__((vector_size(16)));

/**
 * A hint loaded for a run of packets (evs_exec_hint_begin): its compare in
 * locals, which the compiler keeps in registers over the run (from the
 * hint itself every pair would be reloaded per packet: stores to the keys
 * could alias it as far as it can tell). Private layout.
 */
struct evs_hint_run {
	evs_hint_pair m[EVS_RECIRC_HINT_WORDS / 2];
	evs_hint_pair v[EVS_RECIRC_HINT_WORDS / 2];
	const struct evs_recirc_hint *h;
	const void *flow; /* the megaflow and version compared (the hint may */
	uint32_t version; /* learn another before the run is executed) */
	uint32_t pairs;	  /* a superset of the pairs m[i] not zero */
};

/** What evs_exec_hint_run() needs of run @p r (the megaflow, not the
 * compare): to keep @p r for it in fewer stores than a copy. */
static inline void evs_exec_hint_keep(struct evs_hint_run *to, const struct evs_hint_run *r)
{
	to->h = r->h;
	to->flow = r->flow;
	to->version = r->version;
}

/** (private) Load hint @p h into @p r for packets of pass @p recirc_id if
 * its megaflow is live, unchanged since the hint learnt it and of that
 * pass, whatever words it consults. The pass's recirc_id is checked here
 * once and left out of the per-key compare: a key's recirc_id is stored
 * after its compare (stored just before, the compare's 16-byte load over
 * it would wait for the store: no forwarding from a narrower store, ~12
 * cycles a packet). */
static inline bool evs_recirc_hint_load(const struct evs_recirc_hint *h, uint16_t recirc_id,
					struct evs_hint_run *r)
{
	const struct evs_megaflow *f = (const struct evs_megaflow *)h->flow;
	const size_t at = offsetof(struct evs_flow_key, recirc_id);
	const uint16_t ones = UINT16_MAX;
	uint64_t rm = 0, rv = 0;
	evs_hint_pair pm;

	if (f == NULL || f->version != h->version)
		return false;
	memcpy((uint8_t *)&rm + at % 8, &ones, sizeof(ones)); /* constants once folded */
	memcpy((uint8_t *)&rv + at % 8, &recirc_id, sizeof(recirc_id));
	if (((rv & h->m[at / 8]) ^ h->v[at / 8]) & rm)
		return false;
	/* in vectors: a scalar store into a pair the compare then loads whole
	 * would not forward either */
	pm = at / 8 % 2 ? (evs_hint_pair){0, rm} : (evs_hint_pair){rm, 0};
	memcpy(r->m, h->m, sizeof(r->m));
	memcpy(r->v, h->v, sizeof(r->v));
	r->m[at / 16] &= ~pm;
	r->v[at / 16] &= ~pm;
	r->pairs = h->pairs; /* recirc_id's pair 0 may hold nothing else: a superset */
	r->h = h;
	r->flow = f;
	r->version = h->version;
	return true;
}

/**
 * Load hint @p h into @p r for a run of packets of pass @p recirc_id that an
 * opcode checks itself: false if it is empty, its megaflow was removed or
 * rewritten since it was learnt (then it must not be used), is not of that
 * pass, or consults words past EVS_RECIRC_HINT_WORDS (such packets take
 * evs_exec_recirculate_hinted).
 */
static inline bool evs_exec_hint_begin(const struct evs_recirc_hint *h, uint16_t recirc_id,
				       struct evs_hint_run *r)
{
	return h->hi == 0 && evs_recirc_hint_load(h, recirc_id, r);
}

/**
 * Narrow run @p r to keys that also equal @p val on the bits of @p mask
 * (first EVS_RECIRC_HINT_WORDS words; @p mask keeps off recirc_id): an
 * opcode's own per-packet conditions folded into the compare, for no
 * instruction more a key when they lie in pairs it consults (the pairs
 * they touch are added). False (@p r unchanged) if no key could match
 * both. Inlined: constant @p mask and @p val fold to the pairs they touch.
 */
static __rte_always_inline bool evs_exec_hint_narrow(struct evs_hint_run *r,
						     const struct evs_flow_key *mask,
						     const struct evs_flow_key *val)
{
	const uint64_t *mw = (const uint64_t *)mask, *vw = (const uint64_t *)val;
	evs_hint_pair mp[EVS_RECIRC_HINT_WORDS / 2], vp[EVS_RECIRC_HINT_WORDS / 2];
	evs_hint_pair clash = {0, 0};

	for (unsigned int i = 0; i < EVS_RECIRC_HINT_WORDS / 2; i++) {
		memcpy(&mp[i], mw + 2 * i, sizeof(mp[i]));
		memcpy(&vp[i], vw + 2 * i, sizeof(vp[i]));
		vp[i] &= mp[i];
		clash |= (r->v[i] ^ vp[i]) & r->m[i] & mp[i];
	}
	if ((clash[0] | clash[1]) != 0)
		return false;
	for (unsigned int i = 0; i < EVS_RECIRC_HINT_WORDS / 2; i++) {
		r->m[i] |= mp[i];
		r->v[i] |= vp[i];
		r->pairs |= (uint32_t)((mp[i][0] | mp[i][1]) != 0) << i;
	}
	return true;
}

/**
 * The pairs run @p r's megaflow consults (bit i: key words 2i, 2i + 1):
 * the others have mask and value 0, so a compare may leave them out. An
 * opcode passes a constant superset of these to evs_exec_hint_match_pairs
 * (one loop per usual set: a megaflow that consults no address needs
 * pairs 0 and 1 only).
 */
static inline uint32_t evs_exec_hint_pairs(const struct evs_hint_run *r)
{
	return r->pairs;
}

/**
 * evs_exec_hint_match() over the pairs of @p pairs only (a constant that
 * holds evs_exec_hint_pairs(@p r): the loop then unrolls to those).
 */
static __rte_always_inline bool evs_exec_hint_match_pairs(const struct evs_hint_run *r,
							  const struct evs_flow_key *k,
							  uint32_t pairs)
{
	const uint64_t *kw = (const uint64_t *)k;
	evs_hint_pair diff = {0, 0};

	for (unsigned int i = 0; i < EVS_RECIRC_HINT_WORDS / 2; i++) {
		evs_hint_pair kp;

		if (!(pairs >> i & 1))
			continue;
		memcpy(&kp, kw + 2 * i, sizeof(kp)); /* the key is 8-byte aligned */
		diff |= (kp & r->m[i]) ^ r->v[i];
	}
#ifdef __SSE4_1__
	return _mm_testz_si128((__m128i)diff, (__m128i)diff);
#else
	return (diff[0] | diff[1]) == 0;
#endif
}

/**
 * Whether key @p k matches the megaflow of run @p r (evs_exec_hint_begin()
 * true) on every word its mask consults, its recirc_id taken as the run's
 * pass (set it after this: see evs_recirc_hint_load): the first
 * EVS_RECIRC_HINT_WORDS, in pairs, straight-line (a word the mask does not
 * consult has mask and value 0).
 */
static inline bool evs_exec_hint_match(const struct evs_hint_run *r, const struct evs_flow_key *k)
{
	return evs_exec_hint_match_pairs(r, k, (1u << EVS_RECIRC_HINT_WORDS / 2) - 1);
}

/**
 * The next pass of @p n packets an opcode matched against run @p r (every
 * key, recirc_id set to @p recirc_id): the hinted megaflow's program runs
 * over them at once, counted as a lookup hit of @p bytes would be; if the
 * megaflow changed since evs_exec_hint_begin() or its program went stale
 * (a table it read changed), or under flow.trace or at the depth limit,
 * they are recirculated as evs_exec_recirculate() does instead. Consumes
 * the packets. Reads of @p r only what evs_exec_hint_keep() keeps.
 * @return the packets that ran by the hint (n or 0).
 */
uint16_t evs_exec_hint_run(struct evs_exec *x, uint16_t recirc_id, const struct evs_hint_run *r,
			   struct rte_mbuf **pkts, struct evs_flow_key *keys, uint16_t n,
			   uint64_t bytes);

/**
 * evs_exec_recirculate() that first tries hint @p hints[@p slot[i]] for
 * packet i: a hit runs the megaflow's program without a lookup; misses are
 * classified as usual and teach their hints. Packets of one hint that are
 * adjacent run its program once: callers group them when they can.
 * @return the packets that ran by their hint (the others were classified).
 */
uint16_t evs_exec_recirculate_hinted(struct evs_exec *x, uint16_t recirc_id, struct rte_mbuf **pkts,
				     struct evs_flow_key *keys, uint16_t n,
				     struct evs_recirc_hint *hints, const uint16_t *slot);

/**
 * Recirculate @p n packets as the engine's recirculate opcode does: queued
 * and classified once the current pass of the burst is done, but with the
 * keys as they are (no re-parse; the same condition as
 * evs_exec_recirculate(): every key in step with its frame). For an opcode
 * that returns other packets to go on with its program (the program must
 * stay untouched until they are done, so no pass may run in between).
 * Consumes the packets. Under flow.trace they are re-parsed.
 */
void evs_exec_recirculate_queued(struct evs_exec *x, uint16_t recirc_id, struct rte_mbuf **pkts,
				 struct evs_flow_key *keys, uint16_t n);

/* ------------------------------------------------------------------ */
/* The descriptor                                                      */
/* ------------------------------------------------------------------ */

/** What a module's per-lcore context is created with. */
struct evs_module_lcore_args {
	int socket_id;
	struct rte_mempool *pool; /**< mbufs for copies */
	void *arg;		  /**< the app's argument for this module */
};

/**
 * A feature module. Static and const; the app lists them in order.
 * Every field but name may be empty.
 */
struct evs_module {
	const char *name;
	/** slow path */
	const struct evs_stage *stages;
	unsigned int n_stages;
	/** opcodes, numbered locally by their index */
	const struct evs_opcode *opcodes;
	unsigned int n_opcodes;
	/** tables decisions depend on (local dependency numbers 0..n_deps-1) */
	uint32_t n_deps;
	/** drop reasons, local numbers by index: names as stats.get reports them */
	const char *const *drop_names;
	unsigned int n_drops;
	/** counters other than drops, by name */
	const char *const *counter_names;
	unsigned int n_counters;
	/** add this context's counters into @p vals[n_counters] (any lcore, relaxed reads) */
	void (*counters_get)(const void *lctx, uint64_t *vals);
	/** per-lcore context (PMD or management lcore); NULL with errno on failure */
	void *(*lcore_create)(const struct evs_module_lcore_args *args);
	void (*lcore_free)(void *lctx);
	/**
	 * Stateful per-packet work before classification (first pass only),
	 * e.g. MAC learning. Must not drop.
	 */
	void (*ingress)(const void *state, void *lctx, const struct evs_flow_key *keys, uint16_t n);
	/** Once a second on the lcore that owns @p lctx (clocks, e.g. learning's). */
	void (*tick)(void *lctx);
	/** Management lcore: a packet this module punted (@p code); consumes @p m. */
	void (*punt)(void *arg, struct rte_mbuf *m, uint16_t code);
	/** For the control plane (lib/store, lib/ctl); opaque to the engine. */
	const struct evs_obj_type *const *obj_types;
	unsigned int n_obj_types;
	int (*ctl_register)(struct evs_ctl *ctl, void *ctx);
};

#ifdef __cplusplus
}
#endif
#endif /* EVS_MODULE_H */
