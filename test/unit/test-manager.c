/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The watcher with fake modules: drift logged once, resolved once, nothing while it persists,
 * repair, coalescing of bursts, policy reload; and the state file. Events through the log sink. */
#include <check.h>

#include "test-main.h"
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "log.h"
#include "manager-watch.h"
#include "modules.h"
#include "manager.h"
#include "messages.h"
#include "state.h"
#include "strv.h"
#include "sys/fileio.h"

/* ---- fake modules: "actual" is what probe reads, apply sets it to "want" ---------------------- */

typedef struct FakeState {
        int actual[_MODULE_MAX];
        int want[_MODULE_MAX];
        bool unknown[_MODULE_MAX];
        int apply_calls[_MODULE_MAX];
        int probe_calls[_MODULE_MAX];
} FakeState;

static FakeState fake;

static bool fake_enabled(const Policy *p) {
        return true;
}

static int fake_probe_id(ModuleId id, FindingList *out) {
        char e[16], a[16];

        fake.probe_calls[id]++;
        if (fake.unknown[id])
                return finding_add(out, &(Finding){ .module = (char *) module_id_to_string(id),
                                                    .check = "bus",
                                                    .subject = "systemd",
                                                    .kind = FINDING_UNKNOWN,
                                                    .actual = "no system bus" });
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

/* The fake modules watch what the real ones do (the watcher's directories are the modules'). */
static int fake_watch(Context *c, WatchSpec **l, size_t *n) {
        for (size_t i = 0; i < hardend_n_modules; i++) {
                int r = hardend_modules[i]->watch ? hardend_modules[i]->watch(c, l, n) : 0;

                if (r < 0)
                        return r;
        }
        return 0;
}

#define FAKE_MODULE(ID, lower)                                                      \
        static int lower##_probe(Context *c, FindingList *out) {                    \
                return fake_probe_id(ID, out);                                      \
        }                                                                           \
        static int lower##_apply(Context *c, const FindingList *mine, Outcome *o) { \
                fake.apply_calls[ID]++;                                             \
                fake.actual[ID] = fake.want[ID];                                    \
                return outcome_change(o, "set x to %d", fake.want[ID]);             \
        }                                                                           \
        static const Module lower##_module = { .id = ID,                            \
                                               .name = #lower,                      \
                                               .enabled = fake_enabled,             \
                                               .probe = lower##_probe,              \
                                               .apply = lower##_apply,              \
                                               .watch = fake_watch };

FAKE_MODULE(MODULE_FIREWALL, firewall)
FAKE_MODULE(MODULE_SSH, ssh)

static const Module *const mods[] = { &firewall_module, &ssh_module };

/* ---- the log sink ----------------------------------------------------------------------------- */

typedef struct Event {
        int level;
        char *id; /* NULL: a plain message */
        char *module, *check, *subject, *expected, *actual;
        char *message;
} Event;

static Event events[64];
static size_t n_events;

static const char *field(const LogField *f, size_t n, const char *name) {
        for (size_t i = 0; i < n; i++)
                if (streq(f[i].name, name))
                        return f[i].value;
        return NULL;
}

static char *dup_or_null(const char *s) {
        return s ? strdup(s) : NULL;
}

static void sink(int level, const char *id, const LogField *f, size_t n, const char *message, void *userdata) {
        if (n_events >= ELEMENTSOF(events) || level == LOG_DEBUG) /* the per-probe trace is not an event */
                return;
        events[n_events++] = (Event){
                .level = level,
                .id = dup_or_null(id),
                .module = dup_or_null(field(f, n, "HARDEND_MODULE")),
                .check = dup_or_null(field(f, n, "HARDEND_CHECK")),
                .subject = dup_or_null(field(f, n, "HARDEND_SUBJECT")),
                .expected = dup_or_null(field(f, n, "HARDEND_EXPECTED")),
                .actual = dup_or_null(field(f, n, "HARDEND_ACTUAL")),
                .message = strdup(message),
        };
}

static size_t count_id(const char *id) {
        size_t c = 0;

        for (size_t i = 0; i < n_events; i++)
                if (streq_ptr(events[i].id, id))
                        c++;
        return c;
}

static const Event *find_id(const char *id) {
        for (size_t i = 0; i < n_events; i++)
                if (streq_ptr(events[i].id, id))
                        return &events[i];
        return NULL;
}

static void clear_events(void) {
        for (size_t i = 0; i < n_events; i++) {
                Event *e = &events[i];

                free(e->id);
                free(e->module);
                free(e->check);
                free(e->subject);
                free(e->expected);
                free(e->actual);
                free(e->message);
        }
        n_events = 0;
}

static char tmp_root[] = "/tmp/test-manager.XXXXXX";

static void setup(void) {
        fake = (FakeState){};
        n_events = 0;
        log_set_max_level(LOG_DEBUG);
        log_set_sink(sink, NULL);
        ck_assert_ptr_nonnull(mkdtemp(tmp_root));
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path) < 0 ? -errno : 0;
}

static void teardown(void) {
        (void) nftw(tmp_root, remove_one, 16, FTW_DEPTH | FTW_PHYS);
        clear_events();
        log_set_sink(NULL, NULL);
}

static Manager *new_manager(WatchMode mode, const char *config) {
        PolicyError e = {};
        Policy *p = NULL;
        Manager *m = NULL;

        ck_assert_int_eq(policy_load_builtin(&p, &e), 0);
        p->watch.mode = mode;
        ck_assert_int_eq(manager_new(&(ManagerOptions){ .config = config,
                                                        .root = tmp_root,
                                                        .modules = mods,
                                                        .n_modules = ELEMENTSOF(mods),
                                                        .defer_usec = 50 * 1000 },
                                     p, &m),
                         0);
        return m;
}

/* Runs the loop until the probe count reaches want or a second passes. */
static void run_until_probes(Manager *m, unsigned want) {
        for (int i = 0; i < 100 && manager_get_probe_count(m) < want; i++)
                ck_assert_int_ge(sd_event_run(manager_get_event(m), 10 * 1000), 0);
}

/* Runs the loop for usec, whatever happens. */
static void run_for(Manager *m, uint64_t usec) {
        uint64_t start, now;

        ck_assert_int_ge(sd_event_now(manager_get_event(m), CLOCK_MONOTONIC, &start), 0);
        do {
                ck_assert_int_ge(sd_event_run(manager_get_event(m), 10 * 1000), 0);
                ck_assert_int_ge(sd_event_now(manager_get_event(m), CLOCK_MONOTONIC, &now), 0);
        } while (now - start < usec);
}

START_TEST(test_drift_once_persist_resolve) {
        _cleanup_(manager_freep) Manager *m = new_manager(WATCH_MODE_REPORT, NULL);
        const Event *e;

        ck_assert_int_eq(manager_probe(m, 0), 0);
        ck_assert_uint_eq(count_id(HARDEND_MESSAGE_DRIFT_DETECTED), 0);
        ck_assert_str_eq(manager_get_status(m), "compliant");

        fake.actual[MODULE_SSH] = 1;
        ck_assert_int_eq(manager_probe(m, 0), 0);
        ck_assert_uint_eq(count_id(HARDEND_MESSAGE_DRIFT_DETECTED), 1);
        e = find_id(HARDEND_MESSAGE_DRIFT_DETECTED);
        ck_assert_int_eq(e->level, LOG_WARNING);
        ck_assert_str_eq(e->module, "ssh");
        ck_assert_str_eq(e->check, "value");
        ck_assert_str_eq(e->subject, "x");
        ck_assert_str_eq(e->expected, "0");
        ck_assert_str_eq(e->actual, "1");
        ck_assert_str_eq(e->message, "Drift detected: ssh/value x: expected 0, actual 1");
        ck_assert_str_eq(manager_get_status(m), "1 drift: ssh");

        /* it persists: nothing more, however often we look */
        for (int i = 0; i < 3; i++)
                ck_assert_int_eq(manager_probe(m, 0), 0);
        ck_assert_uint_eq(count_id(HARDEND_MESSAGE_DRIFT_DETECTED), 1);
        ck_assert_uint_eq(count_id(HARDEND_MESSAGE_DRIFT_RESOLVED), 0);

        /* a second module drifts too */
        fake.actual[MODULE_FIREWALL] = 7;
        ck_assert_int_eq(manager_probe(m, 0), 0);
        ck_assert_uint_eq(count_id(HARDEND_MESSAGE_DRIFT_DETECTED), 2);
        ck_assert_str_eq(manager_get_status(m), "2 drifts: firewall, ssh");

        fake.actual[MODULE_SSH] = 0;
        ck_assert_int_eq(manager_probe(m, 0), 0);
        ck_assert_int_eq(manager_probe(m, 0), 0);
        ck_assert_uint_eq(count_id(HARDEND_MESSAGE_DRIFT_RESOLVED), 1);
        e = find_id(HARDEND_MESSAGE_DRIFT_RESOLVED);
        ck_assert_int_eq(e->level, LOG_NOTICE);
        ck_assert_str_eq(e->module, "ssh");
        ck_assert_str_eq(e->subject, "x");
        ck_assert_str_eq(manager_get_status(m), "1 drift: firewall");
        ck_assert_uint_eq(count_id(HARDEND_MESSAGE_REPAIRED), 0);
        ck_assert_int_eq(fake.apply_calls[MODULE_SSH] + fake.apply_calls[MODULE_FIREWALL], 0);
}
END_TEST

START_TEST(test_changed_actual_is_a_new_drift) {
        _cleanup_(manager_freep) Manager *m = new_manager(WATCH_MODE_REPORT, NULL);

        fake.actual[MODULE_FIREWALL] = 1;
        ck_assert_int_eq(manager_probe(m, 0), 0);
        fake.actual[MODULE_FIREWALL] = 2;
        ck_assert_int_eq(manager_probe(m, 0), 0);
        ck_assert_uint_eq(count_id(HARDEND_MESSAGE_DRIFT_DETECTED), 2);
        ck_assert_uint_eq(count_id(HARDEND_MESSAGE_DRIFT_RESOLVED), 0);
        ck_assert_str_eq(events[n_events - 1].actual, "2");
}
END_TEST

START_TEST(test_partial_probe_keeps_other_modules) {
        _cleanup_(manager_freep) Manager *m = new_manager(WATCH_MODE_REPORT, NULL);

        fake.actual[MODULE_FIREWALL] = 1;
        fake.actual[MODULE_SSH] = 1;
        ck_assert_int_eq(manager_probe(m, 0), 0);
        ck_assert_uint_eq(count_id(HARDEND_MESSAGE_DRIFT_DETECTED), 2);
        /* a probe of ssh alone does not resolve the firewall's drift */
        ck_assert_int_eq(manager_probe(m, 1u << MODULE_SSH), 0);
        ck_assert_uint_eq(count_id(HARDEND_MESSAGE_DRIFT_RESOLVED), 0);
        ck_assert_uint_eq(count_id(HARDEND_MESSAGE_DRIFT_DETECTED), 2);
        ck_assert_uint_eq(manager_get_findings(m)->n, 2);
        ck_assert_int_eq(fake.probe_calls[MODULE_FIREWALL], 1);
        ck_assert_int_eq(fake.probe_calls[MODULE_SSH], 2);
}
END_TEST

START_TEST(test_unknown_said_once) {
        _cleanup_(manager_freep) Manager *m = new_manager(WATCH_MODE_REPORT, NULL);
        size_t n;

        fake.unknown[MODULE_SSH] = true;
        ck_assert_int_eq(manager_probe(m, 0), 0);
        n = n_events;
        ck_assert_uint_ge(n, 1);
        ck_assert_ptr_null(events[n - 1].id);
        ck_assert_ptr_nonnull(strstr(events[n - 1].message, "Cannot check: ssh/bus systemd"));
        ck_assert_int_eq(manager_probe(m, 0), 0);
        ck_assert_uint_eq(n_events, n);
        ck_assert_uint_eq(count_id(HARDEND_MESSAGE_DRIFT_DETECTED), 0);
        ck_assert_str_eq(manager_get_status(m), "compliant (1 check unknown)");
}
END_TEST

START_TEST(test_repair_mode) {
        _cleanup_(manager_freep) Manager *m = new_manager(WATCH_MODE_REPAIR, NULL);
        HardendState s = {};
        const Event *e;

        ck_assert_int_eq(manager_probe(m, 0), 0);
        fake.actual[MODULE_SSH] = 3;
        ck_assert_int_eq(manager_probe(m, 0), 0);
        ck_assert_int_eq(fake.apply_calls[MODULE_SSH], 1);
        ck_assert_int_eq(fake.apply_calls[MODULE_FIREWALL], 0);
        ck_assert_int_eq(fake.actual[MODULE_SSH], 0);
        ck_assert_uint_eq(count_id(HARDEND_MESSAGE_DRIFT_DETECTED), 1);
        ck_assert_uint_eq(count_id(HARDEND_MESSAGE_REPAIRED), 1);
        e = find_id(HARDEND_MESSAGE_REPAIRED);
        ck_assert_str_eq(e->module, "ssh");
        ck_assert_str_eq(e->message, "Repaired ssh: set x to 0");
        /* the re-probe after the repair says it is resolved, once */
        ck_assert_uint_eq(count_id(HARDEND_MESSAGE_DRIFT_RESOLVED), 1);
        ck_assert_str_eq(manager_get_status(m), "compliant");
        ck_assert_int_eq(manager_probe(m, 0), 0);
        ck_assert_uint_eq(count_id(HARDEND_MESSAGE_DRIFT_RESOLVED), 1);
        ck_assert_int_eq(fake.apply_calls[MODULE_SSH], 1);

        /* the repair is recorded like an apply */
        ck_assert_int_eq(state_read(tmp_root, &s), 0);
        ck_assert_str_eq(s.apply_result, "applied");
        ck_assert_str_eq(s.apply_modules, "ssh");
        ck_assert_ptr_null(s.firstboot_instance_id);
        hardend_state_done(&s);
}
END_TEST

START_TEST(test_coalescing) {
        _cleanup_(manager_freep) Manager *m = new_manager(WATCH_MODE_REPORT, NULL);
        unsigned base;

        ck_assert_int_eq(manager_probe(m, 0), 0);
        base = manager_get_probe_count(m);
        for (int i = 0; i < 20; i++)
                ck_assert_int_ge(manager_queue_probe(m, 1u << MODULE_SSH), 0);
        ck_assert_uint_eq(manager_get_probe_count(m), base); /* deferred */
        run_until_probes(m, base + 1);
        run_for(m, 150 * 1000);
        ck_assert_uint_eq(manager_get_probe_count(m), base + 1);
        ck_assert_int_eq(fake.probe_calls[MODULE_FIREWALL], 1); /* only ssh was asked for */

        /* a later change is a new burst */
        ck_assert_int_ge(manager_queue_probe(m, 0), 0);
        run_until_probes(m, base + 2);
        ck_assert_uint_eq(manager_get_probe_count(m), base + 2);
}
END_TEST

static void write_at(const char *rel, const char *text) {
        _cleanup_free_ char *p = NULL;
        FILE *f;

        ck_assert_int_ge(asprintf(&p, "%s%s", tmp_root, rel), 0);
        f = fopen(p, "we");
        ck_assert_ptr_nonnull(f);
        fputs(text, f);
        ck_assert_int_eq(fclose(f), 0);
}

static void mkdir_at(const char *rel) {
        _cleanup_free_ char *p = NULL;

        ck_assert_int_ge(asprintf(&p, "%s%s", tmp_root, rel), 0);
        ck_assert_int_eq(mkdir(p, 0755), 0);
}

START_TEST(test_inotify_burst_is_one_probe) {
        _cleanup_(manager_freep) Manager *m = NULL;
        unsigned base;

        mkdir_at("/etc");
        mkdir_at("/etc/ssh");
        mkdir_at("/etc/ssh/sshd_config.d");
        write_at("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\n");
        m = new_manager(WATCH_MODE_REPORT, NULL);
        ck_assert_int_eq(manager_startup(m), 0);
        ck_assert_uint_eq(manager_get_n_watches(m), 3);
        base = manager_get_probe_count(m);

        /* a file that is not ours in /etc: nothing */
        write_at("/etc/motd", "hello\n");
        run_for(m, 200 * 1000);
        ck_assert_uint_eq(manager_get_probe_count(m), base);

        /* a burst of changes in a watched drop-in directory: one probe */
        for (int i = 0; i < 10; i++)
                write_at("/etc/ssh/sshd_config.d/10-test.conf", "PasswordAuthentication yes\n");
        run_until_probes(m, base + 1);
        run_for(m, 200 * 1000);
        ck_assert_uint_eq(manager_get_probe_count(m), base + 1);

        /* the admin arrives (useradd: home, then passwd): its home is watched from the next probe */
        mkdir_at("/home");
        mkdir_at("/home/admin");
        write_at("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\nadmin:x:1000:1000::/home/admin:/bin/sh\n");
        run_until_probes(m, base + 2);
        ck_assert_uint_eq(manager_get_n_watches(m), 4);
        /* ~/.ssh appears: seen through the watch on the home, and watched from then on */
        mkdir_at("/home/admin/.ssh");
        run_until_probes(m, base + 3);
        ck_assert_uint_eq(manager_get_probe_count(m), base + 3);
        ck_assert_uint_eq(manager_get_n_watches(m), 5);
        write_at("/home/admin/.ssh/authorized_keys", "ssh-ed25519 AAAA test\n");
        run_until_probes(m, base + 4);
        ck_assert_uint_eq(manager_get_probe_count(m), base + 4);
        /* chmod is a change too */
        {
                _cleanup_free_ char *p = NULL;

                ck_assert_int_ge(asprintf(&p, "%s/home/admin/.ssh/authorized_keys", tmp_root), 0);
                ck_assert_int_eq(chmod(p, 0644), 0);
        }
        run_until_probes(m, base + 5);
        ck_assert_uint_eq(manager_get_probe_count(m), base + 5);
}
END_TEST

START_TEST(test_reload_keeps_old_policy_on_error) {
        _cleanup_free_ char *conf = NULL, *want = NULL;
        _cleanup_(manager_freep) Manager *m = NULL;
        const Policy *before;
        const Event *e;

        ck_assert_int_ge(asprintf(&conf, "%s/hardend.conf", tmp_root), 0);
        write_at("/hardend.conf", "version = 1;\nwatch = { interval = 5; mode = \"report\"; };\n");
        m = new_manager(WATCH_MODE_REPORT, conf);
        ck_assert_int_eq(manager_reload(m), 0);
        before = manager_get_policy(m);
        ck_assert_uint_eq(before->watch.interval, 5);

        write_at("/hardend.conf", "version = 1;\nwatch = { interval = 5; mode = \"fix\"; };\n");
        ck_assert_int_eq(manager_reload(m), -EINVAL);
        ck_assert_ptr_eq(manager_get_policy(m), before);
        ck_assert_uint_eq(count_id(HARDEND_MESSAGE_POLICY_ERROR), 1);
        e = find_id(HARDEND_MESSAGE_POLICY_ERROR);
        ck_assert_int_eq(e->level, LOG_ERR);
        ck_assert_int_ge(asprintf(&want, "%s:2: ", conf), 0);
        ck_assert_msg(startswith(e->message, want), "message \"%s\" lacks FILE:LINE", e->message);
        ck_assert_ptr_nonnull(strstr(e->message, "keeping the previous policy"));

        /* the old policy is still in force: report mode, no repair */
        fake.actual[MODULE_SSH] = 1;
        ck_assert_int_eq(manager_probe(m, 0), 0);
        ck_assert_int_eq(fake.apply_calls[MODULE_SSH], 0);

        /* a good one replaces it */
        write_at("/hardend.conf", "version = 1;\nwatch = { interval = 9; mode = \"repair\"; };\n");
        ck_assert_int_eq(manager_reload(m), 0);
        ck_assert_uint_eq(manager_get_policy(m)->watch.interval, 9);
        ck_assert_int_eq(manager_get_policy(m)->watch.mode, WATCH_MODE_REPAIR);
}
END_TEST

/* The reload reads the policy through the same bounded loader: too large or not a file is refused. */
START_TEST(test_reload_refuses_oversized_policy) {
        _cleanup_free_ char *conf = NULL, *want = NULL;
        _cleanup_(manager_freep) Manager *m = NULL;
        const Policy *before;
        int fd;

        ck_assert_int_ge(asprintf(&conf, "%s/hardend.conf", tmp_root), 0);
        write_at("/hardend.conf", "version = 1;\nwatch = { interval = 5; };\n");
        m = new_manager(WATCH_MODE_REPORT, conf);
        ck_assert_int_eq(manager_reload(m), 0);
        before = manager_get_policy(m);

        fd = open(conf, O_WRONLY | O_CLOEXEC);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(ftruncate(fd, 10 * 1024 * 1024), 0);
        close(fd);
        ck_assert_int_eq(manager_reload(m), -EINVAL);
        ck_assert_ptr_eq(manager_get_policy(m), before);
        ck_assert_int_ge(asprintf(&want, "%s: 10485760 bytes, larger than the 4 MiB limit", conf), 0);
        ck_assert_msg(startswith(find_id(HARDEND_MESSAGE_POLICY_ERROR)->message, want), "%s",
                      find_id(HARDEND_MESSAGE_POLICY_ERROR)->message);

        ck_assert_int_eq(unlink(conf), 0);
        ck_assert_int_eq(mkfifo(conf, 0600), 0);
        ck_assert_int_eq(manager_reload(m), -EINVAL);
        ck_assert_ptr_eq(manager_get_policy(m), before);
        ck_assert_uint_eq(count_id(HARDEND_MESSAGE_POLICY_ERROR), 2);
}
END_TEST

START_TEST(test_sighup_reloads) {
        _cleanup_free_ char *conf = NULL;
        _cleanup_(manager_freep) Manager *m = NULL;

        ck_assert_int_ge(asprintf(&conf, "%s/hardend.conf", tmp_root), 0);
        write_at("/hardend.conf", "version = 1;\nwatch = { interval = 5; };\n");
        m = new_manager(WATCH_MODE_REPORT, conf);
        ck_assert_int_eq(manager_startup(m), 0);
        write_at("/hardend.conf", "version = 1;\nwatch = { interval = 7; };\n");
        ck_assert_int_eq(raise(SIGHUP), 0);
        for (int i = 0; i < 50 && manager_get_policy(m)->watch.interval != 7; i++)
                ck_assert_int_ge(sd_event_run(manager_get_event(m), 10 * 1000), 0);
        ck_assert_uint_eq(manager_get_policy(m)->watch.interval, 7);

        /* SIGTERM ends the loop cleanly */
        ck_assert_int_eq(raise(SIGTERM), 0);
        ck_assert_int_eq(manager_run(m), 0);
}
END_TEST

/* ---- the state file --------------------------------------------------------------------------- */

START_TEST(test_state_and_firstboot) {
        _cleanup_free_ char *id = NULL;
        PolicyError pe = {};
        Policy *p = NULL;
        ApplyResult a = { .status = EXIT_COMPLIANT, .changed = true };
        HardendState s = {};

        ck_assert_int_eq(policy_load_builtin(&p, &pe), 0);
        mkdir_at("/etc");
        /* no id at all: the first boot is needed while there is no record */
        ck_assert_int_eq(state_instance_id(tmp_root, &id), -ENXIO);
        ck_assert_int_eq(state_firstboot_needed(tmp_root, NULL), 1);

        write_at("/etc/machine-id", "0123456789abcdef0123456789abcdef\n");
        ck_assert_int_eq(state_instance_id(tmp_root, &id), 0);
        ck_assert_str_eq(id, "0123456789abcdef0123456789abcdef");
        free(id);
        id = NULL;

        /* an image-tree apply never marks the first boot as done */
        ck_assert_int_eq(state_record_apply(tmp_root, p, 0, &a, 1700000000000000ULL), 0);
        ck_assert_int_eq(state_read(tmp_root, &s), 0);
        ck_assert_uint_eq(s.apply_usec, 1700000000000000ULL);
        ck_assert_str_eq(s.apply_result, "applied");
        ck_assert_str_eq(s.apply_modules, "all");
        ck_assert_str_eq(s.instance_id, "0123456789abcdef0123456789abcdef");
        ck_assert(startswith(s.policy_digest, "sha256:"));
        ck_assert_uint_eq(strlen(s.policy_digest), 7 + 64);
        ck_assert_ptr_null(s.firstboot_instance_id);
        ck_assert_int_eq(state_firstboot_needed(tmp_root, NULL), 1);

        /* a record for this instance: not needed; cloud-init's id takes precedence */
        s.firstboot_instance_id = strdup("0123456789abcdef0123456789abcdef");
        ck_assert_int_eq(state_write(tmp_root, &s), 0);
        ck_assert_int_eq(state_firstboot_needed(tmp_root, NULL), 0);
        mkdir_at("/var/lib/cloud"); /* /var/lib was made by the state write */
        mkdir_at("/var/lib/cloud/data");
        write_at("/var/lib/cloud/data/instance-id", "i-0abc123\n");
        ck_assert_int_eq(state_firstboot_needed(tmp_root, &id), 1);
        ck_assert_str_eq(id, "i-0abc123");
        hardend_state_done(&s);

        /* a newline in a value would forge a key: refused */
        s.apply_result = strdup("applied\nFIRSTBOOT_INSTANCE_ID=x");
        ck_assert_int_eq(state_write(tmp_root, &s), -EINVAL);
        hardend_state_done(&s);
        policy_free(p);
}
END_TEST

/* The admin's home from passwd through AcctDb: the watch on it only while passwd parses. */
static bool watches_home(const char *passwd, const char *home) {
        _cleanup_policy_free_ Policy *p = NULL;
        PolicyError e = {};
        WatchSpec *l = NULL;
        size_t n = 0;
        bool found = false;

        write_at("/etc/passwd", passwd);
        ck_assert_int_eq(policy_load_builtin(&p, &e), 0);
        p->admin.enable = true;
        {
                _cleanup_(context_done) Context c = { .policy = p, .root = tmp_root };

                ck_assert_int_eq(watch_specs_build(&c, hardend_modules, hardend_n_modules, &l, &n), 0);
        }
        for (size_t i = 0; i < n; i++)
                if (streq(l[i].path, home))
                        found = true;
        watch_spec_list_free(l, n);
        return found;
}

START_TEST(test_watch_admin_home) {
        mkdir_at("/etc");
        ck_assert(watches_home("root:x:0:0:root:/root:/bin/bash\nadm:x:3:4::/var/adm:/bin/sh\n"
                               "admin:x:1000:1000:Admin,,,:/home/admin:/bin/bash\n",
                               "/home/admin"));
        /* "adm" is not "admin" (nor the other way round) */
        ck_assert(!watches_home("root:x:0:0:root:/root:/bin/bash\nadm:x:3:4::/var/adm:/bin/sh\n", "/var/adm"));
        ck_assert(!watches_home("root:x:0:0:root:/root:/bin/bash\n", "/home/admin"));
        /* a malformed line anywhere: passwd cannot be read, no home to watch (the passwd watch stays) */
        ck_assert(!watches_home("admin:x:1000:1000::/home/admin:/bin/bash\nbroken line\n", "/home/admin"));
        ck_assert(!watches_home("admin:x:1000:1000::home/admin:/bin/bash\n", "home/admin")); /* not absolute */
}
END_TEST

int main(void) {
        Suite *s = suite_create("manager");
        TCase *tc = tcase_create("core");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_drift_once_persist_resolve);
        tcase_add_test(tc, test_changed_actual_is_a_new_drift);
        tcase_add_test(tc, test_partial_probe_keeps_other_modules);
        tcase_add_test(tc, test_unknown_said_once);
        tcase_add_test(tc, test_repair_mode);
        tcase_add_test(tc, test_coalescing);
        tcase_add_test(tc, test_inotify_burst_is_one_probe);
        tcase_add_test(tc, test_reload_keeps_old_policy_on_error);
        tcase_add_test(tc, test_reload_refuses_oversized_policy);
        tcase_add_test(tc, test_sighup_reloads);
        tcase_add_test(tc, test_state_and_firstboot);
        tcase_add_test(tc, test_watch_admin_home);
        suite_add_tcase(s, tc);
        return test_run_suite(s);
}
