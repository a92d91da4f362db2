/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ssh-wayin.h"
#include "strv.h"

bool ssh_match_pattern(const char *s, const char *pattern) {
        for (;;) {
                if (*pattern == 0)
                        return *s == 0;
                if (*pattern == '*') {
                        while (*pattern == '*')
                                pattern++;
                        if (*pattern == 0)
                                return true;
                        for (; *s; s++)
                                if (ssh_match_pattern(s, pattern))
                                        return true;
                        return false;
                }
                if (*s == 0)
                        return false;
                if (*pattern != '?' && *pattern != *s)
                        return false;
                s++, pattern++;
        }
}

/* An address or CIDR entry: 1 matched, 0 not, -ENODATA when entry is no address. */
static int addr_entry_match(const char *addr, const char *entry) {
        unsigned char want[16], have[16];
        const char *slash = strchr(entry, '/');
        _cleanup_free_ char *a = strndup(entry, slash ? (size_t) (slash - entry) : strlen(entry));
        int fam, hfam, bits;
        char *end;

        if (!a)
                return -ENOMEM;
        fam = inet_pton(AF_INET, a, want) == 1 ? AF_INET : inet_pton(AF_INET6, a, want) == 1 ? AF_INET6 : 0;
        if (fam == 0)
                return -ENODATA;
        hfam = inet_pton(AF_INET, addr, have) == 1 ? AF_INET : inet_pton(AF_INET6, addr, have) == 1 ? AF_INET6 : 0;
        if (hfam != fam)
                return 0;
        bits = fam == AF_INET ? 32 : 128;
        if (slash) {
                long l = strtol(slash + 1, &end, 10);

                if (*end || end == slash + 1 || l < 0 || l > bits)
                        return -ENODATA;
                bits = (int) l;
        }
        for (int i = 0; i < bits; i++)
                if (((want[i / 8] ^ have[i / 8]) >> (7 - i % 8)) & 1)
                        return 0;
        return 1;
}

int ssh_match_host_and_ip(const char *host, const char *addr, const char *list) {
        _cleanup_strv_free_ char **entries = NULL;
        bool matched = false;

        if (strv_split(list, ",", &entries) < 0)
                return -ENOMEM;
        STRV_FOREACH (e, entries) {
                bool negated = (*e)[0] == '!';
                const char *p = *e + negated;
                int r = addr_entry_match(addr, p);

                if (r == -ENOMEM)
                        return r;
                if (r == -ENODATA) {
                        _cleanup_free_ char *lower = strdup(host);

                        if (!lower)
                                return -ENOMEM;
                        for (char *q = lower; *q; q++)
                                *q = (char) (*q >= 'A' && *q <= 'Z' ? *q - 'A' + 'a' : *q);
                        r = ssh_match_pattern(lower, p) || ssh_match_pattern(addr, p);
                }
                if (r > 0 && negated)
                        return -1;
                matched = matched || r > 0;
        }
        return matched;
}

static const char *view_get(const SshdDump *v, const char *keyword) {
        return v ? sshd_dump_get(v, keyword) : NULL;
}

static bool view_is(const SshdDump *v, const char *keyword, const char *value, bool dflt) {
        const char *s = view_get(v, keyword);

        return s ? strcasecmp(s, value) == 0 : dflt;
}

/* "USER[@HOST]" as sshd's match_user() reads an AllowUsers/DenyUsers entry. */
static int user_entry_match(const char *user, const WayinClient *c, const char *entry) {
        const char *at = strchr(entry, '@');
        _cleanup_free_ char *u = NULL;

        if (!at)
                return ssh_match_pattern(user, entry);
        u = strndup(entry, (size_t) (at - entry));
        if (!u)
                return -ENOMEM;
        if (!ssh_match_pattern(user, u))
                return 0;
        return ssh_match_host_and_ip(c->host, c->addr, at + 1) == 1;
}

static int first_user_match(const SshdDump *v, const char *keyword, const char *user, const WayinClient *c,
                            char **ret_entry) {
        _cleanup_strv_free_ char **l = NULL;
        const char *s = view_get(v, keyword);

        if (!s)
                return 0;
        if (strv_split(s, " ", &l) < 0)
                return -ENOMEM;
        STRV_FOREACH (e, l) {
                int r = user_entry_match(user, c, *e);

                if (r < 0)
                        return r;
                if (r > 0)
                        return (*ret_entry = strdup(*e)) ? 1 : -ENOMEM;
        }
        return 0;
}

static int first_group_match(const SshdDump *v, const char *keyword, char *const *groups, char **ret_group) {
        _cleanup_strv_free_ char **l = NULL;
        const char *s = view_get(v, keyword);

        if (!s)
                return 0;
        if (strv_split(s, " ", &l) < 0)
                return -ENOMEM;
        STRV_FOREACH (e, l)
                for (char *const *g = groups; g && *g; g++)
                        if (ssh_match_pattern(*g, *e))
                                return (*ret_group = strdup(*g)) ? 1 : -ENOMEM;
        return 0;
}

/* Whether some AuthenticationMethods list is satisfied by public keys alone. */
static bool methods_allow_key_only(const char *methods) {
        _cleanup_strv_free_ char **lists = NULL;

        if (!methods || strcasecmp(methods, "any") == 0)
                return true;
        if (strv_split(methods, " ", &lists) < 0)
                return true; /* out of memory: do not refuse for it */
        STRV_FOREACH (l, lists) {
                _cleanup_strv_free_ char **steps = NULL;
                bool only_keys = true;

                if (strv_split(*l, ",", &steps) < 0)
                        return true;
                STRV_FOREACH (s, steps)
                        only_keys = only_keys && streq(*s, "publickey");
                if (only_keys && !strv_isempty(steps))
                        return true;
        }
        return false;
}

bool wayin_command_is_shell(const char *command, const char *shells_text) {
        size_t cl;

        if (!command || command[0] != '/' || !shells_text)
                return false;
        cl = strcspn(command, " \t");
        if (command[cl] != 0)
                return false; /* arguments: a command, not a login shell */
        for (const char *p = shells_text; *p;) {
                size_t l = strcspn(p, "\n");

                if (l == cl && memcmp(p, command, cl) == 0)
                        return true;
                p += l + (p[l] == '\n');
        }
        return false;
}

bool wayin_shell_is_login(const char *shell) {
        static const char *const no_login[] = { "nologin", "false", "sync", "halt", "shutdown" };
        const char *base = strrchr(shell, '/');

        base = base ? base + 1 : shell;
        for (size_t i = 0; i < ELEMENTSOF(no_login); i++)
                if (streq(base, no_login[i]))
                        return false;
        return true;
}

#define WHY(...) (asprintf(ret_why, __VA_ARGS__) < 0 ? -ENOMEM : 0)

int wayin_account_admitted(const SshdDump *view, const WayinAccount *a, const WayinClient *c, time_t now,
                           char **ret_why) {
        _cleanup_free_ char *entry = NULL;
        const char *shell = isempty(a->shell) ? "/bin/sh" : a->shell;
        const char *v;
        int r;

        if (a->uid == 0) {
                v = view_get(view, "permitrootlogin");
                if (v && strcasecmp(v, "no") == 0)
                        return WHY("root login is off (PermitRootLogin no)");
                if (v && strcasecmp(v, "forced-commands-only") == 0)
                        return WHY("PermitRootLogin forced-commands-only allows no shell for root");
        }
        if (!a->shell_executable)
                return WHY("its shell %s does not exist or is not executable, so sshd refuses it (usermod -s)", shell);
        if (!wayin_shell_is_login(shell))
                return WHY("its shell is %s: no command can run (usermod -s /bin/bash %s)", shell, a->name);
        if (a->expire_days >= 0 && now / 86400 >= a->expire_days)
                return WHY("the account expired (shadow expiry day %ld; chage -E -1 %s)", a->expire_days, a->name);
        if (view_is(view, "usepam", "no", false) && a->password && a->password[0] == '!')
                return WHY("its password is locked and UsePAM is off, so sshd refuses the account even with a key "
                           "(usermod -p '*' %s, or UsePAM yes)",
                           a->name);

        r = first_user_match(view, "denyusers", a->name, c, &entry);
        if (r < 0)
                return r;
        if (r > 0)
                return WHY("DenyUsers %s matches it (remove it from DenyUsers)", entry);
        if (view_get(view, "allowusers")) {
                r = first_user_match(view, "allowusers", a->name, c, &entry);
                if (r < 0)
                        return r;
                if (r == 0)
                        return WHY("not in AllowUsers (%s) from %s (add %s to AllowUsers)",
                                   view_get(view, "allowusers"), c->addr, a->name);
                entry = mfree(entry);
        }
        r = first_group_match(view, "denygroups", a->groups, &entry);
        if (r < 0)
                return r;
        if (r > 0)
                return WHY("its group %s is in DenyGroups (%s)", entry, view_get(view, "denygroups"));
        if (view_get(view, "allowgroups")) {
                r = first_group_match(view, "allowgroups", a->groups, &entry);
                if (r < 0)
                        return r;
                if (r == 0)
                        return WHY("not in AllowGroups (%s) (add %s to one of them, or use admin.user)",
                                   view_get(view, "allowgroups"), a->name);
        }
        if (view_is(view, "pubkeyauthentication", "no", false))
                return WHY("PubkeyAuthentication no applies to it");
        v = view_get(view, "authenticationmethods");
        if (!methods_allow_key_only(v))
                return WHY("AuthenticationMethods %s asks for more than a key", v);
        v = view_get(view, "forcecommand");
        if (v && strcasecmp(v, "none") != 0 && !wayin_command_is_shell(v, a->shells))
                return WHY("ForceCommand %s replaces every command it runs", v);
        *ret_why = NULL;
        return 1;
}

bool wayin_keys_command(const SshdDump *view) {
        const char *v = view_get(view, "authorizedkeyscommand");

        return v && strcasecmp(v, "none") != 0;
}

/* The signature algorithms a key of this type can use. */
static bool type_accepted(const char *type, const char *accepted) {
        static const char *const rsa[] = { "ssh-rsa", "rsa-sha2-256", "rsa-sha2-512", NULL };
        static const char *const rsa_cert[] = { "ssh-rsa-cert-v01@openssh.com", "rsa-sha2-256-cert-v01@openssh.com",
                                                "rsa-sha2-512-cert-v01@openssh.com", NULL };
        _cleanup_strv_free_ char **l = NULL;
        const char *const *alts = streq(type, "ssh-rsa")                        ? rsa
                                  : streq(type, "ssh-rsa-cert-v01@openssh.com") ? rsa_cert
                                                                                : NULL;

        if (!accepted)
                return true;
        if (strv_split(accepted, ",", &l) < 0)
                return true;
        if (!alts)
                return strv_contains(l, type);
        for (; *alts; alts++)
                if (strv_contains(l, *alts))
                        return true;
        return false;
}

/* sshd's parse_absolute_time(): YYYYMMDD[HHMM[SS]], local time unless it ends in Z. -1 when bad. */
static time_t parse_expiry(const char *s) {
        struct tm tm = {};
        size_t l = strlen(s);
        bool utc = l > 0 && (s[l - 1] == 'Z' || s[l - 1] == 'z');
        char buf[16];
        time_t t;

        if (utc)
                l--;
        if ((l != 8 && l != 12 && l != 14) || l >= sizeof(buf))
                return -1;
        memcpy(buf, s, l);
        buf[l] = 0;
        for (size_t i = 0; i < l; i++)
                if (buf[i] < '0' || buf[i] > '9')
                        return -1;
        if (sscanf(buf, "%4d%2d%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) != 3)
                return -1;
        if (l >= 12 && sscanf(buf + 8, "%2d%2d", &tm.tm_hour, &tm.tm_min) != 2)
                return -1;
        if (l == 14 && sscanf(buf + 12, "%2d", &tm.tm_sec) != 1)
                return -1;
        tm.tm_year -= 1900;
        tm.tm_mon -= 1;
        tm.tm_isdst = -1;
        t = utc ? timegm(&tm) : mktime(&tm);
        return t;
}

/* One option of an authorized_keys line: name and, for name="value", the unquoted value. */
typedef struct KeyOption {
        char *name;
        char *value;
} KeyOption;

static int next_option(const char **p, KeyOption *ret) {
        const char *s = *p;
        size_t n = strcspn(s, "=,");
        FILE *f;
        char *buf = NULL;
        size_t len = 0;

        ret->name = strndup(s, n);
        ret->value = NULL;
        if (!ret->name)
                return -ENOMEM;
        s += n;
        if (*s == '=') {
                if (*++s != '"')
                        return -EINVAL;
                f = open_memstream(&buf, &len);
                if (!f)
                        return -ENOMEM;
                for (s++; *s && *s != '"'; s++) {
                        if (*s == '\\' && s[1] == '"')
                                s++;
                        fputc(*s, f);
                }
                if (fclose(f) != 0) {
                        free(buf);
                        return -ENOMEM;
                }
                ret->value = buf;
                if (*s != '"')
                        return -EINVAL;
                s++;
        }
        if (*s == ',')
                s++;
        else if (*s)
                return -EINVAL;
        *p = s;
        return 0;
}

static bool option_known(const char *name) {
        static const char *const flags[] = {
                "restrict",
                "cert-authority",
                "no-port-forwarding",
                "port-forwarding",
                "no-agent-forwarding",
                "agent-forwarding",
                "no-x11-forwarding",
                "x11-forwarding",
                "no-pty",
                "pty",
                "no-user-rc",
                "user-rc",
                "no-touch-required",
                "touch-required",
                "verify-required",
                "command",
                "environment",
                "from",
                "permitopen",
                "permitlisten",
                "principals",
                "tunnel",
                "expiry-time",
        };

        for (size_t i = 0; i < ELEMENTSOF(flags); i++)
                if (strcasecmp(flags[i], name) == 0)
                        return true;
        return false;
}

int wayin_key_usable(const SshdDump *view, const SshKey *k, const WayinClient *c, time_t now, char **ret_why) {
        const char *accepted = view_get(view, "pubkeyacceptedalgorithms") ?: view_get(view, "pubkeyacceptedkeytypes");
        const char *p = k->options;

        if (!type_accepted(k->type, accepted))
                return WHY("its %s key is not in PubkeyAcceptedAlgorithms", k->type);
        while (p && *p) {
                KeyOption o = {};
                int r = next_option(&p, &o);
                _cleanup_free_ char *name = o.name, *value = o.value;

                if (r == -ENOMEM)
                        return r;
                if (r < 0 || !option_known(name))
                        return WHY("sshd skips the key: its options \"%s\" do not parse", k->options);
                if (strcasecmp(name, "from") == 0) {
                        r = value ? ssh_match_host_and_ip(c->host, c->addr, value) : 0;
                        if (r < 0 && r != -1)
                                return r;
                        if (r != 1)
                                return WHY("the key's from=\"%s\" does not admit %s", strempty(value), c->addr);
                } else if (strcasecmp(name, "expiry-time") == 0) {
                        time_t t = value ? parse_expiry(value) : -1;

                        if (t < 0 || now >= t)
                                return WHY("the key expired (expiry-time=\"%s\")", strempty(value));
                } else if (strcasecmp(name, "command") == 0)
                        return WHY("the key forces command=\"%s\"", strempty(value));
        }
        *ret_why = NULL;
        return 1;
}
