/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Which vNIC a packet goes to: the host addresses of every filtered port
 * (a port with groups), sorted, published with the bindings. The module's
 * stage finds the destination port of a new connection here, so that its
 * ingress rules run next to the source port's egress rules.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_malloc.h>

#include "fw_private.h"

static int vnic_cmp(const void *a, const void *b)
{
	const struct fw_vnic *x = a, *y = b;

	if (x->af != y->af)
		return x->af < y->af ? -1 : 1;
	return memcmp(x->addr, y->addr, 16);
}

static bool is_host(const struct evs_fw_cidr *c)
{
	return c->plen == (c->af == 4 ? 32 : 128);
}

struct fw_vnics *fw_vnics_build(const struct evs_fw *fw)
{
	struct fw_vnics *v;
	uint32_t p, k, n = 0;

	for (p = 0; p < fw->cfg.max_ports; p++)
		if (fw->ports[p].conf.n_groups != 0)
			for (k = 0; k < fw->ports[p].conf.n_addrs; k++)
				n += is_host(&fw->ports[p].conf.addrs[k]);
	v = rte_zmalloc_socket("evs_fw", sizeof(*v) + sizeof(v->e[0]) * n, 0, fw->cfg.socket_id);
	if (v == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	for (p = 0; p < fw->cfg.max_ports; p++) {
		const struct evs_fw_port_conf *c = &fw->ports[p].conf;

		if (c->n_groups == 0)
			continue;
		for (k = 0; k < c->n_addrs; k++) {
			if (!is_host(&c->addrs[k]))
				continue;
			v->e[v->n].af = c->addrs[k].af;
			memcpy(v->e[v->n].addr, c->addrs[k].addr, 16);
			v->e[v->n++].port = (uint16_t)p;
		}
	}
	qsort(v->e, v->n, sizeof(v->e[0]), vnic_cmp);
	return v;
}

int evs_fw_vnic_of(const struct evs_fw *fw, const struct evs_flow_key *k)
{
	/* Acquire pairs with the publish's release: the array is complete. */
	const struct fw_vnics *v = __atomic_load_n(&fw->vnics, __ATOMIC_ACQUIRE);
	struct fw_vnic want = {0};
	uint32_t lo = 0, hi;

	if (v == NULL)
		return -1;
	if (k->ethertype == RTE_BE16(RTE_ETHER_TYPE_IPV4)) {
		want.af = 4;
		memcpy(want.addr, k->dst_ip, 4);
	} else if (k->ethertype == RTE_BE16(RTE_ETHER_TYPE_IPV6)) {
		want.af = 6;
		memcpy(want.addr, k->dst_ip, 16);
	} else {
		return -1;
	}
	hi = v->n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = vnic_cmp(&v->e[mid], &want);

		if (c == 0)
			return v->e[mid].port;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

bool evs_fw_port_filtered(const struct evs_fw *fw, uint16_t port)
{
	/* Relaxed: only whether a binding exists is read, not its contents. */
	return port < fw->cfg.max_ports &&
	       __atomic_load_n(&fw->binds[port], __ATOMIC_RELAXED) != NULL;
}

bool evs_fw_any_filtered(const struct evs_fw *fw)
{
	return atomic_load_explicit(&fw->n_filtered, memory_order_relaxed) != 0;
}

bool evs_fw_has_vnics(const struct evs_fw *fw)
{
	const struct fw_vnics *v = __atomic_load_n(&fw->vnics, __ATOMIC_ACQUIRE);

	return v != NULL && v->n != 0;
}

int evs_fw_lcore_claim(struct evs_fw *fw)
{
	/* Relaxed: the counter hands out distinct indexes, nothing more. */
	uint32_t i = atomic_fetch_add_explicit(&fw->lcores_claimed, 1, memory_order_relaxed);

	if (i >= fw->cfg.n_lcores) {
		atomic_fetch_sub_explicit(&fw->lcores_claimed, 1, memory_order_relaxed);
		return -ENOSPC;
	}
	return (int)i;
}
