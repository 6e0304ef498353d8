/* SPDX-License-Identifier: BSD-3-Clause */
/* Progress line, human summary and JSON result. */

#include <inttypes.h>
#include <string.h>

#include <jansson.h>
#include <rte_ethdev.h>

#include "gen_app.h"

static double cyc_to_ns(const struct gen_run *run, uint64_t c)
{
	return (double)c * 1e9 / (double)run->hz;
}

void gen_progress_tick(struct gen_run *run, uint64_t now)
{
	uint64_t tx = 0, txb = 0, rx = 0, rxb = 0, dt = now - run->last_tick;
	struct evs_gen_hist *h = run->snap;
	unsigned int i;
	double secs = (double)(now - run->t_start) / (double)run->hz;

	/* Relaxed loads: whole values from the single writers, slightly stale. */
	for (i = 0; i < run->ntx; i++) {
		tx += __atomic_load_n(&run->tx[i].pkts, __ATOMIC_RELAXED);
		txb += __atomic_load_n(&run->tx[i].bytes, __ATOMIC_RELAXED);
	}
	evs_gen_hist_reset(h);
	for (i = 0; i < run->nrx; i++) {
		struct gen_rx *r = &run->rx[i];

		rx += __atomic_load_n(&r->ours, __ATOMIC_RELAXED);
		rxb += __atomic_load_n(&r->ours_bytes, __ATOMIC_RELAXED);
		if (i == 0) {
			evs_gen_hist_snapshot(h, &r->hist);
		} else {
			static struct evs_gen_hist tmp; /* main lcore only */

			evs_gen_hist_snapshot(&tmp, &r->hist);
			evs_gen_hist_merge(h, &tmp);
		}
	}
	printf("[%7.1fs] tx %8.3f Mpps %7.3f Gb/s | rx %8.3f Mpps %7.3f Gb/s | lost %" PRIu64
	       " (%.3f%%) | lat p50 %.1f p99 %.1f us\n",
	       secs, evs_gen_mpps(tx - run->last_tx, dt, run->hz),
	       evs_gen_gbps(tx - run->last_tx, txb - run->last_txb, dt, run->hz, false),
	       evs_gen_mpps(rx - run->last_rx, dt, run->hz),
	       evs_gen_gbps(rx - run->last_rx, rxb - run->last_rxb, dt, run->hz, false),
	       tx > rx ? tx - rx : 0, 100 * evs_gen_loss_ratio(tx, rx),
	       cyc_to_ns(run, evs_gen_hist_percentile(h, 0.5)) / 1000,
	       cyc_to_ns(run, evs_gen_hist_percentile(h, 0.99)) / 1000);
	fflush(stdout);
	run->last_tick = now;
	run->last_tx = tx;
	run->last_txb = txb;
	run->last_rx = rx;
	run->last_rxb = rxb;
	run->next_tick += run->hz;
	if (run->next_tick <= now)
		run->next_tick = now + run->hz;
}

static const char *proto_name(enum evs_gen_l4 l4)
{
	return l4 == EVS_GEN_UDP ? "udp" : l4 == EVS_GEN_TCP_SYN ? "tcp-syn" : "tcp-ack";
}

static const char *encap_name(enum evs_gen_encap e)
{
	return e == EVS_GEN_ENCAP_VXLAN ? "vxlan" : e == EVS_GEN_ENCAP_GENEVE ? "geneve" : "none";
}

static void text_dir(FILE *f, const struct gen_run *run, const struct gen_dir *g, const char *title,
		     bool both)
{
	const struct evs_gen_hist *h = g->lat;
	bool tx = both || g->tx_port >= 0, rx = both || g->rx_port >= 0 || g->tx_port < 0;

	fprintf(f, "%s\n", title);
	if (g->tx_port >= 0)
		fprintf(f,
			"  tx          %14" PRIu64
			" pkts %9.3f Mpps %8.3f Gb/s (%.3f with preamble+IFG)\n",
			g->tx_pkts, g->tx_mpps, g->tx_gbps, g->tx_gbps_l1);
	if (g->rx_port >= 0 || g->tx_port < 0)
		fprintf(f,
			"  rx          %14" PRIu64
			" pkts %9.3f Mpps %8.3f Gb/s (%.3f with preamble+IFG)\n",
			g->rx_pkts, g->rx_mpps, g->rx_gbps, g->rx_gbps_l1);
	if (tx && rx)
		fprintf(f, "  lost        %14" PRIu64 " pkts (%.4f%%)\n", g->lost,
			100 * g->loss_ratio);
	if (rx)
		fprintf(f, "  reordered   %14" PRIu64 " pkts\n", g->reordered);
	if (h != NULL && h->count > 0)
		fprintf(f,
			"  latency us  min %.2f mean %.2f p50 %.2f p90 %.2f p99 %.2f p99.9 %.2f "
			"max %.2f "
			"(%" PRIu64 " samples)\n",
			cyc_to_ns(run, h->min) / 1000, cyc_to_ns(run, h->sum / h->count) / 1000,
			cyc_to_ns(run, evs_gen_hist_percentile(h, 0.5)) / 1000,
			cyc_to_ns(run, evs_gen_hist_percentile(h, 0.9)) / 1000,
			cyc_to_ns(run, evs_gen_hist_percentile(h, 0.99)) / 1000,
			cyc_to_ns(run, evs_gen_hist_percentile(h, 0.999)) / 1000,
			cyc_to_ns(run, h->max) / 1000, h->count);
	else if (rx)
		fprintf(f, "  latency     none measured (frames too short for the timestamp?)\n");
	if (tx && rx && g->flows_checked)
		fprintf(f, "  flows       %u sampled, %u of them sent, %u missing\n",
			g->flows_sampled, g->flows_sample_sent, g->flows_sample_missing);
	else if (tx && rx)
		fprintf(f,
			"  flows       %u sampled, %u of them sent, reception not checked "
			"(--rx-check)\n",
			g->flows_sampled, g->flows_sample_sent);
	if (g->alloc_fail)
		fprintf(f, "  mbuf alloc failures %" PRIu64 "\n", g->alloc_fail);
}

static void port_line(FILE *f, int port)
{
	struct rte_eth_stats s;

	if (port < 0 || rte_eth_stats_get((uint16_t)port, &s) != 0)
		return;
	fprintf(f,
		"  port %d: ipackets %" PRIu64 " opackets %" PRIu64 " imissed %" PRIu64
		" ierrors %" PRIu64 " oerrors %" PRIu64 " rx_nombuf %" PRIu64 "\n",
		port, s.ipackets, s.opackets, s.imissed, s.ierrors, s.oerrors, s.rx_nombuf);
}

void gen_report_text(FILE *f, const struct gen_run *run, const struct gen_result *res)
{
	const struct gen_opts *o = run->o;
	char title[96];
	unsigned int d;

	fprintf(f, "edgevs-gen: %.3f s, %s%s%s, sizes %s, %u flows (%s), rate %s", res->duration_s,
		proto_name(o->pkt.l4), o->pkt.encap ? " in " : "",
		o->pkt.encap ? encap_name(o->pkt.encap) : "", o->mix_spec, o->flow.flows,
		o->flow.order == EVS_GEN_ORDER_SEQ ? "seq" : "scatter",
		res->offered_pps > 0 ? "" : "unlimited");
	if (res->offered_pps > 0)
		fprintf(f, "%.0f pps per port", res->offered_pps);
	if (o->pkt.vlan)
		fprintf(f, ", vlan %u", o->pkt.vlan_tci & 0xfff);
	fprintf(f, "\n");
	for (d = 0; d < res->ndir; d++) {
		const struct gen_dir *g = &res->dir[d];

		if (g->tx_port >= 0 && g->rx_port >= 0)
			snprintf(title, sizeof(title), "port %d -> port %d", g->tx_port,
				 g->rx_port);
		else if (g->tx_port >= 0)
			snprintf(title, sizeof(title), "port %d (transmit only)", g->tx_port);
		else
			snprintf(title, sizeof(title), "port %d (receive only)", g->rx_port);
		text_dir(f, run, g, title, false);
	}
	if (res->ndir > 1)
		text_dir(f, run, &res->all, "both directions", true);
	fprintf(f, "  foreign rx  %14" PRIu64 " pkts (no stamp: not ours)\n", res->rx_foreign);
	if (o->connect)
		fprintf(f,
			"  connections %14" PRIu64 " completed (%.3f M/s): %" PRIu64
			" SYN-ACKs and %" PRIu64 " ACKs sent, %" PRIu64
			" answers unsent at the end\n",
			res->conns,
			res->duration_s > 0 ? (double)res->conns / res->duration_s / 1e6 : 0.0,
			res->synack_sent, res->ack_sent, res->answer_refused);
	fprintf(f, "  generator   %13.1f%% busy, %" PRIu64 " bursts refused by the ports\n",
		RTE_MIN(res->gen_busy_pct, 100.0), res->tx_refused);
	port_line(f, o->tx_port);
	if (o->rx_port != o->tx_port)
		port_line(f, o->rx_port);
}

static json_t *json_lat(const struct gen_run *run, const struct evs_gen_hist *h)
{
	if (h == NULL || h->count == 0)
		return json_null();
	return json_pack(
	    "{s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:f}", "samples", (json_int_t)h->count, "min",
	    cyc_to_ns(run, h->min), "mean", cyc_to_ns(run, h->sum / h->count), "p50",
	    cyc_to_ns(run, evs_gen_hist_percentile(h, 0.5)), "p90",
	    cyc_to_ns(run, evs_gen_hist_percentile(h, 0.9)), "p99",
	    cyc_to_ns(run, evs_gen_hist_percentile(h, 0.99)), "p99_9",
	    cyc_to_ns(run, evs_gen_hist_percentile(h, 0.999)), "max", cyc_to_ns(run, h->max));
}

static json_t *json_port(int p)
{
	return p >= 0 ? json_integer(p) : json_null();
}

static json_t *json_dir(const struct gen_run *run, const struct gen_dir *g)
{
	json_t *j = json_object();

	json_object_set_new(j, "tx_port", json_port(g->tx_port));
	json_object_set_new(j, "rx_port", json_port(g->rx_port));
	json_object_set_new(j, "tx_pkts", json_integer((json_int_t)g->tx_pkts));
	json_object_set_new(j, "tx_bytes", json_integer((json_int_t)g->tx_bytes));
	json_object_set_new(j, "tx_mpps", json_real(g->tx_mpps));
	json_object_set_new(j, "tx_gbps", json_real(g->tx_gbps));
	json_object_set_new(j, "tx_gbps_l1", json_real(g->tx_gbps_l1));
	json_object_set_new(j, "rx_pkts", json_integer((json_int_t)g->rx_pkts));
	json_object_set_new(j, "rx_bytes", json_integer((json_int_t)g->rx_bytes));
	json_object_set_new(j, "rx_mpps", json_real(g->rx_mpps));
	json_object_set_new(j, "rx_gbps", json_real(g->rx_gbps));
	json_object_set_new(j, "rx_gbps_l1", json_real(g->rx_gbps_l1));
	json_object_set_new(j, "lost", json_integer((json_int_t)g->lost));
	json_object_set_new(j, "loss_pct", json_real(100 * g->loss_ratio));
	json_object_set_new(j, "reordered", json_integer((json_int_t)g->reordered));
	json_object_set_new(j, "tx_alloc_fail", json_integer((json_int_t)g->alloc_fail));
	json_object_set_new(j, "latency_ns", json_lat(run, g->lat));
	json_object_set_new(j, "flows",
			    json_pack("{s:i, s:i, s:o}", "sampled", (int)g->flows_sampled,
				      "sample_sent", (int)g->flows_sample_sent, "sample_missing",
				      g->flows_checked
					  ? json_integer((json_int_t)g->flows_sample_missing)
					  : json_null()));
	return j;
}

void *gen_report_json(const struct gen_run *run, const struct gen_result *res)
{
	const struct gen_opts *o = run->o;
	json_t *j = json_object(), *dirs = json_array(), *ports = json_array(), *cfg;
	int plist[2] = {o->tx_port, o->rx_port != o->tx_port ? o->rx_port : -1};
	unsigned int d;

	cfg = json_pack("{s:o, s:o, s:b, s:i, s:s, s:s, s:s, s:i, s:s, s:o, s:f, s:f, s:i}",
			"tx_port", json_port(o->tx_port), "rx_port", json_port(o->rx_port), "bidir",
			o->bidir, "queues", o->queues, "sizes", o->mix_spec, "proto",
			proto_name(o->pkt.l4), "encap", encap_name(o->pkt.encap), "flows",
			(int)o->flow.flows, "flow_order",
			o->flow.order == EVS_GEN_ORDER_SEQ ? "seq" : "scatter", "vlan",
			o->pkt.vlan ? json_integer(o->pkt.vlan_tci & 0xfff) : json_null(),
			"rate_pps", res->offered_pps, "avg_frame_bytes",
			evs_gen_mix_avg_size(&o->mix), "datapath_lcores", (int)run->nlc);
	json_object_set_new(cfg, "tsc_hz", json_integer((json_int_t)run->hz));
	json_object_set_new(j, "config", cfg);
	json_object_set_new(j, "duration_s", json_real(res->duration_s));
	for (d = 0; d < res->ndir; d++)
		json_array_append_new(dirs, json_dir(run, &res->dir[d]));
	json_object_set_new(j, "directions", dirs);
	json_object_set_new(j, "total", json_dir(run, &res->all));
	json_object_set_new(j, "rx_foreign", json_integer((json_int_t)res->rx_foreign));
	if (o->connect)
		json_object_set_new(
		    j, "connect",
		    json_pack("{s:I, s:f, s:I, s:I, s:I}", "connections", (json_int_t)res->conns,
			      "connections_per_s",
			      res->duration_s > 0 ? (double)res->conns / res->duration_s : 0.0,
			      "synack_sent", (json_int_t)res->synack_sent, "ack_sent",
			      (json_int_t)res->ack_sent, "answers_unsent",
			      (json_int_t)res->answer_refused));
	json_object_set_new(j, "generator",
			    json_pack("{s:f, s:I}", "busy_pct", RTE_MIN(res->gen_busy_pct, 100.0),
				      "tx_refused_bursts", (json_int_t)res->tx_refused));
	for (d = 0; d < 2; d++) {
		struct rte_eth_stats s;

		if (plist[d] < 0 || rte_eth_stats_get((uint16_t)plist[d], &s) != 0)
			continue;
		json_array_append_new(
		    ports,
		    json_pack("{s:i, s:I, s:I, s:I, s:I, s:I, s:I}", "port", plist[d], "ipackets",
			      (json_int_t)s.ipackets, "opackets", (json_int_t)s.opackets, "imissed",
			      (json_int_t)s.imissed, "ierrors", (json_int_t)s.ierrors, "oerrors",
			      (json_int_t)s.oerrors, "rx_nombuf", (json_int_t)s.rx_nombuf));
	}
	json_object_set_new(j, "ports", ports);
	return j;
}

void gen_json_dump(void *json)
{
	json_dumpf(json, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
	fputc('\n', stdout);
	fflush(stdout);
	json_decref(json);
}
