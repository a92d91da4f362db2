/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "macro.h"
#include "policy-scan.h"

/* The token shapes of libconfig's scanner (scanner.l), as far as integers need them. */
static bool is_name_start(char c) {
        return isalpha((unsigned char) c) || c == '*';
}

static bool is_name_char(char c) {
        return isalnum((unsigned char) c) || c == '-' || c == '_' || c == '*';
}

static bool is_hex_prefix(const char *s, size_t n) {
        return n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
}

/* [-+]?[0-9]+ or 0[xX][0-9a-fA-F]+, each with an optional L or LL */
static bool is_int_token(const char *s, size_t n, size_t *ret_digits_start, size_t *ret_digits_end, bool *ret_hex) {
        size_t i = 0, end = n, digits;
        bool hex = false;

        while (end > 0 && n - end < 2 && s[end - 1] == 'L')
                end--;
        if (is_hex_prefix(s, end)) {
                hex = true;
                i = 2;
        } else if (end > 0 && (s[0] == '+' || s[0] == '-'))
                i = 1;
        digits = i;
        for (; i < end; i++)
                if (!(hex ? isxdigit((unsigned char) s[i]) : isdigit((unsigned char) s[i])))
                        return false;
        if (digits == end)
                return false;
        *ret_digits_start = digits;
        *ret_digits_end = end;
        *ret_hex = hex;
        return true;
}

static void int_literal_parse(IntLiteral *l, size_t digits_start, size_t digits_end, bool hex) {
        const unsigned long long base = hex ? 16 : 10;
        unsigned long long v = 0, limit;
        bool neg = l->text[0] == '-', overflow = false;

        for (size_t i = digits_start; i < digits_end; i++) {
                char c = l->text[i];
                unsigned d = isdigit((unsigned char) c) ? (unsigned) (c - '0')
                                                        : (unsigned) (tolower((unsigned char) c) - 'a' + 10);

                if (v > (ULLONG_MAX - d) / base)
                        overflow = true;
                else
                        v = v * base + d;
        }
        limit = neg ? (unsigned long long) LLONG_MAX + 1 : (unsigned long long) LLONG_MAX;
        l->fits = !overflow && v <= limit;
        if (!l->fits)
                return;
        l->value = !neg ? (long long) v : v > (unsigned long long) LLONG_MAX ? LLONG_MIN : -(long long) v;
        /* without "L" libconfig keeps an int; with it, an int64 */
        l->libconfig_exact = digits_end < l->len || (l->value >= INT_MIN && l->value <= INT_MAX);
}

static int append(IntLiterals *l, size_t *allocated, const IntLiteral *x) {
        if (ARRAY_GROW(l->items, allocated, l->n + 1) < 0)
                return -ENOMEM;
        l->items[l->n++] = *x;
        return 0;
}

static const char *skip_counting_lines(const char *from, const char *to, unsigned *line) {
        for (const char *c = from; c < to; c++)
                if (*c == '\n')
                        (*line)++;
        return to;
}

int int_literals_scan(const char *text, IntLiterals *ret) {
        IntLiterals l = {};
        const char *name = NULL, *c = text;
        size_t name_len = 0, allocated = 0;
        unsigned line = 1, name_line = 0;
        bool assigned = false;

        while (*c) {
                if (*c == '\n') {
                        line++;
                        c++;
                } else if (isspace((unsigned char) *c))
                        c++;
                else if (*c == '#' || (c[0] == '/' && c[1] == '/'))
                        c += strcspn(c, "\n");
                else if (c[0] == '/' && c[1] == '*') {
                        const char *e = strstr(c + 2, "*/");

                        c = skip_counting_lines(c, e ? e + 2 : c + strlen(c), &line);
                } else if (*c == '"') {
                        const char *e = c + 1;

                        while (*e && *e != '"')
                                e += e[0] == '\\' && e[1] ? 2 : 1;
                        c = skip_counting_lines(c, *e ? e + 1 : e, &line);
                        name = NULL;
                } else if (is_name_start(*c)) {
                        name = c;
                        while (is_name_char(*c))
                                c++;
                        name_len = (size_t) (c - name);
                        name_line = line;
                        assigned = false;
                } else if ((*c == '=' || *c == ':') && name && !assigned) {
                        assigned = true;
                        c++;
                } else if (isdigit((unsigned char) *c) ||
                           ((*c == '+' || *c == '-' || *c == '.') && (isdigit((unsigned char) c[1]) || c[1] == '.'))) {
                        const char *start = c++;
                        size_t a, b;
                        bool hex;

                        while (isalnum((unsigned char) *c) || *c == '.' || *c == '_' ||
                               ((*c == '+' || *c == '-') && (c[-1] == 'e' || c[-1] == 'E') &&
                                !is_hex_prefix(start, (size_t) (c - start))))
                                c++;
                        if (is_int_token(start, (size_t) (c - start), &a, &b, &hex)) {
                                IntLiteral x = {
                                        .name = assigned ? name : NULL,
                                        .name_len = assigned ? name_len : 0,
                                        .line = assigned ? name_line : line,
                                        .text = start,
                                        .len = (size_t) (c - start),
                                };

                                int_literal_parse(&x, a, b, hex);
                                if (append(&l, &allocated, &x) < 0) {
                                        int_literals_done(&l);
                                        return -ENOMEM;
                                }
                        }
                        name = NULL;
                } else {
                        name = NULL;
                        c++;
                }
        }
        *ret = l;
        return 0;
}

void int_literals_done(IntLiterals *l) {
        free(l->items);
        *l = (IntLiterals){};
}

IntLiteral *int_literals_take(IntLiterals *l, const char *key, unsigned line) {
        size_t lo = 0, hi = l->n, n = strlen(key);

        /* the first literal on line: the items are in the order of the text */
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (l->items[mid].line < line)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        for (size_t i = lo; i < l->n && l->items[i].line == line; i++) {
                IntLiteral *x = &l->items[i];

                if (!x->used && x->name && x->name_len == n && memcmp(x->name, key, n) == 0) {
                        x->used = true;
                        return x;
                }
        }
        return NULL;
}
