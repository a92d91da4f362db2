/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "finding.h"
#include "module-list.h"
#include "policy.h"
#include "sshkey.h"

/* Exit codes of every command (DESIGN.md). */
typedef enum ExitStatus {
        EXIT_COMPLIANT = 0, /* compliant / applied */
        EXIT_DRIFT = 1,     /* drift found (check, status) */
        EXIT_USAGE = 2,     /* usage or config error; nothing changed */
        EXIT_REFUSED = 3,   /* refused for safety; nothing changed */
        EXIT_FAILED = 4,    /* a system operation failed */
} ExitStatus;

#define MODULE_ID_ENUM(id, name) MODULE_##id,
typedef enum ModuleId {
        HARDEND_MODULE_LIST(MODULE_ID_ENUM) _MODULE_MAX,
        _MODULE_INVALID = -EINVAL,
} ModuleId;

const char *module_id_to_string(ModuleId id);
ModuleId module_id_from_string(const char *s);
/* "firewall,ssh" -> bit mask of ModuleId; -EINVAL names the bad word in *ret_bad */
int module_mask_from_string(const char *s, unsigned *ret, char **ret_bad);

struct Module;
struct Snapshot;
struct PolicySection;
struct SshdOps;
struct Context;
struct NfOps;
struct FwSshd;
struct UnitOps;
struct AccountOps;
struct FwBackendOps;

/* The firewall module's side effects (lib/firewall.c), for the unit tests to plug a fake in through
 * Context.firewall; NULL there: the kernel's tables through libiptc, nf_lock(), sshd and nftables
 * asked on the live system. */
typedef struct FwBackend {
        const struct NfOps *nf_ops[2];    /* the filter table of ipv4, of ipv6 (sys/netfilter.h) */
        int (*lock)(unsigned timeout_ms); /* the xtables lock: an fd to close, or -errno (nf_lock()) */
        /* On the live system: adds where sshd listens (sshd -T, the sockets it holds) to the ports
         * (firewall-sshd.h). NULL: sshd is not asked, only ssh.port counts. */
        int (*sshd_listens)(struct Context *c, struct FwSshd *s);
        /* Appends what is known about nftables beside the legacy tables (INFO findings). NULL: not
         * asked. */
        int (*probe_nftables)(FindingList *out);
        /* What firewall.backend chooses between (firewall-select.h): the backends, [0] nftables and
         * [1] iptables (firewall-backend.h), NULL where there is none; and which iptables command
         * the host has (iptables_is_nft() of sys/nftables.h), NULL: none at all. */
        const struct FwBackendOps *backends[2];
        int (*iptables_variant)(char **ret_target);
} FwBackend;

/* What the module that owns the accounts will leave, for the modules that must count on it (the
 * ssh module's anti-lockout check): filled by that module's provide hook, read through
 * context_accounts(). */
typedef struct AccountsPlan {
        const char *user;  /* the admin user the policy names, or NULL */
        const char *group; /* the group it is (made) a member of */
        char *home;        /* where its keys go (owned) */
        const SshKey *keys;
        size_t n_keys;
        bool changes; /* that module changes the system in this run (enabled and selected) */
        /* with changes: files as it will leave them (its sudoers drop-in; passwd, group and
         * shadow with the user added and root's password locked), for checks that read them */
        char **overlay_paths;
        char **overlay_texts;
} AccountsPlan;

void accounts_plan_free(AccountsPlan *p);

/* What the module that owns sshd's configuration will set, for the modules that must count on it
 * (the firewall's SSH ports): filled by that module's provide hook, read through
 * context_sshd_plan(). */
typedef struct SshdPlan {
        uint16_t port; /* the Port its drop-in sets in this run (enabled and selected); 0: none */
} SshdPlan;

/* A module's own cache of what it learnt from the system (e.g. the ssh module's sshd -T answers),
 * kept for as long as the Context lives: between the watcher's probes, within one CLI run. The
 * module creates it on first use and checks it is still valid; context_done() frees it. */
#define HARDEND_RUN_DIR "/run/hardend"

typedef struct ModuleCache {
        void *data;
        void (*free)(void *data);
} ModuleCache;

typedef struct Context {
        const Policy *policy;
        const char *root;           /* "/" for the live system, else an image tree */
        bool live;                  /* root is "/" */
        unsigned only;              /* bit mask of ModuleId; 0: every module */
        bool force;                 /* --force: override the anti-lockout refusals */
        bool repair;                /* the watcher in repair mode: also undo what is otherwise only
                                     * reported (e.g. foreign ACCEPT rules in INPUT) */
        const char *ssh_connection; /* $SSH_CONNECTION of the caller, or NULL */
        /* sshd, ssh -Q and sudo as the ssh module runs them (sys/sshd.h); NULL: the real ones
         * (sshd_ops_real). Tests plug a fake in. */
        const struct SshdOps *sshd_ops;
        /* the system bus, connected on first use by context_get_bus() */
        sd_bus *bus;
        int bus_error;
        bool bus_tried;
        bool bus_signals;               /* the bus must carry systemd's signals (the watcher): the system bus, not
                                         * systemd's private socket */
        ModuleCache cache[_MODULE_MAX]; /* by ModuleId: only the modules of the list use it */
        /* answers of system programs that more than one module asks (sshd -T: the ssh module and
         * the firewall's SSH ports), kept like a module's cache */
        ModuleCache shared;
        /* hardend's runtime directory (HARDEND_RUN_DIR) on the live system, where what was learnt
         * is kept between processes until reboot: those answers, the firewall's last verified
         * ruleset generation. NULL: kept in memory only (an image root, tests, no root rights). */
        const char *run_dir;
        AccountsPlan *accounts;        /* context_accounts() */
        SshdPlan sshd_plan;            /* context_sshd_plan() */
        bool provided;                 /* the provide hooks ran */
        const Policy *provided_policy; /* the policy they ran with */
        const FwBackend *firewall;     /* the firewall module's backend; NULL: the kernel's */
        /* the units as the services module reads and changes them (sys/systemd.h), with their
         * userdata; NULL: the manager over the bus, or the unit files of an image root. Tests plug
         * a fake in. */
        const struct UnitOps *unit_ops;
        void *unit_ops_userdata;
        /* groupadd, useradd, usermod, chpasswd and visudo as the admin module runs them
         * (sys/accounts-tools.h); NULL: the real ones (account_ops_real). Tests plug a fake in. */
        const struct AccountOps *account_ops;
        /* Called once by engine_apply when every module without after_ready is applied and
         * verified (or had nothing to do), before the after_ready ones: the first-boot unit's
         * READY=1, which lets sshd start. NULL: none. */
        void (*ready)(struct Context *c);
} Context;

void context_done(Context *c);
/* slot's data, made with make() on first use (NULL when out of memory). */
void *context_cache(ModuleCache *slot, void *(*make)(void), void (*drop)(void *data));
/* The shared cache of sshd -T and ssh -Q answers (c->shared), kept in c->run_dir when set.
 * NULL when out of memory: then nothing is kept. */
struct SshdCache *context_sshd_cache(Context *c);
/* The system bus; -errno (cached) when it cannot be reached or the root is not live. */
int context_get_bus(Context *c, sd_bus **ret);
bool context_module_selected(const Context *c, ModuleId id);
/* The accounts as the module that owns them will leave them (the provide hooks of the modules, run
 * once); NULL when no module provides them or they cannot be read. */
const AccountsPlan *context_accounts(Context *c);
/* What sshd will be told by the module that owns its configuration (the provide hooks, run once). */
const SshdPlan *context_sshd_plan(Context *c);
/* Selected (--only) and enabled in the policy. */
bool context_module_active(const Context *c, const struct Module *m);

/* The result of one module's preflight or apply, for the face to report. */
typedef struct Outcome {
        char **changes; /* what was done, in order */
        char *error;    /* what failed or why it was refused */
} Outcome;

void outcome_done(Outcome *o);
int outcome_change(Outcome *o, const char *fmt, ...) _printf_(2, 3);
/* Sets the error text (the first one wins) and returns r. */
int outcome_fail(Outcome *o, int r, const char *fmt, ...) _printf_(3, 4);

/* A directory the watcher puts an inotify watch on (always a directory, so that atomic renames of
 * the files in it are seen), with the names in it that matter (NULL: any). */
typedef struct WatchSpec {
        char *path;   /* below the root */
        char **names; /* NULL: every entry */
} WatchSpec;

void watch_spec_list_free(WatchSpec *l, size_t n);
/* Appends a copy of path and names (NULL: any entry); a path already listed gets the names added. */
int watch_spec_add(WatchSpec **l, size_t *n, const char *path, const char *const *names);

typedef struct Module {
        ModuleId id;
        const char *name; /* the policy section */
        /* the policy section's parser, defaults and free (policy-parser.h); NULL: none */
        const struct PolicySection *policy;
        bool (*enabled)(const Policy *p);
        /* Reads the actual state and appends findings; never changes anything. A failure to read a
         * part is an FINDING_UNKNOWN finding, not an error; an error return is for the unexpected. */
        int (*probe)(Context *c, FindingList *out);
        /* Runs before any module changes anything, with every selected module's findings.
         * Return -EPERM to refuse for safety (exit 3, unless forced where the module allows it),
         * another -errno for a failed check (exit 4); set o->error. May be NULL. */
        int (*preflight)(Context *c, const FindingList *all, Outcome *o);
        /* Fixes this module's fixable findings (mine); records each change in o. */
        int (*apply)(Context *c, const FindingList *mine, Outcome *o);
        /* The paths (below c->root) that apply may create, change or remove, for the snapshot of
         * "apply --confirm" (rollback.h); a path ending in "/" is a whole tree. May be NULL. */
        int (*snapshot_paths)(Context *c, char ***ret);
        /* Saves into the snapshot of "apply --confirm" the state apply may change that is not a file
         * (the kernel's tables, the units that run), on the live system only. May be NULL. */
        int (*snapshot_state)(Context *c, struct Snapshot *s);
        /* After a rollback put this module's files back: what makes them take effect (reload a
         * daemon). Appends to changes or errors. May be NULL. */
        int (*after_restore)(Context *c, char ***changes, char ***errors);
        /* Puts what other modules may count on from this one into the Context (c->accounts,
         * c->sshd_plan). May be NULL. */
        int (*provide)(Context *c);
        /* The directories whose changes this module's probe must see, for the watcher (with
         * watch_spec_add()). May be NULL. */
        int (*watch)(Context *c, WatchSpec **l, size_t *n);
        /* Learns into the kept answers (c->run_dir) what this module's probe will ask of the
         * installed programs, for a later process; run by an apply that leaves the module out
         * (engine_prefetch). May be NULL. */
        int (*prefetch)(Context *c);
        /* Runs in engine_apply before any module is probed: may start, side by side with what the
         * probes ask, what its preflight will check (kept in its c->cache slot). May be NULL. */
        int (*prepare)(Context *c);
        /* The watcher probes this module when systemd reports a unit change over D-Bus. */
        bool probe_on_unit_change;
        /* sshd need not wait for it (what it changes is behind the firewall already): engine_apply
         * applies and verifies every other module first, then calls Context.ready, then this one
         * (probed only then, when it has no preflight). */
        bool after_ready;
} Module;

/* Per-module report of engine_apply(). */
typedef struct ModuleResult {
        const Module *module;
        bool ran; /* it had something to do */
        int r;    /* <0: failed */
        Outcome outcome;
} ModuleResult;

typedef struct ApplyResult {
        FindingList before;    /* findings of the first probe */
        FindingList after;     /* findings of the verifying probe (modules that changed) */
        ModuleResult *modules; /* one per module given */
        size_t n_modules;
        ExitStatus status;
        bool refused; /* a preflight refused: nothing was changed */
        bool changed; /* something was changed */
} ApplyResult;

void apply_result_done(ApplyResult *a);

/* Probes every selected, enabled module. A module whose probe fails outright gets an UNKNOWN finding. */
int engine_probe(Context *c, const Module *const *modules, size_t n, FindingList *out);
/* Probe, preflight every module that has drift, apply in order, then verify; the after_ready
 * modules last, after Context.ready (and those of them without a preflight are probed only then). */
int engine_apply(Context *c, const Module *const *modules, size_t n, ApplyResult *ret);
/* Module.prefetch of each enabled module not selected (--only): the firewall unit's apply, long
 * before the first boot's, asks what the first boot's probe would otherwise ask on sshd's path. */
int engine_prefetch(Context *c, const Module *const *modules, size_t n);
typedef enum ModuleState {
        MODULE_STATE_COMPLIANT,
        MODULE_STATE_DRIFTED,
        MODULE_STATE_UNKNOWN,
        MODULE_STATE_DISABLED, /* "enable = false" in the policy */
        MODULE_STATE_SKIPPED,  /* not selected with --only */
        _MODULE_STATE_MAX,
        _MODULE_STATE_INVALID = -EINVAL,
} ModuleState;

const char *module_state_to_string(ModuleState s);
ModuleState engine_module_state(const Context *c, const Module *m, const FindingList *l);

/* Exit status for check/status: drift -> 1 */
ExitStatus engine_check_status(const FindingList *l);
