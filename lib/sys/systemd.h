/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Units, as the services module sees them, through one of two backends sharing an ops table:
 * the running manager over sd-bus (org.freedesktop.systemd1), or the unit files of an image
 * tree on disk (sys/unitfiles.h). */

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "macro.h"

typedef struct UnitState {
        bool found;         /* the system has the unit: a unit file, a mask, or a loaded unit */
        bool active;        /* running, starting, reloading or being stopped */
        bool enabled;       /* pulled in at boot by an enablement link */
        bool masked;        /* linked to /dev/null */
        char *active_state; /* systemd's word ("active", "inactive", ...); NULL when not known (on disk) */
        char *file_state;   /* "enabled", "disabled", "static", "masked", ... */
} UnitState;

void unit_state_done(UnitState *s);

/* Each returns >= 0 or -errno, with a message for the report in *ret_error when it can say more
 * than strerror() (may be left NULL). Changes made are appended to *changes as text. */
typedef struct UnitOps {
        const char *name; /* "systemd" or "unit files" */
        int (*get_state)(void *userdata, const char *unit, UnitState *ret, char **ret_error);
        /* NULL where nothing runs (an image tree) */
        int (*stop)(void *userdata, const char *unit, char ***changes, char **ret_error);
        int (*disable)(void *userdata, const char *unit, char ***changes, char **ret_error);
        int (*mask)(void *userdata, const char *unit, char ***changes, char **ret_error);
        /* makes the manager see the changed unit files; NULL when there is no manager */
        int (*reload)(void *userdata, char ***changes, char **ret_error);
} UnitOps;

/* The live backend; userdata is the sd_bus * of the system bus. */
extern const UnitOps unit_ops_bus;

/* How long stop waits for the unit to go down. */
#define UNIT_STOP_TIMEOUT_USEC (90ULL * 1000 * 1000)
