/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The firewall's legacy backend: hardend's rules in the x_tables filter table through libiptc, one
 * handle and one commit per family, under the xtables lock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "firewall-backend.h"
#include "firewall-foreign.h"
#include "rollback.h"
#include "strv.h"
#include "sys/netfilter.h"
#include "sys/nfsnap.h"
#include "sys/nftables.h"

#define MODULE_NAME        "firewall"
#define FW_TABLE           "filter"
#define FW_LOCK_TIMEOUT_MS 5000
#define IPTABLES_PATH      "/usr/sbin/iptables"

/* What one family should look like: the rules and their entry bytes. */
typedef struct FwWanted {
        const NfOps *ops;
        const FwRuleset *set; /* FwWant's */
        void **entries;       /* one per set->rules[] */
        void *jump;           /* the INPUT rule: jump to FW_CHAIN */
} FwWanted;

/* A chain as read back; the pointers live as long as the handle. */
typedef struct FwActual {
        const void **entries;
        const char **labels;
        size_t n;
} FwActual;

static void fw_wanted_done(FwWanted *w) {
        for (size_t i = 0; w->entries && w->set && i < w->set->n_rules; i++)
                free(w->entries[i]);
        free(w->entries);
        free(w->jump);
        *w = (FwWanted){};
}

static void fw_actual_done(FwActual *a) {
        free(a->entries);
        free(a->labels);
        *a = (FwActual){};
}

static int fw_wanted_build(const FwRuleset *set, const NfOps *ops, FwWanted *ret) {
        _cleanup_(fw_wanted_done) FwWanted w = { .ops = ops, .set = set };
        FwRule jump = fw_rule_any(ops->family);
        size_t size;
        int r;

        w.entries = calloc(set->n_rules ?: 1, sizeof(void *));
        if (!w.entries)
                return -ENOMEM;
        for (size_t i = 0; i < set->n_rules; i++) {
                r = nf_entry_build(ops, &set->rules[i], &w.entries[i], &size);
                if (r < 0)
                        return r;
        }
        jump.target = FW_TARGET_JUMP;
        r = nf_entry_build(ops, &jump, &w.jump, &size);
        if (r < 0)
                return r;
        *ret = w;
        w = (FwWanted){};
        return 0;
}

static int read_chain(const NfOps *ops, struct xtc_handle *h, const char *chain, FwActual *ret) {
        _cleanup_(fw_actual_done) FwActual a = {};
        size_t allocated = 0;

        for (const void *e = ops->first_rule(chain, h); e; e = ops->next_rule(e, h)) {
                if (a.n >= allocated) {
                        size_t na = allocated ? allocated * 2 : 64;
                        const void **ne = reallocarray(a.entries, na, sizeof(void *));
                        const char **nl;

                        if (!ne)
                                return -ENOMEM;
                        a.entries = ne;
                        nl = reallocarray(a.labels, na, sizeof(char *));
                        if (!nl)
                                return -ENOMEM;
                        a.labels = nl;
                        allocated = na;
                }
                a.entries[a.n] = e;
                a.labels[a.n++] = ops->get_target(e, h);
        }
        *ret = a;
        a = (FwActual){};
        return 0;
}

static bool rule_equal(const FwWanted *w, const FwActual *a, size_t wi, size_t ai) {
        return nf_entry_equal(w->ops, a->entries[ai], a->labels[ai], w->entries[wi], w->set->rules[wi].target);
}

static bool chain_equal(const FwWanted *w, const FwActual *a) {
        if (a->n != w->set->n_rules)
                return false;
        for (size_t i = 0; i < a->n; i++)
                if (!rule_equal(w, a, i, i))
                        return false;
        return true;
}

static bool jump_first(const FwWanted *w, const FwActual *input) {
        return input->n > 0 && nf_entry_equal(w->ops, input->entries[0], input->labels[0], w->jump, FW_TARGET_JUMP);
}

/* NULL: the chain's policy is not hardend's (FORWARD with forward_policy "keep"). */
static const char *want_policy(const FwWanted *w, const char *chain) {
        if (streq(chain, "INPUT"))
                return w->set->input_drop ? "DROP" : "ACCEPT";
        if (!streq(chain, "FORWARD"))
                return "ACCEPT";
        switch (w->set->forward) {
        case FORWARD_POLICY_DROP:
                return "DROP";
        case FORWARD_POLICY_ACCEPT:
                return "ACCEPT";
        default:
                return NULL;
        }
}

static const char *const builtin_chains[] = { "INPUT", "FORWARD", "OUTPUT" };

/* ---- probe ---- */

/* Each difference between our chain and the wanted rules, named by the rule in words. */
static int chain_findings(const FwWanted *w, const FwActual *a, FindingList *out) {
        const char *fam = w->ops->name;
        _cleanup_free_ ssize_t *match = NULL; /* wanted index -> actual index, -1: none */
        _cleanup_free_ bool *used = NULL;
        bool order = true;
        int r;

        match = calloc(w->set->n_rules ?: 1, sizeof(ssize_t));
        used = calloc(a->n ?: 1, sizeof(bool));
        if (!match || !used)
                return -ENOMEM;
        for (size_t i = 0; i < w->set->n_rules; i++) {
                match[i] = -1;
                if (i < a->n && rule_equal(w, a, i, i)) {
                        match[i] = (ssize_t) i;
                        used[i] = true;
                }
        }
        for (size_t i = 0; i < w->set->n_rules; i++)
                for (size_t j = 0; match[i] < 0 && j < a->n; j++)
                        if (!used[j] && rule_equal(w, a, i, j)) {
                                match[i] = (ssize_t) j;
                                used[j] = true;
                                order = false;
                        }

        for (size_t i = 0; i < w->set->n_rules; i++) {
                _cleanup_free_ char *want = NULL, *have = NULL;

                if (match[i] >= 0)
                        continue;
                r = fw_rule_describe(&w->set->rules[i], &want);
                if (r < 0)
                        return r;
                if (i < a->n && !used[i]) {
                        /* the rule at this place is something else: changed */
                        used[i] = true;
                        r = nf_entry_describe(w->ops, a->entries[i], a->labels[i], &have);
                        if (r < 0)
                                return r;
                        r = finding_addf(out, MODULE_NAME, "rule-changed", FINDING_DRIFT, SEVERITY_HIGH, true, want,
                                         have, "%s " FW_CHAIN " rule %zu", fam, i + 1);
                } else
                        r = finding_addf(out, MODULE_NAME, "rule-missing", FINDING_DRIFT, SEVERITY_HIGH, true, want,
                                         "missing", "%s " FW_CHAIN " %s", fam, want);
                if (r < 0)
                        return r;
        }
        for (size_t j = 0; j < a->n; j++) {
                _cleanup_free_ char *have = NULL, *pos = NULL;

                if (used[j])
                        continue;
                r = nf_entry_describe(w->ops, a->entries[j], a->labels[j], &have);
                if (r < 0)
                        return r;
                if (asprintf(&pos, "rule %zu", j + 1) < 0)
                        return -ENOMEM;
                r = finding_addf(out, MODULE_NAME, "rule-extra", FINDING_DRIFT, SEVERITY_HIGH, true, "absent", pos,
                                 "%s " FW_CHAIN " %s", fam, have);
                if (r < 0)
                        return r;
        }
        if (!order && a->n == w->set->n_rules) {
                bool all = true;

                for (size_t i = 0; i < w->set->n_rules; i++)
                        all = all && match[i] >= 0;
                if (all)
                        return finding_addf(out, MODULE_NAME, "rule-order", FINDING_DRIFT, SEVERITY_MEDIUM, true,
                                            "the policy's order", "rules out of order", "%s " FW_CHAIN, fam);
        }
        return 0;
}

static int input_findings(const FwWanted *w, const FwActual *input, struct xtc_handle *h, const FwWant *want,
                          FindingList *out) {
        _cleanup_(fw_foreign_list_done) FwForeignList foreign = {};
        const char *fam = w->ops->name;
        int r;

        if (!jump_first(w, input)) {
                _cleanup_free_ char *have = NULL;
                ssize_t pos = -1;

                for (size_t j = 0; pos < 0 && j < input->n; j++)
                        if (streq_ptr(input->labels[j], FW_CHAIN))
                                pos = (ssize_t) j;
                if (pos >= 0 && asprintf(&have, "jump is rule %zd", pos + 1) < 0)
                        return -ENOMEM;
                r = finding_addf(out, MODULE_NAME, "jump", FINDING_DRIFT, SEVERITY_HIGH, true,
                                 "first rule: jump to " FW_CHAIN, have ?: "missing", "%s INPUT", fam);
                if (r < 0)
                        return r;
        }
        /* Rules that others put in INPUT and that can accept what the policy drops (directly or
         * through their chains): drift that apply removes. An ACCEPT of what FW_CHAIN accepts anyway
         * changes nothing: only the watcher in repair mode removes it (as it always did). */
        r = fw_foreign_find(w->ops, h, w->set, w->jump, want->policy->firewall.reject_tail, &foreign);
        if (r < 0)
                return r;
        for (size_t i = 0; i < foreign.n; i++) {
                const FwForeign *f = &foreign.items[i];

                if (f->harmless && !want->repair)
                        continue;
                r = finding_addf(out, MODULE_NAME, "foreign-accept", FINDING_DRIFT,
                                 f->harmless ? SEVERITY_MEDIUM : SEVERITY_HIGH, true,
                                 f->harmless ? "no ACCEPT in INPUT outside " FW_CHAIN
                                             : "nothing accepted outside " FW_CHAIN " that the policy drops",
                                 f->path, "%s INPUT rule %zu: %s", fam, f->rule + 1, f->entry);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int probe_family(const FwWant *want, const FwRuleset *set, const NfOps *ops, FindingList *out) {
        _cleanup_(fw_wanted_done) FwWanted w = {};
        _cleanup_(fw_actual_done) FwActual mine = {}, input = {};
        struct xtc_handle *h = NULL;
        int r;

        r = fw_wanted_build(set, ops, &w);
        if (r < 0)
                return r;
        h = ops->init(FW_TABLE);
        if (!h) {
                _cleanup_free_ char *why = NULL;
                int err = errno;

                r = nf_error(ops, "init", err, &why);
                if (r < 0)
                        return r;
                /* The kernel has no such table, or not even the family's x_tables core loaded: then
                 * no rule of ours is in force, which is known drift (apply loads the module where
                 * it must, or fails clearly), not an unknown. */
                if (err == ENOENT || err == ENOPROTOOPT)
                        return finding_addf(out, MODULE_NAME, "table", FINDING_DRIFT, SEVERITY_HIGH, true, "present",
                                            why, "%s " FW_TABLE, ops->name);
                return finding_addf(out, MODULE_NAME, "table", FINDING_UNKNOWN, SEVERITY_HIGH, false, NULL, why,
                                    "%s " FW_TABLE, ops->name);
        }

        for (size_t i = 0; i < ELEMENTSOF(builtin_chains); i++) {
                const char *pol = want_policy(&w, builtin_chains[i]);
                const char *have = ops->get_policy(builtin_chains[i], h);

                if (!pol || streq_ptr(have, pol))
                        continue;
                r = finding_addf(out, MODULE_NAME, "chain-policy", FINDING_DRIFT,
                                 streq(builtin_chains[i], "INPUT") ? SEVERITY_HIGH : SEVERITY_MEDIUM, true, pol,
                                 have ?: "unknown", "%s %s", ops->name, builtin_chains[i]);
                if (r < 0)
                        goto finish;
        }

        if (!ops->is_chain(FW_CHAIN, h))
                r = finding_addf(out, MODULE_NAME, "chain", FINDING_DRIFT, SEVERITY_HIGH, true, "present", "missing",
                                 "%s " FW_CHAIN, ops->name);
        else {
                r = read_chain(ops, h, FW_CHAIN, &mine);
                if (r >= 0)
                        r = chain_findings(&w, &mine, out);
        }
        if (r < 0)
                goto finish;

        r = read_chain(ops, h, "INPUT", &input);
        if (r >= 0)
                r = input_findings(&w, &input, h, want, out);
finish:
        fw_actual_done(&mine);
        fw_actual_done(&input);
        nf_handle_free(ops, &h);
        return r;
}

static int probe_nftables(FindingList *out) {
        _cleanup_strv_free_ char **tables = NULL;
        _cleanup_free_ char *target = NULL;
        int r;

        r = iptables_is_nft(IPTABLES_PATH, &target);
        if (r > 0) {
                _cleanup_free_ char *actual = NULL;

                if (asprintf(&actual,
                             "%s is %s, the nftables-based variant: it shows and changes the nftables "
                             "tables, not the legacy tables hardend writes (use iptables-legacy to see them)",
                             IPTABLES_PATH, target) < 0)
                        return -ENOMEM;
                r = finding_addf(out, MODULE_NAME, "iptables-variant", FINDING_INFO, SEVERITY_INFO, false,
                                 "iptables-legacy", actual, "%s", IPTABLES_PATH);
                if (r < 0)
                        return r;
        }

        r = nft_list_tables(&tables);
        if (r >= 0 && !strv_isempty(tables)) {
                _cleanup_free_ char *list = NULL, *actual = NULL;

                r = strv_join(tables, ", ", &list);
                if (r < 0)
                        return r;
                if (asprintf(&actual,
                             "%zu nftables table(s): %s; their rules filter packets too, beside hardend's "
                             "legacy tables",
                             strv_length(tables), list) < 0)
                        return -ENOMEM;
                return finding_addf(out, MODULE_NAME, "nftables", FINDING_INFO, SEVERITY_INFO, false, "none", actual,
                                    "nftables ruleset");
        }
        return 0; /* no nf_tables in this kernel, or nothing there */
}

/* The kernel's tables through libiptc, the xtables lock and nftables of the live system: what
 * FwWant.sys NULL means here. */
static const FwBackend iptables_kernel = {
        .nf_ops = { &nf_ops_ipv4, &nf_ops_ipv6 },
        .lock = nf_lock,
        .probe_nftables = probe_nftables,
};

static const FwBackend *sys_of(const FwWant *w) {
        return w->sys ?: &iptables_kernel;
}

static const NfOps *family_ops(const FwWant *w, int family) {
        return sys_of(w)->nf_ops[family == AF_INET6];
}

static int take_lock(const FwWant *w, Outcome *o) {
        int fd = sys_of(w)->lock(FW_LOCK_TIMEOUT_MS);

        if (fd == -EBUSY)
                return outcome_fail(o, fd, "the xtables lock %s is held by another program (waited %u s)",
                                    NF_LOCK_PATH, FW_LOCK_TIMEOUT_MS / 1000);
        if (fd < 0)
                return outcome_fail(o, fd, "cannot take the xtables lock %s: %s", NF_LOCK_PATH, strerror(-fd));
        return fd;
}

static int iptables_usable(const FwWant *w, char **ret_why) {
        if (w->sys)
                return 1; /* the tables the unit tests fake are always there */
        for (size_t i = 0; i < w->n_sets; i++) {
                int r = nf_xtables_available(w->sets[i].family, ret_why);

                if (r <= 0)
                        return r;
        }
        return 1;
}

static int iptables_probe(const FwWant *w, FindingList *out) {
        const FwBackend *b = sys_of(w);
        int r = 0;

        for (size_t i = 0; r >= 0 && i < w->n_sets; i++)
                r = probe_family(w, &w->sets[i], family_ops(w, w->sets[i].family), out);
        if (r >= 0 && b->probe_nftables)
                r = b->probe_nftables(out);
        return r;
}

/* ---- apply ---- */

/* A failed libiptc call (errno err) as o's error; what is the table's name in the message. */
static int table_fail(const NfOps *ops, const char *call, int err, Outcome *o, const char *what) {
        _cleanup_free_ char *why = NULL;
        int r = err > 0 ? -err : -EIO;

        if (nf_error(ops, call, err, &why) < 0)
                return -ENOMEM;
        return outcome_fail(o, r, "%s (nothing in the %s %s was changed)", why, ops->name, what);
}

/* One commit of everything done in h, then the changes it made recorded in o. */
static int table_commit(const NfOps *ops, struct xtc_handle *h, char **changes, Outcome *o, const char *what) {
        int r;

        if (!ops->commit(h))
                return table_fail(ops, "commit", errno, o, what);
        STRV_FOREACH (s, changes)
                if ((r = outcome_change(o, "%s", *s)) < 0)
                        return r;
        return 0;
}

static int apply_family(const FwWant *want, const FwRuleset *set, const NfOps *ops, Outcome *o) {
        _cleanup_(fw_wanted_done) FwWanted w = {};
        _cleanup_(fw_actual_done) FwActual mine = {}, input = {};
        _cleanup_(fw_foreign_list_done) FwForeignList foreign = {};
        _cleanup_strv_free_ char **changes = NULL;
        struct xtc_handle *h = NULL;
        const char *call = NULL;
        bool exists;
        int r, err = 0;

        r = fw_wanted_build(set, ops, &w);
        if (r < 0)
                return outcome_fail(o, r, "%s: cannot build the ruleset: %s", ops->name, strerror(-r));
        h = nf_init(ops, FW_TABLE);
        if (!h) {
                err = errno;
                call = "init";
                goto fail;
        }

        exists = ops->is_chain(FW_CHAIN, h);
        if (exists) {
                r = read_chain(ops, h, FW_CHAIN, &mine);
                if (r < 0)
                        goto finish;
        }
        if (!exists || !chain_equal(&w, &mine)) {
                fw_actual_done(&mine); /* its pointers die with the flush */
                if (!exists && !ops->create_chain(FW_CHAIN, h)) {
                        err = errno, call = "create_chain";
                        goto fail;
                }
                if (exists && !ops->flush_entries(FW_CHAIN, h)) {
                        err = errno, call = "flush_entries";
                        goto fail;
                }
                for (size_t i = 0; i < w.set->n_rules; i++)
                        if (!ops->append_entry(FW_CHAIN, w.entries[i], h)) {
                                err = errno, call = "append_entry";
                                goto fail;
                        }
                if ((r = strv_extendf(&changes, "%s: %s " FW_CHAIN " with %zu rules", ops->name,
                                      exists ? "rebuilt" : "created", w.set->n_rules)) < 0)
                        goto finish;
        }

        r = read_chain(ops, h, "INPUT", &input);
        if (r < 0)
                goto finish;
        if (!jump_first(&w, &input)) {
                /* drop misplaced jumps (from the end, so numbers stay valid), then one at the top */
                for (size_t j = input.n; j > 0; j--)
                        if (streq_ptr(input.labels[j - 1], FW_CHAIN) &&
                            !ops->delete_num_entry("INPUT", (unsigned) (j - 1), h)) {
                                err = errno, call = "delete_num_entry";
                                goto fail;
                        }
                fw_actual_done(&input);
                if (!ops->insert_entry("INPUT", w.jump, 0, h)) {
                        err = errno, call = "insert_entry";
                        goto fail;
                }
                if ((r = strv_extendf(&changes, "%s: jump to " FW_CHAIN " at the top of INPUT", ops->name)) < 0)
                        goto finish;
        }

        /* The foreign rules in INPUT through which a packet the policy drops could be accepted
         * (with the jump now first: as the probe judged them), and in repair mode every ACCEPT in
         * INPUT. Only the INPUT rule is removed; a foreign chain it led to stays. */
        fw_actual_done(&input); /* the jump may have moved */
        r = fw_foreign_find(ops, h, w.set, w.jump, want->policy->firewall.reject_tail && !want->repair, &foreign);
        if (r < 0)
                goto finish;
        for (size_t i = 0; i < foreign.n; i++) {
                const FwForeign *f = &foreign.items[i];

                if (f->harmless && !want->repair)
                        continue;
                bool via = strstr(f->path, " -> ");

                if ((r = strv_extendf(&changes, "%s: removed a foreign rule from INPUT: rule %zu, %s%s%s%s", ops->name,
                                      f->rule + 1, f->entry, via ? " (which led to: " : "", via ? f->path : "",
                                      via ? ")" : "")) < 0)
                        goto finish;
        }
        /* from the end, so that the numbers of the others hold */
        for (size_t i = foreign.n; i > 0; i--) {
                const FwForeign *f = &foreign.items[i - 1];

                if (f->harmless && !want->repair)
                        continue;
                if (!ops->delete_num_entry("INPUT", (unsigned) f->rule, h)) {
                        err = errno, call = "delete_num_entry";
                        goto fail;
                }
        }

        for (size_t i = 0; i < ELEMENTSOF(builtin_chains); i++) {
                const char *pol = want_policy(&w, builtin_chains[i]);

                if (!pol || streq_ptr(ops->get_policy(builtin_chains[i], h), pol))
                        continue;
                if (!ops->set_policy(builtin_chains[i], pol, h)) {
                        err = errno, call = "set_policy";
                        goto fail;
                }
                if ((r = strv_extendf(&changes, "%s: %s policy %s", ops->name, builtin_chains[i], pol)) < 0)
                        goto finish;
        }

        r = strv_isempty(changes) ? 0 : table_commit(ops, h, changes, o, "table");
        goto finish;

fail:
        r = table_fail(ops, call, err, o, "table");
finish:
        fw_actual_done(&mine);
        fw_actual_done(&input);
        nf_handle_free(ops, &h);
        return r;
}

/* fn on each family's table in turn, under the xtables lock. */
static int each_family_locked(const FwWant *w, Outcome *o,
                              int (*fn)(const FwWant *w, const FwRuleset *set, const NfOps *ops, Outcome *o)) {
        _cleanup_close_ int lock = -EBADF;
        int r = 0;

        lock = take_lock(w, o);
        if (lock < 0)
                return lock;
        for (size_t i = 0; r >= 0 && i < w->n_sets; i++)
                r = fn(w, &w->sets[i], family_ops(w, w->sets[i].family), o);
        return r;
}

static int iptables_apply(const FwWant *w, Outcome *o) {
        return each_family_locked(w, o, apply_family);
}

/* ---- what is left of hardend's rules, and their removal ---- */

/* The family's filter table, when the kernel has one: NULL and 0 when it has none (then it is not
 * created: init would instantiate it), NULL and -errno when it cannot be read. */
static int open_table(const FwWant *w, const NfOps *ops, struct xtc_handle **ret) {
        struct xtc_handle *h;
        int r;

        *ret = NULL;
        if (!w->sys) {
                r = nf_table_present(ops->family, FW_TABLE);
                if (r <= 0)
                        return r;
        }
        h = ops->init(FW_TABLE);
        if (!h)
                return errno == ENOENT || errno == ENOPROTOOPT ? 0 : -errno;
        *ret = h;
        return 1;
}

/* Whether INPUT jumps to FW_CHAIN or the chain is there. */
static bool table_holds_ours(const NfOps *ops, struct xtc_handle *h) {
        if (ops->is_chain(FW_CHAIN, h))
                return true;
        for (const void *e = ops->first_rule("INPUT", h); e; e = ops->next_rule(e, h))
                if (streq_ptr(ops->get_target(e, h), FW_CHAIN))
                        return true;
        return false;
}

static int iptables_installed(const FwWant *w) {
        for (size_t i = 0; i < w->n_sets; i++) {
                const NfOps *ops = family_ops(w, w->sets[i].family);
                struct xtc_handle *h = NULL;
                bool ours;
                int r;

                r = open_table(w, ops, &h);
                if (r <= 0) {
                        if (r < 0)
                                return r;
                        continue;
                }
                ours = table_holds_ours(ops, h);
                nf_handle_free(ops, &h);
                if (ours)
                        return 1;
        }
        return 0;
}

/* Takes hardend's rules out of one family's table in one commit: every jump to FW_CHAIN from INPUT,
 * FW_CHAIN itself, the INPUT policy back to ACCEPT (what the kernel starts with), and the FORWARD
 * policy back to ACCEPT when the policy has hardend set it to DROP. Nothing else is touched: foreign
 * rules, other chains, OUTPUT. A table without hardend's chain or jump is left as it is. */
static int remove_family(const FwWant *w, const FwRuleset *set, const NfOps *ops, Outcome *o) {
        _cleanup_strv_free_ char **changes = NULL;
        _cleanup_(fw_actual_done) FwActual input = {};
        struct xtc_handle *h = NULL;
        const char *call = NULL;
        unsigned jumps = 0;
        int r, err = 0;

        r = open_table(w, ops, &h);
        if (r < 0)
                return outcome_fail(o, r, "%s: cannot read the legacy filter table: %s", ops->name, strerror(-r));
        if (r == 0 || !table_holds_ours(ops, h))
                goto finish;

        r = read_chain(ops, h, "INPUT", &input);
        if (r < 0)
                goto finish;
        for (size_t j = input.n; j > 0; j--) {
                if (!streq_ptr(input.labels[j - 1], FW_CHAIN))
                        continue;
                if (!ops->delete_num_entry("INPUT", (unsigned) (j - 1), h)) {
                        err = errno, call = "delete_num_entry";
                        goto fail;
                }
                jumps++;
        }
        fw_actual_done(&input);
        if (jumps > 0 &&
            (r = strv_extendf(&changes, "%s: removed the jump to " FW_CHAIN " from INPUT", ops->name)) < 0)
                goto finish;
        if (ops->is_chain(FW_CHAIN, h)) {
                if (!ops->flush_entries(FW_CHAIN, h)) {
                        err = errno, call = "flush_entries";
                        goto fail;
                }
                if (!ops->delete_chain(FW_CHAIN, h)) {
                        err = errno, call = "delete_chain";
                        goto fail;
                }
                if ((r = strv_extendf(&changes, "%s: removed " FW_CHAIN, ops->name)) < 0)
                        goto finish;
        }
        for (size_t i = 0; i < ELEMENTSOF(builtin_chains); i++) {
                const char *chain = builtin_chains[i];

                if (streq(chain, "OUTPUT") || (streq(chain, "FORWARD") && set->forward != FORWARD_POLICY_DROP))
                        continue;
                if (streq_ptr(ops->get_policy(chain, h), "ACCEPT"))
                        continue;
                if (!ops->set_policy(chain, "ACCEPT", h)) {
                        err = errno, call = "set_policy";
                        goto fail;
                }
                if ((r = strv_extendf(&changes, "%s: %s policy ACCEPT", ops->name, chain)) < 0)
                        goto finish;
        }
        r = table_commit(ops, h, changes, o, "legacy table");
        goto finish;

fail:
        r = table_fail(ops, call, err, o, "legacy table");
finish:
        fw_actual_done(&input);
        nf_handle_free(ops, &h);
        return r;
}

static int iptables_remove(const FwWant *w, Outcome *o) {
        return each_family_locked(w, o, remove_family);
}

/* Both filter tables as the kernel holds them, under the xtables lock (the snapshot reads the
 * kernel's tables itself, rollback.h: "apply --confirm" runs on the live system only). */
static int iptables_snapshot(const FwWant *w, struct Snapshot *s) {
        _cleanup_close_ int lock = -EBADF;
        int r;

        lock = sys_of(w)->lock(FW_LOCK_TIMEOUT_MS * 2);
        if (lock < 0)
                return lock;
        r = snapshot_add_table(s, AF_INET, "ipv4");
        if (r >= 0)
                r = snapshot_add_table(s, AF_INET6, "ipv6");
        return r;
}

const FwBackendOps fw_backend_iptables = {
        .name = "iptables",
        .usable = iptables_usable,
        .probe = iptables_probe,
        .apply = iptables_apply,
        .installed = iptables_installed,
        .remove = iptables_remove,
        .snapshot = iptables_snapshot,
};
