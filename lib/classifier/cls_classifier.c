/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Lifecycle, install/remove/modify, subtables, expiry, flush, walks and
 * requests. Everything here except create/free/request runs on the owner
 * lcore; the writes other lcores may observe (entries, subtable masks, hwm,
 * counters) go through sequence counters or relaxed/release stores.
 */

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <rte_cycles.h>
#include <rte_pause.h>

#include "cls_private.h"

RTE_LOG_REGISTER_DEFAULT(evs_cls_logtype, INFO);

#define CLS_DEFAULT_MAX_FLOWS 262144u
#define CLS_DEFAULT_MAX_SUBTABLES 1024u
#define CLS_DEFAULT_EMC_ENTRIES 8192u
#define CLS_MAX_EMC_ENTRIES (1u << 24)
#define CLS_DEFAULT_EMC_ONE_IN 100u
#define CLS_DEFAULT_EMC_MIN_SUBTABLES 2u
#define CLS_DEFAULT_ACTIONS_MAX 64u
#define CLS_DEFAULT_RESORT 1024u
#define CLS_DEFAULT_EXPIRE_BATCH 16384u
#define CLS_DEFAULT_REVAL_BATCH 1024u
#define CLS_MIGRATE_SERVICE 256u /* buckets drained per resizing table per service call */
#define CLS_FREE_END UINT32_MAX

/* A lookup compares within the first two lines (version..key). */
static_assert(offsetof(struct evs_megaflow, key) + sizeof(struct evs_flow_key) == 128,
	      "hot part of an entry is two cache lines");
static_assert(sizeof(struct cls_emc_entry) == 192, "EMC way: three cache lines, key from line 0");
static_assert(EVS_FLOW_KEY_WORDS * 8 == sizeof(struct evs_flow_key), "key is whole words");

static void *map_zeroed(size_t bytes)
{
	/* Reserved, committed on first touch (by the owner, so on its NUMA node). */
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

struct evs_cls *evs_cls_create(const struct evs_cls_config *cfg)
{
	struct evs_cls_config c = {0};
	struct evs_cls *cls;
	uint32_t emc_entries;
	size_t hdr = offsetof(struct evs_megaflow, actions);
	int err = EINVAL;

	if (cfg != NULL)
		c = *cfg;
	c.max_flows = c.max_flows ? c.max_flows : CLS_DEFAULT_MAX_FLOWS;
	c.max_subtables = c.max_subtables ? c.max_subtables : CLS_DEFAULT_MAX_SUBTABLES;
	emc_entries = c.emc_entries ? c.emc_entries : CLS_DEFAULT_EMC_ENTRIES;
	c.emc_insert_one_in = c.emc_insert_one_in ? c.emc_insert_one_in : CLS_DEFAULT_EMC_ONE_IN;
	c.actions_max = c.actions_max ? c.actions_max : CLS_DEFAULT_ACTIONS_MAX;
	c.resort_interval = c.resort_interval ? c.resort_interval : CLS_DEFAULT_RESORT;
	if (c.max_flows >= CLS_FREE_END || c.max_subtables >= CLS_NO_SUBTABLE ||
	    c.actions_max > EVS_CLS_ACTIONS_MAX || emc_entries > CLS_MAX_EMC_ENTRIES) {
		CLS_LOG(ERR, "create: config out of range\n");
		goto fail;
	}

	err = ENOMEM;
	cls = aligned_alloc(RTE_CACHE_LINE_SIZE, sizeof(*cls));
	if (cls == NULL)
		goto fail;
	memset(cls, 0, sizeof(*cls));
	snprintf(cls->name, sizeof(cls->name), "%s", c.name ? c.name : "cls");
	cls->slot_size = RTE_ALIGN_CEIL(hdr + c.actions_max, RTE_CACHE_LINE_SIZE);
	/* Use the padding of the last line: the effective limit may exceed the asked one. */
	cls->actions_max = (uint16_t)RTE_MIN(cls->slot_size - hdr, EVS_CLS_ACTIONS_MAX);
	cls->max_flows = c.max_flows;
	cls->max_subtables = c.max_subtables;
	cls->expire_batch = c.expire_batch ? c.expire_batch : CLS_DEFAULT_EXPIRE_BATCH;
	cls->reval_batch = c.reval_batch ? c.reval_batch : CLS_DEFAULT_REVAL_BATCH;
	cls->reval_cursor = EVS_CLS_CURSOR_END;
	cls->resort_interval = c.resort_interval;
	cls->free_head = CLS_FREE_END;
	cls->next_id = 1;
	cls->rng = c.seed ? c.seed : (rte_rdtsc() | 1);
	cls->emc_insert_thresh = UINT32_MAX / c.emc_insert_one_in;
	cls->emc_min_subtables =
	    c.emc_min_subtables ? c.emc_min_subtables : CLS_DEFAULT_EMC_MIN_SUBTABLES;

	cls->pool_bytes = (size_t)cls->max_flows * cls->slot_size;
	cls->pool = map_zeroed(cls->pool_bytes);
	if (cls->pool == NULL)
		goto free_cls;
	cls->subtables = aligned_alloc(RTE_CACHE_LINE_SIZE,
				       (size_t)cls->max_subtables * sizeof(*cls->subtables));
	if (cls->subtables == NULL)
		goto unmap_pool;
	memset(cls->subtables, 0, (size_t)cls->max_subtables * sizeof(*cls->subtables));
	cls->order = calloc(cls->max_subtables, sizeof(*cls->order));
	if (cls->order == NULL)
		goto free_subtables;
	if (!c.emc_disable) {
		emc_entries = RTE_MAX(rte_align32pow2(emc_entries), 2u);
		cls->emc_bytes = (size_t)emc_entries * sizeof(struct cls_emc_entry);
		cls->emc = map_zeroed(cls->emc_bytes);
		if (cls->emc == NULL)
			goto free_order;
		cls->emc_set_mask = emc_entries / 2 - 1;
		cls->emc_active = true;
		cls->st.emc_active = 1;
	}
	CLS_LOG(DEBUG, "%s: max_flows %u, entry %u bytes, actions_max %u, emc %u entries\n",
		cls->name, cls->max_flows, cls->slot_size, cls->actions_max,
		cls->emc ? emc_entries : 0);
	return cls;

free_order:
	free(cls->order);
free_subtables:
	free(cls->subtables);
unmap_pool:
	munmap(cls->pool, cls->pool_bytes);
free_cls:
	free(cls);
fail:
	errno = err;
	return NULL;
}

void evs_cls_free(struct evs_cls *cls)
{
	if (cls == NULL)
		return;
	for (uint32_t i = 0; i < cls->n_active; i++)
		cls_table_fini(&cls->order[i]->t);
	if (cls->emc != NULL)
		munmap(cls->emc, cls->emc_bytes);
	free(cls->order);
	free(cls->subtables);
	munmap(cls->pool, cls->pool_bytes);
	free(cls);
}

uint16_t evs_cls_actions_max(const struct evs_cls *cls)
{
	return cls == NULL ? 0 : cls->actions_max;
}

/* ---- subtables ---- */

static struct cls_subtable *subtable_find(const struct evs_cls *cls,
					  const struct evs_flow_mask *mask)
{
	for (uint32_t i = 0; i < cls->n_active; i++)
		if (memcmp(&cls->order[i]->mask, mask, sizeof(*mask)) == 0)
			return cls->order[i];
	return NULL;
}

static int subtable_create(struct evs_cls *cls, const struct evs_flow_mask *mask,
			   struct cls_subtable **out)
{
	const evs_flow_word_t *mw = (const evs_flow_word_t *)&mask->bits;
	struct cls_subtable *st = NULL;
	int rc;

	if (cls->n_active >= cls->max_subtables)
		return -ENOSPC;
	for (uint32_t i = 0; i < cls->max_subtables; i++) {
		if (!cls->subtables[i].live) {
			st = &cls->subtables[i];
			st->index = (uint16_t)i;
			break;
		}
	}
	if (st == NULL)
		return -ENOSPC;
	rc = cls_table_init(&st->t, 8);
	if (rc < 0)
		return rc;
	st->n_words = 0;
	for (unsigned int w = 0; w < EVS_FLOW_KEY_WORDS; w++) {
		if (mw[w] != 0) {
			st->w[st->n_words] = (uint8_t)w;
			st->mw[st->n_words] = mw[w];
			st->n_words++;
		}
	}
	st->window_hits = 0;
	st->score = 0;
	cls_write_begin(&st->seq);
	st->mask = *mask;
	st->live = 1;
	cls_write_end(&st->seq);
	/* Relaxed: readers only want values; the mask is covered by seq. */
	__atomic_store_n(&st->n_flows, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&st->hits, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&st->rank, cls->n_active, __ATOMIC_RELAXED);
	cls->order[cls->n_active++] = st; /* new masks go last until the next re-sort */
	cls->n_busy = cls->n_active;	  /* busy until a period says otherwise */
	__atomic_store_n(&cls->st.n_subtables, cls->n_active, __ATOMIC_RELAXED);
	*out = st;
	return 0;
}

static void subtable_destroy(struct evs_cls *cls, struct cls_subtable *st)
{
	uint32_t pos = 0;

	while (pos < cls->n_active && cls->order[pos] != st)
		pos++;
	RTE_ASSERT(pos < cls->n_active);
	for (uint32_t i = pos; i + 1 < cls->n_active; i++) {
		cls->order[i] = cls->order[i + 1];
		__atomic_store_n(&cls->order[i]->rank, i, __ATOMIC_RELAXED);
	}
	cls->n_active--;
	cls->n_busy = RTE_MIN(cls->n_busy, cls->n_active);
	__atomic_store_n(&cls->st.n_subtables, cls->n_active, __ATOMIC_RELAXED);
	cls_table_fini(&st->t);
	cls_write_begin(&st->seq);
	st->live = 0;
	cls_write_end(&st->seq);
}

void evs_cls_resort(struct evs_cls *cls)
{
	struct cls_subtable **o = cls->order;
	uint64_t hits = 0;
	uint32_t busy = 0;

	for (uint32_t i = 0; i < cls->n_active; i++)
		hits += o[i]->window_hits;
	for (uint32_t i = 0; i < cls->n_active; i++) {
		busy += hits != 0 && o[i]->window_hits * CLS_BUSY_SHARE >= hits;
		/* Halve the history each period so the order follows the current traffic. */
		o[i]->score = o[i]->score / 2 + o[i]->window_hits;
		o[i]->window_hits = 0;
	}
	/* a period the EMC served alone says nothing about the masks */
	if (hits != 0)
		cls->n_busy = busy;
	/* Insertion sort: a few dozen subtables, mostly already in order. */
	for (uint32_t i = 1; i < cls->n_active; i++) {
		struct cls_subtable *st = o[i];
		uint32_t j = i;

		while (j > 0 && o[j - 1]->score < st->score) {
			o[j] = o[j - 1];
			j--;
		}
		o[j] = st;
	}
	for (uint32_t i = 0; i < cls->n_active; i++)
		__atomic_store_n(&o[i]->rank, i, __ATOMIC_RELAXED);
	if (cls->emc != NULL) {
		bool on = cls->win_emc_hits * CLS_EMC_MIN_SHARE >= cls->win_emc_lookups;

		if (on != cls->emc_active)
			__atomic_store_n(&cls->st.emc_active, on, __ATOMIC_RELAXED);
		cls->emc_active = on;
		cls->win_emc_lookups = 0;
		cls->win_emc_hits = 0;
	}
	cls->bursts_since_sort = 0;
	cls_cnt_add(&cls->st.resorts, 1);
}

/* ---- entries ---- */

static bool flow_is_live(const struct evs_cls *cls, const struct evs_megaflow *f)
{
	const uint8_t *p = (const uint8_t *)f;

	if (cls == NULL || f == NULL || p < cls->pool ||
	    p >= cls->pool + (size_t)cls->hwm * cls->slot_size ||
	    (size_t)(p - cls->pool) % cls->slot_size != 0)
		return false;
	return f->live != 0;
}

/* Mark a slot dead (EMC entries pointing to it stop matching) and free it. */
static void slot_kill(struct evs_cls *cls, struct evs_megaflow *f)
{
	cls_write_begin(&f->version);
	f->live = 0;
	f->subtable = CLS_NO_SUBTABLE;
	cls_write_end(&f->version);
	f->next_free = cls->free_head;
	cls->free_head = cls_slot_index(cls, f);
	cls->kills++;
	__atomic_store_n(&cls->st.n_flows, cls->st.n_flows - 1, __ATOMIC_RELAXED);
}

uint64_t evs_cls_kills(const struct evs_cls *cls)
{
	return cls->kills;
}

static void flow_unlink(struct evs_cls *cls, struct evs_megaflow *f)
{
	struct cls_subtable *st = &cls->subtables[f->subtable];

	cls_table_remove(&st->t, f->hash, cls_slot_index(cls, f));
	cls->migrating |= st->t.old != NULL;
	slot_kill(cls, f);
	__atomic_store_n(&st->n_flows, st->n_flows - 1, __ATOMIC_RELAXED);
	if (st->n_flows == 0)
		subtable_destroy(cls, st);
}

int evs_cls_install(struct evs_cls *cls, const struct evs_flow_key *key,
		    const struct evs_megaflow_spec *spec, struct evs_megaflow **flow)
{
	struct cls_subtable *st;
	struct evs_flow_key mk;
	struct evs_megaflow *f;
	bool new_st = false;
	uint32_t hash = 0, idx;
	uint64_t now;
	int rc;

	if (flow != NULL)
		*flow = NULL;
	if (cls == NULL || key == NULL || spec == NULL || spec->mask == NULL ||
	    (spec->actions == NULL && spec->actions_len != 0))
		return -EINVAL;
	if (spec->actions_len > cls->actions_max)
		return -E2BIG;
	evs_flow_key_apply_mask(&mk, key, spec->mask);

	st = subtable_find(cls, spec->mask);
	if (st != NULL) {
		hash = cls_masked_hash(st, &mk);
		f = cls_table_find(cls, st, &mk, hash);
		if (f != NULL) {
			if (flow != NULL)
				*flow = f;
			cls_cnt_add(&cls->st.install_dups, 1);
			return -EEXIST;
		}
	}
	if (cls->st.n_flows >= cls->max_flows) {
		cls_cnt_add(&cls->st.refused_flows, 1);
		return -ENOSPC;
	}
	if (st == NULL) {
		rc = subtable_create(cls, spec->mask, &st);
		if (rc < 0) {
			cls_cnt_add(
			    rc == -ENOSPC ? &cls->st.refused_subtables : &cls->st.refused_nomem, 1);
			return rc;
		}
		new_st = true;
		hash = cls_masked_hash(st, &mk);
	}

	/* A free slot exists: n_flows < max_flows. Fresh slots come from hwm. */
	idx = cls->free_head != CLS_FREE_END ? cls->free_head : cls->hwm;
	rc = cls_table_insert(&st->t, hash, idx);
	cls->migrating |= st->t.old != NULL;
	if (rc < 0) {
		if (new_st)
			subtable_destroy(cls, st);
		cls_cnt_add(&cls->st.refused_nomem, 1);
		return rc;
	}
	f = cls_slot(cls, idx);
	if (idx == cls->free_head)
		cls->free_head = f->next_free;

	now = rte_rdtsc();
	cls_write_begin(&f->version);
	f->subtable = st->index;
	f->actions_len = spec->actions_len;
	if (spec->actions_len != 0)
		memcpy(f->actions, spec->actions, spec->actions_len);
	f->key = mk;
	__atomic_store_n(&f->hits, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&f->bytes, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&f->last_used, now, __ATOMIC_RELAXED);
	f->created = now;
	f->id = cls->next_id++;
	f->gen = spec->gen;
	f->hash = hash;
	f->next_free = CLS_FREE_END;
	f->live = 1;
	cls_write_end(&f->version);
	/* Release: a dumper that sees the new hwm sees the initialised slot. */
	if (idx == cls->hwm)
		__atomic_store_n(&cls->hwm, idx + 1, __ATOMIC_RELEASE);

	__atomic_store_n(&st->n_flows, st->n_flows + 1, __ATOMIC_RELAXED);
	__atomic_store_n(&cls->st.n_flows, cls->st.n_flows + 1, __ATOMIC_RELAXED);
	cls_cnt_add(&cls->st.installs, 1);
	if (flow != NULL)
		*flow = f;
	return 0;
}

int evs_cls_modify(struct evs_cls *cls, struct evs_megaflow *flow, const void *actions,
		   uint16_t actions_len, uint32_t gen)
{
	if (!flow_is_live(cls, flow) || (actions == NULL && actions_len != 0))
		return -EINVAL;
	if (actions_len > cls->actions_max)
		return -E2BIG;
	/*
	 * The version changes, so EMC entries for this flow stop matching; they
	 * would still be right (same megaflow), but dumpers need the bump and
	 * re-inserting is cheap.
	 */
	cls_write_begin(&flow->version);
	if (actions_len != 0)
		memcpy(flow->actions, actions, actions_len);
	flow->actions_len = actions_len;
	flow->gen = gen;
	cls_write_end(&flow->version);
	cls_cnt_add(&cls->st.modifies, 1);
	return 0;
}

int evs_cls_remove(struct evs_cls *cls, struct evs_megaflow *flow)
{
	if (!flow_is_live(cls, flow))
		return -EINVAL;
	flow_unlink(cls, flow);
	cls_cnt_add(&cls->st.removals, 1);
	return 0;
}

const struct evs_flow_mask *evs_cls_flow_mask(const struct evs_cls *cls,
					      const struct evs_megaflow *flow)
{
	if (!flow_is_live(cls, flow))
		return NULL;
	return &cls->subtables[flow->subtable].mask;
}

unsigned int evs_cls_expire(struct evs_cls *cls, uint64_t now, uint64_t idle)
{
	uint32_t hwm, budget, i;
	unsigned int expired = 0;

	if (cls == NULL || cls->hwm == 0)
		return 0;
	hwm = cls->hwm;
	budget = RTE_MIN(cls->expire_batch, hwm);
	i = cls->expire_cursor < hwm ? cls->expire_cursor : 0;
	for (uint32_t n = 0; n < budget; n++) {
		struct evs_megaflow *f = cls_slot(cls, i);

		/* last_used may be a little ahead of a caller's older `now`. */
		if (f->live && now > f->last_used && now - f->last_used > idle) {
			flow_unlink(cls, f);
			expired++;
		}
		i = i + 1 < hwm ? i + 1 : 0;
	}
	cls->expire_cursor = i;
	cls_cnt_add(&cls->st.expirations, expired);
	return expired;
}

uint32_t evs_cls_expire_calls(const struct evs_cls *cls)
{
	if (cls == NULL || cls->hwm <= cls->expire_batch)
		return 1;
	return (cls->hwm + cls->expire_batch - 1) / cls->expire_batch;
}

unsigned int evs_cls_flush(struct evs_cls *cls)
{
	unsigned int n = 0;

	if (cls == NULL)
		return 0;
	/* No per-entry table removal: the tables go whole. */
	for (uint32_t i = 0; i < cls->hwm; i++) {
		struct evs_megaflow *f = cls_slot(cls, i);

		if (f->live) {
			slot_kill(cls, f);
			n++;
		}
	}
	while (cls->n_active > 0)
		subtable_destroy(cls, cls->order[cls->n_active - 1]);
	cls_cnt_add(&cls->st.flushed, n);
	return n;
}

int evs_cls_walk(struct evs_cls *cls, uint64_t *cursor, uint32_t budget, evs_cls_walk_fn fn,
		 void *arg)
{
	uint64_t i;
	int visited = 0;

	if (cls == NULL || cursor == NULL || fn == NULL)
		return -EINVAL;
	if (*cursor == EVS_CLS_CURSOR_END)
		return 0;
	for (i = *cursor; i < cls->hwm && (budget == 0 || (uint32_t)visited < budget); i++) {
		struct evs_megaflow *f = cls_slot(cls, (uint32_t)i);

		if (!f->live)
			continue;
		visited++;
		/* The callback may have removed it itself. */
		if (fn(cls, f, arg) == EVS_CLS_REMOVE && f->live) {
			flow_unlink(cls, f);
			cls_cnt_add(&cls->st.removals, 1);
		}
	}
	*cursor = i >= cls->hwm ? EVS_CLS_CURSOR_END : i;
	return visited;
}

void cls_emc_insert(struct evs_cls *cls, const struct evs_flow_key *key, uint32_t hash,
		    struct evs_megaflow *flow)
{
	struct cls_emc_entry *set = &cls->emc[(size_t)(hash & cls->emc_set_mask) * 2];
	struct cls_emc_entry *e = NULL;

	/* Prefer a way that holds nothing live; else evict one at random. */
	for (unsigned int w = 0; w < 2 && e == NULL; w++)
		if (set[w].flow == NULL || set[w].flow->version != set[w].version)
			e = &set[w];
	if (e == NULL)
		e = &set[cls_rand(cls) & 1];
	e->hash = hash;
	e->version = flow->version;
	e->flow = flow;
	e->key = *key;
	cls_cnt_add(&cls->st.emc_inserts, 1);
}

/* ---- requests ---- */

uint32_t evs_cls_request(struct evs_cls *cls, unsigned int req)
{
	/*
	 * The bits first (relaxed: ordered by the release below), then the
	 * ticket. An owner that sees the ticket (acquire) sees the bits, or
	 * consumed them in an earlier service call, after they were set.
	 */
	__atomic_fetch_or(&cls->req_bits, req, __ATOMIC_RELAXED);
	return __atomic_add_fetch(&cls->req_seq, 1, __ATOMIC_RELEASE);
}

bool evs_cls_request_done(const struct evs_cls *cls, uint32_t ticket)
{
	/* Acquire pairs with the owner's release after doing the work. */
	uint32_t done = __atomic_load_n(&cls->req_done, __ATOMIC_ACQUIRE);

	return (int32_t)(done - ticket) >= 0;
}

/* Drain resizing tables in the background, a bounded number of buckets per call. */
static void migrate_some(struct evs_cls *cls)
{
	bool any = false;

	for (uint32_t i = 0; i < cls->n_active; i++)
		any |= cls_table_migrate(&cls->order[i]->t, CLS_MIGRATE_SERVICE);
	cls->migrating = any;
}

unsigned int evs_cls_service(struct evs_cls *cls, evs_cls_walk_fn reval, void *arg)
{
	uint32_t seq = __atomic_load_n(&cls->req_seq, __ATOMIC_ACQUIRE);
	uint64_t removals = cls->st.removals;
	unsigned int removed = 0;

	if (unlikely(cls->migrating))
		migrate_some(cls);
	if (seq == cls->req_seen && cls->reval_cursor == EVS_CLS_CURSOR_END)
		return 0;
	if (seq != cls->req_seen) {
		/* Acquire: pairs with the request's release through req_seq. */
		uint32_t bits = __atomic_exchange_n(&cls->req_bits, 0, __ATOMIC_ACQUIRE);

		cls->req_seen = seq;
		if (reval == NULL && (bits & EVS_CLS_REQ_REVALIDATE))
			bits = EVS_CLS_REQ_FLUSH;
		if (bits & EVS_CLS_REQ_FLUSH) {
			/* Nothing left to revalidate: a running walk ends here too. */
			removed = evs_cls_flush(cls);
			cls->reval_cursor = EVS_CLS_CURSOR_END;
		} else if (bits & EVS_CLS_REQ_REVALIDATE) {
			/* A restart keeps the oldest unfinished ticket. */
			if (cls->reval_cursor == EVS_CLS_CURSOR_END)
				cls->reval_since = seq;
			cls->reval_cursor = 0;
		}
	}
	if (cls->reval_cursor != EVS_CLS_CURSOR_END) {
		if (reval == NULL) {
			removed += evs_cls_flush(cls);
			cls->reval_cursor = EVS_CLS_CURSOR_END;
		} else {
			evs_cls_walk(cls, &cls->reval_cursor, cls->reval_batch, reval, arg);
			removed += (unsigned int)(cls->st.removals - removals);
		}
	}
	/*
	 * Done up to req_seen, unless a walk is still running: then only up to
	 * the ticket before the one that started it. Release: the work above is
	 * visible to whoever sees its ticket done.
	 */
	__atomic_store_n(&cls->req_done,
			 cls->reval_cursor == EVS_CLS_CURSOR_END ? cls->req_seen
								 : cls->reval_since - 1,
			 __ATOMIC_RELEASE);
	return removed;
}
