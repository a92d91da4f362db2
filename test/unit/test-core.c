/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The core helpers every module uses: the clocks. */
#include <time.h>

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

TEST_MAIN("core", tcase_add_test(tc, test_monotonic); tcase_add_test(tc, test_clocks))
