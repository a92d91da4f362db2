/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "strv.h"
#include "sys/fwrule.h"

FwRule fw_rule_any(int family) {
        return (FwRule){ .family = family, .icmp_type = -1 };
}

static const char *const fw_target_table[_FW_TARGET_MAX] = {
        [FW_TARGET_NONE] = "",         [FW_TARGET_ACCEPT] = "ACCEPT", [FW_TARGET_DROP] = "DROP",
        [FW_TARGET_REJECT] = "REJECT", [FW_TARGET_JUMP] = FW_CHAIN,
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(fw_target, FwTarget);

const char *fw_family_to_string(int family) {
        return family == AF_INET ? "ipv4" : family == AF_INET6 ? "ipv6" : "?";
}

static const struct {
        int type;
        const char *name;
} icmp4_types[] = {
        { 0, "echo-reply" },     { 3, "destination-unreachable" }, { 8, "echo-request" },
        { 11, "time-exceeded" }, { 12, "parameter-problem" },
}, icmp6_types[] = {
        { 1, "destination-unreachable" }, { 2, "packet-too-big" },        { 3, "time-exceeded" },
        { 4, "parameter-problem" },       { 128, "echo-request" },        { 129, "echo-reply" },
        { 133, "router-solicitation" },   { 134, "router-advertisement" }, { 135, "neighbour-solicitation" },
        { 136, "neighbour-advertisement" },
};

const char *fw_icmp_type_to_string(int family, int type) {
        if (family == AF_INET) {
                for (size_t i = 0; i < ELEMENTSOF(icmp4_types); i++)
                        if (icmp4_types[i].type == type)
                                return icmp4_types[i].name;
        } else
                for (size_t i = 0; i < ELEMENTSOF(icmp6_types); i++)
                        if (icmp6_types[i].type == type)
                                return icmp6_types[i].name;
        return NULL;
}

static const char *proto_name(int family, int proto) {
        switch (proto) {
        case IPPROTO_TCP:
                return "tcp";
        case IPPROTO_UDP:
                return "udp";
        case IPPROTO_ICMP:
                return "icmp";
        case IPPROTO_ICMPV6:
                return "icmpv6";
        }
        return NULL;
}

int fw_rule_describe(const FwRule *r, char **ret) {
        _cleanup_strv_free_ char **w = NULL;
        char *s;
        int k = 0;

        if (r->in_loopback)
                k = strv_extend(&w, "in lo");
        if (k >= 0 && r->has_source) {
                _cleanup_free_ char *c = NULL;

                k = cidr_format(&r->source, &c);
                if (k >= 0)
                        k = strv_extendf(&w, "src %s", c);
        }
        if (k >= 0 && r->proto != 0) {
                const char *p = proto_name(r->family, r->proto);

                k = p ? strv_extend(&w, p) : strv_extendf(&w, "proto %d", r->proto);
        }
        if (k >= 0 && r->dport != 0)
                k = strv_extendf(&w, "dpt:%u", r->dport);
        if (k >= 0 && r->icmp_type >= 0) {
                const char *t = fw_icmp_type_to_string(r->family, r->icmp_type);

                k = t ? strv_extendf(&w, "type %s", t) : strv_extendf(&w, "type %d", r->icmp_type);
        }
        if (k >= 0 && r->ct_state != 0) {
                static const struct {
                        unsigned bit;
                        const char *name;
                } st[] = { { FW_CT_INVALID, "INVALID" },
                           { FW_CT_NEW, "NEW" },
                           { FW_CT_RELATED, "RELATED" },
                           { FW_CT_ESTABLISHED, "ESTABLISHED" } };
                _cleanup_strv_free_ char **names = NULL;
                _cleanup_free_ char *j = NULL;

                for (size_t i = 0; k >= 0 && i < ELEMENTSOF(st); i++)
                        if (r->ct_state & st[i].bit)
                                k = strv_extend(&names, st[i].name);
                if (k >= 0)
                        k = strv_join(names, ",", &j);
                if (k >= 0)
                        k = strv_extendf(&w, "ctstate %s", j);
        }
        if (k >= 0 && r->recent == FW_RECENT_SET)
                k = strv_extend(&w, "recent: set");
        else if (k >= 0 && r->recent == FW_RECENT_UPDATE)
                k = strv_extendf(&w, "recent: update seconds:%u hit_count:%u", r->recent_seconds, r->recent_hits);
        if (k >= 0 && r->target != FW_TARGET_NONE) {
                if (r->target == FW_TARGET_REJECT)
                        k = strv_extendf(&w, "REJECT %s",
                                         r->reject_with == FW_REJECT_TCP_RESET ? "tcp-reset" : "port-unreachable");
                else
                        k = strv_extend(&w, fw_target_to_string(r->target));
        }
        if (k < 0)
                return k;
        if (strv_isempty(w))
                return (*ret = strdup("(any)")) ? 0 : -ENOMEM;
        k = strv_join(w, " ", &s);
        if (k < 0)
                return k;
        *ret = s;
        return 0;
}

FwSpan fw_span_any(int family) {
        return (FwSpan){ .family = family, .dport_max = 0xffff, .icmp_type = -1 };
}

bool fw_span_intersect(const FwSpan *a, const FwSpan *b, FwSpan *ret) {
        FwSpan s = *a;

        if (a->family != b->family)
                return false;
        s.in_loopback = a->in_loopback || b->in_loopback;
        if (b->has_source) {
                /* two prefixes overlap only when one holds the other: keep the narrower */
                if (!a->has_source || (b->source.prefixlen >= a->source.prefixlen &&
                                       cidr_contains(&a->source, a->family, &b->source.addr))) {
                        s.source = b->source;
                        s.has_source = true;
                } else if (!(a->source.prefixlen >= b->source.prefixlen &&
                             cidr_contains(&b->source, b->family, &a->source.addr)))
                        return false;
        }
        if (a->proto != 0 && b->proto != 0 && a->proto != b->proto)
                return false;
        s.proto = a->proto ?: b->proto;
        s.dport_min = a->dport_min > b->dport_min ? a->dport_min : b->dport_min;
        s.dport_max = a->dport_max < b->dport_max ? a->dport_max : b->dport_max;
        if (s.dport_min > s.dport_max)
                return false;
        if (a->icmp_type >= 0 && b->icmp_type >= 0 && a->icmp_type != b->icmp_type)
                return false;
        s.icmp_type = a->icmp_type >= 0 ? a->icmp_type : b->icmp_type;
        if (a->ct_state != 0 && b->ct_state != 0) {
                s.ct_state = a->ct_state & b->ct_state;
                if (s.ct_state == 0)
                        return false;
        } else
                s.ct_state = a->ct_state | b->ct_state;
        *ret = s;
        return true;
}
