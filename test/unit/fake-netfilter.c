/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <linux/netfilter/x_tables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "array.h"
#include "fake-netfilter.h"
#include "firewall-backend.h"
#include "firewall-sshd.h"
#include "strv.h"

/* What init() hands out: a copy of the table, which commit() puts in its place. */
struct xtc_handle {
        FakeNf *nf;
        FakeTable t;
};

/* init() and lock() have no argument to find the fake by (as libiptc's and nf_lock()): the one
 * fake_firewall_init() made last. */
static FakeFirewall *fake_active;

static const char *const builtin[] = { "INPUT", "FORWARD", "OUTPUT" };
static const char *const verdicts[] = { "", "ACCEPT", "DROP", "RETURN", "QUEUE" };

/* ---- the table ---- */

static void chain_done(FakeChain *c) {
        for (size_t i = 0; i < c->n; i++) {
                free(c->entries[i]);
                free(c->labels[i]);
        }
        free(c->entries);
        free(c->labels);
        free(c->name);
        free(c->policy);
        *c = (FakeChain){};
}

void fake_table_done(FakeTable *t) {
        for (size_t i = 0; i < t->n; i++)
                chain_done(&t->chains[i]);
        free(t->chains);
        *t = (FakeTable){};
}

FakeChain *fake_table_chain(const FakeTable *t, const char *name) {
        for (size_t i = 0; name && i < t->n; i++)
                if (streq(t->chains[i].name, name))
                        return &t->chains[i];
        return NULL;
}

static size_t entry_size(const FakeNf *nf, const void *e) {
        return nf_entry_size(&nf->ops, e);
}

static int chain_add(FakeTable *t, const char *name, const char *policy) {
        FakeChain *c;

        if (ARRAY_GROW_ONE(t->chains, t->n) < 0)
                return -ENOMEM;
        c = &t->chains[t->n];
        *c = (FakeChain){ .name = strdup(name), .policy = policy ? strdup(policy) : NULL };
        if (!c->name || (policy && !c->policy)) {
                chain_done(c);
                return -ENOMEM;
        }
        t->n++;
        return 0;
}

static int chain_copy(const FakeNf *nf, const FakeChain *from, FakeChain *to) {
        FakeChain c = { .name = strdup(from->name), .policy = from->policy ? strdup(from->policy) : NULL };

        c.entries = calloc(from->n ?: 1, sizeof(void *));
        c.labels = calloc(from->n ?: 1, sizeof(char *));
        if (!c.name || (from->policy && !c.policy) || !c.entries || !c.labels) {
                chain_done(&c);
                return -ENOMEM;
        }
        for (; c.n < from->n; c.n++) {
                size_t size = entry_size(nf, from->entries[c.n]);

                c.entries[c.n] = malloc(size);
                c.labels[c.n] = strdup(from->labels[c.n]);
                if (!c.entries[c.n] || !c.labels[c.n]) {
                        c.n++;
                        chain_done(&c);
                        return -ENOMEM;
                }
                memcpy(c.entries[c.n], from->entries[c.n], size);
        }
        *to = c;
        return 0;
}

static int table_copy(const FakeNf *nf, const FakeTable *from, FakeTable *to) {
        FakeTable t = {};

        t.chains = calloc(from->n ?: 1, sizeof(FakeChain));
        if (!t.chains)
                return -ENOMEM;
        for (; t.n < from->n; t.n++)
                if (chain_copy(nf, &from->chains[t.n], &t.chains[t.n]) < 0) {
                        fake_table_done(&t);
                        return -ENOMEM;
                }
        *to = t;
        return 0;
}

int fake_nf_save(const FakeNf *nf, FakeTable *ret) {
        return table_copy(nf, &nf->kernel, ret);
}

bool fake_nf_equal(const FakeNf *nf, const FakeTable *t) {
        const FakeTable *a = &nf->kernel, *b = t;

        if (a->n != b->n)
                return false;
        for (size_t i = 0; i < a->n; i++) {
                const FakeChain *x = &a->chains[i], *y = &b->chains[i];

                if (!streq(x->name, y->name) || !streq_ptr(x->policy, y->policy) || x->n != y->n)
                        return false;
                for (size_t j = 0; j < x->n; j++) {
                        size_t size = entry_size(nf, x->entries[j]);

                        if (!streq(x->labels[j], y->labels[j]) || size != entry_size(nf, y->entries[j]) ||
                            memcmp(x->entries[j], y->entries[j], size) != 0)
                                return false;
                }
        }
        return true;
}

/* Puts a copy of e at pos of chain, as the kernel keeps it: a standard verdict or a jump to a chain
 * of the table becomes a number (no target name), anything else is an extension's target. */
static int table_insert(const FakeNf *nf, FakeTable *t, const char *chain, const void *e, size_t pos) {
        FakeChain *c = fake_table_chain(t, chain);
        uint16_t target_at;
        struct xt_entry_target *target;
        _cleanup_free_ void *copy = NULL;
        _cleanup_free_ char *label = NULL;
        size_t size = entry_size(nf, e);
        bool standard = false;

        if (!c)
                return -ENOENT;
        if (pos > c->n)
                return -E2BIG;
        memcpy(&target_at, (const uint8_t *) e + nf->ops.off_target_offset, sizeof(target_at));
        if (target_at < nf->ops.entry_size || size < target_at + sizeof(struct xt_entry_target))
                return -EINVAL;
        copy = malloc(size);
        if (!copy)
                return -ENOMEM;
        memcpy(copy, e, size);
        target = (struct xt_entry_target *) ((uint8_t *) copy + target_at);
        label = strndup(target->u.user.name, sizeof(target->u.user.name));
        if (!label)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(verdicts); i++)
                standard = standard || streq(label, verdicts[i]);
        if (standard || fake_table_chain(t, label))
                memset(target->u.user.name, 0, sizeof(target->u.user.name));

        if (ARRAY_GROW_ONE(c->entries, c->n) < 0)
                return -ENOMEM;
        if (ARRAY_GROW_ONE(c->labels, c->n) < 0)
                return -ENOMEM;
        memmove(c->entries + pos + 1, c->entries + pos, (c->n - pos) * sizeof(void *));
        memmove(c->labels + pos + 1, c->labels + pos, (c->n - pos) * sizeof(char *));
        c->entries[pos] = TAKE_PTR(copy);
        c->labels[pos] = TAKE_PTR(label);
        c->n++;
        return 0;
}

static int table_delete(FakeTable *t, const char *chain, size_t pos) {
        FakeChain *c = fake_table_chain(t, chain);

        if (!c)
                return -ENOENT;
        if (pos >= c->n)
                return -E2BIG;
        free(c->entries[pos]);
        free(c->labels[pos]);
        memmove(c->entries + pos, c->entries + pos + 1, (c->n - pos - 1) * sizeof(void *));
        memmove(c->labels + pos, c->labels + pos + 1, (c->n - pos - 1) * sizeof(char *));
        c->n--;
        return 0;
}

static int table_set_policy(FakeTable *t, const char *chain, const char *policy) {
        FakeChain *c = fake_table_chain(t, chain);
        char *p;

        if (!c)
                return -ENOENT;
        if (!c->policy || !(streq(policy, "ACCEPT") || streq(policy, "DROP")))
                return -EINVAL;
        p = strdup(policy);
        if (!p)
                return -ENOMEM;
        free(c->policy);
        c->policy = p;
        return 0;
}

/* ---- the NfOps calls: libiptc's conventions (0 or NULL and errno on failure) ---- */

static int fail(int r) {
        errno = -r;
        return 0;
}

static struct xtc_handle *fake_init(FakeNf *nf, const char *table) {
        struct xtc_handle *h;

        if (nf->init_errno != 0) {
                errno = nf->init_errno;
                return NULL;
        }
        if (!streq(table, "filter")) {
                errno = ENOENT;
                return NULL;
        }
        h = calloc(1, sizeof(*h));
        if (!h) {
                errno = ENOMEM;
                return NULL;
        }
        h->nf = nf;
        if (table_copy(nf, &nf->kernel, &h->t) < 0) {
                free(h);
                errno = ENOMEM;
                return NULL;
        }
        nf->inits++;
        nf->open++;
        return h;
}

static struct xtc_handle *fake_init4(const char *table) {
        return fake_init(&fake_active->nf[0], table);
}

static struct xtc_handle *fake_init6(const char *table) {
        return fake_init(&fake_active->nf[1], table);
}

static void fake_free(struct xtc_handle *h) {
        if (!h)
                return;
        h->nf->open--;
        fake_table_done(&h->t);
        free(h);
}

static int fake_commit(struct xtc_handle *h) {
        FakeTable t;

        if (h->nf->commit_errno != 0)
                return fail(-h->nf->commit_errno);
        if (table_copy(h->nf, &h->t, &t) < 0)
                return fail(-ENOMEM);
        fake_table_done(&h->nf->kernel);
        h->nf->kernel = t;
        h->nf->commits++;
        return 1;
}

static int fake_is_chain(const char *chain, struct xtc_handle *h) {
        return fake_table_chain(&h->t, chain) != NULL;
}

static int fake_create_chain(const char *chain, struct xtc_handle *h) {
        int r;

        if (fake_table_chain(&h->t, chain))
                return fail(-EEXIST);
        if (strlen(chain) >= XT_EXTENSION_MAXNAMELEN)
                return fail(-EINVAL);
        r = chain_add(&h->t, chain, NULL);
        return r < 0 ? fail(r) : 1;
}

static int fake_flush_entries(const char *chain, struct xtc_handle *h) {
        FakeChain *c = fake_table_chain(&h->t, chain);

        if (!c)
                return fail(-ENOENT);
        while (c->n > 0)
                (void) table_delete(&h->t, chain, c->n - 1);
        return 1;
}

/* As libiptc: only an empty user chain that no rule jumps to. */
static int fake_delete_chain(const char *chain, struct xtc_handle *h) {
        FakeChain *c = fake_table_chain(&h->t, chain);

        if (!c)
                return fail(-ENOENT);
        if (c->policy || c->n > 0)
                return fail(-ENOTEMPTY);
        for (size_t i = 0; i < h->t.n; i++)
                for (size_t j = 0; j < h->t.chains[i].n; j++)
                        if (streq(h->t.chains[i].labels[j], chain))
                                return fail(-EMLINK);
        chain_done(c);
        memmove(c, c + 1, (size_t) (h->t.chains + h->t.n - (c + 1)) * sizeof(FakeChain));
        h->t.n--;
        return 1;
}

static const void *fake_first_rule(const char *chain, struct xtc_handle *h) {
        FakeChain *c = fake_table_chain(&h->t, chain);

        if (!c) {
                errno = ENOENT;
                return NULL;
        }
        return c->n > 0 ? c->entries[0] : NULL;
}

static const void *fake_next_rule(const void *prev, struct xtc_handle *h) {
        for (size_t i = 0; i < h->t.n; i++)
                for (size_t j = 0; j < h->t.chains[i].n; j++)
                        if (h->t.chains[i].entries[j] == prev)
                                return j + 1 < h->t.chains[i].n ? h->t.chains[i].entries[j + 1] : NULL;
        return NULL;
}

static const char *fake_get_target(const void *e, struct xtc_handle *h) {
        for (size_t i = 0; i < h->t.n; i++)
                for (size_t j = 0; j < h->t.chains[i].n; j++)
                        if (h->t.chains[i].entries[j] == e)
                                return h->t.chains[i].labels[j];
        return NULL;
}

static const char *fake_get_policy(const char *chain, struct xtc_handle *h) {
        FakeChain *c = fake_table_chain(&h->t, chain);

        return c ? c->policy : NULL;
}

static int fake_set_policy(const char *chain, const char *policy, struct xtc_handle *h) {
        int r = table_set_policy(&h->t, chain, policy);

        return r < 0 ? fail(r) : 1;
}

static int fake_append_entry(const char *chain, const void *e, struct xtc_handle *h) {
        FakeChain *c = fake_table_chain(&h->t, chain);
        int r;

        if (!c)
                return fail(-ENOENT);
        r = table_insert(h->nf, &h->t, chain, e, c->n);
        return r < 0 ? fail(r) : 1;
}

static int fake_insert_entry(const char *chain, const void *e, unsigned rulenum, struct xtc_handle *h) {
        int r = table_insert(h->nf, &h->t, chain, e, rulenum);

        return r < 0 ? fail(r) : 1;
}

static int fake_delete_num_entry(const char *chain, unsigned rulenum, struct xtc_handle *h) {
        int r = table_delete(&h->t, chain, rulenum);

        return r < 0 ? fail(r) : 1;
}

static const char *fake_strerror(int err) {
        return strerror(err);
}

/* ---- the backend ---- */

static int fake_lock(unsigned timeout_ms) {
        FakeFirewall *f = fake_active;
        int fd;

        (void) timeout_ms;
        f->locks++;
        if (f->lock_error < 0)
                return f->lock_error;
        fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
}

static int fake_sshd_listens(Context *c, FwSshd *s) {
        FakeFirewall *f = fake_active;
        int r;

        (void) c;
        for (size_t i = 0; i < f->n_sshd_ports; i++) {
                _cleanup_free_ char *addr = NULL;

                if (asprintf(&addr, "port %u", f->sshd_ports[i]) < 0)
                        return -ENOMEM;
                r = fw_sshd_add(s, f->sshd_ports[i], AF_UNSPEC, addr, "the fake sshd");
                if (r < 0)
                        return r;
        }
        return 0;
}

static void fake_nf_init(FakeNf *nf, const NfOps *real, struct xtc_handle *(*init)(const char *table)) {
        *nf = (FakeNf){ .real = real, .ops = *real };
        nf->ops.init = init;
        nf->ops.free = fake_free;
        nf->ops.commit = fake_commit;
        nf->ops.is_chain = fake_is_chain;
        nf->ops.create_chain = fake_create_chain;
        nf->ops.flush_entries = fake_flush_entries;
        nf->ops.delete_chain = fake_delete_chain;
        nf->ops.first_rule = fake_first_rule;
        nf->ops.next_rule = fake_next_rule;
        nf->ops.get_target = fake_get_target;
        nf->ops.get_policy = fake_get_policy;
        nf->ops.set_policy = fake_set_policy;
        nf->ops.append_entry = fake_append_entry;
        nf->ops.insert_entry = fake_insert_entry;
        nf->ops.delete_num_entry = fake_delete_num_entry;
        nf->ops.strerror = fake_strerror;
        for (size_t i = 0; i < ELEMENTSOF(builtin); i++)
                if (chain_add(&nf->kernel, builtin[i], "ACCEPT") < 0)
                        abort();
}

void fake_firewall_init(FakeFirewall *f) {
        *f = (FakeFirewall){};
        fake_nf_init(&f->nf[0], &nf_ops_ipv4, fake_init4);
        fake_nf_init(&f->nf[1], &nf_ops_ipv6, fake_init6);
        fake_active = f;
        f->backend = (FwBackend){
                .nf_ops = { &f->nf[0].ops, &f->nf[1].ops },
                .lock = fake_lock,
                .sshd_listens = fake_sshd_listens,
                .backends = { NULL, &fw_backend_iptables },
        };
}

void fake_firewall_done(FakeFirewall *f) {
        fake_table_done(&f->nf[0].kernel);
        fake_table_done(&f->nf[1].kernel);
        if (fake_active == f)
                fake_active = NULL;
}

/* ---- changing the table as another program would ---- */

int fake_nf_insert(FakeNf *nf, const char *chain, const FwRule *r, size_t pos) {
        _cleanup_free_ void *e = NULL;
        size_t size;
        int k;

        k = nf_entry_build(nf->real, r, &e, &size);
        if (k < 0)
                return k;
        return table_insert(nf, &nf->kernel, chain, e, pos);
}

int fake_nf_append(FakeNf *nf, const char *chain, const FwRule *r) {
        FakeChain *c = fake_table_chain(&nf->kernel, chain);

        if (!c)
                return -ENOENT;
        return fake_nf_insert(nf, chain, r, c->n);
}

int fake_nf_delete(FakeNf *nf, const char *chain, size_t pos) {
        return table_delete(&nf->kernel, chain, pos);
}

int fake_nf_set_policy(FakeNf *nf, const char *chain, const char *policy) {
        return table_set_policy(&nf->kernel, chain, policy);
}

char *fake_nf_describe(const FakeNf *nf, const char *chain) {
        const FakeChain *c = fake_table_chain(&nf->kernel, chain);
        _cleanup_strv_free_ char **l = NULL;
        char *j = NULL;

        if (!c)
                return NULL;
        for (size_t i = 0; i < c->n; i++) {
                char *d = NULL;

                if (nf_entry_describe(nf->real, c->entries[i], c->labels[i], &d) < 0 || strv_consume(&l, d) < 0)
                        return NULL;
        }
        if (strv_join(l, "|", &j) < 0)
                return NULL;
        return j;
}
