/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "array.h"
#include "parse-util.h"
#include "strv.h"
#include "sys/fileio.h"
#include "sys/sshd-socket.h"
#include "sys/unitfiles.h"

static const char *const sshd_start_kind_table[_SSHD_START_MAX] = {
        [SSHD_START_NONE] = "none",
        [SSHD_START_SERVICE] = "service",
        [SSHD_START_SOCKET] = "socket",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(sshd_start_kind, SshdStartKind);

static const char *const socket_units[] = { "ssh.socket", "sshd.socket" };
static const char *const service_units[] = { "ssh.service", "sshd.service" };
static const char *const generator_paths[] = {
        "/usr/lib/systemd/system-generators/sshd-socket-generator",
        "/lib/systemd/system-generators/sshd-socket-generator",
};

void sshd_start_done(SshdStart *s) {
        free(s->unit);
        strv_free(s->files);
        for (size_t i = 0; i < s->n_listen; i++)
                free(s->listen[i].address);
        free(s->listen);
        strv_free(s->skipped);
        *s = (SshdStart){};
}

int sshd_listen_stream_parse(const char *value, bool ipv6_only, uint16_t *ret_port, int *ret_family) {
        _cleanup_free_ char *host = NULL;
        const char *port;
        struct in6_addr a6;
        struct in_addr a4;
        uint16_t p;
        int family, r;

        if (isempty(value))
                return -EINVAL;
        if (value[0] == '/' || value[0] == '@' || startswith(value, "vsock:"))
                return 0;
        if (value[0] == '[') {
                const char *close = strchr(value, ']');

                if (!close || close[1] != ':')
                        return -EINVAL;
                host = strndup(value + 1, (size_t) (close - value - 1));
                if (!host)
                        return -ENOMEM;
                host[strcspn(host, "%")] = 0; /* [fe80::1%eth0]: the interface */
                if (inet_pton(AF_INET6, host, &a6) != 1)
                        return -EINVAL;
                if (IN6_IS_ADDR_LOOPBACK(&a6))
                        return 0;
                port = close + 2;
                family = IN6_IS_ADDR_UNSPECIFIED(&a6) && !ipv6_only ? AF_UNSPEC : AF_INET6;
        } else if (strchr(value, ':')) {
                const char *colon = strrchr(value, ':');

                host = strndup(value, (size_t) (colon - value));
                if (!host)
                        return -ENOMEM;
                if (inet_pton(AF_INET, host, &a4) != 1)
                        return -EINVAL;
                if ((ntohl(a4.s_addr) >> 24) == 127)
                        return 0;
                port = colon + 1;
                family = AF_INET;
        } else {
                port = value;
                family = ipv6_only ? AF_INET6 : AF_UNSPEC;
        }
        r = parse_port(port, &p);
        if (r < 0)
                return r;
        *ret_port = p;
        *ret_family = family;
        return 1;
}

static int listen_add(SshdStart *s, uint16_t port, int family, const char *address) {
        char *a;

        for (size_t i = 0; i < s->n_listen; i++)
                if (s->listen[i].port == port && s->listen[i].family == family)
                        return 0;
        a = strdup(address);
        if (!a || ARRAY_GROW_ONE(s->listen, s->n_listen) < 0) {
                free(a);
                return -ENOMEM;
        }
        s->listen[s->n_listen++] = (SshdListen){ .port = port, .family = family, .address = a };
        return 0;
}

static int bind_ipv6_only_line(const char *section, const char *key, const char *value, void *userdata) {
        bool *ipv6_only = userdata;

        if (streq(section, "Socket") && streq(key, "BindIPv6Only"))
                *ipv6_only = streq(value, "ipv6-only");
        return 0;
}

int sshd_start_parse_socket(SshdStart *s, char **texts, char **ret_bad) {
        _cleanup_strv_free_ char **values = NULL;
        bool ipv6_only = false;
        int r;

        STRV_FOREACH (t, texts) {
                r = unit_list_apply(*t, "Socket", "ListenStream", &values);
                if (r >= 0)
                        r = unit_text_foreach(*t, bind_ipv6_only_line, &ipv6_only);
                if (r < 0)
                        return r;
        }
        STRV_FOREACH (v, values) {
                uint16_t port = 0;
                int family = AF_UNSPEC;

                r = sshd_listen_stream_parse(*v, ipv6_only, &port, &family);
                if (r == -EINVAL) {
                        if (ret_bad)
                                *ret_bad = strdup(*v);
                        return r;
                }
                if (r < 0)
                        return r;
                r = r > 0 ? listen_add(s, port, family, *v) : strv_extend(&s->skipped, *v);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int unit_state(const char *root, const char *unit, bool *ret_enabled) {
        _cleanup_free_ char *error = NULL;
        UnitState st = {};
        bool found;
        int r;

        r = unit_ops_disk.get_state((void *) root, unit, &st, &error);
        if (r < 0)
                return r;
        found = st.found;
        *ret_enabled = st.found && st.enabled && !st.masked;
        unit_state_done(&st);
        return found;
}

static int read_socket(const char *root, const char *unit, SshdStart *s, char **ret_bad) {
        _cleanup_strv_free_ char **dropins = NULL, **texts = NULL;
        _cleanup_free_ char *path = NULL;
        int r;

        r = unit_file_find(root, unit, &path, NULL);
        if (r < 0)
                return r;
        r = unit_file_dropins(root, unit, &dropins);
        if (r < 0)
                return r;
        r = strv_extend(&s->files, path);
        STRV_FOREACH (d, dropins)
                if (r >= 0)
                        r = strv_extend(&s->files, *d);
        if (r < 0)
                return r;
        STRV_FOREACH (f, s->files) {
                _cleanup_free_ char *text = NULL;

                r = unit_file_read(root, *f, &text);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        continue; /* systemd passes over a file it cannot read too */
                r = strv_consume(&texts, TAKE_PTR(text));
                if (r < 0)
                        return r;
        }
        return sshd_start_parse_socket(s, texts, ret_bad);
}

int sshd_start_find(const char *root, SshdStart *ret, char **ret_bad) {
        _cleanup_(sshd_start_done) SshdStart s = {};
        const char *found_service = NULL;
        int r;

        for (size_t i = 0; i < ELEMENTSOF(generator_paths); i++) {
                struct stat st;

                if (lstat_at_root(root, generator_paths[i], &st) >= 0 && S_ISREG(st.st_mode))
                        s.generator = true;
        }
        for (size_t i = 0; i < ELEMENTSOF(socket_units); i++) {
                bool enabled;

                r = unit_state(root, socket_units[i], &enabled);
                if (r < 0)
                        return r;
                if (!enabled)
                        continue;
                s.kind = SSHD_START_SOCKET;
                s.unit = strdup(socket_units[i]);
                if (!s.unit)
                        return -ENOMEM;
                r = read_socket(root, socket_units[i], &s, ret_bad);
                if (r < 0)
                        return r;
                goto done;
        }
        for (size_t i = 0; i < ELEMENTSOF(service_units); i++) {
                bool enabled;

                r = unit_state(root, service_units[i], &enabled);
                if (r < 0)
                        return r;
                if (r > 0 && !found_service)
                        found_service = service_units[i];
                if (enabled) {
                        found_service = service_units[i];
                        break;
                }
        }
        if (found_service) {
                s.kind = SSHD_START_SERVICE;
                s.unit = strdup(found_service);
                if (!s.unit)
                        return -ENOMEM;
        }
done:
        *ret = s;
        s = (SshdStart){};
        return 0;
}
