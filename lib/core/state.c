/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <inttypes.h>
#include <sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "state.h"
#include "strv.h"
#include "sys/fileio.h"

void hardend_state_done(HardendState *s) {
        free(s->apply_result);
        free(s->apply_modules);
        free(s->policy_source);
        free(s->policy_digest);
        free(s->instance_id);
        free(s->firstboot_instance_id);
        free(s->rollback_reason);
        *s = (HardendState){};
}

static char *strip(char *s) {
        size_t l;

        while (isspace((unsigned char) *s))
                s++;
        l = strlen(s);
        while (l > 0 && isspace((unsigned char) s[l - 1]))
                s[--l] = 0;
        return s;
}

static int set_string(char **field, const char *v) {
        char *c = strdup(v);

        if (!c)
                return -ENOMEM;
        free(*field);
        *field = c;
        return 0;
}

int state_parse(char *text, HardendState *ret) {
        _cleanup_(hardend_state_done) HardendState s = {};
        char *save = NULL;
        int r;

        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *eq = strchr(line, '='), *k = line, *v;

                if (line[0] == '#' || !eq)
                        continue;
                *eq = 0;
                v = strip(eq + 1);
                k = strip(k);
                r = 0;
                if (isempty(v)) /* written for an unset value */
                        continue;
                if (streq(k, "LAST_APPLY_USEC")) {
                        char *end = NULL;
                        unsigned long long u;

                        errno = 0;
                        u = strtoull(v, &end, 10);
                        if (errno == 0 && end && *end == 0)
                                s.apply_usec = u;
                } else if (streq(k, "ROLLBACK_USEC")) {
                        char *end = NULL;
                        unsigned long long u;

                        errno = 0;
                        u = strtoull(v, &end, 10);
                        if (errno == 0 && end && *end == 0)
                                s.rollback_usec = u;
                } else if (streq(k, "ROLLBACK_REASON"))
                        r = set_string(&s.rollback_reason, v);
                else if (streq(k, "LAST_APPLY_RESULT"))
                        r = set_string(&s.apply_result, v);
                else if (streq(k, "LAST_APPLY_MODULES"))
                        r = set_string(&s.apply_modules, v);
                else if (streq(k, "POLICY_SOURCE"))
                        r = set_string(&s.policy_source, v);
                else if (streq(k, "POLICY_DIGEST"))
                        r = set_string(&s.policy_digest, v);
                else if (streq(k, "INSTANCE_ID"))
                        r = set_string(&s.instance_id, v);
                else if (streq(k, "FIRSTBOOT_INSTANCE_ID"))
                        r = set_string(&s.firstboot_instance_id, v);
                if (r < 0)
                        return r;
        }
        *ret = s;
        s = (HardendState){};
        return 0;
}

int state_read(const char *root, HardendState *ret) {
        _cleanup_free_ char *text = NULL;
        int r;

        r = read_file_at_root(root, STATE_PATH, true, 64 * 1024, &text, NULL);
        if (r < 0)
                return r;
        return state_parse(text, ret);
}

/* Values are single words or paths; a newline would forge a key, so it is refused. */
static bool value_ok(const char *v) {
        return !v || !strpbrk(v, "\n\r");
}

static const char *const state_parents[] = { "/var", "/var/lib", STATE_DIR };
#define FOREACH_STATE_PARENT(d) \
        for (const char *const *d = state_parents; d < state_parents + ELEMENTSOF(state_parents); d++)

static int ensure_state_dir(const char *root) {
        /* owned by whoever applies: root, except in the unit tests */
        FOREACH_STATE_PARENT(dir) {
                struct stat st;
                int r;

                /* an existing /var or /var/lib is left as it is */
                if (!streq(*dir, STATE_DIR) && lstat_at_root(root, *dir, &st) >= 0 && S_ISDIR(st.st_mode))
                        continue;
                r = ensure_dir_at_root(root, *dir, 0755, UID_KEEP, GID_KEEP);
                if (r < 0)
                        return r;
        }
        return 0;
}

int state_write(const char *root, const HardendState *s) {
        _cleanup_free_ char *text = NULL, *rollback = NULL;
        int r;

        if (!value_ok(s->apply_result) || !value_ok(s->apply_modules) || !value_ok(s->policy_source) ||
            !value_ok(s->policy_digest) || !value_ok(s->instance_id) || !value_ok(s->firstboot_instance_id) ||
            !value_ok(s->rollback_reason))
                return -EINVAL;
        if (s->rollback_usec && asprintf(&rollback, "ROLLBACK_USEC=%" PRIu64 "\nROLLBACK_REASON=%s\n",
                                         s->rollback_usec, strempty(s->rollback_reason)) < 0)
                return -ENOMEM;
        if (asprintf(&text,
                     "# Written by hardend after each apply; do not edit.\n"
                     "LAST_APPLY_USEC=%" PRIu64 "\n"
                     "LAST_APPLY_RESULT=%s\n"
                     "LAST_APPLY_MODULES=%s\n"
                     "POLICY_SOURCE=%s\n"
                     "POLICY_DIGEST=%s\n"
                     "INSTANCE_ID=%s\n"
                     "FIRSTBOOT_INSTANCE_ID=%s\n"
                     "%s",
                     s->apply_usec, strempty(s->apply_result), strempty(s->apply_modules), strempty(s->policy_source),
                     strempty(s->policy_digest), strempty(s->instance_id), strempty(s->firstboot_instance_id),
                     strempty(rollback)) < 0)
                return -ENOMEM;
        r = ensure_state_dir(root);
        if (r < 0)
                return r;
        return write_file_atomic(root, STATE_PATH, text, strlen(text), 0644, UID_KEEP, GID_KEEP, &atomic_ops_default);
}

static int read_id(const char *root, const char *path, char **ret) {
        _cleanup_free_ char *text = NULL;
        char *id, *c;
        int r;

        r = read_file_at_root(root, path, false, 4096, &text, NULL);
        if (r < 0)
                return r;
        id = strip(text);
        /* an id is one printable word; "uninitialized" is systemd's placeholder before first boot */
        if (isempty(id) || streq(id, "uninitialized"))
                return -ENXIO;
        for (const char *p = id; *p; p++)
                if (!isgraph((unsigned char) *p))
                        return -EBADMSG;
        c = strdup(id);
        if (!c)
                return -ENOMEM;
        *ret = c;
        return 0;
}

int state_instance_id(const char *root, char **ret) {
        int r = read_id(root, CLOUD_INSTANCE_ID_PATH, ret);

        if (r >= 0 || r == -ENOMEM)
                return r;
        r = read_id(root, MACHINE_ID_PATH, ret);
        if (r >= 0 || r == -ENOMEM)
                return r;
        return -ENXIO;
}

int policy_digest(const Policy *p, char **ret) {
        _cleanup_free_ char *text = NULL;
        char hex[SHA256_DIGEST_STRING_LENGTH];
        const char *data;
        size_t len;

        if (streq(p->source, POLICY_BUILTIN_NAME)) {
                data = policy_builtin_text;
                len = strlen(policy_builtin_text);
        } else {
                _cleanup_fclose_ FILE *f = fopen(p->source, "re");
                size_t allocated = 0;
                char buf[4096];
                size_t n;

                if (!f)
                        return -errno;
                len = 0;
                while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
                        if (len + n > allocated) {
                                size_t a = (len + n) * 2;
                                char *t = realloc(text, a);

                                if (!t)
                                        return -ENOMEM;
                                text = t;
                                allocated = a;
                        }
                        memcpy(text + len, buf, n);
                        len += n;
                }
                if (ferror(f))
                        return -EIO;
                data = text ?: "";
        }
        if (!SHA256Data((const uint8_t *) data, len, hex))
                return -ENOMEM;
        if (asprintf(ret, "sha256:%s", hex) < 0)
                return -ENOMEM;
        return 0;
}

const char *apply_result_to_string(const ApplyResult *a) {
        return a->refused ? "refused" : a->status == EXIT_FAILED ? "failed" : a->changed ? "applied" : "compliant";
}

static int modules_string(unsigned only, char **ret) {
        _cleanup_strv_free_ char **l = NULL;
        int r;

        if (only == 0) {
                *ret = strdup("all");
                return *ret ? 0 : -ENOMEM;
        }
        for (int i = 0; i < _MODULE_MAX; i++)
                if (only & (1u << i)) {
                        r = strv_extend(&l, module_id_to_string((ModuleId) i));
                        if (r < 0)
                                return r;
                }
        return strv_join(l, ",", ret);
}

int state_record_apply(const char *root, const Policy *p, unsigned only, const ApplyResult *a, uint64_t now_usec) {
        _cleanup_(hardend_state_done) HardendState s = {};
        const char *result = apply_result_to_string(a);
        int r;

        r = state_read(root, &s);
        if (r < 0 && r != -ENOENT)
                return r;
        s.apply_usec = now_usec;
        free(s.instance_id);
        s.instance_id = NULL;
        r = state_instance_id(root, &s.instance_id);
        if (r < 0 && r != -ENXIO)
                return r;
        free(s.policy_digest);
        s.policy_digest = NULL;
        r = policy_digest(p, &s.policy_digest);
        if (r < 0)
                return r;
        free(s.apply_modules);
        s.apply_modules = NULL;
        r = modules_string(only, &s.apply_modules);
        if (r < 0)
                return r;
        if (set_string(&s.apply_result, result) < 0 || set_string(&s.policy_source, p->source) < 0)
                return -ENOMEM;
        /* Only a complete apply that left the live system compliant counts as the first boot. */
        if (root_is_live(root) && only == 0 && s.instance_id && a->status == EXIT_COMPLIANT &&
            set_string(&s.firstboot_instance_id, s.instance_id) < 0)
                return -ENOMEM;
        return state_write(root, &s);
}

int state_firstboot_needed(const char *root, char **ret_instance_id) {
        _cleanup_(hardend_state_done) HardendState s = {};
        _cleanup_free_ char *id = NULL;
        int r, needed;

        r = state_instance_id(root, &id);
        if (r < 0 && r != -ENXIO)
                return r;
        r = state_read(root, &s);
        if (r < 0 && r != -ENOENT)
                return r;
        /* Without any id we cannot tell instances apart: run when there is no record at all. */
        if (!id)
                needed = !s.firstboot_instance_id;
        else
                needed = !streq_ptr(s.firstboot_instance_id, id);
        if (ret_instance_id)
                *ret_instance_id = TAKE_PTR(id);
        return needed;
}

int state_record_rollback(const char *root, const char *reason, uint64_t now_usec) {
        _cleanup_(hardend_state_done) HardendState s = {};
        int r;

        r = state_read(root, &s);
        if (r < 0 && r != -ENOENT)
                return r;
        r = set_string(&s.apply_result, "rolled-back");
        if (r >= 0)
                r = set_string(&s.rollback_reason, reason);
        if (r < 0)
                return r;
        s.rollback_usec = now_usec;
        if (!s.apply_usec)
                s.apply_usec = now_usec;
        return state_write(root, &s);
}

int state_read_drift_events(const char *root, uint64_t ret[_MODULE_MAX]) {
        _cleanup_free_ char *text = NULL;
        uint64_t counts[_MODULE_MAX] = {};
        char *save = NULL;
        int r;

        r = read_file_at_root(root, DRIFT_EVENTS_PATH, true, 64 * 1024, &text, NULL);
        if (r < 0 && r != -ENOENT)
                return r;
        for (char *line = r < 0 ? NULL : strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *eq = strchr(line, '='), *end = NULL;
                unsigned long long u;
                ModuleId id;

                if (line[0] == '#' || !eq)
                        continue;
                *eq = 0;
                id = module_id_from_string(strip(line));
                errno = 0;
                u = strtoull(strip(eq + 1), &end, 10);
                if (id >= 0 && errno == 0 && end && *end == 0)
                        counts[id] = u;
        }
        memcpy(ret, counts, sizeof(counts));
        return 0;
}

int state_write_drift_events(const char *root, const uint64_t counts[_MODULE_MAX]) {
        _cleanup_free_ char *text = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        size_t size = 0;
        int r;

        f = open_memstream(&text, &size);
        if (!f)
                return -ENOMEM;
        fputs("# Written by hardend watch: drift events by module; do not edit.\n", f);
        for (int i = 0; i < _MODULE_MAX; i++)
                fprintf(f, "%s=%" PRIu64 "\n", module_id_to_string((ModuleId) i), counts[i]);
        if (fflush(f) != 0 || ferror(f) || fclose(TAKE_PTR(f)) != 0)
                return -ENOMEM;
        r = ensure_state_dir(root);
        if (r < 0)
                return r;
        return write_file_atomic(root, DRIFT_EVENTS_PATH, text, size, 0644, UID_KEEP, GID_KEEP, &atomic_ops_default);
}
