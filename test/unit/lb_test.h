/* SPDX-License-Identifier: BSD-3-Clause */
/* Case files of the lb unit suite (test_lb.c holds main). */
#ifndef EVS_TEST_LB_H
#define EVS_TEST_LB_H

#include <check.h>

void lb_health_add_cases(Suite *s);
void lb_pool_add_cases(Suite *s);
void lb_conf_add_cases(Suite *s);
void lb_probe_add_cases(Suite *s);
void lb_module_add_cases(Suite *s);
void lb_next_pass_add_cases(Suite *s);
void lb_prefetch_add_cases(Suite *s);

#endif /* EVS_TEST_LB_H */
