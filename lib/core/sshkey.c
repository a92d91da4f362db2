/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <strings.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "sshkey.h"

static const char *const key_types[] = {
        "ssh-ed25519",
        "ssh-rsa",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521",
        "sk-ssh-ed25519@openssh.com",
        "sk-ecdsa-sha2-nistp256@openssh.com",
        "ssh-ed25519-cert-v01@openssh.com",
        "ssh-rsa-cert-v01@openssh.com",
        "ecdsa-sha2-nistp256-cert-v01@openssh.com",
        "ecdsa-sha2-nistp384-cert-v01@openssh.com",
        "ecdsa-sha2-nistp521-cert-v01@openssh.com",
        "sk-ssh-ed25519-cert-v01@openssh.com",
        "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
};

bool sshkey_type_known(const char *type) {
        for (size_t i = 0; i < ELEMENTSOF(key_types); i++)
                if (streq(key_types[i], type))
                        return true;
        return false;
}

void sshkey_done(SshKey *k) {
        free(k->options);
        free(k->type);
        free(k->blob);
        free(k->comment);
        *k = (SshKey){};
}

static int b64_value(unsigned char c) {
        if (c >= 'A' && c <= 'Z')
                return c - 'A';
        if (c >= 'a' && c <= 'z')
                return c - 'a' + 26;
        if (c >= '0' && c <= '9')
                return c - '0' + 52;
        if (c == '+')
                return 62;
        if (c == '/')
                return 63;
        return -1;
}

int base64_decode(const char *s, size_t len, unsigned char **ret, size_t *ret_len) {
        _cleanup_free_ unsigned char *out = NULL;
        size_t n = 0, pad = 0;
        uint32_t acc = 0;
        unsigned bits = 0;

        if (len == 0 || len % 4 != 0)
                return -EINVAL;
        while (pad < 2 && s[len - 1 - pad] == '=')
                pad++;
        out = malloc(len / 4 * 3 + 1);
        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < len - pad; i++) {
                int v = b64_value((unsigned char) s[i]);

                if (v < 0)
                        return -EINVAL;
                acc = (acc << 6) | (uint32_t) v;
                bits += 6;
                if (bits >= 8) {
                        bits -= 8;
                        out[n++] = (unsigned char) (acc >> bits);
                        acc &= (1u << bits) - 1;
                }
        }
        if (acc != 0) /* non-canonical trailing bits */
                return -EINVAL;
        *ret_len = n;
        *ret = TAKE_PTR(out);
        return (int) n;
}

static bool is_flag_option(const char *s) {
        static const char *const flags[] = {
                "agent-forwarding",
                "cert-authority",
                "no-agent-forwarding",
                "no-port-forwarding",
                "no-pty",
                "no-user-rc",
                "no-X11-forwarding",
                "port-forwarding",
                "pty",
                "no-touch-required",
                "verify-required",
                "restrict",
                "user-rc",
                "X11-forwarding",
        };

        for (size_t i = 0; i < ELEMENTSOF(flags); i++)
                if (strcasecmp(flags[i], s) == 0)
                        return true;
        return false;
}

/* Skips an options field: comma-separated, double quotes may hold spaces, backslash escapes a quote. */
static const char *skip_options(const char *p) {
        bool quoted = false;

        for (; *p; p++) {
                if (*p == '\\' && quoted && p[1] == '"')
                        p++;
                else if (*p == '"')
                        quoted = !quoted;
                else if (!quoted && (*p == ' ' || *p == '\t'))
                        return p;
        }
        return quoted ? NULL : p;
}

static int next_field(const char **p, char **ret) {
        const char *s = *p + strspn(*p, " \t"), *e = s + strcspn(s, " \t");

        if (e == s)
                return -ENODATA;
        *ret = strndup(s, (size_t) (e - s));
        if (!*ret)
                return -ENOMEM;
        *p = e;
        return 0;
}

/* The decoded blob starts with a string (uint32 length, bytes) naming the key type. */
static bool blob_matches_type(const char *b64, const char *type) {
        _cleanup_free_ unsigned char *raw = NULL;
        size_t n, tl = strlen(type);
        uint32_t l;

        if (base64_decode(b64, strlen(b64), &raw, &n) < 0 || n < 4)
                return false;
        l = (uint32_t) raw[0] << 24 | (uint32_t) raw[1] << 16 | (uint32_t) raw[2] << 8 | raw[3];
        return l == tl && n >= 4 + tl + 4 && memcmp(raw + 4, type, tl) == 0;
}

int sshkey_parse_line(const char *line, SshKey *ret, const char **ret_reason) {
        _cleanup_free_ char *first = NULL, *type = NULL, *blob = NULL, *options = NULL, *comment = NULL;
        const char *p = line + strspn(line, " \t"), *reason = NULL;
        size_t l;
        int r;

        if (*p == 0 || *p == '#' || *p == '\n')
                return -ENODATA;
        if (strchr(p, '\n') && strchr(p, '\n')[1] != 0) {
                reason = "key line contains a newline";
                goto invalid;
        }

        if (next_field(&p, &first) < 0)
                return -ENODATA;
        if (!sshkey_type_known(first)) {
                /* Either options precede the type, or the type is unknown. */
                const char *s = line + strspn(line, " \t"), *e = skip_options(s);

                if (strchr(first, '=') || strchr(first, ',') || strchr(first, '"') || is_flag_option(first)) {
                        if (!e) {
                                reason = "unterminated quote in key options";
                                goto invalid;
                        }
                        p = e;
                        free(first);
                        first = NULL;
                        options = strndup(s, (size_t) (e - s));
                        if (!options)
                                return -ENOMEM;
                        r = next_field(&p, &type);
                        if (r == -ENOMEM)
                                return r;
                        if (r < 0 || !sshkey_type_known(type)) {
                                reason = "unknown or missing key type";
                                goto invalid;
                        }
                } else {
                        reason = "unknown key type";
                        goto invalid;
                }
        } else
                type = TAKE_PTR(first);

        r = next_field(&p, &blob);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                reason = "key has no base64 body";
                goto invalid;
        }
        if (!blob_matches_type(blob, type)) {
                reason = "key body is not valid base64 of a key of that type";
                goto invalid;
        }

        p += strspn(p, " \t");
        l = strcspn(p, "\r\n");
        while (l > 0 && (p[l - 1] == ' ' || p[l - 1] == '\t'))
                l--;
        if (l > 0) {
                comment = strndup(p, l);
                if (!comment)
                        return -ENOMEM;
        }

        if (ret)
                *ret = (SshKey){
                        .options = TAKE_PTR(options),
                        .type = TAKE_PTR(type),
                        .blob = TAKE_PTR(blob),
                        .comment = TAKE_PTR(comment),
                };
        return 0;

invalid:
        if (ret_reason)
                *ret_reason = reason;
        return -EINVAL;
}

bool sshkey_equal(const SshKey *a, const SshKey *b) {
        return streq(a->type, b->type) && streq(a->blob, b->blob);
}

size_t sshkey_count_valid(const char *text, size_t len) {
        size_t n = 0;

        for (size_t i = 0; i < len;) {
                size_t e = i;
                _cleanup_free_ char *line = NULL;

                while (e < len && text[e] != '\n')
                        e++;
                line = strndup(text + i, e - i);
                if (line && sshkey_parse_line(line, NULL, NULL) >= 0)
                        n++;
                i = e + 1;
        }
        return n;
}
