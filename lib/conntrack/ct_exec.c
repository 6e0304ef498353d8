/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The per-packet part: key the burst, look it up in one bulk call, then per
 * packet run the protocol, refresh the expiry, translate and set ct_state.
 * Misses that commit create the connection under the writer lock.
 */
#include <errno.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_prefetch.h>

#include "ct_nat_side.h"
#include "ct_private.h"

/* Expiry classes of the protocols whose timeout is one per state class
 * (not TCP's): their expiry times are computed once per burst. */
enum exp_class {
	EXP_UDP_UNREPLIED,
	EXP_UDP_REPLIED,
	EXP_ICMP,
	EXP_OTHER,
	EXP_TCP_ESTABLISHED, /* hit_tcp()'s: the one TCP state it keeps */
	EXP_N,
};

struct burst_ctx {
	struct evs_ct_lcore *lc;
	const struct evs_ct_action *act;
	const struct evs_ct_zone_conf *zc;
	uint64_t exp[EXP_N]; /* ct_expiry(now, the class's timeout) */
	bool lockless;	     /* the action changes no mark or label */
};

static void burst_expiries(struct burst_ctx *b)
{
	const struct evs_ct_timeouts *t = &b->zc->timeouts;
	uint64_t now = b->lc->now;

	b->exp[EXP_UDP_UNREPLIED] = ct_expiry(now, t->udp_unreplied);
	b->exp[EXP_UDP_REPLIED] = ct_expiry(now, t->udp_replied);
	b->exp[EXP_ICMP] = ct_expiry(now, t->icmp);
	b->exp[EXP_OTHER] = ct_expiry(now, t->other);
	b->exp[EXP_TCP_ESTABLISHED] = ct_expiry(now, t->tcp_established);
}

static void set_meta(struct evs_ct_meta *meta, const struct ct_entry *e)
{
	meta->mark = e->mark;
	meta->backend = e->backend;
}

static void apply_mark_label(struct ct_entry *e, const struct evs_ct_action *act)
{
	unsigned int i;

	if (!(act->flags & EVS_CT_F_COMMIT))
		return; /* only a commit changes the connection */
	if (act->flags & EVS_CT_F_SET_MARK)
		e->mark = (e->mark & ~act->mark_mask) | (act->mark & act->mark_mask);
	if (act->flags & EVS_CT_F_SET_LABEL)
		for (i = 0; i < 16; i++)
			e->label[i] = (uint8_t)((e->label[i] & ~act->label_mask[i]) |
						(act->label[i] & act->label_mask[i]));
}

static void refresh(const struct burst_ctx *b, struct ct_entry *e, const struct ct_proto_ops *ops)
{
	uint64_t exp = ct_expiry(b->lc->now, ops->timeout(e, &b->zc->timeouts));

	/* relaxed: a hint for the owner's wheel; a lost race costs one re-file.
	 * Stored only when it changes grain: a store would dirty the entry's
	 * line on every packet, the load reads a line the hit has read. */
	if (atomic_load_explicit(&e->expires, memory_order_relaxed) != exp)
		atomic_store_explicit(&e->expires, exp, memory_order_relaxed);
}

/* Translate if asked and the connection is NATed; the ct_state bits it earns. */
static __rte_always_inline uint8_t nat(const struct burst_ctx *b, const struct ct_entry *e,
				       struct ct_pkt *p, int dir)
{
	uint8_t st = 0;

	const struct evs_ct_nat_tpl *t = NULL;

	if (!(b->act->flags & EVS_CT_F_NAT) || !(e->flags & (CT_FL_SNAT | CT_FL_DNAT)))
		return 0;
	/* a template stands for the original direction's rewrite only */
	if (dir == 0 && e->backend < b->act->n_nat_tpl) /* backend: line 0, read already */
		t = &b->act->nat_tpl[e->backend];
	ct_nat_packet(e, p, dir, t);
	ct_count(b->lc, EVS_CT_C_NAT_REWRITE);
	/* which side of the packet changed: replies undo the original's rewrite */
	if (e->flags & CT_FL_SNAT)
		st |= dir == 0 ? EVS_CT_SNAT : EVS_CT_DNAT;
	if (e->flags & CT_FL_DNAT)
		st |= dir == 0 ? EVS_CT_DNAT : EVS_CT_SNAT;
	return st;
}

static uint8_t invalid(const struct burst_ctx *b, struct ct_pkt *p)
{
	ct_count(b->lc, (enum evs_ct_counter)p->counter);
	return EVS_CT_TRACKED | EVS_CT_INVALID;
}

/* Undo the limit accounting of a commit that did not happen. */
static void uncount(struct evs_ct *ct, uint16_t zone)
{
	atomic_fetch_sub_explicit(&ct->conns, 1, memory_order_relaxed);
	atomic_fetch_sub_explicit(&ct->zone_count[zone], 1, memory_order_relaxed);
}

/* Reserve room for a connection; false (counter set) when a limit refuses. */
static bool reserve(const struct burst_ctx *b, struct ct_pkt *p)
{
	struct evs_ct *ct = b->lc->ct;
	uint16_t zone = b->act->zone;

	/* relaxed: the counts are limits, not guards of other memory */
	if (atomic_fetch_add_explicit(&ct->conns, 1, memory_order_relaxed) >= ct->max_conns) {
		atomic_fetch_sub_explicit(&ct->conns, 1, memory_order_relaxed);
		p->counter = EVS_CT_C_REFUSED_GLOBAL;
		return false;
	}
	if (atomic_fetch_add_explicit(&ct->zone_count[zone], 1, memory_order_relaxed) >=
		b->zc->limit &&
	    b->zc->limit != 0) {
		uncount(ct, zone);
		p->counter = EVS_CT_C_REFUSED_ZONE;
		return false;
	}
	return true;
}

/* The burst's own publishes, by hash (a 256-bit filter): only these can
 * make its lookup's misses stale without another lcore's help. */
static void made_add(struct evs_ct_lcore *lc, hash_sig_t sig)
{
	lc->made[(sig >> 6) & 3] |= UINT64_C(1) << (sig & 63);
}

static bool made_has(const struct evs_ct_lcore *lc, hash_sig_t sig)
{
	return (lc->made[(sig >> 6) & 3] >> (sig & 63)) & 1;
}

/* May the key hashing to @sig, missed by the burst's lookup, be in the
 * table now (writer lock held, so the count of publishes is exact)? */
static bool published_since(const struct evs_ct_lcore *lc, hash_sig_t sig)
{
	/* relaxed: under the lock, which orders us after every other writer */
	uint64_t others =
	    atomic_load_explicit(&lc->ct->inserts, memory_order_relaxed) - lc->own_inserts;

	return !lc->looked || others != lc->foreign0 || made_has(lc, sig);
}

static uint8_t hit(const struct burst_ctx *b, struct ct_pkt *p, uintptr_t data, uint16_t i);
static uint8_t miss(const struct burst_ctx *b, struct ct_pkt *p, struct ct_entry *old, uint16_t i);

/* Publish @e, whose original key hashes to @sig0 (writer lock held). 0, or
 * the counter that refused it. */
static int publish(struct evs_ct *ct, const struct burst_ctx *b, const struct evs_ct_nat_range *r,
		   struct ct_entry *e, hash_sig_t sig0, hash_sig_t *sig1p)
{
	bool natted = false;
	hash_sig_t sig1;

	if ((b->act->flags & EVS_CT_F_NAT) && r->kind != EVS_CT_NAT_NONE &&
	    r->v6 == (e->key[0].v6 != 0)) {
		if (ct_nat_setup(ct, e, r, &sig1) != 0)
			return EVS_CT_C_REFUSED_NAT;
		natted = true; /* it chose a reply key no connection uses */
	}
	if (!natted) {
		uintptr_t d;

		sig1 = ct_key_hash(&e->key[1]);
		if (ct_hash_lookup(ct->hash, &e->key[1], sig1, &d))
			/* another connection's translation uses it */
			return EVS_CT_C_REFUSED_TABLE;
	}
	atomic_store_explicit(&e->life, CT_LIFE_LIVE, memory_order_relaxed);
	/* the hash publishes with release semantics: readers see a whole entry */
	if (ct_hash_add(ct->hash, sig0, ct_entry_idx(ct, e), 0) != 0)
		return EVS_CT_C_REFUSED_TABLE;
	if (ct_hash_add(ct->hash, sig1, ct_entry_idx(ct, e), 1) != 0) {
		ct_hash_del(ct->hash, sig0, ct_entry_idx(ct, e), 0);
		return EVS_CT_C_REFUSED_TABLE;
	}
	*sig1p = sig1;
	return 0;
}

/* Commit a new connection for @p, replacing @old (a reopened TCP one) if set. */
static uint8_t create(const struct burst_ctx *b, struct ct_pkt *p, struct ct_entry *old, uint16_t i)
{
	struct evs_ct_lcore *lc = b->lc;
	struct evs_ct *ct = lc->ct;
	const struct ct_proto_ops *ops = ct_proto_of(p->ck.proto);
	const struct evs_ct_nat_range *r = &b->act->nat;
	uint16_t backend = b->act->backend;
	struct evs_ct_nat_range chosen;
	struct ct_entry *e;
	hash_sig_t sig, sig1;
	bool found = false;
	uintptr_t data;
	int rc;

	if (b->act->choose != NULL) {
		memset(&chosen, 0, sizeof(chosen));
		if (!b->act->choose(b->act->choose_arg, i, p->key, &chosen, &backend))
			return EVS_CT_TRACKED | EVS_CT_NEW;
		r = &chosen;
	}
	if (old != NULL) {
		rte_spinlock_lock(&ct->wlock);
		ct_entry_unlink(ct, old);
		rte_spinlock_unlock(&ct->wlock);
	}
	if (!reserve(b, p))
		return invalid(b, p);
	e = ct_entry_alloc(ct);
	if (e == NULL) {
		/* flushed entries not yet past their grace hold the memory */
		uncount(ct, b->act->zone);
		p->counter = EVS_CT_C_REFUSED_GLOBAL;
		return invalid(b, p);
	}
	e->key[0] = p->ck;
	ct_key_invert(&e->key[1], &p->ck);
	e->flags = (b->act->flags & EVS_CT_F_ONEWAY) ? CT_FL_ONEWAY : 0;
	e->owner = (uint8_t)lc->idx;
	e->mark = 0;
	e->backend = backend;
	memset(e->label, 0, sizeof(e->label));
	apply_mark_label(e, b->act);
	ops->init(e, p, b->zc);
	/* before publishing: a reader must never see the last life's expiry */
	refresh(b, e, ops);

	/* hashed once for the look under the lock and the insert */
	sig = p->sig;
	rte_spinlock_lock(&ct->wlock);
	/* another lcore (or this burst) may have created it since we looked */
	if (published_since(lc, sig))
		found = ct_hash_lookup(ct->hash, &p->ck, sig, &data);
	rc = found ? -1 : publish(ct, b, r, e, sig, &sig1);
	if (rc == 0) {
		/* release: pairs with the acquire before a burst's lookup, which
		 * then sees these keys or a count that says to look again */
		atomic_fetch_add_explicit(&ct->inserts, 1, memory_order_release);
		lc->own_inserts++;
		made_add(lc, sig);
		made_add(lc, sig1);
	}
	rte_spinlock_unlock(&ct->wlock);
	if (rc != 0) {
		atomic_store_explicit(&e->life, CT_LIFE_FREE, memory_order_relaxed);
		ct_entry_put(ct, e);
		uncount(ct, b->act->zone);
		if (found) {
			/* another lcore created it meanwhile: a hit after all */
			b->lc->counters[EVS_CT_C_MISS]--;
			return hit(b, p, data, i);
		}
		p->counter = (uint16_t)rc;
		return invalid(b, p);
	}
	if (e->backend != 0) /* relaxed: a count (evs_ct_backend_count) */
		atomic_fetch_add_explicit(&ct->backend_count[e->backend], 1, memory_order_relaxed);
	ct_wheel_file(lc, e);
	ct_count(lc, EVS_CT_C_CREATED);
	set_meta(&lc->head.meta[i], e);
	return EVS_CT_TRACKED | EVS_CT_NEW | nat(b, e, p, 0);
}

/* A later fragment matching no live connection: new like its first when
 * nothing commits; a commit never starts a connection from one (its first
 * did, earlier in the burst or before, or was refused). */
static uint8_t frag_miss(const struct burst_ctx *b, struct ct_pkt *p, struct ct_entry *old,
			 uint16_t i)
{
	uintptr_t d;

	if (!(b->act->flags & EVS_CT_F_COMMIT)) {
		ct_count(b->lc, EVS_CT_C_MISS);
		return EVS_CT_TRACKED | EVS_CT_NEW;
	}
	if (old == NULL && ct_hash_lookup(b->lc->ct->hash, &p->ck, p->sig, &d))
		return hit(b, p, d, i);
	ct_count(b->lc, EVS_CT_C_MISS);
	p->counter = EVS_CT_C_FRAG_NO_CONN;
	return invalid(b, p);
}

/* No live connection for @p; @old is an expired one still in the table. */
static uint8_t miss(const struct burst_ctx *b, struct ct_pkt *p, struct ct_entry *old, uint16_t i)
{
	const struct ct_proto_ops *ops = ct_proto_of(p->ck.proto);
	bool valid;
	uintptr_t d;

	if (unlikely(p->kind == CT_PKT_FRAG_LATER))
		return frag_miss(b, p, old, i);
	/* asked once: it is the protocol's header check */
	valid = p->kind != CT_PKT_ICMP_ERROR && ops->valid_new(p);
	/* EVS_CT_F_MISSED skipped the look, and create() looks again under the
	 * lock: any other outcome looks first (an earlier packet of the
	 * caller's burst may have created the connection) */
	if (old == NULL && (b->act->flags & EVS_CT_F_MISSED) &&
	    (!valid || !(b->act->flags & EVS_CT_F_COMMIT)) &&
	    ct_hash_lookup(b->lc->ct->hash, &p->ck, p->sig, &d))
		return hit(b, p, d, i);
	ct_count(b->lc, EVS_CT_C_MISS);
	if (p->kind == CT_PKT_ICMP_ERROR) {
		p->counter = EVS_CT_C_INV_ICMP_ERROR;
		return invalid(b, p);
	}
	if (!valid) {
		p->counter = EVS_CT_C_INV_NEW;
		return invalid(b, p);
	}
	if (!(b->act->flags & EVS_CT_F_COMMIT))
		return EVS_CT_TRACKED | EVS_CT_NEW;
	return create(b, p, old, i);
}

/* The usual packet of a known connection, without the entry lock: a whole
 * UDP, ICMP-query or other-protocol packet that changes no flag (a reply
 * sets seen-reply, the originator's next packet after one assured) under
 * an action that sets no mark or label (the caller's test: b->lockless);
 * its expiry from the burst's table @exps, @now the lcore's clock, @natf
 * the action's NAT flag (by value: the stores to @lc would make the
 * compiler read them again). 0: not such a packet (the locked way takes
 * it). Mark and backend are read unlocked: a commit changing them on
 * another lcore may be seen half done by this one packet. The burst's
 * loops call it first; hit() too, for a packet they looked up again. */
static inline uint8_t hit_plain(const struct burst_ctx *b, struct evs_ct_lcore *lc, uint64_t now,
				const uint64_t *exps, bool natf, struct ct_pkt *p, uintptr_t data,
				uint16_t i)
{
	struct ct_entry *e = (struct ct_entry *)(data & ~CT_DIR_BIT);
	uint8_t proto = p->ck.proto;
	uint64_t exp, cur;
	enum exp_class c;
	uint8_t f, st;

	if (proto == IPPROTO_TCP || p->kind != CT_PKT_PLAIN ||
	    atomic_load_explicit(&e->life, memory_order_relaxed) != CT_LIFE_LIVE)
		return 0;
	/* relaxed: a hint; a stale value only sends the packet to hit() */
	cur = atomic_load_explicit(&e->expires, memory_order_relaxed);
	f = __atomic_load_n(&e->flags, __ATOMIC_RELAXED);
	if (cur <= now)
		return 0; /* timed out: hit() hands it to miss() */
	if (data & CT_DIR_BIT) {
		if (!(f & CT_FL_SEEN_REPLY))
			return 0;
		st = EVS_CT_TRACKED | EVS_CT_ESTABLISHED | EVS_CT_REPLY;
	} else if (!(f & CT_FL_SEEN_REPLY))
		st = EVS_CT_TRACKED | EVS_CT_NEW;
	else if (f & CT_FL_ASSURED)
		st = EVS_CT_TRACKED | EVS_CT_ESTABLISHED;
	else
		return 0;
	/* the classes of udp_timeout, icmp_timeout and other_timeout */
	if (proto == IPPROTO_UDP)
		c = (f & CT_FL_SEEN_REPLY) ? EXP_UDP_REPLIED : EXP_UDP_UNREPLIED;
	else if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6)
		c = EXP_ICMP;
	else
		c = EXP_OTHER;
	exp = exps[c];
	/* stored only when it changes grain: a store dirties the line */
	if (cur != exp)
		atomic_store_explicit(&e->expires, exp, memory_order_relaxed);
	lc->head.meta[i] = (struct evs_ct_meta){.mark = e->mark, .backend = e->backend, .known = 1};
	ct_count(lc, EVS_CT_C_HIT);
	if (natf)
		st |= nat(b, e, p, (int)(data & CT_DIR_BIT));
	return st;
}

/* nat() of an established TCP packet: the original direction of a plain
 * DNAT from its backend slot's IPv4 template inline, as tpl_run() does
 * for UDP (the packet is plain: hit_tcp's); anything else by nat(). */
static __rte_always_inline uint8_t nat_tcp(const struct burst_ctx *b, const struct ct_entry *e,
					   struct ct_pkt *p, int dir)
{
	const struct evs_ct_nat_tpl *t;

	if (dir != 0 || p->ck.v6 || (e->flags & (CT_FL_SNAT | CT_FL_DNAT)) != CT_FL_DNAT ||
	    e->backend >= b->act->n_nat_tpl)
		return nat(b, e, p, dir);
	t = &b->act->nat_tpl[e->backend];
	if (!t->valid || t->v6 || !nat_side_fits(p, false))
		return nat(b, e, p, dir);
	nat_tpl4_fit(p, t, false);
	ct_count(b->lc, EVS_CT_C_NAT_REWRITE);
	return EVS_CT_DNAT;
}

/* hit_plain()'s for TCP: the usual segment of an established two-way
 * connection (ct_tcp_established_ack()), under the entry lock the windows
 * need but without hit()'s general steps (the protocol's look-ups, the
 * timeout by state, mark and label). The same conditions: b->lockless,
 * and 0 (nothing changed) for any other packet; one the windows refuse
 * is counted and returned invalid as hit() would. */
static __rte_always_inline uint8_t hit_tcp(const struct burst_ctx *b, struct evs_ct_lcore *lc,
					   uint64_t now, const uint64_t *exps, bool natf,
					   struct ct_pkt *p, uintptr_t data, uint16_t i)
{
	struct ct_entry *e = (struct ct_entry *)(data & ~CT_DIR_BIT);
	int dir = (data & CT_DIR_BIT) ? 1 : 0;
	uint64_t cur, exp;
	uint8_t st;
	int v;

	if (p->ck.proto != IPPROTO_TCP || p->kind != CT_PKT_PLAIN ||
	    atomic_load_explicit(&e->life, memory_order_relaxed) != CT_LIFE_LIVE)
		return 0;
	/* relaxed: as in hit_plain(); seen-reply is never taken back */
	cur = atomic_load_explicit(&e->expires, memory_order_relaxed);
	if (cur <= now || !(__atomic_load_n(&e->flags, __ATOMIC_RELAXED) & CT_FL_SEEN_REPLY))
		return 0; /* timed out, or the originator's before any reply (new) */
	/* the state before the lock too (which reads it again): a segment of
	 * a connection opening or closing goes to hit() without taking the
	 * lock twice */
	if (__atomic_load_n(&e->proto_state, __ATOMIC_RELAXED) != EVS_CT_TCP_ESTABLISHED)
		return 0;
	rte_spinlock_lock(&e->lock);
	v = ct_tcp_established_ack(e, p, dir, b->zc->tcp_liberal);
	rte_spinlock_unlock(&e->lock);
	if (v < 0)
		return 0;
	ct_count(lc, EVS_CT_C_HIT);
	if (v != CT_V_OK) {
		memset(&lc->head.meta[i], 0, sizeof(lc->head.meta[i]));
		return invalid(b, p);
	}
	/* hit()'s refresh: the state (ESTABLISHED) did not change */
	exp = exps[EXP_TCP_ESTABLISHED];
	if (cur != exp)
		atomic_store_explicit(&e->expires, exp, memory_order_relaxed);
	lc->head.meta[i] = (struct evs_ct_meta){.mark = e->mark, .backend = e->backend, .known = 1};
	st = dir ? EVS_CT_TRACKED | EVS_CT_ESTABLISHED | EVS_CT_REPLY
		 : EVS_CT_TRACKED | EVS_CT_ESTABLISHED;
	if (natf)
		st |= nat_tcp(b, e, p, dir);
	return st;
}

static uint8_t hit(const struct burst_ctx *b, struct ct_pkt *p, uintptr_t data, uint16_t i)
{
	struct ct_entry *e = (struct ct_entry *)(data & ~CT_DIR_BIT);
	int dir = (data & CT_DIR_BIT) ? 1 : 0;
	/* the packet's key matched the entry's: its protocol is the entry's
	 * (read from the packet, not from a line this direction needs not) */
	const struct ct_proto_ops *ops = ct_proto_of(p->ck.proto);
	enum ct_verdict v;
	uint8_t st;

	if (atomic_load_explicit(&e->life, memory_order_relaxed) != CT_LIFE_LIVE) {
		/* replaced earlier in this burst (a reopened connection): look again */
		uintptr_t d;

		if (!ct_hash_lookup(b->lc->ct->hash, &p->ck, p->sig, &d))
			return miss(b, p, NULL, i);
		data = d;
		e = (struct ct_entry *)(d & ~CT_DIR_BIT);
		dir = (d & CT_DIR_BIT) ? 1 : 0;
	}
	/* the usual established packet: no lock */
	if (b->lockless) {
		bool natf = (b->act->flags & EVS_CT_F_NAT) != 0;

		st = p->ck.proto == IPPROTO_TCP
			 ? hit_tcp(b, b->lc, b->lc->now, b->exp, natf, p, data, i)
			 : hit_plain(b, b->lc, b->lc->now, b->exp, natf, p, data, i);
		if (st != 0)
			return st;
	}
	if (atomic_load_explicit(&e->expires, memory_order_relaxed) <= b->lc->now)
		return miss(b, p, e, i); /* timed out, not yet reaped by its wheel */
	ct_count(b->lc, EVS_CT_C_HIT);
	if (unlikely(p->kind != CT_PKT_PLAIN)) {
		if (p->kind == CT_PKT_ICMP_ERROR) {
			set_meta(&b->lc->head.meta[i], e);
			return EVS_CT_TRACKED | EVS_CT_RELATED | (dir ? EVS_CT_REPLY : 0) |
			       nat(b, e, p, dir);
		}
		/* a later fragment has no L4 header: its first ran the protocol */
		rte_spinlock_lock(&e->lock);
		v = CT_V_OK;
	} else {
		rte_spinlock_lock(&e->lock);
		v = ops->update(e, p, dir, b->zc);
	}
	if (v != CT_V_OK && v != CT_V_KILL) {
		rte_spinlock_unlock(&e->lock);
		if (v == CT_V_INVALID)
			return invalid(b, p);
		/* a SYN reopening a closed connection: it is new again */
		if (!(b->act->flags & EVS_CT_F_COMMIT))
			return EVS_CT_TRACKED | EVS_CT_NEW;
		return create(b, p, e, i);
	}
	if (dir == 1)
		e->flags |= CT_FL_SEEN_REPLY;
	if (dir == 1)
		st = EVS_CT_TRACKED | EVS_CT_ESTABLISHED | EVS_CT_REPLY;
	else if (e->flags & CT_FL_SEEN_REPLY)
		st = EVS_CT_TRACKED | EVS_CT_ESTABLISHED;
	else
		st = EVS_CT_TRACKED | EVS_CT_NEW;
	apply_mark_label(e, b->act);
	set_meta(&b->lc->head.meta[i], e);
	b->lc->head.meta[i].known = 1;
	refresh(b, e, ops);
	rte_spinlock_unlock(&e->lock);
	st |= nat(b, e, p, dir);
	if (v == CT_V_KILL) {
		rte_spinlock_lock(&b->lc->ct->wlock);
		ct_entry_unlink(b->lc->ct, e);
		rte_spinlock_unlock(&b->lc->ct->wlock);
	}
	return st;
}

/*
 * A load balancer's established packets (evs_ct_action.nat_tpl), from the
 * burst's @j-th on: what hit_plain() and the template's rewrite (nat(),
 * ct_nat_packet()) do, in one step with nothing checked twice, for a whole
 * IPv4 UDP packet in the original direction of a live plain-DNAT
 * connection whose backend slot has a valid IPv4 template. Returns the
 * first packet that is not such a one (untouched: it takes the general
 * way, which may find its key past the primary bucket again), or @nl.
 * Hits and rewrites are counted once for the run.
 */
_Static_assert(offsetof(struct ct_key, v6) == offsetof(struct ct_key, proto) + 1, "one load");
_Static_assert(offsetof(struct evs_ct_nat_tpl, valid) == offsetof(struct evs_ct_nat_tpl, v6) + 1,
	       "one load");
_Static_assert(sizeof(struct evs_ct_nat_tpl) == 32, "a template is indexed with a shift");

/* hit_plain()'s state of a plain-DNAT connection by its flags' low four
 * bits (seen-reply, assured, SNAT, DNAT), 0: not for tpl_run() */
#define TPL_ST(f)                                                                                  \
	((f) == CT_FL_DNAT || (f) == (CT_FL_DNAT | CT_FL_ASSURED)                                  \
	     ? EVS_CT_TRACKED | EVS_CT_NEW | EVS_CT_DNAT                                           \
	 : (f) == (CT_FL_DNAT | CT_FL_SEEN_REPLY | CT_FL_ASSURED)                                  \
	     ? EVS_CT_TRACKED | EVS_CT_ESTABLISHED | EVS_CT_DNAT                                   \
	     : 0)
static const uint8_t tpl_st[16] = {
    TPL_ST(0), TPL_ST(1), TPL_ST(2),  TPL_ST(3),  TPL_ST(4),  TPL_ST(5),  TPL_ST(6),  TPL_ST(7),
    TPL_ST(8), TPL_ST(9), TPL_ST(10), TPL_ST(11), TPL_ST(12), TPL_ST(13), TPL_ST(14), TPL_ST(15),
};
_Static_assert((CT_FL_SEEN_REPLY | CT_FL_ASSURED | CT_FL_SNAT | CT_FL_DNAT) == 15, "tpl_st");

static __rte_always_inline uint16_t tpl_run(const struct burst_ctx *b, struct ct_pkt *pk,
					    const uint16_t *map, const hash_sig_t *sig,
					    uint64_t absent, uintptr_t *data, uint16_t j,
					    uint16_t nl, bool key_mark)
{
	struct evs_ct_lcore *lc = b->lc;
	const struct evs_ct_nat_tpl *tpl = b->act->nat_tpl;
	const uint32_t n_tpl = b->act->n_nat_tpl;
	const uint64_t now = lc->now;
	/* hit_plain's class by seen-reply: UDP unreplied (+new) or replied */
	const uint64_t *exp_by_reply = &b->exp[EXP_UDP_UNREPLIED];
	static const uint8_t udp4[2] = {IPPROTO_UDP, 0}, v4valid[2] = {0, 1};
	unsigned int k;

	_Static_assert(EXP_UDP_REPLIED == EXP_UDP_UNREPLIED + CT_FL_SEEN_REPLY, "exp_by_reply");
	for (k = j; k < nl; k++) {
		struct ct_pkt *p = &pk[map[k]];
		uintptr_t d = data[k];
		const struct evs_ct_nat_tpl *t;
		struct evs_flow_key *key;
		struct ct_entry *e;
		uint64_t cur, exp;
		uint32_t be;
		uint8_t f, st;

		/* proto and v6, adjacent: IPv4 UDP in one compare */
		if (memcmp((const char *)&p->ck + offsetof(struct ct_key, proto), udp4, 2) != 0 ||
		    p->kind != CT_PKT_PLAIN)
			break;
		/* an original key (no direction bit) holding the packet's */
		e = (struct ct_entry *)d;
		if (unlikely(d == 0 || (d & CT_DIR_BIT) || !ct_key4_eq(&e->key[0], &p->ck))) {
			/* past the primary: as the general way looks */
			if (((absent >> k) & 1) ||
			    !ct_hash_lookup_rest(lc->ct->hash, &p->ck, sig[k], d, &data[k]))
				break;
			d = data[k];
			e = (struct ct_entry *)d;
			if (d & CT_DIR_BIT)
				break;
		}
		if (atomic_load_explicit(&e->life, memory_order_relaxed) != CT_LIFE_LIVE)
			break;
		/* relaxed: as in hit_plain() */
		cur = atomic_load_explicit(&e->expires, memory_order_relaxed);
		f = __atomic_load_n(&e->flags, __ATOMIC_RELAXED);
		be = e->backend;
		st = tpl_st[f & 15];
		if (cur <= now || st == 0 || be >= n_tpl)
			break;
		t = &tpl[be];
		/* not v6, valid: one compare; a short packet: the general rewrite's */
		if (memcmp((const char *)t + offsetof(struct evs_ct_nat_tpl, v6), v4valid, 2) !=
			0 ||
		    unlikely(!nat_side_fits(p, true)))
			break;
		exp = exp_by_reply[f & CT_FL_SEEN_REPLY];
		if (cur != exp) /* a store dirties the line: only when the grain changes */
			atomic_store_explicit(&e->expires, exp, memory_order_relaxed);
		lc->head.meta[map[k]] =
		    (struct evs_ct_meta){.mark = e->mark, .backend = (uint16_t)be, .known = 1};
		nat_tpl4_fit(p, t, true);
		key = p->key; /* keys[map[k]] */
		key->ct_state = st;
		if (key_mark)
			key->ct_mark = e->mark;
	}
	lc->counters[EVS_CT_C_HIT] += k - j;
	lc->counters[EVS_CT_C_NAT_REWRITE] += k - j;
	return (uint16_t)k;
}

/* Both entry points inline it with @key_mark a constant. */
static __rte_always_inline uint16_t execute(struct evs_ct_lcore *lc,
					    const struct evs_ct_action *act, struct rte_mbuf **pkts,
					    struct evs_flow_key *keys, uint16_t n, bool key_mark)
{
	struct ct_pkt pk[EVS_CT_BURST_MAX];
	const void *kp[EVS_CT_BURST_MAX];
	uintptr_t data[EVS_CT_BURST_MAX];
	hash_sig_t sig[EVS_CT_BURST_MAX];
	uint16_t map[EVS_CT_BURST_MAX];
	struct burst_ctx b = {
	    .lc = lc,
	    .act = act,
	    .zc = ct_zone_conf(lc->ct, act->zone),
	    .lockless = !((act->flags & EVS_CT_F_COMMIT) &&
			  (act->flags & (EVS_CT_F_SET_MARK | EVS_CT_F_SET_LABEL))),
	};
	struct ct_hash_primary prim = ct_hash_primary(lc->ct->hash);
	const uint64_t now = lc->now;
	const uint16_t zone = act->zone;
	const bool natf = (act->flags & EVS_CT_F_NAT) != 0;
	uint64_t exps[EXP_N];
	/* a NAT rewrite reads the other direction's key, unless the
	 * action's templates stand for it (evs_ct_nat_tpl) */
	const bool natk = natf && act->nat_tpl == NULL;
	uint64_t absent = 0;
	uint16_t i, j, nl = 0;
	bool looked, found, fast, tplf;
	uint8_t st;

	if (n > EVS_CT_BURST_MAX)
		n = EVS_CT_BURST_MAX;
	burst_expiries(&b);
	memcpy(exps, b.exp, sizeof(exps));
	for (i = 0; i < n; i++) {
		keys[i].ct_zone = zone;
		if (!ct_pkt_init_fast(lc, &pk[i], pkts[i], &keys[i], zone)) {
			memset(&lc->head.meta[i], 0, sizeof(lc->head.meta[i]));
			keys[i].ct_state = invalid(&b, &pk[i]);
			if (key_mark)
				keys[i].ct_mark = 0;
			continue;
		}
		ct_hash_prefetch(prim, pk[i].sig);
		kp[nl] = &pk[i].ck;
		sig[nl] = pk[i].sig;
		map[nl++] = i;
	}
	memset(lc->made, 0, sizeof(lc->made));
	looked = nl != 0 && !(act->flags & EVS_CT_F_MISSED);
	lc->looked = looked;
	fast = looked && b.lockless;
	if (looked) {
		/* acquire: a publish counted here is seen by the lookup below */
		lc->foreign0 =
		    atomic_load_explicit(&lc->ct->inserts, memory_order_acquire) - lc->own_inserts;
		/* it prefetches all of the burst's entries at once: with many
		 * connections each is a miss to memory (two lines, TCP three) */
		absent = ct_hash_lookup_cand(lc->ct->hash, kp, sig, nl, natk, data);
	}
	/* the packets up to the first that is not a plain hit, in a loop of
	 * their own (few live values: nothing spills); the rest in order */
	tplf = fast && natf && act->nat_tpl != NULL;
	for (j = 0; fast && !tplf && j < nl; j++) {
		i = map[j];
		if (!ct_cand_holds(data[j], &pk[i].ck))
			break;
		st = hit_plain(&b, lc, now, exps, natf, &pk[i], data[j], i);
		if (st == 0)
			break;
		keys[i].ct_state = st;
		if (key_mark)
			keys[i].ct_mark = lc->head.meta[i].mark;
	}
	for (; j < nl; j++) {
		/* a load balancer's: its established packets in runs, each
		 * other packet the general way, then the runs go on */
		/* (a TCP packet would end the run at once: it takes hit_tcp) */
		if (tplf && pk[map[j]].ck.proto != IPPROTO_TCP) {
			j = tpl_run(&b, pk, map, sig, absent, data, j, nl, key_mark);
			if (j == nl)
				break;
		}
		i = map[j];
		/* the lookup's last step: the first candidate is the key nearly always */
		if (looked) {
			found = ct_cand_holds(data[j], &pk[i].ck);
			if (likely(found)) {
				if (!b.lockless)
					st = 0;
				else if (pk[i].ck.proto == IPPROTO_TCP)
					st = hit_tcp(&b, lc, now, exps, natf, &pk[i], data[j], i);
				else
					st = hit_plain(&b, lc, now, exps, natf, &pk[i], data[j], i);
				if (likely(st != 0)) {
					keys[i].ct_state = st;
					if (key_mark)
						keys[i].ct_mark = lc->head.meta[i].mark;
					continue;
				}
			} else if (!((absent >> j) & 1))
				found = ct_hash_lookup_rest(lc->ct->hash, &pk[i].ck, sig[j],
							    data[j], &data[j]);
		} else
			found = false;
		memset(&lc->head.meta[i], 0, sizeof(lc->head.meta[i]));
		/* a miss may be a connection an earlier packet of this burst
		 * created (its SYN before this SYN-ACK): look again */
		if (!found && made_has(lc, sig[j]))
			found = ct_hash_lookup(lc->ct->hash, kp[j], sig[j], &data[j]);
		if (found)
			keys[i].ct_state = hit(&b, &pk[i], data[j], i);
		else
			keys[i].ct_state = miss(&b, &pk[i], NULL, i);
		if (key_mark)
			keys[i].ct_mark = lc->head.meta[i].mark;
	}
	return n;
}

uint16_t evs_ct_execute_burst(struct evs_ct_lcore *lc, const struct evs_ct_action *act,
			      struct rte_mbuf **pkts, struct evs_flow_key *keys, uint16_t n)
{
	return execute(lc, act, pkts, keys, n, false);
}

uint16_t ct_execute(struct evs_ct_lcore *lc, const struct evs_ct_action *act,
		    struct rte_mbuf **pkts, struct evs_flow_key *keys, uint16_t n, bool key_mark)
{
	return key_mark ? execute(lc, act, pkts, keys, n, true)
			: execute(lc, act, pkts, keys, n, false);
}

void evs_ct_prefetch_burst(const struct evs_ct_lcore *lc, const struct evs_flow_key *keys,
			   uint16_t n, uint16_t zone)
{
	struct ct_hash_primary prim = ct_hash_primary(lc->ct->hash);
	uint16_t i;

	/* hashed as IPv4 TCP/UDP whatever it is: another kind of packet
	 * costs one needless prefetch, no test per packet */
	for (i = 0; i < n; i++)
		ct_hash_prefetch(prim, ct_key4_sig(&keys[i], zone));
}

bool evs_ct_buckets_from_memory(const struct evs_ct *ct)
{
	/* the size, not the scan: a test may set that (ct_hash_set_scan_all) */
	return !ct_hash_cached(ct->hash);
}
