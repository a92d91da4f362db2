/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <fcntl.h>
#include <libiptc/libip6tc.h>
#include <libiptc/libiptc.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/xt_conntrack.h>
#include <linux/netfilter/xt_recent.h>
#include <linux/netfilter/xt_state.h>
#include <linux/netfilter/xt_tcpudp.h>
#include <linux/netfilter_ipv4/ipt_REJECT.h>
#include <linux/netfilter_ipv6/ip6t_REJECT.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "strv.h"
#include "sys/netfilter.h"
#include "sys/spawn.h"

/* ---- the ops tables: thin wrappers so that both families share one signature ---- */

#define NF_WRAPPERS(p)                                                                                      \
        static const void *p##_first_rule_w(const char *chain, struct xtc_handle *h) {                      \
                return p##_first_rule(chain, h);                                                            \
        }                                                                                                   \
        static const void *p##_next_rule_w(const void *prev, struct xtc_handle *h) {                        \
                return p##_next_rule(prev, h);                                                              \
        }                                                                                                   \
        static const char *p##_get_target_w(const void *e, struct xtc_handle *h) {                          \
                return p##_get_target(e, h);                                                                \
        }                                                                                                   \
        static const char *p##_get_policy_w(const char *chain, struct xtc_handle *h) {                      \
                struct xt_counters c;                                                                       \
                return p##_get_policy(chain, &c, h);                                                        \
        }                                                                                                   \
        static int p##_set_policy_w(const char *chain, const char *policy, struct xtc_handle *h) {          \
                return p##_set_policy(chain, policy, NULL, h);                                              \
        }                                                                                                   \
        static int p##_append_entry_w(const char *chain, const void *e, struct xtc_handle *h) {             \
                return p##_append_entry(chain, e, h);                                                       \
        }                                                                                                   \
        static int p##_insert_entry_w(const char *chain, const void *e, unsigned n, struct xtc_handle *h) { \
                return p##_insert_entry(chain, e, n, h);                                                    \
        }                                                                                                   \
        static int p##_is_chain_w(const char *chain, struct xtc_handle *h) {                                \
                return p##_is_chain(chain, h);                                                              \
        }                                                                                                   \
        static int p##_create_chain_w(const char *chain, struct xtc_handle *h) {                            \
                return p##_create_chain(chain, h);                                                          \
        }                                                                                                   \
        static int p##_flush_entries_w(const char *chain, struct xtc_handle *h) {                           \
                return p##_flush_entries(chain, h);                                                         \
        }                                                                                                   \
        static int p##_delete_chain_w(const char *chain, struct xtc_handle *h) {                            \
                return p##_delete_chain(chain, h);                                                          \
        }                                                                                                   \
        static int p##_delete_num_entry_w(const char *chain, unsigned n, struct xtc_handle *h) {            \
                return p##_delete_num_entry(chain, n, h);                                                   \
        }

NF_WRAPPERS(iptc)
NF_WRAPPERS(ip6tc)

#define NF_OPS(p, fam, nm, ENTRY, IPFIELD)                                                                            \
        {                                                                                                             \
                .family = fam, .name = nm, .lib = #p, .init = p##_init, .free = p##_free, .commit = p##_commit,       \
                .is_chain = p##_is_chain_w, .create_chain = p##_create_chain_w, .flush_entries = p##_flush_entries_w, \
                .delete_chain = p##_delete_chain_w, .first_rule = p##_first_rule_w, .next_rule = p##_next_rule_w,     \
                .get_target = p##_get_target_w, .get_policy = p##_get_policy_w, .set_policy = p##_set_policy_w,       \
                .append_entry = p##_append_entry_w, .insert_entry = p##_insert_entry_w,                               \
                .delete_num_entry = p##_delete_num_entry_w, .strerror = p##_strerror, .entry_size = sizeof(ENTRY),    \
                .ip_size = sizeof(((ENTRY *) NULL)->IPFIELD), .off_target_offset = offsetof(ENTRY, target_offset),    \
                .off_next_offset = offsetof(ENTRY, next_offset),                                                      \
        }

const NfOps nf_ops_ipv4 = NF_OPS(iptc, AF_INET, "ipv4", struct ipt_entry, ip);
const NfOps nf_ops_ipv6 = NF_OPS(ip6tc, AF_INET6, "ipv6", struct ip6t_entry, ipv6);

struct xtc_handle *nf_init(const NfOps *ops, const char *table) {
        static const char *const modprobes[] = { "/usr/sbin/modprobe", "/sbin/modprobe" };
        struct xtc_handle *h = ops->init(table);
        int err = errno;

        if (h || err != ENOPROTOOPT)
                return h;
        for (size_t i = 0; i < ELEMENTSOF(modprobes); i++) {
                const char *argv[] = { modprobes[i], "-q", ops->family == AF_INET ? NF_KMOD_IPV4 : NF_KMOD_IPV6,
                                       NULL };
                SpawnResult res = {};

                if (access(modprobes[i], X_OK) < 0)
                        continue;
                if (spawn_run(&(SpawnOptions){ .argv = argv, .timeout_ms = 10000 }, &res) >= 0)
                        spawn_result_done(&res);
                break;
        }
        h = ops->init(table);
        if (!h && errno == 0)
                errno = err;
        return h;
}

const NfOps *nf_ops_for(int family) {
        return family == AF_INET ? &nf_ops_ipv4 : family == AF_INET6 ? &nf_ops_ipv6 : NULL;
}

/* ---- entry layout ---- */

static uint16_t get_u16(const void *e, size_t off) {
        uint16_t v;

        memcpy(&v, (const uint8_t *) e + off, sizeof(v));
        return v;
}

static void set_u16(void *e, size_t off, size_t v) {
        uint16_t x = (uint16_t) v;

        memcpy((uint8_t *) e + off, &x, sizeof(x));
}

size_t nf_entry_size(const NfOps *ops, const void *e) {
        return get_u16(e, ops->off_next_offset);
}

/* the largest entry we build: ip6t_entry + tcp + conntrack + recent + a target, with room */
#define NF_ENTRY_MAX     1024
#define NF_MATCH_SIZE(t) XT_ALIGN(sizeof(struct xt_entry_match) + sizeof(t))
_Static_assert(sizeof(struct ip6t_entry) + NF_MATCH_SIZE(struct xt_tcp) + NF_MATCH_SIZE(struct ipt_icmp) +
                               NF_MATCH_SIZE(struct xt_conntrack_mtinfo3) + NF_MATCH_SIZE(struct xt_recent_mtinfo_v1) +
                               XT_ALIGN(sizeof(struct xt_entry_target) + sizeof(struct ip6t_reject_info)) <=
                       NF_ENTRY_MAX,
               "NF_ENTRY_MAX too small for the largest entry");

static size_t put_match(uint8_t *buf, size_t at, const char *name, uint8_t revision, const void *data, size_t len) {
        struct xt_entry_match *m = (struct xt_entry_match *) (buf + at);
        size_t size = XT_ALIGN(sizeof(*m) + len);

        m->u.user.match_size = (uint16_t) size;
        strncpy(m->u.user.name, name, sizeof(m->u.user.name) - 1);
        m->u.user.revision = revision;
        memcpy(m->data, data, len);
        return at + size;
}

static size_t put_target(uint8_t *buf, size_t at, const char *name, uint8_t revision, const void *data, size_t len) {
        struct xt_entry_target *t = (struct xt_entry_target *) (buf + at);
        size_t size = XT_ALIGN(sizeof(*t) + len);

        t->u.user.target_size = (uint16_t) size;
        strncpy(t->u.user.name, name, sizeof(t->u.user.name) - 1);
        t->u.user.revision = revision;
        memcpy(t->data, data, len);
        return at + size;
}

static void prefix_to_mask(int family, unsigned prefixlen, uint8_t *mask) {
        size_t n = family == AF_INET ? 4 : 16;

        for (size_t i = 0; i < n; i++) {
                unsigned bits = prefixlen > i * 8 ? prefixlen - (unsigned) i * 8 : 0;

                mask[i] = bits >= 8 ? 0xff : (uint8_t) (0xff << (8 - bits));
        }
}

static void fill_ip4(struct ipt_entry *e, const FwRule *r) {
        if (r->in_loopback) {
                (void) snprintf(e->ip.iniface, sizeof(e->ip.iniface), "%s", "lo");
                memset(e->ip.iniface_mask, 0xff, strlen("lo") + 1);
        }
        if (r->has_source) {
                e->ip.src = r->source.addr.in;
                prefix_to_mask(AF_INET, r->source.prefixlen, (uint8_t *) &e->ip.smsk);
        }
        e->ip.proto = (uint16_t) r->proto;
}

static void fill_ip6(struct ip6t_entry *e, const FwRule *r) {
        if (r->in_loopback) {
                (void) snprintf(e->ipv6.iniface, sizeof(e->ipv6.iniface), "%s", "lo");
                memset(e->ipv6.iniface_mask, 0xff, strlen("lo") + 1);
        }
        if (r->has_source) {
                e->ipv6.src = r->source.addr.in6;
                prefix_to_mask(AF_INET6, r->source.prefixlen, (uint8_t *) &e->ipv6.smsk);
        }
        if (r->proto != 0) {
                e->ipv6.proto = (uint16_t) r->proto;
                e->ipv6.flags |= IP6T_F_PROTO;
        }
}

int nf_entry_build(const NfOps *ops, const FwRule *r, void **ret, size_t *ret_size) {
        /* built in place, then copied out at its size: an apply builds thousands of these */
        _Alignas(max_align_t) uint8_t buf[NF_ENTRY_MAX];
        size_t at = ops->entry_size, target_at;
        void *e;

        if (r->family != ops->family)
                return -EAFNOSUPPORT;
        memset(buf, 0, sizeof(buf));
        if (ops->family == AF_INET)
                fill_ip4((struct ipt_entry *) buf, r);
        else
                fill_ip6((struct ip6t_entry *) buf, r);

        if (r->dport != 0 && r->proto == IPPROTO_TCP) {
                struct xt_tcp tcp = { .spts = { 0, 0xffff }, .dpts = { r->dport, r->dport } };

                at = put_match(buf, at, "tcp", 0, &tcp, sizeof(tcp));
        } else if (r->dport != 0 && r->proto == IPPROTO_UDP) {
                struct xt_udp udp = { .spts = { 0, 0xffff }, .dpts = { r->dport, r->dport } };

                at = put_match(buf, at, "udp", 0, &udp, sizeof(udp));
        }
        if (r->icmp_type >= 0) {
                /* struct ipt_icmp and struct ip6t_icmp have the same layout */
                struct ipt_icmp icmp = { .type = (uint8_t) r->icmp_type, .code = { 0, 0xff } };

                at = put_match(buf, at, ops->family == AF_INET ? "icmp" : "icmp6", 0, &icmp, sizeof(icmp));
        }
        if (r->ct_state != 0) {
                struct xt_conntrack_mtinfo3 ct = { .match_flags = XT_CONNTRACK_STATE,
                                                   .state_mask = (uint16_t) r->ct_state };

                at = put_match(buf, at, "conntrack", 3, &ct, sizeof(ct));
        }
        if (r->recent != FW_RECENT_NONE) {
                struct xt_recent_mtinfo_v1 rc = { .side = XT_RECENT_SOURCE };

                strncpy(rc.name, FW_RECENT_NAME, sizeof(rc.name) - 1);
                memset(&rc.mask, 0xff, ops->family == AF_INET ? 4 : 16);
                if (r->recent == FW_RECENT_SET)
                        rc.check_set = XT_RECENT_SET;
                else {
                        rc.check_set = XT_RECENT_UPDATE;
                        rc.seconds = r->recent_seconds;
                        rc.hit_count = r->recent_hits;
                }
                at = put_match(buf, at, "recent", 1, &rc, sizeof(rc));
        }

        target_at = at;
        if (r->target == FW_TARGET_REJECT) {
                if (ops->family == AF_INET) {
                        struct ipt_reject_info ri = { .with = r->reject_with == FW_REJECT_TCP_RESET
                                                                      ? IPT_TCP_RESET
                                                                      : IPT_ICMP_PORT_UNREACHABLE };

                        at = put_target(buf, at, "REJECT", 0, &ri, sizeof(ri));
                } else {
                        struct ip6t_reject_info ri = { .with = r->reject_with == FW_REJECT_TCP_RESET
                                                                       ? IP6T_TCP_RESET
                                                                       : IP6T_ICMP6_PORT_UNREACH };

                        at = put_target(buf, at, "REJECT", 0, &ri, sizeof(ri));
                }
        } else {
                int verdict = 0; /* libiptc maps the label to the verdict or jump */

                at = put_target(buf, at, fw_target_to_string(r->target), 0, &verdict, sizeof(verdict));
        }
        set_u16(buf, ops->off_target_offset, target_at);
        set_u16(buf, ops->off_next_offset, at);

        e = malloc(at);
        if (!e)
                return -ENOMEM;
        memcpy(e, buf, at);
        *ret_size = at;
        *ret = e;
        return 0;
}

/* ---- comparing what the kernel returns with what we built ---- */

bool nf_entry_equal(const NfOps *ops, const void *actual, const char *actual_label, const void *built,
                    FwTarget built_target) {
        const uint8_t *a = actual, *b = built;
        size_t at = get_u16(a, ops->off_target_offset), bt = get_u16(b, ops->off_target_offset);
        size_t an = get_u16(a, ops->off_next_offset), bn = get_u16(b, ops->off_next_offset);
        const struct xt_entry_target *ta, *tb;

        if (at != bt || an != bn || at < ops->entry_size || an < at + sizeof(struct xt_entry_target))
                return false;
        if (memcmp(a, b, ops->ip_size) != 0)
                return false;
        for (size_t i = ops->entry_size; i < at;) {
                const struct xt_entry_match *ma = (const void *) (a + i), *mb = (const void *) (b + i);
                size_t sz = ma->u.match_size;

                if (sz != mb->u.match_size || sz < sizeof(*ma) || i + sz > at)
                        return false;
                if (strncmp(ma->u.user.name, mb->u.user.name, sizeof(ma->u.user.name)) != 0 ||
                    ma->u.user.revision != mb->u.user.revision || memcmp(ma->data, mb->data, sz - sizeof(*ma)) != 0)
                        return false;
                i += sz;
        }
        ta = (const void *) (a + at);
        tb = (const void *) (b + bt);
        if (built_target != FW_TARGET_REJECT)
                /* a standard verdict or jump: the kernel keeps a number, libiptc gives the label */
                return ta->u.user.name[0] == 0 && streq(strempty(actual_label), fw_target_to_string(built_target));
        return ta->u.target_size == tb->u.target_size &&
               strncmp(ta->u.user.name, tb->u.user.name, sizeof(ta->u.user.name)) == 0 &&
               ta->u.user.revision == tb->u.user.revision &&
               memcmp(ta->data, tb->data, ta->u.target_size - sizeof(*ta)) == 0;
}

/* ---- describing any entry ---- */

static unsigned mask_to_prefix(const uint8_t *m, size_t n) {
        unsigned p = 0;

        for (size_t i = 0; i < n; i++)
                p += (unsigned) __builtin_popcount(m[i]);
        return p;
}

static void decode_ip(const NfOps *ops, const void *e, FwRule *r) {
        const char *iniface;
        const uint8_t *src, *smsk;
        size_t alen = ops->family == AF_INET ? 4 : 16;

        if (ops->family == AF_INET) {
                const struct ipt_entry *x = e;

                iniface = x->ip.iniface;
                src = (const uint8_t *) &x->ip.src;
                smsk = (const uint8_t *) &x->ip.smsk;
                r->proto = x->ip.proto;
        } else {
                const struct ip6t_entry *x = e;

                iniface = x->ipv6.iniface;
                src = (const uint8_t *) &x->ipv6.src;
                smsk = (const uint8_t *) &x->ipv6.smsk;
                r->proto = (x->ipv6.flags & IP6T_F_PROTO) ? x->ipv6.proto : 0;
        }
        r->in_loopback = streq(iniface, "lo");
        r->source.prefixlen = mask_to_prefix(smsk, alen);
        if (r->source.prefixlen > 0) {
                r->has_source = true;
                r->source.family = ops->family;
                memcpy(&r->source.addr, src, alen);
        }
}

static bool decode_match(const struct xt_entry_match *m, FwRule *r) {
        const char *n = m->u.user.name;
        size_t len = m->u.match_size - sizeof(*m);

        if ((streq(n, "tcp") && len >= sizeof(struct xt_tcp)) || (streq(n, "udp") && len >= sizeof(struct xt_udp))) {
                const struct xt_udp *u = (const void *) m->data; /* dpts at the same place in both */

                if (u->dpts[0] != u->dpts[1] || u->invflags != 0)
                        return false;
                r->dport = u->dpts[0];
                return true;
        }
        if ((streq(n, "icmp") || streq(n, "icmp6")) && len >= sizeof(struct ipt_icmp)) {
                const struct ipt_icmp *i = (const void *) m->data;

                r->icmp_type = i->type;
                return i->invflags == 0;
        }
        if (streq(n, "conntrack") && m->u.user.revision >= 2 && len >= sizeof(struct xt_conntrack_mtinfo2)) {
                const struct xt_conntrack_mtinfo2 *c = (const void *) m->data;

                r->ct_state = c->state_mask;
                return c->match_flags == XT_CONNTRACK_STATE && c->invert_flags == 0;
        }
        if (streq(n, "recent") && len >= sizeof(struct xt_recent_mtinfo)) {
                const struct xt_recent_mtinfo *c = (const void *) m->data;

                r->recent = c->check_set & XT_RECENT_SET ? FW_RECENT_SET : FW_RECENT_UPDATE;
                r->recent_seconds = c->seconds;
                r->recent_hits = c->hit_count;
                return (c->check_set & (XT_RECENT_SET | XT_RECENT_UPDATE)) != 0 && !c->invert;
        }
        return false;
}

/* ---- what an entry can match ---- */

static void span_ip(const NfOps *ops, const void *e, FwSpan *s) {
        const char *iniface;
        const unsigned char *inmask;
        const uint8_t *src, *smsk;
        size_t alen = ops->family == AF_INET ? 4 : 16;
        uint8_t inv;
        unsigned prefix;

        if (ops->family == AF_INET) {
                const struct ipt_entry *x = e;

                iniface = x->ip.iniface;
                inmask = x->ip.iniface_mask;
                src = (const uint8_t *) &x->ip.src;
                smsk = (const uint8_t *) &x->ip.smsk;
                inv = x->ip.invflags;
                if (!(inv & IPT_INV_PROTO))
                        s->proto = x->ip.proto;
        } else {
                const struct ip6t_entry *x = e;

                iniface = x->ipv6.iniface;
                inmask = x->ipv6.iniface_mask;
                src = (const uint8_t *) &x->ipv6.src;
                smsk = (const uint8_t *) &x->ipv6.smsk;
                inv = x->ipv6.invflags;
                if ((x->ipv6.flags & IP6T_F_PROTO) && !(inv & IP6T_INV_PROTO))
                        s->proto = x->ipv6.proto;
        }
        /* "lo" exactly: the name and its terminating NUL under the mask (not "lo+", not "! -i lo") */
        s->in_loopback = !(inv & IPT_INV_VIA_IN) && strncmp(iniface, "lo", IFNAMSIZ) == 0 && inmask[0] == 0xff &&
                         inmask[1] == 0xff && inmask[2] == 0xff;
        prefix = mask_to_prefix(smsk, alen);
        if (prefix > 0 && !(inv & IPT_INV_SRCIP)) {
                s->has_source = true;
                s->source = (Cidr){ .family = ops->family, .prefixlen = prefix };
                memcpy(&s->source.addr, src, alen);
        }
}

static void span_match(const struct xt_entry_match *m, FwSpan *s) {
        const char *n = m->u.user.name;
        size_t len = m->u.match_size - sizeof(*m);

        if (streq(n, "tcp") && len >= sizeof(struct xt_tcp)) {
                const struct xt_tcp *t = (const void *) m->data;

                if (!(t->invflags & XT_TCP_INV_DSTPT) && t->dpts[0] <= t->dpts[1]) {
                        s->dport_min = t->dpts[0];
                        s->dport_max = t->dpts[1];
                }
        } else if (streq(n, "udp") && len >= sizeof(struct xt_udp)) {
                const struct xt_udp *u = (const void *) m->data;

                if (!(u->invflags & XT_UDP_INV_DSTPT) && u->dpts[0] <= u->dpts[1]) {
                        s->dport_min = u->dpts[0];
                        s->dport_max = u->dpts[1];
                }
        } else if ((streq(n, "icmp") || streq(n, "icmp6")) && len >= sizeof(struct ipt_icmp)) {
                /* struct ipt_icmp and struct ip6t_icmp have the same layout, and the same invert bit */
                const struct ipt_icmp *i = (const void *) m->data;

                if (!(i->invflags & IPT_ICMP_INV) && i->type != 0xff) /* 0xff: any type */
                        s->icmp_type = i->type;
        } else if (streq(n, "conntrack") && m->u.user.revision >= 2 && len >= sizeof(struct xt_conntrack_mtinfo2)) {
                const struct xt_conntrack_mtinfo2 *c = (const void *) m->data;

                if ((c->match_flags & XT_CONNTRACK_STATE) && !(c->invert_flags & XT_CONNTRACK_STATE) &&
                    c->state_mask != 0)
                        s->ct_state = c->state_mask;
        } else if (streq(n, "conntrack") && m->u.user.revision == 1 && len >= sizeof(struct xt_conntrack_mtinfo1)) {
                const struct xt_conntrack_mtinfo1 *c = (const void *) m->data;

                if ((c->match_flags & XT_CONNTRACK_STATE) && !(c->invert_flags & XT_CONNTRACK_STATE) &&
                    c->state_mask != 0)
                        s->ct_state = c->state_mask;
        } else if (streq(n, "state") && len >= sizeof(struct xt_state_info)) {
                /* the same bits as conntrack's; "! --state" is stored as the complement */
                const struct xt_state_info *st = (const void *) m->data;

                if (st->statemask != 0)
                        s->ct_state = st->statemask;
        }
        /* any other match only narrows what the rule matches: leaving it out keeps the span wider */
}

void nf_entry_span(const NfOps *ops, const void *e, FwSpan *ret) {
        const uint8_t *p = e;
        size_t at = get_u16(e, ops->off_target_offset);
        FwSpan s = fw_span_any(ops->family);

        span_ip(ops, e, &s);
        for (size_t i = ops->entry_size; i + sizeof(struct xt_entry_match) <= at;) {
                const struct xt_entry_match *m = (const void *) (p + i);

                if (m->u.match_size < sizeof(*m) || i + m->u.match_size > at)
                        break;
                span_match(m, &s);
                i += m->u.match_size;
        }
        /* tcp/udp ports mean something only with that protocol */
        if (s.proto != IPPROTO_TCP && s.proto != IPPROTO_UDP) {
                s.dport_min = 0;
                s.dport_max = 0xffff;
        }
        *ret = s;
}

bool nf_entry_same_match(const NfOps *ops, const void *a, const void *b) {
        size_t at = get_u16(a, ops->off_target_offset);

        return at == get_u16(b, ops->off_target_offset) && at >= ops->entry_size && memcmp(a, b, ops->ip_size) == 0 &&
               memcmp((const uint8_t *) a + ops->entry_size, (const uint8_t *) b + ops->entry_size,
                      at - ops->entry_size) == 0;
}

bool nf_entry_is_goto(const NfOps *ops, const void *e) {
        if (ops->family == AF_INET)
                return ((const struct ipt_entry *) e)->ip.flags & IPT_F_GOTO;
        return ((const struct ip6t_entry *) e)->ipv6.flags & IP6T_F_GOTO;
}

int nf_entry_describe(const NfOps *ops, const void *e, const char *label, char **ret) {
        const uint8_t *p = e;
        size_t at = get_u16(e, ops->off_target_offset), next = get_u16(e, ops->off_next_offset);
        _cleanup_strv_free_ char **extra = NULL;
        _cleanup_free_ char *base = NULL, *tail = NULL;
        FwRule r = fw_rule_any(ops->family);
        const struct xt_entry_target *t;
        int k;

        decode_ip(ops, e, &r);
        for (size_t i = ops->entry_size; i + sizeof(struct xt_entry_match) <= at;) {
                const struct xt_entry_match *m = (const void *) (p + i);

                if (m->u.match_size < sizeof(*m))
                        break;
                if (!decode_match(m, &r) &&
                    strv_extendf(&extra, "-m %.*s", (int) sizeof(m->u.user.name), m->u.user.name) < 0)
                        return -ENOMEM;
                i += m->u.match_size;
        }
        label = strempty(label);
        t = (const void *) (p + at);
        if (streq(label, "ACCEPT"))
                r.target = FW_TARGET_ACCEPT;
        else if (streq(label, "DROP"))
                r.target = FW_TARGET_DROP;
        else if (streq(label, FW_CHAIN))
                r.target = FW_TARGET_JUMP;
        else if (streq(label, "REJECT") && next >= at + sizeof(*t) + sizeof(uint32_t)) {
                uint32_t with;

                memcpy(&with, t->data, sizeof(with));
                r.target = FW_TARGET_REJECT;
                r.reject_with = (ops->family == AF_INET ? with == IPT_TCP_RESET : with == IP6T_TCP_RESET)
                                        ? FW_REJECT_TCP_RESET
                                        : FW_REJECT_PORT_UNREACHABLE;
        } else if (!isempty(label) && strv_extend(&extra, label) < 0)
                return -ENOMEM;

        k = fw_rule_describe(&r, &base);
        if (k < 0)
                return k;
        if (strv_isempty(extra)) {
                *ret = TAKE_PTR(base);
                return 0;
        }
        k = strv_join(extra, " ", &tail);
        if (k < 0)
                return k;
        return asprintf(ret, "%s%s%s", streq(base, "(any)") ? "" : base, streq(base, "(any)") ? "" : " ", tail) < 0
                       ? -ENOMEM
                       : 0;
}

/* ---- the xtables lock and errors ---- */

int nf_lock(unsigned timeout_ms) {
        _cleanup_close_ int fd = -EBADF;
        unsigned waited = 0;

        fd = open(NF_LOCK_PATH, O_CREAT | O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        for (;;) {
                if (flock(fd, LOCK_EX | LOCK_NB) >= 0)
                        return TAKE_FD(fd);
                if (errno != EWOULDBLOCK && errno != EINTR)
                        return -errno;
                if (waited >= timeout_ms)
                        return -EBUSY;
                (void) nanosleep(&(struct timespec){ .tv_nsec = 20 * 1000 * 1000 }, NULL);
                waited += 20;
        }
}

int nf_error(const NfOps *ops, const char *call, int err, char **ret) {
        return asprintf(ret, "%s_%s (%s): %s", ops->lib, call, ops->name, ops->strerror(err)) < 0 ? -ENOMEM : 0;
}
