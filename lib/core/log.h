/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>
#include <syslog.h>

#include "macro.h"

/* The one place that decides where messages go: the journal when we run under systemd with
 * the journal reachable, stderr otherwise, or a sink that tests install. */
typedef enum LogTarget {
        LOG_TARGET_AUTO,
        LOG_TARGET_STDERR,
        LOG_TARGET_JOURNAL,
        _LOG_TARGET_MAX,
        _LOG_TARGET_INVALID = -EINVAL,
} LogTarget;

/* A structured field: name without the leading underscore, e.g. "HARDEND_MODULE". */
typedef struct LogField {
        const char *name;
        const char *value;
} LogField;

typedef void (*LogSink)(int level, const char *message_id, const LogField *fields, size_t n_fields,
                        const char *message, void *userdata);

void log_setup(LogTarget target);
LogTarget log_get_target(void);
void log_set_max_level(int level);
int log_get_max_level(void);
/* Routes every message to sink (NULL restores the normal target). For tests. */
void log_set_sink(LogSink sink, void *userdata);

/* Returns -abs(error), so that "return log_error_errno(r, ...)" works; %m prints error. */
int log_internal(int level, int error, const char *fmt, ...) _printf_(3, 4);

/* A journal entry with a fixed MESSAGE_ID and extra fields; message_id may be NULL. */
int log_event(int level, const char *message_id, const LogField *fields, size_t n_fields, const char *fmt, ...)
        _printf_(5, 6);

#define log_full_errno(level, error, ...) log_internal(level, error, __VA_ARGS__)
#define log_debug(...)                    log_internal(LOG_DEBUG, 0, __VA_ARGS__)
#define log_info(...)                     log_internal(LOG_INFO, 0, __VA_ARGS__)
#define log_notice(...)                   log_internal(LOG_NOTICE, 0, __VA_ARGS__)
#define log_warning(...)                  log_internal(LOG_WARNING, 0, __VA_ARGS__)
#define log_error(...)                    log_internal(LOG_ERR, 0, __VA_ARGS__)
#define log_warning_errno(error, ...)     log_internal(LOG_WARNING, error, __VA_ARGS__)
#define log_error_errno(error, ...)       log_internal(LOG_ERR, error, __VA_ARGS__)
#define log_oom()                         log_internal(LOG_ERR, ENOMEM, "Out of memory.")
