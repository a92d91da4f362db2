/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "acctdb.h"
#include "fake-accounts.h"
#include "macro.h"
#include "strv.h"
#include "sys/fileio.h"

#define FIRST_ID 1000u

static int fail_with(char **ret_error, int r, const char *fmt, ...) _printf_(3, 4);
static int fail_with(char **ret_error, int r, const char *fmt, ...) {
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

/* Records the call; returns < 0 when it must not go on (another root, the injected failure). */
static int begin(FakeAccounts *f, FakeAcctCall call, const char *root, char **ret_error, const char *fmt, ...)
        _printf_(5, 6);
static int begin(FakeAccounts *f, FakeAcctCall call, const char *root, char **ret_error, const char *fmt, ...) {
        char *line = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&line, fmt, ap);
        va_end(ap);
        if (r < 0 || strv_consume(&f->calls, line) < 0)
                return -ENOMEM;
        if (root && !streq(root, f->root))
                return fail_with(ret_error, -EINVAL, "fake account tools: called for %s, not %s", root, f->root);
        if (call == f->fail_call)
                return fail_with(ret_error, f->fail_error, "%s", f->fail_message);
        return 0;
}

static int read_text(const FakeAccounts *f, const char *path, char **ret) {
        int r = read_file_at_root(f->root, path, true, READ_FILE_MAX, ret, NULL);

        if (r == -ENOENT)
                return (*ret = strdup("")) ? 0 : -ENOMEM;
        return r;
}

/* Replaces the file, keeping its mode and owner (a new one: mode, owned by the caller). */
static int write_text(const FakeAccounts *f, const char *path, const char *text, mode_t mode) {
        struct stat st;

        if (lstat_at_root(f->root, path, &st) >= 0)
                return write_file_atomic(f->root, path, text, strlen(text), st.st_mode & 07777, st.st_uid, st.st_gid,
                                         NULL);
        return write_file_atomic(f->root, path, text, strlen(text), mode, UID_KEEP, GID_KEEP, NULL);
}

static int append(const FakeAccounts *f, const char *path, const char *line, mode_t mode) {
        _cleanup_free_ char *text = NULL, *joined = NULL;
        int r;

        r = read_text(f, path, &text);
        if (r < 0)
                return r;
        if (asprintf(&joined, "%s%s%s\n", text, *text && !endswith(text, "\n") ? "\n" : "", line) < 0)
                return -ENOMEM;
        return write_text(f, path, joined, mode);
}

/* The file with the line of name (its first field) rewritten by edit; -ENOENT when there is none. */
static int edit(const FakeAccounts *f, const char *path, const char *name,
                int (*edit_line)(const char *line, const char *arg, char **ret), const char *arg) {
        _cleanup_free_ char *text = NULL, *out = NULL;
        size_t len = 0, nl = strlen(name);
        bool found = false;
        FILE *m;
        int r;

        r = read_text(f, path, &text);
        if (r < 0)
                return r;
        m = open_memstream(&out, &len);
        if (!m)
                return -ENOMEM;
        for (const char *p = text; *p;) {
                size_t l = strcspn(p, "\n");
                _cleanup_free_ char *line = strndup(p, l), *changed = NULL;

                r = line ? 0 : -ENOMEM;
                if (r >= 0 && !found && strncmp(line, name, nl) == 0 && line[nl] == ':')
                        r = edit_line(line, arg, &changed);
                if (r < 0) {
                        (void) fclose(m);
                        return r;
                }
                found = found || changed;
                fprintf(m, "%s\n", changed ?: line);
                p += l + (p[l] == '\n');
        }
        if (fclose(m) != 0)
                return -ENOMEM;
        return found ? write_text(f, path, out, 0644) : -ENOENT;
}

/* group: user appended to the member list (the last field) unless it is there */
static int add_member(const char *line, const char *user, char **ret) {
        _cleanup_strv_free_ char **members = NULL;
        const char *last = strrchr(line, ':');

        if (strv_split(last + 1, ",", &members) < 0)
                return -ENOMEM;
        if (strv_contains(members, user))
                return (*ret = strdup(line)) ? 0 : -ENOMEM;
        return asprintf(ret, "%s%s%s", line, last[1] ? "," : "", user) < 0 ? -ENOMEM : 0;
}

/* shadow: '!' before the password, once */
static int lock_field(const char *line, const char *arg, char **ret) {
        const char *colon = strchr(line, ':');

        (void) arg;
        return asprintf(ret, "%.*s%s%s", (int) (colon - line + 1), line, colon[1] == '!' ? "" : "!", colon + 1) < 0
                       ? -ENOMEM
                       : 0;
}

/* shadow: the password replaced by hash */
static int set_field(const char *line, const char *hash, char **ret) {
        const char *colon = strchr(line, ':'), *next = strchr(colon + 1, ':');

        if (!next)
                return -EBADMSG;
        return asprintf(ret, "%.*s%s%s", (int) (colon - line + 1), line, hash, next) < 0 ? -ENOMEM : 0;
}

static int load(const FakeAccounts *f, AcctDb *db) {
        _cleanup_free_ char *passwd = NULL, *group = NULL, *shadow = NULL;
        int r;

        if ((r = read_text(f, "/etc/passwd", &passwd)) < 0 || (r = read_text(f, "/etc/group", &group)) < 0 ||
            (r = read_text(f, "/etc/shadow", &shadow)) < 0)
                return r;
        if (acct_parse_passwd(passwd, db, NULL) < 0 || acct_parse_group(group, db, NULL) < 0 ||
            acct_parse_shadow(shadow, db, NULL) < 0)
                return -EBADMSG;
        return 0;
}

static gid_t next_gid(const AcctDb *db) {
        gid_t gid = FIRST_ID;

        for (size_t i = 0; i < db->n_groups; i++)
                if (db->groups[i].gid >= gid)
                        gid = db->groups[i].gid + 1;
        return gid;
}

/* The message and exit status (as -EIO) of the real tool, from a failed file edit. */
static int edit_failed(char **ret_error, int r, const char *tool, const char *what) {
        return fail_with(ret_error, r == -ENOMEM ? r : -EIO,
                         "/usr/sbin/%s exited with status 1: %s: cannot update %s: %s", tool, tool, what,
                         strerror(-r));
}

static int fake_available(void *userdata, AcctTool tool) {
        FakeAccounts *f = userdata;

        f->n_available++;
        if (tool < 0 || tool >= _ACCT_TOOL_MAX)
                return -EINVAL;
        return f->missing[tool] ? -ENOENT : 0;
}

static bool has_gshadow(const FakeAccounts *f) {
        struct stat st;

        return lstat_at_root(f->root, "/etc/gshadow", &st) >= 0;
}

static int fake_groupadd(void *userdata, const char *root, const char *group, const char *member, char **ret_error) {
        _cleanup_(acct_db_done) AcctDb db = {};
        _cleanup_free_ char *line = NULL, *gsline = NULL;
        FakeAccounts *f = userdata;
        int r;

        r = begin(f, FAKE_ACCT_GROUPADD, root, ret_error, "groupadd %s%s%s%s", member ? "-U " : "", strempty(member),
                  member ? " " : "", group);
        if (r < 0)
                return r;
        r = load(f, &db);
        if (r < 0)
                return edit_failed(ret_error, r, "groupadd", "/etc/group");
        if (acct_db_group(&db, group))
                return fail_with(ret_error, -EIO,
                                 "/usr/sbin/groupadd exited with status 9: groupadd: group '%s' already exists",
                                 group);
        if (member && !acct_db_user(&db, member))
                return fail_with(ret_error, -EIO,
                                 "/usr/sbin/groupadd exited with status 3: groupadd: Invalid member username %s",
                                 member);
        if (asprintf(&line, "%s:x:%u:%s", group, (unsigned) next_gid(&db), strempty(member)) < 0 ||
            asprintf(&gsline, "%s:!::%s", group, f->groupadd_u_skips_gshadow ? "" : strempty(member)) < 0)
                return -ENOMEM;
        r = append(f, "/etc/group", line, 0644);
        if (r >= 0 && has_gshadow(f))
                r = append(f, "/etc/gshadow", gsline, 0640);
        return r < 0 ? edit_failed(ret_error, r, "groupadd", "/etc/group") : 0;
}

static int fake_useradd(void *userdata, const char *root, const char *user, const char *home, const char *shell,
                        const char *group, char **ret_error) {
        _cleanup_(acct_db_done) AcctDb db = {};
        _cleanup_free_ char *pw = NULL, *gr = NULL, *sh = NULL;
        FakeAccounts *f = userdata;
        int r;

        r = begin(f, FAKE_ACCT_USERADD, root, ret_error, "useradd -m -d %s%s%s -G %s %s", home, shell ? " -s " : "",
                  strempty(shell), group, user);
        if (r < 0)
                return r;
        r = load(f, &db);
        if (r < 0)
                return edit_failed(ret_error, r, "useradd", "/etc/passwd");
        if (acct_db_user(&db, user))
                return fail_with(ret_error, -EIO,
                                 "/usr/sbin/useradd exited with status 9: useradd: user '%s' already exists", user);
        if (!acct_db_group(&db, group))
                return fail_with(ret_error, -EIO,
                                 "/usr/sbin/useradd exited with status 6: useradd: group '%s' does not exist", group);
        if (asprintf(&pw, "%s:x:%u:%u::%s:%s", user, (unsigned) f->uid, (unsigned) f->gid, home, shell ?: "/bin/sh") <
                    0 ||
            asprintf(&gr, "%s:x:%u:", user, (unsigned) f->gid) < 0 ||
            asprintf(&sh, "%s:!:19800:0:99999:7:::", user) < 0)
                return -ENOMEM;
        if ((r = append(f, "/etc/passwd", pw, 0644)) < 0 ||
            (!acct_db_group(&db, user) && (r = append(f, "/etc/group", gr, 0644)) < 0) ||
            (r = edit(f, "/etc/group", group, add_member, user)) < 0 || (r = append(f, "/etc/shadow", sh, 0640)) < 0)
                return edit_failed(ret_error, r, "useradd", "the account files");
        if ((r = ensure_dir_at_root(f->root, "/home", 0755, UID_KEEP, GID_KEEP)) < 0 ||
            (r = ensure_dir_at_root(f->root, home, 0755, f->uid, f->gid)) < 0)
                return fail_with(ret_error, -EIO,
                                 "/usr/sbin/useradd exited with status 12: useradd: cannot create directory %s: %s",
                                 home, strerror(-r));
        return 0;
}

static int fake_usermod_add_group(void *userdata, const char *root, const char *user, const char *group,
                                  char **ret_error) {
        _cleanup_(acct_db_done) AcctDb db = {};
        FakeAccounts *f = userdata;
        int r;

        r = begin(f, FAKE_ACCT_USERMOD_ADD_GROUP, root, ret_error, "usermod -a -G %s %s", group, user);
        if (r < 0)
                return r;
        r = load(f, &db);
        if (r < 0)
                return edit_failed(ret_error, r, "usermod", "/etc/group");
        if (!acct_db_user(&db, user))
                return fail_with(ret_error, -EIO,
                                 "/usr/sbin/usermod exited with status 6: usermod: user '%s' does not exist", user);
        if (!acct_db_group(&db, group))
                return fail_with(ret_error, -EIO,
                                 "/usr/sbin/usermod exited with status 6: usermod: group '%s' does not exist", group);
        r = edit(f, "/etc/group", group, add_member, user);
        if (r >= 0 && has_gshadow(f))
                r = edit(f, "/etc/gshadow", group, add_member, user);
        return r < 0 ? edit_failed(ret_error, r, "usermod", "/etc/group") : 0;
}

static int fake_set_password(void *userdata, const char *root, const char *user, const char *hash, char **ret_error) {
        FakeAccounts *f = userdata;
        int r;

        r = begin(f, FAKE_ACCT_SET_PASSWORD, root, ret_error, "chpasswd -e (%s)", user);
        if (r < 0)
                return r;
        r = edit(f, "/etc/shadow", user, set_field, hash);
        if (r == -ENOENT)
                return fail_with(ret_error, -EIO,
                                 "/usr/sbin/chpasswd exited with status 1: chpasswd: user '%s' does not exist", user);
        return r < 0 ? edit_failed(ret_error, r, "chpasswd", "/etc/shadow") : 0;
}

static int fake_lock_password(void *userdata, const char *root, const char *user, char **ret_error) {
        FakeAccounts *f = userdata;
        int r;

        r = begin(f, FAKE_ACCT_LOCK_PASSWORD, root, ret_error, "usermod -L %s", user);
        if (r < 0)
                return r;
        r = edit(f, "/etc/shadow", user, lock_field, NULL);
        if (r == -ENOENT)
                return fail_with(ret_error, -EIO,
                                 "/usr/sbin/usermod exited with status 6: usermod: user '%s' does not exist", user);
        return r < 0 ? edit_failed(ret_error, r, "usermod", "/etc/shadow") : 0;
}

static int fake_visudo_check(void *userdata, const char *text, char **ret_error) {
        FakeAccounts *f = userdata;
        int r;

        r = begin(f, FAKE_ACCT_VISUDO_CHECK, NULL, ret_error, "visudo -c -f (copy)");
        if (r < 0)
                return r;
        return strv_extend(&f->visudo_texts, text);
}

void fake_accounts_init(FakeAccounts *f, const char *root, uid_t uid, gid_t gid) {
        *f = (FakeAccounts){
                .ops = {
                        .userdata = f,
                        .available = fake_available,
                        .groupadd = fake_groupadd,
                        .useradd = fake_useradd,
                        .usermod_add_group = fake_usermod_add_group,
                        .set_password = fake_set_password,
                        .lock_password = fake_lock_password,
                        .visudo_check = fake_visudo_check,
                },
                .root = root,
                .uid = uid,
                .gid = gid,
                .fail_call = _FAKE_ACCT_CALL_INVALID,
        };
}

void fake_accounts_done(FakeAccounts *f) {
        free(f->fail_message);
        strv_free(f->calls);
        strv_free(f->visudo_texts);
        fake_accounts_init(f, f->root, f->uid, f->gid);
}

int fake_accounts_fail(FakeAccounts *f, FakeAcctCall call, int error, const char *message) {
        char *m = strdup(message);

        if (!m)
                return -ENOMEM;
        free(f->fail_message);
        f->fail_message = m;
        f->fail_call = call;
        f->fail_error = error;
        return 0;
}
