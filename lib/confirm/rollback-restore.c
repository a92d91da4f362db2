/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "modules.h"
#include "rollback.h"
#include "state.h"
#include "strv.h"
#include "sys/fileio.h"
#include "sys/netfilter.h"
#include "sys/nfsnap.h"
#include "sys/nft.h"
#include "sys/systemd.h"
#include "time-util.h"

#define NF_TABLE                 "filter"
#define ROLLBACK_LOCK_TIMEOUT_MS 10000

static int failed(char ***errors, int r, const char *what, const char *path) {
        (void) strv_extendf(errors, "%s %s: %s", what, path, strerror(-r));
        return r;
}

static int cmp_path(const void *a, const void *b) {
        return strcmp((*(const SnapEntry *const *) a)->path, (*(const SnapEntry *const *) b)->path);
}

/* The entries of one kind, sorted by path (parents before their children). */
static int sorted(const Snapshot *s, SnapKind kind, const SnapEntry ***ret, size_t *ret_n) {
        const SnapEntry **l = calloc(s->n_entries + 1, sizeof(SnapEntry *));
        size_t n = 0;

        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_entries; i++)
                if (s->entries[i].kind == kind)
                        l[n++] = &s->entries[i];
        qsort(l, n, sizeof(SnapEntry *), cmp_path);
        *ret = l;
        *ret_n = n;
        return 0;
}

static bool saved(const Snapshot *s, const char *path) {
        for (size_t i = 0; i < s->n_entries; i++)
                if (s->entries[i].kind != SNAP_TREE && s->entries[i].kind != SNAP_TABLE &&
                    s->entries[i].kind != SNAP_NFTABLE && s->entries[i].kind != SNAP_ABSENT &&
                    streq(s->entries[i].path, path))
                        return true;
        return false;
}

static int restore_symlink(const char *root, const SnapEntry *e, char ***changes) {
        _cleanup_free_ char *now = NULL;
        struct stat st;
        int r;

        if (readlink_at_root(root, e->path, &now) >= 0 && streq(now, e->target))
                return 0;
        if (lstat_at_root(root, e->path, &st) >= 0 && S_ISDIR(st.st_mode))
                return -EISDIR;
        r = symlink_atomic_at_root(root, e->target, e->path);
        if (r < 0)
                return r;
        (void) strv_extendf(changes, "restored %s -> %s", e->path, e->target);
        return 0;
}

static int remove_path(const char *root, const char *path, char ***changes) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *base = NULL;
        struct stat st;
        int r;

        r = lstat_at_root(root, path, &st);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        fd = open_parent_at_root(root, path, &base);
        if (fd < 0)
                return fd;
        r = rm_rf_at(fd, base);
        if (r < 0)
                return r;
        (void) fsync(fd);
        (void) strv_extendf(changes, "removed %s (it was not there before)", path);
        return 0;
}

/* Removes what appeared below a saved tree. */
static int prune_tree(const char *root, const Snapshot *s, const char *dir, unsigned depth, char ***changes,
                      char ***errors) {
        _cleanup_strv_free_ char **names = NULL;
        _cleanup_close_ int fd = -EBADF;
        DIR *d;
        int r = 0;

        fd = open_dir_at_root(root, dir, O_RDONLY | O_DIRECTORY);
        if (fd < 0)
                return fd == -ENOENT ? 0 : failed(errors, fd, "cannot read", dir);
        d = fdopendir(fd);
        if (!d)
                return failed(errors, -errno, "cannot read", dir);
        fd = -EBADF;
        for (struct dirent *de; (de = readdir(d));)
                if (!streq(de->d_name, ".") && !streq(de->d_name, "..") && strv_extend(&names, de->d_name) < 0) {
                        (void) closedir(d);
                        return -ENOMEM;
                }
        (void) closedir(d);
        STRV_FOREACH (name, names) {
                _cleanup_free_ char *child = NULL;
                struct stat st;
                int k;

                if (asprintf(&child, "%s/%s", dir, *name) < 0)
                        return -ENOMEM;
                if (!saved(s, child))
                        k = remove_path(root, child, changes);
                else if (depth + 1 < ROLLBACK_MAX_TREE_DEPTH && lstat_at_root(root, child, &st) >= 0 &&
                         S_ISDIR(st.st_mode))
                        k = prune_tree(root, s, child, depth + 1, changes, errors);
                else
                        continue;
                if (k < 0 && r == 0)
                        r = failed(errors, k, "cannot remove", child);
        }
        return r;
}

int snapshot_restore_files(const char *root, const Snapshot *s, char ***changes, char ***errors) {
        _cleanup_free_ const SnapEntry **l = NULL;
        size_t n;
        int r, ret = 0;

#define KEEP_FIRST(k)                    \
        do {                             \
                if ((k) < 0 && ret == 0) \
                        ret = (k);       \
        } while (0)

        /* directories first, parents before children */
        r = sorted(s, SNAP_DIR, &l, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                r = ensure_dir_at_root(root, l[i]->path, l[i]->mode, l[i]->uid, l[i]->gid);
                if (r < 0)
                        KEEP_FIRST(failed(errors, r, "cannot restore directory", l[i]->path));
                else if (r > 0)
                        (void) strv_extendf(changes, "restored directory %s", l[i]->path);
        }

        for (size_t i = 0; i < s->n_entries; i++) {
                const SnapEntry *e = &s->entries[i];

                if (e->kind == SNAP_FILE) {
                        r = write_file_atomic_if_changed(root, e->path, e->data, e->size, e->mode, e->uid, e->gid);
                        if (r < 0)
                                KEEP_FIRST(failed(errors, r, "cannot restore", e->path));
                        else if (r > 0)
                                (void) strv_extendf(changes, "restored %s", e->path);
                } else if (e->kind == SNAP_SYMLINK) {
                        r = restore_symlink(root, e, changes);
                        if (r < 0)
                                KEEP_FIRST(failed(errors, r, "cannot restore symlink", e->path));
                }
        }

        for (size_t i = 0; i < s->n_entries; i++)
                if (s->entries[i].kind == SNAP_TREE)
                        KEEP_FIRST(prune_tree(root, s, s->entries[i].path, 0, changes, errors));

        /* what was absent goes, deepest first */
        free((void *) l);
        l = NULL;
        r = sorted(s, SNAP_ABSENT, &l, &n);
        if (r < 0)
                return r;
        for (size_t i = n; i > 0; i--) {
                r = remove_path(root, l[i - 1]->path, changes);
                if (r < 0)
                        KEEP_FIRST(failed(errors, r, "cannot remove", l[i - 1]->path));
        }
#undef KEEP_FIRST
        return ret;
}

/* ---- the whole snapshot: files, tables, units ---- */

static int snapshot_push(Snapshot *s, SnapEntry e, const char *name) {
        e.path = strdup(name);
        if (!e.path) {
                free(e.data);
                return -ENOMEM;
        }
        return snapshot_push_entry(s, &e);
}

int snapshot_add_table(Snapshot *s, int family, const char *name) {
        SnapEntry e = { .kind = SNAP_TABLE };
        int r;

        r = nf_table_save(family, NF_TABLE, (void **) &e.data, &e.size);
        if (r < 0 && r != -ENOENT)
                return r;
        e.has_data = r >= 0;
        return snapshot_push(s, e, name);
}

int snapshot_add_nft_table(Snapshot *s, const char *family, const char *name) {
        SnapEntry e = { .kind = SNAP_NFTABLE };
        _cleanup_free_ char *path = NULL;
        int r;

        if (asprintf(&path, "%s %s", family, name) < 0)
                return -ENOMEM;
        r = nft_table_save(family, name, &e.data);
        if (r < 0)
                return r;
        e.has_data = e.data;
        e.size = e.data ? strlen(e.data) : 0;
        return snapshot_push(s, e, path);
}

int rollback_take(Context *c, const Module *const *modules, size_t n, Snapshot *ret) {
        _cleanup_(snapshot_done) Snapshot s = { .pid = getpid(), .created_usec = now_realtime_usec() };
        int r;

        r = process_start_time(s.pid, &s.pid_start);
        if (r < 0)
                return r;
        if (c->ssh_connection && !(s.ssh_connection = strdup(c->ssh_connection)))
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                const Module *m = modules[i];
                _cleanup_strv_free_ char **paths = NULL;

                if (!context_module_active(c, m))
                        continue;
                if (c->live && m->snapshot_state) {
                        r = m->snapshot_state(c, &s);
                        if (r < 0)
                                return r;
                }
                if (!m->snapshot_paths)
                        continue;
                r = m->snapshot_paths(c, &paths);
                if (r < 0)
                        return r;
                if (m->after_restore && !strv_isempty(paths) && strv_extend(&s.after_restore, m->name) < 0)
                        return -ENOMEM;
                STRV_FOREACH (p, paths) {
                        r = snapshot_add_path(&s, c->root, *p);
                        if (r < 0)
                                return r;
                }
        }
        /* apply records itself in the state file: the rollback puts the previous record back */
        r = snapshot_add_path(&s, c->root, STATE_PATH);
        if (r < 0)
                return r;
        *ret = s;
        s = (Snapshot){};
        return 0;
}

/* nftables tables need no xtables lock: a transaction replaces the table whole. */
static int restore_nft_table(const SnapEntry *e, char ***changes, char ***errors) {
        _cleanup_free_ char *family = NULL, *err = NULL;
        const char *name = strchr(e->path, ' ');
        int r;

        if (!name)
                return -EBADMSG;
        family = strndup(e->path, (size_t) (name - e->path));
        if (!family)
                return -ENOMEM;
        r = nft_table_restore(family, name + 1, e->has_data ? e->data : NULL, &err);
        if (r < 0) {
                (void) strv_extendf(errors, "cannot restore the nftables table %s: %s", e->path, err ?: strerror(-r));
                return r;
        }
        (void) strv_extendf(changes, "restored the nftables table %s%s", e->path,
                            e->has_data ? "" : " (it did not exist: removed)");
        return 0;
}

static int restore_tables(const Snapshot *s, char ***changes, char ***errors) {
        _cleanup_close_ int lock = -EBADF;
        int ret = 0;

        for (size_t i = 0; i < s->n_entries; i++) {
                const SnapEntry *e = &s->entries[i];
                int family = streq(e->path, "ipv4") ? AF_INET : AF_INET6, r;

                if (e->kind == SNAP_NFTABLE) {
                        r = restore_nft_table(e, changes, errors);
                        if (r < 0 && ret == 0)
                                ret = r;
                        continue;
                }
                if (e->kind != SNAP_TABLE)
                        continue;
                if (lock < 0) {
                        lock = nf_lock(ROLLBACK_LOCK_TIMEOUT_MS);
                        if (lock < 0)
                                return failed(errors, lock, "cannot take", NF_LOCK_PATH);
                }
                if (e->has_data)
                        r = nf_table_restore(family, NF_TABLE, e->data, e->size);
                else
                        r = nf_table_reset(family, NF_TABLE);
                if (r < 0) {
                        (void) strv_extendf(errors, "cannot restore the %s filter table: %s", e->path, strerror(-r));
                        if (ret == 0)
                                ret = r;
                } else
                        (void) strv_extendf(changes, "restored the %s filter table%s", e->path,
                                            e->has_data ? "" : " (it did not exist: emptied, policies ACCEPT)");
        }
        return ret;
}

static int restore_units(Context *c, const Snapshot *s, bool files_changed, char ***changes, char ***errors) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus *bus;
        int r;

        r = context_get_bus(c, &bus);
        if (r < 0) {
                if (strv_isempty(s->units_active))
                        return 0; /* no manager to tell (a container, the test sandbox) */
                return failed(errors, r, "cannot start the stopped units again over", "the system bus");
        }
        if (files_changed) {
                r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                       "org.freedesktop.systemd1.Manager", "Reload", &error, NULL, NULL);
                if (r < 0)
                        return failed(errors, r, "cannot reload", "systemd");
                (void) strv_extend(changes, "reloaded systemd");
        }
        STRV_FOREACH (u, s->units_active) {
                sd_bus_error_free(&error);
                r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                       "org.freedesktop.systemd1.Manager", "StartUnit", &error, NULL, "ss", *u,
                                       "replace");
                if (r < 0)
                        return failed(errors, r, "cannot start again", *u);
                (void) strv_extendf(changes, "started %s again", *u);
        }
        return 0;
}

int rollback_restore(Context *c, const Snapshot *s, char ***changes, char ***errors) {
        size_t before;
        int r, ret = 0;

        if (c->live)
                ret = restore_tables(s, changes, errors);
        before = strv_length(*changes);
        r = snapshot_restore_files(c->root, s, changes, errors);
        if (r < 0 && ret == 0)
                ret = r;
        if (!c->live)
                return ret;
        if (strv_length(*changes) > before)
                STRV_FOREACH (name, s->after_restore)
                        for (size_t i = 0; i < hardend_n_modules; i++) {
                                const Module *m = hardend_modules[i];

                                if (!streq(m->name, *name) || !m->after_restore)
                                        continue;
                                r = m->after_restore(c, changes, errors);
                                if (r < 0 && ret == 0)
                                        ret = r;
                        }
        r = restore_units(c, s, strv_length(*changes) > before, changes, errors);
        if (r < 0 && ret == 0)
                ret = r;
        return ret;
}
