/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "policy-parser.h"

/* services = { ... }: see PolicySection. */
void services_policy_init(Policy *pol);
int services_policy_parse(Parser *p, Policy *pol, const config_setting_t *g);
int services_policy_defaults(Policy *pol);
void services_policy_done(Policy *pol);
/* The section's parser, defaults and free, for the module table (Module.policy). */
extern const PolicySection services_policy_section;
