/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "firewall-policy.h"
#include "array.h"
#include "firewall-foreign.h"
#include "firewall-rules.h"
#include "firewall-sshd.h"
#include "firewall.h"
#include "rollback.h"
#include "strv.h"
#include "sys/netfilter.h"
#include "sys/nftables.h"

#define MODULE_NAME        "firewall"
#define FW_TABLE           "filter"
#define FW_LOCK_TIMEOUT_MS 5000
#define IPTABLES_PATH      "/usr/sbin/iptables"

/* What one family should look like: the rules and their entry bytes. */
typedef struct FwWanted {
        const NfOps *ops;
        FwRuleset set;
        void **entries; /* one per set.rules[] */
        void *jump;     /* the INPUT rule: jump to FW_CHAIN */
} FwWanted;

/* A chain as read back; the pointers live as long as the handle. */
typedef struct FwActual {
        const void **entries;
        const char **labels;
        size_t n;
} FwActual;

static void fw_wanted_done(FwWanted *w) {
        for (size_t i = 0; w->entries && i < w->set.n_rules; i++)
                free(w->entries[i]);
        free(w->entries);
        free(w->jump);
        fw_ruleset_done(&w->set);
        *w = (FwWanted){};
}

static void fw_actual_done(FwActual *a) {
        free(a->entries);
        free(a->labels);
        *a = (FwActual){};
}

/* sshd's ports (and ssh.port, rate limited as before sshd was asked) are the rate limit's. */
static int fw_wanted_build(const Policy *p, const FwSshd *sshd, const NfOps *ops, FwWanted *ret) {
        _cleanup_(fw_wanted_done) FwWanted w = { .ops = ops };
        _cleanup_free_ uint16_t *ports = NULL;
        FwRule jump = fw_rule_any(ops->family);
        size_t size, n_ports;
        int r;

        r = fw_sshd_ports(sshd, ops->family, &ports, &n_ports);
        if (r < 0)
                return r;
        if (ARRAY_GROW_ONE(ports, n_ports) < 0)
                return -ENOMEM;
        ports[n_ports++] = p->ssh.port;
        r = fw_ruleset_build(&p->firewall, ports, n_ports, ops->family, &w.set);
        if (r < 0)
                return r;
        w.entries = calloc(w.set.n_rules ?: 1, sizeof(void *));
        if (!w.entries)
                return -ENOMEM;
        for (size_t i = 0; i < w.set.n_rules; i++) {
                r = nf_entry_build(ops, &w.set.rules[i], &w.entries[i], &size);
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
        return nf_entry_equal(w->ops, a->entries[ai], a->labels[ai], w->entries[wi], w->set.rules[wi].target);
}

static bool chain_equal(const FwWanted *w, const FwActual *a) {
        if (a->n != w->set.n_rules)
                return false;
        for (size_t i = 0; i < a->n; i++)
                if (!rule_equal(w, a, i, i))
                        return false;
        return true;
}

static bool jump_first(const FwWanted *w, const FwActual *input) {
        return input->n > 0 && nf_entry_equal(w->ops, input->entries[0], input->labels[0], w->jump, FW_TARGET_JUMP);
}

static const char *want_policy(const FwWanted *w, const char *chain) {
        if (streq(chain, "INPUT"))
                return w->set.input_drop ? "DROP" : "ACCEPT";
        if (streq(chain, "FORWARD"))
                return w->set.forward_drop ? "DROP" : "ACCEPT";
        return "ACCEPT";
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

        match = calloc(w->set.n_rules ?: 1, sizeof(ssize_t));
        used = calloc(a->n ?: 1, sizeof(bool));
        if (!match || !used)
                return -ENOMEM;
        for (size_t i = 0; i < w->set.n_rules; i++) {
                match[i] = -1;
                if (i < a->n && rule_equal(w, a, i, i)) {
                        match[i] = (ssize_t) i;
                        used[i] = true;
                }
        }
        for (size_t i = 0; i < w->set.n_rules; i++)
                for (size_t j = 0; match[i] < 0 && j < a->n; j++)
                        if (!used[j] && rule_equal(w, a, i, j)) {
                                match[i] = (ssize_t) j;
                                used[j] = true;
                                order = false;
                        }

        for (size_t i = 0; i < w->set.n_rules; i++) {
                _cleanup_free_ char *want = NULL, *have = NULL;

                if (match[i] >= 0)
                        continue;
                r = fw_rule_describe(&w->set.rules[i], &want);
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
        if (!order && a->n == w->set.n_rules) {
                bool all = true;

                for (size_t i = 0; i < w->set.n_rules; i++)
                        all = all && match[i] >= 0;
                if (all)
                        return finding_addf(out, MODULE_NAME, "rule-order", FINDING_DRIFT, SEVERITY_MEDIUM, true,
                                            "the policy's order", "rules out of order", "%s " FW_CHAIN, fam);
        }
        return 0;
}

static int input_findings(const FwWanted *w, const FwActual *input, struct xtc_handle *h, const Policy *p, bool repair,
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
        r = fw_foreign_find(w->ops, h, &w->set, w->jump, p->firewall.reject_tail, &foreign);
        if (r < 0)
                return r;
        for (size_t i = 0; i < foreign.n; i++) {
                const FwForeign *f = &foreign.items[i];

                if (f->harmless && !repair)
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

static int probe_family(const Policy *p, const FwSshd *sshd, const NfOps *ops, bool repair, FindingList *out) {
        _cleanup_(fw_wanted_done) FwWanted w = {};
        _cleanup_(fw_actual_done) FwActual mine = {}, input = {};
        struct xtc_handle *h = NULL;
        int r;

        r = fw_wanted_build(p, sshd, ops, &w);
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
                const char *want = want_policy(&w, builtin_chains[i]);
                const char *have = ops->get_policy(builtin_chains[i], h);

                if (streq_ptr(have, want))
                        continue;
                r = finding_addf(out, MODULE_NAME, "chain-policy", FINDING_DRIFT,
                                 streq(builtin_chains[i], "INPUT") ? SEVERITY_HIGH : SEVERITY_MEDIUM, true, want,
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
                r = input_findings(&w, &input, h, p, repair, out);
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

/* The kernel's tables through libiptc, sshd and nftables of the live system: what Context.firewall
 * NULL means. */
static const FwBackend fw_backend_kernel = {
        .nf_ops = { &nf_ops_ipv4, &nf_ops_ipv6 },
        .lock = nf_lock,
        .sshd_listens = fw_sshd_listens,
        .probe_nftables = probe_nftables,
};

static const FwBackend *fw_backend(const Context *c) {
        return c->firewall ?: &fw_backend_kernel;
}

/* ---- sshd's ports ---- */

static const int families[] = { AF_INET, AF_INET6 };

/* Why the new firewall would cut sshd off on sp over family, or NULL (and 0) when it would not. */
static int sshd_blocked(const FirewallPolicy *fw, const FwSshdPort *sp, int family, char **ret) {
        bool planned = sp->planned;

        *ret = NULL;
        if (!fw_sshd_port_in_family(sp, family) || policy_firewall_allows(fw, IPPROTO_TCP, sp->port, family, NULL))
                return 0;
        if (asprintf(ret,
                     "sshd %s %s (%s), but firewall.allow does not let tcp/%u in over %s: add "
                     "{ port = %u; proto = \"tcp\"; } to firewall.allow, or %s",
                     planned ? "will listen on" : "listens on", sp->address, sp->source, sp->port,
                     fw_family_to_string(family), sp->port,
                     planned ? "change ssh.port"
                             : "remove the Port (or ListenAddress) line from sshd's configuration") < 0)
                return -ENOMEM;
        return 1;
}

static int sshd_findings(const Policy *p, const FwSshd *sshd, FindingList *out) {
        int r;

        if (sshd->unknown) {
                _cleanup_free_ char *actual = NULL;

                /* before network-pre.target sshd may not run nor have host keys yet: not an error */
                if (asprintf(&actual,
                             "%s; the ports of its configuration are not known, only those of the sockets it "
                             "listens on and ssh.port are checked",
                             sshd->unknown) < 0)
                        return -ENOMEM;
                r = finding_addf(out, MODULE_NAME, "ssh-port", FINDING_UNKNOWN, SEVERITY_MEDIUM, false,
                                 "sshd -T answers", actual, "sshd");
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < sshd->n; i++)
                for (size_t f = 0; f < ELEMENTSOF(families); f++) {
                        _cleanup_free_ char *why = NULL, *want = NULL;

                        if (families[f] == AF_INET6 && !p->firewall.ipv6)
                                continue;
                        r = sshd_blocked(&p->firewall, &sshd->items[i], families[f], &why);
                        if (r <= 0) {
                                if (r < 0)
                                        return r;
                                continue;
                        }
                        if (asprintf(&want, "tcp/%u in firewall.allow", sshd->items[i].port) < 0)
                                return -ENOMEM;
                        r = finding_addf(out, MODULE_NAME, "ssh-port", FINDING_DRIFT, SEVERITY_HIGH, false, want, why,
                                         "%s tcp/%u", fw_family_to_string(families[f]), sshd->items[i].port);
                        if (r < 0)
                                return r;
                }
        return 0;
}

static int firewall_probe(Context *c, FindingList *out) {
        const FirewallPolicy *fw = &c->policy->firewall;
        const FwBackend *b = fw_backend(c);
        _cleanup_(fw_sshd_done) FwSshd sshd = {};
        int r;

        if (!c->live)
                return finding_addf(out, MODULE_NAME, "live", FINDING_INFO, SEVERITY_INFO, false, NULL,
                                    "left to the image's first boot (--root: the kernel firewall is not touched)",
                                    "kernel firewall");

        r = fw_sshd_probe(c, b, &sshd);
        if (r < 0)
                return r;
        r = sshd_findings(c->policy, &sshd, out);
        if (r >= 0)
                r = probe_family(c->policy, &sshd, b->nf_ops[0], c->repair, out);
        if (r >= 0 && fw->ipv6)
                r = probe_family(c->policy, &sshd, b->nf_ops[1], c->repair, out);
        if (r >= 0 && b->probe_nftables)
                r = b->probe_nftables(out);
        return r;
}

/* ---- preflight: anti-lockout ---- */

/* This SSH session's client must get back in. */
static int preflight_session(Context *c, Outcome *o) {
        const FirewallPolicy *fw = &c->policy->firewall;
        char buf[INET6_ADDRSTRLEN] = "?";
        uint16_t port;
        FwAddr addr;
        int family, r;

        if (isempty(c->ssh_connection))
                return 0;
        r = fw_parse_ssh_connection(c->ssh_connection, &family, &addr, &port);
        if (r < 0) {
                if (c->force)
                        return 0;
                return outcome_fail(o, -EPERM,
                                    "cannot tell from SSH_CONNECTION=\"%s\" whether this session could reconnect "
                                    "through the new firewall (--force overrides)",
                                    c->ssh_connection);
        }
        if (fw_policy_admits(fw, family, &addr, port) || c->force)
                return 0;
        (void) inet_ntop(family, &addr, buf, sizeof(buf));
        return outcome_fail(o, -EPERM,
                            "the new firewall would not let %s (this SSH session's client, from SSH_CONNECTION) "
                            "reach tcp/%u: you could not reconnect. Add it to firewall.allow, or use --force",
                            buf, port);
}

/* Every port sshd listens on (or will, with the ssh module's drop-in) must be let in. */
static int preflight_sshd(Context *c, Outcome *o) {
        const FirewallPolicy *fw = &c->policy->firewall;
        _cleanup_(fw_sshd_done) FwSshd sshd = {};
        _cleanup_strv_free_ char **why = NULL;
        _cleanup_free_ char *all = NULL;
        int r;

        if (c->force)
                return 0;
        r = fw_sshd_probe(c, fw_backend(c), &sshd);
        if (r < 0)
                return outcome_fail(o, r, "cannot tell where sshd listens: %s", strerror(-r));
        for (size_t i = 0; i < sshd.n; i++)
                for (size_t f = 0; f < ELEMENTSOF(families); f++) {
                        char *w = NULL;

                        if (families[f] == AF_INET6 && !fw->ipv6)
                                continue;
                        r = sshd_blocked(fw, &sshd.items[i], families[f], &w);
                        if (r < 0)
                                return r;
                        if (r > 0 && (r = strv_consume(&why, w)) < 0)
                                return r;
                }
        if (strv_isempty(why))
                return 0;
        r = strv_join(why, "; ", &all);
        if (r < 0)
                return r;
        return outcome_fail(o, -EPERM, "%s. The new firewall would cut SSH off there (--force overrides)", all);
}

static int firewall_preflight(Context *c, const FindingList *all, Outcome *o) {
        int r;

        if (!c->live)
                return 0;
        r = preflight_session(c, o);
        if (r < 0)
                return r;
        return preflight_sshd(c, o);
}

/* ---- apply ---- */

static int apply_family(const Policy *p, const FwSshd *sshd, const NfOps *ops, bool repair, Outcome *o) {
        _cleanup_(fw_wanted_done) FwWanted w = {};
        _cleanup_(fw_actual_done) FwActual mine = {}, input = {};
        _cleanup_(fw_foreign_list_done) FwForeignList foreign = {};
        _cleanup_strv_free_ char **changes = NULL;
        _cleanup_free_ char *why = NULL;
        struct xtc_handle *h = NULL;
        const char *call = NULL;
        bool exists;
        int r, err = 0;

        r = fw_wanted_build(p, sshd, ops, &w);
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
                for (size_t i = 0; i < w.set.n_rules; i++)
                        if (!ops->append_entry(FW_CHAIN, w.entries[i], h)) {
                                err = errno, call = "append_entry";
                                goto fail;
                        }
                if ((r = strv_extendf(&changes, "%s: %s " FW_CHAIN " with %zu rules", ops->name,
                                      exists ? "rebuilt" : "created", w.set.n_rules)) < 0)
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
        r = fw_foreign_find(ops, h, &w.set, w.jump, p->firewall.reject_tail && !repair, &foreign);
        if (r < 0)
                goto finish;
        for (size_t i = 0; i < foreign.n; i++) {
                const FwForeign *f = &foreign.items[i];

                if (f->harmless && !repair)
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

                if (f->harmless && !repair)
                        continue;
                if (!ops->delete_num_entry("INPUT", (unsigned) f->rule, h)) {
                        err = errno, call = "delete_num_entry";
                        goto fail;
                }
        }

        for (size_t i = 0; i < ELEMENTSOF(builtin_chains); i++) {
                const char *want = want_policy(&w, builtin_chains[i]);

                if (streq_ptr(ops->get_policy(builtin_chains[i], h), want))
                        continue;
                if (!ops->set_policy(builtin_chains[i], want, h)) {
                        err = errno, call = "set_policy";
                        goto fail;
                }
                if ((r = strv_extendf(&changes, "%s: %s policy %s", ops->name, builtin_chains[i], want)) < 0)
                        goto finish;
        }

        if (!strv_isempty(changes)) {
                if (!ops->commit(h)) {
                        err = errno, call = "commit";
                        goto fail;
                }
                STRV_FOREACH (s, changes)
                        if ((r = outcome_change(o, "%s", *s)) < 0)
                                goto finish;
        }
        r = 0;
        goto finish;

fail:
        r = err > 0 ? -err : -EIO;
        if (nf_error(ops, call, err, &why) < 0)
                r = -ENOMEM;
        else
                (void) outcome_fail(o, r, "%s (nothing in the %s table was changed)", why, ops->name);
finish:
        fw_actual_done(&mine);
        fw_actual_done(&input);
        nf_handle_free(ops, &h);
        return r;
}

static int firewall_apply(Context *c, const FindingList *mine, Outcome *o) {
        const FwBackend *b = fw_backend(c);
        _cleanup_(fw_sshd_done) FwSshd sshd = {};
        _cleanup_close_ int lock = -EBADF;
        int r;

        if (!c->live)
                return 0;               /* the image's first boot does it */
        r = fw_sshd_probe(c, b, &sshd); /* as the probe saw it: kept in the Context */
        if (r < 0)
                return outcome_fail(o, r, "cannot tell where sshd listens: %s", strerror(-r));

        lock = b->lock(FW_LOCK_TIMEOUT_MS);
        if (lock == -EBUSY)
                return outcome_fail(o, lock, "the xtables lock %s is held by another program (waited %u s)",
                                    NF_LOCK_PATH, FW_LOCK_TIMEOUT_MS / 1000);
        if (lock < 0)
                return outcome_fail(o, lock, "cannot take the xtables lock %s: %s", NF_LOCK_PATH, strerror(-lock));

        r = apply_family(c->policy, &sshd, b->nf_ops[0], c->repair, o);
        if (r >= 0 && c->policy->firewall.ipv6)
                r = apply_family(c->policy, &sshd, b->nf_ops[1], c->repair, o);
        return r;
}

static bool firewall_enabled(const Policy *p) {
        return p->firewall.enable;
}

/* Module.snapshot_state: both filter tables as the kernel holds them, under the xtables lock (the
 * snapshot reads the kernel's tables itself, rollback.h: "apply --confirm" runs on the live system
 * only). */
static int firewall_snapshot_state(Context *c, Snapshot *s) {
        _cleanup_close_ int lock = -EBADF;
        int r;

        lock = fw_backend(c)->lock(FW_LOCK_TIMEOUT_MS * 2);
        if (lock < 0)
                return lock;
        r = snapshot_add_table(s, AF_INET, "ipv4");
        if (r >= 0)
                r = snapshot_add_table(s, AF_INET6, "ipv6");
        return r;
}

const Module firewall_module = {
        .id = MODULE_FIREWALL,
        .name = MODULE_NAME,
        .policy = &firewall_policy_section,
        .enabled = firewall_enabled,
        .probe = firewall_probe,
        .preflight = firewall_preflight,
        .apply = firewall_apply,
        .snapshot_state = firewall_snapshot_state,
};
