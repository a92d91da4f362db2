/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The core helpers every module uses: the clocks, growing arrays. */
#include <stdint.h>
#include <time.h>

#include "array.h"
#include "macro.h"
#include "time-util.h"
#include "test-main.h"

static usec_t timespec_usec(const struct timespec *ts) {
        return (usec_t) ts->tv_sec * USEC_PER_SEC + (usec_t) ts->tv_nsec / NSEC_PER_USEC;
}

/* The monotonic clock does not go back and advances across a sleep. */
START_TEST(test_monotonic) {
        usec_t a = now_monotonic_usec(), b, c;

        ck_assert_uint_gt(a, 0);
        b = now_monotonic_usec();
        ck_assert_uint_ge(b, a);
        ck_assert_int_eq(nanosleep(&(struct timespec){ .tv_nsec = 20 * 1000 * 1000 }, NULL), 0);
        c = now_monotonic_usec();
        ck_assert_uint_ge(c - b, 20 * USEC_PER_MSEC);
        ck_assert_uint_lt(c - b, 10 * USEC_PER_SEC);
}
END_TEST

/* Each clock is the one it names, in its unit: read between two readings of the same clock. */
START_TEST(test_clocks) {
        struct timespec before, after;
        usec_t u;
        nsec_t n;

        ck_assert_int_eq(clock_gettime(CLOCK_MONOTONIC, &before), 0);
        u = now_monotonic_usec();
        ck_assert_int_eq(clock_gettime(CLOCK_MONOTONIC, &after), 0);
        ck_assert_uint_ge(u, timespec_usec(&before));
        ck_assert_uint_le(u, timespec_usec(&after));

        ck_assert_int_eq(clock_gettime(CLOCK_REALTIME, &before), 0);
        u = now_realtime_usec();
        n = now_realtime_nsec();
        ck_assert_int_eq(clock_gettime(CLOCK_REALTIME, &after), 0);
        ck_assert_uint_ge(u, timespec_usec(&before));
        ck_assert_uint_le(u, timespec_usec(&after));
        ck_assert_uint_ge(n / NSEC_PER_USEC, u);
        ck_assert_uint_le(n / NSEC_PER_USEC, timespec_usec(&after));
        ck_assert_uint_gt(u, 1500000000 * USEC_PER_SEC); /* after 2017: µs, not ms or s */
}
END_TEST

/* Growing by one keeps what was there; a failed growth leaves the array and its count alone. */
START_TEST(test_array_grow_one) {
        _cleanup_free_ unsigned *v = NULL;
        size_t n = 0;

        for (unsigned i = 0; i < 1000; i++) {
                ck_assert_int_eq(ARRAY_GROW_ONE(v, n), 0);
                v[n++] = i * 3;
        }
        ck_assert_uint_eq(n, 1000);
        for (size_t i = 0; i < n; i++)
                ck_assert_uint_eq(v[i], i * 3);

        unsigned *before = v;
        ck_assert_int_eq(ARRAY_GROW(v, NULL, SIZE_MAX / 2), -ENOMEM); /* too large: reallocarray refuses */
        ck_assert_ptr_eq(v, before);
        ck_assert_uint_eq(v[999], 2997);
        ck_assert_int_eq(ARRAY_GROW(v, NULL, 0), 0); /* nothing to make room for */
        ck_assert_ptr_eq(v, before);
}
END_TEST

/* With a capacity: 16 at first, then doubling (or what is needed if more), untouched on failure. */
START_TEST(test_array_grow_capacity) {
        _cleanup_free_ char **v = NULL;
        size_t allocated = 0;

        ck_assert_int_eq(ARRAY_GROW(v, &allocated, 1), 0);
        ck_assert_ptr_nonnull(v);
        ck_assert_uint_eq(allocated, 16);
        v[15] = (char *) "last";
        ck_assert_int_eq(ARRAY_GROW(v, &allocated, 16), 0); /* fits: no change */
        ck_assert_uint_eq(allocated, 16);
        ck_assert_int_eq(ARRAY_GROW(v, &allocated, 17), 0);
        ck_assert_uint_eq(allocated, 32);
        ck_assert_str_eq(v[15], "last");
        ck_assert_int_eq(ARRAY_GROW(v, &allocated, 100), 0);
        ck_assert_uint_eq(allocated, 100);

        char **before = v;
        ck_assert_int_eq(ARRAY_GROW(v, &allocated, SIZE_MAX / 4), -ENOMEM);
        ck_assert_ptr_eq(v, before);
        ck_assert_uint_eq(allocated, 100);
        ck_assert_str_eq(v[15], "last");
}
END_TEST

TEST_MAIN("core", tcase_add_test(tc, test_monotonic); tcase_add_test(tc, test_clocks);
          tcase_add_test(tc, test_array_grow_one); tcase_add_test(tc, test_array_grow_capacity))
