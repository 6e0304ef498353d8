/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The load balancer's opcodes, the only per-packet code of the module.
 * lb(vip): one conntrack pass (NAT, commit) over the run; packets of known
 * connections follow their entries; conntrack asks choose() for the
 * backend and translation of each connection it creates (a second packet
 * of the same new connection in the burst finds the entry the first one
 * created); then the packets go to their backends' next pass, hinted.
 * lb_reply: the lookup only.
 */
#include <netinet/in.h>
#include <string.h>

#include <rte_common.h>
#include <rte_hash_crc.h>

#include "lb_private.h"

/* Fixed forever: every host must pick the same backend for a flow. */
#define LB_HASH_SEED 0x4c42u
#define LB_EXPIRE_STEP 32

/* CRC32C (SSE4.2, or DPDK's table fallback: the same value everywhere),
 * a sixth of jhash's instructions on a new connection's path. Words go in
 * by value: rte_hash_crc() would read our stores through another type.
 * CRC is linear (flows that differ in a few bits map to a small subspace
 * of values): MurmurHash3's finalizer mixes every input bit into every
 * output bit, for 5 instructions. */
static uint32_t crc_words(const uint64_t *w, unsigned int n)
{
	uint32_t h = LB_HASH_SEED;

	for (unsigned int i = 0; i < n; i++)
		h = rte_hash_crc_8byte(w[i], h);
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	return h ^ (h >> 16);
}

uint32_t evs_lb_flow_hash(const struct evs_flow_key *k)
{
	uint64_t w[5];

	memcpy(w, k->src_ip, 16);
	memcpy(w + 2, k->dst_ip, 16);
	w[4] = (uint64_t)k->ip_proto << 32 | (uint32_t)k->l4_src << 16 | k->l4_dst;
	return crc_words(w, RTE_DIM(w));
}

uint32_t evs_lb_src_hash(const struct evs_flow_key *k)
{
	uint64_t w[2];

	memcpy(w, k->src_ip, 16);
	return crc_words(w, RTE_DIM(w));
}

/* Fewest connections per weight; ties go round from a hash of the flow so
 * that a burst of new connections does not all land on the first one. */
static uint32_t least_conn(const struct evs_lb_dp *dp, const struct evs_lb_dp_vip *v,
			   const struct evs_ct *ct, const struct evs_flow_key *k)
{
	uint32_t best = EVS_MAGLEV_NONE, i, start;
	uint64_t bc = 0, bw = 1;

	if (v->n_active == 0)
		return EVS_MAGLEV_NONE;
	start = evs_lb_flow_hash(k) % v->n_active;
	for (i = 0; i < v->n_active; i++) {
		uint16_t id = dp->active[v->active_off + (start + i) % v->n_active];
		uint64_t c = evs_ct_backend_count(ct, id), w = dp->backend[id].weight;

		if (best == EVS_MAGLEV_NONE || c * bw < bc * w) {
			best = id;
			bc = c;
			bw = w;
		}
	}
	return best;
}

/*
 * Affinity word: source hash (32) | backend id (16) | seconds mod 2^16 (16),
 * in 8-way buckets of one cache line: a client is evicted only by eight
 * others of its bucket more recent than it.
 */
#define AFF_WAYS 8

static uint16_t age_of(uint64_t w, uint16_t now_s)
{
	return (uint16_t)(now_s - (uint16_t)w);
}

static uint32_t affinity(const struct evs_lb_dp *dp, const struct evs_lb_dp_vip *v,
			 const struct evs_flow_key *k, uint64_t now_ms, bool remember, bool *affine)
{
	uint32_t h = evs_lb_src_hash(k), id = EVS_MAGLEV_NONE, i, victim = 0;
	uint64_t *bucket = &v->affinity[(h % (EVS_LB_AFFINITY_SLOTS / AFF_WAYS)) * AFF_WAYS];
	uint16_t now_s = (uint16_t)(now_ms / 1000), oldest = 0;

	for (i = 0; i < AFF_WAYS; i++) {
		/* relaxed: one word is the whole record, so it is never torn; a
		 * race between two lcores only picks whose client keeps the way */
		uint64_t w = __atomic_load_n(&bucket[i], __ATOMIC_RELAXED);
		uint16_t age = age_of(w, now_s);

		if (w != 0 && (uint32_t)(w >> 32) == h) {
			uint32_t b = (uint32_t)(w >> 16) & UINT16_MAX;

			victim = i;
			if (age < v->affinity_s && b < EVS_LB_IDS &&
			    dp->backend[b].vip == (uint16_t)(v - dp->vip) &&
			    dp->backend[b].state == EVS_LB_BE_ACTIVE) {
				id = b;
				*affine = true;
			}
			break;
		}
		if (w == 0 || age >= v->affinity_s)
			age = UINT16_MAX; /* free: the best victim */
		if (age >= oldest) {
			oldest = age;
			victim = i;
		}
	}
	if (id == EVS_MAGLEV_NONE) {
		id = evs_maglev_lookup(v->maglev, h);
		if (id == EVS_MAGLEV_NONE || id >= EVS_LB_IDS)
			return EVS_MAGLEV_NONE;
	}
	if (remember)
		__atomic_store_n(&bucket[victim], (uint64_t)h << 32 | (uint64_t)id << 16 | now_s,
				 __ATOMIC_RELAXED);
	return id;
}

uint32_t lb_pick(const struct evs_lb_dp *dp, const struct evs_lb_dp_vip *v, const struct evs_ct *ct,
		 const struct evs_flow_key *k, uint64_t now_ms, bool remember, bool *affine)
{
	*affine = false;
	switch (v->algo) {
	case EVS_LB_ALGO_LEAST_CONN:
		return least_conn(dp, v, ct, k);
	case EVS_LB_ALGO_SOURCE_IP:
		if (v->affinity != NULL)
			return affinity(dp, v, k, now_ms, remember, affine);
		return evs_maglev_lookup(v->maglev, evs_lb_src_hash(k));
	default:
		return evs_maglev_lookup(v->maglev, evs_lb_flow_hash(k));
	}
}

static const struct evs_lb_dp *dp_of(const struct evs_exec *x)
{
	const struct evs_lb_state *s = evs_exec_state(x);

	/* acquire: pairs with the release store of the publish */
	return s != NULL ? __atomic_load_n(&s->cur, __ATOMIC_ACQUIRE) : NULL;
}

/* Per backend only (every loop of the opcodes counts through it); the
 * VIP's share is counted once per burst by vip_exec, per packet by count(). */
static inline uint32_t count_be(struct lb_lcore *ll, size_t id, const struct rte_mbuf *m)
{
	struct evs_lb_counts *c = &ll->be[id];
	uint32_t len = rte_pktmbuf_pkt_len(m);

#ifdef RTE_ARCH_X86_64
	/* two adds to memory: gcc's SLP pass makes the C a vector add of six
	 * instructions (a load, two inserts, the add, a store) */
	__asm__("addq $1, %0\n\taddq %2, %1"
		: "+m"(c->packets), "+m"(c->bytes)
		: "r"((uint64_t)len));
#else
	c->packets++;
	c->bytes += len;
#endif
	return len;
}

static void count(struct lb_lcore *ll, const struct evs_lb_dp *dp, uint32_t id,
		  const struct rte_mbuf *m)
{
	const struct evs_lb_dp_backend *b = &dp->backend[id];
	uint32_t len = count_be(ll, id, m);

	if (b->vip < EVS_LB_VIPS) {
		ll->vip[b->vip].packets++;
		ll->vip[b->vip].bytes += len;
	}
}

enum { TCP_SYN = 0x02, TCP_RST = 0x04 };

/* A SYN again on a connection that had no answer yet: the backend may be
 * gone (a passive signal). The protocol first: cheapest for UDP. */
static inline bool syn_again(const struct evs_flow_key *k, uint8_t st)
{
	return k->ip_proto == IPPROTO_TCP && (k->tcp_flags & TCP_SYN) && (st & EVS_CT_NEW);
}

static void passive(struct lb_lcore *ll, uint32_t id)
{
	ll->counters[EVS_LB_C_PASSIVE]++;
	/* single writer; relaxed so the management lcore's reads are not torn */
	__atomic_store_n(&ll->passive[id], ll->passive[id] + 1, __ATOMIC_RELAXED);
}

/* What conntrack's commit asks the LB for, per packet of a chunk. */
struct pick_ctx {
	const struct evs_lb_dp *dp;
	const struct evs_lb_dp_vip *v;
	const struct evs_ct *ct;
	uint64_t now;
	uint64_t tried;	 /* bit i: packet i was to be committed (a pick was made) */
	uint64_t none;	 /* bit i: no backend in the table for it */
	uint64_t affine; /* bit i: the affinity table decided */
};

_Static_assert(EVS_CT_BURST_MAX <= 64, "pick_ctx bitmaps");

/* conntrack is creating packet @i's connection: pick its backend and say
 * how to translate (DNAT to it; SNAT too for one-arm; nothing for DSR). */
static bool choose(void *arg, uint16_t i, const struct evs_flow_key *k,
		   struct evs_ct_nat_range *nat, uint16_t *backend)
{
	struct pick_ctx *c = arg;
	const struct evs_lb_dp_vip *v = c->v;
	const struct evs_lb_dp_backend *b;
	bool affine = false;
	uint32_t id;

	/* Maglev (the default) inline: lb_pick's frame is the other algorithms' */
	if (likely(v->algo == EVS_LB_ALGO_MAGLEV))
		id = evs_maglev_lookup(v->maglev, evs_lb_flow_hash(k));
	else
		id = lb_pick(c->dp, v, c->ct, k, c->now, true, &affine);

	c->tried |= 1ull << i;
	if (id == EVS_MAGLEV_NONE || id >= EVS_LB_IDS) {
		c->none |= 1ull << i;
		return false;
	}
	c->affine |= (uint64_t)affine << i;
	*backend = (uint16_t)id;
	if (v->dsr) /* no translation: the frame keeps the VIP */
		return true;
	b = &c->dp->backend[id];
	nat->kind = v->snat ? EVS_CT_NAT_FULL : EVS_CT_NAT_DST;
	nat->v6 = b->v6;
	nat->port_min = nat->port_max = b->port;
	memcpy(nat->addr_min, b->addr, 16);
	memcpy(nat->addr_max, b->addr, 16);
	if (v->snat) /* one-arm: the backend answers the switch, on a port it picks */
		memcpy(nat->snat_addr, v->snat_addr, 16);
	return true;
}

/* Does the packet (ct_state @st, entry backend @id) belong to a committed
 * connection of the LB? NATed ones say so by the translation; DSR ones
 * (untranslated) by the backend in their entry. */
static inline bool committed(const struct evs_lb_dp_vip *v, uint8_t st, uint32_t id)
{
	if (v->dsr)
		return !(st & EVS_CT_INVALID) && id != 0 && id < EVS_LB_IDS;
	return (st & EVS_CT_DNAT) != 0;
}

/*
 * The hint of a packet's next pass. That pass classifies alike per backend
 * (its megaflow consults the translated destination, not the client's
 * address or port) and per client port (L2 consults in_port): one hint per
 * (backend, in_port), hashed into the lcore's LB_HINTS hints, so clients
 * on several vNICs do not take turns at one backend's hint (each burst's
 * first packet per backend classified, twice: to learn, then to run). A
 * collision only costs a lookup: a hint is used only if the key matches.
 */
static inline uint16_t hint_slot(uint32_t id, uint16_t in_port)
{
	_Static_assert((LB_HINTS & (LB_HINTS - 1)) == 0, "a power of two");
	return (uint16_t)((id + in_port * 0x9e3779b1u) & (LB_HINTS - 1));
}

/* A packet of a connection conntrack translated, with a backend of ours
 * and not an unanswered SYN again (a passive signal): the usual one. */
static inline bool usual(const struct evs_flow_key *k, uint32_t id)
{
	uint8_t st = k->ct_state;

	return (st & (EVS_CT_INVALID | EVS_CT_DNAT)) == EVS_CT_DNAT && id - 1 < EVS_LB_IDS - 1 &&
	       !syn_again(k, st);
}

/* What established() leaves for next_pass(): the leading packets, if all
 * the usual ones matched one live hint (their next pass needs no other
 * check), and the hint slots of the others. */
struct est {
	struct evs_hint_run run;
	uint16_t n_run; /* pkts[0..n_run) matched run */
	uint64_t run_bytes;
	uint16_t slot[EVS_CLS_BURST_MAX]; /* from n_run on: slot[i] for keys[i] */
};

/*
 * The run of established(): packets from @i on while their keys match run
 * @r (narrowed by established() to usual states) on the pairs @pairs (a
 * constant: the loop unrolls to them) and their backend id is in range. Only the
 * key decides: a key that matches the megaflow's mask and value classifies
 * to it whatever its own hint slot names (the slot is for the hinted
 * pass). @return where it stopped.
 */
static __rte_always_inline uint16_t run_of(struct lb_lcore *ll, struct rte_mbuf **pkts,
					   struct evs_flow_key *keys,
					   const struct evs_ct_meta *meta,
					   const struct evs_hint_run *r, uint16_t i, uint16_t n,
					   uint64_t *bytes, uint32_t pairs)
{
	uint64_t b = *bytes;
	unsigned int j = i; /* (a uint16_t would be copied each time) */
	uint16_t rid = EVS_LB_RECIRC;

	__asm__("" : "+r"(rid)); /* a register: gcc sets it again per packet */

	for (; j < n; j++) {
		/* id - 1, in range: the count's address from it (no copy) */
		size_t id1 = (uint32_t)meta[j].backend - 1u;

		if (id1 >= EVS_LB_IDS - 1 || !evs_exec_hint_match_pairs(r, &keys[j], pairs))
			break;
		keys[j].recirc_id = rid; /* after its compare */
		b += count_be(ll, id1 + 1, pkts[j]);
	}
	*bytes = b;
	return (uint16_t)j;
}

/*
 * usual() of the packets of a run, folded into its compare (pairs 0 and 1,
 * which a routed megaflow consults anyway): ct_state translated and not
 * invalid; the protocol of the first (a VIP's: UDP or TCP), so that a UDP
 * run needs no SYN check; a TCP one takes no SYN (any SYN ends it: rare
 * past the handshake). False if @r cannot take it (the caller goes by
 * slots). Constants: no key to build per burst.
 */
static const struct evs_flow_key narrow_m[2] = {
    {.ip_proto = UINT8_MAX, .ct_state = EVS_CT_INVALID | EVS_CT_DNAT},
    {.ip_proto = UINT8_MAX, .tcp_flags = TCP_SYN, .ct_state = EVS_CT_INVALID | EVS_CT_DNAT},
};
static const struct evs_flow_key narrow_v[2] = {
    {.ip_proto = IPPROTO_UDP, .ct_state = EVS_CT_DNAT},
    {.ip_proto = IPPROTO_TCP, .ct_state = EVS_CT_DNAT}, /* tcp_flags: no SYN */
};

static inline bool run_narrow(struct evs_hint_run *r, const struct evs_flow_key *k0)
{
	if (k0->ip_proto == IPPROTO_UDP)
		return evs_exec_hint_narrow(r, &narrow_m[0], &narrow_v[0]);
	if (k0->ip_proto == IPPROTO_TCP)
		return evs_exec_hint_narrow(r, &narrow_m[1], &narrow_v[1]);
	return false;
}

/*
 * The usual packets, first in the burst (nothing committed or dropped
 * before them): counted per backend and hinted in one tight loop. While
 * their keys match the megaflow the first one's hint names (the usual
 * case: one routed megaflow for the VIP's backends) they are checked for
 * the next pass here, in the same loop, as evs_exec_recirculate_hinted
 * would (recirc_id set after each compare, which takes it as the next
 * pass's), and they become one run (e->n_run); once one does not, none
 * (the hinted pass groups them by megaflow) and the rest only get their
 * slots; then the next LB_RUN_BACKOFF bursts do not try (backends with
 * distinct next hops have a megaflow each: a run would end at once). A
 * TCP SYN ends the run where it is, the rest by slots.
 * @return how many of the first @n were usual; the caller takes the rest
 * the general way.
 */
static inline uint16_t established(struct lb_lcore *ll, struct rte_mbuf **pkts,
				   struct evs_flow_key *keys, struct est *e, uint16_t n,
				   uint64_t *vbytes)
{
	/* n <= the chunk: meta[i] is evs_ct_burst_meta(ll->lc, i) */
	const struct evs_ct_meta *meta = evs_ct_burst_meta(ll->lc, 0);
	struct evs_hint_run r; /* a local: its pairs stay in registers */
	uint64_t bytes = 0;
	uint32_t id, s, p;
	uint16_t i = 0;

	e->n_run = 0;
	if (n == 0 || !usual(&keys[0], id = meta[0].backend))
		goto out;
	/* the first: the run's hint */
	bytes = count_be(ll, id, pkts[0]);
	s = hint_slot(id, keys[0].in_port);
	i = 1;
	if (ll->run_skip != 0) { /* the last try failed: not yet again */
		ll->run_skip--;
		e->slot[0] = (uint16_t)s;
		goto rest;
	}
	if (!evs_exec_hint_begin(&ll->hint[s], EVS_LB_RECIRC, &r) ||
	    !evs_exec_hint_match(&r, &keys[0]) || !run_narrow(&r, &keys[0])) {
		e->slot[0] = (uint16_t)s;
		goto rest;
	}
	keys[0].recirc_id = EVS_LB_RECIRC; /* after its compare (see evs_recirc_hint_load) */
	/* pairs 0 and 1 are narrowed; 2 (the source address) and 3 (the
	 * destination) only where the megaflow consults them (L3's does) */
	p = evs_exec_hint_pairs(&r);
	if ((p & ~0x3u) == 0)
		i = run_of(ll, pkts, keys, meta, &r, i, n, &bytes, 0x3);
	else if ((p & ~0xbu) == 0)
		i = run_of(ll, pkts, keys, meta, &r, i, n, &bytes, 0xb);
	else
		i = run_of(ll, pkts, keys, meta, &r, i, n, &bytes, 0xf);
	if (i < n && usual(&keys[i], meta[i].backend) && !(keys[i].tcp_flags & TCP_SYN)) {
		/* not one run (a key its megaflow does not match: another
		 * backend's route, say): all by their slots, grouped there */
		for (uint16_t k = 0; k < i; k++)
			e->slot[k] = hint_slot(meta[k].backend, keys[k].in_port);
		ll->run_skip = LB_RUN_BACKOFF;
		goto rest;
	}
	/* every usual one matched (the others are new connections or drops),
	 * or up to a usual TCP SYN (the rest by their slots) */
	e->n_run = i;
	e->run_bytes = bytes;
	evs_exec_hint_keep(&e->run, &r);
rest:
	for (; i < n; i++) {
		id = meta[i].backend;
		if (!usual(&keys[i], id))
			break;
		bytes += count_be(ll, id, pkts[i]);
		e->slot[i] = hint_slot(id, keys[i].in_port);
	}
out:
	ll->counters[EVS_LB_C_HIT] += i;
	*vbytes += bytes;
	return i;
}

/* The translated packets to their backends' next pass: those established()
 * matched to a live hint at once; the others by the megaflow each (backend,
 * client port) matched last (evs_exec_recirculate_hinted: no lookup while
 * it is live and the key matches it; it groups the burst by those
 * megaflows when they differ). Counted by how they went. */
static void next_pass(struct evs_exec *x, struct lb_lcore *ll, struct rte_mbuf **pkts,
		      struct evs_flow_key *keys, const struct est *e, uint16_t n)
{
	uint16_t r = e->n_run, direct = 0;

	if (r != 0)
		direct = evs_exec_hint_run(x, EVS_LB_RECIRC, &e->run, pkts, keys, r, e->run_bytes);
	/* more than a classifier burst or traced: plain recirculation
	 * (re-parsed if traced); none left (the usual burst): no call */
	if (n > r)
		direct += evs_exec_recirculate_hinted(x, EVS_LB_RECIRC, pkts + r, keys + r,
						      (uint16_t)(n - r), ll->hint, e->slot + r);
	if (evs_exec_tracing(x))
		return;
	ll->counters[EVS_LB_C_NEXT_DIRECT] += direct;
	ll->counters[EVS_LB_C_NEXT_CLASSIFIED] += (uint16_t)(n - direct);
}

static uint16_t vip_exec(struct evs_exec *x, const void *arg, struct rte_mbuf **pkts,
			 struct evs_flow_key *keys, uint16_t n)
{
	const struct evs_lb_op_arg *a = arg;
	const struct evs_lb_state *s = evs_exec_state(x);
	const struct evs_lb_dp *dp = dp_of(x);
	struct lb_lcore *ll = evs_exec_lcore(x);
	bool tracing = evs_exec_tracing(x);
	uint64_t now = evs_ct_now_ms();
	struct pick_ctx pc = {.dp = dp, .ct = s != NULL ? s->ct : NULL, .now = now};
	/* one pass: known connections are translated, new ones committed with
	 * the backend choose() picks (only looked up under flow.trace) */
	struct evs_ct_action act = {.zone = a->zone,
				    .flags =
					tracing ? EVS_CT_F_NAT : EVS_CT_F_NAT | EVS_CT_F_COMMIT,
				    .choose = tracing ? NULL : choose,
				    .choose_arg = &pc};
	const struct evs_lb_dp_vip *v;
	uint16_t done, chunk, i, out = 0;
	struct est e;
	uint64_t vbytes = 0, vpkts = 0;

	if (dp == NULL || a->vip >= dp->n_vips || !dp->vip[a->vip].used) {
		evs_exec_drop(x, EVS_LB_DROP_VIP_GONE, pkts, n);
		return 0;
	}
	e.n_run = 0;
	v = pc.v = &dp->vip[a->vip];
	if (v->dsr) /* only this direction passes here: TCP from the client's flags */
		act.flags |= EVS_CT_F_ONEWAY;
	if (!v->dsr && !v->snat && dp->tpl != NULL) {
		/* plain DNAT: each backend's rewrite is precomputed (lb_dp.c),
		 * so conntrack reads no reply key for these packets */
		act.nat_tpl = dp->tpl;
		act.n_nat_tpl = EVS_LB_IDS;
	}
	evs_ct_lcore_set_now(ll->lc, now);
	lb_prefetch_note(ll, a->zone, n);
	for (done = 0; done < n; done += chunk) {
		chunk = (uint16_t)RTE_MIN(n - done, EVS_CT_BURST_MAX);
		pc.tried = pc.none = pc.affine = 0;
		evs_ct_execute_burst(ll->lc, &act, &pkts[done], &keys[done], chunk);
		i = 0;
		if (likely(!tracing && !v->dsr && done == 0 && chunk <= EVS_CLS_BURST_MAX)) {
			/* up to the first new connection (a burst is one chunk:
			 * a pass runs at most EVS_CLS_BURST_MAX packets) */
			i = established(ll, pkts, keys, &e,
					pc.tried != 0 ? (uint16_t)__builtin_ctzll(pc.tried) : chunk,
					&vbytes);
			vpkts += i;
			out = (uint16_t)(out + i);
		}
		for (; i < chunk; i++) {
			uint16_t j = done + i;
			uint8_t st = keys[j].ct_state;
			uint32_t id = evs_ct_burst_meta(ll->lc, i)->backend;
			bool tried = (pc.tried >> i) & 1;

			if (st & EVS_CT_INVALID) {
				/* a commit conntrack refused, or no connection to continue */
				evs_exec_drop(x, tried ? EVS_LB_DROP_REFUSED : EVS_LB_DROP_INVALID,
					      &pkts[j], 1);
				continue;
			}
			if (!committed(v, st, id) && !tracing) {
				/* no backend; or an entry of the VIP's other form (dsr
				 * changed): refused until it expires */
				evs_exec_drop(x,
					      (pc.none >> i) & 1 ? EVS_LB_DROP_NO_BACKEND
								 : EVS_LB_DROP_REFUSED,
					      &pkts[j], 1);
				continue;
			}
			if (tried && !tracing) {
				if ((pc.affine >> i) & 1)
					ll->counters[EVS_LB_C_AFFINITY]++;
				ll->counters[EVS_LB_C_NEW]++;
				ll->be[id].conns++;
				ll->vip[a->vip].conns++;
			} else {
				ll->counters[EVS_LB_C_HIT]++;
				if (syn_again(&keys[j], st) && id < EVS_LB_IDS && !tracing)
					passive(ll, id);
			}
			if (id != 0 && id < EVS_LB_IDS && !tracing) {
				vbytes += count_be(ll, id, pkts[j]);
				vpkts++;
			}
			/* DSR: routed to the backend, the frame keeping the VIP (the
			 * key alone names the backend: next hop, not destination) */
			if (v->dsr && id != 0 && id < EVS_LB_IDS)
				memcpy(keys[j].dst_ip, dp->backend[id].addr, v->v6 ? 16 : 4);
			if (out != j) {
				pkts[out] = pkts[j];
				keys[out] = keys[j];
			}
			if (out < EVS_CLS_BURST_MAX) /* more: plain recirculation */
				e.slot[out] = hint_slot(id < EVS_LB_IDS ? id : 0, keys[j].in_port);
			out++;
		}
	}
	/* the VIP's share once: every packet here came through VIP a->vip */
	ll->vip[a->vip].packets += vpkts;
	ll->vip[a->vip].bytes += vbytes;
	evs_ct_expire(ll->lc, LB_EXPIRE_STEP);
	/* ct rewrote frames and keys alike (but a DSR key's destination, on
	 * purpose): classified again without a re-parse */
	next_pass(x, ll, pkts, keys, &e, out);
	return 0;
}

static uint16_t reply_exec(struct evs_exec *x, const void *arg, struct rte_mbuf **pkts,
			   struct evs_flow_key *keys, uint16_t n)
{
	const struct evs_lb_op_arg *a = arg;
	const struct evs_lb_dp *dp = dp_of(x);
	struct lb_lcore *ll = evs_exec_lcore(x);
	struct evs_ct_action look = {.zone = a->zone, .flags = EVS_CT_F_NAT};
	uint16_t done, chunk, i;

	evs_ct_lcore_set_now(ll->lc, evs_ct_now_ms());
	lb_prefetch_note(ll, a->zone, n);
	for (done = 0; done < n; done += chunk) {
		chunk = (uint16_t)RTE_MIN(n - done, EVS_CT_BURST_MAX);
		evs_ct_execute_burst(ll->lc, &look, &pkts[done], &keys[done], chunk);
		for (i = 0; i < chunk; i++) {
			uint32_t id = evs_ct_burst_meta(ll->lc, i)->backend;

			/* not ours (or not a reply): passes untouched */
			if (!(keys[done + i].ct_state & EVS_CT_REPLY) || id == 0 ||
			    id >= EVS_LB_IDS || dp == NULL || evs_exec_tracing(x))
				continue;
			ll->counters[EVS_LB_C_REPLY]++;
			count(ll, dp, id, pkts[done + i]);
			if (keys[done + i].ip_proto == IPPROTO_TCP &&
			    (keys[done + i].tcp_flags & TCP_RST))
				passive(ll, id);
		}
	}
	evs_ct_expire(ll->lc, LB_EXPIRE_STEP);
	if (a->recirc == 0)
		return n;
	/* un-NATed replies to an SNAT address: routed again to the client */
	evs_exec_recirculate(x, a->recirc, pkts, keys, n);
	return 0;
}

static int op_format(const void *arg, char *buf, size_t len)
{
	const struct evs_lb_op_arg *a = arg;

	if (a->vip == UINT16_MAX && a->recirc != 0)
		return snprintf(buf, len, "zone=%u,recirc=%#x", a->zone, a->recirc);
	if (a->vip == UINT16_MAX)
		return snprintf(buf, len, "zone=%u", a->zone);
	return snprintf(buf, len, "vip=%u,zone=%u,recirc=%#x", a->vip, a->zone, EVS_LB_RECIRC);
}

const struct evs_opcode lb_opcodes[EVS_LB_OP_MAX] = {
    [EVS_LB_OP_VIP] = {"lb", sizeof(struct evs_lb_op_arg), vip_exec, op_format},
    [EVS_LB_OP_REPLY] = {"lb_reply", sizeof(struct evs_lb_op_arg), reply_exec, op_format},
};
