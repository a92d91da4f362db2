/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The fixed MESSAGE_IDs of hardend's journal events (units/hardend.catalog explains each).
 * Never change one: "journalctl MESSAGE_ID=..." and the catalog depend on them. */

/* an apply finished: changed something or found the system compliant */
#define HARDEND_MESSAGE_APPLIED "3470a6c72f3640ecbb9af94da4e319ac"
/* an apply failed: a system operation failed or the state did not converge */
#define HARDEND_MESSAGE_APPLY_FAILED "d51761c430434fcb835886e28ce27f50"
/* an apply was refused for safety (it would lock the admin out); nothing changed */
#define HARDEND_MESSAGE_APPLY_REFUSED "065e633f18e74b808224ca2621075c10"
/* the watcher saw the system leave the policy */
#define HARDEND_MESSAGE_DRIFT_DETECTED "e7b7e0fb1f284b90976364b9fad7a806"
/* the watcher saw a drift go away */
#define HARDEND_MESSAGE_DRIFT_RESOLVED "06e8d416d30d47c0bc144439a4e408d5"
/* the watcher (mode = "repair") re-applied a drifted module */
#define HARDEND_MESSAGE_REPAIRED "dc56eb757ce343cf9a12c4c770a3108f"
/* a policy could not be loaded (FILE:LINE in the message); the previous one stays in force */
#define HARDEND_MESSAGE_POLICY_ERROR "a7b39600209744d4a34646ef53cd65b6"
/* "apply --confirm": no confirmation came in time, or the waiting apply was ended (its session
 * dropped), or it died: everything it changed was put back as it was before (HARDEND_REASON) */
#define HARDEND_MESSAGE_ROLLED_BACK "8c1f4e3a9b2d4d6e8a7c5b0e9f1d2c3b"
/* "apply --confirm": "hardenctl confirm" came from a new login; the changes stay */
#define HARDEND_MESSAGE_CONFIRMED "5d2a7b9c4e1f4a8bb6c3d0e2f7a9b1c4"
