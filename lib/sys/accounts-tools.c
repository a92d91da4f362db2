/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accounts-tools.h"
#include "fileio.h"
#include "macro.h"
#include "spawn.h"

static const char *const tool_paths[_ACCT_TOOL_MAX] = {
        [ACCT_TOOL_GROUPADD] = "/usr/sbin/groupadd", [ACCT_TOOL_USERADD] = "/usr/sbin/useradd",
        [ACCT_TOOL_USERMOD] = "/usr/sbin/usermod",   [ACCT_TOOL_CHPASSWD] = "/usr/sbin/chpasswd",
        [ACCT_TOOL_VISUDO] = "/usr/sbin/visudo",
};

const char *acct_tool_path(AcctTool t) {
        return t >= 0 && t < _ACCT_TOOL_MAX ? tool_paths[t] : NULL;
}

static int set_error(char **ret_error, int r, const char *fmt, ...) _printf_(3, 4);
static int set_error(char **ret_error, int r, const char *fmt, ...) {
        va_list ap;
        int k;

        va_start(ap, fmt);
        k = vasprintf(ret_error, fmt, ap);
        va_end(ap);
        if (k < 0) {
                *ret_error = NULL;
                return -ENOMEM;
        }
        return r;
}

/* Runs a tool to completion: a failure to start it is its -errno, a non-zero exit -EIO (with
 * ret_status, the exit status; -1 when it did not exit). */
static int run_tool_status(const char *const *argv, const char *stdin_data, int *ret_status, char **ret_error) {
        _cleanup_(spawn_result_done) SpawnResult sr = {};
        _cleanup_free_ char *desc = NULL;
        SpawnOptions so = { .argv = argv, .stdin_data = stdin_data, .stdin_len = stdin_data ? strlen(stdin_data) : 0 };
        int r;

        if (ret_status)
                *ret_status = -1;
        r = spawn_run(&so, &sr);
        if (r < 0)
                return set_error(ret_error, r, "Failed to run %s: %s", argv[0], strerror(-r));
        if (ret_status)
                *ret_status = sr.exit_code;
        if (spawn_result_ok(&sr))
                return 0;
        if (spawn_result_describe(&sr, &so, &desc) < 0)
                return -ENOMEM;
        if (sr.err_len > 0 && sr.err[sr.err_len - 1] == '\n')
                sr.err[sr.err_len - 1] = 0;
        return set_error(ret_error, -EIO, "%s: %s", desc, isempty(sr.err) ? "(no message)" : sr.err);
}

static int run_tool(const char *const *argv, const char *stdin_data, char **ret_error) {
        return run_tool_status(argv, stdin_data, NULL, ret_error);
}

/* argv[0], then "-R ROOT" for an image tree, then the rest (NULL-terminated). */
#define TOOL_ARGV(root, tool, ...)                                                         \
        (root_is_live(root) ? (const char *const[]){ tool_paths[tool], __VA_ARGS__, NULL } \
                            : (const char *const[]){ tool_paths[tool], "-R", (root), __VA_ARGS__, NULL })

static int real_available(void *userdata, AcctTool tool) {
        (void) userdata;
        if (!acct_tool_path(tool))
                return -EINVAL;
        return access(tool_paths[tool], X_OK) < 0 ? -errno : 0;
}

static int real_groupadd(void *userdata, const char *root, const char *group, const char *member, char **ret_error) {
        (void) userdata;
        if (member) {
                int status, r = run_tool_status(TOOL_ARGV(root, ACCT_TOOL_GROUPADD, "-U", member, group), NULL,
                                                &status, ret_error);

                if (r != -EIO || status != 2)
                        return r;
                *ret_error = mfree(*ret_error);
        }
        return run_tool(TOOL_ARGV(root, ACCT_TOOL_GROUPADD, group), NULL, ret_error);
}

static int real_useradd(void *userdata, const char *root, const char *user, const char *home, const char *shell,
                        const char *group, char **ret_error) {
        (void) userdata;
        return run_tool(shell ? TOOL_ARGV(root, ACCT_TOOL_USERADD, "-m", "-d", home, "-s", shell, "-G", group, user)
                              : TOOL_ARGV(root, ACCT_TOOL_USERADD, "-m", "-d", home, "-G", group, user),
                        NULL, ret_error);
}

static int real_usermod_add_group(void *userdata, const char *root, const char *user, const char *group,
                                  char **ret_error) {
        (void) userdata;
        return run_tool(TOOL_ARGV(root, ACCT_TOOL_USERMOD, "-a", "-G", group, user), NULL, ret_error);
}

static int real_set_password(void *userdata, const char *root, const char *user, const char *hash, char **ret_error) {
        _cleanup_free_ char *line = NULL;
        int r;

        (void) userdata;
        if (asprintf(&line, "%s:%s\n", user, hash) < 0)
                return -ENOMEM;
        r = run_tool(TOOL_ARGV(root, ACCT_TOOL_CHPASSWD, "-e"), line, ret_error);
        explicit_bzero(line, strlen(line));
        return r;
}

static int real_lock_password(void *userdata, const char *root, const char *user, char **ret_error) {
        (void) userdata;
        return run_tool(TOOL_ARGV(root, ACCT_TOOL_USERMOD, "-L", user), NULL, ret_error);
}

static int real_visudo_check(void *userdata, const char *text, char **ret_error) {
        char tmp[] = "/tmp/hardend-sudoers.XXXXXX";
        _cleanup_close_ int fd = -EBADF;
        size_t len = strlen(text), done = 0;
        int r;

        (void) userdata;
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return set_error(ret_error, -errno, "Failed to create a temporary file for visudo: %m");
        while (done < len) {
                ssize_t n = write(fd, text + done, len - done);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        r = n < 0 ? negative_errno() : -EIO;
                        (void) unlink(tmp);
                        return set_error(ret_error, r, "Failed to write the temporary file for visudo: %s",
                                         strerror(-r));
                }
                done += (size_t) n;
        }
        fd = safe_close(fd);
        r = run_tool((const char *const[]){ tool_paths[ACCT_TOOL_VISUDO], "-c", "-f", tmp, NULL }, NULL, ret_error);
        (void) unlink(tmp);
        return r;
}

const AccountOps account_ops_real = {
        .available = real_available,
        .groupadd = real_groupadd,
        .useradd = real_useradd,
        .usermod_add_group = real_usermod_add_group,
        .set_password = real_set_password,
        .lock_password = real_lock_password,
        .visudo_check = real_visudo_check,
};
