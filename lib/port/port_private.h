/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_PORT_PRIVATE_H
#define EVS_PORT_PRIVATE_H

/* lib/port internals: the state behind struct evs_port that only the
 * management lcore touches (plus link_events, bumped by any thread). */

#include <rte_log.h>
#include "evs_port_driver.h"

extern int evs_port_logtype;
#define PORT_LOG(level, fmt, ...)                                                                  \
	rte_log(RTE_LOG_##level, evs_port_logtype, "evs.port: " fmt "\n", ##__VA_ARGS__)

struct port_impl {
	struct evs_port pub; /* first: container_of without arithmetic */
	const struct evs_port_ops *ops;
	enum evs_port_type type;
	uint16_t mtu;
	struct rte_mempool *mp; /* for private copies before a checksum is written */
	/* Counter values at the last reset (management lcore only). */
	struct evs_port_qstats *rx_base;
	struct evs_port_qstats *tx_base;
	struct evs_port_dev_stats dev_base;
	/* Link reporting. */
	evs_port_link_cb_t link_cb;
	void *link_arg;
	struct evs_port_link last_link;
	bool link_known;
	uint64_t link_events;	   /* atomic: bumped by evs_port_link_event() */
	uint64_t link_events_seen; /* management: value at the last poll */
};

static inline struct port_impl *port_impl(const struct evs_port *p)
{
	return container_of(p, struct port_impl, pub);
}

/* Iteration over live ports for port_link.c. */
struct port_impl *port_slot(uint16_t id);
/* Baseline link state at create: later differences are changes. */
void port_link_init(struct port_impl *pi);

#endif /* EVS_PORT_PRIVATE_H */
