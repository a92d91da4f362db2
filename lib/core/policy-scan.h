/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* libconfig (1.5) stores an integer literal that does not fit in an int, or an "L" literal that
 * does not fit in an int64, wrapped or saturated and without an error: "port = 4294967318;" reads
 * as 22, "hits = 2147483648;" as -2147483648. So the policy text is scanned once more for its
 * integer literals, and the loader takes each integer key's value from here, exactly. */
typedef struct IntLiteral {
        const char *name; /* the key it is assigned to ("name = 5"), in the text; NULL when none */
        size_t name_len;
        unsigned line;    /* of the key (the line libconfig gives the setting), else of the literal */
        const char *text; /* the literal as written, in the text */
        size_t len;
        bool fits;            /* value holds it exactly (it fits in a long long) */
        bool libconfig_exact; /* libconfig reads it exactly too (int, or int64 with "L") */
        long long value;
        bool used;
} IntLiteral;

typedef struct IntLiterals {
        IntLiteral *items; /* in the order of the text, so by line */
        size_t n;
} IntLiterals;

/* Scans libconfig text (outside strings and comments) for integer literals. */
int int_literals_scan(const char *text, IntLiterals *ret);
void int_literals_done(IntLiterals *l);

/* The first literal not yet used that is assigned to key on line; marks it used. */
IntLiteral *int_literals_take(IntLiterals *l, const char *key, unsigned line);
