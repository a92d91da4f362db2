/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* An in-memory systemd for unit tests (UnitOps, sys/systemd.h): units with a state (active,
 * enabled, masked; a unit never added is not found), stop/disable/mask/reload that change it and
 * record what they did, and one injectable failure. Nothing talks to the bus. Plug it in with
 * c->unit_ops = &f->ops and c->unit_ops_userdata = f. */

#include <stdbool.h>

#include "sys/systemd.h"

typedef enum FakeUnitCall {
        FAKE_UNIT_GET_STATE,
        FAKE_UNIT_STOP,
        FAKE_UNIT_DISABLE,
        FAKE_UNIT_MASK,
        FAKE_UNIT_RELOAD,
        _FAKE_UNIT_CALL_MAX,
        _FAKE_UNIT_CALL_INVALID = -EINVAL,
} FakeUnitCall;

typedef struct FakeUnit {
        char *name;
        bool active;
        bool enabled;
        bool masked;
} FakeUnit;

typedef struct FakeUnits {
        UnitOps ops; /* the userdata it expects is this FakeUnits */
        FakeUnit *units;
        size_t n_units;
        /* the failure: call fail_call on fail_unit (NULL: any unit) returns fail_error with
         * fail_message; _FAKE_UNIT_CALL_INVALID: none */
        FakeUnitCall fail_call;
        char *fail_unit;
        int fail_error;
        char *fail_message;
        char **log;                            /* every change made, in order (as in *changes) */
        unsigned n_calls[_FAKE_UNIT_CALL_MAX]; /* how often each was asked */
} FakeUnits;

void fake_units_init(FakeUnits *f);
void fake_units_done(FakeUnits *f);
/* Adds (or replaces the state of) unit. */
int fake_units_add(FakeUnits *f, const char *unit, bool active, bool enabled, bool masked);
/* The unit, or NULL when it was never added (not found). */
const FakeUnit *fake_units_get(const FakeUnits *f, const char *unit);
/* call on unit (NULL: any) fails from now on with error (-errno) and message (may be NULL). */
int fake_units_fail(FakeUnits *f, FakeUnitCall call, const char *unit, int error, const char *message);
