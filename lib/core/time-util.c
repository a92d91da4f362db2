/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <time.h>

#include "time-util.h"

static struct timespec now_timespec(clockid_t clock) {
        struct timespec ts;

        (void) clock_gettime(clock, &ts);
        return ts;
}

static usec_t now_usec(clockid_t clock) {
        struct timespec ts = now_timespec(clock);

        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / NSEC_PER_USEC;
}

usec_t now_realtime_usec(void) {
        return now_usec(CLOCK_REALTIME);
}

usec_t now_monotonic_usec(void) {
        return now_usec(CLOCK_MONOTONIC);
}

nsec_t now_realtime_nsec(void) {
        struct timespec ts = now_timespec(CLOCK_REALTIME);

        return (nsec_t) ts.tv_sec * NSEC_PER_SEC + (nsec_t) ts.tv_nsec;
}
