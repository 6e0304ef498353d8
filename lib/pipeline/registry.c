/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The module registry: global numbers for opcodes, drop reasons and
 * dependencies, the stage order, and the dependency generations.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_malloc.h>

#include "pipeline_private.h"

static int check_module(const struct evs_registry *reg, const struct evs_module *m)
{
	unsigned int i;

	if (m == NULL || m->name == NULL || (m->n_stages && m->stages == NULL) ||
	    (m->n_opcodes && m->opcodes == NULL) || (m->n_drops && m->drop_names == NULL) ||
	    (m->n_counters && (m->counter_names == NULL || m->counters_get == NULL)))
		return -EINVAL;
	for (i = 0; i < reg->n_mods; i++)
		if (strcmp(reg->mods[i]->name, m->name) == 0)
			return -EINVAL;
	for (i = 0; i < m->n_opcodes; i++)
		if (m->opcodes[i].exec == NULL || m->opcodes[i].name == NULL ||
		    m->opcodes[i].arg_size > EVS_OP_ARG_MAX)
			return -EINVAL;
	for (i = 0; i < m->n_stages; i++)
		if (m->stages[i].xlate == NULL || m->stages[i].name == NULL)
			return -EINVAL;
	/* reports name every drop and counter */
	for (i = 0; i < m->n_drops; i++)
		if (m->drop_names[i] == NULL)
			return -EINVAL;
	for (i = 0; i < m->n_counters; i++)
		if (m->counter_names[i] == NULL)
			return -EINVAL;
	if (reg->n_ops + m->n_opcodes > OPS_MAX || reg->n_drops + m->n_drops > EVS_DROPS_MAX ||
	    reg->n_stages + m->n_stages > STAGES_MAX || m->n_deps > (1u << 24))
		return -EINVAL;
	return 0;
}

static int stage_cmp(const void *a, const void *b)
{
	const struct reg_stage *x = a, *y = b;

	if (x->stage->order != y->stage->order)
		return x->stage->order < y->stage->order ? -1 : 1;
	/* equal order: list order, then declaration order (qsort is not stable) */
	if (x->mod != y->mod)
		return x->mod < y->mod ? -1 : 1;
	return x->stage < y->stage ? -1 : x->stage > y->stage;
}

struct evs_registry *evs_registry_create(const struct evs_module *const *mods, unsigned int n)
{
	struct evs_registry *reg;
	unsigned int i, j;

	if ((mods == NULL && n != 0) || n > EVS_MODULES_MAX) {
		errno = EINVAL;
		return NULL;
	}
	reg = rte_zmalloc("evs_registry", sizeof(*reg), RTE_CACHE_LINE_SIZE);
	if (reg == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	for (i = 0; i < ENGINE_OP_MAX; i++)
		reg->ops[reg->n_ops++] = (struct reg_op){.op = &engine_ops[i], .mod = ENGINE_MOD};
	for (i = 0; i < ENGINE_DROP_MAX; i++) {
		reg->drop_names[reg->n_drops] = engine_drop_names[i];
		reg->drop_mod[reg->n_drops++] = ENGINE_MOD;
	}
	for (i = 0; i < n; i++) {
		const struct evs_module *m = mods[i];

		if (check_module(reg, m) < 0)
			goto err_inval;
		reg->mods[i] = m;
		reg->op_base[i] = (uint16_t)reg->n_ops;
		for (j = 0; j < m->n_opcodes; j++)
			reg->ops[reg->n_ops++] =
			    (struct reg_op){.op = &m->opcodes[j], .mod = (uint8_t)i};
		reg->drop_base[i] = (uint16_t)reg->n_drops;
		for (j = 0; j < m->n_drops; j++) {
			reg->drop_names[reg->n_drops] = m->drop_names[j];
			reg->drop_mod[reg->n_drops++] = (uint8_t)i;
		}
		reg->dep_base[i] = reg->n_deps;
		reg->n_deps += m->n_deps;
		for (j = 0; j < m->n_stages; j++)
			reg->stages[reg->n_stages++] =
			    (struct reg_stage){.stage = &m->stages[j], .mod = (uint8_t)i};
		reg->n_mods = i + 1;
	}
	qsort(reg->stages, reg->n_stages, sizeof(reg->stages[0]), stage_cmp);
	reg->dep_gens =
	    rte_zmalloc("evs_deps", sizeof(uint32_t) * (reg->n_deps + 1), RTE_CACHE_LINE_SIZE);
	if (reg->dep_gens == NULL) {
		rte_free(reg);
		errno = ENOMEM;
		return NULL;
	}
	return reg;
err_inval:
	rte_free(reg);
	errno = EINVAL;
	return NULL;
}

void evs_registry_free(struct evs_registry *reg)
{
	if (reg == NULL)
		return;
	rte_free(reg->dep_gens);
	rte_free(reg);
}

unsigned int evs_registry_n_modules(const struct evs_registry *reg)
{
	return reg->n_mods;
}

const struct evs_module *evs_registry_module(const struct evs_registry *reg, unsigned int i)
{
	return i < reg->n_mods ? reg->mods[i] : NULL;
}

int evs_registry_module_index(const struct evs_registry *reg, const char *name)
{
	unsigned int i;

	for (i = 0; name != NULL && i < reg->n_mods; i++)
		if (strcmp(reg->mods[i]->name, name) == 0)
			return (int)i;
	return -ENOENT;
}

unsigned int evs_registry_n_drops(const struct evs_registry *reg)
{
	return reg->n_drops;
}

const char *evs_registry_drop_name(const struct evs_registry *reg, unsigned int id)
{
	return id < reg->n_drops ? reg->drop_names[id] : "unknown";
}

const char *evs_registry_drop_owner(const struct evs_registry *reg, unsigned int id)
{
	if (id >= reg->n_drops)
		return "unknown";
	return reg->drop_mod[id] == ENGINE_MOD ? "engine" : reg->mods[reg->drop_mod[id]]->name;
}

int evs_registry_dep_bump(struct evs_registry *reg, unsigned int mod, uint32_t dep)
{
	uint32_t *g;

	if (reg == NULL || mod >= reg->n_mods || dep >= reg->mods[mod]->n_deps)
		return -EINVAL;
	g = &reg->dep_gens[reg->dep_base[mod] + dep];
	/* release: the table's writes before this are visible to a reader that
	 * loads the new generation with acquire (prog_stale, xlate) */
	__atomic_store_n(g, *g + 1, __ATOMIC_RELEASE);
	/* release: a PMD that sees the new epoch sees the generation above */
	__atomic_store_n(&reg->epoch, reg->epoch + 1, __ATOMIC_RELEASE);
	return 0;
}

int evs_registry_dep_bump_all(struct evs_registry *reg, unsigned int mod)
{
	uint32_t i;

	if (reg == NULL || mod >= reg->n_mods)
		return -EINVAL;
	for (i = 0; i < reg->mods[mod]->n_deps; i++)
		evs_registry_dep_bump(reg, mod, i);
	return 0;
}

uint64_t evs_registry_epoch(const struct evs_registry *reg)
{
	/* acquire pairs with the release in evs_registry_dep_bump() */
	return __atomic_load_n(&reg->epoch, __ATOMIC_ACQUIRE);
}
