/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_FW_PRIVATE_H
#define EVS_FW_PRIVATE_H

/* Shared by the firewall library's files; not installed. */

#include <stdatomic.h>
#include <stdint.h>

#include <rte_acl.h>
#include <rte_common.h>

#include "evs_firewall.h"

enum fw_af { FW_V4 = 0, FW_V6, FW_AF_MAX };

/* A rule as the datapath sees it: immutable once published. */
struct fw_rule_rt {
	uint32_t id;
	uint32_t priority;
	uint32_t slot; /* index of its hit counter */
	uint8_t action;
	uint8_t stateless;
};

/* One group compiled: ACL userdata k (1-based) is rules[k - 1]. */
struct fw_tables {
	struct rte_acl_ctx *ctx[EVS_FW_DIR_MAX][FW_AF_MAX]; /* NULL: no rule */
	uint32_t n_rules;
	struct fw_rule_rt rules[];
};

/* A port's groups as the datapath sees them (NULL binding: unfiltered). */
struct fw_bind {
	uint32_t n;
	const struct fw_tables *t[EVS_FW_PORT_GROUPS_MAX];
};

/* A filtered port's host address, for finding the vNIC a packet goes to. */
struct fw_vnic {
	uint8_t af; /* 4 or 6 */
	uint8_t addr[16];
	uint16_t port;
};

/* Every filtered port's host addresses, sorted by (af, addr); immutable. */
struct fw_vnics {
	uint32_t n;
	struct fw_vnic e[];
};

/* Control-plane objects (management lcore only). */
struct fw_rule_slot {
	uint8_t used;
	uint16_t group;
	struct evs_fw_rule r;
};

struct fw_group {
	uint8_t used;
	uint8_t dirty;
	char name[EVS_FW_NAME_MAX];
	struct fw_tables *tables; /* what the bindings of its ports point at */
};

struct fw_addrset {
	uint8_t used;
	char name[EVS_FW_NAME_MAX];
	uint32_t n;
	struct evs_fw_cidr *cidrs; /* max_addrs entries */
};

struct fw_port {
	uint8_t dirty;
	struct evs_fw_port_conf conf;
	uint16_t groups[EVS_FW_PORT_GROUPS_MAX]; /* conf.groups resolved */
	struct fw_bind *bind;			 /* published in fw->binds */
};

struct fw_log_ring {
	_Atomic uint32_t head; /* written by the lcore (release: entry before index) */
	_Atomic uint32_t tail; /* written by the reader (release: slot free after copy) */
	struct evs_fw_log_entry *e;
};

struct fw_lcore {
	uint64_t counters[EVS_FW_C_MAX];
	uint64_t tokens_tsc; /* token bucket: time the bucket was last filled */
	uint32_t tokens;
	struct fw_log_ring log;
	uint64_t *hits; /* max_rules counters */
} __rte_cache_aligned;

struct evs_fw {
	struct evs_fw_config cfg;
	char name[EVS_FW_NAME_MAX];
	struct fw_bind *_Atomic *binds; /* per port; NULL: unfiltered */
	struct fw_lcore *lcores;
	struct fw_rule_slot *rules;
	struct fw_group *groups;
	struct fw_addrset *addrsets;
	struct fw_port *ports;
	uint32_t n_rules;
	uint32_t build_gen; /* makes ACL context names unique */
	/* Tables and bindings to free after the next commit's grace period. */
	struct fw_retired {
		void *p;
		uint8_t tables; /* struct fw_tables, else struct fw_bind */
	} * retired;
	uint32_t n_retired, max_retired;
	/* Built by evs_fw_prepare, swapped in by evs_fw_publish. */
	struct fw_tables **pend_tables; /* per group */
	struct fw_bind **pend_binds;	/* per port */
	struct fw_vnics *_Atomic vnics; /* published with the bindings */
	struct fw_vnics *pend_vnics;
	uint8_t vnics_dirty;		 /* a port's addresses or groups changed: rebuild vnics */
	_Atomic uint32_t n_filtered;	 /* published ports with groups */
	struct fw_nat_table *snats;	 /* published (RCU); NULL: none */
	struct fw_nat_table *pend_snats; /* staged by evs_fw_snat_stage */
	struct fw_nat_table *dnats;	 /* published (RCU); NULL: none */
	struct fw_nat_table *pend_dnats; /* staged by evs_fw_dnat_stage */
	uint8_t pending;
	/* remote tags (rules' remote_tag): slot s is tun_opt_flags bit
	 * EVS_FW_REMOTE_TAG_BIT0 + s; a slot keeps its tag while a rule names it
	 * and is freed only after a publish's grace (fw_rtags_*) */
	char rtag[EVS_FW_REMOTE_TAGS_MAX][EVS_FW_NAME_MAX];
	uint32_t rtag_id[EVS_FW_REMOTE_TAGS_MAX]; /* wire id; 0: free (PMDs read, relaxed) */
	_Atomic uint32_t lcores_claimed;
	uint64_t tsc_hz, tsc0, wall0_ns;
};

/* fw_conf.c: the slot of remote tag @name, or -1. */
int fw_rtag_slot(const struct evs_fw *fw, const char *name);

/* fw_acl.c: compile group @g into fresh tables (NULL with errno). */
struct fw_tables *fw_tables_build(struct evs_fw *fw, uint32_t g);
void fw_tables_free(struct fw_tables *t);

/* fw_classify.c: classify without counting or logging when @lc is NULL. */
uint16_t fw_classify(struct evs_fw *fw, struct fw_lcore *lc, uint16_t port, enum evs_fw_dir dir,
		     const struct evs_flow_key *const keys[], uint16_t n,
		     struct evs_fw_verdict out[]);

/* fw_vnic.c: the sorted address map of the filtered ports (NULL with errno). */
struct fw_vnics *fw_vnics_build(const struct evs_fw *fw);

/* fw_nat.c: free the NAT tables (evs_fw_free). */
void fw_snat_free(struct evs_fw *fw);

/* fw_log.c */
int fw_log_init(struct evs_fw *fw);
void fw_log_fini(struct evs_fw *fw);
void fw_log_denied(struct evs_fw *fw, struct fw_lcore *lc, uint16_t port, enum evs_fw_dir dir,
		   const struct evs_flow_key *k, const struct evs_fw_verdict *v);

#endif /* EVS_FW_PRIVATE_H */
