/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdint.h>

typedef uint64_t usec_t;
typedef uint64_t nsec_t;

#define USEC_PER_SEC  ((usec_t) 1000000ULL)
#define USEC_PER_MSEC ((usec_t) 1000ULL)
#define NSEC_PER_SEC  ((nsec_t) 1000000000ULL)
#define NSEC_PER_USEC ((nsec_t) 1000ULL)

/* The clocks, in µs: CLOCK_REALTIME for what is stored or shown (state, snapshots), CLOCK_MONOTONIC
 * for deadlines and durations. */
usec_t now_realtime_usec(void);
usec_t now_monotonic_usec(void);
/* CLOCK_REALTIME in ns, to compare with file timestamps (st_mtim). */
nsec_t now_realtime_nsec(void);
