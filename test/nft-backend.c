/* SPDX-License-Identifier: GPL-2.0-or-later */
/* For test-nft.sh: nft-backend POLICY apply|probe|remove|installed|save FILE|restore FILE
 * Drives the nftables backend of the firewall module with the rulesets of POLICY (ssh.port as the
 * SSH port) and prints its findings ("KIND CHECK SUBJECT: expected E, actual A") or changes
 * ("change: ..."); save and restore put table inet hardend into FILE and back (FILE empty: there
 * was none). Exit status: 0 done (probe: no drift), 1 probe found drift, 2 usage or policy, 4
 * failed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "engine.h"
#include "finding.h"
#include "firewall-backend.h"
#include "macro.h"
#include "policy.h"
#include "strv.h"
#include "sys/nft.h"

static void print_outcome(const Outcome *o) {
        STRV_FOREACH (s, o->changes)
                printf("change: %s\n", *s);
        if (o->error)
                fprintf(stderr, "error: %s\n", o->error);
}

static int save_restore(const char *op, const char *path) {
        _cleanup_free_ char *text = NULL, *err = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        size_t n;
        int r;

        if (streq(op, "save")) {
                r = nft_table_save("inet", "hardend", &text);
                if (r < 0) {
                        fprintf(stderr, "error: %s\n", strerror(-r));
                        return 4;
                }
                f = fopen(path, "we");
                if (!f || fputs(strempty(text), f) < 0 || fflush(f) != 0) {
                        fprintf(stderr, "error: %s: %m\n", path);
                        return 4;
                }
                return 0;
        }
        text = calloc(1, 1 << 20);
        f = fopen(path, "re");
        if (!text || !f) {
                fprintf(stderr, "error: %s: %m\n", path);
                return 4;
        }
        n = fread(text, 1, (1 << 20) - 1, f);
        r = nft_table_restore("inet", "hardend", n > 0 ? text : NULL, &err);
        if (r < 0) {
                fprintf(stderr, "error: %s\n", err ?: strerror(-r));
                return 4;
        }
        return 0;
}

int main(int argc, char **argv) {
        _cleanup_policy_free_ Policy *p = NULL;
        const FwBackendOps *ops = &fw_backend_nftables;
        FindingList findings = {};
        _cleanup_free_ char *why = NULL;
        PolicyError e = {};
        Outcome o = {};
        FwWant w = {};
        int r, rc = 0;

        if (argc != 3 && !(argc == 4 && (streq(argv[2], "save") || streq(argv[2], "restore")))) {
                fprintf(stderr, "usage: %s POLICY apply|probe|remove|installed|save FILE|restore FILE\n", argv[0]);
                return 2;
        }
        r = policy_load_file(argv[1], &p, &e);
        if (r < 0) {
                fprintf(stderr, "%s:%u: %s\n", strna(e.file), e.line, strna(e.message));
                policy_error_done(&e);
                return 2;
        }
        w.policy = p;
        w.n_sets = p->firewall.ipv6 ? 2 : 1;
        for (size_t i = 0; i < w.n_sets; i++) {
                r = fw_ruleset_build(&p->firewall, &p->ssh.port, 1, i == 0 ? AF_INET : AF_INET6, &w.sets[i]);
                if (r < 0) {
                        fprintf(stderr, "cannot build the ruleset: %s\n", strerror(-r));
                        return 2;
                }
        }

        r = ops->usable(&w, &why);
        if (r <= 0) {
                fprintf(stderr, "nftables not usable: %s\n", r < 0 ? strerror(-r) : why);
                rc = 4;
        } else if (streq(argv[2], "apply") || streq(argv[2], "remove")) {
                r = streq(argv[2], "apply") ? ops->apply(&w, &o) : ops->remove(&w, &o);
                print_outcome(&o);
                if (r < 0) {
                        if (!o.error)
                                fprintf(stderr, "error: %s\n", strerror(-r));
                        rc = 4;
                }
        } else if (streq(argv[2], "probe")) {
                r = ops->probe(&w, &findings);
                for (size_t i = 0; i < findings.n; i++) {
                        const Finding *f = &findings.items[i];

                        printf("%s %s %s: expected %s, actual %s\n", finding_kind_to_string(f->kind), f->check,
                               f->subject, strna(f->expected), strna(f->actual));
                        if (f->kind == FINDING_DRIFT)
                                rc = rc ?: 1;
                        if (f->kind == FINDING_UNKNOWN)
                                rc = 4;
                }
                if (r < 0) {
                        fprintf(stderr, "error: %s\n", strerror(-r));
                        rc = 4;
                }
        } else if (streq(argv[2], "installed")) {
                r = ops->installed(&w);
                if (r < 0)
                        rc = 4;
                else
                        printf("%s\n", r ? "yes" : "no");
        } else if (argc == 4) {
                rc = save_restore(argv[2], argv[3]);
        } else {
                fprintf(stderr, "unknown operation %s\n", argv[2]);
                rc = 2;
        }

        finding_list_done(&findings);
        outcome_done(&o);
        for (size_t i = 0; i < w.n_sets; i++)
                fw_ruleset_done(&w.sets[i]);
        return rc;
}
