/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "ssh-config.h"
#include "ssh-lockout.h"
#include "ssh.h"
#include "strv.h"
#include "sys/fileio.h"
#include "sys/sshd.h"

#define DEFAULT_ADDR       "192.0.2.1"
#define DEFAULT_PIDFILE    "/run/sshd.pid"
#define DEFAULT_KEYS_FILES ".ssh/authorized_keys .ssh/authorized_keys2"

/* What the files should say and what they say now. */
typedef struct SshPlan {
        SshAlgorithms algos;
        char *algo_problem; /* why strong crypto is not pinned, or NULL */
        SshSettings want;
        char *dropin;
        char *current_dropin; /* NULL: missing */
        size_t current_dropin_len;
        char *main_text; /* NULL: missing */
        size_t main_len;
        bool main_includes;
        char **dropins; /* the *.conf names in SSH_DROPIN_DIR, sorted */
        SshdExec exec;
        SshdCache *cache; /* the Context's, or NULL */
        bool have_sshd;
        char *addr;
        char **users; /* whose Match view we check: root and the admin */
} SshPlan;

/* The effective value of a managed keyword that differs for one user. */
typedef struct EffDiff {
        const SshSetting *setting;
        char *user;
        char *actual;
} EffDiff;

typedef struct EffDiffs {
        EffDiff *items;
        size_t n;
} EffDiffs;

static void eff_diffs_done(EffDiffs *d) {
        for (size_t i = 0; i < d->n; i++) {
                free(d->items[i].user);
                free(d->items[i].actual);
        }
        free(d->items);
        *d = (EffDiffs){};
}

static void plan_done(SshPlan *p) {
        ssh_algorithms_done(&p->algos);
        free(p->algo_problem);
        ssh_settings_done(&p->want);
        free(p->dropin);
        free(p->current_dropin);
        free(p->main_text);
        strv_free(p->dropins);
        free(p->addr);
        strv_free(p->users);
        sshd_exec_done(&p->exec);
        *p = (SshPlan){};
}

static bool ssh_enabled(const Policy *p) {
        return p->ssh.enable;
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
        ModuleCache *m = &c->cache[MODULE_SSH];

        if (!m->data) {
                m->data = sshd_cache_new();
                m->free = sshd_cache_free;
        }
        return m->data;
}

static int plan_algorithms(Context *c, SshPlan *p) {
        for (SshAlgoClass a = 0; a < _SSH_ALGO_MAX; a++) {
                _cleanup_strv_free_ char **supported = NULL;
                int r = ssh_query(p->cache, c->root, c->live, ssh_algo_class_query(a), &supported);

                if (r == -ENOMEM)
                        return r;
                if (r >= 0)
                        r = ssh_algorithms_pick(a, supported, &p->algos.list[a]);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        ssh_algorithms_done(&p->algos);
                        return asprintf(&p->algo_problem, "could not ask \"ssh -Q %s\" which algorithms are supported",
                                        ssh_algo_class_query(a)) < 0
                                       ? -ENOMEM
                                       : 0;
                }
        }
        return 0;
}

static int plan_load(Context *c, SshPlan *ret) {
        _cleanup_(plan_done) SshPlan p = {};
        const Policy *pol = c->policy;
        bool nofollow = !c->live;
        int r;

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

        p.have_sshd = sshd_exec_find(c->root, c->live, &p.exec) >= 0;
        if (c->ssh_connection && c->ssh_connection[0])
                p.addr = strndup(c->ssh_connection, strcspn(c->ssh_connection, " "));
        else
                p.addr = strdup(DEFAULT_ADDR);
        if (!p.addr || strv_extend(&p.users, "root") < 0)
                return -ENOMEM;
        if (!isempty(pol->admin.user) && !streq(pol->admin.user, "root") && strv_extend(&p.users, pol->admin.user) < 0)
                return -ENOMEM;
        *ret = p;
        p = (SshPlan){};
        return 0;
}

static bool plan_dropin_ok(const SshPlan *p) {
        return p->current_dropin && streq(p->current_dropin, p->dropin);
}

static bool plan_has_work(const SshPlan *p) {
        return !plan_dropin_ok(p) || !p->main_includes;
}

/* sshd -T of config for each user; managed keywords whose value differs go to diffs. */
static int effective_diffs(const SshPlan *p, const char *config, EffDiffs *diffs, SshdDump *ret_dump,
                           char **ret_error) {
        STRV_FOREACH (user, p->users) {
                _cleanup_(sshd_dump_done) SshdDump d = {};
                int r = sshd_dump_config(&p->exec, p->cache, config, *user, p->addr, &d, ret_error);

                if (r < 0)
                        return r;
                for (size_t i = 0; i < p->want.n; i++) {
                        const SshSetting *s = &p->want.items[i];
                        const char *actual = sshd_dump_get(&d, s->keyword);
                        EffDiff *n;

                        if (ssh_value_matches(s->keyword, s->value, actual))
                                continue;
                        n = reallocarray(diffs->items, diffs->n + 1, sizeof(EffDiff));
                        if (!n)
                                return -ENOMEM;
                        diffs->items = n;
                        n[diffs->n] = (EffDiff){ .setting = s,
                                                 .user = strdup(*user),
                                                 .actual = strdup(actual ?: "(unset)") };
                        if (!n[diffs->n].user || !n[diffs->n].actual)
                                return -ENOMEM;
                        diffs->n++;
                }
                /* the last user's view (the admin's when there is one) serves the lockout check */
                if (ret_dump) {
                        sshd_dump_done(ret_dump);
                        *ret_dump = d;
                        d = (SshdDump){};
                }
        }
        return 0;
}

/* The configuration as it will be (proposed) or as it is: a copy of the main file and of the drop-in directory with
 * our drop-in in it, in a temporary directory that the checked sshd can see. */
typedef struct Candidate {
        char *dir;      /* host path of the temporary directory */
        char *config;   /* the main file as sshd sees it */
        char **written; /* host paths to remove */
} Candidate;

static void candidate_done(Candidate *k) {
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

static int candidate_build(Context *c, const SshPlan *p, bool proposed, Candidate *k) {
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

/* sshd's messages name the staged copy; say which real file they are about. */
static char *unstage_paths(const Candidate *k, const char *text) {
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

/* Whether every checked user sees keyword with the same wrong value: then it is one finding. */
static bool diff_same_for_all(const SshPlan *p, const EffDiffs *d, size_t i) {
        size_t n = 0;

        for (size_t j = 0; j < d->n; j++)
                if (d->items[j].setting == d->items[i].setting && streq(d->items[j].actual, d->items[i].actual))
                        n++;
        return n == strv_length(p->users);
}

static Severity keyword_severity(const char *keyword) {
        static const char *const high[] = {
                "PermitRootLogin",      "PasswordAuthentication", "KbdInteractiveAuthentication",
                "PermitEmptyPasswords", "AuthenticationMethods",  "PubkeyAuthentication"
        };

        for (size_t i = 0; i < ELEMENTSOF(high); i++)
                if (streq(high[i], keyword))
                        return SEVERITY_HIGH;
        return SEVERITY_MEDIUM;
}

static int probe_effective(Context *c, const SshPlan *p, FindingList *out) {
        _cleanup_(eff_diffs_done) EffDiffs d = {};
        _cleanup_(candidate_done) Candidate k = {};
        _cleanup_free_ char *error = NULL;
        int r = 0;

        if (!p->have_sshd)
                return finding_add(
                        out,
                        &(Finding){ .module = "ssh",
                                    .check = "effective",
                                    .subject = "sshd -T",
                                    .kind = FINDING_UNKNOWN,
                                    .severity = SEVERITY_MEDIUM,
                                    .actual =
                                            c->live ? "effective settings could not be verified: sshd is not installed"
                                                    : "effective settings could not be verified: the image has no "
                                                      "/usr/sbin/sshd" });
        if (p->exec.chroot) {
                /* the image's sshd runs as nobody: it reads a copy (cloud-init writes its drop-in 0600) */
                r = candidate_build(c, p, false, &k);
                if (r < 0 && asprintf(&error, "cannot copy the configuration for sshd: %s", strerror(-r)) < 0)
                        return -ENOMEM;
        }
        if (r >= 0)
                r = effective_diffs(p, k.config ?: SSH_MAIN_CONFIG, &d, NULL, &error);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                _cleanup_free_ char *why = NULL, *shown = unstage_paths(&k, error);

                if (asprintf(&why, "effective settings could not be verified: %s", shown ?: error ?: strerror(-r)) < 0)
                        return -ENOMEM;
                return finding_add(out, &(Finding){ .module = "ssh",
                                                    .check = "effective",
                                                    .subject = "sshd -T",
                                                    .kind = FINDING_UNKNOWN,
                                                    .severity = SEVERITY_HIGH,
                                                    .actual = why });
        }
        for (size_t i = 0; i < d.n; i++) {
                const EffDiff *e = &d.items[i];
                _cleanup_free_ char *subject = NULL;
                bool all = diff_same_for_all(p, &d, i);

                if (all && !streq(e->user, p->users[0]))
                        continue; /* reported once, with the first user */
                /* the keyword as sshd -T prints it */
                r = all ? asprintf(&subject, "%s", e->setting->keyword)
                        : asprintf(&subject, "%s (user %s)", e->setting->keyword, e->user);
                if (r < 0)
                        return -ENOMEM;
                for (char *q = subject; *q && *q != ' '; q++)
                        *q = (char) (*q >= 'A' && *q <= 'Z' ? *q - 'A' + 'a' : *q);
                r = finding_add(out, &(Finding){ .module = "ssh",
                                                 .check = "effective",
                                                 .subject = subject,
                                                 .kind = FINDING_DRIFT,
                                                 .severity = keyword_severity(e->setting->keyword),
                                                 .fixable = plan_has_work(p),
                                                 .expected = e->setting->value,
                                                 .actual = e->actual });
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Drop-ins read before ours that set a managed keyword; with ret_conflicting, the names of those
 * whose values disagree with ours. */
static int probe_earlier_dropins(Context *c, const SshPlan *p, FindingList *out, char ***ret_conflicting) {
        STRV_FOREACH (name, p->dropins) {
                _cleanup_free_ char *path = NULL, *text = NULL, *joined = NULL;
                _cleanup_strv_free_ char **lines = NULL;
                bool conflicts = false;
                size_t len;
                int r;

                if (strcmp(*name, SSH_DROPIN_NAME) >= 0)
                        break;
                if (asprintf(&path, SSH_DROPIN_DIR "/%s", *name) < 0)
                        return -ENOMEM;
                r = read_file_at_root(c->root, path, true, READ_FILE_MAX, &text, &len);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        continue;
                r = ssh_config_managed_lines(text, len, &p->want, &lines, &conflicts);
                if (r <= 0) {
                        if (r < 0)
                                return r;
                        continue;
                }
                if (ret_conflicting) {
                        if (conflicts && (r = strv_extend(ret_conflicting, *name)) < 0)
                                return r;
                        continue;
                }
                if (strv_join(lines, "; ", &joined) < 0)
                        return -ENOMEM;
                /* Reported; moved aside only by the watcher in repair mode (someone else's file). */
                r = finding_add(out,
                                &(Finding){ .module = "ssh",
                                            .check = "dropin-order",
                                            .subject = path,
                                            .kind = conflicts ? FINDING_DRIFT : FINDING_INFO,
                                            .severity = conflicts ? SEVERITY_HIGH : SEVERITY_LOW,
                                            .fixable = conflicts && c->repair,
                                            .expected = "no managed keyword in files read before " SSH_DROPIN_NAME,
                                            .actual = joined });
                if (r < 0)
                        return r;
        }
        return 0;
}

static int ssh_probe(Context *c, FindingList *out) {
        _cleanup_(plan_done) SshPlan p = {};
        int r;

        r = plan_load(c, &p);
        if (r < 0)
                return r;
        if (p.algo_problem && (r = finding_add(out, &(Finding){ .module = "ssh",
                                                                .check = "strong-crypto",
                                                                .subject = "algorithms",
                                                                .kind = FINDING_UNKNOWN,
                                                                .severity = SEVERITY_MEDIUM,
                                                                .actual = p.algo_problem })) < 0)
                return r;
        if (!plan_dropin_ok(&p) &&
            (r = finding_add(out, &(Finding){ .module = "ssh",
                                              .check = "dropin",
                                              .subject = SSH_DROPIN_PATH,
                                              .kind = FINDING_DRIFT,
                                              .severity = SEVERITY_HIGH,
                                              .fixable = true,
                                              .expected = "as rendered from the policy",
                                              .actual = p.current_dropin ? "differs" : "missing" })) < 0)
                return r;
        if (!p.main_includes &&
            (r = finding_add(out, &(Finding){ .module = "ssh",
                                              .check = "include",
                                              .subject = SSH_MAIN_CONFIG,
                                              .kind = FINDING_DRIFT,
                                              .severity = SEVERITY_HIGH,
                                              .fixable = true,
                                              .expected = SSH_INCLUDE_LINE " before any managed keyword",
                                              .actual = p.main_text ? "missing or after managed keywords"
                                                                    : "the file is missing" })) < 0)
                return r;
        r = probe_earlier_dropins(c, &p, out, NULL);
        if (r < 0)
                return r;
        return probe_effective(c, &p, out);
}

static int format_diffs(const EffDiffs *d, char **ret) {
        _cleanup_strv_free_ char **l = NULL;

        for (size_t i = 0; i < d->n; i++)
                if (strv_extendf(&l, "%s %s for %s (want %s)", d->items[i].setting->keyword, d->items[i].actual,
                                 d->items[i].user, d->items[i].setting->value) < 0)
                        return -ENOMEM;
        return strv_join(l, "; ", ret);
}

static int check_lockout(Context *c, const SshPlan *p, const SshdDump *dump, Outcome *o) {
        const Policy *pol = c->policy;
        _cleanup_free_ char *passwd = NULL, *group = NULL, *who = NULL, *missing = NULL;
        _cleanup_strv_free_ char **files = NULL;
        const char *v;
        size_t len;
        int r;

        r = read_file_at_root(c->root, "/etc/passwd", !c->live, READ_FILE_MAX, &passwd, &len);
        if (r < 0 && r != -ENOENT)
                return outcome_fail(o, r, "cannot read /etc/passwd: %s", strerror(-r));
        r = read_file_at_root(c->root, "/etc/group", !c->live, READ_FILE_MAX, &group, &len);
        if (r < 0 && r != -ENOENT)
                return outcome_fail(o, r, "cannot read /etc/group: %s", strerror(-r));
        v = dump ? sshd_dump_get(dump, "authorizedkeysfile") : NULL;
        r = strv_split(v ?: DEFAULT_KEYS_FILES, " ", &files);
        if (r < 0)
                return r;
        v = dump ? sshd_dump_get(dump, "strictmodes") : NULL;

        SshLockoutInput in = {
                .root = c->root,
                .nofollow = !c->live,
                .passwd = passwd,
                .group = group,
                .root_allowed = pol->ssh.permit_root_login != PERMIT_ROOT_LOGIN_NO,
                .allow_groups = pol->ssh.allow_groups,
                .keys_files = files,
                .strict_modes = !v || strcasecmp(v, "no") != 0,
                .incoming_user = pol->admin.enable && context_module_selected(c, MODULE_ADMIN) && pol->admin.n_keys > 0
                                         ? pol->admin.user
                                         : NULL,
        };
        r = ssh_lockout_check(&in, &who, &missing);
        if (r < 0)
                return outcome_fail(o, r, "anti-lockout check failed: %s", strerror(-r));
        if (r > 0)
                return 0;
        if (c->force)
                return outcome_change(o, "anti-lockout check overridden with --force: %s", missing);
        return outcome_fail(o, -EPERM,
                            "refusing to turn SSH passwords off: no user who may log in would have a usable key "
                            "(%s); add a key to one of them, or set admin.authorized_keys",
                            missing);
}

static int ssh_preflight(Context *c, const FindingList *all, Outcome *o) {
        _cleanup_(plan_done) SshPlan p = {};
        _cleanup_(candidate_done) Candidate k = {};
        _cleanup_(sshd_dump_done) SshdDump dump = {};
        _cleanup_(eff_diffs_done) EffDiffs d = {};
        _cleanup_free_ char *error = NULL, *text = NULL;
        bool checked = false;
        int r;

        r = plan_load(c, &p);
        if (r < 0)
                return outcome_fail(o, r, "cannot read the sshd configuration: %s", strerror(-r));
        if (p.have_sshd) {
                r = candidate_build(c, &p, true, &k);
                if (r < 0)
                        return outcome_fail(o, r, "cannot stage the sshd configuration for sshd -t: %s", strerror(-r));
                r = sshd_test_config(&p.exec, k.config, &error);
                if (r == -EINVAL) {
                        _cleanup_free_ char *shown = unstage_paths(&k, error);

                        return outcome_fail(o, r,
                                            "sshd -t rejects the resulting configuration; nothing was changed: %s",
                                            shown ?: strna(error));
                }
                if (r < 0)
                        return outcome_fail(o, r, "cannot run sshd -t: %s", strerror(-r));
                r = effective_diffs(&p, k.config, &d, &dump, &error);
                if (r < 0)
                        return outcome_fail(o, r, "sshd -T fails on the resulting configuration: %s",
                                            error ?: strerror(-r));
                if (d.n > 0) {
                        if (format_diffs(&d, &text) < 0)
                                return -ENOMEM;
                        return outcome_fail(o, -EINVAL,
                                            "the resulting configuration would still not be effective (another file "
                                            "wins; see the dropin-order findings); nothing was changed: %s",
                                            text);
                }
                checked = true;
        }
        if (!c->policy->ssh.password_authentication && c->policy->ssh.require_key) {
                r = check_lockout(c, &p, checked ? &dump : NULL, o);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int write_main_config(Context *c, const SshPlan *p) {
        _cleanup_free_ char *text = NULL;
        struct stat st = { .st_mode = 0644 };
        size_t len;
        int r;

        if (p->main_text) {
                r = lstat_at_root(c->root, SSH_MAIN_CONFIG, &st);
                if (r < 0)
                        return r;
        }
        r = ssh_config_add_include(strempty(p->main_text), p->main_text ? p->main_len : 0, &text, &len);
        if (r < 0)
                return r;
        return write_file_atomic(c->root, SSH_MAIN_CONFIG, text, len, st.st_mode & 07777, p->main_text ? st.st_uid : 0,
                                 p->main_text ? st.st_gid : 0, &atomic_ops_default);
}

static int reload_sshd(Context *c, const SshPlan *p, Outcome *o) {
        _cleanup_(sshd_dump_done) SshdDump d = {};
        _cleanup_free_ char *how = NULL, *error = NULL;
        const char *pidfile = NULL;
        sd_bus *bus = NULL;
        int r;

        /* PidFile is global (not allowed in Match): the first checked user's view has it too, and
         * asking with the same command line as the verifying probe lets that probe reuse the answer */
        if (p->have_sshd &&
            sshd_dump_config(&p->exec, p->cache, SSH_MAIN_CONFIG, p->users[0], p->addr, &d, &error) >= 0)
                pidfile = sshd_dump_get(&d, "pidfile");
        if (context_get_bus(c, &bus) < 0)
                bus = NULL;
        r = sshd_reload(bus, pidfile && pidfile[0] == '/' ? pidfile : DEFAULT_PIDFILE, &how);
        if (r < 0)
                return outcome_fail(o, r, "the new sshd configuration is in place, but reloading sshd failed: %s",
                                    strerror(-r));
        if (r == 0)
                return outcome_change(o, "sshd is not running; nothing to reload");
        return outcome_change(o, "%s", how);
}

static int ssh_apply(Context *c, const FindingList *mine, Outcome *o) {
        _cleanup_(plan_done) SshPlan p = {};
        bool changed = false;
        int r;

        r = plan_load(c, &p);
        if (r < 0)
                return outcome_fail(o, r, "cannot read the sshd configuration: %s", strerror(-r));
        if (!plan_dropin_ok(&p)) {
                r = ensure_dir_at_root(c->root, SSH_DROPIN_DIR, 0755, UID_KEEP, GID_KEEP);
                if (r < 0)
                        return outcome_fail(o, r, "cannot create %s: %s", SSH_DROPIN_DIR, strerror(-r));
                r = write_file_atomic_if_changed(c->root, SSH_DROPIN_PATH, p.dropin, strlen(p.dropin), 0644, 0, 0);
                if (r < 0)
                        return outcome_fail(o, r, "cannot write %s: %s", SSH_DROPIN_PATH, strerror(-r));
                if (r > 0 && (r = outcome_change(o, "wrote %s", SSH_DROPIN_PATH)) < 0)
                        return r;
                changed = true;
        }
        if (!p.main_includes) {
                r = write_main_config(c, &p);
                if (r < 0)
                        return outcome_fail(o, r, "cannot add the Include to %s: %s", SSH_MAIN_CONFIG, strerror(-r));
                if ((r = outcome_change(o, "added \"%s\" at the top of %s", SSH_INCLUDE_LINE, SSH_MAIN_CONFIG)) < 0)
                        return r;
                changed = true;
        }
        if (c->repair) {
                _cleanup_strv_free_ char **conflicting = NULL;

                r = probe_earlier_dropins(c, &p, NULL, &conflicting);
                if (r < 0)
                        return outcome_fail(o, r, "cannot read %s: %s", SSH_DROPIN_DIR, strerror(-r));
                STRV_FOREACH (name, conflicting) {
                        _cleanup_free_ char *path = NULL, *aside = NULL;

                        /* sshd reads "*.conf" only: the renamed file stays for the admin to look at */
                        if (asprintf(&path, SSH_DROPIN_DIR "/%s", *name) < 0 ||
                            asprintf(&aside, "%s.disabled-by-hardend", *name) < 0)
                                return -ENOMEM;
                        r = rename_in_dir_at_root(c->root, path, aside);
                        if (r < 0)
                                return outcome_fail(o, r, "cannot move %s aside: %s", path, strerror(-r));
                        if ((r = outcome_change(o, "moved %s aside to %s (it set managed keywords before %s)", path,
                                                aside, SSH_DROPIN_NAME)) < 0)
                                return r;
                        changed = true;
                }
        }
        if (changed && !p.have_sshd &&
            (r = outcome_change(o, "not checked with sshd -t: %s",
                                c->live ? "sshd is not installed" : "the image has no /usr/sbin/sshd")) < 0)
                return r;
        if (changed && c->live)
                return reload_sshd(c, &p, o);
        return 0;
}

/* Module.snapshot_paths: the drop-in (and its directory), and sshd_config for the Include line. */
static int ssh_snapshot_paths(Context *c, char ***ret) {
        char **l = strv_copy(
                (char *const[]){ (char *) SSH_MAIN_CONFIG, (char *) SSH_DROPIN_DIR, (char *) SSH_DROPIN_PATH, NULL });

        (void) c;
        if (!l)
                return -ENOMEM;
        *ret = l;
        return 0;
}

const Module ssh_module = {
        .id = MODULE_SSH,
        .name = "ssh",
        .enabled = ssh_enabled,
        .probe = ssh_probe,
        .preflight = ssh_preflight,
        .apply = ssh_apply,
        .snapshot_paths = ssh_snapshot_paths,
};
