/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* For the unit tests only: the firewall module's backend (FwBackend, engine.h) over an in-memory
 * filter table per family instead of the kernel's. Its NfOps have the real family's entry layout
 * and names (nf_entry_build() and nf_entry_equal() work on its entries as on the kernel's) and
 * behave as libiptc does: a handle is a copy of the table, changed in place, and a commit replaces
 * the table with it at once, or fails and leaves it as it was. What the kernel keeps of a standard
 * verdict or a jump is a number: the entries stored have no target name there, get_target()
 * gives the label (as libiptc maps it back). sshd is not asked: the backend answers the ports set
 * here. nftables is not asked: the backend in use is the iptables one over these tables, on a host
 * with no iptables command and no other backend. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "firewall-rules.h"
#include "sys/netfilter.h"

typedef struct FakeChain {
        char *name;
        char *policy;   /* the built-in chains: "ACCEPT", "DROP"; a user chain: NULL */
        void **entries; /* as the kernel holds them */
        char **labels;  /* what get_target() answers for each: "ACCEPT", a chain, "REJECT", "" */
        size_t n;
} FakeChain;

typedef struct FakeTable {
        FakeChain *chains;
        size_t n;
} FakeTable;

void fake_table_done(FakeTable *t);
FakeChain *fake_table_chain(const FakeTable *t, const char *name);

typedef struct FakeNf {
        NfOps ops;         /* what the module is given: the family's layout, the fake's calls */
        const NfOps *real; /* nf_ops_ipv4, nf_ops_ipv6: to build and describe entries */
        FakeTable kernel;  /* what init() copies and commit() replaces */
        unsigned inits;    /* handles made */
        unsigned open;     /* handles not freed yet */
        unsigned commits;  /* commits that succeeded */
        int init_errno;    /* non-zero: init() fails with it (not ENOPROTOOPT: nf_init() would run
                            * modprobe) */
        int commit_errno;  /* non-zero: commit() fails with it */
} FakeNf;

typedef struct FakeFirewall {
        FakeNf nf[2]; /* ipv4, ipv6 */
        FwBackend backend;
        unsigned locks;         /* lock() calls */
        int lock_error;         /* non-zero (-errno): lock() fails with it */
        uint16_t sshd_ports[4]; /* where "sshd" listens (any address): sshd_listens()'s answer */
        size_t n_sshd_ports;
} FakeFirewall;

/* A fresh filter table per family: INPUT, FORWARD and OUTPUT empty, policy ACCEPT. init() takes no
 * argument to find its table by (as libiptc's), so the tables of the last fake made are the ones
 * the handles open: one fake at a time. */
void fake_firewall_init(FakeFirewall *f);
void fake_firewall_done(FakeFirewall *f);

/* A copy of the table as it is; whether it is still as in that copy (chains, policies, entry bytes
 * and labels). */
int fake_nf_save(const FakeNf *nf, FakeTable *ret);
bool fake_nf_equal(const FakeNf *nf, const FakeTable *t);

/* Changes the table as another program would (committed at once). */
int fake_nf_append(FakeNf *nf, const char *chain, const FwRule *r);
int fake_nf_insert(FakeNf *nf, const char *chain, const FwRule *r, size_t pos);
int fake_nf_delete(FakeNf *nf, const char *chain, size_t pos);
int fake_nf_set_policy(FakeNf *nf, const char *chain, const char *policy);

/* The rules of chain, each described (nf_entry_describe()), joined with "|"; NULL: no such chain. */
char *fake_nf_describe(const FakeNf *nf, const char *chain);
