/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The ssh module's view of the files: what they should say and what they say now (SshPlan), and
 * a staged copy of the configuration that the real sshd checks (Candidate). */

#include <stdbool.h>
#include <stddef.h>

#include "engine.h"
#include "ssh-config.h"
#include "sys/sshd-socket.h"
#include "sys/sshd.h"

/* What the files should say and what they say now. */
typedef struct SshPlan {
        SshAlgorithms algos;
        char *algo_problem; /* why strong crypto is not pinned, or NULL */
        SshSettings want;
        char *dropin;
        char *current_dropin; /* NULL: missing */
        size_t current_dropin_len;
        char *main_text; /* NULL: missing */
        size_t main_len;
        bool main_includes;
        char **dropins;      /* the *.conf names in SSH_DROPIN_DIR, sorted */
        const SshdOps *sshd; /* ssh_sshd_ops() */
        SshdExec exec;
        SshdCache *cache; /* the Context's, or NULL */
        bool have_sshd;
        char *addr;
        char *laddr;     /* this session's server address, or NULL */
        bool has_match;  /* a Match block (not "Match all") anywhere in the configuration */
        unsigned port;   /* the port the views are asked for: ssh.port, or the socket's first port */
        SshdStart start; /* how sshd is started: with a socket unit, its ports are where it listens */
        char **users;    /* whose Match view we check: root and the admin; every login user with Match */
} SshPlan;

/* The configuration as it will be (proposed) or as it is: a copy of the main file and of the drop-in directory with
 * our drop-in in it, in a temporary directory that the checked sshd can see. */
typedef struct Candidate {
        char *dir;      /* host path of the temporary directory */
        char *config;   /* the main file as sshd sees it */
        char **written; /* host paths to remove */
} Candidate;

/* The programs the module runs: the Context's, or the real ones. */
const SshdOps *ssh_sshd_ops(const Context *c);

void plan_done(SshPlan *p);
int plan_load(Context *c, SshPlan *ret);
/* Asks ssh -Q what the probe's plan will ask, into the kept answers (c->run_dir), for a later
 * process: the firewall unit's apply does it for the first boot's. */
int plan_prefetch(Context *c);
bool plan_dropin_ok(const SshPlan *p);
bool plan_has_work(const SshPlan *p);

void candidate_done(Candidate *k);
/* The configuration as it is (proposed false) or as this apply would make it. */
int candidate_build(Context *c, const SshPlan *p, bool proposed, Candidate *k);
/* Whether two staged trees hold the same files: names, modes and bytes, where one's Include lines
 * name its own directory and the other's theirs. */
bool candidate_same(const Candidate *a, const Candidate *b);
/* sshd's messages name the staged copy; say which real file they are about. */
char *unstage_paths(const Candidate *k, const char *text);
