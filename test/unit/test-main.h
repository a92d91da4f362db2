/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"
#include "policy.h"
#include "sys/fileio.h"

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

/* The unprivileged owner of a fixture's home directories (uid 0 is root for sshd whatever the name). */
static inline uid_t test_uid(void) {
        return getuid() ?: 1000;
}

/* Writes ROOT/PATH (making its directories 0755) with mode; files below /home belong to test_uid(). */
static inline void test_put_file(const char *root, const char *path, const char *text, mode_t mode) {
        char *full = NULL, *dir;
        int fd;

        ck_assert_int_ge(asprintf(&full, "%s%s", root, path), 0);
        dir = strdup(full);
        ck_assert_ptr_nonnull(dir);
        for (char *s = dir + strlen(root) + 1; (s = strchr(s, '/')); s++) {
                *s = 0;
                (void) mkdir(dir, 0755);
                *s = '/';
        }
        free(dir);
        fd = open(full, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t) strlen(text));
        close(fd);
        ck_assert_int_eq(chmod(full, mode), 0);
        if (strncmp(path, "/home/", 6) == 0)
                ck_assert_int_eq(chown(full, test_uid(), test_uid()), 0);
        free(full);
}

/* Every entry below a tree with its mode, owner and (files) content, to compare before and after. */
static FILE *test_tree_out;
static size_t test_tree_prefix;

static inline int test_tree_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void) flag;
        (void) ftw;
        fprintf(test_tree_out, "%s %o %u:%u\n", path + test_tree_prefix, (unsigned) st->st_mode, (unsigned) st->st_uid,
                (unsigned) st->st_gid);
        if (S_ISREG(st->st_mode)) {
                char buf[4096];
                size_t n;
                FILE *f = fopen(path, "re");

                ck_assert_ptr_nonnull(f);
                while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
                        ck_assert_uint_eq(fwrite(buf, 1, n, test_tree_out), n);
                ck_assert_int_eq(fclose(f), 0);
                fputc('\n', test_tree_out);
        }
        return 0;
}

static inline char *test_tree_dump(const char *root) {
        char *buf = NULL;
        size_t n = 0;

        test_tree_prefix = strlen(root);
        test_tree_out = open_memstream(&buf, &n);
        ck_assert_ptr_nonnull(test_tree_out);
        ck_assert_int_eq(nftw(root, test_tree_entry, 16, FTW_PHYS), 0);
        ck_assert_int_eq(fclose(test_tree_out), 0);
        return buf;
}

static inline int test_remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void) st;
        (void) flag;
        (void) ftw;
        return remove(path) < 0 ? -1 : 0;
}

/* A fixture directory from a template "/tmp/NAME.XXXXXX"; test_fixture_remove() removes it with all
 * it holds and puts the XXXXXX back for the next test. */
static inline void test_fixture_make(char *tmpl) {
        ck_assert_ptr_nonnull(mkdtemp(tmpl));
}

static inline void test_fixture_remove(char *dir) {
        (void) nftw(dir, test_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
        memcpy(dir + strlen(dir) - 6, "XXXXXX", 6);
}

/* ROOT/PATH's text, or NULL when it cannot be read. */
static inline char *test_get_file(const char *root, const char *path) {
        char *text = NULL;
        size_t len;

        return read_file_at_root(root, path, true, READ_FILE_MAX, &text, &len) >= 0 ? text : NULL;
}

/* The finding of module with check and subject (NULL: any subject), or NULL. */
static inline const Finding *test_find(const FindingList *l, const char *module, const char *check,
                                       const char *subject) {
        for (size_t i = 0; i < l->n; i++)
                if (streq(l->items[i].module, module) && streq(l->items[i].check, check) &&
                    (!subject || streq(l->items[i].subject, subject)))
                        return &l->items[i];
        return NULL;
}

/* engine_probe() and engine_apply() of one module; out and ret are emptied first. */
static inline void test_probe_one(Context *c, const Module *m, FindingList *out) {
        finding_list_done(out);
        ck_assert_int_eq(engine_probe(c, &m, 1, out), 0);
}

static inline int test_apply_one(Context *c, const Module *m, ApplyResult *ret) {
        apply_result_done(ret);
        return engine_apply(c, &m, 1, ret);
}
