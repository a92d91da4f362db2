/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The pure parts of the sudo check: Defaults rootpw/targetpw/runaspw through sudoers includes, and
 * whether a shadow password field can be typed. */
#include <stdlib.h>
#include <string.h>

#include "acctdb.h"
#include "macro.h"
#include "strv.h"
#include "sys/sudoers.h"
#include "sys/sudo.h"
#include "test-main.h"

typedef struct FakeFile {
        const char *path;
        const char *text;
} FakeFile;

/* A tree of files given as a NULL-terminated table; a directory is every path's prefix. */
static int fake_read(const char *path, char **ret, void *userdata) {
        for (const FakeFile *f = userdata; f->path; f++)
                if (streq(f->path, path)) {
                        *ret = strdup(f->text);
                        return *ret ? 0 : -ENOMEM;
                }
        return -ENOENT;
}

static int fake_list(const char *dir, char ***ret, void *userdata) {
        _cleanup_strv_free_ char **l = NULL;
        size_t n = strlen(dir);
        bool found = false;

        /* listed backwards, so that the scanner has to sort */
        const FakeFile *f = userdata;
        size_t count = 0;

        while (f[count].path)
                count++;
        for (size_t i = count; i > 0; i--) {
                const char *p = f[i - 1].path;

                if (strncmp(p, dir, n) == 0 && p[n] == '/' && !strchr(p + n + 1, '/')) {
                        found = true;
                        if (strv_extend(&l, p + n + 1) < 0)
                                return -ENOMEM;
                }
        }
        if (!found)
                return -ENOENT;
        *ret = TAKE_PTR(l);
        return 0;
}

static unsigned scan(const FakeFile *files, char **where) {
        SudoersReader r = { .read = fake_read, .list = fake_list, .userdata = (void *) files, .hostname = "web1" };
        unsigned flags = 0;

        ck_assert_int_eq(sudoers_other_password(&r, "/etc/sudoers", &flags, where), 0);
        return flags;
}

static const struct {
        const char *name;
        FakeFile files[6];
        unsigned want;
        const char *where;
} cases[] = {
        { "none", { { "/etc/sudoers", "Defaults env_reset\nroot ALL=(ALL) ALL\n" } }, 0, NULL },
        { "plain rootpw",
          { { "/etc/sudoers", "Defaults env_reset\nDefaults\trootpw\n" } },
          SUDOERS_ROOTPW,
          "/etc/sudoers:2" },
        { "in a list, with spaces",
          { { "/etc/sudoers", "Defaults   env_reset , targetpw,timestamp_timeout=5\n" } },
          SUDOERS_TARGETPW,
          "/etc/sudoers:1" },
        { "undone by a later plain !rootpw", { { "/etc/sudoers", "Defaults rootpw\nDefaults !rootpw\n" } }, 0, NULL },
        { "set again after being undone",
          { { "/etc/sudoers", "Defaults rootpw\nDefaults !rootpw\nDefaults rootpw\n" } },
          SUDOERS_ROOTPW,
          "/etc/sudoers:3" },
        { "scoped: counts for everybody, and a plain ! does not undo it",
          { { "/etc/sudoers", "Defaults:admin, bob runaspw\nDefaults !runaspw\n" } },
          SUDOERS_RUNASPW,
          "/etc/sudoers:1" },
        { "scoped to a host, a runas list, a command",
          { { "/etc/sudoers", "Defaults@db1 env_reset\nDefaults>root rootpw\nDefaults!/bin/sh targetpw\n" } },
          SUDOERS_ROOTPW | SUDOERS_TARGETPW,
          "/etc/sudoers:2" },
        { "a scoped !rootpw does not count", { { "/etc/sudoers", "Defaults:admin !rootpw\n" } }, 0, NULL },
        { "comments, a name that only starts alike, a value that says rootpw",
          { { "/etc/sudoers",
              "# Defaults rootpw\nDefaults env_reset # rootpw\nDefaults rootpw_timeout\nDefaultsrootpw\n"
              "Defaults passprompt=\"rootpw, please\"\nDefaults lecture_file=\"/x#rootpw\"\n" } },
          0,
          NULL },
        { "continued line",
          { { "/etc/sudoers", "Defaults env_reset, \\\n    rootpw\nDefaults targetpw\n" } },
          SUDOERS_ROOTPW | SUDOERS_TARGETPW,
          "/etc/sudoers:1" },
        { "#include, @include, relative and %h",
          { { "/etc/sudoers", "#include /etc/sudo.d/a\n@include b.conf\n#include \"/etc/host-%h\"\n" },
            { "/etc/sudo.d/a", "Defaults env_reset\n" },
            { "/etc/b.conf", "Defaults env_keep+=HOME\n" },
            { "/etc/host-web1", "Defaults runaspw\n" } },
          SUDOERS_RUNASPW,
          "/etc/host-web1:1" },
        { "@includedir in name order, skipping names with a dot or a trailing ~",
          { { "/etc/sudoers", "@includedir /etc/sudoers.d\n" },
            { "/etc/sudoers.d/10-set", "Defaults rootpw\n" },
            { "/etc/sudoers.d/20-unset", "Defaults !rootpw\n" },
            { "/etc/sudoers.d/30.disabled", "Defaults rootpw\n" },
            { "/etc/sudoers.d/40~", "Defaults targetpw\n" } },
          0,
          NULL },
        { "#includedir: the later file wins",
          { { "/etc/sudoers", "#includedir /etc/sudoers.d\n" },
            { "/etc/sudoers.d/zz", "Defaults targetpw\n" },
            { "/etc/sudoers.d/aa", "Defaults !targetpw\n" } },
          SUDOERS_TARGETPW,
          "/etc/sudoers.d/zz:1" },
        { "an include loop stops",
          { { "/etc/sudoers", "Defaults rootpw\n@include /etc/sudoers\n" } },
          SUDOERS_ROOTPW,
          "/etc/sudoers:1" },
        { "a missing include is skipped",
          { { "/etc/sudoers", "@include /etc/nope\n@includedir /etc/nodir\nDefaults targetpw\n" } },
          SUDOERS_TARGETPW,
          "/etc/sudoers:3" },
};

START_TEST(test_other_password) {
        _cleanup_free_ char *where = NULL;
        unsigned got = scan(cases[_i].files, &where);

        ck_assert_msg(got == cases[_i].want, "%s: flags %u, want %u", cases[_i].name, got, cases[_i].want);
        ck_assert_msg(streq_ptr(where, cases[_i].where), "%s: where %s, want %s", cases[_i].name, strna(where),
                      strna(cases[_i].where));
}
END_TEST

START_TEST(test_includedir_names) {
        ck_assert(sudoers_includedir_name_ok("hardend"));
        ck_assert(sudoers_includedir_name_ok("90-cloud-init-users"));
        ck_assert(!sudoers_includedir_name_ok("hardend.dpkg-old"));
        ck_assert(!sudoers_includedir_name_ok(".#hardend.tmp"));
        ck_assert(!sudoers_includedir_name_ok("hardend~"));
        ck_assert(!sudoers_includedir_name_ok(""));
}
END_TEST

START_TEST(test_password_unusable) {
        const char *sha512 =
                "$6$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/jctKu9YterLp8wwnSq.qc.eoxqOmSuNp2xS0ktL3nh/";

        ck_assert_ptr_null(acct_password_unusable(sha512, -1, 20000));
        ck_assert_ptr_null(acct_password_unusable("$y$j9T$abc$def", -1, 20000));
        ck_assert_ptr_null(acct_password_unusable("abJnggxhB/yWI", -1, 20000)); /* DES */
        ck_assert_str_eq(acct_password_unusable("", -1, 20000), "has no password");
        ck_assert_str_eq(acct_password_unusable(NULL, -1, 20000), "has no password");
        ck_assert_str_eq(acct_password_unusable("!", -1, 20000), "is locked");
        ck_assert_str_eq(acct_password_unusable("!$6$saltsalt$abc", -1, 20000), "is locked");
        ck_assert_str_eq(acct_password_unusable("*", -1, 20000), "is locked"); /* as passwd -S says */
        ck_assert_str_eq(acct_password_unusable("x", -1, 20000), "has no password hash");
        ck_assert_str_eq(acct_password_unusable("$6", -1, 20000), "has no password hash");
        ck_assert_str_eq(acct_password_unusable("$6$", -1, 20000), "has no password hash");
        /* expired the day the field names, as pam_unix counts */
        ck_assert_str_eq(acct_password_unusable(sha512, 20000, 20000), "has expired");
        ck_assert_str_eq(acct_password_unusable(sha512, 19000, 20000), "has expired");
        ck_assert_ptr_null(acct_password_unusable(sha512, 20001, 20000));
}
END_TEST

START_TEST(test_shadow_expire_parsed) {
        _cleanup_(acct_db_done) AcctDb db = {};

        ck_assert_int_eq(acct_parse_shadow("a:$6$s$h:19800:0:99999:7::20100:\nb:!:19800:0:99999:7:::\n", &db, NULL),
                         0);
        ck_assert_int_eq(acct_db_shadow(&db, "a")->expire, 20100);
        ck_assert_int_eq(acct_db_shadow(&db, "b")->expire, -1);
}
END_TEST

START_TEST(test_verdict_names) {
        ck_assert_str_eq(sudo_root_to_string(SUDO_ROOT_NOPASSWD), "nopasswd");
        ck_assert_str_eq(sudo_root_to_string(SUDO_ROOT_PASSWORD), "password");
        ck_assert_str_eq(sudo_root_to_string(SUDO_ROOT_NO), "no");
        ck_assert_ptr_null(sudo_root_to_string(_SUDO_ROOT_MAX));
        ck_assert_ptr_null(sudo_root_to_string(_SUDO_ROOT_INVALID));
}
END_TEST

/* Arguments are checked before anything runs. */
START_TEST(test_bad_arguments) {
        SudoRoot v = SUDO_ROOT_NOPASSWD;
        char *why = (char *) "untouched";
        const SudoOverlay dotdot = { "/etc/sudoers.d/../shadow", "x", 1 }, relative = { "etc/shadow", "x", 1 };

        ck_assert_int_eq(sudo_root_check("/", "", NULL, 0, &v, &why), -EINVAL);
        ck_assert_int_eq(sudo_root_check("/", "a:b", NULL, 0, &v, &why), -EINVAL);
        ck_assert_int_eq(sudo_root_check("/", "a\"b", NULL, 0, &v, &why), -EINVAL);
        ck_assert_int_eq(sudo_root_check("/", "-n", NULL, 0, &v, &why), -EINVAL);
        ck_assert_int_eq(sudo_root_check("relative/root", "admin", NULL, 0, &v, &why), -EINVAL);
        ck_assert_int_eq(sudo_root_check("/", "admin", &dotdot, 1, &v, &why), -EINVAL);
        ck_assert_int_eq(sudo_root_check("/", "admin", &relative, 1, &v, &why), -EINVAL);
        ck_assert_int_eq(sudo_root_check("/nonexistent-root", "admin", NULL, 0, &v, &why), -ENOENT);
        ck_assert_int_eq(v, SUDO_ROOT_NOPASSWD);
        ck_assert_str_eq(why, "untouched");
}
END_TEST

int main(void) {
        Suite *s = suite_create("sudoers");
        TCase *tc = tcase_create("sudoers");

        tcase_add_loop_test(tc, test_other_password, 0, ELEMENTSOF(cases));
        tcase_add_test(tc, test_includedir_names);
        tcase_add_test(tc, test_password_unusable);
        tcase_add_test(tc, test_shadow_expire_parsed);
        tcase_add_test(tc, test_verdict_names);
        tcase_add_test(tc, test_bad_arguments);
        suite_add_tcase(s, tc);
        return test_run_suite(s);
}
