/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "array.h"
#include "rollback.h"
#include "state.h"
#include "strv.h"
#include "sys/fileio.h"

#define MANIFEST_HEADER "hardend-rollback 1"
#define ROLLBACK_NAME   "rollback"
#define ROLLBACK_NEW    ".rollback.new"
#define ROLLBACK_OLD    ".rollback.old"

static const char *const snap_kind_table[_SNAP_KIND_MAX] = {
        [SNAP_FILE] = "file", [SNAP_SYMLINK] = "symlink", [SNAP_DIR] = "dir",         [SNAP_ABSENT] = "absent",
        [SNAP_TREE] = "tree", [SNAP_TABLE] = "table",     [SNAP_NFTABLE] = "nftable",
};

DEFINE_STRING_TABLE_LOOKUP(snap_kind, SnapKind);

static void snap_entry_done(SnapEntry *e) {
        free(e->path);
        free(e->target);
        free(e->data);
        *e = (SnapEntry){};
}

void snapshot_done(Snapshot *s) {
        for (size_t i = 0; i < s->n_entries; i++)
                snap_entry_done(&s->entries[i]);
        free(s->entries);
        free(s->ssh_connection);
        strv_free(s->units_active);
        strv_free(s->after_restore);
        *s = (Snapshot){};
}

static const SnapEntry *find_entry(const Snapshot *s, const char *path) {
        for (size_t i = 0; i < s->n_entries; i++)
                if (s->entries[i].kind != SNAP_TREE && streq(s->entries[i].path, path))
                        return &s->entries[i];
        return NULL;
}

int snapshot_push_entry(Snapshot *s, SnapEntry *e) {
        if (s->n_entries >= ROLLBACK_MAX_ENTRIES) {
                snap_entry_done(e);
                return -E2BIG;
        }
        if (ARRAY_GROW_ONE(s->entries, s->n_entries) < 0) {
                snap_entry_done(e);
                return -ENOMEM;
        }
        s->entries[s->n_entries++] = *e;
        *e = (SnapEntry){};
        return 0;
}

/* Saves one path (no tree walk); *ret_dir says whether it is a directory. */
static int add_one(Snapshot *s, const char *root, const char *path, bool *ret_dir) {
        SnapEntry e = {};
        struct stat st;
        int r;

        *ret_dir = false;
        if (find_entry(s, path))
                return 0;
        e.path = strdup(path);
        if (!e.path)
                return -ENOMEM;
        r = lstat_at_root(root, path, &st);
        if (r == -ENOENT) {
                e.kind = SNAP_ABSENT;
                r = 0;
        } else if (r < 0) {
                snap_entry_done(&e);
                return r;
        } else if (S_ISREG(st.st_mode)) {
                e.kind = SNAP_FILE;
                e.has_data = true;
                r = read_file_at_root(root, path, true, READ_FILE_MAX, &e.data, &e.size);
        } else if (S_ISLNK(st.st_mode)) {
                e.kind = SNAP_SYMLINK;
                r = readlink_at_root(root, path, &e.target);
        } else if (S_ISDIR(st.st_mode)) {
                e.kind = SNAP_DIR;
                *ret_dir = true;
        } else
                r = -EBADFD; /* a device, FIFO or socket where a module writes: not ours to save */
        if (r < 0) {
                snap_entry_done(&e);
                return r;
        }
        if (e.kind != SNAP_ABSENT) {
                e.mode = st.st_mode & 07777;
                e.uid = st.st_uid;
                e.gid = st.st_gid;
        }
        return snapshot_push_entry(s, &e);
}

static int add_tree(Snapshot *s, const char *root, const char *dir, unsigned depth) {
        _cleanup_close_ int fd = -EBADF;
        DIR *d;
        int r = 0;

        fd = open_dir_at_root(root, dir, O_RDONLY | O_DIRECTORY);
        if (fd < 0)
                return fd;
        d = fdopendir(fd);
        if (!d)
                return -errno;
        fd = -EBADF; /* owned by d now */
        for (struct dirent *de; (de = readdir(d));) {
                _cleanup_free_ char *child = NULL;
                bool is_dir;

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (asprintf(&child, "%s/%s", streq(dir, "/") ? "" : dir, de->d_name) < 0) {
                        r = -ENOMEM;
                        break;
                }
                r = add_one(s, root, child, &is_dir);
                if (r < 0)
                        break;
                if (is_dir && depth + 1 < ROLLBACK_MAX_TREE_DEPTH) {
                        r = add_tree(s, root, child, depth + 1);
                        if (r < 0)
                                break;
                }
        }
        (void) closedir(d);
        return r;
}

int snapshot_add_path(Snapshot *s, const char *root, const char *path) {
        _cleanup_free_ char *dir = NULL;
        SnapEntry tree = { .kind = SNAP_TREE };
        size_t l;
        bool is_dir;
        int r;

        if (!path || path[0] != '/')
                return -EINVAL;
        l = strlen(path);
        if (l == 1 || path[l - 1] != '/')
                return add_one(s, root, path, &is_dir);

        dir = strndup(path, l - 1);
        if (!dir)
                return -ENOMEM;
        r = add_one(s, root, dir, &is_dir);
        if (r < 0 || !is_dir)
                return r; /* absent: removed on restore if it appears */
        for (size_t i = 0; i < s->n_entries; i++)
                if (s->entries[i].kind == SNAP_TREE && streq(s->entries[i].path, dir))
                        return 0;
        tree.path = TAKE_PTR(dir);
        r = snapshot_push_entry(s, &tree);
        if (r < 0)
                return r;
        return add_tree(s, root, s->entries[s->n_entries - 1].path, 0);
}

/* ---- the manifest ---- */

static bool needs_escape(unsigned char ch) {
        return ch <= ' ' || ch >= 0x7f || ch == '%';
}

static int escape(const char *s, char **ret) {
        size_t n = 0;
        char *out, *p;

        for (const char *c = s; *c; c++)
                n += needs_escape((unsigned char) *c) ? 3 : 1;
        p = out = malloc(n + 1);
        if (!out)
                return -ENOMEM;
        for (const char *c = s; *c; c++)
                if (needs_escape((unsigned char) *c)) {
                        *p++ = '%';
                        *p++ = "0123456789ABCDEF"[(unsigned char) *c >> 4];
                        *p++ = "0123456789ABCDEF"[(unsigned char) *c & 15];
                } else
                        *p++ = *c;
        *p = 0;
        *ret = out;
        return 0;
}

static int hexval(char c) {
        return c >= '0' && c <= '9'   ? c - '0'
               : c >= 'A' && c <= 'F' ? c - 'A' + 10
               : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                      : -1;
}

static int unescape(const char *s, char **ret) {
        char *out = malloc(strlen(s) + 1), *p = out;

        if (!out)
                return -ENOMEM;
        for (const char *c = s; *c; c++) {
                if (*c != '%') {
                        *p++ = *c;
                        continue;
                }
                if (hexval(c[1]) < 0 || hexval(c[2]) < 0 || (hexval(c[1]) == 0 && hexval(c[2]) == 0)) {
                        free(out);
                        return -EBADMSG;
                }
                *p++ = (char) (hexval(c[1]) * 16 + hexval(c[2]));
                c += 2;
        }
        *p = 0;
        *ret = out;
        return 0;
}

static int append(char **text, size_t *len, const char *fmt, ...) _printf_(3, 4);
static int append(char **text, size_t *len, const char *fmt, ...) {
        va_list ap;
        char *line, *n;
        int k;

        va_start(ap, fmt);
        k = vasprintf(&line, fmt, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;
        n = realloc(*text, *len + (size_t) k + 1);
        if (!n) {
                free(line);
                return -ENOMEM;
        }
        memcpy(n + *len, line, (size_t) k + 1);
        *len += (size_t) k;
        *text = n;
        free(line);
        return 0;
}

int snapshot_format_manifest(const Snapshot *s, char **ret) {
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r;

        r = append(&text, &len, MANIFEST_HEADER "\npid %d %" PRIu64 "\ncreated %" PRIu64 "\ndeadline %" PRIu64 "\n",
                   (int) s->pid, s->pid_start, s->created_usec, s->deadline_usec);
        if (r < 0)
                return r;
        if (s->ssh_connection) {
                _cleanup_free_ char *e = NULL;

                if (escape(s->ssh_connection, &e) < 0 || append(&text, &len, "ssh-connection %s\n", e) < 0)
                        return -ENOMEM;
        }
        STRV_FOREACH (u, s->units_active) {
                _cleanup_free_ char *e = NULL;

                if (escape(*u, &e) < 0 || append(&text, &len, "unit-active %s\n", e) < 0)
                        return -ENOMEM;
        }
        STRV_FOREACH (m, s->after_restore) {
                _cleanup_free_ char *e = NULL;

                if (escape(*m, &e) < 0 || append(&text, &len, "after %s\n", e) < 0)
                        return -ENOMEM;
        }
        for (size_t i = 0; i < s->n_entries; i++) {
                const SnapEntry *e = &s->entries[i];
                _cleanup_free_ char *p = NULL, *t = NULL;

                if (!snap_kind_to_string(e->kind) || escape(e->path, &p) < 0 ||
                    (e->target && escape(e->target, &t) < 0))
                        return -EINVAL;
                /* KIND MODE UID GID DATA =TARGET PATH; the data file is named by the entry's index */
                r = append(&text, &len, "%s %04o %u %u %d =%s %s\n", snap_kind_to_string(e->kind), (unsigned) e->mode,
                           (unsigned) e->uid, (unsigned) e->gid, e->has_data, strempty(t), p);
                if (r < 0)
                        return r;
        }
        r = append(&text, &len, "end\n");
        if (r < 0)
                return r;
        *ret = TAKE_PTR(text);
        return 0;
}

static int parse_u64(const char *s, uint64_t *ret) {
        char *end = NULL;
        unsigned long long u;

        if (isempty(s) || *s == '-')
                return -EBADMSG;
        errno = 0;
        u = strtoull(s, &end, 10);
        if (errno != 0 || *end)
                return -EBADMSG;
        *ret = u;
        return 0;
}

/* "FAMILY NAME" of a table a backend keeps: ip, ip6 or inet, and a name nft takes unquoted. */
static bool nft_table_path_valid(const char *path) {
        const char *name = strchr(path, ' ');

        if (!name || !name[1] ||
            strspn(name + 1, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != strlen(name + 1))
                return false;
        return startswith(path, "ip ") || startswith(path, "ip6 ") || startswith(path, "inet ");
}

static int parse_entry(char **w, size_t n, SnapEntry *ret) {
        SnapEntry e = {};
        uint64_t uid, gid, data;
        unsigned long mode;
        char *end = NULL;
        int r;

        if (n != 7 || w[5][0] != '=')
                return -EBADMSG;
        e.kind = snap_kind_from_string(w[0]);
        errno = 0;
        mode = strtoul(w[1], &end, 8);
        if (e.kind < 0 || errno != 0 || *end || mode > 07777 || parse_u64(w[2], &uid) < 0 ||
            parse_u64(w[3], &gid) < 0 || parse_u64(w[4], &data) < 0 || data > 1 || uid >= UINT32_MAX ||
            gid >= UINT32_MAX)
                return -EBADMSG;
        e.mode = (mode_t) mode;
        e.uid = (uid_t) uid;
        e.gid = (gid_t) gid;
        e.has_data = data;
        r = unescape(w[6], &e.path);
        if (r >= 0 && w[5][1])
                r = unescape(w[5] + 1, &e.target);
        if (r >= 0 && (e.kind == SNAP_TABLE     ? !streq(e.path, "ipv4") && !streq(e.path, "ipv6")
                       : e.kind == SNAP_NFTABLE ? !nft_table_path_valid(e.path)
                                                : e.path[0] != '/'))
                r = -EBADMSG;
        if (r >= 0 && ((e.kind == SNAP_SYMLINK) != !!e.target || (e.kind == SNAP_FILE && !e.has_data) ||
                       (e.kind != SNAP_FILE && e.kind != SNAP_TABLE && e.kind != SNAP_NFTABLE && e.has_data)))
                r = -EBADMSG;
        if (r < 0) {
                snap_entry_done(&e);
                return r;
        }
        *ret = e;
        return 0;
}

int snapshot_parse_manifest(const char *text, Snapshot *ret) {
        _cleanup_(snapshot_done) Snapshot s = {};
        _cleanup_strv_free_ char **lines = NULL;
        bool header = false, end = false;
        int r;

        r = strv_split(text, "\n", &lines);
        if (r < 0)
                return r;
        STRV_FOREACH (l, lines) {
                _cleanup_strv_free_ char **w = NULL;
                size_t n;

                if (end)
                        return -EBADMSG; /* nothing after "end" */
                if (!header) {
                        if (!streq(*l, MANIFEST_HEADER))
                                return -EBADMSG;
                        header = true;
                        continue;
                }
                if (streq(*l, "end")) {
                        end = true;
                        continue;
                }
                r = strv_split(*l, " ", &w);
                if (r < 0)
                        return r;
                n = strv_length(w);
                if (n == 0)
                        return -EBADMSG;
                if (streq(w[0], "pid") && n == 3) {
                        uint64_t pid;

                        if (parse_u64(w[1], &pid) < 0 || pid > INT32_MAX || parse_u64(w[2], &s.pid_start) < 0)
                                return -EBADMSG;
                        s.pid = (pid_t) pid;
                } else if (streq(w[0], "created") && n == 2) {
                        if (parse_u64(w[1], &s.created_usec) < 0)
                                return -EBADMSG;
                } else if (streq(w[0], "deadline") && n == 2) {
                        if (parse_u64(w[1], &s.deadline_usec) < 0)
                                return -EBADMSG;
                } else if (streq(w[0], "reload-sshd") && n == 2 && (streq(w[1], "0") || streq(w[1], "1"))) {
                        /* as written before the after-restore hooks: sshd's is the ssh module's */
                        if (streq(w[1], "1") && strv_extend(&s.after_restore, "ssh") < 0)
                                return -ENOMEM;
                } else if (streq(w[0], "after") && n == 2) {
                        if (strv_extend(&s.after_restore, w[1]) < 0)
                                return -ENOMEM;
                } else if (streq(w[0], "ssh-connection") && n == 2) {
                        free(s.ssh_connection);
                        s.ssh_connection = NULL;
                        if (unescape(w[1], &s.ssh_connection) < 0)
                                return -EBADMSG;
                } else if (streq(w[0], "unit-active") && n == 2) {
                        char *u;

                        if (unescape(w[1], &u) < 0 || strv_consume(&s.units_active, u) < 0)
                                return -EBADMSG;
                } else {
                        SnapEntry e;

                        r = parse_entry(w, n, &e);
                        if (r < 0)
                                return r;
                        r = snapshot_push_entry(&s, &e);
                        if (r < 0)
                                return r;
                }
        }
        if (!end || s.pid <= 0)
                return -EBADMSG; /* truncated, or not written by an apply */
        *ret = s;
        s = (Snapshot){};
        return 0;
}

/* ---- the rollback directory ---- */

static int write_all_at(int dir_fd, const char *name, const void *data, size_t len) {
        _cleanup_close_ int fd = -EBADF;
        size_t done = 0;

        fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        while (done < len) {
                ssize_t k = write(fd, (const char *) data + done, len - done);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return k < 0 ? -errno : -EIO;
                done += (size_t) k;
        }
        return fsync(fd) < 0 ? -errno : 0;
}

static int read_all_at(int dir_fd, const char *name, size_t max, char **ret, size_t *ret_len) {
        _cleanup_free_ char *buf = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t len = 0;
        struct stat st;

        fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADMSG;
        if ((uint64_t) st.st_size > max)
                return -EFBIG;
        buf = malloc((size_t) st.st_size + 1);
        if (!buf)
                return -ENOMEM;
        while (len < (size_t) st.st_size) {
                ssize_t k = read(fd, buf + len, (size_t) st.st_size - len);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        return -EBADMSG; /* shrank under us */
                len += (size_t) k;
        }
        buf[len] = 0;
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

/* STATE_DIR, created like the state file's (an existing /var or /var/lib is left alone). */
static int open_state_dir(const char *root, bool create) {
        static const char *const parents[] = { "/var", "/var/lib", STATE_DIR };

        for (size_t i = 0; create && i < ELEMENTSOF(parents); i++) {
                struct stat st;
                int r;

                if (lstat_at_root(root, parents[i], &st) >= 0 && S_ISDIR(st.st_mode))
                        continue;
                r = ensure_dir_at_root(root, parents[i], 0755, UID_KEEP, GID_KEEP);
                if (r < 0)
                        return r;
        }
        return open_dir_at_root(root, STATE_DIR, O_RDONLY | O_DIRECTORY);
}

static int write_manifest_at(int dir_fd, const Snapshot *s) {
        _cleanup_free_ char *text = NULL;
        int r;

        r = snapshot_format_manifest(s, &text);
        if (r < 0)
                return r;
        return write_all_at(dir_fd, ROLLBACK_MANIFEST, text, strlen(text));
}

int snapshot_save(const char *root, const Snapshot *s) {
        _cleanup_close_ int parent = -EBADF, fd = -EBADF;
        struct stat st;
        int r;

        parent = open_state_dir(root, true);
        if (parent < 0)
                return parent;
        if (fstatat(parent, ROLLBACK_NAME, &st, AT_SYMLINK_NOFOLLOW) >= 0)
                return -EEXIST;
        r = rm_rf_at(parent, ROLLBACK_NEW);
        if (r < 0)
                return r;
        if (mkdirat(parent, ROLLBACK_NEW, 0700) < 0)
                return -errno;
        fd = openat(parent, ROLLBACK_NEW, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        for (size_t i = 0; i < s->n_entries; i++) {
                char name[32];

                if (!s->entries[i].has_data)
                        continue;
                (void) snprintf(name, sizeof(name), "%zu", i);
                r = write_all_at(fd, name, s->entries[i].data, s->entries[i].size);
                if (r < 0)
                        goto fail;
        }
        r = write_manifest_at(fd, s);
        if (r < 0)
                goto fail;
        if (fsync(fd) < 0 || renameat(parent, ROLLBACK_NEW, parent, ROLLBACK_NAME) < 0 || fsync(parent) < 0) {
                r = -errno;
                goto fail;
        }
        return 0;
fail:
        (void) rm_rf_at(parent, ROLLBACK_NEW);
        return r;
}

int snapshot_update_manifest(const char *root, const Snapshot *s) {
        _cleanup_close_ int parent = -EBADF, fd = -EBADF;
        int r;

        parent = open_state_dir(root, false);
        if (parent < 0)
                return parent;
        fd = openat(parent, ROLLBACK_NAME, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        (void) unlinkat(fd, ROLLBACK_MANIFEST ".new", 0);
        {
                _cleanup_free_ char *text = NULL;

                r = snapshot_format_manifest(s, &text);
                if (r < 0)
                        return r;
                r = write_all_at(fd, ROLLBACK_MANIFEST ".new", text, strlen(text));
        }
        if (r < 0)
                return r;
        if (renameat(fd, ROLLBACK_MANIFEST ".new", fd, ROLLBACK_MANIFEST) < 0 || fsync(fd) < 0)
                return -errno;
        return 0;
}

int snapshot_load(const char *root, Snapshot *ret) {
        _cleanup_(snapshot_done) Snapshot s = {};
        _cleanup_close_ int parent = -EBADF, fd = -EBADF;
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r;

        parent = open_state_dir(root, false);
        if (parent < 0)
                return parent;
        fd = openat(parent, ROLLBACK_NAME, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        r = read_all_at(fd, ROLLBACK_MANIFEST, 16u * 1024 * 1024, &text, &len);
        if (r < 0)
                return r;
        if (strlen(text) != len)
                return -EBADMSG;
        r = snapshot_parse_manifest(text, &s);
        if (r < 0)
                return r;
        for (size_t i = 0; i < s.n_entries; i++) {
                char name[32];

                if (!s.entries[i].has_data)
                        continue;
                (void) snprintf(name, sizeof(name), "%zu", i);
                r = read_all_at(fd, name, 64u * 1024 * 1024, &s.entries[i].data, &s.entries[i].size);
                if (r < 0)
                        return r;
        }
        *ret = s;
        s = (Snapshot){};
        return 0;
}

int snapshot_discard(const char *root) {
        _cleanup_close_ int parent = -EBADF;
        struct stat st;
        int r;

        parent = open_state_dir(root, false);
        if (parent == -ENOENT)
                return 0;
        if (parent < 0)
                return parent;
        (void) rm_rf_at(parent, ROLLBACK_NEW);
        if (fstatat(parent, ROLLBACK_NAME, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : -errno;
        /* renamed away first: a crash while removing never leaves a partial snapshot that looks whole */
        r = rm_rf_at(parent, ROLLBACK_OLD);
        if (r < 0)
                return r;
        if (renameat(parent, ROLLBACK_NAME, parent, ROLLBACK_OLD) < 0)
                return -errno;
        (void) fsync(parent);
        r = rm_rf_at(parent, ROLLBACK_OLD);
        return r < 0 ? r : 1;
}

int process_start_time(pid_t pid, uint64_t *ret) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        const char *p;
        int r;

        if (asprintf(&path, "/proc/%d/stat", (int) pid) < 0)
                return -ENOMEM;
        r = read_file_at_root("/", path, false, 4096, &text, NULL);
        if (r < 0)
                return r;
        /* after the command name in parentheses, which may hold anything: field 3 is the state,
         * field 22 the start time */
        p = strrchr(text, ')');
        if (!p)
                return -EBADMSG;
        p++;
        for (int field = 3; field < 22; field++) {
                p = strchr(p + 1, ' ');
                if (!p)
                        return -EBADMSG;
        }
        errno = 0;
        *ret = strtoull(p + 1, NULL, 10);
        return errno ? -errno : 0;
}

int snapshot_owner_alive(const Snapshot *s) {
        uint64_t start;
        int r;

        if (s->pid <= 0)
                return 0;
        r = process_start_time(s->pid, &start);
        if (r == -ENOENT || r == -ESRCH)
                return 0;
        if (r < 0)
                return r;
        return start == s->pid_start;
}
