/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy-parser.h"

int table_lookup(const char *const *table, int n, const char *s) {
        for (int i = 0; i < n; i++)
                if (streq(table[i], s))
                        return i;
        return -EINVAL;
}

int fail_at(Parser *p, unsigned line, const char *fmt, ...) {
        va_list ap;
        char *m = NULL;

        if (p->error->message) /* keep the first error */
                return -EINVAL;
        va_start(ap, fmt);
        if (vasprintf(&m, fmt, ap) < 0)
                m = NULL;
        va_end(ap);
        p->error->file = strdup(p->file);
        p->error->line = line;
        p->error->message = m;
        return -EINVAL;
}

static const char *value_type_name(ValueType t) {
        switch (t) {
        case VT_BOOL:
                return "a boolean (true or false)";
        case VT_INT:
                return "an integer";
        case VT_STRING:
                return "a string";
        case VT_GROUP:
                return "a group { ... }";
        case VT_SEQUENCE:
                return "a list [ ... ]";
        }
        return "?";
}

static bool setting_is(const config_setting_t *s, ValueType t) {
        int ct = config_setting_type(s);

        switch (t) {
        case VT_BOOL:
                return ct == CONFIG_TYPE_BOOL;
        case VT_INT:
                return ct == CONFIG_TYPE_INT || ct == CONFIG_TYPE_INT64;
        case VT_STRING:
                return ct == CONFIG_TYPE_STRING;
        case VT_GROUP:
                return ct == CONFIG_TYPE_GROUP;
        case VT_SEQUENCE:
                return ct == CONFIG_TYPE_ARRAY || ct == CONFIG_TYPE_LIST;
        }
        return false;
}

/* Rejects members of group not named in keys; path names the group in messages. */
int check_keys(Parser *p, const config_setting_t *group, const char *path, const char *const *keys) {
        int n = config_setting_length(group);

        for (int i = 0; i < n; i++) {
                const config_setting_t *s = config_setting_get_elem(group, (unsigned) i);
                const char *name = config_setting_name(s);
                bool known = false;

                for (size_t k = 0; keys[k]; k++)
                        if (name && streq(keys[k], name))
                                known = true;
                if (!known)
                        return fail(p, s, "%s%s%s: unknown key", path, *path ? "." : "", strna(name));
        }
        return 0;
}

/* Finds key in group with the expected type; 0 and *ret = NULL when absent. */
int lookup(Parser *p, const config_setting_t *group, const char *path, const char *key, ValueType t,
           config_setting_t **ret) {
        config_setting_t *s = group ? config_setting_get_member(group, key) : NULL;

        *ret = NULL;
        if (!s)
                return 0;
        if (!setting_is(s, t))
                return fail(p, s, "%s%s%s: must be %s", path, *path ? "." : "", key, value_type_name(t));
        *ret = s;
        return 1;
}

int get_bool(Parser *p, const config_setting_t *group, const char *path, const char *key, int *v) {
        config_setting_t *s;
        int r = lookup(p, group, path, key, VT_BOOL, &s);

        if (r > 0)
                *v = !!config_setting_get_bool(s);
        return r;
}

int get_uint(Parser *p, const config_setting_t *group, const char *path, const char *key, long long min, long long max,
             unsigned *v, unsigned *ret_line) {
        config_setting_t *s;
        IntLiteral *lit;
        long long x;
        int r = lookup(p, group, path, key, VT_INT, &s);

        if (r <= 0)
                return r;
        /* libconfig's own value may have wrapped (policy-scan.h): the literal as written decides */
        lit = p->ints ? int_literals_take(p->ints, key, (unsigned) config_setting_source_line(s)) : NULL;
        x = lit && lit->fits ? lit->value : config_setting_get_int64(s);
        if (lit && (!lit->fits || x < min || x > max))
                return fail(p, s, "%s%s%s: %.*s is out of range (%lld-%lld)", path, *path ? "." : "", key,
                            (int) lit->len, lit->text, min, max);
        if (x < min || x > max)
                return fail(p, s, "%s%s%s: %lld is out of range (%lld-%lld)", path, *path ? "." : "", key, x, min,
                            max);
        *v = (unsigned) x;
        if (ret_line)
                *ret_line = (unsigned) config_setting_source_line(s);
        return 1;
}

int get_string(Parser *p, const config_setting_t *group, const char *path, const char *key, char **v,
               unsigned *ret_line) {
        config_setting_t *s;
        char *c;
        int r = lookup(p, group, path, key, VT_STRING, &s);

        if (r <= 0)
                return r;
        c = strdup(config_setting_get_string(s));
        if (!c)
                return -ENOMEM;
        free(*v);
        *v = c;
        if (ret_line)
                *ret_line = (unsigned) config_setting_source_line(s);
        return 1;
}

int get_enum(Parser *p, const config_setting_t *group, const char *path, const char *key, const char *const *table,
             int n, int *v) {
        config_setting_t *s;
        int r = lookup(p, group, path, key, VT_STRING, &s), x;

        if (r <= 0)
                return r;
        x = table_lookup(table, n, config_setting_get_string(s));
        if (x < 0) {
                _cleanup_free_ char *words = NULL;
                size_t len = 0;
                FILE *f = open_memstream(&words, &len);

                if (!f)
                        return -ENOMEM;
                for (int i = 0; i < n; i++)
                        fprintf(f, "%s\"%s\"", i == 0 ? "" : i == n - 1 ? " or " : ", ", table[i]);
                if (fclose(f) != 0)
                        return -ENOMEM;
                return fail(p, s, "%s.%s: unknown value \"%s\", expected %s", path, key, config_setting_get_string(s),
                            words);
        }
        *v = x;
        return 1;
}

int get_strings(Parser *p, const config_setting_t *group, const char *path, const char *key, StringFunc each,
                void *userdata) {
        _cleanup_free_ char *full = NULL;
        config_setting_t *s;
        int r = lookup(p, group, path, key, VT_SEQUENCE, &s), n;

        if (r <= 0)
                return r;
        if (asprintf(&full, "%s.%s", path, key) < 0)
                return -ENOMEM;
        n = config_setting_length(s);
        for (int i = 0; i < n; i++) {
                config_setting_t *e = config_setting_get_elem(s, (unsigned) i);

                if (config_setting_type(e) != CONFIG_TYPE_STRING)
                        return fail(p, e, "%s[%d]: must be a string", full, i);
                r = each(p, e, full, (size_t) i, config_setting_get_string(e), userdata);
                if (r < 0)
                        return r;
        }
        return 1;
}

/* libconfig gives an array element the line of the token after it, which for the last element
 * of a multi-line array is the line of the closing bracket. Walk back from there to the line that
 * holds the element's string literal. */
unsigned string_elem_line(const Parser *p, const config_setting_t *e) {
        _cleanup_free_ char *needle = NULL;
        const char *value = config_setting_get_string(e);
        unsigned reported = (unsigned) config_setting_source_line(e), n = 0;
        const char *lines[4096];
        size_t len = 0;
        char *q;

        if (reported == 0)
                reported = (unsigned) config_setting_source_line(config_setting_parent(e));
        if (!p->text || !value || reported == 0)
                return reported;
        needle = malloc(strlen(value) * 2 + 3);
        if (!needle)
                return reported;
        q = needle;
        *q++ = '"';
        for (const char *c = value; *c; c++) {
                if (*c == '"' || *c == '\\')
                        *q++ = '\\';
                *q++ = *c;
        }
        *q++ = '"';
        *q = 0;
        len = strlen(needle);

        for (const char *l = p->text; l && n < ELEMENTSOF(lines) && n < reported;
             l = strchr(l, '\n'), l = l ? l + 1 : NULL)
                lines[n++] = l;
        for (unsigned i = n; i > 0; i--) {
                const char *start = lines[i - 1], *end = strchr(start, '\n');
                size_t ll = end ? (size_t) (end - start) : strlen(start);

                if (memmem(start, ll, needle, len))
                        return i;
        }
        return reported;
}
