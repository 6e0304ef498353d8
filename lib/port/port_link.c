/* SPDX-License-Identifier: BSD-3-Clause */
/* Link state: backend queries, change detection and callbacks. */

#include <errno.h>
#include <string.h>

#include "port_private.h"

int evs_port_link_get(struct evs_port *port, struct evs_port_link *link)
{
	struct port_impl *pi;
	int rc;

	if (port == NULL || link == NULL)
		return -EINVAL;
	pi = port_impl(port);
	memset(link, 0, sizeof(*link));
	rc = pi->ops->link_get(port, link);
	link->changes = pi->last_link.changes;
	return rc;
}

int evs_port_link_cb_set(struct evs_port *port, evs_port_link_cb_t cb, void *arg)
{
	struct port_impl *pi;

	if (port == NULL)
		return -EINVAL;
	pi = port_impl(port);
	pi->link_cb = cb;
	pi->link_arg = arg;
	return 0;
}

void evs_port_link_event(struct evs_port *port)
{
	/* Relaxed: only a hint that makes the next poll report; the state
	 * itself is read from the backend, which publishes it on its own. */
	__atomic_fetch_add(&port_impl(port)->link_events, 1, __ATOMIC_RELAXED);
}

void port_link_init(struct port_impl *pi)
{
	struct evs_port_link now;

	memset(&now, 0, sizeof(now));
	pi->link_events_seen = __atomic_load_n(&pi->link_events, __ATOMIC_RELAXED);
	pi->link_known = pi->ops->link_get(&pi->pub, &now) == 0;
	now.changes = 0;
	pi->last_link = now;
}

static bool link_differs(const struct evs_port_link *a, const struct evs_port_link *b)
{
	return a->up != b->up || a->full_duplex != b->full_duplex || a->speed_mbps != b->speed_mbps;
}

unsigned int evs_port_link_poll(void)
{
	struct evs_port_link now;
	unsigned int changed = 0;
	struct port_impl *pi;
	uint64_t events;
	uint16_t id;

	for (id = 0; id < EVS_PORT_MAX; id++) {
		pi = port_slot(id);
		if (pi == NULL)
			continue;
		/* Read the event count before the state: an event after this
		 * load is seen by the next poll. */
		events = __atomic_load_n(&pi->link_events, __ATOMIC_RELAXED);
		memset(&now, 0, sizeof(now));
		if (pi->ops->link_get(&pi->pub, &now) < 0)
			continue;
		if (pi->link_known && !link_differs(&now, &pi->last_link) &&
		    events == pi->link_events_seen)
			continue;
		pi->link_events_seen = events;
		now.changes = pi->last_link.changes + 1;
		pi->last_link = now;
		pi->link_known = true;
		changed++;
		if (pi->link_cb != NULL)
			pi->link_cb(&pi->pub, &now, pi->link_arg);
	}
	return changed;
}
