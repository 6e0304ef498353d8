/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-lcore tx set: buffers for any of up to EVS_PORT_MAX ports, allocated
 * for the few ports one loop iteration actually sends to. A port gets a
 * buffer on its first packet of the iteration (bufs[] in order of first
 * use), so a flush walks only those; slot[] maps a port index to its
 * buffer in two bytes per port.
 */
#include <errno.h>
#include <string.h>

#include <rte_malloc.h>

#include "evs_port.h"

static uint16_t nb_bufs_of(const struct evs_port_txset_config *cfg)
{
	return cfg->nb_bufs != 0 ? cfg->nb_bufs : EVS_PORT_TXSET_BUFS;
}

static bool config_ok(const struct evs_port_txset_config *cfg)
{
	return cfg != NULL && cfg->nb_ports != 0 && cfg->nb_ports <= EVS_PORT_MAX;
}

/* One block: the set, then slot[], then bufs[] (each part aligned). */
static size_t bufs_offset(const struct evs_port_txset_config *cfg)
{
	return RTE_ALIGN_CEIL(sizeof(struct evs_port_txset) + sizeof(uint16_t) * cfg->nb_ports,
			      RTE_CACHE_LINE_SIZE);
}

size_t evs_port_txset_memsize(const struct evs_port_txset_config *cfg)
{
	if (!config_ok(cfg))
		return 0;
	return bufs_offset(cfg) + sizeof(struct evs_port_txset_buf) * nb_bufs_of(cfg);
}

struct evs_port_txset *evs_port_txset_create(const struct evs_port_txset_config *cfg)
{
	struct evs_port_txset *ts;
	size_t sz = evs_port_txset_memsize(cfg);

	if (sz == 0) {
		errno = EINVAL;
		return NULL;
	}
	ts = rte_zmalloc_socket("evs_txset", sz, RTE_CACHE_LINE_SIZE, cfg->socket_id);
	if (ts == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	ts->txu = cfg->txu;
	ts->nb_ports = cfg->nb_ports;
	ts->nb_bufs = nb_bufs_of(cfg);
	ts->slot = (uint16_t *)(ts + 1);
	ts->bufs = (struct evs_port_txset_buf *)((uint8_t *)ts + bufs_offset(cfg));
	return ts;
}

void evs_port_txset_free(struct evs_port_txset *ts)
{
	if (ts == NULL)
		return;
	evs_port_txset_discard(ts);
	rte_free(ts);
}

int evs_port_txset_bind(struct evs_port_txset *ts, struct evs_port *const *ports, uint16_t n)
{
	if (ts == NULL || n > ts->nb_ports || (ports == NULL && n > 0))
		return -EINVAL;
	if (ts->nb_used != 0)
		return -EBUSY;
	ts->ports = ports;
	ts->nb_bound = n;
	return 0;
}

int evs_port_txset_add_first(struct evs_port_txset *ts, uint16_t port, struct rte_mbuf *m)
{
	struct evs_port_txset_buf *b;

	if (port >= ts->nb_bound || ts->ports[port] == NULL)
		return -ENODEV;
	if (ts->nb_used == ts->nb_bufs) {
		evs_port_txset_flush(ts);
		evs_port_ctr_add(&ts->early_flushes, 1);
	}
	b = &ts->bufs[ts->nb_used++];
	ts->slot[port] = ts->nb_used;
	b->port = ts->ports[port];
	b->idx = port;
	b->pkts[0] = m;
	b->count = 1;
	return 0;
}

uint32_t evs_port_txset_flush(struct evs_port_txset *ts)
{
	uint32_t sent = 0;
	uint16_t i;

	for (i = 0; i < ts->nb_used; i++) {
		struct evs_port_txset_buf *b = &ts->bufs[i];

		if (b->count != 0)
			sent += evs_port_tx_burst(b->port, ts->txu, b->pkts, b->count);
		ts->slot[b->idx] = 0;
	}
	ts->nb_used = 0;
	return sent;
}

void evs_port_txset_discard(struct evs_port_txset *ts)
{
	uint16_t i;

	for (i = 0; i < ts->nb_used; i++) {
		struct evs_port_txset_buf *b = &ts->bufs[i];

		rte_pktmbuf_free_bulk(b->pkts, b->count);
		ts->slot[b->idx] = 0;
	}
	ts->nb_used = 0;
}
