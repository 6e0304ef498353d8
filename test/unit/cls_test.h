/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CLS_TEST_H
#define CLS_TEST_H

/* Helpers shared by the classifier's test files (test_classifier*.c). */

#include <check.h>
#include <string.h>

#include "evs_classifier.h"
#include "evs_packet.h"

/* Full-key hash for the EMC, as the pipeline computes it. */
static inline uint32_t key_hash(const struct evs_flow_key *k)
{
	return evs_flow_key_hash(k, 0);
}

static inline void make_spec(struct evs_megaflow_spec *s, const struct evs_flow_mask *m,
			     const void *act, uint16_t len, uint32_t gen)
{
	memset(s, 0, sizeof(*s));
	s->mask = m;
	s->actions = act;
	s->actions_len = len;
	s->gen = gen;
}

static inline struct evs_cls_stats stats(const struct evs_cls *cls)
{
	struct evs_cls_stats st;

	ck_assert_int_eq(evs_cls_stats_get(cls, &st), 0);
	return st;
}

/* test_classifier_emc.c: the EMC's cases. */
void cls_emc_add_cases(Suite *s);

#endif /* CLS_TEST_H */
