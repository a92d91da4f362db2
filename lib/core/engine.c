/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "array.h"
#include "engine.h"
#include "modules.h"
#include "strv.h"
#include "sys/sshd.h"

#define SYSTEMD_PRIVATE_BUS      "/run/systemd/private"

#define MODULE_ID_NAME(id, name) [MODULE_##id] = #name,
static const char *const module_id_table[_MODULE_MAX] = { HARDEND_MODULE_LIST(MODULE_ID_NAME) };

DEFINE_STRING_TABLE_LOOKUP(module_id, ModuleId);

int module_mask_from_string(const char *s, unsigned *ret, char **ret_bad) {
        _cleanup_strv_free_ char **words = NULL;
        unsigned mask = 0;
        int r;

        r = strv_split(s, ",", &words);
        if (r < 0)
                return r;
        if (strv_isempty(words)) {
                *ret_bad = strdup(s);
                return -EINVAL;
        }
        STRV_FOREACH (w, words) {
                ModuleId id = module_id_from_string(*w);

                if (id < 0) {
                        *ret_bad = strdup(*w);
                        return -EINVAL;
                }
                mask |= 1u << id;
        }
        *ret = mask;
        return 0;
}

void context_done(Context *c) {
        c->bus = sd_bus_flush_close_unref(c->bus);
        for (size_t i = 0; i < _MODULE_MAX; i++) {
                if (c->cache[i].data && c->cache[i].free)
                        c->cache[i].free(c->cache[i].data);
                c->cache[i] = (ModuleCache){};
        }
        accounts_plan_free(c->accounts);
        c->accounts = NULL;
        c->provided = false;
        if (c->shared.data && c->shared.free)
                c->shared.free(c->shared.data);
        c->shared = (ModuleCache){};
}

void *context_cache(ModuleCache *slot, void *(*make)(void), void (*drop)(void *data)) {
        if (!slot->data) {
                slot->data = make();
                slot->free = drop;
        }
        return slot->data;
}

struct SshdCache *context_sshd_cache(Context *c) {
        if (!c->shared.data) {
                _cleanup_free_ char *path = NULL;

                if (c->run_dir && asprintf(&path, "%s/" SSHD_ANSWERS_FILE, c->run_dir) < 0)
                        return NULL;
                c->shared.data = path ? sshd_cache_new_at(path) : sshd_cache_new();
                c->shared.free = sshd_cache_free;
        }
        return c->shared.data;
}

/* Root speaks to systemd on its private socket, as systemctl does: at first boot the unit runs before
 * sockets.target, when a call over the system bus would wait for dbus.service, which waits for it.
 * The watcher needs the bus itself: its signal matches name systemd's bus name as the sender. */
static int open_bus(bool signals, sd_bus **ret) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        if (signals || geteuid() != 0 || access(SYSTEMD_PRIVATE_BUS, F_OK) < 0)
                return sd_bus_open_system(ret);
        r = sd_bus_new(&bus);
        if (r >= 0)
                r = sd_bus_set_address(bus, "unix:path=" SYSTEMD_PRIVATE_BUS);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r < 0)
                return sd_bus_open_system(ret);
        *ret = TAKE_PTR(bus);
        return 0;
}

int context_get_bus(Context *c, sd_bus **ret) {
        if (!c->bus_tried) {
                c->bus_tried = true;
                if (!c->live)
                        c->bus_error = -EOPNOTSUPP;
                else
                        c->bus_error = open_bus(c->bus_signals, &c->bus);
        }
        if (c->bus_error < 0)
                return c->bus_error;
        *ret = c->bus;
        return 0;
}

bool context_module_selected(const Context *c, ModuleId id) {
        return c->only == 0 || (c->only & (1u << id));
}

void outcome_done(Outcome *o) {
        o->changes = strv_free(o->changes);
        free(o->error);
        o->error = NULL;
}

int outcome_change(Outcome *o, const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = strv_extendv(&o->changes, fmt, ap);
        va_end(ap);
        return r;
}

int outcome_fail(Outcome *o, int r, const char *fmt, ...) {
        va_list ap;
        char *s;

        if (o->error)
                return r;
        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) >= 0)
                o->error = s;
        va_end(ap);
        return r;
}

void apply_result_done(ApplyResult *a) {
        finding_list_done(&a->before);
        finding_list_done(&a->after);
        for (size_t i = 0; i < a->n_modules; i++)
                outcome_done(&a->modules[i].outcome);
        free(a->modules);
        *a = (ApplyResult){};
}

bool context_module_active(const Context *c, const Module *m) {
        return context_module_selected(c, m->id) && m->enabled(c->policy);
}

static int probe_one(Context *c, const Module *m, FindingList *out) {
        int r = m->probe(c, out);

        if (r < 0) {
                _cleanup_free_ char *why = NULL;

                if (asprintf(&why, "probe failed: %s", strerror(-r)) < 0)
                        return -ENOMEM;
                return finding_add(out, &(Finding){ .module = (char *) m->name,
                                                    .check = "probe",
                                                    .subject = (char *) m->name,
                                                    .kind = FINDING_UNKNOWN,
                                                    .severity = SEVERITY_MEDIUM,
                                                    .actual = why });
        }
        return 0;
}

int engine_probe(Context *c, const Module *const *modules, size_t n, FindingList *out) {
        for (size_t i = 0; i < n; i++) {
                int r;

                if (!context_module_active(c, modules[i]))
                        continue;
                r = probe_one(c, modules[i], out);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Applies the modules that ran (those with after_ready == late), then reads back what they
 * changed: an apply that did not converge is a failure. */
static int apply_phase(Context *c, ApplyResult *a, bool late) {
        int r;

        for (size_t i = 0; i < a->n_modules; i++) {
                ModuleResult *mr = &a->modules[i];
                _cleanup_(finding_list_done) FindingList mine = {};

                if (!mr->ran || mr->module->after_ready != late)
                        continue;
                r = finding_list_append(&mine, &a->before, mr->module->name);
                if (r < 0)
                        return r;
                mr->r = mr->module->apply(c, &mine, &mr->outcome);
                if (!strv_isempty(mr->outcome.changes))
                        a->changed = true;
                if (mr->r < 0 && a->status == EXIT_COMPLIANT)
                        a->status = EXIT_FAILED;
        }
        for (size_t i = 0; i < a->n_modules; i++) {
                ModuleResult *mr = &a->modules[i];

                if (!mr->ran || mr->r < 0 || mr->module->after_ready != late)
                        continue;
                r = probe_one(c, mr->module, &a->after);
                if (r < 0)
                        return r;
                if (finding_list_count_fixable(&a->after, mr->module->name) > 0) {
                        mr->r = -EPROTO;
                        (void) outcome_fail(&mr->outcome, -EPROTO,
                                            "the state still differs from the policy after apply");
                        a->status = EXIT_FAILED;
                }
        }
        return 0;
}

/* A module that sshd need not wait for and that cannot refuse (after_ready, no preflight) is
 * probed only after Context.ready: its probe (the services module's calls to a PID 1 that is busy
 * booting) is not on sshd's path. */
static bool probed_late(const Module *m) {
        return m->after_ready && !m->preflight;
}

/* Probes the active modules whose probe comes late (late) or not, and marks each that has
 * something to do. */
static int probe_and_mark(Context *c, ApplyResult *a, bool late) {
        for (size_t i = 0; i < a->n_modules; i++) {
                ModuleResult *mr = &a->modules[i];
                int r;

                if (!context_module_active(c, mr->module) || probed_late(mr->module) != late)
                        continue;
                r = probe_one(c, mr->module, &a->before);
                if (r < 0)
                        return r;
                mr->ran = finding_list_count_fixable(&a->before, mr->module->name) > 0;
        }
        return 0;
}

int engine_apply(Context *c, const Module *const *modules, size_t n, ApplyResult *ret) {
        ApplyResult a = {};
        int r = 0;

        a.modules = calloc(n ?: 1, sizeof(ModuleResult));
        if (!a.modules)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                a.modules[a.n_modules++].module = modules[i];
        for (size_t i = 0; i < n; i++)
                if (modules[i]->prepare && context_module_active(c, modules[i]) && (r = modules[i]->prepare(c)) < 0)
                        goto finish;
        r = probe_and_mark(c, &a, false);
        if (r < 0)
                goto finish;

        /* Every check that could refuse runs before anything is changed. */
        for (size_t i = 0; i < a.n_modules; i++) {
                ModuleResult *mr = &a.modules[i];

                /* drift that apply cannot fix (a port sshd listens on outside the policy) may
                 * still be a reason to refuse */
                bool drifted = context_module_active(c, mr->module) &&
                               finding_list_count(&a.before, mr->module->name, FINDING_DRIFT) > 0;

                if (!(mr->ran || drifted) || !mr->module->preflight)
                        continue;
                mr->r = mr->module->preflight(c, &a.before, &mr->outcome);
                if (mr->r < 0) {
                        a.refused = true;
                        a.status = mr->r == -EPERM ? EXIT_REFUSED : EXIT_FAILED;
                        /* the report still shows what the late modules would change */
                        r = probe_and_mark(c, &a, true);
                        goto finish;
                }
        }

        r = apply_phase(c, &a, false);
        if (r < 0)
                goto finish;
        if (c->ready && a.status == EXIT_COMPLIANT)
                c->ready(c);
        r = probe_and_mark(c, &a, true);
        if (r < 0)
                goto finish;
        r = apply_phase(c, &a, true);
        if (r < 0)
                goto finish;
        r = 0;

finish:
        if (r < 0) {
                apply_result_done(&a);
                return r;
        }
        *ret = a;
        return 0;
}

int engine_prefetch(Context *c, const Module *const *modules, size_t n) {
        for (size_t i = 0; i < n; i++) {
                const Module *m = modules[i];
                int r;

                if (!m->prefetch || context_module_selected(c, m->id) || !m->enabled(c->policy))
                        continue;
                r = m->prefetch(c);
                if (r < 0)
                        return r;
        }
        return 0;
}

static const char *const module_state_table[_MODULE_STATE_MAX] = {
        [MODULE_STATE_COMPLIANT] = "compliant", [MODULE_STATE_DRIFTED] = "drifted", [MODULE_STATE_UNKNOWN] = "unknown",
        [MODULE_STATE_DISABLED] = "disabled",   [MODULE_STATE_SKIPPED] = "skipped",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(module_state, ModuleState);

ModuleState engine_module_state(const Context *c, const Module *m, const FindingList *l) {
        if (!context_module_selected(c, m->id))
                return MODULE_STATE_SKIPPED;
        if (!m->enabled(c->policy))
                return MODULE_STATE_DISABLED;
        if (finding_list_count(l, m->name, FINDING_DRIFT) > 0)
                return MODULE_STATE_DRIFTED;
        if (finding_list_count(l, m->name, FINDING_UNKNOWN) > 0)
                return MODULE_STATE_UNKNOWN;
        return MODULE_STATE_COMPLIANT;
}

ExitStatus engine_check_status(const FindingList *l) {
        return finding_list_count(l, NULL, FINDING_DRIFT) > 0 ? EXIT_DRIFT : EXIT_COMPLIANT;
}

void watch_spec_list_free(WatchSpec *l, size_t n) {
        for (size_t i = 0; l && i < n; i++) {
                free(l[i].path);
                strv_free(l[i].names);
        }
        free(l);
}

int watch_spec_add(WatchSpec **l, size_t *n, const char *path, const char *const *names) {
        WatchSpec s = {};

        for (size_t i = 0; i < *n; i++) {
                if (!streq((*l)[i].path, path))
                        continue;
                if (!(*l)[i].names)
                        return 0; /* every entry already */
                if (!names) {
                        (*l)[i].names = strv_free((*l)[i].names);
                        return 0;
                }
                for (const char *const *x = names; *x; x++)
                        if (!strv_contains((*l)[i].names, *x) && strv_extend(&(*l)[i].names, *x) < 0)
                                return -ENOMEM;
                return 0;
        }
        if (ARRAY_GROW_ONE(*l, *n) < 0)
                return -ENOMEM;
        s.path = strdup(path);
        if (!s.path)
                return -ENOMEM;
        if (names) {
                s.names = strv_copy((char *const *) names);
                if (!s.names) {
                        free(s.path);
                        return -ENOMEM;
                }
        }
        (*l)[(*n)++] = s;
        return 0;
}

void accounts_plan_free(AccountsPlan *p) {
        if (!p)
                return;
        strv_free(p->overlay_paths);
        strv_free(p->overlay_texts);
        free(p->home);
        free(p);
}

static void context_provide(Context *c) {
        if (c->provided && c->provided_policy == c->policy)
                return;
        accounts_plan_free(c->accounts);
        c->accounts = NULL;
        c->sshd_plan = (SshdPlan){};
        c->provided = true;
        c->provided_policy = c->policy;
        for (size_t i = 0; i < hardend_n_modules; i++)
                if (hardend_modules[i]->provide)
                        (void) hardend_modules[i]->provide(c);
}

const AccountsPlan *context_accounts(Context *c) {
        context_provide(c);
        return c->accounts;
}

const SshdPlan *context_sshd_plan(Context *c) {
        context_provide(c);
        return &c->sshd_plan;
}
