/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "metrics.h"
#include "policy.h"

/* The metrics of this host (metrics.h) from what hardend records below the root, and the textfile
 * node_exporter's textfile collector reads (report.prometheus_textfile). */

/* Whether p's textfile is written below root: it names one, and its directory exists (the
 * collector's package made it; hardend never creates it). */
bool metrics_textfile_wanted(const Policy *p, const char *root);

/* The last apply from the state file below root (none recorded: no series). */
int metrics_add_state(Metrics *m, const char *root);

/* The whole text for a probe of modules that found l at probe_usec: the drift event counters and
 * the last apply as recorded below c->root, the digest of c->policy. */
int metrics_host_render(const Context *c, const Module *const *modules, size_t n, const FindingList *l,
                        uint64_t probe_usec, bool watcher_up, char **ret);

/* The findings an apply leaves: each module's of the verifying probe where it was changed and read
 * back, else of the first probe; with rolled_back, all of the first probe. */
int metrics_apply_findings(const ApplyResult *a, bool rolled_back, FindingList *ret);

/* Replaces path below root with text: a temp file in the same directory, fsync, rename, fsync of the
 * directory; a scrape sees the old file or the new one. -ENOENT: the directory is missing. */
int metrics_write_textfile(const char *root, const char *path, const char *text);
