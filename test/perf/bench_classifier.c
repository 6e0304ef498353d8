/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Classifier microbenchmark: TSC cycles per packet of evs_cls_lookup_burst()
 * (bursts of 32, median of several repetitions) for
 *  - an EMC hit (EMC sized to hold every flow, insertion always),
 *  - a megaflow hit with 1, 8 and 32 masks (EMC off),
 *  - the default configuration (8k-entry EMC, 1% insertion) with 8 masks,
 *  - a miss followed by the install of its megaflow,
 * at 1, 1k, 100k and 1M flows; then the same megaflow hits with one rte_hash
 * per subtable instead of the classifier's own tables, for comparison.
 *
 * Traffic: every flow has one packet key; packets pick flows uniformly at
 * random (no locality: the worst case for caches at 1M flows). Mask j
 * consults in_port (= j) and the IPv4 destination, plus a j-dependent mix of
 * source /24, L4 destination, IP protocol, VLAN and source MAC, so every
 * packet matches exactly one megaflow and flows spread evenly over the
 * masks. With fewer flows than masks, decoy megaflows fill the other masks.
 *
 * Usage: bench-classifier [EAL args --] [--quick] [--reps N] [--runs N] [--flows a,b,..]
 * --runs repeats the whole matrix and ends with the cell-by-cell median.
 * Without EAL args it runs with --no-huge --no-shconf (EAL is only needed by
 * rte_hash). Timings go to stdout; keep the machine quiet (or use nice) and
 * read medians.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>

#include "evs_classifier.h"

#define BURST 32
#define MAX_MASKS 32
#define STREAM_LEN (1u << 20)
#define MAX_REPS 15
#define MAX_RUNS 9
#define MAX_PKTS (1u << 20)
#define HASH_SEED 0x9e3779b9u

static uint64_t rng_state = 1;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t key_hash(const struct evs_flow_key *k)
{
	const evs_flow_word_t *w = (const evs_flow_word_t *)k;
	uint32_t h = 0;

	for (unsigned int i = 0; i < EVS_FLOW_KEY_WORDS; i++)
		h = rte_hash_crc_8byte(w[i], h);
	return h;
}

/* ---- traffic ---- */

struct traffic {
	unsigned int n_flows;	  /* flows the packets use */
	unsigned int n_installed; /* n_flows plus decoys, at least one per mask */
	unsigned int n_masks;
	struct evs_flow_mask masks[MAX_MASKS];
	struct evs_flow_key *keys; /* one packet key per installed flow */
	uint32_t *hashes;
	uint32_t *stream; /* flow index of each packet */
};

static void build_mask(struct evs_flow_mask *m, unsigned int j)
{
	evs_flow_mask_zero(m);
	evs_flow_mask_set_field(m, EVS_FIELD_IN_PORT);
	evs_flow_mask_set_prefix(m, EVS_FIELD_DST_IP, 32);
	if (j & 1)
		evs_flow_mask_set_prefix(m, EVS_FIELD_SRC_IP, 24);
	if (j & 2)
		evs_flow_mask_set_field(m, EVS_FIELD_L4_DST);
	if (j & 4)
		evs_flow_mask_set_field(m, EVS_FIELD_IP_PROTO);
	if (j & 8)
		evs_flow_mask_set_field(m, EVS_FIELD_VLAN_TCI);
	if (j & 16)
		evs_flow_mask_set_field(m, EVS_FIELD_SRC_MAC);
}

/* Flow i: in_port selects its mask, the destination address makes it unique. */
static void make_key(struct evs_flow_key *k, unsigned int i, unsigned int n_masks)
{
	uint32_t dst = (uint32_t)i;

	for (size_t b = 0; b < sizeof(*k); b += 8) {
		uint64_t r = rnd();

		memcpy((uint8_t *)k + b, &r, 8);
	}
	k->in_port = (uint16_t)(i % n_masks);
	memcpy(k->dst_ip, &dst, 4);
}

static int traffic_init(struct traffic *t, unsigned int n_flows, unsigned int n_masks)
{
	memset(t, 0, sizeof(*t));
	t->n_flows = n_flows;
	t->n_masks = n_masks;
	t->n_installed = n_flows > n_masks ? n_flows : n_masks;
	for (unsigned int j = 0; j < n_masks; j++)
		build_mask(&t->masks[j], j);
	t->keys = malloc(sizeof(*t->keys) * t->n_installed);
	t->hashes = malloc(sizeof(*t->hashes) * t->n_installed);
	t->stream = malloc(sizeof(*t->stream) * STREAM_LEN);
	if (t->keys == NULL || t->hashes == NULL || t->stream == NULL)
		return -ENOMEM;
	for (unsigned int i = 0; i < t->n_installed; i++) {
		make_key(&t->keys[i], i, n_masks);
		t->hashes[i] = key_hash(&t->keys[i]);
	}
	for (unsigned int i = 0; i < STREAM_LEN; i++)
		t->stream[i] = (uint32_t)(rnd() % n_flows);
	return 0;
}

static void traffic_fini(struct traffic *t)
{
	free(t->keys);
	free(t->hashes);
	free(t->stream);
}

/* ---- measurement ---- */

struct result {
	double cycles;	  /* median cycles per packet */
	double emc_ratio; /* share of packets found in the EMC */
	uint64_t misses;  /* packets not found (should be 0 for hit tests) */
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Lookup function under test: the classifier or the rte_hash variant. */
typedef unsigned int (*lookup_fn)(void *ctx, const struct evs_flow_key *const keys[],
				  const uint32_t hashes[], unsigned int n);

static unsigned int cls_lookup(void *ctx, const struct evs_flow_key *const keys[],
			       const uint32_t hashes[], unsigned int n)
{
	struct evs_megaflow *res[BURST];

	return evs_cls_lookup_burst(ctx, keys, hashes, n, res);
}

/*
 * The machine is shared: a burst during which this thread was preempted (or
 * its vCPU descheduled) costs millions of cycles. Such bursts, above 20x the
 * median burst, are dropped from a run's mean; the rest, including cache
 * misses and re-sorts, count.
 */
static double trimmed_mean(const uint32_t *burst_cycles, unsigned int n, unsigned int pkts_per)
{
	static uint32_t sorted[MAX_PKTS / BURST];
	uint64_t sum = 0, cut;
	unsigned int kept = 0;

	memcpy(sorted, burst_cycles, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), cmp_u32);
	cut = 20ull * sorted[n / 2];
	for (unsigned int i = 0; i < n; i++) {
		if (burst_cycles[i] <= cut) {
			sum += burst_cycles[i];
			kept++;
		}
	}
	return (double)sum / ((double)kept * pkts_per);
}

/*
 * Packets are copied into a burst array first (as the parser would leave
 * them, hot in L1), untimed; only the lookup call is timed.
 */
static void run_hits(lookup_fn fn, void *ctx, const struct traffic *t, unsigned int reps,
		     unsigned int pkts, struct result *r)
{
	static struct evs_flow_key burst[BURST];
	static uint32_t burst_cycles[MAX_PKTS / BURST];
	const struct evs_flow_key *kp[BURST];
	uint32_t h[BURST];
	double per_rep[MAX_REPS];
	uint32_t pos = (uint32_t)rnd();

	for (unsigned int i = 0; i < BURST; i++)
		kp[i] = &burst[i];
	r->misses = 0;
	for (unsigned int rep = 0; rep <= reps; rep++) {
		uint64_t miss = 0;
		unsigned int nb = 0;

		for (unsigned int p = 0; p < pkts; p += BURST) {
			uint64_t t0;
			unsigned int n;

			for (unsigned int i = 0; i < BURST; i++) {
				uint32_t f = t->stream[pos++ & (STREAM_LEN - 1)];

				burst[i] = t->keys[f];
				h[i] = t->hashes[f];
			}
			t0 = rte_rdtsc();
			n = fn(ctx, kp, h, BURST);
			burst_cycles[nb++] = (uint32_t)RTE_MIN(rte_rdtsc() - t0, UINT32_MAX);
			miss += BURST - n;
		}
		if (rep == 0)
			continue; /* warm-up */
		per_rep[rep - 1] = trimmed_mean(burst_cycles, nb, BURST);
		r->misses += miss;
	}
	r->cycles = median(per_rep, reps);
}

static struct evs_cls *cls_setup(const struct traffic *t, const struct evs_cls_config *cfg)
{
	struct evs_cls *cls = evs_cls_create(cfg);
	uint8_t act[16] = {1, 2, 3, 4};

	if (cls == NULL)
		return NULL;
	for (unsigned int i = 0; i < t->n_installed; i++) {
		struct evs_megaflow_spec s = {
		    .mask = &t->masks[i % t->n_masks], .actions = act, .actions_len = sizeof(act)};

		if (evs_cls_install(cls, &t->keys[i], &s, NULL) != 0) {
			fprintf(stderr, "install %u failed\n", i);
			evs_cls_free(cls);
			return NULL;
		}
	}
	return cls;
}

static int bench_cls(const struct traffic *t, const struct evs_cls_config *cfg, bool fill_emc,
		     unsigned int reps, unsigned int pkts, struct result *r)
{
	struct evs_cls *cls = cls_setup(t, cfg);
	struct evs_cls_stats s0, s1;

	if (cls == NULL)
		return -ENOMEM;
	if (fill_emc) {
		/* Every flow once, twice: with insertion always, the EMC holds them all. */
		for (int pass = 0; pass < 2; pass++)
			for (unsigned int i = 0; i < t->n_flows; i++)
				evs_cls_lookup(cls, &t->keys[i], t->hashes[i]);
	}
	evs_cls_stats_get(cls, &s0);
	run_hits(cls_lookup, cls, t, reps, pkts, r);
	evs_cls_stats_get(cls, &s1);
	r->emc_ratio = (double)(s1.emc_hits - s0.emc_hits) / (double)(s1.lookups - s0.lookups);
	evs_cls_free(cls);
	return 0;
}

/* Miss, then install: the cost the slow path adds on top of its own work. */
static int bench_miss_install(const struct traffic *t, unsigned int reps, unsigned int pkts,
			      struct result *r)
{
	struct evs_cls_config cfg = {.max_flows = t->n_installed + pkts + BURST};
	struct evs_cls *cls = cls_setup(t, &cfg);
	struct evs_megaflow **made = malloc(sizeof(*made) * pkts);
	static struct evs_flow_key burst[BURST];
	static uint32_t burst_cycles[MAX_PKTS / BURST];
	const struct evs_flow_key *kp[BURST];
	struct evs_megaflow *res[BURST];
	double per_rep[MAX_REPS];
	uint32_t h[BURST];
	uint8_t act[16] = {5, 6, 7, 8};

	if (cls == NULL || made == NULL) {
		evs_cls_free(cls);
		free(made);
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < BURST; i++)
		kp[i] = &burst[i];
	r->misses = 0;
	for (unsigned int rep = 0; rep <= reps; rep++) {
		unsigned int n_made = 0, nb = 0;

		for (unsigned int p = 0; p < pkts; p += BURST) {
			uint64_t t0;

			for (unsigned int i = 0; i < BURST; i++) {
				make_key(&burst[i], t->n_installed + p + i, 1);
				h[i] = key_hash(&burst[i]);
			}
			t0 = rte_rdtsc();
			r->misses += BURST - evs_cls_lookup_burst(cls, kp, h, BURST, res);
			for (unsigned int i = 0; i < BURST; i++) {
				struct evs_megaflow_spec s = {
				    .mask = &t->masks[0], .actions = act, .actions_len = 16};

				if (evs_cls_install(cls, kp[i], &s, &made[n_made]) == 0)
					n_made++;
			}
			burst_cycles[nb++] = (uint32_t)RTE_MIN(rte_rdtsc() - t0, UINT32_MAX);
		}
		for (unsigned int i = 0; i < n_made; i++)
			evs_cls_remove(cls, made[i]);
		if (rep > 0)
			per_rep[rep - 1] = trimmed_mean(burst_cycles, nb, BURST);
	}
	r->cycles = median(per_rep, reps);
	r->emc_ratio = 0;
	free(made);
	evs_cls_free(cls);
	return 0;
}

/* ---- the same subtables on rte_hash ---- */

struct rh_sub {
	struct rte_hash *h;
	unsigned int n_words;
	uint8_t w[EVS_FLOW_KEY_WORDS];
	uint64_t mw[EVS_FLOW_KEY_WORDS];
};

/* Per-flow state touched on a hit, as the classifier's entry is. */
struct rh_flow {
	uint64_t hits;
	uint64_t last_used;
	uint8_t pad[48];
};

struct rh_cls {
	unsigned int n_sub;
	struct rh_sub sub[MAX_MASKS];
	struct rh_flow *flows;
};

static uint32_t rh_compact(const struct rh_sub *s, const struct evs_flow_key *key, uint64_t *out)
{
	const evs_flow_word_t *k = (const evs_flow_word_t *)key;
	uint32_t h = HASH_SEED;

	for (unsigned int i = 0; i < s->n_words; i++) {
		out[i] = k[s->w[i]] & s->mw[i];
		h = rte_hash_crc_8byte(out[i], h);
	}
	return h;
}

static unsigned int rh_lookup(void *ctx, const struct evs_flow_key *const keys[],
			      const uint32_t hashes[], unsigned int n)
{
	struct rh_cls *c = ctx;
	uint64_t ck[BURST][EVS_FLOW_KEY_WORDS];
	const void *kp[BURST];
	hash_sig_t sig[BURST];
	void *data[BURST];
	uint8_t map[BURST];
	uint64_t miss = (1ull << n) - 1, now = rte_rdtsc();
	unsigned int found = 0;

	(void)hashes;
	for (unsigned int s = 0; s < c->n_sub && miss != 0; s++) {
		const struct rh_sub *sub = &c->sub[s];
		uint64_t hit_mask = 0;
		unsigned int j = 0;

		for (uint64_t m = miss; m != 0; m &= m - 1) {
			unsigned int i = (unsigned int)__builtin_ctzll(m);

			sig[j] = rh_compact(sub, keys[i], ck[j]);
			kp[j] = ck[j];
			map[j++] = (uint8_t)i;
		}
		if (rte_hash_lookup_with_hash_bulk_data(sub->h, kp, sig, j, &hit_mask, data) <= 0)
			continue;
		for (; hit_mask != 0; hit_mask &= hit_mask - 1) {
			unsigned int b = (unsigned int)__builtin_ctzll(hit_mask);
			struct rh_flow *f = &c->flows[(uintptr_t)data[b]];

			f->hits++;
			f->last_used = now;
			miss &= ~(1ull << map[b]);
			found++;
		}
	}
	return found;
}

static void rh_free(struct rh_cls *c)
{
	for (unsigned int s = 0; s < c->n_sub; s++)
		rte_hash_free(c->sub[s].h);
	free(c->flows);
}

static int rh_setup(struct rh_cls *c, const struct traffic *t)
{
	unsigned int per_mask = (t->n_installed + t->n_masks - 1) / t->n_masks;

	memset(c, 0, sizeof(*c));
	c->flows = calloc(t->n_installed, sizeof(*c->flows));
	if (c->flows == NULL)
		return -ENOMEM;
	for (unsigned int s = 0; s < t->n_masks; s++) {
		const evs_flow_word_t *mw = (const evs_flow_word_t *)&t->masks[s].bits;
		struct rh_sub *sub = &c->sub[s];
		char name[RTE_HASH_NAMESIZE];
		struct rte_hash_parameters p = {0};

		for (unsigned int w = 0; w < EVS_FLOW_KEY_WORDS; w++) {
			if (mw[w] != 0) {
				sub->w[sub->n_words] = (uint8_t)w;
				sub->mw[sub->n_words++] = mw[w];
			}
		}
		snprintf(name, sizeof(name), "clsbench%u", s);
		p.name = name;
		p.entries = per_mask + per_mask / 4 + 16;
		p.key_len = sub->n_words * 8;
		p.hash_func = rte_hash_crc;
		p.socket_id = SOCKET_ID_ANY;
		sub->h = rte_hash_create(&p);
		if (sub->h == NULL) {
			rh_free(c);
			return -ENOMEM;
		}
		c->n_sub++;
	}
	for (unsigned int i = 0; i < t->n_installed; i++) {
		struct rh_sub *sub = &c->sub[i % t->n_masks];
		uint64_t ck[EVS_FLOW_KEY_WORDS];
		uint32_t sig = rh_compact(sub, &t->keys[i], ck);

		if (rte_hash_add_key_with_hash_data(sub->h, ck, sig, (void *)(uintptr_t)i) != 0) {
			rh_free(c);
			return -ENOMEM;
		}
	}
	return 0;
}

static int bench_rh(const struct traffic *t, unsigned int reps, unsigned int pkts, struct result *r)
{
	struct rh_cls c;
	int rc = rh_setup(&c, t);

	if (rc < 0)
		return rc;
	run_hits(rh_lookup, &c, t, reps, pkts, r);
	r->emc_ratio = 0;
	rh_free(&c);
	return 0;
}

/* ---- driver ---- */

enum col { C_EMC, C_MF1, C_MF8, C_MF32, C_DEFAULT, C_MISS, C_RH1, C_RH8, C_RH32, C_MAX };

static const char *const col_names[C_MAX] = {
    "emc-hit",	 "mf-1mask", "mf-8masks", "mf-32masks", "default-8m",
    "miss+inst", "rh-1mask", "rh-8masks", "rh-32masks",
};

static void print_cell(const struct result *r, bool show_emc, bool expect_hits)
{
	char buf[40];

	if (show_emc)
		snprintf(buf, sizeof(buf), "%.0f (%.0f%%)", r->cycles, 100 * r->emc_ratio);
	else
		snprintf(buf, sizeof(buf), "%.0f", r->cycles);
	if (r->misses != 0 && expect_hits)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "!");
	printf(" %14s", buf);
}

static const char *flows_name(unsigned int f, char *buf, size_t n)
{
	if (f >= 1000000 && f % 1000000 == 0)
		snprintf(buf, n, "%uM", f / 1000000);
	else if (f >= 1000 && f % 1000 == 0)
		snprintf(buf, n, "%uk", f / 1000);
	else
		snprintf(buf, n, "%u", f);
	return buf;
}

static int run_row(unsigned int flows, unsigned int reps, unsigned int pkts, struct result *r)
{
	static const unsigned int masks_of[C_MAX] = {1, 1, 8, 32, 8, 1, 1, 8, 32};

	for (int c = 0; c < C_MAX; c++) {
		struct traffic t;
		struct evs_cls_config cfg = {.max_flows = flows + MAX_MASKS};
		int rc = traffic_init(&t, flows, masks_of[c]);

		memset(&r[c], 0, sizeof(r[c]));
		if (rc == 0) {
			switch (c) {
			case C_EMC:
				cfg.emc_entries = rte_align32pow2(2 * flows) > 8192
						      ? rte_align32pow2(2 * flows)
						      : 8192;
				cfg.emc_insert_one_in = 1;
				rc = bench_cls(&t, &cfg, true, reps, pkts, &r[c]);
				break;
			case C_MF1:
			case C_MF8:
			case C_MF32:
				cfg.emc_disable = true;
				rc = bench_cls(&t, &cfg, false, reps, pkts, &r[c]);
				break;
			case C_DEFAULT:
				rc = bench_cls(&t, &cfg, false, reps, pkts, &r[c]);
				break;
			case C_MISS:
				rc = bench_miss_install(&t, reps, pkts / 8, &r[c]);
				break;
			default:
				rc = bench_rh(&t, reps, pkts, &r[c]);
				break;
			}
		}
		traffic_fini(&t);
		if (rc < 0) {
			fprintf(stderr, "%u flows, %s: %s\n", flows, col_names[c], strerror(-rc));
			return rc;
		}
	}
	return 0;
}

static void print_header(void)
{
	printf("%8s", "flows");
	for (int c = 0; c < C_MAX; c++)
		printf(" %14s", col_names[c]);
	printf("\n");
}

static void print_row(unsigned int flows, const struct result *r)
{
	char name[16];

	printf("%8s", flows_name(flows, name, sizeof(name)));
	for (int c = 0; c < C_MAX; c++)
		print_cell(&r[c], c == C_EMC || c == C_DEFAULT, c != C_MISS);
	printf("\n");
	fflush(stdout);
}

static int parse_flows(const char *s, unsigned int *out, unsigned int max)
{
	unsigned int n = 0;
	char *end;

	while (*s != '\0' && n < max) {
		unsigned long v = strtoul(s, &end, 10);

		if (end == s || v == 0 || v > 16000000)
			return -EINVAL;
		if (*end == 'k')
			v *= 1000, end++;
		else if (*end == 'M')
			v *= 1000000, end++;
		out[n++] = (unsigned int)v;
		s = *end == ',' ? end + 1 : end;
		if (*end != ',' && *end != '\0')
			return -EINVAL;
	}
	return (int)n;
}

int main(int argc, char **argv)
{
	char prefix[64];
	char *def_eal[] = {argv[0],    "--no-huge",	"-m",	"2048",	       "--no-shconf",
			   "--no-pci", "--file-prefix", prefix, "--log-level", "lib.eal:warning",
			   "--lcores", "0@(0-1)"};
	unsigned int flows[8] = {1, 1000, 100000, 1000000}, n_flows = 4;
	static struct result res[MAX_RUNS][8][C_MAX];
	unsigned int reps = 5, pkts = 1u << 18, runs = 1;
	int eal_argc = 0, i, rc;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0)
			eal_argc = i;
	snprintf(prefix, sizeof(prefix), "clsbench%d", (int)getpid());
	rc = eal_argc ? rte_eal_init(eal_argc, argv) : rte_eal_init(RTE_DIM(def_eal), def_eal);
	if (rc < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	for (i = eal_argc ? eal_argc + 1 : 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0) {
			flows[0] = 1;
			flows[1] = 1000;
			n_flows = 2;
			reps = 3;
			pkts = 1u << 14;
		} else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) {
			reps = (unsigned int)atoi(argv[++i]);
			if (reps < 1 || reps > MAX_REPS) {
				fprintf(stderr, "--reps: 1..%d\n", MAX_REPS);
				return 1;
			}
		} else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
			runs = (unsigned int)atoi(argv[++i]);
			if (runs < 1 || runs > MAX_RUNS) {
				fprintf(stderr, "--runs: 1..%d\n", MAX_RUNS);
				return 1;
			}
		} else if (strcmp(argv[i], "--flows") == 0 && i + 1 < argc) {
			rc = parse_flows(argv[++i], flows, RTE_DIM(flows));
			if (rc <= 0) {
				fprintf(stderr, "--flows: a list like 1,1k,100k,1M\n");
				return 1;
			}
			n_flows = (unsigned int)rc;
		} else {
			fprintf(stderr,
				"usage: %s [EAL args --] [--quick] [--reps N] [--runs N] [--flows "
				"LIST]\n",
				argv[0]);
			return 1;
		}
	}

	printf("cycles/packet (TSC %.2f GHz), bursts of %d, each cell the median of %u runs of %u "
	       "packets\n",
	       (double)rte_get_tsc_hz() / 1e9, BURST, reps, pkts);
	printf("emc-hit and default-8m show the EMC hit share; '!' marks runs with misses\n");
	/* Whole matrices repeated, so slow phases of a shared machine spread over all cells. */
	rc = 0;
	for (unsigned int run = 0; run < runs && rc >= 0; run++) {
		printf("run %u of %u\n", run + 1, runs);
		print_header();
		for (unsigned int f = 0; f < n_flows && rc >= 0; f++) {
			rc = run_row(flows[f], reps, pkts, res[run][f]);
			if (rc >= 0)
				print_row(flows[f], res[run][f]);
		}
	}
	if (rc >= 0 && runs > 1) {
		printf("median of the %u runs, cell by cell\n", runs);
		print_header();
		for (unsigned int f = 0; f < n_flows; f++) {
			struct result med[C_MAX];

			for (int c = 0; c < C_MAX; c++) {
				double v[MAX_RUNS];

				for (unsigned int run = 0; run < runs; run++)
					v[run] = res[run][f][c].cycles;
				med[c] = res[0][f][c];
				med[c].cycles = median(v, runs);
			}
			print_row(flows[f], med);
		}
	}
	rte_eal_cleanup();
	return rc < 0 ? 1 : 0;
}
