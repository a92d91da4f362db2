/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <limits.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "macro.h"
#include "strv.h"
#include "sys/nftables.h"

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

int nft_list_tables(char ***ret) {
        struct {
                struct nlmsghdr nh;
                struct nfgenmsg g;
        } req = {
                .nh = { .nlmsg_len = sizeof(req),
                        .nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETTABLE,
                        .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
                        .nlmsg_seq = 1 },
                .g = { .nfgen_family = NFPROTO_UNSPEC, .version = NFNETLINK_V0 },
        };
        _cleanup_strv_free_ char **l = NULL;
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
        l = calloc(1, sizeof(char *));
        if (!buf || !l)
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
                        if (nh->nlmsg_type == NLMSG_DONE) {
                                *ret = TAKE_PTR(l);
                                return 0;
                        }
                        if (nh->nlmsg_type == NLMSG_ERROR) {
                                const struct nlmsgerr *e = NLMSG_DATA(nh);

                                return e->error < 0 ? e->error : -EPROTO;
                        }
                        r = parse_table(nh, &l);
                        if (r < 0)
                                return r;
                }
        }
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
