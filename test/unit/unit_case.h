/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One named Check tcase per test function, for suites whose cases live in
 * several files: each file keeps its own table and adds it to the suite.
 */
#ifndef EVS_TEST_UNIT_CASE_H
#define EVS_TEST_UNIT_CASE_H

#include <stddef.h>

#include <check.h>

struct unit_case {
	const char *name;
	const TTest *fn;
};

/* Add @n cases to @s, each in its own tcase named after it; @setup and
 * @teardown (may be NULL) run as checked fixtures; @timeout_s 0 keeps Check's
 * default (CK_DEFAULT_TIMEOUT). */
static inline void unit_add_cases(Suite *s, const struct unit_case *cases, size_t n, SFun setup,
				  SFun teardown, unsigned int timeout_s)
{
	size_t i;

	for (i = 0; i < n; i++) {
		TCase *tc = tcase_create(cases[i].name);

		if (setup != NULL || teardown != NULL)
			tcase_add_checked_fixture(tc, setup, teardown);
		if (timeout_s != 0)
			tcase_set_timeout(tc, timeout_s);
		tcase_add_test(tc, cases[i].fn);
		suite_add_tcase(s, tc);
	}
}

#endif /* EVS_TEST_UNIT_CASE_H */
