/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "acctdb.h"
#include "ssh-config.h"
#include "ssh-guard.h"
#include "ssh-plan.h"
#include "ssh-wayin.h"
#include "strv.h"
#include "sys/fileio.h"
#include "sys/sshd.h"

#define DEFAULT_ADDR "192.0.2.1"

const SshdOps *ssh_sshd_ops(const Context *c) {
        return c->sshd_ops ?: &sshd_ops_real;
}

void plan_done(SshPlan *p) {
        ssh_algorithms_done(&p->algos);
        free(p->algo_problem);
        ssh_settings_done(&p->want);
        free(p->dropin);
        free(p->current_dropin);
        free(p->main_text);
        strv_free(p->dropins);
        free(p->addr);
        free(p->laddr);
        strv_free(p->users);
        sshd_start_done(&p->start);
        if (p->sshd)
                p->sshd->exec_done(p->sshd->userdata, &p->exec);
        *p = (SshPlan){};
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static int list_dropins(const char *root, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        int fd, r;
        DIR *d;

        l = calloc(1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        fd = open_dir_at_root(root, SSH_DROPIN_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd == -ENOENT) {
                *ret = TAKE_PTR(l);
                return 0;
        }
        if (fd < 0)
                return fd;
        d = fdopendir(fd);
        if (!d) {
                safe_close(fd);
                return -errno;
        }
        for (struct dirent *de; (de = readdir(d));) {
                if (de->d_name[0] == '.' || !endswith(de->d_name, ".conf"))
                        continue;
                r = strv_extend(&l, de->d_name);
                if (r < 0) {
                        closedir(d);
                        return r;
                }
        }
        closedir(d);
        qsort(l, strv_length(l), sizeof(char *), cmp_str);
        *ret = TAKE_PTR(l);
        return 0;
}

/* ssh -Q and sshd -T answers, kept in the Context (NULL when out of memory: then nothing is kept). */
static SshdCache *ssh_cache(Context *c) {
        return context_sshd_cache(c);
}

static void algo_queries(const char *whats[static _SSH_ALGO_MAX]) {
        for (SshAlgoClass a = 0; a < _SSH_ALGO_MAX; a++)
                whats[a] = ssh_algo_class_query(a);
}

static int plan_algorithms(Context *c, SshPlan *p) {
        const char *whats[_SSH_ALGO_MAX];
        char **supported[_SSH_ALGO_MAX] = {};
        size_t failed = 0;
        int r;

        algo_queries(whats);
        r = p->sshd->query(p->sshd->userdata, p->cache, c->root, c->live, whats, _SSH_ALGO_MAX, supported, &failed);
        if (r == -ENOMEM)
                return r;
        for (SshAlgoClass a = 0; r >= 0 && a < _SSH_ALGO_MAX; a++) {
                r = ssh_algorithms_pick(a, supported[a], &p->algos.list[a]);
                if (r < 0)
                        failed = (size_t) a;
        }
        for (SshAlgoClass a = 0; a < _SSH_ALGO_MAX; a++)
                strv_free(supported[a]);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                ssh_algorithms_done(&p->algos);
                return asprintf(&p->algo_problem, "could not ask \"ssh -Q %s\" which algorithms are supported",
                                whats[failed < _SSH_ALGO_MAX ? failed : 0]) < 0
                               ? -ENOMEM
                               : 0;
        }
        return 0;
}

int plan_prefetch(Context *c) {
        const SshdOps *sshd = ssh_sshd_ops(c);
        const char *whats[_SSH_ALGO_MAX];
        char **supported[_SSH_ALGO_MAX] = {};
        size_t failed = 0;
        SshdCache *cache;
        int r;

        /* only answers kept for the next process are worth asking for here */
        if (!c->live || !c->run_dir || !c->policy->ssh.strong_crypto || !(cache = ssh_cache(c)))
                return 0;
        algo_queries(whats);
        r = sshd->query(sshd->userdata, cache, c->root, c->live, whats, _SSH_ALGO_MAX, supported, &failed);
        for (SshAlgoClass a = 0; a < _SSH_ALGO_MAX; a++)
                strv_free(supported[a]);
        return r == -ENOMEM ? r : 0; /* what could not be asked, the probe asks again */
}

/* Whether text, or a file it includes (to a bounded depth), has a Match block other than "Match all". */
static int text_has_match(Context *c, const char *text, size_t len, unsigned depth) {
        _cleanup_strv_free_ char **patterns = NULL;
        int r;

        r = ssh_config_has_match(text, len);
        if (r != 0 || depth >= 4)
                return r < 0 ? r : 1;
        r = ssh_config_include_patterns(text, len, &patterns);
        if (r < 0)
                return r;
        STRV_FOREACH (pat, patterns) {
                _cleanup_free_ char *full = NULL;
                glob_t gl = {};

                if (startswith(*pat, SSH_DROPIN_DIR "/"))
                        continue; /* scanned as the drop-ins */
                if (path_join_root(c->root, *pat, &full) < 0)
                        return -ENOMEM;
                if (glob(full, 0, NULL, &gl) != 0)
                        continue;
                for (size_t i = 0; r == 0 && i < gl.gl_pathc; i++) {
                        _cleanup_free_ char *t = NULL;
                        const char *rel = gl.gl_pathv[i] + (streq(c->root, "/") ? 0 : strlen(c->root));
                        size_t l;

                        if (read_file_at_root(c->root, rel, !c->live, READ_FILE_MAX, &t, &l) >= 0)
                                r = text_has_match(c, t, l, depth + 1);
                }
                globfree(&gl);
                if (r != 0)
                        return r;
        }
        return 0;
}

/* With a Match block, sshd's view differs per user: every user with a login shell is checked. */
static int plan_scan_match(Context *c, SshPlan *p) {
        _cleanup_(acct_db_done) AcctDb db = {};
        _cleanup_free_ char *what = NULL;
        int r = p->main_text ? text_has_match(c, p->main_text, p->main_len, 0) : 0;

        STRV_FOREACH (name, p->dropins) {
                _cleanup_free_ char *path = NULL, *text = NULL;
                size_t len;

                if (r != 0)
                        break;
                if (asprintf(&path, SSH_DROPIN_DIR "/%s", *name) < 0)
                        return -ENOMEM;
                if (read_file_at_root(c->root, path, !c->live, READ_FILE_MAX, &text, &len) >= 0)
                        r = text_has_match(c, text, len, 1);
        }
        if (r <= 0)
                return r;
        p->has_match = true;
        if (acct_db_load(c->root, &db, &what) < 0)
                return 0; /* reported by the lockout check */
        for (size_t i = 0; i < db.n_users; i++) {
                if (!wayin_shell_is_login(db.users[i].shell) || strv_contains(p->users, db.users[i].name))
                        continue;
                if (strv_extend(&p->users, db.users[i].name) < 0)
                        return -ENOMEM;
        }
        return 0;
}

int plan_load(Context *c, SshPlan *ret) {
        _cleanup_(plan_done) SshPlan p = {};
        const AccountsPlan *ap;
        const Policy *pol = c->policy;
        bool nofollow = !c->live;
        int r;

        p.sshd = ssh_sshd_ops(c);
        p.cache = ssh_cache(c);
        if (pol->ssh.strong_crypto && (r = plan_algorithms(c, &p)) < 0)
                return r;
        r = ssh_settings_from_policy(&pol->ssh, &p.algos, &p.want);
        if (r < 0)
                return r;
        r = ssh_render_dropin(&p.want, &p.dropin);
        if (r < 0)
                return r;

        r = read_file_at_root(c->root, SSH_DROPIN_PATH, true, READ_FILE_MAX, &p.current_dropin, &p.current_dropin_len);
        if (r < 0 && r != -ENOENT)
                return r;
        r = read_file_at_root(c->root, SSH_MAIN_CONFIG, nofollow, READ_FILE_MAX, &p.main_text, &p.main_len);
        if (r < 0 && r != -ENOENT)
                return r;
        if (p.main_text) {
                r = ssh_config_includes_dropin(p.main_text, p.main_len);
                if (r < 0)
                        return r;
                p.main_includes = r > 0;
        }
        r = list_dropins(c->root, &p.dropins);
        if (r < 0)
                return r;

        p.have_sshd = p.sshd->exec_find(p.sshd->userdata, c->root, c->live, &p.exec) >= 0;
        if (c->ssh_connection && c->ssh_connection[0]) {
                _cleanup_strv_free_ char **f = NULL;

                if (strv_split(c->ssh_connection, " ", &f) < 0)
                        return -ENOMEM;
                p.addr = strdup(f[0] ?: DEFAULT_ADDR);
                if (strv_length(f) >= 3 && !(p.laddr = strdup(f[2])))
                        return -ENOMEM;
        } else
                p.addr = strdup(DEFAULT_ADDR);
        if (!p.addr || strv_extend(&p.users, "root") < 0)
                return -ENOMEM;
        ap = context_accounts(c);
        if (ap && !streq(ap->user, "root") && strv_extend(&p.users, ap->user) < 0)
                return -ENOMEM;
        p.port = pol->ssh.port;
        /* a socket unit's ListenStream= is where sshd listens (Match LocalPort sees it), whatever Port
         * says; one that is not understood is the firewall's to report */
        r = sshd_start_find(c->root, &p.start, NULL);
        if (r == -ENOMEM)
                return r;
        if (r >= 0 && p.start.kind == SSHD_START_SOCKET && p.start.n_listen > 0)
                p.port = p.start.listen[0].port;
        r = plan_scan_match(c, &p);
        if (r < 0)
                return r;
        *ret = p;
        p = (SshPlan){};
        return 0;
}

bool plan_dropin_ok(const SshPlan *p) {
        return p->current_dropin && streq(p->current_dropin, p->dropin);
}

bool plan_has_work(const SshPlan *p) {
        return !plan_dropin_ok(p) || !p->main_includes;
}

void candidate_done(Candidate *k) {
        for (size_t i = strv_length(k->written); i > 0; i--)
                (void) unlink(k->written[i - 1]);
        if (k->dir) {
                _cleanup_free_ char *d = NULL;

                if (asprintf(&d, "%s/sshd_config.d", k->dir) >= 0)
                        (void) rmdir(d);
                (void) rmdir(k->dir);
        }
        free(k->dir);
        free(k->config);
        strv_free(k->written);
        *k = (Candidate){};
}

static int candidate_write(Candidate *k, const char *name, const char *text, size_t len, mode_t mode) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *path = NULL;

        if (asprintf(&path, "%s/%s", k->dir, name) < 0)
                return -ENOMEM;
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        if (fchmod(fd, mode) < 0)
                return -errno;
        if (strv_extend(&k->written, path) < 0)
                return -ENOMEM;
        for (size_t off = 0; off < len;) {
                ssize_t n = write(fd, text + off, len - off);

                if (n < 0)
                        return -errno;
                off += (size_t) n;
        }
        return 0;
}

int candidate_build(Context *c, const SshPlan *p, bool proposed, Candidate *k) {
        _cleanup_free_ char *main_with = NULL, *main_text = NULL, *tmpl = NULL, *sub = NULL, *dropin_dir = NULL;
        mode_t mode = p->exec.chroot ? 0644 : 0600, dmode = p->exec.chroot ? 0755 : 0700;
        size_t main_len;
        struct stat st;
        int r;

        if (p->exec.chroot) {
                r = lstat_at_root(c->root, "/tmp", &st);
                if (r < 0 || !S_ISDIR(st.st_mode))
                        return r < 0 ? r : -ENOTDIR;
                r = asprintf(&tmpl, "%s/tmp", c->root);
        } else
                r = asprintf(&tmpl, "%s", access("/run", W_OK) == 0 ? "/run" : "/tmp");
        if (r < 0)
                return -ENOMEM;
        r = mkdtemp_owned(tmpl, "hardend-sshd", &k->dir);
        if (r < 0)
                return r;
        if (asprintf(&sub, "%s/sshd_config.d", k->dir) < 0)
                return -ENOMEM;
        /* the image's sshd runs as nobody and must read the candidate */
        if (mkdir(sub, 0700) < 0 || chmod(sub, dmode) < 0 || chmod(k->dir, dmode) < 0)
                return -errno;
        /* the paths as the checked sshd sees them */
        if (asprintf(&dropin_dir, "%s/sshd_config.d", p->exec.chroot ? k->dir + strlen(c->root) : k->dir) < 0 ||
            asprintf(&k->config, "%s/sshd_config", p->exec.chroot ? k->dir + strlen(c->root) : k->dir) < 0)
                return -ENOMEM;

        if (proposed && !p->main_includes) {
                r = ssh_config_add_include(strempty(p->main_text), p->main_text ? p->main_len : 0, &main_with,
                                           &main_len);
                if (r < 0)
                        return r;
        }
        r = ssh_config_redirect_includes(main_with ?: strempty(p->main_text),
                                         main_with ? main_len : (p->main_text ? p->main_len : 0), dropin_dir,
                                         &main_text);
        if (r < 0)
                return r;
        r = candidate_write(k, "sshd_config", main_text, strlen(main_text), mode);
        if (r < 0)
                return r;

        STRV_FOREACH (name, p->dropins) {
                _cleanup_free_ char *path = NULL, *text = NULL, *redirected = NULL, *rel = NULL;
                size_t len;

                if (proposed && streq(*name, SSH_DROPIN_NAME))
                        continue;
                if (asprintf(&path, SSH_DROPIN_DIR "/%s", *name) < 0 || asprintf(&rel, "sshd_config.d/%s", *name) < 0)
                        return -ENOMEM;
                r = read_file_at_root(c->root, path, !c->live, READ_FILE_MAX, &text, &len);
                if (r < 0)
                        return r;
                r = ssh_config_redirect_includes(text, len, dropin_dir, &redirected);
                if (r < 0)
                        return r;
                r = candidate_write(k, rel, redirected, strlen(redirected), mode);
                if (r < 0)
                        return r;
        }
        if (!proposed)
                return 0;
        return candidate_write(k, "sshd_config.d/" SSH_DROPIN_NAME, p->dropin, strlen(p->dropin), mode);
}

/* ta with every adir (al bytes) read as bdir (bl bytes) is tb */
static bool same_but_dir(const char *ta, size_t la, const char *adir, size_t al, const char *tb, size_t lb,
                         const char *bdir, size_t bl) {
        size_t i = 0, j = 0;

        while (i < la && j < lb) {
                if (la - i >= al && lb - j >= bl && memcmp(ta + i, adir, al) == 0 && memcmp(tb + j, bdir, bl) == 0) {
                        i += al, j += bl;
                        continue;
                }
                if (ta[i] != tb[j])
                        return false;
                i++, j++;
        }
        return i == la && j == lb;
}

bool candidate_same(const Candidate *a, const Candidate *b) {
        size_t n = strv_length(a->written), sa_len, sb_len;

        if (n != strv_length(b->written) || !a->config || !b->config)
                return false;
        /* the directory as the checked sshd sees it (the Include lines name it) */
        sa_len = strlen(a->config) - strlen("/sshd_config");
        sb_len = strlen(b->config) - strlen("/sshd_config");
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *ta = NULL, *tb = NULL;
                size_t la = 0, lb = 0;
                struct stat sa, sb;

                if (!streq(a->written[i] + strlen(a->dir), b->written[i] + strlen(b->dir)) ||
                    lstat(a->written[i], &sa) < 0 || lstat(b->written[i], &sb) < 0 ||
                    (sa.st_mode & 07777) != (sb.st_mode & 07777) ||
                    read_file_at_root("/", a->written[i], true, READ_FILE_MAX, &ta, &la) < 0 ||
                    read_file_at_root("/", b->written[i], true, READ_FILE_MAX, &tb, &lb) < 0 ||
                    !same_but_dir(ta, la, a->config, sa_len, tb, lb, b->config, sb_len))
                        return false;
        }
        return true;
}

/* sshd's messages name the staged copy; say which real file they are about. */
char *unstage_paths(const Candidate *k, const char *text) {
        _cleanup_free_ char *prefix = NULL;
        size_t pl, n = 0;
        FILE *f;
        char *buf = NULL;

        if (!text || !k->config ||
            asprintf(&prefix, "%.*s", (int) (strlen(k->config) - strlen("/sshd_config")), k->config) < 0)
                return NULL;
        pl = strlen(prefix);
        f = open_memstream(&buf, &n);
        if (!f)
                return NULL;
        for (const char *p = text; *p;) {
                const char *m = strstr(p, prefix);

                if (!m) {
                        fputs(p, f);
                        break;
                }
                fwrite(p, 1, (size_t) (m - p), f);
                fputs(SSH_CONFIG_DIR, f);
                p = m + pl;
        }
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}
