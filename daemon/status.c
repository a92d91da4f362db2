/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hardenctl status: the probe per module, the last apply, the watcher, the latest drift events. */
#include <stdio.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <time.h>

#include "cli.h"
#include "log.h"
#include "metrics-host.h"
#include "modules.h"
#include "output.h"
#include "state.h"
#include "status.h"
#include "strv.h"
#include "sys/sshd-socket.h"
#include "time-util.h"

#define STATUS_MAX_EVENTS 10

static void format_usec(uint64_t usec, char *buf, size_t size) {
        time_t t = (time_t) (usec / 1000000ULL);
        struct tm tm;

        if (usec == 0 || !gmtime_r(&t, &tm) || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                snprintf(buf, size, "n/a");
}

static void json_add_string(json_object *o, const char *key, const char *v) {
        json_object_object_add(o, key, v ? json_object_new_string(v) : NULL);
}

static json_object *json_last_apply(const HardendState *s, bool have, const char *digest) {
        json_object *o;
        char when[64];

        if (!have || s->apply_usec == 0)
                return NULL;
        o = json_object_new_object();
        format_usec(s->apply_usec, when, sizeof(when));
        json_add_string(o, "time", when);
        json_object_object_add(o, "usec", json_object_new_int64((int64_t) s->apply_usec));
        json_add_string(o, "result", s->apply_result);
        json_add_string(o, "modules", s->apply_modules);
        json_add_string(o, "policy", s->policy_source);
        json_add_string(o, "policy_digest", s->policy_digest);
        json_object_object_add(
                o, "policy_changed_since",
                json_object_new_boolean(digest && s->policy_digest && !streq(digest, s->policy_digest)));
        json_add_string(o, "instance_id", s->instance_id);
        return o;
}

static json_object *json_watcher(const WatcherState *w) {
        json_object *o = json_object_new_object();

        json_object_object_add(o, "known", json_object_new_boolean(w->known));
        json_object_object_add(o, "running",
                               json_object_new_boolean(w->known && streq_ptr(w->active_state, "active")));
        json_add_string(o, "active_state", w->active_state);
        json_add_string(o, "sub_state", w->sub_state);
        json_add_string(o, "status", w->status_text);
        json_add_string(o, "reason", w->reason);
        return o;
}

static json_object *json_events(const JournalEvents *e) {
        json_object *o = json_object_new_object(), *a = json_object_new_array();

        for (size_t i = 0; i < e->n; i++) {
                const JournalEvent *ev = &e->items[i];
                json_object *x = json_object_new_object();
                char when[64];

                format_usec(ev->usec, when, sizeof(when));
                json_add_string(x, "time", when);
                json_object_object_add(x, "usec", json_object_new_int64((int64_t) ev->usec));
                json_add_string(x, "kind", ev->kind);
                json_add_string(x, "module", ev->module);
                json_add_string(x, "check", ev->check);
                json_add_string(x, "subject", ev->subject);
                json_add_string(x, "expected", ev->expected);
                json_add_string(x, "actual", ev->actual);
                json_add_string(x, "message", ev->message);
                json_object_array_add(a, x);
        }
        json_object_object_add(o, "available", json_object_new_boolean(e->available));
        json_add_string(o, "reason", e->reason);
        json_object_object_add(o, "items", a);
        return o;
}

static const char *family_name(int family) {
        return family == AF_INET ? "ipv4" : family == AF_INET6 ? "ipv6" : "both";
}

static json_object *json_sshd_start(const SshdStart *st, int error, const char *bad) {
        json_object *o = json_object_new_object(), *ports = json_object_new_array(), *files = json_object_new_array();

        json_add_string(o, "started_by", error < 0 ? "unknown" : sshd_start_kind_to_string(st->kind));
        json_add_string(o, "unit", st->unit);
        for (size_t i = 0; i < st->n_listen; i++) {
                json_object *x = json_object_new_object();

                json_object_object_add(x, "port", json_object_new_int(st->listen[i].port));
                json_add_string(x, "family", family_name(st->listen[i].family));
                json_add_string(x, "listen_stream", st->listen[i].address);
                json_object_array_add(ports, x);
        }
        STRV_FOREACH (f, st->files)
                json_object_array_add(files, json_object_new_string(*f));
        if (st->kind != SSHD_START_SOCKET) {
                json_object_put(ports);
                ports = NULL; /* sshd_config's Port: check's ssh findings */
        }
        json_object_object_add(o, "ports", ports);
        json_object_object_add(o, "unit_files", files);
        json_object_object_add(o, "generator", json_object_new_boolean(st->generator));
        if (error < 0) {
                _cleanup_free_ char *why = NULL;

                if (bad ? asprintf(&why, "ListenStream=%s is not understood", bad) < 0
                        : asprintf(&why, "%s", strerror(-error)) < 0)
                        why = NULL;
                json_add_string(o, "reason", why);
        } else
                json_add_string(o, "reason", NULL);
        return o;
}

static void print_sshd_start(const SshdStart *st, int error, const char *bad) {
        if (error < 0) {
                if (bad)
                        printf("sshd:       unknown (ListenStream=%s is not understood)\n", bad);
                else
                        printf("sshd:       unknown (%s)\n", strerror(-error));
                return;
        }
        if (st->kind == SSHD_START_NONE) {
                printf("sshd:       no ssh unit is enabled\n");
                return;
        }
        if (st->kind == SSHD_START_SERVICE) {
                printf("sshd:       started by %s (ports from sshd_config)\n", st->unit);
                return;
        }
        printf("sshd:       socket-activated by %s, listening on ", st->unit);
        if (st->n_listen == 0)
                printf("no TCP port");
        for (size_t i = 0; i < st->n_listen; i++)
                printf("%s%s", i > 0 ? ", " : "", st->listen[i].address);
        printf("%s\n", st->generator ? " (sshd-socket-generator sets them from sshd_config at boot)" : "");
}

static void print_status_extras(const HardendState *s, bool have, const char *digest, const char *instance,
                                const WatcherState *w, const JournalEvents *e) {
        char when[64];

        if (have && s->apply_usec > 0) {
                format_usec(s->apply_usec, when, sizeof(when));
                printf("Last apply: %s, %s (%s)%s\n", when, strna(s->apply_result), strna(s->apply_modules),
                       digest && s->policy_digest && !streq(digest, s->policy_digest)
                               ? "; the policy has changed since"
                               : "");
        } else
                printf("Last apply: never\n");
        printf("Instance:   %s%s\n", instance ?: "unknown",
               have && instance && streq_ptr(s->firstboot_instance_id, instance) ? " (first boot done)"
                                                                                 : " (first boot pending)");
        if (!w->known)
                printf("Watcher:    unknown (%s)\n", strna(w->reason));
        else {
                printf("Watcher:    %s", strna(w->active_state));
                if (w->sub_state)
                        printf(" (%s)", w->sub_state);
                if (!isempty(w->status_text))
                        printf(": %s", w->status_text);
                printf("\n");
        }
        if (!e->available)
                printf("Drift events: not available (%s)\n", strna(e->reason));
        else if (e->n == 0)
                printf("Drift events: none\n");
        else {
                printf("Drift events (latest %zu):\n", e->n);
                for (size_t i = 0; i < e->n; i++) {
                        format_usec(e->items[i].usec, when, sizeof(when));
                        printf("  %s %s\n", when, strna(e->items[i].message));
                }
        }
}

int verb_status(void) {
        _cleanup_policy_free_ Policy *p = NULL;
        _cleanup_(finding_list_done) FindingList l = {};
        _cleanup_(context_done) Context c = {};
        _cleanup_(hardend_state_done) HardendState s = {};
        _cleanup_(watcher_state_done) WatcherState w = {};
        _cleanup_(journal_events_done) JournalEvents e = {};
        _cleanup_(sshd_start_done) SshdStart sshd = {};
        _cleanup_free_ char *digest = NULL, *instance = NULL, *sshd_bad = NULL;
        bool have;
        int sshd_r;
        ExitStatus st;
        int r;

        if (cli_load_policy(&p) < 0)
                return EXIT_USAGE;
        cli_context_init(&c, p);
        r = engine_probe(&c, hardend_modules, hardend_n_modules, &l);
        if (r < 0) {
                log_error_errno(r, "Failed to probe the system: %m");
                return EXIT_FAILED;
        }
        st = engine_check_status(&l);

        if (arg_prometheus) {
                _cleanup_free_ char *text = NULL;

                r = metrics_host_render(&c, hardend_modules, hardend_n_modules, &l, now_realtime_usec(),
                                        cli_watcher_up(&c), &text);
                if (r < 0) {
                        log_error_errno(r, "Cannot make the metrics: %m");
                        return EXIT_FAILED;
                }
                fputs(text, stdout);
                return fflush(stdout) == 0 ? st : EXIT_FAILED;
        }

        r = state_read(c.root, &s);
        if (r < 0 && r != -ENOENT)
                log_warning_errno(r, "Cannot read %s: %m", STATE_PATH);
        have = r >= 0;
        (void) policy_digest(p, &digest);
        (void) state_instance_id(c.root, &instance);
        sshd_r = sshd_start_find(c.root, &sshd, &sshd_bad);
        if (sshd_r == -ENOMEM) {
                (void) log_oom();
                return EXIT_FAILED;
        }
        if (status_read_watcher(&c, &w) < 0 || status_read_events(&c, STATUS_MAX_EVENTS, &e) < 0) {
                (void) log_oom();
                return EXIT_FAILED;
        }

        if (arg_json) {
                json_object *o = json_object_new_object();

                json_add_string(o, "policy", p->source);
                json_add_string(o, "policy_digest", digest);
                json_add_string(o, "root", c.root);
                json_object_object_add(o, "compliant", json_object_new_boolean(st == EXIT_COMPLIANT));
                json_object_object_add(o, "modules", json_modules(&c, hardend_modules, hardend_n_modules, &l));
                json_object_object_add(o, "findings", json_findings(&l, NULL));
                json_object_object_add(o, "last_apply", json_last_apply(&s, have, digest));
                json_add_string(o, "instance_id", instance);
                json_object_object_add(
                        o, "first_boot_done",
                        json_object_new_boolean(have && instance && streq_ptr(s.firstboot_instance_id, instance)));
                json_object_object_add(o, "sshd", json_sshd_start(&sshd, sshd_r, sshd_bad));
                json_object_object_add(o, "watcher", json_watcher(&w));
                json_object_object_add(o, "events", json_events(&e));
                (void) json_print(o);
        } else {
                print_policy_header(&c);
                print_modules(&c, hardend_modules, hardend_n_modules, &l);
                print_sshd_start(&sshd, sshd_r, sshd_bad);
                print_status_extras(&s, have, digest, instance, &w, &e);
                printf("%s\n", st == EXIT_COMPLIANT ? "Compliant." : "Drift found.");
        }
        return st;
}
