/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_L3_H
#define EVS_L3_H

/**
 * @file
 * Distributed routing: route tables (one per VRF), ECMP, neighbours, and the
 * packets a router builds (ARP, NS/NA, echo replies, ICMP errors).
 *
 * What: every host runs every logical router at its edge. A router is a VRF
 * with an IPv4 and an IPv6 route table (struct evs_l3_fib). The datapath never
 * looks a route up per packet: the slow path resolves a destination once per
 * megaflow (evs_l3_fib_resolve) and learns how many leading destination bits
 * decided it (the megaflow's prefix mask), so flows to one prefix share one
 * megaflow. Per-packet work is the rewrite (MAC, TTL, checksum).
 *
 * Route tables are rte_fib (DIR24_8) and rte_fib6 (TRIE); the shadow RIB that
 * each keeps (rte_fib_get_rib) answers the covering-prefix question. See
 * doc/l3.md for the measurements behind the choice.
 *
 * Thread-safety: the management lcore owns every table here and is the only
 * writer. Translation on PMD lcores reads a table through
 * evs_l3_fib_resolve / evs_l3_neigh_lookup, which take the table's reader
 * lock: rte_fib/rte_rib and rte_hash are not safe against a concurrent
 * writer, and a reader on the slow path (once per new megaflow, never per
 * packet) can afford to wait out one route change (the writer holds the lock
 * for one change, or one chunk of a bulk change). The decision is then cached
 * in a megaflow that depends on the table's generation, bumped after every
 * change. Builders and the rate limiter touch only what they are given.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "evs_packet.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Prefixes and routes                                                 */
/* ------------------------------------------------------------------ */

/** Address family of a prefix or address. */
enum evs_l3_family {
	EVS_L3_IPV4 = 4,
	EVS_L3_IPV6 = 6,
};

/** An address (wire order; IPv4 in the first 4 bytes, the rest zero). */
struct evs_l3_addr {
	uint8_t family; /**< enum evs_l3_family */
	uint8_t b[16];
};

/** A prefix: address with its host bits zero, and a length. */
struct evs_l3_prefix {
	struct evs_l3_addr addr;
	uint8_t len; /**< 0..32 (IPv4), 0..128 (IPv6) */
};

/** What a route does with a packet. */
enum evs_l3_route_type {
	EVS_L3_ROUTE_FORWARD,	/**< to its next hop(s), ECMP when several */
	EVS_L3_ROUTE_BLACKHOLE, /**< drop silently (counted) */
	EVS_L3_ROUTE_REJECT,	/**< drop and send ICMP unreachable (reject_code) */
	EVS_L3_ROUTE_VRF,	/**< look the destination up again in next_vrf (leaking) */
	EVS_L3_ROUTE_LOCAL,	/**< a router address (added with its port): answered locally */
};

/** ICMP unreachable kinds a reject route or a missing route answers with. */
enum evs_l3_unreach {
	EVS_L3_UNREACH_NET,   /**< ICMP 3/0, ICMPv6 1/0 (no route) */
	EVS_L3_UNREACH_HOST,  /**< ICMP 3/1, ICMPv6 1/3 (address unreachable) */
	EVS_L3_UNREACH_ADMIN, /**< ICMP 3/13, ICMPv6 1/1 (administratively prohibited) */
	EVS_L3_UNREACH_PORT,  /**< ICMP 3/3, ICMPv6 1/4 */
};

/** Most next hops of one route. */
#define EVS_L3_ECMP_MAX 16
/** Buckets of a route's ECMP table: the granularity of weights. */
#define EVS_L3_ECMP_BUCKETS 256

/** One next hop of a forwarding route. */
struct evs_l3_nexthop {
	uint16_t port;	       /**< router port (index local to the router) */
	uint16_t weight;       /**< relative share, >= 1 */
	bool via;	       /**< true: through gateway @p gw; false: destination is on-link */
	struct evs_l3_addr gw; /**< gateway, when via (same family as the route) */
};

/** What route.add carries. */
struct evs_l3_route_spec {
	enum evs_l3_route_type type;
	uint8_t reject_code; /**< enum evs_l3_unreach, for REJECT */
	uint16_t next_vrf;   /**< for VRF */
	uint16_t n_nh;	     /**< 1..EVS_L3_ECMP_MAX for FORWARD, else 0 */
	struct evs_l3_nexthop nh[EVS_L3_ECMP_MAX];
};

/** A resolved destination: what translation needs, by value. */
struct evs_l3_result {
	uint32_t route_id; /**< stable while the route exists */
	enum evs_l3_route_type type;
	uint8_t reject_code;
	uint16_t next_vrf;
	uint8_t match_len;	     /**< length of the matched prefix */
	uint8_t mask_len;	     /**< destination bits that decided it (>= match_len) */
	uint16_t n_nh;		     /**< next hops of the route (1: no ECMP) */
	struct evs_l3_nexthop nh;    /**< the chosen next hop (FORWARD) */
	struct evs_l3_prefix prefix; /**< the matched prefix */
};

/* ------------------------------------------------------------------ */
/* Route table of one VRF                                              */
/* ------------------------------------------------------------------ */

struct evs_l3_fib;

/** How a VRF's tables are sized. */
struct evs_l3_fib_config {
	const char *name; /**< unique among live tables, < 24 chars */
	int socket_id;
	uint32_t max_routes4; /**< IPv4 routes (>= 1) */
	uint32_t max_routes6; /**< IPv6 routes (>= 1) */
	bool fast_lookup;     /**< DIR24_8 / TRIE lookup tables (64 MB+ per VRF) instead of the RIB
				 alone */
	uint32_t num_tbl8;    /**< with fast_lookup: tbl8 groups; 0: a default from max_routes */
};

/**
 * Create the tables of one VRF.
 * @return the table, or NULL with errno: EINVAL (bad config), ENOMEM, EEXIST (name).
 */
struct evs_l3_fib *evs_l3_fib_create(const struct evs_l3_fib_config *cfg);

/** Free the tables; NULL is fine. Management lcore, no reader left. */
void evs_l3_fib_free(struct evs_l3_fib *fib);

/**
 * Add a route (management lcore).
 * @return 0; -EINVAL (bad prefix: host bits set, length, family; bad spec),
 *   -EEXIST (the prefix has a route), -ENOSPC (table full).
 */
int evs_l3_route_add(struct evs_l3_fib *fib, const struct evs_l3_prefix *pfx,
		     const struct evs_l3_route_spec *spec);

/**
 * Replace the route of an existing prefix (management lcore). When only next
 * hops change, the ECMP buckets of the next hops that stay keep their flows.
 * @return 0; -EINVAL; -ENOENT (no route for the prefix).
 */
int evs_l3_route_set(struct evs_l3_fib *fib, const struct evs_l3_prefix *pfx,
		     const struct evs_l3_route_spec *spec);

/** Delete a route (management lcore). @return 0, -EINVAL, -ENOENT. */
int evs_l3_route_del(struct evs_l3_fib *fib, const struct evs_l3_prefix *pfx);

/**
 * Add @p n routes in one writer section (management lcore), all or nothing.
 * @return 0; or the first error (as evs_l3_route_add) with @p *failed set to
 *   its index and no route of the call left in the table.
 */
int evs_l3_route_add_bulk(struct evs_l3_fib *fib, const struct evs_l3_prefix *pfx,
			  const struct evs_l3_route_spec *spec, uint32_t n, uint32_t *failed);

/** As evs_l3_route_add_bulk, every prefix with the same @p spec (one spec, not n). */
int evs_l3_route_add_bulk_same(struct evs_l3_fib *fib, const struct evs_l3_prefix *pfx,
			       const struct evs_l3_route_spec *spec, uint32_t n, uint32_t *failed);

/** Delete @p n routes; all must exist (else -ENOENT and nothing deleted); a prefix listed twice
 * goes once. */
int evs_l3_route_del_bulk(struct evs_l3_fib *fib, const struct evs_l3_prefix *pfx, uint32_t n,
			  uint32_t *failed);

/** Read a route's spec by prefix (management lcore). @return 0, -EINVAL, -ENOENT. */
int evs_l3_route_get(const struct evs_l3_fib *fib, const struct evs_l3_prefix *pfx,
		     struct evs_l3_route_spec *spec);

/** Number of routes of a family. */
uint32_t evs_l3_fib_count(const struct evs_l3_fib *fib, enum evs_l3_family family);

/**
 * Walk the routes of @p family, each once, in the RIB's order (management lcore). @p fn
 * returning non-zero stops the walk; that value is returned.
 */
int evs_l3_fib_walk(const struct evs_l3_fib *fib, enum evs_l3_family family,
		    int (*fn)(const struct evs_l3_prefix *pfx, const struct evs_l3_route_spec *spec,
			      void *arg),
		    void *arg);

/** Generation: changes after every route change. */
uint64_t evs_l3_fib_generation(const struct evs_l3_fib *fib);

/**
 * Longest-prefix match of @p dst (any lcore; takes the reader lock).
 * Fills @p res: the route, the ECMP next hop chosen by @p hash (see
 * evs_l3_flow_hash), and mask_len, the fewest leading destination bits
 * whose value alone decides this result: every address that shares them
 * matches the same route. A megaflow un-wildcards exactly those bits.
 * With no route, mask_len says how many bits decide that none matches.
 * @return 0; -ENOENT (no route: res->mask_len is set); -EINVAL (family).
 */
int evs_l3_fib_resolve(const struct evs_l3_fib *fib, const struct evs_l3_addr *dst, uint32_t hash,
		       struct evs_l3_result *res);

/**
 * Bulk IPv4 lookup of route ids (no mask): host-order @p ips, @p ids gets a
 * route id or EVS_L3_NO_ROUTE. Reader lock held once for the burst.
 */
void evs_l3_fib_lookup4_bulk(const struct evs_l3_fib *fib, const uint32_t *ips, uint32_t *ids,
			     unsigned int n);

#define EVS_L3_NO_ROUTE UINT32_MAX

/* ------------------------------------------------------------------ */
/* ECMP                                                                */
/* ------------------------------------------------------------------ */

/**
 * Hash of a flow for ECMP: addresses, protocol and L4 ports of @p key (the
 * ports only for TCP/UDP/SCTP, and not for fragments). @p symmetric gives
 * both directions of a connection the same value.
 */
uint32_t evs_l3_flow_hash(const struct evs_flow_key *key, bool symmetric);

/**
 * Fill @p buckets (EVS_L3_ECMP_BUCKETS entries, indexes into @p nh) by
 * weighted rendezvous hashing: each bucket goes to the next hop with the
 * highest weighted score for it. A bucket's owner depends only on the next
 * hops present, so removing one next hop moves only its buckets, and adding
 * one takes buckets only from others in proportion to its weight.
 * @return 0, -EINVAL (n 0 or > EVS_L3_ECMP_MAX, a weight 0).
 */
int evs_l3_ecmp_fill(const struct evs_l3_nexthop *nh, uint16_t n, uint8_t *buckets);

/* ------------------------------------------------------------------ */
/* Neighbours                                                          */
/* ------------------------------------------------------------------ */

/** Neighbour states (RFC 4861 7.3.2, also used for ARP). */
enum evs_l3_neigh_state {
	EVS_L3_NEIGH_INCOMPLETE, /**< probing; packets held */
	EVS_L3_NEIGH_REACHABLE,	 /**< confirmed recently */
	EVS_L3_NEIGH_STALE,	 /**< usable; not confirmed within reachable_ms */
	EVS_L3_NEIGH_STATIC,	 /**< configured; never ages */
};

/** A neighbour: an address on a router port. */
struct evs_l3_neigh_key {
	struct evs_l3_addr addr;
	uint16_t port; /**< router port */
};

/**
 * What the neighbour table asks its owner to do. @p owner is the table's
 * (struct evs_l3_neigh_config.owner: a router's id).
 */
struct evs_l3_neigh_ops {
	/** Send an ARP request / NS for @p key: broadcast/multicast if @p mac is NULL, else
	 * unicast. */
	void (*probe)(void *ctx, uint16_t owner, const struct evs_l3_neigh_key *key,
		      const struct rte_ether_addr *mac);
	/** A held packet can go to @p mac: send it on (consumes @p m). */
	void (*release)(void *ctx, uint16_t owner, const struct evs_l3_neigh_key *key,
			const struct rte_ether_addr *mac, struct rte_mbuf *m);
	/** Resolution failed: send host unreachable for the held packet @p m, then free it. */
	void (*unreachable)(void *ctx, uint16_t owner, const struct evs_l3_neigh_key *key,
			    struct rte_mbuf *m);
};

/** How a neighbour table behaves. Times in milliseconds. */
struct evs_l3_neigh_config {
	const char *name;
	int socket_id;
	uint32_t capacity;     /**< entries */
	uint16_t hold_max;     /**< packets held per unresolved entry (>= 1) */
	uint32_t retrans_ms;   /**< between probes */
	uint16_t max_probes;   /**< probes before an incomplete entry fails */
	uint32_t reachable_ms; /**< REACHABLE lasts this long after a confirmation */
	uint32_t stale_ms;     /**< a STALE entry is removed after this long */
	struct evs_l3_neigh_ops ops;
	void *ctx;
	uint16_t owner; /**< passed to every callback (routers: their id) */
};

struct evs_l3_neigh_table;

/** Counters of a neighbour table. */
struct evs_l3_neigh_stats {
	uint64_t probes;     /**< requests/solicitations sent */
	uint64_t resolved;   /**< incomplete entries that got an answer */
	uint64_t held;	     /**< packets queued while resolving */
	uint64_t released;   /**< held packets sent after resolution */
	uint64_t hold_full;  /**< drops: the entry's queue was full */
	uint64_t unresolved; /**< drops: held when resolution failed */
	uint64_t table_full; /**< drops: no entry could be created */
	uint64_t aged;	     /**< entries removed by aging */
};

/** @return a table, or NULL with errno EINVAL / ENOMEM / EEXIST. */
struct evs_l3_neigh_table *evs_l3_neigh_create(const struct evs_l3_neigh_config *cfg);

/** Free the table and every held packet (not counted as drops); NULL is fine. */
void evs_l3_neigh_free(struct evs_l3_neigh_table *t);

/**
 * Add or replace a static entry (management lcore). Held packets of a
 * pending entry are released to @p mac.
 * @return 0, -EINVAL, -ENOSPC.
 */
int evs_l3_neigh_set_static(struct evs_l3_neigh_table *t, const struct evs_l3_neigh_key *key,
			    const struct rte_ether_addr *mac);

/** Delete an entry (held packets dropped as unresolved). @return 0, -ENOENT. */
int evs_l3_neigh_del(struct evs_l3_neigh_table *t, const struct evs_l3_neigh_key *key);

/**
 * The MAC to send to (any lcore; reader lock).
 * @return 0 with @p mac set (REACHABLE, STALE, STATIC); -EAGAIN (INCOMPLETE);
 *   -ENOENT (unknown).
 */
int evs_l3_neigh_lookup(const struct evs_l3_neigh_table *t, const struct evs_l3_neigh_key *key,
			struct rte_ether_addr *mac);

/**
 * A packet for an unresolved neighbour (management lcore, e.g. from a punt):
 * creates an INCOMPLETE entry and probes if none exists, queues @p m
 * (consumed in every case). A resolved entry releases @p m at once.
 * @return 0 (held or released); -ENOBUFS (queue full: m dropped, counted);
 *   -ENOSPC (table full: m dropped, counted).
 */
int evs_l3_neigh_resolve(struct evs_l3_neigh_table *t, const struct evs_l3_neigh_key *key,
			 struct rte_mbuf *m, uint64_t now_ms);

/**
 * An ARP reply/request or NA/NS told us @p key is at @p mac (management
 * lcore). An INCOMPLETE entry becomes REACHABLE and releases its packets;
 * a dynamic one is confirmed (REACHABLE) when @p confirm, else refreshed to
 * STALE if the MAC changed. With @p create, an unknown neighbour gets a
 * STALE entry (RFC 4861 7.2.3: the sender of a solicitation for us).
 * Static entries never change. @return 0, -EINVAL, -ENOSPC, -ENOENT (unknown, !create).
 */
int evs_l3_neigh_learn(struct evs_l3_neigh_table *t, const struct evs_l3_neigh_key *key,
		       const struct rte_ether_addr *mac, bool confirm, bool create,
		       uint64_t now_ms);

/**
 * Advance timers to @p now_ms (management lcore, from its tick):
 * retransmit probes of INCOMPLETE entries and fail them after max_probes;
 * send unicast probes to REACHABLE entries in the last max_probes
 * retransmit periods before they expire (refresh), and make unconfirmed
 * ones STALE at expiry; remove STALE entries after stale_ms.
 */
void evs_l3_neigh_tick(struct evs_l3_neigh_table *t, uint64_t now_ms);

/** State of an entry. @return 0, -ENOENT. */
int evs_l3_neigh_state(const struct evs_l3_neigh_table *t, const struct evs_l3_neigh_key *key,
		       enum evs_l3_neigh_state *state, uint16_t *n_held);

/** Counters and the generation (bumped when a usable MAC appears, changes or goes). */
void evs_l3_neigh_stats(const struct evs_l3_neigh_table *t, struct evs_l3_neigh_stats *st);
uint64_t evs_l3_neigh_generation(const struct evs_l3_neigh_table *t);
uint32_t evs_l3_neigh_count(const struct evs_l3_neigh_table *t);

/** Walk entries (management lcore); @p fn non-zero stops and is returned. */
int evs_l3_neigh_walk(const struct evs_l3_neigh_table *t,
		      int (*fn)(const struct evs_l3_neigh_key *key, enum evs_l3_neigh_state st,
				const struct rte_ether_addr *mac, uint16_t n_held, void *arg),
		      void *arg);

/* ------------------------------------------------------------------ */
/* Routers and their ports                                             */
/* ------------------------------------------------------------------ */

/** Routers per host (ids below this). */
#define EVS_L3_MAX_ROUTERS 1024
/** Bytes of a router name, with its NUL. */
#define EVS_L3_NAME_LEN 16
/** Addresses per router port. */
#define EVS_L3_PORT_ADDRS 8
/** Ports per router. */
#define EVS_L3_ROUTER_PORTS 64
/** Default router-port MTU (IP bytes). */
#define EVS_L3_DEFAULT_MTU 1500

/** A router port: the router's leg on one logical switch. */
struct evs_l3_port_spec {
	uint16_t id;		   /**< unique in the router; next hops name it */
	uint16_t ldp;		   /**< logical switch (datapath) it attaches to */
	struct rte_ether_addr mac; /**< unicast */
	uint16_t mtu;		   /**< IP MTU; 0: EVS_L3_DEFAULT_MTU */
	uint8_t n_addrs;
	/** the port's addresses with their subnet lengths (10.0.1.1/24): each
	 * gives a connected route to the subnet and a local address */
	struct evs_l3_prefix addrs[EVS_L3_PORT_ADDRS];
	bool ra; /**< send IPv6 Router Advertisements on the link (RFC 4861 6.2) */
	/** IPv6 link-local address fe80::/64 + modified EUI-64 of @p mac (RFC
	 * 4291 app. A), set by evs_l3_port_add: ND, echo and RA source on the
	 * link, never routed, so in no route table */
	struct evs_l3_addr ll6;
};

/** Whether an IPv6 address (wire order) is link-local, fe80::/10. */
static inline bool evs_l3_is_ll6(const uint8_t a[16])
{
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

/** How a router is made. */
struct evs_l3_router_config {
	uint16_t id;	  /**< also its VRF number: next-VRF routes name it */
	const char *name; /**< unique, shorter than EVS_L3_NAME_LEN */
	int socket_id;
	uint32_t max_routes4;		   /**< 0: 65536 */
	uint32_t max_routes6;		   /**< 0: 16384 */
	uint32_t max_neigh;		   /**< 0: 4096 */
	uint16_t hold_max;		   /**< packets held per unresolved neighbour; 0: 4 */
	uint32_t icmp_rate;		   /**< ICMP errors per second; 0: 100 */
	struct evs_l3_neigh_ops neigh_ops; /**< probes, releases, unreachables */
	void *neigh_ctx;
};

struct evs_l3_router;
struct evs_l3_set;

/** All routers of a host, and which (switch, MAC) belongs to which router port. */
struct evs_l3_set *evs_l3_set_create(int socket_id);
/** Free the set and every router; NULL is fine. Management lcore, no reader left. */
void evs_l3_set_free(struct evs_l3_set *set);

/**
 * Add a router (management lcore).
 * @return 0; -EINVAL (bad config); -EEXIST (id or name); -ENOMEM.
 */
int evs_l3_router_add(struct evs_l3_set *set, const struct evs_l3_router_config *cfg);

/** Delete a router with its ports, routes and neighbours. @return 0, -ENOENT. */
int evs_l3_router_del(struct evs_l3_set *set, uint16_t id);

/** The router @p id, or NULL (management lcore, or under evs_l3_set_read_lock). */
struct evs_l3_router *evs_l3_router_get(const struct evs_l3_set *set, uint16_t id);

uint16_t evs_l3_router_id(const struct evs_l3_router *r);
struct evs_l3_fib *evs_l3_router_fib(struct evs_l3_router *r);
struct evs_l3_neigh_table *evs_l3_router_neigh(struct evs_l3_router *r);

/**
 * Attach a port to router @p router (management lcore): adds a connected
 * route per address subnet, all or nothing.
 * @return 0; -ENOENT (no router); -EINVAL (bad spec: MAC, family, length,
 *   the subnet's network address as a host address); -EEXIST (port id
 *   taken, the (switch, MAC) used by another router port, or a subnet
 *   already routed in this router); -ENOSPC.
 */
int evs_l3_port_add(struct evs_l3_set *set, uint16_t router, const struct evs_l3_port_spec *spec);

/**
 * Detach a port and its connected routes.
 * @return 0; -ENOENT; -EBUSY (a static route still names the port: delete it first).
 */
int evs_l3_port_del(struct evs_l3_set *set, uint16_t router, uint16_t id);

/** The port with @p id, or NULL. */
const struct evs_l3_port_spec *evs_l3_port_get(const struct evs_l3_router *r, uint16_t id);

/** Number of ports; the i-th one (i < count) for walks. */
uint16_t evs_l3_port_count(const struct evs_l3_router *r);
const struct evs_l3_port_spec *evs_l3_port_at(const struct evs_l3_router *r, uint16_t i);

/**
 * Add a static route (management lcore): as evs_l3_route_add, and every
 * next hop's port must be a port of this router.
 * @return as evs_l3_route_add, or -ENODEV (no such port).
 */
int evs_l3_router_route_add(struct evs_l3_router *r, const struct evs_l3_prefix *pfx,
			    const struct evs_l3_route_spec *spec);

/** The port that owns local address @p a, or NULL. */
const struct evs_l3_port_spec *evs_l3_local_port(const struct evs_l3_router *r,
						 const struct evs_l3_addr *a);

/* ------------------------------------------------------------------ */
/* Translation: what the router does with a flow                       */
/* ------------------------------------------------------------------ */

/** Drop reasons of the routing module (local numbers; names: evs_l3_drop_name). */
enum evs_l3_drop {
	EVS_L3_DROP_TTL,       /**< TTL / hop limit exhausted (time exceeded sent) */
	EVS_L3_DROP_NO_ROUTE,  /**< no route (net unreachable sent) */
	EVS_L3_DROP_BLACKHOLE, /**< blackhole route */
	EVS_L3_DROP_REJECT,    /**< reject route (unreachable sent) */
	EVS_L3_DROP_NO_VRF,    /**< next-VRF route to no router, or too many VRF hops */
	EVS_L3_DROP_TOO_BIG,   /**< over the egress MTU, DF or IPv6 (frag needed / too big sent) */
	EVS_L3_DROP_NO_FRAG,   /**< over the egress MTU without DF and could not be fragmented */
	EVS_L3_DROP_SOURCE_ROUTE, /**< IPv4 loose/strict source route option (RFC 7126) */
	EVS_L3_DROP_LOCAL,	  /**< to a router address, not something it answers */
	EVS_L3_DROP_BAD_SRC,	  /**< multicast, loopback or unspecified source */
	EVS_L3_DROP_NOT_IP,	  /**< to a router MAC, neither IPv4, IPv6 nor ARP */
	EVS_L3_DROP_NO_SRC_ADDR, /**< an ICMP error needed but the port has no address of the family
				  */
	EVS_L3_DROP_ICMP_RATE,	 /**< an ICMP error suppressed by the router's rate limit */
	EVS_L3_DROP_HOLD_FULL,	 /**< neighbour hold queue full */
	EVS_L3_DROP_UNRESOLVED,	 /**< neighbour never answered */
	EVS_L3_DROP_NEIGH_FULL,	 /**< no neighbour entry left */
	EVS_L3_DROP_LINK_LOCAL,	 /**< IPv6 link-local source or destination: never routed */
	EVS_L3_DROP_MAX,
};

/** Name of a drop reason ("ttl_exceeded", ...); "?" when out of range. */
const char *evs_l3_drop_name(unsigned int reason);

/** What the router does with a flow. */
enum evs_l3_verdict {
	EVS_L3_NOT_MINE,   /**< not for a router: switching goes on */
	EVS_L3_FORWARD,	   /**< rewrite MACs, decrement TTL, continue on out_ldp */
	EVS_L3_RESOLVE,	   /**< next hop unresolved: hand to the management lcore (held) */
	EVS_L3_LOCAL_ECHO, /**< echo request to a router address: reply */
	EVS_L3_LOCAL_ARP,  /**< ARP request for a router address: reply, learn the sender */
	EVS_L3_LOCAL_ND,   /**< neighbour solicitation maybe for a router address: advertise */
	EVS_L3_LEARN,	   /**< ARP reply / neighbour advertisement to a router: learn */
	EVS_L3_LOCAL_RS,   /**< router solicitation on a port sending RAs: advertise */
	EVS_L3_ICMP_ERROR, /**< answer with an ICMP error (icmp_*), drop with reason */
	EVS_L3_DROP,	   /**< drop with reason */
};

/** Key fields a decision consulted (the megaflow must match them). */
enum evs_l3_field {
	EVS_L3_F_LDP = 1 << 0,
	EVS_L3_F_DST_MAC = 1 << 1,
	EVS_L3_F_ETHERTYPE = 1 << 2,
	EVS_L3_F_PROTO = 1 << 3,
	EVS_L3_F_FRAG = 1 << 4,
	EVS_L3_F_SRC_SCOPE = 1 << 5, /**< the source bits telling link-local apart (first 10) */
	EVS_L3_F_SRC_IP = 1 << 6,    /**< all source bits */
	EVS_L3_F_L4_SRC = 1 << 7,    /**< ports, or ICMP type / ARP opcode */
	EVS_L3_F_L4_DST = 1 << 8,
	EVS_L3_F_SRC_PFX = 1 << 9, /**< only the source bits telling martians apart (first byte) */
};

/** Most next-VRF hops of one lookup (a loop ends there, dropped). */
#define EVS_L3_MAX_VRF_HOPS 4

/** A decision, with what it consulted. */
struct evs_l3_decision {
	enum evs_l3_verdict verdict;
	uint16_t reason;			/**< enum evs_l3_drop, for DROP and ICMP_ERROR */
	uint16_t router;			/**< the router (after VRF hops: the egress one) */
	uint16_t in_router;			/**< the router the frame entered */
	uint16_t in_port, out_port;		/**< router ports */
	uint16_t out_ldp;			/**< FORWARD: the switch to continue on */
	uint16_t mtu;				/**< FORWARD: egress IP MTU */
	struct rte_ether_addr src_mac, dst_mac; /**< FORWARD: the rewrite */
	struct evs_l3_neigh_key neigh; /**< RESOLVE: whom to resolve (on the egress router) */
	uint8_t icmp_type, icmp_code;  /**< ICMP_ERROR */
	uint32_t icmp_info;
	struct evs_l3_addr icmp_src; /**< ICMP_ERROR: the ingress port's address */
	struct evs_l3_result route;  /**< the route used, if any */
	uint8_t vrf_hops;	     /**< next-VRF lookups made */
	/** the routers those lookups left, in order (ingress first): their tables decided too */
	uint16_t vrf_path[EVS_L3_MAX_VRF_HOPS];
	uint32_t fields;  /**< enum evs_l3_field bits consulted */
	uint8_t dst_bits; /**< leading destination address bits consulted */
};

/**
 * Decide what the routers of @p set do with a frame of switch @p ldp whose
 * key is @p key (any lcore; takes the readers' locks). Deterministic in the
 * fields it reports consulted: every key that agrees on them gets the same
 * decision, so it may be cached as a megaflow. @p symmetric_ecmp picks
 * ECMP next hops by a symmetric hash.
 */
void evs_l3_decide(const struct evs_l3_set *set, uint16_t ldp, const struct evs_flow_key *key,
		   bool symmetric_ecmp, struct evs_l3_decision *d);

/* ------------------------------------------------------------------ */
/* Forwarding (per packet)                                             */
/* ------------------------------------------------------------------ */

/** What forwarding did to one packet. */
enum evs_l3_fwd_result {
	EVS_L3_FWD_OK,	    /**< rewritten: send it on */
	EVS_L3_FWD_TOO_BIG, /**< over the MTU, DF or IPv6: answer with an ICMP error */
	EVS_L3_FWD_NO_FRAG, /**< IPv4 over the MTU without DF: to fragment (evs_l3_fragment4) */
	EVS_L3_FWD_TTL,	    /**< TTL / hop limit exhausted (the megaflow had not seen it) */
	EVS_L3_FWD_SOURCE_ROUTE, /**< IPv4 source route option: drop */
};

/**
 * Route a burst of parsed IP packets of one megaflow (PMD lcore): check
 * the MTU and options, decrement TTL / hop limit (IPv4 checksum updated
 * incrementally, RFC 1624), rewrite the MACs. @p res gets each packet's
 * result; only EVS_L3_FWD_OK packets were changed.
 * @return the number of EVS_L3_FWD_OK packets.
 */
uint16_t evs_l3_forward_burst(struct rte_mbuf **pkts, uint16_t n,
			      const struct rte_ether_addr *src_mac,
			      const struct rte_ether_addr *dst_mac, uint16_t mtu, uint8_t *res);

/** Most fragments evs_l3_fragment4 makes of one packet (a 64 KB packet over a 1280 MTU). */
#define EVS_L3_FRAG_MAX 64

/**
 * Fragment a routed IPv4 packet for an egress MTU of @p mtu (management
 * lcore; RFC 791 3.2, RFC 1812 5.2.7) and forward each fragment like
 * evs_l3_forward_burst would: the L2 header as it came with @p macs
 * (destination then source), TTL - 1, a fresh header checksum. Options go
 * whole into the first fragment and only those with the copied flag into
 * the others; a fragment's offset and MF flag continue the packet's own
 * (it may be a fragment itself). @p m (parsed: l2_len set; may be
 * multi-segment) is not consumed.
 * @return the number of fragments in @p out (1 when it fits), or -EINVAL
 * (not IPv4, malformed, DF set, TTL <= 1, @p mtu under 68), -E2BIG (more
 * than @p max), -ENOMEM (no mbuf; none is left in @p out).
 */
int evs_l3_fragment4(struct rte_mempool *mp, const struct rte_mbuf *m, uint16_t mtu,
		     const struct rte_ether_addr macs[2], struct rte_mbuf **out, unsigned int max);

/* ------------------------------------------------------------------ */
/* Packets a router builds                                             */
/* ------------------------------------------------------------------ */

/**
 * Build an ARP packet (Ethernet/IPv4, 42 bytes before padding to 60).
 * @p op is RTE_ARP_OP_REQUEST (target MAC zero, to broadcast unless @p dst
 * is given) or RTE_ARP_OP_REPLY. IPv4 addresses in wire order.
 * @return the mbuf, or NULL (no mbuf).
 */
struct rte_mbuf *evs_l3_build_arp(struct rte_mempool *mp, uint16_t op,
				  const struct rte_ether_addr *sha, const uint8_t spa[4],
				  const struct rte_ether_addr *tha, const uint8_t tpa[4],
				  const struct rte_ether_addr *dst);

/**
 * Build a neighbour solicitation for @p target from @p src (ours on the
 * port), with the source link-layer address option. To the solicited-node
 * multicast group when @p dst_mac is NULL (resolution), else unicast to
 * @p target at @p dst_mac (refresh).
 */
struct rte_mbuf *evs_l3_build_ns(struct rte_mempool *mp, const struct rte_ether_addr *smac,
				 const uint8_t src[16], const uint8_t target[16],
				 const struct rte_ether_addr *dst_mac);

/**
 * Build a neighbour advertisement for @p target (ours) to @p dst at
 * @p dst_mac, with the target link-layer address option and the router,
 * solicited and override flags.
 */
struct rte_mbuf *evs_l3_build_na(struct rte_mempool *mp, const struct rte_ether_addr *smac,
				 const uint8_t target[16], const uint8_t dst[16],
				 const struct rte_ether_addr *dst_mac, bool solicited);

/** Router lifetime a Router Advertisement announces, seconds (RFC 4861: 3 x 600 s). */
#define EVS_L3_RA_LIFETIME 1800

/**
 * Build a Router Advertisement (RFC 4861 4.2) from router port @p p, from
 * its link-local address to all nodes (ff02::1), hop limit 255: router
 * lifetime EVS_L3_RA_LIFETIME, the source link-layer option, the port's
 * MTU, and a prefix information option for each of its IPv6 subnets
 * (on-link; autonomous when /64, RFC 4862).
 * @return the mbuf, or NULL (no mbuf).
 */
struct rte_mbuf *evs_l3_build_ra(struct rte_mempool *mp, const struct evs_l3_port_spec *p);

/**
 * Turn an ICMP/ICMPv6 echo request parsed into @p key into the reply, in
 * place: swap MACs and addresses, type 0 / 129, fresh TTL/hop limit,
 * checksums updated. @return 0; -EINVAL (not an echo request).
 */
int evs_l3_echo_reply(struct rte_mbuf *m, const struct evs_flow_key *key);

/** What an ICMP error says. */
struct evs_l3_icmp_err {
	uint8_t type; /**< ICMP / ICMPv6 type */
	uint8_t code;
	uint32_t info;		/**< next-hop MTU (frag needed) / MTU (packet too big), else 0 */
	struct evs_l3_addr src; /**< the router's address the error comes from */
	struct rte_ether_addr smac, dmac; /**< the error's Ethernet addresses */
};

/**
 * Whether an error may be sent about the packet @p key (RFC 1812 4.3.2.7,
 * RFC 4443 2.4 e): not about an ICMP error (ICMPv6 types < 128, ICMP not
 * echo/timestamp/... queries), a non-first fragment, a multicast or
 * broadcast destination (except packet too big, IPv6), or a source that is
 * not a unicast address.
 */
bool evs_l3_icmp_error_allowed(const struct evs_flow_key *key, uint8_t type);

/**
 * Build an ICMP (IPv4) or ICMPv6 error about @p orig, whose L3 header starts
 * at orig->l2_len: quotes the offending packet from its IP header, as much
 * as fits in 576 (IPv4, RFC 1812 4.3.2.3) or 1280 (IPv6, RFC 4443 2.4 c)
 * bytes of IP packet; the family is @p e->src's.
 * @return the mbuf, or NULL (no mbuf; -EINVAL cases: @p orig too short).
 */
struct rte_mbuf *evs_l3_build_icmp_error(struct rte_mempool *mp, const struct rte_mbuf *orig,
					 const struct evs_l3_icmp_err *e);

/** Solicited-node multicast address of @p addr (RFC 4291 2.7.1) and its MAC. */
void evs_l3_solicited_node(const uint8_t addr[16], uint8_t group[16], struct rte_ether_addr *mac);

/* ------------------------------------------------------------------ */
/* Rate limit (ICMP errors per router)                                 */
/* ------------------------------------------------------------------ */

/** A token bucket; one writer (the lcore that owns it). */
struct evs_l3_bucket {
	uint64_t last;	 /**< TSC of the last refill */
	uint64_t tokens; /**< scaled by tsc_hz: one token = tsc_hz units */
	uint64_t rate;	 /**< tokens per second */
	uint64_t burst;	 /**< most tokens kept */
	uint64_t hz;
};

/** Start a bucket full at @p now (TSC). */
static inline void evs_l3_bucket_init(struct evs_l3_bucket *b, uint64_t rate, uint64_t burst,
				      uint64_t hz, uint64_t now)
{
	b->last = now;
	b->rate = rate;
	b->burst = burst;
	b->hz = hz;
	b->tokens = burst * hz;
}

/** Take one token at @p now (TSC). @return true if there was one. */
static inline bool evs_l3_bucket_take(struct evs_l3_bucket *b, uint64_t now)
{
	uint64_t cap = b->burst * b->hz;

	if (now > b->last) {
		uint64_t dt = now - b->last;
		uint64_t add;

		/* past cap ticks the bucket is full anyway; capping dt keeps dt * rate small */
		if (dt > cap)
			dt = cap;
		add = dt * b->rate;
		b->tokens = b->tokens + add > cap ? cap : b->tokens + add;
		b->last = now;
	}
	if (b->tokens < b->hz)
		return false;
	b->tokens -= b->hz;
	return true;
}

#ifdef __cplusplus
}
#endif
#endif /* EVS_L3_H */
