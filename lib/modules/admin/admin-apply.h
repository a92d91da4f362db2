/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "engine.h"

/* The system part of the admin module: validation before anything changes, then the changes,
 * through the system's own tools (groupadd, useradd, usermod, chpasswd, visudo: c->account_ops,
 * sys/accounts-tools.h) and the no-follow file layer. */

/* Module.preflight: refuses (exit 4) when a file we would write sits behind a symlink, the home
 * path of a user to be created is taken, a tool is missing, or visudo rejects the sudoers text. */
int admin_preflight(Context *c, const FindingList *all, Outcome *o);
/* Module.apply */
int admin_apply(Context *c, const FindingList *mine, Outcome *o);

/* Whether a home directory may be created or chowned for the user: absolute, at least two
 * components deep, and not inside a system directory (/etc, /usr, ...). */
bool admin_home_path_sane(const char *home);

/* Module.snapshot_paths */
int admin_snapshot_paths(Context *c, char ***ret);
