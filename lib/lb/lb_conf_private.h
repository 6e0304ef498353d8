/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_LB_CONF_PRIVATE_H
#define EVS_LB_CONF_PRIVATE_H

/* Shared by lb_conf.c (objects, pools) and lb_dp.c (datapath tables). */

#include <jansson.h>

#include "evs_lb_conf.h"

struct lb_vip {
	struct evs_lb_pool *pool; /* NULL: free slot */
	uint64_t *affinity;	  /* source_ip: EVS_LB_AFFINITY_SLOTS words, else NULL */
	struct evs_lb_dp_vip dp;  /* as configured; ldp, table and runs filled at publish */
	char scope[32];
};

/* What readers may still hold: freed once the grace after @token is over. */
struct lb_grave {
	struct lb_grave *next;
	uint64_t token;
	bool token_set; /* taken by the publish that stopped showing it */
	struct evs_lb_pool *pool;
	uint64_t *affinity;
	struct evs_lb_dp *dp;
};

struct evs_lb_conf {
	struct evs_lb_conf_config cfg;
	struct lb_vip *vips;
	struct evs_store *st;
	struct evs_lb_conf_stats stats;
	struct evs_lb_state state;   /* what the module reads */
	uint64_t published_rebuilds; /* stats.rebuilds at the last publish */
	uint64_t dp_gen;
	bool dp_dirty; /* a publish failed (no memory): tick retries */
	struct lb_grave *graves;
	uint32_t last_id;	     /* backend id handed out last */
	uint8_t id_used[EVS_LB_IDS]; /* backend ids of every pool (recounted at publish) */
};

/* lb_conf.c: a VIP's datapath fields from its object (0, or -ENOMEM). */
int lb_vip_set(struct evs_lb_conf *lb, struct evs_store *st, struct lb_vip *v, const json_t *val);

/* lb_dp.c */
/* Take a deleted VIP's pool and affinity table out of its slot, to free after a grace. */
void lb_vip_bury(struct evs_lb_conf *lb, struct lb_vip *v);
/* Lowest free backend id (1..EVS_LB_IDS-1), marked used; 0 when none is free. */
uint32_t lb_id_alloc(struct evs_lb_conf *lb);
void lb_id_free(struct evs_lb_conf *lb, uint32_t id);
uint32_t lb_ids_free(const struct evs_lb_conf *lb);
/* Build the tables from the pools and publish them (or mark dp_dirty). */
void lb_dp_publish(struct evs_lb_conf *lb);
/* Did a VIP's scope start or stop naming a switch since the last publish? */
bool lb_dp_ldps_moved(const struct evs_lb_conf *lb);
/* Free what no reader can hold any more. */
void lb_dp_reclaim(struct evs_lb_conf *lb);
/* Free everything (no reader is left). */
void lb_dp_free_all(struct evs_lb_conf *lb);

#endif /* EVS_LB_CONF_PRIVATE_H */
