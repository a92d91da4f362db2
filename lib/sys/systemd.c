/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The running manager over sd-bus: org.freedesktop.systemd1.Manager and .Unit. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "strv.h"
#include "time-util.h"
#include "sys/systemd.h"

#define SD_DEST           "org.freedesktop.systemd1"
#define SD_PATH           "/org/freedesktop/systemd1"
#define SD_MANAGER        "org.freedesktop.systemd1.Manager"
#define SD_UNIT           "org.freedesktop.systemd1.Unit"

#define CALL_TIMEOUT_USEC (90ULL * 1000 * 1000) /* Reload and StopUnit can take a while */

void unit_state_done(UnitState *s) {
        free(s->active_state);
        free(s->file_state);
        *s = (UnitState){};
}

/* Keeps the D-Bus error's name and message for the report and returns its errno. */
static int bus_fail(int r, const sd_bus_error *error, char **ret_error, const char *what, const char *unit) {
        char *s = NULL;

        if (sd_bus_error_is_set(error))
                r = sd_bus_error_get_errno(error) > 0 ? -sd_bus_error_get_errno(error) : r;
        if (ret_error && !*ret_error) {
                int k;

                if (sd_bus_error_is_set(error))
                        k = asprintf(&s, "%s %s: %s (%s)", what, strempty(unit), strna(error->message), error->name);
                else
                        k = asprintf(&s, "%s %s: %s", what, strempty(unit), strerror(-r));
                if (k >= 0)
                        *ret_error = s;
        }
        return r < 0 ? r : -EIO;
}

static bool is_active_word(const char *s) {
        static const char *const words[] = { "active", "activating", "reloading", "deactivating", "refreshing" };

        for (size_t i = 0; s && i < ELEMENTSOF(words); i++)
                if (streq(s, words[i]))
                        return true;
        return false;
}

static int load_unit_path(sd_bus *bus, const char *unit, char **ret_path, char **ret_error) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *path;
        char *p;
        int r;

        /* LoadUnit, not GetUnit: a unit nobody started yet is not loaded, but we want its state */
        r = sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER, "LoadUnit", &error, &reply, "s", unit);
        if (r < 0)
                return bus_fail(r, &error, ret_error, "LoadUnit", unit);
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return bus_fail(r, &error, ret_error, "LoadUnit reply for", unit);
        p = strdup(path);
        if (!p)
                return -ENOMEM;
        *ret_path = p;
        return 0;
}

static int unit_property(sd_bus *bus, const char *path, const char *unit, const char *property, char **ret,
                         char **ret_error) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_get_property_string(bus, SD_DEST, path, SD_UNIT, property, &error, ret);
        if (r < 0)
                return bus_fail(r, &error, ret_error, property, unit);
        return 0;
}

static int bus_get_state(void *userdata, const char *unit, UnitState *ret, char **ret_error) {
        sd_bus *bus = userdata;
        _cleanup_free_ char *path = NULL, *load = NULL, *active = NULL, *file = NULL;
        int r;

        r = load_unit_path(bus, unit, &path, ret_error);
        if (r < 0)
                return r;
        if ((r = unit_property(bus, path, unit, "LoadState", &load, ret_error)) < 0 ||
            (r = unit_property(bus, path, unit, "ActiveState", &active, ret_error)) < 0 ||
            (r = unit_property(bus, path, unit, "UnitFileState", &file, ret_error)) < 0)
                return r;

        *ret = (UnitState){
                .active = is_active_word(active),
                .enabled = streq(file, "enabled") || streq(file, "enabled-runtime"),
                .masked = streq(file, "masked") || streq(load, "masked"),
        };
        /* a unit without a file that still runs (its file deleted under it) is very much there */
        ret->found = !streq(load, "not-found") || ret->active;
        ret->active_state = TAKE_PTR(active);
        ret->file_state = isempty(file) ? strdup(load) : TAKE_PTR(file);
        return 0;
}

/* Appends the a(sss) changes of Disable/MaskUnitFiles as text. */
static int read_changes(sd_bus_message *reply, char ***changes) {
        const char *type, *file, *dest;
        int r;

        r = sd_bus_message_enter_container(reply, SD_BUS_TYPE_ARRAY, "(sss)");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(reply, "(sss)", &type, &file, &dest)) > 0) {
                if (streq(type, "symlink"))
                        r = strv_extendf(changes, "created symlink %s -> %s", file, dest);
                else if (streq(type, "unlink"))
                        r = strv_extendf(changes, "removed %s", file);
                else
                        r = strv_extendf(changes, "%s %s %s", type, file, dest);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(reply);
}

/* DisableUnitFiles(as files, b runtime) / MaskUnitFiles(as files, b runtime, b force) */
static int unit_files_call(sd_bus *bus, const char *method, const char *unit, char ***changes, char **ret_error) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        char *files[] = { (char *) unit, NULL };
        int r;

        r = sd_bus_message_new_method_call(bus, &m, SD_DEST, SD_PATH, SD_MANAGER, method);
        if (r < 0)
                return bus_fail(r, &error, ret_error, method, unit);
        r = sd_bus_message_append_strv(m, files);
        if (r >= 0)
                r = sd_bus_message_append(m, "b", 0); /* persistent, not only until reboot */
        if (r >= 0 && streq(method, "MaskUnitFiles"))
                r = sd_bus_message_append(m, "b", 0); /* no force: a real unit file in /etc stays */
        if (r < 0)
                return bus_fail(r, &error, ret_error, method, unit);
        r = sd_bus_call(bus, m, 0, &error, &reply);
        if (r < 0)
                return bus_fail(r, &error, ret_error, method, unit);
        /* both reply a(sss): the links made and removed */
        r = read_changes(reply, changes);
        if (r < 0)
                return bus_fail(r, &error, ret_error, "reading the reply of", method);
        return 0;
}

static int bus_disable(void *userdata, const char *unit, char ***changes, char **ret_error) {
        return unit_files_call(userdata, "DisableUnitFiles", unit, changes, ret_error);
}

static int bus_mask(void *userdata, const char *unit, char ***changes, char **ret_error) {
        return unit_files_call(userdata, "MaskUnitFiles", unit, changes, ret_error);
}

static int bus_stop(void *userdata, const char *unit, char ***changes, char **ret_error) {
        sd_bus *bus = userdata;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_free_ char *path = NULL;
        uint64_t deadline;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, SD_DEST, SD_PATH, SD_MANAGER, "StopUnit");
        if (r >= 0)
                r = sd_bus_message_append(m, "ss", unit, "replace");
        if (r < 0)
                return bus_fail(r, &error, ret_error, "StopUnit", unit);
        r = sd_bus_call(bus, m, CALL_TIMEOUT_USEC, &error, &reply);
        if (r < 0)
                return bus_fail(r, &error, ret_error, "StopUnit", unit);

        /* The reply is the queued job; wait until the unit is down, so that what we verify next is
         * the result and not the transition. */
        r = load_unit_path(bus, unit, &path, ret_error);
        if (r < 0)
                return r;
        deadline = now_monotonic_usec() + UNIT_STOP_TIMEOUT_USEC;
        for (;;) {
                _cleanup_free_ char *state = NULL;

                r = unit_property(bus, path, unit, "ActiveState", &state, ret_error);
                if (r < 0)
                        return r;
                if (!is_active_word(state))
                        break;
                if (now_monotonic_usec() > deadline)
                        return bus_fail(-ETIMEDOUT, &error, ret_error, "waiting for the stop of", unit);
                (void) nanosleep(&(struct timespec){ .tv_nsec = 100 * 1000 * 1000 }, NULL);
        }
        return strv_extendf(changes, "stopped %s", unit);
}

static int bus_reload(void *userdata, char ***changes, char **ret_error) {
        sd_bus *bus = userdata;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, SD_DEST, SD_PATH, SD_MANAGER, "Reload");
        if (r < 0)
                return bus_fail(r, &error, ret_error, "Reload", "the manager");
        /* the reply comes once the manager has re-read the unit files */
        r = sd_bus_call(bus, m, CALL_TIMEOUT_USEC, &error, &reply);
        if (r < 0)
                return bus_fail(r, &error, ret_error, "Reload", "the manager");
        return strv_extend(changes, "reloaded the systemd manager");
}

const UnitOps unit_ops_bus = {
        .name = "systemd",
        .get_state = bus_get_state,
        .stop = bus_stop,
        .disable = bus_disable,
        .mask = bus_mask,
        .reload = bus_reload,
};
