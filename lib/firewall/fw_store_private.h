/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_FW_STORE_PRIVATE_H
#define EVS_FW_STORE_PRIVATE_H

/* The store types (fw_schema.c) and their hooks (fw_store.c); not installed. */

#include <jansson.h>

#include "evs_fw_module.h"
#include "evs_store.h"

/** Prefixes of one address set at most. */
#define FW_STORE_MAX_ADDRS EVS_FW_ADDRSET_PREFIXES_MAX

extern const struct evs_obj_type fw_addrset_type, fw_group_type, fw_rule_type, fw_port_type,
    fw_snat_type, fw_dnat_type;
extern const struct evs_store_ops fw_addrset_ops, fw_group_ops, fw_rule_ops, fw_port_ops,
    fw_snat_ops, fw_dnat_ops;

/* "10.0.0.0/24" or an address (a host prefix). 0 or -EINVAL (also: host bits set). */
int fw_cidr_parse(const char *s, struct evs_fw_cidr *c);
/* A rule object -> the library's rule; cross-field errors filled in @err. */
int fw_rule_of(struct evs_store *st, const json_t *o, struct evs_fw_rule *r, const char *path,
	       struct evs_ctl_err *err);
/* A fw.port object (NULL: none) -> the port's configuration. 0 or -EINVAL. */
int fw_port_conf_of(const json_t *o, struct evs_fw_port_conf *pc);

/* A fw.snat object -> the library's rule; errors filled in @err. */
int fw_snat_of(const json_t *o, struct evs_fw_snat *r, const char *path, struct evs_ctl_err *err);
int fw_snat_check(struct evs_store *st, const json_t *o, const char *path, struct evs_ctl_err *err,
		  void *ctx);
/* A fw.dnat object -> the library's rule; errors filled in @err. */
int fw_dnat_of(const json_t *o, struct evs_fw_dnat *r, const char *path, struct evs_ctl_err *err);
int fw_dnat_check(struct evs_store *st, const json_t *o, const char *path, struct evs_ctl_err *err,
		  void *ctx);
int fw_addrset_check(struct evs_store *st, const json_t *o, const char *path,
		     struct evs_ctl_err *err, void *ctx);
int fw_group_check(struct evs_store *st, const json_t *o, const char *path, struct evs_ctl_err *err,
		   void *ctx);
int fw_rule_check(struct evs_store *st, const json_t *o, const char *path, struct evs_ctl_err *err,
		  void *ctx);
int fw_port_check(struct evs_store *st, const json_t *o, const char *path, struct evs_ctl_err *err,
		  void *ctx);

/* The binding the hooks get as ctx. */
struct evs_fw_store {
	struct evs_fw_store_config c;
	size_t done;	   /* deltas of the type being prepared that reached the library */
	size_t done_of[4]; /* per type (addrset, group, rule, port), for abort */
};

#endif /* EVS_FW_STORE_PRIVATE_H */
