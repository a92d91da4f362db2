/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "engine.h"
#include "policy.h"
#include "rollback.h"

#include <signal.h>

/* Options common to hardend and hardenctl, set by cli_parse_common(). */
extern char *arg_config;
extern char *arg_root;
extern unsigned arg_only;
extern bool arg_json;
extern bool arg_force;
extern bool arg_prometheus; /* hardenctl status --format prometheus */

/* getopt_long option values for the common options */
enum {
        ARG_VERSION = 0x100,
        ARG_CONFIG,
        ARG_ROOT,
        ARG_ONLY,
        ARG_JSON,
        ARG_FORCE,
        ARG_CONFIRM,
        ARG_NO_PAGER,
        ARG_FORMAT,
        _ARG_COMMON_MAX,
};

#define CLI_COMMON_OPTIONS                                                                                        \
        { "help", no_argument, NULL, 'h' }, { "version", no_argument, NULL, ARG_VERSION },                        \
                { "config", required_argument, NULL, ARG_CONFIG }, { "root", required_argument, NULL, ARG_ROOT }, \
                { "only", required_argument, NULL, ARG_ONLY }, { "json", no_argument, NULL, ARG_JSON }, {         \
                "force", no_argument, NULL, ARG_FORCE                                                             \
        }

/* Handles one common option: 1 handled, 0 not a common option, -EINVAL bad value (logged). */
int cli_parse_common(int c, const char *optarg_value);
void cli_free(void);

/* Loads --config, else ROOT/etc/hardend/hardend.conf, else the built-in default. Errors are
 * printed as FILE:LINE: message. */
int cli_load_policy(Policy **ret);
void cli_context_init(Context *c, const Policy *p);
/* Whether hardend.service is active (asked systemd through context_get_bus(); false when that
 * cannot be told). */
bool cli_watcher_up(Context *c);

int verb_validate(const char *file);
int verb_check(void);
int verb_plan(void);
/* confirm_sec > 0: "apply --confirm SECONDS" (confirm.c) */
int verb_apply(unsigned confirm_sec);
int verb_confirm(int recovered);

/* What an "apply --confirm" holds while it runs (daemon/confirm.c). */
typedef struct ConfirmSession {
        Snapshot snapshot;
        bool saved;
        bool blocked;
        sigset_t old_mask;
        int signal_fd;
        int listen_fd;
} ConfirmSession;

#define CONFIRM_SESSION_INIT \
        { .signal_fd = -EBADF, .listen_fd = -EBADF }

void confirm_session_done(ConfirmSession *cs);
/* Before apply: refuses --root and a second waiting apply, blocks the ending signals, takes and
 * saves the snapshot. 0, or the exit status to end with (nothing changed). */
int confirm_begin(Context *c, ConfirmSession *cs);
/* EXIT_REFUSED, said on stderr, while another process waits for the confirmation of its apply
 * (and so holds the apply lock until it is confirmed or rolled back); 0 otherwise. */
int confirm_refuse_if_waiting(Context *c);
/* After apply: waits for the confirmation, or rolls back. Returns the exit status. */
int confirm_end(Context *c, ConfirmSession *cs, const ApplyResult *a, unsigned seconds);
/* Rolls back now (the apply failed); EXIT_FAILED. */
int confirm_abort(Context *c, ConfirmSession *cs, const char *reason);
/* Restores the snapshot of an "apply --confirm" that died. 1 restored, 0 none (or its apply still
 * runs), -errno failed (logged). */
int cli_recover_rollback(void);
int verb_status(void);
