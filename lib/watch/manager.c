/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>

#include "array.h"
#include "log.h"
#include "manager-watch.h"
#include "manager.h"
#include "messages.h"
#include "metrics-host.h"
#include "state.h"
#include "strv.h"
#include "sys/fileio.h"
#include "time-util.h"

#define ALL_MODULES ((1u << _MODULE_MAX) - 1)
#define WATCH_MASK                                                                                      \
        (IN_CLOSE_WRITE | IN_MODIFY | IN_ATTRIB | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | \
         IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW)

typedef struct Watch {
        Manager *manager;
        WatchSpec spec;
        sd_event_source *source;
        dev_t dev;
        ino_t ino;
} Watch;

struct Manager {
        ManagerOptions options;
        char *config;
        char *root;
        Policy *policy;
        Context ctx;

        sd_event *event;
        sd_event_source *defer_source;
        sd_event_source *interval_source;
        sd_event_source *sighup_source;
        sd_bus_slot *match_slots[3];
        bool bus_attached;

        Watch **watches; /* each allocated alone: its address is the inotify source's userdata */
        size_t n_watches;

        FindingList last; /* what the previous probes found, every module */
        unsigned pending; /* modules to probe when the deferral fires */
        unsigned probes;
        char *status;

        /* the Prometheus textfile (metrics-host.h): written after a probe that changed something
         * (dirty), on every interval probe, and on the way out */
        uint64_t drift_events[_MODULE_MAX];
        bool drift_events_dirty;
        bool metrics_dirty;
        bool metrics_failed; /* the last write failed and was logged */
        uint64_t last_probe_usec;
        char *policy_digest;
};

static unsigned manager_interval(const Manager *m) {
        return m->options.interval_override ?: m->policy->watch.interval;
}

static Watch *watch_free(Watch *w) {
        if (!w)
                return NULL;
        w->source = sd_event_source_disable_unref(w->source);
        free(w->spec.path);
        strv_free(w->spec.names);
        free(w);
        return NULL;
}

static void manager_drop_watches(Manager *m) {
        for (size_t i = 0; i < m->n_watches; i++)
                watch_free(m->watches[i]);
        free(m->watches);
        m->watches = NULL;
        m->n_watches = 0;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        manager_drop_watches(m);
        for (size_t i = 0; i < ELEMENTSOF(m->match_slots); i++)
                m->match_slots[i] = sd_bus_slot_unref(m->match_slots[i]);
        if (m->bus_attached && m->ctx.bus)
                (void) sd_bus_detach_event(m->ctx.bus);
        context_done(&m->ctx);
        m->defer_source = sd_event_source_disable_unref(m->defer_source);
        m->interval_source = sd_event_source_disable_unref(m->interval_source);
        m->sighup_source = sd_event_source_disable_unref(m->sighup_source);
        m->event = sd_event_unref(m->event);
        finding_list_done(&m->last);
        policy_free(m->policy);
        free(m->config);
        free(m->root);
        free(m->status);
        free(m->policy_digest);
        free(m);
        return NULL;
}

int manager_new(const ManagerOptions *o, Policy *policy, Manager **ret) {
        _cleanup_(manager_freep) Manager *m = NULL;
        int r;

        m = calloc(1, sizeof(Manager));
        if (!m)
                return -ENOMEM;
        m->options = *o;
        if (!m->options.defer_usec)
                m->options.defer_usec = MANAGER_DEFER_USEC;
        m->root = strdup(root_is_live(o->root) ? "/" : o->root);
        if (!m->root || (o->config && !(m->config = strdup(o->config))))
                return -ENOMEM;
        m->options.config = m->config;
        m->options.root = m->root;
        r = sd_event_new(&m->event);
        if (r < 0)
                return r;
        m->policy = policy;
        m->ctx = (Context){ .policy = policy,
                            .root = m->root,
                            .live = root_is_live(m->root),
                            .run_dir = root_is_live(m->root) ? o->run_dir : NULL,
                            .bus_signals = true,
                            .repair = policy->watch.mode == WATCH_MODE_REPAIR };
        *ret = TAKE_PTR(m);
        return 0;
}

sd_event *manager_get_event(Manager *m) {
        return m->event;
}

const Policy *manager_get_policy(Manager *m) {
        return m->policy;
}

const FindingList *manager_get_findings(Manager *m) {
        return &m->last;
}

const char *manager_get_status(Manager *m) {
        return m->status;
}

unsigned manager_get_probe_count(Manager *m) {
        return m->probes;
}

size_t manager_get_n_watches(Manager *m) {
        size_t n = 0;

        for (size_t i = 0; i < m->n_watches; i++)
                if (m->watches[i]->source)
                        n++;
        return n;
}

static const Module *manager_find_module(const Manager *m, const char *name) {
        for (size_t i = 0; i < m->options.n_modules; i++)
                if (streq(m->options.modules[i]->name, name))
                        return m->options.modules[i];
        return NULL;
}

static bool finding_in_mask(const Manager *m, const Finding *f, unsigned mask) {
        const Module *mod = manager_find_module(m, f->module);

        return !mod || (mask & (1u << mod->id));
}

/* ---- inotify ---------------------------------------------------------------------------------- */

static int on_inotify(sd_event_source *s, const struct inotify_event *ev, void *userdata) {
        Watch *w = userdata;

        if (ev->len > 0) {
                if (startswith(ev->name, ".#hardend.")) /* our own atomic writes, before the rename */
                        return 0;
                if (w->spec.names && !strv_contains(w->spec.names, ev->name))
                        return 0;
        }
        log_debug("Change in %s%s%s (mask 0x%x).", w->spec.path, ev->len > 0 ? "/" : "", ev->len > 0 ? ev->name : "",
                  ev->mask);
        (void) manager_queue_probe(w->manager, ALL_MODULES);
        return 0;
}

static Watch *manager_find_watch(Manager *m, const char *path) {
        for (size_t i = 0; i < m->n_watches; i++)
                if (streq(m->watches[i]->spec.path, path))
                        return m->watches[i];
        return NULL;
}

/* Brings the inotify watches in line with the specs: a directory that appeared gets a watch, one
 * that went away or was replaced (a new inode) is dropped or watched anew. */
static int manager_sync_watches(Manager *m) {
        WatchSpec *specs = NULL;
        size_t n = 0;
        size_t k = 0;
        int r;

        r = watch_specs_build(&m->ctx, m->options.modules, m->options.n_modules, &specs, &n);
        if (r < 0)
                return r;
        /* drop the watches whose spec is gone (e.g. the admin changed) */
        for (size_t i = 0; i < m->n_watches; i++) {
                bool wanted = false;

                for (size_t j = 0; j < n && !wanted; j++)
                        wanted = streq(m->watches[i]->spec.path, specs[j].path);
                if (wanted)
                        m->watches[k++] = m->watches[i];
                else
                        watch_free(m->watches[i]);
        }
        m->n_watches = k;
        if (ARRAY_GROW(m->watches, NULL, m->n_watches + n) < 0) {
                watch_spec_list_free(specs, n);
                return -ENOMEM;
        }

        for (size_t j = 0; j < n; j++) {
                Watch *w = manager_find_watch(m, specs[j].path);
                _cleanup_free_ char *full = NULL;
                struct stat st;

                if (!w) {
                        w = calloc(1, sizeof(Watch));
                        if (!w) {
                                r = -ENOMEM;
                                break;
                        }
                        *w = (Watch){ .manager = m, .spec = specs[j] };
                        m->watches[m->n_watches++] = w;
                } else {
                        strv_free(w->spec.names);
                        w->spec.names = specs[j].names;
                        free(specs[j].path);
                }
                specs[j] = (WatchSpec){};

                if (lstat_at_root(m->root, w->spec.path, &st) < 0 || !S_ISDIR(st.st_mode)) {
                        w->source = sd_event_source_disable_unref(w->source);
                        continue;
                }
                if (w->source && w->dev == st.st_dev && w->ino == st.st_ino)
                        continue;
                w->source = sd_event_source_disable_unref(w->source);
                r = path_join_root(m->root, w->spec.path, &full);
                if (r < 0)
                        break;
                r = sd_event_add_inotify(m->event, &w->source, full, WATCH_MASK, on_inotify, w);
                if (r < 0) {
                        log_warning_errno(r, "Cannot watch %s: %m", full);
                        r = 0;
                        continue;
                }
                w->dev = st.st_dev;
                w->ino = st.st_ino;
        }
        watch_spec_list_free(specs, n);
        return r;
}

/* ---- probing and diffing ---------------------------------------------------------------------- */

typedef struct DiffState {
        Manager *manager;
        unsigned repair; /* modules with new fixable drift */
        bool changed;
} DiffState;

static void log_finding_event(int level, const char *message_id, const Finding *f, const char *fmt, const char *text) {
        const LogField fields[] = {
                { "HARDEND_MODULE", f->module },   { "HARDEND_CHECK", f->check },
                { "HARDEND_SUBJECT", f->subject }, { "HARDEND_EXPECTED", f->expected },
                { "HARDEND_ACTUAL", f->actual },   { "HARDEND_SEVERITY", severity_to_string(f->severity) },
        };

        (void) log_event(level, message_id, fields, ELEMENTSOF(fields), fmt, text);
}

static void on_added(const Finding *f, void *userdata) {
        DiffState *d = userdata;
        _cleanup_free_ char *text = NULL;

        d->changed = true;
        if (finding_format(f, &text) < 0) {
                (void) log_oom();
                return;
        }
        switch (f->kind) {
        case FINDING_DRIFT: {
                const Module *mod = manager_find_module(d->manager, f->module);

                log_finding_event(LOG_WARNING, HARDEND_MESSAGE_DRIFT_DETECTED, f, "Drift detected: %s", text);
                if (mod && mod->id >= 0 && mod->id < _MODULE_MAX) {
                        d->manager->drift_events[mod->id]++;
                        d->manager->drift_events_dirty = true;
                }
                if (f->fixable && mod)
                        d->repair |= 1u << mod->id;
                break;
        }
        case FINDING_UNKNOWN:
                log_finding_event(LOG_NOTICE, NULL, f, "Cannot check: %s", text);
                break;
        default:
                log_finding_event(LOG_INFO, NULL, f, "Note: %s", text);
                break;
        }
}

static void on_resolved(const Finding *f, void *userdata) {
        _cleanup_free_ char *what = NULL;
        DiffState *d = userdata;

        d->changed = true;
        if (f->kind != FINDING_DRIFT)
                return;
        if (asprintf(&what, "%s/%s %s (was %s)", f->module, f->check, f->subject, strna(f->actual)) < 0) {
                (void) log_oom();
                return;
        }
        log_finding_event(LOG_NOTICE, HARDEND_MESSAGE_DRIFT_RESOLVED, f, "Drift resolved: %s", what);
}

static int manager_update_status(Manager *m) {
        _cleanup_strv_free_ char **mods = NULL;
        _cleanup_free_ char *list = NULL, *status = NULL;
        size_t drifts = finding_list_count(&m->last, NULL, FINDING_DRIFT);
        size_t unknown = finding_list_count(&m->last, NULL, FINDING_UNKNOWN);
        int r;

        for (size_t i = 0; i < m->options.n_modules; i++) {
                const char *name = m->options.modules[i]->name;

                if (finding_list_count(&m->last, name, FINDING_DRIFT) > 0 && strv_extend(&mods, name) < 0)
                        return -ENOMEM;
        }
        if (drifts == 0 && unknown == 0)
                r = asprintf(&status, "compliant");
        else if (drifts == 0)
                r = asprintf(&status, "compliant (%zu check%s unknown)", unknown, unknown == 1 ? "" : "s");
        else {
                if (strv_join(mods, ", ", &list) < 0)
                        return -ENOMEM;
                r = asprintf(&status, "%zu drift%s: %s", drifts, drifts == 1 ? "" : "s", list);
        }
        if (r < 0)
                return -ENOMEM;
        if (!streq_ptr(status, m->status)) {
                (void) sd_notifyf(false, "STATUS=%s", status);
                free(m->status);
                m->status = TAKE_PTR(status);
        }
        return 0;
}

static void manager_repair(Manager *m, const Module *mod) {
        _cleanup_(apply_result_done) ApplyResult a = {};
        const LogField fields[] = { { "HARDEND_MODULE", mod->name } };
        _cleanup_free_ char *changes = NULL;
        const char *error = NULL;
        int r;

        m->ctx.only = 1u << mod->id;
        r = engine_apply(&m->ctx, m->options.modules, m->options.n_modules, &a);
        m->ctx.only = 0;
        if (r < 0) {
                (void) log_event(LOG_ERR, HARDEND_MESSAGE_APPLY_FAILED, fields, ELEMENTSOF(fields),
                                 "Repair of %s failed: %s", mod->name, strerror(-r));
                return;
        }
        for (size_t i = 0; i < a.n_modules; i++)
                if (a.modules[i].module == mod) {
                        if (strv_join(a.modules[i].outcome.changes, "; ", &changes) < 0)
                                changes = NULL;
                        error = a.modules[i].outcome.error;
                }
        if (a.refused)
                (void) log_event(LOG_WARNING, HARDEND_MESSAGE_APPLY_REFUSED, fields, ELEMENTSOF(fields),
                                 "Repair of %s refused: %s", mod->name, error ?: "refused for safety");
        else if (a.status != EXIT_COMPLIANT)
                (void) log_event(LOG_ERR, HARDEND_MESSAGE_APPLY_FAILED, fields, ELEMENTSOF(fields),
                                 "Repair of %s failed: %s", mod->name, error ?: "unknown error");
        else
                (void) log_event(LOG_NOTICE, HARDEND_MESSAGE_REPAIRED, fields, ELEMENTSOF(fields), "Repaired %s: %s",
                                 mod->name, isempty(changes) ? "nothing to change" : changes);

        r = state_record_apply(m->root, m->policy, 1u << mod->id, &a, now_realtime_usec());
        if (r < 0)
                log_warning_errno(r, "Cannot record the repair in %s: %m", STATE_PATH);
}

static int manager_probe_once(Manager *m, unsigned mask, unsigned *ret_repair) {
        _cleanup_(finding_list_done) FindingList now = {}, old = {}, kept = {};
        DiffState d = { .manager = m };
        int r;

        m->ctx.only = mask;
        r = engine_probe(&m->ctx, m->options.modules, m->options.n_modules, &now);
        m->ctx.only = 0;
        if (r < 0)
                return log_error_errno(r, "Probe failed: %m");
        m->probes++;
        m->last_probe_usec = now_realtime_usec();
        log_debug("Probe %u (modules 0x%x).", m->probes, mask);

        for (size_t i = 0; i < m->last.n; i++) {
                bool in = finding_in_mask(m, &m->last.items[i], mask);

                r = finding_add(in ? &old : &kept, &m->last.items[i]);
                if (r < 0)
                        return log_oom();
        }
        finding_list_diff(&old, &now, on_added, on_resolved, &d);
        if (d.changed)
                m->metrics_dirty = true;

        r = finding_list_append(&kept, &now, NULL);
        if (r < 0)
                return log_oom();
        finding_list_done(&m->last);
        m->last = kept;
        kept = (FindingList){};

        if (ret_repair)
                *ret_repair = d.repair;
        return manager_update_status(m);
}

/* ---- the Prometheus textfile ------------------------------------------------------------------ */

static int manager_render_metrics(Manager *m, bool up, char **ret) {
        _cleanup_(metrics_done) Metrics x = {};
        int r;

        r = metrics_from_findings(&m->ctx, m->options.modules, m->options.n_modules, &m->last, m->drift_events, &x);
        if (r < 0)
                return r;
        r = metrics_add_state(&x, m->root);
        if (r < 0)
                log_full_errno(LOG_DEBUG, r, "Cannot read %s for the metrics: %m", STATE_PATH);
        if (m->policy_digest)
                (void) metrics_set_policy_digest(&x, m->policy_digest);
        x.last_probe_usec = m->last_probe_usec;
        x.watcher_up = up;
        return metrics_render(&x, ret);
}

/* up: false on the way out, so that a stopped watcher is seen at the next scrape */
static void manager_write_metrics(Manager *m, bool up) {
        const char *path = m->policy->report.prometheus_textfile;
        _cleanup_free_ char *text = NULL;
        int r;

        m->metrics_dirty = false;
        if (!metrics_textfile_wanted(m->policy, m->root))
                return;
        if (m->drift_events_dirty) {
                r = state_write_drift_events(m->root, m->drift_events);
                if (r < 0)
                        log_warning_errno(r, "Cannot write %s: %m", DRIFT_EVENTS_PATH);
                else
                        m->drift_events_dirty = false;
        }
        r = manager_render_metrics(m, up, &text);
        if (r >= 0)
                r = metrics_write_textfile(m->root, path, text);
        if (r < 0 && !m->metrics_failed)
                log_warning_errno(r, "Cannot write the metrics to %s: %m", path);
        else if (r >= 0 && m->metrics_failed)
                log_info("Writing the metrics to %s again.", path);
        m->metrics_failed = r < 0;
}

static void manager_load_metrics_state(Manager *m) {
        char *digest = NULL;
        int r;

        r = policy_digest(m->policy, &digest);
        if (r < 0)
                log_warning_errno(r, "Cannot hash the policy %s: %m", m->policy->source);
        free(m->policy_digest);
        m->policy_digest = digest;
        m->metrics_dirty = true;
}

/* force: write the textfile even when nothing changed (the interval probe: a fresh probe time) */
static int manager_probe_full(Manager *m, unsigned mask, bool force) {
        _cleanup_close_ int lock_fd = -EBADF;
        unsigned repair = 0;
        int r;

        if (mask == 0)
                mask = ALL_MODULES;
        /* An apply is half-way through (the first boot's after sshd started, hardenctl apply):
         * what it leaves is probed once it is done. */
        if (m->ctx.run_dir) {
                lock_fd = apply_lock(m->ctx.run_dir, LOCK_SH | LOCK_NB);
                if (lock_fd == -EAGAIN) {
                        log_debug("An apply is running; probing when it is done.");
                        return manager_queue_probe(m, mask);
                }
                if (lock_fd < 0)
                        log_warning_errno(lock_fd, "Cannot take %s/" APPLY_LOCK_FILE ", probing anyway: %m",
                                          m->ctx.run_dir);
        }
        r = manager_sync_watches(m);
        if (r < 0)
                log_warning_errno(r, "Cannot update the watches: %m");
        r = manager_probe_once(m, mask, &repair);
        if (r >= 0 && m->policy->watch.mode == WATCH_MODE_REPAIR && repair != 0) {
                for (size_t i = 0; i < m->options.n_modules; i++)
                        if (repair & (1u << m->options.modules[i]->id))
                                manager_repair(m, m->options.modules[i]);
                /* Say at once what the repair resolved; the files it wrote will also wake us, harmlessly. */
                r = manager_probe_once(m, repair, NULL);
        }
        if (force || m->metrics_dirty)
                manager_write_metrics(m, true);
        /* A probe's scratch (rule texts, sshd -T answers, unit lists) is freed again; give the heap
         * it grew back, or the resident size stays at its peak between probes. */
        (void) malloc_trim(0);
        return r;
}

int manager_probe(Manager *m, unsigned mask) {
        return manager_probe_full(m, mask, false);
}

static int on_defer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        unsigned mask = m->pending;

        m->pending = 0;
        (void) manager_probe(m, mask);
        return 0;
}

int manager_queue_probe(Manager *m, unsigned mask) {
        int enabled = SD_EVENT_OFF, r;

        m->pending |= mask ?: ALL_MODULES;
        if (!m->defer_source)
                return sd_event_add_time_relative(m->event, &m->defer_source, CLOCK_MONOTONIC, m->options.defer_usec,
                                                  0, on_defer, m);
        r = sd_event_source_get_enabled(m->defer_source, &enabled);
        if (r < 0)
                return r;
        if (enabled != SD_EVENT_OFF) /* already armed: this change joins the burst */
                return 0;
        r = sd_event_source_set_time_relative(m->defer_source, m->options.defer_usec);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(m->defer_source, SD_EVENT_ONESHOT);
}

/* ---- the interval timer ----------------------------------------------------------------------- */

static int on_interval(sd_event_source *s, uint64_t usec, void *userdata);

static int manager_arm_interval(Manager *m) {
        uint64_t usec = (uint64_t) manager_interval(m) * USEC_PER_SEC;
        int r;

        if (!m->interval_source)
                return sd_event_add_time_relative(m->event, &m->interval_source, CLOCK_MONOTONIC, usec, 0, on_interval,
                                                  m);
        r = sd_event_source_set_time_relative(m->interval_source, usec);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(m->interval_source, SD_EVENT_ONESHOT);
}

static int on_interval(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        /* the firewall and the listeners tell nobody when they change: look */
        (void) manager_probe_full(m, ALL_MODULES, true);
        return manager_arm_interval(m);
}

/* ---- policy reload ---------------------------------------------------------------------------- */

static int manager_load_policy(Manager *m, Policy **ret, PolicyError *e) {
        _cleanup_free_ char *path = NULL;
        int r;

        if (m->config)
                return policy_load_file(m->config, ret, e);
        r = path_join_root(m->root, POLICY_DEFAULT_PATH, &path);
        if (r < 0)
                return r;
        if (access(path, F_OK) < 0 && errno == ENOENT)
                return policy_load_builtin(ret, e);
        return policy_load_file(path, ret, e);
}

int manager_reload(Manager *m) {
        _cleanup_(policy_error_done) PolicyError e = {};
        Policy *p = NULL;
        int r;

        r = manager_load_policy(m, &p, &e);
        if (r < 0) {
                _cleanup_free_ char *text = NULL;
                const LogField fields[] = { { "HARDEND_POLICY", e.file }, { "HARDEND_ERROR", e.message } };

                if (policy_error_format(&e, &text) < 0)
                        return log_oom();
                (void) log_event(LOG_ERR, HARDEND_MESSAGE_POLICY_ERROR, fields, ELEMENTSOF(fields),
                                 "%s; keeping the previous policy.", text);
                return -EINVAL;
        }
        /* a textfile moved or turned off goes: no scrape should read the old one as current */
        if (m->policy->report.prometheus_textfile &&
            !streq_ptr(m->policy->report.prometheus_textfile, p->report.prometheus_textfile)) {
                r = unlink_at_root(m->root, m->policy->report.prometheus_textfile);
                if (r < 0)
                        log_warning_errno(r, "Cannot remove %s: %m", m->policy->report.prometheus_textfile);
        }
        policy_free(m->policy);
        m->policy = p;
        m->ctx.policy = p;
        m->ctx.repair = p->watch.mode == WATCH_MODE_REPAIR;
        manager_load_metrics_state(m);
        log_info("Reloaded the policy from %s (mode %s, every %u s).", p->source, watch_mode_to_string(p->watch.mode),
                 manager_interval(m));
        if (m->interval_source) {
                r = manager_arm_interval(m);
                if (r < 0)
                        return log_error_errno(r, "Cannot arm the interval timer: %m");
        }
        return manager_probe(m, ALL_MODULES);
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;

        (void) sd_notify(false, "RELOADING=1");
        (void) manager_reload(m);
        (void) sd_notify(false, "READY=1");
        return 0;
}

/* ---- systemd over D-Bus ----------------------------------------------------------------------- */

static int on_unit_signal(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        unsigned mask = 0;

        for (size_t i = 0; i < m->options.n_modules; i++)
                if (m->options.modules[i]->probe_on_unit_change)
                        mask |= 1u << m->options.modules[i]->id;
        if (mask)
                (void) manager_queue_probe(m, mask);
        return 0;
}

static int manager_connect_bus(Manager *m) {
        static const char *const matches[] = {
                "type='signal',sender='org.freedesktop.systemd1',interface='org.freedesktop.systemd1.Manager',"
                "member='JobRemoved'",
                "type='signal',sender='org.freedesktop.systemd1',interface='org.freedesktop.systemd1.Manager',"
                "member='UnitFilesChanged'",
                "type='signal',sender='org.freedesktop.systemd1',interface='org.freedesktop.DBus.Properties',"
                "member='PropertiesChanged',arg0='org.freedesktop.systemd1.Unit'",
        };
        sd_bus *bus = NULL;
        int r;

        if (!m->ctx.live) {
                log_info("Watching an image tree: unit changes are seen every %u s.", manager_interval(m));
                return 0;
        }
        r = context_get_bus(&m->ctx, &bus);
        if (r < 0) {
                log_notice("No system bus (%s): unit state changes are seen every %u s only.", strerror(-r),
                           manager_interval(m));
                return 0;
        }
        r = sd_bus_attach_event(bus, m->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_error_errno(r, "Cannot attach the system bus to the event loop: %m");
        m->bus_attached = true;
        for (size_t i = 0; i < ELEMENTSOF(matches); i++) {
                r = sd_bus_add_match_async(bus, &m->match_slots[i], matches[i], on_unit_signal, NULL, m);
                if (r < 0)
                        return log_error_errno(r, "Cannot subscribe to systemd's signals: %m");
        }
        r = sd_bus_call_method_async(bus, NULL, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                     "org.freedesktop.systemd1.Manager", "Subscribe", NULL, NULL, NULL);
        if (r < 0)
                log_full_errno(LOG_NOTICE, r, "Cannot subscribe to systemd (%m): unit changes are seen every %u s.",
                               manager_interval(m));
        return 0;
}

/* ---- start and run ---------------------------------------------------------------------------- */

int manager_startup(Manager *m) {
        sigset_t mask;
        int r;

        /* signals come through the event loop */
        if (sigemptyset(&mask) < 0 || sigaddset(&mask, SIGTERM) < 0 || sigaddset(&mask, SIGINT) < 0 ||
            sigaddset(&mask, SIGHUP) < 0 || sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return log_error_errno(errno, "Cannot block signals: %m");
        r = sd_event_add_signal(m->event, NULL, SIGTERM, NULL, NULL);
        if (r >= 0)
                r = sd_event_add_signal(m->event, NULL, SIGINT, NULL, NULL);
        if (r >= 0)
                r = sd_event_add_signal(m->event, &m->sighup_source, SIGHUP, on_sighup, m);
        if (r < 0)
                return log_error_errno(r, "Cannot watch signals: %m");
        r = sd_event_set_watchdog(m->event, true);
        if (r < 0)
                return log_error_errno(r, "Cannot enable the watchdog: %m");

        r = manager_connect_bus(m);
        if (r < 0)
                return r;
        r = manager_arm_interval(m);
        if (r < 0)
                return log_error_errno(r, "Cannot arm the interval timer: %m");
        r = state_read_drift_events(m->root, m->drift_events);
        if (r < 0)
                log_warning_errno(r, "Cannot read %s; counting drift events from 0: %m", DRIFT_EVENTS_PATH);
        manager_load_metrics_state(m);
        r = manager_probe(m, ALL_MODULES);
        if (r < 0)
                return r;
        log_info("Watching %s with %s: mode %s, every %u s, %zu directories watched, %s.",
                 streq(m->root, "/") ? "the system" : m->root, m->policy->source,
                 watch_mode_to_string(m->policy->watch.mode), manager_interval(m), manager_get_n_watches(m),
                 m->status ?: "the first probe waits for an apply to finish");
        (void) sd_notifyf(false, "READY=1\nSTATUS=%s", m->status ?: "waiting for an apply to finish");
        return 0;
}

int manager_run(Manager *m) {
        int r = sd_event_loop(m->event);

        (void) sd_notify(false, "STOPPING=1");
        manager_write_metrics(m, false);
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m");
        return r;
}
