/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "policy-parser.h"

/* admin = { ... }: see PolicySection. */
void admin_policy_init(Policy *pol);
int admin_policy_parse(Parser *p, Policy *pol, const config_setting_t *g);
int admin_policy_defaults(Policy *pol);
void admin_policy_done(Policy *pol);
/* The section's parser, defaults and free, for the module table (Module.policy). */
extern const PolicySection admin_policy_section;
