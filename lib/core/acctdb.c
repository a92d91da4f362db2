/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acctdb.h"
#include "array.h"
#include "strv.h"
#include "sys/fileio.h"

#define ACCT_FIELDS_MAX 9

/* Splits one line (modified in place) at ':' into exactly n fields. */
static bool split_fields(char *line, char **f, size_t n) {
        size_t i = 0;

        f[i++] = line;
        for (char *c = line; *c; c++)
                if (*c == ':') {
                        if (i == n)
                                return false;
                        *c = 0;
                        f[i++] = c + 1;
                }
        return i == n;
}

static bool parse_id(const char *s, uint32_t *ret) {
        unsigned long long v = 0;

        if (!*s || strlen(s) > 10)
                return false;
        for (const char *c = s; *c; c++) {
                if (*c < '0' || *c > '9')
                        return false;
                v = v * 10 + (unsigned) (*c - '0');
        }
        if (v >= UINT32_MAX) /* (uid_t) -1 is not an id */
                return false;
        *ret = (uint32_t) v;
        return true;
}

typedef int (*LineFunc)(char **f, AcctDb *db);

/* Calls fn for each line that is an entry; returns -EBADMSG for a line with the wrong shape. */
static int parse_lines(const char *text, size_t n_fields, LineFunc fn, AcctDb *db, unsigned *ret_bad_line) {
        _cleanup_free_ char *copy = strdup(text);
        char *line, *next;
        unsigned no = 0;

        if (!copy)
                return -ENOMEM;
        for (line = copy; line && *line; line = next) {
                char *f[ACCT_FIELDS_MAX];
                int r;

                no++;
                next = strchr(line, '\n');
                if (next)
                        *next++ = 0;
                if (!*line || line[0] == '+' || line[0] == '-')
                        continue;
                if (!split_fields(line, f, n_fields) || !*f[0]) {
                        if (ret_bad_line)
                                *ret_bad_line = no;
                        return -EBADMSG;
                }
                r = fn(f, db);
                if (r == -EBADMSG && ret_bad_line)
                        *ret_bad_line = no;
                if (r < 0)
                        return r;
        }
        return 0;
}

static int passwd_line(char **f, AcctDb *db) {
        AcctUser u = {};
        uint32_t uid, gid;

        if (!parse_id(f[2], &uid) || !parse_id(f[3], &gid))
                return -EBADMSG;
        if (ARRAY_GROW_ONE(db->users, db->n_users) < 0)
                return -ENOMEM;
        u = (AcctUser){ .name = strdup(f[0]),
                        .passwd = strdup(f[1]),
                        .uid = uid,
                        .gid = gid,
                        .gecos = strdup(f[4]),
                        .home = strdup(f[5]),
                        .shell = strdup(f[6]) };
        db->users[db->n_users++] = u;
        if (!u.name || !u.passwd || !u.gecos || !u.home || !u.shell)
                return -ENOMEM;
        return 0;
}

static int group_line(char **f, AcctDb *db) {
        AcctGroup g = {};
        uint32_t gid;
        int r;

        if (!parse_id(f[2], &gid))
                return -EBADMSG;
        if (ARRAY_GROW_ONE(db->groups, db->n_groups) < 0)
                return -ENOMEM;
        g = (AcctGroup){ .name = strdup(f[0]), .gid = gid };
        r = strv_split(f[3], ",", &g.members);
        db->groups[db->n_groups++] = g;
        if (!g.name || r < 0)
                return -ENOMEM;
        return 0;
}

static int shadow_line(char **f, AcctDb *db) {
        AcctShadow s;

        if (ARRAY_GROW_ONE(db->shadows, db->n_shadows) < 0)
                return -ENOMEM;
        s = (AcctShadow){ .name = strdup(f[0]), .password = strdup(f[1]), .expire = -1 };
        if (*f[7]) {
                uint32_t e;

                if (parse_id(f[7], &e))
                        s.expire = (long) e;
        }
        db->shadows[db->n_shadows++] = s;
        if (!s.name || !s.password)
                return -ENOMEM;
        return 0;
}

int acct_parse_passwd(const char *text, AcctDb *db, unsigned *ret_bad_line) {
        return parse_lines(text, 7, passwd_line, db, ret_bad_line);
}

int acct_parse_group(const char *text, AcctDb *db, unsigned *ret_bad_line) {
        return parse_lines(text, 4, group_line, db, ret_bad_line);
}

int acct_parse_shadow(const char *text, AcctDb *db, unsigned *ret_bad_line) {
        return parse_lines(text, 9, shadow_line, db, ret_bad_line);
}

void acct_db_done(AcctDb *db) {
        for (size_t i = 0; i < db->n_users; i++) {
                AcctUser *u = &db->users[i];

                free(u->name);
                free(u->passwd);
                free(u->gecos);
                free(u->home);
                free(u->shell);
        }
        for (size_t i = 0; i < db->n_groups; i++) {
                free(db->groups[i].name);
                strv_free(db->groups[i].members);
        }
        for (size_t i = 0; i < db->n_shadows; i++) {
                free(db->shadows[i].name);
                free(db->shadows[i].password);
        }
        free(db->users);
        free(db->groups);
        free(db->shadows);
        *db = (AcctDb){};
}

int acct_db_load_with(AcctReadFunc read_file, void *userdata, AcctDb *ret, char **ret_what) {
        static const struct {
                const char *path;
                int (*parse)(const char *text, AcctDb *db, unsigned *ret_bad_line);
        } files[] = {
                { "/etc/passwd", acct_parse_passwd },
                { "/etc/group", acct_parse_group },
                { "/etc/shadow", acct_parse_shadow },
        };
        _cleanup_(acct_db_done) AcctDb db = {};

        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                _cleanup_free_ char *text = NULL;
                unsigned bad = 0;
                int r;

                r = read_file(files[i].path, &text, userdata);
                if (r >= 0)
                        r = files[i].parse(text, &db, &bad);
                if (r < 0) {
                        if (ret_what) {
                                if (bad > 0)
                                        (void) asprintf(ret_what, "%s:%u", files[i].path, bad);
                                else
                                        *ret_what = strdup(files[i].path);
                        }
                        return r;
                }
        }
        *ret = db;
        db = (AcctDb){};
        return 0;
}

static int read_below_root(const char *path, char **ret, void *userdata) {
        return read_file_at_root(userdata, path, true, READ_FILE_MAX, ret, NULL);
}

int acct_db_load(const char *root, AcctDb *ret, char **ret_what) {
        return acct_db_load_with(read_below_root, (void *) root, ret, ret_what);
}

const AcctUser *acct_db_user(const AcctDb *db, const char *name) {
        for (size_t i = 0; i < db->n_users; i++)
                if (streq(db->users[i].name, name))
                        return &db->users[i];
        return NULL;
}

const AcctGroup *acct_db_group(const AcctDb *db, const char *name) {
        for (size_t i = 0; i < db->n_groups; i++)
                if (streq(db->groups[i].name, name))
                        return &db->groups[i];
        return NULL;
}

const AcctShadow *acct_db_shadow(const AcctDb *db, const char *name) {
        for (size_t i = 0; i < db->n_shadows; i++)
                if (streq(db->shadows[i].name, name))
                        return &db->shadows[i];
        return NULL;
}

bool acct_db_in_group(const AcctDb *db, const AcctUser *u, const AcctGroup *g) {
        (void) db;
        return u->gid == g->gid || strv_contains(g->members, u->name);
}

bool acct_password_locked(const char *field) {
        return field && (field[0] == '!' || field[0] == '*');
}

static bool is_crypt_hash(const char *s) {
        static const char salt_chars[] = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

        if (s[0] == '$') { /* "$id$[params$]salt$hash": an id, then something after a '$' */
                const char *rest = s[1] && s[1] != '$' ? strchr(s + 2, '$') : NULL;

                return rest && rest[1] && !strpbrk(s, ": \t\n");
        }
        /* traditional DES: 13 characters of the salt alphabet */
        return strlen(s) == 13 && strspn(s, salt_chars) == 13;
}

const char *acct_password_unusable(const char *field, long expire, long today) {
        if (!field || !*field)
                return "has no password";
        if (acct_password_locked(field))
                return "is locked";
        if (!is_crypt_hash(field))
                return "has no password hash";
        if (expire >= 0 && today >= expire)
                return "has expired";
        return NULL;
}
