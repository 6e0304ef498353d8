/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IP fragments through conntrack: shallow virtual reassembly (VPP's
 * ip4-sv-reassembly idea). A first fragment carries the L4 header: it is
 * keyed like any packet and leaves a record of its ports under the
 * datagram's identity (addresses, protocol, IP id). A later fragment takes
 * its ports from the record, so it gets the same connection lookup,
 * verdict and NAT as its first (addresses rewritten; ports and the L4
 * checksum live in the first fragment only); nothing is reassembled or
 * copied. A later fragment that comes before its first is not held: it is
 * invalid with its own counter (see doc/conntrack.md, "Fragments").
 *
 * The records are per thread (the lcore running the burst), not per ct
 * context: the firewall runs its first pass on the ct module's context and
 * commits on its own, on the same lcore, and both must see one record.
 * A fixed set-associative table: no allocation, no lock.
 */
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_hash_crc.h>
#include <rte_ip.h>
#include <rte_per_lcore.h>

#include "ct_private.h"

#define FRAG_BUCKETS 128 /* x FRAG_WAYS: datagrams in flight per lcore */
#define FRAG_WAYS 8
#define FRAG_MAX_PAYLOAD 65535 /* an IP datagram's payload cannot end beyond */

/* Record states. */
enum frag_state {
	FRAG_FREE = 0,
	FRAG_OPEN, /* first fragment seen, more to come */
	FRAG_DONE, /* every byte accounted for: kept a short grace, then reusable */
	FRAG_BAD,  /* refused (overlap, offsets, too many): the rest is refused too */
};

/* One datagram, 64 bytes. The first 40 are its identity. */
struct frag_rec {
	uint8_t src[16];
	uint8_t dst[16];
	uint32_t id; /* IPv4: 16 bits */
	uint16_t tag;
	uint8_t proto;
	uint8_t v6;
	/* from the first fragment */
	rte_be16_t sport, dport;   /* its ct key's ports (ICMP: identifier, type) */
	rte_be16_t l4_src, l4_dst; /* its flow key's */
	uint32_t expires;	   /* ms, wrapping */
	uint16_t first_end;	   /* payload bytes the first fragment carries */
	uint16_t end;		   /* payload length once the last fragment came; 0: not yet */
	uint32_t seen;		   /* payload bytes accounted (duplicates included) */
	uint8_t nfrags;
	uint8_t state; /* enum frag_state */
	uint16_t why;  /* FRAG_BAD: the counter of the refusal */
};

_Static_assert(sizeof(struct frag_rec) == 64, "frag_rec grew");
#define FRAG_ID_LEN offsetof(struct frag_rec, sport)

struct frag_table {
	struct frag_rec b[FRAG_BUCKETS][FRAG_WAYS];
};

/* 64 KB per thread, zero (all FREE) at thread start */
static RTE_DEFINE_PER_LCORE(struct frag_table, ct_frags);

static _Atomic uint16_t tag_next;

uint16_t ct_frag_tag_new(void)
{
	/* relaxed: only uniqueness matters (a table's records are its own) */
	return atomic_fetch_add_explicit(&tag_next, 1, memory_order_relaxed);
}

/* Where a fragment sits in its datagram. */
struct frag_info {
	uint32_t id;
	uint32_t off; /* bytes, from the start of the fragmentable part */
	uint32_t len; /* bytes of that part this fragment carries */
	bool more;
};

static bool info_v4(const struct rte_mbuf *m, struct frag_info *fi)
{
	const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, m->l2_len);
	uint16_t tot, fo, id;

	/* the parser checked the header and its lengths */
	memcpy(&tot, ip + 2, 2);
	memcpy(&id, ip + 4, 2);
	memcpy(&fo, ip + 6, 2);
	fi->id = rte_be_to_cpu_16(id);
	tot = rte_be_to_cpu_16(tot);
	fo = rte_be_to_cpu_16(fo);
	fi->off = (uint32_t)(fo & RTE_IPV4_HDR_OFFSET_MASK) * 8;
	fi->more = (fo & RTE_IPV4_HDR_MF_FLAG) != 0;
	fi->len = (uint32_t)tot - m->l3_len;
	return true;
}

/* Walk the extension headers the parser walked (inside l3_len) to the
 * fragment header. */
static bool info_v6(const struct rte_mbuf *m, struct frag_info *fi)
{
	const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, m->l2_len);
	uint32_t h = 40, plen;
	uint8_t nh = ip[6];
	uint16_t fo;
	uint32_t id;

	while (h + 8 <= m->l3_len) {
		const uint8_t *x = ip + h;

		if (nh == IPPROTO_FRAGMENT) {
			memcpy(&fo, x + 2, 2);
			memcpy(&id, x + 4, 4);
			fo = rte_be_to_cpu_16(fo);
			fi->id = rte_be_to_cpu_32(id);
			fi->off = fo & 0xfff8;
			fi->more = (fo & 1) != 0;
			memcpy(&fo, ip + 4, 2);
			plen = rte_be_to_cpu_16(fo);
			if (40 + plen < h + 8)
				return false;
			fi->len = 40 + plen - (h + 8);
			return true;
		}
		nh = x[0];
		h += nh == IPPROTO_AH ? ((uint32_t)x[1] + 2) * 4 : ((uint32_t)x[1] + 1) * 8;
	}
	return false;
}

static struct frag_rec *bucket_of(const struct frag_rec *id)
{
	return RTE_PER_LCORE(ct_frags).b[rte_hash_crc(id, FRAG_ID_LEN, 0) & (FRAG_BUCKETS - 1)];
}

static bool rec_expired(const struct frag_rec *r, uint32_t now)
{
	return (int32_t)(now - r->expires) >= 0;
}

/* The live record of @id, or NULL; *@stale: one matched but had timed out. */
static struct frag_rec *rec_find(const struct frag_rec *id, uint32_t now, bool *stale)
{
	struct frag_rec *b = bucket_of(id);
	unsigned int w;

	*stale = false;
	for (w = 0; w < FRAG_WAYS; w++) {
		/* the IP id first: it tells most records apart in one compare */
		if (b[w].id != id->id || b[w].state == FRAG_FREE ||
		    memcmp(&b[w], id, FRAG_ID_LEN) != 0)
			continue;
		if (!rec_expired(&b[w], now))
			return &b[w];
		*stale = b[w].state == FRAG_OPEN;
	}
	return NULL;
}

/* A way for a new record: free or timed out, else a finished one still in
 * its grace (the grace only matters to passes after ct in the same burst;
 * without taking them a burst of small datagrams would fill the table). */
static struct frag_rec *rec_take(const struct frag_rec *id, uint32_t now)
{
	struct frag_rec *b = bucket_of(id), *done = NULL;
	unsigned int w;

	for (w = 0; w < FRAG_WAYS; w++) {
		if (b[w].state == FRAG_FREE || rec_expired(&b[w], now))
			return &b[w];
		if (b[w].state == FRAG_DONE && done == NULL)
			done = &b[w];
	}
	return done;
}

static void rec_refuse(struct frag_rec *r, uint16_t counter, uint32_t now)
{
	r->state = FRAG_BAD;
	r->why = counter;
	/* held until the datagram's time is up, so its later pieces meet it */
	if (rec_expired(r, now + CT_FRAG_DONE_MS))
		r->expires = now + CT_FRAG_DONE_MS;
}

static bool refuse(struct ct_pkt *p, uint16_t counter)
{
	p->counter = counter;
	return false;
}

static bool needs_l4(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP ||
	       proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6;
}

/* The first fragment: keyed from its own L4 header; leaves (or checks) the record. */
static bool first(const struct evs_ct_lcore *lc, struct ct_pkt *p, struct rte_mbuf *m,
		  struct evs_flow_key *key, uint16_t zone, const struct frag_rec *id,
		  const struct frag_info *fi)
{
	uint32_t now = (uint32_t)lc->now;
	struct frag_rec *r;
	bool stale;

	/* RFC 1858: the L4 header whole in the first fragment */
	if (needs_l4(key->ip_proto) && m->l4_len == 0)
		return refuse(p, EVS_CT_C_FRAG_TINY);
	if (!ct_pkt_key(p, m, key, zone, id->v6 != 0))
		return false;
	if (p->kind == CT_PKT_ICMP_ERROR)
		return refuse(p, EVS_CT_C_INV_FRAGMENT); /* an error is never that long */
	r = rec_find(id, now, &stale);
	if (r != NULL) {
		if (r->state == FRAG_BAD)
			return refuse(p, r->why);
		/* a copy of the first (or the next pass of it) must say the same */
		if (r->sport != p->ck.sport || r->dport != p->ck.dport ||
		    r->l4_src != key->l4_src || r->l4_dst != key->l4_dst ||
		    (!(key->ip_frag & EVS_CT_FRAG_SEEN) && r->first_end != fi->len)) {
			rec_refuse(r, EVS_CT_C_FRAG_OVERLAP, now);
			return refuse(p, EVS_CT_C_FRAG_OVERLAP);
		}
		key->ip_frag |= EVS_CT_FRAG_SEEN;
		return true;
	}
	r = rec_take(id, now);
	if (r == NULL)
		return refuse(p, EVS_CT_C_FRAG_FULL);
	memcpy(r, id, FRAG_ID_LEN);
	r->sport = p->ck.sport;
	r->dport = p->ck.dport;
	r->l4_src = key->l4_src;
	r->l4_dst = key->l4_dst;
	r->expires = now + CT_FRAG_TIMEOUT_MS;
	r->first_end = (uint16_t)fi->len;
	r->end = 0;
	r->seen = fi->len;
	r->nfrags = 1;
	r->state = FRAG_OPEN;
	r->why = 0;
	key->ip_frag |= EVS_CT_FRAG_SEEN;
	return true;
}

/* Account a later fragment against its datagram, once (not again on a
 * recirculated pass); false (counter set, record refused) when it cannot be
 * part of one. */
static bool account(struct frag_rec *r, const struct frag_info *fi, uint32_t now, uint16_t *counter)
{
	uint32_t end = fi->off + fi->len;

	if (fi->off < r->first_end)
		*counter = EVS_CT_C_FRAG_OVERLAP; /* over the L4 header (RFC 1858) */
	else if ((!fi->more && r->end != 0 && r->end != end) || (r->end != 0 && end > r->end))
		*counter = EVS_CT_C_FRAG_BAD_OFF;
	else if (r->nfrags >= CT_FRAG_MAX_FRAGS)
		*counter = EVS_CT_C_FRAG_TOO_MANY;
	else
		*counter = 0;
	if (*counter != 0) {
		rec_refuse(r, *counter, now);
		return false;
	}
	if (!fi->more)
		r->end = (uint16_t)end;
	r->nfrags++;
	r->seen += fi->len;
	if (r->end != 0 && r->seen >= r->end) {
		/* complete (or duplicates made it look so: then the rest is
		 * refused, never let through unchecked) */
		r->state = FRAG_DONE;
		r->expires = now + CT_FRAG_DONE_MS;
	}
	return true;
}

/* A later fragment: keyed from its first's record. */
static bool later(const struct evs_ct_lcore *lc, struct ct_pkt *p, struct rte_mbuf *m,
		  struct evs_flow_key *key, uint16_t zone, const struct frag_rec *id,
		  const struct frag_info *fi)
{
	uint32_t now = (uint32_t)lc->now;
	struct ct_key *k = &p->ck;
	struct frag_rec *r;
	uint16_t counter;
	bool stale;

	r = rec_find(id, now, &stale);
	if (r == NULL)
		return refuse(p, stale ? EVS_CT_C_FRAG_TIMEOUT : EVS_CT_C_FRAG_NO_FIRST);
	if (r->state == FRAG_BAD)
		return refuse(p, r->why);
	if (!(key->ip_frag & EVS_CT_FRAG_SEEN)) {
		if (!account(r, fi, now, &counter))
			return refuse(p, counter);
		key->ip_frag |= EVS_CT_FRAG_SEEN;
	}
	k->v6 = id->v6; /* the rest of p was set by ct_pkt_init */
	k->zone = zone;
	k->proto = id->proto;
	memcpy(k->src, id->src, 16);
	memcpy(k->dst, id->dst, 16);
	k->sport = r->sport;
	k->dport = r->dport;
	/* every stage after ct sees the datagram's ports */
	key->l4_src = r->l4_src;
	key->l4_dst = r->l4_dst;
	p->l4_off = (uint32_t)m->l2_len + m->l3_len;
	p->kind = CT_PKT_FRAG_LATER;
	return true;
}

bool ct_frag_pkt_init(const struct evs_ct_lcore *lc, struct ct_pkt *p, struct rte_mbuf *m,
		      struct evs_flow_key *key, uint16_t zone, bool v6)
{
	struct frag_info fi;
	struct frag_rec id;

	if (!(v6 ? info_v6(m, &fi) : info_v4(m, &fi)) || (fi.off == 0 && !fi.more) ||
	    (fi.off != 0) != ((key->ip_frag & EVS_FRAG_LATER) != 0))
		return refuse(p, EVS_CT_C_INV_FRAGMENT); /* the key does not describe the frame */
	/* beyond an IP datagram's length, or a non-last piece not in 8-byte units */
	if (fi.off + fi.len > FRAG_MAX_PAYLOAD || (fi.more && (fi.len == 0 || fi.len % 8 != 0)))
		return refuse(p, EVS_CT_C_FRAG_BAD_OFF);
	memset(&id, 0, FRAG_ID_LEN);
	if (v6) { /* constant sizes: a variable one is a loop under our memcpy strategy */
		memcpy(id.src, key->src_ip, 16);
		memcpy(id.dst, key->dst_ip, 16);
	} else {
		memcpy(id.src, key->src_ip, 4);
		memcpy(id.dst, key->dst_ip, 4);
	}
	id.id = fi.id;
	id.tag = lc->ct->frag_tag;
	id.proto = key->ip_proto;
	id.v6 = v6;
	if (fi.off == 0)
		return first(lc, p, m, key, zone, &id, &fi);
	return later(lc, p, m, key, zone, &id, &fi);
}
