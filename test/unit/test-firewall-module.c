/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The firewall module's probe and apply against the fake filter tables (fake-netfilter.h): what a
 * table is found to lack, what apply builds and in how many commits, that a second run changes
 * nothing, and that a failed commit leaves the table as it was. No root, no kernel, no sshd. */
#include <check.h>

#include "test-main.h"
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fake-netfilter.h"
#include "firewall-rules.h"
#include "firewall.h"
#include "strv.h"

#define ALLOW_2222 "version = 1; firewall = { allow = ( { port = 22; }, { port = 2222; } ); };"

static const int families[] = { AF_INET, AF_INET6 };

static Context test_context(const Policy *p, FakeFirewall *f) {
        return (Context){
                .policy = p,
                .root = "/",
                .live = true, /* the fake stands for the kernel; sshd is the fake's answer */
                .only = 1u << MODULE_FIREWALL,
                .firewall = &f->backend,
        };
}

/* The probe's drift and unknowns as "check subject" ("unknown:check subject"), joined with "|". */
static char *probe(Context *c) {
        _cleanup_(finding_list_done) FindingList l = {};
        _cleanup_strv_free_ char **w = NULL;
        char *j = NULL;

        ck_assert_int_eq(firewall_module.probe(c, &l), 0);
        for (size_t i = 0; i < l.n; i++) {
                const Finding *f = &l.items[i];

                if (f->kind == FINDING_INFO)
                        continue;
                ck_assert_int_eq(strv_extendf(&w, "%s%s %s", f->kind == FINDING_UNKNOWN ? "unknown:" : "", f->check,
                                              f->subject),
                                 0);
        }
        ck_assert_int_eq(strv_join(w, "|", &j), 0);
        return j;
}

/* Probe, then apply with the probe's findings (as engine_apply() does). */
static int apply(Context *c, Outcome *o) {
        _cleanup_(finding_list_done) FindingList l = {};

        ck_assert_int_eq(firewall_module.probe(c, &l), 0);
        return firewall_module.apply(c, &l, o);
}

/* The chain the policy wants for family, described as the fake describes its chains. */
static char *wanted_chain(const Policy *p, int family, const uint16_t *sshd_ports, size_t n) {
        _cleanup_(fw_ruleset_done) FwRuleset s = {};
        _cleanup_free_ uint16_t *ports = calloc(n + 1, sizeof(uint16_t));
        _cleanup_strv_free_ char **l = NULL;
        char *j = NULL;

        ck_assert_ptr_nonnull(ports);
        for (size_t i = 0; i < n; i++)
                ports[i] = sshd_ports[i];
        ports[n] = p->ssh.port;
        ck_assert_int_eq(fw_ruleset_build(&p->firewall, ports, n + 1, family, &s), 0);
        for (size_t i = 0; i < s.n_rules; i++) {
                char *d = NULL;

                ck_assert_int_eq(fw_rule_describe(&s.rules[i], &d), 0);
                ck_assert_int_eq(strv_consume(&l, d), 0);
        }
        ck_assert_int_eq(strv_join(l, "|", &j), 0);
        return j;
}

static size_t chain_rules(const FakeNf *nf, const char *chain) {
        const FakeChain *c = fake_table_chain(&nf->kernel, chain);

        ck_assert_ptr_nonnull(c);
        return c->n;
}

static const char *chain_label(const FakeNf *nf, const char *chain, size_t i) {
        const FakeChain *c = fake_table_chain(&nf->kernel, chain);

        ck_assert_ptr_nonnull(c);
        ck_assert_uint_lt(i, c->n);
        return c->labels[i];
}

static const char *chain_policy(const FakeNf *nf, const char *chain) {
        const FakeChain *c = fake_table_chain(&nf->kernel, chain);

        ck_assert_ptr_nonnull(c);
        return c->policy;
}

static FwRule tcp_rule(int family, uint16_t port, FwTarget target) {
        FwRule r = fw_rule_any(family);

        r.proto = IPPROTO_TCP;
        r.dport = port;
        r.target = target;
        return r;
}

/* ---- a fresh table ---- */

START_TEST(test_fresh_probe) {
        _cleanup_policy_free_ Policy *p = test_policy_load("version = 1;");
        _cleanup_(fake_firewall_done) FakeFirewall f = {};
        _cleanup_(context_done) Context c = {};
        _cleanup_free_ char *d = NULL;
        _cleanup_(fake_table_done) FakeTable t4 = {}, t6 = {};

        fake_firewall_init(&f);
        c = test_context(p, &f);
        ck_assert_int_eq(fake_nf_save(&f.nf[0], &t4), 0);
        ck_assert_int_eq(fake_nf_save(&f.nf[1], &t6), 0);
        d = probe(&c);
        ck_assert_str_eq(d, "chain-policy ipv4 INPUT|chain ipv4 " FW_CHAIN "|jump ipv4 INPUT|"
                            "chain-policy ipv6 INPUT|chain ipv6 " FW_CHAIN "|jump ipv6 INPUT");
        /* read only: no lock, no commit, the tables as they were, every handle freed */
        for (size_t i = 0; i < 2; i++) {
                ck_assert_uint_eq(f.nf[i].inits, 1);
                ck_assert_uint_eq(f.nf[i].open, 0);
                ck_assert_uint_eq(f.nf[i].commits, 0);
        }
        ck_assert_uint_eq(f.locks, 0);
        ck_assert(fake_nf_equal(&f.nf[0], &t4));
        ck_assert(fake_nf_equal(&f.nf[1], &t6));
}
END_TEST

static const struct {
        const char *name;
        const char *conf;
        bool ipv6;
        const char *forward_before; /* the FORWARD policy another program set; NULL: the kernel's ACCEPT */
        const char *forward;        /* the FORWARD policy after apply */
        uint16_t sshd_ports[2];
        size_t n_sshd_ports;
} apply_cases[] = {
        { "default", "version = 1;", true, NULL, "ACCEPT", {}, 0 },
        /* forward_policy "keep" (the default) leaves another program's FORWARD policy alone */
        { "forward kept", "version = 1;", true, "DROP", "DROP", {}, 0 },
        { "no ipv6",
          "version = 1; firewall = { ipv6 = false; forward_policy = \"drop\"; };",
          false,
          NULL,
          "DROP",
          {},
          0 },
        { "forward drop", "version = 1; firewall = { forward_policy = \"drop\"; };", true, NULL, "DROP", {}, 0 },
        { "forward accept",
          "version = 1; firewall = { forward_policy = \"accept\"; };",
          true,
          "DROP",
          "ACCEPT",
          {},
          0 },
        { "reject tail", "version = 1; firewall = { reject_tail = true; };", true, NULL, "ACCEPT", {}, 0 },
        /* sshd (the fake's answer) listens on 2222 too: rate limited like ssh.port */
        { "sshd on 2222", ALLOW_2222, true, NULL, "ACCEPT", { 2222 }, 1 },
};

/* apply builds the chain with the ruleset's rules in order, the jump and the policies, in one
 * commit per family; then the probe is compliant and a second apply changes nothing. */
START_TEST(test_apply_fresh) {
        _cleanup_policy_free_ Policy *p = test_policy_load(apply_cases[_i].conf);
        _cleanup_(fake_firewall_done) FakeFirewall f = {};
        _cleanup_(context_done) Context c = {};
        _cleanup_(outcome_done) Outcome o = {}, o2 = {};
        _cleanup_free_ char *d = NULL;
        size_t n_changes = 0;

        fake_firewall_init(&f);
        memcpy(f.sshd_ports, apply_cases[_i].sshd_ports, sizeof(apply_cases[_i].sshd_ports));
        f.n_sshd_ports = apply_cases[_i].n_sshd_ports;
        for (size_t i = 0; apply_cases[_i].forward_before && i < 2; i++)
                ck_assert_int_eq(fake_nf_set_policy(&f.nf[i], "FORWARD", apply_cases[_i].forward_before), 0);
        c = test_context(p, &f);

        ck_assert_int_eq(apply(&c, &o), 0);
        ck_assert_ptr_null(o.error);
        ck_assert_uint_eq(f.locks, 1);
        for (size_t i = 0; i < 2; i++) {
                const FakeNf *nf = &f.nf[i];
                bool on = i == 0 || apply_cases[_i].ipv6;
                _cleanup_free_ char *want = NULL, *have = NULL, *created = NULL;
                size_t n_rules;

                ck_assert_uint_eq(nf->open, 0);
                ck_assert_uint_eq(nf->commits, on ? 1 : 0);
                if (!on) {
                        ck_assert_uint_eq(nf->inits, 0);
                        ck_assert_ptr_null(fake_table_chain(&nf->kernel, FW_CHAIN));
                        continue;
                }
                want = wanted_chain(p, families[i], f.sshd_ports, f.n_sshd_ports);
                have = fake_nf_describe(nf, FW_CHAIN);
                ck_assert_ptr_nonnull(have);
                ck_assert_str_eq(have, want);
                if (f.n_sshd_ports > 0)
                        ck_assert_ptr_nonnull(strstr(have, "tcp dpt:2222 ctstate NEW recent: set"));
                ck_assert_uint_eq(chain_rules(nf, "INPUT"), 1);
                ck_assert_str_eq(chain_label(nf, "INPUT", 0), FW_CHAIN);
                ck_assert_str_eq(chain_policy(nf, "INPUT"), "DROP");
                ck_assert_str_eq(chain_policy(nf, "FORWARD"), apply_cases[_i].forward);
                ck_assert_str_eq(chain_policy(nf, "OUTPUT"), "ACCEPT");

                /* the changes, in order: chain, jump, policies */
                n_rules = chain_rules(nf, FW_CHAIN);
                ck_assert_int_ge(asprintf(&created, "%s: created " FW_CHAIN " with %zu rules", nf->ops.name, n_rules),
                                 0);
                ck_assert_uint_gt(strv_length(o.changes), n_changes);
                ck_assert_str_eq(o.changes[n_changes], created);
                n_changes += streq(apply_cases[_i].forward_before ?: "ACCEPT", apply_cases[_i].forward) ? 3 : 4;
        }
        ck_assert_uint_eq(strv_length(o.changes), n_changes);

        d = probe(&c);
        ck_assert_str_eq(d, "");
        ck_assert_int_eq(apply(&c, &o2), 0);
        ck_assert_ptr_null(o2.changes);
        ck_assert_uint_eq(f.nf[0].commits, 1);
        ck_assert_uint_eq(f.nf[1].commits, apply_cases[_i].ipv6 ? 1 : 0);
        ck_assert_uint_eq(f.nf[0].open + f.nf[1].open, 0);
}
END_TEST

/* ---- drift in a table apply built ---- */

/* The default policy's ipv4 chain: 0 in lo, 1 RELATED/ESTABLISHED, 2 INVALID, 3-5 icmp, 6-7 the
 * rate limit of tcp/22, 8 tcp/22, 9 tcp/80, 10 tcp/443 (ipv6 has more icmpv6 rules). */
#define V4_RULES 11

/* Where the rule described as desc is in chain. */
static size_t rule_index(const FakeNf *nf, const char *chain, const char *desc) {
        const FakeChain *c = fake_table_chain(&nf->kernel, chain);

        ck_assert_ptr_nonnull(c);
        for (size_t i = 0; i < c->n; i++) {
                _cleanup_free_ char *d = NULL;

                ck_assert_int_eq(nf_entry_describe(nf->real, c->entries[i], c->labels[i], &d), 0);
                if (streq(d, desc))
                        return i;
        }
        ck_abort_msg("%s: no rule %s", chain, desc);
}

static void edit_changed(FakeNf *nf) {
        FwRule r = tcp_rule(nf->ops.family, 8080, FW_TARGET_ACCEPT);
        size_t k = rule_index(nf, FW_CHAIN, "tcp dpt:80 ACCEPT");

        ck_assert_int_eq(fake_nf_delete(nf, FW_CHAIN, k), 0);
        ck_assert_int_eq(fake_nf_insert(nf, FW_CHAIN, &r, k), 0);
}

static void edit_extra(FakeNf *nf) {
        FwRule r = tcp_rule(nf->ops.family, 8080, FW_TARGET_ACCEPT);

        ck_assert_int_eq(fake_nf_append(nf, FW_CHAIN, &r), 0);
}

static void edit_missing(FakeNf *nf) {
        ck_assert_int_eq(fake_nf_delete(nf, FW_CHAIN, rule_index(nf, FW_CHAIN, "tcp dpt:80 ACCEPT")), 0);
}

/* tcp/80 after tcp/443 */
static void edit_order(FakeNf *nf) {
        FwRule r = tcp_rule(nf->ops.family, 80, FW_TARGET_ACCEPT);
        size_t k = rule_index(nf, FW_CHAIN, "tcp dpt:80 ACCEPT");

        ck_assert_int_eq(fake_nf_delete(nf, FW_CHAIN, k), 0);
        ck_assert_int_eq(fake_nf_insert(nf, FW_CHAIN, &r, k + 1), 0);
}

static void edit_flushed(FakeNf *nf) {
        while (chain_rules(nf, FW_CHAIN) > 0)
                ck_assert_int_eq(fake_nf_delete(nf, FW_CHAIN, 0), 0);
        for (size_t i = 0; i < 3; i++) {
                FwRule r = tcp_rule(nf->ops.family, (uint16_t) (8000 + i), FW_TARGET_ACCEPT);

                ck_assert_int_eq(fake_nf_append(nf, FW_CHAIN, &r), 0);
        }
}

static void edit_jump_missing(FakeNf *nf) {
        ck_assert_int_eq(fake_nf_delete(nf, "INPUT", 0), 0);
}

/* another program's DROP before the jump: the jump is not first (the DROP stays) */
static void edit_jump_second(FakeNf *nf) {
        FwRule r = tcp_rule(nf->ops.family, 8080, FW_TARGET_DROP);

        ck_assert_int_eq(fake_nf_insert(nf, "INPUT", &r, 0), 0);
}

static void edit_input_accept(FakeNf *nf) {
        ck_assert_int_eq(fake_nf_set_policy(nf, "INPUT", "ACCEPT"), 0);
}

static void edit_output_drop(FakeNf *nf) {
        ck_assert_int_eq(fake_nf_set_policy(nf, "OUTPUT", "DROP"), 0);
}

/* iptables -A INPUT -p tcp --dport 8080 -j ACCEPT: a port the policy drops */
static void edit_foreign_accept(FakeNf *nf) {
        FwRule r = tcp_rule(nf->ops.family, 8080, FW_TARGET_ACCEPT);

        ck_assert_int_eq(fake_nf_append(nf, "INPUT", &r), 0);
}

/* the same from one source, before the jump */
static void edit_foreign_first(FakeNf *nf) {
        FwRule r = tcp_rule(nf->ops.family, 8080, FW_TARGET_ACCEPT);

        r.has_source = true;
        ck_assert_int_eq(cidr_parse(nf->ops.family == AF_INET ? "198.51.100.7/32" : "2001:db8::7/128", &r.source,
                                    &(const char *){ NULL }),
                         0);
        ck_assert_int_eq(fake_nf_insert(nf, "INPUT", &r, 0), 0);
}

static const struct {
        const char *name;
        size_t family; /* index in f.nf[] */
        void (*edit)(FakeNf *nf);
        const char *drift;  /* the probe's findings */
        const char *input;  /* INPUT's labels after apply, joined with "|" */
        unsigned n_changes; /* apply's */
} drift_cases[] = {
        { "changed", 0, edit_changed, "rule-changed ipv4 " FW_CHAIN " rule 10", FW_CHAIN, 1 },
        { "extra", 0, edit_extra, "rule-extra ipv4 " FW_CHAIN " tcp dpt:8080 ACCEPT", FW_CHAIN, 1 },
        { "missing", 0, edit_missing, "rule-missing ipv4 " FW_CHAIN " tcp dpt:80 ACCEPT", FW_CHAIN, 1 },
        { "order", 0, edit_order, "rule-order ipv4 " FW_CHAIN, FW_CHAIN, 1 },
        { "changed v6", 1, edit_changed, "rule-changed ipv6 " FW_CHAIN " rule 16", FW_CHAIN, 1 },
        { "missing v6", 1, edit_missing, "rule-missing ipv6 " FW_CHAIN " tcp dpt:80 ACCEPT", FW_CHAIN, 1 },
        { "flushed, other rules", 0, edit_flushed,
          "rule-changed ipv4 " FW_CHAIN " rule 1|rule-changed ipv4 " FW_CHAIN " rule 2|rule-changed ipv4 " FW_CHAIN
          " rule 3|rule-missing ipv4 " FW_CHAIN " icmp type echo-request ACCEPT|rule-missing ipv4 " FW_CHAIN
          " icmp type destination-unreachable ACCEPT|rule-missing ipv4 " FW_CHAIN
          " icmp type time-exceeded ACCEPT|rule-missing ipv4 " FW_CHAIN
          " tcp dpt:22 ctstate NEW recent: update seconds:60 hit_count:6 DROP|rule-missing ipv4 " FW_CHAIN
          " tcp dpt:22 ctstate NEW recent: set|rule-missing ipv4 " FW_CHAIN
          " tcp dpt:22 ACCEPT|rule-missing ipv4 " FW_CHAIN " tcp dpt:80 ACCEPT|rule-missing ipv4 " FW_CHAIN
          " tcp dpt:443 ACCEPT",
          FW_CHAIN, 1 },
        { "jump missing", 0, edit_jump_missing, "jump ipv4 INPUT", FW_CHAIN, 1 },
        { "jump second", 1, edit_jump_second, "jump ipv6 INPUT", FW_CHAIN "|DROP", 1 },
        { "INPUT policy", 0, edit_input_accept, "chain-policy ipv4 INPUT", FW_CHAIN, 1 },
        { "OUTPUT policy", 1, edit_output_drop, "chain-policy ipv6 OUTPUT", FW_CHAIN, 1 },
        { "foreign ACCEPT", 0, edit_foreign_accept, "foreign-accept ipv4 INPUT rule 2: tcp dpt:8080 ACCEPT", FW_CHAIN,
          1 },
        { "foreign ACCEPT v6", 1, edit_foreign_accept, "foreign-accept ipv6 INPUT rule 2: tcp dpt:8080 ACCEPT",
          FW_CHAIN, 1 },
        /* before the jump: the jump is moved up, then the ACCEPT (rule 1 as the probe saw it) goes */
        { "foreign ACCEPT first", 0, edit_foreign_first,
          "jump ipv4 INPUT|foreign-accept ipv4 INPUT rule 1: src 198.51.100.7/32 tcp dpt:8080 ACCEPT", FW_CHAIN, 2 },
};

/* INPUT's labels, joined with "|" ("(none)" for a rule without a target) */
static char *input_labels(const FakeNf *nf) {
        const FakeChain *ch = fake_table_chain(&nf->kernel, "INPUT");
        _cleanup_strv_free_ char **l = NULL;
        char *j = NULL;

        ck_assert_ptr_nonnull(ch);
        for (size_t i = 0; i < ch->n; i++)
                ck_assert_int_eq(strv_extend(&l, ch->labels[i][0] ? ch->labels[i] : "(none)"), 0);
        ck_assert_int_eq(strv_join(l, "|", &j), 0);
        return j;
}

START_TEST(test_drift) {
        _cleanup_policy_free_ Policy *p = test_policy_load("version = 1;");
        _cleanup_(fake_firewall_done) FakeFirewall f = {};
        _cleanup_(context_done) Context c = {};
        _cleanup_(outcome_done) Outcome o = {}, o2 = {};
        _cleanup_free_ char *d = NULL, *d2 = NULL, *want = NULL, *have = NULL, *input = NULL;
        size_t fam = drift_cases[_i].family;
        FakeNf *nf = &f.nf[fam];

        fake_firewall_init(&f);
        c = test_context(p, &f);
        ck_assert_int_eq(apply(&c, &o), 0);
        outcome_done(&o);
        ck_assert_uint_eq(chain_rules(&f.nf[0], FW_CHAIN), V4_RULES);
        for (size_t i = 0; i < 2; i++)
                f.nf[i].commits = 0;

        drift_cases[_i].edit(nf);
        d = probe(&c);
        ck_assert_str_eq(d, drift_cases[_i].drift);

        ck_assert_int_eq(apply(&c, &o), 0);
        ck_assert_ptr_null(o.error);
        ck_assert_uint_eq(strv_length(o.changes), drift_cases[_i].n_changes);
        ck_assert_uint_eq(nf->commits, 1);
        ck_assert_uint_eq(f.nf[1 - fam].commits, 0);
        want = wanted_chain(p, families[fam], NULL, 0);
        have = fake_nf_describe(nf, FW_CHAIN);
        ck_assert_str_eq(have, want);
        input = input_labels(nf);
        ck_assert_str_eq(input, drift_cases[_i].input);

        d2 = probe(&c);
        ck_assert_str_eq(d2, "");
        ck_assert_int_eq(apply(&c, &o2), 0);
        ck_assert_ptr_null(o2.changes);
        ck_assert_uint_eq(nf->commits, 1);
        ck_assert_uint_eq(f.nf[0].open + f.nf[1].open, 0);
}
END_TEST

/* An ACCEPT in INPUT of what the policy accepts anyway changes nothing: reported and removed only
 * in repair mode. */
START_TEST(test_harmless_accept) {
        _cleanup_policy_free_ Policy *p = test_policy_load("version = 1;");
        _cleanup_(fake_firewall_done) FakeFirewall f = {};
        _cleanup_(context_done) Context c = {};
        _cleanup_(outcome_done) Outcome o = {};
        _cleanup_free_ char *d = NULL, *d2 = NULL;
        FwRule r = tcp_rule(AF_INET, 80, FW_TARGET_ACCEPT);
        bool repair = _i == 1;

        fake_firewall_init(&f);
        c = test_context(p, &f);
        ck_assert_int_eq(apply(&c, &o), 0);
        outcome_done(&o);
        ck_assert_int_eq(fake_nf_append(&f.nf[0], "INPUT", &r), 0);
        f.nf[0].commits = 0;

        c.repair = repair;
        d = probe(&c);
        ck_assert_str_eq(d, repair ? "foreign-accept ipv4 INPUT rule 2: tcp dpt:80 ACCEPT" : "");
        ck_assert_int_eq(apply(&c, &o), 0);
        ck_assert_uint_eq(f.nf[0].commits, repair ? 1 : 0);
        ck_assert_uint_eq(chain_rules(&f.nf[0], "INPUT"), repair ? 1 : 2);
        d2 = probe(&c);
        ck_assert_str_eq(d2, "");
}
END_TEST

/* ---- failures ---- */

/* A commit that fails: apply fails with the library's message, that family's table is as it was
 * (the other family's before it is committed). */
START_TEST(test_commit_fails) {
        _cleanup_policy_free_ Policy *p = test_policy_load("version = 1;");
        _cleanup_(fake_firewall_done) FakeFirewall f = {};
        _cleanup_(context_done) Context c = {};
        _cleanup_(outcome_done) Outcome o = {};
        _cleanup_(fake_table_done) FakeTable before = {};
        _cleanup_free_ char *want = NULL;
        size_t fam = (size_t) _i;
        FakeNf *nf = &f.nf[fam];

        fake_firewall_init(&f);
        c = test_context(p, &f);
        nf->commit_errno = EPERM;
        ck_assert_int_eq(fake_nf_save(nf, &before), 0);

        ck_assert_int_eq(apply(&c, &o), -EPERM);
        ck_assert_ptr_nonnull(o.error);
        ck_assert_int_ge(asprintf(&want, "%s_commit (%s): %s (nothing in the %s table was changed)", nf->ops.lib,
                                  nf->ops.name, strerror(EPERM), nf->ops.name),
                         0);
        ck_assert_str_eq(o.error, want);
        ck_assert(fake_nf_equal(nf, &before));
        ck_assert_uint_eq(nf->commits, 0);
        ck_assert_uint_eq(f.nf[0].open + f.nf[1].open, 0);
        /* ipv4 goes first: when ipv6 fails, ipv4 is in place; when ipv4 fails, ipv6 is not tried */
        ck_assert_uint_eq(f.nf[0].commits + f.nf[1].commits, fam == 1 ? 1 : 0);
        ck_assert_uint_eq(f.nf[1].inits, fam == 1 ? 2 : 1); /* the probe's, apply's */
        ck_assert_uint_eq(strv_length(o.changes), fam == 1 ? 3 : 0);

        /* the next probe sees the same drift in the family that failed */
        nf->commit_errno = 0;
        {
                _cleanup_free_ char *d = probe(&c);

                ck_assert_str_eq(d, fam == 0 ? "chain-policy ipv4 INPUT|chain ipv4 " FW_CHAIN
                                               "|jump ipv4 INPUT|chain-policy ipv6 INPUT|chain ipv6 " FW_CHAIN
                                               "|jump ipv6 INPUT"
                                             : "chain-policy ipv6 INPUT|chain ipv6 " FW_CHAIN "|jump ipv6 INPUT");
        }
}
END_TEST

static const struct {
        int err;
        const char *drift;
} init_cases[] = {
        /* no such table in the kernel: nothing of ours is in force */
        { ENOENT, "table ipv6 filter" },
        { EACCES, "unknown:table ipv6 filter" },
};

START_TEST(test_init_fails) {
        _cleanup_policy_free_ Policy *p = test_policy_load("version = 1;");
        _cleanup_(fake_firewall_done) FakeFirewall f = {};
        _cleanup_(context_done) Context c = {};
        _cleanup_(outcome_done) Outcome o = {};
        _cleanup_free_ char *d = NULL, *want = NULL;

        fake_firewall_init(&f);
        c = test_context(p, &f);
        ck_assert_int_eq(apply(&c, &o), 0);
        outcome_done(&o);

        f.nf[1].init_errno = init_cases[_i].err;
        d = probe(&c);
        ck_assert_str_eq(d, init_cases[_i].drift);
        ck_assert_int_eq(apply(&c, &o), -init_cases[_i].err);
        ck_assert_int_ge(asprintf(&want, "ip6tc_init (ipv6): %s (nothing in the ipv6 table was changed)",
                                  strerror(init_cases[_i].err)),
                         0);
        ck_assert_str_eq(o.error, want);
}
END_TEST

/* Another program holds the xtables lock: apply fails before it opens a table. */
START_TEST(test_lock_busy) {
        _cleanup_policy_free_ Policy *p = test_policy_load("version = 1;");
        _cleanup_(fake_firewall_done) FakeFirewall f = {};
        _cleanup_(context_done) Context c = {};
        _cleanup_(outcome_done) Outcome o = {};

        fake_firewall_init(&f);
        c = test_context(p, &f);
        f.lock_error = -EBUSY;
        ck_assert_int_eq(firewall_module.apply(&c, &(FindingList){}, &o), -EBUSY);
        ck_assert_ptr_nonnull(strstr(o.error, "is held by another program"));
        ck_assert_uint_eq(f.locks, 1);
        ck_assert_uint_eq(f.nf[0].inits + f.nf[1].inits, 0);
}
END_TEST

/* ---- sshd and the image tree ---- */

/* sshd (the fake's answer) listens on a port the policy drops: reported, and apply refused. */
START_TEST(test_sshd_port_blocked) {
        _cleanup_policy_free_ Policy *p = test_policy_load("version = 1;");
        _cleanup_(fake_firewall_done) FakeFirewall f = {};
        _cleanup_(context_done) Context c = {};
        _cleanup_(outcome_done) Outcome o = {};
        _cleanup_free_ char *d = NULL;

        fake_firewall_init(&f);
        f.sshd_ports[f.n_sshd_ports++] = 2222;
        c = test_context(p, &f);
        d = probe(&c);
        ck_assert_ptr_nonnull(strstr(d, "ssh-port ipv4 tcp/2222|ssh-port ipv6 tcp/2222|"));
        ck_assert_int_eq(firewall_module.preflight(&c, &(FindingList){}, &o), -EPERM);
        ck_assert_ptr_nonnull(strstr(o.error, "sshd listens on port 2222 (the fake sshd)"));
        ck_assert_uint_eq(f.nf[0].commits + f.nf[1].commits, 0);
}
END_TEST

/* --root: the kernel's tables are left to the image's first boot, the backend is not asked. */
START_TEST(test_not_live) {
        _cleanup_policy_free_ Policy *p = test_policy_load("version = 1;");
        _cleanup_(fake_firewall_done) FakeFirewall f = {};
        _cleanup_(context_done) Context c = {};
        _cleanup_(outcome_done) Outcome o = {};
        _cleanup_(finding_list_done) FindingList l = {};

        fake_firewall_init(&f);
        c = test_context(p, &f);
        c.live = false;
        c.root = "/tmp/image";
        ck_assert_int_eq(firewall_module.probe(&c, &l), 0);
        ck_assert_uint_eq(l.n, 1);
        ck_assert_str_eq(l.items[0].check, "live");
        ck_assert_int_eq(firewall_module.apply(&c, &l, &o), 0);
        ck_assert_uint_eq(f.locks, 0);
        ck_assert_uint_eq(f.nf[0].inits + f.nf[1].inits, 0);
}
END_TEST

int main(void) {
        Suite *s = suite_create("firewall-module");
        TCase *tc = tcase_create("fake tables");

        tcase_add_test(tc, test_fresh_probe);
        tcase_add_loop_test(tc, test_apply_fresh, 0, ELEMENTSOF(apply_cases));
        tcase_add_loop_test(tc, test_drift, 0, ELEMENTSOF(drift_cases));
        tcase_add_loop_test(tc, test_harmless_accept, 0, 2);
        tcase_add_loop_test(tc, test_commit_fails, 0, 2);
        tcase_add_loop_test(tc, test_init_fails, 0, ELEMENTSOF(init_cases));
        tcase_add_test(tc, test_lock_busy);
        tcase_add_test(tc, test_sshd_port_blocked);
        tcase_add_test(tc, test_not_live);
        suite_add_tcase(s, tc);
        return test_run_suite(s);
}
