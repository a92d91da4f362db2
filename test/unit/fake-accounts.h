/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* A fake of the account tools (AccountOps, sys/accounts-tools.h) for unit tests: it edits the
 * passwd, group and shadow files of the test's tree the way shadow-utils does (useradd appends
 * the user, its own group and a locked shadow entry and makes the home, groupadd -U and
 * usermod -a -G add a member, to /etc/gshadow too when the tree has one, usermod -L puts a '!'
 * before the password, chpasswd -e sets it), fails like the real tools on a user or group that
 * exists already or is missing, records every call, and can be told to fail one kind of call.
 * visudo accepts every text unless told otherwise. Nothing is spawned. Plug it in with
 * c->account_ops = &f->ops. */

#include <stdbool.h>
#include <sys/types.h>

#include "sys/accounts-tools.h"

typedef enum FakeAcctCall {
        FAKE_ACCT_GROUPADD,
        FAKE_ACCT_USERADD,
        FAKE_ACCT_USERMOD_ADD_GROUP,
        FAKE_ACCT_SET_PASSWORD,
        FAKE_ACCT_LOCK_PASSWORD,
        FAKE_ACCT_VISUDO_CHECK,
        _FAKE_ACCT_CALL_MAX,
        _FAKE_ACCT_CALL_INVALID = -EINVAL,
} FakeAcctCall;

typedef struct FakeAccounts {
        AccountOps ops;               /* userdata points back here */
        const char *root;             /* the only tree it works on: a call for another root fails with -EINVAL */
        uid_t uid;                    /* what useradd gives the new user */
        gid_t gid;                    /* and its own group */
        bool missing[_ACCT_TOOL_MAX]; /* available() answers -ENOENT for these */
        /* the failure: every call of fail_call returns fail_error with fail_message, changing
         * nothing; _FAKE_ACCT_CALL_INVALID: none */
        FakeAcctCall fail_call;
        int fail_error;
        char *fail_message;
        /* groupadd -U lists the member in /etc/group but not in /etc/gshadow (Debian 12's
         * shadow 4.13) when there is one; the fake writes gshadow only then */
        bool groupadd_u_skips_gshadow;
        char **calls;         /* every call, as the command it stands for without "-R ROOT" */
        char **visudo_texts;  /* the texts visudo was asked about, in order */
        unsigned n_available; /* how often available() was asked */
} FakeAccounts;

void fake_accounts_init(FakeAccounts *f, const char *root, uid_t uid, gid_t gid);
void fake_accounts_done(FakeAccounts *f);
/* Every call of kind call fails from now on with error and message. */
int fake_accounts_fail(FakeAccounts *f, FakeAcctCall call, int error, const char *message);
