/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* A fake of the programs the ssh module runs (SshdOps, sys/sshd.h), for unit tests: canned sshd -T
 * answers, an sshd -T that accepts or rejects a candidate, ssh -Q lists, a reload counter and a sudo verdict
 * per user. Nothing is spawned. Plug it in with c->sshd_ops = &f->ops. */

#include <stdbool.h>

#include "sys/sshd.h"

typedef struct FakeView {
        char *user; /* the -C user= it answers for */
        SshdDump dump;
} FakeView;

typedef struct FakeQuery {
        char *what; /* ssh -Q what */
        char **list;
} FakeQuery;

typedef struct FakeSudo {
        char *user; /* NULL: everyone without a verdict of their own */
        SudoRoot verdict;
        char *why;
} FakeSudo;

typedef struct FakeSshd {
        SshdOps ops;        /* userdata points back here */
        bool not_installed; /* exec_find: -ENOENT */
        SshdDump all;       /* sshd -T without -C, and for a user without a view of their own */
        FakeView *views;
        size_t n_views;
        char *reject; /* sshd -T of a staged candidate: NULL accepts; else -EINVAL with this message */
        FakeQuery *queries;
        size_t n_queries;
        FakeSudo *sudo;
        size_t n_sudo;
        /* how often each was asked */
        unsigned n_found, n_tested, n_dumped, n_queried, n_reloaded, n_sudo_checked;
} FakeSshd;

void fake_sshd_init(FakeSshd *f);
void fake_sshd_done(FakeSshd *f);
/* The sshd -T answer (as sshd prints it; parsed with sshd_dump_parse()) for user, or for everyone
 * without a view of their own when user is NULL. */
int fake_sshd_set_view(FakeSshd *f, const char *user, const char *text);
/* sshd -T rejects every staged candidate with message; NULL: accepts every one again. */
int fake_sshd_set_reject(FakeSshd *f, const char *message);
/* ssh -Q what answers the words of list (space separated); a class never set fails (-EINVAL). */
int fake_sshd_set_query(FakeSshd *f, const char *what, const char *list);
/* sudo's verdict for user (NULL: everyone without one of their own); why is reported when it is
 * not SUDO_ROOT_NOPASSWD. Without any: SUDO_ROOT_NO. */
int fake_sshd_set_sudo(FakeSshd *f, const char *user, SudoRoot verdict, const char *why);
