/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_NET_PRIVATE_H
#define EVS_NET_PRIVATE_H

/* drivers/net internals: logging and the backend tables. */

#include <rte_log.h>
#include <evs_port_driver.h>

extern int evs_net_logtype;
#define NET_LOG(level, fmt, ...)                                                                   \
	rte_log(RTE_LOG_##level, evs_net_logtype, "evs.net: " fmt "\n", ##__VA_ARGS__)

extern const struct evs_port_ops evs_net_ethdev_ops;
extern const struct evs_port_ops evs_net_vhost_ops;

#endif /* EVS_NET_PRIVATE_H */
