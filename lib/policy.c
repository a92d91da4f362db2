/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <fcntl.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "policy-scan.h"
#include "policy.h"
#include "sys/fileio.h"
#include "strv.h"

typedef struct Parser {
        const char *file;
        const char *text;  /* the source, to pin array elements to their lines */
        IntLiterals *ints; /* its integer literals, read exactly (see policy-scan.h) */
        PolicyError *error;
} Parser;

static const char *const forward_policy_table[_FORWARD_POLICY_MAX] = {
        [FORWARD_POLICY_DROP] = "drop",
        [FORWARD_POLICY_ACCEPT] = "accept",
};

static const char *const permit_root_login_table[_PERMIT_ROOT_LOGIN_MAX] = {
        [PERMIT_ROOT_LOGIN_NO] = "no",
        [PERMIT_ROOT_LOGIN_PROHIBIT_PASSWORD] = "prohibit-password",
};

static const char *const sudo_mode_table[_SUDO_MODE_MAX] = {
        [SUDO_NOPASSWD] = "nopasswd",
        [SUDO_PASSWORD] = "password",
};

static const char *const watch_mode_table[_WATCH_MODE_MAX] = {
        [WATCH_MODE_REPORT] = "report",
        [WATCH_MODE_REPAIR] = "repair",
};

const char *forward_policy_to_string(ForwardPolicy p) {
        return p >= 0 && p < _FORWARD_POLICY_MAX ? forward_policy_table[p] : NULL;
}

const char *permit_root_login_to_string(PermitRootLogin p) {
        return p >= 0 && p < _PERMIT_ROOT_LOGIN_MAX ? permit_root_login_table[p] : NULL;
}

const char *sudo_mode_to_string(SudoMode m) {
        return m >= 0 && m < _SUDO_MODE_MAX ? sudo_mode_table[m] : NULL;
}

const char *watch_mode_to_string(WatchMode m) {
        return m >= 0 && m < _WATCH_MODE_MAX ? watch_mode_table[m] : NULL;
}

const char *proto_to_string(int proto) {
        return proto == IPPROTO_TCP ? "tcp" : proto == IPPROTO_UDP ? "udp" : NULL;
}

static int table_lookup(const char *const *table, int n, const char *s) {
        for (int i = 0; i < n; i++)
                if (streq(table[i], s))
                        return i;
        return -EINVAL;
}

void policy_error_done(PolicyError *e) {
        free(e->file);
        free(e->message);
        *e = (PolicyError){};
}

int policy_error_format(const PolicyError *e, char **ret) {
        int r;

        if (e->line > 0)
                r = asprintf(ret, "%s:%u: %s", strna(e->file), e->line, strna(e->message));
        else
                r = asprintf(ret, "%s: %s", strna(e->file), strna(e->message));
        return r < 0 ? -ENOMEM : 0;
}

static int fail_at(Parser *p, unsigned line, const char *fmt, ...) _printf_(3, 4);
static int fail_at(Parser *p, unsigned line, const char *fmt, ...) {
        va_list ap;
        char *m = NULL;

        if (p->error->message) /* keep the first error */
                return -EINVAL;
        va_start(ap, fmt);
        if (vasprintf(&m, fmt, ap) < 0)
                m = NULL;
        va_end(ap);
        p->error->file = strdup(p->file);
        p->error->line = line;
        p->error->message = m;
        return -EINVAL;
}

#define fail(p, setting, ...) fail_at(p, (unsigned) config_setting_source_line(setting), __VA_ARGS__)

bool valid_user_name(const char *s) {
        /* Debian's useradd default: ^[a-z_][a-z0-9_-]*[$]?$, at most 32 characters */
        size_t l = strlen(s);

        if (l == 0 || l > 32)
                return false;
        if (!((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
                return false;
        for (size_t i = 1; i < l; i++) {
                char c = s[i];

                if (c == '$' && i == l - 1)
                        continue;
                if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
                        return false;
        }
        return true;
}

bool valid_unit_name(const char *s) {
        static const char *const suffixes[] = { ".service", ".socket", ".timer", ".path" };
        const char *dot = strrchr(s, '.');
        size_t l = strlen(s);
        bool ok = false;

        if (l == 0 || l > 255 || !dot || dot == s)
                return false;
        for (size_t i = 0; i < ELEMENTSOF(suffixes); i++)
                if (streq(dot, suffixes[i]))
                        ok = true;
        for (const char *c = s; ok && c < dot; c++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:-_.@\\", *c))
                        ok = false;
        return ok;
}

int cidr_parse(const char *s, Cidr *ret, const char **ret_reason) {
        _cleanup_free_ char *addr = NULL;
        const char *slash = strchr(s, '/');
        Cidr c = {};
        unsigned max;

        addr = slash ? strndup(s, (size_t) (slash - s)) : strdup(s);
        if (!addr)
                return -ENOMEM;
        if (inet_pton(AF_INET, addr, &c.addr.in) == 1)
                c.family = AF_INET, max = 32;
        else if (inet_pton(AF_INET6, addr, &c.addr.in6) == 1)
                c.family = AF_INET6, max = 128;
        else {
                *ret_reason = "is not an IPv4 or IPv6 address";
                return -EINVAL;
        }
        c.prefixlen = max;
        if (slash) {
                char *end;
                unsigned long v;

                if (!slash[1] || slash[1] == '-' || slash[1] == '+')
                        goto bad_prefix;
                errno = 0;
                v = strtoul(slash + 1, &end, 10);
                if (errno != 0 || *end || v > max)
                        goto bad_prefix;
                c.prefixlen = (unsigned) v;
        }

        /* Host bits beyond the prefix are a typo more often than not: refuse them. */
        {
                const unsigned char *b = (const unsigned char *) &c.addr;
                unsigned bytes = max / 8;

                for (unsigned i = 0; i < bytes; i++) {
                        unsigned bit0 = i * 8;
                        unsigned char mask = bit0 >= c.prefixlen ? 0xff
                                             : bit0 + 8 <= c.prefixlen
                                                     ? 0
                                                     : (unsigned char) (0xff >> (c.prefixlen - bit0));

                        if (b[i] & mask) {
                                *ret_reason = "has host bits set beyond its prefix length";
                                return -EINVAL;
                        }
                }
        }
        *ret = c;
        return 0;

bad_prefix:
        *ret_reason = "has an invalid prefix length";
        return -EINVAL;
}

int cidr_format(const Cidr *c, char **ret) {
        char buf[INET6_ADDRSTRLEN];

        if (!inet_ntop(c->family, &c->addr, buf, sizeof(buf)))
                return -errno;
        return asprintf(ret, "%s/%u", buf, c->prefixlen) < 0 ? -ENOMEM : 0;
}

bool cidr_contains(const Cidr *c, int family, const void *addr) {
        const unsigned char *a = addr, *n = (const unsigned char *) &c->addr;
        unsigned full = c->prefixlen / 8, rest = c->prefixlen % 8;

        if (family != c->family)
                return false;
        if (memcmp(a, n, full) != 0)
                return false;
        if (rest == 0)
                return true;
        return ((a[full] ^ n[full]) & (unsigned char) (0xff << (8 - rest))) == 0;
}

bool policy_firewall_allows(const FirewallPolicy *fw, int proto, uint16_t port, int family, const void *addr) {
        if (!fw->enable)
                return true;
        if (family == AF_INET6 && !fw->ipv6)
                return true; /* ip6tables left alone */
        for (size_t i = 0; i < fw->n_allow; i++) {
                const FwAllow *a = &fw->allow[i];

                if (a->proto != proto || a->port != port)
                        continue;
                if (a->n_sources == 0)
                        return true;
                for (size_t j = 0; j < a->n_sources; j++)
                        if (!addr ? a->sources[j].family == family : cidr_contains(&a->sources[j], family, addr))
                                return true;
        }
        return false;
}

/* ---- libconfig helpers ---- */

typedef enum ValueType {
        VT_BOOL,
        VT_INT,
        VT_STRING,
        VT_GROUP,
        VT_SEQUENCE, /* array or list */
} ValueType;

static const char *value_type_name(ValueType t) {
        switch (t) {
        case VT_BOOL:
                return "a boolean (true or false)";
        case VT_INT:
                return "an integer";
        case VT_STRING:
                return "a string";
        case VT_GROUP:
                return "a group { ... }";
        case VT_SEQUENCE:
                return "a list [ ... ]";
        }
        return "?";
}

static bool setting_is(const config_setting_t *s, ValueType t) {
        int ct = config_setting_type(s);

        switch (t) {
        case VT_BOOL:
                return ct == CONFIG_TYPE_BOOL;
        case VT_INT:
                return ct == CONFIG_TYPE_INT || ct == CONFIG_TYPE_INT64;
        case VT_STRING:
                return ct == CONFIG_TYPE_STRING;
        case VT_GROUP:
                return ct == CONFIG_TYPE_GROUP;
        case VT_SEQUENCE:
                return ct == CONFIG_TYPE_ARRAY || ct == CONFIG_TYPE_LIST;
        }
        return false;
}

/* Rejects members of group not named in keys; path names the group in messages. */
static int check_keys(Parser *p, const config_setting_t *group, const char *path, const char *const *keys) {
        int n = config_setting_length(group);

        for (int i = 0; i < n; i++) {
                const config_setting_t *s = config_setting_get_elem(group, (unsigned) i);
                const char *name = config_setting_name(s);
                bool known = false;

                for (size_t k = 0; keys[k]; k++)
                        if (name && streq(keys[k], name))
                                known = true;
                if (!known)
                        return fail(p, s, "%s%s%s: unknown key", path, *path ? "." : "", strna(name));
        }
        return 0;
}

/* Finds key in group with the expected type; 0 and *ret = NULL when absent. */
static int lookup(Parser *p, const config_setting_t *group, const char *path, const char *key, ValueType t,
                  config_setting_t **ret) {
        config_setting_t *s = group ? config_setting_get_member(group, key) : NULL;

        *ret = NULL;
        if (!s)
                return 0;
        if (!setting_is(s, t))
                return fail(p, s, "%s%s%s: must be %s", path, *path ? "." : "", key, value_type_name(t));
        *ret = s;
        return 1;
}

static int get_bool(Parser *p, const config_setting_t *group, const char *path, const char *key, bool *v) {
        config_setting_t *s;
        int r = lookup(p, group, path, key, VT_BOOL, &s);

        if (r > 0)
                *v = config_setting_get_bool(s);
        return r;
}

static int get_uint(Parser *p, const config_setting_t *group, const char *path, const char *key, long long min,
                    long long max, unsigned *v, unsigned *ret_line) {
        config_setting_t *s;
        IntLiteral *lit;
        long long x;
        int r = lookup(p, group, path, key, VT_INT, &s);

        if (r <= 0)
                return r;
        /* libconfig's own value may have wrapped (policy-scan.h): the literal as written decides */
        lit = p->ints ? int_literals_take(p->ints, key, (unsigned) config_setting_source_line(s)) : NULL;
        x = lit && lit->fits ? lit->value : config_setting_get_int64(s);
        if (lit && (!lit->fits || x < min || x > max))
                return fail(p, s, "%s%s%s: %.*s is out of range (%lld-%lld)", path, *path ? "." : "", key,
                            (int) lit->len, lit->text, min, max);
        if (x < min || x > max)
                return fail(p, s, "%s%s%s: %lld is out of range (%lld-%lld)", path, *path ? "." : "", key, x, min,
                            max);
        *v = (unsigned) x;
        if (ret_line)
                *ret_line = (unsigned) config_setting_source_line(s);
        return 1;
}

static int get_string(Parser *p, const config_setting_t *group, const char *path, const char *key, char **v,
                      unsigned *ret_line) {
        config_setting_t *s;
        char *c;
        int r = lookup(p, group, path, key, VT_STRING, &s);

        if (r <= 0)
                return r;
        c = strdup(config_setting_get_string(s));
        if (!c)
                return -ENOMEM;
        free(*v);
        *v = c;
        if (ret_line)
                *ret_line = (unsigned) config_setting_source_line(s);
        return 1;
}

static int get_enum(Parser *p, const config_setting_t *group, const char *path, const char *key,
                    const char *const *table, int n, int *v) {
        config_setting_t *s;
        int r = lookup(p, group, path, key, VT_STRING, &s), x;

        if (r <= 0)
                return r;
        x = table_lookup(table, n, config_setting_get_string(s));
        if (x < 0) {
                _cleanup_free_ char *words = NULL;
                size_t len = 0;
                FILE *f = open_memstream(&words, &len);

                if (!f)
                        return -ENOMEM;
                for (int i = 0; i < n; i++)
                        fprintf(f, "%s\"%s\"", i == 0 ? "" : i == n - 1 ? " or " : ", ", table[i]);
                if (fclose(f) != 0)
                        return -ENOMEM;
                return fail(p, s, "%s.%s: unknown value \"%s\", expected %s", path, key, config_setting_get_string(s),
                            words);
        }
        *v = x;
        return 1;
}

/* A sequence of strings; each element is handed to each() with its setting for line numbers. */
typedef int (*StringFunc)(Parser *p, const config_setting_t *elem, const char *path, size_t index, const char *value,
                          void *userdata);

static int get_strings(Parser *p, const config_setting_t *group, const char *path, const char *key, StringFunc each,
                       void *userdata) {
        _cleanup_free_ char *full = NULL;
        config_setting_t *s;
        int r = lookup(p, group, path, key, VT_SEQUENCE, &s), n;

        if (r <= 0)
                return r;
        if (asprintf(&full, "%s.%s", path, key) < 0)
                return -ENOMEM;
        n = config_setting_length(s);
        for (int i = 0; i < n; i++) {
                config_setting_t *e = config_setting_get_elem(s, (unsigned) i);

                if (config_setting_type(e) != CONFIG_TYPE_STRING)
                        return fail(p, e, "%s[%d]: must be a string", full, i);
                r = each(p, e, full, (size_t) i, config_setting_get_string(e), userdata);
                if (r < 0)
                        return r;
        }
        return 1;
}

/* libconfig gives an array element the line of the token after it, which for the last element
 * of a multi-line array is the line of the closing bracket. Walk back from there to the line that
 * holds the element's string literal. */
static unsigned string_elem_line(const Parser *p, const config_setting_t *e) {
        _cleanup_free_ char *needle = NULL;
        const char *value = config_setting_get_string(e);
        unsigned reported = (unsigned) config_setting_source_line(e), n = 0;
        const char *lines[4096];
        size_t len = 0;
        char *q;

        if (reported == 0)
                reported = (unsigned) config_setting_source_line(config_setting_parent(e));
        if (!p->text || !value || reported == 0)
                return reported;
        needle = malloc(strlen(value) * 2 + 3);
        if (!needle)
                return reported;
        q = needle;
        *q++ = '"';
        for (const char *c = value; *c; c++) {
                if (*c == '"' || *c == '\\')
                        *q++ = '\\';
                *q++ = *c;
        }
        *q++ = '"';
        *q = 0;
        len = strlen(needle);

        for (const char *l = p->text; l && n < ELEMENTSOF(lines) && n < reported;
             l = strchr(l, '\n'), l = l ? l + 1 : NULL)
                lines[n++] = l;
        for (unsigned i = n; i > 0; i--) {
                const char *start = lines[i - 1], *end = strchr(start, '\n');
                size_t ll = end ? (size_t) (end - start) : strlen(start);

                if (memmem(start, ll, needle, len))
                        return i;
        }
        return reported;
}

#define elem_line(e) string_elem_line(p, e)

/* ---- sections ---- */

static int each_source(Parser *p, const config_setting_t *e, const char *path, size_t i, const char *v,
                       void *userdata) {
        FwAllow *a = userdata;
        const char *reason = NULL;
        Cidr c, *m;
        int r;

        r = cidr_parse(v, &c, &reason);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return fail_at(p, elem_line(e), "%s[%zu]: \"%s\" %s", path, i, v, reason);
        if (c.family == AF_INET6 && c.prefixlen >= 96 && IN6_IS_ADDR_V4MAPPED(&c.addr.in6)) {
                /* IPv4 packets never reach ip6tables with these addresses: the rule would be dead */
                char v4[INET_ADDRSTRLEN];

                if (!inet_ntop(AF_INET, &c.addr.in6.s6_addr[12], v4, sizeof(v4)))
                        return -errno;
                if (c.prefixlen == 128)
                        return fail_at(p, elem_line(e),
                                       "%s[%zu]: \"%s\" is an IPv4-mapped IPv6 address, which no packet "
                                       "that ip6tables sees carries; write the IPv4 form \"%s\"",
                                       path, i, v, v4);
                return fail_at(p, elem_line(e),
                               "%s[%zu]: \"%s\" is an IPv4-mapped IPv6 address, which no packet that "
                               "ip6tables sees carries; write the IPv4 form \"%s/%u\"",
                               path, i, v, v4, c.prefixlen - 96);
        }
        for (size_t j = 0; j < a->n_sources; j++)
                if (!memcmp(&a->sources[j], &c, sizeof(c)))
                        return fail_at(p, elem_line(e), "%s[%zu]: \"%s\" is listed twice", path, i, v);
        m = reallocarray(a->sources, a->n_sources + 1, sizeof(Cidr));
        if (!m)
                return -ENOMEM;
        a->sources = m;
        a->sources[a->n_sources++] = c;
        return 0;
}

static int cidr_cmp(const void *a, const void *b) {
        return memcmp(a, b, sizeof(Cidr));
}

static bool allow_same(const FwAllow *a, const FwAllow *b) {
        if (a->port != b->port || a->proto != b->proto || a->n_sources != b->n_sources)
                return false;
        return a->n_sources == 0 || memcmp(a->sources, b->sources, a->n_sources * sizeof(Cidr)) == 0;
}

static int parse_allow(Parser *p, FirewallPolicy *fw, const config_setting_t *list) {
        static const char *const keys[] = { "port", "proto", "sources", NULL };
        int n = config_setting_length(list), r;

        /* entries with the same proto/port, chained, so that finding duplicates stays linear:
         * last[key] and prev[i] hold an index + 1, 0 ends the chain */
        _cleanup_free_ uint32_t *last = calloc(2 * 65536, sizeof(uint32_t));
        _cleanup_free_ uint32_t *prev = calloc((size_t) n + 1, sizeof(uint32_t));

        fw->allow = calloc((size_t) n + 1, sizeof(FwAllow));
        if (!fw->allow || !last || !prev)
                return -ENOMEM;
        for (int i = 0; i < n; i++) {
                const config_setting_t *e = config_setting_get_elem(list, (unsigned) i);
                FwAllow *a = &fw->allow[fw->n_allow];
                _cleanup_free_ char *path = NULL, *proto = NULL;
                unsigned port = 0;

                if (asprintf(&path, "firewall.allow[%d]", i) < 0)
                        return -ENOMEM;
                if (config_setting_type(e) != CONFIG_TYPE_GROUP)
                        return fail(p, e, "%s: must be a group { port = N; proto = \"tcp\"; }", path);
                a->line = (unsigned) config_setting_source_line(e);
                fw->n_allow++;
                r = check_keys(p, e, path, keys);
                if (r < 0)
                        return r;
                r = get_uint(p, e, path, "port", 1, 65535, &port, NULL);
                if (r < 0)
                        return r;
                if (r == 0)
                        return fail(p, e, "%s.port: missing", path);
                a->port = (uint16_t) port;
                r = get_string(p, e, path, "proto", &proto, NULL);
                if (r < 0)
                        return r;
                if (r == 0 || streq(proto, "tcp"))
                        a->proto = IPPROTO_TCP;
                else if (streq(proto, "udp"))
                        a->proto = IPPROTO_UDP;
                else
                        return fail(p, config_setting_get_member(e, "proto"),
                                    "%s.proto: unknown protocol \"%s\", expected \"tcp\" or \"udp\"", path, proto);
                r = get_strings(p, e, path, "sources", each_source, a);
                if (r < 0)
                        return r;
                if (r > 0 && a->n_sources == 0)
                        return fail(p, config_setting_get_member(e, "sources"),
                                    "%s.sources: empty; omit the key to allow from anywhere", path);
                if (a->n_sources > 1)
                        qsort(a->sources, a->n_sources, sizeof(Cidr), cidr_cmp);
                size_t key = (size_t) a->port * 2 + (a->proto == IPPROTO_UDP);
                for (uint32_t j = last[key]; j > 0; j = prev[j - 1])
                        if (allow_same(&fw->allow[j - 1], a))
                                return fail(p, e, "%s: duplicates firewall.allow[%u] (%s/%u, line %u)", path, j - 1,
                                            proto_to_string(a->proto), a->port, fw->allow[j - 1].line);
                prev[i] = last[key];
                last[key] = (uint32_t) i + 1;
        }
        return 0;
}

static int parse_firewall(Parser *p, FirewallPolicy *fw, const config_setting_t *g) {
        static const char *const keys[] = { "enable",         "ipv6",  "allow_icmp",     "reject_tail",
                                            "forward_policy", "allow", "ssh_rate_limit", NULL };
        static const char *const rl_keys[] = { "enable", "hits", "seconds", NULL };
        config_setting_t *s;
        int r, x;

        r = check_keys(p, g, "firewall", keys);
        if (r < 0)
                return r;
        fw->line = (unsigned) config_setting_source_line(g);
        if ((r = get_bool(p, g, "firewall", "enable", &fw->enable)) < 0 ||
            (r = get_bool(p, g, "firewall", "ipv6", &fw->ipv6)) < 0 ||
            (r = get_bool(p, g, "firewall", "allow_icmp", &fw->allow_icmp)) < 0 ||
            (r = get_bool(p, g, "firewall", "reject_tail", &fw->reject_tail)) < 0)
                return r;
        r = get_enum(p, g, "firewall", "forward_policy", forward_policy_table, _FORWARD_POLICY_MAX, &x);
        if (r < 0)
                return r;
        if (r > 0)
                fw->forward_policy = (ForwardPolicy) x;

        r = lookup(p, g, "firewall", "allow", VT_SEQUENCE, &s);
        if (r < 0)
                return r;
        if (r > 0) {
                free(fw->allow);
                fw->allow = NULL;
                fw->n_allow = 0;
                r = parse_allow(p, fw, s);
                if (r < 0)
                        return r;
        }

        r = lookup(p, g, "firewall", "ssh_rate_limit", VT_GROUP, &s);
        if (r < 0)
                return r;
        if (r > 0) {
                r = check_keys(p, s, "firewall.ssh_rate_limit", rl_keys);
                if (r < 0)
                        return r;
                if ((r = get_bool(p, s, "firewall.ssh_rate_limit", "enable", &fw->rate_limit)) < 0)
                        return r;
                /* xt_recent remembers at most 20 packets per source by default (ip_pkt_list_tot) */
                if ((r = get_uint(p, s, "firewall.ssh_rate_limit", "hits", 1, 20, &fw->rate_hits, NULL)) < 0)
                        return r;
                if ((r = get_uint(p, s, "firewall.ssh_rate_limit", "seconds", 1, 86400, &fw->rate_seconds, NULL)) < 0)
                        return r;
        }
        return 0;
}

static int each_group(Parser *p, const config_setting_t *e, const char *path, size_t i, const char *v,
                      void *userdata) {
        char ***l = userdata;

        if (!valid_user_name(v))
                return fail_at(p, elem_line(e), "%s[%zu]: \"%s\" is not a valid group name", path, i, v);
        if (strv_contains(*l, v))
                return fail_at(p, elem_line(e), "%s[%zu]: \"%s\" is listed twice", path, i, v);
        return strv_extend(l, v);
}

static int parse_ssh(Parser *p, SshPolicy *ssh, const config_setting_t *g) {
        static const char *const keys[] = { "enable",        "permit_root_login", "password_authentication",
                                            "port",          "allow_groups",      "max_auth_tries",
                                            "strong_crypto", "require_key",       NULL };
        unsigned port = ssh->port;
        int r, x;

        r = check_keys(p, g, "ssh", keys);
        if (r < 0)
                return r;
        ssh->line = (unsigned) config_setting_source_line(g);
        if ((r = get_bool(p, g, "ssh", "enable", &ssh->enable)) < 0 ||
            (r = get_bool(p, g, "ssh", "password_authentication", &ssh->password_authentication)) < 0 ||
            (r = get_bool(p, g, "ssh", "strong_crypto", &ssh->strong_crypto)) < 0 ||
            (r = get_bool(p, g, "ssh", "require_key", &ssh->require_key)) < 0)
                return r;
        r = get_enum(p, g, "ssh", "permit_root_login", permit_root_login_table, _PERMIT_ROOT_LOGIN_MAX, &x);
        if (r < 0)
                return r;
        if (r > 0)
                ssh->permit_root_login = (PermitRootLogin) x;
        r = get_uint(p, g, "ssh", "port", 1, 65535, &port, &ssh->port_line);
        if (r < 0)
                return r;
        ssh->port = (uint16_t) port;
        r = get_uint(p, g, "ssh", "max_auth_tries", 1, 100, &ssh->max_auth_tries, NULL);
        if (r < 0)
                return r;
        if (config_setting_get_member(g, "allow_groups")) {
                ssh->allow_groups = strv_free(ssh->allow_groups);
                ssh->allow_groups = calloc(1, sizeof(char *));
                if (!ssh->allow_groups)
                        return -ENOMEM;
        }
        r = get_strings(p, g, "ssh", "allow_groups", each_group, &ssh->allow_groups);
        return r < 0 ? r : 0;
}

static int each_key(Parser *p, const config_setting_t *e, const char *path, size_t i, const char *v, void *userdata) {
        AdminPolicy *a = userdata;
        const char *reason = NULL;
        SshKey k = {}, *m;
        int r;

        r = sshkey_parse_line(v, &k, &reason);
        if (r == -ENOMEM)
                return r;
        if (r == -ENODATA)
                return fail_at(p, elem_line(e), "%s[%zu]: empty key line", path, i);
        if (r < 0)
                return fail_at(p, elem_line(e), "%s[%zu]: bad key line: %s", path, i, reason);
        for (size_t j = 0; j < a->n_keys; j++)
                if (sshkey_equal(&a->keys[j], &k)) {
                        sshkey_done(&k);
                        return fail_at(p, elem_line(e), "%s[%zu]: the same key as %s[%zu]", path, i, path, j);
                }
        m = reallocarray(a->keys, a->n_keys + 1, sizeof(SshKey));
        if (!m) {
                sshkey_done(&k);
                return -ENOMEM;
        }
        a->keys = m;
        a->keys[a->n_keys++] = k;
        return 0;
}

static bool valid_password_hash(const char *h) {
        static const char *const prefixes[] = { "$y$", "$gy$", "$7$", "$2b$", "$2y$", "$6$", "$5$" };
        size_t n = strlen(h);

        for (size_t i = 0; i < ELEMENTSOF(prefixes); i++)
                if (startswith(h, prefixes[i]))
                        return n >= 20 && !strpbrk(h, ": \t\n");
        return false;
}

static int parse_admin(Parser *p, AdminPolicy *a, const config_setting_t *g) {
        static const char *const keys[] = {
                "enable", "user", "group", "authorized_keys", "sudo", "password_hash", "lock_root_password", NULL
        };
        unsigned line = 0;
        int r, x;

        r = check_keys(p, g, "admin", keys);
        if (r < 0)
                return r;
        a->line = (unsigned) config_setting_source_line(g);
        if ((r = get_bool(p, g, "admin", "enable", &a->enable)) < 0 ||
            (r = get_bool(p, g, "admin", "lock_root_password", &a->lock_root_password)) < 0)
                return r;
        r = get_string(p, g, "admin", "user", &a->user, &line);
        if (r < 0)
                return r;
        if (r > 0 && isempty(a->user))
                return fail_at(p, line, "admin.user: must not be empty");
        if (r > 0 && !valid_user_name(a->user))
                return fail_at(p, line, "admin.user: \"%s\" is not a valid user name", a->user);
        if (r > 0 && streq(a->user, "root"))
                return fail_at(p, line, "admin.user: must not be root");
        r = get_string(p, g, "admin", "group", &a->group, &line);
        if (r < 0)
                return r;
        if (r > 0 && !valid_user_name(a->group))
                return fail_at(p, line, "admin.group: \"%s\" is not a valid group name", a->group);
        if (r > 0 && streq(a->group, "root"))
                return fail_at(p, line, "admin.group: must not be root");
        r = get_strings(p, g, "admin", "authorized_keys", each_key, a);
        if (r < 0)
                return r;
        r = get_enum(p, g, "admin", "sudo", sudo_mode_table, _SUDO_MODE_MAX, &x);
        if (r < 0)
                return r;
        if (r > 0)
                a->sudo = (SudoMode) x;
        r = get_string(p, g, "admin", "password_hash", &a->password_hash, &line);
        if (r < 0)
                return r;
        if (r > 0 && !valid_password_hash(a->password_hash))
                return fail_at(p, line,
                               "admin.password_hash: not a crypt(3) hash (yescrypt \"$y$...\", "
                               "SHA-512 \"$6$...\" or similar)");
        return 0;
}

static int each_unit(Parser *p, const config_setting_t *e, const char *path, size_t i, const char *v, void *userdata) {
        char ***l = userdata;

        if (!valid_unit_name(v))
                return fail_at(p, elem_line(e),
                               "%s[%zu]: \"%s\" is not a unit name (name.service, .socket, .timer or .path)", path, i,
                               v);
        if (strv_contains(*l, v))
                return fail_at(p, elem_line(e), "%s[%zu]: \"%s\" is listed twice", path, i, v);
        return strv_extend(l, v);
}

static int each_listener(Parser *p, const config_setting_t *e, const char *path, size_t i, const char *v,
                         void *userdata) {
        ServicesPolicy *s = userdata;
        ListenerSpec l = {}, *m;
        const char *port;
        char *end;
        unsigned long x;

        if ((port = startswith(v, "tcp/")))
                l.proto = IPPROTO_TCP;
        else if ((port = startswith(v, "udp/")))
                l.proto = IPPROTO_UDP;
        else
                return fail_at(p, elem_line(e), "%s[%zu]: \"%s\" must be \"tcp/PORT\" or \"udp/PORT\"", path, i, v);
        errno = 0;
        x = strtoul(port, &end, 10);
        if (!*port || *port == '-' || *port == '+' || *end || errno || x < 1 || x > 65535)
                return fail_at(p, elem_line(e), "%s[%zu]: \"%s\" has a port out of range (1-65535)", path, i, v);
        l.port = (uint16_t) x;
        for (size_t j = 0; j < s->n_listeners_allow; j++)
                if (s->listeners_allow[j].proto == l.proto && s->listeners_allow[j].port == l.port)
                        return fail_at(p, elem_line(e), "%s[%zu]: \"%s\" is listed twice", path, i, v);
        m = reallocarray(s->listeners_allow, s->n_listeners_allow + 1, sizeof(ListenerSpec));
        if (!m)
                return -ENOMEM;
        s->listeners_allow = m;
        s->listeners_allow[s->n_listeners_allow++] = l;
        return 0;
}

static int parse_services(Parser *p, ServicesPolicy *s, const config_setting_t *g) {
        static const char *const keys[] = { "enable", "disable", "mask", "listeners_allow", NULL };
        int r;

        r = check_keys(p, g, "services", keys);
        if (r < 0)
                return r;
        s->line = (unsigned) config_setting_source_line(g);
        if ((r = get_bool(p, g, "services", "enable", &s->enable)) < 0 ||
            (r = get_bool(p, g, "services", "mask", &s->mask)) < 0)
                return r;
        if (config_setting_get_member(g, "disable")) {
                s->disable = strv_free(s->disable);
                s->disable = calloc(1, sizeof(char *));
                if (!s->disable)
                        return -ENOMEM;
        }
        r = get_strings(p, g, "services", "disable", each_unit, &s->disable);
        if (r < 0)
                return r;
        if (config_setting_get_member(g, "listeners_allow")) {
                free(s->listeners_allow);
                s->listeners_allow = NULL;
                s->n_listeners_allow = 0;
        }
        r = get_strings(p, g, "services", "listeners_allow", each_listener, s);
        return r < 0 ? r : 0;
}

static int parse_watch(Parser *p, WatchPolicy *w, const config_setting_t *g) {
        static const char *const keys[] = { "interval", "mode", NULL };
        int r, x;

        r = check_keys(p, g, "watch", keys);
        if (r < 0)
                return r;
        r = get_uint(p, g, "watch", "interval", 1, 86400, &w->interval, NULL);
        if (r < 0)
                return r;
        r = get_enum(p, g, "watch", "mode", watch_mode_table, _WATCH_MODE_MAX, &x);
        if (r < 0)
                return r;
        if (r > 0)
                w->mode = (WatchMode) x;
        return 0;
}

/* The defaults in one place; they match conf/hardend.conf, which documents them. */
static int policy_fill_defaults(Policy *p) {
        static const char *const disable[] = { "rpcbind.service", "rpcbind.socket", "avahi-daemon.service",
                                               "cups.service",    "telnet.socket",  "xinetd.service" };
        static const ListenerSpec listeners[] = {
                { IPPROTO_TCP, 22 }, { IPPROTO_TCP, 80 },  { IPPROTO_TCP, 443 },
                { IPPROTO_UDP, 68 }, { IPPROTO_UDP, 546 },
        };
        static const uint16_t ports[] = { 22, 80, 443 };

        p->version = 0;
        p->firewall = (FirewallPolicy){
                .enable = true,
                .ipv6 = true,
                .allow_icmp = true,
                .forward_policy = FORWARD_POLICY_DROP,
                .rate_limit = true,
                .rate_hits = 6,
                .rate_seconds = 60,
        };
        p->firewall.allow = calloc(ELEMENTSOF(ports), sizeof(FwAllow));
        if (!p->firewall.allow)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(ports); i++)
                p->firewall.allow[p->firewall.n_allow++] = (FwAllow){ .port = ports[i], .proto = IPPROTO_TCP };

        p->ssh = (SshPolicy){
                .enable = true,
                .permit_root_login = PERMIT_ROOT_LOGIN_NO,
                .password_authentication = false,
                .port = 22,
                .max_auth_tries = 3,
                .strong_crypto = true,
                .require_key = true,
        };
        p->ssh.allow_groups = calloc(1, sizeof(char *));

        p->admin = (AdminPolicy){
                .enable = true,
                .user = strdup("admin"),
                .group = strdup("wheel"),
                .sudo = SUDO_NOPASSWD,
                .lock_root_password = true,
        };

        p->services = (ServicesPolicy){ .enable = true, .mask = true };
        p->services.disable = calloc(1, sizeof(char *));
        p->services.listeners_allow = calloc(ELEMENTSOF(listeners), sizeof(ListenerSpec));
        if (!p->ssh.allow_groups || !p->admin.user || !p->admin.group || !p->services.disable ||
            !p->services.listeners_allow)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(disable); i++)
                if (strv_extend(&p->services.disable, disable[i]) < 0)
                        return -ENOMEM;
        memcpy(p->services.listeners_allow, listeners, sizeof(listeners));
        p->services.n_listeners_allow = ELEMENTSOF(listeners);

        p->watch = (WatchPolicy){ .interval = 60, .mode = WATCH_MODE_REPORT };
        return 0;
}

/* Rules that span sections: the combinations that would lock the admin out or cannot work. */
static int policy_cross_check(Parser *p, Policy *pol, const config_setting_t *root) {
        const config_setting_t *ssh = config_setting_get_member(root, "ssh");
        const config_setting_t *admin = config_setting_get_member(root, "admin");
        const config_setting_t *s;

        if (pol->ssh.enable && pol->firewall.enable &&
            !policy_firewall_allows(&pol->firewall, IPPROTO_TCP, pol->ssh.port, AF_INET, NULL) &&
            !policy_firewall_allows(&pol->firewall, IPPROTO_TCP, pol->ssh.port, AF_INET6, NULL)) {
                unsigned line = pol->ssh.port_line ?: pol->ssh.line ?: pol->firewall.line;

                return fail_at(p, line,
                               "ssh.port: tcp/%u is not in firewall.allow; the firewall would lock SSH out "
                               "(add { port = %u; proto = \"tcp\"; } to firewall.allow)",
                               pol->ssh.port, pol->ssh.port);
        }

        for (size_t i = 0; i < pol->firewall.n_allow; i++)
                for (size_t j = 0; !pol->firewall.ipv6 && j < pol->firewall.allow[i].n_sources; j++)
                        if (pol->firewall.allow[i].sources[j].family == AF_INET6)
                                return fail_at(p, pol->firewall.allow[i].line,
                                               "firewall.allow[%zu].sources: IPv6 source while firewall.ipv6 is false",
                                               i);

        if (pol->admin.enable && pol->admin.sudo == SUDO_PASSWORD && !pol->admin.password_hash) {
                s = admin ? config_setting_get_member(admin, "sudo") : NULL;
                return fail_at(p, s ? (unsigned) config_setting_source_line(s) : pol->admin.line,
                               "admin.sudo: \"password\" needs admin.password_hash; with SSH passwords off, "
                               "an admin without a password could never use sudo");
        }

        if (pol->ssh.enable && pol->admin.enable && !pol->ssh.password_authentication &&
            !strv_isempty(pol->ssh.allow_groups) && !strv_contains(pol->ssh.allow_groups, pol->admin.group)) {
                s = ssh ? config_setting_get_member(ssh, "allow_groups") : NULL;
                return fail_at(p, s ? (unsigned) config_setting_source_line(s) : pol->ssh.line,
                               "ssh.allow_groups: does not contain the admin group \"%s\"; the admin could not "
                               "log in",
                               pol->admin.group);
        }
        return 0;
}

Policy *policy_free(Policy *p) {
        if (!p)
                return NULL;
        free(p->source);
        for (size_t i = 0; i < p->firewall.n_allow; i++)
                free(p->firewall.allow[i].sources);
        free(p->firewall.allow);
        strv_free(p->ssh.allow_groups);
        free(p->admin.user);
        free(p->admin.group);
        for (size_t i = 0; i < p->admin.n_keys; i++)
                sshkey_done(&p->admin.keys[i]);
        free(p->admin.keys);
        free(p->admin.password_hash);
        strv_free(p->services.disable);
        free(p->services.listeners_allow);
        free(p);
        return NULL;
}

static int policy_parse(Parser *p, config_t *cfg, Policy **ret) {
        static const char *const sections[] = { "version", "firewall", "ssh", "admin", "services", "watch", NULL };
        _cleanup_policy_free_ Policy *pol = NULL;
        config_setting_t *root = config_root_setting(cfg), *s;
        unsigned version = 0;
        int r;

        pol = calloc(1, sizeof(Policy));
        if (!pol)
                return -ENOMEM;
        r = policy_fill_defaults(pol);
        if (r < 0)
                return r;
        pol->source = strdup(p->file);
        if (!pol->source)
                return -ENOMEM;

        r = check_keys(p, root, "", sections);
        if (r < 0)
                return r;
        r = get_uint(p, root, "", "version", 0, 1000000, &version, NULL);
        if (r < 0)
                return r;
        if (r == 0)
                return fail_at(p, 1, "version: missing; this policy format is version = 1");
        if (version != 1)
                return fail(p, config_setting_get_member(root, "version"),
                            "version: %u is not supported; this program reads version = 1", version);
        pol->version = version;

#define SECTION(name, fn, field)                              \
        do {                                                  \
                r = lookup(p, root, "", name, VT_GROUP, &s);  \
                if (r < 0)                                    \
                        return r;                             \
                if (r > 0 && (r = fn(p, &pol->field, s)) < 0) \
                        return r;                             \
        } while (0)

        SECTION("firewall", parse_firewall, firewall);
        SECTION("ssh", parse_ssh, ssh);
        SECTION("admin", parse_admin, admin);
        SECTION("services", parse_services, services);
        SECTION("watch", parse_watch, watch);
#undef SECTION

        /* every integer key took its literal; one left over that libconfig misread is refused all the same */
        for (size_t i = 0; p->ints && i < p->ints->n; i++) {
                const IntLiteral *x = &p->ints->items[i];

                if (!x->used && !x->libconfig_exact)
                        return fail_at(p, x->line, "%.*s%s%.*s is out of range for an integer", (int) x->name_len,
                                       strempty(x->name), x->name ? ": " : "", (int) x->len, x->text);
        }

        r = policy_cross_check(p, pol, root);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(pol);
        return 0;
}

static int policy_load(config_t *cfg, int read_ok, const char *text, IntLiterals *ints, const char *name, Policy **ret,
                       PolicyError *error) {
        Parser p = { .file = name, .text = text, .ints = ints, .error = error };
        int r;

        *error = (PolicyError){};
        if (read_ok != CONFIG_TRUE) {
                if (config_error_type(cfg) == CONFIG_ERR_FILE_IO)
                        return fail_at(&p, 0, "cannot read the policy file");
                return fail_at(&p, (unsigned) config_error_line(cfg), "syntax error: %s",
                               strna(config_error_text(cfg)));
        }
        r = policy_parse(&p, cfg, ret);
        if (r == -ENOMEM && !error->message)
                (void) fail_at(&p, 0, "out of memory");
        return r;
}

static void config_setup(config_t *cfg) {
        config_init(cfg);
        /* No silent int->float conversion; @include is refused before parsing. */
        config_set_options(cfg, 0);
}

int policy_load_string(const char *text, const char *name, Policy **ret, PolicyError *error) {
        _cleanup_(int_literals_done) IntLiterals ints = {};
        unsigned line = 0;
        config_t cfg;
        int r;

        config_setup(&cfg);
        for (const char *l = text; l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
                Parser p = { .file = name, .error = error };

                line++;
                if (startswith(l + strspn(l, " \t"), "@include")) {
                        *error = (PolicyError){};
                        config_destroy(&cfg);
                        return fail_at(&p, line, "@include is not supported: a policy is one file");
                }
        }
        r = int_literals_scan(text, &ints);
        if (r < 0) {
                Parser p = { .file = name, .error = error };

                *error = (PolicyError){};
                config_destroy(&cfg);
                (void) fail_at(&p, 0, "out of memory");
                return r;
        }
        r = policy_load(&cfg, config_read_string(&cfg, text), text, &ints, name, ret, error);
        config_destroy(&cfg);
        return r;
}

static const char *file_type_name(mode_t mode) {
        switch (mode & S_IFMT) {
        case S_IFDIR:
                return "a directory";
        case S_IFCHR:
                return "a character device";
        case S_IFBLK:
                return "a block device";
        case S_IFIFO:
                return "a FIFO";
        case S_IFSOCK:
                return "a socket";
        }
        return "not a regular file";
}

/* Reads at most about twice POLICY_SIZE_MAX, whatever the file claims or does meanwhile. */
static int read_policy_fd(Parser *p, int fd, char **ret, size_t *ret_len) {
        int r = read_fd_max(fd, POLICY_SIZE_MAX, ret, ret_len);

        if (r == -EFBIG)
                (void) fail_at(p, 0, "larger than the %u MiB limit for a policy file", POLICY_SIZE_MAX >> 20);
        else if (r < 0)
                (void) fail_at(p, 0, "cannot read: %s", strerror(-r));
        return r;
}

int policy_load_file(const char *path, Policy **ret, PolicyError *error) {
        _cleanup_free_ char *text = NULL;
        _cleanup_close_ int fd = -EBADF;
        Parser p = { .file = path, .error = error };
        struct stat st;
        size_t len = 0;
        int r;

        *error = (PolicyError){};
        /* O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) {
                r = -errno;
                (void) fail_at(&p, 0, "cannot open: %s", strerror(-r));
                return r;
        }
        if (fstat(fd, &st) < 0) {
                r = -errno;
                (void) fail_at(&p, 0, "cannot read: %s", strerror(-r));
                return r;
        }
        if (!S_ISREG(st.st_mode))
                return fail_at(&p, 0, "is %s; a policy is a regular file of at most %u MiB",
                               file_type_name(st.st_mode), POLICY_SIZE_MAX >> 20);
        if (st.st_size > (off_t) POLICY_SIZE_MAX) {
                (void) fail_at(&p, 0, "%jd bytes, larger than the %u MiB limit for a policy file",
                               (intmax_t) st.st_size, POLICY_SIZE_MAX >> 20);
                return -EFBIG;
        }
        r = read_policy_fd(&p, fd, &text, &len);
        if (r < 0) {
                if (r == -ENOMEM && !error->message)
                        (void) fail_at(&p, 0, "out of memory");
                return r;
        }
        if (memchr(text, 0, len))
                return fail_at(&p, 0, "contains a NUL byte; not a text file");
        return policy_load_string(text, path, ret, error);
}

int policy_load_builtin(Policy **ret, PolicyError *error) {
        return policy_load_string(policy_builtin_text, POLICY_BUILTIN_NAME, ret, error);
}
