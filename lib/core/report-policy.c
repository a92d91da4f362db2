/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The report section of the policy: the Prometheus textfile (metrics-host.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "report-policy.h"

static void report_policy_init(Policy *pol) {
        pol->report = (ReportPolicy){ .textfile_set = -1 };
}

/* node_exporter's textfile collector reads only *.prom files, and the file is written below the root. */
static const char *textfile_problem(const char *path) {
        const char *base = strrchr(path, '/');

        if (path[0] != '/')
                return "must be an absolute path";
        if (strpbrk(path, "\n\r\\\""))
                return "must not contain a newline, a backslash or a quote";
        if (strstr(path, "/../") || endswith(path, "/..") || strstr(path, "/./") || strstr(path, "//"))
                return "must be a normalized path (no \".\", \"..\" or \"//\")";
        if (!endswith(base, ".prom") || streq(base, "/.prom"))
                return "must name a file ending in \".prom\" (node_exporter's textfile collector reads only those)";
        return NULL;
}

static int report_policy_parse(Parser *p, Policy *pol, const config_setting_t *g) {
        static const char *const keys[] = { "prometheus_textfile", NULL };
        config_setting_t *s;
        const char *why;
        char *v;
        int r;

        r = check_keys(p, g, "report", keys);
        if (r < 0)
                return r;
        s = config_setting_get_member(g, "prometheus_textfile");
        if (!s)
                return 0;
        if (config_setting_type(s) == CONFIG_TYPE_BOOL) {
                if (config_setting_get_bool(s))
                        return fail(p, s,
                                    "report.prometheus_textfile: true is not a path; give a path, or "
                                    "false (or \"\") to write no textfile");
                pol->report.textfile_set = 1;
                return 0;
        }
        if (config_setting_type(s) != CONFIG_TYPE_STRING)
                return fail(p, s, "report.prometheus_textfile: must be a path, \"\" or false");
        v = (char *) config_setting_get_string(s);
        pol->report.textfile_set = 1;
        if (isempty(v))
                return 0;
        why = textfile_problem(v);
        if (why)
                return fail(p, s, "report.prometheus_textfile: \"%s\" %s", v, why);
        pol->report.prometheus_textfile = strdup(v);
        return pol->report.prometheus_textfile ? 0 : -ENOMEM;
}

/* The report defaults, in the one place they live; conf/hardend.conf says the same. */
static int report_policy_defaults(Policy *pol) {
        if (pol->report.textfile_set > 0)
                return 0;
        pol->report.textfile_set = 1;
        pol->report.prometheus_textfile = strdup(REPORT_TEXTFILE_DEFAULT);
        return pol->report.prometheus_textfile ? 0 : -ENOMEM;
}

static void report_policy_done(Policy *pol) {
        free(pol->report.prometheus_textfile);
        pol->report.prometheus_textfile = NULL;
}

static bool report_policy_equal(const Policy *a, const Policy *b) {
        return streq_ptr(a->report.prometheus_textfile, b->report.prometheus_textfile);
}

const PolicySection report_policy_section = {
        .name = "report",
        .init = report_policy_init,
        .parse = report_policy_parse,
        .defaults = report_policy_defaults,
        .done = report_policy_done,
        .equal = report_policy_equal,
};
