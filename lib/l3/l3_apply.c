/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Store hooks of the routing types: each delta becomes one incremental
 * change of the router set. prepare makes additions and replacements (and
 * may fail); abort takes them back; commit makes deletions, which cannot
 * fail once the store has checked references. A router's id is kept in its
 * object's aux word, a router port's as router id << 16 | port id.
 */
#include <errno.h>
#include <stdlib.h>

#include "l3_router_private.h"
#include "l3_schema_private.h"

static const char *str(const json_t *o, const char *f)
{
	return json_string_value(json_object_get(o, f));
}

static uint32_t field_u(struct evs_store *st, const char *type, const json_t *o, const char *f)
{
	return (uint32_t)json_integer_value(evs_store_field(st, type, o, f));
}

/* ---- router ---- */

static int router_prepare(struct evs_store *st, const struct evs_store_delta *d, size_t n,
			  struct evs_ctl_err *err, void *ctx)
{
	struct evs_l3_binding *bd = ctx;

	for (size_t i = 0; i < n; i++) {
		const json_t *o = d[i].new;
		int rc;

		if (d[i].op == EVS_STORE_SET) {
			/* sizes are the tables' shape: fixed once made */
			static const char *const fixed[] = {"max_routes4", "max_routes6",
							    "max_neigh"};

			for (unsigned int f = 0; f < 3; f++)
				if (field_u(st, "router", o, fixed[f]) !=
				    field_u(st, "router", d[i].old, fixed[f]))
					return evs_store_err(
					    err, -ENOTSUP, d[i].path,
					    "%s of router '%s' is fixed once it exists", fixed[f],
					    str(o, "name"));
			continue;
		}
		if (d[i].op != EVS_STORE_ADD)
			continue;
		uint16_t id = 0;
		while (id < EVS_L3_MAX_ROUTERS && bd->b.set->routers[id] != NULL)
			id++;
		struct evs_l3_router_config c = {
		    .id = id,
		    .name = str(o, "name"),
		    .socket_id = bd->b.socket_id,
		    .max_routes4 = field_u(st, "router", o, "max_routes4"),
		    .max_routes6 = field_u(st, "router", o, "max_routes6"),
		    .max_neigh = field_u(st, "router", o, "max_neigh"),
		    .icmp_rate = field_u(st, "router", o, "icmp_rate"),
		    .neigh_ops = bd->b.neigh_ops,
		    .neigh_ctx = bd->b.neigh_ctx,
		};
		rc = evs_l3_router_add(bd->b.set, &c);
		if (rc != 0)
			return evs_store_err(err, rc, d[i].path, "router '%s': %s", c.name,
					     strerror(-rc));
		*evs_store_obj_aux(d[i].obj) = id;
	}
	return 0;
}

static void router_abort(struct evs_store *st, const struct evs_store_delta *d, size_t n, void *ctx)
{
	struct evs_l3_binding *bd = ctx;

	(void)st;
	for (size_t i = 0; i < n; i++)
		if (d[i].op == EVS_STORE_ADD)
			evs_l3_router_del(bd->b.set, (uint16_t)*evs_store_obj_aux(d[i].obj));
}

static void router_commit(struct evs_store *st, const struct evs_store_delta *d, size_t n,
			  void *ctx)
{
	struct evs_l3_binding *bd = ctx;

	(void)st;
	for (size_t i = 0; i < n; i++) {
		struct evs_l3_router *r =
		    evs_l3_router_get(bd->b.set, (uint16_t)*evs_store_obj_aux(d[i].obj));

		if (d[i].op == EVS_STORE_DEL)
			evs_l3_router_del(bd->b.set, (uint16_t)*evs_store_obj_aux(d[i].obj));
		else if (d[i].op == EVS_STORE_SET && r != NULL)
			r->icmp_rate = field_u(st, "router", d[i].new, "icmp_rate");
	}
}

/* ---- router_port ---- */

static int port_spec(struct evs_store *st, struct evs_l3_binding *bd, const json_t *o, uint16_t id,
		     struct evs_l3_port_spec *p)
{
	const json_t *a;
	size_t i;
	uint8_t m[6];

	memset(p, 0, sizeof(*p));
	p->id = id;
	p->ldp = bd->b.ldp_of(str(o, "switch"), bd->b.arg);
	evs_ctl_parse_mac(str(o, "mac"), m);
	memcpy(p->mac.addr_bytes, m, 6);
	p->mtu = (uint16_t)field_u(st, "router_port", o, "mtu");
	p->ra = json_is_true(evs_store_field(st, "router_port", o, "ipv6_ra"));
	json_array_foreach (json_object_get(o, "addresses"), i, a) {
		if (l3_parse_addr(json_string_value(a), &p->addrs[i].addr, &p->addrs[i].len) < 0)
			return -EINVAL;
		p->n_addrs++;
	}
	return 0;
}

static uint16_t router_of(struct evs_store *st, const json_t *o)
{
	struct evs_store_obj *r = evs_store_lookup_str(st, "router", str(o, "router"));

	return r != NULL ? (uint16_t)*evs_store_obj_aux(r) : EVS_L3_MAX_ROUTERS;
}

static int port_add(struct evs_store *st, struct evs_l3_binding *bd,
		    const struct evs_store_delta *d, const json_t *o)
{
	uint16_t rid = router_of(st, o), id = 1;
	struct evs_l3_router *r = evs_l3_router_get(bd->b.set, rid);
	struct evs_l3_port_spec p;
	int rc;

	if (r == NULL)
		return -ENOENT;
	while (evs_l3_port_get(r, id) != NULL)
		id++;
	rc = port_spec(st, bd, o, id, &p);
	if (rc == 0)
		rc = evs_l3_port_add(bd->b.set, rid, &p);
	if (rc == 0)
		*evs_store_obj_aux(d->obj) = (uintptr_t)rid << 16 | id;
	return rc;
}

static void port_remove(struct evs_l3_binding *bd, uintptr_t aux)
{
	evs_l3_port_del(bd->b.set, (uint16_t)(aux >> 16), (uint16_t)aux);
}

static int rport_prepare(struct evs_store *st, const struct evs_store_delta *d, size_t n,
			 struct evs_ctl_err *err, void *ctx)
{
	struct evs_l3_binding *bd = ctx;

	for (size_t i = 0; i < n; i++) {
		int rc = 0;

		if (d[i].op == EVS_STORE_DEL)
			continue;
		if (d[i].op == EVS_STORE_SET) {
			/* a changed port is re-made: its static routes must go first */
			uintptr_t aux = *evs_store_obj_aux(d[i].obj);

			rc = evs_l3_port_del(bd->b.set, (uint16_t)(aux >> 16), (uint16_t)aux);
			if (rc == 0)
				rc = port_add(st, bd, &d[i], d[i].new);
			if (rc != 0) /* put the old one back */
				port_add(st, bd, &d[i], d[i].old);
		} else {
			rc = port_add(st, bd, &d[i], d[i].new);
		}
		if (rc != 0)
			return evs_store_err(
			    err, rc, d[i].path, "router port '%s': %s", str(d[i].new, "name"),
			    rc == -EBUSY    ? "static routes use it"
			    : rc == -EEXIST ? "a subnet or the (switch, MAC) is taken"
			    : rc == -EINVAL ? "bad address or MAC"
					    : strerror(-rc));
	}
	return 0;
}

static void rport_abort(struct evs_store *st, const struct evs_store_delta *d, size_t n, void *ctx)
{
	struct evs_l3_binding *bd = ctx;

	for (size_t i = 0; i < n; i++) {
		if (d[i].op == EVS_STORE_ADD) {
			port_remove(bd, *evs_store_obj_aux(d[i].obj));
		} else if (d[i].op == EVS_STORE_SET) {
			port_remove(bd, *evs_store_obj_aux(d[i].obj));
			port_add(st, bd, &d[i], d[i].old);
		}
	}
}

static void rport_commit(struct evs_store *st, const struct evs_store_delta *d, size_t n, void *ctx)
{
	(void)st;
	for (size_t i = 0; i < n; i++)
		if (d[i].op == EVS_STORE_DEL)
			port_remove(ctx, *evs_store_obj_aux(d[i].obj));
}

/* ---- route ---- */

/* A route object's aux word while a transaction has its change in the table. */
#define ROUTE_STAGED 1u

static struct evs_l3_router *route_router(struct evs_store *st, struct evs_l3_binding *bd,
					  const json_t *o)
{
	return evs_l3_router_get(bd->b.set, router_of(st, o));
}

static int route_prepare(struct evs_store *st, const struct evs_store_delta *d, size_t n,
			 struct evs_ctl_err *err, void *ctx)
{
	struct evs_l3_binding *bd = ctx;

	for (size_t i = 0; i < n; i++) {
		struct evs_l3_prefix pfx;
		struct evs_l3_route_spec spec;
		struct evs_l3_router *r;
		int rc;

		if (d[i].op == EVS_STORE_DEL) {
			/* now, not at commit: ports deleted with it are removed at their
			 * commit, which runs before ours and needs the route gone */
			r = route_router(st, bd, d[i].old);
			if (r != NULL &&
			    l3_parse_addr(str(d[i].old, "prefix"), &pfx.addr, &pfx.len) == 0 &&
			    evs_l3_route_del(r->fib, &pfx) == 0)
				*evs_store_obj_aux(d[i].obj) = ROUTE_STAGED;
			continue;
		}
		rc = evs_l3_route_from_json(st, d[i].new, &pfx, &spec, err, d[i].path);
		if (rc != 0)
			return rc;
		r = route_router(st, bd, d[i].new);
		if (r == NULL)
			return evs_store_err(err, -ENOENT, d[i].path, "no router");
		rc = d[i].op == EVS_STORE_ADD ? evs_l3_router_route_add(r, &pfx, &spec)
					      : evs_l3_route_set(r->fib, &pfx, &spec);
		if (rc == 0)
			*evs_store_obj_aux(d[i].obj) = ROUTE_STAGED;
		if (rc != 0)
			return evs_store_err(
			    err, rc, d[i].path, "route %s: %s", str(d[i].new, "prefix"),
			    rc == -EEXIST   ? "the prefix is a connected or local route"
			    : rc == -ENOSPC ? "the router's table is full"
					    : strerror(-rc));
	}
	return 0;
}

static void route_abort(struct evs_store *st, const struct evs_store_delta *d, size_t n, void *ctx)
{
	struct evs_l3_binding *bd = ctx;
	struct evs_ctl_err e;

	for (size_t i = 0; i < n; i++) {
		struct evs_l3_router *r =
		    route_router(st, bd, d[i].op == EVS_STORE_DEL ? d[i].old : d[i].new);
		uintptr_t *staged = evs_store_obj_aux(d[i].obj);
		struct evs_l3_prefix pfx;
		struct evs_l3_route_spec spec;

		/* only what prepare did: a failed add (the prefix was a connected
		 * route, or a route.bulk one) or a delta after it left the table alone */
		if (r == NULL || *staged != ROUTE_STAGED)
			continue;
		*staged = 0;
		if (d[i].op == EVS_STORE_DEL) {
			if (evs_l3_route_from_json(st, d[i].old, &pfx, &spec, &e, "") == 0)
				evs_l3_route_add(r->fib, &pfx, &spec);
		} else if (d[i].op == EVS_STORE_ADD) {
			if (evs_l3_route_from_json(st, d[i].new, &pfx, &spec, &e, "") == 0)
				evs_l3_route_del(r->fib, &pfx);
		} else if (evs_l3_route_from_json(st, d[i].old, &pfx, &spec, &e, "") == 0) {
			evs_l3_route_set(r->fib, &pfx, &spec);
		}
	}
}

static void route_commit(struct evs_store *st, const struct evs_store_delta *d, size_t n, void *ctx)
{
	(void)st;
	(void)ctx;
	for (size_t i = 0; i < n; i++)
		*evs_store_obj_aux(d[i].obj) = 0;
}

/* ---- neigh ---- */

static int neigh_of(struct evs_store *st, struct evs_l3_binding *bd, const json_t *o,
		    struct evs_l3_neigh_table **t, struct evs_l3_neigh_key *k,
		    struct rte_ether_addr *mac)
{
	struct evs_store_obj *po = evs_store_lookup_str(st, "router_port", str(o, "port"));
	struct evs_l3_router *r;
	uintptr_t aux;
	uint8_t m[6];

	if (po == NULL)
		return -ENOENT;
	aux = *evs_store_obj_aux(po);
	r = evs_l3_router_get(bd->b.set, (uint16_t)(aux >> 16));
	if (r == NULL || l3_parse_addr(str(o, "address"), &k->addr, NULL) != 0)
		return -ENOENT;
	k->port = (uint16_t)aux;
	*t = r->neigh;
	if (mac != NULL) {
		evs_ctl_parse_mac(str(o, "mac"), m);
		memcpy(mac->addr_bytes, m, 6);
	}
	return 0;
}

static int neigh_prepare(struct evs_store *st, const struct evs_store_delta *d, size_t n,
			 struct evs_ctl_err *err, void *ctx)
{
	for (size_t i = 0; i < n; i++) {
		struct evs_l3_neigh_table *t;
		struct evs_l3_neigh_key k;
		struct rte_ether_addr mac;
		int rc;

		if (d[i].op == EVS_STORE_DEL)
			continue;
		rc = neigh_of(st, ctx, d[i].new, &t, &k, &mac);
		if (rc == 0)
			rc = evs_l3_neigh_set_static(t, &k, &mac);
		if (rc != 0)
			return evs_store_err(err, rc, d[i].path, "neighbour %s: %s",
					     str(d[i].new, "address"),
					     rc == -EINVAL   ? "not a unicast MAC"
					     : rc == -ENOENT ? "not an IP address"
							     : strerror(-rc));
	}
	return 0;
}

static void neigh_undo(struct evs_store *st, const struct evs_store_delta *d, size_t n, void *ctx,
		       bool commit)
{
	for (size_t i = 0; i < n; i++) {
		struct evs_l3_neigh_table *t;
		struct evs_l3_neigh_key k;
		struct rte_ether_addr mac;

		if (commit ? d[i].op != EVS_STORE_DEL : d[i].op == EVS_STORE_DEL)
			continue;
		if (d[i].op == EVS_STORE_SET) {
			if (neigh_of(st, ctx, d[i].old, &t, &k, &mac) == 0)
				evs_l3_neigh_set_static(t, &k, &mac);
		} else if (neigh_of(st, ctx, commit ? d[i].old : d[i].new, &t, &k, NULL) == 0) {
			evs_l3_neigh_del(t, &k);
		}
	}
}

static void neigh_abort(struct evs_store *st, const struct evs_store_delta *d, size_t n, void *ctx)
{
	neigh_undo(st, d, n, ctx, false);
}

static void neigh_commit(struct evs_store *st, const struct evs_store_delta *d, size_t n, void *ctx)
{
	neigh_undo(st, d, n, ctx, true);
}

struct evs_l3_binding *evs_l3_store_bind(struct evs_store *st, const struct evs_l3_bind *b)
{
	static const struct evs_obj_type *const types[4] = {
	    &evs_l3_router_type, &evs_l3_router_port_type, &evs_l3_route_type, &evs_l3_neigh_type};
	const struct evs_store_ops ops[4] = {
	    {.prepare = router_prepare, .commit = router_commit, .abort = router_abort},
	    {.prepare = rport_prepare, .commit = rport_commit, .abort = rport_abort},
	    {.prepare = route_prepare, .commit = route_commit, .abort = route_abort},
	    {.prepare = neigh_prepare, .commit = neigh_commit, .abort = neigh_abort},
	};
	struct evs_l3_binding *bd;

	if (st == NULL || b == NULL || b->set == NULL || b->ldp_of == NULL) {
		errno = EINVAL;
		return NULL;
	}
	bd = calloc(1, sizeof(*bd));
	if (bd == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	bd->b = *b;
	for (unsigned int i = 0; i < 4; i++) {
		int rc;

		bd->types[i] = *types[i];
		bd->ops[i] = ops[i];
		bd->types[i].ops = &bd->ops[i];
		rc = evs_store_type_add(st, &bd->types[i], bd);
		if (rc != 0) {
			/* types already added keep bd as their context: it stays */
			if (i == 0)
				free(bd);
			errno = -rc;
			return NULL;
		}
	}
	return bd;
}

void evs_l3_binding_free(struct evs_l3_binding *bd)
{
	free(bd);
}
