/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* nftables through libnftables: commands run as one transaction each, listings read as JSON (for
 * structure) or as the text nft prints with handles (for naming rules as "nft list" does). The
 * output and the error text are buffered, never printed. */

#include <json-c/json.h>
#include <stddef.h>

typedef struct NftCtx NftCtx;

/* -ELIBACC when libnftables (loaded on first use) is not there. */
int nft_open(NftCtx **ret);
NftCtx *nft_close(NftCtx *c);
static inline void nft_closep(NftCtx **c) {
        *c = nft_close(*c);
}
#define _cleanup_nft_ __attribute__((cleanup(nft_closep)))

/* Runs cmds, every command of it in one transaction: 0, or -errno (as far as nft's message tells
 * it; -EIO otherwise) with nft's message in *ret_error when that is not NULL. */
int nft_run(NftCtx *c, const char *cmds, char **ret_error);

/* Runs list commands (one a line) and returns the items of the "nftables" arrays of their JSON
 * outputs, in order. */
int nft_list_json(NftCtx *c, const char *cmd, json_object **ret, char **ret_error);

/* One rule as "nft -a list" prints it, without the handle comment. */
typedef struct NftRuleText {
        char *chain;
        unsigned long handle;
        char *text;
} NftRuleText;

typedef struct NftRuleList {
        NftRuleText *items;
        size_t n, allocated;
} NftRuleList;

void nft_rule_list_done(NftRuleList *l);
/* The rules of table family/name, chain by chain in order. */
int nft_list_rules(NftCtx *c, const char *family, const char *name, NftRuleList *ret, char **ret_error);
/* Finds the text of a rule by chain and handle, NULL when not there. */
const char *nft_rule_list_find(const NftRuleList *l, const char *chain, unsigned long handle);

/* Whether nftables can be used: libnftables is installed and the kernel holds nf_tables in this
 * network namespace: 1 yes; 0 no, with the reason in *ret_why; -errno when that cannot be told. */
int nft_usable(char **ret_why);

/* The table family/name as nft prints it without handles and stateful values, to load it back with
 * nft_table_restore(); *ret_text is NULL (and 0 returned) when there is no such table. */
int nft_table_save(const char *family, const char *name, char **ret_text);
/* Puts the table back as saved, in one transaction: replaced by text, or deleted when text is
 * NULL. Tables other than family/name are not touched. */
int nft_table_restore(const char *family, const char *name, const char *text, char **ret_error);
