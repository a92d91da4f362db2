/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "firewall-foreign.h"
#include "strv.h"

/* the kernel allows a few more levels; a ruleset this deep is not hand-made */
#define WALK_DEPTH  16
#define WALK_BUDGET 100000 /* rules looked at, over every path */

typedef enum Verdict {
        VERDICT_NONE,   /* this rule itself never accepts (DROP, RETURN, LOG, MARK, ...) */
        VERDICT_ACCEPT, /* ACCEPT */
        VERDICT_MAYBE,  /* a target that may accept (QUEUE, NFQUEUE, one we do not know) */
        VERDICT_CHAIN,  /* a jump or goto into a user chain */
        VERDICT_OURS,   /* FW_CHAIN: it accepts only what the policy does */
} Verdict;

/* Targets that never accept a packet themselves: they drop it, return, or change or log it and
 * let it go on to the next rule. */
static const char *const passing_targets[] = {
        "",        "DROP",        "RETURN", "REJECT", "LOG",     "NFLOG",     "ULOG", "MARK",     "CONNMARK",
        "SECMARK", "CONNSECMARK", "SET",    "AUDIT",  "TRACE",   "CLASSIFY",  "DSCP", "TOS",      "TTL",
        "HL",      "TCPMSS",      "TEE",    "CT",     "NOTRACK", "IDLETIMER", "LED",  "CHECKSUM", "HMARK",
};

static Verdict verdict_of(const NfOps *ops, struct xtc_handle *h, const char *label) {
        label = strempty(label);
        if (streq(label, "ACCEPT"))
                return VERDICT_ACCEPT;
        if (streq(label, FW_CHAIN))
                return VERDICT_OURS;
        for (size_t i = 0; i < ELEMENTSOF(passing_targets); i++)
                if (streq(label, passing_targets[i]))
                        return VERDICT_NONE;
        if (!streq(label, "QUEUE") && ops->is_chain(label, h))
                return VERDICT_CHAIN;
        return VERDICT_MAYBE;
}

typedef struct Walk {
        const NfOps *ops;
        struct xtc_handle *h;
        const FwRuleset *want;
        const char *stack[WALK_DEPTH]; /* the chains on the current path, INPUT first */
        size_t depth;
        unsigned budget;
} Walk;

static int walk_chain(Walk *w, const char *chain, const FwSpan *span, char **ret_path);

/* 1 and how, when rule k (entry e) of chain can accept a packet of span that FW_CHAIN does not. */
static int walk_rule(Walk *w, const char *chain, size_t k, const void *e, const FwSpan *span, char **ret_path) {
        const char *label = w->ops->get_target(e, w->h);
        _cleanup_free_ char *desc = NULL, *sub = NULL;
        FwSpan own, s;
        Verdict v;
        int r;

        if (w->budget == 0)
                return asprintf(ret_path, "%s rule %zu: too many rules to follow", chain, k + 1) < 0 ? -ENOMEM : 1;
        w->budget--;
        nf_entry_span(w->ops, e, &own);
        if (!fw_span_intersect(span, &own, &s))
                return 0; /* no packet that comes this way matches it */
        v = verdict_of(w->ops, w->h, label);
        switch (v) {
        case VERDICT_NONE:
        case VERDICT_OURS:
                return 0;
        case VERDICT_ACCEPT:
        case VERDICT_MAYBE:
                if (fw_ruleset_covers(w->want, &s))
                        return 0;
                r = nf_entry_describe(w->ops, e, label, &desc);
                if (r < 0)
                        return r;
                return asprintf(ret_path, "%s rule %zu: %s%s", chain, k + 1, desc,
                                v == VERDICT_MAYBE ? " (a target that may accept)" : "") < 0
                               ? -ENOMEM
                               : 1;
        case VERDICT_CHAIN:
                break;
        }

        for (size_t i = 0; i < w->depth; i++)
                if (streq(w->stack[i], label))
                        return 0; /* a loop (the kernel refuses them; libiptc's view may not) */
        if (w->depth >= WALK_DEPTH)
                return asprintf(ret_path, "%s rule %zu -> %s: chains nested deeper than %d", chain, k + 1, label,
                                WALK_DEPTH) < 0
                               ? -ENOMEM
                               : 1;
        w->stack[w->depth++] = label;
        r = walk_chain(w, label, &s, &sub);
        w->depth--;
        if (r <= 0)
                return r;
        return asprintf(ret_path, "%s rule %zu%s -> %s", chain, k + 1, nf_entry_is_goto(w->ops, e) ? " (goto)" : "",
                        sub) < 0
                       ? -ENOMEM
                       : 1;
}

/* The entries of chain. libiptc iterates with one cursor per handle (next_rule ignores its
 * argument), so a chain is read whole before the walk descends into another. */
static int chain_entries(const NfOps *ops, struct xtc_handle *h, const char *chain, const void ***ret, size_t *ret_n) {
        _cleanup_free_ const void **v = NULL;
        size_t n = 0, allocated = 0;

        for (const void *e = ops->first_rule(chain, h); e; e = ops->next_rule(e, h)) {
                if (ARRAY_GROW(v, &allocated, n + 1) < 0)
                        return -ENOMEM;
                v[n++] = e;
        }
        *ret = TAKE_PTR(v);
        *ret_n = n;
        return 0;
}

static int walk_chain(Walk *w, const char *chain, const FwSpan *span, char **ret_path) {
        _cleanup_free_ const void **v = NULL;
        size_t n;
        int r;

        r = chain_entries(w->ops, w->h, chain, &v, &n);
        if (r < 0)
                return r;
        for (size_t k = 0; k < n; k++) {
                r = walk_rule(w, chain, k, v[k], span, ret_path);
                if (r != 0)
                        return r;
        }
        return 0;
}

void fw_foreign_list_done(FwForeignList *l) {
        for (size_t i = 0; i < l->n; i++) {
                free(l->items[i].entry);
                free(l->items[i].path);
        }
        free(l->items);
        *l = (FwForeignList){};
}

static int list_add(FwForeignList *l, const NfOps *ops, struct xtc_handle *h, size_t rule, const void *e, char *path,
                    bool harmless) {
        _cleanup_free_ char *p = path, *entry = NULL;
        int r;

        r = nf_entry_describe(ops, e, ops->get_target(e, h), &entry);
        if (r < 0)
                return r;
        if (!p && asprintf(&p, "INPUT rule %zu: %s", rule + 1, entry) < 0)
                return -ENOMEM;
        if (ARRAY_GROW_ONE(l->items, l->n) < 0)
                return -ENOMEM;
        l->items[l->n++] =
                (FwForeign){ .rule = rule, .entry = TAKE_PTR(entry), .path = TAKE_PTR(p), .harmless = harmless };
        return 0;
}

int fw_foreign_find(const NfOps *ops, struct xtc_handle *h, const FwRuleset *want, const void *jump, bool reject_tail,
                    FwForeignList *ret) {
        _cleanup_(fw_foreign_list_done) FwForeignList l = {};
        Walk w = { .ops = ops, .h = h, .want = want, .stack = { "INPUT" }, .depth = 1, .budget = WALK_BUDGET };
        FwSpan any = fw_span_any(ops->family);
        _cleanup_free_ const void **v = NULL;
        size_t n;
        int r;

        r = chain_entries(ops, h, "INPUT", &v, &n);
        if (r < 0)
                return r;
        for (size_t j = 0; j < n; j++) {
                const void *e = v[j];
                const char *label = ops->get_target(e, h);
                char *path = NULL;

                if (streq_ptr(label, FW_CHAIN)) {
                        if (reject_tail && jump && nf_entry_same_match(ops, e, jump) && !nf_entry_is_goto(ops, e))
                                break; /* FW_CHAIN decides every packet: nothing below is reached */
                        continue;
                }
                r = walk_rule(&w, "INPUT", j, e, &any, &path);
                if (r < 0)
                        return r;
                if (r > 0)
                        r = list_add(&l, ops, h, j, e, path, false);
                else if (streq_ptr(label, "ACCEPT"))
                        r = list_add(&l, ops, h, j, e, NULL, true);
                if (r < 0)
                        return r;
        }
        *ret = l;
        l = (FwForeignList){};
        return 0;
}
