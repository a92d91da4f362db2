/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The anti-lockout rule: with passwords off, someone who may log in must hold a usable key. */

#include <stdbool.h>
#include <sys/types.h>

typedef struct SshLockoutInput {
        const char *root;          /* where the home directories are ("/" or an image tree) */
        bool nofollow;             /* refuse symlinks (image trees) */
        const char *passwd;        /* /etc/passwd text */
        const char *group;         /* /etc/group text */
        bool root_allowed;         /* the resulting PermitRootLogin lets root in with a key */
        char *const *allow_groups; /* empty: everyone */
        char *const *keys_files;   /* AuthorizedKeysFile patterns as sshd -T reports them */
        bool strict_modes;         /* sshd's StrictModes */
        const char *incoming_user; /* receives keys from the admin module in this apply, or NULL */
} SshLockoutInput;

/* Why one key file is no use to user (NULL: it holds at least one valid key sshd would read). */
int ssh_keyfile_problem(const char *root, bool nofollow, const char *path, uid_t uid, gid_t gid, const char *home,
                        bool strict_modes, char **ret);

/* 1: somebody can log in with a key (*ret_who names them); 0: nobody can, *ret_missing says what
 * is missing for each candidate; -errno on failure. */
int ssh_lockout_check(const SshLockoutInput *in, char **ret_who, char **ret_missing);
