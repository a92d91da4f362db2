/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Adding a module touches only the module list and the build file: "motd", a module that lives in
 * this file alone, brings its own policy section (in a Policy slot of policy_extra()) and runs
 * through the real engine on a temporary root. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine.h"
#include "macro.h"
#include "modules.h"
#include "policy-parser.h"
#include "strv.h"
#include "sys/fileio.h"
#include "test-main.h"

#define MOTD_DIR  "/etc"
#define MOTD_PATH "/etc/motd"

typedef struct MotdPolicy {
        int enable;
        char *text;
        unsigned line;
} MotdPolicy;

static const PolicySection motd_section;

/* The section's data, made on first use. */
static MotdPolicy *motd_policy_get(Policy *pol) {
        void **slot = policy_extra(pol, &motd_section);

        if (!slot)
                return NULL;
        if (!*slot) {
                MotdPolicy *m = calloc(1, sizeof(MotdPolicy));

                if (!m)
                        return NULL;
                m->enable = -1;
                *slot = m;
        }
        return *slot;
}

static const MotdPolicy *motd_policy(const Policy *pol) {
        return policy_extra_get(pol, &motd_section);
}

static void motd_policy_init(Policy *pol) {
        /* claims the slot; every field is unset until parse() or defaults() makes the data */
        (void) policy_extra(pol, &motd_section);
}

static int motd_policy_parse(Parser *p, Policy *pol, const config_setting_t *g) {
        static const char *const keys[] = { "enable", "text", NULL };
        MotdPolicy *m = motd_policy_get(pol);
        int r;

        if (!m)
                return -ENOMEM;
        r = check_keys(p, g, "motd", keys);
        if (r < 0)
                return r;
        m->line = (unsigned) config_setting_source_line(g);
        if ((r = get_bool(p, g, "motd", "enable", &m->enable)) < 0 ||
            (r = get_string(p, g, "motd", "text", &m->text, NULL)) < 0)
                return r;
        return 0;
}

static int motd_policy_defaults(Policy *pol) {
        MotdPolicy *m = motd_policy_get(pol);

        if (!m)
                return -ENOMEM;
        if (m->enable < 0)
                m->enable = false;
        if (!m->text) {
                m->text = strdup("");
                if (!m->text)
                        return -ENOMEM;
        }
        return 0;
}

static void motd_policy_done(Policy *pol) {
        void **slot = policy_extra(pol, &motd_section);
        MotdPolicy *m = slot ? *slot : NULL;

        if (!m)
                return;
        free(m->text);
        free(m);
        *slot = NULL;
}

static bool motd_policy_equal(const Policy *a, const Policy *b) {
        const MotdPolicy *x = motd_policy(a), *y = motd_policy(b);

        return x && y && x->enable == y->enable && streq(x->text, y->text);
}

static const PolicySection motd_section = {
        .name = "motd",
        .init = motd_policy_init,
        .parse = motd_policy_parse,
        .defaults = motd_policy_defaults,
        .done = motd_policy_done,
        .equal = motd_policy_equal,
};

static bool motd_enabled(const Policy *p) {
        const MotdPolicy *m = motd_policy(p);

        return m && m->enable > 0;
}

static int motd_probe(Context *c, FindingList *out) {
        const MotdPolicy *m = motd_policy(c->policy);
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r;

        r = read_file_at_root(c->root, MOTD_PATH, true, READ_FILE_MAX, &text, &len);
        if (r < 0 && r != -ENOENT)
                return finding_addf(out, "motd", "content", FINDING_UNKNOWN, SEVERITY_LOW, false, NULL, strerror(-r),
                                    MOTD_PATH);
        if (r >= 0 && len == strlen(m->text) && memcmp(text, m->text, len) == 0)
                return 0;
        return finding_addf(out, "motd", "content", FINDING_DRIFT, SEVERITY_LOW, true, m->text,
                            r < 0 ? "missing" : text, MOTD_PATH);
}

static int motd_apply(Context *c, const FindingList *mine, Outcome *o) {
        const MotdPolicy *m = motd_policy(c->policy);
        int r;

        (void) mine;
        r = write_file_atomic(c->root, MOTD_PATH, m->text, strlen(m->text), 0644, UID_KEEP, GID_KEEP,
                              &atomic_ops_default);
        if (r < 0)
                return outcome_fail(o, r, "Failed to write %s: %s", MOTD_PATH, strerror(-r));
        return outcome_change(o, "wrote %s", MOTD_PATH);
}

static int motd_snapshot_paths(Context *c, char ***ret) {
        char **l = NULL;

        (void) c;
        if (strv_extend(&l, MOTD_PATH) < 0)
                return -ENOMEM;
        *ret = l;
        return 0;
}

static int motd_watch(Context *c, WatchSpec **l, size_t *n) {
        (void) c;
        return watch_spec_add(l, n, MOTD_DIR, (const char *const[]){ "motd", NULL });
}

/* Not one of the built-in ids (so --only cannot name it): with c->only 0 it is always selected. */
static const Module motd_module = {
        .id = _MODULE_MAX,
        .name = "motd",
        .policy = &motd_section,
        .enabled = motd_enabled,
        .probe = motd_probe,
        .apply = motd_apply,
        .snapshot_paths = motd_snapshot_paths,
        .watch = motd_watch,
};

/* The module list of the programs, plus motd. */
static const Module *all_modules[8];
static size_t n_all_modules;

static void setup_modules(void) {
        ck_assert_uint_lt(hardend_n_modules, ELEMENTSOF(all_modules));
        for (size_t i = 0; i < hardend_n_modules; i++)
                all_modules[i] = hardend_modules[i];
        all_modules[hardend_n_modules] = &motd_module;
        n_all_modules = hardend_n_modules + 1;
}

static const char motd_conf[] = "version = 1;\n"
                                "motd = {\n"
                                "        enable = true;\n"
                                "        text = \"Authorised use only.\\n\";\n"
                                "};\n";

static Policy *load(const char *text) {
        PolicyError e = {};
        Policy *p = NULL;

        setup_modules();
        if (policy_load_string_modules(text, "test.conf", all_modules, n_all_modules, &p, &e) < 0)
                ck_abort_msg("policy: %s:%u: %s", e.file, e.line, e.message);
        policy_error_done(&e);
        return p;
}

static char *make_root(void) {
        char *root = strdup("/tmp/hardend-test-module-add.XXXXXX");
        _cleanup_free_ char *etc = NULL;

        ck_assert_ptr_nonnull(root);
        ck_assert_ptr_nonnull(mkdtemp(root));
        ck_assert_int_ge(asprintf(&etc, "%s%s", root, MOTD_DIR), 0);
        ck_assert_int_eq(mkdir(etc, 0755), 0);
        return root;
}

static char *read_motd(const char *root) {
        char *text = NULL;
        size_t len;

        ck_assert_int_eq(read_file_at_root(root, MOTD_PATH, true, READ_FILE_MAX, &text, &len), 0);
        return text;
}

START_TEST(test_policy_section) {
        _cleanup_policy_free_ Policy *p = load(motd_conf);
        _cleanup_policy_free_ Policy *d = load("version = 1;\n");
        const MotdPolicy *m = motd_policy(p);

        ck_assert_ptr_nonnull(m);
        ck_assert_int_eq(m->enable, 1);
        ck_assert_str_eq(m->text, "Authorised use only.\n");
        ck_assert_uint_eq(m->line, 2);
        /* the built-in sections are parsed and defaulted as ever */
        ck_assert_uint_eq(p->ssh.port, 22);
        ck_assert_int_eq(p->firewall.enable, 1);

        /* absent: the defaults */
        m = motd_policy(d);
        ck_assert_ptr_nonnull(m);
        ck_assert_int_eq(m->enable, 0);
        ck_assert_str_eq(m->text, "");

        /* policy_equal() compares the module's section too, through its equal hook */
        _cleanup_policy_free_ Policy *p2 = load(motd_conf);
        _cleanup_policy_free_ Policy *other = load("version = 1;\nmotd = { enable = true; text = \"Other\"; };\n");
        _cleanup_policy_free_ Policy *builtin = NULL;
        PolicyError e = {};

        ck_assert(policy_equal(p, p2));
        ck_assert(!policy_equal(p, other));
        ck_assert(!policy_equal(p, d));
        /* a policy without the module's section is another policy */
        ck_assert_int_eq(policy_load_string("version = 1;\n", "test.conf", &builtin, &e), 0);
        ck_assert(!policy_equal(d, builtin));
}
END_TEST

START_TEST(test_policy_without_module) {
        PolicyError e = {};
        Policy *p = NULL;

        /* the programs' list has no motd section: the key is unknown there */
        ck_assert_int_eq(policy_load_string(motd_conf, "test.conf", &p, &e), -EINVAL);
        ck_assert_ptr_null(p);
        ck_assert_uint_eq(e.line, 2);
        policy_error_done(&e);
}
END_TEST

static const struct {
        const char *text;
        unsigned line;
        const char *message;
} bad_policies[] = {
        { "version = 1;\nmotd = {\n        enable = \"yes\";\n};\n", 3, "motd.enable" },
        { "version = 1;\nmotd = {\n        enable = true;\n        text = 42;\n};\n", 4, "motd.text" },
        { "version = 1;\nmotd = {\n        colour = \"red\";\n};\n", 3, "colour" },
        { "version = 1;\nmotd = \"hello\";\n", 2, "motd" },
};

START_TEST(test_policy_bad) {
        _cleanup_free_ char *msg = NULL;
        PolicyError e = {};
        Policy *p = NULL;

        setup_modules();
        ck_assert_int_eq(
                policy_load_string_modules(bad_policies[_i].text, "test.conf", all_modules, n_all_modules, &p, &e),
                -EINVAL);
        ck_assert_ptr_null(p);
        ck_assert_int_eq(policy_error_format(&e, &msg), 0);
        ck_assert_uint_eq(e.line, bad_policies[_i].line);
        ck_assert_msg(startswith(msg, "test.conf:"), "%s", msg);
        ck_assert_msg(strstr(msg, bad_policies[_i].message), "%s", msg);
        policy_error_done(&e);
}
END_TEST

START_TEST(test_engine) {
        _cleanup_policy_free_ Policy *p = load(motd_conf);
        _cleanup_free_ char *root = make_root();
        _cleanup_free_ char *text = NULL;
        const Module *const only_motd[] = { &motd_module };
        FindingList l = {};
        ApplyResult a = {};
        Context c = { .policy = p, .live = false };

        c.root = root;

        /* missing, then different: drift, through the list of every module (the others not selected) */
        c.only = 1u << _MODULE_MAX;
        ck_assert_int_eq(engine_probe(&c, all_modules, n_all_modules, &l), 0);
        ck_assert_uint_eq(l.n, 1);
        ck_assert_str_eq(l.items[0].module, "motd");
        ck_assert_str_eq(l.items[0].actual, "missing");
        finding_list_done(&l);
        c.only = 0;

        ck_assert_int_eq(
                write_file_atomic(root, MOTD_PATH, "welcome\n", 8, 0644, UID_KEEP, GID_KEEP, &atomic_ops_default), 0);
        ck_assert_int_eq(engine_probe(&c, only_motd, 1, &l), 0);
        ck_assert_uint_eq(l.n, 1);
        ck_assert_int_eq(l.items[0].kind, FINDING_DRIFT);
        ck_assert(l.items[0].fixable);
        ck_assert_str_eq(l.items[0].actual, "welcome\n");
        ck_assert_int_eq(engine_check_status(&l), EXIT_DRIFT);
        ck_assert_int_eq(engine_module_state(&c, &motd_module, &l), MODULE_STATE_DRIFTED);
        finding_list_done(&l);

        /* apply writes it and verifies */
        ck_assert_int_eq(engine_apply(&c, only_motd, 1, &a), 0);
        ck_assert_int_eq(a.status, EXIT_COMPLIANT);
        ck_assert(a.changed);
        ck_assert(!a.refused);
        ck_assert_uint_eq(a.n_modules, 1);
        ck_assert(a.modules[0].ran);
        ck_assert_int_eq(a.modules[0].r, 0);
        ck_assert_str_eq(a.modules[0].outcome.changes[0], "wrote " MOTD_PATH);
        ck_assert_uint_eq(a.after.n, 0);
        apply_result_done(&a);
        text = read_motd(root);
        ck_assert_str_eq(text, "Authorised use only.\n");

        /* compliant: nothing more to do */
        ck_assert_int_eq(engine_probe(&c, only_motd, 1, &l), 0);
        ck_assert_uint_eq(l.n, 0);
        ck_assert_int_eq(engine_check_status(&l), EXIT_COMPLIANT);
        ck_assert_int_eq(engine_module_state(&c, &motd_module, &l), MODULE_STATE_COMPLIANT);
        ck_assert_int_eq(engine_apply(&c, only_motd, 1, &a), 0);
        ck_assert_int_eq(a.status, EXIT_COMPLIANT);
        ck_assert(!a.changed);
        ck_assert(!a.modules[0].ran);
        apply_result_done(&a);

        context_done(&c);
        ck_assert_int_ge(rm_rf_at(AT_FDCWD, root), 0);
}
END_TEST

START_TEST(test_engine_disabled) {
        _cleanup_policy_free_ Policy *p = load("version = 1;\nmotd = { text = \"x\"; };\n");
        _cleanup_free_ char *root = make_root();
        const Module *const only_motd[] = { &motd_module };
        FindingList l = {};
        Context c = { .policy = p, .live = false };

        c.root = root;
        ck_assert_int_eq(engine_probe(&c, only_motd, 1, &l), 0);
        ck_assert_uint_eq(l.n, 0);
        ck_assert_int_eq(engine_module_state(&c, &motd_module, &l), MODULE_STATE_DISABLED);
        context_done(&c);
        (void) rm_rf_at(AT_FDCWD, root);
}
END_TEST

START_TEST(test_hooks) {
        _cleanup_policy_free_ Policy *p = load(motd_conf);
        _cleanup_strv_free_ char **paths = NULL;
        WatchSpec *w = NULL;
        size_t n = 0;
        Context c = { .policy = p, .root = "/nonexistent", .live = false };

        ck_assert_int_eq(motd_module.snapshot_paths(&c, &paths), 0);
        ck_assert_uint_eq(strv_length(paths), 1);
        ck_assert_str_eq(paths[0], MOTD_PATH);

        ck_assert_int_eq(motd_module.watch(&c, &w, &n), 0);
        ck_assert_uint_eq(n, 1);
        ck_assert_str_eq(w[0].path, MOTD_DIR);
        ck_assert_uint_eq(strv_length(w[0].names), 1);
        ck_assert_str_eq(w[0].names[0], "motd");
        watch_spec_list_free(w, n);
}
END_TEST

TEST_MAIN("module-add", tcase_add_test(tc, test_policy_section); tcase_add_test(tc, test_policy_without_module);
          tcase_add_loop_test(tc, test_policy_bad, 0, ELEMENTSOF(bad_policies)); tcase_add_test(tc, test_engine);
          tcase_add_test(tc, test_engine_disabled); tcase_add_test(tc, test_hooks))
