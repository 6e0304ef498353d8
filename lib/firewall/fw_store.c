/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Store hooks of the firewall types. Each type's prepare stages its deltas
 * in the library (additions and changes; rule deletions, which nothing
 * depends on), in slices of a large transaction (prepare_sliced: done_of
 * counts over every call), and its prepare_end compiles what is dirty so
 * far, once (evs_fw_prepare replaces the build of an earlier type of the
 * same transaction, so the last one holds everything); abort takes its
 * deltas back and drops the build;
 * the first commit publishes (one RCU grace), and address sets and groups
 * are deleted in commit, once the rules and ports naming them are gone (the
 * store has checked that they will be). Only the groups a transaction
 * touched are compiled again.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fw_store_private.h"

enum { T_ADDRSET, T_GROUP, T_RULE, T_PORT };

static const char *str(const json_t *o, const char *f)
{
	return json_string_value(json_object_get(o, f));
}

static int compile(struct evs_fw_store *b, struct evs_ctl_err *err)
{
	int rc = evs_fw_prepare(b->c.fw);

	if (rc == -ENOSPC)
		return evs_store_err(err, rc, "",
				     "more than %u remote tags (remote_tag) in all rules",
				     EVS_FW_REMOTE_TAGS_MAX);
	if (rc == -EEXIST)
		return evs_store_err(err, rc, "",
				     "two remote tags have one wire id (CRC32C of the names): "
				     "rename one");
	if (rc < 0)
		return evs_store_err(err, rc, "", "compiling the security groups: %s",
				     strerror(-rc));
	return 0;
}

/* Every type's prepare_end: the touched groups compiled once per type. */
static int prepare_end(struct evs_store *st, const struct evs_store_delta *d, size_t n,
		       struct evs_ctl_err *err, void *ctx)
{
	(void)st, (void)d, (void)n;
	return compile(ctx, err);
}

static void publish(struct evs_fw_store *b)
{
	/* every commit publishes: the transaction is final, nothing to abort */
	memset(b->done_of, 0, sizeof(b->done_of));
	evs_fw_publish(b->c.fw);
	if (b->c.changed != NULL)
		b->c.changed(b->c.arg);
}

/* ---- fw.addrset ---- */

static int addrset_apply(struct evs_fw *fw, const json_t *o)
{
	const json_t *pf = json_object_get(o, "prefixes");
	struct evs_fw_cidr *c = calloc(json_array_size(pf) + 1, sizeof(*c));
	const json_t *v;
	size_t i;
	int rc = 0;

	if (c == NULL)
		return -ENOMEM;
	json_array_foreach (pf, i, v) {
		if (rc == 0)
			rc = fw_cidr_parse(json_string_value(v), &c[i]);
	}
	if (rc == 0)
		rc = evs_fw_addrset_set(fw, str(o, "name"), c, (uint32_t)json_array_size(pf));
	free(c);
	return rc;
}

static int addrset_prepare(struct evs_store *st, const struct evs_store_delta *d, size_t n,
			   struct evs_ctl_err *err, void *ctx)
{
	struct evs_fw_store *b = ctx;
	size_t i;

	(void)st;
	for (i = 0; i < n; i++, b->done_of[T_ADDRSET]++) {
		int rc = d[i].op == EVS_STORE_DEL ? 0 : addrset_apply(b->c.fw, d[i].new);

		if (rc < 0)
			return evs_store_err(err, rc, d[i].path, "address set '%s': %s",
					     str(d[i].new, "name"), strerror(-rc));
	}
	return 0;
}

static void addrset_abort(struct evs_store *st, const struct evs_store_delta *d, size_t n,
			  void *ctx)
{
	struct evs_fw_store *b = ctx;
	size_t i = b->done_of[T_ADDRSET];

	(void)st, (void)n;
	evs_fw_abort(b->c.fw);
	while (i-- > 0) {
		/* the rules that named an added set were taken back before (abort
		 * runs in reverse type order), so these cannot fail */
		if (d[i].op == EVS_STORE_ADD)
			evs_fw_addrset_del(b->c.fw, str(d[i].new, "name"));
		else if (d[i].op == EVS_STORE_SET)
			addrset_apply(b->c.fw, d[i].old);
	}
	b->done_of[T_ADDRSET] = 0;
}

static void addrset_commit(struct evs_store *st, const struct evs_store_delta *d, size_t n,
			   void *ctx)
{
	struct evs_fw_store *b = ctx;

	(void)st;
	publish(b);
	for (size_t i = 0; i < n; i++)
		if (d[i].op == EVS_STORE_DEL)
			evs_fw_addrset_del(b->c.fw, str(d[i].old, "name"));
}

const struct evs_store_ops fw_addrset_ops = {
    .check = fw_addrset_check,
    .prepare = addrset_prepare,
    .prepare_end = prepare_end,
    .commit = addrset_commit,
    .abort = addrset_abort,
};

/* ---- fw.group ---- */

/* A group still named by a port cannot go (ports name groups in an array,
 * which store references do not cover). */
static int group_validate(struct evs_store *st, const struct evs_store_delta *d, size_t n,
			  struct evs_ctl_err *err, void *ctx)
{
	(void)ctx;
	for (size_t i = 0; i < n; i++) {
		const char *name = str(d[i].old, "name");

		if (d[i].op != EVS_STORE_DEL)
			continue;
		for (struct evs_store_obj *o = evs_store_first(st, "fw.port"); o != NULL;
		     o = evs_store_next(o)) {
			const json_t *g;
			size_t k;

			json_array_foreach (json_object_get(evs_store_obj_value(o), "groups"), k,
					    g) {
				if (strcmp(json_string_value(g), name) == 0)
					return evs_store_err(
					    err, -EBUSY, d[i].path,
					    "fw.group '%s' is in use by fw.port '%s'", name,
					    str(evs_store_obj_value(o), "port"));
			}
		}
	}
	return 0;
}

static int group_prepare(struct evs_store *st, const struct evs_store_delta *d, size_t n,
			 struct evs_ctl_err *err, void *ctx)
{
	struct evs_fw_store *b = ctx;
	size_t i;

	(void)st;
	for (i = 0; i < n; i++, b->done_of[T_GROUP]++) {
		int rc =
		    d[i].op == EVS_STORE_ADD ? evs_fw_group_add(b->c.fw, str(d[i].new, "name")) : 0;

		if (rc < 0)
			return evs_store_err(err, rc, d[i].path, "group '%s': %s",
					     str(d[i].new, "name"), strerror(-rc));
	}
	return 0;
}

static void group_abort(struct evs_store *st, const struct evs_store_delta *d, size_t n, void *ctx)
{
	struct evs_fw_store *b = ctx;
	size_t i = b->done_of[T_GROUP];

	(void)st, (void)n;
	evs_fw_abort(b->c.fw);
	while (i-- > 0)
		if (d[i].op == EVS_STORE_ADD)
			evs_fw_group_del(b->c.fw, str(d[i].new, "name"));
	b->done_of[T_GROUP] = 0;
}

static void group_commit(struct evs_store *st, const struct evs_store_delta *d, size_t n, void *ctx)
{
	struct evs_fw_store *b = ctx;

	(void)st;
	publish(b);
	/* its rules and ports let go of it in this transaction's prepare */
	for (size_t i = 0; i < n; i++)
		if (d[i].op == EVS_STORE_DEL)
			evs_fw_group_del(b->c.fw, str(d[i].old, "name"));
}

const struct evs_store_ops fw_group_ops = {
    .check = fw_group_check,
    .validate = group_validate,
    .prepare = group_prepare,
    .prepare_end = prepare_end,
    .commit = group_commit,
    .abort = group_abort,
};

/* ---- fw.rule ---- */

static int rule_add(struct evs_fw_store *b, struct evs_store *st, const json_t *o, const char *path,
		    struct evs_ctl_err *err)
{
	struct evs_fw_rule r;
	int rc = fw_rule_of(st, o, &r, path, err);

	if (rc == 0) {
		rc = evs_fw_rule_add(b->c.fw, str(o, "group"), &r);
		if (rc < 0)
			evs_store_err(err, rc, path, "rule %u: %s", r.id, strerror(-rc));
	}
	return rc;
}

static uint32_t rule_id(const json_t *o)
{
	return (uint32_t)json_integer_value(json_object_get(o, "id"));
}

static int rule_prepare(struct evs_store *st, const struct evs_store_delta *d, size_t n,
			struct evs_ctl_err *err, void *ctx)
{
	struct evs_fw_store *b = ctx;
	size_t i;

	for (i = 0; i < n; i++, b->done_of[T_RULE]++) {
		int rc = 0;

		if (d[i].op != EVS_STORE_ADD)
			evs_fw_rule_del(b->c.fw, rule_id(d[i].old));
		if (d[i].op != EVS_STORE_DEL)
			rc = rule_add(b, st, d[i].new, d[i].path, err);
		if (rc < 0) {
			struct evs_ctl_err ignored;

			/* this delta is not counted as done: take its half back now */
			if (d[i].op == EVS_STORE_SET)
				rule_add(b, st, d[i].old, d[i].path, &ignored);
			return rc;
		}
	}
	return 0;
}

static void rule_abort(struct evs_store *st, const struct evs_store_delta *d, size_t n, void *ctx)
{
	struct evs_fw_store *b = ctx;
	struct evs_ctl_err ignored;
	size_t i = b->done_of[T_RULE];

	(void)n;
	evs_fw_abort(b->c.fw);
	while (i-- > 0) {
		if (d[i].op != EVS_STORE_DEL)
			evs_fw_rule_del(b->c.fw, rule_id(d[i].new));
		if (d[i].op != EVS_STORE_ADD)
			rule_add(b, st, d[i].old, d[i].path, &ignored);
	}
	b->done_of[T_RULE] = 0;
}

static bool allowed_by(uint32_t mark, const uint8_t label[16], void *arg)
{
	uint32_t id = *(const uint32_t *)arg, eg, in;

	evs_fw_label_unpack(label, &eg, &in);
	return mark == id || eg == id || in == id;
}

static void rule_commit(struct evs_store *st, const struct evs_store_delta *d, size_t n, void *ctx)
{
	struct evs_fw_store *b = ctx;

	publish(b);
	/* after the publish: no lcore decides with the old rule any more */
	for (size_t i = 0; i < n && b->c.ct != NULL; i++) {
		uint32_t id;

		if (d[i].op == EVS_STORE_ADD ||
		    !json_is_true(evs_store_field(st, "fw.rule", d[i].old, "kill_on_delete")))
			continue;
		id = rule_id(d[i].old);
		evs_ct_flush_match(b->c.ct, b->c.zone, allowed_by, &id);
	}
}

static json_t *rule_status(struct evs_store *st, struct evs_store_obj *o, void *ctx)
{
	struct evs_fw_store *b = ctx;
	uint64_t hits = 0;

	(void)st;
	evs_fw_rule_hits(b->c.fw, rule_id(evs_store_obj_value(o)), &hits);
	return json_pack("{s:I}", "hits", (json_int_t)hits);
}

const struct evs_store_ops fw_rule_ops = {
    .check = fw_rule_check,
    .prepare = rule_prepare,
    .prepare_end = prepare_end,
    .commit = rule_commit,
    .abort = rule_abort,
    .status = rule_status,
};

/* ---- fw.port ---- */

/* The port's slot, kept in the object's aux word (slot + 1) from its add. */
static int port_slot(struct evs_fw_store *b, const struct evs_store_delta *d)
{
	uintptr_t *aux = evs_store_obj_aux(d->obj);

	if (*aux == 0) {
		int idx = b->c.port_index(str(d->new != NULL ? d->new : d->old, "port"), b->c.arg);

		if (idx < 0)
			return -ENOENT;
		*aux = (uintptr_t)idx + 1;
	}
	return (int)(*aux - 1);
}

static int port_apply(struct evs_fw_store *b, const struct evs_store_delta *d, const json_t *o)
{
	struct evs_fw_port_conf pc;
	int slot = port_slot(b, d);
	int rc = slot < 0 ? slot : fw_port_conf_of(o, &pc);

	return rc < 0 ? rc : evs_fw_port_set(b->c.fw, (uint16_t)slot, &pc);
}

static int port_prepare(struct evs_store *st, const struct evs_store_delta *d, size_t n,
			struct evs_ctl_err *err, void *ctx)
{
	struct evs_fw_store *b = ctx;
	size_t i;

	(void)st;
	for (i = 0; i < n; i++, b->done_of[T_PORT]++) {
		int rc = port_apply(b, &d[i], d[i].new);

		if (rc < 0)
			return evs_store_err(err, rc, d[i].path, "fw.port '%s': %s",
					     str(d[i].new != NULL ? d[i].new : d[i].old, "port"),
					     strerror(-rc));
	}
	return 0;
}

static void port_abort(struct evs_store *st, const struct evs_store_delta *d, size_t n, void *ctx)
{
	struct evs_fw_store *b = ctx;
	size_t i = b->done_of[T_PORT];

	(void)st, (void)n;
	evs_fw_abort(b->c.fw);
	while (i-- > 0)
		port_apply(b, &d[i], d[i].old); /* ADD: old is NULL, the empty conf */
	b->done_of[T_PORT] = 0;
}

static void port_commit(struct evs_store *st, const struct evs_store_delta *d, size_t n, void *ctx)
{
	(void)st, (void)d, (void)n;
	publish(ctx);
}

static json_t *port_status(struct evs_store *st, struct evs_store_obj *o, void *ctx)
{
	struct evs_fw_store *b = ctx;
	uintptr_t aux = *evs_store_obj_aux(o);

	(void)st;
	if (aux == 0)
		return NULL;
	return json_pack("{s:i,s:b}", "index", (int)(aux - 1), "filtered",
			 evs_fw_port_filtered(b->c.fw, (uint16_t)(aux - 1)));
}

const struct evs_store_ops fw_port_ops = {
    .check = fw_port_check,
    .prepare = port_prepare,
    .prepare_end = prepare_end,
    .commit = port_commit,
    .abort = port_abort,
    .status = port_status,
};

/* ---- fw.snat: the whole (small) table is rebuilt from the store ---- */

static int snat_prepare(struct evs_store *st, const struct evs_store_delta *d, size_t n,
			struct evs_ctl_err *err, void *ctx)
{
	struct evs_fw_store *b = ctx;
	size_t cnt = evs_store_count(st, "fw.snat"), k = 0;
	struct evs_fw_snat *r = calloc(cnt + 1, sizeof(*r));
	int rc = 0;

	(void)d, (void)n;
	if (r == NULL)
		return evs_store_err(err, -ENOMEM, "", "no memory for %zu SNAT rules", cnt);
	for (struct evs_store_obj *o = evs_store_first(st, "fw.snat"); o != NULL && rc == 0;
	     o = evs_store_next(o))
		rc = fw_snat_of(evs_store_obj_value(o), &r[k++], "", err);
	if (rc == 0) {
		rc = evs_fw_snat_stage(b->c.fw, r, (uint32_t)k);
		if (rc < 0)
			evs_store_err(err, rc, "", "SNAT table: %s", strerror(-rc));
	}
	free(r);
	return rc;
}

static void snat_commit(struct evs_store *st, const struct evs_store_delta *d, size_t n, void *ctx)
{
	struct evs_fw_store *b = ctx;

	(void)st, (void)d, (void)n;
	evs_fw_snat_publish(b->c.fw);
	publish(b); /* the stage's programs depend on whether SNAT rules exist */
}

static void snat_abort(struct evs_store *st, const struct evs_store_delta *d, size_t n, void *ctx)
{
	struct evs_fw_store *b = ctx;

	(void)st, (void)d, (void)n;
	evs_fw_snat_abort(b->c.fw);
}

const struct evs_store_ops fw_snat_ops = {
    .check = fw_snat_check,
    .prepare = snat_prepare,
    .commit = snat_commit,
    .abort = snat_abort,
};

/* ---- fw.dnat: likewise ---- */

static int dnat_prepare(struct evs_store *st, const struct evs_store_delta *d, size_t n,
			struct evs_ctl_err *err, void *ctx)
{
	struct evs_fw_store *b = ctx;
	size_t cnt = evs_store_count(st, "fw.dnat"), k = 0;
	struct evs_fw_dnat *r = calloc(cnt + 1, sizeof(*r));
	int rc = 0;

	(void)d, (void)n;
	if (r == NULL)
		return evs_store_err(err, -ENOMEM, "", "no memory for %zu DNAT rules", cnt);
	for (struct evs_store_obj *o = evs_store_first(st, "fw.dnat"); o != NULL && rc == 0;
	     o = evs_store_next(o))
		rc = fw_dnat_of(evs_store_obj_value(o), &r[k++], "", err);
	if (rc == 0) {
		rc = evs_fw_dnat_stage(b->c.fw, r, (uint32_t)k);
		if (rc < 0)
			evs_store_err(err, rc, "", "DNAT table: %s", strerror(-rc));
	}
	free(r);
	return rc;
}

static void dnat_commit(struct evs_store *st, const struct evs_store_delta *d, size_t n, void *ctx)
{
	struct evs_fw_store *b = ctx;

	(void)st, (void)d, (void)n;
	evs_fw_dnat_publish(b->c.fw);
	publish(b); /* the stage's programs name DNAT rules by index */
}

static void dnat_abort(struct evs_store *st, const struct evs_store_delta *d, size_t n, void *ctx)
{
	struct evs_fw_store *b = ctx;

	(void)st, (void)d, (void)n;
	evs_fw_dnat_abort(b->c.fw);
}

const struct evs_store_ops fw_dnat_ops = {
    .check = fw_dnat_check,
    .prepare = dnat_prepare,
    .commit = dnat_commit,
    .abort = dnat_abort,
};

struct evs_fw_store *evs_fw_store_bind(struct evs_store *st, const struct evs_fw_store_config *c)
{
	const struct evs_obj_type *types[] = {&fw_addrset_type, &fw_group_type, &fw_rule_type,
					      &fw_port_type,	&fw_snat_type,	&fw_dnat_type};
	struct evs_fw_store *b;

	if (st == NULL || c == NULL || c->fw == NULL || c->port_index == NULL) {
		errno = EINVAL;
		return NULL;
	}
	b = calloc(1, sizeof(*b));
	if (b == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	b->c = *c;
	for (size_t i = 0; i < RTE_DIM(types); i++) {
		int rc = evs_store_type_add(st, types[i], b);

		if (rc < 0) {
			/* the types added stay declared: the store is unusable anyway */
			free(b);
			errno = -rc;
			return NULL;
		}
	}
	return b;
}

void evs_fw_store_free(struct evs_fw_store *b)
{
	free(b);
}
