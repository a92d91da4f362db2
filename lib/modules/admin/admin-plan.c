/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin-plan.h"
#include "admin.h"
#include "acctdb.h"
#include "strv.h"
#include "sys/fileio.h"

#define FIRST_UID 1000
#define LAST_UID  59999

static int id_free(const AcctDb *db, bool groups, unsigned *ret) {
        unsigned max = FIRST_UID - 1;

        if (groups) {
                for (size_t i = 0; i < db->n_groups; i++)
                        if (db->groups[i].gid >= FIRST_UID && db->groups[i].gid <= LAST_UID && db->groups[i].gid > max)
                                max = db->groups[i].gid;
        } else
                for (size_t i = 0; i < db->n_users; i++)
                        if (db->users[i].uid >= FIRST_UID && db->users[i].uid <= LAST_UID && db->users[i].uid > max)
                                max = db->users[i].uid;
        if (max >= LAST_UID)
                return -ENOSPC;
        *ret = max + 1;
        return 0;
}

/* text with the line of name (first field) rewritten by edit; lines otherwise byte for byte. */
static int edit_line(const char *text, const char *name, int (*edit)(FILE *f, const char *line, const void *arg),
                     const void *arg, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, nl = strlen(name);
        FILE *f = open_memstream(&buf, &len);
        int r = 0;

        if (!f)
                return -ENOMEM;
        for (const char *p = text; *p;) {
                size_t l = strcspn(p, "\n");
                _cleanup_free_ char *line = strndup(p, l);

                if (!line) {
                        r = -ENOMEM;
                        break;
                }
                if (l > nl && memcmp(p, name, nl) == 0 && p[nl] == ':')
                        r = edit(f, line, arg);
                else
                        fputs(line, f);
                fputc('\n', f);
                if (r < 0)
                        break;
                p += l + (p[l] == '\n');
        }
        if (fclose(f) != 0 && r >= 0)
                r = -ENOMEM;
        if (r < 0)
                return r;
        *ret = TAKE_PTR(buf);
        return 0;
}

static int add_member(FILE *f, const char *line, const void *arg) {
        const char *user = arg, *last = strrchr(line, ':');

        fputs(line, f);
        if (last && last[1])
                fputc(',', f);
        fputs(user, f);
        return 0;
}

static int lock_field(FILE *f, const char *line, const void *arg) {
        const char *colon = strchr(line, ':');

        (void) arg;
        fwrite(line, 1, (size_t) (colon - line + 1), f);
        if (colon[1] != '!')
                fputc('!', f);
        fputs(colon + 1, f);
        return 0;
}

static int append_line(const char *text, char **ret, const char *fmt, ...) _printf_(3, 4);
static int append_line(const char *text, char **ret, const char *fmt, ...) {
        _cleanup_free_ char *line = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&line, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        return asprintf(ret, "%s%s%s", text, *text && !endswith(text, "\n") ? "\n" : "", line) < 0 ? -ENOMEM : 0;
}

static int candidate_accounts(const AdminPolicy *a, bool user_created, const char *passwd, const char *group,
                              const char *shadow, char **ret_passwd, char **ret_group, char **ret_shadow) {
        _cleanup_(acct_db_done) AcctDb db = {};
        _cleanup_free_ char *pw = NULL, *gr = NULL, *sh = NULL, *sh2 = NULL;
        const AcctGroup *g;
        const AcctUser *u;
        unsigned uid = 0, gid = 0;
        int r;

        if (acct_parse_passwd(passwd, &db, NULL) < 0 || acct_parse_group(group, &db, NULL) < 0 ||
            acct_parse_shadow(shadow, &db, NULL) < 0)
                return -EBADMSG;
        u = acct_db_user(&db, a->user);
        g = acct_db_group(&db, a->group);
        if (user_created && !u) {
                r = id_free(&db, false, &uid);
                if (r < 0)
                        return r;
                if (g)
                        gid = g->gid;
                else if ((r = id_free(&db, true, &gid)) < 0)
                        return r;
                if (append_line(passwd, &pw, "%s:x:%u:%u::/home/%s:/bin/bash\n", a->user, uid, gid, a->user) < 0 ||
                    append_line(shadow, &sh, "%s:%s:19000:0:99999:7:::\n", a->user, a->password_hash ?: "!") < 0)
                        return -ENOMEM;
        }
        if (user_created && !g) {
                if (!gid && (r = id_free(&db, true, &gid)) < 0)
                        return r;
                if (append_line(group, &gr, "%s:x:%u:%s\n", a->group, gid, a->user) < 0)
                        return -ENOMEM;
        } else if (user_created && !(u && acct_db_in_group(&db, u, g))) {
                r = edit_line(group, a->group, add_member, a->user, &gr);
                if (r < 0)
                        return r;
        }
        if (a->lock_root_password) {
                const AcctShadow *rs = acct_db_shadow(&db, "root");

                if (rs && !acct_password_locked(rs->password)) {
                        r = edit_line(sh ?: shadow, "root", lock_field, NULL, &sh2);
                        if (r < 0)
                                return r;
                        free(sh);
                        sh = TAKE_PTR(sh2);
                }
        }
        *ret_passwd = TAKE_PTR(pw);
        *ret_group = TAKE_PTR(gr);
        *ret_shadow = TAKE_PTR(sh);
        return 0;
}

static int plan_overlay(AccountsPlan *p, const char *path, const char *text) {
        if (!text)
                return 0;
        if (strv_extend(&p->overlay_paths, path) < 0 || strv_extend(&p->overlay_texts, text) < 0)
                return -ENOMEM;
        return 0;
}

int admin_provide(Context *c) {
        const AdminPolicy *a = &c->policy->admin;
        _cleanup_free_ char *passwd = NULL, *group = NULL, *shadow = NULL, *sudoers = NULL, *cpw = NULL, *cgr = NULL,
                            *csh = NULL;
        AccountsPlan *p;
        int r;

        if (isempty(a->user))
                return 0;
        p = calloc(1, sizeof(AccountsPlan));
        if (!p)
                return -ENOMEM;
        accounts_plan_free(c->accounts);
        c->accounts = p;
        if (asprintf(&p->home, "/home/%s", a->user) < 0)
                return -ENOMEM;
        /* the other strings live as long as the policy */
        p->user = a->user;
        p->group = a->group;
        p->keys = a->keys;
        p->n_keys = a->n_keys;
        p->changes = a->enable && context_module_selected(c, MODULE_ADMIN);
        if (!p->changes)
                return 0;
        if ((r = read_text_at_root(c->root, !c->live, "/etc/passwd", &passwd)) < 0 ||
            (r = read_text_at_root(c->root, !c->live, "/etc/group", &group)) < 0 ||
            (r = read_text_at_root(c->root, !c->live, "/etc/shadow", &shadow)) < 0)
                return r;
        r = admin_sudoers_text(a, &sudoers);
        if (r < 0)
                return r;
        r = candidate_accounts(a, true, passwd, group, shadow, &cpw, &cgr, &csh);
        if (r < 0)
                return r;
        if ((r = plan_overlay(p, ADMIN_SUDOERS_DROPIN, sudoers)) < 0 ||
            (r = plan_overlay(p, "/etc/passwd", cpw)) < 0 || (r = plan_overlay(p, "/etc/group", cgr)) < 0 ||
            (r = plan_overlay(p, "/etc/shadow", csh)) < 0)
                return r;
        return 0;
}
