/* SPDX-License-Identifier: BSD-3-Clause */
/* Mbuf pool and port set-up: any ethdev (vdev or PCI) works the same way. */

#include <errno.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "gen_app.h"

static unsigned int max_size(const struct gen_opts *o)
{
	unsigned int i, m = 0;

	for (i = 0; i < o->mix.n; i++)
		m = RTE_MAX(m, o->mix.size[i]);
	return m;
}

struct rte_mempool *gen_pool_create(const struct gen_opts *o)
{
	unsigned int nports = (o->tx_port >= 0) + (o->rx_port >= 0);
	unsigned int n = o->mbufs, room;

	if (n == 0) {
		/* Enough to fill every ring, plus per-lcore caches and bursts in flight. */
		n = nports * o->queues * (o->rxd + o->txd) + rte_lcore_count() * 512 +
		    4 * GEN_STREAMS_MAX + 4096;
		n = RTE_MAX(n, 8192u);
	}
	/* Room for our largest frame, and at least a standard frame on receive
	 * (the device under test may add headers). */
	room = RTE_MAX(max_size(o) + 64, (unsigned int)RTE_MBUF_DEFAULT_DATAROOM) +
	       RTE_PKTMBUF_HEADROOM;
	return rte_pktmbuf_pool_create("gen_pool", n, 256, 0, (uint16_t)room, (int)rte_socket_id());
}

static int port_setup(const struct gen_opts *o, uint16_t port, struct rte_mempool *pool)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	uint16_t rxd = o->rxd, txd = o->txd, q;
	uint32_t mtu;
	int rc;

	memset(&conf, 0, sizeof(conf));
	rc = rte_eth_dev_info_get(port, &info);
	if (rc != 0)
		return rc;
	if (o->queues > info.max_rx_queues || o->queues > info.max_tx_queues) {
		GEN_LOG(ERR, "port %u (%s) supports %u rx / %u tx queues, %u asked\n", port,
			info.driver_name, info.max_rx_queues, info.max_tx_queues, o->queues);
		return -EINVAL;
	}
	mtu = max_size(o) - RTE_ETHER_HDR_LEN - RTE_ETHER_CRC_LEN - (o->pkt.vlan ? 4 : 0);
	if (mtu > RTE_ETHER_MTU) {
		if (info.max_mtu < mtu) {
			GEN_LOG(ERR, "port %u (%s): MTU %u needed, at most %u\n", port,
				info.driver_name, mtu, info.max_mtu);
			return -EINVAL;
		}
		conf.rxmode.mtu = mtu;
	}
	if (o->queues > 1)
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
	conf.rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_IP & info.flow_type_rss_offloads;
	if (conf.rx_adv_conf.rss_conf.rss_hf == 0)
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_NONE;
	/* One pool, refcount 1, no multi-segment: fast free is safe. */
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;
	rc = rte_eth_dev_configure(port, o->queues, o->queues, &conf);
	if (rc != 0)
		return rc;
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(port, &rxd, &txd);
	if (rc != 0)
		return rc;
	for (q = 0; q < o->queues; q++) {
		rc = rte_eth_rx_queue_setup(port, q, rxd, rte_eth_dev_socket_id(port), NULL, pool);
		if (rc != 0)
			return rc;
		rc = rte_eth_tx_queue_setup(port, q, txd, rte_eth_dev_socket_id(port), NULL);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static bool link_up(uint16_t port)
{
	struct rte_eth_link link;

	return rte_eth_link_get_nowait(port, &link) == 0 && link.link_status == RTE_ETH_LINK_UP;
}

static void port_up(uint16_t port)
{
	int rc;

	/* Frames to the peer's MAC must reach us; virtual ports usually
	 * accept everything anyway, so "not supported" is fine. */
	rc = rte_eth_promiscuous_enable(port);
	if (rc != 0 && rc != -ENOTSUP)
		GEN_LOG(WARNING, "port %u: promiscuous mode: %s\n", port, rte_strerror(-rc));
}

/*
 * Start the ports and wait for their links. A client port (memif, a
 * vhost-user client) whose peer is not there yet fails to start or stays
 * down, and tries to connect only when started: such a port is started
 * again every second until the peer answers or --link-wait runs out.
 */
static int ports_up(const struct gen_opts *o, const uint16_t *ports, unsigned int n)
{
	uint64_t hz = rte_get_timer_hz(), now = rte_get_timer_cycles();
	uint64_t deadline = now + (uint64_t)(o->link_wait_s * (double)hz);
	uint64_t started_at[2] = {0, 0}, next_try[2] = {0, 0};
	bool started[2] = {false, false};
	int last_rc[2] = {0, 0};
	unsigned int i, ready;

	for (;;) {
		now = rte_get_timer_cycles();
		for (i = 0, ready = 0; i < n; i++) {
			if (!started[i] && now >= next_try[i]) {
				next_try[i] = now + hz / 2;
				last_rc[i] = rte_eth_dev_start(ports[i]);
				if (last_rc[i] == 0) {
					started[i] = true;
					started_at[i] = now;
					port_up(ports[i]);
				}
			}
			if (started[i] && (o->link_wait_s <= 0 || link_up(ports[i]))) {
				ready++;
			} else if (started[i] && now - started_at[i] > hz) {
				rte_eth_dev_stop(ports[i]);
				started[i] = false;
			}
		}
		if (ready == n)
			return 0;
		if (__atomic_load_n(&gen_stop, __ATOMIC_RELAXED) || now > deadline)
			break;
		rte_delay_us_sleep(50 * 1000);
	}
	for (i = 0; i < n; i++) {
		if (!started[i])
			fprintf(stderr, "edgevs-gen: port %u does not start: %s\n", ports[i],
				rte_strerror(-last_rc[i]));
		else if (!link_up(ports[i]))
			fprintf(stderr,
				"edgevs-gen: port %u link still down after %.1f s "
				"(is the peer running? --link-wait 0 skips this check)\n",
				ports[i], o->link_wait_s);
	}
	return -ENOTCONN;
}

int gen_ports_start(const struct gen_opts *o, struct rte_mempool *pool)
{
	uint16_t ports[2];
	unsigned int n = 0, i;
	int rc;

	if (o->tx_port >= 0)
		ports[n++] = (uint16_t)o->tx_port;
	if (o->rx_port >= 0 && o->rx_port != o->tx_port)
		ports[n++] = (uint16_t)o->rx_port;
	for (i = 0; i < n; i++) {
		if (!rte_eth_dev_is_valid_port(ports[i])) {
			fprintf(stderr,
				"edgevs-gen: no port %u (%u ports; give them with --vdev)\n",
				ports[i], rte_eth_dev_count_avail());
			return -ENODEV;
		}
		rc = port_setup(o, ports[i], pool);
		if (rc != 0) {
			fprintf(stderr, "edgevs-gen: port %u set-up failed: %s\n", ports[i],
				rte_strerror(-rc));
			return rc;
		}
	}
	return ports_up(o, ports, n);
}

void gen_ports_stop(const struct gen_opts *o)
{
	if (o->tx_port >= 0 && rte_eth_dev_is_valid_port((uint16_t)o->tx_port)) {
		rte_eth_dev_stop((uint16_t)o->tx_port);
		rte_eth_dev_close((uint16_t)o->tx_port);
	}
	if (o->rx_port >= 0 && o->rx_port != o->tx_port &&
	    rte_eth_dev_is_valid_port((uint16_t)o->rx_port)) {
		rte_eth_dev_stop((uint16_t)o->rx_port);
		rte_eth_dev_close((uint16_t)o->rx_port);
	}
}
