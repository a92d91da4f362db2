/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Which backend firewall.backend chooses (the decision over injected host facts), and the move from
 * one backend to the other through the module: the new rules first, then the old ones removed in
 * the same apply; a named backend the kernel cannot hold fails before anything is changed. The
 * legacy side is the fake filter tables (fake-netfilter.h), the nftables side a recording fake. */
#include <check.h>

#include "test-main.h"
#include <stdlib.h>
#include <string.h>

#include "fake-netfilter.h"
#include "firewall-select.h"
#include "firewall.h"
#include "strv.h"

#define A FIREWALL_BACKEND_AUTO
#define N FIREWALL_BACKEND_NFTABLES
#define I FIREWALL_BACKEND_IPTABLES

static const struct {
        const char *name;
        FirewallBackend want;
        int iptables; /* 1 nft variant, 0 legacy, -ENOENT none */
        bool nftables, legacy;
        int r;
        FirewallBackend chosen;
        const char *why;
} decide_cases[] = {
        { "auto, iptables-nft", A, 1, true, true, 0, N, "auto: /usr/sbin/iptables is xtables-nft-multi" },
        { "auto, iptables-legacy", A, 0, true, true, 0, I, "auto: /usr/sbin/iptables is xtables-legacy-multi" },
        { "auto, iptables-legacy, no x_tables", A, 0, true, false, 0, N, "auto: no x_tables here" },
        { "auto, iptables-nft, no nf_tables", A, 1, false, true, 0, I,
          "auto: /usr/sbin/iptables is xtables-nft-multi, but no nf_tables here: the legacy tables" },
        { "auto, no iptables, nf_tables", A, -ENOENT, true, true, 0, N,
          "auto: no /usr/sbin/iptables, and the kernel has nf_tables" },
        { "auto, no iptables, no nf_tables", A, -ENOENT, false, true, 0, I,
          "auto: no /usr/sbin/iptables, and no nf_tables here" },
        { "auto, no iptables, no x_tables", A, -ENOENT, true, false, 0, N, "auto: no x_tables here" },
        { "auto, nothing", A, 1, false, false, -EOPNOTSUPP, 0,
          "auto: no backend can be used: no nf_tables here; no x_tables here" },
        { "nftables named", N, 0, true, true, 0, N, "firewall.backend = \"nftables\"" },
        { "nftables named, no nf_tables", N, 1, false, true, -EOPNOTSUPP, 0,
          "firewall.backend = \"nftables\", but no nf_tables here" },
        { "iptables named", I, 1, true, true, 0, I, "firewall.backend = \"iptables\"" },
        { "iptables named, no x_tables", I, 0, true, false, -EOPNOTSUPP, 0,
          "firewall.backend = \"iptables\", but no x_tables here" },
};

START_TEST(test_decide) {
        FwHost h = {
                .iptables = decide_cases[_i].iptables,
                .iptables_target = decide_cases[_i].iptables > 0    ? "xtables-nft-multi"
                                   : decide_cases[_i].iptables == 0 ? "xtables-legacy-multi"
                                                                    : NULL,
                .nftables = decide_cases[_i].nftables,
                .nftables_why = decide_cases[_i].nftables ? NULL : "no nf_tables here",
                .legacy = decide_cases[_i].legacy,
                .legacy_why = decide_cases[_i].legacy ? NULL : "no x_tables here",
        };
        FirewallBackend b = _FIREWALL_BACKEND_INVALID;
        _cleanup_free_ char *why = NULL;

        ck_assert_int_eq(fw_select_decide(decide_cases[_i].want, &h, &b, &why), decide_cases[_i].r);
        ck_assert_ptr_nonnull(why);
        ck_assert_str_eq(why, decide_cases[_i].why);
        ck_assert_int_eq(b, decide_cases[_i].r < 0 ? _FIREWALL_BACKEND_INVALID : decide_cases[_i].chosen);
}
END_TEST

/* ---- a recording nftables backend beside the fake legacy tables ---- */

static struct {
        bool usable;
        bool installed; /* hardend's rules are in "nftables" */
        char **calls;   /* "apply", "remove", each with the legacy commits made before it */
        FakeFirewall *legacy;
} nft;

static void record(const char *what) {
        unsigned commits = nft.legacy->nf[0].commits + nft.legacy->nf[1].commits;

        ck_assert_int_eq(strv_extendf(&nft.calls, "%s after %u legacy commits", what, commits), 0);
}

static int nft_usable(const FwWant *w, char **ret_why) {
        if (!nft.usable)
                *ret_why = strdup("the kernel has no nf_tables");
        return nft.usable;
}

static int nft_probe(const FwWant *w, FindingList *out) {
        if (nft.installed)
                return 0;
        return finding_addf(out, "firewall", "table", FINDING_DRIFT, SEVERITY_HIGH, true, "present", "missing",
                            "nftables inet hardend");
}

static int nft_apply(const FwWant *w, Outcome *o) {
        if (nft.installed)
                return 0;
        record("apply");
        nft.installed = true;
        return outcome_change(o, "nftables: created table inet hardend");
}

static int nft_installed(const FwWant *w) {
        return nft.installed;
}

static int nft_remove(const FwWant *w, Outcome *o) {
        record("remove");
        nft.installed = false;
        return outcome_change(o, "nftables: removed table inet hardend");
}

static int nft_snapshot(const FwWant *w, struct Snapshot *s) {
        return 0;
}

static const FwBackendOps fake_nft = {
        .name = "nftables",
        .usable = nft_usable,
        .probe = nft_probe,
        .apply = nft_apply,
        .installed = nft_installed,
        .remove = nft_remove,
        .snapshot = nft_snapshot,
};

static Context test_context(const Policy *p, FakeFirewall *f) {
        f->backend.backends[0] = &fake_nft;
        nft = (typeof(nft)){ .usable = true, .legacy = f };
        return (Context){
                .policy = p,
                .root = "/",
                .live = true,
                .only = 1u << MODULE_FIREWALL,
                .firewall = &f->backend,
        };
}

/* The probe's findings as "kind check subject: actual", joined with "|". */
static char *probe(Context *c) {
        _cleanup_(finding_list_done) FindingList l = {};
        _cleanup_strv_free_ char **w = NULL;
        char *j = NULL;

        ck_assert_int_eq(firewall_module.probe(c, &l), 0);
        for (size_t i = 0; i < l.n; i++)
                ck_assert_int_eq(strv_extendf(&w, "%s %s %s: %s", finding_kind_to_string(l.items[i].kind),
                                              l.items[i].check, l.items[i].subject, l.items[i].actual ?: ""),
                                 0);
        ck_assert_int_eq(strv_join(w, "|", &j), 0);
        return j;
}

static int apply(Context *c, Outcome *o) {
        _cleanup_(finding_list_done) FindingList l = {};
        int r;

        ck_assert_int_eq(firewall_module.probe(c, &l), 0);
        r = firewall_module.preflight(c, &l, o);
        if (r < 0)
                return r;
        return firewall_module.apply(c, &l, o);
}

static bool legacy_has_ours(const FakeFirewall *f) {
        for (size_t i = 0; i < 2; i++) {
                const FakeChain *input = fake_table_chain(&f->nf[i].kernel, "INPUT");

                if (fake_table_chain(&f->nf[i].kernel, FW_CHAIN) || input->n > 0 || !streq(input->policy, "ACCEPT"))
                        return true;
        }
        return false;
}

/* From the legacy tables to nftables: the new rules in force first, then the old ones removed, in
 * one apply; the foreign rule and FORWARD policy another program set stay. */
START_TEST(test_migrate_to_nftables) {
        _cleanup_policy_free_ Policy *legacy =
                test_policy_load("version = 1; firewall = { backend = \"iptables\"; };");
        _cleanup_policy_free_ Policy *p = test_policy_load("version = 1;");
        _cleanup_(fake_firewall_done) FakeFirewall f = {};
        _cleanup_(context_done) Context c = {}, cl = {};
        _cleanup_(outcome_done) Outcome o = {}, o1 = {}, o2 = {};
        _cleanup_free_ char *d = NULL, *d2 = NULL;
        FwRule foreign = fw_rule_any(AF_INET);

        fake_firewall_init(&f);
        cl = test_context(legacy, &f);
        ck_assert_int_eq(apply(&cl, &o1), 0);
        ck_assert(legacy_has_ours(&f));
        ck_assert(!nft.installed);
        foreign.proto = IPPROTO_UDP;
        foreign.dport = 53;
        foreign.target = FW_TARGET_DROP;
        ck_assert_int_eq(fake_nf_append(&f.nf[0], "INPUT", &foreign), 0);
        ck_assert_int_eq(fake_nf_set_policy(&f.nf[1], "FORWARD", "DROP"), 0);

        c = test_context(p, &f);
        d = probe(&c);
        ck_assert_str_eq(d, "info backend nftables: auto: no /usr/sbin/iptables, and the kernel has nf_tables|"
                            "drift table nftables inet hardend: missing|"
                            "drift other-backend iptables: hardend's rules, left from before it used nftables");

        ck_assert_int_eq(apply(&c, &o), 0);
        ck_assert_ptr_null(o.error);
        ck_assert_uint_eq(strv_length(nft.calls), 1);
        ck_assert_str_eq(nft.calls[0], "apply after 2 legacy commits"); /* before the legacy removal */
        ck_assert(nft.installed);
        ck_assert_uint_eq(f.nf[0].commits + f.nf[1].commits, 4); /* one removal per family */
        ck_assert_ptr_null(fake_table_chain(&f.nf[0].kernel, FW_CHAIN));
        ck_assert_ptr_null(fake_table_chain(&f.nf[1].kernel, FW_CHAIN));
        ck_assert_str_eq(fake_table_chain(&f.nf[0].kernel, "INPUT")->policy, "ACCEPT");
        ck_assert_str_eq(fake_table_chain(&f.nf[1].kernel, "INPUT")->policy, "ACCEPT");
        d2 = fake_nf_describe(&f.nf[0], "INPUT");
        ck_assert_str_eq(d2, "udp dpt:53 DROP");
        ck_assert_uint_eq(fake_table_chain(&f.nf[1].kernel, "INPUT")->n, 0);
        ck_assert_str_eq(fake_table_chain(&f.nf[1].kernel, "FORWARD")->policy, "DROP");
        ck_assert(strv_contains(o.changes, "ipv4: removed " FW_CHAIN));
        ck_assert_uint_eq(f.nf[0].open + f.nf[1].open, 0);

        free(d);
        d = probe(&c);
        ck_assert_str_eq(d, "info backend nftables: auto: no /usr/sbin/iptables, and the kernel has nf_tables");
        ck_assert_int_eq(apply(&c, &o2), 0);
        ck_assert_ptr_null(o2.changes);
}
END_TEST

/* And back: the legacy rules in, then the nftables ones removed. */
START_TEST(test_migrate_to_iptables) {
        _cleanup_policy_free_ Policy *p = test_policy_load("version = 1; firewall = { backend = \"iptables\"; };");
        _cleanup_(fake_firewall_done) FakeFirewall f = {};
        _cleanup_(context_done) Context c = {};
        _cleanup_(outcome_done) Outcome o = {};

        fake_firewall_init(&f);
        c = test_context(p, &f);
        nft.installed = true;
        ck_assert_int_eq(apply(&c, &o), 0);
        ck_assert_uint_eq(strv_length(nft.calls), 1);
        ck_assert_str_eq(nft.calls[0], "remove after 2 legacy commits");
        ck_assert(!nft.installed);
        ck_assert_str_eq(fake_table_chain(&f.nf[0].kernel, "INPUT")->policy, "DROP");
}
END_TEST

/* firewall.backend = "nftables" on a kernel without nf_tables: drift that apply cannot fix, and the
 * preflight fails (exit 4) before anything is changed. */
START_TEST(test_named_backend_unusable) {
        _cleanup_policy_free_ Policy *p = test_policy_load("version = 1; firewall = { backend = \"nftables\"; };");
        _cleanup_(fake_firewall_done) FakeFirewall f = {};
        _cleanup_(context_done) Context c = {};
        _cleanup_(outcome_done) Outcome o = {};
        _cleanup_(fake_table_done) FakeTable t4 = {}, t6 = {};
        _cleanup_(finding_list_done) FindingList l = {};

        fake_firewall_init(&f);
        c = test_context(p, &f);
        nft.usable = false;
        ck_assert_int_eq(fake_nf_save(&f.nf[0], &t4), 0);
        ck_assert_int_eq(fake_nf_save(&f.nf[1], &t6), 0);
        ck_assert_int_eq(firewall_module.probe(&c, &l), 0);
        ck_assert_uint_eq(l.n, 1);
        ck_assert_str_eq(l.items[0].check, "backend");
        ck_assert_int_eq(l.items[0].kind, FINDING_DRIFT);
        ck_assert(!l.items[0].fixable);
        ck_assert_str_eq(l.items[0].actual, "firewall.backend = \"nftables\", but the kernel has no nf_tables");

        ck_assert_int_eq(firewall_module.preflight(&c, &l, &o), -EOPNOTSUPP);
        ck_assert_str_eq(o.error,
                         "firewall.backend = \"nftables\", but the kernel has no nf_tables (nothing was changed)");
        ck_assert(fake_nf_equal(&f.nf[0], &t4));
        ck_assert(fake_nf_equal(&f.nf[1], &t6));
        ck_assert_uint_eq(f.locks, 0);
        ck_assert_ptr_null(nft.calls);
}
END_TEST

int main(void) {
        Suite *s = suite_create("firewall-select");
        TCase *tc = tcase_create("select");
        int r;

        tcase_add_loop_test(tc, test_decide, 0, ELEMENTSOF(decide_cases));
        tcase_add_test(tc, test_migrate_to_nftables);
        tcase_add_test(tc, test_migrate_to_iptables);
        tcase_add_test(tc, test_named_backend_unusable);
        suite_add_tcase(s, tc);
        r = test_run_suite(s);
        strv_free(nft.calls);
        return r;
}
