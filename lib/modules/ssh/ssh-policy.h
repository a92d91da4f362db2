/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "policy-parser.h"

/* ssh = { ... }: see PolicySection. */
void ssh_policy_init(Policy *pol);
int ssh_policy_parse(Parser *p, Policy *pol, const config_setting_t *g);
int ssh_policy_defaults(Policy *pol);
void ssh_policy_done(Policy *pol);
/* The section's parser, defaults and free, for the module table (Module.policy). */
extern const PolicySection ssh_policy_section;
