/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The pure rules of a way in: would sshd, configured as one `sshd -T` view says, let this user in
 * with this key from this client? Each rule follows OpenSSH's own (auth.c allowed_user(),
 * auth2-pubkey.c, auth-options.c, match.c). No I/O. */

#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "ssh-config.h"
#include "sshkey.h"

/* The connection sshd would see: the client's address (also its host name: with UseDNS off, the
 * default, sshd matches host patterns against the address). */
typedef struct WayinClient {
        const char *addr;
        const char *host;
} WayinClient;

/* An account as sshd would see it after this apply. */
typedef struct WayinAccount {
        const char *name;
        uid_t uid;
        const char *shell;     /* "" means /bin/sh, as for sshd */
        char *const *groups;   /* every group name, primary first */
        const char *password;  /* the shadow field, NULL when unknown */
        long expire_days;      /* shadow's account expiry, days since 1970; -1: never */
        bool shell_executable; /* the shell exists below the root and may be executed */
        const char *shells;    /* the text of /etc/shells (for ForceCommand), or NULL */
} WayinAccount;

/* OpenSSH's match_pattern(): '*' and '?' wildcards, whole string. */
bool ssh_match_pattern(const char *s, const char *pattern);
/* A comma-separated pattern list with '!' negations, addresses, CIDRs and host patterns
 * (match_host_and_ip()): 1 matched, 0 not, -1 a negated entry matched (which wins). */
int ssh_match_host_and_ip(const char *host, const char *addr, const char *list);

/* Whether sshd's view admits this account to public key authentication at all: AllowUsers,
 * DenyUsers, AllowGroups, DenyGroups, PermitRootLogin, PubkeyAuthentication,
 * AuthenticationMethods, ForceCommand, the shell, expiry and (UsePAM off) a locked password.
 * 1: yes; 0: no, with *ret_why naming the rule and the fix. */
int wayin_account_admitted(const SshdDump *view, const WayinAccount *a, const WayinClient *c, time_t now,
                           char **ret_why);

/* Whether one authorized_keys line would let the account in from client: the key's type against
 * PubkeyAcceptedAlgorithms, and its options (from=, expiry-time=, command=, and options sshd does
 * not know, which make it skip the line). 1: yes; 0: no, with *ret_why. */
int wayin_key_usable(const SshdDump *view, const SshKey *k, const WayinClient *c, time_t now, char **ret_why);

/* Whether an AuthorizedKeysCommand is configured (then keys may come from it: a possible way in). */
bool wayin_keys_command(const SshdDump *view);

/* A shell someone could run a command with (not nologin, false, sync, halt, shutdown). */
bool wayin_shell_is_login(const char *shell);

/* Whether a forced command leaves the user a shell: an absolute path listed in shells_text. */
bool wayin_command_is_shell(const char *command, const char *shells_text);
