/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "sys/fileio.h"

/* The snapshot behind "hardenctl apply --confirm": everything an apply may change, taken before it
 * changes anything, kept in ROOT/var/lib/hardend/rollback/ (a manifest and one data file per saved
 * file or table, the directory put in place by one rename), and put back exactly on a rollback.
 *
 * What is saved: every path the selected modules declare (Module.snapshot_paths) with its content,
 * mode and owner, or its symlink target, or that it was absent; whole trees (a declared path ending
 * in "/") entry by entry; the IPv4 and IPv6 filter tables as the kernel holds them; and on the live
 * system the units of services.disable that were running. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "engine.h"

#define ROLLBACK_DIR            "/var/lib/hardend/rollback"
#define ROLLBACK_MANIFEST       "manifest"
#define ROLLBACK_MAX_ENTRIES    4096
#define ROLLBACK_MAX_TREE_DEPTH 3

typedef enum SnapKind {
        SNAP_FILE,    /* a regular file: data, mode, owner */
        SNAP_SYMLINK, /* target */
        SNAP_DIR,     /* mode, owner */
        SNAP_ABSENT,  /* nothing there: removed on restore (a directory with all it holds) */
        SNAP_TREE,    /* a directory tree: on restore, entries below it that were not saved are removed */
        SNAP_TABLE,   /* path "ipv4"/"ipv6": the filter table's blob, or absent (no data) */
        SNAP_NFTABLE, /* path "FAMILY NAME" of an nftables table: its text as nft lists it, or absent */
        _SNAP_KIND_MAX,
        _SNAP_KIND_INVALID = -EINVAL,
} SnapKind;

typedef struct SnapEntry {
        SnapKind kind;
        char *path;
        mode_t mode;
        uid_t uid;
        gid_t gid;
        char *target;  /* SNAP_SYMLINK */
        bool has_data; /* SNAP_FILE; SNAP_TABLE and SNAP_NFTABLE when the table existed */
        char *data;
        size_t size;
} SnapEntry;

typedef struct Snapshot {
        pid_t pid;              /* the apply that waits for the confirmation */
        uint64_t pid_start;     /* its start time (/proc/PID/stat), against pid reuse */
        uint64_t created_usec;  /* CLOCK_REALTIME */
        uint64_t deadline_usec; /* CLOCK_REALTIME; 0 while not yet known */
        char *ssh_connection;   /* $SSH_CONNECTION of that apply, or NULL */
        char **after_restore;   /* the modules whose after_restore hook runs once their files are back */
        char **units_active;    /* live units that ran before (started again on restore) */
        SnapEntry *entries;
        size_t n_entries;
} Snapshot;

void snapshot_done(Snapshot *s);

const char *snap_kind_to_string(SnapKind k);
SnapKind snap_kind_from_string(const char *s);

/* Saves what path (below root) is now: file, symlink, directory or absent. A path ending in "/" is
 * a tree: the directory and everything below it (ROLLBACK_MAX_TREE_DEPTH levels). A path already
 * in the snapshot is not saved twice. */
int snapshot_add_path(Snapshot *s, const char *root, const char *path);
/* Appends e, taking over its allocations (also on failure); -E2BIG beyond ROLLBACK_MAX_ENTRIES. */
int snapshot_push_entry(Snapshot *s, SnapEntry *e);
/* Saves the kernel's table of family (its blob, or that it is absent) as entry name ("ipv4"). The
 * caller holds the xtables lock. */
int snapshot_add_table(Snapshot *s, int family, const char *name);
/* The nftables table family/name ("inet", "hardend") as the kernel holds it, or that there is none. */
int snapshot_add_nft_table(Snapshot *s, const char *family, const char *name);

/* The manifest's text (without data) and back. Paths and targets are %-escaped. The data of each
 * entry is in the file named by its index. */
int snapshot_format_manifest(const Snapshot *s, char **ret);
int snapshot_parse_manifest(const char *text, Snapshot *ret);

/* Writes s to ROOT/ROLLBACK_DIR: a temp directory with the data files and the manifest, fsynced,
 * renamed into place. -EEXIST when there is one already. */
int snapshot_save(const char *root, const Snapshot *s);
/* Reads ROOT/ROLLBACK_DIR; -ENOENT when there is none. */
int snapshot_load(const char *root, Snapshot *ret);
/* Rewrites the manifest (e.g. with the deadline); the data stays. */
int snapshot_update_manifest(const char *root, const Snapshot *s);
/* Removes ROOT/ROLLBACK_DIR (and leftovers of an interrupted save); 0 when there was none. */
int snapshot_discard(const char *root);

/* Removes name in dir_fd and, for a directory, all below it; never follows a symlink. */

/* 1: the process that took s still runs, 0: it is gone. */
int snapshot_owner_alive(const Snapshot *s);
int process_start_time(pid_t pid, uint64_t *ret);

/* Puts back every file, symlink and directory of s below root (tables and units: see
 * rollback_restore()). Carries on after a failure; each change and each failure is appended as
 * text. Returns the first error. */
int snapshot_restore_files(const char *root, const Snapshot *s, char ***changes, char ***errors);

/* Takes the snapshot of everything the active modules of c may change. */
int rollback_take(Context *c, const Module *const *modules, size_t n, Snapshot *ret);
/* Restores all of s: the firewall tables first (access first), then the files, then sshd is
 * reloaded and the manager is told, then the units that ran are started again. */
int rollback_restore(Context *c, const Snapshot *s, char ***changes, char ***errors);
