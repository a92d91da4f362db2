/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The policy loader: reads the file, hands each section to its module's parser (the table
 * below), fills the defaults, and checks the rules that span sections. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <libconfig.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "modules.h"
#include "policy-parser.h"
#include "policy-scan.h"
#include "policy.h"
#include "strv.h"
#include "sys/fileio.h"
#include "report-policy.h"
#include "watch-policy.h"

/* In the order they are parsed; adding a module's section is adding its entry. */
/* The sections: each module's (the module table), then the watcher's and the report's. */
static const PolicySection *const core_sections[] = { &watch_policy_section, &report_policy_section };

static size_t n_sections(const Policy *pol) {
        size_t n = ELEMENTSOF(core_sections);

        for (size_t i = 0; i < pol->n_modules; i++)
                n += pol->modules[i]->policy != NULL;
        return n;
}

static const PolicySection *section(const Policy *pol, size_t k) {
        for (size_t i = 0; i < pol->n_modules; i++)
                if (pol->modules[i]->policy && k-- == 0)
                        return pol->modules[i]->policy;
        return core_sections[k];
}

void **policy_extra(Policy *p, const PolicySection *s) {
        PolicyExtra *free_slot = NULL;

        for (size_t i = 0; i < ELEMENTSOF(p->extra); i++) {
                if (p->extra[i].section == s)
                        return &p->extra[i].data;
                if (!p->extra[i].section && !free_slot)
                        free_slot = &p->extra[i];
        }
        if (!free_slot)
                return NULL;
        free_slot->section = s;
        return &free_slot->data;
}

void *policy_extra_get(const Policy *p, const PolicySection *s) {
        for (size_t i = 0; i < ELEMENTSOF(p->extra); i++)
                if (p->extra[i].section == s)
                        return p->extra[i].data;
        return NULL;
}

const char *proto_to_string(int proto) {
        return proto == IPPROTO_TCP ? "tcp" : proto == IPPROTO_UDP ? "udp" : NULL;
}

void policy_error_done(PolicyError *e) {
        free(e->file);
        free(e->message);
        *e = (PolicyError){};
}

int policy_error_format(const PolicyError *e, char **ret) {
        int r;

        if (e->line > 0)
                r = asprintf(ret, "%s:%u: %s", strna(e->file), e->line, strna(e->message));
        else
                r = asprintf(ret, "%s: %s", strna(e->file), strna(e->message));
        return r < 0 ? -ENOMEM : 0;
}

bool valid_user_name(const char *s) {
        /* Debian's useradd default: ^[a-z_][a-z0-9_-]*[$]?$, at most 32 characters */
        size_t l = strlen(s);

        if (l == 0 || l > 32)
                return false;
        if (!((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
                return false;
        for (size_t i = 1; i < l; i++) {
                char c = s[i];

                if (c == '$' && i == l - 1)
                        continue;
                if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
                        return false;
        }
        return true;
}

/* Rules that span sections: the combinations that would lock the admin out or cannot work. */
static int policy_validate(Parser *p, Policy *pol, const config_setting_t *root) {
        const config_setting_t *ssh = config_setting_get_member(root, "ssh");
        const config_setting_t *admin = config_setting_get_member(root, "admin");
        const config_setting_t *s;

        if (pol->ssh.enable && pol->firewall.enable &&
            !policy_firewall_allows(&pol->firewall, IPPROTO_TCP, pol->ssh.port, AF_INET, NULL) &&
            !policy_firewall_allows(&pol->firewall, IPPROTO_TCP, pol->ssh.port, AF_INET6, NULL)) {
                unsigned line = pol->ssh.port_line ?: pol->ssh.line ?: pol->firewall.line;

                return fail_at(p, line,
                               "ssh.port: tcp/%u is not in firewall.allow; the firewall would lock SSH out "
                               "(add { port = %u; proto = \"tcp\"; } to firewall.allow)",
                               pol->ssh.port, pol->ssh.port);
        }

        /* of the entries the file wrote (line > 0): the default tcp/22 from "::/0" just goes unused */
        for (size_t i = 0; i < pol->firewall.n_allow; i++)
                for (size_t j = 0;
                     !pol->firewall.ipv6 && pol->firewall.allow[i].line > 0 && j < pol->firewall.allow[i].n_sources;
                     j++)
                        if (pol->firewall.allow[i].sources[j].family == AF_INET6)
                                return fail_at(p, pol->firewall.allow[i].line,
                                               "firewall.allow[%zu].sources: IPv6 source while firewall.ipv6 is false",
                                               i);

        if (pol->admin.enable && pol->admin.sudo == SUDO_PASSWORD && !pol->admin.password_hash) {
                s = admin ? config_setting_get_member(admin, "sudo") : NULL;
                return fail_at(p, s ? (unsigned) config_setting_source_line(s) : pol->admin.line,
                               "admin.sudo: \"password\" needs admin.password_hash; with SSH passwords off, "
                               "an admin without a password could never use sudo");
        }

        if (pol->ssh.enable && pol->admin.enable && !pol->ssh.password_authentication &&
            !strv_isempty(pol->ssh.allow_groups) && !strv_contains(pol->ssh.allow_groups, pol->admin.group)) {
                s = ssh ? config_setting_get_member(ssh, "allow_groups") : NULL;
                return fail_at(p, s ? (unsigned) config_setting_source_line(s) : pol->ssh.line,
                               "ssh.allow_groups: does not contain the admin group \"%s\"; the admin could not "
                               "log in",
                               pol->admin.group);
        }
        return 0;
}

Policy *policy_free(Policy *p) {
        if (!p)
                return NULL;
        free(p->source);
        for (size_t i = 0; i < n_sections(p); i++)
                section(p, i)->done(p);
        free(p);
        return NULL;
}

bool policy_equal(const Policy *a, const Policy *b) {
        size_t n = n_sections(a);

        if (a->version != b->version || n != n_sections(b))
                return false;
        for (size_t k = 0; k < n; k++) {
                const PolicySection *s = section(a, k);

                if (s != section(b, k) || (s->equal && !s->equal(a, b)))
                        return false;
        }
        return true;
}

static int policy_parse(Parser *p, config_t *cfg, const Module *const *modules, size_t n_modules, Policy **ret) {
        _cleanup_free_ const char **keys = NULL;
        _cleanup_policy_free_ Policy *pol = NULL;
        config_setting_t *root = config_root_setting(cfg), *s;
        unsigned version = 0;
        int r;

        pol = calloc(1, sizeof(Policy));
        if (!pol)
                return -ENOMEM;
        pol->modules = modules;
        pol->n_modules = n_modules;
        keys = calloc(n_sections(pol) + 2, sizeof(char *));
        if (!keys)
                return -ENOMEM;
        keys[0] = "version";
        for (size_t i = 0; i < n_sections(pol); i++)
                keys[i + 1] = section(pol, i)->name;
        for (size_t i = 0; i < n_sections(pol); i++)
                section(pol, i)->init(pol);
        pol->source = strdup(p->file);
        if (!pol->source)
                return -ENOMEM;

        r = check_keys(p, root, "", (const char *const *) keys);
        if (r < 0)
                return r;
        r = get_uint(p, root, "", "version", 0, 1000000, &version, NULL);
        if (r < 0)
                return r;
        if (r == 0)
                return fail_at(p, 1, "version: missing; this policy format is version = 1");
        if (version != 1)
                return fail(p, config_setting_get_member(root, "version"),
                            "version: %u is not supported; this program reads version = 1", version);
        pol->version = version;

        for (size_t i = 0; i < n_sections(pol); i++) {
                r = lookup(p, root, "", section(pol, i)->name, VT_GROUP, &s);
                if (r < 0)
                        return r;
                if (r > 0 && (r = section(pol, i)->parse(p, pol, s)) < 0)
                        return r;
        }

        /* every integer key took its literal; one left over that libconfig misread is refused all the same */
        for (size_t i = 0; p->ints && i < p->ints->n; i++) {
                const IntLiteral *x = &p->ints->items[i];

                if (!x->used && !x->libconfig_exact)
                        return fail_at(p, x->line, "%.*s%s%.*s is out of range for an integer", (int) x->name_len,
                                       strempty(x->name), x->name ? ": " : "", (int) x->len, x->text);
        }

        for (size_t i = 0; i < n_sections(pol); i++) {
                r = section(pol, i)->defaults(pol);
                if (r < 0)
                        return r;
        }

        r = policy_validate(p, pol, root);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(pol);
        return 0;
}

static int policy_load(config_t *cfg, int read_ok, const char *text, IntLiterals *ints, const char *name,
                       const Module *const *modules, size_t n_modules, Policy **ret, PolicyError *error) {
        Parser p = { .file = name, .text = text, .ints = ints, .error = error };
        int r;

        *error = (PolicyError){};
        if (read_ok != CONFIG_TRUE) {
                if (config_error_type(cfg) == CONFIG_ERR_FILE_IO)
                        return fail_at(&p, 0, "cannot read the policy file");
                return fail_at(&p, (unsigned) config_error_line(cfg), "syntax error: %s",
                               strna(config_error_text(cfg)));
        }
        r = policy_parse(&p, cfg, modules, n_modules, ret);
        if (r == -ENOMEM && !error->message)
                (void) fail_at(&p, 0, "out of memory");
        return r;
}

static void config_setup(config_t *cfg) {
        config_init(cfg);
        /* No silent int->float conversion; @include is refused before parsing. */
        config_set_options(cfg, 0);
}

int policy_load_string(const char *text, const char *name, Policy **ret, PolicyError *error) {
        return policy_load_string_modules(text, name, hardend_modules, hardend_n_modules, ret, error);
}

int policy_load_string_modules(const char *text, const char *name, const Module *const *modules, size_t n,
                               Policy **ret, PolicyError *error) {
        _cleanup_(int_literals_done) IntLiterals ints = {};
        unsigned line = 0;
        config_t cfg;
        int r;

        config_setup(&cfg);
        for (const char *l = text; l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
                Parser p = { .file = name, .error = error };

                line++;
                if (startswith(l + strspn(l, " \t"), "@include")) {
                        *error = (PolicyError){};
                        config_destroy(&cfg);
                        return fail_at(&p, line, "@include is not supported: a policy is one file");
                }
        }
        r = int_literals_scan(text, &ints);
        if (r < 0) {
                Parser p = { .file = name, .error = error };

                *error = (PolicyError){};
                config_destroy(&cfg);
                (void) fail_at(&p, 0, "out of memory");
                return r;
        }
        r = policy_load(&cfg, config_read_string(&cfg, text), text, &ints, name, modules, n, ret, error);
        config_destroy(&cfg);
        return r;
}

static const char *file_type_name(mode_t mode) {
        switch (mode & S_IFMT) {
        case S_IFDIR:
                return "a directory";
        case S_IFCHR:
                return "a character device";
        case S_IFBLK:
                return "a block device";
        case S_IFIFO:
                return "a FIFO";
        case S_IFSOCK:
                return "a socket";
        }
        return "not a regular file";
}

/* Reads at most about twice POLICY_SIZE_MAX, whatever the file claims or does meanwhile. */
static int read_policy_fd(Parser *p, int fd, char **ret, size_t *ret_len) {
        int r = read_fd_max(fd, POLICY_SIZE_MAX, ret, ret_len);

        if (r == -EFBIG)
                (void) fail_at(p, 0, "larger than the %u MiB limit for a policy file", POLICY_SIZE_MAX >> 20);
        else if (r < 0)
                (void) fail_at(p, 0, "cannot read: %s", strerror(-r));
        return r;
}

int policy_load_file(const char *path, Policy **ret, PolicyError *error) {
        _cleanup_free_ char *text = NULL;
        _cleanup_close_ int fd = -EBADF;
        Parser p = { .file = path, .error = error };
        struct stat st;
        size_t len = 0;
        int r;

        *error = (PolicyError){};
        /* O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) {
                r = -errno;
                (void) fail_at(&p, 0, "cannot open: %s", strerror(-r));
                return r;
        }
        if (fstat(fd, &st) < 0) {
                r = -errno;
                (void) fail_at(&p, 0, "cannot read: %s", strerror(-r));
                return r;
        }
        if (!S_ISREG(st.st_mode))
                return fail_at(&p, 0, "is %s; a policy is a regular file of at most %u MiB",
                               file_type_name(st.st_mode), POLICY_SIZE_MAX >> 20);
        if (st.st_size > (off_t) POLICY_SIZE_MAX) {
                (void) fail_at(&p, 0, "%jd bytes, larger than the %u MiB limit for a policy file",
                               (intmax_t) st.st_size, POLICY_SIZE_MAX >> 20);
                return -EFBIG;
        }
        r = read_policy_fd(&p, fd, &text, &len);
        if (r < 0) {
                if (r == -ENOMEM && !error->message)
                        (void) fail_at(&p, 0, "out of memory");
                return r;
        }
        if (memchr(text, 0, len))
                return fail_at(&p, 0, "contains a NUL byte; not a text file");
        return policy_load_string(text, path, ret, error);
}

int policy_load_builtin(Policy **ret, PolicyError *error) {
        return policy_load_string(policy_builtin_text, POLICY_BUILTIN_NAME, ret, error);
}
