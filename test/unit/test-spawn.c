/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"
#include "sys/spawn.h"
#include "time-util.h"
#include "test-main.h"

static int run(const char *const *argv, unsigned timeout_ms, SpawnResult *r) {
        SpawnOptions o = { .argv = argv, .timeout_ms = timeout_ms };

        return spawn_run(&o, r);
}

START_TEST(test_exit_codes) {
        SpawnResult r = {};

        ck_assert_int_eq(run((const char *[]){ "/bin/true", NULL }, 0, &r), 0);
        ck_assert(spawn_result_ok(&r));
        spawn_result_done(&r);
        ck_assert_int_eq(run((const char *[]){ "/bin/sh", "-c", "exit 7", NULL }, 0, &r), 0);
        ck_assert_int_eq(r.exit_code, 7);
        ck_assert(!spawn_result_ok(&r));
        spawn_result_done(&r);
        ck_assert_int_eq(run((const char *[]){ "/bin/sh", "-c", "kill -TERM $$", NULL }, 0, &r), 0);
        ck_assert_int_eq(r.signal, SIGTERM);
        ck_assert_int_eq(r.exit_code, -1);
        spawn_result_done(&r);
}
END_TEST

START_TEST(test_refuses_relative_and_missing) {
        SpawnResult r = {};

        ck_assert_int_eq(run((const char *[]){ "true", NULL }, 0, &r), -EINVAL);
        ck_assert_int_eq(run((const char *[]){ "/nonexistent/prog", NULL }, 0, &r), -ENOENT);
}
END_TEST

/* The child and what it started are killed at the timeout, not waited for. */
START_TEST(test_timeout_kills) {
        SpawnResult r = {};
        char *d = NULL;
        usec_t start = now_monotonic_usec();
        long ms;

        ck_assert_int_eq(run((const char *[]){ "/bin/sh", "-c", "sleep 30 & sleep 30", NULL }, 300, &r), 0);
        ms = (long) ((now_monotonic_usec() - start) / USEC_PER_MSEC);
        ck_assert(r.timed_out);
        ck_assert_int_eq(r.signal, SIGKILL);
        ck_assert_int_lt(ms, 5000);
        ck_assert_int_eq(
                spawn_result_describe(
                        &r, &(SpawnOptions){ .argv = (const char *[]){ "/bin/sh", NULL }, .timeout_ms = 300 }, &d),
                0);
        ck_assert_str_eq(d, "/bin/sh timed out after 300 ms and was killed");
        free(d);
        spawn_result_done(&r);
}
END_TEST

/* Arguments reach the child byte for byte: no shell ever sees them. */
START_TEST(test_metacharacters) {
        const char *evil = "$(touch /tmp/hardend-pwned); `id` | rm -rf / ; 'q' \"dq\" * ? \\ \n end";
        SpawnResult r = {};

        ck_assert_int_eq(run((const char *[]){ "/usr/bin/printf", "%s", evil, NULL }, 0, &r), 0);
        ck_assert(spawn_result_ok(&r));
        ck_assert_str_eq(r.out, evil);
        ck_assert_int_ne(access("/tmp/hardend-pwned", F_OK), 0);
        spawn_result_done(&r);
}
END_TEST

START_TEST(test_clean_environment) {
        SpawnResult r = {};

        setenv("HARDEND_SECRET", "leak", 1);
        setenv("LD_PRELOAD", "/nonexistent.so", 1);
        ck_assert_int_eq(run((const char *[]){ "/usr/bin/env", NULL }, 0, &r), 0);
        ck_assert_ptr_null(strstr(r.out, "HARDEND_SECRET"));
        ck_assert_ptr_null(strstr(r.out, "LD_PRELOAD"));
        ck_assert_ptr_nonnull(strstr(r.out, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"));
        ck_assert_ptr_nonnull(strstr(r.out, "LC_ALL=C\n"));
        unsetenv("LD_PRELOAD");
        spawn_result_done(&r);
}
END_TEST

START_TEST(test_stdin_and_stderr) {
        SpawnOptions o = { .argv = (const char *[]){ "/bin/sh", "-c", "cat; echo oops >&2", NULL },
                           .stdin_data = "line one\nline two\n",
                           .stdin_len = 18 };
        SpawnResult r = {};

        ck_assert_int_eq(spawn_run(&o, &r), 0);
        ck_assert_str_eq(r.out, "line one\nline two\n");
        ck_assert_str_eq(r.err, "oops\n");
        spawn_result_done(&r);
}
END_TEST

START_TEST(test_output_limit) {
        SpawnOptions o = { .argv = (const char *[]){ "/usr/bin/head", "-c", "100000", "/dev/zero", NULL },
                           .max_output = 1000 };
        SpawnResult r = {};

        ck_assert_int_eq(spawn_run(&o, &r), 0);
        ck_assert(r.truncated);
        ck_assert_uint_eq(r.out_len, 1000);
        ck_assert(spawn_result_ok(&r));
        spawn_result_done(&r);
}
END_TEST

static int hook_chdir(void *userdata) {
        return chdir(userdata) < 0 ? -errno : 0;
}

static int hook_fail(void *userdata) {
        (void) userdata;
        return -EPERM;
}

/* The pre-exec hook runs in the child only, before the program; its error is spawn_run()'s. */
START_TEST(test_pre_exec) {
        SpawnOptions o = { .argv = (const char *[]){ "/bin/sh", "-c", "pwd; echo err >&2; kill -TERM $$", NULL },
                           .pre_exec = hook_chdir,
                           .userdata = (void *) "/proc" };
        _cleanup_free_ char *here = getcwd(NULL, 0);
        _cleanup_free_ char *after = NULL;
        SpawnResult r = {};

        ck_assert_int_eq(spawn_run(&o, &r), 0);
        ck_assert_str_eq(r.out, "/proc\n");
        ck_assert_str_eq(r.err, "err\n");
        ck_assert_int_eq(r.signal, SIGTERM); /* default dispositions in the child */
        spawn_result_done(&r);
        after = getcwd(NULL, 0);
        ck_assert_str_eq(after, here);

        o.pre_exec = hook_fail;
        ck_assert_int_eq(spawn_run(&o, &r), -EPERM);
        o.pre_exec = hook_chdir;
        o.argv = (const char *[]){ "/nonexistent/prog", NULL };
        ck_assert_int_eq(spawn_run(&o, &r), -ENOENT);
        o.userdata = (void *) "/nonexistent-dir";
        ck_assert_int_eq(spawn_run(&o, &r), -ENOENT);
}
END_TEST

/* With a hook too, the timeout kills the whole process group. */
START_TEST(test_pre_exec_timeout) {
        SpawnOptions o = { .argv = (const char *[]){ "/bin/sh", "-c", "sleep 30 & sleep 30", NULL },
                           .timeout_ms = 300,
                           .pre_exec = hook_chdir,
                           .userdata = (void *) "/" };
        SpawnResult r = {};
        usec_t start = now_monotonic_usec();

        ck_assert_int_eq(spawn_run(&o, &r), 0);
        ck_assert(r.timed_out);
        ck_assert_uint_lt(now_monotonic_usec() - start, 5 * USEC_PER_SEC);
        spawn_result_done(&r);
}
END_TEST

/* Started jobs run side by side: three children that each take 400 ms are done in well under 1.2 s,
 * each with its own output and status, even one that writes more than a pipe holds before it is
 * waited for; a job's timeout counts from its start. */
START_TEST(test_side_by_side) {
        const char *a[] = { "/bin/sh", "-c", "sleep 0.4; echo one", NULL };
        const char *b[] = { "/bin/sh", "-c", "head -c 200000 /dev/zero; sleep 0.4; exit 3", NULL };
        const char *t[] = { "/bin/sh", "-c", "sleep 30", NULL };
        SpawnOptions oa = { .argv = a }, ob = { .argv = b }, ot = { .argv = t, .timeout_ms = 300 };
        SpawnJob *ja = NULL, *jb = NULL, *jt = NULL;
        SpawnResult ra = {}, rb = {}, rt = {};
        usec_t start = now_monotonic_usec();
        long ms;

        ck_assert_int_eq(spawn_start(&oa, &ja), 0);
        ck_assert_int_eq(spawn_start(&ob, &jb), 0);
        ck_assert_int_eq(spawn_start(&ot, &jt), 0);
        ck_assert_int_eq(spawn_start(&(SpawnOptions){ .argv = (const char *[]){ "/nonexistent/prog", NULL } }, &jt),
                         -ENOENT);
        usleep(400 * 1000); /* the timed job's 300 ms run out here, before it is waited for */
        ck_assert_int_eq(spawn_wait(jt, &rt), 0);
        ms = (long) ((now_monotonic_usec() - start) / USEC_PER_MSEC);
        ck_assert(rt.timed_out);
        ck_assert_int_lt(ms, 1000);
        ck_assert_int_eq(spawn_wait(jb, &rb), 0);
        ck_assert_int_eq(spawn_wait(ja, &ra), 0);
        ms = (long) ((now_monotonic_usec() - start) / USEC_PER_MSEC);
        ck_assert_str_eq(ra.out, "one\n");
        ck_assert(spawn_result_ok(&ra));
        ck_assert_int_eq(rb.exit_code, 3);
        ck_assert_uint_eq(rb.out_len, 200000);
        ck_assert_int_lt(ms, 1200);
        spawn_result_done(&ra);
        spawn_result_done(&rb);
        spawn_result_done(&rt);
}
END_TEST

TEST_MAIN("spawn", tcase_add_test(tc, test_exit_codes); tcase_add_test(tc, test_refuses_relative_and_missing);
          tcase_add_test(tc, test_timeout_kills); tcase_add_test(tc, test_metacharacters);
          tcase_add_test(tc, test_clean_environment); tcase_add_test(tc, test_stdin_and_stderr);
          tcase_add_test(tc, test_output_limit); tcase_add_test(tc, test_pre_exec);
          tcase_add_test(tc, test_pre_exec_timeout); tcase_add_test(tc, test_side_by_side))
