/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * UDP: no state beyond "a reply was seen"; unreplied connections time out
 * fast (a scan leaves little behind), replied ones slower.
 */
#include "ct_private.h"

static bool udp_valid_new(const struct ct_pkt *p)
{
	RTE_SET_USED(p);
	return true;
}

static void udp_init(struct ct_entry *e, const struct ct_pkt *p, const struct evs_ct_zone_conf *zc)
{
	RTE_SET_USED(p);
	RTE_SET_USED(zc);
	e->proto_state = 0;
}

static enum ct_verdict udp_update(struct ct_entry *e, struct ct_pkt *p, int dir,
				  const struct evs_ct_zone_conf *zc)
{
	RTE_SET_USED(p);
	RTE_SET_USED(zc);
	/* assured once it carried traffic both ways and more after the reply */
	if (dir == 0 && (e->flags & CT_FL_SEEN_REPLY))
		e->flags |= CT_FL_ASSURED;
	return CT_V_OK;
}

static uint32_t udp_timeout(const struct ct_entry *e, const struct evs_ct_timeouts *t)
{
	return (e->flags & CT_FL_SEEN_REPLY) ? t->udp_replied : t->udp_unreplied;
}

const struct ct_proto_ops ct_proto_udp = {
    .valid_new = udp_valid_new,
    .init = udp_init,
    .update = udp_update,
    .timeout = udp_timeout,
};
