/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ICMP and ICMPv6 queries (echo, and IPv4's timestamp/info/mask): keyed by
 * identifier and type, so only the matching reply type comes back as the
 * reply direction. Errors never reach these ops: ct_key.c keys them by the
 * packet they quote and the executor marks them related.
 */
#include <rte_byteorder.h>

#include "ct_private.h"

static bool icmp_valid_new(const struct ct_pkt *p)
{
	/* a reply or an unsolicited message starts nothing */
	return ct_icmp_is_request(p->ck.v6, (uint8_t)rte_be_to_cpu_16(p->ck.dport));
}

static uint32_t icmp_timeout(const struct ct_entry *e, const struct evs_ct_timeouts *t)
{
	RTE_SET_USED(e);
	return t->icmp;
}

const struct ct_proto_ops ct_proto_icmp = {
    .valid_new = icmp_valid_new,
    .init = ct_generic_init,
    .update = ct_generic_update,
    .timeout = icmp_timeout,
};
