/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_PORT_H
#define EVS_PORT_H

/**
 * @file
 * Ports: where packets enter and leave the switch.
 *
 * What: one abstraction over the backends in drivers/net (any DPDK ethdev
 * named by devargs, vhost-user through rte_vhost). A port has nb_rxq receive
 * queues, each polled by exactly one PMD lcore, and nb_txq transmit queues.
 * Every PMD lcore that sends on a port uses its own tx queue *index*
 * (0..nb_tx_users-1, normally its PMD lcore rank); index u maps to queue
 * u % nb_txq. When the port has fewer tx queues than users (typically vhost
 * with one queue pair) several lcores share a queue: then, and only then, the
 * queue is flagged shared and bursts on it take a per-queue spinlock, whose
 * contention is counted.
 *
 * Backends are not registered by constructors: the application calls
 * evs_net_drivers_register() (drivers/net) once at start-up, after
 * rte_eal_init(), which hands lib/port an ops table per port type.
 *
 * Counters live per queue in cache-aligned structs written only by the lcore
 * that owns the queue (or, for a shared tx queue, by the lock holder) and
 * summed by the management lcore. Device counters a backend keeps itself
 * (ethdev imissed, rx_nombuf, ierrors, oerrors) are added at read time.
 *
 * Partial checksums: a guest that negotiated checksum offload sends TCP/UDP
 * packets whose L4 checksum field holds only the pseudo-header sum; rte_vhost
 * marks them RTE_MBUF_F_RX_L4_CKSUM_NONE (evs_port_l4_partial()). The tx path
 * tests that flag once per packet; only a burst with such a packet goes
 * through evs_port_tx_csum(), which completes the checksum in software, or,
 * when the port's peer takes partial checksums (a guest that negotiated
 * VIRTIO_NET_F_GUEST_CSUM), hands it on with TX offload flags instead.
 *
 * Thread-safety:
 * - Management lcore only (one thread, no internal locking): create, free,
 *   lookup, info, stats, link, driver registration.
 * - PMD lcores: evs_port_rx_burst() on the rx queues they own,
 *   evs_port_tx_burst() and the evs_port_txbuf helpers with their own tx
 *   queue index. These never lock (except a shared tx queue), allocate,
 *   log or make system calls.
 * - Removal: before evs_port_free() the application stops every PMD lcore
 *   from using the port (publishes a configuration without it and waits for
 *   an RCU grace period on its rte_rcu_qsbr) and flushes or drops any
 *   evs_port_txbuf that points at it.
 *
 * Errors: int functions return 0 or -errno; evs_port_create() returns NULL
 * and sets rte_errno. Every failure also leaves a human-readable reason in
 * evs_port_last_error() (per thread) and in the log (type "evs.port").
 */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_debug.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>
#include <rte_spinlock.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Longest port name, terminating NUL included. */
#define EVS_PORT_NAME_MAX 32
/** Most ports that can exist at once; also the bound of evs_port_id(). */
#define EVS_PORT_MAX 1024
/** Most rx (and most tx) queues per port. */
#define EVS_PORT_MAX_QUEUES 64
/** Most distinct tx queue indexes (PMD lcores) per port. */
#define EVS_PORT_MAX_TX_USERS 128
/** Packets an evs_port_txbuf holds before it flushes by itself. */
#define EVS_PORT_TXBUF_SIZE 32

/** Backend kinds. */
enum evs_port_type {
	EVS_PORT_ETHDEV = 0, /**< any DPDK ethdev, named by devargs */
	EVS_PORT_VHOST,	     /**< vhost-user socket (rte_vhost) */
	EVS_PORT_TYPE_MAX,
};

/** Which side of a vhost-user socket edgevs is. */
enum evs_vhost_mode {
	EVS_VHOST_SERVER = 0, /**< edgevs creates and listens on the socket */
	EVS_VHOST_CLIENT,     /**< edgevs connects to a socket QEMU owns, reconnecting */
};

/** Why a port dropped a packet (port-level reasons, see also evs_drop_reason). */
enum evs_port_drop {
	EVS_PORT_DROP_RX_NOMBUF = 0,   /**< device: no mbuf to receive into */
	EVS_PORT_DROP_RX_MISSED,       /**< device: hardware rx ring full (imissed) */
	EVS_PORT_DROP_RX_ERRORS,       /**< device: erroneous frames received */
	EVS_PORT_DROP_TX_ERRORS,       /**< device: frames it failed to send */
	EVS_PORT_DROP_TX_FULL,	       /**< tx queue (or guest rx ring) full */
	EVS_PORT_DROP_GUEST_NOT_READY, /**< vhost: no guest connected and running */
	EVS_PORT_DROP_VRING_DISABLED,  /**< vhost: the guest disabled this queue (and queue 0) */
	EVS_PORT_DROP_NO_DESC,	       /**< vhost: the guest's rx ring had no free buffer */
	EVS_PORT_DROP_TX_CSUM,	       /**< a partial checksum could not be completed */
	EVS_PORT_DROP_MAX,
};

/** Port configuration for evs_port_create(). Zero means "default" where said. */
struct evs_port_config {
	const char *name;	 /**< unique, 1..EVS_PORT_NAME_MAX-1 chars */
	enum evs_port_type type; /**< backend */
	/** ETHDEV: "net_ring0", "net_tap0,iface=x", "0000:01:00.0,arg=v", ... */
	const char *devargs;
	const char *socket_path;	/**< VHOST: unix socket path; its directory must exist */
	enum evs_vhost_mode vhost_mode; /**< VHOST: server (default) or client */
	uint16_t nb_rxq; /**< rx queues wanted (0: 1); fewer if the device has fewer */
	uint16_t nb_txq; /**< tx queues wanted (0: 1); fewer if the device has fewer */
	/** Tx queue indexes the application will use (PMD lcores sending; 0: nb_txq). */
	uint16_t nb_tx_users;
	uint16_t nb_rxd;	   /**< ETHDEV: rx descriptors per queue (0: 1024) */
	uint16_t nb_txd;	   /**< ETHDEV: tx descriptors per queue (0: 1024) */
	struct rte_mempool *mp;	   /**< mbuf pool received packets come from (required) */
	uint16_t mtu;		   /**< L3 MTU (0: 1500) */
	int socket_id;		   /**< NUMA socket for queue memory; SOCKET_ID_ANY: device's */
	struct rte_rcu_qsbr *qsbr; /**< VHOST (required): the QSBR the PMD lcores report on */
};

/** Per-queue counters. rx queues use packets/bytes; tx queues use all. */
struct evs_port_qstats {
	uint64_t packets;		   /**< received / sent */
	uint64_t bytes;			   /**< bytes received / sent (pkt_len, no CRC) */
	uint64_t drops[EVS_PORT_DROP_MAX]; /**< by reason */
	uint64_t lock_waits;		   /**< tx: bursts that found the shared queue locked */
	uint64_t csum_sw;		   /**< tx: partial checksums completed in software */
	uint64_t csum_passed;		   /**< tx: partial checksums handed to the peer */
};

/** Port totals: queue counters summed plus device counters. */
struct evs_port_stats {
	uint64_t rx_packets;
	uint64_t rx_bytes;
	uint64_t tx_packets;
	uint64_t tx_bytes;
	uint64_t drops[EVS_PORT_DROP_MAX]; /**< by reason, rx and tx */
	uint64_t tx_lock_waits;		   /**< sum of evs_port_qstats.lock_waits */
	uint64_t tx_csum_sw;		   /**< sum of evs_port_qstats.csum_sw */
	uint64_t tx_csum_passed;	   /**< sum of evs_port_qstats.csum_passed */
};

/** Link state. */
struct evs_port_link {
	bool up;
	bool full_duplex;
	uint32_t speed_mbps; /**< 0: unknown (vhost, some virtual devices) */
	uint64_t changes;    /**< link changes seen by evs_port_link_poll() since create */
};

/** What a port ended up with (queue counts may be lower than asked for). */
struct evs_port_info {
	const char *name;
	enum evs_port_type type;
	uint16_t id; /**< evs_port_id() */
	uint16_t nb_rxq;
	uint16_t nb_txq;
	uint16_t nb_tx_users;
	uint16_t nb_shared_txq; /**< tx queues used by more than one index */
	uint16_t mtu;
	bool rss;		   /**< rx spread over queues by RSS (IP/TCP/UDP hash) */
	uint16_t ethdev_port_id;   /**< ETHDEV: DPDK port id; otherwise UINT16_MAX */
	struct rte_ether_addr mac; /**< ETHDEV: device MAC; VHOST: zero */
};

/**
 * Vhost-user connection state and guest lifecycle counters
 * (evs_port_vhost_get()). Counters run from port creation; they are not
 * affected by evs_port_stats_reset().
 */
struct evs_port_vhost_info {
	bool client;		    /**< edgevs connects to the socket (QEMU is the server) */
	bool connected;		    /**< a peer holds the socket now */
	bool running;		    /**< the guest driver is up: the port forwards */
	bool guest_csum;	    /**< partial checksums go to the guest as they are */
	uint64_t features;	    /**< virtio features of the current guest (0: none) */
	uint16_t nb_vrings;	    /**< vrings the current guest set up */
	uint16_t nb_vrings_enabled; /**< of those, enabled now */
	uint64_t connects;	    /**< connections accepted */
	uint64_t disconnects;	    /**< connections closed (guest gone, QEMU killed, ...) */
	uint64_t refused;	    /**< further connections refused while one was up */
	uint64_t guest_starts;	    /**< guest driver became ready (new_device) */
	uint64_t guest_stops;	    /**< guest driver stopped or reset (destroy_device) */
	uint64_t vring_enables;	    /**< vring enable events */
	uint64_t vring_disables;    /**< vring disable events */
	uint64_t tx_redirected;	    /**< packets sent on queue 0 because their queue was off */
};

struct evs_port;

/** Backend receive: up to @p n packets from queue @p qid. */
typedef uint16_t (*evs_port_rx_t)(void *drv, uint16_t qid, struct rte_mbuf **pkts, uint16_t n);
/**
 * Backend transmit: send up to @p n packets on queue @p qid, return how many
 * the backend took (it owns those now). For the rest it sets *why.
 */
typedef uint16_t (*evs_port_tx_t)(void *drv, uint16_t qid, struct rte_mbuf **pkts, uint16_t n,
				  enum evs_port_drop *why);

/** Receive queue state: written only by the PMD lcore that polls it. */
struct evs_port_rxq {
	struct evs_port_qstats st;
} __rte_cache_aligned;

/** Transmit queue state: its owner's, or the lock holder's when shared. */
struct evs_port_txq {
	rte_spinlock_t lock; /**< taken only when shared */
	bool shared;	     /**< more than one tx index maps here; fixed at create */
	struct evs_port_qstats st;
} __rte_cache_aligned;

/**
 * A port. The fields are read by the inline fast path and set by
 * evs_port_create(); treat them as read-only.
 */
struct evs_port {
	evs_port_rx_t rx;
	evs_port_tx_t tx;
	void *drv; /**< backend state */
	struct evs_port_rxq *rxq;
	struct evs_port_txq *txq;
	uint16_t nb_rxq;
	uint16_t nb_txq;
	uint16_t nb_tx_users;
	uint16_t id;
	/** Atomic: the peer takes partial checksums now (set by the backend). */
	uint32_t tx_csum_partial;
	char name[EVS_PORT_NAME_MAX];
} __rte_cache_aligned;

/* ------------------------------------------------------------------ */
/* Management lcore                                                    */
/* ------------------------------------------------------------------ */

/**
 * Create and start a port: probe the device (ethdev) or register the socket
 * (vhost), configure it, set up its queues and start it.
 *
 * @return the port, or NULL with rte_errno set:
 *   - EINVAL: missing/invalid field (name, devargs, socket path, mempool,
 *     qsbr for vhost, queue counts above EVS_PORT_MAX_QUEUES, MTU the device
 *     cannot take), devargs no bus or driver recognises or a driver rejects.
 *   - EEXIST: a port with this name exists, or the device / socket path is
 *     already used by another port.
 *   - ENOENT: the vhost socket directory does not exist.
 *   - EADDRINUSE: (vhost server) another process listens on the socket.
 *   - ENAMETOOLONG: name or socket path too long.
 *   - ENODEV: the device is not an Ethernet device.
 *   - ENOTSUP: no backend registered for the type (evs_net_drivers_register()
 *     not called).
 *   - ENOSPC: EVS_PORT_MAX ports exist.
 *   - ENOMEM, or what the device returned while configuring/starting.
 */
struct evs_port *evs_port_create(const struct evs_port_config *cfg);

/**
 * Stop, close and detach a port; its device disappears (a vdev or PCI device
 * this port attached is removed) so the same devargs can be created again.
 * The caller must have stopped all PMD use first (see the file comment).
 * NULL is a no-op.
 */
void evs_port_free(struct evs_port *port);

/** Reason for the last failure in this thread ("" if none); never NULL. */
const char *evs_port_last_error(void);

/** Port by name, or NULL. */
struct evs_port *evs_port_lookup(const char *name);

/** Port by id (0..EVS_PORT_MAX-1), or NULL. */
struct evs_port *evs_port_get(uint16_t id);

/** Small stable index of the port, unique among live ports (flow key in_port). */
static inline uint16_t evs_port_id(const struct evs_port *port)
{
	return port->id;
}

/**
 * Fill @p info.
 * @return 0, -EINVAL if an argument is NULL.
 */
int evs_port_info_get(const struct evs_port *port, struct evs_port_info *info);

/**
 * Port totals since create or the last reset.
 * @return 0, -EINVAL if an argument is NULL.
 */
int evs_port_stats_get(const struct evs_port *port, struct evs_port_stats *st);

/**
 * Counters of rx queue @p qid (@p tx false) or tx queue @p qid (@p tx true).
 * @return 0, -EINVAL on NULL or a queue out of range.
 */
int evs_port_queue_stats_get(const struct evs_port *port, bool tx, uint16_t qid,
			     struct evs_port_qstats *st);

/**
 * Make the counters read zero from now on. PMD lcores keep running: the
 * reset records a baseline instead of writing their counters.
 * @return 0, -EINVAL on NULL.
 */
int evs_port_stats_reset(struct evs_port *port);

/**
 * Vhost-user state and lifecycle counters of a vhost port.
 * @return 0, -EINVAL on NULL, -ENOTSUP when the port is not a vhost port.
 */
int evs_port_vhost_get(const struct evs_port *port, struct evs_port_vhost_info *vi);

/** Name of a drop reason ("tx_full", ...); never NULL. */
const char *evs_port_drop_name(enum evs_port_drop reason);

/** Name of a port type ("ethdev", "vhost"); never NULL. */
const char *evs_port_type_name(enum evs_port_type type);

/**
 * Current link state, read from the backend now.
 * @return 0, -EINVAL on NULL, or the backend's error.
 */
int evs_port_link_get(struct evs_port *port, struct evs_port_link *link);

/** Called from evs_port_link_poll() when a port's link changes. */
typedef void (*evs_port_link_cb_t)(struct evs_port *port, const struct evs_port_link *link,
				   void *arg);

/**
 * Set (or clear, with NULL) the port's link change callback.
 * @return 0, -EINVAL if @p port is NULL.
 */
int evs_port_link_cb_set(struct evs_port *port, evs_port_link_cb_t cb, void *arg);

/**
 * Check every port's link and call its callback for each change since the
 * previous poll. Backends note asynchronous events (LSC interrupts, vhost
 * connect/disconnect) so that a quick down/up between two polls is still
 * reported. Call it periodically from the management loop; the callbacks run
 * in this thread and may free ports, the one they are given included.
 * @return the number of ports whose link changed.
 */
unsigned int evs_port_link_poll(void);

/* ------------------------------------------------------------------ */
/* PMD lcores (fast path)                                              */
/* ------------------------------------------------------------------ */

/* Single-writer counter update: readers use relaxed atomic loads, so the
 * writer stores atomically too (no torn 64-bit values); relaxed is enough
 * because nothing else is published through a counter. */
static inline void evs_port_ctr_add(uint64_t *ctr, uint64_t v)
{
	__atomic_store_n(ctr, __atomic_load_n(ctr, __ATOMIC_RELAXED) + v, __ATOMIC_RELAXED);
}

/**
 * Receive up to @p n packets from rx queue @p qid, which the calling lcore
 * owns. Counts packets and bytes.
 * @return packets stored in @p pkts.
 */
static inline uint16_t evs_port_rx_burst(struct evs_port *port, uint16_t qid,
					 struct rte_mbuf **pkts, uint16_t n)
{
	struct evs_port_rxq *q;
	uint64_t bytes = 0;
	uint16_t nb, i;

	RTE_ASSERT(qid < port->nb_rxq);
	nb = port->rx(port->drv, qid, pkts, n);
	if (nb == 0)
		return 0;
	for (i = 0; i < nb; i++)
		bytes += rte_pktmbuf_pkt_len(pkts[i]);
	q = &port->rxq[qid];
	evs_port_ctr_add(&q->st.packets, nb);
	evs_port_ctr_add(&q->st.bytes, bytes);
	return nb;
}

/**
 * True when @p m carries a partial L4 checksum (pseudo-header sum only) that
 * must be completed before it leaves, as rte_vhost's compliant offload flags
 * and the virtio PMD report it.
 */
static inline bool evs_port_l4_partial(const struct rte_mbuf *m)
{
	return (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_NONE;
}

/**
 * Slow path of the tx functions, not for applications: for each packet with
 * a partial checksum, complete it in software (copying it first when its data
 * is shared) or, when the port's peer takes partial checksums, set the TX
 * offload flags and the pseudo-header sum. Packets that cannot be handled
 * (not TCP/UDP over IPv4/IPv6, malformed, no mbuf for a copy) are freed and
 * counted as EVS_PORT_DROP_TX_CSUM on @p q. Keeps the order of the rest,
 * compacted in @p pkts, and subtracts dropped lengths from *bytes.
 * @return packets left in @p pkts.
 */
uint16_t evs_port_tx_csum(struct evs_port *port, struct evs_port_txq *q, struct rte_mbuf **pkts,
			  uint16_t n, uint64_t *bytes);

/** Tx queue that tx index @p txu uses. */
static inline uint16_t evs_port_txq_of(const struct evs_port *port, uint16_t txu)
{
	return likely(txu < port->nb_txq) ? txu : txu % port->nb_txq;
}

/** True when tx index @p txu shares its queue with other indexes (bursts lock). */
static inline bool evs_port_txq_shared(const struct evs_port *port, uint16_t txu)
{
	return port->txq[evs_port_txq_of(port, txu)].shared;
}

/* Send everything, retrying while the backend makes progress; free and
 * count what is left. Called with the queue's lock held when shared. */
static inline uint16_t evs_port_tx_send(struct evs_port *port, struct evs_port_txq *q, uint16_t qid,
					struct rte_mbuf **pkts, uint16_t n)
{
	enum evs_port_drop why = EVS_PORT_DROP_TX_FULL;
	uint64_t bytes = 0, lost = 0;
	uint16_t sent = 0, k, i;
	bool partial = false;

	/* Sum lengths before sending: sent mbufs belong to the backend. The
	 * flag test shares the mbuf's first cache line with pkt_len. */
	for (i = 0; i < n; i++) {
		bytes += rte_pktmbuf_pkt_len(pkts[i]);
		partial |= evs_port_l4_partial(pkts[i]);
	}
	if (unlikely(partial))
		n = evs_port_tx_csum(port, q, pkts, n, &bytes);
	while (sent < n) {
		k = port->tx(port->drv, qid, pkts + sent, n - sent, &why);
		if (k == 0)
			break;
		sent += k;
	}
	if (unlikely(sent < n)) {
		for (i = sent; i < n; i++)
			lost += rte_pktmbuf_pkt_len(pkts[i]);
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
		evs_port_ctr_add(&q->st.drops[why], n - sent);
	}
	if (sent != 0) {
		evs_port_ctr_add(&q->st.packets, sent);
		evs_port_ctr_add(&q->st.bytes, bytes - lost);
	}
	return sent;
}

/**
 * Send @p n packets with tx index @p txu (the calling lcore's own). Takes
 * ownership of all of them: what the queue cannot take is freed and counted
 * as a drop with the backend's reason (tx_full, guest_not_ready,
 * vring_disabled).
 * @return packets sent.
 */
static inline uint16_t evs_port_tx_burst(struct evs_port *port, uint16_t txu,
					 struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t qid = evs_port_txq_of(port, txu);
	struct evs_port_txq *q = &port->txq[qid];
	uint16_t sent;

	RTE_ASSERT(txu < port->nb_tx_users);
	if (unlikely(n == 0))
		return 0;
	if (likely(!q->shared))
		return evs_port_tx_send(port, q, qid, pkts, n);
	if (!rte_spinlock_trylock(&q->lock)) {
		rte_spinlock_lock(&q->lock);
		/* Counted under the lock: the counter has one writer at a time. */
		evs_port_ctr_add(&q->st.lock_waits, 1);
	}
	sent = evs_port_tx_send(port, q, qid, pkts, n);
	rte_spinlock_unlock(&q->lock);
	return sent;
}

/**
 * Per-lcore, per-port transmit buffer: packets collect here during one loop
 * iteration and go out in one burst when the buffer fills or the lcore calls
 * evs_port_txbuf_flush() at the end of the iteration. Owned by one lcore.
 */
struct evs_port_txbuf {
	struct evs_port *port;
	uint16_t txu;	/**< the owning lcore's tx index for this port */
	uint16_t count; /**< packets waiting */
	struct rte_mbuf *pkts[EVS_PORT_TXBUF_SIZE];
} __rte_cache_aligned;

/** Point @p b at @p port with tx index @p txu, empty. */
static inline void evs_port_txbuf_init(struct evs_port_txbuf *b, struct evs_port *port,
				       uint16_t txu)
{
	b->port = port;
	b->txu = txu;
	b->count = 0;
}

/**
 * Send what the buffer holds (drops counted as in evs_port_tx_burst()).
 * @return packets sent.
 */
static inline uint16_t evs_port_txbuf_flush(struct evs_port_txbuf *b)
{
	uint16_t n = b->count;

	if (n == 0)
		return 0;
	b->count = 0;
	return evs_port_tx_burst(b->port, b->txu, b->pkts, n);
}

/** Queue one packet; sends the buffer when it becomes full. */
static inline void evs_port_txbuf_add(struct evs_port_txbuf *b, struct rte_mbuf *m)
{
	b->pkts[b->count++] = m;
	if (unlikely(b->count == EVS_PORT_TXBUF_SIZE))
		evs_port_txbuf_flush(b);
}

/** Free what the buffer holds without sending (before the port goes away). */
static inline void evs_port_txbuf_discard(struct evs_port_txbuf *b)
{
	rte_pktmbuf_free_bulk(b->pkts, b->count);
	b->count = 0;
}

/* ------------------------------------------------------------------ */
/* Per-lcore transmit set                                              */
/* ------------------------------------------------------------------ */

/** Ports a tx set buffers at once by default (evs_port_txset_config.nb_bufs). */
#define EVS_PORT_TXSET_BUFS 64

/**
 * Parameters of evs_port_txset_create(). Memory: about
 * 2 * nb_ports + 280 * nb_bufs bytes (evs_port_txset_memsize()), so a set
 * for 1024 ports with the default 64 buffers takes 20 KB, not one
 * 280-byte buffer per port.
 */
struct evs_port_txset_config {
	uint16_t txu;	   /**< the owning lcore's tx index, on every port */
	uint16_t nb_ports; /**< port indexes are < nb_ports (1..EVS_PORT_MAX) */
	/** Ports with packets waiting at once (0: EVS_PORT_TXSET_BUFS). One more
	 * port in the same iteration first sends everything buffered. */
	uint16_t nb_bufs;
	int socket_id;
};

/** One port's buffer in a tx set (read-only outside the inline functions). */
struct evs_port_txset_buf {
	struct evs_port *port;
	uint16_t idx;	/**< port index */
	uint16_t count; /**< packets waiting */
	struct rte_mbuf *pkts[EVS_PORT_TXBUF_SIZE];
};

/**
 * A PMD lcore's transmit buffers for any of nb_ports port indexes: packets
 * collect per port during one loop iteration; evs_port_txset_flush() sends
 * them, touching only the ports used since the last flush (in the order
 * they were first used). Owned by one lcore; the fields are for the inline
 * functions only.
 */
struct evs_port_txset {
	struct evs_port *const *ports; /**< bound table, by port index */
	uint16_t nb_bound;	       /**< its length */
	uint16_t txu;
	uint16_t nb_ports;
	uint16_t nb_bufs;
	uint16_t nb_used;		 /**< bufs[0..nb_used) hold this iteration's ports */
	uint16_t *slot;			 /**< [nb_ports]: 1 + buffer of the port, 0: none */
	struct evs_port_txset_buf *bufs; /**< [nb_bufs] */
	uint64_t early_flushes;		 /**< flushes forced by more than nb_bufs ports */
} __rte_cache_aligned;

/**
 * Create a tx set (management lcore, or the owner before its loop).
 * @return the set, or NULL with errno set: EINVAL (NULL config, nb_ports 0
 *   or above EVS_PORT_MAX), ENOMEM.
 */
struct evs_port_txset *evs_port_txset_create(const struct evs_port_txset_config *cfg);

/** Free a set; what it holds is freed unsent. NULL is ok. */
void evs_port_txset_free(struct evs_port_txset *ts);

/** Bytes evs_port_txset_create() allocates for @p cfg (0 if invalid). */
size_t evs_port_txset_memsize(const struct evs_port_txset_config *cfg);

/**
 * Use @p ports (indexed by port index, NULL: absent; @p n entries, the
 * table must outlive its use) from now on (owner lcore, e.g. when a new
 * configuration snapshot appears).
 * @return 0; -EBUSY when packets are waiting (flush first); -EINVAL when
 *   @p n exceeds nb_ports or @p ports is NULL with @p n > 0.
 */
int evs_port_txset_bind(struct evs_port_txset *ts, struct evs_port *const *ports, uint16_t n);

/**
 * Send every buffered packet (owner lcore); drops are counted by the ports
 * as in evs_port_tx_burst().
 * @return packets sent.
 */
uint32_t evs_port_txset_flush(struct evs_port_txset *ts);

/** Free every buffered packet unsent (owner lcore). */
void evs_port_txset_discard(struct evs_port_txset *ts);

/** Flushes forced because more than nb_bufs ports were used (any lcore; relaxed). */
static inline uint64_t evs_port_txset_early_flushes(const struct evs_port_txset *ts)
{
	return __atomic_load_n(&ts->early_flushes, __ATOMIC_RELAXED);
}

/**
 * Slow path of evs_port_txset_add(), not for applications: a port's first
 * packet when every buffer is taken (flushes the set first), or a packet for
 * an absent port.
 */
int evs_port_txset_add_first(struct evs_port_txset *ts, uint16_t port, struct rte_mbuf *m);

/**
 * Queue @p m for port index @p port (owner lcore). A buffer that fills is
 * sent at once; a port beyond nb_bufs in one iteration first flushes the set.
 * @return 0, or -ENODEV when @p port is not in the bound table: @p m is
 *   still the caller's (to free and count).
 */
static inline int evs_port_txset_add(struct evs_port_txset *ts, uint16_t port, struct rte_mbuf *m)
{
	struct evs_port_txset_buf *b;
	uint16_t s;

	/* A slot is set only for a port found in the bound table, so the
	 * table itself is read once per port and iteration, off this path. */
	if (unlikely(port >= ts->nb_bound))
		return -ENODEV;
	s = ts->slot[port];
	if (unlikely(s == 0)) {
		struct evs_port *p = ts->ports[port];

		if (unlikely(p == NULL || ts->nb_used == ts->nb_bufs))
			return evs_port_txset_add_first(ts, port, m);
		b = &ts->bufs[ts->nb_used++];
		ts->slot[port] = ts->nb_used;
		b->port = p;
		b->idx = port;
		b->count = 0;
	} else {
		b = &ts->bufs[s - 1];
	}
	b->pkts[b->count++] = m;
	if (unlikely(b->count == EVS_PORT_TXBUF_SIZE)) {
		b->count = 0;
		evs_port_tx_burst(b->port, ts->txu, b->pkts, EVS_PORT_TXBUF_SIZE);
	}
	return 0;
}

/**
 * Queue @p n packets for port index @p port, in order, as that many
 * evs_port_txset_add() calls would (owner lcore), resolving the port's
 * buffer once.
 * @return @p n, or 0 when @p port is not in the bound table (the packets
 *   are still the caller's).
 */
static inline uint16_t evs_port_txset_add_burst(struct evs_port_txset *ts, uint16_t port,
						struct rte_mbuf *const *pkts, uint16_t n)
{
	struct evs_port_txset_buf *b;
	uint16_t done, k;

	if (unlikely(n == 0) || unlikely(evs_port_txset_add(ts, port, pkts[0]) < 0))
		return 0;
	b = &ts->bufs[ts->slot[port] - 1];
	for (done = 1; done < n; done += k) {
		k = (uint16_t)RTE_MIN(n - done, EVS_PORT_TXBUF_SIZE - b->count);
		memcpy(&b->pkts[b->count], &pkts[done], sizeof(pkts[0]) * k);
		b->count += k;
		if (b->count == EVS_PORT_TXBUF_SIZE) {
			b->count = 0;
			evs_port_tx_burst(b->port, ts->txu, b->pkts, EVS_PORT_TXBUF_SIZE);
		}
	}
	return n;
}

#ifdef __cplusplus
}
#endif
#endif /* EVS_PORT_H */
