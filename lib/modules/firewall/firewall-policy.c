/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The firewall section of the policy, and the CIDRs it is written in. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "firewall-policy.h"

static const char *const forward_policy_table[_FORWARD_POLICY_MAX] = {
        [FORWARD_POLICY_KEEP] = "keep",
        [FORWARD_POLICY_DROP] = "drop",
        [FORWARD_POLICY_ACCEPT] = "accept",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(forward_policy, ForwardPolicy);

static const char *const firewall_backend_table[_FIREWALL_BACKEND_MAX] = {
        [FIREWALL_BACKEND_AUTO] = "auto",
        [FIREWALL_BACKEND_NFTABLES] = "nftables",
        [FIREWALL_BACKEND_IPTABLES] = "iptables",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(firewall_backend, FirewallBackend);

int cidr_parse(const char *s, Cidr *ret, const char **ret_reason) {
        _cleanup_free_ char *addr = NULL;
        const char *slash = strchr(s, '/');
        Cidr c = {};
        unsigned max;

        addr = slash ? strndup(s, (size_t) (slash - s)) : strdup(s);
        if (!addr)
                return -ENOMEM;
        if (inet_pton(AF_INET, addr, &c.addr.in) == 1)
                c.family = AF_INET, max = 32;
        else if (inet_pton(AF_INET6, addr, &c.addr.in6) == 1)
                c.family = AF_INET6, max = 128;
        else {
                *ret_reason = "is not an IPv4 or IPv6 address";
                return -EINVAL;
        }
        c.prefixlen = max;
        if (slash) {
                char *end;
                unsigned long v;

                if (!slash[1] || slash[1] == '-' || slash[1] == '+')
                        goto bad_prefix;
                errno = 0;
                v = strtoul(slash + 1, &end, 10);
                if (errno != 0 || *end || v > max)
                        goto bad_prefix;
                c.prefixlen = (unsigned) v;
        }

        /* Host bits beyond the prefix are a typo more often than not: refuse them. */
        {
                const unsigned char *b = (const unsigned char *) &c.addr;
                unsigned bytes = max / 8;

                for (unsigned i = 0; i < bytes; i++) {
                        unsigned bit0 = i * 8;
                        unsigned char mask = bit0 >= c.prefixlen ? 0xff
                                             : bit0 + 8 <= c.prefixlen
                                                     ? 0
                                                     : (unsigned char) (0xff >> (c.prefixlen - bit0));

                        if (b[i] & mask) {
                                *ret_reason = "has host bits set beyond its prefix length";
                                return -EINVAL;
                        }
                }
        }
        *ret = c;
        return 0;

bad_prefix:
        *ret_reason = "has an invalid prefix length";
        return -EINVAL;
}

int cidr_format(const Cidr *c, char **ret) {
        char buf[INET6_ADDRSTRLEN];

        if (!inet_ntop(c->family, &c->addr, buf, sizeof(buf)))
                return -errno;
        return asprintf(ret, "%s/%u", buf, c->prefixlen) < 0 ? -ENOMEM : 0;
}

bool cidr_contains(const Cidr *c, int family, const void *addr) {
        const unsigned char *a = addr, *n = (const unsigned char *) &c->addr;
        unsigned full = c->prefixlen / 8, rest = c->prefixlen % 8;

        if (family != c->family)
                return false;
        if (memcmp(a, n, full) != 0)
                return false;
        if (rest == 0)
                return true;
        return ((a[full] ^ n[full]) & (unsigned char) (0xff << (8 - rest))) == 0;
}

bool policy_firewall_allows(const FirewallPolicy *fw, int proto, uint16_t port, int family, const void *addr) {
        if (!fw->enable)
                return true;
        if (family == AF_INET6 && !fw->ipv6)
                return true; /* ip6tables left alone */
        for (size_t i = 0; i < fw->n_allow; i++) {
                const FwAllow *a = &fw->allow[i];

                if (a->proto != proto || a->port != port)
                        continue;
                if (a->n_sources == 0)
                        return true;
                for (size_t j = 0; j < a->n_sources; j++)
                        if (!addr ? a->sources[j].family == family : cidr_contains(&a->sources[j], family, addr))
                                return true;
        }
        return false;
}

static int each_source(Parser *p, const config_setting_t *e, const char *path, size_t i, const char *v,
                       void *userdata) {
        FwAllow *a = userdata;
        const char *reason = NULL;
        Cidr c;
        int r;

        r = cidr_parse(v, &c, &reason);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return fail_at(p, elem_line(e), "%s[%zu]: \"%s\" %s", path, i, v, reason);
        if (c.family == AF_INET6 && c.prefixlen >= 96 && IN6_IS_ADDR_V4MAPPED(&c.addr.in6)) {
                /* IPv4 packets never reach ip6tables with these addresses: the rule would be dead */
                char v4[INET_ADDRSTRLEN];

                if (!inet_ntop(AF_INET, &c.addr.in6.s6_addr[12], v4, sizeof(v4)))
                        return -errno;
                if (c.prefixlen == 128)
                        return fail_at(p, elem_line(e),
                                       "%s[%zu]: \"%s\" is an IPv4-mapped IPv6 address, which no packet "
                                       "that ip6tables sees carries; write the IPv4 form \"%s\"",
                                       path, i, v, v4);
                return fail_at(p, elem_line(e),
                               "%s[%zu]: \"%s\" is an IPv4-mapped IPv6 address, which no packet that "
                               "ip6tables sees carries; write the IPv4 form \"%s/%u\"",
                               path, i, v, v4, c.prefixlen - 96);
        }
        for (size_t j = 0; j < a->n_sources; j++)
                if (!memcmp(&a->sources[j], &c, sizeof(c)))
                        return fail_at(p, elem_line(e), "%s[%zu]: \"%s\" is listed twice", path, i, v);
        if (ARRAY_GROW_ONE(a->sources, a->n_sources) < 0)
                return -ENOMEM;
        a->sources[a->n_sources++] = c;
        return 0;
}

static int cidr_cmp(const void *a, const void *b) {
        return memcmp(a, b, sizeof(Cidr));
}

static bool allow_same(const FwAllow *a, const FwAllow *b) {
        if (a->port != b->port || a->proto != b->proto || a->n_sources != b->n_sources)
                return false;
        return a->n_sources == 0 || memcmp(a->sources, b->sources, a->n_sources * sizeof(Cidr)) == 0;
}

static int parse_allow(Parser *p, FirewallPolicy *fw, const config_setting_t *list) {
        static const char *const keys[] = { "port", "proto", "sources", NULL };
        int n = config_setting_length(list), r;

        /* entries with the same proto/port, chained, so that finding duplicates stays linear:
         * last[key] and prev[i] hold an index + 1, 0 ends the chain */
        _cleanup_free_ uint32_t *last = calloc(2 * 65536, sizeof(uint32_t));
        _cleanup_free_ uint32_t *prev = calloc((size_t) n + 1, sizeof(uint32_t));

        fw->allow = calloc((size_t) n + 1, sizeof(FwAllow));
        if (!fw->allow || !last || !prev)
                return -ENOMEM;
        for (int i = 0; i < n; i++) {
                const config_setting_t *e = config_setting_get_elem(list, (unsigned) i);
                FwAllow *a = &fw->allow[fw->n_allow];
                _cleanup_free_ char *path = NULL, *proto = NULL;
                unsigned port = 0;

                if (asprintf(&path, "firewall.allow[%d]", i) < 0)
                        return -ENOMEM;
                if (config_setting_type(e) != CONFIG_TYPE_GROUP)
                        return fail(p, e, "%s: must be a group { port = N; proto = \"tcp\"; }", path);
                a->line = (unsigned) config_setting_source_line(e);
                fw->n_allow++;
                r = check_keys(p, e, path, keys);
                if (r < 0)
                        return r;
                r = get_uint(p, e, path, "port", 1, 65535, &port, NULL);
                if (r < 0)
                        return r;
                if (r == 0)
                        return fail(p, e, "%s.port: missing", path);
                a->port = (uint16_t) port;
                r = get_string(p, e, path, "proto", &proto, NULL);
                if (r < 0)
                        return r;
                if (r == 0 || streq(proto, "tcp"))
                        a->proto = IPPROTO_TCP;
                else if (streq(proto, "udp"))
                        a->proto = IPPROTO_UDP;
                else
                        return fail(p, config_setting_get_member(e, "proto"),
                                    "%s.proto: unknown protocol \"%s\", expected \"tcp\" or \"udp\"", path, proto);
                r = get_strings(p, e, path, "sources", each_source, a);
                if (r < 0)
                        return r;
                if (r > 0 && a->n_sources == 0)
                        return fail(p, config_setting_get_member(e, "sources"),
                                    "%s.sources: empty; omit the key to allow from anywhere", path);
                if (a->n_sources > 1)
                        qsort(a->sources, a->n_sources, sizeof(Cidr), cidr_cmp);
                size_t key = (size_t) a->port * 2 + (a->proto == IPPROTO_UDP);
                for (uint32_t j = last[key]; j > 0; j = prev[j - 1])
                        if (allow_same(&fw->allow[j - 1], a))
                                return fail(p, e, "%s: duplicates firewall.allow[%u] (%s/%u, line %u)", path, j - 1,
                                            proto_to_string(a->proto), a->port, fw->allow[j - 1].line);
                prev[i] = last[key];
                last[key] = (uint32_t) i + 1;
        }
        return 0;
}

void firewall_policy_init(Policy *pol) {
        pol->firewall = (FirewallPolicy){
                .enable = -1,
                .ipv6 = -1,
                .allow_icmp = -1,
                .reject_tail = -1,
                .forward_policy = _FORWARD_POLICY_INVALID,
                .backend = _FIREWALL_BACKEND_INVALID,
                .rate_limit = -1,
        };
}

int firewall_policy_parse(Parser *p, Policy *pol, const config_setting_t *g) {
        static const char *const keys[] = { "enable",         "ipv6",  "allow_icmp",     "reject_tail", "backend",
                                            "forward_policy", "allow", "ssh_rate_limit", NULL };
        static const char *const rl_keys[] = { "enable", "hits", "seconds", NULL };
        FirewallPolicy *fw = &pol->firewall;
        config_setting_t *s;
        int r, x;

        r = check_keys(p, g, "firewall", keys);
        if (r < 0)
                return r;
        fw->line = (unsigned) config_setting_source_line(g);
        if ((r = get_bool(p, g, "firewall", "enable", &fw->enable)) < 0 ||
            (r = get_bool(p, g, "firewall", "ipv6", &fw->ipv6)) < 0 ||
            (r = get_bool(p, g, "firewall", "allow_icmp", &fw->allow_icmp)) < 0 ||
            (r = get_bool(p, g, "firewall", "reject_tail", &fw->reject_tail)) < 0)
                return r;
        r = get_enum(p, g, "firewall", "forward_policy", forward_policy_table, _FORWARD_POLICY_MAX, &x);
        if (r < 0)
                return r;
        if (r > 0)
                fw->forward_policy = (ForwardPolicy) x;
        r = get_enum(p, g, "firewall", "backend", firewall_backend_table, _FIREWALL_BACKEND_MAX, &x);
        if (r < 0)
                return r;
        if (r > 0)
                fw->backend = (FirewallBackend) x;

        r = lookup(p, g, "firewall", "allow", VT_SEQUENCE, &s);
        if (r < 0)
                return r;
        if (r > 0) {
                r = parse_allow(p, fw, s); /* allocates fw->allow, also when empty: then it is set */
                if (r < 0)
                        return r;
        }

        r = lookup(p, g, "firewall", "ssh_rate_limit", VT_GROUP, &s);
        if (r < 0)
                return r;
        if (r > 0) {
                r = check_keys(p, s, "firewall.ssh_rate_limit", rl_keys);
                if (r < 0)
                        return r;
                if ((r = get_bool(p, s, "firewall.ssh_rate_limit", "enable", &fw->rate_limit)) < 0)
                        return r;
                /* xt_recent remembers at most 20 packets per source by default (ip_pkt_list_tot) */
                if ((r = get_uint(p, s, "firewall.ssh_rate_limit", "hits", 1, 20, &fw->rate_hits, NULL)) < 0)
                        return r;
                if ((r = get_uint(p, s, "firewall.ssh_rate_limit", "seconds", 1, 86400, &fw->rate_seconds, NULL)) < 0)
                        return r;
        }
        return 0;
}

/* The firewall defaults, in the one place they live; conf/hardend.conf says the same (a unit test
 * holds the two equal). */
static int default_allow(FirewallPolicy *fw) {
        static const char *const ssh_sources[] = { "0.0.0.0/0", "::/0" };
        static const uint16_t ports[] = { 22, 80, 443 };
        FwAllow *ssh;

        fw->allow = calloc(ELEMENTSOF(ports), sizeof(FwAllow));
        if (!fw->allow)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(ports); i++)
                fw->allow[fw->n_allow++] = (FwAllow){ .port = ports[i], .proto = IPPROTO_TCP };

        /* tcp/22 from everywhere, written as the two families' whole ranges */
        ssh = &fw->allow[0];
        ssh->sources = calloc(ELEMENTSOF(ssh_sources), sizeof(Cidr));
        if (!ssh->sources)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(ssh_sources); i++) {
                const char *reason = NULL;
                int r = cidr_parse(ssh_sources[i], &ssh->sources[ssh->n_sources], &reason);

                if (r < 0)
                        return r;
                ssh->n_sources++;
        }
        qsort(ssh->sources, ssh->n_sources, sizeof(Cidr), cidr_cmp);
        return 0;
}

int firewall_policy_defaults(Policy *pol) {
        FirewallPolicy *fw = &pol->firewall;

        if (fw->enable < 0)
                fw->enable = true;
        if (fw->ipv6 < 0)
                fw->ipv6 = true;
        if (fw->allow_icmp < 0)
                fw->allow_icmp = true;
        if (fw->reject_tail < 0)
                fw->reject_tail = false;
        if (fw->forward_policy < 0)
                fw->forward_policy = FORWARD_POLICY_KEEP;
        if (fw->backend < 0)
                fw->backend = FIREWALL_BACKEND_AUTO;
        if (fw->rate_limit < 0)
                fw->rate_limit = true;
        if (fw->rate_hits == 0)
                fw->rate_hits = 6;
        if (fw->rate_seconds == 0)
                fw->rate_seconds = 60;
        if (!fw->allow)
                return default_allow(fw);
        return 0;
}

void firewall_policy_done(Policy *pol) {
        FirewallPolicy *fw = &pol->firewall;

        for (size_t i = 0; i < fw->n_allow; i++)
                free(fw->allow[i].sources);
        free(fw->allow);
        fw->allow = NULL;
        fw->n_allow = 0;
}

static bool firewall_policy_equal(const Policy *pa, const Policy *pb) {
        const FirewallPolicy *a = &pa->firewall, *b = &pb->firewall;

        if (a->enable != b->enable || a->ipv6 != b->ipv6 || a->allow_icmp != b->allow_icmp ||
            a->reject_tail != b->reject_tail || a->forward_policy != b->forward_policy || a->backend != b->backend ||
            a->rate_limit != b->rate_limit || a->rate_hits != b->rate_hits || a->rate_seconds != b->rate_seconds ||
            a->n_allow != b->n_allow)
                return false;
        for (size_t i = 0; i < a->n_allow; i++) {
                const FwAllow *x = &a->allow[i], *y = &b->allow[i];

                if (x->port != y->port || x->proto != y->proto || x->n_sources != y->n_sources)
                        return false;
                for (size_t j = 0; j < x->n_sources; j++)
                        if (x->sources[j].family != y->sources[j].family ||
                            x->sources[j].prefixlen != y->sources[j].prefixlen ||
                            memcmp(&x->sources[j].addr, &y->sources[j].addr,
                                   x->sources[j].family == AF_INET ? sizeof(struct in_addr)
                                                                   : sizeof(struct in6_addr)) != 0)
                                return false;
        }
        return true;
}

const PolicySection firewall_policy_section = {
        .name = "firewall",
        .init = firewall_policy_init,
        .parse = firewall_policy_parse,
        .defaults = firewall_policy_defaults,
        .done = firewall_policy_done,
        .equal = firewall_policy_equal,
};
