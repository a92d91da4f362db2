/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "acctdb.h"
#include "array.h"
#include "macro.h"
#include "strv.h"
#include "sudoers.h"
#include "fileio.h"
#include "spawn.h"
#include "sudo.h"

#define SUDOERS_MAIN       "/etc/sudoers"
#define SENDMAIL           "/usr/sbin/sendmail"
#define STAGED_ENTRIES_MAX 4096u

static const char *const sudo_root_table[_SUDO_ROOT_MAX] = {
        [SUDO_ROOT_NOPASSWD] = "nopasswd",
        [SUDO_ROOT_PASSWORD] = "password",
        [SUDO_ROOT_NO] = "no",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(sudo_root, SudoRoot);

/* ---- the candidate configuration: overlays over the files below root ---- */

typedef struct Candidate {
        const char *root;
        bool live;
        const SudoOverlay *overlays;
        size_t n_overlays;
} Candidate;

static const SudoOverlay *candidate_overlay(const Candidate *c, const char *path) {
        /* the last one wins, as if they were written in order */
        for (size_t i = c->n_overlays; i > 0; i--)
                if (streq(c->overlays[i - 1].path, path))
                        return &c->overlays[i - 1];
        return NULL;
}

static int candidate_read(const char *path, char **ret, void *userdata) {
        const Candidate *c = userdata;
        const SudoOverlay *o = candidate_overlay(c, path);

        if (o) {
                if (!o->text)
                        return -ENOENT;
                *ret = strndup(o->text, o->len);
                return *ret ? 0 : -ENOMEM;
        }
        return read_file_at_root(c->root, path, !c->live, READ_FILE_MAX, ret, NULL);
}

static char *parent_dir(const char *path) {
        const char *slash = strrchr(path, '/');

        return slash == path ? strdup("/") : strndup(path, (size_t) (slash - path));
}

/* The names in directory dir below root, without "." and "..". */
static int dir_names(const char *root, const char *dir, char ***ret) {
        _cleanup_strv_free_ char **names = NULL;
        int fd;
        DIR *d;

        fd = open_dir_at_root(root, dir, O_RDONLY | O_DIRECTORY);
        if (fd < 0)
                return fd;
        d = fdopendir(fd);
        if (!d) {
                int r = -errno;

                (void) close(fd);
                return r;
        }
        for (struct dirent *de; (de = readdir(d));) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (strv_length(names) >= STAGED_ENTRIES_MAX || strv_extend(&names, de->d_name) < 0) {
                        closedir(d);
                        return strv_length(names) >= STAGED_ENTRIES_MAX ? -E2BIG : -ENOMEM;
                }
        }
        closedir(d);
        if (!names) {
                names = calloc(1, sizeof(char *));
                if (!names)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(names);
        return 0;
}

static int candidate_list(const char *dir, char ***ret, void *userdata) {
        const Candidate *c = userdata;
        _cleanup_strv_free_ char **names = NULL, **out = NULL;
        int r;

        r = dir_names(c->root, dir, &names);
        if (r < 0)
                return r;
        /* overlays in that directory: added, replaced or removed */
        for (size_t i = 0; i < c->n_overlays; i++) {
                _cleanup_free_ char *p = parent_dir(c->overlays[i].path);
                const char *name = strrchr(c->overlays[i].path, '/') + 1;

                if (!p)
                        return -ENOMEM;
                if (streq(p, dir) && !strv_contains(names, name) && strv_extend(&names, name) < 0)
                        return -ENOMEM;
        }
        STRV_FOREACH (n, names) {
                _cleanup_free_ char *p = NULL;
                const SudoOverlay *o;

                if (asprintf(&p, "%s/%s", streq(dir, "/") ? "" : dir, *n) < 0)
                        return -ENOMEM;
                o = candidate_overlay(c, p);
                if (o && !o->text)
                        continue;
                if (strv_extend(&out, *n) < 0)
                        return -ENOMEM;
        }
        if (!out && !(out = calloc(1, sizeof(char *))))
                return -ENOMEM;
        *ret = TAKE_PTR(out);
        return 0;
}

static bool overlay_path_ok(const char *p) {
        if (!p || p[0] != '/' || endswith(p, "/") || strstr(p, "//") || strstr(p, "/./") || strstr(p, "/../") ||
            endswith(p, "/.") || endswith(p, "/.."))
                return false;
        return strlen(p) > 1;
}

/* ---- the plan the forked child carries out (prepared here: the child only makes system calls) ---- */

typedef enum StageKind {
        STAGE_DIR,
        STAGE_FILE,
        STAGE_SYMLINK,
} StageKind;

/* Something the child creates in its staging tmpfs. */
typedef struct StageItem {
        StageKind kind;
        char *path; /* below the scratch directory */
        char *data; /* a file's content, a symlink's target */
        size_t len;
        mode_t mode;
        uid_t uid;
        gid_t gid;
} StageItem;

typedef struct MountItem {
        char *source; /* a bind's source; NULL: a fresh tmpfs */
        char *target; /* the full path (root included) */
        bool recursive;
        char *then_mkdir; /* tmpfs: a directory to create in it (0711) */
} MountItem;

typedef struct SudoPlan {
        char *scratch; /* an empty directory; the child mounts its staging tmpfs there */
        StageItem *items;
        size_t n_items;
        MountItem *binds; /* before the whole tree is made read-only */
        size_t n_binds;
        MountItem *tmpfs; /* after: empty, writable state directories */
        size_t n_tmpfs;
        char *chroot;        /* NULL: the live root */
        size_t sudoers_item; /* the staged /etc/sudoers, when has_sudoers_item */
        bool has_sudoers_item;
        /* who runs sudo: root, or the user */
        bool as_user;
        uid_t uid;
        gid_t gid;
        gid_t *groups;
        size_t n_groups;
} SudoPlan;

static void plan_done(SudoPlan *p) {
        for (size_t i = 0; i < p->n_items; i++) {
                free(p->items[i].path);
                free(p->items[i].data);
        }
        for (size_t i = 0; i < p->n_binds + p->n_tmpfs; i++) {
                MountItem *m = i < p->n_binds ? &p->binds[i] : &p->tmpfs[i - p->n_binds];

                free(m->source);
                free(m->target);
                free(m->then_mkdir);
        }
        if (p->scratch)
                (void) rmdir(p->scratch);
        free(p->scratch);
        free(p->items);
        free(p->binds);
        free(p->tmpfs);
        free(p->chroot);
        free(p->groups);
        *p = (SudoPlan){};
}

/* Takes path and data (freed on failure). */
static int plan_item(SudoPlan *p, StageKind kind, char *path, char *data, size_t len, mode_t mode, uid_t uid,
                     gid_t gid) {
        if (!path || (kind != STAGE_DIR && !data) || ARRAY_GROW_ONE(p->items, p->n_items) < 0) {
                free(path);
                free(data);
                return -ENOMEM;
        }
        p->items[p->n_items++] = (StageItem){ kind, path, data, len, mode & 07777, uid, gid };
        return 0;
}

/* Takes source, target and then_mkdir (freed on failure). */
static int plan_mount(MountItem **list, size_t *n, char *source, char *target, bool recursive, char *then_mkdir) {
        if (ARRAY_GROW_ONE(*list, *n) < 0 || !target) {
                free(source);
                free(target);
                free(then_mkdir);
                return -ENOMEM;
        }
        (*list)[(*n)++] = (MountItem){ source, target, recursive, then_mkdir };
        return 0;
}

/* A new name in the staging directory for the next item: "<scratch>/d3", "<scratch>/f4". */
static char *stage_path(const SudoPlan *p, char kind) {
        char *s = NULL;

        if (asprintf(&s, "%s/%c%zu", p->scratch, kind, p->n_items) < 0)
                return NULL;
        return s;
}

static char *root_path(const Candidate *c, const char *path) {
        char *s = NULL;

        return path_join_root(c->root, path, &s) < 0 ? NULL : s;
}

/* A staged copy of directory dir below root, as it will be: its entries (regular files with
 * their content, symlinks, empty subdirectories; owners and modes kept) with the overlays in it
 * applied. sudo reads it where the real one was. */
static int plan_stage_dir(SudoPlan *p, const Candidate *c, const char *dir) {
        _cleanup_strv_free_ char **names = NULL;
        _cleanup_free_ char *sp = NULL;
        struct stat st;
        int r;

        r = lstat_at_root(c->root, dir, &st);
        if (r < 0)
                return r;
        if (!S_ISDIR(st.st_mode))
                return -ENOTDIR;
        r = candidate_list(dir, &names, (void *) c);
        if (r < 0)
                return r;
        sp = stage_path(p, 'd');
        if (!sp)
                return -ENOMEM;
        r = plan_item(p, STAGE_DIR, strdup(sp), NULL, 0, st.st_mode, st.st_uid, st.st_gid);
        if (r < 0)
                return r;
        STRV_FOREACH (name, names) {
                _cleanup_free_ char *path = NULL;
                const SudoOverlay *o;
                struct stat est;
                char *data = NULL, *item = NULL;
                size_t len = 0;

                if (asprintf(&path, "%s/%s", streq(dir, "/") ? "" : dir, *name) < 0 ||
                    asprintf(&item, "%s/%s", sp, *name) < 0)
                        return -ENOMEM;
                o = candidate_overlay(c, path);
                r = lstat_at_root(c->root, path, &est);
                if (r < 0 && r != -ENOENT) {
                        free(item);
                        return r;
                }
                if (o) {
                        /* a replaced file keeps its owner and mode; a new one is like a drop-in */
                        bool keep = r >= 0 && S_ISREG(est.st_mode);

                        data = malloc(o->len + 1);
                        if (data)
                                memcpy(data, o->text, o->len);
                        r = plan_item(p, STAGE_FILE, item, data, o->len, keep ? est.st_mode : 0440,
                                      keep ? est.st_uid : 0, keep ? est.st_gid : 0);
                        if (r >= 0 && streq(path, SUDOERS_MAIN))
                                p->sudoers_item = p->n_items - 1, p->has_sudoers_item = true;
                } else if (r < 0)
                        r = 0, free(item); /* gone since it was listed */
                else if (S_ISREG(est.st_mode)) {
                        r = read_file_at_root(c->root, path, true, READ_FILE_MAX, &data, &len);
                        if (r < 0) {
                                free(item);
                                return r;
                        }
                        r = plan_item(p, STAGE_FILE, item, data, len, est.st_mode, est.st_uid, est.st_gid);
                        if (r >= 0 && streq(path, SUDOERS_MAIN))
                                p->sudoers_item = p->n_items - 1, p->has_sudoers_item = true;
                } else if (S_ISLNK(est.st_mode)) {
                        r = readlink_at_root(c->root, path, &data);
                        if (r < 0) {
                                free(item);
                                return r;
                        }
                        r = plan_item(p, STAGE_SYMLINK, item, data, strlen(data), 0, 0, 0);
                } else if (S_ISDIR(est.st_mode))
                        r = plan_item(p, STAGE_DIR, item, NULL, 0, est.st_mode, est.st_uid, est.st_gid);
                else
                        r = 0, free(item); /* sudo reads neither sockets nor devices as sudoers */
                if (r < 0)
                        return r;
        }
        return plan_mount(&p->binds, &p->n_binds, TAKE_PTR(sp), root_path(c, dir), false, NULL);
}

/* A staged copy of one existing regular file with its new content, bound over it. */
static int plan_stage_file(SudoPlan *p, const Candidate *c, const SudoOverlay *o, const struct stat *st) {
        char *sp = stage_path(p, 'f'), *data;
        int r;

        if (!sp)
                return -ENOMEM;
        data = malloc(o->len + 1);
        if (data)
                memcpy(data, o->text, o->len);
        r = plan_item(p, STAGE_FILE, sp, data, o->len, st->st_mode, st->st_uid, st->st_gid);
        if (r < 0)
                return r;
        if (streq(o->path, SUDOERS_MAIN))
                p->sudoers_item = p->n_items - 1, p->has_sudoers_item = true;
        return plan_mount(&p->binds, &p->n_binds, strdup(sp), root_path(c, o->path), false, NULL);
}

/* Where sudo keeps state: fresh tmpfs over what exists, so that no ticket of a real session counts
 * and nothing written stays. /run/nscd is hidden so that glibc reads the candidate files, not the
 * nscd cache of the real ones. In an image tree, all of its /run (unused until it boots). */
static int plan_state_dirs(SudoPlan *p, const Candidate *c) {
        static const char *const dirs[] = { "/var/lib/sudo", "/var/db/sudo", "/var/log/sudo-io", "/run/nscd" };
        struct stat st;
        int r;

        if (c->live) {
                if (mkdir("/run/sudo", 0711) < 0 && errno != EEXIST) /* as sudo's tmpfiles.d does */
                        return -errno;
                r = plan_mount(&p->tmpfs, &p->n_tmpfs, NULL, strdup("/run/sudo"), false, NULL);
        } else if (lstat_at_root(c->root, "/run", &st) >= 0 && S_ISDIR(st.st_mode))
                r = plan_mount(&p->tmpfs, &p->n_tmpfs, NULL, root_path(c, "/run"), false, root_path(c, "/run/sudo"));
        else
                r = 0;
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                if (!c->live && startswith(dirs[i], "/run/"))
                        continue;
                if (lstat_at_root(c->root, dirs[i], &st) < 0 || !S_ISDIR(st.st_mode))
                        continue;
                r = plan_mount(&p->tmpfs, &p->n_tmpfs, NULL, root_path(c, dirs[i]), false, NULL);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* An image tree gets the host's /dev and /proc; the mailer sudo calls (mail_badpass,
 * mail_no_user) is covered by an empty file that cannot be run. */
static int plan_extras(SudoPlan *p, const Candidate *c) {
        struct stat st;
        int r;

        if (!c->live)
                for (size_t i = 0; i < 2; i++) {
                        const char *d = i == 0 ? "/dev" : "/proc";

                        if (lstat_at_root(c->root, d, &st) < 0 || !S_ISDIR(st.st_mode))
                                continue;
                        r = plan_mount(&p->binds, &p->n_binds, strdup(d), root_path(c, d), true, NULL);
                        if (r < 0)
                                return r;
                }
        if (c->live ? stat(SENDMAIL, &st) >= 0 : lstat_at_root(c->root, SENDMAIL, &st) >= 0 && S_ISREG(st.st_mode)) {
                char *sp = stage_path(p, 'f');

                r = plan_item(p, STAGE_FILE, sp, strdup(""), 0, 0, 0, 0);
                if (r < 0)
                        return r;
                return plan_mount(&p->binds, &p->n_binds, strdup(sp), root_path(c, SENDMAIL), false, NULL);
        }
        return 0;
}

static int plan_build(SudoPlan *p, const Candidate *c) {
        _cleanup_strv_free_ char **dirs = NULL;
        int r;

        r = mkdtemp_owned("/tmp", "hardend-sudo", &p->scratch);
        if (r < 0)
                return r;
        if (!c->live && !(p->chroot = strdup(c->root)))
                return -ENOMEM;

        /* new or removed files: their directory is staged as a whole */
        for (size_t i = 0; i < c->n_overlays; i++) {
                const SudoOverlay *o = &c->overlays[i];
                _cleanup_free_ char *dir = NULL;
                struct stat st;

                r = lstat_at_root(c->root, o->path, &st);
                if (r < 0 && r != -ENOENT)
                        return r;
                if (r >= 0 && o->text && S_ISREG(st.st_mode))
                        continue;
                if (r >= 0 && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode))
                        return -EISDIR;
                dir = parent_dir(o->path);
                if (!dir)
                        return -ENOMEM;
                if (!strv_contains(dirs, dir) && strv_extend(&dirs, dir) < 0)
                        return -ENOMEM;
        }
        STRV_FOREACH (d, dirs) {
                r = plan_stage_dir(p, c, *d);
                if (r < 0)
                        return r;
        }
        /* replaced files elsewhere: each bound over itself (the last overlay of a path counts) */
        for (size_t i = 0; i < c->n_overlays; i++) {
                const SudoOverlay *o = &c->overlays[i];
                _cleanup_free_ char *dir = parent_dir(o->path);
                struct stat st;

                if (!dir)
                        return -ENOMEM;
                if (strv_contains(dirs, dir) || candidate_overlay(c, o->path) != o)
                        continue;
                r = lstat_at_root(c->root, o->path, &st);
                if (r < 0)
                        return r;
                r = plan_stage_file(p, c, o, &st);
                if (r < 0)
                        return r;
        }
        /* /etc/sudoers staged in any case, for the run without authentication */
        if (!p->has_sudoers_item) {
                _cleanup_free_ char *text = NULL;
                struct stat st;

                r = lstat_at_root(c->root, SUDOERS_MAIN, &st);
                if (r >= 0 && S_ISREG(st.st_mode)) {
                        r = candidate_read(SUDOERS_MAIN, &text, (void *) c);
                        if (r >= 0)
                                r = plan_stage_file(p, c, &(SudoOverlay){ SUDOERS_MAIN, text, strlen(text) }, &st);
                        if (r < 0)
                                return r;
                }
        }
        r = plan_extras(p, c);
        if (r < 0)
                return r;
        return plan_state_dirs(p, c);
}

/* The staged /etc/sudoers with a last line that switches authentication off for user: what
 * else keeps sudo from running a command for the user (PAM account or session, requiretty)? */
static int plan_without_authentication(SudoPlan *p, const char *user) {
        StageItem *it;
        char *text = NULL;

        if (!p->has_sudoers_item)
                return -ENOENT;
        it = &p->items[p->sudoers_item];
        if (asprintf(&text, "%.*s%sDefaults:\"%s\" !authenticate\n", (int) it->len, it->data,
                     it->len > 0 && it->data[it->len - 1] != '\n' ? "\n" : "", user) < 0)
                return -ENOMEM;
        free(it->data);
        it->data = text;
        it->len = strlen(text);
        return 0;
}

/* ---- in the forked child: system calls only ---- */

static int write_all(int fd, const char *data, size_t len) {
        while (len > 0) {
                ssize_t n = write(fd, data, len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return n < 0 ? -errno : -EIO;
                data += n;
                len -= (size_t) n;
        }
        return 0;
}

static int stage_item(const StageItem *it) {
        int fd, r;

        switch (it->kind) {
        case STAGE_DIR:
                if (mkdir(it->path, 0700) < 0 || chown(it->path, it->uid, it->gid) < 0 ||
                    chmod(it->path, it->mode) < 0)
                        return -errno;
                return 0;
        case STAGE_SYMLINK:
                return symlink(it->data, it->path) < 0 ? -errno : 0;
        case STAGE_FILE:
                fd = open(it->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
                if (fd < 0)
                        return -errno;
                r = write_all(fd, it->data, it->len);
                if (r >= 0 && (fchown(fd, it->uid, it->gid) < 0 || fchmod(fd, it->mode) < 0))
                        r = -errno;
                (void) close(fd);
                return r;
        }
        return -EINVAL;
}

static int plan_enter(void *userdata) {
        const SudoPlan *p = userdata;
        struct mount_attr ro = { .attr_set = MOUNT_ATTR_RDONLY };
        bool all_ro;
        int r;

        if (unshare(CLONE_NEWNS | CLONE_NEWNET) < 0)
                return -errno;
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return -errno;
        if (mount("tmpfs", p->scratch, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700") < 0)
                return -errno;
        for (size_t i = 0; i < p->n_items; i++) {
                r = stage_item(&p->items[i]);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < p->n_binds; i++)
                if (mount(p->binds[i].source, p->binds[i].target, NULL, MS_BIND | (p->binds[i].recursive ? MS_REC : 0),
                          NULL) < 0)
                        return -errno;
        /* the binds hold the staged files; the staging mount itself is not needed any more */
        (void) umount2(p->scratch, MNT_DETACH);

        /* Everything read-only (the staged copies included): sudo and PAM can change nothing
         * outside the tmpfs below. Without mount_setattr() (Linux < 5.12), at least the binds. */
        all_ro = mount_setattr(AT_FDCWD, "/", AT_RECURSIVE, &ro, sizeof(ro)) >= 0;
        if (!all_ro)
                for (size_t i = 0; i < p->n_binds; i++)
                        if (!p->binds[i].recursive &&
                            mount(NULL, p->binds[i].target, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
                                return -errno;
        for (size_t i = 0; i < p->n_tmpfs; i++) {
                if (mount("tmpfs", p->tmpfs[i].target, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0711") < 0)
                        return -errno;
                if (p->tmpfs[i].then_mkdir && mkdir(p->tmpfs[i].then_mkdir, 0711) < 0)
                        return -errno;
        }
        if (p->chroot && chroot(p->chroot) < 0)
                return -errno;
        if (chdir("/") < 0)
                return -errno;
        if (p->as_user && (setgroups(p->n_groups, p->groups) < 0 || setresgid(p->gid, p->gid, p->gid) < 0 ||
                           setresuid(p->uid, p->uid, p->uid) < 0))
                return -errno;
        return 0;
}

/* ---- the checks ---- */

static int run_sudo(SudoPlan *p, const char *const *argv, SpawnResult *ret) {
        SpawnOptions o = {
                .argv = argv,
                .timeout_ms = SUDO_CHECK_TIMEOUT_MS,
                .max_output = 64 * 1024,
                .pre_exec = plan_enter,
                .userdata = p,
        };
        SpawnResult r = {};
        int k;

        k = spawn_run(&o, &r);
        if (k < 0)
                return k;
        if (r.timed_out) {
                spawn_result_done(&r);
                return -ETIMEDOUT;
        }
        if (r.signal) {
                spawn_result_done(&r);
                return -EIO;
        }
        /* sudo's message as one line of text */
        for (char *c = r.err; *c; c++)
                if (*c == '\n')
                        *c = c[1] ? ' ' : 0;
        *ret = r;
        return 0;
}

/* USER's uid, gid and groups in the candidate files, or 0 and *ret_why when there is no such user. */
static int plan_user(SudoPlan *p, const char *user, const AcctDb *db, char **ret_why) {
        const AcctUser *u;

        u = acct_db_user(db, user);
        if (!u) {
                if (asprintf(ret_why, "%s has no account (not in /etc/passwd)", user) < 0)
                        return -ENOMEM;
                return 0;
        }
        p->uid = u->uid;
        p->gid = u->gid;
        p->groups = calloc(db->n_groups + 1, sizeof(gid_t));
        if (!p->groups)
                return -ENOMEM;
        p->groups[p->n_groups++] = u->gid;
        for (size_t i = 0; i < db->n_groups; i++) {
                bool seen = false;

                if (!acct_db_in_group(db, u, &db->groups[i]))
                        continue;
                for (size_t j = 0; j < p->n_groups; j++)
                        seen = seen || p->groups[j] == db->groups[i].gid;
                if (!seen)
                        p->groups[p->n_groups++] = db->groups[i].gid;
        }
        return 1;
}

/* sudo wants a password: whose, and can it be typed? */
static int password_verdict(const Candidate *c, const char *user, const AcctDb *db, const char *sudo_said,
                            SudoRoot *ret, char **ret_why) {
        char host[256] = "";
        SudoersReader rd = {
                .read = candidate_read, .list = candidate_list, .userdata = (void *) c, .hostname = host
        };
        _cleanup_free_ char *where = NULL, *flag = NULL;
        const AcctShadow *s;
        const AcctUser *u;
        const char *whose, *field = NULL, *problem;
        unsigned flags = 0;
        long expire = -1;
        int r;

        (void) gethostname(host, sizeof(host) - 1);
        host[strcspn(host, ".")] = 0;
        r = sudoers_other_password(&rd, SUDOERS_MAIN, &flags, &where);
        if (r < 0)
                return r;
        for (unsigned f = 1; f <= SUDOERS_RUNASPW; f <<= 1)
                if (flags & f) {
                        if (asprintf(&flag, " (Defaults %s, %s)", sudoers_other_password_to_string(f), where) < 0)
                                return -ENOMEM;
                        break;
                }
        whose = flags ? "root" : user;
        s = acct_db_shadow(db, whose);
        u = acct_db_user(db, whose);
        if (s)
                field = s->password, expire = s->expire;
        else if (u && !streq(u->passwd, "x"))
                field = u->passwd;
        problem = acct_password_unusable(field, expire, (long) (time(NULL) / 86400));
        if (problem)
                r = asprintf(ret_why, "sudo asks for %s's password%s, which %s", whose, strempty(flag), problem);
        else
                r = asprintf(ret_why, "sudo asks for %s's password%s%s%s%s", whose, strempty(flag),
                             isempty(sudo_said) ? "" : " (", strempty(sudo_said), isempty(sudo_said) ? "" : ")");
        if (r < 0)
                return -ENOMEM;
        *ret = problem ? SUDO_ROOT_NO : SUDO_ROOT_PASSWORD;
        return 0;
}

static int sudo_installed(const Candidate *c) {
        _cleanup_free_ char *sudo = root_path(c, SUDO_BINARY), *id = root_path(c, SUDO_PROBE_COMMAND);
        struct statvfs sv;
        struct stat st;
        int r;

        if (!sudo || !id)
                return -ENOMEM;
        r = c->live ? (stat(SUDO_BINARY, &st) < 0 ? -errno : 0) : lstat_at_root(c->root, SUDO_BINARY, &st);
        if (r < 0)
                return r;
        if (!S_ISREG(st.st_mode) || st.st_uid != 0 || !(st.st_mode & S_ISUID))
                return -EPERM;
        if (statvfs(sudo, &sv) >= 0 && (sv.f_flag & ST_NOSUID))
                return -EPERM;
        if (access(id, X_OK) < 0)
                return -errno;
        if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1) /* setuid would not take */
                return -EPERM;
        return 0;
}

int sudo_root_check(const char *root, const char *user, const SudoOverlay *overlays, size_t n_overlays, SudoRoot *ret,
                    char **ret_why) {
        Candidate c = {
                .root = root ?: "/", .live = root_is_live(root), .overlays = overlays, .n_overlays = n_overlays
        };
        _cleanup_(plan_done) SudoPlan p = {};
        _cleanup_(acct_db_done) AcctDb db = {};
        static const char *const argv_user[] = { SUDO_BINARY, "-n", "-u", "root", SUDO_PROBE_COMMAND, "-u", NULL };
        _cleanup_(spawn_result_done) SpawnResult a = {}, b = {}, n = {};
        _cleanup_free_ char *why = NULL;
        SudoRoot verdict;
        int r;

        if (isempty(user) || user[0] == '-' || user[strcspn(user, " \t\n:,\"\\/=!#%")] ||
            (n_overlays > 0 && !overlays))
                return -EINVAL;
        if (!c.live && c.root[0] != '/')
                return -EINVAL;
        for (size_t i = 0; i < n_overlays; i++)
                if (!overlay_path_ok(overlays[i].path) || (!overlays[i].text && overlays[i].len > 0))
                        return -EINVAL;
        r = sudo_installed(&c);
        if (r < 0)
                return r;
        r = acct_db_load_with(candidate_read, &c, &db, NULL);
        if (r < 0)
                return r == -ENOMEM ? r : -EBADMSG;
        r = plan_user(&p, user, &db, &why);
        if (r < 0)
                return r;
        if (r == 0) {
                *ret = SUDO_ROOT_NO;
                *ret_why = TAKE_PTR(why);
                return 0;
        }
        r = plan_build(&p, &c);
        if (r < 0)
                return r;

        /* 1: as the user, with no tty and no way to answer a prompt: the common case answers here */
        p.as_user = true;
        r = run_sudo(&p, argv_user, &b);
        if (r < 0)
                return r;
        if (b.exit_code == 0 && streq(b.out, "0\n"))
                verdict = SUDO_ROOT_NOPASSWD;
        else {
                /* 2: does the policy let the user run it as root at all (after a password or not)? */
                p.as_user = false;
                r = run_sudo(&p,
                             (const char *const[]){ SUDO_BINARY, "-n", "-l", "-U", user, "-u", "root",
                                                    SUDO_PROBE_COMMAND, NULL },
                             &a);
                if (r < 0)
                        return r;
                if (a.exit_code != 0) {
                        if (asprintf(&why, "sudo: %s may not run %s as root%s%s", user, SUDO_PROBE_COMMAND,
                                     isempty(a.err) ? "" : ": ", a.err) < 0)
                                return -ENOMEM;
                        verdict = SUDO_ROOT_NO;
                } else {
                        /* 3: would it run the command once the user has authenticated? */
                        p.as_user = true;
                        r = plan_without_authentication(&p, user);
                        if (r >= 0)
                                r = run_sudo(&p, argv_user, &n);
                        if (r < 0 && r != -ENOENT)
                                return r;
                        if (r >= 0 && !(n.exit_code == 0 && streq(n.out, "0\n"))) {
                                if (asprintf(&why,
                                             "sudo does not run commands as root for %s, even without a password%s%s",
                                             user, isempty(n.err) ? "" : ": ", n.err) < 0)
                                        return -ENOMEM;
                                verdict = SUDO_ROOT_NO;
                        } else {
                                /* 4: it wants a password: whose, and can it be typed? */
                                r = password_verdict(&c, user, &db, b.err, &verdict, &why);
                                if (r < 0)
                                        return r;
                        }
                }
        }
        *ret = verdict;
        *ret_why = TAKE_PTR(why);
        return 0;
}
