/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "array.h"

int array_grow(void **p, size_t *allocated, size_t need, size_t size) {
        size_t n = need;
        void *q;

        if (need == 0 || (allocated && need <= *allocated))
                return 0;
        if (allocated) {
                size_t twice = *allocated == 0 ? 16 : *allocated <= SIZE_MAX / 2 ? *allocated * 2 : SIZE_MAX;

                if (twice > n)
                        n = twice;
        }
        if (size > 0 && n > SIZE_MAX / size)
                return -ENOMEM; /* as reallocarray would, without a sanitizer aborting on it */
        q = reallocarray(*p, n, size);
        if (!q)
                return -ENOMEM;
        *p = q;
        if (allocated)
                *allocated = n;
        return 0;
}
