/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Listening sockets, read from /proc/net/{tcp,tcp6,udp,udp6} of the reader's network namespace,
 * and the processes that hold them, found through the socket inodes in /proc/PID/fd.
 * Every function takes the proc mount point ("/proc", or a fixture tree in tests). */

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "macro.h"

/* The kernel's socket state numbers as /proc/net/{tcp,udp} print them (include/net/tcp_states.h). */
#define SOCK_STATE_ESTABLISHED 0x01
#define SOCK_STATE_CLOSE       0x07 /* udp: not connected */
#define SOCK_STATE_LISTEN      0x0A
#define SOCK_STATE_MAX         0x0C /* TCP_NEW_SYN_RECV, the last one */

typedef struct Listener {
        int proto;  /* IPPROTO_TCP or IPPROTO_UDP */
        int family; /* AF_INET or AF_INET6 */
        union {
                struct in_addr in;
                struct in6_addr in6;
        } addr;
        uint16_t port; /* host order */
        unsigned state;
        uid_t uid;
        uint64_t inode;
} Listener;

typedef struct ListenerList {
        Listener *items;
        size_t n;
} ListenerList;

void listener_list_done(ListenerList *l);

/* Parses one table line ("  0: 0100007F:0035 00000000:0000 0A ..."). Addresses are the kernel's
 * 32-bit words printed in host order: the bytes in memory are the address in network order.
 * Returns -EINVAL for a line that is not well formed (the header line included). */
int listener_parse_line(const char *line, int proto, int family, Listener *ret);

/* A tcp socket in LISTEN, or a udp socket bound to a local port and not connected to a peer
 * (a connected udp socket takes datagrams from its peer only). */
bool listener_is_listening(const Listener *l);

/* Bound only to loopback: 127.0.0.0/8, ::1 or ::ffff:127.0.0.0/104. */
bool listener_is_loopback(const Listener *l);

/* Appends the listening sockets of one table's text to list. Lines that are not well formed are
 * skipped and counted in *ret_n_bad (may be NULL); the header line is not counted. */
int listeners_parse(const char *text, int proto, int family, ListenerList *list, unsigned *ret_n_bad);

/* "0.0.0.0:3306", "[::1]:53", "[::ffff:192.0.2.1]:80" */
int listener_format_address(const Listener *l, char **ret);
/* "tcp 0.0.0.0:3306", "udp [::]:546": the protocol, then the address (which shows the family) */
int listener_format(const Listener *l, char **ret);

/* One table of the proc tree. */
typedef struct ListenerTable {
        const char *name; /* "tcp", "tcp6", "udp", "udp6" */
        int proto;
        int family;
} ListenerTable;

extern const ListenerTable listener_tables[4];

/* Reads PROC/net/NAME and appends its listening sockets. -ENOENT when the table is missing (IPv6
 * disabled). */
int listeners_read_table(const char *proc, const ListenerTable *t, ListenerList *list, unsigned *ret_n_bad);

/* Processes holding a socket. */
typedef struct SocketOwner {
        uint64_t inode;
        pid_t pid;
        char *comm;
} SocketOwner;

typedef struct SocketOwners {
        SocketOwner *items;
        size_t n;
} SocketOwners;

void socket_owners_done(SocketOwners *o);

/* Scans PROC/[pid]/fd for the sockets in inodes (n of them) and records each process holding one,
 * with its PROC/[pid]/comm. Processes that go away or cannot be read are skipped. */
int socket_owners_read(const char *proc, const uint64_t *inodes, size_t n, SocketOwners *ret);

/* "mysqld[812]", several as "nginx[10],nginx[11]" (by pid); -ENOENT when nobody holds it. */
int socket_owners_format(const SocketOwners *o, uint64_t inode, char **ret);
