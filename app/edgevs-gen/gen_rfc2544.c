/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RFC 2544 section 26.1 throughput: the highest offered rate whose loss
 * stays within the tolerance. One trial at the highest rate the generator
 * reaches (or --rate); if it loses too much, a binary search between 0 and
 * that rate until the interval is below the resolution.
 */

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <jansson.h>

#include "gen_app.h"

/* Per-port transmit rate actually reached, packets/s. */
static double tx_pps(const struct gen_result *r)
{
	double m = 0;
	unsigned int d;

	for (d = 0; d < r->ndir; d++)
		m = RTE_MAX(m, r->dir[d].tx_mpps * 1e6);
	return m;
}

static bool trial_run(struct gen_run *run, uint64_t pps, unsigned int n, json_t *trials,
		      struct gen_result *res, int *rc)
{
	const struct gen_opts *o = run->o;
	bool pass;

	*rc = gen_run_trial(run, pps, o->trial_s, res);
	if (*rc != 0 && *rc != -EINTR) {
		gen_result_free(res);
		return false;
	}
	pass = res->all.tx_pkts > 0 && res->all.loss_ratio <= o->loss_tol;
	if (o->json)
		json_array_append_new(trials,
				      json_pack("{s:i, s:I, s:f, s:f, s:I, s:I, s:f, s:b}", "trial",
						(int)n, "rate_pps", (json_int_t)pps, "tx_mpps",
						res->all.tx_mpps, "rx_mpps", res->all.rx_mpps,
						"tx_pkts", (json_int_t)res->all.tx_pkts, "rx_pkts",
						(json_int_t)res->all.rx_pkts, "loss_pct",
						100 * res->all.loss_ratio, "pass", pass));
	else if (pps)
		printf("trial %2u: %12" PRIu64
		       " pps/port -> tx %9.3f Mpps rx %9.3f Mpps loss %.4f%% %s\n",
		       n, pps, res->all.tx_mpps, res->all.rx_mpps, 100 * res->all.loss_ratio,
		       pass ? "pass" : "FAIL");
	else
		printf("trial %2u: %12s pps/port -> tx %9.3f Mpps rx %9.3f Mpps loss %.4f%% %s\n",
		       n, "unlimited", res->all.tx_mpps, res->all.rx_mpps,
		       100 * res->all.loss_ratio, pass ? "pass" : "FAIL");
	fflush(stdout);
	return pass;
}

int gen_rfc2544(struct gen_run *run)
{
	const struct gen_opts *o = run->o;
	struct gen_result res, best;
	json_t *trials = o->json ? json_array() : NULL;
	bool have_best = false, pass;
	double lo = 0, hi, best_rate = 0;
	unsigned int n = 1;
	int rc;

	memset(&best, 0, sizeof(best));
	pass = trial_run(run, o->rate_pps, n, trials, &res, &rc);
	if (rc != 0 && rc != -EINTR)
		goto out;
	hi = tx_pps(&res);
	if (o->rate_pps)
		hi = RTE_MIN(hi, (double)o->rate_pps);
	if (pass) {
		best = res;
		best_rate = o->rate_pps ? (double)o->rate_pps : hi; /* offered, else reached */
		have_best = true;
	} else {
		gen_result_free(&res);
	}
	while (!pass && rc == 0 && n < o->max_trials && hi - lo > o->resolution * hi) {
		uint64_t rate = (uint64_t)((lo + hi) / 2);

		if (rate == 0)
			break;
		n++;
		if (trial_run(run, rate, n, trials, &res, &rc)) {
			lo = (double)rate;
			gen_result_free(&best);
			best = res;
			best_rate = (double)rate;
			have_best = true;
		} else {
			hi = (double)rate;
			gen_result_free(&res);
		}
		if (rc != 0 && rc != -EINTR)
			goto out;
	}
	if (o->json) {
		json_t *j = json_object();

		json_object_set_new(j, "loss_tolerance_pct", json_real(100 * o->loss_tol));
		json_object_set_new(j, "trial_s", json_real(o->trial_s));
		json_object_set_new(j, "resolution_pct", json_real(100 * o->resolution));
		json_object_set_new(j, "trials", trials);
		trials = NULL;
		json_object_set_new(j, "throughput_pps", json_real(best_rate));
		json_object_set_new(j, "throughput_rx_mpps",
				    json_real(have_best ? best.all.rx_mpps : 0));
		json_object_set_new(j, "throughput_rx_gbps",
				    json_real(have_best ? best.all.rx_gbps : 0));
		json_object_set_new(j, "interrupted", json_boolean(rc == -EINTR));
		json_object_set_new(j, "result",
				    have_best ? gen_report_json(run, &best) : json_null());
		gen_json_dump(json_pack("{s:o}", "rfc2544", j));
	} else if (have_best) {
		printf(
		    "RFC 2544 throughput: %.0f pps per port offered, %.3f Mpps %.3f Gb/s received, "
		    "loss <= %.4f%% (%u trials of %.1f s)%s\n",
		    best_rate, best.all.rx_mpps, best.all.rx_gbps, 100 * o->loss_tol, n, o->trial_s,
		    rc == -EINTR ? ", interrupted" : "");
		gen_report_text(stdout, run, &best);
	} else {
		printf("RFC 2544 throughput: no rate within %.4f%% loss found in %u trials%s\n",
		       100 * o->loss_tol, n, rc == -EINTR ? " (interrupted)" : "");
	}
	rc = rc == -EINTR ? 0 : rc;
out:
	json_decref(trials);
	gen_result_free(&best);
	return rc;
}
