/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The ssh module's probe, preflight and apply on an image tree on disk, with a fake sshd, ssh -Q
 * and sudo (fake-sshd.h) in the Context: nothing is spawned. */
#include <check.h>

#include "test-main.h"
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"
#include "fake-sshd.h"
#include "finding.h"
#include "ssh-config.h"
#include "ssh-plan.h"
#include "ssh.h"
#include "strv.h"
#include "sys/fileio.h"

#define KEY "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINfFqwLLjpaMq5JK5Qx573LPfZxk0avOrwDBeYD9H2wm test@example"

#define SSH_POLICY                                                       \
        "version = 1;\nfirewall = { enable = false; };\nssh = { %s };\n" \
        "admin = { enable = false; };\n"

#define MAIN_CONFIG "# distribution defaults\nUsePAM yes\nSubsystem sftp /usr/lib/openssh/sftp-server\n"
#define MAIN_MATCH  MAIN_CONFIG "Match User good\n\tPasswordAuthentication yes\n"

/* What the fake ssh -Q supports, per class. */
static const struct {
        const char *what, *list;
} queries[] = {
        { "kex", "curve25519-sha256 diffie-hellman-group14-sha1 ecdh-sha2-nistp256" },
        { "cipher", "aes256-gcm@openssh.com chacha20-poly1305@openssh.com 3des-cbc aes128-ctr" },
        { "mac", "hmac-sha2-512-etm@openssh.com hmac-sha1" },
        { "key-sig", "ssh-ed25519 ecdsa-sha2-nistp256 rsa-sha2-512" },
};

static char fixture[] = "/tmp/test-ssh-module.XXXXXX";

static void put(const char *path, const char *text, mode_t mode) {
        test_put_file(fixture, path, text, mode);
}

static char *get(const char *path) {
        return test_get_file(fixture, path);
}

/* An image tree: sshd_config without our Include, no drop-in of ours, one user with a key. */
static void fixture_setup(void) {
        _cleanup_free_ char *passwd = NULL, *group = NULL;
        unsigned me = (unsigned) test_uid();

        test_fixture_make(fixture);
        ck_assert_int_ge(asprintf(&passwd,
                                  "root:x:0:0:root:/root:/bin/bash\n"
                                  "good:x:%u:%u::/home/good:/bin/bash\n"
                                  "daemon:x:1:1::/usr/sbin:/usr/sbin/nologin\n",
                                  me, me),
                         0);
        ck_assert_int_ge(asprintf(&group, "root:x:0:\ngood:x:%u:\nsudo:x:27:good\n", me), 0);
        put("/etc/passwd", passwd, 0644);
        put("/etc/group", group, 0644);
        put("/etc/shadow", "root:*:19800:0:99999:7:::\ngood:*:19800:0:99999:7:::\ndaemon:*:19800:0:99999:7:::\n",
            0600);
        put("/etc/shells", "/bin/sh\n/bin/bash\n", 0644);
        put("/bin/bash", "#!/bin/true\n", 0755);
        put("/home/good/.ssh/authorized_keys", KEY "\n", 0600);
        put(SSH_MAIN_CONFIG, MAIN_CONFIG, 0644);
        put(SSH_DROPIN_DIR "/50-local.conf", "ClientAliveInterval 120\n", 0644);
}

static void fixture_teardown(void) {
        test_fixture_remove(fixture);
}

static char *tree_dump(void) {
        return test_tree_dump(fixture);
}

static void fake_setup(FakeSshd *f) {
        fake_sshd_init(f);
        for (size_t i = 0; i < ELEMENTSOF(queries); i++)
                ck_assert_int_eq(fake_sshd_set_query(f, queries[i].what, queries[i].list), 0);
}

/* The drop-in the module should write for policy p, with the algorithms the fake ssh -Q offers. */
static char *expected_dropin(const Policy *p) {
        _cleanup_(ssh_settings_done) SshSettings s = {};
        SshAlgorithms a = {};
        char *text = NULL;

        for (SshAlgoClass c = 0; c < _SSH_ALGO_MAX; c++) {
                _cleanup_strv_free_ char **l = NULL;

                for (size_t i = 0; i < ELEMENTSOF(queries); i++)
                        if (streq(queries[i].what, ssh_algo_class_query(c)))
                                ck_assert_int_eq(strv_split(queries[i].list, " ", &l), 0);
                ck_assert_int_eq(ssh_algorithms_pick(c, l, &a.list[c]), 0);
        }
        ck_assert_int_eq(ssh_settings_from_policy(&p->ssh, &a, &s), 0);
        ck_assert_int_eq(ssh_render_dropin(&s, &text), 0);
        ssh_algorithms_done(&a);
        return text;
}

/* sshd -T as it would answer once the drop-in is read: its global lines (before "Match all"), plus
 * extra lines, which replace the drop-in's for the same keyword. */
static char *view_of(const char *dropin, const char *extra) {
        _cleanup_strv_free_ char **lines = NULL, **extra_lines = NULL;
        _cleanup_free_ char *joined = NULL;
        char *out = NULL;

        ck_assert_int_eq(strv_split(dropin, "\n", &lines), 0);
        ck_assert_int_eq(strv_split(extra, "\n", &extra_lines), 0);
        STRV_FOREACH (line, lines) {
                _cleanup_free_ char *kw = NULL;
                bool replaced = false;

                if (startswith(*line, "Match"))
                        break;
                if (**line == '#' || **line == 0)
                        continue;
                kw = strndup(*line, strcspn(*line, " "));
                ck_assert_ptr_nonnull(kw);
                STRV_FOREACH (e, extra_lines)
                        replaced = replaced || (strncasecmp(*e, kw, strlen(kw)) == 0 && (*e)[strlen(kw)] == ' ');
                if (!replaced)
                        ck_assert_int_eq(strv_extend(&extra_lines, *line), 0);
        }
        ck_assert_int_eq(strv_join(extra_lines, "\n", &joined), 0);
        ck_assert_int_ge(asprintf(&out, "%s\n", joined), 0);
        return out;
}

#define VIEW_EXTRA "usepam yes\nstrictmodes no\nauthorizedkeysfile .ssh/authorized_keys\npidfile /run/sshd.pid"

/* The fake sshd answers every sshd -T with the effective view of policy p (plus extra). */
static void fake_view(FakeSshd *f, const char *user, const Policy *p, const char *extra) {
        _cleanup_free_ char *dropin = expected_dropin(p), *view = NULL, *all_extra = NULL;

        ck_assert_int_ge(asprintf(&all_extra, VIEW_EXTRA "%s%s", extra ? "\n" : "", strempty(extra)), 0);
        view = view_of(dropin, all_extra);
        ck_assert_int_eq(fake_sshd_set_view(f, user, view), 0);
}

static const Finding *find(const FindingList *l, const char *check, const char *subject) {
        return test_find(l, "ssh", check, subject);
}

static void probe(Context *c, FindingList *out) {
        test_probe_one(c, &ssh_module, out);
}

static int apply(Context *c, ApplyResult *ret) {
        return test_apply_one(c, &ssh_module, ret);
}

START_TEST(test_probe_apply) {
        _cleanup_policy_free_ Policy *p = test_policy_loadf(SSH_POLICY, "");
        _cleanup_(fake_sshd_done) FakeSshd f = {};
        _cleanup_(context_done) Context c = { .policy = p, .root = fixture, .sshd_ops = &f.ops };
        _cleanup_(finding_list_done) FindingList l = {};
        _cleanup_(apply_result_done) ApplyResult a = {};
        _cleanup_free_ char *want = expected_dropin(p), *dropin = NULL, *main_text = NULL;
        const Finding *d, *i;

        fake_setup(&f);
        fake_view(&f, NULL, p, NULL);
        ck_assert_int_eq(fake_sshd_set_sudo(&f, "good", SUDO_ROOT_NOPASSWD, NULL), 0);

        probe(&c, &l);
        ck_assert_ptr_nonnull(d = find(&l, "dropin", SSH_DROPIN_PATH));
        ck_assert_int_eq(d->kind, FINDING_DRIFT);
        ck_assert(d->fixable);
        ck_assert_str_eq(d->actual, "missing");
        ck_assert_ptr_nonnull(i = find(&l, "include", SSH_MAIN_CONFIG));
        ck_assert_int_eq(i->kind, FINDING_DRIFT);
        ck_assert(i->fixable);
        ck_assert_uint_eq(finding_list_count(&l, "ssh", FINDING_UNKNOWN), 0);
        ck_assert_uint_gt(f.n_queried, 0);
        ck_assert_uint_eq(f.n_tested, 0); /* the probe never checks a candidate */

        ck_assert_int_eq(apply(&c, &a), 0);
        ck_assert_msg(a.status == EXIT_COMPLIANT, "status %d: %s", a.status, strna(a.modules[0].outcome.error));
        ck_assert(!a.refused);
        ck_assert(a.changed);
        ck_assert_uint_eq(f.n_tested, 1);
        ck_assert_uint_gt(f.n_sudo_checked, 0);
        ck_assert_uint_eq(f.n_reloaded, 0); /* an image tree: no sshd runs */
        ck_assert(strv_contains(a.modules[0].outcome.changes, "wrote " SSH_DROPIN_PATH));
        ck_assert(strv_contains(a.modules[0].outcome.changes,
                                "added \"" SSH_INCLUDE_LINE "\" at the top of " SSH_MAIN_CONFIG));

        ck_assert_ptr_nonnull(dropin = get(SSH_DROPIN_PATH));
        ck_assert_str_eq(dropin, want);
        ck_assert_ptr_nonnull(main_text = get(SSH_MAIN_CONFIG));
        ck_assert_int_eq(ssh_config_includes_dropin(main_text, strlen(main_text)), 1);
        ck_assert_msg(startswith(main_text, SSH_INCLUDE_LINE "\n") || strstr(main_text, "\n" SSH_INCLUDE_LINE "\n"),
                      "%s", main_text);
        ck_assert_str_eq(strstr(main_text, SSH_INCLUDE_LINE "\n") + strlen(SSH_INCLUDE_LINE "\n"), MAIN_CONFIG);
        ck_assert_uint_eq(finding_list_count_fixable(&a.after, "ssh"), 0);

        /* the next probe is compliant */
        probe(&c, &l);
        ck_assert_uint_eq(finding_list_count(&l, "ssh", FINDING_DRIFT), 0);
        ck_assert_uint_eq(finding_list_count(&l, "ssh", FINDING_UNKNOWN), 0);
        ck_assert_int_eq(engine_check_status(&l), EXIT_COMPLIANT);
}
END_TEST

START_TEST(test_sshd_t_rejects) {
        _cleanup_policy_free_ Policy *p = test_policy_loadf(SSH_POLICY, "");
        _cleanup_(fake_sshd_done) FakeSshd f = {};
        _cleanup_(context_done) Context c = { .policy = p, .root = fixture, .sshd_ops = &f.ops };
        _cleanup_(apply_result_done) ApplyResult a = {};
        _cleanup_free_ char *before = tree_dump(), *after = NULL;
        const char *error;

        fake_setup(&f);
        fake_view(&f, NULL, p, NULL);
        ck_assert_int_eq(fake_sshd_set_sudo(&f, "good", SUDO_ROOT_NOPASSWD, NULL), 0);
        ck_assert_int_eq(fake_sshd_set_reject(&f, "line 7: Bad configuration option: Bogus"), 0);

        ck_assert_int_eq(apply(&c, &a), 0);
        ck_assert(a.refused);
        ck_assert(!a.changed);
        ck_assert_int_eq(a.status, EXIT_FAILED);
        ck_assert_int_eq(a.modules[0].r, -EINVAL);
        ck_assert_ptr_nonnull(error = a.modules[0].outcome.error);
        ck_assert_msg(startswith(error, "sshd -T rejects the resulting configuration; nothing was changed: "), "%s",
                      error);
        ck_assert_ptr_nonnull(strstr(error, "line 7: Bad configuration option: Bogus"));
        ck_assert_uint_eq(f.n_tested, 1);
        ck_assert_ptr_null(a.modules[0].outcome.changes);
        after = tree_dump();
        ck_assert_str_eq(after, before);
}
END_TEST

START_TEST(test_effective_password_user) {
        _cleanup_policy_free_ Policy *p = test_policy_loadf(SSH_POLICY, "");
        _cleanup_(fake_sshd_done) FakeSshd f = {};
        _cleanup_(context_done) Context c = { .policy = p, .root = fixture, .sshd_ops = &f.ops };
        _cleanup_(finding_list_done) FindingList l = {};
        _cleanup_(apply_result_done) ApplyResult a = {};
        _cleanup_free_ char *before = NULL, *after = NULL;
        const Finding *e;
        const char *error;

        /* a Match block the drop-in does not win against (sshd keeps the first value it reads) */
        put(SSH_MAIN_CONFIG, MAIN_MATCH, 0644);
        before = tree_dump();
        fake_setup(&f);
        fake_view(&f, NULL, p, NULL);
        fake_view(&f, "good", p, "passwordauthentication yes");
        ck_assert_int_eq(fake_sshd_set_sudo(&f, "good", SUDO_ROOT_NOPASSWD, NULL), 0);

        probe(&c, &l);
        ck_assert_ptr_nonnull(e = find(&l, "effective", "passwordauthentication (user good)"));
        ck_assert_int_eq(e->kind, FINDING_DRIFT);
        ck_assert_str_eq(e->actual, "yes");
        ck_assert_ptr_null(find(&l, "effective", "passwordauthentication (user root)"));

        ck_assert_int_eq(apply(&c, &a), 0);
        ck_assert(a.refused);
        ck_assert_int_eq(a.status, EXIT_FAILED);
        ck_assert_int_eq(a.modules[0].r, -EINVAL);
        ck_assert_ptr_nonnull(error = a.modules[0].outcome.error);
        ck_assert_msg(strstr(error, "would not be in effect"), "%s", error);
        ck_assert_msg(strstr(error, "PasswordAuthentication yes for good (want no)"), "%s", error);
        ck_assert_msg(!strstr(error, "for root"), "%s", error);
        after = tree_dump();
        ck_assert_str_eq(after, before);
}
END_TEST

static int preflight(Context *c, Outcome *o) {
        FindingList none = {};

        return ssh_module.preflight(c, &none, o);
}

START_TEST(test_lockout) {
        _cleanup_policy_free_ Policy *p = test_policy_loadf(SSH_POLICY, "");
        _cleanup_(fake_sshd_done) FakeSshd f = {};
        _cleanup_free_ char *before = tree_dump(), *after = NULL;

        fake_setup(&f);
        fake_view(&f, NULL, p, NULL);
        ck_assert_int_eq(fake_sshd_set_sudo(&f, NULL, SUDO_ROOT_NO, "not in sudoers (fake)"), 0);

        /* nobody can become root: refused, and apply changes nothing (exit 3) */
        {
                _cleanup_(context_done) Context c = { .policy = p, .root = fixture, .sshd_ops = &f.ops };
                _cleanup_(outcome_done) Outcome o = {};
                _cleanup_(apply_result_done) ApplyResult a = {};

                ck_assert_int_eq(preflight(&c, &o), -EPERM);
                ck_assert_ptr_nonnull(o.error);
                ck_assert_msg(startswith(o.error, "refusing: after this apply nobody could log in with a key and "
                                                  "become root"),
                              "%s", o.error);
                ck_assert_msg(strstr(o.error, "good: can log in (a key in /home/good/.ssh/authorized_keys) but "
                                              "cannot become root: not in sudoers (fake)"),
                              "%s", o.error);
                ck_assert_int_eq(apply(&c, &a), 0);
                ck_assert(a.refused);
                ck_assert_int_eq(a.status, EXIT_REFUSED);
                after = tree_dump();
                ck_assert_str_eq(after, before);
        }
        /* --force overrides, and says so */
        {
                _cleanup_(context_done)
                        Context c = { .policy = p, .root = fixture, .sshd_ops = &f.ops, .force = true };
                _cleanup_(outcome_done) Outcome o = {};

                ck_assert_int_eq(preflight(&c, &o), 0);
                ck_assert_ptr_null(o.error);
                ck_assert_ptr_nonnull(o.changes);
                ck_assert_msg(startswith(o.changes[0], "anti-lockout check overridden with --force: "), "%s",
                              o.changes[0]);
        }
        /* sudo lets good (a key in the tree) become root: passes */
        {
                _cleanup_(context_done) Context c = { .policy = p, .root = fixture, .sshd_ops = &f.ops };
                _cleanup_(outcome_done) Outcome o = {};

                ck_assert_int_eq(fake_sshd_set_sudo(&f, "good", SUDO_ROOT_PASSWORD, "asks for good's password"), 0);
                ck_assert_msg(preflight(&c, &o) == 0, "%s", strna(o.error));
                ck_assert_ptr_null(o.error);
                ck_assert_ptr_null(o.changes);
        }
        /* a password sudo cannot take (locked) is no way to root */
        {
                _cleanup_(context_done) Context c = { .policy = p, .root = fixture, .sshd_ops = &f.ops };
                _cleanup_(outcome_done) Outcome o = {};

                ck_assert_int_eq(fake_sshd_set_sudo(&f, "good", SUDO_ROOT_NO, "good's password is locked"), 0);
                ck_assert_int_eq(preflight(&c, &o), -EPERM);
                ck_assert_msg(strstr(o.error, "good's password is locked"), "%s", o.error);
        }
}
END_TEST

START_TEST(test_no_sshd) {
        _cleanup_policy_free_ Policy *p = test_policy_loadf(SSH_POLICY, "");
        _cleanup_(fake_sshd_done) FakeSshd f = {};
        _cleanup_(context_done) Context c = { .policy = p, .root = fixture, .sshd_ops = &f.ops };
        _cleanup_(finding_list_done) FindingList l = {};
        _cleanup_(apply_result_done) ApplyResult a = {};
        const Finding *e;

        fake_setup(&f);
        f.not_installed = true;
        ck_assert_int_eq(fake_sshd_set_sudo(&f, "good", SUDO_ROOT_NOPASSWD, NULL), 0);
        probe(&c, &l);
        ck_assert_ptr_nonnull(e = find(&l, "effective", "sshd -T"));
        ck_assert_int_eq(e->kind, FINDING_UNKNOWN);
        ck_assert_str_eq(e->actual, "effective settings could not be verified: the image has no /usr/sbin/sshd");

        ck_assert_int_eq(apply(&c, &a), 0);
        ck_assert_msg(a.status == EXIT_COMPLIANT, "status %d: %s", a.status, strna(a.modules[0].outcome.error));
        ck_assert_uint_eq(f.n_tested, 0);
        ck_assert_uint_eq(f.n_dumped, 0);
        ck_assert(strv_contains(a.modules[0].outcome.changes,
                                "not checked with sshd -T: the image has no /usr/sbin/sshd"));
}
END_TEST

/* sshd started by ssh.socket: its ListenStream= is where sshd listens, whatever the drop-in's Port. */
START_TEST(test_socket_port) {
        _cleanup_policy_free_ Policy *p = test_policy_loadf(SSH_POLICY, "");
        _cleanup_(fake_sshd_done) FakeSshd f = {};
        _cleanup_(context_done) Context c = { .policy = p, .root = fixture, .sshd_ops = &f.ops };
        _cleanup_(finding_list_done) FindingList l = {}, none = {}, same = {};
        _cleanup_free_ char *link = NULL;
        const Finding *e;

        fake_setup(&f);
        f.not_installed = true;
        probe(&c, &none);
        ck_assert_ptr_null(find(&none, "socket-port", "ssh.socket"));

        put("/usr/lib/systemd/system/ssh.socket", "[Socket]\nListenStream=22\n[Install]\nWantedBy=sockets.target\n",
            0644);
        put("/etc/systemd/system/ssh.socket.d/port.conf", "[Socket]\nListenStream=\nListenStream=[::]:2222\n", 0644);
        put("/etc/systemd/system/sockets.target.wants/.keep", "", 0644);
        ck_assert_int_ge(asprintf(&link, "%s/etc/systemd/system/sockets.target.wants/ssh.socket", fixture), 0);
        ck_assert_int_eq(symlink("/usr/lib/systemd/system/ssh.socket", link), 0);
        probe(&c, &l);
        ck_assert_ptr_nonnull(e = find(&l, "socket-port", "ssh.socket"));
        ck_assert_int_eq(e->kind, FINDING_INFO);
        ck_assert_str_eq(e->expected, "sshd on Port 22 (ssh.port)");
        ck_assert_str_eq(e->actual,
                         "ssh.socket starts sshd and listens on [::]:2222 (ListenStream=): the socket's port "
                         "wins over the drop-in's Port 22, which this socket-activated sshd does not use");

        put("/etc/systemd/system/ssh.socket.d/port.conf", "[Socket]\nListenStream=\nListenStream=22\n", 0644);
        probe(&c, &same);
        ck_assert_ptr_nonnull(e = find(&same, "socket-port", "ssh.socket"));
        ck_assert(strstr(e->actual, "listens on 22 (ListenStream=), the same port"));
}
END_TEST

START_TEST(test_after_restore) {
        _cleanup_policy_free_ Policy *p = test_policy_loadf(SSH_POLICY, "");
        _cleanup_(fake_sshd_done) FakeSshd f = {};
        _cleanup_(context_done) Context c = { .policy = p, .root = fixture, .sshd_ops = &f.ops };
        _cleanup_strv_free_ char **changes = NULL, **errors = NULL;

        fake_setup(&f);
        ck_assert_int_eq(ssh_module.after_restore(&c, &changes, &errors), 0);
        ck_assert_uint_eq(f.n_reloaded, 1);
        ck_assert(strv_contains(changes, "reloaded the fake sshd"));
        ck_assert_ptr_null(errors);
}
END_TEST

/* The firewall unit's apply (ssh left out by --only) asks ssh -Q each list the ssh probe will, for
 * the kept answers; an apply that has the ssh module, an image tree, no kept answers (no run
 * directory) or no strong_crypto asks nothing. */
START_TEST(test_prefetch) {
        _cleanup_policy_free_ Policy *p = test_policy_loadf(SSH_POLICY, "");
        _cleanup_policy_free_ Policy *weak = test_policy_loadf(SSH_POLICY, "strong_crypto = false;");
        static const Module *const mods[] = { &ssh_module };
        _cleanup_free_ char *run = NULL;
        const struct {
                const Policy *policy;
                bool live, run_dir;
                unsigned only, want;
        } cases[] = {
                { p, true, true, 1u << MODULE_FIREWALL, _SSH_ALGO_MAX },
                { p, true, true, (1u << MODULE_FIREWALL) | (1u << MODULE_ADMIN), _SSH_ALGO_MAX },
                { p, true, true, 0, 0 },
                { p, true, true, 1u << MODULE_SSH, 0 },
                { p, false, true, 1u << MODULE_FIREWALL, 0 },
                { p, true, false, 1u << MODULE_FIREWALL, 0 },
                { weak, true, true, 1u << MODULE_FIREWALL, 0 },
        };

        ck_assert_int_ge(asprintf(&run, "%s/run/hardend", fixture), 0);
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(fake_sshd_done) FakeSshd f = {};
                _cleanup_(context_done) Context c = { .policy = cases[i].policy,
                                                      .root = fixture,
                                                      .live = cases[i].live,
                                                      .run_dir = cases[i].run_dir ? run : NULL,
                                                      .only = cases[i].only,
                                                      .sshd_ops = &f.ops };

                fake_setup(&f);
                ck_assert_int_eq(engine_prefetch(&c, mods, ELEMENTSOF(mods)), 0);
                ck_assert_msg(f.n_queried == cases[i].want, "case %zu: %u ssh -Q lists asked, want %u", i, f.n_queried,
                              cases[i].want);
        }
}
END_TEST

/* Two stagings of the same configuration are the same though each names its own directory; a
 * byte or a mode changed in one, or a file more, and they are not. */
START_TEST(test_candidate_same) {
        _cleanup_policy_free_ Policy *p = test_policy_loadf(SSH_POLICY, "");
        _cleanup_(fake_sshd_done) FakeSshd f = {};
        _cleanup_(context_done) Context c = { .policy = p, .root = fixture, .sshd_ops = &f.ops };
        _cleanup_(plan_done) SshPlan plan = {};
        _cleanup_(candidate_done) Candidate a = {}, b = {}, cur = {};
        struct stat st;
        size_t last;
        FILE *w;

        fake_setup(&f);
        put(SSH_DROPIN_DIR "/50-cloud-init.conf", "PasswordAuthentication yes\n", 0600);
        ck_assert_int_eq(plan_load(&c, &plan), 0);
        ck_assert_int_eq(candidate_build(&c, &plan, true, &a), 0);
        ck_assert_int_eq(candidate_build(&c, &plan, true, &b), 0);
        ck_assert_str_ne(a.dir, b.dir);
        ck_assert(candidate_same(&a, &b));
        ck_assert(candidate_same(&b, &a));

        ck_assert_int_eq(candidate_build(&c, &plan, false, &cur), 0); /* without our drop-in */
        ck_assert(!candidate_same(&a, &cur));

        last = strv_length(b.written) - 1;
        ck_assert_int_eq(stat(b.written[last], &st), 0);
        ck_assert_int_eq(chmod(b.written[last], (st.st_mode & 07777) ^ 0040), 0);
        ck_assert(!candidate_same(&a, &b));
        ck_assert_int_eq(chmod(b.written[last], st.st_mode & 07777), 0);
        ck_assert(candidate_same(&a, &b));
        ck_assert_ptr_nonnull(w = fopen(b.written[last], "a"));
        fputs("#", w);
        ck_assert_int_eq(fclose(w), 0);
        ck_assert(!candidate_same(&a, &b));
}
END_TEST

TEST_MAIN("ssh-module", tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
          tcase_add_test(tc, test_probe_apply); tcase_add_test(tc, test_sshd_t_rejects);
          tcase_add_test(tc, test_effective_password_user); tcase_add_test(tc, test_lockout);
          tcase_add_test(tc, test_no_sshd); tcase_add_test(tc, test_socket_port);
          tcase_add_test(tc, test_after_restore); tcase_add_test(tc, test_prefetch);
          tcase_add_test(tc, test_candidate_same))
