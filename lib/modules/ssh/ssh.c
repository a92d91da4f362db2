/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "ssh-policy.h"
#include "array.h"
#include "ssh-config.h"
#include "ssh-guard.h"
#include "ssh-plan.h"
#include "ssh.h"
#include "strv.h"
#include "sys/fileio.h"
#include "sys/sshd.h"

#define DEFAULT_PIDFILE "/run/sshd.pid"

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
static bool ssh_enabled(const Policy *p) {
        return p->ssh.enable;
}

/* sshd -T of config for each user; managed keywords whose value differs go to diffs. */
static int effective_diffs(const SshPlan *p, const char *config, EffDiffs *diffs, SshdDump *ret_dump,
                           char **ret_error) {
        _cleanup_(sshd_dump_done) SshdDump shared = {};

        /* Without a Match block (but "Match all") every user gets sshd's global view */
        if (!p->has_match) {
                int r = p->sshd->dump_config(p->sshd->userdata, &p->exec, p->cache, config, NULL, &shared, ret_error);

                if (r < 0)
                        return r;
        }
        STRV_FOREACH (user, p->users) {
                _cleanup_(sshd_dump_done) SshdDump d = {};
                SshdConn conn = { .user = *user,
                                  .host = p->addr,
                                  .addr = p->addr,
                                  /* Match LocalAddress/LocalPort blocks need both to be named */
                                  .laddr = p->laddr ?: SSH_CHECK_LADDR,
                                  .lport = p->port };
                int r = 0;

                if (p->has_match)
                        r = p->sshd->dump_config(p->sshd->userdata, &p->exec, p->cache, config, &conn, &d, ret_error);
                else
                        r = sshd_dump_copy(&shared, &d);

                if (r < 0)
                        return r;
                for (size_t i = 0; i < p->want.n; i++) {
                        const SshSetting *s = &p->want.items[i];
                        const char *actual = sshd_dump_get(&d, s->keyword);
                        EffDiff *n;

                        if (ssh_value_matches(s->keyword, s->value, actual))
                                continue;
                        if (ARRAY_GROW_ONE(diffs->items, diffs->n) < 0)
                                return -ENOMEM;
                        n = diffs->items;
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

/* Where Port lines are, other than in our drop-in: sshd's Port is cumulative, so each adds a port. */
static int port_sources(Context *c, const SshPlan *p, char **ret) {
        _cleanup_strv_free_ char **l = NULL;

        for (size_t i = 0; i <= strv_length(p->dropins); i++) {
                _cleanup_free_ char *path = NULL, *text = NULL;
                _cleanup_strv_free_ char **lines = NULL;
                bool conflicts;
                size_t len;
                int r;

                if (i == 0) {
                        path = strdup(SSH_MAIN_CONFIG);
                        r = path ? 0 : -ENOMEM;
                } else if (streq(p->dropins[i - 1], SSH_DROPIN_NAME))
                        continue;
                else
                        r = asprintf(&path, SSH_DROPIN_DIR "/%s", p->dropins[i - 1]) < 0 ? -ENOMEM : 0;
                if (r < 0)
                        return r;
                if (read_file_at_root(c->root, path, !c->live, READ_FILE_MAX, &text, &len) < 0)
                        continue;
                r = ssh_config_managed_lines(text, len, &p->want, &lines, &conflicts);
                if (r < 0)
                        return r;
                STRV_FOREACH (line, lines)
                        if (strncasecmp(*line, "Port ", 5) == 0 && strv_extendf(&l, "%s: %s", path, *line) < 0)
                                return -ENOMEM;
        }
        if (strv_isempty(l))
                return (*ret = strdup("a Port line outside " SSH_DROPIN_NAME)) ? 0 : -ENOMEM;
        return strv_join(l, ", ", ret);
}

/* A diff that is sshd's cumulative Port: ours is among the ports, with others from other files. */
static bool diff_is_extra_port(const EffDiff *e) {
        _cleanup_strv_free_ char **ports = NULL;

        return strcasecmp(e->setting->keyword, "Port") == 0 && strv_split(e->actual, " ", &ports) >= 0 &&
               strv_contains(ports, e->setting->value);
}

static void speculative_free(void *k) {
        candidate_done(k);
        free(k);
}

/* Before an apply's probes: when there is work to do, the proposed configuration is staged and
 * sshd -T checks it beside the current one (two OpenSSH starts side by side, not one after the
 * other, the current one's answer then serving the probes); the preflight takes it
 * (speculative_take) when what it stages itself is the same. */
static int ssh_prepare(Context *c) {
        _cleanup_(plan_done) SshPlan plan = {};
        ModuleCache *slot = &c->cache[MODULE_SSH];
        const char *configs[2] = { SSH_MAIN_CONFIG };
        const SshPlan *p = &plan;
        Candidate *k;
        int r;

        if (slot->data)
                slot->free(slot->data);
        *slot = (ModuleCache){};
        r = plan_load(c, &plan);
        if (r < 0)
                return r == -ENOMEM ? r : 0; /* the probe reports it */
        if (!p->have_sshd || !p->sshd->dump_config_warm || !p->cache || p->has_match || p->exec.chroot ||
            !plan_has_work(p))
                return 0;
        k = calloc(1, sizeof(Candidate));
        if (!k)
                return -ENOMEM;
        if (candidate_build(c, p, true, k) < 0) {
                speculative_free(k); /* the preflight stages it again and says why it cannot */
                return 0;
        }
        *slot = (ModuleCache){ .data = k, .free = speculative_free };
        configs[1] = k->config;
        return p->sshd->dump_config_warm(p->sshd->userdata, &p->exec, p->cache, configs, ELEMENTSOF(configs));
}

static void speculative_freep(Candidate **k) {
        if (*k)
                speculative_free(*k);
}

/* The candidate ssh_prepare() staged, when it is the same as k, else NULL (and it is dropped). */
static Candidate *speculative_take(Context *c, const Candidate *k) {
        ModuleCache *slot = &c->cache[MODULE_SSH];
        Candidate *s = slot->data;

        *slot = (ModuleCache){};
        if (s && !candidate_same(s, k)) {
                speculative_free(s);
                return NULL;
        }
        return s;
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
                _cleanup_free_ char *subject = NULL, *actual = NULL;
                bool all = diff_same_for_all(p, &d, i);

                if (all && !streq(e->user, p->users[0]))
                        continue; /* reported once, with the first user */
                /* the keyword as sshd -T prints it */
                r = all ? asprintf(&subject, "%s", e->setting->keyword)
                        : asprintf(&subject, "%s (user %s)", e->setting->keyword, e->user);
                if (r < 0)
                        return -ENOMEM;
                if (diff_is_extra_port(e)) {
                        _cleanup_free_ char *where = NULL;

                        r = port_sources(c, p, &where);
                        if (r < 0)
                                return r;
                        if (asprintf(&actual, "%s (Port is cumulative: %s adds a port)", e->actual, where) < 0)
                                return -ENOMEM;
                }
                for (char *q = subject; *q && *q != ' '; q++)
                        *q = (char) (*q >= 'A' && *q <= 'Z' ? *q - 'A' + 'a' : *q);
                r = finding_add(out, &(Finding){ .module = "ssh",
                                                 .check = "effective",
                                                 .subject = subject,
                                                 .kind = FINDING_DRIFT,
                                                 .severity = keyword_severity(e->setting->keyword),
                                                 .fixable = plan_has_work(p),
                                                 .expected = e->setting->value,
                                                 .actual = actual ?: e->actual });
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

/* Port in the drop-in does not move a socket-activated sshd: the socket unit's ListenStream= wins. */
static int probe_socket_port(Context *c, const SshPlan *p, FindingList *out) {
        _cleanup_strv_free_ char **addrs = NULL;
        _cleanup_free_ char *list = NULL, *expected = NULL, *actual = NULL;
        unsigned port = c->policy->ssh.port;
        bool same = p->start.n_listen > 0;
        int r;

        if (p->start.kind != SSHD_START_SOCKET)
                return 0;
        for (size_t i = 0; i < p->start.n_listen; i++) {
                if ((r = strv_extend(&addrs, p->start.listen[i].address)) < 0)
                        return r;
                same = same && p->start.listen[i].port == port;
        }
        if (addrs ? strv_join(addrs, " ", &list) < 0 : !(list = strdup("no TCP port")))
                return -ENOMEM;
        if (asprintf(&expected, "sshd on Port %u (ssh.port)", port) < 0)
                return -ENOMEM;
        if (same ? asprintf(&actual,
                            "%s starts sshd and listens on %s (ListenStream=), the same port: the socket, not the "
                            "drop-in's Port, decides where a socket-activated sshd listens",
                            p->start.unit, list) < 0
                 : asprintf(&actual,
                            "%s starts sshd and listens on %s (ListenStream=): the socket's port wins over the "
                            "drop-in's Port %u%s",
                            p->start.unit, list, port,
                            p->start.generator
                                    ? "; sshd-socket-generator makes the socket follow Port at the next boot"
                                    : ", which this socket-activated sshd does not use") < 0)
                return -ENOMEM;
        return finding_add(out, &(Finding){ .module = "ssh",
                                            .check = "socket-port",
                                            .subject = p->start.unit,
                                            .kind = FINDING_INFO,
                                            .severity = SEVERITY_INFO,
                                            .expected = expected,
                                            .actual = actual });
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
            (r = finding_add(
                     out,
                     &(Finding){ .module = "ssh",
                                 .check = "include",
                                 .subject = SSH_MAIN_CONFIG,
                                 .kind = FINDING_DRIFT,
                                 .severity = SEVERITY_HIGH,
                                 .fixable = true,
                                 .expected = SSH_INCLUDE_LINE " before any managed keyword",
                                 .actual = p.main_text
                                                   ? "missing, or after a managed keyword, Match or another Include"
                                                   : "the file is missing" })) < 0)
                return r;
        r = probe_socket_port(c, &p, out);
        if (r < 0)
                return r;
        r = probe_earlier_dropins(c, &p, out, NULL);
        if (r < 0)
                return r;
        return probe_effective(c, &p, out);
}

static int format_diffs(Context *c, const SshPlan *p, const EffDiffs *d, char **ret) {
        _cleanup_strv_free_ char **l = NULL;

        for (size_t i = 0; i < d->n; i++) {
                const EffDiff *e = &d->items[i];
                _cleanup_free_ char *where = NULL;
                int r;

                if (diff_is_extra_port(e)) {
                        r = port_sources(c, p, &where);
                        if (r < 0)
                                return r;
                        r = strv_extendf(&l,
                                         "sshd would listen on ports %s, not only on %s: Port is cumulative (every "
                                         "Port line in every file adds a port), and %s adds one; remove it, or set "
                                         "ssh.port to that port",
                                         e->actual, e->setting->value, where);
                } else
                        r = strv_extendf(&l, "%s %s for %s (want %s)", e->setting->keyword, e->actual, e->user,
                                         e->setting->value);
                if (r < 0)
                        return -ENOMEM;
                if (diff_is_extra_port(e) && diff_same_for_all(p, d, i))
                        while (i + 1 < d->n && d->items[i + 1].setting == e->setting)
                                i++;
        }
        return strv_join(l, "; ", ret);
}

static int ssh_preflight(Context *c, const FindingList *all, Outcome *o) {
        _cleanup_(plan_done) SshPlan p = {};
        _cleanup_(candidate_done) Candidate k = {};
        _cleanup_(sshd_dump_done) SshdDump dump = {};
        _cleanup_(eff_diffs_done) EffDiffs d = {};
        _cleanup_free_ char *error = NULL, *text = NULL;
        _cleanup_(speculative_freep) Candidate *spec = NULL;
        const Candidate *kk = &k;
        bool checked = false;
        int r;

        r = plan_load(c, &p);
        if (r < 0)
                return outcome_fail(o, r, "cannot read the sshd configuration: %s", strerror(-r));
        if (p.have_sshd) {
                r = candidate_build(c, &p, true, &k);
                if (r < 0)
                        return outcome_fail(o, r, "cannot stage the sshd configuration for sshd -T: %s", strerror(-r));
                /* the same files staged by the probe were checked beside its sshd -T: their answer is
                 * in the cache while they (and /etc/ssh) are unchanged */
                spec = speculative_take(c, &k);
                if (spec)
                        kk = spec;
                /* sshd -T makes every check sshd -t makes (the same load of the configuration and the
                 * host keys) before it prints the effective settings: one run does both */
                r = effective_diffs(&p, kk->config, &d, &dump, &error);
                if (r == -EINVAL) {
                        _cleanup_free_ char *shown = unstage_paths(kk, error);

                        return outcome_fail(o, r,
                                            "sshd -T rejects the resulting configuration; nothing was changed: %s",
                                            shown ?: strna(error));
                }
                if (r < 0)
                        return outcome_fail(o, r, "sshd -T fails on the resulting configuration: %s",
                                            error ?: strerror(-r));
                checked = true;
        }
        if (!c->policy->ssh.password_authentication && c->policy->ssh.require_key) {
                SshGuardInput gi = {
                        .exec = checked ? &p.exec : NULL,
                        .cache = p.cache,
                        .config = kk->config,
                        .shared = checked ? &dump : NULL,
                        .has_match = p.has_match,
                        .addr = p.addr,
                        .laddr = p.laddr,
                };

                r = ssh_guard_check(c, &gi, o);
                if (r < 0)
                        return r;
        }
        /* a way in survives: what would still not be in effect is the next reason to stop */
        if (d.n > 0) {
                if (format_diffs(c, &p, &d, &text) < 0)
                        return -ENOMEM;
                return outcome_fail(o, -EINVAL,
                                    "the resulting configuration would not be in effect (a file read first wins; see "
                                    "the dropin-order findings); nothing was changed: %s",
                                    text);
        }
        if (!c->repair) {
                _cleanup_strv_free_ char **conflicting = NULL;

                r = probe_earlier_dropins(c, &p, NULL, &conflicting);
                if (r < 0)
                        return outcome_fail(o, r, "cannot read %s: %s", SSH_DROPIN_DIR, strerror(-r));
                if (!strv_isempty(conflicting) && !c->force) {
                        _cleanup_free_ char *names = NULL;

                        if (strv_join(conflicting, ", ", &names) < 0)
                                return -ENOMEM;
                        return outcome_fail(o, -EPERM,
                                            "refusing: %s in " SSH_DROPIN_DIR " %s read before " SSH_DROPIN_NAME
                                            " and set%s managed keywords to other values (sshd keeps the first "
                                            "value it reads, in Match blocks too); remove or rename %s so that "
                                            "it sorts after " SSH_DROPIN_NAME ", or use --force",
                                            names, strv_length(conflicting) > 1 ? "are" : "is",
                                            strv_length(conflicting) > 1 ? "" : "s",
                                            strv_length(conflicting) > 1 ? "them" : "it");
                }
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
        SshdConn conn = { .user = p->has_match ? p->users[0] : NULL, .host = p->addr, .addr = p->addr };
        const char *pidfile = NULL;
        sd_bus *bus = NULL;
        int r;

        /* PidFile is global (not allowed in Match): the first checked user's view has it too, and
         * asking with the same command line as the verifying probe lets that probe reuse the answer */
        if (p->have_sshd && p->sshd->dump_config(p->sshd->userdata, &p->exec, p->cache, SSH_MAIN_CONFIG,
                                                 conn.user ? &conn : NULL, &d, &error) >= 0)
                pidfile = sshd_dump_get(&d, "pidfile");
        if (context_get_bus(c, &bus) < 0)
                bus = NULL;
        r = p->sshd->reload(p->sshd->userdata, bus, pidfile && pidfile[0] == '/' ? pidfile : DEFAULT_PIDFILE, &how);
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
            (r = outcome_change(o, "not checked with sshd -T: %s",
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

/* Module.after_restore: a rollback put sshd's files back; a running sshd reads them on a reload. */
static int ssh_after_restore(Context *c, char ***changes, char ***errors) {
        const SshdOps *sshd = ssh_sshd_ops(c);
        _cleanup_free_ char *how = NULL;
        sd_bus *bus = NULL;
        int r;

        if (context_get_bus(c, &bus) < 0)
                bus = NULL;
        r = sshd->reload(sshd->userdata, bus, DEFAULT_PIDFILE, &how);
        if (r < 0) {
                (void) strv_extendf(errors, "cannot reload sshd: %s", strerror(-r));
                return r;
        }
        if (r > 0)
                (void) strv_extend(changes, how);
        return 0;
}

/* Module.watch: sshd_config and its drop-ins; passwd and group (Match User and Group, the
 * anti-lockout candidates). */
static int ssh_watch(Context *c, WatchSpec **l, size_t *n) {
        int r;

        (void) c;
        r = watch_spec_add(l, n, "/etc", (const char *const[]){ "passwd", "group", "shadow", NULL });
        if (r >= 0)
                r = watch_spec_add(l, n, SSH_CONFIG_DIR,
                                   (const char *const[]){ "sshd_config", "sshd_config.d", NULL });
        return r < 0 ? r : watch_spec_add(l, n, SSH_DROPIN_DIR, NULL);
}

/* Module.provide: the port the drop-in will set, for the firewall's SSH ports. */
static int ssh_provide(Context *c) {
        if (ssh_enabled(c->policy) && context_module_selected(c, MODULE_SSH))
                c->sshd_plan.port = c->policy->ssh.port;
        return 0;
}

const Module ssh_module = {
        .id = MODULE_SSH,
        .name = "ssh",
        .policy = &ssh_policy_section,
        .enabled = ssh_enabled,
        .probe = ssh_probe,
        .preflight = ssh_preflight,
        .apply = ssh_apply,
        .snapshot_paths = ssh_snapshot_paths,
        .after_restore = ssh_after_restore,
        .watch = ssh_watch,
        .provide = ssh_provide,
        .prefetch = plan_prefetch,
        .prepare = ssh_prepare,
};
