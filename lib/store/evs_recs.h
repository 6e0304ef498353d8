/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_RECS_H
#define EVS_RECS_H

/*
 * A committed transaction's change records, the journal's unit, in compact
 * form: what a journal line holds as [{"op":"add","type":T,"new":V}, ...]
 * (doc/store.md). A bulk apply has a million of them; as jansson objects
 * they cost five allocations and ~500 bytes each (half the management
 * lcore's time of a 1M apply went to faulting those pages in), here 32
 * bytes. Immutable once built and shared by reference between the store,
 * the journal's writer thread and the undo of changes not durable yet; the
 * reference count is atomic.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

enum evs_rec_op { EVS_REC_ADD, EVS_REC_SET, EVS_REC_DEL, EVS_REC_SECTION };

struct evs_rec {
	uint8_t op;	  /* enum evs_rec_op */
	const char *name; /* the object type's or the section's (outlives the records) */
	json_t *old;	  /* references; NULL: absent (add; a section's null) */
	json_t *new;	  /* NULL: absent (del; a section's null) */
};

struct evs_recs {
	unsigned int refcnt;
	size_t n, cap;
	size_t released; /* evs_recs_release_step(): records let go of */
	struct evs_rec *r;
};

/** An empty list with one reference, or NULL (out of memory). */
struct evs_recs *evs_recs_new(void);

/** Append one record; references to @p old and @p new are taken. 0 or -ENOMEM. */
int evs_recs_push(struct evs_recs *rs, enum evs_rec_op op, const char *name, json_t *old,
		  json_t *new);

/** Another reference to @p rs (NULL accepted). */
struct evs_recs *evs_recs_ref(const struct evs_recs *rs);

/** Drop a reference; the last frees (NULL accepted). */
void evs_recs_unref(struct evs_recs *rs);

/** Whether the caller holds the only reference. */
bool evs_recs_sole(const struct evs_recs *rs);

/**
 * With the only reference: let go of up to @p max records' values (a
 * million scattered decrements take tens of ms). @return true when every
 * record is released (then evs_recs_unref() frees in O(1)).
 */
bool evs_recs_release_step(struct evs_recs *rs, size_t max);

/** The records as a journal line holds them (a new array), or NULL (ENOMEM). */
json_t *evs_recs_json(const struct evs_recs *rs);

/** The op's name in a record ("add", "set", "del", "section"). */
const char *evs_rec_op_name(enum evs_rec_op op);

#endif /* EVS_RECS_H */
