/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAT of the connections the firewall commits, two small tables staged off
 * the datapath and published with RCU:
 * - SNAT {source prefix -> address/port range}, most specific prefix
 *   first; the stage tracks traffic to a translated address (the replies)
 *   and the fw opcode commits new connections with the range their source
 *   matches;
 * - DNAT {address, protocol, port -> address[, port]}: the stage tracks
 *   traffic to the public address; the fw opcode decides the connection on
 *   the translated destination (its vNIC's ingress rules), commits it with
 *   DNAT, and the packet is classified again translated.
 * conntrack rewrites both directions.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_malloc.h>

#include "fw_private.h"

struct fw_snats {
	uint32_t n;
	struct evs_fw_snat e[];
};

/* Longer prefixes first; equal ones keep their order (stable by index). */
static int snat_cmp(const void *a, const void *b)
{
	const struct evs_fw_snat *x = a, *y = b;

	return (int)y->src.plen - (int)x->src.plen;
}

int evs_fw_snat_stage(struct evs_fw *fw, const struct evs_fw_snat *r, uint32_t n)
{
	struct fw_snats *t;

	if (fw == NULL || (n != 0 && r == NULL))
		return -EINVAL;
	for (uint32_t i = 0; i < n; i++)
		if (r[i].to.kind != EVS_CT_NAT_SRC || r[i].to.v6 != (r[i].src.af == 6) ||
		    memcmp(r[i].to.addr_min, r[i].to.addr_max, 16) > 0 ||
		    r[i].to.port_min > r[i].to.port_max)
			return -EINVAL;
	t = rte_zmalloc_socket("evs_fw", sizeof(*t) + sizeof(t->e[0]) * n, 0, fw->cfg.socket_id);
	if (t == NULL)
		return -ENOMEM;
	t->n = n;
	if (n != 0)
		memcpy(t->e, r, sizeof(*r) * n);
	/* qsort is not stable: ties keep their order through the index below */
	for (uint32_t i = 1; i < n; i++)
		for (uint32_t j = i; j > 0 && snat_cmp(&t->e[j - 1], &t->e[j]) > 0; j--) {
			struct evs_fw_snat tmp = t->e[j];

			t->e[j] = t->e[j - 1];
			t->e[j - 1] = tmp;
		}
	evs_fw_snat_abort(fw);
	fw->pend_snats = t;
	return 0;
}

void evs_fw_snat_abort(struct evs_fw *fw)
{
	rte_free(fw->pend_snats);
	fw->pend_snats = NULL;
}

void evs_fw_snat_publish(struct evs_fw *fw)
{
	struct fw_snats *old;

	if (fw->pend_snats == NULL)
		return;
	/* Release: the table is complete before readers see it. */
	old = __atomic_exchange_n(&fw->snats, fw->pend_snats, __ATOMIC_RELEASE);
	fw->pend_snats = NULL;
	if (fw->cfg.qsbr != NULL)
		rte_rcu_qsbr_synchronize(fw->cfg.qsbr, RTE_QSBR_THRID_INVALID);
	rte_free(old);
}

void fw_snat_free(struct evs_fw *fw)
{
	evs_fw_snat_abort(fw);
	rte_free(fw->snats);
	fw->snats = NULL;
	evs_fw_dnat_abort(fw);
	rte_free(fw->dnats);
	fw->dnats = NULL;
}

struct fw_dnats {
	uint32_t n;
	struct evs_fw_dnat e[];
};

int evs_fw_dnat_stage(struct evs_fw *fw, const struct evs_fw_dnat *r, uint32_t n)
{
	struct fw_dnats *t;

	if (fw == NULL || (n != 0 && r == NULL))
		return -EINVAL;
	for (uint32_t i = 0; i < n; i++)
		if ((r[i].af != 4 && r[i].af != 6) || r[i].to.kind != EVS_CT_NAT_DST ||
		    r[i].to.v6 != (r[i].af == 6) || r[i].to.port_min != r[i].to.port_max)
			return -EINVAL;
	t = rte_zmalloc_socket("evs_fw", sizeof(*t) + sizeof(t->e[0]) * n, 0, fw->cfg.socket_id);
	if (t == NULL)
		return -ENOMEM;
	t->n = n;
	if (n != 0)
		memcpy(t->e, r, sizeof(*r) * n);
	evs_fw_dnat_abort(fw);
	fw->pend_dnats = t;
	return 0;
}

void evs_fw_dnat_abort(struct evs_fw *fw)
{
	rte_free(fw->pend_dnats);
	fw->pend_dnats = NULL;
}

void evs_fw_dnat_publish(struct evs_fw *fw)
{
	struct fw_dnats *old;

	if (fw->pend_dnats == NULL)
		return;
	/* Release: the table is complete before readers see it. */
	old = __atomic_exchange_n(&fw->dnats, fw->pend_dnats, __ATOMIC_RELEASE);
	fw->pend_dnats = NULL;
	if (fw->cfg.qsbr != NULL)
		rte_rcu_qsbr_synchronize(fw->cfg.qsbr, RTE_QSBR_THRID_INVALID);
	rte_free(old);
}

static bool in_prefix(const uint8_t *a, const struct evs_fw_cidr *c)
{
	uint32_t full = c->plen / 8, rest = c->plen % 8;

	if (memcmp(a, c->addr, full) != 0)
		return false;
	return rest == 0 || ((a[full] ^ c->addr[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

static int key_af(const struct evs_flow_key *k)
{
	if (k->ethertype == RTE_BE16(RTE_ETHER_TYPE_IPV4))
		return 4;
	return k->ethertype == RTE_BE16(RTE_ETHER_TYPE_IPV6) ? 6 : 0;
}

const struct evs_ct_nat_range *evs_fw_snat_of(const struct evs_fw *fw, const struct evs_flow_key *k)
{
	/* Acquire pairs with the publish's release. */
	const struct fw_snats *t = __atomic_load_n(&fw->snats, __ATOMIC_ACQUIRE);
	int af = key_af(k);

	for (uint32_t i = 0; t != NULL && i < t->n; i++)
		if (t->e[i].src.af == af && in_prefix(k->src_ip, &t->e[i].src))
			return &t->e[i].to;
	return NULL;
}

bool evs_fw_snat_addr(const struct evs_fw *fw, const struct evs_flow_key *k)
{
	const struct fw_snats *t = __atomic_load_n(&fw->snats, __ATOMIC_ACQUIRE);
	int af = key_af(k);
	unsigned int len = af == 4 ? 4 : 16;

	for (uint32_t i = 0; t != NULL && i < t->n; i++)
		if (t->e[i].src.af == af && memcmp(k->dst_ip, t->e[i].to.addr_min, len) >= 0 &&
		    memcmp(k->dst_ip, t->e[i].to.addr_max, len) <= 0)
			return true;
	return false;
}

bool evs_fw_has_snat(const struct evs_fw *fw)
{
	const struct fw_snats *t = __atomic_load_n(&fw->snats, __ATOMIC_ACQUIRE);

	return t != NULL && t->n != 0;
}

int evs_fw_dnat_of(const struct evs_fw *fw, const struct evs_flow_key *k)
{
	const struct fw_dnats *t = __atomic_load_n(&fw->dnats, __ATOMIC_ACQUIRE);
	int af = key_af(k);

	for (uint32_t i = 0; t != NULL && i < t->n; i++)
		if (t->e[i].af == af && t->e[i].proto == k->ip_proto &&
		    rte_cpu_to_be_16(t->e[i].port) == k->l4_dst &&
		    memcmp(t->e[i].addr, k->dst_ip, af == 4 ? 4 : 16) == 0)
			return (int)i;
	return -1;
}

const struct evs_fw_dnat *evs_fw_dnat_at(const struct evs_fw *fw, uint32_t i)
{
	const struct fw_dnats *t = __atomic_load_n(&fw->dnats, __ATOMIC_ACQUIRE);

	return t != NULL && i < t->n ? &t->e[i] : NULL;
}

bool evs_fw_has_dnat(const struct evs_fw *fw)
{
	const struct fw_dnats *t = __atomic_load_n(&fw->dnats, __ATOMIC_ACQUIRE);

	return t != NULL && t->n != 0;
}

void evs_fw_dnat_apply(const struct evs_fw_dnat *d, struct evs_flow_key *k)
{
	memcpy(k->dst_ip, d->to.addr_min, d->af == 4 ? 4 : 16);
	if (d->to.port_min != 0)
		k->l4_dst = rte_cpu_to_be_16(d->to.port_min);
}
