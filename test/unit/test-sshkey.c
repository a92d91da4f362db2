/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "macro.h"
#include "sshkey.h"
#include "test-main.h"

#define ED "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"

typedef struct KeyCase {
        const char *line;
        int r;
        const char *type, *options, *comment;
} KeyCase;

static const KeyCase key_cases[] = {
        { "ssh-ed25519 " ED, 0, "ssh-ed25519", NULL, NULL },
        { "ssh-ed25519 " ED " user@host", 0, "ssh-ed25519", NULL, "user@host" },
        { "  ssh-ed25519\t" ED "   a comment with spaces  \n", 0, "ssh-ed25519", NULL, "a comment with spaces" },
        { "no-pty,from=\"192.0.2.0/24\" ssh-ed25519 " ED " c", 0, "ssh-ed25519", "no-pty,from=\"192.0.2.0/24\"", "c" },
        { "command=\"echo hi there\" ssh-ed25519 " ED, 0, "ssh-ed25519", "command=\"echo hi there\"", NULL },
        { "restrict ssh-ed25519 " ED, 0, "ssh-ed25519", "restrict", NULL },
        { "", -ENODATA, NULL, NULL, NULL },
        { "   # a comment", -ENODATA, NULL, NULL, NULL },
        { "ssh-ed25519", -EINVAL, NULL, NULL, NULL },
        { "ssh-dsa " ED, -EINVAL, NULL, NULL, NULL },
        { "ssh-rsa " ED, -EINVAL, NULL, NULL, NULL },                      /* body is an ed25519 key */
        { "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5", -EINVAL, NULL, NULL, NULL }, /* truncated */
        { "ssh-ed25519 !!!!", -EINVAL, NULL, NULL, NULL },
        { "command=\"unterminated ssh-ed25519 " ED, -EINVAL, NULL, NULL, NULL },
        { "ssh-ed25519 " ED "\nssh-ed25519 " ED, -EINVAL, NULL, NULL, NULL },
};

START_TEST(test_parse) {
        const KeyCase *c = &key_cases[_i];
        const char *reason = NULL;
        SshKey k = {};
        int r = sshkey_parse_line(c->line, &k, &reason);

        ck_assert_msg(r == c->r, "\"%s\": expected %d, got %d (%s)", c->line, c->r, r, strna(reason));
        if (r == -EINVAL)
                ck_assert_ptr_nonnull(reason);
        if (r < 0)
                return;
        ck_assert_str_eq(k.type, c->type);
        ck_assert_str_eq(k.blob, ED);
        ck_assert_msg(streq_ptr(k.options, c->options), "options %s", strna(k.options));
        ck_assert_msg(streq_ptr(k.comment, c->comment), "comment %s", strna(k.comment));
        sshkey_done(&k);
}
END_TEST

START_TEST(test_equal_and_count) {
        const char text[] = "# keys\nssh-ed25519 " ED " a\n\nbogus line\nno-pty ssh-ed25519 " ED " b\n";
        SshKey a = {}, b = {};

        ck_assert_int_eq(sshkey_parse_line("ssh-ed25519 " ED " a", &a, NULL), 0);
        ck_assert_int_eq(sshkey_parse_line("no-pty ssh-ed25519 " ED " b", &b, NULL), 0);
        ck_assert(sshkey_equal(&a, &b));
        ck_assert_uint_eq(sshkey_count_valid(text, strlen(text)), 2);
        ck_assert_uint_eq(sshkey_count_valid("", 0), 0);
        sshkey_done(&a);
        sshkey_done(&b);
}
END_TEST

START_TEST(test_base64) {
        unsigned char *out = NULL;
        size_t n = 0;

        ck_assert_int_eq(base64_decode("aGVsbG8=", 8, &out, &n), 5);
        ck_assert(memcmp(out, "hello", 5) == 0);
        free(out);
        ck_assert_int_eq(base64_decode("aGVsbA==", 8, &out, &n), 4);
        free(out);
        ck_assert_int_eq(base64_decode("aGVsbG8", 7, &out, &n), -EINVAL);
        ck_assert_int_eq(base64_decode("aGV*bG8=", 8, &out, &n), -EINVAL);
        ck_assert_int_eq(base64_decode("aGVsbG9=", 8, &out, &n), -EINVAL); /* stray bits */
}
END_TEST

TEST_MAIN("sshkey", tcase_add_loop_test(tc, test_parse, 0, (int) ELEMENTSOF(key_cases));
          tcase_add_test(tc, test_equal_and_count); tcase_add_test(tc, test_base64))
