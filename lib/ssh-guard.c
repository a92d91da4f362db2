/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts.h"
#include "acctdb.h"
#include "array.h"
#include "ssh-guard.h"
#include "ssh-lockout.h"
#include "strv.h"
#include "sys/fileio.h"
#include "sys/sudo.h"

#define FIRST_UID 1000
#define LAST_UID  59999

typedef struct GuardCtx {
        Context *c;
        const SshGuardInput *in;
        unsigned lport;
        SshdDump *views; /* the answers asked in this check */
        size_t n_views;
        /* the candidate account and sudoers files for sudo */
        SudoOverlay overlays[4];
        size_t n_overlays;
} GuardCtx;

static void guard_ctx_done(GuardCtx *g) {
        for (size_t i = 0; i < g->n_views; i++)
                sshd_dump_done(&g->views[i]);
        free(g->views);
        g->views = NULL;
        g->n_views = 0;
}

static int view_for(void *userdata, const char *user, const SshdDump **ret, char **ret_error) {
        GuardCtx *g = userdata;
        const SshGuardInput *in = g->in;
        SshdConn conn = { .user = user, .host = in->addr, .addr = in->addr };
        SshdDump d = {};
        int r;

        if (!in->exec) {
                *ret = NULL;
                return 0;
        }
        if (!in->has_match && in->shared) {
                *ret = in->shared;
                return 0;
        }
        if (in->has_match) {
                conn.laddr = in->laddr ?: SSH_CHECK_LADDR;
                conn.lport = g->lport;
        }
        r = sshd_dump_config_conn(in->exec, in->cache, in->config, &conn, &d, ret_error);
        if (r < 0)
                return r;
        r = ARRAY_GROW_ONE(g->views, g->n_views);
        if (r < 0) {
                sshd_dump_done(&d);
                return r;
        }
        g->views[g->n_views] = d;
        *ret = &g->views[g->n_views++];
        return 0;
}

static int sudo_for(void *userdata, const char *user, char **ret_why) {
        GuardCtx *g = userdata;
        SudoRoot verdict;
        int r;

        r = sudo_root_check(g->c->root, user, g->overlays, g->n_overlays, &verdict, ret_why);
        if (r == -ENOENT) {
                free(*ret_why);
                return (*ret_why = strdup("sudo is not installed")) ? 0 : -ENOMEM;
        }
        /* the sandboxed watcher cannot run sudo (no new privileges): it restores a state that an
         * apply proved before */
        if (r < 0 && r != -ENOMEM && g->c->repair)
                return 1;
        if (r < 0)
                return r;
        return verdict == SUDO_ROOT_NOPASSWD || verdict == SUDO_ROOT_PASSWORD;
}

/* ---- the accounts as the admin module will leave them ---- */

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

int ssh_guard_candidate_accounts(const AdminPolicy *a, bool user_created, const char *passwd, const char *group,
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

/* ---- the check ---- */

static int read_text(Context *c, const char *path, char **ret) {
        size_t len;
        int r = read_file_at_root(c->root, path, !c->live, READ_FILE_MAX, ret, &len);

        if (r == -ENOENT)
                return (*ret = strdup("")) ? 0 : -ENOMEM;
        return r;
}

static int lports(const SshGuardInput *in, unsigned **ret, size_t *ret_n) {
        _cleanup_strv_free_ char **l = NULL;
        const char *v = in->shared ? sshd_dump_get(in->shared, "port") : NULL;
        _cleanup_free_ unsigned *p = NULL;
        size_t n = 0;

        if (strv_split(v ?: "22", " ", &l) < 0)
                return -ENOMEM;
        p = calloc(strv_length(l) + 1, sizeof(unsigned));
        if (!p)
                return -ENOMEM;
        STRV_FOREACH (s, l) {
                unsigned long x = strtoul(*s, NULL, 10);

                if (x > 0 && x < 65536)
                        p[n++] = (unsigned) x;
        }
        if (n == 0)
                p[n++] = 22;
        *ret = TAKE_PTR(p);
        *ret_n = n;
        return 0;
}

int ssh_guard_check(Context *c, const SshGuardInput *in, Outcome *o) {
        const Policy *pol = c->policy;
        _cleanup_(acct_db_done) AcctDb db = {};
        _cleanup_free_ char *passwd = NULL, *group = NULL, *shadow = NULL, *shells = NULL, *sudoers = NULL,
                            *cpw = NULL, *cgr = NULL, *csh = NULL, *who = NULL, *missing = NULL, *what = NULL;
        _cleanup_free_ unsigned *ports = NULL;
        bool admin = pol->admin.enable && context_module_selected(c, MODULE_ADMIN);
        size_t n_ports = 0;
        GuardCtx g = { .c = c, .in = in };
        int r;

        if ((r = read_text(c, "/etc/passwd", &passwd)) < 0 || (r = read_text(c, "/etc/group", &group)) < 0 ||
            (r = read_text(c, "/etc/shadow", &shadow)) < 0 || (r = read_text(c, "/etc/shells", &shells)) < 0)
                return outcome_fail(o, r, "cannot read the account files: %s", strerror(-r));
        r = acct_db_load(c->root, &db, &what);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return outcome_fail(o, r, "anti-lockout check: cannot read the account files: %s: %s", strna(what),
                                    strerror(-r));
        if (admin) {
                r = acct_sudoers_text(&pol->admin, &sudoers);
                if (r < 0)
                        return r;
                g.overlays[g.n_overlays++] =
                        (SudoOverlay){ .path = ACCT_SUDOERS_DROPIN, .text = sudoers, .len = strlen(sudoers) };
                r = ssh_guard_candidate_accounts(&pol->admin, true, passwd, group, shadow, &cpw, &cgr, &csh);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return outcome_fail(o, r, "anti-lockout check: cannot model the admin user: %s", strerror(-r));
                if (cpw)
                        g.overlays[g.n_overlays++] =
                                (SudoOverlay){ .path = "/etc/passwd", .text = cpw, .len = strlen(cpw) };
                if (cgr)
                        g.overlays[g.n_overlays++] =
                                (SudoOverlay){ .path = "/etc/group", .text = cgr, .len = strlen(cgr) };
                if (csh)
                        g.overlays[g.n_overlays++] =
                                (SudoOverlay){ .path = "/etc/shadow", .text = csh, .len = strlen(csh) };
        }
        r = lports(in, &ports, &n_ports);
        if (r < 0)
                return r;

        SshLockoutInput li = {
                .root = c->root,
                .nofollow = !c->live,
                .db = &db,
                .shells = shells,
                .client = { .addr = in->addr, .host = in->addr },
                .now = time(NULL),
                .view = view_for,
                .sudo = sudo_for,
                .userdata = &g,
                .incoming_user = admin ? pol->admin.user : NULL,
                .incoming_group = admin ? pol->admin.group : NULL,
                .incoming_keys = admin ? pol->admin.keys : NULL,
                .n_incoming_keys = admin ? pol->admin.n_keys : 0,
        };
        _cleanup_free_ char *home = NULL;

        if (admin && asprintf(&home, "/home/%s", pol->admin.user) < 0)
                return -ENOMEM;
        li.incoming_home = home;

        /* without Match blocks one view serves every port */
        for (size_t i = 0; i < (in->has_match ? n_ports : 1); i++) {
                g.lport = ports[i];
                missing = mfree(missing);
                r = ssh_lockout_check(&li, &who, &missing);
                guard_ctx_done(&g);
                if (r != 0)
                        break;
        }
        if (r < 0)
                return outcome_fail(o, r, "anti-lockout check failed: %s", strerror(-r));
        if (r > 0)
                return 0;
        if (c->force)
                return outcome_change(o, "anti-lockout check overridden with --force: %s", missing);
        return outcome_fail(o, -EPERM,
                            "refusing: after this apply nobody could log in with a key and become root (%s); fix "
                            "one of them, or set admin.authorized_keys",
                            missing);
}
