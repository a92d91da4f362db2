/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "engine.h"

/* The directories the watcher puts inotify watches on: what each module's watch hook asks for
 * (sshd_config and its drop-ins, sudoers and sudoers.d, passwd, group, shadow, gshadow, the
 * admin's ~/.ssh, /etc/systemd/system, ...), merged. */
int watch_specs_build(Context *c, const Module *const *modules, size_t n_modules, WatchSpec **ret, size_t *ret_n);
