/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The pure part of the firewall module: the ruleset hardend wants, computed from the policy alone.
 * No syscalls here; lib/sys/netfilter.c turns each FwRule (sys/fwrule.h) into the kernel's entry bytes. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"
#include "sys/fwrule.h"

typedef struct FwRuleset {
        int family;
        FwRule *rules; /* the rules of FW_CHAIN, in order */
        size_t n_rules;
        bool input_drop;       /* INPUT policy DROP */
        ForwardPolicy forward; /* FORWARD policy DROP, ACCEPT, or not touched at all (keep) */
} FwRuleset;

/* The rules of FW_CHAIN for one family, from the policy and the ports sshd listens on (or will:
 * ssh.port). The SSH rate limit covers each of ssh_ports (in ascending order, once each) that
 * fw->allow lets in over family; a port the policy drops anyway needs none. fw->enable is not
 * looked at: callers decide whether the firewall is managed at all. */
int fw_ruleset_build(const FirewallPolicy *fw, const uint16_t *ssh_ports, size_t n_ssh_ports, int family,
                     FwRuleset *ret);
void fw_ruleset_done(FwRuleset *s);

/* Whether every packet of f is accepted by one ACCEPT rule of s: then a foreign ACCEPT of f
 * (behind the jump to FW_CHAIN) lets nothing in that the policy drops. */
bool fw_ruleset_covers(const FwRuleset *s, const FwSpan *f);

/* What the anti-lockout check decides: whether a new TCP connection from addr to port is let in by
 * the policy (loopback always is). family AF_INET/AF_INET6. */
bool fw_policy_admits(const FirewallPolicy *fw, int family, const void *addr, uint16_t port);

/* Parses $SSH_CONNECTION ("client_ip client_port server_ip server_port") into the client's family
 * and address and the server port. An IPv4-mapped IPv6 client is returned as IPv4. */
typedef union FwAddr {
        struct in_addr in;
        struct in6_addr in6;
} FwAddr;
int fw_parse_ssh_connection(const char *s, int *ret_family, FwAddr *ret_addr, uint16_t *ret_port);
