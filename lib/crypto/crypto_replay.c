/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Anti-replay window (RFC 4303 3.4.3) over 64-bit sequence numbers: a ring
 * of 64-bit blocks indexed by seq / 64, so moving the top clears whole
 * blocks (RFC 6479) instead of shifting a bitmap. The ring holds at least
 * window / 64 + 1 blocks, so the blocks of (top - window, top] never alias.
 * Check and accept are inline in evs_crypto.h (per packet).
 */
#include <errno.h>
#include <string.h>

#include <rte_common.h>

#include "evs_crypto.h"

int evs_replay_init(struct evs_replay *r, uint32_t window)
{
	uint32_t words;

	if (window == 0)
		window = EVS_REPLAY_WINDOW_DEFAULT;
	if (window > EVS_REPLAY_WINDOW_MAX)
		return -EINVAL;
	words = rte_align32pow2(window / 64 + 2);
	RTE_BUILD_BUG_ON(EVS_REPLAY_WINDOW_MAX / 64 + 2 > RTE_DIM(r->bits));
	memset(r, 0, sizeof(*r));
	r->window = window;
	r->word_mask = words - 1;
	return 0;
}

uint64_t evs_replay_esn_infer(const struct evs_replay *r, uint32_t seq_lo)
{
	uint32_t tl = (uint32_t)r->top, th = (uint32_t)(r->top >> 32);
	uint32_t bottom = tl - r->window + 1; /* wraps in case B */
	uint32_t sh;

	if (tl >= r->window - 1) {
		/* Case A: the window lies within one epoch of 2^32. */
		sh = seq_lo >= bottom ? th : th + 1;
	} else {
		/* Case B: the window straddles the previous epoch. */
		sh = (seq_lo >= bottom && th > 0) ? th - 1 : th;
	}
	return ((uint64_t)sh << 32) | seq_lo;
}
