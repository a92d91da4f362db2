/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "finding.h"

/* hardend's Prometheus metrics in the text exposition format (node_exporter's textfile collector):
 * what one host says about itself. Pure: the text is made from the values given. */

typedef struct MetricsModule {
        const char *name;
        ModuleState state;                /* DISABLED and SKIPPED modules get no compliance series */
        unsigned findings[_SEVERITY_MAX]; /* drift findings of the last probe */
        uint64_t drift_events;            /* drift the watcher logged, since the counter file began */
} MetricsModule;

typedef struct Metrics {
        const char *version;
        MetricsModule *modules; /* owned */
        size_t n_modules;
        uint64_t last_apply_usec; /* CLOCK_REALTIME; 0: no apply recorded (no series) */
        bool last_apply_success;
        uint64_t last_probe_usec; /* CLOCK_REALTIME; 0: none (no series) */
        char *firewall_backend;   /* "nftables", "iptables", "none"; NULL: not probed (no series) */
        char *policy_sha256;      /* hex digest of the policy text; NULL: unknown (no series) */
        bool watcher_up;
} Metrics;

void metrics_done(Metrics *m);

/* A label value with \, " and newline escaped as the exposition format asks. */
int metrics_escape_label(const char *s, char **ret);

/* The whole file: HELP and TYPE lines, then the samples, families in a fixed order. */
int metrics_render(const Metrics *m, char **ret);

/* The module series from a probe's findings l of modules (their state as engine_module_state()
 * decides it in c) and the firewall backend the probe reported; drift_events by ModuleId (NULL: 0). */
int metrics_from_findings(const Context *c, const Module *const *modules, size_t n, const FindingList *l,
                          const uint64_t *drift_events, Metrics *ret);

/* The last apply of the state file: result "applied" or "compliant" is a success. */
void metrics_set_last_apply(Metrics *m, uint64_t apply_usec, const char *result);
/* From "sha256:<hex>". -EINVAL for anything else. */
int metrics_set_policy_digest(Metrics *m, const char *digest);
