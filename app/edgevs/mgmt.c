/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Management lcore loop: serves the control socket, completes durable
 * writes, drains MAC learning events, ages MACs, hands punted packets to
 * their module, publishes change events. Sleeps in poll() between events:
 * it polls no packets.
 */

#include <rte_cycles.h>

#include "app.h"
#include "evs_ctl.h"
#include "evs_l2.h"
#include "evs_port.h"

#define MGMT_POLL_MS 5
#define MGMT_LINK_POLL_MS 100
#define MGMT_MACS_POLL_MS 1

int mgmt_events_init(struct evs_app *app)
{
	static const struct {
		const char *name, *help;
	} topics[] = {
	    {"port.link", "a port's link went up or down: {port, up, speed_mbps, changes}"},
	    {"config.change", "a change is applied and durable: {generation, method}"},
	    {"counter.threshold", "a watched counter passed its threshold (counter.watch): "
				  "{id, counter, above, value}"},
	};
	size_t i;
	int rc;

	for (i = 0; i < RTE_DIM(topics); i++) {
		rc = evs_ctl_topic_register(app->ctl, topics[i].name, topics[i].help);
		if (rc < 0)
			return rc;
	}
	return 0;
}

void mgmt_on_link(struct evs_port *port, const struct evs_port_link *link, void *arg)
{
	struct evs_app *app = arg;

	APP_LOG(INFO, "port %s link %s (%u Mb/s)", port->name, link->up ? "up" : "down",
		link->speed_mbps);
	if (app != NULL && app->ctl != NULL)
		evs_ctl_notify(app->ctl, "port.link",
			       json_pack("{s:s, s:b, s:I, s:I}", "port", port->name, "up", link->up,
					 "speed_mbps", (json_int_t)link->speed_mbps, "changes",
					 (json_int_t)link->changes));
	/* an underlay that comes up announces its addresses again */
	if (app != NULL)
		app_overlay_link(app, port, link->up);
}

/*
 * How long the next poll may sleep: not at all with punts waiting. The
 * asleep flag goes up before the ring is checked (a full fence between):
 * a PMD that punts after the check sees the flag and wakes the poll
 * (mgmt_wake, evs_ctl_wake).
 */
static int mgmt_sleep_ms(struct evs_app *app)
{
	/* A held reply waits for the journal's writer thread or for the
	 * PMDs: check without sleeping until it can go. */
	if (app_state_busy(app))
		return 0;
	__atomic_store_n(&app->mgmt_asleep, 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return rte_ring_empty(app->punt_ring) ? MGMT_POLL_MS : 0;
}

void mgmt_loop(struct evs_app *app)
{
	uint64_t next_link = 0, link_period = rte_get_tsc_hz() / 1000 * MGMT_LINK_POLL_MS;
	uint64_t next_macs = 0, macs_period = rte_get_tsc_hz() / 1000 * MGMT_MACS_POLL_MS;

	/* relaxed: see on_signal() */
	while (__atomic_load_n(&app->stop, __ATOMIC_RELAXED) == 0) {
		uint64_t now;

		evs_ctl_poll(app->ctl, mgmt_sleep_ms(app));
		/* relaxed: a PMD that still sees 1 only wakes the next poll early */
		__atomic_store_n(&app->mgmt_asleep, 0, __ATOMIC_RELAXED);
		app_state_poll(app);
		watch_poll(app);
		/* At most once a millisecond: each call ages a slice of the MAC
		 * table, and a client calling in a loop turns the loop thousands
		 * of times a second (a tenth of a 1M apply's lcore time went here) */
		if (rte_rdtsc() >= next_macs) {
			evs_l2_macs_poll(app->macs, app->snap ? app->snap->l2 : NULL, evs_l2_now());
			next_macs = rte_rdtsc() + macs_period;
		}
		/* what PMDs punted (ARP/ND, ICMP errors...) goes to its module */
		evs_pipeline_punt_poll(app->reg, app->punt_ring, app->mod_args, APP_PUNT_RING);
		app_l3_poll(app);
		app_overlay_poll(app);
		app_lb_poll(app);
		now = rte_rdtsc();
		if (now >= next_link) {
			evs_port_link_poll();
			next_link = now + link_period;
		}
	}
}
