/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* What sudoers text says that sudo cannot answer through an exit status: whether sudo asks for
 * another password than the invoking user's own (Defaults rootpw, targetpw, runaspw). Pure: the
 * files are read through callbacks, so that the candidate configuration (files hardend is about to
 * write) is what is read. */

#include <stdbool.h>

#include "macro.h"

typedef enum SudoersOtherPassword {
        SUDOERS_ROOTPW = 1u << 0,   /* root's password */
        SUDOERS_TARGETPW = 1u << 1, /* the target user's (root's, for sudo to root) */
        SUDOERS_RUNASPW = 1u << 2,  /* runas_default's (root unless changed) */
} SudoersOtherPassword;

typedef struct SudoersReader {
        /* The whole text of the file at path as it will be; -ENOENT when there will be none. */
        int (*read)(const char *path, char **ret, void *userdata);
        /* The names in directory dir as it will be, in any order (NULL-terminated strv). */
        int (*list)(const char *dir, char ***ret, void *userdata);
        void *userdata;
        const char *hostname; /* the short host name, for %h in include paths */
} SudoersReader;

/* Reads path and every file it includes (#include, @include, #includedir, @includedir, relative
 * paths, %h), in the order sudo does, and sets in *ret_flags those of rootpw, targetpw and runaspw
 * that may be in effect: set by a Defaults line of any scope (conservatively: a Defaults:user,
 * @host, >runas or !cmnd line counts for everybody) and not unset by a later plain Defaults line.
 * *ret_where names the line that set the first of them ("/etc/sudoers.d/x:3"), NULL for none.
 * Missing or unreadable includes are skipped (sudo warns and goes on). */
int sudoers_other_password(const SudoersReader *r, const char *path, unsigned *ret_flags, char **ret_where);

/* Whether sudo reads a file of this name from an included directory (no '.', no trailing '~'). */
bool sudoers_includedir_name_ok(const char *name);

const char *sudoers_other_password_to_string(SudoersOtherPassword f);
