/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The watch section of the policy: the resident watcher (lib/manager*.c). */
#include <errno.h>

#include "watch-policy.h"

static const char *const watch_mode_table[_WATCH_MODE_MAX] = {
        [WATCH_MODE_REPORT] = "report",
        [WATCH_MODE_REPAIR] = "repair",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(watch_mode, WatchMode);

void watch_policy_init(Policy *pol) {
        pol->watch = (WatchPolicy){ .mode = _WATCH_MODE_INVALID };
}

int watch_policy_parse(Parser *p, Policy *pol, const config_setting_t *g) {
        static const char *const keys[] = { "interval", "mode", NULL };
        WatchPolicy *w = &pol->watch;
        int r, x;

        r = check_keys(p, g, "watch", keys);
        if (r < 0)
                return r;
        r = get_uint(p, g, "watch", "interval", 1, 86400, &w->interval, NULL);
        if (r < 0)
                return r;
        r = get_enum(p, g, "watch", "mode", watch_mode_table, _WATCH_MODE_MAX, &x);
        if (r < 0)
                return r;
        if (r > 0)
                w->mode = (WatchMode) x;
        return 0;
}

/* The watch defaults, in the one place they live; conf/hardend.conf says the same. */
int watch_policy_defaults(Policy *pol) {
        if (pol->watch.interval == 0)
                pol->watch.interval = 60;
        if (pol->watch.mode < 0)
                pol->watch.mode = WATCH_MODE_REPORT;
        return 0;
}

void watch_policy_done(Policy *pol) {
        /* owns nothing */
}

static bool watch_policy_equal(const Policy *a, const Policy *b) {
        return a->watch.interval == b->watch.interval && a->watch.mode == b->watch.mode;
}

const PolicySection watch_policy_section = {
        .name = "watch",
        .init = watch_policy_init,
        .parse = watch_policy_parse,
        .defaults = watch_policy_defaults,
        .done = watch_policy_done,
        .equal = watch_policy_equal,
};
