/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_L2_H
#define EVS_L2_H

/**
 * @file
 * Logical switches: VLAN membership, MAC learning, unicast/flood forwarding.
 *
 * What: a logical switch is a broadcast domain with a small integer id. Ports
 * attach to switches: untagged (and priority-tagged, VID 0) frames of a port
 * belong to its native switch (access), frames tagged with VLAN v to the
 * switch mapped for (port, v) (trunk). Output re-encodes the frame for the
 * output port: untagged on its native switch, tagged v where the port
 * carries the switch as VLAN v.
 *
 * Three objects:
 * - struct evs_l2_conf: an immutable snapshot of switches and port
 *   attachments, built by the management lcore and published by the app
 *   with an atomic pointer swap; freed after an RCU grace period.
 * - struct evs_l2_macs: the MAC table, one lock-free rte_hash keyed
 *   {switch id, MAC} for all switches. PMD lcores only read it; they report
 *   new or moved sources through a multi-producer ring that the management
 *   lcore drains (evs_l2_macs_poll), the table's only writer.
 * - struct evs_l2_lcore: per-PMD-lcore context: counters, a mempool for
 *   flood copies, the current time, a filter that keeps one lcore from
 *   reporting the same source twice in a second.
 *
 * The forwarding stage is split as a megaflow classifier needs it:
 * evs_l2_learn_burst (source side, stateful, per packet),
 * evs_l2_decide_burst (key -> struct evs_l2_action: cacheable for a conf
 * generation) and evs_l2_execute_burst (apply an action to the mbuf).
 * evs_l2_forward_burst does all three with one bulk hash lookup.
 *
 * Time is in seconds (uint32_t) from one clock for all lcores; evs_l2_now()
 * gives it from the TSC. Tests inject their own.
 *
 * Thread-safety:
 * - PMD lcores (each with its own struct evs_l2_lcore, registered as QSBR
 *   readers of the app's variable given to evs_l2_macs_create, reporting
 *   quiescent state between bursts): evs_l2_forward_burst,
 *   evs_l2_learn_burst, evs_l2_decide_burst, evs_l2_execute_burst,
 *   evs_l2_lcore_set_time and the static inline conf accessors.
 * - Management lcore (one thread): everything else. evs_l2_conf_build/free
 *   may run on any thread; a conf is never written after build.
 * See doc/l2.md for the memory-order reasoning.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>

#include "evs_module.h"
#include "evs_pipeline.h"
#include "evs_packet.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Port indexes are in [0, EVS_L2_MAX_PORTS). */
#define EVS_L2_MAX_PORTS 2048
/**
 * Ports from here on are tunnel ports (lib/overlay: a switch's remote host):
 * a frame from one is never flooded to another (split horizon: every host
 * floods to every other itself, head-end replication).
 */
#define EVS_L2_TUNNEL_BASE 1024
/** Switch ids are in [0, EVS_L2_MAX_SWITCHES). */
#define EVS_L2_MAX_SWITCHES 4096
/** "None" in the 16-bit switch index / TCI encodings below. */
#define EVS_L2_NONE 0xffff
/** Aging time used when a switch spec gives 0 (seconds). */
#define EVS_L2_DEFAULT_AGING 300
/** recirc_id of a stateful switch's second pass (after ct). */
#define EVS_L2_CT_RECIRC 0x4c32
/** Longest switch name kept, terminator included. */
#define EVS_L2_NAME_LEN 32

/** Why L2 dropped a frame (local numbers of the L2 module's drop reasons). */
enum evs_l2_drop {
	EVS_L2_DROP_NO_SWITCH = 0,   /**< input port not attached to any switch */
	EVS_L2_DROP_VLAN_NOT_MEMBER, /**< VLAN not carried by the input port */
	EVS_L2_DROP_SRC_MAC_MCAST,   /**< source MAC is multicast/broadcast */
	EVS_L2_DROP_SRC_MAC_ZERO,    /**< source MAC is 00:00:00:00:00:00 */
	EVS_L2_DROP_LINK_LOCAL,	     /**< to 01:80:c2:00:00:0x, which a bridge never forwards */
	EVS_L2_DROP_HAIRPIN,	     /**< destination is the input port */
	EVS_L2_DROP_PORT_DOWN,	     /**< output port gone or link down */
	EVS_L2_DROP_TX_FULL,	     /**< output array full (evs_l2_execute_burst) */
	EVS_L2_DROP_NO_MBUF,	     /**< no mbuf for a flood copy or tag push */
	EVS_L2_DROP_LEARN_FULL,	     /**< learning queue full (the packet was still forwarded) */
	EVS_L2_DROP_FLOOD_EMPTY,     /**< flooded frame had no member but its input port */
	EVS_L2_DROP_CT_INVALID,	     /**< stateful switch: conntrack said invalid (or is absent) */
	EVS_L2_DROP_MAX,
};

/** Name of an L2 drop reason ("no_switch", ...); "unknown" out of range. */
const char *evs_l2_drop_name(enum evs_l2_drop r);

/** Current time in seconds for learning and aging (from the TSC). */
static inline uint32_t evs_l2_now(void)
{
	return (uint32_t)(rte_get_tsc_cycles() / rte_get_tsc_hz());
}

/* ------------------------------------------------------------------ */
/* Configuration snapshot                                              */
/* ------------------------------------------------------------------ */

/** One switch of a spec. */
struct evs_l2_switch_spec {
	uint16_t id;	   /**< < EVS_L2_MAX_SWITCHES, unique */
	const char *name;  /**< optional; cut to EVS_L2_NAME_LEN - 1 */
	uint32_t aging_s;  /**< idle seconds before a learned MAC goes; 0: default */
	uint32_t max_macs; /**< MACs learned in this switch at most; 0: no limit */
	bool stateful;	   /**< IP traffic goes through conntrack (commit, +inv dropped) */
	uint16_t ct_zone;  /**< its conntrack zone when stateful */
};

/** VLAN v of a trunk port belongs to switch switch_id. */
struct evs_l2_vlan_map {
	uint16_t vid; /**< 1..4094 */
	uint16_t switch_id;
};

/** One port of a spec: its native switch and its VLAN map. */
struct evs_l2_port_spec {
	uint16_t port;	 /**< edgevs port index, < EVS_L2_MAX_PORTS, unique */
	bool down;	 /**< link down: no output, not flooded to */
	bool has_native; /**< untagged frames belong to native_switch */
	uint16_t native_switch;
	uint16_t nb_vlans;
	const struct evs_l2_vlan_map *vlans;
};

/** What evs_l2_conf_build turns into a snapshot. */
struct evs_l2_conf_spec {
	uint16_t nb_switches;
	const struct evs_l2_switch_spec *switches;
	uint16_t nb_ports;
	const struct evs_l2_port_spec *ports;
	int socket_id; /**< memory for the snapshot (SOCKET_ID_ANY is fine) */
};

/** Per-port view in a snapshot (read-only; use the accessors). */
struct evs_l2_port_map {
	uint16_t native; /**< switch index of untagged frames, or EVS_L2_NONE */
	uint8_t present; /**< the port is in the conf */
	uint8_t up;	 /**< usable for output */
	uint16_t nb_vlans;
	const uint16_t *vlan_in; /**< [4096] switch index per VID, NULL if no VLANs */
	const uint16_t *egress;	 /**< [nb_switches] egress TCI per switch, NULL if no VLANs */
};

/** A flood member: output port and the TCI to emit there (0: untagged). */
struct evs_l2_member {
	uint16_t port;
	uint16_t tci; /**< 0, or EVS_VLAN_PRESENT | vid */
};

/** Per-switch view in a snapshot, indexed by dense switch index. */
struct evs_l2_switch_info {
	uint16_t id;
	uint16_t nb_members;  /**< ports that are up and carry the switch */
	uint32_t members_off; /**< first member in evs_l2_conf.members */
	uint32_t aging_s;
	uint32_t max_macs; /**< 0: no limit */
	bool stateful;	   /**< see evs_l2_switch_spec */
	uint16_t ct_zone;
	char name[EVS_L2_NAME_LEN];
};

/**
 * Immutable snapshot. Switches are referred to inside it by dense index
 * (0..nb_switches-1); the MAC table and the API use the stable ids.
 */
struct evs_l2_conf {
	uint16_t nb_ports; /**< size of ports[]: highest port index + 1 */
	uint16_t nb_switches;
	uint16_t max_flood; /**< largest nb_members: size out[] by it */
	const struct evs_l2_port_map *ports;
	const struct evs_l2_switch_info *switches;
	const struct evs_l2_member *members;
	const uint16_t *id_to_index; /**< [EVS_L2_MAX_SWITCHES] */
};

/**
 * Build a snapshot from @p spec (management lcore or any thread).
 *
 * @param err  optional buffer for a message naming the offending field.
 * @return the snapshot, or NULL with rte_errno set: EINVAL (bad id/port/VID,
 *   duplicate switch/port/VID, unknown switch, a port carrying one switch
 *   twice), ENOMEM.
 */
struct evs_l2_conf *evs_l2_conf_build(const struct evs_l2_conf_spec *spec, char *err,
				      size_t err_len);

/** Free a snapshot (after a grace period if it was published). NULL is ok. */
void evs_l2_conf_free(struct evs_l2_conf *conf);

/** Dense index of switch @p id, or EVS_L2_NONE. */
static inline uint16_t evs_l2_conf_switch_index(const struct evs_l2_conf *conf, uint16_t id)
{
	return id < EVS_L2_MAX_SWITCHES ? conf->id_to_index[id] : EVS_L2_NONE;
}

/**
 * Switch index a frame received on @p port with outer tag @p tci (the flow
 * key's vlan_tci) belongs to, or EVS_L2_NONE with @p why set to
 * EVS_L2_DROP_NO_SWITCH (untagged/priority-tagged, no native switch, or port
 * not in the conf) or EVS_L2_DROP_VLAN_NOT_MEMBER.
 */
static inline uint16_t evs_l2_ingress_switch(const struct evs_l2_conf *conf, uint16_t port,
					     uint16_t tci, enum evs_l2_drop *why)
{
	const struct evs_l2_port_map *pm;
	uint16_t vid = tci & EVS_VLAN_VID_MASK, sw;

	if (unlikely(port >= conf->nb_ports || !conf->ports[port].present)) {
		*why = EVS_L2_DROP_NO_SWITCH;
		return EVS_L2_NONE;
	}
	pm = &conf->ports[port];
	if (!(tci & EVS_VLAN_PRESENT) || vid == 0) {
		*why = EVS_L2_DROP_NO_SWITCH;
		return pm->native;
	}
	*why = EVS_L2_DROP_VLAN_NOT_MEMBER;
	sw = pm->vlan_in != NULL ? pm->vlan_in[vid] : EVS_L2_NONE;
	return sw;
}

/**
 * TCI to emit switch @p sw's frames with on @p port: 0 untagged,
 * EVS_VLAN_PRESENT | vid tagged, EVS_L2_NONE when the port does not carry
 * the switch or is not in the conf. Ignores the up flag.
 */
static inline uint16_t evs_l2_egress_tci(const struct evs_l2_conf *conf, uint16_t port, uint16_t sw)
{
	const struct evs_l2_port_map *pm;

	if (unlikely(port >= conf->nb_ports))
		return EVS_L2_NONE;
	pm = &conf->ports[port];
	if (pm->native == sw && sw != EVS_L2_NONE)
		return 0;
	return pm->egress != NULL ? pm->egress[sw] : EVS_L2_NONE;
}

/**
 * True for the IEEE 802.1D reserved group 01:80:c2:00:00:00-0f (STP, pause,
 * LACP, LLDP, 802.1X...): link-local, never forwarded by a bridge.
 */
static inline bool evs_l2_is_link_local(const struct rte_ether_addr *mac)
{
	static const uint8_t pfx[5] = {0x01, 0x80, 0xc2, 0x00, 0x00};

	return memcmp(mac->addr_bytes, pfx, sizeof(pfx)) == 0 && (mac->addr_bytes[5] & 0xf0) == 0;
}

/** True when @p port is in the conf and up. */
static inline bool evs_l2_port_usable(const struct evs_l2_conf *conf, uint16_t port)
{
	return port < conf->nb_ports && conf->ports[port].present && conf->ports[port].up;
}

/* ------------------------------------------------------------------ */
/* MAC table                                                           */
/* ------------------------------------------------------------------ */

struct evs_l2_macs;
struct evs_l2_lcore;

/** Parameters of evs_l2_macs_create. */
struct evs_l2_macs_config {
	const char *name;	    /**< unique; names the rte_hash and rte_ring */
	uint32_t capacity;	    /**< MAC entries at most, static included (>= 1) */
	uint32_t ring_size;	    /**< learn events queued at most; 0: 4096 */
	uint32_t learn_per_poll;    /**< events handled per poll; 0: 4096 */
	uint32_t age_scan_per_poll; /**< entries aged per poll; 0: 4096 */
	struct rte_rcu_qsbr *qsbr;  /**< the PMD lcores' QSBR variable (required) */
	int socket_id;
	/** optional: the entries of @p switch_id changed (management lcore, after the
	 *  change is visible to lookups); the app bumps L2's dependency with it */
	void (*on_change)(void *arg, uint16_t switch_id);
	void *on_change_arg;
};

/**
 * Create a MAC table (management lcore).
 * @return the table, or NULL with rte_errno set: EINVAL (no name/qsbr,
 *   capacity 0 or above 2^24), EEXIST (name in use), ENOMEM.
 */
struct evs_l2_macs *evs_l2_macs_create(const struct evs_l2_macs_config *cfg);

/**
 * Free a MAC table (management lcore). Readers must be gone and the
 * table's lcore contexts freed first. NULL is ok.
 */
void evs_l2_macs_free(struct evs_l2_macs *macs);

/**
 * Management lcore's periodic work, e.g. every millisecond:
 * reuse slots whose grace period ended, drain up to learn_per_poll learn
 * events (insert, refresh, move; refuse and count when the switch's
 * max_macs or the capacity is reached; ignore events whose switch or port
 * attachment is no longer in @p conf, or for static entries), then age up
 * to age_scan_per_poll entries: dynamic entries idle longer than their
 * switch's aging time, or whose switch/port attachment left @p conf, go.
 *
 * @p conf may be NULL (no configuration yet): nothing is attached, so
 * events are ignored and dynamic entries go as stale.
 *
 * @return the number of learn events handled (>= 0), or -EINVAL (no table).
 */
int evs_l2_macs_poll(struct evs_l2_macs *macs, const struct evs_l2_conf *conf, uint32_t now);

/**
 * Add or overwrite a static entry (never aged, never moved by learning).
 * A dynamic entry for the same key becomes static.
 * @return 0, -EINVAL (switch id out of range, multicast or zero MAC, port
 *   out of range), -ENOSPC (table full).
 */
int evs_l2_macs_add_static(struct evs_l2_macs *macs, uint16_t switch_id,
			   const struct rte_ether_addr *mac, uint16_t port, uint32_t now);

/** Remove an entry, static or dynamic. @return 0, -ENOENT, -EINVAL. */
int evs_l2_macs_del(struct evs_l2_macs *macs, uint16_t switch_id, const struct rte_ether_addr *mac);

/** Remove the dynamic (and static if @p with_static) entries of a switch; returns how many. */
uint32_t evs_l2_macs_flush_switch(struct evs_l2_macs *macs, uint16_t switch_id, bool with_static);
/** Same for entries pointing to @p port. */
uint32_t evs_l2_macs_flush_port(struct evs_l2_macs *macs, uint16_t port, bool with_static);
/** Same for all entries. */
uint32_t evs_l2_macs_flush_all(struct evs_l2_macs *macs, bool with_static);

/** One entry as the management lcore sees it. */
struct evs_l2_mac_info {
	uint16_t switch_id;
	struct rte_ether_addr mac;
	uint16_t port;
	bool is_static;
	uint32_t age_s; /**< seconds since last seen (0 for static) */
};

/** Look one entry up (management lcore). @return 0 or -ENOENT. */
int evs_l2_macs_lookup(const struct evs_l2_macs *macs, uint16_t switch_id,
		       const struct rte_ether_addr *mac, uint32_t now,
		       struct evs_l2_mac_info *info);

/**
 * Iterate (management lcore): start with *cursor = 0; each call fills
 * @p info and advances. Order is unspecified.
 * @return 0, or -ENOENT when done.
 */
int evs_l2_macs_next(const struct evs_l2_macs *macs, uint32_t *cursor, uint32_t now,
		     struct evs_l2_mac_info *info);

/**
 * A number that changes whenever an entry is inserted, removed, moved or
 * made static (management lcore): a cache of decisions taken with the
 * table (megaflows) is valid while it stays the same. Refreshes of
 * last-seen times do not change it.
 */
uint64_t evs_l2_macs_generation(const struct evs_l2_macs *macs);

/** Entries in the table (static included). */
uint32_t evs_l2_macs_count(const struct evs_l2_macs *macs);
/** Entries of one switch. */
uint32_t evs_l2_macs_count_switch(const struct evs_l2_macs *macs, uint16_t switch_id);

/** MAC table counters (management lcore). */
struct evs_l2_macs_stats {
	uint64_t learned;      /**< dynamic entries inserted */
	uint64_t moved;	       /**< dynamic entries moved to another port */
	uint64_t aged;	       /**< dynamic entries removed as idle */
	uint64_t stale;	       /**< entries removed because their switch/port left the conf */
	uint64_t refused_full; /**< learns refused: max_macs or capacity reached */
	uint64_t ignored;      /**< events for an unknown switch/port, or a static entry */
	uint64_t ring_full;    /**< events PMD lcores could not queue (sum of lcores) */
	uint64_t deferred;     /**< slots waiting for a grace period now */
};

/** Read the counters. */
void evs_l2_macs_stats_get(const struct evs_l2_macs *macs, struct evs_l2_macs_stats *st);

/* ------------------------------------------------------------------ */
/* Per-lcore context and the forwarding stage                          */
/* ------------------------------------------------------------------ */

/** Parameters of evs_l2_lcore_create. */
struct evs_l2_lcore_config {
	struct evs_l2_macs *macs;	/**< the table this lcore learns into */
	struct rte_mempool *clone_pool; /**< mbufs for flood copies */
	int socket_id;
};

/**
 * Create a PMD lcore's context (management lcore, before the PMD starts).
 * @return the context, or NULL with rte_errno set: EINVAL, ENOSPC (more
 *   than RTE_MAX_LCORE contexts on one table), ENOMEM.
 */
struct evs_l2_lcore *evs_l2_lcore_create(const struct evs_l2_lcore_config *cfg);

/** Free a context (management lcore, PMD stopped). NULL is ok. */
void evs_l2_lcore_free(struct evs_l2_lcore *lc);

/** Set the lcore's current time (PMD lcore, once per loop or burst). */
void evs_l2_lcore_set_time(struct evs_l2_lcore *lc, uint32_t now);

/** Per-lcore counters. */
struct evs_l2_lcore_stats {
	uint64_t rx;	       /**< frames given to forward/decide */
	uint64_t unicast;      /**< frames sent to one known port */
	uint64_t flooded;      /**< frames flooded (each counted once) */
	uint64_t flood_copies; /**< copies made for flooding */
	uint64_t learn_events; /**< learn/move events queued */
	uint64_t refreshed;    /**< last-seen stores by this lcore */
	/** drops by reason; [EVS_L2_DROP_LEARN_FULL] counts lost learn events
	 * (ring full), whose packets were still forwarded */
	uint64_t drops[EVS_L2_DROP_MAX];
};

/** Add @p lc's counters into @p sum (management lcore; relaxed reads). */
void evs_l2_lcore_stats_add(const struct evs_l2_lcore *lc, struct evs_l2_lcore_stats *sum);

/** What to do with a frame. */
enum evs_l2_action_type {
	EVS_L2_ACT_DROP = 0, /**< free it, count `reason` */
	EVS_L2_ACT_UNICAST,  /**< send to `port` encoded with `tci` */
	EVS_L2_ACT_FLOOD,    /**< send to every member of switch `sw` but the input port */
};

/**
 * A decision, valid for the conf it was made with (a classifier caching it
 * must flush on a new conf generation).
 */
struct evs_l2_action {
	uint8_t type;	/**< enum evs_l2_action_type */
	uint8_t reason; /**< DROP: enum evs_l2_drop */
	uint16_t port;	/**< the port the destination's MAC entry names (UNICAST: the output
			     port), EVS_L2_NONE when the destination was not looked up or
			     not found */
	uint16_t tci;	/**< UNICAST: 0 untagged, or EVS_VLAN_PRESENT | vid */
	uint16_t sw;	/**< UNICAST/FLOOD: dense switch index */
};

/** An output: send @p m on port @p port (the app's tx buffer takes it). */
struct evs_l2_out {
	struct rte_mbuf *m;
	uint16_t port;
};

/**
 * Learn the sources of a burst (PMD lcore): refresh the last-seen time of
 * known sources on the same port (a store at most once a second), queue an
 * event for new or moved ones. Frames whose switch cannot be resolved or
 * whose source is multicast/zero or destination link-local are skipped.
 * No drop is counted here.
 */
void evs_l2_learn_burst(const struct evs_l2_conf *conf, struct evs_l2_macs *macs,
			struct evs_l2_lcore *lc, const struct evs_flow_key *keys, uint16_t n);

/**
 * Decide where each frame goes (PMD lcore), without learning: resolve the
 * ingress switch, drop multicast (EVS_L2_DROP_SRC_MAC_MCAST) and all-zero
 * (EVS_L2_DROP_SRC_MAC_ZERO) sources and frames to the link-local group
 * (EVS_L2_DROP_LINK_LOCAL, see evs_l2_is_link_local), look destinations up in bulk.
 * Known unicast to another usable port: UNICAST; to the input port:
 * DROP/EVS_L2_DROP_HAIRPIN; to a port not in the conf or down:
 * DROP/EVS_L2_DROP_PORT_DOWN; to a port that no longer carries the switch,
 * multicast, broadcast, unknown: FLOOD.
 */
void evs_l2_decide_burst(const struct evs_l2_conf *conf, struct evs_l2_macs *macs,
			 struct evs_l2_lcore *lc, const struct evs_flow_key *keys, uint16_t n,
			 struct evs_l2_action *acts);

/**
 * Apply decisions (PMD lcore): free and count drops; re-encode the VLAN for
 * each output (PCP kept when retagging, DEI cleared; a priority-tagged frame
 * with a non-zero PCP keeps its priority tag where the port sends untagged,
 * see doc/l2.md); flood with copies
 * from the lcore's clone pool, the last member getting the original.
 * A failed copy or tag push counts EVS_L2_DROP_NO_MBUF; outputs beyond
 * @p out_cap are freed and counted EVS_L2_DROP_TX_FULL (size it
 * n * max(1, conf->max_flood) to avoid that).
 *
 * @param keys  the frames' keys as parsed (their vlan_tci is the frame's
 *   current outer tag).
 * @return the number of entries written to @p out.
 */
uint16_t evs_l2_execute_burst(const struct evs_l2_conf *conf, struct evs_l2_lcore *lc,
			      struct rte_mbuf **pkts, const struct evs_flow_key *keys,
			      const struct evs_l2_action *acts, uint16_t n, struct evs_l2_out *out,
			      uint16_t out_cap);

/**
 * learn + decide + execute with one bulk hash lookup per 32 frames
 * (PMD lcore). Every mbuf is either in @p out or freed.
 * @return the number of entries written to @p out.
 */
uint16_t evs_l2_forward_burst(const struct evs_l2_conf *conf, struct evs_l2_macs *macs,
			      struct evs_l2_lcore *lc, struct rte_mbuf **pkts,
			      const struct evs_flow_key *keys, uint16_t n, struct evs_l2_out *out,
			      uint16_t out_cap);

/* ------------------------------------------------------------------ */
/* The L2 module (lib/pipeline descriptor)                             */
/* ------------------------------------------------------------------ */

/**
 * The L2 module: stage "switch" (ingress switch, source checks, destination
 * lookup; order 100), opcode "flood", ingress hook (learning), drop reasons
 * (enum evs_l2_drop) and counters. Its lcore_create argument is the
 * struct evs_l2_macs * the lcore learns into.
 */
extern const struct evs_module evs_l2_module;

/** What the L2 stage and opcodes read, published by the app with each snapshot. */
struct evs_l2_state {
	const struct evs_l2_conf *conf; /**< NULL: no switch (everything drops as no_switch) */
	struct evs_l2_macs *macs;
	/**
	 * Optional: whether unicast @p mac is a router port's on switch
	 * @p switch_id. Such frames are handed to later stages with the working
	 * key's ldp set to evs_l2_ldp(switch_id). The answer must be covered by
	 * evs_l2_dep_switch(switch_id): bump it when a switch's router ports change.
	 */
	bool (*gateway)(const void *arg, uint16_t switch_id, const struct rte_ether_addr *mac);
	/**
	 * Optional: whether a broadcast/multicast frame is one the routers of
	 * switch @p switch_id answer (an ARP request or neighbour solicitation
	 * for a router address): handed to later stages like a gateway frame,
	 * not flooded. ORs the key bits it read into @p mask; the same
	 * dependency rule as gateway.
	 */
	bool (*gateway_mcast)(const void *arg, uint16_t switch_id, const struct evs_flow_key *key,
			      struct evs_flow_mask *mask);
	const void *gateway_arg;
};

/**
 * The logical datapath number of switch @p switch_id in the flow key's ldp
 * (0 there means "none": the ingress port and VLAN decide the switch). A
 * frame that enters L2 with ldp set is switched in that switch.
 */
static inline uint16_t evs_l2_ldp(uint16_t switch_id)
{
	return (uint16_t)(switch_id + 1);
}

/** L2's opcodes (local numbers). */
enum evs_l2_op {
	EVS_L2_OP_FLOOD, /**< arg struct evs_l2_flood_arg: every member but the input port */
	EVS_L2_OP_MAX,
};

/** Argument of EVS_L2_OP_FLOOD. */
struct evs_l2_flood_arg {
	uint16_t switch_id; /**< stable id: the member list is read at execution */
};

/** L2's counters (module counter names, in this order). */
enum evs_l2_counter {
	EVS_L2_CTR_FLOODED,	 /**< frames flooded */
	EVS_L2_CTR_FLOOD_COPIES, /**< copies made for flooding */
	EVS_L2_CTR_LEARN_EVENTS, /**< learn/move events queued */
	EVS_L2_CTR_REFRESHED,	 /**< last-seen refreshes */
	EVS_L2_CTR_MAX,
};

/**
 * L2's dependencies: a decision about a frame of switch @p switch_id reads its
 * MAC table and membership; one about a frame received on @p port reads the
 * port's attachment.
 */
static inline uint32_t evs_l2_dep_switch(uint16_t switch_id)
{
	return switch_id;
}

static inline uint32_t evs_l2_dep_port(uint16_t port)
{
	return EVS_L2_MAX_SWITCHES + (uint32_t)port;
}

#define EVS_L2_N_DEPS (EVS_L2_MAX_SWITCHES + EVS_L2_MAX_PORTS)

/**
 * A new snapshot replaced @p old (NULL: none) with @p cur (management lcore,
 * after publishing @p cur): bump the dependencies of each port whose
 * attachment, state or VLAN map changed and of each switch such a port is or
 * was in, so that only their megaflows are re-translated.
 * @return the number of dependencies bumped, or -EINVAL.
 */
int evs_l2_conf_changed(struct evs_registry *reg, unsigned int mod, const struct evs_l2_conf *old,
			const struct evs_l2_conf *cur);

#ifdef __cplusplus
}
#endif
#endif /* EVS_L2_H */
