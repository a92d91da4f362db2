/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "engine.h"

/* What hardenctl status shows beside the probe: the watcher's unit and its recent journal events. */

#define WATCHER_UNIT "hardend.service"

typedef struct WatcherState {
        bool known; /* false: reason says why (no system bus, image tree) */
        char *reason;
        char *active_state; /* "active", "inactive", "failed", ... */
        char *sub_state;
        char *status_text; /* the watcher's sd_notify STATUS=, may be empty */
} WatcherState;

void watcher_state_done(WatcherState *w);
/* Asks systemd over the bus; degrades to !known with a reason. -ENOMEM is the only error. */
int status_read_watcher(Context *c, WatcherState *ret);

typedef struct JournalEvent {
        uint64_t usec; /* CLOCK_REALTIME */
        char *kind;    /* "drift", "resolved", "repaired" */
        char *module, *check, *subject, *expected, *actual;
        char *message;
} JournalEvent;

typedef struct JournalEvents {
        bool available; /* false: reason says why */
        char *reason;
        JournalEvent *items; /* oldest first */
        size_t n;
} JournalEvents;

void journal_events_done(JournalEvents *e);
/* The latest max drift events (detected, resolved, repaired) by MESSAGE_ID. Degrades to
 * !available with a reason; -ENOMEM is the only error. */
int status_read_events(const Context *c, size_t max, JournalEvents *ret);
