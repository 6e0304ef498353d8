/* SPDX-License-Identifier: BSD-3-Clause */
/* Flow key hashing and drop reason names. */
#include <rte_hash_crc.h>

#include "evs_packet.h"

uint32_t evs_flow_key_hash(const struct evs_flow_key *key, uint32_t seed)
{
	const uint64_t *w = (const uint64_t *)key;
	uint32_t h = seed;
	unsigned int i;

	for (i = 0; i < EVS_FLOW_KEY_WORDS; i++)
		h = rte_hash_crc_8byte(w[i], h);
	return h;
}

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
