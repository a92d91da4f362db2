/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Telling whether netfilter is also driven through nftables beside the legacy tables we write. */

/* The nftables tables of the current network namespace, as "family name" ("ip filter",
 * "inet firewalld"), asked of the kernel over nfnetlink (no nft binary needed). */
int nft_list_tables(char ***ret);

/* Names the exact state of the current network namespace's nftables ruleset: the boot, the
 * namespace and the ruleset's generation, which the kernel advances with every transaction
 * committed in any table (packets updating a dynamic set or a counter commit nothing). Two equal
 * stamps mean that no rule, chain, set or table changed in between. -ENOPROTOOPT on a kernel
 * before 5.14 (no namespace cookie). */
int nft_ruleset_stamp(char **ret);

/* Whether the iptables command (path, normally /usr/sbin/iptables, followed through the
 * alternatives symlinks) is the nftables-based variant: 1 yes, 0 no, -ENOENT when not there.
 * The resolved file name is returned in *ret_target if that is not NULL. */
int iptables_is_nft(const char *path, char **ret_target);
