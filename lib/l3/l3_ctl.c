/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Read-only control methods of the routing module: route.get looks an
 * address up the way `ip route get` does (route, next hop, neighbour, the
 * megaflow mask it would make), or returns a route object by prefix;
 * neigh.show lists a router's neighbour table with states. Mutations are
 * the store's generated methods (evs_l3_store_bind).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include "evs_ctl.h"
#include "evs_l3_schema.h"
#include "l3_router_private.h"
#include "l3_schema_private.h"

static const char *const route_types[] = {"forward", "blackhole", "reject", "vrf", "local"};
static const char *const states[] = {"incomplete", "reachable", "stale", "static"};

static void addr_str(const struct evs_l3_addr *a, char *buf, size_t len)
{
	inet_ntop(a->family == EVS_L3_IPV4 ? AF_INET : AF_INET6, a->b, buf, (socklen_t)len);
}

static void mac_str(const struct rte_ether_addr *m, char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", m->addr_bytes[0], m->addr_bytes[1],
		 m->addr_bytes[2], m->addr_bytes[3], m->addr_bytes[4], m->addr_bytes[5]);
}

/* The store name of router @p rid's port @p pid, or NULL. */
static const char *port_name(struct evs_store *st, uint16_t rid, uint16_t pid)
{
	for (struct evs_store_obj *o = evs_store_first(st, "router_port"); o != NULL;
	     o = evs_store_next(o))
		if (*evs_store_obj_aux(o) == ((uintptr_t)rid << 16 | pid))
			return json_string_value(json_object_get(evs_store_obj_value(o), "name"));
	return NULL;
}

json_t *evs_l3_route_lookup_json(struct evs_store *st, const struct evs_l3_set *set, uint16_t rid,
				 const struct evs_l3_addr *dst)
{
	const struct evs_l3_router *r = evs_l3_router_get(set, rid);
	struct evs_l3_result res;
	char a[INET6_ADDRSTRLEN + 4], m[18];
	uint8_t hops = 0;
	json_t *out;
	int rc;

	if (r == NULL)
		return NULL;
	/* follow next-VRF routes as the datapath does */
	while ((rc = evs_l3_fib_resolve(r->fib, dst, 0, &res)) == 0 &&
	       res.type == EVS_L3_ROUTE_VRF && hops < EVS_L3_MAX_VRF_HOPS &&
	       evs_l3_router_get(set, res.next_vrf) != NULL) {
		r = evs_l3_router_get(set, res.next_vrf);
		hops++;
	}
	addr_str(dst, a, sizeof(a));
	out = json_pack("{s:s, s:s, s:i, s:i}", "address", a, "router", r->name, "vrf_hops", hops,
			"mask_len", res.mask_len);
	if (rc != 0) {
		json_object_set_new(out, "route", json_null());
		return out;
	}
	addr_str(&res.prefix.addr, a, sizeof(a));
	snprintf(a + strlen(a), sizeof(a) - strlen(a), "/%u", res.prefix.len);
	json_object_set_new(out, "route",
			    json_pack("{s:s, s:s, s:i}", "prefix", a, "type", route_types[res.type],
				      "ecmp_nexthops", res.n_nh));
	if (res.type == EVS_L3_ROUTE_FORWARD) {
		const char *pn = port_name(st, r->id, res.nh.port);
		struct evs_l3_neigh_key k = {.port = res.nh.port};
		json_t *nh = json_pack("{s:s?}", "port", pn);
		enum evs_l3_neigh_state s;
		struct rte_ether_addr mac;

		k.addr = res.nh.via ? res.nh.gw : *dst;
		addr_str(&k.addr, a, sizeof(a));
		json_object_set_new(nh, res.nh.via ? "via" : "on_link", json_string(a));
		if (evs_l3_neigh_state(r->neigh, &k, &s, NULL) == 0) {
			json_object_set_new(nh, "state", json_string(states[s]));
			if (evs_l3_neigh_lookup(r->neigh, &k, &mac) == 0) {
				mac_str(&mac, m, sizeof(m));
				json_object_set_new(nh, "mac", json_string(m));
			}
		} else {
			json_object_set_new(nh, "state", json_string("none"));
		}
		json_object_set_new(out, "nexthop", nh);
	}
	return out;
}

struct l3_ctl {
	struct evs_l3_set *set;
	struct evs_store *st;
	const struct evs_l3_mgmt *mg;
	void (*dp)(void *arg, uint16_t router, struct evs_l3_dp_counters *out);
	void *dp_arg;
};

static int router_id(struct l3_ctl *c, const char *name, uint16_t *rid)
{
	struct evs_store_obj *o = evs_store_lookup_str(c->st, "router", name);

	if (o == NULL)
		return -ENOENT;
	*rid = (uint16_t)*evs_store_obj_aux(o);
	return 0;
}

static int route_get(struct evs_ctl_call *call, json_t *params, void *arg)
{
	struct l3_ctl *c = arg;
	const char *router = json_string_value(json_object_get(params, "router"));
	const char *addr = json_string_value(json_object_get(params, "address"));
	const json_t *prefix = json_object_get(params, "prefix");
	struct evs_l3_addr dst;
	uint16_t rid;

	if (router_id(c, router, &rid) != 0)
		return evs_ctl_error(call, EVS_CTL_E_NOT_FOUND, "/params/router", "no router '%s'",
				     router);
	if ((addr == NULL) == (prefix == NULL))
		return evs_ctl_error(call, EVS_CTL_E_INVALID_PARAMS, "/params",
				     "give address (a lookup) or prefix (the route object)");
	if (prefix != NULL) {
		json_t *key = json_pack("{s:s, s:O}", "router", router, "prefix", prefix);
		struct evs_store_obj *o = evs_store_lookup(c->st, "route", key);

		json_decref(key);
		if (o == NULL)
			return evs_ctl_error(call, EVS_CTL_E_NOT_FOUND, "/params/prefix",
					     "no route %s in router '%s'",
					     json_string_value(prefix), router);
		return evs_ctl_reply(call, json_deep_copy(evs_store_obj_value(o)));
	}
	if (l3_parse_addr(addr, &dst, NULL) != 0)
		return evs_ctl_error(call, EVS_CTL_E_INVALID_PARAMS, "/params/address",
				     "not an IP address");
	return evs_ctl_reply(call, evs_l3_route_lookup_json(c->st, c->set, rid, &dst));
}

static int walk_neigh(const struct evs_l3_neigh_key *k, enum evs_l3_neigh_state s,
		      const struct rte_ether_addr *mac, uint16_t n_held, void *arg)
{
	char a[INET6_ADDRSTRLEN], m[18];

	addr_str(&k->addr, a, sizeof(a));
	mac_str(mac, m, sizeof(m));
	json_array_append_new(arg,
			      json_pack("{s:s, s:i, s:s, s:s, s:i}", "address", a, "port", k->port,
					"state", states[s], "mac", m, "held", n_held));
	return 0;
}

static int neigh_show(struct evs_ctl_call *call, json_t *params, void *arg)
{
	struct l3_ctl *c = arg;
	const char *router = json_string_value(json_object_get(params, "router"));
	struct evs_l3_router *r;
	struct evs_l3_neigh_stats s;
	json_t *list = json_array();
	uint16_t rid;

	if (router_id(c, router, &rid) != 0 || (r = evs_l3_router_get(c->set, rid)) == NULL) {
		json_decref(list);
		return evs_ctl_error(call, EVS_CTL_E_NOT_FOUND, "/params/router", "no router '%s'",
				     router);
	}
	evs_l3_neigh_walk(r->neigh, walk_neigh, list);
	evs_l3_neigh_stats(r->neigh, &s);
	return evs_ctl_reply(
	    call, json_pack("{s:o, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}}", "neighbours", list,
			    "counters", "probes", (json_int_t)s.probes, "resolved",
			    (json_int_t)s.resolved, "held", (json_int_t)s.held, "released",
			    (json_int_t)s.released, "hold_full", (json_int_t)s.hold_full,
			    "unresolved", (json_int_t)s.unresolved, "table_full",
			    (json_int_t)s.table_full, "aged", (json_int_t)s.aged));
}

static int router_stats(struct evs_ctl_call *call, json_t *params, void *arg)
{
	struct l3_ctl *c = arg;
	const char *router = json_string_value(json_object_get(params, "router"));
	struct evs_l3_dp_counters dp;
	struct evs_l3_mgmt_counters mc;
	struct evs_l3_neigh_stats ns;
	uint64_t drops[EVS_L3_MOD_DROP_MAX];
	json_t *d;
	uint16_t rid;

	if (router_id(c, router, &rid) != 0 || evs_l3_router_get(c->set, rid) == NULL)
		return evs_ctl_error(call, EVS_CTL_E_NOT_FOUND, "/params/router", "no router '%s'",
				     router);
	memset(&dp, 0, sizeof(dp));
	c->dp(c->dp_arg, rid, &dp);
	evs_l3_mgmt_counters(c->mg, rid, &mc);
	memcpy(drops, dp.drops, sizeof(drops));
	evs_l3_mgmt_drops(c->mg, rid, drops);
	/* the neighbour table's drops: held packets it let go */
	evs_l3_neigh_stats(evs_l3_router_neigh(evs_l3_router_get(c->set, rid)), &ns);
	drops[EVS_L3_DROP_HOLD_FULL] += ns.hold_full;
	drops[EVS_L3_DROP_UNRESOLVED] += ns.unresolved;
	drops[EVS_L3_DROP_NEIGH_FULL] += ns.table_full;
	d = json_object();
	for (unsigned int i = 0; i < EVS_L3_MOD_DROP_MAX; i++)
		if (drops[i] != 0)
			json_object_set_new(d, evs_l3_drop_name(i),
					    json_integer((json_int_t)drops[i]));
	return evs_ctl_reply(
	    call,
	    json_pack(
		"{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
		"s:I, s:o}",
		"routed", (json_int_t)dp.routed, "echo_answered", (json_int_t)dp.echo, "punted",
		(json_int_t)dp.punted, "arp_answered", (json_int_t)mc.arp_answered, "nd_answered",
		(json_int_t)mc.nd_answered, "arp_sent", (json_int_t)mc.arp_sent, "nd_sent",
		(json_int_t)mc.nd_sent, "learned", (json_int_t)mc.learned, "icmp_errors_sent",
		(json_int_t)mc.icmp_sent, "icmp_rate_limited", (json_int_t)mc.icmp_rate_limited,
		"held", (json_int_t)mc.held, "released", (json_int_t)mc.released, "ns_flooded",
		(json_int_t)mc.ns_flooded, "fragmented", (json_int_t)mc.fragmented, "fragments",
		(json_int_t)mc.fragments, "ra_sent", (json_int_t)mc.ra_sent, "drops", d));
}

/* Parse route.bulk's prefixes; @return 0 or answers the call and returns its rc. */
static int bulk_prefixes(struct evs_ctl_call *call, const json_t *list, struct evs_l3_prefix *pfx,
			 size_t n, int *answered)
{
	for (size_t i = 0; i < n; i++) {
		const char *p = json_string_value(json_array_get(list, i));
		struct evs_l3_prefix net;
		char path[48];

		snprintf(path, sizeof(path), "/params/prefixes/%zu", i);
		if (p == NULL || l3_parse_addr(p, &pfx[i].addr, &pfx[i].len) < 0) {
			*answered =
			    evs_ctl_error(call, EVS_CTL_E_INVALID_PARAMS, path, "not a prefix");
			return -EINVAL;
		}
		net = pfx[i];
		l3_mask_bytes(net.addr.b, net.len, 16);
		if (memcmp(&net, &pfx[i], sizeof(net)) != 0) {
			*answered = evs_ctl_error(call, EVS_CTL_E_INVALID_PARAMS, path,
						  "'%s' has host bits set", p);
			return -EINVAL;
		}
	}
	return 0;
}

/* The spec every prefix of route.bulk add gets: params as one route object. */
static int bulk_spec(struct l3_ctl *c, const json_t *params, uint8_t family,
		     const struct evs_l3_router *r, struct evs_l3_route_spec *spec,
		     struct evs_ctl_err *err)
{
	json_t *t = json_deep_copy(params);
	struct evs_l3_prefix tp;
	int rc;

	json_object_del(t, "op");
	json_object_del(t, "prefixes");
	json_object_set_new(t, "prefix", json_string(family == EVS_L3_IPV4 ? "0.0.0.0/0" : "::/0"));
	rc = evs_l3_route_from_json(c->st, t, &tp, spec, err, "/params");
	json_decref(t);
	for (uint16_t i = 0; rc == 0 && spec->type == EVS_L3_ROUTE_FORWARD && i < spec->n_nh; i++)
		if (evs_l3_port_get(r, spec->nh[i].port) == NULL)
			rc = evs_store_err(err, -EINVAL, "/params/nexthops", "no such router port");
	return rc;
}

/* A bulk deletion may take only routes nobody else owns: not a port's, not an object's. */
static int bulk_del_check(struct l3_ctl *c, const char *router, const struct evs_l3_router *r,
			  const struct evs_l3_prefix *pfx, size_t n, size_t *bad)
{
	bool objects = false;
	struct evs_store_obj *o;

	for (o = evs_store_first(c->st, "route"); o != NULL && !objects; o = evs_store_next(o))
		objects =
		    strcmp(json_string_value(json_object_get(evs_store_obj_value(o), "router")),
			   router) == 0;
	for (size_t i = 0; i < n; i++) {
		for (uint16_t p = 0; p < r->n_ports; p++)
			for (uint8_t a = 0; a < r->ports[p].n_addrs; a++) {
				struct evs_l3_prefix net = r->ports[p].addrs[a];

				l3_mask_bytes(net.addr.b, net.len, 16);
				if (pfx[i].len == net.len &&
				    !memcmp(&pfx[i].addr, &net.addr, sizeof(net.addr))) {
					*bad = i;
					return -EPERM;
				}
			}
		if (objects) {
			char buf[INET6_ADDRSTRLEN + 4];
			json_t *key;

			addr_str(&pfx[i].addr, buf, sizeof(buf) - 4);
			snprintf(buf + strlen(buf), 5, "/%u", pfx[i].len);
			key = json_pack("{s:s, s:s}", "router", router, "prefix", buf);
			o = evs_store_lookup(c->st, "route", key);
			json_decref(key);
			if (o != NULL) {
				*bad = i;
				return -EPERM;
			}
		}
	}
	return 0;
}

static int route_bulk(struct evs_ctl_call *call, json_t *params, void *arg)
{
	struct l3_ctl *c = arg;
	const char *router = json_string_value(json_object_get(params, "router"));
	bool add = strcmp(json_string_value(json_object_get(params, "op")), "add") == 0;
	const json_t *list = json_object_get(params, "prefixes");
	size_t n = json_array_size(list), bad = 0;
	struct evs_l3_route_spec spec;
	struct evs_l3_prefix *pfx;
	struct evs_l3_router *r;
	struct evs_ctl_err err;
	uint32_t failed = 0;
	int rc, answered = 0;
	uint16_t rid;

	if (router_id(c, router, &rid) != 0 || (r = evs_l3_router_get(c->set, rid)) == NULL)
		return evs_ctl_error(call, EVS_CTL_E_NOT_FOUND, "/params/router", "no router '%s'",
				     router);
	if (n > UINT32_MAX)
		return evs_ctl_error(call, EVS_CTL_E_INVALID_PARAMS, "/params/prefixes",
				     "too many");
	pfx = malloc(n * sizeof(*pfx));
	if (pfx == NULL)
		return -ENOMEM;
	rc = bulk_prefixes(call, list, pfx, n, &answered);
	if (rc < 0)
		goto out;
	if (add) {
		memset(&err, 0, sizeof(err));
		rc = bulk_spec(c, params, pfx[0].addr.family, r, &spec, &err);
		if (rc < 0) {
			answered = evs_ctl_error_from(call, &err);
			goto out;
		}
		rc = evs_l3_route_add_bulk_same(r->fib, pfx, &spec, (uint32_t)n, &failed);
	} else {
		rc = bulk_del_check(c, router, r, pfx, n, &bad);
		failed = (uint32_t)bad;
		if (rc == 0)
			rc = evs_l3_route_del_bulk(r->fib, pfx, (uint32_t)n, &failed);
	}
	if (rc < 0) {
		char path[48];

		snprintf(path, sizeof(path), "/params/prefixes/%u", failed);
		answered = evs_ctl_error_errno(
		    call, rc, path, "%s",
		    rc == -EEXIST   ? "the prefix has a route (nothing was added)"
		    : rc == -ENOENT ? "no such route (nothing was deleted)"
		    : rc == -EPERM  ? "a connected route or a route object: not the bulk method's"
		    : rc == -ENOSPC ? "the router's table is full (nothing was added)"
				    : "refused (nothing was changed)");
		goto out;
	}
	answered = evs_ctl_reply(
	    call,
	    json_pack("{s:s, s:I, s:I, s:I}", "op", add ? "add" : "del", "count", (json_int_t)n,
		      "routes4", (json_int_t)evs_l3_fib_count(r->fib, EVS_L3_IPV4), "routes6",
		      (json_int_t)evs_l3_fib_count(r->fib, EVS_L3_IPV6)));
out:
	free(pfx);
	return answered;
}

static const struct evs_ctl_param get_params[] = {
    {.name = "router",
     .type = EVS_CTL_T_STRING,
     .required = true,
     .min_len = 1,
     .max_len = EVS_L3_NAME_LEN - 1,
     .help = "the router"},
    {.name = "address", .type = EVS_CTL_T_IP, .help = "look this address up"},
    {.name = "prefix",
     .type = EVS_CTL_T_STRING,
     .max_len = 43,
     .help = "or: the route of this prefix"},
};
static const struct evs_ctl_param show_params[] = {get_params[0]};

static const char *const bulk_ops[] = {"add", "del", NULL};
static const char *const bulk_types[] = {"forward", "blackhole", "reject", "vrf", NULL};
static const struct evs_ctl_param bulk_params[] = {
    get_params[0],
    {.name = "op",
     .type = EVS_CTL_T_STRING,
     .required = true,
     .choices = bulk_ops,
     .help = "add or del"},
    {.name = "prefixes",
     .type = EVS_CTL_T_ARRAY,
     .required = true,
     .min_len = 1,
     .help = "prefix strings, checked by the method (each one's path in errors)"},
    {.name = "type", .type = EVS_CTL_T_STRING, .choices = bulk_types, .help = "as route's"},
    {.name = "nexthops", .type = EVS_CTL_T_ARRAY, .help = "as route's: [{port, via?, weight?}]"},
    {.name = "reject", .type = EVS_CTL_T_STRING, .help = "as route's"},
    {.name = "vrf", .type = EVS_CTL_T_STRING, .help = "as route's"},
};

struct l3_ctl *evs_l3_ctl_register(struct evs_ctl *ctl, struct evs_l3_set *set,
				   struct evs_store *st)
{
	struct l3_ctl *c = calloc(1, sizeof(*c));
	const struct evs_ctl_method m[] = {
	    {.name = "route.get",
	     .help = "address: the route, next hop and neighbour a packet to it takes (like "
		     "`ip route get`) and the megaflow mask length; prefix: the route object",
	     .read_only = true,
	     .fn = route_get,
	     .arg = c,
	     .params = get_params,
	     .n_params = RTE_DIM(get_params)},
	    {.name = "route.bulk",
	     .help = "add or delete many routes of one router in one call, all or nothing: every "
		     "prefix gets the same type and next hops. Bulk routes live in the router's "
		     "table only (no route objects: not persisted, not in route.list), like a "
		     "routing daemon's; a prefix with a route already is refused",
	     .fn = route_bulk,
	     .arg = c,
	     .params = bulk_params,
	     .n_params = RTE_DIM(bulk_params)},
	    {.name = "neigh.show",
	     .help = "a router's neighbour table (learnt and static) and its counters",
	     .read_only = true,
	     .fn = neigh_show,
	     .arg = c,
	     .params = show_params,
	     .n_params = RTE_DIM(show_params)},
	};

	if (c == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	c->set = set;
	c->st = st;
	for (unsigned int i = 0; i < RTE_DIM(m); i++) {
		int rc = evs_ctl_register(ctl, &m[i]);

		if (rc != 0) {
			while (i > 0)
				evs_ctl_unregister(ctl, m[--i].name);
			free(c);
			errno = -rc;
			return NULL;
		}
	}
	return c;
}

int evs_l3_ctl_stats_register(struct l3_ctl *c, struct evs_ctl *ctl, const struct evs_l3_mgmt *mg,
			      void (*dp)(void *arg, uint16_t router,
					 struct evs_l3_dp_counters *out),
			      void *arg)
{
	const struct evs_ctl_method m = {
	    .name = "router.stats",
	    .help = "a router's counters: routed, echo answered and punted in the datapath; ARP/ND "
		    "answered and sent, neighbours learned, packets held and released, ICMP errors "
		    "sent and rate-limited on the management lcore; drops by reason",
	    .read_only = true,
	    .fn = router_stats,
	    .arg = c,
	    .params = show_params,
	    .n_params = RTE_DIM(show_params)};

	if (c == NULL || dp == NULL)
		return -EINVAL;
	c->mg = mg;
	c->dp = dp;
	c->dp_arg = arg;
	return evs_ctl_register(ctl, &m);
}

void evs_l3_ctl_free(struct l3_ctl *c)
{
	free(c);
}
