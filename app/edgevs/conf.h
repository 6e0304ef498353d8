/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_APP_CONF_H
#define EVS_APP_CONF_H

/*
 * Limits of the daemon's desired state. The state itself lives in the object
 * store (lib/store): ports (ctl_port.c), switches and static MACs
 * (lib/l2/l2_schema.c); apply*.c binds them to the datapath.
 */

#include "evs_port.h"

#define CONF_NAME_MAX 32
#define CONF_PATH_MAX 108 /* sun_path */
#define CONF_DEVARGS_MAX 256
/* lib/port owns the limit (1024; ethdevs among them at most RTE_MAX_ETHPORTS) */
#define CONF_MAX_PORTS EVS_PORT_MAX
#define CONF_MAX_SWITCHES 256
#define CONF_MAX_QUEUES 16

#endif
