/* SPDX-License-Identifier: GPL-2.0-or-later */
/* How sshd is started below a root: ListenStream= values, drop-in order and resets, the socket or
 * the service. */
#include <sys/socket.h>

#include "strv.h"
#include "sys/sshd-socket.h"
#include "sys/unitfiles.h"
#include "test-main.h"

static const struct {
        const char *value;
        bool ipv6_only;
        int ret;
        uint16_t port;
        int family;
} listen_cases[] = {
        { "22", false, 1, 22, AF_UNSPEC },
        { "2222", true, 1, 2222, AF_INET6 },
        { "0.0.0.0:22", false, 1, 22, AF_INET },
        { "192.0.2.1:2200", false, 1, 2200, AF_INET },
        { "[::]:2222", false, 1, 2222, AF_UNSPEC },
        { "[::]:2222", true, 1, 2222, AF_INET6 },
        { "[2001:db8::1]:22", false, 1, 22, AF_INET6 },
        { "[fe80::1%eth0]:22", false, 1, 22, AF_INET6 },
        { "127.0.0.1:22", false, 0, 0, 0 },
        { "[::1]:22", false, 0, 0, 0 },
        { "/run/ssh.sock", false, 0, 0, 0 },
        { "@abstract", false, 0, 0, 0 },
        { "vsock:2:22", false, 0, 0, 0 },
        { "0", false, -EINVAL, 0, 0 },
        { "65536", false, -EINVAL, 0, 0 },
        { "22x", false, -EINVAL, 0, 0 },
        { "192.0.2.300:22", false, -EINVAL, 0, 0 },
        { "[::]22", false, -EINVAL, 0, 0 },
        { "[2001:db8::1:22", false, -EINVAL, 0, 0 },
        { "host.example:22", false, -EINVAL, 0, 0 },
        { "0.0.0.0:", false, -EINVAL, 0, 0 },
};

START_TEST(test_listen_stream_parse) {
        for (size_t i = 0; i < ELEMENTSOF(listen_cases); i++) {
                uint16_t port = 0;
                int family = 0;
                int r = sshd_listen_stream_parse(listen_cases[i].value, listen_cases[i].ipv6_only, &port, &family);

                ck_assert_msg(r == listen_cases[i].ret, "%s: %d, not %d", listen_cases[i].value, r,
                              listen_cases[i].ret);
                if (r > 0) {
                        ck_assert_uint_eq(port, listen_cases[i].port);
                        ck_assert_int_eq(family, listen_cases[i].family);
                }
        }
}
END_TEST

START_TEST(test_list_apply_reset) {
        _cleanup_strv_free_ char **l = NULL;

        ck_assert_int_eq(unit_list_apply("[Socket]\nListenStream=22\n# ListenStream=9\nListenStream = 2222\n"
                                         "[Install]\nListenStream=7\n",
                                         "Socket", "ListenStream", &l),
                         0);
        ck_assert_uint_eq(strv_length(l), 2);
        ck_assert_str_eq(l[0], "22");
        ck_assert_str_eq(l[1], "2222");
        ck_assert_int_eq(
                unit_list_apply("[Socket]\nListenStream=\nListenStream=[::]:\\\n2200\n", "Socket", "ListenStream", &l),
                0);
        ck_assert_uint_eq(strv_length(l), 1);
        ck_assert_str_eq(l[0], "[::]: 2200"); /* a continuation joins with a space, as systemd does */
}
END_TEST

START_TEST(test_parse_socket_texts) {
        _cleanup_(sshd_start_done) SshdStart s = {};
        _cleanup_free_ char *bad = NULL;
        char *texts[] = { (char *) "[Socket]\nListenStream=22\nAccept=yes\n",
                          (char *) "[Socket]\nListenStream=\nListenStream=0.0.0.0:2222\nListenStream=[::]:2222\n"
                                   "ListenStream=127.0.0.1:22\n",
                          NULL };
        char *broken[] = { (char *) "[Socket]\nListenStream=ssh.example:22\n", NULL };

        ck_assert_int_eq(sshd_start_parse_socket(&s, texts, &bad), 0);
        ck_assert_uint_eq(s.n_listen, 2);
        ck_assert_uint_eq(s.listen[0].port, 2222);
        ck_assert_int_eq(s.listen[0].family, AF_INET);
        ck_assert_str_eq(s.listen[0].address, "0.0.0.0:2222");
        ck_assert_int_eq(s.listen[1].family, AF_UNSPEC);
        ck_assert_uint_eq(strv_length(s.skipped), 1);
        sshd_start_done(&s);
        ck_assert_int_eq(sshd_start_parse_socket(&s, broken, &bad), -EINVAL);
        ck_assert_str_eq(bad, "ssh.example:22");
}
END_TEST

static char *make_root(void) {
        char *root = strdup("/tmp/test-sshd-socket.XXXXXX");

        ck_assert_ptr_nonnull(root);
        ck_assert_ptr_nonnull(mkdtemp(root));
        return root;
}

static void root_freep(char **root) {
        if (*root)
                test_fixture_remove(*root);
        free(*root);
}

static void put_link(const char *root, const char *path, const char *target) {
        char *full = NULL;

        test_put_file(root, path, "", 0644); /* makes the directories */
        ck_assert_int_ge(asprintf(&full, "%s%s", root, path), 0);
        ck_assert_int_eq(unlink(full), 0);
        ck_assert_int_eq(symlink(target, full), 0);
        free(full);
}

#define SOCKET_UNIT                                                                                       \
        "[Unit]\nDescription=OpenBSD Secure Shell server socket\n[Socket]\nListenStream=22\nAccept=yes\n" \
        "[Install]\nWantedBy=sockets.target\n"
#define SERVICE_UNIT "[Service]\nExecStart=/usr/sbin/sshd -D\n[Install]\nWantedBy=multi-user.target\n"

START_TEST(test_find_dropin_order) {
        _cleanup_(sshd_start_done) SshdStart s = {};
        _cleanup_(root_freep) char *root = make_root();
        _cleanup_free_ char *bad = NULL;
        _cleanup_strv_free_ char **dropins = NULL;

        test_put_file(root, "/usr/lib/systemd/system/ssh.socket", SOCKET_UNIT, 0644);
        test_put_file(root, "/usr/lib/systemd/system/ssh.service", SERVICE_UNIT, 0644);
        put_link(root, "/etc/systemd/system/sockets.target.wants/ssh.socket", "/usr/lib/systemd/system/ssh.socket");
        /* the generator's: reset, then sshd_config's Port */
        test_put_file(root, "/run/systemd/generator/ssh.socket.d/addresses.conf",
                      "[Socket]\nListenStream=\nListenStream=2200\n", 0644);
        /* sorted by file name whatever their directory */
        test_put_file(root, "/etc/systemd/system/ssh.socket.d/50-more.conf", "[Socket]\nListenStream=2201\n", 0644);
        test_put_file(root, "/etc/systemd/system/ssh.socket.d/zz-last.conf", "[Socket]\nListenStream=[::]:2202\n",
                      0644);
        /* hidden by /etc's file of the same name */
        test_put_file(root, "/usr/lib/systemd/system/ssh.socket.d/zz-last.conf", "[Socket]\nListenStream=9\n", 0644);

        ck_assert_int_eq(unit_file_dropins(root, "ssh.socket", &dropins), 0);
        ck_assert_uint_eq(strv_length(dropins), 3);
        ck_assert_str_eq(dropins[0], "/etc/systemd/system/ssh.socket.d/50-more.conf");
        ck_assert_str_eq(dropins[1], "/run/systemd/generator/ssh.socket.d/addresses.conf");
        ck_assert_str_eq(dropins[2], "/etc/systemd/system/ssh.socket.d/zz-last.conf");

        ck_assert_int_eq(sshd_start_find(root, &s, &bad), 0);
        ck_assert_int_eq(s.kind, SSHD_START_SOCKET);
        ck_assert_str_eq(s.unit, "ssh.socket");
        ck_assert_str_eq(sshd_start_kind_to_string(s.kind), "socket");
        ck_assert_uint_eq(strv_length(s.files), 4);
        ck_assert_str_eq(s.files[0], "/usr/lib/systemd/system/ssh.socket");
        /* 22 and 2201 were reset by addresses.conf */
        ck_assert_uint_eq(s.n_listen, 2);
        ck_assert_uint_eq(s.listen[0].port, 2200);
        ck_assert_uint_eq(s.listen[1].port, 2202);
        ck_assert(!s.generator);
}
END_TEST

START_TEST(test_find_service_mask_generator) {
        _cleanup_(sshd_start_done) SshdStart s = {};
        _cleanup_(root_freep) char *root = make_root();
        _cleanup_free_ char *bad = NULL;

        test_put_file(root, "/lib/systemd/system/ssh.socket", SOCKET_UNIT, 0644);
        test_put_file(root, "/lib/systemd/system/ssh.service", SERVICE_UNIT, 0644);
        test_put_file(root, "/usr/lib/systemd/system-generators/sshd-socket-generator", "#!/bin/sh\n", 0755);

        /* nothing enabled: the service is how sshd would be started */
        ck_assert_int_eq(sshd_start_find(root, &s, &bad), 0);
        ck_assert_int_eq(s.kind, SSHD_START_SERVICE);
        ck_assert_str_eq(s.unit, "ssh.service");
        ck_assert(s.generator);
        sshd_start_done(&s);

        /* an enabled but masked socket does not start anything */
        put_link(root, "/etc/systemd/system/sockets.target.wants/ssh.socket", "/lib/systemd/system/ssh.socket");
        put_link(root, "/etc/systemd/system/ssh.socket", "/dev/null");
        put_link(root, "/etc/systemd/system/multi-user.target.wants/ssh.service", "/lib/systemd/system/ssh.service");
        ck_assert_int_eq(sshd_start_find(root, &s, &bad), 0);
        ck_assert_int_eq(s.kind, SSHD_START_SERVICE);
        ck_assert_uint_eq(s.n_listen, 0);
        sshd_start_done(&s);

        /* unmasked: the socket, whose own file says 22 */
        ck_assert_int_ge(unlink_at_root(root, "/etc/systemd/system/ssh.socket"), 0);
        ck_assert_int_eq(sshd_start_find(root, &s, &bad), 0);
        ck_assert_int_eq(s.kind, SSHD_START_SOCKET);
        ck_assert_uint_eq(s.n_listen, 1);
        ck_assert_uint_eq(s.listen[0].port, 22);
        ck_assert_int_eq(s.listen[0].family, AF_UNSPEC);
        sshd_start_done(&s);

        /* a drop-in masked by a link to /dev/null does not count, nor the one it hides */
        test_put_file(root, "/lib/systemd/system/ssh.socket.d/port.conf", "[Socket]\nListenStream=\nListenStream=7\n",
                      0644);
        put_link(root, "/etc/systemd/system/ssh.socket.d/port.conf", "/dev/null");
        ck_assert_int_eq(sshd_start_find(root, &s, &bad), 0);
        ck_assert_uint_eq(s.n_listen, 1);
        ck_assert_uint_eq(s.listen[0].port, 22);
        sshd_start_done(&s);

        /* a value that is not understood is an error naming it */
        test_put_file(root, "/etc/systemd/system/socket.d/x.conf", "[Socket]\nListenStream=ssh:22\n", 0644);
        ck_assert_int_eq(sshd_start_find(root, &s, &bad), -EINVAL);
        ck_assert_str_eq(bad, "ssh:22");
}
END_TEST

START_TEST(test_find_none) {
        _cleanup_(sshd_start_done) SshdStart s = {};
        _cleanup_(root_freep) char *root = make_root();
        _cleanup_free_ char *bad = NULL;

        ck_assert_int_eq(sshd_start_find(root, &s, &bad), 0);
        ck_assert_int_eq(s.kind, SSHD_START_NONE);
        ck_assert_ptr_null(s.unit);
}
END_TEST

TEST_MAIN("sshd-socket", tcase_add_test(tc, test_listen_stream_parse); tcase_add_test(tc, test_list_apply_reset);
          tcase_add_test(tc, test_parse_socket_texts); tcase_add_test(tc, test_find_dropin_order);
          tcase_add_test(tc, test_find_service_mask_generator); tcase_add_test(tc, test_find_none))
