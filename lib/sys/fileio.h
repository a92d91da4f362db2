/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Every path here is absolute and taken below a root prefix ("/" or NULL for the live system, or an
 * image tree for --root). Below the root, no symlink is followed on the way to a file we write. */

#define UID_KEEP      ((uid_t) -1)
#define GID_KEEP      ((gid_t) -1)
#define READ_FILE_MAX (16u * 1024 * 1024)

/* The steps of an atomic replace, replaceable so that tests can inject a failure at each. */
typedef struct AtomicOps {
        ssize_t (*write)(int fd, const void *buf, size_t n);
        int (*fsync)(int fd);
        int (*renameat)(int olddirfd, const char *oldpath, int newdirfd, const char *newpath);
        bool nosync;   /* neither the file nor its directory is fsync()ed */
        bool exchange; /* a regular file at the target: swap the names (RENAME_EXCHANGE), remove the old */
} AtomicOps;

extern const AtomicOps atomic_ops_default;
/* For a file that is rewritten anyway and worth nothing after a crash (the metrics textfile):
 * readers still see the old text or the new one, never a mix, without the cost of the disk. It
 * exchanges names, since renaming over a file makes ext4 write the new data out at once
 * (auto_da_alloc), as an fsync() would. */
extern const AtomicOps atomic_ops_nosync;

bool root_is_live(const char *root);
int path_join_root(const char *root, const char *path, char **ret);

/* Opens directory dir below root, refusing symlinks below root. flags 0: an O_PATH fd; else e.g.
 * O_RDONLY|O_DIRECTORY (O_RDONLY alone is 0, so it means O_PATH too). */
int open_dir_at_root(const char *root, const char *dir, int flags);
/* Opens the parent of path (as above) and returns its fd, with the last component in *ret_base. */
int open_parent_at_root(const char *root, const char *path, char **ret_base);

/* Reads a whole file (at most max bytes, else -EFBIG). With nofollow, a symlink at any component
 * below root is refused with -ELOOP. The data is NUL-terminated. */
/* Reads fd to its end: -EFBIG as soon as more than max bytes came (memory stays bounded by about
 * twice max). *ret is NUL-terminated. */
int read_fd_max(int fd, size_t max, char **ret, size_t *ret_len);
int read_file_at_root(const char *root, const char *path, bool nofollow, size_t max, char **ret, size_t *ret_len);
/* A file only we could have written (regular, owned by the effective user, no group or other
 * permission bits, not a symlink), at most max bytes, NUL-terminated: -EPERM for any other. */
int read_private_file(const char *path, size_t max, char **ret, size_t *ret_len);
/* A text file of at most READ_FILE_MAX bytes below root; a missing file reads as "". */
int read_text_at_root(const char *root, bool nofollow, const char *path, char **ret);

/* temp file in the same directory, fchmod/fchown, fsync, rename over path, fsync the directory. A
 * symlink at path is replaced, never followed. uid/gid UID_KEEP/GID_KEEP: owned by the caller.
 * Leftover temp files of earlier, interrupted writes of the same file are removed first. */
int write_file_atomic(const char *root, const char *path, const void *data, size_t len, mode_t mode, uid_t uid,
                      gid_t gid, const AtomicOps *ops);

/* Like write_file_atomic(), but does nothing when path already holds exactly data with that mode
 * and owner. Returns 1 when it wrote, 0 when the file was already right. */
int write_file_atomic_if_changed(const char *root, const char *path, const void *data, size_t len, mode_t mode,
                                 uid_t uid, gid_t gid);

/* Creates directory path (the last component) if missing, and sets its mode and owner; refuses a
 * symlink or non-directory there with -ENOTDIR. Returns 1 when it created or changed something. */
int ensure_dir_at_root(const char *root, const char *path, mode_t mode, uid_t uid, gid_t gid);

/* lstat() below root, refusing symlinks in the directories on the way. */
int lstat_at_root(const char *root, const char *path, struct stat *ret);

/* Atomically points path at target (a new symlink renamed over whatever is there). */
int symlink_atomic_at_root(const char *root, const char *target, const char *path);
int readlink_at_root(const char *root, const char *path, char **ret);
/* Renames a file within its directory (to is a plain name), never following symlinks. */
int rename_in_dir_at_root(const char *root, const char *path, const char *to);
/* Removes a file or symlink; 0 when it was not there. */
int unlink_at_root(const char *root, const char *path);

/* Removes name below dir_fd, recursively, never following symlinks; 0 when it was not there. */
int rm_rf_at(int dir_fd, const char *name);

/* Creates a private directory "DIR/PREFIX.<pid>.XXXXXX" (mkdtemp), after removing those that
 * processes now gone left behind (killed before they could clean up). */
int mkdtemp_owned(const char *dir, const char *prefix, char **ret);

/* Removes leftover ".#hardend.*" temp files of file base in directory fd. */
int cleanup_stale_temps(int dir_fd, const char *base);

/* The lock every apply on the live system holds for its whole run (run_dir/APPLY_LOCK_FILE,
 * flock): LOCK_EX for an apply, LOCK_SH|LOCK_NB for the watcher's probe, which must not judge
 * a system an apply is half-way through. Returns the fd to close, -EAGAIN when LOCK_NB and held. */
#define APPLY_LOCK_FILE "apply.lock"
int apply_lock(const char *run_dir, int operation);
