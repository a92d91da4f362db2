/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "strv.h"
#include "sys/fileio.h"
#include "sys/netif.h"

bool netif_is_guest_bridge(const char *name) {
        static const char *const prefixes[] = { "br-", "podman", "cni", "virbr", "lxdbr" };

        if (streq(name, "docker0"))
                return true;
        for (size_t i = 0; i < ELEMENTSOF(prefixes); i++)
                if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0)
                        return true;
        return false;
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The interfaces of the caller's network namespace (if_nameindex() asks the kernel over netlink;
 * /sys/class/net would show the namespace sysfs was mounted from). */
int netif_guest_bridges(char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        struct if_nameindex *ifs;
        int r = 0;

        l = calloc(1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        ifs = if_nameindex();
        if (!ifs)
                return -errno;
        for (struct if_nameindex *i = ifs; i->if_index != 0; i++) {
                if (!netif_is_guest_bridge(i->if_name))
                        continue;
                r = strv_extend(&l, i->if_name);
                if (r < 0)
                        break;
        }
        if_freenameindex(ifs);
        if (r < 0)
                return r;
        qsort(l, strv_length(l), sizeof(char *), cmp_str);
        *ret = TAKE_PTR(l);
        return 0;
}

int netif_ipv4_forwarding(void) {
        _cleanup_free_ char *text = NULL;
        int r;

        r = read_file_at_root("/", "/proc/sys/net/ipv4/ip_forward", false, 64, &text, NULL);
        if (r < 0)
                return r;
        if (text[0] == '1')
                return 1;
        return text[0] == '0' ? 0 : -EINVAL;
}
