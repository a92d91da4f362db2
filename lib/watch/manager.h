/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdint.h>
#include <systemd/sd-event.h>

#include "engine.h"
#include "policy.h"

/* The resident watcher (hardend watch): an sd-event loop that re-probes the modules when the files
 * they own change (inotify), when systemd reports unit changes (D-Bus), and every watch.interval
 * seconds (firewall, listeners), coalescing bursts; it logs each new and each resolved drift once,
 * repairs in mode = "repair", and reloads the policy on SIGHUP. */

#define MANAGER_DEFER_USEC (200 * 1000ULL)

typedef struct Manager Manager;

typedef struct ManagerOptions {
        const char *config;           /* policy file; NULL: ROOT/etc/hardend/hardend.conf, else built-in */
        const char *root;             /* NULL or "/": the live system */
        const Module *const *modules; /* the registry (tests pass fakes) */
        size_t n_modules;
        uint64_t defer_usec;        /* burst coalescing; 0: MANAGER_DEFER_USEC */
        unsigned interval_override; /* seconds; 0: the policy's watch.interval (tests) */
        const char *run_dir;        /* Context.run_dir: NULL keeps what is learnt in memory */
} ManagerOptions;

/* Takes ownership of policy (already loaded and reported by the face). */
int manager_new(const ManagerOptions *o, Policy *policy, Manager **ret);
Manager *manager_free(Manager *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Manager *, manager_free);

/* Event loop, signals, watches, bus, timers; the first probe; READY=1. */
int manager_startup(Manager *m);
/* sd_event_loop() until SIGTERM/SIGINT; STOPPING=1. Returns the loop's exit code. */
int manager_run(Manager *m);
sd_event *manager_get_event(Manager *m);

/* Probes the modules in mask (bits of ModuleId; 0: all) now, logs the differences, repairs. */
int manager_probe(Manager *m, unsigned mask);
/* Asks for a probe of mask after the coalescing delay; repeated calls before it fires merge. */
int manager_queue_probe(Manager *m, unsigned mask);
/* Reloads the policy (SIGHUP). A policy that does not load is logged with FILE:LINE and the
 * current one stays: returns -EINVAL then. */
int manager_reload(Manager *m);

/* For tests and status: what the watcher last saw. */
const Policy *manager_get_policy(Manager *m);
const FindingList *manager_get_findings(Manager *m);
const char *manager_get_status(Manager *m); /* "compliant" / "2 drifts: firewall, ssh" */
unsigned manager_get_probe_count(Manager *m);
/* The watched paths currently active (below the root), for tests. */
size_t manager_get_n_watches(Manager *m);
