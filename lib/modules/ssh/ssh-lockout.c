/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ssh-lockout.h"
#include "strv.h"
#include "sys/fileio.h"

#define MAX_REASONS        8
#define DEFAULT_KEYS_FILES ".ssh/authorized_keys .ssh/authorized_keys2"
#define DEFAULT_SHELL      "/bin/bash"

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

/* A program below root, its symlinks resolved as if root were "/" (a shell in a merged-/usr image
 * is /bin -> usr/bin). */
static bool executable_in_root(const char *root, const char *path) {
        struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
        _cleanup_close_ int dfd = -EBADF, fd = -EBADF;
        struct stat st;

        if (streq(root, "/"))
                return stat(path, &st) >= 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
        dfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return false;
        fd = (int) syscall(SYS_openat2, dfd, path, &how, sizeof(how));
        if (fd < 0 && (errno == ENOSYS || errno == EPERM)) {
                /* no openat2 (old kernel, or a seccomp filter): the path itself, not followed */
                _cleanup_free_ char *usr = NULL;

                if (lstat_at_root(root, path, &st) >= 0)
                        return S_ISREG(st.st_mode) && (st.st_mode & 0111);
                return asprintf(&usr, "/usr%s", path) >= 0 && lstat_at_root(root, usr, &st) >= 0 &&
                       S_ISREG(st.st_mode) && (st.st_mode & 0111);
        }
        if (fd < 0)
                return false;
        return fstat(fd, &st) >= 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
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

/* Debian's sshd (its user-group-modes patch) also accepts a group-writable path when the group
 * has exactly one member: the owner (its private group). */
static bool group_is_owners_own(const AcctDb *db, uid_t owner, gid_t gid) {
        const AcctUser *u = NULL;
        const AcctGroup *g = NULL;

        if (!db)
                return false;
        for (size_t i = 0; !u && i < db->n_users; i++)
                if (db->users[i].uid == owner)
                        u = &db->users[i];
        for (size_t i = 0; !g && i < db->n_groups; i++)
                if (db->groups[i].gid == gid)
                        g = &db->groups[i];
        if (!u || !g)
                return false;
        if (strv_isempty(g->members))
                return u->gid == g->gid;
        return strv_length(g->members) == 1 && streq(g->members[0], u->name);
}

static bool secure_owner_mode(const struct stat *st, uid_t uid, const AcctDb *db) {
        if (st->st_uid != 0 && st->st_uid != uid)
                return false;
        if (st->st_mode & S_IWOTH)
                return false;
        return !(st->st_mode & S_IWGRP) || group_is_owners_own(db, st->st_uid, st->st_gid);
}

/* How StrictModes is judged for one user: the account files (for Debian's private groups), and
 * the paths this apply makes safe itself (the admin module owns the admin's home, ~/.ssh and
 * ~/.ssh/authorized_keys). */
typedef struct StrictCtx {
        const AcctDb *db;
        char *const *fixed;
} StrictCtx;

/* sshd's auth_secure_path() walks the real path (realpath(3)) of the file up to the real home or
 * "/". Image trees are not followed at all, so there the path is already real. */
static int real_path(const char *root, bool nofollow, const char *path, char **ret) {
        char buf[PATH_MAX];

        if (nofollow || !streq(root, "/"))
                return (*ret = strdup(path)) ? 0 : -ENOMEM;
        if (!realpath(path, buf))
                return -errno;
        return (*ret = strdup(buf)) ? 0 : -ENOMEM;
}

static int strict_modes_problem(const char *root, bool nofollow, const char *path, uid_t uid, const char *home,
                                const StrictCtx *sc, char **ret) {
        _cleanup_free_ char *dir = NULL, *real_home = NULL;
        struct stat st;
        int r;

        r = real_path(root, nofollow, path, &dir);
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        if (real_path(root, nofollow, home, &real_home) < 0)
                real_home = NULL;
        if (!(sc && strv_contains(sc->fixed, path)) && stat_below_root(root, nofollow, dir, &st) >= 0 &&
            !secure_owner_mode(&st, uid, sc ? sc->db : NULL))
                return asprintf(ret, "bad ownership or modes (StrictModes)") < 0 ? -ENOMEM : 0;
        for (char *slash; (slash = strrchr(dir, '/'));) {
                if (slash == dir)
                        slash[1] = 0;
                else
                        *slash = 0;
                if (stat_below_root(root, nofollow, dir, &st) < 0)
                        break;
                if (!(sc && strv_contains(sc->fixed, dir)) && !secure_owner_mode(&st, uid, sc ? sc->db : NULL))
                        return asprintf(ret, "bad ownership or modes of %s (StrictModes)", dir) < 0 ? -ENOMEM : 0;
                if ((real_home && streq(dir, real_home)) || streq(dir, "/"))
                        break;
        }
        return 0;
}

/* The text of one key file as sshd would get it, or *ret_problem. */
static int keyfile_read(const char *root, bool nofollow, const char *path, uid_t uid, gid_t gid, const char *home,
                        bool strict_modes, const StrictCtx *sc, char **ret_text, size_t *ret_len, char **ret_problem) {
        struct stat st;
        int r;

        *ret_problem = NULL;
        r = stat_below_root(root, nofollow, path, &st);
        if (r < 0)
                return (*ret_problem = strdup(r == -ENOENT ? "no such file" : strerror(-r))) ? 0 : -ENOMEM;
        if (!S_ISREG(st.st_mode))
                return (*ret_problem = strdup("not a regular file")) ? 0 : -ENOMEM;
        if (!user_can_read(&st, uid, gid))
                return asprintf(ret_problem, "not readable by its user (mode %04o)", (unsigned) (st.st_mode & 07777)) <
                                       0
                               ? -ENOMEM
                               : 0;
        if (strict_modes) {
                r = strict_modes_problem(root, nofollow, path, uid, home, sc, ret_problem);
                if (r < 0 || *ret_problem)
                        return r;
        }
        r = read_file_at_root(root, path, nofollow, READ_FILE_MAX, ret_text, ret_len);
        if (r < 0)
                return (*ret_problem = strdup(strerror(-r))) ? 0 : -ENOMEM;
        return 0;
}

int ssh_keyfile_problem(const char *root, bool nofollow, const char *path, uid_t uid, gid_t gid, const char *home,
                        bool strict_modes, char **ret) {
        _cleanup_free_ char *text = NULL, *problem = NULL;
        size_t len = 0;
        int r;

        r = keyfile_read(root, nofollow, path, uid, gid, home, strict_modes, NULL, &text, &len, &problem);
        if (r < 0)
                return r;
        if (!problem && sshkey_count_valid(text, len) == 0)
                problem = strdup(len == 0 ? "empty" : "no valid key");
        *ret = TAKE_PTR(problem);
        return 0;
}

/* The first key of text that would let the user in; 0 with *ret_why for the first that would not. */
static int text_has_usable_key(const SshLockoutInput *in, const SshdDump *view, const char *text, char **ret_why) {
        _cleanup_free_ char *first = NULL;
        size_t valid = 0;

        for (const char *p = text; p && *p;) {
                size_t l = strcspn(p, "\n");
                _cleanup_free_ char *line = strndup(p, l);
                _cleanup_(sshkey_done) SshKey k = {};
                const char *reason;
                char *why = NULL;
                int r;

                p += l + (p[l] == '\n');
                if (!line)
                        return -ENOMEM;
                if (sshkey_parse_line(line, &k, &reason) < 0)
                        continue;
                valid++;
                r = wayin_key_usable(view, &k, &in->client, in->now, &why);
                if (r != 0)
                        return r;
                if (!first)
                        first = why;
                else
                        free(why);
        }
        if (valid == 0)
                return (*ret_why = strdup(text && *text ? "no valid key" : "empty")) ? 0 : -ENOMEM;
        *ret_why = TAKE_PTR(first);
        return 0;
}

typedef struct Candidate {
        const char *name;
        uid_t uid;
        gid_t gid;
        const char *home;
        bool incoming;
        WayinAccount account;
} Candidate;

static int user_keys(const SshLockoutInput *in, const SshdDump *view, const Candidate *u, char **ret_how,
                     char **ret_why) {
        _cleanup_strv_free_ char **files = NULL, **why = NULL;
        const char *v = view ? sshd_dump_get(view, "authorizedkeysfile") : NULL;
        bool strict = !view || !sshd_dump_get(view, "strictmodes") ||
                      strcasecmp(sshd_dump_get(view, "strictmodes"), "no") != 0;
        _cleanup_free_ char *incoming_path = NULL;
        int r;

        if (wayin_keys_command(view))
                return (*ret_how = strdup("AuthorizedKeysCommand may supply its keys")) ? 1 : -ENOMEM;
        _cleanup_strv_free_ char **fixed = NULL;
        StrictCtx sc = { .db = in->db };

        if (u->incoming && asprintf(&incoming_path, "%s/.ssh/authorized_keys", u->home) < 0)
                return -ENOMEM;
        if (u->incoming && (strv_extend(&fixed, u->home) < 0 || strv_extendf(&fixed, "%s/.ssh", u->home) < 0 ||
                            strv_extend(&fixed, incoming_path) < 0))
                return -ENOMEM;
        sc.fixed = fixed;
        r = strv_split(v ?: DEFAULT_KEYS_FILES, " ", &files);
        if (r < 0)
                return r;
        STRV_FOREACH (pattern, files) {
                _cleanup_free_ char *path = NULL, *problem = NULL, *text = NULL, *keywhy = NULL;
                size_t len = 0;

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
                if (incoming_path && streq(path, incoming_path)) {
                        for (size_t i = 0; i < in->n_incoming_keys; i++) {
                                r = wayin_key_usable(view, &in->incoming_keys[i], &in->client, in->now, &keywhy);
                                if (r < 0)
                                        return r;
                                if (r > 0)
                                        return asprintf(ret_how, "a key from admin.authorized_keys in %s", path) < 0
                                                       ? -ENOMEM
                                                       : 1;
                                if (strv_extendf(&why, "admin.authorized_keys: %s", keywhy) < 0)
                                        return -ENOMEM;
                                keywhy = mfree(keywhy);
                        }
                }
                r = keyfile_read(in->root, in->nofollow, path, u->uid, u->gid, u->home, strict, &sc, &text, &len,
                                 &problem);
                if (r < 0)
                        return r;
                if (!problem) {
                        r = text_has_usable_key(in, view, text, &keywhy);
                        if (r < 0)
                                return r;
                        if (r > 0)
                                return asprintf(ret_how, "a key in %s", path) < 0 ? -ENOMEM : 1;
                        problem = TAKE_PTR(keywhy);
                }
                if (incoming_path && in->n_incoming_keys > 0 && streq(path, incoming_path) &&
                    streq(problem, "no such file"))
                        continue; /* only the policy's keys go there */
                if (strv_extendf(&why, "%s %s", path, problem) < 0)
                        return -ENOMEM;
        }
        if (strv_isempty(why)) {
                if (incoming_path && in->n_incoming_keys > 0 && !strv_contains(files, ".ssh/authorized_keys") &&
                    !strv_contains(files, "%h/.ssh/authorized_keys"))
                        return asprintf(ret_why,
                                        "admin.authorized_keys go to %s, which AuthorizedKeysFile (%s) does not read",
                                        incoming_path, v ?: DEFAULT_KEYS_FILES) < 0
                                       ? -ENOMEM
                                       : 0;
                return (*ret_why = strdup("no AuthorizedKeysFile")) ? 0 : -ENOMEM;
        }
        return strv_join(why, ", ", ret_why);
}

/* Every group of the user, primary first; the incoming user also gets the admin group. */
static int user_groups(const SshLockoutInput *in, const Candidate *u, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        const AcctUser *au = acct_db_user(in->db, u->name);

        l = calloc(1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < in->db->n_groups; i++) {
                const AcctGroup *g = &in->db->groups[i];

                if (g->gid == u->gid && !strv_contains(l, g->name) && strv_extend(&l, g->name) < 0)
                        return -ENOMEM;
        }
        for (size_t i = 0; au && i < in->db->n_groups; i++) {
                const AcctGroup *g = &in->db->groups[i];

                if (acct_db_in_group(in->db, au, g) && !strv_contains(l, g->name) && strv_extend(&l, g->name) < 0)
                        return -ENOMEM;
        }
        if (u->incoming && in->incoming_group && !strv_contains(l, in->incoming_group) &&
            strv_extend(&l, in->incoming_group) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(l);
        return 0;
}

/* 1: u has a way in (*ret_how); 0: not (*ret_why). */
static int judge(const SshLockoutInput *in, Candidate *u, char **ret_how, char **ret_why) {
        _cleanup_strv_free_ char **groups = NULL;
        _cleanup_free_ char *error = NULL, *how = NULL, *sudo_why = NULL;
        const SshdDump *view = NULL;
        int r;

        r = in->view(in->userdata, u->name, &view, &error);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return asprintf(ret_why, "sshd -T for %s fails: %s", u->name, error ?: strerror(-r)) < 0 ? -ENOMEM : 0;
        r = user_groups(in, u, &groups);
        if (r < 0)
                return r;
        u->account.groups = groups;
        r = wayin_account_admitted(view, &u->account, &in->client, in->now, ret_why);
        if (r != 1)
                return r;
        r = user_keys(in, view, u, &how, ret_why);
        if (r != 1)
                return r;
        if (u->uid == 0)
                return asprintf(ret_how, "%s (%s)", u->name, how) < 0 ? -ENOMEM : 1;
        r = in->sudo(in->userdata, u->name, &sudo_why);
        if (r == -ENOMEM)
                return r;
        if (r <= 0)
                return asprintf(ret_why, "can log in (%s) but %s %s", how,
                                r == 0 ? "cannot become root:" : "could not be checked for sudo:",
                                sudo_why ?: strerror(-r)) < 0
                               ? -ENOMEM
                               : 0;
        return asprintf(ret_how, "%s (%s, then sudo)", u->name, how) < 0 ? -ENOMEM : 1;
}

static int candidate_from_user(const SshLockoutInput *in, const AcctUser *au, Candidate *ret) {
        const AcctShadow *sh = acct_db_shadow(in->db, au->name);

        *ret = (Candidate){
                .name = au->name,
                .uid = au->uid,
                .gid = au->gid,
                .home = au->home,
                .incoming = in->incoming_user && streq(au->name, in->incoming_user),
                .account = { .name = au->name,
                             .uid = au->uid,
                             .shell = au->shell,
                             .password = sh ? sh->password : au->passwd,
                             .expire_days = sh ? sh->expire : -1,
                             .shell_executable =
                                     executable_in_root(in->root, isempty(au->shell) ? "/bin/sh" : au->shell),
                             .shells = in->shells },
        };
        return 0;
}

static int add_reason(char ***reasons, size_t *n, const char *user, char *why) {
        _cleanup_free_ char *w = why;

        if ((*n)++ >= MAX_REASONS)
                return 0;
        return strv_extendf(reasons, "%s: %s", user, strna(w));
}

int ssh_lockout_check(const SshLockoutInput *in, char **ret_who, char **ret_missing) {
        _cleanup_strv_free_ char **reasons = NULL;
        size_t n_reasons = 0, n_candidates = 0;
        bool incoming_known = false;
        int r;

        for (size_t i = 0; i < in->db->n_users; i++) {
                const AcctUser *au = &in->db->users[i];
                _cleanup_free_ char *how = NULL, *why = NULL;
                Candidate u;

                if (in->incoming_user && streq(au->name, in->incoming_user))
                        incoming_known = true;
                else if (au->uid != 0 && !wayin_shell_is_login(au->shell))
                        continue;
                n_candidates++;
                r = candidate_from_user(in, au, &u);
                if (r < 0)
                        return r;
                r = judge(in, &u, &how, &why);
                if (r < 0)
                        return r;
                if (r > 0) {
                        *ret_who = TAKE_PTR(how);
                        return 1;
                }
                if (add_reason(&reasons, &n_reasons, au->name, TAKE_PTR(why)) < 0)
                        return -ENOMEM;
        }
        /* The admin user the admin module is about to create is not in passwd yet: it gets a home of
         * its own, a shell, no password, and its group. */
        if (in->incoming_user && !incoming_known) {
                _cleanup_free_ char *how = NULL, *why = NULL;
                Candidate u = {
                        .name = in->incoming_user,
                        .uid = 65533,
                        .gid = 65533,
                        .home = in->incoming_home,
                        .incoming = true,
                        .account = { .name = in->incoming_user,
                                     .uid = 65533,
                                     .shell = DEFAULT_SHELL,
                                     .password = "!",
                                     .expire_days = -1,
                                     .shell_executable = true,
                                     .shells = in->shells },
                };

                n_candidates++;
                r = judge(in, &u, &how, &why);
                if (r < 0)
                        return r;
                if (r > 0) {
                        *ret_who = TAKE_PTR(how);
                        return 1;
                }
                if (add_reason(&reasons, &n_reasons, in->incoming_user, TAKE_PTR(why)) < 0)
                        return -ENOMEM;
        }
        if (n_reasons > MAX_REASONS && strv_extendf(&reasons, "and %zu more", n_reasons - MAX_REASONS) < 0)
                return -ENOMEM;
        if (n_candidates == 0)
                return (*ret_missing = strdup("no user has a login shell")) ? 0 : -ENOMEM;
        r = strv_join(reasons, "; ", ret_missing);
        return r < 0 ? r : 0;
}
