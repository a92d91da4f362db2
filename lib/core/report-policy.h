/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "policy-parser.h"

/* node_exporter's textfile directory on Debian (prometheus-node-exporter) */
#define REPORT_TEXTFILE_DEFAULT "/var/lib/prometheus/node-exporter/hardend.prom"

/* report = { ... }: see PolicySection. */
extern const PolicySection report_policy_section;
