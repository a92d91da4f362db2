/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The services section of the policy: units to disable and the listeners expected. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "services-policy.h"
#include "strv.h"

bool valid_unit_name(const char *s) {
        static const char *const suffixes[] = { ".service", ".socket", ".timer", ".path" };
        const char *dot = strrchr(s, '.');
        size_t l = strlen(s);
        bool ok = false;

        if (l == 0 || l > 255 || !dot || dot == s)
                return false;
        for (size_t i = 0; i < ELEMENTSOF(suffixes); i++)
                if (streq(dot, suffixes[i]))
                        ok = true;
        for (const char *c = s; ok && c < dot; c++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:-_.@\\", *c))
                        ok = false;
        return ok;
}

static int each_unit(Parser *p, const config_setting_t *e, const char *path, size_t i, const char *v, void *userdata) {
        char ***l = userdata;

        if (!valid_unit_name(v))
                return fail_at(p, elem_line(e),
                               "%s[%zu]: \"%s\" is not a unit name (name.service, .socket, .timer or .path)", path, i,
                               v);
        if (strv_contains(*l, v))
                return fail_at(p, elem_line(e), "%s[%zu]: \"%s\" is listed twice", path, i, v);
        return strv_extend(l, v);
}

static int each_listener(Parser *p, const config_setting_t *e, const char *path, size_t i, const char *v,
                         void *userdata) {
        ServicesPolicy *s = userdata;
        ListenerSpec l = {};
        const char *port;
        char *end;
        unsigned long x;

        if ((port = startswith(v, "tcp/")))
                l.proto = IPPROTO_TCP;
        else if ((port = startswith(v, "udp/")))
                l.proto = IPPROTO_UDP;
        else
                return fail_at(p, elem_line(e), "%s[%zu]: \"%s\" must be \"tcp/PORT\" or \"udp/PORT\"", path, i, v);
        errno = 0;
        x = strtoul(port, &end, 10);
        if (!*port || *port == '-' || *port == '+' || *end || errno || x < 1 || x > 65535)
                return fail_at(p, elem_line(e), "%s[%zu]: \"%s\" has a port out of range (1-65535)", path, i, v);
        l.port = (uint16_t) x;
        for (size_t j = 0; j < s->n_listeners_allow; j++)
                if (s->listeners_allow[j].proto == l.proto && s->listeners_allow[j].port == l.port)
                        return fail_at(p, elem_line(e), "%s[%zu]: \"%s\" is listed twice", path, i, v);
        if (ARRAY_GROW_ONE(s->listeners_allow, s->n_listeners_allow) < 0)
                return -ENOMEM;
        s->listeners_allow[s->n_listeners_allow++] = l;
        return 0;
}

void services_policy_init(Policy *pol) {
        pol->services = (ServicesPolicy){ .enable = -1, .mask = -1 };
}

int services_policy_parse(Parser *p, Policy *pol, const config_setting_t *g) {
        static const char *const keys[] = { "enable", "disable", "mask", "listeners_allow", NULL };
        ServicesPolicy *s = &pol->services;
        int r;

        r = check_keys(p, g, "services", keys);
        if (r < 0)
                return r;
        s->line = (unsigned) config_setting_source_line(g);
        if ((r = get_bool(p, g, "services", "enable", &s->enable)) < 0 ||
            (r = get_bool(p, g, "services", "mask", &s->mask)) < 0)
                return r;
        if (config_setting_get_member(g, "disable")) {
                s->disable = calloc(1, sizeof(char *)); /* set, also when empty */
                if (!s->disable)
                        return -ENOMEM;
        }
        r = get_strings(p, g, "services", "disable", each_unit, &s->disable);
        if (r < 0)
                return r;
        if (config_setting_get_member(g, "listeners_allow")) {
                s->listeners_allow = calloc(1, sizeof(ListenerSpec)); /* set, also when empty */
                if (!s->listeners_allow)
                        return -ENOMEM;
        }
        r = get_strings(p, g, "services", "listeners_allow", each_listener, s);
        return r < 0 ? r : 0;
}

/* The services defaults, in the one place they live; conf/hardend.conf says the same. */
int services_policy_defaults(Policy *pol) {
        static const char *const disable[] = { "rpcbind.service", "rpcbind.socket", "avahi-daemon.service",
                                               "cups.service",    "telnet.socket",  "xinetd.service" };
        static const ListenerSpec listeners[] = {
                { IPPROTO_TCP, 22 }, { IPPROTO_TCP, 80 },  { IPPROTO_TCP, 443 },
                { IPPROTO_UDP, 68 }, { IPPROTO_UDP, 546 },
        };
        ServicesPolicy *s = &pol->services;

        if (s->enable < 0)
                s->enable = true;
        if (!s->disable) {
                s->disable = calloc(1, sizeof(char *));
                if (!s->disable)
                        return -ENOMEM;
                for (size_t i = 0; i < ELEMENTSOF(disable); i++)
                        if (strv_extend(&s->disable, disable[i]) < 0)
                                return -ENOMEM;
        }
        if (s->mask < 0)
                s->mask = true;
        if (!s->listeners_allow) {
                s->listeners_allow = calloc(ELEMENTSOF(listeners), sizeof(ListenerSpec));
                if (!s->listeners_allow)
                        return -ENOMEM;
                memcpy(s->listeners_allow, listeners, sizeof(listeners));
                s->n_listeners_allow = ELEMENTSOF(listeners);
        }
        return 0;
}

void services_policy_done(Policy *pol) {
        ServicesPolicy *s = &pol->services;

        s->disable = strv_free(s->disable);
        s->listeners_allow = mfree(s->listeners_allow);
        s->n_listeners_allow = 0;
}

static bool services_policy_equal(const Policy *pa, const Policy *pb) {
        const ServicesPolicy *va = &pa->services, *vb = &pb->services;

        if (va->enable != vb->enable || !strv_equal(va->disable, vb->disable) || va->mask != vb->mask ||
            va->n_listeners_allow != vb->n_listeners_allow)
                return false;
        for (size_t i = 0; i < va->n_listeners_allow; i++)
                if (va->listeners_allow[i].proto != vb->listeners_allow[i].proto ||
                    va->listeners_allow[i].port != vb->listeners_allow[i].port)
                        return false;
        return true;
}

const PolicySection services_policy_section = {
        .name = "services",
        .init = services_policy_init,
        .parse = services_policy_parse,
        .defaults = services_policy_defaults,
        .done = services_policy_done,
        .equal = services_policy_equal,
};
