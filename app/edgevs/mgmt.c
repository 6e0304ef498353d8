/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Management lcore loop: serves the control socket, drains MAC learning
 * events, ages MACs. Sleeps in poll() between events: it polls no packets.
 */

#include <rte_cycles.h>

#include "app.h"
#include "evs_ctl.h"
#include "evs_l2.h"

#define MGMT_POLL_MS 5

void mgmt_loop(struct evs_app *app)
{
	/* relaxed: see on_signal() */
	while (__atomic_load_n(&app->stop, __ATOMIC_RELAXED) == 0) {
		evs_ctl_poll(app->ctl, MGMT_POLL_MS);
		evs_l2_macs_poll(app->macs, app->snap ? app->snap->l2 : NULL, evs_l2_now());
	}
}
