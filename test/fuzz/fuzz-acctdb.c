/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer: the passwd, group and shadow parsers (the image's files are outside input), then the
 * lookups on whatever they accepted. */
#include <errno.h>

#include "acctdb.h"
#include "fuzz-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *text = NULL;
        AcctDb db = {};
        unsigned bad = 0;
        int r;

        if (size > 64 * 1024)
                return 0;
        text = fuzz_strndup(data, size);
        if (!text)
                return 0;
        r = acct_parse_passwd(text, &db, &bad);
        if (r == -EBADMSG && bad == 0)
                abort();
        r = acct_parse_group(text, &db, &bad);
        if (r == -EBADMSG && bad == 0)
                abort();
        r = acct_parse_shadow(text, &db, &bad);
        if (r == -EBADMSG && bad == 0)
                abort();
        for (size_t i = 0; i < db.n_users; i++)
                if (acct_db_user(&db, db.users[i].name) == NULL)
                        abort();
        for (size_t i = 0; i < db.n_groups; i++) {
                if (!db.groups[i].members || !acct_db_group(&db, db.groups[i].name))
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
