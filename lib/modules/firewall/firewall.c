/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "firewall-backend.h"
#include "firewall-forward.h"
#include "firewall-policy.h"
#include "firewall-rules.h"
#include "firewall-select.h"
#include "firewall-sshd.h"
#include "firewall.h"
#include "rollback.h"
#include "strv.h"

#define MODULE_NAME "firewall"

/* sshd of the live system: what Context.firewall NULL means here. */
static const FwBackend fw_backend_kernel = {
        .sshd_listens = fw_sshd_listens,
};

static const FwBackend *fw_backend(const Context *c) {
        return c->firewall ?: &fw_backend_kernel;
}

/* ---- sshd's ports ---- */

static const int families[] = { AF_INET, AF_INET6 };

/* Why the new firewall would cut sshd off on sp over family, or NULL (and 0) when it would not. */
static int sshd_blocked(const FirewallPolicy *fw, const FwSshdPort *sp, int family, char **ret) {
        bool planned = sp->planned;

        *ret = NULL;
        if (!fw_sshd_port_in_family(sp, family) || policy_firewall_allows(fw, IPPROTO_TCP, sp->port, family, NULL))
                return 0;
        if (asprintf(ret,
                     "sshd %s %s (%s), but firewall.allow does not let tcp/%u in over %s: add "
                     "{ port = %u; proto = \"tcp\"; } to firewall.allow, or %s",
                     planned ? "will listen on" : "listens on", sp->address, sp->source, sp->port,
                     fw_family_to_string(family), sp->port,
                     planned      ? "change ssh.port"
                     : sp->socket ? "change the socket unit's ListenStream="
                                  : "remove the Port (or ListenAddress) line from sshd's configuration") < 0)
                return -ENOMEM;
        return 1;
}

static int sshd_findings(const Policy *p, const FwSshd *sshd, FindingList *out) {
        int r;

        if (sshd->unknown) {
                _cleanup_free_ char *actual = NULL;

                /* before network-pre.target sshd may not run nor have host keys yet: not an error */
                if (asprintf(&actual,
                             "%s; the ports of its configuration are not known, only those of the sockets it "
                             "listens on and ssh.port are checked",
                             sshd->unknown) < 0)
                        return -ENOMEM;
                r = finding_addf(out, MODULE_NAME, "ssh-port", FINDING_UNKNOWN, SEVERITY_MEDIUM, false,
                                 "sshd -T answers", actual, "sshd");
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < sshd->n; i++)
                for (size_t f = 0; f < ELEMENTSOF(families); f++) {
                        _cleanup_free_ char *why = NULL, *want = NULL;

                        if (families[f] == AF_INET6 && !p->firewall.ipv6)
                                continue;
                        r = sshd_blocked(&p->firewall, &sshd->items[i], families[f], &why);
                        if (r <= 0) {
                                if (r < 0)
                                        return r;
                                continue;
                        }
                        if (asprintf(&want, "tcp/%u in firewall.allow", sshd->items[i].port) < 0)
                                return -ENOMEM;
                        r = finding_addf(out, MODULE_NAME, "ssh-port", FINDING_DRIFT, SEVERITY_HIGH, false, want, why,
                                         "%s tcp/%u", fw_family_to_string(families[f]), sshd->items[i].port);
                        if (r < 0)
                                return r;
                }
        return 0;
}

/* ---- what the backend is handed ---- */

static void fw_want_done(FwWant *w) {
        for (size_t i = 0; i < w->n_sets; i++)
                fw_ruleset_done(&w->sets[i]);
        *w = (FwWant){};
}

/* The rulesets of IPv4 and (with firewall.ipv6) IPv6; sshd's ports (and ssh.port, rate limited as
 * before sshd was asked) are the rate limit's. */
static int fw_want_build(const Context *c, const FwSshd *sshd, FwWant *ret) {
        const Policy *p = c->policy;
        _cleanup_(fw_want_done)
                FwWant w = { .policy = p, .repair = c->repair, .run_dir = c->run_dir, .sys = c->firewall };
        int r;

        for (size_t f = 0; f < ELEMENTSOF(families); f++) {
                _cleanup_free_ uint16_t *ports = NULL;
                size_t n_ports;

                if (families[f] == AF_INET6 && !p->firewall.ipv6)
                        continue;
                r = fw_sshd_ports(sshd, families[f], &ports, &n_ports);
                if (r < 0)
                        return r;
                if (ARRAY_GROW_ONE(ports, n_ports) < 0)
                        return -ENOMEM;
                ports[n_ports++] = p->ssh.port;
                r = fw_ruleset_build(&p->firewall, ports, n_ports, families[f], &w.sets[w.n_sets]);
                if (r < 0)
                        return r;
                w.n_sets++;
        }
        *ret = w;
        w = (FwWant){};
        return 0;
}

/* The backend's findings: which one and why, then its own, then hardend's rules left in the other
 * one (from before the host or the policy moved to this one). */
static int backend_findings(const FwWant *w, FindingList *out) {
        _cleanup_(fw_choice_done) FwChoice ch = {};
        _cleanup_free_ char *left = NULL;
        int r;

        r = fw_select(w, &ch);
        if (r < 0)
                return r;
        if (!ch.ops)
                return finding_addf(out, MODULE_NAME, "backend", FINDING_DRIFT, SEVERITY_HIGH, false,
                                    "a packet filter the kernel can hold", ch.why, "firewall.backend");
        r = finding_addf(out, MODULE_NAME, "backend", FINDING_INFO, SEVERITY_INFO, false, NULL, ch.why, "%s",
                         ch.ops->name);
        if (r >= 0)
                r = ch.ops->probe(w, out);
        if (r < 0 || !ch.other)
                return r;
        r = ch.other->installed(w);
        if (r < 0)
                return finding_addf(out, MODULE_NAME, "other-backend", FINDING_UNKNOWN, SEVERITY_MEDIUM, false,
                                    "no rules of hardend", strerror(-r), "%s", ch.other->name);
        if (r == 0)
                return 0;
        if (asprintf(&left, "hardend's rules, left from before it used %s", ch.ops->name) < 0)
                return -ENOMEM;
        return finding_addf(out, MODULE_NAME, "other-backend", FINDING_DRIFT, SEVERITY_MEDIUM, true,
                            "no rules of hardend", left, "%s", ch.other->name);
}

static int firewall_probe(Context *c, FindingList *out) {
        _cleanup_(fw_sshd_done) FwSshd sshd = {};
        _cleanup_(fw_want_done) FwWant w = {};
        int r;

        if (!c->live)
                return finding_addf(out, MODULE_NAME, "live", FINDING_INFO, SEVERITY_INFO, false, NULL,
                                    "left to the image's first boot (--root: the kernel firewall is not touched)",
                                    "kernel firewall");

        r = fw_sshd_probe(c, fw_backend(c), &sshd);
        if (r < 0)
                return r;
        r = sshd_findings(c->policy, &sshd, out);
        if (r < 0)
                return r;
        r = fw_want_build(c, &sshd, &w);
        if (r < 0)
                return r;
        r = backend_findings(&w, out);
        if (r < 0 || c->firewall)
                return r; /* forwarding is looked at on the live system only, not through a test's tables */
        return fw_forward_findings(c->policy, out);
}

/* ---- preflight: anti-lockout ---- */

/* This SSH session's client must get back in. */
static int preflight_session(Context *c, Outcome *o) {
        const FirewallPolicy *fw = &c->policy->firewall;
        char buf[INET6_ADDRSTRLEN] = "?";
        uint16_t port;
        FwAddr addr;
        int family, r;

        if (isempty(c->ssh_connection))
                return 0;
        r = fw_parse_ssh_connection(c->ssh_connection, &family, &addr, &port);
        if (r < 0) {
                if (c->force)
                        return 0;
                return outcome_fail(o, -EPERM,
                                    "cannot tell from SSH_CONNECTION=\"%s\" whether this session could reconnect "
                                    "through the new firewall (--force overrides)",
                                    c->ssh_connection);
        }
        if (fw_policy_admits(fw, family, &addr, port) || c->force)
                return 0;
        (void) inet_ntop(family, &addr, buf, sizeof(buf));
        return outcome_fail(o, -EPERM,
                            "the new firewall would not let %s (this SSH session's client, from SSH_CONNECTION) "
                            "reach tcp/%u: you could not reconnect. Add it to firewall.allow, or use --force",
                            buf, port);
}

/* Every port sshd listens on (or will, with the ssh module's drop-in) must be let in. */
static int preflight_sshd(Context *c, Outcome *o) {
        const FirewallPolicy *fw = &c->policy->firewall;
        _cleanup_(fw_sshd_done) FwSshd sshd = {};
        _cleanup_strv_free_ char **why = NULL;
        _cleanup_free_ char *all = NULL;
        int r;

        if (c->force)
                return 0;
        r = fw_sshd_probe(c, fw_backend(c), &sshd);
        if (r < 0)
                return outcome_fail(o, r, "cannot tell where sshd listens: %s", strerror(-r));
        for (size_t i = 0; i < sshd.n; i++)
                for (size_t f = 0; f < ELEMENTSOF(families); f++) {
                        char *w = NULL;

                        if (families[f] == AF_INET6 && !fw->ipv6)
                                continue;
                        r = sshd_blocked(fw, &sshd.items[i], families[f], &w);
                        if (r < 0)
                                return r;
                        if (r > 0 && (r = strv_consume(&why, w)) < 0)
                                return r;
                }
        if (strv_isempty(why))
                return 0;
        r = strv_join(why, "; ", &all);
        if (r < 0)
                return r;
        return outcome_fail(o, -EPERM, "%s. The new firewall would cut SSH off there (--force overrides)", all);
}

/* The backend for what the policy alone wants (sshd is not asked: which tables, not which rules). */
static int choose_backend(Context *c, FwWant *w, FwChoice *ch) {
        FwSshd none = {};
        int r;

        r = fw_want_build(c, &none, w);
        return r < 0 ? r : fw_select(w, ch);
}

/* A backend the kernel can hold: else apply fails (exit 4) before anything is changed. */
static int preflight_backend(Context *c, Outcome *o) {
        _cleanup_(fw_choice_done) FwChoice ch = {};
        _cleanup_(fw_want_done) FwWant w = {};
        int r;

        r = choose_backend(c, &w, &ch);
        if (r < 0)
                return outcome_fail(o, r, "cannot tell which packet filter to use: %s", strerror(-r));
        if (!ch.ops)
                return outcome_fail(o, -EOPNOTSUPP, "%s (nothing was changed)", ch.why);
        return 0;
}

static int firewall_preflight(Context *c, const FindingList *all, Outcome *o) {
        int r;

        if (!c->live)
                return 0;
        r = preflight_backend(c, o);
        if (r < 0)
                return r;
        r = preflight_session(c, o);
        if (r < 0)
                return r;
        return preflight_sshd(c, o);
}

/* ---- apply ---- */

static int firewall_apply(Context *c, const FindingList *mine, Outcome *o) {
        _cleanup_(fw_choice_done) FwChoice ch = {};
        _cleanup_(fw_sshd_done) FwSshd sshd = {};
        _cleanup_(fw_want_done) FwWant w = {};
        int r;

        if (!c->live)
                return 0;                           /* the image's first boot does it */
        r = fw_sshd_probe(c, fw_backend(c), &sshd); /* as the probe saw it: kept in the Context */
        if (r < 0)
                return outcome_fail(o, r, "cannot tell where sshd listens: %s", strerror(-r));
        r = fw_want_build(c, &sshd, &w);
        if (r < 0)
                return outcome_fail(o, r, "cannot build the ruleset: %s", strerror(-r));
        r = fw_select(&w, &ch);
        if (r < 0)
                return outcome_fail(o, r, "cannot tell which packet filter to use: %s", strerror(-r));
        if (!ch.ops)
                return outcome_fail(o, -EOPNOTSUPP, "%s (nothing was changed)", ch.why);
        r = ch.ops->apply(&w, o);
        if (r < 0 || !ch.other)
                return r;
        /* the new rules are in force: now the old ones can go, in the same apply */
        r = ch.other->installed(&w);
        if (r < 0)
                return outcome_fail(o, r, "cannot tell whether hardend's rules are left in %s: %s", ch.other->name,
                                    strerror(-r));
        return r > 0 ? ch.other->remove(&w, o) : 0;
}

static bool firewall_enabled(const Policy *p) {
        return p->firewall.enable;
}

/* Module.snapshot_state: what apply may change, in the backend in use and in the other one when it
 * still holds hardend's rules (which tables, not which rules: sshd is not asked). */
static int firewall_snapshot_state(Context *c, Snapshot *s) {
        _cleanup_(fw_choice_done) FwChoice ch = {};
        _cleanup_(fw_want_done) FwWant w = {};
        int r;

        r = choose_backend(c, &w, &ch);
        if (r < 0 || !ch.ops)
                return r;
        r = ch.ops->snapshot(&w, s);
        if (r < 0 || !ch.other)
                return r;
        r = ch.other->installed(&w);
        return r > 0 ? ch.other->snapshot(&w, s) : r;
}

const Module firewall_module = {
        .id = MODULE_FIREWALL,
        .name = MODULE_NAME,
        .policy = &firewall_policy_section,
        .enabled = firewall_enabled,
        .probe = firewall_probe,
        .preflight = firewall_preflight,
        .apply = firewall_apply,
        .snapshot_state = firewall_snapshot_state,
};
