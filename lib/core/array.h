/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

/* Makes room in *p for need elements of size bytes each. Without allocated the array is sized to
 * exactly need (the arrays that grow by one); with it, the capacity at least doubles (16 elements
 * at first) and *allocated follows. On failure -ENOMEM, and *p and *allocated are as they were. */
int array_grow(void **p, size_t *allocated, size_t need, size_t size);

/* The same for a typed array p (an lvalue): ARRAY_GROW(l->items, &l->allocated, l->n + 1). */
#define ARRAY_GROW(p, allocated, need)                                           \
        ({                                                                       \
                void *_q_ = (void *) (p);                                        \
                int _r_ = array_grow(&_q_, (allocated), (need), sizeof((p)[0])); \
                if (_r_ >= 0)                                                    \
                        (p) = _q_;                                               \
                _r_;                                                             \
        })

/* Room for one element after the n that p holds: p grows to n + 1 elements. */
#define ARRAY_GROW_ONE(p, n) ARRAY_GROW(p, NULL, (size_t) (n) + 1)
