/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_LB_H
#define EVS_LB_H

/**
 * @file
 * The load balancer as a pipeline module: VIP traffic is DNATed to a backend
 * through conntrack, at the client's own switch.
 *
 * What: two stages and two opcodes.
 * - Stage "vip" (order 150: after L2 handed a frame to a router port, with
 *   the working key's ldp naming the switch): a frame to a VIP served in
 *   that switch (address, protocol, port) emits lb(vip) and recirculate; the
 *   megaflow consults the VIP fields only (and of the destination address
 *   only the prefix that tells it from every VIP otherwise).
 * - Stage "reply" (order 50, before L2): a frame from a backend's address
 *   (and port) emits lb_reply and continues.
 * - lb(vip): conntrack lookup in the LB zone with NAT. A packet of a known
 *   connection follows its entry (its backend is the entry's, whatever the
 *   pool did since); a new one picks a backend (Maglev on the 5-tuple hash,
 *   least connections, or Maglev on the source address with an affinity
 *   table) and commits it with DNAT to the backend and the backend's slot
 *   in the entry. Counted per VIP and backend.
 * - lb_reply: conntrack lookup with NAT: replies are un-NATed (the source
 *   becomes the VIP again); anything else passes untouched. Replies to a
 *   VIP's SNAT address (one-arm) are classified again after the un-NAT.
 *
 * Thread-safety: stages and opcodes run on pipeline lcores and read the
 * published struct evs_lb_dp through struct evs_lb_state (acquire load; old
 * tables are freed after an RCU grace). Everything else: management lcore.
 */

#include <stdbool.h>
#include <stdint.h>

#include "evs_conntrack.h"
#include "evs_lb_maglev.h"
#include "evs_module.h"

#ifdef __cplusplus
extern "C" {
#endif

extern const struct evs_module evs_lb_module;

/** Backend ids (Maglev entries, conntrack slots) are 1..EVS_LB_IDS-1. */
#define EVS_LB_IDS 8192u
/** VIP slots are 0..EVS_LB_VIPS-1. */
#define EVS_LB_VIPS 1024u
/** Conntrack zone of load-balanced connections (other modules keep off it). */
#define EVS_LB_CT_ZONE EVS_CT_ZONE_LB
/** recirc_id of the pass after a VIP's DNAT. */
#define EVS_LB_RECIRC 0x4c42
/** recirc_id of the pass after un-NATing a reply to a VIP's SNAT address. */
#define EVS_LB_RECIRC_REPLY 0x4c52
/** Switches one VIP is served in at most (a router's, for a router scope). */
#define EVS_LB_VIP_LDPS 16u
/** Slots of a VIP's source-affinity table (direct-mapped; a collision evicts). */
#define EVS_LB_AFFINITY_SLOTS 4096u

/** How a VIP picks the backend of a new connection. */
enum evs_lb_algo {
	EVS_LB_ALGO_MAGLEV,	/**< Maglev on the 5-tuple hash (same on every host) */
	EVS_LB_ALGO_LEAST_CONN, /**< fewest live connections per weight */
	EVS_LB_ALGO_SOURCE_IP,	/**< the client's last backend within the timeout, else
				     Maglev on the source address */
	EVS_LB_ALGO_MAX,
};

/** Name of an algorithm ("maglev", "least_conn", "source_ip"), or NULL. */
const char *evs_lb_algo_name(enum evs_lb_algo a);

/** A backend as the datapath sees it (by id). */
struct evs_lb_dp_backend {
	uint8_t addr[16]; /**< network order; IPv4 in the first 4 bytes */
	uint16_t port;	  /**< host order; 0: the client's destination port */
	uint16_t vip;	  /**< slot of its VIP; UINT16_MAX: no such backend */
	uint32_t weight;  /**< configured (0: draining) */
	uint8_t state;	  /**< enum evs_lb_dp_backend_state */
	bool v6;
};

/** Backend states reported by lb.stats. */
enum evs_lb_dp_backend_state {
	EVS_LB_BE_ACTIVE,   /**< in the table */
	EVS_LB_BE_DOWN,	    /**< health-checked and down */
	EVS_LB_BE_DRAINING, /**< weight 0 */
	EVS_LB_BE_REMOVING, /**< deleted, draining until its timeout */
};

/** Name of a backend state ("active", "down", "draining", "removing"). */
const char *evs_lb_backend_state_name(enum evs_lb_dp_backend_state s);

/** A VIP as the datapath sees it (by slot). */
struct evs_lb_dp_vip {
	uint8_t addr[16];
	uint16_t port; /**< host order, 0: all */
	uint8_t proto; /**< IPPROTO_TCP or IPPROTO_UDP */
	uint8_t algo;  /**< enum evs_lb_algo */
	bool v6;
	bool used;
	bool dsr;			 /**< direct server return: the frame keeps the VIP */
	bool snat;			 /**< one-arm: clients' source becomes @snat_addr */
	uint8_t snat_addr[16];		 /**< where backends send replies (routed to the switch) */
	uint8_t n_ldps;			 /**< switches it is served in (0: nowhere) */
	uint16_t ldps[EVS_LB_VIP_LDPS];	 /**< their datapaths */
	uint32_t affinity_s;		 /**< SOURCE_IP: seconds a client keeps its backend */
	const struct evs_maglev *maglev; /**< the pool's published table */
	uint64_t *affinity;		 /**< SOURCE_IP: EVS_LB_AFFINITY_SLOTS words */
	uint32_t active_off, n_active;	 /**< its in-table backends in dp->active */
};

/** Everything the datapath reads; immutable once published. */
struct evs_lb_dp {
	uint32_t n_vips;		   /**< slots in @vip */
	struct evs_lb_dp_vip *vip;	   /**< by slot */
	struct evs_lb_dp_backend *backend; /**< by id, EVS_LB_IDS entries */
	uint32_t max_id;		   /**< highest id in use (scans stop there) */
	uint16_t *active;		   /**< runs of in-table backend ids per VIP */
	/** by id: the DNAT of the backend's connections, precomputed for
	 *  conntrack (evs_ct_action.nat_tpl); valid for every backend of a
	 *  pool, draining and removing ones included */
	struct evs_ct_nat_tpl *tpl;
	uint64_t gen;
};

/**
 * The module's published state (evs_pipeline_state.mod[]); lives as long
 * as the module. @cur is replaced by release stores (evs_lb_conf).
 */
struct evs_lb_state {
	struct evs_lb_dp *cur; /**< never NULL once published; NULL: nothing */
	struct evs_ct *ct;     /**< for least-connections counts */
};

/** The module's opcodes (local numbers). */
enum evs_lb_op {
	EVS_LB_OP_VIP,	 /**< argument: struct evs_lb_op_arg */
	EVS_LB_OP_REPLY, /**< argument: struct evs_lb_op_arg (vip unused) */
	EVS_LB_OP_MAX,
};

struct evs_lb_op_arg {
	uint16_t vip; /**< slot */
	uint16_t zone;
	uint16_t recirc; /**< lb_reply: recirc_id after the un-NAT, 0: continue */
};

/** Drop reasons (local numbers). */
enum evs_lb_drop {
	EVS_LB_DROP_NO_BACKEND, /**< new connection, no backend in the table */
	EVS_LB_DROP_INVALID,	/**< conntrack: cannot start or continue a connection */
	EVS_LB_DROP_REFUSED,	/**< conntrack refused the commit (limits, table) */
	EVS_LB_DROP_VIP_GONE,	/**< the VIP was deleted since the megaflow was made */
	EVS_LB_DROP_MAX,
};

/** Counters (by name in stats.get). */
enum evs_lb_counter {
	EVS_LB_C_NEW,		  /**< connections committed */
	EVS_LB_C_HIT,		  /**< packets of known connections to a VIP */
	EVS_LB_C_REPLY,		  /**< replies un-NATed */
	EVS_LB_C_AFFINITY,	  /**< new connections sent to a client's remembered backend */
	EVS_LB_C_PASSIVE,	  /**< passive failure signals (unanswered SYN again, RST) */
	EVS_LB_C_NEXT_DIRECT,	  /**< translated packets whose next pass ran the backend's
				       remembered megaflow (its route) without a lookup */
	EVS_LB_C_NEXT_CLASSIFIED, /**< translated packets classified again (a backend's
				       first packets, after a change, traced) */
	EVS_LB_C_CT_PREFETCH,	  /**< packets whose conntrack bucket the ingress asked
				   for ahead of classification */
	EVS_LB_C_MAX,
};

/** Per VIP or backend, summed over lcores by evs_lb_lcore_stats(). */
struct evs_lb_counts {
	uint64_t conns;	  /**< connections committed */
	uint64_t packets; /**< both directions */
	uint64_t bytes;
};

/**
 * Add an lcore's per-VIP (EVS_LB_VIPS) and per-backend (EVS_LB_IDS) counts
 * (relaxed reads; any lcore). @p lctx is the module's context of a
 * pipeline lcore (evs_pipeline_lcore_module()); NULL is ignored.
 */
void evs_lb_lcore_stats(const void *lctx, struct evs_lb_counts *vip, struct evs_lb_counts *be);

/**
 * Add an lcore's passive failure signals per backend id (@p sig has
 * EVS_LB_IDS entries; relaxed reads, any lcore): a SYN of a connection
 * that never got an answer sent again, or an RST from the backend. The
 * counts only grow (wrapping); the management lcore feeds their increase
 * to evs_lb_pool_passive_fail().
 */
void evs_lb_lcore_passive(const void *lctx, uint32_t *sig);

/** The 5-tuple hash new connections are balanced on (the same on every host). */
uint32_t evs_lb_flow_hash(const struct evs_flow_key *k);

/** The source-address hash of EVS_LB_ALGO_SOURCE_IP. */
uint32_t evs_lb_src_hash(const struct evs_flow_key *k);

#ifdef __cplusplus
}
#endif
#endif /* EVS_LB_H */
