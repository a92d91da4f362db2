/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Benchmark helper (not installed): what the Prometheus textfile costs the watcher per probe. Loads
 * the policy once and runs N rounds in one process; each round is a full probe of every module
 * without the textfile, then one with it, written the way the watcher writes it after a probe
 * (metrics_textfile_wanted(), metrics_from_findings(), metrics_add_state(), metrics_render(),
 * metrics_write_textfile()). Prints the medians in microseconds, wall clock, and the CPU time of the
 * metrics step (the rest of its wall time is waiting for the disk: fsync).
 *
 *   metricsloop N POLICY
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"
#include "metrics-host.h"
#include "metrics.h"
#include "modules.h"
#include "policy.h"
#include "state.h"
#include "time-util.h"

static int cmp(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;

        return (x > y) - (x < y);
}

static double median(double *t, int n) {
        qsort(t, (size_t) n, sizeof(double), cmp);
        return t[n / 2];
}

static double cpu_usec(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return (double) ts.tv_sec * 1e6 + (double) ts.tv_nsec / 1e3;
}

/* noinline: callgrind's --toggle-collect=write_metrics counts it alone */
static __attribute__((noinline)) int write_metrics(Context *c, const FindingList *l, const char *digest,
                                                   uint64_t probe_usec, double *ret_render, double *ret_write,
                                                   double *ret_cpu) {
        _cleanup_(metrics_done) Metrics m = {};
        _cleanup_free_ char *text = NULL;
        uint64_t events[_MODULE_MAX] = {};
        usec_t t0 = now_monotonic_usec(), t1;
        double c0 = cpu_usec();
        int r;

        if (!metrics_textfile_wanted(c->policy, c->root))
                return -ENOENT;
        r = metrics_from_findings(c, hardend_modules, hardend_n_modules, l, events, &m);
        if (r >= 0)
                r = metrics_add_state(&m, c->root);
        if (r >= 0)
                r = metrics_set_policy_digest(&m, digest);
        if (r < 0)
                return r;
        m.last_probe_usec = probe_usec;
        m.watcher_up = true;
        r = metrics_render(&m, &text);
        if (r < 0)
                return r;
        t1 = now_monotonic_usec();
        r = metrics_write_textfile(c->root, c->policy->report.prometheus_textfile, text);
        *ret_render = (double) (t1 - t0);
        *ret_write = (double) (now_monotonic_usec() - t1);
        *ret_cpu = cpu_usec() - c0;
        return r;
}

int main(int argc, char **argv) {
        _cleanup_free_ double *plain = NULL, *with = NULL, *render = NULL, *write = NULL, *cpu = NULL;
        _cleanup_free_ char *digest = NULL;
        PolicyError e = {};
        Policy *p = NULL;
        int n = argc > 2 ? atoi(argv[1]) : 0;

        if (n < 2 || policy_load_file(argv[2], &p, &e) < 0) {
                fprintf(stderr, "usage: metricsloop N>=2 POLICY (%s)\n", e.message ?: "ok");
                return 1;
        }
        plain = calloc((size_t) n, sizeof(double));
        with = calloc((size_t) n, sizeof(double));
        render = calloc((size_t) n, sizeof(double));
        write = calloc((size_t) n, sizeof(double));
        cpu = calloc((size_t) n, sizeof(double));
        if (!plain || !with || !render || !write || !cpu || policy_digest(p, &digest) < 0)
                return 1;
        Context c = { .policy = p, .root = "/", .live = true };
        for (int i = -1; i < n; i++) { /* round -1 warms the caches up, as the watcher's first probe does */
                FindingList a = {}, b = {};
                double rt = 0, wt = 0, ct = 0;
                usec_t t0 = now_monotonic_usec(), t1, t2;
                int r = engine_probe(&c, hardend_modules, hardend_n_modules, &a);

                t1 = now_monotonic_usec();
                if (r >= 0)
                        r = engine_probe(&c, hardend_modules, hardend_n_modules, &b);
                if (r >= 0)
                        r = write_metrics(&c, &b, digest, now_realtime_usec(), &rt, &wt, &ct);
                t2 = now_monotonic_usec();
                if (r < 0) {
                        fprintf(stderr, "round %d: %s\n", i, strerror(-r));
                        return 1;
                }
                if (i >= 0) {
                        plain[i] = (double) (t1 - t0);
                        with[i] = (double) (t2 - t1);
                        render[i] = rt;
                        write[i] = wt;
                        cpu[i] = ct;
                }
                finding_list_done(&a);
                finding_list_done(&b);
        }
        printf("probe_us=%.1f probe_with_metrics_us=%.1f metrics_collect_render_us=%.1f metrics_write_us=%.1f "
               "metrics_cpu_us=%.1f rounds=%d\n",
               median(plain, n), median(with, n), median(render, n), median(write, n), median(cpu, n), n);
        context_done(&c);
        policy_free(p);
        return 0;
}
