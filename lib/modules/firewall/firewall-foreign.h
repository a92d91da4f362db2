/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Rules other software put in the filter table's INPUT chain that can accept a packet the policy
 * drops: an ACCEPT in INPUT, or a jump/goto from INPUT into a user chain from which an ACCEPT (or a
 * target that may accept, e.g. NFQUEUE) is reachable, through further chains, cycle-safe.
 * Whether hardend's own chain accepts the packet too is decided on what the rule can match as far
 * as it is understood (FwSpan); what is not understood counts as "anything". */

#include <stdbool.h>
#include <stddef.h>

#include "firewall-rules.h"
#include "sys/netfilter.h"

typedef struct FwForeign {
        size_t rule;   /* the INPUT rule that leads there, 0-based: the one apply removes */
        char *entry;   /* that rule, described ("tcp dpt:8080 ACCEPT", "FOREIGN") */
        char *path;    /* how it accepts: "INPUT rule 4 -> FOREIGN rule 1: tcp dpt:8081 ACCEPT" */
        bool harmless; /* an ACCEPT directly in INPUT of packets FW_CHAIN accepts too */
} FwForeign;

typedef struct FwForeignList {
        FwForeign *items;
        size_t n;
} FwForeignList;

void fw_foreign_list_done(FwForeignList *l);

/* Walks INPUT of the table in h. want is the family's ruleset (what FW_CHAIN accepts). jump is the
 * entry of hardend's jump to FW_CHAIN; with reject_tail, the rules after it are never reached
 * (FW_CHAIN decides every packet) and are not looked at. Harmless ACCEPTs are listed too, flagged. */
int fw_foreign_find(const NfOps *ops, struct xtc_handle *h, const FwRuleset *want, const void *jump, bool reject_tail,
                    FwForeignList *ret);
