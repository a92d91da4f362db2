/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The programs that change the accounts of a system or image tree (shadow-utils' groupadd,
 * useradd, usermod and chpasswd) and visudo, which checks a sudoers text. Each runs with an argv,
 * a clean environment and a timeout; for an image tree (root other than "/"), the shadow-utils
 * tools get "-R ROOT". Each entry returns 0, or -errno with a message for the admin in *ret_error:
 * why the program could not be started, or how it ended and what it wrote to stderr. */

#include <errno.h>

typedef enum AcctTool {
        ACCT_TOOL_GROUPADD,
        ACCT_TOOL_USERADD,
        ACCT_TOOL_USERMOD,
        ACCT_TOOL_CHPASSWD,
        ACCT_TOOL_VISUDO,
        _ACCT_TOOL_MAX,
        _ACCT_TOOL_INVALID = -EINVAL,
} AcctTool;

/* The absolute path it is run from ("/usr/sbin/useradd"). */
const char *acct_tool_path(AcctTool t);

/* As one table, so that the admin module can be tested against a fake (Context.account_ops);
 * every entry gets userdata first. */
typedef struct AccountOps {
        void *userdata;
        /* 0 when tool can be run here, else -errno. */
        int (*available)(void *userdata, AcctTool tool);
        /* groupadd [-U MEMBER] GROUP; member NULL: none. A groupadd that has no -U (it exits with
         * status 2, a usage error that changes nothing) is run again without it. Whether member
         * was listed is for the caller to read back: Debian 12's groupadd -U (shadow 4.13) lists
         * it in /etc/group but not in /etc/gshadow. */
        int (*groupadd)(void *userdata, const char *root, const char *group, const char *member, char **ret_error);
        /* useradd -m -d HOME [-s SHELL] -G GROUP USER; shell NULL: useradd's default */
        int (*useradd)(void *userdata, const char *root, const char *user, const char *home, const char *shell,
                       const char *group, char **ret_error);
        /* usermod -a -G GROUP USER */
        int (*usermod_add_group)(void *userdata, const char *root, const char *user, const char *group,
                                 char **ret_error);
        /* chpasswd -e with "USER:HASH" on stdin (never in argv, where any user could read it in /proc) */
        int (*set_password)(void *userdata, const char *root, const char *user, const char *hash, char **ret_error);
        /* usermod -L USER */
        int (*lock_password)(void *userdata, const char *root, const char *user, char **ret_error);
        /* visudo -c -f on a private temporary copy of text: 0 when visudo accepts it, -EIO when it
         * rejects it (visudo's message in *ret_error), another -errno when it could not be asked. */
        int (*visudo_check)(void *userdata, const char *text, char **ret_error);
} AccountOps;

/* The real programs. */
extern const AccountOps account_ops_real;
