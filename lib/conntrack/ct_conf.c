/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "ct_zone" object type: a zone's connection limit, window checking and
 * timeouts, as store objects (ct_zone.add/del/set/get/list and the
 * "ct_zones" section of the config document). A transaction's zones are
 * built in prepare (may fail: allocation) and published in commit (cannot
 * fail), all with one RCU grace before the old settings are freed.
 */
#include <errno.h>
#include <stdlib.h>

#include <rte_malloc.h>

#include "ct_private.h"
#include "evs_store.h"

#define TIMEOUT_FIELD(n, h)                                                                        \
	{                                                                                          \
		.name = n, .type = EVS_CTL_T_UINT, .min = 1, .max = 31536000, .help = h            \
	}

static const struct evs_ctl_param timeout_fields[] = {
    TIMEOUT_FIELD("tcp_syn_sent", "seconds in SYN_SENT (120)"),
    TIMEOUT_FIELD("tcp_syn_recv", "SYN_RECV (60)"),
    TIMEOUT_FIELD("tcp_established", "ESTABLISHED (432000)"),
    TIMEOUT_FIELD("tcp_fin_wait", "FIN_WAIT (120)"),
    TIMEOUT_FIELD("tcp_close_wait", "CLOSE_WAIT (60)"),
    TIMEOUT_FIELD("tcp_last_ack", "LAST_ACK (30)"),
    TIMEOUT_FIELD("tcp_time_wait", "TIME_WAIT (120)"),
    TIMEOUT_FIELD("tcp_close", "CLOSE (10)"),
    TIMEOUT_FIELD("udp_unreplied", "UDP before a reply (30)"),
    TIMEOUT_FIELD("udp_replied", "UDP after a reply (120)"),
    TIMEOUT_FIELD("icmp", "ICMP queries (30)"),
    TIMEOUT_FIELD("other", "other protocols (600)"),
};

static const struct evs_ctl_param zone_fields[] = {
    {.name = "zone", .type = EVS_CTL_T_UINT, .required = true, .max = 65535, .help = "zone id"},
    {.name = "limit",
     .type = EVS_CTL_T_UINT,
     .max = UINT32_MAX,
     .help = "connections in the zone at most (0: only the table's limit)"},
    {.name = "tcp_liberal",
     .type = EVS_CTL_T_BOOL,
     .help = "skip TCP sequence/window checks (out-of-window is not invalid)"},
    {.name = "timeouts",
     .type = EVS_CTL_T_OBJECT,
     .fields = timeout_fields,
     .n_fields = RTE_DIM(timeout_fields),
     .help = "per-state timeouts in seconds; missing ones keep the default"},
};

static const char *const zone_keys[] = {"zone", NULL};

/* A zone object -> its settings: the defaults with what it says. */
static void conf_of(const json_t *obj, struct evs_ct_zone_conf *zc)
{
	const json_t *t = json_object_get(obj, "timeouts");
	uint32_t *slot[RTE_DIM(timeout_fields)] = {
	    &zc->timeouts.tcp_syn_sent,
	    &zc->timeouts.tcp_syn_recv,
	    &zc->timeouts.tcp_established,
	    &zc->timeouts.tcp_fin_wait,
	    &zc->timeouts.tcp_close_wait,
	    &zc->timeouts.tcp_last_ack,
	    &zc->timeouts.tcp_time_wait,
	    &zc->timeouts.tcp_close,
	    &zc->timeouts.udp_unreplied,
	    &zc->timeouts.udp_replied,
	    &zc->timeouts.icmp,
	    &zc->timeouts.other,
	};
	const json_t *v;
	size_t i;

	evs_ct_zone_conf_default(zc);
	v = json_object_get(obj, "limit");
	if (json_is_integer(v))
		zc->limit = (uint32_t)json_integer_value(v);
	zc->tcp_liberal = json_is_true(json_object_get(obj, "tcp_liberal"));
	for (i = 0; i < RTE_DIM(timeout_fields); i++) {
		v = json_object_get(t, timeout_fields[i].name);
		if (json_is_integer(v))
			*slot[i] = (uint32_t)json_integer_value(v);
	}
}

static void staged_free(struct evs_ct *ct)
{
	size_t i;

	for (i = 0; ct->staged_conf != NULL && i < ct->n_staged; i++)
		rte_free(ct->staged_conf[i]);
	free(ct->staged_conf);
	free(ct->staged_zone);
	ct->staged_conf = NULL;
	ct->staged_zone = NULL;
	ct->n_staged = 0;
}

static int zone_prepare(struct evs_store *st, const struct evs_store_delta *d, size_t n,
			struct evs_ctl_err *err, void *ctx)
{
	struct evs_ct *ct = ctx;
	struct evs_ct_zone_conf zc;
	size_t i;

	RTE_SET_USED(st);
	ct->staged_zone = calloc(n + 1, sizeof(*ct->staged_zone));
	ct->staged_conf = calloc(n + 1, sizeof(*ct->staged_conf));
	ct->n_staged = n;
	if (ct->staged_zone == NULL || ct->staged_conf == NULL) {
		staged_free(ct);
		return evs_store_err(err, -ENOMEM, "", "no memory for %zu zones", n);
	}
	for (i = 0; i < n; i++) {
		const json_t *obj = d[i].op == EVS_STORE_DEL ? d[i].old : d[i].new;

		ct->staged_zone[i] = (uint16_t)json_integer_value(json_object_get(obj, "zone"));
		if (d[i].op == EVS_STORE_DEL)
			continue; /* NULL: the defaults again */
		conf_of(obj, &zc);
		ct->staged_conf[i] = ct_zone_conf_new(&zc);
		if (ct->staged_conf[i] == NULL) {
			int rc = -errno;

			staged_free(ct);
			return evs_store_err(err, rc, d[i].path, "cannot set up zone %u",
					     (unsigned int)ct->staged_zone[i]);
		}
	}
	return 0;
}

static void zone_commit(struct evs_store *st, const struct evs_store_delta *d, size_t n, void *ctx)
{
	struct evs_ct *ct = ctx;
	size_t i;

	RTE_SET_USED(st);
	RTE_SET_USED(d);
	RTE_SET_USED(n);
	/* publish; the array then holds the old settings, retired after one grace */
	for (i = 0; i < ct->n_staged; i++)
		ct->staged_conf[i] = ct_zone_conf_swap(ct, ct->staged_zone[i], ct->staged_conf[i]);
	ct_zone_conf_retire(ct, ct->staged_conf, ct->n_staged);
	for (i = 0; i < ct->n_staged; i++)
		ct->staged_conf[i] = NULL;
	staged_free(ct);
}

static void zone_abort(struct evs_store *st, const struct evs_store_delta *d, size_t n, void *ctx)
{
	RTE_SET_USED(st);
	RTE_SET_USED(d);
	RTE_SET_USED(n);
	staged_free(ctx);
}

/* ct_zone.get/list show how many connections the zone holds now. */
static json_t *zone_status(struct evs_store *st, struct evs_store_obj *o, void *ctx)
{
	const json_t *v = evs_store_obj_value(o);

	RTE_SET_USED(st);
	return json_pack(
	    "{s:i}", "conns",
	    evs_ct_zone_count(ctx, (uint16_t)json_integer_value(json_object_get(v, "zone"))));
}

static const struct evs_store_ops zone_ops = {
    .prepare = zone_prepare,
    .commit = zone_commit,
    .abort = zone_abort,
    .status = zone_status,
};

static const struct evs_obj_type zone_type = {
    .name = "ct_zone",
    .section = "ct_zones",
    .help = "a conntrack zone's connection limit, TCP window checking and timeouts",
    .fields = zone_fields,
    .n_fields = RTE_DIM(zone_fields),
    .keys = zone_keys,
    .ops = &zone_ops,
};

int evs_ct_store_add(struct evs_store *st, struct evs_ct *ct)
{
	if (st == NULL || ct == NULL)
		return -EINVAL;
	return evs_store_type_add(st, &zone_type, ct);
}
