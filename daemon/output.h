/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <json-c/json.h>
#include <stdio.h>

#include "engine.h"

json_object *json_finding(const Finding *f);
json_object *json_findings(const FindingList *l, const char *module);
json_object *json_modules(const Context *c, const Module *const *modules, size_t n, const FindingList *l);
json_object *json_apply_result(const ApplyResult *a);
int json_print(json_object *o);

void print_policy_header(const Context *c);
void print_findings(const FindingList *l, const char *module, bool fixable_only, const char *indent);
void print_modules(const Context *c, const Module *const *modules, size_t n, const FindingList *l);
void print_apply_result(const ApplyResult *a);
