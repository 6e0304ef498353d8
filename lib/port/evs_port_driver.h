/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_PORT_DRIVER_H
#define EVS_PORT_DRIVER_H

/**
 * @file
 * The backend side of lib/port: what a port driver (drivers/net) implements
 * and the few helpers it may call. Applications use evs_port.h only.
 *
 * A driver fills a struct evs_port_ops and hands it to
 * evs_port_driver_register() from an explicit init function the application
 * calls at start-up (evs_net_drivers_register()); lib/port never calls into
 * drivers/ by name, so it does not depend on them.
 *
 * Thread-safety: every op runs on the management lcore, except that
 * evs_port_link_event() may be called from any thread (interrupt thread,
 * rte_vhost's thread).
 */

#include <stdarg.h>
#include "evs_port.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Device counters a backend keeps itself, added to the queue counters. */
struct evs_port_dev_stats {
	uint64_t drops[EVS_PORT_DROP_MAX];
};

/** One backend. */
struct evs_port_ops {
	enum evs_port_type type;
	const char *name;
	/**
	 * Bring the backend up for @p port. On entry port->name, id, nb_rxq and
	 * nb_txq (the counts asked for, >= 1) are set and port->rxq/txq are
	 * allocated for those counts. The op sets port->rx, port->tx, port->drv
	 * and may lower nb_rxq/nb_txq to what the device has. On failure it
	 * undoes everything, calls evs_port_errorf() and returns -errno.
	 */
	int (*create)(struct evs_port *port, const struct evs_port_config *cfg);
	/** Undo create (stop, close, detach). PMD lcores no longer use the port. */
	void (*free)(struct evs_port *port);
	/** Current link state (up, duplex, speed); "changes" is lib/port's. */
	int (*link_get)(struct evs_port *port, struct evs_port_link *link);
	/** Optional: device counters (absolute, lib/port applies resets). */
	int (*dev_stats)(struct evs_port *port, struct evs_port_dev_stats *st);
	/** Optional: fill rss, ethdev_port_id and mac of @p info. */
	void (*info)(struct evs_port *port, struct evs_port_info *info);
	/** Optional (vhost): connection state and lifecycle counters. */
	int (*vhost_info)(struct evs_port *port, struct evs_port_vhost_info *vi);
};

/**
 * Register the backend for ops->type (replacing a previous one).
 * Management lcore, before any evs_port_create() of that type.
 * @return 0, -EINVAL on NULL ops, a bad type or a missing mandatory op.
 */
int evs_port_driver_register(const struct evs_port_ops *ops);

/** Record (and log at ERR) the reason for the failure being returned. */
void evs_port_errorf(const char *fmt, ...) __rte_format_printf(1, 2);

/**
 * Tell lib/port the link of @p port may have changed (the next
 * evs_port_link_poll() reports it even if the state looks the same by then).
 * Any thread.
 */
void evs_port_link_event(struct evs_port *port);

/**
 * Say whether the port's peer takes partial checksums from now on (vhost: a
 * guest that negotiated VIRTIO_NET_F_GUEST_CSUM); when it does, the tx path
 * hands such packets to the backend with RTE_MBUF_F_TX_TCP_CKSUM or
 * RTE_MBUF_F_TX_UDP_CKSUM, RTE_MBUF_F_TX_IPV4/IPV6, l2_len and l3_len set and
 * the pseudo-header sum in the checksum field. Any thread. The store is
 * relaxed: the backend orders it with whatever publishes its peer to the PMD
 * lcores (vhost: before running = 1 with release, and cleared before the
 * grace period that retires a guest).
 */
static inline void evs_port_tx_csum_partial_set(struct evs_port *port, bool on)
{
	__atomic_store_n(&port->tx_csum_partial, on ? 1u : 0u, __ATOMIC_RELAXED);
}

/**
 * Free mbufs a backend has copied out (vhost enqueue). The common case,
 * direct single-segment mbufs of one pool that nothing else references, goes
 * back to the pool in one put without rte_pktmbuf_free_bulk's per-segment
 * walk (a third of edgevs' own instructions per L2 packet over vhost before);
 * anything else takes that walk.
 */
static inline void evs_port_free_sent(struct rte_mbuf **pkts, uint16_t n)
{
	struct rte_mempool *mp;
	uint16_t i;

	if (n == 0)
		return;
	mp = pkts[0]->pool;
	for (i = 0; i < n; i++) {
		const struct rte_mbuf *m = pkts[i];

		if (unlikely(m->pool != mp || m->nb_segs != 1 || !RTE_MBUF_DIRECT(m) ||
			     rte_mbuf_refcnt_read(m) != 1)) {
			rte_pktmbuf_free_bulk(pkts, n);
			return;
		}
	}
	/* what rte_pktmbuf_prefree_seg leaves: refcnt 1, one segment, no next */
	rte_mempool_put_bulk(mp, (void *const *)pkts, n);
}

#ifdef __cplusplus
}
#endif
#endif /* EVS_PORT_DRIVER_H */
