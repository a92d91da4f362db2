/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The network interfaces and IPv4 forwarding of the current network namespace, as sysfs and
 * procfs show them. */

#include <stdbool.h>

/* Whether name is one that container and VM managers give the bridges they forward through:
 * docker0, br-* (Docker networks), podman*, cni*, virbr* (libvirt), lxdbr* (LXD). */
bool netif_is_guest_bridge(const char *name);

/* The interfaces of /sys/class/net for which netif_is_guest_bridge() holds, sorted; an empty list
 * when there are none. */
int netif_guest_bridges(char ***ret);

/* /proc/sys/net/ipv4/ip_forward: 1 on, 0 off, -errno. */
int netif_ipv4_forwarding(void);
