/* SPDX-License-Identifier: BSD-3-Clause */
#include "ct_test.h"
#include "unit_case.h"
void ct_model_add_cases(Suite *s)
{
	(void)s;
}
