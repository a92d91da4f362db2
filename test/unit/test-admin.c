/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The admin module's pure part (account file parsers, sudoers text, authorized_keys merge) and its
 * probe on fixture trees written to a temporary directory (no root needed). */
#include <check.h>

#include "test-main.h"
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin-apply.h"
#include "admin.h"
#include "acctdb.h"
#include "policy.h"
#include "strv.h"

#define KEY      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKZk1I0LXqyiBU5rraL0yhku9TRbuI+mLZOYVK9nYe2c admin@test"
#define KEY_BLOB "AAAAC3NzaC1lZDI1NTE5AAAAIKZk1I0LXqyiBU5rraL0yhku9TRbuI+mLZOYVK9nYe2c"
#define OTHER    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHQSmTFa7Un1ELLQpUe6mqImzOcQCjmN7LHh4Yw2ORYQ other@test"

static const char policy_text[] = "version = 1;\n"
                                  "admin = {\n"
                                  "  user = \"admin\";\n"
                                  "  group = \"wheel\";\n"
                                  "  authorized_keys = [ \"" KEY "\" ];\n"
                                  "  sudo = \"nopasswd\";\n"
                                  "  lock_root_password = true;\n"
                                  "};\n";

/* ---- parsers ---- */

START_TEST(test_parse_passwd) {
        AcctDb db = {};
        unsigned bad = 0;

        ck_assert_int_eq(acct_parse_passwd("root:x:0:0:root:/root:/bin/bash\n"
                                           "\n"
                                           "+nisuser::::::\n"
                                           "admin:x:1000:1001:The Admin,,,:/home/admin:/bin/bash",
                                           &db, &bad),
                         0);
        ck_assert_uint_eq(db.n_users, 2);
        ck_assert_str_eq(db.users[1].name, "admin");
        ck_assert_uint_eq(db.users[1].uid, 1000);
        ck_assert_uint_eq(db.users[1].gid, 1001);
        ck_assert_str_eq(db.users[1].gecos, "The Admin,,,");
        ck_assert_str_eq(db.users[1].home, "/home/admin");
        ck_assert_str_eq(db.users[1].shell, "/bin/bash");
        ck_assert_ptr_eq(acct_db_user(&db, "admin"), &db.users[1]);
        ck_assert_ptr_null(acct_db_user(&db, "adm"));
        acct_db_done(&db);
}
END_TEST

static const struct {
        const char *text;
        unsigned bad_line;
} bad_passwd[] = {
        { "root:x:0:0:root:/root\n", 1 },                           /* 6 fields */
        { "root:x:0:0:root:/root:/bin/sh:extra\n", 1 },             /* 8 fields */
        { "root:x:0:0::/root:/bin/sh\nu:x:-1:0::/:/bin/sh\n", 2 },  /* negative uid */
        { "root:x:0:0::/root:/bin/sh\nu:x:1a:0::/:/bin/sh\n", 2 },  /* not a number */
        { "u:x:4294967295:0::/:/bin/sh\n", 1 },                     /* (uid_t) -1 */
        { "u:x:99999999999:0::/:/bin/sh\n", 1 },                    /* too big */
        { ":x:0:0::/:/bin/sh\n", 1 },                               /* no name */
        { "u:x::0::/:/bin/sh\n", 1 },                               /* empty uid */
        { "u:x:0:0::/\n", 1 },                                      /* 5 fields */
        { "broken line\n", 1 },                                     /* 1 field */
        { "root:x:0:0::/root:/bin/sh\n\n+nis\n-nis\nbroken\n", 5 }, /* numbered past skipped lines */
        { "u:x:abc:0::/:/bin/sh\n", 1 },                            /* letters */
        { "u:x: 1:0::/:/bin/sh\n", 1 },                             /* padded */
        { "u:x:0:zero::/:/bin/sh\n", 1 },                           /* gid not a number */
        { "u:x:0:0::/:/bin/sh\n:x:1:1::/:/bin/sh\n", 2 },           /* no name, after a good line */
        { "# a comment\n", 1 },                                     /* no comments in passwd */
};

START_TEST(test_parse_passwd_bad) {
        AcctDb db = {};
        unsigned bad = 0;

        ck_assert_int_eq(acct_parse_passwd(bad_passwd[_i].text, &db, &bad), -EBADMSG);
        ck_assert_uint_eq(bad, bad_passwd[_i].bad_line);
        acct_db_done(&db);
}
END_TEST

static const struct {
        int (*parse)(const char *text, AcctDb *db, unsigned *ret_bad_line);
        const char *text;
        unsigned bad_line;
} bad_group_shadow[] = {
        { acct_parse_group, "bad:x:1\n", 1 },                                /* 3 fields */
        { acct_parse_group, "wheel:x:10:a\nbad:x:1:a:b\n", 2 },              /* 5 fields */
        { acct_parse_group, "wheel:x:10:a\nstaff:x:staff:\n", 2 },           /* gid not a number */
        { acct_parse_group, "wheel:x:10:a\n:x:11:\n", 2 },                   /* no name */
        { acct_parse_shadow, "root:!*:19800\n", 1 },                         /* 3 fields */
        { acct_parse_shadow, "root:*:1::::::\nbin:*:1:::::::\n", 2 },        /* 10 fields */
        { acct_parse_shadow, "root:*:1::::::\n:*:19800:0:99999:7:::\n", 2 }, /* no name */
};

START_TEST(test_parse_group_shadow_bad) {
        AcctDb db = {};
        unsigned bad = 0;

        ck_assert_int_eq(bad_group_shadow[_i].parse(bad_group_shadow[_i].text, &db, &bad), -EBADMSG);
        ck_assert_uint_eq(bad, bad_group_shadow[_i].bad_line);
        acct_db_done(&db);
}
END_TEST

/* A very long line is one line: no fixed buffer truncates it or splits it into two. */
START_TEST(test_parse_long_line) {
        _cleanup_free_ char *gecos = malloc(200001), *text = NULL;
        AcctDb db = {};
        unsigned bad = 0;

        ck_assert_ptr_nonnull(gecos);
        memset(gecos, 'g', 200000);
        gecos[200000] = 0;
        ck_assert_int_ge(
                asprintf(&text, "root:x:0:0::/root:/bin/sh\nlong:x:1000:1000:%s:/home/long:/bin/bash\n", gecos), 0);
        ck_assert_int_eq(acct_parse_passwd(text, &db, &bad), 0);
        ck_assert_uint_eq(db.n_users, 2);
        ck_assert_uint_eq(strlen(db.users[1].gecos), 200000);
        ck_assert_str_eq(db.users[1].home, "/home/long");
        ck_assert_str_eq(db.users[1].shell, "/bin/bash");
        acct_db_done(&db);

        /* the same line with one field too many (far along it), then a good line: line 2 is bad */
        text = mfree(text);
        gecos[150000] = ':';
        ck_assert_int_ge(asprintf(&text,
                                  "root:x:0:0::/root:/bin/sh\nlong:x:1000:1000:%s:/home/long:/bin/bash\n"
                                  "next:x:1001:1001::/home/next:/bin/sh\n",
                                  gecos),
                         0);
        ck_assert_int_eq(acct_parse_passwd(text, &db, &bad), -EBADMSG);
        ck_assert_uint_eq(bad, 2);
        ck_assert_ptr_null(acct_db_user(&db, "next")); /* stopped there */
        acct_db_done(&db);

        /* a long name is a name */
        text = mfree(text);
        gecos[150000] = 'g';
        ck_assert_int_ge(asprintf(&text, "%s:x:1000:1000::/home/long:/bin/bash\n", gecos), 0);
        ck_assert_int_eq(acct_parse_passwd(text, &db, &bad), 0);
        ck_assert_ptr_nonnull(acct_db_user(&db, gecos));
        acct_db_done(&db);
}
END_TEST

/* What the SSH module's own passwd and group readers were asked (they read through AcctDb now):
 * an empty shell is kept as it is (sshd runs /bin/sh; ssh-wayin.c says so), "adm" is not "admin",
 * membership by the member list and by the primary group, and a broken line is not skipped. */
START_TEST(test_parse_ssh_accounts) {
        static const char pw[] = "root:x:0:0:root:/root:/bin/bash\n"
                                 "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
                                 "adm:x:3:4::/var/adm:/bin/sh\n"
                                 "admin:x:1000:1000::/home/admin:\n";
        static const char gr[] = "wheel:x:10:bob,admin\nstaff:x:1000:\nops:x:20:\n";
        AcctDb db = {};
        unsigned bad = 0;
        const AcctUser *admin, *root;

        ck_assert_int_eq(acct_parse_passwd(pw, &db, &bad), 0);
        ck_assert_int_eq(acct_parse_group(gr, &db, &bad), 0);
        ck_assert_uint_eq(db.n_users, 4);
        admin = acct_db_user(&db, "admin");
        root = acct_db_user(&db, "root");
        ck_assert_ptr_nonnull(admin);
        ck_assert_ptr_nonnull(root);
        ck_assert_str_eq(admin->shell, "");
        ck_assert_uint_eq(admin->uid, 1000);
        ck_assert_str_eq(admin->home, "/home/admin");
        ck_assert_str_eq(acct_db_user(&db, "adm")->home, "/var/adm");
        ck_assert_ptr_null(acct_db_user(&db, "nobody"));
        ck_assert(acct_db_in_group(&db, admin, acct_db_group(&db, "wheel")));
        ck_assert(acct_db_in_group(&db, admin, acct_db_group(&db, "staff"))); /* primary group */
        ck_assert(!acct_db_in_group(&db, admin, acct_db_group(&db, "ops")));
        ck_assert(!acct_db_in_group(&db, root, acct_db_group(&db, "wheel")));
        acct_db_done(&db);

        ck_assert_int_eq(acct_parse_passwd("root:x:0:0:root:/root:/bin/bash\nbroken line\n"
                                           "admin:x:1000:1000::/home/admin:\n",
                                           &db, &bad),
                         -EBADMSG);
        ck_assert_uint_eq(bad, 2);
        acct_db_done(&db);
}
END_TEST

START_TEST(test_parse_group_shadow) {
        AcctDb db = {};
        unsigned bad = 0;
        const AcctGroup *g;

        ck_assert_int_eq(acct_parse_group("root:x:0:\nwheel:x:10:alice,admin\nusers:x:100:\n", &db, &bad), 0);
        ck_assert_uint_eq(db.n_groups, 3);
        g = acct_db_group(&db, "wheel");
        ck_assert_ptr_nonnull(g);
        ck_assert_uint_eq(g->gid, 10);
        ck_assert_uint_eq(strv_length(g->members), 2);
        ck_assert_str_eq(g->members[1], "admin");
        ck_assert_uint_eq(strv_length(acct_db_group(&db, "root")->members), 0);
        ck_assert_int_eq(acct_parse_group("bad:x:1\n", &db, &bad), -EBADMSG);

        ck_assert_int_eq(acct_parse_shadow("root:!*:19800:0:99999:7:::\nbin::19800:0:99999:7:::\n", &db, &bad), 0);
        ck_assert_str_eq(acct_db_shadow(&db, "root")->password, "!*");
        ck_assert_str_eq(acct_db_shadow(&db, "bin")->password, "");
        ck_assert_int_eq(acct_parse_shadow("root:!*:19800\n", &db, &bad), -EBADMSG);
        acct_db_done(&db);
}
END_TEST

START_TEST(test_membership_and_lock) {
        AcctDb db = {};

        ck_assert_int_eq(acct_parse_passwd("a:x:1000:1000::/home/a:/bin/sh\nb:x:1001:10::/home/b:/bin/sh\n"
                                           "c:x:1002:1002::/home/c:/bin/sh\n",
                                           &db, NULL),
                         0);
        ck_assert_int_eq(acct_parse_group("wheel:x:10:a\n", &db, NULL), 0);
        ck_assert(acct_db_in_group(&db, acct_db_user(&db, "a"), acct_db_group(&db, "wheel"))); /* listed */
        ck_assert(acct_db_in_group(&db, acct_db_user(&db, "b"), acct_db_group(&db, "wheel"))); /* primary */
        ck_assert(!acct_db_in_group(&db, acct_db_user(&db, "c"), acct_db_group(&db, "wheel")));
        acct_db_done(&db);

        ck_assert(acct_password_locked("!"));
        ck_assert(acct_password_locked("!*"));
        ck_assert(acct_password_locked("!$6$abc"));
        ck_assert(acct_password_locked("*"));
        ck_assert(acct_password_locked("*LK*"));
        ck_assert(!acct_password_locked(""));
        ck_assert(!acct_password_locked("$6$abc"));
}
END_TEST

/* ---- sudoers ---- */

START_TEST(test_sudoers_text) {
        AdminPolicy a = { .group = (char *) "wheel", .sudo = SUDO_NOPASSWD };
        char *t = NULL;

        ck_assert_int_eq(admin_sudoers_text(&a, &t), 0);
        ck_assert_ptr_nonnull(strstr(t, "\n%wheel ALL=(ALL:ALL) NOPASSWD: ALL\n"));
        ck_assert(endswith(t, "\n"));
        free(t);
        a.sudo = SUDO_PASSWORD;
        a.group = (char *) "admins";
        ck_assert_int_eq(admin_sudoers_text(&a, &t), 0);
        ck_assert_ptr_nonnull(strstr(t, "\n%admins ALL=(ALL:ALL) ALL\n"));
        ck_assert_ptr_null(strstr(t, "NOPASSWD"));
        free(t);
        a.group = (char *) "bad group";
        ck_assert_int_eq(admin_sudoers_text(&a, &t), -EINVAL);
        ck_assert_str_eq(ADMIN_SUDOERS_DROPIN, "/etc/sudoers.d/hardend");
        ck_assert_ptr_null(strchr(strrchr(ADMIN_SUDOERS_DROPIN, '/'), '.')); /* sudo skips names with a dot */
}
END_TEST

static const struct {
        const char *text;
        bool has;
} includedir_cases[] = {
        { "Defaults env_reset\n@includedir /etc/sudoers.d\n", true },
        { "#includedir /etc/sudoers.d\n", true },
        { "  @includedir\t/etc/sudoers.d  \n", true },
        { "@includedir /etc/sudoers.d", true },
        { "# includedir /etc/sudoers.d\n", false },
        { "## @includedir /etc/sudoers.d\n", false },
        { "@includedir /etc/sudoers.dd\n", false },
        { "@include /etc/sudoers.d\n", false },
        { "@includedir /etc/sudoers.d/x\n", false },
        { "", false },
};

START_TEST(test_sudoers_includedir) {
        char *t = NULL;

        ck_assert_int_eq(admin_sudoers_has_includedir(includedir_cases[_i].text), includedir_cases[_i].has);
        ck_assert_int_eq(admin_sudoers_add_includedir(includedir_cases[_i].text, &t), 0);
        ck_assert(admin_sudoers_has_includedir(t));
        ck_assert(startswith(t, includedir_cases[_i].text));
        ck_assert(endswith(t, "\n@includedir /etc/sudoers.d\n") || streq(t, "@includedir /etc/sudoers.d\n"));
        free(t);
}
END_TEST

/* ---- authorized_keys ---- */

static void parse_key(const char *line, SshKey *k) {
        ck_assert_int_eq(sshkey_parse_line(line, k, NULL), 0);
}

static const struct {
        const char *existing;
        const char *merged;
        size_t added;
} merge_cases[] = {
        { "", KEY "\n", 1 },
        { "# mine\n" OTHER, "# mine\n" OTHER "\n" KEY "\n", 1 },
        { "# mine\n" OTHER "\n", "# mine\n" OTHER "\n" KEY "\n", 1 },
        /* already there with other options and comment: kept byte for byte, even without final newline */
        { "from=\"192.0.2.0/24\" ssh-ed25519 " KEY_BLOB " renamed",
          "from=\"192.0.2.0/24\" ssh-ed25519 " KEY_BLOB " renamed", 0 },
        { "garbage line\n" KEY "\n", "garbage line\n" KEY "\n", 0 },
        { "garbage line", "garbage line\n" KEY "\n", 1 },
};

START_TEST(test_keys_merge) {
        SshKey k = {};
        char *out = NULL;
        size_t len = 0, added = 99;
        const char *e = merge_cases[_i].existing;

        parse_key(KEY, &k);
        ck_assert_int_eq(admin_keys_merge(e, strlen(e), &k, 1, &out, &len, &added), 0);
        ck_assert_str_eq(out, merge_cases[_i].merged);
        ck_assert_uint_eq(len, strlen(merge_cases[_i].merged));
        ck_assert_uint_eq(added, merge_cases[_i].added);
        ck_assert_int_eq(admin_keys_contain(out, len, &k), true);
        free(out);
        sshkey_done(&k);
}
END_TEST

START_TEST(test_key_format_subject) {
        SshKey k = {};
        char *s = NULL;

        parse_key("no-pty,from=\"192.0.2.1\" " KEY, &k);
        ck_assert_int_eq(admin_key_format(&k, &s), 0);
        ck_assert_str_eq(s, "no-pty,from=\"192.0.2.1\" " KEY);
        free(s);
        ck_assert_int_eq(admin_key_subject("admin", &k, &s), 0);
        ck_assert_str_eq(s, "admin ssh-ed25519 ...LZOYVK9nYe2c");
        free(s);
        sshkey_done(&k);
        parse_key("ssh-ed25519 " KEY_BLOB, &k);
        ck_assert_int_eq(admin_key_format(&k, &s), 0);
        ck_assert_str_eq(s, "ssh-ed25519 " KEY_BLOB);
        free(s);
        sshkey_done(&k);
}
END_TEST

static const struct {
        const char *home;
        bool sane;
} home_cases[] = {
        { "/home/admin", true },   { "/var/lib/admin", true }, { "/srv/admin/", true }, { "/", false },
        { "/root", false },        { "/home/", false },        { "/etc/admin", false }, { "/usr/admin", false },
        { "/home/../etc", false }, { "relative", false },      { "//etc/x", false },    { "/proc/1", false },
};

START_TEST(test_home_path_sane) {
        ck_assert_int_eq(admin_home_path_sane(home_cases[_i].home), home_cases[_i].sane);
}
END_TEST

/* ---- probe on fixture trees ---- */

static char root[] = "/tmp/test-accounts.XXXXXX";
/* The admin of the fixture: ourselves, or 1000 when the tests run as root (UID 0 would be a finding). */
static uid_t admin_uid(void) {
        return getuid() == 0 ? 1000 : getuid();
}
static gid_t admin_gid(void) {
        return getuid() == 0 ? 1000 : getgid();
}
static Policy *policy;

static void write_at(const char *rel, const char *text, mode_t mode) {
        char *p = NULL;
        FILE *f;

        ck_assert_int_ge(asprintf(&p, "%s/%s", root, rel), 0);
        (void) unlink(p); /* a read-only file (0440) could not be opened for writing without root */
        f = fopen(p, "we");
        ck_assert_ptr_nonnull(f);
        ck_assert_int_eq(fputs(text, f) >= 0, 1);
        ck_assert_int_eq(fclose(f), 0);
        ck_assert_int_eq(chmod(p, mode), 0);
        if (getuid() == 0 && startswith(rel, "home/"))
                ck_assert_int_eq(lchown(p, admin_uid(), admin_gid()), 0);
        free(p);
}

static void mkdir_at(const char *rel, mode_t mode) {
        char *p = NULL;

        ck_assert_int_ge(asprintf(&p, "%s/%s", root, rel), 0);
        ck_assert_int_eq(mkdir(p, mode), 0);
        ck_assert_int_eq(chmod(p, mode), 0);
        free(p);
}

static void chmod_at(const char *rel, mode_t mode) {
        char *p = NULL;

        ck_assert_int_ge(asprintf(&p, "%s/%s", root, rel), 0);
        ck_assert_int_eq(chmod(p, mode), 0);
        free(p);
}

static void chown_at(const char *rel) {
        char *p = NULL;

        ck_assert_int_ge(asprintf(&p, "%s/%s", root, rel), 0);
        ck_assert_int_eq(lchown(p, admin_uid(), admin_gid()), 0);
        free(p);
}

static void unlink_at(const char *rel) {
        char *p = NULL;

        ck_assert_int_ge(asprintf(&p, "%s/%s", root, rel), 0);
        ck_assert_int_eq(unlink(p), 0);
        free(p);
}

static void link_at(const char *rel, const char *rel_new) {
        char *p = NULL, *q = NULL;

        ck_assert_int_ge(asprintf(&p, "%s/%s", root, rel), 0);
        ck_assert_int_ge(asprintf(&q, "%s/%s", root, rel_new), 0);
        ck_assert_int_eq(link(p, q), 0);
        free(p);
        free(q);
}

/* A compliant tree; the admin is the test's own uid so that no root is needed. */
static void setup_tree(void) {
        char *s = NULL, *dropin = NULL;

        (void) snprintf(root, sizeof(root), "%s", "/tmp/test-accounts.XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(root));
        policy = test_policy_load(policy_text);
        mkdir_at("etc", 0755);
        mkdir_at("etc/sudoers.d", 0755);
        mkdir_at("home", 0755);
        mkdir_at("home/admin", 0755);
        mkdir_at("home/admin/.ssh", 0700);
        ck_assert_int_ge(asprintf(&s, "root:x:0:0:root:/root:/bin/bash\nadmin:x:%u:%u::/home/admin:/bin/bash\n",
                                  (unsigned) admin_uid(), (unsigned) admin_gid()),
                         0);
        write_at("etc/passwd", s, 0644);
        free(s);
        ck_assert_int_ge(asprintf(&s, "root:x:0:\nwheel:x:%u:admin\n", (unsigned) admin_gid() + 1), 0);
        write_at("etc/group", s, 0644);
        free(s);
        write_at("etc/shadow", "root:!*:19800:0:99999:7:::\nadmin:!:19800:0:99999:7:::\n", 0640);
        write_at("etc/sudoers", "Defaults env_reset\n@includedir /etc/sudoers.d\n", 0440);
        ck_assert_int_eq(admin_sudoers_text(&policy->admin, &dropin), 0);
        write_at("etc/sudoers.d/hardend", dropin, 0440);
        free(dropin);
        write_at("home/admin/.ssh/authorized_keys", OTHER "\n" KEY "\n", 0600);
        if (getuid() == 0) {
                chown_at("home/admin");
                chown_at("home/admin/.ssh");
                chown_at("home/admin/.ssh/authorized_keys");
        }
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(p);
}

static void teardown_tree(void) {
        (void) nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        policy = policy_free(policy);
}

static FindingList probe(void) {
        Context c = { .policy = policy, .root = root };
        FindingList l = {};

        ck_assert_int_eq(admin_probe(&c, &l), 0);
        return l;
}

static const Finding *find(const FindingList *l, const char *check, const char *subject) {
        for (size_t i = 0; i < l->n; i++)
                if (streq(l->items[i].module, "admin") && streq(l->items[i].check, check) &&
                    (!subject || streq(l->items[i].subject, subject)))
                        return &l->items[i];
        return NULL;
}

/* The drop-in cannot be root-owned in a tree written without root. */
static size_t count_drift(const FindingList *l) {
        size_t n = 0;

        for (size_t i = 0; i < l->n; i++)
                if (!(getuid() != 0 && streq(l->items[i].check, "sudoers-dropin")))
                        n++;
        return n;
}

START_TEST(test_probe_compliant) {
        FindingList l = probe();

        for (size_t i = 0; i < l.n; i++)
                fprintf(stderr, "finding: %s %s %s\n", l.items[i].check, l.items[i].subject, strna(l.items[i].actual));
        ck_assert_uint_eq(count_drift(&l), 0);
        finding_list_done(&l);
}
END_TEST

START_TEST(test_probe_missing_user_group) {
        FindingList l;

        write_at("etc/passwd", "root:x:0:0:root:/root:/bin/bash\n", 0644);
        write_at("etc/group", "root:x:0:\n", 0644);
        l = probe();
        ck_assert_ptr_nonnull(find(&l, "user-missing", "admin"));
        ck_assert_ptr_nonnull(find(&l, "group-missing", "wheel"));
        ck_assert_ptr_nonnull(find(&l, "membership", "admin in wheel"));
        ck_assert_ptr_nonnull(find(&l, "authorized-key", "admin ssh-ed25519 ...LZOYVK9nYe2c"));
        ck_assert(find(&l, "user-missing", NULL)->fixable);
        finding_list_done(&l);
}
END_TEST

START_TEST(test_probe_membership_and_key) {
        FindingList l;

        write_at("etc/group", "root:x:0:\nwheel:x:4242:\n", 0644);
        write_at("home/admin/.ssh/authorized_keys", OTHER "\n", 0600);
        l = probe();
        ck_assert_ptr_nonnull(find(&l, "membership", "admin in wheel"));
        ck_assert_ptr_nonnull(find(&l, "authorized-key", "admin ssh-ed25519 ...LZOYVK9nYe2c"));
        ck_assert_ptr_null(find(&l, "user-missing", NULL));
        ck_assert_uint_eq(count_drift(&l), 2);
        finding_list_done(&l);
}
END_TEST

START_TEST(test_probe_backdoors) {
        FindingList l;
        char *s = NULL;
        const Finding *f;

        ck_assert_int_ge(asprintf(&s,
                                  "root:x:0:0:root:/root:/bin/bash\nadmin:x:%u:%u::/home/admin:/bin/bash\n"
                                  "toor:x:0:0::/root:/bin/sh\nguest::1002:1002::/tmp:/bin/sh\n",
                                  (unsigned) admin_uid(), (unsigned) admin_gid()),
                         0);
        write_at("etc/passwd", s, 0644);
        free(s);
        write_at("etc/shadow",
                 "root:!*:19800:0:99999:7:::\nadmin:!:19800:0:99999:7:::\ntoor:*:1::::::\nbin::1::::::\n", 0640);
        l = probe();
        f = find(&l, "uid0", "toor");
        ck_assert_ptr_nonnull(f);
        ck_assert(!f->fixable);
        ck_assert_int_eq(f->severity, SEVERITY_HIGH);
        ck_assert_ptr_null(find(&l, "uid0", "root"));
        f = find(&l, "empty-password", "bin");
        ck_assert_ptr_nonnull(f);
        ck_assert(!f->fixable);
        ck_assert_int_eq(f->severity, SEVERITY_HIGH);
        ck_assert_ptr_nonnull(find(&l, "empty-password", "guest"));
        ck_assert_ptr_null(find(&l, "empty-password", "admin"));
        ck_assert_uint_eq(count_drift(&l), 3);
        finding_list_done(&l);
}
END_TEST

START_TEST(test_probe_modes) {
        FindingList l;

        chmod_at("home/admin/.ssh", 0777);
        chmod_at("home/admin/.ssh/authorized_keys", 0644);
        chmod_at("home/admin", 0775);
        l = probe();
        ck_assert_ptr_nonnull(find(&l, "ssh-dir", "/home/admin/.ssh"));
        ck_assert(endswith(find(&l, "ssh-dir", NULL)->actual, "mode 0777"));
        ck_assert(endswith(find(&l, "authorized-keys-file", "/home/admin/.ssh/authorized_keys")->actual, "mode 0644"));
        ck_assert_ptr_nonnull(find(&l, "home", "/home/admin"));
        ck_assert(find(&l, "home", NULL)->fixable);
        ck_assert_ptr_null(find(&l, "authorized-key", NULL)); /* the key is there */
        finding_list_done(&l);
}
END_TEST

START_TEST(test_probe_symlinks) {
        FindingList l;
        char *p = NULL;
        const Finding *f;

        ck_assert_int_ge(asprintf(&p, "%s/home/admin/.ssh/authorized_keys", root), 0);
        ck_assert_int_eq(unlink(p), 0);
        ck_assert_int_eq(symlink("/etc/shadow", p), 0);
        free(p);
        l = probe();
        f = find(&l, "authorized-keys-file", "/home/admin/.ssh/authorized_keys");
        ck_assert_ptr_nonnull(f);
        ck_assert(!f->fixable);
        ck_assert_str_eq(f->actual, "a symlink to /etc/shadow");
        f = find(&l, "authorized-key", NULL);
        ck_assert_ptr_nonnull(f); /* not read through the link: unknown, so to be written */
        ck_assert(f->fixable);
        finding_list_done(&l);

        /* a hard link is not read either (it could be /etc/shadow's inode) */
        unlink_at("home/admin/.ssh/authorized_keys");
        write_at("home/admin/.ssh/authorized_keys", KEY "\n", 0600);
        link_at("home/admin/.ssh/authorized_keys", "etc/hardlink");
        l = probe();
        f = find(&l, "authorized-keys-file", NULL);
        ck_assert_ptr_nonnull(f);
        ck_assert(!f->fixable);
        ck_assert_str_eq(f->actual, "a hard link (2 links)");
        finding_list_done(&l);
}
END_TEST

START_TEST(test_probe_symlinked_home) {
        FindingList l;
        char *p = NULL, *t = NULL;
        const Finding *f;

        ck_assert_int_ge(asprintf(&p, "%s/home/admin", root), 0);
        ck_assert_int_ge(asprintf(&t, "%s/home/elsewhere", root), 0);
        ck_assert_int_eq(rename(p, t), 0);
        ck_assert_int_eq(symlink("/etc", p), 0);
        l = probe();
        f = find(&l, "home", "/home/admin");
        ck_assert_ptr_nonnull(f);
        ck_assert(!f->fixable);
        ck_assert_str_eq(f->actual, "a symlink to /etc");
        finding_list_done(&l);
        free(p);
        free(t);
}
END_TEST

START_TEST(test_probe_sudo_and_root) {
        FindingList l;

        write_at("etc/sudoers", "Defaults env_reset\n# includedir /etc/sudoers.d\n", 0440);
        write_at("etc/sudoers.d/hardend", "%wheel ALL=(ALL) ALL\n", 0440);
        write_at("etc/shadow", "root:$6$abc$def:19800:0:99999:7:::\nadmin:!:19800:0:99999:7:::\n", 0640);
        l = probe();
        ck_assert_ptr_nonnull(find(&l, "sudoers-includedir", "/etc/sudoers"));
        ck_assert_str_eq(find(&l, "sudoers-dropin", "/etc/sudoers.d/hardend")->actual, "changed");
        ck_assert_ptr_nonnull(find(&l, "root-password", "root"));
        ck_assert(find(&l, "root-password", "root")->fixable);
        finding_list_done(&l);

        write_at("etc/shadow", "root:*:19800:0:99999:7:::\nadmin:!:19800:0:99999:7:::\n", 0640);
        unlink_at("etc/sudoers.d/hardend");
        l = probe();
        ck_assert_str_eq(find(&l, "sudoers-dropin", NULL)->actual, "missing");
        ck_assert_ptr_null(find(&l, "root-password", NULL)); /* "*": locked, as passwd -S says */
        finding_list_done(&l);

        write_at("etc/shadow", "root::19800:0:99999:7:::\nadmin:!:19800:0:99999:7:::\n", 0640);
        l = probe();
        ck_assert_str_eq(find(&l, "root-password", NULL)->actual, "unlocked"); /* empty: no password at all */
        finding_list_done(&l);
}
END_TEST

START_TEST(test_probe_unreadable_db) {
        FindingList l;

        write_at("etc/passwd", "root:x:0:0:root:/root:/bin/bash\nbroken line\n", 0644);
        l = probe();
        ck_assert_uint_eq(l.n, 1);
        ck_assert_int_eq(l.items[0].kind, FINDING_UNKNOWN);
        ck_assert_str_eq(l.items[0].subject, "/etc/passwd:2");
        finding_list_done(&l);
}
END_TEST

int main(void) {
        Suite *s = suite_create("accounts");
        TCase *pure = tcase_create("pure"), *tree = tcase_create("probe");

        tcase_add_test(pure, test_parse_passwd);
        tcase_add_loop_test(pure, test_parse_passwd_bad, 0, ELEMENTSOF(bad_passwd));
        tcase_add_test(pure, test_parse_group_shadow);
        tcase_add_loop_test(pure, test_parse_group_shadow_bad, 0, ELEMENTSOF(bad_group_shadow));
        tcase_add_test(pure, test_parse_long_line);
        tcase_add_test(pure, test_parse_ssh_accounts);
        tcase_add_test(pure, test_membership_and_lock);
        tcase_add_test(pure, test_sudoers_text);
        tcase_add_loop_test(pure, test_sudoers_includedir, 0, ELEMENTSOF(includedir_cases));
        tcase_add_loop_test(pure, test_keys_merge, 0, ELEMENTSOF(merge_cases));
        tcase_add_test(pure, test_key_format_subject);
        tcase_add_loop_test(pure, test_home_path_sane, 0, ELEMENTSOF(home_cases));
        suite_add_tcase(s, pure);

        tcase_add_checked_fixture(tree, setup_tree, teardown_tree);
        tcase_add_test(tree, test_probe_compliant);
        tcase_add_test(tree, test_probe_missing_user_group);
        tcase_add_test(tree, test_probe_membership_and_key);
        tcase_add_test(tree, test_probe_backdoors);
        tcase_add_test(tree, test_probe_modes);
        tcase_add_test(tree, test_probe_symlinks);
        tcase_add_test(tree, test_probe_symlinked_home);
        tcase_add_test(tree, test_probe_sudo_and_root);
        tcase_add_test(tree, test_probe_unreadable_db);
        suite_add_tcase(s, tree);
        return test_run_suite(s);
}
