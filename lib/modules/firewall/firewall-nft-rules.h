/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The pure half of the nftables backend: the table hardend wants, from the rulesets of
 * firewall-rules.h, in the text nft itself prints (so that a rule read back compares as text). No
 * syscalls here.
 *
 * One "table inet hardend" holds both families: a rule that is the same for IPv4 and IPv6 is one
 * inet rule, a family's own rule (a source, an ICMP type, the rate limit's set) is qualified by its
 * match. With IPv6 left alone (one ruleset), the table is "table ip hardend": IPv6 then meets no
 * rule of hardend at all, as with the legacy backend, which leaves ip6tables untouched. */

#include <stdbool.h>
#include <stddef.h>

#include "firewall-rules.h"

#define FW_NFT_TABLE    "hardend"
#define FW_NFT_SET_SIZE 65535u

typedef struct FwNftSet {
        const char *name; /* "ssh4", "ssh6": the sources of new SSH connections */
        const char *type; /* "ipv4_addr", "ipv6_addr" */
        unsigned timeout; /* seconds */
} FwNftSet;

typedef struct FwNftChain {
        const char *name;   /* "input", "forward" */
        const char *hook;   /* the same names */
        const char *policy; /* "drop", "accept" */
        char **rules;       /* each as nft prints it */
} FwNftChain;

typedef struct FwNftTable {
        const char *family; /* "inet", or "ip" when IPv6 is left alone */
        FwNftSet sets[2];
        size_t n_sets;
        FwNftChain chains[2];
        size_t n_chains;
} FwNftTable;

/* sets[0] IPv4, sets[1] IPv6 (n_sets 2), or IPv4 alone (n_sets 1). */
int fw_nft_table_build(const FwRuleset *sets, size_t n_sets, FwNftTable *ret);
void fw_nft_table_done(FwNftTable *t);
size_t fw_nft_table_n_rules(const FwNftTable *t);
const FwNftChain *fw_nft_table_chain(const FwNftTable *t, const char *name);

/* The whole table as input for nft: "table inet hardend { set ... chain input { ... } }". */
int fw_nft_table_text(const FwNftTable *t, char **ret);

/* One rule as nft prints it in a table of table_family ("inet", "ip"); qualify: prefix a rule that
 * matches both families with "meta nfproto ipv4"/"ipv6". *ret is NULL for a rule that has no
 * nftables rule of its own (xt_recent's --set: the rate limit's set statement does both). */
int fw_nft_rule_text(const FwRule *r, const char *table_family, bool qualify, char **ret);

/* The rate limit as nft's limit statement takes it: hits per seconds as a rate per unit. */
int fw_nft_rate(unsigned hits, unsigned seconds, unsigned long long *ret_rate, const char **ret_unit);
