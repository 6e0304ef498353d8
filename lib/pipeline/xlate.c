/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The slow path: run the registered stages in order over one key, with a
 * translation context that records the consulted fields, the tables read and
 * the program being built.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pipeline_private.h"

const struct evs_flow_key *evs_xlate_key(const struct evs_xlate *x)
{
	return x->key;
}

struct evs_flow_key *evs_xlate_wkey(struct evs_xlate *x)
{
	return &x->wkey;
}

struct evs_flow_mask *evs_xlate_mask(struct evs_xlate *x)
{
	return &x->mask;
}

bool evs_xlate_tracing(const struct evs_xlate *x)
{
	return x->trace != NULL;
}

void evs_xlate_why(struct evs_xlate *x, const char *fmt, ...)
{
	va_list ap;

	if (x->trace == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(x->why, sizeof(x->why), fmt, ap);
	va_end(ap);
}

int evs_xlate_depend(struct evs_xlate *x, uint32_t dep)
{
	uint32_t id;
	unsigned int i;

	if (x->mod == ENGINE_MOD || dep >= x->reg->mods[x->mod]->n_deps)
		return -EINVAL;
	id = x->reg->dep_base[x->mod] + dep;
	for (i = 0; i < x->n_deps; i++)
		if (x->deps[i].id == id)
			return 0;
	if (x->n_deps == EVS_PROG_MAX_DEPS) {
		x->uncacheable = true;
		return -ENOSPC;
	}
	/* no room is kept for dependencies (16 of them would take half the
	 * program): one that does not fit next to the opcodes fills it, and
	 * the drop in its place is not cached without the dependency */
	if (sizeof(struct prog_hdr) + sizeof(struct prog_dep) * (x->n_deps + 1u) + x->ops_len >
	    EVS_PROG_MAX) {
		x->uncacheable = true;
		x->full = true;
		x->full_reason = ENGINE_DROP_PROG_FULL;
		return -ENOSPC;
	}
	/* acquire pairs with the release in evs_registry_dep_bump(): the table
	 * the stage reads next is at least as new as this generation */
	x->deps[x->n_deps].id = id;
	x->deps[x->n_deps++].gen = __atomic_load_n(&x->reg->dep_gens[id], __ATOMIC_ACQUIRE);
	return 0;
}

/* Append global opcode @id. */
static int emit(struct evs_xlate *x, uint16_t id, const void *arg, uint16_t len)
{
	uint16_t size = (uint16_t)RTE_ALIGN_CEIL(sizeof(struct prog_op) + len, 4);
	size_t room = EVS_PROG_MAX - sizeof(struct prog_hdr) - sizeof(struct prog_dep) * x->n_deps;
	struct prog_op *o;

	if (id >= x->reg->n_ops || len != x->reg->ops[id].op->arg_size)
		return -EINVAL;
	if (x->full)
		return -ENOSPC;
	if (x->ops_len + size > room || x->n_ops == UINT8_MAX) {
		x->full = true;
		x->full_reason = ENGINE_DROP_PROG_FULL;
		return -ENOSPC;
	}
	o = (struct prog_op *)(x->ops + x->ops_len);
	o->id = id;
	o->size = size;
	if (len != 0)
		memcpy(o->arg, arg, len);
	memset(o->arg + len, 0, size - sizeof(*o) - len);
	x->ops_len += size;
	x->n_ops++;
	return 0;
}

int evs_xlate_emit(struct evs_xlate *x, uint16_t op, const void *arg, uint16_t len)
{
	if (x->mod == ENGINE_MOD || op >= x->reg->mods[x->mod]->n_opcodes)
		return -EINVAL;
	return emit(x, (uint16_t)(x->reg->op_base[x->mod] + op), arg, len);
}

int evs_xlate_emit_module(struct evs_xlate *x, const struct evs_module *m, uint16_t op,
			  const void *arg, uint16_t len)
{
	unsigned int i;

	for (i = 0; i < x->reg->n_mods; i++)
		if (x->reg->mods[i] == m)
			break;
	if (i == x->reg->n_mods)
		return -ENOENT;
	if (op >= m->n_opcodes)
		return -EINVAL;
	return emit(x, (uint16_t)(x->reg->op_base[i] + op), arg, len);
}

int evs_xlate_output(struct evs_xlate *x, uint16_t port)
{
	struct op_output a = {.port = port};

	return emit(x, ENGINE_OP_OUTPUT, &a, sizeof(a));
}

int evs_xlate_output_in_port(struct evs_xlate *x)
{
	return emit(x, ENGINE_OP_OUTPUT_IN_PORT, NULL, 0);
}

int evs_xlate_drop(struct evs_xlate *x, uint16_t reason)
{
	struct op_drop a;

	if (x->mod == ENGINE_MOD || reason >= x->reg->mods[x->mod]->n_drops)
		return -EINVAL;
	a.reason = (uint16_t)(x->reg->drop_base[x->mod] + reason);
	return emit(x, ENGINE_OP_DROP, &a, sizeof(a));
}

int evs_xlate_set_vlan(struct evs_xlate *x, uint16_t tci)
{
	struct op_set_vlan a = {.tci = tci};

	return emit(x, ENGINE_OP_SET_VLAN, &a, sizeof(a));
}

/* Fields a set-field opcode may write: MACs in the frame, metadata in the key. */
static bool settable(enum evs_flow_field f)
{
	switch (f) {
	case EVS_FIELD_DST_MAC:
	case EVS_FIELD_SRC_MAC:
	case EVS_FIELD_VRF:
	case EVS_FIELD_CT_STATE:
	case EVS_FIELD_CT_ZONE:
	case EVS_FIELD_CT_MARK:
	case EVS_FIELD_CT_LABEL:
	case EVS_FIELD_LDP:
	case EVS_FIELD_DP_HASH:
		return true;
	default:
		return false;
	}
}

int evs_xlate_set_field(struct evs_xlate *x, enum evs_flow_field f, const void *val)
{
	const struct evs_flow_field_info *fi = evs_flow_field_info(f);
	struct op_set_field a;

	if (fi == NULL || val == NULL)
		return -EINVAL;
	if (!settable(f) || fi->size > sizeof(a.val))
		return -ENOTSUP;
	memset(&a, 0, sizeof(a));
	a.field = (uint8_t)f;
	a.size = (uint8_t)fi->size;
	memcpy(a.val, val, fi->size);
	/* later stages see the value too */
	memcpy((uint8_t *)&x->wkey + fi->offset, val, fi->size);
	return emit(x, ENGINE_OP_SET_FIELD, &a, sizeof(a));
}

int evs_xlate_punt(struct evs_xlate *x, uint16_t code)
{
	return evs_xlate_punt_aux(x, code, 0);
}

int evs_xlate_punt_aux(struct evs_xlate *x, uint16_t code, uint32_t aux)
{
	struct op_punt a = {.code = code, .mod = x->mod, .aux = aux};

	if (x->mod == ENGINE_MOD)
		return -EINVAL;
	return emit(x, ENGINE_OP_PUNT, &a, sizeof(a));
}

int evs_xlate_recirculate(struct evs_xlate *x, uint16_t recirc_id)
{
	struct op_recirc a = {.recirc_id = recirc_id};

	if (recirc_id == 0)
		return -EINVAL; /* 0 is the first pass */
	return emit(x, ENGINE_OP_RECIRC, &a, sizeof(a));
}

static void trace_step(struct evs_xlate *x, const char *module, const char *stage,
		       const struct evs_flow_mask *before)
{
	struct evs_trace_step *s;
	const evs_flow_word_t *b = (const evs_flow_word_t *)&before->bits;
	const evs_flow_word_t *a = (const evs_flow_word_t *)&x->mask.bits;
	evs_flow_word_t *c;
	unsigned int w;

	if (x->trace == NULL || x->trace->n == EVS_TRACE_MAX_STEPS)
		return;
	s = &x->trace->steps[x->trace->n++];
	s->pass = x->pass;
	s->module = module;
	s->stage = stage;
	memcpy(s->decision, x->why, sizeof(s->decision));
	c = (evs_flow_word_t *)&s->consulted.bits;
	for (w = 0; w < EVS_FLOW_KEY_WORDS; w++)
		c[w] = a[w] & ~b[w];
	x->why[0] = '\0';
}

int evs_xlate_goto_ldp(struct evs_xlate *x, uint16_t ldp)
{
	struct evs_flow_mask before = x->mask; /* the hop itself consults nothing */

	if (x->hops == EVS_XLATE_MAX_HOPS) {
		x->full = true;
		x->full_reason = ENGINE_DROP_LDP_LOOP;
		return -ELOOP;
	}
	x->hops++;
	x->wkey.ldp = ldp;
	evs_xlate_why(x, "to logical datapath %u", ldp);
	trace_step(x, x->mod == ENGINE_MOD ? "engine" : x->reg->mods[x->mod]->name, "goto",
		   &before);
	return 0;
}

/* Lay the program out: header, dependencies, opcodes. */
static int finish(struct evs_xlate *x)
{
	struct prog_hdr *h = (struct prog_hdr *)x->prog;
	uint8_t *p = x->prog + sizeof(*h);

	if (x->full) {
		/* a drop that says why, in place of a partial program */
		struct op_drop a = {.reason = x->full_reason};

		x->full = false;
		x->ops_len = 0;
		x->n_ops = 0;
		emit(x, ENGINE_OP_DROP, &a, sizeof(a));
	}
	memset(h, 0, sizeof(*h));
	h->n_deps = x->n_deps;
	h->n_ops = x->n_ops;
	memcpy(p, x->deps, sizeof(x->deps[0]) * x->n_deps);
	p += sizeof(x->deps[0]) * x->n_deps;
	memcpy(p, x->ops, x->ops_len);
	h->len = (uint16_t)(p + x->ops_len - x->prog);
	return h->len;
}

int xlate_run(struct evs_pipeline_lcore *pl, const struct evs_pipeline_state *st,
	      const struct evs_flow_key *key, struct evs_flow_mask *mask, void *prog,
	      struct evs_trace *trace, uint8_t pass)
{
	struct evs_xlate x;
	unsigned int i;
	int len;

	x.reg = pl->reg;
	x.pl = pl;
	x.key = key;
	x.wkey = *key;
	evs_flow_mask_zero(&x.mask);
	/* every decision depends on the pass: a recirculated packet must never
	 * match a first-pass megaflow */
	x.mask.bits.recirc_id = UINT16_MAX;
	x.prog = prog;
	x.ops_len = 0;
	x.n_ops = 0;
	x.n_deps = 0;
	x.mod = ENGINE_MOD;
	x.hops = 0;
	x.full = false;
	x.full_reason = 0;
	x.uncacheable = false;
	x.trace = trace;
	x.pass = pass;
	x.why[0] = '\0';
	for (i = 0; i < pl->reg->n_stages;) {
		const struct reg_stage *rs = &pl->reg->stages[i];
		struct evs_flow_mask before = x.mask;
		enum evs_stage_verdict v;
		uint8_t hops = x.hops;

		x.mod = rs->mod;
		v = rs->stage->xlate(&x, st->mod[rs->mod], pl->mctx[rs->mod]);
		trace_step(&x, pl->reg->mods[rs->mod]->name, rs->stage->name, &before);
		if (v == EVS_STAGE_DONE || x.full)
			break;
		/* a stage that moved the packet to another datapath and continues:
		 * that datapath is entered from the first stage (router -> switch) */
		i = x.hops != hops ? 0 : i + 1;
	}
	x.mod = ENGINE_MOD;
	len = finish(&x);
	*mask = x.mask;
	/* a program that could not record every table it read must not be cached */
	return x.uncacheable ? -len : len;
}

int evs_pipeline_xlate(struct evs_pipeline_lcore *pl, const struct evs_pipeline_state *st,
		       const struct evs_flow_key *key, struct evs_flow_mask *mask, void *prog,
		       struct evs_trace *trace)
{
	int len;

	if (pl == NULL || st == NULL || key == NULL || mask == NULL || prog == NULL)
		return -EINVAL;
	if (trace != NULL) {
		trace->n = 0;
		trace->n_passes = 0;
	}
	len = xlate_run(pl, st, key, mask, prog, trace, 0);
	return len < 0 ? -len : len;
}
