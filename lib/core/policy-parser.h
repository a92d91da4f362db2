/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The core the section parsers (lib/<module>-policy.c) share: a Parser that keeps the first
 * error as FILE:LINE: message, key and type checks, and typed getters. Every getter returns 1
 * when the key is present and valid (the value is stored), 0 when it is absent (the value is
 * left as it is: unset), or a negative errno (-EINVAL with the error set). */

#include <libconfig.h>
#include <stdbool.h>
#include <stddef.h>

#include "macro.h"
#include "policy-scan.h"
#include "policy.h"

typedef struct Parser {
        const char *file;
        const char *text;  /* the source, to pin array elements to their lines */
        IntLiterals *ints; /* its integer literals, read exactly (see policy-scan.h) */
        PolicyError *error;
} Parser;

/* Sets the error (the first one only) and returns -EINVAL. */
int fail_at(Parser *p, unsigned line, const char *fmt, ...) _printf_(3, 4);
#define fail(p, setting, ...) fail_at(p, (unsigned) config_setting_source_line(setting), __VA_ARGS__)

/* The line of a string element of an array (libconfig's own is often the next token's). */
unsigned string_elem_line(const Parser *p, const config_setting_t *e);
#define elem_line(e) string_elem_line(p, e)

typedef enum ValueType {
        VT_BOOL,
        VT_INT,
        VT_STRING,
        VT_GROUP,
        VT_SEQUENCE, /* array or list */
} ValueType;

/* Rejects members of group not named in keys (NULL-terminated); path names the group. */
int check_keys(Parser *p, const config_setting_t *group, const char *path, const char *const *keys);
/* Finds key in group (which may be NULL) with the expected type; 0 and *ret = NULL when absent. */
int lookup(Parser *p, const config_setting_t *group, const char *path, const char *key, ValueType t,
           config_setting_t **ret);

/* *v becomes 0 or 1. */
int get_bool(Parser *p, const config_setting_t *group, const char *path, const char *key, int *v);
/* An integer in min..max, judged by the literal as written (policy-scan.h). */
int get_uint(Parser *p, const config_setting_t *group, const char *path, const char *key, long long min, long long max,
             unsigned *v, unsigned *ret_line);
/* A copy of the string (the previous *v is freed). */
int get_string(Parser *p, const config_setting_t *group, const char *path, const char *key, char **v,
               unsigned *ret_line);
/* A string that must be one of table[0..n-1]; *v becomes its index. */
int get_enum(Parser *p, const config_setting_t *group, const char *path, const char *key, const char *const *table,
             int n, int *v);

/* A sequence of strings; each element is handed to each() with its setting for line numbers. */
typedef int (*StringFunc)(Parser *p, const config_setting_t *elem, const char *path, size_t index, const char *value,
                          void *userdata);
int get_strings(Parser *p, const config_setting_t *group, const char *path, const char *key, StringFunc each,
                void *userdata);

/* The index of s in table, or -EINVAL. */
int table_lookup(const char *const *table, int n, const char *s);

/* One section of the policy, parsed by its module (see the table in policy.c), OpenSSH
 * servconf.c style: init() marks every field unset (-1, NULL, 0 where 0 is not a valid value,
 * _*_INVALID); parse() gets the section's group and is not called when the section is absent;
 * defaults() fills every field still unset, the one place the defaults live; done() frees what
 * the section owns, also after a failed parse. */
typedef struct PolicySection {
        const char *name;
        void (*init)(Policy *pol);
        int (*parse)(Parser *p, Policy *pol, const config_setting_t *g);
        int (*defaults)(Policy *pol);
        void (*done)(Policy *pol);
        /* Whether a and b say the same in this section (policy_equal()). */
        bool (*equal)(const Policy *a, const Policy *b);
} PolicySection;
