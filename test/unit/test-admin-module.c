/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The admin module's probe, preflight and apply on an image tree on disk, with fake account tools
 * (fake-accounts.h) in the Context: nothing is spawned, the fake edits the tree's account files. */
#include <check.h>

#include "test-main.h"
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin.h"
#include "engine.h"
#include "fake-accounts.h"
#include "finding.h"
#include "strv.h"
#include "sys/fileio.h"

#define KEY     "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKZk1I0LXqyiBU5rraL0yhku9TRbuI+mLZOYVK9nYe2c admin@test"
#define KEY_SUB "admin ssh-ed25519 ...LZOYVK9nYe2c"
#define HASH    "$6$abcdefgh$0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ./0123456789abcdefghijkl"

#define ADMIN_POLICY                                                                                       \
        "version = 1;\nadmin = {\n  user = \"admin\";\n  group = \"wheel\";\n  authorized_keys = [ \"" KEY \
        "\" ];\n  lock_root_password = true;\n%s};\n"

#define ROOT_SHADOW "root:" HASH ":19800:0:99999:7:::\n"
#define SUDOERS     "Defaults env_reset\nroot ALL=(ALL:ALL) ALL\n"

static char fixture[] = "/tmp/test-admin-module.XXXXXX";

/* A fresh image: root with a password, no admin, no wheel, a sudoers without @includedir. */
static void fixture_setup(void) {
        test_fixture_make(fixture);
        test_put_file(fixture, "/etc/passwd",
                      "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/usr/sbin:/usr/sbin/nologin\n", 0644);
        test_put_file(fixture, "/etc/group", "root:x:0:\ndaemon:x:1:\n", 0644);
        test_put_file(fixture, "/etc/shadow", ROOT_SHADOW "daemon:*:19800:0:99999:7:::\n", 0640);
        test_put_file(fixture, "/etc/sudoers", SUDOERS, 0440);
        test_put_file(fixture, "/bin/bash", "#!/bin/true\n", 0755);
}

static void fixture_teardown(void) {
        test_fixture_remove(fixture);
}

static void assert_calls(const FakeAccounts *f, const char *const *want) {
        _cleanup_free_ char *have = NULL, *wanted = NULL;

        ck_assert_int_eq(strv_join(f->calls ?: (char *[]){ NULL }, "\n", &have), 0);
        ck_assert_int_eq(strv_join((char **) want, "\n", &wanted), 0);
        ck_assert_str_eq(have, wanted);
}

static void assert_mode(const char *path, mode_t mode, uid_t uid, gid_t gid) {
        struct stat st;

        ck_assert_int_eq(lstat_at_root(fixture, path, &st), 0);
        ck_assert_msg((st.st_mode & 07777) == mode, "%s: mode %04o, want %04o", path, st.st_mode & 07777, mode);
        ck_assert_uint_eq(st.st_uid, uid);
        ck_assert_uint_eq(st.st_gid, gid);
}

static void assert_drift(const FindingList *l, const char *check, const char *subject, const char *actual) {
        const Finding *f = test_find(l, "admin", check, subject);

        ck_assert_msg(f, "no %s finding for %s", check, subject);
        ck_assert_int_eq(f->kind, FINDING_DRIFT);
        ck_assert(f->fixable);
        if (actual)
                ck_assert_str_eq(f->actual, actual);
}

START_TEST(test_probe_fresh) {
        _cleanup_policy_free_ Policy *p = test_policy_loadf(ADMIN_POLICY, "");
        _cleanup_(fake_accounts_done) FakeAccounts f = {};
        _cleanup_(context_done) Context c = { .policy = p, .root = fixture, .account_ops = &f.ops };
        _cleanup_(finding_list_done) FindingList l = {};

        fake_accounts_init(&f, fixture, test_uid(), test_uid());
        test_probe_one(&c, &admin_module, &l);
        assert_drift(&l, "group-missing", "wheel", "missing");
        assert_drift(&l, "user-missing", "admin", "missing");
        assert_drift(&l, "membership", "admin in wheel", "not a member");
        assert_drift(&l, "authorized-key", KEY_SUB, "no such user");
        assert_drift(&l, "sudoers-includedir", ADMIN_SUDOERS, "missing");
        assert_drift(&l, "sudoers-dropin", ADMIN_SUDOERS_DROPIN, "missing");
        assert_drift(&l, "root-password", "root", "unlocked");
        ck_assert_uint_eq(finding_list_count(&l, "admin", FINDING_DRIFT), 7);
        ck_assert_uint_eq(finding_list_count(&l, "admin", FINDING_UNKNOWN), 0);
        ck_assert_int_eq(engine_check_status(&l), EXIT_DRIFT);
        /* the probe runs no tool */
        ck_assert_ptr_null(f.calls);
        ck_assert_uint_eq(f.n_available, 0);
}
END_TEST

START_TEST(test_apply_fresh) {
        _cleanup_policy_free_ Policy *p = test_policy_loadf(ADMIN_POLICY, "");
        _cleanup_(fake_accounts_done) FakeAccounts f = {};
        _cleanup_(context_done) Context c = { .policy = p, .root = fixture, .account_ops = &f.ops };
        _cleanup_(finding_list_done) FindingList l = {};
        _cleanup_(apply_result_done) ApplyResult a = {};
        _cleanup_free_ char *want_dropin = NULL, *text = NULL, *after_first = NULL, *after_second = NULL;
        _cleanup_strv_free_ char **calls = NULL;
        unsigned asked;
        uid_t me = test_uid();

        fake_accounts_init(&f, fixture, me, me);
        ck_assert_int_eq(admin_sudoers_text(&p->admin, &want_dropin), 0);

        ck_assert_int_eq(test_apply_one(&c, &admin_module, &a), 0);
        ck_assert_msg(a.status == EXIT_COMPLIANT, "status %d: %s", a.status, strna(a.modules[0].outcome.error));
        ck_assert(!a.refused);
        ck_assert(a.changed);
        assert_calls(&f, (const char *const[]){ "visudo -c -f (copy)", "visudo -c -f (copy)", "groupadd wheel",
                                                "useradd -m -d /home/admin -s /bin/bash -G wheel admin",
                                                "usermod -L root", NULL });
        ck_assert_uint_eq(strv_length(f.visudo_texts), 2);
        ck_assert_str_eq(f.visudo_texts[0], want_dropin);
        ck_assert_str_eq(f.visudo_texts[1], SUDOERS "@includedir /etc/sudoers.d\n");
        ck_assert(strv_contains(a.modules[0].outcome.changes, "created group wheel"));
        ck_assert(strv_contains(a.modules[0].outcome.changes, "created user admin (home /home/admin, group wheel)"));
        ck_assert(strv_contains(a.modules[0].outcome.changes, "wrote " ADMIN_SUDOERS_DROPIN));
        ck_assert(strv_contains(a.modules[0].outcome.changes, "locked root's password"));
        ck_assert_uint_eq(finding_list_count(&a.after, "admin", FINDING_DRIFT), 0);

        /* the files as the fake tools and the module left them */
        ck_assert_ptr_nonnull(text = test_get_file(fixture, "/etc/group"));
        ck_assert_msg(strstr(text, "\nwheel:x:1000:admin\n"), "%s", text);
        text = mfree(text);
        ck_assert_ptr_nonnull(text = test_get_file(fixture, "/etc/shadow"));
        ck_assert_msg(startswith(text, "root:!" HASH ":"), "%s", text);
        text = mfree(text);
        assert_mode("/home/admin/.ssh", 0700, me, me);
        assert_mode("/home/admin/.ssh/authorized_keys", 0600, me, me);
        ck_assert_ptr_nonnull(text = test_get_file(fixture, "/home/admin/.ssh/authorized_keys"));
        ck_assert_str_eq(text, KEY "\n");
        text = mfree(text);
        assert_mode(ADMIN_SUDOERS_DROPIN, 0440, 0, 0);
        ck_assert_ptr_nonnull(text = test_get_file(fixture, ADMIN_SUDOERS_DROPIN));
        ck_assert_str_eq(text, want_dropin);
        text = mfree(text);
        assert_mode(ADMIN_SUDOERS, 0440, 0, 0);
        ck_assert_ptr_nonnull(text = test_get_file(fixture, ADMIN_SUDOERS));
        ck_assert_str_eq(text, SUDOERS "@includedir /etc/sudoers.d\n");
        text = mfree(text);

        /* compliant now; a second apply runs nothing and changes nothing */
        test_probe_one(&c, &admin_module, &l);
        ck_assert_uint_eq(finding_list_count(&l, "admin", FINDING_DRIFT), 0);
        ck_assert_uint_eq(finding_list_count(&l, "admin", FINDING_UNKNOWN), 0);
        ck_assert_int_eq(engine_check_status(&l), EXIT_COMPLIANT);
        calls = strv_copy(f.calls);
        ck_assert_ptr_nonnull(calls);
        asked = f.n_available;
        after_first = test_tree_dump(fixture);
        ck_assert_int_eq(test_apply_one(&c, &admin_module, &a), 0);
        ck_assert_int_eq(a.status, EXIT_COMPLIANT);
        ck_assert(!a.changed);
        assert_calls(&f, (const char *const *) calls);
        ck_assert_uint_eq(f.n_available, asked);
        after_second = test_tree_dump(fixture);
        ck_assert_str_eq(after_second, after_first);
}
END_TEST

START_TEST(test_useradd_fails) {
        _cleanup_policy_free_ Policy *p = test_policy_loadf(ADMIN_POLICY, "");
        _cleanup_(fake_accounts_done) FakeAccounts f = {};
        _cleanup_(context_done) Context c = { .policy = p, .root = fixture, .account_ops = &f.ops };
        _cleanup_(apply_result_done) ApplyResult a = {};
        _cleanup_free_ char *sudoers = NULL, *shadow = NULL, *passwd = NULL;
        struct stat st;

        fake_accounts_init(&f, fixture, test_uid(), test_uid());
        ck_assert_int_eq(fake_accounts_fail(&f, FAKE_ACCT_USERADD, -EIO,
                                            "/usr/sbin/useradd exited with status 10: useradd: cannot lock "
                                            "/etc/group; try again later."),
                         0);
        ck_assert_int_eq(test_apply_one(&c, &admin_module, &a), 0);
        ck_assert(!a.refused);
        ck_assert_int_eq(a.status, EXIT_FAILED);
        ck_assert_int_eq(a.modules[0].r, -EIO);
        ck_assert_str_eq(strna(a.modules[0].outcome.error),
                         "/usr/sbin/useradd exited with status 10: useradd: cannot lock /etc/group; try again later.");
        /* nothing after the failed call: no sudoers change, root not locked, no home */
        assert_calls(&f, (const char *const[]){ "visudo -c -f (copy)", "visudo -c -f (copy)", "groupadd wheel",
                                                "useradd -m -d /home/admin -s /bin/bash -G wheel admin", NULL });
        ck_assert_int_eq(lstat_at_root(fixture, ADMIN_SUDOERS_DROPIN, &st), -ENOENT);
        ck_assert_ptr_nonnull(sudoers = test_get_file(fixture, ADMIN_SUDOERS));
        ck_assert_str_eq(sudoers, SUDOERS);
        ck_assert_ptr_nonnull(shadow = test_get_file(fixture, "/etc/shadow"));
        ck_assert(startswith(shadow, ROOT_SHADOW));
        ck_assert_ptr_nonnull(passwd = test_get_file(fixture, "/etc/passwd"));
        ck_assert_ptr_null(strstr(passwd, "admin"));
        ck_assert_int_eq(lstat_at_root(fixture, "/home/admin", &st), -ENOENT);
}
END_TEST

static const struct {
        int error;
        const char *message;
        const char *outcome;
} visudo_cases[] = {
        { -EIO, "/usr/sbin/visudo exited with status 1: >>> /tmp/hardend-sudoers.x: syntax error near line 2 <<<",
          "visudo rejects the new " ADMIN_SUDOERS_DROPIN "; nothing was changed: /usr/sbin/visudo exited with status "
          "1: >>> /tmp/hardend-sudoers.x: syntax error near line 2 <<<" },
        { -ENOENT, "Failed to run /usr/sbin/visudo: No such file or directory",
          "Cannot check the new " ADMIN_SUDOERS_DROPIN " with visudo; nothing was changed: Failed to run "
          "/usr/sbin/visudo: No such file or directory" },
};

START_TEST(test_visudo_fails) {
        _cleanup_policy_free_ Policy *p = test_policy_loadf(ADMIN_POLICY, "");
        _cleanup_(fake_accounts_done) FakeAccounts f = {};
        _cleanup_(context_done) Context c = { .policy = p, .root = fixture, .account_ops = &f.ops };
        _cleanup_(apply_result_done) ApplyResult a = {};
        _cleanup_free_ char *before = test_tree_dump(fixture), *after = NULL;

        fake_accounts_init(&f, fixture, test_uid(), test_uid());
        ck_assert_int_eq(
                fake_accounts_fail(&f, FAKE_ACCT_VISUDO_CHECK, visudo_cases[_i].error, visudo_cases[_i].message), 0);
        ck_assert_int_eq(test_apply_one(&c, &admin_module, &a), 0);
        ck_assert(a.refused);
        ck_assert(!a.changed);
        ck_assert_int_eq(a.status, EXIT_FAILED);
        ck_assert_int_eq(a.modules[0].r, visudo_cases[_i].error);
        ck_assert_str_eq(strna(a.modules[0].outcome.error), visudo_cases[_i].outcome);
        ck_assert_ptr_null(a.modules[0].outcome.changes);
        assert_calls(&f, (const char *const[]){ "visudo -c -f (copy)", NULL });
        after = test_tree_dump(fixture);
        ck_assert_str_eq(after, before);
}
END_TEST

START_TEST(test_tool_missing) {
        _cleanup_policy_free_ Policy *p = test_policy_loadf(ADMIN_POLICY, "");
        _cleanup_(fake_accounts_done) FakeAccounts f = {};
        _cleanup_(context_done) Context c = { .policy = p, .root = fixture, .account_ops = &f.ops };
        _cleanup_(apply_result_done) ApplyResult a = {};
        _cleanup_free_ char *before = test_tree_dump(fixture), *after = NULL;

        fake_accounts_init(&f, fixture, test_uid(), test_uid());
        f.missing[ACCT_TOOL_USERADD] = true;
        ck_assert_int_eq(test_apply_one(&c, &admin_module, &a), 0);
        ck_assert(a.refused);
        ck_assert_int_eq(a.status, EXIT_FAILED);
        ck_assert_int_eq(a.modules[0].r, -ENOENT);
        ck_assert_str_eq(strna(a.modules[0].outcome.error),
                         "/usr/sbin/useradd is needed to create the admin user but cannot be run: No such file or "
                         "directory");
        ck_assert_ptr_null(f.calls);
        ck_assert_uint_gt(f.n_available, 0);
        after = test_tree_dump(fixture);
        ck_assert_str_eq(after, before);
}
END_TEST

/* cloud-init's default user in the fixture: admin with uid and gid ours, its own group and
 * more_groups, root's shadow field root_pw, a home it owns. Returns the passwd text. */
static char *put_existing_admin(const char *more_groups, const char *root_pw) {
        _cleanup_free_ char *group = NULL, *shadow = NULL, *home = NULL;
        unsigned me = (unsigned) test_uid();
        char *passwd = NULL;

        ck_assert_int_ge(
                asprintf(&passwd, "root:x:0:0:root:/root:/bin/bash\nadmin:x:%u:%u::/home/admin:/bin/sh\n", me, me), 0);
        ck_assert_int_ge(asprintf(&group, "root:x:0:\nadmin:x:%u:\n%s", me, more_groups), 0);
        ck_assert_int_ge(asprintf(&shadow, "root:%s:19800:0:99999:7:::\nadmin:!:19800:0:99999:7:::\n", root_pw), 0);
        test_put_file(fixture, "/etc/passwd", passwd, 0644);
        test_put_file(fixture, "/etc/group", group, 0644);
        test_put_file(fixture, "/etc/shadow", shadow, 0640);
        test_put_file(fixture, "/home/admin/.profile", "", 0644);
        ck_assert_int_ge(asprintf(&home, "%s/home/admin", fixture), 0);
        ck_assert_int_eq(chown(home, me, me), 0);
        return passwd;
}

/* An admin that exists already (with a password to set) is added to the group, not re-created. */
START_TEST(test_user_exists) {
        _cleanup_policy_free_ Policy *p =
                test_policy_loadf(ADMIN_POLICY, "  sudo = \"password\";\n  password_hash = \"" HASH "\";\n");
        _cleanup_(fake_accounts_done) FakeAccounts f = {};
        _cleanup_(context_done) Context c = { .policy = p, .root = fixture, .account_ops = &f.ops };
        _cleanup_(finding_list_done) FindingList l = {};
        _cleanup_(apply_result_done) ApplyResult a = {};
        _cleanup_free_ char *passwd = NULL, *passwd_before = NULL, *group = NULL, *shadow = NULL;
        unsigned me = (unsigned) test_uid();

        passwd = put_existing_admin("wheel:x:1500:other\n", "!*");
        fake_accounts_init(&f, fixture, me + 1, me + 1);

        test_probe_one(&c, &admin_module, &l);
        ck_assert_ptr_null(test_find(&l, "admin", "user-missing", NULL));
        ck_assert_ptr_null(test_find(&l, "admin", "group-missing", NULL));
        ck_assert_ptr_null(test_find(&l, "admin", "root-password", NULL));
        assert_drift(&l, "membership", "admin in wheel", "not a member");
        assert_drift(&l, "password", "admin", "a different password");
        assert_drift(&l, "ssh-dir", "/home/admin/.ssh", "missing");

        ck_assert_int_eq(test_apply_one(&c, &admin_module, &a), 0);
        ck_assert_msg(a.status == EXIT_COMPLIANT, "status %d: %s", a.status, strna(a.modules[0].outcome.error));
        assert_calls(&f, (const char *const[]){ "visudo -c -f (copy)", "visudo -c -f (copy)",
                                                "usermod -a -G wheel admin", "chpasswd -e (admin)", NULL });
        passwd_before = TAKE_PTR(passwd);
        ck_assert_ptr_nonnull(passwd = test_get_file(fixture, "/etc/passwd"));
        ck_assert_str_eq(passwd, passwd_before);
        group = mfree(group);
        ck_assert_ptr_nonnull(group = test_get_file(fixture, "/etc/group"));
        ck_assert_msg(strstr(group, "\nwheel:x:1500:other,admin\n"), "%s", group);
        ck_assert_ptr_nonnull(shadow = test_get_file(fixture, "/etc/shadow"));
        ck_assert_msg(strstr(shadow, "\nadmin:" HASH ":19800:"), "%s", shadow);
        assert_mode("/home/admin/.ssh", 0700, me, me);
        assert_mode("/home/admin/.ssh/authorized_keys", 0600, me, me);

        test_probe_one(&c, &admin_module, &l);
        ck_assert_uint_eq(finding_list_count(&l, "admin", FINDING_DRIFT), 0);
}
END_TEST

/* cloud-init's default user, no admin group yet, root's password "*" (as Debian ships it): the
 * group is created with the user listed (groupadd -U, no usermod), and root is left alone. A
 * groupadd that leaves gshadow without the member (Debian 12) is followed by usermod -a -G. */
static const struct {
        bool gshadow, skips_gshadow;
} group_cases[] = { { false, false }, { true, false }, { true, true } };

START_TEST(test_group_missing_user_exists) {
        _cleanup_policy_free_ Policy *p = test_policy_loadf(ADMIN_POLICY, "");
        _cleanup_(fake_accounts_done) FakeAccounts f = {};
        _cleanup_(context_done) Context c = { .policy = p, .root = fixture, .account_ops = &f.ops };
        _cleanup_(finding_list_done) FindingList l = {};
        _cleanup_(apply_result_done) ApplyResult a = {};
        _cleanup_free_ char *passwd = NULL, *group = NULL, *shadow = NULL, *gshadow = NULL;
        unsigned me = (unsigned) test_uid();

        passwd = put_existing_admin("", "*");
        if (group_cases[_i].gshadow)
                test_put_file(fixture, "/etc/gshadow", "root:*::\nadmin:!::\n", 0640);
        fake_accounts_init(&f, fixture, me + 1, me + 1);
        f.groupadd_u_skips_gshadow = group_cases[_i].skips_gshadow;

        test_probe_one(&c, &admin_module, &l);
        assert_drift(&l, "group-missing", "wheel", "missing");
        assert_drift(&l, "membership", "admin in wheel", "not a member");
        ck_assert_ptr_null(test_find(&l, "admin", "root-password", NULL));

        ck_assert_int_eq(test_apply_one(&c, &admin_module, &a), 0);
        ck_assert_msg(a.status == EXIT_COMPLIANT, "status %d: %s", a.status, strna(a.modules[0].outcome.error));
        if (group_cases[_i].skips_gshadow)
                assert_calls(&f,
                             (const char *const[]){ "visudo -c -f (copy)", "visudo -c -f (copy)",
                                                    "groupadd -U admin wheel", "usermod -a -G wheel admin", NULL });
        else
                assert_calls(&f, (const char *const[]){ "visudo -c -f (copy)", "visudo -c -f (copy)",
                                                        "groupadd -U admin wheel", NULL });
        ck_assert(strv_contains(a.modules[0].outcome.changes, "created group wheel"));
        ck_assert(strv_contains(a.modules[0].outcome.changes, "added admin to group wheel"));
        ck_assert(!strv_contains(a.modules[0].outcome.changes, "locked root's password"));
        group = mfree(group);
        ck_assert_ptr_nonnull(group = test_get_file(fixture, "/etc/group"));
        ck_assert_msg(strstr(group, "\nwheel:x:") && endswith(group, ":admin\n"), "%s", group);
        if (group_cases[_i].gshadow) {
                ck_assert_ptr_nonnull(gshadow = test_get_file(fixture, "/etc/gshadow"));
                ck_assert_msg(strstr(gshadow, "\nwheel:!::admin\n"), "%s", gshadow);
        }
        ck_assert_ptr_nonnull(shadow = test_get_file(fixture, "/etc/shadow"));
        ck_assert_msg(startswith(shadow, "root:*:19800:"), "%s", shadow);

        test_probe_one(&c, &admin_module, &l);
        ck_assert_uint_eq(finding_list_count(&l, "admin", FINDING_DRIFT), 0);
}
END_TEST

int main(void) {
        Suite *s = suite_create("admin-module");
        TCase *tc = tcase_create("admin-module");

        tcase_set_timeout(tc, 60);
        tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
        tcase_add_test(tc, test_probe_fresh);
        tcase_add_test(tc, test_apply_fresh);
        tcase_add_test(tc, test_useradd_fails);
        tcase_add_loop_test(tc, test_visudo_fails, 0, ELEMENTSOF(visudo_cases));
        tcase_add_test(tc, test_tool_missing);
        tcase_add_test(tc, test_user_exists);
        tcase_add_loop_test(tc, test_group_missing_user_exists, 0, ELEMENTSOF(group_cases));
        suite_add_tcase(s, tc);
        return test_run_suite(s);
}
