/* SPDX-License-Identifier: BSD-3-Clause */
/* Explicit registration of the port backends (no constructors: the
 * application decides when, see evs_net_drivers.h). */

#include <rte_log.h>

#include "evs_net_drivers.h"
#include "net_private.h"

RTE_LOG_REGISTER_DEFAULT(evs_net_logtype, INFO);

int evs_net_drivers_register(void)
{
	int rc;

	rc = evs_port_driver_register(&evs_net_ethdev_ops);
	if (rc == 0)
		rc = evs_port_driver_register(&evs_net_vhost_ops);
	return rc;
}
