/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The engine with test modules: probe, preflight refusal, apply order, verification. */
#include <check.h>

#include "test-main.h"
#include <stdlib.h>

#include "engine.h"
#include "strv.h"

/* A fake subsystem per test module: "actual" is what probe reads, apply sets it to "want". */
typedef struct FakeState {
        int actual[_MODULE_MAX];
        int want[_MODULE_MAX];
        int apply_calls[_MODULE_MAX];
        int preflight_result[_MODULE_MAX];
        bool apply_breaks[_MODULE_MAX]; /* apply claims success but changes nothing */
        int apply_order[8];
        int n_applied;
        int ready_calls;
        int applied_at_ready;    /* n_applied when Context.ready was called */
        int unverified_at_ready; /* modules still differing from want then */
        int probes[_MODULE_MAX];
        int ready_at_first_probe[_MODULE_MAX]; /* ready_calls when the module was first probed */
} FakeState;

static FakeState fake;

static bool fake_enabled(const Policy *p) {
        return true;
}

static int fake_probe_id(ModuleId id, FindingList *out) {
        char e[16], a[16];

        if (fake.probes[id]++ == 0)
                fake.ready_at_first_probe[id] = fake.ready_calls;
        if (fake.actual[id] == fake.want[id])
                return 0;
        snprintf(e, sizeof(e), "%d", fake.want[id]);
        snprintf(a, sizeof(a), "%d", fake.actual[id]);
        return finding_add(out, &(Finding){ .module = (char *) module_id_to_string(id),
                                            .check = "value",
                                            .subject = "x",
                                            .kind = FINDING_DRIFT,
                                            .severity = SEVERITY_HIGH,
                                            .fixable = true,
                                            .expected = e,
                                            .actual = a });
}

static int fake_apply_id(ModuleId id, Outcome *o) {
        fake.apply_calls[id]++;
        fake.apply_order[fake.n_applied++] = id;
        if (!fake.apply_breaks[id])
                fake.actual[id] = fake.want[id];
        return outcome_change(o, "set x to %d", fake.want[id]);
}

#define FAKE_MODULE(ID, lower, late)                                                          \
        static int lower##_probe(Context *c, FindingList *out) {                              \
                return fake_probe_id(ID, out);                                                \
        }                                                                                     \
        static int lower##_preflight(Context *c, const FindingList *all, Outcome *o) {        \
                if (fake.preflight_result[ID] < 0)                                            \
                        return outcome_fail(o, fake.preflight_result[ID], "refused by test"); \
                return 0;                                                                     \
        }                                                                                     \
        static int lower##_apply(Context *c, const FindingList *mine, Outcome *o) {           \
                ck_assert_uint_gt(mine->n, 0);                                                \
                return fake_apply_id(ID, o);                                                  \
        }                                                                                     \
        static const Module lower##_module = { .id = ID,                                      \
                                               .name = #lower,                                \
                                               .enabled = fake_enabled,                       \
                                               .probe = lower##_probe,                        \
                                               .preflight = lower##_preflight,                \
                                               .apply = lower##_apply,                        \
                                               .after_ready = late };

FAKE_MODULE(MODULE_FIREWALL, firewall, false)
FAKE_MODULE(MODULE_SSH, ssh, false)
FAKE_MODULE(MODULE_ADMIN, admin, false)
FAKE_MODULE(MODULE_SERVICES, services, true)

static const Module *const mods[] = { &firewall_module, &ssh_module, &admin_module };

/* A late module without a preflight, as the services module is. */
static int late_probe(Context *c, FindingList *out) {
        return fake_probe_id(MODULE_SERVICES, out);
}
static const Module late_module = { .id = MODULE_SERVICES,
                                    .name = "services",
                                    .enabled = fake_enabled,
                                    .probe = late_probe,
                                    .apply = services_apply,
                                    .after_ready = true };

static void setup(void) {
        fake = (FakeState){};
}

static void fake_ready(Context *c) {
        fake.ready_calls++;
        fake.applied_at_ready = fake.n_applied;
        for (ModuleId id = 0; id < _MODULE_MAX; id++)
                if (id != MODULE_SERVICES && fake.actual[id] != fake.want[id])
                        fake.unverified_at_ready++;
}

/* An after_ready module listed first is applied last, after Context.ready, which comes once the
 * others are applied and verified. */
START_TEST(test_ready_before_after_ready_modules) {
        static const Module *const late_first[] = { &services_module, &firewall_module, &ssh_module };
        Context c = { .root = "/", .ready = fake_ready };
        ApplyResult a = {};

        fake.want[MODULE_SERVICES] = 1;
        fake.want[MODULE_FIREWALL] = 1;
        fake.want[MODULE_SSH] = 1;
        ck_assert_int_eq(engine_apply(&c, late_first, 3, &a), 0);
        ck_assert_int_eq(a.status, EXIT_COMPLIANT);
        ck_assert_int_eq(fake.ready_calls, 1);
        ck_assert_int_eq(fake.applied_at_ready, 2);
        ck_assert_int_eq(fake.unverified_at_ready, 0);
        ck_assert_int_eq(fake.n_applied, 3);
        ck_assert_int_eq(fake.apply_order[0], MODULE_FIREWALL);
        ck_assert_int_eq(fake.apply_order[1], MODULE_SSH);
        ck_assert_int_eq(fake.apply_order[2], MODULE_SERVICES);
        ck_assert_uint_eq(a.after.n, 0);
        apply_result_done(&a);
}
END_TEST

/* Nothing to do: ready all the same; an early module that did not converge: never ready (the
 * unit's start ends with the failed exit), and the late one still runs. */
START_TEST(test_ready_only_when_early_modules_hold) {
        static const Module *const all[] = { &firewall_module, &ssh_module, &services_module };
        Context c = { .root = "/", .ready = fake_ready };
        ApplyResult a = {};

        ck_assert_int_eq(engine_apply(&c, all, 3, &a), 0);
        ck_assert_int_eq(fake.ready_calls, 1);
        ck_assert_int_eq(fake.applied_at_ready, 0);
        apply_result_done(&a);

        fake = (FakeState){};
        fake.want[MODULE_SSH] = 1;
        fake.want[MODULE_SERVICES] = 1;
        fake.apply_breaks[MODULE_SSH] = true;
        a = (ApplyResult){};
        ck_assert_int_eq(engine_apply(&c, all, 3, &a), 0);
        ck_assert_int_eq(a.status, EXIT_FAILED);
        ck_assert_int_eq(fake.ready_calls, 0);
        ck_assert_int_eq(fake.apply_calls[MODULE_SERVICES], 1);
        apply_result_done(&a);
}
END_TEST

START_TEST(test_compliant) {
        Context c = { .root = "/" };
        ApplyResult a = {};

        ck_assert_int_eq(engine_apply(&c, mods, 3, &a), 0);
        ck_assert_int_eq(a.status, EXIT_COMPLIANT);
        ck_assert(!a.changed);
        ck_assert_int_eq(fake.apply_calls[MODULE_SSH], 0);
        apply_result_done(&a);
}
END_TEST

START_TEST(test_apply_in_order_and_only_drifted) {
        Context c = { .root = "/" };
        ApplyResult a = {};

        fake.want[MODULE_FIREWALL] = 1;
        fake.want[MODULE_ADMIN] = 2;
        ck_assert_int_eq(engine_apply(&c, mods, 3, &a), 0);
        ck_assert_int_eq(a.status, EXIT_COMPLIANT);
        ck_assert(a.changed);
        ck_assert_int_eq(fake.n_applied, 2);
        ck_assert_int_eq(fake.apply_order[0], MODULE_FIREWALL);
        ck_assert_int_eq(fake.apply_order[1], MODULE_ADMIN);
        ck_assert_int_eq(fake.apply_calls[MODULE_SSH], 0);
        ck_assert_uint_eq(a.before.n, 2);
        ck_assert_uint_eq(a.after.n, 0);
        apply_result_done(&a);
}
END_TEST

START_TEST(test_refusal_changes_nothing) {
        Context c = { .root = "/" };
        ApplyResult a = {};

        fake.want[MODULE_FIREWALL] = 1;
        fake.want[MODULE_SSH] = 1;
        fake.preflight_result[MODULE_SSH] = -EPERM;
        ck_assert_int_eq(engine_apply(&c, mods, 3, &a), 0);
        ck_assert_int_eq(a.status, EXIT_REFUSED);
        ck_assert(a.refused);
        ck_assert_int_eq(fake.n_applied, 0); /* the firewall, first in order, was not applied either */
        ck_assert_str_eq(a.modules[1].outcome.error, "refused by test");
        apply_result_done(&a);
}
END_TEST

START_TEST(test_preflight_failure_is_exit_4) {
        Context c = { .root = "/" };
        ApplyResult a = {};

        fake.want[MODULE_ADMIN] = 1;
        fake.preflight_result[MODULE_ADMIN] = -ENOENT;
        ck_assert_int_eq(engine_apply(&c, mods, 3, &a), 0);
        ck_assert_int_eq(a.status, EXIT_FAILED);
        ck_assert_int_eq(fake.n_applied, 0);
        apply_result_done(&a);
}
END_TEST

START_TEST(test_unconverged_apply_fails) {
        Context c = { .root = "/" };
        ApplyResult a = {};

        fake.want[MODULE_SSH] = 5;
        fake.apply_breaks[MODULE_SSH] = true;
        ck_assert_int_eq(engine_apply(&c, mods, 3, &a), 0);
        ck_assert_int_eq(a.status, EXIT_FAILED);
        ck_assert_int_lt(a.modules[1].r, 0);
        ck_assert_uint_eq(a.after.n, 1);
        apply_result_done(&a);
}
END_TEST

START_TEST(test_only_limits_probe_and_apply) {
        Context c = { .root = "/", .only = 1u << MODULE_SSH };
        FindingList l = {};
        ApplyResult a = {};

        fake.want[MODULE_FIREWALL] = 1;
        fake.want[MODULE_SSH] = 1;
        ck_assert_int_eq(engine_probe(&c, mods, 3, &l), 0);
        ck_assert_uint_eq(l.n, 1);
        ck_assert_str_eq(l.items[0].module, "ssh");
        ck_assert_int_eq(engine_module_state(&c, &firewall_module, &l), MODULE_STATE_SKIPPED);
        ck_assert_int_eq(engine_module_state(&c, &ssh_module, &l), MODULE_STATE_DRIFTED);
        ck_assert_int_eq(engine_check_status(&l), EXIT_DRIFT);
        finding_list_done(&l);

        ck_assert_int_eq(engine_apply(&c, mods, 3, &a), 0);
        ck_assert_int_eq(fake.apply_calls[MODULE_FIREWALL], 0);
        ck_assert_int_eq(fake.apply_calls[MODULE_SSH], 1);
        apply_result_done(&a);
}
END_TEST

START_TEST(test_module_mask) {
        unsigned m = 0;
        char *bad = NULL;

        ck_assert_int_eq(module_mask_from_string("firewall,services", &m, &bad), 0);
        ck_assert_uint_eq(m, (1u << MODULE_FIREWALL) | (1u << MODULE_SERVICES));
        ck_assert_int_eq(module_mask_from_string("firewall,sshd", &m, &bad), -EINVAL);
        ck_assert_str_eq(bad, "sshd");
        free(bad);
        bad = NULL;
        ck_assert_int_eq(module_mask_from_string(",", &m, &bad), -EINVAL);
        free(bad);
}
END_TEST

/* A late module that cannot refuse is probed only after Context.ready, then applied; one with a
 * preflight is probed with the others, before anything changes. A refusal still probes the late
 * module, for the report, and applies nothing. */
START_TEST(test_late_probe_after_ready) {
        static const Module *const with_late[] = { &late_module, &firewall_module, &ssh_module };
        static const Module *const with_services[] = { &services_module, &firewall_module, &ssh_module };
        Context c = { .root = "/", .ready = fake_ready };
        ApplyResult a = {};

        fake.want[MODULE_SERVICES] = 1;
        fake.want[MODULE_SSH] = 1;
        ck_assert_int_eq(engine_apply(&c, with_late, 3, &a), 0);
        ck_assert_int_eq(a.status, EXIT_COMPLIANT);
        ck_assert_int_eq(fake.ready_calls, 1);
        ck_assert_int_eq(fake.ready_at_first_probe[MODULE_SSH], 0);
        ck_assert_int_eq(fake.ready_at_first_probe[MODULE_SERVICES], 1);
        ck_assert_int_eq(fake.apply_calls[MODULE_SERVICES], 1);
        ck_assert(a.modules[0].ran);
        ck_assert_uint_eq(finding_list_count(&a.before, "services", FINDING_DRIFT), 1);
        ck_assert_uint_eq(a.after.n, 0);
        apply_result_done(&a);

        fake = (FakeState){};
        fake.want[MODULE_SERVICES] = 1;
        fake.want[MODULE_SSH] = 1;
        a = (ApplyResult){};
        ck_assert_int_eq(engine_apply(&c, with_services, 3, &a), 0);
        ck_assert_int_eq(fake.ready_at_first_probe[MODULE_SERVICES], 0);
        ck_assert_int_eq(fake.n_applied, 2);
        ck_assert_int_eq(fake.apply_order[1], MODULE_SERVICES);
        apply_result_done(&a);

        fake = (FakeState){};
        fake.want[MODULE_SERVICES] = 1;
        fake.want[MODULE_SSH] = 1;
        fake.preflight_result[MODULE_SSH] = -EPERM;
        a = (ApplyResult){};
        ck_assert_int_eq(engine_apply(&c, with_late, 3, &a), 0);
        ck_assert(a.refused);
        ck_assert_int_eq(a.status, EXIT_REFUSED);
        ck_assert_int_eq(fake.ready_calls, 0);
        ck_assert_int_eq(fake.n_applied, 0);
        ck_assert_int_eq(fake.probes[MODULE_SERVICES], 1);
        ck_assert_uint_eq(finding_list_count(&a.before, "services", FINDING_DRIFT), 1);
        apply_result_done(&a);
}
END_TEST

int main(void) {
        Suite *s = suite_create("engine");
        TCase *tc = tcase_create("core");

        tcase_add_checked_fixture(tc, setup, NULL);
        tcase_add_test(tc, test_compliant);
        tcase_add_test(tc, test_apply_in_order_and_only_drifted);
        tcase_add_test(tc, test_refusal_changes_nothing);
        tcase_add_test(tc, test_preflight_failure_is_exit_4);
        tcase_add_test(tc, test_unconverged_apply_fails);
        tcase_add_test(tc, test_only_limits_probe_and_apply);
        tcase_add_test(tc, test_module_mask);
        tcase_add_test(tc, test_ready_before_after_ready_modules);
        tcase_add_test(tc, test_ready_only_when_early_modules_hold);
        tcase_add_test(tc, test_late_probe_after_ready);
        suite_add_tcase(s, tc);
        return test_run_suite(s);
}
