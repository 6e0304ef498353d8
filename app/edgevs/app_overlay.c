/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The overlay in the daemon: its object types (underlay, vtep, tunnel, sa),
 * sa.rekey and sa.stats, and the management lcore's part (retiring drained
 * and replaced SAs). Rekeys are store transactions, durable like every
 * other change.
 */
#include <errno.h>
#include <string.h>

#include "ctl_util.h"
#include "evs_overlay.h"
#include "evs_l2.h"
#include "evs_port.h"

/* Slots and ids from the objects' aux words (set in prepare: the
 * transaction's new ports and switches have theirs already). */
static int aux_of(const struct evs_app *app, const char *type, const char *name)
{
	struct evs_store_obj *o = evs_store_lookup_str(app->store, type, name);
	uintptr_t aux = o != NULL ? *evs_store_obj_aux(o) : 0;

	return aux == 0 ? -1 : (int)(aux - 1);
}

static int port_slot(const char *name, void *arg)
{
	return aux_of(arg, "port", name);
}

static int switch_id(const char *name, void *arg)
{
	return aux_of(arg, "switch", name);
}

static int port_mac(uint16_t slot, struct rte_ether_addr *mac, void *arg)
{
	const struct evs_app *app = arg;
	const struct app_port *p = slot < CONF_MAX_PORTS ? &app->ports[slot] : NULL;
	const struct evs_port *dev = p == NULL ? NULL : p->staged != NULL ? p->staged : p->port;
	struct evs_port_info info;

	if (dev == NULL || evs_port_info_get(dev, &info) < 0 || rte_is_zero_ether_addr(&info.mac))
		return -ENOENT; /* a vhost port has none: the underlay names one */
	*mac = info.mac;
	return 0;
}

/* The management lcore's frames go through the first PMD (every PMD has a
 * tx queue on every port, and its tx callback encapsulates for tunnel
 * ports); none running: dropped. */
static void inject_tx(struct evs_app *app, uint16_t port, struct rte_mbuf *m)
{
	const struct evs_inject to = {.kind = EVS_INJECT_TX, .port = port};

	if (app->n_pmds == 0 || app->pmds[0] == NULL) {
		rte_pktmbuf_free(m);
		return;
	}
	evs_pipeline_inject(app->pmds[0]->pl, &to, &m, 1);
}

static void tx_underlay(void *arg, uint16_t port, struct rte_mbuf *m)
{
	inject_tx(arg, port, m);
}

static void tx_tunnel(void *arg, uint16_t tp, struct rte_mbuf *m)
{
	inject_tx(arg, (uint16_t)(EVS_L2_TUNNEL_BASE + tp), m);
}

int app_overlay_init(struct evs_app *app)
{
	const struct evs_overlay_config c = {.qsv = app->qsbr,
					     .port_slot = port_slot,
					     .switch_id = switch_id,
					     .port_mac = port_mac,
					     .arg = app,
					     .pool = app->pool,
					     .tx = tx_underlay,
					     .tx_tunnel = tx_tunnel};

	/* every port slot fits the overlay's per-port bitmaps (encrypted
	 * ports, underlays), and tunnel ports start above them */
	RTE_BUILD_BUG_ON(CONF_MAX_PORTS > EVS_OVERLAY_PORT_SLOTS);
	RTE_BUILD_BUG_ON(EVS_L2_TUNNEL_BASE < CONF_MAX_PORTS);
	app->ov = evs_overlay_create(&c);
	return app->ov != NULL ? 0 : -errno;
}

int app_overlay_store_add(struct evs_app *app)
{
	return evs_overlay_store_add(app->store, app->ov);
}

struct rekey_call {
	struct evs_app *app;
	const json_t *params;
};

static int rekey_stage(struct evs_store_txn *txn, void *arg, struct evs_ctl_err *err)
{
	const struct rekey_call *r = arg;

	return evs_overlay_rekey_stage(
	    r->app->ov, txn, json_string_value(json_object_get(r->params, "vtep")),
	    json_object_get(r->params, "in"), json_object_get(r->params, "out"), "/params", err);
}

static int m_rekey(struct evs_ctl_call *call, json_t *params, void *arg)
{
	struct evs_app *app = arg;
	struct rekey_call r = {.app = app, .params = params};

	if (ctl_store_txn(app, call, rekey_stage, &r) < 0)
		return 0; /* answered */
	return evs_ctl_reply(call,
			     json_pack("{s:I, s:I}", "generation",
				       (json_int_t)evs_store_generation(app->store), "draining",
				       (json_int_t)evs_overlay_draining(app->ov)));
}

static int m_neigh(struct evs_ctl_call *call, json_t *params, void *arg)
{
	struct evs_app *app = arg;
	json_t *r = evs_overlay_neigh_json(app->ov);

	(void)params;
	if (r == NULL)
		return evs_ctl_error(call, EVS_CTL_E_INTERNAL, "", "out of memory");
	return evs_ctl_reply(call, r);
}

static int m_stats(struct evs_ctl_call *call, json_t *params, void *arg)
{
	struct evs_app *app = arg;
	json_t *r =
	    evs_overlay_sa_stats(app->ov, json_string_value(json_object_get(params, "vtep")));

	if (r == NULL && errno == ENOENT)
		return evs_ctl_error(call, EVS_CTL_E_NOT_FOUND, "/params/vtep", "no such VTEP");
	if (r == NULL)
		return evs_ctl_error(call, EVS_CTL_E_INTERNAL, "", "out of memory");
	return evs_ctl_reply(call, r);
}

/* The PMDs' overlay counters, summed (relaxed reads: one writer each). */
static int m_overlay_stats(struct evs_ctl_call *call, json_t *params, void *arg)
{
	struct evs_app *app = arg;
	struct evs_overlay_stats sum;
	json_t *drops = json_object(), *tun = json_object();
	uint64_t *d = (uint64_t *)&sum;

	(void)params;
	memset(&sum, 0, sizeof(sum));
	for (unsigned int i = 0; i < app->n_pmds; i++) {
		const uint64_t *c = (const uint64_t *)&app->pmds[i]->ovs;

		for (size_t k = 0; k < sizeof(sum) / sizeof(uint64_t); k++)
			d[k] += __atomic_load_n(&c[k], __ATOMIC_RELAXED);
	}
	for (unsigned int r = 0; r < EVS_OVL_DROP__MAX; r++)
		json_object_set_new(drops, evs_overlay_drop_name(r),
				    json_integer((json_int_t)sum.drops[r]));
	for (unsigned int r = 0; r < EVS_TUN_DROP__MAX; r++)
		json_object_set_new(tun, evs_tun_drop_name(r),
				    json_integer((json_int_t)sum.tun.drops[r]));
	return evs_ctl_reply(
	    call,
	    json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o}", "tx_packets",
		      (json_int_t)sum.tx_packets, "rx_packets", (json_int_t)sum.rx_packets,
		      "encrypted", (json_int_t)sum.encrypted, "decrypted",
		      (json_int_t)sum.decrypted, "too_big_icmp", (json_int_t)sum.too_big_icmp,
		      "too_big_limited", (json_int_t)sum.too_big_limited, "held",
		      (json_int_t)sum.held, "neigh_in", (json_int_t)sum.neigh_in, "encap",
		      (json_int_t)sum.tun.encap_packets, "decap", (json_int_t)sum.tun.decap_packets,
		      "drops", drops, "tunnel_drops", tun));
}

int app_overlay_ctl_register(struct evs_app *app)
{
	const struct evs_ctl_method m[] = {
	    {.name = "sa.rekey",
	     .help = "Replace a VTEP's SAs make-before-break: \"in\" installs the new inbound SA "
		     "and keeps the old one accepting packets for the drain period; \"out\" "
		     "switches every PMD to the new outbound SA. Rekey both hosts' \"in\" "
		     "before their \"out\".",
	     .fn = m_rekey,
	     .arg = app,
	     .params = evs_overlay_rekey_params,
	     .n_params = evs_overlay_n_rekey_params},
	    {.name = "overlay.stats",
	     .help = "The overlay's datapath counters over every PMD: packets tunnelled out "
		     "and delivered in, encrypted, decrypted, drops by reason (and the "
		     "encap/decap's own reasons).",
	     .read_only = true,
	     .fn = m_overlay_stats,
	     .arg = app,
	     .params = evs_ctl_no_params},
	    {.name = "underlay.neighbours",
	     .help = "The underlay's ARP/ND table: next hops of VTEPs without a configured MAC "
		     "(port slot, address, state, MAC, frames held) and its counters.",
	     .read_only = true,
	     .fn = m_neigh,
	     .arg = app,
	     .params = evs_ctl_no_params},
	    {.name = "sa.stats",
	     .help = "A VTEP's SAs' counters (packets, bytes, last sequence, drops by reason), "
		     "the draining ones too; never a key.",
	     .read_only = true,
	     .fn = m_stats,
	     .arg = app,
	     .params = evs_overlay_stats_params,
	     .n_params = evs_overlay_n_stats_params},
	};

	return ctl_register_methods(app, m, RTE_DIM(m));
}

void app_overlay_pmd_start(struct evs_app *app, struct pmd_ctx *ctx)
{
	ctx->ov = app->ov;
	ctx->fw = app->fw;
	/* on this lcore: IPsec-MB's manager is per thread. Without one the
	 * overlay drops what needs encryption (counted), never sends it clear. */
	ctx->ce = evs_crypto_engine_create();
	if (ctx->ce == NULL)
		APP_LOG(ERR, "PMD %u: no crypto engine: %s", ctx->idx, strerror(errno));
}

void app_overlay_pmd_stop(struct pmd_ctx *ctx)
{
	evs_crypto_engine_free(ctx->ce);
	ctx->ce = NULL;
}

uint16_t app_overlay_tx(struct pmd_ctx *ctx, uint16_t port, struct rte_mbuf **pkts, uint16_t n)
{
	const struct evs_overlay_dp *dp = evs_overlay_dp_get(ctx->ov);
	uint16_t tp = (uint16_t)(port - EVS_L2_TUNNEL_BASE), up = 0, sw = 0, k, sent, n_errs;
	struct rte_mbuf *errs[n];

	k = evs_overlay_tx_burst(ctx->ov, dp, ctx->ce, tp, pkts, n, NULL, errs, &n_errs, &ctx->ovs);
	if (k != 0 || n_errs != 0)
		evs_overlay_dp_port(dp, tp, &sw, NULL, &up, NULL);
	if (unlikely(n_errs != 0)) {
		/* Too big for the tunnel: the ICMP errors go back through the
		 * switch as if from the remote side (no learning), next loop. The
		 * inject ring is multi-producer, so its owner may add to it too. */
		const struct evs_inject to = {
		    .kind = EVS_INJECT_LDP, .port = port, .ldp = evs_l2_ldp(sw)};

		evs_pipeline_inject(ctx->pl, &to, errs, n_errs);
	}
	sent = evs_port_txset_add_burst(ctx->txs, up, pkts, k);
	if (unlikely(sent < k)) {
		rte_pktmbuf_free_bulk(pkts + sent, k - sent);
		/* single writer: this PMD */
		__atomic_store_n(&ctx->ovs.drops[EVS_OVL_DROP_NO_PORT],
				 ctx->ovs.drops[EVS_OVL_DROP_NO_PORT] + (k - sent),
				 __ATOMIC_RELAXED);
	}
	return n; /* all consumed: the overlay freed and counted its drops */
}

uint16_t app_overlay_tx_guarded(struct pmd_ctx *ctx, uint16_t port, struct rte_mbuf **pkts,
				uint16_t n)
{
	uint16_t k = evs_overlay_guard(ctx->ov, pkts, n, &ctx->ovs);
	uint16_t sent = evs_port_txset_add_burst(ctx->txs, port, pkts, k);

	/* single writer: this PMD */
	__atomic_store_n(&ctx->tx_pkts, ctx->tx_pkts + sent, __ATOMIC_RELAXED);
	if (unlikely(sent < k)) {
		rte_pktmbuf_free_bulk(pkts + sent, k - sent);
		__atomic_store_n(&ctx->ovs.drops[EVS_OVL_DROP_NO_PORT],
				 ctx->ovs.drops[EVS_OVL_DROP_NO_PORT] + (k - sent),
				 __ATOMIC_RELAXED);
	}
	return n; /* all consumed: the array was compacted */
}

/* The key's tunnel words from the decap's metadata. */
static inline void tun_key(struct evs_flow_key *key, const struct evs_tun_meta *meta)
{
	key->tun_vni = meta->vni;
	key->tun_opt_flags = meta->opt_flags;
	memcpy(key->tun_src, meta->src, sizeof(key->tun_src));
	memcpy(key->tun_dst, meta->dst, sizeof(key->tun_dst));
}

/* A frame with GENEVE options: the remote source tags it carries become the
 * bits the firewall's remote_tag rules test (out of line: most frames have
 * no option, and they pay one test). */
static __rte_noinline void tun_key_tags(struct evs_flow_key *key, const struct evs_tun_meta *meta,
					const struct evs_fw *fw)
{
	uint32_t ids[EVS_TUN_SRC_TAGS_MAX];
	unsigned int n;

	if (fw == NULL)
		return;
	n = evs_tun_src_tags(meta->opts, meta->opt_len, ids, RTE_DIM(ids));
	if (n != 0)
		key->tun_opt_flags |= evs_fw_remote_tag_bits(fw, ids, n);
}

uint16_t app_overlay_rx(struct pmd_ctx *ctx, const struct evs_overlay_dp *dp, uint16_t port,
			struct rte_mbuf **pkts, uint16_t n, struct evs_flow_key *keys)
{
	struct evs_tun_meta meta[DP_BURST];
	uint16_t tp[DP_BURST], k, j = 0;

	k = evs_overlay_rx_burst(ctx->ov, dp, ctx->ce, port, pkts, n, tp, meta, &ctx->ovs);
	for (uint16_t i = 0; i < k; i++) {
		enum evs_drop_reason r =
		    evs_packet_parse(pkts[i], (uint16_t)(EVS_L2_TUNNEL_BASE + tp[i]), &keys[j]);

		if (unlikely(r != EVS_DROP_NONE)) {
			__atomic_store_n(&ctx->drops[r], ctx->drops[r] + 1, __ATOMIC_RELAXED);
			rte_pktmbuf_free(pkts[i]);
			continue;
		}
		tun_key(&keys[j], &meta[i]);
		if (unlikely(meta[i].opt_len != 0))
			tun_key_tags(&keys[j], &meta[i], ctx->fw);
		pkts[j++] = pkts[i];
	}
	return j;
}

int app_overlay_trace(struct evs_app *app, uint16_t port, struct rte_mbuf *m,
		      struct evs_flow_key *key, json_t *steps)
{
	struct evs_tun_meta meta;
	enum evs_drop_reason r;
	uint16_t tp;
	int rc = evs_overlay_trace_rx(app->ov, port, m, &tp, &meta, steps);

	if (rc != 0)
		return rc;
	/* the inner frame as app_overlay_rx hands it to the pipeline */
	r = evs_packet_parse(m, (uint16_t)(EVS_L2_TUNNEL_BASE + tp), key);
	if (r != EVS_DROP_NONE) {
		json_array_append_new(steps, json_pack("{s:s, s:s+}", "stage", "parse", "decision",
						       "drop: ", evs_drop_reason_name(r)));
		return -EBADMSG;
	}
	tun_key(key, &meta);
	if (meta.opt_len != 0)
		tun_key_tags(key, &meta, app->fw);
	if (key->tun_opt_flags & ~EVS_TUN_PRESENT) {
		/* what the far host's firewall will see: classes, remote tags */
		json_t *d = json_pack("{s:s, s:[], s:[]}", "stage", "tunnel options", "classes",
				      "remote_tags");

		for (unsigned int b = 0; b < 31; b++) {
			const char *tag;

			if (!(key->tun_opt_flags >> b & 1))
				continue;
			if (b < EVS_TUN_CLASS_BITS)
				json_array_append_new(
				    json_object_get(d, "classes"),
				    json_integer(evs_overlay_opt_class_of_bit(app->ov, b)));
			else if (app->fw != NULL &&
				 (tag = evs_fw_remote_tag_of_bit(app->fw, b)) != NULL)
				json_array_append_new(json_object_get(d, "remote_tags"),
						      json_string(tag));
		}
		json_array_append_new(steps, d);
	}
	return 0;
}

const char *app_overlay_port_name(const struct evs_app *app, uint16_t port)
{
	static char buf[128]; /* management lcore only; copied by the caller at once */

	evs_overlay_port_describe(app->ov, evs_overlay_dp_get(app->ov),
				  (uint16_t)(port - EVS_L2_TUNNEL_BASE), buf, sizeof(buf));
	return buf;
}

/* Static remote MACs (tunnel members' "macs") of @p dp into L2's table, or
 * with @p stale the previous table's that @p dp dropped out of it. */
static int macs_apply(struct evs_app *app, const struct evs_overlay_dp *dp, bool stale)
{
	struct rte_ether_addr mac;
	uint16_t sw, tp;
	int rc;

	for (uint32_t i = 0; evs_overlay_dp_mac(dp, i, stale, &sw, &tp, &mac) == 0; i++) {
		if (stale) {
			evs_l2_macs_del(app->macs, sw, &mac);
			continue;
		}
		rc = evs_l2_macs_add_static(app->macs, sw, &mac,
					    (uint16_t)(EVS_L2_TUNNEL_BASE + tp), evs_l2_now());
		if (rc < 0)
			return rc;
	}
	return 0;
}

int app_overlay_macs_prepare(struct evs_app *app, struct evs_ctl_err *err)
{
	bool changed;
	const struct evs_overlay_dp *dp = evs_overlay_dp_next(app->ov, &changed);
	int rc;

	if (!changed)
		return 0;
	rc = macs_apply(app, dp, false);
	if (rc < 0)
		return evs_store_err(err, rc == -ENOSPC ? -ENOSPC : -EIO, "/tunnels",
				     "the MAC table refused a static remote MAC: %s",
				     strerror(-rc));
	return 0;
}

void app_overlay_macs_abort(struct evs_app *app)
{
	bool changed;
	const struct evs_overlay_dp *dp = evs_overlay_dp_next(app->ov, &changed);
	struct rte_ether_addr mac;
	uint16_t sw, tp;

	if (!changed)
		return;
	/* the staged table's go; the published table's (maybe overwritten) return */
	for (uint32_t i = 0; evs_overlay_dp_mac(dp, i, false, &sw, &tp, &mac) == 0; i++)
		evs_l2_macs_del(app->macs, sw, &mac);
	macs_apply(app, evs_overlay_dp_get(app->ov), false); /* they were there: room */
}

void app_overlay_commit(struct evs_app *app)
{
	static uint16_t tps[EVS_OVERLAY_MAX_TPORTS];
	const struct evs_overlay_dp *dp = evs_overlay_dp_get(app->ov);
	uint16_t n;

	if (dp == app->ov_flushed)
		return; /* this table's removals were handled */
	n = evs_overlay_dp_freed(dp, tps, RTE_DIM(tps));
	for (uint16_t i = 0; i < n; i++)
		evs_l2_macs_flush_port(app->macs, (uint16_t)(EVS_L2_TUNNEL_BASE + tps[i]), true);
	macs_apply(app, dp, true);
	app->ov_flushed = dp;
}

void app_overlay_link(struct evs_app *app, const struct evs_port *port, bool up)
{
	if (app->ov == NULL || !up)
		return;
	for (uint16_t i = 0; i < CONF_MAX_PORTS; i++)
		if (app->ports[i].port == port) {
			evs_overlay_link_up(app->ov, i);
			return;
		}
}

void app_overlay_poll(struct evs_app *app)
{
	if (app->ov != NULL)
		evs_overlay_poll(app->ov);
}

void app_overlay_free(struct evs_app *app)
{
	evs_overlay_free(app->ov); /* after the PMDs and the store */
	app->ov = NULL;
}
