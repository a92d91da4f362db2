/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The policy loader: the built-in default, a round trip of every key, and the bad configs. */
#include <arpa/inet.h>
#include <check.h>
#include <fcntl.h>

#include "test-main.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy.h"
#include "strv.h"

#define KEY_ED25519 "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
#define KEY_RSA_BAD "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"

typedef struct BadCase {
        const char *name;
        const char *text;
        unsigned line;
        const char *message; /* a substring the message must hold: the key, at least */
} BadCase;

/* Line 1 is always "version = 1;" unless the case is about the version. */
static const BadCase bad_cases[] = {
        { "syntax", "version = 1;\nfirewall = {\n  enable = ;\n};\n", 3, "syntax error" },
        { "unknown top key", "version = 1;\nfirewal = { };\n", 2, "firewal: unknown key" },
        { "unknown firewall key", "version = 1;\nfirewall = {\n  enabled = true;\n};\n", 3,
          "firewall.enabled: unknown key" },
        { "unknown ssh key", "version = 1;\nssh = {\n  PermitRootLogin = \"no\";\n};\n", 3,
          "ssh.PermitRootLogin: unknown key" },
        { "unknown admin key", "version = 1;\nadmin = {\n  shell = \"/bin/sh\";\n};\n", 3,
          "admin.shell: unknown key" },
        { "unknown services key", "version = 1;\nservices = {\n  stop = [ ];\n};\n", 3, "services.stop: unknown key" },
        { "unknown watch key", "version = 1;\nwatch = {\n  period = 5;\n};\n", 3, "watch.period: unknown key" },
        { "unknown report key", "version = 1;\nreport = {\n  prometheus = \"/x.prom\";\n};\n", 3,
          "report.prometheus: unknown key" },
        { "textfile relative", "version = 1;\nreport = {\n  prometheus_textfile = \"hardend.prom\";\n};\n", 3,
          "report.prometheus_textfile: \"hardend.prom\" must be an absolute path" },
        { "textfile not .prom", "version = 1;\nreport = {\n  prometheus_textfile = \"/var/lib/x/hardend.txt\";\n};\n",
          3, "report.prometheus_textfile: \"/var/lib/x/hardend.txt\" must name a file ending in \".prom\"" },
        { "textfile a directory", "version = 1;\nreport = {\n  prometheus_textfile = \"/var/lib/x/\";\n};\n", 3,
          "must name a file ending in \".prom\"" },
        { "textfile dotdot", "version = 1;\nreport = {\n  prometheus_textfile = \"/var/../etc/x.prom\";\n};\n", 3,
          "must be a normalized path" },
        { "textfile true", "version = 1;\nreport = {\n  prometheus_textfile = true;\n};\n", 3,
          "report.prometheus_textfile: true is not a path" },
        { "textfile int", "version = 1;\nreport = {\n  prometheus_textfile = 1;\n};\n", 3,
          "report.prometheus_textfile: must be a path, \"\" or false" },
        { "textfile newline", "version = 1;\nreport = {\n  prometheus_textfile = \"/a\\nb.prom\";\n};\n", 3,
          "must not contain a newline" },
        { "unknown allow key",
          "version = 1;\nfirewall = {\n  allow = (\n    { port = 22; iface = \"eth0\"; }\n  );\n};\n", 4,
          "firewall.allow[0].iface: unknown key" },
        { "unknown rate key", "version = 1;\nfirewall = {\n  ssh_rate_limit = { burst = 3; };\n};\n", 3,
          "firewall.ssh_rate_limit.burst: unknown key" },
        { "version missing", "firewall = { };\n", 1, "version: missing" },
        { "version 2", "version = 2;\n", 1, "version: 2 is not supported" },
        { "version string", "version = \"1\";\n", 1, "version: must be an integer" },
        { "enable not bool", "version = 1;\nfirewall = {\n  enable = 1;\n};\n", 3,
          "firewall.enable: must be a boolean" },
        { "ipv6 string", "version = 1;\nfirewall = {\n  ipv6 = \"yes\";\n};\n", 3,
          "firewall.ipv6: must be a boolean" },
        { "section not group", "version = 1;\nssh = true;\n", 2, "ssh: must be a group" },
        { "allow not list", "version = 1;\nfirewall = {\n  allow = 22;\n};\n", 3, "firewall.allow: must be a list" },
        { "allow elem not group", "version = 1;\nfirewall = {\n  allow = ( 22 );\n};\n", 3,
          "firewall.allow[0]: must be a group" },
        { "port 0", "version = 1;\nfirewall = {\n  allow = (\n    { port = 22; },\n    { port = 0; }\n  );\n};\n", 5,
          "firewall.allow[1].port: 0 is out of range" },
        { "port 65536",
          "version = 1;\nfirewall = {\n  allow = (\n    { port = 22; },\n    { port = 65536; }\n  );\n};\n", 5,
          "firewall.allow[1].port: 65536 is out of range" },
        { "port missing",
          "version = 1;\nfirewall = {\n  allow = (\n    { port = 22; },\n    { proto = \"udp\"; }\n  );\n};\n", 5,
          "firewall.allow[1].port: missing" },
        { "port string", "version = 1;\nfirewall = {\n  allow = (\n    { port = \"22\"; }\n  );\n};\n", 4,
          "firewall.allow[0].port: must be an integer" },
        { "unknown proto",
          "version = 1;\nfirewall = {\n  allow = (\n    { port = 22; },\n    { port = 53; proto = \"sctp\"; }\n  "
          ");\n};\n",
          5, "firewall.allow[1].proto: unknown protocol \"sctp\"" },
        { "bad cidr",
          "version = 1;\nfirewall = {\n  allow = (\n    { port = 22;\n      sources = [ \"192.0.2.300/24\" ]; }\n  "
          ");\n};\n",
          5, "firewall.allow[0].sources[0]: \"192.0.2.300/24\" is not an IPv4 or IPv6 address" },
        { "bad prefix",
          "version = 1;\nfirewall = {\n  allow = (\n    { port = 22; sources = [ \"192.0.2.0/33\" ]; }\n  );\n};\n", 4,
          "firewall.allow[0].sources[0]: \"192.0.2.0/33\" has an invalid prefix length" },
        { "host bits",
          "version = 1;\nfirewall = {\n  allow = (\n    { port = 22; sources = [ \"2001:db8::1/32\" ]; }\n  );\n};\n",
          4, "firewall.allow[0].sources[0]: \"2001:db8::1/32\" has host bits set" },
        { "empty sources", "version = 1;\nfirewall = {\n  allow = (\n    { port = 22; sources = [ ]; }\n  );\n};\n", 4,
          "firewall.allow[0].sources: empty" },
        { "duplicate source",
          "version = 1;\nfirewall = {\n  allow = (\n    { port = 22; sources = [ \"192.0.2.0/24\", \"192.0.2.0/24\" "
          "]; }\n  );\n};\n",
          4, "firewall.allow[0].sources[1]: \"192.0.2.0/24\" is listed twice" },
        { "duplicate allow",
          "version = 1;\nfirewall = {\n  allow = (\n    { port = 22; },\n    { port = 80; },\n    { port = 80; proto "
          "= \"tcp\"; }\n  );\n};\n",
          6, "firewall.allow[2]: duplicates firewall.allow[1]" },
        { "forward policy word", "version = 1;\nfirewall = {\n  forward_policy = \"reject\";\n};\n", 3,
          "firewall.forward_policy: unknown value \"reject\"" },
        { "backend word", "version = 1;\nfirewall = {\n  enable = true;\n  backend = \"ebtables\";\n};\n", 4,
          "firewall.backend: unknown value \"ebtables\"" },
        { "rate hits 0",
          "version = 1;\nfirewall = {\n  ssh_rate_limit = { enable = true; hits = 0; seconds = 60; };\n};\n", 3,
          "firewall.ssh_rate_limit.hits: 0 is out of range" },
        { "rate hits 21", "version = 1;\nfirewall = {\n  ssh_rate_limit = {\n    hits = 21;\n  };\n};\n", 4,
          "firewall.ssh_rate_limit.hits: 21 is out of range" },
        { "rate seconds 0", "version = 1;\nfirewall = {\n  ssh_rate_limit = {\n    seconds = 0;\n  };\n};\n", 4,
          "firewall.ssh_rate_limit.seconds: 0 is out of range" },
        { "ipv6 source with ipv6 off",
          "version = 1;\nfirewall = {\n  ipv6 = false;\n  allow = (\n    { port = 22; },\n    { port = 80; sources = "
          "[ \"2001:db8::/32\" ]; }\n  );\n};\n",
          6, "firewall.allow[1].sources: IPv6 source while firewall.ipv6 is false" },
        { "ssh port 0", "version = 1;\nssh = {\n  port = 0;\n};\n", 3, "ssh.port: 0 is out of range" },
        { "ssh port not allowed",
          "version = 1;\nfirewall = {\n  allow = ( { port = 80; } );\n};\nssh = {\n  port = 2222;\n};\n", 6,
          "ssh.port: tcp/2222 is not in firewall.allow" },
        { "ssh port allowed only udp",
          "version = 1;\nfirewall = {\n  allow = ( { port = 22; proto = \"udp\"; } );\n};\n", 2,
          "ssh.port: tcp/22 is not in firewall.allow" },
        { "permit root yes", "version = 1;\nssh = {\n  permit_root_login = \"yes\";\n};\n", 3,
          "ssh.permit_root_login: unknown value \"yes\"" },
        { "max auth tries 0", "version = 1;\nssh = {\n  max_auth_tries = 0;\n};\n", 3,
          "ssh.max_auth_tries: 0 is out of range" },
        { "bad group name", "version = 1;\nssh = {\n  allow_groups = [ \"wheel\",\n    \"Bad Group\" ];\n};\n", 4,
          "ssh.allow_groups[1]: \"Bad Group\" is not a valid group name" },
        { "allow groups without admin group", "version = 1;\nssh = {\n  allow_groups = [ \"sshusers\" ];\n};\n", 3,
          "ssh.allow_groups: does not contain the admin group \"wheel\"" },
        { "allow groups not strings", "version = 1;\nssh = {\n  allow_groups = [ 1, 2 ];\n};\n", 3,
          "ssh.allow_groups[0]: must be a string" },
        { "empty user", "version = 1;\nadmin = {\n  user = \"\";\n};\n", 3, "admin.user: must not be empty" },
        { "invalid user", "version = 1;\nadmin = {\n  user = \"Admin;rm\";\n};\n", 3,
          "admin.user: \"Admin;rm\" is not a valid user name" },
        { "user root", "version = 1;\nadmin = {\n  user = \"root\";\n};\n", 3, "admin.user: must not be root" },
        { "user too long", "version = 1;\nadmin = {\n  user = \"abcdefghijklmnopqrstuvwxyz0123456789\";\n};\n", 3,
          "admin.user: \"abcdefghijklmnopqrstuvwxyz0123456789\" is not a valid user name" },
        { "invalid group", "version = 1;\nadmin = {\n  group = \"-wheel\";\n};\n", 3,
          "admin.group: \"-wheel\" is not a valid group name" },
        { "bad key type", "version = 1;\nadmin = {\n  authorized_keys = [\n    \"ssh-foo AAAA\"\n  ];\n};\n", 4,
          "admin.authorized_keys[0]: bad key line: unknown key type" },
        { "bad key body",
          "version = 1;\nadmin = {\n  authorized_keys = [ \"" KEY_ED25519 "\",\n    \"ssh-ed25519 AAAA!!!!\" ];\n};\n",
          4, "admin.authorized_keys[1]: bad key line: key body is not valid base64" },
        { "key type mismatch", "version = 1;\nadmin = {\n  authorized_keys = [\n    \"" KEY_RSA_BAD "\"\n  ];\n};\n",
          4, "admin.authorized_keys[0]: bad key line: key body is not valid base64 of a key of that type" },
        { "key without body", "version = 1;\nadmin = {\n  authorized_keys = [\n    \"ssh-ed25519\"\n  ];\n};\n", 4,
          "admin.authorized_keys[0]: bad key line: key has no base64 body" },
        { "empty key", "version = 1;\nadmin = {\n  authorized_keys = [\n    \"\"\n  ];\n};\n", 4,
          "admin.authorized_keys[0]: empty key line" },
        { "duplicate key",
          "version = 1;\nadmin = {\n  authorized_keys = [\n    \"" KEY_ED25519 " a\",\n    \"" KEY_ED25519
          " b\"\n  ];\n};\n",
          5, "admin.authorized_keys[1]: the same key as admin.authorized_keys[0]" },
        { "sudo word", "version = 1;\nadmin = {\n  sudo = \"yes\";\n};\n", 3, "admin.sudo: unknown value \"yes\"" },
        { "sudo password without hash", "version = 1;\nadmin = {\n  enable = true;\n  sudo = \"password\";\n};\n", 4,
          "admin.sudo: \"password\" needs admin.password_hash" },
        { "bad password hash", "version = 1;\nadmin = {\n  password_hash = \"secret\";\n};\n", 3,
          "admin.password_hash: not a crypt(3) hash" },
        { "disable not list", "version = 1;\nservices = {\n  disable = \"cups.service\";\n};\n", 3,
          "services.disable: must be a list" },
        { "bad unit name", "version = 1;\nservices = {\n  disable = [ \"cups\" ];\n};\n", 3,
          "services.disable[0]: \"cups\" is not a unit name" },
        { "bad unit chars",
          "version = 1;\nservices = {\n  disable = [\n    \"a.service\",\n    \"../x.service\" ];\n};\n", 5,
          "services.disable[1]: \"../x.service\" is not a unit name" },
        { "duplicate unit", "version = 1;\nservices = {\n  disable = [ \"cups.service\",\n \"cups.service\" ];\n};\n",
          4, "services.disable[1]: \"cups.service\" is listed twice" },
        { "listener format", "version = 1;\nservices = {\n  listeners_allow = [ \"22\" ];\n};\n", 3,
          "services.listeners_allow[0]: \"22\" must be \"tcp/PORT\" or \"udp/PORT\"" },
        { "listener port", "version = 1;\nservices = {\n  listeners_allow = [ \"tcp/99999\" ];\n};\n", 3,
          "services.listeners_allow[0]: \"tcp/99999\" has a port out of range" },
        { "duplicate listener", "version = 1;\nservices = {\n  listeners_allow = [ \"tcp/22\", \"tcp/22\" ];\n};\n", 3,
          "services.listeners_allow[1]: \"tcp/22\" is listed twice" },
        { "interval 0", "version = 1;\nwatch = {\n  interval = 0;\n};\n", 3, "watch.interval: 0 is out of range" },
        { "interval negative", "version = 1;\nwatch = {\n  interval = -5;\n};\n", 3,
          "watch.interval: -5 is out of range" },
        { "mode word", "version = 1;\nwatch = {\n  mode = \"fix\";\n};\n", 3,
          "watch.mode: unknown value \"fix\", expected \"report\" or \"repair\"" },
        { "interval float", "version = 1;\nwatch = {\n  interval = 1.5;\n};\n", 3,
          "watch.interval: must be an integer" },
        { "include", "version = 1;\n@include \"/etc/passwd\"\n", 2, "@include is not supported" },
        /* Integers beyond what libconfig holds: it wraps them (4294967318 reads as 22) or saturates them,
         * without an error. The literal as written is what is range-checked, and named. */
        { "version wraps to 1", "version = 4294967297;\n", 1, "version: 4294967297 is out of range (0-1000000)" },
        { "ssh port wraps to 22", "version = 1;\nssh = {\n  port = 4294967318;\n};\n", 3,
          "ssh.port: 4294967318 is out of range (1-65535)" },
        { "ssh port beyond int64", "version = 1;\nssh = {\n  port = 99999999999999999999;\n};\n", 3,
          "ssh.port: 99999999999999999999 is out of range (1-65535)" },
        { "ssh port int64 literal", "version = 1;\nssh = {\n  port = 4294967318L;\n};\n", 3,
          "ssh.port: 4294967318L is out of range (1-65535)" },
        { "ssh port negative", "version = 1;\nssh = {\n  port = -22;\n};\n", 3,
          "ssh.port: -22 is out of range (1-65535)" },
        { "allow port wraps to 22",
          "version = 1;\nfirewall = {\n  allow = (\n    { port = 80; },\n    { port = 4294967318; }\n  );\n};\n", 5,
          "firewall.allow[1].port: 4294967318 is out of range (1-65535)" },
        { "allow port hex wraps to 22",
          "version = 1;\nfirewall = {\n  allow = (\n    { port = 22; },\n    { port = 0x100000050; }\n  );\n};\n", 5,
          "firewall.allow[1].port: 0x100000050 is out of range (1-65535)" },
        { "allow port wraps, one line",
          "version = 1;\nfirewall = {\n  allow = ( { port = 22; }, { port = 80; }, { port = 4294967376; } );\n};\n", 3,
          "firewall.allow[2].port: 4294967376 is out of range (1-65535)" },
        { "allow port negative", "version = 1;\nfirewall = {\n  allow = (\n    { port = -1; }\n  );\n};\n", 4,
          "firewall.allow[0].port: -1 is out of range (1-65535)" },
        { "rate hits 2^31", "version = 1;\nfirewall = {\n  ssh_rate_limit = {\n    hits = 2147483648;\n  };\n};\n", 4,
          "firewall.ssh_rate_limit.hits: 2147483648 is out of range (1-20)" },
        { "rate hits negative", "version = 1;\nfirewall = {\n  ssh_rate_limit = {\n    hits = -1;\n  };\n};\n", 4,
          "firewall.ssh_rate_limit.hits: -1 is out of range (1-20)" },
        { "rate seconds wraps to 60",
          "version = 1;\nfirewall = {\n  ssh_rate_limit = { hits = 6;\n    seconds = 4294967356; };\n};\n", 4,
          "firewall.ssh_rate_limit.seconds: 4294967356 is out of range (1-86400)" },
        { "rate seconds below int",
          "version = 1;\nfirewall = {\n  ssh_rate_limit = {\n    seconds = -2147483649;\n  };\n};\n", 4,
          "firewall.ssh_rate_limit.seconds: -2147483649 is out of range (1-86400)" },
        { "max auth tries wraps to 3", "version = 1;\nssh = {\n  max_auth_tries = /* tries */\n    4294967299;\n};\n",
          3, "ssh.max_auth_tries: 4294967299 is out of range (1-100)" },
        { "max auth tries negative", "version = 1;\nssh = {\n  max_auth_tries = -3;\n};\n", 3,
          "ssh.max_auth_tries: -3 is out of range (1-100)" },
        { "interval int64 max", "version = 1;\nwatch = {\n  interval = 9223372036854775807;\n};\n", 3,
          "watch.interval: 9223372036854775807 is out of range (1-86400)" },
        { "interval beyond int64 L",
          "version = 1;\nwatch = {\n  mode = \"report\";\n  interval = 99999999999999999999L;\n};\n", 4,
          "watch.interval: 99999999999999999999L is out of range (1-86400)" },
        { "interval below int64", "version = 1;\nwatch = {\n  interval = -9223372036854775809;\n};\n", 3,
          "watch.interval: -9223372036854775809 is out of range (1-86400)" },
        { "interval hex wraps to 60", "version = 1;\nwatch = {\n  interval = 0x10000003C;\n};\n", 3,
          "watch.interval: 0x10000003C is out of range (1-86400)" },
        /* IPv4-mapped IPv6 sources: ip6tables never sees an IPv4 packet, so the rule would be dead. */
        { "mapped source prefix",
          "version = 1;\nfirewall = {\n  allow = (\n    { port = 22; sources = [ \"::ffff:192.0.2.0/120\" ]; }\n  "
          ");\n};\n",
          4,
          "firewall.allow[0].sources[0]: \"::ffff:192.0.2.0/120\" is an IPv4-mapped IPv6 address, which no packet "
          "that ip6tables sees carries; write the IPv4 form \"192.0.2.0/24\"" },
        { "mapped source host",
          "version = 1;\nfirewall = {\n  allow = (\n    { port = 22; sources = [ \"10.0.0.0/8\",\n      "
          "\"::ffff:192.0.2.1\" ]; }\n  );\n};\n",
          5, "firewall.allow[0].sources[1]: \"::ffff:192.0.2.1\" is an IPv4-mapped IPv6 address" },
        { "mapped source host form",
          "version = 1;\nfirewall = {\n  allow = (\n    { port = 22; sources = [ \"::ffff:192.0.2.1/128\" ]; }\n  "
          ");\n};\n",
          4, "write the IPv4 form \"192.0.2.1\"" },
        { "mapped source all",
          "version = 1;\nfirewall = {\n  allow = (\n    { port = 22; sources = [ \"::ffff:0.0.0.0/96\" ]; }\n  "
          ");\n};\n",
          4,
          "firewall.allow[0].sources[0]: \"::ffff:0.0.0.0/96\" is an IPv4-mapped IPv6 address, which no packet "
          "that ip6tables sees carries; write the IPv4 form \"0.0.0.0/0\"" },
};

START_TEST(test_bad_config) {
        const BadCase *c = &bad_cases[_i];
        PolicyError e = {};
        Policy *p = NULL;
        char *text = NULL;
        int r;

        r = policy_load_string(c->text, "test.conf", &p, &e);
        ck_assert_msg(r == -EINVAL, "%s: expected -EINVAL, got %d", c->name, r);
        ck_assert_ptr_null(p);
        ck_assert_str_eq(e.file, "test.conf");
        ck_assert_msg(e.line == c->line, "%s: expected line %u, got %u (%s)", c->name, c->line, e.line, e.message);
        ck_assert_msg(strstr(e.message, c->message), "%s: message \"%s\" lacks \"%s\"", c->name, e.message,
                      c->message);
        ck_assert_int_eq(policy_error_format(&e, &text), 0);
        ck_assert_msg(strncmp(text, "test.conf:", 10) == 0, "%s", text);
        free(text);
        policy_error_done(&e);
}
END_TEST

START_TEST(test_builtin_validates) {
        PolicyError e = {};
        Policy *p = NULL;

        ck_assert_int_eq(policy_load_builtin(&p, &e), 0);
        ck_assert_str_eq(p->source, POLICY_BUILTIN_NAME);
        ck_assert_uint_eq(p->version, 1);
        ck_assert(p->firewall.enable && p->firewall.ipv6 && p->firewall.allow_icmp && !p->firewall.reject_tail);
        ck_assert_uint_eq(p->firewall.n_allow, 3);
        ck_assert_uint_eq(p->firewall.allow[0].n_sources, 2);
        ck_assert(p->ssh.enable && !p->ssh.password_authentication && p->ssh.require_key);
        ck_assert_int_eq(p->ssh.permit_root_login, PERMIT_ROOT_LOGIN_NO);
        ck_assert_str_eq(p->admin.user, "admin");
        ck_assert_str_eq(p->admin.group, "wheel");
        ck_assert_uint_eq(strv_length(p->services.disable), 6);
        ck_assert_uint_eq(p->services.n_listeners_allow, 5);
        ck_assert_uint_eq(p->watch.interval, 60);
        ck_assert_str_eq(p->report.prometheus_textfile, "/var/lib/prometheus/node-exporter/hardend.prom");
        policy_free(p);
}
END_TEST

/* "" and false both turn the textfile off; the default turns it on. */
START_TEST(test_report_textfile_off) {
        static const char *const texts[] = {
                "version = 1;\nreport = { prometheus_textfile = \"\"; };\n",
                "version = 1;\nreport = { prometheus_textfile = false; };\n",
        };
        PolicyError e = {};
        Policy *p = NULL, *builtin = NULL;

        ck_assert_int_eq(policy_load_builtin(&builtin, &e), 0);
        for (size_t i = 0; i < ELEMENTSOF(texts); i++) {
                ck_assert_int_eq(policy_load_string(texts[i], "off.conf", &p, &e), 0);
                ck_assert_ptr_null(p->report.prometheus_textfile);
                ck_assert(!policy_equal(p, builtin));
                policy_free(p);
        }
        ck_assert_int_eq(policy_load_string("version = 1;\nreport = { };\n", "empty.conf", &p, &e), 0);
        ck_assert(policy_equal(p, builtin));
        policy_free(p);
        policy_free(builtin);
}
END_TEST

/* The shipped conf/hardend.conf is the built-in default. */
START_TEST(test_shipped_file_is_builtin) {
        const char *src = getenv("TEST_SOURCE_DIR");
        char *path = NULL, *text = NULL;
        size_t len = 0;
        FILE *f;

        if (!src)
                return;
        ck_assert_int_ge(asprintf(&path, "%s/conf/hardend.conf", src), 0);
        f = fopen(path, "re");
        ck_assert_ptr_nonnull(f);
        ck_assert_int_eq(getdelim(&text, &len, 0, f), (ssize_t) strlen(policy_builtin_text));
        ck_assert_str_eq(text, policy_builtin_text);
        fclose(f);
        free(text);
        free(path);
}
END_TEST

static const char full_policy[] =
        "version = 1;\n"
        "firewall = {\n"
        "  enable = true; ipv6 = true; allow_icmp = false; reject_tail = true; forward_policy = \"accept\";"
        " backend = \"iptables\";\n"
        "  allow = (\n"
        "    { port = 2222; proto = \"tcp\"; sources = [ \"198.51.100.0/24\", \"2001:db8:1::/48\" ]; },\n"
        "    { port = 53; proto = \"udp\"; }\n"
        "  );\n"
        "  ssh_rate_limit = { enable = false; hits = 4; seconds = 30; };\n"
        "};\n"
        "ssh = {\n"
        "  enable = true; permit_root_login = \"prohibit-password\"; password_authentication = false;\n"
        "  port = 2222; allow_groups = [ \"ops\", \"sshusers\" ]; max_auth_tries = 5;\n"
        "  strong_crypto = false; require_key = false;\n"
        "};\n"
        "admin = {\n"
        "  enable = true; user = \"ops1\"; group = \"ops\";\n"
        "  authorized_keys = [ \"from=\\\"192.0.2.0/24\\\",no-pty " KEY_ED25519 " ops1@example\" ];\n"
        "  sudo = \"password\"; password_hash = \"$6$saltsalt$0123456789abcdefghijklmnopqrstuv\";\n"
        "  lock_root_password = false;\n"
        "};\n"
        "services = {\n"
        "  enable = false; disable = [ \"cups.socket\", \"foo@bar.service\" ]; mask = false;\n"
        "  listeners_allow = [ \"udp/53\", \"tcp/2222\" ];\n"
        "};\n"
        "watch = { interval = 5; mode = \"repair\"; };\n"
        "report = { prometheus_textfile = \"/srv/metrics/hardend.prom\"; };\n";

START_TEST(test_round_trip_every_key) {
        PolicyError e = {};
        Policy *p = NULL;
        char *s = NULL;
        int r;

        r = policy_load_string(full_policy, "full.conf", &p, &e);
        ck_assert_msg(r == 0, "%s:%u: %s", e.file, e.line, e.message);
        ck_assert(p->firewall.enable && p->firewall.ipv6 && !p->firewall.allow_icmp && p->firewall.reject_tail);
        ck_assert_int_eq(p->firewall.forward_policy, FORWARD_POLICY_ACCEPT);
        ck_assert_int_eq(p->firewall.backend, FIREWALL_BACKEND_IPTABLES);
        ck_assert_uint_eq(p->firewall.n_allow, 2);
        ck_assert_uint_eq(p->firewall.allow[0].port, 2222);
        ck_assert_int_eq(p->firewall.allow[0].proto, IPPROTO_TCP);
        ck_assert_uint_eq(p->firewall.allow[0].n_sources, 2);
        ck_assert_int_eq(cidr_format(&p->firewall.allow[0].sources[0], &s), 0);
        ck_assert_str_eq(s, "198.51.100.0/24");
        free(s);
        ck_assert_int_eq(cidr_format(&p->firewall.allow[0].sources[1], &s), 0);
        ck_assert_str_eq(s, "2001:db8:1::/48");
        free(s);
        ck_assert_uint_eq(p->firewall.allow[0].line, 5);
        ck_assert_int_eq(p->firewall.allow[1].proto, IPPROTO_UDP);
        ck_assert_uint_eq(p->firewall.allow[1].n_sources, 0);
        ck_assert(!p->firewall.rate_limit);
        ck_assert_uint_eq(p->firewall.rate_hits, 4);
        ck_assert_uint_eq(p->firewall.rate_seconds, 30);

        ck_assert_int_eq(p->ssh.permit_root_login, PERMIT_ROOT_LOGIN_PROHIBIT_PASSWORD);
        ck_assert_uint_eq(p->ssh.port, 2222);
        ck_assert_uint_eq(strv_length(p->ssh.allow_groups), 2);
        ck_assert_str_eq(p->ssh.allow_groups[1], "sshusers");
        ck_assert_uint_eq(p->ssh.max_auth_tries, 5);
        ck_assert(!p->ssh.strong_crypto && !p->ssh.require_key && !p->ssh.password_authentication);

        ck_assert_str_eq(p->admin.user, "ops1");
        ck_assert_str_eq(p->admin.group, "ops");
        ck_assert_uint_eq(p->admin.n_keys, 1);
        ck_assert_str_eq(p->admin.keys[0].type, "ssh-ed25519");
        ck_assert_str_eq(p->admin.keys[0].options, "from=\"192.0.2.0/24\",no-pty");
        ck_assert_str_eq(p->admin.keys[0].comment, "ops1@example");
        ck_assert_int_eq(p->admin.sudo, SUDO_PASSWORD);
        ck_assert_str_eq(p->admin.password_hash, "$6$saltsalt$0123456789abcdefghijklmnopqrstuv");
        ck_assert(!p->admin.lock_root_password);

        ck_assert(!p->services.enable && !p->services.mask);
        ck_assert_str_eq(p->services.disable[1], "foo@bar.service");
        ck_assert_uint_eq(p->services.n_listeners_allow, 2);
        ck_assert_int_eq(p->services.listeners_allow[0].proto, IPPROTO_UDP);
        ck_assert_uint_eq(p->services.listeners_allow[1].port, 2222);

        ck_assert_uint_eq(p->watch.interval, 5);
        ck_assert_int_eq(p->watch.mode, WATCH_MODE_REPAIR);
        ck_assert_str_eq(p->report.prometheus_textfile, "/srv/metrics/hardend.prom");
        policy_free(p);
}
END_TEST

/* Keys left out take the documented defaults. */
START_TEST(test_defaults) {
        PolicyError e = {};
        Policy *p = NULL;

        ck_assert_int_eq(policy_load_string("version = 1;\n", "min.conf", &p, &e), 0);
        ck_assert(p->firewall.enable && p->firewall.rate_limit);
        ck_assert_uint_eq(p->firewall.rate_hits, 6);
        ck_assert_uint_eq(p->firewall.n_allow, 3);
        ck_assert_uint_eq(p->ssh.port, 22);
        ck_assert_str_eq(p->admin.user, "admin");
        ck_assert_int_eq(p->admin.sudo, SUDO_NOPASSWD);
        ck_assert(p->services.mask);
        ck_assert_int_eq(p->watch.mode, WATCH_MODE_REPORT);
        policy_free(p);
}
END_TEST

/* The defaults have one source of truth: "version = 1;" alone is the built-in default text, field by
 * field, so conf/hardend.conf and the C defaults cannot drift apart unnoticed. */
START_TEST(test_defaults_are_builtin) {
        PolicyError e = {};
        Policy *min = NULL, *builtin = NULL, *other = NULL;

        ck_assert_int_eq(policy_load_string("version = 1;\n", "min.conf", &min, &e), 0);
        ck_assert_int_eq(policy_load_builtin(&builtin, &e), 0);
        ck_assert(policy_equal(min, builtin));
        ck_assert(policy_equal(builtin, min));

        /* and policy_equal() sees a difference in a list, deep inside */
        ck_assert_int_eq(policy_load_string("version = 1;\nfirewall = { allow = ( { port = 22; sources = [ "
                                            "\"0.0.0.0/0\", \"::/1\" ]; }, { port = 80; }, { port = 443; } ); };\n",
                                            "other.conf", &other, &e),
                         0);
        ck_assert(!policy_equal(other, builtin));
        policy_free(other);
        ck_assert_int_eq(policy_load_string("version = 1;\nservices = { listeners_allow = [ \"tcp/22\" ]; };\n",
                                            "other.conf", &other, &e),
                         0);
        ck_assert(!policy_equal(other, builtin));
        policy_free(other);
        ck_assert_int_eq(
                policy_load_string("version = 1;\nwatch = { mode = \"repair\"; };\n", "other.conf", &other, &e), 0);
        ck_assert(!policy_equal(other, builtin));
        policy_free(other);
        ck_assert_int_eq(policy_load_string("version = 1;\nfirewall = { backend = \"nftables\"; };\n", "other.conf",
                                            &other, &e),
                         0);
        ck_assert(!policy_equal(other, builtin));
        policy_free(other);
        ck_assert_int_eq(policy_load_string("version = 1;\nfirewall = { forward_policy = \"drop\"; };\n", "other.conf",
                                            &other, &e),
                         0);
        ck_assert(!policy_equal(other, builtin));
        policy_free(other);

        /* the default tcp/22 from "::/0" is no IPv6 source the file wrote: ipv6 = false alone still loads */
        ck_assert_int_eq(policy_load_string("version = 1;\nfirewall = { ipv6 = false; };\n", "v4.conf", &other, &e),
                         0);
        ck_assert(!other->firewall.ipv6);
        policy_free(other);
        policy_free(builtin);
        policy_free(min);
}
END_TEST

/* Cross-module rules hold only when their modules are on. */
START_TEST(test_cross_rules_respect_enable) {
        PolicyError e = {};
        Policy *p = NULL;

        ck_assert_int_eq(
                policy_load_string(
                        "version = 1;\nfirewall = { enable = false; allow = ( ); };\nssh = { port = 2200; };\n",
                        "x.conf", &p, &e),
                0);
        policy_free(p);
        ck_assert_int_eq(
                policy_load_string(
                        "version = 1;\nssh = { password_authentication = true; allow_groups = [ \"ops\" ]; };\n",
                        "x.conf", &p, &e),
                0);
        policy_free(p);
        ck_assert_int_eq(policy_load_string("version = 1;\nadmin = { enable = false; sudo = \"password\"; };\n",
                                            "x.conf", &p, &e),
                         0);
        policy_free(p);
}
END_TEST

START_TEST(test_file_errors) {
        PolicyError e = {};
        Policy *p = NULL;
        char path[] = "/tmp/hardend-test-XXXXXX";
        int fd = mkstemp(path);

        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(write(fd, "version = 1;\nssh = {\n  port = -1;\n};\n", 35), 35);
        close(fd);
        ck_assert_int_eq(policy_load_file(path, &p, &e), -EINVAL);
        ck_assert_str_eq(e.file, path);
        ck_assert_uint_eq(e.line, 3);
        policy_error_done(&e);
        unlink(path);

        ck_assert_int_eq(policy_load_file("/nonexistent/hardend.conf", &p, &e), -ENOENT);
        ck_assert_str_eq(e.file, "/nonexistent/hardend.conf");
        ck_assert_ptr_nonnull(strstr(e.message, "cannot open"));
        policy_error_done(&e);
}
END_TEST

/* The integer literals as written, in every form libconfig reads, and none taken from strings or
 * comments. */
START_TEST(test_int_literals_exact) {
        static const char text[] = "version = 1;\n"
                                   "firewall = {\n"
                                   "  allow = ( { port = 22L; }, { port = 0x50; },\n"
                                   "    { port = 443; sources = [ \"192.0.2.0/24\" ] } );\n"
                                   "  # hits = 2147483648;\n"
                                   "  ssh_rate_limit = { hits = +6; seconds = 60L; }; // seconds = 4294967356;\n"
                                   "};\n"
                                   "ssh = { port /* port = 99999999999999999999; */ = 22; max_auth_tries\n"
                                   "  = 4; };\n"
                                   "services = { disable = [ \"port-4294967318.service\" ]; };\n"
                                   "watch = { interval = 0x3C; mode = \"report\"; };\n";
        PolicyError e = {};
        Policy *p = NULL;

        ck_assert_msg(policy_load_string(text, "ints.conf", &p, &e) == 0, "%s", strna(e.message));
        ck_assert_uint_eq(p->firewall.n_allow, 3);
        ck_assert_uint_eq(p->firewall.allow[0].port, 22);
        ck_assert_uint_eq(p->firewall.allow[1].port, 80);
        ck_assert_uint_eq(p->firewall.allow[2].port, 443);
        ck_assert_uint_eq(p->firewall.rate_hits, 6);
        ck_assert_uint_eq(p->firewall.rate_seconds, 60);
        ck_assert_uint_eq(p->ssh.port, 22);
        ck_assert_uint_eq(p->ssh.max_auth_tries, 4);
        ck_assert_uint_eq(p->watch.interval, 60);
        policy_free(p);
}
END_TEST

static int load_file_error(const char *path, PolicyError *e) {
        Policy *p = NULL;
        int r = policy_load_file(path, &p, e);

        ck_assert_ptr_null(p);
        ck_assert_str_eq(e->file, path);
        ck_assert_uint_eq(e->line, 0);
        return r;
}

/* The size limit holds for what is read, and what cannot be a policy file is not read at all. */
START_TEST(test_file_limits) {
        char dir[] = "/tmp/hardend-test-XXXXXX";
        _cleanup_free_ char *path = NULL, *fifo = NULL, *pad = NULL;
        PolicyError e = {};
        Policy *p = NULL;
        FILE *f;
        int fd;

        ck_assert_ptr_nonnull(mkdtemp(dir));
        ck_assert_int_ge(asprintf(&path, "%s/hardend.conf", dir), 0);
        ck_assert_int_ge(asprintf(&fifo, "%s/fifo", dir), 0);

        /* 10 MiB: refused from its size */
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(ftruncate(fd, 10 * 1024 * 1024), 0);
        close(fd);
        ck_assert_int_eq(load_file_error(path, &e), -EFBIG);
        ck_assert_msg(strstr(e.message, "10485760 bytes, larger than the 4 MiB limit"), "%s", e.message);
        policy_error_done(&e);

        /* exactly the limit is read; one byte more is not */
        pad = malloc(POLICY_SIZE_MAX);
        ck_assert_ptr_nonnull(pad);
        memset(pad, 'x', POLICY_SIZE_MAX);
        memcpy(pad, "version = 1;\n#", 14);
        pad[POLICY_SIZE_MAX - 1] = '\n';
        f = fopen(path, "we");
        ck_assert_ptr_nonnull(f);
        ck_assert_uint_eq(fwrite(pad, 1, POLICY_SIZE_MAX, f), POLICY_SIZE_MAX);
        ck_assert_int_eq(fclose(f), 0);
        ck_assert_msg(policy_load_file(path, &p, &e) == 0, "%s", strna(e.message));
        p = policy_free(p);
        f = fopen(path, "ae");
        ck_assert_ptr_nonnull(f);
        ck_assert_int_eq(fputc('\n', f), '\n');
        ck_assert_int_eq(fclose(f), 0);
        ck_assert_int_eq(load_file_error(path, &e), -EFBIG);
        ck_assert_msg(strstr(e.message, "4194305 bytes, larger than the 4 MiB limit for a policy file"), "%s",
                      e.message);
        policy_error_done(&e);

        /* not regular files: refused without reading (a FIFO without a writer would block) */
        ck_assert_int_eq(load_file_error("/dev/zero", &e), -EINVAL);
        ck_assert_msg(streq(e.message, "is a character device; a policy is a regular file of at most 4 MiB"), "%s",
                      e.message);
        policy_error_done(&e);
        ck_assert_int_eq(mkfifo(fifo, 0600), 0);
        ck_assert_int_eq(load_file_error(fifo, &e), -EINVAL);
        ck_assert_msg(startswith(e.message, "is a FIFO;"), "%s", e.message);
        policy_error_done(&e);
        ck_assert_int_eq(load_file_error(dir, &e), -EINVAL);
        ck_assert_msg(startswith(e.message, "is a directory;"), "%s", e.message);
        policy_error_done(&e);

        ck_assert_int_eq(unlink(fifo), 0);
        ck_assert_int_eq(unlink(path), 0);
        ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

typedef struct CidrCase {
        const char *text;
        int ok;
        const char *canonical;
} CidrCase;

static const CidrCase cidr_cases[] = {
        { "0.0.0.0/0", 1, "0.0.0.0/0" },
        { "192.0.2.7", 1, "192.0.2.7/32" },
        { "192.0.2.0/24", 1, "192.0.2.0/24" },
        { "::/0", 1, "::/0" },
        { "2001:db8::/32", 1, "2001:db8::/32" },
        { "2001:DB8::1", 1, "2001:db8::1/128" },
        { "192.0.2.1/24", 0, NULL },
        { "192.0.2.0/", 0, NULL },
        { "192.0.2.0/-1", 0, NULL },
        { "host.example", 0, NULL },
        { "2001:db8::/129", 0, NULL },
        { "", 0, NULL },
};

START_TEST(test_cidr) {
        const CidrCase *c = &cidr_cases[_i];
        const char *reason = NULL;
        Cidr x;
        int r = cidr_parse(c->text, &x, &reason);

        if (c->ok) {
                char *s = NULL;

                ck_assert_msg(r == 0, "%s: %s", c->text, reason);
                ck_assert_int_eq(cidr_format(&x, &s), 0);
                ck_assert_str_eq(s, c->canonical);
                free(s);
        } else
                ck_assert_msg(r == -EINVAL && reason, "%s should fail", c->text);
}
END_TEST

START_TEST(test_firewall_allows) {
        PolicyError e = {};
        Policy *p = NULL;
        struct in_addr a4;
        struct in6_addr a6;

        ck_assert_int_eq(policy_load_string(full_policy, "full.conf", &p, &e), 0);
        inet_pton(AF_INET, "198.51.100.9", &a4);
        ck_assert(policy_firewall_allows(&p->firewall, IPPROTO_TCP, 2222, AF_INET, &a4));
        inet_pton(AF_INET, "192.0.2.9", &a4);
        ck_assert(!policy_firewall_allows(&p->firewall, IPPROTO_TCP, 2222, AF_INET, &a4));
        ck_assert(policy_firewall_allows(&p->firewall, IPPROTO_UDP, 53, AF_INET, &a4));
        ck_assert(!policy_firewall_allows(&p->firewall, IPPROTO_TCP, 53, AF_INET, &a4));
        inet_pton(AF_INET6, "2001:db8:1:ffff::1", &a6);
        ck_assert(policy_firewall_allows(&p->firewall, IPPROTO_TCP, 2222, AF_INET6, &a6));
        inet_pton(AF_INET6, "2001:db8:2::1", &a6);
        ck_assert(!policy_firewall_allows(&p->firewall, IPPROTO_TCP, 2222, AF_INET6, &a6));
        policy_free(p);
}
END_TEST

START_TEST(test_names) {
        ck_assert(valid_user_name("admin"));
        ck_assert(valid_user_name("_svc-1"));
        ck_assert(valid_user_name("machine$"));
        ck_assert(!valid_user_name("1admin"));
        ck_assert(!valid_user_name("ad$min"));
        ck_assert(!valid_user_name(""));
        ck_assert(valid_unit_name("rpcbind.socket"));
        ck_assert(valid_unit_name("getty@tty1.service"));
        ck_assert(!valid_unit_name("rpcbind"));
        ck_assert(!valid_unit_name(".service"));
        ck_assert(!valid_unit_name("a/b.service"));
        ck_assert(!valid_unit_name("multi-user.target"));
}
END_TEST

int main(void) {
        Suite *s = suite_create("policy");
        TCase *tc = tcase_create("policy");

        tcase_add_loop_test(tc, test_bad_config, 0, (int) ELEMENTSOF(bad_cases));
        tcase_add_test(tc, test_builtin_validates);
        tcase_add_test(tc, test_report_textfile_off);
        tcase_add_test(tc, test_shipped_file_is_builtin);
        tcase_add_test(tc, test_round_trip_every_key);
        tcase_add_test(tc, test_defaults);
        tcase_add_test(tc, test_defaults_are_builtin);
        tcase_add_test(tc, test_cross_rules_respect_enable);
        tcase_add_test(tc, test_file_errors);
        tcase_add_test(tc, test_int_literals_exact);
        tcase_add_test(tc, test_file_limits);
        tcase_add_loop_test(tc, test_cidr, 0, (int) ELEMENTSOF(cidr_cases));
        tcase_add_test(tc, test_firewall_allows);
        tcase_add_test(tc, test_names);
        suite_add_tcase(s, tc);
        return test_run_suite(s);
}
