/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_OVERLAY_PRIVATE_H
#define EVS_OVERLAY_PRIVATE_H

#include "evs_ctl.h"
#include "evs_overlay.h"
#include "evs_tunnel.h"

#define OVL_NAME_LEN 32
/** Inbound SAs the SPI table holds: every VTEP's current one and the draining. */
#define OVL_TABLE_SAS (4u * EVS_OVERLAY_MAX_VTEPS)

/** A VTEP slot: its SAs as the datapath sees them. */
struct ovl_vtep {
	char name[OVL_NAME_LEN]; /**< "" when free */
	struct evs_sa *in;	 /**< current inbound (management lcore only) */
	struct evs_sa *out;	 /**< current outbound: RCU-published */
};

/** A replaced inbound SA still accepting the peer's packets. */
struct ovl_drain {
	struct evs_sa *sa;
	uint16_t vtep;
	uint64_t deadline_ms;
};

/** Something no reader may hold any more once @p token is quiescent. */
struct ovl_retire {
	void *p;
	bool table; /**< an SPI table, else an SA */
	uint64_t token;
};

/** One SA delta's staged work (prepare -> commit / abort). */
struct ovl_staged {
	struct evs_store_obj *obj;
	struct evs_sa *old, *new; /**< old: the object's SA now (NULL for ADD) */
	uint16_t vtep;
	bool inbound;
	bool drain; /**< old inbound keeps draining (a new SPI) */
};

struct evs_overlay {
	struct evs_overlay_config cfg;
	struct evs_store *store;      /**< the types' store (evs_overlay_store_add) */
	struct evs_obj_type types[4]; /**< the public types with this context's hooks */
	struct evs_sa_table *table;   /**< RCU-published */
	struct ovl_vtep vteps[EVS_OVERLAY_MAX_VTEPS];
	bool reserved[EVS_OVERLAY_MAX_VTEPS]; /**< slots taken by a transaction's new VTEPs */
	struct ovl_drain *drains;
	unsigned int n_drains, cap_drains;
	struct ovl_retire *retire;
	unsigned int n_retire, cap_retire;
	/* the open transaction's SA work */
	struct ovl_staged *staged;
	size_t n_staged;
	struct evs_sa_table *staged_table;
};

int ovl_hex(const char *s, uint8_t *out, size_t n);
int ovl_addr(const char *s, struct evs_tun_addr *a);
uint64_t ovl_now_ms(const struct evs_overlay *ov);

int ovl_underlay_check(struct evs_store *st, const json_t *obj, const char *path,
		       struct evs_ctl_err *err, void *ctx);
int ovl_vtep_check(struct evs_store *st, const json_t *obj, const char *path,
		   struct evs_ctl_err *err, void *ctx);
int ovl_tunnel_check(struct evs_store *st, const json_t *obj, const char *path,
		     struct evs_ctl_err *err, void *ctx);
int ovl_sa_check(struct evs_store *st, const json_t *obj, const char *path, struct evs_ctl_err *err,
		 void *ctx);

/** Hooks of the vtep and sa types (overlay_sa.c). */
extern const struct evs_store_ops ovl_vtep_ops, ovl_sa_ops;

#endif /* EVS_OVERLAY_PRIVATE_H */
