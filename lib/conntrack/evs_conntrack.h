/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_CONNTRACK_H
#define EVS_CONNTRACK_H

/**
 * @file
 * Connection tracking and NAT.
 *
 * What: a table of connections shared by every PMD lcore (the two
 * directions of a connection may arrive on different lcores: vhost-user
 * gives no RSS). evs_ct_execute_burst() classifies a burst of parsed
 * packets: it finds each packet's connection (or creates it on commit),
 * runs the protocol's state machine (TCP with sequence/window tracking,
 * UDP, ICMP/ICMPv6 echo and errors, other IP protocols by address pair),
 * rewrites NATed packets from the connection entry and sets ct_state and
 * ct_zone in the flow keys. IP fragments are followed by shallow virtual
 * reassembly: every piece gets its first fragment's lookup, verdict and
 * NAT, in place. doc/conntrack.md explains the design.
 *
 * Thread-safety:
 * - evs_ct_execute_burst, evs_ct_expire: PMD lcores, each with its own
 *   struct evs_ct_lcore (never shared). Lookups are lock-free; creating or
 *   deleting a connection serialises on the table's writer lock (a few
 *   hundred ns); a connection's protocol state is updated under its own
 *   entry lock, which only the two directions of that connection contend.
 *   Fragment records are per thread, shared by the contexts one lcore
 *   uses: a datagram's pieces must come through one lcore, as they do from
 *   one queue.
 * - evs_ct_create/free, evs_ct_zone_set, evs_ct_flush, evs_ct_stats,
 *   evs_ct_iterate, evs_ct_ctl_register (ct.list/stats/flush) and
 *   evs_ct_store_add (the "ct_zone" object type): the management lcore.
 *   Configuration is published with RCU; readers never wait.
 * - Readers must report quiescent states on the RCU variable given in the
 *   config (between bursts); freed entries are reused only after a grace.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>

#include "evs_packet.h"

#ifdef __cplusplus
extern "C" {
#endif

/** ct_state bits in evs_flow_key.ct_state (same values as OVS). */
enum evs_ct_state {
	EVS_CT_NEW = 1 << 0,	     /**< first packet(s) of a connection, no reply seen yet */
	EVS_CT_ESTABLISHED = 1 << 1, /**< a connection that has seen a reply */
	EVS_CT_RELATED = 1 << 2,     /**< ICMP error quoting a tracked connection */
	EVS_CT_REPLY = 1 << 3,	     /**< in the reply direction */
	EVS_CT_INVALID = 1 << 4,     /**< could not be tracked, or broke the protocol */
	EVS_CT_TRACKED = 1 << 5,     /**< went through ct */
	EVS_CT_SNAT = 1 << 6,	     /**< source was translated */
	EVS_CT_DNAT = 1 << 7,	     /**< destination was translated */
};

/**
 * Bit of evs_flow_key.ip_frag that conntrack sets on a fragment it has
 * accounted to its datagram, so that a recirculated pass (or a second ct
 * action) looks it up without counting it again. A later fragment whose
 * first fragment was seen also gets that first's L4 ports in l4_src/l4_dst
 * (ICMP: type and code), so every stage after ct sees the datagram's ports
 * (doc/conntrack.md, "Fragments"). The parser never sets it.
 */
enum { EVS_CT_FRAG_SEEN = 1 << 7 };

/** Flags of struct evs_ct_action. */
enum evs_ct_action_flags {
	EVS_CT_F_COMMIT = 1 << 0, /**< create the connection if new */
	EVS_CT_F_NAT = 1 << 1, /**< translate with the connection's NAT (and set it up on commit) */
	EVS_CT_F_SET_MARK = 1 << 2,  /**< on commit or hit of a committed connection */
	EVS_CT_F_SET_LABEL = 1 << 3, /**< likewise */
	/** the caller's own lookup just missed these packets: commit without a
	 *  second one (the commit still finds a connection created meanwhile) */
	EVS_CT_F_MISSED = 1 << 4,
	/** ct() opcode with recirc only: established, related and reply
	 *  packets not translated go on with the opcodes after it; the others
	 *  are classified again (evs_ct_xlate_emit_continue) */
	EVS_CT_F_CONTINUE = 1 << 5,
	/** with EVS_CT_F_CONTINUE: new packets go on too (a next pass that
	 *  passes them like established ones: the stateful switch) */
	EVS_CT_F_CONTINUE_NEW = 1 << 6,
	/** with EVS_CT_F_CONTINUE: new packets of a connection already in the
	 *  table (committed, no reply yet) go on too; their ct_state stays +new
	 *  (a next pass that decided such a connection at its first packet:
	 *  the firewall) */
	EVS_CT_F_CONTINUE_KNOWN = 1 << 7,
	/** on commit: only the original direction will be seen (a load
	 *  balancer's direct server return): TCP follows the originator's
	 *  flags alone (SYN, then established, FIN and RST close), without
	 *  the handshake or window checks; the state stays +new (no reply) */
	EVS_CT_F_ONEWAY = 1 << 8,
};

/** NAT kind of a commit. */
enum evs_ct_nat_kind {
	EVS_CT_NAT_NONE = 0,
	EVS_CT_NAT_SRC, /**< rewrite the source of the original direction */
	EVS_CT_NAT_DST, /**< rewrite the destination of the original direction */
	/** both: the destination to addr_min/port_min (one address, one port
	 *  or 0 to keep it), the source to snat_addr with a source port that
	 *  keeps the reply key unique (a one-arm load balancer) */
	EVS_CT_NAT_FULL,
};

/**
 * Address and port range a NAT chooses from. Addresses in network order
 * (IPv4 in the first 4 bytes), the range inclusive. Ports in host order;
 * 0/0: DNAT keeps the destination port, SNAT keeps the source port when
 * free and else picks one in 1024-65535. An IPv4 range only applies to IPv4
 * connections and an IPv6 one to IPv6.
 */
struct evs_ct_nat_range {
	uint8_t kind; /**< enum evs_ct_nat_kind */
	bool v6;
	uint16_t port_min;
	uint16_t port_max;
	uint8_t addr_min[16];
	uint8_t addr_max[16];
	uint8_t snat_addr[16]; /**< EVS_CT_NAT_FULL: the new source */
	/** EVS_CT_NAT_FULL: the source range's last address (all zero:
	 *  snat_addr alone) and its ports (host order; 0/0 as for SNAT: keep
	 *  the port when free, else 1024-65535) */
	uint8_t snat_addr_max[16];
	uint16_t snat_port_min;
	uint16_t snat_port_max;
};

/**
 * Per-packet choice of a commit (a load balancer's backend), called for
 * packet @p i of the burst (its key @p key) when a connection is about to
 * be created: fill @p nat and @p backend; false: do not commit it (its
 * state is then +new, untranslated).
 */
typedef bool (*evs_ct_choose_fn)(void *arg, uint16_t i, const struct evs_flow_key *key,
				 struct evs_ct_nat_range *nat, uint16_t *backend);

/**
 * The rewrite of the original direction of a plain-DNAT connection, the
 * same for every connection committed with one backend slot (a load
 * balancer's backend): precomputed once (evs_ct_nat_tpl_init), applied to
 * each packet with an incremental checksum update, without reading the
 * connection's reply key (its entry's second cache line). An IPv4 packet
 * whose destination is the template's @vip (and port @vport, when the
 * template maps the port) takes the checksum deltas whole, computed for
 * that old destination (evs_ct_nat_tpl_set_vip); any other, the deltas
 * from its own old values.
 */
struct evs_ct_nat_tpl {
	uint8_t addr[16];  /**< new destination, network order; IPv4 in the first 4 bytes */
	rte_be16_t port;   /**< new destination port; 0: the client's is kept */
	uint16_t addr_sum; /**< one's-complement sum of @addr's 16-bit words (wire order) */
	uint8_t v6;
	uint8_t valid;	   /**< 0: the slot has no template (the general rewrite) */
	rte_be16_t vport;  /**< IPv4: the old destination port the deltas assume */
	uint8_t vip[4];	   /**< IPv4: the old destination address they assume */
	uint16_t ip_delta; /**< IPv4: ~@vip + @addr, folded: the header checksum's change */
	uint16_t l4_delta; /**< the same, plus ~@vport + @port if @port: the L4 checksum's */
};

/**
 * Fill @p t for DNAT to @p addr (network order, IPv4 in the first 4 bytes)
 * and @p port (host order, 0: keep the client's destination port). Its
 * deltas assume 0.0.0.0 port 0 until evs_ct_nat_tpl_set_vip().
 */
void evs_ct_nat_tpl_init(struct evs_ct_nat_tpl *t, const uint8_t addr[16], uint16_t port, bool v6);

/**
 * The destination the template's connections were sent to (an IPv4 VIP,
 * network order, and its port in host order): their packets' checksum
 * deltas precomputed. Any value is safe: a packet that was sent elsewhere
 * takes the deltas of its own old values.
 */
void evs_ct_nat_tpl_set_vip(struct evs_ct_nat_tpl *t, const uint8_t vip[4], uint16_t vport);

/** What a ct() opcode asks for. */
struct evs_ct_action {
	uint16_t zone;
	uint16_t flags; /**< enum evs_ct_action_flags */
	uint32_t mark;
	uint32_t mark_mask;
	uint8_t label[16];
	uint8_t label_mask[16];
	struct evs_ct_nat_range nat; /**< used on commit with EVS_CT_F_NAT */
	uint16_t backend;	     /**< on commit: a load balancer's backend slot, 0: none */
	/** set: on commit, @nat and @backend come from it per packet instead
	 *  (one pass looks up and commits a burst of mixed connections) */
	evs_ct_choose_fn choose;
	void *choose_arg;
	/** set with EVS_CT_F_NAT: templates by backend slot (< @n_nat_tpl).
	 *  An original-direction packet of a plain-DNAT connection whose slot
	 *  has a valid template is rewritten from it: the caller guarantees
	 *  every such connection was committed with that DNAT (a slot is not
	 *  given to another backend while a connection names it). The burst
	 *  then does not prefetch reply keys for original-direction hits. */
	const struct evs_ct_nat_tpl *nat_tpl;
	uint32_t n_nat_tpl;
};

/** Backend slots a connection can name (evs_ct_action.backend < this). */
#define EVS_CT_BACKENDS 65536u

/*
 * Zones above EVS_CT_ZONE_USER_MAX belong to the switch's own modules: the
 * firewall and the load balancer must not share connection entries, nor
 * meet an operator's zone.
 */
#define EVS_CT_ZONE_USER_MAX 65519u
#define EVS_CT_ZONE_FW 65520u
#define EVS_CT_ZONE_LB 65521u

/** Per-state timeouts (seconds) of a zone. */
struct evs_ct_timeouts {
	uint32_t tcp_syn_sent;
	uint32_t tcp_syn_recv;
	uint32_t tcp_established;
	uint32_t tcp_fin_wait;
	uint32_t tcp_close_wait;
	uint32_t tcp_last_ack;
	uint32_t tcp_time_wait;
	uint32_t tcp_close;
	uint32_t udp_unreplied;
	uint32_t udp_replied;
	uint32_t icmp;
	uint32_t other;
};

/** Settings of one zone. */
struct evs_ct_zone_conf {
	uint32_t limit;	  /**< connections in the zone; 0: only the global limit */
	bool tcp_liberal; /**< skip sequence/window checks (out-of-window not invalid) */
	struct evs_ct_timeouts timeouts;
};

/** Table configuration. */
struct evs_ct_config {
	const char *name;	  /**< unique among tables (DPDK object names) */
	uint32_t max_conns;	  /**< global limit; all entries are preallocated */
	uint32_t n_lcores;	  /**< per-lcore contexts (PMD lcores) */
	int socket_id;		  /**< memory placement (SOCKET_ID_ANY) */
	struct rte_rcu_qsbr *qsv; /**< readers' RCU; NULL for single-threaded use */
};

/** Drop/refusal and event counters, per lcore, summed by evs_ct_stats(). */
enum evs_ct_counter {
	EVS_CT_C_HIT,		 /**< packet matched a connection */
	EVS_CT_C_MISS,		 /**< packet matched none */
	EVS_CT_C_CREATED,	 /**< connection committed */
	EVS_CT_C_EXPIRED,	 /**< connection removed by its timeout */
	EVS_CT_C_INV_L3,	 /**< not IPv4/IPv6 */
	EVS_CT_C_INV_FRAGMENT,	 /**< fragment not followed (ICMP error, bad key) */
	EVS_CT_C_INV_L4,	 /**< L4 header missing or truncated */
	EVS_CT_C_INV_TCP_FLAGS,	 /**< TCP flag combination never valid */
	EVS_CT_C_INV_TCP_STATE,	 /**< TCP segment the state machine refuses */
	EVS_CT_C_INV_TCP_WINDOW, /**< TCP segment out of window */
	EVS_CT_C_INV_NEW,	 /**< cannot start a connection (e.g. echo reply, RST) */
	EVS_CT_C_INV_ICMP_ERROR, /**< ICMP error quoting no known connection */
	EVS_CT_C_REFUSED_GLOBAL, /**< commit refused: global limit */
	EVS_CT_C_REFUSED_ZONE,	 /**< commit refused: zone limit */
	EVS_CT_C_REFUSED_NAT,	 /**< commit refused: NAT range exhausted */
	EVS_CT_C_REFUSED_TABLE,	 /**< commit refused: hash insertion failed */
	EVS_CT_C_NAT_REWRITE,	 /**< packet translated */
	EVS_CT_C_FRAG_NO_FIRST,	 /**< later fragment before its first */
	EVS_CT_C_FRAG_NO_CONN,	 /**< later fragment, no connection to commit on */
	EVS_CT_C_FRAG_TIMEOUT,	 /**< later fragment after its datagram's time */
	EVS_CT_C_FRAG_FULL,	 /**< first fragment: the lcore's fragment table full */
	EVS_CT_C_FRAG_TOO_MANY,	 /**< more than 64 pieces in one datagram */
	EVS_CT_C_FRAG_OVERLAP,	 /**< piece over the first's bytes, or a differing first */
	EVS_CT_C_FRAG_BAD_OFF,	 /**< beyond 64 KB or the datagram's end, not 8-byte units */
	EVS_CT_C_FRAG_TINY,	 /**< first fragment without its whole L4 header */
	EVS_CT_C_MAX,
};

/** Name of a counter ("hit", "refused_zone", ...); never NULL. */
const char *evs_ct_counter_name(enum evs_ct_counter c);

struct evs_ct;
struct evs_ct_lcore;

/**
 * Connection facts of a packet, as left by the last burst. No label: no
 * stage reads it per packet (evs_ct_iterate() shows it), and copying it
 * would cost every packet a cache line of its entry.
 */
struct evs_ct_meta {
	uint32_t mark;
	uint16_t backend; /**< the connection's backend slot, 0: none */
	uint8_t known;	  /**< 1: the packet matched a connection already in the table */
};

/** Largest burst evs_ct_execute_burst takes. */
#define EVS_CT_BURST_MAX 64

/**
 * Expiry times are rounded up to this many milliseconds (the expiry wheel's
 * slot): a connection lives its state's timeout after its last packet plus
 * less than one grain. Packets within one grain store nothing, so a busy
 * connection's entry is not written by every packet.
 */
#define EVS_CT_EXPIRY_GRAIN_MS 128

/**
 * Create a table. Allocates max_conns entries, the hash (two keys per
 * connection) and n_lcores contexts up front.
 * @return the table, or NULL with errno: EINVAL (bad config), ENOMEM,
 *   EEXIST (name in use).
 */
struct evs_ct *evs_ct_create(const struct evs_ct_config *cfg);

/** Free a table (NULL is fine). No lcore may be using it. */
void evs_ct_free(struct evs_ct *ct);

/** The context of PMD lcore @p idx (< n_lcores), or NULL. */
struct evs_ct_lcore *evs_ct_lcore_get(struct evs_ct *ct, uint32_t idx);

/** Set the lcore's clock (milliseconds, monotonic); call once per loop. */
void evs_ct_lcore_set_now(struct evs_ct_lcore *lc, uint64_t now_ms);

/** Milliseconds of the TSC clock, for evs_ct_lcore_set_now. */
uint64_t evs_ct_now_ms(void);

/**
 * Track a burst. For each packet (parsed by evs_packet_parse) set
 * key->ct_state and key->ct_zone (= act->zone); on EVS_CT_F_NAT translate
 * the packet and its key as the connection says. Invalid packets are not
 * dropped here: they get EVS_CT_TRACKED | EVS_CT_INVALID and a counter.
 * Mark and LB backend are left in evs_ct_burst_meta(lc, i).
 * @return n (every packet is handled); at most EVS_CT_BURST_MAX.
 */
uint16_t evs_ct_execute_burst(struct evs_ct_lcore *lc, const struct evs_ct_action *act,
			      struct rte_mbuf **pkts, struct evs_flow_key *keys, uint16_t n);

/**
 * Ask for the hash buckets that evs_ct_execute_burst() will read for these
 * packets in zone @p zone: an ingress hook's call, on a chunk before it is
 * classified, so that with many connections the bucket's miss to memory
 * overlaps the classification instead of the entry's (which follows it).
 * Each packet is hashed as an IPv4 TCP/UDP key from its flow key's words;
 * another kind of packet costs a needless prefetch. Changes nothing.
 */
void evs_ct_prefetch_burst(const struct evs_ct_lcore *lc, const struct evs_flow_key *keys,
			   uint16_t n, uint16_t zone);

/**
 * Whether evs_ct_prefetch_burst() pays for its hashing on @p ct: true when
 * the table's buckets are too many for the caches (past 4 MiB of them, ~110k
 * connections), so that they come from memory. On a smaller table they are
 * at hand and the prefetch only costs (bench-lb-pipeline at 64k: 73 ticks a
 * packet without it, 80 with; at 1M 116 without, 109 with).
 */
bool evs_ct_buckets_from_memory(const struct evs_ct *ct);

/**
 * The start of every struct evs_ct_lcore (ct_private.h puts it first), so
 * that evs_ct_burst_meta, read per packet by the modules after ct, inlines.
 */
struct evs_ct_lcore_head {
	struct evs_ct_meta meta[EVS_CT_BURST_MAX];
};

/** Mark and backend of packet @p i of the last burst on @p lc. */
static inline const struct evs_ct_meta *evs_ct_burst_meta(const struct evs_ct_lcore *lc, uint16_t i)
{
	const struct evs_ct_lcore_head *h = (const struct evs_ct_lcore_head *)(const void *)lc;

	return &h->meta[i < EVS_CT_BURST_MAX ? i : 0];
}

/**
 * Expire connections whose timeout passed, handling at most @p budget
 * entries (the wheel resumes where it stopped next time), and reuse freed
 * entries whose RCU grace is over. Call from every PMD loop, idle or not.
 * @return entries handled.
 */
uint32_t evs_ct_expire(struct evs_ct_lcore *lc, uint32_t budget);

/** Defaults: Linux's timeouts, window checks on, no zone limit. */
void evs_ct_zone_conf_default(struct evs_ct_zone_conf *zc);

/**
 * Set a zone's limit, timeouts and window checking (management lcore).
 * Existing connections keep their current expiry until their next packet.
 * @return 0, -EINVAL (NULL conf or a zero timeout), -ENOMEM.
 */
int evs_ct_zone_set(struct evs_ct *ct, uint16_t zone, const struct evs_ct_zone_conf *zc);

/** A zone's settings (the defaults if never set). */
void evs_ct_zone_get(const struct evs_ct *ct, uint16_t zone, struct evs_ct_zone_conf *zc);

/** Table-wide figures. */
struct evs_ct_stats {
	uint32_t conns;	    /**< live connections */
	uint32_t max_conns; /**< global limit */
	uint64_t counters[EVS_CT_C_MAX];
};

/** Sum the per-lcore counters. */
void evs_ct_stats(const struct evs_ct *ct, struct evs_ct_stats *st);

/** Live connections in @p zone. */
uint32_t evs_ct_zone_count(const struct evs_ct *ct, uint16_t zone);

/**
 * Live connections committed with backend slot @p backend (any lcore; a
 * relaxed read, so a least-connections choice may lag concurrent commits).
 */
uint32_t evs_ct_backend_count(const struct evs_ct *ct, uint16_t backend);

/** TCP states (Linux's names). */
enum evs_ct_tcp_state {
	EVS_CT_TCP_NONE = 0,
	EVS_CT_TCP_SYN_SENT,
	EVS_CT_TCP_SYN_RECV,
	EVS_CT_TCP_ESTABLISHED,
	EVS_CT_TCP_FIN_WAIT,
	EVS_CT_TCP_CLOSE_WAIT,
	EVS_CT_TCP_LAST_ACK,
	EVS_CT_TCP_TIME_WAIT,
	EVS_CT_TCP_CLOSE,
	EVS_CT_TCP_SYN_SENT2,
	EVS_CT_TCP_MAX,
};

/** Name of a TCP state ("ESTABLISHED"...). */
const char *evs_ct_tcp_state_name(enum evs_ct_tcp_state s);

/** One direction's tuple. Addresses/ports in network order. */
struct evs_ct_tuple {
	uint8_t src[16];
	uint8_t dst[16];
	rte_be16_t sport; /**< ICMP echo: identifier */
	rte_be16_t dport; /**< ICMP echo: type */
	uint8_t proto;
	bool v6;
};

/** A connection as the control plane reports it. */
struct evs_ct_conn_info {
	uint16_t zone;
	struct evs_ct_tuple orig;  /**< as sent by the originator */
	struct evs_ct_tuple reply; /**< as sent by the responder (NAT visible here) */
	uint8_t proto_state;	   /**< enum evs_ct_tcp_state for TCP, else 0 */
	bool seen_reply;
	bool assured;
	uint32_t mark;
	uint8_t label[16];
	uint16_t backend; /**< load balancer's backend slot, 0: none */
	uint64_t expires_ms;
};

/**
 * Read the next live connection at or after *pos (0 to start) into @p out
 * and advance *pos past it (management lcore; a snapshot per entry).
 * @return 0, or -ENOENT at the end.
 */
int evs_ct_iterate(const struct evs_ct *ct, uint32_t *pos, struct evs_ct_conn_info *out);

/**
 * Remove connections (management lcore): all of them, or those of @p zone
 * (zone >= 0). They stop matching at once.
 * @return how many were removed.
 */
uint32_t evs_ct_flush(struct evs_ct *ct, int32_t zone);

/**
 * Remove the connections (of @p zone when >= 0) for which @p match(mark,
 * label, @p arg) is true, e.g. those a deleted firewall rule allowed
 * (management lcore; @p match runs with the table's writer lock held).
 * @return how many were removed.
 */
uint32_t evs_ct_flush_match(struct evs_ct *ct, int32_t zone,
			    bool (*match)(uint32_t mark, const uint8_t label[16], void *arg),
			    void *arg);

/* ------------------------------------------------------------------ */
/* The ct() opcode of a pipeline module, as a thin layer               */
/* ------------------------------------------------------------------ */

/**
 * Argument of a ct() opcode, as a module stores it in its program (fits the
 * engine's 32-byte opcode argument). The label is not set through here: the
 * key carries an interned label id that is the engine's business.
 */
struct evs_ct_op {
	uint16_t zone;
	uint16_t flags;	    /**< EVS_CT_F_COMMIT, _NAT, _SET_MARK, _CONTINUE */
	uint32_t mark;	    /**< with EVS_CT_F_SET_MARK */
	uint32_t mark_mask; /**< with EVS_CT_F_SET_MARK */
	uint16_t nat;	    /**< 1 + index into the context's NAT ranges; 0: none */
	uint16_t recirc;    /**< != 0: classify again with this recirc_id (the ct module's op) */
};

/** What a module's lcore context holds for its ct() executor. */
struct evs_ct_op_ctx {
	struct evs_ct_lcore *lc;	    /**< from evs_ct_lcore_claim() */
	const struct evs_ct_nat_range *nat; /**< the module's NAT ranges (RCU-published) */
	uint16_t n_nat;
	uint64_t (*clock)(void); /**< milliseconds; NULL: evs_ct_now_ms */
};

/**
 * Run a ct() opcode on @p n packets (any number: done 64 at a time): sets
 * ct_state, ct_zone and ct_mark in the keys, translates with NAT, then does
 * a small expiry step (32 entries). All packets go on (ct never drops):
 * @return n. A NAT index past the table commits without NAT.
 */
uint16_t evs_ct_op_run(const struct evs_ct_op_ctx *ctx, const struct evs_ct_op *op,
		       struct rte_mbuf **pkts, struct evs_flow_key *keys, uint16_t n);

/** Write an opcode argument as text ("zone=3,commit,nat=1,mark=0x1/0xff"); like snprintf. */
int evs_ct_op_format(const void *arg, char *buf, size_t len);

/**
 * Hand out the next unused lcore context of @p ct (a module's lcore_create
 * calls it once per lcore). @return it, or NULL with errno ENOSPC when all
 * n_lcores are taken.
 */
struct evs_ct_lcore *evs_ct_lcore_claim(struct evs_ct *ct);

struct evs_ctl;
struct evs_store;

/**
 * Add the "ct_zone" object type to @p st (management lcore, before the
 * store holds objects): ct_zone.add/del/set/get/list and the "ct_zones"
 * section of the config document set zone limits, tcp_liberal and timeouts
 * of @p ct transactionally (all zones of a transaction or none).
 * @return 0, -EINVAL, or evs_store_type_add()'s error.
 */
int evs_ct_store_add(struct evs_store *st, struct evs_ct *ct);

/**
 * Register ct.list, ct.stats and ct.flush for table @p ct (a struct evs_ct *;
 * the signature is a module descriptor's ctl_register). Management lcore.
 * @return 0; -EINVAL (NULL argument), or evs_ctl_register()'s error, in
 *   which case none of them stays registered.
 */
int evs_ct_ctl_register(struct evs_ctl *ctl, void *ct);

#ifdef __cplusplus
}
#endif
#endif /* EVS_CONNTRACK_H */
