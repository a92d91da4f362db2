/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The legacy x_tables through libiptc, IPv4 and IPv6 behind one ops table (like iptables' xtc_ops).
 * Entries are the kernel's own struct ipt_entry / ip6t_entry bytes; callers treat them as opaque. */

#include <stdbool.h>
#include <stddef.h>

#include "sys/fwrule.h"

struct xtc_handle;

#define NF_LOCK_PATH "/run/xtables.lock"

typedef struct NfOps {
        int family;       /* AF_INET, AF_INET6 */
        const char *name; /* "ipv4", "ipv6" */
        const char *lib;  /* "iptc", "ip6tc": names the failing call in messages */
        struct xtc_handle *(*init)(const char *table);
        void (*free)(struct xtc_handle *h);
        int (*commit)(struct xtc_handle *h);
        int (*is_chain)(const char *chain, struct xtc_handle *h);
        int (*create_chain)(const char *chain, struct xtc_handle *h);
        int (*flush_entries)(const char *chain, struct xtc_handle *h);
        int (*delete_chain)(const char *chain, struct xtc_handle *h); /* an empty user chain nothing jumps to */
        const void *(*first_rule)(const char *chain, struct xtc_handle *h);
        const void *(*next_rule)(const void *prev, struct xtc_handle *h);
        /* "ACCEPT", "DROP", a chain name, "" (no target), or an extension's name */
        const char *(*get_target)(const void *e, struct xtc_handle *h);
        const char *(*get_policy)(const char *chain, struct xtc_handle *h);
        int (*set_policy)(const char *chain, const char *policy, struct xtc_handle *h);
        int (*append_entry)(const char *chain, const void *e, struct xtc_handle *h);
        int (*insert_entry)(const char *chain, const void *e, unsigned rulenum, struct xtc_handle *h);
        int (*delete_num_entry)(const char *chain, unsigned rulenum, struct xtc_handle *h);
        const char *(*strerror)(int err);
        /* the layout of the family's entry */
        size_t entry_size;        /* sizeof(struct ipt_entry) */
        size_t ip_size;           /* sizeof(struct ipt_ip): the part that is compared byte by byte */
        size_t off_target_offset; /* offsetof(struct ipt_entry, target_offset) */
        size_t off_next_offset;
} NfOps;

/* The family's x_tables core module, which iptables itself loads when the kernel does not know
 * the socket options yet ("iptables who?", ENOPROTOOPT). */
#define NF_KMOD_IPV4 "ip_tables"
#define NF_KMOD_IPV6 "ip6_tables"

/* ops->init(table); when the kernel lacks the family's x_tables core (ENOPROTOOPT), loads it with
 * modprobe, as iptables does, and tries once more. errno is that of the last failure. */
struct xtc_handle *nf_init(const NfOps *ops, const char *table);

extern const NfOps nf_ops_ipv4;
extern const NfOps nf_ops_ipv6;
const NfOps *nf_ops_for(int family);

/* The kernel's entry for r (r->family must be ops->family), with matches and target laid out at
 * their XT_ALIGN'ed sizes; standard verdicts carry the label ("ACCEPT") for libiptc to map. */
int nf_entry_build(const NfOps *ops, const FwRule *r, void **ret, size_t *ret_size);
size_t nf_entry_size(const NfOps *ops, const void *e);

/* Whether the entry read back (with its target label from get_target) is the rule we built:
 * counters, offsets and the kernel's bookkeeping (comefrom, nfcache) are not compared. */
bool nf_entry_equal(const NfOps *ops, const void *actual, const char *actual_label, const void *built,
                    FwTarget built_target);

/* What an entry read back can match (sys/fwrule.h FwSpan): the matches and header fields that
 * are understood narrow it, anything else (inverted fields, interface wildcards, unknown or
 * unusual extensions) leaves it wider, never narrower. */
void nf_entry_span(const NfOps *ops, const void *e, FwSpan *ret);
/* Whether a and b match the same packets by the same bytes: the header and the matches, not the
 * target nor the kernel's bookkeeping. */
bool nf_entry_same_match(const NfOps *ops, const void *a, const void *b);

/* The entry's jump is a goto (-g): the chain's end returns to INPUT's caller, not to INPUT. */
bool nf_entry_is_goto(const NfOps *ops, const void *e);

/* A human description of any entry read back, e.g. "src 198.51.100.7/32 tcp dpt:8080 ACCEPT". */
int nf_entry_describe(const NfOps *ops, const void *e, const char *label, char **ret);

/* Takes the lock iptables takes (flock on NF_LOCK_PATH), waiting at most timeout_ms.
 * Returns the fd that holds it, -EBUSY when another holder kept it all that time. */
int nf_lock(unsigned timeout_ms);

/* "iptc_commit: Permission denied (you must be root)" style text for a failed call; errno in. */
int nf_error(const NfOps *ops, const char *call, int err, char **ret);

static inline void nf_handle_free(const NfOps *ops, struct xtc_handle **h) {
        if (*h) {
                ops->free(*h);
                *h = NULL;
        }
}
