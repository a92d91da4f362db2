/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The Prometheus metrics: label escaping, the exact text for given values, promtool's verdict, the
 * module series from findings, the drift counters file and the textfile. */
#include "test-main.h"

#include "metrics-host.h"
#include "metrics.h"
#include "state.h"
#include "sys/spawn.h"

#define PROMTOOL "/usr/bin/promtool"

typedef struct EscapeCase {
        const char *in, *out;
} EscapeCase;

static const EscapeCase escape_cases[] = {
        { "firewall", "firewall" },
        { "", "" },
        { "a\"b", "a\\\"b" },
        { "a\\b", "a\\\\b" },
        { "line1\nline2", "line1\\nline2" },
        { "\\\"\n", "\\\\\\\"\\n" },
        { "tab\tstays", "tab\tstays" },
};

START_TEST(test_escape) {
        char *out = NULL;

        ck_assert_int_eq(metrics_escape_label(escape_cases[_i].in, &out), 0);
        ck_assert_str_eq(out, escape_cases[_i].out);
        free(out);
}
END_TEST

static MetricsModule sample_modules[] = {
        { .name = "firewall", .state = MODULE_STATE_COMPLIANT, .drift_events = 3 },
        { .name = "ssh", .state = MODULE_STATE_DRIFTED, .findings = { [SEVERITY_MEDIUM] = 2, [SEVERITY_HIGH] = 1 } },
        { .name = "admin", .state = MODULE_STATE_UNKNOWN },
        { .name = "services", .state = MODULE_STATE_DISABLED, .drift_events = 1 },
};

static const char sample_text[] =
        "# HELP hardend_build_info The hardend version that wrote these metrics; always 1.\n"
        "# TYPE hardend_build_info gauge\n"
        "hardend_build_info{version=\"1.2.3\"} 1\n"
        "# HELP hardend_module_compliant Whether the module matches the policy: 1 compliant, 0 drifted, -1 "
        "unknown (its state could not be read). Disabled modules have no series.\n"
        "# TYPE hardend_module_compliant gauge\n"
        "hardend_module_compliant{module=\"firewall\"} 1\n"
        "hardend_module_compliant{module=\"ssh\"} 0\n"
        "hardend_module_compliant{module=\"admin\"} -1\n"
        "# HELP hardend_findings Drift findings of the last probe, by module and severity.\n"
        "# TYPE hardend_findings gauge\n"
        "hardend_findings{module=\"firewall\",severity=\"info\"} 0\n"
        "hardend_findings{module=\"firewall\",severity=\"low\"} 0\n"
        "hardend_findings{module=\"firewall\",severity=\"medium\"} 0\n"
        "hardend_findings{module=\"firewall\",severity=\"high\"} 0\n"
        "hardend_findings{module=\"ssh\",severity=\"info\"} 0\n"
        "hardend_findings{module=\"ssh\",severity=\"low\"} 0\n"
        "hardend_findings{module=\"ssh\",severity=\"medium\"} 2\n"
        "hardend_findings{module=\"ssh\",severity=\"high\"} 1\n"
        "hardend_findings{module=\"admin\",severity=\"info\"} 0\n"
        "hardend_findings{module=\"admin\",severity=\"low\"} 0\n"
        "hardend_findings{module=\"admin\",severity=\"medium\"} 0\n"
        "hardend_findings{module=\"admin\",severity=\"high\"} 0\n"
        "# HELP hardend_drift_events_total Drift events the watcher logged, by module; kept across restarts in "
        "/var/lib/hardend/drift-events.\n"
        "# TYPE hardend_drift_events_total counter\n"
        "hardend_drift_events_total{module=\"firewall\"} 3\n"
        "hardend_drift_events_total{module=\"ssh\"} 0\n"
        "hardend_drift_events_total{module=\"admin\"} 0\n"
        "hardend_drift_events_total{module=\"services\"} 1\n"
        "# HELP hardend_last_apply_timestamp_seconds When the last apply (hardend apply, hardenctl apply or a "
        "repair) ran, in seconds since the epoch.\n"
        "# TYPE hardend_last_apply_timestamp_seconds gauge\n"
        "hardend_last_apply_timestamp_seconds 1764612345.067\n"
        "# HELP hardend_last_apply_success Whether the last apply left the system matching the policy: 1 yes, 0 it "
        "failed, was refused or was rolled back.\n"
        "# TYPE hardend_last_apply_success gauge\n"
        "hardend_last_apply_success 0\n"
        "# HELP hardend_last_probe_timestamp_seconds When the system was last probed against the policy, in seconds "
        "since the epoch.\n"
        "# TYPE hardend_last_probe_timestamp_seconds gauge\n"
        "hardend_last_probe_timestamp_seconds 1764612400.000\n"
        "# HELP hardend_firewall_backend_info The packet filter that holds hardend's rules (nftables, iptables, or "
        "none); always 1.\n"
        "# TYPE hardend_firewall_backend_info gauge\n"
        "hardend_firewall_backend_info{backend=\"nftables\"} 1\n"
        "# HELP hardend_policy_info The SHA-256 of the policy text the host runs; always 1.\n"
        "# TYPE hardend_policy_info gauge\n"
        "hardend_policy_info{sha256=\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"} 1\n"
        "# HELP hardend_watcher_up Whether the drift watcher (hardend.service) runs: 1 yes, 0 no.\n"
        "# TYPE hardend_watcher_up gauge\n"
        "hardend_watcher_up 1\n";

static void sample_metrics(Metrics *m) {
        *m = (Metrics){ .version = "1.2.3", .watcher_up = true };
        m->modules = malloc(sizeof(sample_modules));
        ck_assert_ptr_nonnull(m->modules);
        memcpy(m->modules, sample_modules, sizeof(sample_modules));
        m->n_modules = ELEMENTSOF(sample_modules);
        metrics_set_last_apply(m, 1764612345067891ULL, "failed");
        m->last_probe_usec = 1764612400000000ULL;
        m->firewall_backend = strdup("nftables");
        ck_assert_int_eq(metrics_set_policy_digest(
                                 m, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
                         0);
}

START_TEST(test_render_exact) {
        Metrics m;
        char *text = NULL;

        sample_metrics(&m);
        ck_assert_int_eq(metrics_render(&m, &text), 0);
        ck_assert_str_eq(text, sample_text);
        free(text);
        metrics_done(&m);
}
END_TEST

/* What is not known has no series; the families that are always there stay. */
START_TEST(test_render_minimal) {
        Metrics m = { .version = "v\"1" };
        char *text = NULL;

        ck_assert_int_eq(metrics_render(&m, &text), 0);
        ck_assert_ptr_nonnull(strstr(text, "hardend_build_info{version=\"v\\\"1\"} 1\n"));
        ck_assert_ptr_nonnull(strstr(text, "hardend_watcher_up 0\n"));
        ck_assert_ptr_null(strstr(text, "hardend_last_apply"));
        ck_assert_ptr_null(strstr(text, "hardend_last_probe_timestamp_seconds "));
        ck_assert_ptr_null(strstr(text, "hardend_policy_info"));
        ck_assert_ptr_null(strstr(text, "hardend_firewall_backend_info"));
        ck_assert_ptr_null(strstr(text, "hardend_module_compliant{"));
        free(text);
}
END_TEST

START_TEST(test_digest) {
        Metrics m = {};

        ck_assert_int_eq(metrics_set_policy_digest(&m, "md5:abc"), -EINVAL);
        ck_assert_int_eq(metrics_set_policy_digest(&m, "sha256:abc"), -EINVAL);
        ck_assert_int_eq(metrics_set_policy_digest(&m, NULL), -EINVAL);
        ck_assert_int_eq(metrics_set_policy_digest(
                                 &m, "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"),
                         -EINVAL);
        ck_assert_ptr_null(m.policy_sha256);
        metrics_set_last_apply(&m, 1, "applied");
        ck_assert(m.last_apply_success);
        metrics_set_last_apply(&m, 1, "rolled-back");
        ck_assert(!m.last_apply_success);
        metrics_set_last_apply(&m, 1, "compliant");
        ck_assert(m.last_apply_success);
        metrics_done(&m);
}
END_TEST

static int promtool_check(const char *text, SpawnResult *res) {
        const char *const argv[] = { PROMTOOL, "check", "metrics", NULL };
        SpawnOptions o = { .argv = argv, .stdin_data = text, .stdin_len = strlen(text), .timeout_ms = 30000 };

        return spawn_run(&o, res);
}

/* promtool's own linter accepts the text, and rejects a broken one (so the check can fail). */
START_TEST(test_promtool) {
        SpawnResult res = {};
        Metrics m;
        char *text = NULL;

        if (access(PROMTOOL, X_OK) < 0) {
                fprintf(stderr, "skipped: no %s (Debian package prometheus)\n", PROMTOOL);
                return;
        }
        sample_metrics(&m);
        ck_assert_int_eq(metrics_render(&m, &text), 0);
        ck_assert_int_eq(promtool_check(text, &res), 0);
        ck_assert_msg(spawn_result_ok(&res), "promtool: %s%s", res.out, res.err);
        spawn_result_done(&res);

        ck_assert_int_eq(promtool_check("# TYPE hardend_x gauge\nhardend_x{module=\"a} 1\n", &res), 0);
        ck_assert(!spawn_result_ok(&res));
        spawn_result_done(&res);
        free(text);
        metrics_done(&m);
}
END_TEST

static bool always(const Policy *p) {
        return true;
}

static bool never(const Policy *p) {
        return false;
}

static const Module mod_fw = { .id = MODULE_FIREWALL, .name = "firewall", .enabled = always };
static const Module mod_ssh = { .id = MODULE_SSH, .name = "ssh", .enabled = always };
static const Module mod_admin = { .id = MODULE_ADMIN, .name = "admin", .enabled = always };
static const Module mod_services = { .id = MODULE_SERVICES, .name = "services", .enabled = never };

START_TEST(test_from_findings) {
        const Module *const mods[] = { &mod_fw, &mod_ssh, &mod_admin, &mod_services };
        Policy *p = test_policy_load("version = 1;\n");
        Context c = { .policy = p, .root = "/" };
        FindingList l = {};
        uint64_t events[_MODULE_MAX] = { [MODULE_SSH] = 7 };
        Metrics m = {};

        ck_assert_int_ge(
                finding_addf(&l, "firewall", "backend", FINDING_INFO, SEVERITY_INFO, false, NULL, "auto", "iptables"),
                0);
        ck_assert_int_ge(finding_addf(&l, "ssh", "effective", FINDING_DRIFT, SEVERITY_HIGH, true, "no", "yes", "x"),
                         0);
        ck_assert_int_ge(finding_addf(&l, "ssh", "effective", FINDING_DRIFT, SEVERITY_HIGH, true, "no", "yes", "y"),
                         0);
        ck_assert_int_ge(finding_addf(&l, "ssh", "port", FINDING_DRIFT, SEVERITY_LOW, true, "22", "2222", "z"), 0);
        ck_assert_int_ge(finding_addf(&l, "ssh", "note", FINDING_INFO, SEVERITY_INFO, false, NULL, NULL, "n"), 0);
        ck_assert_int_ge(finding_addf(&l, "admin", "probe", FINDING_UNKNOWN, SEVERITY_MEDIUM, false, NULL, "x", "a"),
                         0);

        ck_assert_int_eq(metrics_from_findings(&c, mods, ELEMENTSOF(mods), &l, events, &m), 0);
        ck_assert_uint_eq(m.n_modules, 4);
        ck_assert_str_eq(m.version, HARDEND_VERSION);
        ck_assert_str_eq(m.firewall_backend, "iptables");
        ck_assert_int_eq(m.modules[0].state, MODULE_STATE_COMPLIANT);
        ck_assert_int_eq(m.modules[1].state, MODULE_STATE_DRIFTED);
        ck_assert_uint_eq(m.modules[1].findings[SEVERITY_HIGH], 2);
        ck_assert_uint_eq(m.modules[1].findings[SEVERITY_LOW], 1);
        ck_assert_uint_eq(m.modules[1].findings[SEVERITY_INFO], 0);
        ck_assert_uint_eq(m.modules[1].drift_events, 7);
        ck_assert_int_eq(m.modules[2].state, MODULE_STATE_UNKNOWN);
        ck_assert_uint_eq(m.modules[2].findings[SEVERITY_MEDIUM], 0);
        ck_assert_int_eq(m.modules[3].state, MODULE_STATE_DISABLED);
        metrics_done(&m);

        /* no backend the kernel can hold: "none" */
        finding_list_done(&l);
        ck_assert_int_ge(finding_addf(&l, "firewall", "backend", FINDING_DRIFT, SEVERITY_HIGH, false, "x", "y",
                                      "firewall.backend"),
                         0);
        ck_assert_int_eq(metrics_from_findings(&c, mods, ELEMENTSOF(mods), &l, NULL, &m), 0);
        ck_assert_str_eq(m.firewall_backend, "none");
        ck_assert_uint_eq(m.modules[1].drift_events, 0);
        metrics_done(&m);

        /* the firewall not probed: no backend */
        finding_list_done(&l);
        ck_assert_int_eq(metrics_from_findings(&c, mods, ELEMENTSOF(mods), &l, NULL, &m), 0);
        ck_assert_ptr_null(m.firewall_backend);
        metrics_done(&m);
        policy_free(p);
}
END_TEST

/* After an apply: a module changed and read back has the verifying probe's findings, the others
 * the first probe's; after a rollback, all the first probe's. */
START_TEST(test_apply_findings) {
        ModuleResult mods[] = {
                { .module = &mod_fw, .ran = true, .r = 0 },
                { .module = &mod_ssh, .ran = true, .r = -EIO }, /* failed: not read back */
                { .module = &mod_admin, .ran = false },
        };
        ApplyResult a = { .modules = mods, .n_modules = ELEMENTSOF(mods) };
        FindingList l = {};

        ck_assert_int_ge(
                finding_addf(&a.before, "firewall", "rule", FINDING_DRIFT, SEVERITY_HIGH, true, "a", "b", "1"), 0);
        ck_assert_int_ge(
                finding_addf(&a.before, "ssh", "effective", FINDING_DRIFT, SEVERITY_HIGH, true, "no", "yes", "2"), 0);
        ck_assert_int_ge(
                finding_addf(&a.before, "admin", "probe", FINDING_UNKNOWN, SEVERITY_LOW, false, NULL, "x", "3"), 0);
        ck_assert_int_ge(finding_addf(&a.after, "firewall", "backend", FINDING_INFO, SEVERITY_INFO, false, NULL, "x",
                                      "iptables"),
                         0);

        ck_assert_int_eq(metrics_apply_findings(&a, false, &l), 0);
        ck_assert_uint_eq(l.n, 3);
        ck_assert_str_eq(l.items[0].check, "backend");
        ck_assert_str_eq(l.items[1].check, "effective");
        ck_assert_str_eq(l.items[2].check, "probe");
        finding_list_done(&l);

        ck_assert_int_eq(metrics_apply_findings(&a, true, &l), 0);
        ck_assert_uint_eq(l.n, 3);
        ck_assert_str_eq(l.items[0].check, "rule");
        finding_list_done(&l);
        finding_list_done(&a.before);
        finding_list_done(&a.after);
}
END_TEST

START_TEST(test_drift_events_file) {
        char root[] = "/tmp/test-metrics.XXXXXX";
        uint64_t in[_MODULE_MAX] = {}, out[_MODULE_MAX];
        char *text = NULL;

        test_fixture_make(root);
        memset(out, 0xff, sizeof(out));
        ck_assert_int_eq(state_read_drift_events(root, out), 0); /* no file: all 0 */
        for (int i = 0; i < _MODULE_MAX; i++)
                ck_assert_uint_eq(out[i], 0);
        for (int i = 0; i < _MODULE_MAX; i++)
                in[i] = 1000000000000ULL + (uint64_t) i;
        ck_assert_int_eq(state_write_drift_events(root, in), 0);
        ck_assert_int_eq(state_read_drift_events(root, out), 0);
        ck_assert_mem_eq(in, out, sizeof(in));

        /* bad lines and unknown modules are skipped, the rest is read */
        test_put_file(root, DRIFT_EVENTS_PATH, "# c\nssh=5\nnosuch=9\nfirewall=x\nadmin = 12 \ngarbage\n", 0644);
        ck_assert_int_eq(state_read_drift_events(root, out), 0);
        ck_assert_uint_eq(out[MODULE_SSH], 5);
        ck_assert_uint_eq(out[MODULE_ADMIN], 12);
        ck_assert_uint_eq(out[MODULE_FIREWALL], 0);
        ck_assert_uint_eq(out[MODULE_SERVICES], 0);
        free(text);
        test_fixture_remove(root);
}
END_TEST

START_TEST(test_textfile) {
        char root[] = "/tmp/test-metrics.XXXXXX";
        Policy *p = test_policy_load("version = 1;\nreport = { prometheus_textfile = \"/srv/m/hardend.prom\"; };\n");
        Policy *off = test_policy_load("version = 1;\nreport = { prometheus_textfile = false; };\n");
        char *path = NULL, *text = NULL;
        struct stat st;

        test_fixture_make(root);
        ck_assert(!metrics_textfile_wanted(p, root)); /* no collector directory: not written */
        ck_assert_int_eq(metrics_write_textfile(root, "/srv/m/hardend.prom", "a 1\n"), -ENOENT);
        test_put_file(root, "/srv/m/other", "", 0644);
        ck_assert(metrics_textfile_wanted(p, root));
        ck_assert(!metrics_textfile_wanted(off, root));
        ck_assert_int_eq(metrics_write_textfile(root, "/srv/m/hardend.prom", "a 1\n"), 0);
        ck_assert_int_eq(metrics_write_textfile(root, "/srv/m/hardend.prom", "a 2\n"), 0);
        ck_assert_int_ge(asprintf(&path, "%s/srv/m/hardend.prom", root), 0);
        ck_assert_int_eq(stat(path, &st), 0);
        ck_assert_uint_eq(st.st_mode & 07777, 0644);
        ck_assert_int_eq(read_file_at_root(root, "/srv/m/hardend.prom", true, 4096, &text, NULL), 0);
        ck_assert_str_eq(text, "a 2\n");
        free(text);
        free(path);
        policy_free(p);
        policy_free(off);
        test_fixture_remove(root);
}
END_TEST

TEST_MAIN("metrics", tcase_add_loop_test(tc, test_escape, 0, (int) ELEMENTSOF(escape_cases));
          tcase_add_test(tc, test_render_exact); tcase_add_test(tc, test_render_minimal);
          tcase_add_test(tc, test_digest); tcase_add_test(tc, test_promtool); tcase_add_test(tc, test_from_findings);
          tcase_add_test(tc, test_apply_findings); tcase_add_test(tc, test_drift_events_file);
          tcase_add_test(tc, test_textfile))
