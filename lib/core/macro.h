/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f)   __attribute__((cleanup(f)))
#define _unused_       __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _sentinel_     __attribute__((sentinel))

#define ELEMENTSOF(x)  (sizeof(x) / sizeof((x)[0]))

#define TAKE_PTR(p)                    \
        ({                             \
                typeof(p) _ptr_ = (p); \
                (p) = NULL;            \
                _ptr_;                 \
        })

#define TAKE_FD(fd)              \
        ({                       \
                int _fd_ = (fd); \
                (fd) = -EBADF;   \
                _fd_;            \
        })

static inline void freep(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline void *mfree(void *p) {
        free(p);
        return NULL;
}

static inline int safe_close(int fd) {
        if (fd >= 0) {
                int saved = errno;
                (void) close(fd);
                errno = saved;
        }
        return -EBADF;
}

static inline void closep(int *fd) {
        *fd = safe_close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)

static inline void fclosep(FILE **f) {
        if (*f)
                (void) fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(fclosep)

#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func) \
        static inline void func##p(type *p) {   \
                if (*p)                         \
                        *p = func(*p);          \
        }

static inline bool streq(const char *a, const char *b) {
        return strcmp(a, b) == 0;
}

static inline bool streq_ptr(const char *a, const char *b) {
        if (!a || !b)
                return a == b;
        return streq(a, b);
}

static inline const char *strempty(const char *s) {
        return s ?: "";
}

static inline const char *strna(const char *s) {
        return s ?: "n/a";
}

static inline bool isempty(const char *s) {
        return !s || !*s;
}

static inline const char *startswith(const char *s, const char *prefix) {
        size_t l = strlen(prefix);
        return strncmp(s, prefix, l) == 0 ? s + l : NULL;
}

static inline bool endswith(const char *s, const char *suffix) {
        size_t ls = strlen(s), lx = strlen(suffix);
        return ls >= lx && memcmp(s + ls - lx, suffix, lx) == 0;
}

/* errno as a negative value, never 0, for right after a failed call */
static inline int negative_errno(void) {
        return errno > 0 ? -errno : -EIO;
}

/* Enum names from a table name##_table indexed by the enum (a NULL entry has no name):
 *   static const char *const snap_kind_table[_SNAP_KIND_MAX] = { [SNAP_FILE] = "file", ... };
 *   DEFINE_STRING_TABLE_LOOKUP(snap_kind, SnapKind);
 * defines snap_kind_to_string() (NULL when out of range) and snap_kind_from_string() (-EINVAL,
 * i.e. _SNAP_KIND_INVALID, for an unknown name or NULL). */
#define DEFINE_STRING_TABLE_LOOKUP_TO_STRING(name, type)             \
        const char *name##_to_string(type i) {                       \
                if (i < 0 || (size_t) i >= ELEMENTSOF(name##_table)) \
                        return NULL;                                 \
                return name##_table[i];                              \
        }

#define DEFINE_STRING_TABLE_LOOKUP_FROM_STRING(name, type)                \
        type name##_from_string(const char *s) {                          \
                if (!s)                                                   \
                        return (type) (-EINVAL);                          \
                for (size_t i = 0; i < ELEMENTSOF(name##_table); i++)     \
                        if (name##_table[i] && streq(name##_table[i], s)) \
                                return (type) i;                          \
                return (type) (-EINVAL);                                  \
        }

#define DEFINE_STRING_TABLE_LOOKUP(name, type)           \
        DEFINE_STRING_TABLE_LOOKUP_TO_STRING(name, type) \
        DEFINE_STRING_TABLE_LOOKUP_FROM_STRING(name, type)
