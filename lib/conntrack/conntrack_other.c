/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Any other IP protocol (and SCTP, by its ports, without its state
 * machine): tracked by address pair, one long timeout. Its ops are the
 * generic ones UDP and ICMP share. Also the table mapping a protocol
 * number to its ops.
 */
#include <netinet/in.h>

#include "ct_private.h"

bool ct_generic_valid_new(const struct ct_pkt *p)
{
	RTE_SET_USED(p);
	return true;
}

void ct_generic_init(struct ct_entry *e, const struct ct_pkt *p, const struct evs_ct_zone_conf *zc)
{
	RTE_SET_USED(p);
	RTE_SET_USED(zc);
	e->proto_state = 0;
}

enum ct_verdict ct_generic_update(struct ct_entry *e, struct ct_pkt *p, int dir,
				  const struct evs_ct_zone_conf *zc)
{
	RTE_SET_USED(p);
	RTE_SET_USED(zc);
	/* assured once it carried traffic both ways and more after the reply */
	if (dir == 0 && (e->flags & CT_FL_SEEN_REPLY))
		e->flags |= CT_FL_ASSURED;
	return CT_V_OK;
}

static uint32_t other_timeout(const struct ct_entry *e, const struct evs_ct_timeouts *t)
{
	RTE_SET_USED(e);
	return t->other;
}

const struct ct_proto_ops ct_proto_other = {
    .valid_new = ct_generic_valid_new,
    .init = ct_generic_init,
    .update = ct_generic_update,
    .timeout = other_timeout,
};
