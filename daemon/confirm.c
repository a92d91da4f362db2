/* SPDX-License-Identifier: GPL-2.0-or-later */
/* "hardenctl apply --confirm SECONDS" and "hardenctl confirm": the interactive safety net of an
 * apply over SSH (the pattern of iptables-apply). See lib/confirm/rollback.h and lib/confirm/confirm.h. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "confirm.h"
#include "log.h"
#include "messages.h"
#include "modules.h"
#include "rollback.h"
#include "state.h"
#include "strv.h"
#include "sys/fileio.h"
#include "time-util.h"

void confirm_session_done(ConfirmSession *cs) {
        if (cs->listen_fd >= 0) {
                (void) unlink(CONFIRM_SOCKET);
                cs->listen_fd = safe_close(cs->listen_fd);
        }
        cs->signal_fd = safe_close(cs->signal_fd);
        if (cs->blocked) {
                (void) sigprocmask(SIG_SETMASK, &cs->old_mask, NULL);
                cs->blocked = false;
        }
        snapshot_done(&cs->snapshot);
}

/* Puts everything back and says so (stderr and the journal); the snapshot stays when that failed,
 * for the next hardenctl to try again. */
static int rollback_now(Context *c, const Snapshot *s, const char *reason) {
        _cleanup_strv_free_ char **changes = NULL, **errors = NULL;
        const LogField fields[] = { { "HARDEND_RESULT", "rolled-back" }, { "HARDEND_REASON", reason } };
        int r;

        r = rollback_restore(c, s, &changes, &errors);
        STRV_FOREACH (ch, changes)
                log_info("  %s", *ch);
        STRV_FOREACH (e, errors)
                log_error("  %s", *e);
        if (r < 0) {
                (void) log_event(LOG_ERR, HARDEND_MESSAGE_ROLLED_BACK, fields, ELEMENTSOF(fields),
                                 "Rollback (%s) incomplete: %s; the snapshot stays in %s and the next hardenctl "
                                 "command tries again.",
                                 reason, strerror(-r), ROLLBACK_DIR);
                return r;
        }
        (void) log_event(LOG_WARNING, HARDEND_MESSAGE_ROLLED_BACK, fields, ELEMENTSOF(fields),
                         "Rolled back (%s): the state before the apply is restored (%zu change(s)).", reason,
                         strv_length(changes));
        r = snapshot_discard(c->root);
        if (r < 0)
                log_warning_errno(r, "Cannot remove %s: %m", ROLLBACK_DIR);
        r = state_record_rollback(c->root, reason, now_realtime_usec());
        if (r < 0)
                log_warning_errno(r, "Cannot record the rollback in %s: %m", STATE_PATH);
        return 0;
}

int cli_recover_rollback(void) {
        _cleanup_(snapshot_done) Snapshot s = {};
        _cleanup_(context_done) Context c = { .root = "/", .live = true };
        int r;

        if (!root_is_live(arg_root))
                return 0; /* snapshots are taken on the live system only */
        r = snapshot_load("/", &s);
        if (r == -ENOENT)
                return 0;
        if (r < 0) {
                log_error_errno(r,
                                "A snapshot of \"apply --confirm\" is in %s but cannot be read (%m); "
                                "check it and remove it by hand.",
                                ROLLBACK_DIR);
                return r;
        }
        r = snapshot_owner_alive(&s);
        if (r != 0)
                return 0; /* that apply still waits (or we cannot tell): its business */
        log_warning("The \"apply --confirm\" of process %d ended without a confirmation and without rolling back "
                    "(it was killed); restoring the state before it.",
                    (int) s.pid);
        (void) unlink(CONFIRM_SOCKET); /* its socket, if it had one yet */
        r = rollback_now(&c, &s, "the waiting apply died");
        return r < 0 ? r : 1;
}

int confirm_refuse_if_waiting(Context *c) {
        _cleanup_(snapshot_done) Snapshot other = {};

        if (snapshot_load(c->root, &other) >= 0 && snapshot_owner_alive(&other) != 0) {
                log_error("Process %d is waiting for the confirmation of its own apply; confirm it or let it roll "
                          "back first.",
                          (int) other.pid);
                return EXIT_REFUSED;
        }
        return 0;
}

int confirm_begin(Context *c, ConfirmSession *cs) {
        int r;

        if (!c->live) {
                log_error("--confirm is for the live system: nobody logs in to an image tree (--root).");
                return EXIT_USAGE;
        }
        r = confirm_refuse_if_waiting(c);
        if (r != 0)
                return r;
        /* a dropped session (SIGHUP) or ^C while apply runs is a rollback afterwards */
        r = confirm_signals_block(&cs->old_mask, &cs->signal_fd);
        if (r < 0) {
                log_error_errno(r, "Cannot block signals: %m");
                return EXIT_FAILED;
        }
        cs->blocked = true;
        (void) signal(SIGPIPE, SIG_IGN);
        r = rollback_take(c, hardend_modules, hardend_n_modules, &cs->snapshot);
        if (r < 0) {
                log_error_errno(r, "Cannot take the snapshot to roll back to; nothing was changed: %m");
                return EXIT_FAILED;
        }
        r = snapshot_save(c->root, &cs->snapshot);
        if (r < 0) {
                log_error_errno(r, "Cannot write the snapshot to %s; nothing was changed: %m", ROLLBACK_DIR);
                return EXIT_FAILED;
        }
        cs->saved = true;
        return 0;
}

int confirm_abort(Context *c, ConfirmSession *cs, const char *reason) {
        if (!cs->saved)
                return EXIT_FAILED;
        (void) rollback_now(c, &cs->snapshot, reason);
        return EXIT_FAILED;
}

int confirm_end(Context *c, ConfirmSession *cs, const ApplyResult *a, unsigned seconds) {
        _cleanup_free_ char *reason = NULL;
        uint64_t deadline;
        int r;

        if (a->refused || (!a->changed && a->status == EXIT_COMPLIANT)) {
                /* nothing was changed: nothing to confirm */
                r = snapshot_discard(c->root);
                if (r < 0)
                        log_warning_errno(r, "Cannot remove %s: %m", ROLLBACK_DIR);
                return a->status;
        }
        if (a->status != EXIT_COMPLIANT)
                return confirm_abort(c, cs, "the apply failed");

        r = confirm_listen(CONFIRM_DIR, &cs->listen_fd);
        if (r < 0) {
                log_error_errno(r, "Cannot listen on %s for the confirmation: %m", CONFIRM_SOCKET);
                return confirm_abort(c, cs, "no confirmation channel");
        }
        cs->snapshot.deadline_usec = now_realtime_usec() + (uint64_t) seconds * USEC_PER_SEC;
        r = snapshot_update_manifest(c->root, &cs->snapshot);
        if (r < 0)
                log_warning_errno(r, "Cannot record the deadline in %s: %m", ROLLBACK_DIR);
        deadline = now_monotonic_usec() + (uint64_t) seconds * USEC_PER_SEC;
        fprintf(stderr,
                "Applied. To keep these changes, run \"hardenctl confirm\" from a NEW ssh login within %u s.\n"
                "Without it, or if this session ends, everything is rolled back to the state before.\n",
                seconds);
        fflush(stderr);

        for (;;) {
                ConfirmEvent ev;
                int signo = 0;

                r = confirm_wait(cs->listen_fd, cs->signal_fd, deadline, c->ssh_connection, &ev, &signo);
                if (r < 0) {
                        log_error_errno(r, "Waiting for the confirmation failed: %m");
                        return confirm_abort(c, cs, "waiting for the confirmation failed");
                }
                if (ev == CONFIRM_SAME_LOGIN) {
                        log_warning("A confirmation came from this same ssh login ($SSH_CONNECTION); that proves "
                                    "nothing. Run \"hardenctl confirm\" from a NEW login.");
                        continue;
                }
                if (ev == CONFIRM_CONFIRMED) {
                        (void) log_event(LOG_INFO, HARDEND_MESSAGE_CONFIRMED, NULL, 0,
                                         "Confirmed from a new login: the changes stay.");
                        r = snapshot_discard(c->root);
                        if (r < 0)
                                log_warning_errno(r, "Cannot remove %s: %m", ROLLBACK_DIR);
                        return a->status;
                }
                if (ev == CONFIRM_TIMEOUT)
                        r = asprintf(&reason, "no confirmation within %u s", seconds);
                else
                        r = asprintf(&reason, "SIG%s while waiting for the confirmation", sigabbrev_np(signo) ?: "?");
                if (r < 0)
                        return log_oom(), confirm_abort(c, cs, "out of memory");
                break;
        }
        return confirm_abort(c, cs, reason);
}

int verb_confirm(int recovered) {
        _cleanup_free_ char *reply = NULL;
        int r;

        if (recovered > 0) {
                log_error("Nothing to confirm: the apply that waited had died, and its changes were rolled back.");
                return EXIT_FAILED;
        }
        r = confirm_send(CONFIRM_DIR, getenv("SSH_CONNECTION"), &reply);
        if (r == -ENOENT || r == -ECONNREFUSED) {
                log_error("Nothing waits for a confirmation (no \"hardenctl apply --confirm\" is running).");
                return EXIT_USAGE;
        }
        if (r < 0) {
                log_error_errno(r, "Cannot send the confirmation to %s: %m", CONFIRM_SOCKET);
                return EXIT_FAILED;
        }
        if (streq(reply, "OK")) {
                printf("Confirmed: the changes stay.\n");
                return EXIT_COMPLIANT;
        }
        if (streq(reply, "SAME-LOGIN")) {
                log_error("Refused: this is the ssh login that ran the apply; confirm from a NEW login, which "
                          "proves that logging in still works.");
                return EXIT_REFUSED;
        }
        log_error("Unexpected answer \"%s\".", reply);
        return EXIT_FAILED;
}
