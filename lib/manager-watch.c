/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>
#include <string.h>

#include "acctdb.h"
#include "manager-watch.h"
#include "strv.h"
#include "sys/fileio.h"

typedef struct StaticSpec {
        const char *path;
        const char *const *names;
} StaticSpec;

static const char *const etc_names[] = { "passwd", "group", "shadow", "gshadow", "sudoers", "sudoers.d", NULL };
static const char *const ssh_names[] = { "sshd_config", "sshd_config.d", NULL };
static const char *const systemd_names[] = { "system", NULL };
static const char *const home_names[] = { ".ssh", NULL };

static const StaticSpec static_specs[] = {
        { "/etc", etc_names },
        { "/etc/sudoers.d", NULL },
        { "/etc/ssh", ssh_names },
        { "/etc/ssh/sshd_config.d", NULL },
        { "/etc/systemd", systemd_names },
        { "/etc/systemd/system", NULL },
};

void watch_spec_list_free(WatchSpec *l, size_t n) {
        for (size_t i = 0; l && i < n; i++) {
                free(l[i].path);
                strv_free(l[i].names);
        }
        free(l);
}

/* The admin's home from ROOT/etc/passwd alone (group and shadow do not matter here); -ENOENT when
 * there is no such user, -EBADMSG (see acctdb.h) when passwd has a malformed line. */
static int admin_home(const char *root, const char *user, char **ret) {
        _cleanup_(acct_db_done) AcctDb db = {};
        _cleanup_free_ char *text = NULL;
        const AcctUser *u;
        char *home;
        int r;

        r = read_file_at_root(root, "/etc/passwd", true, READ_FILE_MAX, &text, NULL);
        if (r < 0)
                return r;
        r = acct_parse_passwd(text, &db, NULL);
        if (r < 0)
                return r;
        u = acct_db_user(&db, user);
        if (!u)
                return -ENOENT;
        if (u->home[0] != '/')
                return -EBADMSG;
        home = strdup(u->home);
        if (!home)
                return -ENOMEM;
        *ret = home;
        return 0;
}

static int spec_add(WatchSpec **l, size_t *n, const char *path, const char *const *names) {
        WatchSpec *a = reallocarray(*l, *n + 1, sizeof(WatchSpec));
        WatchSpec s = {};

        if (!a)
                return -ENOMEM;
        *l = a;
        s.path = strdup(path);
        if (!s.path)
                return -ENOMEM;
        if (names) {
                s.names = strv_copy((char *const *) names);
                if (!s.names) {
                        free(s.path);
                        return -ENOMEM;
                }
        }
        (*l)[(*n)++] = s;
        return 0;
}

int watch_specs_build(const char *root, const Policy *p, WatchSpec **ret, size_t *ret_n) {
        WatchSpec *l = NULL;
        size_t n = 0;
        int r = 0;

        for (size_t i = 0; i < ELEMENTSOF(static_specs); i++) {
                r = spec_add(&l, &n, static_specs[i].path, static_specs[i].names);
                if (r < 0)
                        goto fail;
        }
        if (p->admin.enable && p->admin.user) {
                _cleanup_free_ char *home = NULL, *ssh = NULL;

                r = admin_home(root, p->admin.user, &home);
                if (r == -ENOMEM)
                        goto fail;
                /* no admin yet (the policy creates it), or passwd cannot be read: the watch on
                 * /etc/passwd sees it arrive or get fixed */
                if (r >= 0 && !streq(home, "/")) {
                        if (asprintf(&ssh, "%s/.ssh", home) < 0) {
                                r = -ENOMEM;
                                goto fail;
                        }
                        r = spec_add(&l, &n, home, home_names);
                        if (r >= 0)
                                r = spec_add(&l, &n, ssh, NULL);
                        if (r < 0)
                                goto fail;
                }
        }
        *ret = l;
        *ret_n = n;
        return 0;
fail:
        watch_spec_list_free(l, n);
        return r;
}
