/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "strv.h"
#include "fileio.h"
#include "spawn.h"
#include "sshd.h"

#define SSHD_PATH       "/usr/sbin/sshd"
#define SSH_KEYGEN_PATH "/usr/bin/ssh-keygen"
#define NOBODY          65534
#define USERSPEC        "--userspec=65534:65534"
#define SSH_PATH        "/usr/bin/ssh"
#define CHROOT_PATH     "/usr/sbin/chroot"
#define PRIVSEP_DIR     "/run/sshd"
#define SSHD_TIMEOUT_MS 15000
#define MAX_ARGS        16

static bool executable_at_root(const char *root, const char *path) {
        struct stat st;

        return lstat_at_root(root, path, &st) >= 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
}

/* Without a key sshd -t/-T refuse to run; without one of their own, unprivileged sshd can read none. */
static int scratch_prepare(SshdExec *e) {
        _cleanup_(spawn_result_done) SpawnResult res = {};
        _cleanup_free_ char *tmpl = NULL, *key = NULL;
        struct stat st;
        int r;

        r = lstat_at_root(e->root, "/tmp", &st);
        if (r < 0 || !S_ISDIR(st.st_mode) || access(SSH_KEYGEN_PATH, X_OK) < 0)
                return -ENOENT;
        if (asprintf(&tmpl, "%s/tmp", e->root) < 0)
                return -ENOMEM;
        r = mkdtemp_owned(tmpl, "hardend-sshd", &e->scratch);
        if (r < 0)
                return r;
        if (chmod(e->scratch, 0755) < 0 || asprintf(&key, "%s/hostkey", e->scratch) < 0)
                goto fail;
        {
                const char *argv[] = { SSH_KEYGEN_PATH, "-q", "-t", "ed25519", "-N", "", "-C",
                                       "hardend-check", "-f", key,  NULL };
                SpawnOptions o = { .argv = argv, .timeout_ms = SSHD_TIMEOUT_MS };

                if (spawn_run(&o, &res) < 0 || !spawn_result_ok(&res) || chown(key, NOBODY, NOBODY) < 0)
                        goto fail;
        }
        e->hostkey = strdup(key + strlen(e->root));
        if (!e->hostkey)
                goto fail;
        return 0;
fail:
        sshd_exec_done(e);
        return -EIO;
}

int sshd_exec_find(const char *root, bool live, SshdExec *ret) {
        if (live) {
                if (access(SSHD_PATH, X_OK) < 0)
                        return -ENOENT;
                if (access(PRIVSEP_DIR, F_OK) < 0 && errno == ENOENT)
                        (void) mkdir(PRIVSEP_DIR, 0755);
                *ret = (SshdExec){ .root = "/" };
                return 0;
        }
        if (!executable_at_root(root, SSHD_PATH) || access(CHROOT_PATH, X_OK) < 0)
                return -ENOENT;
        *ret = (SshdExec){ .root = root, .chroot = true };
        (void) scratch_prepare(ret);
        return 0;
}

void sshd_exec_done(SshdExec *e) {
        if (e->scratch) {
                static const char *const names[] = { "hostkey", "hostkey.pub" };

                for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                        _cleanup_free_ char *p = NULL;

                        if (asprintf(&p, "%s/%s", e->scratch, names[i]) >= 0)
                                (void) unlink(p);
                }
                (void) rmdir(e->scratch);
        }
        free(e->scratch);
        free(e->hostkey);
        e->scratch = e->hostkey = NULL;
}

/* Trims trailing newlines; returns s. */
static char *chomp(char *s) {
        size_t l = s ? strlen(s) : 0;

        while (l > 0 && (s[l - 1] == '\n' || s[l - 1] == '\r'))
                s[--l] = 0;
        return s;
}

static size_t build_argv(const SshdExec *e, const char *tool, const char *const *args, const char **argv) {
        size_t n = 0;

        if (e && e->chroot) {
                argv[n++] = CHROOT_PATH;
                argv[n++] = USERSPEC;
                argv[n++] = e->root;
        }
        argv[n++] = tool;
        if (e && e->hostkey && streq(tool, SSHD_PATH)) {
                argv[n++] = "-h";
                argv[n++] = e->hostkey;
        }
        for (; *args && n < MAX_ARGS - 1; args++)
                argv[n++] = *args;
        argv[n] = NULL;
        return n;
}

static int run_argv(const char **argv, SpawnResult *ret, char **ret_error) {
        SpawnOptions o = { .argv = argv, .timeout_ms = SSHD_TIMEOUT_MS };
        int r;

        r = spawn_run(&o, ret);
        if (r < 0)
                return r;
        if (spawn_result_ok(ret))
                return 0;
        if (ret_error) {
                if (!isempty(ret->err))
                        *ret_error = strdup(chomp(ret->err));
                else
                        (void) spawn_result_describe(ret, &o, ret_error);
                if (!*ret_error)
                        return -ENOMEM;
        }
        return -EINVAL;
}

int sshd_dump_config(const SshdExec *e, SshdCache *cache, const char *config, const char *user, const char *addr,
                     SshdDump *ret, char **ret_error) {
        SshdConn conn = { .user = user, .host = addr, .addr = addr };

        return sshd_dump_config_conn(e, cache, config, user ? &conn : NULL, ret, ret_error);
}

int sshd_dump_config_conn(const SshdExec *e, SshdCache *cache, const char *config, const SshdConn *conn, SshdDump *ret,
                          char **ret_error) {
        _cleanup_(spawn_result_done) SpawnResult res = {};
        _cleanup_(ssh_signature_done) SshSignature sig = {};
        _cleanup_(sshd_dump_done) SshdDump d = {};
        _cleanup_free_ char *spec = NULL;
        const char *args[8] = { "-T", "-f", config };
        const char *argv[MAX_ARGS] = {};
        int r;

        if (conn) {
                int k = conn->laddr ? asprintf(&spec, "user=%s,host=%s,addr=%s,laddr=%s,lport=%u", conn->user,
                                               conn->host, conn->addr, conn->laddr, conn->lport)
                                    : asprintf(&spec, "user=%s,host=%s,addr=%s", conn->user, conn->host, conn->addr);

                if (k < 0)
                        return -ENOMEM;
                args[3] = "-C";
                args[4] = spec;
        }
        (void) build_argv(e, SSHD_PATH, args, argv);
        /* an image's sshd runs with a throwaway host key: nothing to reuse */
        if (cache && !e->chroot) {
                r = sshd_signature(e->root, SSHD_PATH, config, &sig);
                if (r == -ENOMEM)
                        return r;
                if (r >= 0) {
                        /* the signature is taken before sshd runs: a change meanwhile is seen next time */
                        r = sshd_cache_lookup(cache, argv, &sig, NULL, ret);
                        if (r != 0)
                                return r;
                } else
                        cache = NULL;
        } else
                cache = NULL;
        r = run_argv(argv, &res, ret_error);
        if (r < 0)
                return r;
        r = sshd_dump_parse(res.out, &d);
        if (r < 0)
                return r;
        if (cache && (r = sshd_cache_store(cache, argv, &sig, NULL, &d)) < 0)
                return r;
        *ret = d;
        d = (SshdDump){};
        return 0;
}

typedef struct Query {
        const char *args[3];
        const char *argv[MAX_ARGS];
        SshSignature sig;
        SpawnOptions opts;
        SpawnJob *job;
        bool cached; /* sig is valid and the answer may be kept */
} Query;

int ssh_query_many(SshdCache *cache, const char *root, bool live, const char *const *whats, size_t n, char ***rets,
                   size_t *ret_failed) {
        SshdExec e = { .root = root, .chroot = !live && executable_at_root(root, SSH_PATH) };
        _cleanup_free_ Query *q = NULL;
        size_t failed = n;
        int r = 0;

        if (!e.chroot && access(SSH_PATH, X_OK) < 0) {
                *ret_failed = 0;
                return -ENOENT;
        }
        q = calloc(n ?: 1, sizeof(Query));
        if (!q)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                rets[i] = NULL;
        /* the answers not known are asked side by side: each ssh -Q is mostly its own start-up */
        for (size_t i = 0; i < n && r >= 0; i++) {
                q[i].args[0] = "-Q";
                q[i].args[1] = whats[i];
                (void) build_argv(&e, SSH_PATH, q[i].args, q[i].argv);
                if (cache) {
                        r = ssh_tool_signature(e.chroot ? root : "/", SSH_PATH, &q[i].sig);
                        if (r == -ENOMEM)
                                break;
                        q[i].cached = r >= 0;
                        r = q[i].cached ? sshd_cache_lookup(cache, q[i].argv, &q[i].sig, &rets[i], NULL) : 0;
                        if (r != 0)
                                continue; /* answered (1), or out of memory */
                }
                q[i].opts = (SpawnOptions){ .argv = q[i].argv, .timeout_ms = SSHD_TIMEOUT_MS };
                r = spawn_start(&q[i].opts, &q[i].job);
                if (r < 0)
                        failed = i;
        }
        /* every started job is waited for, whatever went wrong meanwhile */
        for (size_t i = 0; i < n; i++) {
                _cleanup_(spawn_result_done) SpawnResult res = {};
                int k;

                if (!q[i].job)
                        continue;
                k = spawn_wait(q[i].job, &res);
                q[i].job = NULL;
                if (k >= 0 && !spawn_result_ok(&res))
                        k = -EINVAL;
                if (k >= 0)
                        k = strv_split(res.out, " \t\r\n", &rets[i]);
                if (k >= 0 && cache && q[i].cached)
                        k = sshd_cache_store(cache, q[i].argv, &q[i].sig, rets[i], NULL);
                if (k < 0 && r >= 0) {
                        r = k;
                        failed = i;
                }
        }
        for (size_t i = 0; i < n; i++)
                ssh_signature_done(&q[i].sig);
        if (r < 0) {
                for (size_t i = 0; i < n; i++)
                        rets[i] = strv_free(rets[i]);
                *ret_failed = failed < n ? failed : 0;
                return r;
        }
        return 0;
}

static int unit_active(sd_bus *bus, const char *unit) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *state = NULL;
        const char *path;
        int r;

        r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                               "org.freedesktop.systemd1.Manager", "GetUnit", &error, &reply, "s", unit);
        if (r < 0)
                return 0; /* not loaded: not this system's sshd unit */
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return r;
        r = sd_bus_get_property_string(bus, "org.freedesktop.systemd1", path, "org.freedesktop.systemd1.Unit",
                                       "ActiveState", &error, &state);
        if (r < 0)
                return r;
        return streq(state, "active") || streq(state, "reloading");
}

static int reload_over_bus(sd_bus *bus, char **ret_how) {
        static const char *const units[] = { "ssh.service", "sshd.service" };

        for (size_t i = 0; i < ELEMENTSOF(units); i++) {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                int r = unit_active(bus, units[i]);

                if (r < 0)
                        return r;
                if (r == 0)
                        continue;
                r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                       "org.freedesktop.systemd1.Manager", "ReloadUnit", &error, NULL, "ss", units[i],
                                       "replace");
                if (r < 0)
                        return r;
                return asprintf(ret_how, "reloaded %s", units[i]) < 0 ? -ENOMEM : 1;
        }
        return 0;
}

static int reload_by_pidfile(const char *pidfile, char **ret_how) {
        _cleanup_free_ char *text = NULL, *comm = NULL, *comm_path = NULL;
        size_t len;
        long pid;
        char *end;
        int r;

        r = read_file_at_root("/", pidfile, false, 64, &text, &len);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        pid = strtol(text, &end, 10);
        if (pid <= 1 || (*end && *end != '\n'))
                return 0;
        if (asprintf(&comm_path, "/proc/%ld/comm", pid) < 0)
                return -ENOMEM;
        r = read_file_at_root("/", comm_path, false, 64, &comm, &len);
        if (r == -ENOENT)
                return 0; /* stale pid file */
        if (r < 0)
                return r;
        if (!streq(chomp(comm), "sshd"))
                return 0; /* the pid was reused by something else */
        if (kill((pid_t) pid, SIGHUP) < 0)
                return errno == ESRCH ? 0 : -errno;
        return asprintf(ret_how, "sent SIGHUP to sshd (pid %ld)", pid) < 0 ? -ENOMEM : 1;
}

int sshd_reload(sd_bus *bus, const char *pidfile, char **ret_how) {
        if (bus)
                return reload_over_bus(bus, ret_how);
        return reload_by_pidfile(pidfile, ret_how);
}

static int real_exec_find(void *userdata, const char *root, bool live, SshdExec *ret) {
        (void) userdata;
        return sshd_exec_find(root, live, ret);
}

static void real_exec_done(void *userdata, SshdExec *e) {
        (void) userdata;
        sshd_exec_done(e);
}

#define WARM_MAX 4

int sshd_dump_config_warm(const SshdExec *e, SshdCache *cache, const char *const *configs, size_t n) {
        struct {
                const char *args[4];
                const char *argv[MAX_ARGS];
                SshSignature sig;
                SpawnOptions o;
                SpawnJob *job;
        } w[WARM_MAX] = {};
        int r = 0;

        if (!cache || e->chroot)
                return 0;
        if (n > WARM_MAX)
                n = WARM_MAX;
        for (size_t i = 0; i < n && r >= 0; i++) {
                int k;

                w[i].args[0] = "-T", w[i].args[1] = "-f", w[i].args[2] = configs[i];
                (void) build_argv(e, SSHD_PATH, w[i].args, w[i].argv);
                k = sshd_signature(e->root, SSHD_PATH, configs[i], &w[i].sig);
                if (k == -ENOMEM)
                        r = k;
                if (k < 0)
                        continue;
                k = sshd_cache_lookup(cache, w[i].argv, &w[i].sig, NULL, NULL);
                if (k < 0)
                        r = k;
                if (k != 0)
                        continue;
                w[i].o = (SpawnOptions){ .argv = w[i].argv, .timeout_ms = SSHD_TIMEOUT_MS };
                if (spawn_start(&w[i].o, &w[i].job) < 0)
                        w[i].job = NULL;
        }
        /* every started job is waited for, even after a failure */
        for (size_t i = 0; i < n; i++) {
                _cleanup_(spawn_result_done) SpawnResult res = {};
                _cleanup_(sshd_dump_done) SshdDump d = {};

                if (w[i].job && spawn_wait(w[i].job, &res) >= 0 && spawn_result_ok(&res) && r >= 0) {
                        int k = sshd_dump_parse(res.out, &d);

                        if (k >= 0)
                                k = sshd_cache_store(cache, w[i].argv, &w[i].sig, NULL, &d);
                        if (k == -ENOMEM)
                                r = k;
                }
                ssh_signature_done(&w[i].sig);
        }
        return r;
}

static int real_dump_config_warm(void *userdata, const SshdExec *e, SshdCache *cache, const char *const *configs,
                                 size_t n) {
        (void) userdata;
        return sshd_dump_config_warm(e, cache, configs, n);
}

static int real_dump_config(void *userdata, const SshdExec *e, SshdCache *cache, const char *config,
                            const SshdConn *conn, SshdDump *ret, char **ret_error) {
        (void) userdata;
        return sshd_dump_config_conn(e, cache, config, conn, ret, ret_error);
}

static int real_query(void *userdata, SshdCache *cache, const char *root, bool live, const char *const *whats,
                      size_t n, char ***rets, size_t *ret_failed) {
        (void) userdata;
        return ssh_query_many(cache, root, live, whats, n, rets, ret_failed);
}

static int real_reload(void *userdata, sd_bus *bus, const char *pidfile, char **ret_how) {
        (void) userdata;
        return sshd_reload(bus, pidfile, ret_how);
}

static int real_sudo_root_check(void *userdata, const char *root, const char *user, const SudoOverlay *overlays,
                                size_t n_overlays, SudoRoot *ret, char **ret_why) {
        (void) userdata;
        return sudo_root_check(root, user, overlays, n_overlays, ret, ret_why);
}

const SshdOps sshd_ops_real = {
        .exec_find = real_exec_find,
        .exec_done = real_exec_done,
        .dump_config = real_dump_config,
        .dump_config_warm = real_dump_config_warm,
        .query = real_query,
        .reload = real_reload,
        .sudo_root_check = real_sudo_root_check,
};
