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

/* Both NAT tables: staged whole on the management lcore, swapped in at
 * commit and freed after an RCU grace. Elements are a union so that one
 * stage/abort/publish serves both. */
struct fw_nat_table {
	uint32_t n;
	union fw_nat_elem {
		struct evs_fw_snat s;
		struct evs_fw_dnat d;
	} e[];
};

/* Copy @n elements of @size bytes from @r into a fresh table staged in *@pend. */
static int table_stage(struct evs_fw *fw, struct fw_nat_table **pend, const void *r, uint32_t n,
		       size_t size)
{
	struct fw_nat_table *t;

	t = rte_zmalloc_socket("evs_fw", sizeof(*t) + sizeof(t->e[0]) * n, 0, fw->cfg.socket_id);
	if (t == NULL)
		return -ENOMEM;
	t->n = n;
	for (uint32_t i = 0; i < n; i++)
		memcpy(&t->e[i], (const uint8_t *)r + i * size, size);
	rte_free(*pend);
	*pend = t;
	return 0;
}

static void table_abort(struct fw_nat_table **pend)
{
	rte_free(*pend);
	*pend = NULL;
}

static void table_publish(struct evs_fw *fw, struct fw_nat_table **cur, struct fw_nat_table **pend)
{
	struct fw_nat_table *old;

	if (*pend == NULL)
		return;
	/* Release: the table is complete before readers see it. */
	old = __atomic_exchange_n(cur, *pend, __ATOMIC_RELEASE);
	*pend = NULL;
	if (fw->cfg.qsbr != NULL)
		rte_rcu_qsbr_synchronize(fw->cfg.qsbr, RTE_QSBR_THRID_INVALID);
	rte_free(old);
}

static struct fw_nat_table *table_get(struct fw_nat_table *const *cur)
{
	/* Acquire pairs with table_publish's release. */
	return __atomic_load_n(cur, __ATOMIC_ACQUIRE);
}

static bool snat_valid(const struct evs_fw_snat *r)
{
	return r->to.kind == EVS_CT_NAT_SRC && r->to.v6 == (r->src.af == 6) &&
	       memcmp(r->to.addr_min, r->to.addr_max, 16) <= 0 && r->to.port_min <= r->to.port_max;
}

int evs_fw_snat_stage(struct evs_fw *fw, const struct evs_fw_snat *r, uint32_t n)
{
	struct fw_nat_table *t;
	int rc;

	if (fw == NULL || (n != 0 && r == NULL))
		return -EINVAL;
	for (uint32_t i = 0; i < n; i++)
		if (!snat_valid(&r[i]))
			return -EINVAL;
	rc = table_stage(fw, &fw->pend_snats, r, n, sizeof(*r));
	if (rc != 0)
		return rc;
	/* longer prefixes first; a stable insertion sort keeps ties in order */
	t = fw->pend_snats;
	for (uint32_t i = 1; i < n; i++)
		for (uint32_t j = i; j > 0 && t->e[j - 1].s.src.plen < t->e[j].s.src.plen; j--) {
			union fw_nat_elem tmp = t->e[j];

			t->e[j] = t->e[j - 1];
			t->e[j - 1] = tmp;
		}
	return 0;
}

void evs_fw_snat_abort(struct evs_fw *fw)
{
	table_abort(&fw->pend_snats);
}

void evs_fw_snat_publish(struct evs_fw *fw)
{
	table_publish(fw, &fw->snats, &fw->pend_snats);
}

static bool dnat_valid(const struct evs_fw_dnat *r)
{
	return (r->af == 4 || r->af == 6) && r->to.kind == EVS_CT_NAT_DST &&
	       r->to.v6 == (r->af == 6) && r->to.port_min == r->to.port_max;
}

int evs_fw_dnat_stage(struct evs_fw *fw, const struct evs_fw_dnat *r, uint32_t n)
{
	if (fw == NULL || (n != 0 && r == NULL))
		return -EINVAL;
	for (uint32_t i = 0; i < n; i++)
		if (!dnat_valid(&r[i]))
			return -EINVAL;
	return table_stage(fw, &fw->pend_dnats, r, n, sizeof(*r));
}

void evs_fw_dnat_abort(struct evs_fw *fw)
{
	table_abort(&fw->pend_dnats);
}

void evs_fw_dnat_publish(struct evs_fw *fw)
{
	table_publish(fw, &fw->dnats, &fw->pend_dnats);
}

void fw_snat_free(struct evs_fw *fw)
{
	table_abort(&fw->pend_snats);
	table_abort(&fw->snats);
	table_abort(&fw->pend_dnats);
	table_abort(&fw->dnats);
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
	const struct fw_nat_table *t = table_get(&fw->snats);
	int af = key_af(k);

	for (uint32_t i = 0; t != NULL && i < t->n; i++)
		if (t->e[i].s.src.af == af && in_prefix(k->src_ip, &t->e[i].s.src))
			return &t->e[i].s.to;
	return NULL;
}

bool evs_fw_snat_addr(const struct evs_fw *fw, const struct evs_flow_key *k)
{
	const struct fw_nat_table *t = table_get(&fw->snats);
	int af = key_af(k);
	unsigned int len = af == 4 ? 4 : 16;

	for (uint32_t i = 0; t != NULL && i < t->n; i++)
		if (t->e[i].s.src.af == af && memcmp(k->dst_ip, t->e[i].s.to.addr_min, len) >= 0 &&
		    memcmp(k->dst_ip, t->e[i].s.to.addr_max, len) <= 0)
			return true;
	return false;
}

bool evs_fw_has_snat(const struct evs_fw *fw)
{
	const struct fw_nat_table *t = table_get(&fw->snats);

	return t != NULL && t->n != 0;
}

int evs_fw_dnat_of(const struct evs_fw *fw, const struct evs_flow_key *k)
{
	const struct fw_nat_table *t = table_get(&fw->dnats);
	int af = key_af(k);

	for (uint32_t i = 0; t != NULL && i < t->n; i++)
		if (t->e[i].d.af == af && t->e[i].d.proto == k->ip_proto &&
		    rte_cpu_to_be_16(t->e[i].d.port) == k->l4_dst &&
		    memcmp(t->e[i].d.addr, k->dst_ip, af == 4 ? 4 : 16) == 0)
			return (int)i;
	return -1;
}

bool evs_fw_dnat_addr(const struct evs_fw *fw, const struct evs_flow_key *k)
{
	const struct fw_nat_table *t = table_get(&fw->dnats);
	int af = key_af(k);

	for (uint32_t i = 0; t != NULL && i < t->n; i++)
		if (t->e[i].d.af == af && t->e[i].d.proto == k->ip_proto &&
		    memcmp(t->e[i].d.addr, k->dst_ip, af == 4 ? 4 : 16) == 0)
			return true;
	return false;
}

const struct evs_fw_dnat *evs_fw_dnat_at(const struct evs_fw *fw, uint32_t i)
{
	const struct fw_nat_table *t = table_get(&fw->dnats);

	return t != NULL && i < t->n ? &t->e[i].d : NULL;
}

bool evs_fw_has_dnat(const struct evs_fw *fw)
{
	const struct fw_nat_table *t = table_get(&fw->dnats);

	return t != NULL && t->n != 0;
}

void evs_fw_dnat_apply(const struct evs_fw_dnat *d, struct evs_flow_key *k)
{
	memcpy(k->dst_ip, d->to.addr_min, d->af == 4 ? 4 : 16);
	if (d->to.port_min != 0)
		k->l4_dst = rte_cpu_to_be_16(d->to.port_min);
}
