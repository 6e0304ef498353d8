/* SPDX-License-Identifier: BSD-3-Clause */
/* Flow pattern (flow id -> 5-tuple, walk order) and size mixes. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "evs_gen.h"

static uint32_t gcd32(uint32_t a, uint32_t b)
{
	while (b != 0) {
		uint32_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

int evs_gen_flows_init(struct evs_gen_flows *f, const struct evs_gen_flow_config *c)
{
	struct evs_gen_flow_config r = *c;
	uint64_t below, cover;

	if (r.flows == 0 || r.flows > EVS_GEN_FLOWS_MAX)
		return -EINVAL;
	if (r.sport_range == 0)
		r.sport_range = RTE_MIN(r.flows, 1024u);
	if (r.dport_range == 0)
		r.dport_range = 1;
	if (r.dip_range == 0)
		r.dip_range = 1;
	if (r.sip_range == 0) {
		below = (uint64_t)r.sport_range * r.dport_range * r.dip_range;
		r.sip_range = (uint32_t)((r.flows + below - 1) / below);
	}
	cover = (uint64_t)r.sport_range * r.sip_range * r.dport_range * r.dip_range;
	if (cover < r.flows)
		return -EINVAL;
	if ((uint32_t)r.sport_base + r.sport_range - 1 > UINT16_MAX ||
	    (uint32_t)r.dport_base + r.dport_range - 1 > UINT16_MAX ||
	    (uint64_t)r.src_ip_base + r.sip_range - 1 > UINT32_MAX ||
	    (uint64_t)r.dst_ip_base + r.dip_range - 1 > UINT32_MAX)
		return -ERANGE;

	memset(f, 0, sizeof(*f));
	f->cfg = r;
	f->div_sport = rte_reciprocal_value(r.sport_range);
	f->div_sip = rte_reciprocal_value(r.sip_range);
	f->div_dport = rte_reciprocal_value(r.dport_range);
	f->stride = 1;
	if (r.order == EVS_GEN_ORDER_SCATTER && r.flows > 2) {
		/* Golden-ratio step: consecutive packets land far apart in the
		 * id space (and so in the switch's tables), every id once per round. */
		uint32_t s = (uint32_t)((uint64_t)r.flows * 618034 / 1000000);

		while (s > 1 && gcd32(s, r.flows) != 1)
			s--;
		f->stride = s < 1 ? 1 : s;
	}
	return 0;
}

void evs_gen_flow_iter_init(const struct evs_gen_flows *f, struct evs_gen_flow_iter *it,
			    uint32_t start)
{
	struct evs_gen_tuple t;

	it->cur = start % f->cfg.flows;
	it->pos = 0;
	it->round = 0;
	evs_gen_flow_tuple(f, it->cur, &t);
	it->digit[0] = (uint32_t)(t.sport - f->cfg.sport_base);
	it->digit[1] = t.src_ip - f->cfg.src_ip_base;
	it->digit[2] = (uint32_t)(t.dport - f->cfg.dport_base);
	it->digit[3] = t.dst_ip - f->cfg.dst_ip_base;
}

static int mix_build(struct evs_gen_mix *m)
{
	int32_t cur[EVS_GEN_MIX_SIZES_MAX] = {0};
	unsigned int i, k, total = 0;

	for (i = 0; i < m->n; i++)
		total += m->weight[i];
	if (total == 0 || total > EVS_GEN_MIX_PERIOD_MAX)
		return -ERANGE;
	m->period = (uint16_t)total;
	/* Smooth weighted round-robin: each slot goes to the size with the
	 * largest running credit, which spreads every size evenly. */
	for (k = 0; k < total; k++) {
		unsigned int best = 0;

		for (i = 0; i < m->n; i++) {
			cur[i] += m->weight[i];
			if (cur[i] > cur[best])
				best = i;
		}
		cur[best] -= (int32_t)total;
		m->pattern[k] = (uint8_t)best;
	}
	return 0;
}

static int parse_u32(const char *s, char **end, uint32_t *out)
{
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, end, 10);
	if (errno != 0 || v > UINT32_MAX)
		return -ERANGE;
	*out = (uint32_t)v;
	return 0;
}

int evs_gen_mix_parse(struct evs_gen_mix *m, const char *spec)
{
	const char *p = spec;
	int rc;

	memset(m, 0, sizeof(*m));
	if (spec == NULL || *spec == '\0')
		return -EINVAL;
	if (strcmp(spec, "imix") == 0)
		p = "64:7,570:4,1518:1";
	for (;;) {
		uint32_t size, weight = 1;
		char *end;

		if (m->n == EVS_GEN_MIX_SIZES_MAX)
			return -EINVAL;
		rc = parse_u32(p, &end, &size);
		if (rc != 0)
			return rc;
		if (*end == ':') {
			rc = parse_u32(end + 1, &end, &weight);
			if (rc != 0)
				return rc;
			if (weight == 0)
				return -EINVAL;
			if (weight > 255)
				return -ERANGE;
		}
		if (size < EVS_GEN_SIZE_MIN || size > EVS_GEN_SIZE_MAX)
			return -ERANGE;
		m->size[m->n] = (uint16_t)size;
		m->weight[m->n] = (uint16_t)weight;
		m->n++;
		if (*end == '\0')
			break;
		if (*end != ',')
			return -EINVAL;
		p = end + 1;
	}
	return mix_build(m);
}

double evs_gen_mix_avg_size(const struct evs_gen_mix *m)
{
	double sum = 0;
	unsigned int i;

	if (m->period == 0)
		return 0;
	for (i = 0; i < m->n; i++)
		sum += (double)m->size[i] * m->weight[i];
	return sum / m->period;
}
