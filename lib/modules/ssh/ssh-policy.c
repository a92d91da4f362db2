/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The ssh section of the policy. */
#include <errno.h>
#include <stdlib.h>

#include "ssh-policy.h"
#include "strv.h"

static const char *const permit_root_login_table[_PERMIT_ROOT_LOGIN_MAX] = {
        [PERMIT_ROOT_LOGIN_NO] = "no",
        [PERMIT_ROOT_LOGIN_PROHIBIT_PASSWORD] = "prohibit-password",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(permit_root_login, PermitRootLogin);

static int each_group(Parser *p, const config_setting_t *e, const char *path, size_t i, const char *v,
                      void *userdata) {
        char ***l = userdata;

        if (!valid_user_name(v))
                return fail_at(p, elem_line(e), "%s[%zu]: \"%s\" is not a valid group name", path, i, v);
        if (strv_contains(*l, v))
                return fail_at(p, elem_line(e), "%s[%zu]: \"%s\" is listed twice", path, i, v);
        return strv_extend(l, v);
}

void ssh_policy_init(Policy *pol) {
        pol->ssh = (SshPolicy){
                .enable = -1,
                .permit_root_login = _PERMIT_ROOT_LOGIN_INVALID,
                .password_authentication = -1,
                .strong_crypto = -1,
                .require_key = -1,
        };
}

int ssh_policy_parse(Parser *p, Policy *pol, const config_setting_t *g) {
        static const char *const keys[] = { "enable",        "permit_root_login", "password_authentication",
                                            "port",          "allow_groups",      "max_auth_tries",
                                            "strong_crypto", "require_key",       NULL };
        SshPolicy *ssh = &pol->ssh;
        unsigned port = ssh->port;
        int r, x;

        r = check_keys(p, g, "ssh", keys);
        if (r < 0)
                return r;
        ssh->line = (unsigned) config_setting_source_line(g);
        if ((r = get_bool(p, g, "ssh", "enable", &ssh->enable)) < 0 ||
            (r = get_bool(p, g, "ssh", "password_authentication", &ssh->password_authentication)) < 0 ||
            (r = get_bool(p, g, "ssh", "strong_crypto", &ssh->strong_crypto)) < 0 ||
            (r = get_bool(p, g, "ssh", "require_key", &ssh->require_key)) < 0)
                return r;
        r = get_enum(p, g, "ssh", "permit_root_login", permit_root_login_table, _PERMIT_ROOT_LOGIN_MAX, &x);
        if (r < 0)
                return r;
        if (r > 0)
                ssh->permit_root_login = (PermitRootLogin) x;
        r = get_uint(p, g, "ssh", "port", 1, 65535, &port, &ssh->port_line);
        if (r < 0)
                return r;
        ssh->port = (uint16_t) port;
        r = get_uint(p, g, "ssh", "max_auth_tries", 1, 100, &ssh->max_auth_tries, NULL);
        if (r < 0)
                return r;
        if (config_setting_get_member(g, "allow_groups")) {
                ssh->allow_groups = calloc(1, sizeof(char *)); /* set, also when empty */
                if (!ssh->allow_groups)
                        return -ENOMEM;
        }
        r = get_strings(p, g, "ssh", "allow_groups", each_group, &ssh->allow_groups);
        return r < 0 ? r : 0;
}

/* The ssh defaults, in the one place they live; conf/hardend.conf says the same. */
int ssh_policy_defaults(Policy *pol) {
        SshPolicy *ssh = &pol->ssh;

        if (ssh->enable < 0)
                ssh->enable = true;
        if (ssh->permit_root_login < 0)
                ssh->permit_root_login = PERMIT_ROOT_LOGIN_NO;
        if (ssh->password_authentication < 0)
                ssh->password_authentication = false;
        if (ssh->port == 0)
                ssh->port = 22;
        if (ssh->max_auth_tries == 0)
                ssh->max_auth_tries = 3;
        if (ssh->strong_crypto < 0)
                ssh->strong_crypto = true;
        if (ssh->require_key < 0)
                ssh->require_key = true;
        if (!ssh->allow_groups) {
                ssh->allow_groups = calloc(1, sizeof(char *)); /* empty: cloud-init's default user keeps access */
                if (!ssh->allow_groups)
                        return -ENOMEM;
        }
        return 0;
}

void ssh_policy_done(Policy *pol) {
        pol->ssh.allow_groups = strv_free(pol->ssh.allow_groups);
}

static bool ssh_policy_equal(const Policy *pa, const Policy *pb) {
        const SshPolicy *sa = &pa->ssh, *sb = &pb->ssh;

        return sa->enable == sb->enable && sa->permit_root_login == sb->permit_root_login &&
               sa->password_authentication == sb->password_authentication && sa->port == sb->port &&
               strv_equal(sa->allow_groups, sb->allow_groups) && sa->max_auth_tries == sb->max_auth_tries &&
               sa->strong_crypto == sb->strong_crypto && sa->require_key == sb->require_key;
}

const PolicySection ssh_policy_section = {
        .name = "ssh",
        .init = ssh_policy_init,
        .parse = ssh_policy_parse,
        .defaults = ssh_policy_defaults,
        .done = ssh_policy_done,
        .equal = ssh_policy_equal,
};
