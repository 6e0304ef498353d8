/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A decision's megaflow mask: the key bits it consulted, as the classifier
 * wants them. The translation stage ORs this into its mask.
 */
#include "evs_l3_mask.h"

void evs_l3_decision_mask(const struct evs_l3_decision *d, struct evs_flow_mask *m)
{
	struct evs_flow_key *b = &m->bits;

	if (d->fields & EVS_L3_F_LDP)
		b->ldp = UINT16_MAX;
	if (d->fields & EVS_L3_F_DST_MAC)
		memset(&b->dst_mac, 0xff, sizeof(b->dst_mac));
	if (d->fields & EVS_L3_F_ETHERTYPE)
		b->ethertype = UINT16_MAX;
	if (d->fields & EVS_L3_F_PROTO)
		b->ip_proto = UINT8_MAX;
	if (d->fields & EVS_L3_F_FRAG)
		b->ip_frag = UINT8_MAX;
	if (d->fields & EVS_L3_F_SRC_IP)
		memset(b->src_ip, 0xff, sizeof(b->src_ip));
	if (d->fields & EVS_L3_F_SRC_PFX)
		b->src_ip[0] = UINT8_MAX;     /* the martian checks read the first byte only */
	if (d->fields & EVS_L3_F_SRC_SCOPE) { /* fe80::/10 */
		b->src_ip[0] = UINT8_MAX;
		b->src_ip[1] |= 0xc0;
	}
	if (d->fields & EVS_L3_F_L4_SRC)
		b->l4_src = UINT16_MAX;
	if (d->fields & EVS_L3_F_L4_DST)
		b->l4_dst = UINT16_MAX;
	for (unsigned int i = 0; i < d->dst_bits && i < 128; i += 8) {
		unsigned int n = d->dst_bits - i;

		b->dst_ip[i / 8] |= n >= 8 ? 0xff : (uint8_t)(0xff << (8 - n));
	}
}
