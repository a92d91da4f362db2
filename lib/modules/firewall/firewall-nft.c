/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "firewall-backend.h"
#include "firewall-nft-rules.h"
#include "firewall-nft-verified.h"
#include "macro.h"
#include "rollback.h"
#include "strv.h"
#include "sys/nft.h"
#include "sys/nftables.h"

#define MODULE_NAME "firewall"

static void json_putp(json_object **o) {
        if (*o)
                (void) json_object_put(*o);
}
#define _cleanup_json_ __attribute__((cleanup(json_putp)))

/* ---- the listing's JSON ---- */

static const char *jstr(json_object *o, const char *key) {
        json_object *v;

        return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
                       ? json_object_get_string(v)
                       : NULL;
}

static bool jint(json_object *o, const char *key, int64_t *ret) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
                return false;
        *ret = json_object_get_int64(v);
        return true;
}

/* The body of the n-th item of a listing if it is a kind ("chain", "set", "rule", "table"). */
static json_object *item(json_object *items, size_t n, const char *kind) {
        json_object *v;

        return json_object_object_get_ex(json_object_array_get_idx(items, n), kind, &v) ? v : NULL;
}

static json_object *find_named(json_object *items, const char *kind, const char *name) {
        for (size_t i = 0; i < json_object_array_length(items); i++) {
                json_object *o = item(items, i, kind);

                if (o && streq_ptr(jstr(o, "name"), name))
                        return o;
        }
        return NULL;
}

/* ---- what the kernel holds ---- */

typedef struct Have {
        bool inet, ip;       /* table inet hardend, table ip hardend */
        json_object *table;  /* the listing of the wanted family's table; NULL: there is none */
        json_object *chains; /* every chain listed (read_have()); NULL: not listed */
        NftRuleList rules;   /* its rules as nft prints them */
} Have;

static void have_done(Have *h) {
        json_putp(&h->table);
        json_putp(&h->chains);
        nft_rule_list_done(&h->rules);
        *h = (Have){};
}

static bool have_table(const Have *h, const char *family) {
        return streq(family, "inet") ? h->inet : h->ip;
}

static const char *other_family(const char *family) {
        return streq(family, "inet") ? "ip" : "inet";
}

/* Which of hardend's tables exist, asked of the kernel over nfnetlink: libnftables would fetch
 * every rule of the ruleset for a "list tables". */
static int read_tables(NftCtx *c, Have *h, char **ret_error) {
        _cleanup_strv_free_ char **tables = NULL;
        int r;

        r = nft_list_tables(&tables);
        if (r < 0) {
                if (ret_error)
                        (void) asprintf(ret_error, "cannot list the nftables tables: %s", strerror(-r));
                return r;
        }
        h->inet = strv_contains(tables, "inet " FW_NFT_TABLE);
        h->ip = strv_contains(tables, "ip " FW_NFT_TABLE);
        return 0;
}

/* One listing of the chains (of every table when foreign, else of family's tables) and, when
 * hardend's table is there, of its family's sets: hardend's chains and sets go to h->table, every
 * chain to h->chains. */
static int list_objects(NftCtx *c, const char *family, bool foreign, Have *h, char **ret_error) {
        _cleanup_json_ json_object *l = NULL, *mine = NULL;
        _cleanup_free_ char *cmd = NULL;
        bool table = have_table(h, family);
        int r;

        if (asprintf(&cmd, "list chains%s%s%s%s", foreign ? "" : " ", foreign ? "" : family,
                     table ? "\nlist sets " : "", table ? family : "") < 0)
                return -ENOMEM;
        r = nft_list_json(c, cmd, &l, ret_error);
        if (r < 0)
                return r;
        mine = json_object_new_array();
        if (!mine)
                return -ENOMEM;
        for (size_t i = 0; table && i < json_object_array_length(l); i++) {
                json_object *o = item(l, i, "chain") ?: item(l, i, "set");

                if (!o || !streq_ptr(jstr(o, "table"), FW_NFT_TABLE) || !streq_ptr(jstr(o, "family"), family))
                        continue;
                if (json_object_array_add(mine, json_object_get(json_object_array_get_idx(l, i))) < 0)
                        return -ENOMEM;
        }
        if (table)
                h->table = TAKE_PTR(mine);
        h->chains = TAKE_PTR(l);
        return 0;
}

/* What the kernel holds of hardend's table of family and, with foreign, the chains of every table
 * (foreign_findings()). Three listings at most: the tables (over nfnetlink), the chains and sets,
 * the rules once as text: a table of ten thousand rules is read one time, not twice. */
static int read_have(NftCtx *c, const char *family, bool foreign, Have *ret, char **ret_error) {
        _cleanup_(have_done) Have h = {};
        int r;

        r = read_tables(c, &h, ret_error);
        if (r < 0)
                return r;
        if (have_table(&h, family) || foreign) {
                r = list_objects(c, family, foreign, &h, ret_error);
                if (r >= 0 && h.table)
                        r = nft_list_rules(c, family, FW_NFT_TABLE, &h.rules, ret_error);
                if (r == -ENOENT) { /* gone between the two listings */
                        json_putp(&h.table);
                        h.table = NULL;
                        h.inet = h.ip = false;
                } else if (r < 0)
                        return r;
        }
        *ret = h;
        h = (Have){};
        return 0;
}

/* The rules of chain in the kernel's order: the listing prints a chain's rules together. */
static const NftRuleText *chain_rules(const Have *h, const char *chain, size_t *ret_n) {
        size_t first = 0, n = 0;

        while (first < h->rules.n && !streq(h->rules.items[first].chain, chain))
                first++;
        while (first + n < h->rules.n && streq(h->rules.items[first + n].chain, chain))
                n++;
        *ret_n = n;
        return h->rules.items + first;
}

static bool chain_hook_ok(const FwNftChain *w, json_object *c) {
        int64_t prio;

        return streq_ptr(jstr(c, "type"), "filter") && streq_ptr(jstr(c, "hook"), w->hook) && jint(c, "prio", &prio) &&
               prio == 0;
}

static bool set_ok(const FwNftSet *w, json_object *s) {
        int64_t timeout, size;

        return streq_ptr(jstr(s, "type"), w->type) && jint(s, "timeout", &timeout) && timeout == w->timeout &&
               jint(s, "size", &size) && size == FW_NFT_SET_SIZE;
}

static bool chain_rules_equal(const FwNftChain *w, const Have *h) {
        size_t n = strv_length(w->rules), nh;
        const NftRuleText *have = chain_rules(h, w->name, &nh);

        if (nh != n)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!streq(have[i].text, w->rules[i]))
                        return false;
        return true;
}

static size_t count_items(json_object *items, const char *kind) {
        size_t n = 0;

        for (size_t i = 0; i < json_object_array_length(items); i++)
                n += !!item(items, i, kind);
        return n;
}

/* Whether the kernel holds exactly the table t (and not hardend's table of the other family). */
static bool table_equal(const FwNftTable *t, const Have *h) {
        if (!h->table || have_table(h, other_family(t->family)))
                return false;
        if (count_items(h->table, "set") != t->n_sets || count_items(h->table, "chain") != t->n_chains)
                return false;
        for (size_t i = 0; i < t->n_sets; i++) {
                json_object *s = find_named(h->table, "set", t->sets[i].name);

                if (!s || !set_ok(&t->sets[i], s))
                        return false;
        }
        for (size_t i = 0; i < t->n_chains; i++) {
                json_object *c = find_named(h->table, "chain", t->chains[i].name);

                if (!c || !chain_hook_ok(&t->chains[i], c) || !streq_ptr(jstr(c, "policy"), t->chains[i].policy) ||
                    !chain_rules_equal(&t->chains[i], h))
                        return false;
        }
        return true;
}

/* ---- probe ---- */

static int rule_findings(const FwNftTable *t, const FwNftChain *w, const Have *h, FindingList *out) {
        size_t nw = strv_length(w->rules), nh;
        const NftRuleText *rules = chain_rules(h, w->name, &nh);
        _cleanup_free_ ssize_t *match = NULL;
        _cleanup_free_ bool *used = NULL;
        ssize_t last = -1;
        bool order = true;
        int r;

        match = calloc(nw ?: 1, sizeof(ssize_t));
        used = calloc(nh ?: 1, sizeof(bool));
        if (!match || !used)
                return -ENOMEM;
        if (chain_rules_equal(w, h))
                return 0;
        for (size_t i = 0; i < nw; i++) {
                match[i] = -1;
                for (size_t j = 0; j < nh && match[i] < 0; j++)
                        if (!used[j] && streq(rules[j].text, w->rules[i])) {
                                match[i] = (ssize_t) j;
                                used[j] = true;
                        }
                if (match[i] >= 0) {
                        order = order && match[i] > last;
                        last = match[i];
                }
        }
        for (size_t i = 0; i < nw; i++) {
                const NftRuleText *have = i < nh && !used[i] ? &rules[i] : NULL;

                if (match[i] >= 0)
                        continue;
                if (have) {
                        _cleanup_free_ char *actual = NULL;

                        used[i] = true;
                        if (asprintf(&actual, "%s (handle %lu)", have->text, have->handle) < 0)
                                return -ENOMEM;
                        r = finding_addf(out, MODULE_NAME, "rule-changed", FINDING_DRIFT, SEVERITY_HIGH, true,
                                         w->rules[i], actual, "nftables %s " FW_NFT_TABLE " %s rule %zu", t->family,
                                         w->name, i + 1);
                } else
                        r = finding_addf(out, MODULE_NAME, "rule-missing", FINDING_DRIFT, SEVERITY_HIGH, true,
                                         w->rules[i], "missing", "nftables %s " FW_NFT_TABLE " %s %s", t->family,
                                         w->name, w->rules[i]);
                if (r < 0)
                        return r;
        }
        for (size_t j = 0; j < nh; j++) {
                const NftRuleText *have = &rules[j];
                _cleanup_free_ char *pos = NULL;

                if (used[j])
                        continue;
                if (asprintf(&pos, "rule %zu (handle %lu)", j + 1, have->handle) < 0)
                        return -ENOMEM;
                r = finding_addf(out, MODULE_NAME, "rule-extra", FINDING_DRIFT, SEVERITY_HIGH, true, "absent", pos,
                                 "nftables %s " FW_NFT_TABLE " %s %s", t->family, w->name, have->text);
                if (r < 0)
                        return r;
        }
        if (!order)
                return finding_addf(out, MODULE_NAME, "rule-order", FINDING_DRIFT, SEVERITY_MEDIUM, true,
                                    "the policy's order", "rules out of order", "nftables %s " FW_NFT_TABLE " %s",
                                    t->family, w->name);
        return 0;
}

static int chain_findings(const FwNftTable *t, const FwNftChain *w, const Have *h, FindingList *out) {
        json_object *c = find_named(h->table, "chain", w->name);
        bool input = streq(w->name, "input");
        int r;

        if (!c)
                return finding_addf(out, MODULE_NAME, "chain", FINDING_DRIFT, input ? SEVERITY_HIGH : SEVERITY_MEDIUM,
                                    true, "present", "missing", "nftables %s " FW_NFT_TABLE " %s", t->family, w->name);
        if (!chain_hook_ok(w, c)) {
                _cleanup_free_ char *want = NULL, *have = NULL;
                int64_t prio = 0;

                (void) jint(c, "prio", &prio);
                if (asprintf(&want, "type filter hook %s priority filter", w->hook) < 0 ||
                    asprintf(&have, "type %s hook %s priority %" PRId64, strna(jstr(c, "type")),
                             strna(jstr(c, "hook")), prio) < 0)
                        return -ENOMEM;
                r = finding_addf(out, MODULE_NAME, "chain", FINDING_DRIFT, SEVERITY_HIGH, true, want, have,
                                 "nftables %s " FW_NFT_TABLE " %s", t->family, w->name);
                if (r < 0)
                        return r;
        }
        if (!streq_ptr(jstr(c, "policy"), w->policy)) {
                r = finding_addf(out, MODULE_NAME, "chain-policy", FINDING_DRIFT,
                                 input ? SEVERITY_HIGH : SEVERITY_MEDIUM, true, w->policy, jstr(c, "policy") ?: "none",
                                 "nftables %s " FW_NFT_TABLE " %s", t->family, w->name);
                if (r < 0)
                        return r;
        }
        return rule_findings(t, w, h, out);
}

/* Sets and chains that the table holds beyond the wanted ones, and the wanted sets as held. */
static int extra_findings(const FwNftTable *t, const Have *h, FindingList *out) {
        int r;

        for (size_t i = 0; i < t->n_sets; i++) {
                json_object *s = find_named(h->table, "set", t->sets[i].name);
                _cleanup_free_ char *want = NULL, *have = NULL;
                int64_t timeout = -1, size = -1;

                if (s && set_ok(&t->sets[i], s))
                        continue;
                if (s) {
                        (void) jint(s, "timeout", &timeout);
                        (void) jint(s, "size", &size);
                }
                if (asprintf(&want, "type %s, size %u, timeout %us", t->sets[i].type, FW_NFT_SET_SIZE,
                             t->sets[i].timeout) < 0 ||
                    (s && asprintf(&have, "type %s, size %" PRId64 ", timeout %" PRId64 "s", strna(jstr(s, "type")),
                                   size, timeout) < 0))
                        return -ENOMEM;
                r = finding_addf(out, MODULE_NAME, "set", FINDING_DRIFT, SEVERITY_HIGH, true, want, have ?: "missing",
                                 "nftables %s " FW_NFT_TABLE " set %s", t->family, t->sets[i].name);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < json_object_array_length(h->table); i++) {
                json_object *c = item(h->table, i, "chain"), *s = item(h->table, i, "set");
                const char *name = jstr(c ?: s, "name");
                bool wanted = false;

                if (!c && !s)
                        continue;
                for (size_t j = 0; c && j < t->n_chains; j++)
                        wanted = wanted || streq_ptr(name, t->chains[j].name);
                for (size_t j = 0; s && j < t->n_sets; j++)
                        wanted = wanted || streq_ptr(name, t->sets[j].name);
                if (wanted)
                        continue;
                r = finding_addf(out, MODULE_NAME, c ? "chain" : "set", FINDING_DRIFT,
                                 c && streq_ptr(jstr(c, "hook"), "input") ? SEVERITY_HIGH : SEVERITY_MEDIUM, true,
                                 "absent", "present", "nftables %s " FW_NFT_TABLE " %s%s", t->family, c ? "" : "set ",
                                 strna(name));
                if (r < 0)
                        return r;
        }
        return 0;
}

static bool rule_accepts(json_object *rule) {
        json_object *expr;

        if (!json_object_object_get_ex(rule, "expr", &expr) || !json_object_is_type(expr, json_type_array))
                return false;
        for (size_t i = 0; i < json_object_array_length(expr); i++)
                if (json_object_object_get_ex(json_object_array_get_idx(expr, i), "accept", NULL))
                        return true;
        return false;
}

static bool is_ours(const char *family, const char *table) {
        return streq_ptr(table, FW_NFT_TABLE) && (streq_ptr(family, "inet") || streq_ptr(family, "ip"));
}

/* Another table's base chain on the input hook that accepts: nftables still runs hardend's chain
 * after it (an accept ends one base chain only; a drop is final), so nothing gets past hardend's
 * drop, but it is another firewall's rule beside ours worth knowing of. Reported, never removed. */
static int foreign_findings(NftCtx *ctx, const Have *h, FindingList *out) {
        json_object *chains = h->chains;
        int r;

        /* the rules of the few chains that matter: hardend's own table, however large, is not
         * read again */
        for (size_t i = 0; i < json_object_array_length(chains); i++) {
                json_object *c = item(chains, i, "chain");
                const char *family = c ? jstr(c, "family") : NULL, *table = c ? jstr(c, "table") : NULL;
                const char *name = c ? jstr(c, "name") : NULL;
                _cleanup_(nft_rule_list_done) NftRuleList texts = {};
                _cleanup_json_ json_object *all = NULL;
                _cleanup_free_ char *cmd = NULL;

                if (!c || !name || !streq_ptr(jstr(c, "hook"), "input") || is_ours(family, table) ||
                    !(streq_ptr(family, "ip") || streq_ptr(family, "ip6") || streq_ptr(family, "inet")) ||
                    !streq_ptr(jstr(c, "policy"), "accept"))
                        continue;
                if (asprintf(&cmd, "list chain %s %s %s", family, table, name) < 0)
                        return -ENOMEM;
                if (nft_list_json(ctx, cmd, &all, NULL) < 0)
                        continue; /* gone since the chains were listed */
                for (size_t j = 0; j < json_object_array_length(all); j++) {
                        json_object *rule = item(all, j, "rule");
                        const char *text;
                        int64_t handle;

                        if (!rule || !streq_ptr(jstr(rule, "family"), family) ||
                            !streq_ptr(jstr(rule, "table"), table) || !streq_ptr(jstr(rule, "chain"), name) ||
                            !rule_accepts(rule) || !jint(rule, "handle", &handle))
                                continue;
                        if (!texts.items && nft_list_rules(ctx, family, table, &texts, NULL) < 0)
                                texts = (NftRuleList){};
                        text = nft_rule_list_find(&texts, name, (unsigned long) handle);
                        r = finding_addf(out, MODULE_NAME, "foreign-accept", FINDING_INFO, SEVERITY_MEDIUM, false,
                                         "no accepting base chain on input beside hardend's",
                                         "policy accept, accepts what it matches; hardend's input chain still drops "
                                         "what the policy drops",
                                         "nftables %s %s %s: %s (handle %" PRId64 ")", family, table, name,
                                         strna(text), handle);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static int nft_probe(const FwWant *w, FindingList *out) {
        _cleanup_(fw_nft_table_done) FwNftTable t = {};
        _cleanup_(have_done) Have h = {};
        _cleanup_nft_ NftCtx *c = NULL;
        _cleanup_free_ char *err = NULL, *key = NULL;
        size_t n0 = out->n;
        bool equal;
        int r;

        r = fw_nft_table_build(w->sets, w->n_sets, &t);
        if (r < 0)
                return r;
        if (w->run_dir) {
                r = fw_nft_verified_key(&t, &key);
                if (r == -ENOMEM)
                        return r;
                r = fw_nft_verified_load(w->run_dir, key, out, &equal);
                if (r != 0)
                        return r < 0 ? r : 0;
        }
        r = nft_open(&c);
        if (r < 0)
                return r;
        r = read_have(c, t.family, true, &h, &err);
        if (r < 0)
                return finding_addf(out, MODULE_NAME, "table", FINDING_UNKNOWN, SEVERITY_HIGH, false, NULL,
                                    err ?: strerror(-r), "nftables table %s " FW_NFT_TABLE, t.family);
        if (have_table(&h, other_family(t.family))) {
                r = finding_addf(out, MODULE_NAME, "table", FINDING_DRIFT, SEVERITY_MEDIUM, true, "absent",
                                 streq(t.family, "ip") ? "present (firewall.ipv6 is off)"
                                                       : "present (firewall.ipv6 is on)",
                                 "nftables table %s " FW_NFT_TABLE, other_family(t.family));
                if (r < 0)
                        return r;
        }
        if (!h.table)
                r = finding_addf(out, MODULE_NAME, "table", FINDING_DRIFT, SEVERITY_HIGH, true, "present", "missing",
                                 "nftables table %s " FW_NFT_TABLE, t.family);
        else {
                r = extra_findings(&t, &h, out);
                for (size_t i = 0; r >= 0 && i < t.n_chains; i++)
                        r = chain_findings(&t, &t.chains[i], &h, out);
        }
        if (r < 0)
                return r;
        r = foreign_findings(c, &h, out);
        if (r >= 0)
                fw_nft_verified_save(w->run_dir, key, table_equal(&t, &h), out, n0);
        return r;
}

/* ---- apply, remove ---- */

static int nft_apply(const FwWant *w, Outcome *o) {
        _cleanup_(fw_nft_table_done) FwNftTable t = {};
        _cleanup_(have_done) Have h = {};
        _cleanup_nft_ NftCtx *c = NULL;
        _cleanup_free_ char *text = NULL, *cmds = NULL, *err = NULL;
        const char *other;
        bool drop_other;
        int r;

        r = fw_nft_table_build(w->sets, w->n_sets, &t);
        if (r < 0)
                return outcome_fail(o, r, "nftables: cannot build the table: %s", strerror(-r));
        r = fw_nft_table_text(&t, &text);
        if (r < 0)
                return outcome_fail(o, r, "nftables: cannot build the table: %s", strerror(-r));
        if (w->run_dir) {
                _cleanup_free_ char *key = NULL;
                bool equal;

                r = fw_nft_verified_key(&t, &key);
                if (r == -ENOMEM)
                        return outcome_fail(o, r, "nftables: %s", strerror(-r));
                r = fw_nft_verified_load(w->run_dir, key, NULL, &equal);
                if (r < 0)
                        return outcome_fail(o, r, "nftables: %s", strerror(-r));
                if (r > 0 && equal)
                        return 0;
        }
        r = nft_open(&c);
        if (r < 0)
                return outcome_fail(o, r, "nftables: %s", strerror(-r));
        r = read_have(c, t.family, false, &h, &err);
        if (r < 0)
                return outcome_fail(o, r, "nftables: cannot read the ruleset: %s", err ?: strerror(-r));
        if (table_equal(&t, &h))
                return 0;

        other = other_family(t.family);
        drop_other = have_table(&h, other);
        /* No table yet: "create" fails (EEXIST) should one appear meanwhile, and the table is then
         * replaced as below. Replacing, "add" makes the "delete" valid whatever happened since the
         * read: the kernel holds the old table or the new one. The delete costs the kernel more
         * than the whole definition, so the first boot does without it. */
        if (!h.table) {
                if (asprintf(&cmds, "create table %s " FW_NFT_TABLE "\n%s%s%s%s", t.family, text,
                             drop_other ? "delete table " : "", drop_other ? other : "",
                             drop_other ? " " FW_NFT_TABLE "\n" : "") < 0)
                        return outcome_fail(o, -ENOMEM, "nftables: %s", strerror(ENOMEM));
                r = nft_run(c, cmds, &err);
                if (r != -EEXIST)
                        goto done;
                cmds = mfree(cmds);
                err = mfree(err);
        }
        if (asprintf(&cmds, "add table %s " FW_NFT_TABLE "\ndelete table %s " FW_NFT_TABLE "\n%s%s%s%s", t.family,
                     t.family, text, drop_other ? "delete table " : "", drop_other ? other : "",
                     drop_other ? " " FW_NFT_TABLE "\n" : "") < 0)
                return outcome_fail(o, -ENOMEM, "nftables: %s", strerror(ENOMEM));
        r = nft_run(c, cmds, &err);
done:
        if (r < 0)
                return outcome_fail(o, r, "nftables: %s (nothing was changed)", err);
        r = outcome_change(o, "nftables: %s table %s " FW_NFT_TABLE " with %zu rules",
                           h.table ? "replaced" : "created", t.family, fw_nft_table_n_rules(&t));
        if (r >= 0 && drop_other)
                r = outcome_change(o, "nftables: removed table %s " FW_NFT_TABLE " (IPv6 is %s)", other,
                                   streq(t.family, "inet") ? "filtered now" : "left alone now");
        return r;
}

static int nft_installed(const FwWant *w) {
        _cleanup_nft_ NftCtx *c = NULL;
        Have h = {};
        int r;

        r = nft_open(&c);
        if (r < 0)
                return r;
        r = read_tables(c, &h, NULL);
        if (r < 0)
                return r;
        return h.inet || h.ip;
}

static int nft_remove(const FwWant *w, Outcome *o) {
        _cleanup_nft_ NftCtx *c = NULL;
        _cleanup_free_ char *err = NULL;
        Have h = {};
        int r;

        r = nft_open(&c);
        if (r < 0)
                return outcome_fail(o, r, "nftables: %s", strerror(-r));
        r = read_tables(c, &h, &err);
        if (r < 0)
                return outcome_fail(o, r, "nftables: cannot read the ruleset: %s", err ?: strerror(-r));
        if (!h.inet && !h.ip)
                return 0;
        r = nft_run(c,
                    h.inet && h.ip ? "delete table inet " FW_NFT_TABLE "\ndelete table ip " FW_NFT_TABLE "\n"
                    : h.inet       ? "delete table inet " FW_NFT_TABLE "\n"
                                   : "delete table ip " FW_NFT_TABLE "\n",
                    &err);
        if (r < 0)
                return outcome_fail(o, r, "nftables: %s (nothing was changed)", err);
        if (h.inet && (r = outcome_change(o, "nftables: removed table inet " FW_NFT_TABLE)) < 0)
                return r;
        if (h.ip && (r = outcome_change(o, "nftables: removed table ip " FW_NFT_TABLE)) < 0)
                return r;
        return 0;
}

/* Both of the tables this backend may hold (inet, or ip with IPv6 off), each restored whole. */
static int nft_snapshot(const FwWant *w, Snapshot *s) {
        int r = snapshot_add_nft_table(s, "inet", FW_NFT_TABLE);

        return r < 0 ? r : snapshot_add_nft_table(s, "ip", FW_NFT_TABLE);
}

static int nft_backend_usable(const FwWant *w, char **ret_why) {
        return nft_usable(ret_why);
}

const FwBackendOps fw_backend_nftables = {
        .name = "nftables",
        .usable = nft_backend_usable,
        .probe = nft_probe,
        .apply = nft_apply,
        .installed = nft_installed,
        .remove = nft_remove,
        .snapshot = nft_snapshot,
};
