/* SPDX-License-Identifier: BSD-3-Clause */
/* Latency histogram, per-flow sample bitmaps and rate arithmetic. */

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "evs_gen.h"

void evs_gen_hist_reset(struct evs_gen_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

uint64_t evs_gen_hist_bucket_low(unsigned int i)
{
	unsigned int e, sub = 1u << EVS_GEN_HIST_SUB_BITS;

	if (i < sub)
		return i;
	e = i / sub + EVS_GEN_HIST_SUB_BITS - 1;
	return (uint64_t)(i % sub + sub) << (e - EVS_GEN_HIST_SUB_BITS);
}

uint64_t evs_gen_hist_bucket_high(unsigned int i)
{
	if (i + 1 >= EVS_GEN_HIST_BUCKETS)
		return UINT64_MAX;
	return evs_gen_hist_bucket_low(i + 1) - 1;
}

void evs_gen_hist_snapshot(struct evs_gen_hist *dst, const struct evs_gen_hist *src)
{
	unsigned int i;

	/* Relaxed loads pair with the writer's relaxed stores: each value is
	 * whole; the snapshot as a whole may mix adjacent updates, which a
	 * once-a-second progress line does not mind. */
	dst->count = __atomic_load_n(&src->count, __ATOMIC_RELAXED);
	dst->sum = __atomic_load_n(&src->sum, __ATOMIC_RELAXED);
	dst->min = __atomic_load_n(&src->min, __ATOMIC_RELAXED);
	dst->max = __atomic_load_n(&src->max, __ATOMIC_RELAXED);
	for (i = 0; i < EVS_GEN_HIST_BUCKETS; i++)
		dst->bucket[i] = __atomic_load_n(&src->bucket[i], __ATOMIC_RELAXED);
}

void evs_gen_hist_merge(struct evs_gen_hist *dst, const struct evs_gen_hist *src)
{
	unsigned int i;

	dst->count += src->count;
	dst->sum += src->sum;
	dst->min = RTE_MIN(dst->min, src->min);
	dst->max = RTE_MAX(dst->max, src->max);
	for (i = 0; i < EVS_GEN_HIST_BUCKETS; i++)
		dst->bucket[i] += src->bucket[i];
}

uint64_t evs_gen_hist_percentile(const struct evs_gen_hist *h, double p)
{
	uint64_t rank, seen = 0, n = 0;
	unsigned int i;

	for (i = 0; i < EVS_GEN_HIST_BUCKETS; i++)
		n += h->bucket[i]; /* not h->count: a live snapshot may differ */
	if (n == 0)
		return 0;
	if (p < 0)
		p = 0;
	if (p > 1)
		p = 1;
	rank = (uint64_t)ceil(p * (double)n);
	if (rank == 0)
		rank = 1;
	if (rank > n)
		rank = n;
	for (i = 0; i < EVS_GEN_HIST_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen >= rank)
			return RTE_MIN(evs_gen_hist_bucket_high(i), h->max);
	}
	return h->max;
}

int evs_gen_sample_init(struct evs_gen_sample *s, uint32_t flows, uint32_t max_samples)
{
	uint32_t shift = 0;

	memset(s, 0, sizeof(*s));
	if (flows == 0 || max_samples == 0)
		return -EINVAL;
	/* Sampled ids are 0, 2^shift, 2*2^shift, ... below flows. */
	while ((((uint64_t)flows - 1) >> shift) + 1 > max_samples)
		shift++;
	s->shift = shift;
	s->nbits = (uint32_t)((((uint64_t)flows - 1) >> shift) + 1);
	s->bits = calloc((s->nbits + 63) / 64, sizeof(uint64_t));
	if (s->bits == NULL)
		return -ENOMEM;
	return 0;
}

void evs_gen_sample_fini(struct evs_gen_sample *s)
{
	free(s->bits);
	s->bits = NULL;
	s->nbits = 0;
}

int evs_gen_sample_merge(struct evs_gen_sample *dst, const struct evs_gen_sample *src)
{
	uint32_t i;

	if (dst->nbits != src->nbits || dst->shift != src->shift)
		return -EINVAL;
	for (i = 0; i < (dst->nbits + 63) / 64; i++)
		dst->bits[i] |= src->bits[i];
	return 0;
}

uint32_t evs_gen_sample_count(const struct evs_gen_sample *s)
{
	uint32_t i, n = 0;

	for (i = 0; i < (s->nbits + 63) / 64; i++)
		n += (uint32_t)__builtin_popcountll(s->bits[i]);
	return n;
}

uint32_t evs_gen_sample_missing(const struct evs_gen_sample *sent,
				const struct evs_gen_sample *seen)
{
	uint32_t i, n = 0;

	if (sent->nbits != seen->nbits || sent->shift != seen->shift)
		return 0;
	for (i = 0; i < (sent->nbits + 63) / 64; i++)
		n += (uint32_t)__builtin_popcountll(sent->bits[i] & ~seen->bits[i]);
	return n;
}

double evs_gen_mpps(uint64_t pkts, uint64_t cycles, uint64_t hz)
{
	if (cycles == 0)
		return 0;
	return (double)pkts * (double)hz / (double)cycles / 1e6;
}

double evs_gen_gbps(uint64_t pkts, uint64_t bytes, uint64_t cycles, uint64_t hz, bool l1)
{
	double wire = (double)bytes + (double)pkts * (RTE_ETHER_CRC_LEN + (l1 ? 20 : 0));

	if (cycles == 0)
		return 0;
	return wire * 8 * (double)hz / (double)cycles / 1e9;
}

double evs_gen_loss_ratio(uint64_t tx, uint64_t rx)
{
	if (tx == 0 || rx >= tx)
		return 0;
	return (double)(tx - rx) / (double)tx;
}
