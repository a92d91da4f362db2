/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The answers of ssh -Q and sshd -T, kept while nothing they depend on changed on disk, so that a
 * probe of an unchanged system (the watcher's interval probe, the re-probes of one apply) spawns
 * nothing. The cache lives in the caller's Context (one slot per module), never in a global. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "array.h"
#include "macro.h"
#include "strv.h"
#include "time-util.h"
#include "fileio.h"
#include "sshd.h"

/* A file whose mtime or ctime is this close to now may still change within the same timestamp
 * tick without its stat changing ("racily clean", as git calls it). Files up to HASH_MAX (every
 * configuration file) are hashed always, so that the signature does not depend on the time. */
#define RACY_NS     (2 * 1000000000LL)
#define HASH_MAX    (64 * 1024)
#define MAX_ENTRIES 64

typedef struct CacheEntry {
        char **argv;      /* the exact command line */
        SshSignature sig; /* the inputs it read, when it ran */
        char **list;      /* ssh -Q */
        SshdDump dump;    /* sshd -T */
} CacheEntry;

struct SshdCache {
        CacheEntry *entries;
        size_t n;
        unsigned hits, misses;
        char *path; /* where the answers persist between processes; NULL: in memory only */
        bool dirty; /* an answer was learnt since it was loaded */
};

void ssh_signature_done(SshSignature *s) {
        free(s->v);
        *s = (SshSignature){};
}

bool ssh_signature_equal(const SshSignature *a, const SshSignature *b) {
        return a->n == b->n && (a->n == 0 || memcmp(a->v, b->v, a->n * sizeof(uint64_t)) == 0);
}

static int sig_push(SshSignature *s, uint64_t x) {
        if (s->n == s->allocated) {
                size_t na = s->allocated ? s->allocated * 2 : 64;
                uint64_t *nv = reallocarray(s->v, na, sizeof(uint64_t));

                if (!nv)
                        return -ENOMEM;
                s->v = nv;
                s->allocated = na;
        }
        s->v[s->n++] = x;
        return 0;
}

static uint64_t fnv1a(uint64_t h, const void *data, size_t len) {
        const unsigned char *p = data;

        for (size_t i = 0; i < len; i++) {
                h ^= p[i];
                h *= 0x100000001b3ULL;
        }
        return h;
}

#define FNV_INIT 0xcbf29ce484222325ULL

static int64_t ts_ns(struct timespec t) {
        return (int64_t) t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* Content hash of a recently changed regular file (dirfd/name as opened by the caller). */
static int hash_file(int dirfd, const char *name, uint64_t *ret) {
        _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        char buf[8192];
        uint64_t h = FNV_INIT;
        size_t total = 0;

        if (fd < 0)
                return -errno;
        for (;;) {
                ssize_t n = read(fd, buf, sizeof(buf));

                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                total += (size_t) n;
                if (total > HASH_MAX)
                        return -EFBIG;
                h = fnv1a(h, buf, (size_t) n);
        }
        *ret = h;
        return 0;
}

/* Appends (dev, inode, mode, uid, gid, size, mtime_ns, ctime_ns) of name (symlinks followed, as sshd
 * does) and, for a small regular file, a hash of its content: a change within one timestamp tick
 * can leave the stat as it was. A larger file changed within RACY_NS of now cannot be signed
 * (-EAGAIN: the answer is not kept). A missing file is a marker. */
static int sig_add_at(SshSignature *s, int dirfd, const char *name, int64_t now) {
        struct stat st;
        uint64_t h = 0;
        int r;

        if (fstatat(dirfd, name, &st, 0) < 0)
                return sig_push(s, (uint64_t) 0xdead0000 | (uint64_t) errno);
        if (S_ISREG(st.st_mode) && st.st_size <= HASH_MAX) {
                r = hash_file(dirfd, name, &h);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return -EAGAIN;
        } else if (!S_ISDIR(st.st_mode) && (now - ts_ns(st.st_mtim) < RACY_NS || now - ts_ns(st.st_ctim) < RACY_NS))
                return -EAGAIN; /* a directory's entries are signed one by one, with their names */
        uint64_t v[] = { (uint64_t) st.st_dev,         (uint64_t) st.st_ino,         (uint64_t) st.st_mode,
                         (uint64_t) st.st_uid,         (uint64_t) st.st_gid,         (uint64_t) st.st_size,
                         (uint64_t) ts_ns(st.st_mtim), (uint64_t) ts_ns(st.st_ctim), h };
        for (size_t i = 0; i < ELEMENTSOF(v); i++)
                if ((r = sig_push(s, v[i])) < 0)
                        return r;
        return 0;
}

static int sig_add_path(SshSignature *s, const char *root, const char *path, int64_t now) {
        _cleanup_free_ char *full = NULL;
        int r = path_join_root(root, path, &full);

        if (r < 0)
                return r;
        return sig_add_at(s, AT_FDCWD, full, now);
}

/* In /etc/ssh, what sshd -T reads: its configuration and the host keys (it refuses to run without
 * one). The others (moduli, ssh_config, ...) are signed by name only. */
static bool sshd_reads(const char *name) {
        return startswith(name, "sshd_config") || startswith(name, "ssh_host_");
}

/* The directory and every entry in it (with only, those for which only() is true; the others by
 * name), in readdir order (stable while the directory is unchanged, and any change to its
 * entries changes the directory's own mtime). */
static int sig_add_dir(SshSignature *s, const char *root, const char *path, bool (*only)(const char *name),
                       int64_t now) {
        _cleanup_free_ char *full = NULL;
        DIR *d;
        int r = path_join_root(root, path, &full);

        if (r < 0)
                return r;
        r = sig_add_at(s, AT_FDCWD, full, now);
        if (r < 0)
                return r;
        d = opendir(full);
        if (!d)
                return sig_push(s, (uint64_t) 0xd1d0000 | (uint64_t) errno);
        for (struct dirent *de; (de = readdir(d));) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                r = sig_push(s, fnv1a(FNV_INIT, de->d_name, strlen(de->d_name)));
                if (r >= 0 && (!only || only(de->d_name)))
                        r = sig_add_at(s, dirfd(d), de->d_name, now);
                if (r < 0) {
                        closedir(d);
                        return r;
                }
        }
        closedir(d);
        return sig_push(s, 0x3e3e3e3e);
}

int sshd_signature(const char *root, const char *binary, const char *config, SshSignature *ret) {
        static const char *const files[] = { "/etc/passwd", "/etc/group", "/etc/nsswitch.conf" };
        _cleanup_(ssh_signature_done) SshSignature s = {};
        int64_t now = (int64_t) now_realtime_nsec();
        int r;

        r = sig_add_path(&s, root, binary, now);
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(files); i++)
                r = sig_add_path(&s, root, files[i], now);
        /* /etc/ssh holds the main file and the host keys, sshd_config.d the drop-ins */
        if (r >= 0)
                r = sig_add_dir(&s, root, "/etc/ssh", sshd_reads, now);
        if (r >= 0)
                r = sig_add_dir(&s, root, "/etc/ssh/sshd_config.d", NULL, now);
        if (r >= 0 && config && !startswith(config, "/etc/ssh/")) {
                /* a staged copy: its directory and its sshd_config.d */
                _cleanup_free_ char *dir = strndup(config, (size_t) (strrchr(config, '/') - config)), *sub = NULL;

                if (!dir || asprintf(&sub, "%s/sshd_config.d", dir) < 0)
                        return -ENOMEM;
                r = sig_add_dir(&s, root, dir[0] ? dir : "/", NULL, now);
                if (r >= 0)
                        r = sig_add_dir(&s, root, sub, NULL, now);
        }
        if (r < 0)
                return r;
        *ret = s;
        s = (SshSignature){};
        return 0;
}

int ssh_tool_signature(const char *root, const char *binary, SshSignature *ret) {
        _cleanup_(ssh_signature_done) SshSignature s = {};
        int r = sig_add_path(&s, root, binary, (int64_t) now_realtime_nsec());

        if (r < 0)
                return r;
        *ret = s;
        s = (SshSignature){};
        return 0;
}

SshdCache *sshd_cache_new(void) {
        return calloc(1, sizeof(SshdCache));
}

static void entry_done(CacheEntry *e) {
        strv_free(e->argv);
        ssh_signature_done(&e->sig);
        strv_free(e->list);
        sshd_dump_done(&e->dump);
        *e = (CacheEntry){};
}

/* ---- the answers kept in a file: "hardend-sshd-answers 1", then per entry its command line
 * ("a ARG" lines), its signature ("s" and hex words), its answer ("q" for an ssh -Q list, then
 * "l WORD" lines; or "t", then "d KEY VALUE" lines of the sshd -T dump) and "e". Any line not
 * understood drops the whole file: it is only a cache. */

#define ANSWERS_MAGIC "hardend-sshd-answers 1\n"
#define ANSWERS_MAX   (1024 * 1024)

static int parse_sig(const char *p, SshSignature *s) {
        while (*p == ' ') {
                char *end;
                unsigned long long x;

                errno = 0;
                x = strtoull(p + 1, &end, 16);
                if (errno != 0 || end == p + 1 || (*end != ' ' && *end != '\0'))
                        return -EBADMSG;
                if (sig_push(s, x) < 0)
                        return -ENOMEM;
                p = end;
        }
        return *p ? -EBADMSG : 0;
}

static int dump_push(SshdDump *d, const char *line) {
        const char *sp = strchr(line, ' ');
        _cleanup_free_ char *k = NULL, *v = NULL;

        if (!sp)
                return -EBADMSG;
        k = strndup(line, (size_t) (sp - line));
        v = strdup(sp + 1);
        if (!k || !v || ARRAY_GROW_ONE(d->keys, d->n) < 0 || ARRAY_GROW_ONE(d->values, d->n) < 0)
                return -ENOMEM;
        d->keys[d->n] = TAKE_PTR(k);
        d->values[d->n++] = TAKE_PTR(v);
        return 0;
}

static int parse_answers(SshdCache *c, char *text) {
        _cleanup_(entry_done) CacheEntry e = {};
        bool open = false;
        int r = 0;

        if (!startswith(text, ANSWERS_MAGIC))
                return -EBADMSG;
        for (char *line = text + strlen(ANSWERS_MAGIC), *next; *line; line = next) {
                next = line + strcspn(line, "\n");
                if (*next != '\n')
                        return -EBADMSG;
                *next++ = '\0';
                if (streq(line, "b") && !open)
                        open = true;
                else if (!open)
                        return -EBADMSG;
                else if (startswith(line, "a "))
                        r = strv_extend(&e.argv, line + 2);
                else if (startswith(line, "s"))
                        r = parse_sig(line + 1, &e.sig);
                else if (streq(line, "q"))
                        r = (e.list = calloc(1, sizeof(char *))) ? 0 : -ENOMEM;
                else if (startswith(line, "l ") && e.list)
                        r = strv_extend(&e.list, line + 2);
                else if (streq(line, "t"))
                        r = 0;
                else if (startswith(line, "d ") && !e.list)
                        r = dump_push(&e.dump, line + 2);
                else if (streq(line, "e") && e.argv && c->n < MAX_ENTRIES) {
                        if (ARRAY_GROW_ONE(c->entries, c->n) < 0)
                                return -ENOMEM;
                        c->entries[c->n++] = e;
                        e = (CacheEntry){};
                        open = false;
                } else
                        return -EBADMSG;
                if (r < 0)
                        return r;
        }
        return open ? -EBADMSG : 0;
}

static int load_answers(SshdCache *c) {
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r;

        r = read_private_file(c->path, ANSWERS_MAX, &text, &len);
        if (r < 0)
                return r;
        if (strlen(text) != len)
                return -EBADMSG;
        return parse_answers(c, text);
}

static bool one_line(const char *s) {
        return s && !strchr(s, '\n');
}

static bool entry_storable(const CacheEntry *e) {
        STRV_FOREACH (a, e->argv)
                if (!one_line(*a))
                        return false;
        STRV_FOREACH (w, e->list)
                if (!one_line(*w) || strchr(*w, ' ') || !**w)
                        return false;
        for (size_t i = 0; i < e->dump.n; i++)
                if (!one_line(e->dump.keys[i]) || !one_line(e->dump.values[i]) || strchr(e->dump.keys[i], ' ') ||
                    !e->dump.keys[i][0])
                        return false;
        return true;
}

static int save_answers(const SshdCache *c) {
        _cleanup_free_ char *text = NULL, *dir = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        int r;

        if (!f)
                return -ENOMEM;
        fputs(ANSWERS_MAGIC, f);
        for (size_t i = 0; i < c->n; i++) {
                const CacheEntry *e = &c->entries[i];

                if (!entry_storable(e))
                        continue;
                fputs("b\n", f);
                STRV_FOREACH (a, e->argv)
                        fprintf(f, "a %s\n", *a);
                fputc('s', f);
                for (size_t k = 0; k < e->sig.n; k++)
                        fprintf(f, " %" PRIx64, e->sig.v[k]);
                fputs(e->list ? "\nq\n" : "\nt\n", f);
                STRV_FOREACH (w, e->list)
                        fprintf(f, "l %s\n", *w);
                for (size_t k = 0; k < e->dump.n; k++)
                        fprintf(f, "d %s %s\n", e->dump.keys[k], e->dump.values[k]);
                fputs("e\n", f);
        }
        if (fclose(f) != 0 || !text)
                return -ENOMEM;
        dir = strndup(c->path, (size_t) (strrchr(c->path, '/') - c->path));
        if (!dir)
                return -ENOMEM;
        r = ensure_dir_at_root("/", dir, 0700, UID_KEEP, GID_KEEP);
        if (r < 0)
                return r;
        return write_file_atomic("/", c->path, text, len, 0600, UID_KEEP, GID_KEEP, NULL);
}

SshdCache *sshd_cache_new_at(const char *path) {
        SshdCache *c = sshd_cache_new();

        if (!c || !path)
                return c;
        c->path = strdup(path);
        if (!c->path || path[0] != '/' || !strchr(path + 1, '/')) {
                sshd_cache_free(c);
                return NULL;
        }
        if (load_answers(c) < 0) {
                for (size_t i = 0; i < c->n; i++)
                        entry_done(&c->entries[i]);
                c->n = 0;
        }
        return c;
}

void sshd_cache_free(void *p) {
        SshdCache *c = p;

        if (!c)
                return;
        if (c->path && c->dirty)
                (void) save_answers(c);
        for (size_t i = 0; i < c->n; i++)
                entry_done(&c->entries[i]);
        free(c->entries);
        free(c->path);
        free(c);
}

void sshd_cache_stats(const SshdCache *c, unsigned *ret_hits, unsigned *ret_misses) {
        *ret_hits = c ? c->hits : 0;
        *ret_misses = c ? c->misses : 0;
}

static CacheEntry *find(SshdCache *c, const char *const *argv) {
        for (size_t i = 0; c && i < c->n; i++)
                if (strv_equal(c->entries[i].argv, (char *const *) argv))
                        return &c->entries[i];
        return NULL;
}

int sshd_cache_lookup(SshdCache *c, const char *const *argv, const SshSignature *sig, char ***ret_list,
                      SshdDump *ret_dump) {
        CacheEntry *e = find(c, argv);
        int r;

        if (!e || !ssh_signature_equal(&e->sig, sig)) {
                if (c)
                        c->misses++;
                return 0;
        }
        if (ret_list) {
                char **l = strv_copy(e->list);

                if (!l)
                        return -ENOMEM;
                *ret_list = l;
        }
        if (ret_dump && (r = sshd_dump_copy(&e->dump, ret_dump)) < 0)
                return r;
        c->hits++;
        return 1;
}

int sshd_cache_store(SshdCache *c, const char *const *argv, SshSignature *sig, char *const *list,
                     const SshdDump *dump) {
        _cleanup_(entry_done) CacheEntry n = {};
        CacheEntry *e;
        int r;

        if (!c)
                return 0;
        n.argv = strv_copy((char *const *) argv);
        if (!n.argv)
                return -ENOMEM;
        if (list && !(n.list = strv_copy(list)))
                return -ENOMEM;
        if (dump && (r = sshd_dump_copy(dump, &n.dump)) < 0)
                return r;
        n.sig = *sig;
        *sig = (SshSignature){};
        e = find(c, argv);
        if (e)
                entry_done(e);
        else {
                if (c->n >= MAX_ENTRIES) {
                        /* staged copies have fresh names each time: drop the oldest */
                        entry_done(&c->entries[0]);
                        memmove(c->entries, c->entries + 1, (c->n - 1) * sizeof(CacheEntry));
                        c->n--;
                }
                if (ARRAY_GROW_ONE(c->entries, c->n) < 0)
                        return -ENOMEM;
                e = &c->entries[c->n++];
        }
        *e = n;
        n = (CacheEntry){};
        c->dirty = true;
        return 0;
}
