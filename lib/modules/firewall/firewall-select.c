/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "firewall-select.h"
#include "sys/nftables.h"

static int iptables_variant(char **ret_target) {
        return iptables_is_nft(FW_IPTABLES_PATH, ret_target);
}

/* The live host: both backends, /usr/sbin/iptables. */
static const FwBackend select_kernel = {
        .backends = { &fw_backend_nftables, &fw_backend_iptables },
        .iptables_variant = iptables_variant,
};

/* Sets *ret_why; returns r (-ENOMEM when the text cannot be made). */
static int _printf_(3, 4) reason(int r, char **ret_why, const char *fmt, ...) {
        va_list ap;
        int k;

        va_start(ap, fmt);
        k = vasprintf(ret_why, fmt, ap);
        va_end(ap);
        if (k < 0) {
                *ret_why = NULL;
                return -ENOMEM;
        }
        return r;
}

int fw_select_decide(FirewallBackend want, const FwHost *h, FirewallBackend *ret, char **ret_why) {
        const char *target = h->iptables_target ?: "?";
        const char *nft_why = h->nftables_why ?: "the kernel has no nf_tables";
        const char *legacy_why = h->legacy_why ?: "the kernel has no legacy x_tables";
        FirewallBackend b;
        int r;

        switch (want) {
        case FIREWALL_BACKEND_NFTABLES:
                if (!h->nftables)
                        return reason(-EOPNOTSUPP, ret_why, "firewall.backend = \"nftables\", but %s", nft_why);
                b = want;
                r = reason(0, ret_why, "firewall.backend = \"nftables\"");
                break;
        case FIREWALL_BACKEND_IPTABLES:
                if (!h->legacy)
                        return reason(-EOPNOTSUPP, ret_why, "firewall.backend = \"iptables\", but %s", legacy_why);
                b = want;
                r = reason(0, ret_why, "firewall.backend = \"iptables\"");
                break;
        case FIREWALL_BACKEND_AUTO:
                if (!h->nftables && !h->legacy)
                        return reason(-EOPNOTSUPP, ret_why, "auto: no backend can be used: %s; %s", nft_why,
                                      legacy_why);
                if (h->iptables > 0 && h->nftables) {
                        b = FIREWALL_BACKEND_NFTABLES;
                        r = reason(0, ret_why, "auto: %s is %s", FW_IPTABLES_PATH, target);
                } else if (h->iptables > 0) {
                        b = FIREWALL_BACKEND_IPTABLES;
                        r = reason(0, ret_why, "auto: %s is %s, but %s: the legacy tables", FW_IPTABLES_PATH, target,
                                   nft_why);
                } else if (!h->legacy) {
                        b = FIREWALL_BACKEND_NFTABLES;
                        r = reason(0, ret_why, "auto: %s", legacy_why);
                } else if (h->iptables == 0) {
                        b = FIREWALL_BACKEND_IPTABLES;
                        r = reason(0, ret_why, "auto: %s is %s", FW_IPTABLES_PATH, target);
                } else if (h->nftables) {
                        b = FIREWALL_BACKEND_NFTABLES;
                        r = reason(0, ret_why, "auto: no %s, and the kernel has nf_tables", FW_IPTABLES_PATH);
                } else {
                        b = FIREWALL_BACKEND_IPTABLES;
                        r = reason(0, ret_why, "auto: no %s, and %s", FW_IPTABLES_PATH, nft_why);
                }
                break;
        default:
                return -EINVAL;
        }
        if (r >= 0)
                *ret = b;
        return r;
}

void fw_choice_done(FwChoice *c) {
        free(c->why);
        *c = (FwChoice){};
}

/* 1 usable, 0 not (with *ret_why), -errno. A backend the host does not have is not usable. */
static int usable(const FwBackendOps *ops, const FwWant *w, char **ret_why) {
        if (!ops)
                return reason(0, ret_why, "this build has no such backend");
        *ret_why = NULL;
        return ops->usable(w, ret_why);
}

int fw_select(const FwWant *w, FwChoice *ret) {
        const FwBackend *b = w->sys ?: &select_kernel;
        _cleanup_free_ char *target = NULL, *nft_why = NULL, *legacy_why = NULL, *why = NULL;
        FirewallBackend chosen;
        FwHost h = {};
        int r;

        if (b->iptables_variant) {
                h.iptables = b->iptables_variant(&target);
                if (h.iptables < 0 && h.iptables != -ENOENT)
                        return h.iptables;
        } else
                h.iptables = -ENOENT;
        h.iptables_target = target;
        r = usable(b->backends[0], w, &nft_why);
        if (r < 0)
                return r;
        h.nftables = r > 0;
        h.nftables_why = nft_why;
        r = usable(b->backends[1], w, &legacy_why);
        if (r < 0)
                return r;
        h.legacy = r > 0;
        h.legacy_why = legacy_why;

        r = fw_select_decide(w->policy->firewall.backend, &h, &chosen, &why);
        if (r == -EOPNOTSUPP) {
                *ret = (FwChoice){ .why = TAKE_PTR(why) };
                return 0;
        }
        if (r < 0)
                return r;
        *ret = (FwChoice){
                .ops = b->backends[chosen == FIREWALL_BACKEND_IPTABLES],
                .other = chosen == FIREWALL_BACKEND_IPTABLES ? (h.nftables ? b->backends[0] : NULL)
                                                             : (h.legacy ? b->backends[1] : NULL),
                .why = TAKE_PTR(why),
        };
        return 0;
}
