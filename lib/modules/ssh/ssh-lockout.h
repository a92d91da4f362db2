/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The anti-lockout rule: after this apply, somebody must still be able to log in with a key AND
 * become root. Each candidate user is judged against sshd's own effective view for that user
 * (sshd -T -C ...), the key files sshd would read, and sudo's own answer. */

#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "acctdb.h"
#include "ssh-config.h"
#include "ssh-wayin.h"
#include "sshkey.h"

/* sshd's view for one user (NULL: the same for every user); the caller owns it and keeps it until
 * the check returns. 0, or -errno with *ret_error saying why sshd could not answer. */
typedef int (*SshViewFunc)(void *userdata, const char *user, const SshdDump **ret_view, char **ret_error);
/* Whether user can become root with sudo after this apply: 1 yes; 0 no, *ret_why says why;
 * -errno when it could not be asked (*ret_why says why). */
typedef int (*SshSudoFunc)(void *userdata, const char *user, char **ret_why);

typedef struct SshLockoutInput {
        const char *root;   /* where the home directories are ("/" or an image tree) */
        bool nofollow;      /* refuse symlinks (image trees); otherwise paths are canonicalised */
        const AcctDb *db;   /* passwd, group and shadow as they are now */
        const char *shells; /* /etc/shells text, or NULL */
        WayinClient client; /* who connects */
        time_t now;
        SshViewFunc view;
        SshSudoFunc sudo;
        void *userdata;
        /* the admin module's user: created or given keys in this apply, NULL when not */
        const char *incoming_user;
        const char *incoming_group; /* it will be a member of this group */
        const SshKey *incoming_keys;
        size_t n_incoming_keys;
        const char *incoming_home; /* where its keys go when it does not exist yet */
} SshLockoutInput;

/* Why one key file is no use to user (NULL: it holds at least one valid key sshd would read). */
int ssh_keyfile_problem(const char *root, bool nofollow, const char *path, uid_t uid, gid_t gid, const char *home,
                        bool strict_modes, char **ret);

/* 1: somebody has a way in (*ret_who names them and how); 0: nobody has, *ret_missing says, for
 * each candidate, what stops them and how to fix it; -errno on failure. */
int ssh_lockout_check(const SshLockoutInput *in, char **ret_who, char **ret_missing);
