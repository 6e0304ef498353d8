/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared by the store suite's files: test_store.c (the store and its model)
 * and test_store_ctl.c (the generated methods through a real socket). */
#ifndef EVS_TEST_STORE_TEST_H
#define EVS_TEST_STORE_TEST_H

#include <check.h>

#include "evs_store.h"

/* A store with the test types sw (key name, max 3 objects), port (name; sw
 * and vlans[].sw restrict) and mac (sw + mac; sw and port cascade). */
struct evs_store *store_new(void);

void store_ctl_add_cases(Suite *s);
/* test_store_secrets.c: secret fields. */
void store_secrets_add_cases(Suite *s);
/* test_store_slice.c: large transactions in steps. */
void store_slice_add_cases(Suite *s);

#endif
