/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The /proc/net/{tcp,tcp6,udp,udp6} parser, the owner lookup through /proc/PID/fd, and the
 * listener findings, on the fixture tables in test/unit/fixtures/net and a fake proc tree. */
#include <arpa/inet.h>
#include <check.h>

#include "test-main.h"
#include <endian.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sys/listeners.h"
#include "policy.h"
#include "services.h"
#include "strv.h"

#define TAIL " 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0"

static void check_addr(const Listener *l, const char *want) {
        _cleanup_free_ char *s = NULL;

        ck_assert_int_eq(listener_format_address(l, &s), 0);
        ck_assert_str_eq(s, want);
}

/* The kernel prints each address word as a host-order number: build lines exactly like it, from
 * addresses in network order, and read them back. Holds on any byte order. */
START_TEST(test_hex_round_trip) {
        static const struct {
                int family;
                const char *addr;
                uint16_t port;
                const char *formatted;
        } cases[] = {
                { AF_INET, "127.0.0.1", 53, "127.0.0.1:53" },
                { AF_INET, "192.0.2.1", 3306, "192.0.2.1:3306" },
                { AF_INET, "198.51.100.254", 65535, "198.51.100.254:65535" },
                { AF_INET6, "2001:db8::5", 443, "[2001:db8::5]:443" },
                { AF_INET6, "::ffff:192.0.2.1", 80, "[::ffff:192.0.2.1]:80" },
                { AF_INET6, "::1", 1, "[::1]:1" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                union {
                        struct in_addr in;
                        struct in6_addr in6;
                        uint32_t w[4];
                } a = {};
                char hex[40] = {}, line[256];
                Listener l;

                ck_assert_int_eq(inet_pton(cases[i].family, cases[i].addr, &a), 1);
                for (size_t w = 0; w < (cases[i].family == AF_INET ? 1u : 4u); w++)
                        snprintf(hex + w * 8, 9, "%08X", a.w[w]);
                snprintf(line, sizeof(line), "   7: %s:%04X %s:0000 0A" TAIL, hex, cases[i].port,
                         cases[i].family == AF_INET ? "00000000" : "00000000000000000000000000000000");
                ck_assert_int_eq(listener_parse_line(line, IPPROTO_TCP, cases[i].family, &l), 0);
                ck_assert_uint_eq(l.port, cases[i].port);
                ck_assert_int_eq(memcmp(&l.addr, &a, cases[i].family == AF_INET ? 4 : 16), 0);
                check_addr(&l, cases[i].formatted);
        }
}
END_TEST

/* The fixtures were taken on little-endian x86: 127.0.0.1 reads "0100007F" there. */
START_TEST(test_hex_little_endian) {
#if __BYTE_ORDER == __LITTLE_ENDIAN
        Listener l;

        ck_assert_int_eq(listener_parse_line("0: 0100007F:0035 00000000:0000 0A" TAIL, IPPROTO_TCP, AF_INET, &l), 0);
        check_addr(&l, "127.0.0.1:53");
        ck_assert_uint_eq(l.inode, 4242);
        ck_assert_uint_eq(l.state, SOCK_STATE_LISTEN);
        ck_assert(listener_is_loopback(&l));
        /* the wrong byte order would give 1.0.0.127: not loopback */
        ck_assert_int_eq(listener_parse_line("0: 7F000001:0035 00000000:0000 0A" TAIL, IPPROTO_TCP, AF_INET, &l), 0);
        check_addr(&l, "1.0.0.127:53");
        ck_assert(!listener_is_loopback(&l));
        ck_assert_int_eq(listener_parse_line("0: B80D0120000000000000000005000000:01BB "
                                             "00000000000000000000000000000000:0000 0A" TAIL,
                                             IPPROTO_TCP, AF_INET6, &l),
                         0);
        check_addr(&l, "[2001:db8::5]:443");
#endif
}
END_TEST

/* Only LISTEN counts for tcp; for udp, bound (port != 0) and not connected. */
START_TEST(test_states) {
        for (unsigned st = 1; st <= SOCK_STATE_MAX; st++)
                for (int proto = IPPROTO_TCP; proto; proto = proto == IPPROTO_TCP ? IPPROTO_UDP : 0) {
                        char line[256];
                        Listener l;

                        snprintf(line, sizeof(line), "1: 00000000:0CEA 00000000:0000 %02X" TAIL, st);
                        ck_assert_int_eq(listener_parse_line(line, proto, AF_INET, &l), 0);
                        ck_assert_uint_eq(l.state, st);
                        ck_assert_int_eq(listener_is_listening(&l),
                                         proto == IPPROTO_TCP ? st == SOCK_STATE_LISTEN : st == SOCK_STATE_CLOSE);
                }
}
END_TEST

START_TEST(test_udp_unbound) {
        Listener l;

        ck_assert_int_eq(listener_parse_line("1: 00000000:0000 00000000:0000 07" TAIL, IPPROTO_UDP, AF_INET, &l), 0);
        ck_assert(!listener_is_listening(&l));
}
END_TEST

START_TEST(test_malformed) {
        static const char *const bad[] = {
                "",
                "garbage",
                "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
                "0: 0100007F:0035 00000000:0000 0A",                                            /* truncated */
                "0: 0100007F:0035 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0", /* no inode */
                "0 0100007F:0035 00000000:0000 0A" TAIL,                                        /* no colon after sl */
                "x: 0100007F:0035 00000000:0000 0A" TAIL,
                "0: 0100007G:0035 00000000:0000 0A" TAIL,  /* not hex */
                "0: 100007F:0035 00000000:0000 0A" TAIL,   /* 7 digits */
                "0: 0100007F0:0035 00000000:0000 0A" TAIL, /* 9 digits */
                "0: 0100007F:00350 00000000:0000 0A" TAIL, /* 5-digit port */
                "0: 0100007F-0035 00000000:0000 0A" TAIL,
                "0: 0100007F:0035 00000000:0000 00" TAIL, /* no state 0 */
                "0: 0100007F:0035 00000000:0000 0D" TAIL, /* past the last state */
                "0: 0100007F:0035 00000000:0000 A" TAIL,
                "0: 0100007F:0035 00000000:0000 ZZ" TAIL,
                "0: 00000000000000000000000001000000:0035 00000000:0000 0A" TAIL, /* v6 in the v4 table */
                "0: 0100007F:0035 00000000:0000 0A 00000000:00000000 00:00000000 00000000 -1 0 5 1",
                "0: 0100007F:0035 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 99999999999999999999999 "
                "1",
                "0: 0100007F:0035 00000000:0000 0A 0000000000000000 00:00000000 00000000 0 0 5 1",
                "0: 0100007F:0035 00000000:0000 0A 00000000:00000000 00:00000000 0000000 0 0 5 1",
        };
        Listener l;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                ck_assert_msg(listener_parse_line(bad[i], IPPROTO_TCP, AF_INET, &l) == -EINVAL, "accepted: %s",
                              bad[i]);
        /* a v4 line in the v6 table */
        ck_assert_int_eq(listener_parse_line("0: 0100007F:0035 00000000:0000 0A" TAIL, IPPROTO_TCP, AF_INET6, &l),
                         -EINVAL);
        ck_assert_int_eq(listener_parse_line(NULL, IPPROTO_TCP, AF_INET, &l), -EINVAL);
}
END_TEST

START_TEST(test_parse_text) {
        ListenerList list = {};
        unsigned bad = 99;
        const char *text = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid\n"
                           "   0: 00000000:0CEA 00000000:0000 0A" TAIL "\n"
                           "   1: 00000000:0CEB 00000000:0000 01" TAIL "\n"
                           "   2: this line is broken\n"
                           "\n"
                           "   3: 0100007F:0035 00000000:0000 0A" TAIL; /* no final newline */

        ck_assert_int_eq(listeners_parse(text, IPPROTO_TCP, AF_INET, &list, &bad), 0);
        ck_assert_uint_eq(bad, 1);
        ck_assert_uint_eq(list.n, 2);
        check_addr(&list.items[0], "0.0.0.0:3306");
        check_addr(&list.items[1], "127.0.0.1:53");
        listener_list_done(&list);
}
END_TEST

START_TEST(test_loopback) {
        static const struct {
                int family;
                const char *addr;
                bool loopback;
        } cases[] = {
                { AF_INET, "127.0.0.1", true },
                { AF_INET, "127.255.0.9", true },
                { AF_INET, "0.0.0.0", false },
                { AF_INET, "192.0.2.1", false },
                { AF_INET, "128.0.0.1", false },
                { AF_INET6, "::1", true },
                { AF_INET6, "::", false },
                { AF_INET6, "::ffff:127.0.0.1", true },
                { AF_INET6, "::ffff:192.0.2.1", false },
                { AF_INET6, "2001:db8::1", false },
                { AF_INET6, "::127.0.0.1", false }, /* v4-compatible, not mapped */
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                Listener l = { .proto = IPPROTO_TCP, .family = cases[i].family };

                ck_assert_int_eq(inet_pton(cases[i].family, cases[i].addr, &l.addr), 1);
                ck_assert_msg(listener_is_loopback(&l) == cases[i].loopback, "%s", cases[i].addr);
        }
}
END_TEST

/* ---- a fake proc tree: the fixture tables and processes holding their sockets ---- */

static char proc[] = "/tmp/test-listeners.XXXXXX";

static void put(const char *rel, const char *text) {
        char p[512];
        FILE *f;

        snprintf(p, sizeof(p), "%s/%s", proc, rel);
        f = fopen(p, "we");
        ck_assert_ptr_nonnull(f);
        fputs(text, f);
        fclose(f);
}

static void mkdirs(const char *rel) {
        char p[512];

        snprintf(p, sizeof(p), "%s/%s", proc, rel);
        for (char *s = p + strlen(proc) + 1; (s = strchr(s, '/')); s++) {
                *s = 0;
                (void) mkdir(p, 0755);
                *s = '/';
        }
        (void) mkdir(p, 0755);
}

static void process(const char *pid, const char *comm, const char *const *links) {
        char d[64], c[64];

        snprintf(d, sizeof(d), "%s/fd", pid);
        mkdirs(d);
        snprintf(c, sizeof(c), "%s/comm", pid);
        put(c, comm);
        for (size_t i = 0; links[i]; i++) {
                char p[512];

                snprintf(p, sizeof(p), "%s/%s/fd/%zu", proc, pid, i + 3);
                ck_assert_int_eq(symlink(links[i], p), 0);
        }
}

static void copy_fixture(const char *name) {
        const char *src = getenv("TEST_SOURCE_DIR");
        _cleanup_free_ char *text = NULL;
        char p[512], rel[64];
        FILE *f;
        long n;

        ck_assert_ptr_nonnull(src);
        snprintf(p, sizeof(p), "%s/test/unit/fixtures/net/%s", src, name);
        f = fopen(p, "re");
        ck_assert_ptr_nonnull(f);
        fseek(f, 0, SEEK_END);
        n = ftell(f);
        rewind(f);
        text = calloc(1, (size_t) n + 1);
        ck_assert_uint_eq(fread(text, 1, (size_t) n, f), (size_t) n);
        fclose(f);
        snprintf(rel, sizeof(rel), "net/%s", name);
        put(rel, text);
}

static void setup_proc(void) {
        ck_assert_ptr_nonnull(mkdtemp(proc));
        mkdirs("net");
        copy_fixture("tcp");
        copy_fixture("tcp6");
        copy_fixture("udp");
        copy_fixture("udp6");
        process("812", "mysqld\n", (const char *const[]){ "socket:[1001]", "/dev/null", "pipe:[77]", NULL });
        process("900", "nginx\n", (const char *const[]){ "socket:[1007]", NULL });
        process("901", "nginx\n", (const char *const[]){ "socket:[1007]", "socket:[1007]", NULL });
        process("55", "dnsmasq\n", (const char *const[]){ "socket:[1002]", "socket:[2002]", "socket:[2103]", NULL });
        process("300", "avahi-daemon\n", (const char *const[]){ "socket:[2003]", "socket:[2102]", NULL });
        process("400", "cups\td\n", (const char *const[]){ "socket:[1006]", NULL });
        process("1", "sshd\n", (const char *const[]){ "socket:[1004]", "socket:[1005]", NULL });
        mkdirs("self/fd"); /* not a pid: skipped */
        mkdirs("77/fd");   /* a process without comm (gone meanwhile) */
}

static void teardown_proc(void) {
        const char *argv[] = { "/bin/rm", "-rf", proc, NULL };
        pid_t pid = fork();

        if (pid == 0) {
                execv(argv[0], (char *const *) argv);
                _exit(127);
        }
        ck_assert_int_gt(pid, 0);
        (void) waitpid(pid, NULL, 0);
        (void) snprintf(proc, sizeof(proc), "%s",
                        "/tmp/test-listeners.XXXXXX"); /* for the next test without CK_FORK */
}

START_TEST(test_tables) {
        static const size_t want[] = { 3, 5, 3, 3 };

        for (size_t i = 0; i < ELEMENTSOF(listener_tables); i++) {
                ListenerList list = {};
                unsigned bad = 99;

                ck_assert_int_eq(listeners_read_table(proc, &listener_tables[i], &list, &bad), 0);
                ck_assert_uint_eq(bad, 0);
                ck_assert_msg(list.n == want[i], "%s: %zu", listener_tables[i].name, list.n);
                listener_list_done(&list);
        }
}
END_TEST

START_TEST(test_owners) {
        static const uint64_t inodes[] = { 1001, 1007, 1008, 2103 };
        _cleanup_free_ char *a = NULL, *b = NULL, *d = NULL;
        char *c = NULL;
        SocketOwners o = {};

        ck_assert_int_eq(socket_owners_read(proc, inodes, ELEMENTSOF(inodes), &o), 0);
        ck_assert_int_eq(socket_owners_format(&o, 1001, &a), 0);
        ck_assert_str_eq(a, "mysqld[812]");
        ck_assert_int_eq(socket_owners_format(&o, 1007, &b), 0);
        ck_assert_str_eq(b, "nginx[900],nginx[901]"); /* twice in 901: once */
        ck_assert_int_eq(socket_owners_format(&o, 1008, &c), -ENOENT);
        ck_assert_ptr_null(c);
        ck_assert_int_eq(socket_owners_format(&o, 2103, &d), 0);
        ck_assert_str_eq(d, "dnsmasq[55]");
        socket_owners_done(&o);
}
END_TEST

static const Finding *find(const FindingList *l, const char *check, const char *subject) {
        for (size_t i = 0; i < l->n; i++)
                if (streq(l->items[i].check, check) && streq(l->items[i].subject, subject))
                        return &l->items[i];
        return NULL;
}

START_TEST(test_probe_listeners) {
        static const struct {
                const char *subject;
                const char *actual;
                Severity severity;
        } want[] = {
                { "tcp 0.0.0.0:3306", "mysqld[812]", SEVERITY_MEDIUM },
                { "tcp 127.0.0.1:53", "dnsmasq[55]", SEVERITY_LOW },
                { "tcp [::1]:631", "cups?d[400]", SEVERITY_LOW },
                { "tcp [::ffff:192.0.2.1]:80", "nginx[900],nginx[901]", SEVERITY_MEDIUM },
                { "tcp [::ffff:127.0.0.1]:8080", "unknown process (socket inode 1008)", SEVERITY_LOW },
                { "tcp [2001:db8::5]:443", "unknown process (socket inode 1009)", SEVERITY_MEDIUM },
                { "udp 127.0.0.1:53", "dnsmasq[55]", SEVERITY_LOW },
                { "udp 0.0.0.0:5353", "avahi-daemon[300]", SEVERITY_MEDIUM },
                { "udp [::]:5353", "avahi-daemon[300]", SEVERITY_MEDIUM },
                { "udp [::1]:53", "dnsmasq[55]", SEVERITY_LOW },
        };
        _cleanup_policy_free_ Policy *p = test_policy_load(
                "version = 1;\nservices = { listeners_allow = [ \"tcp/22\", \"udp/68\", \"udp/546\" ]; };\n");
        FindingList l = {};

        ck_assert_int_eq(svc_probe_listeners(&p->services, proc, &l), 0);
        for (size_t i = 0; i < ELEMENTSOF(want); i++) {
                const Finding *f = find(&l, "listener", want[i].subject);

                ck_assert_msg(f, "missing %s", want[i].subject);
                ck_assert_str_eq(f->actual, want[i].actual);
                ck_assert_int_eq(f->severity, want[i].severity);
                ck_assert_int_eq(f->kind, FINDING_DRIFT);
                ck_assert(!f->fixable);
        }
        ck_assert_uint_eq(l.n, ELEMENTSOF(want)); /* the allowed ones and the non-listeners: none */
        finding_list_done(&l);
}
END_TEST

/* A broken line or a missing table is said, the rest still read. */
START_TEST(test_probe_degrades) {
        _cleanup_policy_free_ Policy *p = test_policy_load("version = 1;\n");
        FindingList l = {};
        char path[512];

        put("net/tcp", "  sl  local_address\n   0: 00000000:0CEA 00000000:0000 0A" TAIL "\n   1: broken\n");
        snprintf(path, sizeof(path), "%s/net/udp6", proc);
        ck_assert_int_eq(unlink(path), 0); /* IPv6 off: no table, not an error */
        snprintf(path, sizeof(path), "%s/net/udp", proc);
        ck_assert_int_eq(unlink(path), 0);
        ck_assert_int_eq(svc_probe_listeners(&p->services, proc, &l), 0);
        ck_assert_ptr_nonnull(find(&l, "listener", "tcp 0.0.0.0:3306"));
        ck_assert_int_eq(find(&l, "listeners", "tcp")->kind, FINDING_UNKNOWN);
        ck_assert_int_eq(find(&l, "listeners", "udp")->kind, FINDING_UNKNOWN);
        ck_assert_ptr_null(find(&l, "listeners", "udp6"));
        finding_list_done(&l);
}
END_TEST

static Suite *suite(void) {
        Suite *s = suite_create("listeners");
        TCase *tc = tcase_create("parse");
        TCase *tp = tcase_create("proc");

        tcase_add_test(tc, test_hex_round_trip);
        tcase_add_test(tc, test_hex_little_endian);
        tcase_add_test(tc, test_states);
        tcase_add_test(tc, test_udp_unbound);
        tcase_add_test(tc, test_malformed);
        tcase_add_test(tc, test_parse_text);
        tcase_add_test(tc, test_loopback);
        suite_add_tcase(s, tc);

        tcase_add_checked_fixture(tp, setup_proc, teardown_proc);
        tcase_add_test(tp, test_tables);
        tcase_add_test(tp, test_owners);
        tcase_add_test(tp, test_probe_listeners);
        tcase_add_test(tp, test_probe_degrades);
        suite_add_tcase(s, tp);
        return s;
}

int main(void) {
        return test_run_suite(suite());
}
