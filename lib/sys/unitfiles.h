/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Units on disk in an image tree (--root): what systemctl --root does for enable/disable/mask,
 * for the handful of cases hardend needs. Enablement is a symlink named after the unit in
 * /etc/systemd/system/<target>.wants/ (or .requires/, .upholds/), or an Alias= link beside it;
 * a mask is /etc/systemd/system/<unit> -> /dev/null. */

#include "sys/systemd.h"

#define UNIT_CONFIG_DIR "/etc/systemd/system"

/* Where unit files are looked for, in systemd's order of precedence. */
extern const char *const unit_search_dirs[];

/* The [Install] section of a unit file. */
typedef struct UnitInstall {
        char **wanted_by;
        char **required_by;
        char **upheld_by;
        char **alias;
        char **also;
} UnitInstall;

void unit_install_done(UnitInstall *i);
/* Parses the [Install] section of unit file text (comments, continuation lines, an empty
 * assignment resetting the list). Names that are not plain unit names are skipped. */
int unit_install_parse(const char *text, UnitInstall *ret);

/* Calls fn for every "Key=value" line of unit file text with the section it is in (comments skipped,
 * continuation lines joined, key and value stripped); lines before the first section are ignored.
 * A negative return of fn stops the walk and is returned. */
typedef int (*UnitAssignFn)(const char *section, const char *key, const char *value, void *userdata);
int unit_text_foreach(const char *text, UnitAssignFn fn, void *userdata);

/* Applies the assignments of key in section of unit file text to *list, as systemd does for list
 * settings such as ListenStream=: each value is added, an empty one resets the list. */
int unit_list_apply(const char *text, const char *section, const char *key, char ***list);

/* The drop-ins of unit below root in the order systemd reads them: the .conf files of <unit>.d/ and
 * <type>.d/ ("socket.d/") in every directory of unit_search_dirs, a name in an earlier directory
 * hiding the same name in later ones (a link to /dev/null masks it), sorted by file name. */
int unit_file_dropins(const char *root, const char *unit, char ***ret);

/* Reads a unit file or drop-in below root (a symlink followed once, inside root). */
int unit_file_read(const char *root, const char *path, char **ret);

/* Finds the unit's file below root (the first of unit_search_dirs that has it, a mask link
 * included) and reads its [Install] section; a mask link is passed over for the file behind it.
 * -ENOENT when the system has no such unit. */
int unit_file_find(const char *root, const char *unit, char **ret_path, UnitInstall *ret_install);

/* The on-disk backend; userdata is the root directory (const char *). It has no stop and no
 * reload: nothing runs in an image tree. */
extern const UnitOps unit_ops_disk;
