/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "macro.h"
#include "time-util.h"
#include "spawn.h"

static const char *const clean_env[] = {
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "LC_ALL=C",
        NULL,
};

typedef struct Buffer {
        char *data;
        size_t len;
        size_t max;
        bool truncated;
} Buffer;

static long long now_ms(void) {
        return (long long) (now_monotonic_usec() / USEC_PER_MSEC);
}

static int buffer_read(Buffer *b, int fd) {
        char chunk[16384];
        ssize_t n = read(fd, chunk, sizeof(chunk));

        if (n < 0)
                return errno == EINTR || errno == EAGAIN ? 1 : -errno;
        if (n == 0)
                return 0;
        if (b->len + (size_t) n > b->max) {
                b->truncated = true;
                n = (ssize_t) (b->max - b->len);
        }
        if (n > 0) {
                char *d = realloc(b->data, b->len + (size_t) n + 1);

                if (!d)
                        return -ENOMEM;
                b->data = d;
                memcpy(b->data + b->len, chunk, (size_t) n);
                b->len += (size_t) n;
                b->data[b->len] = 0;
        }
        return 1;
}

static void close_pipe(int p[2]) {
        p[0] = safe_close(p[0]);
        p[1] = safe_close(p[1]);
}

/* posix_spawn() with stdin from in_fd (-EBADF: /dev/null), stdout and stderr to out_fd, err_fd. */
static int start_posix_spawn(const SpawnOptions *o, const char *const *envp, int in_fd, int out_fd, int err_fd,
                             pid_t *ret_pid) {
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t attr;
        sigset_t none, all;
        int r;

        posix_spawn_file_actions_init(&fa);
        if (in_fd >= 0)
                posix_spawn_file_actions_adddup2(&fa, in_fd, STDIN_FILENO);
        else
                posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO);
        posix_spawn_file_actions_adddup2(&fa, err_fd, STDERR_FILENO);

        /* Own process group, so that a timeout kills whatever the child started too; default
         * signal dispositions and an empty mask, whatever ours are. */
        posix_spawnattr_init(&attr);
        sigemptyset(&none);
        sigfillset(&all);
        posix_spawnattr_setsigmask(&attr, &none);
        posix_spawnattr_setsigdefault(&attr, &all);
        posix_spawnattr_setpgroup(&attr, 0);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);

        r = -posix_spawn(ret_pid, o->argv[0], &fa, &attr, (char *const *) o->argv, (char *const *) envp);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
        return r;
}

/* In the forked child: what start_posix_spawn() asks posix_spawn() for, then the caller's hook.
 * System calls only. */
static int forked_child_setup(const SpawnOptions *o, int in_fd, int out_fd, int err_fd) {
        struct sigaction dfl = { .sa_handler = SIG_DFL };
        sigset_t none;
        int fd;

        if (setpgid(0, 0) < 0)
                return -errno;
        for (int sig = 1; sig < NSIG; sig++)
                (void) sigaction(sig, &dfl, NULL); /* SIGKILL, SIGSTOP and the gaps fail: fine */
        sigemptyset(&none);
        if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
                return -errno;
        fd = in_fd >= 0 ? in_fd : open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (dup2(fd, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 || dup2(err_fd, STDERR_FILENO) < 0)
                return -errno;
        return o->pre_exec(o->userdata);
}

/* fork(), the hook, execve(); the child's errors come back through a close-on-exec pipe, so that
 * an error before or in execve() is returned here like posix_spawn() returns it. */
static int start_forked(const SpawnOptions *o, const char *const *envp, int in_fd, int out_fd, int err_fd,
                        pid_t *ret_pid) {
        int ep[2] = { -EBADF, -EBADF }, child_r = 0, status;
        ssize_t n;
        pid_t pid;

        if (pipe2(ep, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0) {
                close_pipe(ep);
                return -errno;
        }
        if (pid == 0) {
                int r = forked_child_setup(o, in_fd, out_fd, err_fd);

                if (r >= 0) {
                        (void) execve(o->argv[0], (char *const *) o->argv, (char *const *) envp);
                        r = -errno;
                }
                (void) !write(ep[1], &r, sizeof(r));
                _exit(127);
        }
        ep[1] = safe_close(ep[1]);
        (void) setpgid(pid, pid); /* the child does it too; whoever is first wins the race */
        do
                n = read(ep[0], &child_r, sizeof(child_r));
        while (n < 0 && errno == EINTR);
        ep[0] = safe_close(ep[0]);
        if (n == (ssize_t) sizeof(child_r)) {
                while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                        ;
                return child_r < 0 ? child_r : -EIO;
        }
        *ret_pid = pid;
        return 0;
}

struct SpawnJob {
        const SpawnOptions *o;
        int out[2], err[2], in[2];
        int pidfd;
        Buffer bo, be;
        long long deadline;
        size_t in_off;
        pid_t pid;
};

int spawn_start(const SpawnOptions *o, SpawnJob **ret) {
        _cleanup_free_ SpawnJob *j = NULL;
        const char *const *envp;
        int r;

        if (!o->argv || !o->argv[0] || o->argv[0][0] != '/')
                return -EINVAL;
        j = calloc(1, sizeof(SpawnJob));
        if (!j)
                return -ENOMEM;
        *j = (SpawnJob){
                .o = o,
                .out = { -EBADF, -EBADF },
                .err = { -EBADF, -EBADF },
                .in = { -EBADF, -EBADF },
                .pidfd = -EBADF,
                .deadline = now_ms() + (o->timeout_ms ?: 30000),
        };
        j->bo.max = j->be.max = o->max_output ?: 4 * 1024 * 1024;
        envp = o->envp ?: clean_env;

        if (pipe2(j->out, O_CLOEXEC) < 0 || pipe2(j->err, O_CLOEXEC) < 0 ||
            (o->stdin_data && pipe2(j->in, O_CLOEXEC) < 0)) {
                r = -errno;
                close_pipe(j->out);
                close_pipe(j->err);
                return r;
        }

        r = (o->pre_exec ? start_forked : start_posix_spawn)(o, envp, j->in[0], j->out[1], j->err[1], &j->pid);
        j->out[1] = safe_close(j->out[1]);
        j->err[1] = safe_close(j->err[1]);
        j->in[0] = safe_close(j->in[0]);
        if (r < 0) {
                close_pipe(j->out);
                close_pipe(j->err);
                close_pipe(j->in);
                return r;
        }

        j->pidfd = pidfd_open(j->pid, 0);
        if (j->in[1] >= 0)
                (void) fcntl(j->in[1], F_SETFL, O_NONBLOCK);
        if (j->in[1] >= 0 && o->stdin_len == 0)
                j->in[1] = safe_close(j->in[1]);
        *ret = TAKE_PTR(j);
        return 0;
}

int spawn_wait(SpawnJob *j, SpawnResult *ret) {
        const SpawnOptions *o = j->o;
        bool timed_out = false;
        int status = 0, r = 0;

        for (;;) {
                struct pollfd p[4];
                nfds_t n = 0;
                long long left = j->deadline - now_ms();
                int idx_out = -1, idx_err = -1, idx_in = -1, idx_pid = -1;

                if (j->out[0] >= 0)
                        idx_out = (int) n, p[n++] = (struct pollfd){ .fd = j->out[0], .events = POLLIN };
                if (j->err[0] >= 0)
                        idx_err = (int) n, p[n++] = (struct pollfd){ .fd = j->err[0], .events = POLLIN };
                if (j->in[1] >= 0)
                        idx_in = (int) n, p[n++] = (struct pollfd){ .fd = j->in[1], .events = POLLOUT };
                if (j->out[0] < 0 && j->err[0] < 0) {
                        /* output closed: wait for the exit itself, still bounded by the deadline */
                        if (j->pidfd < 0)
                                break;
                        idx_pid = (int) n, p[n++] = (struct pollfd){ .fd = j->pidfd, .events = POLLIN };
                }
                if (left <= 0) {
                        timed_out = true;
                        break;
                }
                if (poll(p, n, (int) (left > 60000 ? 60000 : left)) < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        break;
                }
                if (idx_pid >= 0 && p[idx_pid].revents)
                        break;
                if (idx_out >= 0 && p[idx_out].revents) {
                        r = buffer_read(&j->bo, j->out[0]);
                        if (r <= 0)
                                j->out[0] = safe_close(j->out[0]);
                        if (r < 0 && r != -ENOMEM)
                                r = 0;
                }
                if (idx_err >= 0 && p[idx_err].revents) {
                        r = buffer_read(&j->be, j->err[0]);
                        if (r <= 0)
                                j->err[0] = safe_close(j->err[0]);
                        if (r < 0 && r != -ENOMEM)
                                r = 0;
                }
                if (r == -ENOMEM)
                        break;
                if (idx_in >= 0 && p[idx_in].revents) {
                        ssize_t w = write(j->in[1], o->stdin_data + j->in_off, o->stdin_len - j->in_off);

                        if (w < 0 && errno != EAGAIN && errno != EINTR)
                                j->in[1] = safe_close(j->in[1]);
                        else if (w > 0 && (j->in_off += (size_t) w) >= o->stdin_len)
                                j->in[1] = safe_close(j->in[1]);
                }
        }

        if (timed_out || r < 0)
                (void) kill(-j->pid, SIGKILL), (void) kill(j->pid, SIGKILL);
        close_pipe(j->out);
        close_pipe(j->err);
        close_pipe(j->in);
        safe_close(j->pidfd);
        while (waitpid(j->pid, &status, 0) < 0)
                if (errno != EINTR) {
                        r = -errno;
                        break;
                }
        if (r < 0 && r != -EINTR) {
                free(j->bo.data);
                free(j->be.data);
                free(j);
                return r;
        }

        *ret = (SpawnResult){
                .exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1,
                .signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0,
                .timed_out = timed_out,
                .truncated = j->bo.truncated || j->be.truncated,
                .out = j->bo.data ?: strdup(""),
                .out_len = j->bo.len,
                .err = j->be.data ?: strdup(""),
                .err_len = j->be.len,
        };
        free(j);
        if (!ret->out || !ret->err) {
                spawn_result_done(ret);
                return -ENOMEM;
        }
        return 0;
}

int spawn_run(const SpawnOptions *o, SpawnResult *ret) {
        SpawnJob *j = NULL;
        int r = spawn_start(o, &j);

        if (r < 0)
                return r;
        return spawn_wait(j, ret);
}

void spawn_result_done(SpawnResult *r) {
        free(r->out);
        free(r->err);
        *r = (SpawnResult){};
}

bool spawn_result_ok(const SpawnResult *r) {
        return !r->timed_out && r->signal == 0 && r->exit_code == 0;
}

int spawn_result_describe(const SpawnResult *r, const SpawnOptions *o, char **ret) {
        int k;

        if (r->timed_out)
                k = asprintf(ret, "%s timed out after %u ms and was killed", o->argv[0], o->timeout_ms ?: 30000);
        else if (r->signal)
                k = asprintf(ret, "%s was killed by signal %s", o->argv[0], strsignal(r->signal));
        else
                k = asprintf(ret, "%s exited with status %i", o->argv[0], r->exit_code);
        return k < 0 ? -ENOMEM : 0;
}
