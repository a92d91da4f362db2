/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "confirm.h"
#include "macro.h"
#include "sys/fileio.h"
#include "time-util.h"

#define LINE_MAX_LEN 512

static int socket_address(const char *dir, struct sockaddr_un *ret) {
        *ret = (struct sockaddr_un){ .sun_family = AF_UNIX };
        if (snprintf(ret->sun_path, sizeof(ret->sun_path), "%s/confirm.sock", dir) >= (int) sizeof(ret->sun_path))
                return -ENAMETOOLONG;
        return 0;
}

int confirm_listen(const char *dir, int *ret_fd) {
        _cleanup_close_ int fd = -EBADF;
        struct sockaddr_un sa;
        int r;

        r = ensure_dir_at_root("/", dir, 0700, geteuid(), getegid()); /* root: 0, 0 */
        if (r < 0)
                return r;
        r = socket_address(dir, &sa);
        if (r < 0)
                return r;
        if (unlink(sa.sun_path) < 0 && errno != ENOENT)
                return -errno;
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || chmod(sa.sun_path, 0600) < 0 || listen(fd, 8) < 0)
                return -errno;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int confirm_signals_block(sigset_t *ret_old, int *ret_fd) {
        sigset_t mask;
        int fd;

        (void) sigemptyset(&mask);
        (void) sigaddset(&mask, SIGHUP);
        (void) sigaddset(&mask, SIGINT);
        (void) sigaddset(&mask, SIGTERM);
        if (sigprocmask(SIG_BLOCK, &mask, ret_old) < 0)
                return -errno;
        fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        if (fd < 0) {
                int r = -errno;

                (void) sigprocmask(SIG_SETMASK, ret_old, NULL);
                return r;
        }
        *ret_fd = fd;
        return 0;
}

static int write_line(int fd, const char *line) {
        size_t len = strlen(line), done = 0;

        while (done < len) {
                ssize_t k = send(fd, line + done, len - done, MSG_NOSIGNAL);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return k < 0 ? -errno : -EIO;
                done += (size_t) k;
        }
        return 0;
}

/* One line, up to the newline (not included), waiting at most timeout_ms in all. */
static int read_line(int fd, int timeout_ms, char *buf, size_t size) {
        uint64_t end = now_monotonic_usec() + (uint64_t) timeout_ms * 1000;
        size_t len = 0;

        for (;;) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                uint64_t now = now_monotonic_usec();
                ssize_t k;
                char *nl;
                int n;

                if (now >= end)
                        return -ETIMEDOUT;
                n = poll(&p, 1, (int) ((end - now + 999) / 1000));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return -ETIMEDOUT;
                k = recv(fd, buf + len, size - 1 - len, MSG_DONTWAIT);
                if (k < 0 && (errno == EINTR || errno == EAGAIN))
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        return -ECONNRESET;
                len += (size_t) k;
                buf[len] = 0;
                nl = strchr(buf, '\n');
                if (nl) {
                        *nl = 0;
                        return 0;
                }
                if (len >= size - 1)
                        return -EMSGSIZE;
        }
}

/* Answers one client; 1 when it confirmed, 0 when it was refused or broken. */
static int serve(int fd, const char *own, bool *ret_same) {
        char line[LINE_MAX_LEN];
        struct ucred cred;
        socklen_t len = sizeof(cred);
        const char *theirs;

        *ret_same = false;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != geteuid())
                return 0; /* the directory is root's alone; this is belt and braces */
        if (read_line(fd, 2000, line, sizeof(line)) < 0)
                return 0;
        theirs = startswith(line, "CONFIRM ");
        if (!theirs)
                return 0;
        if (own && streq(theirs, own)) {
                *ret_same = true;
                (void) write_line(fd, "SAME-LOGIN\n");
                return 0;
        }
        return write_line(fd, "OK\n") < 0 ? 0 : 1;
}

int confirm_wait(int listen_fd, int signal_fd, uint64_t deadline_usec, const char *own_ssh_connection,
                 ConfirmEvent *ret, int *ret_signo) {
        for (;;) {
                struct pollfd p[2] = { { .fd = signal_fd, .events = POLLIN }, { .fd = listen_fd, .events = POLLIN } };
                uint64_t now = now_monotonic_usec();
                int n;

                if (now >= deadline_usec) {
                        *ret = CONFIRM_TIMEOUT;
                        return 0;
                }
                n = poll(p, 2, (int) ((deadline_usec - now + 999) / 1000));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (p[0].revents & POLLIN) {
                        struct signalfd_siginfo si;

                        if (read(signal_fd, &si, sizeof(si)) == (ssize_t) sizeof(si)) {
                                *ret = CONFIRM_SIGNAL;
                                *ret_signo = (int) si.ssi_signo;
                                return 0;
                        }
                }
                if (p[1].revents & POLLIN) {
                        _cleanup_close_ int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
                        bool same;

                        if (fd < 0)
                                continue;
                        if (serve(fd, own_ssh_connection, &same) > 0) {
                                *ret = CONFIRM_CONFIRMED;
                                return 0;
                        }
                        if (same) {
                                *ret = CONFIRM_SAME_LOGIN;
                                return 0;
                        }
                }
        }
}

int confirm_send(const char *dir, const char *ssh_connection, char **ret_reply) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *msg = NULL;
        char line[LINE_MAX_LEN];
        struct sockaddr_un sa;
        int r;

        if (ssh_connection && strpbrk(ssh_connection, "\r\n"))
                return -EINVAL;
        r = socket_address(dir, &sa);
        if (r < 0)
                return r;
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return -errno;
        if (asprintf(&msg, "CONFIRM %s\n", ssh_connection ?: "-") < 0)
                return -ENOMEM;
        r = write_line(fd, msg);
        if (r < 0)
                return r;
        r = read_line(fd, CONFIRM_REPLY_TIMEOUT_SEC * 1000, line, sizeof(line));
        if (r < 0)
                return r;
        *ret_reply = strdup(line);
        return *ret_reply ? 0 : -ENOMEM;
}
