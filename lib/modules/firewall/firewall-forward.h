/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* What hardend says about forwarding, which it leaves alone unless forward_policy says otherwise. */

#include "finding.h"
#include "policy.h"

/* The warnings of plan and validate: forward_policy "drop" on a host with bridges of containers or
 * VMs (sys/netif.h), whose traffic it would cut off. An empty list when there is nothing to say. */
int fw_forward_warnings(const Policy *p, char ***ret);

/* The live system's check: IPv4 forwarding on and nothing that filters forwarded packets (no FORWARD
 * policy DROP in the legacy table, no nftables chain on the forward hook) is a finding
 * (firewall/forwarding) that hardend does not fix. Nothing when the policy drops forwarded packets
 * itself. */
int fw_forward_findings(const Policy *p, FindingList *out);
