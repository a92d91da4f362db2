/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* A whole x_tables table (IPv4 or IPv6) as the kernel holds it, saved and put back exactly: the
 * blob of IPT_SO_GET_ENTRIES (with the hook offsets of IPT_SO_GET_INFO) handed back through
 * IPT_SO_SET_REPLACE. The kernel resets the counters and its bookkeeping on replace; the rules,
 * chains and policies come back byte for byte. Callers treat the blob as opaque. */

#include <stddef.h>

/* Saves table ("filter") of family (AF_INET, AF_INET6) into a malloc'ed blob. -ENOENT when the
 * kernel has not instantiated that table in this network namespace (it is then not created). */
int nf_table_save(int family, const char *table, void **ret, size_t *ret_size);

/* Replaces the table with a blob from nf_table_save(), in one step. */
int nf_table_restore(int family, const char *table, const void *blob, size_t size);

/* Empties an instantiated table: built-in chains with policy ACCEPT, no rules, no user chains (what
 * a table the kernel has just created holds). 0 when the table was not instantiated. */
int nf_table_reset(int family, const char *table);

/* Whether the kernel has instantiated table (from /proc/net/ip{,6}_tables_names). */
int nf_table_present(int family, const char *table);

/* Whether the kernel has the family's legacy x_tables core (ip_tables, ip6_tables): loaded, or built
 * in or loadable (listed in /lib/modules/RELEASE/modules.builtin or modules.dep). 0 with the reason
 * in *ret_why (when not NULL) when it has not. Nothing is loaded. */
int nf_xtables_available(int family, char **ret_why);
