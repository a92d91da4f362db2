/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The firewall's pure part: the ruleset from the policy, the entry bytes, their description and
 * comparison, and the anti-lockout decision. No root, no kernel. */
#include <arpa/inet.h>
#include <check.h>

#include "test-main.h"
#include <linux/netfilter/x_tables.h>
#include <linux/netfilter/xt_recent.h>
#include <linux/netfilter/xt_tcpudp.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/netfilter_ipv6/ip6_tables.h>
#include <stdlib.h>

#include "firewall-rules.h"
#include "firewall-sshd.h"
#include "strv.h"
#include "sys/netfilter.h"
#include "sys/netif.h"

/* The rules of the ruleset, described, joined with "|" */
static char *describe_all(const FwRuleset *s) {
        _cleanup_strv_free_ char **l = NULL;
        char *j = NULL;

        for (size_t i = 0; i < s->n_rules; i++) {
                char *d = NULL;

                ck_assert_int_eq(fw_rule_describe(&s->rules[i], &d), 0);
                ck_assert_int_eq(strv_consume(&l, d), 0);
        }
        ck_assert_int_eq(strv_join(l, "|", &j), 0);
        return j;
}

static const struct {
        const char *name;
        const char *conf;
        int family;
        const char *want;
        ForwardPolicy forward;
        uint16_t ssh_ports[6]; /* the ports sshd listens on; none: ssh.port alone */
        size_t n_ssh_ports;
} ruleset_cases[] = {
        { "default v4",
          "version = 1;",
          AF_INET,
          "in lo ACCEPT|ctstate RELATED,ESTABLISHED ACCEPT|ctstate INVALID DROP|"
          "icmp type echo-request ACCEPT|icmp type destination-unreachable ACCEPT|icmp type time-exceeded ACCEPT|"
          "tcp dpt:22 ctstate NEW recent: update seconds:60 hit_count:6 DROP|tcp dpt:22 ctstate NEW recent: set|"
          "tcp dpt:22 ACCEPT|tcp dpt:80 ACCEPT|tcp dpt:443 ACCEPT",
          FORWARD_POLICY_KEEP,
          {},
          0 },
        { "default v6",
          "version = 1;",
          AF_INET6,
          "in lo ACCEPT|ctstate RELATED,ESTABLISHED ACCEPT|ctstate INVALID DROP|"
          "icmpv6 type destination-unreachable ACCEPT|icmpv6 type packet-too-big ACCEPT|"
          "icmpv6 type time-exceeded ACCEPT|icmpv6 type parameter-problem ACCEPT|icmpv6 type echo-request ACCEPT|"
          "icmpv6 type router-solicitation ACCEPT|icmpv6 type router-advertisement ACCEPT|"
          "icmpv6 type neighbour-solicitation ACCEPT|icmpv6 type neighbour-advertisement ACCEPT|"
          "tcp dpt:22 ctstate NEW recent: update seconds:60 hit_count:6 DROP|tcp dpt:22 ctstate NEW recent: set|"
          "tcp dpt:22 ACCEPT|tcp dpt:80 ACCEPT|tcp dpt:443 ACCEPT",
          FORWARD_POLICY_KEEP,
          {},
          0 },
        /* without allow_icmp, IPv6 keeps neighbour discovery; no rate limit; sources split by family */
        { "sources v4",
          "version = 1; firewall = { allow_icmp = false; forward_policy = \"accept\"; "
          "ssh_rate_limit = { enable = false; }; allow = ( { port = 22; sources = [ \"192.0.2.0/24\", "
          "\"2001:db8::/32\" ]; }, { port = 53; proto = \"udp\"; }, { port = 2222; sources = [ \"2001:db8:1::/48\" ]; "
          "} ); };",
          AF_INET,
          "in lo ACCEPT|ctstate RELATED,ESTABLISHED ACCEPT|ctstate INVALID DROP|src 192.0.2.0/24 tcp dpt:22 "
          "ACCEPT|udp dpt:53 ACCEPT",
          FORWARD_POLICY_ACCEPT,
          {},
          0 },
        { "sources v6",
          "version = 1; firewall = { allow_icmp = false; forward_policy = \"accept\"; "
          "ssh_rate_limit = { enable = false; }; allow = ( { port = 22; sources = [ \"192.0.2.0/24\", "
          "\"2001:db8::/32\" ]; }, { port = 53; proto = \"udp\"; }, { port = 2222; sources = [ \"2001:db8:1::/48\" ]; "
          "} ); };",
          AF_INET6,
          "in lo ACCEPT|ctstate RELATED,ESTABLISHED ACCEPT|ctstate INVALID DROP|"
          "icmpv6 type router-solicitation ACCEPT|icmpv6 type router-advertisement ACCEPT|"
          "icmpv6 type neighbour-solicitation ACCEPT|icmpv6 type neighbour-advertisement ACCEPT|"
          "src 2001:db8::/32 tcp dpt:22 ACCEPT|udp dpt:53 ACCEPT|src 2001:db8:1::/48 tcp dpt:2222 ACCEPT",
          FORWARD_POLICY_ACCEPT,
          {},
          0 },
        { "reject tail, ssh port 2222",
          "version = 1; firewall = { allow_icmp = false; reject_tail = true; forward_policy = \"drop\"; "
          "ssh_rate_limit = { hits = 3; seconds = 10; }; allow = ( { port = 2222; } ); }; ssh = { port = 2222; };",
          AF_INET,
          "in lo ACCEPT|ctstate RELATED,ESTABLISHED ACCEPT|ctstate INVALID DROP|"
          "tcp dpt:2222 ctstate NEW recent: update seconds:10 hit_count:3 DROP|tcp dpt:2222 ctstate NEW recent: set|"
          "tcp dpt:2222 ACCEPT|tcp REJECT tcp-reset|REJECT port-unreachable",
          FORWARD_POLICY_DROP,
          {},
          0 },
        /* sshd on several ports: each allowed one rate limited, in order, once; 2200 is dropped
         * anyway (not in firewall.allow), 0 is no port */
        { "sshd ports v4",
          "version = 1; firewall = { allow_icmp = false; allow = ( { port = 22; }, { port = 2222; sources = [ "
          "\"192.0.2.0/24\" ]; } ); };",
          AF_INET,
          "in lo ACCEPT|ctstate RELATED,ESTABLISHED ACCEPT|ctstate INVALID DROP|"
          "tcp dpt:22 ctstate NEW recent: update seconds:60 hit_count:6 DROP|tcp dpt:22 ctstate NEW recent: set|"
          "tcp dpt:2222 ctstate NEW recent: update seconds:60 hit_count:6 DROP|tcp dpt:2222 ctstate NEW recent: set|"
          "tcp dpt:22 ACCEPT|src 192.0.2.0/24 tcp dpt:2222 ACCEPT",
          FORWARD_POLICY_KEEP,
          { 2222, 22, 2200, 22, 0, 2222 },
          6 },
        /* the same over IPv6: 2222 is let in from an IPv4 source only, so it needs no rate limit */
        { "sshd ports v6",
          "version = 1; firewall = { allow_icmp = false; allow = ( { port = 22; }, { port = 2222; sources = [ "
          "\"192.0.2.0/24\" ]; } ); };",
          AF_INET6,
          "in lo ACCEPT|ctstate RELATED,ESTABLISHED ACCEPT|ctstate INVALID DROP|"
          "icmpv6 type router-solicitation ACCEPT|icmpv6 type router-advertisement ACCEPT|"
          "icmpv6 type neighbour-solicitation ACCEPT|icmpv6 type neighbour-advertisement ACCEPT|"
          "tcp dpt:22 ctstate NEW recent: update seconds:60 hit_count:6 DROP|tcp dpt:22 ctstate NEW recent: set|"
          "tcp dpt:22 ACCEPT",
          FORWARD_POLICY_KEEP,
          { 2222, 22, 2200, 22, 0, 2222 },
          6 },
        /* no port sshd listens on is let in: no rate limit at all */
        { "sshd ports none allowed",
          "version = 1; firewall = { allow_icmp = false; allow = ( { port = 80; } ); }; ssh = { enable = false; };",
          AF_INET,
          "in lo ACCEPT|ctstate RELATED,ESTABLISHED ACCEPT|ctstate INVALID DROP|tcp dpt:80 ACCEPT",
          FORWARD_POLICY_KEEP,
          { 22, 2222 },
          2 },
};

static int build_case(size_t i, FwRuleset *ret) {
        _cleanup_policy_free_ Policy *p = test_policy_load(ruleset_cases[i].conf);

        if (ruleset_cases[i].n_ssh_ports == 0)
                return fw_ruleset_build(&p->firewall, &p->ssh.port, 1, ruleset_cases[i].family, ret);
        return fw_ruleset_build(&p->firewall, ruleset_cases[i].ssh_ports, ruleset_cases[i].n_ssh_ports,
                                ruleset_cases[i].family, ret);
}

START_TEST(test_ruleset) {
        _cleanup_(fw_ruleset_done) FwRuleset s = {};
        _cleanup_free_ char *got = NULL;

        ck_assert_int_eq(build_case(_i, &s), 0);
        got = describe_all(&s);
        ck_assert_msg(streq(got, ruleset_cases[_i].want), "%s:\n got  %s\n want %s", ruleset_cases[_i].name, got,
                      ruleset_cases[_i].want);
        ck_assert(s.input_drop);
        ck_assert_int_eq(s.forward, ruleset_cases[_i].forward);
        for (size_t i = 0; i < s.n_rules; i++)
                ck_assert_int_eq(s.rules[i].family, ruleset_cases[_i].family);
}
END_TEST

START_TEST(test_bad_family) {
        _cleanup_policy_free_ Policy *p = test_policy_load("version = 1;");
        FwRuleset s = {};

        ck_assert_int_eq(fw_ruleset_build(&p->firewall, &(uint16_t){ 22 }, 1, AF_UNIX, &s), -EAFNOSUPPORT);
        ck_assert_ptr_null(s.rules);
}
END_TEST

/* Every rule of every case: the entry's layout, its description read back from the bytes, and
 * its comparison with itself and with a changed copy. */
START_TEST(test_entries_round_trip) {
        _cleanup_(fw_ruleset_done) FwRuleset s = {};
        const NfOps *ops = nf_ops_for(ruleset_cases[_i].family);

        ck_assert_int_eq(build_case(_i, &s), 0);
        for (size_t i = 0; i < s.n_rules; i++) {
                _cleanup_free_ void *e = NULL, *e2 = NULL;
                _cleanup_free_ char *want = NULL, *got = NULL;
                const char *label = fw_target_to_string(s.rules[i].target);
                FwRule other = s.rules[i];
                size_t size, size2;

                ck_assert_int_eq(nf_entry_build(ops, &s.rules[i], &e, &size), 0);
                ck_assert_uint_eq(size, nf_entry_size(ops, e));
                ck_assert_uint_eq(size % XT_ALIGN(1), 0);
                ck_assert_int_eq(fw_rule_describe(&s.rules[i], &want), 0);
                ck_assert_int_eq(nf_entry_describe(ops, e, label, &got), 0);
                ck_assert_str_eq(got, want);
                if (s.rules[i].target != FW_TARGET_REJECT)
                        continue; /* a built standard target carries the label, not the kernel's "" */
                ck_assert(nf_entry_equal(ops, e, label, e, s.rules[i].target));
                other.reject_with =
                        other.reject_with == FW_REJECT_TCP_RESET ? FW_REJECT_PORT_UNREACHABLE : FW_REJECT_TCP_RESET;
                ck_assert_int_eq(nf_entry_build(ops, &other, &e2, &size2), 0);
                ck_assert(!nf_entry_equal(ops, e2, label, e, s.rules[i].target));
        }
}
END_TEST

/* The kernel gives standard targets back as name "" plus a verdict; libiptc gives the label. */
static void *as_kernel_returns(const NfOps *ops, const FwRule *r) {
        void *e = NULL;
        size_t size;
        struct xt_entry_target *t;

        ck_assert_int_eq(nf_entry_build(ops, r, &e, &size), 0);
        t = (struct xt_entry_target *) ((uint8_t *) e + size - XT_ALIGN(sizeof(struct xt_standard_target)));
        memset(t->u.user.name, 0, sizeof(t->u.user.name));
        return e;
}

START_TEST(test_entry_equal) {
        const NfOps *ops = _i == 0 ? &nf_ops_ipv4 : &nf_ops_ipv6;
        int family = ops->family;
        FwRule r = fw_rule_any(family), r2;
        _cleanup_free_ void *built = NULL, *back = NULL, *back2 = NULL;
        size_t size;

        r.proto = IPPROTO_TCP;
        r.dport = 80;
        r.target = FW_TARGET_ACCEPT;
        ck_assert_int_eq(nf_entry_build(ops, &r, &built, &size), 0);
        /* header + tcp match + standard target, each at its aligned size */
        ck_assert_uint_eq(size, ops->entry_size + XT_ALIGN(sizeof(struct xt_entry_match) + sizeof(struct xt_tcp)) +
                                        XT_ALIGN(sizeof(struct xt_standard_target)));
        back = as_kernel_returns(ops, &r);
        ck_assert(nf_entry_equal(ops, back, "ACCEPT", built, FW_TARGET_ACCEPT));
        ck_assert(!nf_entry_equal(ops, back, "DROP", built, FW_TARGET_ACCEPT));
        /* the kernel's bookkeeping is not compared: counters, comefrom */
        memset((uint8_t *) back + ops->off_next_offset + 2, 0x5a, 4 + 16);
        ck_assert(nf_entry_equal(ops, back, "ACCEPT", built, FW_TARGET_ACCEPT));

        r2 = r;
        r2.dport = 81;
        back2 = as_kernel_returns(ops, &r2);
        ck_assert(!nf_entry_equal(ops, back2, "ACCEPT", built, FW_TARGET_ACCEPT));
        free(back2);
        r2 = r;
        r2.has_source = true;
        ck_assert_int_eq(
                cidr_parse(family == AF_INET ? "192.0.2.0/24" : "2001:db8::/32", &r2.source, &(const char *){ NULL }),
                0);
        back2 = as_kernel_returns(ops, &r2);
        ck_assert(!nf_entry_equal(ops, back2, "ACCEPT", built, FW_TARGET_ACCEPT));
}
END_TEST

START_TEST(test_entry_layout) {
        FwRule r = fw_rule_any(AF_INET6);
        _cleanup_free_ void *e = NULL;
        const struct ip6t_entry *x;
        const struct xt_entry_match *m;
        size_t size;

        r.proto = IPPROTO_TCP;
        r.dport = 22;
        r.ct_state = FW_CT_NEW;
        r.recent = FW_RECENT_UPDATE;
        r.recent_hits = 6;
        r.recent_seconds = 60;
        r.target = FW_TARGET_DROP;
        ck_assert_int_eq(nf_entry_build(&nf_ops_ipv6, &r, &e, &size), 0);
        x = e;
        ck_assert_uint_eq(x->ipv6.proto, IPPROTO_TCP);
        ck_assert(x->ipv6.flags & IP6T_F_PROTO);
        m = (const void *) x->elems;
        ck_assert_str_eq(m->u.user.name, "tcp");
        m = (const void *) ((const uint8_t *) m + m->u.match_size);
        ck_assert_str_eq(m->u.user.name, "conntrack");
        ck_assert_uint_eq(m->u.user.revision, 3);
        m = (const void *) ((const uint8_t *) m + m->u.match_size);
        ck_assert_str_eq(m->u.user.name, "recent");
        ck_assert_uint_eq(m->u.user.revision, 1);
        ck_assert_uint_eq(m->u.match_size, XT_ALIGN(sizeof(*m) + sizeof(struct xt_recent_mtinfo_v1)));
        ck_assert_uint_eq(((const struct xt_recent_mtinfo_v1 *) m->data)->hit_count, 6);
        ck_assert_uint_eq(x->target_offset, (const uint8_t *) m + m->u.match_size - (const uint8_t *) e);
        ck_assert_uint_eq(x->next_offset, size);
}
END_TEST

START_TEST(test_ssh_connection) {
        static const struct {
                const char *s;
                int r, family;
                const char *addr;
                uint16_t port;
        } t[] = {
                { "192.0.2.9 50000 192.0.2.1 22", 0, AF_INET, "192.0.2.9", 22 },
                { "2001:db8::9 50000 2001:db8::1 2222", 0, AF_INET6, "2001:db8::9", 2222 },
                { "::ffff:198.51.100.4 1 ::ffff:192.0.2.1 22", 0, AF_INET, "198.51.100.4", 22 },
                { "192.0.2.9 50000 192.0.2.1", -EINVAL, 0, NULL, 0 },
                { "example.org 1 192.0.2.1 22", -EINVAL, 0, NULL, 0 },
                { "192.0.2.9 1 192.0.2.1 70000", -EINVAL, 0, NULL, 0 },
                { "", -EINVAL, 0, NULL, 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                FwAddr a = {}, want = {};
                uint16_t port = 0;
                int family = 0;

                ck_assert_int_eq(fw_parse_ssh_connection(t[i].s, &family, &a, &port), t[i].r);
                if (t[i].r < 0) {
                        ck_assert_int_eq(family, 0); /* untouched */
                        continue;
                }
                ck_assert_int_eq(family, t[i].family);
                ck_assert_int_eq(inet_pton(family, t[i].addr, &want), 1);
                ck_assert_mem_eq(&a, &want, family == AF_INET ? 4 : 16);
                ck_assert_uint_eq(port, t[i].port);
        }
}
END_TEST

START_TEST(test_admits) {
        _cleanup_policy_free_ Policy *p =
                test_policy_load("version = 1; firewall = { allow = ( { port = 22; sources = [ "
                                 "\"192.0.2.0/24\", \"2001:db8:1::/48\" ]; }, "
                                 "{ port = 80; } ); };");
        static const struct {
                int family;
                const char *addr;
                uint16_t port;
                bool want;
        } t[] = {
                { AF_INET, "192.0.2.77", 22, true },     { AF_INET, "198.51.100.9", 22, false },
                { AF_INET, "198.51.100.9", 80, true },   { AF_INET, "127.0.0.1", 22, true },
                { AF_INET6, "2001:db8:1::5", 22, true }, { AF_INET6, "2001:db8:2::5", 22, false },
                { AF_INET6, "::1", 22, true },           { AF_INET, "192.0.2.77", 2222, false },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                FwAddr a;

                ck_assert_int_eq(inet_pton(t[i].family, t[i].addr, &a), 1);
                ck_assert_msg(fw_policy_admits(&p->firewall, t[i].family, &a, t[i].port) == t[i].want, "%s port %u",
                              t[i].addr, t[i].port);
        }
}
END_TEST

/* A foreign rule read back from the kernel: what it can match, and whether hardend's own chain
 * accepts all of that anyway. */
static void *foreign_entry(const NfOps *ops, void (*edit)(void *e), const FwRule *r) {
        void *e = NULL;
        size_t size;

        ck_assert_int_eq(nf_entry_build(ops, r, &e, &size), 0);
        if (edit)
                edit(e);
        return e;
}

static void invert_dport(void *e) {
        struct xt_entry_match *m = (void *) ((uint8_t *) e + sizeof(struct ipt_entry));

        ck_assert_str_eq(m->u.user.name, "tcp");
        ((struct xt_tcp *) m->data)->invflags |= XT_TCP_INV_DSTPT;
}

static void invert_iniface(void *e) {
        ((struct ipt_entry *) e)->ip.invflags |= IPT_INV_VIA_IN;
}

static void wildcard_iniface(void *e) {
        ((struct ipt_entry *) e)->ip.iniface_mask[2] = 0; /* "lo+" */
}

static void unknown_match(void *e) {
        struct xt_entry_match *m = (void *) ((uint8_t *) e + sizeof(struct ipt_entry));

        /* the tcp match becomes one we do not know: the port no longer narrows the span */
        memcpy(m->u.user.name, "multiport", sizeof("multiport"));
}

START_TEST(test_foreign_covered) {
        _cleanup_policy_free_ Policy *p =
                test_policy_load("version = 1; firewall = { allow = ( { port = 22; }, { port = 80; }, "
                                 "{ port = 443; sources = [ \"192.0.2.0/24\" ]; } ); };");
        _cleanup_(fw_ruleset_done) FwRuleset s = {};
        static const struct {
                const char *name;
                bool loopback;
                const char *source;
                int proto;
                uint16_t dport;
                unsigned ct;
                void (*edit)(void *e);
                bool covered;
        } t[] = {
                { "-i lo", true, NULL, 0, 0, 0, NULL, true },
                { "ctstate ESTABLISHED", false, NULL, 0, 0, FW_CT_ESTABLISHED, NULL, true },
                { "ctstate NEW", false, NULL, 0, 0, FW_CT_NEW, NULL, false },
                { "tcp/80", false, NULL, IPPROTO_TCP, 80, 0, NULL, true },
                { "tcp/80 from a source", false, "198.51.100.0/24", IPPROTO_TCP, 80, 0, NULL, true },
                { "tcp/8080", false, NULL, IPPROTO_TCP, 8080, 0, NULL, false },
                { "udp/80", false, NULL, IPPROTO_UDP, 80, 0, NULL, false },
                { "tcp/443 from inside the allowed source", false, "192.0.2.128/25", IPPROTO_TCP, 443, 0, NULL, true },
                { "tcp/443 from a wider source", false, "192.0.0.0/16", IPPROTO_TCP, 443, 0, NULL, false },
                { "tcp/443 from anywhere", false, NULL, IPPROTO_TCP, 443, 0, NULL, false },
                { "anything", false, NULL, 0, 0, 0, NULL, false },
                { "tcp ! --dport 80", false, NULL, IPPROTO_TCP, 80, 0, invert_dport, false },
                { "! -i lo", true, NULL, 0, 0, 0, invert_iniface, false },
                { "-i lo+", true, NULL, 0, 0, 0, wildcard_iniface, false },
                { "an unknown match on tcp", false, NULL, IPPROTO_TCP, 80, 0, unknown_match, false },
        };

        ck_assert_int_eq(fw_ruleset_build(&p->firewall, &p->ssh.port, 1, AF_INET, &s), 0);
        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                FwRule r = fw_rule_any(AF_INET);
                _cleanup_free_ void *e = NULL;
                FwSpan span;

                r.in_loopback = t[i].loopback;
                if (t[i].source) {
                        r.has_source = true;
                        ck_assert_int_eq(cidr_parse(t[i].source, &r.source, &(const char *){ NULL }), 0);
                }
                r.proto = t[i].proto;
                r.dport = t[i].dport;
                r.ct_state = t[i].ct;
                r.target = FW_TARGET_ACCEPT;
                e = foreign_entry(&nf_ops_ipv4, t[i].edit, &r);
                nf_entry_span(&nf_ops_ipv4, e, &span);
                ck_assert_msg(fw_ruleset_covers(&s, &span) == t[i].covered, "%s", t[i].name);
        }
}
END_TEST

START_TEST(test_span_intersect) {
        FwSpan a = fw_span_any(AF_INET), b = fw_span_any(AF_INET), x;

        ck_assert(fw_span_intersect(&a, &b, &x));
        a.proto = IPPROTO_TCP;
        a.dport_min = a.dport_max = 8081;
        b.in_loopback = true;
        ck_assert(fw_span_intersect(&a, &b, &x));
        ck_assert(x.in_loopback);
        ck_assert_int_eq(x.proto, IPPROTO_TCP);
        ck_assert_uint_eq(x.dport_min, 8081);
        b.proto = IPPROTO_UDP;
        ck_assert(!fw_span_intersect(&a, &b, &x));
        b = fw_span_any(AF_INET);
        b.dport_min = 1;
        b.dport_max = 1024;
        ck_assert(!fw_span_intersect(&a, &b, &x));
        b = fw_span_any(AF_INET);
        b.has_source = true;
        ck_assert_int_eq(cidr_parse("192.0.2.0/24", &b.source, &(const char *){ NULL }), 0);
        a.has_source = true;
        ck_assert_int_eq(cidr_parse("192.0.2.64/26", &a.source, &(const char *){ NULL }), 0);
        ck_assert(fw_span_intersect(&a, &b, &x));
        ck_assert_uint_eq(x.source.prefixlen, 26);
        ck_assert(fw_span_intersect(&b, &a, &x));
        ck_assert_uint_eq(x.source.prefixlen, 26);
        ck_assert_int_eq(cidr_parse("198.51.100.0/24", &a.source, &(const char *){ NULL }), 0);
        ck_assert(!fw_span_intersect(&a, &b, &x));
        a = fw_span_any(AF_INET);
        b = fw_span_any(AF_INET);
        a.ct_state = FW_CT_NEW;
        b.ct_state = FW_CT_ESTABLISHED | FW_CT_RELATED;
        ck_assert(!fw_span_intersect(&a, &b, &x));
}
END_TEST

/* sshd -T's answer: one listenaddress per address and port (joined by SshdDump), else port lines. */
START_TEST(test_sshd_dump) {
        _cleanup_(fw_sshd_done) FwSshd s = {};

        ck_assert_int_eq(fw_sshd_add_dump(&s, "0.0.0.0:22 [::]:22 0.0.0.0:2222 127.0.0.1:2200 [::1]:2201", "22 2222",
                                          "sshd -T"),
                         0);
        ck_assert_uint_eq(s.n, 3); /* loopback is let in always */
        ck_assert_uint_eq(s.items[0].port, 22);
        ck_assert_int_eq(s.items[0].family, AF_INET);
        ck_assert_int_eq(s.items[1].family, AF_INET6);
        ck_assert_str_eq(s.items[1].address, "[::]:22");
        ck_assert_uint_eq(s.items[2].port, 2222);
        ck_assert(fw_sshd_port_in_family(&s.items[2], AF_INET));
        ck_assert(!fw_sshd_port_in_family(&s.items[2], AF_INET6)); /* ListenAddress 0.0.0.0 only */
        ck_assert_str_eq(s.items[2].source, "sshd -T");
        fw_sshd_done(&s);

        ck_assert_int_eq(fw_sshd_add_dump(&s, NULL, "22 2222", "sshd -T"), 0);
        ck_assert_uint_eq(s.n, 2);
        ck_assert_int_eq(s.items[1].family, AF_UNSPEC);
        ck_assert(fw_sshd_port_in_family(&s.items[1], AF_INET6));
        ck_assert_str_eq(s.items[1].address, "port 2222");
        fw_sshd_done(&s);

        ck_assert_int_eq(fw_sshd_add_dump(&s, "[2001:db8::1]:2222", NULL, "sshd -T"), 0);
        ck_assert_int_eq(s.items[0].family, AF_INET6);
        ck_assert_int_eq(fw_sshd_add_dump(&s, "example.org:22", NULL, "sshd -T"), -EINVAL);
        ck_assert_int_eq(fw_sshd_add_dump(&s, "0.0.0.0:0", NULL, "sshd -T"), -EINVAL);
        ck_assert_int_eq(fw_sshd_add_dump(&s, NULL, "22x", "sshd -T"), -EINVAL);
}
END_TEST

/* The bridges that containers and VMs forward through, by the names their managers give them. */
START_TEST(test_guest_bridges) {
        static const struct {
                const char *name;
                bool bridge;
        } t[] = {
                { "docker0", true }, { "br-1f2e3d4c5b6a", true }, { "podman0", true },
                { "cni0", true },    { "virbr0", true },          { "lxdbr0", true },
                { "eth0", false },   { "docker1", false },        { "br0", false },
                { "lo", false },     { "vethab12", false },       { "bridge0", false },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++)
                ck_assert_msg(netif_is_guest_bridge(t[i].name) == t[i].bridge, "%s", t[i].name);
}
END_TEST

int main(void) {
        Suite *s = suite_create("firewall");
        TCase *tc = tcase_create("core");

        tcase_add_loop_test(tc, test_ruleset, 0, ELEMENTSOF(ruleset_cases));
        tcase_add_test(tc, test_bad_family);
        tcase_add_loop_test(tc, test_entries_round_trip, 0, ELEMENTSOF(ruleset_cases));
        tcase_add_loop_test(tc, test_entry_equal, 0, 2);
        tcase_add_test(tc, test_entry_layout);
        tcase_add_test(tc, test_ssh_connection);
        tcase_add_test(tc, test_admits);
        tcase_add_test(tc, test_foreign_covered);
        tcase_add_test(tc, test_span_intersect);
        tcase_add_test(tc, test_sshd_dump);
        tcase_add_test(tc, test_guest_bridges);
        suite_add_tcase(s, tc);
        return test_run_suite(s);
}
