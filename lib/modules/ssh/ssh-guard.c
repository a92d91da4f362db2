/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acctdb.h"
#include "array.h"
#include "ssh-guard.h"
#include "ssh-lockout.h"
#include "ssh-plan.h"
#include "strv.h"
#include "sys/fileio.h"

typedef struct GuardCtx {
        Context *c;
        const SshdOps *sshd; /* ssh_sshd_ops() */
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
        r = g->sshd->dump_config(g->sshd->userdata, in->exec, in->cache, in->config, &conn, &d, ret_error);
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

        r = g->sshd->sudo_root_check(g->sshd->userdata, g->c->root, user, g->overlays, g->n_overlays, &verdict,
                                     ret_why);
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

/* ---- the check ---- */

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
        const AccountsPlan *ap = context_accounts(c);
        _cleanup_(acct_db_done) AcctDb db = {};
        _cleanup_free_ char *shells = NULL, *who = NULL, *missing = NULL, *what = NULL;
        _cleanup_free_ unsigned *ports = NULL;
        bool admin = ap && ap->changes;
        size_t n_ports = 0;
        GuardCtx g = { .c = c, .sshd = ssh_sshd_ops(c), .in = in };
        int r;

        r = read_text_at_root(c->root, !c->live, "/etc/shells", &shells);
        if (r < 0)
                return outcome_fail(o, r, "cannot read /etc/shells: %s", strerror(-r));
        r = acct_db_load(c->root, &db, &what);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return outcome_fail(o, r, "anti-lockout check: cannot read the account files: %s: %s", strna(what),
                                    strerror(-r));
        for (size_t i = 0; admin && i < strv_length(ap->overlay_paths) && g.n_overlays < ELEMENTSOF(g.overlays); i++)
                g.overlays[g.n_overlays++] = (SudoOverlay){ .path = ap->overlay_paths[i],
                                                            .text = ap->overlay_texts[i],
                                                            .len = strlen(ap->overlay_texts[i]) };
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
                .incoming_user = admin ? ap->user : NULL,
                .incoming_group = admin ? ap->group : NULL,
                .incoming_keys = admin ? ap->keys : NULL,
                .n_incoming_keys = admin ? ap->n_keys : 0,
                .incoming_home = admin ? ap->home : NULL,
        };

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
