/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dlfcn.h>
#include <errno.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "array.h"
#include "macro.h"
#include "strv.h"
#include "sys/nft.h"
#include "sys/nftables.h"

struct NftCtx {
        struct nft_ctx *nft;
};

/* libnftables is loaded when first needed, as systemd loads its optional libraries: a probe that
 * finds the ruleset as it verified it (or a run that never touches nftables) does not pay for
 * loading it and the five libraries it pulls in. */
#define DLSYM(name) typeof(name) *name
static struct {
        void *handle;
        bool failed;
        DLSYM(nft_ctx_new);
        DLSYM(nft_ctx_free);
        DLSYM(nft_ctx_buffer_output);
        DLSYM(nft_ctx_buffer_error);
        DLSYM(nft_ctx_get_output_buffer);
        DLSYM(nft_ctx_get_error_buffer);
        DLSYM(nft_ctx_output_set_flags);
        DLSYM(nft_run_cmd_from_buffer);
} lib;
#undef DLSYM

static int lib_load(void) {
        static const char *const names[] = { "nft_ctx_new",
                                             "nft_ctx_free",
                                             "nft_ctx_buffer_output",
                                             "nft_ctx_buffer_error",
                                             "nft_ctx_get_output_buffer",
                                             "nft_ctx_get_error_buffer",
                                             "nft_ctx_output_set_flags",
                                             "nft_run_cmd_from_buffer" };
        void **slots[] = { (void **) &lib.nft_ctx_new,
                           (void **) &lib.nft_ctx_free,
                           (void **) &lib.nft_ctx_buffer_output,
                           (void **) &lib.nft_ctx_buffer_error,
                           (void **) &lib.nft_ctx_get_output_buffer,
                           (void **) &lib.nft_ctx_get_error_buffer,
                           (void **) &lib.nft_ctx_output_set_flags,
                           (void **) &lib.nft_run_cmd_from_buffer };
        void *h;

        if (lib.handle)
                return 0;
        if (lib.failed)
                return -ELIBACC;
        h = dlopen(LIBNFTABLES_PATH, RTLD_NOW | RTLD_NODELETE);
        for (size_t i = 0; h && i < ELEMENTSOF(names); i++)
                if (!(*slots[i] = dlsym(h, names[i]))) {
                        dlclose(h);
                        h = NULL;
                }
        if (!h) {
                lib.failed = true;
                return -ELIBACC;
        }
        lib.handle = h;
        return 0;
}

int nft_open(NftCtx **ret) {
        NftCtx *c;
        int r = lib_load();

        if (r < 0)
                return r;
        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->nft = lib.nft_ctx_new(NFT_CTX_DEFAULT);
        if (!c->nft || lib.nft_ctx_buffer_output(c->nft) < 0 || lib.nft_ctx_buffer_error(c->nft) < 0) {
                (void) nft_close(c);
                return -ENOMEM;
        }
        *ret = c;
        return 0;
}

NftCtx *nft_close(NftCtx *c) {
        if (!c)
                return NULL;
        if (c->nft)
                lib.nft_ctx_free(c->nft);
        free(c);
        return NULL;
}

/* libnftables reports the kernel's error as strerror() text in its message, not in errno. */
static int error_to_errno(const char *msg) {
        static const int known[] = { ENOENT,  EPROTONOSUPPORT, EAFNOSUPPORT, EOPNOTSUPP, EPERM,  EACCES,
                                     EEXIST,  EBUSY,           ENOMEM,       ENOSPC,     EINVAL, ENOBUFS,
                                     ENOTDIR, ELOOP,           E2BIG,        EMLINK,     EFBIG };

        if (!msg)
                return -EIO;
        for (size_t i = 0; i < ELEMENTSOF(known); i++)
                if (strstr(msg, strerror(known[i])))
                        return -known[i];
        if (strstr(msg, "syntax error") || strstr(msg, "Error:"))
                return -EINVAL;
        return -EIO;
}

/* nft's message without the trailing newline; the command it quotes stays. */
static int error_text(const char *msg, char **ret) {
        size_t n;

        if (!ret)
                return 0;
        msg = msg ?: "";
        n = strlen(msg);
        while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
                n--;
        *ret = n > 0 ? strndup(msg, n) : strdup("nft failed without a message");
        return *ret ? 0 : -ENOMEM;
}

/* Runs cmds with the given output flags; *ret_out is nft's output (may be empty). */
static int run_with(NftCtx *c, unsigned flags, const char *cmds, char **ret_out, char **ret_error) {
        const char *out;
        int r;

        lib.nft_ctx_output_set_flags(c->nft, flags);
        /* reading a buffer rewinds it: what an earlier command left is dropped */
        (void) lib.nft_ctx_get_output_buffer(c->nft);
        (void) lib.nft_ctx_get_error_buffer(c->nft);
        if (lib.nft_run_cmd_from_buffer(c->nft, cmds) != 0) {
                const char *msg = lib.nft_ctx_get_error_buffer(c->nft);

                r = error_to_errno(msg);
                if (error_text(msg, ret_error) < 0)
                        return -ENOMEM;
                return r;
        }
        if (ret_out) {
                out = lib.nft_ctx_get_output_buffer(c->nft);
                *ret_out = strdup(out ?: "");
                if (!*ret_out)
                        return -ENOMEM;
        }
        return 0;
}

int nft_run(NftCtx *c, const char *cmds, char **ret_error) {
        return run_with(c, 0, cmds, NULL, ret_error);
}

/* Appends the items of one {"nftables": [...]} document to all. */
static int take_items(json_object *root, json_object *all) {
        json_object *array;

        if (!root || !json_object_object_get_ex(root, "nftables", &array) ||
            !json_object_is_type(array, json_type_array))
                return -EBADMSG;
        for (size_t i = 0; i < json_object_array_length(array); i++)
                if (json_object_array_add(all, json_object_get(json_object_array_get_idx(array, i))) < 0)
                        return -ENOMEM;
        return 0;
}

int nft_list_json(NftCtx *c, const char *cmd, json_object **ret, char **ret_error) {
        _cleanup_free_ char *out = NULL;
        json_tokener *tok;
        json_object *all;
        size_t docs = 0;
        int r;

        r = run_with(c, NFT_CTX_OUTPUT_JSON, cmd, &out, ret_error);
        if (r < 0)
                return r;
        tok = json_tokener_new();
        all = json_object_new_array();
        if (!tok || !all) {
                json_tokener_free(tok);
                json_object_put(all);
                return -ENOMEM;
        }
        /* one document per command */
        for (const char *p = out + strspn(out, " \t\r\n"); *p; p += strspn(p, " \t\r\n")) {
                json_object *root = json_tokener_parse_ex(tok, p, (int) strlen(p));

                r = json_tokener_get_error(tok) == json_tokener_success ? take_items(root, all) : -EBADMSG;
                json_object_put(root);
                if (r < 0)
                        break;
                p += json_tokener_get_parse_end(tok);
                json_tokener_reset(tok);
                docs++;
        }
        json_tokener_free(tok);
        if (r >= 0 && docs == 0)
                r = -EBADMSG;
        if (r < 0) {
                json_object_put(all);
                if (r == -EBADMSG && ret_error)
                        *ret_error = strdup("nft's JSON output has no \"nftables\" array");
                return r;
        }
        *ret = all;
        return 0;
}

void nft_rule_list_done(NftRuleList *l) {
        for (size_t i = 0; i < l->n; i++) {
                free(l->items[i].chain);
                free(l->items[i].text);
        }
        free(l->items);
        *l = (NftRuleList){};
}

static int rule_list_add(NftRuleList *l, const char *chain, unsigned long handle, const char *text, size_t len) {
        NftRuleText *n;

        if (ARRAY_GROW(l->items, &l->allocated, l->n + 1) < 0)
                return -ENOMEM;
        n = l->items;
        n[l->n] = (NftRuleText){ .chain = strdup(chain), .handle = handle, .text = strndup(text, len) };
        if (!n[l->n].chain || !n[l->n].text) {
                free(n[l->n].chain);
                free(n[l->n].text);
                return -ENOMEM;
        }
        l->n++;
        return 0;
}

/* The listing's lines nest as "table { chain NAME { rule # handle N ... } set NAME { ... } }": a
 * rule is a line one level inside a chain block that ends in a handle comment. The handle comment of
 * a table that a program owns (flags owner) goes on with " progname NAME". */
static int parse_rules(const char *text, NftRuleList *ret) {
        static const char mark[] = " # handle ";
        _cleanup_(nft_rule_list_done) NftRuleList l = {};
        _cleanup_free_ char *chain = NULL;
        unsigned depth = 0;
        int r;

        for (const char *p = text; *p;) {
                const char *eol = strchrnul(p, '\n'), *s = p, *h;
                unsigned long handle = 0;
                size_t len;

                while (*s == '\t' || *s == ' ')
                        s++;
                p = *eol ? eol + 1 : eol;
                len = (size_t) (eol - s);
                h = memmem(s, len, mark, strlen(mark));
                if (h) {
                        char *end;

                        errno = 0;
                        handle = strtoul(h + strlen(mark), &end, 10);
                        if (errno != 0 || end == h + strlen(mark) || (end != eol && *end != ' '))
                                return -EBADMSG;
                        len = (size_t) (h - s);
                }
                if (len == 0)
                        continue;
                if (s[len - 1] == '{') {
                        if (++depth == 2 && strncmp(s, "chain ", 6) == 0) {
                                chain = strndup(s + 6, strcspn(s + 6, " {"));
                                if (!chain)
                                        return -ENOMEM;
                        }
                        continue;
                }
                if (len == 1 && s[0] == '}') {
                        if (depth > 0 && --depth < 2)
                                chain = mfree(chain);
                        continue;
                }
                if (depth != 2 || !chain || !h)
                        continue;
                r = rule_list_add(&l, chain, handle, s, len);
                if (r < 0)
                        return r;
        }
        *ret = l;
        l = (NftRuleList){};
        return 0;
}

int nft_list_rules(NftCtx *c, const char *family, const char *name, NftRuleList *ret, char **ret_error) {
        _cleanup_free_ char *cmd = NULL, *out = NULL;
        int r;

        if (asprintf(&cmd, "list table %s %s", family, name) < 0)
                return -ENOMEM;
        r = run_with(c, NFT_CTX_OUTPUT_HANDLE, cmd, &out, ret_error);
        if (r < 0)
                return r;
        return parse_rules(out, ret);
}

const char *nft_rule_list_find(const NftRuleList *l, const char *chain, unsigned long handle) {
        for (size_t i = 0; i < l->n; i++)
                if (l->items[i].handle == handle && streq(l->items[i].chain, chain))
                        return l->items[i].text;
        return NULL;
}

int nft_usable(char **ret_why) {
        _cleanup_strv_free_ char **tables = NULL;
        int r;

        /* the library is loaded only when a listing or a transaction needs it: here it must only be there */
        if (!lib.handle && access(LIBNFTABLES_PATH, R_OK) < 0) {
                char *why;

                if (asprintf(&why, "libnftables is not installed (%s: %s)", LIBNFTABLES_PATH, strerror(errno)) < 0)
                        return -ENOMEM;
                *ret_why = why;
                return 0;
        }
        /* over nfnetlink directly: libnftables would fetch the whole ruleset to list the tables */
        r = nft_list_tables(&tables);
        if (r >= 0)
                return 1;
        if (r == -EPROTONOSUPPORT || r == -ENOENT || r == -EAFNOSUPPORT || r == -EOPNOTSUPP) {
                char *why;

                if (asprintf(&why, "the kernel has no nf_tables in this network namespace (%s)", strerror(-r)) < 0)
                        return -ENOMEM;
                *ret_why = why;
                return 0;
        }
        return r;
}

int nft_table_save(const char *family, const char *name, char **ret_text) {
        _cleanup_nft_ NftCtx *c = NULL;
        _cleanup_free_ char *cmd = NULL, *out = NULL;
        int r;

        r = nft_open(&c);
        if (r < 0)
                return r;
        if (asprintf(&cmd, "list table %s %s", family, name) < 0)
                return -ENOMEM;
        r = run_with(c, NFT_CTX_OUTPUT_STATELESS, cmd, &out, NULL);
        if (r == -ENOENT) {
                *ret_text = NULL;
                return 0;
        }
        if (r < 0)
                return r;
        *ret_text = TAKE_PTR(out);
        return 0;
}

int nft_table_restore(const char *family, const char *name, const char *text, char **ret_error) {
        _cleanup_nft_ NftCtx *c = NULL;
        _cleanup_free_ char *cmds = NULL;
        int r;

        r = nft_open(&c);
        if (r < 0)
                return r;
        if (asprintf(&cmds, "add table %s %s\ndelete table %s %s\n%s", family, name, family, name, strempty(text)) < 0)
                return -ENOMEM;
        return nft_run(c, cmds, ret_error);
}
