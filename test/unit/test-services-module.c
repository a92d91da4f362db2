/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The services module's probe, apply and snapshot_state against an in-memory systemd
 * (fake-units.h) in the Context: nothing talks to the bus. The Context is not live (its root is
 * an empty temporary tree), so the module does not read the listening sockets either: it reports
 * them as not probed, and the tests do not depend on the host's sockets. */
#include <check.h>

#include "test-main.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"
#include "fake-units.h"
#include "finding.h"
#include "rollback.h"
#include "services.h"
#include "strv.h"

#define SERVICES_POLICY "version = 1;\nservices = { %s };\n"

static char fixture[] = "/tmp/test-services-module.XXXXXX";

static void fixture_setup(void) {
        ck_assert_ptr_nonnull(mkdtemp(fixture));
}

static void fixture_teardown(void) {
        (void) rmdir(fixture);
        memcpy(fixture + strlen(fixture) - 6, "XXXXXX", 6);
}

static const Finding *find(const FindingList *l, const char *check, const char *subject) {
        return test_find(l, "services", check, subject);
}

static void probe(Context *c, FindingList *out) {
        test_probe_one(c, &services_module, out);
}

static void apply(Context *c, ApplyResult *ret) {
        ck_assert_int_eq(test_apply_one(c, &services_module, ret), 0);
}

static void assert_drift(const FindingList *l, const char *check, const char *unit) {
        const Finding *f = find(l, check, unit);

        ck_assert_msg(f, "no %s finding for %s", check, unit);
        ck_assert_int_eq(f->kind, FINDING_DRIFT);
        ck_assert(f->fixable);
}

/* The listeners are not read: one INFO that says so. */
static void assert_listeners_not_probed(const FindingList *l) {
        const Finding *f = find(l, "listeners", "listeners");

        ck_assert_ptr_nonnull(f);
        ck_assert_int_eq(f->kind, FINDING_INFO);
        ck_assert_ptr_null(find(l, "listener", "tcp 0.0.0.0:22"));
}

static void assert_log(const FakeUnits *f, const char *const *want) {
        _cleanup_free_ char *got = NULL;

        ck_assert_int_ge(strv_join(f->log, "\n", &got), 0);
        ck_assert_msg(strv_length(f->log) == strv_length((char **) want), "log:\n%s", strna(got));
        for (size_t i = 0; want[i]; i++)
                ck_assert_str_eq(f->log[i], want[i]);
}

START_TEST(test_stray_units) {
        _cleanup_policy_free_ Policy *p =
                test_policy_loadf(SERVICES_POLICY, "disable = [ \"stray.service\", \"stray.socket\" ]; mask = true;");
        _cleanup_(fake_units_done) FakeUnits f = {};
        _cleanup_(context_done)
                Context c = { .policy = p, .root = fixture, .unit_ops = &f.ops, .unit_ops_userdata = &f };
        _cleanup_(finding_list_done) FindingList l = {};
        _cleanup_(apply_result_done) ApplyResult a = {};
        static const char *const want[] = {
                /* triggers first; unit files before the reload, stops last */
                "removed /etc/systemd/system/multi-user.target.wants/stray.socket",
                "created symlink /etc/systemd/system/stray.socket -> /dev/null",
                "removed /etc/systemd/system/multi-user.target.wants/stray.service",
                "created symlink /etc/systemd/system/stray.service -> /dev/null",
                "reloaded the fake manager",
                "stopped stray.socket",
                "stopped stray.service",
                NULL,
        };
        const FakeUnit *u;
        unsigned calls[_FAKE_UNIT_CALL_MAX];

        fake_units_init(&f);
        ck_assert_int_eq(fake_units_add(&f, "stray.service", true, true, false), 0);
        ck_assert_int_eq(fake_units_add(&f, "stray.socket", true, true, false), 0);

        probe(&c, &l);
        assert_drift(&l, "unit-active", "stray.service");
        assert_drift(&l, "unit-enabled", "stray.service");
        assert_drift(&l, "unit-masked", "stray.service");
        assert_drift(&l, "unit-active", "stray.socket");
        assert_drift(&l, "unit-enabled", "stray.socket");
        assert_drift(&l, "unit-masked", "stray.socket");
        assert_listeners_not_probed(&l);
        ck_assert_uint_eq(finding_list_count(&l, "services", FINDING_UNKNOWN), 0);
        ck_assert_uint_eq(f.n_calls[FAKE_UNIT_STOP] + f.n_calls[FAKE_UNIT_DISABLE] + f.n_calls[FAKE_UNIT_MASK], 0);

        apply(&c, &a);
        ck_assert_msg(a.status == EXIT_COMPLIANT, "status %d: %s", a.status, strna(a.modules[0].outcome.error));
        ck_assert(a.changed);
        ck_assert_int_ge(a.modules[0].r, 0);
        assert_log(&f, want);
        ck_assert_uint_eq(strv_length(a.modules[0].outcome.changes), strv_length(f.log));
        for (size_t i = 0; f.log[i]; i++)
                ck_assert_str_eq(a.modules[0].outcome.changes[i], f.log[i]);
        ck_assert_uint_eq(finding_list_count_fixable(&a.after, "services"), 0);
        ck_assert_ptr_nonnull(u = fake_units_get(&f, "stray.service"));
        ck_assert(!u->active && !u->enabled && u->masked);

        /* the next probe is compliant, the next apply changes nothing */
        probe(&c, &l);
        ck_assert_uint_eq(finding_list_count(&l, "services", FINDING_DRIFT), 0);
        ck_assert_uint_eq(finding_list_count(&l, "services", FINDING_UNKNOWN), 0);
        ck_assert_int_eq(engine_check_status(&l), EXIT_COMPLIANT);

        memcpy(calls, f.n_calls, sizeof(calls));
        apply(&c, &a);
        ck_assert_int_eq(a.status, EXIT_COMPLIANT);
        ck_assert(!a.changed);
        ck_assert(!a.modules[0].ran);
        assert_log(&f, want);
        ck_assert_uint_eq(f.n_calls[FAKE_UNIT_STOP], calls[FAKE_UNIT_STOP]);
        ck_assert_uint_eq(f.n_calls[FAKE_UNIT_DISABLE], calls[FAKE_UNIT_DISABLE]);
        ck_assert_uint_eq(f.n_calls[FAKE_UNIT_MASK], calls[FAKE_UNIT_MASK]);
        ck_assert_uint_eq(f.n_calls[FAKE_UNIT_RELOAD], calls[FAKE_UNIT_RELOAD]);
}
END_TEST

START_TEST(test_no_mask) {
        _cleanup_policy_free_ Policy *p =
                test_policy_loadf(SERVICES_POLICY, "disable = [ \"stray.service\" ]; mask = false;");
        _cleanup_(fake_units_done) FakeUnits f = {};
        _cleanup_(context_done)
                Context c = { .policy = p, .root = fixture, .unit_ops = &f.ops, .unit_ops_userdata = &f };
        _cleanup_(finding_list_done) FindingList l = {};
        _cleanup_(apply_result_done) ApplyResult a = {};
        static const char *const want[] = {
                "removed /etc/systemd/system/multi-user.target.wants/stray.service",
                "reloaded the fake manager",
                "stopped stray.service",
                NULL,
        };
        const FakeUnit *u;

        fake_units_init(&f);
        ck_assert_int_eq(fake_units_add(&f, "stray.service", true, true, false), 0);

        probe(&c, &l);
        assert_drift(&l, "unit-active", "stray.service");
        assert_drift(&l, "unit-enabled", "stray.service");
        ck_assert_ptr_null(find(&l, "unit-masked", "stray.service"));

        apply(&c, &a);
        ck_assert_msg(a.status == EXIT_COMPLIANT, "status %d: %s", a.status, strna(a.modules[0].outcome.error));
        assert_log(&f, want);
        ck_assert_uint_eq(f.n_calls[FAKE_UNIT_MASK], 0);
        ck_assert_ptr_nonnull(u = fake_units_get(&f, "stray.service"));
        ck_assert(!u->active && !u->enabled && !u->masked);

        probe(&c, &l);
        ck_assert_uint_eq(finding_list_count(&l, "services", FINDING_DRIFT), 0);
}
END_TEST

START_TEST(test_not_installed) {
        _cleanup_policy_free_ Policy *p =
                test_policy_loadf(SERVICES_POLICY, "disable = [ \"absent.service\" ]; mask = true;");
        _cleanup_(fake_units_done) FakeUnits f = {};
        _cleanup_(context_done)
                Context c = { .policy = p, .root = fixture, .unit_ops = &f.ops, .unit_ops_userdata = &f };
        _cleanup_(finding_list_done) FindingList l = {};
        _cleanup_(apply_result_done) ApplyResult a = {};
        const Finding *m;

        fake_units_init(&f);

        probe(&c, &l);
        ck_assert_ptr_nonnull(m = find(&l, "unit-missing", "absent.service"));
        ck_assert_int_eq(m->kind, FINDING_INFO);
        ck_assert(!m->fixable);
        ck_assert_str_eq(m->actual, "not installed; nothing to do");
        ck_assert_uint_eq(finding_list_count(&l, "services", FINDING_DRIFT), 0);
        ck_assert_uint_eq(finding_list_count(&l, "services", FINDING_UNKNOWN), 0);
        assert_listeners_not_probed(&l);

        apply(&c, &a);
        ck_assert_int_eq(a.status, EXIT_COMPLIANT);
        ck_assert(!a.changed);
        ck_assert(!a.modules[0].ran);
        ck_assert(strv_isempty(f.log));
        ck_assert_uint_eq(f.n_calls[FAKE_UNIT_STOP] + f.n_calls[FAKE_UNIT_DISABLE] + f.n_calls[FAKE_UNIT_MASK] +
                                  f.n_calls[FAKE_UNIT_RELOAD],
                          0);
}
END_TEST

START_TEST(test_stop_fails) {
        _cleanup_policy_free_ Policy *p =
                test_policy_loadf(SERVICES_POLICY, "disable = [ \"stray.service\" ]; mask = true;");
        _cleanup_(fake_units_done) FakeUnits f = {};
        _cleanup_(context_done)
                Context c = { .policy = p, .root = fixture, .unit_ops = &f.ops, .unit_ops_userdata = &f };
        _cleanup_(apply_result_done) ApplyResult a = {};
        const char *error;
        const FakeUnit *u;

        fake_units_init(&f);
        ck_assert_int_eq(fake_units_add(&f, "stray.service", true, true, false), 0);
        ck_assert_int_eq(fake_units_fail(&f, FAKE_UNIT_STOP, "stray.service", -EIO, "Job for stray.service canceled"),
                         0);

        apply(&c, &a);
        ck_assert_int_eq(a.status, EXIT_FAILED);
        ck_assert_int_eq(a.modules[0].r, -EIO);
        ck_assert_ptr_nonnull(error = a.modules[0].outcome.error);
        ck_assert_str_eq(error, "cannot stop stray.service: Job for stray.service canceled");
        ck_assert_uint_eq(f.n_calls[FAKE_UNIT_STOP], 1);
        /* the unit files were changed before; only the stop failed */
        ck_assert_ptr_nonnull(u = fake_units_get(&f, "stray.service"));
        ck_assert(u->active && !u->enabled && u->masked);
        ck_assert(!strv_contains(f.log, "stopped stray.service"));
}
END_TEST

START_TEST(test_snapshot_state) {
        _cleanup_policy_free_ Policy *p = test_policy_loadf(
                SERVICES_POLICY, "disable = [ \"run.service\", \"idle.service\", \"absent.service\" ];");
        _cleanup_(fake_units_done) FakeUnits f = {};
        _cleanup_(context_done)
                Context c = { .policy = p, .root = fixture, .unit_ops = &f.ops, .unit_ops_userdata = &f };
        _cleanup_(snapshot_done) Snapshot s = {};

        fake_units_init(&f);
        ck_assert_int_eq(fake_units_add(&f, "run.service", true, true, false), 0);
        ck_assert_int_eq(fake_units_add(&f, "idle.service", false, true, false), 0);

        ck_assert_int_eq(services_module.snapshot_state(&c, &s), 0);
        ck_assert_uint_eq(strv_length(s.units_active), 1);
        ck_assert_str_eq(s.units_active[0], "run.service");
        ck_assert_uint_eq(f.n_calls[FAKE_UNIT_GET_STATE], 3);
        ck_assert(strv_isempty(f.log));
}
END_TEST

TEST_MAIN("services-module", tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
          tcase_add_test(tc, test_stray_units); tcase_add_test(tc, test_no_mask);
          tcase_add_test(tc, test_not_installed); tcase_add_test(tc, test_stop_fails);
          tcase_add_test(tc, test_snapshot_state))
