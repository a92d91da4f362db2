/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Where sshd really listens, for the firewall: its effective configuration (sshd -T, without -C:
 * the "port" and "listenaddress" lines, every Port line of sshd_config and its Includes adding
 * one), the listening TCP sockets held by an sshd process, and the policy's ssh.port when the ssh
 * module is about to put it in its drop-in. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"

typedef struct FwSshdPort {
        uint16_t port;
        int family;    /* AF_INET, AF_INET6, or AF_UNSPEC: both */
        char *address; /* "0.0.0.0:2222", "[::]:2222", "port 2222" (any address) */
        char *source;  /* where it comes from: "sshd -T", "a listening socket of sshd[812]", ... */
        bool planned;  /* not from sshd: ssh.port, which the ssh module's drop-in is about to set */
        bool socket;   /* a ListenStream= of the socket unit that starts sshd */
} FwSshdPort;

typedef struct FwSshd {
        FwSshdPort *items;
        size_t n;
        char *unknown; /* why sshd's own answer is missing (sshd -T failed), or NULL */
        /* the socket unit that starts sshd ("ssh.socket"), or NULL: then its ListenStream= ports are
         * where sshd listens, not sshd_config's Port (sshd -T is not asked) */
        char *socket;
        /* the socket follows sshd_config's Port at the next boot (sshd-socket-generator) */
        bool socket_follows_config;
} FwSshd;

void fw_sshd_done(FwSshd *s);

/* Adds one port (duplicates of port+family are merged: the first source stays). */
int fw_sshd_add(FwSshd *s, uint16_t port, int family, const char *address, const char *source);

/* Adds what sshd -T said: listenaddress (its values joined by spaces, "0.0.0.0:22 [::]:2222";
 * sshd prints one line per address and port), else port ("22 2222", any address). Either may be
 * NULL. -EINVAL for a value that is not an address:port or a port. */
int fw_sshd_add_dump(FwSshd *s, const char *listenaddress, const char *port, const char *source);

/* Whether p is reachable over family. */
bool fw_sshd_port_in_family(const FwSshdPort *p, int family);

/* The ports sshd uses over family (with ssh.port), for the rate limit (fw_ruleset_build()). */
int fw_sshd_ports(const FwSshd *s, int family, uint16_t **ret, size_t *ret_n);

/* Adds what the live system says (FwBackend.sshd_listens of the kernel's backend): when a socket
 * unit starts sshd (sys/sshd-socket.h), its ListenStream= ports; else sshd -T, asked
 * once while its inputs are unchanged (sshd_signature()), its failure too: the answer is kept in
 * c->cache[MODULE_FIREWALL]; then the listening sockets an sshd process holds. A missing sshd is
 * not an error, nor a failing sshd -T (s->unknown). */
int fw_sshd_listens(Context *c, FwSshd *s);

/* The ports: what b->sshd_listens() finds on the live system (none in an image tree, or when b
 * has no such hook), and the port the module that owns sshd's configuration is about to set
 * (context_sshd_plan()), unless a socket unit starts sshd and nothing makes it follow Port. */
int fw_sshd_probe(Context *c, const FwBackend *b, FwSshd *ret);
