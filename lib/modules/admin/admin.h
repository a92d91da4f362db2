/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "engine.h"
#include "policy.h"
#include "sshkey.h"

/* The admin module (policy section "admin"): the admin user and group, their authorized_keys, the
 * sudoers drop-in, root's password lock, and the classic backdoors (a second UID 0, empty passwords). */

#define ADMIN_SUDOERS              "/etc/sudoers"
#define ADMIN_SUDOERS_DIR          "/etc/sudoers.d"
#define ADMIN_SUDOERS_DROPIN       "/etc/sudoers.d/hardend" /* no dot: sudo skips names with one */
#define ADMIN_SUDOERS_DROPIN_MODE  0440
#define ADMIN_SSH_DIR_MODE         0700
#define ADMIN_AUTHORIZED_KEYS_MODE 0600

extern const Module admin_module;

/* The module's probe (Module.probe): reads the image's account files below c->root. */
int admin_probe(Context *c, FindingList *out);

/* The whole text of the sudoers drop-in for the policy. */
int admin_sudoers_text(const AdminPolicy *a, char **ret);

/* Whether a sudoers text includes /etc/sudoers.d ("@includedir" or the older "#includedir"). */
bool admin_sudoers_has_includedir(const char *text);
/* text with "@includedir /etc/sudoers.d" appended (after a newline if text lacks a final one). */
int admin_sudoers_add_includedir(const char *text, char **ret);

/* "[options ]type blob[ comment]" */
int admin_key_format(const SshKey *k, char **ret);
/* Whether an authorized_keys text holds key (compared with sshkey_equal()). */
bool admin_keys_contain(const char *text, size_t len, const SshKey *key);
/* The existing text kept byte for byte, with each of keys that it lacks appended as a line.
 * *ret_added (may be NULL) is the number of keys appended. */
int admin_keys_merge(const char *text, size_t len, const SshKey *keys, size_t n_keys, char **ret, size_t *ret_len,
                     size_t *ret_added);

/* The stable finding subject for a policy key of user: "USER TYPE ...TAIL" (the end of the blob). */
int admin_key_subject(const char *user, const SshKey *k, char **ret);
