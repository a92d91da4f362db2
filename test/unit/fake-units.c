/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "fake-units.h"
#include "strv.h"

static FakeUnit *unit_find(const FakeUnits *f, const char *unit) {
        for (size_t i = 0; i < f->n_units; i++)
                if (streq(f->units[i].name, unit))
                        return &f->units[i];
        return NULL;
}

const FakeUnit *fake_units_get(const FakeUnits *f, const char *unit) {
        return unit_find(f, unit);
}

/* Counts the call; the injected failure when it matches, else 0. */
static int call_begin(FakeUnits *f, FakeUnitCall call, const char *unit, char **ret_error) {
        f->n_calls[call]++;
        if (f->fail_call != call || (f->fail_unit && (!unit || !streq(f->fail_unit, unit))))
                return 0;
        if (f->fail_message && ret_error) {
                *ret_error = strdup(f->fail_message);
                if (!*ret_error)
                        return -ENOMEM;
        }
        return f->fail_error;
}

/* Appends the change to *changes and to the fake's log. */
static int record(FakeUnits *f, char ***changes, const char *fmt, const char *unit) {
        int r;

        r = strv_extendf(changes, fmt, unit);
        if (r < 0)
                return r;
        return strv_extendf(&f->log, fmt, unit);
}

static int fake_get_state(void *userdata, const char *unit, UnitState *ret, char **ret_error) {
        FakeUnits *f = userdata;
        const FakeUnit *u;
        UnitState s = {};
        int r;

        r = call_begin(f, FAKE_UNIT_GET_STATE, unit, ret_error);
        if (r < 0)
                return r;
        u = unit_find(f, unit);
        if (u) {
                s = (UnitState){ .found = true, .active = u->active, .enabled = u->enabled, .masked = u->masked };
                s.active_state = strdup(u->active ? "active" : "inactive");
                s.file_state = strdup(u->masked ? "masked" : u->enabled ? "enabled" : "disabled");
        } else
                s.active_state = strdup("inactive");
        if (!s.active_state || (u && !s.file_state)) {
                unit_state_done(&s);
                return -ENOMEM;
        }
        *ret = s;
        return 0;
}

static int fake_stop(void *userdata, const char *unit, char ***changes, char **ret_error) {
        FakeUnits *f = userdata;
        FakeUnit *u;
        int r;

        r = call_begin(f, FAKE_UNIT_STOP, unit, ret_error);
        if (r < 0)
                return r;
        u = unit_find(f, unit);
        if (!u)
                return -ENOENT;
        u->active = false;
        return record(f, changes, "stopped %s", unit);
}

static int fake_disable(void *userdata, const char *unit, char ***changes, char **ret_error) {
        FakeUnits *f = userdata;
        FakeUnit *u;
        int r;

        r = call_begin(f, FAKE_UNIT_DISABLE, unit, ret_error);
        if (r < 0)
                return r;
        u = unit_find(f, unit);
        if (!u)
                return -ENOENT;
        if (!u->enabled)
                return 0; /* as systemd: no link removed, no change */
        u->enabled = false;
        return record(f, changes, "removed /etc/systemd/system/multi-user.target.wants/%s", unit);
}

static int fake_mask(void *userdata, const char *unit, char ***changes, char **ret_error) {
        FakeUnits *f = userdata;
        FakeUnit *u;
        int r;

        r = call_begin(f, FAKE_UNIT_MASK, unit, ret_error);
        if (r < 0)
                return r;
        u = unit_find(f, unit);
        if (!u)
                return -ENOENT;
        if (u->masked)
                return 0;
        u->masked = true;
        return record(f, changes, "created symlink /etc/systemd/system/%s -> /dev/null", unit);
}

static int fake_reload(void *userdata, char ***changes, char **ret_error) {
        FakeUnits *f = userdata;
        int r;

        r = call_begin(f, FAKE_UNIT_RELOAD, NULL, ret_error);
        if (r < 0)
                return r;
        return record(f, changes, "reloaded the %s manager", "fake");
}

void fake_units_init(FakeUnits *f) {
        *f = (FakeUnits){
                .ops = {
                        .name = "fake systemd",
                        .get_state = fake_get_state,
                        .stop = fake_stop,
                        .disable = fake_disable,
                        .mask = fake_mask,
                        .reload = fake_reload,
                },
                .fail_call = _FAKE_UNIT_CALL_INVALID,
        };
}

void fake_units_done(FakeUnits *f) {
        for (size_t i = 0; i < f->n_units; i++)
                free(f->units[i].name);
        free(f->units);
        free(f->fail_unit);
        free(f->fail_message);
        strv_free(f->log);
        *f = (FakeUnits){};
}

int fake_units_add(FakeUnits *f, const char *unit, bool active, bool enabled, bool masked) {
        FakeUnit *u = unit_find(f, unit);
        char *name;

        if (!u) {
                name = strdup(unit);
                if (!name || ARRAY_GROW_ONE(f->units, f->n_units) < 0) {
                        free(name);
                        return -ENOMEM;
                }
                u = &f->units[f->n_units++];
                *u = (FakeUnit){ .name = name };
        }
        u->active = active;
        u->enabled = enabled;
        u->masked = masked;
        return 0;
}

int fake_units_fail(FakeUnits *f, FakeUnitCall call, const char *unit, int error, const char *message) {
        char *u = NULL, *m = NULL;

        if ((unit && !(u = strdup(unit))) || (message && !(m = strdup(message)))) {
                free(u);
                return -ENOMEM;
        }
        free(f->fail_unit);
        free(f->fail_message);
        f->fail_call = call;
        f->fail_unit = u;
        f->fail_error = error;
        f->fail_message = m;
        return 0;
}
