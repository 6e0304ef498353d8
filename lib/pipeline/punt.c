/* SPDX-License-Identifier: BSD-3-Clause */
/* The punt path's consumer: the management lcore hands packets to their module. */

#include "pipeline_private.h"

#define PUNT_BURST 32

unsigned int evs_pipeline_punt_poll(const struct evs_registry *reg, struct rte_ring *ring,
				    void *const *args, unsigned int budget)
{
	struct rte_mbuf *pkts[PUNT_BURST];
	unsigned int done = 0, n, i;

	if (reg == NULL || ring == NULL)
		return 0;
	while (done < budget) {
		n = rte_ring_sc_dequeue_burst(
		    ring, (void **)pkts, RTE_MIN(budget - done, (unsigned int)PUNT_BURST), NULL);
		if (n == 0)
			break;
		for (i = 0; i < n; i++) {
			unsigned int mod = pkts[i]->hash.usr >> 16;
			uint16_t code = (uint16_t)pkts[i]->hash.usr;

			if (mod < reg->n_mods && reg->mods[mod]->punt != NULL)
				reg->mods[mod]->punt(args != NULL ? args[mod] : NULL, pkts[i],
						     code);
			else
				rte_pktmbuf_free(pkts[i]);
		}
		done += n;
	}
	return done;
}
