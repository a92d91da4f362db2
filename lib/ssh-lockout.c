/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ssh-config.h"
#include "ssh-lockout.h"
#include "sshkey.h"
#include "strv.h"
#include "sys/fileio.h"

#define MAX_REASONS 8

static int stat_below_root(const char *root, bool nofollow, const char *path, struct stat *ret) {
        _cleanup_free_ char *full = NULL;
        int r;

        if (nofollow)
                return lstat_at_root(root, path, ret);
        r = path_join_root(root, path, &full);
        if (r < 0)
                return r;
        return stat(full, ret) < 0 ? -errno : 0;
}

/* sshd reads the key file as the user, and with StrictModes refuses it when it or a directory on
 * the way from the home directory is writable by others or owned by someone else. */
static bool user_can_read(const struct stat *st, uid_t uid, gid_t gid) {
        if (uid == 0)
                return true;
        if (st->st_uid == uid)
                return st->st_mode & S_IRUSR;
        if (st->st_gid == gid)
                return st->st_mode & S_IRGRP;
        return st->st_mode & S_IROTH;
}

static bool secure_owner_mode(const struct stat *st, uid_t uid) {
        return (st->st_uid == 0 || st->st_uid == uid) && !(st->st_mode & (S_IWGRP | S_IWOTH));
}

int ssh_keyfile_problem(const char *root, bool nofollow, const char *path, uid_t uid, gid_t gid, const char *home,
                        bool strict_modes, char **ret) {
        _cleanup_free_ char *text = NULL, *dir = NULL;
        struct stat st;
        size_t len;
        int r;

        r = stat_below_root(root, nofollow, path, &st);
        if (r < 0) {
                *ret = strdup(r == -ENOENT ? "no such file" : strerror(-r));
                return *ret ? 0 : -ENOMEM;
        }
        if (!S_ISREG(st.st_mode))
                return (*ret = strdup("not a regular file")) ? 0 : -ENOMEM;
        if (!user_can_read(&st, uid, gid))
                return asprintf(ret, "not readable by its user (mode %04o)", (unsigned) (st.st_mode & 07777)) < 0
                               ? -ENOMEM
                               : 0;
        if (strict_modes) {
                if (!secure_owner_mode(&st, uid))
                        return (*ret = strdup("bad ownership or modes (StrictModes)")) ? 0 : -ENOMEM;
                /* the directories from the file up to the home directory */
                dir = strdup(path);
                if (!dir)
                        return -ENOMEM;
                for (char *slash; (slash = strrchr(dir, '/')) && slash != dir;) {
                        *slash = 0;
                        if (stat_below_root(root, nofollow, dir, &st) < 0)
                                break;
                        if (!secure_owner_mode(&st, uid))
                                return asprintf(ret, "bad ownership or modes of %s (StrictModes)", dir) < 0 ? -ENOMEM
                                                                                                            : 0;
                        if (streq(dir, home))
                                break;
                }
        }
        r = read_file_at_root(root, path, nofollow, READ_FILE_MAX, &text, &len);
        if (r < 0)
                return (*ret = strdup(strerror(-r))) ? 0 : -ENOMEM;
        if (sshkey_count_valid(text, len) == 0)
                return (*ret = strdup(len == 0 ? "empty" : "no valid key")) ? 0 : -ENOMEM;
        *ret = NULL;
        return 0;
}

static int user_has_key(const SshLockoutInput *in, const SshUser *u, char **ret_why) {
        _cleanup_strv_free_ char **why = NULL;
        int r;

        for (char *const *pattern = in->keys_files; pattern && *pattern; pattern++) {
                _cleanup_free_ char *path = NULL, *problem = NULL;

                if (streq(*pattern, "none"))
                        continue;
                r = ssh_expand_keys_path(*pattern, u->name, u->uid, u->home, &path);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        if (strv_extendf(&why, "%s: cannot expand", *pattern) < 0)
                                return -ENOMEM;
                        continue;
                }
                r = ssh_keyfile_problem(in->root, in->nofollow, path, u->uid, u->gid, u->home, in->strict_modes,
                                        &problem);
                if (r < 0)
                        return r;
                if (!problem)
                        return 1;
                if (strv_extendf(&why, "%s %s", path, problem) < 0)
                        return -ENOMEM;
        }
        if (strv_isempty(why))
                return (*ret_why = strdup("no AuthorizedKeysFile")) ? 0 : -ENOMEM;
        return strv_join(why, ", ", ret_why);
}

int ssh_lockout_check(const SshLockoutInput *in, char **ret_who, char **ret_missing) {
        _cleanup_strv_free_ char **reasons = NULL;
        _cleanup_free_ char *groups = NULL;
        SshUser *users = NULL;
        size_t n_users = 0, n_reasons = 0, n_candidates = 0;
        int r;

        if (!strv_isempty(in->allow_groups) && strv_join(in->allow_groups, " ", &groups) < 0)
                return -ENOMEM;
        r = ssh_passwd_parse(in->passwd ?: "", &users, &n_users);
        if (r < 0)
                return r;

        for (size_t i = 0; i < n_users; i++) {
                const SshUser *u = &users[i];
                _cleanup_free_ char *why = NULL;

                if (!ssh_shell_is_login(u->shell))
                        continue;
                n_candidates++;
                if (u->uid == 0 && !in->root_allowed)
                        r = asprintf(&why, "%s: root login is off", u->name) < 0 ? -ENOMEM : 0;
                else if (groups && !ssh_user_in_groups(in->group, u->name, u->gid, in->allow_groups))
                        r = asprintf(&why, "%s: not in AllowGroups (%s)", u->name, groups) < 0 ? -ENOMEM : 0;
                else if (in->incoming_user && streq(u->name, in->incoming_user)) {
                        r = asprintf(ret_who, "%s (keys from the admin module)", u->name) < 0 ? -ENOMEM : 1;
                        goto done;
                } else {
                        _cleanup_free_ char *detail = NULL;

                        r = user_has_key(in, u, &detail);
                        if (r > 0) {
                                r = (*ret_who = strdup(u->name)) ? 1 : -ENOMEM;
                                goto done;
                        }
                        if (r == 0)
                                r = asprintf(&why, "%s: %s", u->name, detail) < 0 ? -ENOMEM : 0;
                }
                if (r < 0)
                        goto done;
                if (n_reasons++ < MAX_REASONS && strv_consume(&reasons, TAKE_PTR(why)) < 0) {
                        r = -ENOMEM;
                        goto done;
                }
        }
        /* The admin user the admin module is about to create is not in passwd yet. */
        if (in->incoming_user) {
                bool known = false;

                for (size_t i = 0; i < n_users; i++)
                        known = known || streq(users[i].name, in->incoming_user);
                if (!known) {
                        r = asprintf(ret_who, "%s (created with keys by the admin module)", in->incoming_user) < 0
                                    ? -ENOMEM
                                    : 1;
                        goto done;
                }
        }
        if (n_reasons > MAX_REASONS && strv_extendf(&reasons, "and %zu more", n_reasons - MAX_REASONS) < 0) {
                r = -ENOMEM;
                goto done;
        }
        if (n_candidates == 0)
                r = (*ret_missing = strdup("no user has a login shell")) ? 0 : -ENOMEM;
        else
                r = strv_join(reasons, "; ", ret_missing);
done:
        ssh_users_free(users, n_users);
        return r;
}
