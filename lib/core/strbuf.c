/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

static bool reserve(StrBuf *b, size_t more) {
        size_t need, na;
        char *ns;

        if (b->oom)
                return false;
        if (more > SIZE_MAX - b->n - 1)
                goto oom;
        need = b->n + more + 1;
        if (need <= b->allocated)
                return true;
        na = b->allocated ? b->allocated : 64;
        while (na < need)
                na = na > SIZE_MAX / 2 ? need : na * 2;
        ns = realloc(b->s, na);
        if (!ns)
                goto oom;
        b->s = ns;
        b->allocated = na;
        return true;
oom:
        b->oom = true;
        return false;
}

void strbuf_printf(StrBuf *b, const char *fmt, ...) {
        va_list ap;
        int k;

        if (!reserve(b, 0))
                return;
        va_start(ap, fmt);
        k = vsnprintf(b->s + b->n, b->allocated - b->n, fmt, ap);
        va_end(ap);
        if (k < 0) {
                b->oom = true;
                return;
        }
        if ((size_t) k >= b->allocated - b->n) {
                if (!reserve(b, (size_t) k))
                        return;
                va_start(ap, fmt);
                (void) vsnprintf(b->s + b->n, b->allocated - b->n, fmt, ap);
                va_end(ap);
        }
        b->n += (size_t) k;
}

void strbuf_puts(StrBuf *b, const char *s) {
        size_t l = strlen(s);

        if (!reserve(b, l))
                return;
        memcpy(b->s + b->n, s, l + 1);
        b->n += l;
}

void strbuf_putc(StrBuf *b, char c) {
        if (!reserve(b, 1))
                return;
        b->s[b->n++] = c;
        b->s[b->n] = '\0';
}

int strbuf_steal(StrBuf *b, char **ret) {
        if (!reserve(b, 0)) {
                strbuf_done(b);
                return -ENOMEM;
        }
        b->s[b->n] = '\0';
        *ret = b->s;
        *b = (StrBuf){};
        return 0;
}

void strbuf_done(StrBuf *b) {
        free(b->s);
        *b = (StrBuf){};
}
