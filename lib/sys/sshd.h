/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Running OpenSSH's own checkers (sshd -T, ssh -Q) and reloading a running sshd. */

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "sys/sshd-dump.h"
#include "sudo.h"

/* Where sshd reads its configuration. */
#define SSH_CONFIG_DIR  "/etc/ssh"
#define SSH_MAIN_CONFIG SSH_CONFIG_DIR "/sshd_config"

typedef struct SshdExec {
        const char *root; /* "/" or an image tree */
        bool chroot;      /* run the image's own binaries through /usr/sbin/chroot */
        char *scratch;    /* chroot: host path of a temporary directory in the image's /tmp */
        char *hostkey;    /* chroot: a throwaway host key in it, as the chroot sees it */
} SshdExec;

/* How to run the sshd of root: the live one, or the image's own in a chroot. -ENOENT when there
 * is none. On the live system the privilege separation directory sshd insists on (/run/sshd, made
 * by ssh.service at start) is created when missing, so that sshd -T works before sshd ran.
 * In an image, which has neither /run/sshd nor host keys before its first boot, sshd runs as
 * nobody (sshd checks the privilege separation directory only as root) with a throwaway host key
 * (-h) in a scratch directory that sshd_exec_done() removes. */
int sshd_exec_find(const char *root, bool live, SshdExec *ret);
void sshd_exec_done(SshdExec *e);

/* The answers of ssh -Q and sshd -T for as long as their inputs are unchanged on disk (NULL: no
 * cache). Kept by the caller in its Context's module slot; sshd_cache_free() takes a void * for it. */
typedef struct SshdCache SshdCache;
SshdCache *sshd_cache_new(void);
/* The same, kept in the file path (whose directory is made 0700) between processes: what the file
 * holds is loaded now (a file not owned by us alone, or not understood, is ignored), and
 * sshd_cache_free() writes it back, atomically, when an answer was learnt. An answer is only
 * ever used while its signature is unchanged, as in memory. */
SshdCache *sshd_cache_new_at(const char *path);
/* Its name in hardend's runtime directory (a tmpfs: gone at reboot). */
#define SSHD_ANSWERS_FILE "sshd-answers"
void sshd_cache_free(void *c);
void sshd_cache_stats(const SshdCache *c, unsigned *ret_hits, unsigned *ret_misses);

/* What an answer depends on: (dev, inode, mode, size, mtime_ns, ctime_ns) of each input file, plus
 * a content hash (a change within one timestamp tick leaves
 * the stat as it was; hashed always for files up to 64 KiB), plus the name of every entry of the
 * signed directories. */
typedef struct SshSignature {
        uint64_t *v;
        size_t n, allocated;
} SshSignature;
void ssh_signature_done(SshSignature *s);
bool ssh_signature_equal(const SshSignature *a, const SshSignature *b);
/* sshd -T: the binary, /etc/passwd, /etc/group, /etc/nsswitch.conf (Match User/Group), /etc/ssh
 * (the main file and the host keys; other entries by name), /etc/ssh/sshd_config.d with every
 * entry, and for a config outside /etc/ssh (a staged copy) its directory and its sshd_config.d.
 * Paths below root. Not followed: Include lines naming files elsewhere.
 * -EAGAIN when an input cannot be signed (then the answer is not cached). */
int sshd_signature(const char *root, const char *binary, const char *config, SshSignature *ret);
/* ssh -Q: the binary. */
int ssh_tool_signature(const char *root, const char *binary, SshSignature *ret);
/* 1 and a copy of the answer when argv was answered with the same signature; 0 when not. */
int sshd_cache_lookup(SshdCache *c, const char *const *argv, const SshSignature *sig, char ***ret_list,
                      SshdDump *ret_dump);
/* Keeps a copy of the answer (list or dump) and takes over *sig. */
int sshd_cache_store(SshdCache *c, const char *const *argv, SshSignature *sig, char *const *list,
                     const SshdDump *dump);

/* sshd -T -f config (a path as sshd sees it) with -C user=...,host=...,addr=... when user is set.
 * -EINVAL with sshd's message in *ret_error when sshd rejects the configuration. With a cache, the
 * live sshd's answer is reused while sshd_signature() is unchanged (never for an image's chroot). */
int sshd_dump_config(const SshdExec *e, SshdCache *cache, const char *config, const char *user, const char *addr,
                     SshdDump *ret, char **ret_error);
/* The connection sshd -T -C describes: laddr NULL leaves out laddr= and lport=. */
typedef struct SshdConn {
        const char *user;
        const char *host;
        const char *addr;
        const char *laddr;
        unsigned lport;
} SshdConn;
/* sshd -T -f config -C for conn (NULL: no -C, the global view); cached as sshd_dump_config(). */
int sshd_dump_config_conn(const SshdExec *e, SshdCache *cache, const char *config, const SshdConn *conn, SshdDump *ret,
                          char **ret_error);

/* sshd -T -f for each of the n configs (the global view, no -C), run side by side, with each answer
 * sshd accepted kept in cache, so that sshd_dump_config_conn() then finds it: a cache warmed ahead.
 * What is cached already is not asked again. A config that sshd rejects, or that cannot be asked
 * or signed, is left out: the later call asks it and reports. Returns -ENOMEM or 0. Nothing without
 * a cache, and never for an image's chroot (whose answers are not cached). */
int sshd_dump_config_warm(const SshdExec *e, SshdCache *cache, const char *const *configs, size_t n);

/* ssh -Q for each of the n whats (of the image when it has ssh, else of this system), run side by
 * side, into rets[0..n-1]; with a cache, each asked once while the ssh binary is unchanged. On an
 * error nothing is returned and *ret_failed is the index of the what that failed (-EINVAL: ssh
 * said no; -ENOENT: no ssh). */
int ssh_query_many(SshdCache *cache, const char *root, bool live, const char *const *whats, size_t n, char ***rets,
                   size_t *ret_failed);

/* Reloads a running sshd without restarting it: ReloadUnit on ssh.service or sshd.service over
 * bus (when not NULL), else SIGHUP to the pid in pidfile when that process is sshd. Returns 1 when
 * it reloaded (*ret_how says how), 0 when no sshd runs. */
int sshd_reload(sd_bus *bus, const char *pidfile, char **ret_how);

/* The programs the ssh module runs, as one table (the module takes it from its Context, so that
 * its probe and apply can be tested against a fake): each entry does what the function of the
 * same name above does (sudo_root_check: sys/sudo.h), and gets userdata first. */
typedef struct SshdOps {
        void *userdata;
        int (*exec_find)(void *userdata, const char *root, bool live, SshdExec *ret);
        void (*exec_done)(void *userdata, SshdExec *e);
        int (*dump_config)(void *userdata, const SshdExec *e, SshdCache *cache, const char *config,
                           const SshdConn *conn, SshdDump *ret, char **ret_error);
        /* NULL: nothing is warmed ahead */
        int (*dump_config_warm)(void *userdata, const SshdExec *e, SshdCache *cache, const char *const *configs,
                                size_t n);
        int (*query)(void *userdata, SshdCache *cache, const char *root, bool live, const char *const *whats, size_t n,
                     char ***rets, size_t *ret_failed);
        int (*reload)(void *userdata, sd_bus *bus, const char *pidfile, char **ret_how);
        int (*sudo_root_check)(void *userdata, const char *root, const char *user, const SudoOverlay *overlays,
                               size_t n_overlays, SudoRoot *ret, char **ret_why);
} SshdOps;

/* The functions above: the real sshd, ssh and sudo. */
extern const SshdOps sshd_ops_real;
