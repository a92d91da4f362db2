/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The kernel's own copy of a legacy table and nothing else: IPT_SO_GET_INFO, then
 * IPT_SO_GET_ENTRIES. The floor any reader of the table (iptables-save, libiptc, hardend) pays.
 * Usage: getentries [4|6] */
#include <netinet/in.h> /* before the kernel headers, as libiptc does */
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/netfilter_ipv6/ip6_tables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
        int v6 = argc > 1 && strcmp(argv[1], "6") == 0;
        int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_RAW, IPPROTO_RAW);
        struct ipt_getinfo info = { .name = "filter" };
        socklen_t len = sizeof(info);
        struct ipt_get_entries *e;

        /* ipt_getinfo/ip6t_getinfo and the get_entries headers have the same layout */
        if (fd < 0 ||
            getsockopt(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IP6T_SO_GET_INFO : IPT_SO_GET_INFO, &info, &len) < 0) {
                perror("getsockopt(SO_GET_INFO)");
                return 1;
        }
        len = sizeof(*e) + info.size;
        e = calloc(1, len);
        if (!e)
                return 1;
        (void) snprintf(e->name, sizeof(e->name), "%s", "filter");
        e->size = info.size;
        if (getsockopt(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IP6T_SO_GET_ENTRIES : IPT_SO_GET_ENTRIES, e, &len) <
            0) {
                perror("getsockopt(SO_GET_ENTRIES)");
                return 1;
        }
        printf("%u entries, %u bytes\n", info.num_entries, info.size);
        free(e);
        close(fd);
        return 0;
}
