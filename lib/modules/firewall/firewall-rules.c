/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "firewall-rules.h"
#include "strv.h"

static int ruleset_add(FwRuleset *s, const FwRule *r) {
        if (ARRAY_GROW_ONE(s->rules, s->n_rules) < 0)
                return -ENOMEM;
        s->rules[s->n_rules++] = *r;
        return 0;
}

/* The ICMP types each family needs. IPv6 cannot work at all without neighbour discovery and the
 * router messages, so those are there even with allow_icmp = false. */
static const struct {
        int family;
        int type;
        bool always;
} icmp_allow[] = {
        { AF_INET, 8, false },   { AF_INET, 3, false },   { AF_INET, 11, false },  { AF_INET6, 1, false },
        { AF_INET6, 2, false },  { AF_INET6, 3, false },  { AF_INET6, 4, false },  { AF_INET6, 128, false },
        { AF_INET6, 133, true }, { AF_INET6, 134, true }, { AF_INET6, 135, true }, { AF_INET6, 136, true },
};

/* Whether fw->allow lets tcp/port in over family from anywhere or from some source. */
static bool allows_tcp(const FirewallPolicy *fw, uint16_t port, int family) {
        for (size_t i = 0; i < fw->n_allow; i++) {
                const FwAllow *a = &fw->allow[i];

                if (a->proto != IPPROTO_TCP || a->port != port)
                        continue;
                if (a->n_sources == 0)
                        return true;
                for (size_t j = 0; j < a->n_sources; j++)
                        if (a->sources[j].family == family)
                                return true;
        }
        return false;
}

static int cmp_u16(const void *a, const void *b) {
        return (int) *(const uint16_t *) a - (int) *(const uint16_t *) b;
}

/* The rate limit of one port: update before set, so that a source that already opened `hits` new
 * connections within `seconds` is dropped; the first `hits` get through and are remembered. The
 * recent list is shared by every SSH port: the limit is per source, not per port. */
static int add_rate_limit(FwRuleset *s, const FirewallPolicy *fw, uint16_t port) {
        FwRule r = fw_rule_any(s->family);
        int k;

        r.proto = IPPROTO_TCP;
        r.dport = port;
        r.ct_state = FW_CT_NEW;
        r.recent = FW_RECENT_UPDATE;
        r.recent_seconds = fw->rate_seconds;
        r.recent_hits = fw->rate_hits;
        r.target = FW_TARGET_DROP;
        if ((k = ruleset_add(s, &r)) < 0)
                return k;
        r.recent = FW_RECENT_SET;
        r.recent_seconds = r.recent_hits = 0;
        r.target = FW_TARGET_NONE;
        return ruleset_add(s, &r);
}

int fw_ruleset_build(const FirewallPolicy *fw, const uint16_t *ssh_ports, size_t n_ssh_ports, int family,
                     FwRuleset *ret) {
        _cleanup_(fw_ruleset_done) FwRuleset s = { .family = family, .input_drop = true };
        _cleanup_free_ uint16_t *ports = NULL;
        FwRule r;
        int k;

        if (family != AF_INET && family != AF_INET6)
                return -EAFNOSUPPORT;
        if (n_ssh_ports > 0) {
                ports = malloc(n_ssh_ports * sizeof(uint16_t));
                if (!ports)
                        return -ENOMEM;
                memcpy(ports, ssh_ports, n_ssh_ports * sizeof(uint16_t));
                qsort(ports, n_ssh_ports, sizeof(uint16_t), cmp_u16);
        }
        s.forward = fw->forward_policy;

        r = fw_rule_any(family);
        r.in_loopback = true;
        r.target = FW_TARGET_ACCEPT;
        if ((k = ruleset_add(&s, &r)) < 0)
                return k;

        r = fw_rule_any(family);
        r.ct_state = FW_CT_ESTABLISHED | FW_CT_RELATED;
        r.target = FW_TARGET_ACCEPT;
        if ((k = ruleset_add(&s, &r)) < 0)
                return k;

        r = fw_rule_any(family);
        r.ct_state = FW_CT_INVALID;
        r.target = FW_TARGET_DROP;
        if ((k = ruleset_add(&s, &r)) < 0)
                return k;

        for (size_t i = 0; i < ELEMENTSOF(icmp_allow); i++) {
                if (icmp_allow[i].family != family || !(fw->allow_icmp || icmp_allow[i].always))
                        continue;
                r = fw_rule_any(family);
                r.proto = family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
                r.icmp_type = icmp_allow[i].type;
                r.target = FW_TARGET_ACCEPT;
                if ((k = ruleset_add(&s, &r)) < 0)
                        return k;
        }

        for (size_t i = 0; fw->rate_limit && i < n_ssh_ports; i++) {
                if (ports[i] == 0 || (i > 0 && ports[i] == ports[i - 1]) || !allows_tcp(fw, ports[i], family))
                        continue;
                if ((k = add_rate_limit(&s, fw, ports[i])) < 0)
                        return k;
        }

        for (size_t i = 0; i < fw->n_allow; i++) {
                const FwAllow *a = &fw->allow[i];

                r = fw_rule_any(family);
                r.proto = a->proto;
                r.dport = a->port;
                r.target = FW_TARGET_ACCEPT;
                if (a->n_sources == 0) {
                        if ((k = ruleset_add(&s, &r)) < 0)
                                return k;
                        continue;
                }
                for (size_t j = 0; j < a->n_sources; j++) {
                        if (a->sources[j].family != family)
                                continue;
                        /* 0.0.0.0/0 and ::/0 are "from anywhere": the same entry as no source */
                        r.has_source = a->sources[j].prefixlen > 0;
                        r.source = r.has_source ? a->sources[j] : (Cidr){};
                        if ((k = ruleset_add(&s, &r)) < 0)
                                return k;
                }
        }

        if (fw->reject_tail) {
                r = fw_rule_any(family);
                r.proto = IPPROTO_TCP;
                r.target = FW_TARGET_REJECT;
                r.reject_with = FW_REJECT_TCP_RESET;
                if ((k = ruleset_add(&s, &r)) < 0)
                        return k;
                r = fw_rule_any(family);
                r.target = FW_TARGET_REJECT;
                r.reject_with = FW_REJECT_PORT_UNREACHABLE;
                if ((k = ruleset_add(&s, &r)) < 0)
                        return k;
        }

        *ret = s;
        s = (FwRuleset){};
        return 0;
}

void fw_ruleset_done(FwRuleset *s) {
        free(s->rules);
        *s = (FwRuleset){};
}

/* Every packet of f matches o (an ACCEPT rule of ours). */
static bool rule_covers(const FwRule *o, const FwSpan *f) {
        if (o->target != FW_TARGET_ACCEPT || o->recent != FW_RECENT_NONE)
                return false;
        if (o->in_loopback && !f->in_loopback)
                return false;
        if (o->has_source && !(f->has_source && f->source.prefixlen >= o->source.prefixlen &&
                               cidr_contains(&o->source, f->family, &f->source.addr)))
                return false;
        if (o->proto != 0 && f->proto != o->proto)
                return false;
        if (o->dport != 0 && !(f->dport_min == o->dport && f->dport_max == o->dport))
                return false;
        if (o->icmp_type >= 0 && f->icmp_type != o->icmp_type)
                return false;
        if (o->ct_state != 0 && (f->ct_state == 0 || (f->ct_state & ~o->ct_state) != 0))
                return false;
        return true;
}

bool fw_ruleset_covers(const FwRuleset *s, const FwSpan *f) {
        if (f->family != s->family)
                return false;
        for (size_t i = 0; i < s->n_rules; i++)
                if (rule_covers(&s->rules[i], f))
                        return true;
        return false;
}

bool fw_policy_admits(const FirewallPolicy *fw, int family, const void *addr, uint16_t port) {
        static const struct in6_addr loop6 = IN6ADDR_LOOPBACK_INIT;

        if (family == AF_INET && (ntohl(((const struct in_addr *) addr)->s_addr) >> 24) == 127)
                return true;
        if (family == AF_INET6 && memcmp(addr, &loop6, sizeof(loop6)) == 0)
                return true;
        return policy_firewall_allows(fw, IPPROTO_TCP, port, family, addr);
}

int fw_parse_ssh_connection(const char *s, int *ret_family, FwAddr *ret_addr, uint16_t *ret_port) {
        _cleanup_strv_free_ char **w = NULL;
        FwAddr a = {};
        unsigned long port;
        char *end;
        int family, k;

        if (!s)
                return -EINVAL;
        k = strv_split(s, " ", &w);
        if (k < 0)
                return k;
        if (strv_length(w) != 4)
                return -EINVAL;
        if (inet_pton(AF_INET, w[0], &a.in) == 1)
                family = AF_INET;
        else if (inet_pton(AF_INET6, w[0], &a.in6) == 1) {
                family = AF_INET6;
                if (IN6_IS_ADDR_V4MAPPED(&a.in6)) {
                        struct in_addr v4;

                        memcpy(&v4, &a.in6.s6_addr[12], sizeof(v4));
                        a = (FwAddr){ .in = v4 };
                        family = AF_INET;
                }
        } else
                return -EINVAL;
        errno = 0;
        port = strtoul(w[3], &end, 10);
        if (errno != 0 || *end || end == w[3] || port == 0 || port > 65535)
                return -EINVAL;
        *ret_family = family;
        *ret_addr = a;
        *ret_port = (uint16_t) port;
        return 0;
}
