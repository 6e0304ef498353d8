/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Routers and their ports: each router owns a VRF's route tables and a
 * neighbour table; each port puts the router on a logical switch with a MAC
 * and addresses, whose subnets become connected routes. The set maps a
 * (switch, MAC) to its router port for the translation stage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_hash.h>
#include <rte_jhash.h>

#include "l3_router_private.h"

#define DEFAULT_ROUTES4 65536
#define DEFAULT_ROUTES6 16384
#define DEFAULT_NEIGH 4096
#define DEFAULT_HOLD 4
#define DEFAULT_ICMP_RATE 100

/* Neighbour timers (ms): Linux's defaults (base_reachable_time 30 s,
 * retrans 1 s, 3 probes, gc_stale 60 s). */
#define NEIGH_RETRANS_MS 1000
#define NEIGH_PROBES 3
#define NEIGH_REACHABLE_MS 30000
#define NEIGH_STALE_MS 60000

struct pkey {
	uint16_t ldp;
	uint8_t mac[6];
};

struct evs_l3_set *evs_l3_set_create(int socket_id)
{
	struct evs_l3_set *set = calloc(1, sizeof(*set));
	static uint32_t seq; /* management lcore only: unique rte_hash names */
	char name[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters hp = {
	    .name = name,
	    .entries = EVS_L3_MAX_ROUTERS * 4,
	    .key_len = sizeof(struct pkey),
	    .hash_func = rte_jhash,
	    .socket_id = socket_id,
	    .extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};

	if (set == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	rte_rwlock_init(&set->lock);
	set->socket_id = socket_id;
	snprintf(name, sizeof(name), "l3ports%u", seq++);
	set->ports = rte_hash_create(&hp);
	if (set->ports == NULL) {
		free(set);
		errno = ENOMEM;
		return NULL;
	}
	return set;
}

static void router_free(struct evs_l3_router *r)
{
	if (r == NULL)
		return;
	evs_l3_fib_free(r->fib);
	evs_l3_neigh_free(r->neigh);
	free(r);
}

void evs_l3_set_free(struct evs_l3_set *set)
{
	if (set == NULL)
		return;
	for (unsigned int i = 0; i < EVS_L3_MAX_ROUTERS; i++)
		router_free(set->routers[i]);
	rte_hash_free(set->ports);
	free(set);
}

int evs_l3_router_add(struct evs_l3_set *set, const struct evs_l3_router_config *cfg)
{
	struct evs_l3_router *r;
	char name[24];

	if (set == NULL || cfg == NULL || cfg->id >= EVS_L3_MAX_ROUTERS || cfg->name == NULL ||
	    cfg->name[0] == '\0' || strlen(cfg->name) >= EVS_L3_NAME_LEN)
		return -EINVAL;
	if (set->routers[cfg->id] != NULL)
		return -EEXIST;
	for (unsigned int i = 0; i < EVS_L3_MAX_ROUTERS; i++)
		if (set->routers[i] != NULL && strcmp(set->routers[i]->name, cfg->name) == 0)
			return -EEXIST;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return -ENOMEM;
	r->id = cfg->id;
	snprintf(r->name, sizeof(r->name), "%s", cfg->name);
	r->icmp_rate = cfg->icmp_rate ? cfg->icmp_rate : DEFAULT_ICMP_RATE;

	/* table names from the id: unique while the router lives */
	snprintf(name, sizeof(name), "vrf%u", cfg->id);
	struct evs_l3_fib_config fc = {
	    .name = name,
	    .socket_id = cfg->socket_id,
	    .max_routes4 = cfg->max_routes4 ? cfg->max_routes4 : DEFAULT_ROUTES4,
	    .max_routes6 = cfg->max_routes6 ? cfg->max_routes6 : DEFAULT_ROUTES6,
	};
	struct evs_l3_neigh_config nc = {
	    .name = name,
	    .socket_id = cfg->socket_id,
	    .capacity = cfg->max_neigh ? cfg->max_neigh : DEFAULT_NEIGH,
	    .hold_max = cfg->hold_max ? cfg->hold_max : DEFAULT_HOLD,
	    .retrans_ms = NEIGH_RETRANS_MS,
	    .max_probes = NEIGH_PROBES,
	    .reachable_ms = NEIGH_REACHABLE_MS,
	    .stale_ms = NEIGH_STALE_MS,
	    .ops = cfg->neigh_ops,
	    .ctx = cfg->neigh_ctx,
	    .owner = cfg->id,
	};
	r->fib = evs_l3_fib_create(&fc);
	r->neigh = r->fib != NULL ? evs_l3_neigh_create(&nc) : NULL;
	if (r->neigh == NULL) {
		int err = errno;

		router_free(r);
		return err == EINVAL ? -EINVAL : err == EEXIST ? -EEXIST : -ENOMEM;
	}
	rte_rwlock_write_lock(&set->lock);
	set->routers[cfg->id] = r;
	rte_rwlock_write_unlock(&set->lock);
	return 0;
}

static void port_key(struct pkey *k, uint16_t ldp, const struct rte_ether_addr *mac)
{
	memset(k, 0, sizeof(*k));
	k->ldp = ldp;
	memcpy(k->mac, mac->addr_bytes, 6);
}

int evs_l3_router_del(struct evs_l3_set *set, uint16_t id)
{
	struct evs_l3_router *r = evs_l3_router_get(set, id);

	if (r == NULL)
		return -ENOENT;
	rte_rwlock_write_lock(&set->lock);
	for (uint16_t i = 0; i < r->n_ports; i++) {
		struct pkey k;

		port_key(&k, r->ports[i].ldp, &r->ports[i].mac);
		rte_hash_del_key(set->ports, &k);
	}
	set->routers[id] = NULL;
	rte_rwlock_write_unlock(&set->lock);
	/* readers hold the set's lock for a whole translation: none sees r now */
	router_free(r);
	return 0;
}

struct evs_l3_router *evs_l3_router_get(const struct evs_l3_set *set, uint16_t id)
{
	return set != NULL && id < EVS_L3_MAX_ROUTERS ? set->routers[id] : NULL;
}

uint16_t evs_l3_router_id(const struct evs_l3_router *r)
{
	return r->id;
}

struct evs_l3_fib *evs_l3_router_fib(struct evs_l3_router *r)
{
	return r->fib;
}

struct evs_l3_neigh_table *evs_l3_router_neigh(struct evs_l3_router *r)
{
	return r->neigh;
}

/*
 * Routes of a port address: @p i even gives its local route (the address,
 * full length), odd its connected route (the subnet, on-link through the
 * port), absent when the subnet is the address itself. @return false when absent.
 */
static bool addr_route(const struct evs_l3_port_spec *p, unsigned int i, struct evs_l3_prefix *net,
		       struct evs_l3_route_spec *spec)
{
	const struct evs_l3_prefix *a = &p->addrs[i / 2];

	*net = *a;
	memset(spec, 0, sizeof(*spec));
	if (i % 2 == 0) {
		net->len = (uint8_t)l3_max_len(a->addr.family);
		spec->type = EVS_L3_ROUTE_LOCAL;
		return true;
	}
	if (a->len == l3_max_len(a->addr.family))
		return false;
	l3_mask_bytes(net->addr.b, net->len, 16);
	spec->type = EVS_L3_ROUTE_FORWARD;
	spec->n_nh = 1;
	spec->nh[0].port = p->id;
	spec->nh[0].weight = 1;
	return true;
}

static int port_check(const struct evs_l3_port_spec *p)
{
	if (!rte_is_unicast_ether_addr(&p->mac) || rte_is_zero_ether_addr(&p->mac) ||
	    p->n_addrs > EVS_L3_PORT_ADDRS || (p->mtu != 0 && p->mtu < 68))
		return -EINVAL;
	for (uint8_t i = 0; i < p->n_addrs; i++) {
		const struct evs_l3_prefix *a = &p->addrs[i];
		unsigned int max = l3_max_len(a->addr.family);
		struct evs_l3_prefix net = *a;

		if (max == 0 || a->len > max || (a->addr.family == EVS_L3_IPV6 && a->len == 0))
			return -EINVAL;
		/* the network address itself is no host address (but /31, /32, /127, /128) */
		l3_mask_bytes(net.addr.b, net.len, 16);
		if (max - a->len > 1 && memcmp(net.addr.b, a->addr.b, 16) == 0)
			return -EINVAL;
	}
	return 0;
}

/* fe80::/64 with the modified EUI-64 of @mac: the universal/local bit flipped, ff:fe inside */
static void link_local6(const struct rte_ether_addr *mac, struct evs_l3_addr *a)
{
	const uint8_t *m = mac->addr_bytes;

	memset(a, 0, sizeof(*a));
	a->family = EVS_L3_IPV6;
	a->b[0] = 0xfe;
	a->b[1] = 0x80;
	a->b[8] = m[0] ^ 0x02;
	a->b[9] = m[1];
	a->b[10] = m[2];
	a->b[11] = 0xff;
	a->b[12] = 0xfe;
	memcpy(a->b + 13, m + 3, 3);
}

int evs_l3_port_add(struct evs_l3_set *set, uint16_t router, const struct evs_l3_port_spec *spec)
{
	struct evs_l3_router *r = evs_l3_router_get(set, router);
	struct evs_l3_route_spec rs;
	struct evs_l3_prefix net;
	struct pkey k;
	unsigned int done = 0;
	int rc;

	if (r == NULL)
		return -ENOENT;
	if (spec == NULL || port_check(spec) != 0)
		return -EINVAL;
	if (evs_l3_port_get(r, spec->id) != NULL)
		return -EEXIST;
	if (r->n_ports == EVS_L3_ROUTER_PORTS)
		return -ENOSPC;
	port_key(&k, spec->ldp, &spec->mac);
	if (rte_hash_lookup(set->ports, &k) >= 0)
		return -EEXIST;
	for (done = 0; done < spec->n_addrs * 2; done++) {
		if (!addr_route(spec, done, &net, &rs))
			continue;
		rc = evs_l3_route_add(r->fib, &net, &rs);
		if (rc != 0)
			goto undo;
	}
	rte_rwlock_write_lock(&set->lock);
	rc = rte_hash_add_key_data(set->ports, &k,
				   (void *)(uintptr_t)((uint32_t)router << 16 | spec->id));
	if (rc == 0) {
		r->ports[r->n_ports] = *spec;
		if (r->ports[r->n_ports].mtu == 0)
			r->ports[r->n_ports].mtu = EVS_L3_DEFAULT_MTU;
		link_local6(&spec->mac, &r->ports[r->n_ports].ll6);
		r->n_ports++;
	}
	rte_rwlock_write_unlock(&set->lock);
	if (rc == 0)
		return 0;
	rc = -ENOSPC;
undo:
	while (done > 0)
		if (addr_route(spec, --done, &net, &rs))
			evs_l3_route_del(r->fib, &net);
	return rc;
}

struct uses {
	uint16_t port;
	const struct evs_l3_port_spec *p;
	bool busy;
};

static int uses_port(const struct evs_l3_prefix *pfx, const struct evs_l3_route_spec *s, void *arg)
{
	struct uses *u = arg;

	for (uint16_t i = 0; i < s->n_nh; i++) {
		if (s->nh[i].port != u->port)
			continue;
		/* the port's own connected routes go with it */
		for (unsigned int a = 1; a < u->p->n_addrs * 2u; a += 2) {
			struct evs_l3_prefix net;
			struct evs_l3_route_spec c;

			if (addr_route(u->p, a, &net, &c) && net.len == pfx->len &&
			    memcmp(&net.addr, &pfx->addr, sizeof(net.addr)) == 0)
				return 0;
		}
		u->busy = true;
		return 1;
	}
	return 0;
}

int evs_l3_port_del(struct evs_l3_set *set, uint16_t router, uint16_t id)
{
	struct evs_l3_router *r = evs_l3_router_get(set, router);
	const struct evs_l3_port_spec *p = r != NULL ? evs_l3_port_get(r, id) : NULL;
	struct evs_l3_port_spec gone;
	struct uses u = {.port = id, .p = p};
	struct pkey k;

	if (p == NULL)
		return -ENOENT;
	if (evs_l3_fib_walk(r->fib, EVS_L3_IPV4, uses_port, &u) != 0 ||
	    evs_l3_fib_walk(r->fib, EVS_L3_IPV6, uses_port, &u) != 0)
		return -EBUSY;
	gone = *p;
	port_key(&k, gone.ldp, &gone.mac);
	rte_rwlock_write_lock(&set->lock);
	rte_hash_del_key(set->ports, &k);
	r->ports[p - r->ports] = r->ports[--r->n_ports];
	rte_rwlock_write_unlock(&set->lock);
	for (unsigned int a = 0; a < gone.n_addrs * 2u; a++) {
		struct evs_l3_prefix net;
		struct evs_l3_route_spec c;

		if (addr_route(&gone, a, &net, &c))
			evs_l3_route_del(r->fib, &net);
	}
	return 0;
}

const struct evs_l3_port_spec *evs_l3_port_get(const struct evs_l3_router *r, uint16_t id)
{
	for (uint16_t i = 0; r != NULL && i < r->n_ports; i++)
		if (r->ports[i].id == id)
			return &r->ports[i];
	return NULL;
}

uint16_t evs_l3_port_count(const struct evs_l3_router *r)
{
	return r->n_ports;
}

const struct evs_l3_port_spec *evs_l3_port_at(const struct evs_l3_router *r, uint16_t i)
{
	return i < r->n_ports ? &r->ports[i] : NULL;
}

int evs_l3_router_route_add(struct evs_l3_router *r, const struct evs_l3_prefix *pfx,
			    const struct evs_l3_route_spec *spec)
{
	if (r == NULL || spec == NULL)
		return -EINVAL;
	for (uint16_t i = 0; spec->type == EVS_L3_ROUTE_FORWARD && i < spec->n_nh; i++)
		if (i < EVS_L3_ECMP_MAX && evs_l3_port_get(r, spec->nh[i].port) == NULL)
			return -ENODEV;
	return evs_l3_route_add(r->fib, pfx, spec);
}

const struct evs_l3_port_spec *evs_l3_local_port(const struct evs_l3_router *r,
						 const struct evs_l3_addr *a)
{
	unsigned int n = l3_addr_len(a->family);

	for (uint16_t i = 0; i < r->n_ports; i++)
		for (uint8_t j = 0; j < r->ports[i].n_addrs; j++)
			if (r->ports[i].addrs[j].addr.family == a->family &&
			    memcmp(r->ports[i].addrs[j].addr.b, a->b, n) == 0)
				return &r->ports[i];
	return NULL;
}

int l3_set_find_port(const struct evs_l3_set *set, uint16_t ldp, const struct rte_ether_addr *mac,
		     struct evs_l3_router **r, const struct evs_l3_port_spec **p)
{
	struct pkey k;
	void *data;

	port_key(&k, ldp, mac);
	if (rte_hash_lookup_data(set->ports, &k, &data) < 0)
		return -ENOENT;
	*r = set->routers[(uint32_t)(uintptr_t)data >> 16];
	*p = evs_l3_port_get(*r, (uint16_t)(uintptr_t)data);
	return *r != NULL && *p != NULL ? 0 : -ENOENT;
}
