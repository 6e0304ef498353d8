/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_STORE_H
#define EVS_STORE_H

/**
 * @file
 * Object store: the desired state as typed, indexed objects, changed only by
 * transactions.
 *
 * What: each module declares its object types once (struct evs_obj_type):
 * fields checked by lib/ctl's params validator, key fields, references to
 * other types, a capacity, and apply hooks. The store keeps every object in
 * a hash index by key (O(1) lookup) and in insertion order (config.get,
 * paged lists). A transaction is a list of deltas (add, del, set) applied to
 * the store in place with an undo log, then validated as a whole against the
 * post-transaction state (references resolve, nothing deleted is still
 * referenced, capacities hold), then handed to each type's hooks in
 * registration order: prepare (may fail) for every type, then commit (may
 * not fail) for every type, or abort for every type that was prepared. A
 * failed transaction restores every object it touched; the store generation
 * is bumped once per committed transaction that changed something.
 *
 * Objects are stored as the user wrote them (defaults are not written in, so
 * config.get returns what was applied); evs_store_field() reads a field with
 * its declared default.
 *
 * Thread-safety: one thread (the management lcore) owns a store. Hooks run
 * on it. Nothing here needs EAL.
 *
 * Errors: int functions return 0 or -errno and fill a struct evs_ctl_err
 * whose code comes from the one errno -> JSON-RPC table, evs_store_rpc_code().
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "evs_ctl.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Types a store holds at most. */
#define EVS_STORE_MAX_TYPES 32
/** Key fields of a type at most. */
#define EVS_STORE_MAX_KEYS 3
/** Secret fields of a type at most. */
#define EVS_STORE_MAX_SECRETS 4
/** What a secret field's value reads as outside the store; as input: keep the value. */
#define EVS_STORE_SECRET_SET "<set>"
/** JSON-RPC code of a transaction whose expect_generation is stale. */
#define EVS_STORE_E_CONFLICT EVS_CTL_E_CONFLICT

struct evs_store;
struct evs_store_obj;
struct evs_secrets;

/** What a transaction does to one object. */
enum evs_store_op {
	EVS_STORE_ADD, /**< create; the key must be free */
	EVS_STORE_DEL, /**< remove; the object must exist */
	EVS_STORE_SET, /**< change fields (a merge: given fields replace, null removes) */
};

/** What deleting the target of a reference does to the referrer. */
enum evs_store_on_delete {
	EVS_STORE_RESTRICT, /**< refuse: the target is in use */
	EVS_STORE_CASCADE,  /**< delete the referrer too */
};

/**
 * A reference: the string at @p field names an object of @p type by its
 * (single-field) key. "vlans[].switch" reaches into an array of objects.
 * An absent field or "" references nothing.
 */
struct evs_store_ref {
	const char *field;
	const char *type;
	enum evs_store_on_delete on_delete;
};

/** One change handed to a type's hooks. */
struct evs_store_delta {
	enum evs_store_op op;	   /**< ADD, DEL or SET (a cascaded delete is a DEL) */
	const json_t *old;	   /**< before (NULL for ADD) */
	const json_t *new;	   /**< after (NULL for DEL) */
	struct evs_store_obj *obj; /**< the object (for evs_store_obj_aux) */
	const char *path;	   /**< JSON pointer of the request item, for errors */
};

/**
 * Hooks of a type; any may be NULL. Deltas come in transaction order, at
 * most one per object (an add then set within one transaction is one ADD).
 */
struct evs_store_ops {
	/** Cross-field and cross-object rules of one new or changed object,
	 * read against the post-transaction state. */
	int (*check)(struct evs_store *st, const json_t *obj, const char *path,
		     struct evs_ctl_err *err, void *ctx);
	/** Whole-type rules over the deltas (capacity of the real table). */
	int (*validate)(struct evs_store *st, const struct evs_store_delta *d, size_t n,
			struct evs_ctl_err *err, void *ctx);
	/** Stage the change in the datapath tables; may fail. */
	int (*prepare)(struct evs_store *st, const struct evs_store_delta *d, size_t n,
		       struct evs_ctl_err *err, void *ctx);
	/** After the type's last prepare call, once, with all its deltas: the
	 * work of the whole change (an ACL compile) for a type whose prepare
	 * runs in slices, or of a type whose change is one rebuild (then
	 * prepare may be NULL); may fail (abort then runs with every delta). */
	int (*prepare_end)(struct evs_store *st, const struct evs_store_delta *d, size_t n,
			   struct evs_ctl_err *err, void *ctx);
	/** Make it final; cannot fail. */
	void (*commit)(struct evs_store *st, const struct evs_store_delta *d, size_t n, void *ctx);
	/** Undo prepare (also called on the type whose prepare failed). */
	void (*abort)(struct evs_store *st, const struct evs_store_delta *d, size_t n, void *ctx);
	/** Runtime state of an object (a port's link, index), merged into
	 * TYPE.get and TYPE.list replies; NULL: none. A new reference. */
	json_t *(*status)(struct evs_store *st, struct evs_store_obj *o, void *ctx);
};

/** An object type, declared once by the module that owns it. */
struct evs_obj_type {
	const char *name;		    /**< "port": methods are port.add, port.list, ... */
	const char *section;		    /**< key in the config document: "ports" */
	const char *help;		    /**< one line */
	const struct evs_ctl_param *fields; /**< checked with evs_ctl_validate() */
	size_t n_fields;
	const char *defaults; /**< JSON object: defaults of optional fields, or NULL */
	const char *const
	    *keys; /**< NULL-terminated key field names (required strings/MACs/ints) */
	const struct evs_store_ref *refs;
	size_t n_refs;
	uint32_t max_objects; /**< 0: unlimited */
	const struct evs_store_ops *ops;
	/**
	 * ops->prepare may run on consecutive slices of the type's deltas (a
	 * large transaction is then prepared between other clients' requests):
	 * each call gets the next run of them; commit gets them all at once,
	 * abort every delta given to prepare (the failed call's included).
	 */
	bool prepare_sliced;
	/** Deltas per sliced prepare call; 0: 512. Smaller for a type whose
	 * delta is costly (a VIP's Maglev table), so one call fits a step. */
	uint32_t prepare_slice;
};

/* --- Store ----------------------------------------------------------- */

/** @return a new empty store, or NULL with errno ENOMEM. */
struct evs_store *evs_store_create(void);

/** Free a store and its objects. NULL is accepted. */
void evs_store_free(struct evs_store *st);

/**
 * Add a type; its refs must name types added before it (so that
 * registration order is dependency order). @p ctx goes to its hooks.
 * @return 0, or -EINVAL (bad declaration, unknown ref type, defaults not
 *   valid), -EEXIST (name or section taken), -ENOSPC (too many types),
 *   -EBUSY (the store already holds objects), -ENOMEM.
 */
int evs_store_type_add(struct evs_store *st, const struct evs_obj_type *t, void *ctx);

/**
 * Hooks around the types' own, for work that spans types (build and
 * publish one datapath snapshot): prepare runs after every type prepared
 * (may fail: it cleans up after itself, then every type is aborted), commit
 * after every type committed, abort before the types' aborts. Only run for
 * transactions with deltas. Any member may be NULL.
 */
struct evs_store_txn_hooks {
	int (*prepare)(struct evs_store *st, struct evs_ctl_err *err, void *ctx);
	void (*commit)(struct evs_store *st, void *ctx);
	void (*abort)(struct evs_store *st, void *ctx);
};

/** Set (or with NULL clear) the transaction-wide hooks; @p h must outlive the store. */
void evs_store_txn_hooks_set(struct evs_store *st, const struct evs_store_txn_hooks *h, void *ctx);

/**
 * A section of the config document that is one JSON value owned by a
 * library (the socket's access policy), not a list of objects: config.apply
 * replaces it as a whole in the same transaction (a change bumps the
 * generation; a failed transaction restores it), config.get shows it.
 */
struct evs_store_section {
	const char *name; /**< key in the document */
	/** Check a new value at JSON pointer @p path (NULL: the section is left out). */
	int (*check)(const json_t *v, const char *path, struct evs_ctl_err *err, void *ctx);
};

/** Add a section (at most 8). @return 0, -EEXIST (name taken), -ENOSPC, -EINVAL. */
int evs_store_section_add(struct evs_store *st, const struct evs_store_section *s, void *ctx);

/** A section's value (borrowed), or NULL when the document has none. */
const json_t *evs_store_section_get(const struct evs_store *st, const char *name);

/** Number of types and the i-th in registration order (NULL past the end). */
unsigned int evs_store_type_count(const struct evs_store *st);
const struct evs_obj_type *evs_store_type_at(const struct evs_store *st, unsigned int i);
/** The type named @p name, or NULL. */
const struct evs_obj_type *evs_store_type_find(const struct evs_store *st, const char *name);

/** Generation: 0 when created, +1 per committed transaction that changed something. */
uint64_t evs_store_generation(const struct evs_store *st);

/** Objects the last committed transaction added, changed or deleted (cascades included). */
size_t evs_store_last_changes(const struct evs_store *st);

/** Objects of a type (0 for an unknown type). */
size_t evs_store_count(const struct evs_store *st, const char *type);

/**
 * The object of @p type whose key fields equal those of @p key_obj (an
 * object holding at least the key fields), or NULL.
 */
struct evs_store_obj *evs_store_lookup(const struct evs_store *st, const char *type,
				       const json_t *key_obj);
/** evs_store_lookup() for a type with a single string key. */
struct evs_store_obj *evs_store_lookup_str(const struct evs_store *st, const char *type,
					   const char *key);

/** First object of @p type in insertion order, or NULL. */
struct evs_store_obj *evs_store_first(const struct evs_store *st, const char *type);
/** Next object of the same type, or NULL. */
struct evs_store_obj *evs_store_next(const struct evs_store_obj *o);

/** The object's value (borrowed; valid until the object is changed). */
const json_t *evs_store_obj_value(const struct evs_store_obj *o);
/** Its canonical key string (fields joined by '|', MACs lower case). */
const char *evs_store_obj_key(const struct evs_store_obj *o);
/** Objects of type @p from_type whose ref @p field points at @p o. */
uint32_t evs_store_obj_refcount(const struct evs_store_obj *o, const char *from_type,
				const char *field);
/** A word the owning module may keep per object (a port slot, a switch id). */
uintptr_t *evs_store_obj_aux(struct evs_store_obj *o);
/**
 * The object that reference @p ref (an index in the type's refs) of @p o
 * names (the first, for a ref into an array), or NULL (none, or not
 * resolved yet). References are resolved before any hook runs: a hook gets
 * a delta's targets without looking their names up again.
 */
struct evs_store_obj *evs_store_obj_target(const struct evs_store_obj *o, unsigned int ref);

/**
 * Field @p name of @p v (an object of type @p t): its value, else the
 * type's default, else NULL. Borrowed.
 */
const json_t *evs_store_field(const struct evs_store *st, const char *type, const json_t *v,
			      const char *name);

/**
 * Keep secret field values (evs_ctl_param.secret) in @p sec (NULL: in memory
 * only): each committed transaction that changes one rewrites it once, after
 * the hooks prepared (a failed write fails the transaction), and "<set>"
 * read from a document or record is resolved from it. Entries are named
 * "TYPE:KEY:FIELD". @p sec must outlive the store. See doc/store.md.
 */
void evs_store_secrets_attach(struct evs_store *st, struct evs_secrets *sec);

/**
 * @p records (as evs_store_last_records()) as they may leave the process
 * (journal, events): secret fields read "<set>". A new reference (the same
 * array when no record has a secret), or NULL (out of memory).
 */
json_t *evs_store_records_public(const struct evs_store *st, const json_t *records);

struct evs_recs;
/** The same for records in compact form: a new reference, or NULL (ENOMEM). */
struct evs_recs *evs_store_recs_public(const struct evs_store *st, const struct evs_recs *rs);

/* --- Transactions --------------------------------------------------------- */

struct evs_store_txn;

/** Start a transaction. Only one may be open. @return it, or NULL (errno EBUSY, ENOMEM). */
struct evs_store_txn *evs_store_txn_begin(struct evs_store *st);

/**
 * Stage one change: @p value holds the key fields (and, for ADD/SET, the
 * fields; reference stolen). @p path is the request item's JSON pointer for
 * errors ("/params/ops/3"). The store is changed at once (in place, undo
 * logged); references and capacities are checked at commit.
 * @return 0, or -EINVAL (fields invalid), -EEXIST (ADD of a taken key),
 *   -ENOENT (DEL/SET of a missing object, unknown type), -ENOMEM; the
 *   transaction stays open either way and @p err says what and where.
 */
int evs_store_txn_op(struct evs_store_txn *txn, enum evs_store_op op, const char *type,
		     json_t *value, const char *path, struct evs_ctl_err *err);

/**
 * Validate the whole post-transaction state, run the hooks and close the
 * transaction. On failure every change is undone and @p err filled.
 * @return 0, or -ENOENT (dangling reference), -EBUSY (deleted object still
 *   referenced), -ENOSPC (capacity), or a hook's -errno.
 */
int evs_store_txn_commit(struct evs_store_txn *txn, struct evs_ctl_err *err);

/** Undo every change and close the transaction. NULL is accepted. */
void evs_store_txn_abort(struct evs_store_txn *txn);

/**
 * Keep each committed transaction's changes as records (the journal's unit):
 * an array of {"op":"add","type":T,"new":V}, {"op":"del","type":T,"old":V},
 * {"op":"set","type":T,"old":V,"new":V} and {"op":"section","name":N,
 * "old":V|null,"new":V|null}. Costs O(changes) per transaction; off by default.
 */
void evs_store_record_changes(struct evs_store *st, bool on);

/**
 * Records of the last committed transaction that changed something
 * (borrowed; valid until the next commit), or NULL: recording off, nothing
 * changed, or out of memory building them (evs_store_last_changes() > 0).
 */
const json_t *evs_store_last_records(const struct evs_store *st);

struct evs_recs;
/**
 * The same records in compact form (evs_recs.h; borrowed: take a reference
 * with evs_recs_ref() to keep them past the next commit), or NULL.
 */
const struct evs_recs *evs_store_last_recs(const struct evs_store *st);

/**
 * Drop a reference to records taken from evs_store_last_recs(): the last
 * one of a large list is let go of in steps by evs_store_ctl_poll(), not
 * here. NULL accepted.
 */
void evs_store_recs_drop(struct evs_store *st, struct evs_recs *rs);

/**
 * Stage @p records (as evs_store_last_records()) into @p txn: forwards
 * (replay at restart) or, with @p undo, backwards from the last record (undo
 * of changes that never reached the disk). A "set" replaces the whole object.
 * A "del" of an object a cascade already deleted here is a no-op.
 * @return 0, or -EINVAL (not a record), -ENOENT (names a missing object), or
 *   as evs_store_txn_op(); @p err says which record (@p path/index).
 */
int evs_store_txn_records(struct evs_store_txn *txn, const json_t *records, bool undo,
			  const char *path, struct evs_ctl_err *err);

/** The same from records in compact form (evs_store_last_recs()). */
int evs_store_txn_recs(struct evs_store_txn *txn, const struct evs_recs *rs, bool undo,
		       const char *path, struct evs_ctl_err *err);

/** Deltas staged so far (for a reply: "changed"). */
size_t evs_store_txn_size(const struct evs_store_txn *txn);

/* --- Documents --------------------------------------------------------------- */

/**
 * The config document: {section: [objects in insertion order]} for every
 * type, secret fields reading "<set>". @return a new object, or NULL.
 */
json_t *evs_store_doc(const struct evs_store *st);

/** The same document built in steps, between other work (a million objects
 * take ~20-30 ms). */
struct evs_store_doc_build;

/** Start one. @return it, or NULL (errno ENOMEM). */
struct evs_store_doc_build *evs_store_doc_begin(const struct evs_store *st);

/**
 * Add up to @p n more objects.
 * @return 1 (more to do), 0 (*doc is the document: a new reference, the
 *   committed state as of evs_store_doc_begin()), -ESTALE (a transaction
 *   began or ended since: free it and begin again), -ENOMEM.
 */
int evs_store_doc_step(struct evs_store_doc_build *b, size_t n, json_t **doc);

/** Free a build (finished or not). NULL is accepted. */
void evs_store_doc_build_free(struct evs_store_doc_build *b);

/**
 * Stage into @p txn the difference between the store and @p doc (a whole
 * desired state at JSON pointer @p path): objects absent from @p doc are
 * deleted (referrers first), new ones added, changed ones set (replaced);
 * equal ones are not touched. Sections missing from @p doc mean "none".
 * @return 0, or -EINVAL (not a document, unknown section, duplicate key),
 *   or as evs_store_txn_op().
 */
int evs_store_txn_doc(struct evs_store_txn *txn, const json_t *doc, const char *path,
		      struct evs_ctl_err *err);

/**
 * Check that string field @p field of @p obj, if present and not "", is a
 * name: [A-Za-z0-9_.-] only (names end up in file paths and log lines).
 * @return 0, or -EINVAL with @p err at path/field.
 */
int evs_store_check_name(const json_t *obj, const char *field, const char *path,
			 struct evs_ctl_err *err);

/* --- Errors ------------------------------------------------------------------- */

/** -errno -> JSON-RPC error code: lib/ctl's one table (evs_ctl_errno_code()). */
int evs_store_rpc_code(int neg_errno);

/**
 * Fill @p err with the code of @p neg_errno, @p path and a message.
 * @return @p neg_errno, so callers can `return evs_store_err(...)`.
 */
int evs_store_err(struct evs_ctl_err *err, int neg_errno, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* --- Control methods (store_ctl.c) -------------------------------------------- */

/** What evs_store_ctl_register() generates methods for. */
struct evs_store_ctl_config {
	struct evs_store *store;
	/** After every committed transaction that changed something: make it
	 * durable. It may defer @p call (the generated answer is then held
	 * until it releases it). Return 0 to answer as usual, or -errno after
	 * answering @p call itself. May be NULL. */
	int (*on_commit)(struct evs_store *st, struct evs_ctl_call *call, void *arg);
	/** For requests with "wait": return once every datapath thread runs
	 * generation @p gen, or -ETIMEDOUT. May be NULL (wait is then a no-op). */
	int (*wait)(struct evs_store *st, uint64_t gen, void *arg);
	/** For requests with "wait", preferred over @c wait: arrange for @p
	 * call's answer (maybe already held by on_commit) to go out only once
	 * every datapath thread runs generation @p gen, or to become an error
	 * after a timeout, without blocking. Return 0 to answer as usual (the
	 * answer is then held), or -errno after answering @p call. May be NULL. */
	int (*wait_defer)(struct evs_store *st, uint64_t gen, struct evs_ctl_call *call, void *arg);
	void *arg;
	/** NULL-terminated names of methods not to generate (the app's own). */
	const char *const *skip;
	/** A config.apply or transact of this many objects or more is applied
	 * in steps by evs_store_ctl_poll(); 0: 4096. */
	uint32_t slice_min;
	/** Time a step may take, in microseconds; 0: 5000. */
	uint32_t slice_us;
	/** Mutations that may wait behind a large transaction; 0: 64. */
	uint32_t queue_max;
	/** How long one may wait before it is refused as busy, in ms; 0: 30000. */
	uint32_t queue_ms;
};

/**
 * Register, for every type, TYPE.add/.del/.set/.get/.list generated from its
 * schema, and "transact", "schema", "config.get" and "config.apply". Every
 * mutating method takes optional "expect_generation" (refused with
 * EVS_STORE_E_CONFLICT when the store moved on) and "wait"; replies carry
 * "generation". Call after every type is added; @p cfg is copied.
 * @return 0, or -ENOMEM, or the -errno of evs_ctl_register().
 */
int evs_store_ctl_register(struct evs_ctl *ctl, const struct evs_store_ctl_config *cfg);

/**
 * Large transactions. A config.apply or transact of at least slice_min
 * objects is staged and committed in steps of at most slice_us between
 * polls, all or nothing as any transaction. Meanwhile reads (TYPE.get,
 * TYPE.list, config.get, evs_store_doc()) answer from the last committed
 * state, and mutations from any client wait in a queue, in arrival order
 * (queue_max of them, queue_ms each), or are refused with -32002 "busy".
 * Call evs_store_ctl_poll() after every evs_ctl_poll() and do not sleep
 * while it returns 1. Management lcore.
 *
 * @return 1 while work remains (a transaction in steps or queued
 *   mutations), 0 when idle.
 */
int evs_store_ctl_poll(struct evs_store *st);

/** True while a large transaction runs in steps or mutations wait for it. */
bool evs_store_ctl_busy(const struct evs_store *st);

/**
 * Abort the large transaction running in steps, if any (its caller gets
 * -32003 "not applied: @p why"): for a commit path that must undo earlier
 * changes and needs the store's one transaction.
 */
void evs_store_ctl_cancel(struct evs_store *st, const char *why);

/** How large transactions ran in steps (evs_store_ctl_stats_get()). */
struct evs_store_ctl_stats {
	uint64_t large;		  /**< transactions run in steps */
	uint64_t steps;		  /**< steps, every transaction */
	uint64_t step_max_ns;	  /**< the longest step, wall clock */
	uint64_t step_max_cpu_ns; /**< the longest step, the lcore's CPU time */
	/** The last (or running) one: its steps, its longest step's wall and
	 * CPU time and the phase that step began in ("stage", "validate",
	 * "prepare", "commit", "records", ...), its CPU time in all. */
	uint64_t last_steps, last_max_ns, last_max_cpu_ns, last_cpu_ns;
	const char *last_max_phase;
};

/** Copy the step counters of @p st's generated methods. 0, or -EINVAL if
 * evs_store_ctl_register() was not called. Management lcore. Also the
 * read-only method "store.stats". */
int evs_store_ctl_stats_get(const struct evs_store *st, struct evs_store_ctl_stats *out);

/**
 * Run one generated method's operation inside an open transaction, as
 * "transact" does: @p method is "TYPE.add|del|set", @p params its params
 * (borrowed), @p path their JSON pointer.
 * @return as evs_store_txn_op(); -ENOENT for an unknown method.
 */
int evs_store_txn_method(struct evs_store_txn *txn, const char *method, const json_t *params,
			 const char *path, struct evs_ctl_err *err);

#ifdef __cplusplus
}
#endif

#endif /* EVS_STORE_H */
