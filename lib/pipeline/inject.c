/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The inject path: other lcores hand packets to a PMD through its bounded
 * MP/SC ring; the PMD sends them out of a port or runs them through the
 * pipeline in bursts, like received ones. The target travels in the mbuf
 * (hash.usr: kind and ldp; port: the port), so one ring serves every kind.
 */

#include <errno.h>

#include <rte_malloc.h>

#include "pipeline_private.h"

#define INJECT_BURST 32

int inject_ring_create(struct evs_pipeline_lcore *pl, uint32_t size, int socket_id)
{
	ssize_t bytes;

	if (size == 0)
		size = EVS_INJECT_RING;
	bytes = rte_ring_get_memsize(size);
	if (bytes < 0)
		return -EINVAL; /* not a power of 2, or too large */
	/* an unnamed ring (rte_ring_init, not rte_ring_create): every lcore
	 * context has one and no name registry is needed */
	pl->inject_ring =
	    rte_zmalloc_socket("evs_inject", (size_t)bytes, RTE_CACHE_LINE_SIZE, socket_id);
	if (pl->inject_ring == NULL)
		return -ENOMEM;
	/* exact size: a ring of @size slots holds size - 1 packets */
	if (rte_ring_init(pl->inject_ring, "evs_inject", size, RING_F_SC_DEQ) < 0) {
		rte_free(pl->inject_ring);
		pl->inject_ring = NULL;
		return -EINVAL;
	}
	return 0;
}

void inject_ring_free(struct evs_pipeline_lcore *pl)
{
	struct rte_mbuf *m;

	if (pl->inject_ring == NULL)
		return;
	/* the owner stopped: packets still queued go with the ring */
	while (rte_ring_sc_dequeue(pl->inject_ring, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	rte_free(pl->inject_ring);
	pl->inject_ring = NULL;
}

unsigned int evs_pipeline_inject(struct evs_pipeline_lcore *pl, const struct evs_inject *to,
				 struct rte_mbuf **pkts, unsigned int n)
{
	unsigned int i, sent = 0;

	if (pl == NULL || n == 0)
		return 0;
	if (to != NULL && to->kind <= EVS_INJECT_LDP) {
		for (i = 0; i < n; i++) {
			pkts[i]->hash.usr = (uint32_t)to->kind << 16 | to->ldp;
			pkts[i]->port = to->port;
		}
		sent = rte_ring_mp_enqueue_burst(pl->inject_ring, (void **)pkts, n, NULL);
	}
	if (sent < n) {
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
		/* many producers: an atomic add; relaxed, only a counter */
		__atomic_fetch_add(&pl->inject_full, n - sent, __ATOMIC_RELAXED);
	}
	return sent;
}

/* Send TX-kind packets, one tx call per run of the same port. */
static void inject_tx(struct evs_pipeline_lcore *pl, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t i, start = 0, sent;

	for (i = 1; i <= n; i++) {
		if (i < n && pkts[i]->port == pkts[start]->port)
			continue;
		sent = pl->tx(pl->tx_arg, pkts[start]->port, pkts + start, i - start);
		if (sent < i - start) {
			rte_pktmbuf_free_bulk(pkts + start + sent, i - start - sent);
			drop_count(pl, ENGINE_DROP_NO_PORT, i - start - sent);
		}
		start = i;
	}
}

/* Parse @n packets of one kind into @keys, dropping the ones that do not parse. */
static uint16_t inject_parse(struct evs_pipeline_lcore *pl, struct rte_mbuf **pkts,
			     struct evs_flow_key *keys, uint16_t n, bool ldp)
{
	uint16_t i, k = 0;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		if (unlikely(evs_packet_parse(m, m->port, &keys[k]) != EVS_DROP_NONE)) {
			rte_pktmbuf_free(m);
			drop_count(pl, ENGINE_DROP_INJECT_BAD, 1);
			continue;
		}
		if (ldp)
			keys[k].ldp = (uint16_t)m->hash.usr;
		pkts[k++] = m;
	}
	return k;
}

unsigned int evs_pipeline_inject_drain(struct evs_pipeline_lcore *pl,
				       const struct evs_pipeline_state *st, unsigned int budget)
{
	struct rte_mbuf *pkts[INJECT_BURST], *by_kind[EVS_INJECT_LDP + 1][INJECT_BURST];
	struct evs_flow_key keys[INJECT_BURST];
	uint16_t cnt[EVS_INJECT_LDP + 1];
	unsigned int done = 0, n, i;

	while (done < budget) {
		n = rte_ring_sc_dequeue_burst(pl->inject_ring, (void **)pkts,
					      RTE_MIN(budget - done, (unsigned int)INJECT_BURST),
					      NULL);
		if (n == 0)
			break;
		done += n;
		ctr_add(&pl->st.injected, n);
		memset(cnt, 0, sizeof(cnt));
		for (i = 0; i < n; i++) {
			unsigned int kind = pkts[i]->hash.usr >> 16;

			/* the producer checked the kind; kept in range for safety */
			if (unlikely(kind > EVS_INJECT_LDP)) {
				rte_pktmbuf_free(pkts[i]);
				drop_count(pl, ENGINE_DROP_INJECT_BAD, 1);
				continue;
			}
			by_kind[kind][cnt[kind]++] = pkts[i];
		}
		inject_tx(pl, by_kind[EVS_INJECT_TX], cnt[EVS_INJECT_TX]);
		/* as if received: the ingress hooks (learning) see them */
		n = inject_parse(pl, by_kind[EVS_INJECT_PORT], keys, cnt[EVS_INJECT_PORT], false);
		if (n != 0) {
			ctr_add(&pl->st.packets, n);
			run_chunk(pl, st, by_kind[EVS_INJECT_PORT], keys, (uint16_t)n, 0, true);
		}
		/* the host's own frames: nothing to learn from a port they never came in on */
		n = inject_parse(pl, by_kind[EVS_INJECT_LDP], keys, cnt[EVS_INJECT_LDP], true);
		if (n != 0) {
			ctr_add(&pl->st.packets, n);
			run_chunk(pl, st, by_kind[EVS_INJECT_LDP], keys, (uint16_t)n, 0, false);
		}
	}
	return done;
}
