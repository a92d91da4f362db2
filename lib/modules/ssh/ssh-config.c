/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "array.h"
#include "ssh-config.h"
#include "strv.h"

/* Modern choices only, in preference order; ssh-audit reports none of them as a failure. No NIST
 * curves (ecdh-sha2-*, ecdsa-*), no SHA-1, no CBC, no encrypt-and-MAC, no group-exchange (its
 * moduli file is not ours to vouch for). */
static const char *const algo_kex[] = {
        "mlkem768x25519-sha256",
        "sntrup761x25519-sha512",
        "sntrup761x25519-sha512@openssh.com",
        "curve25519-sha256",
        "curve25519-sha256@libssh.org",
        "diffie-hellman-group16-sha512",
        "diffie-hellman-group18-sha512",
        NULL,
};
static const char *const algo_cipher[] = {
        "chacha20-poly1305@openssh.com",
        "aes256-gcm@openssh.com",
        "aes128-gcm@openssh.com",
        "aes256-ctr",
        "aes192-ctr",
        "aes128-ctr",
        NULL,
};
static const char *const algo_mac[] = {
        "hmac-sha2-512-etm@openssh.com",
        "hmac-sha2-256-etm@openssh.com",
        "umac-128-etm@openssh.com",
        NULL,
};
static const char *const algo_hostkey[] = {
        "ssh-ed25519",
        "ssh-ed25519-cert-v01@openssh.com",
        "sk-ssh-ed25519@openssh.com",
        "sk-ssh-ed25519-cert-v01@openssh.com",
        "rsa-sha2-512",
        "rsa-sha2-512-cert-v01@openssh.com",
        "rsa-sha2-256",
        "rsa-sha2-256-cert-v01@openssh.com",
        NULL,
};

static const struct {
        const char *query;
        const char *keyword;
        const char *const *preferred;
} algo_table[_SSH_ALGO_MAX] = {
        [SSH_ALGO_KEX] = { "kex", "KexAlgorithms", algo_kex },
        [SSH_ALGO_CIPHER] = { "cipher", "Ciphers", algo_cipher },
        [SSH_ALGO_MAC] = { "mac", "MACs", algo_mac },
        [SSH_ALGO_HOSTKEY] = { "key-sig", "HostKeyAlgorithms", algo_hostkey },
};

/* Every keyword whose value we set, under any policy; where sshd has an old alias, both. */
static const char *const managed_keywords[] = {
        "PermitRootLogin",
        "PasswordAuthentication",
        "KbdInteractiveAuthentication",
        "ChallengeResponseAuthentication",
        "PermitEmptyPasswords",
        "PubkeyAuthentication",
        "AuthenticationMethods",
        "Port",
        "AllowGroups",
        "MaxAuthTries",
        "LoginGraceTime",
        "X11Forwarding",
        "KexAlgorithms",
        "Ciphers",
        "MACs",
        "HostKeyAlgorithms",
        NULL,
};

const char *ssh_algo_class_query(SshAlgoClass c) {
        return c >= 0 && c < _SSH_ALGO_MAX ? algo_table[c].query : NULL;
}

const char *ssh_algo_class_keyword(SshAlgoClass c) {
        return c >= 0 && c < _SSH_ALGO_MAX ? algo_table[c].keyword : NULL;
}

void ssh_algorithms_done(SshAlgorithms *a) {
        for (size_t i = 0; i < _SSH_ALGO_MAX; i++)
                a->list[i] = strv_free(a->list[i]);
}

int ssh_algorithms_pick(SshAlgoClass c, char *const *supported, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        int r;

        if (c < 0 || c >= _SSH_ALGO_MAX)
                return -EINVAL;
        for (const char *const *a = algo_table[c].preferred; *a; a++) {
                if (!strv_contains(supported, *a))
                        continue;
                r = strv_extend(&l, *a);
                if (r < 0)
                        return r;
        }
        if (strv_isempty(l))
                return -ENOENT;
        *ret = TAKE_PTR(l);
        return 0;
}

void ssh_settings_done(SshSettings *s) {
        for (size_t i = 0; i < s->n; i++)
                free(s->items[i].value);
        free(s->items);
        *s = (SshSettings){};
}

static int settings_add(SshSettings *s, const char *keyword, bool in_match, const char *fmt, ...) _printf_(4, 5);
static int settings_add(SshSettings *s, const char *keyword, bool in_match, const char *fmt, ...) {
        va_list ap;
        char *v;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&v, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        if (ARRAY_GROW_ONE(s->items, s->n) < 0) {
                free(v);
                return -ENOMEM;
        }
        s->items[s->n++] = (SshSetting){ .keyword = keyword, .value = v, .in_match = in_match };
        return 0;
}

int ssh_settings_from_policy(const SshPolicy *p, const SshAlgorithms *a, SshSettings *ret) {
        _cleanup_(ssh_settings_done) SshSettings s = {};
        bool pw = p->password_authentication;
        int r;

        if ((r = settings_add(&s, "PermitRootLogin", true, "%s", permit_root_login_to_string(p->permit_root_login))) <
                    0 ||
            (r = settings_add(&s, "PasswordAuthentication", !pw, "%s", pw ? "yes" : "no")) < 0 ||
            (r = settings_add(&s, "KbdInteractiveAuthentication", true, "no")) < 0 ||
            (r = settings_add(&s, "PermitEmptyPasswords", true, "no")) < 0 ||
            (r = settings_add(&s, "PubkeyAuthentication", true, "yes")) < 0)
                return r;
        if (!pw && (r = settings_add(&s, "AuthenticationMethods", true, "publickey")) < 0)
                return r;
        if ((r = settings_add(&s, "Port", false, "%u", (unsigned) p->port)) < 0)
                return r;
        if (!strv_isempty(p->allow_groups)) {
                _cleanup_free_ char *g = NULL;

                r = strv_join(p->allow_groups, " ", &g);
                if (r < 0 || (r = settings_add(&s, "AllowGroups", false, "%s", g)) < 0)
                        return r;
        }
        if ((r = settings_add(&s, "MaxAuthTries", true, "%u", p->max_auth_tries)) < 0 ||
            (r = settings_add(&s, "LoginGraceTime", false, "%u", SSH_LOGIN_GRACE_TIME)) < 0 ||
            (r = settings_add(&s, "X11Forwarding", true, "no")) < 0)
                return r;
        for (size_t i = 0; p->strong_crypto && a && i < _SSH_ALGO_MAX; i++) {
                _cleanup_free_ char *v = NULL;

                if (strv_isempty(a->list[i]))
                        continue;
                r = strv_join(a->list[i], ",", &v);
                if (r < 0 || (r = settings_add(&s, algo_table[i].keyword, false, "%s", v)) < 0)
                        return r;
        }
        *ret = s;
        s = (SshSettings){};
        return 0;
}

static const char *canonical_keyword(const char *keyword) {
        return strcasecmp(keyword, "ChallengeResponseAuthentication") == 0 ? "KbdInteractiveAuthentication" : keyword;
}

const SshSetting *ssh_settings_find(const SshSettings *s, const char *keyword) {
        keyword = canonical_keyword(keyword);
        for (size_t i = 0; i < s->n; i++)
                if (strcasecmp(s->items[i].keyword, keyword) == 0)
                        return &s->items[i];
        return NULL;
}

bool ssh_keyword_managed(const char *keyword) {
        for (const char *const *k = managed_keywords; *k; k++)
                if (strcasecmp(*k, keyword) == 0)
                        return true;
        return false;
}

int ssh_render_dropin(const SshSettings *s, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        FILE *f;
        bool any_match = false;

        f = open_memstream(&buf, &len);
        if (!f)
                return -ENOMEM;
        fputs("# Written by hardend from its policy; changes here are reported as drift and replaced.\n"
              "# sshd uses the first value it reads for a keyword: this file sorts first in\n"
              "# " SSH_DROPIN_DIR "/ and that directory is included at the top of sshd_config.\n",
              f);
        for (size_t i = 0; i < s->n; i++) {
                fprintf(f, "%s %s\n", s->items[i].keyword, s->items[i].value);
                any_match = any_match || s->items[i].in_match;
        }
        if (any_match) {
                fputs("\n# A Match block overrides the settings above for the connections it matches; this\n"
                      "# one is read before any other, so its values win there too. It ends with this file.\n"
                      "Match all\n",
                      f);
                for (size_t i = 0; i < s->n; i++)
                        if (s->items[i].in_match)
                                fprintf(f, "\t%s %s\n", s->items[i].keyword, s->items[i].value);
        }
        if (fclose(f) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(buf);
        return 0;
}

bool ssh_value_matches(const char *keyword, const char *want, const char *actual) {
        if (!want || !actual)
                return false;
        if (strcasecmp(keyword, "PermitRootLogin") == 0 && strcasecmp(want, "prohibit-password") == 0)
                return strcasecmp(actual, "prohibit-password") == 0 || strcasecmp(actual, "without-password") == 0;
        if (strcasecmp(keyword, "Port") == 0) {
                /* the same Port on several lines is one listener */
                size_t wl = strlen(want);

                for (const char *p = actual; *p;) {
                        size_t l = strcspn(p, " ");

                        if (l != wl || strncmp(p, want, wl) != 0)
                                return false;
                        p += l + (p[l] == ' ');
                }
                return *actual != 0;
        }
        return strcasecmp(want, actual) == 0;
}

int ssh_config_split_line(const char *line, size_t len, char **ret_keyword, char **ret_args) {
        const char *p = line, *end = line + len, *k;
        size_t kl;

        while (p < end && (*p == ' ' || *p == '\t'))
                p++;
        if (p >= end || *p == '#' || *p == '\r' || *p == '\n')
                return -ENODATA;
        k = p;
        while (p < end && !strchr(" \t=\r\n", *p))
                p++;
        kl = (size_t) (p - k);
        while (p < end && (*p == ' ' || *p == '\t'))
                p++;
        if (p < end && *p == '=')
                p++;
        while (p < end && (*p == ' ' || *p == '\t'))
                p++;
        while (end > p && strchr(" \t\r\n", end[-1]))
                end--;
        if (kl == 0)
                return -ENODATA;
        *ret_keyword = strndup(k, kl);
        if (!*ret_keyword)
                return -ENOMEM;
        *ret_args = strndup(p, (size_t) (end - p));
        if (!*ret_args) {
                free(*ret_keyword);
                *ret_keyword = NULL;
                return -ENOMEM;
        }
        return 0;
}

/* Calls fn for each keyword line; stops when fn returns non-zero and returns that. */
typedef int (*LineFunc)(const char *keyword, const char *args, const char *line, size_t len, unsigned lineno,
                        void *userdata);

static int for_each_line(const char *text, size_t len, LineFunc fn, void *userdata) {
        unsigned lineno = 0;

        for (size_t i = 0; i < len;) {
                size_t e = i;
                _cleanup_free_ char *kw = NULL, *args = NULL;
                int r;

                while (e < len && text[e] != '\n')
                        e++;
                lineno++;
                r = ssh_config_split_line(text + i, e - i, &kw, &args);
                if (r == -ENOMEM)
                        return r;
                r = fn(r < 0 ? NULL : kw, args, text + i, e - i, lineno, userdata);
                if (r != 0)
                        return r;
                i = e + 1;
        }
        return 0;
}

/* Include arguments: whitespace-separated, optionally double-quoted; relative to SSH_CONFIG_DIR. */
static int include_words(const char *args, char ***ret) {
        _cleanup_strv_free_ char **words = NULL;
        int r;

        r = strv_split(args, " \t", &words);
        if (r < 0)
                return r;
        STRV_FOREACH (w, words) {
                size_t l = strlen(*w);

                if (l >= 2 && (*w)[0] == '"' && (*w)[l - 1] == '"') {
                        memmove(*w, *w + 1, l - 2);
                        (*w)[l - 2] = 0;
                }
        }
        *ret = TAKE_PTR(words);
        return 0;
}

static int include_check(const char *keyword, const char *args, const char *line, size_t len, unsigned lineno,
                         void *userdata) {
        _cleanup_strv_free_ char **words = NULL;

        if (!keyword)
                return 0;
        if (strcasecmp(keyword, "Match") == 0 || ssh_keyword_managed(keyword))
                return 2; /* too late */
        if (strcasecmp(keyword, "Include") != 0)
                return 0;
        if (include_words(args, &words) < 0)
                return -ENOMEM;
        STRV_FOREACH (w, words) {
                _cleanup_free_ char *pattern = NULL;

                if ((*w)[0] == '/')
                        pattern = strdup(*w);
                else if (asprintf(&pattern, SSH_CONFIG_DIR "/%s", *w) < 0)
                        pattern = NULL;
                if (!pattern)
                        return -ENOMEM;
                /* another file read first could set a managed keyword or open a Match block */
                return fnmatch(pattern, SSH_DROPIN_PATH, FNM_PATHNAME) == 0 ? 1 : 2;
        }
        return 0;
}

static int match_check(const char *keyword, const char *args, const char *line, size_t len, unsigned lineno,
                       void *userdata) {
        if (!keyword || strcasecmp(keyword, "Match") != 0)
                return 0;
        return !args || strcasecmp(args, "all") != 0;
}

int ssh_config_has_match(const char *text, size_t len) {
        int r = for_each_line(text, len, match_check, NULL);

        return r < 0 ? r : r == 1;
}

static int include_collect(const char *keyword, const char *args, const char *line, size_t len, unsigned lineno,
                           void *userdata) {
        char ***l = userdata;
        _cleanup_strv_free_ char **words = NULL;

        if (!keyword || strcasecmp(keyword, "Include") != 0)
                return 0;
        if (include_words(args, &words) < 0)
                return -ENOMEM;
        STRV_FOREACH (w, words) {
                int r = (*w)[0] == '/' ? strv_extend(l, *w) : strv_extendf(l, SSH_CONFIG_DIR "/%s", *w);

                if (r < 0)
                        return r;
        }
        return 0;
}

int ssh_config_include_patterns(const char *text, size_t len, char ***ret) {
        _cleanup_strv_free_ char **l = calloc(1, sizeof(char *));
        int r;

        if (!l)
                return -ENOMEM;
        r = for_each_line(text, len, include_collect, &l);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(l);
        return 0;
}

int ssh_config_includes_dropin(const char *text, size_t len) {
        int r = for_each_line(text, len, include_check, NULL);

        return r < 0 ? r : r == 1;
}

int ssh_config_add_include(const char *text, size_t len, char **ret, size_t *ret_len) {
        static const char head[] = "# Added by hardend: read " SSH_DROPIN_DIR
                                   "/ first (sshd keeps the first value).\n" SSH_INCLUDE_LINE "\n";
        size_t hl = sizeof(head) - 1;
        char *s = malloc(hl + len + 1);

        if (!s)
                return -ENOMEM;
        memcpy(s, head, hl);
        memcpy(s + hl, text, len);
        s[hl + len] = 0;
        *ret = s;
        *ret_len = hl + len;
        return 0;
}

typedef struct RedirectState {
        FILE *f;
        const char *to_dir;
} RedirectState;

static int redirect_line(const char *keyword, const char *args, const char *line, size_t len, unsigned lineno,
                         void *userdata) {
        RedirectState *st = userdata;
        _cleanup_strv_free_ char **words = NULL;
        const char *rest;

        if (!keyword || strcasecmp(keyword, "Include") != 0) {
                fwrite(line, 1, len, st->f);
                fputc('\n', st->f);
                return 0;
        }
        if (include_words(args, &words) < 0)
                return -ENOMEM;
        fputs("Include", st->f);
        STRV_FOREACH (w, words) {
                _cleanup_free_ char *abs = NULL;

                if ((*w)[0] == '/')
                        abs = strdup(*w);
                else if (asprintf(&abs, SSH_CONFIG_DIR "/%s", *w) < 0)
                        abs = NULL;
                if (!abs)
                        return -ENOMEM;
                if ((rest = startswith(abs, SSH_DROPIN_DIR "/")))
                        fprintf(st->f, " %s/%s", st->to_dir, rest);
                else
                        fprintf(st->f, " %s", abs);
        }
        fputc('\n', st->f);
        return 0;
}

int ssh_config_redirect_includes(const char *text, size_t len, const char *to_dir, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t blen = 0;
        RedirectState st = { .to_dir = to_dir };
        int r;

        st.f = open_memstream(&buf, &blen);
        if (!st.f)
                return -ENOMEM;
        r = for_each_line(text, len, redirect_line, &st);
        if (fclose(st.f) != 0 && r >= 0)
                r = -ENOMEM;
        if (r < 0)
                return r;
        *ret = TAKE_PTR(buf);
        return 0;
}

typedef struct ManagedState {
        const SshSettings *want;
        char **found;
        bool conflicts;
} ManagedState;

static int managed_line(const char *keyword, const char *args, const char *line, size_t len, unsigned lineno,
                        void *userdata) {
        ManagedState *st = userdata;
        const SshSetting *s;

        if (!keyword || !ssh_keyword_managed(keyword))
                return 0;
        s = ssh_settings_find(st->want, keyword);
        if (s && !ssh_value_matches(s->keyword, s->value, args))
                st->conflicts = true;
        return strv_extendf(&st->found, "%s %s (line %u)", keyword, args, lineno) < 0 ? -ENOMEM : 0;
}

int ssh_config_managed_lines(const char *text, size_t len, const SshSettings *want, char ***ret, bool *ret_conflicts) {
        ManagedState st = { .want = want };
        int r;

        r = for_each_line(text, len, managed_line, &st);
        if (r < 0) {
                strv_free(st.found);
                return r;
        }
        r = (int) strv_length(st.found);
        *ret = st.found;
        *ret_conflicts = st.conflicts;
        return r;
}

int ssh_expand_keys_path(const char *pattern, const char *user, uid_t uid, const char *home, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        FILE *f;

        f = open_memstream(&buf, &len);
        if (!f)
                return -ENOMEM;
        if (pattern[0] != '/' && pattern[0] != '%')
                fprintf(f, "%s/", home);
        for (const char *p = pattern; *p; p++) {
                if (*p != '%') {
                        fputc(*p, f);
                        continue;
                }
                switch (*++p) {
                case '%':
                        fputc('%', f);
                        break;
                case 'h':
                        fputs(home, f);
                        break;
                case 'u':
                        fputs(user, f);
                        break;
                case 'U':
                        fprintf(f, "%u", (unsigned) uid);
                        break;
                default:
                        (void) fclose(f);
                        return -EINVAL;
                }
        }
        if (fclose(f) != 0)
                return -ENOMEM;
        if (buf[0] != '/') /* "%u/keys": sshd takes that relative to the home directory too */
                return -EINVAL;
        *ret = TAKE_PTR(buf);
        return 0;
}
