/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "macro.h"
#include "sshkey.h"

#define POLICY_DEFAULT_PATH "/etc/hardend/hardend.conf"
#define POLICY_BUILTIN_NAME "(built-in default)"
/* A policy file is a regular file of at most this size; more is refused before it is read. */
#define POLICY_SIZE_MAX (4u * 1024 * 1024)

/* What hardend does with the FORWARD chain: leave it alone (keep), or own its policy. */
typedef enum ForwardPolicy {
        FORWARD_POLICY_KEEP,
        FORWARD_POLICY_DROP,
        FORWARD_POLICY_ACCEPT,
        _FORWARD_POLICY_MAX,
        _FORWARD_POLICY_INVALID = -EINVAL,
} ForwardPolicy;

/* Which packet filter holds hardend's rules: chosen from the host (auto), or named. */
typedef enum FirewallBackend {
        FIREWALL_BACKEND_AUTO,
        FIREWALL_BACKEND_NFTABLES,
        FIREWALL_BACKEND_IPTABLES,
        _FIREWALL_BACKEND_MAX,
        _FIREWALL_BACKEND_INVALID = -EINVAL,
} FirewallBackend;

typedef enum PermitRootLogin {
        PERMIT_ROOT_LOGIN_NO,
        PERMIT_ROOT_LOGIN_PROHIBIT_PASSWORD,
        _PERMIT_ROOT_LOGIN_MAX,
        _PERMIT_ROOT_LOGIN_INVALID = -EINVAL,
} PermitRootLogin;

typedef enum SudoMode {
        SUDO_NOPASSWD,
        SUDO_PASSWORD,
        _SUDO_MODE_MAX,
        _SUDO_MODE_INVALID = -EINVAL,
} SudoMode;

typedef enum WatchMode {
        WATCH_MODE_REPORT,
        WATCH_MODE_REPAIR,
        _WATCH_MODE_MAX,
        _WATCH_MODE_INVALID = -EINVAL,
} WatchMode;

typedef struct Cidr {
        int family; /* AF_INET or AF_INET6 */
        union {
                struct in_addr in;
                struct in6_addr in6;
        } addr;
        unsigned prefixlen;
} Cidr;

typedef struct FwAllow {
        uint16_t port;
        int proto;     /* IPPROTO_TCP or IPPROTO_UDP */
        Cidr *sources; /* NULL with n_sources == 0: from anywhere, both families */
        size_t n_sources;
        unsigned line;
} FwAllow;

/* The sections' switches are ints in the OpenSSH servconf.c way: -1 (unset) only while the policy is
 * loaded, 0 or 1 in every loaded policy. */
typedef struct FirewallPolicy {
        int enable;
        int ipv6;
        int allow_icmp;
        int reject_tail;
        ForwardPolicy forward_policy;
        FirewallBackend backend;
        FwAllow *allow;
        size_t n_allow;
        int rate_limit;
        unsigned rate_hits;
        unsigned rate_seconds;
        unsigned line;
} FirewallPolicy;

typedef struct SshPolicy {
        int enable;
        PermitRootLogin permit_root_login;
        int password_authentication;
        uint16_t port;
        char **allow_groups; /* never NULL after load */
        unsigned max_auth_tries;
        int strong_crypto;
        int require_key;
        unsigned line;
        unsigned port_line;
} SshPolicy;

typedef struct AdminPolicy {
        int enable;
        char *user;
        char *group;
        SshKey *keys;
        size_t n_keys;
        SudoMode sudo;
        char *password_hash; /* NULL when unset */
        int lock_root_password;
        unsigned line;
} AdminPolicy;

typedef struct ListenerSpec {
        int proto; /* IPPROTO_TCP or IPPROTO_UDP */
        uint16_t port;
} ListenerSpec;

typedef struct ServicesPolicy {
        int enable;
        char **disable; /* unit names; never NULL after load */
        int mask;
        ListenerSpec *listeners_allow;
        size_t n_listeners_allow;
        unsigned line;
} ServicesPolicy;

typedef struct WatchPolicy {
        unsigned interval; /* seconds */
        WatchMode mode;
} WatchPolicy;

/* What leaves the host besides the journal (report-policy.c). */
typedef struct ReportPolicy {
        int textfile_set;          /* -1 while loading; then 1: prometheus_textfile holds the choice */
        char *prometheus_textfile; /* below the root; NULL: not written */
} ReportPolicy;

struct Module;
struct PolicySection;

/* Room for the sections of modules Policy has no field for (a module outside lib/, a test's): each
 * slot is claimed by one section with policy_extra() and holds what that section parsed. */
#define POLICY_EXTRA_MAX 4

typedef struct PolicyExtra {
        const struct PolicySection *section;
        void *data; /* the section's own; its done() frees it */
} PolicyExtra;

typedef struct Policy {
        /* the modules whose sections it was loaded with (policy_load_string_modules()); their
         * done() hooks free it */
        const struct Module *const *modules;
        size_t n_modules;
        char *source; /* the file it was read from, or POLICY_BUILTIN_NAME */
        unsigned version;
        FirewallPolicy firewall;
        SshPolicy ssh;
        AdminPolicy admin;
        ServicesPolicy services;
        WatchPolicy watch;
        ReportPolicy report;
        PolicyExtra extra[POLICY_EXTRA_MAX];
} Policy;

typedef struct PolicyError {
        char *file;
        unsigned line; /* 0 when the error is not about a line (e.g. file not readable) */
        char *message;
} PolicyError;

void policy_error_done(PolicyError *e);
/* "FILE:LINE: message" */
int policy_error_format(const PolicyError *e, char **ret);

/* Each returns 0 and a new policy, or -EINVAL (bad config) / -errno (unreadable; -EFBIG: larger than
 * POLICY_SIZE_MAX) with *error set. */
int policy_load_string(const char *text, const char *name, Policy **ret, PolicyError *error);
int policy_load_file(const char *path, Policy **ret, PolicyError *error);
int policy_load_builtin(Policy **ret, PolicyError *error);
/* policy_load_string() with the sections of modules[0..n-1] (and the watcher's) instead of those of
 * hardend_modules: the others call it with hardend_modules. */
int policy_load_string_modules(const char *text, const char *name, const struct Module *const *modules, size_t n,
                               Policy **ret, PolicyError *error);

/* The slot of section s in p->extra: the one s holds, else a free one, now given to s; NULL when
 * every slot is taken. For a section's parse() and defaults(). */
void **policy_extra(Policy *p, const struct PolicySection *s);
/* What section s keeps in p, or NULL. */
void *policy_extra_get(const Policy *p, const struct PolicySection *s);

/* The embedded default policy text (conf/hardend.conf at build time). */
extern const char policy_builtin_text[];

/* Whether two policies say the same, field by field; where they were read from (source and the
 * line fields) aside. */
bool policy_equal(const Policy *a, const Policy *b);

Policy *policy_free(Policy *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(Policy *, policy_free);
#define _cleanup_policy_free_ _cleanup_(policy_freep)

const char *forward_policy_to_string(ForwardPolicy p);
const char *firewall_backend_to_string(FirewallBackend b);
const char *permit_root_login_to_string(PermitRootLogin p);
const char *sudo_mode_to_string(SudoMode m);
const char *watch_mode_to_string(WatchMode m);
const char *proto_to_string(int proto);

/* "192.0.2.0/24", "2001:db8::/32" */
int cidr_parse(const char *s, Cidr *ret, const char **ret_reason);
int cidr_format(const Cidr *c, char **ret);
bool cidr_contains(const Cidr *c, int family, const void *addr);

/* Whether the firewall policy lets proto/port in from addr (family AF_INET or AF_INET6). */
bool policy_firewall_allows(const FirewallPolicy *fw, int proto, uint16_t port, int family, const void *addr);

bool valid_user_name(const char *s);
bool valid_unit_name(const char *s);
