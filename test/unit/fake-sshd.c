/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "fake-sshd.h"
#include "macro.h"
#include "strv.h"

static int fake_exec_find(void *userdata, const char *root, bool live, SshdExec *ret) {
        FakeSshd *f = userdata;

        (void) live;
        f->n_found++;
        if (f->not_installed)
                return -ENOENT;
        /* not chrooted: the module stages its candidates on the host, as for the live sshd */
        *ret = (SshdExec){ .root = root };
        return 0;
}

static void fake_exec_done(void *userdata, SshdExec *e) {
        (void) userdata;
        *e = (SshdExec){};
}

static int fake_dump_config(void *userdata, const SshdExec *e, SshdCache *cache, const char *config,
                            const SshdConn *conn, SshdDump *ret, char **ret_error) {
        FakeSshd *f = userdata;

        (void) e;
        (void) cache;
        f->n_dumped++;
        /* a staged candidate: the preflight's check */
        if (!streq(config, SSH_MAIN_CONFIG)) {
                f->n_tested++;
                if (f->reject) {
                        if (ret_error && !(*ret_error = strdup(f->reject)))
                                return -ENOMEM;
                        return -EINVAL;
                }
        }
        for (size_t i = 0; conn && i < f->n_views; i++)
                if (streq(f->views[i].user, conn->user))
                        return sshd_dump_copy(&f->views[i].dump, ret);
        return sshd_dump_copy(&f->all, ret);
}

static int fake_query(void *userdata, SshdCache *cache, const char *root, bool live, const char *const *whats,
                      size_t n, char ***rets, size_t *ret_failed) {
        FakeSshd *f = userdata;

        (void) cache;
        (void) root;
        (void) live;
        for (size_t k = 0; k < n; k++) {
                bool found = false;

                f->n_queried++;
                rets[k] = NULL;
                for (size_t i = 0; i < f->n_queries && !found; i++)
                        if (streq(f->queries[i].what, whats[k])) {
                                if (!(rets[k] = strv_copy(f->queries[i].list)))
                                        return -ENOMEM;
                                found = true;
                        }
                if (!found) {
                        for (size_t i = 0; i < k; i++)
                                rets[i] = strv_free(rets[i]);
                        *ret_failed = k;
                        return -EINVAL;
                }
        }
        return 0;
}

static int fake_reload(void *userdata, sd_bus *bus, const char *pidfile, char **ret_how) {
        FakeSshd *f = userdata;

        (void) bus;
        (void) pidfile;
        f->n_reloaded++;
        return (*ret_how = strdup("reloaded the fake sshd")) ? 1 : -ENOMEM;
}

static int fake_sudo_root_check(void *userdata, const char *root, const char *user, const SudoOverlay *overlays,
                                size_t n_overlays, SudoRoot *ret, char **ret_why) {
        FakeSshd *f = userdata;
        const FakeSudo *match = NULL;
        char *why = NULL;

        (void) root;
        (void) overlays;
        (void) n_overlays;
        f->n_sudo_checked++;
        for (size_t i = 0; i < f->n_sudo; i++) {
                if (f->sudo[i].user && streq(f->sudo[i].user, user)) {
                        match = &f->sudo[i];
                        break;
                }
                if (!f->sudo[i].user && !match)
                        match = &f->sudo[i];
        }
        if (!match || match->verdict != SUDO_ROOT_NOPASSWD) {
                why = strdup(match && match->why ? match->why : "the fake sudo says no");
                if (!why)
                        return -ENOMEM;
        }
        *ret = match ? match->verdict : SUDO_ROOT_NO;
        *ret_why = why;
        return 0;
}

void fake_sshd_init(FakeSshd *f) {
        *f = (FakeSshd){
                .ops = {
                        .userdata = f,
                        .exec_find = fake_exec_find,
                        .exec_done = fake_exec_done,
                        .dump_config = fake_dump_config,
                        .query = fake_query,
                        .reload = fake_reload,
                        .sudo_root_check = fake_sudo_root_check,
                },
        };
}

void fake_sshd_done(FakeSshd *f) {
        sshd_dump_done(&f->all);
        for (size_t i = 0; i < f->n_views; i++) {
                free(f->views[i].user);
                sshd_dump_done(&f->views[i].dump);
        }
        free(f->views);
        free(f->reject);
        for (size_t i = 0; i < f->n_queries; i++) {
                free(f->queries[i].what);
                strv_free(f->queries[i].list);
        }
        free(f->queries);
        for (size_t i = 0; i < f->n_sudo; i++) {
                free(f->sudo[i].user);
                free(f->sudo[i].why);
        }
        free(f->sudo);
        fake_sshd_init(f);
}

int fake_sshd_set_view(FakeSshd *f, const char *user, const char *text) {
        _cleanup_(sshd_dump_done) SshdDump d = {};
        int r;

        r = sshd_dump_parse(text, &d);
        if (r < 0)
                return r;
        if (!user) {
                sshd_dump_done(&f->all);
                f->all = d;
                d = (SshdDump){};
                return 0;
        }
        for (size_t i = 0; i < f->n_views; i++)
                if (streq(f->views[i].user, user)) {
                        sshd_dump_done(&f->views[i].dump);
                        f->views[i].dump = d;
                        d = (SshdDump){};
                        return 0;
                }
        r = ARRAY_GROW_ONE(f->views, f->n_views);
        if (r < 0)
                return r;
        f->views[f->n_views] = (FakeView){ .user = strdup(user) };
        if (!f->views[f->n_views].user)
                return -ENOMEM;
        f->views[f->n_views++].dump = d;
        d = (SshdDump){};
        return 0;
}

int fake_sshd_set_reject(FakeSshd *f, const char *message) {
        char *m = NULL;

        if (message && !(m = strdup(message)))
                return -ENOMEM;
        free(f->reject);
        f->reject = m;
        return 0;
}

int fake_sshd_set_query(FakeSshd *f, const char *what, const char *list) {
        _cleanup_strv_free_ char **l = NULL;
        int r;

        r = strv_split(list, " ", &l);
        if (r < 0)
                return r;
        r = ARRAY_GROW_ONE(f->queries, f->n_queries);
        if (r < 0)
                return r;
        f->queries[f->n_queries] = (FakeQuery){ .what = strdup(what) };
        if (!f->queries[f->n_queries].what)
                return -ENOMEM;
        f->queries[f->n_queries++].list = TAKE_PTR(l);
        return 0;
}

int fake_sshd_set_sudo(FakeSshd *f, const char *user, SudoRoot verdict, const char *why) {
        FakeSudo s = { .verdict = verdict };
        int r;

        for (size_t i = 0; i < f->n_sudo; i++)
                if (user ? f->sudo[i].user && streq(f->sudo[i].user, user) : !f->sudo[i].user) {
                        char *w = why ? strdup(why) : NULL;

                        if (why && !w)
                                return -ENOMEM;
                        free(f->sudo[i].why);
                        f->sudo[i].why = w;
                        f->sudo[i].verdict = verdict;
                        return 0;
                }
        if ((user && !(s.user = strdup(user))) || (why && !(s.why = strdup(why)))) {
                free(s.user);
                return -ENOMEM;
        }
        r = ARRAY_GROW_ONE(f->sudo, f->n_sudo);
        if (r < 0) {
                free(s.user);
                free(s.why);
                return r;
        }
        f->sudo[f->n_sudo++] = s;
        return 0;
}
