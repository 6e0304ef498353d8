/* SPDX-License-Identifier: BSD-3-Clause */
/* Drop names and the burst partition shared by encap and decap. */
#include <string.h>

#include "tun_private.h"

static const char *const drop_names[EVS_TUN_DROP__MAX] = {
    [EVS_TUN_DROP_TOO_BIG] = "too_big",
    [EVS_TUN_DROP_NO_ROOM] = "no_room",
    [EVS_TUN_DROP_BAD_OUTER] = "bad_outer",
    [EVS_TUN_DROP_FRAGMENT] = "fragment",
    [EVS_TUN_DROP_BAD_CSUM] = "bad_csum",
    [EVS_TUN_DROP_NOT_TUNNEL] = "not_tunnel",
    [EVS_TUN_DROP_BAD_FLAGS] = "bad_flags",
    [EVS_TUN_DROP_BAD_VNI] = "bad_vni",
    [EVS_TUN_DROP_BAD_OPTIONS] = "bad_options",
    [EVS_TUN_DROP_CRITICAL_OPTION] = "critical_option",
    [EVS_TUN_DROP_OAM] = "oam",
    [EVS_TUN_DROP_BAD_PROTOCOL] = "bad_protocol",
    [EVS_TUN_DROP_BAD_INNER] = "bad_inner",
    [EVS_TUN_DROP_ZERO_CSUM6] = "zero_csum6",
};

const char *evs_tun_drop_name(enum evs_tun_drop reason)
{
	if ((unsigned int)reason >= EVS_TUN_DROP__MAX)
		return "unknown";
	return drop_names[reason];
}

uint16_t tun_partition(struct rte_mbuf **pkts, const uint8_t *status, uint16_t k, uint16_t off,
		       uint16_t len)
{
	struct rte_mbuf *rej[TUN_CHUNK], *acc[TUN_CHUNK];
	uint16_t a = 0, r = 0, old_rej = (uint16_t)(off - k);

	for (uint16_t i = 0; i < len; i++) {
		if (status[i] == 0)
			acc[a++] = pkts[off + i];
		else
			rej[r++] = pkts[off + i];
	}
	/* [0,k) accepted | [k,off) earlier rejects | chunk: shift the earlier
	 * rejects right by a, then place the new accepted and rejects. */
	memmove(&pkts[k + a], &pkts[k], sizeof(pkts[0]) * old_rej);
	memcpy(&pkts[k], acc, sizeof(acc[0]) * a);
	memcpy(&pkts[k + a + old_rej], rej, sizeof(rej[0]) * r);
	return (uint16_t)(k + a);
}
