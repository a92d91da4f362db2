/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-journal.h>

#include "messages.h"
#include "status.h"

void watcher_state_done(WatcherState *w) {
        free(w->reason);
        free(w->active_state);
        free(w->sub_state);
        free(w->status_text);
        *w = (WatcherState){};
}

static int unknown_because(WatcherState *w, const char *fmt, const char *arg) {
        w->known = false;
        if (asprintf(&w->reason, fmt, arg) < 0) {
                w->reason = NULL;
                return -ENOMEM;
        }
        return 0;
}

int status_read_watcher(Context *c, WatcherState *ret) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(watcher_state_done) WatcherState w = {};
        _cleanup_free_ char *path = NULL;
        sd_bus *bus = NULL;
        int r;

        if (!c->live)
                r = unknown_because(&w, "%s", "not asked for an image tree");
        else if ((r = context_get_bus(c, &bus)) < 0)
                r = unknown_because(&w, "no system bus: %s", strerror(-r));
        else if ((r = sd_bus_path_encode("/org/freedesktop/systemd1/unit", WATCHER_UNIT, &path)) < 0)
                return r;
        else if ((r = sd_bus_get_property_string(bus, "org.freedesktop.systemd1", path,
                                                 "org.freedesktop.systemd1.Unit", "ActiveState", &error,
                                                 &w.active_state)) < 0)
                r = unknown_because(&w, "systemd did not answer: %s", error.message ?: strerror(-r));
        else {
                w.known = true;
                r = 0;
                (void) sd_bus_get_property_string(bus, "org.freedesktop.systemd1", path,
                                                  "org.freedesktop.systemd1.Unit", "SubState", NULL, &w.sub_state);
                (void) sd_bus_get_property_string(bus, "org.freedesktop.systemd1", path,
                                                  "org.freedesktop.systemd1.Service", "StatusText", NULL,
                                                  &w.status_text);
        }
        if (r < 0)
                return r;
        *ret = w;
        w = (WatcherState){};
        return 0;
}

static void journal_event_done(JournalEvent *ev) {
        free(ev->kind);
        free(ev->module);
        free(ev->check);
        free(ev->subject);
        free(ev->expected);
        free(ev->actual);
        free(ev->message);
        *ev = (JournalEvent){};
}

void journal_events_done(JournalEvents *e) {
        for (size_t i = 0; i < e->n; i++)
                journal_event_done(&e->items[i]);
        free(e->items);
        free(e->reason);
        *e = (JournalEvents){};
}

static const struct {
        const char *id;
        const char *kind;
} event_kinds[] = {
        { HARDEND_MESSAGE_DRIFT_DETECTED, "drift" },
        { HARDEND_MESSAGE_DRIFT_RESOLVED, "resolved" },
        { HARDEND_MESSAGE_REPAIRED, "repaired" },
};

/* The value of field in the current entry, or NULL when it has none. */
static int journal_field(sd_journal *j, const char *field, char **ret) {
        const void *data;
        size_t len, l = strlen(field);
        int r;

        r = sd_journal_get_data(j, field, &data, &len);
        if (r == -ENOENT) {
                *ret = NULL;
                return 0;
        }
        if (r < 0)
                return r;
        if (len <= l || memcmp(data, field, l) != 0 || ((const char *) data)[l] != '=')
                return -EBADMSG;
        *ret = strndup((const char *) data + l + 1, len - l - 1);
        return *ret ? 0 : -ENOMEM;
}

static int read_entry(sd_journal *j, JournalEvent *ev) {
        _cleanup_free_ char *id = NULL;
        int r;

        r = journal_field(j, "MESSAGE_ID", &id);
        if (r < 0 || !id)
                return r < 0 ? r : -EBADMSG;
        for (size_t i = 0; i < ELEMENTSOF(event_kinds); i++)
                if (streq(id, event_kinds[i].id))
                        ev->kind = strdup(event_kinds[i].kind);
        if (!ev->kind)
                return -ENOMEM;
        r = sd_journal_get_realtime_usec(j, &ev->usec);
        if (r < 0)
                return r;
        if (journal_field(j, "HARDEND_MODULE", &ev->module) == -ENOMEM ||
            journal_field(j, "HARDEND_CHECK", &ev->check) == -ENOMEM ||
            journal_field(j, "HARDEND_SUBJECT", &ev->subject) == -ENOMEM ||
            journal_field(j, "HARDEND_EXPECTED", &ev->expected) == -ENOMEM ||
            journal_field(j, "HARDEND_ACTUAL", &ev->actual) == -ENOMEM ||
            journal_field(j, "MESSAGE", &ev->message) == -ENOMEM)
                return -ENOMEM;
        return 0;
}

static int unavailable_because(JournalEvents *e, const char *fmt, const char *arg) {
        e->available = false;
        if (asprintf(&e->reason, fmt, arg) < 0) {
                e->reason = NULL;
                return -ENOMEM;
        }
        return 0;
}

int status_read_events(const Context *c, size_t max, JournalEvents *ret) {
        _cleanup_(journal_events_done) JournalEvents e = {};
        sd_journal *j = NULL;
        int r;

        if (!c->live)
                r = unavailable_because(&e, "%s", "not read for an image tree");
        else if (access("/run/log/journal", F_OK) < 0 && access("/var/log/journal", F_OK) < 0)
                r = unavailable_because(&e, "%s", "no journal on this system");
        else if ((r = sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY | SD_JOURNAL_SYSTEM)) < 0)
                r = unavailable_because(&e, "cannot open the journal: %s", strerror(-r));
        else {
                e.available = true;
                for (size_t i = 0; i < ELEMENTSOF(event_kinds) && r >= 0; i++) {
                        _cleanup_free_ char *match = NULL;

                        if (asprintf(&match, "MESSAGE_ID=%s", event_kinds[i].id) < 0)
                                r = -ENOMEM;
                        else
                                r = sd_journal_add_match(j, match, 0);
                }
                if (r >= 0)
                        r = sd_journal_seek_tail(j);
                if (r >= 0)
                        e.items = calloc(max ?: 1, sizeof(JournalEvent));
                if (r >= 0 && !e.items)
                        r = -ENOMEM;
                /* newest first from the tail, stored oldest first */
                while (r >= 0 && e.n < max && (r = sd_journal_previous(j)) > 0) {
                        JournalEvent ev = {};

                        r = read_entry(j, &ev);
                        if (r < 0) {
                                journal_event_done(&ev);
                                if (r == -ENOMEM)
                                        break;
                                r = 0; /* a damaged entry is skipped */
                                continue;
                        }
                        e.items[e.n++] = ev;
                }
                sd_journal_close(j);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        e.available = false;
                        if (unavailable_because(&e, "cannot read the journal: %s", strerror(-r)) < 0)
                                return -ENOMEM;
                }
                for (size_t i = 0; i < e.n / 2; i++) {
                        JournalEvent t = e.items[i];

                        e.items[i] = e.items[e.n - 1 - i];
                        e.items[e.n - 1 - i] = t;
                }
                r = 0;
        }
        if (r < 0)
                return r;
        *ret = e;
        e = (JournalEvents){};
        return 0;
}
