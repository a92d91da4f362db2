/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* A string built piece by piece, for texts made by the thousand (open_memstream() zeroes an 8 KiB
 * buffer for each). Out of memory is remembered and reported once, by strbuf_steal(). */

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

typedef struct StrBuf {
        char *s;
        size_t n, allocated;
        bool oom;
} StrBuf;

void strbuf_printf(StrBuf *b, const char *fmt, ...) _printf_(2, 3);
void strbuf_puts(StrBuf *b, const char *s);
void strbuf_putc(StrBuf *b, char c);
/* The text (never NULL: "" when nothing was added), or -ENOMEM; b is empty again after. */
int strbuf_steal(StrBuf *b, char **ret);
void strbuf_done(StrBuf *b);
