/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>

#include "output.h"
#include "strv.h"

static void json_add_string(json_object *o, const char *key, const char *v) {
        json_object_object_add(o, key, v ? json_object_new_string(v) : NULL);
}

json_object *json_finding(const Finding *f) {
        json_object *o = json_object_new_object();

        json_add_string(o, "module", f->module);
        json_add_string(o, "check", f->check);
        json_add_string(o, "subject", f->subject);
        json_add_string(o, "kind", finding_kind_to_string(f->kind));
        json_add_string(o, "severity", severity_to_string(f->severity));
        json_object_object_add(o, "fixable", json_object_new_boolean(f->fixable));
        json_add_string(o, "expected", f->expected);
        json_add_string(o, "actual", f->actual);
        return o;
}

json_object *json_findings(const FindingList *l, const char *module) {
        json_object *a = json_object_new_array();

        for (size_t i = 0; i < l->n; i++)
                if (!module || streq(l->items[i].module, module))
                        json_object_array_add(a, json_finding(&l->items[i]));
        return a;
}

json_object *json_modules(const Context *c, const Module *const *modules, size_t n, const FindingList *l) {
        json_object *a = json_object_new_array();

        for (size_t i = 0; i < n; i++) {
                json_object *o = json_object_new_object();

                json_add_string(o, "name", modules[i]->name);
                json_add_string(o, "state", module_state_to_string(engine_module_state(c, modules[i], l)));
                json_object_object_add(o, "findings", json_findings(l, modules[i]->name));
                json_object_array_add(a, o);
        }
        return a;
}

static json_object *json_strv(char **l) {
        json_object *a = json_object_new_array();

        STRV_FOREACH (s, l)
                json_object_array_add(a, json_object_new_string(*s));
        return a;
}

json_object *json_apply_result(const ApplyResult *a) {
        json_object *o = json_object_new_object(), *mods = json_object_new_array();

        for (size_t i = 0; i < a->n_modules; i++) {
                const ModuleResult *mr = &a->modules[i];
                json_object *m = json_object_new_object();

                json_add_string(m, "name", mr->module->name);
                json_object_object_add(m, "ran", json_object_new_boolean(mr->ran));
                json_add_string(m, "result", !mr->ran ? "nothing to do" : mr->r < 0 ? "failed" : "ok");
                json_object_object_add(m, "changes", json_strv(mr->outcome.changes));
                json_add_string(m, "error", mr->outcome.error);
                json_object_array_add(mods, m);
        }
        json_add_string(o, "result",
                        a->refused                 ? "refused"
                        : a->status == EXIT_FAILED ? "failed"
                        : a->changed               ? "applied"
                                                   : "compliant");
        json_object_object_add(o, "exit_status", json_object_new_int(a->status));
        json_object_object_add(o, "changed", json_object_new_boolean(a->changed));
        json_object_object_add(o, "modules", mods);
        json_object_object_add(o, "findings_before", json_findings(&a->before, NULL));
        json_object_object_add(o, "findings_after", json_findings(&a->after, NULL));
        return o;
}

int json_print(json_object *o) {
        const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED);
        int r = puts(s) < 0 ? -EIO : 0;

        json_object_put(o);
        return r;
}

void print_policy_header(const Context *c) {
        printf("Policy: %s\n", c->policy->source);
        if (!c->live)
                printf("Root:   %s\n", c->root);
}

void print_findings(const FindingList *l, const char *module, bool fixable_only, const char *indent) {
        for (size_t i = 0; i < l->n; i++) {
                const Finding *f = &l->items[i];
                _cleanup_free_ char *text = NULL;

                if (module && !streq(f->module, module))
                        continue;
                if (fixable_only && !(f->fixable && f->kind == FINDING_DRIFT))
                        continue;
                if (finding_format(f, &text) < 0)
                        continue;
                printf("%s%-7s %s%s\n", indent,
                       f->kind == FINDING_DRIFT ? severity_to_string(f->severity) : finding_kind_to_string(f->kind),
                       text, f->kind == FINDING_DRIFT && !f->fixable ? "  [report only]" : "");
        }
}

void print_modules(const Context *c, const Module *const *modules, size_t n, const FindingList *l) {
        if (n == 0)
                printf("No modules are built into this version.\n");
        for (size_t i = 0; i < n; i++) {
                ModuleState s = engine_module_state(c, modules[i], l);

                printf("%-9s %s\n", modules[i]->name, module_state_to_string(s));
                print_findings(l, modules[i]->name, false, "  ");
        }
}

void print_apply_result(const ApplyResult *a) {
        for (size_t i = 0; i < a->n_modules; i++) {
                const ModuleResult *mr = &a->modules[i];

                if (!mr->ran) {
                        printf("%-9s nothing to do\n", mr->module->name);
                        continue;
                }
                printf("%-9s %s\n", mr->module->name, mr->r < 0 ? "FAILED" : a->refused ? "refused" : "applied");
                STRV_FOREACH (s, mr->outcome.changes)
                        printf("  %s\n", *s);
                if (mr->outcome.error)
                        printf("  error: %s\n", mr->outcome.error);
        }
        if (a->after.n > 0 && a->status == EXIT_FAILED) {
                printf("Still differing after apply:\n");
                print_findings(&a->after, NULL, true, "  ");
        }
}
