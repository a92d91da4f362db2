/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Which backend holds hardend's rules (firewall.backend): a pure decision over what the host offers,
 * and the thin probing that finds that out. */

#include "firewall-backend.h"

#define FW_IPTABLES_PATH "/usr/sbin/iptables"

/* What the choice depends on. */
typedef struct FwHost {
        int iptables;                /* the iptables command: 1 the nftables variant, 0 legacy, -ENOENT none */
        const char *iptables_target; /* what it resolves to ("xtables-nft-multi"), or NULL */
        bool nftables;               /* the kernel can hold nftables rules */
        const char *nftables_why;    /* why not, or NULL */
        bool legacy;                 /* the kernel has the legacy x_tables */
        const char *legacy_why;      /* why not, or NULL */
} FwHost;

/* Decides for want on h: *ret the backend (FIREWALL_BACKEND_NFTABLES or _IPTABLES) and *ret_why the
 * reason ("auto: /usr/sbin/iptables is xtables-nft-multi"). When the backend named (or, with auto,
 * either) cannot be used, returns -EOPNOTSUPP with the reason in *ret_why and *ret unset. */
int fw_select_decide(FirewallBackend want, const FwHost *h, FirewallBackend *ret, char **ret_why);

typedef struct FwChoice {
        const FwBackendOps *ops;   /* the backend in use; NULL: none can be (why says so) */
        const FwBackendOps *other; /* the other one, where the kernel can hold its rules too; or NULL */
        char *why;
} FwChoice;

void fw_choice_done(FwChoice *c);

/* Probes the host for w (the backends and the iptables command of w->sys, or the live host's when
 * it is NULL) and decides. -errno only when the host cannot be asked. */
int fw_select(const FwWant *w, FwChoice *ret);
