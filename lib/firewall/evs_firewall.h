/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_FIREWALL_H
#define EVS_FIREWALL_H

/**
 * @file
 * Security groups at the vNIC.
 *
 * What: groups of rules (ingress/egress) attached to ports. A rule matches
 * protocol, source/destination CIDRs, address sets or remote groups (the
 * addresses of every port carrying a tag), port ranges (ICMP: type and code
 * ranges, as the flow key carries them) and decides allow, deny or reject.
 * The highest priority wins; equal priorities go to the lower rule id. A
 * port with at least one group denies what no rule allows, in both
 * directions; a port without groups is not filtered. Each group compiles to
 * four rte_acl contexts ({ingress, egress} x {IPv4, IPv6}), rebuilt off
 * the datapath only when the group (or an address set, tag or port address
 * it names) changed, and published with RCU. doc/firewall.md explains it.
 *
 * Thread-safety:
 * - evs_fw_classify_burst: PMD lcores, each passing its own lcore index
 *   (< config.n_lcores); lock-free. Readers must report quiescent states on
 *   config.qsbr between bursts.
 * - Every other function: the management lcore only. Object changes are
 *   staged; evs_fw_commit() (or evs_fw_prepare() + evs_fw_publish())
 *   compiles and publishes them all at once.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_rcu_qsbr.h>

#include "evs_conntrack.h"
#include "evs_packet.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Longest name (group, address set, tag), NUL included. */
#define EVS_FW_NAME_MAX 32
/** Addresses, tags and groups one port may carry. */
#define EVS_FW_PORT_ADDRS_MAX 8
#define EVS_FW_PORT_TAGS_MAX 8
#define EVS_FW_PORT_GROUPS_MAX 8
/** Largest burst evs_fw_classify_burst takes. */
#define EVS_FW_BURST_MAX 64

/** Direction, seen from the guest: ingress enters the vNIC, egress leaves it. */
enum evs_fw_dir {
	EVS_FW_INGRESS = 0,
	EVS_FW_EGRESS,
	EVS_FW_DIR_MAX,
};

enum evs_fw_action {
	EVS_FW_ALLOW = 1,
	EVS_FW_DENY,
	EVS_FW_REJECT, /**< deny and answer with TCP RST / ICMP unreachable */
};

/** An IPv4 (af 4) or IPv6 (af 6) prefix; host bits must be zero. */
struct evs_fw_cidr {
	uint8_t af;
	uint8_t plen;
	uint8_t addr[16]; /**< network order; IPv4 in the first 4 bytes */
};

enum evs_fw_addr_kind {
	EVS_FW_ADDR_ANY = 0,
	EVS_FW_ADDR_CIDR, /**< cidr */
	EVS_FW_ADDR_SET,  /**< the address set called name */
	EVS_FW_ADDR_TAG,  /**< remote group: addresses of the ports tagged name */
};

/** One side (source or destination) of a rule. */
struct evs_fw_addr {
	enum evs_fw_addr_kind kind;
	struct evs_fw_cidr cidr;
	char name[EVS_FW_NAME_MAX];
};

/** A rule as the control plane gives it. */
struct evs_fw_rule {
	uint32_t id;	   /**< unique in the firewall, not 0 */
	uint32_t priority; /**< higher wins, at most EVS_FW_PRIORITY_MAX */
	enum evs_fw_dir dir;
	enum evs_fw_action action;
	bool stateless; /**< not committed to conntrack: replies need their own rule */
	uint8_t proto;	/**< IPPROTO_*, 0 for any */
	struct evs_fw_addr src;
	struct evs_fw_addr dst;
	uint16_t sport_lo, sport_hi; /**< host order; ICMP type range */
	uint16_t dport_lo, dport_hi; /**< host order; ICMP code range */
	/** "": any; else only traffic that came through a tunnel from a remote
	 *  port carrying this tag (the GENEVE source tag option, decoded into
	 *  the key's tun_opt_flags by evs_fw_remote_tag_bits) */
	char remote_tag[EVS_FW_NAME_MAX];
};

/** Remote tags the rules may name at once, and the first tun_opt_flags bit
 *  they use (bits 16-30: lib/tunnel's EVS_TUN_TAG_BIT0 split). */
#define EVS_FW_REMOTE_TAGS_MAX 15u
#define EVS_FW_REMOTE_TAG_BIT0 16u

#define EVS_FW_PRIORITY_MAX 65535u

/** Per-port configuration (replaces the previous one). */
struct evs_fw_port_conf {
	uint32_t n_addrs;
	struct evs_fw_cidr addrs[EVS_FW_PORT_ADDRS_MAX]; /**< what tag members stand for */
	uint32_t n_tags;
	char tags[EVS_FW_PORT_TAGS_MAX][EVS_FW_NAME_MAX];
	uint32_t n_groups;
	char groups[EVS_FW_PORT_GROUPS_MAX][EVS_FW_NAME_MAX];
};

/** The decision for one packet. */
struct evs_fw_verdict {
	uint32_t rule_id; /**< 0: no rule decided (default deny, unfiltered port or not IP) */
	uint8_t action;	  /**< enum evs_fw_action */
	bool stateless;	  /**< the deciding rule is stateless */
};

/** Counters, summed over lcores by evs_fw_stats. */
enum evs_fw_counter {
	EVS_FW_C_ALLOW = 0,
	EVS_FW_C_DENY,
	EVS_FW_C_REJECT,
	EVS_FW_C_DEFAULT_DENY,	 /**< port has groups, no rule matched */
	EVS_FW_C_UNFILTERED,	 /**< port without groups, or not IPv4/IPv6: passed */
	EVS_FW_C_LOG_SUPPRESSED, /**< denied packet not logged: over the rate */
	EVS_FW_C_LOG_OVERFLOW,	 /**< denied packet not logged: ring full */
	EVS_FW_C_CT_INVALID,	 /**< conntrack found the packet invalid: dropped */
	EVS_FW_C_MAX,
};

/** Name of a counter ("allow", ...); never NULL. */
const char *evs_fw_counter_name(enum evs_fw_counter c);

struct evs_fw_config {
	const char *name;	   /**< unique among firewalls (names the ACL contexts) */
	int socket_id;		   /**< or SOCKET_ID_ANY */
	uint32_t n_lcores;	   /**< PMD lcore contexts (classify's lcore argument) */
	uint32_t max_rules;	   /**< rules in all groups */
	uint32_t max_groups;	   /**< groups */
	uint32_t max_addrsets;	   /**< address sets */
	uint32_t max_addrs;	   /**< CIDRs in one address set */
	uint32_t max_ports;	   /**< port indexes are below this */
	uint32_t max_acl_rules;	   /**< expanded rules in one group context (0: 65536) */
	uint32_t log_size;	   /**< denied-packet entries per lcore, a power of 2 (0: 256) */
	uint32_t log_rate;	   /**< denied-packet entries per second per lcore (0: 100) */
	struct rte_rcu_qsbr *qsbr; /**< readers' RCU; NULL when none run concurrently */
};

struct evs_fw;

/**
 * Create a firewall with every table allocated up front.
 * @return the firewall, or NULL with errno: EINVAL (bad config), ENOMEM.
 */
struct evs_fw *evs_fw_create(const struct evs_fw_config *cfg);

/** Free a firewall (NULL accepted); no reader may use it any more. */
void evs_fw_free(struct evs_fw *fw);

/**
 * Create or replace address set @p name with @p n CIDRs.
 * @return 0, -EINVAL (bad name/CIDR, n > max_addrs), -ENOSPC (table full).
 */
int evs_fw_addrset_set(struct evs_fw *fw, const char *name, const struct evs_fw_cidr *cidrs,
		       uint32_t n);

/** Delete an address set. @return 0, -ENOENT, -EBUSY (a rule names it). */
int evs_fw_addrset_del(struct evs_fw *fw, const char *name);

/** Add an empty group. @return 0, -EINVAL (bad name), -EEXIST, -ENOSPC. */
int evs_fw_group_add(struct evs_fw *fw, const char *name);

/** Delete a group and its rules. @return 0, -ENOENT, -EBUSY (a port has it). */
int evs_fw_group_del(struct evs_fw *fw, const char *name);

/**
 * Add @p r to @p group.
 * @return 0, -EINVAL (bad field), -ENOENT (no such group or address set),
 *   -EEXIST (id in use), -ENOSPC (max_rules reached).
 */
int evs_fw_rule_add(struct evs_fw *fw, const char *group, const struct evs_fw_rule *r);

/** Delete rule @p id. @return 0, -ENOENT. */
int evs_fw_rule_del(struct evs_fw *fw, uint32_t id);

/**
 * Set port @p port's addresses, tags and groups.
 * @return 0, -EINVAL (bad port/address/name, too many), -ENOENT (no such group).
 */
int evs_fw_port_set(struct evs_fw *fw, uint16_t port, const struct evs_fw_port_conf *pc);

/**
 * Compile the groups touched since the last publish (and the bindings of
 * their ports) without publishing them: the fallible half of a commit, for
 * a store transaction's prepare. Objects must not change until
 * evs_fw_publish() or evs_fw_abort(). Replaces an earlier unpublished build.
 * @return 0, -ENOMEM, -E2BIG (a group expands past max_acl_rules), or the
 *   error of rte_acl_build; nothing is kept on failure.
 */
int evs_fw_prepare(struct evs_fw *fw);

/** Publish what evs_fw_prepare built (nothing if none), wait for a grace
 * period on config.qsbr, free the old tables. Cannot fail. */
void evs_fw_publish(struct evs_fw *fw);

/** Drop what evs_fw_prepare built; the changes stay staged. */
void evs_fw_abort(struct evs_fw *fw);

/**
 * evs_fw_prepare() then evs_fw_publish(). On failure nothing is published:
 * the datapath keeps the previous state and the changes stay staged.
 * @return as evs_fw_prepare().
 */
int evs_fw_commit(struct evs_fw *fw);

/** Hits of rule @p id summed over lcores. @return 0, -ENOENT. */
int evs_fw_rule_hits(const struct evs_fw *fw, uint32_t id, uint64_t *hits);

/** Counters summed over lcores into @p out[EVS_FW_C_MAX]. */
void evs_fw_stats(const struct evs_fw *fw, uint64_t out[EVS_FW_C_MAX]);

/**
 * The tun_opt_flags bits of the remote tags among @p ids (wire ids from a
 * GENEVE source tag option, evs_tun_src_tags) that some rule names (any
 * lcore; relaxed reads of the slot table: a slot being filled or freed
 * only gives a bit no published rule tests).
 */
uint32_t evs_fw_remote_tag_bits(const struct evs_fw *fw, const uint32_t *ids, unsigned int n);

/** Whether some rule names a remote tag (any lcore). */
bool evs_fw_remote_tags_used(const struct evs_fw *fw);

/** The remote tag of tun_opt_flags bit @p bit, or NULL (management lcore). */
const char *evs_fw_remote_tag_of_bit(const struct evs_fw *fw, unsigned int bit);

/**
 * Decide @p n (<= EVS_FW_BURST_MAX) packets seen on @p port in direction
 * @p dir, writing out[i] for keys[i]; counts hits, logs denied packets
 * (rate-limited). Packets that are not IPv4/IPv6 and ports without groups
 * are allowed with rule_id 0.
 * @return the number of packets not allowed.
 */
uint16_t evs_fw_classify_burst(struct evs_fw *fw, uint32_t lcore, uint16_t port,
			       enum evs_fw_dir dir, const struct evs_flow_key *const keys[],
			       uint16_t n, struct evs_fw_verdict out[]);

/** A denied packet, as logged. */
struct evs_fw_log_entry {
	uint64_t time_ns; /**< wall clock (CLOCK_REALTIME) */
	uint32_t rule_id; /**< 0: default deny */
	uint16_t port;
	uint8_t dir;	/**< enum evs_fw_dir */
	uint8_t action; /**< EVS_FW_DENY or EVS_FW_REJECT */
	uint8_t af;	/**< 4 or 6 */
	uint8_t proto;
	uint16_t sport, dport; /**< host order; ICMP type/code */
	uint8_t src[16], dst[16];
};

/**
 * Take up to @p max logged entries, oldest first, off the per-lcore rings.
 * @return the number taken.
 */
uint32_t evs_fw_log_read(struct evs_fw *fw, struct evs_fw_log_entry *out, uint32_t max);

/** Where evs_fw_ct_burst runs. */
struct evs_fw_ct_args {
	struct evs_fw *fw;
	uint32_t lcore;		 /**< the caller's firewall lcore index */
	struct evs_ct_lcore *ct; /**< the caller's conntrack context */
	uint16_t zone;		 /**< conntrack zone of the port */
	uint16_t port;
	enum evs_fw_dir dir;
};

/**
 * Stateful filtering of @p n (<= EVS_FW_BURST_MAX) parsed packets of one
 * port and direction (PMD lcore): conntrack lookup without commit; packets
 * of known connections (established, reply, related) are allowed with
 * rule_id = the connection's ct_mark; conntrack-invalid ones are denied
 * (counted ct_invalid); new ones are classified, and those a stateful rule
 * allows are committed with ct_mark = rule id (one ct commit per rule).
 * Sets ct_state/ct_zone/ct_mark in @p keys as conntrack does.
 * @return the number of packets not allowed (deny or reject in @p out).
 */
uint16_t evs_fw_ct_burst(const struct evs_fw_ct_args *a, struct rte_mbuf **pkts,
			 struct evs_flow_key *keys, uint16_t n, struct evs_fw_verdict out[]);

/**
 * Build the TCP reset answering @p orig (parsed into @p key, untagged or
 * not: the answer is untagged Ethernet from the original's destination
 * MAC), for a reject verdict on TCP. Any lcore.
 * @return the frame (checksums filled), or NULL with errno: EINVAL (not
 *   TCP, a fragment, a reset itself, truncated), ENOMEM (no mbuf).
 */
struct rte_mbuf *evs_fw_build_tcp_rst(struct rte_mempool *mp, const struct rte_mbuf *orig,
				      const struct evs_flow_key *key);

/**
 * The ICMP error answering @p orig for a reject verdict on UDP and other
 * protocols: port unreachable (ICMP 3/3, ICMPv6 1/4) quoting as much of the
 * packet as fits 576 (IPv4) or 1280 (IPv6) bytes, untagged Ethernet from
 * the original's destination MAC. Any lcore.
 * @return the frame (checksums filled), or NULL with errno: EINVAL (not
 *   IP, an ICMP packet, a later fragment, a multicast destination,
 *   truncated), ENOMEM (no mbuf).
 */
struct rte_mbuf *evs_fw_build_icmp_unreach(struct rte_mempool *mp, const struct rte_mbuf *orig,
					   const struct evs_flow_key *key);

/**
 * The verdict port @p port's rules give @p key in @p dir, without counting
 * or logging (flow.trace). Any lcore that may read published state.
 * @return 0, -EINVAL.
 */
int evs_fw_decide(struct evs_fw *fw, uint16_t port, enum evs_fw_dir dir,
		  const struct evs_flow_key *key, struct evs_fw_verdict *out);

/** Whether port @p port has groups (published state; any lcore). */
bool evs_fw_port_filtered(const struct evs_fw *fw, uint16_t port);

/** Whether any port has groups (published state; any lcore). */
bool evs_fw_any_filtered(const struct evs_fw *fw);

/** Whether any filtered port has a host address evs_fw_vnic_of() can find. */
bool evs_fw_has_vnics(const struct evs_fw *fw);

/**
 * The filtered port one of whose host addresses (evs_fw_port_conf.addrs of
 * prefix length 32/128) is @p k's destination: the vNIC a packet goes to,
 * whose ingress rules apply. Published state; any lcore.
 * @return the port, or -1 (none, or not IP).
 */
int evs_fw_vnic_of(const struct evs_fw *fw, const struct evs_flow_key *k);

/**
 * Hand out the next unused lcore index (< config.n_lcores) for
 * evs_fw_classify_burst / evs_fw_new_burst; a module's lcore_create calls it.
 * @return the index, or -ENOSPC.
 */
int evs_fw_lcore_claim(struct evs_fw *fw);

/** The rules a connection was allowed by, as its ct label's first 8 bytes. */
void evs_fw_label_pack(uint8_t label[16], uint32_t egress_rule, uint32_t ingress_rule);
void evs_fw_label_unpack(const uint8_t label[16], uint32_t *egress_rule, uint32_t *ingress_rule);

/** Source NAT of the connections the firewall commits from a prefix. */
struct evs_fw_snat {
	struct evs_fw_cidr src;	    /**< sources it applies to (most specific wins) */
	struct evs_ct_nat_range to; /**< kind EVS_CT_NAT_SRC, same family as src */
};

/**
 * Stage the whole SNAT table (management lcore); replaces an unpublished one.
 * @return 0, -EINVAL (a range upside down, kind or family wrong), -ENOMEM.
 */
int evs_fw_snat_stage(struct evs_fw *fw, const struct evs_fw_snat *r, uint32_t n);
/** Publish the staged table, wait for a grace period, free the old one. */
void evs_fw_snat_publish(struct evs_fw *fw);
/** Drop the staged table. */
void evs_fw_snat_abort(struct evs_fw *fw);
/** The range @p k's source is translated into, or NULL (published state; any lcore). */
const struct evs_ct_nat_range *evs_fw_snat_of(const struct evs_fw *fw,
					      const struct evs_flow_key *k);
/** Whether @p k's destination is a translated address (a reply to untranslate). */
bool evs_fw_snat_addr(const struct evs_fw *fw, const struct evs_flow_key *k);
/** Whether any SNAT rule is published. */
bool evs_fw_has_snat(const struct evs_fw *fw);

/** Destination NAT: connections to address:port (protocol) go to to. */
struct evs_fw_dnat {
	uint8_t af;		    /**< 4 or 6 */
	uint8_t proto;		    /**< IPPROTO_TCP or IPPROTO_UDP */
	uint16_t port;		    /**< host order */
	uint8_t addr[16];	    /**< the public address */
	struct evs_ct_nat_range to; /**< kind EVS_CT_NAT_DST, one address, port 0: keep */
};

/** Stage the whole DNAT table. @return 0, -EINVAL, -ENOMEM. */
int evs_fw_dnat_stage(struct evs_fw *fw, const struct evs_fw_dnat *r, uint32_t n);
/** Publish the staged DNAT table, wait for a grace period, free the old one. */
void evs_fw_dnat_publish(struct evs_fw *fw);
/** Drop the staged DNAT table. */
void evs_fw_dnat_abort(struct evs_fw *fw);
/** Index of the DNAT rule @p k (a new connection) matches, or -1 (any lcore). */
int evs_fw_dnat_of(const struct evs_fw *fw, const struct evs_flow_key *k);
/** Whether a DNAT rule names @p k's destination address and protocol, any
 * port (a later IP fragment has none before conntrack; any lcore). */
bool evs_fw_dnat_addr(const struct evs_fw *fw, const struct evs_flow_key *k);
/** DNAT rule @p i of the published table, or NULL (it changed since). */
const struct evs_fw_dnat *evs_fw_dnat_at(const struct evs_fw *fw, uint32_t i);
/** Whether any DNAT rule is published. */
bool evs_fw_has_dnat(const struct evs_fw *fw);
/** Rewrite @p k's destination as @p d translates it (key only). */
void evs_fw_dnat_apply(const struct evs_fw_dnat *d, struct evs_flow_key *k);

/** Where evs_fw_new_burst runs. */
struct evs_fw_new_args {
	struct evs_fw *fw;
	uint32_t lcore;		 /**< the caller's firewall lcore index */
	struct evs_ct_lcore *ct; /**< the caller's conntrack context */
	uint16_t zone;		 /**< conntrack zone of the firewall */
	int32_t src_port;	 /**< whose egress rules apply; -1: none */
	int32_t dst_port;	 /**< whose ingress rules apply; -1: none */
	/** per packet instead of dst_port when not NULL (-1: none) */
	const int32_t *dst_ports;
	bool dry_run; /**< flow.trace: no commit, no counter, no log */
	/** DNAT of every packet: ingress rules see the translated
	 * destination, commits translate; NULL: none */
	const struct evs_fw_dnat *dnat;
	/** the keys' ct_state comes from a lookup in @p zone just before
	 * (the first pass): a +new key it did not translate missed, and its
	 * commit skips a second lookup (EVS_CT_F_MISSED) */
	bool looked_up;
};

/**
 * Decide @p n (<= EVS_FW_BURST_MAX) packets that conntrack found new (or
 * could not track) on their way from a vNIC to a vNIC (PMD lcore): the
 * source port's egress rules and the destination port's ingress rules must
 * both allow; the first that does not decides. Allowed packets whose
 * deciding rules are stateful are committed in @p a->zone with ct_mark =
 * the ingress rule (else the egress rule) and the label holding both
 * (evs_fw_label_pack), translated by the SNAT rule their source matches
 * (evs_fw_snat_of), one commit per distinct pair and range.
 * @return the number of packets not allowed (deny or reject in @p out).
 */
uint16_t evs_fw_new_burst(const struct evs_fw_new_args *a, struct rte_mbuf **pkts,
			  struct evs_flow_key *keys, uint16_t n, struct evs_fw_verdict out[]);

struct evs_ctl;
struct evs_fw_ctl;

/**
 * Register the read-only methods fw.log, fw.stats and fw.rule.hits on
 * @p ctl for @p fw (management lcore). The object methods (fw.group.*,
 * fw.rule.*, fw.addrset.*) come from the store types, not from here.
 * @return the methods' state, to free with evs_fw_ctl_free() after the
 *   server; NULL with errno: EINVAL, ENOMEM, or evs_ctl_register()'s error
 *   (then none stays registered).
 */
struct evs_fw_ctl *evs_fw_ctl_register(struct evs_ctl *ctl, struct evs_fw *fw);

/** Free what evs_fw_ctl_register returned (NULL accepted). */
void evs_fw_ctl_free(struct evs_fw_ctl *c);

#ifdef __cplusplus
}
#endif

#endif /* EVS_FIREWALL_H */
