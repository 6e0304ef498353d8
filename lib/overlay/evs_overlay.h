/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_OVERLAY_H
#define EVS_OVERLAY_H

/**
 * @file
 * The overlay's objects on lib/store and what they become: underlays (the
 * host's tunnel endpoint on a port), VTEPs (remote hosts), tunnels (a
 * logical switch's VNI) and ESP SAs (one inbound and one outbound per VTEP),
 * built into lib/crypto SAs and an inbound SPI table for the datapath.
 *
 * Rekey is make-before-break: replacing an inbound SA (a new SPI) installs
 * the new one at once and keeps the old one in the SPI table, "draining",
 * for the grace period (evs_overlay_config.drain_ms), so packets the peer
 * still sends with it are accepted; replacing the outbound SA switches every
 * PMD to the new one at once (one pointer, RCU). A controller rekeys two
 * hosts with `sa.rekey in` on both, then `sa.rekey out` on both, within the
 * grace period (or both halves at once when the peer is already ready).
 *
 * Thread-safety: the store hooks, evs_overlay_poll() and the control
 * methods run on the management lcore (the store's owner). The datapath
 * reads evs_overlay_sa_table() and evs_overlay_vtep_out() on any lcore
 * between quiescent states of @p qsv; what they return stays valid until
 * the reader's next quiescent state.
 */

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>

#include "evs_crypto.h"
#include "evs_store.h"
#include "evs_tunnel.h"

#ifdef __cplusplus
extern "C" {
#endif

/** VTEPs a host may have (remote hosts). */
#define EVS_OVERLAY_MAX_VTEPS 256u
/** Tunnel ports at most (L2 numbers them from EVS_L2_TUNNEL_BASE). */
#define EVS_OVERLAY_MAX_TPORTS 1024u
/** Port slots the per-port tables (underlays, encrypted ports) cover: every
 *  port object's (the app checks its limit against it at build time;
 *  tunnel ports are numbered above, from EVS_L2_TUNNEL_BASE). */
#define EVS_OVERLAY_PORT_SLOTS 1024u
/** Default grace of a replaced inbound SA (ms). */
#define EVS_OVERLAY_DRAIN_MS 10000u
/** Default rate of too-big ICMP errors per tunnel port (per second), and burst. */
#define EVS_OVERLAY_ICMP_RATE 100u
#define EVS_OVERLAY_ICMP_BURST 10u

/** The object types (evs_overlay_store_add() adds them with their hooks). */
extern const struct evs_obj_type evs_overlay_underlay_type;
extern const struct evs_obj_type evs_overlay_vtep_type;
extern const struct evs_obj_type evs_overlay_tunnel_type;
extern const struct evs_obj_type evs_overlay_sa_type;

struct evs_overlay;

/** What an overlay context is made with. */
struct evs_overlay_config {
	/** readers of the published SAs and tables; NULL: nothing to wait for (freed at once) */
	struct rte_rcu_qsbr *qsv;
	/** the datapath slot of port @p name, or -1 (management lcore; NULL: none known) */
	int (*port_slot)(const char *name, void *arg);
	/** the id of switch @p name, or -1 */
	int (*switch_id)(const char *name, void *arg);
	/** the MAC of port slot @p slot (an underlay without "mac"); 0 or -errno */
	int (*port_mac)(uint16_t slot, struct rte_ether_addr *mac, void *arg);
	void *arg;		  /**< for the three callbacks */
	uint32_t drain_ms;	  /**< grace of a replaced inbound SA; 0: EVS_OVERLAY_DRAIN_MS */
	uint64_t (*now_ms)(void); /**< clock; NULL: the TSC */
	/** too-big ICMP errors a tunnel port may send per second (over all
	 *  lcores); 0: EVS_OVERLAY_ICMP_RATE */
	uint32_t icmp_rate;
	uint32_t icmp_burst; /**< how many at once; 0: EVS_OVERLAY_ICMP_BURST */
	/* Underlay ARP/ND (VTEPs without a configured next-hop MAC): the
	 * management lcore's probes and answers, and frames held meanwhile. */
	struct rte_mempool *pool; /**< for probes and answers; NULL: no resolution */
	/** send @p m out of port slot @p port as it is (any lcore: management) */
	void (*tx)(void *arg, uint16_t port, struct rte_mbuf *m);
	/** send held frame @p m to tunnel port @p tp again (encapsulated anew) */
	void (*tx_tunnel)(void *arg, uint16_t tp, struct rte_mbuf *m);
};

/** @return the context, or NULL with errno ENOMEM, EINVAL (icmp_rate over
 *  10^6 per second). Management lcore. */
struct evs_overlay *evs_overlay_create(const struct evs_overlay_config *cfg);

/** Free the context, its SAs and tables (no reader may remain); NULL is accepted. */
void evs_overlay_free(struct evs_overlay *ov);

/**
 * Add the four types to @p st with @p ov's hooks. The store must already
 * have the "port" and "switch" types (underlays and tunnels refer to them).
 * @return 0 or as evs_store_type_add().
 */
int evs_overlay_store_add(struct evs_store *st, struct evs_overlay *ov);

/**
 * Retire what has waited long enough: draining inbound SAs past their
 * grace leave the SPI table; SAs and tables no reader can hold are freed.
 * And the underlay's ARP/ND: answer requests for our addresses, learn
 * next hops, probe, hold frames until their next hop is known.
 * Management lcore, often (every loop). @return SAs retired from the table.
 */
unsigned int evs_overlay_poll(struct evs_overlay *ov);

/** The inbound SPI table (any lcore; acquire load). Never NULL after create. */
const struct evs_sa_table *evs_overlay_sa_table(const struct evs_overlay *ov);

/** VTEP slot @p id's outbound SA, or NULL (any lcore; acquire load). */
struct evs_sa *evs_overlay_vtep_out(const struct evs_overlay *ov, uint16_t id);

/** The slot of VTEP @p name, or -ENOENT. Management lcore. */
int evs_overlay_vtep_id(const struct evs_overlay *ov, const char *name);

/** Inbound SAs in the table that are draining (replaced, not yet retired). */
unsigned int evs_overlay_draining(const struct evs_overlay *ov);

/**
 * Stage a rekey of VTEP @p vtep into the open transaction @p txn: @p in and
 * @p out ({"spi", "key", "salt"}, either may be NULL) replace the inbound /
 * outbound SA's SPI, key and salt (window, ESN and the rest kept). A new
 * SPI must differ from the SA's current one and from any draining one.
 * @return 0, or -ENOENT (no such SA), -EINVAL (same SPI, bad field), or as
 *   evs_store_txn_op(); @p err says where (@p path/in, @p path/out).
 */
int evs_overlay_rekey_stage(struct evs_overlay *ov, struct evs_store_txn *txn, const char *vtep,
			    const json_t *in, const json_t *out, const char *path,
			    struct evs_ctl_err *err);

/**
 * The SA stats of VTEP @p vtep as JSON: {"vtep", "in": {...}, "out": {...},
 * "draining": [{...}]}, each {spi, packets, bytes, last_seq, drops: {reason:
 * n}, (out) seq_remaining}; never a key. NULL with errno ENOENT (unknown
 * VTEP) or ENOMEM. Management lcore.
 */
json_t *evs_overlay_sa_stats(const struct evs_overlay *ov, const char *vtep);

/* ------------------------------------------------------------------ */
/* Datapath: tunnel ports, encap + encrypt, decrypt + decap            */
/* ------------------------------------------------------------------ */

/**
 * A tunnel port is one (tunnel, member VTEP) pair: the switch's frames to
 * that remote host. Numbered 0..evs_overlay_dp_n_ports()-1 in each table;
 * the app maps them into L2's port space, so that L2 learns remote MACs on
 * them and floods to every one of a switch (head-end replication).
 */
struct evs_overlay_dp;

/** Why the overlay dropped a packet (per lcore). */
enum evs_overlay_drop {
	EVS_OVL_DROP_NO_SA = 0,	    /**< encryption required, no outbound SA (never sent clear) */
	EVS_OVL_DROP_ENCRYPT,	    /**< the SA refused it (see the SA's drops: seq_exhausted...) */
	EVS_OVL_DROP_UNKNOWN_SPI,   /**< ESP with an SPI of no inbound SA */
	EVS_OVL_DROP_DECRYPT,	    /**< the SA refused it (auth, replay...: the SA's drops) */
	EVS_OVL_DROP_CLEAR_REFUSED, /**< clear tunnel traffic where encryption is required */
	EVS_OVL_DROP_UNKNOWN_VTEP,  /**< outer source is no VTEP of ours */
	EVS_OVL_DROP_NOT_MEMBER,    /**< the VTEP is not a member of the VNI's switch */
	EVS_OVL_DROP_TUNNEL,	    /**< encap / decap refused it (struct evs_tun_stats says why) */
	EVS_OVL_DROP_NO_PORT,	    /**< tunnel port not in this table (raced a change) */
	EVS_OVL_DROP_NOT_FOR_US,    /**< outer destination is not an underlay's address */
	EVS_OVL_DROP_WRONG_PEER,    /**< ESP whose outer source is not its SA's VTEP */
	EVS_OVL_DROP_UNRESOLVED,    /**< next hop unresolved and its hand-off queue full */
	EVS_OVL_DROP_KEEPALIVE,	    /**< a NAT-keepalive on an ESP-in-UDP port (RFC 3948 2.3) */
	EVS_OVL_DROP_NON_ESP,	    /**< IKE (non-ESP marker) or a runt on an ESP-in-UDP port */
	EVS_OVL_DROP__MAX,
};

/** Name of a drop reason ("no_sa", ...). */
const char *evs_overlay_drop_name(enum evs_overlay_drop r);

/** Counters of one lcore (single writer; read with relaxed loads). */
struct evs_overlay_stats {
	uint64_t tx_packets, rx_packets; /**< tunnelled out / delivered in */
	uint64_t encrypted, decrypted;
	uint64_t too_big_icmp;	  /**< frames too big for the tunnel answered with ICMP */
	uint64_t too_big_limited; /**< too big, but over the port's ICMP rate: dropped */
	uint64_t held;		  /**< frames handed to next-hop resolution (management) */
	uint64_t neigh_in;	  /**< ARP / NS / NA from an underlay, to the management lcore */
	uint64_t drops[EVS_OVL_DROP__MAX];
	struct evs_tun_stats tun;
};

/** The published table (any lcore; acquire load). NULL: no tunnel yet. */
const struct evs_overlay_dp *evs_overlay_dp_get(const struct evs_overlay *ov);

/**
 * The table the open transaction built, else the published one (management
 * lcore, in the store's transaction-wide prepare: the app lays the tunnel
 * ports into L2's view from it). @p changed: whether this transaction built one.
 */
const struct evs_overlay_dp *evs_overlay_dp_next(const struct evs_overlay *ov, bool *changed);

/** Whether port slot @p slot is an underlay's (any lcore). */
bool evs_overlay_dp_is_underlay(const struct evs_overlay_dp *dp, uint16_t slot);

/**
 * Describe tunnel port @p tp for people (flow.dump, flow.trace): "vtep h2
 * geneve vni 5001 esp spi 0x00001000" (management lcore: names VTEPs).
 * @return as snprintf.
 */
int evs_overlay_port_describe(const struct evs_overlay *ov, const struct evs_overlay_dp *dp,
			      uint16_t tp, char *buf, size_t len);

/**
 * Tunnel port numbers the table before @p dp used and @p dp does not (a
 * VTEP or switch left the overlay): the app forgets the MACs learned there.
 * A number stays with its (switch, VTEP) for as long as the pair exists.
 * @return how many, into @p tps (at most @p max).
 */
uint16_t evs_overlay_dp_freed(const struct evs_overlay_dp *dp, uint16_t *tps, uint16_t max);

/**
 * Static remote MAC @p i of @p dp (a tunnel member's "macs"), or with
 * @p stale one the previous table had and @p dp has not: the app installs
 * the first kind in L2 as static entries on the tunnel port and removes the
 * second once @p dp is published. Management lcore.
 * @return 0, or -ENOENT past the last.
 */
int evs_overlay_dp_mac(const struct evs_overlay_dp *dp, uint32_t i, bool stale, uint16_t *sw,
		       uint16_t *tp, struct rte_ether_addr *mac);

/** One more than the highest tunnel port number in @p dp (some below may be unused). */
uint16_t evs_overlay_dp_n_ports(const struct evs_overlay_dp *dp);

/** What tunnel port @p tp is (any lcore). @return 0, -ENOENT. */
int evs_overlay_dp_port(const struct evs_overlay_dp *dp, uint16_t tp, uint16_t *switch_id,
			uint16_t *vtep, uint16_t *underlay_port, bool *encrypt);

/**
 * Encapsulate @p n frames of tunnel port @p tp (and encrypt them with the
 * VTEP's outbound SA when the switch or the VTEP says so); @p hashes as
 * evs_tun_encap_burst's. @p e: the lcore's crypto engine. Frames too big
 * for the tunnel (its underlay MTU less the headers, and ESP's most when
 * encrypted) that deserve it become, within the tunnel port's ICMP rate
 * (evs_overlay_config.icmp_rate), in place, the ICMP "fragmentation
 * needed" / ICMPv6 "packet too big" for their sender, handed back in
 * @p errs[0..*n_errs) (room for @p n) for the caller to switch back into
 * the tunnel port's switch; with @p errs NULL they are dropped.
 * @return k: pkts[0..k) ready to send on the tunnel port's underlay port;
 *   the others are freed (or in @p errs) and counted in @p st.
 */
uint16_t evs_overlay_tx_burst(const struct evs_overlay *ov, const struct evs_overlay_dp *dp,
			      struct evs_crypto_engine *e, uint16_t tp, struct rte_mbuf **pkts,
			      uint16_t n, const uint32_t *hashes, struct rte_mbuf **errs,
			      uint16_t *n_errs, struct evs_overlay_stats *st);

/**
 * Frames from an underlay port: decrypt ESP ones (inbound SPI table),
 * decapsulate, and find each one's tunnel port (outer source -> VTEP, VNI ->
 * switch); clear tunnel traffic from a VTEP or of a switch that requires
 * encryption is dropped; ARP and neighbour discovery go to the management
 * lcore (evs_overlay_poll answers and learns). @p port: the underlay's port
 * slot they came in on. @return k: pkts[0..k) are the inner frames, with
 * @p tp[0..k) their tunnel ports and @p meta[0..k) their tunnel metadata;
 * the others are freed and counted in @p st.
 */
uint16_t evs_overlay_rx_burst(const struct evs_overlay *ov, const struct evs_overlay_dp *dp,
			      struct evs_crypto_engine *e, uint16_t port, struct rte_mbuf **pkts,
			      uint16_t n, uint16_t *tp, struct evs_tun_meta *meta,
			      struct evs_overlay_stats *st);

/**
 * flow.trace of frame @p m arriving on underlay port slot @p port
 * (management lcore): what evs_overlay_rx_burst does to it (ESP: the SA by
 * SPI, the peer check, the replay window, the ICV, the decryption; the
 * decap; the VTEP, membership and policy), one {"stage", "decision"}
 * object per step appended to @p steps, without counting anything or
 * moving a replay window.
 * @return 0: @p m is the inner frame now, of tunnel port *tp with *meta;
 * 1: ARP/ND for the management lcore (not tunnel traffic); -EBADMSG: the
 * datapath drops it (the last step says why); -ENOENT: @p port is no
 * underlay's; -ENOMEM.
 */
int evs_overlay_trace_rx(struct evs_overlay *ov, uint16_t port, struct rte_mbuf *m, uint16_t *tp,
			 struct evs_tun_meta *meta, json_t *steps);

/**
 * Whether port slot @p slot is encrypted by a tunnel's encrypt_ports or
 * encrypt_tags (any lcore; one test per burst). Its rx bursts are then
 * flagged (evs_overlay_mark_encrypted) and its output guarded
 * (evs_overlay_guard).
 */
bool evs_overlay_dp_port_encrypted(const struct evs_overlay_dp *dp, uint16_t slot);

/** Whether @p dp encrypts any port by name or tag, or sends some port's
 *  tags: rx bursts need evs_overlay_mark_rx (once per PMD loop). */
bool evs_overlay_dp_port_policy(const struct evs_overlay_dp *dp);

/** Flag frames from an encrypted port: tunnel ports encrypt them (PMD). */
void evs_overlay_mark_encrypted(const struct evs_overlay *ov, struct rte_mbuf **pkts, uint16_t n);

/** The option class tun_opt_flags bit @p bit reports, or -1 (management). */
int evs_overlay_opt_class_of_bit(const struct evs_overlay *ov, unsigned int bit);

/**
 * An rx burst of port slot @p slot while evs_overlay_dp_port_policy: flags
 * the frames of an encrypted port, and those of a port with fw tags (while
 * a tunnel sends source tags) with the slot, whose tags a source_tags
 * tunnel port then puts in a GENEVE option (PMD).
 */
void evs_overlay_mark_rx(const struct evs_overlay *ov, const struct evs_overlay_dp *dp,
			 uint16_t slot, struct rte_mbuf **pkts, uint16_t n);

/**
 * Frames for an encrypted port: the ones that arrived in a clear tunnel
 * frame are freed and counted as clear_refused in @p st; the rest keep
 * their order. @return how many remain in pkts[0..).
 */
uint16_t evs_overlay_guard(const struct evs_overlay *ov, struct rte_mbuf **pkts, uint16_t n,
			   struct evs_overlay_stats *st);

/**
 * Port and tag policies follow ports and fw.port objects: from the app's
 * transaction-wide prepare, rebuild the tunnel table when the transaction
 * did not and a tunnel has such a policy; commit or abort it with the
 * transaction (both harmless when nothing was staged). @return 0 or -errno.
 */
int evs_overlay_policy_restage(struct evs_overlay *ov, struct evs_ctl_err *err);
void evs_overlay_policy_commit(struct evs_overlay *ov);
void evs_overlay_policy_abort(struct evs_overlay *ov);

/**
 * Port slot @p slot's link came up (management lcore, from the app's link
 * callback): its underlays announce their addresses again, twice, from the
 * next evs_overlay_poll (what was announced while it was down is lost).
 */
void evs_overlay_link_up(struct evs_overlay *ov, uint16_t slot);

/**
 * The underlay neighbours (management lcore): [{"port": slot, "address",
 * "state": incomplete|reachable|stale, "mac", "held"}], with the table's
 * counters as {"neighbours": [...], "probes", "resolved", "held",
 * "released", "hold_full", "unresolved", "answered", "announced"
 * (gratuitous ARPs / unsolicited NAs of the underlays' addresses)}. NULL
 * with errno ENOMEM.
 */
json_t *evs_overlay_neigh_json(const struct evs_overlay *ov);

/** rekey's and stats' parameter specs, for the method registration. */
extern const struct evs_ctl_param evs_overlay_rekey_params[];
extern const size_t evs_overlay_n_rekey_params;
extern const struct evs_ctl_param *const evs_overlay_stats_params;
extern const size_t evs_overlay_n_stats_params;

#ifdef __cplusplus
}
#endif
#endif /* EVS_OVERLAY_H */
