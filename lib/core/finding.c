/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "finding.h"

static const char *const finding_kind_table[_FINDING_KIND_MAX] = {
        [FINDING_DRIFT] = "drift",
        [FINDING_UNKNOWN] = "unknown",
        [FINDING_INFO] = "info",
};

static const char *const severity_table[_SEVERITY_MAX] = {
        [SEVERITY_INFO] = "info",
        [SEVERITY_LOW] = "low",
        [SEVERITY_MEDIUM] = "medium",
        [SEVERITY_HIGH] = "high",
};

DEFINE_STRING_TABLE_LOOKUP(finding_kind, FindingKind);
DEFINE_STRING_TABLE_LOOKUP(severity, Severity);

static void finding_done(Finding *f) {
        free(f->module);
        free(f->check);
        free(f->subject);
        free(f->expected);
        free(f->actual);
        *f = (Finding){};
}

static int strdup_null(const char *s, char **ret) {
        if (!s) {
                *ret = NULL;
                return 0;
        }
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

int finding_add(FindingList *l, const Finding *f) {
        Finding c = { .kind = f->kind, .severity = f->severity, .fixable = f->fixable };

        if (!f->module || !f->check)
                return -EINVAL;
        if (ARRAY_GROW(l->items, &l->allocated, l->n + 1) < 0)
                return -ENOMEM;
        if (strdup_null(f->module, &c.module) < 0 || strdup_null(f->check, &c.check) < 0 ||
            strdup_null(f->subject ?: "", &c.subject) < 0 || strdup_null(f->expected, &c.expected) < 0 ||
            strdup_null(f->actual, &c.actual) < 0) {
                finding_done(&c);
                return -ENOMEM;
        }
        l->items[l->n++] = c;
        return 0;
}

int finding_addf(FindingList *l, const char *module, const char *check, FindingKind kind, Severity severity,
                 bool fixable, const char *expected, const char *actual, const char *subject_fmt, ...) {
        _cleanup_free_ char *subject = NULL;
        va_list ap;
        int r;

        va_start(ap, subject_fmt);
        r = vasprintf(&subject, subject_fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        return finding_add(l, &(Finding){ .module = (char *) module,
                                          .check = (char *) check,
                                          .subject = subject,
                                          .kind = kind,
                                          .severity = severity,
                                          .fixable = fixable,
                                          .expected = (char *) expected,
                                          .actual = (char *) actual });
}

void finding_list_done(FindingList *l) {
        for (size_t i = 0; i < l->n; i++)
                finding_done(&l->items[i]);
        free(l->items);
        *l = (FindingList){};
}

int finding_list_append(FindingList *dst, const FindingList *src, const char *module) {
        for (size_t i = 0; i < src->n; i++) {
                int r;

                if (module && !streq(src->items[i].module, module))
                        continue;
                r = finding_add(dst, &src->items[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

int finding_list_copy(const FindingList *from, FindingList *to) {
        FindingList c = {};
        int r;

        r = finding_list_append(&c, from, NULL);
        if (r < 0) {
                finding_list_done(&c);
                return r;
        }
        *to = c;
        return 0;
}

bool finding_same(const Finding *a, const Finding *b) {
        return streq(a->module, b->module) && streq(a->check, b->check) && streq(a->subject, b->subject);
}

bool finding_same_state(const Finding *a, const Finding *b) {
        return finding_same(a, b) && a->kind == b->kind && streq_ptr(a->expected, b->expected) &&
               streq_ptr(a->actual, b->actual);
}

const Finding *finding_list_find(const FindingList *l, const Finding *f) {
        for (size_t i = 0; i < l->n; i++)
                if (finding_same(&l->items[i], f))
                        return &l->items[i];
        return NULL;
}

size_t finding_list_count(const FindingList *l, const char *module, FindingKind kind) {
        size_t n = 0;

        for (size_t i = 0; i < l->n; i++)
                if ((!module || streq(l->items[i].module, module)) && l->items[i].kind == kind)
                        n++;
        return n;
}

size_t finding_list_count_fixable(const FindingList *l, const char *module) {
        size_t n = 0;

        for (size_t i = 0; i < l->n; i++)
                if ((!module || streq(l->items[i].module, module)) && l->items[i].fixable &&
                    l->items[i].kind == FINDING_DRIFT)
                        n++;
        return n;
}

int finding_format(const Finding *f, char **ret) {
        int r;

        if (f->kind == FINDING_UNKNOWN)
                r = asprintf(ret, "%s/%s %s: unknown (%s)", f->module, f->check, f->subject, strna(f->actual));
        else if (f->expected && f->actual)
                r = asprintf(ret, "%s/%s %s: expected %s, actual %s", f->module, f->check, f->subject, f->expected,
                             f->actual);
        else if (f->expected)
                r = asprintf(ret, "%s/%s %s: missing, expected %s", f->module, f->check, f->subject, f->expected);
        else if (f->actual)
                r = asprintf(ret, "%s/%s %s: %s", f->module, f->check, f->subject, f->actual);
        else
                r = asprintf(ret, "%s/%s %s", f->module, f->check, f->subject);
        return r < 0 ? -ENOMEM : 0;
}

void finding_list_diff(const FindingList *old, const FindingList *new, FindingDiffFunc added, FindingDiffFunc resolved,
                       void *userdata) {
        for (size_t i = 0; i < new->n; i++) {
                const Finding *o = finding_list_find(old, &new->items[i]);

                if ((!o || !finding_same_state(o, &new->items[i])) && added)
                        added(&new->items[i], userdata);
        }
        for (size_t i = 0; i < old->n; i++)
                if (!finding_list_find(new, &old->items[i]) && resolved)
                        resolved(&old->items[i], userdata);
}
