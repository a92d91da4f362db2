/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>

#include "services-policy.h"
#include "array.h"
#include "rollback.h"
#include "services.h"
#include "sys/fileio.h"
#include "strv.h"
#include "sys/unitfiles.h"

#define MODULE_NAME "services"

/* A unit whose own file is in /etc/systemd/system cannot be masked without deleting that file,
 * which is the administrator's; systemd refuses such a mask too ("UnitExists"). */
static bool unit_maskable(const char *root, const char *unit) {
        _cleanup_free_ char *path = NULL;
        struct stat st;

        if (!root || asprintf(&path, "/etc/systemd/system/%s", unit) < 0)
                return true;
        return !(lstat_at_root(root, path, &st) >= 0 && S_ISREG(st.st_mode));
}

static int probe_unit_known(const ServicesPolicy *p, const SvcBackend *b, const char *unit, const UnitState *s,
                            FindingList *out) {
        int r;

        if (!s->found)
                return finding_addf(out, MODULE_NAME, "unit-missing", FINDING_INFO, SEVERITY_INFO, false, NULL,
                                    "not installed; nothing to do", "%s", unit);
        if (s->active) {
                r = finding_addf(out, MODULE_NAME, "unit-active", FINDING_DRIFT, SEVERITY_HIGH, b->ops && b->ops->stop,
                                 "inactive", strna(s->active_state), "%s", unit);
                if (r < 0)
                        return r;
        }
        if (s->enabled) {
                r = finding_addf(out, MODULE_NAME, "unit-enabled", FINDING_DRIFT, SEVERITY_MEDIUM, true, "disabled",
                                 strna(s->file_state), "%s", unit);
                if (r < 0)
                        return r;
        }
        if (p->mask && !s->masked && !unit_maskable(b->root, unit)) {
                r = finding_addf(out, MODULE_NAME, "unit-masked", FINDING_DRIFT, SEVERITY_LOW, false, "masked",
                                 "cannot be masked: its unit file is in /etc/systemd/system "
                                 "(an administrator's own)",
                                 "%s", unit);
                if (r < 0)
                        return r;
        } else if (p->mask && !s->masked) {
                r = finding_addf(out, MODULE_NAME, "unit-masked", FINDING_DRIFT, SEVERITY_LOW, true, "masked",
                                 strna(s->file_state), "%s", unit);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The state cannot be read through the backend: one UNKNOWN finding with the reason. Where the unit
 * files on disk show drift (enabled, not masked), that is known and said as such: fixable, so that
 * an apply that cannot reach systemd fails instead of claiming compliance. */
static int probe_unit_unknown(const ServicesPolicy *p, const SvcBackend *b, const char *unit, int error,
                              const char *why, FindingList *out) {
        _cleanup_(unit_state_done) UnitState disk = {};
        _cleanup_free_ char *actual = NULL;
        int r = -ENOENT;

        if (b->fallback_root)
                r = unit_ops_disk.get_state((void *) b->fallback_root, unit, &disk, NULL);
        if (r >= 0)
                r = asprintf(&actual, "%s; on disk: %s", why ?: strerror(-error),
                             disk.found ? strna(disk.file_state) : "not installed");
        else
                r = asprintf(&actual, "%s", why ?: strerror(-error));
        if (r < 0)
                return -ENOMEM;
        r = finding_addf(out, MODULE_NAME, "unit-state", FINDING_UNKNOWN, SEVERITY_LOW, false,
                         p->mask ? "inactive, disabled, masked" : "inactive, disabled", actual, "%s", unit);
        if (r < 0 || !disk.found)
                return r;
        disk.active = false; /* not known; the unknown finding says so */
        return probe_unit_known(p, b, unit, &disk, out);
}

int svc_probe_units(const ServicesPolicy *p, const SvcBackend *b, FindingList *out) {
        _cleanup_free_ char *unreachable = NULL;
        int r;

        if (!b->ops && asprintf(&unreachable, "systemd cannot be reached: %s", strerror(-b->error)) < 0)
                return -ENOMEM;
        STRV_FOREACH (u, p->disable) {
                _cleanup_(unit_state_done) UnitState s = {};
                _cleanup_free_ char *why = NULL;

                if (!b->ops) {
                        r = probe_unit_unknown(p, b, *u, b->error, unreachable, out);
                        if (r < 0)
                                return r;
                        continue;
                }
                r = b->ops->get_state(b->userdata, *u, &s, &why);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        r = probe_unit_unknown(p, b, *u, r, why, out);
                else
                        r = probe_unit_known(p, b, *u, &s, out);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Sockets, paths and timers start services: they go first, so a stopped service is not started
 * again through its socket meanwhile. */
static bool is_trigger(const char *unit) {
        return endswith(unit, ".socket") || endswith(unit, ".path") || endswith(unit, ".timer");
}

/* The units with fixable findings, in policy order, triggers first. */
static int units_to_fix(const ServicesPolicy *p, const FindingList *mine, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        int r;

        for (int pass = 0; pass < 2; pass++)
                STRV_FOREACH (u, p->disable) {
                        bool want = false;

                        if (is_trigger(*u) != (pass == 0))
                                continue;
                        for (size_t i = 0; i < mine->n; i++) {
                                const Finding *f = &mine->items[i];

                                if (f->fixable && streq(f->module, MODULE_NAME) && startswith(f->check, "unit-") &&
                                    streq(f->subject, *u))
                                        want = true;
                        }
                        if (want && (r = strv_extend(&l, *u)) < 0)
                                return r;
                }
        *ret = TAKE_PTR(l);
        return 0;
}

static int op_failed(Outcome *o, int r, const char *what, const char *unit, char **why) {
        _cleanup_free_ char *w = *why;

        *why = NULL;
        return outcome_fail(o, r, "cannot %s %s: %s", what, unit, w ?: strerror(-r));
}

int svc_apply_units(const ServicesPolicy *p, const SvcBackend *b, const FindingList *mine, Outcome *o) {
        _cleanup_strv_free_ char **units = NULL, **stop = NULL;
        bool files_changed = false;
        int r, ret = 0;

        r = units_to_fix(p, mine, &units);
        if (r < 0)
                return r;
        if (strv_isempty(units))
                return 0;
        if (!b->ops) {
                _cleanup_free_ char *list = NULL;

                r = strv_join(units, ", ", &list);
                if (r < 0)
                        return r;
                return outcome_fail(o, b->error < 0 ? b->error : -EHOSTUNREACH,
                                    "cannot change %s: systemd cannot be reached: %s", list,
                                    strerror(b->error < 0 ? -b->error : EHOSTUNREACH));
        }

        /* Unit files first: once disabled and masked, nothing brings the unit back. */
        STRV_FOREACH (u, units) {
                _cleanup_(unit_state_done) UnitState s = {};
                _cleanup_free_ char *why = NULL;
                size_t before = strv_length(o->changes);

                r = b->ops->get_state(b->userdata, *u, &s, &why);
                if (r < 0) {
                        ret = op_failed(o, r, "read the state of", *u, &why);
                        continue;
                }
                if (!s.found)
                        continue;
                if (s.enabled && (r = b->ops->disable(b->userdata, *u, &o->changes, &why)) < 0)
                        ret = op_failed(o, r, "disable", *u, &why);
                if (p->mask && !s.masked && unit_maskable(b->root, *u) &&
                    (r = b->ops->mask(b->userdata, *u, &o->changes, &why)) < 0)
                        ret = op_failed(o, r, "mask", *u, &why);
                if (strv_length(o->changes) != before)
                        files_changed = true;
                if (s.active && (r = strv_extend(&stop, *u)) < 0)
                        return r;
        }

        if (files_changed && b->ops->reload) {
                _cleanup_free_ char *why = NULL;

                r = b->ops->reload(b->userdata, &o->changes, &why);
                if (r < 0)
                        ret = op_failed(o, r, "reload", "the systemd manager", &why);
        }

        STRV_FOREACH (u, stop) {
                _cleanup_free_ char *why = NULL;

                if (!b->ops->stop) {
                        ret = outcome_fail(o, -EOPNOTSUPP, "cannot stop %s: nothing runs in %s", *u, b->ops->name);
                        continue;
                }
                r = b->ops->stop(b->userdata, *u, &o->changes, &why);
                if (r < 0)
                        ret = op_failed(o, r, "stop", *u, &why);
        }
        return ret;
}

bool svc_listener_allowed(const ServicesPolicy *p, const Listener *l) {
        for (size_t i = 0; i < p->n_listeners_allow; i++)
                if (p->listeners_allow[i].proto == l->proto && p->listeners_allow[i].port == l->port)
                        return true;
        return false;
}

/* One reported socket address: the owners of every socket bound to it, merged. */
typedef struct Report {
        char *subject;
        char *actual;
        bool loopback;
} Report;

static void reports_free(Report *r, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(r[i].subject);
                free(r[i].actual);
        }
        free(r);
}

static bool owners_contain(const char *list, const char *who) {
        size_t n = strlen(who);

        for (const char *s = list; s && (s = strstr(s, who)); s += n)
                if ((s == list || s[-1] == ',') && (s[n] == 0 || s[n] == ','))
                        return true;
        return false;
}

static int report_add(Report **reports, size_t *n, char *subject, char *actual, bool loopback) {
        for (size_t i = 0; i < *n; i++) {
                Report *x = &(*reports)[i];
                char *joined;

                if (!streq(x->subject, subject))
                        continue;
                /* SO_REUSEPORT: several sockets, one address */
                if (!owners_contain(x->actual, actual)) {
                        if (asprintf(&joined, "%s,%s", x->actual, actual) < 0)
                                goto oom;
                        free(x->actual);
                        x->actual = joined;
                }
                free(subject);
                free(actual);
                return 0;
        }
        if (ARRAY_GROW_ONE(*reports, *n) < 0)
                goto oom;
        (*reports)[(*n)++] = (Report){ .subject = subject, .actual = actual, .loopback = loopback };
        return 0;
oom:
        free(subject);
        free(actual);
        return -ENOMEM;
}

static int read_tables(const char *proc, ListenerList *all, FindingList *out) {
        int r;

        for (size_t i = 0; i < ELEMENTSOF(listener_tables); i++) {
                const ListenerTable *t = &listener_tables[i];
                _cleanup_free_ char *why = NULL;
                unsigned bad = 0;

                r = listeners_read_table(proc, t, all, &bad);
                if (r == -ENOMEM)
                        return r;
                if (r == -ENOENT && t->family == AF_INET6)
                        continue; /* IPv6 is off: there is no table, and nothing listens */
                if (r < 0) {
                        if (asprintf(&why, "cannot read %s/net/%s: %s", proc, t->name, strerror(-r)) < 0)
                                return -ENOMEM;
                } else if (bad > 0) {
                        if (asprintf(&why, "%u line(s) of %s/net/%s not understood", bad, proc, t->name) < 0)
                                return -ENOMEM;
                } else
                        continue;
                r = finding_addf(out, MODULE_NAME, "listeners", FINDING_UNKNOWN, SEVERITY_MEDIUM, false, NULL, why,
                                 "%s", t->name);
                if (r < 0)
                        return r;
        }
        return 0;
}

int svc_probe_listeners(const ServicesPolicy *p, const char *proc, FindingList *out) {
        _cleanup_(listener_list_done) ListenerList all = {};
        _cleanup_(socket_owners_done) SocketOwners owners = {};
        _cleanup_free_ uint64_t *inodes = NULL;
        Report *reports = NULL;
        size_t n_inodes = 0, n_reports = 0;
        int r;

        r = read_tables(proc, &all, out);
        if (r < 0)
                return r;

        inodes = calloc(all.n ?: 1, sizeof(uint64_t));
        if (!inodes)
                return -ENOMEM;
        for (size_t i = 0; i < all.n; i++)
                if (!svc_listener_allowed(p, &all.items[i]))
                        inodes[n_inodes++] = all.items[i].inode;
        r = socket_owners_read(proc, inodes, n_inodes, &owners);
        if (r == -ENOMEM)
                return r;
        /* without /proc/PID/fd the sockets are still worth reporting, with an unknown owner */

        for (size_t i = 0; i < all.n; i++) {
                const Listener *l = &all.items[i];
                char *subject = NULL, *actual = NULL;

                if (svc_listener_allowed(p, l))
                        continue;
                r = listener_format(l, &subject);
                if (r < 0)
                        goto finish;
                r = socket_owners_format(&owners, l->inode, &actual);
                if (r == -ENOENT)
                        r = asprintf(&actual, "unknown process (socket inode %" PRIu64 ")", l->inode) < 0 ? -ENOMEM
                                                                                                          : 0;
                if (r < 0) {
                        free(subject);
                        goto finish;
                }
                r = report_add(&reports, &n_reports, subject, actual, listener_is_loopback(l));
                if (r < 0)
                        goto finish;
        }

        for (size_t i = 0; i < n_reports; i++) {
                r = finding_addf(out, MODULE_NAME, "listener", FINDING_DRIFT,
                                 reports[i].loopback ? SEVERITY_LOW : SEVERITY_MEDIUM, false, NULL, reports[i].actual,
                                 "%s", reports[i].subject);
                if (r < 0)
                        goto finish;
        }
        r = 0;
finish:
        reports_free(reports, n_reports);
        return r;
}

static bool services_enabled(const Policy *p) {
        return p->services.enable;
}

/* The backend for this context: the one the Context names, else the unit files of an image tree,
 * or the manager over the bus. */
static void pick_backend(Context *c, SvcBackend *ret) {
        sd_bus *bus = NULL;
        int r;

        if (c->unit_ops) {
                *ret = (SvcBackend){ .ops = c->unit_ops,
                                     .userdata = c->unit_ops_userdata,
                                     .fallback_root = c->live ? "/" : NULL,
                                     .root = c->live ? "/" : c->root };
                return;
        }
        if (!c->live) {
                *ret = (SvcBackend){ .ops = &unit_ops_disk, .userdata = (void *) c->root, .root = c->root };
                return;
        }
        r = context_get_bus(c, &bus);
        if (r < 0)
                *ret = (SvcBackend){ .error = r, .fallback_root = "/", .root = "/" };
        else
                *ret = (SvcBackend){ .ops = &unit_ops_bus, .userdata = bus, .fallback_root = "/", .root = "/" };
}

static int services_probe(Context *c, FindingList *out) {
        const ServicesPolicy *p = &c->policy->services;
        SvcBackend b;
        int r;

        pick_backend(c, &b);
        r = svc_probe_units(p, &b, out);
        if (r < 0)
                return r;
        if (!c->live)
                return finding_addf(out, MODULE_NAME, "listeners", FINDING_INFO, SEVERITY_INFO, false, NULL,
                                    "not probed with --root: listening sockets belong to the running system",
                                    "listeners");
        /* /proc/net is the network namespace of the reader: ours */
        return svc_probe_listeners(p, "/proc", out);
}

static int services_apply(Context *c, const FindingList *mine, Outcome *o) {
        SvcBackend b;

        pick_backend(c, &b);
        return svc_apply_units(&c->policy->services, &b, mine, o);
}

/* Module.snapshot_paths: the mask and enablement links, all in /etc/systemd/system. */
static int services_snapshot_paths(Context *c, char ***ret) {
        char **l = strv_copy((char *const[]){ (char *) UNIT_CONFIG_DIR "/", NULL });

        (void) c;
        if (!l)
                return -ENOMEM;
        *ret = l;
        return 0;
}

/* Module.snapshot_state: the units of services.disable that run now, started again on a rollback. */
static int services_snapshot_state(Context *c, Snapshot *s) {
        const UnitOps *ops = c->unit_ops;
        void *userdata = c->unit_ops_userdata;
        sd_bus *bus;

        if (!ops) {
                if (context_get_bus(c, &bus) < 0)
                        return 0; /* no manager: nothing runs that apply could stop */
                ops = &unit_ops_bus;
                userdata = bus;
        }
        STRV_FOREACH (u, c->policy->services.disable) {
                _cleanup_(unit_state_done) UnitState st = {};
                _cleanup_free_ char *error = NULL;

                if (ops->get_state(userdata, *u, &st, &error) < 0)
                        continue; /* then apply cannot stop it either */
                if (st.active && strv_extend(&s->units_active, *u) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* Module.watch: the mask and enablement links live in /etc/systemd/system. */
static int services_watch(Context *c, WatchSpec **l, size_t *n) {
        int r = watch_spec_add(l, n, "/etc/systemd", (const char *const[]){ "system", NULL });

        (void) c;
        return r < 0 ? r : watch_spec_add(l, n, "/etc/systemd/system", NULL);
}

const Module services_module = {
        .id = MODULE_SERVICES,
        .name = MODULE_NAME,
        .policy = &services_policy_section,
        .enabled = services_enabled,
        .probe = services_probe,
        .preflight = NULL,
        .apply = services_apply,
        .snapshot_paths = services_snapshot_paths,
        .snapshot_state = services_snapshot_state,
        .watch = services_watch,
        .probe_on_unit_change = true,
        .after_ready = true,
};
