/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "firewall-sshd.h"
#include "parse-util.h"
#include "strv.h"
#include "sys/listeners.h"
#include "sys/sshd-socket.h"
#include "sys/sshd.h"

#define SSHD_BINARY "/usr/sbin/sshd" /* the one sshd_exec_find() runs on the live system */
#define SSHD_COMM   "sshd"

void fw_sshd_done(FwSshd *s) {
        for (size_t i = 0; i < s->n; i++) {
                free(s->items[i].address);
                free(s->items[i].source);
        }
        free(s->items);
        free(s->unknown);
        free(s->socket);
        *s = (FwSshd){};
}

int fw_sshd_add(FwSshd *s, uint16_t port, int family, const char *address, const char *source) {
        FwSshdPort *n;

        for (size_t i = 0; i < s->n; i++)
                if (s->items[i].port == port && s->items[i].family == family)
                        return 0;
        if (ARRAY_GROW_ONE(s->items, s->n) < 0)
                return -ENOMEM;
        n = s->items;
        n[s->n] = (FwSshdPort){ .port = port, .family = family, .address = strdup(address), .source = strdup(source) };
        if (!n[s->n].address || !n[s->n].source) {
                free(n[s->n].address);
                free(n[s->n].source);
                return -ENOMEM;
        }
        s->n++;
        return 0;
}

static bool loopback(int family, const void *addr) {
        static const struct in6_addr loop6 = IN6ADDR_LOOPBACK_INIT;

        if (family == AF_INET)
                return (ntohl(((const struct in_addr *) addr)->s_addr) >> 24) == 127;
        return memcmp(addr, &loop6, sizeof(loop6)) == 0;
}

/* "0.0.0.0:22", "[::]:22", "[2001:db8::1]:2222" as sshd -T prints a listenaddress */
static int add_listen(FwSshd *s, const char *word, const char *source) {
        _cleanup_free_ char *host = NULL;
        const char *colon;
        union {
                struct in_addr in;
                struct in6_addr in6;
        } a;
        uint16_t port;
        int family, r;

        if (word[0] == '[') {
                const char *close = strchr(word, ']');

                if (!close || close[1] != ':')
                        return -EINVAL;
                host = strndup(word + 1, (size_t) (close - word - 1));
                colon = close + 1;
                family = AF_INET6;
        } else {
                colon = strrchr(word, ':');
                if (!colon)
                        return -EINVAL;
                host = strndup(word, (size_t) (colon - word));
                family = AF_INET;
        }
        if (!host)
                return -ENOMEM;
        r = parse_port(colon + 1, &port);
        if (r < 0)
                return r;
        if (inet_pton(family, host, &a) != 1)
                return -EINVAL;
        if (loopback(family, &a))
                return 0; /* loopback is always let in */
        return fw_sshd_add(s, port, family, word, source);
}

int fw_sshd_add_dump(FwSshd *s, const char *listenaddress, const char *port, const char *source) {
        _cleanup_strv_free_ char **w = NULL;
        int r;

        if (!isempty(listenaddress)) {
                r = strv_split(listenaddress, " ", &w);
                if (r < 0)
                        return r;
                STRV_FOREACH (a, w)
                        if (**a && (r = add_listen(s, *a, source)) < 0)
                                return r;
                return 0;
        }
        if (isempty(port))
                return 0;
        r = strv_split(port, " ", &w);
        if (r < 0)
                return r;
        STRV_FOREACH (p, w) {
                _cleanup_free_ char *addr = NULL;
                uint16_t n;

                if (!**p)
                        continue;
                r = parse_port(*p, &n);
                if (r < 0)
                        return r;
                if (asprintf(&addr, "port %u", n) < 0)
                        return -ENOMEM;
                r = fw_sshd_add(s, n, AF_UNSPEC, addr, source);
                if (r < 0)
                        return r;
        }
        return 0;
}

bool fw_sshd_port_in_family(const FwSshdPort *p, int family) {
        return p->family == AF_UNSPEC || p->family == family;
}

int fw_sshd_ports(const FwSshd *s, int family, uint16_t **ret, size_t *ret_n) {
        _cleanup_free_ uint16_t *v = calloc(s->n ?: 1, sizeof(uint16_t));
        size_t n = 0;

        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < s->n; i++)
                if (fw_sshd_port_in_family(&s->items[i], family))
                        v[n++] = s->items[i].port;
        *ret = TAKE_PTR(v);
        *ret_n = n;
        return 0;
}

/* ---- sshd -T, kept while its inputs are unchanged ---- */

typedef struct FwSshdCache {
        bool valid;
        SshSignature sig;
        char *listen; /* sshd -T's listenaddress values, NULL: not printed */
        char *port;
        char *error; /* sshd -T failed: why */
} FwSshdCache;

static void cache_clear(FwSshdCache *c) {
        ssh_signature_done(&c->sig);
        free(c->listen);
        free(c->port);
        free(c->error);
        *c = (FwSshdCache){};
}

static void cache_free(void *p) {
        if (p)
                cache_clear(p);
        free(p);
}

static FwSshdCache *fw_cache(Context *c) {
        ModuleCache *m = &c->cache[MODULE_FIREWALL];

        if (!m->data) {
                m->data = calloc(1, sizeof(FwSshdCache));
                m->free = cache_free;
        }
        return m->data;
}

static int strdup_or_null(const char *s, char **ret) {
        *ret = s ? strdup(s) : NULL;
        return s && !*ret ? -ENOMEM : 0;
}

static int ask_sshd(const SshdExec *e, SshdCache *shared, FwSshdCache *n) {
        _cleanup_(sshd_dump_done) SshdDump d = {};
        _cleanup_free_ char *error = NULL;
        int r;

        /* the same question as the ssh module's (without Match blocks): asked once for both */
        r = sshd_dump_config(e, shared, SSH_MAIN_CONFIG, NULL, NULL, &d, &error);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                if (error)
                        return asprintf(&n->error, "sshd -T failed: %s", error) < 0 ? -ENOMEM : 0;
                return asprintf(&n->error, "sshd -T failed: %s", strerror(-r)) < 0 ? -ENOMEM : 0;
        }
        r = strdup_or_null(sshd_dump_get(&d, "listenaddress"), &n->listen);
        if (r >= 0)
                r = strdup_or_null(sshd_dump_get(&d, "port"), &n->port);
        return r;
}

static int probe_config(Context *c, FwSshd *s) {
        _cleanup_(sshd_exec_done) SshdExec e = {};
        _cleanup_(cache_clear) FwSshdCache fresh = {};
        FwSshdCache *cache = fw_cache(c), *use;
        bool signed_ok;
        int r;

        if (sshd_exec_find("/", true, &e) < 0)
                return 0; /* no sshd installed: nothing listens because of its configuration */
        r = sshd_signature("/", SSHD_BINARY, SSH_MAIN_CONFIG, &fresh.sig);
        if (r == -ENOMEM)
                return r;
        signed_ok = r >= 0;
        if (cache && signed_ok && cache->valid && ssh_signature_equal(&cache->sig, &fresh.sig))
                use = cache;
        else {
                /* the signature is taken before sshd runs: a change meanwhile is seen next time */
                r = ask_sshd(&e, context_sshd_cache(c), &fresh);
                if (r < 0)
                        return r;
                fresh.valid = signed_ok;
                use = &fresh;
                if (cache && signed_ok) {
                        cache_clear(cache);
                        *cache = fresh;
                        fresh = (FwSshdCache){};
                        use = cache;
                }
        }
        if (use->error)
                return asprintf(&s->unknown, "%s", use->error) < 0 ? -ENOMEM : 0;
        r = fw_sshd_add_dump(s, use->listen, use->port, "sshd -T");
        if (r == -EINVAL)
                return asprintf(&s->unknown, "sshd -T printed a listenaddress or port that is not understood (%s)",
                                use->listen ?: use->port ?: "") < 0
                               ? -ENOMEM
                               : 0;
        return r;
}

/* ---- the listening sockets sshd holds ---- */

static int probe_sockets(FwSshd *s) {
        _cleanup_(listener_list_done) ListenerList l = {};
        _cleanup_(socket_owners_done) SocketOwners o = {};
        _cleanup_free_ uint64_t *inodes = NULL;
        size_t n = 0;
        int r;

        for (size_t i = 0; i < ELEMENTSOF(listener_tables); i++) {
                if (listener_tables[i].proto != IPPROTO_TCP)
                        continue;
                r = listeners_read_table("/proc", &listener_tables[i], &l, NULL);
                if (r < 0 && r != -ENOENT)
                        return r == -ENOMEM ? r : 0; /* /proc not readable: sshd -T alone */
        }
        inodes = calloc(l.n ?: 1, sizeof(uint64_t));
        if (!inodes)
                return -ENOMEM;
        for (size_t i = 0; i < l.n; i++)
                if (listener_is_listening(&l.items[i]) && !listener_is_loopback(&l.items[i]))
                        inodes[n++] = l.items[i].inode;
        if (n == 0)
                return 0;
        r = socket_owners_read("/proc", inodes, n, &o);
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        for (size_t i = 0; i < l.n; i++) {
                const Listener *x = &l.items[i];
                _cleanup_free_ char *addr = NULL, *source = NULL;
                int family = x->family;

                if (!listener_is_listening(x) || listener_is_loopback(x))
                        continue;
                for (size_t j = 0; !source && j < o.n; j++)
                        if (o.items[j].inode == x->inode && streq_ptr(o.items[j].comm, SSHD_COMM) &&
                            asprintf(&source, "a listening socket of %s[%d]", SSHD_COMM, (int) o.items[j].pid) < 0)
                                return -ENOMEM;
                if (!source)
                        continue;
                if (family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&x->addr.in6))
                        family = AF_INET;
                r = listener_format_address(x, &addr);
                if (r < 0)
                        return r;
                r = fw_sshd_add(s, x->port, family, addr, source);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The ports of the socket unit that starts sshd: 1 when there is one, 0 when sshd -T is to be asked. */
static int probe_socket_unit(Context *c, FwSshd *s) {
        _cleanup_(sshd_start_done) SshdStart st = {};
        _cleanup_free_ char *bad = NULL, *source = NULL;
        int r;

        r = sshd_start_find(c->root, &st, &bad);
        if (r == -ENOMEM)
                return r;
        if (r == -EINVAL)
                return asprintf(&s->unknown,
                                "the socket unit that starts sshd has ListenStream=%s, which is not understood",
                                strna(bad)) < 0
                               ? -ENOMEM
                               : 1;
        if (r < 0 || st.kind != SSHD_START_SOCKET)
                return 0;
        s->socket = strdup(st.unit);
        if (!s->socket || asprintf(&source, "ListenStream= of %s", st.unit) < 0)
                return -ENOMEM;
        s->socket_follows_config = st.generator;
        for (size_t i = 0; i < st.n_listen; i++) {
                _cleanup_free_ char *addr = NULL;
                size_t n = s->n;

                if (strchr(st.listen[i].address, ':'))
                        addr = strdup(st.listen[i].address);
                else if (asprintf(&addr, "port %u", st.listen[i].port) < 0)
                        addr = NULL;
                if (!addr)
                        return -ENOMEM;
                r = fw_sshd_add(s, st.listen[i].port, st.listen[i].family, addr, source);
                if (r < 0)
                        return r;
                if (s->n > n)
                        s->items[n].socket = true;
        }
        return 1;
}

int fw_sshd_listens(Context *c, FwSshd *s) {
        int r;

        r = probe_socket_unit(c, s);
        if (r < 0)
                return r;
        /* sshd -T's Port is not where a socket-activated sshd listens */
        if (r == 0)
                r = probe_config(c, s);
        if (r < 0)
                return r;
        return probe_sockets(s);
}

int fw_sshd_probe(Context *c, const FwBackend *b, FwSshd *ret) {
        _cleanup_(fw_sshd_done) FwSshd s = {};
        const SshdPlan *plan = context_sshd_plan(c);
        int r;

        if (c->live && b->sshd_listens) {
                r = b->sshd_listens(c, &s);
                if (r < 0)
                        return r;
        }
        /* a socket unit that starts sshd keeps its ListenStream= whatever Port says, unless the
         * generator rewrites it from sshd_config at the next boot */
        if (plan->port != 0 && (!s.socket || s.socket_follows_config)) {
                _cleanup_free_ char *addr = NULL, *source = NULL;

                if (asprintf(&addr, "port %u", plan->port) < 0)
                        return -ENOMEM;
                if (s.socket ? asprintf(&source,
                                        "ssh.port, which hardend's sshd drop-in sets and sshd-socket-generator makes "
                                        "%s listen on at the next boot",
                                        s.socket) < 0
                             : !(source = strdup("ssh.port, which hardend's sshd drop-in sets")))
                        return -ENOMEM;
                size_t n = s.n;

                r = fw_sshd_add(&s, plan->port, AF_UNSPEC, addr, source);
                if (r < 0)
                        return r;
                if (s.n > n)
                        s.items[n].planned = true;
        }
        *ret = s;
        s = (FwSshd){};
        return 0;
}
