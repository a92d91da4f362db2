/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* One authorized_keys line: [options] keytype base64 [comment] (sshd(8) AUTHORIZED_KEYS FILE FORMAT). */
typedef struct SshKey {
        char *options; /* NULL when none */
        char *type;    /* "ssh-ed25519", ... */
        char *blob;    /* the base64 text as written */
        char *comment; /* NULL when none */
} SshKey;

void sshkey_done(SshKey *k);
bool sshkey_type_known(const char *type);

/* Parses one line. Returns 0 on success, -ENODATA for a blank or comment line, -EINVAL for a
 * malformed line with *ret_reason set to a static explanation. */
int sshkey_parse_line(const char *line, SshKey *ret, const char **ret_reason);

/* Whether two keys are the same key (type and blob; options and comments aside). */
bool sshkey_equal(const SshKey *a, const SshKey *b);

/* Counts the valid key lines in an authorized_keys text. */
size_t sshkey_count_valid(const char *text, size_t len);

/* Decodes standard base64 (with '=' padding); returns the byte count or -EINVAL. */
int base64_decode(const char *s, size_t len, unsigned char **ret, size_t *ret_len);
