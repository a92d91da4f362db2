/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* "Could user U, logged in over SSH with a key, become root with sudo in the candidate
 * configuration?", answered by the real sudo. Each check runs sudo (1 or 2 runs, each bounded by
 * SUDO_CHECK_TIMEOUT_MS) in a private mount and network namespace in which the candidate files
 * (copies, in a tmpfs) are bound over the real ones, the rest of the tree is read-only, and sudo's
 * state directories (/run/sudo, /var/lib/sudo, /var/db/sudo, /var/log/sudo-io) are empty tmpfs:
 * no cached ticket counts, and nothing sudo writes there outlives the check. Only its log lines
 * (syslog, journal) get out.
 *
 *   1. as USER (uid, gid and groups from the candidate passwd and group files; no tty, stdin
 *      /dev/null, a clean environment): sudo -n -u root /usr/bin/id -u
 *      status 0 and "0" ⇒ SUDO_ROOT_NOPASSWD (one run: the common case);
 *   2. else as root: sudo -n -l -U USER -u root /usr/bin/id
 *      status 1 ⇒ SUDO_ROOT_NO (the policy does not let USER run it as root at all);
 *   3. otherwise, the same with "Defaults:USER !authenticate" appended to the staged
 *      /etc/sudoers: if sudo still runs nothing (PAM account or session failure, requiretty,
 *      a PASSWD: tag) ⇒ SUDO_ROOT_NO with sudo's message;
 *   4. else sudo only wants a password: whose is read from the candidate sudoers (Defaults rootpw,
 *      targetpw, runaspw through every include: root's; else USER's own), and whether that account
 *      has a password one can type (a hash, not locked, not expired) from the candidate shadow
 *      ⇒ SUDO_ROOT_PASSWORD or SUDO_ROOT_NO.
 *
 * Needs root, CAP_SYS_ADMIN for namespaces and mounts, and no PR_SET_NO_NEW_PRIVS (sudo is
 * setuid root): hardend's own sandboxed watcher unit cannot run it (-EPERM). */

#include <errno.h>
#include <stddef.h>

#define SUDO_BINARY           "/usr/bin/sudo"
#define SUDO_PROBE_COMMAND    "/usr/bin/id"
#define SUDO_CHECK_TIMEOUT_MS 10000u

/* A file as it will be once hardend has applied its changes. */
typedef struct SudoOverlay {
        const char *path; /* absolute, as seen below root: "/etc/shadow", "/etc/sudoers.d/hardend" */
        const char *text; /* the whole new content; NULL: the file will not be there */
        size_t len;
} SudoOverlay;

typedef enum SudoRoot {
        SUDO_ROOT_NOPASSWD, /* sudo ran a command as root without asking anything */
        SUDO_ROOT_PASSWORD, /* permitted after a password that can be typed (ret_why: whose) */
        SUDO_ROOT_NO,
        _SUDO_ROOT_MAX,
        _SUDO_ROOT_INVALID = -EINVAL,
} SudoRoot;

const char *sudo_root_to_string(SudoRoot r);

/* root: "/" (or NULL) for the live system, or an image tree (sudo then runs chrooted into it, with
 * the host's /dev and /proc bound over the image's when it has those directories). Overlays may
 * replace existing regular files (passwd, group, shadow, sudoers, drop-ins), and add or remove
 * files in an existing directory (a new drop-in in /etc/sudoers.d: that directory is then a staged
 * copy of itself). New files are root-owned 0440, replaced ones keep their owner and mode.
 *
 * On success *ret is the verdict and *ret_why, for an admin, says why not NOPASSWD (NULL for
 * NOPASSWD): "sudo asks for root's password (Defaults rootpw, /etc/sudoers:12), which is locked".
 * -ENOENT: sudo (or /usr/bin/id) is not installed below root; -EPERM: sudo cannot work here (not
 * setuid root, nosuid mount, no_new_privs, no right to unshare or mount); -ETIMEDOUT; -EINVAL: a
 * bad argument or overlay path; -EBADMSG: the candidate passwd/group/shadow is missing or bad.
 * On failure, *ret and *ret_why are not touched: the caller reports "unknown". */
int sudo_root_check(const char *root, const char *user, const SudoOverlay *overlays, size_t n_overlays, SudoRoot *ret,
                    char **ret_why);
