/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef struct SpawnOptions {
        const char *const *argv; /* argv[0] is an absolute path; no shell is involved */
        const char *const *envp; /* NULL: a clean environment (PATH and LC_ALL=C only) */
        const char *stdin_data;  /* NULL: /dev/null */
        size_t stdin_len;
        unsigned timeout_ms; /* 0: 30 s */
        size_t max_output;   /* per stream; 0: 4 MiB; more is discarded and truncated is set */
        /* Set: the child is started with fork() instead of posix_spawn(), and calls
         * pre_exec(userdata) right before execve(), once its stdio, process group and signals are
         * set up: to enter a namespace, chroot, change credentials. It runs in the forked child, so
         * it may only make system calls (async-signal-safe: no malloc, no stdio, no locks) and
         * returns 0 or -errno; on an error the program is not run and spawn_run() returns it. */
        int (*pre_exec)(void *userdata);
        void *userdata;
} SpawnOptions;

typedef struct SpawnResult {
        int exit_code;  /* -1 when killed by a signal */
        int signal;     /* the signal that ended it, 0 if it exited */
        bool timed_out; /* it was killed because the timeout ran out */
        bool truncated;
        char *out; /* NUL-terminated */
        size_t out_len;
        char *err;
        size_t err_len;
} SpawnResult;

/* Runs the program to completion. Returns 0 when it ran (whatever its status; look at *ret),
 * -errno when it could not be started (-ENOENT: no such program). */
int spawn_run(const SpawnOptions *o, SpawnResult *ret);
/* The same in two steps, so that several programs run side by side: spawn_start() starts it (o, and
 * everything it points to, must stay valid until spawn_wait()); spawn_wait() collects its output
 * and exit, as spawn_run() does, and frees the job, whatever it returns. A started job must be
 * waited for. Its output is read only in spawn_wait(): until then a child that writes more than a
 * pipe holds (64 KiB) waits, within its timeout, which counts from the start. */
typedef struct SpawnJob SpawnJob;
int spawn_start(const SpawnOptions *o, SpawnJob **ret);
int spawn_wait(SpawnJob *j, SpawnResult *ret);
void spawn_result_done(SpawnResult *r);
/* The child exited with status 0. */
bool spawn_result_ok(const SpawnResult *r);
/* A short human description: "exit status 1", "killed by SIGKILL", "timed out after 30 s" */
int spawn_result_describe(const SpawnResult *r, const SpawnOptions *o, char **ret);
