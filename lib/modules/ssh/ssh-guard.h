/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The ssh module's anti-lockout preflight: runs ssh_lockout_check() with sshd's own per-user views
 * of the candidate configuration and sudo's own answer on the candidate sudoers and accounts. */

#include <stdbool.h>

#include "engine.h"
#include "ssh-config.h"
#include "sys/sshd.h"

/* The local address sshd -T is asked about when Match blocks need one and no session names it. */
#define SSH_CHECK_LADDR "192.0.2.2"

typedef struct SshGuardInput {
        const SshdExec *exec; /* NULL when there is no sshd to ask */
        SshdCache *cache;
        const char *config;     /* the candidate main file, as sshd sees it */
        const SshdDump *shared; /* one view that serves every user when has_match is false */
        bool has_match;         /* the candidate has Match blocks (other than "Match all") */
        const char *addr;       /* the client address to check from */
        const char *laddr;      /* the local address, or NULL for a documentation one */
} SshGuardInput;

/* 0 when a way in survives (or --force); -EPERM with the refusal in o; -errno on failure. */
int ssh_guard_check(Context *c, const SshGuardInput *in, Outcome *o);
