/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <libiptc/libip6tc.h>
#include <libiptc/libiptc.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "macro.h"
#include "sys/fileio.h"
#include "sys/nfsnap.h"

/* IPv4 and IPv6 share the numbers and the header layouts of these calls; the entries differ, but
 * they are carried as bytes. The ipt_* structs serve both. */
_Static_assert(IPT_SO_GET_INFO == IP6T_SO_GET_INFO, "GET_INFO");
_Static_assert(IPT_SO_GET_ENTRIES == IP6T_SO_GET_ENTRIES, "GET_ENTRIES");
_Static_assert(IPT_SO_SET_REPLACE == IP6T_SO_SET_REPLACE, "SET_REPLACE");
_Static_assert(sizeof(struct ipt_getinfo) == sizeof(struct ip6t_getinfo), "getinfo");
_Static_assert(sizeof(struct ipt_get_entries) == sizeof(struct ip6t_get_entries), "get_entries");
_Static_assert(sizeof(struct ipt_replace) == sizeof(struct ip6t_replace), "replace");
_Static_assert(offsetof(struct ipt_replace, counters) == offsetof(struct ip6t_replace, counters), "counters");
_Static_assert(offsetof(struct ipt_replace, entries) == offsetof(struct ip6t_replace, entries), "entries");

#define NFSNAP_MAGIC 0x4e465331u /* "NFS1" */
#define NFSNAP_MAX   (64u * 1024 * 1024)

/* What the blob starts with; the kernel's entries follow. */
typedef struct NfSnapHeader {
        uint32_t magic;
        uint32_t family;
        struct ipt_getinfo info;
} NfSnapHeader;

static int level_for(int family) {
        return family == AF_INET ? IPPROTO_IP : family == AF_INET6 ? IPPROTO_IPV6 : -EAFNOSUPPORT;
}

static int open_socket(int family) {
        int fd = socket(family, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);

        return fd < 0 ? -errno : fd;
}

static int get_info(int fd, int level, const char *table, struct ipt_getinfo *ret) {
        struct ipt_getinfo info = {};
        socklen_t len = sizeof(info);

        if (strlen(table) >= sizeof(info.name))
                return -EINVAL;
        strncpy(info.name, table, sizeof(info.name) - 1);
        if (getsockopt(fd, level, IPT_SO_GET_INFO, &info, &len) < 0)
                return -errno;
        *ret = info;
        return 0;
}

int nf_table_present(int family, const char *table) {
        _cleanup_free_ char *text = NULL;
        const char *names = family == AF_INET ? "/proc/net/ip_tables_names" : "/proc/net/ip6_tables_names";
        int r;

        if (level_for(family) < 0)
                return -EAFNOSUPPORT;
        r = read_file_at_root("/", names, false, 64 * 1024, &text, NULL);
        if (r == -ENOENT)
                return 0; /* the x_tables module is not even loaded */
        if (r < 0)
                return r;
        for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
                if (streq(line, table))
                        return 1;
        return 0;
}

int nf_xtables_available(int family, char **ret_why) {
        static const char *const lists[] = { "modules.builtin", "modules.dep" };
        const char *names = family == AF_INET ? "/proc/net/ip_tables_names" : "/proc/net/ip6_tables_names";
        const char *kmod = family == AF_INET ? "/ip_tables.ko" : "/ip6_tables.ko";
        struct utsname u;
        int r;

        if (level_for(family) < 0)
                return -EAFNOSUPPORT;
        if (access(names, F_OK) >= 0)
                return 1;
        if (errno != ENOENT)
                return -errno;
        if (uname(&u) < 0)
                return -errno;
        for (size_t i = 0; i < ELEMENTSOF(lists); i++) {
                _cleanup_free_ char *path = NULL, *text = NULL;

                if (asprintf(&path, "/lib/modules/%s/%s", u.release, lists[i]) < 0)
                        return -ENOMEM;
                r = read_file_at_root("/", path, false, 64u * 1024 * 1024, &text, NULL);
                if (r == -ENOENT)
                        continue;
                if (r < 0)
                        return r;
                if (strstr(text, kmod))
                        return 1;
        }
        if (ret_why &&
            asprintf(ret_why, "the kernel %s has no legacy x_tables (%s is not loaded nor among its modules)",
                     u.release, kmod + 1) < 0)
                return -ENOMEM;
        return 0;
}

int nf_table_save(int family, const char *table, void **ret, size_t *ret_size) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ struct ipt_get_entries *entries = NULL;
        NfSnapHeader h = { .magic = NFSNAP_MAGIC, .family = (uint32_t) family };
        int level = level_for(family), r;
        socklen_t len;
        char *blob;

        if (level < 0)
                return level;
        r = nf_table_present(family, table);
        if (r < 0)
                return r;
        if (r == 0)
                return -ENOENT;
        fd = open_socket(family);
        if (fd < 0)
                return fd;
        r = get_info(fd, level, table, &h.info);
        if (r < 0)
                return r;
        if (h.info.size > NFSNAP_MAX)
                return -EFBIG;
        len = (socklen_t) (sizeof(*entries) + h.info.size);
        entries = calloc(1, len);
        if (!entries)
                return -ENOMEM;
        memcpy(entries->name, h.info.name, sizeof(entries->name));
        entries->size = h.info.size;
        if (getsockopt(fd, level, IPT_SO_GET_ENTRIES, entries, &len) < 0)
                return errno == EAGAIN ? -EAGAIN : -errno; /* changed between the two calls */
        blob = malloc(sizeof(h) + h.info.size);
        if (!blob)
                return -ENOMEM;
        memcpy(blob, &h, sizeof(h));
        memcpy(blob + sizeof(h), entries->entrytable, h.info.size);
        *ret = blob;
        *ret_size = sizeof(h) + h.info.size;
        return 0;
}

int nf_table_restore(int family, const char *table, const void *blob, size_t size) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ struct ipt_replace *repl = NULL;
        _cleanup_free_ struct xt_counters *counters = NULL;
        struct ipt_getinfo cur;
        NfSnapHeader h;
        int level = level_for(family), r;

        if (level < 0)
                return level;
        if (size < sizeof(h))
                return -EBADMSG;
        memcpy(&h, blob, sizeof(h));
        if (h.magic != NFSNAP_MAGIC || h.family != (uint32_t) family || h.info.size != size - sizeof(h) ||
            !streq(h.info.name, table) || h.info.num_entries == 0)
                return -EBADMSG;
        fd = open_socket(family);
        if (fd < 0)
                return fd;
        /* the kernel hands back the old counters: it wants their number, the current one */
        r = get_info(fd, level, table, &cur);
        if (r < 0)
                return r;
        counters = calloc(cur.num_entries ?: 1, sizeof(struct xt_counters));
        repl = calloc(1, sizeof(*repl) + h.info.size);
        if (!counters || !repl)
                return -ENOMEM;
        memcpy(repl->name, h.info.name, sizeof(repl->name));
        repl->valid_hooks = h.info.valid_hooks;
        repl->num_entries = h.info.num_entries;
        repl->size = h.info.size;
        memcpy(repl->hook_entry, h.info.hook_entry, sizeof(repl->hook_entry));
        memcpy(repl->underflow, h.info.underflow, sizeof(repl->underflow));
        repl->num_counters = cur.num_entries;
        repl->counters = counters;
        memcpy(repl->entries, (const char *) blob + sizeof(h), h.info.size);
        if (setsockopt(fd, level, IPT_SO_SET_REPLACE, repl, (socklen_t) (sizeof(*repl) + h.info.size)) < 0)
                return -errno;
        return 0;
}

/* The same walk for both families: libiptc and libip6tc have the same calls under two prefixes. */
#define DEFINE_RESET(name, P)                                                           \
        static int name(const char *table) {                                            \
                static const xt_chainlabel accept = "ACCEPT";                           \
                struct xtc_handle *h = P##_init(table);                                 \
                char **users = NULL;                                                    \
                size_t n = 0;                                                           \
                int r = 0;                                                              \
                                                                                        \
                if (!h)                                                                 \
                        return negative_errno();                                        \
                for (const char *ch = P##_first_chain(h); ch; ch = P##_next_chain(h)) { \
                        if (!P##_flush_entries(ch, h)) {                                \
                                r = negative_errno();                                   \
                                goto finish;                                            \
                        }                                                               \
                        if (P##_builtin(ch, h)) {                                       \
                                if (!P##_set_policy(ch, accept, NULL, h)) {             \
                                        r = negative_errno();                           \
                                        goto finish;                                    \
                                }                                                       \
                                continue;                                               \
                        }                                                               \
                        char **u = realloc(users, (n + 1) * sizeof(char *));            \
                        if (!u || !(u[n] = strdup(ch))) {                               \
                                if (u)                                                  \
                                        users = u;                                      \
                                r = -ENOMEM;                                            \
                                goto finish;                                            \
                        }                                                               \
                        users = u;                                                      \
                        n++;                                                            \
                }                                                                       \
                for (size_t i = 0; i < n; i++)                                          \
                        if (!P##_delete_chain(users[i], h)) {                           \
                                r = negative_errno();                                   \
                                goto finish;                                            \
                        }                                                               \
                if (!P##_commit(h))                                                     \
                        r = negative_errno();                                           \
        finish:                                                                         \
                for (size_t i = 0; i < n; i++)                                          \
                        free(users[i]);                                                 \
                free(users);                                                            \
                P##_free(h);                                                            \
                return r;                                                               \
        }

DEFINE_RESET(reset_ipv4, iptc)
DEFINE_RESET(reset_ipv6, ip6tc)

int nf_table_reset(int family, const char *table) {
        int r = nf_table_present(family, table);

        if (r <= 0)
                return r;
        return family == AF_INET ? reset_ipv4(table) : reset_ipv6(table);
}
