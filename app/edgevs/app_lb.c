/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Load balancing in the daemon: the lb.vip/lb.backend types and their
 * published tables, the management lcore's prober (health checks), the
 * "lb.backend.state" events, lb.stats, and the lb.health object.
 *
 * Probes are kernel sockets stepped without blocking. They are opened in
 * the network namespace named by the lb.health object (netns), whose only
 * interface is meant to be a tap port of the switch: probes then reach the
 * backends through the datapath like clients do (doc/lb.md). Without one
 * they use the daemon's own namespace.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <rte_cycles.h>

#include "app.h"
#include "ctl_util.h"
#include "evs_lb_conf.h"
#include "evs_lb_probe.h"

#define LB_MAX_VIPS 256
#define LB_MAX_BACKENDS 256 /* per VIP */
#define LB_PROBES_MAX 1024  /* in flight */

struct lb_probe {
	struct evs_lb_probe p;
	char path[64]; /* p.t.path points here (moved with the probe) */
	int vip_slot;  /* of the backend's VIP */
	uint32_t id;
	uint64_t deadline_ms;
};

struct app_lb {
	struct evs_lb_conf *conf;
	int netns_fd;	/* probes' namespace, -1: the daemon's */
	int own_fd;	/* the daemon's namespace */
	int pending_fd; /* lb.health's new namespace between prepare and commit */
	char netns[64];
	uint32_t n_probes;
	struct lb_probe probes[LB_PROBES_MAX];
	struct pollfd pfd[LB_PROBES_MAX];
	uint64_t probe_errors;	 /* probes that could not start (counted as failed) */
	uint64_t probes_dropped; /* more than LB_PROBES_MAX in flight */
	uint64_t next_passive_ms;
	uint64_t passive_fed;		   /* signals handed to the health machines */
	uint32_t passive_seen[EVS_LB_IDS]; /* PMDs' passive signals, summed, last look */
	uint32_t passive_now[EVS_LB_IDS];
};

static uint64_t now_ms(void *arg)
{
	(void)arg;
	return evs_ct_now_ms();
}

/* A switch's datapath (its object's aux word is id + 1), or 0. */
static uint16_t switch_ldp(const struct evs_app *app, const char *name)
{
	struct evs_store_obj *o = evs_store_lookup_str(app->store, "switch", name);
	uintptr_t aux = o != NULL ? *evs_store_obj_aux(o) : 0;

	return aux == 0 ? 0 : evs_l2_ldp((uint16_t)(aux - 1));
}

/* A scope names a switch, or a router: then every switch it has a port on
 * (L2 hands routed frames to routing in the client's switch). */
static unsigned int scope_ldps(const char *scope, uint16_t *ldps, unsigned int max, void *arg)
{
	const struct evs_app *app = arg;
	uint16_t l = switch_ldp(app, scope);
	unsigned int n = 0;

	if (l != 0) {
		ldps[0] = l;
		return 1;
	}
	for (struct evs_store_obj *o = evs_store_first(app->store, "router_port");
	     o != NULL && n < max; o = evs_store_next(o)) {
		const json_t *v = evs_store_obj_value(o);

		if (strcmp(json_string_value(json_object_get(v, "router")), scope) != 0)
			continue;
		l = switch_ldp(app, json_string_value(json_object_get(v, "switch")));
		if (l != 0)
			ldps[n++] = l;
	}
	return n;
}

static void on_publish(void *arg, bool stages_changed)
{
	struct evs_app *app = arg;

	if (stages_changed)
		evs_registry_dep_bump(app->reg, (unsigned int)app->mod_lb, 0);
}

/* The lb.backend object with datapath id @id, or NULL (a linear walk:
 * management plane, tens to hundreds of backends). */
static struct evs_store_obj *backend_obj(const struct evs_app *app, uint32_t id)
{
	for (struct evs_store_obj *o = evs_store_first(app->store, "lb.backend"); o != NULL;
	     o = evs_store_next(o))
		if (evs_lb_conf_backend_id(o) == id)
			return o;
	return NULL;
}

static void on_state(void *arg, uint32_t id, enum evs_lb_health_state s, uint64_t t)
{
	struct evs_app *app = arg;
	struct evs_store_obj *o = backend_obj(app, id);
	const json_t *v = o != NULL ? evs_store_obj_value(o) : NULL;

	APP_LOG(INFO, "lb backend %u (%s) is %s", id,
		v != NULL ? json_string_value(json_object_get(v, "address")) : "?",
		evs_lb_health_state_name(s));
	if (app->ctl == NULL || v == NULL)
		return;
	evs_ctl_notify(app->ctl, "lb.backend.state",
		       json_pack("{s:O, s:O, s:O, s:i, s:s, s:I}", "vip", json_object_get(v, "vip"),
				 "address", json_object_get(v, "address"), "port",
				 json_object_get(v, "port"), "id", (int)id, "state",
				 evs_lb_health_state_name(s), "time_ms", (json_int_t)t));
}

int app_lb_init(struct evs_app *app)
{
	struct evs_lb_conf_config c = {.max_vips = LB_MAX_VIPS,
				       .max_backends = LB_MAX_BACKENDS,
				       .socket_id = (int)rte_socket_id(),
				       .qsbr = app->qsbr,
				       .now_ms = now_ms,
				       .on_state = on_state,
				       .cb_arg = app,
				       .scope_ldps = scope_ldps,
				       .ldp_arg = app,
				       .on_publish = on_publish,
				       .publish_arg = app,
				       .ct = app->ct};

	app->lbx = calloc(1, sizeof(*app->lbx));
	if (app->lbx == NULL)
		return -ENOMEM;
	app->lbx->netns_fd = -1;
	app->lbx->pending_fd = -1;
	app->lbx->own_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	app->lbx->conf = evs_lb_conf_create(&c);
	return app->lbx->conf != NULL ? 0 : -errno;
}

const void *app_lb_state(const struct evs_app *app)
{
	return app->lbx != NULL ? evs_lb_conf_state(app->lbx->conf) : NULL;
}

static const struct evs_obj_type health_type;

int app_lb_store_add(struct evs_app *app)
{
	int rc = evs_lb_store_add(app->store, app->lbx->conf);

	return rc < 0 ? rc : evs_store_type_add(app->store, &health_type, app);
}

/* ---- the prober ---- */

static int probe_kind(const char *check)
{
	if (strcmp(check, "http") == 0)
		return EVS_LB_PROBE_HTTP;
	if (strcmp(check, "icmp") == 0)
		return EVS_LB_PROBE_ICMP;
	return EVS_LB_PROBE_TCP;
}

/* Open a probe's socket in the probes' namespace (sockets keep theirs). */
static int probe_start(struct app_lb *l, struct evs_lb_probe *p,
		       const struct evs_lb_probe_target *t)
{
	int rc;

	if (l->netns_fd >= 0 && setns(l->netns_fd, CLONE_NEWNET) < 0)
		return -errno;
	rc = evs_lb_probe_start(p, t);
	if (l->netns_fd >= 0 && setns(l->own_fd, CLONE_NEWNET) < 0)
		APP_LOG(ERR, "lb prober: cannot return to the daemon's namespace: %s",
			strerror(errno));
	return rc;
}

/* The pool of backend @id's VIP, or NULL (deleted meanwhile). */
static struct evs_lb_pool *pool_of(const struct evs_app *app, uint32_t id, const json_t **val)
{
	struct evs_store_obj *o = backend_obj(app, id);
	const json_t *v = o != NULL ? evs_store_obj_value(o) : NULL;

	if (val != NULL)
		*val = v;
	if (v == NULL)
		return NULL;
	return evs_lb_conf_pool(app->lbx->conf,
				evs_store_lookup_str(app->store, "lb.vip",
						     json_string_value(json_object_get(v, "vip"))));
}

static void report(struct evs_app *app, uint32_t id, enum evs_lb_probe_result r)
{
	struct evs_lb_pool *p = pool_of(app, id, NULL);

	if (p != NULL)
		evs_lb_pool_probe_result(p, id, now_ms(NULL), r);
}

/* evs_lb_conf_tick's send: a checked backend's probe is due. */
static void probe_send(void *arg, const struct evs_lb_backend_spec *b)
{
	struct evs_app *app = arg;
	struct app_lb *l = app->lbx;
	struct evs_lb_probe_target t = {0};
	const json_t *v;
	struct lb_probe *lp;

	if (pool_of(app, b->id, &v) == NULL)
		return;
	if (l->n_probes == LB_PROBES_MAX) {
		l->probes_dropped++; /* the health machine times it out */
		return;
	}
	lp = &l->probes[l->n_probes];
	t.kind = (uint8_t)probe_kind(
	    json_string_value(evs_store_field(app->store, "lb.backend", v, "check")));
	t.af = b->key[0] == 6 ? AF_INET6 : AF_INET;
	memcpy(t.addr, b->key + 1, 16);
	t.port = (uint16_t)(b->key[17] << 8 | b->key[18]);
	/* copied: the object may change while the probe runs */
	snprintf(lp->path, sizeof(lp->path), "%s",
		 json_string_value(evs_store_field(app->store, "lb.backend", v, "http_path")));
	t.path = lp->path;
	t.status = (uint16_t)json_integer_value(
	    evs_store_field(app->store, "lb.backend", v, "http_status"));
	if (t.port == 0) { /* the client's port: probe the VIP's */
		struct evs_store_obj *vip = evs_store_lookup_str(
		    app->store, "lb.vip", json_string_value(json_object_get(v, "vip")));

		t.port = (uint16_t)json_integer_value(
		    evs_store_field(app->store, "lb.vip", evs_store_obj_value(vip), "port"));
	}
	if (probe_start(l, &lp->p, &t) < 0) {
		l->probe_errors++;
		report(app, b->id, EVS_LB_PROBE_FAIL);
		return;
	}
	lp->id = b->id;
	lp->deadline_ms = now_ms(NULL) + b->health.timeout_ms;
	l->n_probes++;
}

/* Step every probe whose socket is ready; report and drop finished or late ones. */
static void probes_poll(struct evs_app *app)
{
	struct app_lb *l = app->lbx;
	uint64_t t = now_ms(NULL);
	uint32_t i, kept = 0;

	for (i = 0; i < l->n_probes; i++) {
		l->pfd[i].fd = evs_lb_probe_fd(&l->probes[i].p);
		l->pfd[i].events = evs_lb_probe_events(&l->probes[i].p);
		l->pfd[i].revents = 0;
	}
	if (l->n_probes == 0 || poll(l->pfd, l->n_probes, 0) < 0)
		return;
	for (i = 0; i < l->n_probes; i++) {
		struct lb_probe *lp = &l->probes[i];
		enum evs_lb_probe_status s = EVS_LB_PROBE_PENDING;

		if (l->pfd[i].revents != 0)
			s = evs_lb_probe_step(&lp->p);
		if (s == EVS_LB_PROBE_PENDING && t >= lp->deadline_ms) {
			/* the health machine counts the timeout itself */
			evs_lb_probe_cancel(&lp->p);
			continue;
		}
		if (s != EVS_LB_PROBE_PENDING) {
			report(app, lp->id,
			       s == EVS_LB_PROBE_UP ? EVS_LB_PROBE_OK : EVS_LB_PROBE_FAIL);
			continue;
		}
		if (kept != i) {
			l->probes[kept] = *lp;
			l->probes[kept].p.t.path = l->probes[kept].path;
		}
		kept++;
	}
	l->n_probes = kept;
}

/*
 * Passive signals from the PMDs (an unanswered SYN sent again, an RST from
 * the backend): every 100 ms, a backend whose count moved gets one passive
 * failure, which makes its probe due at once (evs_lb_health_passive_fail).
 */
#define PASSIVE_PERIOD_MS 100

static void passive_poll(struct evs_app *app)
{
	struct app_lb *l = app->lbx;
	uint64_t t = now_ms(NULL);

	if (t < l->next_passive_ms)
		return;
	l->next_passive_ms = t + PASSIVE_PERIOD_MS;
	memset(l->passive_now, 0, sizeof(l->passive_now));
	for (unsigned int i = 0; i < app->n_pmds; i++)
		evs_lb_lcore_passive(
		    evs_pipeline_lcore_module(app->pmds[i]->pl, (unsigned int)app->mod_lb),
		    l->passive_now);
	for (uint32_t id = 1; id < EVS_LB_IDS; id++) {
		struct evs_lb_pool *p;

		if (l->passive_now[id] == l->passive_seen[id])
			continue;
		l->passive_seen[id] = l->passive_now[id];
		p = pool_of(app, id, NULL);
		if (p != NULL && evs_lb_pool_passive_fail(p, id, t) == 0)
			l->passive_fed++;
	}
}

void app_lb_poll(struct evs_app *app)
{
	if (app->lbx == NULL)
		return;
	probes_poll(app);
	passive_poll(app);
	evs_lb_conf_tick(app->lbx->conf, probe_send, app);
}

void app_lb_free(struct evs_app *app)
{
	struct app_lb *l = app->lbx;

	if (l == NULL)
		return;
	for (uint32_t i = 0; i < l->n_probes; i++)
		evs_lb_probe_cancel(&l->probes[i].p);
	if (l->netns_fd >= 0)
		close(l->netns_fd);
	if (l->own_fd >= 0)
		close(l->own_fd);
	evs_lb_conf_free(l->conf);
	free(l);
	app->lbx = NULL;
}

/* ---- methods ---- */

static json_t *counts_json(json_t *o, const struct evs_lb_counts *c)
{
	json_object_set_new(o, "connections", json_integer((json_int_t)c->conns));
	json_object_set_new(o, "packets", json_integer((json_int_t)c->packets));
	json_object_set_new(o, "bytes", json_integer((json_int_t)c->bytes));
	return o;
}

static json_t *backend_json(const struct evs_app *app, struct evs_store_obj *o,
			    struct evs_lb_pool *p, const struct evs_lb_counts *be)
{
	const struct evs_lb_dp *dp = evs_lb_conf_state(app->lbx->conf)->cur;
	const json_t *v = evs_store_obj_value(o);
	uint32_t id = evs_lb_conf_backend_id(o);
	struct evs_lb_backend_info in;
	json_t *b;

	if (id == 0 || id >= EVS_LB_IDS || evs_lb_pool_get(p, id, &in) < 0)
		return NULL;
	b = json_pack("{s:O, s:O, s:i, s:I, s:s, s:s, s:b, s:I}", "address",
		      json_object_get(v, "address"), "port", json_object_get(v, "port"), "id",
		      (int)id, "weight", (json_int_t)in.spec.weight, "state",
		      dp != NULL ? evs_lb_backend_state_name(dp->backend[id].state) : "?", "health",
		      in.spec.check ? evs_lb_health_state_name(in.health) : "unchecked", "in_table",
		      in.in_table, "live_connections",
		      (json_int_t)evs_ct_backend_count(app->ct, (uint16_t)id));
	if (b == NULL)
		return NULL;
	if (in.spec.check)
		json_object_set_new(b, "probes",
				    json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "sent",
					      (json_int_t)in.health_stats.probes_sent, "ok",
					      (json_int_t)in.health_stats.probes_ok, "failed",
					      (json_int_t)in.health_stats.probes_failed, "timeout",
					      (json_int_t)in.health_stats.probes_timeout, "late",
					      (json_int_t)in.health_stats.probes_late,
					      "passive_failures",
					      (json_int_t)in.health_stats.passive_failures,
					      "went_up", (json_int_t)in.health_stats.went_up,
					      "went_down", (json_int_t)in.health_stats.went_down));
	return counts_json(b, &be[id]);
}

/* Deleted backends still draining (no object any more): appended to @arr
 * with state "removing"; @return their live connections. */
static uint64_t removed_json(const struct evs_app *app, const struct evs_lb_pool *p,
			     const struct evs_lb_counts *be, json_t *arr)
{
	struct evs_lb_backend_info in;
	uint64_t live = 0, t = now_ms(NULL);

	for (uint32_t i = 0; evs_lb_pool_get_at(p, i, &in) == 0; i++) {
		const uint8_t *k = in.spec.key;
		char a[INET6_ADDRSTRLEN] = "?";
		uint32_t id = in.spec.id, n;
		json_t *bj;

		if (!in.removing || id == 0 || id >= EVS_LB_IDS)
			continue;
		inet_ntop(k[0] == 6 ? AF_INET6 : AF_INET, k + 1, a, sizeof(a));
		n = evs_ct_backend_count(app->ct, (uint16_t)id);
		bj = json_pack("{s:s, s:i, s:i, s:I, s:s, s:I, s:I}", "address", a, "port",
			       k[17] << 8 | k[18], "id", (int)id, "weight",
			       (json_int_t)in.spec.weight, "state", "removing", "live_connections",
			       (json_int_t)n, "drain_left_ms",
			       (json_int_t)(in.remove_at_ms > t ? in.remove_at_ms - t : 0));
		if (bj == NULL)
			continue;
		live += n;
		json_array_append_new(arr, counts_json(bj, &be[id]));
	}
	return live;
}

static json_t *vip_json(const struct evs_app *app, struct evs_store_obj *vo,
			const struct evs_lb_counts *vip, const struct evs_lb_counts *be)
{
	const json_t *v = evs_store_obj_value(vo);
	struct evs_lb_pool *p = evs_lb_conf_pool(app->lbx->conf, vo);
	int slot = evs_lb_conf_vip_slot(vo);
	json_t *o, *arr = json_array();
	uint64_t live = 0;

	if (p == NULL || slot < 0 || arr == NULL) {
		json_decref(arr);
		return NULL;
	}
	for (struct evs_store_obj *b = evs_store_first(app->store, "lb.backend"); b != NULL;
	     b = evs_store_next(b)) {
		json_t *bj;

		if (!json_equal(json_object_get(evs_store_obj_value(b), "vip"),
				json_object_get(v, "name")))
			continue;
		bj = backend_json(app, b, p, be);
		if (bj == NULL)
			continue;
		live += (uint64_t)json_integer_value(json_object_get(bj, "live_connections"));
		json_array_append_new(arr, bj);
	}
	live += removed_json(app, p, be, arr);
	o = json_pack("{s:O, s:O, s:O, s:O, s:O, s:I, s:o}", "name", json_object_get(v, "name"),
		      "address", json_object_get(v, "address"), "port",
		      evs_store_field(app->store, "lb.vip", v, "port"), "protocol",
		      evs_store_field(app->store, "lb.vip", v, "protocol"), "algorithm",
		      evs_store_field(app->store, "lb.vip", v, "algorithm"), "live_connections",
		      (json_int_t)live, "backends", arr);
	return o != NULL ? counts_json(o, &vip[slot]) : NULL;
}

static int m_lb_stats(struct evs_ctl_call *call, json_t *params, void *arg)
{
	struct evs_app *app = arg;
	const char *want = json_string_value(json_object_get(params, "vip"));
	struct evs_lb_counts *vip = calloc(EVS_LB_VIPS, sizeof(*vip));
	struct evs_lb_counts *be = calloc(EVS_LB_IDS, sizeof(*be));
	json_t *arr = json_array();
	bool found = false;

	if (vip == NULL || be == NULL || arr == NULL) {
		free(vip);
		free(be);
		json_decref(arr);
		return evs_ctl_error_errno(call, -ENOMEM, NULL, "lb.stats");
	}
	for (unsigned int i = 0; i < app->n_pmds; i++)
		evs_lb_lcore_stats(
		    evs_pipeline_lcore_module(app->pmds[i]->pl, (unsigned int)app->mod_lb), vip,
		    be);
	for (struct evs_store_obj *o = evs_store_first(app->store, "lb.vip"); o != NULL;
	     o = evs_store_next(o)) {
		json_t *vj;

		if (want != NULL &&
		    strcmp(json_string_value(json_object_get(evs_store_obj_value(o), "name")),
			   want) != 0)
			continue;
		found = true;
		vj = vip_json(app, o, vip, be);
		if (vj != NULL)
			json_array_append_new(arr, vj);
	}
	free(vip);
	free(be);
	if (want != NULL && !found) {
		json_decref(arr);
		return evs_ctl_error_errno(call, -ENOENT, "/params/vip", "no VIP '%s'", want);
	}
	return evs_ctl_reply(call, json_pack("{s:o}", "vips", arr));
}

/* ---- lb.health: where probes come from (one object, persisted) ---- */

static const struct evs_ctl_param health_fields[] = {
    {.name = "name",
     .type = EVS_CTL_T_STRING,
     .required = true,
     .min_len = 1,
     .max_len = 31,
     .help = "the prober's settings: one object"},
    {.name = "netns",
     .type = EVS_CTL_T_STRING,
     .required = true,
     .min_len = 1,
     .max_len = 63,
     .help = "network namespace (ip netns) the probes' sockets open in, whose port is on a "
	     "switch; without the object: the daemon's"},
};
static const char *const health_keys[] = {"name", NULL};

static int health_check(struct evs_store *st, const json_t *obj, const char *path,
			struct evs_ctl_err *err, void *ctx)
{
	const char *ns = json_string_value(json_object_get(obj, "netns"));
	char sub[EVS_CTL_PATH_MAX];

	(void)st;
	(void)ctx;
	if (strchr(ns, '/') != NULL || strcmp(ns, "..") == 0 || strcmp(ns, ".") == 0)
		return evs_store_err(err, -EINVAL,
				     evs_ctl_path_key(sub, sizeof(sub), path, "netns"),
				     "'%s' is not a namespace name", ns);
	return 0;
}

/* Open the new namespace now: a transaction naming a missing one fails. */
static int health_prepare(struct evs_store *st, const struct evs_store_delta *d, size_t n,
			  struct evs_ctl_err *err, void *ctx)
{
	struct app_lb *l = ((struct evs_app *)ctx)->lbx;
	char path[PATH_MAX], sub[EVS_CTL_PATH_MAX];

	(void)st;
	l->pending_fd = -1;
	for (size_t i = 0; i < n; i++) {
		if (d[i].op == EVS_STORE_DEL)
			continue;
		snprintf(path, sizeof(path), "/var/run/netns/%s",
			 json_string_value(json_object_get(d[i].new, "netns")));
		if (l->own_fd < 0)
			return evs_store_err(err, -ENOTSUP, d[i].path,
					     "cannot come back from another namespace");
		l->pending_fd = open(path, O_RDONLY | O_CLOEXEC);
		if (l->pending_fd < 0)
			return evs_store_err(err, -errno,
					     evs_ctl_path_key(sub, sizeof(sub), d[i].path, "netns"),
					     "%s: %s", path, strerror(errno));
	}
	return 0;
}

static void health_abort(struct evs_store *st, const struct evs_store_delta *d, size_t n, void *ctx)
{
	struct app_lb *l = ((struct evs_app *)ctx)->lbx;

	(void)st, (void)d, (void)n;
	if (l->pending_fd >= 0)
		close(l->pending_fd);
	l->pending_fd = -1;
}

static void health_commit(struct evs_store *st, const struct evs_store_delta *d, size_t n,
			  void *ctx)
{
	struct app_lb *l = ((struct evs_app *)ctx)->lbx;

	(void)st;
	for (size_t i = 0; i < n; i++) {
		/* probes in flight keep their sockets' namespace */
		if (l->netns_fd >= 0)
			close(l->netns_fd);
		l->netns_fd = d[i].op == EVS_STORE_DEL ? -1 : l->pending_fd;
		snprintf(l->netns, sizeof(l->netns), "%s",
			 d[i].op == EVS_STORE_DEL
			     ? ""
			     : json_string_value(json_object_get(d[i].new, "netns")));
	}
	l->pending_fd = -1;
}

static json_t *health_status(struct evs_store *st, struct evs_store_obj *o, void *ctx)
{
	const struct app_lb *l = ((struct evs_app *)ctx)->lbx;

	(void)st, (void)o;
	return json_pack("{s:I, s:I, s:I, s:I}", "probes_in_flight", (json_int_t)l->n_probes,
			 "probe_errors", (json_int_t)l->probe_errors, "probes_dropped",
			 (json_int_t)l->probes_dropped, "passive_signals",
			 (json_int_t)l->passive_fed);
}

static const struct evs_store_ops health_ops = {
    .check = health_check,
    .prepare = health_prepare,
    .commit = health_commit,
    .abort = health_abort,
    .status = health_status,
};

static const struct evs_obj_type health_type = {
    .name = "lb.health",
    .section = "lb_health",
    .help = "the health prober: the namespace its probes leave from (at most one object)",
    .fields = health_fields,
    .n_fields = RTE_DIM(health_fields),
    .keys = health_keys,
    .max_objects = 1,
    .ops = &health_ops,
};

int app_lb_ctl_register(struct evs_app *app)
{
	static const struct evs_ctl_param stats_params[] = {
	    {.name = "vip", .type = EVS_CTL_T_STRING, .min_len = 1, .help = "one VIP by name"},
	};
	const struct evs_ctl_method m[] = {
	    {.name = "lb.stats",
	     .help = "Per VIP and backend: connections committed, live connections, packets, "
		     "bytes, state, health and probe counters.",
	     .read_only = true,
	     .fn = m_lb_stats,
	     .arg = app,
	     .params = stats_params,
	     .n_params = RTE_DIM(stats_params)},
	};
	int rc = evs_ctl_topic_register(app->ctl, "lb.backend.state",
					"a backend's health changed: {vip, address, port, id, "
					"state, time_ms}");

	return rc < 0 ? rc : ctl_register_methods(app, m, RTE_DIM(m));
}
