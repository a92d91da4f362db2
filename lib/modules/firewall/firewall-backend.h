/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The firewall module's two ways to the kernel's packet filter, behind one ruleset-level table (the
 * shape of systemd's firewall-util with its nft and iptc halves): the legacy x_tables through libiptc
 * ("iptables", firewall-iptables.c) and nftables through libnftables ("nftables", firewall-nft.c).
 * firewall.c computes what it wants (FwWant) and hands the whole of it to one backend; it does not
 * know which one it drives. */

#include <stdbool.h>

#include "engine.h"
#include "firewall-rules.h"

struct Snapshot;

/* What the firewall module wants the kernel to hold, whichever backend holds it. */
typedef struct FwWant {
        const Policy *policy;
        FwRuleset sets[2];   /* [0] IPv4, [1] IPv6 */
        size_t n_sets;       /* 1 when firewall.ipv6 is off: IPv6 is then not touched at all */
        bool repair;         /* the watcher in repair mode: also remove every foreign accept on input */
        const char *run_dir; /* Context.run_dir: where a backend may keep what it verified */
        /* the side effects as the unit tests fake them (Context.firewall); the kernel's when NULL */
        const FwBackend *sys;
} FwWant;

typedef struct FwBackendOps {
        const char *name; /* "iptables", "nftables": what firewall.backend names */
        /* Whether this kernel can hold the backend's rules: 1 yes; 0 no, with the reason in
         * *ret_why (no nf_tables, no legacy x_tables); -errno when that cannot be told. */
        int (*usable)(const FwWant *w, char **ret_why);
        /* Appends the findings of the kernel's state against w: hardend's rules (added, removed or
         * changed, named as the backend's own tool prints them), the policies of the chains it
         * owns, and foreign rules on the input path that accept what the policy drops. A part that
         * cannot be read is an UNKNOWN finding. */
        int (*probe)(const FwWant *w, FindingList *out);
        /* Makes the kernel hold w, each table in one step (the kernel holds the old rules or the
         * new ones, never a mix); sends nothing when it already does. Records every change in o. */
        int (*apply)(const FwWant *w, Outcome *o);
        /* Whether hardend's rules are in this backend's subsystem: 1 yes, 0 no, -errno. */
        int (*installed)(const FwWant *w);
        /* Removes hardend's rules (and only those) from this backend's subsystem: when the other
         * backend took over, after its rules are in. Records every change in o. */
        int (*remove)(const FwWant *w, Outcome *o);
        /* Saves what apply or remove may change, for "apply --confirm" (rollback.h). */
        int (*snapshot)(const FwWant *w, struct Snapshot *s);
} FwBackendOps;

extern const FwBackendOps fw_backend_iptables;
extern const FwBackendOps fw_backend_nftables;
