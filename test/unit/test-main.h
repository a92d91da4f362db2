/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "policy.h"

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

/* The policy of a config text (as "test.conf"); the test fails with the loader's FILE:LINE:
 * message when the text does not load. */
static inline Policy *test_policy_load(const char *text) {
        PolicyError e = {};
        Policy *p = NULL;

        if (policy_load_string(text, "test.conf", &p, &e) < 0)
                ck_abort_msg("policy: %s:%u: %s", e.file, e.line, e.message);
        policy_error_done(&e);
        return p;
}

/* The same for a printf-style text, e.g. test_policy_loadf("version = 1;\nssh = { %s };\n", s). */
static inline __attribute__((format(printf, 1, 2))) Policy *test_policy_loadf(const char *format, ...) {
        char *text = NULL;
        Policy *p;
        va_list ap;
        int r;

        va_start(ap, format);
        r = vasprintf(&text, format, ap);
        va_end(ap);
        ck_assert_int_ge(r, 0);
        p = test_policy_load(text);
        free(text);
        return p;
}
