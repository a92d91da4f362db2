/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* What a read of the kernel's nftables ruleset found, kept in hardend's runtime directory under the
 * ruleset's stamp (sys/nftables.h) and the digest of the wanted table: while both are the same, no
 * transaction was committed in any table since, so the same read would find the same again, and a
 * probe or an apply takes that word instead of listing the ruleset. */

#include <stdbool.h>

#include "finding.h"
#include "firewall-nft-rules.h"

typedef struct FwNftVerified {
        char *key;  /* "boot ... netns ... generation N table FAMILY want sha256:HEX"; NULL: none */
        bool equal; /* the kernel held exactly the wanted table */
} FwNftVerified;

void fw_nft_verified_done(FwNftVerified *v);
/* The key of the ruleset now against t; -errno when the stamp cannot be taken (then nothing is
 * kept or believed). */
int fw_nft_verified_key(const FwNftTable *t, char **ret);
/* 1 when run_dir holds a record of ours for key: its findings are appended to out (when not NULL)
 * and *ret_equal says whether the table was as wanted; 0 when there is none, or another, or one not
 * ours alone (sys/fileio.h: read_private_file()). */
int fw_nft_verified_load(const char *run_dir, const char *key, FindingList *out, bool *ret_equal);
/* Keeps key with equal and the findings of l from index from on, when the ruleset's stamp is still
 * key's: the read in between saw that one state. Best effort: a failure keeps nothing. */
void fw_nft_verified_save(const char *run_dir, const char *key, bool equal, const FindingList *l, size_t from);
