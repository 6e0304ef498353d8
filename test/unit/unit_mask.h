/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The mask-sufficiency property every module suite checks on its stages:
 * two keys that agree wherever a megaflow's mask looked must get the same
 * program, else the megaflow would hand one of them the other's actions.
 */
#ifndef EVS_TEST_UNIT_MASK_H
#define EVS_TEST_UNIT_MASK_H

#include <string.h>

#include <check.h>
#include <rte_random.h>

#include "evs_pipeline.h"

/* Random bytes everywhere in @k; the caller then pins the fields its stages read. */
static inline void unit_mask_random_key(struct evs_flow_key *k)
{
	uint8_t *raw = (uint8_t *)k;

	for (size_t b = 0; b < sizeof(*k); b++)
		raw[b] = (uint8_t)rte_rand();
}

/*
 * Translate @k, give @k2 @k's bits wherever the mask looked, translate @k2:
 * the two programs must be the same (@i names the key in the failure).
 * @mask gets @k's mask; @return the program's length.
 */
static inline int unit_mask_check(struct evs_pipeline_lcore *pl,
				  const struct evs_pipeline_state *st, const struct evs_flow_key *k,
				  struct evs_flow_key *k2, struct evs_flow_mask *mask,
				  unsigned int i)
{
	uint8_t prog[EVS_PROG_MAX], prog2[EVS_PROG_MAX];
	const uint8_t *m = (const uint8_t *)&mask->bits, *a = (const uint8_t *)k;
	uint8_t *b = (uint8_t *)k2;
	struct evs_flow_mask mask2;
	int len, len2;

	len = evs_pipeline_xlate(pl, st, k, mask, prog, NULL);
	ck_assert_int_gt(len, 0);
	for (size_t j = 0; j < sizeof(*k); j++)
		b[j] = (uint8_t)((a[j] & m[j]) | (b[j] & ~m[j]));
	len2 = evs_pipeline_xlate(pl, st, k2, &mask2, prog2, NULL);
	ck_assert_msg(len == len2 && memcmp(prog, prog2, (size_t)len) == 0,
		      "key %u: a key matching the megaflow got another program", i);
	return len;
}

#endif /* EVS_TEST_UNIT_MASK_H */
