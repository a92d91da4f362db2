/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer: the passwd, group and shadow parsers (the image's files are outside input; every
 * module reads them through these, the SSH module included), then the lookups on whatever they
 * accepted. A malformed line must be reported with a line number the text has, and no entry with
 * an empty name is ever accepted (acctdb.h: malformed lines are not skipped). */
#include <errno.h>
#include <string.h>

#include "acctdb.h"
#include "fuzz-util.h"
#include "ssh-wayin.h"

static void check_bad_line(int r, unsigned bad, unsigned n_lines) {
        if (r == -EBADMSG && (bad == 0 || bad > n_lines))
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *text = NULL;
        AcctDb db = {};
        unsigned bad, n_lines = 1;
        int r;

        if (size > 64 * 1024)
                return 0;
        text = fuzz_strndup(data, size);
        if (!text)
                return 0;
        for (const char *p = text; (p = strchr(p, '\n')); p++)
                n_lines++;
        bad = 0;
        r = acct_parse_passwd(text, &db, &bad);
        check_bad_line(r, bad, n_lines);
        bad = 0;
        r = acct_parse_group(text, &db, &bad);
        check_bad_line(r, bad, n_lines);
        bad = 0;
        r = acct_parse_shadow(text, &db, &bad);
        check_bad_line(r, bad, n_lines);
        for (size_t i = 0; i < db.n_users; i++) {
                if (!*db.users[i].name || acct_db_user(&db, db.users[i].name) == NULL)
                        abort();
                (void) wayin_shell_is_login(db.users[i].shell);
        }
        for (size_t i = 0; i < db.n_groups; i++) {
                if (!*db.groups[i].name || !db.groups[i].members || !acct_db_group(&db, db.groups[i].name))
                        abort();
                if (db.n_users > 0)
                        (void) acct_db_in_group(&db, &db.users[0], &db.groups[i]);
        }
        for (size_t i = 0; i < db.n_shadows; i++)
                (void) acct_password_locked(db.shadows[i].password);
        (void) acct_db_shadow(&db, "root");
        acct_db_done(&db);
        return 0;
}
