/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The channel between "hardenctl apply --confirm" (waiting) and "hardenctl confirm" (run from a
 * new login): a unix stream socket in /run/hardend (0700, root). The client sends one line,
 * "CONFIRM <its $SSH_CONNECTION, or ->", and the waiting apply answers one line: "OK" (the changes
 * stay), or "SAME-LOGIN" (the confirmation came through the login that ran the apply, which proves
 * nothing: it is not counted, the wait goes on). */

#include <errno.h>
#include <signal.h>
#include <stdint.h>

#define CONFIRM_DIR               "/run/hardend"
#define CONFIRM_SOCKET            CONFIRM_DIR "/confirm.sock"
#define CONFIRM_REPLY_TIMEOUT_SEC 30

typedef enum ConfirmEvent {
        CONFIRM_CONFIRMED,  /* "hardenctl confirm" from another login */
        CONFIRM_SAME_LOGIN, /* one from the same login: refused, keep waiting */
        CONFIRM_TIMEOUT,    /* the deadline passed */
        CONFIRM_SIGNAL,     /* SIGHUP (the session dropped), SIGINT, SIGTERM */
        _CONFIRM_EVENT_MAX,
        _CONFIRM_EVENT_INVALID = -EINVAL,
} ConfirmEvent;

/* Creates CONFIRM_DIR (0700) and a listening socket at dir/confirm.sock (a stale one is replaced).
 * dir is CONFIRM_DIR except in tests. */
int confirm_listen(const char *dir, int *ret_fd);

/* The signals that end the wait, blocked, and a signalfd that reports them. */
int confirm_signals_block(sigset_t *ret_old, int *ret_fd);

/* Waits for the next event until deadline (CLOCK_MONOTONIC, µs). own_ssh_connection: the apply's
 * $SSH_CONNECTION (NULL: any confirmation counts). For CONFIRM_SIGNAL, *ret_signo is set. */
int confirm_wait(int listen_fd, int signal_fd, uint64_t deadline_usec, const char *own_ssh_connection,
                 ConfirmEvent *ret, int *ret_signo);

/* Sends the confirmation to the socket in dir; the reply line (without newline) in *ret_reply.
 * -ENOENT/-ECONNREFUSED when nothing waits. */
int confirm_send(const char *dir, const char *ssh_connection, char **ret_reply);
