/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "finding.h"
#include "test-main.h"

static void add(FindingList *l, const char *check, const char *subject, const char *actual) {
        ck_assert_int_eq(finding_add(l, &(Finding){ .module = "ssh",
                                                    .check = (char *) check,
                                                    .subject = (char *) subject,
                                                    .kind = FINDING_DRIFT,
                                                    .severity = SEVERITY_HIGH,
                                                    .fixable = true,
                                                    .expected = "no",
                                                    .actual = (char *) actual }),
                         0);
}

typedef struct Seen {
        char added[256];
        char resolved[256];
} Seen;

static void on_added(const Finding *f, void *userdata) {
        Seen *s = userdata;

        strcat(s->added, f->subject);
        strcat(s->added, ";");
}

static void on_resolved(const Finding *f, void *userdata) {
        Seen *s = userdata;

        strcat(s->resolved, f->subject);
        strcat(s->resolved, ";");
}

START_TEST(test_diff) {
        FindingList a = {}, b = {};
        Seen seen = {};

        add(&a, "effective", "passwordauthentication", "yes");
        add(&a, "effective", "permitrootlogin", "yes");
        add(&a, "dropin", "00-hardend.conf", "missing");
        add(&b, "effective", "passwordauthentication", "yes");        /* persists: silent */
        add(&b, "effective", "permitrootlogin", "prohibit-password"); /* changed state: said again */
        add(&b, "effective", "x11forwarding", "yes");                 /* new */
        finding_list_diff(&a, &b, on_added, on_resolved, &seen);
        ck_assert_str_eq(seen.added, "permitrootlogin;x11forwarding;");
        ck_assert_str_eq(seen.resolved, "00-hardend.conf;");

        memset(&seen, 0, sizeof(seen));
        finding_list_diff(&b, &b, on_added, on_resolved, &seen);
        ck_assert_str_eq(seen.added, "");
        ck_assert_str_eq(seen.resolved, "");
        finding_list_done(&a);
        finding_list_done(&b);
}
END_TEST

START_TEST(test_counts_and_format) {
        FindingList l = {}, c = {};
        char *s = NULL;

        add(&l, "effective", "passwordauthentication", "yes");
        ck_assert_int_eq(finding_add(&l, &(Finding){ .module = "services",
                                                     .check = "unit",
                                                     .subject = "cups.service",
                                                     .kind = FINDING_UNKNOWN,
                                                     .actual = "no system bus" }),
                         0);
        ck_assert_int_eq(finding_add(&l, &(Finding){ .module = "services",
                                                     .check = "listener",
                                                     .subject = "tcp 0.0.0.0:3306",
                                                     .kind = FINDING_DRIFT,
                                                     .actual = "mysqld[812]" }),
                         0);
        ck_assert_int_eq(finding_add(&l, &(Finding){ .module = NULL, .check = "x" }), -EINVAL);
        ck_assert_uint_eq(finding_list_count(&l, NULL, FINDING_DRIFT), 2);
        ck_assert_uint_eq(finding_list_count(&l, "services", FINDING_UNKNOWN), 1);
        ck_assert_uint_eq(finding_list_count_fixable(&l, NULL), 1);
        ck_assert_int_eq(finding_format(&l.items[0], &s), 0);
        ck_assert_str_eq(s, "ssh/effective passwordauthentication: expected no, actual yes");
        free(s);
        ck_assert_int_eq(finding_format(&l.items[1], &s), 0);
        ck_assert_str_eq(s, "services/unit cups.service: unknown (no system bus)");
        free(s);
        ck_assert_int_eq(finding_format(&l.items[2], &s), 0);
        ck_assert_str_eq(s, "services/listener tcp 0.0.0.0:3306: mysqld[812]");
        free(s);
        ck_assert_int_eq(finding_list_copy(&l, &c), 0);
        ck_assert_uint_eq(c.n, 3);
        ck_assert(finding_same_state(&c.items[0], &l.items[0]));
        ck_assert_str_eq(finding_kind_to_string(FINDING_UNKNOWN), "unknown");
        ck_assert_int_eq(severity_from_string("high"), SEVERITY_HIGH);
        ck_assert_int_eq(severity_from_string("bogus"), _SEVERITY_INVALID);
        finding_list_done(&l);
        finding_list_done(&c);
}
END_TEST

/* finding_addf: every field as given, the subject formatted; NULL module or check refused. */
START_TEST(test_addf) {
        FindingList l = {};
        const Finding *f;

        ck_assert_int_eq(finding_addf(&l, "firewall", "chain", FINDING_DRIFT, SEVERITY_HIGH, true, "present",
                                      "missing", "%s %s rule %zu", "ipv4", "HARDEND-INPUT", (size_t) 3),
                         0);
        ck_assert_int_eq(finding_addf(&l, "services", "unit-state", FINDING_UNKNOWN, SEVERITY_LOW, false, NULL, NULL,
                                      "%s", "cups.service"),
                         0);
        ck_assert_int_eq(finding_addf(&l, NULL, "x", FINDING_DRIFT, SEVERITY_LOW, false, NULL, NULL, "y"), -EINVAL);
        ck_assert_uint_eq(l.n, 2);
        f = &l.items[0];
        ck_assert_str_eq(f->module, "firewall");
        ck_assert_str_eq(f->check, "chain");
        ck_assert_str_eq(f->subject, "ipv4 HARDEND-INPUT rule 3");
        ck_assert_int_eq(f->kind, FINDING_DRIFT);
        ck_assert_int_eq(f->severity, SEVERITY_HIGH);
        ck_assert(f->fixable);
        ck_assert_str_eq(f->expected, "present");
        ck_assert_str_eq(f->actual, "missing");
        f = &l.items[1];
        ck_assert_str_eq(f->subject, "cups.service");
        ck_assert_int_eq(f->kind, FINDING_UNKNOWN);
        ck_assert(!f->fixable);
        ck_assert_ptr_null(f->expected);
        ck_assert_ptr_null(f->actual);
        finding_list_done(&l);
}
END_TEST

TEST_MAIN("finding", tcase_add_test(tc, test_diff); tcase_add_test(tc, test_counts_and_format);
          tcase_add_test(tc, test_addf))
