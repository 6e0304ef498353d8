/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_L3_MASK_H
#define EVS_L3_MASK_H

/**
 * @file
 * The bridge from a routing decision to the classifier's megaflow mask
 * (apart from evs_l3.h, which does not need the classifier).
 */

#include "evs_classifier.h"
#include "evs_l3.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * OR into @p m the key bits decision @p d consulted (its fields and its
 * leading destination bits). Keys equal to the decided one under @p m get
 * the same decision: a megaflow with this mask is safe to cache.
 */
void evs_l3_decision_mask(const struct evs_l3_decision *d, struct evs_flow_mask *m);

#ifdef __cplusplus
}
#endif
#endif /* EVS_L3_MASK_H */
