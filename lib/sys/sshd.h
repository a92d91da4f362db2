/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Running OpenSSH's own checkers (sshd -t, sshd -T, ssh -Q) and reloading a running sshd. */

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "../ssh-config.h"

typedef struct SshdExec {
        const char *root; /* "/" or an image tree */
        bool chroot;      /* run the image's own binaries through /usr/sbin/chroot */
        char *scratch;    /* chroot: host path of a temporary directory in the image's /tmp */
        char *hostkey;    /* chroot: a throwaway host key in it, as the chroot sees it */
} SshdExec;

/* How to run the sshd of root: the live one, or the image's own in a chroot. -ENOENT when there
 * is none. On the live system the privilege separation directory sshd insists on (/run/sshd, made
 * by ssh.service at start) is created when missing, so that sshd -t/-T work before sshd ran.
 * In an image, which has neither /run/sshd nor host keys before its first boot, sshd runs as
 * nobody (sshd checks the privilege separation directory only as root) with a throwaway host key
 * (-h) in a scratch directory that sshd_exec_done() removes. */
int sshd_exec_find(const char *root, bool live, SshdExec *ret);
void sshd_exec_done(SshdExec *e);

/* sshd -T -f config (a path as sshd sees it) with -C user=...,host=...,addr=... when user is set.
 * -EINVAL with sshd's message in *ret_error when sshd rejects the configuration. */
int sshd_dump_config(const SshdExec *e, const char *config, const char *user, const char *addr, SshdDump *ret,
                     char **ret_error);
/* sshd -t -f config: 0 valid; -EINVAL with sshd's message in *ret_error. */
int sshd_test_config(const SshdExec *e, const char *config, char **ret_error);

/* ssh -Q what (of the image when it has ssh, else of this system). */
int ssh_query(const char *root, bool live, const char *what, char ***ret);

/* Reloads a running sshd without restarting it: ReloadUnit on ssh.service or sshd.service over
 * bus (when not NULL), else SIGHUP to the pid in pidfile when that process is sshd. Returns 1 when
 * it reloaded (*ret_how says how), 0 when no sshd runs. */
int sshd_reload(sd_bus *bus, const char *pidfile, char **ret_how);
