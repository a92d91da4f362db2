/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>

#include "log.h"

/* Process-wide logging state, like every logger's: written once at start, read thereafter. */
static struct {
        LogTarget target;
        int max_level;
        bool stderr_journal; /* our stderr is the journal's stream: "<N>" tells it the priority */
        LogSink sink;
        void *sink_userdata;
} log_state = { LOG_TARGET_STDERR, LOG_INFO, false, NULL, NULL };

/* $JOURNAL_STREAM names the journal's stream as "dev:ino"; it is ours when it is our stderr. */
static bool stderr_is_journal(void) {
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;

        if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
                return false;
        if (fstat(STDERR_FILENO, &st) < 0)
                return false;
        return (unsigned long long) st.st_dev == dev && (unsigned long long) st.st_ino == ino;
}

void log_setup(LogTarget target) {
        const char *level = getenv("HARDEND_LOG_LEVEL");

        /* $HARDEND_LOG_LEVEL=debug: the watcher's per-event and per-probe lines (tests, debugging) */
        if (level && strcmp(level, "debug") == 0)
                log_state.max_level = LOG_DEBUG;
        log_state.stderr_journal = stderr_is_journal();
        if (target == LOG_TARGET_AUTO)
                target = log_state.stderr_journal && access("/run/systemd/journal/socket", F_OK) >= 0
                                 ? LOG_TARGET_JOURNAL
                                 : LOG_TARGET_STDERR;
        log_state.target = target;
}

LogTarget log_get_target(void) {
        return log_state.target;
}

void log_set_max_level(int level) {
        log_state.max_level = level;
}

int log_get_max_level(void) {
        return log_state.max_level;
}

void log_set_sink(LogSink sink, void *userdata) {
        log_state.sink = sink;
        log_state.sink_userdata = userdata;
}

static int log_journal(int level, const char *message_id, const LogField *fields, size_t n_fields,
                       const char *message) {
        size_t n = 0, max = n_fields + 3;
        _cleanup_free_ struct iovec *iov = calloc(max, sizeof(struct iovec));
        _cleanup_free_ char **strings = calloc(max, sizeof(char *));
        int r = -ENOMEM;

        if (!iov || !strings)
                return -ENOMEM;
        if (asprintf(&strings[n++], "MESSAGE=%s", message) < 0 || asprintf(&strings[n++], "PRIORITY=%i", level) < 0)
                goto finish;
        if (message_id && asprintf(&strings[n++], "MESSAGE_ID=%s", message_id) < 0)
                goto finish;
        for (size_t i = 0; i < n_fields; i++)
                if (fields[i].value && asprintf(&strings[n++], "%s=%s", fields[i].name, fields[i].value) < 0)
                        goto finish;
        for (size_t i = 0; i < n; i++)
                iov[i] = (struct iovec){ .iov_base = strings[i], .iov_len = strlen(strings[i]) };
        r = sd_journal_sendv(iov, (int) n);
finish:
        for (size_t i = 0; i < max; i++)
                free(strings[i]);
        return r;
}

static void log_dispatch(int level, const char *message_id, const LogField *fields, size_t n_fields,
                         const char *message) {
        if (log_state.sink) {
                log_state.sink(level, message_id, fields, n_fields, message, log_state.sink_userdata);
                return;
        }

        if (log_state.target == LOG_TARGET_JOURNAL && log_journal(level, message_id, fields, n_fields, message) >= 0)
                return;

        (void) fflush(stdout); /* keep our stdout and stderr lines in order when both are piped */
        if (log_state.stderr_journal)
                (void) fprintf(stderr, "<%i>%s\n", level, message);
        else
                (void) fprintf(stderr, "%s\n", message);
}

static int log_vformat(int level, int error, const char *message_id, const LogField *fields, size_t n_fields,
                       const char *fmt, va_list ap) {
        _cleanup_free_ char *message = NULL;
        int saved = errno;

        if (error < 0)
                error = -error;
        if (level > log_state.max_level)
                return -error;

        errno = error;
        if (vasprintf(&message, fmt, ap) < 0) {
                errno = saved;
                return -error;
        }
        log_dispatch(level, message_id, fields, n_fields, message);
        errno = saved;
        return -error;
}

int log_internal(int level, int error, const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = log_vformat(level, error, NULL, NULL, 0, fmt, ap);
        va_end(ap);
        return r;
}

int log_event(int level, const char *message_id, const LogField *fields, size_t n_fields, const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = log_vformat(level, 0, message_id, fields, n_fields, fmt, ap);
        va_end(ap);
        return r;
}
