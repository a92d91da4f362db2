/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "macro.h"
#include "sys/sshd-dump.h"

void sshd_dump_done(SshdDump *d) {
        for (size_t i = 0; i < d->n; i++) {
                free(d->keys[i]);
                free(d->values[i]);
        }
        free(d->keys);
        free(d->values);
        *d = (SshdDump){};
}

static ssize_t dump_index(const SshdDump *d, const char *keyword) {
        for (size_t i = 0; i < d->n; i++)
                if (streq(d->keys[i], keyword))
                        return (ssize_t) i;
        return -1;
}

int sshd_dump_copy(const SshdDump *from, SshdDump *ret) {
        _cleanup_(sshd_dump_done) SshdDump d = {};

        d.keys = calloc(from->n + 1, sizeof(char *));
        d.values = calloc(from->n + 1, sizeof(char *));
        if (!d.keys || !d.values)
                return -ENOMEM;
        for (; d.n < from->n; d.n++) {
                d.keys[d.n] = strdup(from->keys[d.n]);
                d.values[d.n] = strdup(from->values[d.n]);
                if (!d.keys[d.n] || !d.values[d.n]) {
                        d.n++;
                        return -ENOMEM;
                }
        }
        *ret = d;
        d = (SshdDump){};
        return 0;
}

int sshd_dump_parse(const char *text, SshdDump *ret) {
        _cleanup_(sshd_dump_done) SshdDump d = {};

        for (const char *p = text; p && *p;) {
                const char *eol = p + strcspn(p, "\n"), *k = p + strspn(p, " \t"), *v;
                _cleanup_free_ char *key = NULL, *value = NULL;
                size_t kl, vl;
                ssize_t idx;

                kl = strcspn(k, " \t\n");
                v = k + kl;
                v += strspn(v, " \t");
                vl = v < eol ? (size_t) (eol - v) : 0;
                while (vl > 0 && strchr(" \t\r", v[vl - 1]))
                        vl--;
                p = *eol ? eol + 1 : eol;
                if (kl == 0 || k >= eol)
                        continue;
                key = strndup(k, kl);
                value = strndup(v, vl);
                if (!key || !value)
                        return -ENOMEM;
                for (char *c = key; *c; c++)
                        *c = (char) (*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
                idx = dump_index(&d, key);
                if (idx >= 0) {
                        char *j;

                        if (asprintf(&j, "%s %s", d.values[idx], value) < 0)
                                return -ENOMEM;
                        free(d.values[idx]);
                        d.values[idx] = j;
                        continue;
                }
                {
                        char **nk = reallocarray(d.keys, d.n + 1, sizeof(char *)), **nv;

                        if (!nk)
                                return -ENOMEM;
                        d.keys = nk;
                        nv = reallocarray(d.values, d.n + 1, sizeof(char *));
                        if (!nv)
                                return -ENOMEM;
                        d.values = nv;
                        d.keys[d.n] = TAKE_PTR(key);
                        d.values[d.n] = TAKE_PTR(value);
                        d.n++;
                }
        }
        *ret = d;
        d = (SshdDump){};
        return 0;
}

const char *sshd_dump_get(const SshdDump *d, const char *keyword) {
        _cleanup_free_ char *lower = strdup(keyword);
        ssize_t i;

        if (!lower)
                return NULL;
        for (char *c = lower; *c; c++)
                *c = (char) (*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
        i = dump_index(d, lower);
        return i >= 0 ? d->values[i] : NULL;
}
