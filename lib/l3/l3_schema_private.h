/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_L3_SCHEMA_PRIVATE_H
#define EVS_L3_SCHEMA_PRIVATE_H

/* Shared by l3_schema.c and l3_apply.c. */

#include "evs_l3_schema.h"
#include "l3_private.h"

/** Parse "10.0.1.1" or "10.0.1.1/24" (@p len may be NULL for a plain address). */
int l3_parse_addr(const char *s, struct evs_l3_addr *a, uint8_t *len);

struct evs_l3_binding {
	struct evs_l3_bind b;
	struct evs_obj_type types[4]; /* the schema's types with this binding's hooks */
	struct evs_store_ops ops[4];
};

#endif /* EVS_L3_SCHEMA_PRIVATE_H */
