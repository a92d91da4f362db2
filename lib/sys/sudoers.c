/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strv.h"
#include "sudoers.h"

#define SUDOERS_DEPTH_MAX 128 /* as sudo's own include limit */

static const struct {
        const char *name;
        SudoersOtherPassword flag;
} other_pw_flags[] = {
        { "rootpw", SUDOERS_ROOTPW },
        { "targetpw", SUDOERS_TARGETPW },
        { "runaspw", SUDOERS_RUNASPW },
};

const char *sudoers_other_password_to_string(SudoersOtherPassword f) {
        for (size_t i = 0; i < ELEMENTSOF(other_pw_flags); i++)
                if (other_pw_flags[i].flag == f)
                        return other_pw_flags[i].name;
        return NULL;
}

typedef struct Scan {
        const SudoersReader *reader;
        unsigned set;    /* in effect so far */
        unsigned sticky; /* set by a scoped Defaults: no later plain "!flag" undoes it for everybody */
        char *where[ELEMENTSOF(other_pw_flags)];
} Scan;

static void scan_done(Scan *s) {
        for (size_t i = 0; i < ELEMENTSOF(s->where); i++)
                free(s->where[i]);
}

bool sudoers_includedir_name_ok(const char *name) {
        return *name && !strchr(name, '.') && !endswith(name, "~");
}

static int cmp_names(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static int scan_file(Scan *s, const char *path, unsigned depth);

/* One parameter of a Defaults line, trimmed: "rootpw", "!rootpw", "secure_path=...". */
static int scan_param(Scan *s, const char *p, size_t n, bool scoped, const char *path, unsigned line) {
        bool negate = false;

        while (n > 0 && *p == '!')
                negate = !negate, p++, n--;
        for (size_t i = 0; i < ELEMENTSOF(other_pw_flags); i++) {
                unsigned f = other_pw_flags[i].flag;

                if (strlen(other_pw_flags[i].name) != n || memcmp(p, other_pw_flags[i].name, n) != 0)
                        continue;
                if (negate) {
                        if (!scoped && !(s->sticky & f)) {
                                s->set &= ~f;
                                free(s->where[i]);
                                s->where[i] = NULL;
                        }
                        return 0;
                }
                if (scoped)
                        s->sticky |= f;
                if (!(s->set & f)) {
                        s->set |= f;
                        free(s->where[i]);
                        if (asprintf(&s->where[i], "%s:%u", path, line) < 0) {
                                s->where[i] = NULL;
                                return -ENOMEM;
                        }
                }
                return 0;
        }
        return 0;
}

/* The rest of a Defaults line after the keyword: an optional binding (":users", "@hosts",
 * ">runas", "!cmnds"), then parameters separated by commas (not within double quotes). */
static int scan_defaults(Scan *s, const char *p, const char *path, unsigned line) {
        bool scoped = false;

        if (strchr(":@>!", *p)) {
                scoped = true;
                /* the binding list ends at white space that does not follow a comma */
                for (;;) {
                        p += strcspn(p, " \t");
                        if (p[-1] != ',' || !*p)
                                break;
                        p += strspn(p, " \t");
                }
        }
        while (*p) {
                const char *start, *end;
                bool quoted = false;

                p += strspn(p, " \t,");
                start = p;
                for (; *p && (quoted || *p != ','); p++)
                        if (*p == '"')
                                quoted = !quoted;
                        else if (*p == '\\' && p[1])
                                p++;
                end = p;
                while (end > start && isspace((unsigned char) end[-1]))
                        end--;
                if (end > start) {
                        int r = scan_param(s, start, (size_t) (end - start), scoped, path, line);

                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

/* The path of an include directive: quoted or not, backslash escapes, %h; relative to the
 * directory of the including file. */
static int include_path(const SudoersReader *rd, const char *p, const char *from, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t n = 0;
        FILE *f;
        bool quoted = *p == '"';

        f = open_memstream(&buf, &n);
        if (!f)
                return -ENOMEM;
        if (p[quoted] != '/') {
                const char *slash = strrchr(from, '/');

                if (slash)
                        (void) fwrite(from, 1, (size_t) (slash - from) + 1, f);
        }
        for (p += quoted; *p; p++) {
                if (quoted ? *p == '"' : isspace((unsigned char) *p))
                        break;
                if (*p == '\\' && p[1])
                        (void) fputc(*++p, f);
                else if (*p == '%' && p[1] == 'h')
                        (void) fputs(strempty(rd->hostname), f), p++;
                else if (*p == '%' && p[1] == '%')
                        (void) fputc('%', f), p++;
                else
                        (void) fputc(*p, f);
        }
        if (fclose(f) < 0 || !buf)
                return -ENOMEM;
        if (isempty(buf) || endswith(buf, "/"))
                return -EINVAL;
        *ret = TAKE_PTR(buf);
        return 0;
}

static int scan_dir(Scan *s, const char *dir, unsigned depth) {
        _cleanup_strv_free_ char **names = NULL;
        int r;

        r = s->reader->list(dir, &names, s->reader->userdata);
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        qsort(names, strv_length(names), sizeof(char *), cmp_names);
        STRV_FOREACH (n, names) {
                _cleanup_free_ char *p = NULL;

                if (!sudoers_includedir_name_ok(*n))
                        continue;
                if (asprintf(&p, "%s/%s", dir, *n) < 0)
                        return -ENOMEM;
                r = scan_file(s, p, depth + 1);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Returns the text after a directive word followed by white space, or NULL. */
static const char *directive(const char *line, const char *word) {
        const char *p = startswith(line, word);

        if (!p || (*p != ' ' && *p != '\t'))
                return NULL;
        return p + strspn(p, " \t");
}

static int scan_line(Scan *s, const char *l, const char *path, unsigned line, unsigned depth) {
        _cleanup_free_ char *inc = NULL, *copy = NULL;
        const char *p;
        bool dir = false;
        int r;

        l += strspn(l, " \t");
        if ((p = directive(l, "#includedir")) || (p = directive(l, "@includedir")))
                dir = true;
        else if (!(p = directive(l, "#include")) && !(p = directive(l, "@include"))) {
                char *c;
                bool quoted = false;

                p = startswith(l, "Defaults");
                if (!p || (*p && !strchr(":@>! \t", *p)))
                        return 0;
                /* a comment starts at '#' outside quotes that is not a "#uid" */
                copy = strdup(p);
                if (!copy)
                        return -ENOMEM;
                for (c = copy; *c; c++)
                        if (*c == '"')
                                quoted = !quoted;
                        else if (*c == '\\' && c[1])
                                c++;
                        else if (*c == '#' && !quoted && !isdigit((unsigned char) c[1])) {
                                *c = 0;
                                break;
                        }
                return scan_defaults(s, copy, path, line);
        }
        if (depth >= SUDOERS_DEPTH_MAX)
                return 0;
        r = include_path(s->reader, p, path, &inc);
        if (r == -EINVAL)
                return 0;
        if (r < 0)
                return r;
        return dir ? scan_dir(s, inc, depth) : scan_file(s, inc, depth + 1);
}

static int scan_file(Scan *s, const char *path, unsigned depth) {
        _cleanup_free_ char *text = NULL;
        unsigned no = 0;
        char *l, *next;
        int r;

        r = s->reader->read(path, &text, s->reader->userdata);
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        for (l = text; l && *l; l = next) {
                unsigned first = ++no;
                char *w, *e;

                next = strchr(l, '\n');
                if (next)
                        *next++ = 0;
                /* a backslash at the end of a line continues it on the next */
                while ((e = l + strlen(l)) > l && e[-1] == '\\' && next) {
                        char *nn = strchr(next, '\n');

                        if (nn)
                                *nn++ = 0;
                        e[-1] = ' ';
                        memmove(e, next, strlen(next) + 1);
                        next = nn;
                        no++;
                }
                for (w = l; *w; w++)
                        if (*w == '\r')
                                *w = ' ';
                r = scan_line(s, l, path, first, depth);
                if (r < 0)
                        return r;
        }
        return 0;
}

int sudoers_other_password(const SudoersReader *r, const char *path, unsigned *ret_flags, char **ret_where) {
        _cleanup_(scan_done) Scan s = { .reader = r };
        int k;

        k = scan_file(&s, path, 0);
        if (k < 0)
                return k;
        if (ret_where) {
                *ret_where = NULL;
                for (size_t i = 0; i < ELEMENTSOF(other_pw_flags); i++)
                        if (s.set & other_pw_flags[i].flag) {
                                *ret_where = TAKE_PTR(s.where[i]);
                                break;
                        }
        }
        *ret_flags = s.set;
        return 0;
}
