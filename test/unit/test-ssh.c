/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The pure part of the SSH module: drop-in renderer, algorithm choice, sshd -T parser, Include
 * detection and insertion, and the anti-lockout key-file scan on a fixture tree. */
#include <check.h>

#include "test-main.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acctdb.h"
#include "ssh-config.h"
#include "ssh-guard.h"
#include "ssh-lockout.h"
#include "ssh-wayin.h"
#include "sshkey.h"
#include "strv.h"

#define KEY "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINfFqwLLjpaMq5JK5Qx573LPfZxk0avOrwDBeYD9H2wm test@example"

/* A policy of the ssh section %s only: test_policy_loadf(SSH_POLICY, section) */
#define SSH_POLICY                                                       \
        "version = 1;\nfirewall = { enable = false; };\nssh = { %s };\n" \
        "admin = { enable = false; };\n"

static char *render(const char *ssh_section, bool with_algos) {
        _cleanup_policy_free_ Policy *p = test_policy_loadf(SSH_POLICY, ssh_section);
        _cleanup_(ssh_settings_done) SshSettings s = {};
        SshAlgorithms a = {};
        char *text = NULL;

        if (with_algos)
                for (SshAlgoClass c = 0; c < _SSH_ALGO_MAX; c++) {
                        char *sup[] = { "curve25519-sha256",
                                        "aes256-gcm@openssh.com",
                                        "hmac-sha2-512-etm@openssh.com",
                                        "ssh-ed25519",
                                        "ecdsa-sha2-nistp256",
                                        "3des-cbc",
                                        "hmac-sha1",
                                        NULL };

                        ck_assert_int_eq(ssh_algorithms_pick(c, sup, &a.list[c]), 0);
                }
        ck_assert_int_eq(ssh_settings_from_policy(&p->ssh, &a, &s), 0);
        ck_assert_int_eq(ssh_render_dropin(&s, &text), 0);
        ssh_algorithms_done(&a);
        return text;
}

static bool has_line(const char *text, const char *line) {
        size_t l = strlen(line);

        for (const char *p = text; (p = strstr(p, line)); p += l)
                if ((p == text || p[-1] == '\n') && (p[l] == '\n' || p[l] == 0))
                        return true;
        return false;
}

START_TEST(test_render_default) {
        _cleanup_free_ char *t = render("port = 2222; allow_groups = [ \"wheel\", \"ops\" ];", true);
        const char *match;
        static const char *const want[] = {
                "PermitRootLogin no",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "PermitEmptyPasswords no",
                "PubkeyAuthentication yes",
                "AuthenticationMethods publickey",
                "Port 2222",
                "AllowGroups wheel ops",
                "MaxAuthTries 3",
                "LoginGraceTime 30",
                "X11Forwarding no",
                "KexAlgorithms curve25519-sha256",
                "Ciphers aes256-gcm@openssh.com",
                "MACs hmac-sha2-512-etm@openssh.com",
                "HostKeyAlgorithms ssh-ed25519",
                "Match all",
                "\tPasswordAuthentication no",
                "\tPermitRootLogin no",
                "\tAuthenticationMethods publickey",
        };

        for (size_t i = 0; i < ELEMENTSOF(want); i++)
                ck_assert_msg(has_line(t, want[i]), "missing \"%s\" in:\n%s", want[i], t);
        /* Match all comes last; keywords not allowed in Match stay above it */
        match = strstr(t, "Match all");
        ck_assert_ptr_null(strstr(match, "Port "));
        ck_assert_ptr_null(strstr(match, "AllowGroups"));
        ck_assert_ptr_null(strstr(match, "Ciphers"));
        ck_assert_ptr_null(strstr(t, "ecdsa"));
        ck_assert_ptr_null(strstr(t, "3des"));
}
END_TEST

START_TEST(test_render_variants) {
        _cleanup_free_ char *a = render("strong_crypto = false; permit_root_login = \"prohibit-password\";", true);
        _cleanup_free_ char *b = render("password_authentication = true; require_key = false;", false);

        ck_assert(!strstr(a, "Ciphers") && !strstr(a, "KexAlgorithms"));
        ck_assert(has_line(a, "PermitRootLogin prohibit-password"));
        ck_assert(!strstr(a, "AllowGroups"));
        ck_assert(has_line(b, "PasswordAuthentication yes"));
        ck_assert(!strstr(b, "AuthenticationMethods"));
        ck_assert(!has_line(b, "\tPasswordAuthentication yes")); /* only what we switch off is in Match all */
        ck_assert(!strstr(b, "Ciphers"));                        /* strong crypto without ssh -Q: not pinned */
}
END_TEST

START_TEST(test_algorithms_pick) {
        char *sup[] = { "aes128-ctr", "chacha20-poly1305@openssh.com", "aes256-cbc", NULL };
        char *none[] = { "3des-cbc", NULL };
        _cleanup_strv_free_ char **l = NULL, **n = NULL;

        ck_assert_int_eq(ssh_algorithms_pick(SSH_ALGO_CIPHER, sup, &l), 0);
        ck_assert_uint_eq(strv_length(l), 2);
        ck_assert_str_eq(l[0], "chacha20-poly1305@openssh.com"); /* our order, not ssh's */
        ck_assert_str_eq(l[1], "aes128-ctr");
        ck_assert_int_eq(ssh_algorithms_pick(SSH_ALGO_CIPHER, none, &n), -ENOENT);
        ck_assert_ptr_null(n);
        ck_assert_str_eq(ssh_algo_class_query(SSH_ALGO_HOSTKEY), "key-sig");
}
END_TEST

/* ssh -Q kex of OpenSSH 9.2 (Debian 12) and 10.0 (Debian 13), in ssh's own order */
#define KEX_COMMON                                                                                                  \
        "diffie-hellman-group1-sha1", "diffie-hellman-group14-sha1", "diffie-hellman-group14-sha256",               \
                "diffie-hellman-group16-sha512", "diffie-hellman-group18-sha512",                                   \
                "diffie-hellman-group-exchange-sha1", "diffie-hellman-group-exchange-sha256", "ecdh-sha2-nistp256", \
                "ecdh-sha2-nistp384", "ecdh-sha2-nistp521", "curve25519-sha256", "curve25519-sha256@libssh.org"

START_TEST(test_algorithms_kex_pq_first) {
        char *openssh92[] = { KEX_COMMON, "sntrup761x25519-sha512@openssh.com", NULL };
        char *openssh10[] = { KEX_COMMON, "sntrup761x25519-sha512", "sntrup761x25519-sha512@openssh.com",
                              "mlkem768x25519-sha256", NULL };
        const char *classical[] = { "curve25519-sha256", "curve25519-sha256@libssh.org",
                                    "diffie-hellman-group16-sha512", "diffie-hellman-group18-sha512" };
        _cleanup_strv_free_ char **a = NULL, **b = NULL;

        ck_assert_int_eq(ssh_algorithms_pick(SSH_ALGO_KEX, openssh92, &a), 0);
        ck_assert_uint_eq(strv_length(a), 1 + ELEMENTSOF(classical));
        ck_assert_str_eq(a[0], "sntrup761x25519-sha512@openssh.com");
        for (size_t i = 0; i < ELEMENTSOF(classical); i++)
                ck_assert_str_eq(a[1 + i], classical[i]);

        ck_assert_int_eq(ssh_algorithms_pick(SSH_ALGO_KEX, openssh10, &b), 0);
        ck_assert_uint_eq(strv_length(b), 3 + ELEMENTSOF(classical));
        ck_assert_str_eq(b[0], "mlkem768x25519-sha256");
        ck_assert_str_eq(b[1], "sntrup761x25519-sha512");
        ck_assert_str_eq(b[2], "sntrup761x25519-sha512@openssh.com");
        for (size_t i = 0; i < ELEMENTSOF(classical); i++)
                ck_assert_str_eq(b[3 + i], classical[i]);
        STRV_FOREACH (k, b)
                ck_assert(!strstr(*k, "nistp") && !strstr(*k, "sha1") && !strstr(*k, "exchange"));
}
END_TEST

START_TEST(test_sshd_dump) {
        _cleanup_(sshd_dump_done) SshdDump d = {};

        ck_assert_int_eq(sshd_dump_parse("port 22\nport 2222\nPermitRootLogin without-password\n"
                                         "authorizedkeysfile .ssh/authorized_keys .ssh/authorized_keys2\n"
                                         "\nciphers aes256-gcm@openssh.com,aes128-ctr  \r\nx11forwarding no",
                                         &d),
                         0);
        ck_assert_str_eq(sshd_dump_get(&d, "port"), "22 2222");
        ck_assert_str_eq(sshd_dump_get(&d, "PermitRootLogin"), "without-password");
        ck_assert_str_eq(sshd_dump_get(&d, "authorizedkeysfile"), ".ssh/authorized_keys .ssh/authorized_keys2");
        ck_assert_str_eq(sshd_dump_get(&d, "ciphers"), "aes256-gcm@openssh.com,aes128-ctr");
        ck_assert_str_eq(sshd_dump_get(&d, "x11forwarding"), "no");
        ck_assert_ptr_null(sshd_dump_get(&d, "passwordauthentication"));
        ck_assert(ssh_value_matches("PermitRootLogin", "prohibit-password", "without-password"));
        ck_assert(ssh_value_matches("PasswordAuthentication", "no", "NO"));
        ck_assert(!ssh_value_matches("PasswordAuthentication", "no", "yes"));
        ck_assert(!ssh_value_matches("PasswordAuthentication", "no", NULL));
        ck_assert(!ssh_value_matches("Port", "2222", "22 2222"));
        ck_assert(ssh_value_matches("Port", "22", "22 22"));
        ck_assert(!ssh_value_matches("Port", "22", "22 222"));
}
END_TEST

static const struct {
        const char *text;
        int includes;
} include_cases[] = {
        { "# comment\n\nInclude /etc/ssh/sshd_config.d/*.conf\nPasswordAuthentication yes\n", 1 },
        { "UsePAM yes\ninclude=/etc/ssh/sshd_config.d/*.conf\nPort 22\n", 1 },
        { "Include sshd_config.d/*.conf\n", 1 },
        { "Include \"/etc/ssh/sshd_config.d/*.conf\" /etc/ssh/other.conf\n", 1 },
        /* a file read before the drop-in could open a Match block or set a managed keyword */
        { "Include /etc/ssh/other.conf \"/etc/ssh/sshd_config.d/*.conf\"\n", 0 },
        { "Include /etc/ssh/extra.conf\nInclude /etc/ssh/sshd_config.d/*.conf\n", 0 },
        { "Include /etc/ssh/sshd_config.d/00-hardend.conf\n", 1 },
        { "PasswordAuthentication yes\nInclude /etc/ssh/sshd_config.d/*.conf\n", 0 },
        { "  permitrootlogin yes\nInclude /etc/ssh/sshd_config.d/*.conf\n", 0 },
        { "Match User x\nInclude /etc/ssh/sshd_config.d/*.conf\n", 0 },
        { "Include /etc/ssh/sshd_config.d/*.cfg\n", 0 },
        { "Include /etc/ssh/sshd_config.d/50-*.conf\n", 0 },
        { "#Include /etc/ssh/sshd_config.d/*.conf\n", 0 },
        { "", 0 },
};

START_TEST(test_include_detect) {
        const char *t = include_cases[_i].text;

        ck_assert_msg(ssh_config_includes_dropin(t, strlen(t)) == include_cases[_i].includes, "case %d: %s", _i, t);
}
END_TEST

START_TEST(test_include_add) {
        static const char orig[] = "Port 22\r\nPasswordAuthentication yes\n# no newline at end";
        _cleanup_free_ char *out = NULL;
        size_t len, hl;

        ck_assert_int_eq(ssh_config_add_include(orig, sizeof(orig) - 1, &out, &len), 0);
        ck_assert_int_eq(ssh_config_includes_dropin(out, len), 1);
        ck_assert(strstr(out, "\n" SSH_INCLUDE_LINE "\n"));
        hl = len - (sizeof(orig) - 1);
        ck_assert_mem_eq(out + hl, orig, sizeof(orig) - 1); /* the rest byte for byte */
        ck_assert_uint_eq(strlen(out), len);
}
END_TEST

START_TEST(test_include_redirect) {
        static const char in[] = "Include /etc/ssh/sshd_config.d/*.conf\n"
                                 "Include sshd_config.d/50-x.conf /etc/ssh/extra.conf local.conf\n"
                                 "PasswordAuthentication no\n";
        _cleanup_free_ char *out = NULL;

        ck_assert_int_eq(ssh_config_redirect_includes(in, sizeof(in) - 1, "/tmp/c/sshd_config.d", &out), 0);
        ck_assert_str_eq(out, "Include /tmp/c/sshd_config.d/*.conf\n"
                              "Include /tmp/c/sshd_config.d/50-x.conf /etc/ssh/extra.conf /etc/ssh/local.conf\n"
                              "PasswordAuthentication no\n");
}
END_TEST

START_TEST(test_managed_lines) {
        _cleanup_policy_free_ Policy *p = test_policy_loadf(SSH_POLICY, "");
        _cleanup_(ssh_settings_done) SshSettings s = {};
        _cleanup_strv_free_ char **l1 = NULL, **l2 = NULL, **l3 = NULL;
        static const char bad[] = "# cloud-init\nPasswordAuthentication yes\nUsePAM yes\n";
        static const char agree[] = "passwordauthentication=no\nChallengeResponseAuthentication no\n";
        static const char other[] = "UsePAM yes\nBanner /etc/issue\n";
        bool conflicts;

        ck_assert_int_eq(ssh_settings_from_policy(&p->ssh, NULL, &s), 0);
        ck_assert_int_eq(ssh_config_managed_lines(bad, sizeof(bad) - 1, &s, &l1, &conflicts), 1);
        ck_assert(conflicts);
        ck_assert_str_eq(l1[0], "PasswordAuthentication yes (line 2)");
        ck_assert_int_eq(ssh_config_managed_lines(agree, sizeof(agree) - 1, &s, &l2, &conflicts), 2);
        ck_assert(!conflicts);
        ck_assert_int_eq(ssh_config_managed_lines(other, sizeof(other) - 1, &s, &l3, &conflicts), 0);
}
END_TEST

START_TEST(test_expand_path) {
        static const struct {
                const char *pattern, *want;
        } cases[] = {
                { ".ssh/authorized_keys", "/home/a/.ssh/authorized_keys" },
                { "%h/.ssh/k", "/home/a/.ssh/k" },
                { "/etc/ssh/keys/%u", "/etc/ssh/keys/a" },
                { "/k/%U/100%%", "/k/1000/100%" },
        };
        char *out = NULL;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                ck_assert_int_eq(ssh_expand_keys_path(cases[i].pattern, "a", 1000, "/home/a", &out), 0);
                ck_assert_str_eq(out, cases[i].want);
                free(out);
        }
        ck_assert_int_eq(ssh_expand_keys_path("/k/%x", "a", 1000, "/home/a", &out), -EINVAL);
}
END_TEST

/* A fixture tree: ROOT/home/<user>/.ssh/authorized_keys, owned by whoever runs the test. */
static char fixture[] = "/tmp/test-ssh.XXXXXX";

static void put(const char *path, const char *text, mode_t mode) {
        test_put_file(fixture, path, text, mode);
}

static void fixture_setup(void) {
        ck_assert_ptr_nonnull(mkdtemp(fixture));
        put("/home/good/.ssh/authorized_keys", "# keys\n" KEY "\n", 0600);
        put("/home/empty/.ssh/authorized_keys", "", 0600);
        put("/home/junk/.ssh/authorized_keys", "ssh-ed25519 notbase64\nhello\n", 0600);
        put("/home/loose/.ssh/authorized_keys", KEY "\n", 0666);
        put("/root/.ssh/authorized_keys", KEY "\n", 0600);
        put("/bin/bash", "#!/bin/true\n", 0755);
        put("/bin/sh", "#!/bin/true\n", 0755);
}

static char *problem(const char *user, uid_t uid, bool strict) {
        _cleanup_free_ char *path = NULL, *home = NULL;
        char *why = NULL;

        ck_assert_int_ge(asprintf(&home, "/home/%s", user), 0);
        ck_assert_int_ge(asprintf(&path, "%s/.ssh/authorized_keys", home), 0);
        ck_assert_int_eq(ssh_keyfile_problem(fixture, true, path, uid, uid, home, strict, &why), 0);
        return why;
}

START_TEST(test_keyfile_scan) {
        uid_t me = test_uid();
        char *w;

        ck_assert_ptr_null(problem("good", me, true));
        ck_assert_str_eq(w = problem("empty", me, true), "empty");
        free(w);
        ck_assert_str_eq(w = problem("junk", me, true), "no valid key");
        free(w);
        ck_assert_str_eq(w = problem("missing", me, true), "no such file");
        free(w);
        ck_assert_str_eq(w = problem("loose", me, true), "bad ownership or modes (StrictModes)");
        free(w);
        ck_assert_ptr_null(problem("loose", me, false));
        /* 0600 and owned by someone else: the user cannot read it */
        ck_assert_ptr_nonnull(strstr(w = problem("good", 4242, false), "not readable by its user"));
        free(w);
}
END_TEST

/* A fake sshd view (one for everybody) and a fake sudo: the users in sudo_ok become root. */
typedef struct Fake {
        SshdDump view;
        char **sudo_ok;
} Fake;

static int fake_view(void *userdata, const char *user, const SshdDump **ret, char **ret_error) {
        Fake *f = userdata;

        (void) user;
        (void) ret_error;
        *ret = &f->view;
        return 0;
}

static int fake_sudo(void *userdata, const char *user, char **ret_why) {
        Fake *f = userdata;

        if (strv_contains(f->sudo_ok, user))
                return 1;
        *ret_why = strdup("not in sudoers");
        return 0;
}

static int lockout(const char *passwd, const char *group, const char *view, char **sudo_ok, const char *incoming,
                   char **ret) {
        _cleanup_(acct_db_done) AcctDb db = {};
        _cleanup_free_ char *who = NULL;
        Fake f = { .sudo_ok = sudo_ok };
        SshKey key = {};
        const char *reason;
        int r;

        ck_assert_int_eq(sshkey_parse_line(KEY, &key, &reason), 0);
        ck_assert_int_eq(acct_parse_passwd(passwd, &db, NULL), 0);
        ck_assert_int_eq(acct_parse_group(group, &db, NULL), 0);
        ck_assert_int_eq(sshd_dump_parse(view, &f.view), 0);
        SshLockoutInput in = {
                .root = fixture,
                .nofollow = true,
                .db = &db,
                .shells = "/bin/bash\n/bin/sh\n",
                .client = { .addr = "192.0.2.1", .host = "192.0.2.1" },
                .now = 1700000000,
                .view = fake_view,
                .sudo = fake_sudo,
                .userdata = &f,
                .incoming_user = incoming,
                .incoming_group = "wheel",
                .incoming_keys = &key,
                .n_incoming_keys = 1,
                .incoming_home = "/home/admin",
        };

        *ret = NULL;
        r = ssh_lockout_check(&in, &who, ret);
        if (r > 0)
                *ret = TAKE_PTR(who);
        sshd_dump_done(&f.view);
        sshkey_done(&key);
        return r;
}

#define VIEW_BASE                                                                                                \
        "permitrootlogin no\npubkeyauthentication yes\nstrictmodes no\nauthenticationmethods any\nforcecommand " \
        "none\n"                                                                                                 \
        "authorizedkeysfile .ssh/authorized_keys %h/.ssh/authorized_keys2\n"

START_TEST(test_lockout) {
        _cleanup_free_ char *pw = NULL, *pw_empty = NULL;
        char *out, *good[] = { "good", NULL }, *none[] = { NULL };
        static const char gr[] = "wheel:x:10:good\nops:x:11:\n";
        unsigned me = (unsigned) test_uid();

        ck_assert_int_ge(asprintf(&pw,
                                  "root:x:0:0::/root:/bin/bash\n"
                                  "empty:x:%u:%u::/home/empty:/bin/bash\n"
                                  "good:x:%u:%u::/home/good:/bin/bash\n"
                                  "svc:x:%u:%u::/home/good:/usr/sbin/nologin\n",
                                  me, me, me, me, me, me),
                         0);
        ck_assert_int_ge(asprintf(&pw_empty, "empty:x:%u:%u::/home/empty:/bin/sh\n", me, me), 0);

        ck_assert_msg(lockout(pw, gr, VIEW_BASE, good, NULL, &out) == 1, "%s", out);
        ck_assert_str_eq(out, "good (a key in /home/good/.ssh/authorized_keys, then sudo)");
        free(out);
        ck_assert_int_eq(lockout(pw, gr, VIEW_BASE "allowgroups wheel\n", good, NULL, &out), 1);
        free(out);

        /* a key but no way to root */
        ck_assert_int_eq(lockout(pw, gr, VIEW_BASE, none, NULL, &out), 0);
        ck_assert_ptr_nonnull(strstr(out, "good: can log in (a key in /home/good/.ssh/authorized_keys) but cannot "
                                          "become root: not in sudoers"));
        free(out);

        /* good is not in ops; root has keys but root login is off */
        ck_assert_int_eq(lockout(pw, gr, VIEW_BASE "allowgroups ops\n", good, NULL, &out), 0);
        ck_assert_ptr_nonnull(strstr(out, "root: root login is off"));
        ck_assert_ptr_nonnull(strstr(out, "good: not in AllowGroups (ops)"));
        free(out);
        /* DenyUsers, AllowUsers with a host part, DenyGroups */
        ck_assert_int_eq(lockout(pw, gr, VIEW_BASE "denyusers g*\n", good, NULL, &out), 0);
        ck_assert_ptr_nonnull(strstr(out, "good: DenyUsers g* matches it"));
        free(out);
        ck_assert_int_eq(lockout(pw, gr, VIEW_BASE "allowusers good@198.51.100.0/24\n", good, NULL, &out), 0);
        ck_assert_ptr_nonnull(strstr(out, "good: not in AllowUsers"));
        free(out);
        ck_assert_int_eq(lockout(pw, gr, VIEW_BASE "allowusers good@192.0.2.0/24\n", good, NULL, &out), 1);
        free(out);
        ck_assert_int_eq(lockout(pw, gr, VIEW_BASE "denygroups wheel\n", good, NULL, &out), 0);
        ck_assert_ptr_nonnull(strstr(out, "good: its group wheel is in DenyGroups"));
        free(out);
        /* ForceCommand, AuthenticationMethods, PubkeyAuthentication */
        ck_assert_int_eq(lockout(pw, gr,
                                 "permitrootlogin no\nstrictmodes no\nforcecommand /usr/bin/true\n"
                                 "authorizedkeysfile .ssh/authorized_keys\n",
                                 good, NULL, &out),
                         0);
        ck_assert_ptr_nonnull(strstr(out, "good: ForceCommand /usr/bin/true replaces every command"));
        free(out);
        ck_assert_int_eq(lockout(pw, gr,
                                 "permitrootlogin no\nstrictmodes no\nforcecommand /bin/bash\n"
                                 "authorizedkeysfile .ssh/authorized_keys\n",
                                 good, NULL, &out),
                         1);
        free(out);
        ck_assert_int_eq(lockout(pw, gr,
                                 "permitrootlogin no\nstrictmodes no\nauthenticationmethods publickey,password\n"
                                 "authorizedkeysfile .ssh/authorized_keys\n",
                                 good, NULL, &out),
                         0);
        free(out);
        /* keys read from elsewhere, and from a command */
        ck_assert_int_eq(lockout(pw, gr, "permitrootlogin no\nstrictmodes no\nauthorizedkeysfile /etc/keys/%u\n", good,
                                 NULL, &out),
                         0);
        ck_assert_ptr_nonnull(strstr(out, "good: /etc/keys/good no such file"));
        free(out);
        ck_assert_int_eq(lockout(pw, gr,
                                 "permitrootlogin no\nauthorizedkeysfile none\n"
                                 "authorizedkeyscommand /usr/bin/keys %u\n",
                                 good, NULL, &out),
                         1);
        free(out);
        /* root may log in with a key: root counts */
        ck_assert_int_eq(lockout("root:x:0:0::/root:/bin/bash\n", gr,
                                 "permitrootlogin prohibit-password\nstrictmodes no\n"
                                 "authorizedkeysfile .ssh/authorized_keys\n",
                                 none, NULL, &out),
                         1);
        ck_assert_str_eq(out, "root (a key in /root/.ssh/authorized_keys)");
        free(out);

        /* only empty has a shell and it has no key: refused, naming the file */
        ck_assert_int_eq(lockout(pw_empty, gr, VIEW_BASE, good, NULL, &out), 0);
        ck_assert_ptr_nonnull(strstr(out, "empty: /home/empty/.ssh/authorized_keys empty"));
        ck_assert_ptr_nonnull(strstr(out, "/home/empty/.ssh/authorized_keys2 no such file"));
        free(out);
        /* ... unless the admin module brings keys in this apply, and sudo lets it in */
        {
                char *admin[] = { "admin", NULL };

                ck_assert_int_eq(lockout(pw_empty, gr, VIEW_BASE, admin, "admin", &out), 1);
                ck_assert_str_eq(out, "admin (a key from admin.authorized_keys in /home/admin/.ssh/authorized_keys, "
                                      "then sudo)");
                free(out);
                /* the policy's keys count only where sshd reads them */
                ck_assert_int_eq(lockout(pw_empty, gr, "authorizedkeysfile /etc/keys/%u\n", admin, "admin", &out), 0);
                ck_assert_ptr_nonnull(strstr(out, "admin: /etc/keys/admin no such file"));
                free(out);
        }
        ck_assert_int_eq(lockout("svc:x:1:1::/home/good:/usr/sbin/nologin\n", gr, VIEW_BASE, good, NULL, &out), 0);
        ck_assert_str_eq(out, "no user has a login shell");
        free(out);
}
END_TEST

static SshKey key_with(const char *options) {
        _cleanup_free_ char *line = NULL;
        SshKey k = {};
        const char *reason;

        ck_assert_int_ge(asprintf(&line, "%s%s" KEY, strempty(options), options ? " " : ""), 0);
        ck_assert_int_eq(sshkey_parse_line(line, &k, &reason), 0);
        return k;
}

static int usable(const char *view_text, const char *options) {
        _cleanup_(sshd_dump_done) SshdDump v = {};
        _cleanup_(sshkey_done) SshKey k = key_with(options);
        _cleanup_free_ char *why = NULL;
        WayinClient c = { .addr = "192.0.2.1", .host = "192.0.2.1" };
        int r;

        ck_assert_int_eq(sshd_dump_parse(view_text, &v), 0);
        r = wayin_key_usable(&v, &k, &c, 1700000000 /* 2023-11-14 */, &why);
        ck_assert(r == 1 ? why == NULL : why != NULL);
        return r;
}

START_TEST(test_wayin_keys) {
        static const char ed[] = "pubkeyacceptedalgorithms ssh-ed25519,rsa-sha2-512\n";
        static const char rsa_only[] = "pubkeyacceptedalgorithms rsa-sha2-512,rsa-sha2-256\n";

        ck_assert_int_eq(usable(ed, NULL), 1);
        ck_assert_int_eq(usable(rsa_only, NULL), 0);
        ck_assert_int_eq(usable("", NULL), 1);
        ck_assert_int_eq(usable(ed, "from=\"192.0.2.0/24\""), 1);
        ck_assert_int_eq(usable(ed, "from=\"198.51.100.0/24\""), 0);
        ck_assert_int_eq(usable(ed, "from=\"*,!192.0.2.1\""), 0);
        ck_assert_int_eq(usable(ed, "from=\"192.0.2.*\""), 1);
        ck_assert_int_eq(usable(ed, "expiry-time=\"20200101\""), 0);
        ck_assert_int_eq(usable(ed, "expiry-time=\"20991231Z\""), 1);
        ck_assert_int_eq(usable(ed, "command=\"/bin/false\""), 0);
        ck_assert_int_eq(usable(ed, "restrict"), 1);
        ck_assert_int_eq(usable(ed, "no-pty,no-port-forwarding"), 1);
        ck_assert_int_eq(usable(ed, "from=\"192.0.2.1\",environment=\"A=b\""), 1);
}
END_TEST

START_TEST(test_wayin_patterns) {
        ck_assert(ssh_match_pattern("admin", "adm*"));
        ck_assert(ssh_match_pattern("admin", "a?min"));
        ck_assert(!ssh_match_pattern("admin", "adm"));
        ck_assert(ssh_match_pattern("", "*"));
        ck_assert_int_eq(ssh_match_host_and_ip("192.0.2.7", "192.0.2.7", "198.51.100.1,192.0.2.0/28"), 1);
        ck_assert_int_eq(ssh_match_host_and_ip("192.0.2.7", "192.0.2.7", "192.0.2.0/24,!192.0.2.7"), -1);
        ck_assert_int_eq(ssh_match_host_and_ip("2001:db8::5", "2001:db8::5", "2001:db8::/32"), 1);
        ck_assert_int_eq(ssh_match_host_and_ip("2001:db8::5", "2001:db8::5", "192.0.2.0/24"), 0);
        ck_assert(wayin_command_is_shell("/bin/bash", "# shells\n/bin/sh\n/bin/bash\n"));
        ck_assert(!wayin_command_is_shell("/bin/bash -c id", "/bin/bash\n"));
        ck_assert(!wayin_command_is_shell("internal-sftp", "/bin/bash\n"));
}
END_TEST

static const struct {
        const char *shell;
        bool login;
} shell_cases[] = {
        { "/bin/bash", true },   { "/bin/sh", true },    { "/usr/sbin/nologin", false },
        { "/bin/false", false }, { "/bin/sync", false }, { "halt", false },
};

START_TEST(test_wayin_shell) {
        ck_assert_int_eq(wayin_shell_is_login(shell_cases[_i].shell), shell_cases[_i].login);
}
END_TEST

START_TEST(test_wayin_account) {
        char *groups[] = { "good", "wheel", NULL };
        WayinAccount a = { .name = "good",
                           .uid = 1000,
                           .shell = "/bin/bash",
                           .groups = groups,
                           .password = "!",
                           .expire_days = -1,
                           .shell_executable = true };
        WayinClient c = { .addr = "192.0.2.1", .host = "192.0.2.1" };
        _cleanup_(sshd_dump_done) SshdDump pam = {}, nopam = {};
        char *why = NULL;

        ck_assert_int_eq(sshd_dump_parse("usepam yes\n", &pam), 0);
        ck_assert_int_eq(sshd_dump_parse("usepam no\n", &nopam), 0);
        ck_assert_int_eq(wayin_account_admitted(&pam, &a, &c, 1700000000, &why), 1);
        /* OpenSSH refuses a locked account ("!") when UsePAM is off, keys or not */
        ck_assert_int_eq(wayin_account_admitted(&nopam, &a, &c, 1700000000, &why), 0);
        ck_assert_ptr_nonnull(strstr(why, "password is locked and UsePAM is off"));
        why = mfree(why);
        a.password = "*";
        ck_assert_int_eq(wayin_account_admitted(&nopam, &a, &c, 1700000000, &why), 1);
        a.expire_days = 0;
        ck_assert_int_eq(wayin_account_admitted(&pam, &a, &c, 1700000000, &why), 0);
        ck_assert_ptr_nonnull(strstr(why, "expired"));
        why = mfree(why);
        a.expire_days = -1;
        a.shell = "/usr/sbin/nologin";
        ck_assert_int_eq(wayin_account_admitted(&pam, &a, &c, 1700000000, &why), 0);
        why = mfree(why);
        a.shell = "/bin/bash";
        a.shell_executable = false;
        ck_assert_int_eq(wayin_account_admitted(&pam, &a, &c, 1700000000, &why), 0);
        why = mfree(why);
}
END_TEST

/* A malformed line in the account files: the anti-lockout check refuses, naming FILE:LINE, rather
 * than look for a way in among the other accounts (acctdb.h). */
START_TEST(test_guard_malformed_accounts) {
        static const struct {
                const char *path, *text, *where;
        } cases[] = {
                { "/etc/passwd",
                  "root:x:0:0:root:/root:/bin/bash\ngood:x:1000:1000::/home/good:/bin/bash\nbroken line\n",
                  "/etc/passwd:3" },
                { "/etc/passwd", "good:x:1000:1000::/home/good\n", "/etc/passwd:1" },
                { "/etc/group", "wheel:x:10:good\nstaff:x:staff:\n", "/etc/group:2" },
                { "/etc/shadow", "root:*:19800:0:99999:7:::\n:*:19800:0:99999:7:::\n", "/etc/shadow:2" },
        };
        _cleanup_policy_free_ Policy *p = test_policy_loadf(SSH_POLICY, "");
        SshGuardInput in = { .addr = "192.0.2.1" };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(context_done) Context c = { .policy = p, .root = fixture };
                _cleanup_(outcome_done) Outcome o = {};
                _cleanup_free_ char *want = NULL;

                put("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\ngood:x:1000:1000::/home/good:/bin/bash\n", 0644);
                put("/etc/group", "wheel:x:10:good\n", 0644);
                put("/etc/shadow", "root:*:19800:0:99999:7:::\ngood:*:19800:0:99999:7:::\n", 0600);
                put(cases[i].path, cases[i].text, 0644);
                ck_assert_int_eq(ssh_guard_check(&c, &in, &o), -EBADMSG);
                ck_assert_int_ge(
                        asprintf(&want, "anti-lockout check: cannot read the account files: %s: ", cases[i].where), 0);
                ck_assert_ptr_nonnull(o.error);
                ck_assert_msg(startswith(o.error, want), "%s", o.error);
        }

        /* the same files without the bad line are read (whatever the check then decides) */
        {
                _cleanup_(context_done) Context c = { .policy = p, .root = fixture };
                _cleanup_(outcome_done) Outcome o = {};

                put("/etc/shadow", "root:*:19800:0:99999:7:::\ngood:*:19800:0:99999:7:::\n", 0600);
                (void) ssh_guard_check(&c, &in, &o);
                ck_assert_msg(!o.error || !strstr(o.error, "account files"), "%s", o.error);
        }
}
END_TEST

static void fixture_teardown(void) {
        /* CK_FORK: each test makes and removes its own tree */
        for (const char *const *p = (const char *const[]){ "/home/good/.ssh/authorized_keys",
                                                           "/home/empty/.ssh/authorized_keys",
                                                           "/home/junk/.ssh/authorized_keys",
                                                           "/home/loose/.ssh/authorized_keys",
                                                           "/root/.ssh/authorized_keys",
                                                           "/etc/passwd",
                                                           "/etc/group",
                                                           "/etc/shadow",
                                                           "/etc",
                                                           "/home/good/.ssh",
                                                           "/home/empty/.ssh",
                                                           "/home/junk/.ssh",
                                                           "/home/loose/.ssh",
                                                           "/root/.ssh",
                                                           "/home/good",
                                                           "/home/empty",
                                                           "/home/junk",
                                                           "/home/loose",
                                                           "/home",
                                                           "/root",
                                                           "/bin/bash",
                                                           "/bin/sh",
                                                           "/bin",
                                                           "",
                                                           NULL };
             *p; p++) {
                _cleanup_free_ char *f = NULL;

                if (asprintf(&f, "%s%s", fixture, *p) >= 0 && unlink(f) < 0)
                        (void) rmdir(f);
        }
        memcpy(fixture + strlen(fixture) - 6, "XXXXXX", 6);
}

static Suite *ssh_suite(void) {
        Suite *s = suite_create("ssh");
        TCase *tc = tcase_create("pure");
        TCase *tf = tcase_create("fixtures");

        tcase_add_test(tc, test_render_default);
        tcase_add_test(tc, test_render_variants);
        tcase_add_test(tc, test_algorithms_pick);
        tcase_add_test(tc, test_algorithms_kex_pq_first);
        tcase_add_test(tc, test_sshd_dump);
        tcase_add_loop_test(tc, test_include_detect, 0, ELEMENTSOF(include_cases));
        tcase_add_test(tc, test_include_add);
        tcase_add_test(tc, test_include_redirect);
        tcase_add_test(tc, test_managed_lines);
        tcase_add_test(tc, test_expand_path);
        tcase_add_test(tc, test_wayin_keys);
        tcase_add_test(tc, test_wayin_patterns);
        tcase_add_loop_test(tc, test_wayin_shell, 0, ELEMENTSOF(shell_cases));
        tcase_add_test(tc, test_wayin_account);
        suite_add_tcase(s, tc);

        tcase_add_checked_fixture(tf, fixture_setup, fixture_teardown);
        tcase_add_test(tf, test_keyfile_scan);
        tcase_add_test(tf, test_lockout);
        tcase_add_test(tf, test_guard_malformed_accounts);
        suite_add_tcase(s, tf);
        return s;
}

int main(void) {
        return test_run_suite(ssh_suite());
}
