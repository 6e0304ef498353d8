/* SPDX-License-Identifier: BSD-3-Clause */
/* Port counters: summing per-queue counters on the management lcore. */

#include <errno.h>
#include <string.h>

#include "port_private.h"

static const char *const drop_names[EVS_PORT_DROP_MAX] = {
    [EVS_PORT_DROP_RX_NOMBUF] = "rx_nombuf",
    [EVS_PORT_DROP_RX_MISSED] = "rx_missed",
    [EVS_PORT_DROP_RX_ERRORS] = "rx_errors",
    [EVS_PORT_DROP_TX_ERRORS] = "tx_errors",
    [EVS_PORT_DROP_TX_FULL] = "tx_full",
    [EVS_PORT_DROP_GUEST_NOT_READY] = "guest_not_ready",
    [EVS_PORT_DROP_VRING_DISABLED] = "vring_disabled",
    [EVS_PORT_DROP_NO_DESC] = "no_desc",
    [EVS_PORT_DROP_TX_CSUM] = "tx_csum_error",
};

const char *evs_port_drop_name(enum evs_port_drop reason)
{
	if ((unsigned int)reason >= EVS_PORT_DROP_MAX || drop_names[reason] == NULL)
		return "unknown";
	return drop_names[reason];
}

/* Relaxed loads pair with the relaxed stores of evs_port_ctr_add(): a
 * counter is a lone value, readers need it untorn, not ordered. */
static void qstats_read(const struct evs_port_qstats *live, struct evs_port_qstats *out)
{
	unsigned int r;

	out->packets = __atomic_load_n(&live->packets, __ATOMIC_RELAXED);
	out->bytes = __atomic_load_n(&live->bytes, __ATOMIC_RELAXED);
	for (r = 0; r < EVS_PORT_DROP_MAX; r++)
		out->drops[r] = __atomic_load_n(&live->drops[r], __ATOMIC_RELAXED);
	out->lock_waits = __atomic_load_n(&live->lock_waits, __ATOMIC_RELAXED);
	out->csum_sw = __atomic_load_n(&live->csum_sw, __ATOMIC_RELAXED);
	out->csum_passed = __atomic_load_n(&live->csum_passed, __ATOMIC_RELAXED);
}

static void qstats_sub(struct evs_port_qstats *a, const struct evs_port_qstats *base)
{
	unsigned int r;

	a->packets -= base->packets;
	a->bytes -= base->bytes;
	for (r = 0; r < EVS_PORT_DROP_MAX; r++)
		a->drops[r] -= base->drops[r];
	a->lock_waits -= base->lock_waits;
	a->csum_sw -= base->csum_sw;
	a->csum_passed -= base->csum_passed;
}

int evs_port_queue_stats_get(const struct evs_port *port, bool tx, uint16_t qid,
			     struct evs_port_qstats *st)
{
	struct port_impl *pi;

	if (port == NULL || st == NULL || qid >= (tx ? port->nb_txq : port->nb_rxq))
		return -EINVAL;
	pi = port_impl(port);
	if (tx) {
		qstats_read(&port->txq[qid].st, st);
		qstats_sub(st, &pi->tx_base[qid]);
	} else {
		qstats_read(&port->rxq[qid].st, st);
		qstats_sub(st, &pi->rx_base[qid]);
	}
	return 0;
}

static void dev_stats_read(struct port_impl *pi, struct evs_port_dev_stats *ds)
{
	memset(ds, 0, sizeof(*ds));
	if (pi->ops->dev_stats != NULL && pi->ops->dev_stats(&pi->pub, ds) < 0)
		memcpy(ds, &pi->dev_base, sizeof(*ds)); /* unreadable: report no change */
}

int evs_port_stats_get(const struct evs_port *port, struct evs_port_stats *st)
{
	struct evs_port_dev_stats ds;
	struct evs_port_qstats q;
	struct port_impl *pi;
	unsigned int r;
	uint16_t i;

	if (port == NULL || st == NULL)
		return -EINVAL;
	pi = port_impl(port);
	memset(st, 0, sizeof(*st));
	for (i = 0; i < port->nb_rxq; i++) {
		evs_port_queue_stats_get(port, false, i, &q);
		st->rx_packets += q.packets;
		st->rx_bytes += q.bytes;
		for (r = 0; r < EVS_PORT_DROP_MAX; r++)
			st->drops[r] += q.drops[r];
	}
	for (i = 0; i < port->nb_txq; i++) {
		evs_port_queue_stats_get(port, true, i, &q);
		st->tx_packets += q.packets;
		st->tx_bytes += q.bytes;
		for (r = 0; r < EVS_PORT_DROP_MAX; r++)
			st->drops[r] += q.drops[r];
		st->tx_lock_waits += q.lock_waits;
		st->tx_csum_sw += q.csum_sw;
		st->tx_csum_passed += q.csum_passed;
	}
	dev_stats_read(pi, &ds);
	for (r = 0; r < EVS_PORT_DROP_MAX; r++)
		st->drops[r] += ds.drops[r] - pi->dev_base.drops[r];
	return 0;
}

int evs_port_stats_reset(struct evs_port *port)
{
	struct port_impl *pi;
	uint16_t i;

	if (port == NULL)
		return -EINVAL;
	pi = port_impl(port);
	for (i = 0; i < port->nb_rxq; i++)
		qstats_read(&port->rxq[i].st, &pi->rx_base[i]);
	for (i = 0; i < port->nb_txq; i++)
		qstats_read(&port->txq[i].st, &pi->tx_base[i]);
	dev_stats_read(pi, &pi->dev_base);
	return 0;
}
