/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The lb.vip and lb.backend object types and their pools (evs_lb_conf.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>

#include <rte_common.h>
#include <rte_log.h>

#include "lb_conf_private.h"

#define MAX_ITEMS 65536u

/* ---- schemas ---- */

static const char *const protocols[] = {"tcp", "udp", NULL};
static const char *const algorithms[] = {"maglev", "least_conn", "source_ip", NULL};
static const char *const checks[] = {"none", "tcp", "http", "icmp", NULL};

static const struct evs_ctl_param vip_fields[] = {
    {.name = "name",
     .type = EVS_CTL_T_STRING,
     .required = true,
     .min_len = 1,
     .max_len = 31,
     .help = "VIP name: [A-Za-z0-9_.-]"},
    {.name = "address",
     .type = EVS_CTL_T_IP,
     .required = true,
     .help = "virtual IPv4 or IPv6 address"},
    {.name = "protocol", .type = EVS_CTL_T_STRING, .choices = protocols, .help = "tcp or udp"},
    {.name = "port",
     .type = EVS_CTL_T_UINT,
     .max = 65535,
     .help = "destination port, 0: all ports"},
    {.name = "scope",
     .type = EVS_CTL_T_STRING,
     .required = true,
     .min_len = 1,
     .max_len = 31,
     .help = "logical switch or router whose traffic the VIP serves"},
    {.name = "table_size",
     .type = EVS_CTL_T_UINT,
     .min = 2,
     .max = EVS_MAGLEV_SIZE_MAX,
     .help = "Maglev table slots, a prime well above the backend count"},
    {.name = "algorithm",
     .type = EVS_CTL_T_STRING,
     .choices = algorithms,
     .help = "new connections: maglev (5-tuple hash), least_conn, source_ip (affinity)"},
    {.name = "affinity_timeout",
     .type = EVS_CTL_T_UINT,
     .min = 1,
     .max = 36000,
     .help = "source_ip: seconds a client keeps its backend after its last new connection"},
    {.name = "dsr",
     .type = EVS_CTL_T_BOOL,
     .help = "direct server return: frames keep the VIP as destination and are routed to "
	     "the backend (on a subnet of the switch's router, the VIP on its loopback); "
	     "replies go straight to the client. No port translation, no snat"},
    {.name = "snat",
     .type = EVS_CTL_T_IP,
     .help = "one-arm: rewrite clients' source to this address (the VIP's family), "
	     "which backends must route to the switch"},
};
static const char *const vip_keys[] = {"name", NULL};

static const struct evs_ctl_param backend_fields[] = {
    {.name = "vip",
     .type = EVS_CTL_T_STRING,
     .required = true,
     .min_len = 1,
     .max_len = 31,
     .help = "VIP the backend serves"},
    {.name = "address",
     .type = EVS_CTL_T_STRING,
     .required = true,
     .min_len = 2,
     .max_len = 45,
     .help = "backend IPv4 or IPv6 address in canonical form, the VIP's family"},
    {.name = "port",
     .type = EVS_CTL_T_UINT,
     .required = true,
     .max = 65535,
     .help = "backend port, 0: the client's destination port"},
    {.name = "weight",
     .type = EVS_CTL_T_UINT,
     .max = 65535,
     .help = "share of new connections, 0: drain"},
    {.name = "drain_timeout",
     .type = EVS_CTL_T_UINT,
     .max = 86400,
     .help = "seconds a deleted backend keeps its connections"},
    {.name = "check", .type = EVS_CTL_T_STRING, .choices = checks, .help = "active health probe"},
    {.name = "interval_ms",
     .type = EVS_CTL_T_UINT,
     .min = 1,
     .max = EVS_LB_HEALTH_INTERVAL_MAX_MS,
     .help = "between probes"},
    {.name = "timeout_ms",
     .type = EVS_CTL_T_UINT,
     .min = 1,
     .max = EVS_LB_HEALTH_INTERVAL_MAX_MS,
     .help = "a probe's deadline, at most interval_ms"},
    {.name = "rise",
     .type = EVS_CTL_T_UINT,
     .min = 1,
     .max = EVS_LB_HEALTH_COUNT_MAX,
     .help = "successes to come up"},
    {.name = "fall",
     .type = EVS_CTL_T_UINT,
     .min = 1,
     .max = EVS_LB_HEALTH_COUNT_MAX,
     .help = "failures to go down"},
    {.name = "http_path",
     .type = EVS_CTL_T_STRING,
     .min_len = 1,
     .max_len = 63,
     .help = "check=http: the path requested, from '/', printable, no spaces"},
    {.name = "http_status",
     .type = EVS_CTL_T_UINT,
     .min = 100,
     .max = 599,
     .help = "check=http: the status that means up"},
};
static const char *const backend_keys[] = {"vip", "address", "port", NULL};
static const struct evs_store_ref backend_refs[] = {
    {.field = "vip", .type = "lb.vip", .on_delete = EVS_STORE_CASCADE},
};

/* ---- helpers ---- */

static uint64_t now(const struct evs_lb_conf *lb)
{
	return lb->cfg.now_ms(lb->cfg.clock_arg);
}

static uint64_t u(struct evs_store *st, const char *type, const json_t *v, const char *f)
{
	return (uint64_t)json_integer_value(evs_store_field(st, type, v, f));
}

static const char *str(struct evs_store *st, const char *type, const json_t *v, const char *f)
{
	return json_string_value(evs_store_field(st, type, v, f));
}

/* The Maglev key: family, address, port (every host derives the same). */
static uint8_t backend_key(const json_t *v, uint8_t key[EVS_MAGLEV_KEY_MAX])
{
	uint16_t port = (uint16_t)json_integer_value(json_object_get(v, "port"));
	int af = 0;

	memset(key, 0, EVS_MAGLEV_KEY_MAX);
	evs_ctl_parse_ip(json_string_value(json_object_get(v, "address")), &af, key + 1, NULL);
	key[0] = af == AF_INET6 ? 6 : 4;
	key[17] = (uint8_t)(port >> 8);
	key[18] = (uint8_t)port;
	return 19;
}

static int family(const json_t *v)
{
	uint8_t a[16];
	int af = 0;

	evs_ctl_parse_ip(json_string_value(json_object_get(v, "address")), &af, a, NULL);
	return af;
}

static struct evs_lb_pool *vip_pool(const struct evs_lb_conf *lb, struct evs_store_obj *vip)
{
	uintptr_t slot = vip != NULL ? *evs_store_obj_aux(vip) : 0;

	return slot != 0 ? lb->vips[slot - 1].pool : NULL;
}

static void health_cfg(struct evs_store *st, const json_t *v, struct evs_lb_health_config *h)
{
	h->interval_ms = (uint32_t)u(st, "lb.backend", v, "interval_ms");
	h->timeout_ms = (uint32_t)u(st, "lb.backend", v, "timeout_ms");
	h->rise = (uint16_t)u(st, "lb.backend", v, "rise");
	h->fall = (uint16_t)u(st, "lb.backend", v, "fall");
	h->start_up = true; /* serve at once; probes take it out within fall */
}

static bool checked(struct evs_store *st, const json_t *v)
{
	return strcmp(str(st, "lb.backend", v, "check"), "none") != 0;
}

/* ---- lb.vip hooks ---- */

int lb_vip_set(struct evs_lb_conf *lb, struct evs_store *st, struct lb_vip *v, const json_t *val)
{
	const char *algo = str(st, "lb.vip", val, "algorithm");
	int af = 0;

	RTE_SET_USED(lb);
	memset(v->dp.addr, 0, sizeof(v->dp.addr));
	evs_ctl_parse_ip(json_string_value(json_object_get(val, "address")), &af, v->dp.addr, NULL);
	v->dp.v6 = af == AF_INET6;
	v->dp.port = (uint16_t)u(st, "lb.vip", val, "port");
	v->dp.proto =
	    strcmp(str(st, "lb.vip", val, "protocol"), "udp") == 0 ? IPPROTO_UDP : IPPROTO_TCP;
	v->dp.algo = EVS_LB_ALGO_MAGLEV;
	for (unsigned int a = 0; a < EVS_LB_ALGO_MAX; a++)
		if (strcmp(algo, evs_lb_algo_name(a)) == 0)
			v->dp.algo = (uint8_t)a;
	v->dp.affinity_s = (uint32_t)u(st, "lb.vip", val, "affinity_timeout");
	v->dp.dsr = json_is_true(evs_store_field(st, "lb.vip", val, "dsr"));
	memset(v->dp.snat_addr, 0, sizeof(v->dp.snat_addr));
	v->dp.snat = json_object_get(val, "snat") != NULL;
	if (v->dp.snat)
		evs_ctl_parse_ip(json_string_value(json_object_get(val, "snat")), &af,
				 v->dp.snat_addr, NULL);
	snprintf(v->scope, sizeof(v->scope), "%s", str(st, "lb.vip", val, "scope"));
	if (v->dp.algo == EVS_LB_ALGO_SOURCE_IP && v->affinity == NULL) {
		v->affinity = calloc(EVS_LB_AFFINITY_SLOTS, sizeof(*v->affinity));
		if (v->affinity == NULL)
			return -ENOMEM; /* served by Maglev on the source meanwhile */
	}
	return 0;
}

/* A dsr VIP's backend listens on the VIP's port (nothing translates it). */
static bool dsr_port_ok(struct evs_store *st, const json_t *vip, const json_t *b)
{
	uint64_t p = u(st, "lb.backend", b, "port");

	return p == 0 || p == u(st, "lb.vip", vip, "port");
}

/* Cheap string and port comparisons first: the address parse only for
 * VIPs of the same scope and protocol (the check is O(VIPs) per VIP). */
static bool vips_overlap(struct evs_store *st, const json_t *a, const json_t *b)
{
	uint64_t pa = u(st, "lb.vip", a, "port"), pb = u(st, "lb.vip", b, "port");
	uint8_t x[16] = {0}, y[16] = {0};
	int fa = 0, fb = 0;

	if ((pa != pb && pa != 0 && pb != 0) ||
	    strcmp(str(st, "lb.vip", a, "scope"), str(st, "lb.vip", b, "scope")) != 0 ||
	    strcmp(str(st, "lb.vip", a, "protocol"), str(st, "lb.vip", b, "protocol")) != 0)
		return false;
	evs_ctl_parse_ip(json_string_value(json_object_get(a, "address")), &fa, x, NULL);
	evs_ctl_parse_ip(json_string_value(json_object_get(b, "address")), &fb, y, NULL);
	return fa == fb && memcmp(x, y, sizeof(x)) == 0;
}

static int vip_check(struct evs_store *st, const json_t *obj, const char *path,
		     struct evs_ctl_err *err, void *ctx)
{
	const char *name = json_string_value(json_object_get(obj, "name"));
	uint64_t size = u(st, "lb.vip", obj, "table_size");
	struct evs_lb_conf *lb = ctx;
	char sub[EVS_CTL_PATH_MAX];
	int rc;

	rc = evs_store_check_name(obj, "name", path, err);
	if (rc == 0)
		rc = evs_store_check_name(obj, "scope", path, err);
	if (rc < 0)
		return rc;
	if (!evs_maglev_is_prime((uint32_t)size))
		return evs_store_err(err, -EINVAL,
				     evs_ctl_path_key(sub, sizeof(sub), path, "table_size"),
				     "table_size %llu is not a prime", (unsigned long long)size);
	if (json_is_true(evs_store_field(st, "lb.vip", obj, "dsr"))) {
		if (json_object_get(obj, "snat") != NULL)
			return evs_store_err(
			    err, -EINVAL, evs_ctl_path_key(sub, sizeof(sub), path, "snat"),
			    "a dsr VIP cannot have snat (its replies never pass here)");
		for (struct evs_store_obj *o = evs_store_first(st, "lb.backend"); o != NULL;
		     o = evs_store_next(o)) {
			const json_t *b = evs_store_obj_value(o);

			if (strcmp(json_string_value(json_object_get(b, "vip")), name) == 0 &&
			    !dsr_port_ok(st, obj, b))
				return evs_store_err(
				    err, -EINVAL, evs_ctl_path_key(sub, sizeof(sub), path, "dsr"),
				    "backend %s port %llu: dsr translates no port (0 or the VIP's)",
				    json_string_value(json_object_get(b, "address")),
				    (unsigned long long)u(st, "lb.backend", b, "port"));
		}
	}
	if (json_object_get(obj, "snat") != NULL) {
		int fv = family(obj), fs = 0;
		uint8_t a[16];

		evs_ctl_parse_ip(json_string_value(json_object_get(obj, "snat")), &fs, a, NULL);
		if (fs != fv)
			return evs_store_err(err, -EINVAL,
					     evs_ctl_path_key(sub, sizeof(sub), path, "snat"),
					     "snat must be of the VIP address's family");
	}
	if (size <= lb->cfg.max_backends)
		return evs_store_err(
		    err, -EINVAL, evs_ctl_path_key(sub, sizeof(sub), path, "table_size"),
		    "table_size must exceed max_backends (%u)", lb->cfg.max_backends);
	for (struct evs_store_obj *o = evs_store_first(st, "lb.vip"); o != NULL;
	     o = evs_store_next(o)) {
		const json_t *v = evs_store_obj_value(o);

		if (strcmp(json_string_value(json_object_get(v, "name")), name) != 0 &&
		    vips_overlap(st, obj, v))
			return evs_store_err(err, -EEXIST, path,
					     "VIP '%s' already serves this address, protocol, "
					     "port and scope",
					     json_string_value(json_object_get(v, "name")));
	}
	return 0;
}

static int vip_validate(struct evs_store *st, const struct evs_store_delta *d, size_t n,
			struct evs_ctl_err *err, void *ctx)
{
	char sub[EVS_CTL_PATH_MAX];

	RTE_SET_USED(ctx);
	for (size_t i = 0; i < n; i++)
		if (d[i].op == EVS_STORE_SET && u(st, "lb.vip", d[i].old, "table_size") !=
						    u(st, "lb.vip", d[i].new, "table_size"))
			return evs_store_err(
			    err, -EINVAL,
			    evs_ctl_path_key(sub, sizeof(sub), d[i].path, "table_size"),
			    "table_size of a VIP cannot change: delete and add it");
	return 0;
}

static void vip_abort(struct evs_store *st, const struct evs_store_delta *d, size_t n, void *ctx)
{
	struct evs_lb_conf *lb = ctx;

	RTE_SET_USED(st);
	for (size_t i = 0; i < n; i++) {
		uintptr_t *slot = evs_store_obj_aux(d[i].obj);

		if (d[i].op != EVS_STORE_ADD || *slot == 0)
			continue;
		evs_lb_pool_free(lb->vips[*slot - 1].pool);
		lb->vips[*slot - 1].pool = NULL;
		*slot = 0;
	}
}

static int vip_prepare(struct evs_store *st, const struct evs_store_delta *d, size_t n,
		       struct evs_ctl_err *err, void *ctx)
{
	struct evs_lb_conf *lb = ctx;
	uint32_t free_slot = 0;

	for (size_t i = 0; i < n; i++) {
		struct evs_lb_pool_config pc = {
		    .maglev = {.size = (uint32_t)u(st, "lb.vip", d[i].new, "table_size"),
			       .socket_id = lb->cfg.socket_id,
			       .qsbr = lb->cfg.qsbr},
		    .max_backends = lb->cfg.max_backends,
		    .on_state = lb->cfg.on_state,
		    .cb_arg = lb->cfg.cb_arg,
		};

		if (d[i].op != EVS_STORE_ADD)
			continue;
		while (free_slot < lb->cfg.max_vips && lb->vips[free_slot].pool != NULL)
			free_slot++;
		if (free_slot == lb->cfg.max_vips)
			return evs_store_err(err, -ENOSPC, d[i].path, "more than %u VIPs",
					     lb->cfg.max_vips);
		lb->vips[free_slot].pool = evs_lb_pool_create(&pc);
		if (lb->vips[free_slot].pool == NULL)
			return evs_store_err(err, -errno, d[i].path, "VIP pool: %s",
					     strerror(errno));
		*evs_store_obj_aux(d[i].obj) = free_slot + 1;
	}
	return 0;
}

static void vip_commit(struct evs_store *st, const struct evs_store_delta *d, size_t n, void *ctx)
{
	struct evs_lb_conf *lb = ctx;

	RTE_SET_USED(st);
	for (size_t i = 0; i < n; i++) {
		uintptr_t *slot = evs_store_obj_aux(d[i].obj);

		if (*slot == 0)
			continue;
		if (d[i].op == EVS_STORE_DEL) {
			/* its backends go with it (cascade); readers may still hold its
			 * table: freed after the grace of the next publish */
			lb_vip_bury(lb, &lb->vips[*slot - 1]);
			*slot = 0;
		} else if (lb_vip_set(lb, st, &lb->vips[*slot - 1], d[i].new) < 0) {
			RTE_LOG(ERR, USER1, "lb: VIP %s: no memory for its affinity table\n",
				json_string_value(json_object_get(d[i].new, "name")));
		}
	}
	lb_dp_publish(lb);
}

static json_t *vip_status(struct evs_store *st, struct evs_store_obj *o, void *ctx)
{
	struct evs_lb_pool *p = vip_pool(ctx, o);
	const struct evs_maglev *m = p != NULL ? evs_lb_pool_maglev(p) : NULL;

	RTE_SET_USED(st);
	if (m == NULL)
		return NULL;
	return json_pack("{s:i,s:i,s:b}", "backends_in_table", (json_int_t)m->cur->n_active,
			 "table_generation", (json_int_t)m->cur->gen, "pending",
			 evs_lb_pool_dirty(p));
}

static const struct evs_store_ops vip_ops = {
    .check = vip_check,
    .validate = vip_validate,
    .prepare = vip_prepare,
    .commit = vip_commit,
    .abort = vip_abort,
    .status = vip_status,
};

static const struct evs_obj_type vip_type = {
    .name = "lb.vip",
    .section = "lb_vips",
    .help = "a load-balanced virtual IP: address, protocol, port, scope",
    .fields = vip_fields,
    .n_fields = RTE_DIM(vip_fields),
    .defaults = "{\"protocol\": \"tcp\", \"port\": 0, \"table_size\": 65537, "
		"\"algorithm\": \"maglev\", \"affinity_timeout\": 300, \"dsr\": false}",
    .keys = vip_keys,
    .ops = &vip_ops,
    /* a Maglev table per new VIP (256 KiB at the default size): a few per call */
    .prepare_sliced = true,
    .prepare_slice = 16,
};

/* ---- lb.backend hooks ---- */

/* A key field must have one spelling: the address as inet_ntop writes it. */
static int canonical_address(const json_t *obj, const char *path, struct evs_ctl_err *err)
{
	const char *a = json_string_value(json_object_get(obj, "address"));
	char sub[EVS_CTL_PATH_MAX], text[INET6_ADDRSTRLEN];
	uint8_t addr[16];
	int af = 0;

	if (evs_ctl_parse_ip(a, &af, addr, NULL) < 0 ||
	    inet_ntop(af, addr, text, sizeof(text)) == NULL)
		return evs_store_err(err, -EINVAL,
				     evs_ctl_path_key(sub, sizeof(sub), path, "address"),
				     "'%s' is not an IPv4 or IPv6 address", a);
	if (strcmp(text, a) != 0)
		return evs_store_err(err, -EINVAL,
				     evs_ctl_path_key(sub, sizeof(sub), path, "address"),
				     "write the address as '%s'", text);
	return 0;
}

/* It goes into the request line: no spaces, CR or LF may break out of it. */
static bool request_path_ok(const char *p)
{
	if (p == NULL || p[0] != '/')
		return false;
	for (; *p != '\0'; p++)
		if (*p <= ' ' || *p >= 0x7f)
			return false;
	return true;
}

static int backend_check(struct evs_store *st, const json_t *obj, const char *path,
			 struct evs_ctl_err *err, void *ctx)
{
	struct evs_store_obj *vip =
	    evs_store_lookup_str(st, "lb.vip", json_string_value(json_object_get(obj, "vip")));
	struct evs_lb_conf *lb = ctx;
	char sub[EVS_CTL_PATH_MAX];
	int rc;

	rc = canonical_address(obj, path, err);
	if (rc < 0)
		return rc;
	if (!request_path_ok(str(st, "lb.backend", obj, "http_path")))
		return evs_store_err(err, -EINVAL,
				     evs_ctl_path_key(sub, sizeof(sub), path, "http_path"),
				     "http_path must start with '/' and hold printable characters "
				     "but spaces");
	if (u(st, "lb.backend", obj, "timeout_ms") > u(st, "lb.backend", obj, "interval_ms"))
		return evs_store_err(err, -EINVAL,
				     evs_ctl_path_key(sub, sizeof(sub), path, "timeout_ms"),
				     "timeout_ms must not exceed interval_ms");
	if (vip == NULL)
		return 0; /* the store reports the reference */
	if (family(obj) != family(evs_store_obj_value(vip)))
		return evs_store_err(err, -EINVAL,
				     evs_ctl_path_key(sub, sizeof(sub), path, "address"),
				     "backend and VIP addresses differ in family");
	if (json_is_true(evs_store_field(st, "lb.vip", evs_store_obj_value(vip), "dsr")) &&
	    !dsr_port_ok(st, evs_store_obj_value(vip), obj))
		return evs_store_err(err, -EINVAL, evs_ctl_path_key(sub, sizeof(sub), path, "port"),
				     "the VIP is dsr: no port translation (0 or the VIP's port)");
	if (evs_store_obj_refcount(vip, "lb.backend", "vip") > lb->cfg.max_backends)
		return evs_store_err(err, -ENOSPC, path, "VIP has more than %u backends",
				     lb->cfg.max_backends);
	return 0;
}

/* Adds that the pools could refuse: a key still draining, a pool full of drains. */
static int backend_validate(struct evs_store *st, const struct evs_store_delta *d, size_t n,
			    struct evs_ctl_err *err, void *ctx)
{
	struct evs_lb_conf *lb = ctx;
	uint32_t new_ids = 0;

	for (size_t i = 0; i < n; i++)
		new_ids += d[i].op == EVS_STORE_ADD;
	if (new_ids > lb_ids_free(lb))
		return evs_store_err(err, -ENOSPC, d[0].path,
				     "more than %u backends on this host (draining ones included)",
				     EVS_LB_IDS - 1);
	for (size_t i = 0; i < n; i++) {
		const json_t *vn = json_object_get(d[i].new, "vip");
		struct evs_lb_pool *p;
		uint8_t key[EVS_MAGLEV_KEY_MAX];
		uint32_t adds = 0;

		if (d[i].op != EVS_STORE_ADD)
			continue;
		p = vip_pool(lb, evs_store_lookup_str(st, "lb.vip", json_string_value(vn)));
		if (p == NULL)
			continue; /* a new VIP: an empty pool */
		if (evs_lb_pool_key_draining(p, key, backend_key(d[i].new, key)))
			return evs_store_err(err, -EBUSY, d[i].path,
					     "this backend is still draining from its deletion");
		if (evs_lb_pool_count(p) + n <= lb->cfg.max_backends)
			continue; /* cannot overflow: skip the count */
		for (size_t j = 0; j < n; j++)
			adds += d[j].op == EVS_STORE_ADD &&
				json_equal(json_object_get(d[j].new, "vip"), vn);
		if (evs_lb_pool_count(p) + adds > lb->cfg.max_backends)
			return evs_store_err(err, -ENOSPC, d[i].path,
					     "VIP '%s' holds %u backends (draining ones included)",
					     json_string_value(vn), evs_lb_pool_count(p));
	}
	return 0;
}

static void backend_apply(struct evs_lb_conf *lb, struct evs_store *st,
			  const struct evs_store_delta *d, uint64_t t)
{
	const json_t *v = d->new != NULL ? d->new : d->old;
	struct evs_lb_pool *p = vip_pool(
	    lb, evs_store_lookup_str(st, "lb.vip", json_string_value(json_object_get(v, "vip"))));
	uintptr_t *id = evs_store_obj_aux(d->obj);
	struct evs_lb_backend_spec spec = {0};
	int rc = 0;

	if (p == NULL)
		return; /* deleted with its VIP */
	switch (d->op) {
	case EVS_STORE_ADD:
		spec.id = lb_id_alloc(lb);
		if (spec.id == 0) {
			rc = -ENOSPC;
			break;
		}
		spec.weight = (uint32_t)u(st, "lb.backend", v, "weight");
		spec.key_len = backend_key(v, spec.key);
		spec.check = checked(st, v);
		health_cfg(st, v, &spec.health);
		rc = evs_lb_pool_add(p, &spec, t);
		if (rc == 0)
			*id = spec.id;
		else
			lb_id_free(lb, spec.id);
		break;
	case EVS_STORE_SET:
		health_cfg(st, v, &spec.health);
		rc = evs_lb_pool_set_weight(p, (uint32_t)*id,
					    (uint32_t)u(st, "lb.backend", v, "weight"));
		if (rc == 0)
			rc = evs_lb_pool_set_check(p, (uint32_t)*id, checked(st, v), &spec.health,
						   t);
		break;
	case EVS_STORE_DEL:
		rc = evs_lb_pool_remove(
		    p, (uint32_t)*id, (uint32_t)u(st, "lb.backend", v, "drain_timeout") * 1000, t);
		break;
	}
	/* validated before anything changed: a refusal here is a bug of ours */
	if (rc < 0)
		RTE_LOG(ERR, USER1, "lb: backend %s of VIP %s: %s\n",
			json_string_value(json_object_get(v, "address")),
			json_string_value(json_object_get(v, "vip")), strerror(-rc));
}

static uint32_t republish(struct evs_lb_conf *lb)
{
	uint32_t failed = 0;

	for (uint32_t s = 0; s < lb->cfg.max_vips; s++) {
		struct evs_lb_pool *p = lb->vips[s].pool;

		if (p == NULL || !evs_lb_pool_dirty(p))
			continue;
		if (evs_lb_pool_commit(p) == 0) {
			lb->stats.rebuilds++;
		} else {
			lb->stats.rebuild_failures++;
			failed++;
		}
	}
	return failed;
}

static void backend_commit(struct evs_store *st, const struct evs_store_delta *d, size_t n,
			   void *ctx)
{
	struct evs_lb_conf *lb = ctx;
	uint64_t t = now(lb);

	for (size_t i = 0; i < n; i++)
		backend_apply(lb, st, &d[i], t);
	republish(lb);
	lb_dp_publish(lb);
}

static json_t *backend_status(struct evs_store *st, struct evs_store_obj *o, void *ctx)
{
	const json_t *v = evs_store_obj_value(o);
	struct evs_lb_pool *p = vip_pool(
	    ctx, evs_store_lookup_str(st, "lb.vip", json_string_value(json_object_get(v, "vip"))));
	struct evs_lb_backend_info info;

	if (p == NULL || evs_lb_pool_get(p, (uint32_t)*evs_store_obj_aux(o), &info) < 0)
		return NULL;
	return json_pack("{s:i,s:s,s:b}", "id", (json_int_t)info.spec.id, "health",
			 evs_lb_health_state_name(info.health), "in_table", info.in_table);
}

static const struct evs_store_ops backend_ops = {
    .check = backend_check,
    .validate = backend_validate,
    .commit = backend_commit,
    .status = backend_status,
};

static const struct evs_obj_type backend_type = {
    .name = "lb.backend",
    .section = "lb_backends",
    .help = "a backend of a VIP: address, port, weight, drain timeout, health checks",
    .fields = backend_fields,
    .n_fields = RTE_DIM(backend_fields),
    .defaults = "{\"weight\": 1, \"drain_timeout\": 30, \"check\": \"none\", "
		"\"interval_ms\": 2000, \"timeout_ms\": 1000, \"rise\": 2, \"fall\": 3, "
		"\"http_path\": \"/\", \"http_status\": 200}",
    .keys = backend_keys,
    .refs = backend_refs,
    .n_refs = RTE_DIM(backend_refs),
    .ops = &backend_ops,
};

/* ---- lifecycle ---- */

struct evs_lb_conf *evs_lb_conf_create(const struct evs_lb_conf_config *cfg)
{
	struct evs_lb_conf *lb;

	if (cfg == NULL || cfg->now_ms == NULL || cfg->max_vips == 0 ||
	    cfg->max_vips > EVS_LB_VIPS || cfg->max_backends == 0 ||
	    cfg->max_backends > MAX_ITEMS) {
		errno = EINVAL;
		return NULL;
	}
	lb = calloc(1, sizeof(*lb));
	if (lb == NULL || (lb->vips = calloc(cfg->max_vips, sizeof(*lb->vips))) == NULL) {
		free(lb);
		errno = ENOMEM;
		return NULL;
	}
	lb->cfg = *cfg;
	lb->state.ct = cfg->ct;
	return lb;
}

void evs_lb_conf_free(struct evs_lb_conf *lb)
{
	if (lb == NULL)
		return;
	for (uint32_t s = 0; s < lb->cfg.max_vips; s++) {
		evs_lb_pool_free(lb->vips[s].pool);
		free(lb->vips[s].affinity);
	}
	lb_dp_free_all(lb);
	free(lb->vips);
	free(lb);
}

int evs_lb_store_add(struct evs_store *st, struct evs_lb_conf *lb)
{
	int rc;

	if (st == NULL || lb == NULL)
		return -EINVAL;
	lb->st = st;
	rc = evs_store_type_add(st, &vip_type, lb);
	return rc < 0 ? rc : evs_store_type_add(st, &backend_type, lb);
}

/* A removed backend whose last connection is gone needs no drain time. */
static void drains_done(const struct evs_lb_conf *lb, struct evs_lb_pool *p, uint64_t t)
{
	struct evs_lb_backend_info in;

	if (lb->cfg.ct == NULL)
		return;
	for (uint32_t i = 0; evs_lb_pool_get_at(p, i, &in) == 0; i++)
		if (in.removing && in.remove_at_ms > t && in.spec.id < EVS_CT_BACKENDS &&
		    evs_ct_backend_count(lb->cfg.ct, (uint16_t)in.spec.id) == 0)
			evs_lb_pool_drain_done(p, in.spec.id, t);
}

uint32_t evs_lb_conf_tick(struct evs_lb_conf *lb,
			  void (*send)(void *arg, const struct evs_lb_backend_spec *b), void *arg)
{
	uint64_t t = now(lb);
	uint32_t deleted = 0, failed;

	for (uint32_t s = 0; s < lb->cfg.max_vips; s++)
		if (lb->vips[s].pool != NULL) {
			drains_done(lb, lb->vips[s].pool, t);
			deleted += evs_lb_pool_tick(lb->vips[s].pool, t, send, arg);
		}
	failed = republish(lb);
	/* transitions, finished drains, a scope's switch that came or went */
	if (lb->stats.rebuilds != lb->published_rebuilds || deleted != 0 || lb_dp_ldps_moved(lb))
		lb_dp_publish(lb);
	lb_dp_reclaim(lb);
	return failed;
}

struct evs_lb_pool *evs_lb_conf_pool(const struct evs_lb_conf *lb, struct evs_store_obj *vip)
{
	return vip_pool(lb, vip);
}

uint32_t evs_lb_conf_backend_id(struct evs_store_obj *o)
{
	return o != NULL ? (uint32_t)*evs_store_obj_aux(o) : 0;
}

void evs_lb_conf_stats(const struct evs_lb_conf *lb, struct evs_lb_conf_stats *out)
{
	*out = lb->stats;
}

const struct evs_lb_state *evs_lb_conf_state(const struct evs_lb_conf *lb)
{
	return &lb->state;
}

int evs_lb_conf_vip_slot(struct evs_store_obj *vip)
{
	uintptr_t slot = vip != NULL ? *evs_store_obj_aux(vip) : 0;

	return slot != 0 ? (int)slot - 1 : -1;
}
