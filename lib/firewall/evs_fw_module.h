/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_FW_MODULE_H
#define EVS_FW_MODULE_H

/**
 * @file
 * The firewall as a pipeline module and as store objects.
 *
 * What: security groups at the vNIC. The stage runs before switching: an IP
 * packet from a filtered port (egress rules) or to one (ingress rules; the
 * destination vNIC is found by its address, evs_fw_vnic_of) is tracked
 * with ct(zone) and recirculated. On the second pass the stage decides on
 * ct_state: established/related/reply packets go on, invalid ones are
 * dropped, new ones get the `fw` opcode, which runs both ports' rules once
 * per connection (evs_fw_new_burst), commits the allowed connections and
 * drops or rejects (TCP RST / ICMP port unreachable, out of the port the
 * packet came in by) the others. The megaflow of a pass never depends on
 * the rules, only on which ports are filtered (one dependency, bumped on
 * every firewall change that touches a port).
 *
 * Objects (fw_schema.c, fw_store.c): fw.addrset, fw.group, fw.rule and
 * fw.port (a port's addresses, tags and groups). A transaction compiles
 * only the groups it touched and publishes them with RCU at commit; a
 * failed one leaves the datapath as it was.
 *
 * Thread-safety: the stage and opcode run on pipeline lcores and read only
 * published state; everything else runs on the management lcore.
 */

#include <stdint.h>

#include "evs_conntrack.h"
#include "evs_firewall.h"
#include "evs_module.h"

#ifdef __cplusplus
extern "C" {
#endif

extern const struct evs_module evs_fw_module;

/** recirc_id of the firewall's second pass. */
#define EVS_FW_RECIRC 0x4657 /* "FW" */
/** recirc_id of the pass after a DNAT commit (the packet classified translated). */
#define EVS_FW_RECIRC_NAT 0x4658

/** Conntrack zone the firewall tracks connections in by default. */
#define EVS_FW_ZONE_DEFAULT EVS_CT_ZONE_FW

/** The module's argument (evs_pipeline_lcore_config.mod_args): what lcore contexts claim from. */
struct evs_fw_mod_args {
	struct evs_fw *fw;
	struct evs_ct *ct; /**< conntrack table: one context per lcore is claimed */
	/** fw.log, fw.stats, fw.rule.hits: set by the module's ctl_register; the
	 * app frees it with evs_fw_ctl_free() after the server. */
	struct evs_fw_ctl *ctl;
};

/** The module's published state; NULL: nothing is filtered. */
struct evs_fw_mod_state {
	struct evs_fw *fw;
	uint16_t zone; /**< conntrack zone of the firewall's connections */
};

/** The module's opcodes (local numbers). */
enum evs_fw_mod_op {
	EVS_FW_OP_NEW, /**< argument: struct evs_fw_op_new */
	EVS_FW_OP_MAX,
};

/** evs_fw_op_new.dst_port: per packet, by its destination address (so the
 * megaflow of new connections does not match one address each). */
#define EVS_FW_PORT_BY_DST (-2)

/** Argument of the `fw` opcode: whose rules decide a new connection. */
struct evs_fw_op_new {
	int32_t src_port; /**< egress rules of this port; -1 none */
	int32_t dst_port; /**< ingress rules of this port; -1 none;
			   * EVS_FW_PORT_BY_DST: the port whose address each
			   * packet is sent to, looked up at execution */
	uint16_t zone;
	uint16_t dnat; /**< 1 + index of the DNAT rule; 0: none */
};

/** Drop reasons (local numbers). */
enum evs_fw_drop {
	EVS_FW_DROP_DENY,	/**< a deny rule or the default deny */
	EVS_FW_DROP_REJECT,	/**< a reject rule (an answer was sent, or not: see counters) */
	EVS_FW_DROP_CT_INVALID, /**< conntrack found the packet invalid */
	EVS_FW_DROP_CT_REFUSED, /**< allowed, but conntrack refused the connection (limits) */
	EVS_FW_DROP_FRAGMENT,	/**< an IP fragment: not reassembled, not trackable */
	EVS_FW_DROP_MAX,
};

/** Counters (local numbers). */
enum evs_fw_mod_counter {
	EVS_FW_MC_NEW,		  /**< new connections decided by the rules */
	EVS_FW_MC_REJECT_SENT,	  /**< RST / ICMP answers sent */
	EVS_FW_MC_REJECT_LIMITED, /**< answers not sent: over the rate */
	EVS_FW_MC_REJECT_FAILED,  /**< answers not built (no mbuf, not answerable) */
	EVS_FW_MC_MAX,
};

/** Reject answers per second per lcore at most. */
#define EVS_FW_REJECT_RATE 1000

/** Prefixes of one fw.addrset object at most (the firewall's max_addrs must allow them). */
#define EVS_FW_ADDRSET_PREFIXES_MAX 1024

/** Dependency: which ports are filtered and their addresses. */
#define EVS_FW_DEP_PORTS 0

struct evs_store;
struct evs_fw_store;

/** How the store types reach the daemon. */
struct evs_fw_store_config {
	struct evs_fw *fw;
	struct evs_ct *ct; /**< for kill_on_delete (NULL: connections are kept) */
	uint16_t zone;	   /**< the firewall's conntrack zone */
	/** The datapath index of port @p name (its slot), or -1. */
	int (*port_index)(const char *name, void *arg);
	/** After a commit that changed the firewall (bump the module's dependency). */
	void (*changed)(void *arg);
	void *arg;
};

/**
 * Add the types fw.addrset, fw.group, fw.rule and fw.port to @p st (after
 * the "port" type; before the store holds objects) with hooks that apply
 * them to @p c->fw.
 * @return the binding (free after the store), or NULL with errno: EINVAL,
 *   ENOMEM, or evs_store_type_add()'s error.
 */
struct evs_fw_store *evs_fw_store_bind(struct evs_store *st, const struct evs_fw_store_config *c);

/** Free what evs_fw_store_bind returned (NULL accepted). */
void evs_fw_store_free(struct evs_fw_store *b);

#ifdef __cplusplus
}
#endif
#endif /* EVS_FW_MODULE_H */
