/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "cli.h"
#include "firewall-forward.h"
#include "log.h"
#include "messages.h"
#include "metrics-host.h"
#include "modules.h"
#include "output.h"
#include "state.h"
#include "status.h"
#include "strv.h"
#include "sys/fileio.h"
#include "time-util.h"

char *arg_config = NULL;
char *arg_root = NULL;
unsigned arg_only = 0;
bool arg_json = false;
bool arg_force = false;
bool arg_prometheus = false;

int cli_parse_common(int c, const char *value) {
        switch (c) {
        case ARG_CONFIG:
                free(arg_config);
                arg_config = strdup(value);
                return arg_config ? 1 : log_oom();
        case ARG_ROOT: {
                struct stat st;

                if (value[0] != '/')
                        return log_error_errno(EINVAL, "--root: \"%s\" is not an absolute path.", value);
                if (stat(value, &st) < 0 || !S_ISDIR(st.st_mode))
                        return log_error_errno(ENOTDIR, "--root: \"%s\" is not a directory.", value);
                free(arg_root);
                arg_root = strdup(value);
                /* "/mnt/image/" and "/mnt/image" are the same root */
                while (arg_root && strlen(arg_root) > 1 && endswith(arg_root, "/"))
                        arg_root[strlen(arg_root) - 1] = 0;
                return arg_root ? 1 : log_oom();
        }
        case ARG_ONLY: {
                _cleanup_free_ char *bad = NULL;
                int r = module_mask_from_string(value, &arg_only, &bad);

                if (r == -EINVAL)
                        return log_error_errno(r, "--only: unknown module \"%s\" (firewall, ssh, admin, services).",
                                               strna(bad));
                return r < 0 ? log_oom() : 1;
        }
        case ARG_JSON:
                arg_json = true;
                return 1;
        case ARG_FORCE:
                arg_force = true;
                return 1;
        }
        return 0;
}

void cli_free(void) {
        free(arg_config);
        free(arg_root);
        arg_config = arg_root = NULL;
}

static int report_policy_error(PolicyError *e) {
        _cleanup_free_ char *text = NULL;

        if (policy_error_format(e, &text) < 0)
                return log_oom();
        log_error("%s", text);
        return -EINVAL;
}

int cli_load_policy(Policy **ret) {
        _cleanup_(policy_error_done) PolicyError e = {};
        _cleanup_free_ char *path = NULL;
        int r;

        if (arg_config) {
                r = policy_load_file(arg_config, ret, &e);
                return r < 0 ? report_policy_error(&e) : 0;
        }
        r = path_join_root(arg_root, POLICY_DEFAULT_PATH, &path);
        if (r < 0)
                return log_oom();
        if (access(path, F_OK) < 0 && errno == ENOENT)
                r = policy_load_builtin(ret, &e);
        else
                r = policy_load_file(path, ret, &e);
        return r < 0 ? report_policy_error(&e) : 0;
}

void cli_context_init(Context *c, const Policy *p) {
        *c = (Context){
                .policy = p,
                .root = arg_root ?: "/",
                .live = root_is_live(arg_root),
                .only = arg_only,
                .force = arg_force,
                .ssh_connection = getenv("SSH_CONNECTION"),
                .run_dir = root_is_live(arg_root) && geteuid() == 0 ? HARDEND_RUN_DIR : NULL,
        };
}

/* What the policy would do to this host that is worth a word before it is applied: a line on stderr
 * each, not a refusal. */
static void warn_policy(const Policy *p) {
        _cleanup_strv_free_ char **w = NULL;
        int r;

        r = fw_forward_warnings(p, &w);
        if (r < 0) {
                log_warning_errno(r, "Cannot look for container and VM bridges: %m");
                return;
        }
        STRV_FOREACH (s, w)
                log_warning("warning: %s", *s);
}

int verb_validate(const char *file) {
        _cleanup_(policy_error_done) PolicyError e = {};
        _cleanup_policy_free_ Policy *p = NULL;
        int r;

        if (file) {
                free(arg_config);
                arg_config = strdup(file);
                if (!arg_config)
                        return log_oom();
        }
        r = cli_load_policy(&p);
        if (r < 0)
                return EXIT_USAGE;
        warn_policy(p);
        if (arg_json) {
                json_object *o = json_object_new_object();

                json_object_object_add(o, "policy", json_object_new_string(p->source));
                json_object_object_add(o, "valid", json_object_new_boolean(true));
                json_object_object_add(o, "version", json_object_new_int((int) p->version));
                (void) json_print(o);
        } else
                printf("%s: valid (policy version %u)\n", p->source, p->version);
        return EXIT_COMPLIANT;
}

static int probe_all(Context *c, FindingList *l) {
        int r = engine_probe(c, hardend_modules, hardend_n_modules, l);

        if (r < 0)
                log_error_errno(r, "Failed to probe the system: %m");
        return r;
}

int verb_check(void) {
        _cleanup_policy_free_ Policy *p = NULL;
        _cleanup_(finding_list_done) FindingList l = {};
        _cleanup_(context_done) Context c = {};
        ExitStatus s;

        if (cli_load_policy(&p) < 0)
                return EXIT_USAGE;
        cli_context_init(&c, p);
        if (probe_all(&c, &l) < 0)
                return EXIT_FAILED;
        s = engine_check_status(&l);
        if (arg_json) {
                json_object *o = json_object_new_object();

                json_object_object_add(o, "policy", json_object_new_string(p->source));
                json_object_object_add(o, "root", json_object_new_string(c.root));
                json_object_object_add(o, "compliant", json_object_new_boolean(s == EXIT_COMPLIANT));
                json_object_object_add(o, "modules", json_modules(&c, hardend_modules, hardend_n_modules, &l));
                json_object_object_add(o, "findings", json_findings(&l, NULL));
                (void) json_print(o);
        } else {
                print_policy_header(&c);
                print_modules(&c, hardend_modules, hardend_n_modules, &l);
                printf("%s\n", s == EXIT_COMPLIANT ? "Compliant." : "Drift found.");
        }
        return s;
}

int verb_plan(void) {
        _cleanup_policy_free_ Policy *p = NULL;
        _cleanup_(finding_list_done) FindingList l = {};
        _cleanup_(context_done) Context c = {};
        size_t n;

        if (cli_load_policy(&p) < 0)
                return EXIT_USAGE;
        warn_policy(p);
        cli_context_init(&c, p);
        if (probe_all(&c, &l) < 0)
                return EXIT_FAILED;
        n = finding_list_count_fixable(&l, NULL);
        if (arg_json) {
                json_object *o = json_object_new_object(), *changes = json_object_new_array();

                for (size_t i = 0; i < l.n; i++)
                        if (l.items[i].fixable && l.items[i].kind == FINDING_DRIFT)
                                json_object_array_add(changes, json_finding(&l.items[i]));
                json_object_object_add(o, "policy", json_object_new_string(p->source));
                json_object_object_add(o, "root", json_object_new_string(c.root));
                json_object_object_add(o, "changes", changes);
                json_object_object_add(o, "findings", json_findings(&l, NULL));
                (void) json_print(o);
        } else {
                print_policy_header(&c);
                if (hardend_n_modules == 0)
                        printf("No modules are built into this version.\n");
                for (size_t i = 0; i < hardend_n_modules; i++) {
                        const Module *m = hardend_modules[i];
                        ModuleState s = engine_module_state(&c, m, &l);

                        if (s == MODULE_STATE_SKIPPED || s == MODULE_STATE_DISABLED) {
                                printf("%-9s %s\n", m->name, module_state_to_string(s));
                                continue;
                        }
                        printf("%-9s %zu change(s)\n", m->name, finding_list_count_fixable(&l, m->name));
                        print_findings(&l, m->name, false, "  ");
                }
                printf("%s\n", n == 0 ? "Nothing to change." : "Run \"hardenctl apply\" to make these changes.");
        }
        return n > 0 ? EXIT_DRIFT : EXIT_COMPLIANT;
}

/* The journal events of an apply (messages.h): one per failing module, and the outcome. */
static void log_apply_result(const ApplyResult *a) {
        const char *result = apply_result_to_string(a);

        for (size_t i = 0; i < a->n_modules; i++) {
                const LogField fields[] = { { "HARDEND_MODULE", a->modules[i].module->name },
                                            { "HARDEND_RESULT", result } };

                if (a->modules[i].outcome.error)
                        (void) log_event(LOG_ERR,
                                         a->refused ? HARDEND_MESSAGE_APPLY_REFUSED : HARDEND_MESSAGE_APPLY_FAILED,
                                         fields, ELEMENTSOF(fields), "%s: %s", a->modules[i].module->name,
                                         a->modules[i].outcome.error);
        }
        {
                const LogField fields[] = { { "HARDEND_RESULT", result } };

                if (a->refused)
                        (void) log_event(LOG_ERR, HARDEND_MESSAGE_APPLY_REFUSED, fields, ELEMENTSOF(fields),
                                         "Refused: nothing was changed.%s",
                                         a->status == EXIT_REFUSED ? " (--force overrides the anti-lockout checks)"
                                                                   : "");
                else if (a->status != EXIT_COMPLIANT)
                        (void) log_event(LOG_ERR, HARDEND_MESSAGE_APPLY_FAILED, fields, ELEMENTSOF(fields),
                                         "Apply failed.");
                else
                        (void) log_event(LOG_INFO, HARDEND_MESSAGE_APPLIED, fields, ELEMENTSOF(fields), "%s",
                                         a->changed ? "Applied." : "Already compliant; nothing changed.");
        }
}

bool cli_watcher_up(Context *c) {
        _cleanup_(watcher_state_done) WatcherState w = {};

        return status_read_watcher(c, &w) >= 0 && w.known && streq_ptr(w.active_state, "active");
}

/* The Prometheus textfile after an apply, from the apply's own probes (no probe more): on the live
 * system only, like the state record. Modules --only left out have no compliance series. */
static void write_metrics_after_apply(Context *c, const ApplyResult *a, bool rolled_back) {
        _cleanup_(finding_list_done) FindingList l = {};
        _cleanup_free_ char *text = NULL;
        const char *path = c->policy->report.prometheus_textfile;
        int r;

        if (!c->live || !metrics_textfile_wanted(c->policy, c->root))
                return;
        r = metrics_apply_findings(a, rolled_back, &l);
        if (r >= 0)
                r = metrics_host_render(c, hardend_modules, hardend_n_modules, &l, now_realtime_usec(),
                                        cli_watcher_up(c), &text);
        if (r >= 0)
                r = metrics_write_textfile(c->root, path, text);
        if (r < 0)
                log_warning_errno(r, "Cannot write the metrics to %s: %m", path);
}

/* Context.ready: under a Type=notify unit (the first boot's), what sshd's start waits for is in
 * place; the rest of the apply goes on beside it. No-op without $NOTIFY_SOCKET. */
static void notify_ready(Context *c) {
        (void) sd_notify(false, "READY=1\nSTATUS=What sshd's start waits for is applied; finishing the apply.");
}

int verb_apply(unsigned confirm_sec) {
        _cleanup_policy_free_ Policy *p = NULL;
        _cleanup_(apply_result_done) ApplyResult a = {};
        _cleanup_(context_done) Context c = {};
        _cleanup_(confirm_session_done) ConfirmSession cs = CONFIRM_SESSION_INIT;
        _cleanup_close_ int lock_fd = -EBADF;
        int r;

        if (cli_load_policy(&p) < 0)
                return EXIT_USAGE;
        cli_context_init(&c, p);
        c.ready = notify_ready;
        if (c.run_dir) {
                lock_fd = apply_lock(c.run_dir, LOCK_EX | LOCK_NB);
                if (lock_fd == -EAGAIN) {
                        /* not for as long as a confirmation may take: that one is refused */
                        r = confirm_refuse_if_waiting(&c);
                        if (r != 0)
                                return r;
                        log_info("Another apply is running; waiting for it to finish.");
                        lock_fd = apply_lock(c.run_dir, LOCK_EX);
                }
                if (lock_fd < 0) {
                        log_error_errno(lock_fd, "Cannot take %s/" APPLY_LOCK_FILE ": %m", c.run_dir);
                        return EXIT_FAILED;
                }
        }
        if (confirm_sec > 0 && (r = confirm_begin(&c, &cs)) != 0)
                return r;
        r = engine_apply(&c, hardend_modules, hardend_n_modules, &a);
        /* an apply that had nothing to do, or failed before ready: the unit's start is over */
        (void) sd_notify(false, "READY=1");
        if (r < 0) {
                (void) log_event(LOG_ERR, HARDEND_MESSAGE_APPLY_FAILED, NULL, 0, "Apply failed: %s", strerror(-r));
                return confirm_sec > 0 ? confirm_abort(&c, &cs, "the apply failed") : EXIT_FAILED;
        }
        if (arg_json) {
                json_object *o = json_apply_result(&a);

                json_object_object_add(o, "policy", json_object_new_string(p->source));
                json_object_object_add(o, "root", json_object_new_string(c.root));
                (void) json_print(o);
        } else {
                print_policy_header(&c);
                if (hardend_n_modules == 0)
                        printf("No modules are built into this version.\n");
                print_apply_result(&a);
        }
        log_apply_result(&a);
        /* An image tree gets no record: its own first boot must still run on each instance. */
        r = c.live ? state_record_apply(c.root, p, c.only, &a, now_realtime_usec()) : 0;
        if (r < 0)
                log_warning_errno(r, "Cannot record the apply in %s: %m", STATE_PATH);
        write_metrics_after_apply(&c, &a, false);
        /* the firewall unit's apply asks now what the first boot's would ask on sshd's path;
         * what it could not learn is asked again then */
        if (confirm_sec == 0)
                (void) engine_prefetch(&c, hardend_modules, hardend_n_modules);
        if (confirm_sec > 0) {
                int status = confirm_end(&c, &cs, &a, confirm_sec);

                /* EXIT_FAILED: rolled back to what the first probe saw */
                write_metrics_after_apply(&c, &a, status == EXIT_FAILED);
                return status;
        }
        return a.status;
}
