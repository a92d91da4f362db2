/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "macro.h"
#include "strv.h"
#include "sys/fileio.h"
#include "sys/nftables.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

static const char *nfproto_name(int f) {
        switch (f) {
        case NFPROTO_INET:
                return "inet";
        case NFPROTO_IPV4:
                return "ip";
        case NFPROTO_ARP:
                return "arp";
        case NFPROTO_NETDEV:
                return "netdev";
        case NFPROTO_BRIDGE:
                return "bridge";
        case NFPROTO_IPV6:
                return "ip6";
        }
        return "?";
}

/* One NFT_MSG_NEWTABLE message of the dump: its family and NFTA_TABLE_NAME. */
static int parse_table(const struct nlmsghdr *nh, char ***l) {
        const struct nfgenmsg *g = NLMSG_DATA(nh);
        size_t off = NLMSG_ALIGN(sizeof(*g)), len = nh->nlmsg_len - NLMSG_HDRLEN;

        if (len < sizeof(*g))
                return 0;
        while (off + sizeof(struct nlattr) <= len) {
                const struct nlattr *a = (const void *) ((const uint8_t *) g + off);

                if (a->nla_len < sizeof(*a) || off + a->nla_len > len)
                        break;
                if ((a->nla_type & NLA_TYPE_MASK) == NFTA_TABLE_NAME)
                        return strv_extendf(l, "%s %.*s", nfproto_name(g->nfgen_family),
                                            (int) strnlen((const char *) (a + 1), a->nla_len - sizeof(*a)),
                                            (const char *) (a + 1));
                off += NLA_ALIGN(a->nla_len);
        }
        return 0;
}

/* Sends one nfnetlink request of type NFT_MSG_type and hands every answer message to each() until
 * the kernel says it is done (NLMSG_DONE, or the acknowledgement of a request). */
static int nft_talk(uint16_t type, uint16_t flags, int (*each)(const struct nlmsghdr *nh, void *userdata),
                    void *userdata) {
        struct {
                struct nlmsghdr nh;
                struct nfgenmsg g;
        } req = {
                .nh = { .nlmsg_len = sizeof(req),
                        .nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | type,
                        .nlmsg_flags = NLM_F_REQUEST | flags,
                        .nlmsg_seq = 1 },
                .g = { .nfgen_family = NFPROTO_UNSPEC, .version = NFNETLINK_V0 },
        };
        _cleanup_free_ uint8_t *buf = NULL;
        _cleanup_close_ int fd = -EBADF;
        const size_t bufsize = 32768;
        int r;

        fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
        if (fd < 0)
                return -errno;
        if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &(struct timeval){ .tv_sec = 2 }, sizeof(struct timeval)) < 0)
                return -errno;
        if (send(fd, &req, sizeof(req), 0) < 0)
                return -errno;
        buf = malloc(bufsize);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t n = recv(fd, buf, bufsize, 0);
                int len;

                if (n < 0)
                        return -errno;
                if (n == 0)
                        return -EPROTO;
                len = (int) n;
                for (struct nlmsghdr *nh = (void *) buf; NLMSG_OK(nh, len); nh = NLMSG_NEXT(nh, len)) {
                        if (nh->nlmsg_type == NLMSG_DONE)
                                return 0;
                        if (nh->nlmsg_type == NLMSG_ERROR) {
                                const struct nlmsgerr *e = NLMSG_DATA(nh);

                                return e->error; /* 0: the acknowledgement */
                        }
                        r = each(nh, userdata);
                        if (r < 0)
                                return r;
                }
        }
}

static int add_table(const struct nlmsghdr *nh, void *userdata) {
        return parse_table(nh, userdata);
}

int nft_list_tables(char ***ret) {
        _cleanup_strv_free_ char **l = calloc(1, sizeof(char *));
        int r;

        if (!l)
                return -ENOMEM;
        r = nft_talk(NFT_MSG_GETTABLE, NLM_F_DUMP, add_table, &l);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(l);
        return 0;
}

static int read_gen(const struct nlmsghdr *nh, void *userdata) {
        const struct nfgenmsg *g = NLMSG_DATA(nh);
        size_t off = NLMSG_ALIGN(sizeof(*g)), len = nh->nlmsg_len - NLMSG_HDRLEN;
        int64_t *gen = userdata;

        if (NFNL_MSG_TYPE(nh->nlmsg_type) != NFT_MSG_NEWGEN || len < sizeof(*g))
                return 0;
        while (off + sizeof(struct nlattr) <= len) {
                const struct nlattr *a = (const void *) ((const uint8_t *) g + off);

                if (a->nla_len < sizeof(*a) || off + a->nla_len > len)
                        break;
                if ((a->nla_type & NLA_TYPE_MASK) == NFTA_GEN_ID && a->nla_len >= sizeof(*a) + sizeof(uint32_t)) {
                        uint32_t be;

                        memcpy(&be, a + 1, sizeof(be));
                        *gen = ntohl(be);
                }
                off += NLA_ALIGN(a->nla_len);
        }
        return 0;
}

/* The namespace's cookie: unlike its inode number, never reused within a boot. */
static int netns_cookie(uint64_t *ret) {
        _cleanup_close_ int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
        socklen_t len = sizeof(*ret);

        if (fd < 0)
                return -errno;
        if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, ret, &len) < 0)
                return -errno;
        return len == sizeof(*ret) ? 0 : -EPROTO;
}

int nft_ruleset_stamp(char **ret) {
        _cleanup_free_ char *boot = NULL;
        uint64_t cookie;
        int64_t gen = -1;
        int r;

        r = nft_talk(NFT_MSG_GETGEN, NLM_F_ACK, read_gen, &gen);
        if (r < 0)
                return r;
        if (gen < 0)
                return -EPROTO;
        r = netns_cookie(&cookie);
        if (r < 0)
                return r;
        r = read_text_at_root("/", false, "/proc/sys/kernel/random/boot_id", &boot);
        if (r < 0)
                return r;
        boot[strcspn(boot, "\n")] = '\0';
        if (!boot[0])
                return -EPROTO;
        return asprintf(ret, "boot %s netns %" PRIu64 " generation %" PRId64, boot, cookie, gen) < 0 ? -ENOMEM : 0;
}

int iptables_is_nft(const char *path, char **ret_target) {
        _cleanup_free_ char *p = realpath(path, NULL);
        const char *base;

        if (!p)
                return -errno;
        base = strrchr(p, '/');
        base = base ? base + 1 : p;
        if (ret_target) {
                char *t = strdup(base);

                if (!t)
                        return -ENOMEM;
                *ret_target = t;
        }
        return strstr(base, "nft") != NULL;
}
