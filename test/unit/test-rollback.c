/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The snapshot of "apply --confirm": manifest format (round trip, damaged manifests refused), a
 * snapshot taken, saved, loaded and restored in a temporary root (contents, modes, symlinks,
 * directories that were absent, a pruned tree), the owner check, and the confirm socket. */
#include <check.h>

#include "test-main.h"
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "confirm.h"
#include "rollback.h"
#include "strv.h"
#include "sys/fileio.h"
#include "time-util.h"

static char root[] = "/tmp/test-rollback.XXXXXX";

static void setup(void) {
        ck_assert_ptr_nonnull(mkdtemp(root));
}

static void teardown(void) {
        _cleanup_close_ int fd = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        ck_assert_int_eq(rm_rf_at(fd, root + strlen("/tmp/")), 0);
        (void) snprintf(root, sizeof(root), "%s", "/tmp/test-rollback.XXXXXX");
}

/* root + path, in a static buffer (one at a time) */
static const char *strjoina_path(const char *r, const char *p) {
        static char buf[4096];

        ck_assert_int_lt(snprintf(buf, sizeof(buf), "%s%s", r, p), (int) sizeof(buf));
        return buf;
}

static void put(const char *path, const char *text, mode_t mode) {
        ck_assert_int_eq(
                write_file_atomic(root, path, text, strlen(text), mode, UID_KEEP, GID_KEEP, &atomic_ops_default), 0);
}

static void mkd(const char *path) {
        ck_assert_int_ge(ensure_dir_at_root(root, path, 0755, UID_KEEP, GID_KEEP), 0);
}

/* "file 0640 hello" / "symlink -> /dev/null" / "dir 0700" / "absent" */
static char *describe(const char *path) {
        _cleanup_free_ char *data = NULL, *target = NULL;
        struct stat st;
        char *s = NULL;

        if (lstat_at_root(root, path, &st) < 0)
                return strdup("absent");
        if (S_ISLNK(st.st_mode)) {
                ck_assert_int_eq(readlink_at_root(root, path, &target), 0);
                ck_assert_int_ge(asprintf(&s, "symlink -> %s", target), 0);
        } else if (S_ISDIR(st.st_mode))
                ck_assert_int_ge(asprintf(&s, "dir %04o", st.st_mode & 07777), 0);
        else {
                ck_assert_int_eq(read_file_at_root(root, path, true, 4096, &data, NULL), 0);
                ck_assert_int_ge(asprintf(&s, "file %04o %s", st.st_mode & 07777, data), 0);
        }
        return s;
}

/* A manifest written before the after-restore hooks: "reload-sshd 1" is the ssh module's. */
START_TEST(test_manifest_reload_sshd_compat) {
        _cleanup_(snapshot_done) Snapshot back = {};

        ck_assert_int_eq(snapshot_parse_manifest(
                                 "hardend-rollback 1\npid 42 7\ncreated 1\ndeadline 2\nreload-sshd 1\nend\n", &back),
                         0);
        ck_assert(strv_contains(back.after_restore, "ssh"));
}
END_TEST

START_TEST(test_manifest_round_trip) {
        _cleanup_(snapshot_done) Snapshot s = { .pid = 42, .pid_start = 7, .created_usec = 1, .deadline_usec = 2 };
        _cleanup_(snapshot_done) Snapshot back = {};
        _cleanup_free_ char *text = NULL, *again = NULL;
        static const SnapEntry entries[] = {
                { .kind = SNAP_FILE, .path = (char *) "/etc/passwd", .mode = 0644, .has_data = true },
                { .kind = SNAP_FILE,
                  .path = (char *) "/home/a b/%weird\nname",
                  .mode = 0600,
                  .uid = 1000,
                  .gid = 1000,
                  .has_data = true },
                { .kind = SNAP_SYMLINK,
                  .path = (char *) "/etc/systemd/system/x.service",
                  .target = (char *) "/dev/null" },
                { .kind = SNAP_SYMLINK, .path = (char *) "/l", .target = (char *) "with space" },
                { .kind = SNAP_DIR, .path = (char *) "/home/admin/.ssh", .mode = 0700, .uid = 1001, .gid = 1001 },
                { .kind = SNAP_ABSENT, .path = (char *) "/etc/sudoers.d/hardend" },
                { .kind = SNAP_TREE, .path = (char *) "/etc/systemd/system" },
                { .kind = SNAP_TABLE, .path = (char *) "ipv4", .has_data = true },
                { .kind = SNAP_TABLE, .path = (char *) "ipv6" },
                { .kind = SNAP_NFTABLE, .path = (char *) "inet hardend", .has_data = true },
                { .kind = SNAP_NFTABLE, .path = (char *) "ip hardend" },
        };

        s.ssh_connection = strdup("192.0.2.1 5000 192.0.2.2 22");
        ck_assert_int_eq(strv_extend(&s.units_active, "cups.service"), 0);
        ck_assert_int_eq(strv_extend(&s.after_restore, "ssh"), 0);
        s.entries = calloc(ELEMENTSOF(entries), sizeof(SnapEntry));
        for (size_t i = 0; i < ELEMENTSOF(entries); i++) {
                s.entries[i] = entries[i];
                s.entries[i].path = strdup(entries[i].path);
                s.entries[i].target = entries[i].target ? strdup(entries[i].target) : NULL;
        }
        s.n_entries = ELEMENTSOF(entries);
        ck_assert_int_eq(snapshot_format_manifest(&s, &text), 0);
        ck_assert_ptr_null(strstr(text, "\nname")); /* the newline in a path is escaped */
        ck_assert_int_eq(snapshot_parse_manifest(text, &back), 0);
        ck_assert_int_eq(back.pid, 42);
        ck_assert_uint_eq(back.pid_start, 7);
        ck_assert_uint_eq(back.deadline_usec, 2);
        ck_assert(strv_contains(back.after_restore, "ssh"));
        ck_assert_str_eq(back.ssh_connection, s.ssh_connection);
        ck_assert_str_eq(back.units_active[0], "cups.service");
        ck_assert_uint_eq(back.n_entries, s.n_entries);
        for (size_t i = 0; i < s.n_entries; i++) {
                ck_assert_int_eq(back.entries[i].kind, s.entries[i].kind);
                ck_assert_str_eq(back.entries[i].path, s.entries[i].path);
                ck_assert_uint_eq(back.entries[i].mode, s.entries[i].mode);
                ck_assert_uint_eq(back.entries[i].uid, s.entries[i].uid);
                ck_assert_int_eq(back.entries[i].has_data, s.entries[i].has_data);
                ck_assert(streq_ptr(back.entries[i].target, s.entries[i].target));
        }
        ck_assert_int_eq(snapshot_format_manifest(&back, &again), 0);
        ck_assert_str_eq(again, text);
}
END_TEST

static const char *const bad_manifests[] = {
        "",
        "hardend-rollback 2\npid 1 1\nend\n",                       /* unknown version */
        "hardend-rollback 1\npid 1 1\n",                            /* truncated: no end */
        "hardend-rollback 1\npid 1 1\nend\nfile 0644 0 0 1 = /x\n", /* something after end */
        "hardend-rollback 1\nend\n",                                /* no owner */
        "hardend-rollback 1\npid 1 1\nbogus 0644 0 0 0 = /x\nend\n",
        "hardend-rollback 1\npid 1 1\nfile 0999 0 0 1 = /x\nend\n",       /* not octal */
        "hardend-rollback 1\npid 1 1\nfile 0644 0 0 0 = /x\nend\n",       /* a file without data */
        "hardend-rollback 1\npid 1 1\nfile 0644 0 0 1 = x\nend\n",        /* relative */
        "hardend-rollback 1\npid 1 1\nsymlink 0777 0 0 0 = /x\nend\n",    /* no target */
        "hardend-rollback 1\npid 1 1\nabsent 0000 0 0 0 = /x%00y\nend\n", /* NUL */
        "hardend-rollback 1\npid 1 1\nabsent 0000 0 0 0 = /x%4\nend\n",   /* short escape */
        "hardend-rollback 1\npid 1 1\ntable 0000 0 0 1 = ipv5\nend\n",
        "hardend-rollback 1\npid 1 1\nnftable 0000 0 0 1 = bridge%20hardend\nend\n", /* not a filter family */
        "hardend-rollback 1\npid 1 1\nnftable 0000 0 0 1 = inet\nend\n",             /* no name */
        "hardend-rollback 1\npid 1 1\nnftable 0000 0 0 1 = inet%20a;b\nend\n",       /* not a plain name */
        "hardend-rollback 1\npid 1 1\nnftable 0000 0 0 1 = /etc/x\nend\n",
        "hardend-rollback 1\npid -1 1\nend\n",
        "hardend-rollback 1\npid 1 1\nabsent 0000 0 0 0 = /x extra\nend\n",
};

START_TEST(test_manifest_damaged) {
        _cleanup_(snapshot_done) Snapshot s = {};

        ck_assert_int_eq(snapshot_parse_manifest(bad_manifests[_i], &s), -EBADMSG);
}
END_TEST

START_TEST(test_take_save_load_restore) {
        _cleanup_(snapshot_done) Snapshot s = { .pid = getpid() }, loaded = {};
        _cleanup_strv_free_ char **changes = NULL, **errors = NULL;
        static const char *const paths[] = {
                "/etc/passwd",
                "/etc/shadow",
                "/etc/link",
                "/etc/gone",
                "/home/admin",
                "/home/admin/.ssh",
                "/home/admin/.ssh/authorized_keys",
                "/etc/sudoers.d",
                "/etc/sudoers.d/hardend",
                "/etc/systemd/system/",
        };
        static const char *const checked[] = {
                "/etc/passwd",
                "/etc/shadow",
                "/etc/link",
                "/etc/gone",
                "/home/admin",
                "/etc/sudoers.d",
                "/etc/sudoers.d/hardend",
                "/etc/systemd/system/multi-user.target.wants/a.service",
                "/etc/systemd/system/multi-user.target.wants/b.service",
                "/etc/systemd/system/cups.service",
                "/etc/systemd/system/new.target.wants",
        };
        char *before[ELEMENTSOF(checked)];

        mkd("/etc");
        mkd("/home");
        mkd("/etc/sudoers.d");
        mkd("/etc/systemd");
        mkd("/etc/systemd/system");
        mkd("/etc/systemd/system/multi-user.target.wants");
        ck_assert_int_eq(chmod(strjoina_path(root, "/etc/sudoers.d"), 0750), 0);
        put("/etc/passwd", "root:x:0:0::/root:/bin/sh\n", 0644);
        put("/etc/shadow", "root:*:1::::::\n", 0640);
        put("/etc/gone", "old\n", 0600);
        ck_assert_int_eq(symlink_atomic_at_root(root, "/somewhere", "/etc/link"), 0);
        ck_assert_int_eq(symlink_atomic_at_root(root, "/usr/lib/systemd/system/a.service",
                                                "/etc/systemd/system/multi-user.target.wants/a.service"),
                         0);
        for (size_t i = 0; i < ELEMENTSOF(checked); i++)
                before[i] = describe(checked[i]);

        for (size_t i = 0; i < ELEMENTSOF(paths); i++)
                ck_assert_int_eq(snapshot_add_path(&s, root, paths[i]), 0);
        ck_assert_int_eq(snapshot_add_path(&s, root, "/etc/passwd"), 0); /* not twice */
        ck_assert_int_eq(snapshot_save(root, &s), 0);
        ck_assert_int_eq(snapshot_save(root, &s), -EEXIST);

        /* what an apply does */
        put("/etc/passwd", "root:x:0:0::/root:/bin/sh\nadmin:x:1000:1000::/home/admin:/bin/bash\n", 0644);
        ck_assert_int_eq(chmod(strjoina_path(root, "/etc/shadow"), 0600), 0);
        ck_assert_int_eq(unlink_at_root(root, "/etc/gone"), 1);
        ck_assert_int_eq(symlink_atomic_at_root(root, "/elsewhere", "/etc/link"), 0);
        mkd("/home/admin");
        mkd("/home/admin/.ssh");
        put("/home/admin/.ssh/authorized_keys", "ssh-ed25519 AAAA\n", 0600);
        put("/home/admin/.bashrc", "# skel\n", 0644);
        ck_assert_int_eq(chmod(strjoina_path(root, "/etc/sudoers.d"), 0755), 0);
        put("/etc/sudoers.d/hardend", "%wheel ALL=(ALL) NOPASSWD: ALL\n", 0440);
        ck_assert_int_eq(unlink_at_root(root, "/etc/systemd/system/multi-user.target.wants/a.service"), 1);
        ck_assert_int_eq(symlink_atomic_at_root(root, "/x", "/etc/systemd/system/multi-user.target.wants/b.service"),
                         0);
        ck_assert_int_eq(symlink_atomic_at_root(root, "/dev/null", "/etc/systemd/system/cups.service"), 0);
        mkd("/etc/systemd/system/new.target.wants");

        ck_assert_int_eq(snapshot_load(root, &loaded), 0);
        ck_assert_uint_eq(loaded.n_entries, s.n_entries);
        ck_assert_int_eq(snapshot_restore_files(root, &loaded, &changes, &errors), 0);
        ck_assert_ptr_null(errors);
        ck_assert_ptr_nonnull(changes);
        for (size_t i = 0; i < ELEMENTSOF(checked); i++) {
                _cleanup_free_ char *now = describe(checked[i]);

                ck_assert_msg(streq(now, before[i]), "%s: %s, was %s", checked[i], now, before[i]);
                free(before[i]);
        }
        /* idempotent: a second restore changes nothing */
        changes = strv_free(changes);
        ck_assert_int_eq(snapshot_restore_files(root, &loaded, &changes, &errors), 0);
        ck_assert_ptr_null(changes);

        ck_assert_int_eq(snapshot_discard(root), 1);
        ck_assert_int_eq(snapshot_discard(root), 0);
        ck_assert_int_eq(snapshot_load(root, &loaded), -ENOENT);
}
END_TEST

START_TEST(test_owner_alive) {
        Snapshot s = { .pid = getpid() };
        pid_t child;

        ck_assert_int_eq(process_start_time(s.pid, &s.pid_start), 0);
        ck_assert_int_eq(snapshot_owner_alive(&s), 1);
        s.pid_start++; /* the pid was reused by another process */
        ck_assert_int_eq(snapshot_owner_alive(&s), 0);
        child = fork();
        if (child == 0)
                _exit(0);
        ck_assert_int_eq(waitpid(child, NULL, 0), child);
        s.pid = child;
        ck_assert_int_eq(snapshot_owner_alive(&s), 0);
}
END_TEST

/* A child sends a confirmation with ssh_connection; returns what the waiting side saw. */
static ConfirmEvent confirm_once(const char *dir, const char *own, const char *theirs, const char *want_reply) {
        _cleanup_close_ int lfd = -EBADF, sfd = -EBADF;
        sigset_t old;
        ConfirmEvent ev = _CONFIRM_EVENT_INVALID;
        int signo = 0, status;
        pid_t child;

        ck_assert_int_eq(confirm_listen(dir, &lfd), 0);
        ck_assert_int_eq(confirm_signals_block(&old, &sfd), 0);
        child = fork();
        if (child == 0) {
                char *reply = NULL;

                if (!theirs)
                        _exit(0);
                _exit(confirm_send(dir, theirs, &reply) == 0 && streq(reply, want_reply) ? 0 : 1);
        }
        ck_assert_int_eq(confirm_wait(lfd, sfd, now_monotonic_usec() + 2000000, own, &ev, &signo), 0);
        ck_assert_int_eq(waitpid(child, &status, 0), child);
        ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        ck_assert_int_eq(sigprocmask(SIG_SETMASK, &old, NULL), 0);
        return ev;
}

START_TEST(test_confirm_channel) {
        _cleanup_free_ char *dir = NULL, *reply = NULL;
        _cleanup_close_ int lfd = -EBADF, sfd = -EBADF;
        struct stat st;
        ConfirmEvent ev;
        sigset_t old;
        int signo = 0;

        ck_assert_int_ge(asprintf(&dir, "%s/run", root), 0);
        ck_assert_int_eq(confirm_send(dir, NULL, &reply), -ENOENT);
        ck_assert_int_eq(confirm_once(dir, "192.0.2.1 1 192.0.2.2 22", "192.0.2.1 2 192.0.2.2 22", "OK"),
                         CONFIRM_CONFIRMED);
        ck_assert_int_eq(stat(dir, &st), 0);
        ck_assert_uint_eq(st.st_mode & 07777, 0700);
        ck_assert_int_eq(confirm_once(dir, "192.0.2.1 1 192.0.2.2 22", "192.0.2.1 1 192.0.2.2 22", "SAME-LOGIN"),
                         CONFIRM_SAME_LOGIN);
        ck_assert_int_eq(confirm_once(dir, NULL, "-", "OK"), CONFIRM_CONFIRMED);
        ck_assert_int_eq(confirm_once(dir, NULL, NULL, NULL), CONFIRM_TIMEOUT);

        /* a signal ends the wait */
        ck_assert_int_eq(confirm_listen(dir, &lfd), 0);
        ck_assert_int_eq(confirm_signals_block(&old, &sfd), 0);
        ck_assert_int_eq(kill(getpid(), SIGHUP), 0);
        ck_assert_int_eq(confirm_wait(lfd, sfd, now_monotonic_usec() + 5000000, NULL, &ev, &signo), 0);
        ck_assert_int_eq(ev, CONFIRM_SIGNAL);
        ck_assert_int_eq(signo, SIGHUP);
}
END_TEST

int main(void) {
        Suite *s = suite_create("rollback");
        TCase *tc = tcase_create("core");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_manifest_round_trip);
        tcase_add_test(tc, test_manifest_reload_sshd_compat);
        tcase_add_loop_test(tc, test_manifest_damaged, 0, ELEMENTSOF(bad_manifests));
        tcase_add_test(tc, test_take_save_load_restore);
        tcase_add_test(tc, test_owner_alive);
        tcase_add_test(tc, test_confirm_channel);
        suite_add_tcase(s, tc);
        return test_run_suite(s);
}
