/* SPDX-License-Identifier: BSD-3-Clause */
/* Ethdev backend: any DPDK Ethernet device named by devargs (vdev or PCI),
 * attached at run time, multi-queue with RSS when the device has it,
 * promiscuous (a switch port sees every MAC). */

/* rte_devargs_reset() is still experimental in 22.11; without it a parsed
 * devargs leaks its argument string. */
#define ALLOW_EXPERIMENTAL_API

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_devargs.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_pause.h>

#include "net_private.h"

#define ETHDEV_DEFAULT_DESC 1024
#define ETHDEV_RSS_HF (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP)

struct ethdev_port {
	struct evs_port *port;
	uint16_t port_id;
	bool attached; /* this port probed the device: remove it on free */
	bool started;
	bool lsc; /* link interrupt callback registered */
	bool rss;
	char devname[RTE_DEV_NAME_MAX_LEN];
	char busname[32];
};

/* Which evs port owns each ethdev (management lcore only). */
static struct ethdev_port *ethdev_owner[RTE_MAX_ETHPORTS];

static uint16_t ethdev_rx(void *drv, uint16_t qid, struct rte_mbuf **pkts, uint16_t n)
{
	const struct ethdev_port *e = drv;

	return rte_eth_rx_burst(e->port_id, qid, pkts, n);
}

static uint16_t ethdev_tx(void *drv, uint16_t qid, struct rte_mbuf **pkts, uint16_t n,
			  enum evs_port_drop *why)
{
	const struct ethdev_port *e = drv;

	*why = EVS_PORT_DROP_TX_FULL;
	return rte_eth_tx_burst(e->port_id, qid, pkts, n);
}

/* Runs on the interrupt thread. */
static int ethdev_lsc_cb(uint16_t port_id, enum rte_eth_event_type event, void *arg,
			 void *ret_param)
{
	struct ethdev_port *e = arg;

	RTE_SET_USED(port_id);
	RTE_SET_USED(event);
	RTE_SET_USED(ret_param);
	evs_port_link_event(e->port);
	return 0;
}

/* The ethdev of a device: by name first, then by parent device (a device
 * may name its ports differently, e.g. representors). */
static int ethdev_find(const char *devname, uint16_t *port_id)
{
	struct rte_eth_dev_info di;
	uint16_t pid;

	if (rte_eth_dev_get_port_by_name(devname, port_id) == 0)
		return 0;
	RTE_ETH_FOREACH_DEV (pid) {
		if (rte_eth_dev_info_get(pid, &di) == 0 && di.device != NULL &&
		    strcmp(rte_dev_name(di.device), devname) == 0) {
			*port_id = pid;
			return 0;
		}
	}
	return -ENODEV;
}

/* Attach (or find, if already attached) the device of @p devargs. */
static int ethdev_attach(struct ethdev_port *e, const char *pname, const char *devargs)
{
	struct rte_devargs da;
	int rc;

	memset(&da, 0, sizeof(da));
	if (rte_devargs_parse(&da, devargs) < 0) {
		evs_port_errorf("port '%s': devargs '%s' not recognised: expected a vdev "
				"(net_ring0, net_tap0,iface=x, ...) or a PCI address",
				pname, devargs);
		return -EINVAL;
	}
	snprintf(e->devname, sizeof(e->devname), "%s", da.name);
	snprintf(e->busname, sizeof(e->busname), "%s", da.bus != NULL ? rte_bus_name(da.bus) : "");
	rte_devargs_reset(&da);

	if (ethdev_find(e->devname, &e->port_id) == 0) {
		if (ethdev_owner[e->port_id] != NULL) {
			evs_port_errorf("port '%s': device '%s' already used by port '%s'", pname,
					e->devname, ethdev_owner[e->port_id]->port->name);
			return -EEXIST;
		}
		return 0; /* attached by EAL (-a/--vdev) or the application */
	}
	/* Debian's DPDK is built with RTE_MAX_ETHPORTS 32; vhost-user ports
	 * (drivers/net/vhost.c) are not ethdevs and do not count. */
	if (rte_eth_dev_count_total() >= RTE_MAX_ETHPORTS) {
		evs_port_errorf("port '%s': cannot attach '%s': DPDK allows %d ethdev ports "
				"(RTE_MAX_ETHPORTS) and all are in use; vhost-user ports do not "
				"count against it",
				pname, devargs, RTE_MAX_ETHPORTS);
		return -ENOSPC;
	}
	rc = rte_dev_probe(devargs);
	if (rc < 0 && rc != -EEXIST) {
		/* Drivers reject bad arguments with a bare -1 (-EPERM). */
		if (rc == -EPERM)
			rc = -EINVAL;
		evs_port_errorf("port '%s': cannot attach '%s': %s", pname, devargs,
				rc == -EINVAL ? "driver rejected the device or its arguments"
					      : strerror(-rc));
		return rc;
	}
	e->attached = rc == 0;
	if (ethdev_find(e->devname, &e->port_id) < 0) {
		evs_port_errorf("port '%s': '%s' is not an Ethernet device", pname, e->devname);
		if (e->attached)
			rte_eal_hotplug_remove(e->busname, e->devname);
		e->attached = false;
		return -ENODEV;
	}
	return 0;
}

static void ethdev_detach(struct ethdev_port *e)
{
	struct rte_eth_dev_info di;
	struct rte_device *dev = NULL;

	if (rte_eth_dev_info_get(e->port_id, &di) == 0)
		dev = di.device;
	if (e->started)
		rte_eth_dev_stop(e->port_id);
	e->started = false;
	if (e->lsc) {
		/* -EAGAIN while the callback runs on the interrupt thread. */
		while (rte_eth_dev_callback_unregister(e->port_id, RTE_ETH_EVENT_INTR_LSC,
						       ethdev_lsc_cb, e) == -EAGAIN)
			rte_delay_us_sleep(100);
		e->lsc = false;
	}
	if (!e->attached)
		return; /* not ours to close: leave it stopped, as we found it */
	rte_eth_dev_close(e->port_id);
	if (dev == NULL || rte_dev_remove(dev) < 0)
		NET_LOG(WARNING, "device '%s' could not be detached", e->devname);
	e->attached = false;
}

/* L2 bytes around an L3 MTU: the device's own figure when it gives one,
 * else Ethernet header + CRC. */
static uint32_t ethdev_overhead(const struct rte_eth_dev_info *di)
{
	if (di->max_mtu != UINT16_MAX && di->max_rx_pktlen > di->max_mtu)
		return di->max_rx_pktlen - di->max_mtu;
	return RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN;
}

static int ethdev_conf(struct ethdev_port *e, struct evs_port *port,
		       const struct evs_port_config *cfg, const struct rte_eth_dev_info *di,
		       struct rte_eth_conf *conf)
{
	uint16_t mtu = cfg->mtu != 0 ? cfg->mtu : RTE_ETHER_MTU;
	uint32_t frame, room;

	memset(conf, 0, sizeof(*conf));
	if (di->max_rx_queues == 0 || di->max_tx_queues == 0) {
		evs_port_errorf("port '%s': device '%s' has no rx or no tx queue", port->name,
				e->devname);
		return -ENODEV;
	}
	if (port->nb_rxq > di->max_rx_queues || port->nb_txq > di->max_tx_queues)
		NET_LOG(WARNING, "port '%s': %u rxq/%u txq asked, device has %u/%u", port->name,
			port->nb_rxq, port->nb_txq, di->max_rx_queues, di->max_tx_queues);
	port->nb_rxq = RTE_MIN(port->nb_rxq, di->max_rx_queues);
	port->nb_txq = RTE_MIN(port->nb_txq, di->max_tx_queues);

	if (port->nb_rxq > 1 && (di->flow_type_rss_offloads & ETHDEV_RSS_HF) != 0) {
		conf->rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf->rx_adv_conf.rss_conf.rss_hf = di->flow_type_rss_offloads & ETHDEV_RSS_HF;
		/* The pipeline reuses the NIC hash (mbuf hash.rss) when set. */
		if (di->rx_offload_capa & RTE_ETH_RX_OFFLOAD_RSS_HASH)
			conf->rxmode.offloads |= RTE_ETH_RX_OFFLOAD_RSS_HASH;
		e->rss = true;
	} else if (port->nb_rxq > 1) {
		NET_LOG(WARNING,
			"port '%s': device has no IP/TCP/UDP RSS; %u rx queues "
			"get only what the device puts there",
			port->name, port->nb_rxq);
	}

	if (mtu < di->min_mtu || mtu > di->max_mtu) {
		evs_port_errorf("port '%s': MTU %u outside the device's range %u..%u", port->name,
				mtu, di->min_mtu, di->max_mtu);
		return -EINVAL;
	}
	conf->rxmode.mtu = mtu;
	/* Two VLAN tags on top: a trunk port carries tagged frames. */
	frame = mtu + ethdev_overhead(di) + 2 * RTE_VLAN_HLEN;
	room = rte_pktmbuf_data_room_size(cfg->mp) - RTE_PKTMBUF_HEADROOM;
	if (frame > room) {
		if (!(di->rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER)) {
			evs_port_errorf("port '%s': MTU %u needs %u-byte frames, mbufs hold %u "
					"and the device cannot scatter",
					port->name, mtu, frame, room);
			return -EINVAL;
		}
		conf->rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
	}
	/* Chained mbufs (jumbo, vhost mergeable buffers) must be sendable. */
	if (di->tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)
		conf->txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	if (di->dev_flags != NULL && (*di->dev_flags & RTE_ETH_DEV_INTR_LSC))
		conf->intr_conf.lsc = 1;
	return 0;
}

static int ethdev_queues(struct ethdev_port *e, struct evs_port *port,
			 const struct evs_port_config *cfg, const struct rte_eth_dev_info *di,
			 const struct rte_eth_conf *conf)
{
	uint16_t nb_rxd = cfg->nb_rxd != 0 ? cfg->nb_rxd : ETHDEV_DEFAULT_DESC;
	uint16_t nb_txd = cfg->nb_txd != 0 ? cfg->nb_txd : ETHDEV_DEFAULT_DESC;
	struct rte_eth_rxconf rxc = di->default_rxconf;
	struct rte_eth_txconf txc = di->default_txconf;
	int socket = cfg->socket_id;
	uint16_t q;
	int rc;

	if (socket == SOCKET_ID_ANY)
		socket = rte_eth_dev_socket_id(e->port_id);
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(e->port_id, &nb_rxd, &nb_txd);
	if (rc < 0)
		goto err;
	rxc.offloads = conf->rxmode.offloads;
	txc.offloads = conf->txmode.offloads;
	for (q = 0; q < port->nb_rxq; q++) {
		rc = rte_eth_rx_queue_setup(e->port_id, q, nb_rxd, socket, &rxc, cfg->mp);
		if (rc < 0)
			goto err;
	}
	for (q = 0; q < port->nb_txq; q++) {
		rc = rte_eth_tx_queue_setup(e->port_id, q, nb_txd, socket, &txc);
		if (rc < 0)
			goto err;
	}
	return 0;
err:
	evs_port_errorf("port '%s': queue setup on '%s' failed: %s", port->name, e->devname,
			strerror(-rc));
	return rc;
}

/* Best effort: virtual devices without filtering report ENOTSUP. */
static void ethdev_promisc(struct ethdev_port *e, const char *pname)
{
	int rc;

	rc = rte_eth_promiscuous_enable(e->port_id);
	if (rc < 0 && rc != -ENOTSUP)
		NET_LOG(WARNING, "port '%s': promiscuous mode: %s", pname, strerror(-rc));
	rc = rte_eth_allmulticast_enable(e->port_id);
	if (rc < 0 && rc != -ENOTSUP)
		NET_LOG(WARNING, "port '%s': all-multicast mode: %s", pname, strerror(-rc));
}

static int ethdev_create(struct evs_port *port, const struct evs_port_config *cfg)
{
	struct rte_eth_dev_info di;
	struct rte_eth_conf conf;
	struct ethdev_port *e;
	int rc;

	if (cfg->devargs == NULL || cfg->devargs[0] == '\0') {
		evs_port_errorf("port '%s': devargs missing", port->name);
		return -EINVAL;
	}
	e = rte_zmalloc_socket("evs_ethdev", sizeof(*e), RTE_CACHE_LINE_SIZE, cfg->socket_id);
	if (e == NULL) {
		evs_port_errorf("port '%s': out of memory", port->name);
		return -ENOMEM;
	}
	e->port = port;
	rc = ethdev_attach(e, port->name, cfg->devargs);
	if (rc < 0)
		goto free_e;
	rc = rte_eth_dev_info_get(e->port_id, &di);
	if (rc < 0) {
		evs_port_errorf("port '%s': cannot query '%s': %s", port->name, e->devname,
				strerror(-rc));
		goto detach;
	}
	rc = ethdev_conf(e, port, cfg, &di, &conf);
	if (rc < 0)
		goto detach;
	rc = rte_eth_dev_configure(e->port_id, port->nb_rxq, port->nb_txq, &conf);
	if (rc < 0) {
		evs_port_errorf("port '%s': configuring '%s' failed: %s", port->name, e->devname,
				strerror(-rc));
		goto detach;
	}
	rc = ethdev_queues(e, port, cfg, &di, &conf);
	if (rc < 0)
		goto detach;
	if (conf.intr_conf.lsc) {
		rc = rte_eth_dev_callback_register(e->port_id, RTE_ETH_EVENT_INTR_LSC,
						   ethdev_lsc_cb, e);
		if (rc < 0) {
			evs_port_errorf("port '%s': link callback: %s", port->name, strerror(-rc));
			goto detach;
		}
		e->lsc = true;
	}
	rc = rte_eth_dev_start(e->port_id);
	if (rc < 0) {
		evs_port_errorf("port '%s': starting '%s' failed: %s", port->name, e->devname,
				strerror(-rc));
		goto detach;
	}
	e->started = true;
	ethdev_promisc(e, port->name);

	ethdev_owner[e->port_id] = e;
	port->drv = e;
	port->rx = ethdev_rx;
	port->tx = ethdev_tx;
	return 0;

detach:
	ethdev_detach(e);
free_e:
	rte_free(e);
	return rc;
}

static void ethdev_free(struct evs_port *port)
{
	struct ethdev_port *e = port->drv;

	ethdev_owner[e->port_id] = NULL;
	ethdev_detach(e);
	rte_free(e);
}

static int ethdev_link_get(struct evs_port *port, struct evs_port_link *link)
{
	struct ethdev_port *e = port->drv;
	struct rte_eth_link l;
	int rc;

	memset(&l, 0, sizeof(l));
	rc = rte_eth_link_get_nowait(e->port_id, &l);
	if (rc < 0)
		return rc;
	link->up = l.link_status == RTE_ETH_LINK_UP;
	link->full_duplex = l.link_duplex == RTE_ETH_LINK_FULL_DUPLEX;
	link->speed_mbps = l.link_speed == RTE_ETH_SPEED_NUM_UNKNOWN ? 0 : l.link_speed;
	return 0;
}

static int ethdev_dev_stats(struct evs_port *port, struct evs_port_dev_stats *st)
{
	struct ethdev_port *e = port->drv;
	struct rte_eth_stats s;
	int rc;

	rc = rte_eth_stats_get(e->port_id, &s);
	if (rc < 0)
		return rc;
	st->drops[EVS_PORT_DROP_RX_NOMBUF] = s.rx_nombuf;
	st->drops[EVS_PORT_DROP_RX_MISSED] = s.imissed;
	st->drops[EVS_PORT_DROP_RX_ERRORS] = s.ierrors;
	st->drops[EVS_PORT_DROP_TX_ERRORS] = s.oerrors;
	return 0;
}

static void ethdev_info(struct evs_port *port, struct evs_port_info *info)
{
	struct ethdev_port *e = port->drv;

	info->rss = e->rss;
	info->ethdev_port_id = e->port_id;
	if (rte_eth_macaddr_get(e->port_id, &info->mac) < 0)
		memset(&info->mac, 0, sizeof(info->mac));
}

const struct evs_port_ops evs_net_ethdev_ops = {
    .type = EVS_PORT_ETHDEV,
    .name = "ethdev",
    .create = ethdev_create,
    .free = ethdev_free,
    .link_get = ethdev_link_get,
    .dev_stats = ethdev_dev_stats,
    .info = ethdev_info,
};
