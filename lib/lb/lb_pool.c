/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A VIP's backend pool (evs_lb_pool.h). Backends live in a dense array
 * searched linearly: pools hold tens to hundreds of backends and every
 * operation here is a management-lcore one, dwarfed by a table rebuild.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>

#include "evs_lb_pool.h"

#define POOL_MAX 65536u

struct pool_backend {
	struct evs_lb_backend_spec spec;
	struct evs_lb_health health; /* if spec.check */
	uint64_t remove_at_ms;
	bool removing;
	bool out; /* removing, and a table without it is published */
};

struct evs_lb_pool {
	struct evs_maglev *maglev;
	struct pool_backend *b;
	struct evs_maglev_backend *scratch; /* the build's input */
	uint32_t n, max;
	bool dirty;
	evs_lb_pool_state_cb on_state;
	void *cb_arg;
};

struct evs_lb_pool *evs_lb_pool_create(const struct evs_lb_pool_config *cfg)
{
	struct evs_lb_pool *p;

	if (cfg == NULL || cfg->max_backends == 0 || cfg->max_backends > POOL_MAX) {
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		goto nomem;
	p->b = calloc(cfg->max_backends, sizeof(*p->b));
	p->scratch = calloc(cfg->max_backends, sizeof(*p->scratch));
	if (p->b == NULL || p->scratch == NULL)
		goto nomem;
	p->maglev = evs_maglev_create(&cfg->maglev);
	if (p->maglev == NULL)
		goto fail; /* errno from evs_maglev_create */
	p->max = cfg->max_backends;
	p->on_state = cfg->on_state;
	p->cb_arg = cfg->cb_arg;
	return p;
nomem:
	errno = ENOMEM;
fail:
	if (p != NULL) {
		free(p->scratch);
		free(p->b);
		free(p);
	}
	return NULL;
}

void evs_lb_pool_free(struct evs_lb_pool *p)
{
	if (p == NULL)
		return;
	evs_maglev_free(p->maglev);
	free(p->scratch);
	free(p->b);
	free(p);
}

static struct pool_backend *find(const struct evs_lb_pool *p, uint32_t id)
{
	for (uint32_t i = 0; i < p->n; i++)
		if (p->b[i].spec.id == id)
			return &p->b[i];
	return NULL;
}

static bool in_table(const struct pool_backend *b)
{
	return !b->removing && b->spec.weight != 0 &&
	       (!b->spec.check || evs_lb_health_get(&b->health) == EVS_LB_HEALTH_UP);
}

int evs_lb_pool_add(struct evs_lb_pool *p, const struct evs_lb_backend_spec *spec, uint64_t now_ms)
{
	struct pool_backend nb = {.spec = *spec};

	if (spec->id == EVS_MAGLEV_NONE || spec->key_len == 0 || spec->key_len > EVS_MAGLEV_KEY_MAX)
		return -EINVAL;
	if (spec->check && evs_lb_health_init(&nb.health, &spec->health, now_ms) < 0)
		return -EINVAL;
	for (uint32_t i = 0; i < p->n; i++)
		if (p->b[i].spec.id == spec->id ||
		    (p->b[i].spec.key_len == spec->key_len &&
		     memcmp(p->b[i].spec.key, spec->key, spec->key_len) == 0))
			return -EEXIST;
	if (p->n == p->max)
		return -ENOSPC;
	p->b[p->n++] = nb;
	p->dirty |= in_table(&nb);
	return 0;
}

int evs_lb_pool_set_weight(struct evs_lb_pool *p, uint32_t id, uint32_t weight)
{
	struct pool_backend *b = find(p, id);

	if (b == NULL)
		return -ENOENT;
	if (b->removing)
		return -EALREADY;
	if (b->spec.weight == weight)
		return 0;
	/* dirty if it was or will be in the table (a weight change of an
	 * unhealthy backend needs no rebuild) */
	p->dirty |= in_table(b);
	b->spec.weight = weight;
	p->dirty |= in_table(b);
	return 0;
}

int evs_lb_pool_set_check(struct evs_lb_pool *p, uint32_t id, bool check,
			  const struct evs_lb_health_config *cfg, uint64_t now_ms)
{
	struct pool_backend *b = find(p, id);
	struct evs_lb_health h;
	bool was;

	if (b == NULL)
		return -ENOENT;
	if (b->removing)
		return -EALREADY;
	was = in_table(b);
	if (check && b->spec.check) {
		if (evs_lb_health_reconfigure(&b->health, cfg, now_ms) < 0)
			return -EINVAL;
	} else if (check) {
		if (evs_lb_health_init(&h, cfg, now_ms) < 0)
			return -EINVAL;
		b->health = h;
	}
	b->spec.check = check;
	if (check)
		b->spec.health = *cfg;
	p->dirty |= was != in_table(b);
	return 0;
}

bool evs_lb_pool_key_draining(const struct evs_lb_pool *p, const uint8_t *key, uint8_t key_len)
{
	for (uint32_t i = 0; i < p->n; i++)
		if (p->b[i].removing && p->b[i].spec.key_len == key_len &&
		    memcmp(p->b[i].spec.key, key, key_len) == 0)
			return true;
	return false;
}

int evs_lb_pool_remove(struct evs_lb_pool *p, uint32_t id, uint32_t drain_ms, uint64_t now_ms)
{
	struct pool_backend *b = find(p, id);

	if (b == NULL)
		return -ENOENT;
	if (b->removing)
		return -EALREADY;
	p->dirty |= in_table(b);
	b->removing = true;
	b->remove_at_ms = now_ms + drain_ms;
	return 0;
}

int evs_lb_pool_drain_done(struct evs_lb_pool *p, uint32_t id, uint64_t now_ms)
{
	struct pool_backend *b = find(p, id);

	if (b == NULL)
		return -ENOENT;
	if (!b->removing)
		return -EINVAL;
	b->remove_at_ms = RTE_MIN(b->remove_at_ms, now_ms);
	return 0;
}

/* A health machine reported @changed (a state or -1). */
static void health_changed(struct evs_lb_pool *p, struct pool_backend *b, int changed,
			   uint64_t now_ms)
{
	if (changed < 0)
		return;
	p->dirty |= !b->removing && b->spec.weight != 0;
	if (p->on_state != NULL)
		p->on_state(p->cb_arg, b->spec.id, (enum evs_lb_health_state)changed, now_ms);
}

uint32_t evs_lb_pool_tick(struct evs_lb_pool *p, uint64_t now_ms,
			  void (*send)(void *arg, const struct evs_lb_backend_spec *b), void *arg)
{
	uint32_t deleted = 0;

	for (uint32_t i = 0; i < p->n;) {
		struct pool_backend *b = &p->b[i];
		int changed;

		if (b->out && now_ms >= b->remove_at_ms) {
			/* no published table names it any more */
			p->b[i] = p->b[--p->n];
			deleted++;
			continue;
		}
		if (b->spec.check && !b->removing) {
			bool due = evs_lb_health_due(&b->health, now_ms, &changed);

			health_changed(p, b, changed, now_ms);
			if (due && send != NULL)
				send(arg, &b->spec);
		}
		i++;
	}
	return deleted;
}

int evs_lb_pool_probe_result(struct evs_lb_pool *p, uint32_t id, uint64_t now_ms,
			     enum evs_lb_probe_result r)
{
	struct pool_backend *b = find(p, id);

	if (b == NULL || !b->spec.check)
		return -ENOENT;
	if (!b->removing) /* a removed backend's health no longer matters */
		health_changed(p, b, evs_lb_health_result(&b->health, now_ms, r), now_ms);
	return 0;
}

int evs_lb_pool_passive_fail(struct evs_lb_pool *p, uint32_t id, uint64_t now_ms)
{
	struct pool_backend *b = find(p, id);

	if (b == NULL)
		return -ENOENT;
	if (b->spec.check && !b->removing)
		health_changed(p, b, evs_lb_health_passive_fail(&b->health, now_ms), now_ms);
	return 0;
}

bool evs_lb_pool_dirty(const struct evs_lb_pool *p)
{
	return p->dirty;
}

int evs_lb_pool_commit(struct evs_lb_pool *p)
{
	uint32_t n = 0;
	int rc;

	if (!p->dirty)
		goto published; /* the table already lacks every removing backend */
	for (uint32_t i = 0; i < p->n; i++) {
		const struct pool_backend *b = &p->b[i];

		if (!in_table(b))
			continue;
		p->scratch[n].id = b->spec.id;
		p->scratch[n].weight = b->spec.weight;
		p->scratch[n].key_len = b->spec.key_len;
		memcpy(p->scratch[n].key, b->spec.key, sizeof(b->spec.key));
		n++;
	}
	rc = evs_maglev_update(p->maglev, p->scratch, n);
	if (rc < 0)
		return rc;
	p->dirty = false;
published:
	for (uint32_t i = 0; i < p->n; i++)
		p->b[i].out = p->b[i].removing;
	return 0;
}

const struct evs_maglev *evs_lb_pool_maglev(const struct evs_lb_pool *p)
{
	return p->maglev;
}

static void info_of(const struct pool_backend *b, struct evs_lb_backend_info *info)
{
	memset(info, 0, sizeof(*info));
	info->spec = b->spec;
	info->removing = b->removing;
	info->remove_at_ms = b->remove_at_ms;
	info->in_table = in_table(b);
	info->health = b->spec.check ? evs_lb_health_get(&b->health) : EVS_LB_HEALTH_UP;
	if (b->spec.check)
		info->health_stats = b->health.stats;
}

int evs_lb_pool_get(const struct evs_lb_pool *p, uint32_t id, struct evs_lb_backend_info *info)
{
	const struct pool_backend *b = find(p, id);

	if (b == NULL)
		return -ENOENT;
	info_of(b, info);
	return 0;
}

int evs_lb_pool_get_at(const struct evs_lb_pool *p, uint32_t i, struct evs_lb_backend_info *info)
{
	if (i >= p->n)
		return -ENOENT;
	info_of(&p->b[i], info);
	return 0;
}

uint32_t evs_lb_pool_count(const struct evs_lb_pool *p)
{
	return p->n;
}
