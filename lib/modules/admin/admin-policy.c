/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The admin section of the policy (the admin module: lib/modules/admin/). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "admin-policy.h"
#include "strv.h"

static const char *const sudo_mode_table[_SUDO_MODE_MAX] = {
        [SUDO_NOPASSWD] = "nopasswd",
        [SUDO_PASSWORD] = "password",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(sudo_mode, SudoMode);

static int each_key(Parser *p, const config_setting_t *e, const char *path, size_t i, const char *v, void *userdata) {
        AdminPolicy *a = userdata;
        const char *reason = NULL;
        SshKey k = {};
        int r;

        r = sshkey_parse_line(v, &k, &reason);
        if (r == -ENOMEM)
                return r;
        if (r == -ENODATA)
                return fail_at(p, elem_line(e), "%s[%zu]: empty key line", path, i);
        if (r < 0)
                return fail_at(p, elem_line(e), "%s[%zu]: bad key line: %s", path, i, reason);
        for (size_t j = 0; j < a->n_keys; j++)
                if (sshkey_equal(&a->keys[j], &k)) {
                        sshkey_done(&k);
                        return fail_at(p, elem_line(e), "%s[%zu]: the same key as %s[%zu]", path, i, path, j);
                }
        if (ARRAY_GROW_ONE(a->keys, a->n_keys) < 0) {
                sshkey_done(&k);
                return -ENOMEM;
        }
        a->keys[a->n_keys++] = k;
        return 0;
}

static bool valid_password_hash(const char *h) {
        static const char *const prefixes[] = { "$y$", "$gy$", "$7$", "$2b$", "$2y$", "$6$", "$5$" };
        size_t n = strlen(h);

        for (size_t i = 0; i < ELEMENTSOF(prefixes); i++)
                if (startswith(h, prefixes[i]))
                        return n >= 20 && !strpbrk(h, ": \t\n");
        return false;
}

void admin_policy_init(Policy *pol) {
        pol->admin = (AdminPolicy){
                .enable = -1,
                .sudo = _SUDO_MODE_INVALID,
                .lock_root_password = -1,
        };
}

int admin_policy_parse(Parser *p, Policy *pol, const config_setting_t *g) {
        static const char *const keys[] = {
                "enable", "user", "group", "authorized_keys", "sudo", "password_hash", "lock_root_password", NULL
        };
        AdminPolicy *a = &pol->admin;
        unsigned line = 0;
        int r, x;

        r = check_keys(p, g, "admin", keys);
        if (r < 0)
                return r;
        a->line = (unsigned) config_setting_source_line(g);
        if ((r = get_bool(p, g, "admin", "enable", &a->enable)) < 0 ||
            (r = get_bool(p, g, "admin", "lock_root_password", &a->lock_root_password)) < 0)
                return r;
        r = get_string(p, g, "admin", "user", &a->user, &line);
        if (r < 0)
                return r;
        if (r > 0 && isempty(a->user))
                return fail_at(p, line, "admin.user: must not be empty");
        if (r > 0 && !valid_user_name(a->user))
                return fail_at(p, line, "admin.user: \"%s\" is not a valid user name", a->user);
        if (r > 0 && streq(a->user, "root"))
                return fail_at(p, line, "admin.user: must not be root");
        r = get_string(p, g, "admin", "group", &a->group, &line);
        if (r < 0)
                return r;
        if (r > 0 && !valid_user_name(a->group))
                return fail_at(p, line, "admin.group: \"%s\" is not a valid group name", a->group);
        if (r > 0 && streq(a->group, "root"))
                return fail_at(p, line, "admin.group: must not be root");
        r = get_strings(p, g, "admin", "authorized_keys", each_key, a);
        if (r < 0)
                return r;
        r = get_enum(p, g, "admin", "sudo", sudo_mode_table, _SUDO_MODE_MAX, &x);
        if (r < 0)
                return r;
        if (r > 0)
                a->sudo = (SudoMode) x;
        r = get_string(p, g, "admin", "password_hash", &a->password_hash, &line);
        if (r < 0)
                return r;
        if (r > 0 && !valid_password_hash(a->password_hash))
                return fail_at(p, line,
                               "admin.password_hash: not a crypt(3) hash (yescrypt \"$y$...\", "
                               "SHA-512 \"$6$...\" or similar)");
        return 0;
}

/* The admin defaults, in the one place they live; conf/hardend.conf says the same. */
int admin_policy_defaults(Policy *pol) {
        AdminPolicy *a = &pol->admin;

        if (a->enable < 0)
                a->enable = true;
        if (!a->user && !(a->user = strdup("admin")))
                return -ENOMEM;
        if (!a->group && !(a->group = strdup("wheel")))
                return -ENOMEM;
        /* authorized_keys: none; password_hash: none */
        if (a->sudo < 0)
                a->sudo = SUDO_NOPASSWD;
        if (a->lock_root_password < 0)
                a->lock_root_password = true;
        return 0;
}

void admin_policy_done(Policy *pol) {
        AdminPolicy *a = &pol->admin;

        a->user = mfree(a->user);
        a->group = mfree(a->group);
        for (size_t i = 0; i < a->n_keys; i++)
                sshkey_done(&a->keys[i]);
        a->keys = mfree(a->keys);
        a->n_keys = 0;
        a->password_hash = mfree(a->password_hash);
}

static bool sshkey_same(const SshKey *a, const SshKey *b) {
        return sshkey_equal(a, b) && streq_ptr(a->options, b->options) && streq_ptr(a->comment, b->comment);
}

static bool admin_policy_equal(const Policy *pa, const Policy *pb) {
        const AdminPolicy *aa = &pa->admin, *ab = &pb->admin;

        if (aa->enable != ab->enable || !streq_ptr(aa->user, ab->user) || !streq_ptr(aa->group, ab->group) ||
            aa->n_keys != ab->n_keys || aa->sudo != ab->sudo || !streq_ptr(aa->password_hash, ab->password_hash) ||
            aa->lock_root_password != ab->lock_root_password)
                return false;
        for (size_t i = 0; i < aa->n_keys; i++)
                if (!sshkey_same(&aa->keys[i], &ab->keys[i]))
                        return false;
        return true;
}

const PolicySection admin_policy_section = {
        .name = "admin",
        .init = admin_policy_init,
        .parse = admin_policy_parse,
        .defaults = admin_policy_defaults,
        .done = admin_policy_done,
        .equal = admin_policy_equal,
};
