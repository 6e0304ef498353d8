/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The forwarding stage (PMD lcores): per chunk of up to 32 frames, resolve
 * the ingress switch from the conf arrays, look up every source and
 * destination {switch, MAC} in one rte_hash bulk call, then learn, decide
 * and execute. Nothing here locks, allocates (but flood copies) or logs.
 */
#include <rte_branch_prediction.h>
#include <rte_prefetch.h>

#include "l2_private.h"

/* Lookup results for one chunk. */
struct chunk {
	uint16_t sw[L2_BURST];	  /* dense switch index, EVS_L2_NONE when dropped */
	uint8_t reason[L2_BURST]; /* drop reason when sw is EVS_L2_NONE */
	int8_t src[L2_BURST];	  /* slot of the source key, -1 if none */
	int8_t dst[L2_BURST];	  /* slot of the destination key, -1 if none */
	uint64_t hits;
	uint64_t kbuf[2 * L2_BURST];
	const void *kptr[2 * L2_BURST];
	void *data[2 * L2_BURST];
};

static inline bool hit(const struct chunk *c, int slot)
{
	return slot >= 0 && (c->hits >> slot) & 1;
}

static inline uint32_t filter_slot(uint64_t key)
{
	return (uint32_t)((key * 0x9e3779b97f4a7c15ull) >> 58); /* top 6 bits */
}

/* True if @lc confirmed @key on @port this second: learning has nothing to do. */
static inline bool fresh(const struct evs_l2_lcore *lc, uint64_t key, uint16_t port, uint32_t gen)
{
	const struct learn_filter *f = &lc->fresh[filter_slot(key)];

	return f->key == key && f->port == port && f->time == lc->now && f->gen == gen;
}

/* Same input port, tag, datapath and source MAC: the same learning outcome
 * (branch-free: it runs on every frame). */
static inline bool same_source(const struct evs_flow_key *a, const struct evs_flow_key *b)
{
	uint32_t pa, pb, ma, mb;
	uint16_t sa, sb;

	RTE_BUILD_BUG_ON(offsetof(struct evs_flow_key, vlan_tci) !=
			 offsetof(struct evs_flow_key, in_port) + 2);
	memcpy(&pa, &a->in_port, 4); /* in_port and vlan_tci */
	memcpy(&pb, &b->in_port, 4);
	memcpy(&ma, &a->src_mac, 4);
	memcpy(&mb, &b->src_mac, 4);
	memcpy(&sa, &a->src_mac.addr_bytes[4], 2);
	memcpy(&sb, &b->src_mac.addr_bytes[4], 2);
	return ((pa ^ pb) | (ma ^ mb) | (uint32_t)(sa ^ sb) | (uint32_t)(a->ldp ^ b->ldp)) == 0;
}

static void lookup(const struct evs_l2_conf *conf, const struct evs_l2_macs *macs,
		   const struct evs_l2_lcore *lc, const struct evs_flow_key *keys, uint16_t n,
		   bool want_src, bool want_dst, struct chunk *c)
{
	/* relaxed: a stale value only makes a fresh entry trusted one burst longer */
	uint32_t gen = __atomic_load_n(&macs->del_gen, __ATOMIC_RELAXED);
	unsigned int nk = 0;
	uint16_t i;

	for (i = 0; i < n; i++) {
		const struct evs_flow_key *k = &keys[i];
		enum evs_l2_drop why;
		uint16_t sw, id;

		c->src[i] = -1;
		c->dst[i] = -1;
		/* a frame a router handed back is switched in that datapath */
		if (k->ldp != 0) {
			sw = evs_l2_conf_switch_index(conf, (uint16_t)(k->ldp - 1));
			why = EVS_L2_DROP_NO_SWITCH;
		} else {
			sw = evs_l2_ingress_switch(conf, k->in_port, k->vlan_tci, &why);
		}
		if (unlikely(sw == EVS_L2_NONE)) {
			c->sw[i] = EVS_L2_NONE;
			c->reason[i] = why;
			continue;
		}
		if (unlikely(rte_is_multicast_ether_addr(&k->src_mac))) {
			c->sw[i] = EVS_L2_NONE;
			c->reason[i] = EVS_L2_DROP_SRC_MAC_MCAST;
			continue;
		}
		if (unlikely(rte_is_zero_ether_addr(&k->src_mac))) {
			c->sw[i] = EVS_L2_NONE;
			c->reason[i] = EVS_L2_DROP_SRC_MAC_ZERO;
			continue;
		}
		if (unlikely(evs_l2_is_link_local(&k->dst_mac))) {
			c->sw[i] = EVS_L2_NONE;
			c->reason[i] = EVS_L2_DROP_LINK_LOCAL;
			continue;
		}
		c->sw[i] = sw;
		id = conf->switches[sw].id;
		if (want_src) {
			c->kbuf[nk] = mac_key(id, &k->src_mac);
			if (!fresh(lc, c->kbuf[nk], k->in_port, gen)) {
				c->kptr[nk] = &c->kbuf[nk];
				c->src[i] = nk++;
			}
		}
		if (want_dst && !rte_is_multicast_ether_addr(&k->dst_mac)) {
			c->kbuf[nk] = mac_key(id, &k->dst_mac);
			c->kptr[nk] = &c->kbuf[nk];
			c->dst[i] = nk++;
		}
	}
	c->hits = 0;
	if (nk > 0)
		rte_hash_lookup_bulk_data(macs->h, c->kptr, nk, &c->hits, c->data);
}

static void learn(struct evs_l2_macs *macs, struct evs_l2_lcore *lc,
		  const struct evs_flow_key *keys, uint16_t n, const struct chunk *c)
{
	struct learn_ev ev[L2_BURST];
	uint32_t slot_of[L2_BURST];
	/* relaxed: only decides whether a filter hit is still trusted */
	uint32_t gen = __atomic_load_n(&macs->del_gen, __ATOMIC_RELAXED);
	uint32_t now = lc->now;
	unsigned int nev = 0, sent, refreshed = 0;
	uint16_t i;

	for (i = 0; i < n; i++) {
		int s = c->src[i];

		if (s >= 0 && hit(c, s) && mac_data_port(c->data[s]) == keys[i].in_port)
			rte_prefetch0(&macs->entries[mac_data_idx(c->data[s])]);
	}
	for (i = 0; i < n; i++) {
		int s = c->src[i];
		uint16_t port = keys[i].in_port;
		struct learn_filter *f;

		if (s < 0)
			continue;
		if (hit(c, s)) {
			const void *d = c->data[s];

			if (mac_data_static(d) || mac_data_port(d) == port) {
				struct mac_entry *e = &macs->entries[mac_data_idx(d)];

				/* store only when the second changed: no line bouncing
				 * between lcores that see the same source. Relaxed: the
				 * writer only needs some recent value (see doc/l2.md).
				 * Static entries are never aged nor moved by learning. */
				if (!mac_data_static(d) &&
				    __atomic_load_n(&e->last_seen, __ATOMIC_RELAXED) != now) {
					__atomic_store_n(&e->last_seen, now, __ATOMIC_RELAXED);
					refreshed++;
				}
				f = &lc->fresh[filter_slot(c->kbuf[s])];
				f->key = c->kbuf[s];
				f->port = port;
				f->time = now;
				f->gen = gen;
				continue;
			}
		}
		f = &lc->filter[filter_slot(c->kbuf[s])];
		if (f->key == c->kbuf[s] && f->port == port && f->time == now && f->gen == gen)
			continue;
		f->key = c->kbuf[s];
		f->port = port;
		f->time = now;
		f->gen = gen;
		slot_of[nev] = filter_slot(c->kbuf[s]);
		ev[nev].key = c->kbuf[s];
		ev[nev].port = port;
		nev++;
	}
	if (refreshed)
		cnt_add(&lc->st.refreshed, refreshed);
	if (nev == 0)
		return;
	sent = rte_ring_mp_enqueue_burst_elem(macs->ring, ev, sizeof(ev[0]), nev, NULL);
	if (sent)
		cnt_add(&lc->st.learn_events, sent);
	if (unlikely(sent < nev)) {
		cnt_add(&lc->st.drops[EVS_L2_DROP_LEARN_FULL], nev - sent);
		/* let the lost ones be reported again */
		for (i = sent; i < nev; i++)
			lc->filter[slot_of[i]].time = now - 1;
	}
}

static void decide(const struct evs_l2_conf *conf, struct evs_l2_lcore *lc,
		   const struct evs_flow_key *keys, uint16_t n, const struct chunk *c,
		   struct evs_l2_action *acts)
{
	uint16_t i;

	for (i = 0; i < n; i++) {
		struct evs_l2_action *a = &acts[i];
		uint16_t sw = c->sw[i], port, tci;
		int d = c->dst[i];

		a->sw = sw;
		a->port = EVS_L2_NONE;
		a->tci = 0;
		a->reason = 0;
		if (unlikely(sw == EVS_L2_NONE)) {
			a->type = EVS_L2_ACT_DROP;
			a->reason = c->reason[i];
			continue;
		}
		if (!hit(c, d)) {
			/* broadcast, multicast or unknown unicast */
			a->type = EVS_L2_ACT_FLOOD;
			continue;
		}
		port = mac_data_port(c->data[d]);
		a->port = port;
		/* routed frames may leave by their in-port (another switch on a trunk) */
		if (unlikely(port == keys[i].in_port && keys[i].ldp == 0)) {
			a->type = EVS_L2_ACT_DROP;
			a->reason = EVS_L2_DROP_HAIRPIN;
			continue;
		}
		if (unlikely(!evs_l2_port_usable(conf, port))) {
			a->type = EVS_L2_ACT_DROP;
			a->reason = EVS_L2_DROP_PORT_DOWN;
			continue;
		}
		tci = evs_l2_egress_tci(conf, port, sw);
		if (unlikely(tci == EVS_L2_NONE)) {
			/* stale entry: the port left the switch; aging removes it */
			a->type = EVS_L2_ACT_FLOOD;
			continue;
		}
		a->type = EVS_L2_ACT_UNICAST;
		a->tci = tci;
	}
	cnt_add(&lc->st.rx, n);
}

void evs_l2_learn_burst(const struct evs_l2_conf *conf, struct evs_l2_macs *macs,
			struct evs_l2_lcore *lc, const struct evs_flow_key *keys, uint16_t n)
{
	struct evs_flow_key first[L2_BURST];
	struct chunk c;
	uint16_t i = 0;

	/* Only the first frame of each run from one source can teach anything
	 * (a burst usually comes from one VM): learn from those alone. */
	while (i < n) {
		uint16_t k = 0;

		for (; i < n && k < L2_BURST; i++)
			if (i == 0 || !same_source(&keys[i], &keys[i - 1]))
				first[k++] = keys[i];
		lookup(conf, macs, lc, first, k, true, false, &c);
		learn(macs, lc, first, k, &c);
	}
}

void evs_l2_decide_burst(const struct evs_l2_conf *conf, struct evs_l2_macs *macs,
			 struct evs_l2_lcore *lc, const struct evs_flow_key *keys, uint16_t n,
			 struct evs_l2_action *acts)
{
	struct chunk c;
	uint16_t done, k;

	for (done = 0; done < n; done += k) {
		k = RTE_MIN(n - done, L2_BURST);
		lookup(conf, macs, lc, keys + done, k, false, true, &c);
		decide(conf, lc, keys + done, k, &c, acts + done);
	}
}

/* Flood copies into the caller's output array. */
struct out_sink {
	struct evs_l2_out *out;
	uint16_t n, cap;
};

static bool out_sink(void *arg, struct rte_mbuf *m, uint16_t port)
{
	struct out_sink *o = arg;

	if (o->n == o->cap)
		return false;
	o->out[o->n].m = m;
	o->out[o->n++].port = port;
	return true;
}

uint16_t evs_l2_execute_burst(const struct evs_l2_conf *conf, struct evs_l2_lcore *lc,
			      struct rte_mbuf **pkts, const struct evs_flow_key *keys,
			      const struct evs_l2_action *acts, uint16_t n, struct evs_l2_out *out,
			      uint16_t out_cap)
{
	struct l2_counts cnt;
	uint16_t i, nout = 0;

	memset(&cnt, 0, sizeof(cnt));
	for (i = 0; i < n; i++) {
		const struct evs_l2_action *a = &acts[i];
		struct rte_mbuf *m = pkts[i];

		switch (a->type) {
		case EVS_L2_ACT_UNICAST:
			if (unlikely(nout == out_cap)) {
				rte_pktmbuf_free(m);
				cnt.drops[EVS_L2_DROP_TX_FULL]++;
			} else if (unlikely(evs_packet_vlan_encode(m, keys[i].vlan_tci, a->tci) <
					    0)) {
				rte_pktmbuf_free(m);
				cnt.drops[EVS_L2_DROP_NO_MBUF]++;
			} else {
				out[nout].m = m;
				out[nout].port = a->port;
				nout++;
				cnt.unicast++;
			}
			break;
		case EVS_L2_ACT_FLOOD: {
			struct out_sink o = {.out = out + nout, .cap = out_cap - nout};

			l2_flood(conf, lc->pool, m, &keys[i], a->sw, out_sink, &o, &cnt);
			nout += o.n;
			break;
		}
		default:
			rte_pktmbuf_free(m);
			cnt.drops[a->reason < EVS_L2_DROP_MAX ? a->reason
							      : EVS_L2_DROP_NO_SWITCH]++;
			break;
		}
	}
	l2_counts_flush(lc, &cnt);
	return nout;
}

uint16_t evs_l2_forward_burst(const struct evs_l2_conf *conf, struct evs_l2_macs *macs,
			      struct evs_l2_lcore *lc, struct rte_mbuf **pkts,
			      const struct evs_flow_key *keys, uint16_t n, struct evs_l2_out *out,
			      uint16_t out_cap)
{
	struct evs_l2_action acts[L2_BURST];
	struct chunk c;
	uint16_t done, k, nout = 0;

	for (done = 0; done < n; done += k) {
		k = RTE_MIN(n - done, L2_BURST);
		lookup(conf, macs, lc, keys + done, k, true, true, &c);
		learn(macs, lc, keys + done, k, &c);
		decide(conf, lc, keys + done, k, &c, acts);
		nout += evs_l2_execute_burst(conf, lc, pkts + done, keys + done, acts, k,
					     out + nout, out_cap - nout);
	}
	return nout;
}
