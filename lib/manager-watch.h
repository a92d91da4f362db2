/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "policy.h"

/* The directories the watcher puts inotify watches on (always directories, so that atomic
 * renames of the files in them are seen), each with the names in it that matter (NULL: any). */
typedef struct WatchSpec {
        char *path;   /* below the root */
        char **names; /* NULL: every entry */
} WatchSpec;

void watch_spec_list_free(WatchSpec *l, size_t n);
/* The files the modules own: sshd_config and its drop-ins, sudoers and sudoers.d, passwd, group,
 * shadow, gshadow, the admin's ~/.ssh and authorized_keys, /etc/systemd/system. */
int watch_specs_build(const char *root, const Policy *p, WatchSpec **ret, size_t *ret_n);
