/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Benchmark helper (not installed): loads the built-in default policy once and runs the engine's
 * full probe of every module N times in one process, as the watcher does on its interval. Prints
 * the wall time of the first probe and the median of the others, in microseconds, and the number
 * of findings (which must not change between probes: nothing changes on disk meanwhile).
 *
 *   probeloop N [MODULE,...]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "finding.h"
#include "policy.h"
#include "time-util.h"

extern const Module *const hardend_modules[];
extern const size_t hardend_n_modules;

static int cmp(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;

        return (x > y) - (x < y);
}

int main(int argc, char **argv) {
        PolicyError e = {};
        Policy *p = NULL;
        int n = argc > 1 ? atoi(argv[1]) : 100;
        double *t;
        size_t first_count = 0;

        if (n < 2 || policy_load_builtin(&p, &e) < 0) {
                fprintf(stderr, "usage: probeloop N>=2 [MODULE,...] (policy: %s)\n", e.message ?: "ok");
                return 1;
        }
        t = calloc((size_t) n, sizeof(double));
        if (!t)
                return 1;
        Context c = { .policy = p, .root = "/", .live = true };
        if (argc > 2 && module_mask_from_string(argv[2], &c.only, NULL) < 0)
                return 1;
        for (int i = 0; i < n; i++) {
                FindingList l = {};
                usec_t t0 = now_monotonic_usec();
                int r = engine_probe(&c, hardend_modules, hardend_n_modules, &l);

                t[i] = (double) (now_monotonic_usec() - t0);
                if (r < 0) {
                        fprintf(stderr, "probe failed: %s\n", strerror(-r));
                        return 1;
                }
                if (i == 0)
                        first_count = l.n;
                else if (l.n != first_count)
                        fprintf(stderr, "probe %d: %zu findings, the first had %zu\n", i, l.n, first_count);
                finding_list_done(&l);
        }
        qsort(t + 1, (size_t) n - 1, sizeof(double), cmp);
        printf("first_us=%.1f median_us=%.1f min_us=%.1f findings=%zu probes=%d\n", t[0], t[1 + (n - 1) / 2], t[1],
               first_count, n);
        free(t);
        context_done(&c);
        policy_free(p);
        return 0;
}
