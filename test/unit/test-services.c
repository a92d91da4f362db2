/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The services module's unit logic: the [Install] parser, the on-disk backend on a temporary
 * image tree (no root needed), the degraded mode without systemd, and the order of operations
 * with a recording fake backend (what the sd-bus backend is driven by). */
#include <check.h>

#include "test-main.h"
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "policy.h"
#include "services.h"
#include "strv.h"
#include "sys/unitfiles.h"

static char root[] = "/tmp/test-services.XXXXXX";

static void mkdirs(const char *rel) {
        char p[512];

        snprintf(p, sizeof(p), "%s%s", root, rel);
        for (char *s = p + strlen(root) + 1; (s = strchr(s, '/')); s++) {
                *s = 0;
                (void) mkdir(p, 0755);
                *s = '/';
        }
        (void) mkdir(p, 0755);
}

static void put(const char *rel, const char *text) {
        char p[512];
        FILE *f;

        snprintf(p, sizeof(p), "%s%s", root, rel);
        f = fopen(p, "we");
        ck_assert_ptr_nonnull(f);
        fputs(text, f);
        fclose(f);
}

static void link_(const char *target, const char *rel) {
        char p[512];

        snprintf(p, sizeof(p), "%s%s", root, rel);
        ck_assert_int_eq(symlink(target, p), 0);
}

static bool is_link_to(const char *rel, const char *want) {
        char p[512], buf[512];
        ssize_t n;

        snprintf(p, sizeof(p), "%s%s", root, rel);
        n = readlink(p, buf, sizeof(buf) - 1);
        if (n < 0)
                return false;
        buf[n] = 0;
        return streq(buf, want);
}

static bool exists(const char *rel) {
        char p[512];
        struct stat st;

        snprintf(p, sizeof(p), "%s%s", root, rel);
        return lstat(p, &st) == 0;
}

#define VENDOR "/usr/lib/systemd/system"
#define ETC    "/etc/systemd/system"

static void setup_tree(void) {
        ck_assert_ptr_nonnull(mkdtemp(root));
        mkdirs(VENDOR);
        mkdirs(ETC "/multi-user.target.wants");
        mkdirs(ETC "/sockets.target.wants");
        mkdirs(ETC "/printer.target.requires");
        put(VENDOR "/rpcbind.service", "[Unit]\nDescription=RPC bind\n[Service]\nExecStart=/sbin/rpcbind -f -w\n"
                                       "[Install]\nAlso=rpcbind.socket\nWantedBy=multi-user.target\n");
        put(VENDOR "/rpcbind.socket", "[Socket]\nListenStream=/run/rpcbind.sock\nListenStream=0.0.0.0:111\n"
                                      "[Install]\nWantedBy=sockets.target\n");
        put(VENDOR "/cups.service", "[Service]\nExecStart=/usr/sbin/cupsd -l\n\n[Install]\n# printing\n"
                                    "Alias=printer.service\nWantedBy=multi-user.target \\\n   printer.target\n");
        put(VENDOR "/static.service", "[Service]\nExecStart=/bin/true\n");
        put(ETC "/local.service", "[Service]\nExecStart=/usr/local/bin/mine\n[Install]\nWantedBy=multi-user.target\n");
        put(VENDOR "/ssh.service", "[Service]\nExecStart=/usr/sbin/sshd -D\n[Install]\nWantedBy=multi-user.target\n");

        link_("/lib/systemd/system/rpcbind.service", ETC "/multi-user.target.wants/rpcbind.service");
        link_("/lib/systemd/system/rpcbind.socket", ETC "/sockets.target.wants/rpcbind.socket");
        link_("/lib/systemd/system/cups.service", ETC "/multi-user.target.wants/cups.service");
        link_("/lib/systemd/system/cups.service", ETC "/printer.target.requires/cups.service");
        link_("/lib/systemd/system/cups.service", ETC "/printer.service");
        link_("/lib/systemd/system/ssh.service", ETC "/multi-user.target.wants/ssh.service");
        link_(ETC "/local.service", ETC "/multi-user.target.wants/local.service");
}

static void rm_rf(const char *path) {
        const char *argv[] = { "/bin/rm", "-rf", path, NULL };
        int status = -1;
        pid_t pid = fork();

        if (pid == 0) {
                execv(argv[0], (char *const *) argv);
                _exit(127);
        }
        ck_assert_int_gt(pid, 0);
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert_int_eq(status, 0);
}

static void teardown_tree(void) {
        rm_rf(root);
        (void) snprintf(root, sizeof(root), "%s", "/tmp/test-services.XXXXXX");
}

/* A policy of the services section %s only: test_policy_loadf(SERVICES_POLICY, section) */
#define SERVICES_POLICY "version = 1;\nservices = { %s };\n"

static const Finding *find(const FindingList *l, const char *check, const char *subject) {
        for (size_t i = 0; i < l->n; i++)
                if (streq(l->items[i].check, check) && streq(l->items[i].subject, subject))
                        return &l->items[i];
        return NULL;
}

START_TEST(test_install_parse) {
        static const struct {
                const char *text;
                const char *wanted_by, *required_by, *alias, *also;
        } cases[] = {
                { "[Install]\nWantedBy=multi-user.target\n", "multi-user.target", "", "", "" },
                { "[Unit]\nWantedBy=wrong.target\n[Install]\nRequiredBy=a.target b.target\n", "", "a.target b.target",
                  "", "" },
                { "[Install]\nWantedBy=a.target\nWantedBy=\nWantedBy=b.target\n", "b.target", "", "", "" },
                { "[Install]\nAlias=x.service  y.service\nAlso=z.socket\n[Service]\nAlias=no.service\n", "", "",
                  "x.service y.service", "z.socket" },
                { "[Install]\nWantedBy=a.target \\\n  b.target\n; comment\n#WantedBy=c.target\n", "a.target b.target",
                  "", "", "" },
                { "[Install]\r\nWantedBy = a.target \r\n", "a.target", "", "", "" },
                { "[Install]\nWantedBy=../../etc/x.target %i.target good.target\n", "good.target", "", "", "" },
                { "no sections at all", "", "", "", "" },
                { "", "", "", "", "" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *w = NULL, *r = NULL, *a = NULL, *s = NULL;
                UnitInstall ins = {};

                ck_assert_int_eq(unit_install_parse(cases[i].text, &ins), 0);
                ck_assert_int_eq(strv_join(ins.wanted_by, " ", &w), 0);
                ck_assert_int_eq(strv_join(ins.required_by, " ", &r), 0);
                ck_assert_int_eq(strv_join(ins.alias, " ", &a), 0);
                ck_assert_int_eq(strv_join(ins.also, " ", &s), 0);
                ck_assert_msg(streq(w, cases[i].wanted_by), "case %zu: WantedBy %s", i, w);
                ck_assert_msg(streq(r, cases[i].required_by), "case %zu: RequiredBy %s", i, r);
                ck_assert_msg(streq(a, cases[i].alias), "case %zu: Alias %s", i, a);
                ck_assert_msg(streq(s, cases[i].also), "case %zu: Also %s", i, s);
                unit_install_done(&ins);
        }
}
END_TEST

START_TEST(test_disk_state) {
        static const struct {
                const char *unit;
                bool found, enabled, masked;
                const char *file_state;
        } cases[] = {
                { "rpcbind.service", true, true, false, "enabled" },
                { "rpcbind.socket", true, true, false, "enabled" },
                { "cups.service", true, true, false, "enabled" },
                { "static.service", true, false, false, "static" },
                { "telnet.socket", false, false, false, "not-found" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                UnitState s = {};

                ck_assert_int_eq(unit_ops_disk.get_state(root, cases[i].unit, &s, NULL), 0);
                ck_assert_msg(s.found == cases[i].found && s.enabled == cases[i].enabled &&
                                      s.masked == cases[i].masked && !s.active,
                              "%s", cases[i].unit);
                ck_assert_str_eq(s.file_state, cases[i].file_state);
                ck_assert_ptr_null(s.active_state);
                unit_state_done(&s);
        }
}
END_TEST

/* On an image tree (--root): after apply none is enabled and each is masked; again: no change. */
START_TEST(test_disk_apply) {
        _cleanup_policy_free_ Policy *p = test_policy_loadf(
                SERVICES_POLICY,
                "disable = [ \"rpcbind.service\", \"rpcbind.socket\", \"cups.service\", \"telnet.socket\" ];"
                " mask = true;");
        SvcBackend b = { .ops = &unit_ops_disk, .userdata = root };
        FindingList l = {}, again = {};
        Outcome o = {};

        ck_assert_int_eq(svc_probe_units(&p->services, &b, &l), 0);
        ck_assert_ptr_nonnull(find(&l, "unit-enabled", "rpcbind.service"));
        ck_assert_ptr_nonnull(find(&l, "unit-masked", "rpcbind.socket"));
        ck_assert_ptr_nonnull(find(&l, "unit-enabled", "cups.service"));
        ck_assert_int_eq(find(&l, "unit-missing", "telnet.socket")->kind, FINDING_INFO);
        ck_assert_ptr_null(find(&l, "unit-active", "cups.service")); /* nothing runs in an image */
        ck_assert_uint_eq(l.n, 7);

        ck_assert_int_eq(svc_apply_units(&p->services, &b, &l, &o), 0);
        ck_assert_ptr_null(o.error);
        ck_assert(!exists(ETC "/multi-user.target.wants/rpcbind.service"));
        ck_assert(!exists(ETC "/sockets.target.wants/rpcbind.socket"));
        ck_assert(!exists(ETC "/multi-user.target.wants/cups.service"));
        ck_assert(!exists(ETC "/printer.target.requires/cups.service"));
        ck_assert(!exists(ETC "/printer.service"));
        ck_assert(is_link_to(ETC "/rpcbind.service", "/dev/null"));
        ck_assert(is_link_to(ETC "/rpcbind.socket", "/dev/null"));
        ck_assert(is_link_to(ETC "/cups.service", "/dev/null"));
        ck_assert(!exists(ETC "/telnet.socket"));
        /* other units' links stay */
        ck_assert(is_link_to(ETC "/multi-user.target.wants/ssh.service", "/lib/systemd/system/ssh.service"));
        /* 5 links removed, 3 masks made; the socket first */
        ck_assert_uint_eq(strv_length(o.changes), 8);
        ck_assert_str_eq(o.changes[0], "removed " ETC "/sockets.target.wants/rpcbind.socket");
        ck_assert_str_eq(o.changes[1], "created symlink " ETC "/rpcbind.socket -> /dev/null");

        ck_assert_int_eq(svc_probe_units(&p->services, &b, &again), 0);
        ck_assert_uint_eq(finding_list_count_fixable(&again, "services"), 0);
        ck_assert_uint_eq(again.n, 1); /* telnet.socket: not installed */
        outcome_done(&o);
        ck_assert_int_eq(svc_apply_units(&p->services, &b, &again, &o), 0);
        ck_assert(strv_isempty(o.changes));

        finding_list_done(&l);
        finding_list_done(&again);
        outcome_done(&o);
}
END_TEST

START_TEST(test_disk_no_mask) {
        _cleanup_policy_free_ Policy *p =
                test_policy_loadf(SERVICES_POLICY, "disable = [ \"cups.service\" ]; mask = false;");
        SvcBackend b = { .ops = &unit_ops_disk, .userdata = root };
        FindingList l = {};
        Outcome o = {};

        ck_assert_int_eq(svc_probe_units(&p->services, &b, &l), 0);
        ck_assert_uint_eq(l.n, 1);
        ck_assert_int_eq(svc_apply_units(&p->services, &b, &l, &o), 0);
        ck_assert(!exists(ETC "/multi-user.target.wants/cups.service"));
        ck_assert(!exists(ETC "/cups.service"));
        finding_list_done(&l);
        outcome_done(&o);
}
END_TEST

/* An admin's own unit file in /etc is not replaced by a mask: the unit is disabled, and the mask
 * is reported as impossible (report only) instead of failing every apply. */
START_TEST(test_disk_mask_refused) {
        _cleanup_policy_free_ Policy *p =
                test_policy_loadf(SERVICES_POLICY, "disable = [ \"local.service\" ]; mask = true;");
        SvcBackend b = { .ops = &unit_ops_disk, .userdata = root, .root = root };
        FindingList l = {}, after = {};
        Outcome o = {};
        bool seen = false;

        ck_assert_int_eq(svc_probe_units(&p->services, &b, &l), 0);
        for (size_t i = 0; i < l.n; i++)
                if (streq(l.items[i].check, "unit-masked")) {
                        ck_assert(!l.items[i].fixable);
                        ck_assert_ptr_nonnull(strstr(l.items[i].actual, "cannot be masked"));
                        seen = true;
                }
        ck_assert(seen);
        ck_assert_int_eq(svc_apply_units(&p->services, &b, &l, &o), 0);
        ck_assert_ptr_null(o.error);
        ck_assert(!exists(ETC "/multi-user.target.wants/local.service"));
        ck_assert(exists(ETC "/local.service") && !is_link_to(ETC "/local.service", "/dev/null"));
        ck_assert_int_eq(svc_probe_units(&p->services, &b, &after), 0);
        ck_assert_uint_eq(finding_list_count_fixable(&after, NULL), 0);
        finding_list_done(&l);
        finding_list_done(&after);
        outcome_done(&o);
}
END_TEST

/* An image without /etc/systemd/system at all still gets its masks. */
START_TEST(test_disk_no_etc_dir) {
        _cleanup_policy_free_ Policy *p =
                test_policy_loadf(SERVICES_POLICY, "disable = [ \"static.service\" ]; mask = true;");
        SvcBackend b = { .ops = &unit_ops_disk, .userdata = root };
        FindingList l = {};
        Outcome o = {};
        char path[512];

        snprintf(path, sizeof(path), "%s/etc", root);
        rm_rf(path);
        ck_assert_int_eq(svc_probe_units(&p->services, &b, &l), 0);
        ck_assert_ptr_nonnull(find(&l, "unit-masked", "static.service"));
        ck_assert_int_eq(svc_apply_units(&p->services, &b, &l, &o), 0);
        ck_assert(is_link_to(ETC "/static.service", "/dev/null"));
        finding_list_done(&l);
        outcome_done(&o);
}
END_TEST

/* No system bus: one UNKNOWN finding per unit with the reason; fixable only where the unit files
 * show something to change, and then apply fails. */
START_TEST(test_unreachable) {
        _cleanup_policy_free_ Policy *p = test_policy_loadf(
                SERVICES_POLICY, "disable = [ \"rpcbind.service\", \"telnet.socket\" ]; mask = true;");
        SvcBackend b = { .error = -ENOENT, .fallback_root = root };
        FindingList l = {};
        Outcome o = {};
        const Finding *f;

        ck_assert_int_eq(svc_probe_units(&p->services, &b, &l), 0);
        ck_assert_uint_eq(l.n, 4);
        f = find(&l, "unit-state", "rpcbind.service");
        ck_assert_int_eq(f->kind, FINDING_UNKNOWN);
        ck_assert(!f->fixable);
        ck_assert_str_eq(f->actual, "systemd cannot be reached: No such file or directory; on disk: enabled");
        /* what the unit files show is known drift */
        ck_assert(find(&l, "unit-enabled", "rpcbind.service")->fixable);
        ck_assert(find(&l, "unit-masked", "rpcbind.service")->fixable);
        f = find(&l, "unit-state", "telnet.socket");
        ck_assert_int_eq(f->kind, FINDING_UNKNOWN);
        ck_assert(!f->fixable);
        ck_assert_str_eq(f->actual, "systemd cannot be reached: No such file or directory; on disk: not installed");

        ck_assert_int_eq(svc_apply_units(&p->services, &b, &l, &o), -ENOENT);
        ck_assert_ptr_nonnull(strstr(o.error, "cannot change rpcbind.service: systemd cannot be reached"));
        ck_assert(exists(ETC "/multi-user.target.wants/rpcbind.service")); /* untouched */
        finding_list_done(&l);
        outcome_done(&o);

        /* nothing installed: nothing to change, so apply has nothing to fail at */
        b.fallback_root = "/nonexistent-root";
        ck_assert_int_eq(svc_probe_units(&p->services, &b, &l), 0);
        ck_assert_uint_eq(l.n, 2);
        ck_assert_uint_eq(finding_list_count_fixable(&l, "services"), 0);
        ck_assert_int_eq(svc_apply_units(&p->services, &b, &l, &o), 0);
        finding_list_done(&l);
        outcome_done(&o);
}
END_TEST

/* ---- a recording backend, standing in for the manager ---- */

typedef struct Fake {
        UnitState units[4];
        const char *names[4];
        char **calls;
        int fail_state; /* get_state of "broken.service" fails with this */
} Fake;

static UnitState *fake_unit(Fake *f, const char *unit) {
        for (size_t i = 0; i < ELEMENTSOF(f->names); i++)
                if (f->names[i] && streq(f->names[i], unit))
                        return &f->units[i];
        return NULL;
}

static int fake_get_state(void *userdata, const char *unit, UnitState *ret, char **ret_error) {
        Fake *f = userdata;
        UnitState *u = fake_unit(f, unit);

        if (streq(unit, "broken.service")) {
                *ret_error =
                        strdup("LoadUnit broken.service: Access denied (org.freedesktop.DBus.Error.AccessDenied)");
                return f->fail_state;
        }
        *ret = (UnitState){ .found = u != NULL };
        if (u) {
                ret->active = u->active;
                ret->enabled = u->enabled;
                ret->masked = u->masked;
        }
        ret->active_state = strdup(ret->active ? "active" : "inactive");
        ret->file_state = strdup(!u ? "" : ret->masked ? "masked" : ret->enabled ? "enabled" : "disabled");
        return 0;
}

static int fake_stop(void *userdata, const char *unit, char ***changes, char **ret_error) {
        Fake *f = userdata;

        fake_unit(f, unit)->active = false;
        return strv_extendf(&f->calls, "stop %s", unit);
}

static int fake_disable(void *userdata, const char *unit, char ***changes, char **ret_error) {
        Fake *f = userdata;

        fake_unit(f, unit)->enabled = false;
        (void) strv_extendf(changes, "removed %s", unit);
        return strv_extendf(&f->calls, "disable %s", unit);
}

static int fake_mask(void *userdata, const char *unit, char ***changes, char **ret_error) {
        Fake *f = userdata;

        fake_unit(f, unit)->masked = true;
        (void) strv_extendf(changes, "masked %s", unit);
        return strv_extendf(&f->calls, "mask %s", unit);
}

static int fake_reload(void *userdata, char ***changes, char **ret_error) {
        Fake *f = userdata;

        return strv_extend(&f->calls, "reload");
}

static const UnitOps fake_ops = {
        .name = "fake",
        .get_state = fake_get_state,
        .stop = fake_stop,
        .disable = fake_disable,
        .mask = fake_mask,
        .reload = fake_reload,
};

START_TEST(test_live_order) {
        _cleanup_policy_free_ Policy *p =
                test_policy_loadf(SERVICES_POLICY, "disable = [ \"rpcbind.service\", \"rpcbind.socket\", "
                                                   "\"cups.service\", \"telnet.socket\" ]; mask = true;");
        Fake f = { .names = { "rpcbind.service", "rpcbind.socket", "cups.service" },
                   .units = { { .active = true, .enabled = true },
                              { .active = true, .enabled = true },
                              { .masked = true } } };
        SvcBackend b = { .ops = &fake_ops, .userdata = &f };
        FindingList l = {}, again = {};
        Outcome o = {};
        _cleanup_free_ char *calls = NULL;

        ck_assert_int_eq(svc_probe_units(&p->services, &b, &l), 0);
        ck_assert_int_eq(find(&l, "unit-active", "rpcbind.socket")->severity, SEVERITY_HIGH);
        ck_assert(find(&l, "unit-active", "rpcbind.socket")->fixable);
        ck_assert_ptr_null(find(&l, "unit-masked", "cups.service"));
        ck_assert_uint_eq(l.n, 7); /* 2 x (active, enabled, masked), telnet missing */

        ck_assert_int_eq(svc_apply_units(&p->services, &b, &l, &o), 0);
        ck_assert_int_eq(strv_join(f.calls, "; ", &calls), 0);
        ck_assert_str_eq(calls, "disable rpcbind.socket; mask rpcbind.socket; disable rpcbind.service; "
                                "mask rpcbind.service; reload; stop rpcbind.socket; stop rpcbind.service");
        ck_assert_int_eq(svc_probe_units(&p->services, &b, &again), 0);
        ck_assert_uint_eq(finding_list_count_fixable(&again, "services"), 0);

        finding_list_done(&l);
        finding_list_done(&again);
        outcome_done(&o);
        strv_free(f.calls);
}
END_TEST

/* A unit whose state cannot be read is UNKNOWN with the D-Bus error; the others still handled. */
START_TEST(test_live_state_error) {
        _cleanup_policy_free_ Policy *p =
                test_policy_loadf(SERVICES_POLICY, "disable = [ \"broken.service\", \"cups.service\" ]; mask = true;");
        Fake f = { .names = { "cups.service" }, .units = { { .enabled = true } }, .fail_state = -EACCES };
        SvcBackend b = { .ops = &fake_ops, .userdata = &f };
        FindingList l = {};
        const Finding *x;

        ck_assert_int_eq(svc_probe_units(&p->services, &b, &l), 0);
        x = find(&l, "unit-state", "broken.service");
        ck_assert_int_eq(x->kind, FINDING_UNKNOWN);
        ck_assert_ptr_nonnull(strstr(x->actual, "AccessDenied"));
        ck_assert_ptr_nonnull(find(&l, "unit-enabled", "cups.service"));
        finding_list_done(&l);
        strv_free(f.calls);
}
END_TEST

static Suite *suite(void) {
        Suite *s = suite_create("services");
        TCase *tp = tcase_create("pure");
        TCase *td = tcase_create("disk");
        TCase *tl = tcase_create("backend");

        tcase_add_test(tp, test_install_parse);
        suite_add_tcase(s, tp);

        tcase_add_checked_fixture(td, setup_tree, teardown_tree);
        tcase_add_test(td, test_disk_state);
        tcase_add_test(td, test_disk_apply);
        tcase_add_test(td, test_disk_no_mask);
        tcase_add_test(td, test_disk_mask_refused);
        tcase_add_test(td, test_disk_no_etc_dir);
        tcase_add_test(td, test_unreachable);
        suite_add_tcase(s, td);

        tcase_add_test(tl, test_live_order);
        tcase_add_test(tl, test_live_state_error);
        suite_add_tcase(s, tl);
        return s;
}

int main(void) {
        return test_run_suite(suite());
}
