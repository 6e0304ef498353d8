/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SA objects -> lib/crypto SAs and the inbound SPI table. A transaction's
 * SAs are created and a copy of the table is edited in prepare (may fail:
 * memory, a SPI still draining); commit publishes the copy and the VTEPs'
 * outbound pointers (cannot fail); what they replaced is freed after an RCU
 * grace, except a replaced inbound SA with a new SPI, which stays in the
 * table for the drain period first (make-before-break rekey).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>

#include "overlay_private.h"

uint64_t ovl_now_ms(const struct evs_overlay *ov)
{
	if (ov->cfg.now_ms != NULL)
		return ov->cfg.now_ms();
	return rte_get_tsc_cycles() / (rte_get_tsc_hz() / 1000);
}

static int grow(void **arr, unsigned int *cap, unsigned int need, size_t size)
{
	unsigned int n = *cap == 0 ? 16 : *cap;
	void *p;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	p = realloc(*arr, n * size);
	if (p == NULL)
		return -ENOMEM;
	*arr = p;
	*cap = n;
	return 0;
}

static void retired_free(void *p, enum ovl_kind kind)
{
	if (kind == OVL_TABLE)
		evs_sa_table_free(p);
	else if (kind == OVL_DP)
		ovl_dp_free(p);
	else
		evs_sa_free(p);
}

/* Free @p p once no reader can hold it (at once without readers). Never fails:
 * without memory for the list it waits for the readers here. */
void ovl_retire(struct evs_overlay *ov, void *p, enum ovl_kind kind)
{
	if (p == NULL)
		return;
	if (ov->cfg.qsv != NULL && grow((void **)&ov->retire, &ov->cap_retire, ov->n_retire + 1,
					sizeof(*ov->retire)) == 0) {
		ov->retire[ov->n_retire++] = (struct ovl_retire){
		    .p = p, .kind = kind, .token = rte_rcu_qsbr_start(ov->cfg.qsv)};
		return;
	}
	if (ov->cfg.qsv != NULL)
		rte_rcu_qsbr_synchronize(ov->cfg.qsv, RTE_QSBR_THRID_INVALID);
	retired_free(p, kind);
}

static unsigned int retire_poll(struct evs_overlay *ov)
{
	unsigned int i, k = 0, freed = 0;

	for (i = 0; i < ov->n_retire; i++) {
		struct ovl_retire *r = &ov->retire[i];

		if (rte_rcu_qsbr_check(ov->cfg.qsv, r->token, false) != 1) {
			ov->retire[k++] = *r;
			continue;
		}
		retired_free(r->p, r->kind);
		freed++;
	}
	ov->n_retire = k;
	return freed;
}

unsigned int evs_overlay_poll(struct evs_overlay *ov)
{
	uint64_t now = ovl_now_ms(ov);
	unsigned int i, k = 0, done = 0;

	ovl_neigh_poll(ov);
	ovl_natt_poll(ov);
	for (i = 0; i < ov->n_drains; i++) {
		struct ovl_drain *d = &ov->drains[i];

		if (now < d->deadline_ms) {
			ov->drains[k++] = *d;
			continue;
		}
		/* readers may still hold it: freed after a grace */
		evs_sa_table_del(ov->table, evs_sa_spi(d->sa));
		ovl_retire(ov, d->sa, OVL_SA);
		done++;
	}
	ov->n_drains = k;
	if (evs_sa_table_needs_rebuild(ov->table)) {
		struct evs_sa_table *fresh = evs_sa_table_copy(ov->table, OVL_TABLE_SAS);

		if (fresh != NULL) {
			struct evs_sa_table *old = ov->table;

			/* release: the copy's slots are written before readers find it */
			__atomic_store_n(&ov->table, fresh, __ATOMIC_RELEASE);
			ovl_retire(ov, old, OVL_TABLE);
		}
	}
	if (ov->n_retire > 0)
		retire_poll(ov);
	return done;
}

const struct evs_sa_table *evs_overlay_sa_table(const struct evs_overlay *ov)
{
	return __atomic_load_n(&ov->table, __ATOMIC_ACQUIRE);
}

struct evs_sa *evs_overlay_vtep_out(const struct evs_overlay *ov, uint16_t id)
{
	if (id >= EVS_OVERLAY_MAX_VTEPS)
		return NULL;
	return __atomic_load_n(&ov->vteps[id].out, __ATOMIC_ACQUIRE);
}

int evs_overlay_vtep_id(const struct evs_overlay *ov, const char *name)
{
	for (unsigned int i = 0; name != NULL && i < EVS_OVERLAY_MAX_VTEPS; i++)
		if (strcmp(ov->vteps[i].name, name) == 0)
			return (int)i;
	return -ENOENT;
}

unsigned int evs_overlay_draining(const struct evs_overlay *ov)
{
	return ov->n_drains;
}

/* --- vtep: slots ------------------------------------------------------ */

static int vtep_prepare(struct evs_store *st, const struct evs_store_delta *d, size_t n,
			struct evs_ctl_err *err, void *ctx)
{
	struct evs_overlay *ov = ctx;

	for (size_t i = 0; i < n; i++) {
		unsigned int s;

		if (d[i].op != EVS_STORE_ADD)
			continue;
		for (s = 0; s < EVS_OVERLAY_MAX_VTEPS; s++)
			if (ov->vteps[s].name[0] == '\0' && !ov->reserved[s])
				break;
		if (s == EVS_OVERLAY_MAX_VTEPS) /* the store's capacity says so first */
			return evs_store_err(err, -ENOSPC, d[i].path, "no VTEP slot");
		ov->reserved[s] = true;
		*evs_store_obj_aux(d[i].obj) = s + 1;
	}
	return ovl_dp_stage(ov, st, err);
}

static void vtep_commit(struct evs_store *st, const struct evs_store_delta *d, size_t n, void *ctx)
{
	struct evs_overlay *ov = ctx;

	RTE_SET_USED(st);
	ovl_dp_commit(ov);
	for (size_t i = 0; i < n; i++) {
		const json_t *v = d[i].op == EVS_STORE_DEL ? d[i].old : d[i].new;
		const char *name = json_string_value(json_object_get(v, "name"));
		int id = evs_overlay_vtep_id(ov, name);

		/* its SAs were deleted with it (cascade): the sa hooks clear them */
		if (d[i].op == EVS_STORE_DEL && id >= 0) {
			ov->vteps[id].name[0] = '\0';
			ovl_natt_vtep_gone(ov, (uint16_t)id);
		} else if (d[i].op == EVS_STORE_SET && id >= 0) {
			/* its ESP-in-UDP follows the tunnel's checksum word at once
			 * (a new outbound SA of this transaction took it already) */
			if (ov->vteps[id].out != NULL)
				evs_sa_set_udp_zero_csum6(
				    ov->vteps[id].out,
				    json_is_true(json_object_get(d[i].new, "udp_zero_csum6_tx")));
			if (!json_equal(json_object_get(d[i].old, "address"),
					json_object_get(d[i].new, "address")))
				ovl_natt_evidence_reset(ov, (uint16_t)id, false);
		} else if (d[i].op == EVS_STORE_ADD)
			snprintf(ov->vteps[*evs_store_obj_aux(d[i].obj) - 1].name, OVL_NAME_LEN,
				 "%s", name);
	}
	memset(ov->reserved, 0, sizeof(ov->reserved));
}

static void vtep_abort(struct evs_store *st, const struct evs_store_delta *d, size_t n, void *ctx)
{
	struct evs_overlay *ov = ctx;

	RTE_SET_USED(st);
	RTE_SET_USED(d);
	RTE_SET_USED(n);
	memset(ov->reserved, 0, sizeof(ov->reserved));
	ovl_dp_abort(ov);
}

const struct evs_store_ops ovl_vtep_ops = {
    .check = ovl_vtep_check,
    .prepare = vtep_prepare,
    .commit = vtep_commit,
    .abort = vtep_abort,
};

/* --- sa ----------------------------------------------------------------- */

/* The SA of object value @p v; its owner word is 1 + its VTEP's id. In
 * tunnel mode the outer header takes the tunnel header's addresses (the
 * underlay's and the VTEP's), whatever they are when the packet is sent. */
static struct evs_sa *sa_build(struct evs_store *st, const json_t *v, bool inbound, uint16_t vtep)
{
	const char *key = json_string_value(json_object_get(v, "key"));
	struct evs_sa_config c = {
	    .spi = (uint32_t)json_integer_value(json_object_get(v, "spi")),
	    .dir = inbound ? EVS_SA_INBOUND : EVS_SA_OUTBOUND,
	    .mode = strcmp(json_string_value(evs_store_field(st, "sa", v, "mode")), "tunnel") == 0
			? EVS_ESP_TUNNEL
			: EVS_ESP_TRANSPORT,
	    .esn = json_is_true(json_object_get(v, "esn")),
	    .udp_encap = json_is_true(json_object_get(v, "udp_encap")),
	    .udp_sport = (uint16_t)json_integer_value(evs_store_field(st, "sa", v, "udp_sport")),
	    .udp_dport = (uint16_t)json_integer_value(evs_store_field(st, "sa", v, "udp_dport")),
	    .owner = (uint32_t)vtep + 1,
	};
	const json_t *w = json_object_get(v, "window");
	struct evs_sa *sa = NULL;

	c.replay_window = w != NULL ? (uint32_t)json_integer_value(w) : 0;
	c.key_len = (uint8_t)(strlen(key) / 2);
	if (ovl_hex(key, c.key, c.key_len) == 0 &&
	    ovl_hex(json_string_value(json_object_get(v, "salt")), c.salt, 4) == 0)
		sa = evs_sa_create(&c);
	else
		errno = EINVAL;
	memset(c.key, 0, sizeof(c.key)); /* the SA has its own key schedule */
	return sa;
}

unsigned int ovl_sa_outer_len(struct evs_store *st, const char *vtep, uint8_t family)
{
	json_t *k = json_pack("{s:s, s:s}", "vtep", vtep != NULL ? vtep : "", "dir", "out");
	const struct evs_store_obj *o = k != NULL ? evs_store_lookup(st, "sa", k) : NULL;
	const char *mode =
	    o != NULL ? json_string_value(evs_store_field(st, "sa", evs_store_obj_value(o), "mode"))
		      : NULL;

	json_decref(k);
	/* no memory for the key: assume the larger overhead (frames only shorter) */
	if (k == NULL || (mode != NULL && strcmp(mode, "tunnel") == 0))
		return family == 6 ? 40 : 20;
	return 0;
}

/* Whether the transaction changes an SA's mode (the tunnels' MTU follows). */
static bool mode_changes(struct evs_store *st, const struct evs_store_delta *d, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *a = d[i].old != NULL
				    ? json_string_value(evs_store_field(st, "sa", d[i].old, "mode"))
				    : "transport";
		const char *b = d[i].new != NULL
				    ? json_string_value(evs_store_field(st, "sa", d[i].new, "mode"))
				    : "transport";

		if (a == NULL || b == NULL || strcmp(a, b) != 0)
			return true;
	}
	return false;
}

static void staged_free(struct evs_overlay *ov, bool free_new)
{
	for (size_t i = 0; free_new && i < ov->n_staged; i++)
		evs_sa_free(ov->staged[i].new); /* never published */
	free(ov->staged);
	ov->staged = NULL;
	ov->n_staged = 0;
	evs_sa_table_free(ov->staged_table);
	ov->staged_table = NULL;
}

/* Stage delta @p d into @p s: the SA it replaces and the one it makes. */
static int stage_one(struct evs_overlay *ov, struct evs_store *st, const struct evs_store_delta *d,
		     struct ovl_staged *s, struct evs_ctl_err *err)
{
	const json_t *v = d->op == EVS_STORE_DEL ? d->old : d->new;
	struct evs_store_obj *vo =
	    evs_store_lookup_str(st, "vtep", json_string_value(json_object_get(v, "vtep")));

	s->obj = d->obj;
	s->inbound = strcmp(json_string_value(json_object_get(v, "dir")), "in") == 0;
	s->old = d->op == EVS_STORE_ADD ? NULL : (struct evs_sa *)*evs_store_obj_aux(d->obj);
	if (d->op == EVS_STORE_DEL) {
		int id = evs_overlay_vtep_id(ov, json_string_value(json_object_get(v, "vtep")));

		s->vtep = id >= 0 ? (uint16_t)id : UINT16_MAX;
		return 0;
	}
	if (vo == NULL) /* the reference check reports it */
		return evs_store_err(err, -ENOENT, d->path, "no such VTEP");
	s->vtep = (uint16_t)(*evs_store_obj_aux(vo) - 1);
	s->new = sa_build(st, v, s->inbound, s->vtep);
	if (s->new == NULL)
		return evs_store_err(err, -errno, d->path, "cannot create SA %lld: %s",
				     (long long)json_integer_value(json_object_get(v, "spi")),
				     strerror(errno));
	if (!s->inbound) /* the VTEP's word, as for the tunnel's own UDP (not published yet) */
		evs_sa_set_udp_zero_csum6(
		    s->new,
		    json_is_true(json_object_get(evs_store_obj_value(vo), "udp_zero_csum6_tx")));
	s->drain = s->inbound && s->old != NULL && evs_sa_spi(s->old) != evs_sa_spi(s->new);
	return 0;
}

static int sa_prepare(struct evs_store *st, const struct evs_store_delta *d, size_t n,
		      struct evs_ctl_err *err, void *ctx)
{
	struct evs_overlay *ov = ctx;
	size_t i;
	int rc;

	ov->staged = calloc(n, sizeof(*ov->staged));
	ov->staged_table = evs_sa_table_copy(ov->table, OVL_TABLE_SAS);
	ov->n_staged = n;
	if (ov->staged == NULL || ov->staged_table == NULL) {
		staged_free(ov, false);
		return evs_store_err(err, -ENOMEM, "", "no memory for %zu SAs", n);
	}
	for (i = 0; i < n; i++) {
		rc = stage_one(ov, st, &d[i], &ov->staged[i], err);
		if (rc < 0)
			goto fail;
	}
	/* removals first, so that two SAs may trade SPIs in one transaction */
	for (i = 0; i < n; i++) {
		struct ovl_staged *s = &ov->staged[i];

		if (s->inbound && s->old != NULL && !s->drain)
			evs_sa_table_del(ov->staged_table, evs_sa_spi(s->old));
	}
	for (i = 0; i < n; i++) {
		struct ovl_staged *s = &ov->staged[i];

		if (!s->inbound || s->new == NULL)
			continue;
		rc = evs_sa_table_add(ov->staged_table, s->new);
		if (rc == -EEXIST)
			rc = evs_store_err(err, rc, d[i].path,
					   "inbound SPI %u is still in use (draining)",
					   evs_sa_spi(s->new));
		else if (rc < 0)
			rc = evs_store_err(err, rc, d[i].path, "SPI table full (draining SAs)");
		if (rc < 0)
			goto fail;
	}
	if (mode_changes(st, d, n)) {
		rc = ovl_dp_stage(ov, st, err);
		if (rc < 0)
			goto fail;
	}
	return 0;
fail:
	staged_free(ov, true);
	return rc;
}

/* The ports inbound ESP-in-UDP SAs receive on, for the receive path's
 * demultiplexing (ovl_sa_check kept them to EVS_ESP_UDP_PORTS_MAX). A
 * reader may see a mix of the old and new set for a moment: a packet to a
 * port just added or removed is then judged by its SA's own check. */
static void esp_ports_publish(struct evs_overlay *ov, struct evs_store *st)
{
	uint16_t ports[EVS_ESP_UDP_PORTS_MAX] = {0};
	unsigned int n = 0, i;

	for (struct evs_store_obj *o = evs_store_first(st, "sa"); o != NULL;
	     o = evs_store_next(o)) {
		const json_t *v = evs_store_obj_value(o);
		uint16_t p =
		    (uint16_t)json_integer_value(evs_store_field(st, "sa", v, "udp_dport"));

		if (strcmp(json_string_value(json_object_get(v, "dir")), "in") != 0 ||
		    !json_is_true(json_object_get(v, "udp_encap")))
			continue;
		for (i = 0; i < n && ports[i] != p; i++)
			;
		if (i == n && n < EVS_ESP_UDP_PORTS_MAX)
			ports[n++] = p;
	}
	for (i = 0; i < EVS_ESP_UDP_PORTS_MAX; i++)
		__atomic_store_n(&ov->esp_ports[i], ports[i], __ATOMIC_RELAXED);
}

static void sa_commit(struct evs_store *st, const struct evs_store_delta *d, size_t n, void *ctx)
{
	struct evs_overlay *ov = ctx;
	struct evs_sa_table *old_table = ov->table;
	uint64_t deadline = ovl_now_ms(ov) + ov->cfg.drain_ms;

	RTE_SET_USED(d);
	RTE_SET_USED(n);
	/* release: the SAs and the table's slots are written before readers see them */
	__atomic_store_n(&ov->table, ov->staged_table, __ATOMIC_RELEASE);
	ov->staged_table = NULL;
	ovl_retire(ov, old_table, OVL_TABLE);
	for (size_t i = 0; i < ov->n_staged; i++) {
		struct ovl_staged *s = &ov->staged[i];
		struct ovl_vtep *vt = s->vtep < EVS_OVERLAY_MAX_VTEPS ? &ov->vteps[s->vtep] : NULL;

		*evs_store_obj_aux(s->obj) = (uintptr_t)s->new;
		/* a rekey keeps the port the peer's NAT showed (the peer may not
		 * send before our first packet must reach it) */
		if (!s->inbound && s->old != NULL && s->new != NULL &&evs_sa_udp_encap(s->new) &&
		    evs_sa_udp_encap(s->old) &&
		    evs_sa_udp_dport_configured(s->new) == evs_sa_udp_dport_configured(s->old))
			evs_sa_set_udp_dport(s->new, evs_sa_udp_dport(s->old));
		if (vt != NULL && s->inbound) {
			vt->in = s->new;
			ovl_natt_evidence_reset(ov, s->vtep, true);
		} else if (vt != NULL) {
			__atomic_store_n(&vt->out, s->new, __ATOMIC_RELEASE);
			ovl_natt_sa(ov, s->vtep, evs_store_obj_value(s->obj), s->new != NULL);
		}
		if (s->drain && grow((void **)&ov->drains, &ov->cap_drains, ov->n_drains + 1,
				     sizeof(*ov->drains)) == 0) {
			ov->drains[ov->n_drains++] = (struct ovl_drain){
			    .sa = s->old, .vtep = s->vtep, .deadline_ms = deadline};
			continue;
		}
		if (s->drain) /* no memory to remember it: retire it now */
			evs_sa_table_del(ov->table, evs_sa_spi(s->old));
		ovl_retire(ov, s->old, OVL_SA);
	}
	staged_free(ov, false);
	esp_ports_publish(ov, st);
	ovl_dp_commit(ov); /* a mode change restaged the tunnels (MTU) */
}

static void sa_abort(struct evs_store *st, const struct evs_store_delta *d, size_t n, void *ctx)
{
	RTE_SET_USED(st);
	RTE_SET_USED(d);
	RTE_SET_USED(n);
	staged_free(ctx, true);
	ovl_dp_abort(ctx);
}

static bool sa_inbound(const struct evs_store_obj *o)
{
	return strcmp(json_string_value(json_object_get(evs_store_obj_value(o), "dir")), "in") == 0;
}

/* sa.get / sa.list: what the datapath did with it, never the key. */
static json_t *sa_status(struct evs_store *st, struct evs_store_obj *o, void *ctx)
{
	const struct evs_sa *sa = (const struct evs_sa *)*evs_store_obj_aux(o);
	struct evs_sa_stats s;
	json_t *j;

	RTE_SET_USED(st);
	RTE_SET_USED(ctx);
	if (sa == NULL)
		return NULL;
	evs_sa_stats_get(sa, &s);
	j = json_pack("{s:I, s:I, s:I}", "packets", (json_int_t)s.packets, "bytes",
		      (json_int_t)s.bytes, "last_seq", (json_int_t)s.last_seq);
	if (j != NULL && evs_sa_udp_encap(sa)) /* NAT traversal: the ports in use now */
		json_object_set_new(
		    j, sa_inbound(o) ? "udp_peer_port" : "udp_dport_now",
		    json_integer(sa_inbound(o) ? evs_sa_udp_peer_port(sa) : evs_sa_udp_dport(sa)));
	return j;
}

const struct evs_store_ops ovl_sa_ops = {
    .check = ovl_sa_check,
    .prepare = sa_prepare,
    .commit = sa_commit,
    .abort = sa_abort,
    .status = sa_status,
};

/* --- the context -------------------------------------------------------- */

/* underlay and tunnel changes rebuild the tunnel table (so do vtep ones) */
static int dp_prepare(struct evs_store *st, const struct evs_store_delta *d, size_t n,
		      struct evs_ctl_err *err, void *ctx)
{
	RTE_SET_USED(d);
	RTE_SET_USED(n);
	return ovl_dp_stage(ctx, st, err);
}

static void dp_commit(struct evs_store *st, const struct evs_store_delta *d, size_t n, void *ctx)
{
	RTE_SET_USED(st);
	RTE_SET_USED(d);
	RTE_SET_USED(n);
	ovl_dp_commit(ctx);
}

static void dp_abort(struct evs_store *st, const struct evs_store_delta *d, size_t n, void *ctx)
{
	RTE_SET_USED(st);
	RTE_SET_USED(d);
	RTE_SET_USED(n);
	ovl_dp_abort(ctx);
}

static const struct evs_store_ops underlay_ops = {
    .check = ovl_underlay_check, .prepare = dp_prepare, .commit = dp_commit, .abort = dp_abort};
static const struct evs_store_ops tunnel_ops = {
    .check = ovl_tunnel_check, .prepare = dp_prepare, .commit = dp_commit, .abort = dp_abort};

struct evs_overlay *evs_overlay_create(const struct evs_overlay_config *cfg)
{
	struct evs_overlay *ov = calloc(1, sizeof(*ov));

	if (ov == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	if (cfg != NULL)
		ov->cfg = *cfg;
	if (ov->cfg.drain_ms == 0)
		ov->cfg.drain_ms = EVS_OVERLAY_DRAIN_MS;
	if (ov->cfg.icmp_rate == 0)
		ov->cfg.icmp_rate = EVS_OVERLAY_ICMP_RATE;
	if (ov->cfg.icmp_burst == 0)
		ov->cfg.icmp_burst = EVS_OVERLAY_ICMP_BURST;
	if (ov->cfg.icmp_rate > 1000000) {
		free(ov);
		errno = EINVAL;
		return NULL;
	}
	ov->icmp_iv_us = 1000000u / ov->cfg.icmp_rate;
	ov->icmp_tol_us = ov->icmp_iv_us * (ov->cfg.icmp_burst - 1);
	ov->icmp_tat = calloc(EVS_OVERLAY_MAX_TPORTS, sizeof(*ov->icmp_tat));
	ov->table = evs_sa_table_create(OVL_TABLE_SAS);
	if (ov->table == NULL || ov->icmp_tat == NULL || ovl_policy_init(ov) < 0 ||
	    ovl_neigh_init(ov) < 0) {
		evs_sa_table_free(ov->table);
		free(ov->icmp_tat);
		free(ov);
		errno = ENOMEM;
		return NULL;
	}
	ov->types[0] = evs_overlay_underlay_type;
	ov->types[0].ops = &underlay_ops;
	ov->types[1] = evs_overlay_vtep_type;
	ov->types[1].ops = &ovl_vtep_ops;
	ov->types[2] = evs_overlay_tunnel_type;
	ov->types[2].ops = &tunnel_ops;
	ov->types[3] = evs_overlay_sa_type;
	ov->types[3].ops = &ovl_sa_ops;
	return ov;
}

int evs_overlay_store_add(struct evs_store *st, struct evs_overlay *ov)
{
	int rc = 0;

	if (st == NULL || ov == NULL || ov->store != NULL)
		return -EINVAL;
	ov->store = st;
	for (unsigned int i = 0; i < RTE_DIM(ov->types) && rc == 0; i++)
		rc = evs_store_type_add(st, &ov->types[i], ov);
	return rc;
}

void evs_overlay_free(struct evs_overlay *ov)
{
	if (ov == NULL)
		return;
	staged_free(ov, true);
	for (unsigned int i = 0; i < ov->n_retire; i++)
		retired_free(ov->retire[i].p, ov->retire[i].kind);
	ovl_dp_free(ov->staged_dp);
	ovl_dp_free(ov->dp);
	for (unsigned int i = 0; i < ov->n_drains; i++)
		evs_sa_free(ov->drains[i].sa);
	for (unsigned int i = 0; i < EVS_OVERLAY_MAX_VTEPS; i++) {
		evs_sa_free(ov->vteps[i].in);
		evs_sa_free(ov->vteps[i].out);
	}
	evs_sa_table_free(ov->table);
	free(ov->retire);
	free(ov->drains);
	free(ov->icmp_tat);
	ovl_neigh_fini(ov);
	evs_crypto_engine_free(ov->trace_ce);
	free(ov);
}
