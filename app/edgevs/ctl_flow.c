/* SPDX-License-Identifier: BSD-3-Clause */
/* Control methods: flow.dump/flush/stats/trace (the megaflow caches). */

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include "ctl_util.h"
#include "evs_classifier.h"
#include "evs_l2.h"
#include "evs_pipeline.h"

#define FLOW_DUMP_PAGE_MAX 1000

static const char *port_name(uint16_t port, void *arg)
{
	struct evs_app *app = arg;

	if (port >= EVS_L2_TUNNEL_BASE) /* the overlay's: where it goes, and how */
		return app_overlay_port_name(app, port);
	return port < CONF_MAX_PORTS && app->ports[port].name[0] ? app->ports[port].name : "?";
}

static json_t *flow_json(struct evs_app *app, const struct pmd_ctx *p,
			 const struct evs_megaflow_info *fi, uint64_t now)
{
	char match[1024], acts[512];
	uint64_t ms = rte_get_tsc_hz() / 1000;

	evs_flow_format(&fi->key, &fi->mask, match, sizeof(match));
	evs_prog_format(app->reg, fi->actions, fi->actions_len, acts, sizeof(acts), port_name, app);
	return json_pack("{s:i, s:I, s:s, s:s, s:I, s:I, s:I, s:I, s:i}", "pmd", (int)p->lcore,
			 "id", (json_int_t)fi->id, "match", match, "actions", acts, "hits",
			 (json_int_t)fi->hits, "bytes", (json_int_t)fi->bytes, "age_ms",
			 (json_int_t)((now - fi->created) / ms), "idle_ms",
			 (json_int_t)((now - fi->last_used) / ms), "gen", (int)fi->gen);
}

/* Cursor across PMDs: "<pmd index>:<classifier cursor>". */
static int m_flow_dump(struct evs_ctl_call *call, json_t *params, void *arg)
{
	struct evs_app *app = arg;
	const char *cur = json_string_value(json_object_get(params, "cursor"));
	json_t *limit_j = json_object_get(params, "limit");
	unsigned int limit = limit_j ? (unsigned int)json_integer_value(limit_j) : 100;
	unsigned int pi = 0, got = 0;
	uint64_t cursor = 0, now = rte_rdtsc();
	struct evs_megaflow_info *buf;
	json_t *flows, *res;

	if (cur != NULL && (sscanf(cur, "%u:%" SCNu64, &pi, &cursor) != 2 || pi > app->n_pmds))
		return evs_ctl_error(call, EVS_CTL_E_INVALID_PARAMS, "/params/cursor",
				     "not a cursor returned by flow.dump");
	buf = malloc(sizeof(*buf) * 16);
	if (buf == NULL)
		return evs_ctl_error(call, EVS_CTL_E_INTERNAL, "", "out of memory");
	flows = json_array();
	while (pi < app->n_pmds && got < limit) {
		struct evs_cls *cls = evs_pipeline_lcore_cls(app->pmds[pi]->pl);
		int n = evs_cls_dump(cls, &cursor, buf, RTE_MIN(16u, limit - got));

		for (int i = 0; i < n; i++)
			json_array_append_new(flows, flow_json(app, app->pmds[pi], &buf[i], now));
		got += n > 0 ? (unsigned int)n : 0;
		if (n < 0 || cursor == EVS_CLS_CURSOR_END) {
			pi++;
			cursor = 0;
		}
	}
	free(buf);
	res = json_pack("{s:o}", "flows", flows);
	if (pi < app->n_pmds)
		json_object_set_new(res, "cursor", json_sprintf("%u:%" PRIu64, pi, cursor));
	else
		json_object_set_new(res, "cursor", json_null());
	return evs_ctl_reply(call, res);
}

static int m_flow_flush(struct evs_ctl_call *call, json_t *params, void *arg)
{
	struct evs_app *app = arg;
	uint32_t tickets[DP_MAX_PMDS];
	unsigned int i, waited = 0;
	bool done = false;

	(void)params;
	for (i = 0; i < app->n_pmds; i++)
		tickets[i] =
		    evs_cls_request(evs_pipeline_lcore_cls(app->pmds[i]->pl), EVS_CLS_REQ_FLUSH);
	/* each PMD flushes at its next loop iteration: wait up to a second */
	while (!done && waited < 1000) {
		done = true;
		for (i = 0; i < app->n_pmds; i++)
			done &= evs_cls_request_done(evs_pipeline_lcore_cls(app->pmds[i]->pl),
						     tickets[i]);
		if (!done) {
			usleep(1000);
			waited++;
		}
	}
	if (!done)
		return evs_ctl_error(call, EVS_CTL_E_BUSY, "", "a PMD did not flush within 1 s");
	return evs_ctl_reply(call, json_pack("{s:i}", "pmds", (int)app->n_pmds));
}

static int m_flow_stats(struct evs_ctl_call *call, json_t *params, void *arg)
{
	struct evs_app *app = arg;
	json_t *list = json_array();
	unsigned int i;

	(void)params;
	for (i = 0; i < app->n_pmds; i++) {
		struct evs_cls_stats cs;
		struct evs_pipeline_stats ps;
		json_t *o;

		evs_cls_stats_get(evs_pipeline_lcore_cls(app->pmds[i]->pl), &cs);
		evs_pipeline_stats_get(app->pmds[i]->pl, &ps);
		o = json_pack("{s:i, s:I, s:I, s:I, s:I, s:I, s:I}", "pmd",
			      (int)app->pmds[i]->lcore, "flows", (json_int_t)cs.n_flows, "masks",
			      (json_int_t)cs.n_subtables, "emc_hits", (json_int_t)cs.emc_hits,
			      "megaflow_hits", (json_int_t)cs.megaflow_hits, "misses",
			      (json_int_t)cs.misses, "installs", (json_int_t)cs.installs);
		json_object_update_new(
		    o, json_pack(
			   "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "refused",
			   (json_int_t)(cs.refused_flows + cs.refused_subtables + cs.refused_nomem),
			   "expired", (json_int_t)cs.expirations, "flushed", (json_int_t)cs.flushed,
			   "revalidated", (json_int_t)ps.revalidated, "replaced",
			   (json_int_t)ps.replaced, "uncached", (json_int_t)ps.uncached, "upcalls",
			   (json_int_t)ps.upcalls, "upcall_cycles_avg",
			   (json_int_t)(ps.upcalls ? ps.upcall_cycles / ps.upcalls : 0)));
		json_object_update_new(o, json_pack("{s:I, s:I, s:I}", "recirculated",
						    (json_int_t)ps.recirculated, "punted",
						    (json_int_t)ps.punted, "injected",
						    (json_int_t)ps.injected));
		json_array_append_new(list, o);
	}
	return evs_ctl_reply(call, list);
}

/* A frame from hex, parsed exactly as the datapath would; NULL after an error reply. */
static struct rte_mbuf *frame_from_hex(struct evs_app *app, struct evs_ctl_call *call,
				       const char *hex, uint16_t in_port, struct evs_flow_key *key)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(app->pool);
	size_t n = 0, len = strlen(hex);
	enum evs_drop_reason r;
	uint8_t *p;

	if (m == NULL)
		return evs_ctl_error(call, EVS_CTL_E_BUSY, "", "no mbuf available"), NULL;
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)RTE_MIN(len / 2, 2048u));
	for (size_t i = 0; i + 1 < len + 1 && p != NULL; i += 2) {
		char pair[3];

		while (i < len && (hex[i] == ' ' || hex[i] == ':'))
			i++;
		if (i >= len)
			break;
		pair[0] = hex[i];
		pair[1] = i + 1 < len ? hex[i + 1] : '\0';
		pair[2] = '\0';
		if (!isxdigit((unsigned char)pair[0]) || !isxdigit((unsigned char)pair[1]) ||
		    n >= 2048) {
			rte_pktmbuf_free(m);
			return evs_ctl_error(call, EVS_CTL_E_INVALID_PARAMS, "/params/packet",
					     "not a hex string of at most 2048 bytes"),
			       NULL;
		}
		p[n++] = (uint8_t)strtoul(pair, NULL, 16);
	}
	if (p == NULL) {
		rte_pktmbuf_free(m);
		return evs_ctl_error(call, EVS_CTL_E_INVALID_PARAMS, "/params/packet",
				     "packet too long"),
		       NULL;
	}
	rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_data_len(m) - n));
	r = evs_packet_parse(m, in_port, key);
	if (r != EVS_DROP_NONE) {
		rte_pktmbuf_free(m);
		return evs_ctl_error(call, EVS_CTL_E_INVALID_PARAMS, "/params/packet",
				     "the datapath would drop this frame: %s",
				     evs_drop_reason_name(r)),
		       NULL;
	}
	return m;
}

/* Key from named fields; unnamed ones stay zero. */
static void key_from_fields(json_t *params, uint16_t in_port, struct evs_flow_key *key)
{
	const char *s;
	json_t *v;

	memset(key, 0, sizeof(*key));
	key->in_port = in_port;
	s = json_string_value(json_object_get(params, "dst_mac"));
	if (s != NULL)
		rte_ether_unformat_addr(s, &key->dst_mac);
	s = json_string_value(json_object_get(params, "src_mac"));
	if (s != NULL)
		rte_ether_unformat_addr(s, &key->src_mac);
	v = json_object_get(params, "vlan");
	if (v != NULL)
		key->vlan_tci = EVS_VLAN_PRESENT | (uint16_t)json_integer_value(v);
	v = json_object_get(params, "ethertype");
	key->ethertype = rte_cpu_to_be_16(v ? (uint16_t)json_integer_value(v) : 0x0800);
}

static json_t *trace_json(struct evs_app *app, const struct evs_flow_key *key,
			  const struct evs_flow_mask *mask, const char *actions,
			  const struct evs_trace *trace)
{
	struct evs_flow_mask all;
	json_t *steps = json_array(), *passes = json_array(), *res;
	char buf[1024];
	unsigned int i;

	for (i = 0; i < trace->n; i++) {
		const struct evs_trace_step *st = &trace->steps[i];
		const struct evs_flow_key *k =
		    trace->n_passes > st->pass ? &trace->passes[st->pass].key : key;

		evs_flow_format(k, &st->consulted, buf, sizeof(buf));
		json_array_append_new(steps,
				      json_pack("{s:i, s:s, s:s, s:s, s:s}", "pass", (int)st->pass,
						"module", st->module, "stage", st->stage,
						"decision", st->decision, "consulted", buf));
	}
	evs_flow_mask_all(&all);
	for (i = 0; i < trace->n_passes; i++) {
		const struct evs_trace_pass *tp = &trace->passes[i];
		char k[1024], m[1024];

		evs_flow_format(&tp->key, &all, k, sizeof(k));
		evs_flow_format(&tp->key, &tp->mask, m, sizeof(m));
		json_array_append_new(passes, json_pack("{s:i, s:s, s:s, s:s, s:s}", "pass", (int)i,
							"key", k, "megaflow", m, "actions",
							tp->actions, "result", tp->result));
	}
	evs_flow_format(key, &all, buf, sizeof(buf));
	res = json_pack("{s:s, s:o, s:o}", "key", buf, "stages", steps, "passes", passes);
	evs_flow_format(key, mask, buf, sizeof(buf));
	json_object_set_new(res, "megaflow", json_string(buf));
	json_object_set_new(res, "actions", json_string(actions));
	(void)app;
	return res;
}

static int m_flow_trace(struct evs_ctl_call *call, json_t *params, void *arg)
{
	struct evs_app *app = arg;
	const char *port = json_string_value(json_object_get(params, "in_port"));
	const char *hex = json_string_value(json_object_get(params, "packet"));
	struct app_states st;
	struct evs_flow_key key;
	struct evs_flow_mask mask;
	struct evs_trace *trace;
	uint8_t prog[EVS_PROG_MAX] __rte_aligned(8);
	char actions[512];
	struct rte_mbuf *m = NULL;
	json_t *under = NULL; /* the underlay's steps (decrypt, decap) */
	int slot = app_port_index(app, port), len;

	if (slot < 0)
		return evs_ctl_error(call, EVS_CTL_E_NOT_FOUND, "/params/in_port",
				     "no port named '%s'", port);
	if (hex != NULL && (json_object_get(params, "dst_mac") || json_object_get(params, "vlan")))
		return evs_ctl_error(call, EVS_CTL_E_INVALID_PARAMS, "/params/packet",
				     "give either packet or fields, not both");
	if (hex != NULL) {
		m = frame_from_hex(app, call, hex, (uint16_t)slot, &key);
		if (m == NULL)
			return 0;
	} else {
		key_from_fields(params, (uint16_t)slot, &key);
	}
	if (m != NULL && evs_overlay_dp_is_underlay(evs_overlay_dp_get(app->ov), (uint16_t)slot)) {
		/* the underlay's frames are decrypted and decapsulated before
		 * classification: follow that, then trace the inner frame */
		int rc;

		under = json_array();
		rc = under != NULL ? app_overlay_trace(app, (uint16_t)slot, m, &key, under)
				   : -ENOMEM;
		if (rc != 0) {
			rte_pktmbuf_free(m);
			if (rc == -ENOMEM) {
				json_decref(under);
				return evs_ctl_error(call, EVS_CTL_E_INTERNAL, "", "out of memory");
			}
			return evs_ctl_reply(
			    call, json_pack("{s:o, s:s}", "underlay", under, "actions",
					    rc == 1 ? "management lcore (ARP/ND)" : "drop"));
		}
	}
	trace = calloc(1, sizeof(*trace));
	if (trace == NULL) {
		rte_pktmbuf_free(m);
		json_decref(under);
		return evs_ctl_error(call, EVS_CTL_E_INTERNAL, "", "out of memory");
	}
	app_states_fill(app, app->snap, &st);
	/* the translation of the first pass, as a PMD would cache it */
	len = evs_pipeline_xlate(app->mgmt_pl, &st.pst, &key, &mask, prog, NULL);
	evs_prog_format(app->reg, prog, (size_t)len, actions, sizeof(actions), port_name, app);
	/* with a frame, every pass as the datapath would run it (fields alone
	 * give the stages only: there is nothing to re-parse) */
	if (m != NULL)
		evs_pipeline_trace(app->mgmt_pl, &st.pst, m, &key, trace);
	else
		evs_pipeline_xlate(app->mgmt_pl, &st.pst, &key, &mask, prog, trace);
	{
		json_t *res = trace_json(app, &key, &mask, actions, trace);

		free(trace);
		if (under != NULL)
			json_object_set_new(res, "underlay", under);
		return evs_ctl_reply(call, res);
	}
}

static const struct evs_ctl_param p_dump[] = {
    {.name = "cursor",
     .type = EVS_CTL_T_STRING,
     .max_len = 64,
     .help = "where to continue (from the previous page's cursor)"},
    {.name = "limit",
     .type = EVS_CTL_T_UINT,
     .min = 1,
     .max = FLOW_DUMP_PAGE_MAX,
     .help = "flows per page (default 100)"},
};
static const struct evs_ctl_param p_trace[] = {
    {.name = "in_port",
     .type = EVS_CTL_T_STRING,
     .required = true,
     .min_len = 1,
     .max_len = 31,
     .help = "port the packet arrives on"},
    {.name = "packet",
     .type = EVS_CTL_T_STRING,
     .min_len = 28,
     .max_len = 4200,
     .help = "the frame in hex (from the destination MAC on)"},
    {.name = "dst_mac", .type = EVS_CTL_T_MAC, .help = "or fields: destination MAC"},
    {.name = "src_mac", .type = EVS_CTL_T_MAC, .help = "source MAC"},
    {.name = "vlan", .type = EVS_CTL_T_UINT, .min = 0, .max = 4095, .help = "802.1Q VID"},
    {.name = "ethertype",
     .type = EVS_CTL_T_UINT,
     .min = 0,
     .max = 0xffff,
     .help = "ethertype (default 0x0800)"},
};

int ctl_register_flow(struct evs_app *app)
{
	const struct evs_ctl_method m[] = {
	    {.name = "flow.dump",
	     .help = "Megaflows of every PMD: match (masked fields), actions, hits, age; "
		     "paged with cursor/limit.",
	     .read_only = true,
	     .fn = m_flow_dump,
	     .arg = app,
	     .params = p_dump,
	     .n_params = RTE_DIM(p_dump)},
	    {.name = "flow.flush",
	     .help = "Remove every megaflow (they are re-learned).",
	     .fn = m_flow_flush,
	     .arg = app,
	     .params = evs_ctl_no_params},
	    {.name = "flow.stats",
	     .help = "Per PMD: megaflows, masks, EMC/megaflow hits, misses, installs, "
		     "refusals, revalidations, slow path cost.",
	     .read_only = true,
	     .fn = m_flow_stats,
	     .arg = app,
	     .params = evs_ctl_no_params},
	    {.name = "flow.trace",
	     .help = "Run the pipeline for a packet (hex or fields) and show each stage's "
		     "decision, the fields it consulted, the megaflow and program that "
		     "result and, for a frame, every pass (recirculations) and what "
		     "executing it did. A frame on an underlay port is first decrypted and "
		     "decapsulated as the datapath does (\"underlay\" steps: SA, replay window, "
		     "ICV, VNI, VTEP, tunnel port; nothing counted), then its inner frame traced.",
	     .read_only = true,
	     .fn = m_flow_trace,
	     .arg = app,
	     .params = p_trace,
	     .n_params = RTE_DIM(p_trace)},
	};

	return ctl_register_methods(app, m, RTE_DIM(m));
}
