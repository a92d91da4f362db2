/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "array.h"
#include "listeners.h"

const ListenerTable listener_tables[4] = {
        { "tcp", IPPROTO_TCP, AF_INET },
        { "tcp6", IPPROTO_TCP, AF_INET6 },
        { "udp", IPPROTO_UDP, AF_INET },
        { "udp6", IPPROTO_UDP, AF_INET6 },
};

void listener_list_done(ListenerList *l) {
        free(l->items);
        *l = (ListenerList){};
}

/* A token of a line: [p, p + n). */
typedef struct Token {
        const char *p;
        size_t n;
} Token;

#define LINE_TOKENS 10 /* sl, local, remote, st, queues, timer, retrnsmt, uid, timeout, inode */

static size_t tokenize(const char *line, Token *t, size_t max) {
        size_t n = 0;
        const char *s = line;

        for (;;) {
                while (*s == ' ' || *s == '\t')
                        s++;
                if (!*s || *s == '\n' || n == max)
                        return n;
                t[n].p = s;
                while (*s && *s != ' ' && *s != '\t' && *s != '\n')
                        s++;
                t[n].n = (size_t) (s - t[n].p);
                n++;
        }
}

static int hex_digit(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -EINVAL;
}

/* Exactly n (1-8) hex digits at s. */
static int parse_hex32(const char *s, size_t n, uint32_t *ret) {
        uint32_t v = 0;

        if (n == 0 || n > 8)
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                int d = hex_digit(s[i]);

                if (d < 0)
                        return d;
                v = v << 4 | (uint32_t) d;
        }
        *ret = v;
        return 0;
}

static int parse_dec64(const Token *t, uint64_t *ret) {
        uint64_t v = 0;

        if (t->n == 0)
                return -EINVAL;
        for (size_t i = 0; i < t->n; i++) {
                unsigned d;

                if (t->p[i] < '0' || t->p[i] > '9')
                        return -EINVAL;
                d = (unsigned) (t->p[i] - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return -ERANGE;
                v = v * 10 + d;
        }
        *ret = v;
        return 0;
}

/* "HEX:HEX" with exactly a and b digits. */
static int parse_hex_pair(const Token *t, size_t a, size_t b) {
        uint32_t x;

        if (t->n != a + 1 + b || t->p[a] != ':')
                return -EINVAL;
        if (parse_hex32(t->p, a, &x) < 0 || parse_hex32(t->p + a + 1, b, &x) < 0)
                return -EINVAL;
        return 0;
}

/* "0100007F:0035" or 32 hex digits and a port. The kernel prints each 32-bit word of the address
 * (kept in network order in memory) as a host-order number, so the parsed word goes back into
 * memory unchanged. */
static int parse_address(const Token *t, int family, Listener *l) {
        size_t words = family == AF_INET ? 1 : 4, digits = words * 8;
        uint32_t port;

        if (t->n != digits + 1 + 4 || t->p[digits] != ':')
                return -EINVAL;
        for (size_t i = 0; i < words; i++) {
                uint32_t w;

                if (parse_hex32(t->p + i * 8, 8, &w) < 0)
                        return -EINVAL;
                if (family == AF_INET)
                        l->addr.in.s_addr = w;
                else
                        memcpy(&l->addr.in6.s6_addr[i * 4], &w, sizeof(w));
        }
        if (parse_hex32(t->p + digits + 1, 4, &port) < 0)
                return -EINVAL;
        l->port = (uint16_t) port;
        return 0;
}

int listener_parse_line(const char *line, int proto, int family, Listener *ret) {
        Token t[LINE_TOKENS];
        Listener l = { .proto = proto, .family = family }, remote = { .family = family };
        uint64_t x;
        uint32_t st;

        if (!line || (proto != IPPROTO_TCP && proto != IPPROTO_UDP) || (family != AF_INET && family != AF_INET6))
                return -EINVAL;
        if (tokenize(line, t, LINE_TOKENS) < LINE_TOKENS)
                return -EINVAL;

        /* "12:" */
        if (t[0].n < 2 || t[0].p[t[0].n - 1] != ':')
                return -EINVAL;
        if (parse_dec64(&(Token){ t[0].p, t[0].n - 1 }, &x) < 0)
                return -EINVAL;

        if (parse_address(&t[1], family, &l) < 0 || parse_address(&t[2], family, &remote) < 0)
                return -EINVAL;
        if (t[3].n != 2 || parse_hex32(t[3].p, 2, &st) < 0 || st == 0 || st > SOCK_STATE_MAX)
                return -EINVAL;
        l.state = st;
        if (parse_hex_pair(&t[4], 8, 8) < 0 || parse_hex_pair(&t[5], 2, 8) < 0)
                return -EINVAL;
        if (t[6].n != 8 || parse_hex32(t[6].p, 8, &st) < 0)
                return -EINVAL;
        if (parse_dec64(&t[7], &x) < 0 || x >= (uint64_t) (uid_t) -1)
                return -EINVAL;
        l.uid = (uid_t) x;
        if (parse_dec64(&t[8], &x) < 0)
                return -EINVAL;
        if (parse_dec64(&t[9], &l.inode) < 0)
                return -EINVAL;

        *ret = l;
        return 0;
}

bool listener_is_listening(const Listener *l) {
        if (l->proto == IPPROTO_TCP)
                return l->state == SOCK_STATE_LISTEN;
        /* udp sockets are in the table once bound (explicitly, or implicitly by a send); only a
         * connect()ed one is ESTABLISHED and deaf to everyone but its peer */
        return l->proto == IPPROTO_UDP && l->state == SOCK_STATE_CLOSE && l->port != 0;
}

bool listener_is_loopback(const Listener *l) {
        if (l->family == AF_INET)
                return (ntohl(l->addr.in.s_addr) >> 24) == 127;
        if (l->family == AF_INET6)
                return IN6_IS_ADDR_LOOPBACK(&l->addr.in6) ||
                       (IN6_IS_ADDR_V4MAPPED(&l->addr.in6) && l->addr.in6.s6_addr[12] == 127);
        return false;
}

static bool is_header(const char *line) {
        Token t;

        return tokenize(line, &t, 1) == 1 && t.n == 2 && memcmp(t.p, "sl", 2) == 0;
}

static bool is_blank(const char *line) {
        Token t;

        return tokenize(line, &t, 1) == 0;
}

static int list_add(ListenerList *list, const Listener *l) {
        if (ARRAY_GROW_ONE(list->items, list->n) < 0)
                return -ENOMEM;
        list->items[list->n++] = *l;
        return 0;
}

/* One line: appends it when it is a listener; counts it when it is malformed. */
static int parse_and_add(const char *line, int proto, int family, ListenerList *list, unsigned *n_bad) {
        Listener l;

        if (is_blank(line) || is_header(line))
                return 0;
        if (listener_parse_line(line, proto, family, &l) < 0) {
                (*n_bad)++;
                return 0;
        }
        if (!listener_is_listening(&l))
                return 0;
        return list_add(list, &l);
}

int listeners_parse(const char *text, int proto, int family, ListenerList *list, unsigned *ret_n_bad) {
        unsigned n_bad = 0;

        for (const char *s = text; s && *s;) {
                const char *nl = strchr(s, '\n');
                size_t n = nl ? (size_t) (nl - s) : strlen(s);
                _cleanup_free_ char *line = strndup(s, n);
                int r;

                if (!line)
                        return -ENOMEM;
                r = parse_and_add(line, proto, family, list, &n_bad);
                if (r < 0)
                        return r;
                s = nl ? nl + 1 : s + n;
        }
        if (ret_n_bad)
                *ret_n_bad = n_bad;
        return 0;
}

/* The same table through the kernel's sock_diag netlink interface: the kernel answers for this
 * network namespace only, where reading /proc/net/tcp walks every socket of the machine (a few
 * milliseconds on a busy host, each time). -errno when netlink cannot answer: then /proc is read. */
static int read_table_diag(const ListenerTable *t, ListenerList *list) {
        struct {
                struct nlmsghdr nlh;
                struct inet_diag_req_v2 req;
        } rq = {
                .nlh = { .nlmsg_len = sizeof(rq),
                         .nlmsg_type = SOCK_DIAG_BY_FAMILY,
                         .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
                .req = { .sdiag_family = (uint8_t) t->family,
                         .sdiag_protocol = (uint8_t) t->proto,
                         /* tcp: LISTEN only; udp: every state (bound and not connected is decided below) */
                         .idiag_states = t->proto == IPPROTO_TCP ? 1u << SOCK_STATE_LISTEN : ~0u },
        };
        struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
        _cleanup_close_ int fd = -EBADF;
        _Alignas(struct nlmsghdr) char buf[16384];

        fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
        if (fd < 0)
                return -errno;
        if (sendto(fd, &rq, sizeof(rq), 0, (struct sockaddr *) &kernel, sizeof(kernel)) < 0)
                return -errno;
        for (;;) {
                ssize_t n = recv(fd, buf, sizeof(buf), 0);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        return -EIO;
                for (struct nlmsghdr *h = (struct nlmsghdr *) buf; NLMSG_OK(h, (size_t) n); h = NLMSG_NEXT(h, n)) {
                        const struct inet_diag_msg *m = NLMSG_DATA(h);
                        Listener l = { .proto = t->proto, .family = t->family };
                        int r;

                        if (h->nlmsg_type == NLMSG_DONE)
                                return 0;
                        if (h->nlmsg_type == NLMSG_ERROR) {
                                const struct nlmsgerr *e = NLMSG_DATA(h);

                                return e->error < 0 ? e->error : -EIO;
                        }
                        if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
                                return -EBADMSG;
                        l.port = ntohs(m->id.idiag_sport);
                        l.state = m->idiag_state;
                        l.uid = m->idiag_uid;
                        l.inode = m->idiag_inode;
                        if (t->family == AF_INET)
                                memcpy(&l.addr.in, m->id.idiag_src, sizeof(l.addr.in));
                        else
                                memcpy(&l.addr.in6, m->id.idiag_src, sizeof(l.addr.in6));
                        if (!listener_is_listening(&l))
                                continue;
                        r = list_add(list, &l);
                        if (r < 0)
                                return r;
                }
        }
}

int listeners_read_table(const char *proc, const ListenerTable *t, ListenerList *list, unsigned *ret_n_bad) {
        _cleanup_free_ char *path = NULL, *line = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        size_t allocated = 0, n_before = list->n;
        unsigned n_bad = 0;

        if (asprintf(&path, "%s/net/%s", proc, t->name) < 0)
                return -ENOMEM;
        if (streq(proc, "/proc")) {
                int r;

                /* the table's presence still says whether the family is there (IPv6 disabled) */
                if (access(path, F_OK) < 0)
                        return -errno;
                r = read_table_diag(t, list);
                if (r == -ENOMEM || r >= 0) {
                        if (r >= 0 && ret_n_bad)
                                *ret_n_bad = 0;
                        return r;
                }
                list->n = n_before; /* what a failed dump appended is not trusted */
        }
        /* /proc/net follows the reader's network namespace */
        f = fopen(path, "re");
        if (!f)
                return -errno;
        /* streamed: a busy server's table is larger than we would want to hold */
        for (;;) {
                ssize_t n;
                int r;

                errno = 0;
                n = getline(&line, &allocated, f);
                if (n < 0) {
                        if (errno != 0)
                                return -errno;
                        break;
                }
                r = parse_and_add(line, t->proto, t->family, list, &n_bad);
                if (r < 0)
                        return r;
        }
        if (ret_n_bad)
                *ret_n_bad = n_bad;
        return 0;
}

int listener_format_address(const Listener *l, char **ret) {
        char buf[INET6_ADDRSTRLEN];
        int r;

        if (!inet_ntop(l->family, &l->addr, buf, sizeof(buf)))
                return negative_errno();
        if (l->family == AF_INET6)
                r = asprintf(ret, "[%s]:%u", buf, (unsigned) l->port);
        else
                r = asprintf(ret, "%s:%u", buf, (unsigned) l->port);
        return r < 0 ? -ENOMEM : 0;
}

int listener_format(const Listener *l, char **ret) {
        _cleanup_free_ char *a = NULL;
        int r;

        r = listener_format_address(l, &a);
        if (r < 0)
                return r;
        if (asprintf(ret, "%s %s", l->proto == IPPROTO_TCP ? "tcp" : "udp", a) < 0)
                return -ENOMEM;
        return 0;
}

void socket_owners_done(SocketOwners *o) {
        for (size_t i = 0; i < o->n; i++)
                free(o->items[i].comm);
        free(o->items);
        *o = (SocketOwners){};
}

static bool parse_pid(const char *s, pid_t *ret) {
        uint64_t v;

        if (parse_dec64(&(Token){ s, strlen(s) }, &v) < 0 || v == 0 || v > INT32_MAX)
                return false;
        *ret = (pid_t) v;
        return true;
}

/* "socket:[12345]" */
static bool parse_socket_link(const char *s, uint64_t *ret) {
        const char *p = startswith(s, "socket:[");
        size_t n;

        if (!p)
                return false;
        n = strlen(p);
        if (n < 2 || p[n - 1] != ']')
                return false;
        return parse_dec64(&(Token){ p, n - 1 }, ret) >= 0;
}

static int inode_cmp(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;

        return x < y ? -1 : x > y;
}

static uint64_t *memdup_sorted(const uint64_t *l, size_t n) {
        uint64_t *c = malloc(n * sizeof(uint64_t));

        if (!c)
                return NULL;
        memcpy(c, l, n * sizeof(uint64_t));
        qsort(c, n, sizeof(uint64_t), inode_cmp);
        return c;
}

/* inodes is sorted */
static bool inode_wanted(const uint64_t *inodes, size_t n, uint64_t inode) {
        return n > 0 && bsearch(&inode, inodes, n, sizeof(uint64_t), inode_cmp);
}

/* PROC/PID/comm, with anything unprintable replaced, or "?" when it is gone. */
static char *read_comm(int pid_fd) {
        char buf[64] = {};
        _cleanup_close_ int fd = openat(pid_fd, "comm", O_RDONLY | O_CLOEXEC | O_NOCTTY);
        ssize_t n;

        if (fd < 0)
                return strdup("?");
        n = read(fd, buf, sizeof(buf) - 1);
        if (n <= 0)
                return strdup("?");
        buf[n] = 0;
        buf[strcspn(buf, "\n")] = 0;
        for (char *c = buf; *c; c++)
                if (!isprint((unsigned char) *c))
                        *c = '?';
        return strdup(buf[0] ? buf : "?");
}

static int owners_add(SocketOwners *o, uint64_t inode, pid_t pid, int pid_fd) {
        char *comm;

        for (size_t i = 0; i < o->n; i++)
                if (o->items[i].inode == inode && o->items[i].pid == pid)
                        return 0; /* the same socket on two fds of one process */
        comm = read_comm(pid_fd);
        if (!comm)
                return -ENOMEM;
        if (ARRAY_GROW_ONE(o->items, o->n) < 0) {
                free(comm);
                return -ENOMEM;
        }
        o->items[o->n++] = (SocketOwner){ .inode = inode, .pid = pid, .comm = comm };
        return 0;
}

static int scan_process(int proc_fd, pid_t pid, const char *name, const uint64_t *inodes, size_t n, SocketOwners *o) {
        _cleanup_close_ int pid_fd = -EBADF, fd_fd = -EBADF;
        DIR *d;
        struct dirent *de;
        int r = 0;

        pid_fd = openat(proc_fd, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (pid_fd < 0)
                return 0; /* gone */
        fd_fd = openat(pid_fd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd_fd < 0)
                return 0; /* gone, a zombie, or not ours to read */
        d = fdopendir(fd_fd);
        if (!d)
                return -errno;
        TAKE_FD(fd_fd);
        while ((de = readdir(d))) {
                char target[64];
                ssize_t l;
                uint64_t inode;

                if (de->d_name[0] == '.')
                        continue;
                l = readlinkat(dirfd(d), de->d_name, target, sizeof(target) - 1);
                if (l < 0)
                        continue; /* closed meanwhile */
                target[l] = 0;
                if (!parse_socket_link(target, &inode) || !inode_wanted(inodes, n, inode))
                        continue;
                r = owners_add(o, inode, pid, pid_fd);
                if (r < 0)
                        break;
        }
        closedir(d);
        return r;
}

int socket_owners_read(const char *proc, const uint64_t *wanted, size_t n, SocketOwners *ret) {
        SocketOwners o = {};
        _cleanup_free_ uint64_t *inodes = NULL;
        _cleanup_close_ int proc_fd = -EBADF;
        DIR *d;
        struct dirent *de;
        int r = 0;

        proc_fd = open(proc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (proc_fd < 0)
                return -errno;
        if (n == 0) {
                *ret = o;
                return 0;
        }
        inodes = memdup_sorted(wanted, n);
        if (!inodes)
                return -ENOMEM;
        d = fdopendir(proc_fd);
        if (!d)
                return -errno;
        TAKE_FD(proc_fd);
        while ((de = readdir(d))) {
                pid_t pid;

                if (!parse_pid(de->d_name, &pid))
                        continue;
                r = scan_process(dirfd(d), pid, de->d_name, inodes, n, &o);
                if (r < 0)
                        break;
        }
        closedir(d);
        if (r < 0) {
                socket_owners_done(&o);
                return r;
        }
        *ret = o;
        return 0;
}

static int owner_cmp(const void *a, const void *b) {
        const SocketOwner *x = *(const SocketOwner *const *) a, *y = *(const SocketOwner *const *) b;

        return x->pid < y->pid ? -1 : x->pid > y->pid;
}

int socket_owners_format(const SocketOwners *o, uint64_t inode, char **ret) {
        _cleanup_free_ const SocketOwner **mine = NULL;
        _cleanup_free_ char *s = NULL;
        size_t n = 0;

        mine = calloc(o->n ?: 1, sizeof(SocketOwner *));
        if (!mine)
                return -ENOMEM;
        for (size_t i = 0; i < o->n; i++)
                if (o->items[i].inode == inode)
                        mine[n++] = &o->items[i];
        if (n == 0)
                return -ENOENT;
        qsort(mine, n, sizeof(SocketOwner *), owner_cmp);
        for (size_t i = 0; i < n; i++) {
                char *t;
                int k = asprintf(&t, "%s%s%s[%d]", strempty(s), i > 0 ? "," : "", mine[i]->comm, (int) mine[i]->pid);

                if (k < 0)
                        return -ENOMEM;
                free(s);
                s = t;
        }
        *ret = TAKE_PTR(s);
        return 0;
}
