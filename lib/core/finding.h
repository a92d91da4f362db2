/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

typedef enum FindingKind {
        FINDING_DRIFT,   /* actual state differs from the policy */
        FINDING_UNKNOWN, /* the state could not be read; the reason is in .actual */
        FINDING_INFO,    /* worth saying, not a deviation (e.g. nftables rules beside ours) */
        _FINDING_KIND_MAX,
        _FINDING_KIND_INVALID = -EINVAL,
} FindingKind;

typedef enum Severity {
        SEVERITY_INFO,
        SEVERITY_LOW,
        SEVERITY_MEDIUM,
        SEVERITY_HIGH,
        _SEVERITY_MAX,
        _SEVERITY_INVALID = -EINVAL,
} Severity;

typedef struct Finding {
        char *module;  /* policy section: "firewall", "ssh", "admin", "services" */
        char *check;   /* stable check id within the module, e.g. "chain-policy" */
        char *subject; /* what the check is about, e.g. "ipv4 INPUT" */
        FindingKind kind;
        Severity severity;
        bool fixable;   /* apply changes this */
        char *expected; /* may be NULL */
        char *actual;   /* may be NULL */
} Finding;

typedef struct FindingList {
        Finding *items;
        size_t n;
        size_t allocated;
} FindingList;

const char *finding_kind_to_string(FindingKind k);
FindingKind finding_kind_from_string(const char *s);
const char *severity_to_string(Severity s);
Severity severity_from_string(const char *s);

/* Appends a deep copy of *f; use with a compound literal:
 *   finding_add(out, &(Finding) { .module = "ssh", .check = "effective", ... }); */
int finding_add(FindingList *l, const Finding *f);
/* The same, field by field, with a printf-style subject:
 *   finding_addf(out, "firewall", "chain", FINDING_DRIFT, SEVERITY_HIGH, true, "present", "missing", "%s INPUT", fam);
 */
int finding_addf(FindingList *l, const char *module, const char *check, FindingKind kind, Severity severity,
                 bool fixable, const char *expected, const char *actual, const char *subject_fmt, ...) _printf_(9, 10);
void finding_list_done(FindingList *l);
int finding_list_copy(const FindingList *from, FindingList *to);
/* Appends every finding of src whose module is module (NULL: all). */
int finding_list_append(FindingList *dst, const FindingList *src, const char *module);

/* Identity for diffing successive probes: module, check and subject; expected/actual are what it says. */
bool finding_same(const Finding *a, const Finding *b);
bool finding_same_state(const Finding *a, const Finding *b);
const Finding *finding_list_find(const FindingList *l, const Finding *f);

size_t finding_list_count(const FindingList *l, const char *module, FindingKind kind);
size_t finding_list_count_fixable(const FindingList *l, const char *module);

/* "ssh/effective passwordauthentication: expected no, actual yes" */
int finding_format(const Finding *f, char **ret);

/* Calls added() for findings in new that were not in old (or whose actual state changed) and
 * resolved() for those in old that are gone from new. */
typedef void (*FindingDiffFunc)(const Finding *f, void *userdata);
void finding_list_diff(const FindingList *old, const FindingList *new, FindingDiffFunc added, FindingDiffFunc resolved,
                       void *userdata);
