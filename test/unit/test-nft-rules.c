/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The nftables backend's pure part: the rulesets of a policy as the table text nft loads and
 * prints. No root, no kernel. */
#include <check.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "test-main.h"

#include "firewall-nft-rules.h"
#include "strv.h"

/* The table of a policy text, both families or IPv4 alone as firewall.ipv6 says; ssh.port 22. */
static char *table_of(const char *conf) {
        Policy *p = test_policy_load(conf);
        FwRuleset sets[2] = {};
        size_t n = p->firewall.ipv6 ? 2 : 1;
        uint16_t port = p->ssh.port;
        FwNftTable t = {};
        char *text = NULL;

        for (size_t i = 0; i < n; i++)
                ck_assert_int_eq(fw_ruleset_build(&p->firewall, &port, 1, i == 0 ? AF_INET : AF_INET6, &sets[i]), 0);
        ck_assert_int_eq(fw_nft_table_build(sets, n, &t), 0);
        ck_assert_int_eq(fw_nft_table_text(&t, &text), 0);
        fw_nft_table_done(&t);
        for (size_t i = 0; i < n; i++)
                fw_ruleset_done(&sets[i]);
        policy_free(p);
        return text;
}

#define SET(name, type, t)                                                                                    \
        "\tset " name " {\n\t\ttype " type "\n\t\tsize 65535\n\t\tflags dynamic,timeout\n\t\ttimeout " t "\n" \
        "\t}\n"
#define INPUT_HEAD                                                                    \
        "\tchain input {\n\t\ttype filter hook input priority filter; policy drop;\n" \
        "\t\tiifname \"lo\" accept\n"                                                 \
        "\t\tct state established,related accept\n"                                   \
        "\t\tct state invalid drop\n"
#define ICMP4                                            \
        "\t\ticmp type echo-request accept\n"            \
        "\t\ticmp type destination-unreachable accept\n" \
        "\t\ticmp type time-exceeded accept\n"
#define ICMP6_ND                                       \
        "\t\ticmpv6 type nd-router-solicit accept\n"   \
        "\t\ticmpv6 type nd-router-advert accept\n"    \
        "\t\ticmpv6 type nd-neighbor-solicit accept\n" \
        "\t\ticmpv6 type nd-neighbor-advert accept\n"
#define ICMP6                                              \
        "\t\ticmpv6 type destination-unreachable accept\n" \
        "\t\ticmpv6 type packet-too-big accept\n"          \
        "\t\ticmpv6 type time-exceeded accept\n"           \
        "\t\ticmpv6 type parameter-problem accept\n"       \
        "\t\ticmpv6 type echo-request accept\n" ICMP6_ND
#define FORWARD "\tchain forward {\n\t\ttype filter hook forward priority filter; policy drop;\n\t}\n"

static const struct {
        const char *name;
        const char *conf;
        const char *want;
} cases[] = {
        { "default policy", "version = 1;",
          "table inet hardend {\n" SET("ssh4", "ipv4_addr", "60s") SET("ssh6", "ipv6_addr", "60s") INPUT_HEAD ICMP4
          "\t\ttcp dport 22 ct state new update @ssh4 { ip saddr limit rate over 6/minute burst 6 packets } "
          "drop\n" ICMP6
          "\t\ttcp dport 22 ct state new update @ssh6 { ip6 saddr limit rate over 6/minute burst 6 packets } drop\n"
          "\t\ttcp dport 22 accept\n"
          "\t\ttcp dport 80 accept\n"
          "\t\ttcp dport 443 accept\n"
          "\t}\n}\n" },
        { "sources of both families, udp, no icmp, forward kept",
          "version = 1;\nfirewall = { allow_icmp = false; forward_policy = \"accept\";\n"
          "  allow = ( { port = 22; sources = [ \"192.0.2.0/24\", \"2001:db8::/32\", \"198.51.100.7/32\" ]; },\n"
          "            { port = 53; proto = \"udp\"; } );\n"
          "  ssh_rate_limit = { enable = false; }; };",
          "table inet hardend {\n" INPUT_HEAD "\t\tip saddr 192.0.2.0/24 tcp dport 22 accept\n"
          "\t\tip saddr 198.51.100.7 tcp dport 22 accept\n" ICMP6_ND
          "\t\tip6 saddr 2001:db8::/32 tcp dport 22 accept\n"
          "\t\tudp dport 53 accept\n"
          "\t}\n}\n" },
        { "rate limit of 3 in 60 s, ipv4 sources only",
          "version = 1;\nfirewall = { forward_policy = \"drop\"; allow_icmp = false;\n"
          "  allow = ( { port = 22; sources = [ \"192.0.2.0/24\" ]; }, { port = 80; } );\n"
          "  ssh_rate_limit = { enable = true; hits = 3; seconds = 60; }; };",
          "table inet hardend {\n" SET("ssh4", "ipv4_addr", "60s") INPUT_HEAD
          "\t\ttcp dport 22 ct state new update @ssh4 { ip saddr limit rate over 3/minute burst 3 packets } drop\n"
          "\t\tip saddr 192.0.2.0/24 tcp dport 22 accept\n" ICMP6_ND "\t\ttcp dport 80 accept\n"
          "\t}\n" FORWARD "}\n" },
        { "rate limit of 5 (nft's default burst) in 90 s",
          "version = 1;\nfirewall = { forward_policy = \"drop\"; allow_icmp = false; allow = ( { port = 22; } );\n"
          "  ssh_rate_limit = { enable = true; hits = 5; seconds = 90; }; };",
          "table inet hardend {\n" SET("ssh4", "ipv4_addr", "90s") SET("ssh6", "ipv6_addr", "90s") INPUT_HEAD
          "\t\ttcp dport 22 ct state new update @ssh4 { ip saddr limit rate over 200/hour } drop\n" ICMP6_ND
          "\t\ttcp dport 22 ct state new update @ssh6 { ip6 saddr limit rate over 200/hour } drop\n"
          "\t\ttcp dport 22 accept\n"
          "\t}\n" FORWARD "}\n" },
        { "reject tail",
          "version = 1;\nfirewall = { forward_policy = \"drop\"; reject_tail = true; allow_icmp = false;\n"
          "  allow = ( { port = 22; }, { port = 80; } ); ssh_rate_limit = { enable = false; }; };",
          "table inet hardend {\n" INPUT_HEAD ICMP6_ND "\t\ttcp dport 22 accept\n"
          "\t\ttcp dport 80 accept\n"
          "\t\tmeta l4proto tcp reject with tcp reset\n"
          "\t\treject\n"
          "\t}\n" FORWARD "}\n" },
        { "ipv6 off: an ip table",
          "version = 1;\nfirewall = { forward_policy = \"drop\"; ipv6 = false; reject_tail = true;\n"
          "  allow = ( { port = 22; sources = [ \"192.0.2.0/24\" ]; }, { port = 80; } );\n"
          "  ssh_rate_limit = { enable = true; hits = 3; seconds = 60; }; };",
          "table ip hardend {\n" SET("ssh4", "ipv4_addr", "60s") INPUT_HEAD ICMP4
          "\t\ttcp dport 22 ct state new update @ssh4 { ip saddr limit rate over 3/minute burst 3 packets } drop\n"
          "\t\tip saddr 192.0.2.0/24 tcp dport 22 accept\n"
          "\t\ttcp dport 80 accept\n"
          "\t\treject with tcp reset\n"
          "\t\treject\n"
          "\t}\n" FORWARD "}\n" },
};

START_TEST(test_table) {
        _cleanup_free_ char *text = table_of(cases[_i].conf);

        ck_assert_msg(streq(text, cases[_i].want), "%s:\n--- want\n%s--- got\n%s", cases[_i].name, cases[_i].want,
                      text);
}
END_TEST

START_TEST(test_rate) {
        static const struct {
                unsigned hits, seconds;
                unsigned long long rate;
                const char *unit;
        } r[] = {
                { 3, 60, 3, "minute" },   { 6, 60, 6, "minute" }, { 3, 1, 3, "second" },     { 5, 90, 200, "hour" },
                { 3, 7, 259200, "week" }, { 1, 86400, 1, "day" }, { 2, 11, 109964, "week" }, /* 2 * 604800 / 11 =
                                                                                                109963.6: rounded up */
        };
        unsigned long long rate;
        const char *unit;

        for (size_t i = 0; i < ELEMENTSOF(r); i++) {
                ck_assert_int_eq(fw_nft_rate(r[i].hits, r[i].seconds, &rate, &unit), 0);
                ck_assert_uint_eq(rate, r[i].rate);
                ck_assert_str_eq(unit, r[i].unit);
        }
        ck_assert_int_eq(fw_nft_rate(0, 60, &rate, &unit), -EINVAL);
        ck_assert_int_eq(fw_nft_rate(3, 0, &rate, &unit), -EINVAL);
}
END_TEST

/* A rule that only one family has but that matches both by itself gets "meta nfproto". */
START_TEST(test_qualify) {
        FwRule r = fw_rule_any(AF_INET6);
        _cleanup_free_ char *plain = NULL, *qualified = NULL, *src = NULL;

        r.proto = IPPROTO_UDP;
        r.dport = 53;
        r.target = FW_TARGET_ACCEPT;
        ck_assert_int_eq(fw_nft_rule_text(&r, "inet", false, &plain), 0);
        ck_assert_str_eq(plain, "udp dport 53 accept");
        ck_assert_int_eq(fw_nft_rule_text(&r, "inet", true, &qualified), 0);
        ck_assert_str_eq(qualified, "meta nfproto ipv6 udp dport 53 accept");
        r.has_source = true;
        r.source = (Cidr){ .family = AF_INET6, .prefixlen = 48 };
        ck_assert_int_eq(inet_pton(AF_INET6, "2001:db8:1:2::", &r.source.addr.in6), 1);
        ck_assert_int_eq(fw_nft_rule_text(&r, "inet", true, &src), 0);
        ck_assert_str_eq(src, "ip6 saddr 2001:db8:1::/48 udp dport 53 accept");
        ck_assert_int_eq(fw_nft_rule_text(&r, "ip", false, &plain), -EAFNOSUPPORT);
        r.recent = FW_RECENT_SET;
        free(plain);
        plain = (char *) 1;
        ck_assert_int_eq(fw_nft_rule_text(&r, "inet", false, &plain), 0);
        ck_assert_ptr_null(plain);
}
END_TEST

/* IPv4 has a rule IPv6 lacks (and the other way round) between shared ones: each stays in its
 * family's order, the shared ones once. */
START_TEST(test_merge) {
        FwRule a[3], b[3];
        FwRuleset s[2] = { { .family = AF_INET, .rules = a, .n_rules = 3, .input_drop = true },
                           { .family = AF_INET6, .rules = b, .n_rules = 3, .input_drop = true } };
        FwNftTable t = {};
        _cleanup_free_ char *joined = NULL;

        for (size_t i = 0; i < 3; i++) {
                a[i] = fw_rule_any(AF_INET);
                b[i] = fw_rule_any(AF_INET6);
                a[i].proto = b[i].proto = IPPROTO_TCP;
                a[i].target = b[i].target = FW_TARGET_ACCEPT;
        }
        a[0].dport = b[0].dport = 22;
        a[1].dport = 25;
        b[1].dport = 26;
        a[2].dport = 80;
        b[2].dport = 80;
        ck_assert_int_eq(fw_nft_table_build(s, 2, &t), 0);
        ck_assert_int_eq(strv_join(t.chains[0].rules, "|", &joined), 0);
        ck_assert_str_eq(joined, "tcp dport 22 accept|meta nfproto ipv4 tcp dport 25 accept|"
                                 "meta nfproto ipv6 tcp dport 26 accept|tcp dport 80 accept");
        ck_assert_uint_eq(t.n_chains, 1);
        ck_assert_uint_eq(fw_nft_table_n_rules(&t), 4);
        fw_nft_table_done(&t);
        ck_assert_int_eq(fw_nft_table_build(s, 0, &t), -EINVAL);
        ck_assert_int_eq(fw_nft_table_build(&s[1], 1, &t), -EINVAL);
}
END_TEST

TEST_MAIN("nft-rules", tcase_add_loop_test(tc, test_table, 0, ELEMENTSOF(cases)); tcase_add_test(tc, test_rate);
          tcase_add_test(tc, test_qualify); tcase_add_test(tc, test_merge))
