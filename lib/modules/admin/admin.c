/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "admin-policy.h"
#include "admin-apply.h"
#include "admin-plan.h"
#include "admin.h"
#include "acctdb.h"
#include "sys/fileio.h"

/* ---- the pure part: what the files should hold ---- */

int admin_sudoers_text(const AdminPolicy *a, char **ret) {
        const char *tag = a->sudo == SUDO_NOPASSWD ? "NOPASSWD: " : "";

        if (!a->group || !valid_user_name(a->group))
                return -EINVAL;
        if (asprintf(ret,
                     "# Written by hardend from its policy (admin.sudo = \"%s\"); local changes are reverted.\n"
                     "%%%s ALL=(ALL:ALL) %sALL\n",
                     sudo_mode_to_string(a->sudo), a->group, tag) < 0)
                return -ENOMEM;
        return 0;
}

static bool is_includedir_line(const char *line, size_t len) {
        const char *end = line + len, *p = line, *q;

        while (p < end && (*p == ' ' || *p == '\t'))
                p++;
        if ((size_t) (end - p) > strlen("@includedir") &&
            (memcmp(p, "@includedir", 11) == 0 || memcmp(p, "#includedir", 11) == 0))
                p += 11;
        else
                return false;
        if (p >= end || (*p != ' ' && *p != '\t'))
                return false;
        while (p < end && (*p == ' ' || *p == '\t'))
                p++;
        q = end;
        while (q > p && (q[-1] == ' ' || q[-1] == '\t' || q[-1] == '\r'))
                q--;
        return (size_t) (q - p) == strlen(ADMIN_SUDOERS_DIR) && memcmp(p, ADMIN_SUDOERS_DIR, (size_t) (q - p)) == 0;
}

bool admin_sudoers_has_includedir(const char *text) {
        for (const char *l = text; l && *l;) {
                const char *nl = strchr(l, '\n');
                size_t len = nl ? (size_t) (nl - l) : strlen(l);

                if (is_includedir_line(l, len))
                        return true;
                l = nl ? nl + 1 : NULL;
        }
        return false;
}

int admin_sudoers_add_includedir(const char *text, char **ret) {
        size_t l = strlen(text);

        if (asprintf(ret, "%s%s@includedir " ADMIN_SUDOERS_DIR "\n", text, l > 0 && text[l - 1] != '\n' ? "\n" : "") <
            0)
                return -ENOMEM;
        return 0;
}

int admin_key_format(const SshKey *k, char **ret) {
        if (!k->type || !k->blob)
                return -EINVAL;
        if (asprintf(ret, "%s%s%s %s%s%s", strempty(k->options), k->options ? " " : "", k->type, k->blob,
                     k->comment ? " " : "", strempty(k->comment)) < 0)
                return -ENOMEM;
        return 0;
}

bool admin_keys_contain(const char *text, size_t len, const SshKey *key) {
        const char *end = text + len;

        for (const char *l = text; l < end;) {
                const char *nl = memchr(l, '\n', (size_t) (end - l));
                size_t n = nl ? (size_t) (nl - l) : (size_t) (end - l);
                _cleanup_free_ char *line = strndup(l, n);
                SshKey k = {};
                bool same;

                l = nl ? nl + 1 : end;
                if (!line || sshkey_parse_line(line, &k, NULL) < 0)
                        continue;
                same = sshkey_equal(&k, key);
                sshkey_done(&k);
                if (same)
                        return true;
        }
        return false;
}

int admin_keys_merge(const char *text, size_t len, const SshKey *keys, size_t n_keys, char **ret, size_t *ret_len,
                     size_t *ret_added) {
        _cleanup_free_ char *buf = NULL;
        size_t n = 0, added = 0;
        FILE *f;

        f = open_memstream(&buf, &n);
        if (!f)
                return -ENOMEM;
        if (len > 0)
                (void) fwrite(text, 1, len, f);
        if (len > 0 && text[len - 1] != '\n')
                (void) fputc('\n', f);
        for (size_t i = 0; i < n_keys; i++) {
                _cleanup_free_ char *line = NULL;

                if (admin_keys_contain(text, len, &keys[i]))
                        continue;
                /* the same key twice in the policy is a config error, so no need to look in buf */
                if (admin_key_format(&keys[i], &line) < 0) {
                        (void) fclose(f);
                        return -ENOMEM;
                }
                (void) fprintf(f, "%s\n", line);
                added++;
        }
        if (fclose(f) != 0 || !buf)
                return -ENOMEM;
        if (added == 0) { /* keep the text exactly as it was, even without a final newline */
                free(buf);
                buf = malloc(len + 1);
                if (!buf)
                        return -ENOMEM;
                memcpy(buf, text, len);
                buf[len] = 0;
                n = len;
        }
        *ret = TAKE_PTR(buf);
        if (ret_len)
                *ret_len = n;
        if (ret_added)
                *ret_added = added;
        return 0;
}

int admin_key_subject(const char *user, const SshKey *k, char **ret) {
        size_t l = strlen(k->blob);
        const char *tail = l > 12 ? k->blob + l - 12 : k->blob;

        if (asprintf(ret, "%s %s ...%s", user, k->type, tail) < 0)
                return -ENOMEM;
        return 0;
}

/* ---- the probe: read the image's files, compare with the policy ---- */

static int add(FindingList *out, const char *check, const char *subject, Severity severity, bool fixable,
               const char *expected, const char *actual) {
        return finding_add(out, &(Finding){ .module = (char *) "admin",
                                            .check = (char *) check,
                                            .subject = (char *) subject,
                                            .kind = FINDING_DRIFT,
                                            .severity = severity,
                                            .fixable = fixable,
                                            .expected = (char *) expected,
                                            .actual = (char *) actual });
}

static int add_unknown(FindingList *out, const char *check, const char *subject, const char *fmt, int r) {
        _cleanup_free_ char *why = NULL;

        if (asprintf(&why, fmt, strerror(-r)) < 0)
                return -ENOMEM;
        return finding_add(out, &(Finding){ .module = (char *) "admin",
                                            .check = (char *) check,
                                            .subject = (char *) subject,
                                            .kind = FINDING_UNKNOWN,
                                            .severity = SEVERITY_MEDIUM,
                                            .actual = why });
}

static int describe_owner_mode(const struct stat *st, char **ret) {
        return asprintf(ret, "owner %u:%u, mode %04o", (unsigned) st->st_uid, (unsigned) st->st_gid,
                        (unsigned) (st->st_mode & 07777)) < 0
                       ? -ENOMEM
                       : 0;
}

/* A path that is a symlink or not of the wanted type: sshd would not use it and we must not write
 * through it. */
static int describe_odd(const char *root, const char *path, const struct stat *st, char **ret) {
        _cleanup_free_ char *target = NULL;

        if (S_ISLNK(st->st_mode)) {
                (void) readlink_at_root(root, path, &target);
                return asprintf(ret, "a symlink to %s", strna(target)) < 0 ? -ENOMEM : 0;
        }
        *ret = strdup(S_ISDIR(st->st_mode) ? "a directory" : "not a directory");
        return *ret ? 0 : -ENOMEM;
}

static int probe_keys(const Context *c, const char *ak, const char *unread, FindingList *out) {
        const AdminPolicy *a = &c->policy->admin;
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r;

        if (!unread && a->n_keys > 0) {
                r = read_file_at_root(c->root, ak, true, READ_FILE_MAX, &text, &len);
                if (r == -ENOENT)
                        unread = "no authorized_keys file";
                else if (r < 0)
                        return add_unknown(out, "authorized-key", ak, "cannot read authorized_keys: %s", r);
        }
        for (size_t i = 0; i < a->n_keys; i++) {
                _cleanup_free_ char *subject = NULL;

                if (!unread && admin_keys_contain(text, len, &a->keys[i]))
                        continue;
                r = admin_key_subject(a->user, &a->keys[i], &subject);
                if (r < 0)
                        return r;
                r = add(out, "authorized-key", subject, SEVERITY_HIGH, true, "present", unread ?: "missing");
                if (r < 0)
                        return r;
        }
        return 0;
}

/* home, ~/.ssh and authorized_keys as sshd's StrictModes wants them, and the policy's keys. */
static int probe_home(const Context *c, const AcctUser *u, FindingList *out) {
        const AdminPolicy *a = &c->policy->admin;
        _cleanup_free_ char *ssh = NULL, *ak = NULL, *what = NULL, *expected = NULL;
        struct stat st;
        int r;

        if (!u->home || u->home[0] != '/' || streq(u->home, "/"))
                return add(out, "home", a->user, SEVERITY_HIGH, false, "a home directory below /", u->home);
        if (asprintf(&ssh, "%s/.ssh", u->home) < 0 || asprintf(&ak, "%s/.ssh/authorized_keys", u->home) < 0)
                return -ENOMEM;

        r = lstat_at_root(c->root, u->home, &st);
        if (r == -ENOENT)
                return add(out, "home", u->home, SEVERITY_HIGH, admin_home_path_sane(u->home),
                           "a directory owned by the user", "missing")
                               ?: probe_keys(c, ak, "no home directory", out);
        if (r < 0)
                return add_unknown(out, "home", u->home, "cannot inspect: %s", r);
        if (!S_ISDIR(st.st_mode)) {
                r = describe_odd(c->root, u->home, &st, &what);
                if (r < 0)
                        return r;
                return add(out, "home", u->home, SEVERITY_HIGH, false, "a directory owned by the user", what)
                               ?: probe_keys(c, ak, "home is not a directory", out);
        }
        if (st.st_uid != u->uid || (st.st_mode & 022)) {
                bool fixable = admin_home_path_sane(u->home);

                if (describe_owner_mode(&st, &what) < 0 ||
                    asprintf(&expected, "owner %u, not group or world writable", (unsigned) u->uid) < 0)
                        return -ENOMEM;
                r = add(out, "home", u->home, SEVERITY_HIGH, fixable, expected, what);
                if (r < 0)
                        return r;
        }

        r = lstat_at_root(c->root, ssh, &st);
        if (r == -ENOENT)
                return (a->n_keys > 0 ? add(out, "ssh-dir", ssh, SEVERITY_HIGH, true, "mode 0700", "missing") : 0)
                               ?: probe_keys(c, ak, "no ~/.ssh", out);
        if (r < 0)
                return add_unknown(out, "ssh-dir", ssh, "cannot inspect: %s", r);
        if (!S_ISDIR(st.st_mode)) {
                free(what);
                what = NULL;
                r = describe_odd(c->root, ssh, &st, &what);
                if (r < 0)
                        return r;
                return add(out, "ssh-dir", ssh, SEVERITY_HIGH, false, "a directory, mode 0700", what)
                               ?: probe_keys(c, ak, "~/.ssh is not a directory", out);
        }
        if (st.st_uid != u->uid || st.st_gid != u->gid || (st.st_mode & 07777) != ADMIN_SSH_DIR_MODE) {
                free(what);
                free(expected);
                what = expected = NULL;
                if (describe_owner_mode(&st, &what) < 0 ||
                    asprintf(&expected, "owner %u:%u, mode %04o", (unsigned) u->uid, (unsigned) u->gid,
                             ADMIN_SSH_DIR_MODE) < 0)
                        return -ENOMEM;
                r = add(out, "ssh-dir", ssh, SEVERITY_HIGH, true, expected, what);
                if (r < 0)
                        return r;
        }

        r = lstat_at_root(c->root, ak, &st);
        if (r == -ENOENT)
                return probe_keys(c, ak, NULL, out);
        if (r < 0)
                return add_unknown(out, "authorized-keys-file", ak, "cannot inspect: %s", r);
        free(what);
        free(expected);
        what = expected = NULL;
        if (!S_ISREG(st.st_mode) || st.st_nlink > 1) {
                r = S_ISREG(st.st_mode)
                            ? (asprintf(&what, "a hard link (%ju links)", (uintmax_t) st.st_nlink) < 0 ? -ENOMEM : 0)
                            : describe_odd(c->root, ak, &st, &what);
                if (r < 0)
                        return r;
                return add(out, "authorized-keys-file", ak, SEVERITY_HIGH, false, "a regular file, mode 0600", what)
                               ?: probe_keys(c, ak, "authorized_keys is not a plain file; not read", out);
        }
        if (st.st_uid != u->uid || st.st_gid != u->gid || (st.st_mode & 07777) != ADMIN_AUTHORIZED_KEYS_MODE) {
                if (describe_owner_mode(&st, &what) < 0 ||
                    asprintf(&expected, "owner %u:%u, mode %04o", (unsigned) u->uid, (unsigned) u->gid,
                             ADMIN_AUTHORIZED_KEYS_MODE) < 0)
                        return -ENOMEM;
                r = add(out, "authorized-keys-file", ak, SEVERITY_HIGH, true, expected, what);
                if (r < 0)
                        return r;
        }
        return probe_keys(c, ak, NULL, out);
}

static int probe_sudo(const Context *c, FindingList *out) {
        const AdminPolicy *a = &c->policy->admin;
        _cleanup_free_ char *main_text = NULL, *want = NULL, *have = NULL, *what = NULL;
        size_t have_len = 0;
        struct stat st;
        int r;

        r = read_file_at_root(c->root, ADMIN_SUDOERS, true, READ_FILE_MAX, &main_text, NULL);
        if (r == -ENOENT)
                return add_unknown(out, "sudoers", ADMIN_SUDOERS, "%s (is sudo installed?)", r);
        if (r < 0)
                return add_unknown(out, "sudoers", ADMIN_SUDOERS, "cannot read: %s", r);
        if (!admin_sudoers_has_includedir(main_text)) {
                r = add(out, "sudoers-includedir", ADMIN_SUDOERS, SEVERITY_HIGH, true,
                        "@includedir " ADMIN_SUDOERS_DIR, "missing");
                if (r < 0)
                        return r;
        }

        r = admin_sudoers_text(a, &want);
        if (r < 0)
                return r;
        r = lstat_at_root(c->root, ADMIN_SUDOERS_DROPIN, &st);
        if (r == -ENOENT)
                return add(out, "sudoers-dropin", ADMIN_SUDOERS_DROPIN, SEVERITY_HIGH, true, "present", "missing");
        if (r < 0)
                return add_unknown(out, "sudoers-dropin", ADMIN_SUDOERS_DROPIN, "cannot inspect: %s", r);
        if (!S_ISREG(st.st_mode)) {
                r = describe_odd(c->root, ADMIN_SUDOERS_DROPIN, &st, &what);
                return r < 0 ? r
                             : add(out, "sudoers-dropin", ADMIN_SUDOERS_DROPIN, SEVERITY_HIGH, true, "a regular file",
                                   what);
        }
        r = read_file_at_root(c->root, ADMIN_SUDOERS_DROPIN, true, READ_FILE_MAX, &have, &have_len);
        if (r < 0)
                return add_unknown(out, "sudoers-dropin", ADMIN_SUDOERS_DROPIN, "cannot read: %s", r);
        if (have_len != strlen(want) || memcmp(have, want, have_len) != 0)
                return add(out, "sudoers-dropin", ADMIN_SUDOERS_DROPIN, SEVERITY_HIGH, true, "as the policy says",
                           "changed");
        if (st.st_uid != 0 || st.st_gid != 0 || (st.st_mode & 07777) != ADMIN_SUDOERS_DROPIN_MODE) {
                r = describe_owner_mode(&st, &what);
                return r < 0 ? r
                             : add(out, "sudoers-dropin", ADMIN_SUDOERS_DROPIN, SEVERITY_HIGH, true,
                                   "owner 0:0, mode 0440", what);
        }
        return 0;
}

/* Classic backdoors, reported only: a second UID 0 and accounts without a password. */
static int probe_backdoors(const AcctDb *db, FindingList *out) {
        int r;

        for (size_t i = 0; i < db->n_users; i++) {
                const AcctUser *u = &db->users[i];

                if (u->uid == 0 && !streq(u->name, "root")) {
                        r = add(out, "uid0", u->name, SEVERITY_HIGH, false, "only root has UID 0", "UID 0");
                        if (r < 0)
                                return r;
                }
                if (isempty(u->passwd)) {
                        r = add(out, "empty-password", u->name, SEVERITY_HIGH, false, "a password or a lock",
                                "empty password field in /etc/passwd");
                        if (r < 0)
                                return r;
                }
        }
        for (size_t i = 0; i < db->n_shadows; i++) {
                const AcctShadow *s = &db->shadows[i];
                const AcctUser *u = acct_db_user(db, s->name);

                if (!isempty(s->password) || (u && isempty(u->passwd)))
                        continue;
                r = add(out, "empty-password", s->name, SEVERITY_HIGH, false, "a password or a lock",
                        "empty password field in /etc/shadow");
                if (r < 0)
                        return r;
        }
        return 0;
}

int admin_probe(Context *c, FindingList *out) {
        const AdminPolicy *a = &c->policy->admin;
        _cleanup_(acct_db_done) AcctDb db = {};
        _cleanup_free_ char *what = NULL, *membership = NULL;
        const AcctUser *u;
        const AcctGroup *g;
        int r;

        r = acct_db_load(c->root, &db, &what);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return add_unknown(out, "accounts", strna(what),
                                   r == -EBADMSG ? "malformed line: %s" : "cannot read: %s", r);

        g = acct_db_group(&db, a->group);
        if (!g) {
                r = add(out, "group-missing", a->group, SEVERITY_HIGH, true, "present", "missing");
                if (r < 0)
                        return r;
        }
        u = acct_db_user(&db, a->user);
        if (!u) {
                r = add(out, "user-missing", a->user, SEVERITY_HIGH, true, "present", "missing");
                if (r < 0)
                        return r;
        }
        if (asprintf(&membership, "%s in %s", a->user, a->group) < 0)
                return -ENOMEM;
        if (!u || !g || !acct_db_in_group(&db, u, g)) {
                r = add(out, "membership", membership, SEVERITY_HIGH, true, "member", "not a member");
                if (r < 0)
                        return r;
        }
        r = u ? probe_home(c, u, out) : probe_keys(c, "", "no such user", out);
        if (r < 0)
                return r;

        if (a->sudo == SUDO_PASSWORD && a->password_hash) {
                const AcctShadow *s = u ? acct_db_shadow(&db, u->name) : NULL;

                if (!s || !streq(s->password, a->password_hash)) {
                        r = add(out, "password", a->user, SEVERITY_MEDIUM, true, "admin.password_hash",
                                !s ? "no shadow entry" : "a different password");
                        if (r < 0)
                                return r;
                }
        }

        r = probe_sudo(c, out);
        if (r < 0)
                return r;

        if (a->lock_root_password) {
                const AcctShadow *s = acct_db_shadow(&db, "root");

                if (!s)
                        r = add_unknown(out, "root-password", "root", "no shadow entry for root: %s", -ENOENT);
                else if (!acct_password_locked(s->password))
                        r = add(out, "root-password", "root", SEVERITY_HIGH, true, "locked", "unlocked");
                if (r < 0)
                        return r;
        }

        return probe_backdoors(&db, out);
}

static bool admin_enabled(const Policy *p) {
        return p->admin.enable;
}

/* The admin's home from ROOT/etc/passwd alone (group and shadow do not matter here); -ENOENT when
 * there is no such user, -EBADMSG (see acctdb.h) when passwd has a malformed line. */
static int admin_home(const char *root, const char *user, char **ret) {
        _cleanup_(acct_db_done) AcctDb db = {};
        _cleanup_free_ char *text = NULL;
        const AcctUser *u;
        char *home;
        int r;

        r = read_file_at_root(root, "/etc/passwd", true, READ_FILE_MAX, &text, NULL);
        if (r < 0)
                return r;
        r = acct_parse_passwd(text, &db, NULL);
        if (r < 0)
                return r;
        u = acct_db_user(&db, user);
        if (!u)
                return -ENOENT;
        if (u->home[0] != '/')
                return -EBADMSG;
        home = strdup(u->home);
        if (!home)
                return -ENOMEM;
        *ret = home;
        return 0;
}

/* Module.watch: the account files, sudoers and sudoers.d, and the admin's ~/.ssh. */
static int admin_watch(Context *c, WatchSpec **l, size_t *n) {
        static const char *const etc_names[] = {
                "passwd", "group", "shadow", "gshadow", "sudoers", "sudoers.d", NULL
        };
        const AdminPolicy *a = &c->policy->admin;
        _cleanup_free_ char *home = NULL, *ssh = NULL;
        int r;

        r = watch_spec_add(l, n, "/etc", etc_names);
        if (r >= 0)
                r = watch_spec_add(l, n, ADMIN_SUDOERS_DIR, NULL);
        if (r < 0 || !a->enable || !a->user)
                return r;
        r = admin_home(c->root, a->user, &home);
        /* no admin yet (the policy creates it), or passwd cannot be read: the watch on /etc/passwd
         * sees it arrive or get fixed */
        if (r < 0 || streq(home, "/"))
                return r == -ENOMEM ? r : 0;
        if (asprintf(&ssh, "%s/.ssh", home) < 0)
                return -ENOMEM;
        r = watch_spec_add(l, n, home, (const char *const[]){ ".ssh", NULL });
        return r < 0 ? r : watch_spec_add(l, n, ssh, NULL);
}

const Module admin_module = {
        .id = MODULE_ADMIN,
        .name = "admin",
        .policy = &admin_policy_section,
        .enabled = admin_enabled,
        .probe = admin_probe,
        .preflight = admin_preflight,
        .apply = admin_apply,
        .snapshot_paths = admin_snapshot_paths,
        .provide = admin_provide,
        .watch = admin_watch,
};
