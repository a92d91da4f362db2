/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Atomic replace under a root prefix: injected failures at each step, planted symlinks. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "macro.h"
#include "sys/fileio.h"
#include "test-main.h"

static char root[] = "/tmp/hardend-fileio-XXXXXX";

static void setup(void) {
        char p[256];

        ck_assert_ptr_nonnull(mkdtemp(root));
        snprintf(p, sizeof(p), "%s/etc", root);
        ck_assert_int_eq(mkdir(p, 0755), 0);
        snprintf(p, sizeof(p), "%s/etc/target.conf", root);
        FILE *f = fopen(p, "we");
        ck_assert_ptr_nonnull(f);
        fputs("old contents\n", f);
        fclose(f);
        snprintf(p, sizeof(p), "%s/secret", root);
        f = fopen(p, "we");
        fputs("do not touch\n", f);
        fclose(f);
}

static void teardown(void) {
        char cmd[512];
        pid_t pid;

        /* rm -r without a shell */
        snprintf(cmd, sizeof(cmd), "%s", root);
        pid = fork();
        if (pid == 0) {
                execl("/bin/rm", "rm", "-rf", cmd, (char *) NULL);
                _exit(127);
        }
        waitpid(pid, NULL, 0);
        (void) snprintf(root, sizeof(root), "%s", "/tmp/hardend-fileio-XXXXXX");
}

static char *slurp(const char *rel) {
        char *data = NULL;

        if (read_file_at_root(root, rel, false, 1 << 20, &data, NULL) < 0)
                return NULL;
        return data;
}

static unsigned count_temps(const char *dir) {
        char p[256];
        unsigned n = 0;
        DIR *d;

        snprintf(p, sizeof(p), "%s%s", root, dir);
        d = opendir(p);
        ck_assert_ptr_nonnull(d);
        for (struct dirent *de; (de = readdir(d));)
                if (startswith(de->d_name, ".#hardend."))
                        n++;
        closedir(d);
        return n;
}

static ssize_t write_fails(int fd, const void *b, size_t n) {
        errno = ENOSPC;
        return -1;
}

static ssize_t write_short_then_fail(int fd, const void *b, size_t n) {
        static int calls;

        if (calls++ % 2 == 0)
                return write(fd, b, n > 3 ? 3 : n);
        errno = EIO;
        return -1;
}

static int fsync_fails(int fd) {
        errno = EIO;
        return -1;
}

static int rename_fails(int a, const char *b, int c, const char *d) {
        errno = EXDEV;
        return -1;
}

static ssize_t real_write(int fd, const void *b, size_t n) {
        return write(fd, b, n);
}

typedef struct FaultCase {
        const char *name;
        AtomicOps ops;
        int error;
} FaultCase;

static const FaultCase fault_cases[] = {
        { "write", { write_fails, fsync, renameat, false, false }, -ENOSPC },
        { "short write", { write_short_then_fail, fsync, renameat, false, false }, -EIO },
        { "fsync", { real_write, fsync_fails, renameat, false, false }, -EIO },
        { "rename", { real_write, fsync, rename_fails, false, false }, -EXDEV },
        /* nosync: fsync is never called, so its failure cannot be seen */
        { "fsync, nosync", { real_write, fsync_fails, renameat, true, false }, 0 },
        /* exchange over the regular file there: no rename at all */
        { "rename, exchange", { real_write, fsync, rename_fails, true, true }, 0 },
        { "write, exchange", { write_fails, fsync, renameat, true, true }, -ENOSPC },
};

/* Each fault leaves the old file (nosync, which never fsyncs, writes the new one). */
START_TEST(test_fault_keeps_old_file) {
        const FaultCase *c = &fault_cases[_i];
        const char data[] = "new contents, much longer than the old ones\n";
        char *now;
        int r;

        r = write_file_atomic(root, "/etc/target.conf", data, strlen(data), 0644, UID_KEEP, GID_KEEP, &c->ops);
        ck_assert_msg(r == c->error, "%s: expected %d, got %d", c->name, c->error, r);
        now = slurp("/etc/target.conf");
        ck_assert_str_eq(now, r == 0 ? data : "old contents\n");
        free(now);
        ck_assert_uint_eq(count_temps("/etc"), 0);
}
END_TEST

START_TEST(test_replace) {
        const char data[] = "new\n";
        struct stat st;
        char *now;

        ck_assert_int_eq(write_file_atomic(root, "/etc/target.conf", data, 4, 0640, UID_KEEP, GID_KEEP, NULL), 0);
        now = slurp("/etc/target.conf");
        ck_assert_str_eq(now, "new\n");
        free(now);
        ck_assert_int_eq(lstat_at_root(root, "/etc/target.conf", &st), 0);
        ck_assert_uint_eq(st.st_mode & 07777, 0640);
        ck_assert_uint_eq(count_temps("/etc"), 0);
        ck_assert_int_eq(write_file_atomic_if_changed(root, "/etc/target.conf", data, 4, 0640, UID_KEEP, GID_KEEP), 0);
        ck_assert_int_eq(write_file_atomic_if_changed(root, "/etc/target.conf", data, 4, 0600, UID_KEEP, GID_KEEP), 1);
        ck_assert_int_eq(write_file_atomic_if_changed(root, "/etc/new.conf", data, 4, 0600, UID_KEEP, GID_KEEP), 1);
}
END_TEST

/* The exchange replaces a regular file and leaves no old one behind; with nothing at the target it
 * renames; a directory at the target stays where it is. */
START_TEST(test_exchange) {
        char dir[256];
        struct stat st;
        char *now;

        for (int i = 0; i < 3; i++) {
                char data[32];

                snprintf(data, sizeof(data), "version %d\n", i);
                ck_assert_int_eq(write_file_atomic(root, "/etc/target.conf", data, strlen(data), 0644, UID_KEEP,
                                                   GID_KEEP, &atomic_ops_nosync),
                                 0);
                now = slurp("/etc/target.conf");
                ck_assert_str_eq(now, data);
                free(now);
                ck_assert_int_eq(lstat_at_root(root, "/etc/target.conf", &st), 0);
                ck_assert_uint_eq(st.st_mode & 07777, 0644);
                ck_assert_uint_eq(count_temps("/etc"), 0);
        }
        ck_assert_int_eq(
                write_file_atomic(root, "/etc/absent.prom", "a\n", 2, 0644, UID_KEEP, GID_KEEP, &atomic_ops_nosync),
                0);
        now = slurp("/etc/absent.prom");
        ck_assert_str_eq(now, "a\n");
        free(now);
        snprintf(dir, sizeof(dir), "%s/etc/dir.prom", root);
        ck_assert_int_eq(mkdir(dir, 0755), 0);
        ck_assert_int_eq(
                write_file_atomic(root, "/etc/dir.prom", "d\n", 2, 0644, UID_KEEP, GID_KEEP, &atomic_ops_nosync),
                -EISDIR);
        ck_assert_int_eq(lstat_at_root(root, "/etc/dir.prom", &st), 0);
        ck_assert(S_ISDIR(st.st_mode));
        ck_assert_uint_eq(count_temps("/etc"), 0);
}
END_TEST

/* A symlink planted at the target is replaced, never written through. */
START_TEST(test_symlink_at_target_not_followed) {
        char link[256], target[256];
        struct stat st;
        char *secret;

        snprintf(link, sizeof(link), "%s/etc/target.conf", root);
        snprintf(target, sizeof(target), "%s/secret", root);
        ck_assert_int_eq(unlink(link), 0);
        ck_assert_int_eq(symlink(target, link), 0);
        ck_assert_int_eq(write_file_atomic(root, "/etc/target.conf", "x\n", 2, 0600, UID_KEEP, GID_KEEP, NULL), 0);
        secret = slurp("/secret");
        ck_assert_str_eq(secret, "do not touch\n");
        free(secret);
        ck_assert_int_eq(lstat(link, &st), 0);
        ck_assert(S_ISREG(st.st_mode));
}
END_TEST

/* A symlinked directory on the way is refused, for writes and for no-follow reads. */
START_TEST(test_symlink_in_path_refused) {
        char p[256], t[256];
        char *data = NULL;

        snprintf(p, sizeof(p), "%s/etc/linkdir", root);
        snprintf(t, sizeof(t), "%s", root);
        ck_assert_int_eq(symlink(t, p), 0);
        ck_assert_int_eq(write_file_atomic(root, "/etc/linkdir/secret", "x", 1, 0600, UID_KEEP, GID_KEEP, NULL),
                         -ELOOP);
        ck_assert_int_eq(read_file_at_root(root, "/etc/linkdir/secret", true, 100, &data, NULL), -ELOOP);
        ck_assert_int_eq(ensure_dir_at_root(root, "/etc/linkdir", 0700, UID_KEEP, GID_KEEP), -ENOTDIR);
        data = slurp("/secret");
        ck_assert_str_eq(data, "do not touch\n");
        free(data);
        ck_assert_int_eq(write_file_atomic(root, "/etc/../secret", "x", 1, 0600, UID_KEEP, GID_KEEP, NULL), -EINVAL);
}
END_TEST

/* Temp files of an interrupted write are removed by the next write of the same file. */
START_TEST(test_stale_temps_cleaned) {
        char p[256];
        int fd;

        snprintf(p, sizeof(p), "%s/etc/.#hardend.target.conf.deadbeef", root);
        fd = open(p, O_CREAT | O_WRONLY, 0600);
        ck_assert_int_ge(fd, 0);
        close(fd);
        ck_assert_uint_eq(count_temps("/etc"), 1);
        ck_assert_int_eq(write_file_atomic(root, "/etc/target.conf", "y\n", 2, 0644, UID_KEEP, GID_KEEP, NULL), 0);
        ck_assert_uint_eq(count_temps("/etc"), 0);
}
END_TEST

START_TEST(test_dirs_and_links) {
        struct stat st;
        char *t = NULL;

        ck_assert_int_eq(ensure_dir_at_root(root, "/etc/d", 0700, UID_KEEP, GID_KEEP), 1);
        ck_assert_int_eq(ensure_dir_at_root(root, "/etc/d", 0700, UID_KEEP, GID_KEEP), 0);
        ck_assert_int_eq(ensure_dir_at_root(root, "/etc/d", 0755, UID_KEEP, GID_KEEP), 1);
        ck_assert_int_eq(lstat_at_root(root, "/etc/d", &st), 0);
        ck_assert_uint_eq(st.st_mode & 07777, 0755);
        ck_assert_int_eq(ensure_dir_at_root(root, "/etc/target.conf", 0700, UID_KEEP, GID_KEEP), -ENOTDIR);
        ck_assert_int_eq(symlink_atomic_at_root(root, "/dev/null", "/etc/d/cups.service"), 0);
        ck_assert_int_eq(readlink_at_root(root, "/etc/d/cups.service", &t), 0);
        ck_assert_str_eq(t, "/dev/null");
        free(t);
        ck_assert_int_eq(symlink_atomic_at_root(root, "/dev/zero", "/etc/d/cups.service"), 0);
        ck_assert_int_eq(unlink_at_root(root, "/etc/d/cups.service"), 1);
        ck_assert_int_eq(unlink_at_root(root, "/etc/d/cups.service"), 0);
        ck_assert_uint_eq(count_temps("/etc/d"), 0);
}
END_TEST

/* Private scratch directories: those of processes that are gone are removed, others kept. */
START_TEST(test_mkdtemp_owned) {
        char dead[300], alive[300], *mine = NULL;
        struct stat st;

        snprintf(dead, sizeof(dead), "%s/etc/hardend-x.2147483646.abcdef", root);
        snprintf(alive, sizeof(alive), "%s/etc/hardend-x.%ld.abcdef", root, (long) getppid());
        ck_assert_int_eq(mkdir(dead, 0700), 0);
        ck_assert_int_eq(mkdir(alive, 0700), 0);
        ck_assert(strlen(dead) < sizeof(dead) - 10);
        strcat(dead, "/sub");
        ck_assert_int_eq(mkdir(dead, 0700), 0);
        dead[strlen(dead) - 4] = 0;
        {
                char p[300];

                snprintf(p, sizeof(p), "%s/etc", root);
                ck_assert_int_eq(mkdtemp_owned(p, "hardend-x", &mine), 0);
        }
        ck_assert_int_ne(stat(dead, &st), 0);
        ck_assert_int_eq(stat(alive, &st), 0);
        ck_assert_int_eq(stat(mine, &st), 0);
        ck_assert(S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0700);
        free(mine);
}
END_TEST

START_TEST(test_paths) {
        char *p = NULL;

        ck_assert_int_eq(path_join_root("/", "/etc/x", &p), 0);
        ck_assert_str_eq(p, "/etc/x");
        free(p);
        ck_assert_int_eq(path_join_root("/mnt/img", "/etc/x", &p), 0);
        ck_assert_str_eq(p, "/mnt/img/etc/x");
        free(p);
        ck_assert_int_eq(path_join_root("/mnt/img", "etc/x", &p), -EINVAL);
        ck_assert(root_is_live(NULL) && root_is_live("/") && !root_is_live("/mnt"));
}
END_TEST

TEST_MAIN("fileio", tcase_add_checked_fixture(tc, setup, teardown);
          tcase_add_loop_test(tc, test_fault_keeps_old_file, 0, (int) ELEMENTSOF(fault_cases));
          tcase_add_test(tc, test_replace); tcase_add_test(tc, test_exchange);
          tcase_add_test(tc, test_symlink_at_target_not_followed); tcase_add_test(tc, test_symlink_in_path_refused);
          tcase_add_test(tc, test_stale_temps_cleaned); tcase_add_test(tc, test_dirs_and_links);
          tcase_add_test(tc, test_mkdtemp_owned); tcase_add_test(tc, test_paths))
