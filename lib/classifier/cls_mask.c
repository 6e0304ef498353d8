/* SPDX-License-Identifier: BSD-3-Clause */
/* Flow key field table and mask builders. */

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "evs_classifier.h"

#define FIELD(id, member)                                                                          \
	[id] = {#member, offsetof(struct evs_flow_key, member),                                    \
		sizeof(((struct evs_flow_key *)0)->member)}

static const struct evs_flow_field_info fields[EVS_FIELD_MAX] = {
    FIELD(EVS_FIELD_IN_PORT, in_port),
    FIELD(EVS_FIELD_VLAN_TCI, vlan_tci),
    FIELD(EVS_FIELD_ETHERTYPE, ethertype),
    FIELD(EVS_FIELD_IP_PROTO, ip_proto),
    FIELD(EVS_FIELD_IP_FRAG, ip_frag),
    FIELD(EVS_FIELD_RECIRC_ID, recirc_id),
    FIELD(EVS_FIELD_LDP, ldp),
    FIELD(EVS_FIELD_DP_HASH, dp_hash),
    FIELD(EVS_FIELD_DST_MAC, dst_mac),
    FIELD(EVS_FIELD_SRC_MAC, src_mac),
    FIELD(EVS_FIELD_IP_TOS, ip_tos),
    FIELD(EVS_FIELD_TTL_CLASS, ttl_class),
    FIELD(EVS_FIELD_TCP_FLAGS, tcp_flags),
    FIELD(EVS_FIELD_CT_STATE, ct_state),
    FIELD(EVS_FIELD_SRC_IP, src_ip),
    FIELD(EVS_FIELD_DST_IP, dst_ip),
    FIELD(EVS_FIELD_L4_SRC, l4_src),
    FIELD(EVS_FIELD_L4_DST, l4_dst),
    FIELD(EVS_FIELD_VRF, vrf),
    FIELD(EVS_FIELD_CT_ZONE, ct_zone),
    FIELD(EVS_FIELD_TUN_VNI, tun_vni),
    FIELD(EVS_FIELD_TUN_OPT_FLAGS, tun_opt_flags),
    FIELD(EVS_FIELD_TUN_SRC, tun_src),
    FIELD(EVS_FIELD_TUN_DST, tun_dst),
    FIELD(EVS_FIELD_CT_MARK, ct_mark),
    FIELD(EVS_FIELD_CT_LABEL, ct_label),
};

const struct evs_flow_field_info *evs_flow_field_info(enum evs_flow_field f)
{
	if ((unsigned int)f >= EVS_FIELD_MAX)
		return NULL;
	return &fields[f];
}

enum evs_flow_field evs_flow_field_by_name(const char *name)
{
	if (name == NULL)
		return EVS_FIELD_MAX;
	for (unsigned int i = 0; i < EVS_FIELD_MAX; i++)
		if (strcmp(fields[i].name, name) == 0)
			return (enum evs_flow_field)i;
	return EVS_FIELD_MAX;
}

int evs_flow_mask_set_field(struct evs_flow_mask *m, enum evs_flow_field f)
{
	if (m == NULL || (unsigned int)f >= EVS_FIELD_MAX)
		return -EINVAL;
	memset((uint8_t *)&m->bits + fields[f].offset, 0xff, fields[f].size);
	return 0;
}

int evs_flow_mask_set_prefix(struct evs_flow_mask *m, enum evs_flow_field f, unsigned int plen)
{
	uint8_t *p;

	if (m == NULL || (unsigned int)f >= EVS_FIELD_MAX || plen > 8u * fields[f].size)
		return -EINVAL;
	/* Wire-order prefix: whole bytes, then the top bits of the next one. */
	p = (uint8_t *)&m->bits + fields[f].offset;
	memset(p, 0xff, plen / 8);
	if (plen % 8)
		p[plen / 8] |= (uint8_t)(0xff00u >> (plen % 8));
	return 0;
}
