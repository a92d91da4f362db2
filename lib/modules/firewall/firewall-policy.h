/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "policy-parser.h"

/* firewall = { ... }: see PolicySection. */
void firewall_policy_init(Policy *pol);
int firewall_policy_parse(Parser *p, Policy *pol, const config_setting_t *g);
int firewall_policy_defaults(Policy *pol);
void firewall_policy_done(Policy *pol);
/* The section's parser, defaults and free, for the module table (Module.policy). */
extern const PolicySection firewall_policy_section;
