/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <unistd.h>

#include "macro.h"
#include "fileio.h"

#define TEMP_PREFIX ".#hardend."

static ssize_t default_write(int fd, const void *buf, size_t n) {
        return write(fd, buf, n);
}

const AtomicOps atomic_ops_default = {
        .write = default_write,
        .fsync = fsync,
        .renameat = renameat,
};

const AtomicOps atomic_ops_nosync = {
        .write = default_write,
        .fsync = fsync,
        .renameat = renameat,
        .nosync = true,
        .exchange = true,
};

bool root_is_live(const char *root) {
        return !root || streq(root, "/") || streq(root, "");
}

int path_join_root(const char *root, const char *path, char **ret) {
        if (!path || path[0] != '/')
                return -EINVAL;
        if (root_is_live(root))
                *ret = strdup(path);
        else if (asprintf(ret, "%s%s", root, path) < 0)
                *ret = NULL;
        return *ret ? 0 : -ENOMEM;
}

int open_dir_at_root(const char *root, const char *dir, int flags) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *copy = NULL;
        char *save = NULL;

        if (!dir || dir[0] != '/')
                return -EINVAL;
        if (flags == 0)
                flags = O_PATH;
        copy = strdup(dir);
        if (!copy)
                return -ENOMEM;

        fd = open(root_is_live(root) ? "/" : root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
                int nfd;

                if (streq(c, ".."))
                        return -EINVAL;
                if (streq(c, "."))
                        continue;
                nfd = openat(fd, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (nfd < 0) {
                        struct stat st;
                        int r = -errno;

                        /* a symlink on the way is refused as such, not as "not a directory" */
                        if (r == -ENOTDIR && fstatat(fd, c, &st, AT_SYMLINK_NOFOLLOW) >= 0 && S_ISLNK(st.st_mode))
                                return -ELOOP;
                        return r;
                }
                safe_close(fd);
                fd = nfd;
        }
        if (flags != O_PATH) {
                int nfd = openat(fd, ".", flags | O_DIRECTORY | O_CLOEXEC);

                if (nfd < 0)
                        return -errno;
                safe_close(fd);
                fd = nfd;
        }
        return TAKE_FD(fd);
}

int open_parent_at_root(const char *root, const char *path, char **ret_base) {
        _cleanup_free_ char *dir = NULL;
        const char *slash;
        int fd;

        if (!path || path[0] != '/' || endswith(path, "/"))
                return -EINVAL;
        slash = strrchr(path, '/');
        dir = slash == path ? strdup("/") : strndup(path, (size_t) (slash - path));
        if (!dir)
                return -ENOMEM;
        if (streq(slash + 1, ".") || streq(slash + 1, ".."))
                return -EINVAL;
        fd = open_dir_at_root(root, dir, O_RDONLY | O_DIRECTORY); /* O_RDONLY alone is 0: O_PATH */
        if (fd < 0)
                return fd;
        *ret_base = strdup(slash + 1);
        if (!*ret_base) {
                safe_close(fd);
                return -ENOMEM;
        }
        return fd;
}

int read_fd_max(int fd, size_t max, char **ret, size_t *ret_len) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, allocated = 0;

        for (;;) {
                ssize_t n;

                if (allocated - len < 4096) {
                        size_t a = allocated ? allocated * 2 : 8192;
                        char *b;

                        if (allocated > max + 1)
                                return -EFBIG;
                        b = realloc(buf, a + 1);
                        if (!b)
                                return -ENOMEM;
                        buf = b;
                        allocated = a;
                }
                n = read(fd, buf + len, allocated - len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                len += (size_t) n;
                if (len > max)
                        return -EFBIG;
        }
        buf[len] = 0;
        *ret = TAKE_PTR(buf);
        if (ret_len)
                *ret_len = len;
        return 0;
}

int read_private_file(const char *path, size_t max, char **ret, size_t *ret_len) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
        struct stat st;

        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 0077))
                return -EPERM;
        return read_fd_max(fd, max, ret, ret_len);
}

int read_file_at_root(const char *root, const char *path, bool nofollow, size_t max, char **ret, size_t *ret_len) {
        _cleanup_free_ char *full = NULL, *base = NULL;
        _cleanup_close_ int fd = -EBADF, dfd = -EBADF;
        int r;

        if (nofollow) {
                dfd = open_parent_at_root(root, path, &base);
                if (dfd < 0)
                        return dfd;
                fd = openat(dfd, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
        } else {
                r = path_join_root(root, path, &full);
                if (r < 0)
                        return r;
                fd = open(full, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        }
        if (fd < 0)
                return -errno;
        return read_fd_max(fd, max, ret, ret_len);
}

int cleanup_stale_temps(int dir_fd, const char *base) {
        _cleanup_free_ char *prefix = NULL;
        DIR *d;
        int fd;

        if (asprintf(&prefix, TEMP_PREFIX "%s.", base) < 0)
                return -ENOMEM;
        fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                safe_close(fd);
                return -errno;
        }
        for (struct dirent *de; (de = readdir(d));)
                if (startswith(de->d_name, prefix))
                        (void) unlinkat(dir_fd, de->d_name, 0);
        closedir(d);
        return 0;
}

static int make_temp_name(const char *base, char **ret) {
        unsigned long long rnd;

        if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd))
                rnd = (unsigned long long) getpid() * 2654435761ULL ^ (unsigned long long) (size_t) ret;
        return asprintf(ret, TEMP_PREFIX "%s.%016llx", base, rnd) < 0 ? -ENOMEM : 0;
}

static int replace_name(const AtomicOps *ops, int dfd, const char *tmp, const char *base) {
        struct stat st;

        /* only over a regular file: an exchange with a directory would succeed and move it away */
        if (ops->exchange && fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) >= 0 && S_ISREG(st.st_mode) &&
            renameat2(dfd, tmp, dfd, base, RENAME_EXCHANGE) >= 0) {
                (void) unlinkat(dfd, tmp, 0); /* the old file; a leftover goes with the next write's temps */
                return 0;
        }
        return ops->renameat(dfd, tmp, dfd, base);
}

int write_file_atomic(const char *root, const char *path, const void *data, size_t len, mode_t mode, uid_t uid,
                      gid_t gid, const AtomicOps *ops) {
        _cleanup_free_ char *base = NULL, *tmp = NULL;
        _cleanup_close_ int dfd = -EBADF, fd = -EBADF;
        const char *p = data;
        size_t left = len;
        int r;

        if (!ops)
                ops = &atomic_ops_default;
        dfd = open_parent_at_root(root, path, &base);
        if (dfd < 0)
                return dfd;
        (void) cleanup_stale_temps(dfd, base);

        r = make_temp_name(base, &tmp);
        if (r < 0)
                return r;
        fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;

        while (left > 0) {
                ssize_t n = ops->write(fd, p, left);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        r = n < 0 ? negative_errno() : -EIO;
                        goto fail;
                }
                p += n;
                left -= (size_t) n;
        }
        if ((uid != UID_KEEP || gid != GID_KEEP) && fchown(fd, uid, gid) < 0) {
                r = -errno;
                goto fail;
        }
        if (fchmod(fd, mode & 07777) < 0) {
                r = -errno;
                goto fail;
        }
        if (!ops->nosync && ops->fsync(fd) < 0) {
                r = negative_errno();
                goto fail;
        }
        fd = safe_close(fd);
        if (replace_name(ops, dfd, tmp, base) < 0) {
                r = negative_errno();
                goto fail;
        }
        if (!ops->nosync)
                (void) fsync(dfd);
        return 0;

fail:
        fd = safe_close(fd);
        (void) unlinkat(dfd, tmp, 0);
        return r;
}

int write_file_atomic_if_changed(const char *root, const char *path, const void *data, size_t len, mode_t mode,
                                 uid_t uid, gid_t gid) {
        _cleanup_free_ char *old = NULL;
        size_t old_len = 0;
        struct stat st;
        int r;

        r = lstat_at_root(root, path, &st);
        if (r >= 0 && S_ISREG(st.st_mode) && (st.st_mode & 07777) == (mode & 07777) &&
            (uid == UID_KEEP || st.st_uid == uid) && (gid == GID_KEEP || st.st_gid == gid) &&
            (size_t) st.st_size == len && read_file_at_root(root, path, true, len + 1, &old, &old_len) >= 0 &&
            old_len == len && memcmp(old, data, len) == 0)
                return 0;
        r = write_file_atomic(root, path, data, len, mode, uid, gid, NULL);
        return r < 0 ? r : 1;
}

int lstat_at_root(const char *root, const char *path, struct stat *ret) {
        _cleanup_free_ char *base = NULL;
        _cleanup_close_ int dfd = -EBADF;

        dfd = open_parent_at_root(root, path, &base);
        if (dfd < 0)
                return dfd;
        if (fstatat(dfd, base, ret, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        return 0;
}

int ensure_dir_at_root(const char *root, const char *path, mode_t mode, uid_t uid, gid_t gid) {
        _cleanup_free_ char *base = NULL;
        _cleanup_close_ int dfd = -EBADF, fd = -EBADF;
        bool changed = false;
        struct stat st;

        dfd = open_parent_at_root(root, path, &base);
        if (dfd < 0)
                return dfd;
        if (mkdirat(dfd, base, mode & 07777) >= 0)
                changed = true;
        else if (errno != EEXIST)
                return -errno;
        fd = openat(dfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return errno == ELOOP ? -ENOTDIR : -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if ((uid != UID_KEEP && st.st_uid != uid) || (gid != GID_KEEP && st.st_gid != gid)) {
                if (fchown(fd, uid, gid) < 0)
                        return -errno;
                changed = true;
        }
        if ((st.st_mode & 07777) != (mode & 07777) || changed) {
                if (fchmod(fd, mode & 07777) < 0)
                        return -errno;
                if ((st.st_mode & 07777) != (mode & 07777))
                        changed = true;
        }
        if (changed)
                (void) fsync(dfd);
        return changed ? 1 : 0;
}

int symlink_atomic_at_root(const char *root, const char *target, const char *path) {
        _cleanup_free_ char *base = NULL, *tmp = NULL;
        _cleanup_close_ int dfd = -EBADF;
        int r;

        dfd = open_parent_at_root(root, path, &base);
        if (dfd < 0)
                return dfd;
        r = make_temp_name(base, &tmp);
        if (r < 0)
                return r;
        if (symlinkat(target, dfd, tmp) < 0)
                return -errno;
        if (renameat(dfd, tmp, dfd, base) < 0) {
                r = -errno;
                (void) unlinkat(dfd, tmp, 0);
                return r;
        }
        (void) fsync(dfd);
        return 0;
}

int readlink_at_root(const char *root, const char *path, char **ret) {
        _cleanup_free_ char *base = NULL;
        _cleanup_close_ int dfd = -EBADF;
        char buf[4096];
        ssize_t n;

        dfd = open_parent_at_root(root, path, &base);
        if (dfd < 0)
                return dfd;
        n = readlinkat(dfd, base, buf, sizeof(buf) - 1);
        if (n < 0)
                return -errno;
        buf[n] = 0;
        *ret = strdup(buf);
        return *ret ? 0 : -ENOMEM;
}

int unlink_at_root(const char *root, const char *path) {
        _cleanup_free_ char *base = NULL;
        _cleanup_close_ int dfd = -EBADF;

        dfd = open_parent_at_root(root, path, &base);
        if (dfd == -ENOENT)
                return 0;
        if (dfd < 0)
                return dfd;
        if (unlinkat(dfd, base, 0) < 0)
                return errno == ENOENT ? 0 : -errno;
        (void) fsync(dfd);
        return 1;
}

int rename_in_dir_at_root(const char *root, const char *path, const char *to) {
        _cleanup_free_ char *base = NULL;
        _cleanup_close_ int dfd = -EBADF;

        if (isempty(to) || strchr(to, '/') || streq(to, ".") || streq(to, ".."))
                return -EINVAL;
        dfd = open_parent_at_root(root, path, &base);
        if (dfd < 0)
                return dfd;
        if (renameat(dfd, base, dfd, to) < 0)
                return -errno;
        (void) fsync(dfd);
        return 0;
}

int rm_rf_at(int dir_fd, const char *name) {
        struct stat st;
        int r = 0;

        if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (S_ISDIR(st.st_mode)) {
                int fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                DIR *d;

                if (fd < 0)
                        return -errno;
                d = fdopendir(fd);
                if (!d) {
                        r = -errno;
                        safe_close(fd);
                        return r;
                }
                for (struct dirent *de; (de = readdir(d));) {
                        if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                                continue;
                        r = rm_rf_at(dirfd(d), de->d_name);
                        if (r < 0)
                                break;
                }
                (void) closedir(d);
                if (r < 0)
                        return r;
                return unlinkat(dir_fd, name, AT_REMOVEDIR) < 0 ? -errno : 0;
        }
        return unlinkat(dir_fd, name, 0) < 0 && errno != ENOENT ? -errno : 0;
}

int mkdtemp_owned(const char *dir, const char *prefix, char **ret) {
        _cleanup_free_ char *tmpl = NULL, *mine = NULL;
        _cleanup_close_ int dfd = -EBADF;
        DIR *d;

        /* leftovers of processes that were killed: "<prefix>.<pid>.XXXXXX" whose pid is gone */
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return -errno;
        if (asprintf(&mine, "%s.", prefix) < 0)
                return -ENOMEM;
        d = fdopendir(fcntl(dfd, F_DUPFD_CLOEXEC, 3));
        if (d) {
                for (struct dirent *de; (de = readdir(d));) {
                        const char *rest = startswith(de->d_name, mine);
                        char *end = NULL;
                        long pid;

                        if (!rest)
                                continue;
                        errno = 0;
                        pid = strtol(rest, &end, 10);
                        if (errno || !end || *end != '.' || pid <= 0 || pid == (long) getpid())
                                continue;
                        if (kill((pid_t) pid, 0) < 0 && errno == ESRCH)
                                (void) rm_rf_at(dfd, de->d_name);
                }
                closedir(d);
        }
        if (asprintf(&tmpl, "%s/%s.%ld.XXXXXX", dir, prefix, (long) getpid()) < 0)
                return -ENOMEM;
        if (!mkdtemp(tmpl))
                return -errno;
        *ret = TAKE_PTR(tmpl);
        return 0;
}

int read_text_at_root(const char *root, bool nofollow, const char *path, char **ret) {
        size_t len;
        int r = read_file_at_root(root, path, nofollow, READ_FILE_MAX, ret, &len);

        if (r == -ENOENT)
                return (*ret = strdup("")) ? 0 : -ENOMEM;
        return r;
}

int apply_lock(const char *run_dir, int operation) {
        _cleanup_free_ char *path = NULL;
        int fd, r;

        r = ensure_dir_at_root("/", run_dir, 0700, UID_KEEP, GID_KEEP);
        if (r < 0)
                return r;
        if (asprintf(&path, "%s/" APPLY_LOCK_FILE, run_dir) < 0)
                return -ENOMEM;
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
        if (fd < 0)
                return -errno;
        while (flock(fd, operation) < 0) {
                r = errno == EWOULDBLOCK ? -EAGAIN : -errno;
                if (r == -EINTR)
                        continue;
                close(fd);
                return r;
        }
        return fd;
}
