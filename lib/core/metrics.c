/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

/* Severities in the order of the table (finding.c), as label values. */
static const Severity severity_order[] = { SEVERITY_INFO, SEVERITY_LOW, SEVERITY_MEDIUM, SEVERITY_HIGH };

void metrics_done(Metrics *m) {
        free(m->modules);
        free(m->firewall_backend);
        free(m->policy_sha256);
        *m = (Metrics){};
}

int metrics_escape_label(const char *s, char **ret) {
        size_t n = 0;
        char *out, *o;

        for (const char *p = s; *p; p++)
                n += (*p == '\\' || *p == '"' || *p == '\n') ? 2 : 1;
        out = malloc(n + 1);
        if (!out)
                return -ENOMEM;
        o = out;
        for (const char *p = s; *p; p++) {
                if (*p == '\\' || *p == '"' || *p == '\n') {
                        *o++ = '\\';
                        *o++ = *p == '\n' ? 'n' : *p;
                } else
                        *o++ = *p;
        }
        *o = 0;
        *ret = out;
        return 0;
}

static void family(FILE *f, const char *name, const char *type, const char *help) {
        fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{label="value"} then the value as given */
static int sample_label(FILE *f, const char *name, const char *label, const char *value, const char *fmt, ...)
        _printf_(5, 6);
static int sample_label(FILE *f, const char *name, const char *label, const char *value, const char *fmt, ...) {
        _cleanup_free_ char *e = NULL;
        va_list ap;

        if (metrics_escape_label(value, &e) < 0)
                return -ENOMEM;
        fprintf(f, "%s{%s=\"%s\"} ", name, label, e);
        va_start(ap, fmt);
        vfprintf(f, fmt, ap);
        va_end(ap);
        fputc('\n', f);
        return 0;
}

static void timestamp(FILE *f, const char *name, uint64_t usec) {
        fprintf(f, "%s %" PRIu64 ".%03u\n", name, usec / 1000000, (unsigned) (usec % 1000000 / 1000));
}

static bool module_exported(const MetricsModule *mm) {
        return mm->state == MODULE_STATE_COMPLIANT || mm->state == MODULE_STATE_DRIFTED ||
               mm->state == MODULE_STATE_UNKNOWN;
}

static int render_modules(FILE *f, const Metrics *m) {
        int r;

        family(f, "hardend_module_compliant", "gauge",
               "Whether the module matches the policy: 1 compliant, 0 drifted, -1 unknown (its state could not be "
               "read). Disabled modules have no series.");
        for (size_t i = 0; i < m->n_modules; i++) {
                const MetricsModule *mm = &m->modules[i];

                if (!module_exported(mm))
                        continue;
                r = sample_label(f, "hardend_module_compliant", "module", mm->name, "%d",
                                 mm->state == MODULE_STATE_COMPLIANT ? 1
                                 : mm->state == MODULE_STATE_DRIFTED ? 0
                                                                     : -1);
                if (r < 0)
                        return r;
        }

        family(f, "hardend_findings", "gauge", "Drift findings of the last probe, by module and severity.");
        for (size_t i = 0; i < m->n_modules; i++) {
                const MetricsModule *mm = &m->modules[i];
                _cleanup_free_ char *e = NULL;

                if (!module_exported(mm))
                        continue;
                if (metrics_escape_label(mm->name, &e) < 0)
                        return -ENOMEM;
                for (size_t k = 0; k < ELEMENTSOF(severity_order); k++)
                        fprintf(f, "hardend_findings{module=\"%s\",severity=\"%s\"} %u\n", e,
                                severity_to_string(severity_order[k]), mm->findings[severity_order[k]]);
        }

        family(f, "hardend_drift_events_total", "counter",
               "Drift events the watcher logged, by module; kept across restarts in /var/lib/hardend/drift-events.");
        for (size_t i = 0; i < m->n_modules; i++) {
                r = sample_label(f, "hardend_drift_events_total", "module", m->modules[i].name, "%" PRIu64,
                                 m->modules[i].drift_events);
                if (r < 0)
                        return r;
        }
        return 0;
}

int metrics_render(const Metrics *m, char **ret) {
        _cleanup_free_ char *buf = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        size_t size = 0;
        int r;

        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;

        family(f, "hardend_build_info", "gauge", "The hardend version that wrote these metrics; always 1.");
        r = sample_label(f, "hardend_build_info", "version", strna(m->version), "1");
        if (r < 0)
                return r;
        r = render_modules(f, m);
        if (r < 0)
                return r;
        if (m->last_apply_usec > 0) {
                family(f, "hardend_last_apply_timestamp_seconds", "gauge",
                       "When the last apply (hardend apply, hardenctl apply or a repair) ran, in seconds since the "
                       "epoch.");
                timestamp(f, "hardend_last_apply_timestamp_seconds", m->last_apply_usec);
                family(f, "hardend_last_apply_success", "gauge",
                       "Whether the last apply left the system matching the policy: 1 yes, 0 it failed, was "
                       "refused or was rolled back.");
                fprintf(f, "hardend_last_apply_success %d\n", m->last_apply_success ? 1 : 0);
        }
        if (m->last_probe_usec > 0) {
                family(f, "hardend_last_probe_timestamp_seconds", "gauge",
                       "When the system was last probed against the policy, in seconds since the epoch.");
                timestamp(f, "hardend_last_probe_timestamp_seconds", m->last_probe_usec);
        }
        if (m->firewall_backend) {
                family(f, "hardend_firewall_backend_info", "gauge",
                       "The packet filter that holds hardend's rules (nftables, iptables, or none); always 1.");
                r = sample_label(f, "hardend_firewall_backend_info", "backend", m->firewall_backend, "1");
                if (r < 0)
                        return r;
        }
        if (m->policy_sha256) {
                family(f, "hardend_policy_info", "gauge", "The SHA-256 of the policy text the host runs; always 1.");
                r = sample_label(f, "hardend_policy_info", "sha256", m->policy_sha256, "1");
                if (r < 0)
                        return r;
        }
        family(f, "hardend_watcher_up", "gauge", "Whether the drift watcher (hardend.service) runs: 1 yes, 0 no.");
        fprintf(f, "hardend_watcher_up %d\n", m->watcher_up ? 1 : 0);

        if (fflush(f) != 0 || ferror(f) || fclose(TAKE_PTR(f)) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(buf);
        return 0;
}

int metrics_from_findings(const Context *c, const Module *const *modules, size_t n, const FindingList *l,
                          const uint64_t *drift_events, Metrics *ret) {
        _cleanup_free_ MetricsModule *mm = NULL;
        _cleanup_free_ char *backend = NULL;

        mm = calloc(n ?: 1, sizeof(MetricsModule));
        if (!mm)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                mm[i] = (MetricsModule){
                        .name = modules[i]->name,
                        .state = engine_module_state(c, modules[i], l),
                        .drift_events = drift_events && modules[i]->id >= 0 && modules[i]->id < _MODULE_MAX
                                                ? drift_events[modules[i]->id]
                                                : 0,
                };
                for (size_t k = 0; k < l->n; k++) {
                        const Finding *f = &l->items[k];

                        if (f->kind == FINDING_DRIFT && streq(f->module, modules[i]->name) && f->severity >= 0 &&
                            f->severity < _SEVERITY_MAX)
                                mm[i].findings[f->severity]++;
                }
        }
        /* the firewall names its backend in an INFO finding, or reports that none can be used */
        for (size_t k = 0; k < l->n && !backend; k++) {
                const Finding *f = &l->items[k];

                if (!streq(f->module, "firewall") || !streq(f->check, "backend"))
                        continue;
                backend = strdup(f->kind == FINDING_INFO ? f->subject : "none");
                if (!backend)
                        return -ENOMEM;
        }
        *ret = (Metrics){ .version = HARDEND_VERSION,
                          .modules = TAKE_PTR(mm),
                          .n_modules = n,
                          .firewall_backend = TAKE_PTR(backend) };
        return 0;
}

void metrics_set_last_apply(Metrics *m, uint64_t apply_usec, const char *result) {
        m->last_apply_usec = apply_usec;
        m->last_apply_success = streq_ptr(result, "applied") || streq_ptr(result, "compliant");
}

int metrics_set_policy_digest(Metrics *m, const char *digest) {
        const char *hex = digest ? startswith(digest, "sha256:") : NULL;
        char *c;

        if (!hex || strlen(hex) != 64 || strspn(hex, "0123456789abcdef") != 64)
                return -EINVAL;
        c = strdup(hex);
        if (!c)
                return -ENOMEM;
        free(m->policy_sha256);
        m->policy_sha256 = c;
        return 0;
}
