/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_CT_PRIVATE_H
#define EVS_CT_PRIVATE_H

/* Shared by the conntrack library's files; not installed. */

#include <netinet/in.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_common.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_prefetch.h>
#include <rte_ring.h>
#include <rte_spinlock.h>
#include <rte_vect.h>

#include "ct_hash.h"
#include "evs_crc.h"
#include "evs_conntrack.h"

/* Hash key: one direction of a connection, 40 bytes. */
struct ct_key {
	uint8_t src[16];
	uint8_t dst[16];
	rte_be16_t sport;
	rte_be16_t dport;
	uint16_t zone;
	uint8_t proto;
	uint8_t v6;
};

/* What the table's hash function (CRC32C of the 64-bit words, initial
 * value 0; an IPv4 key's words 1 and 3, the zeroes after its addresses,
 * left out) gives for @k, inlined with a constant length: the burst
 * hashes each key once and hands the signature to the lookup and the
 * commit. */
static inline hash_sig_t ct_key_hash(const struct ct_key *k)
{
	/* word by word, read with memcpy: 64-bit loads of our 8/16-bit
	 * stores may be reordered (aliasing) */
	uint64_t w[sizeof(*k) / 8];
	uint32_t h;

	RTE_BUILD_BUG_ON(sizeof(*k) != 40);
	memcpy(w, k, sizeof(w));
	if (!k->v6)
		return evs_crc32c_u64(evs_crc32c_u64(evs_crc32c_u64(0, w[0]), w[2]), w[4]);
	h = 0;
	for (unsigned int i = 0; i < RTE_DIM(w); i++)
		h = evs_crc32c_u64(h, w[i]);
	return h;
}

/* A lookup gives (entry | direction): bit 0 set for the reply key. */
#define CT_DIR_BIT ((uintptr_t)1)

/* 40-byte key compare: two 16-byte and one 8-byte word. */
static inline bool ct_key_eq(const struct ct_key *a, const struct ct_key *b)
{
	uint64_t ta, tb;

	RTE_BUILD_BUG_ON(sizeof(*a) != 40);
	memcpy(&ta, (const char *)a + 32, 8);
	memcpy(&tb, (const char *)b + 32, 8);
#ifdef RTE_ARCH_X86
	const __m128i *pa = (const __m128i *)(const void *)a;
	const __m128i *pb = (const __m128i *)(const void *)b;
	__m128i x = _mm_or_si128(_mm_xor_si128(_mm_loadu_si128(pa), _mm_loadu_si128(pb)),
				 _mm_xor_si128(_mm_loadu_si128(pa + 1), _mm_loadu_si128(pb + 1)));

	return _mm_testz_si128(x, x) && ta == tb;
#else
	return memcmp(a, b, 32) == 0 && ta == tb;
#endif
}

/* ct_key_eq() when @k is an IPv4 key: three words. An IPv4 key's words 1
 * and 3 are zero (the bytes past its addresses, as ct_key_hash() counts
 * on), and a key whose last word (proto, v6) is @k's is an IPv4 one. */
static inline bool ct_key4_eq(const struct ct_key *a, const struct ct_key *k)
{
	uint64_t a0, a2, a4, k0, k2, k4;

	memcpy(&a0, a, 8);
	memcpy(&a2, (const char *)a + 16, 8);
	memcpy(&a4, (const char *)a + 32, 8);
	memcpy(&k0, k, 8);
	memcpy(&k2, (const char *)k + 16, 8);
	memcpy(&k4, (const char *)k + 32, 8);
	return ((a0 ^ k0) | (a2 ^ k2) | (a4 ^ k4)) == 0;
}

/* Entry flags (entry->flags, written under the entry lock or before publication). */
enum ct_flag {
	CT_FL_SEEN_REPLY = 1 << 0,
	CT_FL_ASSURED = 1 << 1,
	CT_FL_SNAT = 1 << 2,
	CT_FL_DNAT = 1 << 3,
	CT_FL_LIBERAL = 1 << 4,	     /* picked up mid-stream: no window checks */
	CT_FL_CLOSER_REPLY = 1 << 5, /* TCP: the reply side sent the first FIN */
	CT_FL_FIN_SEEN = 1 << 6,     /* TCP: a side started closing */
	CT_FL_ONEWAY = 1 << 7,	     /* TCP: only the originator's side passes here */
};

/* TCP per-direction tracking (Linux's td_* fields, our own names). */
struct ct_tcp_dir {
	uint32_t end;	   /* highest seq + len this side sent */
	uint32_t maxend;   /* highest seq this side may send (peer's ack + window) */
	uint32_t maxwin;   /* largest window this side advertised (0: not seen) */
	uint32_t maxack;   /* highest ACK this side sent (valid when maxack_set) */
	uint8_t scale;	   /* window shift this side announced */
	uint8_t wscale_ok; /* sent the window scale option on its SYN */
	uint8_t maxack_set;
	uint8_t pad;
};

/* Entry lifecycle (entry->life, atomic). */
enum ct_life {
	CT_LIFE_FREE = 0,
	CT_LIFE_LIVE,
	CT_LIFE_DEAD, /* out of the hash, waiting for its owner's wheel and a grace */
};

/* One connection: 192 bytes, both keys inline so deletion needs no lookup.
 * Laid out by what a packet of a known connection touches: line 0 holds
 * the state it reads and writes and the original key, so an original-
 * direction packet reads one line; a reply reads the reply key's line too,
 * and TCP the windows' line. The rest is written at commit, by the wheel
 * or on rare TCP paths. */
struct ct_entry {
	/* line 0 */
	rte_spinlock_t lock;	  /* protocol state, flags, mark/label */
	uint8_t proto_state;	  /* enum evs_ct_tcp_state for TCP */
	uint8_t flags;		  /* enum ct_flag */
	uint8_t owner;		  /* lcore whose wheel files it */
	uint8_t tcp_last;	  /* TCP: class | dir of the last accepted or ignored segment */
	_Atomic uint64_t expires; /* ms; any lcore refreshes it (relaxed: a hint) */
	uint32_t mark;
	uint16_t backend;	/* a load balancer's backend slot (0: none), set at commit */
	_Atomic uint8_t life;	/* enum ct_life */
	int8_t tcp_last_wscale; /* TCP: an ignored SYN's window scale (-1 none), */
	struct ct_key key[2];	/* [0] original, [1] reply; as sent by each side */
	/* line 1 from key[1] */
	uint8_t label[16];
	struct ct_entry *wheel_next; /* owner lcore only */
	/* line 2 */
	struct ct_tcp_dir tcp[2];
	uint64_t rcu_token;    /* grace to wait after DEAD */
	uint32_t tcp_last_end; /* its end, */
	uint16_t tcp_last_win; /* and its window, to resync on */
	uint8_t pad[2];
} __rte_aligned(64);

/* three cache lines; a fourth would cost 10M connections 640 MB */
_Static_assert(sizeof(struct ct_entry) == 192, "ct_entry grew");
_Static_assert(offsetof(struct ct_entry, key[1]) == 64, "line 0: state and the original key");
_Static_assert(offsetof(struct ct_entry, tcp) == 128, "line 2: the windows");

/* Does a candidate of ct_hash_lookup_cand() (0: none) hold key @k? The
 * entry's key is read as the table's lookup reads it: the slot's acquire
 * in ct_hash_lookup_cand() made it whole. */
static inline bool ct_cand_holds(uintptr_t cand, const struct ct_key *k)
{
	const struct ct_entry *e = (const struct ct_entry *)(cand & ~CT_DIR_BIT);

	return cand != 0 && ct_key_eq(&e->key[cand & CT_DIR_BIT], k);
}

/* The lines a packet of direction @dir will touch: line 0, the reply
 * key's (a reply's own key; for @nat either direction: the rewrite reads
 * the other direction's key), and for TCP the windows'. */
static inline void ct_entry_prefetch(const struct ct_entry *e, int dir, uint8_t proto, bool nat)
{
	rte_prefetch0(e);
	if (dir || nat)
		rte_prefetch0(&e->key[1]);
	if (proto == IPPROTO_TCP)
		rte_prefetch0(e->tcp);
}

/* Result of a protocol's look at one packet. */
enum ct_verdict {
	CT_V_OK = 0,
	CT_V_INVALID, /* counter set by the protocol */
	CT_V_RESTART, /* SYN reopening a closed connection: delete and create anew */
	CT_V_KILL,    /* accepted, and the connection ends with it (a refused SYN) */
};

/* What a packet is besides a plain one (struct ct_pkt.kind). */
enum ct_pkt_kind {
	CT_PKT_PLAIN = 0,
	CT_PKT_ICMP_ERROR, /* quoting another packet: ck holds the inverted quote */
	CT_PKT_FRAG_LATER, /* a later fragment: ck from its first's record, no L4 header */
};

/* Per-packet facts the protocols need beyond the flow key. */
struct ct_pkt {
	struct rte_mbuf *m;
	struct evs_flow_key *key;
	struct ct_key ck;      /* lookup key (orig direction of its own view) */
	hash_sig_t sig;	       /* ct_key_hash(&ck) */
	uint32_t l4_off;       /* from the frame start */
	uint32_t quote_off;    /* ICMP error: quoted IP header */
	uint32_t quote_l4_off; /* ICMP error: quoted L4 header */
	uint16_t counter;      /* enum evs_ct_counter when invalid */
	uint8_t kind;	       /* enum ct_pkt_kind: one test on the common path */
	uint8_t invalid;
};

/* A protocol behind the ops table. */
struct ct_proto_ops {
	/* May this packet start a connection? Set p->counter when not. */
	bool (*valid_new)(const struct ct_pkt *p);
	/* Initialise a new entry's protocol state from its first packet. */
	void (*init)(struct ct_entry *e, const struct ct_pkt *p, const struct evs_ct_zone_conf *zc);
	/* Update an entry with a packet of direction @dir (entry lock held). */
	enum ct_verdict (*update)(struct ct_entry *e, struct ct_pkt *p, int dir,
				  const struct evs_ct_zone_conf *zc);
	/* Timeout (s) in the entry's current state. */
	uint32_t (*timeout)(const struct ct_entry *e, const struct evs_ct_timeouts *t);
};

extern const struct ct_proto_ops ct_proto_tcp;
extern const struct ct_proto_ops ct_proto_udp;
extern const struct ct_proto_ops ct_proto_icmp;
extern const struct ct_proto_ops ct_proto_other;

/* conntrack_tcp.c: the usual TCP segment, an ACK (PSH, ECE, CWR aside) of
 * an ESTABLISHED two-way connection, entry lock held, as ops->update()
 * takes it: CT_V_OK or CT_V_INVALID (counter set). -1, nothing read or
 * changed, for any other segment or state. @liberal: the zone's. */
int ct_tcp_established_ack(struct ct_entry *e, struct ct_pkt *p, int dir, bool liberal);

/* Inline: several calls per packet, each a few compares. */
static inline const struct ct_proto_ops *ct_proto_of(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return &ct_proto_tcp;
	case IPPROTO_UDP:
		return &ct_proto_udp;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return &ct_proto_icmp;
	default:
		return &ct_proto_other;
	}
}

/* conntrack_other.c: ops of protocols without their own state */
bool ct_generic_valid_new(const struct ct_pkt *p);
void ct_generic_init(struct ct_entry *e, const struct ct_pkt *p, const struct evs_ct_zone_conf *zc);
enum ct_verdict ct_generic_update(struct ct_entry *e, struct ct_pkt *p, int dir,
				  const struct evs_ct_zone_conf *zc);

/* Expiry wheel: 1024 slots of 128 ms (131 s); later expiries are re-filed. */
#define CT_WHEEL_SHIFT 7
#define CT_WHEEL_SLOTS 1024
_Static_assert(EVS_CT_EXPIRY_GRAIN_MS == 1 << CT_WHEEL_SHIFT, "a grain is a wheel slot");

/* When a connection seen at @now_ms times out after @timeout_s: rounded up
 * to a grain, so that most packets find it unchanged and store nothing. */
static inline uint64_t ct_expiry(uint64_t now_ms, uint32_t timeout_s)
{
	uint64_t t = now_ms + (uint64_t)timeout_s * 1000;

	return (t + EVS_CT_EXPIRY_GRAIN_MS - 1) & ~(uint64_t)(EVS_CT_EXPIRY_GRAIN_MS - 1);
}

struct evs_ct_lcore {
	struct evs_ct_lcore_head head; /* first: evs_ct_burst_meta() reads it inline */
	struct evs_ct *ct;
	uint64_t now;	     /* ms */
	uint64_t wheel_tick; /* next slot to process */
	struct ct_entry *wheel[CT_WHEEL_SLOTS];
	struct ct_entry *limbo_head; /* DEAD entries waiting for a grace */
	struct ct_entry *limbo_tail;
	/* after a flush: a walk of the whole wheel taking dead entries out */
	struct ct_entry **scan_link; /* next link to look at; NULL: no walk */
	uint32_t scan_slot;
	uint32_t scan_gen; /* flush generation this lcore has walked for */
	uint32_t idx;
	uint64_t counters[EVS_CT_C_MAX];
	/* What the burst's own bulk lookup cannot have seen (ct_exec.c): a
	 * miss needs no second look unless a key was published since. */
	uint64_t own_inserts; /* connections this context published */
	uint64_t foreign0;    /* others' publishes before the burst's lookup */
	uint64_t made[4];     /* bits of the hashes of the keys the burst published */
	bool looked;	      /* this burst looked its keys up (not EVS_CT_F_MISSED) */
} __rte_cache_aligned;
_Static_assert(offsetof(struct evs_ct_lcore, head) == 0, "evs_ct_burst_meta's cast");

struct evs_ct {
	struct ct_hash *hash;	    /* both directions' keys (ct_hash.c) */
	struct rte_ring *free_ring; /* indices of free entries */
	struct ct_entry *entries;
	struct evs_ct_lcore *lcores;
	struct rte_rcu_qsbr *qsv;
	rte_spinlock_t wlock; /* serialises hash writers */
	uint32_t max_conns;
	uint32_t n_lcores;
	_Atomic uint32_t conns;
	_Atomic uint64_t inserts;	 /* connections published, ever (under wlock) */
	_Atomic uint32_t flush_gen;	 /* bumped by each flush: lcores walk their wheels */
	_Atomic uint32_t lcores_claimed; /* evs_ct_lcore_claim() handed out so many */
	_Atomic uint32_t *zone_count;	 /* [65536] */
	_Atomic uint32_t *backend_count; /* [EVS_CT_BACKENDS]: live connections per backend */
	struct evs_ct_zone_conf *_Atomic *zone_conf; /* [65536], NULL: defaults */
	struct evs_ct_zone_conf defaults;
	/* ct_conf.c: a transaction's zones and their new (after commit: old) settings */
	uint16_t *staged_zone;
	struct evs_ct_zone_conf **staged_conf;
	size_t n_staged;
	char name[32];
	uint16_t frag_tag; /* tells its fragment records from another table's (ct_frag.c) */
};

/* An entry's index (its hash slots and the free ring hold indices). */
static inline uint32_t ct_entry_idx(const struct evs_ct *ct, const struct ct_entry *e)
{
	return (uint32_t)(e - ct->entries);
}

/* Zone settings for the fast path (RCU-protected pointer, never NULL). */
static inline const struct evs_ct_zone_conf *ct_zone_conf(const struct evs_ct *ct, uint16_t zone)
{
	/* acquire: the conf's fields were written before the pointer was published */
	const struct evs_ct_zone_conf *zc =
	    atomic_load_explicit(&ct->zone_conf[zone], memory_order_acquire);

	return zc != NULL ? zc : &ct->defaults;
}

static inline void ct_count(struct evs_ct_lcore *lc, enum evs_ct_counter c)
{
	lc->counters[c]++;
}

/* Serial-number arithmetic on 32-bit sequence numbers. */
static inline bool seq_before(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static inline bool seq_after(uint32_t a, uint32_t b)
{
	return seq_before(b, a);
}

/* ct_table.c */
struct ct_entry *ct_entry_alloc(struct evs_ct *ct);
/* Return an entry no reader can hold (never published, or after its grace). */
void ct_entry_put(struct evs_ct *ct, struct ct_entry *e);
/* Remove an entry's keys from the hash (writer lock held) and mark it DEAD. */
void ct_entry_unlink(struct evs_ct *ct, struct ct_entry *e);

/* Zone settings in two steps, for transactions: make (validated copy, NULL
 * with errno), publish (returns the old one), then retire the old ones
 * (one RCU grace for all, then freed). */
struct evs_ct_zone_conf *ct_zone_conf_new(const struct evs_ct_zone_conf *zc);
struct evs_ct_zone_conf *ct_zone_conf_swap(struct evs_ct *ct, uint16_t zone,
					   struct evs_ct_zone_conf *nc);
void ct_zone_conf_retire(struct evs_ct *ct, struct evs_ct_zone_conf *const *old, size_t n);

/* ct_expire.c */
void ct_wheel_file(struct evs_ct_lcore *lc, struct ct_entry *e);

/* ct_key.c */
/* The key of the other direction (ICMP: identifier kept, query type swapped). */
void ct_key_invert(struct ct_key *dst, const struct ct_key *src);
bool ct_icmp_is_request(bool v6, uint8_t type);
/* Build p->ck from the packet; false (p->counter set) if untrackable. */
bool ct_pkt_init(const struct evs_ct_lcore *lc, struct ct_pkt *p, struct rte_mbuf *m,
		 struct evs_flow_key *key, uint16_t zone);
/* The last word of an IPv4 TCP/UDP key (ports, zone, protocol; v6 0). */
static inline uint64_t ct_key4_w4(const struct evs_flow_key *key, uint16_t zone)
{
	uint32_t ports;

	memcpy(&ports, &key->l4_src, 4); /* l4_src, l4_dst: sport, dport */
	return ports | (uint64_t)zone << 32 | (uint64_t)key->ip_proto << 48;
}

/* The hash of an IPv4 TCP/UDP key (as ct_key_hash()): its three non-zero words. */
static inline uint32_t ct_key4_hash(uint32_t src, uint32_t dst, uint64_t w4)
{
#ifdef __SSE4_2__
	/* evs_crc32c_u64()'s chain, 64-bit between the steps (crc32
	 * zero-extends: no moves) */
	return (uint32_t)_mm_crc32_u64(_mm_crc32_u64(_mm_crc32_u64(0, src), dst), w4);
#else
	return evs_crc32c_u64(evs_crc32c_u64(evs_crc32c_u64(0, src), dst), w4);
#endif
}

/* The hash ct_key4_build() gives the key of @key in @zone, without
 * building the key: what evs_ct_prefetch_burst() asks the bucket of. */
static inline uint32_t ct_key4_sig(const struct evs_flow_key *key, uint16_t zone)
{
	uint32_t src, dst;

	memcpy(&src, key->src_ip, 4);
	memcpy(&dst, key->dst_ip, 4);
	return ct_key4_hash(src, dst, ct_key4_w4(key, zone));
}

/* An IPv4 TCP/UDP key from the flow key's words, and its hash; the caller
 * checked the packet is one (ct_key4_ok()). */
static inline uint32_t ct_key4_build(struct ct_key *ck, const struct evs_flow_key *key,
				     uint16_t zone)
{
	uint32_t src, dst;
	uint64_t w[5];

#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
	RTE_BUILD_BUG_ON(
	    offsetof(struct ct_key, dst) != 16 || offsetof(struct ct_key, sport) != 32 ||
	    offsetof(struct ct_key, dport) != 34 || offsetof(struct ct_key, zone) != 36 ||
	    offsetof(struct ct_key, proto) != 38 || offsetof(struct ct_key, v6) != 39);
#endif
	memcpy(&src, key->src_ip, 4);
	memcpy(&dst, key->dst_ip, 4);
	w[0] = src;
	w[1] = 0;
	w[2] = dst;
	w[3] = 0;
	w[4] = ct_key4_w4(key, zone);
	memcpy(ck, w, sizeof(w));
	return ct_key4_hash(src, dst, w[4]);
}

/* The packets ct_key4_build() keys (little-endian hosts: the word layout). */
static inline bool ct_key4_ok(const struct evs_flow_key *key)
{
	return RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN &&
	       key->ethertype == RTE_BE16(RTE_ETHER_TYPE_IPV4) && !(key->ip_frag & EVS_FRAG_ANY) &&
	       (key->ip_proto == IPPROTO_UDP || key->ip_proto == IPPROTO_TCP);
}

/* The usual packet keyed inline: a whole IPv4 TCP or UDP packet, its key
 * from the flow key's words, hashed from registers (as ct_key_hash()).
 * Anything else by ct_pkt_init(). False (p->counter set): untrackable.
 * Also sets p->sig. The burst's (ct_exec.c); test_conntrack_hash holds it
 * to ct_pkt_init() + ct_key_hash(). */
static inline bool ct_pkt_init_fast(const struct evs_ct_lcore *lc, struct ct_pkt *p,
				    struct rte_mbuf *m, struct evs_flow_key *key, uint16_t zone)
{
	/* the header lengths in one load (rte_mbuf_tx_offload()'s layout) */
	uint64_t tx = m->tx_offload;

	if (likely(ct_key4_ok(key) &&
		   (tx >> RTE_MBUF_L4_LEN_OFS & ((1u << RTE_MBUF_L4_LEN_BITS) - 1)) != 0)) {
		/* apart from sig: the two make a poor vector store */
		p->l4_off =
		    (uint32_t)(tx >> RTE_MBUF_L2_LEN_OFS & ((1u << RTE_MBUF_L2_LEN_BITS) - 1)) +
		    (uint32_t)(tx >> RTE_MBUF_L3_LEN_OFS & ((1u << RTE_MBUF_L3_LEN_BITS) - 1));
		p->sig = ct_key4_build(&p->ck, key, zone);
		p->m = m;
		p->key = key;
		/* not p->counter: read only after a refusal, which sets it */
		p->kind = CT_PKT_PLAIN;
		return true;
	}
	if (!ct_pkt_init(lc, p, m, key, zone))
		return false;
	p->sig = ct_key_hash(&p->ck);
	return true;
}

/* The same once the family is known and the packet is not a later fragment. */
bool ct_pkt_key(struct ct_pkt *p, struct rte_mbuf *m, struct evs_flow_key *key, uint16_t zone,
		bool v6);

/* ct_exec.c: evs_ct_execute_burst(), and with @key_mark each key's
 * ct_mark set to its connection's mark (0: none), as the ct() opcode wants */
uint16_t ct_execute(struct evs_ct_lcore *lc, const struct evs_ct_action *act,
		    struct rte_mbuf **pkts, struct evs_flow_key *keys, uint16_t n, bool key_mark);

/* ct_frag.c: shallow virtual reassembly of IP fragments */
#define CT_FRAG_TIMEOUT_MS 1000 /* a datagram's pieces must come within */
#define CT_FRAG_DONE_MS 2	/* a complete one's record stays for the passes after */
#define CT_FRAG_MAX_FRAGS 64	/* pieces of one datagram (1480-byte pieces: 45) */
uint16_t ct_frag_tag_new(void);
/* Build p->ck for a fragment (key->ip_frag has EVS_FRAG_ANY), for
 * ct_pkt_init (p's fields and ck zeroed); false (p->counter set) when it
 * cannot be tracked. */
bool ct_frag_pkt_init(const struct evs_ct_lcore *lc, struct ct_pkt *p, struct rte_mbuf *m,
		      struct evs_flow_key *key, uint16_t zone, bool v6);

/* ct_nat.c */
/* Choose the reply key of a new NATed entry (writer lock held): 0 (its
 * hash in @sig) or -ENOSPC. */
int ct_nat_setup(struct evs_ct *ct, struct ct_entry *e, const struct evs_ct_nat_range *r,
		 hash_sig_t *sig);
/* Translate a packet of direction @dir as the entry says; @t: the template
 * of the entry's backend slot, if the action has one (evs_ct_nat_tpl). */
void ct_nat_packet(const struct ct_entry *e, struct ct_pkt *p, int dir,
		   const struct evs_ct_nat_tpl *t);

/* Counter names by enum evs_ct_counter (ct_table.c), shared with the module. */
extern const char *const ct_counter_names[EVS_CT_C_MAX];

#endif /* EVS_CT_PRIVATE_H */
