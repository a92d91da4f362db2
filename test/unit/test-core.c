/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The core helpers every module uses: the clocks, growing arrays, enum names. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "array.h"
#include "log.h"
#include "macro.h"
#include "strbuf.h"
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
        ck_assert_int_eq(ARRAY_GROW(v, NULL, SIZE_MAX / 2), -ENOMEM); /* too large to allocate */
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

typedef enum Fruit {
        FRUIT_APPLE,
        FRUIT_PEAR,
        FRUIT_UNNAMED, /* no name in the table */
        FRUIT_PLUM,
        _FRUIT_MAX,
        _FRUIT_INVALID = -EINVAL,
} Fruit;

static const char *const fruit_table[_FRUIT_MAX] = {
        [FRUIT_APPLE] = "apple",
        [FRUIT_PEAR] = "pear",
        [FRUIT_PLUM] = "plum",
};

const char *fruit_to_string(Fruit f);
Fruit fruit_from_string(const char *s);
DEFINE_STRING_TABLE_LOOKUP(fruit, Fruit);

/* Every name there is goes there and back; anything else is -EINVAL or NULL. */
START_TEST(test_string_table) {
        for (int i = 0; i < _FRUIT_MAX; i++) {
                const char *name = fruit_to_string((Fruit) i);

                if (i == FRUIT_UNNAMED) {
                        ck_assert_ptr_null(name);
                        continue;
                }
                ck_assert_ptr_nonnull(name);
                ck_assert_int_eq(fruit_from_string(name), i);
        }
        ck_assert_str_eq(fruit_to_string(FRUIT_PLUM), "plum");
        ck_assert_int_eq(fruit_from_string("pear"), FRUIT_PEAR);
        ck_assert_int_eq(fruit_from_string("banana"), -EINVAL);
        ck_assert_int_eq(fruit_from_string("Apple"), _FRUIT_INVALID);
        ck_assert_int_eq(fruit_from_string(""), -EINVAL);
        ck_assert_int_eq(fruit_from_string(NULL), -EINVAL);
        ck_assert_ptr_null(fruit_to_string(_FRUIT_MAX));
        ck_assert_ptr_null(fruit_to_string(_FRUIT_INVALID));
        ck_assert_ptr_null(fruit_to_string((Fruit) 1000));
}
END_TEST

/* A string built piece by piece: formats, grows past its first allocation, and is empty again
 * after it was taken. */
START_TEST(test_strbuf) {
        _cleanup_(strbuf_done) StrBuf b = {};
        _cleanup_free_ char *s = NULL, *t = NULL, *e = NULL;

        strbuf_puts(&b, "tcp dport ");
        strbuf_printf(&b, "%u", 22u);
        strbuf_putc(&b, ' ');
        strbuf_puts(&b, "accept");
        ck_assert_int_eq(strbuf_steal(&b, &s), 0);
        ck_assert_str_eq(s, "tcp dport 22 accept");
        ck_assert_ptr_null(b.s);
        for (unsigned i = 0; i < 1000; i++)
                strbuf_printf(&b, "%04u,", i);
        ck_assert_int_eq(strbuf_steal(&b, &t), 0);
        ck_assert_uint_eq(strlen(t), 5000);
        ck_assert(startswith(t, "0000,0001,"));
        ck_assert(endswith(t, "0998,0999,"));
        ck_assert_int_eq(strbuf_steal(&b, &e), 0);
        ck_assert_str_eq(e, "");
}
END_TEST

/* Lines on stderr carry "<N>" when stderr is the journal's stream ($JOURNAL_STREAM names it), so
 * that journald keeps their priority; on anything else they are the bare message. */
START_TEST(test_log_stderr_priority) {
        char path[] = "/tmp/hardend-log-XXXXXX", buf[256] = "", env[64];
        int fd = mkstemp(path), saved = dup(STDERR_FILENO);
        struct stat st;
        FILE *f;

        ck_assert_int_ge(fd, 0);
        ck_assert_int_ge(saved, 0);
        ck_assert_int_eq(fstat(fd, &st), 0);
        ck_assert_int_ge(dup2(fd, STDERR_FILENO), 0);
        snprintf(env, sizeof(env), "%llu:%llu", (unsigned long long) st.st_dev, (unsigned long long) st.st_ino);
        ck_assert_int_eq(setenv("JOURNAL_STREAM", env, 1), 0);
        log_setup(LOG_TARGET_STDERR);
        log_info("stream info");
        log_error("stream error");
        snprintf(env, sizeof(env), "%llu:%llu", (unsigned long long) st.st_dev, (unsigned long long) st.st_ino + 1);
        ck_assert_int_eq(setenv("JOURNAL_STREAM", env, 1), 0);
        log_setup(LOG_TARGET_AUTO);
        ck_assert_int_eq(log_get_target(), LOG_TARGET_STDERR);
        log_warning("another stream");
        ck_assert_int_eq(unsetenv("JOURNAL_STREAM"), 0);
        log_setup(LOG_TARGET_AUTO);
        ck_assert_int_eq(log_get_target(), LOG_TARGET_STDERR);
        log_info("plain");
        ck_assert_int_ge(dup2(saved, STDERR_FILENO), 0);
        f = fdopen(fd, "r");
        ck_assert_ptr_nonnull(f);
        rewind(f);
        ck_assert_uint_gt(fread(buf, 1, sizeof(buf) - 1, f), 0);
        ck_assert_str_eq(buf, "<6>stream info\n<3>stream error\nanother stream\nplain\n");
        fclose(f);
        close(saved);
        unlink(path);
}
END_TEST

TEST_MAIN("core", tcase_add_test(tc, test_monotonic); tcase_add_test(tc, test_clocks);
          tcase_add_test(tc, test_array_grow_one); tcase_add_test(tc, test_array_grow_capacity);
          tcase_add_test(tc, test_string_table); tcase_add_test(tc, test_strbuf);
          tcase_add_test(tc, test_log_stderr_priority))
