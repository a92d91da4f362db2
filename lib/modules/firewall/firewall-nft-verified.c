/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <json-c/json.h>
#include <sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "firewall-nft-verified.h"
#include "macro.h"
#include "sys/fileio.h"
#include "sys/nftables.h"

/* "KEY\nequal|differs\n[FINDINGS as JSON]\n" */
#define VERIFIED_FILE "nft-verified"
#define VERIFIED_MAX  (4u * 1024 * 1024)

void fw_nft_verified_done(FwNftVerified *v) {
        free(v->key);
        *v = (FwNftVerified){};
}

int fw_nft_verified_key(const FwNftTable *t, char **ret) {
        _cleanup_free_ char *text = NULL, *stamp = NULL;
        char hex[SHA256_DIGEST_STRING_LENGTH];
        int r;

        r = nft_ruleset_stamp(&stamp);
        if (r < 0)
                return r;
        r = fw_nft_table_text(t, &text);
        if (r < 0)
                return r;
        if (!SHA256Data((const uint8_t *) text, strlen(text), hex))
                return -ENOMEM;
        return asprintf(ret, "%s table %s want sha256:%s", stamp, t->family, hex) < 0 ? -ENOMEM : 0;
}

static char *verified_path(const char *run_dir) {
        char *p;

        return run_dir && asprintf(&p, "%s/" VERIFIED_FILE, run_dir) >= 0 ? p : NULL;
}

static const char *jstring(json_object *o, const char *key) {
        json_object *v;

        return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
                       ? json_object_get_string(v)
                       : NULL;
}

static int add_finding(json_object *o, FindingList *out) {
        json_object *fixable;
        Finding f = {
                .module = (char *) jstring(o, "module"),
                .check = (char *) jstring(o, "check"),
                .subject = (char *) jstring(o, "subject"),
                .kind = finding_kind_from_string(jstring(o, "kind")),
                .severity = severity_from_string(jstring(o, "severity")),
                .expected = (char *) jstring(o, "expected"),
                .actual = (char *) jstring(o, "actual"),
        };

        if (!f.module || !f.check || !f.subject || f.kind < 0 || f.severity < 0 ||
            !json_object_object_get_ex(o, "fixable", &fixable) || !json_object_is_type(fixable, json_type_boolean))
                return -EBADMSG;
        f.fixable = json_object_get_boolean(fixable);
        return finding_add(out, &f);
}

int fw_nft_verified_load(const char *run_dir, const char *key, FindingList *out, bool *ret_equal) {
        _cleanup_free_ char *path = verified_path(run_dir), *text = NULL;
        _cleanup_(finding_list_done) FindingList l = {};
        json_object *all;
        char *state, *json;
        size_t kl;
        int r;

        if (!path || !key || read_private_file(path, VERIFIED_MAX, &text, NULL) < 0)
                return 0;
        kl = strlen(key);
        if (strncmp(text, key, kl) != 0 || text[kl] != '\n')
                return 0;
        state = text + kl + 1;
        json = state + strcspn(state, "\n");
        if (*json != '\n')
                return 0;
        *json++ = '\0';
        if (!streq(state, "equal") && !streq(state, "differs"))
                return 0;
        all = json_tokener_parse(json);
        if (!all || !json_object_is_type(all, json_type_array)) {
                json_object_put(all);
                return 0;
        }
        r = 0;
        for (size_t i = 0; r >= 0 && i < json_object_array_length(all); i++)
                r = add_finding(json_object_array_get_idx(all, i), &l);
        json_object_put(all);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return 0;
        if (out) {
                for (size_t i = 0; i < l.n; i++)
                        if ((r = finding_add(out, &l.items[i])) < 0)
                                return r;
        }
        *ret_equal = streq(state, "equal");
        return 1;
}

static int put_string(json_object *o, const char *key, const char *value) {
        json_object *v;

        if (!value)
                return 0;
        v = json_object_new_string(value);
        return v && json_object_object_add(o, key, v) >= 0 ? 0 : -ENOMEM;
}

static int findings_json(const FindingList *l, size_t from, char **ret) {
        json_object *all = json_object_new_array();
        int r = all ? 0 : -ENOMEM;

        for (size_t i = from; r >= 0 && i < l->n; i++) {
                const Finding *f = &l->items[i];
                json_object *o = json_object_new_object(), *b;

                if (!o || json_object_array_add(all, o) < 0) {
                        json_object_put(o);
                        r = -ENOMEM;
                        break;
                }
                r = put_string(o, "module", f->module);
                if (r >= 0)
                        r = put_string(o, "check", f->check);
                if (r >= 0)
                        r = put_string(o, "subject", f->subject);
                if (r >= 0)
                        r = put_string(o, "kind", finding_kind_to_string(f->kind));
                if (r >= 0)
                        r = put_string(o, "severity", severity_to_string(f->severity));
                if (r >= 0)
                        r = put_string(o, "expected", f->expected);
                if (r >= 0)
                        r = put_string(o, "actual", f->actual);
                b = r >= 0 ? json_object_new_boolean(f->fixable) : NULL;
                if (r >= 0 && (!b || json_object_object_add(o, "fixable", b) < 0))
                        r = -ENOMEM;
        }
        if (r >= 0) {
                const char *s = json_object_to_json_string_ext(all, JSON_C_TO_STRING_PLAIN);

                *ret = s ? strdup(s) : NULL;
                r = *ret ? 0 : -ENOMEM;
        }
        json_object_put(all);
        return r;
}

void fw_nft_verified_save(const char *run_dir, const char *key, bool equal, const FindingList *l, size_t from) {
        _cleanup_free_ char *path = verified_path(run_dir), *now = NULL, *json = NULL, *text = NULL;
        size_t nl;
        int k;

        if (!path || !key || nft_ruleset_stamp(&now) < 0)
                return;
        nl = strlen(now);
        if (strncmp(key, now, nl) != 0 || !startswith(key + nl, " table "))
                return;
        if (findings_json(l, from, &json) < 0)
                return;
        k = asprintf(&text, "%s\n%s\n%s\n", key, equal ? "equal" : "differs", json);
        if (k < 0)
                return;
        if (ensure_dir_at_root("/", run_dir, 0700, UID_KEEP, GID_KEEP) >= 0)
                (void) write_file_atomic("/", path, text, (size_t) k, 0600, UID_KEEP, GID_KEEP, NULL);
}
