/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_CLASSIFIER_H
#define EVS_CLASSIFIER_H

/**
 * @file
 * Megaflow classifier: a per-lcore exact-match cache (EMC) in front of a
 * tuple-space classifier of megaflows.
 *
 * What: a megaflow is (mask, masked key) -> action program. The slow path
 * (lib/pipeline) builds one per miss, with a mask holding exactly the fields
 * the pipeline consulted. Megaflows sharing a mask live in one subtable (a
 * hash table keyed by the masked words); a lookup tries subtables in order of
 * recent hit count. In front, the EMC maps a full key to its megaflow and
 * saves the per-subtable hashing for the heaviest flows (it stops probing
 * itself while its hit share is too low to pay for the probe).
 *
 * Which megaflow wins: there are no priorities. A correct slow path installs
 * megaflows that never overlap with different actions, so at most one
 * matters. If two installed megaflows (in different subtables) both match a
 * key, the one in the subtable tried first wins, and that order follows hit
 * counts and may change at each re-sort.
 *
 * Installing a megaflow with the same mask and masked key as a live one is
 * refused with -EEXIST and returns the existing entry (use evs_cls_modify()
 * to replace its actions).
 *
 * Thread-safety: one instance per PMD lcore. That lcore (the "owner") is the
 * only one that looks up, installs, removes, modifies, expires or flushes:
 * the hash tables and the EMC have no other reader, so the fast path has no
 * atomics and no locks. Other lcores ("any lcore" below; the management
 * lcore in practice) may concurrently:
 *  - dump megaflows (evs_cls_dump): each entry is copied under a per-entry
 *    sequence counter and entry memory is never returned to the system while
 *    the instance exists, so a dump never sees a torn or freed entry;
 *  - read statistics (evs_cls_stats_get, evs_cls_subtables_get);
 *  - post a flush or revalidation request (evs_cls_request) that the owner
 *    carries out at its next evs_cls_service() call, and poll for completion.
 * evs_cls_create() and evs_cls_free() may run on any lcore while no other
 * lcore uses the instance. doc/classifier.md has the full reasoning.
 *
 * Times are TSC cycles (rte_rdtsc()). The lookup reads the TSC once per
 * burst to stamp last_used.
 *
 * Errors: functions returning int give 0 (or a count) on success and a
 * negative errno on failure; evs_cls_create() returns NULL and sets errno.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_common.h>

#include "evs_packet.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------- */
/** @name Masks */

/**
 * A key word for word-wise access. may_alias: keys and masks are declared
 * with byte and 16-bit fields, and reading them as 64-bit words must not
 * break strict aliasing.
 */
typedef uint64_t __attribute__((__may_alias__)) evs_flow_word_t;

/**
 * A megaflow mask: same layout as the key, a set bit means the bit of the
 * key is consulted. Stages may also set bits directly, e.g.
 * `m->bits.tcp_flags |= 0x02`.
 */
struct evs_flow_mask {
	struct evs_flow_key bits;
};

/** The fields of struct evs_flow_key, for masks, dumps and traces. */
enum evs_flow_field {
	EVS_FIELD_IN_PORT,
	EVS_FIELD_VLAN_TCI,
	EVS_FIELD_ETHERTYPE,
	EVS_FIELD_IP_PROTO,
	EVS_FIELD_IP_FRAG,
	EVS_FIELD_RECIRC_ID,
	EVS_FIELD_LDP,
	EVS_FIELD_DP_HASH,
	EVS_FIELD_DST_MAC,
	EVS_FIELD_SRC_MAC,
	EVS_FIELD_IP_TOS,
	EVS_FIELD_TTL_CLASS,
	EVS_FIELD_TCP_FLAGS,
	EVS_FIELD_CT_STATE,
	EVS_FIELD_SRC_IP,
	EVS_FIELD_DST_IP,
	EVS_FIELD_L4_SRC,
	EVS_FIELD_L4_DST,
	EVS_FIELD_VRF,
	EVS_FIELD_CT_ZONE,
	EVS_FIELD_TUN_VNI,
	EVS_FIELD_TUN_OPT_FLAGS,
	EVS_FIELD_TUN_SRC,
	EVS_FIELD_TUN_DST,
	EVS_FIELD_CT_MARK,
	EVS_FIELD_CT_LABEL,
	EVS_FIELD_MAX,
};

/** Where a field lives in struct evs_flow_key. */
struct evs_flow_field_info {
	const char *name; /**< "in_port", "dst_mac", ... as in the key struct */
	uint16_t offset;  /**< byte offset in the key */
	uint16_t size;	  /**< bytes */
};

/**
 * Describe a field.
 * @return the description, or NULL if @p f is out of range.
 */
const struct evs_flow_field_info *evs_flow_field_info(enum evs_flow_field f);

/** Look a field up by its name; returns EVS_FIELD_MAX if unknown. */
enum evs_flow_field evs_flow_field_by_name(const char *name);

/** Clear every bit: a mask that consults nothing. */
static inline void evs_flow_mask_zero(struct evs_flow_mask *m)
{
	memset(m, 0, sizeof(*m));
}

/** Set every bit: exact match on the whole key. */
static inline void evs_flow_mask_all(struct evs_flow_mask *m)
{
	memset(m, 0xff, sizeof(*m));
}

/**
 * Consult a whole field.
 * @return 0, -EINVAL if @p m is NULL or @p f out of range.
 */
int evs_flow_mask_set_field(struct evs_flow_mask *m, enum evs_flow_field f);

/**
 * Consult the first @p plen bits of a field in wire order (an address
 * prefix). IPv4 addresses use the first 4 bytes of src_ip/dst_ip/tun_*, so
 * an IPv4 /24 is plen 24.
 * @return 0, -EINVAL if @p m is NULL, @p f out of range or @p plen larger
 *   than the field (8 * size).
 */
int evs_flow_mask_set_prefix(struct evs_flow_mask *m, enum evs_flow_field f, unsigned int plen);

/** OR @p src into @p dst (a stage adds the fields it consulted). */
static inline void evs_flow_mask_or(struct evs_flow_mask *dst, const struct evs_flow_mask *src)
{
	evs_flow_word_t *d = (evs_flow_word_t *)&dst->bits;
	const evs_flow_word_t *s = (const evs_flow_word_t *)&src->bits;

	for (unsigned int i = 0; i < EVS_FLOW_KEY_WORDS; i++)
		d[i] |= s[i];
}

/** out = key & mask (out may alias key). */
static inline void evs_flow_key_apply_mask(struct evs_flow_key *out, const struct evs_flow_key *key,
					   const struct evs_flow_mask *mask)
{
	evs_flow_word_t *o = (evs_flow_word_t *)out;
	const evs_flow_word_t *k = (const evs_flow_word_t *)key;
	const evs_flow_word_t *m = (const evs_flow_word_t *)&mask->bits;

	for (unsigned int i = 0; i < EVS_FLOW_KEY_WORDS; i++)
		o[i] = k[i] & m[i];
}

/** True if @p key matches the megaflow (@p mask, @p masked_key). */
static inline bool evs_flow_key_matches(const struct evs_flow_key *key,
					const struct evs_flow_mask *mask,
					const struct evs_flow_key *masked_key)
{
	const evs_flow_word_t *k = (const evs_flow_word_t *)key;
	const evs_flow_word_t *m = (const evs_flow_word_t *)&mask->bits;
	const evs_flow_word_t *mk = (const evs_flow_word_t *)masked_key;
	uint64_t diff = 0;

	for (unsigned int i = 0; i < EVS_FLOW_KEY_WORDS; i++)
		diff |= (k[i] & m[i]) ^ mk[i];
	return diff == 0;
}

/* ---------------------------------------------------------------------- */
/** @name Megaflow entries */

/** Largest action program a classifier can be configured to hold. */
#define EVS_CLS_ACTIONS_MAX 1024u

/**
 * One megaflow. Entries live in a per-instance pool; the owner gets
 * pointers from lookups and installs and may read every field, and modify
 * them only through this API. Other lcores must not dereference entry
 * pointers (a slot is reused after removal); they use evs_cls_dump().
 */
struct evs_megaflow {
	/* First two cache lines: what a lookup compares. */
	uint32_t version;	 /**< odd while being rewritten; changes on install/removal */
	uint16_t subtable;	 /**< subtable slot (private) */
	uint16_t actions_len;	 /**< bytes in actions[] */
	struct evs_flow_key key; /**< the masked key */
	/* Third line: written on a hit, next to the program the executor reads. */
	uint64_t hits;	    /**< packets matched (owner writes, dumps read) */
	uint64_t last_used; /**< TSC of the last burst that hit it */
	uint64_t bytes;	    /**< bytes, added by the action stage (evs_megaflow_add_bytes) */
	uint64_t created;   /**< TSC at install */
	uint64_t id;	    /**< unique per install within the instance, never 0 */
	uint32_t gen;	    /**< caller's configuration generation at install/modify */
	uint32_t hash;	    /**< masked hash (private) */
	uint32_t next_free; /**< free-list link (private) */
	uint16_t live;	    /**< 1 while installed (private) */
	uint16_t reserved;
	uint8_t actions[] __rte_aligned(8); /**< opaque action program */
};

/** Action program of a megaflow (owner lcore). */
static inline const void *evs_megaflow_actions(const struct evs_megaflow *f)
{
	return f->actions;
}

/**
 * Count @p bytes against a megaflow (owner lcore, e.g. in the action stage).
 * The classifier counts packets itself on each hit.
 */
static inline void evs_megaflow_add_bytes(struct evs_megaflow *f, uint64_t bytes)
{
	/* Single writer; relaxed is enough for dumpers that only want a value. */
	__atomic_store_n(&f->bytes, f->bytes + bytes, __ATOMIC_RELAXED);
}

/** What to install: the mask, the action program, the generation. */
struct evs_megaflow_spec {
	const struct evs_flow_mask *mask; /**< required */
	const void *actions;		  /**< copied into the entry; may be NULL if len 0 */
	uint16_t actions_len;		  /**< at most the instance's actions_max */
	uint32_t gen;			  /**< stored as evs_megaflow.gen */
};

/* ---------------------------------------------------------------------- */
/** @name Instances */

/** Creation parameters; zero fields take the default given. */
struct evs_cls_config {
	const char *name;	/**< for logs; default "cls" */
	uint32_t max_flows;	/**< megaflow cap (refusals counted past it); 262144 */
	uint32_t max_subtables; /**< distinct masks cap, at most 65535; 1024 */
	uint32_t emc_entries;	/**< EMC entries, rounded up to a power of 2; 8192 */
	bool emc_disable;	/**< no EMC at all */
	uint32_t
	    emc_insert_one_in; /**< insert a megaflow hit into the EMC with probability 1/N; 100 */
	uint16_t actions_max;  /**< largest action program in bytes (rounded up to fill the
				  entry's last cache line); 64, at most EVS_CLS_ACTIONS_MAX */
	uint32_t expire_batch; /**< entry slots scanned per evs_cls_expire() call; 16384
				  (UINT32_MAX: all) */
	uint32_t reval_batch;  /**< megaflows revalidated per evs_cls_service() call; 1024
				  (UINT32_MAX: all) */
	uint32_t resort_interval;   /**< lookup bursts between subtable re-sorts; 1024 */
	uint32_t emc_min_subtables; /**< probe the EMC only while at least this many masks are
				       live (below, one subtable probe costs what an EMC probe
				       does and needs no whole-key hash); 2 */
	uint64_t seed;		    /**< EMC insertion PRNG seed; 0: from the TSC */
};

struct evs_cls;

/**
 * Create a classifier. Entry memory is reserved (not committed) for
 * max_flows entries and committed as they are first used, by the lcore that
 * installs them, so pages land on the owner's NUMA node.
 * @return the instance, or NULL with errno set: EINVAL (bad config),
 *   ENOMEM.
 */
struct evs_cls *evs_cls_create(const struct evs_cls_config *cfg);

/** Free an instance and everything in it; NULL is a no-op. No lcore may use it. */
void evs_cls_free(struct evs_cls *cls);

/** Effective actions_max of an instance (any lcore). */
uint16_t evs_cls_actions_max(const struct evs_cls *cls);

/* ---------------------------------------------------------------------- */
/** @name Fast path (owner lcore) */

/** Lookups per internal batch; larger bursts are split. */
#define EVS_CLS_BURST_MAX 64

/**
 * Classify a burst: EMC first, then the megaflow subtables for the EMC
 * misses only, in hit-count order, with prefetching. Each hit counts a packet
 * against its megaflow and stamps last_used. A megaflow hit is inserted into
 * the EMC with probability 1/emc_insert_one_in. The EMC is used only while
 * emc_min_subtables masks are live.
 *
 * @param keys    the packets' keys (pointers; keys need not be contiguous)
 * @param hashes  a hash of each whole key (evs_flow_key_hash() or the NIC's
 *                RSS hash): it only places keys in the EMC, any hash works;
 *                NULL: the classifier hashes the keys itself when it uses
 *                the EMC
 * @param n       number of keys (any; split into batches of EVS_CLS_BURST_MAX)
 * @param results out: the matching megaflow, or NULL for a miss
 * @return the number of keys that matched.
 */
unsigned int evs_cls_lookup_burst(struct evs_cls *cls, const struct evs_flow_key *const keys[],
				  const uint32_t hashes[], unsigned int n,
				  struct evs_megaflow *results[]);

/** Classify one key (a burst of one). @return the megaflow or NULL. */
static inline struct evs_megaflow *evs_cls_lookup(struct evs_cls *cls,
						  const struct evs_flow_key *key, uint32_t hash)
{
	struct evs_megaflow *r;

	evs_cls_lookup_burst(cls, &key, &hash, 1, &r);
	return r;
}

/* ---------------------------------------------------------------------- */
/** @name Slow path and maintenance (owner lcore) */

/**
 * Install a megaflow for @p key (any key it should match; it is masked
 * here) with @p spec.
 * @param[out] flow  the new entry; on -EEXIST, the existing one. May be NULL.
 * @return 0, or
 *   -EINVAL  NULL argument, actions NULL with a non-zero length;
 *   -E2BIG   actions_len above the instance's actions_max;
 *   -EEXIST  a live megaflow has the same mask and masked key;
 *   -ENOSPC  max_flows or max_subtables reached (counted as a refusal);
 *   -ENOMEM  a subtable could not grow.
 */
int evs_cls_install(struct evs_cls *cls, const struct evs_flow_key *key,
		    const struct evs_megaflow_spec *spec, struct evs_megaflow **flow);

/**
 * Replace the action program and generation of a live megaflow in place
 * (revalidation kept the flow but changed its actions). Counters are kept.
 * @return 0, -EINVAL (NULL, not a live entry of @p cls, actions NULL with a
 *   length), -E2BIG (too long).
 */
int evs_cls_modify(struct evs_cls *cls, struct evs_megaflow *flow, const void *actions,
		   uint16_t actions_len, uint32_t gen);

/**
 * Remove a megaflow. EMC entries pointing to it become misses at once.
 * @return 0, -EINVAL if @p flow is not a live entry of @p cls.
 */
int evs_cls_remove(struct evs_cls *cls, struct evs_megaflow *flow);

/** The mask of a live megaflow (owner lcore); NULL if not live. */
const struct evs_flow_mask *evs_cls_flow_mask(const struct evs_cls *cls,
					      const struct evs_megaflow *flow);

/**
 * Remove megaflows idle for more than @p idle cycles at time @p now. Scans at
 * most expire_batch entry slots per call, resuming where the last call
 * stopped, so call it periodically (every millisecond or so): a full pass
 * takes max(1, slots in use / expire_batch) calls.
 * @return the number of megaflows expired.
 */
unsigned int evs_cls_expire(struct evs_cls *cls, uint64_t now, uint64_t idle);

/** Calls of evs_cls_expire() a full pass over the slots in use takes (>= 1). */
uint32_t evs_cls_expire_calls(const struct evs_cls *cls);

/** Remove every megaflow and subtable. @return the number removed. */
unsigned int evs_cls_flush(struct evs_cls *cls);

/** What a walk callback wants done with a megaflow. */
enum evs_cls_verdict {
	EVS_CLS_KEEP,	/**< keep it (possibly after evs_cls_modify()) */
	EVS_CLS_REMOVE, /**< remove it */
};

/** Walk callback: runs on the owner lcore, may call evs_cls_modify() on @p flow. */
typedef enum evs_cls_verdict (*evs_cls_walk_fn)(struct evs_cls *cls, struct evs_megaflow *flow,
						void *arg);

/** Cursor value meaning "walk or dump complete". Start at 0. */
#define EVS_CLS_CURSOR_END UINT64_MAX

/**
 * Visit live megaflows in slot order, at most @p budget of them (0: all),
 * starting at @p *cursor, applying @p fn's verdict. On return @p *cursor is
 * where to resume, or EVS_CLS_CURSOR_END when the walk is complete.
 * Megaflows installed during a walk may or may not be visited.
 * @return the number of megaflows visited, or -EINVAL.
 */
int evs_cls_walk(struct evs_cls *cls, uint64_t *cursor, uint32_t budget, evs_cls_walk_fn fn,
		 void *arg);

/** Re-sort the subtables by recent hits now (the lookup also does it periodically). */
void evs_cls_resort(struct evs_cls *cls);

/* ---------------------------------------------------------------------- */
/** @name Requests from other lcores */

/** Work another lcore can ask the owner to do. */
enum evs_cls_request {
	EVS_CLS_REQ_FLUSH = 1 << 0,	 /**< remove every megaflow */
	EVS_CLS_REQ_REVALIDATE = 1 << 1, /**< walk every megaflow with the service callback */
};

/**
 * Ask the owner to do @p req (an OR of enum evs_cls_request) at its next
 * evs_cls_service() call. Any lcore; lock-free.
 * @return a ticket for evs_cls_request_done().
 */
uint32_t evs_cls_request(struct evs_cls *cls, unsigned int req);

/** True once the owner has carried out every request up to @p ticket. Any lcore. */
bool evs_cls_request_done(const struct evs_cls *cls, uint32_t ticket);

/**
 * Carry out pending requests and finish background table resizes (owner
 * lcore, once per loop: it costs one atomic load when nothing is pending). A flush is done at once.
 * A revalidation walks the megaflows with @p reval, at most reval_batch of them per call, so the
 * loop keeps forwarding; its ticket is done when the walk completes. A revalidation requested
 * during a walk restarts it; a flush ends it. With @p reval NULL a revalidation flushes.
 * @return the number of megaflows removed by this call.
 */
unsigned int evs_cls_service(struct evs_cls *cls, evs_cls_walk_fn reval, void *arg);

/* ---------------------------------------------------------------------- */
/** @name Dumps and statistics (any lcore) */

/** A consistent copy of one megaflow. */
struct evs_megaflow_info {
	uint64_t id;
	struct evs_flow_key key; /**< masked key */
	struct evs_flow_mask mask;
	uint64_t hits;
	uint64_t bytes;
	uint64_t created;   /**< TSC */
	uint64_t last_used; /**< TSC */
	uint32_t gen;
	uint16_t actions_len;
	uint8_t actions[EVS_CLS_ACTIONS_MAX];
};

/**
 * Copy up to @p n megaflows into @p out, starting at @p *cursor (0 to
 * start). Lock-free against the owner. On return @p *cursor is where the next
 * page starts, or EVS_CLS_CURSOR_END when the dump is complete. A megaflow
 * that stays installed for the whole dump appears exactly once; one installed
 * or removed meanwhile may or may not appear.
 * @return the number of entries filled (0..n), or -EINVAL.
 */
int evs_cls_dump(const struct evs_cls *cls, uint64_t *cursor, struct evs_megaflow_info *out,
		 unsigned int n);

/**
 * Megaflow slots freed so far (removed, expired, flushed, walked out). A
 * lookup result taken before this count last moved may point to a slot that
 * now holds another megaflow; while it has not moved, every result is the
 * megaflow it was. Owner lcore only.
 */
uint64_t evs_cls_kills(const struct evs_cls *cls);

/** Counters of one instance; each is monotonic except n_flows, n_subtables, emc_active. */
struct evs_cls_stats {
	uint64_t lookups;	    /**< keys looked up */
	uint64_t emc_hits;	    /**< keys found in the EMC */
	uint64_t megaflow_hits;	    /**< keys found in a subtable */
	uint64_t misses;	    /**< keys found nowhere (go to the slow path) */
	uint64_t subtable_probes;   /**< subtable lookups done for EMC misses */
	uint64_t emc_skipped;	    /**< keys not probed in the EMC (bypassed, or too few masks) */
	uint64_t emc_inserts;	    /**< EMC entries written */
	uint64_t installs;	    /**< megaflows installed */
	uint64_t install_dups;	    /**< installs refused with -EEXIST */
	uint64_t refused_flows;	    /**< installs refused: max_flows reached */
	uint64_t refused_subtables; /**< installs refused: max_subtables reached */
	uint64_t refused_nomem;	    /**< installs refused: a table could not grow */
	uint64_t removals;	    /**< evs_cls_remove() and walk verdicts */
	uint64_t expirations;	    /**< removed by evs_cls_expire() */
	uint64_t flushed;	    /**< removed by flushes */
	uint64_t modifies;	    /**< evs_cls_modify() calls */
	uint64_t resorts;	    /**< subtable re-sorts */
	uint32_t n_flows;	    /**< live megaflows */
	uint32_t n_subtables;	    /**< live subtables (distinct masks) */
	uint32_t emc_active;	    /**< 1 while the EMC is probed on every burst (see doc) */
};

/** Read the counters. @return 0, -EINVAL on NULL. */
int evs_cls_stats_get(const struct evs_cls *cls, struct evs_cls_stats *st);

/** One subtable, for stats and dumps. */
struct evs_cls_subtable_info {
	struct evs_flow_mask mask;
	uint32_t n_flows; /**< megaflows in it */
	uint32_t rank;	  /**< position in the lookup order at the last re-sort (0 first) */
	uint64_t hits;	  /**< megaflow hits in it since it was created */
};

/**
 * Copy up to @p n live subtables into @p out.
 * @return the number filled, or -EINVAL.
 */
int evs_cls_subtables_get(const struct evs_cls *cls, struct evs_cls_subtable_info *out,
			  unsigned int n);

#ifdef __cplusplus
}
#endif
#endif /* EVS_CLASSIFIER_H */
