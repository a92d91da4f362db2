/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <check.h>
#include <stdlib.h>

/* Runs every test case of s and returns main()'s exit status. */
static inline int test_run_suite(Suite *s) {
        SRunner *sr = srunner_create(s);
        int failed;

        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* main() for a check suite of one test case: TEST_MAIN("name", tcase_add_test(tc, a); ...) */
#define TEST_MAIN(name, ...)                                      \
        int main(void) {                                          \
                Suite *s = suite_create(name);                    \
                TCase *tc = tcase_create(name);                   \
                SRunner *sr;                                      \
                int failed;                                       \
                                                                  \
                tcase_set_timeout(tc, 60);                        \
                __VA_ARGS__;                                      \
                suite_add_tcase(s, tc);                           \
                sr = srunner_create(s);                           \
                srunner_run_all(sr, CK_NORMAL);                   \
                failed = srunner_ntests_failed(sr);               \
                srunner_free(sr);                                 \
                return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE; \
        }
