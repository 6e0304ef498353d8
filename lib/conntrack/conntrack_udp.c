/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * UDP: no state beyond "a reply was seen" (the generic ops of
 * conntrack_other.c); unreplied connections time out fast (a scan leaves
 * little behind), replied ones slower.
 */
#include "ct_private.h"

static uint32_t udp_timeout(const struct ct_entry *e, const struct evs_ct_timeouts *t)
{
	return (e->flags & CT_FL_SEEN_REPLY) ? t->udp_replied : t->udp_unreplied;
}

const struct ct_proto_ops ct_proto_udp = {
    .valid_new = ct_generic_valid_new,
    .init = ct_generic_init,
    .update = ct_generic_update,
    .timeout = udp_timeout,
};
