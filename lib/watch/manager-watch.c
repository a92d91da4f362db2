/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "manager-watch.h"

int watch_specs_build(Context *c, const Module *const *modules, size_t n_modules, WatchSpec **ret, size_t *ret_n) {
        WatchSpec *l = NULL;
        size_t n = 0;

        for (size_t i = 0; i < n_modules; i++) {
                int r;

                if (!modules[i]->watch)
                        continue;
                r = modules[i]->watch(c, &l, &n);
                if (r < 0) {
                        watch_spec_list_free(l, n);
                        return r;
                }
        }
        *ret = l;
        *ret_n = n;
        return 0;
}
