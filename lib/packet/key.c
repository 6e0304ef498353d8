/* SPDX-License-Identifier: BSD-3-Clause */
/* Drop reason names. */
#include "evs_packet.h"

static const char *const drop_names[EVS_DROP_REASON_MAX] = {
    [EVS_DROP_NONE] = "none",
    [EVS_DROP_RUNT] = "runt",
    [EVS_DROP_BAD_VLAN] = "bad_vlan",
    [EVS_DROP_BAD_L3] = "bad_l3",
    [EVS_DROP_BAD_L4] = "bad_l4",
    [EVS_DROP_BAD_ETHERTYPE] = "bad_ethertype",
    [EVS_DROP_BAD_LENGTH] = "bad_length",
    [EVS_DROP_OVERSIZE] = "oversize",
};

const char *evs_drop_reason_name(enum evs_drop_reason r)
{
	if ((unsigned int)r >= EVS_DROP_REASON_MAX || drop_names[r] == NULL)
		return "unknown";
	return drop_names[r];
}
