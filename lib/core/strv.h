/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

char **strv_free(char **l);
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, strv_free);
#define _cleanup_strv_free_ _cleanup_(strv_freep)

size_t strv_length(char *const *l);
static inline bool strv_isempty(char *const *l) {
        return !l || !*l;
}
bool strv_contains(char *const *l, const char *s);
/* Appends a copy of s; the list stays NULL-terminated. */
int strv_extend(char ***l, const char *s);
/* Appends s itself, taking ownership (freed on failure). */
int strv_consume(char ***l, char *s);
/* Same strings in the same order; NULL is the empty list. */
bool strv_equal(char *const *a, char *const *b);
int strv_extendf(char ***l, const char *fmt, ...) _printf_(2, 3);
int strv_extendv(char ***l, const char *fmt, va_list ap) _printf_(2, 0);
char **strv_copy(char *const *l);
int strv_join(char *const *l, const char *sep, char **ret);
int strv_split(const char *s, const char *separators, char ***ret);

#define STRV_FOREACH(s, l) for (char **s = (l); s && *s; s++)
