/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "firewall-forward.h"
#include "strv.h"
#include "sys/netfilter.h"
#include "sys/netif.h"
#include "sys/nfsnap.h"
#include "sys/nft.h"

int fw_forward_warnings(const Policy *p, char ***ret) {
        _cleanup_strv_free_ char **bridges = NULL, **l = NULL;
        _cleanup_free_ char *names = NULL;
        int r;

        l = calloc(1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        if (p->firewall.enable && p->firewall.forward_policy == FORWARD_POLICY_DROP) {
                r = netif_guest_bridges(&bridges);
                if (r < 0 && r != -ENOENT)
                        return r;
                if (!strv_isempty(bridges)) {
                        r = strv_join(bridges, ", ", &names);
                        if (r < 0)
                                return r;
                        r = strv_extendf(&l,
                                         "%s: firewall.forward_policy = \"drop\" cuts off what is forwarded through "
                                         "%s (containers or virtual machines) unless their manager accepts it itself; "
                                         "\"keep\" leaves forwarding to it",
                                         p->source, names);
                        if (r < 0)
                                return r;
                }
        }
        *ret = TAKE_PTR(l);
        return 0;
}

/* The legacy IPv4 FORWARD policy is DROP (the table is not created to find out). */
static bool legacy_forward_drops(void) {
        struct xtc_handle *h;
        bool drop;

        if (nf_table_present(AF_INET, "filter") <= 0)
                return false;
        h = nf_ops_ipv4.init("filter");
        if (!h)
                return false;
        drop = streq_ptr(nf_ops_ipv4.get_policy("FORWARD", h), "DROP");
        nf_handle_free(&nf_ops_ipv4, &h);
        return drop;
}

static const char *jstr(json_object *o, const char *key) {
        json_object *v;

        return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
                       ? json_object_get_string(v)
                       : NULL;
}

/* An nftables chain of family ip or inet on the forward hook. */
static bool nft_forward_chain(void) {
        _cleanup_nft_ NftCtx *c = NULL;
        _cleanup_free_ char *why = NULL;
        json_object *items = NULL;
        bool found = false;

        if (nft_usable(&why) <= 0 || nft_open(&c) < 0 || nft_list_json(c, "list chains", &items, NULL) < 0)
                return false;
        for (size_t i = 0; !found && i < json_object_array_length(items); i++) {
                json_object *chain;

                if (!json_object_object_get_ex(json_object_array_get_idx(items, i), "chain", &chain))
                        continue;
                found = streq_ptr(jstr(chain, "hook"), "forward") &&
                        (streq_ptr(jstr(chain, "family"), "ip") || streq_ptr(jstr(chain, "family"), "inet"));
        }
        json_object_put(items);
        return found;
}

int fw_forward_findings(const Policy *p, FindingList *out) {
        int r;

        if (p->firewall.forward_policy == FORWARD_POLICY_DROP)
                return 0;
        r = netif_ipv4_forwarding();
        if (r <= 0)
                return 0;
        if (legacy_forward_drops() || nft_forward_chain())
                return 0;
        return finding_addf(out, "firewall", "forwarding", FINDING_DRIFT, SEVERITY_MEDIUM, false,
                            "forwarded packets filtered (forward_policy = \"drop\", or the forward chain of the "
                            "software that routes)",
                            "net.ipv4.ip_forward = 1, and nothing filters what is forwarded: no FORWARD policy DROP "
                            "in the legacy table, no nftables chain on the forward hook",
                            "ipv4 forwarding");
}
