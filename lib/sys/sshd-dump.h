/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* What sshd -T printed, parsed (lib/sys/sshd.c runs it; the ssh module reads the result). Pure. */

#include <stddef.h>

/* sshd -T output: "keyword value..." lines, keywords lowercase. A keyword on several lines (port,
 * allowgroups, listenaddress) has its values joined with a space. */
typedef struct SshdDump {
        char **keys;
        char **values;
        size_t n;
} SshdDump;

void sshd_dump_done(SshdDump *d);
int sshd_dump_parse(const char *text, SshdDump *ret);
int sshd_dump_copy(const SshdDump *from, SshdDump *ret);
/* NULL when sshd did not print the keyword. */
const char *sshd_dump_get(const SshdDump *d, const char *keyword);
