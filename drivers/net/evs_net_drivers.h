/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_NET_DRIVERS_H
#define EVS_NET_DRIVERS_H

/**
 * @file
 * Port backends for lib/port: EVS_PORT_ETHDEV (any DPDK ethdev named by
 * devargs: net_tap, net_af_packet, net_memif, net_pcap, net_ring, net_null,
 * PCI NICs) and EVS_PORT_VHOST (vhost-user on rte_vhost, server or client).
 *
 * Thread-safety: management lcore, once, after rte_eal_init() and before the
 * first evs_port_create().
 */

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Register the ethdev and vhost backends with lib/port. Idempotent.
 * @return 0, or -EINVAL if lib/port refused an ops table (a bug).
 */
int evs_net_drivers_register(void);

#ifdef __cplusplus
}
#endif
#endif /* EVS_NET_DRIVERS_H */
