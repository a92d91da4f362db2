/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "engine.h"
#include "policy.h"

/* hardend's record of its last apply, kept in ROOT/var/lib/hardend/state as KEY=value lines
 * (written atomically). The first-boot unit asks whether the current instance has a record. */
#define STATE_DIR  "/var/lib/hardend"
#define STATE_PATH STATE_DIR "/state"
/* The watcher's drift event counters, by module (hardend_drift_events_total): its file alone. */
#define DRIFT_EVENTS_PATH      STATE_DIR "/drift-events"
#define CLOUD_INSTANCE_ID_PATH "/var/lib/cloud/data/instance-id"
#define MACHINE_ID_PATH        "/etc/machine-id"

typedef struct HardendState {
        uint64_t apply_usec;         /* CLOCK_REALTIME, µs; 0: never */
        char *apply_result;          /* "applied" | "compliant" | "failed" | "refused" */
        char *apply_modules;         /* "all" or "firewall,ssh" */
        char *policy_source;         /* the policy file, or POLICY_BUILTIN_NAME */
        char *policy_digest;         /* "sha256:<hex>" of the policy text */
        char *instance_id;           /* the instance the last apply ran on */
        char *firstboot_instance_id; /* the instance a complete apply succeeded on */
        uint64_t rollback_usec;      /* the last rollback of "apply --confirm"; 0: none */
        char *rollback_reason;       /* why: "no confirmation within 60 s", "SIGHUP", ... */
} HardendState;

void hardend_state_done(HardendState *s);

/* Parses the state file's text (changed in place). Unknown keys are ignored. */
int state_parse(char *text, HardendState *ret);
/* -ENOENT when there is no record. Unknown keys are ignored (newer versions may add some). */
int state_read(const char *root, HardendState *ret);
int state_write(const char *root, const HardendState *s);

/* cloud-init's instance id when cloud-init has one, else the machine id; -ENXIO when neither. */
int state_instance_id(const char *root, char **ret);

/* "sha256:<hex>" of the policy's text (the file it was loaded from, or the built-in text). */
int policy_digest(const Policy *p, char **ret);

/* "applied" | "compliant" | "failed" | "refused" */
const char *apply_result_to_string(const ApplyResult *a);

/* Records an apply (selected modules "only", 0: all). A complete, successful apply on the live
 * system also marks the current instance as done for the first-boot unit. */
int state_record_apply(const char *root, const Policy *p, unsigned only, const ApplyResult *a, uint64_t now_usec);

/* Records a rollback of "apply --confirm" on top of the (restored) record: LAST_APPLY_RESULT
 * becomes "rolled-back". */
int state_record_rollback(const char *root, const char *reason, uint64_t now_usec);

/* 1: the current instance has no first-boot record (the first-boot unit should run); 0: it has. */
int state_firstboot_needed(const char *root, char **ret_instance_id);

/* The drift event counters by ModuleId: a missing file reads as all 0; unknown modules and bad
 * lines are ignored. */
int state_read_drift_events(const char *root, uint64_t ret[_MODULE_MAX]);
int state_write_drift_events(const char *root, const uint64_t counts[_MODULE_MAX]);
