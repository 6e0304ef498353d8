/* SPDX-License-Identifier: BSD-3-Clause */
#include "l3_test.h"
void l3_neigh_add_cases(Suite *s) { (void)s; }
