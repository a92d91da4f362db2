/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "firewall-nft-rules.h"
#include "strbuf.h"
#include "macro.h"
#include "strv.h"

static const struct {
        int family;
        int type;
        const char *name;
} icmp_names[] = {
        { AF_INET, 0, "echo-reply" },
        { AF_INET, 3, "destination-unreachable" },
        { AF_INET, 4, "source-quench" },
        { AF_INET, 5, "redirect" },
        { AF_INET, 8, "echo-request" },
        { AF_INET, 9, "router-advertisement" },
        { AF_INET, 10, "router-solicitation" },
        { AF_INET, 11, "time-exceeded" },
        { AF_INET, 12, "parameter-problem" },
        { AF_INET6, 1, "destination-unreachable" },
        { AF_INET6, 2, "packet-too-big" },
        { AF_INET6, 3, "time-exceeded" },
        { AF_INET6, 4, "parameter-problem" },
        { AF_INET6, 128, "echo-request" },
        { AF_INET6, 129, "echo-reply" },
        { AF_INET6, 133, "nd-router-solicit" },
        { AF_INET6, 134, "nd-router-advert" },
        { AF_INET6, 135, "nd-neighbor-solicit" },
        { AF_INET6, 136, "nd-neighbor-advert" },
        { AF_INET6, 137, "nd-redirect" },
};

static const char *set_name(int family) {
        return family == AF_INET ? "ssh4" : "ssh6";
}

static const char *saddr(int family) {
        return family == AF_INET ? "ip saddr" : "ip6 saddr";
}

/* A rule that only one family can match by what it matches. */
static bool family_own(const FwRule *r) {
        return r->has_source || r->proto == IPPROTO_ICMP || r->proto == IPPROTO_ICMPV6 || r->recent != FW_RECENT_NONE;
}

int fw_nft_rate(unsigned hits, unsigned seconds, unsigned long long *ret_rate, const char **ret_unit) {
        static const struct {
                unsigned long long seconds;
                const char *name;
        } units[] = { { 1, "second" }, { 60, "minute" }, { 3600, "hour" }, { 86400, "day" }, { 604800, "week" } };

        if (hits == 0 || seconds == 0)
                return -EINVAL;
        /* the smallest unit in which the rate is whole; else a week's, rounded up */
        for (size_t i = 0; i < ELEMENTSOF(units); i++)
                if ((hits * units[i].seconds) % seconds == 0) {
                        *ret_rate = hits * units[i].seconds / seconds;
                        *ret_unit = units[i].name;
                        return 0;
                }
        *ret_rate = (hits * 604800ull + seconds - 1) / seconds;
        *ret_unit = "week";
        return 0;
}

static int put_source(StrBuf *f, const FwRule *r) {
        char buf[INET6_ADDRSTRLEN];
        Cidr c = r->source;
        unsigned max = r->family == AF_INET ? 32 : 128;

        if (c.prefixlen > max)
                return -EINVAL;
        if (r->family == AF_INET)
                c.addr.in.s_addr &= c.prefixlen == 0 ? 0 : htonl(~0u << (32 - c.prefixlen));
        else
                for (unsigned i = 0; i < 16; i++) {
                        unsigned keep = c.prefixlen > i * 8 ? c.prefixlen - i * 8 : 0;

                        c.addr.in6.s6_addr[i] &= keep >= 8 ? 0xff : (uint8_t) (0xff << (8 - keep));
                }
        if (!inet_ntop(r->family, &c.addr, buf, sizeof(buf)))
                return -errno;
        strbuf_printf(f, "%s %s", saddr(r->family), buf);
        if (c.prefixlen != max)
                strbuf_printf(f, "/%u", c.prefixlen);
        strbuf_putc(f, ' ');
        return 0;
}

static void put_proto(StrBuf *f, const FwRule *r, bool inet) {
        const char *p = r->proto == IPPROTO_TCP ? "tcp" : r->proto == IPPROTO_UDP ? "udp" : NULL;

        if (r->proto == 0)
                return;
        if (r->icmp_type >= 0 && (r->proto == IPPROTO_ICMP || r->proto == IPPROTO_ICMPV6)) {
                const char *name = NULL;

                for (size_t i = 0; i < ELEMENTSOF(icmp_names); i++)
                        if (icmp_names[i].family == r->family && icmp_names[i].type == r->icmp_type)
                                name = icmp_names[i].name;
                strbuf_printf(f, "%s type ", r->proto == IPPROTO_ICMP ? "icmp" : "icmpv6");
                if (name)
                        strbuf_printf(f, "%s ", name);
                else
                        strbuf_printf(f, "%d ", r->icmp_type);
                return;
        }
        if (p && r->dport != 0) {
                strbuf_printf(f, "%s dport %u ", p, r->dport);
                return;
        }
        /* nft hides the protocol match that "reject with tcp reset" needs in an ip table */
        if (!inet && r->target == FW_TARGET_REJECT && r->reject_with == FW_REJECT_TCP_RESET)
                return;
        if (!p)
                p = r->proto == IPPROTO_ICMP ? "icmp" : r->proto == IPPROTO_ICMPV6 ? "ipv6-icmp" : NULL;
        if (p)
                strbuf_printf(f, "%s %s ", inet ? "meta l4proto" : "ip protocol", p);
        else
                strbuf_printf(f, "%s %d ", inet ? "meta l4proto" : "ip protocol", r->proto);
}

static void put_ct(StrBuf *f, unsigned ct) {
        static const struct {
                unsigned bit;
                const char *name;
        } states[] = { { FW_CT_INVALID, "invalid" },
                       { FW_CT_ESTABLISHED, "established" },
                       { FW_CT_RELATED, "related" },
                       { FW_CT_NEW, "new" } };
        bool first = true;

        if (ct == 0)
                return;
        strbuf_puts(f, "ct state ");
        for (size_t i = 0; i < ELEMENTSOF(states); i++)
                if (ct & states[i].bit) {
                        strbuf_printf(f, "%s%s", first ? "" : ",", states[i].name);
                        first = false;
                }
        strbuf_putc(f, ' ');
}

static int put_verdict(StrBuf *f, const FwRule *r) {
        switch (r->target) {
        case FW_TARGET_ACCEPT:
                strbuf_puts(f, "accept");
                return 0;
        case FW_TARGET_DROP:
                strbuf_puts(f, "drop");
                return 0;
        case FW_TARGET_REJECT:
                /* without "with": icmpx port-unreachable in inet, icmp port-unreachable in ip */
                strbuf_puts(f, r->reject_with == FW_REJECT_TCP_RESET ? "reject with tcp reset" : "reject");
                return 0;
        default:
                return -EINVAL;
        }
}

int fw_nft_rule_text(const FwRule *r, const char *table_family, bool qualify, char **ret) {
        _cleanup_(strbuf_done) StrBuf b = {};
        StrBuf *f = &b;
        bool inet = streq(table_family, "inet");
        int k;

        if (r->family != AF_INET && r->family != AF_INET6)
                return -EAFNOSUPPORT;
        if (!inet && r->family != AF_INET)
                return -EAFNOSUPPORT;
        if (r->recent == FW_RECENT_SET) {
                *ret = NULL;
                return 0;
        }
        if (inet && qualify && !family_own(r))
                strbuf_printf(f, "meta nfproto %s ", r->family == AF_INET ? "ipv4" : "ipv6");
        if (r->in_loopback)
                strbuf_puts(f, "iifname \"lo\" ");
        if (r->has_source && (k = put_source(f, r)) < 0)
                return k;
        put_proto(f, r, inet);
        put_ct(f, r->ct_state);
        if (r->recent == FW_RECENT_UPDATE) {
                unsigned long long rate;
                const char *unit;

                k = fw_nft_rate(r->recent_hits, r->recent_seconds, &rate, &unit);
                if (k < 0)
                        return k;
                /* nft leaves out the default burst of 5 packets */
                strbuf_printf(f, "update @%s { %s limit rate over %llu/%s", set_name(r->family), saddr(r->family),
                              rate, unit);
                if (r->recent_hits != 5)
                        strbuf_printf(f, " burst %u packets", r->recent_hits);
                strbuf_puts(f, " } ");
        }
        if ((k = put_verdict(f, r)) < 0)
                return k;
        return strbuf_steal(f, ret);
}

void fw_nft_table_done(FwNftTable *t) {
        for (size_t i = 0; i < t->n_chains; i++)
                strv_free(t->chains[i].rules);
        *t = (FwNftTable){};
}

size_t fw_nft_table_n_rules(const FwNftTable *t) {
        size_t n = 0;

        for (size_t i = 0; i < t->n_chains; i++)
                n += strv_length(t->chains[i].rules);
        return n;
}

const FwNftChain *fw_nft_table_chain(const FwNftTable *t, const char *name) {
        for (size_t i = 0; i < t->n_chains; i++)
                if (streq(t->chains[i].name, name))
                        return &t->chains[i];
        return NULL;
}

/* Each family's rules in nft's text; texts[i] NULL where a rule has none. */
typedef struct FamilyRules {
        const FwRuleset *set;
        char **plain;     /* unqualified */
        char **qualified; /* with "meta nfproto" where the rule matches both families */
} FamilyRules;

static void family_rules_done(FamilyRules *f) {
        for (size_t i = 0; f->set && i < f->set->n_rules; i++) {
                free(f->plain ? f->plain[i] : NULL);
                free(f->qualified ? f->qualified[i] : NULL);
        }
        free(f->plain);
        free(f->qualified);
        *f = (FamilyRules){};
}

static int family_rules_build(const FwRuleset *set, const char *table_family, FamilyRules *ret) {
        _cleanup_(family_rules_done) FamilyRules f = { .set = set };
        int k;

        f.plain = calloc(set->n_rules ?: 1, sizeof(char *));
        f.qualified = calloc(set->n_rules ?: 1, sizeof(char *));
        if (!f.plain || !f.qualified)
                return -ENOMEM;
        for (size_t i = 0; i < set->n_rules; i++) {
                if (set->rules[i].family != set->family)
                        return -EINVAL;
                if ((k = fw_nft_rule_text(&set->rules[i], table_family, false, &f.plain[i])) < 0)
                        return k;
                /* qualified is plain behind "meta nfproto", where fw_nft_rule_text() puts it */
                if (!f.plain[i] || !streq(table_family, "inet") || family_own(&set->rules[i]))
                        f.qualified[i] = f.plain[i] ? strdup(f.plain[i]) : NULL;
                else if (asprintf(&f.qualified[i], "meta nfproto %s %s", set->family == AF_INET ? "ipv4" : "ipv6",
                                  f.plain[i]) < 0)
                        f.qualified[i] = NULL;
                if (f.plain[i] && !f.qualified[i])
                        return -ENOMEM;
        }
        *ret = f;
        f = (FamilyRules){};
        return 0;
}

/* Whether rule i of a is one that b has at or after j, the same in both families. */
static bool common_later(const FamilyRules *a, size_t i, const FamilyRules *b, size_t j) {
        if (family_own(&a->set->rules[i]))
                return false;
        for (; j < b->set->n_rules; j++)
                if (b->plain[j] && !family_own(&b->set->rules[j]) && streq(a->plain[i], b->plain[j]))
                        return true;
        return false;
}

/* Both families' rules in one inet chain: a rule the same for both once, where it stands in both
 * orders; the rest qualified, IPv4's before IPv6's between two shared rules. A rule of one family
 * never matches a packet of the other, so each family meets its rules in its own order. */
/* Appends a copy of s to rules, sized by the caller for every rule (NULL-terminated throughout). */
static int push(char **rules, size_t *n, const char *s) {
        rules[*n] = strdup(s);
        if (!rules[*n])
                return -ENOMEM;
        (*n)++;
        return 0;
}

static int merge(const FamilyRules *v4, const FamilyRules *v6, char **rules) {
        size_t i = 0, j = 0, n4 = v4->set->n_rules, n6 = v6->set->n_rules, n = 0;
        int k;

        while (i < n4 || j < n6) {
                if (i < n4 && !v4->plain[i]) {
                        i++;
                        continue;
                }
                if (j < n6 && !v6->plain[j]) {
                        j++;
                        continue;
                }
                if (i < n4 && j < n6 && !family_own(&v4->set->rules[i]) && !family_own(&v6->set->rules[j]) &&
                    streq(v4->plain[i], v6->plain[j])) {
                        if ((k = push(rules, &n, v4->plain[i])) < 0)
                                return k;
                        i++, j++;
                        continue;
                }
                /* IPv4's rule waits for IPv6 to reach it when IPv6 has it too; else it goes first */
                if (i < n4 && !(j < n6 && common_later(v4, i, v6, j))) {
                        if ((k = push(rules, &n, v4->qualified[i])) < 0)
                                return k;
                        i++;
                } else {
                        if ((k = push(rules, &n, v6->qualified[j])) < 0)
                                return k;
                        j++;
                }
        }
        return 0;
}

static int add_sets(FwNftTable *t, const FwRuleset *set) {
        for (size_t i = 0; i < set->n_rules; i++) {
                const FwRule *r = &set->rules[i];

                if (r->recent != FW_RECENT_UPDATE)
                        continue;
                for (size_t j = 0; j < t->n_sets; j++)
                        if (streq(t->sets[j].name, set_name(set->family))) {
                                if (t->sets[j].timeout != r->recent_seconds)
                                        return -EINVAL; /* one list per family, as xt_recent's */
                                return 0;
                        }
                t->sets[t->n_sets++] = (FwNftSet){
                        .name = set_name(set->family),
                        .type = set->family == AF_INET ? "ipv4_addr" : "ipv6_addr",
                        .timeout = r->recent_seconds,
                };
                return 0;
        }
        return 0;
}

int fw_nft_table_build(const FwRuleset *sets, size_t n_sets, FwNftTable *ret) {
        _cleanup_(fw_nft_table_done) FwNftTable t = {};
        _cleanup_(family_rules_done) FamilyRules v4 = {}, v6 = {};
        FwNftChain *input;
        int k;

        if (n_sets < 1 || n_sets > 2 || sets[0].family != AF_INET || (n_sets == 2 && sets[1].family != AF_INET6))
                return -EINVAL;
        t.family = n_sets == 2 ? "inet" : "ip";
        for (size_t i = 0; i < n_sets; i++)
                if ((k = add_sets(&t, &sets[i])) < 0)
                        return k;

        input = &t.chains[t.n_chains++];
        *input = (FwNftChain){ .name = "input", .hook = "input", .policy = sets[0].input_drop ? "drop" : "accept" };
        if ((k = family_rules_build(&sets[0], t.family, &v4)) < 0)
                return k;
        input->rules = calloc(sets[0].n_rules + (n_sets == 2 ? sets[1].n_rules : 0) + 1, sizeof(char *));
        if (!input->rules)
                return -ENOMEM;
        if (n_sets == 2) {
                if ((k = family_rules_build(&sets[1], t.family, &v6)) < 0)
                        return k;
                k = merge(&v4, &v6, input->rules);
        } else {
                size_t n = 0;

                for (size_t i = 0; i < sets[0].n_rules && k >= 0; i++)
                        if (v4.plain[i])
                                k = push(input->rules, &n, v4.plain[i]);
        }
        if (k < 0)
                return k;
        if (sets[0].forward == FORWARD_POLICY_DROP)
                t.chains[t.n_chains++] = (FwNftChain){ .name = "forward", .hook = "forward", .policy = "drop" };
        *ret = t;
        t = (FwNftTable){};
        return 0;
}

int fw_nft_table_text(const FwNftTable *t, char **ret) {
        _cleanup_free_ char *buf = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        size_t size = 0;

        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        fprintf(f, "table %s " FW_NFT_TABLE " {\n", t->family);
        for (size_t i = 0; i < t->n_sets; i++)
                fprintf(f,
                        "\tset %s {\n\t\ttype %s\n\t\tsize %u\n\t\tflags dynamic,timeout\n\t\ttimeout %us\n"
                        "\t}\n",
                        t->sets[i].name, t->sets[i].type, FW_NFT_SET_SIZE, t->sets[i].timeout);
        for (size_t i = 0; i < t->n_chains; i++) {
                const FwNftChain *c = &t->chains[i];

                fprintf(f, "\tchain %s {\n\t\ttype filter hook %s priority filter; policy %s;\n", c->name, c->hook,
                        c->policy);
                STRV_FOREACH (r, c->rules)
                        fprintf(f, "\t\t%s\n", *r);
                fputs("\t}\n", f);
        }
        fputs("}\n", f);
        if (fflush(f) != 0 || ferror(f))
                return -ENOMEM;
        (void) fclose(TAKE_PTR(f));
        *ret = TAKE_PTR(buf);
        return 0;
}
