/* SPDX-License-Identifier: BSD-3-Clause */
/* Vhost-user backend directly on rte_vhost.
 *
 * Server mode: edgevs creates the socket and the guest (QEMU, virtio_user)
 * connects. Client mode: the guest side owns the socket; rte_vhost connects
 * and, as RTE_VHOST_USER_NO_RECONNECT is not set, keeps retrying once a
 * second whenever the peer is absent or goes away (22.11 semantics).
 *
 * Concurrency. rte_vhost calls the device callbacks on its own threads
 * ("vhost-events", "vhost_reconn", or the caller of
 * rte_vhost_driver_unregister). They publish to the PMD lcores with atomics:
 *  - new_device stores vid, then running = 1 with release; a PMD lcore loads
 *    running with acquire and only then reads vid.
 *  - vring_state_changed stores enabled[vring]; relaxed is enough: it only
 *    picks the drop reason and avoids asking rte_vhost for a vring the guest
 *    does not have; rte_vhost itself guards each vring with its access lock.
 *  - destroy_device stores running = 0, then waits for a grace period of the
 *    application's rte_rcu_qsbr: rte_rcu_qsbr_start() increments the token
 *    with release, so a PMD lcore that reports quiescent with that token
 *    (acquire) sees running == 0 afterwards, and every burst begun before
 *    its report has finished. When synchronize returns no lcore is inside
 *    rte_vhost on that vid, and rte_vhost may free the device.
 * Each callback holds vhost_lock from lookup to return, and evs_port_free
 * unlinks the port under that lock before unregistering, so a callback never
 * sees a port being freed. The management lcore never holds vhost_lock while
 * calling into rte_vhost (whose unregister waits for running callbacks).
 * The lifecycle counters are written by the callbacks and read by the
 * management lcore, both under vhost_lock.
 *
 * Offloads. We offer VIRTIO_NET_F_CSUM (the guest may send partial TCP/UDP
 * checksums) and VIRTIO_NET_F_GUEST_CSUM (we may send them), and mergeable
 * rx buffers; segmentation offloads (TSO/UFO/ECN) stay off, so every frame
 * is at most the guest's MTU. With RTE_VHOST_USER_NET_COMPLIANT_OL_FLAGS,
 * rte_vhost flags a guest's partial checksum RTE_MBUF_F_RX_L4_CKSUM_NONE (and
 * completes in software itself what is not plain TCP/UDP); lib/port's tx path
 * completes it for ports that need it, or, towards a guest that negotiated
 * GUEST_CSUM (evs_port_tx_csum_partial_set()), sets TX flags from which
 * rte_vhost writes NEEDS_CSUM into the guest's virtio-net header. That flag
 * is stored before running = 1 (release) and cleared before the grace period
 * that retires a guest, so a burst never sends partial checksums to a guest
 * that did not ask for them.
 *
 * Queues. Linux enables queue pairs 0..n-1 (ethtool -L); a tx queue whose
 * vring the guest disabled falls back to queue 0 (rte_vhost serialises
 * enqueues on one vring with the vring's access lock), so lowering the queue
 * count in the guest loses no traffic.
 */

#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <rte_malloc.h>
#include <rte_vhost.h>

#include "net_private.h"

/* Vring 2q is the guest's rx queue q (our tx), 2q+1 its tx queue (our rx). */
#define VHOST_VRING_GUEST_RX(q) ((uint16_t)(2 * (q)))
#define VHOST_VRING_GUEST_TX(q) ((uint16_t)(2 * (q) + 1))
#define VHOST_MAX_VRINGS (2 * EVS_PORT_MAX_QUEUES)

/* Segmentation offloads are not offered: frames stay within the MTU, so no
 * port behind the switch ever has to segment. Checksum offload is (above). */
#define VHOST_DISABLED_FEATURES                                                                    \
	((1ULL << VIRTIO_NET_F_GUEST_TSO4) | (1ULL << VIRTIO_NET_F_GUEST_TSO6) |                   \
	 (1ULL << VIRTIO_NET_F_GUEST_ECN) | (1ULL << VIRTIO_NET_F_GUEST_UFO) |                     \
	 (1ULL << VIRTIO_NET_F_HOST_TSO4) | (1ULL << VIRTIO_NET_F_HOST_TSO6) |                     \
	 (1ULL << VIRTIO_NET_F_HOST_ECN) | (1ULL << VIRTIO_NET_F_HOST_UFO))

/* Per tx queue counter written by the queue's user (or lock holder). */
struct vhost_txq_ctr {
	uint64_t redirected; /* sent on queue 0: the guest disabled this queue */
} __rte_cache_aligned;

struct vhost_port {
	/* Read by PMD lcores. */
	uint32_t running; /* atomic: 1 from new_device to destroy_device */
	int vid;	  /* atomic: device of the running connection */
	struct rte_mempool *mp;
	uint8_t enabled[VHOST_MAX_VRINGS]; /* atomic: vring enabled by the guest */
	/* Callbacks (under vhost_lock) and management lcore. */
	int conn_vid;	   /* the one accepted connection, -1 if none */
	uint64_t features; /* negotiated by the running guest */
	uint16_t nb_vrings;
	struct evs_port_vhost_info ctr; /* lifecycle counters */
	struct rte_rcu_qsbr *qsbr;
	struct evs_port *port;
	bool client;
	bool registered;
	char path[sizeof(((struct sockaddr_un *)NULL)->sun_path)];
	TAILQ_ENTRY(vhost_port) next;
	/* [port->nb_txq], not EVS_PORT_MAX_QUEUES: 64 B per queue the port has,
	 * which keeps a port at about 1.6 KB (doc/ports.md) */
	struct vhost_txq_ctr txc[];
} __rte_cache_aligned;

static pthread_mutex_t vhost_lock = PTHREAD_MUTEX_INITIALIZER;
static TAILQ_HEAD(, vhost_port) vhost_ports = TAILQ_HEAD_INITIALIZER(vhost_ports);

/* ---- fast path (PMD lcores) ---- */

static uint16_t vhost_rx(void *drv, uint16_t qid, struct rte_mbuf **pkts, uint16_t n)
{
	struct vhost_port *vp = drv;
	uint16_t vring = VHOST_VRING_GUEST_TX(qid);

	/* Acquire: pairs with new_device's release, so vid is current. */
	if (unlikely(!__atomic_load_n(&vp->running, __ATOMIC_ACQUIRE)))
		return 0;
	if (unlikely(!__atomic_load_n(&vp->enabled[vring], __ATOMIC_RELAXED)))
		return 0;
	return rte_vhost_dequeue_burst(__atomic_load_n(&vp->vid, __ATOMIC_RELAXED), vring, vp->mp,
				       pkts, n);
}

static uint16_t vhost_tx(void *drv, uint16_t qid, struct rte_mbuf **pkts, uint16_t n,
			 enum evs_port_drop *why)
{
	struct vhost_port *vp = drv;
	uint16_t vring = VHOST_VRING_GUEST_RX(qid);
	bool redirect = false;
	uint16_t sent;

	if (unlikely(!__atomic_load_n(&vp->running, __ATOMIC_ACQUIRE))) {
		*why = EVS_PORT_DROP_GUEST_NOT_READY;
		return 0;
	}
	if (unlikely(!__atomic_load_n(&vp->enabled[vring], __ATOMIC_RELAXED))) {
		/* The guest runs fewer queue pairs: its queue 0 takes ours. */
		if (qid == 0 ||
		    !__atomic_load_n(&vp->enabled[VHOST_VRING_GUEST_RX(0)], __ATOMIC_RELAXED)) {
			*why = EVS_PORT_DROP_VRING_DISABLED;
			return 0;
		}
		vring = VHOST_VRING_GUEST_RX(0);
		redirect = true;
	}
	sent = rte_vhost_enqueue_burst(__atomic_load_n(&vp->vid, __ATOMIC_RELAXED), vring, pkts, n);
	/* Enqueue copies into guest buffers: the mbufs stay ours. */
	evs_port_free_sent(pkts, sent);
	if (unlikely(redirect))
		evs_port_ctr_add(&vp->txc[qid].redirected, sent);
	*why = EVS_PORT_DROP_NO_DESC;
	return sent;
}

/* ---- rte_vhost callbacks (vhost threads) ---- */

/* Port of a vhost device; vhost_lock held. */
static struct vhost_port *vhost_port_of(int vid)
{
	char path[PATH_MAX];
	struct vhost_port *vp;

	if (rte_vhost_get_ifname(vid, path, sizeof(path)) < 0)
		return NULL;
	TAILQ_FOREACH(vp, &vhost_ports, next)
	{
		if (strcmp(vp->path, path) == 0)
			return vp;
	}
	return NULL;
}

static int vhost_new_connection(int vid)
{
	struct vhost_port *vp;
	int rc = -1;

	pthread_mutex_lock(&vhost_lock);
	vp = vhost_port_of(vid);
	if (vp != NULL && vp->conn_vid < 0) {
		vp->conn_vid = vid;
		vp->ctr.connects++;
		NET_LOG(INFO, "port '%s': vhost-user peer connected", vp->port->name);
		rc = 0;
	} else if (vp != NULL) {
		vp->ctr.refused++;
		NET_LOG(WARNING, "port '%s': refusing a second vhost-user connection on %s",
			vp->port->name, vp->path);
	}
	pthread_mutex_unlock(&vhost_lock);
	return rc;
}

static void vhost_destroy_connection(int vid)
{
	struct vhost_port *vp;
	unsigned int i;

	pthread_mutex_lock(&vhost_lock);
	vp = vhost_port_of(vid);
	if (vp != NULL && vp->conn_vid == vid) {
		vp->conn_vid = -1;
		vp->features = 0;
		vp->nb_vrings = 0;
		vp->ctr.disconnects++;
		/* Relaxed: running is already 0, nothing reads these meanwhile
		 * except to choose a drop reason. */
		for (i = 0; i < VHOST_MAX_VRINGS; i++)
			__atomic_store_n(&vp->enabled[i], 0, __ATOMIC_RELAXED);
		NET_LOG(INFO, "port '%s': vhost-user peer disconnected", vp->port->name);
		evs_port_link_event(vp->port);
	}
	pthread_mutex_unlock(&vhost_lock);
}

static int vhost_new_device(int vid)
{
	struct vhost_port *vp;
	uint64_t features;
	uint16_t i, nr;
	int rc = -1;

	pthread_mutex_lock(&vhost_lock);
	vp = vhost_port_of(vid);
	if (vp == NULL || vp->conn_vid != vid)
		goto out;
	if (rte_vhost_get_negotiated_features(vid, &features) < 0)
		features = 0;
	/* We poll: the guest need not kick us. */
	nr = rte_vhost_get_vring_num(vid);
	for (i = 0; i < nr; i++)
		rte_vhost_enable_guest_notification(vid, i, 0);
	vp->features = features;
	vp->nb_vrings = nr;
	vp->ctr.guest_starts++;
	evs_port_tx_csum_partial_set(vp->port, (features & (1ULL << VIRTIO_NET_F_GUEST_CSUM)) != 0);
	__atomic_store_n(&vp->vid, vid, __ATOMIC_RELAXED);
	/* Release: vid and the checksum mode (above) are visible to whoever
	 * sees running == 1. */
	__atomic_store_n(&vp->running, 1, __ATOMIC_RELEASE);
	NET_LOG(INFO, "port '%s': guest ready (%u vrings, features 0x%" PRIx64 ")", vp->port->name,
		nr, features);
	evs_port_link_event(vp->port);
	rc = 0;
out:
	pthread_mutex_unlock(&vhost_lock);
	return rc;
}

static void vhost_destroy_device(int vid)
{
	struct vhost_port *vp;

	pthread_mutex_lock(&vhost_lock);
	vp = vhost_port_of(vid);
	if (vp != NULL && vp->conn_vid == vid && __atomic_load_n(&vp->running, __ATOMIC_RELAXED)) {
		/* Relaxed: rte_rcu_qsbr_start() below releases both (see top). */
		evs_port_tx_csum_partial_set(vp->port, false);
		__atomic_store_n(&vp->running, 0, __ATOMIC_RELAXED);
		rte_rcu_qsbr_synchronize(vp->qsbr, RTE_QSBR_THRID_INVALID);
		vp->ctr.guest_stops++;
		NET_LOG(INFO, "port '%s': guest stopped", vp->port->name);
		evs_port_link_event(vp->port);
	}
	pthread_mutex_unlock(&vhost_lock);
}

static int vhost_vring_state_changed(int vid, uint16_t vring, int enable)
{
	struct vhost_port *vp;

	pthread_mutex_lock(&vhost_lock);
	vp = vhost_port_of(vid);
	if (vp != NULL && vp->conn_vid == vid && vring < VHOST_MAX_VRINGS) {
		__atomic_store_n(&vp->enabled[vring], enable ? 1 : 0, __ATOMIC_RELAXED);
		if (enable)
			vp->ctr.vring_enables++;
		else
			vp->ctr.vring_disables++;
		NET_LOG(DEBUG, "port '%s': vring %u %s", vp->port->name, vring,
			enable ? "enabled" : "disabled");
	}
	pthread_mutex_unlock(&vhost_lock);
	return 0;
}

static const struct rte_vhost_device_ops vhost_dev_ops = {
    .new_device = vhost_new_device,
    .destroy_device = vhost_destroy_device,
    .vring_state_changed = vhost_vring_state_changed,
    .new_connection = vhost_new_connection,
    .destroy_connection = vhost_destroy_connection,
};

/* ---- management lcore ---- */

static int vhost_check_dir(const char *pname, const char *path)
{
	char buf[sizeof(((struct vhost_port *)NULL)->path)];
	struct stat st;
	char *dir;

	snprintf(buf, sizeof(buf), "%s", path);
	dir = dirname(buf);
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		evs_port_errorf("port '%s': socket directory '%s' does not exist", pname, dir);
		return -ENOENT;
	}
	return 0;
}

/* Server mode: a socket file left by a dead process is removed; one with a
 * listener, or a non-socket, is an error. */
static int vhost_check_server_path(const char *pname, const char *path)
{
	struct sockaddr_un un;
	struct stat st;
	int fd, rc, err;

	if (lstat(path, &st) < 0)
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		evs_port_errorf("port '%s': '%s' exists and is not a socket", pname, path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = errno;
		evs_port_errorf("port '%s': socket(): %s", pname, strerror(err));
		return -err;
	}
	memset(&un, 0, sizeof(un));
	un.sun_family = AF_UNIX;
	snprintf(un.sun_path, sizeof(un.sun_path), "%s", path);
	rc = connect(fd, (struct sockaddr *)&un, sizeof(un));
	err = errno;
	close(fd);
	if (rc == 0) {
		evs_port_errorf("port '%s': another process listens on '%s'", pname, path);
		return -EADDRINUSE;
	}
	if (err != ECONNREFUSED) {
		evs_port_errorf("port '%s': cannot check '%s': %s", pname, path, strerror(err));
		return -err;
	}
	if (unlink(path) < 0) {
		err = errno;
		evs_port_errorf("port '%s': cannot remove stale socket '%s': %s", pname, path,
				strerror(err));
		return -err;
	}
	NET_LOG(NOTICE, "port '%s': removed stale socket %s", pname, path);
	return 0;
}

static int vhost_check_config(struct evs_port *port, const struct evs_port_config *cfg)
{
	const char *path = cfg->socket_path;
	struct vhost_port *vp;
	unsigned int n = 0;
	int rc = 0;

	if (path == NULL || path[0] == '\0') {
		evs_port_errorf("port '%s': vhost socket path missing", port->name);
		return -EINVAL;
	}
	if (strlen(path) >= sizeof(vp->path)) {
		evs_port_errorf("port '%s': socket path longer than %zu characters", port->name,
				sizeof(vp->path) - 1);
		return -ENAMETOOLONG;
	}
	if (cfg->qsbr == NULL) {
		evs_port_errorf("port '%s': vhost ports need the datapath's rte_rcu_qsbr",
				port->name);
		return -EINVAL;
	}
	if (cfg->vhost_mode != EVS_VHOST_SERVER && cfg->vhost_mode != EVS_VHOST_CLIENT) {
		evs_port_errorf("port '%s': unknown vhost mode %d", port->name,
				(int)cfg->vhost_mode);
		return -EINVAL;
	}
	pthread_mutex_lock(&vhost_lock);
	TAILQ_FOREACH(vp, &vhost_ports, next)
	{
		if (strcmp(vp->path, path) == 0) {
			evs_port_errorf("port '%s': socket '%s' already used by port '%s'",
					port->name, path, vp->port->name);
			rc = -EEXIST;
			break;
		}
		n++;
	}
	pthread_mutex_unlock(&vhost_lock);
	if (rc == 0 && n >= RTE_MAX_VHOST_DEVICE) {
		evs_port_errorf("port '%s': rte_vhost allows %d vhost-user ports "
				"(RTE_MAX_VHOST_DEVICE) and all are in use",
				port->name, RTE_MAX_VHOST_DEVICE);
		return -ENOSPC;
	}
	if (rc == 0)
		rc = vhost_check_dir(port->name, path);
	if (rc == 0 && cfg->vhost_mode == EVS_VHOST_SERVER)
		rc = vhost_check_server_path(port->name, path);
	return rc;
}

static void vhost_unlink_port(struct vhost_port *vp)
{
	pthread_mutex_lock(&vhost_lock);
	TAILQ_REMOVE(&vhost_ports, vp, next);
	pthread_mutex_unlock(&vhost_lock);
	if (vp->registered && rte_vhost_driver_unregister(vp->path) < 0)
		NET_LOG(WARNING, "port '%s': unregistering %s failed", vp->port->name, vp->path);
	vp->registered = false;
}

static int vhost_create(struct evs_port *port, const struct evs_port_config *cfg)
{
	uint64_t flags = RTE_VHOST_USER_NET_COMPLIANT_OL_FLAGS;
	uint64_t disable = VHOST_DISABLED_FEATURES;
	struct vhost_port *vp;
	int rc;

	rc = vhost_check_config(port, cfg);
	if (rc < 0)
		return rc;
	vp = rte_zmalloc_socket("evs_vhost", sizeof(*vp) + sizeof(vp->txc[0]) * port->nb_txq,
				RTE_CACHE_LINE_SIZE, cfg->socket_id);
	if (vp == NULL) {
		evs_port_errorf("port '%s': out of memory", port->name);
		return -ENOMEM;
	}
	vp->port = port;
	vp->mp = cfg->mp;
	vp->qsbr = cfg->qsbr;
	vp->client = cfg->vhost_mode == EVS_VHOST_CLIENT;
	vp->vid = -1;
	vp->conn_vid = -1;
	snprintf(vp->path, sizeof(vp->path), "%s", cfg->socket_path);
	if (vp->client)
		flags |= RTE_VHOST_USER_CLIENT;
	/* One queue pair: do not offer multi-queue the port would not poll. */
	if (RTE_MAX(port->nb_rxq, port->nb_txq) == 1)
		disable |= 1ULL << VIRTIO_NET_F_MQ;

	/* Linked first: client mode may connect inside driver_start(). */
	pthread_mutex_lock(&vhost_lock);
	TAILQ_INSERT_TAIL(&vhost_ports, vp, next);
	pthread_mutex_unlock(&vhost_lock);

	rc = -EINVAL;
	if (rte_vhost_driver_register(vp->path, flags) < 0) {
		evs_port_errorf("port '%s': cannot register vhost-user socket %s", port->name,
				vp->path);
		goto unlink;
	}
	vp->registered = true;
	if (rte_vhost_driver_disable_features(vp->path, disable) < 0 ||
	    rte_vhost_driver_callback_register(vp->path, &vhost_dev_ops) < 0) {
		evs_port_errorf("port '%s': cannot set up vhost-user socket %s", port->name,
				vp->path);
		goto unlink;
	}
	errno = 0;
	if (rte_vhost_driver_start(vp->path) < 0) {
		rc = errno != 0 ? -errno : -EIO;
		/* rte_vhost polls listening and connected sockets in one set of
		 * 1024 fds (lib/vhost fd_man.h MAX_FDS): see doc/ports.md */
		evs_port_errorf("port '%s': cannot %s vhost-user socket %s: %s (rte_vhost "
				"watches at most 1023 listening + connected sockets)",
				port->name, vp->client ? "connect to" : "listen on", vp->path,
				strerror(-rc));
		goto unlink;
	}
	port->drv = vp;
	port->rx = vhost_rx;
	port->tx = vhost_tx;
	NET_LOG(INFO, "port '%s': vhost-user %s on %s", port->name,
		vp->client ? "client" : "server", vp->path);
	return 0;

unlink:
	vhost_unlink_port(vp);
	rte_free(vp);
	return rc;
}

static void vhost_free(struct evs_port *port)
{
	struct vhost_port *vp = port->drv;

	vhost_unlink_port(vp);
	rte_free(vp);
}

static int vhost_link_get(struct evs_port *port, struct evs_port_link *link)
{
	struct vhost_port *vp = port->drv;

	/* Relaxed: a snapshot for the management lcore, nothing follows from it. */
	link->up = __atomic_load_n(&vp->running, __ATOMIC_RELAXED) != 0;
	link->full_duplex = true;
	link->speed_mbps = 0;
	return 0;
}

static int vhost_info(struct evs_port *port, struct evs_port_vhost_info *vi)
{
	struct vhost_port *vp = port->drv;
	unsigned int i;

	pthread_mutex_lock(&vhost_lock);
	*vi = vp->ctr;
	vi->client = vp->client;
	vi->connected = vp->conn_vid >= 0;
	/* Relaxed: snapshots for a report. */
	vi->running = __atomic_load_n(&vp->running, __ATOMIC_RELAXED) != 0;
	vi->guest_csum = __atomic_load_n(&port->tx_csum_partial, __ATOMIC_RELAXED) != 0;
	vi->features = vi->connected ? vp->features : 0;
	vi->nb_vrings = vi->connected ? vp->nb_vrings : 0;
	vi->nb_vrings_enabled = 0;
	for (i = 0; i < VHOST_MAX_VRINGS; i++)
		vi->nb_vrings_enabled += __atomic_load_n(&vp->enabled[i], __ATOMIC_RELAXED) != 0;
	pthread_mutex_unlock(&vhost_lock);
	vi->tx_redirected = 0;
	for (i = 0; i < port->nb_txq; i++)
		vi->tx_redirected += __atomic_load_n(&vp->txc[i].redirected, __ATOMIC_RELAXED);
	return 0;
}

const struct evs_port_ops evs_net_vhost_ops = {
    .type = EVS_PORT_VHOST,
    .name = "vhost",
    .create = vhost_create,
    .free = vhost_free,
    .link_get = vhost_link_get,
    .vhost_info = vhost_info,
};
