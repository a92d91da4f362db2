/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "macro.h"

/* The image's own account files (passwd, group, shadow), parsed from text read below the root:
 * never through NSS (getpwnam() would answer for the host, not the image). */

typedef struct AcctUser {
        char *name;
        char *passwd; /* "x" when the password is in shadow */
        uid_t uid;
        gid_t gid;
        char *gecos;
        char *home;
        char *shell;
} AcctUser;

typedef struct AcctGroup {
        char *name;
        gid_t gid;
        char **members; /* never NULL after parsing */
} AcctGroup;

typedef struct AcctShadow {
        char *name;
        char *password; /* "" (no password), "!..." or "*..." (locked), or a hash */
        long expire;    /* the account expires on this day (days since 1970-01-01); -1: never */
} AcctShadow;

typedef struct AcctDb {
        AcctUser *users;
        size_t n_users;
        AcctGroup *groups;
        size_t n_groups;
        AcctShadow *shadows;
        size_t n_shadows;
} AcctDb;

/* Malformed lines: the one rule for every reader of the account files (the ssh module, the admin
 * module, sudo's candidate accounts, the watcher). A malformed line is never skipped: a reader
 * that skipped it would decide on the other lines alone (the anti-lockout check could find a way
 * in through an account the system itself may not read the same way). Parsing stops with
 * -EBADMSG and the line's FILE:LINE, and the caller treats that as "cannot read the account
 * files": the anti-lockout check refuses with that reason, the admin probe reports a finding of
 * kind unknown, the watcher does not watch the admin's home until passwd parses again.
 *
 * A line is malformed when it does not have exactly the file's number of ':'-separated fields
 * (passwd 7, group 4, shadow 9), when its name is empty, or when a uid or gid is not a decimal
 * number below 4294967295 (shadow's other fields are not checked: an expiry day that is not a
 * number is read as none). Only blank lines and NIS "+"/"-" entries are skipped. Lines have no
 * length limit (the file has one: READ_FILE_MAX). */

/* Each parses a whole file's text; -EBADMSG at the first malformed line, with its 1-based number
 * in *ret_bad_line. */
int acct_parse_passwd(const char *text, AcctDb *db, unsigned *ret_bad_line);
int acct_parse_group(const char *text, AcctDb *db, unsigned *ret_bad_line);
int acct_parse_shadow(const char *text, AcctDb *db, unsigned *ret_bad_line);

/* Reads ROOT/etc/passwd, group and shadow (without following symlinks below root). On failure,
 * *ret_what names the file that could not be read, or "FILE:LINE" for a malformed line
 * (-EBADMSG). */
int acct_db_load(const char *root, AcctDb *ret, char **ret_what);
/* The same, with the files' texts from read_file (e.g. files as they are about to be written). */
typedef int (*AcctReadFunc)(const char *path, char **ret, void *userdata);
int acct_db_load_with(AcctReadFunc read_file, void *userdata, AcctDb *ret, char **ret_what);
void acct_db_done(AcctDb *db);

const AcctUser *acct_db_user(const AcctDb *db, const char *name);
const AcctGroup *acct_db_group(const AcctDb *db, const char *name);
const AcctShadow *acct_db_shadow(const AcctDb *db, const char *name);
/* Whether user is in group, as its primary group or listed as a member. */
bool acct_db_in_group(const AcctDb *db, const AcctUser *u, const AcctGroup *g);

/* A shadow password field that is locked: "!..." (as usermod -L leaves it) or "*..." (as Debian
 * ships root and the system accounts); passwd -S reports both as L, and no password matches
 * either. */
bool acct_password_locked(const char *field);
/* Why nobody can type the password of an account at a prompt (a static string: "is locked", "has
 * no password", "has expired", ...), or NULL when its field holds a crypt(3) hash and the account
 * (expire, days since 1970-01-01, -1: never) has not expired by today. */
const char *acct_password_unusable(const char *field, long expire, long today);
