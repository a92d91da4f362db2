/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The pure part of the SSH module: what our sshd drop-in says, how sshd -T output and sshd_config
 * lines read, and whether the main sshd_config includes the drop-in directory in time. No I/O. */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "macro.h"
#include "policy.h"
#include "sys/sshd-dump.h"
#include "sys/sshd.h"

#define SSH_DROPIN_DIR       SSH_CONFIG_DIR "/sshd_config.d"
#define SSH_DROPIN_NAME      "00-hardend.conf"
#define SSH_DROPIN_PATH      SSH_DROPIN_DIR "/" SSH_DROPIN_NAME
#define SSH_INCLUDE_LINE     "Include " SSH_DROPIN_DIR "/*.conf"
#define SSH_LOGIN_GRACE_TIME 30

typedef enum SshAlgoClass {
        SSH_ALGO_KEX,
        SSH_ALGO_CIPHER,
        SSH_ALGO_MAC,
        SSH_ALGO_HOSTKEY,
        _SSH_ALGO_MAX,
        _SSH_ALGO_INVALID = -EINVAL,
} SshAlgoClass;

/* The "ssh -Q" query word for each class ("kex", "cipher", "mac", "key-sig"). */
const char *ssh_algo_class_query(SshAlgoClass c);
/* The sshd_config keyword for each class ("KexAlgorithms", ...). */
const char *ssh_algo_class_keyword(SshAlgoClass c);

/* The algorithms the drop-in pins; a NULL list leaves that class to sshd's defaults. */
typedef struct SshAlgorithms {
        char **list[_SSH_ALGO_MAX];
} SshAlgorithms;

void ssh_algorithms_done(SshAlgorithms *a);
/* Our modern choices, in preference order, that are in supported (what "ssh -Q" listed). Returns
 * -ENOENT when none of ours is supported. */
int ssh_algorithms_pick(SshAlgoClass c, char *const *supported, char ***ret);

/* One managed setting: the sshd_config spelling and value, and whether it is repeated in the
 * drop-in's closing "Match all" block (so that a later Match block cannot re-enable it). */
typedef struct SshSetting {
        const char *keyword;
        char *value;
        bool in_match;
} SshSetting;

typedef struct SshSettings {
        SshSetting *items;
        size_t n;
} SshSettings;

void ssh_settings_done(SshSettings *s);
int ssh_settings_from_policy(const SshPolicy *p, const SshAlgorithms *a, SshSettings *ret);
const SshSetting *ssh_settings_find(const SshSettings *s, const char *keyword);
/* Whether keyword (any case) is one we manage, in the policy or not (PasswordAuthentication, ...). */
bool ssh_keyword_managed(const char *keyword);

/* The text of sshd_config.d/00-hardend.conf. */
int ssh_render_dropin(const SshSettings *s, char **ret);

/* Whether the value sshd -T reports for keyword is the value we set (sshd -T spells some values
 * its own way: "without-password" for prohibit-password; yes/no in any case). */
bool ssh_value_matches(const char *keyword, const char *want, const char *actual);

/* Splits one sshd_config line into its keyword and arguments (either may be followed by '='
 * once). -ENODATA for blank and comment lines. */
int ssh_config_split_line(const char *line, size_t len, char **ret_keyword, char **ret_args);

/* Whether the main sshd_config reads our drop-in (an Include whose pattern matches
 * SSH_DROPIN_PATH) before any keyword we manage, before the first Match and before any other
 * Include (whose files could set either). 1: yes, 0: no. */
int ssh_config_includes_dropin(const char *text, size_t len);
/* Whether a config text has a Match block other than "Match all" (then sshd's view depends on who
 * connects, from where, to which port). 1: yes, 0: no. */
int ssh_config_has_match(const char *text, size_t len);
/* Every Include pattern of a config text, made absolute (relative ones are below SSH_CONFIG_DIR). */
int ssh_config_include_patterns(const char *text, size_t len, char ***ret);
/* The main file with SSH_INCLUDE_LINE (and a comment saying why) put at its top; the rest byte
 * for byte. */
int ssh_config_add_include(const char *text, size_t len, char **ret, size_t *ret_len);
/* A copy of a config file whose Includes of files in SSH_DROPIN_DIR (absolute or relative) read
 * them from to_dir instead, so that a candidate drop-in directory can be checked with sshd -T -f. */
int ssh_config_redirect_includes(const char *text, size_t len, const char *to_dir, char **ret);

/* The managed keywords a drop-in file sets, as "Keyword value (line N)" strings, and whether any
 * of them disagrees with want. Returns the number found. */
int ssh_config_managed_lines(const char *text, size_t len, const SshSettings *want, char ***ret, bool *ret_conflicts);

/* Expands an AuthorizedKeysFile pattern (%h, %u, %U, %%; relative to the home directory). */
int ssh_expand_keys_path(const char *pattern, const char *user, uid_t uid, const char *home, char **ret);
