/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Management lcore loop: serves the control socket, drains MAC learning
 * events, ages MACs, hands punted packets to their module. Sleeps in poll() between events: it
 * polls no packets.
 */

#include <rte_cycles.h>

#include "app.h"
#include "evs_ctl.h"
#include "evs_l2.h"
#include "evs_port.h"

#define MGMT_POLL_MS 5
#define MGMT_LINK_POLL_MS 100

void mgmt_on_link(struct evs_port *port, const struct evs_port_link *link, void *arg)
{
	(void)arg;
	APP_LOG(INFO, "port %s link %s (%u Mb/s)", port->name, link->up ? "up" : "down",
		link->speed_mbps);
}

void mgmt_loop(struct evs_app *app)
{
	uint64_t next_link = 0, link_period = rte_get_tsc_hz() / 1000 * MGMT_LINK_POLL_MS;

	/* relaxed: see on_signal() */
	while (__atomic_load_n(&app->stop, __ATOMIC_RELAXED) == 0) {
		uint64_t now;

		evs_ctl_poll(app->ctl, MGMT_POLL_MS);
		evs_l2_macs_poll(app->macs, app->snap ? app->snap->l2 : NULL, evs_l2_now());
		/* what PMDs punted (ARP/ND, ICMP errors...) goes to its module */
		evs_pipeline_punt_poll(app->reg, app->punt_ring, app->mod_args, APP_PUNT_RING);
		now = rte_rdtsc();
		if (now >= next_link) {
			evs_port_link_poll();
			next_link = now + link_period;
		}
	}
}
