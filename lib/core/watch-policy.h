/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "policy-parser.h"

/* watch = { ... }: see PolicySection. */
void watch_policy_init(Policy *pol);
int watch_policy_parse(Parser *p, Policy *pol, const config_setting_t *g);
int watch_policy_defaults(Policy *pol);
void watch_policy_done(Policy *pol);
/* The section's parser, defaults and free, for the module table (Module.policy). */
extern const PolicySection watch_policy_section;
