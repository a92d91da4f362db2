/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The firewall module: default-DROP IPv4 and IPv6 (DESIGN.md "Firewall shape"). The desired rules
 * come from firewall-rules.c; one backend (firewall-backend.h) puts them into the kernel. */

#include "engine.h"

extern const Module firewall_module;
