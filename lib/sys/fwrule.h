/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* One firewall rule in a family-neutral form, as the firewall module computes it and
 * lib/sys/netfilter.c turns it into the kernel's entry bytes, and what a rule read back from the
 * kernel can match (FwSpan). Pure: no syscalls here. */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "policy.h"

#define FW_CHAIN       "HARDEND-INPUT"
#define FW_RECENT_NAME "HARDEND-SSH"

typedef enum FwTarget {
        FW_TARGET_NONE, /* no target: the packet goes on to the next rule (xt_recent --set) */
        FW_TARGET_ACCEPT,
        FW_TARGET_DROP,
        FW_TARGET_REJECT,
        FW_TARGET_JUMP, /* to FW_CHAIN */
        _FW_TARGET_MAX,
        _FW_TARGET_INVALID = -EINVAL,
} FwTarget;

typedef enum FwReject {
        FW_REJECT_TCP_RESET,
        FW_REJECT_PORT_UNREACHABLE,
        _FW_REJECT_MAX,
        _FW_REJECT_INVALID = -EINVAL,
} FwReject;

typedef enum FwRecent {
        FW_RECENT_NONE,
        FW_RECENT_SET,    /* remember this source */
        FW_RECENT_UPDATE, /* match when the source was seen hits times within seconds */
        _FW_RECENT_MAX,
        _FW_RECENT_INVALID = -EINVAL,
} FwRecent;

/* conntrack states, as bits (the kernel's XT_CONNTRACK_STATE_* values) */
#define FW_CT_INVALID     (1u << 0)
#define FW_CT_ESTABLISHED (1u << 1)
#define FW_CT_RELATED     (1u << 2)
#define FW_CT_NEW         (1u << 3)

/* One rule in a family-neutral form. Every field left 0 means "any". */
typedef struct FwRule {
        int family;       /* AF_INET or AF_INET6 */
        bool in_loopback; /* -i lo */
        bool has_source;
        Cidr source;
        int proto;         /* 0, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_ICMPV6 */
        uint16_t dport;    /* tcp/udp destination port, 0: any */
        int icmp_type;     /* -1: no icmp match */
        unsigned ct_state; /* FW_CT_* bits, 0: no conntrack match */
        FwRecent recent;
        unsigned recent_seconds;
        unsigned recent_hits;
        FwTarget target;
        FwReject reject_with;
} FwRule;

/* A rule initialised to "any" for family. */
FwRule fw_rule_any(int family);

/* "tcp dpt:80 ACCEPT", "src 192.0.2.0/24 tcp dpt:22 ACCEPT", "icmpv6 type neighbour-solicitation ACCEPT" */
int fw_rule_describe(const FwRule *r, char **ret);

/* What a rule read back from the kernel can match, as far as it is understood: each field left at
 * "any" where the rule has no such match, or one that is not understood (an inverted match, an
 * unknown extension), so that a span is never narrower than the rule it describes. */
typedef struct FwSpan {
        int family;
        bool in_loopback; /* -i lo, exactly */
        bool has_source;
        Cidr source;
        int proto;                     /* 0: any */
        uint16_t dport_min, dport_max; /* 0..65535: any */
        int icmp_type;                 /* -1: any */
        unsigned ct_state;             /* FW_CT_* bits (and the kernel's others); 0: any */
} FwSpan;

FwSpan fw_span_any(int family);
/* The packets both match; false when there are none. */
bool fw_span_intersect(const FwSpan *a, const FwSpan *b, FwSpan *ret);

const char *fw_target_to_string(FwTarget t);
const char *fw_family_to_string(int family); /* "ipv4" / "ipv6" */
const char *fw_icmp_type_to_string(int family, int type);
