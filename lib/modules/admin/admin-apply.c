/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin-apply.h"
#include "admin.h"
#include "acctdb.h"
#include "strv.h"
#include "sys/accounts-tools.h"
#include "sys/fileio.h"

bool admin_home_path_sane(const char *home) {
        static const char *const system_dirs[] = { "bin",    "boot", "dev", "etc",  "lib", "lib32", "lib64",
                                                   "libx32", "proc", "run", "sbin", "sys", "usr" };
        const char *second;
        size_t first_len;

        if (!home || home[0] != '/' || strstr(home, "/../") || endswith(home, "/..") || strstr(home, "//"))
                return false;
        second = strchr(home + 1, '/');
        if (!second || second[1] == 0) /* "/", "/root", "/home/" */
                return false;
        first_len = (size_t) (second - home - 1);
        for (size_t i = 0; i < ELEMENTSOF(system_dirs); i++)
                if (strlen(system_dirs[i]) == first_len && memcmp(home + 1, system_dirs[i], first_len) == 0)
                        return false;
        return true;
}

static const Finding *find_check(const FindingList *l, const char *check, bool fixable) {
        for (size_t i = 0; i < l->n; i++)
                if (streq(l->items[i].module, "admin") && streq(l->items[i].check, check) &&
                    l->items[i].kind == FINDING_DRIFT && l->items[i].fixable == fixable)
                        return &l->items[i];
        return NULL;
}

static bool has(const FindingList *l, const char *check) {
        return find_check(l, check, true);
}

static const AccountOps *account_ops(const Context *c) {
        return c->account_ops ?: &account_ops_real;
}

/* A failed AccountOps call into o, with its message (taken). */
static int tool_failed(Outcome *o, int r, char *error) {
        _cleanup_free_ char *e = error;

        return outcome_fail(o, r, "%s", e ?: strerror(-r));
}

/* visudo on a private copy of text: nothing is put in place before it passes. */
static int visudo_check(const Context *c, Outcome *o, const char *text, const char *what) {
        const AccountOps *ops = account_ops(c);
        _cleanup_free_ char *why = NULL;
        int r;

        r = ops->visudo_check(ops->userdata, text, &why);
        if (r == -EIO)
                return outcome_fail(o, r, "visudo rejects the new %s; nothing was changed: %s", what, strna(why));
        if (r < 0)
                return outcome_fail(o, r, "Cannot check the new %s with visudo; nothing was changed: %s", what,
                                    why ?: strerror(-r));
        return 0;
}

static int need_tool(const Context *c, Outcome *o, AcctTool tool, const char *why) {
        const AccountOps *ops = account_ops(c);
        int r;

        r = ops->available(ops->userdata, tool);
        if (r < 0)
                return outcome_fail(o, r, "%s is needed to %s but cannot be run: %s", acct_tool_path(tool), why,
                                    strerror(-r));
        return 0;
}

/* Our files below the user's home are written only through real directories, into plain files:
 * a symlink, hard link or other odd file there is refused, not followed and not replaced. */
static int refuse_odd_home(const FindingList *l, Outcome *o) {
        static const char *const home_checks[] = { "home", "ssh-dir", "authorized-keys-file" };

        if (!has(l, "home") && !has(l, "ssh-dir") && !has(l, "authorized-keys-file") && !has(l, "authorized-key"))
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(home_checks); i++) {
                const Finding *f = find_check(l, home_checks[i], false);

                if (f)
                        return outcome_fail(o, startswith(strempty(f->actual), "a symlink") ? -ELOOP : -ENOTDIR,
                                            "%s is %s: refusing to follow it (the home's owner could aim root's "
                                            "writes anywhere) or to replace it (what it points to cannot be read "
                                            "safely, and keys there would be lost); fix it by hand and apply again",
                                            f->subject, strna(f->actual));
        }
        return 0;
}

int admin_preflight(Context *c, const FindingList *all, Outcome *o) {
        const AdminPolicy *a = &c->policy->admin;
        int r;

        r = refuse_odd_home(all, o);
        if (r < 0)
                return r;

        if (has(all, "user-missing")) {
                _cleanup_free_ char *home = NULL;
                struct stat st;

                if (asprintf(&home, "/home/%s", a->user) < 0)
                        return -ENOMEM;
                r = lstat_at_root(c->root, home, &st);
                if (r >= 0 && !S_ISDIR(st.st_mode))
                        return outcome_fail(o, -EEXIST,
                                            "%s already exists and is not a directory: refusing to create user "
                                            "%s with it as home",
                                            home, a->user);
                if (r < 0 && r != -ENOENT)
                        return outcome_fail(o, r, "Cannot inspect %s, the home of the new user %s: %s", home, a->user,
                                            strerror(-r));
                r = need_tool(c, o, ACCT_TOOL_USERADD, "create the admin user");
                if (r < 0)
                        return r;
        }
        if (has(all, "group-missing") && (r = need_tool(c, o, ACCT_TOOL_GROUPADD, "create the admin group")) < 0)
                return r;
        if ((has(all, "membership") || has(all, "root-password")) &&
            (r = need_tool(c, o, ACCT_TOOL_USERMOD, "change group membership or lock root")) < 0)
                return r;
        if (has(all, "password") && (r = need_tool(c, o, ACCT_TOOL_CHPASSWD, "set the admin's password")) < 0)
                return r;

        if (has(all, "sudoers-dropin")) {
                _cleanup_free_ char *text = NULL;

                r = admin_sudoers_text(a, &text);
                if (r < 0)
                        return r;
                r = visudo_check(c, o, text, ADMIN_SUDOERS_DROPIN);
                if (r < 0)
                        return r;
        }
        if (has(all, "sudoers-includedir")) {
                _cleanup_free_ char *old = NULL, *text = NULL;

                r = read_file_at_root(c->root, ADMIN_SUDOERS, true, READ_FILE_MAX, &old, NULL);
                if (r < 0)
                        return outcome_fail(o, r, "Failed to read %s: %s", ADMIN_SUDOERS, strerror(-r));
                r = admin_sudoers_add_includedir(old, &text);
                if (r < 0)
                        return r;
                r = visudo_check(c, o, text, ADMIN_SUDOERS);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Whether path (group(5) or gshadow(5), whose last field is the member list) lists user as a
 * member of group: 1 yes, 0 no; a missing gshadow lists everyone (there is none to keep in step). */
static int listed_member(const char *root, const char *path, const char *group, const char *user) {
        _cleanup_free_ char *text = NULL;
        size_t gl = strlen(group);
        int r;

        r = read_file_at_root(root, path, true, READ_FILE_MAX, &text, NULL);
        if (r == -ENOENT && streq(path, "/etc/gshadow"))
                return 1;
        if (r < 0)
                return r;
        for (char *line = text, *next; line && *line; line = next) {
                _cleanup_strv_free_ char **members = NULL;
                const char *last;

                next = strchr(line, '\n');
                if (next)
                        *next++ = 0;
                if (strncmp(line, group, gl) != 0 || line[gl] != ':')
                        continue;
                last = strrchr(line, ':');
                if (strv_split(last + 1, ",", &members) < 0)
                        return -ENOMEM;
                return strv_contains(members, user);
        }
        return 0;
}

static int apply_accounts(Context *c, const FindingList *mine, Outcome *o) {
        const AdminPolicy *a = &c->policy->admin;
        const AccountOps *ops = account_ops(c);
        /* an existing user that the new group is to list: groupadd -U, one program less */
        bool member = has(mine, "membership") && !has(mine, "user-missing");
        char *error = NULL;
        int r;

        if (has(mine, "group-missing")) {
                r = ops->groupadd(ops->userdata, c->root, a->group, member ? a->user : NULL, &error);
                if (r < 0)
                        return tool_failed(o, r, error);
                (void) outcome_change(o, "created group %s", a->group);
                if (member) {
                        r = listed_member(c->root, "/etc/group", a->group, a->user);
                        if (r > 0)
                                r = listed_member(c->root, "/etc/gshadow", a->group, a->user);
                        if (r < 0)
                                return outcome_fail(o, r, "Failed to read the group files back: %s", strerror(-r));
                        if (r > 0) {
                                (void) outcome_change(o, "added %s to group %s", a->user, a->group);
                                return 0;
                        }
                        /* usermod -a -G lists it in whichever of the two files lacks it */
                }
        }
        if (has(mine, "user-missing")) {
                _cleanup_free_ char *home = NULL;
                struct stat st;
                bool bash = lstat_at_root(c->root, "/usr/bin/bash", &st) >= 0 ||
                            lstat_at_root(c->root, "/bin/bash", &st) >= 0;

                if (asprintf(&home, "/home/%s", a->user) < 0)
                        return -ENOMEM;
                r = ops->useradd(ops->userdata, c->root, a->user, home, bash ? "/bin/bash" : NULL, a->group, &error);
                if (r < 0)
                        return tool_failed(o, r, error);
                (void) outcome_change(o, "created user %s (home %s, group %s)", a->user, home, a->group);
        } else if (has(mine, "membership")) {
                r = ops->usermod_add_group(ops->userdata, c->root, a->user, a->group, &error);
                if (r < 0)
                        return tool_failed(o, r, error);
                (void) outcome_change(o, "added %s to group %s", a->user, a->group);
        }
        return 0;
}

static int apply_home(Context *c, const FindingList *now, const AcctUser *u, Outcome *o) {
        _cleanup_free_ char *ssh = NULL, *ak = NULL, *old = NULL, *text = NULL;
        const AdminPolicy *a = &c->policy->admin;
        size_t old_len = 0, len = 0, added = 0;
        struct stat st;
        int r;

        if (asprintf(&ssh, "%s/.ssh", u->home) < 0 || asprintf(&ak, "%s/.ssh/authorized_keys", u->home) < 0)
                return -ENOMEM;

        if (has(now, "home")) {
                mode_t mode = lstat_at_root(c->root, u->home, &st) >= 0 ? (st.st_mode & 07777 & ~(mode_t) 022) : 0700;

                r = ensure_dir_at_root(c->root, u->home, mode, u->uid, u->gid);
                if (r < 0)
                        return outcome_fail(o, r, "Failed to set up %s: %s", u->home, strerror(-r));
                (void) outcome_change(o, "%s: owner %u:%u, mode %04o", u->home, (unsigned) u->uid, (unsigned) u->gid,
                                      (unsigned) mode);
        }
        if (!has(now, "ssh-dir") && !has(now, "authorized-keys-file") && !has(now, "authorized-key"))
                return 0;

        r = ensure_dir_at_root(c->root, ssh, ADMIN_SSH_DIR_MODE, u->uid, u->gid);
        if (r < 0)
                return outcome_fail(o, r, "Failed to set up %s: %s", ssh, strerror(-r));
        if (r > 0)
                (void) outcome_change(o, "%s: owner %u:%u, mode 0700", ssh, (unsigned) u->uid, (unsigned) u->gid);

        /* never follows a symlink: the preflight refused those, and a new one planted since is refused here */
        r = read_file_at_root(c->root, ak, true, READ_FILE_MAX, &old, &old_len);
        if (r == -ENOENT)
                old_len = 0;
        else if (r < 0)
                return outcome_fail(o, r, "Failed to read %s: %s", ak, strerror(-r));
        r = admin_keys_merge(old ?: "", old_len, a->keys, a->n_keys, &text, &len, &added);
        if (r < 0)
                return r;
        r = write_file_atomic_if_changed(c->root, ak, text, len, ADMIN_AUTHORIZED_KEYS_MODE, u->uid, u->gid);
        if (r < 0)
                return outcome_fail(o, r, "Failed to write %s: %s", ak, strerror(-r));
        if (r > 0)
                (void) outcome_change(o, "%s: %zu key(s) added, owner %u:%u, mode 0600", ak, added, (unsigned) u->uid,
                                      (unsigned) u->gid);
        return 0;
}

static int apply_sudo(Context *c, const FindingList *now, Outcome *o) {
        struct stat st;
        int r;

        if (has(now, "sudoers-dropin")) {
                _cleanup_free_ char *text = NULL;

                r = admin_sudoers_text(&c->policy->admin, &text);
                if (r < 0)
                        return r;
                if (lstat_at_root(c->root, ADMIN_SUDOERS_DIR, &st) == -ENOENT) {
                        r = ensure_dir_at_root(c->root, ADMIN_SUDOERS_DIR, 0755, 0, 0);
                        if (r < 0)
                                return outcome_fail(o, r, "Failed to create %s: %s", ADMIN_SUDOERS_DIR, strerror(-r));
                }
                r = write_file_atomic_if_changed(c->root, ADMIN_SUDOERS_DROPIN, text, strlen(text),
                                                 ADMIN_SUDOERS_DROPIN_MODE, 0, 0);
                if (r < 0)
                        return outcome_fail(o, r, "Failed to write %s: %s", ADMIN_SUDOERS_DROPIN, strerror(-r));
                (void) outcome_change(o, "wrote %s", ADMIN_SUDOERS_DROPIN);
        }
        if (has(now, "sudoers-includedir")) {
                _cleanup_free_ char *old = NULL, *text = NULL;

                r = read_file_at_root(c->root, ADMIN_SUDOERS, true, READ_FILE_MAX, &old, NULL);
                if (r >= 0)
                        r = lstat_at_root(c->root, ADMIN_SUDOERS, &st);
                if (r < 0)
                        return outcome_fail(o, r, "Failed to read %s: %s", ADMIN_SUDOERS, strerror(-r));
                r = admin_sudoers_add_includedir(old, &text);
                if (r < 0)
                        return r;
                /* the same text the preflight validated; replaced atomically, its mode and owner kept */
                r = write_file_atomic(c->root, ADMIN_SUDOERS, text, strlen(text), st.st_mode & 07777, st.st_uid,
                                      st.st_gid, NULL);
                if (r < 0)
                        return outcome_fail(o, r, "Failed to write %s: %s", ADMIN_SUDOERS, strerror(-r));
                (void) outcome_change(o, "%s: added @includedir %s", ADMIN_SUDOERS, ADMIN_SUDOERS_DIR);
        }
        return 0;
}

static int apply_passwords(Context *c, const FindingList *now, Outcome *o) {
        const AdminPolicy *a = &c->policy->admin;
        const AccountOps *ops = account_ops(c);
        char *error = NULL;
        int r;

        if (has(now, "password")) {
                r = ops->set_password(ops->userdata, c->root, a->user, a->password_hash, &error);
                if (r < 0)
                        return tool_failed(o, r, error);
                (void) outcome_change(o, "set the password of %s from admin.password_hash", a->user);
        }
        if (has(now, "root-password")) {
                r = ops->lock_password(ops->userdata, c->root, "root", &error);
                if (r < 0)
                        return tool_failed(o, r, error);
                (void) outcome_change(o, "locked root's password");
        }
        return 0;
}

int admin_apply(Context *c, const FindingList *mine, Outcome *o) {
        _cleanup_(finding_list_done) FindingList now = {};
        _cleanup_(acct_db_done) AcctDb db = {};
        _cleanup_free_ char *what = NULL;
        const AcctUser *u;
        int r;

        r = apply_accounts(c, mine, o);
        if (r < 0)
                return r;

        /* What is left to do, now that the user exists with its uid and home. */
        r = admin_probe(c, &now);
        if (r < 0)
                return outcome_fail(o, r, "Failed to read the accounts back: %s", strerror(-r));
        r = acct_db_load(c->root, &db, &what);
        if (r < 0)
                return outcome_fail(o, r, "Failed to read %s: %s", strna(what), strerror(-r));
        u = acct_db_user(&db, c->policy->admin.user);
        if (!u)
                return outcome_fail(o, -ENOENT, "user %s does not exist after useradd", c->policy->admin.user);

        r = refuse_odd_home(&now, o);
        if (r < 0)
                return r;
        r = apply_home(c, &now, u, o);
        if (r < 0)
                return r;
        r = apply_sudo(c, &now, o);
        if (r < 0)
                return r;
        return apply_passwords(c, &now, o);
}

/* Module.snapshot_paths: the account files the shadow tools rewrite (with their "-" backups and
 * lock file), sudoers and our drop-in, the admin's home, ~/.ssh and authorized_keys, and the
 * login records useradd resets. */
int admin_snapshot_paths(Context *c, char ***ret) {
        static const char *const fixed[] = {
                "/etc/passwd",        "/etc/passwd-",     "/etc/group",       "/etc/group-", "/etc/shadow",
                "/etc/shadow-",       "/etc/gshadow",     "/etc/gshadow-",    "/etc/subuid", "/etc/subuid-",
                "/etc/subgid",        "/etc/subgid-",     "/etc/.pwd.lock",   ADMIN_SUDOERS, ADMIN_SUDOERS_DIR,
                ADMIN_SUDOERS_DROPIN, "/var/log/lastlog", "/var/log/faillog",
        };
        const AdminPolicy *a = &c->policy->admin;
        _cleanup_(acct_db_done) AcctDb db = {};
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *home = NULL, *what = NULL;
        const AcctUser *u = NULL;

        for (size_t i = 0; i < ELEMENTSOF(fixed); i++)
                if (strv_extend(&l, fixed[i]) < 0)
                        return -ENOMEM;
        if (strv_extendf(&l, "/var/mail/%s", a->user) < 0)
                return -ENOMEM;
        if (acct_db_load(c->root, &db, &what) >= 0)
                u = acct_db_user(&db, a->user);
        if (u ? !(home = strdup(strempty(u->home))) : asprintf(&home, "/home/%s", a->user) < 0)
                return -ENOMEM;
        /* a home we would not create or chown is not ours to save (nor to remove on a rollback) */
        if (admin_home_path_sane(home) && (strv_extend(&l, home) < 0 || strv_extendf(&l, "%s/.ssh", home) < 0 ||
                                           strv_extendf(&l, "%s/.ssh/authorized_keys", home) < 0))
                return -ENOMEM;
        *ret = TAKE_PTR(l);
        return 0;
}
