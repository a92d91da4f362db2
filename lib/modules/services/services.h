/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The services module: the units of services.disable stopped, disabled and masked (live over
 * sd-bus, or on disk in an image tree), and every listening socket not in listeners_allow
 * reported with the process behind it. */

#include "engine.h"
#include "sys/listeners.h"
#include "sys/systemd.h"

extern const Module services_module;

/* Where the units are read and changed. */
typedef struct SvcBackend {
        const UnitOps *ops; /* NULL when the manager cannot be reached */
        void *userdata;
        int error; /* -errno: why ops is NULL */
        /* Without ops: the on-disk view that tells whether there would be anything to change
         * (the live root "/"), or NULL. */
        const char *fallback_root;
        /* Where the unit files are, to tell whether a unit can be masked at all. */
        const char *root;
} SvcBackend;

/* One finding per listed unit that deviates ("unit-active", "unit-enabled", "unit-masked"), an
 * INFO "unit-missing" for a unit the system does not have, or an UNKNOWN "unit-state" with the
 * reason when the state cannot be read. */
int svc_probe_units(const ServicesPolicy *p, const SvcBackend *b, FindingList *out);

/* Fixes the units of the fixable findings in mine: disable and mask first (sockets, paths and
 * timers before the services they start), reload the manager, then stop. Records each change. */
int svc_apply_units(const ServicesPolicy *p, const SvcBackend *b, const FindingList *mine, Outcome *o);

bool svc_listener_allowed(const ServicesPolicy *p, const Listener *l);

/* A "listener" finding for every listening socket of PROC/net/{tcp,tcp6,udp,udp6} that the policy
 * does not allow: subject "tcp 0.0.0.0:3306", actual "mysqld[812]"; loopback-only at low severity. */
int svc_probe_listeners(const ServicesPolicy *p, const char *proc, FindingList *out);
