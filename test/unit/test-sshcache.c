/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The signature behind the ssh module's cache of sshd -T / ssh -Q answers (lib/sys/sshd-cache.c),
 * on a temporary tree: an unchanged tree signs the same; each change to an input does not; a
 * change to a file sshd -T does not read does not; lookups hit on the same argv and signature only. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "strv.h"
#include "sys/sshd.h"
#include "test-main.h"

static void put(const char *root, const char *path, const char *text) {
        _cleanup_free_ char *p = NULL;
        FILE *f;

        ck_assert_int_ge(asprintf(&p, "%s%s", root, path), 0);
        f = fopen(p, "we");
        ck_assert_ptr_nonnull(f);
        fputs(text, f);
        ck_assert_int_eq(fclose(f), 0);
}

static void mkdirs(const char *root, const char *path) {
        _cleanup_free_ char *p = NULL;

        ck_assert_int_ge(asprintf(&p, "%s%s", root, path), 0);
        ck_assert_int_eq(mkdir(p, 0755), 0);
}

static char *make_tree(void) {
        char *root = strdup("/tmp/test-sshcache.XXXXXX");

        ck_assert_ptr_nonnull(root);
        ck_assert_ptr_nonnull(mkdtemp(root));
        mkdirs(root, "/usr");
        mkdirs(root, "/usr/sbin");
        mkdirs(root, "/etc");
        mkdirs(root, "/etc/ssh");
        mkdirs(root, "/etc/ssh/sshd_config.d");
        mkdirs(root, "/stage");
        mkdirs(root, "/stage/sshd_config.d");
        put(root, "/usr/sbin/sshd", "binary");
        put(root, "/etc/passwd", "root:x:0:0::/root:/bin/sh\n");
        put(root, "/etc/group", "root:x:0:\nwheel:x:10:\n");
        put(root, "/etc/nsswitch.conf", "passwd: files\n");
        put(root, "/etc/ssh/sshd_config", "Include /etc/ssh/sshd_config.d/*.conf\n");
        put(root, "/etc/ssh/ssh_host_ed25519_key", "KEY\n");
        put(root, "/etc/ssh/moduli", "moduli\n");
        put(root, "/etc/ssh/sshd_config.d/50-a.conf", "PasswordAuthentication yes\n");
        put(root, "/stage/sshd_config", "Include /stage/sshd_config.d/*.conf\n");
        put(root, "/stage/sshd_config.d/50-a.conf", "PasswordAuthentication no\n");
        return root;
}

static void remove_tree(const char *root) {
        _cleanup_free_ char *cmd = NULL;

        /* a test tree below /tmp only */
        ck_assert_ptr_nonnull(startswith(root, "/tmp/test-sshcache."));
        ck_assert_int_ge(asprintf(&cmd, "rm -rf -- '%s'", root), 0);
        ck_assert_int_eq(system(cmd), 0);
}

static void sign(const char *root, const char *config, SshSignature *ret) {
        ck_assert_int_eq(sshd_signature(root, "/usr/sbin/sshd", config, ret), 0);
        ck_assert_uint_gt(ret->n, 0);
}

/* A change that keeps size and mtime: only ctime and the content tell. */
static void rewrite_same_mtime(const char *root, const char *path, const char *text) {
        _cleanup_free_ char *p = NULL;
        struct stat st;

        ck_assert_int_ge(asprintf(&p, "%s%s", root, path), 0);
        ck_assert_int_eq(stat(p, &st), 0);
        put(root, path, text);
        ck_assert_int_eq(utimensat(AT_FDCWD, p, (struct timespec[]){ st.st_atim, st.st_mtim }, 0), 0);
}

static void touch_later(const char *root, const char *path) {
        _cleanup_free_ char *p = NULL;
        struct stat st;

        ck_assert_int_ge(asprintf(&p, "%s%s", root, path), 0);
        ck_assert_int_eq(stat(p, &st), 0);
        st.st_mtim.tv_sec += 10;
        ck_assert_int_eq(utimensat(AT_FDCWD, p, (struct timespec[]){ st.st_atim, st.st_mtim }, 0), 0);
}

static void chmod_at(const char *root, const char *path, mode_t m) {
        _cleanup_free_ char *p = NULL;

        ck_assert_int_ge(asprintf(&p, "%s%s", root, path), 0);
        ck_assert_int_eq(chmod(p, m), 0);
}

static void unlink_at(const char *root, const char *path) {
        _cleanup_free_ char *p = NULL;

        ck_assert_int_ge(asprintf(&p, "%s%s", root, path), 0);
        ck_assert_int_eq(unlink(p), 0);
}

typedef enum Change {
        TOUCH_DROPIN,
        SAME_SIZE_DROPIN,
        NEW_DROPIN,
        NEW_NON_CONF,
        REMOVE_DROPIN,
        GROUP_CHANGED,
        PASSWD_CHANGED,
        MAIN_MODE,
        HOSTKEY_REMOVED,
        BINARY_REPLACED,
        STAGED_DROPIN,
        MODULI_CHANGED,
        NOTHING,
} Change;

static const struct {
        Change change;
        const char *config;
        bool invalidates;
} cases[] = {
        { TOUCH_DROPIN, "/etc/ssh/sshd_config", true },
        { SAME_SIZE_DROPIN, "/etc/ssh/sshd_config", true },
        { NEW_DROPIN, "/etc/ssh/sshd_config", true },
        { NEW_NON_CONF, "/etc/ssh/sshd_config", true },
        { REMOVE_DROPIN, "/etc/ssh/sshd_config", true },
        { GROUP_CHANGED, "/etc/ssh/sshd_config", true },
        { PASSWD_CHANGED, "/etc/ssh/sshd_config", true },
        { MAIN_MODE, "/etc/ssh/sshd_config", true },
        { HOSTKEY_REMOVED, "/etc/ssh/sshd_config", true },
        { BINARY_REPLACED, "/etc/ssh/sshd_config", true },
        { STAGED_DROPIN, "/stage/sshd_config", true },
        { STAGED_DROPIN, "/etc/ssh/sshd_config", false },  /* not an input of the live config */
        { MODULI_CHANGED, "/etc/ssh/sshd_config", false }, /* sshd -T does not read it */
        { NOTHING, "/etc/ssh/sshd_config", false },
        { NOTHING, "/stage/sshd_config", false },
};

START_TEST(test_signature_changes) {
        _cleanup_free_ char *root = make_tree();
        _cleanup_(ssh_signature_done) SshSignature a = {}, b = {};

        sign(root, cases[_i].config, &a);
        switch (cases[_i].change) {
        case TOUCH_DROPIN:
                touch_later(root, "/etc/ssh/sshd_config.d/50-a.conf");
                break;
        case SAME_SIZE_DROPIN:
                rewrite_same_mtime(root, "/etc/ssh/sshd_config.d/50-a.conf", "PasswordAuthentication noo\n");
                break;
        case NEW_DROPIN:
                put(root, "/etc/ssh/sshd_config.d/60-b.conf", "PermitRootLogin yes\n");
                break;
        case NEW_NON_CONF:
                put(root, "/etc/ssh/sshd_config.d/README", "x\n");
                break;
        case REMOVE_DROPIN:
                unlink_at(root, "/etc/ssh/sshd_config.d/50-a.conf");
                break;
        case GROUP_CHANGED:
                rewrite_same_mtime(root, "/etc/group", "root:x:0:\nwheel:x:10:a\n");
                break;
        case PASSWD_CHANGED:
                put(root, "/etc/passwd", "root:x:0:0::/root:/bin/sh\nbob:x:1000:1000::/home/bob:/bin/sh\n");
                break;
        case MAIN_MODE:
                chmod_at(root, "/etc/ssh/sshd_config", 0600);
                break;
        case HOSTKEY_REMOVED:
                unlink_at(root, "/etc/ssh/ssh_host_ed25519_key");
                break;
        case BINARY_REPLACED:
                rewrite_same_mtime(root, "/usr/sbin/sshd", "BINARY");
                break;
        case STAGED_DROPIN:
                rewrite_same_mtime(root, "/stage/sshd_config.d/50-a.conf", "PasswordAuthentication on\n");
                break;
        case MODULI_CHANGED:
                rewrite_same_mtime(root, "/etc/ssh/moduli", "MODULI\n");
                break;
        case NOTHING:
                break;
        }
        sign(root, cases[_i].config, &b);
        ck_assert_msg(ssh_signature_equal(&a, &b) == !cases[_i].invalidates, "case %d (change %d): %s", _i,
                      cases[_i].change, cases[_i].invalidates ? "not invalidated" : "invalidated");
        remove_tree(root);
}
END_TEST

START_TEST(test_cache_lookup) {
        _cleanup_free_ char *root = make_tree();
        _cleanup_(ssh_signature_done) SshSignature a = {}, b = {}, c = {};
        _cleanup_(sshd_dump_done) SshdDump d = {}, got = {};
        _cleanup_strv_free_ char **list = NULL;
        const char *argv[] = { "/usr/sbin/sshd", "-T", "-f", "/etc/ssh/sshd_config", "-C", "user=root", NULL };
        const char *other[] = { "/usr/sbin/sshd", "-T", "-f", "/etc/ssh/sshd_config", "-C", "user=admin", NULL };
        const char *query[] = { "/usr/bin/ssh", "-Q", "kex", NULL };
        SshdCache *cache = sshd_cache_new();
        unsigned hits, misses;

        ck_assert_ptr_nonnull(cache);
        ck_assert_int_eq(sshd_dump_parse("port 22\npasswordauthentication no\n", &d), 0);
        sign(root, "/etc/ssh/sshd_config", &a);
        sign(root, "/etc/ssh/sshd_config", &b);
        ck_assert_int_eq(sshd_cache_lookup(cache, argv, &a, NULL, &got), 0);
        ck_assert_int_eq(sshd_cache_store(cache, argv, &a, NULL, &d), 0);
        ck_assert_uint_eq(a.n, 0); /* taken over */
        /* unchanged tree, same argv: a copy of the answer */
        ck_assert_int_eq(sshd_cache_lookup(cache, argv, &b, NULL, &got), 1);
        ck_assert_str_eq(sshd_dump_get(&got, "PasswordAuthentication"), "no");
        ck_assert_str_eq(sshd_dump_get(&got, "port"), "22");
        /* another user: another command line */
        ck_assert_int_eq(sshd_cache_lookup(cache, other, &b, NULL, NULL), 0);
        /* a touched drop-in: asked again */
        touch_later(root, "/etc/ssh/sshd_config.d/50-a.conf");
        sign(root, "/etc/ssh/sshd_config", &c);
        ck_assert_int_eq(sshd_cache_lookup(cache, argv, &c, NULL, NULL), 0);
        /* ssh -Q lists */
        ck_assert_int_eq(ssh_tool_signature(root, "/usr/sbin/sshd", &a), 0);
        ck_assert_int_eq(sshd_cache_store(cache, query, &a, (char *[]){ "curve25519-sha256", "sntrup", NULL }, NULL),
                         0);
        ck_assert_int_eq(ssh_tool_signature(root, "/usr/sbin/sshd", &a), 0);
        ck_assert_int_eq(sshd_cache_lookup(cache, query, &a, &list, NULL), 1);
        ck_assert_uint_eq(strv_length(list), 2);
        ck_assert_str_eq(list[1], "sntrup");
        sshd_cache_stats(cache, &hits, &misses);
        ck_assert_uint_eq(hits, 2);
        ck_assert_uint_eq(misses, 3);
        sshd_cache_free(cache);
        remove_tree(root);
}
END_TEST

/* The answers kept in a file: written back when one was learnt, 0600 in a 0700 directory, read by
 * the next process; a file that others could have written, or that is not understood, is ignored. */
START_TEST(test_cache_file) {
        _cleanup_free_ char *root = make_tree(), *dir = NULL, *path = NULL, *text = NULL, *after = NULL;
        _cleanup_(ssh_signature_done) SshSignature a = {}, b = {};
        _cleanup_(sshd_dump_done) SshdDump d = {}, got = {};
        _cleanup_strv_free_ char **list = NULL;
        const char *argv[] = { "/usr/sbin/sshd", "-T", "-f", "/etc/ssh/sshd_config", NULL };
        const char *query[] = { "/usr/bin/ssh", "-Q", "kex", NULL };
        const char *odd[] = { "/usr/sbin/sshd", "-T", "-C", "user=a\nb", NULL };
        SshdCache *cache;
        struct stat st;
        FILE *f;

        ck_assert_int_ge(asprintf(&dir, "%s/run/hardend", root), 0);
        ck_assert_int_ge(asprintf(&path, "%s/sshd-answers", dir), 0);
        *strrchr(dir, '/') = '\0';
        ck_assert_int_eq(mkdir(dir, 0755), 0); /* ROOT/run */
        strcat(dir, "/hardend");
        ck_assert_int_eq(sshd_dump_parse("port 22\nport 2222\nbanner none\nauthorizedkeysfile .ssh/a .ssh/b\n", &d),
                         0);
        cache = sshd_cache_new_at(path);
        ck_assert_ptr_nonnull(cache);
        sign(root, "/etc/ssh/sshd_config", &a);
        ck_assert_int_eq(sshd_cache_store(cache, argv, &a, NULL, &d), 0);
        sign(root, "/etc/ssh/sshd_config", &a);
        ck_assert_int_eq(sshd_cache_store(cache, odd, &a, NULL, &d), 0);
        ck_assert_int_eq(ssh_tool_signature(root, "/usr/sbin/sshd", &a), 0);
        ck_assert_int_eq(
                sshd_cache_store(cache, query, &a, (char *[]){ "mlkem768x25519-sha256", "sntrup", NULL }, NULL), 0);
        sshd_cache_free(cache);
        ck_assert_int_eq(stat(path, &st), 0);
        ck_assert_uint_eq(st.st_mode & 07777, 0600);
        ck_assert_int_eq(stat(dir, &st), 0);
        ck_assert_uint_eq(st.st_mode & 07777, 0700);

        /* another process: the same answers while the signatures are the same */
        cache = sshd_cache_new_at(path);
        sign(root, "/etc/ssh/sshd_config", &b);
        ck_assert_int_eq(sshd_cache_lookup(cache, argv, &b, NULL, &got), 1);
        ck_assert_str_eq(sshd_dump_get(&got, "port"), "22 2222");
        ck_assert_str_eq(sshd_dump_get(&got, "authorizedkeysfile"), ".ssh/a .ssh/b");
        ck_assert_str_eq(sshd_dump_get(&got, "banner"), "none");
        ck_assert_int_eq(sshd_cache_lookup(cache, odd, &b, NULL, NULL), 0); /* not kept: a line break */
        ck_assert_int_eq(ssh_tool_signature(root, "/usr/sbin/sshd", &a), 0);
        ck_assert_int_eq(sshd_cache_lookup(cache, query, &a, &list, NULL), 1);
        ck_assert_uint_eq(strv_length(list), 2);
        ck_assert_str_eq(list[0], "mlkem768x25519-sha256");
        touch_later(root, "/etc/ssh/sshd_config.d/50-a.conf");
        ssh_signature_done(&b);
        sign(root, "/etc/ssh/sshd_config", &b);
        ck_assert_int_eq(sshd_cache_lookup(cache, argv, &b, NULL, NULL), 0);
        sshd_cache_free(cache);

        /* others may write it: ignored */
        ck_assert_int_eq(chmod(path, 0620), 0);
        cache = sshd_cache_new_at(path);
        ck_assert_int_eq(sshd_cache_lookup(cache, query, &a, NULL, NULL), 0);
        sshd_cache_free(cache);
        /* not understood: ignored as a whole */
        ck_assert_int_eq(chmod(path, 0600), 0);
        text = test_get_file("/", path);
        ck_assert_ptr_nonnull(strstr(text, "l sntrup\n"));
        f = fopen(path, "a");
        ck_assert_ptr_nonnull(f);
        fputs("b\na /usr/bin/ssh\nx what\n", f);
        fclose(f);
        cache = sshd_cache_new_at(path);
        ck_assert_int_eq(sshd_cache_lookup(cache, query, &a, NULL, NULL), 0);
        sshd_cache_free(cache);
        /* nothing learnt: the file is left as it was */
        after = test_get_file("/", path);
        ck_assert_ptr_nonnull(after);
        ck_assert_ptr_nonnull(strstr(after, "x what"));
        remove_tree(root);
}
END_TEST

TEST_MAIN("sshcache", tcase_add_loop_test(tc, test_signature_changes, 0, ELEMENTSOF(cases));
          tcase_add_test(tc, test_cache_lookup); tcase_add_test(tc, test_cache_file))
