/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The firewall module: default-DROP IPv4 and IPv6 through libiptc (DESIGN.md "Firewall shape").
 * The desired rules come from lib/firewall-rules.c; the kernel is reached through lib/sys/netfilter.c. */

#include "engine.h"

extern const Module firewall_module;
